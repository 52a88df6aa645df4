//! The structure of a recognized page: its lines grouped into blocks (paragraphs, headers,
//! tables, key–value groups) in reading order, its tables as rows × columns of cells, and its
//! key–value pairs.
//!
//! Owns: the geometry and text rules that find them ([`analyze`], [`annotate`]). Lines are
//! named by their index in the page's `lines`, which it never reorders or changes: clients
//! that read only `lines` see what they always saw.
//!
//! Must not: do I/O, read configuration, look at pixels or run models. It is pure, synchronous
//! and deterministic — the same lines give the same structure — and cheap (linear to quadratic
//! in the number of lines, well under a millisecond for a page of text), so the worker runs it
//! after recognition and the server again whenever a reviewer edits the text.
//!
//! Every distance is a multiple of the page's line height (the median height of its line
//! boxes), with the typographic reason beside each constant: [`order::GUTTER`] (columns),
//! [`order::SECTION_GAP`] (sections), [`rows::ROW_OVERLAP`] and [`rows::ROW_MAX_HEIGHT`]
//! (rows), [`tables::ROW_GAP`] and [`tables::ALIGN`] (tables), [`PARAGRAPH_GAP`] and
//! [`HEIGHT_RATIO`] (paragraphs), [`pairs::BELOW_GAP`], [`pairs::RIGHT_GAP`],
//! [`pairs::HEADING_GAP`], [`pairs::CAPTION_RATIO`], [`pairs::COLUMN_REACH`] and
//! [`text::MAX_BARE_LABEL_WORDS`] (pairs); a field's name by its words: [`text::field_name`].
//! All of it in the frame where the page's text runs left to right ([`frame`]), so a photo
//! taken at a slant has the structure of a straight scan.
//! `docs/structure.md` says how they were checked.

pub mod frame;
mod geom;
pub mod order;
pub mod pairs;
pub mod rows;
pub mod tables;
pub mod text;

use std::collections::HashSet;

use ocr_core::{Block, BlockKind, KeyValuePair, OcrLine, OcrPage, OcrResult, Table, TableCell};

use crate::frame::Frame;
use crate::geom::{Line, Rect};
use crate::tables::{Run, RunKind};

/// Largest gap between two lines of one paragraph, in line heights. Lines of running text are
/// set with at most about half a line of leading between their boxes (1.5 line spacing); a
/// blank line between them (a full line height) ends the paragraph.
pub const PARAGRAPH_GAP: f32 = 0.8;
/// Lines whose heights differ by more than this factor are in different blocks: a title set
/// larger than the text under it is a block of its own (body sizes differ by 10-20 %).
pub const HEIGHT_RATIO: f32 = 1.5;

/// The structure of one page, as it goes into [`OcrPage`]'s `blocks`, `tables` and `pairs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageStructure {
    /// Every line of the page in exactly one block; blocks in reading order (`id` = `order`).
    pub blocks: Vec<Block>,
    pub tables: Vec<Table>,
    /// In reading order of their keys.
    pub pairs: Vec<KeyValuePair>,
}

/// Fills every page's `blocks`, `tables` and `pairs` from its lines (replacing what was there).
pub fn annotate(result: &mut OcrResult) {
    for page in &mut result.pages {
        let s = analyze(page);
        page.blocks = s.blocks;
        page.tables = s.tables;
        page.pairs = s.pairs;
    }
}

/// What is read together on the page: a run of aligned rows, or one line.
enum Unit {
    Run(usize),
    Line(usize),
}

/// The structure of `page`'s lines, found in the frame where its text runs left to right
/// ([`frame`]); its outlines are on the page.
pub fn analyze(page: &OcrPage) -> PageStructure {
    let frame = Frame::of(&page.lines);
    if frame.is_upright() {
        return analyze_upright(&page.lines);
    }
    let upright: Vec<OcrLine> =
        page.lines.iter().map(|l| OcrLine { points: frame.upright(&l.points), ..l.clone() }).collect();
    let mut s = analyze_upright(&upright);
    for b in &mut s.blocks {
        b.points = frame.on_page(&b.points);
    }
    for t in &mut s.tables {
        t.points = frame.on_page(&t.points);
    }
    for p in &mut s.pairs {
        p.key.points = frame.on_page(&p.key.points);
        p.value.points = frame.on_page(&p.value.points);
    }
    s
}

