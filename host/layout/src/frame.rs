//! The page's text direction, and the frame layout works in: the page turned so that its text
//! runs left to right.
//!
//! Every rule of this crate compares upright rectangles of lines (rows share a y band, columns
//! an x range). On a photo taken at a slant, a line's upright rectangle grows by its width
//! times the slant: at 5° a 300 px line's box is 26 px taller, so two stacked lines of a
//! centred receipt header overlap in y by half their height and would be read as one row, the
//! lower one first. In the turned frame the boxes are as tight as on a straight scan.

use ocr_core::{OcrLine, Quad};

/// A line votes for the direction only when its top edge is at least this many times its left
/// edge: the edge of a word or a line of text, not of a single letter or a square mark, whose
/// corners say little about the direction the text runs in.
pub const MIN_ASPECT: f32 = 2.0;

/// A rotation of the page: the direction of its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    cos: f32,
    sin: f32,
}

impl Frame {
    /// The frame of a page whose text runs left to right.
    pub const UPRIGHT: Frame = Frame { cos: 1.0, sin: 0.0 };

    /// The median direction of the lines' top edges (each box's corners come in reading order,
    /// also on a page the engine found turned), over the lines long enough to show it
    /// ([`MIN_ASPECT`]); upright when none is.
    pub fn of(lines: &[OcrLine]) -> Frame {
        let mut angles: Vec<f32> = lines
            .iter()
            .filter_map(|l| {
                let q = &l.points;
                let (dx, dy) = (q[1][0] - q[0][0], q[1][1] - q[0][1]);
                let side = (q[3][0] - q[0][0]).hypot(q[3][1] - q[0][1]);
                let top = dx.hypot(dy);
                (top.is_finite() && side.is_finite() && top > 0.0 && top >= MIN_ASPECT * side).then(|| dy.atan2(dx))
            })
            .collect();
        if angles.is_empty() {
            return Frame::UPRIGHT;
        }
        angles.sort_by(f32::total_cmp);
        let a = angles[angles.len() / 2];
        if a == 0.0 { Frame::UPRIGHT } else { Frame { cos: a.cos(), sin: a.sin() } }
    }

    pub fn is_upright(&self) -> bool {
        *self == Frame::UPRIGHT
    }

    /// `q` in the turned frame, where the text runs left to right.
    pub fn upright(&self, q: &Quad) -> Quad {
        q.map(|[x, y]| [x * self.cos + y * self.sin, -x * self.sin + y * self.cos])
    }

    /// `q`, given in the turned frame, back on the page.
    pub fn on_page(&self, q: &Quad) -> Quad {
        q.map(|[x, y]| [x * self.cos - y * self.sin, x * self.sin + y * self.cos])
    }
}

#[cfg(test)]
mod tests {
    use ocr_core::{OcrLine, OcrPage};

    use super::*;
    use crate::analyze;

    /// A receipt as a person holds it: a centred header of lines of different widths, an item
    /// table, a labelled total, set with 20 px lines.
    fn receipt() -> Vec<(&'static str, [f32; 4])> {
        vec![
            ("CỬA HÀNG TIỆN LỢI HOA SEN", [300.0, 40.0, 700.0, 64.0]),
            ("382 Nguyễn Đình Chiều", [380.0, 70.0, 620.0, 90.0]),
            ("TP. Thủ Đức, TP. Hồ Chí Minh", [330.0, 96.0, 670.0, 116.0]),
            ("ĐT: 028 3979 1525", [400.0, 122.0, 600.0, 142.0]),
            ("Sữa tươi", [100.0, 200.0, 260.0, 220.0]),
            ("2", [500.0, 200.0, 520.0, 220.0]),
            ("30.000", [780.0, 200.0, 900.0, 220.0]),
            ("Bánh mì", [100.0, 230.0, 240.0, 250.0]),
            ("1", [500.0, 230.0, 520.0, 250.0]),
            ("15.000", [780.0, 230.0, 900.0, 250.0]),
            ("Nước suối", [100.0, 260.0, 270.0, 280.0]),
            ("3", [500.0, 260.0, 520.0, 280.0]),
            ("9.000", [800.0, 260.0, 900.0, 280.0]),
            ("Tổng cộng: 54.000", [560.0, 320.0, 900.0, 340.0]),
        ]
    }

