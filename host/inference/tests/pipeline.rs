//! End-to-end tests on the real models and the fixtures in `tests/fixtures/`.
//!
//! The models come from `scripts/fetch-models.sh` (found through `OCR_MODELS_DIR` or the default
//! folder); without them these tests fail and say so; they never pass silently.

use std::path::PathBuf;
use std::sync::OnceLock;

use image::RgbImage;
use ocr_core::{DetectParams, ErrorCode, Lang, Quad, Readers, SecondReader, TextBox};
use ocr_inference::{DecodeLimits, DetectorKind, Engine, Error, InferenceConfig, decode_pages};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let cfg = InferenceConfig { intra_threads: 2, ..Default::default() };
        match Engine::load(&cfg) {
            Ok(e) => e,
            Err(e) => panic!("cannot run the OCR tests: {e}\n(fetch the models with scripts/fetch-models.sh)"),
        }
    })
}

fn page(name: &str) -> RgbImage {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    decode_pages(&bytes, &DecodeLimits::default()).unwrap().remove(0)
}

#[derive(serde::Deserialize)]
struct Gt {
    images: Vec<GtImage>,
}
#[derive(serde::Deserialize)]
struct GtImage {
    file: String,
    lines: Vec<GtLine>,
}
#[derive(serde::Deserialize)]
struct GtLine {
    poly: Quad,
    text: String,
    #[serde(default)]
    ignore: bool,
}

fn gt(file: &str) -> GtImage {
    let mut all = Vec::new();
    for name in ["gt.json", "synth_vi_gt.json"] {
        let g: Gt = serde_json::from_slice(&std::fs::read(fixtures().join(name)).unwrap()).unwrap();
        all.extend(g.images);
    }
    all.into_iter().find(|i| i.file == file).unwrap()
}

fn inside_quad(q: &Quad, x: f32, y: f32) -> bool {
    // Convex quad: the point is on the same side of every edge.
    let mut sign = 0.0f32;
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        let cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
        if cross != 0.0 {
            if sign != 0.0 && cross.signum() != sign {
                return false;
            }
            sign = cross.signum();
        }
    }
    true
}

/// Share of the gt quad's area (sampled on a 1-px grid) inside some detected box.
fn coverage(gt: &Quad, boxes: &[TextBox]) -> f32 {
    let (x0, y0, x1, y1) = ocr_core::geometry::bounds(gt);
    let (mut total, mut hit) = (0u32, 0u32);
    let mut y = y0 + 0.5;
    while y < y1 {
        let mut x = x0 + 0.5;
        while x < x1 {
            if inside_quad(gt, x, y) {
                total += 1;
                if boxes.iter().any(|b| inside_quad(&b.points, x, y)) {
                    hit += 1;
                }
            }
            x += 1.0;
        }
        y += 1.0;
    }
    hit as f32 / total.max(1) as f32
}

/// Insertions, deletions and substitutions that turn `a` into `b`.
fn edits<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn levenshtein(a: &str, b: &str) -> usize {
    edits(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>())
}

/// CER with lines matched by geometry: each gt line is compared with the recognized lines whose
/// centre lies inside it (left to right, joined by spaces), so the score measures reading, not
/// how the detector split or ordered the lines.
fn matched_cer(file: &str) -> (f32, Vec<String>) {
    let page = page(file);
    let det = engine().detect(&page, &DetectParams::default()).unwrap();
    let rec = engine().recognize(&page, &det.boxes, Lang::Vi).unwrap();
    let (mut errors, mut chars, mut report) = (0usize, 0usize, Vec::new());
    for line in gt(file).lines.iter().filter(|l| !l.ignore) {
        let mut parts: Vec<_> = rec
            .lines
            .iter()
            .filter(|l| {
                let c = ocr_core::geometry::centre(&l.points);
                inside_quad(&line.poly, c[0], c[1])
            })
            .collect();
        parts.sort_by(|a, b| a.points[0][0].total_cmp(&b.points[0][0]));
        let read = parts.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ");
        let e = levenshtein(&line.text, &read);
        if e > 0 {
            report.push(format!("{:?} read as {:?}", line.text, read));
        }
        errors += e;
        chars += line.text.chars().count();
    }
    (errors as f32 / chars as f32, report)
}

#[test]
fn every_rendered_gt_line_is_covered_by_a_detected_box() {
    for file in ["en_invoice.png", "vi_paragraph.png", "en_rotated_15deg.png"] {
        let det = engine().detect(&page(file), &DetectParams::default()).unwrap();
        for line in gt(file).lines {
            let c = coverage(&line.poly, &det.boxes);
            assert!(c >= 0.8, "{file}: gt line {:?} only {:.0} % covered", line.text, c * 100.0);
        }
    }
}

#[test]
fn detected_boxes_stay_inside_the_page() {
    let p = page("synth_vi_04_sign_scene.jpg");
    let det = engine().detect(&p, &DetectParams::default()).unwrap();
    assert!(!det.boxes.is_empty());
    for b in &det.boxes {
        assert!(ocr_core::geometry::inside(&b.points, p.width(), p.height()), "{b:?}");
    }
}

// Thresholds: measured CER 0.54 % (invoice: "Bill" read "Bin", "Blvd" "Bivd") and 1.18 %
// (paragraph: tone and punctuation slips such as "đông" -> "đồng", "." -> ","), with the int8
// models of scripts/fetch-models.sh (calibrated on tests/fixtures/calibration; 0.36 % and 0.94 %
// with the earlier calibration on these very pages). 3 % leaves room for float differences across CPUs and ONNX Runtime
// builds while still catching a broken pre/post-processing step (those push CER past 20 %).
#[test]
fn rendered_english_invoice_reads_with_low_cer() {
    let (cer, report) = matched_cer("en_invoice.png");
    eprintln!("en_invoice CER {:.2} %: {report:#?}", cer * 100.0);
    assert!(cer < 0.03, "CER {:.2} %: {report:#?}", cer * 100.0);
}

#[test]
fn rendered_vietnamese_paragraph_reads_with_low_cer() {
    let (cer, report) = matched_cer("vi_paragraph.png");
    eprintln!("vi_paragraph CER {:.2} %: {report:#?}", cer * 100.0);
    assert!(cer < 0.03, "CER {:.2} %: {report:#?}", cer * 100.0);
}

