//! Finds the fields of a receipt or an invoice in a page's lines, key–value pairs and tables.
//!
//! Every field is looked up by its label first (`Tổng cộng`, `Total`, `MST`, `Ngày`…): in the
//! page's key–value pairs, in table rows, then in the lines (the rest of the label's line, the
//! lines to its right on the same row, the line below). Only the date, the seller's name and
//! address fall back to patterns and position in the reading order (the top of the receipt).
//! Keyword lists are written in folded form (lower case, no diacritics: `tong cong`).

use crate::amount::{amounts, currency};
use crate::date::find_date;
use crate::text::{find_word, fold, rest_after};

/// A recognized line with its box.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub text: String,
    pub confidence: f32,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// A line's four corners `[x, y]`, clockwise from the top-left corner of its text.
pub type Quad = [[f32; 2]; 4];

impl Line {
    /// The line with its box in the page turned by `-slant` (radians): level, when `slant` is
    /// the page's ([`slant`]).
    pub fn level(text: String, confidence: f32, q: &Quad, slant: f32) -> Line {
        let (sin, cos) = slant.sin_cos();
        let xs = q.map(|[x, y]| x * cos + y * sin);
        let ys = q.map(|[x, y]| -x * sin + y * cos);
        let min = |v: [f32; 4]| v.into_iter().fold(f32::INFINITY, f32::min);
        let max = |v: [f32; 4]| v.into_iter().fold(f32::NEG_INFINITY, f32::max);
        Line { text, confidence, x0: min(xs), y0: min(ys), x1: max(xs), y1: max(ys) }
    }
}

/// The page's slant, in radians: the median direction of the lines' top edges, over lines at
/// least twice as long as high (a single letter's corners say little about it); the host's
/// layout turns the page the same way (host/layout/src/frame.rs). On a photo taken at a slant
/// the amount printed right of a label stands lower or higher on the page than the label, as
/// high as the next label's: in the level page it is on the label's row again.
pub fn slant(quads: &[Quad]) -> f32 {
    let mut angles: Vec<f32> = quads
        .iter()
        .filter_map(|q| {
            let (dx, dy) = (q[1][0] - q[0][0], q[1][1] - q[0][1]);
            let top = dx.hypot(dy);
            let side = (q[3][0] - q[0][0]).hypot(q[3][1] - q[0][1]);
            (top.is_finite() && side.is_finite() && top > 0.0 && top >= 2.0 * side).then(|| dy.atan2(dx))
        })
        .collect();
    angles.sort_by(f32::total_cmp);
    angles.get(angles.len() / 2).copied().unwrap_or(0.0)
}

/// A key–value pair found by the layout.
#[derive(Debug, Clone, Default)]
pub struct Pair {
    pub key: String,
    pub value: String,
    pub value_lines: Vec<u32>,
}

/// One page, as the plugin reads it.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub index: u32,
    pub lines: Vec<Line>,
    /// Line ids in reading order (every line once).
    pub order: Vec<u32>,
    pub pairs: Vec<Pair>,
    /// Table rows: each cell's text and line ids, left to right.
    pub rows: Vec<Vec<(String, Vec<u32>)>>,
}

/// A field found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub name: &'static str,
    pub value: String,
    pub normalized: Option<String>,
    pub confidence: f32,
    pub page_index: u32,
    pub line_ids: Vec<u32>,
}

/// Labels of the amount to pay, with a rank: a higher rank wins.
const TOTAL_LABELS: &[(&str, u8)] = &[
    ("tong thanh toan", 4),
    ("tong cong thanh toan", 4),
    ("can thanh toan", 4),
    ("khach can tra", 4),
    ("khach phai tra", 4),
    ("phai thanh toan", 4),
    ("grand total", 4),
    ("amount due", 4),
    ("total payable", 4),
    ("total due", 4),
    ("nett total", 4),
    ("net total", 4),
    ("rounded total", 4),
    ("total rounded", 4),
    ("total inclusive", 3),
    ("total incl", 3),
    // The goods before discounts and fees: the total only when nothing better is printed.
    ("tong tien hang", 1),
    ("tong cong tien hang", 1),
    ("total amount", 3),
    ("tong cong", 3),
    ("tong tien", 3),
    ("total", 3),
    ("jumlah", 3),
    ("tong", 2),
    ("amount", 1),
    ("thanh tien", 1),
    ("thanh toan", 4),
];

/// A line with one of these is not the amount to pay, even with a total label on it.
const NOT_TOTAL: &[&str] = &[
    "sub total",
    "subtotal",
    "sub-total",
    "tong so luong",
    "so luong",
    "total qty",
    "total quantity",
    "qty",
    "total item",
    "total items",
    "no of item",
    "total discount",
    "discount",
    "giam gia",
    "chiet khau",
    "total gst",
    "gst amount",
    "total tax",
    "tien thue",
    "excl",
    "excluding",
    "truoc thue",
    "tien thua",
    "change",
    "tien khach dua",
    "tendered",
    "included",
    "includes",
];

/// A rounding adjustment: the amount to pay is the total printed after it.
const ROUNDING: &[&str] = &["rounding", "rounding adj", "cent rounding", "lam tron"];

const DATE_LABELS: &[&str] = &["ngay", "date", "tarikh", "ngay ban", "ngay lap"];

const TAX_LABELS: &[&str] = &[
    "mst",
    "ma so thue",
    "ma so doanh nghiep",
    "tax code",
    "tax id",
    "gst id",
    "gst reg",
    "gst no",
    "vat no",
    "vat reg",
    "tin",
];

const INVOICE_LABELS: &[&str] = &[
    "so hoa don",
    "hoa don so",
    "so hd",
    "so phieu",
    "so ct",
    "so chung tu",
    "ma hoa don",
    "so:",
    "invoice no",
    "invoice number",
    "invoice #",
    "inv no",
    "inv #",
    "receipt no",
    "receipt #",
    "receipt number",
    "bill no",
    "bill #",
    "doc no",
    "document no",
    "check no",
    "order no",
    "trans no",
    "ref no",
    "no hd",
];

const ADDRESS_LABELS: &[&str] = &["dia chi", "d/c", "dc:", "address", "addr"];

