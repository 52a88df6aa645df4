//! Built-in `extract-fields` plugin for receipts and invoices in Vietnamese and English:
//! `seller_name`, `seller_address`, `seller_tax_code` (MST, GST ID), `invoice_number`, `date`
//! (normalized to `YYYY-MM-DD`), `total` (normalized to a plain number: `65.000đ` → `65000`,
//! `RM 5.90` → `5.90`) and `currency` (`VND`, `MYR`, `USD`…).
//!
//! It reads labels (`Tổng cộng`, `Total`, `MST`, `Ngày`…) in the layout's key–value pairs and
//! tables and in the lines, never fixed positions; see [`extract`]. Each field is reported at
//! most once, from the first page that has it.
//!
//! Configuration: `fields`, a comma-separated list of the field names to return (default: all).

wit_bindgen::generate!({ world: "field-extractor-plugin", path: "../../wit" });

pub mod amount;
pub mod date;
pub mod extract;
pub mod text;

use exports::ocr::plugin::field_extractor::{Document, Field, Guest, PluginError};
use ocr::plugin::host::get_config;

struct ReceiptFields;

impl Guest for ReceiptFields {
    fn extract_fields(doc: Document) -> Result<Vec<Field>, PluginError> {
        let wanted = get_config("fields");
        let wanted: Option<Vec<String>> =
            wanted.map(|w| w.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
        let mut out: Vec<Field> = Vec::new();
        for page in doc.pages {
            let page = read_page(page);
            for f in extract::extract(&page) {
                if out.iter().any(|o| o.name == f.name)
                    || wanted.as_ref().is_some_and(|w| !w.iter().any(|n| n == f.name))
                {
                    continue;
                }
                out.push(Field {
                    name: f.name.into(),
                    value: f.value,
                    normalized: f.normalized,
                    confidence: f.confidence,
                    page_index: f.page_index,
                    line_ids: f.line_ids,
                });
            }
        }
        Ok(out)
    }
}

/// The WIT page as the extractor reads it: boxes, reading order (blocks by order, then any
/// line no block names, top to bottom), pairs and table rows.
fn read_page(p: exports::ocr::plugin::field_extractor::Page) -> extract::Page {
    // Each line's box in the page turned level (extract::slant).
    let quads: Vec<extract::Quad> = p
        .lines
        .iter()
        .map(|l| [l.quad.top_left, l.quad.top_right, l.quad.bottom_right, l.quad.bottom_left].map(|pt| [pt.x, pt.y]))
        .collect();
    let slant = extract::slant(&quads);
    let lines: Vec<extract::Line> =
        p.lines.iter().zip(&quads).map(|(l, q)| extract::Line::level(l.text.clone(), l.confidence, q, slant)).collect();
    let n = lines.len() as u32;
    let mut blocks = p.blocks;
    blocks.sort_by_key(|b| b.order);
    let mut order: Vec<u32> = Vec::with_capacity(lines.len());
    let mut seen = vec![false; lines.len()];
    for id in blocks.iter().flat_map(|b| b.line_ids.iter().copied()) {
        if id < n && !seen[id as usize] {
            seen[id as usize] = true;
            order.push(id);
        }
    }
    let mut rest: Vec<u32> = (0..n).filter(|i| !seen[*i as usize]).collect();
    rest.sort_by(|a, b| {
        let (la, lb) = (&lines[*a as usize], &lines[*b as usize]);
        la.y0.total_cmp(&lb.y0).then(la.x0.total_cmp(&lb.x0))
    });
    order.extend(rest);
    let pairs = p
        .pairs
        .into_iter()
        .map(|kv| extract::Pair { key: kv.key.text, value: kv.value.text, value_lines: kv.value.line_ids })
        .collect();
    let mut rows = Vec::new();
    for t in p.tables {
        for r in 0..t.row_count {
            let mut cells: Vec<_> = t.cells.iter().filter(|c| c.row == r).collect();
            cells.sort_by_key(|c| c.col);
            rows.push(cells.into_iter().map(|c| (c.text.clone(), c.line_ids.clone())).collect());
        }
    }
    extract::Page { index: p.info.page_index, lines, order, pairs, rows }
}

export!(ReceiptFields);