#[test]
fn the_rotated_line_is_read() {
    let file = "en_rotated_15deg.png";
    let p = page(file);
    let det = engine().detect(&p, &DetectParams::default()).unwrap();
    let rec = engine().recognize(&p, &det.boxes, Lang::En).unwrap();
    // Order the pieces along the 15-degree baseline.
    let (c, s) = (15f32.to_radians().cos(), 15f32.to_radians().sin());
    let mut lines: Vec<_> = rec.lines.iter().collect();
    let along = |q: &Quad| {
        let m = ocr_core::geometry::centre(q);
        m[0] * c - m[1] * s
    };
    lines.sort_by(|a, b| along(&a.points).total_cmp(&along(&b.points)));
    let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ");
    let want = &gt(file).lines[0].text;
    let cer = levenshtein(want, &text) as f32 / want.chars().count() as f32;
    assert!(cer < 0.05, "read {text:?}, want {want:?}");
}

#[test]
fn the_paragraph_comes_out_line_by_line_in_reading_order() {
    // Recognized lines, in the order detection gives them, joined per visual row, must equal
    // the gt lines one for one (a split line may come back as two boxes of one row, but no
    // word may leave its row and no row may be out of order).
    let file = "vi_paragraph.png";
    let p = page(file);
    let det = engine().detect(&p, &DetectParams::default()).unwrap();
    let rec = engine().recognize(&p, &det.boxes, Lang::Vi).unwrap();
    let want: Vec<String> = gt(file).lines.into_iter().map(|l| l.text).collect();
    let mut rows: Vec<(f32, Vec<&str>)> = Vec::new();
    for l in &rec.lines {
        let (_, y0, _, y1) = ocr_core::geometry::bounds(&l.points);
        let yc = 0.5 * (y0 + y1);
        match rows.last_mut() {
            Some((prev, row)) if (yc - *prev).abs() < 0.5 * (y1 - y0) => row.push(&l.text),
            _ => rows.push((yc, vec![&l.text])),
        }
    }
    let got: Vec<String> = rows.into_iter().map(|(_, r)| r.join(" ")).collect();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(&want) {
        let cer = levenshtein(w, g) as f32 / w.chars().count() as f32;
        assert!(cer < 0.1, "line {g:?}, want {w:?}");
    }
}

#[test]
fn the_rotated_sample_is_one_rotated_line_read_in_order() {
    let file = "en_rotated_15deg.png";
    let p = page(file);
    let det = engine().detect(&p, &DetectParams::default()).unwrap();
    assert_eq!(det.boxes.len(), 1, "{:?}", det.boxes);
    let q = det.boxes[0].points;
    // The baseline rises about 15 degrees to the right.
    let angle = (q[0][1] - q[1][1]).atan2(q[1][0] - q[0][0]).to_degrees();
    assert!((angle - 15.0).abs() < 3.0, "angle {angle}: {q:?}");
    let rec = engine().recognize(&p, &det.boxes, Lang::En).unwrap();
    let want = &gt(file).lines[0].text;
    let cer = levenshtein(want, &rec.lines[0].text) as f32 / want.chars().count() as f32;
    assert!(cer < 0.05, "read {:?}, want {want:?}", rec.lines[0].text);
}

#[test]
fn batched_recognition_reads_the_same_text_as_one_line_at_a_time() {
    let files = [
        "en_invoice.png",
        "vi_paragraph.png",
        "en_rotated_15deg.png",
        "synth_vi_01_receipt_photo.jpg",
        "synth_vi_02_receipt_scan.jpg",
        "synth_vi_03_form_photo.jpg",
        "synth_vi_04_sign_scene.jpg",
    ];
    for file in files {
        let p = page(file);
        let det = engine().detect(&p, &DetectParams::default()).unwrap();
        let batched = engine().recognize(&p, &det.boxes, Lang::Vi).unwrap();
        let single = engine().recognize_batched(&p, &det.boxes, Lang::Vi, Default::default(), 1).unwrap();
        assert_eq!(batched.lines.len(), det.boxes.len());
        for (b, s) in batched.lines.iter().zip(&single.lines) {
            assert_eq!(b.text, s.text, "{file}");
            assert_eq!(b.char_confidences.len(), b.text.chars().count());
        }
    }
}

#[test]
fn recognize_keeps_the_order_of_the_boxes_given() {
    // The boxes bottom to top: each reading must be the text under its own box (the gt line its
    // centre falls in), whatever order the batches ran in.
    let file = "en_invoice.png";
    let p = page(file);
    let det = engine().detect(&p, &DetectParams::default()).unwrap();
    let mut boxes = det.boxes.clone();
    boxes.reverse();
    let rec = engine().recognize(&p, &boxes, Lang::En).unwrap();
    assert_eq!(rec.lines.len(), boxes.len());
    let gt = gt(file);
    let mut checked = 0;
    for (i, (l, b)) in rec.lines.iter().zip(&boxes).enumerate() {
        let c = ocr_core::geometry::centre(&b.points);
        let Some(under) = gt.lines.iter().find(|g| inside_quad(&g.poly, c[0], c[1])) else { continue };
        // A box may hold a part of its gt line (or the gt line a part of the box's reading), and
        // a short line a misread letter (`Bin to:`); another line's text is much further.
        let (want, got) = (under.text.to_lowercase(), l.text.to_lowercase());
        let near = levenshtein(&want, &got) as f32 / want.chars().count() as f32 <= 0.3
            || (got.len() >= 3 && want.contains(&got))
            || (want.len() >= 3 && got.contains(&want));
        assert!(near, "box {i} reads {:?}, the text under it is {:?}", l.text, under.text);
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} boxes lie on a gt line");
}

#[test]
fn a_multi_page_tiff_gives_one_image_per_page() {
    use tiff::encoder::{TiffEncoder, colortype::RGB8};
    let (a, b) = (page("vi_paragraph.png"), page("en_rotated_15deg.png"));
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut enc = TiffEncoder::new(&mut bytes).unwrap();
        enc.write_image::<RGB8>(a.width(), a.height(), a.as_raw()).unwrap();
        enc.write_image::<RGB8>(b.width(), b.height(), b.as_raw()).unwrap();
    }
    let bytes = bytes.into_inner();
    let pages = decode_pages(&bytes, &DecodeLimits::default()).unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0], a);
    assert_eq!(pages[1], b);

    let one_page = DecodeLimits { max_pages: 1, ..Default::default() };
    let err = decode_pages(&bytes, &one_page).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TooManyPages, "{err}");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn a_decompression_bomb_header_is_refused_before_decoding() {
    // A valid PNG signature and IHDR claiming 100000 x 100000 RGB (30 GB), and no pixel data.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // The start of the compressed pixel data: an (empty) zlib stream in an IDAT chunk.
    let mut idat = b"IDAT".to_vec();
    idat.extend_from_slice(&[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1]);
    png.extend_from_slice(&11u32.to_be_bytes());
    png.extend_from_slice(&idat);
    png.extend_from_slice(&crc32(&idat).to_be_bytes());
    let err = decode_pages(&png, &DecodeLimits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImageTooLarge, "{err}");
    assert!(err.to_string().contains("100000x100000"), "{err}");
}

