//! Tables and key–value groups: consecutive rows of several cells whose cells line up.
//!
//! Rows with two or more cells, at most [`ROW_GAP`] line heights apart, whose cells fall into
//! the same columns (overlapping x ranges, or left or right edges within [`ALIGN`] line
//! heights), form a run. A run is a **table** when one of its columns holds numbers (amounts,
//! quantities, dates: a price list, a receipt's items), or a single row has three cells or
//! more of which two are numbers (one receipt item); a **key–value group** when it has two
//! columns and the left one holds labels (ending with a colon, or fields' names:
//! [`text::field_name`]), or fields side by side: every other column from the first holds
//! labels (`Requested by   Alan Price   Account   4410`). A form's column of fields and what was
//! typed beside them is no table, however many of the values are figures. Any other run (a letter's
//! two-column header: text beside text) is neither: its columns are read one after the other.
//! An item's name set on a line of its own above its quantity and amount (`item_name`) is a
//! row of the run, and a labelled row under such items (the receipt's totals) ends it.

use std::collections::BTreeSet;

use crate::geom::{Line, Rect};
use crate::rows::Row;
use crate::text;

/// Largest gap between two rows of one table, in line heights: rows of a table are set like
/// lines of text, at most one blank line apart (a blank line and its leading is about 1.5
/// heights); a wider gap is a new section of the page.
pub const ROW_GAP: f32 = 1.5;
/// Edges this close, in line heights, are aligned: text set on one tab stop starts at the same
/// x, and right-aligned amounts end at the same x, give or take a character (about half a
/// height) of the detector's margin.
pub const ALIGN: f32 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Table,
    KeyValue,
}

/// A run of aligned rows: the rows (indexes into the page's rows), what it is, and its
/// columns' x ranges, left to right.
#[derive(Debug, Clone)]
pub struct Run {
    pub rows: Vec<usize>,
    pub kind: RunKind,
    pub cols: Vec<(f32, f32)>,
}

fn matches(col: (f32, f32), r: &Rect, em: f32) -> bool {
    r.x1.min(col.1) - r.x0.max(col.0) > 0.0 || (r.x0 - col.0).abs() <= ALIGN * em || (r.x1 - col.1).abs() <= ALIGN * em
}

fn merge_overlapping(cols: &mut Vec<(f32, f32)>) {
    cols.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f32, f32)> = Vec::with_capacity(cols.len());
    for c in cols.drain(..) {
        match out.last_mut() {
            Some(last) if c.0 < last.1 => last.1 = last.1.max(c.1),
            _ => out.push(c),
        }
    }
    *cols = out;
}

/// A cell's number, unless it is a `label: value` line (`Số: 12/2024/CV` is not an amount).
fn number_cell(s: &str) -> bool {
    text::numeric(s) && text::inline_split(s).is_none()
}

/// The runs of the page, top to bottom; every row is in at most one.
pub fn runs(lines: &[Line], rows: &[Row], em: f32) -> Vec<Run> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        if rows[i].lines.len() < 2 {
            i += 1;
            continue;
        }
        let mut cols: Vec<(f32, f32)> = rows[i].lines.iter().map(|&l| (lines[l].r.x0, lines[l].r.x1)).collect();
        merge_overlapping(&mut cols);
        let mut j = i + 1;
        let mut has_names = false;
        while j < rows.len() && rows[j].r.y0 - rows[j - 1].r.y1 <= ROW_GAP * em {
            // The row that goes on with the run: this one, or the one under an item's name.
            let name = item_name(lines, rows, j, cols[0], em);
            let k = if name { j + 1 } else { j };
            if rows[k].lines.len() < 2 {
                break;
            }
            // A labelled row under item rows set with their names (`Tổng tiền hàng:   439.000`
            // under `Gạo ST25` / `1 x 64.000   64.000`) is the summary, no item.
            if (has_names || name) && text::colon_label(lines[rows[k].lines[0]].text).is_some() {
                break;
            }
            let hits: Vec<Vec<usize>> = rows[k]
                .lines
                .iter()
                .map(|&l| (0..cols.len()).filter(|&c| matches(cols[c], &lines[l].r, em)).collect())
                .collect();
            let matched = hits.iter().filter(|h| !h.is_empty()).count();
            let distinct: BTreeSet<usize> = hits.iter().flatten().copied().collect();
            if matched < 2 || distinct.len() < 2 {
                break;
            }
            has_names |= name;
            j = k;
            for (&l, h) in rows[j].lines.iter().zip(&hits) {
                let r = lines[l].r;
                match h.as_slice() {
                    [] => cols.push((r.x0, r.x1)),
                    [c] => cols[*c] = (cols[*c].0.min(r.x0), cols[*c].1.max(r.x1)),
                    _ => {} // a cell across several columns widens none of them
                }
            }
            merge_overlapping(&mut cols);
            j += 1;
        }
        // The first item's name, right over the run's first row.
        let free = |r: usize| out.last().is_none_or(|last: &Run| last.rows.last().is_some_and(|&e| e < r));
        let start =
            if has_names && i > 0 && free(i - 1) && item_name(lines, rows, i - 1, cols[0], em) { i - 1 } else { i };
        match classify(lines, &rows[start..j], &cols, em) {
            Some(kind) => {
                out.push(Run { rows: (start..j).collect(), kind, cols });
                i = j;
            }
            None => i += 1,
        }
    }
    out
}

