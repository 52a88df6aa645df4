//! What a line's text looks like: a label, a number, a `label: value` line.

/// Longest label, in characters. Form and receipt labels are a few words (`Mã số thuế`,
/// `Invoice number`, `Ngày sinh`); a longer run of text before a colon is a sentence.
pub const MAX_LABEL_CHARS: usize = 40;
/// Most words in a label, for the same reason.
pub const MAX_LABEL_WORDS: usize = 6;

/// The characters of `s` that are not blank.
fn ink(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| !c.is_whitespace())
}

/// A label: short, at least one letter, and mostly letters (a few digits or signs may sit in
/// it: `Số HĐ`, `Mã KH (1)`).
pub fn label_like(s: &str) -> bool {
    let s = s.trim();
    let n = ink(s).count();
    if n == 0 || s.chars().count() > MAX_LABEL_CHARS || s.split_whitespace().count() > MAX_LABEL_WORDS {
        return false;
    }
    let letters = ink(s).filter(|c| c.is_alphabetic()).count();
    letters > 0 && letters * 10 >= n * 6
}

/// A label ending with a colon and nothing after it (`Ngày:`, `Total :`); the label without
/// the colon.
pub fn colon_label(s: &str) -> Option<&str> {
    let t = s.trim_end();
    let head = t.strip_suffix(':').or_else(|| t.strip_suffix('：'))?;
    label_like(head).then(|| head.trim())
}

/// A number or an amount: it has a digit, and digits and the signs written around numbers
/// (`.,:-/%+()#`, currency marks) make at least 60 % of its characters (`6.000`, `65.000đ`,
/// `RM 5.90`, `12/03/2024`, `x2`).
pub fn numeric(s: &str) -> bool {
    let n = ink(s).count();
    let numberish = ink(s).filter(|c| c.is_ascii_digit() || ".,:-/%+()#$€£¥₫đ".contains(*c)).count();
    ink(s).any(|c| c.is_ascii_digit()) && numberish * 10 >= n * 6
}

/// `Label: value` in one line: the character index of the first colon, when what comes
/// before it is a label and something follows it. A colon between digits (`10:15`) or in a
/// link (`https://`) is not a label's.
pub fn inline_split(s: &str) -> Option<usize> {
    let chars: Vec<char> = s.chars().collect();
    let at = chars.iter().position(|&c| c == ':' || c == '：')?;
    let before = chars[..at].iter().rev().find(|c| !c.is_whitespace());
    let after = chars.get(at + 1);
    if before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    if after == Some(&'/') {
        return None;
    }
    let key: String = chars[..at].iter().collect();
    let value: String = chars[at + 1..].iter().collect();
    (label_like(&key) && !value.trim().is_empty()).then_some(at)
}

/// Mostly upper-case letters (`CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`, `HÓA ĐƠN BÁN HÀNG`).
pub fn upper_case(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 8
}

/// Most words in a label that has no colon: a form's field names are one to four words (`Name`,
/// `Date of birth`, `Phone number`); without the colon, a longer line is more likely a sentence.
pub const MAX_BARE_LABEL_WORDS: usize = 4;

/// A label without a colon: a few words of letters. A field name holds no digits: a short
/// line with a number in it (`Room 43, State House`, `Spent Prior to 1989`) is content.
pub fn short_label(s: &str) -> bool {
    label_like(s) && !s.chars().any(|c| c.is_ascii_digit()) && s.split_whitespace().count() <= MAX_BARE_LABEL_WORDS
}

/// An initial: a capital letter and a period (`W.`), as a person's name is written on a form.
pub fn initial(t: &str) -> bool {
    let mut c = t.chars();
    matches!((c.next(), c.next(), c.next()), (Some(a), Some('.'), None) if a.is_uppercase())
}

/// The nouns that name a form's fields: who, when, where, what, how many. A form's field
/// names come from this small vocabulary (`Date`, `To`, `Fax No.`, `Name of applicant`,
/// `Phone number`, `Client(s)`), and the words typed into the fields (a person's or a firm's
/// name, a place, a description) rarely begin or end with one of them.
#[rustfmt::skip]
pub const FIELD_WORDS: &[&str] = &[
    // who
    "name", "to", "from", "attn", "attention", "cc", "company", "firm", "organization", "employer",
    "department", "dept", "division", "customer", "client", "contact", "supervisor", "manager",
    "position", "title", "signature",
    // when
    "date", "dates", "time", "period",
    // where
    "address", "city", "state", "zip", "country", "location", "place", "phone", "telephone", "tel",
    "fax", "facsimile",
    // what
    "subject", "re", "ref", "reference", "no", "number", "code", "account", "acct", "item",
    "description", "remarks",
    // how many
    "pages", "quantity", "qty", "amount", "price", "cost", "total",
];

