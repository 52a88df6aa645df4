//! Rows: lines that sit on one baseline band, left to right.
//!
//! The detector already splits a printed line wherever its words stand more than one line
//! height apart (`width_ths` in the inference crate), so two boxes on one row are two cells
//! (an item and its price, a label and its value, two columns), never two words of one phrase.

use crate::geom::{Line, Rect};

/// Two boxes share a row when their y ranges overlap by at least this share of the smaller
/// height: boxes on one baseline overlap for nearly all of it, while boxes of consecutive
/// lines touch only through the detector's margins and the descenders, well under half.
pub const ROW_OVERLAP: f32 = 0.5;

/// A row: indexes into the layout's lines, sorted left to right.
#[derive(Debug, Clone)]
pub struct Row {
    pub lines: Vec<usize>,
    pub r: Rect,
}

/// The page's rows, top to bottom.
pub fn rows(lines: &[Line]) -> Vec<Row> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| lines[a].r.cy().total_cmp(&lines[b].r.cy()).then(a.cmp(&b)));
    // Each row with the sum of its lines' heights, for the row's mean height.
    let mut rows: Vec<(Row, f32)> = Vec::new();
    for i in order {
        let r = lines[i].r;
        let best = rows
            .iter()
            .enumerate()
            .filter_map(|(k, (row, sum_h))| {
                let mean_h = sum_h / row.lines.len() as f32;
                let overlap = row.r.y_overlap(&r);
                let centred = (row.r.cy() - r.cy()).abs() <= 0.5 * mean_h.max(r.h());
                (overlap >= ROW_OVERLAP * mean_h.min(r.h()) && overlap > 0.0 && centred).then_some((k, overlap))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k);
        match best {
            Some(k) => {
                let (row, sum_h) = &mut rows[k];
                row.lines.push(i);
                row.r = row.r.union(&r);
                *sum_h += r.h();
            }
            None => rows.push((Row { lines: vec![i], r }, r.h())),
        }
    }
    let mut rows: Vec<Row> = rows.into_iter().map(|(row, _)| row).collect();
    for row in &mut rows {
        row.lines.sort_by(|&a, &b| lines[a].r.x0.total_cmp(&lines[b].r.x0));
    }
    rows.sort_by(|a, b| a.r.cy().total_cmp(&b.r.cy()));
    rows
}
