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

fn ends_address(folded: &str) -> bool {
    AFTER_ADDRESS.iter().any(|w| find_word(folded, w).is_some()) || find_date(folded).is_some() || is_contact(folded)
}

/// The seller's name and address. The name, near the top: the line carrying the company's
/// registration number (`NAME (1234-X)`) or the line right above a line of only that number,
/// else a line with a business word (`SDN BHD`, `Cửa hàng`…), else the first line that is not
/// a heading. The address: labelled (`Địa chỉ:`), else the lines after the name (past any
/// registration line and, at most three, lines with neither a digit nor an address word, such
/// as `formerly known as …`) up to the first contact or document line.
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
    if let Some((_, c)) = page.labelled(ADDRESS_LABELS, &none).into_iter().next() {
        out.push(page.field("seller_address", c.text, None, c.line_ids, c.weight));
        return out;
    }
    let start = page.order.iter().position(|i| Some(i) == name_ids.last()).map_or(0, |p| p + 1);
    let mut ids = Vec::new();
    let mut skipped = 0;
    for &id in page.order.iter().skip(start) {
        let f = page.folded(id);
        if ids.is_empty() && is_registration(&f) {
            continue;
        }
        if ends_address(&f) || is_heading(&f) || ids.len() == 6 {
            break;
        }
        let addressy =
            f.chars().any(|c| c.is_ascii_digit()) || ADDRESS_WORDS.iter().any(|w| find_word(&f, w).is_some());
        if ids.is_empty() && !addressy && skipped < 3 {
            skipped += 1;
            continue;
        }
        ids.push(id);
    }
    if !ids.is_empty() {
        let text: Vec<&str> = ids.iter().map(|i| page.lines[*i as usize].text.trim()).collect();
        out.push(page.field("seller_address", text.join(" "), None, ids, 0.6));
    }
    out
}

/// Words that start or make an address line without a number.
const ADDRESS_WORDS: &[&str] = &[
    "jalan",
    "jln",
    "lorong",
    "taman",
    "lot",
    "level",
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
}
