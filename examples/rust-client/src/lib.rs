//! A small typed client for the OCR Platform's REST API, and the review flow built on it.
//!
//! [`Client`] has one method per step of the flow: [`Client::create_job`], [`Client::upload`],
//! [`Client::wait`], [`Client::detect`], [`Client::save_boxes`] (with `If-Match`),
//! [`Client::run_ocr`], [`Client::result`]. [`review_flow`] runs them in order with a review step
//! in the middle: it removes the box the detector is least sure of, as a person correcting the
//! boxes would remove a false detection.
//!
//! Async (tokio + reqwest). Every failure is an [`Error`]; answers of the server carry its stable
//! `code` and `message`. Requests answered 429 (rate limited, too many jobs) or 503 (a backend
//! briefly down) are sent again after the server's `Retry-After`, for up to two minutes; job
//! creation carries an `Idempotency-Key`, so a repeated create never makes a second job.
//!
//! ```no_run
//! # async fn run() -> Result<(), ocr_client::Error> {
//! use ocr_client::{Auth, Client, JobOptions};
//! let client = Client::new("http://127.0.0.1:8000", Auth::Tenant("demo".into()));
//! let outcome = ocr_client::review_flow(&client, "invoice.png".as_ref(), &JobOptions::default(), |step| {
//!     eprintln!("{step}")
//! })
//! .await?;
//! println!("{}", outcome.result.text);
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use serde::{Deserialize, Serialize};

/// How long, in all, one request waits out 429 and 503 answers before their error is returned.
pub const RETRY_BUDGET: Duration = Duration::from_secs(120);
/// Longest wait between retries, whatever `Retry-After` says (a client should not hang for hours).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Wait between retries when the server gives no usable `Retry-After`.
const DEFAULT_RETRY_WAIT: Duration = Duration::from_secs(1);
/// How long the server may hold one status read until the job changes (a long poll).
pub const LONG_POLL: Duration = Duration::from_secs(20);

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server refused the request: its HTTP status and error body.
    #[error("{message} (HTTP {status}, {code})")]
    Api { status: u16, code: String, message: String },
    /// The job ended in `FAILED`; `code` says why (e.g. `image_too_large`).
    #[error("job {job_id} failed: {message} ({code})")]
    JobFailed { job_id: String, code: String, message: String },
    /// The job did not reach the wanted status in time.
    #[error("job {job_id} is still {status} after {waited:?} (waiting for {wanted})")]
    Timeout { job_id: String, status: JobStatus, wanted: JobStatus, waited: Duration },
    /// No answer, or an answer that is not what the API documents.
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The document to upload could not be read.
    #[error("cannot read {path}: {source}")]
    File { path: String, source: std::io::Error },
    /// `GET …/detect` or `PATCH …/detect` answered without the `ETag` the edit needs.
    #[error("the server sent no ETag with the boxes")]
    MissingEtag,
}

