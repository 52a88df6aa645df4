//! Key–value pairs: a label and its value, in four shapes.
//!
//! - `Label: value` in one line: split at the first colon when what precedes it is a label
//!   ([`text::inline_split`]); outside a table, also `Label 1989`: a colon-less label and the
//!   figure that ends the line ([`label_number_split`]).
//! - A label cell with its value to the right on the same row: the label ends with a colon
//!   (`Ngày:   12/03/2024`), or, outside a table, it is a label of at most
//!   [`text::MAX_BARE_LABEL_WORDS`] words without digits and the value looks like no label (a number,
//!   a date, or longer text: `TỔNG CỘNG   65.000`), or is in ordinary case beside a label in
//!   capitals, or the label is a field's name ([`text::field_name`]: `To   Mary Lane`) and the
//!   value none; two titles in capitals are no pair, nor the first words of a paragraph's line.
//!   In a column of such fields, once two rows near a label are pairs, the label takes the line
//!   at the tab stop whatever it looks like (`Courier   Swift Express`).
//! - A label with its value on the line right below it (at most [`BELOW_GAP`] line heights
//!   lower, nothing between them): a colon-ended label with a value starting within its x
//!   range (a form's field), or a colon-less one over a value that looks like no label and
//!   overlaps it for most of the narrower (a column heading over its value), unless the label
//!   is the short last line of a paragraph. A value that runs on (a line of running text, or one
//!   broken after a comma) takes the lines of its paragraph; a column heading takes each value
//!   down its column.
//! - A colon-ended label alone on its row that found no value, over a list hung under it
//!   (`cc:` over names in columns): each entry is a value.
//! - An abbreviated caption under a short blank (`Mo.`, `Yr.`) and the figure over it; a tick
//!   typed before an option in one line (`This Project is X Proposed`, [`ticked_option`]).
//!
//! A caption in small print ([`CAPTION_RATIO`]) names the line under it whatever its size; a
//! column heading set off from its column takes its first figure up to [`HEADING_GAP`] lower. A
//! name with initials ([`person_name`]) is a value, a line wholly in parentheses is none, and so
//! is a field's name: it is the next field.
//!
//! Cells of a table give no colon-less pairs: its column headings over its cells are a table.
//!
//! A line is a value of at most one pair, and a key of one pair or of several with the same
//! key (a list, a column); a colon-ended label that finds no value gives none (an empty form
//! field).

use ocr_core::{KeyValuePair, OcrLine, PairPart};

use crate::geom::{Line, Rect, slice};
use crate::rows::Row;
use crate::{tables, text};

/// Largest gap between a label and its value below, in line heights: a form's value sits on
/// the next line (set solid or with up to half a line of leading), or one blank line lower.
pub const BELOW_GAP: f32 = 1.2;
/// Largest gap between a column heading and the first figure of its column, in line heights,
/// when the column goes on under that figure: a table's heading row is set off from its body
/// by a rule with space above and below it, up to two blank lines, where a form's value sits at
/// most one blank line under its label ([`BELOW_GAP`]).
pub const HEADING_GAP: f32 = 2.0;
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

/// What a colon-less label's value must look like to be told from another label: a number or
/// a date (`1990`, `12/03/1990`, `(201) 923-9208`), or text longer than any label. A short run
/// of words beside or under a colon-less label is as likely the next label of the form.
fn bare_value(value: &str) -> bool {
    value.chars().any(|c| c.is_ascii_digit())
        || (!text::short_label(value) && !value.trim().is_empty())
        || person_name(value)
}

/// A person's name as a form is filled in: initials (a capital letter and a period: `W. O.
/// Crain`, `H.J. Lee`) and a capitalized surname after them. Field names are common nouns
/// written out in full, never with initials, so a short line of this shape is what was filled
/// in, not the next label (`Submitted by` over `W. O. Crain`).
pub fn person_name(s: &str) -> bool {
    let mut tokens: Vec<&str> = Vec::new();
    for word in s.split_whitespace() {
        let mut rest = word;
        while let Some(at) = rest.find('.') {
            tokens.push(&rest[..=at]);
            rest = &rest[at + 1..];
        }
        if !rest.is_empty() {
            tokens.push(rest);
        }
    }
    let name = |t: &str| {
        t.chars().next().is_some_and(char::is_uppercase)
            && t.chars().filter(|c| c.is_alphabetic()).count() >= 2
            && t.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-')
    };
    let Some((last, front)) = tokens.split_last() else { return false };
    tokens.len() <= text::MAX_BARE_LABEL_WORDS + 1
        && name(last)
        && front.iter().any(|t| text::initial(t))
        && front.iter().all(|t| text::initial(t) || name(t))
}

