//! `--burst N`: N clients of tenant A create and upload at the same moment while tenant B
//! submits one job every 10 s; every client behaves as the example clients do (retry 429/503
//! after `Retry-After`, at most 8 tries; wait by long poll).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{Args, load_average, machine, percentile, sample, start, unix_ms};

const TRIES: u32 = 8;
const TENANT_A: &str = "burst-a";
const TENANT_B: &str = "burst-b";
/// How long a client waits for its job before it counts as lost.
const GIVE_UP: Duration = Duration::from_secs(3600);

/// Latencies (ms) of every API call by kind, and the answers that were not 2xx.
#[derive(Default)]
struct Calls {
    create: Vec<f64>,
    upload: Vec<f64>,
    read: Vec<f64>,
    refusals: std::collections::BTreeMap<String, u64>,
}

type Shared = Arc<Mutex<Calls>>;

fn record(calls: &Shared, kind: &str, started: Instant, status: u16) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let mut c = calls.lock().unwrap_or_else(|e| e.into_inner());
    match kind {
        "create" => c.create.push(ms),
        "upload" => c.upload.push(ms),
        _ => c.read.push(ms),
    }
    if !(200..300).contains(&status) {
        *c.refusals.entry(format!("{kind} {status}")).or_default() += 1;
    }
}