impl Error {
    /// The server's error code (`unsupported_media_type`, `precondition_failed`, …), when the
    /// error came from the server.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } | Error::JobFailed { code, .. } => Some(code),
            Error::Timeout { .. } | Error::Http(_) | Error::File { .. } | Error::MissingEtag => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the client says which tenant it acts for.
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer <key>`: auth mode `api-key`, the production default.
    ApiKey(String),
    /// `X-Tenant-Id: <tenant>`: auth mode `header`, the embedded quickstart on loopback.
    Tenant(String),
}

impl fmt::Debug for Auth {
    /// Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey(_) => f.write_str("ApiKey(…)"),
            Auth::Tenant(t) => f.debug_tuple("Tenant").field(t).finish(),
        }
    }
}

/// Options of a new job; unset fields keep the server's defaults.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobOptions {
    /// Run recognition straight after detection (no review step).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auto_ocr: bool,
    /// Recognition language: `auto` (the server's default), `vi` or `en`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(skip_serializing_if = "DetectOptions::is_empty")]
    pub detect: DetectOptions,
}

/// Detection overrides (CRAFT's parameters).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DetectOptions {
    /// Longest side the page is resized to before detection (smaller is faster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canvas_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_threshold: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_threshold: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_text: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mag_ratio: Option<f32>,
}

impl DetectOptions {
    fn is_empty(&self) -> bool {
        self.canvas_size.is_none()
            && self.text_threshold.is_none()
            && self.link_threshold.is_none()
            && self.low_text.is_none()
            && self.mag_ratio.is_none()
    }
}

/// The states of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    PendingUpload,
    Uploaded,
    Detecting,
    DetectDone,
    OcrQueued,
    Recognizing,
    Done,
    Failed,
    /// A status this client does not know (a newer server).
    #[serde(other)]
    Unknown,
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobStatus::PendingUpload => "PENDING_UPLOAD",
            JobStatus::Uploaded => "UPLOADED",
            JobStatus::Detecting => "DETECTING",
            JobStatus::DetectDone => "DETECT_DONE",
            JobStatus::OcrQueued => "OCR_QUEUED",
            JobStatus::Recognizing => "RECOGNIZING",
            JobStatus::Done => "DONE",
            JobStatus::Failed => "FAILED",
            JobStatus::Unknown => "an unknown status",
        })
    }
}

/// Answer of create, upload and run-ocr.
#[derive(Debug, Clone, Deserialize)]
pub struct JobAccepted {
    pub job_id: String,
    pub status: JobStatus,
}

/// Why a job failed.
#[derive(Debug, Clone, Deserialize)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

/// A job as `GET /v1/ocr/jobs/{id}` shows it (the fields this client uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub job_id: String,
    pub status: JobStatus,
    pub error: Option<JobError>,
    pub page_count: Option<u32>,
    /// Revision of the boxes (the detect endpoint's ETag).
    pub detect_revision: i64,
}

/// One detected text region: four corners clockwise from the top-left, and the detector's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextBox {
    pub points: [[f32; 2]; 4],
    pub score: f32,
}

/// The boxes of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectPage {
    pub page_index: u32,
    pub width: u32,
    pub height: u32,
    pub boxes: Vec<TextBox>,
}

/// The boxes of a job at one revision.
#[derive(Debug, Clone, Deserialize)]
pub struct Detect {
    pub job_id: String,
    pub revision: i64,
    pub pages: Vec<DetectPage>,
    /// The `ETag` header: send it back as `If-Match` when saving an edit.
    #[serde(skip)]
    pub etag: String,
}

impl Detect {
    /// Boxes on all pages.
    pub fn box_count(&self) -> usize {
        self.pages.iter().map(|p| p.boxes.len()).sum()
    }
}

/// One recognized line.
#[derive(Debug, Clone, Deserialize)]
pub struct OcrLine {
    pub text: String,
    pub confidence: f32,
    pub points: [[f32; 2]; 4],
}

/// The text of one page.
#[derive(Debug, Clone, Deserialize)]
pub struct OcrPage {
    pub page_index: u32,
    pub lines: Vec<OcrLine>,
    pub text: String,
}

/// The recognition result of a job.
#[derive(Debug, Clone, Deserialize)]
pub struct OcrResult {
    pub pages: Vec<OcrPage>,
    /// All pages' text; pages are separated by a form feed line.
    pub text: String,
    /// Which models read it.
    pub model: String,
}

/// The error body every failed request carries.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
}

/// A client of one server, acting for one tenant.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Auth,
}

impl Client {
    /// `base` is the server's address, e.g. `http://127.0.0.1:8000`.
    pub fn new(base: &str, auth: Auth) -> Self {
        Self { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_owned(), auth }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::ApiKey(key) => req.bearer_auth(key),
            Auth::Tenant(tenant) => req.header("X-Tenant-Id", tenant),
        }
    }

    /// Sends the request `build` makes, again after each `Retry-After` while the server answers
    /// 429 or 503 (for up to [`RETRY_BUDGET`]); any other error status becomes [`Error::Api`].
    async fn send(&self, build: impl Fn() -> RequestBuilder) -> Result<Response> {
        let mut waited = Duration::ZERO;
        loop {
            let res = build().send().await?;
            let status = res.status();
            if status.is_success() {
                return Ok(res);
            }
            let transient = status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
            let wait = retry_after(&res);
            if !transient || waited + wait > RETRY_BUDGET {
                return Err(api_error(res).await);
            }
            waited += wait;
            tokio::time::sleep(wait).await;
        }
    }

    /// `POST /v1/ocr/jobs`: a new job waiting for its file.
    pub async fn create_job(&self, options: &JobOptions) -> Result<JobAccepted> {
        // One key for every attempt: a create repeated after a lost answer returns the same job.
        let key = uuid::Uuid::new_v4().to_string();
        let res = self
            .send(|| self.request(Method::POST, "/v1/ocr/jobs").header("Idempotency-Key", &key).json(options))
            .await?;
        Ok(res.json().await?)
    }

    /// `POST /v1/ocr/jobs/{id}/upload`: sends the document (PNG, JPEG, WebP, BMP, TIFF or PDF) as
    /// the multipart field `file`; detection starts.
    pub async fn upload(&self, job_id: &str, file: &Path) -> Result<JobAccepted> {
        let bytes =
            tokio::fs::read(file).await.map_err(|source| Error::File { path: file.display().to_string(), source })?;
        let name = file.file_name().map_or_else(|| "upload".to_owned(), |n| n.to_string_lossy().into_owned());
        let res = self
            .send(|| {
                let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone());
                self.request(Method::POST, &format!("/v1/ocr/jobs/{job_id}/upload"))
                    .multipart(reqwest::multipart::Form::new().part("file", part))
            })
            .await?;
        Ok(res.json().await?)
    }

    /// `GET /v1/ocr/jobs/{id}`.
    pub async fn job(&self, job_id: &str) -> Result<Job> {
        Ok(self.send(|| self.request(Method::GET, &format!("/v1/ocr/jobs/{job_id}"))).await?.json().await?)
    }

    /// Waits until the job is `wanted`, by long polls (each read returns when the status
    /// changes, or after [`LONG_POLL`]); [`Error::JobFailed`] if it fails, [`Error::Timeout`]
    /// after `timeout`.
    pub async fn wait(&self, job_id: &str, wanted: JobStatus, timeout: Duration) -> Result<Job> {
        let start = Instant::now();
        let mut job = self.job(job_id).await?;
        loop {
            if job.status == wanted {
                return Ok(job);
            }
            if job.status == JobStatus::Failed {
                let error = job.error.unwrap_or(JobError { code: "unknown".into(), message: "no reason given".into() });
                return Err(Error::JobFailed { job_id: job.job_id, code: error.code, message: error.message });
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout { job_id: job.job_id, status: job.status, wanted, waited: start.elapsed() });
            }
            let mut path = format!("/v1/ocr/jobs/{job_id}?wait={}", LONG_POLL.as_secs());
            if job.status != JobStatus::Unknown {
                path += &format!("&since_status={}", job.status);
            }
            job = self.send(|| self.request(Method::GET, &path)).await?.json().await?;
        }
    }

    /// `GET /v1/ocr/jobs/{id}/detect`: the boxes and the `ETag` of their revision.
    pub async fn detect(&self, job_id: &str) -> Result<Detect> {
        let res = self.send(|| self.request(Method::GET, &format!("/v1/ocr/jobs/{job_id}/detect"))).await?;
        with_etag(res).await
    }

    /// `PATCH /v1/ocr/jobs/{id}/detect` with `If-Match: etag`: the pages given replace the stored
    /// ones. If someone saved since `etag` was read, [`Error::Api`] with `precondition_failed`
    /// (412) and nothing changes. Returns the stored boxes and their new `ETag`.
    pub async fn save_boxes(&self, job_id: &str, etag: &str, pages: &[DetectPage]) -> Result<Detect> {
        let body = serde_json::json!({"job_id": job_id, "pages": pages});
        let res = self
            .send(|| {
                self.request(Method::PATCH, &format!("/v1/ocr/jobs/{job_id}/detect"))
                    .header(header::IF_MATCH, etag)
                    .json(&body)
            })
            .await?;
        with_etag(res).await
    }

    /// `POST /v1/ocr/jobs/{id}/run-ocr`: recognition on the stored boxes.
    pub async fn run_ocr(&self, job_id: &str) -> Result<JobAccepted> {
        Ok(self.send(|| self.request(Method::POST, &format!("/v1/ocr/jobs/{job_id}/run-ocr"))).await?.json().await?)
    }

    /// `GET /v1/ocr/jobs/{id}/result`: lines with their boxes and confidences, and the text.
    pub async fn result(&self, job_id: &str) -> Result<OcrResult> {
        Ok(self.send(|| self.request(Method::GET, &format!("/v1/ocr/jobs/{job_id}/result"))).await?.json().await?)
    }
}