/// The structure of lines whose text runs left to right.
fn analyze_upright(page_lines: &[OcrLine]) -> PageStructure {
    let lines = Line::of(page_lines);
    if lines.is_empty() {
        return PageStructure::default();
    }
    let em = geom::line_height(&lines);
    let rows = rows::rows(&lines, em);
    let runs = tables::runs(&lines, &rows, em);

    let mut in_run = vec![false; lines.len()];
    let mut units: Vec<(Unit, Rect)> = Vec::new();
    for (k, run) in runs.iter().enumerate() {
        let members = run_lines(run, &rows);
        for &l in &members {
            in_run[l] = true;
        }
        let rect = Rect::union_all(members.iter().map(|&l| lines[l].r)).expect("a run has rows of lines");
        units.push((Unit::Run(k), rect));
    }
    for (l, line) in lines.iter().enumerate() {
        if !in_run[l] {
            units.push((Unit::Line(l), line.r));
        }
    }
    let rects: Vec<Rect> = units.iter().map(|(_, r)| *r).collect();
    let flows = order::flows(&rects, em);

    let in_table: Vec<bool> = {
        let mut t = vec![false; lines.len()];
        for run in runs.iter().filter(|r| r.kind == RunKind::Table) {
            for l in run_lines(run, &rows) {
                t[l] = true;
            }
        }
        t
    };
    let pairs = pairs::pairs(page_lines, &lines, &rows, &in_table, em);
    let in_pair: HashSet<u32> =
        pairs.iter().flat_map(|p| p.key.line_ids.iter().chain(&p.value.line_ids)).copied().collect();

    let mut out = PageStructure::default();
    for flow in flows {
        let mut paragraph: Vec<usize> = Vec::new();
        for u in flow {
            match units[u].0 {
                Unit::Run(k) => {
                    flush(&mut out, &mut paragraph, &lines, em, &in_pair);
                    let run = &runs[k];
                    let members = run_lines(run, &rows);
                    let kind = match run.kind {
                        RunKind::Table => {
                            out.tables.push(table(run, &rows, &lines, em));
                            BlockKind::Table
                        }
                        RunKind::KeyValue => BlockKind::KeyValue,
                    };
                    push_block(&mut out, kind, &members, &lines);
                }
                Unit::Line(l) => {
                    if !paragraph.is_empty() && !joins(&paragraph, l, &lines, em) {
                        flush(&mut out, &mut paragraph, &lines, em, &in_pair);
                    }
                    paragraph.push(l);
                }
            }
        }
        flush(&mut out, &mut paragraph, &lines, em, &in_pair);
    }

    // Pairs in the reading order of their keys.
    let mut rank = vec![usize::MAX; lines.len()];
    let mut next = 0;
    for b in &out.blocks {
        for &id in &b.line_ids {
            rank[id as usize] = next;
            next += 1;
        }
    }
    let mut pairs = pairs;
    pairs.sort_by_key(|p| p.key.line_ids.first().map_or(usize::MAX, |&id| rank[id as usize]));
    out.pairs = pairs;
    out
}

/// A run's lines, row by row, each row left to right.
fn run_lines(run: &Run, rows: &[rows::Row]) -> Vec<usize> {
    run.rows.iter().flat_map(|&r| rows[r].lines.iter().copied()).collect()
}

/// Whether line `l` continues the paragraph (its lines so far, the last one read last).
fn joins(paragraph: &[usize], l: usize, lines: &[Line], em: f32) -> bool {
    let last = lines[*paragraph.last().expect("not empty")].r;
    let r = lines[l].r;
    if last.y_overlap(&r) >= rows::ROW_OVERLAP * last.h().min(r.h()) {
        return true; // side by side on one band
    }
    let extent = Rect::union_all(paragraph.iter().map(|&p| lines[p].r)).expect("not empty");
    let mean_h = paragraph.iter().map(|&p| lines[p].r.h()).sum::<f32>() / paragraph.len() as f32;
    let (hi, lo) = (mean_h.max(r.h()), mean_h.min(r.h()).max(f32::EPSILON));
    r.y0 - last.y1 <= PARAGRAPH_GAP * em && extent.x_overlap(&r) > 0.0 && hi / lo <= HEIGHT_RATIO
}

fn flush(out: &mut PageStructure, paragraph: &mut Vec<usize>, lines: &[Line], em: f32, in_pair: &HashSet<u32>) {
    if paragraph.is_empty() {
        return;
    }
    let members = std::mem::take(paragraph);
    let paired = members.iter().filter(|&&l| in_pair.contains(&lines[l].id)).count();
    let first = lines[members[0]];
    let mean_h = members.iter().map(|&l| lines[l].r.h()).sum::<f32>() / members.len() as f32;
    let kind = if paired * 2 > members.len() {
        BlockKind::KeyValue
    } else if members.len() <= 3 && (text::upper_case(first.text) || mean_h >= 1.3 * em) {
        BlockKind::Header
    } else {
        BlockKind::Paragraph
    };
    push_block(out, kind, &members, lines);
}

fn push_block(out: &mut PageStructure, kind: BlockKind, members: &[usize], lines: &[Line]) {
    let rect = Rect::union_all(members.iter().map(|&l| lines[l].r)).expect("a block has lines");
    let id = out.blocks.len() as u32;
    out.blocks.push(Block {
        id,
        kind,
        order: id,
        points: rect.quad(),
        line_ids: members.iter().map(|&l| lines[l].id).collect(),
    });
}

