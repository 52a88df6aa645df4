//! End-to-end benchmark: images submitted through the HTTP API with `auto_ocr` to a real
//! deployment, beside the raw model floor (the same sessions run directly on the same decoded
//! pages, no server).
//!
//! - `--production`: a fresh PostgreSQL database (dropped at the end), a unique Redis stream and
//!   the S3 test bucket (`scripts/services.sh`, `scripts/s3-server.sh start`); `ocr-server
//!   migrate`, one `api` and `--workers K` × `ocr-server worker` processes, each running
//!   `--concurrency N` worker loops.
//! - otherwise: one embedded `ocr-server serve` (SQLite, local folder) with K worker loops.
//!
//! One warm-up job per worker loop runs first and is not counted (the model floor warms up the
//! same way). Reports pages/s, latency p50/p95/p99 from upload to `DONE`, split by stage from the
//! workers' `timings` (queue wait, detection, recognition, plugins, storage; "other" is the
//! rest: database transitions, queue hops, polling), CPU time and peak resident memory of every
//! process, and the model floor. Writes a markdown table, a JSON file and an SVG plot (each
//! job's time, stacked by stage).
//!
//! `--burst N`: the original platform's scenario instead, with the server's default limits: N
//! clients of tenant A create and upload (the first image) at the same moment, retrying 429/503
//! as `Retry-After` says (8 tries), then wait by long poll; meanwhile tenant B submits one job
//! every 10 s. Reports accepted / refused / DONE / FAILED / lost, the time to accept all and to
//! drain, B's latency against its latency on the idle server, API latency of creates, uploads
//! and status reads during the burst, and the peak memory of the API process.
//!
//! ```sh
//! cargo build --release -p ocr-server --bins --examples
//! target/release/examples/e2e-bench --production --workers 2 --json bench.json \
//!     --markdown bench.md --plot latency.svg tests/fixtures
//! target/release/examples/e2e-bench --production --workers 2 --burst 1000 tests/fixtures/en_rotated_15deg.png
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ocr_chaos::deploy::{Deployment, Proc, read_usage};
use ocr_chaos::services::{PgDatabase, S3Env, free_ports};
use serde_json::{Value, json};

const USAGE: &str = "usage: bench [--production] [--workers K] [--concurrency N] [--threads T] [--canvas N] \
     [--clients C] [--burst N] [--json FILE] [--markdown FILE] [--plot FILE.svg] DIR|IMAGE...";

struct Args {
    production: bool,
    workers: usize,
    concurrency: usize,
    /// ONNX Runtime threads per model call in each worker (0: cores / (K × N)).
    threads: usize,
    canvas: u32,
    clients: usize,
    /// Burst mode: this many clients of one tenant at once.
    burst: Option<usize>,
    json: Option<PathBuf>,
    markdown: Option<PathBuf>,
    plot: Option<PathBuf>,
    files: Vec<PathBuf>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        production: false,
        workers: 1,
        concurrency: 1,
        threads: 0,
        canvas: ocr_core::DetectParams::default().canvas_size,
        clients: 8,
        burst: None,
        json: None,
        markdown: None,
        plot: None,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    let mut inputs = Vec::new();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--production" => a.production = true,
            "--workers" => a.workers = value("--workers")?.parse()?,
            "--concurrency" => a.concurrency = value("--concurrency")?.parse()?,
            "--threads" => a.threads = value("--threads")?.parse()?,
            "--canvas" => a.canvas = value("--canvas")?.parse()?,
            "--clients" => a.clients = value("--clients")?.parse()?,
            "--burst" => a.burst = Some(value("--burst")?.parse()?),
            "--json" => a.json = Some(value("--json")?.into()),
            "--markdown" => a.markdown = Some(value("--markdown")?.into()),
            "--plot" => a.plot = Some(value("--plot")?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with("--") => bail!("unknown option {s}\n{USAGE}"),
            _ => inputs.push(PathBuf::from(arg)),
        }
    }
    if inputs.is_empty() {
        inputs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"));
    }
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&input)?
                .filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| {
                    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
                    ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "pdf"].contains(&ext.as_str())
                })
                .collect();
            found.sort();
            a.files.extend(found);
        } else {
            a.files.push(input);
        }
    }
    if a.files.is_empty() || a.workers == 0 || a.concurrency == 0 || a.clients == 0 {
        bail!("no images, or a zero count\n{USAGE}");
    }
    if a.threads == 0 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        a.threads = (cores / (a.workers * a.concurrency)).max(1);
    }
    Ok(a)
}