/// Words of a business name: a line with one is the seller's name.
const COMPANY_WORDS: &[&str] = &[
    "sdn bhd",
    "sdn. bhd",
    "bhd",
    "s/b",
    "plt",
    "enterprise",
    "enterprises",
    "trading",
    "restaurant",
    "restoran",
    "company",
    "co., ltd",
    "ltd",
    "limited",
    "inc",
    "corporation",
    "store",
    "stores",
    "bookstores",
    "mart",
    "market",
    "supermarket",
    "cafe",
    "bakery",
    "hardware",
    "cong ty",
    "cua hang",
    "sieu thi",
    "nha hang",
    "tiem",
    "tap hoa",
    "nha thuoc",
];
// Not `quán` (an eatery) or `hiệu` (a shop): without their marks they read as `quận` (a
// district, in every address) and `hiểu`.

/// Lines that head a receipt without naming the seller.
const HEADINGS: &[&str] = &[
    "tax invoice",
    "invoice",
    "receipt",
    "official receipt",
    "cash bill",
    "cash receipt",
    "simplified tax invoice",
    "hoa don",
    "hoa don ban hang",
    "hoa don ban le",
    "phieu thanh toan",
    "phieu tinh tien",
    "bien lai",
    "welcome",
    "xin chao",
    "copy",
];

/// Where the seller's address ends: the lines after it.
const AFTER_ADDRESS: &[&str] = &[
    "tel",
    "phone",
    "fax",
    "dt",
    "dien thoai",
    "hotline",
    "email",
    "e-mail",
    "www",
    "http",
    "gst",
    "mst",
    "ma so thue",
    "tax",
    "invoice",
    "receipt",
    "date",
    "ngay",
    "hoa don",
    "cashier",
    "thu ngan",
    "co reg",
    "company reg",
    "reg no",
    "bill",
    "table",
    "ban so",
    "so:",
];

/// One place a labelled value may be: its text, the lines it comes from, how sure the place is.
struct Candidate {
    text: String,
    line_ids: Vec<u32>,
    weight: f32,
}

impl Page {
    fn folded(&self, id: u32) -> String {
        fold(&self.lines[id as usize].text)
    }

    fn mean_confidence(&self, ids: &[u32]) -> f32 {
        if ids.is_empty() {
            return 0.5;
        }
        let sum: f32 = ids.iter().filter_map(|i| self.lines.get(*i as usize)).map(|l| l.confidence).sum();
        (sum / ids.len() as f32).clamp(0.0, 1.0)
    }

    /// Lines on the same row as `id`, to its right, left to right.
    fn right_of(&self, id: u32) -> Vec<u32> {
        let l = &self.lines[id as usize];
        let (cy, h) = ((l.y0 + l.y1) / 2.0, (l.y1 - l.y0).max(1.0));
        let mut right: Vec<u32> = (0..self.lines.len() as u32)
            .filter(|&j| {
                let m = &self.lines[j as usize];
                j != id && m.x0 >= l.x1 - h * 0.5 && ((m.y0 + m.y1) / 2.0 - cy).abs() < h * 0.6
            })
            .collect();
        right.sort_by(|a, b| self.lines[*a as usize].x0.total_cmp(&self.lines[*b as usize].x0));
        right
    }

    /// The line after `id` in reading order.
    fn next_line(&self, id: u32) -> Option<u32> {
        let at = self.order.iter().position(|i| *i == id)?;
        self.order.get(at + 1).copied()
    }

    /// The values of the first label of `labels` found, by each label found: `(label index,
    /// candidates)`, from pairs, table rows and lines. `skip` rules out a line (folded text).
    fn labelled(&self, labels: &[&str], skip: &dyn Fn(&str) -> bool) -> Vec<(usize, Candidate)> {
        let mut out = Vec::new();
        let label_of = |folded: &str| labels.iter().position(|l| find_word(folded, l).is_some());
        for p in &self.pairs {
            let key = fold(&p.key);
            if skip(&key) {
                continue;
            }
            if let Some(k) = label_of(&key) {
                out.push((k, Candidate { text: p.value.clone(), line_ids: p.value_lines.clone(), weight: 0.95 }));
            }
        }
        for row in &self.rows {
            for (i, (text, _)) in row.iter().enumerate() {
                let folded = fold(text);
                if skip(&folded) {
                    continue;
                }
                if let Some(k) = label_of(&folded) {
                    for (t, ids) in row[i + 1..].iter().rev() {
                        out.push((k, Candidate { text: t.clone(), line_ids: ids.clone(), weight: 0.9 }));
                    }
                }
            }
        }
        for &id in &self.order {
            let folded = self.folded(id);
            if skip(&folded) {
                continue;
            }
            let Some(k) = label_of(&folded) else { continue };
            let (_, end) = find_word(&folded, labels[k]).unwrap_or((0, 0));
            let rest = rest_after(&self.lines[id as usize].text, end);
            let right = self.right_of(id);
            // The line below only for a label that stands alone on its row.
            let alone = rest.is_empty() && right.is_empty();
            if !rest.is_empty() {
                out.push((k, Candidate { text: rest, line_ids: vec![id], weight: 0.9 }));
            }
            for r in right.into_iter().rev() {
                out.push((
                    k,
                    Candidate { text: self.lines[r as usize].text.clone(), line_ids: vec![id, r], weight: 0.85 },
                ));
            }
            if alone && let Some(n) = self.next_line(id) {
                out.push((
                    k,
                    Candidate { text: self.lines[n as usize].text.clone(), line_ids: vec![id, n], weight: 0.6 },
                ));
            }
        }
        out
    }

    fn field(
        &self,
        name: &'static str,
        value: String,
        normalized: Option<String>,
        ids: Vec<u32>,
        weight: f32,
    ) -> Found {
        let confidence = (weight * self.mean_confidence(&ids)).clamp(0.0, 1.0);
        Found { name, value, normalized, confidence, page_index: self.index, line_ids: ids }
    }
}

fn is_not_total(folded: &str) -> bool {
    NOT_TOTAL.iter().any(|w| find_word(folded, w).is_some())
}

