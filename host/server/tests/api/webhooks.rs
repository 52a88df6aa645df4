//! Webhooks (signed events, retries, the delivery log, the private-address policy) and
//! retention (expired jobs disappear with their objects; DELETE does it at once).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, Deployment, quick_options, tenant};

/// What the receiver got: event type, signature header, raw body.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// A receiver on loopback that answers 500 to its first request and 200 afterwards.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let mut seen = seen.lock().unwrap();
                seen.push((header("x-ocr-event"), header("x-ocr-signature"), body));
                if seen.len() == 1 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn create(api: &Api, t: &str, options: Value) -> (u16, Value) {
    json_of(api.req(Method::POST, "/v1/ocr/jobs", t).json(&options).send().await.unwrap()).await
}

#[tokio::test]
async fn callback_urls_to_private_addresses_are_refused_by_default() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let r = api.req(Method::POST, "/v1/settings/webhook-secret", &t).send().await.unwrap();
    assert_eq!(r.status(), 201);
    for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://localhost/x", "http://[::1]/"] {
        let mut options = quick_options(false);
        options["callback_url"] = json!(url);
        let (status, body) = create(&api, &t, options).await;
        assert_eq!(status, 400, "{url}: {body}");
        assert_eq!(body["code"], "invalid_options");
        assert!(body["message"].as_str().unwrap().contains("OCR_WEBHOOK_ALLOW_PRIVATE"), "{body}");
    }
    let (status, body) = create(&api, &t, json!({"callback_url": "ftp://example.com/"})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_options")));
    let r = api.req(Method::PUT, "/v1/settings", &t).json(&json!({"webhook_url": "http://10.0.0.1/"})).send().await;
    assert_eq!(r.unwrap().status(), 400);
}

#[tokio::test]
async fn job_events_are_signed_retried_and_logged() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_WEBHOOK_ALLOW_PRIVATE", "true"), ("OCR_WEBHOOK_BACKOFF_SECS", "1")]).await;
    let (url, got) = receiver().await;
    let t = tenant();

    // Events are signed, so a callback needs a secret first.
    let mut options = quick_options(false);
    options["callback_url"] = json!(url);
    let (status, body) = create(&api, &t, options.clone()).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("webhook-secret"), "{body}");
    let (status, body) = json_of(api.req(Method::POST, "/v1/settings/webhook-secret", &t).send().await.unwrap()).await;
    assert_eq!(status, 201);
    let secret = body["webhook_secret"].as_str().unwrap().to_owned();

    // The review flow: DETECT_DONE, then DONE, each one event.
    let (status, body) = create(&api, &t, options).await;
    assert_eq!(status, 201, "{body}");
    let job = body["job_id"].as_str().unwrap().to_owned();
    api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
    api.wait_for(&t, &job, "DETECT_DONE").await;
    // The receiver fails the first attempt; the retry a second later succeeds.
    wait_until("the retried detect_done event", || got.lock().unwrap().len() >= 2).await;
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/run-ocr"), &t).send().await.unwrap();
    assert_eq!(r.status(), 202);
    api.wait_for(&t, &job, "DONE").await;
    wait_until("the done event", || got.lock().unwrap().len() >= 3).await;

    let received = got.lock().unwrap().clone();
    let events: Vec<&str> = received.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(events, ["job.detect_done", "job.detect_done", "job.done"]);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for (event, signature, body) in &received {
        ocr_webhooks::verify(&secret, signature, body.as_bytes(), now, 300)
            .unwrap_or_else(|e| panic!("{event}: {e} ({signature})"));
        assert!(ocr_webhooks::verify("whsec_wrong", signature, body.as_bytes(), now, 300).is_err());
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["type"], *event);
        assert_eq!(v["job"]["job_id"], job);
        assert_eq!(v["tenant_id"], t);
    }
    // A retry carries the same event id, for de-duplication.
    let id = |i: usize| serde_json::from_str::<Value>(&received[i].2).unwrap()["id"].clone();
    assert_eq!(id(0), id(1));
    assert_ne!(id(1), id(2));

    // The delivery log says what happened.
    let (status, log) =
        json_of(api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/webhooks"), &t).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let deliveries = log["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2, "{log}");
    assert_eq!(deliveries[0]["event"], "job.detect_done");
    assert_eq!((deliveries[0]["attempts"].as_i64(), deliveries[0]["state"].as_str()), (Some(2), Some("delivered")));
    assert_eq!(deliveries[0]["last_status"], 204);
    assert_eq!((deliveries[1]["attempts"].as_i64(), deliveries[1]["state"].as_str()), (Some(1), Some("delivered")));
    // Another tenant sees no such job.
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/webhooks"), &tenant()).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // A tenant default URL catches a job that names none; a failure carries its error.
    let r = api.req(Method::PUT, "/v1/settings", &t).json(&json!({"webhook_url": url})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let job = api.create_job(&t, quick_options(false)).await;
    // A PNG cut short: its header passes the upload checks, decoding fails in the worker.
    let png = std::fs::read(crate::harness::fixture("en_rotated_15deg.png")).unwrap();
    let truncated = png[..png.len() / 3].to_vec();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(truncated).file_name("broken.png"));
    let r = api.req(Method::POST, &format!("/v1/ocr/jobs/{job}/upload"), &t).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 202);
    api.wait_for(&t, &job, "FAILED").await;
    wait_until("the failed event", || got.lock().unwrap().len() >= 4).await;
    let last: Value = serde_json::from_str(&got.lock().unwrap()[3].2).unwrap();
    assert_eq!(last["type"], "job.failed");
    assert_eq!(last["job"]["job_id"], job);
    assert_eq!(last["job"]["error"]["code"], "invalid_image", "{last}");
}

