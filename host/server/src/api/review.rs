//! Human review of recognized text: a reviewer corrects a line, the correction is kept on the
//! stored result with the machine's reading beside it (`machine_text`), and the page structure
//! (blocks, tables, pairs) is computed again from the corrected text, and the tenant's
//! `extract_fields` plugins run again on it. A reviewer corrects a field's value the same way
//! (`machine_value` keeps the plugin's); such a correction outlives the plugins' new runs.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use ocr_core::{ErrorCode, FieldEdit, JobNotes, LineEdit, OcrResult, TenantId};
use ocr_store::objects::keys;
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::{load, parse_json, result_etag, result_response, stored_result};
use super::{AppState, Tenant};

/// Longest corrected line, in characters.
const MAX_LINE_CHARS: usize = 2000;

/// Longest corrected field value, in characters.
const MAX_FIELD_CHARS: usize = 4096;

/// Attempts at the compare-and-swap before giving up under heavy concurrent editing.
const SAVE_ATTEMPTS: usize = 3;

/// Corrections of recognized lines and of field values, applied all or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultEdit {
    /// Line corrections.
    #[serde(default)]
    pub edits: Vec<LineEdit>,
    /// Field value corrections (`fields` of the result, named by index and name).
    #[serde(default)]
    pub fields: Vec<FieldEdit>,
}

/// Corrects the text of recognized lines and the values of fields. Each line edit names a line
/// by page and index; the machine's reading is kept in the line's `machine_text` (sending it
/// back undoes the edit); the page structure is computed again and the tenant's live
/// `extract_fields` plugins run again on the corrected text. Each field edit names a field by
/// its index in `fields` (as the reviewer saw them, before the plugins' new run) and its name;
/// the plugin's value is kept in `machine_value` the same way (`normalized` stays the plugin's),
/// and the correction outlives the plugins' later runs.
/// `If-Match` (optional) takes the ETag of a previous answer of this route: 412 when the
/// result changed since.
#[utoipa::path(patch, path = "/v1/ocr/jobs/{id}/result", tag = "jobs",
    params(("X-Tenant-Id" = String, Header), ("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag of the result edited (from a previous PATCH)")),
    request_body = ResultEdit,
    responses((status = 200, body = OcrResult, description = "The corrected result; `ETag` header"),
        (status = 400, body = ErrorBody, description = "An edit names no line or field, or its text is invalid (`bad_request`)"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "No result yet (not DONE)"),
        (status = 412, body = ErrorBody, description = "The result changed since the ETag sent")))]
pub async fn patch_result(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    // The job first: another tenant's or a missing job answers 404 whatever the body.
    let mut job = load(&state, &tenant, &id).await?;
    let edit: ResultEdit = parse_json(&body, state.limits.max_json_bytes)?;
    let if_match = match headers.get(header::IF_MATCH) {
        None => None,
        Some(v) => Some(v.to_str().map(|s| s.trim().trim_start_matches("W/").to_owned()).map_err(|_| {
            ApiError::new(ErrorCode::PreconditionFailed, "If-Match must be the ETag of a previous answer")
        })?),
    };
    for _ in 0..SAVE_ATTEMPTS {
        let (job_id, read_at) = (job.id, job.updated_at);
        let mut result = stored_result(&state, &mut job).await?;
        if let Some(expected) = &if_match
            && *expected != result_etag(&result)?
        {
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                "the text changed since you loaded it; reload and correct it again",
            ));
        }
        result.apply_line_edits(&edit.edits, MAX_LINE_CHARS).map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
        result.apply_field_edits(&edit.fields, MAX_FIELD_CHARS).map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
        // Corrected text can make or break a label, a number or a pair: the structure follows
        // it, and so do the fields found in it.
        ocr_layout::annotate(&mut result);
        if !edit.edits.is_empty() {
            fields_again(&state, &tenant, &mut result).await?;
        }
        let none = ocr_core::DetectResult::default();
        let boxes = job.detect_result.as_ref().unwrap_or(&none);
        let review = ocr_store::Review::of(job.machine_detect.as_ref().unwrap_or(boxes), boxes, Some(&result));
        if state.backends.db.replace_result(&tenant, job_id, read_at, &result, &review).await? {
            let json = serde_json::to_vec(&result).map_err(|e| ocr_store::Error::Corrupt(e.to_string()))?;
            if let Err(e) = state.backends.objects.put(&keys::result(&tenant, job_id), json.into()).await {
                // The database holds the correction; the object copy is a convenience.
                tracing::warn!(error = %e, "could not mirror the corrected result to object storage");
            }
            return result_response(result);
        }
        // Someone changed the job in between: read it again and re-apply the edits.
        job = load(&state, &tenant, &id).await?;
    }
    Err(ApiError::new(ErrorCode::InvalidState, "the result kept changing while saving; try again"))
}

/// Runs the tenant's live `extract_fields` chain again on corrected text, as a new reading
/// would, keeping reviewers' field corrections ([`OcrResult::refresh_fields`]). Without such a
/// chain the fields stay as they are; a chain that fails (a plugin under the `fail` policy)
/// leaves them as they are too, with a warning in the log: the text correction is saved.
async fn fields_again(state: &AppState, tenant: &TenantId, result: &mut OcrResult) -> ApiResult<()> {
    let (_, pipeline) = state.backends.db.pipeline(tenant).await?;
    if pipeline.extract_fields.is_empty() {
        return Ok(());
    }
    let mut again = result.clone();
    let mut notes = JobNotes::default();
    match state.plugins.extract_fields(&state.backends, tenant, &pipeline.extract_fields, &mut again, &mut notes).await
    {
        Ok(()) => result.refresh_fields(again.fields),
        Err(e) => {
            tracing::warn!(error = %e.message, "fields kept as they were: extract_fields failed on the corrected text")
        }
    }
    Ok(())
}