/// Sends a request up to 8 times, waiting out 429 and 503 as `Retry-After` says.
async fn with_retries(
    calls: &Shared,
    kind: &str,
    send: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Option<reqwest::Response>> {
    for _ in 0..TRIES {
        let started = Instant::now();
        let r = send().send().await?;
        let status = r.status().as_u16();
        record(calls, kind, started, status);
        if status != 429 && status != 503 {
            return Ok(Some(r));
        }
        let wait = r.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(1);
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    Ok(None)
}

/// Long polls until the job is `DONE` or `FAILED`.
pub async fn wait_done(http: &reqwest::Client, base: &str, tenant: &str, id: &str) -> Result<Value> {
    let started = Instant::now();
    let mut status = String::from("UPLOADED");
    while started.elapsed() < GIVE_UP {
        let url = format!("{base}/v1/ocr/jobs/{id}?wait=30&since_status={status}");
        let r = http.get(url).header("X-Tenant-Id", tenant).send().await?;
        if r.status() == 429 || r.status() == 503 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let j: Value = r.error_for_status()?.json().await?;
        match j["status"].as_str() {
            Some("DONE" | "FAILED") => return Ok(j),
            Some(s) => status = s.to_owned(),
            None => bail!("no status in {j}"),
        }
    }
    bail!("job {id} did not finish within {GIVE_UP:?}")
}

/// What became of one client's job.
enum Fate {
    Refused,
    Finished { status: String, latency_ms: f64, accepted_at: Duration, done_at: Duration },
    Lost,
}

/// One client: create, upload, wait.
async fn client(
    http: reqwest::Client,
    base: String,
    tenant: &'static str,
    page: Arc<Vec<u8>>,
    calls: Shared,
    t0: Instant,
) -> Result<Fate> {
    let create = || {
        http.post(format!("{base}/v1/ocr/jobs"))
            .header("X-Tenant-Id", tenant)
            .json(&json!({"auto_ocr": true, "detect": {"canvas_size": 960}}))
    };
    let Some(r) = with_retries(&calls, "create", create).await? else { return Ok(Fate::Refused) };
    let id = r.error_for_status()?.json::<Value>().await?["job_id"].as_str().context("job_id")?.to_owned();
    let upload = || {
        let part = reqwest::multipart::Part::bytes(page.to_vec()).file_name("page.png");
        http.post(format!("{base}/v1/ocr/jobs/{id}/upload"))
            .header("X-Tenant-Id", tenant)
            .multipart(reqwest::multipart::Form::new().part("file", part))
    };
    let Some(r) = with_retries(&calls, "upload", upload).await? else { return Ok(Fate::Refused) };
    if r.status() != 202 {
        bail!("upload answered {}: {}", r.status(), r.text().await.unwrap_or_default());
    }
    let accepted_at = t0.elapsed();
    let Ok(j) = wait_done(&http, &base, tenant, &id).await else { return Ok(Fate::Lost) };
    let latency_ms = unix_ms(&j["done_at"]).zip(unix_ms(&j["uploaded_at"])).map_or(f64::NAN, |(d, u)| d - u);
    Ok(Fate::Finished {
        status: j["status"].as_str().unwrap_or("?").to_owned(),
        latency_ms,
        accepted_at,
        done_at: t0.elapsed(),
    })
}

fn p(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    percentile(&v, q)
}

pub async fn run(a: &Args, n: usize) -> Result<()> {
    let page = Arc::new(std::fs::read(&a.files[0]).with_context(|| format!("reading {}", a.files[0].display()))?);
    let running = start(a).await?;
    let base = running.base.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(n + 8).build()?;
    let idle_calls: Shared = Arc::default();

    // B on the idle server (the first job also warms the models up, so it is not counted).
    let mut idle = Vec::new();
    for i in 0..4 {
        if let Fate::Finished { latency_ms, .. } =
            client(http.clone(), base.clone(), TENANT_B, page.clone(), idle_calls.clone(), Instant::now()).await?
            && i > 0
        {
            idle.push(latency_ms);
        }
    }
    let sampler = sample(&running.procs);
    let calls: Shared = Arc::default();
    let t0 = Instant::now();
    let burst: Vec<_> = (0..n)
        .map(|_| tokio::spawn(client(http.clone(), base.clone(), TENANT_A, page.clone(), calls.clone(), t0)))
        .collect();
    // B: one job every 10 s while A's burst drains; a prober reads a status every 100 ms.
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let b = {
        let (http, base, page, calls, draining) =
            (http.clone(), base.clone(), page.clone(), calls.clone(), draining.clone());
        tokio::spawn(async move {
            let mut jobs = Vec::new();
            while draining.load(std::sync::atomic::Ordering::Relaxed) {
                jobs.push(tokio::spawn(client(http.clone(), base.clone(), TENANT_B, page.clone(), calls.clone(), t0)));
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            jobs
        })
    };
    let prober = {
        let (http, base, calls, draining) = (http.clone(), base.clone(), calls.clone(), draining.clone());
        tokio::spawn(async move {
            while draining.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                if let Ok(r) =
                    http.get(format!("{base}/v1/ocr/jobs?limit=1")).header("X-Tenant-Id", TENANT_A).send().await
                {
                    record(&calls, "read", started, r.status().as_u16());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let (mut accepted, mut refused, mut done, mut failed, mut lost) = (0, 0, 0, 0, 0);
    let (mut all_accepted, mut drained) = (Duration::ZERO, Duration::ZERO);
    for c in burst {
        match c.await?? {
            Fate::Refused => refused += 1,
            Fate::Lost => {
                accepted += 1;
                lost += 1;
            }
            Fate::Finished { status, accepted_at, done_at, .. } => {
                accepted += 1;
                all_accepted = all_accepted.max(accepted_at);
                drained = drained.max(done_at);
                if status == "DONE" { done += 1 } else { failed += 1 }
            }
        }
    }
    draining.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = prober.await;
    let mut b_latency = Vec::new();
    for j in b.await? {
        if let Fate::Finished { latency_ms, .. } = j.await?? {
            b_latency.push(latency_ms);
        }
    }
    sampler.abort();
    let rss: Vec<(String, f64)> = running
        .procs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter_mut()
        .map(|p| (p.label.clone(), p.sample().peak_rss_mib))
        .collect();
    let api_label = if a.production { "api" } else { "serve" };
    let api_rss = rss.iter().find(|(l, _)| l == api_label).map_or(f64::NAN, |(_, r)| *r);
    let calls = std::mem::take(&mut *calls.lock().unwrap_or_else(|e| e.into_inner()));
    let mode = if a.production { format!("production, {} worker process(es)", a.workers) } else { "embedded".into() };
    let idle_p50 = p(&idle, 0.5) / 1e3;
    let mut md = format!(
        "Burst: {n} clients of tenant A create + upload `{}` at once (auto_ocr, canvas 960, retries after \
         Retry-After, {TRIES} tries), tenant B one job every 10 s; {mode}; default limits; {} cores ({}); load \
         average at the end {}.\n\n",
        Path::new(&a.files[0]).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        machine()["cores"],
        machine()["cpu"].as_str().unwrap_or("?"),
        load_average(),
    );
    md += "| accepted | refused | DONE | FAILED | lost | all accepted after | drained after |\n|---|---|---|---|---|---|---|\n";
    md += &format!(
        "| {accepted} | {refused} | {done} | {failed} | {lost} | {:.1} s | {:.1} s |\n\n",
        all_accepted.as_secs_f64(),
        drained.as_secs_f64()
    );
    md += &format!(
        "Tenant B during the burst ({} jobs): latency upload → DONE p50 {:.2} s, p95 {:.2} s; on the idle server \
         p50 {idle_p50:.2} s.\n\n",
        b_latency.len(),
        p(&b_latency, 0.5) / 1e3,
        p(&b_latency, 0.95) / 1e3,
    );
    md += "| API call during the burst | calls | p50 ms | p99 ms |\n|---|---|---|---|\n";
    for (kind, v) in [("create", &calls.create), ("upload", &calls.upload), ("status read", &calls.read)] {
        md += &format!("| {kind} | {} | {:.1} | {:.1} |\n", v.len(), p(v, 0.5), p(v, 0.99));
    }
    md += &format!("\nAnswers other than 2xx: {:?}. Peak RSS: ", calls.refusals);
    md += &rss.iter().map(|(l, r)| format!("{l} {r:.0} MiB")).collect::<Vec<_>>().join(", ");
    md += &format!(" (API process: {api_rss:.0} MiB).\n");
    println!("{md}");
    if let Some(path) = &a.markdown {
        std::fs::write(path, &md)?;
    }
    let mut running = running;
    for p in running.procs.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
        p.kill();
    }
    running.drop_database().await;
    if lost > 0 || refused > 0 || failed > 0 {
        bail!("{refused} refused, {failed} failed, {lost} lost");
    }
    Ok(())
}
