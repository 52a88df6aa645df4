//! Amounts of money as printed on receipts, and their currency.

use crate::text::fold;

/// The amounts printed in `text`, in order, each as (as printed, plain number). A plain number
/// has no thousands separators and a `.` before decimals: `65.000đ` → `65000`,
/// `1.234.567 VND` → `1234567`, `RM 5.90` → `5.90`, `5,90` → `5.90`, `1,234.50` → `1234.50`.
/// Numbers followed by `%` (rates) are left out.
pub fn amounts(text: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_alphabetic() && !currency_before(&chars[..i])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (matches!(chars[i], '.' | ',') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())))
        {
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        let next = chars[i..].iter().find(|c| !c.is_whitespace());
        if next == Some(&'%') || matches!(next, Some('/') | Some(':')) && !raw.contains(['.', ',']) {
            continue;
        }
        if let Some(n) = plain_number(&raw) {
            out.push((raw, n));
        }
    }
    out
}

/// A currency mark right before a digit (`RM5.90`, `$5`), which counts as a separator.
fn currency_before(before: &[char]) -> bool {
    let tail: String = before.iter().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    let tail = tail.to_lowercase();
    tail.ends_with("rm") || tail.ends_with("vnd") || tail.ends_with("usd") || tail.ends_with("myr")
}

/// One printed number (digits with `.`/`,`) as a plain number; `None` when it is no amount.
pub fn plain_number(raw: &str) -> Option<String> {
    if raw.is_empty() || !raw.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let dots = raw.matches('.').count();
    let commas = raw.matches(',').count();
    let (int, dec) = match (dots, commas) {
        (0, 0) => (raw.to_owned(), None),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let parts: Vec<&str> = raw.split(sep).collect();
            let last = parts[parts.len() - 1];
            if parts.len() > 2 || last.len() == 3 {
                // Thousands separators: every group after the first has three digits.
                if parts[1..].iter().any(|p| p.len() != 3) {
                    return None;
                }
                (parts.concat(), None)
            } else {
                (parts[0].to_owned(), Some(last.to_owned()))
            }
        }
        _ => {
            // Both: the last one is the decimal mark.
            let last_dot = raw.rfind('.')?;
            let last_comma = raw.rfind(',')?;
            let (dec_at, thousands) = if last_dot > last_comma { (last_dot, ',') } else { (last_comma, '.') };
            let int: String = raw[..dec_at].chars().filter(|c| *c != thousands).collect();
            if int.contains(['.', ',']) {
                return None;
            }
            (int, Some(raw[dec_at + 1..].to_owned()))
        }
    };
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    Some(match dec {
        Some(d) if !d.is_empty() => format!("{int}.{d}"),
        _ => int.to_owned(),
    })
}

/// The currency a text names: `đ`, `₫`, `VND` → VND; `RM`, `MYR` → MYR; `$`, `USD` → USD;
/// `€`, `EUR` → EUR; `S$`, `SGD` → SGD; `£`, `GBP` → GBP; `¥`, `JPY` → JPY.
pub fn currency(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    let folded = fold(text);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    let has = |w: &str| words.contains(&w);
    if lower.contains('₫') || has("vnd") || has("vnđ") || has("dong") || lower.contains("vnđ") {
        return Some("VND");
    }
    // `65.000đ`, `65.000 đ`: a đ right after an amount.
    let chars: Vec<char> = lower.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == 'đ' && (chars[..i].iter().rev().find(|c| !c.is_whitespace()).is_some_and(|c| c.is_ascii_digit())) {
            return Some("VND");
        }
    }
    if has("sgd") || lower.contains("s$") {
        return Some("SGD");
    }
    if has("rm") || has("myr") || words.iter().any(|w| w.starts_with("rm") && w.len() == 2) {
        return Some("MYR");
    }
    if lower.contains("rm") && chars.windows(3).any(|w| w[0] == 'r' && w[1] == 'm' && w[2].is_ascii_digit()) {
        return Some("MYR");
    }
    if has("usd") || lower.contains('$') {
        return Some("USD");
    }
    if has("eur") || lower.contains('€') {
        return Some("EUR");
    }
    if has("gbp") || lower.contains('£') {
        return Some("GBP");
    }
    if has("jpy") || lower.contains('¥') {
        return Some("JPY");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<String> {
        amounts(text).into_iter().next().map(|a| a.1)
    }

    #[test]
    fn amounts_parse_with_each_convention() {
        assert_eq!(first("Tổng cộng: 65.000đ").as_deref(), Some("65000"));
        assert_eq!(first("1.234.567 VND").as_deref(), Some("1234567"));
        assert_eq!(first("RM 5.90").as_deref(), Some("5.90"));
        assert_eq!(first("RM5.90").as_deref(), Some("5.90"));
        assert_eq!(first("5,90").as_deref(), Some("5.90"));
        assert_eq!(first("65,000").as_deref(), Some("65000"));
        assert_eq!(first("1,234.50").as_deref(), Some("1234.50"));
        assert_eq!(first("1.234,50 €").as_deref(), Some("1234.50"));
        assert_eq!(first("TOTAL 31.00").as_deref(), Some("31.00"));
        assert_eq!(first("$0.50").as_deref(), Some("0.50"));
    }

    #[test]
    fn rates_and_malformed_numbers_are_no_amounts() {
        assert_eq!(first("GST 6%"), None);
        assert_eq!(plain_number("1.23.4"), None);
        assert_eq!(amounts("SR 6% 8.02").len(), 1);
    }

    #[test]
    fn currencies_are_named_by_their_marks() {
        assert_eq!(currency("65.000đ"), Some("VND"));
        assert_eq!(currency("65.000 đ"), Some("VND"));
        assert_eq!(currency("1.234.567 VND"), Some("VND"));
        assert_eq!(currency("Total RM 5.90"), Some("MYR"));
        assert_eq!(currency("TOTAL RM31.60"), Some("MYR"));
        assert_eq!(currency("$ 12.00"), Some("USD"));
        assert_eq!(currency("Đường Lê Lợi"), None);
        assert_eq!(currency("TOTAL 5.90"), None);
    }
}
