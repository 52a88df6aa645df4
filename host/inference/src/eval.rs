//! Accuracy metrics for comparing OCR output with ground truth (used by `examples/accuracy.rs`).
//!
//! Geometry: polygon areas and intersections by Sutherland–Hodgman clipping against a *convex*
//! clip polygon. Detected boxes are always convex (rectangles, or rectangles widened by a
//! margin), so intersections are exact for them; the subject (a ground-truth polygon) may be
//! any simple polygon.
//!
//! Text: character error rate (Levenshtein over Unicode scalar values, `strsim`) and word
//! accuracy (1 − word error rate), both on case-folded, whitespace-collapsed NFC text, and
//! optionally with Vietnamese diacritics removed ([`strip_diacritics`]) so that accent errors
//! show up as the difference between the two numbers.

use ocr_core::Quad;
use unicode_normalization::UnicodeNormalization;

/// Twice the signed area (positive when the corners run clockwise on screen, y down).
fn signed_area2(poly: &[[f32; 2]]) -> f32 {
    (0..poly.len())
        .map(|i| {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Area of a simple polygon (shoelace formula).
pub fn polygon_area(poly: &[[f32; 2]]) -> f32 {
    0.5 * signed_area2(poly).abs()
}

/// The part of `subject` inside the convex polygon `clip` (Sutherland–Hodgman).
pub fn clip_convex(subject: &[[f32; 2]], clip: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let orientation = signed_area2(clip).signum();
    if orientation == 0.0 {
        return Vec::new();
    }
    // Positive when `p` is on the inner side of the edge a->b.
    let side = |a: [f32; 2], b: [f32; 2], p: [f32; 2]| {
        orientation * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]))
    };
    let mut out = subject.to_vec();
    for i in 0..clip.len() {
        if out.is_empty() {
            break;
        }
        let (a, b) = (clip[i], clip[(i + 1) % clip.len()]);
        let input = std::mem::take(&mut out);
        for j in 0..input.len() {
            let (p, q) = (input[j], input[(j + 1) % input.len()]);
            let (sp, sq) = (side(a, b, p), side(a, b, q));
            if sp >= 0.0 {
                out.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                let t = sp / (sp - sq);
                out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
            }
        }
    }
    out
}

/// Area of `subject ∩ clip`, `clip` convex.
pub fn intersection_area(subject: &Quad, clip: &Quad) -> f32 {
    let inter = clip_convex(subject, clip);
    if inter.len() < 3 { 0.0 } else { polygon_area(&inter) }
}