/// The amount to pay: the highest-ranked label; among equal ones, one printed after a rounding
/// adjustment (the rounded amount is what is paid), then the largest amount.
pub fn total(page: &Page) -> Option<Found> {
    let labels: Vec<&str> = TOTAL_LABELS.iter().map(|l| l.0).collect();
    let position = |id: u32| page.order.iter().position(|i| *i == id);
    let rounding = page
        .order
        .iter()
        .enumerate()
        .filter(|(_, id)| ROUNDING.iter().any(|w| find_word(&page.folded(**id), w).is_some()))
        .map(|(at, _)| at)
        .max();
    let mut best: Option<((u8, bool, f64), Found)> = None;
    for (k, c) in page.labelled(&labels, &is_not_total) {
        let Some((raw, plain)) = amounts(&c.text).pop() else { continue };
        let Ok(number) = plain.parse::<f64>() else { continue };
        if number <= 0.0 {
            continue;
        }
        let at = c.line_ids.first().and_then(|id| position(*id));
        let after_rounding = matches!((at, rounding), (Some(a), Some(r)) if a > r);
        let key = (TOTAL_LABELS[k].1, after_rounding, number);
        if best.as_ref().is_none_or(|(b, _)| key > *b) {
            let value = value_with_currency(&c.text, &raw);
            best = Some((key, page.field("total", value, Some(plain), c.line_ids, c.weight)));
        }
    }
    best.map(|b| b.1)
}

/// The amount as printed, with a currency mark written right next to it (`RM 5.90`, `65.000đ`).
fn value_with_currency(text: &str, raw: &str) -> String {
    let Some(at) = text.find(raw) else { return raw.to_owned() };
    let before = text[..at].trim_end();
    let after = &text[at + raw.len()..];
    let prefix = ["RM", "rm", "$", "S$", "€", "£", "USD", "VND", "MYR"].iter().find(|p| before.ends_with(**p));
    let suffix =
        ["đ", "₫", "VND", "VNĐ", "vnd", "vnđ", "d", "USD", "€"].iter().find(|s| after.trim_start().starts_with(**s));
    let mut v = String::new();
    if let Some(p) = prefix {
        v.push_str(p);
        v.push(' ');
    }
    v.push_str(raw);
    if let Some(s) = suffix {
        v.push_str(s);
    }
    v
}

/// The document's date: a labelled one first, else the first date in reading order.
pub fn date(page: &Page) -> Option<Found> {
    let none = |_: &str| false;
    for (_, c) in page.labelled(DATE_LABELS, &none) {
        if let Some(iso) = find_date(&c.text) {
            return Some(page.field("date", date_text(&c.text), Some(iso), c.line_ids, c.weight));
        }
    }
    for &id in &page.order {
        let text = &page.lines[id as usize].text;
        if let Some(iso) = find_date(text) {
            return Some(page.field("date", date_text(text), Some(iso), vec![id], 0.8));
        }
    }
    None
}

/// The date part of a line: from its first digit (or `ngày`) to the end of the date's tokens;
/// the whole line when unsure.
fn date_text(text: &str) -> String {
    text.trim().to_owned()
}

/// The seller's tax code (MST, GST ID…): digits (and `-`) after its label.
pub fn tax_code(page: &Page) -> Option<Found> {
    let none = |_: &str| false;
    for (_, c) in page.labelled(TAX_LABELS, &none) {
        if let Some(code) = code_in(&c.text, 8, true) {
            let normalized = code.chars().filter(|ch| ch.is_ascii_digit() || *ch == '-').collect();
            return Some(page.field("seller_tax_code", code, Some(normalized), c.line_ids, c.weight));
        }
    }
    None
}

/// The first run of letters, digits and `-`/`/`/`.` in `text` with at least `min_digits` digits
/// (letters allowed only when `digits_only` is false).
fn code_in(text: &str, min_digits: usize, digits_only: bool) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | '(' | ')' | '#'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '-' | '/')))
        .find(|w| {
            w.chars().filter(|c| c.is_ascii_digit()).count() >= min_digits
                && w.chars().all(|c| {
                    c.is_ascii_digit() || matches!(c, '-' | '/' | '.') || (!digits_only && c.is_ascii_alphanumeric())
                })
        })
        .map(str::to_owned)
}

/// The invoice or receipt number after its label.
pub fn invoice_number(page: &Page) -> Option<Found> {
    let none = |_: &str| false;
    for (_, c) in page.labelled(INVOICE_LABELS, &none) {
        if let Some(code) = code_in(&c.text, 1, false).filter(|c| c.len() >= 3 && find_date(c).is_none()) {
            return Some(page.field("invoice_number", code.clone(), Some(code), c.line_ids, c.weight));
        }
    }
    None
}

fn is_heading(folded: &str) -> bool {
    let t = folded.trim_matches(|c: char| !c.is_alphanumeric());
    HEADINGS.contains(&t)
}

fn has_letters(s: &str, n: usize) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).count() >= n
}

/// A line that only carries a registration number (`(1234567-X)`, `(CO.REG :860671-D)`).
fn is_registration(folded: &str) -> bool {
    let t = folded.trim();
    let bracketed = t.starts_with('(') && t.chars().filter(|c| c.is_ascii_digit()).count() >= 3;
    (bracketed && (!has_letters(t, 4) || REGISTRATION.iter().any(|w| find_word(t, w).is_some())))
        || REGISTRATION.iter().any(|w| t.starts_with(w) || find_word(t, w).is_some_and(|(at, _)| at <= 1))
        || is_bare_registration(t)
}

/// A line of only a registration number without brackets or label (`002043319-W`, `789417 W`):
/// five digits or more, a dash or a space, then one letter. Not an amount: `65.000đ` (folded
/// `65.000d`) has a separator of thousands and its currency sign right after the digits.
fn is_bare_registration(folded: &str) -> bool {
    let t = folded.trim();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest: Vec<char> = t.chars().skip(digits).filter(|c| !c.is_whitespace()).collect();
    let spaced = t[digits..].starts_with([' ', '-']);
    digits >= 5 && spaced && matches!(rest.as_slice(), ['-', c] | [c] if c.is_ascii_alphabetic())
}

/// Labels of a company registration number.
const REGISTRATION: &[&str] = &["co reg", "company reg", "company no", "reg no", "roc", "ssm"];

/// A name followed by its registration number on the same line (`KMF SDN BHD (1132106-H)`):
/// the name alone.
fn name_before_registration(text: &str) -> Option<String> {
    let open = text.rfind('(')?;
    let (name, reg) = (text[..open].trim(), &text[open..]);
    let digits = reg.chars().filter(|c| c.is_ascii_digit()).count();
    (digits >= 4 && !has_letters(reg, 4) && has_letters(name, 3)).then(|| name.to_owned())
}

/// A line with a phone number written internationally (`+603 2856 0385`).
fn is_contact(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).any(|w| w[0] == '+' && w[1].is_ascii_digit())
}

