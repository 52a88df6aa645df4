//! The filter's rules as pure functions over plain numbers: no WIT types, no host calls, so
//! they are unit-tested on the host target (`cargo test --manifest-path plugins/Cargo.toml`).

/// A box's corners in page pixels, clockwise from the top-left one.
pub type Corners = [(f32, f32); 4];

/// What the tenant configured; `None` turns a rule off.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Boxes with a lower detector score are dropped.
    pub min_score: f32,
    /// Boxes whose axis-aligned bounds are shorter than this (px) are dropped.
    pub min_height: f32,
    /// Boxes with a smaller area (px², of the quadrilateral) are dropped.
    pub min_area: Option<f32>,
    /// Boxes whose long side is more than this many times their short side are dropped.
    pub max_aspect_ratio: Option<f32>,
    /// Only boxes whose centre lies inside this rectangle (`x0, y0, x1, y1`, px) are kept.
    pub region: Option<[f32; 4]>,
}

pub const DEFAULT_MIN_SCORE: f32 = 0.5;
pub const DEFAULT_MIN_HEIGHT: f32 = 6.0;

/// Why a box was dropped: the first rule it fails, in the order of the fields of [`Rules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop {
    Score,
    Height,
    Area,
    AspectRatio,
    Region,
}

impl Rules {
    /// Builds the rules from the config, read through `get` (`None` for an unset key). A value
    /// that does not parse is the tenant's mistake: the message says which key and why.
    pub fn from_config(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let min_score =
            number(&get, "min_score", |v| (0.0..=1.0).contains(&v), "between 0 and 1")?.unwrap_or(DEFAULT_MIN_SCORE);
        let min_height = number(&get, "min_height", |v| v >= 0.0, "≥ 0 (pixels)")?.unwrap_or(DEFAULT_MIN_HEIGHT);
        let min_area = number(&get, "min_area", |v| v >= 0.0, "≥ 0 (square pixels)")?;
        let max_aspect_ratio = number(&get, "max_aspect_ratio", |v| v >= 1.0, "≥ 1 (long side / short side)")?;
        let region = get("region").map(|v| region(&v)).transpose()?;
        Ok(Self { min_score, min_height, min_area, max_aspect_ratio, region })
    }

    /// The first rule `corners`/`score` fails, or `None` when the box is kept.
    pub fn check(&self, corners: &Corners, score: f32) -> Option<Drop> {
        if score < self.min_score {
            return Some(Drop::Score);
        }
        if height(corners) < self.min_height {
            return Some(Drop::Height);
        }
        if self.min_area.is_some_and(|min| area(corners) < min) {
            return Some(Drop::Area);
        }
        if self.max_aspect_ratio.is_some_and(|max| aspect_ratio(corners) > max) {
            return Some(Drop::AspectRatio);
        }
        if let Some([x0, y0, x1, y1]) = self.region {
            let (cx, cy) = centre(corners);
            if !(x0 <= cx && cx <= x1 && y0 <= cy && cy <= y1) {
                return Some(Drop::Region);
            }
        }
        None
    }
}

/// Reads an optional finite number that must satisfy `ok` (described by `what`).
fn number(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    ok: impl Fn(f32) -> bool,
    what: &str,
) -> Result<Option<f32>, String> {
    let Some(raw) = get(key) else {
        return Ok(None);
    };
    match raw.trim().parse::<f32>() {
        Ok(v) if v.is_finite() && ok(v) => Ok(Some(v)),
        Ok(_) => Err(format!("config {key} must be a number {what}, got {raw:?}")),
        Err(_) => Err(format!("config {key} must be a number, got {raw:?}")),
    }
}

/// Parses `x0,y0,x1,y1` (page pixels, spaces allowed) with `x0 < x1` and `y0 < y1`.
fn region(raw: &str) -> Result<[f32; 4], String> {
    let usage = "x0,y0,x1,y1 in page pixels, e.g. \"0,0,800,300\"";
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() != 4 {
        return Err(format!("config region must be four numbers {usage}, got {raw:?}"));
    }
    let mut r = [0.0f32; 4];
    for (slot, part) in r.iter_mut().zip(&parts) {
        *slot = match part.parse::<f32>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                return Err(format!(
                    "config region must be four numbers {usage}, got {raw:?} ({part:?} is not a number)"
                ));
            }
        };
    }
    if r[0] >= r[2] || r[1] >= r[3] {
        return Err(format!("config region must have x0 < x1 and y0 < y1 ({usage}), got {raw:?}"));
    }
    Ok(r)
}

/// Height of the box's axis-aligned bounds.
pub fn height(c: &Corners) -> f32 {
    let (lo, hi) = c.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
    hi - lo
}

/// Area of the quadrilateral (shoelace formula), so a rotated box counts what it covers.
pub fn area(c: &Corners) -> f32 {
    let twice: f32 = (0..4)
        .map(|i| {
            let ((x0, y0), (x1, y1)) = (c[i], c[(i + 1) % 4]);
            x0 * y1 - x1 * y0
        })
        .sum();
    twice.abs() / 2.0
}

