//! Built-in `normalize-text` plugin: Unicode NFC, trimmed lines, single spaces, and optionally
//! masked long digit runs.
//!
//! Configuration (tenant plugin config, all optional):
//! - `mask_digits`: `true` replaces every digit of a run of 9 or more digits (card, account and
//!   phone numbers) with `*` (default `false`).
//!
//! Per-character confidences follow their characters through trimming and whitespace collapsing;
//! when NFC changes the number of characters they are reset to the line confidence.

wit_bindgen::generate!({ world: "text-normalizer-plugin", path: "../../wit" });

use exports::ocr::plugin::text_normalizer::{Guest, PageInfo, PluginError, TextLine};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::LogLevel;
use unicode_normalization::UnicodeNormalization;

/// Digit runs at least this long are masked: shorter ones are dates, amounts, house numbers.
const MASK_MIN_RUN: usize = 9;

struct TextNormalizer;

impl Guest for TextNormalizer {
    fn normalize_text(page: PageInfo, lines: Vec<TextLine>) -> Result<Vec<TextLine>, PluginError> {
        let mask = match get_config("mask_digits").as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(PluginError {
                    message: format!("config mask_digits must be true or false, got {other:?}"),
                });
            }
        };
        let mut changed = 0;
        let out: Vec<TextLine> = lines
            .into_iter()
            .map(|line| {
                let new = normalize(line.clone(), mask);
                changed += usize::from(new.text != line.text);
                new
            })
            .collect();
        log(
            LogLevel::Info,
            &format!(
                "page {}: changed {changed} of {} lines",
                page.page_index,
                out.len()
            ),
        );
        Ok(out)
    }
}

fn normalize(mut line: TextLine, mask: bool) -> TextLine {
    let nfc: String = line.text.nfc().collect();
    let n = nfc.chars().count();
    let confs = if line.char_confidences.len() == n {
        line.char_confidences
    } else {
        vec![line.confidence; n]
    };

    // Trim and collapse whitespace, keeping each character's confidence beside it.
    let mut chars: Vec<(char, f32)> = Vec::with_capacity(n);
    for (c, conf) in nfc.chars().zip(confs) {
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

    if mask {
        let mut i = 0;
        while i < chars.len() {
            let run = chars[i..]
                .iter()
                .take_while(|(c, _)| c.is_ascii_digit())
                .count();
            if run >= MASK_MIN_RUN {
                chars[i..i + run].iter_mut().for_each(|(c, _)| *c = '*');
            }
            i += run.max(1);
        }
    }

    line.text = chars.iter().map(|(c, _)| c).collect();
    line.char_confidences = chars.into_iter().map(|(_, conf)| conf).collect();
    line
}

export!(TextNormalizer);