/// A line of only a date and time (`12 Mar 2018 18:20`), printed on some receipts between the
/// seller's name and address.
fn is_time_stamp(folded: &str) -> bool {
    let words = folded.split(|c: char| !c.is_alphabetic()).filter(|w| w.len() > 2);
    find_date(folded).is_some() && words.count() <= 1
}

fn ends_address(folded: &str) -> bool {
    AFTER_ADDRESS.iter().any(|w| find_word(folded, w).is_some()) || find_date(folded).is_some() || is_contact(folded)
}

/// The seller's name and address. The name, near the top: the line carrying the company's
/// registration number (`NAME (1234-X)`) or the line right above a line of only that number,
/// else a line with a business word (`SDN BHD`, `Cửa hàng`…), else the first line that is not
/// a heading. The address: labelled (`Địa chỉ:`) when the label's value reads as an address,
/// else the lines after the name, read top to bottom by the middles of their boxes ([`top_down`]):
/// past any registration number (`(1234-X)`, `002043319-W`) or print time and, at most three,
/// lines with neither a digit nor an address word (`formerly known as …`), up to the first
/// contact, tax or document line (its text before a `Tel` label kept; one printed beside the
/// address, in a column of its own, skipped), and after a line with a postcode
/// (`47400 Petaling Jaya`) at most a line naming the state.
pub fn seller(page: &Page) -> Vec<Found> {
    let mut out = Vec::new();
    let top: Vec<u32> = page.order.iter().copied().take(10).collect();
    let usable = |id: &u32| {
        let f = page.folded(*id);
        has_letters(&f, 3) && !is_heading(&f) && !is_registration(&f) && !ends_address(&f)
    };
    let mut name: Option<(Vec<u32>, String, f32)> = None;
    for (i, id) in top.iter().enumerate() {
        let text = page.lines[*id as usize].text.trim();
        if let Some(n) = name_before_registration(text).filter(|_| usable(id)) {
            name = Some((vec![*id], n, 0.9));
            break;
        }
        if is_registration(&page.folded(*id)) && i > 0 && usable(&top[i - 1]) {
            let above = top[i - 1];
            name = Some((vec![above], page.lines[above as usize].text.trim().to_owned(), 0.9));
            break;
        }
    }
    if name.is_none() {
        let named = top.iter().position(|id| {
            let f = page.folded(*id);
            usable(id) && COMPANY_WORDS.iter().any(|w| find_word(&f, w).is_some())
        });
        let first = top.iter().position(usable);
        if let Some(at) = named.filter(|n| first.is_none_or(|f| n - f <= 2)).or(first) {
            let mut ids = vec![top[at]];
            // A name broken over two lines: a bare `SDN BHD` below the rest of the name.
            let f = page.folded(top[at]);
            let bare = COMPANY_WORDS.iter().any(|w| f.trim().trim_matches('.') == *w);
            if bare && at > 0 && usable(&top[at - 1]) {
                ids.insert(0, top[at - 1]);
            }
            let text: Vec<&str> = ids.iter().map(|i| page.lines[*i as usize].text.trim()).collect();
            name = Some((ids, text.join(" "), if named.is_some() { 0.85 } else { 0.6 }));
        }
    }
    let Some((name_ids, name, weight)) = name else { return out };
    out.push(page.field("seller_name", name, None, name_ids.clone(), weight));

    let none = |_: &str| false;
    // A label's value is the address only when it reads as one: `Address` also heads an
    // e-mail or a web address. A street without a number or an address word (`Hoàn Kiếm, Hà
    // Nội`) still counts.
    let reads_as_address = |c: &Candidate| {
        let f = fold(&c.text);
        has_letters(&f, 6) && !f.contains('@') && !ends_address(&f)
    };
    if let Some((_, c)) = page.labelled(ADDRESS_LABELS, &none).into_iter().find(|(_, c)| reads_as_address(c)) {
        out.push(page.field("seller_address", c.text, None, c.line_ids, c.weight));
        return out;
    }
    let start = page.order.iter().position(|i| Some(i) == name_ids.last()).map_or(0, |p| p + 1);
    let after: Vec<u32> = page.order.iter().skip(start).take(HEADER_LINES).copied().collect();
    let mut ids = Vec::new();
    let mut parts: Vec<&str> = Vec::new();
    let mut skipped = 0;
    // Lines read after the line with the postcode (`47400 Petaling Jaya`): only the state may follow.
    let mut past_postcode = false;
    for id in top_down(page, after) {
        if ids.len() == 6 {
            break;
        }
        let text = page.lines[id as usize].text.trim();
        let f = page.folded(id);
        // An address starts with a word (a street, a building, a lot): a line of figures and
        // signs with hardly a letter is a number printed under the name (a registration number
        // split from its bracket and label, misread: `1 1382!.-W)`).
        if ids.is_empty() && (is_registration(&f) || is_time_stamp(&f) || !has_letters(&f, 2)) {
            continue;
        }
        // A phone or tax line printed beside the address, in a column of its own, ends nothing.
        if !ids.is_empty() && beside(page, id, ids[ids.len() - 1]) && ends_address(&f) {
            continue;
        }
        if ends_address(&f) || is_heading(&f) {
            // The address's last line with the phone on it (`81100 JOHOR BAHRU TEL: 07-123 4567`).
            let head = before_contact(text).filter(|h| {
                let h = fold(h);
                if past_postcode { is_state(&h) } else { !ids.is_empty() || is_addressy(&h) }
            });
            if let Some(head) = head {
                ids.push(id);
                parts.push(head);
            }
            break;
        }
        if past_postcode && !is_state(&f) {
            break;
        }
        if ids.is_empty() && !is_addressy(&f) && skipped < 3 {
            skipped += 1;
            continue;
        }
        ids.push(id);
        parts.push(text);
        if past_postcode {
            break;
        }
        past_postcode = has_postcode(&f);
    }
    if !ids.is_empty() {
        out.push(page.field("seller_address", parts.join(" "), None, ids, 0.6));
    }
    out
}

/// How many lines after the seller's name the address is looked for in.
const HEADER_LINES: usize = 12;

