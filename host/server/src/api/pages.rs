//! The page-image route: one page of a job's upload as PNG, full size or scaled down for
//! thumbnails. The page itself comes from [`crate::pages::page_png`] (decoded on demand, cached
//! with the job).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use ocr_core::ErrorCode;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::load;
use super::{AppState, Tenant};
use crate::pages::{blocking, encode_png, page_png};

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
    let png = page_png(&state.backends, &state.limits.decode, &job, index).await?.ok_or_else(not_found)?;
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
    Ok(encode_png(&image::imageops::thumbnail(&page, width, height))?)
}
