//! Conversions between `ocr-core` types and the WIT types, and the checks on what a plugin
//! returns.

use ocr_core::{BlockKind, Field, OcrLine, OcrResult, Quad, TextBox, geometry};

use crate::Limits;
use crate::bindings::exports::ocr::plugin::field_extractor as fx;
use crate::bindings::ocr::plugin::types as wit;

/// Longest field name: names are identifiers (`[a-z][a-z0-9_]*`), not text.
const MAX_FIELD_NAME: usize = 64;

pub(crate) fn page_info(page_index: u32, width: u32, height: u32) -> wit::PageInfo {
    wit::PageInfo { page_index, width, height }
}

fn point(p: [f32; 2]) -> wit::Point {
    wit::Point { x: p[0], y: p[1] }
}

fn quad(q: &Quad) -> wit::Quad {
    wit::Quad { top_left: point(q[0]), top_right: point(q[1]), bottom_right: point(q[2]), bottom_left: point(q[3]) }
}

fn core_quad(q: &wit::Quad) -> Quad {
    [q.top_left, q.top_right, q.bottom_right, q.bottom_left].map(|p| [p.x, p.y])
}

pub(crate) fn text_box(b: &TextBox) -> wit::TextBox {
    wit::TextBox { quad: quad(&b.points), score: b.score }
}

pub(crate) fn text_line(l: &OcrLine) -> wit::TextLine {
    wit::TextLine {
        text: l.text.clone(),
        confidence: l.confidence,
        quad: quad(&l.points),
        char_confidences: l.char_confidences.clone(),
    }
}

/// The document `extract-fields` reads: every page with its lines and structure.
pub(crate) fn document(doc: &OcrResult) -> fx::Document {
    let pages = doc
        .pages
        .iter()
        .map(|p| fx::Page {
            info: page_info(p.page_index, p.width, p.height),
            lines: p.lines.iter().map(text_line).collect(),
            blocks: p
                .blocks
                .iter()
                .map(|b| fx::Block {
                    id: b.id,
                    kind: match b.kind {
                        BlockKind::Paragraph => fx::BlockKind::Paragraph,
                        BlockKind::Header => fx::BlockKind::Header,
                        BlockKind::Table => fx::BlockKind::Table,
                        BlockKind::KeyValue => fx::BlockKind::KeyValue,
                    },
                    order: b.order,
                    quad: quad(&b.points),
                    line_ids: b.line_ids.clone(),
                })
                .collect(),
            tables: p
                .tables
                .iter()
                .map(|t| fx::Table {
                    quad: quad(&t.points),
                    row_count: t.row_count,
                    col_count: t.col_count,
                    cells: t
                        .cells
                        .iter()
                        .map(|c| fx::TableCell {
                            row: c.row,
                            col: c.col,
                            row_span: c.row_span,
                            col_span: c.col_span,
                            text: c.text.clone(),
                            line_ids: c.line_ids.clone(),
                        })
                        .collect(),
                })
                .collect(),
            pairs: p
                .pairs
                .iter()
                .map(|kv| {
                    let part = |x: &ocr_core::PairPart| fx::PairPart {
                        text: x.text.clone(),
                        quad: quad(&x.points),
                        line_ids: x.line_ids.clone(),
                    };
                    fx::KeyValuePair { key: part(&kv.key), value: part(&kv.value) }
                })
                .collect(),
        })
        .collect();
    fx::Document { pages }
}

fn valid_field_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_FIELD_NAME
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks and converts what `extract-fields` returned for `doc`.
pub(crate) fn fields(out: Vec<fx::Field>, doc: &OcrResult, limits: &Limits) -> Result<Vec<Field>, String> {
    if out.len() > limits.max_fields {
        return Err(format!("returned {} fields, at most {} allowed", out.len(), limits.max_fields));
    }
    out.into_iter()
        .enumerate()
        .map(|(i, f)| {
            if !valid_field_name(&f.name) {
                let shown: String = f.name.chars().take(MAX_FIELD_NAME + 1).collect();
                return Err(format!(
                    "field {i} has the name {shown:?}: names are 1-{MAX_FIELD_NAME} bytes of a-z, 0-9 and _, \
                     starting with a letter"
                ));
            }
            let name = &f.name;
            for (what, text) in [("value", Some(&f.value)), ("normalized value", f.normalized.as_ref())] {
                if let Some(text) = text
                    && text.len() > limits.max_text_len
                {
                    return Err(format!(
                        "field {i} ({name}) has a {what} of {} bytes, at most {} allowed",
                        text.len(),
                        limits.max_text_len
                    ));
                }
            }
            if !unit(f.confidence) {
                return Err(format!("field {i} ({name}) has the confidence {}, outside [0, 1]", f.confidence));
            }
            let Some(page) = doc.pages.iter().find(|p| p.page_index == f.page_index) else {
                return Err(format!(
                    "field {i} ({name}) names page_index {}, which the document does not have",
                    f.page_index
                ));
            };
            if f.line_ids.len() > page.lines.len() {
                return Err(format!(
                    "field {i} ({name}) names {} lines, page {} has {}",
                    f.line_ids.len(),
                    f.page_index,
                    page.lines.len()
                ));
            }
            if let Some(id) = f.line_ids.iter().find(|id| **id as usize >= page.lines.len()) {
                return Err(format!(
                    "field {i} ({name}) names line {id}, page {} has {} line(s)",
                    f.page_index,
                    page.lines.len()
                ));
            }
            Ok(Field {
                name: f.name,
                value: f.value,
                normalized: f.normalized,
                confidence: f.confidence,
                page_index: f.page_index,
                line_ids: f.line_ids,
                machine_value: None,
            })
        })
        .collect()
}