/// Long side over short side, each the mean of two opposite edges (rotation does not change
/// it). Infinite for a box with a zero-length side.
pub fn aspect_ratio(c: &Corners) -> f32 {
    let len = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).hypot(a.1 - b.1);
    let width = (len(c[0], c[1]) + len(c[3], c[2])) / 2.0;
    let height = (len(c[0], c[3]) + len(c[1], c[2])) / 2.0;
    let (short, long) = if width < height { (width, height) } else { (height, width) };
    if short <= 0.0 { f32::INFINITY } else { long / short }
}

/// Mean of the four corners.
pub fn centre(c: &Corners) -> (f32, f32) {
    let (sx, sy) = c.iter().fold((0.0, 0.0), |(sx, sy), &(x, y)| (sx + x, sy + y));
    (sx / 4.0, sy / 4.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn rect(x: f32, y: f32, w: f32, h: f32) -> Corners {
        [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    }

    fn rules(pairs: &[(&str, &str)]) -> Result<Rules, String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Rules::from_config(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_keep_the_old_behaviour() {
        let r = rules(&[]).unwrap();
        assert_eq!(r.min_score, 0.5);
        assert_eq!(r.min_height, 6.0);
        assert_eq!(r.check(&rect(0.0, 0.0, 100.0, 20.0), 0.9), None);
        assert_eq!(r.check(&rect(0.0, 0.0, 100.0, 20.0), 0.3), Some(Drop::Score));
        assert_eq!(r.check(&rect(0.0, 0.0, 100.0, 3.0), 0.9), Some(Drop::Height));
    }

    #[test]
    fn geometry_of_rectangles_and_rotated_boxes() {
        assert_eq!(area(&rect(10.0, 10.0, 100.0, 20.0)), 2000.0);
        assert_eq!(aspect_ratio(&rect(10.0, 10.0, 100.0, 20.0)), 5.0);
        assert_eq!(aspect_ratio(&rect(10.0, 10.0, 20.0, 100.0)), 5.0);
        assert_eq!(centre(&rect(10.0, 10.0, 100.0, 20.0)), (60.0, 20.0));
        // A 20x10 box turned by 45 degrees.
        let d = std::f32::consts::FRAC_1_SQRT_2;
        let rot = [
            (50.0, 50.0),
            (50.0 + 20.0 * d, 50.0 + 20.0 * d),
            (50.0 + 20.0 * d - 10.0 * d, 50.0 + 20.0 * d + 10.0 * d),
            (50.0 - 10.0 * d, 50.0 + 10.0 * d),
        ];
        assert!((area(&rot) - 200.0).abs() < 1e-3, "{}", area(&rot));
        assert!((aspect_ratio(&rot) - 2.0).abs() < 1e-4);
        assert_eq!(aspect_ratio(&rect(0.0, 0.0, 10.0, 0.0)), f32::INFINITY);
    }

    #[test]
    fn min_area_drops_small_boxes() {
        let r = rules(&[("min_area", "500"), ("min_height", "0")]).unwrap();
        assert_eq!(r.check(&rect(0.0, 0.0, 30.0, 10.0), 0.9), Some(Drop::Area));
        assert_eq!(r.check(&rect(0.0, 0.0, 50.0, 10.0), 0.9), None);
    }

    #[test]
    fn max_aspect_ratio_drops_slivers_both_ways() {
        let r = rules(&[("max_aspect_ratio", "10"), ("min_height", "0")]).unwrap();
        assert_eq!(r.check(&rect(0.0, 0.0, 100.0, 10.0), 0.9), None);
        let wide = rect(0.0, 0.0, 200.0, 10.0);
        assert_eq!(r.check(&wide, 0.9), Some(Drop::AspectRatio));
        let tall = rect(0.0, 0.0, 10.0, 200.0);
        assert_eq!(r.check(&tall, 0.9), Some(Drop::AspectRatio));
        let flat = rect(0.0, 0.0, 10.0, 0.0);
        assert_eq!(r.check(&flat, 0.9), Some(Drop::AspectRatio));
    }

    #[test]
    fn region_keeps_boxes_whose_centre_is_inside() {
        let r = rules(&[("region", " 0, 0 ,100,50 ")]).unwrap();
        assert_eq!(r.region, Some([0.0, 0.0, 100.0, 50.0]));
        // Centre (60, 20): inside, although the box sticks out to the right.
        assert_eq!(r.check(&rect(10.0, 10.0, 100.0, 20.0), 0.9), None);
        // Centre (60, 60): outside.
        assert_eq!(r.check(&rect(10.0, 50.0, 100.0, 20.0), 0.9), Some(Drop::Region));
    }

    #[test]
    fn malformed_values_are_reported_with_the_key() {
        for (key, value, expected) in [
            ("min_score", "high", "config min_score must be a number, got \"high\""),
            ("min_score", "1.5", "between 0 and 1"),
            ("min_height", "-1", "config min_height must be a number ≥ 0"),
            ("min_area", "NaN", "config min_area must be a number ≥ 0"),
            ("min_area", "inf", "config min_area must be a number ≥ 0"),
            ("max_aspect_ratio", "0.5", "≥ 1 (long side / short side)"),
            ("region", "1,2,3", "config region must be four numbers"),
            ("region", "0,0,x,10", "(\"x\" is not a number)"),
            ("region", "100,0,10,10", "x0 < x1 and y0 < y1"),
        ] {
            let err = rules(&[(key, value)]).unwrap_err();
            assert!(err.contains(expected), "{key}={value}: {err}");
        }
    }
}