/// Files under the job's prefix in the embedded object folder.
fn stored_files(d: &Deployment, t: &str, job: &str) -> usize {
    let dir = d.dir.path().join("data/objects/tenants").join(t).join("jobs").join(job);
    walk(&dir)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn expired_jobs_are_deleted_with_their_objects_and_delete_is_immediate() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_RETENTION_INTERVAL_SECS", "1")]).await;
    let (short, long) = (tenant(), tenant());
    let (status, body) =
        json_of(api.req(Method::PUT, "/v1/settings", &short).json(&json!({"retention_days": 1})).send().await.unwrap())
            .await;
    assert_eq!((status, body["retention_days"].as_i64()), (200, Some(1)));
    let (_, body) = json_of(api.req(Method::GET, "/v1/settings", &long).send().await.unwrap()).await;
    assert_eq!((body["retention_days"].as_i64(), body["retention_days_default"].as_i64()), (Some(7), Some(7)));
    let r = api.req(Method::PUT, "/v1/settings", &short).json(&json!({"retention_days": 0})).send().await.unwrap();
    assert_eq!(r.status(), 400);

    let mut jobs = Vec::new();
    for t in [&short, &long, &long] {
        let job = api.create_job(t, quick_options(false)).await;
        api.upload_ok(t, &job, "en_rotated_15deg.png").await;
        api.wait_for(t, &job, "DETECT_DONE").await;
        assert!(stored_files(&d, t, &job) >= 2, "original and detect result are stored");
        jobs.push(job);
    }
    // DELETE removes a job and its objects at once.
    let r = api.req(Method::DELETE, &format!("/v1/ocr/jobs/{}", jobs[2]), &long).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(stored_files(&d, &long, &jobs[2]), 0);

    // Both remaining jobs were last changed two days ago: past the first tenant's 1 day, within
    // the second's default 7.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&d.database_url).await.unwrap();
    let two_days = 2 * 86_400_000_i64;
    sqlx::query("UPDATE jobs SET updated_at = updated_at - $1").bind(two_days).execute(&pool).await.unwrap();

    let start = Instant::now();
    loop {
        let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{}", jobs[0]), &short).send().await.unwrap();
        if r.status() == 404 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the expired job is still there");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(stored_files(&d, &short, &jobs[0]), 0, "its objects went with it");
    assert_eq!(api.job(&long, &jobs[1]).await["status"], "DETECT_DONE", "the other tenant's job is kept");
    assert!(stored_files(&d, &long, &jobs[1]) >= 2);
}
