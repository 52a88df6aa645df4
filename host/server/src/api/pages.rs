//! Page images of a job's upload, decoded again on demand: a browser cannot show a TIFF or a
//! PDF page as uploaded, so reviewers (and the searchable PDF) get each page as the worker saw it.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use image::RgbImage;
use ocr_core::ErrorCode;
use ocr_store::JobRow;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::jobs::load;
use super::{AppState, Tenant};

/// Decodes every page of the job's upload with the server's decode limits (the same pixels and
/// page count the worker accepted).
pub(crate) async fn decoded_pages(state: &AppState, job: &JobRow) -> ApiResult<Vec<RgbImage>> {
    let key = job
        .file_key
        .clone()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no file has been uploaded to this job yet"))?;
    let bytes = state.backends.objects.get(&key).await?;
    let limits = state.limits.decode;
    tokio::task::spawn_blocking(move || ocr_inference::decode_pages(&bytes, &limits))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "page decoding crashed");
            ApiError::new(ErrorCode::Internal, "internal error")
        })?
        .map_err(|e| ApiError::new(e.code(), e.to_string()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImageQuery {
    /// Scale the page down to at most this many pixels wide (thumbnails); never scales up.
    pub width: Option<u32>,
}

/// One page of the uploaded document as PNG, in the pixel coordinates of the boxes.
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}/pages/{page}/image", tag = "jobs",
    params(("X-Tenant-Id" = String, Header), ("id" = String, Path), ("page" = u32, Path, description = "0-based page index"), ImageQuery),
    responses((status = 200, content_type = "image/png", description = "The page"), (status = 404, body = ErrorBody)))]
pub async fn get_page_image(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((id, page)): Path<(String, String)>,
    Query(q): Query<ImageQuery>,
) -> ApiResult<Response> {
    let job = load(&state, &tenant, &id).await?;
    let not_found = || ApiError::new(ErrorCode::NotFound, "the job has no such page");
    let index: usize = page.parse().map_err(|_| not_found())?;
    let mut pages = decoded_pages(&state, &job).await?;
    if index >= pages.len() {
        return Err(not_found());
    }
    let page = pages.swap_remove(index);
    let png = tokio::task::spawn_blocking(move || {
        let page = match q.width {
            Some(w) if w > 0 && w < page.width() => {
                let h = ((page.height() as u64 * w as u64) / page.width() as u64).max(1) as u32;
                image::imageops::thumbnail(&page, w, h)
            }
            _ => page,
        };
        let mut out = std::io::Cursor::new(Vec::new());
        page.write_to(&mut out, image::ImageFormat::Png).map(|_| out.into_inner())
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "internal error"))?
    .map_err(|e| {
        tracing::error!(error = %e, "encoding a page image failed");
        ApiError::new(ErrorCode::Internal, "internal error")
    })?;
    let mut res = png.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    // The upload never changes once accepted.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(res)
}
