//! Test-only plugin that misbehaves on request, to check that the host contains it.
//! Never shipped: the host's tests load it from `plugins/dist/test/`.
//!
//! Config `mode` picks the misbehaviour; without it `filter-boxes` and `normalize-text` pass
//! their input through and `extract-fields` returns one valid field.

wit_bindgen::generate!({ world: "all-hooks-plugin", path: "../../../wit" });

use exports::ocr::plugin::box_filter::{self, PageInfo, PluginError, TextBox};
use exports::ocr::plugin::field_extractor::{self, Document, Field};
use exports::ocr::plugin::text_normalizer::{self, TextLine};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::{LogLevel, Point};

struct Hostile;

/// Misbehaviours shared by both hooks; returns normally only for modes it does not know.
fn common(mode: &str) -> Result<(), PluginError> {
    match mode {
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "alloc" => {
            // black_box keeps the optimizer from eliding an allocation it can see is unused.
            let v = std::hint::black_box(vec![1u8; 1 << 30]);
            log(LogLevel::Info, &format!("allocated {}", v[v.len() - 1]));
        }
        "panic" => panic!("the hostile plugin panics on purpose"),
        "recurse" => {
            log(LogLevel::Info, &format!("{}", recurse(std::hint::black_box(1))));
        }
        "stderr" => {
            // Far more than the host keeps: writes past its cap must not fail.
            for i in 0..100 {
                eprintln!("stderr line {i}: {}", "y".repeat(1000));
            }
        }
        "error" => {
            return Err(PluginError { message: "the hostile plugin refuses".into() });
        }
        "log-flood" => {
            for i in 0..200 {
                log(LogLevel::Debug, &format!("line {i}: {}", "x".repeat(1000)));
            }
        }
        _ => {}
    }
    Ok(())
}

fn recurse(n: u64) -> u64 {
    if n == 0 { 0 } else { 1 + recurse(std::hint::black_box(n + 1)) }
}

impl box_filter::Guest for Hostile {
    fn filter_boxes(page: PageInfo, mut boxes: Vec<TextBox>) -> Result<Vec<TextBox>, PluginError> {
        let mode = get_config("mode").unwrap_or_default();
        common(&mode)?;
        match mode.as_str() {
            "outside" => {
                if let Some(b) = boxes.first_mut() {
                    b.quad.top_right = Point { x: page.width as f32 + 10.0, y: 0.0 };
                }
            }
            "nan" => {
                if let Some(b) = boxes.first_mut() {
                    b.quad.top_left.x = f32::NAN;
                }
            }
            "extra" => {
                let copy = boxes.clone();
                boxes.extend(copy);
            }
            _ => {}
        }
        Ok(boxes)
    }
}

impl text_normalizer::Guest for Hostile {
    fn normalize_text(_page: PageInfo, mut lines: Vec<TextLine>) -> Result<Vec<TextLine>, PluginError> {
        let mode = get_config("mode").unwrap_or_default();
        common(&mode)?;
        match mode.as_str() {
            "drop-line" => {
                lines.pop();
            }
            "nan" => {
                if let Some(l) = lines.first_mut() {
                    l.confidence = f32::NAN;
                }
            }
            "long-text" => {
                if let Some(l) = lines.first_mut() {
                    l.text = "a".repeat(1 << 20);
                    l.char_confidences.clear();
                }
            }
            _ => {}
        }
        Ok(lines)
    }
}

impl field_extractor::Guest for Hostile {
    fn extract_fields(doc: Document) -> Result<Vec<Field>, PluginError> {
        let mode = get_config("mode").unwrap_or_default();
        common(&mode)?;
        let page_index = doc.pages.first().map_or(0, |p| p.info.page_index);
        let lines = doc.pages.first().map_or(0, |p| p.lines.len() as u32);
        let mut field = Field {
            name: "line_count".into(),
            value: lines.to_string(),
            normalized: Some(lines.to_string()),
            confidence: 1.0,
            page_index,
            line_ids: (0..lines).collect(),
        };
        match mode.as_str() {
            "bad-field-name" => field.name = "Total Amount".into(),
            "bad-line-id" => field.line_ids = vec![lines + 5],
            "bad-page" => field.page_index = page_index + 100,
            "nan" => field.confidence = f32::NAN,
            "long-text" => field.value = "a".repeat(1 << 20),
            "extra" => return Ok(vec![field; 100_000]),
            _ => {}
        }
        Ok(vec![field])
    }
}

export!(Hostile);
