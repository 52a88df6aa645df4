//! Pages turned by 90, 180 or 270 degrees, read upright.
//!
//! A box's corner order is its reading direction (the crop runs from corner 0 to corner 1), so
//! turning a page's text upright means reordering corners, not touching the pixels:
//! - A page on its side shows mostly tall words (CRAFT links letters along the text whichever
//!   way it runs; lines, grouped left to right, would be a mess). It is detected again turned a
//!   quarter clockwise and the boxes are mapped back, their corners in the turned page's reading
//!   order.
//! - Upside down is told by the recognizer: the middles of the longest lines are read as they
//!   are and turned half round, and the more confident reading wins by a clear margin. Only a page
//!   whose reading as it is is not already confident pays for the second reading. (Text upside
//!   down still reads with a mean confidence of 0.82-0.92 on the development pages, against
//!   0.97-1.0 upright, so the margin is small and the threshold high.)

use ocr_core::geometry::dist;
use ocr_core::{Quad, TextBox};

/// Along (corner 0 → 1) and across (corner 0 → 3) a box.
fn extent(q: &Quad) -> (f32, f32) {
    (dist(q[0], q[1]).max(dist(q[3], q[2])), dist(q[0], q[3]).max(dist(q[1], q[2])))
}

/// Boxes clearly longer one way than the other (lines and words of several letters), with
/// whether they stand upright and their length.
fn elongated<'a>(quads: impl IntoIterator<Item = &'a Quad>) -> impl Iterator<Item = (usize, bool, f32)> {
    quads.into_iter().enumerate().filter_map(|(i, q)| {
        let (along, across) = extent(q);
        let (long, short) = (along.max(across), along.min(across));
        (long >= 2.0 * short).then_some((i, across > along, long))
    })
}

/// Whether most of the page's words run top to bottom (the page lies on its side): at least
/// three elongated words, and tall ones make up most of their length.
pub(crate) fn mostly_tall<'a>(words: impl IntoIterator<Item = &'a Quad>) -> bool {
    let (mut tall, mut all, mut n) = (0.0, 0.0, 0);
    for (_, is_tall, long) in elongated(words) {
        all += long;
        n += 1;
        if is_tall {
            tall += long;
        }
    }
    n >= 3 && tall > 0.6 * all
}

/// A box found on the page turned a quarter clockwise (`image::imageops::rotate90`), in the
/// coordinates of the page itself (`page_height` high), corners kept in their reading order.
pub(crate) fn from_quarter_turn(q: Quad, page_height: f32) -> Quad {
    q.map(|[u, v]| [v, page_height - u])
}

/// The same box read the other way round.
pub(crate) fn half_turn(q: Quad) -> Quad {
    [q[2], q[3], q[0], q[1]]
}

/// The middles of the `n` longest elongated boxes, at most `aspect` times as long as they are
/// high: the lines that tell the orientation best, at a bounded cost.
pub(crate) fn sample(boxes: &[TextBox], n: usize, aspect: f32) -> Vec<Quad> {
    let mut found: Vec<(usize, f32)> =
        elongated(boxes.iter().map(|b| &b.points)).map(|(i, _, long)| (i, long)).collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    found.into_iter().take(n).map(|(i, _)| middle(boxes[i].points, aspect)).collect()
}

/// The middle part of a box, at most `aspect` times as long (corner 0 → 1) as it is high.
fn middle(q: Quad, aspect: f32) -> Quad {
    let (along, across) = extent(&q);
    let keep = (aspect * across / along.max(1.0)).min(1.0);
    let (t0, t1) = (0.5 - keep / 2.0, 0.5 + keep / 2.0);
    let at = |a: [f32; 2], b: [f32; 2], t: f32| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    [at(q[0], q[1], t0), at(q[0], q[1], t1), at(q[3], q[2], t1), at(q[3], q[2], t0)]
}

/// At or above this mean confidence of the sample, the page reads well as it is: no second reading.
pub(crate) const CONFIDENT: f32 = 0.95;
/// How much more confident the half-turned reading must be to turn the page.
pub(crate) const MARGIN: f32 = 0.05;

