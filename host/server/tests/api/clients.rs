//! The example clients in `examples/` (curl walkthrough, Python, Rust) against an embedded
//! server: each runs the whole flow with its review step and prints the server's text, reports
//! the server's error for a file that is not a document, and waits out 429 answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ocr_client::{Auth, Client, DetectOptions, JobOptions};
use reqwest::Method;
use serde_json::Value;

use crate::harness::{Api, Deployment, fixture, quick_options, tenant};

/// Words of `en_invoice.png` (tests/fixtures/gt.json) on lines the models read right. The review
/// step removes the detector's least certain box, a lone quantity digit ("1"), none of these.
const INVOICE_WORDS: [&str; 4] = ["Invoice", "2024", "CA 94", "Tel"];

/// The detection canvas the clients ask for (the server's default is 1280): quicker on two cores.
const CANVAS: &str = "960";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// Runs a client command with the server's address and a tenant in its environment.
async fn run_client(program: &str, args: Vec<PathBuf>, api: &Api, tenant: &str) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(&args)
        .env("OCR_URL", &api.base)
        .env("OCR_TENANT", tenant)
        .env("OCR_CANVAS", CANVAS)
        .env_remove("OCR_API_KEY")
        .env_remove("OCR_LANG");
    let what = format!("{program} {args:?}");
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("client thread")
        .unwrap_or_else(|e| panic!("cannot run {what} ({e}): bash, curl and python3 are needed"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The number before `suffix` in a client's progress line, e.g. `detected 41 boxes`.
fn count_before(stderr: &str, suffix: &str) -> usize {
    let at = stderr.find(suffix).unwrap_or_else(|| panic!("{suffix:?} missing from the client's output:\n{stderr}"));
    let digits: String =
        stderr[..at].chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    digits.parse().unwrap_or_else(|_| panic!("no count before {suffix:?}:\n{stderr}"))
}

/// The tenant's only job, with its results.
async fn only_job(api: &Api, tenant: &str) -> Value {
    let list: Value = api.req(Method::GET, "/v1/ocr/jobs", tenant).send().await.unwrap().json().await.unwrap();
    let jobs = list["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "one job per run: {list}");
    api.job(tenant, jobs[0]["job_id"].as_str().unwrap()).await
}

fn box_count(detect: &Value) -> usize {
    detect["pages"].as_array().unwrap().iter().map(|p| p["boxes"].as_array().unwrap().len()).sum()
}

/// A script client ran the review flow: exit 0, the server's text on stdout, one box fewer stored
/// than detected, and recognition ran on the stored boxes.
/// `reading_order`: the client prints `?format=text` (the page in reading order), else the
/// JSON's `text` (the lines' detection order, for older clients).
async fn check_script_flow(out: &Output, api: &Api, tenant: &str, reading_order: bool) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "client failed: {stderr}\nserver log:\n{}", api.proc.log());
    let job = only_job(api, tenant).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!(job["options"]["detect"]["canvas_size"], 960);
    let id = job["job_id"].as_str().unwrap();
    let server_text = match reading_order {
        true => api
            .req(Method::GET, &format!("/v1/ocr/jobs/{id}/result?format=text"), tenant)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        false => job["ocr_result"]["text"].as_str().unwrap().to_owned(),
    };
    assert_eq!(stdout.trim_end(), server_text.trim_end(), "the client prints the server's text");
    for word in INVOICE_WORDS {
        assert!(stdout.contains(word), "{word:?} missing from the text:\n{stdout}");
    }

    let detected = count_before(&stderr, " boxes on");
    let saved = count_before(&stderr, " boxes saved");
    assert_eq!(saved, detected - 1, "{stderr}");
    assert_eq!(box_count(&job["detect_result"]), detected - 1, "the stored boxes are the reviewed ones");
    assert_eq!(job["detect_revision"], 2, "detection, then one edit");
    let lines = job["ocr_result"]["pages"][0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), detected - 1, "recognition read the reviewed boxes");
}

/// A script client given a text file: exit 1 with the server's code and message.
fn check_script_refusal(out: &Output) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    for needle in ["415", "unsupported_media_type", "unsupported file type; send PNG, JPEG, WebP, BMP, TIFF or PDF"] {
        assert!(stderr.contains(needle), "{needle:?} missing from:\n{stderr}");
    }
}

#[tokio::test]
async fn curl_walkthrough_runs_the_review_flow_and_reports_server_errors() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let script = repo("examples/curl/walkthrough.sh");

    let t = tenant();
    let out = run_client("bash", vec![script.clone(), fixture("en_invoice.png")], &api, &t).await;
    check_script_flow(&out, &api, &t, true).await;

    let t = tenant();
    let out = run_client("bash", vec![script, fixture("README.md")], &api, &t).await;
    check_script_refusal(&out);
}

