//! Text helpers: folding for keyword matching, and a small tokenizer.

use unicode_normalization::UnicodeNormalization;

/// Folds one character for matching: lower case, diacritics dropped (`Ổ` → `o`, `đ` → `d`).
/// Always one character out for one in, so positions in the folded text are positions in the
/// original (counted in characters).
pub fn fold_char(c: char) -> char {
    if c == 'đ' || c == 'Đ' {
        return 'd';
    }
    let base = c.nfd().next().unwrap_or(c);
    base.to_lowercase().next().unwrap_or(base)
}

/// [`fold_char`] over a string.
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// Where `keyword` (folded, ASCII) starts and ends in `folded`, in characters, standing as
/// whole words (no letter or digit right before or after it). A space in `keyword` matches any
/// run of spaces and of `(`, `)`, `.`, `-`, `_` (`total incl` matches `Total (Incl.`, `co reg`
/// matches `CO.REG`). The first such place.
pub fn find_word(folded: &str, keyword: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = folded.chars().collect();
    let kw: Vec<char> = keyword.chars().collect();
    let gap = |c: char| c.is_whitespace() || matches!(c, '(' | ')' | '.' | '-' | '_');
    let last_is_word = kw.last().is_some_and(|c| c.is_alphanumeric());
    for start in 0..chars.len() {
        if start > 0 && chars[start - 1].is_alphanumeric() {
            continue;
        }
        let (mut i, mut k) = (start, 0);
        while k < kw.len() && i < chars.len() {
            if kw[k] == ' ' {
                if !gap(chars[i]) {
                    break;
                }
                while i < chars.len() && gap(chars[i]) {
                    i += 1;
                }
                k += 1;
            } else if chars[i] == kw[k] {
                i += 1;
                k += 1;
            } else {
                break;
            }
        }
        if k == kw.len() && (i == chars.len() || !last_is_word || !chars[i].is_alphanumeric()) {
            return Some((start, i));
        }
    }
    None
}

/// The characters of `s` from character `from` on, trimmed of spaces and of the `:`/`-`/`.`
/// that separate a label from its value.
pub fn rest_after(s: &str, from: usize) -> String {
    let rest: String = s.chars().skip(from).collect();
    rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '.' | '=' | '#' | '/' | ')'))
        .trim()
        .to_owned()
}

/// A piece of folded text.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A run of ASCII digits.
    Num(String),
    /// A run of letters.
    Word(String),
    /// Any other non-space character.
    Sep(char),
}

/// Splits folded text into digit runs, letter runs and single other characters; spaces only
/// separate.
pub fn tokens(folded: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = folded.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut s = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                s.push(d);
                chars.next();
            }
            out.push(Token::Num(s));
        } else if c.is_alphabetic() {
            let mut s = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphabetic()) {
                s.push(d);
                chars.next();
            }
            out.push(Token::Word(s));
        } else {
            out.push(Token::Sep(c));
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_one_char_per_char_and_drops_marks() {
        assert_eq!(fold("Tổng Cộng: 65.000đ"), "tong cong: 65.000d");
        assert_eq!(fold("ĐỊA CHỈ").chars().count(), "ĐỊA CHỈ".chars().count());
    }

    #[test]
    fn words_are_found_whole() {
        assert_eq!(find_word("subtotal 5", "total"), None);
        assert_eq!(find_word("sub total 5", "total"), Some((4, 9)));
        assert_eq!(find_word("so: 12", "so:"), Some((0, 3)));
        assert_eq!(find_word("total (inclusive of gst)", "total inclusive"), Some((0, 16)));
        assert_eq!(find_word("(co.reg :860671-d)", "co reg"), Some((1, 7)));
        assert_eq!(find_word("sub-total", "total"), Some((4, 9)));
        assert_eq!(rest_after("Total : RM 5.90", 5), "RM 5.90");
    }

    #[test]
    fn tokens_split_digits_letters_and_marks() {
        assert_eq!(
            tokens("12/03 thang"),
            vec![Token::Num("12".into()), Token::Sep('/'), Token::Num("03".into()), Token::Word("thang".into())]
        );
    }
}