/// A colon-less label's value, by its case too: a form prints its field names in one style, and
/// a name in capitals (`SHIP TO`) over or beside a line in ordinary case (`Lake Side Depot`) is
/// a printed field and what was filled in, while two lines in the same style are two labels.
/// Two titles in capitals side by side or one over the other (a letterhead: `CÔNG TY TNHH ABC`
/// beside `CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`) are two titles, not a label and its value.
///
/// A line wholly in parentheses (`(Including this cover sheet)`, `($000)`) is an aside printed
/// with the form, a remark or a unit, not what was filled in: no colon-less label's value.
///
/// By its words: a field's name ([`text::field_name`]: `To`, `Company`, `Date Requested`) takes
/// any line that is no field's name (`To   Mary Lane`, `Division   Research`), and a field's
/// name is never a value (`Date Requested   Date Returned` side by side are two fields).
fn filled_value(label: &str, value: &str) -> bool {
    let lower = value.chars().any(char::is_lowercase);
    let titles = text::upper_case(label) && text::upper_case(value) && !value.chars().any(|c| c.is_ascii_digit());
    let aside = aside(value);
    let named = text::field_name(label) && !text::field_name(value);
    !aside
        && !text::field_name(value)
        && !titles
        && (bare_value(value) || (text::upper_case(label) && lower && !text::upper_case(value)) || named)
}

/// A line wholly in parentheses (`(Including this cover sheet)`, `($000)`): an aside printed
/// with the form, a remark or a unit.
fn aside(value: &str) -> bool {
    let v = value.trim();
    v.starts_with('(') && v.ends_with(')') && !v[1..].contains('(')
}

/// How far from a row, in line heights, the rows of its column of fields are looked for: about
/// two fields up or down at a form's spacing (a line and a blank line each).
pub const COLUMN_REACH: f32 = 5.0;

/// `Label 1989` in one line: the character index where the figure that ends the line starts,
/// when what precedes it is a colon-less label (a few words, no digits: `Spent Prior to 1989`,
/// `Tipping Length 25 mm`, `TOTAL 65.000`). The detector joins words closer than a line
/// height, so a field's name and the figure typed a few spaces after it arrive as one line;
/// the figure is a number (digits and the signs written in numbers), or a number and its unit
/// (one short word in lower case: `mm`, `mg/cc`, `%`). Anything longer after the number
/// (`Room 43, State House`) is a phrase, and a comma before it is an address's or a list's
/// (`Providence, Rhode Island 02903`): a field's name is one noun phrase. A label of one word
/// must be a field's name ([`text::field_name`]): a word and a number are more often one name.
pub fn label_number_split(s: &str) -> Option<usize> {
    let mut words = s
        .char_indices()
        .filter(|&(i, c)| !c.is_whitespace() && s[..i].chars().next_back().is_none_or(char::is_whitespace));
    let (byte, _) = words
        .find(|&(i, _)| s[i..].split_whitespace().next().is_some_and(|w| w.chars().any(|c| c.is_ascii_digit())))?;
    let (head, tail) = s.split_at(byte);
    let figure: Vec<&str> = tail.split_whitespace().collect();
    let unit = |w: &str| w.chars().count() <= 5 && !w.chars().any(|c| c.is_uppercase() || c.is_ascii_digit());
    // Digits and the signs written in numbers only: `100's` is a name's part, not a figure.
    let number = |w: &str| w.chars().all(|c| c.is_ascii_digit() || ".,:-/%+()#$€£¥₫".contains(c));
    let value = match figure.as_slice() {
        [n] => number(n),
        [n, u] => number(n) && unit(u),
        _ => false,
    };
    // One word and a number are most often one name: a room, a page, a form, a date (`Room 214`,
    // `Form 1099`, `June 9,`), unless the word names a field (`Pages 3`, `Total 25`).
    let one_name = head.split_whitespace().count() == 1 && !text::field_name(head);
    (text::short_label(head) && !head.contains(',') && value && !one_name).then(|| head.chars().count())
}