/// One cell of a table as it is built: its first row (an index into the run's rows), its rows,
/// its first and last column and its lines.
struct Cell {
    row: usize,
    rows: usize,
    c0: usize,
    c1: usize,
    lines: Vec<usize>,
}

fn table(run: &Run, rows: &[rows::Row], lines: &[Line], em: f32) -> Table {
    let mut cells: Vec<Cell> = Vec::new();
    for (ri, &row) in run.rows.iter().enumerate() {
        let first = cells.len();
        for &l in &rows[row].lines {
            let r = lines[l].r;
            let (c, span) = tables::cell_columns(&run.cols, &r, em).unwrap_or_else(|| nearest_column(&run.cols, &r));
            let in_row = cells.len() > first;
            match cells.last_mut() {
                // Two lines in one column of one row are one cell.
                Some(cell) if in_row && c <= cell.c1 => {
                    cell.c1 = cell.c1.max(c + span - 1);
                    cell.lines.push(l);
                }
                _ => cells.push(Cell { row: ri, rows: 1, c0: c, c1: c + span - 1, lines: vec![l] }),
            }
        }
    }
    row_spans(&mut cells, run, rows, lines);
    let cells = cells
        .into_iter()
        .map(|c| TableCell {
            row: c.row as u32,
            col: c.c0 as u32,
            row_span: c.rows as u32,
            col_span: (c.c1 - c.c0 + 1) as u32,
            text: c.lines.iter().map(|&l| lines[l].text.trim()).collect::<Vec<_>>().join(" "),
            line_ids: c.lines.iter().map(|&l| lines[l].id).collect(),
        })
        .collect();
    let rect = Rect::union_all(run_lines(run, rows).iter().map(|&l| lines[l].r)).expect("a run has lines");
    Table { points: rect.quad(), row_count: run.rows.len() as u32, col_count: run.cols.len() as u32, cells }
}

/// Cells set across several rows: a cell whose box also covers the rows above or below its own
/// (a merged cell: a group's name beside its items, a tall box of two lines of text the
/// detector read as one) spans them, as long as those rows have no cell of their own in its
/// columns. A cell covers a row when it overlaps that row's shortest line (a line set on the
/// row's baseline alone, spanning nothing) for at least [`rows::ROW_OVERLAP`] of its height: the
/// rule that puts two boxes on one row. Each covered slot is the spanning cell's: no empty cell
/// is emitted for it, and the cell's `row` is the first row it covers.
fn row_spans(cells: &mut [Cell], run: &Run, rows: &[rows::Row], lines: &[Line]) {
    // Each row's band: its shortest line's y range.
    let bands: Vec<Rect> = run
        .rows
        .iter()
        .map(|&row| {
            let shortest = rows[row].lines.iter().min_by(|&&a, &&b| lines[a].r.h().total_cmp(&lines[b].r.h()));
            shortest.map_or(rows[row].r, |&l| lines[l].r)
        })
        .collect();
    let mut taken = vec![vec![false; run.cols.len()]; run.rows.len()];
    for c in cells.iter() {
        for slot in &mut taken[c.row][c.c0..=c.c1] {
            *slot = true;
        }
    }
    for cell in cells.iter_mut() {
        let r = Rect::union_all(cell.lines.iter().map(|&l| lines[l].r)).expect("a cell has lines");
        let free = |taken: &[Vec<bool>], ri: usize| {
            let overlap = r.y_overlap(&bands[ri]);
            !taken[ri][cell.c0..=cell.c1].iter().any(|&t| t)
                && overlap > 0.0
                && overlap >= rows::ROW_OVERLAP * bands[ri].h()
        };
        let (mut top, mut bottom) = (cell.row, cell.row);
        while top > 0 && free(&taken, top - 1) {
            top -= 1;
        }
        while bottom + 1 < run.rows.len() && free(&taken, bottom + 1) {
            bottom += 1;
        }
        for row in taken.iter_mut().take(bottom + 1).skip(top) {
            for slot in &mut row[cell.c0..=cell.c1] {
                *slot = true;
            }
        }
        (cell.row, cell.rows) = (top, bottom - top + 1);
    }
    cells.sort_by_key(|c| (c.row, c.c0));
}

fn nearest_column(cols: &[(f32, f32)], r: &Rect) -> (usize, usize) {
    let cx = (r.x0 + r.x1) / 2.0;
    let dist = |c: &(f32, f32)| (cx - (c.0 + c.1) / 2.0).abs();
    let best = (0..cols.len()).min_by(|&a, &b| dist(&cols[a]).total_cmp(&dist(&cols[b]))).unwrap_or(0);
    (best, 1)
}

#[cfg(test)]
mod tests;
