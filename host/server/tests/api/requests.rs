//! Request handling: errors with stable codes, limits, idempotency, listing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, tenant};

async fn code(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors_and_lose_nothing() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_MAX_UPLOAD_BYTES", "30000")]).await;
    let t = tenant();

    // No tenant, a malformed tenant.
    let r = api.http.post(api.url("/v1/ocr/jobs")).send().await.unwrap();
    assert_eq!(code(r).await, (400, "missing_tenant".into()));
    let r = api.http.post(api.url("/v1/ocr/jobs")).header("X-Tenant-Id", "../etc").send().await.unwrap();
    assert_eq!(code(r).await, (400, "invalid_tenant".into()));

    // Unknown or out-of-range options.
    let r = api.req(Method::POST, "/v1/ocr/jobs", &t).json(&json!({"auto_orc": true})).send().await.unwrap();
    assert_eq!(code(r).await, (400, "invalid_options".into()));
    let r = api
        .req(Method::POST, "/v1/ocr/jobs", &t)
        .json(&json!({"detect": {"canvas_size": 100000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, (400, "invalid_options".into()));

    let job = api.create_job(&t, json!({})).await;
    // Not an image: refused by its bytes, whatever its name says.
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"%!PS-Adobe not an image".to_vec()).file_name("photo.png"));
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/upload"), &t).multipart(form).send().await.unwrap();
    assert_eq!(code(r).await, (415, "unsupported_media_type".into()));
    // Over the byte limit (en_invoice.png is ~60 kB, the limit 30 kB).
    let r = api.upload(&t, &job, "en_invoice.png").await.unwrap();
    assert_eq!(code(r).await, (413, "payload_too_large".into()));
    // No `file` field.
    let form = reqwest::multipart::Form::new().text("other", "x");
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/upload"), &t).multipart(form).send().await.unwrap();
    assert_eq!(code(r).await, (400, "missing_file".into()));
    // After all that the job is still waiting for its file, and takes one.
    assert_eq!(api.job(&t, &job).await["status"], "PENDING_UPLOAD");
    api.upload_ok(&t, &job, "vi_paragraph.png").await;
    // A second upload is refused.
    let r = api.upload(&t, &job, "vi_paragraph.png").await.unwrap();
    assert_eq!(code(r).await, (409, "already_uploaded".into()));
    // Recognition before detection finished is refused... unless detection already finished.
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/run-ocr"), &t).send().await.unwrap();
    let (status, c) = code(r).await;
    assert!((status, c.as_str()) == (409, "invalid_state") || status == 202, "{status} {c}");

    // Unknown route and method: JSON too.
    assert_eq!(code(api.http.get(api.url("/v2/nothing")).send().await.unwrap()).await, (404, "not_found".into()));
    assert_eq!(code(api.http.put(api.url("/health")).send().await.unwrap()).await, (405, "method_not_allowed".into()));
}

#[tokio::test]
async fn box_edits_outside_the_page_over_the_box_limit_or_too_big_are_refused_with_the_reason() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_MAX_BOXES_PER_PAGE", "2"), ("OCR_MAX_JSON_BYTES", "4096")]).await;
    let t = tenant();
    let job = api.create_job(&t, crate::harness::quick_options(false)).await;
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    api.wait_for(&t, &job, "DETECT_DONE").await;
    let outside = json!({"pages": [{"page_index": 0, "width": 894, "height": 320,
        "boxes": [{"points": [[0, 0], [5000, 0], [5000, 10], [0, 10]]}]}]});
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t).json(&outside).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!((status.as_u16(), body["code"].as_str()), (422, Some("invalid_boxes")));
    assert!(body["message"].as_str().unwrap().contains("outside the page"), "{body}");
    let unknown_page = json!({"pages": [{"page_index": 7, "width": 894, "height": 320, "boxes": []}]});
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t).json(&unknown_page).send().await.unwrap();
    assert_eq!(code(r).await, (422, "invalid_boxes".into()));
    let square = json!({"points": [[1, 1], [20, 1], [20, 20], [1, 20]]});
    let many = json!({"pages": [{"page_index": 0, "width": 894, "height": 320, "boxes": [square, square, square]}]});
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t).json(&many).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_boxes");
    assert!(body["message"].as_str().unwrap().contains("at most 2"), "{body}");
    let huge = json!({"pages": [], "job_id": "x".repeat(5000)});
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t).json(&huge).send().await.unwrap();
    assert_eq!(code(r).await, (413, "payload_too_large".into()));
    let r = api
        .req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t)
        .header("If-Match", "\"99\"")
        .json(&json!({"pages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(code(r).await, (412, "precondition_failed".into()));
}

#[tokio::test]
async fn idempotency_keys_return_the_same_job_and_listing_pages_through_a_tenants_jobs() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let first = api.req(Method::POST, "/v1/ocr/jobs", &t).header("Idempotency-Key", "order-17").send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = api.req(Method::POST, "/v1/ocr/jobs", &t).header("Idempotency-Key", "order-17").send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["job_id"], first["job_id"]);
    // The same key from another tenant is another job.
    let other =
        api.req(Method::POST, "/v1/ocr/jobs", &tenant()).header("Idempotency-Key", "order-17").send().await.unwrap();
    assert_eq!(other.status(), 201);

    for _ in 0..4 {
        api.create_job(&t, json!({})).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/ocr/jobs?limit=2&cursor={c}"),
            None => "/v1/ocr/jobs?limit=2".into(),
        };
        let page: Value = api.req(Method::GET, &path, &t).send().await.unwrap().json().await.unwrap();
        for j in page["jobs"].as_array().unwrap() {
            seen.push(j["job_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first");
    let filtered: Value =
        api.req(Method::GET, "/v1/ocr/jobs?status=DONE", &t).send().await.unwrap().json().await.unwrap();
    assert!(filtered["jobs"].as_array().unwrap().is_empty());
    let r = api.req(Method::GET, "/v1/ocr/jobs?status=done", &t).send().await.unwrap();
    assert_eq!(code(r).await, (400, "bad_request".into()));
}

#[tokio::test]
async fn missing_models_make_ready_fail_and_jobs_fail_with_models_missing() {
    let d = Deployment::embedded();
    let empty = d.dir.path().join("no-models");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.display().to_string();
    let api = d.start_api("serve", &[("OCR_MODELS_DIR", &empty)]).await;
    let r = api.http.get(api.url("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert!(body["checks"]["models"].as_str().unwrap().starts_with("missing"), "{body}");
    assert_eq!(body["checks"]["database"], "ok");

    let t = tenant();
    let job = api.create_job(&t, json!({})).await;
    api.upload_ok(&t, &job, "vi_paragraph.png").await;
    let failed = api.wait_for(&t, &job, "FAILED").await;
    assert_eq!(failed["error"]["code"], "models_missing", "{failed}");
    // The server is still up and serving.
    assert_eq!(api.http.get(api.url("/health")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn invalid_configuration_stops_startup_with_one_sentence_naming_the_variable() {
    let d = Deployment::embedded();
    for (var, value) in
        [("DATABASE_URL", "mysql://h/db"), ("REDIS_URL", "http://nope"), ("S3_ENDPOINT", "http://127.0.0.1:1")]
    {
        let out = d.command(&["serve"]).env(var, value).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(var) || err.contains("S3_ACCESS_KEY"), "{var}: {err}");
    }
    let out = d.command(&["api"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("REDIS_URL"));
}
