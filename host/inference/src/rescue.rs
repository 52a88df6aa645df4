//! Lines the first detector missed, taken from a second one ([`crate::DetectorKind::CraftTrueocr`]).
//!
//! CRAFT scores a lone digit (a receipt's quantity column: `1`, `3`) under its thresholds, and
//! no line grouping brings back a character that was never found; trueocr's line detector finds
//! it. A second detector's line is added when it touches no first line (a line with any real
//! part inside a first line is already read, and reading it twice would read its words twice),
//! when it stands as high as the page's first lines (trueocr makes lines of the big single
//! letters of a street photo, and of a logo; the first detector's lines tell how high the
//! page's text is), and when the second detector is sure of it (a rule or a dotted leader is a
//! faint line to trueocr). Such a line is read by both languages' readers (with the paper
//! trueocr's reader wants around it) and kept only when both read text in it
//! ([`reads_as_text`]), and it is reported on its ink ([`as_reported`]), as CRAFT's lines are.
//!
//! Pure geometry on boxes in page pixels; nothing here runs a model.

use ocr_core::{Quad, TextBox, geometry};

use crate::{eval, line_detector};

/// A second line at least this share of whose area lies inside first lines is already read:
/// any real overlap. Line boxes carry margins of paper (a trueocr box a fifth of its height
/// above and below its ink), so a lone digit's box may touch the row above or below by a strip
/// of margin, a few hundredths of its area; a tenth is past that and short of a letter.
pub(crate) const MAX_COVERED: f32 = 0.1;

/// The least detector score (trueocr's mean line-core probability; its pixels count as core
/// from 0.5) of a second line: the lone digits the first detector missed scored 0.74-0.88 on
/// the development pages it was chosen on, the rules, dotted leaders and specks 0.50-0.68.
pub(crate) const MIN_SCORE: f32 = 0.7;

/// A second line is added only when its height lies within the heights of the page's first
/// lines, widened by this factor each way (the two detectors draw a line's box with different
/// margins, and a lone digit's box is as high as its row's neighbours').
pub(crate) const HEIGHT_SLACK: f32 = 1.25;

/// The least number of first lines that tell the page's line heights: with fewer, nothing is
/// added (a page CRAFT finds next to nothing on is no page to trust a guess on).
pub(crate) const MIN_FIRST_LINES: usize = 3;

