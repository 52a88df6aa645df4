//! Measures detection and recognition accuracy on a folder of images with ground truth.
//!
//! ```text
//! cargo run --release -p ocr-inference --example accuracy -- \
//!     [--canvas N] [--fp32 | --detector FILE] [--threads N] [--json FILE] [--verbose] IMAGES_DIR GT_JSON
//! ```
//!
//! Ground truth: the format of `fixtures/devset/gt.json` (4-point polygons with text, `ignore`
//! regions, `lang`, `granularity` `line` or `word`).
//!
//! - **Detection**, per language and overall: precision / recall / F1. Line ground truth is
//!   matched one-to-one to detected boxes at polygon IoU ≥ 0.5 (exact convex-polygon clipping,
//!   `ocr_inference::eval`). Word ground truth (ICDAR 2015) is matched by coverage: a word is
//!   found when ≥ 50 % of its area lies inside one detected box, and a box counts as correct
//!   when it finds at least one word. Detections lying mostly (> 50 % of their area) in
//!   `ignore` regions are left out.
//! - **Recognition**, over matched lines: CER (character Levenshtein / gt characters) and word
//!   accuracy (1 − WER), case-insensitive, each also with Vietnamese diacritics removed.
//!   `cer_all` also counts every unmatched gt line as fully missed (an end-to-end number that
//!   moves when line grouping splits or merges lines).
//! - Seconds per page (detection + recognition, decode excluded).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use ocr_core::{DetectParams, Lang, Quad};
use ocr_inference::eval::{self, DetCounts, TextErrors};
use ocr_inference::{DecodeLimits, Engine, InferenceConfig, decode_pages};

const MIN_IOU: f32 = 0.5;
const MIN_COVERAGE: f32 = 0.5;
const MAX_IGNORED_SHARE: f32 = 0.5;

#[derive(serde::Deserialize)]
struct Gt {
    images: Vec<GtImage>,
}

#[derive(serde::Deserialize)]
struct GtImage {
    file: String,
    lang: String,
    #[serde(default = "line")]
    granularity: String,
    lines: Vec<GtLine>,
}

fn line() -> String {
    "line".into()
}

#[derive(serde::Deserialize)]
struct GtLine {
    poly: Quad,
    text: String,
    #[serde(default)]
    ignore: bool,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    pages: usize,
    seconds: f64,
    det: DetCounts,
    text: TextErrors,
    text_folded: TextErrors,
    all: TextErrors,
    all_folded: TextErrors,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.pages += o.pages;
        self.seconds += o.seconds;
        self.det.add(o.det);
        self.text.add(o.text);
        self.text_folded.add(o.text_folded);
        self.all.add(o.all);
        self.all_folded.add(o.all_folded);
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "pages": self.pages,
            "seconds_per_page": self.seconds / self.pages.max(1) as f64,
            "detection": {
                "precision": self.det.precision(),
                "recall": self.det.recall(),
                "f1": self.det.f1(),
                "true_positives": self.det.true_pos,
                "detections": self.det.detections,
                "ground_truth": self.det.truths,
            },
            "recognition": {
                "matched_chars": self.text.chars,
                "cer": self.text.cer(),
                "word_accuracy": self.text.word_accuracy(),
                "cer_no_diacritics": self.text_folded.cer(),
                "word_accuracy_no_diacritics": self.text_folded.word_accuracy(),
                "cer_all": self.all.cer(),
                "cer_all_no_diacritics": self.all_folded.cer(),
            },
        })
    }
}

/// Scores one page; `boxes` and `texts` are the detector's lines and what was read in them.
fn score_page(img: &GtImage, boxes: &[Quad], texts: &[String], verbose: bool) -> Tally {
    let mut t = Tally::default();
    let ignore: Vec<Quad> = img.lines.iter().filter(|l| l.ignore).map(|l| l.poly).collect();
    let scored: Vec<&GtLine> = img.lines.iter().filter(|l| !l.ignore).collect();
    // Detections mostly inside don't-care regions are neither rewarded nor punished.
    let kept: Vec<usize> = (0..boxes.len())
        .filter(|&j| {
            let area = eval::polygon_area(&boxes[j]);
            let ignored: f32 = ignore.iter().map(|g| eval::intersection_area(g, &boxes[j])).sum();
            area <= 0.0 || ignored / area <= MAX_IGNORED_SHARE
        })
        .collect();
    let kept_boxes: Vec<Quad> = kept.iter().map(|&j| boxes[j]).collect();
    t.det.detections = kept.len();
    t.det.truths = scored.len();

    // gt index -> text read for it.
    let mut read: Vec<Option<String>> = vec![None; scored.len()];
    if img.granularity == "word" {
        let mut det_hit = vec![false; kept.len()];
        for (i, g) in scored.iter().enumerate() {
            let best = (0..kept.len())
                .map(|k| (k, eval::coverage(&g.poly, &kept_boxes[k])))
                .filter(|&(_, c)| c >= MIN_COVERAGE)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((k, _)) = best {
                det_hit[k] = true;
                // The line box holds more than this word: compare with its closest word.
                let truth = eval::normalize(&g.text, false);
                let closest =
                    texts[kept[k]].split_whitespace().min_by_key(|w| strsim_like(&truth, w)).unwrap_or("").to_string();
                read[i] = Some(closest);
            }
        }
        t.det.det_hits = det_hit.iter().filter(|&&h| h).count();
        t.det.true_pos = read.iter().filter(|r| r.is_some()).count();
    } else {
        let gt_polys: Vec<Quad> = scored.iter().map(|l| l.poly).collect();
        for (i, k, _) in eval::match_by_iou(&gt_polys, &kept_boxes, MIN_IOU) {
            read[i] = Some(texts[kept[k]].clone());
        }
        t.det.true_pos = read.iter().filter(|r| r.is_some()).count();
        t.det.det_hits = t.det.true_pos;
    }

    for (g, r) in scored.iter().zip(&read) {
        match r {
            Some(r) => {
                let (e, f) = (TextErrors::of(&g.text, r, false), TextErrors::of(&g.text, r, true));
                if verbose && e.char_edits > 0 {
                    println!("    {:?} read as {:?}", g.text, r);
                }
                t.text.add(e);
                t.text_folded.add(f);
                t.all.add(e);
                t.all_folded.add(f);
            }
            None => {
                if verbose {
                    println!("    missed {:?}", g.text);
                }
                t.all.add(TextErrors::missed(&g.text, false));
                t.all_folded.add(TextErrors::missed(&g.text, true));
            }
        }
    }
    t
}

