//! The job routes of the original platform.

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ocr_core::{DetectResult, ErrorCode, JobId, JobOptions, JobStatus, OcrResult, TaskKind};
use ocr_store::objects::keys;
use ocr_store::{Admission, EditOutcome, FileMeta, JobRow, QuotaExceeded, QuotaKind, Task};
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::{check_callback, load, multipart_error, parse_json, result_response, stored_result, too_large};
use super::types::{DetectEdit, DetectView, JobAccepted, JobList, JobView};
use super::{AppState, Tenant};

/// Test-only fail point: with `OCR_TEST_FAILPOINT=upload-after-commit` the process aborts right
/// after an upload is committed and before its task is queued, to prove the sweeper recovers.
const FAILPOINT_ENV: &str = "OCR_TEST_FAILPOINT";

/// 429 `quota_exceeded`, naming the quota and what waits.
fn over_quota(e: QuotaExceeded) -> ApiError {
    let message = match e.quota {
        QuotaKind::WaitingJobs => {
            format!(
                "this tenant has {} jobs queued or running and its quota is {}; wait for some to finish",
                e.usage.jobs, e.limit
            )
        }
        QuotaKind::WaitingBytes => format!(
            "this tenant has {} bytes of files queued or running and the quota is {} bytes; wait for some jobs to finish",
            e.usage.bytes, e.limit
        ),
    };
    ApiError::new(ErrorCode::QuotaExceeded, message).with_retry_after(std::time::Duration::from_secs(5))
}

async fn enqueue(state: &AppState, task: Task) {
    let job_id = task.job_id;
    // The job is committed; if this send fails the sweeper sends it later.
    if let Err(e) = state.backends.queue.push(task).await {
        tracing::warn!(error = %e, %job_id, "could not queue the task; the sweeper will retry");
    }
}

/// Creates a job. Body (optional): job options. `Idempotency-Key`: the same key returns the same job (200).
#[utoipa::path(post, path = "/v1/ocr/jobs", tag = "jobs",
    params(("X-Tenant-Id" = String, Header), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe creation")),
    request_body(content = Option<JobOptions>, content_type = "application/json"),
    responses((status = 201, body = JobAccepted), (status = 200, body = JobAccepted, description = "Existing job for this Idempotency-Key"),
        (status = 400, body = ErrorBody)))]
pub async fn create_job(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let options: JobOptions = if body.iter().all(u8::is_ascii_whitespace) {
        JobOptions::default()
    } else {
        parse_json(&body, state.limits.max_json_bytes).map_err(|e| {
            if e.code == ErrorCode::InvalidJson { ApiError::new(ErrorCode::InvalidOptions, e.message) } else { e }
        })?
    };
    options.detect.validate().map_err(|m| ApiError::new(ErrorCode::InvalidOptions, m))?;
    if let Some(url) = &options.callback_url {
        check_callback(&state, &tenant, url).await?;
    }
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::BadRequest, "Idempotency-Key must be 1-255 visible ASCII characters")
                })?
                .to_owned(),
        ),
    };
    let (job, created) = state.backends.db.create_job(&tenant, &options, key.as_deref()).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(JobAccepted { job_id: job.id.to_string(), status: job.status })).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only jobs in this status.
    status: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1-200 (default 50).
    limit: Option<u32>,
}

/// The tenant's jobs, newest first.
#[utoipa::path(get, path = "/v1/ocr/jobs", tag = "jobs", params(("X-Tenant-Id" = String, Header), ListQuery),
    responses((status = 200, body = JobList), (status = 400, body = ErrorBody)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<JobList>> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| ApiError::new(ErrorCode::BadRequest, format!("unknown status {s:?}")))
        })
        .transpose()?;
    let cursor = q
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<JobId>().map_err(|_| ApiError::new(ErrorCode::BadRequest, "cursor must be a next_cursor value"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::new(ErrorCode::BadRequest, "limit must be between 1 and 200"));
    }
    let rows = state.backends.db.list_jobs(&tenant, status, cursor, limit + 1).await?;
    let more = rows.len() > limit as usize;
    let jobs: Vec<JobView> = rows.into_iter().take(limit as usize).map(|r| JobView::from_row(r, false)).collect();
    let next_cursor = if more { jobs.last().map(|j| j.job_id.clone()) } else { None };
    Ok(axum::Json(JobList { jobs, next_cursor }))
}

