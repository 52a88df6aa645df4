//! Prometheus metrics: the recorder, the HTTP middleware, and `/metrics` (on the API and, with
//! `OCR_METRICS_BIND`, on workers). Counters and histograms are recorded where things happen
//! (worker, sweeper, plugins); queue and review gauges are read from the database at scrape time.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use ocr_core::JobStatus;
use ocr_worker::Backends;

/// Seconds buckets from 5 ms to 2 min: API calls, model runs and whole jobs all fit.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// Installs the process-wide recorder (once) and keeps its buffers trimmed.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .install_recorder()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// Counts requests and their latency by route template (never by raw path: ids would explode
/// the label set) and status.
pub async fn track_http(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Refreshes the queue gauges from the database and the queue.
pub async fn refresh_queue_gauges(backends: &Backends) {
    if let Ok(depth) = backends.queue.depth().await {
        metrics::gauge!("ocr_queue_depth").set(depth as f64);
    }
    if let Ok(counts) = backends.db.count_by_status().await {
        for status in JobStatus::ALL {
            let n = counts.iter().find(|(s, _)| s == status.as_str()).map_or(0, |(_, n)| *n);
            metrics::gauge!("ocr_jobs", "status" => status.as_str()).set(n as f64);
        }
    }
    let now = ocr_store::now_ms();
    for status in [JobStatus::Uploaded, JobStatus::OcrQueued] {
        let task = status.pending_task().map_or("", |t| t.as_str());
        let age = backends.db.oldest_in(status).await.ok().flatten().map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0);
        metrics::gauge!("ocr_queue_oldest_age_seconds", "task" => task).set(age);
    }
}

/// Refreshes the review gauges: per tenant and model, the review figures of the jobs still kept
/// (`ocr_reviewed_lines_changed / ocr_reviewed_lines` is the share of lines reviewers changed,
/// `ocr_reviewed_char_errors / ocr_reviewed_chars` the machine's CER against them).
pub async fn refresh_review_gauges(backends: &Backends) {
    let Ok(totals) = backends.db.review_totals().await else { return };
    for (tenant, model, s) in totals {
        let labels = [("tenant", tenant.as_str().to_owned()), ("model", model)];
        for (name, value) in [
            ("ocr_reviewed_jobs", s.jobs),
            ("ocr_reviewed_lines", s.lines),
            ("ocr_reviewed_lines_changed", s.lines_changed),
            ("ocr_reviewed_chars", s.chars),
            ("ocr_reviewed_char_errors", s.char_errors),
            ("ocr_reviewed_boxes_machine", s.boxes_machine),
            ("ocr_reviewed_boxes_added", s.boxes_added),
            ("ocr_reviewed_boxes_removed", s.boxes_removed),
            ("ocr_reviewed_boxes_moved", s.boxes_moved),
        ] {
            metrics::gauge!(name, &labels).set(value as f64);
        }
    }
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render(State((handle, backends)): State<(PrometheusHandle, Backends)>) -> Response {
    refresh_queue_gauges(&backends).await;
    refresh_review_gauges(&backends).await;
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}

/// `/metrics` alone, to merge into the API or to serve from a worker.
pub fn router(handle: PrometheusHandle, backends: Backends) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(render)).with_state((handle, backends))
}
