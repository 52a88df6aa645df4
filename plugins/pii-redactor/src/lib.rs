//! Built-in `normalize-text` plugin: masks personal data in recognized text: e-mail addresses,
//! phone numbers (Vietnamese mobile and landline, `+84…`, and international `+…`/`00…`
//! numbers) and Vietnamese citizen ID numbers (CCCD, 12 digits). See [`detect`] for exactly
//! what matches.
//!
//! Configuration (tenant plugin config, all optional):
//! - `mask_char`: the character that replaces masked ones (default `*`; one character, not a
//!   space);
//! - `kinds`: comma-separated list of what to mask, from `email`, `phone`, `cccd` (default all
//!   three).
//!
//! An e-mail address is masked whole; in a phone number or ID the digits and `+` are masked and
//! the separators (spaces, dots, dashes, brackets) kept, so the layout stays readable. Every
//! masked character is replaced by one character, so confidences stay in step. Logs give counts
//! only, never the data.

wit_bindgen::generate!({ world: "text-normalizer-plugin", path: "../../wit" });

mod detect;

use detect::Kind;
use exports::ocr::plugin::text_normalizer::{Guest, PageInfo, PluginError, TextLine};
use ocr::plugin::host::{get_config, log};
use ocr::plugin::types::LogLevel;

/// The tenant's choices, read once per call.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    mask_char: char,
    kinds: Vec<Kind>,
}

impl Options {
    fn from_config(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mask_char = match get("mask_char") {
            None => '*',
            Some(v) => {
                let mut it = v.chars();
                match (it.next(), it.next()) {
                    (Some(c), None) if !c.is_whitespace() && !c.is_control() => c,
                    _ => {
                        return Err(format!("config mask_char must be exactly one visible character, got {v:?}"));
                    }
                }
            }
        };
        let kinds = match get("kinds") {
            None => Kind::ALL.to_vec(),
            Some(v) => {
                let mut kinds = Vec::new();
                for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let kind = Kind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
                        format!(
                            "config kinds must list some of email, phone, cccd (comma-separated), got {name:?} in {v:?}"
                        )
                    })?;
                    kinds.push(kind);
                }
                if kinds.is_empty() {
                    return Err(format!("config kinds must list at least one of email, phone, cccd, got {v:?}"));
                }
                kinds
            }
        };
        Ok(Self { mask_char, kinds })
    }
}

/// Masks what `options` asks for in `text`; returns the new text and how many of each kind
/// (in the order of [`Kind::ALL`]) were masked. The number of characters never changes.
fn redact(text: &str, options: &Options) -> (String, [usize; 3]) {
    let mut chars: Vec<char> = text.chars().collect();
    let mut counts = [0; 3];
    for found in detect::find(&chars) {
        if !options.kinds.contains(&found.kind) {
            continue;
        }
        counts[found.kind as usize] += 1;
        for c in &mut chars[found.start..found.end] {
            if found.kind == Kind::Email || c.is_ascii_digit() || *c == '+' {
                *c = options.mask_char;
            }
        }
    }
    (chars.into_iter().collect(), counts)
}

struct PiiRedactor;

impl Guest for PiiRedactor {
    fn normalize_text(page: PageInfo, lines: Vec<TextLine>) -> Result<Vec<TextLine>, PluginError> {
        let options = Options::from_config(get_config).map_err(|message| PluginError { message })?;
        let mut totals = [0; 3];
        let mut changed = 0;
        let out: Vec<TextLine> = lines
            .into_iter()
            .map(|mut line| {
                let (text, counts) = redact(&line.text, &options);
                if text != line.text {
                    changed += 1;
                    line.text = text;
                }
                totals.iter_mut().zip(counts).for_each(|(t, c)| *t += c);
                line
            })
            .collect();
        let [email, phone, cccd] = totals;
        log(
            LogLevel::Info,
            &format!(
                "page {}: masked {email} e-mail address(es), {phone} phone number(s), {cccd} citizen ID(s) in {changed} of {} lines",
                page.page_index,
                out.len()
            ),
        );
        Ok(out)
    }
}

export!(PiiRedactor);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn options(pairs: &[(&str, &str)]) -> Result<Options, String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Options::from_config(|k| map.get(k).cloned())
    }

    #[test]
    fn masks_each_kind_keeping_separators_and_length() {
        let o = options(&[]).unwrap();
        let text = "Email an.nguyen@vd.vn, ĐT +84 912-345-678, CCCD 001203004567.";
        let (out, counts) = redact(text, &o);
        assert_eq!(out, "Email ***************, ĐT *** ***-***-***, CCCD ************.");
        assert_eq!(counts, [1, 1, 1]);
        assert_eq!(out.chars().count(), text.chars().count());
    }

    #[test]
    fn kinds_and_mask_char_are_configurable() {
        let o = options(&[("kinds", "phone, cccd"), ("mask_char", "#")]).unwrap();
        let (out, counts) = redact("a@b.vn 0912345678 001203004567", &o);
        assert_eq!(out, "a@b.vn ########## ############");
        assert_eq!(counts, [0, 1, 1]);
        let o = options(&[("mask_char", "•"), ("kinds", "email")]).unwrap();
        assert_eq!(redact("a@b.vn 0912345678", &o).0, "•••••• 0912345678");
    }

    #[test]
    fn malformed_values_are_reported_with_the_key() {
        for (key, value, expected) in [
            ("mask_char", "", "config mask_char must be exactly one visible character"),
            ("mask_char", "**", "config mask_char must be exactly one"),
            ("mask_char", " ", "config mask_char must be exactly one"),
            ("kinds", "email,passport", "got \"passport\""),
            ("kinds", " , ", "at least one of email, phone, cccd"),
        ] {
            let err = options(&[(key, value)]).unwrap_err();
            assert!(err.contains(expected), "{key}={value}: {err}");
        }
    }
}
