//! Built-in `filter-boxes` plugin: drops boxes the detector is unsure of, and boxes too small to
//! hold readable text.
//!
//! Configuration (tenant plugin config, all optional):
//! - `min_score`: boxes with a lower detector score are dropped (default 0.5);
//! - `min_height`: boxes shorter than this many pixels are dropped (default 6).

wit_bindgen::generate!({ world: "box-filter-plugin", path: "../../wit" });

use exports::ocr::plugin::box_filter::{Guest, PageInfo, PluginError, TextBox};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::{LogLevel, Quad};

const DEFAULT_MIN_SCORE: f32 = 0.5;
const DEFAULT_MIN_HEIGHT: f32 = 6.0;

struct MinBoxFilter;

impl Guest for MinBoxFilter {
    fn filter_boxes(page: PageInfo, boxes: Vec<TextBox>) -> Result<Vec<TextBox>, PluginError> {
        let min_score = config_f32("min_score", DEFAULT_MIN_SCORE)?;
        let min_height = config_f32("min_height", DEFAULT_MIN_HEIGHT)?;
        let total = boxes.len();
        let kept: Vec<TextBox> = boxes
            .into_iter()
            .filter(|b| b.score >= min_score && height(&b.quad) >= min_height)
            .collect();
        log(
            LogLevel::Info,
            &format!(
                "page {}: dropped {} of {total} boxes (min_score {min_score}, min_height {min_height})",
                page.page_index,
                total - kept.len()
            ),
        );
        Ok(kept)
    }
}

/// Reads a number from the tenant config; a value that is not a number is the tenant's mistake,
/// reported as a plugin error rather than silently replaced by the default.
fn config_f32(key: &str, default: f32) -> Result<f32, PluginError> {
    match get_config(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| PluginError {
            message: format!("config {key} must be a number, got {v:?}"),
        }),
    }
}

/// Height of the box's axis-aligned bounds.
fn height(q: &Quad) -> f32 {
    let ys = [
        q.top_left.y,
        q.top_right.y,
        q.bottom_right.y,
        q.bottom_left.y,
    ];
    let (lo, hi) = ys
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &y| {
            (lo.min(y), hi.max(y))
        });
    hi - lo
}

export!(MinBoxFilter);
