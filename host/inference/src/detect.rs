//! CRAFT detection: page to input tensor, score maps to word boxes, word boxes to text lines.
//!
//! Follows the reference CRAFT / EasyOCR post-processing (`getDetBoxes_core`, `group_text_box`).

use image::{GrayImage, Luma, RgbImage, imageops::FilterType};
use imageproc::distance_transform::Norm;
use imageproc::point::Point;
use imageproc::region_labelling::{Connectivity, connected_components};
use ndarray::Array4;
use ocr_core::{DetectParams, Quad, TextBox};

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
    /// Size of the model input: the resized page zero-padded right/bottom to multiples of 32.
    pub padded_width: u32,
    pub padded_height: u32,
}

/// Long side becomes `min(mag_ratio * long, canvas)`; then pad to multiples of 32.
pub(crate) fn resize_plan(width: u32, height: u32, canvas: u32, mag_ratio: f32) -> ResizePlan {
    let long = width.max(height).max(1) as f32;
    let target = (mag_ratio * long).min(canvas as f32);
    let ratio = target / long;
    let w = ((width as f32 * ratio) as u32).max(1);
    let h = ((height as f32 * ratio) as u32).max(1);
    ResizePlan {
        ratio,
        width: w,
        height: h,
        padded_width: w.div_ceil(32) * 32,
        padded_height: h.div_ceil(32) * 32,
    }
}

