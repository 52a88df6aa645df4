//! Reviewers' corrections as data: for every corrected line, the crop the recognizer read with
//! the machine's and the reviewer's text; for every page whose boxes a reviewer changed, the
//! boxes before and after. Served by `GET /v1/corrections` and written to a folder by
//! `ocr-server corrections export` (format: docs/corrections.md). Nothing is copied elsewhere:
//! corrections live as long as their job does under the tenant's retention.

use base64::Engine as _;
use image::RgbImage;
use ocr_core::review::BoxDiff;
use ocr_core::{ErrorCode, JobError, Quad, TextBox};
use ocr_inference::DecodeLimits;
use ocr_store::JobRow;
use ocr_worker::Backends;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::types::rfc3339;
use crate::pages::{PageError, blocking, page_png};

/// One correction record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Correction {
    /// A line whose text a reviewer changed.
    Line(LineCorrection),
    /// A page whose boxes a reviewer changed.
    Boxes(BoxesCorrection),
}

/// A corrected line and the image the recognizer read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineCorrection {
    pub job_id: String,
    pub page_index: u32,
    pub line_index: u32,
    pub page_width: u32,
    pub page_height: u32,
    /// The line's box on the page (clockwise from top-left, page pixels).
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    /// What the recognizer (and plugins) read.
    pub machine_text: String,
    /// What the reviewer wrote.
    pub text: String,
    /// The models that read it.
    pub model: String,
    /// Plugins that changed the text, `name@version`.
    pub plugins: Vec<String>,
    pub pipeline_version: Option<i64>,
    /// When the job was last reviewed.
    pub reviewed_at: String,
    /// The recognizer's input: the line straightened and scaled to 32 px high, as PNG in base64
    /// (in the API; the folder export writes the file and names it in `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_png: Option<String>,
    /// The crop's file, relative to the export folder (folder export only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub image_width: u32,
    pub image_height: u32,
}

/// A page's boxes before and after review.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoxesCorrection {
    pub job_id: String,
    pub page_index: u32,
    pub page_width: u32,
    pub page_height: u32,
    /// As the detector and the tenant's plugins left them.
    pub machine_boxes: Vec<TextBox>,
    /// As the reviewer left them.
    pub reviewed_boxes: Vec<TextBox>,
    pub added: u32,
    pub removed: u32,
    pub moved: u32,
    pub pipeline_version: Option<i64>,
    pub reviewed_at: String,
}

/// A corrected line's crop, for the caller to embed or write out.
pub struct Crop {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The corrections of one reviewed job, in page and line order, each line with its crop.
pub async fn job_corrections(
    backends: &Backends,
    limits: &DecodeLimits,
    job: &JobRow,
) -> Result<Vec<(Correction, Option<Crop>)>, JobError> {
    let reviewed_at = rfc3339(job.reviewed_at.unwrap_or(job.updated_at));
    let mut out = Vec::new();
    if let (Some(machine), Some(reviewed)) = (&job.machine_detect, &job.detect_result) {
        for before in &machine.pages {
            let Some(after) = reviewed.pages.iter().find(|p| p.page_index == before.page_index) else { continue };
            let diff = BoxDiff::of(&before.boxes, &after.boxes);
            if diff.is_unchanged() {
                continue;
            }
            out.push((
                Correction::Boxes(BoxesCorrection {
                    job_id: job.id.to_string(),
                    page_index: before.page_index,
                    page_width: before.width,
                    page_height: before.height,
                    machine_boxes: before.boxes.clone(),
                    reviewed_boxes: after.boxes.clone(),
                    added: diff.added as u32,
                    removed: diff.removed as u32,
                    moved: diff.moved as u32,
                    pipeline_version: job.pipeline_version,
                    reviewed_at: reviewed_at.clone(),
                }),
                None,
            ));
        }
    }
    let Some(result) = &job.ocr_result else { return Ok(out) };
    for page in &result.pages {
        let changed: Vec<_> = page
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.machine_text.as_ref().is_some_and(|m| *m != l.text))
            .collect();
        if changed.is_empty() {
            continue;
        }
        let image = page_image(backends, limits, job, page.page_index as usize).await?;
        for (index, line) in changed {
            let points = line.points;
            let crop = {
                let image = image.clone();
                tokio::task::spawn_blocking(move || encode(&ocr_inference::crop_line(&image, &points)))
                    .await
                    .map_err(|e| JobError::new(ErrorCode::Internal, format!("cropping crashed: {e}")))??
            };
            out.push((
                Correction::Line(LineCorrection {
                    job_id: job.id.to_string(),
                    page_index: page.page_index,
                    line_index: index as u32,
                    page_width: page.width,
                    page_height: page.height,
                    points,
                    machine_text: line.machine_text.clone().unwrap_or_default(),
                    text: line.text.clone(),
                    model: result.model.clone(),
                    plugins: result.plugins.clone(),
                    pipeline_version: job.pipeline_version,
                    reviewed_at: reviewed_at.clone(),
                    image_png: None,
                    image: None,
                    image_width: crop.width,
                    image_height: crop.height,
                }),
                Some(crop),
            ));
        }
    }
    Ok(out)
}

/// Puts the crop into the record itself, as base64 PNG (the API's form).
pub fn embed(record: &mut Correction, crop: Option<Crop>) {
    if let (Correction::Line(line), Some(crop)) = (record, crop) {
        line.image_png = Some(base64::engine::general_purpose::STANDARD.encode(crop.png));
    }
}

/// A page of the job's upload, as the worker decoded it: the one read path of the page-image
/// route ([`crate::pages::page_png`]: its cache when it has the page, else the upload decoded
/// again, one page only).
async fn page_image(
    backends: &Backends,
    limits: &DecodeLimits,
    job: &JobRow,
    index: usize,
) -> Result<std::sync::Arc<RgbImage>, JobError> {
    let png = page_png(backends, limits, job, index)
        .await
        .map_err(|e| page_error(e, index))?
        .ok_or_else(|| no_page(index))?;
    let page = blocking("page decoding", move || image::load_from_memory_with_format(&png, image::ImageFormat::Png))
        .await
        .map_err(|e| page_error(e, index))?
        .map_err(|e| JobError::new(ErrorCode::Internal, format!("a cached page image is unreadable: {e}")))?;
    Ok(std::sync::Arc::new(page.into_rgb8()))
}

fn no_page(index: usize) -> JobError {
    JobError::new(ErrorCode::NotFound, format!("the job's upload has no page {index}"))
}

fn page_error(e: PageError, index: usize) -> JobError {
    match e {
        PageError::NoUpload => no_page(index),
        PageError::Storage(e) => {
            tracing::warn!(error = %e, "reading a page for corrections failed");
            JobError::new(ErrorCode::ServiceUnavailable, "could not read the job's upload; try again")
        }
        PageError::Decode(e) => JobError::new(e.code(), e.to_string()),
        PageError::Internal => JobError::new(ErrorCode::Internal, "internal error"),
    }
}

fn encode(crop: &RgbImage) -> Result<Crop, JobError> {
    let mut png = std::io::Cursor::new(Vec::new());
    crop.write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| JobError::new(ErrorCode::Internal, format!("encoding a crop failed: {e}")))?;
    Ok(Crop { png: png.into_inner(), width: crop.width(), height: crop.height() })
}