fn strsim_like(a: &str, b: &str) -> usize {
    eval::TextErrors::of(a, b, false).char_edits
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut params = DetectParams::default();
    let mut cfg = InferenceConfig::default();
    let (mut json_out, mut verbose, mut positional) = (None, false, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--canvas" => params.canvas_size = args.next().ok_or("--canvas needs a value")?.parse()?,
            "--threads" => cfg.intra_threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--fp32" => cfg = cfg.with_float_models(),
            "--detector" => cfg.detector_model = args.next().ok_or("--detector needs a file")?,
            "--json" => json_out = Some(PathBuf::from(args.next().ok_or("--json needs a file")?)),
            "--verbose" => verbose = true,
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [images_dir, gt_path] = positional.as_slice() else {
        return Err("usage: accuracy [--canvas N] [--fp32 | --detector FILE] [--threads N] [--json FILE] [--verbose] IMAGES_DIR GT_JSON".into());
    };
    let gt: Gt = serde_json::from_slice(&std::fs::read(gt_path)?)?;
    let engine = Engine::load(&cfg)?;
    println!("detector {} (canvas {}), {} images", cfg.detector_model, params.canvas_size, gt.images.len());

    let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
    let mut pages = Vec::new();
    for img in &gt.images {
        let bytes = std::fs::read(images_dir.join(&img.file))?;
        let page = decode_pages(&bytes, &DecodeLimits::default())?.remove(0);
        let lang = if img.lang == "vi" { Lang::Vi } else { Lang::En };
        let start = Instant::now();
        let det = engine.detect(&page, &params)?;
        let rec = engine.recognize(&page, &det.boxes, lang)?;
        let seconds = start.elapsed().as_secs_f64();
        let boxes: Vec<Quad> = det.boxes.iter().map(|b| b.points).collect();
        let texts: Vec<String> = rec.lines.iter().map(|l| l.text.clone()).collect();
        if verbose {
            println!("{}:", img.file);
            for (b, t) in boxes.iter().zip(&texts) {
                let c = b.map(|[x, y]| (x.round() as i32, y.round() as i32));
                println!("  | {c:?} {t}");
            }
        }
        let mut t = score_page(img, &boxes, &texts, verbose);
        t.pages = 1;
        t.seconds = seconds;
        println!(
            "  {:<32} {:>2} P {:.3} R {:.3} F1 {:.3}  CER {:>5.2} %  (no diacritics {:>5.2} %)  {:.2} s",
            img.file,
            img.lang,
            t.det.precision(),
            t.det.recall(),
            t.det.f1(),
            100.0 * t.text.cer(),
            100.0 * t.text_folded.cer(),
            seconds
        );
        pages.push(serde_json::json!({"file": img.file, "lang": img.lang, "summary": t.summary()}));
        by_lang.entry(img.lang.clone()).or_default().add(&t);
    }
    let mut overall = Tally::default();
    for t in by_lang.values() {
        overall.add(t);
    }

    println!(
        "\n{:<8} {:>5} {:>6} {:>6} {:>6}  {:>7} {:>7} {:>9} {:>9} {:>8} {:>6}",
        "lang", "pages", "P", "R", "F1", "CER%", "WAcc%", "CER%-dia", "WAcc%-dia", "CERall%", "s/page"
    );
    let row = |name: &str, t: &Tally| {
        println!(
            "{:<8} {:>5} {:>6.3} {:>6.3} {:>6.3}  {:>7.2} {:>7.2} {:>9.2} {:>9.2} {:>8.2} {:>6.2}",
            name,
            t.pages,
            t.det.precision(),
            t.det.recall(),
            t.det.f1(),
            100.0 * t.text.cer(),
            100.0 * t.text.word_accuracy(),
            100.0 * t.text_folded.cer(),
            100.0 * t.text_folded.word_accuracy(),
            100.0 * t.all.cer(),
            t.seconds / t.pages.max(1) as f64
        );
    };
    for (lang, t) in &by_lang {
        row(lang, t);
    }
    row("all", &overall);
    println!("(-dia: Vietnamese diacritics removed before comparing)");

    if let Some(path) = json_out {
        let mut langs = serde_json::Map::new();
        for (lang, t) in &by_lang {
            langs.insert(lang.clone(), t.summary());
        }
        let summary = serde_json::json!({
            "detector": cfg.detector_model,
            "canvas": params.canvas_size,
            "min_iou": MIN_IOU,
            "overall": overall.summary(),
            "languages": langs,
            "pages": pages,
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&summary)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
