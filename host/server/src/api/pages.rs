//! Page images of a job's upload, decoded again on demand: a browser cannot show a TIFF or a
//! PDF page as uploaded, so reviewers (and the searchable PDF) get each page as the worker saw it.
//!
//! The image route renders only the page asked for and keeps it as a PNG under the job's object
//! prefix (`keys::page_image`), so a review UI showing every page of an N-page PDF renders each
//! page once, not N times per view; the cache goes with the job (DELETE, retention).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use image::RgbImage;
use ocr_core::ErrorCode;
use ocr_store::JobRow;
use ocr_store::objects::keys;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::jobs::load;
use super::{AppState, Tenant};

/// Decodes every page of the job's upload with the server's decode limits (the same pixels and
/// page count the worker accepted).
pub(crate) async fn decoded_pages(state: &AppState, job: &JobRow) -> ApiResult<Vec<RgbImage>> {
    let bytes = original(state, job).await?;
    let limits = state.limits.decode;
    blocking("page decoding", move || ocr_inference::decode_pages(&bytes, &limits)).await?.map_err(decode_error)
}

fn decode_error(e: ocr_inference::Error) -> ApiError {
    ApiError::new(e.code(), e.to_string())
}

/// The bytes of the job's upload.
async fn original(state: &AppState, job: &JobRow) -> ApiResult<Bytes> {
    let key = job
        .file_key
        .as_deref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no file has been uploaded to this job yet"))?;
    Ok(state.backends.objects.get(key).await?)
}

/// Runs CPU-bound work off the async runtime, in the caller's span; a panic is logged and
/// answered as a 500.
async fn blocking<T: Send + 'static>(what: &'static str, work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(|e| {
        tracing::error!(error = %e, "{what} crashed");
        ApiError::new(ErrorCode::Internal, "internal error")
    })
}

/// Page `index` of the job's upload as a full-size PNG, or `None` past the last page: the cached
/// rendering when there is one, else the page decoded alone and cached for the next request.
async fn page_png(state: &AppState, job: &JobRow, index: usize) -> ApiResult<Option<Bytes>> {
    let key = keys::page_image(&job.tenant_id, job.id, index);
    match state.backends.objects.get(&key).await {
        Ok(png) => return Ok(Some(png)),
        Err(e) if e.is_not_found() => {}
        Err(e) => tracing::warn!(error = %e, %key, "reading a cached page image failed; decoding the upload"),
    }
    let bytes = original(state, job).await?;
    let limits = state.limits.decode;
    let page = blocking("page decoding", move || {
        let page = ocr_inference::decode_page(&bytes, index, &limits).map_err(decode_error)?;
        page.map(|page| encode_png(&page)).transpose()
    });
    let Some(png) = page.await?? else { return Ok(None) };
    // The cache only saves work: without it the next request decodes the page again.
    if let Err(e) = state.backends.objects.put(&key, png.clone()).await {
        tracing::warn!(error = %e, %key, "caching a page image failed");
    } else if !matches!(state.backends.db.job(&job.tenant_id, job.id).await, Ok(Some(_))) {
        // The job was deleted while its page was being rendered: its prefix is already cleared.
        let _ = state.backends.objects.delete(&key).await;
    }
    Ok(Some(png))
}

fn encode_png(page: &RgbImage) -> ApiResult<Bytes> {
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png).map_err(|e| {
        tracing::error!(error = %e, "encoding a page image failed");
        ApiError::new(ErrorCode::Internal, "internal error")
    })?;
    Ok(out.into_inner().into())
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
    let png = page_png(&state, &job, index).await?.ok_or_else(not_found)?;
    let png = match q.width {
        Some(width) if width > 0 => blocking("page scaling", move || thumbnail(png, width)).await??,
        _ => png,
    };
    let mut res = png.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    // The upload never changes once accepted.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(res)
}

/// The full-size page `png` scaled down to `width` pixels wide, or as it is when not wider.
fn thumbnail(png: Bytes, width: u32) -> ApiResult<Bytes> {
    let reader = || image::ImageReader::with_format(std::io::Cursor::new(&png[..]), image::ImageFormat::Png);
    let internal = |e: image::ImageError| {
        tracing::error!(error = %e, "reading a page PNG to scale it failed");
        ApiError::new(ErrorCode::Internal, "internal error")
    };
    let (w, h) = reader().into_dimensions().map_err(internal)?;
    if width >= w {
        return Ok(png);
    }
    let page = reader().decode().map_err(internal)?.into_rgb8();
    let height = ((u64::from(h) * u64::from(width)) / u64::from(w)).max(1) as u32;
    encode_png(&image::imageops::thumbnail(&page, width, height))
}
