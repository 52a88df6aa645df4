//! Finds personal data in a line of text: pure functions over characters, unit-tested on the
//! host target. Hand-written scanners rather than regular expressions: every call runs in a
//! fresh instance, so a regex would be compiled again for every page.

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `local@domain.tld`.
    Email,
    /// Vietnamese numbers (`0xxxxxxxxx` mobile, `02xxxxxxxxx` landline, `+84…`, `84…`) and
    /// international ones (`+` or `00` then 8 to 15 digits).
    Phone,
    /// Vietnamese citizen ID (CCCD): 12 digits starting with the 0 of a province code.
    CitizenId,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Email, Kind::Phone, Kind::CitizenId];

    /// The name used in the `kinds` config.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::CitizenId => "cccd",
        }
    }
}

/// A match: `chars[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Every e-mail address, phone number and citizen ID in `chars`, not overlapping, in order.
pub fn find(chars: &[char]) -> Vec<Found> {
    let mut found = emails(chars);
    let mut taken = vec![false; chars.len()];
    for f in &found {
        taken[f.start..f.end].iter_mut().for_each(|t| *t = true);
    }
    found.extend(numbers(chars, &taken));
    found.sort_by_key(|f| f.start);
    found
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

fn emails(chars: &[char]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut search_from = 0;
    for at in 0..chars.len() {
        if chars[at] != '@' || at < search_from {
            continue;
        }
        let mut start = at;
        while start > search_from && is_local(chars[start - 1]) {
            start -= 1;
        }
        while start < at && chars[start] == '.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_domain(chars[end]) {
            end += 1;
        }
        // A full stop or hyphen after the address ends the sentence, not the domain.
        while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain = &chars[at + 1..end];
        let tld_len = domain.iter().rev().take_while(|c| **c != '.').count();
        let tld_ok = tld_len >= 2
            && tld_len < domain.len()
            && domain[domain.len() - tld_len..].iter().all(char::is_ascii_alphabetic);
        if start < at && tld_ok && !domain.starts_with(&['.']) {
            out.push(Found { kind: Kind::Email, start, end });
            search_from = end;
        }
    }
    out
}

/// Characters allowed between the digit groups of one number.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '(' | ')')
}

/// A run of digits: `chars[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

fn numbers(chars: &[char], taken: &[bool]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // A number starts at a digit or `+`, not glued to a word or another number.
        let starts = (chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            && !taken[i]
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '+'));
        if !starts {
            i += 1;
            continue;
        }
        let plus = chars[i] == '+';
        // The digit groups of the run, separated by at most two separator characters.
        let mut groups = Vec::new();
        let mut j = i + usize::from(plus);
        loop {
            let start = j;
            while j < chars.len() && chars[j].is_ascii_digit() && !taken[j] {
                j += 1;
            }
            groups.push(Group { start, end: j });
            let mut k = j;
            while k < chars.len() && k - j < 2 && is_separator(chars[k]) {
                k += 1;
            }
            if k > j && k < chars.len() && chars[k].is_ascii_digit() && !taken[k] {
                j = k;
            } else {
                break;
            }
        }
        // Glued to a letter after it (`12345678901ab`): a code, not a number.
        let end_ok = |g: &Group| !chars.get(g.end).is_some_and(|c| c.is_alphanumeric());
        // Longest match first, from each group on.
        let mut g0 = 0;
        while g0 < groups.len() {
            let with_plus = plus && g0 == 0;
            let hit = (g0..groups.len()).rev().find_map(|g1| {
                if !end_ok(&groups[g1]) {
                    return None;
                }
                let digits: String = groups[g0..=g1].iter().flat_map(|g| chars[g.start..g.end].iter()).collect();
                classify(&digits, with_plus).map(|kind| (g1, kind))
            });
            match hit {
                Some((g1, kind)) => {
                    let start = if with_plus { i } else { groups[g0].start };
                    out.push(Found { kind, start, end: groups[g1].end });
                    g0 = g1 + 1;
                }
                None => g0 += 1,
            }
        }
        i = groups.last().map_or(i + 1, |g| g.end.max(i + 1));
    }
    out
}

