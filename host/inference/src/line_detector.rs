//! trueocr's text-line detector (`trueocr_det.onnx`, PyPI `trueocr` 0.1.1, Apache-2.0): its
//! input, its output decoding and its deskew, ported from the package's `page.py` with its own
//! constants (nothing here was tuned on our pages).
//!
//! The model reads an ink map (`1 - grey / 255`, long side [`LONG_SIDE`], padded to a multiple of
//! 32 with blank paper) and gives, at half resolution, a line-core logit and each core pixel's
//! distance to its line's top and bottom. A line is a 4-connected component of the cores, its
//! top and bottom the mean of its pixels' regressions, its ends stretched by
//! [`CORE_X_SHRINK`] x its height. Boxes are upright rectangles, so a tilted page is first
//! straightened ([`estimate_skew`]) and each box's corners are turned back onto the page.

use image::imageops::FilterType;
use image::{GrayImage, Luma, RgbImage};
use imageproc::region_labelling::{Connectivity, connected_components};
use ndarray::{Array4, ArrayView3};
use ocr_core::{Quad, TextBox, geometry};

/// The detector's input long side (`det_long_side` in trueocr's `meta.json`).
pub(crate) const LONG_SIDE: u32 = 1024;
/// Small text: when the median line is under this many detector pixels high (and there are
/// at least [`ADAPTIVE_MIN_BOXES`] lines), the page is detected again at a scale that makes it
/// about [`ADAPTIVE_TARGET_H`], long side at most [`ADAPTIVE_MAX_SIDE`] (which bounds the work).
const ADAPTIVE_MIN_H: f32 = 9.0;
const ADAPTIVE_TARGET_H: f32 = 12.0;
const ADAPTIVE_MAX_SIDE: u32 = 2048;
const ADAPTIVE_MIN_BOXES: usize = 8;
/// The output is at half the input resolution.
const OUT_STRIDE: f32 = 2.0;
/// The input's height and width divide by this.
const INPUT_MULTIPLE: u32 = 32;
/// A line's core is shorter than the line by this x its height, at each end.
const CORE_X_SHRINK: f32 = 0.15;
/// Core probability above which a pixel is a line's core.
const CORE_THRESHOLD: f32 = 0.5;
/// Components of fewer output pixels are noise.
const MIN_AREA: u32 = 2;
/// Degrees of tilt searched (quarter turns are the orientation check's business).
const DESKEW_MAX: f32 = 45.0;
/// Smaller tilts are left alone (the search's last step is 0.1 degree).
const DESKEW_MIN: f32 = 0.3;
/// Long side of the thumbnail the skew is measured on (the coarse search uses half of it).
const SKEW_SIDE: u32 = 800;
/// A line box is tight on the ink between the line's top and bottom; trueocr's own reader crops
/// it with this much paper around it, times the box's height (`pad_y` and `pad_x` in its
/// `meta.json`), and so do we: our readers read a tight box badly (the marks over capitals cut).
const READ_PAD_Y: f32 = 0.2;
const READ_PAD_X: f32 = 0.3;
/// Lines side by side share a row in the reading order when they overlap vertically by at least
/// this share of the smaller height (as CRAFT's line grouping does).
const ROW_OVERLAP: f32 = 0.5;

/// A line in detector-input (or page) pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LineBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub score: f32,
}

/// The page in grey (OpenCV's weights, as trueocr reads it).
pub(crate) fn to_gray(page: &RgbImage) -> GrayImage {
    GrayImage::from_fn(page.width(), page.height(), |x, y| {
        let [r, g, b] = page.get_pixel(x, y).0;
        Luma([(0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32).round().min(255.0) as u8])
    })
}

fn resized(gray: &GrayImage, w: u32, h: u32) -> GrayImage {
    if gray.dimensions() == (w, h) { gray.clone() } else { image::imageops::resize(gray, w, h, FilterType::Triangle) }
}

