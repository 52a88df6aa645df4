//! Detection and recognition results, as stored and as served.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorCode;
use crate::geometry::{self, Quad};
use crate::structure::{Block, Field, FieldEdit, KeyValuePair, Table};

/// One detected text region: a quad (clockwise from top-left) and the detector's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBox {
    /// Four corners `[[x,y],…]` in page pixels, clockwise from the top-left corner.
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    /// Detector confidence in `[0,1]`; boxes a person adds carry 1.
    #[serde(default = "one")]
    pub score: f32,
}

fn one() -> f32 {
    1.0
}

/// The boxes of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectPage {
    /// 0-based page number within the uploaded file.
    pub page_index: u32,
    pub width: u32,
    pub height: u32,
    pub boxes: Vec<TextBox>,
}

/// The detect result of a job: text lines per page, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct DetectResult {
    pub pages: Vec<DetectPage>,
}

impl DetectResult {
    /// Thinnest box a reviewer may send, in pixels across its longest side: a thinner box holds
    /// no legible character (small print is about 6 px high), so it is a stray click or a
    /// collapsed drag, refused rather than read.
    pub const MIN_BOX_THICKNESS: f32 = 3.0;

    /// Checks a reviewer's replacement against the detected pages: the same page set with the
    /// same sizes, every corner inside its page, every box at least [`Self::MIN_BOX_THICKNESS`]
    /// thick (no zero-area or bow-tie boxes), at most `max_boxes` boxes per page.
    /// Returns a sentence naming the first problem.
    pub fn validate_edit(&self, edited: &DetectResult, max_boxes: usize) -> Result<(), String> {
        if edited.pages.len() > self.pages.len() {
            return Err(format!("the job has {} page(s), the edit names {}", self.pages.len(), edited.pages.len()));
        }
        let mut seen = std::collections::HashSet::new();
        for page in &edited.pages {
            let Some(orig) = self.pages.iter().find(|p| p.page_index == page.page_index) else {
                return Err(format!("page_index {} does not exist in this job", page.page_index));
            };
            if !seen.insert(page.page_index) {
                return Err(format!("page_index {} appears twice", page.page_index));
            }
            if (page.width, page.height) != (orig.width, orig.height) {
                return Err(format!(
                    "page {} is {}x{}, the edit says {}x{}",
                    page.page_index, orig.width, orig.height, page.width, page.height
                ));
            }
            if page.boxes.len() > max_boxes {
                return Err(format!(
                    "page {} has {} boxes, at most {max_boxes} are allowed",
                    page.page_index,
                    page.boxes.len()
                ));
            }
            for (i, b) in page.boxes.iter().enumerate() {
                if !geometry::inside(&b.points, page.width, page.height) {
                    return Err(format!("box {i} on page {} has a point outside the page", page.page_index));
                }
                let thick = geometry::thickness(&b.points);
                if thick < Self::MIN_BOX_THICKNESS {
                    return Err(format!(
                        "box {i} on page {} is {thick:.1} px thick; a box must be at least {} px thick across its longest side (corners in order, enclosing the text)",
                        page.page_index,
                        Self::MIN_BOX_THICKNESS
                    ));
                }
                if !(0.0..=1.0).contains(&b.score) {
                    return Err(format!("box {i} on page {} has a score outside [0,1]", page.page_index));
                }
            }
        }
        Ok(())
    }

    /// Applies a validated edit: edited pages replace theirs, pages not named stay as they were.
    pub fn apply_edit(&self, edited: DetectResult) -> DetectResult {
        let mut pages = self.pages.clone();
        for page in edited.pages {
            if let Some(slot) = pages.iter_mut().find(|p| p.page_index == page.page_index) {
                *slot = page;
            }
        }
        DetectResult { pages }
    }

    pub fn box_count(&self) -> usize {
        self.pages.iter().map(|p| p.boxes.len()).sum()
    }
}