/// Deletes a job and its stored objects. Refused (409) while a worker runs it.
#[utoipa::path(delete, path = "/v1/ocr/jobs/{id}", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_job(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let job = load(&state, &tenant, &id).await?;
    if matches!(job.status, JobStatus::Detecting | JobStatus::Recognizing) {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            format!("the job is {}; delete it when that finishes", job.status),
        ));
    }
    state.backends.objects.delete_prefix(&keys::job_prefix(&tenant, job.id)).await?;
    if !state.backends.db.delete_job(&tenant, job.id).await? {
        return Err(ApiError::job_not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads the document (multipart field `file`: PNG, JPEG, WebP, BMP, TIFF or PDF) and queues detection.
#[utoipa::path(post, path = "/v1/ocr/jobs/{id}/upload", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "Field `file`"),
    responses((status = 202, body = JobAccepted), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Already uploaded"), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, axum::Json<JobAccepted>)> {
    let job = load(&state, &tenant, &id).await?;
    if job.status != JobStatus::PendingUpload {
        return Err(ApiError::new(
            ErrorCode::AlreadyUploaded,
            "this job already has a file; create a new job for another one",
        ));
    }
    // Refused early, before the body is stored, when the quota is plainly full; the admission
    // below decides atomically (it reads the tenant's own quota under its lock).
    let quota = state.backends.db.quota_override(&tenant).await?.over(state.limits.quota);
    quota.check(state.backends.db.usage(&tenant).await?, 0).map_err(over_quota)?;
    let mut multipart = multipart
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("expected a multipart/form-data body: {e}")))?;
    // A fresh key per upload: a racing second upload can never overwrite the first one's file.
    let key = format!("{}/original-{}", keys::job_prefix(&tenant, job.id), uuid::Uuid::new_v4().simple());
    let meta = store_file_field(&state, &mut multipart, &key).await?;
    // Stored but not recorded (the database failed, or a racing upload won): remove it again.
    // Should that fail too, it stays under the job's prefix, which DELETE and retention clear.
    let admission = state.backends.db.admit_upload(&tenant, job.id, &meta, state.limits.quota).await;
    if !matches!(admission, Ok(Admission::Admitted)) {
        let _ = state.backends.objects.delete(&key).await;
    }
    match admission? {
        Admission::Admitted => {}
        Admission::OverQuota(e) => return Err(over_quota(e)),
        Admission::WrongState => {
            return Err(ApiError::new(
                ErrorCode::AlreadyUploaded,
                "this job already has a file; create a new job for another one",
            ));
        }
    }
    if std::env::var(FAILPOINT_ENV).as_deref() == Ok("upload-after-commit") {
        tracing::error!("fail point upload-after-commit: aborting between commit and enqueue");
        std::process::abort();
    }
    enqueue(&state, Task { kind: TaskKind::Detect, job_id: job.id, tenant }).await;
    Ok((StatusCode::ACCEPTED, axum::Json(JobAccepted { job_id: job.id.to_string(), status: JobStatus::Uploaded })))
}

