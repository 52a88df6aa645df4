//! CRAFT detection: page to input tensor, score maps to word boxes, word boxes to text lines.
//!
//! Follows the reference CRAFT / EasyOCR post-processing (`getDetBoxes_core`, `group_text_box`).

use std::borrow::Cow;

use image::{GrayImage, Luma, RgbImage, imageops::FilterType};
use imageproc::distance_transform::Norm;
use imageproc::point::Point;
use imageproc::region_labelling::{Connectivity, connected_components};
use ndarray::Array4;
use ocr_core::{DetectParams, Quad, TextBox, geometry};

const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// How a page is resized for the detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ResizePlan {
    /// Resized size / original size.
    pub ratio: f32,
    /// Size of the resized page.
    pub width: u32,
    pub height: u32,
}

/// Model input side for `n` pixels of page: zero-padded right/bottom to a multiple of 32.
pub(crate) fn padded_to_32(n: u32) -> u32 {
    n.div_ceil(32) * 32
}

/// Long side becomes `min(mag_ratio * long, canvas)` (the input is then padded: [`padded_to_32`]).
pub(crate) fn resize_plan(width: u32, height: u32, canvas: u32, mag_ratio: f32) -> ResizePlan {
    let long = width.max(height).max(1) as f32;
    let target = (mag_ratio * long).min(canvas as f32);
    let ratio = target / long;
    let w = ((width as f32 * ratio) as u32).max(1);
    let h = ((height as f32 * ratio) as u32).max(1);
    ResizePlan { ratio, width: w, height: h }
}

/// The page at the detector's scale (the page itself when it already is).
pub(crate) fn resize<'a>(page: &'a RgbImage, plan: &ResizePlan) -> Cow<'a, RgbImage> {
    if (plan.width, plan.height) == page.dimensions() {
        Cow::Borrowed(page)
    } else {
        Cow::Owned(image::imageops::resize(page, plan.width, plan.height, FilterType::Triangle))
    }
}

/// The part of the resized page the detector reads, in resized-page pixels. `x` and `y` are
/// even, so score-map pixels (half the input size) land on whole input pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Window {
    /// The whole resized page.
    pub(crate) fn whole(width: u32, height: u32) -> Window {
        Window { x: 0, y: 0, width, height }
    }
}

/// Side of the squares whose contrast decides what is page content.
const CONTENT_BLOCK: u32 = 16;
/// A square whose channels span fewer levels than this is flat background (paper, a table, a
/// wall): scanner and JPEG noise stay well under it, the faintest print on the dev sets well above.
const CONTENT_CONTRAST: u8 = 32;
/// Background kept around the content, so the detector sees text at the window's edge with the
/// same context as on the whole page.
const CONTENT_MARGIN: u32 = 32;