/// The detector's input for `gray` at `long_side`: `[1, 1, H, W]` ink map, and the scale.
pub(crate) fn input(gray: &GrayImage, long_side: u32) -> (Array4<f32>, f32) {
    let (w, h) = gray.dimensions();
    let scale = long_side as f32 / w.max(h).max(1) as f32;
    let (nw, nh) = (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
    let small = resized(gray, nw, nh);
    let (pw, ph) = (nw.div_ceil(INPUT_MULTIPLE) * INPUT_MULTIPLE, nh.div_ceil(INPUT_MULTIPLE) * INPUT_MULTIPLE);
    let mut x = Array4::<f32>::zeros((1, 1, ph as usize, pw as usize));
    for (px, py, p) in small.enumerate_pixels() {
        x[[0, 0, py as usize, px as usize]] = 1.0 - p.0[0] as f32 / 255.0;
    }
    (x, scale)
}

/// Line boxes from one image's output `[C, h, w]` (core logit, distance to the top, distance to
/// the bottom first), in detector-input pixels.
pub(crate) fn decode_lines(out: ArrayView3<'_, f32>) -> Vec<LineBox> {
    let (c, h, w) = out.dim();
    if c < 3 || h == 0 || w == 0 {
        return Vec::new();
    }
    let prob = |y: usize, x: usize| 1.0 / (1.0 + (-out[[0, y, x]]).exp());
    let mask =
        GrayImage::from_fn(w as u32, h as u32, |x, y| Luma([u8::from(prob(y as usize, x as usize) > CORE_THRESHOLD)]));
    let labels = connected_components(&mask, Connectivity::Four, Luma([0u8]));
    #[derive(Clone, Copy)]
    struct Acc {
        n: u32,
        top: f64,
        bot: f64,
        score: f64,
        left: u32,
        right: u32,
    }
    let mut acc: Vec<Acc> = Vec::new();
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l.0[0] as usize;
        if l == 0 {
            continue;
        }
        if acc.len() < l {
            acc.resize(l, Acc { n: 0, top: 0.0, bot: 0.0, score: 0.0, left: u32::MAX, right: 0 });
        }
        let a = &mut acc[l - 1];
        let (yu, xu) = (y as usize, x as usize);
        let ys = (y as f32 + 0.5) * OUT_STRIDE;
        a.n += 1;
        a.top += (ys - out[[1, yu, xu]]) as f64;
        a.bot += (ys + out[[2, yu, xu]]) as f64;
        a.score += prob(yu, xu) as f64;
        a.left = a.left.min(x);
        a.right = a.right.max(x);
    }
    acc.iter()
        .filter(|a| a.n >= MIN_AREA)
        .map(|a| {
            let n = a.n as f64;
            let (y0, y1) = ((a.top / n) as f32, (a.bot / n) as f32);
            let lh = (y1 - y0).max(1.0);
            let ex = (CORE_X_SHRINK * lh).min(0.5 * lh);
            LineBox {
                x0: a.left as f32 * OUT_STRIDE - ex,
                y0,
                x1: (a.right + 1) as f32 * OUT_STRIDE + ex,
                y1,
                score: (a.score / n) as f32,
            }
        })
        .collect()
}

/// The detector's second scale for a page of small lines: `None` when its lines are tall enough.
pub(crate) fn adaptive_side(boxes: &[LineBox]) -> Option<u32> {
    if boxes.len() < ADAPTIVE_MIN_BOXES {
        return None;
    }
    let mut hs: Vec<f32> = boxes.iter().map(|b| b.y1 - b.y0).collect();
    hs.sort_by(f32::total_cmp);
    let n = hs.len();
    let med = if n % 2 == 1 { hs[n / 2] } else { 0.5 * (hs[n / 2 - 1] + hs[n / 2]) };
    if med >= ADAPTIVE_MIN_H {
        return None;
    }
    let side = (ADAPTIVE_MAX_SIDE as f32).min(LONG_SIDE as f32 * ADAPTIVE_TARGET_H / med.max(1.0)) as u32;
    let side = side / INPUT_MULTIPLE * INPUT_MULTIPLE;
    (side > LONG_SIDE).then_some(side)
}