    /// The page with every box turned by `degrees` about (500, 500), corners in reading order.
    fn page(degrees: f32) -> OcrPage {
        let (s, c) = degrees.to_radians().sin_cos();
        let turn =
            |[x, y]: [f32; 2]| [500.0 + (x - 500.0) * c - (y - 500.0) * s, 500.0 + (x - 500.0) * s + (y - 500.0) * c];
        let lines = receipt()
            .into_iter()
            .map(|(t, [x0, y0, x1, y1])| {
                let q = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]].map(turn);
                OcrLine::recognized(t.into(), 0.9, q, vec![0.9; t.chars().count()])
            })
            .collect();
        OcrPage { page_index: 0, width: 1000, height: 1000, lines, ..Default::default() }
    }

    #[test]
    fn the_direction_is_the_median_top_edge_of_lines_that_show_it() {
        let p = page(6.0);
        let f = Frame::of(&p.lines);
        assert!((f.sin.atan2(f.cos).to_degrees() - 6.0).abs() < 0.01, "{f:?}");
        // Back and forth is the identity; the turned header's boxes are as tight as printed.
        let q = p.lines[0].points;
        let back = f.on_page(&f.upright(&q));
        assert!(q.iter().zip(&back).all(|(a, b)| (a[0] - b[0]).abs() < 1e-3 && (a[1] - b[1]).abs() < 1e-3));
        let up = f.upright(&q);
        assert!((up[3][1] - up[0][1] - 24.0).abs() < 0.01 && (up[1][1] - up[0][1]).abs() < 0.01, "{up:?}");
        // Single digits (square boxes) do not vote; a page of them alone stays upright.
        let digits: Vec<OcrLine> = p.lines.iter().filter(|l| l.text.len() == 1).cloned().collect();
        assert!(Frame::of(&digits).is_upright());
        assert!(Frame::of(&page(0.0).lines).is_upright());
    }

    #[test]
    fn a_page_photographed_at_a_slant_has_the_structure_of_the_straight_page() {
        let straight = analyze(&page(0.0));
        for degrees in [-8.0, -4.0, 4.0, 8.0] {
            let slanted = analyze(&page(degrees));
            let ids = |s: &crate::PageStructure| -> Vec<(ocr_core::BlockKind, Vec<u32>)> {
                s.blocks.iter().map(|b| (b.kind, b.line_ids.clone())).collect()
            };
            assert_eq!(ids(&slanted), ids(&straight), "{degrees}°");
            let cells = |s: &crate::PageStructure| -> Vec<(u32, u32, String)> {
                s.tables.iter().flat_map(|t| t.cells.iter().map(|c| (c.row, c.col, c.text.clone()))).collect()
            };
            assert_eq!(cells(&slanted), cells(&straight), "{degrees}°");
            let pairs = |s: &crate::PageStructure| -> Vec<(String, String)> {
                s.pairs.iter().map(|p| (p.key.text.clone(), p.value.text.clone())).collect()
            };
            assert_eq!(pairs(&slanted), pairs(&straight), "{degrees}°");
            // The structure's outlines lie on the turned page: a block's top edge runs at the slant.
            let b = &slanted.blocks[0].points;
            let angle = (b[1][1] - b[0][1]).atan2(b[1][0] - b[0][0]).to_degrees();
            assert!((angle - degrees).abs() < 0.01, "{degrees}°: {b:?}");
        }
        // The header reads top to bottom, one line after another.
        assert_eq!(straight.blocks[0].line_ids[..3], [0, 1, 2], "{:?}", straight.blocks);
        assert!(straight.tables.iter().any(|t| t.row_count == 3), "{:?}", straight.tables);
    }
}