#[test]
fn garbage_bytes_are_refused_with_a_clear_code() {
    let err = decode_pages(b"this is not an image at all", &DecodeLimits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedMediaType);
    let mut truncated = std::fs::read(fixtures().join("vi_paragraph.png")).unwrap();
    truncated.truncate(200);
    let err = decode_pages(&truncated, &DecodeLimits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidImage, "{err}");
    let err = decode_pages(b"%PDF-1.4\ngarbage", &DecodeLimits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidImage, "{err}");
}

/// A one-page PDF (US Letter) with a line of Helvetica text.
fn tiny_pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 28 Tf 72 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}

#[test]
fn a_pdf_page_is_rasterized_at_the_configured_dpi_and_read() {
    let pdf = tiny_pdf("Invoice 2024 paid in full");
    let pages = decode_pages(&pdf, &DecodeLimits::default()).unwrap();
    assert_eq!(pages.len(), 1);
    // 8.5 x 11 in at 150 dpi (the renderer truncates 1650 - epsilon).
    let (w, h) = pages[0].dimensions();
    assert!(w == 1275 && (1649..=1650).contains(&h), "{w}x{h}");
    let det = engine().detect(&pages[0], &DetectParams::default()).unwrap();
    let rec = engine().recognize(&pages[0], &det.boxes, Lang::En).unwrap();
    let text = rec.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" ");
    assert!(text.contains("Invoice 2024"), "read {text:?}");

    let low = DecodeLimits { max_pixels: 1_000_000, ..Default::default() };
    assert_eq!(decode_pages(&pdf, &low).unwrap_err().code(), ErrorCode::ImageTooLarge);
}

#[test]
fn missing_models_are_reported_by_name_with_the_fix() {
    let cfg = InferenceConfig { models_dir: PathBuf::from("/nonexistent/ocr-models"), ..Default::default() };
    let Err(err) = Engine::load(&cfg) else { panic!("loaded models from a folder that does not exist") };
    assert!(matches!(err, Error::ModelsMissing { .. }));
    assert_eq!(err.code(), ErrorCode::ModelsMissing);
    let msg = err.to_string();
    assert!(msg.contains("craftnet.int8.onnx") && msg.contains("scripts/fetch-models.sh"), "{msg}");
}

#[test]
fn pdf_limits_apply_before_any_page_is_rendered() {
    let pdf = tiny_pdf("limits");
    let few_pages = DecodeLimits { max_pages: 0, ..Default::default() };
    assert_eq!(decode_pages(&pdf, &few_pages).unwrap_err().code(), ErrorCode::TooManyPages);
    // 612x792 pt at 150 dpi is 1275x1650 px: over a 1 Mpx cap, refused before rendering.
    let small = DecodeLimits { max_pixels: 1_000_000, ..Default::default() };
    assert_eq!(decode_pages(&pdf, &small).unwrap_err().code(), ErrorCode::ImageTooLarge);
}

fn read_all(file: &str, lang: Lang) -> Vec<String> {
    let p = page(file);
    let det = engine().detect(&p, &DetectParams::default()).unwrap();
    engine().recognize(&p, &det.boxes, lang).unwrap().lines.into_iter().map(|l| l.text).collect()
}

#[test]
fn prices_on_a_photographed_receipt_come_out_whole() {
    // CRAFT cuts "320.000" at the separator on this photo; the pieces must join again, so every
    // price of the receipt is one whole reading, never "320" + "000".
    let file = "synth_vi_01_receipt_photo.jpg";
    let lines = read_all(file, Lang::Vi);
    let is_price = |t: &str| t.split('.').count() == 2 && t.chars().all(|c| c.is_ascii_digit() || c == '.');
    let prices: Vec<String> = gt(file).lines.into_iter().map(|l| l.text).filter(|t| is_price(t)).collect();
    assert!(prices.len() >= 8, "{prices:?}");
    for price in &prices {
        assert!(lines.iter().any(|l| l == price), "{price} is not one reading: {lines:#?}");
    }
    assert!(lines.iter().any(|l| l == "Mì gói Hảo Hảo"), "{lines:#?}");
    // "4 x80.000" as printed with a narrow gap: the amount is a word of its own.
    let quantities: Vec<String> =
        gt(file).lines.into_iter().map(|l| l.text).filter(|t| t.contains(" x ") && t.ends_with(".000")).collect();
    assert!(quantities.len() >= 5, "{quantities:?}");
    for q in &quantities {
        assert!(lines.iter().any(|l| l.to_lowercase() == *q), "{q} is not one reading: {lines:#?}");
    }
}

#[test]
fn a_lone_quantity_the_first_reader_is_unsure_of_is_read_by_the_english_reader() {
    // The rendered receipt's quantity column: asternet reads the lone `1` as `L` (0.77), the
    // English reader as `1` (0.9999); the Vietnamese lines keep asternet's reading.
    let file = "receipts/vi_receipt.png";
    for lang in [Lang::Vi, Lang::Auto] {
        let lines = read_all(file, lang);
        for q in ["2", "1", "4"] {
            assert!(lines.iter().any(|l| l == q), "quantity {q} ({lang:?}): {lines:#?}");
        }
        assert!(!lines.iter().any(|l| l == "L"), "{lines:#?}");
        assert!(lines.iter().any(|l| l == "Sữa đậu nành"), "{lines:#?}");
    }
}

#[test]
fn an_unsure_mark_goes_to_the_word_its_neighbour_makes_with_it() {
    // Each syllable alone, `TOÀN` (as in `toàn bộ`) is the more frequent (wordfreq: 10^-3.01
    // against 10^-3.59) and the recognizer is unsure of the mark; pyvi's dictionary lists
    // `thanh toán`, which the receipt prints.
    let lines = read_all("regression/dvi_01_receipt_photo.jpg", Lang::Vi);
    assert!(lines.iter().any(|l| l.starts_with("THANH TOÁN")), "{lines:#?}");
    assert!(!lines.iter().any(|l| l.contains("TOÀN")), "{lines:#?}");
}