/// Streams the `file` field of an upload to object storage under `key`, counting bytes (past
/// the limit: 413) and telling its type from the first bytes (unknown: 415) before any part is
/// sent; memory holds one part at most however large the file.
async fn store_file_field(state: &AppState, multipart: &mut Multipart, key: &str) -> ApiResult<FileMeta> {
    let max = state.limits.max_upload_bytes;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(|n| n.chars().filter(|c| !c.is_control()).take(255).collect());
        let mut writer = state.backends.objects.writer(key);
        let mut head = Vec::new();
        let stored = async {
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
                if writer.size() as usize + chunk.len() > max {
                    return Err(too_large(max));
                }
                if head.len() < SNIFF_BYTES {
                    head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len())]);
                    if head.len() == SNIFF_BYTES {
                        sniff(&head)?;
                    }
                }
                writer.write(&chunk).await?;
            }
            if writer.size() == 0 {
                return Err(ApiError::new(ErrorCode::MissingFile, "the file field is empty"));
            }
            sniff(&head)
        }
        .await;
        return match stored {
            Ok(content_type) => {
                let size = writer.size() as i64;
                writer.finish().await?;
                Ok(FileMeta { key: key.to_owned(), name, content_type: content_type.to_owned(), size })
            }
            Err(e) => {
                writer.abort().await;
                Err(e)
            }
        };
    }
    Err(ApiError::new(ErrorCode::MissingFile, "send the document in a multipart field named `file`"))
}

/// Bytes enough to tell every accepted type by its magic number.
const SNIFF_BYTES: usize = 32;

fn sniff(head: &[u8]) -> ApiResult<&'static str> {
    ocr_inference::sniff(head).ok_or_else(|| {
        ApiError::new(ErrorCode::UnsupportedMediaType, "unsupported file type; send PNG, JPEG, WebP, BMP, TIFF or PDF")
    })
}

/// The original file as uploaded.
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}/file", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 200, description = "The original bytes"), (status = 404, body = ErrorBody)))]
pub async fn get_file(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let job = load(&state, &tenant, &id).await?;
    let key =
        job.file_key.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no file has been uploaded to this job yet"))?;
    let data = state.backends.objects.get(&key).await?;
    let ct = job.content_type.unwrap_or_else(|| "application/octet-stream".into());
    let mut res = data.into_response();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(res)
}

fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

async fn stored_detect(state: &AppState, job: &JobRow) -> ApiResult<DetectResult> {
    if let Some(d) = &job.detect_result {
        return Ok(d.clone());
    }
    if job.detect_revision == 0 {
        return Err(ApiError::new(ErrorCode::ResultNotReady, format!("no boxes yet: the job is {}", job.status)));
    }
    // Database first, object storage as fallback.
    let bytes = state.backends.objects.get(&keys::detect(&job.tenant_id, job.id)).await?;
    serde_json::from_slice(&bytes).map_err(|e| ocr_store::Error::Corrupt(e.to_string()).into())
}

/// The detected boxes (database first, object storage as fallback). `ETag` carries the revision.
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}/detect", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 200, body = DetectView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Detection has not finished")))]
pub async fn get_detect(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let job = load(&state, &tenant, &id).await?;
    let result = stored_detect(&state, &job).await?;
    let mut res =
        axum::Json(DetectView { job_id: job.id.to_string(), revision: job.detect_revision, pages: result.pages })
            .into_response();
    res.headers_mut().insert(header::ETAG, etag(job.detect_revision));
    Ok(res)
}