/// One recognized text line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OcrLine {
    pub text: String,
    /// Mean of the per-character confidences (1 for an empty line that was read, 0 for a line
    /// left unread: see `error`).
    pub confidence: f32,
    /// The box the line was read from.
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    /// Confidence of each character of `text`, in order.
    pub char_confidences: Vec<f32>,
    /// What the recognizer (and plugins) read, when a reviewer has since corrected `text`;
    /// absent on lines no person changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_text: Option<String>,
    /// Why this line could not be read (its `text` is then empty and its confidence 0); absent
    /// on lines that were read. One line failing never fails the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    /// Which recognizer's reading this is (e.g. `asternet`, `ppocr-v6`); absent on lines a
    /// result stored before several readers existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<String>,
}

impl OcrLine {
    /// A line as the recognizer read it (no human edit).
    pub fn recognized(text: String, confidence: f32, points: Quad, char_confidences: Vec<f32>) -> Self {
        Self { text, confidence, points, char_confidences, machine_text: None, error: None, reader: None }
    }

    /// A line the recognizer could not read: no text, confidence 0, and the reason.
    pub fn unread(points: Quad, error: ErrorCode) -> Self {
        Self { error: Some(error), ..Self::recognized(String::new(), 0.0, points, Vec::new()) }
    }

    /// True when a reviewer corrected this line's text.
    pub fn human_edited(&self) -> bool {
        self.machine_text.is_some()
    }
}

/// A reviewer's correction of one recognized line's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEdit {
    pub page_index: u32,
    /// Index into the page's `lines`.
    pub line_index: u32,
    /// The corrected text; sending the machine's text again undoes the edit.
    pub text: String,
}

/// The text of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct OcrPage {
    pub page_index: u32,
    pub width: u32,
    pub height: u32,
    /// Lines in detection order (top to bottom); `blocks` give the reading order.
    pub lines: Vec<OcrLine>,
    /// The page's lines joined with `\n`.
    pub text: String,
    /// The page's lines grouped into blocks, each with its place in the reading order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
    /// Tables found on the page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    /// Key–value pairs found on the page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<KeyValuePair>,
}

/// The recognition result of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct OcrResult {
    pub pages: Vec<OcrPage>,
    /// Every page's text, pages separated by a form feed line (`\n\f\n`).
    pub text: String,
    /// Which models produced it, e.g. `craftnet+asternet`.
    pub model: String,
    /// The tenant plugins that changed it, as `name@version`, in the order they ran.
    #[serde(default)]
    pub plugins: Vec<String>,
    /// Named values the tenant's `extract_fields` plugin found (`total`, `date`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

impl OcrResult {
    pub fn new(pages: Vec<OcrPage>, model: String) -> Self {
        let mut result = Self { pages, text: String::new(), model, plugins: Vec::new(), fields: Vec::new() };
        result.rebuild_text();
        result
    }

    /// Recomputes each page's text and the whole text from the lines.
    pub fn rebuild_text(&mut self) {
        for page in &mut self.pages {
            page.text = page.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        }
        self.text = self.pages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n\u{c}\n");
    }

    /// Applies reviewers' corrections, all or none: each names an existing line and keeps the
    /// machine's reading in `machine_text`. `max_chars` caps a line's length.
    /// Returns a sentence naming the first problem.
    pub fn apply_line_edits(&mut self, edits: &[LineEdit], max_chars: usize) -> Result<(), String> {
        for (i, e) in edits.iter().enumerate() {
            let Some(page) = self.pages.iter().find(|p| p.page_index == e.page_index) else {
                return Err(format!("edit {i}: page_index {} does not exist in this result", e.page_index));
            };
            if e.line_index as usize >= page.lines.len() {
                return Err(format!(
                    "edit {i}: page {} has {} line(s), there is no line_index {}",
                    e.page_index,
                    page.lines.len(),
                    e.line_index
                ));
            }
            if e.text.chars().count() > max_chars {
                return Err(format!("edit {i}: the text is longer than {max_chars} characters"));
            }
            if e.text.contains(['\n', '\r', '\u{c}']) {
                return Err(format!("edit {i}: a line's text cannot contain line or page breaks"));
            }
        }
        for e in edits {
            let page = self.pages.iter_mut().find(|p| p.page_index == e.page_index).expect("validated above");
            let line = &mut page.lines[e.line_index as usize];
            let machine = line.machine_text.take().unwrap_or_else(|| std::mem::take(&mut line.text));
            line.machine_text = (e.text != machine).then_some(machine);
            line.text = e.text.clone();
        }
        self.rebuild_text();
        Ok(())
    }