/// The `Retry-After` of a 429/503 (whole seconds, as this server sends it), capped.
fn retry_after(res: &Response) -> Duration {
    res.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_WAIT, |secs| Duration::from_secs(secs).min(MAX_RETRY_WAIT))
}

/// Turns an error answer into [`Error::Api`]; a body that is not the API's JSON error (a proxy's
/// page) is kept, shortened, as the message.
async fn api_error(res: Response) -> Error {
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&body) {
        Ok(e) => Error::Api { status: status.as_u16(), code: e.code, message: e.message },
        Err(_) => Error::Api {
            status: status.as_u16(),
            code: format!("http_{}", status.as_u16()),
            message: body.chars().take(200).collect::<String>().trim().to_owned(),
        },
    }
}

async fn with_etag(res: Response) -> Result<Detect> {
    let etag = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).ok_or(Error::MissingEtag)?.to_owned();
    let mut detect: Detect = res.json().await?;
    detect.etag = etag;
    Ok(detect)
}

/// The review step of the examples: the page holding the box the detector is least sure of,
/// without that box, and the box removed. `None` when the document has fewer than two boxes
/// (nothing worth removing).
pub fn drop_lowest_score_box(pages: &[DetectPage]) -> Option<(DetectPage, TextBox)> {
    if pages.iter().map(|p| p.boxes.len()).sum::<usize>() < 2 {
        return None;
    }
    let (page, index) = pages
        .iter()
        .enumerate()
        .flat_map(|(p, page)| page.boxes.iter().enumerate().map(move |(b, tb)| (p, b, tb.score)))
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(p, b, _)| (p, b))?;
    let mut edited = pages[page].clone();
    let removed = edited.boxes.remove(index);
    Some((edited, removed))
}