/// Where a point of the image turned by `degrees` (counter-clockwise about the centre of a
/// `w` x `h` image, as [`rotate`]) lies on the image before the turn.
pub(crate) fn unrotate([x, y]: [f32; 2], degrees: f32, w: u32, h: u32) -> [f32; 2] {
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (dx, dy) = (x - cx, y - cy);
    [c * dx - s * dy + cx, s * dx + c * dy + cy]
}

/// `src` (`w` x `h`, row-major) turned by `degrees` counter-clockwise about its centre, same
/// size, bilinear; outside pixels are `border`, or the nearest edge pixel when `None`.
fn rotate(src: &[f32], w: usize, h: usize, degrees: f32, border: Option<f32>) -> Vec<f32> {
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut dst = vec![0.0; w * h];
    let at = |x: isize, y: isize| -> Option<f32> {
        if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
            Some(src[y as usize * w + x as usize])
        } else {
            border.map_or_else(
                || Some(src[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]),
                |_| None,
            )
        }
    };
    let fill = border.unwrap_or(0.0);
    for y in 0..h {
        let dy = y as f32 - cy;
        for x in 0..w {
            let dx = x as f32 - cx;
            let (sx, sy) = (c * dx - s * dy + cx, s * dx + c * dy + cy);
            let (fx, fy) = (sx.floor(), sy.floor());
            let (ax, ay) = (sx - fx, sy - fy);
            let (ix, iy) = (fx as isize, fy as isize);
            let v = |x, y| at(x, y).unwrap_or(fill);
            dst[y * w + x] = (1.0 - ay) * ((1.0 - ax) * v(ix, iy) + ax * v(ix + 1, iy))
                + ay * ((1.0 - ax) * v(ix, iy + 1) + ax * v(ix + 1, iy + 1));
        }
    }
    dst
}

/// The page turned by `degrees` counter-clockwise about its centre (same size, the edges
/// stretched into the corners).
pub(crate) fn rotate_page(gray: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let src: Vec<f32> = gray.as_raw().iter().map(|&v| v as f32).collect();
    let dst = rotate(&src, w, h, degrees, None);
    GrayImage::from_raw(gray.width(), gray.height(), dst.iter().map(|v| v.round().clamp(0.0, 255.0) as u8).collect())
        .expect("a buffer of the image's size")
}

/// Ink map (255 = ink) of `gray` shrunk so its long side is `side`.
fn ink_thumb(gray: &GrayImage, side: u32) -> (Vec<f32>, usize, usize) {
    let (w, h) = gray.dimensions();
    let s = side as f32 / w.max(h).max(1) as f32;
    let (nw, nh) = (((w as f32 * s).round() as u32).max(1), ((h as f32 * s).round() as u32).max(1));
    let small = resized(gray, nw, nh);
    (small.as_raw().iter().map(|&v| 255.0 - v as f32).collect(), nw as usize, nh as usize)
}

/// How sharply the horizontal ink profile changes row to row with the ink turned by `degrees`:
/// highest when the text rows are level.
fn row_sharpness((ink, w, h): &(Vec<f32>, usize, usize), degrees: f32) -> f64 {
    let r = rotate(ink, *w, *h, degrees, Some(0.0));
    let rows: Vec<f64> = r.chunks(*w).map(|row| row.iter().map(|&v| v as f64).sum()).collect();
    rows.windows(2).map(|p| (p[1] - p[0]).powi(2)).sum()
}

/// `start, start + step, ...` up to `end` (inclusive, as numpy's `arange(start, end + 1e-6, step)`).
fn steps(start: f32, end: f32, step: f32) -> Vec<f32> {
    let n = ((end - start) / step + 1e-4).floor() as i32;
    (0..=n).map(|i| start + i as f32 * step).collect()
}