/// What a number is, from its digits (separators removed).
fn classify(digits: &str, plus: bool) -> Option<Kind> {
    let b = digits.as_bytes();
    let n = b.len();
    let mobile_prefix = |c: u8| matches!(c, b'3' | b'5' | b'7' | b'8' | b'9');
    if plus {
        return (8..=15).contains(&n).then_some(Kind::Phone);
    }
    if n == 10 && b[0] == b'0' && mobile_prefix(b[1]) {
        return Some(Kind::Phone);
    }
    if n == 11 && b.starts_with(b"02") {
        return Some(Kind::Phone);
    }
    if n == 11 && b.starts_with(b"84") && mobile_prefix(b[2]) {
        return Some(Kind::Phone);
    }
    // Before the `00` prefix: province codes run from 001 to 096.
    if n == 12 && b[0] == b'0' {
        return Some(Kind::CitizenId);
    }
    if b.starts_with(b"00") && (10..=17).contains(&n) {
        return Some(Kind::Phone);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        let chars: Vec<char> = text.chars().collect();
        find(&chars).into_iter().map(|f| (f.kind, chars[f.start..f.end].iter().collect())).collect()
    }

    fn one(kind: Kind, s: &str) -> Vec<(Kind, String)> {
        vec![(kind, s.to_string())]
    }

    #[test]
    fn finds_email_addresses() {
        assert_eq!(
            kinds("Liên hệ: nguyen.van-a+ocr@mail.example.com.vn."),
            one(Kind::Email, "nguyen.van-a+ocr@mail.example.com.vn")
        );
        assert_eq!(kinds("a@b.co, x_y@z.org"), [(Kind::Email, "a@b.co".into()), (Kind::Email, "x_y@z.org".into())]);
        for text in ["@handle", "user@localhost", "a@b.c", "a@.com", "email: @ example.com"] {
            assert_eq!(kinds(text), vec![], "{text}");
        }
    }

    #[test]
    fn finds_vietnamese_and_international_phone_numbers() {
        for (text, number) in [
            ("ĐT 0912345678.", "0912345678"),
            ("ĐT: 0912 345 678", "0912 345 678"),
            ("0912.345.678", "0912.345.678"),
            ("0386-123-456", "0386-123-456"),
            ("+84 912 345 678", "+84 912 345 678"),
            ("(+84) 912-345-678", "+84) 912-345-678"),
            ("+84912345678", "+84912345678"),
            ("84912345678", "84912345678"),
            ("(028) 3822 1234", "028) 3822 1234"),
            ("+44 20 7946 0958", "+44 20 7946 0958"),
            ("0044 20 7946 0958", "0044 20 7946 0958"),
            ("+1 (415) 555-0132", "+1 (415) 555-0132"),
        ] {
            assert_eq!(kinds(text), one(Kind::Phone, number), "{text}");
        }
    }

    #[test]
    fn two_numbers_side_by_side_are_two_matches() {
        assert_eq!(
            kinds("0912345678 0987654321"),
            [(Kind::Phone, "0912345678".into()), (Kind::Phone, "0987654321".into())]
        );
    }

    #[test]
    fn finds_citizen_ids() {
        assert_eq!(kinds("Số CCCD: 001203004567"), one(Kind::CitizenId, "001203004567"));
        assert_eq!(kinds("CCCD 001 203 004 567"), one(Kind::CitizenId, "001 203 004 567"));
        assert_eq!(
            kinds("001203004567 0912345678"),
            [(Kind::CitizenId, "001203004567".into()), (Kind::Phone, "0912345678".into())]
        );
    }

    #[test]
    fn leaves_dates_amounts_and_codes_alone() {
        for text in [
            "Ngày 12/05/2024",
            "Tổng: 1.250.000 đ",
            "Mã HD0912345678",
            "0912345678ab",
            "123456789012", // 12 digits not starting with 0
            "Phòng 302, tầng 4",
            "+12345",
        ] {
            assert_eq!(kinds(text), vec![], "{text}");
        }
    }
}
