//! Vietnamese tone-mark placement in the syllables ending in `oa`, `oe` and `uy`.
//!
//! Vietnamese writes these open syllables two ways, and OCR output (and typed text) mixes them:
//!
//! | style | tone on | examples |
//! |---|---|---|
//! | `old` (traditional, "kiểu cũ") | the first vowel | `hòa`, `khỏe`, `thúy` |
//! | `new` (1980s spelling reform, "kiểu mới") | the second vowel | `hoà`, `khoẻ`, `thuý` |
//!
//! Only a syllable whose vowels are exactly `oa`, `oe` or `uy` (no circumflex, breve or horn) at
//! its end changes: with a final consonant (`hoàng`, `toán`, `quyết`) or a third vowel (`ngoài`,
//! `khuya`) both styles agree, and in `qu` + `y` (`quý`) the `u` belongs to the consonant.
//! Moving the mark never changes the number of characters, so confidences stay in step.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::compose;

/// Where the tone mark goes in `oa`, `oe`, `uy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneStyle {
    /// On the first vowel: `hòa`, `khỏe`, `thúy`.
    Old,
    /// On the second vowel: `hoà`, `khoẻ`, `thuý`.
    New,
}

/// The five Vietnamese tone marks as combining characters: grave, acute, hook above, tilde,
/// dot below.
const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{309}', '\u{303}', '\u{323}'];

/// Places the tone mark of every `oa`/`oe`/`uy` syllable of `chars` (NFC text) by `style`.
pub fn apply(chars: &mut [(char, f32)], style: ToneStyle) {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].0.is_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].0.is_alphabetic() {
            i += 1;
        }
        place(&mut chars[start..i], style);
    }
}

/// One letter split into its lowercase base, its tone mark, and whether it carries another
/// diacritic (circumflex, breve, horn: `â`, `ă`, `ơ`…), which rules it out of `oa`/`oe`/`uy`.
struct Letter {
    base: char,
    tone: Option<char>,
    other_mark: bool,
}

fn letter(c: char) -> Letter {
    let mut base = c;
    let mut tone = None;
    let mut other_mark = false;
    for (k, d) in c.nfd().enumerate() {
        if k == 0 {
            base = d;
        } else if TONES.contains(&d) {
            tone = Some(d);
        } else {
            other_mark = true;
        }
    }
    Letter { base: base.to_lowercase().next().unwrap_or(base), tone, other_mark }
}

fn place(syllable: &mut [(char, f32)], style: ToneStyle) {
    let n = syllable.len();
    // The shortest candidates are "oa", "uy"; Vietnamese syllables have at most 7 letters.
    if !(2..=7).contains(&n) {
        return;
    }
    let (a, b) = (letter(syllable[n - 2].0), letter(syllable[n - 1].0));
    let pair = matches!((a.base, b.base), ('o', 'a') | ('o', 'e') | ('u', 'y'));
    if !pair || a.other_mark || b.other_mark {
        return;
    }
    if n >= 3 {
        let before = letter(syllable[n - 3].0);
        // A third vowel (`ngoài`, `khuya` has its own shape) or `qu` + `y`: not this rule.
        if is_vowel(before.base) || (before.base == 'q' && a.base == 'u') {
            return;
        }
    }
    let (from, to) = match (style, a.tone, b.tone) {
        (ToneStyle::Old, None, Some(t)) => ((n - 1, t), n - 2),
        (ToneStyle::New, Some(t), None) => ((n - 2, t), n - 1),
        _ => return,
    };
    let (from_index, tone) = from;
    let (Some(plain), Some(toned)) = (strip(syllable[from_index].0), add(syllable[to].0, tone)) else {
        return;
    };
    syllable[from_index].0 = plain;
    syllable[to].0 = toned;
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// `c` without its tone mark, as one character.
fn strip(c: char) -> Option<char> {
    let mut it = c.nfd().filter(|d| !TONES.contains(d));
    let base = it.next()?;
    it.try_fold(base, compose)
}

/// `c` with `tone` added, as one precomposed character.
fn add(c: char, tone: char) -> Option<char> {
    compose(c, tone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn run(text: &str, style: ToneStyle) -> String {
        let nfc: String = text.nfc().collect();
        let mut chars: Vec<(char, f32)> = nfc.chars().map(|c| (c, 0.5)).collect();
        apply(&mut chars, style);
        chars.into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn old_style_puts_the_mark_on_the_first_vowel() {
        assert_eq!(run("hoà khoẻ thuý Hoà KHOẺ", ToneStyle::Old), "hòa khỏe thúy Hòa KHỎE");
        assert_eq!(run("loạ toả", ToneStyle::Old), "lọa tỏa");
    }

    #[test]
    fn new_style_puts_the_mark_on_the_second_vowel() {
        assert_eq!(run("hòa khỏe thúy Hòa KHỎE", ToneStyle::New), "hoà khoẻ thuý Hoà KHOẺ");
        assert_eq!(run("lọa tỏa", ToneStyle::New), "loạ toả");
    }

    #[test]
    fn text_already_in_the_style_is_unchanged() {
        assert_eq!(run("hòa khỏe thúy", ToneStyle::Old), "hòa khỏe thúy");
        assert_eq!(run("hoà khoẻ thuý", ToneStyle::New), "hoà khoẻ thuý");
    }

    #[test]
    fn syllables_where_both_styles_agree_are_left_alone() {
        for text in [
            "hoàng toán quyết", // final consonant
            "ngoài khuya",      // third vowel
            "quý quỳ",          // qu + y
            "Hoa hoa thuy",     // no tone
            "hoá hóa",          // mixed already is per-word
            "hươu thuở",        // horn
            "Toyota coa",       // foreign words without a tone mark
        ] {
            let once_old = run(text, ToneStyle::Old);
            let once_new = run(text, ToneStyle::New);
            if text.starts_with("hoá") {
                assert_eq!(once_old, "hóa hóa");
                assert_eq!(once_new, "hoá hoá");
            } else {
                assert_eq!(once_old, text, "old");
                assert_eq!(once_new, text, "new");
            }
        }
    }

    #[test]
    fn the_number_of_characters_never_changes() {
        let text = "Thuý Hoà khoẻ mạnh, xoè tay, thủy";
        let n = text.nfc().count();
        assert_eq!(run(text, ToneStyle::Old).chars().count(), n);
        assert_eq!(run(text, ToneStyle::New).chars().count(), n);
    }
}
