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

/// A box taller than this many line heights joins no row: a stamp, a logo, vertical text or a
/// tall bracket spans several rows of text and would chain them into one (a title is set at
/// most about twice the size of the text; a small box beside a taller one, as the detector
/// sometimes gives a faint `Date:`, still shares its row).
pub const ROW_MAX_HEIGHT: f32 = 2.5;

/// A row: indexes into the layout's lines, sorted left to right.
#[derive(Debug, Clone)]
pub struct Row {
    pub lines: Vec<usize>,
    pub r: Rect,
}

/// The page's rows, top to bottom.
pub fn rows(lines: &[Line], em: f32) -> Vec<Row> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| lines[a].r.cy().total_cmp(&lines[b].r.cy()).then(a.cmp(&b)));
    // Each row with its first line (the one nearest the top): a line joins a row when it shares
    // that line's baseline band. Comparing with the row's union instead would let one tall box
    // (a stamp, a vertical label) chain the rows above and below it into one.
    let mut rows: Vec<(Row, Rect)> = Vec::new();
    for i in order {
        let r = lines[i].r;
        let best = rows
            .iter()
            .enumerate()
            .filter_map(|(k, (_, seed))| {
                let overlap = seed.y_overlap(&r);
                let centred = (seed.cy() - r.cy()).abs() <= 0.5 * seed.h().max(r.h());
                let alike = seed.h().max(r.h()) <= ROW_MAX_HEIGHT * em;
                (overlap >= ROW_OVERLAP * seed.h().min(r.h()) && overlap > 0.0 && centred && alike)
                    .then_some((k, overlap))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k);
        match best {
            Some(k) => {
                let row = &mut rows[k].0;
                row.lines.push(i);
                row.r = row.r.union(&r);
            }
            None => rows.push((Row { lines: vec![i], r }, r)),
        }
    }
    let mut rows: Vec<Row> = rows.into_iter().map(|(row, _)| row).collect();
    for row in &mut rows {
        row.lines.sort_by(|&a, &b| lines[a].r.x0.total_cmp(&lines[b].r.x0));
    }
    rows.sort_by(|a, b| a.r.cy().total_cmp(&b.r.cy()));
    rows
}