#[test]
fn a_price_cut_at_its_separator_into_boxes_of_different_heights_is_one_reading() {
    // CRAFT boxes "44." lower than "000" on this photo; they touch, and the short one lies within
    // the tall one, so they are one line.
    let lines = read_all("regression/dvi_02_receipt_photo.jpg", Lang::Auto);
    assert!(lines.iter().any(|l| l == "44.000"), "{lines:#?}");
    assert!(!lines.iter().any(|l| l == "44." || l == "000"), "{lines:#?}");
    // No reading keeps the recognizer's `_` for a gap ("X_17.000" on the same make of receipt).
    let other = read_all("regression/dvi_04_receipt_photo.jpg", Lang::Auto);
    assert!(other.iter().any(|l| l.trim() == "4 x 50.000"), "{other:#?}");
    // The recognizer reads this separator as a space ("61 000") but finds "." likely too.
    assert!(other.iter().any(|l| l.trim() == "2 x 61.000"), "{other:#?}");
    assert!(lines.iter().chain(&other).all(|l| !l.contains('_')), "{lines:#?} {other:#?}");
}

#[test]
fn english_words_misread_on_a_faint_receipt_are_re_spelled_from_the_word_list() {
    // The English word list re-spells asternet's English readings: an engine with asternet as
    // its only reader (the English reader by default, PP-OCRv6, reads these words itself).
    let file = "regression/en_faint_receipt.jpg";
    let read = |lexicon_en: Option<String>| {
        let aster =
            ocr_inference::RecognizerSpec::asternet(Lang::En, InferenceConfig::default_asternet(), "vocab.json");
        let mut cfg = InferenceConfig { intra_threads: 2, lexicon_en, ..Default::default() };
        cfg.recognizers[1] = aster;
        let engine = Engine::load(&cfg).unwrap();
        let p = page(file);
        let det = engine.detect(&p, &DetectParams::default()).unwrap();
        engine.recognize(&p, &det.boxes, Lang::Auto).unwrap().lines.into_iter().map(|l| l.text).collect::<Vec<_>>()
    };
    let wanted =
        ["Description", "Chinese Tea", "Rounding Adjustment", "Customer Service Hotline", "Received with thanks"];
    let lines = read(InferenceConfig::default().lexicon_en);
    for want in wanted {
        assert!(lines.iter().any(|l| l == want), "{want}: {lines:#?}");
    }
    let by_default = read_all(file, Lang::Auto);
    for want in wanted {
        assert!(by_default.iter().any(|l| l == want), "the default readers: {want}: {by_default:#?}");
    }
    let greedy = read(None);
    // What the recognizer alone reads there: the list is what puts these words right.
    assert!(wanted.iter().any(|w| !greedy.iter().any(|l| l == w)), "{greedy:#?}");
}

#[test]
fn a_colon_standing_apart_is_read_as_its_own_word() {
    // Monospaced `Label : value` lines: CRAFT scores the lone colon too faintly to be a word, so
    // the line used to split there and lose it (`Tel` / `+603 2856 0385`); the recognizer glues
    // a colon it does read to the word before (`No:`). Both come out as printed now.
    let lines = read_all("regression/en_spaced_receipt.png", Lang::Auto);
    for want in ["Tel : +603 2856 0385", "GST Reg No : 000897208320", "Cashier : AMIRAH", "Date : 09-04-2018 19:22"] {
        assert!(lines.iter().any(|l| l == want), "{want}: {lines:#?}");
    }
}

#[test]
fn white_letters_on_a_red_sign_are_read() {
    let file = "synth_vi_04_sign_scene.jpg";
    let lines = read_all(file, Lang::Vi);
    assert!(lines.iter().any(|l| l == "TIỆM SỬA XE MÁY"), "{lines:#?}");
}

#[test]
fn an_english_page_read_as_english_has_no_vietnamese_letters() {
    let lines = read_all("en_invoice.png", Lang::En);
    let text = lines.join("\n");
    assert!(text.contains("Northwind Office Supplies"), "{text}");
    assert!(text.chars().all(|c| c.is_ascii() || !c.is_alphabetic()), "{text}");
}

#[test]
fn auto_reads_an_english_page_as_english_and_a_vietnamese_page_as_vietnamese() {
    let english = read_all("en_invoice.png", Lang::Auto).join("\n");
    assert!(english.contains("Northwind Office Supplies"), "{english}");
    assert!(english.chars().all(|c| c.is_ascii() || !c.is_alphabetic()), "{english}");
    let vietnamese = read_all("synth_vi_01_receipt_photo.jpg", Lang::Auto);
    assert!(vietnamese.iter().any(|l| l == "Mì gói Hảo Hảo"), "{vietnamese:#?}");
}

#[test]
fn the_syllable_list_puts_the_right_mark_on_a_word_the_recognizer_is_unsure_of() {
    // "Hàng mua rồi miễn đổi trả": the recognizer alone read "đồi" (hill) on the machines this
    // was written on, the int8 model "múa" (dance) too; the syllable frequencies of general
    // Vietnamese text make them "đổi" (exchange) and "mua". Whether the recognizer alone slips
    // there depends on the CPU's kernels (a float model on a CPU with only AVX2 reads it right).
    let lines = read_all("regression/dvi_04_receipt_photo.jpg", Lang::Auto);
    assert!(lines.iter().any(|l| l == "Hàng mua rồi miễn đổi trả"), "{lines:#?}");
    let greedy = {
        let cfg = InferenceConfig { intra_threads: 2, lexicon: None, ..Default::default() };
        let engine = Engine::load(&cfg).unwrap();
        let p = page("regression/dvi_04_receipt_photo.jpg");
        let det = engine.detect(&p, &DetectParams::default()).unwrap();
        engine.recognize(&p, &det.boxes, Lang::Vi).unwrap().lines.into_iter().map(|l| l.text).collect::<Vec<_>>()
    };
    let line = greedy.iter().find(|l| l.contains("miễn")).expect("the line is read");
    assert!(line.ends_with("rồi miễn đổi trả") || line.ends_with("rồi miễn đồi trả"), "{greedy:#?}");
}

/// The words of `text`, upper-cased, each with how often it occurs.
fn word_counts<'a>(text: impl Iterator<Item = &'a str>) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for w in text.flat_map(str::split_whitespace) {
        *counts.entry(w.to_uppercase()).or_default() += 1;
    }
    counts
}

/// The page's words as read (see [`word_counts`]), and the turn detection found.
fn words_of(engine: &Engine, page: &RgbImage) -> (std::collections::BTreeMap<String, usize>, u16) {
    let params = DetectParams { canvas_size: 960, ..Default::default() };
    let d = engine.detect(page, &params).unwrap();
    let r = engine.recognize(page, &d.boxes, Lang::En).unwrap();
    (word_counts(r.lines.iter().map(|l| l.text.as_str())), d.rotation)
}