/// Whether the half-turned readings win, from each sample line's confidence both ways: by
/// [`MARGIN`] on the mean, and on most of the lines one by one (one badly read line, a logo or a
/// stamp, does not turn a page the other lines read upright).
pub(crate) fn upside_down(upright: &[f32], turned: &[f32]) -> bool {
    let mean = |v: &[f32]| if v.is_empty() { 0.0 } else { v.iter().sum::<f32>() / v.len() as f32 };
    let wins = upright.iter().zip(turned).filter(|(u, t)| t > u).count();
    !upright.is_empty() && mean(turned) > mean(upright) + MARGIN && 2 * wins > upright.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(points: Quad) -> TextBox {
        TextBox { points, score: 1.0 }
    }

    fn wide(x: f32, y: f32) -> TextBox {
        boxed([[x, y], [x + 100.0, y], [x + 100.0, y + 20.0], [x, y + 20.0]])
    }

    fn tall(x: f32, y: f32) -> TextBox {
        boxed([[x, y], [x + 20.0, y], [x + 20.0, y + 100.0], [x, y + 100.0]])
    }

    #[test]
    fn a_page_of_tall_words_lies_on_its_side() {
        let quads = |boxes: &[TextBox]| boxes.iter().map(|b| b.points).collect::<Vec<Quad>>();
        assert!(!mostly_tall(&quads(&[wide(0.0, 0.0), wide(0.0, 30.0), wide(0.0, 60.0), tall(200.0, 0.0)])));
        assert!(mostly_tall(&quads(&[tall(0.0, 0.0), tall(30.0, 0.0), tall(60.0, 0.0), wide(200.0, 0.0)])));
        // Too little evidence: two words.
        assert!(!mostly_tall(&quads(&[tall(0.0, 0.0), tall(30.0, 0.0)])));
        // Square boxes (single letters) say nothing.
        let square = [[0.0, 0.0], [20.0, 0.0], [20.0, 20.0], [0.0, 20.0]];
        assert!(!mostly_tall(&[square, square, square]));
    }

    #[test]
    fn a_box_found_on_the_turned_page_maps_back_with_its_reading_order() {
        // Page 300 wide, 200 high, turned a quarter clockwise: 200 wide, 300 high. A line read
        // left to right on the turned page runs top to bottom on the page itself, at its right.
        let on_turned = [[10.0, 5.0], [110.0, 5.0], [110.0, 25.0], [10.0, 25.0]];
        let back = from_quarter_turn(on_turned, 200.0);
        assert_eq!(back, [[5.0, 190.0], [5.0, 90.0], [25.0, 90.0], [25.0, 190.0]]);
        let (along, across) = extent(&back);
        assert_eq!((along, across), (100.0, 20.0));
    }

    #[test]
    fn turning_half_round_twice_is_no_turn() {
        let q = wide(3.0, 4.0).points;
        assert_eq!(half_turn(q)[0], q[2]);
        assert_eq!(half_turn(half_turn(q)), q);
    }

    #[test]
    fn the_middles_of_the_longest_lines_are_sampled_and_a_clear_margin_turns_the_page() {
        let long = boxed([[0.0, 0.0], [300.0, 0.0], [300.0, 20.0], [0.0, 20.0]]);
        let boxes = vec![wide(0.0, 0.0), long, tall(0.0, 50.0)];
        let taken = sample(&boxes, 2, 8.0);
        // The 300-long line keeps its middle 160; the 100-long one (aspect 5) is whole.
        let expected = [[70.0, 0.0], [230.0, 0.0], [230.0, 20.0], [70.0, 20.0]];
        for (got, want) in taken[0].iter().zip(expected) {
            assert!((got[0] - want[0]).abs() < 1e-3 && (got[1] - want[1]).abs() < 1e-3, "{:?}", taken[0]);
        }
        assert_eq!(taken[1], wide(0.0, 0.0).points);
        assert!(upside_down(&[0.4, 0.5], &[0.9, 0.8]));
        assert!(upside_down(&[0.9, 0.9], &[0.99, 0.97]));
        assert!(!upside_down(&[0.85, 0.8], &[0.86, 0.82]));
        // One line read far better turned (a stamp) against three read better upright.
        assert!(!upside_down(&[0.99, 0.99, 0.99, 0.3], &[0.9, 0.9, 0.9, 1.0]));
        assert!(!upside_down(&[], &[]));
    }
}
