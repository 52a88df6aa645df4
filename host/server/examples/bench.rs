//! End-to-end benchmark: the real server on embedded defaults, images submitted through the
//! HTTP API with `auto_ocr`, beside the raw model floor (the same models run directly on the
//! same pages, no server).
//!
//! ```sh
//! cargo build --release -p ocr-server
//! cargo run --release -p ocr-server --example bench -- [--workers K] [--canvas N] [--json FILE] IMAGE...
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Args {
    workers: usize,
    canvas: u32,
    json: Option<PathBuf>,
    files: Vec<PathBuf>,
}

fn args() -> Args {
    let mut a = Args { workers: 1, canvas: 960, json: None, files: Vec::new() };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--workers" => a.workers = it.next().and_then(|v| v.parse().ok()).expect("--workers N"),
            "--canvas" => a.canvas = it.next().and_then(|v| v.parse().ok()).expect("--canvas N"),
            "--json" => a.json = it.next().map(PathBuf::from),
            _ => a.files.push(PathBuf::from(arg)),
        }
    }
    assert!(!a.files.is_empty(), "usage: bench [--workers K] [--canvas N] [--json FILE] IMAGE...");
    a
}

fn ms(v: &Value) -> f64 {
    let t = time::OffsetDateTime::parse(v.as_str().unwrap_or_default(), &time::format_description::well_known::Rfc3339);
    t.map(|t| t.unix_timestamp_nanos() as f64 / 1e6).unwrap_or(f64::NAN)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut v: Vec<f64>) -> Value {
    v.sort_by(|a, b| a.total_cmp(b));
    json!({"p50_s": percentile(&v, 0.5) / 1e3, "p95_s": percentile(&v, 0.95) / 1e3, "p99_s": percentile(&v, 0.99) / 1e3})
}

/// The same pages through the models directly: the floor the server adds its costs to.
fn model_floor(files: &[PathBuf], canvas: u32) -> Value {
    let engine = ocr_inference::Engine::load(&ocr_inference::InferenceConfig::default())
        .expect("models (run scripts/fetch-models.sh)");
    let params = ocr_core::DetectParams { canvas_size: canvas, ..Default::default() };
    let (mut model, mut other, mut pages) = (Duration::ZERO, Duration::ZERO, 0);
    for f in files {
        let bytes = std::fs::read(f).expect("read image");
        let started = Instant::now();
        for page in ocr_inference::decode_pages(&bytes, &Default::default()).expect("decode") {
            let d = engine.detect(&page, &params).expect("detect");
            let r = engine.recognize(&page, &d.boxes, ocr_core::Lang::Vi).expect("recognize");
            model += d.timing.model + r.timing.model;
            pages += 1;
        }
        other += started.elapsed();
    }
    json!({"pages": pages, "model_s": model.as_secs_f64(), "total_s": other.as_secs_f64(),
           "pages_per_s_model_only": pages as f64 / model.as_secs_f64(), "pages_per_s_direct": pages as f64 / other.as_secs_f64()})
}

#[tokio::main]
async fn main() {
    let a = args();
    let exe = std::env::current_exe().unwrap();
    let server = exe.parent().and_then(|p| p.parent()).map(|p| p.join("ocr-server")).expect("target dir");
    assert!(server.exists(), "build the server first: cargo build --release -p ocr-server");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(&server)
        .arg("serve")
        .env("OCR_BIND", format!("127.0.0.1:{port}"))
        .env("OCR_DATA_DIR", dir.path())
        .env("OCR_AUTH_MODE", "header")
        .env("OCR_WORKER_CONCURRENCY", a.workers.to_string())
        .env("OCR_TENANT_RATE_PER_SEC", "0")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start ocr-server");
    let http = reqwest::Client::new();
    while http.get(format!("{base}/health")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let started = Instant::now();
    let mut jobs = Vec::new();
    for f in &a.files {
        let r: Value = http
            .post(format!("{base}/v1/ocr/jobs"))
            .header("X-Tenant-Id", "bench")
            .json(&json!({"auto_ocr": true, "detect": {"canvas_size": a.canvas}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["job_id"].as_str().unwrap().to_owned();
        let part = reqwest::multipart::Part::bytes(std::fs::read(f).unwrap()).file_name("page");
        let up = http
            .post(format!("{base}/v1/ocr/jobs/{id}/upload"))
            .header("X-Tenant-Id", "bench")
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(up.status(), 202, "{}", f.display());
        jobs.push(id);
    }
    let mut done = Vec::new();
    for id in &jobs {
        loop {
            let j: Value = http
                .get(format!("{base}/v1/ocr/jobs/{id}"))
                .header("X-Tenant-Id", "bench")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            match j["status"].as_str() {
                Some("DONE") => break done.push(j),
                Some("FAILED") => panic!("job failed: {}", j["error"]),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    let pages: i64 = done.iter().map(|j| j["page_count"].as_i64().unwrap_or(1)).sum();
    let total: Vec<f64> = done.iter().map(|j| ms(&j["done_at"]) - ms(&j["uploaded_at"])).collect();
    let detect: Vec<f64> = done.iter().map(|j| ms(&j["detect_done_at"]) - ms(&j["uploaded_at"])).collect();
    let recognize: Vec<f64> = done.iter().map(|j| ms(&j["done_at"]) - ms(&j["detect_done_at"])).collect();
    let floor = model_floor(&a.files, a.canvas);
    let report = json!({
        "pages": pages, "workers": a.workers, "canvas": a.canvas, "wall_s": wall, "pages_per_s": pages as f64 / wall,
        "latency_upload_to_done": summary(total),
        "latency_queue_and_detection": summary(detect),
        "latency_queue_and_recognition": summary(recognize),
        "model_floor": floor,
    });
    println!("| measure | value |\n|---|---|");
    println!("| pages | {pages} ({} worker loop(s), canvas {}) |", a.workers, a.canvas);
    println!("| server throughput | {:.3} pages/s |", report["pages_per_s"].as_f64().unwrap());
    println!("| model floor (Session::run only) | {:.3} pages/s |", floor["pages_per_s_model_only"].as_f64().unwrap());
    println!("| direct pipeline, no server | {:.3} pages/s |", floor["pages_per_s_direct"].as_f64().unwrap());
    for key in ["latency_upload_to_done", "latency_queue_and_detection", "latency_queue_and_recognition"] {
        let s = &report[key];
        println!(
            "| {key} p50 / p95 / p99 | {:.2} / {:.2} / {:.2} s |",
            s["p50_s"].as_f64().unwrap(),
            s["p95_s"].as_f64().unwrap(),
            s["p99_s"].as_f64().unwrap()
        );
    }
    if let Some(path) = a.json {
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    }
}