/// The normalized NCHW input tensor for a page (padding is zero before normalization, like the reference).
pub(crate) fn input_tensor(page: &RgbImage, plan: &ResizePlan) -> Array4<f32> {
    let resized = if (plan.width, plan.height) == page.dimensions() {
        page.clone()
    } else {
        image::imageops::resize(page, plan.width, plan.height, FilterType::Triangle)
    };
    let (pw, ph) = (plan.padded_width as usize, plan.padded_height as usize);
    let mut t = Array4::<f32>::zeros((1, 3, ph, pw));
    for c in 0..3 {
        let (m, s) = (255.0 * MEAN[c], 255.0 * STD[c]);
        let pad = -m / s;
        let mut plane = t.slice_mut(ndarray::s![0, c, .., ..]);
        plane.fill(pad);
        for (x, y, p) in resized.enumerate_pixels() {
            plane[[y as usize, x as usize]] = (f32::from(p[c]) - m) / s;
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

/// Word boxes in score-map coordinates (clockwise from the top-left corner) with a mean text score.
pub(crate) fn word_boxes(maps: &ScoreMaps, params: &DetectParams) -> Vec<(Quad, f32)> {
    let (w, h) = (maps.width as u32, maps.height as u32);
    let is_text: Vec<bool> = maps.text.iter().map(|&s| s > params.low_text).collect();
    let is_link: Vec<bool> = maps
        .link
        .iter()
        .map(|&s| s > params.link_threshold)
        .collect();
    let combined = GrayImage::from_fn(w, h, |x, y| {
        let i = (y * w + x) as usize;
        Luma([if is_text[i] || is_link[i] { 255 } else { 0 }])
    });
    let labels = connected_components(&combined, Connectivity::Four, Luma([0u8]));

    let n_labels = labels.pixels().map(|p| p[0]).max().unwrap_or(0) as usize;
    let mut comps = vec![
        Component {
            x0: u32::MAX,
            y0: u32::MAX,
            ..Default::default()
        };
        n_labels + 1
    ];
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

    let mut out = Vec::new();
    for (k, c) in comps.iter().enumerate().skip(1) {
        if c.area < 10 || c.max_text < params.text_threshold {
            continue;
        }
        let (cw, ch) = (c.x1 - c.x0 + 1, c.y1 - c.y0 + 1);
        let niter =
            ((c.area as f64 * cw.min(ch) as f64 / (cw as f64 * ch as f64)).sqrt() * 2.0) as u32;
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
            imageproc::morphology::dilate_mut(
                &mut seg,
                Norm::LInf,
                niter.div_ceil(2).min(255) as u8,
            );
        }
        let Some(quad) = min_area_quad(&seg, sx, sy) else {
            continue;
        };
        let score = if c.text_count > 0 {
            c.text_sum / c.text_count as f32
        } else {
            c.max_text
        };
        out.push((quad, score));
    }
    out
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
        let row: Vec<u32> = (0..seg.width())
            .filter(|&x| seg.get_pixel(x, y)[0] != 0)
            .collect();
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
    let area2: f32 = (0..4)
        .map(|i| q[i][0] * q[(i + 1) % 4][1] - q[(i + 1) % 4][0] * q[i][1])
        .sum();
    if area2 < 0.0 {
        q.swap(1, 3);
    }
    let start = (0..4)
        .min_by(|&a, &b| (q[a][0] + q[a][1]).total_cmp(&(q[b][0] + q[b][1])))
        .unwrap_or(0);
    q.rotate_left(start);
    q
}

/// Line-grouping thresholds (EasyOCR's `readtext` defaults).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupParams {
    /// Boxes whose top and bottom edges slope less than this are horizontal.
    pub slope_ths: f32,
    /// Same row when the y-centres differ by less than this times the mean height.
    pub ycenter_ths: f32,
    /// Merge neighbours whose heights differ by less than this times the mean height...
    pub height_ths: f32,
    /// ...and whose gap is less than this times the box height.
    pub width_ths: f32,
    /// Margin added around each line, times its smaller side.
    pub add_margin: f32,
}

impl Default for GroupParams {
    fn default() -> Self {
        Self {
            slope_ths: 0.1,
            ycenter_ths: 0.5,
            height_ths: 0.5,
            width_ths: 0.5,
            add_margin: 0.1,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct HBox {
    x0: f32,
    x1: f32,
    y0: f32,
    y1: f32,
    score: f32,
}

impl HBox {
    fn yc(&self) -> f32 {
        0.5 * (self.y0 + self.y1)
    }
    fn h(&self) -> f32 {
        self.y1 - self.y0
    }
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

/// Groups word boxes (page coordinates) into text lines in reading order: horizontal boxes are
/// merged into axis-aligned lines; rotated ones stay quads (with a margin). Corners are clamped
/// to the page.
pub(crate) fn group_lines(
    words: &[(Quad, f32)],
    gp: &GroupParams,
    page_w: u32,
    page_h: u32,
) -> Vec<TextBox> {
    let mut horizontal = Vec::new();
    let mut free: Vec<(Quad, f32)> = Vec::new();
    for &(p, score) in words {
        let slope_up = (p[1][1] - p[0][1]) / (p[1][0] - p[0][0]).max(10.0);
        let slope_down = (p[2][1] - p[3][1]) / (p[2][0] - p[3][0]).max(10.0);
        if slope_up.abs().max(slope_down.abs()) < gp.slope_ths {
            let (x0, y0, x1, y1) = ocr_core::geometry::bounds(&p);
            horizontal.push(HBox {
                x0,
                x1,
                y0,
                y1,
                score,
            });
        } else {
            let norm = |a: [f32; 2]| (a[0] * a[0] + a[1] * a[1]).sqrt();
            let height = norm([p[3][0] - p[0][0], p[3][1] - p[0][1]]);
            let width = norm([p[1][0] - p[0][0], p[1][1] - p[0][1]]);
            let margin = (1.44 * gp.add_margin * width.min(height)).trunc();
            let t13 = ((p[0][1] - p[2][1]) / (p[0][0] - p[2][0]).max(10.0))
                .atan()
                .abs();
            let t24 = ((p[1][1] - p[3][1]) / (p[1][0] - p[3][0]).max(10.0))
                .atan()
                .abs();
            let q = [
                [p[0][0] - t13.cos() * margin, p[0][1] - t13.sin() * margin],
                [p[1][0] + t24.cos() * margin, p[1][1] - t24.sin() * margin],
                [p[2][0] + t13.cos() * margin, p[2][1] + t13.sin() * margin],
                [p[3][0] - t24.cos() * margin, p[3][1] + t24.sin() * margin],
            ];
            free.push((q, score));
        }
    }
    horizontal.sort_by(|a, b| a.yc().total_cmp(&b.yc()));

    // Rows: consecutive (by y-centre) boxes whose centre is near the row's mean centre.
    let mut rows: Vec<Vec<HBox>> = Vec::new();
    let (mut heights, mut centres) = (Vec::new(), Vec::new());
    for b in horizontal {
        match rows.last_mut() {
            Some(row) if (mean(&centres) - b.yc()).abs() < gp.ycenter_ths * mean(&heights) => {
                heights.push(b.h());
                centres.push(b.yc());
                row.push(b);
            }
            _ => {
                heights = vec![b.h()];
                centres = vec![b.yc()];
                rows.push(vec![b]);
            }
        }
    }

    let mut lines: Vec<(Quad, f32)> = Vec::new();
    let rect = |x0: f32, x1: f32, y0: f32, y1: f32| [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    for mut row in rows {
        row.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        // Within a row, merge left-to-right neighbours of similar height and a small gap.
        let mut groups: Vec<Vec<HBox>> = Vec::new();
        let mut heights: Vec<f32> = Vec::new();
        let mut x_max = 0.0;
        for b in row {
            let mergeable = !groups.is_empty()
                && (mean(&heights) - b.h()).abs() < gp.height_ths * mean(&heights)
                && (b.x0 - x_max) < gp.width_ths * b.h();
            if mergeable {
                heights.push(b.h());
                if let Some(g) = groups.last_mut() {
                    g.push(b);
                }
            } else {
                heights = vec![b.h()];
                groups.push(vec![b]);
            }
            x_max = b.x1;
        }
        for g in groups {
            let x0 = g.iter().map(|b| b.x0).fold(f32::INFINITY, f32::min);
            let x1 = g.iter().map(|b| b.x1).fold(f32::NEG_INFINITY, f32::max);
            let y0 = g.iter().map(|b| b.y0).fold(f32::INFINITY, f32::min);
            let y1 = g.iter().map(|b| b.y1).fold(f32::NEG_INFINITY, f32::max);
            let margin = (gp.add_margin * (x1 - x0).min(y1 - y0)).trunc();
            let score = mean(&g.iter().map(|b| b.score).collect::<Vec<_>>());
            lines.push((
                rect(x0 - margin, x1 + margin, y0 - margin, y1 + margin),
                score,
            ));
        }
    }

    // Rotated lines join the reading order by their centre.
    for (q, score) in free {
        let yc = ocr_core::geometry::centre(&q)[1];
        let at = lines
            .iter()
            .position(|(l, _)| ocr_core::geometry::centre(l)[1] > yc)
            .unwrap_or(lines.len());
        lines.insert(at, (q, score));
    }

    let (fw, fh) = (page_w as f32, page_h as f32);
    lines
        .into_iter()
        .map(|(q, score)| TextBox {
            points: q.map(|[x, y]| [x.clamp(0.0, fw), y.clamp(0.0, fh)]),
            score: score.clamp(0.0, 1.0),
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
        assert_eq!((p.padded_width, p.padded_height), (1280, 640));
        assert!((p.ratio - 0.64).abs() < 1e-6);

        let p = resize_plan(800, 886, 1280, 1.0);
        assert_eq!((p.width, p.height, p.ratio), (800, 886, 1.0));
        assert_eq!((p.padded_width, p.padded_height), (800, 896));

        // mag_ratio upsamples small pages, still capped by the canvas.
        let p = resize_plan(300, 100, 1280, 2.0);
        assert_eq!(
            (p.width, p.height, p.padded_width, p.padded_height),
            (600, 200, 608, 224)
        );
        let p = resize_plan(1000, 10, 1280, 4.0);
        assert_eq!((p.width, p.height), (1280, 12));
    }

    #[test]
    fn input_tensor_normalizes_and_pads_with_normalized_zero() {
        let page = RgbImage::from_pixel(10, 5, image::Rgb([255, 255, 255]));
        let plan = resize_plan(10, 5, 1280, 1.0);
        let t = input_tensor(&page, &plan);
        assert_eq!(t.shape(), &[1, 3, 32, 32]);
        assert!((t[[0, 0, 0, 0]] - (255.0 - 255.0 * 0.485) / (255.0 * 0.229)).abs() < 1e-4);
        assert!((t[[0, 2, 31, 31]] - (-0.406 / 0.225)).abs() < 1e-4);
    }

    #[test]
    fn quads_are_ordered_clockwise_from_the_top_left() {
        let cw = [[0.0, 0.0], [10.0, 0.0], [10.0, 5.0], [0.0, 5.0]];
        // Counter-clockwise, starting elsewhere.
        assert_eq!(
            order_quad([[10.0, 5.0], [10.0, 0.0], [0.0, 0.0], [0.0, 5.0]]),
            cw
        );
        assert_eq!(
            order_quad([[0.0, 5.0], [0.0, 0.0], [10.0, 0.0], [10.0, 5.0]]),
            cw
        );
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
        let maps = ScoreMaps {
            width: w,
            height: h,
            text,
            link: vec![0.0; w * h],
        };
        let boxes = word_boxes(&maps, &DetectParams::default());
        assert_eq!(boxes.len(), 1);
        let (x0, y0, x1, y1) = ocr_core::geometry::bounds(&boxes[0].0);
        assert!(
            x0 <= 2.0 && x1 >= 14.0 && y0 <= 5.0 && y1 >= 9.0,
            "{:?}",
            boxes[0]
        );
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
            word(10.0, 100.0, 192.0, 120.0),  // second line, first word (gap 8 < 0.5 * 20)
        ];
        let lines = group_lines(&words, &GroupParams::default(), 1000, 1000);
        let b: Vec<_> = lines
            .iter()
            .map(|l| ocr_core::geometry::bounds(&l.points))
            .collect();
        assert_eq!(lines.len(), 3, "{b:?}");
        // Margin = 0.1 * min(w, h) = 2 px on each line.
        assert_eq!(b[0], (8.0, 8.0, 122.0, 33.0));
        assert_eq!(b[1], (398.0, 8.0, 452.0, 32.0));
        assert_eq!(b[2], (8.0, 98.0, 262.0, 122.0));
    }

    #[test]
    fn rotated_words_stay_quads_and_are_clamped_to_the_page() {
        // A 15-degree box touching the left edge.
        let (c, s) = (15f32.to_radians().cos(), 15f32.to_radians().sin());
        let p = |x: f32, y: f32| [5.0 + x * c + y * s, 100.0 - x * s + y * c];
        let q = order_quad([p(0.0, 0.0), p(200.0, 0.0), p(200.0, 30.0), p(0.0, 30.0)]);
        let lines = group_lines(&[(q, 0.9)], &GroupParams::default(), 300, 300);
        assert_eq!(lines.len(), 1);
        assert!(ocr_core::geometry::inside(&lines[0].points, 300, 300));
        // Still a slanted quad, not an axis-aligned rectangle.
        let pts = lines[0].points;
        assert!((pts[0][1] - pts[1][1]).abs() > 20.0, "{pts:?}");
    }
}