/// A column heading over a line of its column: they overlap for most of the narrower, and the
/// line is set no larger than the heading (a title under a heading is a section of its own).
fn heads_column(heading: Rect, r: Rect) -> bool {
    heading.x_overlap(&r) >= 0.5 * (heading.x1 - heading.x0).min(r.x1 - r.x0) && r.h() <= heading.h() * 1.5
}

/// How much larger than its caption a value under it is set: a caption in small print names
/// the line under it (1.3 times its height, the step by which a header is set larger than the
/// text, [`crate::analyze`]'s header rule).
pub const CAPTION_RATIO: f32 = 1.3;

/// A caption in small print over line `r`: set smaller than the page's text (its box lower
/// than the line height) and at least [`CAPTION_RATIO`] smaller than the line. Forms print a
/// field's caption small in the corner of its box and the value is typed or written larger
/// under it, or across the box with its top level with the caption's (`VENDOR` over a
/// supplier's address): that line is the caption's value, whatever its size and whatever
/// stands beside it on its row.
fn caption_over(caption: Rect, r: Rect, em: f32) -> bool {
    caption.h() < em && r.h() >= CAPTION_RATIO * caption.h()
}

/// Whether line `k` is what a caption in small print right over it names: the caption is
/// set smaller ([`caption_over`]), at most [`BELOW_GAP`] higher, from the same left edge
/// ([`tables::ALIGN`]). Such a line was filled in under its caption; it names nothing beside it.
fn captioned(lines: &[Line], k: usize, em: f32) -> bool {
    let r = lines[k].r;
    lines.iter().any(|c| {
        let gap = r.y0 - c.r.y1;
        (-0.5 * c.r.h()..=BELOW_GAP * em).contains(&gap)
            && r.cy() > c.r.y1
            && caption_over(c.r, r, em)
            && (c.r.x0 - r.x0).abs() <= tables::ALIGN * em
            && text::short_label(c.text)
    })
}

/// A line set at least [`CAPTION_RATIO`] larger than the page's text is a title (a shop's
/// name over its address, a form's heading), no colon-less field name: forms print their field
/// names at the size of the text or smaller. Unless its words name a field
/// ([`text::field_name`]): a detector's box grows with ascenders and descenders
/// (`Date Requested` beside values typed in capitals and figures), a title's words name none.
fn title(line: &Line, em: f32) -> bool {
    line.r.h() >= CAPTION_RATIO * em && !text::field_name(line.text)
}

/// Whether line `v` is the first figure of a column under a colon-less heading: a figure with a
/// short label over it (at most [`HEADING_GAP`] higher, overlapping it as a column heading
/// does) and another figure right under it ([`BELOW_GAP`]), in the same column.
fn headed_figure(lines: &[Line], v: usize, em: f32) -> bool {
    let r = lines[v].r;
    let figure = |i: usize| text::numeric(lines[i].text);
    let heading = lines.iter().any(|h| {
        let gap = r.y0 - h.r.y1;
        gap > 0.0 && gap <= HEADING_GAP * em && heads_column(h.r, r) && text::short_label(h.text)
    });
    let below = (0..lines.len()).any(|w| {
        let gap = lines[w].r.y0 - r.y1;
        w != v && figure(w) && lines[w].r.cy() > r.y1 && gap <= BELOW_GAP * em && heads_column(r, lines[w].r)
    });
    figure(v) && heading && below
}

/// A caption under a short blank: one abbreviated word (at most three letters and a period:
/// `Mo.`, `Yr.`, `No.`). Forms caption the parts of a date or a code under their blanks in
/// abbreviations, the blank above being too short for a caption beside it.
fn abbreviation(s: &str) -> bool {
    let s = s.trim();
    s.strip_suffix('.').is_some_and(|w| (1..=3).contains(&w.chars().count()) && w.chars().all(char::is_alphabetic))
}

/// A tick typed in the blank before an option, inside a line (`This Project is X Proposed`):
/// the character indexes of the mark and of the option after it. A form's options are set
/// after a blank that is ticked with an `X`; a lone capital or small `x` standing as a word
/// between words is no letter of them. The option is a colon-less label (at most
/// [`text::MAX_BARE_LABEL_WORDS`] words) that ends the line.
pub fn ticked_option(s: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = s.chars().collect();
    let mark = (1..chars.len().saturating_sub(2))
        .find(|&i| matches!(chars[i], 'X' | 'x') && chars[i - 1].is_whitespace() && chars[i + 1].is_whitespace())?;
    let option_at = (mark + 1..chars.len()).find(|&i| !chars[i].is_whitespace())?;
    let option: String = chars[option_at..].iter().collect();
    text::short_label(&option).then_some((mark, option_at))
}

