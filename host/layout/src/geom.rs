//! Axis-aligned rectangles of lines, and the line height every threshold is measured in.

use ocr_core::{OcrLine, Quad, geometry};

/// An axis-aligned rectangle in page pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Rect {
    pub fn of(q: &Quad) -> Self {
        let (x0, y0, x1, y1) = geometry::bounds(q);
        let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
        let (x0, y0, x1, y1) = (finite(x0), finite(y0), finite(x1), finite(y1));
        Self { x0, y0, x1: x1.max(x0), y1: y1.max(y0) }
    }

    pub fn h(&self) -> f32 {
        self.y1 - self.y0
    }

    pub fn cy(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }

    pub fn union(&self, o: &Rect) -> Rect {
        Rect { x0: self.x0.min(o.x0), y0: self.y0.min(o.y0), x1: self.x1.max(o.x1), y1: self.y1.max(o.y1) }
    }

    /// Length of the overlap of the two rectangles' x ranges (negative: the gap between them).
    pub fn x_overlap(&self, o: &Rect) -> f32 {
        self.x1.min(o.x1) - self.x0.max(o.x0)
    }

    /// Length of the overlap of the two y ranges (negative: the gap between them).
    pub fn y_overlap(&self, o: &Rect) -> f32 {
        self.y1.min(o.y1) - self.y0.max(o.y0)
    }

    pub fn quad(&self) -> Quad {
        [[self.x0, self.y0], [self.x1, self.y0], [self.x1, self.y1], [self.x0, self.y1]]
    }

    pub fn union_all(rects: impl IntoIterator<Item = Rect>) -> Option<Rect> {
        rects.into_iter().reduce(|a, b| a.union(&b))
    }
}

/// A line as layout sees it: its index in the page's `lines`, its rectangle and its text.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub id: u32,
    pub r: Rect,
    pub text: &'a str,
}

impl<'a> Line<'a> {
    pub fn of(lines: &'a [OcrLine]) -> Vec<Line<'a>> {
        lines.iter().enumerate().map(|(i, l)| Line { id: i as u32, r: Rect::of(&l.points), text: &l.text }).collect()
    }
}

/// The page's line height: the median height of its line boxes. Every distance in this crate
/// is a multiple of it, so the same rules hold for a 100 dpi scan and a 300 dpi photo. A
/// detector box is about 1.2 to 1.5 em high (the font's size plus the detector's margin).
pub fn line_height(lines: &[Line]) -> f32 {
    let mut h: Vec<f32> = lines.iter().map(|l| l.r.h()).filter(|h| *h > 0.0).collect();
    if h.is_empty() {
        return 1.0;
    }
    h.sort_by(f32::total_cmp);
    h[h.len() / 2]
}

/// The part of `q` between fractions `t0` and `t1` of the way from its left edge to its right
/// (a `label: value` line's key and value, placed by character count).
pub fn slice(q: &Quad, t0: f32, t1: f32) -> Quad {
    let lerp = |a: [f32; 2], b: [f32; 2], t: f32| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    [lerp(q[0], q[1], t0), lerp(q[0], q[1], t1), lerp(q[3], q[2], t1), lerp(q[3], q[2], t0)]
}
