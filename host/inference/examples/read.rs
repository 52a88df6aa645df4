//! Reads images as `ocr-server ocr --format json` does (detect, then recognize; `lang` auto
//! unless given), with the detector chosen on the command line, so that
//! `scripts/bench-cost.py` can measure a detector the server does not offer yet:
//!
//! ```text
//! cargo build --release -p ocr-inference --example read
//! scripts/bench-cost.py --ocr-bin target/release/examples/read --score ../shared/tools/score.py \
//!     ../shared/fixtures/devset ../shared/fixtures/devset-vi -- --detector craft+trueocr
//! ```
//!
//! Arguments: `[ocr] [--format json] [--lang vi|en|auto] [--detector craft|trueocr|craft+trueocr]
//! [--canvas N] FILES...` (`ocr` and `--format json` are accepted and ignored, as bench-cost
//! passes them). Prints a JSON list of `{file, result: {model, pages: [{lines: [{points, text,
//! score}]}]}}`, `score` being the detector's confidence in the line's box.

use ocr_core::{DetectParams, Lang};
use ocr_inference::{DecodeLimits, DetectorKind, Engine, InferenceConfig, decode_pages};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = InferenceConfig::default();
    let (mut params, mut lang, mut files) = (DetectParams::default(), Lang::Auto, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "ocr" => {}
            "--format" => {
                args.next();
            }
            "--lang" => {
                let l = args.next().ok_or("--lang needs a value")?;
                lang = Lang::parse(&l).ok_or_else(|| format!("unknown language {l}"))?;
            }
            "--detector" => {
                cfg.detector = match args.next().as_deref() {
                    Some("craft") => DetectorKind::Craft,
                    Some("trueocr") => DetectorKind::Trueocr,
                    Some("craft+trueocr") => DetectorKind::CraftTrueocr,
                    Some("ppocr") => DetectorKind::Ppocr,
                    other => return Err(format!("--detector craft|trueocr|craft+trueocr, not {other:?}").into()),
                }
            }
            "--canvas" => params.canvas_size = args.next().ok_or("--canvas needs a value")?.parse()?,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}").into()),
            _ => files.push(a),
        }
    }
    let engine = Engine::load(&cfg)?;
    let mut docs = Vec::new();
    for file in &files {
        let pages = decode_pages(&std::fs::read(file)?, &DecodeLimits::default())?;
        let mut out = Vec::new();
        for page in &pages {
            let det = engine.detect(page, &params)?;
            let read = engine.recognize(page, &det.boxes, lang)?;
            let lines: Vec<serde_json::Value> = read
                .lines
                .iter()
                .zip(&det.boxes)
                .map(|(l, b)| serde_json::json!({"points": l.points, "text": l.text, "score": b.score}))
                .collect();
            out.push(serde_json::json!({ "lines": lines }));
        }
        docs.push(serde_json::json!({"file": file, "result": {"model": engine.model_name(lang), "pages": out}}));
    }
    println!("{}", serde_json::to_string(&docs)?);
    Ok(())
}
