//! PaddleOCR's PP-OCRv6 small text detector (`PP-OCRv6_det_small.onnx`, from PyPI `rapidocr`
//! 3.10.0, Apache-2.0): a DB (differentiable binarization) network whose output is, per pixel,
//! the probability of lying inside a text line's shrunk core. Its input and its box decoding
//! are RapidOCR's (`rapidocr/ch_ppocr_det/utils.py`, `config.yaml`), with its published
//! constants; nothing here was tuned on our pages.
//!
//! Input: the page in BGR, its shorter side scaled up to [`MIN_SIDE`] when smaller (never down:
//! a larger page keeps its pixels), each side rounded to a multiple of 32, `(x / 255 - 0.5) /
//! 0.5`. Our one addition is [`MAX_SIDE`], which bounds the work on large scans. Output: the
//! probability map at the input's size. A line is a connected region of the map over
//! [`THRESHOLD`] (dilated by a 2x2 square), kept when the mean probability inside its
//! minimum-area rectangle is at least [`BOX_THRESHOLD`], and grown back from the shrunk core by
//! `area x` [`UNCLIP_RATIO`] `/ perimeter` on every side.

use image::imageops::FilterType;
use image::{GrayImage, Luma, RgbImage};
use imageproc::point::Point;
use imageproc::region_labelling::{Connectivity, connected_components};
use ndarray::{Array4, ArrayView2};
use ocr_core::{Quad, TextBox, geometry};

use crate::detect::order_quad;

/// The input's shorter side is at least this (RapidOCR's `limit_side_len` 736, `limit_type` min).
pub(crate) const MIN_SIDE: u32 = 736;
/// The input's longer side is at most this: 1.6 times CRAFT's canvas (1280), at which every
/// line of our pages is found, so large scans cost what a page of that size costs, not more.
pub(crate) const MAX_SIDE: u32 = 2048;
/// Each side of the input divides by this.
const MULTIPLE: u32 = 32;
/// Probability over which a pixel belongs to a line's core (`thresh`).
const THRESHOLD: f32 = 0.3;
/// A region is a line when the mean probability inside its rectangle is at least this
/// (`box_thresh`).
const BOX_THRESHOLD: f32 = 0.5;
/// The core is grown back by its area times this over its perimeter (`unclip_ratio`).
const UNCLIP_RATIO: f32 = 1.6;
/// Cores whose rectangle's shorter side is under this many map pixels are noise (`min_size`);
/// grown boxes need this plus 2.
const MIN_SIZE: f32 = 3.0;
/// At most this many regions are decoded (`max_candidates`).
const MAX_CANDIDATES: usize = 1000;

/// The detector's input for `page`: `[1, 3, H, W]` and the scales from page to input pixels
/// (x, y; the sides are rounded to 32 separately).
pub(crate) fn input(page: &RgbImage) -> (Array4<f32>, [f32; 2]) {
    let (w, h) = page.dimensions();
    let (nw, nh) = input_size(w, h);
    let resized;
    let img = if (nw, nh) == (w, h) {
        page
    } else {
        resized = image::imageops::resize(page, nw, nh, FilterType::Triangle);
        &resized
    };
    let mut x = Array4::<f32>::zeros((1, 3, nh as usize, nw as usize));
    for (px, py, p) in img.enumerate_pixels() {
        let [r, g, b] = p.0;
        // BGR, as RapidOCR reads pages with OpenCV.
        for (c, v) in [b, g, r].into_iter().enumerate() {
            x[[0, c, py as usize, px as usize]] = v as f32 / 127.5 - 1.0;
        }
    }
    (x, [nw as f32 / w.max(1) as f32, nh as f32 / h.max(1) as f32])
}

/// The input's width and height for a `w` x `h` page ([`MIN_SIDE`], [`MAX_SIDE`], multiples of 32).
pub(crate) fn input_size(w: u32, h: u32) -> (u32, u32) {
    let (short, long) = (w.min(h).max(1) as f32, w.max(h).max(1) as f32);
    let mut ratio = if short < MIN_SIDE as f32 { MIN_SIDE as f32 / short } else { 1.0 };
    if long * ratio > MAX_SIDE as f32 {
        ratio = MAX_SIDE as f32 / long;
    }
    let side = |n: u32| (((n as f32 * ratio) / MULTIPLE as f32).round() as u32).max(1) * MULTIPLE;
    (side(w), side(h))
}