    /// Applies reviewers' corrections of field values, all or none: each names an existing
    /// field by index and name and keeps the plugin's value in `machine_value`. `max_chars`
    /// caps a value's length. Returns a sentence naming the first problem.
    pub fn apply_field_edits(&mut self, edits: &[FieldEdit], max_chars: usize) -> Result<(), String> {
        for (i, e) in edits.iter().enumerate() {
            let Some(field) = self.fields.get(e.index as usize) else {
                return Err(format!(
                    "field edit {i}: the result has {} field(s), there is no index {}",
                    self.fields.len(),
                    e.index
                ));
            };
            if field.name != e.name {
                return Err(format!("field edit {i}: field {} is {:?}, not {:?}", e.index, field.name, e.name));
            }
            if e.value.chars().count() > max_chars {
                return Err(format!("field edit {i}: the value is longer than {max_chars} characters"));
            }
        }
        for e in edits {
            let field = &mut self.fields[e.index as usize];
            let machine = field.machine_value.take().unwrap_or_else(|| std::mem::take(&mut field.value));
            field.machine_value = (e.value != machine).then_some(machine);
            field.value = e.value.clone();
        }
        Ok(())
    }

    /// Takes the fields the `extract_fields` plugins found in the text again (after a reviewer
    /// corrected lines), keeping each reviewer's field correction: a corrected field takes the
    /// place of the new field of its name and rank among that name's fields, with the new
    /// plugin value as its `machine_value` (none when the plugin now finds what the reviewer
    /// wrote); a corrected field the plugins no longer find is kept at the end.
    pub fn refresh_fields(&mut self, found: Vec<Field>) {
        let ranked = |fields: &[Field]| -> Vec<(String, usize)> {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            fields
                .iter()
                .map(|f| {
                    let n = seen.entry(f.name.as_str()).or_default();
                    *n += 1;
                    (f.name.clone(), *n - 1)
                })
                .collect()
        };
        let mut corrected: HashMap<(String, usize), Field> = ranked(&self.fields)
            .into_iter()
            .zip(std::mem::take(&mut self.fields))
            .filter(|(_, f)| f.machine_value.is_some())
            .collect();
        let ranks = ranked(&found);
        self.fields = found
            .into_iter()
            .zip(ranks)
            .map(|(new, rank)| match corrected.remove(&rank) {
                Some(human) => Field {
                    machine_value: (new.value != human.value).then_some(new.value.clone()),
                    value: human.value,
                    ..new
                },
                None => new,
            })
            .collect();
        let mut left: Vec<((String, usize), Field)> = corrected.into_iter().collect();
        left.sort_by(|a, b| a.0.cmp(&b.0));
        self.fields.extend(left.into_iter().map(|(_, f)| f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(index: u32, boxes: Vec<TextBox>) -> DetectPage {
        DetectPage { page_index: index, width: 100, height: 50, boxes }
    }

    fn tb(x0: f32, y0: f32, x1: f32, y1: f32) -> TextBox {
        TextBox { points: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], score: 0.9 }
    }

    #[test]
    fn edit_validation_names_the_problem() {
        let orig = DetectResult { pages: vec![page(0, vec![tb(1.0, 1.0, 10.0, 10.0)])] };
        let ok = DetectResult { pages: vec![page(0, vec![tb(2.0, 2.0, 20.0, 20.0)])] };
        assert!(orig.validate_edit(&ok, 10).is_ok());

        let unknown = DetectResult { pages: vec![page(3, vec![])] };
        assert!(orig.validate_edit(&unknown, 10).unwrap_err().contains("page_index 3"));

        let outside = DetectResult { pages: vec![page(0, vec![tb(2.0, 2.0, 200.0, 20.0)])] };
        assert!(orig.validate_edit(&outside, 10).unwrap_err().contains("outside the page"));

        let many = DetectResult { pages: vec![page(0, vec![tb(1.0, 1.0, 2.0, 2.0); 3])] };
        assert!(orig.validate_edit(&many, 2).unwrap_err().contains("at most 2"));

        let resized = DetectResult { pages: vec![DetectPage { width: 99, ..page(0, vec![]) }] };
        assert!(orig.validate_edit(&resized, 10).unwrap_err().contains("100x50"));
    }

    #[test]
    fn boxes_thinner_than_the_least_legible_line_are_refused_by_index() {
        let orig = DetectResult { pages: vec![page(0, vec![tb(1.0, 1.0, 10.0, 10.0)])] };
        let edit = |b: TextBox| DetectResult { pages: vec![page(0, vec![tb(1.0, 1.0, 10.0, 10.0), b])] };
        // A wide box 3 px high is thin but can be read; 2 px high, a point, or a bow-tie cannot.
        assert!(orig.validate_edit(&edit(tb(0.0, 10.0, 100.0, 13.0)), 10).is_ok());
        for thin in [
            tb(0.0, 10.0, 100.0, 12.0),
            tb(5.0, 5.0, 5.0, 5.0),
            TextBox { points: [[0.0, 0.0], [50.0, 40.0], [50.0, 0.0], [0.0, 40.0]], score: 1.0 },
        ] {
            let err = orig.validate_edit(&edit(thin), 10).unwrap_err();
            assert!(err.starts_with("box 1 on page 0 is") && err.contains("at least 3 px thick"), "{err}");
        }
    }

    #[test]
    fn edit_replaces_only_the_pages_it_names() {
        let orig = DetectResult { pages: vec![page(0, vec![tb(1.0, 1.0, 2.0, 2.0)]), page(1, vec![])] };
        let edit = DetectResult { pages: vec![page(1, vec![tb(3.0, 3.0, 4.0, 4.0)])] };
        let merged = orig.apply_edit(edit);
        assert_eq!(merged.pages[0], orig.pages[0]);
        assert_eq!(merged.pages[1].boxes.len(), 1);
    }

    fn result() -> OcrResult {
        let line = |t: &str| OcrLine::recognized(t.into(), 0.8, tb(1.0, 1.0, 9.0, 9.0).points, vec![0.8; t.len()]);
        let page = OcrPage {
            page_index: 0,
            width: 100,
            height: 50,
            lines: vec![line("helo"), line("world")],
            text: "".into(),
            ..Default::default()
        };
        OcrResult::new(vec![page], "m".into())
    }

    #[test]
    fn line_edits_keep_the_machine_reading_and_rebuild_the_text() {
        let mut r = result();
        assert_eq!(r.text, "helo\nworld");
        r.apply_line_edits(&[LineEdit { page_index: 0, line_index: 0, text: "hello".into() }], 100).unwrap();
        assert_eq!(r.text, "hello\nworld");
        assert_eq!(r.pages[0].lines[0].machine_text.as_deref(), Some("helo"));
        assert!(!r.pages[0].lines[1].human_edited());
        // A second correction keeps the original machine reading; restoring it clears the mark.
        r.apply_line_edits(&[LineEdit { page_index: 0, line_index: 0, text: "hallo".into() }], 100).unwrap();
        assert_eq!(r.pages[0].lines[0].machine_text.as_deref(), Some("helo"));
        r.apply_line_edits(&[LineEdit { page_index: 0, line_index: 0, text: "helo".into() }], 100).unwrap();
        assert!(!r.pages[0].lines[0].human_edited());
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["pages"][0]["lines"][0].get("machine_text").is_none());
    }

    #[test]
    fn field_edits_keep_the_machine_value_and_undo_when_it_is_sent_again() {
        let mut r = result();
        r.fields = vec![Field {
            name: "total".into(),
            value: "65.000".into(),
            normalized: Some("65000".into()),
            confidence: 0.8,
            page_index: 0,
            line_ids: vec![1],
            machine_value: None,
        }];
        let fix = |value: &str| FieldEdit { index: 0, name: "total".into(), value: value.into() };
        r.apply_field_edits(&[fix("66.000")], 100).unwrap();
        assert_eq!((r.fields[0].value.as_str(), r.fields[0].machine_value.as_deref()), ("66.000", Some("65.000")));
        r.apply_field_edits(&[fix("67.000")], 100).unwrap();
        assert_eq!(r.fields[0].machine_value.as_deref(), Some("65.000"));
        r.apply_field_edits(&[fix("65.000")], 100).unwrap();
        assert_eq!((r.fields[0].value.as_str(), r.fields[0].machine_value.as_deref()), ("65.000", None));

        let before = r.clone();
        let err =
            r.apply_field_edits(&[fix("x"), FieldEdit { index: 3, name: "total".into(), value: "x".into() }], 100);
        assert!(err.unwrap_err().contains("no index 3"));
        let err = r.apply_field_edits(&[FieldEdit { index: 0, name: "date".into(), value: "x".into() }], 100);
        assert!(err.unwrap_err().contains(r#"is "total", not "date""#));
        assert!(r.apply_field_edits(&[fix("12345")], 4).unwrap_err().contains("longer than 4"));
        assert_eq!(r, before);
    }

    #[test]
    fn fields_found_again_keep_the_reviewers_corrections() {
        let field = |name: &str, value: &str, machine: Option<&str>| Field {
            name: name.into(),
            value: value.into(),
            normalized: None,
            confidence: 0.9,
            page_index: 0,
            line_ids: vec![0],
            machine_value: machine.map(Into::into),
        };
        let mut r = result();
        r.fields = vec![
            field("total", "66.000", Some("65.000")),
            field("date", "12/03/2024", None),
            field("item", "a", None),
            field("item", "B", Some("b")),
            field("seller_name", "ACME", Some("AC ME")),
        ];
        r.refresh_fields(vec![
            field("date", "13/03/2024", None),
            field("total", "66.000", None),
            field("item", "a", None),
            field("item", "c", None),
        ]);
        let got: Vec<_> =
            r.fields.iter().map(|f| (f.name.as_str(), f.value.as_str(), f.machine_value.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                // The plugin's new reading of an uncorrected field is taken.
                ("date", "13/03/2024", None),
                // It now finds what the reviewer wrote: the correction is absorbed.
                ("total", "66.000", None),
                ("item", "a", None),
                // The second `item` stays the reviewer's, over the plugin's new value.
                ("item", "B", Some("c")),
                // Not found any more: the reviewer's field is kept.
                ("seller_name", "ACME", Some("AC ME")),
            ]
        );
    }

    #[test]
    fn bad_line_edits_change_nothing_and_name_the_problem() {
        let mut r = result();
        let before = r.clone();
        let edits = [
            LineEdit { page_index: 0, line_index: 0, text: "ok".into() },
            LineEdit { page_index: 0, line_index: 7, text: "x".into() },
        ];
        assert!(r.apply_line_edits(&edits, 100).unwrap_err().contains("no line_index 7"));
        assert_eq!(r, before);
        let e = LineEdit { page_index: 2, line_index: 0, text: "x".into() };
        assert!(r.apply_line_edits(&[e], 100).unwrap_err().contains("page_index 2"));
        let e = LineEdit { page_index: 0, line_index: 0, text: "x".repeat(5) };
        assert!(r.apply_line_edits(&[e], 4).unwrap_err().contains("longer than 4"));
        let e = LineEdit { page_index: 0, line_index: 0, text: "a\nb".into() };
        assert!(r.apply_line_edits(&[e], 100).unwrap_err().contains("breaks"));
    }

    #[test]
    fn added_boxes_default_to_full_score() {
        let b: TextBox = serde_json::from_str(r#"{"points":[[0,0],[1,0],[1,1],[0,1]]}"#).unwrap();
        assert_eq!(b.score, 1.0);
    }
}
