//! What a reviewer changed on a job, as figures: lines whose text was corrected, the character
//! error rate of the machine's reading against the reviewed one, and boxes added, removed or
//! moved. Pure functions of the stored documents, so the same job always gives the same figures.

use serde::{Deserialize, Serialize};

use crate::geometry::bounds;
use crate::{DetectResult, OcrResult, TextBox};

/// A machine box and a reviewed box overlapping at least this much (intersection over union of
/// their bounds) are the same box, moved; less is a removal plus an addition.
pub const SAME_BOX_IOU: f32 = 0.5;

/// Review figures of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewStats {
    /// Recognized lines.
    pub lines: u64,
    /// Lines whose text a reviewer changed (an edit undone does not count).
    pub lines_changed: u64,
    /// Characters of the reviewed text of every line: the denominator of the CER.
    pub chars: u64,
    /// Levenshtein distance, in characters, from the machine's reading to the reviewed text.
    pub char_errors: u64,
    /// Boxes as the machine (detector and plugins) left them.
    pub boxes_machine: u64,
    pub boxes_added: u64,
    pub boxes_removed: u64,
    /// Kept but with other corners.
    pub boxes_moved: u64,
}

impl ReviewStats {
    /// Figures of a job: `machine` are the boxes before review (the same as `reviewed` when the
    /// boxes were never edited), `result` the recognized text with reviewers' corrections.
    pub fn of(machine: &DetectResult, reviewed: &DetectResult, result: Option<&OcrResult>) -> Self {
        let mut s = Self::default();
        for page in result.map(|r| r.pages.as_slice()).unwrap_or_default() {
            for line in &page.lines {
                s.lines += 1;
                s.chars += line.text.chars().count() as u64;
                if let Some(machine_text) = line.machine_text.as_deref().filter(|m| *m != line.text) {
                    s.lines_changed += 1;
                    s.char_errors += strsim::levenshtein(machine_text, &line.text) as u64;
                }
            }
        }
        for page in &machine.pages {
            s.boxes_machine += page.boxes.len() as u64;
            let after = reviewed.pages.iter().find(|p| p.page_index == page.page_index);
            let diff = BoxDiff::of(&page.boxes, after.map(|p| p.boxes.as_slice()).unwrap_or_default());
            s.boxes_added += diff.added as u64;
            s.boxes_removed += diff.removed as u64;
            s.boxes_moved += diff.moved as u64;
        }
        s
    }
}

/// How one page's boxes changed in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoxDiff {
    pub unchanged: usize,
    pub moved: usize,
    pub removed: usize,
    pub added: usize,
}

impl BoxDiff {
    /// Pairs each reviewed box with an unpaired machine box: identical corners first, then the
    /// best overlap of at least [`SAME_BOX_IOU`]. Unpaired machine boxes were removed, unpaired
    /// reviewed boxes added.
    pub fn of(machine: &[TextBox], reviewed: &[TextBox]) -> Self {
        let mut taken = vec![false; machine.len()];
        let mut d = Self::default();
        let mut pending = Vec::new();
        for r in reviewed {
            match machine.iter().enumerate().position(|(i, m)| !taken[i] && m.points == r.points) {
                Some(i) => {
                    taken[i] = true;
                    d.unchanged += 1;
                }
                None => pending.push(r),
            }
        }
        for r in pending {
            let best = machine
                .iter()
                .enumerate()
                .filter(|(i, _)| !taken[*i])
                .map(|(i, m)| (i, iou(&m.points, &r.points)))
                .filter(|(_, v)| *v >= SAME_BOX_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((i, _)) => {
                    taken[i] = true;
                    d.moved += 1;
                }
                None => d.added += 1,
            }
        }
        d.removed = taken.iter().filter(|t| !**t).count();
        d
    }

    /// True when review changed nothing on the page.
    pub fn is_unchanged(&self) -> bool {
        self.moved + self.removed + self.added == 0
    }
}

/// Intersection over union of the axis-aligned bounds of two quads.
fn iou(a: &crate::Quad, b: &crate::Quad) -> f32 {
    let (a0, a1, a2, a3) = bounds(a);
    let (b0, b1, b2, b3) = bounds(b);
    let w = (a2.min(b2) - a0.max(b0)).max(0.0);
    let h = (a3.min(b3) - a1.max(b1)).max(0.0);
    let inter = w * h;
    let union = (a2 - a0) * (a3 - a1) + (b2 - b0) * (b3 - b1) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DetectPage, OcrLine, OcrPage};

    fn rect(x: f32, y: f32, w: f32, h: f32) -> TextBox {
        TextBox { points: [[x, y], [x + w, y], [x + w, y + h], [x, y + h]], score: 0.9 }
    }

    fn page(boxes: Vec<TextBox>) -> DetectResult {
        DetectResult { pages: vec![DetectPage { page_index: 0, width: 1000, height: 1000, boxes }] }
    }

    #[test]
    fn boxes_are_paired_unchanged_moved_removed_and_added() {
        let machine = vec![rect(0.0, 0.0, 100.0, 20.0), rect(0.0, 50.0, 100.0, 20.0), rect(0.0, 100.0, 100.0, 20.0)];
        // The first kept, the second nudged by 5 px, the third deleted, one drawn elsewhere.
        let reviewed = vec![rect(0.0, 0.0, 100.0, 20.0), rect(5.0, 50.0, 100.0, 20.0), rect(500.0, 500.0, 50.0, 20.0)];
        let d = BoxDiff::of(&machine, &reviewed);
        assert_eq!(d, BoxDiff { unchanged: 1, moved: 1, removed: 1, added: 1 });
        assert!(BoxDiff::of(&machine, &machine).is_unchanged());
    }

    #[test]
    fn stats_count_corrected_lines_and_their_edit_distance() {
        let line = |text: &str, machine: Option<&str>| OcrLine {
            machine_text: machine.map(str::to_owned),
            ..OcrLine::recognized(text.into(), 0.9, rect(0.0, 0.0, 10.0, 10.0).points, vec![])
        };
        let result = OcrResult::new(
            vec![OcrPage {
                page_index: 0,
                width: 1000,
                height: 1000,
                // Hand count: "Tổng tiền" from "Tông tiên" is 2 substitutions; "ok" is untouched;
                // an edit undone ("x" back to "x") is no change.
                lines: vec![line("Tổng tiền", Some("Tông tiên")), line("ok", None), line("x", Some("x"))],
                text: String::new(),
                ..Default::default()
            }],
            "m".into(),
        );
        let boxes = page(vec![rect(0.0, 0.0, 10.0, 10.0)]);
        let s = ReviewStats::of(&boxes, &boxes, Some(&result));
        assert_eq!(
            s,
            ReviewStats {
                lines: 3,
                lines_changed: 1,
                chars: 9 + 2 + 1,
                char_errors: 2,
                boxes_machine: 1,
                ..Default::default()
            }
        );
    }
}
