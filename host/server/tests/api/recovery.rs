//! No accepted job is lost: a worker killed mid-job, Redis emptied, the API crashing between
//! commit and enqueue. Production backends (PostgreSQL, Redis Streams, S3-compatible server).

use std::process::Command;
use std::time::{Duration, Instant};

use ocr_core::JobId;

use crate::harness::{Deployment, PRODUCTION, TIMEOUT, quick_options, tenant};

/// Transitions into `status` recorded for the job.
async fn transitions_into(d: &Deployment, job: &str, status: &str) -> usize {
    let events = d.db().await.events(job.parse::<JobId>().unwrap()).await.unwrap();
    events.iter().filter(|e| e.1 == status).count()
}

#[tokio::test]
async fn a_worker_killed_mid_job_leaves_the_job_to_finish_exactly_once() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let mut doomed = d.spawn("worker-doomed", &["worker"], &[("OCR_WORKER_ID", "doomed")]);
    let t = tenant();
    let job = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &job, "en_invoice.png").await;

    // Kill the worker with SIGKILL while it holds the job.
    let start = Instant::now();
    loop {
        let j = api.job(&t, &job).await;
        if j["status"] == "DETECTING" || j["status"] == "RECOGNIZING" {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "never started: {j}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    doomed.kill();

    let _survivor = d.spawn("worker-survivor", &["worker"], &[("OCR_WORKER_ID", "survivor")]);
    let done = api.wait_for(&t, &job, "DONE").await;
    assert!(!done["ocr_result"]["text"].as_str().unwrap().is_empty());
    assert_eq!(transitions_into(&d, &job, "DONE").await, 1);
    assert_eq!(transitions_into(&d, &job, "FAILED").await, 0);
    let events = d.db().await.events(job.parse().unwrap()).await.unwrap();
    assert!(events.iter().any(|e| e.2 == "sweeper"), "the dead worker's lease was taken back: {events:?}");
    assert!(events.iter().all(|e| e.2 != "doomed" || e.1 != "DONE"), "{events:?}");
}

#[tokio::test]
async fn emptying_redis_while_jobs_wait_loses_no_job() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let t = tenant();
    let mut jobs = Vec::new();
    for _ in 0..3 {
        let job = api.create_job(&t, quick_options(true)).await;
        api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
        jobs.push(job);
    }
    // Every message is gone: stream, group, everything.
    let mut redis = crate::harness::redis_client(d.redis_url.as_deref().unwrap()).await;
    let _: () = redis::cmd("FLUSHALL").query_async(&mut redis).await.unwrap();

    let _worker = d.spawn("worker", &["worker"], &[]);
    for job in &jobs {
        api.wait_for(&t, job, "DONE").await;
        assert_eq!(transitions_into(&d, job, "DONE").await, 1);
    }
}

#[tokio::test]
async fn an_api_crash_between_commit_and_enqueue_still_runs_the_job() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let crashing = d.start_api("api", &[("OCR_TEST_FAILPOINT", "upload-after-commit")]).await;
    let t = tenant();
    let job = crashing.create_job(&t, quick_options(true)).await;
    assert!(crashing.upload(&t, &job, "en_rotated_15deg.png").await.is_err(), "the fail point aborts the request");
    drop(crashing);

    let api = d.start_api("api", &[]).await;
    assert_eq!(api.job(&t, &job).await["status"], "UPLOADED", "the upload was committed");
    let _worker = d.spawn("worker", &["worker"], &[]);
    api.wait_for(&t, &job, "DONE").await;
    assert_eq!(transitions_into(&d, &job, "DONE").await, 1);
}