fn unit(x: f32) -> bool {
    (0.0..=1.0).contains(&x)
}

fn check_quad(what: &str, q: &Quad, page: &wit::PageInfo) -> Result<(), String> {
    if geometry::inside(q, page.width, page.height) {
        return Ok(());
    }
    let bad = q.iter().find(|p| !geometry::inside(&[**p; 4], page.width, page.height)).copied().unwrap_or(q[0]);
    Err(format!("{what} has the corner ({}, {}) outside the {}x{} page", bad[0], bad[1], page.width, page.height))
}

/// Checks and converts what `filter-boxes` returned for `given` input boxes.
pub(crate) fn filtered_boxes(
    out: Vec<wit::TextBox>,
    given: usize,
    page: &wit::PageInfo,
    limits: &Limits,
) -> Result<Vec<TextBox>, String> {
    let max = given.min(limits.max_output_boxes);
    if out.len() > max {
        return Err(format!("returned {} boxes, at most {max} allowed (it was given {given})", out.len()));
    }
    out.iter()
        .enumerate()
        .map(|(i, b)| {
            let points = core_quad(&b.quad);
            check_quad(&format!("box {i}"), &points, page)?;
            if !unit(b.score) {
                return Err(format!("box {i} has the score {}, outside [0, 1]", b.score));
            }
            Ok(TextBox { points, score: b.score })
        })
        .collect()
}

