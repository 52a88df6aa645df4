//! A short, conservative list of OCR confusions, fixed only where the context leaves no doubt:
//! letters that look like digits, inside a number.
//!
//! | read as | fixed to | only when |
//! |---|---|---|
//! | `O`, `o` | `0` | the run of such letters has a digit right before and right after it |
//! | `l`, `I`, `\|` | `1` | the same |
//!
//! So `2O24` → `2024`, `1OO5` → `1005`, `3l5` → `315`, but `O2`, `Mr. O 5`, `lOl` and words
//! stay as they are. Each replacement is one character for one, so confidences stay in step.

/// The digit a letter is mistaken for, if it is on the list.
fn as_digit(c: char) -> Option<char> {
    match c {
        'O' | 'o' => Some('0'),
        'l' | 'I' | '|' => Some('1'),
        _ => None,
    }
}

/// Fixes the confusions in `chars`; returns how many characters changed.
pub fn fix(chars: &mut [(char, f32)]) -> usize {
    let mut fixed = 0;
    let mut i = 1;
    while i < chars.len() {
        if as_digit(chars[i].0).is_none() || !chars[i - 1].0.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && as_digit(chars[i].0).is_some() {
            i += 1;
        }
        if i < chars.len() && chars[i].0.is_ascii_digit() {
            for slot in &mut chars[start..i] {
                if let Some(d) = as_digit(slot.0) {
                    slot.0 = d;
                    fixed += 1;
                }
            }
        }
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> String {
        let mut chars: Vec<(char, f32)> = text.chars().map(|c| (c, 0.5)).collect();
        fix(&mut chars);
        chars.into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn letters_between_digits_become_digits() {
        assert_eq!(run("2O24"), "2024");
        assert_eq!(run("1OO5 and 3l5 and 7I9 and 4|2 and 1o1"), "1005 and 315 and 719 and 412 and 101");
        assert_eq!(run("SĐT 09l2 345 6O8"), "SĐT 0912 345 608");
    }

    #[test]
    fn letters_not_surrounded_by_digits_stay() {
        for text in ["O2", "2O", "Mr. O 5", "lOl", "Hello 2024", "10 Oct", "1 l 1", "Phòng 2O"] {
            assert_eq!(run(text), text);
        }
    }
}