/// The bounding box of everything on the page that is not flat background, with a margin: the
/// detector's cost grows with its input area, and blank margins, the table under a photographed
/// receipt or the sky around a sign hold no text. The whole page when the content fills nearly
/// all of it or when nothing stands out (a blank page).
pub(crate) fn content_window(resized: &RgbImage) -> Window {
    let (w, h) = resized.dimensions();
    let whole = Window::whole(w, h);
    let (bw, bh) = (w / CONTENT_BLOCK, h / CONTENT_BLOCK);
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for by in 0..bh {
        for bx in 0..bw {
            let (mut lo, mut hi) = ([u8::MAX; 3], [0u8; 3]);
            for y in by * CONTENT_BLOCK..(by + 1) * CONTENT_BLOCK {
                for x in bx * CONTENT_BLOCK..(bx + 1) * CONTENT_BLOCK {
                    let p = resized.get_pixel(x, y).0;
                    for c in 0..3 {
                        lo[c] = lo[c].min(p[c]);
                        hi[c] = hi[c].max(p[c]);
                    }
                }
            }
            if (0..3).any(|c| hi[c] - lo[c] >= CONTENT_CONTRAST) {
                (x0, y0) = (x0.min(bx), y0.min(by));
                (x1, y1) = (x1.max(bx + 1), y1.max(by + 1));
            }
        }
    }
    if x0 == u32::MAX {
        return whole;
    }
    // Blocks cover all but the last partial row/column: a window reaching the last block reaches the edge.
    let x1 = if x1 == bw { w } else { (x1 * CONTENT_BLOCK + CONTENT_MARGIN).min(w) };
    let y1 = if y1 == bh { h } else { (y1 * CONTENT_BLOCK + CONTENT_MARGIN).min(h) };
    let x0 = (x0 * CONTENT_BLOCK).saturating_sub(CONTENT_MARGIN);
    let y0 = (y0 * CONTENT_BLOCK).saturating_sub(CONTENT_MARGIN);
    let window = Window { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    // Not worth a different input shape for a few percent.
    if u64::from(window.width) * u64::from(window.height) * 10 > u64::from(w) * u64::from(h) * 9 {
        whole
    } else {
        window
    }
}

/// The normalized NCHW input tensor for a window of the resized page, zero-padded right/bottom
/// to multiples of 32 (padding is zero before normalization, like the reference).
pub(crate) fn input_tensor(resized: &RgbImage, window: &Window) -> Array4<f32> {
    let (pw, ph) = (padded_to_32(window.width) as usize, padded_to_32(window.height) as usize);
    let mut t = Array4::<f32>::zeros((1, 3, ph, pw));
    for c in 0..3 {
        let (m, s) = (255.0 * MEAN[c], 255.0 * STD[c]);
        let pad = -m / s;
        let mut plane = t.slice_mut(ndarray::s![0, c, .., ..]);
        plane.fill(pad);
        for y in 0..window.height {
            for x in 0..window.width {
                let p = resized.get_pixel(window.x + x, window.y + y);
                plane[[y as usize, x as usize]] = (f32::from(p[c]) - m) / s;
            }
        }
    }
    t
}

/// A score map (text or link) at half the model input resolution, row-major.
pub(crate) struct ScoreMaps {
    pub width: usize,
    pub height: usize,
    pub text: Vec<f32>,
    pub link: Vec<f32>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Component {
    area: u32,
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    max_text: f32,
    text_sum: f32,
    text_count: u32,
}

/// Blobs of the text score too faint or too small to be words by themselves, but as strong as
/// this at their peak, are kept as marks (see [`Found::marks`]).
pub(crate) const MARK_MIN_SCORE: f32 = 0.4;

/// What the score maps hold, in score-map coordinates (boxes clockwise from the top-left
/// corner, each with its mean text score).
pub(crate) struct Found {
    /// Blobs strong and large enough to be words.
    pub words: Vec<(Quad, f32)>,
    /// Blobs too faint or too small to be words: CRAFT scores a colon standing between spaces
    /// (`Tel : +603`) or a thin `1` (`1 x`) under `text_threshold` on small print. They are
    /// kept only where they sit on a line (see [`group_lines`]); elsewhere they are specks.
    pub marks: Vec<(Quad, f32)>,
}

/// Word boxes (and marks) of the score maps.
pub(crate) fn word_boxes(maps: &ScoreMaps, params: &DetectParams) -> Found {
    let (w, h) = (maps.width as u32, maps.height as u32);
    let is_text: Vec<bool> = maps.text.iter().map(|&s| s > params.low_text).collect();
    let is_link: Vec<bool> = maps.link.iter().map(|&s| s > params.link_threshold).collect();
    let combined = GrayImage::from_fn(w, h, |x, y| {
        let i = (y * w + x) as usize;
        Luma([if is_text[i] || is_link[i] { 255 } else { 0 }])
    });
    let labels = connected_components(&combined, Connectivity::Four, Luma([0u8]));

    let n_labels = labels.pixels().map(|p| p[0]).max().unwrap_or(0) as usize;
    let mut comps = vec![Component { x0: u32::MAX, y0: u32::MAX, ..Default::default() }; n_labels + 1];
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l[0] as usize;
        if l == 0 {
            continue;
        }
        let i = (y * w + x) as usize;
        let c = &mut comps[l];
        c.area += 1;
        c.x0 = c.x0.min(x);
        c.y0 = c.y0.min(y);
        c.x1 = c.x1.max(x);
        c.y1 = c.y1.max(y);
        c.max_text = c.max_text.max(maps.text[i]);
        if is_text[i] {
            c.text_sum += maps.text[i];
            c.text_count += 1;
        }
    }

    let mut found = Found { words: Vec::new(), marks: Vec::new() };
    for (k, c) in comps.iter().enumerate().skip(1) {
        let is_word = c.area >= 10 && c.max_text >= params.text_threshold;
        if !is_word && c.max_text < MARK_MIN_SCORE {
            continue;
        }
        let (cw, ch) = (c.x1 - c.x0 + 1, c.y1 - c.y0 + 1);
        let niter = ((c.area as f64 * cw.min(ch) as f64 / (cw as f64 * ch as f64)).sqrt() * 2.0) as u32;
        let sx = c.x0.saturating_sub(niter);
        let sy = c.y0.saturating_sub(niter);
        let ex = (c.x1 + niter + 2).min(w);
        let ey = (c.y1 + niter + 2).min(h);
        // The component without its link-only pixels, in a window with room for the dilation.
        let mut seg = GrayImage::from_fn(ex - sx, ey - sy, |x, y| {
            let (gx, gy) = (x + sx, y + sy);
            let i = (gy * w + gx) as usize;
            // Link-only pixels are not part of the word.
            let mine = labels.get_pixel(gx, gy)[0] as usize == k && (is_text[i] || !is_link[i]);
            Luma([if mine { 255 } else { 0 }])
        });
        if niter > 0 {
            // cv2.dilate with a (1 + niter)^2 square kernel = Chebyshev distance <= niter / 2.
            imageproc::morphology::dilate_mut(&mut seg, Norm::LInf, niter.div_ceil(2).min(255) as u8);
        }
        let Some(quad) = min_area_quad(&seg, sx, sy) else {
            continue;
        };
        let score = if c.text_count > 0 { c.text_sum / c.text_count as f32 } else { c.max_text };
        if is_word { &mut found.words } else { &mut found.marks }.push((quad, score));
    }
    found
}

/// Minimum-area rectangle around the foreground of `seg` (offset by `ox, oy`), axis-aligned when
/// nearly square (the reference's "diamond" fix), clockwise from the corner with the smallest x+y.
fn min_area_quad(seg: &GrayImage, ox: u32, oy: u32) -> Option<Quad> {
    // The row ends are enough for the convex hull. Coordinates x4 so the integer rectangle
    // imageproc returns is within a quarter pixel.
    const SUB: i32 = 4;
    let mut pts = Vec::new();
    let (mut l, mut r, mut t, mut b) = (i32::MAX, i32::MIN, i32::MAX, i32::MIN);
    for y in 0..seg.height() {
        let row: Vec<u32> = (0..seg.width()).filter(|&x| seg.get_pixel(x, y)[0] != 0).collect();
        if let (Some(&first), Some(&last)) = (row.first(), row.last()) {
            let (gy, gx0, gx1) = ((y + oy) as i32, (first + ox) as i32, (last + ox) as i32);
            pts.push(Point::new(gx0 * SUB, gy * SUB));
            pts.push(Point::new(gx1 * SUB, gy * SUB));
            l = l.min(gx0);
            r = r.max(gx1);
            t = t.min(gy);
            b = b.max(gy);
        }
    }
    if pts.is_empty() {
        return None;
    }
    let rect = imageproc::geometry::min_area_rect(&pts);
    let mut q: Quad = rect.map(|p| [p.x as f32 / SUB as f32, p.y as f32 / SUB as f32]);
    let d = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let (qw, qh) = (d(q[0], q[1]), d(q[1], q[2]));
    if (1.0 - qw.max(qh) / (qw.min(qh) + 1e-5)).abs() <= 0.1 {
        let (l, r, t, b) = (l as f32, r as f32, t as f32, b as f32);
        q = [[l, t], [r, t], [r, b], [l, b]];
    }
    Some(order_quad(q))
}

/// Puts corners clockwise on screen (y down), starting at the one with the smallest x+y.
pub(crate) fn order_quad(mut q: Quad) -> Quad {
    // Shoelace sum: positive means clockwise when y points down.
    let area2: f32 = (0..4).map(|i| q[i][0] * q[(i + 1) % 4][1] - q[(i + 1) % 4][0] * q[i][1]).sum();
    if area2 < 0.0 {
        q.swap(1, 3);
    }
    let start = (0..4).min_by(|&a, &b| (q[a][0] + q[a][1]).total_cmp(&(q[b][0] + q[b][1]))).unwrap_or(0);
    q.rotate_left(start);
    q
}

/// Line-grouping thresholds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupParams {
    /// Words whose direction differs from the page's dominant text direction by more than this
    /// (radians) are lines of their own (stamps, vertical labels).
    pub max_skew: f32,
    /// Same line when the centres, across the text direction, differ by less than this times
    /// the mean word height.
    pub ycenter_ths: f32,
    /// Merge neighbours whose heights differ by less than this times the line's mean height...
    pub height_ths: f32,
    /// ...and whose gap along the text direction is less than this times the mean height. 1.0
    /// (EasyOCR uses 0.5): CRAFT cuts photographed lines at word spaces and around separators
    /// ("43" ".000") with gaps of half to one height, while columns (item / price, label /
    /// value) stand several heights apart; 0.5 split receipt photos into words and prices into
    /// pieces (line detection F1 0.775 -> 0.842 on devset English, 0.642 -> 0.974 on devset-vi;
    /// docs/accuracy.md, round 1).
    pub width_ths: f32,
    /// Words this close (gap under this times their mean height, or overlapping) join whatever
    /// their heights when one lies across the text direction within the other: CRAFT cuts a
    /// price at its separator into boxes of different heights (`44.` / `000`).
    pub touch_ths: f32,
    /// Margin added around each line, times its smaller side.
    pub add_margin: f32,
    /// Lines side by side (label / value) share a row when they overlap across the text
    /// direction by at least this share of the smaller height.
    pub row_overlap: f32,
}