/// The same for Vietnamese, whose noun phrases start with their head: `Ngày sinh` (date of
/// birth), `Họ và tên`, `Tên khách hàng`, `Số điện thoại`, `Địa chỉ`, `Mã số thuế`, `Ghi chú`
/// (note), `Nơi cấp` (place of issue), `Người nhận` (recipient).
pub const FIELD_WORDS_VI: &[&str] = &["ngày", "tên", "họ", "số", "địa", "điện", "mã", "ghi", "nơi", "người"];

/// A field's name: a short line of words without digits (at most
/// [`MAX_BARE_LABEL_WORDS`]) whose head noun is one of the
/// [`FIELD_WORDS`] (a plural `(s)` or a number sign `#` after it counts as the word). An English
/// noun phrase ends with its head (`PHONE NUMBER`, `Fax No.`, `Client(s)`), unless a phrase
/// with `of` or a participle follows it (`Name of applicant`, `Date Requested`, `Amount due`);
/// a field word in front of another noun only qualifies it (`Cost Reduction` is an option). In
/// Vietnamese the head comes first ([`FIELD_WORDS_VI`]).
pub fn field_name(s: &str) -> bool {
    let clean = |w: &str| {
        let w = w.to_lowercase().replace("(s)", "");
        w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned()
    };
    let words: Vec<String> = s.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).map(clean).collect();
    let field = |w: &String| FIELD_WORDS.contains(&w.as_str());
    let head_first = match words.as_slice() {
        [first, second, _, ..] if second == "of" => field(first),
        [first, second, ..] => field(first) && (second.ends_with("ed") || second == "due"),
        _ => false,
    };
    // An initial (`A. Price`) is a person's: field names are written out.
    let short = !s.split_whitespace().any(initial) && short_label(s);
    let head_vi = words.first().is_some_and(|w| FIELD_WORDS_VI.contains(&w.as_str()));
    short && (words.last().is_some_and(field) || head_first || head_vi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_and_mostly_letters() {
        for s in ["Ngày", "Mã số thuế", "Invoice No", "Số HĐ", "Date"] {
            assert!(label_like(s), "{s}");
        }
        for s in ["", "12/03/2024", "65.000", "Bên bán có trách nhiệm giao đủ số lượng hàng hóa ghi trong phụ lục"]
        {
            assert!(!label_like(s), "{s}");
        }
        assert_eq!(colon_label("Ngày sinh:"), Some("Ngày sinh"));
        assert_eq!(colon_label("Total : "), Some("Total"));
        assert_eq!(colon_label("Ngày sinh"), None);
        assert_eq!(colon_label("12:"), None);
    }

    #[test]
    fn numbers_and_amounts_are_numeric() {
        for s in ["6.000", "65.000đ", "RM 5.90", "12/03/2024", "1.234.567", "(3)"] {
            assert!(numeric(s), "{s}");
        }
        for s in ["Bánh baget ĐT", "Tổng cộng", "Số 12 Lê Lợi", ""] {
            assert!(!numeric(s), "{s}");
        }
    }

    #[test]
    fn a_label_and_value_split_at_the_first_colon_but_not_in_times_or_links() {
        assert_eq!(inline_split("Ngày: 12/03/2024"), Some(4));
        assert_eq!(inline_split("MST: 0101234567 - Chi nhánh: 2"), Some(3));
        assert_eq!(inline_split("Giờ vào 10:15"), None);
        assert_eq!(inline_split("https://example.com"), None);
        assert_eq!(inline_split("Ngày:"), None, "nothing after the colon");
        assert_eq!(inline_split("Bên bán có trách nhiệm giao đủ số lượng hàng hóa như sau: một"), None);
    }

    #[test]
    fn upper_case_lines_are_told_apart() {
        assert!(upper_case("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        assert!(!upper_case("Độc lập - Tự do - Hạnh phúc"));
    }
}