/// `ids` (lines in reading order) top to bottom by the middles of their boxes: a line whose box
/// is taller than its text (two printed rows caught in one box, the phone under the postcode
/// line) goes after the row it shares, not before it. Lines on one row keep their order.
fn top_down(page: &Page, mut ids: Vec<u32>) -> Vec<u32> {
    let mid = |id: u32| {
        let l = &page.lines[id as usize];
        ((l.y0 + l.y1) / 2.0, (l.y1 - l.y0).max(1.0))
    };
    for _ in 0..ids.len() {
        let mut swapped = false;
        for i in 1..ids.len() {
            let ((ma, ha), (mb, hb)) = (mid(ids[i - 1]), mid(ids[i]));
            if ma > mb + ha.min(hb) * 0.5 {
                ids.swap(i - 1, i);
                swapped = true;
            }
        }
        if !swapped {
            break;
        }
    }
    ids
}

/// A line with a number or a word of addresses (`Jalan`, `Taman`, `Wisma`…).
fn is_addressy(folded: &str) -> bool {
    folded.chars().any(|c| c.is_ascii_digit()) || ADDRESS_WORDS.iter().any(|w| find_word(folded, w).is_some())
}

/// Whether lines `a` and `b` stand side by side: no column of the page is under both.
fn beside(page: &Page, a: u32, b: u32) -> bool {
    let (a, b) = (&page.lines[a as usize], &page.lines[b as usize]);
    a.x0 >= b.x1 || b.x0 >= a.x1
}

/// The part of a line before its phone or fax label, when there is some text before it that
/// is no phone, tax or document line itself.
fn before_contact(text: &str) -> Option<&str> {
    let folded = fold(text);
    let at = CONTACT_LABELS.iter().filter_map(|w| find_word(&folded, w)).map(|(at, _)| at).min()?;
    // `fold` maps each character to one character: the label's character index is the text's.
    let end = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
    let head = text[..end].trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '/' | '|'));
    (has_letters(head, 3) && !ends_address(&fold(head))).then_some(head)
}

/// Labels of the seller's phone or fax number, that may follow the address on its last line.
const CONTACT_LABELS: &[&str] = &["tel", "te1", "phone", "fax", "h/p", "hp", "dt", "dien thoai"];

/// A Malaysian postcode: a word of five digits before the city's name (`47400 Petaling Jaya`,
/// `SS21/39,47400 PETALING`), not a part of a code (`PT17920`, `12345-X`).
fn has_postcode(folded: &str) -> bool {
    let words: Vec<&str> = folded.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    words
        .windows(2)
        .any(|w| w[0].len() == 5 && w[0].chars().all(|c| c.is_ascii_digit()) && w[1].starts_with(char::is_alphabetic))
}

/// A line naming a state or the country, that may follow the postcode's line (`SELANGOR DARUL
/// EHSAN.`): no digits, a few words; a state's name misread by a letter counts (`Setangor`).
fn is_state(folded: &str) -> bool {
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    !folded.chars().any(|c| c.is_ascii_digit())
        && !words.is_empty()
        && words.len() <= 4
        && words.iter().any(|w| STATES.iter().any(|s| within_one(w, s)))
}

/// Malaysia's states and federal territories and the words of their titles.
const STATES: &[&str] = &[
    "johor",
    "kedah",
    "kelantan",
    "melaka",
    "malacca",
    "negeri",
    "sembilan",
    "pahang",
    "penang",
    "pinang",
    "perak",
    "perlis",
    "sabah",
    "sarawak",
    "selangor",
    "terengganu",
    "kuala",
    "lumpur",
    "putrajaya",
    "labuan",
    "wilayah",
    "persekutuan",
    "darul",
    "ehsan",
    "takzim",
    "malaysia",
];

/// `a` and `b` equal but for at most one letter changed, added or dropped.
fn within_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    prefix + suffix + 1 >= a.len().max(b.len())
}

/// Words that start or make an address line without a number.
const ADDRESS_WORDS: &[&str] = &[
    "jalan",
    "jln",
    "lorong",
    "taman",
    "lot",
    "level",
    "floor",
    "flr",
    "ground",
    "block",
    "blok",
    "unit",
    "suite",
    "bangunan",
    "wisma",
    "menara",
    "plaza",
    "kompleks",
    "complex",
    "mall",
    "kawasan",
    "persiaran",
    "lebuh",
    "lebuhraya",
    "seksyen",
    "section",
    "bandar",
    "kampung",
    "kg",
    "batu",
    "street",
    "road",
    "avenue",
    "duong",
    "pho",
    "phuong",
    "quan",
    "huyen",
    "xa",
    "thi tran",
    "tinh",
    "thanh pho",
    "tp",
    "ngo",
    "hem",
    "kiet",
];

/// The currency: named next to the total, else anywhere on the page, else VND for a page in
/// Vietnamese.
pub fn currency_of(page: &Page, total: Option<&Found>) -> Option<Found> {
    if let Some(t) = total {
        let text: Vec<&str> = t.line_ids.iter().map(|i| page.lines[*i as usize].text.as_str()).collect();
        if let Some(c) = currency(&text.join(" ")) {
            return Some(page.field("currency", c.into(), Some(c.into()), t.line_ids.clone(), 0.9));
        }
    }
    for &id in &page.order {
        if let Some(c) = currency(&page.lines[id as usize].text) {
            return Some(page.field("currency", c.into(), Some(c.into()), vec![id], 0.7));
        }
    }
    let vietnamese = page
        .lines
        .iter()
        .any(|l| l.text.chars().any(|c| "ăâđêôơưĂÂĐÊÔƠƯ".contains(c) || ('\u{1ea0}'..='\u{1ef9}').contains(&c)));
    vietnamese.then(|| page.field("currency", "VND".into(), Some("VND".into()), Vec::new(), 0.5))
}

