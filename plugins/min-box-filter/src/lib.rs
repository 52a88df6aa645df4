//! Built-in `filter-boxes` plugin: drops boxes the detector is unsure of, boxes too small or
//! too thin to hold readable text, and boxes outside a region of interest.
//!
//! Configuration (tenant plugin config, all optional):
//! - `min_score`: boxes with a lower detector score are dropped (default 0.5, in `[0, 1]`);
//! - `min_height`: boxes shorter than this many pixels are dropped (default 6);
//! - `min_area`: boxes covering fewer square pixels are dropped (default: off);
//! - `max_aspect_ratio`: boxes whose long side is more than this many times their short side
//!   are dropped (default: off; must be ≥ 1);
//! - `region`: `x0,y0,x1,y1` in page pixels; only boxes whose centre lies inside are kept
//!   (default: the whole page).
//!
//! A malformed value fails the call with a `plugin-error` naming the key. The rules live in
//! [`rules`], free of WIT types, with their unit tests.

wit_bindgen::generate!({ world: "box-filter-plugin", path: "../../wit" });

mod rules;

use exports::ocr::plugin::box_filter::{Guest, PageInfo, PluginError, TextBox};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::{LogLevel, Quad};
use rules::{Corners, Drop, Rules};

struct MinBoxFilter;

impl Guest for MinBoxFilter {
    fn filter_boxes(page: PageInfo, boxes: Vec<TextBox>) -> Result<Vec<TextBox>, PluginError> {
        let rules = Rules::from_config(get_config).map_err(|message| PluginError { message })?;
        let total = boxes.len();
        // Dropped boxes per reason, in the order of `Drop`.
        let mut dropped = [0usize; 5];
        let kept: Vec<TextBox> = boxes
            .into_iter()
            .filter(|b| match rules.check(&corners(&b.quad), b.score) {
                None => true,
                Some(reason) => {
                    dropped[reason as usize] += 1;
                    false
                }
            })
            .collect();
        let [score, height, area, aspect, region] = dropped;
        log(
            LogLevel::Info,
            &format!(
                "page {}: dropped {} of {total} boxes (score {score}, height {height}, area {area}, \
                 aspect ratio {aspect}, region {region})",
                page.page_index,
                total - kept.len()
            ),
        );
        Ok(kept)
    }
}

fn corners(q: &Quad) -> Corners {
    [q.top_left, q.top_right, q.bottom_right, q.bottom_left].map(|p| (p.x, p.y))
}

// `Drop` indexes `dropped` above.
const _: () = assert!(Drop::Region as usize == 4);

export!(MinBoxFilter);