/// Replaces the boxes of the pages named (a reviewer's edit). Send `If-Match` with the ETag you
/// edited: if someone saved in between, 412 and nothing changes. Without `If-Match` the edit
/// applies to the current revision (the original platform's behaviour).
#[utoipa::path(patch, path = "/v1/ocr/jobs/{id}/detect", tag = "jobs",
    params(("X-Tenant-Id" = String, Header), ("id" = String, Path), ("If-Match" = Option<String>, Header, description = "ETag of the revision edited")),
    request_body = DetectEdit,
    responses((status = 200, body = DetectView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Recognition queued or running"),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody, description = "Boxes invalid")))]
pub async fn patch_detect(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let job = load(&state, &tenant, &id).await?;
    let edit: DetectEdit = parse_json(&body, state.limits.max_json_bytes)?;
    if let Some(jid) = &edit.job_id
        && jid != &job.id.to_string()
    {
        return Err(ApiError::new(ErrorCode::InvalidBoxes, "job_id in the body does not match the URL"));
    }
    if !job.status.boxes_editable() {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            format!("boxes cannot be edited while the job is {}", job.status),
        ));
    }
    let expected = match headers.get(header::IF_MATCH) {
        None => job.detect_revision,
        Some(v) => v
            .to_str()
            .ok()
            .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| {
                ApiError::new(ErrorCode::PreconditionFailed, "If-Match must be the ETag from GET …/detect")
            })?,
    };
    let current = stored_detect(&state, &job).await?;
    let edited = DetectResult { pages: edit.pages };
    current
        .validate_edit(&edited, state.limits.max_boxes_per_page)
        .map_err(|m| ApiError::new(ErrorCode::InvalidBoxes, m))?;
    let merged = current.apply_edit(edited);
    // Figures as they will be: the machine's boxes (kept at the first edit) against the new ones.
    let machine = job.machine_detect.as_ref().unwrap_or(&current);
    let review = ocr_store::Review::of(machine, &merged, job.ocr_result.as_ref());
    match state.backends.db.edit_boxes(&tenant, job.id, expected, &merged, &review).await? {
        EditOutcome::Stored { revision } => {
            let json = serde_json::to_vec(&merged).map_err(|e| ocr_store::Error::Corrupt(e.to_string()))?;
            if let Err(e) = state.backends.objects.put(&keys::detect(&tenant, job.id), json.into()).await {
                // The database holds the edit; the object copy is a convenience.
                tracing::warn!(error = %e, "could not mirror the edited boxes to object storage");
            }
            let mut res =
                axum::Json(DetectView { job_id: job.id.to_string(), revision, pages: merged.pages }).into_response();
            res.headers_mut().insert(header::ETAG, etag(revision));
            Ok(res)
        }
        EditOutcome::RevisionMismatch { current } => Err(ApiError::new(
            ErrorCode::PreconditionFailed,
            format!("the boxes changed since you loaded them (now revision {current}); reload and edit again"),
        )),
        EditOutcome::WrongState(status) => {
            Err(ApiError::new(ErrorCode::InvalidState, format!("boxes cannot be edited while the job is {status}")))
        }
        EditOutcome::NotFound => Err(ApiError::job_not_found()),
    }
}

/// Queues recognition on the stored (possibly edited) boxes.
#[utoipa::path(post, path = "/v1/ocr/jobs/{id}/run-ocr", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 202, body = JobAccepted), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not in DETECT_DONE or DONE")))]
pub async fn run_ocr(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<JobAccepted>)> {
    let job = load(&state, &tenant, &id).await?;
    let refused = || {
        ApiError::new(
            ErrorCode::InvalidState,
            format!("recognition can run after detection (DETECT_DONE or DONE); the job is {}", job.status),
        )
    };
    if !job.status.recognition_allowed() {
        return Err(refused());
    }
    if let (JobStatus::DetectDone, Some(detected)) = (job.status, job.detect_done_at) {
        // The human review step: from boxes ready to recognition asked for.
        metrics::histogram!("ocr_review_wait_seconds").record((ocr_store::now_ms() - detected).max(0) as f64 / 1000.0);
    }
    let size = job.file_size.unwrap_or(0);
    match state.backends.db.admit_recognition(&tenant, job.id, job.status, size, state.limits.quota).await? {
        Admission::Admitted => {}
        Admission::OverQuota(e) => return Err(over_quota(e)),
        Admission::WrongState => return Err(refused()),
    }
    enqueue(&state, Task { kind: TaskKind::Recognize, job_id: job.id, tenant }).await;
    Ok((StatusCode::ACCEPTED, axum::Json(JobAccepted { job_id: job.id.to_string(), status: JobStatus::OcrQueued })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ResultQuery {
    /// `json` (default), `text`, `hocr`, `alto` or `pdf`.
    #[param(inline, value_type = Option<ResultFormat>)]
    format: Option<String>,
}

/// The documents the result route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ResultFormat {
    /// The result as stored: pages → lines with quads, confidences, models, plugins, edits, and
    /// each page's structure (blocks in reading order, tables, key–value pairs).
    Json,
    /// Plain text in reading order (block by block), one line per line, a table row on one line
    /// with its cells tab-separated, pages separated by a form-feed line.
    Text,
    /// hOCR (XHTML): pages, blocks (`ocr_carea`/`ocr_par`), lines and words with bounding boxes
    /// and word confidences.
    Hocr,
    /// ALTO 4.2 XML: pages, blocks (`TextBlock`), lines and words (`String`) with positions and
    /// confidences.
    Alto,
    /// A searchable PDF: the page images with an invisible text layer over the lines.
    Pdf,
}

impl ResultFormat {
    fn parse(raw: Option<&str>) -> ApiResult<Self> {
        Ok(match raw.unwrap_or("json") {
            "json" => Self::Json,
            "text" => Self::Text,
            "hocr" => Self::Hocr,
            "alto" => Self::Alto,
            "pdf" => Self::Pdf,
            other => {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    format!("unknown format {other:?}; use json, text, hocr, alto or pdf"),
                ));
            }
        })
    }
}