impl Default for GroupParams {
    fn default() -> Self {
        Self {
            max_skew: 20f32.to_radians(),
            ycenter_ths: 0.5,
            height_ths: 0.5,
            width_ths: 1.0,
            touch_ths: 0.25,
            add_margin: 0.1,
            row_overlap: 0.5,
        }
    }
}

/// A word box in a frame rotated so that the text direction is the +u axis (v points down).
#[derive(Debug, Clone, Copy)]
struct FrameBox {
    u0: f32,
    u1: f32,
    v0: f32,
    v1: f32,
    score: f32,
}

impl FrameBox {
    fn vc(&self) -> f32 {
        0.5 * (self.v0 + self.v1)
    }
    fn h(&self) -> f32 {
        self.v1 - self.v0
    }
}

/// Rotation by `-angle`: page coordinates to the text frame, and back.
#[derive(Debug, Clone, Copy)]
struct Frame {
    cos: f32,
    sin: f32,
}

impl Frame {
    fn new(angle: f32) -> Self {
        Self { cos: angle.cos(), sin: angle.sin() }
    }
    fn to_frame(self, [x, y]: [f32; 2]) -> [f32; 2] {
        [x * self.cos + y * self.sin, -x * self.sin + y * self.cos]
    }
    fn to_page(self, [u, v]: [f32; 2]) -> [f32; 2] {
        [u * self.cos - v * self.sin, u * self.sin + v * self.cos]
    }
    fn bounds(self, q: &Quad, score: f32) -> FrameBox {
        let p = q.map(|c| self.to_frame(c));
        FrameBox {
            u0: p.iter().map(|c| c[0]).fold(f32::INFINITY, f32::min),
            u1: p.iter().map(|c| c[0]).fold(f32::NEG_INFINITY, f32::max),
            v0: p.iter().map(|c| c[1]).fold(f32::INFINITY, f32::min),
            v1: p.iter().map(|c| c[1]).fold(f32::NEG_INFINITY, f32::max),
            score,
        }
    }
}

/// A word box as a rectangle: centre, length along its own direction, height across it.
#[derive(Debug, Clone, Copy)]
struct Word {
    centre: [f32; 2],
    len: f32,
    height: f32,
    score: f32,
}

impl Word {
    /// `page_angle` is the page's text direction: nearly square words get axis-aligned boxes
    /// from the detector; on a rotated page such a box is taken as the bounding box of a word
    /// rotated like the page (its plain size would make the word, and its line, too tall).
    fn new(q: &Quad, score: f32, page_angle: f32) -> Self {
        let (dir, len) = word_direction(q);
        let height = geometry::height(q);
        let centre = ocr_core::geometry::centre(q);
        let mut w = Word { centre, len, height, score };
        if dir.abs() < 1e-3 && page_angle.abs() > 2f32.to_radians() {
            let (c, s) = (page_angle.cos(), page_angle.sin().abs());
            let cos2 = c * c - s * s;
            // bw = l c + h s, bh = l s + h c  =>  l = (bw c - bh s) / cos 2a, h = (bh c - bw s) / cos 2a.
            let (l, h) = ((len * c - height * s) / cos2, (height * c - len * s) / cos2);
            if cos2 > 0.2 && l > 0.0 && h > 0.0 {
                (w.len, w.height) = (l, h);
            }
        }
        w
    }

