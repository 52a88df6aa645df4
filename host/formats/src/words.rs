//! Words of a recognized line, for the formats that want them (hOCR `ocrx_word`, ALTO `String`).
//!
//! The recognizer reads whole lines and gives one confidence per character, but no word
//! boundaries. A line's words are therefore its whitespace-separated runs of characters, placed
//! along the line's quad in proportion to character counts: a word spanning characters
//! `[a, b)` of an `n`-character line gets the slice of the quad between `a/n` and `b/n` of the way
//! along its top and bottom edges. This is an approximation — glyphs are not equally wide — good
//! enough to highlight or select a word, not to measure it.

use ocr_core::{OcrLine, Point, Quad};

/// One word of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Word<'a> {
    pub text: &'a str,
    /// The word's slice of the line's quad, clockwise from top-left.
    pub points: Quad,
    /// Mean confidence of the word's characters; the line's confidence where the per-character
    /// confidences no longer match the text (a reviewer corrected it).
    pub confidence: f32,
}

/// The words of `line` in reading order (none for an empty or all-blank line).
pub fn words(line: &OcrLine) -> Vec<Word<'_>> {
    let n = line.text.chars().count();
    let per_char = (!line.human_edited() && line.char_confidences.len() == n).then_some(&line.char_confidences);
    // (first char, end char, first byte, end byte) of each run of non-blank characters.
    let mut spans = Vec::new();
    let mut start = None;
    for (ci, (bi, ch)) in line.text.char_indices().enumerate() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some((ci, bi)),
            (true, Some((c0, b0))) => {
                spans.push((c0, ci, b0, bi));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((c0, b0)) = start {
        spans.push((c0, n, b0, line.text.len()));
    }
    spans
        .into_iter()
        .map(|(c0, c1, b0, b1)| Word {
            text: &line.text[b0..b1],
            points: slice(&line.points, c0 as f32 / n as f32, c1 as f32 / n as f32),
            confidence: per_char.map(|c| c[c0..c1].iter().sum::<f32>() / (c1 - c0) as f32).unwrap_or(line.confidence),
        })
        .collect()
}

/// The part of `q` between fractions `t0` and `t1` of the way from its left edge to its right.
fn slice(q: &Quad, t0: f32, t1: f32) -> Quad {
    let lerp = |a: Point, b: Point, t: f32| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    [lerp(q[0], q[1], t0), lerp(q[0], q[1], t1), lerp(q[3], q[2], t1), lerp(q[3], q[2], t0)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::line;

    #[test]
    fn words_split_on_blanks_and_share_the_box_by_character_count() {
        // 10 characters over 100 px: 10 px each.
        let l = line("ab  cdé fg", 0.0, 0.0, 100.0, 20.0);
        let w = words(&l);
        assert_eq!(w.iter().map(|w| w.text).collect::<Vec<_>>(), ["ab", "cdé", "fg"]);
        assert_eq!(w[0].points, [[0.0, 0.0], [20.0, 0.0], [20.0, 20.0], [0.0, 20.0]]);
        assert_eq!(w[1].points[0], [40.0, 0.0]);
        assert_eq!(w[1].points[2], [70.0, 20.0]);
        assert_eq!(w[2].points[1], [100.0, 0.0]);
        let mean = |r: std::ops::Range<usize>| l.char_confidences[r.clone()].iter().sum::<f32>() / r.len() as f32;
        assert!((w[1].confidence - mean(4..7)).abs() < 1e-6);
        assert!(words(&line("   ", 0.0, 0.0, 10.0, 10.0)).is_empty());
        assert!(words(&line("", 0.0, 0.0, 10.0, 10.0)).is_empty());
    }

    #[test]
    fn words_follow_a_rotated_quad() {
        let mut l = line("ab cd", 0.0, 0.0, 0.0, 0.0);
        // A line rising at 45° to the right: top edge (0,50)→(50,0), bottom edge (10,60)→(60,10).
        l.points = [[0.0, 50.0], [50.0, 0.0], [60.0, 10.0], [10.0, 60.0]];
        let w = words(&l);
        let near = |p: Point, q: [f32; 2]| (p[0] - q[0]).abs() < 1e-4 && (p[1] - q[1]).abs() < 1e-4;
        assert!(near(w[1].points[0], [30.0, 20.0]) && near(w[1].points[3], [40.0, 30.0]), "{:?}", w[1].points);
        assert!(near(w[1].points[1], [50.0, 0.0]) && near(w[1].points[2], [60.0, 10.0]), "{:?}", w[1].points);
    }

    #[test]
    fn corrected_lines_take_the_line_confidence() {
        let mut l = line("xin chào", 0.0, 0.0, 80.0, 10.0);
        l.machine_text = Some("xin chao".into());
        l.text = "xin chào bạn".into();
        assert!(words(&l).iter().all(|w| w.confidence == l.confidence));
        assert_eq!(words(&l).len(), 3);
    }
}