/// Whether a reader's reading of a second line holds text: a letter or a digit. trueocr also
/// finds lines in the ink of a rule's end, a dash or a speck by a price, which read as nothing
/// or as punctuation alone.
pub(crate) fn reads_as_text(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Share of `q`'s area inside the `first` boxes (which do not overlap one another much), at most 1.
pub(crate) fn covered_share(q: &Quad, first: &[TextBox]) -> f32 {
    first.iter().map(|b| eval::coverage(q, &b.points)).sum::<f32>().min(1.0)
}

/// The `second` lines that none of the `first` lines touches ([`MAX_COVERED`]), whose height
/// lies in the first lines' range ([`HEIGHT_SLACK`]) and whose score is at least
/// [`MIN_SCORE`], in the order of `second`.
pub(crate) fn missed_lines(first: &[TextBox], second: &[TextBox]) -> Vec<TextBox> {
    if first.len() < MIN_FIRST_LINES {
        return Vec::new();
    }
    let heights = first.iter().map(|b| geometry::height(&b.points));
    let (low, high) = heights.fold((f32::INFINITY, 0.0f32), |(lo, hi), h| (lo.min(h), hi.max(h)));
    let (low, high) = (low / HEIGHT_SLACK, high * HEIGHT_SLACK);
    second
        .iter()
        .filter(|b| b.score >= MIN_SCORE && (low..=high).contains(&geometry::height(&b.points)))
        .filter(|b| covered_share(&b.points, first) < MAX_COVERED)
        .cloned()
        .collect()
}

/// An added line as the page's lines are reported: its box on the ink (read with trueocr's
/// paper around it by the guard of [`reads_as_text`], reported as tight as CRAFT draws its
/// boxes, so a lone digit's box is the digit's and not a box twice its width).
pub(crate) fn as_reported(b: TextBox) -> TextBox {
    TextBox { points: line_detector::ink_box(&b.points), ..b }
}

/// `lines` (in reading order) with the `added` ones put where they read: before the first line
/// that starts below an added line's middle, or that shares its row and starts to its right.
pub(crate) fn in_reading_order(mut lines: Vec<TextBox>, added: Vec<TextBox>) -> Vec<TextBox> {
    for a in added {
        let (left, top, _, bottom) = geometry::bounds(&a.points);
        let middle = 0.5 * (top + bottom);
        let at = lines
            .iter()
            .position(|b| {
                let (b_left, b_top, _, b_bottom) = geometry::bounds(&b.points);
                let same_row = b_top <= middle && middle <= b_bottom;
                b_top > middle || (same_row && b_left > left)
            })
            .unwrap_or(lines.len());
        lines.insert(at, a);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> TextBox {
        TextBox { points: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], score: 0.9 }
    }

    /// A receipt's rows: the item and its price found, 20 px high, the quantity digit not.
    fn receipt() -> Vec<TextBox> {
        vec![rect(100.0, 0.0, 400.0, 20.0), rect(600.0, 0.0, 700.0, 20.0), rect(100.0, 30.0, 380.0, 50.0)]
    }

    #[test]
    fn a_line_no_first_line_touches_is_added() {
        let digit = rect(40.0, 1.0, 60.0, 23.0);
        assert_eq!(missed_lines(&receipt(), std::slice::from_ref(&digit)), vec![digit]);
    }

    #[test]
    fn a_line_the_first_detector_already_holds_is_not_added() {
        // trueocr's box of the item's line, a little longer than CRAFT's.
        let item = rect(95.0, -2.0, 420.0, 22.0);
        assert!(missed_lines(&receipt(), &[item]).is_empty());
        // A box a third inside a found line: part of a line already read.
        let half_in = rect(360.0, 2.0, 420.0, 20.0);
        assert!(covered_share(&half_in.points, &receipt()) > MAX_COVERED);
        assert!(missed_lines(&receipt(), &[half_in]).is_empty());
    }

    #[test]
    fn a_line_whose_margin_touches_a_neighbour_is_still_added() {
        // A digit whose padded box reaches 2 px into the row above (of 24 px).
        let digit = rect(40.0, 18.0, 60.0, 42.0);
        let share = covered_share(&digit.points, &[rect(30.0, 0.0, 300.0, 20.0), rect(100.0, 60.0, 300.0, 80.0)]);
        assert!(share > 0.05 && share < MAX_COVERED, "{share}");
        assert_eq!(missed_lines(&receipt(), std::slice::from_ref(&digit)), vec![digit]);
    }

    #[test]
    fn a_line_the_second_detector_is_unsure_of_is_not_added() {
        let rule = TextBox { score: 0.55, ..rect(40.0, 1.0, 300.0, 23.0) };
        assert!(missed_lines(&receipt(), &[rule]).is_empty());
    }

    #[test]
    fn lines_higher_or_lower_than_the_pages_lines_are_not_added() {
        // A street photo's big letter, and a speck.
        let big = rect(800.0, 100.0, 860.0, 180.0);
        let speck = rect(800.0, 300.0, 805.0, 305.0);
        assert!(missed_lines(&receipt(), &[big, speck]).is_empty());
        // With too few first lines to tell the page's heights, nothing is added.
        let digit = rect(40.0, 1.0, 60.0, 23.0);
        assert!(missed_lines(&receipt()[..2], &[digit]).is_empty());
    }

    #[test]
    fn a_line_that_reads_as_punctuation_or_nothing_is_no_text() {
        for text in ["1", "3", "x", "Zip", "(V)1"] {
            assert!(reads_as_text(text), "{text}");
        }
        for text in ["", " ", "-*", "(.)", "—"] {
            assert!(!reads_as_text(text), "{text}");
        }
    }

    #[test]
    fn an_added_line_is_reported_on_its_ink() {
        // trueocr's box of a line 20 px high and 20 px long, read with 4 px of paper above and
        // below (0.2 x its height) and 6 px at each end (0.3 x).
        let read = TextBox { points: [[34.0, -3.0], [66.0, -3.0], [66.0, 25.0], [34.0, 25.0]], score: 0.8 };
        assert_eq!(as_reported(read).points, [[40.0, 1.0], [60.0, 1.0], [60.0, 21.0], [40.0, 21.0]]);
    }

    #[test]
    fn added_lines_take_their_place_in_reading_order() {
        let digit_row_1 = rect(40.0, 1.0, 60.0, 21.0);
        let digit_row_2 = rect(40.0, 31.0, 60.0, 51.0);
        let footer = rect(100.0, 90.0, 200.0, 110.0);
        let lines = in_reading_order(receipt(), vec![footer.clone(), digit_row_2.clone(), digit_row_1.clone()]);
        let r = receipt();
        let expect = [digit_row_1, r[0].clone(), r[1].clone(), digit_row_2, r[2].clone(), footer];
        assert_eq!(lines, expect);
    }
}
