//! Recomputes the page structure of `ocr-server ocr --format json` output, and times it.
//!
//! ```sh
//! cargo run --release -p ocr-layout --example relayout -- OCR.json > OCR-relaid.json
//! ```
//!
//! Reads the JSON list of `{"file", "result"}` that `ocr-server ocr --format json` prints,
//! replaces each page's `blocks`, `tables` and `pairs` with what [`ocr_layout::annotate`] finds
//! now, and prints the same list. On standard error: the CPU time layout took per page (the
//! best of several runs, so the figure is the cost of the code, not of a busy machine). Used
//! to check a change of the rules on stored OCR output without reading the pages again
//! (docs/structure.md).

use std::time::{Duration, Instant};

use ocr_core::OcrResult;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: relayout OCR.json")?;
    let mut docs: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let (mut pages, mut best_total) = (0usize, Duration::ZERO);
    for doc in &mut docs {
        let mut result: OcrResult = serde_json::from_value(doc["result"].take())?;
        let mut best = Duration::MAX;
        for _ in 0..20 {
            let mut copy = result.clone();
            let clock = Instant::now();
            ocr_layout::annotate(&mut copy);
            best = best.min(clock.elapsed());
        }
        ocr_layout::annotate(&mut result);
        pages += result.pages.len();
        best_total += best;
        doc["result"] = serde_json::to_value(&result)?;
    }
    println!("{}", serde_json::to_string_pretty(&docs)?);
    eprintln!(
        "layout: {} page(s), {:.3} ms per page (best of 20 runs each)",
        pages,
        best_total.as_secs_f64() * 1000.0 / pages.max(1) as f64
    );
    Ok(())
}
