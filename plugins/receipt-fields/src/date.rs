//! Dates as printed on receipts, normalized to ISO 8601 (`YYYY-MM-DD`).
//!
//! Numeric dates are read day first (`12/03/2024` is 12 March), as Vietnam, Malaysia and most
//! of the world write them; month first only when day first is no date (`03/25/2024`).
//! Two-digit years are 20yy.

use crate::text::{Token, fold, tokens};

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// The first date in `text`, as `YYYY-MM-DD`.
pub fn find_date(text: &str) -> Option<String> {
    let t = tokens(&fold(text));
    (0..t.len()).find_map(|i| date_at(&t[i..]))
}

fn num(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Num(n)) => Some(n),
        _ => None,
    }
}

fn word(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Word(w)) => Some(w),
        _ => None,
    }
}

fn month_name(w: &str) -> Option<u32> {
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| w.starts_with(m)).map(|i| i as u32 + 1)
}

/// A date starting at the first token.
fn date_at(t: &[Token]) -> Option<String> {
    // `Ngày 12 tháng 3 năm 2024`
    if word(t.first()) == Some("ngay") {
        let d = num(t.get(1))?;
        if word(t.get(2)) == Some("thang") && word(t.get(4)) == Some("nam") {
            return iso(num(t.get(5))?, num(t.get(3))?, d);
        }
        return None;
    }
    // `Mar 12, 2018`
    if let Some(m) = word(t.first()).and_then(month_name) {
        let d = num(t.get(1))?;
        let y = if matches!(t.get(2), Some(Token::Sep(','))) { num(t.get(3)) } else { num(t.get(2)) }?;
        return iso(y, &m.to_string(), d).filter(|_| y.len() == 4);
    }
    let first = num(t.first())?;
    // `12 Mar 2018`, `12-Mar-18`
    let mut i = 1;
    if matches!(t.get(i), Some(Token::Sep('-' | '/' | '.'))) {
        i += 1;
    }
    if let Some(m) = word(t.get(i)).and_then(month_name) {
        let mut j = i + 1;
        if matches!(t.get(j), Some(Token::Sep('-' | '/' | '.' | ','))) {
            j += 1;
        }
        return iso(num(t.get(j))?, &m.to_string(), first);
    }
    // `12/03/2024`, `12-03-24`, `2024-03-12`
    let Some(Token::Sep(sep @ ('/' | '-' | '.'))) = t.get(1) else { return None };
    let second = num(t.get(2))?;
    if t.get(3) != Some(&Token::Sep(*sep)) {
        return None;
    }
    let third = num(t.get(4))?;
    if first.len() == 4 {
        return iso(first, second, third);
    }
    if third.len() != 2 && third.len() != 4 {
        return None;
    }
    iso(third, second, first).or_else(|| iso(third, first, second))
}

/// `YYYY-MM-DD` when the parts make a real calendar date (years 1970-2099).
fn iso(y: &str, m: &str, d: &str) -> Option<String> {
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let y = match y {
        0..=99 => 2000 + y,
        1970..=2099 => y,
        _ => return None,
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_dates_read_day_first() {
        assert_eq!(find_date("Ngày: 12/03/2024").as_deref(), Some("2024-03-12"));
        assert_eq!(find_date("09-04-2018 13:05").as_deref(), Some("2018-04-09"));
        assert_eq!(find_date("26-03-18").as_deref(), Some("2018-03-26"));
        assert_eq!(find_date("10.03.2018").as_deref(), Some("2018-03-10"));
        assert_eq!(find_date("2024-03-12").as_deref(), Some("2024-03-12"));
        assert_eq!(find_date("03/25/2024").as_deref(), Some("2024-03-25"));
    }

    #[test]
    fn dates_in_words_in_vietnamese_and_english() {
        assert_eq!(find_date("Ngày 12 tháng 3 năm 2024").as_deref(), Some("2024-03-12"));
        assert_eq!(find_date("Hà Nội, ngày 5 tháng 11 năm 2023").as_deref(), Some("2023-11-05"));
        assert_eq!(find_date("12 Mar 2018").as_deref(), Some("2018-03-12"));
        assert_eq!(find_date("12-MAR-18").as_deref(), Some("2018-03-12"));
        assert_eq!(find_date("March 12, 2018").as_deref(), Some("2018-03-12"));
    }

    #[test]
    fn things_that_are_no_dates() {
        assert_eq!(find_date("31/02/2024"), None);
        assert_eq!(find_date("Tel: 03-7956 1234"), None);
        assert_eq!(find_date("12:30:45"), None);
        assert_eq!(find_date("Total 5.90"), None);
    }
}
