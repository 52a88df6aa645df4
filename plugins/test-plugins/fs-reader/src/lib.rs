//! Test-only plugin that tries to read a file: its component imports `wasi:filesystem`, which
//! the host does not provide, so uploading it must fail.

wit_bindgen::generate!({ world: "box-filter-plugin", path: "../../../wit" });

use exports::ocr::plugin::box_filter::{Guest, PageInfo, PluginError, TextBox};
use ocr::plugin::host::log;
use ocr::plugin::types::LogLevel;

struct FsReader;

impl Guest for FsReader {
    fn filter_boxes(_page: PageInfo, boxes: Vec<TextBox>) -> Result<Vec<TextBox>, PluginError> {
        let secret = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        log(LogLevel::Info, &secret);
        Ok(boxes)
    }
}

export!(FsReader);