#[test]
fn a_page_turned_by_90_180_or_270_degrees_reads_as_it_does_upright() {
    // Scored against the page's ground truth: the share of its printed words (each as often as
    // printed) that the reading has. Measured 0.99 upright and turned 270°, 0.97 turned 90° and
    // 180° (101 words); read the wrong way up, a page scores 0.02.
    const WORD_ACC_BAR: f32 = 0.95;
    let file = "en_invoice.png";
    let want = word_counts(gt(file).lines.iter().map(|l| l.text.as_str()));
    let printed: usize = want.values().sum();
    let read_share = |got: &std::collections::BTreeMap<String, usize>| {
        let found: usize = want.iter().map(|(w, &n)| n.min(got.get(w).copied().unwrap_or(0))).sum();
        found as f32 / printed as f32
    };
    let upright = page(file);
    use image::imageops::{rotate90, rotate180, rotate270};
    for (turned, degrees) in
        [(upright.clone(), 0), (rotate180(&upright), 180), (rotate270(&upright), 90), (rotate90(&upright), 270)]
    {
        let (words, rotation) = words_of(engine(), &turned);
        let share = read_share(&words);
        eprintln!("turned {degrees}°: {share:.3} of the {printed} printed words read");
        assert!(share >= WORD_ACC_BAR, "turned {degrees}°: {share:.2} of the {printed} printed words read\n{words:?}");
        assert_eq!(rotation, degrees, "{words:?}");
    }
}

// Long lines: a line wider than the recognizer takes (asternet: 1024 px at 32 px high) is read in
// pieces. Pages rendered by tests/fixtures/long-lines/make.py.

#[derive(serde::Deserialize)]
struct LongLinesGt {
    images: Vec<LongLinesImage>,
}
#[derive(serde::Deserialize)]
struct LongLinesImage {
    file: String,
    lines: Vec<LongLine>,
}
#[derive(serde::Deserialize)]
struct LongLine {
    text: String,
    lang: String,
    kind: String,
    poly: Quad,
}

/// Word edits (insertions, deletions, substitutions) that turn `read` into `truth`.
fn word_errors(read: &str, truth: &str) -> usize {
    edits(&read.split_whitespace().collect::<Vec<_>>(), &truth.split_whitespace().collect::<Vec<_>>())
}

#[test]
fn lines_of_100_to_400_characters_read_as_well_as_the_same_words_in_short_lines() {
    let gt: LongLinesGt =
        serde_json::from_slice(&std::fs::read(fixtures().join("long-lines/gt.json")).unwrap()).unwrap();
    let (mut long_errors, mut short_errors, mut words) = (0, 0, 0);
    for image in &gt.images {
        let page = page(&format!("long-lines/{}", image.file));
        for (lang, code) in [(Lang::En, "en"), (Lang::Vi, "vi")] {
            let lines: Vec<&LongLine> = image.lines.iter().filter(|l| l.lang == code).collect();
            let boxes: Vec<TextBox> = lines.iter().map(|l| TextBox { points: l.poly, score: 1.0 }).collect();
            let read = engine().recognize(&page, &boxes, lang).unwrap().lines;
            for n in [100, 150, 250, 400] {
                let (long, short) = (format!("long{n}"), format!("short{n}"));
                let truth = &lines.iter().find(|l| l.kind == long).unwrap().text;
                let at = |kind: &str| -> Vec<&ocr_core::OcrLine> {
                    lines.iter().zip(&read).filter(|(l, _)| l.kind == kind).map(|(_, r)| r).collect()
                };
                let text = |lines: Vec<&ocr_core::OcrLine>| {
                    lines.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" ")
                };
                let (long_read, short_read) = (text(at(&long)), text(at(&short)));
                assert!(at(&long).iter().all(|r| r.error.is_none()));
                let (le, se) = (word_errors(&long_read, truth), word_errors(&short_read, truth));
                eprintln!("{} {code} {n}: {le} word errors long, {se} short", image.file);
                if le > se {
                    eprintln!("  long:  {long_read}\n  short: {short_read}\n  truth: {truth}");
                }
                // No seam artefact: a long line has no more word errors than the same words read
                // in short lines, bar one (the two readings see different neighbours).
                assert!(
                    le <= se + 1,
                    "{} {code} {n}: {le} word errors long, {se} short\n{long_read}\n{truth}",
                    image.file
                );
                (long_errors, short_errors, words) =
                    (long_errors + le, short_errors + se, words + truth.split_whitespace().count());
            }
        }
    }
    let acc = |e: usize| 1.0 - e as f32 / words as f32;
    eprintln!(
        "word accuracy over {words} words: long lines {:.4}, short lines {:.4}",
        acc(long_errors),
        acc(short_errors)
    );
    assert!(long_errors <= short_errors, "long lines {long_errors} word errors, short {short_errors}");
}

#[test]
fn a_contract_page_of_long_lines_is_read_line_by_line() {
    let page = page("long-lines/contract.png");
    let det = engine().detect(&page, &DetectParams::default()).unwrap();
    let rec = engine().recognize(&page, &det.boxes, Lang::Auto).unwrap();
    assert!(rec.lines.iter().all(|l| l.error.is_none()));
    let truth = std::fs::read_to_string(fixtures().join("long-lines/contract.txt")).unwrap();
    let read: Vec<&str> = rec.lines.iter().map(|l| l.text.as_str()).collect();
    // The prose lines come out whole, each one line of about 110 characters.
    for line in truth.lines().filter(|l| !l.contains("...")).skip(1) {
        let best = read.iter().map(|r| word_errors(r, line)).min().unwrap_or(usize::MAX);
        assert!(best <= 2, "{line:?} is read with {best} word errors:\n{read:#?}");
    }
}