/// The recognized text in one of several formats: JSON (pages → lines with boxes and
/// confidences), plain text, hOCR, ALTO, or a searchable PDF of the page images.
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}/result", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path), ResultQuery),
    responses(
        (status = 200, description = "The result in the asked format (`Content-Disposition: attachment` for the PDF)", content(
            (OcrResult = "application/json"),
            (String = "text/plain; charset=utf-8"),
            (String = "text/html; charset=utf-8"),
            (String = "application/xml"),
            ("application/pdf"))),
        (status = 400, body = ErrorBody, description = "Unknown format"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not DONE yet")))]
pub async fn get_result(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    Query(q): Query<ResultQuery>,
) -> ApiResult<Response> {
    let format = ResultFormat::parse(q.format.as_deref())?;
    let mut job = load(&state, &tenant, &id).await?;
    let result = stored_result(&state, &mut job).await?;
    let source = ocr_formats::Source {
        // `auto` names no language: the lines may be of either.
        lang: (job.options.lang != ocr_core::Lang::Auto).then(|| job.options.lang.as_str()),
        file_name: job.file_name.as_deref(),
    };
    let typed =
        |content_type: &'static str, body: String| ([(header::CONTENT_TYPE, content_type)], body).into_response();
    Ok(match format {
        ResultFormat::Json => result_response(result)?,
        ResultFormat::Text => typed("text/plain; charset=utf-8", ocr_formats::text(&result)),
        ResultFormat::Hocr => typed("text/html; charset=utf-8", ocr_formats::hocr(&result, source)),
        ResultFormat::Alto => typed("application/xml", ocr_formats::alto(&result, source)),
        ResultFormat::Pdf => {
            let pages = crate::pages::decoded_pages(&state.backends, &state.limits.decode, &job).await?;
            let span = tracing::Span::current();
            let pdf = tokio::task::spawn_blocking(move || span.in_scope(|| ocr_formats::pdf(&result, &pages)))
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "making the PDF crashed");
                    ApiError::new(ErrorCode::Internal, "internal error")
                })?
                .map_err(|e| {
                    tracing::error!(error = %e, job_id = %job.id, "making the PDF failed");
                    ApiError::new(ErrorCode::Internal, "internal error")
                })?;
            let disposition = format!("attachment; filename=\"{}.pdf\"", job.id);
            let mut res = pdf.into_response();
            let headers = res.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .map_err(|_| ApiError::new(ErrorCode::Internal, "internal error"))?,
            );
            res
        }
    })
}