/// Running text that goes on past its line: more words than a label has (a full line of a
/// paragraph), or a line broken after a comma, a hyphen or an ampersand
/// (`Director of Technical Operations,`).
fn runs_on(s: &str) -> bool {
    let s = s.trim_end();
    s.split_whitespace().count() > text::MAX_BARE_LABEL_WORDS || s.ends_with([',', '-', '&'])
}

/// The line that continues value line `last` as a paragraph: right below it (at most
/// [`crate::PARAGRAPH_GAP`] lower), over the same x range, of a similar size, when `last` runs
/// on. A value of several lines (an address, a description under its heading) is one value.
fn continuation(lines: &[Line], last: usize, used: &[bool], labels_a_row: &[bool], em: f32) -> Option<usize> {
    let lr = lines[last].r;
    if !runs_on(lines[last].text) {
        return None;
    }
    (0..lines.len())
        .filter(|&c| !used[c] && !labels_a_row[c] && !lines[c].text.trim().is_empty())
        .filter(|&c| {
            let r = lines[c].r;
            let gap = r.y0 - lr.y1;
            let (hi, lo) = (r.h().max(lr.h()), r.h().min(lr.h()).max(f32::EPSILON));
            (-0.5 * lr.h()..=crate::PARAGRAPH_GAP * em).contains(&gap)
                && r.cy() > lr.y1
                && lr.x_overlap(&r) > 0.0
                && hi / lo <= crate::HEIGHT_RATIO
                && text::colon_label(lines[c].text).is_none()
                && text::inline_split(lines[c].text).is_none()
        })
        .min_by(|&a, &b| lines[a].r.y0.total_cmp(&lines[b].r.y0).then(lines[a].r.x0.total_cmp(&lines[b].r.x0)))
}

/// One value made of lines `ids` (top to bottom): their texts joined, their boxes' union.
fn joined(page_lines: &[OcrLine], lines: &[Line], ids: &[usize]) -> PairPart {
    if let [only] = ids {
        return whole(&page_lines[*only], lines[*only].text, lines[*only].id);
    }
    let rect = Rect::union_all(ids.iter().map(|&i| lines[i].r)).expect("a value has lines");
    PairPart {
        text: ids.iter().map(|&i| lines[i].text.trim()).collect::<Vec<_>>().join(" "),
        points: rect.quad(),
        line_ids: ids.iter().map(|&i| lines[i].id).collect(),
    }
}

/// Whether line `k` ends a paragraph: a line of running text (more words than a label) sits
/// right above it, as close as lines of one paragraph are, over the same x range. Such a short
/// last line is the end of a sentence, not a label. Unless another short line stands to its
/// right under the same line of text: a sentence's last line is followed by blank space, while
/// a row of column headings set under a line of instructions (`STORE NAME   STREET`) fills it
/// (the row's last heading, blank space after it, still reads as a sentence's end).
fn paragraph_tail(lines: &[Line], k: usize, em: f32) -> bool {
    let kr = lines[k].r;
    lines.iter().any(|l| {
        let gap = kr.y0 - l.r.y1;
        (-0.5 * kr.h()..=crate::PARAGRAPH_GAP * em).contains(&gap)
            && l.r.x_overlap(&kr) > 0.0
            && l.text.split_whitespace().count() > text::MAX_BARE_LABEL_WORDS
            && !lines.iter().any(|m| {
                m.r.x0 > kr.x1
                    && m.r.y_overlap(&kr) >= 0.5 * m.r.h().min(kr.h())
                    && m.r.x_overlap(&l.r) > 0.0
                    && text::short_label(m.text)
            })
    })
}

