//! Detection and recognition results, as stored and as served.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::geometry::{self, Quad};

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
    /// Checks a reviewer's replacement against the detected pages: the same page set with the
    /// same sizes, every corner inside its page, at most `max_boxes` boxes per page.
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
    /// Mean of the per-character confidences (1 for an empty line).
    pub confidence: f32,
    /// The box the line was read from.
    #[schema(value_type = Vec<Vec<f32>>)]
    pub points: Quad,
    /// Confidence of each character of `text`, in order.
    pub char_confidences: Vec<f32>,
}

/// The text of one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OcrPage {
    pub page_index: u32,
    pub width: u32,
    pub height: u32,
    /// Lines in reading order.
    pub lines: Vec<OcrLine>,
    /// The page's lines joined with `\n`.
    pub text: String,
}

/// The recognition result of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct OcrResult {
    pub pages: Vec<OcrPage>,
    /// Every page's text, pages separated by a form feed line (`\n\f\n`).
    pub text: String,
    /// Which models produced it, e.g. `craftnet+asternet`.
    pub model: String,
}

impl OcrResult {
    pub fn new(pages: Vec<OcrPage>, model: String) -> Self {
        let text = pages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n\u{c}\n");
        Self { pages, text, model }
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
    fn edit_replaces_only_the_pages_it_names() {
        let orig = DetectResult { pages: vec![page(0, vec![tb(1.0, 1.0, 2.0, 2.0)]), page(1, vec![])] };
        let edit = DetectResult { pages: vec![page(1, vec![tb(3.0, 3.0, 4.0, 4.0)])] };
        let merged = orig.apply_edit(edit);
        assert_eq!(merged.pages[0], orig.pages[0]);
        assert_eq!(merged.pages[1].boxes.len(), 1);
    }

    #[test]
    fn added_boxes_default_to_full_score() {
        let b: TextBox = serde_json::from_str(r#"{"points":[[0,0],[1,0],[1,1],[0,1]]}"#).unwrap();
        assert_eq!(b.score, 1.0);
    }
}