/// What [`review_flow`] did.
#[derive(Debug, Clone)]
pub struct FlowOutcome {
    pub job_id: String,
    /// Boxes the detector found.
    pub detected_boxes: usize,
    /// The box the review step removed, if any.
    pub removed: Option<TextBox>,
    /// Boxes stored after the review (what recognition read).
    pub reviewed_boxes: usize,
    pub result: OcrResult,
}

/// How long [`review_flow`] waits for detection, and again for recognition.
pub const FLOW_TIMEOUT: Duration = Duration::from_secs(300);

/// The whole flow: create a job, upload `file`, wait for the boxes, remove the least certain
/// one ([`drop_lowest_score_box`]) and save with `If-Match`, run recognition, wait, read the
/// result. `progress` hears one sentence per step.
pub async fn review_flow(
    client: &Client,
    file: &Path,
    options: &JobOptions,
    mut progress: impl FnMut(String),
) -> Result<FlowOutcome> {
    // A missing file stops here, before a job is made.
    tokio::fs::metadata(file).await.map_err(|source| Error::File { path: file.display().to_string(), source })?;
    let job_id = client.create_job(options).await?.job_id;
    progress(format!("created job {job_id}"));
    client.upload(&job_id, file).await?;
    progress(format!("uploaded {}; detecting text", file.display()));
    client.wait(&job_id, JobStatus::DetectDone, FLOW_TIMEOUT).await?;

    let detect = client.detect(&job_id).await?;
    let detected_boxes = detect.box_count();
    progress(format!(
        "detected {detected_boxes} boxes on {} page(s) (revision {})",
        detect.pages.len(),
        detect.revision
    ));

    let (removed, reviewed_boxes) = match drop_lowest_score_box(&detect.pages) {
        Some((page, removed)) => {
            let saved = client.save_boxes(&job_id, &detect.etag, std::slice::from_ref(&page)).await?;
            progress(format!(
                "review: removed the box with the lowest score ({:.3}) on page {}; {} boxes saved (revision {})",
                removed.score,
                page.page_index,
                saved.box_count(),
                saved.revision
            ));
            (Some(removed), saved.box_count())
        }
        None => {
            progress("review: nothing to remove".to_owned());
            (None, detected_boxes)
        }
    };

    client.run_ocr(&job_id).await?;
    progress("recognizing".to_owned());
    client.wait(&job_id, JobStatus::Done, FLOW_TIMEOUT).await?;
    let result = client.result(&job_id).await?;
    let lines: usize = result.pages.iter().map(|p| p.lines.len()).sum();
    progress(format!("done: {lines} lines read by {}", result.model));
    Ok(FlowOutcome { job_id, detected_boxes, removed, reviewed_boxes, result })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(index: u32, scores: &[f32]) -> DetectPage {
        let boxes = scores.iter().map(|&score| TextBox { points: [[0.0, 0.0]; 4], score }).collect();
        DetectPage { page_index: index, width: 10, height: 10, boxes }
    }

    #[test]
    fn review_removes_the_least_certain_box_of_the_document() {
        let pages = [page(0, &[0.9, 0.8]), page(1, &[0.95, 0.5, 0.7])];
        let (edited, removed) = drop_lowest_score_box(&pages).unwrap();
        assert_eq!(removed.score, 0.5);
        assert_eq!(edited, page(1, &[0.95, 0.7]));
    }

    #[test]
    fn review_leaves_a_single_box_alone() {
        assert!(drop_lowest_score_box(&[page(0, &[0.9]), page(1, &[])]).is_none());
    }

    #[test]
    fn options_send_only_what_is_set() {
        assert_eq!(serde_json::to_value(JobOptions::default()).unwrap(), serde_json::json!({}));
        let quick = JobOptions {
            lang: Some("en".into()),
            detect: DetectOptions { canvas_size: Some(960), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(quick).unwrap(),
            serde_json::json!({"lang": "en", "detect": {"canvas_size": 960}})
        );
    }

    #[test]
    fn unknown_statuses_and_api_keys_are_handled_quietly() {
        let s: JobStatus = serde_json::from_str("\"ARCHIVED\"").unwrap();
        assert_eq!(s, JobStatus::Unknown);
        assert_eq!(format!("{:?}", Auth::ApiKey("ocrk_secret".into())), "ApiKey(…)");
    }
}
