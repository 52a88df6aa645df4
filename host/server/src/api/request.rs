//! What the handlers read from a request, shared so that no handler module reaches into
//! another: the job a path names, JSON bodies and multipart fields within their limits, times in
//! a query, a callback URL checked against the policy, and a job's stored result with the ETag
//! it is answered with.
//!
//! Handlers (`jobs`, `pages`, `review`, `settings`, …) use this module; it uses none of them.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ocr_core::{ErrorCode, JobId, JobStatus, OcrResult, TenantId};
use ocr_store::JobRow;
use ocr_store::objects::keys;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::{ApiError, ApiResult};

fn parse_job_id(raw: &str) -> ApiResult<JobId> {
    // A malformed id is answered exactly like a missing one.
    raw.parse().map_err(|_| ApiError::job_not_found())
}

/// The tenant's job the path names; another tenant's, a missing or a malformed id is 404.
pub(crate) async fn load(state: &AppState, tenant: &TenantId, raw_id: &str) -> ApiResult<JobRow> {
    let id = parse_job_id(raw_id)?;
    state.backends.db.job(tenant, id).await?.ok_or_else(ApiError::job_not_found)
}

/// A JSON body of at most `max` bytes.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], max: usize) -> ApiResult<T> {
    if body.len() > max {
        return Err(ApiError::new(ErrorCode::PayloadTooLarge, format!("JSON bodies are limited to {max} bytes")));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON body: {e}")))
}

/// Maps a multipart error: a body over the limit is 413, anything else 400.
pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError, max: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        ApiError::new(ErrorCode::BadRequest, format!("malformed multipart body: {}", e.body_text()))
    }
}

/// Reads one field, counting bytes as they stream in: past `max` it stops with 413.
pub(crate) async fn read_field(mut field: axum::extract::multipart::Field<'_>, max: usize) -> ApiResult<Bytes> {
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        if buf.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        buf.extend_from_slice(&chunk);
    }
    if buf.is_empty() {
        return Err(ApiError::new(ErrorCode::MissingFile, "the file field is empty"));
    }
    Ok(buf.freeze())
}

/// 413 for a file over the `max`-byte limit.
pub(crate) fn too_large(max: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("the file is larger than the {max}-byte limit"))
}

/// An RFC 3339 time in the query parameter `name`, as milliseconds since the epoch.
pub(crate) fn parse_time(name: &str, value: &str) -> ApiResult<i64> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, format!("{name} must be an RFC 3339 time, got {value:?}")))
}

/// Checks a callback URL against the private-address policy; events need a signing secret.
pub(crate) async fn check_callback(state: &AppState, tenant: &TenantId, url: &str) -> ApiResult<()> {
    ocr_webhooks::check_url(url, state.webhook_allow_private)
        .map_err(|e| ApiError::new(ErrorCode::InvalidOptions, e.to_string()))?;
    if state.backends.db.tenant_settings(tenant).await?.webhook_secret.is_none() {
        return Err(ApiError::new(
            ErrorCode::InvalidOptions,
            "events are signed: create a webhook secret first with POST /v1/settings/webhook-secret",
        ));
    }
    Ok(())
}

/// The stored recognition result of a DONE job (database first, object storage as fallback);
/// takes it out of the row rather than copying it. A result stored before page structure
/// existed gets it here.
pub(crate) async fn stored_result(state: &AppState, job: &mut JobRow) -> ApiResult<OcrResult> {
    if job.status != JobStatus::Done {
        return Err(ApiError::new(
            ErrorCode::ResultNotReady,
            format!("the result is ready when the job is DONE; it is {}", job.status),
        ));
    }
    let mut result: OcrResult = match job.ocr_result.take() {
        Some(r) => r,
        None => {
            let bytes = state.backends.objects.get(&keys::result(&job.tenant_id, job.id)).await?;
            serde_json::from_slice(&bytes).map_err(|e| ocr_store::Error::Corrupt(e.to_string()))?
        }
    };
    if result.pages.iter().all(|p| p.blocks.is_empty()) {
        // Stored before results had a structure: computed on the way out (pure and cheap).
        ocr_layout::annotate(&mut result);
    }
    Ok(result)
}

/// The result's ETag: a digest of its JSON, so any change to the text changes it.
pub(crate) fn result_etag(result: &OcrResult) -> ApiResult<String> {
    let json = serde_json::to_vec(result).map_err(|e| ocr_store::Error::Corrupt(e.to_string()))?;
    let digest = Sha256::digest(&json);
    Ok(format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// A result as JSON with its ETag: the one a correction (`If-Match`) is made against.
pub(crate) fn result_response(result: OcrResult) -> ApiResult<Response> {
    let etag = result_etag(&result)?;
    let mut res = axum::Json(result).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}
