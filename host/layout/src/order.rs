//! Reading order: a recursive XY-cut that reads a column to its end before the next.
//!
//! The page is cut into *units*: a table or key–value group (read row by row, never cut) or a
//! single line. A set of units is cut
//! - down the page, wherever a gutter at least [`GUTTER`] line heights wide runs through all of
//!   them: the columns are read left to right, each to its end;
//! - else across the page, into bands (units side by side). Consecutive bands that share a
//!   gutter and are at most [`SECTION_GAP`] line heights apart (a two-column letterhead above
//!   full-width text) are cut again as a whole, so their columns are read one after the other;
//!   other bands are read top to bottom, each left to right.
//!
//! The result is a list of *flows*: units read in sequence within one column, the input of
//! the paragraph grouping.

use crate::geom::Rect;

/// Narrowest gutter between columns, in line heights. Word spaces are a quarter to a half of
/// an em and the detector already joins words closer than one line height into one line, so a
/// stripe of blank paper one line height wide running down several lines separates columns.
pub const GUTTER: f32 = 1.0;

/// Widest gap, in line heights, inside one multi-column zone. Lines within a column are at
/// most one blank line apart (a blank line and its leading: about 1.5 heights); a wider
/// stripe of blank paper across the page ends a section (a letterhead above the body), and
/// what follows is read after everything above it, even when it fits under one column.
pub const SECTION_GAP: f32 = 1.5;

/// Two units are on one band when their y ranges overlap by at least this share of the smaller
/// height (as lines of one row do; see `rows::ROW_OVERLAP`).
const BAND_OVERLAP: f32 = 0.5;

/// The units in reading order, grouped in flows (one column each).
pub fn flows(units: &[Rect], em: f32) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    cut(units, (0..units.len()).collect(), em, &mut out);
    out.retain(|f| !f.is_empty());
    out
}

/// Groups of `ids` separated by gutters, left to right; one group when there is none.
fn columns(units: &[Rect], ids: &[usize], em: f32) -> Vec<Vec<usize>> {
    let mut sorted = ids.to_vec();
    sorted.sort_by(|&a, &b| units[a].x0.total_cmp(&units[b].x0));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut right = f32::NEG_INFINITY;
    for i in sorted {
        if groups.is_empty() || units[i].x0 - right >= GUTTER * em {
            groups.push(Vec::new());
        }
        right = right.max(units[i].x1);
        groups.last_mut().expect("pushed above").push(i);
    }
    groups
}

/// Bands of `ids` top to bottom: units overlapping in y (as one row) are on one band.
fn bands(units: &[Rect], ids: &[usize]) -> Vec<Vec<usize>> {
    let mut sorted = ids.to_vec();
    sorted.sort_by(|&a, &b| units[a].y0.total_cmp(&units[b].y0));
    let mut out: Vec<(Vec<usize>, Rect)> = Vec::new();
    for i in sorted {
        let r = units[i];
        match out.last_mut() {
            Some((band, br)) if br.y_overlap(&r) >= BAND_OVERLAP * r.h().min(br.h()).max(f32::EPSILON) => {
                band.push(i);
                *br = br.union(&r);
            }
            _ => out.push((vec![i], r)),
        }
    }
    out.into_iter().map(|(b, _)| b).collect()
}

fn cut(units: &[Rect], ids: Vec<usize>, em: f32, out: &mut Vec<Vec<usize>>) {
    if ids.len() <= 1 {
        out.push(ids);
        return;
    }
    let cols = columns(units, &ids, em);
    if cols.len() > 1 {
        for c in cols {
            cut(units, c, em, out);
        }
        return;
    }
    let bands = bands(units, &ids);
    if bands.len() == 1 {
        let mut row = ids;
        row.sort_by(|&a, &b| units[a].x0.total_cmp(&units[b].x0));
        out.push(row);
        return;
    }
    let mut flow: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bands.len() {
        // The longest run of bands from `i` that a gutter runs through.
        let mut zone: Vec<usize> = bands[i].clone();
        let mut j = i;
        while j + 1 < bands.len() {
            let bottom = zone.iter().map(|&u| units[u].y1).fold(f32::NEG_INFINITY, f32::max);
            let top = bands[j + 1].iter().map(|&u| units[u].y0).fold(f32::INFINITY, f32::min);
            if top - bottom > SECTION_GAP * em {
                break;
            }
            let mut wider = zone.clone();
            wider.extend(&bands[j + 1]);
            if columns(units, &wider, em).len() < 2 {
                break;
            }
            zone = wider;
            j += 1;
        }
        if columns(units, &zone, em).len() > 1 {
            out.push(std::mem::take(&mut flow));
            cut(units, zone, em, out);
        } else {
            let mut row = zone;
            row.sort_by(|&a, &b| units[a].x0.total_cmp(&units[b].x0));
            flow.extend(row);
        }
        i = j + 1;
    }
    out.push(flow);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    #[test]
    fn a_two_column_header_reads_left_column_then_right_then_the_body() {
        // 20 px lines: company (0) and number (1) on the left, the motto (2, 3) and the date (4)
        // on the right, then two full-width body lines (5, 6).
        let units = [
            r(40.0, 10.0, 300.0, 30.0),
            r(80.0, 36.0, 260.0, 56.0),
            r(420.0, 10.0, 900.0, 30.0),
            r(500.0, 36.0, 820.0, 56.0),
            r(560.0, 70.0, 900.0, 90.0),
            r(40.0, 130.0, 900.0, 150.0),
            r(40.0, 156.0, 880.0, 176.0),
        ];
        let order: Vec<usize> = flows(&units, 20.0).concat();
        assert_eq!(order, [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(flows(&units, 20.0), [vec![0, 1], vec![2, 3, 4], vec![5, 6]]);
    }

    #[test]
    fn a_short_line_after_a_section_gap_is_not_read_as_part_of_the_header_column() {
        // The header's two columns, then 2.7 line heights lower a short body line that fits
        // under the left column, then full-width text.
        let units = [
            r(60.0, 40.0, 360.0, 60.0),
            r(480.0, 40.0, 940.0, 60.0),
            r(120.0, 66.0, 300.0, 86.0),
            r(560.0, 66.0, 860.0, 86.0),
            r(60.0, 140.0, 400.0, 160.0),
            r(60.0, 200.0, 880.0, 220.0),
        ];
        assert_eq!(flows(&units, 20.0).concat(), [0, 2, 1, 3, 4, 5]);
    }

    #[test]
    fn lines_of_one_band_read_left_to_right_and_bands_top_to_bottom() {
        let units = [r(300.0, 10.0, 400.0, 30.0), r(10.0, 12.0, 280.0, 32.0), r(10.0, 40.0, 400.0, 60.0)];
        assert_eq!(flows(&units, 20.0).concat(), [1, 0, 2]);
    }

    #[test]
    fn two_columns_of_running_text_are_read_one_after_the_other() {
        let mut units = Vec::new();
        for k in 0..4 {
            let y = 10.0 + 26.0 * k as f32;
            units.push(r(10.0, y, 300.0, y + 20.0));
            units.push(r(340.0, y, 640.0, y + 20.0));
        }
        assert_eq!(flows(&units, 20.0).concat(), [0, 2, 4, 6, 1, 3, 5, 7]);
    }
}
