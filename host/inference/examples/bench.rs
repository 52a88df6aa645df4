//! Times the OCR pipeline page by page.
//!
//! ```text
//! cargo run --release -p ocr-inference --example bench -- [--canvas N] [--threads N] [--graph-opt 0-3] [--fp32 | --detector FILE] [--detector-kind craft|ppocr|trueocr] [--recognizer FILE] [--whole-page] [--print] FOLDER_OR_FILES...
//! ```
//!
//! Per page: decode time, detection and recognition time split into model (`Session::run`) and
//! other work, and the number of lines. Then totals: pages/s, the share of time spent outside
//! `Session::run`, peak RSS, and batched vs one-line-at-a-time recognition (speed-up, and
//! whether the text is identical).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ocr_core::{DetectParams, Lang};
use ocr_inference::{DecodeLimits, Engine, InferenceConfig, decode_pages};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut params = DetectParams::default();
    let mut cfg = InferenceConfig::default();
    let mut print = false;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--canvas" => params.canvas_size = args.next().ok_or("--canvas needs a value")?.parse()?,
            "--threads" => cfg.intra_threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--graph-opt" => cfg.graph_optimization = args.next().ok_or("--graph-opt needs 0-3")?.parse()?,
            "--print" => print = true,
            "--fp32" => cfg = cfg.with_float_models(),
            "--whole-page" => cfg.crop_to_content = false,
            "--detector" => cfg.detector_model = args.next().ok_or("--detector needs a file")?,
            "--detector-kind" => {
                cfg.detector = match args.next().as_deref() {
                    Some("craft") => ocr_inference::DetectorKind::Craft,
                    Some("ppocr") => ocr_inference::DetectorKind::Ppocr,
                    Some("trueocr") => ocr_inference::DetectorKind::Trueocr,
                    _ => return Err("--detector-kind needs craft, ppocr or trueocr".into()),
                }
            }
            "--recognizer" => {
                let model = args.next().ok_or("--recognizer needs a file")?;
                for r in &mut cfg.recognizers {
                    r.model = model.clone();
                }
            }
            _ => inputs.push(PathBuf::from(a)),
        }
    }
    let mut files = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&p)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            files.extend(entries.into_iter().filter(|e| e.is_file()));
        } else {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(
            "usage: bench [--canvas N] [--threads N] [--graph-opt 0-3] [--fp32 | --detector FILE] [--detector-kind craft|ppocr|trueocr] [--recognizer FILE] [--whole-page] [--print] FOLDER_OR_FILES...".into()
        );
    }

    let load = Instant::now();
    let engine = Engine::load(&cfg)?;
    println!(
        "loaded {} in {:.0} ms (canvas {}, threads {})",
        engine.model_name(Lang::Vi),
        ms(load.elapsed()),
        params.canvas_size,
        if cfg.intra_threads == 0 { "ORT default".to_string() } else { cfg.intra_threads.to_string() }
    );
    println!(
        "{:<34} {:>8} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "page", "decode", "det.model", "det.other", "rec.model", "rec.other", "lines"
    );

    let limits = DecodeLimits::default();
    let (mut pages, mut total, mut model, mut lines_total) = (0usize, Duration::ZERO, Duration::ZERO, 0usize);
    let (mut batched_rec, mut single_rec, mut identical) = (Duration::ZERO, Duration::ZERO, true);
    let wall = Instant::now();
    for file in &files {
        let bytes = std::fs::read(file)?;
        let t = Instant::now();
        let decoded = match decode_pages(&bytes, &limits) {
            Ok(p) => p,
            Err(e) => {
                println!("{}: {e}", file.display());
                continue;
            }
        };
        let decode = t.elapsed();
        for (i, page) in decoded.iter().enumerate() {
            let det = engine.detect(page, &params)?;
            let rec = engine.recognize(page, &det.boxes, Lang::Vi)?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let name = if decoded.len() > 1 { format!("{name}#{i}") } else { name };
            println!(
                "{:<34} {:>6.0}ms {:>7.0}ms {:>7.0}ms {:>7.0}ms {:>7.0}ms {:>6}",
                name,
                ms(if i == 0 { decode } else { Duration::ZERO }),
                ms(det.timing.model),
                ms(det.timing.other),
                ms(rec.timing.model),
                ms(rec.timing.other),
                rec.lines.len()
            );
            if print {
                for l in &rec.lines {
                    println!("    {:.2} {}", l.confidence, l.text);
                }
            }
            pages += 1;
            lines_total += rec.lines.len();
            total += if i == 0 { decode } else { Duration::ZERO }
                + det.timing.model
                + det.timing.other
                + rec.timing.model
                + rec.timing.other;
            model += det.timing.model + rec.timing.model;

            // Same boxes, one line per model call.
            let single = engine.recognize_batched(page, &det.boxes, Lang::Vi, Default::default(), 1)?;
            batched_rec += rec.timing.model + rec.timing.other;
            single_rec += single.timing.model + single.timing.other;
            for (a, b) in rec.lines.iter().zip(&single.lines) {
                if a.text != b.text {
                    identical = false;
                    println!("    batch/single differ: {:?} vs {:?}", a.text, b.text);
                }
            }
        }
    }
    let _ = wall;
    println!("---");
    println!(
        "{pages} pages, {lines_total} lines in {:.2} s of pipeline time: {:.2} pages/s",
        total.as_secs_f64(),
        pages as f64 / total.as_secs_f64().max(1e-9)
    );
    println!(
        "time outside Session::run: {:.1} % (model {:.2} s)",
        100.0 * (1.0 - model.as_secs_f64() / total.as_secs_f64().max(1e-9)),
        model.as_secs_f64()
    );
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS (VmHWM): {rss:.0} MiB");
    }
    println!(
        "recognition batched {:.2} s vs one line at a time {:.2} s: speed-up {:.2}x, identical text: {}",
        batched_rec.as_secs_f64(),
        single_rec.as_secs_f64(),
        single_rec.as_secs_f64() / batched_rec.as_secs_f64().max(1e-9),
        if identical { "yes" } else { "no" }
    );
    Ok(())
}
