//! A minimal OCR platform plugin implementing both hooks as pass-through.
//!
//! Build: `cargo build --release --target wasm32-wasip2`, then upload
//! `target/wasm32-wasip2/release/plugin_template.wasm`.
//! To implement only one hook, pick the world `box-filter-plugin` or `text-normalizer-plugin`
//! below and delete the other `impl`.

// Generates Rust bindings from the platform's WIT contract. `path` points at the folder holding
// `ocr-plugin.wit`: in this repository that is `../../wit`; once you copy this crate elsewhere,
// copy that file into `wit/` next to Cargo.toml and write `path: "wit"`.
wit_bindgen::generate!({ world: "full-plugin", path: "../../wit" });

use exports::ocr::plugin::box_filter::{self, PageInfo, PluginError, TextBox};
use exports::ocr::plugin::text_normalizer::{self, TextLine};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::LogLevel;

struct Plugin;

impl box_filter::Guest for Plugin {
    /// Runs after detection: return the boxes to recognize (at most as many as given, corners
    /// inside the page).
    fn filter_boxes(page: PageInfo, boxes: Vec<TextBox>) -> Result<Vec<TextBox>, PluginError> {
        // Tenant configuration is read-only strings; `None` when the key is not set.
        if get_config("verbose").as_deref() == Some("true") {
            // Logs are returned with the job (capped per call).
            log(
                LogLevel::Info,
                &format!("page {}: {} boxes", page.page_index, boxes.len()),
            );
        }
        // An expected failure is a `PluginError`: the job fails with `plugin_failed` and this
        // message. A panic fails it too, with a less helpful message.
        Ok(boxes)
    }
}

impl text_normalizer::Guest for Plugin {
    /// Runs after recognition: return exactly one line per input line, in the same order.
    fn normalize_text(_page: PageInfo, lines: Vec<TextLine>) -> Result<Vec<TextLine>, PluginError> {
        Ok(lines)
    }
}

export!(Plugin);