#[test]
fn a_line_the_model_fails_on_is_left_unread_and_the_rest_of_the_page_is_read() {
    // A recognizer said to take crops twice as wide as asternet does: the long lines overflow
    // its positional encoding inside the model, as every long line did before lines were read
    // in pieces; the short lines are read. (`vi`: read by asternet, English lines too.)
    let cfg = InferenceConfig { intra_threads: 2, ..Default::default() };
    let recognizers = cfg.recognizers.iter().map(|r| ocr_inference::RecognizerSpec { max_width: 4096, ..r.clone() });
    let cfg = InferenceConfig { recognizers: recognizers.collect(), ..cfg };
    let overstated = Engine::load(&cfg).unwrap();
    let gt: LongLinesGt =
        serde_json::from_slice(&std::fs::read(fixtures().join("long-lines/gt.json")).unwrap()).unwrap();
    let image = &gt.images[0];
    let page = page(&format!("long-lines/{}", image.file));
    let lines: Vec<&LongLine> = image.lines.iter().filter(|l| l.lang == "en" && l.kind.ends_with("150")).collect();
    let boxes: Vec<TextBox> = lines.iter().map(|l| TextBox { points: l.poly, score: 1.0 }).collect();
    let read = overstated.recognize(&page, &boxes, Lang::Vi).unwrap().lines;
    for (line, r) in lines.iter().zip(&read) {
        if line.kind.starts_with("long") {
            assert_eq!((r.text.as_str(), r.confidence, r.error), ("", 0.0, Some(ErrorCode::InferenceFailed)));
        } else {
            assert!(r.error.is_none() && word_errors(&r.text, &line.text) <= 1, "{:?} read as {:?}", line.text, r.text);
        }
    }
    // When every line fails, the model is at fault: that is an error, not a page of empty lines.
    let long: Vec<TextBox> =
        boxes.iter().zip(&lines).filter(|(_, l)| l.kind.starts_with("long")).map(|(b, _)| b.clone()).collect();
    let err = overstated.recognize(&page, &long, Lang::Vi).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InferenceFailed, "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, failure_persistence: None, ..Default::default() })]

    /// Any box on the page, from a square to a sliver 300 times as wide as it is high, lying at
    /// any angle, is read without error: one line back, with a confidence per character.
    #[test]
    fn boxes_from_square_to_300_to_1_at_any_angle_are_read_without_error(
        aspect in 1.0f32..300.0,
        height in 3.0f32..80.0,
        angle in -90.0f32..90.0,
        cx in 0.0f32..1.0,
        cy in 0.0f32..1.0,
    ) {
        let page = page("en_invoice.png");
        let (w, h) = (page.width() as f32, page.height() as f32);
        let (c, s) = (angle.to_radians().cos(), angle.to_radians().sin());
        let (hw, hh) = (aspect * height / 2.0, height / 2.0);
        let (x, y) = (cx * w, cy * h);
        let points = [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].map(|[dx, dy]| [x + dx * c - dy * s, y + dx * s + dy * c]);
        let read = engine().recognize(&page, &[TextBox { points, score: 1.0 }], Lang::Auto).unwrap();
        proptest::prop_assert_eq!(read.lines.len(), 1);
        let line = &read.lines[0];
        proptest::prop_assert!(line.error.is_none());
        proptest::prop_assert_eq!(line.char_confidences.len(), line.text.chars().count());
    }
}

#[test]
fn the_extreme_aspects_are_read_without_error() {
    let page = page("en_invoice.png");
    for (aspect, height) in
        [(1.0, 3.0), (1.0, 400.0), (31.9, 32.0), (32.0, 32.0), (32.1, 32.0), (300.0, 3.0), (300.0, 30.0), (5000.0, 4.0)]
    {
        let (x0, y0) = (10.0, 10.0);
        let x1 = x0 + aspect * height;
        let points = [[x0, y0], [x1, y0], [x1, y0 + height], [x0, y0 + height]];
        let read = engine().recognize(&page, &[TextBox { points, score: 1.0 }], Lang::Auto);
        let line = &read.unwrap_or_else(|e| panic!("{aspect}:1 at {height} px: {e}")).lines[0];
        assert!(line.error.is_none(), "{aspect}:1 at {height} px");
    }
}

/// The rendered pages of tests/fixtures/rules (make.py): each line's text and the words in it
/// that must come out exactly as printed.
fn rules_gt() -> Vec<(String, Vec<String>)> {
    #[derive(serde::Deserialize)]
    struct Page {
        lines: Vec<Line>,
    }
    #[derive(serde::Deserialize)]
    struct Line {
        exact: Vec<String>,
    }
    let gt: std::collections::BTreeMap<String, Page> =
        serde_json::from_slice(&std::fs::read(fixtures().join("rules/gt.json")).unwrap()).unwrap();
    gt.into_iter().flat_map(|(file, p)| p.lines.into_iter().map(move |l| (file.clone(), l.exact))).collect()
}

