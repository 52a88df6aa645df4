//! Points and quadrilaterals in page pixel coordinates (origin top-left, x right, y down).

/// A point `[x, y]` in pixels of the page image.
pub type Point = [f32; 2];

/// Four corners, clockwise from the top-left one (the corner with the smallest `x + y`).
pub type Quad = [Point; 4];

/// Axis-aligned bounds `(min_x, min_y, max_x, max_y)` of a quad.
pub fn bounds(q: &Quad) -> (f32, f32, f32, f32) {
    q.iter().fold((f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY), |(x0, y0, x1, y1), p| {
        (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]))
    })
}

/// True when every corner is a finite number inside `[0, width] x [0, height]`.
pub fn inside(q: &Quad, width: u32, height: u32) -> bool {
    q.iter().all(|p| {
        p[0].is_finite()
            && p[1].is_finite()
            && p[0] >= 0.0
            && p[1] >= 0.0
            && p[0] <= width as f32
            && p[1] <= height as f32
    })
}

/// Centre of a quad (mean of its corners).
pub fn centre(q: &Quad) -> Point {
    let (sx, sy) = q.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p[0], sy + p[1]));
    [sx / 4.0, sy / 4.0]
}

/// Area enclosed by a quad (shoelace formula; a self-crossing quad counts its lobes against
/// each other, so a bow-tie encloses little).
pub fn area(q: &Quad) -> f32 {
    let twice: f32 = (0..4).map(|i| q[i][0] * q[(i + 1) % 4][1] - q[(i + 1) % 4][0] * q[i][1]).sum();
    twice.abs() / 2.0
}

/// How thick a quad is across its longest side (a text line's height; the shorter side of a
/// rectangle): its area over that side's length. 0 for a quad with no area.
pub fn thickness(q: &Quad) -> f32 {
    let longest = (0..4).map(|i| dist(q[i], q[(i + 1) % 4])).fold(0.0, f32::max);
    if longest > 0.0 { area(q) / longest } else { 0.0 }
}

/// How high a box is whose corners come in reading order (a text line's): the mean of its left
/// and right edges.
pub fn height(q: &Quad) -> f32 {
    0.5 * (dist(q[0], q[3]) + dist(q[1], q[2]))
}

/// Distance between two points.
pub fn dist(a: Point, b: Point) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_inside_agree_on_a_rectangle() {
        let q = [[1.0, 2.0], [11.0, 2.0], [11.0, 7.0], [1.0, 7.0]];
        assert_eq!(bounds(&q), (1.0, 2.0, 11.0, 7.0));
        assert!(inside(&q, 11, 7));
        assert!(!inside(&q, 10, 7));
        assert_eq!(centre(&q), [6.0, 4.5]);
    }

    #[test]
    fn thickness_is_a_rectangles_shorter_side_whichever_way_it_lies() {
        let wide = [[0.0, 0.0], [100.0, 0.0], [100.0, 4.0], [0.0, 4.0]];
        assert_eq!((area(&wide), thickness(&wide)), (400.0, 4.0));
        // The same box turned by 30 degrees.
        let (c, s) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        let turned = wide.map(|[x, y]| [x * c - y * s, x * s + y * c]);
        assert!((thickness(&turned) - 4.0).abs() < 1e-3);
        // All corners on one line, and a bow-tie: nothing enclosed.
        assert_eq!(thickness(&[[0.0, 0.0], [50.0, 0.0], [100.0, 0.0], [10.0, 0.0]]), 0.0);
        assert_eq!(area(&[[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 10.0]]), 0.0);
    }

    #[test]
    fn nan_corners_are_never_inside() {
        let q = [[f32::NAN, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        assert!(!inside(&q, 10, 10));
    }
}