/// The pairs of the page; `in_table[i]` says line `i` is a cell of a table, whose column
/// headings and cells are no colon-less labels and values (the table says how they relate).
pub fn pairs(page_lines: &[OcrLine], lines: &[Line], rows: &[Row], in_table: &[bool], em: f32) -> Vec<KeyValuePair> {
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

    // 1b. `Label 1989` in one line, outside a table: a colon-less label and a number.
    for (i, l) in lines.iter().enumerate() {
        if used[i] || in_table[i] {
            continue;
        }
        let Some(at) = label_number_split(l.text) else { continue };
        let chars: Vec<char> = l.text.chars().collect();
        let total = chars.len() as f32;
        let key: String = chars[..at].iter().collect();
        let value: String = chars[at..].iter().collect();
        let src = &page_lines[i];
        let key = part(src, &key, 0.0, at as f32 / total, l.id);
        let value = part(src, &value, at as f32 / total, 1.0, l.id);
        out.push((l.id, KeyValuePair { key, value }));
        used[i] = true;
    }

    // 1c. A tick typed in the blank before an option, in one line (`Status is X Approved`).
    for (i, l) in lines.iter().enumerate() {
        if used[i] || in_table[i] {
            continue;
        }
        let Some((mark, option)) = ticked_option(l.text) else { continue };
        let total = l.text.chars().count() as f32;
        let src = &page_lines[i];
        let key = part(src, &l.text.chars().skip(option).collect::<String>(), option as f32 / total, 1.0, l.id);
        let tick: String = l.text.chars().skip(mark).take(1).collect();
        let value = part(src, &tick, mark as f32 / total, (mark + 1) as f32 / total, l.id);
        out.push((l.id, KeyValuePair { key, value }));
        used[i] = true;
    }

    // 2. A label with its value to its right on the same row.
    let mut beside: Vec<(usize, usize)> = Vec::new();
    for row in rows {
        for w in row.lines.windows(2) {
            let (k, v) = (w[0], w[1]);
            // A value beside its label starts after it (give or take half a line height of the
            // detector's margins); a line that reaches back over the label stands on another
            // line of the form, over or under it.
            let gap = lines[v].r.x0 - lines[k].r.x1;
            if used[k] || used[v] || gap > RIGHT_GAP * em || gap < -0.5 * em {
                continue;
            }
            let (kt, vt) = (lines[k].text, lines[v].text);
            // A field's name beside a label is the next field, whatever the label.
            if vt.trim().is_empty() || text::colon_label(vt).is_some() || text::field_name(vt) {
                continue;
            }
            // The first figure of a column under its heading is the heading's (`YEAR` over
            // `1990`, `1991`, …), not the value of a label beside it in another column.
            let key = label_part(&page_lines[k], lines[k].id).or_else(|| {
                (!in_table[k]
                    && text::short_label(kt)
                    // What was filled in names nothing: a person's name (`A. Price   11/02/93`
                    // over `Signature   Date`), a line under its caption (`SUPERVISOR` over
                    // `Tom Reed`, the next box's `(919) 555-0117` beside it).
                    && !person_name(kt)
                    && !captioned(lines, k, em)
                    && !title(&lines[k], em)
                    && filled_value(kt, vt)
                    && !paragraph_tail(lines, k, em)
                    && !headed_figure(lines, v, em))
                .then(|| whole(&page_lines[k], kt, lines[k].id))
            });
            if let Some(key) = key {
                let value = whole(&page_lines[v], vt, lines[v].id);
                out.push((lines[k].id, KeyValuePair { key, value }));
                used[k] = true;
                used[v] = true;
                beside.push((k, v));
            }
        }
    }

    // 2b. A column of field names with what was typed at a tab stop beside them: when at least
    // two rows of the column, near this one, are a label and its value by the rules above, the
    // column is one of field names, and a short label in it takes the line at the tab stop
    // whatever that line looks like (`Courier   Swift Express` among `Date   May 1, 1985` and
    // `Fax No.   (212) 555-0142`), unless it is a field name itself or an aside.
    for row in rows {
        for w in row.lines.windows(2) {
            let (k, v) = (w[0], w[1]);
            let gap = lines[v].r.x0 - lines[k].r.x1;
            let (kt, vt) = (lines[k].text, lines[v].text);
            if used[k] || used[v] || in_table[k] || gap > RIGHT_GAP * em || gap < -0.5 * em {
                continue;
            }
            if !text::short_label(kt) || title(&lines[k], em) || vt.trim().is_empty() || text::colon_label(vt).is_some()
            {
                continue;
            }
            let (kr, vr) = (lines[k].r, lines[v].r);
            let in_column = |&&(k2, v2): &&(usize, usize)| {
                (lines[k2].r.x0 - kr.x0).abs() <= tables::ALIGN * em
                    && (lines[v2].r.x0 - vr.x0).abs() <= tables::ALIGN * em
                    && (lines[k2].r.cy() - kr.cy()).abs() <= COLUMN_REACH * em
            };
            let takes = filled_value(kt, vt) || (!text::field_name(vt) && !aside(vt));
            if takes && beside.iter().filter(in_column).count() >= 2 {
                let (key, value) = (whole(&page_lines[k], kt, lines[k].id), whole(&page_lines[v], vt, lines[v].id));
                out.push((lines[k].id, KeyValuePair { key, value }));
                used[k] = true;
                used[v] = true;
            }
        }
    }

    // 3. A label with its value on the line below. A short label-like line with more cells to
    // its right is the first field of its own row (`Supplier(s)   Ecusta`), not the value of
    // the label above it.
    let mut labels_a_row = vec![false; n];
    // Lines right of such a label: its value, whatever stands above them; unless the label is a
    // table's cell, which gives no pair (a figure in a table is named by its column's heading).
    let mut beside_label = vec![false; n];
    for row in rows {
        for w in row.lines.windows(2) {
            labels_a_row[w[0]] = text::short_label(lines[w[0]].text) || text::colon_label(lines[w[0]].text).is_some();
            beside_label[w[1]] = labels_a_row[w[0]] && !in_table[w[0]];
        }
    }
    for row in rows {
        for &k in &row.lines {
            if used[k] {
                continue;
            }
            let kr = lines[k].r;
            let colon = text::colon_label(lines[k].text).is_some();
            let key = label_part(&page_lines[k], lines[k].id).or_else(|| {
                (!in_table[k]
                    && text::short_label(lines[k].text)
                    && !title(&lines[k], em)
                    && !paragraph_tail(lines, k, em))
                .then(|| whole(&page_lines[k], lines[k].text, lines[k].id))
            });
            let Some(key) = key else { continue };
            // The first line under the label whose top is at most `BELOW_GAP` below `y`.
            let under = |y: f32, gap: f32, used: &[bool]| {
                (0..n)
                    .filter(|&v| {
                        v != k
                            && !used[v]
                            && !lines[v].text.trim().is_empty()
                            // Unless the label is a field's name in a row of labels and the
                            // line under it is none (`ITEM   LOCATION` over `Slide projector
                            // Room 214`): fields side by side, each name over its value.
                            && (!labels_a_row[v]
                                || caption_over(kr, lines[v].r, em)
                                || (labels_a_row[k]
                                    && text::field_name(lines[k].text)
                                    && !text::field_name(lines[v].text)))
                    })
                    .filter(|&v| {
                        let r: Rect = lines[v].r;
                        let aligned = if colon {
                            r.x0 >= kr.x0 - 0.5 * em && r.x0 <= kr.x1 + 0.5 * em
                        } else {
                            // A column's heading over its value: they overlap for most of the
                            // narrower; or a caption in small print over its value, both set
                            // from the left edge of the field's box.
                            let under_caption = caption_over(kr, r, em) && (kr.x0 - r.x0).abs() <= tables::ALIGN * em;
                            // A short line in ordinary case over another is as likely text broken
                            // in two (a firm's name over its street) as a label: it names the
                            // line under it when it is a field's name or set in capitals as
                            // headings are, or when that line is plainly filled in (initials).
                            let heading = text::field_name(lines[k].text)
                                || text::upper_case(lines[k].text)
                                || person_name(lines[v].text);
                            (heads_column(kr, r) || under_caption)
                                && filled_value(lines[k].text, lines[v].text)
                                && heading
                        };
                        // A line between them, over the value, is the next field: the value of
                        // a label sits right under it.
                        let between = (0..n).any(|m| {
                            m != k
                                && m != v
                                && !lines[m].text.trim().is_empty()
                                && lines[m].r.cy() > y
                                && lines[m].r.cy() < r.y0
                                && lines[m].r.x_overlap(&r) > 0.0
                        });
                        r.y0 - y <= gap * em
                            && r.cy() > y
                            && aligned
                            && !between
                            && text::colon_label(lines[v].text).is_none()
                            && !text::field_name(lines[v].text)
                    })
                    .min_by(|&a, &b| {
                        lines[a].r.y0.total_cmp(&lines[b].r.y0).then(lines[a].r.x0.total_cmp(&lines[b].r.x0))
                    })
            };
            // A column heading set off from its column (a rule and its space under a table's
            // heading row): its first figure up to `HEADING_GAP` lower when the column goes on
            // under that figure.
            let set_off = || {
                let first = if colon { None } else { under(kr.y1, HEADING_GAP, &used) };
                first.filter(|&v| {
                    text::numeric(lines[v].text)
                        && under(lines[v].r.y1, BELOW_GAP, &used).is_some_and(|w| text::numeric(lines[w].text))
                })
            };
            let Some(v) = under(kr.y1, BELOW_GAP, &used).or_else(set_off) else { continue };
            used[k] = true;
            let mut value = vec![v];
            used[v] = true;
            while let Some(c) = continuation(lines, *value.last().expect("not empty"), &used, &labels_a_row, em) {
                value.push(c);
                used[c] = true;
            }
            out.push((lines[k].id, KeyValuePair { key: key.clone(), value: joined(page_lines, lines, &value) }));
            // A column heading over a column of values (`YEAR` over `1990`, `1991`, …): each
            // value down the column, each at most `BELOW_GAP` under the one above, is a value of
            // the heading, down to one that has a label of its own to its left on its row
            // (`Width   50 mm` under a heading is that row's field).
            // A caption names one field: the lines under its value are other fields.
            if colon || caption_over(kr, lines[v].r, em) {
                continue;
            }
            let mut last = v;
            while let Some(v) = under(lines[last].r.y1, BELOW_GAP, &used).filter(|&v| !beside_label[v]) {
                out.push((
                    lines[k].id,
                    KeyValuePair { key: key.clone(), value: whole(&page_lines[v], lines[v].text, lines[v].id) },
                ));
                used[v] = true;
                last = v;
            }
        }
    }
    // 4. A colon-ended label alone on its row that found no value, over a list hung under it
    // (`CC:` over names in columns): rows of short entries indented from the label's left edge,
    // one under the other; each entry is a value of the label.
    for (ri, row) in rows.iter().enumerate() {
        let &[k] = row.lines.as_slice() else { continue };
        if used[k] || text::colon_label(lines[k].text).is_none() {
            continue;
        }
        let kr = lines[k].r;
        let mut entries: Vec<usize> = Vec::new();
        let mut bottom = kr.y1;
        for next in &rows[ri + 1..] {
            let entry = |&l: &usize| {
                !used[l]
                    && lines[l].r.x0 >= kr.x0 + tables::ALIGN * em
                    && !lines[l].text.trim().is_empty()
                    && !runs_on(lines[l].text)
                    && text::colon_label(lines[l].text).is_none()
                    && text::inline_split(lines[l].text).is_none()
            };
            if next.r.cy() <= bottom {
                continue; // beside the label or the entry above (a tall stamp), not under it
            }
            if next.r.y0 - bottom > BELOW_GAP * em || !next.lines.iter().all(entry) {
                break;
            }
            entries.extend(&next.lines);
            bottom = next.r.y1;
        }
        if entries.is_empty() {
            continue;
        }
        let key = label_part(&page_lines[k], lines[k].id).expect("a colon label");
        used[k] = true;
        for v in entries {
            out.push((
                lines[k].id,
                KeyValuePair { key: key.clone(), value: whole(&page_lines[v], lines[v].text, lines[v].id) },
            ));
            used[v] = true;
        }
    }
    // 5. An abbreviated caption under a short blank (`Mo.`, `Yr.` under a date's parts): the
    // figure right over it is its value.
    for k in 0..n {
        if used[k] || !abbreviation(lines[k].text) {
            continue;
        }
        let kr = lines[k].r;
        let over = (0..n)
            .filter(|&v| {
                let r = lines[v].r;
                let gap = kr.y0 - r.y1;
                v != k
                    && !used[v]
                    && text::numeric(lines[v].text)
                    && kr.cy() > r.y1
                    && gap <= BELOW_GAP * em
                    && kr.x_overlap(&r) >= 0.5 * (kr.x1 - kr.x0).min(r.x1 - r.x0)
            })
            .max_by(|&a, &b| lines[a].r.y1.total_cmp(&lines[b].r.y1));
        if let Some(v) = over {
            let pair = KeyValuePair {
                key: whole(&page_lines[k], lines[k].text, lines[k].id),
                value: whole(&page_lines[v], lines[v].text, lines[v].id),
            };
            out.push((lines[k].id, pair));
            used[k] = true;
            used[v] = true;
        }
    }
    out.sort_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, p)| p).collect()
}