#[tokio::test]
async fn a_tampered_queue_message_cannot_make_a_worker_touch_another_tenants_job() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let api = d.start_api("api", &[]).await;
    let _worker = d.spawn("worker", &["worker"], &[]);
    let (victim, attacker) = (tenant(), tenant());
    let victim_job = api.create_job(&victim, quick_options(false)).await;
    api.upload_ok(&victim, &victim_job, "en_rotated_15deg.png").await;
    let done = api.wait_for(&victim, &victim_job, "DETECT_DONE").await;
    let victim_events = d.db().await.events(victim_job.parse().unwrap()).await.unwrap().len();
    let attacker_job = api.create_job(&attacker, quick_options(false)).await;

    // Messages naming another tenant, another object, a job in the wrong state, garbage ids.
    let stream = d.env.iter().find(|(k, _)| k == "OCR_QUEUE_STREAM").unwrap().1.clone();
    let mut redis = crate::harness::redis_client(d.redis_url.as_deref().unwrap()).await;
    let victim_key = format!("tenants/{victim}/jobs/{victim_job}/original");
    let forged: [&[(&str, &str)]; 4] = [
        &[("kind", "ocr.run_job"), ("job_id", &attacker_job), ("tenant_id", &victim), ("file_key", &victim_key)],
        &[("kind", "ocr.run_ocr_job"), ("job_id", &victim_job), ("tenant_id", &attacker)],
        &[("kind", "ocr.run_job"), ("job_id", "../../etc/passwd")],
        &[("kind", "rm -rf"), ("job_id", &victim_job)],
    ];
    // Into the attacker's lane and the victim's: the queue's messages are not trusted either way.
    for lane in [&attacker, &victim] {
        for fields in forged {
            let mut cmd = redis::cmd("XADD");
            cmd.arg(format!("{stream}:t:{lane}")).arg("*");
            for (k, v) in fields {
                cmd.arg(*k).arg(*v);
            }
            let _: String = cmd.query_async(&mut redis).await.unwrap();
        }
        let _: i64 =
            redis::cmd("SADD").arg(format!("{stream}:tenants")).arg(lane).query_async(&mut redis).await.unwrap();
    }

    // The worker goes on: a legitimate job of the attacker still runs...
    let legit = api.create_job(&attacker, quick_options(false)).await;
    api.upload_ok(&attacker, &legit, "en_rotated_15deg.png").await;
    api.wait_for(&attacker, &legit, "DETECT_DONE").await;
    // ...while the forged messages changed nothing.
    let a = api.job(&attacker, &attacker_job).await;
    assert_eq!((a["status"].as_str(), a["detect_revision"].as_i64()), (Some("PENDING_UPLOAD"), Some(0)), "{a}");
    let v = api.job(&victim, &victim_job).await;
    assert_eq!(v["status"], "DETECT_DONE");
    assert_eq!(v["detect_result"], done["detect_result"]);
    assert_eq!(d.db().await.events(victim_job.parse().unwrap()).await.unwrap().len(), victim_events);
}

#[tokio::test]
async fn three_workers_share_the_work_and_workers_leaving_or_joining_lose_nothing() {
    let _one_at_a_time = PRODUCTION.lock().await;
    let d = Deployment::production().await;
    let operator = "scale-test-operator";
    let api = d.start_api("api", &[("OCR_OPERATOR_TOKEN", operator)]).await;
    let t = tenant();

    // A worker without models fails a job with models_missing; the operator re-queues it later.
    let no_models = d.dir.path().join("no-models");
    std::fs::create_dir_all(&no_models).unwrap();
    let mut broken = d.spawn("worker-broken", &["worker"], &[("OCR_MODELS_DIR", no_models.to_str().unwrap())]);
    let unlucky = api.create_job(&t, quick_options(true)).await;
    api.upload_ok(&t, &unlucky, "en_rotated_15deg.png").await;
    assert_eq!(api.wait_for(&t, &unlucky, "FAILED").await["error"]["code"], "models_missing");
    broken.kill();

    let mut workers: Vec<_> = ["w1", "w2", "w3"]
        .iter()
        .map(|id| d.spawn(&format!("worker-{id}"), &["worker"], &[("OCR_WORKER_ID", id)]))
        .collect();
    let mut jobs = Vec::new();
    for _ in 0..6 {
        let job = api.create_job(&t, quick_options(true)).await;
        api.upload_ok(&t, &job, "en_rotated_15deg.png").await;
        jobs.push(job);
    }
    // One worker leaves (SIGTERM: it finishes or releases its job), another joins.
    api.wait_for(&t, &jobs[0], "DONE").await;
    let leaving = workers.remove(0);
    let _ = Command::new("kill").arg("-TERM").arg(leaving.child.id().to_string()).status();
    let _joined = d.spawn("worker-w4", &["worker"], &[("OCR_WORKER_ID", "w4")]);

    let admin = |m: reqwest::Method, path: &str| api.http.request(m, api.url(path)).bearer_auth(operator);
    let r = admin(reqwest::Method::POST, &format!("/v1/admin/jobs/{unlucky}/requeue")).send().await.unwrap();
    assert_eq!(r.status(), 202);
    jobs.push(unlucky);

    let mut finishers = std::collections::BTreeSet::new();
    for job in &jobs {
        api.wait_for(&t, job, "DONE").await;
        let events = d.db().await.events(job.parse().unwrap()).await.unwrap();
        let done: Vec<_> = events.iter().filter(|e| e.1 == "DONE").collect();
        assert_eq!(done.len(), 1, "{job}: {events:?}");
        finishers.insert(done[0].2.clone());
    }
    assert!(finishers.len() >= 2, "the work was spread over the workers: {finishers:?}");

    let view: serde_json::Value =
        admin(reqwest::Method::GET, "/v1/admin/queue").send().await.unwrap().json().await.unwrap();
    assert_eq!(view["jobs_by_status"]["DONE"], 7, "{view}");
    assert!(view["running"].as_array().unwrap().is_empty() && view["failed"].as_array().unwrap().is_empty(), "{view}");
    drop(leaving);
}