/// The processes of the deployment under test, sampled for CPU and memory while it runs.
type Procs = Arc<Mutex<Vec<Proc>>>;

/// Samples every process's CPU time and peak memory every 200 ms until aborted.
fn sample(procs: &Procs) -> tokio::task::JoinHandle<()> {
    let procs = procs.clone();
    tokio::spawn(async move {
        loop {
            for p in procs.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
                p.sample();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

struct Running {
    base: String,
    procs: Procs,
    /// Kept until the end: the deployment folder and, in production, the database to drop.
    _deployment: Deployment,
    database: Option<PgDatabase>,
}

impl Running {
    /// Drops the production database (the processes using it are stopped first).
    async fn drop_database(&mut self) {
        if let Some(db) = self.database.take()
            && let Err(e) = db.drop_now().await
        {
            eprintln!("could not drop database {}: {e}", db.name);
        }
    }
}

async fn start(a: &Args) -> Result<Running> {
    let exe = std::env::current_exe()?;
    let server = exe.parent().and_then(|p| p.parent()).map(|p| p.join("ocr-server")).context("target dir")?;
    let port = free_ports(1)?[0];
    let base = format!("http://127.0.0.1:{port}");
    // Embedded: one process runs all K × N worker loops.
    let loops_per_process = if a.production { a.concurrency } else { a.workers * a.concurrency };
    let mut env: Vec<(String, String)> = vec![
        ("OCR_AUTH_MODE".into(), "header".into()),
        ("OCR_WORKER_CONCURRENCY".into(), loops_per_process.to_string()),
        ("OCR_THREADS".into(), a.threads.to_string()),
        // "worker started" (models loaded) is an info line of the worker.
        ("RUST_LOG".into(), "warn,ocr_worker::pipeline=info".into()),
    ];
    if a.burst.is_none() {
        // Throughput runs measure the pipeline, not the admission limits (the burst does).
        env.extend([
            ("OCR_WRITE_RATE_PER_SEC".into(), "0".into()),
            ("OCR_READ_RATE_PER_SEC".into(), "0".into()),
            ("OCR_TENANT_MAX_WAITING_JOBS".into(), "100000".into()),
        ]);
    }
    if !a.production {
        let d = Deployment::new(&server, env)?;
        let bind = format!("127.0.0.1:{port}");
        let serve = d.spawn("serve", &["serve"], &[("OCR_BIND", &bind)])?;
        wait_healthy(&base, &serve).await?;
        return Ok(Running { base, procs: Arc::new(Mutex::new(vec![serve])), _deployment: d, database: None });
    }
    let db = PgDatabase::create("ocr_bench").await?;
    env.push(("DATABASE_URL".into(), db.url.clone()));
    env.push(("REDIS_URL".into(), std::env::var("OCR_TEST_REDIS_URL").unwrap_or("redis://127.0.0.1:6379".into())));
    env.push(("OCR_QUEUE_STREAM".into(), format!("ocr:bench:{}", db.name)));
    env.extend(S3Env::shared_test_server().server_env());
    let d = Deployment::new(&server, env)?;
    d.migrate()?;
    let mut procs = vec![d.start_api("api", port, &[]).await?];
    for i in 0..a.workers {
        procs.push(d.spawn(&format!("worker-{i}"), &["worker"], &[])?);
    }
    // Workers load the models before they take jobs: wait until each says it started.
    let start = Instant::now();
    while !procs[1..].iter().all(|p| std::fs::read_to_string(&p.log).is_ok_and(|l| l.contains("worker started"))) {
        if start.elapsed() > Duration::from_secs(120) {
            bail!("workers did not start; log:\n{}", procs[1].log_tail(30));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Running { base, procs: Arc::new(Mutex::new(procs)), _deployment: d, database: Some(db) })
}

async fn wait_healthy(base: &str, proc: &Proc) -> Result<()> {
    let http = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not start; log:\n{}", proc.log_tail(30))
}

/// Create, upload, poll until `DONE`; the job view.
async fn submit(http: &reqwest::Client, base: &str, file: &Path, canvas: u32) -> Result<Value> {
    let tenant = "bench";
    let r: Value = http
        .post(format!("{base}/v1/ocr/jobs"))
        .header("X-Tenant-Id", tenant)
        .json(&json!({"auto_ocr": true, "detect": {"canvas_size": canvas}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = r["job_id"].as_str().context("job_id")?.to_owned();
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let part = reqwest::multipart::Part::bytes(std::fs::read(file)?).file_name(name);
    let up = http
        .post(format!("{base}/v1/ocr/jobs/{id}/upload"))
        .header("X-Tenant-Id", tenant)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    if up.status() != 202 {
        bail!("upload of {} answered {}: {}", file.display(), up.status(), up.text().await.unwrap_or_default());
    }
    let j = burst::wait_done(http, base, tenant, &id).await?;
    if j["status"] == "FAILED" {
        bail!("job for {} failed: {}", file.display(), j["error"]);
    }
    Ok(j)
}

mod burst;

fn unix_ms(v: &Value) -> Option<f64> {
    let t = time::OffsetDateTime::parse(v.as_str()?, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos() as f64 / 1e6)
}

/// One finished job: total time from upload to `DONE` and its stages, in milliseconds.
struct JobTime {
    file: String,
    pages: i64,
    total_ms: f64,
    stages: BTreeMap<&'static str, f64>,
}

/// Stage name in the report → field of the job view's `timings`.
const STAGES: [(&str, &str); 5] = [
    ("queue wait", "queue_wait_ms"),
    ("detection", "detection_ms"),
    ("recognition", "recognition_ms"),
    ("plugins", "plugins_ms"),
    ("storage", "storage_ms"),
];

fn job_time(file: &Path, j: &Value) -> Result<JobTime> {
    let total_ms = unix_ms(&j["done_at"]).zip(unix_ms(&j["uploaded_at"])).map(|(d, u)| d - u).context("job times")?;
    let mut stages = BTreeMap::new();
    let mut known = 0.0;
    for (name, field) in STAGES {
        let ms = j["timings"][field].as_f64().context("the job view has no timings")?;
        known += ms;
        stages.insert(name, ms);
    }
    stages.insert("other", (total_ms - known).max(0.0));
    Ok(JobTime {
        file: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        pages: j["page_count"].as_i64().unwrap_or(1),
        total_ms,
        stages,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// p50/p95/p99 in seconds.
fn summary(mut v: Vec<f64>) -> Value {
    v.sort_by(|a, b| a.total_cmp(b));
    json!({"p50_s": percentile(&v, 0.5) / 1e3, "p95_s": percentile(&v, 0.95) / 1e3, "p99_s": percentile(&v, 0.99) / 1e3})
}

/// The same pages through the same sessions directly: the floor the server adds its costs to.
fn model_floor(files: &[PathBuf], canvas: u32, threads: usize) -> Result<Value> {
    let config = ocr_inference::InferenceConfig { intra_threads: threads, ..Default::default() };
    let engine = ocr_inference::Engine::load(&config).context("models (run scripts/fetch-models.sh)")?;
    let params = ocr_core::DetectParams { canvas_size: canvas, ..Default::default() };
    let lang = ocr_core::JobOptions::default().lang;
    // Warm-up, as for the server: the first model call of a process is slow.
    let first = ocr_inference::decode_pages(&std::fs::read(&files[0])?, &Default::default())?;
    engine.recognize(&first[0], &engine.detect(&first[0], &params)?.boxes, lang)?;
    let (mut model, mut direct, mut pages) = (Duration::ZERO, Duration::ZERO, 0);
    let cpu_before = read_usage(std::process::id()).map_or(0.0, |u| u.cpu_s);
    for f in files {
        let bytes = std::fs::read(f)?;
        let started = Instant::now();
        for page in ocr_inference::decode_pages(&bytes, &Default::default())? {
            let d = engine.detect(&page, &params)?;
            let r = engine.recognize(&page, &d.boxes, lang)?;
            model += d.timing.model + r.timing.model;
            pages += 1;
        }
        direct += started.elapsed();
    }
    let cpu_s = read_usage(std::process::id()).map_or(0.0, |u| u.cpu_s) - cpu_before;
    Ok(
        json!({"pages": pages, "threads": threads, "model_s": model.as_secs_f64(), "direct_s": direct.as_secs_f64(), "cpu_s": cpu_s,
              "pages_per_s_model_only": pages as f64 / model.as_secs_f64(),
              "pages_per_s_direct": pages as f64 / direct.as_secs_f64()}),
    )
}

/// `/proc/loadavg`'s first three fields: how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({"cpu": cpu, "cores": cores, "execution_provider": "CPU"})
}

/// Each job's time, stacked by stage, in submission order.
fn plot(path: &Path, jobs: &[JobTime], title: &str) -> Result<()> {
    use plotters::prelude::*;
    let order = ["queue wait", "detection", "recognition", "plugins", "storage", "other"];
    let colors = [
        RGBColor(0x9e, 0x9e, 0x9e),
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0xd6, 0x27, 0x28),
    ];
    let ymax = jobs.iter().map(|j| j.total_ms.max(j.stages.values().sum())).fold(0.0, f64::max) / 1e3 * 1.5;
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..jobs.len() as f64 - 0.5, 0f64..ymax.max(0.1))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("job, in submission order")
        .y_desc("seconds from upload to DONE")
        .x_labels(jobs.len().clamp(2, 20))
        .x_label_formatter(&|x| if x.fract() == 0.0 { format!("{}", *x as i64 + 1) } else { String::new() })
        .draw()?;
    for (stage, color) in order.iter().zip(colors) {
        let bars = jobs.iter().enumerate().map(|(i, j)| {
            let below: f64 = order.iter().take_while(|s| *s != stage).map(|s| j.stages[s]).sum();
            let (lo, hi) = (below / 1e3, (below + j.stages[stage]) / 1e3);
            Rectangle::new([(i as f64 - 0.4, lo), (i as f64 + 0.4, hi)], color.filled())
        });
        chart
            .draw_series(bars)?
            .label(*stage)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = args()?;
    if let Some(n) = a.burst {
        return burst::run(&a, n).await;
    }
    let mut running = start(&a).await?;
    let sampler = sample(&running.procs);

    let http = reqwest::Client::new();
    // Warm-up jobs, one per worker loop and not counted: the first model call of a process is slow.
    let warmup: Vec<_> = (0..a.workers * a.concurrency)
        .map(|_| {
            let (http, base, f) = (http.clone(), running.base.clone(), a.files[0].clone());
            let canvas = a.canvas;
            tokio::spawn(async move { submit(&http, &base, &f, canvas).await })
        })
        .collect();
    for w in warmup {
        w.await??;
    }
    // CPU time from here on is the measured run's (model loading and warm-up excluded).
    let baseline: Vec<f64> =
        running.procs.lock().unwrap_or_else(|e| e.into_inner()).iter_mut().map(|p| p.sample().cpu_s).collect();
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(a.clients));
    let tasks: Vec<_> = a
        .files
        .iter()
        .map(|f| {
            let (http, base, f, gate) = (http.clone(), running.base.clone(), f.clone(), gate.clone());
            let canvas = a.canvas;
            tokio::spawn(async move {
                let _slot = gate.acquire_owned().await?;
                let view = submit(&http, &base, &f, canvas).await?;
                job_time(&f, &view)
            })
        })
        .collect();
    let mut jobs = Vec::new();
    for t in tasks {
        jobs.push(t.await??);
    }
    let wall = started.elapsed().as_secs_f64();
    sampler.abort();
    let mut processes = Vec::new();
    let mut worker_cpu_s = 0.0;
    for (p, base) in running.procs.lock().unwrap_or_else(|e| e.into_inner()).iter_mut().zip(baseline) {
        let u = p.sample();
        let run_cpu_s = u.cpu_s - base;
        if p.label != "api" {
            worker_cpu_s += run_cpu_s;
        }
        processes.push(
            json!({"process": p.label, "cpu_s": u.cpu_s, "run_cpu_s": run_cpu_s, "peak_rss_mib": u.peak_rss_mib}),
        );
        p.kill();
    }
    running.drop_database().await;

    let floor = model_floor(&a.files, a.canvas, a.threads)?;
    let pages: i64 = jobs.iter().map(|j| j.pages).sum();
    let mut latency = serde_json::Map::new();
    latency.insert("total".into(), summary(jobs.iter().map(|j| j.total_ms).collect()));
    for stage in ["queue wait", "detection", "recognition", "plugins", "storage", "other"] {
        latency.insert(stage.into(), summary(jobs.iter().map(|j| j.stages[stage]).collect()));
    }
    let rate = pages as f64 / wall;
    let direct = floor["pages_per_s_direct"].as_f64().unwrap_or(f64::NAN);
    // Worker time per page (everything but queue wait and the rest) against the direct pipeline's.
    let worked_ms: f64 = jobs
        .iter()
        .map(|j| j.stages.iter().filter(|(k, _)| !["queue wait", "other"].contains(k)).map(|(_, v)| v).sum::<f64>())
        .sum();
    let direct_ms_per_page = 1e3 / direct;
    let worker_ms_per_page = worked_ms / pages as f64;
    let overhead_pct = (worker_ms_per_page / direct_ms_per_page - 1.0) * 100.0;
    // CPU time is steadier than wall time on a shared machine.
    let worker_cpu_per_page = worker_cpu_s / pages as f64;
    let direct_cpu_per_page = floor["cpu_s"].as_f64().unwrap_or(f64::NAN) / floor["pages"].as_f64().unwrap_or(f64::NAN);
    let cpu_overhead_pct = (worker_cpu_per_page / direct_cpu_per_page - 1.0) * 100.0;
    let mode = if a.production { "production" } else { "embedded" };
    let report = json!({
        "mode": mode, "machine": machine(), "pages": pages, "jobs": jobs.len(), "workers": a.workers,
        "concurrency": a.concurrency, "threads": a.threads, "canvas": a.canvas, "clients": a.clients,
        "wall_s": wall, "pages_per_s": rate, "throughput_vs_direct": rate / direct,
        "worker_ms_per_page": worker_ms_per_page, "direct_ms_per_page": direct_ms_per_page, "overhead_pct": overhead_pct,
        "worker_cpu_s_per_page": worker_cpu_per_page, "direct_cpu_s_per_page": direct_cpu_per_page, "cpu_overhead_pct": cpu_overhead_pct,
        "load_average": load_average(),
        "latency": latency, "processes": processes, "model_floor": floor,
        "per_job": jobs.iter().map(|j| json!({"file": j.file, "pages": j.pages, "total_ms": j.total_ms, "stages_ms": j.stages})).collect::<Vec<_>>(),
    });

    let m = &report["machine"];
    let layout = if a.production {
        format!("{} worker process(es) × {} loop(s)", a.workers, a.concurrency)
    } else {
        format!("one `serve` process with {} worker loop(s)", a.workers * a.concurrency)
    };
    let mut md = format!(
        "{} pages ({} jobs, after {} warm-up job(s)), {mode} mode: {layout}, {} ONNX Runtime thread(s) per model call, \
         canvas {}, {} clients; {} cores ({}), CPU execution provider.\n\n",
        pages,
        jobs.len(),
        a.workers * a.concurrency,
        a.threads,
        a.canvas,
        a.clients,
        m["cores"],
        m["cpu"].as_str().unwrap_or("?"),
    );
    md += "| throughput | pages/s |\n|---|---|\n";
    md += &format!("| server (upload → DONE, all pages) | {rate:.3} |\n");
    md += &format!("| direct pipeline, no server (decode + pre/post + models) | {direct:.3} |\n");
    md += &format!(
        "| model floor (`Session::run` only) | {:.3} |\n",
        floor["pages_per_s_model_only"].as_f64().unwrap_or(0.0)
    );
    md += &format!(
        "\nServer throughput is {:.2}× the direct pipeline (which runs one page at a time). Worker time per \
         page (detection + recognition + plugins + storage) is {:.0} ms against {:.0} ms direct: \
         {overhead_pct:+.1} % overhead. In CPU time (steadier on a shared machine) the workers spent \
         {worker_cpu_per_page:.2} s per page against {direct_cpu_per_page:.2} s direct: {cpu_overhead_pct:+.1} %. \
         Load average at the end: {}.\n\n",
        rate / direct,
        worker_ms_per_page,
        direct_ms_per_page,
        load_average()
    );
    md += "| latency per job (s) | p50 | p95 | p99 |\n|---|---|---|---|\n";
    for k in ["total", "queue wait", "detection", "recognition", "plugins", "storage", "other"] {
        let v = &report["latency"][k];
        let f = |p: &str| v[p].as_f64().unwrap_or(f64::NAN);
        md += &format!("| {k} | {:.3} | {:.3} | {:.3} |\n", f("p50_s"), f("p95_s"), f("p99_s"));
    }
    md += "\n| process | CPU s (all / measured run) | peak RSS MiB |\n|---|---|---|\n";
    for p in report["processes"].as_array().cloned().unwrap_or_default() {
        md += &format!(
            "| {} | {:.1} / {:.1} | {:.0} |\n",
            p["process"].as_str().unwrap_or("?"),
            p["cpu_s"].as_f64().unwrap_or(0.0),
            p["run_cpu_s"].as_f64().unwrap_or(0.0),
            p["peak_rss_mib"].as_f64().unwrap_or(0.0)
        );
    }
    println!("{md}");
    if let Some(path) = &a.markdown {
        std::fs::write(path, &md)?;
    }
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(path) = &a.plot {
        let title = format!("{mode} mode, {}, canvas {}: each job's time by stage", layout.replace('`', ""), a.canvas);
        plot(path, &jobs, &title)?;
    }
    Ok(())
}