    fn in_frame(&self, f: &Frame) -> FrameBox {
        let [u, v] = f.to_frame(self.centre);
        FrameBox {
            u0: u - 0.5 * self.len,
            u1: u + 0.5 * self.len,
            v0: v - 0.5 * self.height,
            v1: v + 0.5 * self.height,
            score: self.score,
        }
    }
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

/// Direction of a word (radians, y down; in (-pi/2, pi/2]) from its top and bottom edges, and
/// its length along that direction.
fn word_direction(q: &Quad) -> (f32, f32) {
    let dx = (q[1][0] - q[0][0]) + (q[2][0] - q[3][0]);
    let dy = (q[1][1] - q[0][1]) + (q[2][1] - q[3][1]);
    (dy.atan2(dx), 0.5 * (geometry::dist(q[0], q[1]) + geometry::dist(q[3], q[2])))
}

/// The page's text direction: the length-weighted median direction of the elongated words
/// (nearly square boxes say nothing about direction); 0 when there are none, and snapped to
/// 0 below half a degree so that straight pages keep axis-aligned boxes.
pub(crate) fn dominant_angle(words: &[(Quad, f32)]) -> f32 {
    let mut dirs: Vec<(f32, f32)> = words
        .iter()
        .filter_map(|(q, _)| {
            let (angle, len) = word_direction(q);
            let height = geometry::height(q);
            (len >= 2.0 * height && angle.abs() < std::f32::consts::FRAC_PI_4).then_some((angle, len))
        })
        .collect();
    if dirs.is_empty() {
        return 0.0;
    }
    dirs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = 0.5 * dirs.iter().map(|d| d.1).sum::<f32>();
    let mut acc = 0.0;
    let angle = dirs
        .iter()
        .find(|d| {
            acc += d.1;
            acc >= half
        })
        .map_or(0.0, |d| d.0);
    if angle.abs() < 0.5f32.to_radians() { 0.0 } else { angle }
}

/// Chains words into lines in a text frame: left to right, a word extends the line whose last
/// word it overlaps across the text direction (centres within `ycenter_ths` heights), of
/// similar height, with a small gap; among several, the one whose centre is closest.
/// Returns the lines as indices into `words`, each left to right.
fn chain_lines(words: &[FrameBox], gp: &GroupParams) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_by(|&a, &b| words[a].u0.total_cmp(&words[b].u0));
    let mut lines: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let w = words[i];
        let best = lines
            .iter()
            .enumerate()
            .filter_map(|(k, line)| {
                let last = words[*line.last()?];
                let h_line = mean(&line.iter().map(|&j| words[j].h()).collect::<Vec<_>>());
                let h = 0.5 * (last.h() + w.h());
                let dv = (w.vc() - last.vc()).abs();
                let gap = w.u0 - last.u1;
                let similar = (h_line - w.h()).abs() < gp.height_ths * h_line && gap < gp.width_ths * h;
                let inside = |a: &FrameBox, b: &FrameBox| a.v0 >= b.v0 - 0.1 * h && a.v1 <= b.v1 + 0.1 * h;
                let touching = gap < gp.touch_ths * h && (inside(&w, &last) || inside(&last, &w));
                let ok = dv < gp.ycenter_ths * h && gap > -h && (similar || touching);
                ok.then_some((k, dv))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((k, _)) => lines[k].push(i),
            None => lines.push(vec![i]),
        }
    }
    lines
}

/// The direction of one line: `page_angle` corrected by a least-squares fit through its word
/// centres (word directions alone are noisy on short words); snapped to 0 below half a degree.
fn line_angle(words: &[Word], line: &[usize], page: &Frame, page_angle: f32) -> f32 {
    let pts: Vec<([f32; 2], f32)> = line.iter().map(|&i| (page.to_frame(words[i].centre), words[i].len)).collect();
    let wsum: f32 = pts.iter().map(|p| p.1).sum();
    let span = pts.iter().map(|p| p.0[0]).fold(f32::NEG_INFINITY, f32::max)
        - pts.iter().map(|p| p.0[0]).fold(f32::INFINITY, f32::min);
    let height = mean(&line.iter().map(|&i| words[i].height).collect::<Vec<_>>());
    let mut angle = page_angle;
    if pts.len() >= 2 && span > 3.0 * height && wsum > 0.0 {
        let mu = pts.iter().map(|p| p.0[0] * p.1).sum::<f32>() / wsum;
        let mv = pts.iter().map(|p| p.0[1] * p.1).sum::<f32>() / wsum;
        let (mut suv, mut suu) = (0.0, 0.0);
        for ([u, v], w) in &pts {
            suv += w * (u - mu) * (v - mv);
            suu += w * (u - mu) * (u - mu);
        }
        if suu > 0.0 {
            angle += (suv / suu).atan();
        }
    }
    if angle.abs() < 0.5f32.to_radians() { 0.0 } else { angle }
}