#[tokio::test]
async fn python_client_runs_the_review_flow_and_reports_server_errors() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let script = repo("examples/python/ocr_client.py");

    let t = tenant();
    let out = run_client("python3", vec![script.clone(), fixture("en_invoice.png")], &api, &t).await;
    check_script_flow(&out, &api, &t, false).await;

    let t = tenant();
    let out = run_client("python3", vec![script, fixture("README.md")], &api, &t).await;
    check_script_refusal(&out);
}

fn quick() -> JobOptions {
    JobOptions { detect: DetectOptions { canvas_size: Some(960), ..Default::default() }, ..Default::default() }
}

#[tokio::test]
async fn rust_client_runs_the_review_flow_and_reports_server_errors() {
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[]).await;
    let t = tenant();
    let client = Client::new(&api.base, Auth::Tenant(t.clone()));

    let mut steps = Vec::new();
    let outcome = ocr_client::review_flow(&client, &fixture("en_invoice.png"), &quick(), |s| steps.push(s))
        .await
        .unwrap_or_else(|e| panic!("flow failed: {e}\nserver log:\n{}", api.proc.log()));
    assert_eq!(steps.len(), 6, "{steps:#?}");
    let job = api.job(&t, &outcome.job_id).await;
    assert_eq!(job["status"], "DONE");
    assert_eq!(outcome.result.text, job["ocr_result"]["text"].as_str().unwrap(), "the client reads the server's text");
    for word in INVOICE_WORDS {
        assert!(outcome.result.text.contains(word), "{word:?} missing from:\n{}", outcome.result.text);
    }

    // The review step removed the least certain box, and recognition read what was stored.
    let removed = outcome.removed.expect("the invoice has many boxes");
    assert_eq!(outcome.reviewed_boxes, outcome.detected_boxes - 1);
    let stored = client.detect(&outcome.job_id).await.unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.box_count(), outcome.detected_boxes - 1);
    assert_eq!(box_count(&job["detect_result"]), outcome.detected_boxes - 1);
    assert!(stored.pages[0].boxes.iter().all(|b| b.score >= removed.score && b != &removed), "{removed:?}");
    assert_eq!(outcome.result.pages[0].lines.len(), outcome.detected_boxes - 1);

    // An edit made on a revision someone has since replaced is refused, with the server's code.
    let stale = client.save_boxes(&outcome.job_id, "\"1\"", &stored.pages).await.unwrap_err();
    assert_eq!(stale.code(), Some("precondition_failed"), "{stale}");
    assert!(matches!(stale, ocr_client::Error::Api { status: 412, .. }), "{stale:?}");

    // A text file: the flow stops at the upload with the server's code and message.
    let err = ocr_client::review_flow(&client, &fixture("README.md"), &quick(), |_| {}).await.unwrap_err();
    assert_eq!(err.code(), Some("unsupported_media_type"), "{err}");
    assert!(
        err.to_string().contains("unsupported file type; send PNG, JPEG, WebP, BMP, TIFF or PDF (HTTP 415"),
        "{err}"
    );
}

