//! Reads line crops, each image whole as one line, and scores the readings: for sign crops
//! (`tests/fixtures/signs`, `tests/fixtures/signs-hard`) and any set of single-line images.
//!
//! ```text
//! cargo run --release -p ocr-inference --example crops -- [--lang auto|vi|en] [--no-second-reader] [--verbose] DIR
//! ```
//!
//! `DIR/gt.json` lists `[{"file", "text", "half"?}]`. Prints CER and exact lines per half
//! (`tune`/`check` when the gt names them, else `all`), case-insensitive, whitespace collapsed
//! (`ocr_inference::eval`), and how many lines each reader's reading was kept for.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ocr_core::{Lang, TextBox};
use ocr_inference::eval::TextErrors;
use ocr_inference::{DecodeLimits, Engine, InferenceConfig, decode_pages};

#[derive(serde::Deserialize)]
struct Crop {
    file: String,
    text: String,
    #[serde(default)]
    half: Option<String>,
}

#[derive(Default)]
struct Tally {
    errors: TextErrors,
    exact: usize,
    lines: usize,
    readers: BTreeMap<String, usize>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = InferenceConfig::default();
    let (mut lang, mut verbose, mut dir) = (Lang::Auto, false, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lang" => {
                lang = match args.next().as_deref() {
                    Some("auto") => Lang::Auto,
                    Some("vi") => Lang::Vi,
                    Some("en") => Lang::En,
                    _ => return Err("--lang is auto, vi or en".into()),
                }
            }
            "--no-second-reader" => cfg.second_reader = None,
            "--verbose" => verbose = true,
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.ok_or("usage: crops [--lang auto|vi|en] [--no-second-reader] [--verbose] DIR")?;
    let crops: Vec<Crop> = serde_json::from_slice(&std::fs::read(dir.join("gt.json"))?)?;
    let engine = Engine::load(&cfg)?;
    let mut halves: BTreeMap<String, Tally> = BTreeMap::new();
    for crop in &crops {
        let page = decode_pages(&std::fs::read(dir.join(&crop.file))?, &DecodeLimits::default())?.remove(0);
        let (w, h) = (page.width() as f32, page.height() as f32);
        let whole = TextBox { points: [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]], score: 1.0 };
        let line = engine.recognize(&page, &[whole], lang)?.lines.remove(0);
        let errors = TextErrors::of(&crop.text, &line.text, false);
        let reader = line.reader.clone().unwrap_or_default();
        if verbose {
            println!("{}\t{:?}\t{:?}\t{reader}\t{:.3}", crop.file, crop.text, line.text, line.confidence);
        }
        let t = halves.entry(crop.half.clone().unwrap_or_else(|| "all".into())).or_default();
        t.exact += usize::from(errors.char_edits == 0);
        t.lines += 1;
        t.errors.add(errors);
        *t.readers.entry(reader).or_default() += 1;
    }
    for (half, t) in &halves {
        println!(
            "{half}: {} lines, CER {:.3}, exact {}/{}, readers {:?}",
            t.lines,
            t.errors.char_edits as f64 / t.errors.chars.max(1) as f64,
            t.exact,
            t.lines,
            t.readers
        );
    }
    Ok(())
}
