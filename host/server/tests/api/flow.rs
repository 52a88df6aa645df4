//! The whole job flow: create → upload → DETECT_DONE → PATCH → run-ocr → DONE, on both backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, Deployment, PRODUCTION, quick_options, tenant};

/// Runs the review flow on `vi_paragraph.png` and checks every step.
async fn review_flow(api: &Api, deployment: &Deployment) {
    let t = tenant();
    let job = api.create_job(&t, quick_options(false)).await;
    assert_eq!(api.upload_ok(&t, &job, "vi_paragraph.png").await["status"], "UPLOADED");

    let done = api.wait_for(&t, &job, "DETECT_DONE").await;
    assert_eq!(done["page_count"], 1);
    assert_eq!(done["file"]["content_type"], "image/png");

    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/detect"), &t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let detect: Value = r.json().await.unwrap();
    let page = &detect["pages"][0];
    assert_eq!((page["width"].as_u64(), page["height"].as_u64()), (Some(900), Some(390)));
    let boxes = page["boxes"].as_array().unwrap().clone();
    assert!(boxes.len() >= 8, "the 8 rendered lines give at least 8 boxes, got {}", boxes.len());

    // A reviewer deletes the last box and nudges the first one down by 1 px.
    let mut edited = boxes.clone();
    edited.pop();
    for p in edited[0]["points"].as_array_mut().unwrap() {
        p[1] = json!(p[1].as_f64().unwrap() + 1.0);
    }
    let patch = json!({"job_id": job, "pages": [{"page_index": 0, "width": 900, "height": 390, "boxes": edited}]});
    let r = api
        .req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t)
        .header("If-Match", &etag)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let new_etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);

    // A second reviewer who loaded the old revision is refused, and nothing changes.
    let r = api
        .req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t)
        .header("If-Match", &etag)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "precondition_failed");

    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/run-ocr"), &t).send().await.unwrap();
    assert_eq!(r.status(), 202);
    // Boxes are frozen while recognition is queued or running.
    let r = api.req(Method::PATCH, &format!("/v1/ocr/jobs/{job}/detect"), &t).json(&patch).send().await.unwrap();
    assert!(r.status() == 409 || r.status() == 200, "{}", r.status());

    let done = api.wait_for(&t, &job, "DONE").await;
    let lines = done["ocr_result"]["pages"][0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), boxes.len() - 1, "recognition ran on the edited boxes");
    // A Vietnamese page (lang auto): every line says asternet read it.
    assert!(lines.iter().all(|l| l["reader"] == "asternet"), "{lines:?}");
    let text = api
        .req(Method::GET, &format!("/v1/ocr/jobs/{job}/result?format=text"), &t)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for word in ["chợ", "thổ cẩm", "Du khách"] {
        assert!(text.contains(word), "{word:?} missing from the recognized text:\n{text}");
    }

    // One terminal transition, recorded once.
    let events = deployment.db().await.events(job.parse().unwrap()).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.1 == "DONE").count(), 1, "{events:?}");

    // The original comes back byte for byte; delete removes the job.
    let original =
        api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/file"), &t).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(original.as_ref(), std::fs::read(crate::harness::fixture("vi_paragraph.png")).unwrap().as_slice());
    let r = api.req(Method::DELETE, &format!("/v1/ocr/jobs/{job}"), &t).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}"), &t).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn embedded_backends_run_the_review_flow_from_upload_to_text() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let ready: Value = api.http.get(api.url("/ready")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    review_flow(&api, &d).await;

    // The same process exposes what happened as Prometheus metrics.
    let metrics = api.http.get(api.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in [
        r#"http_requests_total{method="PATCH",route="/v1/ocr/jobs/{id}/detect",status="412"}"#,
        r#"ocr_model_seconds_count{stage="detect"}"#,
        r#"ocr_task_seconds_count{task="ocr.run_ocr_job",outcome="ok"}"#,
        r#"ocr_jobs_finished_total{status="DONE",code=""}"#,
        "ocr_review_wait_seconds_count",
        r#"ocr_queue_wait_seconds_count{task="ocr.run_job"}"#,
        "ocr_queue_depth",
        r#"ocr_queue_oldest_age_seconds{task="ocr.run_job"}"#,
    ] {
        assert!(metrics.contains(needle), "{needle} missing from /metrics:\n{metrics}");
    }
}

#[tokio::test]
async fn production_backends_run_the_review_flow_from_upload_to_text() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let metrics_port = crate::harness::free_port().to_string();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let _worker = d.spawn("worker", &["worker"], &[("OCR_METRICS_BIND", &metrics_bind)]);
    let ready: Value = api.http.get(api.url("/ready")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    review_flow(&api, &d).await;
    let worker_metrics =
        api.http.get(format!("http://{metrics_bind}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(worker_metrics.contains(r#"ocr_model_seconds_count{stage="recognize"}"#), "{worker_metrics}");
}

#[tokio::test]
async fn auto_ocr_goes_from_upload_to_done_without_review() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    let done = api.wait_for(&t, &job, "DONE").await;
    let text = done["ocr_result"]["text"].as_str().unwrap().to_lowercase();
    // The sample reads "Shipment 58213 leaves Da Nang port on 12 June 2024", rotated by 15°.
    for word in ["shipment", "58213", "june"] {
        assert!(text.contains(word), "{word:?} missing from {text:?}");
    }
}

#[tokio::test]
async fn a_tenant_chooses_the_reader_of_its_english_lines_in_its_pipeline() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let readers = |done: &Value| -> Vec<String> {
        let lines = done["ocr_result"]["pages"][0]["lines"].as_array().unwrap();
        lines.iter().map(|l| l["reader"].as_str().unwrap_or("").to_owned()).collect()
    };
    // By default an English page is read by PP-OCRv6.
    let t = tenant();
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "rules/en_sans.png").await;
    let done = api.wait_for(&t, &job, "DONE").await;
    assert!(readers(&done).iter().all(|r| r == "ppocr"), "{:?}", readers(&done));
    assert!(done["ocr_result"]["model"].as_str().unwrap().contains("PP-OCRv6"), "{}", done["ocr_result"]["model"]);
    // A tenant that chose asternet gets asternet's reading.
    let other = tenant();
    let r =
        api.req(Method::PUT, "/v1/pipeline", &other).json(&json!({"english_reader": "asternet"})).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let job = api.create_job(&other, quick_options(true)).await;
    api.upload_ok(&other, &job, "rules/en_sans.png").await;
    let done = api.wait_for(&other, &job, "DONE").await;
    assert!(readers(&done).iter().all(|r| r == "asternet"), "{:?}", readers(&done));
    assert!(!done["ocr_result"]["model"].as_str().unwrap().contains("PP-OCRv6"));
    // An unknown reader is refused with an error naming it.
    let r = api
        .req(Method::PUT, "/v1/pipeline", &other)
        .json(&json!({"english_reader": "tesseract"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("english_reader") || body.contains("tesseract"), "{body}");
    // The second opinion is the tenant's choice too: kept with the pipeline, and checked.
    let r = api.req(Method::PUT, "/v1/pipeline", &other).json(&json!({"second_reader": "none"})).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let live: Value = api.req(Method::GET, "/v1/pipeline", &other).send().await.unwrap().json().await.unwrap();
    assert_eq!(live["second_reader"], "none", "{live}");
    let r =
        api.req(Method::PUT, "/v1/pipeline", &other).json(&json!({"second_reader": "easyocr"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("second_reader") || body.contains("easyocr"), "{body}");
}
