//! Built-in `normalize-text` plugin: Unicode NFC, trimmed lines, single spaces, and optionally
//! Vietnamese tone-mark placement, fixes of common OCR confusions and masked long digit runs.
//!
//! Configuration (tenant plugin config, all optional):
//! - `tone_style`: `old` or `new` places the tone mark of `oa`, `oe`, `uy` syllables
//!   consistently: `old` → `hòa`, `khỏe`, `thúy`; `new` → `hoà`, `khoẻ`, `thuý` (default:
//!   left as read; see [`tone`]);
//! - `fix_confusions`: `true` turns `O`/`o` into `0` and `l`/`I`/`|` into `1` where they sit
//!   between digits (default `false`; see [`confusions`]);
//! - `mask_digits`: `true` replaces every digit of a run of 9 or more digits (card, account and
//!   phone numbers) with `*` (default `false`).
//!
//! Steps run in that order after NFC and whitespace clean-up, so a fixed number is masked too.
//! Per-character confidences follow their characters through every step; when NFC changes the
//! number of characters they are reset to the line confidence.

wit_bindgen::generate!({ world: "text-normalizer-plugin", path: "../../wit" });

mod confusions;
mod tone;

use exports::ocr::plugin::text_normalizer::{Guest, PageInfo, PluginError, TextLine};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::LogLevel;
use tone::ToneStyle;
use unicode_normalization::UnicodeNormalization;

/// Digit runs at least this long are masked: shorter ones are dates, amounts, house numbers.
const MASK_MIN_RUN: usize = 9;

/// The tenant's choices, read once per call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Options {
    tone_style: Option<ToneStyle>,
    fix_confusions: bool,
    mask_digits: bool,
}

impl Options {
    fn from_config(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let tone_style = match get("tone_style").as_deref().map(str::trim) {
            None => None,
            Some("old") => Some(ToneStyle::Old),
            Some("new") => Some(ToneStyle::New),
            Some(other) => {
                return Err(format!(
                    "config tone_style must be old (hòa, thúy, khỏe) or new (hoà, thuý, khoẻ), got {other:?}"
                ));
            }
        };
        Ok(Self { tone_style, fix_confusions: flag(&get, "fix_confusions")?, mask_digits: flag(&get, "mask_digits")? })
    }
}

fn flag(get: &impl Fn(&str) -> Option<String>, key: &str) -> Result<bool, String> {
    match get(key).as_deref().map(str::trim) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(format!("config {key} must be true or false, got {other:?}")),
    }
}

struct TextNormalizer;

impl Guest for TextNormalizer {
    fn normalize_text(page: PageInfo, lines: Vec<TextLine>) -> Result<Vec<TextLine>, PluginError> {
        let options = Options::from_config(get_config).map_err(|message| PluginError { message })?;
        let mut changed = 0;
        let out: Vec<TextLine> = lines
            .into_iter()
            .map(|mut line| {
                let (text, confs) = normalize(&line.text, &line.char_confidences, line.confidence, options);
                changed += usize::from(text != line.text);
                line.text = text;
                line.char_confidences = confs;
                line
            })
            .collect();
        log(LogLevel::Info, &format!("page {}: changed {changed} of {} lines", page.page_index, out.len()));
        Ok(out)
    }
}

/// Normalizes one line's text; returns it with one confidence per character.
fn normalize(text: &str, char_confidences: &[f32], line_confidence: f32, options: Options) -> (String, Vec<f32>) {
    let nfc: String = text.nfc().collect();
    let n = nfc.chars().count();
    let fallback;
    let confs = if char_confidences.len() == n {
        char_confidences
    } else {
        fallback = vec![line_confidence; n];
        &fallback
    };

    // Trim and collapse whitespace, keeping each character's confidence beside it.
    let mut chars: Vec<(char, f32)> = Vec::with_capacity(n);
    for (c, &conf) in nfc.chars().zip(confs) {
        if c.is_whitespace() {
            if chars.last().is_some_and(|(p, _)| *p != ' ') {
                chars.push((' ', conf));
            }
        } else {
            chars.push((c, conf));
        }
    }
    if chars.last().is_some_and(|(c, _)| *c == ' ') {
        chars.pop();
    }

    if options.fix_confusions {
        confusions::fix(&mut chars);
    }
    if let Some(style) = options.tone_style {
        tone::apply(&mut chars, style);
    }
    if options.mask_digits {
        let mut i = 0;
        while i < chars.len() {
            let run = chars[i..].iter().take_while(|(c, _)| c.is_ascii_digit()).count();
            if run >= MASK_MIN_RUN {
                chars[i..i + run].iter_mut().for_each(|(c, _)| *c = '*');
            }
            i += run.max(1);
        }
    }

    chars.into_iter().unzip()
}

export!(TextNormalizer);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn options(pairs: &[(&str, &str)]) -> Result<Options, String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Options::from_config(|k| map.get(k).cloned())
    }

    #[test]
    fn all_steps_keep_confidences_beside_their_characters() {
        let o = options(&[("tone_style", "new"), ("fix_confusions", "true"), ("mask_digits", "true")]).unwrap();
        let text = " hòa  2O24 ";
        let confs: Vec<f32> = (0..text.chars().count()).map(|i| i as f32 / 20.0).collect();
        let (out, c) = normalize(text, &confs, 0.5, o);
        assert_eq!(out, "hoà 2024");
        assert_eq!(c, [1, 2, 3, 4, 6, 7, 8, 9].map(|i| confs[i]).to_vec());
    }

    #[test]
    fn fixed_numbers_are_masked_too() {
        let o = options(&[("fix_confusions", "true"), ("mask_digits", "true")]).unwrap();
        let (out, _) = normalize("4111l11111", &[], 0.5, o);
        assert_eq!(out, "**********");
    }

    #[test]
    fn decomposed_input_is_composed_and_gets_the_line_confidence() {
        let (out, c) = normalize("ho\u{61}\u{300}", &[0.1; 4], 0.7, Options::default());
        assert_eq!(out, "hoà");
        assert_eq!(c, vec![0.7; 3]);
    }

    #[test]
    fn malformed_values_are_reported_with_the_key() {
        assert!(options(&[("tone_style", "modern")]).unwrap_err().contains("config tone_style must be old"));
        assert!(
            options(&[("fix_confusions", "yes")]).unwrap_err().contains("config fix_confusions must be true or false")
        );
        assert!(options(&[("mask_digits", "1")]).unwrap_err().contains("config mask_digits"));
        assert_eq!(options(&[]).unwrap(), Options::default());
    }
}