/// Marks (`words[first_mark..]`, see [`Found::marks`]), and words that chained with nothing (a
/// dash lower than the words around it), join the line they sit on or beside, seen in the
/// line's own direction: one character in size (no longer than the line's height),
/// within the line across its direction (so the line keeps its height), at most a word space
/// (`width_ths` heights) before or after it. Lines of one row that a mark brought within a word
/// space of each other then join (`Tel` `:` `+603 2856 0385`). Marks beside no line are dropped.
/// Returns the lines with their frames (`frame_of`: a line's frame from its words).
fn attach_marks(
    words: &[Word],
    first_mark: usize,
    lines: Vec<Vec<usize>>,
    frame_of: impl Fn(&[usize]) -> Frame,
    gp: &GroupParams,
) -> Vec<(Vec<usize>, Frame)> {
    let extent = |line: &[usize], f: &Frame| union(line.iter().map(|&i| words[i].in_frame(f)));
    // Each line: its words, its frame, its extent in that frame, whether a mark joined it.
    let mut lines: Vec<(Vec<usize>, Frame, FrameBox, bool)> = lines
        .into_iter()
        .map(|l| {
            let f = frame_of(&l);
            let e = extent(&l, &f);
            (l, f, e, false)
        })
        .collect();
    // The line beside which `m` sits as a mark, other than `own`.
    let beside = |lines: &[(Vec<usize>, Frame, FrameBox, bool)], m: usize, own: Option<usize>| {
        lines
            .iter()
            .enumerate()
            .filter(|(k, (line, _, _, _))| Some(*k) != own && !line.is_empty())
            .filter_map(|(k, (_, f, line, _))| {
                let mark = words[m].in_frame(f);
                let gap = (mark.u0 - line.u1).max(line.u0 - mark.u1);
                let slack = 0.1 * line.h();
                let within = mark.v0 >= line.v0 - slack && mark.v1 <= line.v1 + slack;
                let on_line = within && mark.u1 - mark.u0 <= line.h();
                (on_line && gap < gp.width_ths * line.h()).then_some((k, gap))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)
    };
    let attach = |lines: &mut [(Vec<usize>, Frame, FrameBox, bool)], k: usize, m: usize| {
        let (line, f, e, marked) = &mut lines[k];
        line.push(m);
        *e = union([*e, words[m].in_frame(f)].into_iter());
        *marked = true;
    };
    // A word CRAFT found alone that is a mark of a line beside it (a dash between words, lower
    // than they are) joins that line, then the faint marks do.
    for s in 0..lines.len() {
        if let [w] = lines[s].0[..]
            && let Some(k) = beside(&lines, w, Some(s))
        {
            lines[s].0.clear();
            attach(&mut lines, k, w);
        }
    }
    for m in first_mark..words.len() {
        if let Some(k) = beside(&lines, m, None) {
            attach(&mut lines, k, m);
        }
    }
    lines.retain(|(line, _, _, _)| !line.is_empty());
    // `b` continues `a` in `a`'s direction.
    let joinable = |(_, f, a, a_marked): &(Vec<usize>, Frame, FrameBox, bool),
                    (b, _, _, b_marked): &(Vec<usize>, Frame, FrameBox, bool)| {
        if !(*a_marked || *b_marked) {
            return false;
        }
        let b = extent(b, f);
        let h = 0.5 * (a.h() + b.h());
        let gap = b.u0 - a.u1;
        a.u0 < b.u0
            && gap > -h
            && gap < gp.width_ths * h
            && (a.vc() - b.vc()).abs() < gp.ycenter_ths * h
            && (a.h() - b.h()).abs() < gp.height_ths * a.h().max(b.h())
    };
    while let Some((a, b)) = (0..lines.len())
        .flat_map(|a| (0..lines.len()).map(move |b| (a, b)))
        .find(|&(a, b)| a != b && joinable(&lines[a], &lines[b]))
    {
        let (tail, _, _, _) = lines.remove(b);
        let a = if b < a { a - 1 } else { a };
        lines[a].0.extend(tail);
        lines[a].1 = frame_of(&lines[a].0);
        lines[a].2 = extent(&lines[a].0, &lines[a].1);
    }
    lines.into_iter().map(|(l, f, _, _)| (l, f)).collect()
}

fn union(boxes: impl Iterator<Item = FrameBox>) -> FrameBox {
    let mut out =
        FrameBox { u0: f32::INFINITY, u1: f32::NEG_INFINITY, v0: f32::INFINITY, v1: f32::NEG_INFINITY, score: 0.0 };
    let mut n = 0;
    for b in boxes {
        out.u0 = out.u0.min(b.u0);
        out.u1 = out.u1.max(b.u1);
        out.v0 = out.v0.min(b.v0);
        out.v1 = out.v1.max(b.v1);
        out.score += b.score;
        n += 1;
    }
    out.score /= n.max(1) as f32;
    out
}

/// Groups word boxes (page coordinates) into text lines in reading order.
///
/// Words are seen in a frame aligned with the page's dominant text direction, so a rotated
/// page groups like a straight one: they chain into lines by overlap across that direction
/// and small gaps along it; each line becomes one rectangle (rotated by the line's own fitted
/// direction) with a margin; lines are ordered top to bottom, and lines side by side in one
/// row left to right. Words far off the dominant direction stay lines of their own. Corners
/// are clamped to the page.
pub(crate) fn group_lines(
    words: &[(Quad, f32)],
    marks: &[(Quad, f32)],
    gp: &GroupParams,
    page_w: u32,
    page_h: u32,
) -> Vec<TextBox> {
    let angle = dominant_angle(words);
    let frame = Frame::new(angle);
    let mut aligned: Vec<Word> = Vec::new();
    let mut lines: Vec<(FrameBox, Quad)> = Vec::new();
    let to_quad = |b: &FrameBox, f: &Frame| -> Quad {
        let m = (gp.add_margin * (b.u1 - b.u0).min(b.v1 - b.v0)).trunc();
        let (u0, u1, v0, v1) = (b.u0 - m, b.u1 + m, b.v0 - m, b.v1 + m);
        order_quad([[u0, v0], [u1, v0], [u1, v1], [u0, v1]].map(|c| f.to_page(c)))
    };
    for (q, score) in words {
        let (dir, len) = word_direction(q);
        let height = geometry::height(q);
        if len >= 2.0 * height && (dir - angle).abs() > gp.max_skew {
            // Off the page's direction (a stamp, a vertical label): a line of its own.
            let own = Frame::new(dir);
            let q = to_quad(&Word::new(q, *score, dir).in_frame(&own), &own);
            lines.push((frame.bounds(&q, *score), q));
        } else {
            aligned.push(Word::new(q, *score, angle));
        }
    }

    let mut boxes: Vec<FrameBox> = aligned.iter().map(|w| w.in_frame(&frame)).collect();
    let chains = chain_lines(&boxes, gp);
    let first_mark = aligned.len();
    aligned.extend(marks.iter().map(|(q, score)| Word::new(q, *score, angle)));
    boxes.extend(aligned[first_mark..].iter().map(|w| w.in_frame(&frame)));
    // A line's direction comes from its words alone: a mark is too small to tell it.
    let frame_of = |line: &[usize]| {
        let line_words: Vec<usize> = line.iter().copied().filter(|&i| i < first_mark).collect();
        Frame::new(line_angle(&aligned, &line_words, &frame, angle))
    };
    for (line, own) in attach_marks(&aligned, first_mark, chains, frame_of, gp) {
        let b = union(line.iter().map(|&i| aligned[i].in_frame(&own)));
        lines.push((union(line.iter().map(|&i| boxes[i])), to_quad(&b, &own)));
    }

    // Reading order: rows top to bottom (a line joins the row of the first line it overlaps
    // enough across the text direction), left to right inside a row.
    lines.sort_by(|a, b| a.0.v0.total_cmp(&b.0.v0));
    let mut rows: Vec<(FrameBox, Vec<(FrameBox, Quad)>)> = Vec::new();
    for l in lines {
        let joins = rows.last().is_some_and(|(anchor, _)| {
            let overlap = anchor.v1.min(l.0.v1) - anchor.v0.max(l.0.v0);
            overlap >= gp.row_overlap * anchor.h().min(l.0.h())
        });
        match rows.last_mut() {
            Some((_, row)) if joins => row.push(l),
            _ => rows.push((l.0, vec![l])),
        }
    }
    let (fw, fh) = (page_w as f32, page_h as f32);
    rows.into_iter()
        .flat_map(|(_, mut row)| {
            row.sort_by(|a, b| a.0.u0.total_cmp(&b.0.u0));
            row
        })
        .map(|(b, q)| TextBox {
            points: q.map(|[x, y]| [x.clamp(0.0, fw), y.clamp(0.0, fh)]),
            score: b.score.clamp(0.0, 1.0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_plan_caps_the_long_side_and_pads_to_32() {
        let p = resize_plan(2000, 1000, 1280, 1.0);
        assert_eq!((p.width, p.height), (1280, 640));
        assert_eq!((padded_to_32(p.width), padded_to_32(p.height)), (1280, 640));
        assert!((p.ratio - 0.64).abs() < 1e-6);

        let p = resize_plan(800, 886, 1280, 1.0);
        assert_eq!((p.width, p.height, p.ratio), (800, 886, 1.0));
        assert_eq!((padded_to_32(p.width), padded_to_32(p.height)), (800, 896));

        // mag_ratio upsamples small pages, still capped by the canvas.
        let p = resize_plan(300, 100, 1280, 2.0);
        assert_eq!((p.width, p.height, padded_to_32(p.width), padded_to_32(p.height)), (600, 200, 608, 224));
        let p = resize_plan(1000, 10, 1280, 4.0);
        assert_eq!((p.width, p.height), (1280, 12));
    }

    #[test]
    fn input_tensor_normalizes_and_pads_with_normalized_zero() {
        let page = RgbImage::from_pixel(10, 5, image::Rgb([255, 255, 255]));
        let plan = resize_plan(10, 5, 1280, 1.0);
        let resized = resize(&page, &plan);
        let t = input_tensor(&resized, &content_window(&resized));
        assert_eq!(t.shape(), &[1, 3, 32, 32]);
        assert!((t[[0, 0, 0, 0]] - (255.0 - 255.0 * 0.485) / (255.0 * 0.229)).abs() < 1e-4);
        assert!((t[[0, 2, 31, 31]] - (-0.406 / 0.225)).abs() < 1e-4);
    }

    #[test]
    fn content_window_keeps_the_ink_and_a_margin_and_drops_blank_paper() {
        // A 640x480 white page with one dark bar at (200..300, 100..120).
        let mut page = RgbImage::from_pixel(640, 480, image::Rgb([250, 250, 250]));
        for y in 100..120 {
            for x in 200..300 {
                page.put_pixel(x, y, image::Rgb([20, 20, 20]));
            }
        }
        let win = content_window(&page);
        assert!(win.x <= 200 - CONTENT_MARGIN && win.y <= 100 - CONTENT_MARGIN, "{win:?}");
        assert!(win.x + win.width >= 300 + CONTENT_MARGIN && win.y + win.height >= 120 + CONTENT_MARGIN, "{win:?}");
        assert!(win.width < 240 && win.height < 120, "{win:?}");
        assert_eq!((win.x % 2, win.y % 2), (0, 0));
        let t = input_tensor(&page, &win);
        assert_eq!(t.shape(), &[1, 3, win.height.div_ceil(32) as usize * 32, win.width.div_ceil(32) as usize * 32]);

        // Faint noise is background; light text on a dark sign counts as content.
        let mut noisy = RgbImage::from_fn(640, 480, |x, y| image::Rgb([240 + ((x * 7 + y * 13) % 12) as u8; 3]));
        assert_eq!(content_window(&noisy), Window { x: 0, y: 0, width: 640, height: 480 });
        for y in 400..420 {
            for x in 500..560 {
                noisy.put_pixel(x, y, image::Rgb([200, 30, 30]));
            }
        }
        let win = content_window(&noisy);
        assert!(win.x <= 500 - CONTENT_MARGIN && win.x + win.width == 592 && win.y + win.height == 464, "{win:?}");

        // Content spread over the whole page: the whole page.
        let mut full = page.clone();
        full.put_pixel(2, 2, image::Rgb([0, 0, 0]));
        full.put_pixel(637, 477, image::Rgb([0, 0, 0]));
        assert_eq!(content_window(&full), Window { x: 0, y: 0, width: 640, height: 480 });
    }

    #[test]
    fn quads_are_ordered_clockwise_from_the_top_left() {
        let cw = [[0.0, 0.0], [10.0, 0.0], [10.0, 5.0], [0.0, 5.0]];
        // Counter-clockwise, starting elsewhere.
        assert_eq!(order_quad([[10.0, 5.0], [10.0, 0.0], [0.0, 0.0], [0.0, 5.0]]), cw);
        assert_eq!(order_quad([[0.0, 5.0], [0.0, 0.0], [10.0, 0.0], [10.0, 5.0]]), cw);
        assert_eq!(order_quad(cw), cw);
    }

    #[test]
    fn score_maps_become_one_box_per_blob() {
        // Two text blobs on a 40x20 map; one is weak (below text_threshold) and is dropped.
        let (w, h) = (40, 20);
        let mut text = vec![0.0; w * h];
        for y in 5..10 {
            for x in 2..15 {
                text[y * w + x] = 0.9;
            }
            for x in 25..35 {
                text[y * w + x] = 0.5;
            }
        }
        let maps = ScoreMaps { width: w, height: h, text, link: vec![0.0; w * h] };
        let boxes = word_boxes(&maps, &DetectParams::default()).words;
        assert_eq!(boxes.len(), 1);
        let (x0, y0, x1, y1) = ocr_core::geometry::bounds(&boxes[0].0);
        assert!(x0 <= 2.0 && x1 >= 14.0 && y0 <= 5.0 && y1 >= 9.0, "{:?}", boxes[0]);
        assert!((boxes[0].1 - 0.9).abs() < 1e-6);
    }

    fn word(x0: f32, y0: f32, x1: f32, y1: f32) -> (Quad, f32) {
        ([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], 0.8)
    }

    #[test]
    fn words_group_into_lines_in_reading_order() {
        let words = [
            word(200.0, 100.0, 260.0, 120.0), // second line, second word
            word(10.0, 10.0, 60.0, 30.0),     // first line
            word(66.0, 11.0, 120.0, 31.0),    // first line, close gap
            word(400.0, 10.0, 450.0, 30.0),   // same row, far away: its own line
            word(10.0, 100.0, 192.0, 120.0),  // second line, first word (gap 8 < 1.0 * 20)
        ];
        let lines = group_lines(&words, &[], &GroupParams::default(), 1000, 1000);
        let b: Vec<_> = lines.iter().map(|l| ocr_core::geometry::bounds(&l.points)).collect();
        assert_eq!(lines.len(), 3, "{b:?}");
        // Margin = 0.1 * min(w, h) = 2 px on each line.
        assert_eq!(b[0], (8.0, 8.0, 122.0, 33.0));
        assert_eq!(b[1], (398.0, 8.0, 452.0, 32.0));
        assert_eq!(b[2], (8.0, 98.0, 262.0, 122.0));
    }

    #[test]
    fn a_word_space_joins_a_line_and_a_column_gap_does_not() {
        // Words 20 px high, as CRAFT cuts a photographed receipt line: "4", "x", "80", ".000" with
        // gaps of 8 to 16 px (a space, the space around a separator) are one line; the price
        // column 60 px (three heights) to the right is a line of its own.
        let words = [
            word(10.0, 10.0, 20.0, 30.0),
            word(30.0, 10.0, 40.0, 30.0),
            word(56.0, 10.0, 80.0, 30.0),
            word(92.0, 11.0, 130.0, 31.0),
            word(190.0, 10.0, 260.0, 30.0),
        ];
        let lines = group_lines(&words, &[], &GroupParams::default(), 1000, 1000);
        let b: Vec<_> = lines.iter().map(|l| ocr_core::geometry::bounds(&l.points)).collect();
        assert_eq!(lines.len(), 2, "{b:?}");
        assert!(b[0].0 < 10.0 && b[0].2 > 130.0 && b[0].2 < 190.0, "{b:?}");
        assert!(b[1].0 > 130.0, "{b:?}");
    }

    #[test]
    fn a_faint_colon_between_spaced_words_joins_them_and_specks_are_dropped() {
        // `Tel : +603 2856 0385` at 20 px: CRAFT finds the words but scores the colon too faintly
        // to be a word; without it the 26 px gap splits the line (and the colon is never read).
        let words = [word(10.0, 10.0, 60.0, 30.0), word(86.0, 10.0, 200.0, 30.0)];
        let colon = word(70.0, 14.0, 76.0, 28.0);
        let speck_far = word(400.0, 14.0, 404.0, 18.0);
        let speck_above = word(100.0, 0.0, 104.0, 8.0);
        let alone = group_lines(&words, &[], &GroupParams::default(), 1000, 1000);
        assert_eq!(alone.len(), 2);
        let lines = group_lines(&words, &[colon, speck_far, speck_above], &GroupParams::default(), 1000, 1000);
        let b: Vec<_> = lines.iter().map(|l| ocr_core::geometry::bounds(&l.points)).collect();
        assert_eq!(lines.len(), 1, "{b:?}");
        // The line keeps its words' height and ends at its last word: the specks are not on it.
        assert!(b[0].0 < 10.0 && b[0].2 > 200.0 && b[0].2 < 210.0, "{b:?}");
        assert!(b[0].1 > 5.0 && b[0].3 < 35.0, "{b:?}");
    }

    #[test]
    fn a_dash_found_alone_between_words_joins_their_line() {
        // `Vá xe - Thay nhớt`: CRAFT finds the dash as a word of its own, a quarter of the line's
        // height: too low to chain with its neighbours, so it was a line of its own (read as
        // nothing) and split the line in two.
        let words = [
            word(10.0, 10.0, 50.0, 30.0),
            word(58.0, 10.0, 90.0, 30.0),
            word(105.0, 17.0, 115.0, 22.0),
            word(130.0, 10.0, 200.0, 30.0),
        ];
        let lines = group_lines(&words, &[], &GroupParams::default(), 1000, 1000);
        let b: Vec<_> = lines.iter().map(|l| ocr_core::geometry::bounds(&l.points)).collect();
        assert_eq!(lines.len(), 1, "{b:?}");
        assert!(b[0].0 < 10.0 && b[0].2 > 200.0, "{b:?}");
    }

    #[test]
    fn faint_blobs_are_marks_not_words() {
        // A strong blob is a word; a faint one (peak 0.5, under text_threshold) and a tiny strong
        // one (under 10 px) are marks; a blob under the mark score is nothing.
        let (w, h) = (60, 20);
        let mut text = vec![0.0; w * h];
        for y in 5..10 {
            for x in 2..15 {
                text[y * w + x] = 0.9;
            }
            for x in 25..30 {
                text[y * w + x] = 0.5;
            }
        }
        text[7 * w + 40] = 0.9;
        text[7 * w + 50] = 0.35;
        let maps = ScoreMaps { width: w, height: h, text, link: vec![0.0; w * h] };
        let found = word_boxes(&maps, &DetectParams::default());
        assert_eq!(found.words.len(), 1);
        assert_eq!(found.marks.len(), 2);
    }

    #[test]
    fn rotated_words_on_one_baseline_become_one_rotated_line() {
        // Four words along a baseline rising 15 degrees, given in reverse order; the short
        // third word has an axis-aligned box (as the detector gives nearly square words).
        let (c, s) = (15f32.to_radians().cos(), 15f32.to_radians().sin());
        let p = |x: f32, y: f32| [20.0 + x * c + y * s, 300.0 - x * s + y * c];
        let rotated = |x0: f32, x1: f32| (order_quad([p(x0, 0.0), p(x1, 0.0), p(x1, 30.0), p(x0, 30.0)]), 0.9);
        let [cx, cy] = p(245.0, 15.0);
        let square =
            ([[cx - 22.0, cy - 22.0], [cx + 22.0, cy - 22.0], [cx + 22.0, cy + 22.0], [cx - 22.0, cy + 22.0]], 0.9);
        let words = [rotated(270.0, 390.0), square, rotated(110.0, 220.0), rotated(0.0, 100.0)];
        let lines = group_lines(&words, &[], &GroupParams::default(), 1000, 1000);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let q = lines[0].points;
        let angle = (q[0][1] - q[1][1]).atan2(q[1][0] - q[0][0]).to_degrees();
        assert!((angle - 15.0).abs() < 1.0, "{angle} {q:?}");
        // About as tall as the words (30-36 px plus margins), not the square box (44 px, 58 rotated).
        let height = ((q[3][0] - q[0][0]).powi(2) + (q[3][1] - q[0][1]).powi(2)).sqrt();
        assert!(height < 45.0, "{height} {q:?}");
    }

    #[test]
    fn a_word_with_taller_accents_stays_in_its_row_and_columns_read_left_to_right() {
        let words = [
            word(300.0, 10.0, 360.0, 30.0), // value column, row 1
            word(10.0, 10.0, 60.0, 30.0),   // label, row 1
            word(64.0, 4.0, 110.0, 31.0),   // accented word: taller, same row
            word(10.0, 40.0, 60.0, 60.0),   // row 2
            word(300.0, 40.0, 360.0, 60.0), // value, row 2
        ];
        let lines = group_lines(&words, &[], &GroupParams::default(), 1000, 1000);
        let x0: Vec<f32> = lines.iter().map(|l| l.points[0][0].round()).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        // Row 1 label (merged with the accented word), row 1 value, row 2 label, row 2 value.
        assert_eq!(x0, vec![8.0, 298.0, 8.0, 298.0]);
    }

    #[test]
    fn rotated_words_stay_quads_and_are_clamped_to_the_page() {
        // A 15-degree box touching the left edge.
        let (c, s) = (15f32.to_radians().cos(), 15f32.to_radians().sin());
        let p = |x: f32, y: f32| [5.0 + x * c + y * s, 100.0 - x * s + y * c];
        let q = order_quad([p(0.0, 0.0), p(200.0, 0.0), p(200.0, 30.0), p(0.0, 30.0)]);
        let lines = group_lines(&[(q, 0.9)], &[], &GroupParams::default(), 300, 300);
        assert_eq!(lines.len(), 1);
        assert!(ocr_core::geometry::inside(&lines[0].points, 300, 300));
        // Still a slanted quad, not an axis-aligned rectangle.
        let pts = lines[0].points;
        assert!((pts[0][1] - pts[1][1]).abs() > 20.0, "{pts:?}");
    }
}
