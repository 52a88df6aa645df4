//! Page images of a job's upload, decoded again on demand: a browser cannot show a TIFF or a
//! PDF page as uploaded, so reviewers, the searchable PDF and the corrections export get each
//! page as the worker saw it, with the server's decode limits (the pixels and page count the
//! worker accepted).
//!
//! [`page_png`] is the one read path of a single page: it renders only the page asked for and
//! keeps it as a PNG under the job's object prefix (`keys::page_image`), so a review UI showing
//! every page of an N-page PDF renders each page once, not N times per view; the cache goes with
//! the job (DELETE, retention). Knows nothing of HTTP: callers map [`PageError`] to their own
//! errors. Decoding and encoding run on the blocking pool, in the caller's span.

use bytes::Bytes;
use image::RgbImage;
use ocr_inference::DecodeLimits;
use ocr_store::JobRow;
use ocr_store::objects::keys;
use ocr_worker::Backends;

/// Why a page of a job's upload could not be had.
#[derive(Debug)]
pub enum PageError {
    /// No file has been uploaded to the job yet.
    NoUpload,
    /// Object storage failed to give the upload.
    Storage(ocr_store::Error),
    /// The upload could not be decoded within the limits.
    Decode(ocr_inference::Error),
    /// Decoding or encoding crashed or failed on our side; the cause is already logged.
    Internal,
}

/// The bytes of the job's upload.
pub async fn original(backends: &Backends, job: &JobRow) -> Result<Bytes, PageError> {
    let key = job.file_key.as_deref().ok_or(PageError::NoUpload)?;
    backends.objects.get(key).await.map_err(PageError::Storage)
}

/// Decodes every page of the job's upload (the searchable PDF draws them all).
pub async fn decoded_pages(
    backends: &Backends,
    limits: &DecodeLimits,
    job: &JobRow,
) -> Result<Vec<RgbImage>, PageError> {
    let bytes = original(backends, job).await?;
    let limits = *limits;
    blocking("page decoding", move || ocr_inference::decode_pages(&bytes, &limits)).await?.map_err(PageError::Decode)
}

/// Page `index` of the job's upload as a full-size PNG, or `None` past the last page: the cached
/// rendering when there is one, else the page decoded alone and cached for the next request.
pub async fn page_png(
    backends: &Backends,
    limits: &DecodeLimits,
    job: &JobRow,
    index: usize,
) -> Result<Option<Bytes>, PageError> {
    let key = keys::page_image(&job.tenant_id, job.id, index);
    match backends.objects.get(&key).await {
        Ok(png) => return Ok(Some(png)),
        Err(e) if e.is_not_found() => {}
        Err(e) => tracing::warn!(error = %e, %key, "reading a cached page image failed; decoding the upload"),
    }
    let bytes = original(backends, job).await?;
    let limits = *limits;
    let page = blocking("page decoding", move || {
        let page = ocr_inference::decode_page(&bytes, index, &limits).map_err(PageError::Decode)?;
        page.map(|page| encode_png(&page)).transpose()
    });
    let Some(png) = page.await?? else { return Ok(None) };
    // The cache only saves work: without it the next request decodes the page again.
    if let Err(e) = backends.objects.put(&key, png.clone()).await {
        tracing::warn!(error = %e, %key, "caching a page image failed");
    } else if !matches!(backends.db.job(&job.tenant_id, job.id).await, Ok(Some(_))) {
        // The job was deleted while its page was being rendered: its prefix is already cleared.
        let _ = backends.objects.delete(&key).await;
    }
    Ok(Some(png))
}

/// A page as PNG.
pub fn encode_png(page: &RgbImage) -> Result<Bytes, PageError> {
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png).map_err(|e| {
        tracing::error!(error = %e, "encoding a page image failed");
        PageError::Internal
    })?;
    Ok(out.into_inner().into())
}

/// Runs CPU-bound work off the async runtime, in the caller's span; a panic is logged and
/// answered as [`PageError::Internal`].
pub async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PageError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(|e| {
        tracing::error!(error = %e, "{what} crashed");
        PageError::Internal
    })
}