#[test]
fn codes_units_names_and_lone_letters_on_clean_print_are_read_as_printed_in_every_mode() {
    let gt = rules_gt();
    let mut misses = Vec::new();
    for file in ["en_sans.png", "en_serif.png", "vi_sans.png"] {
        let langs: &[Lang] =
            if file.starts_with("en") { &[Lang::Auto, Lang::En, Lang::Vi] } else { &[Lang::Auto, Lang::Vi] };
        for &lang in langs {
            let lines = read_all(&format!("rules/{file}"), lang);
            let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
            for want in gt.iter().filter(|(f, _)| f == file).flat_map(|(_, exact)| exact) {
                if !words.contains(&want.as_str()) {
                    misses.push(format!("{file} {lang:?}: {want} not in {lines:?}"));
                }
            }
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[test]
fn auto_routes_an_english_page_to_the_english_reader_and_a_vietnamese_page_to_asternet() {
    let readers = |file: &str, lang: Lang| -> Vec<String> {
        let p = page(file);
        let det = engine().detect(&p, &DetectParams::default()).unwrap();
        let lines = engine().recognize(&p, &det.boxes, lang).unwrap().lines;
        lines.into_iter().map(|l| l.reader.unwrap_or_default()).collect()
    };
    let all = |v: &[String], name: &str| !v.is_empty() && v.iter().all(|r| r == name);
    let english = readers("rules/en_sans.png", Lang::Auto);
    assert!(all(&english, "ppocr"), "{english:?}");
    let vietnamese = readers("rules/vi_sans.png", Lang::Auto);
    assert!(all(&vietnamese, "asternet"), "{vietnamese:?}");
    // A job's language names the reader outright.
    assert!(all(&readers("rules/vi_sans.png", Lang::En), "ppocr"));
    // `vi`: asternet, and trueocr where asternet was unsure of a line; never PP-OCRv6.
    let vi = readers("rules/en_sans.png", Lang::Vi);
    assert!(vi.iter().all(|r| r == "asternet" || r == "trueocr") && vi.iter().any(|r| r == "asternet"), "{vi:?}");
    // The result names every model that may have read a line: the detector, both languages'
    // readers, and trueocr's second opinion on Vietnamese lines (`lang=en` lines never get it).
    let asternet = InferenceConfig::default_asternet().trim_end_matches(".onnx");
    let detector = InferenceConfig::default().detector_model.trim_end_matches(".onnx").to_owned();
    assert_eq!(engine().model_name(Lang::Auto), format!("{detector}+{asternet}+PP-OCRv6_rec_small+trueocr_rec"));
    assert_eq!(engine().model_name(Lang::En), format!("{detector}+PP-OCRv6_rec_small"));
}

#[test]
fn a_page_read_twice_reads_the_same() {
    for file in ["rules/en_serif.png", "regression/en_faint_receipt.jpg"] {
        assert_eq!(read_all(file, Lang::Auto), read_all(file, Lang::Auto), "{file}");
    }
}

#[test]
fn sign_words_in_display_faces_and_light_on_colour_are_read() {
    // tests/fixtures/signs (make.py): Vietnamese sign lines in bold condensed, bold italic and
    // extra-light faces, light letters on coloured grounds, each crop given whole as the line.
    #[derive(serde::Deserialize)]
    struct Sign {
        file: String,
        text: String,
    }
    let signs: Vec<Sign> = serde_json::from_slice(&std::fs::read(fixtures().join("signs/gt.json")).unwrap()).unwrap();
    let mut errors = 0;
    let mut chars = 0;
    let mut read = Vec::new();
    for sign in &signs {
        let p = page(&format!("signs/{}", sign.file));
        let (w, h) = (p.width() as f32, p.height() as f32);
        let whole = TextBox { points: [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]], score: 1.0 };
        for lang in [Lang::Auto, Lang::Vi] {
            let line = engine().recognize(&p, std::slice::from_ref(&whole), lang).unwrap().lines.remove(0);
            errors += levenshtein(&line.text, &sign.text);
            chars += sign.text.chars().count();
            read.push(format!("{lang:?} {:?} -> {:?} ({})", sign.text, line.text, line.reader.unwrap_or_default()));
        }
    }
    let cer = errors as f32 / chars as f32;
    eprintln!("sign crops: CER {cer:.3}\n{read:#?}");
    // Before the crops kept off the page's edge, the light-on-colour ones read at CER 0.58.
    assert!(cer < 0.05, "CER {cer:.3}: {read:#?}");
}

#[test]
fn trueocr_second_opinion_reads_photographed_signs_better_than_asternet_alone() {
    // tests/fixtures/signs-hard (make.py): 40 photographed-looking Vietnamese sign lines, each
    // crop given whole as the line, read with and without trueocr's second opinion.
    #[derive(serde::Deserialize)]
    struct Sign {
        file: String,
        text: String,
    }
    let signs: Vec<Sign> =
        serde_json::from_slice(&std::fs::read(fixtures().join("signs-hard/gt.json")).unwrap()).unwrap();
    let alone = Engine::load(&InferenceConfig { intra_threads: 2, second_reader: None, ..Default::default() }).unwrap();
    let (mut with_errors, mut alone_errors, mut chars, mut by_trueocr) = (0, 0, 0, 0);
    for sign in &signs {
        let p = page(&format!("signs-hard/{}", sign.file));
        let (w, h) = (p.width() as f32, p.height() as f32);
        let whole = [TextBox { points: [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]], score: 1.0 }];
        let with = engine().recognize(&p, &whole, Lang::Vi).unwrap().lines.remove(0);
        let without = alone.recognize(&p, &whole, Lang::Vi).unwrap().lines.remove(0);
        assert_ne!(without.reader.as_deref(), Some("trueocr"));
        // A tenant that turned the second opinion off reads as the server without it.
        let off = Readers { second: SecondReader::None, ..Readers::default() };
        let turned_off = engine().recognize_with(&p, &whole, Lang::Vi, off).unwrap().lines.remove(0);
        assert_eq!((&turned_off.text, &turned_off.reader), (&without.text, &without.reader));
        by_trueocr += usize::from(with.reader.as_deref() == Some("trueocr"));
        with_errors += levenshtein(&with.text, &sign.text);
        alone_errors += levenshtein(&without.text, &sign.text);
        chars += sign.text.chars().count();
    }
    let (with, alone) = (with_errors as f32 / chars as f32, alone_errors as f32 / chars as f32);
    eprintln!("signs-hard: CER {alone:.3} asternet alone, {with:.3} with trueocr's opinion ({by_trueocr} lines)");
    // Measured when the vote was built: 0.33 alone, 0.26 with it (docs/models.md).
    assert!(by_trueocr > 0 && with < alone - 0.03, "CER {alone:.3} alone, {with:.3} with trueocr ({by_trueocr} lines)");
}

// trueocr's line detector (`OCR_DETECTOR=trueocr`).

fn trueocr_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let cfg = InferenceConfig { intra_threads: 2, detector: DetectorKind::Trueocr, ..Default::default() };
        Engine::load(&cfg).unwrap_or_else(|e| panic!("{e}\n(fetch the models with scripts/fetch-models.sh)"))
    })
}

/// The share of the printed words of `rules/en_sans.png` that `engine` detects and reads in
/// English, and what it read.
fn rules_page_words_read(engine: &Engine) -> (f32, std::collections::BTreeMap<String, usize>) {
    #[derive(serde::Deserialize)]
    struct Page {
        lines: Vec<Line>,
    }
    #[derive(serde::Deserialize)]
    struct Line {
        text: String,
    }
    let pages: std::collections::HashMap<String, Page> =
        serde_json::from_slice(&std::fs::read(fixtures().join("rules/gt.json")).unwrap()).unwrap();
    let want = word_counts(pages["en_sans.png"].lines.iter().map(|l| l.text.as_str()));
    let printed: usize = want.values().sum();
    let p = page("rules/en_sans.png");
    let det = engine.detect(&p, &DetectParams::default()).unwrap();
    let read = engine.recognize(&p, &det.boxes, Lang::En).unwrap();
    let got = word_counts(read.lines.iter().map(|l| l.text.as_str()));
    let found: usize = want.iter().map(|(w, &n)| n.min(got.get(w).copied().unwrap_or(0))).sum();
    let share = found as f32 / printed as f32;
    eprintln!("{share:.3} of the {printed} printed words read");
    (share, got)
}

#[test]
fn the_trueocr_detector_finds_the_lines_a_rendered_page_is_read_from() {
    let (share, got) = rules_page_words_read(trueocr_engine());
    // Measured 0.88: every word but the letter-spaced title `I N V O I C E`, read as `INVOICE`.
    assert!(share >= 0.85, "{share:.2} of the printed words read\n{got:?}");
}