/// Checks and converts what `normalize-text` returned for the `given` input lines. A line the
/// recognizer could not read keeps its error code.
pub(crate) fn normalized_lines(
    out: Vec<wit::TextLine>,
    given_lines: &[OcrLine],
    page: &wit::PageInfo,
    limits: &Limits,
) -> Result<Vec<OcrLine>, String> {
    let given = given_lines.len();
    if out.len() != given {
        return Err(format!("returned {} lines for {given}: normalize-text must return one line per line", out.len()));
    }
    out.into_iter()
        .enumerate()
        .map(|(i, l)| {
            let points = core_quad(&l.quad);
            check_quad(&format!("line {i}"), &points, page)?;
            if l.text.len() > limits.max_text_len {
                return Err(format!(
                    "line {i} is {} bytes long, at most {} allowed",
                    l.text.len(),
                    limits.max_text_len
                ));
            }
            if !unit(l.confidence) {
                return Err(format!("line {i} has the confidence {}, outside [0, 1]", l.confidence));
            }
            let chars = l.text.chars().count();
            let char_confidences = match l.char_confidences.len() {
                0 => vec![l.confidence; chars],
                n if n == chars => l.char_confidences,
                n => {
                    return Err(format!("line {i} has {chars} characters but {n} character confidences"));
                }
            };
            if let Some(c) = char_confidences.iter().find(|c| !unit(**c)) {
                return Err(format!("line {i} has a character confidence {c}, outside [0, 1]"));
            }
            Ok(OcrLine {
                error: given_lines[i].error,
                reader: given_lines[i].reader.clone(),
                ..OcrLine::recognized(l.text, l.confidence, points, char_confidences)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocr_core::ErrorCode;

    fn page() -> wit::PageInfo {
        page_info(0, 100, 50)
    }

    fn tb(x1: f32, score: f32) -> TextBox {
        TextBox { points: [[1.0, 1.0], [x1, 1.0], [x1, 10.0], [1.0, 10.0]], score }
    }

    #[test]
    fn boxes_round_trip_through_the_wit_types() {
        let b = tb(20.0, 0.7);
        let out = filtered_boxes(vec![text_box(&b)], 1, &page(), &Limits::default()).unwrap();
        assert_eq!(out, vec![b]);
    }

    #[test]
    fn filtered_boxes_must_stay_inside_the_page_and_not_multiply() {
        let limits = Limits::default();
        let outside = filtered_boxes(vec![text_box(&tb(120.0, 0.7))], 1, &page(), &limits).unwrap_err();
        assert!(outside.contains("(120, 1) outside the 100x50 page"), "{outside}");
        let more = filtered_boxes(vec![text_box(&tb(20.0, 0.7)); 2], 1, &page(), &limits).unwrap_err();
        assert!(more.contains("at most 1"), "{more}");
        let nan = filtered_boxes(vec![text_box(&tb(20.0, f32::NAN))], 1, &page(), &limits).unwrap_err();
        assert!(nan.contains("score"), "{nan}");
    }

    #[test]
    fn normalized_lines_keep_their_count_and_get_char_confidences() {
        let limits = Limits::default();
        let line = OcrLine::recognized("héllo".into(), 0.5, tb(20.0, 1.0).points, vec![]);
        let given = [line.clone()];
        let out = normalized_lines(vec![text_line(&line)], &given, &page(), &limits).unwrap();
        assert_eq!(out[0].char_confidences, vec![0.5; 5]);
        let err = normalized_lines(vec![], &given, &page(), &limits).unwrap_err();
        assert!(err.contains("returned 0 lines for 1"), "{err}");
        let mut wrong = text_line(&line);
        wrong.char_confidences = vec![0.5; 2];
        let err = normalized_lines(vec![wrong], &given, &page(), &limits).unwrap_err();
        assert!(err.contains("5 characters but 2"), "{err}");
    }

    fn doc() -> OcrResult {
        let line = OcrLine::recognized("Tổng cộng: 65.000đ".into(), 0.9, tb(20.0, 1.0).points, vec![]);
        let page =
            ocr_core::OcrPage { page_index: 0, width: 100, height: 50, lines: vec![line; 2], ..Default::default() };
        OcrResult::new(vec![page], "test".into())
    }

    fn field(name: &str) -> fx::Field {
        fx::Field {
            name: name.into(),
            value: "65.000đ".into(),
            normalized: Some("65000".into()),
            confidence: 0.8,
            page_index: 0,
            line_ids: vec![1],
        }
    }

    #[test]
    fn fields_round_trip_when_they_name_what_exists() {
        let out = fields(vec![field("total"), field("a1_b")], &doc(), &Limits::default()).unwrap();
        assert_eq!(out[0].name, "total");
        assert_eq!(out[0].normalized.as_deref(), Some("65000"));
        assert_eq!(out[1].line_ids, vec![1]);
        assert_eq!(document(&doc()).pages[0].lines.len(), 2);
    }

    #[test]
    fn fields_with_bad_names_sizes_pages_or_lines_are_refused() {
        let limits = Limits::default();
        let refused = |f: fx::Field| fields(vec![f], &doc(), &limits).unwrap_err();
        for bad in ["", "Total", "1st", "to-tal", "tổng", &"a".repeat(65)] {
            assert!(refused(field(bad)).contains("names are 1-64 bytes"), "{bad:?}");
        }
        assert!(fields(vec![field(&"a".repeat(64))], &doc(), &limits).is_ok());
        let long = fx::Field { value: "x".repeat(4097), ..field("total") };
        assert!(refused(long).contains("value of 4097 bytes"));
        let long = fx::Field { normalized: Some("x".repeat(4097)), ..field("total") };
        assert!(refused(long).contains("normalized value of 4097 bytes"));
        let nan = fx::Field { confidence: f32::NAN, ..field("total") };
        assert!(refused(nan).contains("outside [0, 1]"));
        let page = fx::Field { page_index: 3, ..field("total") };
        assert!(refused(page).contains("page_index 3"));
        let line = fx::Field { line_ids: vec![2], ..field("total") };
        assert!(refused(line).contains("names line 2, page 0 has 2 line(s)"));
        let many = fx::Field { line_ids: vec![0; 3], ..field("total") };
        assert!(refused(many).contains("names 3 lines"));
        let lots = vec![field("total"); limits.max_fields + 1];
        assert!(fields(lots, &doc(), &limits).unwrap_err().contains("at most 256"));
    }

    #[test]
    fn a_line_left_unread_keeps_its_error_through_normalization() {
        let unread = OcrLine::unread(tb(20.0, 1.0).points, ErrorCode::InferenceFailed);
        let read = OcrLine::recognized("ok".into(), 0.9, tb(20.0, 1.0).points, vec![0.9; 2]);
        let given = [unread.clone(), read.clone()];
        let out = normalized_lines(vec![text_line(&unread), text_line(&read)], &given, &page(), &Limits::default());
        let errors: Vec<_> = out.unwrap().iter().map(|l| l.error).collect();
        assert_eq!(errors, vec![Some(ErrorCode::InferenceFailed), None]);
    }
}
