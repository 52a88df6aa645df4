//! `GET /v1/corrections`: the tenant's reviewers' corrections, paged, for tenants that opted in
//! (`share_corrections` in `PUT /v1/settings`).

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ocr_core::{ErrorCode, JobId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::parse_time;
use super::{AppState, Tenant};
use crate::corrections::{Correction, embed, job_corrections};

/// Reviewed jobs per page at most.
const MAX_JOBS_PER_PAGE: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CorrectionsQuery {
    /// Only jobs reviewed at or after this time (RFC 3339).
    pub since: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Reviewed jobs per page, 1-100 (default 20); every correction of a job is on one page.
    pub limit: Option<u32>,
    /// `json` (default: one document with `records` and `next_cursor`) or `jsonl` (one record
    /// per line, the next cursor in the `X-Next-Cursor` header).
    pub format: Option<String>,
}

/// One page of corrections.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CorrectionPage {
    pub records: Vec<Correction>,
    /// Pass as `cursor` for the next page; absent on the last page. A job reviewed again later
    /// comes again, with its corrections as they are then.
    pub next_cursor: Option<String>,
}

fn parse_cursor(raw: &str) -> ApiResult<(i64, JobId)> {
    raw.split_once('_')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.parse().ok()?)))
        .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "cursor must be a next_cursor this route returned"))
}

/// The tenant's corrections, oldest review first: each line a reviewer changed, with the crop
/// the recognizer read (PNG, base64), and each page whose boxes a reviewer changed, before and
/// after. 403 `not_opted_in` unless the tenant set `share_corrections`.
#[utoipa::path(get, path = "/v1/corrections", tag = "review", params(("X-Tenant-Id" = String, Header), CorrectionsQuery),
    responses((status = 200, body = CorrectionPage, description = "JSON, or JSON lines with format=jsonl"),
        (status = 403, body = ErrorBody, description = "The tenant has not opted in (not_opted_in)")))]
pub async fn list_corrections(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Query(q): Query<CorrectionsQuery>,
) -> ApiResult<Response> {
    let jsonl = match q.format.as_deref().unwrap_or("json") {
        "json" => false,
        "jsonl" => true,
        other => {
            return Err(ApiError::new(ErrorCode::BadRequest, format!("format must be json or jsonl, got {other:?}")));
        }
    };
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_JOBS_PER_PAGE).contains(&limit) {
        return Err(ApiError::new(ErrorCode::BadRequest, format!("limit must be 1-{MAX_JOBS_PER_PAGE}")));
    }
    let since = q.since.as_deref().map(|s| parse_time("since", s)).transpose()?.unwrap_or(i64::MIN);
    let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
    if !state.backends.db.tenant_settings(&tenant).await?.share_corrections {
        return Err(ApiError::new(
            ErrorCode::NotOptedIn,
            "this tenant does not share its corrections; opt in with PUT /v1/settings {\"share_corrections\": true}",
        ));
    }
    let jobs = state.backends.db.reviewed_jobs(&tenant, since, after, limit).await?;
    let next_cursor = (jobs.len() == limit as usize)
        .then(|| jobs.last().map(|j| format!("{}_{}", j.reviewed_at.unwrap_or_default(), j.id)))
        .flatten();
    let mut records = Vec::new();
    for job in &jobs {
        for (mut record, crop) in
            job_corrections(&state.backends, &state.limits.decode, job).await.map_err(ApiError::from)?
        {
            embed(&mut record, crop);
            records.push(record);
        }
    }
    if !jsonl {
        return Ok(axum::Json(CorrectionPage { records, next_cursor }).into_response());
    }
    let mut body = Vec::new();
    for r in &records {
        serde_json::to_writer(&mut body, r).map_err(|e| ocr_store::Error::Corrupt(e.to_string()))?;
        body.push(b'\n');
    }
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    if let Some(c) = next_cursor.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert("x-next-cursor", c);
    }
    Ok(res)
}