#[test]
fn the_trueocr_detector_covers_the_lines_of_a_tilted_page_once_straightened() {
    let file = "en_rotated_15deg.png";
    let det = trueocr_engine().detect(&page(file), &DetectParams::default()).unwrap();
    for line in gt(file).lines {
        let c = coverage(&line.poly, &det.boxes);
        assert!(c >= 0.8, "{file}: gt line {:?} only {:.0} % covered", line.text, c * 100.0);
    }
}

// CRAFT's lines and the lines of trueocr's detector CRAFT missed (`DetectorKind::CraftTrueocr`).

fn craft_trueocr_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let cfg = InferenceConfig { intra_threads: 2, detector: DetectorKind::CraftTrueocr, ..Default::default() };
        Engine::load(&cfg).unwrap_or_else(|e| panic!("{e}\n(fetch the models with scripts/fetch-models.sh)"))
    })
}

#[test]
fn craft_with_trueocr_keeps_craft_lines_and_adds_none_where_craft_found_every_line() {
    // A clean rendered page: CRAFT finds every line, and each of trueocr's touches one of them.
    let p = page("en_invoice.png");
    let craft = engine().detect(&p, &DetectParams::default()).unwrap().boxes;
    let both = craft_trueocr_engine().detect(&p, &DetectParams::default()).unwrap().boxes;
    assert_eq!(both, craft);
    let detector = InferenceConfig::default().detector_model.trim_end_matches(".onnx").to_owned();
    assert_eq!(craft_trueocr_engine().model_name(Lang::En), format!("{detector}+trueocr_det+PP-OCRv6_rec_small"));
}

#[test]
fn craft_with_trueocr_adds_the_lone_digit_craft_missed_on_its_ink_and_reads_it() {
    // tests/fixtures/quantities (make.py): a grey receipt whose quantity column holds lone
    // digits; CRAFT finds no line on the `4`.
    #[derive(serde::Deserialize)]
    struct Digit {
        text: String,
        r#box: [f32; 4],
    }
    let digits: Vec<Digit> =
        serde_json::from_slice(&std::fs::read(fixtures().join("quantities/en_quantity_receipt.json")).unwrap())
            .unwrap();
    let four = digits.iter().find(|d| d.text == "4").unwrap();
    let [x0, y0, x1, y1] = four.r#box;
    let ink: Quad = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    let p = page("quantities/en_quantity_receipt.png");
    let craft = engine().detect(&p, &DetectParams::default()).unwrap().boxes;
    assert!(coverage(&ink, &craft) < 0.5, "CRAFT found the 4 now: the page no longer tests the rescue");
    let both = craft_trueocr_engine().detect(&p, &DetectParams::default()).unwrap().boxes;
    // Every CRAFT line stays, and the digit's line is added, in its row's reading order.
    assert!(craft.iter().all(|b| both.contains(b)));
    let added: Vec<TextBox> = both.iter().filter(|b| !craft.contains(b)).cloned().collect();
    let iou = |b: &TextBox| {
        let (bx0, by0) = (b.points[0][0].min(b.points[3][0]), b.points[0][1].min(b.points[1][1]));
        let (bx1, by1) = (b.points[1][0].max(b.points[2][0]), b.points[2][1].max(b.points[3][1]));
        let inter = (bx1.min(x1) - bx0.max(x0)).max(0.0) * (by1.min(y1) - by0.max(y0)).max(0.0);
        inter / ((bx1 - bx0) * (by1 - by0) + (x1 - x0) * (y1 - y0) - inter)
    };
    let line = added.iter().find(|b| iou(b) > 0.0).unwrap_or_else(|| panic!("no line on the 4: {added:?}"));
    // On its ink, as CRAFT's and the ground truth's boxes are drawn: with trueocr's reading
    // margins its box would hold the digit at IoU about 0.44, no match at the usual 0.5.
    assert!(iou(line) >= 0.6, "IoU {:.2} of {line:?} with the ink {ink:?}", iou(line));
    let read = craft_trueocr_engine().recognize(&p, std::slice::from_ref(line), Lang::Auto).unwrap();
    assert_eq!(read.lines[0].text, "4");
    let at = both.iter().position(|b| b == line).unwrap();
    assert!(both[at + 1].points[0][0] > 400.0, "the 4 reads before its row's amount");
}

// PaddleOCR's PP-OCRv6 small DB detector (`OCR_DETECTOR=ppocr`).

fn ppocr_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let cfg = InferenceConfig { intra_threads: 2, detector: DetectorKind::Ppocr, ..Default::default() };
        Engine::load(&cfg).unwrap_or_else(|e| panic!("{e}\n(fetch the models with scripts/fetch-models.sh)"))
    })
}

#[test]
fn the_ppocr_detector_covers_every_line_of_the_rendered_pages() {
    for file in ["en_invoice.png", "vi_paragraph.png", "synth_vi_02_receipt_scan.jpg", "en_rotated_15deg.png"] {
        let det = ppocr_engine().detect(&page(file), &DetectParams::default()).unwrap();
        for line in gt(file).lines.iter().filter(|l| !l.ignore) {
            let c = coverage(&line.poly, &det.boxes);
            assert!(c >= 0.8, "{file}: gt line {:?} only {:.0} % covered", line.text, c * 100.0);
        }
    }
}

#[test]
fn the_ppocr_detector_finds_the_words_a_rendered_page_is_read_from() {
    let (share, got) = rules_page_words_read(ppocr_engine());
    // Measured 0.88, as with trueocr's detector.
    assert!(share >= 0.85, "{share:.2} of the printed words read\n{got:?}");
}

#[test]
fn the_ppocr_detector_gives_a_tilted_receipt_row_by_row() {
    // A photographed receipt tilted by about 2 degrees: a price at the right end of its row
    // lies lower than the item's start by more than half a line, so rows told upright would put
    // it after the next item's name.
    let p = page("regression/dvi_01_receipt_photo.jpg");
    let det = ppocr_engine().detect(&p, &DetectParams::default()).unwrap();
    let lines: Vec<String> =
        ppocr_engine().recognize(&p, &det.boxes, Lang::Vi).unwrap().lines.into_iter().map(|l| l.text).collect();
    let at = |t: &str| lines.iter().position(|l| l == t).unwrap_or_else(|| panic!("{t:?} not read in {lines:?}"));
    assert!(at("4 x 49.000") < at("196.000") && at("196.000") < at("Gạo thơm ST25 5kg"), "{lines:?}");
    assert!(at("1 x 43.000") < at("43.000") && at("43.000") < at("Thịt heo ba chỉ"), "{lines:?}");
}
