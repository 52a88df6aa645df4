//! A minimal OCR platform plugin implementing every hook: `filter-boxes` and `normalize-text`
//! pass their input through, `extract-fields` returns one example field.
//!
//! Build: `cargo build --release --target wasm32-wasip2`, then upload
//! `target/wasm32-wasip2/release/plugin_template.wasm`.
//! To implement only some hooks, pick the world `box-filter-plugin`, `text-normalizer-plugin`,
//! `field-extractor-plugin` or `full-plugin` (the first two) below and delete the other `impl`s.

// Generates Rust bindings from the platform's WIT contract. `path` points at the folder holding
// `ocr-plugin.wit`: in this repository that is `../../wit`; once you copy this crate elsewhere,
// copy that file into `wit/` next to Cargo.toml and write `path: "wit"`.
wit_bindgen::generate!({ world: "all-hooks-plugin", path: "../../wit" });

use exports::ocr::plugin::box_filter::{self, PageInfo, PluginError, TextBox};
use exports::ocr::plugin::field_extractor::{self, Document, Field};
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

impl field_extractor::Guest for Plugin {
    /// Runs last, once per document, on the final lines and the page structure (blocks, tables,
    /// key-value pairs): return named fields. Names are `[a-z][a-z0-9_]*`; `line_ids` index the
    /// page's `lines`. Here: the first line of the first page as `first_line`, when
    /// `example_field` is `true`.
    fn extract_fields(doc: Document) -> Result<Vec<Field>, PluginError> {
        if get_config("example_field").as_deref() != Some("true") {
            return Ok(Vec::new());
        }
        let Some(page) = doc.pages.first() else { return Ok(Vec::new()) };
        let Some(line) = page.lines.first() else { return Ok(Vec::new()) };
        Ok(vec![Field {
            name: "first_line".into(),
            value: line.text.clone(),
            // A standard form of the value when there is one (an ISO date, a plain number).
            normalized: None,
            confidence: line.confidence,
            page_index: page.info.page_index,
            line_ids: vec![0],
        }])
    }
}

export!(Plugin);