/// Every field found on a page.
pub fn extract(page: &Page) -> Vec<Found> {
    let mut out = seller(page);
    out.extend(tax_code(page));
    out.extend(invoice_number(page));
    out.extend(date(page));
    let total = total(page);
    out.extend(currency_of(page, total.as_ref()));
    out.extend(total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page from lines given as (text, x0, y0, x1, y1), in reading order.
    fn page(lines: &[(&str, f32, f32, f32, f32)]) -> Page {
        Page {
            index: 0,
            lines: lines
                .iter()
                .map(|(t, x0, y0, x1, y1)| Line {
                    text: (*t).into(),
                    confidence: 1.0,
                    x0: *x0,
                    y0: *y0,
                    x1: *x1,
                    y1: *y1,
                })
                .collect(),
            order: (0..lines.len() as u32).collect(),
            ..Page::default()
        }
    }

    fn get<'a>(found: &'a [Found], name: &str) -> Option<&'a Found> {
        found.iter().find(|f| f.name == name)
    }

    fn norm(found: &[Found], name: &str) -> Option<String> {
        get(found, name).map(|f| f.normalized.clone().unwrap_or_else(|| f.value.clone()))
    }

    #[test]
    fn on_a_receipt_photographed_at_a_slant_the_total_is_the_amount_on_its_row() {
        // The totals of a receipt turned by 4° about its top-left corner: each amount stands
        // as high on the page as the label under its own.
        let rows = [
            ("Tổng tiền hàng:", "414.000", 600.0),
            ("Giảm giá:", "41.000", 630.0),
            ("THANH TOÁN:", "373.000", 660.0),
            ("Tiền khách đưa:", "400.000", 690.0),
        ];
        let (sin, cos) = 4f32.to_radians().sin_cos();
        let turn = |x: f32, y: f32| [x * cos - y * sin, x * sin + y * cos];
        let quad = |x0: f32, y0: f32, x1: f32, y1: f32| [turn(x0, y0), turn(x1, y0), turn(x1, y1), turn(x0, y1)];
        let mut quads = Vec::new();
        let mut texts = Vec::new();
        for (label, amount, y) in rows {
            quads.push(quad(120.0, y, 330.0, y + 22.0));
            texts.push(label);
            quads.push(quad(600.0, y, 690.0, y + 22.0));
            texts.push(amount);
        }
        let read = |slant: f32| {
            let lines = texts.iter().zip(&quads).map(|(t, q)| Line::level((*t).into(), 1.0, q, slant)).collect();
            let page = Page { lines, order: (0..texts.len() as u32).collect(), ..Page::default() };
            total(&page).map(|f| f.value)
        };
        let s = slant(&quads);
        assert!((s.to_degrees() - 4.0).abs() < 0.01, "{}", s.to_degrees());
        assert_eq!(read(s).as_deref(), Some("373.000"));
        // Boxes taken upright on the page put the next row's amount beside the label.
        assert_ne!(read(0.0).as_deref(), Some("373.000"));
    }

    #[test]
    fn a_vietnamese_receipt_gives_every_field() {
        let p = page(&[
            ("CỬA HÀNG BÁNH MÌ HƯƠNG LAN", 10.0, 10.0, 300.0, 30.0),
            ("Địa chỉ: 12 Lê Lợi, Quận 1, TP. Hồ Chí Minh", 10.0, 40.0, 400.0, 60.0),
            ("MST: 0312345678", 10.0, 70.0, 200.0, 90.0),
            ("HÓA ĐƠN BÁN HÀNG", 100.0, 100.0, 300.0, 120.0),
            ("Số HĐ: HD-000123", 10.0, 130.0, 200.0, 150.0),
            ("Ngày: 12/03/2024", 10.0, 160.0, 200.0, 180.0),
            ("Bánh mì thịt", 10.0, 190.0, 150.0, 210.0),
            ("2", 200.0, 190.0, 220.0, 210.0),
            ("40.000", 300.0, 190.0, 360.0, 210.0),
            ("Tổng cộng:", 10.0, 250.0, 120.0, 270.0),
            ("65.000đ", 300.0, 250.0, 380.0, 270.0),
            ("Tiền khách đưa: 100.000đ", 10.0, 280.0, 300.0, 300.0),
        ]);
        let found = extract(&p);
        assert_eq!(norm(&found, "seller_name").as_deref(), Some("CỬA HÀNG BÁNH MÌ HƯƠNG LAN"));
        assert_eq!(norm(&found, "seller_address").as_deref(), Some("12 Lê Lợi, Quận 1, TP. Hồ Chí Minh"));
        assert_eq!(norm(&found, "seller_tax_code").as_deref(), Some("0312345678"));
        assert_eq!(norm(&found, "invoice_number").as_deref(), Some("HD-000123"));
        assert_eq!(norm(&found, "date").as_deref(), Some("2024-03-12"));
        assert_eq!(norm(&found, "total").as_deref(), Some("65000"));
        assert_eq!(get(&found, "total").map(|f| f.value.as_str()), Some("65.000đ"));
        assert_eq!(get(&found, "total").map(|f| f.line_ids.clone()), Some(vec![9, 10]));
        assert_eq!(norm(&found, "currency").as_deref(), Some("VND"));
    }

    #[test]
    fn an_english_receipt_with_the_address_under_the_name() {
        let p = page(&[
            ("TAX INVOICE", 100.0, 0.0, 200.0, 15.0),
            ("KEDAI RUNCIT MAJU SDN BHD", 10.0, 20.0, 300.0, 40.0),
            ("(123456-X)", 100.0, 45.0, 200.0, 60.0),
            ("NO. 9, JALAN MAJU 2,", 10.0, 65.0, 300.0, 85.0),
            ("55100 KUALA LUMPUR.", 10.0, 90.0, 300.0, 110.0),
            ("TEL: 03-1234 5678", 10.0, 115.0, 300.0, 135.0),
            ("GST ID: 001234567890", 10.0, 140.0, 300.0, 160.0),
            ("Date: 12 Mar 2018 10:31", 10.0, 165.0, 300.0, 185.0),
            ("SUB TOTAL 9.43", 10.0, 200.0, 300.0, 220.0),
            ("TOTAL GST 0.57", 10.0, 225.0, 300.0, 245.0),
            ("TOTAL RM 10.00", 10.0, 250.0, 300.0, 270.0),
            ("CASH 50.00", 10.0, 275.0, 300.0, 295.0),
        ]);
        let found = extract(&p);
        assert_eq!(norm(&found, "seller_name").as_deref(), Some("KEDAI RUNCIT MAJU SDN BHD"));
        assert_eq!(norm(&found, "seller_address").as_deref(), Some("NO. 9, JALAN MAJU 2, 55100 KUALA LUMPUR."));
        assert_eq!(norm(&found, "seller_tax_code").as_deref(), Some("001234567890"));
        assert_eq!(norm(&found, "date").as_deref(), Some("2018-03-12"));
        assert_eq!(norm(&found, "total").as_deref(), Some("10.00"));
        assert_eq!(get(&found, "total").map(|f| f.value.as_str()), Some("RM 10.00"));
        assert_eq!(norm(&found, "currency").as_deref(), Some("MYR"));
    }

    #[test]
    fn a_pair_from_the_layout_gives_the_total() {
        let mut p = page(&[("Thành tiền", 10.0, 10.0, 100.0, 30.0), ("1.234.567 VND", 10.0, 40.0, 100.0, 60.0)]);
        p.pairs = vec![Pair { key: "Thành tiền".into(), value: "1.234.567 VND".into(), value_lines: vec![1] }];
        let found = total(&p).unwrap();
        assert_eq!(found.normalized.as_deref(), Some("1234567"));
        assert_eq!(found.line_ids, vec![1]);
    }

    #[test]
    fn the_total_after_a_rounding_adjustment_is_the_one_paid() {
        let p = page(&[
            ("Total (Excluding GST):", 10.0, 10.0, 200.0, 30.0),
            ("26.60", 400.0, 10.0, 460.0, 30.0),
            ("Total (Inclusive of GST):", 10.0, 40.0, 200.0, 60.0),
            ("31.02", 400.0, 40.0, 460.0, 60.0),
            ("Rounding Adj:", 10.0, 70.0, 200.0, 90.0),
            ("-0.02", 400.0, 70.0, 460.0, 90.0),
            ("TOTAL:", 10.0, 100.0, 200.0, 120.0),
            ("31.00", 400.0, 100.0, 460.0, 120.0),
            ("CASH", 10.0, 130.0, 200.0, 150.0),
            ("50.00", 400.0, 130.0, 460.0, 150.0),
        ]);
        assert_eq!(total(&p).and_then(|f| f.normalized).as_deref(), Some("31.00"));
    }

    #[test]
    fn the_registered_name_wins_over_a_trading_name_above_it() {
        let p = page(&[
            ("GOOD NOODLE HOUSE", 10.0, 10.0, 300.0, 30.0),
            ("GN FOOD SDN BHD (1234567-X)", 10.0, 40.0, 300.0, 60.0),
            ("formerly known as", 10.0, 70.0, 300.0, 90.0),
            ("No. 5, Jalan Maju,", 10.0, 100.0, 300.0, 120.0),
            ("50450 Kuala Lumpur", 10.0, 130.0, 300.0, 150.0),
            ("Tel : +603 1234 5678", 10.0, 160.0, 300.0, 180.0),
        ]);
        let found = seller(&p);
        assert_eq!(norm(&found, "seller_name").as_deref(), Some("GN FOOD SDN BHD"));
        assert_eq!(norm(&found, "seller_address").as_deref(), Some("No. 5, Jalan Maju, 50450 Kuala Lumpur"));
    }

    #[test]
    fn the_amount_paid_after_a_discount_is_the_total_not_the_goods_subtotal() {
        let p = page(&[
            ("BÁNH MÌ HỒNG PHÚC", 10.0, 10.0, 300.0, 30.0),
            ("248 Điện Biên Phủ", 10.0, 40.0, 300.0, 60.0),
            ("Quận Cầu Giấy, Hà Nội", 10.0, 70.0, 300.0, 90.0),
            ("ĐT: 028 3555 2228", 10.0, 100.0, 300.0, 120.0),
            ("Tổng tiền hàng:", 10.0, 150.0, 200.0, 170.0),
            ("832.000", 400.0, 150.0, 480.0, 170.0),
            ("Giảm giá:", 10.0, 180.0, 200.0, 200.0),
            ("83.000", 400.0, 180.0, 480.0, 200.0),
            ("THANH TOÁN:", 10.0, 210.0, 200.0, 230.0),
            ("749.000", 400.0, 210.0, 480.0, 230.0),
            ("Tiền khách đưa:", 10.0, 240.0, 200.0, 260.0),
            ("750.000", 400.0, 240.0, 480.0, 260.0),
        ]);
        let found = extract(&p);
        assert_eq!(norm(&found, "total").as_deref(), Some("749000"));
        assert_eq!(norm(&found, "seller_name").as_deref(), Some("BÁNH MÌ HỒNG PHÚC"));
        assert_eq!(norm(&found, "seller_address").as_deref(), Some("248 Điện Biên Phủ Quận Cầu Giấy, Hà Nội"));
    }

    #[test]
    fn the_goods_subtotal_is_the_total_when_nothing_else_is_printed() {
        let p = page(&[("Tổng tiền hàng:", 10.0, 150.0, 200.0, 170.0), ("120.000", 400.0, 150.0, 480.0, 170.0)]);
        assert_eq!(total(&p).and_then(|f| f.normalized).as_deref(), Some("120000"));
    }

    #[test]
    fn a_date_in_words_is_found_without_a_label() {
        let p = page(&[("Hà Nội, ngày 12 tháng 3 năm 2024", 10.0, 10.0, 300.0, 30.0)]);
        assert_eq!(date(&p).and_then(|f| f.normalized).as_deref(), Some("2024-03-12"));
    }

    fn address(lines: &[(&str, f32, f32, f32, f32)]) -> Option<String> {
        norm(&seller(&page(lines)), "seller_address")
    }

    #[test]
    fn a_phone_box_taller_than_its_text_does_not_cut_the_address() {
        // The phone's box also covers the postcode's row: its top is above the postcode line's.
        let a = address(&[
            ("MAJU ROTI SDN BHD (765432-A)", 10.0, 10.0, 300.0, 35.0),
            ("No. 8, Jalan Perusahaan 3,", 40.0, 35.0, 280.0, 60.0),
            ("Tel: 03-1234 5678 Fax: 03-1234 5679", 20.0, 55.0, 300.0, 115.0),
            ("68000 Ampang, Selangor.", 50.0, 58.0, 260.0, 84.0),
            ("GST ID: 001122334455", 60.0, 110.0, 250.0, 135.0),
        ]);
        assert_eq!(a.as_deref(), Some("No. 8, Jalan Perusahaan 3, 68000 Ampang, Selangor."));
    }

    #[test]
    fn the_address_ends_with_the_postcode_line_and_its_state() {
        let a = address(&[
            ("KEDAI BUKU CERIA SDN BHD", 10.0, 10.0, 300.0, 30.0),
            ("(998877-K)", 100.0, 35.0, 200.0, 55.0),
            ("12, Jalan Bunga Raya 5,", 10.0, 60.0, 300.0, 80.0),
            ("81200 Johor Bahru,", 10.0, 85.0, 300.0, 105.0),
            ("Johr Darul Takzim", 10.0, 110.0, 300.0, 130.0),
            ("Cawangan Bukit Indah", 10.0, 135.0, 300.0, 155.0),
            ("Tel: 07-765 4321", 10.0, 160.0, 300.0, 180.0),
        ]);
        assert_eq!(a.as_deref(), Some("12, Jalan Bunga Raya 5, 81200 Johor Bahru, Johr Darul Takzim"));
    }

    #[test]
    fn a_lot_number_is_no_postcode() {
        assert!(!has_postcode("pt12345, seksyen 7,"));
        assert!(!has_postcode("(12345-x)"));
        assert!(has_postcode("no.3, jalan ss2/9,47300 petaling jaya"));
        assert!(has_postcode("43000 kajang"));
    }

    #[test]
    fn the_phone_on_the_last_address_line_is_left_out() {
        let a = address(&[
            ("SYARIKAT JAYA MAKMUR", 10.0, 10.0, 300.0, 30.0),
            ("(54321-T)", 100.0, 35.0, 200.0, 55.0),
            ("No 7, Jalan Besar,", 10.0, 60.0, 300.0, 80.0),
            ("35000 Tapah, Perak. Tel: 05-401 2345", 10.0, 85.0, 300.0, 105.0),
            ("GST No: 000111222333", 10.0, 110.0, 300.0, 130.0),
        ]);
        assert_eq!(a.as_deref(), Some("No 7, Jalan Besar, 35000 Tapah, Perak."));
    }

    #[test]
    fn a_line_of_figures_with_hardly_a_letter_starts_no_address() {
        // A registration number whose bracket and label the detector set on a line of their
        // own, read with a stray sign: figures and one letter.
        let a = address(&[
            ("KEDAI RUNCIT MAJU", 10.0, 10.0, 300.0, 30.0),
            ("(CO. No.", 10.0, 35.0, 90.0, 55.0),
            ("1 1382!.-W)", 100.0, 35.0, 200.0, 55.0),
            ("No 8, Jalan 7/118B, Desa Tun Razak", 10.0, 60.0, 300.0, 80.0),
            ("56000 Kuala Lumpur", 10.0, 85.0, 300.0, 105.0),
            ("GST Reg No: 000999888777", 10.0, 110.0, 300.0, 130.0),
        ]);
        assert_eq!(a.as_deref(), Some("No 8, Jalan 7/118B, Desa Tun Razak 56000 Kuala Lumpur"));
    }

    #[test]
    fn a_bare_registration_number_and_a_print_time_are_no_address() {
        let a = address(&[
            ("RESTORAN SELERA KITA", 10.0, 10.0, 300.0, 30.0),
            ("14 Feb 2019 12:30", 10.0, 35.0, 300.0, 55.0),
            ("001234567-W", 100.0, 60.0, 200.0, 80.0),
            ("Wisma Bunga, Lot 3", 10.0, 85.0, 300.0, 105.0),
            ("Jalan Kenari, 47100 Puchong", 10.0, 110.0, 300.0, 130.0),
            ("GST Reg No: 000999888777", 10.0, 135.0, 300.0, 155.0),
        ]);
        assert_eq!(a.as_deref(), Some("Wisma Bunga, Lot 3 Jalan Kenari, 47100 Puchong"));
        assert!(is_bare_registration("789417 w"));
        assert!(!is_bare_registration("47301"));
        assert!(!is_bare_registration("no. 12-a"));
        assert!(is_bare_registration("002043319-w"));
        // A total under its label is no registration number of the label.
        assert!(!is_bare_registration("65.000d"));
        assert!(!is_bare_registration("65000d"));
    }

    #[test]
    fn a_building_name_starts_the_address() {
        let a = address(&[
            ("KOPI HARMONI ENTERPRISE", 10.0, 10.0, 300.0, 30.0),
            ("(JM0123456-V)", 100.0, 35.0, 200.0, 55.0),
            ("Ground Floor, Menara Harmoni,", 10.0, 60.0, 300.0, 80.0),
            ("Jalan Tun Razak, 50400 Kuala Lumpur", 10.0, 85.0, 300.0, 105.0),
            ("Tel: 03-2222 3333", 10.0, 110.0, 300.0, 130.0),
        ]);
        assert_eq!(a.as_deref(), Some("Ground Floor, Menara Harmoni, Jalan Tun Razak, 50400 Kuala Lumpur"));
    }

    #[test]
    fn a_phone_printed_beside_the_address_does_not_end_it() {
        let a = address(&[
            ("PERNIAGAAN SINAR TIMUR", 10.0, 10.0, 300.0, 30.0),
            ("(112233-P)", 100.0, 35.0, 200.0, 55.0),
            ("Lot 9, Jalan Industri 2,", 10.0, 60.0, 250.0, 80.0),
            ("Tel: 09-555 1234", 400.0, 60.0, 560.0, 80.0),
            ("Kawasan Perindustrian Gong,", 10.0, 85.0, 250.0, 105.0),
            ("20000 Kuala Terengganu", 10.0, 110.0, 250.0, 130.0),
            ("GST ID: 000555666777", 10.0, 135.0, 300.0, 155.0),
        ]);
        assert_eq!(a.as_deref(), Some("Lot 9, Jalan Industri 2, Kawasan Perindustrian Gong, 20000 Kuala Terengganu"));
    }

    #[test]
    fn a_labelled_address_needs_no_number() {
        let a = address(&[
            ("QUÁN CƠM HOA SEN", 10.0, 10.0, 300.0, 30.0),
            ("Địa chỉ: Hoàn Kiếm, Hà Nội", 10.0, 40.0, 300.0, 60.0),
            ("ĐT: 024 3826 1234", 10.0, 70.0, 300.0, 90.0),
        ]);
        assert_eq!(a.as_deref(), Some("Hoàn Kiếm, Hà Nội"));
    }

    #[test]
    fn an_address_label_without_an_address_after_it_is_passed_over() {
        let a = address(&[
            ("GADGET POINT SDN BHD", 10.0, 10.0, 300.0, 30.0),
            ("(445566-D)", 100.0, 35.0, 200.0, 55.0),
            ("No. 2, Jalan Teknologi,", 10.0, 60.0, 300.0, 80.0),
            ("63000 Cyberjaya", 10.0, 85.0, 300.0, 105.0),
            ("Tel: 03-8888 9999", 10.0, 110.0, 300.0, 130.0),
            ("Email address: help@example.com", 10.0, 400.0, 300.0, 420.0),
        ]);
        assert_eq!(a.as_deref(), Some("No. 2, Jalan Teknologi, 63000 Cyberjaya"));
    }
}
