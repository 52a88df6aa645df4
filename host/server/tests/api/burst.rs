//! Bursts of uploads: quotas that hold under concurrency, clients that wait for a change
//! instead of polling, and a fast 503 when object storage is down.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Deployment, PRODUCTION, free_port, quick_options, tenant};

const OPERATOR: &str = "burst-test-operator";

/// The operator's view of a tenant's quota, after setting it to `update` when one is given.
async fn quota(api: &crate::harness::Api, t: &str, update: Option<Value>) -> Value {
    let url = api.url(&format!("/v1/admin/tenants/{t}/quota"));
    let req = match update {
        Some(body) => api.http.put(url).json(&body),
        None => api.http.get(url),
    };
    let r = req.bearer_auth(OPERATOR).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn concurrent_uploads_never_overshoot_a_tenant_quota_and_refused_ones_lose_nothing() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    // No worker: every admitted job stays queued, so the quota is what decides.
    let api = d.start_api("api", &[("OCR_OPERATOR_TOKEN", OPERATOR)]).await;
    let t = tenant();
    quota(&api, &t, Some(json!({"max_waiting_jobs": 5}))).await;
    let mut jobs = Vec::new();
    for _ in 0..24 {
        jobs.push(api.create_job(&t, quick_options(false)).await);
    }
    let uploads = jobs.iter().map(|job| api.upload(&t, job, "en_rotated_15deg.png"));
    let answers = futures::future::join_all(uploads).await;
    let mut accepted = 0;
    for r in answers {
        let r = r.unwrap();
        match r.status().as_u16() {
            202 => accepted += 1,
            429 => {
                assert!(r.headers().contains_key("retry-after"));
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["code"], "quota_exceeded", "{body}");
                assert!(body["message"].as_str().unwrap().contains("5 jobs queued or running"), "{body}");
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap_or_default()),
        }
    }
    assert_eq!(accepted, 5, "exactly the quota was admitted");
    let (mut waiting, mut refused) = (0, Vec::new());
    for job in &jobs {
        match api.job(&t, job).await["status"].as_str().unwrap() {
            "UPLOADED" => waiting += 1,
            "PENDING_UPLOAD" => refused.push(job),
            other => panic!("job {job} is {other}"),
        }
    }
    assert_eq!(waiting, 5);
    // Refused uploads left no object behind; the admitted ones are stored.
    let objects = d.objects().list(&format!("tenants/{t}/jobs")).await.unwrap();
    assert_eq!(objects.len(), 5, "{objects:?}");
    let view = quota(&api, &t, None).await;
    assert_eq!(
        (view["waiting_jobs"].as_i64(), view["effective_max_waiting_jobs"].as_i64()),
        (Some(5), Some(5)),
        "{view}"
    );
    // The operator raises the quota: a refused job's upload now goes through.
    let view = quota(&api, &t, Some(json!({"max_waiting_jobs": null}))).await;
    assert_eq!(view["effective_max_waiting_jobs"], 10_000);
    api.upload_ok(&t, refused[0], "en_rotated_15deg.png").await;

    // A quota on bytes: room for half a file more refuses the next file, naming bytes.
    let size = std::fs::metadata(crate::harness::fixture("en_rotated_15deg.png")).unwrap().len() as i64;
    quota(&api, &t, Some(json!({"max_waiting_bytes": 6 * size + size / 2}))).await;
    let r = api.upload(&t, refused[1], "en_rotated_15deg.png").await.unwrap();
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "quota_exceeded");
    assert!(body["message"].as_str().unwrap().contains("bytes"), "{body}");
    assert_eq!(api.job(&t, refused[1]).await["status"], "PENDING_UPLOAD");
}

#[tokio::test]
async fn a_long_poll_and_an_event_stream_answer_when_the_status_changes() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let job = api.create_job(&t, quick_options(true)).await;

    // Nothing changes: the long poll answers at its deadline with the status unchanged.
    let started = Instant::now();
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}?wait=1"), &t).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "PENDING_UPLOAD");
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
    // Bad parameters are refused.
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}?wait=61"), &t).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}?wait=1&since_status=NOPE"), &t).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // A long poll waiting on PENDING_UPLOAD and an event stream are open while the upload lands.
    let poll = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}?wait=60&since_status=PENDING_UPLOAD"), &t).send();
    let mut events = api.req(Method::GET, &format!("/v1/ocr/jobs/{job}/events"), &t).send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let started = Instant::now();
    let (polled, _) = tokio::join!(poll, async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        api.upload_ok(&t, &job, "en_rotated_15deg.png").await
    });
    let polled: Value = polled.unwrap().json().await.unwrap();
    assert_ne!(polled["status"], "PENDING_UPLOAD");
    assert!(started.elapsed() < Duration::from_secs(30), "answered on the change, not at the deadline");

    // The stream tells every status from PENDING_UPLOAD to DONE, then ends.
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    while let Some(chunk) =
        tokio::time::timeout_at(deadline.into(), events.chunk()).await.expect("stream ends").unwrap()
    {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let statuses: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|data| serde_json::from_str::<Value>(data.trim()).unwrap()["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses.first().map(String::as_str), Some("PENDING_UPLOAD"), "{text}");
    assert_eq!(statuses.last().map(String::as_str), Some("DONE"), "{text}");
    assert!(text.contains("event: status"), "{text}");
    let mut deduped = statuses.clone();
    deduped.dedup();
    assert_eq!(deduped, statuses, "each change once: {text}");
}

#[tokio::test]
async fn an_upload_gets_503_within_5_s_while_object_storage_is_down() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    // Nothing listens there: the bucket is down.
    let down = format!("http://127.0.0.1:{}", free_port());
    let api = d.start_api("api", &[("S3_ENDPOINT", &down)]).await;
    let t = tenant();
    let job = api.create_job(&t, quick_options(false)).await;
    let started = Instant::now();
    let r = api.upload(&t, &job, "en_rotated_15deg.png").await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "service_unavailable");
    assert!(took < Duration::from_secs(5), "answered in {took:?}");
    // Nothing was lost: the job still waits for its file.
    assert_eq!(api.job(&t, &job).await["status"], "PENDING_UPLOAD");
}