/// The lines of a probability map (`[H, W]`, input pixels), as quads on a `page_w` x `page_h`
/// page (`scale`: page to input pixels), clockwise from the top-left corner, in no particular order.
pub(crate) fn decode(prob: ArrayView2<'_, f32>, scale: [f32; 2], page_w: u32, page_h: u32) -> Vec<TextBox> {
    let (h, w) = prob.dim();
    if h == 0 || w == 0 {
        return Vec::new();
    }
    let mask = GrayImage::from_fn(w as u32, h as u32, |x, y| {
        // A 2x2 dilation: a pixel is on when it or its left, upper or upper-left neighbour is over.
        let (x, y) = (x as usize, y as usize);
        let on = [(0, 0), (1, 0), (0, 1), (1, 1)]
            .iter()
            .any(|&(dx, dy)| x >= dx && y >= dy && prob[[y - dy, x - dx]] > THRESHOLD);
        Luma([u8::from(on)])
    });
    let labels = connected_components(&mask, Connectivity::Eight, Luma([0u8]));
    // Each region's row ends: enough for its convex hull.
    let mut rows: Vec<Vec<(u32, u32, u32)>> = Vec::new();
    for (y, row) in labels.rows().enumerate() {
        let mut run: Option<(u32, u32, u32)> = None;
        for (x, l) in row.enumerate() {
            let l = l.0[0];
            match run {
                Some((label, x0, _)) if label == l => run = Some((label, x0, x as u32)),
                _ => {
                    if let Some((label, x0, x1)) = run.take()
                        && label != 0
                    {
                        push_run(&mut rows, label, y as u32, x0, x1);
                    }
                    run = Some((l, x as u32, x as u32));
                }
            }
        }
        if let Some((label, x0, x1)) = run
            && label != 0
        {
            push_run(&mut rows, label, y as u32, x0, x1);
        }
    }
    let (fw, fh) = (page_w as f32, page_h as f32);
    let mut boxes = Vec::new();
    for runs in rows.iter().filter(|r| !r.is_empty()).take(MAX_CANDIDATES) {
        let mut pts = Vec::with_capacity(4 * runs.len());
        for &(y, x0, x1) in runs {
            // Pixel indices, as OpenCV's contours (a region n pixels wide has a core n - 1 wide).
            let (y, x0, x1) = (y as i32, x0 as i32, x1 as i32);
            pts.extend([Point::new(x0, y), Point::new(x1, y)]);
        }
        let core = rect(&imageproc::geometry::min_area_rect(&pts));
        if short_side(&core) < MIN_SIZE {
            continue;
        }
        let score = mean_inside(prob, &core);
        if score < BOX_THRESHOLD {
            continue;
        }
        let grown = unclip(core);
        if short_side(&grown) < MIN_SIZE + 2.0 {
            continue;
        }
        let on_page = grown.map(|[x, y]| [(x / scale[0]).clamp(0.0, fw), (y / scale[1]).clamp(0.0, fh)]);
        let q = order_quad(on_page);
        if geometry::dist(q[0], q[1]) <= 3.0 || geometry::dist(q[0], q[3]) <= 3.0 {
            continue;
        }
        boxes.push(TextBox { points: q, score });
    }
    boxes
}

fn push_run(rows: &mut Vec<Vec<(u32, u32, u32)>>, label: u32, y: u32, x0: u32, x1: u32) {
    let i = label as usize - 1;
    if rows.len() <= i {
        rows.resize(i + 1, Vec::new());
    }
    rows[i].push((y, x0, x1));
}

fn rect(p: &[Point<i32>; 4]) -> Quad {
    p.map(|p| [p.x as f32, p.y as f32])
}

fn short_side(q: &Quad) -> f32 {
    geometry::dist(q[0], q[1]).min(geometry::dist(q[1], q[2]))
}

