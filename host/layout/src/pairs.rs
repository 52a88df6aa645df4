//! Key–value pairs: a label and its value, in three shapes.
//!
//! - `Label: value` in one line: split at the first colon when what precedes it is a label
//!   ([`text::inline_split`]).
//! - A label cell with its value to the right on the same row: the label ends with a colon
//!   (`Ngày:   12/03/2024`), or, on a row of exactly two cells, it is a label and the value is
//!   a number (`TỔNG CỘNG   65.000`). Item rows of a table (three cells or more) give no pair.
//! - A label ending with a colon alone on its row, with its value on the line right below it
//!   (at most [`BELOW_GAP`] line heights lower, starting within its x range): a form's field.
//!
//! A line is a key or a value of at most one pair; a colon-ended label that finds no value
//! gives none (an empty form field).

use ocr_core::{KeyValuePair, OcrLine, PairPart};

use crate::geom::{Line, Rect, slice};
use crate::rows::Row;
use crate::text;

/// Largest gap between a label and its value below, in line heights: a form's value sits on
/// the next line (set solid or with up to half a line of leading), or one blank line lower.
pub const BELOW_GAP: f32 = 1.2;
/// Largest gap between a label and its value to its right, in line heights. Forms put values
/// a few words after their labels, or at a tab stop; on a receipt the amount sits at the
/// right margin, up to a page width (about 40 heights of a narrow receipt) away.
pub const RIGHT_GAP: f32 = 40.0;

fn part(line: &OcrLine, text: &str, t0: f32, t1: f32, id: u32) -> PairPart {
    PairPart { text: text.trim().to_owned(), points: slice(&line.points, t0, t1), line_ids: vec![id] }
}

fn whole(line: &OcrLine, text: &str, id: u32) -> PairPart {
    part(line, text, 0.0, 1.0, id)
}

/// The key of a colon-ended label line, without the colon.
fn label_part(line: &OcrLine, id: u32) -> Option<PairPart> {
    text::colon_label(&line.text).map(|label| whole(line, label, id))
}

pub fn pairs(page_lines: &[OcrLine], lines: &[Line], rows: &[Row], em: f32) -> Vec<KeyValuePair> {
    let n = lines.len();
    let mut out: Vec<(u32, KeyValuePair)> = Vec::new();
    // Lines already used: as a key, as a value, or holding a pair of their own.
    let mut used = vec![false; n];

    // 1. `Label: value` in one line.
    for (i, l) in lines.iter().enumerate() {
        let Some(at) = text::inline_split(l.text) else { continue };
        let chars: Vec<char> = l.text.chars().collect();
        let total = chars.len() as f32;
        let key: String = chars[..at].iter().collect();
        let value: String = chars[at + 1..].iter().collect();
        let src = &page_lines[i];
        let key = part(src, &key, 0.0, (at + 1) as f32 / total, l.id);
        let value = part(src, &value, (at + 1) as f32 / total, 1.0, l.id);
        out.push((l.id, KeyValuePair { key, value }));
        used[i] = true;
    }

    // 2. A label with its value to its right on the same row.
    for row in rows {
        for w in row.lines.windows(2) {
            let (k, v) = (w[0], w[1]);
            if used[k] || used[v] || lines[v].r.x0 - lines[k].r.x1 > RIGHT_GAP * em {
                continue;
            }
            let (kt, vt) = (lines[k].text, lines[v].text);
            if vt.trim().is_empty() || text::colon_label(vt).is_some() {
                continue;
            }
            let key = label_part(&page_lines[k], lines[k].id).or_else(|| {
                let two_cells = row.lines.len() == 2;
                (two_cells && text::label_like(kt) && !text::numeric(kt) && text::numeric(vt))
                    .then(|| whole(&page_lines[k], kt, lines[k].id))
            });
            if let Some(key) = key {
                let value = whole(&page_lines[v], vt, lines[v].id);
                out.push((lines[k].id, KeyValuePair { key, value }));
                used[k] = true;
                used[v] = true;
            }
        }
    }

    // 3. A label with its value on the line below.
    for row in rows {
        if row.lines.len() != 1 {
            continue;
        }
        let k = row.lines[0];
        if used[k] {
            continue;
        }
        let Some(key) = label_part(&page_lines[k], lines[k].id) else { continue };
        let kr = lines[k].r;
        let below = (0..n)
            .filter(|&v| v != k && !used[v] && !lines[v].text.trim().is_empty())
            .filter(|&v| {
                let r: Rect = lines[v].r;
                let gap = r.y0 - kr.y1;
                gap <= BELOW_GAP * em
                    && r.cy() > kr.y1
                    && r.x0 >= kr.x0 - 0.5 * em
                    && r.x0 <= kr.x1 + 0.5 * em
                    && text::colon_label(lines[v].text).is_none()
            })
            .min_by(|&a, &b| lines[a].r.y0.total_cmp(&lines[b].r.y0).then(lines[a].r.x0.total_cmp(&lines[b].r.x0)));
        if let Some(v) = below {
            let value = whole(&page_lines[v], lines[v].text, lines[v].id);
            out.push((lines[k].id, KeyValuePair { key, value }));
            used[k] = true;
            used[v] = true;
        }
    }
    out.sort_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, p)| p).collect()
}