/// Intersection over union of two quads (`b` convex).
pub fn iou(a: &Quad, b: &Quad) -> f32 {
    let inter = intersection_area(a, b);
    let union = polygon_area(a) + polygon_area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// Share of `gt`'s area inside the convex `det` (0 for a degenerate `gt`).
pub fn coverage(gt: &Quad, det: &Quad) -> f32 {
    let area = polygon_area(gt);
    if area <= 0.0 { 0.0 } else { intersection_area(gt, det) / area }
}

/// One-to-one matching of ground truth to detections: pairs with IoU ≥ `min_iou`, best first
/// (greedy). Returns `(gt index, detection index, iou)`.
pub fn match_by_iou(gt: &[Quad], det: &[Quad], min_iou: f32) -> Vec<(usize, usize, f32)> {
    let mut pairs = Vec::new();
    for (i, g) in gt.iter().enumerate() {
        for (j, d) in det.iter().enumerate() {
            let v = iou(g, d);
            if v >= min_iou {
                pairs.push((i, j, v));
            }
        }
    }
    pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
    let (mut gt_used, mut det_used) = (vec![false; gt.len()], vec![false; det.len()]);
    let mut out = Vec::new();
    for (i, j, v) in pairs {
        if !gt_used[i] && !det_used[j] {
            gt_used[i] = true;
            det_used[j] = true;
            out.push((i, j, v));
        }
    }
    out
}

/// Removes Vietnamese (and other Latin) diacritics: NFD, combining marks dropped, đ/Đ → d/D.
pub fn strip_diacritics(s: &str) -> String {
    s.nfd()
        .filter(|&c| !unicode_normalization::char::is_combining_mark(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// Text as compared: NFC, lower case, runs of whitespace as one space, trimmed; with
/// `fold_diacritics`, also [`strip_diacritics`].
pub fn normalize(s: &str, fold_diacritics: bool) -> String {
    let s: String = s.nfc().collect::<String>().to_lowercase();
    let s = if fold_diacritics { strip_diacritics(&s) } else { s };
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Edit counts of one recognized line against its ground truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextErrors {
    /// Character edits (Levenshtein) and characters in the ground truth.
    pub char_edits: usize,
    pub chars: usize,
    /// Word edits (Levenshtein over words) and words in the ground truth.
    pub word_edits: usize,
    pub words: usize,
}

impl TextErrors {
    /// Compares `read` with `truth` after [`normalize`].
    pub fn of(truth: &str, read: &str, fold_diacritics: bool) -> Self {
        let (t, r) = (normalize(truth, fold_diacritics), normalize(read, fold_diacritics));
        let (tw, rw): (Vec<&str>, Vec<&str>) =
            (t.split(' ').filter(|w| !w.is_empty()).collect(), r.split(' ').filter(|w| !w.is_empty()).collect());
        Self {
            char_edits: strsim::levenshtein(&t, &r),
            chars: t.chars().count(),
            word_edits: strsim::generic_levenshtein(&tw, &rw),
            words: tw.len(),
        }
    }

    /// A ground-truth line nothing was read for: every character and word is an error.
    pub fn missed(truth: &str, fold_diacritics: bool) -> Self {
        Self::of(truth, "", fold_diacritics)
    }

    pub fn add(&mut self, o: TextErrors) {
        self.char_edits += o.char_edits;
        self.chars += o.chars;
        self.word_edits += o.word_edits;
        self.words += o.words;
    }

    /// Character error rate: edits / ground-truth characters (0 when there are none).
    pub fn cer(&self) -> f64 {
        ratio(self.char_edits, self.chars)
    }

    /// Word accuracy, 1 − word error rate, floored at 0.
    pub fn word_accuracy(&self) -> f64 {
        if self.words == 0 {
            return 0.0;
        }
        (1.0 - ratio(self.word_edits, self.words)).max(0.0)
    }
}

/// Detection counts: true positives, detections scored, ground-truth items scored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetCounts {
    pub true_pos: usize,
    pub detections: usize,
    pub truths: usize,
    /// Detections that matched something (≤ `detections`; differs from `true_pos` for
    /// word-granularity ground truth, where one line box may find several words).
    pub det_hits: usize,
}

impl DetCounts {
    pub fn add(&mut self, o: DetCounts) {
        self.true_pos += o.true_pos;
        self.detections += o.detections;
        self.truths += o.truths;
        self.det_hits += o.det_hits;
    }
    pub fn precision(&self) -> f64 {
        ratio(self.det_hits, self.detections)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.true_pos, self.truths)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Quad {
        [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn iou_of_overlapping_rectangles_is_exact() {
        let a = rect(0.0, 0.0, 10.0, 10.0);
        let b = rect(5.0, 0.0, 15.0, 10.0);
        assert!((iou(&a, &b) - 50.0 / 150.0).abs() < 1e-6);
        assert!((iou(&a, &a) - 1.0).abs() < 1e-6);
        assert_eq!(iou(&a, &rect(20.0, 20.0, 30.0, 30.0)), 0.0);
        // Counter-clockwise clip polygon: same answer.
        let mut ccw = b;
        ccw.reverse();
        assert!((iou(&a, &ccw) - 50.0 / 150.0).abs() < 1e-6);
    }

    #[test]
    fn iou_of_a_rotated_square_with_its_bounding_box() {
        // A diamond inscribed in a 2x2 square has half its area.
        let diamond = [[1.0, 0.0], [2.0, 1.0], [1.0, 2.0], [0.0, 1.0]];
        let square = rect(0.0, 0.0, 2.0, 2.0);
        assert!((polygon_area(&diamond) - 2.0).abs() < 1e-6);
        assert!((iou(&diamond, &square) - 0.5).abs() < 1e-6);
        assert!((iou(&square, &diamond) - 0.5).abs() < 1e-6);
        assert!((coverage(&diamond, &square) - 1.0).abs() < 1e-6);
        assert!((coverage(&square, &diamond) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn matching_is_one_to_one_and_best_first() {
        let gt = [rect(0.0, 0.0, 10.0, 10.0), rect(0.0, 20.0, 10.0, 30.0)];
        let det = [
            rect(1.0, 0.0, 10.0, 10.0),  // 0.9 with gt 0
            rect(0.0, 0.0, 10.0, 10.0),  // 1.0 with gt 0
            rect(0.0, 22.0, 10.0, 40.0), // 8/20 = 0.4 with gt 1: below 0.5
        ];
        let m = match_by_iou(&gt, &det, 0.5);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].0, m[0].1), (0, 1));
    }

    #[test]
    fn diacritics_are_stripped_and_d_bar_becomes_d() {
        assert_eq!(strip_diacritics("Đồng Văn, nghề"), "Dong Van, nghe");
        assert_eq!(normalize("  Đồng   VĂN ", true), "dong van");
        assert_eq!(normalize("Đồng  VĂN", false), "đồng văn");
    }

    #[test]
    fn cer_and_word_accuracy_count_edits_case_insensitively() {
        let e = TextErrors::of("Bà cụ bán xôi", "ba cu bán xoi", false);
        assert_eq!((e.char_edits, e.chars), (3, 13));
        assert_eq!((e.word_edits, e.words), (3, 4));
        assert!((e.word_accuracy() - 0.25).abs() < 1e-9);
        let folded = TextErrors::of("Bà cụ bán xôi", "ba cu bán xoi", true);
        assert_eq!(folded.char_edits, 0);
        assert_eq!(folded.word_accuracy(), 1.0);
        let m = TextErrors::missed("two words", false);
        assert_eq!((m.char_edits, m.chars, m.word_edits), (9, 9, 2));
    }

    #[test]
    fn f1_combines_precision_and_recall() {
        let c = DetCounts { true_pos: 3, detections: 4, truths: 6, det_hits: 3 };
        assert!((c.precision() - 0.75).abs() < 1e-9);
        assert!((c.recall() - 0.5).abs() < 1e-9);
        assert!((c.f1() - 0.6).abs() < 1e-9);
    }
}