/// The mean of `prob` over the pixels whose centre lies inside the convex quad `q`.
fn mean_inside(prob: ArrayView2<'_, f32>, q: &Quad) -> f32 {
    let (h, w) = prob.dim();
    let (x0, y0, x1, y1) = geometry::bounds(q);
    let (xs, xe) = ((x0.floor().max(0.0)) as usize, (x1.ceil() as usize).min(w));
    let (ys, ye) = ((y0.floor().max(0.0)) as usize, (y1.ceil() as usize).min(h));
    // Inside a convex quad: on the same side of every edge (no allocation: this runs per pixel).
    let inside = |px: f32, py: f32| {
        let side = |i: usize| {
            let (a, b) = (q[i], q[(i + 1) % 4]);
            (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
        };
        (0..4).all(|i| side(i) >= 0.0) || (0..4).all(|i| side(i) <= 0.0)
    };
    let (mut sum, mut n) = (0.0f64, 0u32);
    for y in ys..ye {
        for x in xs..xe {
            if inside(x as f32 + 0.5, y as f32 + 0.5) {
                sum += prob[[y, x]] as f64;
                n += 1;
            }
        }
    }
    if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
}

/// The rectangle `q` grown by `area x UNCLIP_RATIO / perimeter` on every side (a rectangle
/// offset with round joins, as RapidOCR does with pyclipper, has this one as its minimum-area
/// rectangle).
fn unclip(q: Quad) -> Quad {
    let (a, b) = (geometry::dist(q[0], q[1]), geometry::dist(q[1], q[2]));
    if a <= 0.0 || b <= 0.0 {
        return q;
    }
    let d = a * b * UNCLIP_RATIO / (2.0 * (a + b));
    let c = [(q[0][0] + q[2][0]) / 2.0, (q[0][1] + q[2][1]) / 2.0];
    let u = [(q[1][0] - q[0][0]) / a, (q[1][1] - q[0][1]) / a];
    let v = [(q[2][0] - q[1][0]) / b, (q[2][1] - q[1][1]) / b];
    let (ha, hb) = (a / 2.0 + d, b / 2.0 + d);
    let at = |su: f32, sv: f32| [c[0] + su * ha * u[0] + sv * hb * v[0], c[1] + su * ha * u[1] + sv * hb * v[1]];
    [at(-1.0, -1.0), at(1.0, -1.0), at(1.0, 1.0), at(-1.0, 1.0)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn small_pages_grow_to_the_minimum_side_and_large_ones_shrink_to_the_maximum() {
        // A receipt 400 px wide: its short side becomes 736, the long one follows (x 1.84).
        assert_eq!(input_size(400, 1000), (736, 1856));
        // A page already larger than the minimum keeps its pixels (rounded to 32).
        assert_eq!(input_size(1000, 1500), (992, 1504));
        // An A4 scan at 300 dpi: the long side is bounded.
        assert_eq!(input_size(2480, 3508), (1440, 2048));
    }

    #[test]
    fn a_core_is_grown_back_into_its_line_on_every_side() {
        // One line core, 100 x 10 map pixels, probability 0.9, on a 200 x 40 map.
        let mut prob = Array2::<f32>::zeros((40, 200));
        for y in 15..25 {
            for x in 50..150 {
                prob[[y, x]] = 0.9;
            }
        }
        let boxes = decode(prob.view(), [1.0, 1.0], 200, 40);
        assert_eq!(boxes.len(), 1, "{boxes:?}");
        let (x0, y0, x1, y1) = geometry::bounds(&boxes[0].points);
        // The 2x2 dilation adds a pixel right and below: pixels 50..=150 by 15..=25, a core of
        // 100 x 10 between their indices, grown by 100 * 10 * 1.6 / 220 = 7.3.
        assert!((x0 - 42.7).abs() < 0.3 && (x1 - 157.3).abs() < 0.3, "{x0} {x1}");
        assert!((y0 - 7.7).abs() < 0.3 && (y1 - 32.3).abs() < 0.3, "{y0} {y1}");
        assert!(boxes[0].score > 0.8);
    }

    #[test]
    fn faint_regions_and_specks_are_not_lines() {
        let mut prob = Array2::<f32>::zeros((40, 200));
        // Over the pixel threshold, under the box threshold.
        for y in 10..20 {
            for x in 10..100 {
                prob[[y, x]] = 0.4;
            }
        }
        // A speck of two pixels.
        prob[[30, 150]] = 0.9;
        prob[[30, 151]] = 0.9;
        assert!(decode(prob.view(), [1.0, 1.0], 200, 40).is_empty());
    }
}