/// Whether row `j` is an item's name on a line of its own inside a table: a receipt sets a
/// name too long for its column above the item's quantity and amount. It is one line of
/// words (no number, no label) starting in the table's first column ([`ALIGN`]), and the row
/// under it, at most [`ROW_GAP`] lower, has cells of its own (the run then goes on with it).
fn item_name(lines: &[Line], rows: &[Row], j: usize, first_col: (f32, f32), em: f32) -> bool {
    let (Some(row), Some(next)) = (rows.get(j), rows.get(j + 1)) else { return false };
    let &[l] = row.lines.as_slice() else { return false };
    let (r, t) = (lines[l].r, lines[l].text);
    next.lines.len() >= 2
        && next.r.y0 - row.r.y1 <= ROW_GAP * em
        && (r.x0 - first_col.0).abs() <= ALIGN * em
        && !text::numeric(t)
        && text::inline_split(t).is_none()
        && text::colon_label(t).is_none()
}

/// The columns a cell covers: those it overlaps by at least half of the narrower of the two;
/// else the one it is aligned with; `None` when it lines up with none.
pub fn cell_columns(cols: &[(f32, f32)], r: &Rect, em: f32) -> Option<(usize, usize)> {
    let covered: Vec<usize> = (0..cols.len())
        .filter(|&c| {
            let overlap = r.x1.min(cols[c].1) - r.x0.max(cols[c].0);
            overlap > 0.0 && overlap >= 0.5 * (cols[c].1 - cols[c].0).min(r.x1 - r.x0)
        })
        .collect();
    if let (Some(&a), Some(&b)) = (covered.first(), covered.last()) {
        return Some((a, b - a + 1));
    }
    (0..cols.len()).find(|&c| matches(cols[c], r, em)).map(|c| (c, 1))
}

fn classify(lines: &[Line], rows: &[Row], cols: &[(f32, f32)], em: f32) -> Option<RunKind> {
    if cols.len() < 2 {
        return None;
    }
    // (cells, numbers, colon labels or field names) per column.
    let mut per_col = vec![(0usize, 0usize, 0usize); cols.len()];
    let mut numbers_in_row = 0;
    for row in rows {
        numbers_in_row = 0;
        for &l in &row.lines {
            let Some((c, _)) = cell_columns(cols, &lines[l].r, em) else { continue };
            let t = lines[l].text;
            per_col[c].0 += 1;
            if number_cell(t) {
                per_col[c].1 += 1;
                numbers_in_row += 1;
            }
            if text::colon_label(t).is_some() || text::field_name(t) {
                per_col[c].2 += 1;
            }
        }
    }
    if cols.len() == 2 && per_col[0].2 * 2 >= per_col[0].0 && per_col[0].2 > 0 {
        return Some(RunKind::KeyValue);
    }
    // Fields side by side (`Requested by   Alan Price   Account   4410`): every other column,
    // from the first, holds labels.
    let labels = |c: usize| per_col[c].2 * 2 >= per_col[c].0 && per_col[c].2 > 0;
    if cols.len().is_multiple_of(2) && (0..cols.len()).step_by(2).all(labels) {
        return Some(RunKind::KeyValue);
    }
    let numeric_col = per_col.iter().any(|&(n, num, _)| num >= 2 && num * 2 >= n);
    if rows.len() >= 2 && numeric_col {
        return Some(RunKind::Table);
    }
    if rows.len() == 1 && rows[0].lines.len() >= 3 && numbers_in_row >= 2 && names_before_figures(lines, &rows[0]) <= 2
    {
        return Some(RunKind::Table);
    }
    None
}

/// How many times, left to right, a row's words are followed by a number: once on one item's row
/// (its name, then its quantity, price and amount: `1   Bánh baget ĐT   6.000   6,000`; a tax
/// code after them changes nothing), twice where a unit stands among its figures (`KOPI O   2
/// CUP   2.50   5.00`), once per field on a row of labelled figures (`Submission   88   Start 7
/// 88   Completion   11   88`: three, no item).
fn names_before_figures(lines: &[Line], row: &Row) -> usize {
    let numbers: Vec<bool> = row.lines.iter().map(|&l| number_cell(lines[l].text)).collect();
    numbers.windows(2).filter(|w| !w[0] && w[1]).count()
}