/// The count of answers with `status` to `method route` in the server's metrics.
async fn answered(api: &Api, method: &str, route: &str, status: u16) -> u64 {
    let metrics = api.http.get(api.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let series = format!(r#"http_requests_total{{method="{method}",route="{route}",status="{status}"}} "#);
    metrics.lines().find_map(|l| l.strip_prefix(&series)).map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn rust_and_python_clients_wait_out_rate_limits_with_retry_after() {
    let d = Deployment::embedded();
    // One write per second per client: the clients' bursts meet 429 with Retry-After.
    let api = d.start_api("serve", &[("OCR_WRITE_RATE_PER_SEC", "1"), ("OCR_WRITE_RATE_BURST", "1")]).await;
    let limited = || answered(&api, "POST", "/v1/ocr/jobs", 429);

    // Rust: three creates at once all succeed, each making exactly one job.
    let t = tenant();
    let client = Client::new(&api.base, Auth::Tenant(t.clone()));
    let before = limited().await;
    let options = quick();
    let (a, b, c) = tokio::join!(client.create_job(&options), client.create_job(&options), client.create_job(&options));
    let mut ids: Vec<String> = [a, b, c].into_iter().map(|r| r.expect("created after retries").job_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert!(limited().await >= before + 2, "the burst met the limit");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let list: Value = api.req(Method::GET, "/v1/ocr/jobs", &t).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["jobs"].as_array().unwrap().len(), 3, "retries made no extra jobs: {list}");

    // Python: the same from three threads.
    let t = tenant();
    let before = limited().await;
    let program = r#"
import sys, threading
sys.path.insert(0, sys.argv[1])
from ocr_client import OcrClient
client = OcrClient(sys.argv[2], tenant=sys.argv[3])
ids = []
threads = [threading.Thread(target=lambda: ids.append(client.create_job()["job_id"])) for _ in range(3)]
for t in threads: t.start()
for t in threads: t.join()
print(len(set(ids)))
"#;
    let args = [repo("examples/python"), PathBuf::from(&api.base), PathBuf::from(&t)];
    let mut cmd = Command::new("python3");
    // Importing the module must leave no __pycache__ in the repository.
    cmd.arg("-c").arg(program).args(args).env("PYTHONDONTWRITEBYTECODE", "1");
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().expect("python3 is needed");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "3");
    assert!(limited().await >= before + 2, "the burst met the limit");
}

#[tokio::test]
async fn curl_walkthrough_waits_while_the_tenant_quota_is_full() {
    let d = Deployment::embedded();
    // One job queued or running per tenant: the walkthrough's upload waits for the first job.
    let api = d.start_api("serve", &[("OCR_TENANT_MAX_WAITING_JOBS", "1")]).await;
    let t = tenant();
    let first = api.create_job(&t, quick_options(false)).await;
    api.upload_ok(&t, &first, "en_invoice.png").await;
    let before = answered(&api, "POST", "/v1/ocr/jobs/{id}/upload", 429).await;

    // The upload meets 429 `quota_exceeded`, curl waits the Retry-After and sends it again once
    // the first job has its boxes; then the file is refused for what it is.
    let out = run_client("bash", vec![repo("examples/curl/walkthrough.sh"), fixture("README.md")], &api, &t).await;
    check_script_refusal(&out);
    assert!(answered(&api, "POST", "/v1/ocr/jobs/{id}/upload", 429).await > before, "the upload met the limit");
    assert_eq!(api.job(&t, &first).await["status"], "DETECT_DONE");
}

#[tokio::test]
async fn every_client_authenticates_with_an_api_key() {
    const OPERATOR: &str = "operator-token-for-client-tests";
    let d = Deployment::embedded();
    let api = d.start_api("serve", &[("OCR_AUTH_MODE", "api-key"), ("OCR_OPERATOR_TOKEN", OPERATOR)]).await;
    let t = tenant();
    let r = api.http.post(api.url("/v1/admin/tenants")).bearer_auth(OPERATOR).json(&serde_json::json!({"id": t}));
    assert_eq!(r.send().await.unwrap().status(), 201);
    let issued: Value = api
        .http
        .post(api.url(&format!("/v1/admin/tenants/{t}/keys")))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = issued["key"].as_str().unwrap().to_owned();

    // With the key each client gets as far as the upload of a text file (refused for what it
    // is); without it, the server's 401 stops it at the first request.
    let with_key = |program: &str, args: Vec<PathBuf>, key: Option<&str>| {
        let mut cmd = Command::new(program);
        cmd.args(args).env("OCR_URL", &api.base).env("OCR_TENANT", &t).env_remove("OCR_API_KEY");
        if let Some(key) = key {
            cmd.env("OCR_API_KEY", key);
        }
        tokio::task::spawn_blocking(move || cmd.output().expect("bash, curl and python3 are needed"))
    };
    let scripts = [("bash", repo("examples/curl/walkthrough.sh")), ("python3", repo("examples/python/ocr_client.py"))];
    for (program, script) in &scripts {
        let out = with_key(program, vec![script.clone(), fixture("README.md")], Some(&key)).await.unwrap();
        check_script_refusal(&out);
        let out = with_key(program, vec![script.clone(), fixture("README.md")], None).await.unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        for needle in ["401", "unauthorized", "missing or invalid credentials"] {
            assert!(stderr.contains(needle), "{needle:?} missing from:\n{stderr}");
        }
    }
    let client = Client::new(&api.base, Auth::ApiKey(key.clone()));
    let err = ocr_client::review_flow(&client, &fixture("README.md"), &quick(), |_| {}).await.unwrap_err();
    assert_eq!(err.code(), Some("unsupported_media_type"), "{err}");
    let stranger = Client::new(&api.base, Auth::Tenant(t.clone()));
    let err = stranger.create_job(&quick()).await.unwrap_err();
    assert!(matches!(&err, ocr_client::Error::Api { status: 401, code, .. } if code == "unauthorized"), "{err:?}");

    // The three jobs made with the key are the tenant's.
    let jobs: Value =
        api.http.get(api.url("/v1/ocr/jobs")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 3, "{jobs}");
}