/// Degrees (counter-clockwise) that straighten the text rows: the angle whose horizontal ink
/// profile changes most sharply row to row. Searched over +-[`DESKEW_MAX`] in 2 degree steps
/// on a half-size thumbnail; the two best angles and 0 are then refined in 0.5 and 0.1 degree
/// steps on the full thumbnail. 0 for a blank page.
pub(crate) fn estimate_skew(gray: &GrayImage) -> f32 {
    let fine = ink_thumb(gray, SKEW_SIDE);
    if fine.0.iter().map(|&v| v as f64).sum::<f64>() / (fine.0.len().max(1) as f64) < 0.003 * 255.0 {
        return 0.0;
    }
    let coarse = ink_thumb(gray, SKEW_SIDE / 2);
    let grid = steps(-DESKEW_MAX, DESKEW_MAX, 2.0);
    let scores: Vec<f64> = grid.iter().map(|&a| row_sharpness(&coarse, a)).collect();
    let mut order: Vec<usize> = (0..grid.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    let mut starts = vec![0.0f32];
    for &i in order.iter().rev().take(2) {
        if !starts.contains(&grid[i]) {
            starts.push(grid[i]);
        }
    }
    // The 0.5 degree ranges of nearby starts overlap: each angle is scored once.
    let mut near: Vec<(f32, f64)> = Vec::new();
    for a0 in starts {
        for a in steps(a0 - 2.0, a0 + 2.0, 0.5) {
            if !near.iter().any(|(b, _)| (a - b).abs() < 1e-3) {
                near.push((a, row_sharpness(&fine, a)));
            }
        }
    }
    let best = |v: Vec<(f32, f64)>| v.into_iter().reduce(|m, x| if x.1 > m.1 { x } else { m }).map_or(0.0, |m| m.0);
    let a1 = best(near);
    best(steps(a1 - 0.5, a1 + 0.5, 0.1).into_iter().map(|a| (a, row_sharpness(&fine, a))).collect())
}

/// Whether a tilt is worth straightening.
pub(crate) fn worth_straightening(degrees: f32) -> bool {
    degrees.abs() >= DESKEW_MIN
}

/// Upright boxes (in the straightened page's pixels) in reading order: rows top to bottom (a
/// line joins the row of the first line it overlaps enough vertically), left to right inside a
/// row.
pub(crate) fn reading_order(boxes: Vec<LineBox>) -> Vec<LineBox> {
    in_rows(boxes, |b| (b.x0, b.y0, b.y1))
}

/// `items` in rows top to bottom, left to right inside a row, by each one's left, top and
/// bottom (`place`): an item joins the row of the first one it overlaps vertically by at least
/// [`ROW_OVERLAP`] of the smaller height.
pub(crate) fn in_rows<T>(items: Vec<T>, place: impl Fn(&T) -> (f32, f32, f32)) -> Vec<T> {
    // Each item's place once, not at every comparison.
    let mut placed: Vec<((f32, f32, f32), T)> = items.into_iter().map(|b| (place(&b), b)).collect();
    placed.sort_by(|(pa, _), (pb, _)| pa.1.total_cmp(&pb.1).then(pa.0.total_cmp(&pb.0)));
    // Each item's row: a new one starts at an item that does not overlap the row's first enough.
    let (mut anchor, mut row): (Option<(f32, f32)>, usize) = (None, 0);
    let mut in_row: Vec<(usize, f32, T)> = Vec::with_capacity(placed.len());
    for ((x0, y0, y1), b) in placed {
        let joins = anchor.is_some_and(|(a0, a1)| {
            let overlap = a1.min(y1) - a0.max(y0);
            overlap >= ROW_OVERLAP * (a1 - a0).min(y1 - y0)
        });
        if !joins {
            row += usize::from(anchor.is_some());
            anchor = Some((y0, y1));
        }
        in_row.push((row, x0, b));
    }
    in_row.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    in_row.into_iter().map(|(_, _, b)| b).collect()
}

/// A box of the page straightened by `degrees`, with the paper around it a reader needs
/// ([`READ_PAD_Y`], [`READ_PAD_X`]), as a quad on the page itself (`w` x `h`), corners in
/// reading order (top-left, top-right, bottom-right, bottom-left of the line).
pub(crate) fn to_page(b: &LineBox, degrees: f32, w: u32, h: u32) -> TextBox {
    let lh = b.y1 - b.y0;
    let (px, py) = (READ_PAD_X * lh, READ_PAD_Y * lh);
    let (x0, y0, x1, y1) = (b.x0 - px, b.y0 - py, b.x1 + px, b.y1 + py);
    let q: Quad = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    let (fw, fh) = (w as f32, h as f32);
    let points = q.map(|p| {
        let [x, y] = if degrees == 0.0 { p } else { unrotate(p, degrees, w, h) };
        [x.clamp(0.0, fw), y.clamp(0.0, fh)]
    });
    TextBox { points, score: b.score.clamp(0.0, 1.0) }
}

/// The ink of a box [`to_page`] made: the reader's paper ([`READ_PAD_X`], [`READ_PAD_Y`]) taken
/// off each edge along the box's own sides, so a straightened page's tilt is kept. This is the
/// box as the detector drew it, as tight on the line as CRAFT's and the ground truth's boxes.
pub(crate) fn ink_box(q: &Quad) -> Quad {
    let [tl, tr, br, bl] = *q;
    let (width, height) = (geometry::dist(tl, tr), geometry::dist(tl, bl));
    if width <= 0.0 || height <= 0.0 {
        return *q;
    }
    let u = [(tr[0] - tl[0]) / width, (tr[1] - tl[1]) / width];
    let v = [(bl[0] - tl[0]) / height, (bl[1] - tl[1]) / height];
    let line_height = height / (1.0 + 2.0 * READ_PAD_Y);
    let dx = (READ_PAD_X * line_height).min(0.5 * width);
    let dy = READ_PAD_Y * line_height;
    let at = |p: [f32; 2], sx: f32, sy: f32| {
        [p[0] + sx * dx * u[0] + sy * dy * v[0], p[1] + sx * dx * u[1] + sy * dy * v[1]]
    };
    [at(tl, 1.0, 1.0), at(tr, -1.0, 1.0), at(br, -1.0, -1.0), at(bl, 1.0, -1.0)]
}

/// Boxes found at scale `scale` back in page pixels, clipped to the `w` x `h` page.
pub(crate) fn unscaled(boxes: Vec<LineBox>, scale: f32, w: u32, h: u32) -> Vec<LineBox> {
    let (fw, fh) = (w as f32, h as f32);
    boxes
        .into_iter()
        .map(|b| LineBox {
            x0: (b.x0 / scale).clamp(0.0, fw),
            y0: (b.y0 / scale).clamp(0.0, fh),
            x1: (b.x1 / scale).clamp(0.0, fw),
            y1: (b.y1 / scale).clamp(0.0, fh),
            score: b.score,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    #[test]
    fn two_line_cores_become_two_boxes_with_their_regressed_tops_and_bottoms() {
        // A 3-channel 10 x 20 output: two cores (logit 5) on rows 2 and 6-7, blank elsewhere.
        let mut out = Array3::<f32>::zeros((3, 10, 20));
        out.slice_mut(ndarray::s![0, .., ..]).fill(-5.0);
        for x in 2..12 {
            out[[0, 2, x]] = 5.0;
            out[[1, 2, x]] = 3.0; // row 2's centre is at 5 input pixels: top 2, bottom 9
            out[[2, 2, x]] = 4.0;
        }
        for y in 6..8 {
            for x in 4..18 {
                out[[0, y, x]] = 5.0;
                // rows 6 and 7 (centres 13 and 15) agree on a line from 10 to 20
                out[[1, y, x]] = (y as f32 + 0.5) * 2.0 - 10.0;
                out[[2, y, x]] = 20.0 - (y as f32 + 0.5) * 2.0;
            }
        }
        out[[0, 9, 0]] = 5.0; // one pixel alone: noise
        let mut boxes = decode_lines(out.view());
        boxes.sort_by(|a, b| a.y0.total_cmp(&b.y0));
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        let near = |a: f32, b: f32| (a - b).abs() < 1e-4;
        let (a, b) = (boxes[0], boxes[1]);
        assert!(near(a.y0, 2.0) && near(a.y1, 9.0), "{a:?}");
        // x: the core's columns 2..12 at stride 2, stretched by 0.15 x the height 7.
        assert!(near(a.x0, 4.0 - 1.05) && near(a.x1, 24.0 + 1.05), "{a:?}");
        assert!(near(b.y0, 10.0) && near(b.y1, 20.0), "{b:?}");
        assert!(near(b.x0, 8.0 - 1.5) && near(b.x1, 36.0 + 1.5), "{b:?}");
        assert!(a.score > 0.99);
    }

    #[test]
    fn input_is_an_ink_map_with_its_long_side_at_the_detector_scale_padded_to_32() {
        let gray = GrayImage::from_pixel(200, 100, Luma([255]));
        let (x, scale) = input(&gray, LONG_SIDE);
        assert_eq!(x.shape(), &[1, 1, 512, 1024]);
        assert!((scale - 5.12).abs() < 1e-6);
        assert!(x.iter().all(|&v| v.abs() < 1e-6));
    }

    #[test]
    fn a_page_of_small_lines_is_detected_again_larger() {
        let line = |h: f32| LineBox { x0: 0.0, y0: 0.0, x1: 50.0, y1: h, score: 1.0 };
        assert_eq!(adaptive_side(&[line(6.0); 8]), Some(2048));
        assert_eq!(adaptive_side(&[line(8.0); 8]), Some(1536));
        assert_eq!(adaptive_side(&[line(10.0); 8]), None);
        assert_eq!(adaptive_side(&[line(6.0); 7]), None);
    }

    #[test]
    fn a_tilted_page_of_stripes_is_straightened_and_its_boxes_turn_back() {
        // Dark stripes tilted by 5 degrees (rows of text, counter-clockwise up to the right).
        let (w, h) = (400u32, 300u32);
        let t = 5f32.to_radians().tan();
        let gray = GrayImage::from_fn(w, h, |x, y| {
            let v = y as f32 + x as f32 * t;
            Luma([if (v as i32).rem_euclid(30) < 8 { 0 } else { 255 }])
        });
        let a = estimate_skew(&gray);
        assert!((a.abs() - 5.0).abs() <= 0.15, "{a}");
        // The straightened page's rows are level: a point turned and turned back is itself.
        let p = unrotate([120.0, 80.0], a, w, h);
        let back = unrotate(p, -a, w, h);
        assert!((back[0] - 120.0).abs() < 1e-3 && (back[1] - 80.0).abs() < 1e-3);
        assert_eq!(estimate_skew(&GrayImage::from_pixel(w, h, Luma([255]))), 0.0);
    }

    #[test]
    fn a_box_goes_onto_the_page_with_the_paper_a_reader_needs() {
        let b = LineBox { x0: 100.0, y0: 50.0, x1: 200.0, y1: 60.0, score: 0.9 };
        let near = |p: [f32; 2], q: [f32; 2]| (p[0] - q[0]).abs() < 1e-3 && (p[1] - q[1]).abs() < 1e-3;
        let upright = to_page(&b, 0.0, 400, 300).points;
        assert!(near(upright[0], [97.0, 48.0]) && near(upright[2], [203.0, 62.0]), "{upright:?}");
        // Straightened by 10 degrees: the corners turn back about the page's centre, in order.
        let turned = to_page(&b, 10.0, 400, 300).points;
        assert!(near(turned[0], unrotate([97.0, 48.0], 10.0, 400, 300)), "{turned:?}");
        assert!(turned[1][0] > turned[0][0] && turned[3][1] > turned[0][1]);
    }

    #[test]
    fn lines_side_by_side_read_left_to_right_in_one_row() {
        let b = |x0, y0| LineBox { x0, y0, x1: x0 + 40.0, y1: y0 + 10.0, score: 1.0 };
        let order = reading_order(vec![b(100.0, 21.0), b(0.0, 0.0), b(60.0, 2.0), b(0.0, 20.0)]);
        let xy: Vec<(f32, f32)> = order.iter().map(|l| (l.x0, l.y0)).collect();
        assert_eq!(xy, vec![(0.0, 0.0), (60.0, 2.0), (0.0, 20.0), (100.0, 21.0)]);
    }
}
