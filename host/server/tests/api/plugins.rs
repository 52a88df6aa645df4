//! Tenant plugins through the API: upload, pipeline, jobs that run them, failures by policy.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, plugin_bytes, quick_options, tenant};

#[tokio::test]
async fn a_tenant_pipeline_filters_boxes_and_normalizes_text_in_its_jobs_only() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();

    // Built-ins are listed for every tenant.
    let list: Value = api.req(Method::GET, "/v1/plugins", &t).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = list["plugins"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"builtin.min-box-filter") && ids.contains(&"builtin.text-normalizer"), "{ids:?}");

    // The tenant's own copy of the normalizer, uploaded and validated.
    let r = api.upload_plugin(&t, "my-normalizer", "1.0.0", plugin_bytes("text-normalizer.wasm")).await;
    assert_eq!(r.status(), 201);
    let mine: Value = r.json().await.unwrap();
    assert_eq!(mine["hooks"], json!(["normalize_text"]));
    assert_eq!(mine["sha256"].as_str().unwrap().len(), 64);
    let r = api.upload_plugin(&t, "my-normalizer", "1.0.0", plugin_bytes("text-normalizer.wasm")).await;
    assert_eq!(r.status(), 409, "same name and version twice");

    // A filter that drops every box (min_score above any score) and the tenant's normalizer.
    let pipeline = json!({
        "filter_boxes": [{"plugin": "builtin.min-box-filter", "config": {"min_score": "0.99"}}],
        "normalize_text": [{"plugin": mine["id"], "config": {"mask_digits": "true"}}]
    });
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let job = api.create_job(&t, quick_options(false)).await;
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    let done = api.wait_for(&t, &job, "DETECT_DONE").await;
    assert_eq!(done["detect_result"]["pages"][0]["boxes"].as_array().unwrap().len(), 0, "the filter ran: {done}");

    // Another tenant's identical job keeps its boxes: pipelines are per tenant.
    let other = tenant();
    let job2 = api.create_job(&other, quick_options(false)).await;
    api.upload_ok(&other, &job2, "en_rotated_15deg.png").await;
    let done2 = api.wait_for(&other, &job2, "DETECT_DONE").await;
    assert!(!done2["detect_result"]["pages"][0]["boxes"].as_array().unwrap().is_empty());

    // The normalizer masks a long digit run, through the test endpoint.
    let sample = json!({"width": 100, "height": 50, "config": {"mask_digits": "true"},
        "lines": [{"text": "  card 4111111111111111  ", "confidence": 0.9, "points": [[0,0],[10,0],[10,10],[0,10]], "char_confidences": []}]});
    let report: Value = api
        .req(Method::POST, &format!("/v1/plugins/{}/test", mine["id"].as_str().unwrap()), &t)
        .json(&sample)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["lines"][0]["text"], "card ****************", "{report}");
    assert!(report["fuel_used"].as_u64().unwrap() > 0);

    // In use: not deletable; after leaving the pipeline it is.
    let path = format!("/v1/plugins/{}", mine["id"].as_str().unwrap());
    assert_eq!(api.req(Method::DELETE, &path, &t).send().await.unwrap().status(), 409);
    assert_eq!(api.req(Method::PUT, "/v1/pipeline", &t).json(&json!({})).send().await.unwrap().status(), 200);
    assert_eq!(api.req(Method::DELETE, &path, &t).send().await.unwrap().status(), 204);
    assert_eq!(api.req(Method::GET, &path, &t).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn invalid_uploads_and_pipelines_are_refused_with_their_reason() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let r = api.upload_plugin(&t, "junk", "1", b"\0asm not really a component".to_vec()).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "plugin_invalid");
    let r = api.upload_plugin(&t, "sneaky", "1", plugin_bytes("test/test-plugin-fs-reader.wasm")).await;
    assert_eq!(r.status(), 422, "a plugin importing the file system is refused");
    let r = api.upload_plugin(&t, "bad name!", "1", plugin_bytes("text-normalizer.wasm")).await;
    assert_eq!(r.status(), 400);

    let wrong_hook = json!({"filter_boxes": [{"plugin": "builtin.text-normalizer"}]});
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&wrong_hook).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("does not implement"));
    let unknown = json!({"normalize_text": [{"plugin": "someone-elses-plugin"}]});
    let r = api.req(Method::PUT, "/v1/pipeline", &t).json(&unknown).send().await.unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn a_failing_plugin_fails_the_job_with_its_code_or_is_skipped_with_a_warning() {
    let d = Deployment::embedded();
    // Fuel far above what 300 ms can burn, so the endless loop meets the deadline first on a
    // fast machine too (with the default fuel, a quiet machine runs out of fuel before 300 ms).
    let api = d.start_api("serve", &[("OCR_PLUGIN_DEADLINE_MS", "300"), ("OCR_PLUGIN_FUEL", "1000000000000")]).await;
    let t = tenant();
    let r = api.upload_plugin(&t, "hostile", "1", plugin_bytes("test/test-plugin-hostile.wasm")).await;
    assert_eq!(r.status(), 201);
    let hostile = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    // Policy `fail`: an endless loop fails the job with plugin_timeout; the worker lives on.
    let pipeline = json!({"filter_boxes": [{"plugin": hostile, "config": {"mode": "loop"}}]});
    assert_eq!(api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap().status(), 200);
    let job = api.create_job(&t, quick_options(false)).await;
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    let failed = api.wait_for(&t, &job, "FAILED").await;
    assert_eq!(failed["error"]["code"], "plugin_timeout", "{failed}");

    // Policy `skip`: a panicking plugin is skipped, the job goes on, the warning is on the job.
    let pipeline = json!({"filter_boxes": [{"plugin": hostile, "config": {"mode": "panic"}, "on_failure": "skip"}]});
    assert_eq!(api.req(Method::PUT, "/v1/pipeline", &t).json(&pipeline).send().await.unwrap().status(), 200);
    let job = api.create_job(&t, quick_options(false)).await;
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    let done = api.wait_for(&t, &job, "DETECT_DONE").await;
    let warnings = done["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("plugin_failed")), "{done}");
    assert!(!done["detect_result"]["pages"][0]["boxes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_same_page_gives_each_tenant_what_its_pipeline_asks_for() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let (a, b) = (tenant(), tenant());
    // Tenant A: keep only the top half of the page, normalize, redact. Tenant B: no plugins.
    let pipeline = json!({
        "filter_boxes": [{"plugin": "builtin.min-box-filter", "config": {"min_score": "0", "region": "0,0,800,443"}}],
        "normalize_text": [
            {"plugin": "builtin.text-normalizer", "config": {"tone_style": "new", "fix_confusions": "true"}},
            {"plugin": "builtin.pii-redactor"}
        ]
    });
    assert_eq!(api.req(Method::PUT, "/v1/pipeline", &a).json(&pipeline).send().await.unwrap().status(), 200);
    let mut results = Vec::new();
    for t in [&a, &b] {
        let job = api.create_job(t, quick_options(true)).await;
        api.upload_ok(t, &job, "en_invoice.png").await;
        results.push(api.wait_for(t, &job, "DONE").await);
    }
    let lines = |j: &Value| j["ocr_result"]["pages"][0]["lines"].as_array().unwrap().clone();
    let (lines_a, lines_b) = (lines(&results[0]), lines(&results[1]));
    assert!(lines_a.len() < lines_b.len(), "A {} lines, B {} lines", lines_a.len(), lines_b.len());
    for l in &lines_a {
        let ys: Vec<f64> = l["points"].as_array().unwrap().iter().map(|p| p[1].as_f64().unwrap()).collect();
        assert!(ys.iter().sum::<f64>() / 4.0 <= 443.0, "A keeps only the top half: {l}");
    }
    let text_b = results[1]["ocr_result"]["text"].as_str().unwrap();
    assert!(text_b.contains("Total"), "B reads the whole page: {text_b}");
    assert!(!results[0]["ocr_result"]["text"].as_str().unwrap().contains("Total"));
    let logged: Vec<&str> =
        results[0]["plugin_logs"].as_array().unwrap().iter().map(|l| l["plugin"].as_str().unwrap()).collect();
    for plugin in ["builtin.min-box-filter", "builtin.pii-redactor"] {
        assert!(logged.contains(&plugin), "{plugin} did not run for A: {logged:?}");
    }
    assert!(results[1]["plugin_logs"].as_array().unwrap().is_empty());
}
