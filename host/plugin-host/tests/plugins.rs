//! The plugin host against real components: the built-in plugins, the template, a plugin
//! written in Python, and hostile test plugins. The components come from `scripts/build-plugins.sh`, which this binary runs
//! once (cargo makes it a no-op when nothing changed); set `OCR_PLUGIN_DIST` to a folder laid
//! out like `plugins/dist` to skip the build.
//!
//! Compiling a component takes ~0.7 s with a debug wasmtime, so each is loaded once into one
//! shared host ([`shared`]) and reused by every test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ocr_core::{DetectPage, ErrorCode, Field, KeyValuePair, OcrLine, OcrPage, OcrResult, PairPart, TextBox};
use ocr_plugin_host::{Limits, LogLevel, Plugin, PluginError, PluginHost};
use sha2::{Digest, Sha256};

/// The shared host's deadline: short, so the endless-loop test is quick, yet far above what
/// the other calls take in a debug build on a busy machine.
const DEADLINE: Duration = Duration::from_secs(1);

fn dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        if let Some(dir) = std::env::var_os("OCR_PLUGIN_DIST") {
            return PathBuf::from(dir);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = std::process::Command::new("bash")
            .arg(root.join("scripts/build-plugins.sh"))
            .status()
            .expect("run scripts/build-plugins.sh");
        assert!(status.success(), "scripts/build-plugins.sh failed");
        root.join("plugins/dist")
    })
}

fn wasm(name: &str) -> Vec<u8> {
    let path = dist().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A fresh folder for precompiled artefacts, shared by the hosts of this test binary.
fn cache_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Folders of earlier runs.
        for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("plugin-cache-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        tmp.join(format!("plugin-cache-{}", std::process::id()))
    })
}

struct Shared {
    host: PluginHost,
    filter: Arc<Plugin>,
    normalizer: Arc<Plugin>,
    redactor: Arc<Plugin>,
    hostile: Arc<Plugin>,
    template: Arc<Plugin>,
    receipt: Arc<Plugin>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Fuel plentiful so that the endless loop meets the deadline first; `out_of_fuel` uses
        // a host of its own.
        let limits = Limits { deadline: DEADLINE, fuel: 1 << 40, ..Limits::default() };
        let host = PluginHost::new(limits, Some(cache_dir().to_path_buf())).expect("host");
        let load = |name: &str| {
            let started = Instant::now();
            let plugin = host.load(&wasm(name)).unwrap_or_else(|e| panic!("load {name}: {e}"));
            eprintln!("loaded {name} in {:?}", started.elapsed());
            plugin
        };
        Shared {
            filter: load("min-box-filter.wasm"),
            normalizer: load("text-normalizer.wasm"),
            redactor: load("pii-redactor.wasm"),
            hostile: load("test/test-plugin-hostile.wasm"),
            template: load("test/plugin-template.wasm"),
            receipt: load("receipt-fields.wasm"),
            host,
        }
    })
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> [[f32; 2]; 4] {
    [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
}

/// Three boxes on a 200x100 page: a good one, a low-score one, a 3 px high one.
fn detect_page() -> DetectPage {
    DetectPage {
        page_index: 2,
        width: 200,
        height: 100,
        boxes: vec![
            TextBox { points: rect(10.0, 10.0, 100.0, 20.0), score: 0.9 },
            TextBox { points: rect(10.0, 40.0, 100.0, 20.0), score: 0.3 },
            TextBox { points: rect(10.0, 70.0, 100.0, 3.0), score: 0.9 },
        ],
    }
}

fn line(text: &str) -> OcrLine {
    let n = text.chars().count();
    OcrLine::recognized(text.into(), 0.8, rect(10.0, 10.0, 100.0, 20.0), (0..n).map(|i| i as f32 / n as f32).collect())
}

fn ocr_page(texts: &[&str]) -> OcrPage {
    let lines: Vec<OcrLine> = texts.iter().map(|t| line(t)).collect();
    OcrPage { page_index: 0, width: 200, height: 100, text: texts.join("\n"), lines, ..Default::default() }
}

fn hostile_filter(mode: &str) -> Result<Vec<TextBox>, PluginError> {
    let s = shared();
    s.host.filter_boxes(&s.hostile, &config(&[("mode", mode)]), &detect_page()).map(|r| r.output)
}

fn hostile_normalize(mode: &str) -> Result<Vec<OcrLine>, PluginError> {
    let s = shared();
    s.host.normalize_text(&s.hostile, &config(&[("mode", mode)]), &ocr_page(&["a", "b"])).map(|r| r.output)
}

/// The good plugin still works after a hostile one misbehaved.
fn good_plugin_still_serves() {
    let s = shared();
    let report = s.host.filter_boxes(&s.filter, &BTreeMap::new(), &detect_page()).expect("good plugin");
    assert_eq!(report.output.len(), 1);
}

#[test]
fn min_box_filter_drops_low_score_and_tiny_boxes_and_logs_it() {
    let s = shared();
    assert!(s.filter.hooks.filter_boxes && !s.filter.hooks.normalize_text);
    let report = s.host.filter_boxes(&s.filter, &BTreeMap::new(), &detect_page()).unwrap();
    assert_eq!(report.output, vec![detect_page().boxes[0].clone()]);
    assert_eq!(report.logs.len(), 1);
    assert_eq!(report.logs[0].level, LogLevel::Info);
    assert!(report.logs[0].message.contains("page 2: dropped 2 of 3 boxes"), "{:?}", report.logs);
    assert!(report.fuel_used > 0);
    assert!(report.memory_peak > 0);
}

#[test]
fn min_box_filter_reads_its_thresholds_from_the_tenant_config() {
    let s = shared();
    let lenient = config(&[("min_score", "0.2"), ("min_height", "2")]);
    let report = s.host.filter_boxes(&s.filter, &lenient, &detect_page()).unwrap();
    assert_eq!(report.output.len(), 3);

    let err = s.host.filter_boxes(&s.filter, &config(&[("min_score", "high")]), &detect_page()).unwrap_err();
    assert_eq!(err, PluginError::Failed("config min_score must be a number, got \"high\"".into()));
    assert_eq!(err.code(), ErrorCode::PluginFailed);
}

#[test]
fn text_normalizer_composes_trims_and_collapses_whitespace() {
    let s = shared();
    assert!(s.normalizer.hooks.normalize_text && !s.normalizer.hooks.filter_boxes);
    // "o" + combining diaeresis composes to "ö" (NFC).
    let page = ocr_page(&["  Hello \t  wo\u{308}rld  ", "plain"]);
    let report = s.host.normalize_text(&s.normalizer, &BTreeMap::new(), &page).unwrap();
    let texts: Vec<&str> = report.output.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["Hello wörld", "plain"]);
    // NFC changed the character count: confidences fall back to the line's.
    assert_eq!(report.output[0].char_confidences, vec![0.8; 11]);
    // Unchanged lines keep their own.
    assert_eq!(report.output[1], page.lines[1]);
    assert!(report.logs[0].message.contains("changed 1 of 2 lines"), "{:?}", report.logs);
}

#[test]
fn text_normalizer_keeps_confidences_beside_their_characters() {
    let s = shared();
    let page = ocr_page(&[" a  b "]);
    let report = s.host.normalize_text(&s.normalizer, &BTreeMap::new(), &page).unwrap();
    let c = &page.lines[0].char_confidences;
    assert_eq!(report.output[0].text, "a b");
    assert_eq!(report.output[0].char_confidences, vec![c[1], c[2], c[4]]);
}

#[test]
fn text_normalizer_masks_long_digit_runs_when_configured() {
    let s = shared();
    let page = ocr_page(&["card 4111111111111111 exp 12/29", "call 12345678"]);
    let masked = s.host.normalize_text(&s.normalizer, &config(&[("mask_digits", "true")]), &page).unwrap();
    assert_eq!(masked.output[0].text, "card **************** exp 12/29");
    assert_eq!(masked.output[1].text, "call 12345678", "runs under 9 digits stay");
    let plain = s.host.normalize_text(&s.normalizer, &BTreeMap::new(), &page).unwrap();
    assert_eq!(plain.output[0].text, "card 4111111111111111 exp 12/29");
}

/// A host for the Python plugin, whose component embeds CPython: ~18 MB, over the default
/// upload cap, and minutes to compile with a debug wasmtime on a busy machine. So its
/// precompiled artefact is kept across test runs, in a folder of its own that holds only the
/// current build's (the host discards an artefact made by different engine settings). Not named
/// `plugin-cache-*`, which [`cache_dir`] clears.
fn python() -> &'static (PluginHost, Arc<Plugin>) {
    static PYTHON: OnceLock<(PluginHost, Arc<Plugin>)> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let limits = Limits { max_component_bytes: 32 << 20, deadline: Duration::from_secs(10), ..Limits::default() };
        let bytes = wasm("test/py-upper.wasm");
        let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-plugin-cache");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if !entry.file_name().to_string_lossy().starts_with(&sha256) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let host = PluginHost::new(limits, Some(dir)).expect("host");
        let started = Instant::now();
        let plugin = host.load(&bytes).unwrap_or_else(|e| panic!("load py-upper: {e}"));
        eprintln!("loaded py-upper in {:?}", started.elapsed());
        (host, plugin)
    })
}

fn texts(lines: &[OcrLine]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

/// Boxes on a 200x100 page, each good enough for the default rules but for one option.
fn shapes_page() -> DetectPage {
    let boxes = [
        rect(10.0, 10.0, 60.0, 20.0),  // area 1200, ratio 3, centre (40, 20)
        rect(10.0, 40.0, 20.0, 10.0),  // area 200
        rect(10.0, 60.0, 180.0, 8.0),  // ratio 22.5
        rect(120.0, 10.0, 60.0, 20.0), // centre (150, 20)
    ];
    DetectPage {
        page_index: 1,
        width: 200,
        height: 100,
        boxes: boxes.into_iter().map(|points| TextBox { points, score: 0.9 }).collect(),
    }
}

#[test]
fn min_box_filter_applies_area_aspect_ratio_and_region() {
    let s = shared();
    let page = shapes_page();
    let keep =
        |cfg: &[(&str, &str)]| -> Vec<TextBox> { s.host.filter_boxes(&s.filter, &config(cfg), &page).unwrap().output };
    let all = page.boxes.clone();
    assert_eq!(keep(&[]), all);
    let without = |i: usize| -> Vec<TextBox> {
        let mut b = all.clone();
        b.remove(i);
        b
    };
    assert_eq!(keep(&[("min_area", "500")]), without(1));
    assert_eq!(keep(&[("max_aspect_ratio", "10")]), without(2));
    assert_eq!(keep(&[("region", "0,0,100,100")]), without(3));
    let report = s
        .host
        .filter_boxes(
            &s.filter,
            &config(&[("min_area", "500"), ("max_aspect_ratio", "10"), ("region", "0, 0, 100, 100")]),
            &page,
        )
        .unwrap();
    assert_eq!(report.output, vec![all[0].clone()]);
    assert!(
        report.logs[0].message.contains("dropped 3 of 4 boxes (score 0, height 0, area 1, aspect ratio 1, region 1)"),
        "{:?}",
        report.logs
    );
}

#[test]
fn min_box_filter_names_the_malformed_key() {
    let s = shared();
    for (key, value, expected) in [
        ("min_score", "high", "config min_score must be a number"),
        ("min_area", "-5", "config min_area must be a number ≥ 0"),
        ("max_aspect_ratio", "0.5", "config max_aspect_ratio must be a number ≥ 1"),
        ("region", "10,10,5", "config region must be four numbers"),
        ("region", "50,0,10,100", "x0 < x1 and y0 < y1"),
    ] {
        let err = s.host.filter_boxes(&s.filter, &config(&[(key, value)]), &shapes_page()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PluginFailed);
        assert!(matches!(&err, PluginError::Failed(m) if m.contains(expected)), "{key}={value}: {err:?}");
    }
}

#[test]
fn text_normalizer_places_tone_marks_in_the_old_or_new_style() {
    let s = shared();
    let page = ocr_page(&["Hoà thuý khoẻ", "hòa thúy khỏe", "hoàng quý ngoài"]);
    let run =
        |style: &str| s.host.normalize_text(&s.normalizer, &config(&[("tone_style", style)]), &page).unwrap().output;
    let old = run("old");
    assert_eq!(texts(&old), ["Hòa thúy khỏe", "hòa thúy khỏe", "hoàng quý ngoài"]);
    let new = run("new");
    assert_eq!(texts(&new), ["Hoà thuý khoẻ", "hoà thuý khoẻ", "hoàng quý ngoài"]);
    for (out, given) in old.iter().chain(&new).zip(page.lines.iter().cycle()) {
        assert_eq!(out.char_confidences, given.char_confidences, "{}", out.text);
    }
    let plain = s.host.normalize_text(&s.normalizer, &BTreeMap::new(), &page).unwrap();
    assert_eq!(plain.output, page.lines, "no tone_style, no change");
    let err = s.host.normalize_text(&s.normalizer, &config(&[("tone_style", "modern")]), &page).unwrap_err();
    assert!(matches!(&err, PluginError::Failed(m) if m.contains("config tone_style must be old")), "{err:?}");
}

#[test]
fn text_normalizer_fixes_letters_inside_numbers_only_when_asked() {
    let s = shared();
    let page = ocr_page(&["Năm 2O24, phòng 1O5, mã 3l5-7I9", "Ông O lO l0 Oct 10"]);
    let fixed = s.host.normalize_text(&s.normalizer, &config(&[("fix_confusions", "true")]), &page).unwrap().output;
    assert_eq!(texts(&fixed), ["Năm 2024, phòng 105, mã 315-719", "Ông O lO l0 Oct 10"]);
    assert_eq!(fixed[0].char_confidences, page.lines[0].char_confidences);
    let plain = s.host.normalize_text(&s.normalizer, &BTreeMap::new(), &page).unwrap().output;
    assert_eq!(plain, page.lines);
}

fn redact(cfg: &[(&str, &str)], texts_in: &[&str]) -> ocr_plugin_host::CallReport<Vec<OcrLine>> {
    let s = shared();
    s.host.normalize_text(&s.redactor, &config(cfg), &ocr_page(texts_in)).unwrap()
}

#[test]
fn pii_redactor_masks_email_addresses() {
    let report = redact(&[], &["Gửi tới an.nguyen+hd@example.com.vn."]);
    let masked = "*".repeat("an.nguyen+hd@example.com.vn".len());
    assert_eq!(report.output[0].text, format!("Gửi tới {masked}."));
}

#[test]
fn pii_redactor_masks_vietnamese_and_international_phone_numbers() {
    let report = redact(
        &[],
        &[
            "ĐT: 0912 345 678 hoặc 0386123456",
            "Hotline (+84) 912-345-678, văn phòng (028) 3822 1234",
            "London +44 20 7946 0958",
        ],
    );
    assert_eq!(
        texts(&report.output),
        [
            "ĐT: **** *** *** hoặc **********",
            "Hotline (***) ***-***-***, văn phòng (***) **** ****",
            "London *** ** **** ****",
        ]
    );
}

#[test]
fn pii_redactor_masks_citizen_ids_and_leaves_other_numbers() {
    let report = redact(&[], &["Số CCCD: 001203004567, cấp ngày 12/05/2021, phí 1.250.000 đ"]);
    assert_eq!(report.output[0].text, "Số CCCD: ************, cấp ngày 12/05/2021, phí 1.250.000 đ");
    let page = ocr_page(&["Số CCCD: 001203004567, cấp ngày 12/05/2021, phí 1.250.000 đ"]);
    assert_eq!(report.output[0].char_confidences, page.lines[0].char_confidences);
}

#[test]
fn pii_redactor_masks_only_the_configured_kinds_with_the_configured_char() {
    let line = "a@b.vn 0912345678 001203004567";
    let report = redact(&[("kinds", "phone,cccd"), ("mask_char", "#")], &[line]);
    assert_eq!(report.output[0].text, "a@b.vn ########## ############");
    let report = redact(&[("kinds", "email")], &[line]);
    assert_eq!(report.output[0].text, "****** 0912345678 001203004567");
    let log = &redact(&[], &[line, "nothing here"]).logs[0].message;
    assert!(log.contains("masked 1 e-mail address(es), 1 phone number(s), 1 citizen ID(s) in 1 of 2 lines"), "{log}");
    assert!(!log.contains("0912"), "logs never carry the data: {log}");
    let s = shared();
    for (key, value) in [("kinds", "passport"), ("mask_char", "**")] {
        let err = s.host.normalize_text(&s.redactor, &config(&[(key, value)]), &ocr_page(&[line])).unwrap_err();
        assert!(matches!(&err, PluginError::Failed(m) if m.contains(&format!("config {key}"))), "{err:?}");
    }
}

#[test]
fn a_plugin_written_in_python_runs_in_the_same_sandbox() {
    let (host, plugin) = python();
    assert!(plugin.hooks.normalize_text && !plugin.hooks.filter_boxes);
    let page = ocr_page(&["xin chào", "Straße 5"]);
    let report = host.normalize_text(plugin, &config(&[("upper", "true")]), &page).unwrap();
    assert_eq!(texts(&report.output), ["XIN CHÀO", "STRASSE 5"]);
    assert_eq!(report.output[0].char_confidences, page.lines[0].char_confidences);
    // `ß` became two letters: the plugin dropped the confidences and the host filled them in.
    assert_eq!(report.output[1].char_confidences, vec![0.8; 9]);
    assert_eq!(report.logs.len(), 1);
    assert!(report.logs[0].message.contains("page 0: upper-cased 2 of 2 lines (python)"), "{:?}", report.logs);
    eprintln!(
        "py-upper: {:?}, fuel {}, memory peak {} MiB",
        report.elapsed,
        report.fuel_used,
        report.memory_peak >> 20
    );
    let plain = host.normalize_text(plugin, &BTreeMap::new(), &page).unwrap();
    assert_eq!(plain.output, page.lines);
    let err = host.normalize_text(plugin, &config(&[("upper", "yes")]), &page).unwrap_err();
    assert_eq!(err, PluginError::Failed("config upper must be true or false, got 'yes'".into()));
}

#[test]
fn the_default_upload_cap_refuses_the_python_plugin() {
    let s = shared();
    let err = s.host.load(&wasm("test/py-upper.wasm")).unwrap_err();
    assert!(matches!(&err, PluginError::Invalid(m) if m.contains("at most 8388608 are allowed")), "{err:?}");
}

#[test]
fn the_template_passes_boxes_and_lines_through_and_gives_an_example_field() {
    let s = shared();
    assert!(s.template.hooks.filter_boxes && s.template.hooks.normalize_text);
    let boxes = s.host.filter_boxes(&s.template, &config(&[("verbose", "true")]), &detect_page()).unwrap();
    assert_eq!(boxes.output, detect_page().boxes);
    assert_eq!(boxes.logs.len(), 1);
    let page = ocr_page(&["x", "y"]);
    let lines = s.host.normalize_text(&s.template, &BTreeMap::new(), &page).unwrap();
    assert_eq!(lines.output, page.lines);
    let doc = ocr_core::OcrResult::new(vec![page], "test".into());
    assert!(s.host.extract_fields(&s.template, &BTreeMap::new(), &doc).unwrap().output.is_empty());
    let fields = s.host.extract_fields(&s.template, &config(&[("example_field", "true")]), &doc).unwrap();
    assert_eq!((fields.output[0].name.as_str(), fields.output[0].value.as_str()), ("first_line", "x"));
}

#[test]
fn calling_a_hook_the_plugin_lacks_is_refused() {
    let s = shared();
    let err = s.host.normalize_text(&s.filter, &BTreeMap::new(), &ocr_page(&["a"])).unwrap_err();
    assert_eq!(err, PluginError::HookMissing("normalize-text"));
    assert_eq!(err.code(), ErrorCode::PluginInvalid);
}

#[test]
fn an_endless_loop_is_stopped_at_the_deadline() {
    shared(); // the plugins compiled before the clock starts: the deadline times the call alone
    let started = Instant::now();
    let err = hostile_filter("loop").unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err, PluginError::Timeout);
    assert_eq!(err.code(), ErrorCode::PluginTimeout);
    assert!(elapsed >= DEADLINE, "stopped after {elapsed:?}");
    assert!(elapsed < DEADLINE + Duration::from_secs(2), "stopped after {elapsed:?}");
    good_plugin_still_serves();
}

#[test]
fn an_endless_loop_runs_out_of_fuel_on_a_small_budget() {
    let limits = Limits { fuel: 20_000_000, deadline: Duration::from_secs(30), ..Limits::default() };
    let host = PluginHost::new(limits, Some(cache_dir().to_path_buf())).unwrap();
    let hostile = host.load(&wasm("test/test-plugin-hostile.wasm")).unwrap();
    let err = host.filter_boxes(&hostile, &config(&[("mode", "loop")]), &detect_page()).unwrap_err();
    assert_eq!(err, PluginError::OutOfFuel);
    assert_eq!(err.code(), ErrorCode::PluginOutOfFuel);
    // The same instance kind serves a normal call on the same budget.
    let ok = host.filter_boxes(&hostile, &BTreeMap::new(), &detect_page()).unwrap();
    assert_eq!(ok.output.len(), 3);
}

#[test]
fn a_huge_allocation_hits_the_memory_cap() {
    let err = hostile_filter("alloc").unwrap_err();
    assert_eq!(err, PluginError::MemoryExceeded);
    assert_eq!(err.code(), ErrorCode::PluginMemoryExceeded);
    assert_eq!(hostile_normalize("alloc").unwrap_err(), PluginError::MemoryExceeded);
    good_plugin_still_serves();
}

#[test]
fn a_panic_fails_the_call() {
    let err = hostile_filter("panic").unwrap_err();
    assert!(matches!(&err, PluginError::Failed(m) if m.contains("panic")), "{err:?}");
    assert_eq!(err.code(), ErrorCode::PluginFailed);
    good_plugin_still_serves();
}

#[test]
fn stderr_reaches_the_log_and_a_flood_of_it_is_harmless() {
    let s = shared();
    let report = s.host.filter_boxes(&s.hostile, &config(&[("mode", "stderr")]), &detect_page()).unwrap();
    assert_eq!(report.output.len(), 3);
    let last = report.logs.last().unwrap();
    assert_eq!(last.level, LogLevel::Warn);
    assert!(last.message.starts_with("stderr: "), "{last:?}");
    assert!(last.message.len() <= 4096 + "stderr: ".len(), "{}", last.message.len());
}

#[test]
fn unbounded_recursion_fails_the_call() {
    let err = hostile_filter("recurse").unwrap_err();
    assert_eq!(err.code(), ErrorCode::PluginFailed, "{err:?}");
    good_plugin_still_serves();
}

#[test]
fn a_plugin_error_carries_the_plugins_message() {
    assert_eq!(hostile_filter("error").unwrap_err(), PluginError::Failed("the hostile plugin refuses".into()));
    assert_eq!(hostile_normalize("error").unwrap_err(), PluginError::Failed("the hostile plugin refuses".into()));
}

#[test]
fn boxes_outside_the_page_or_more_boxes_than_given_are_invalid_output() {
    for (mode, expected) in [
        ("outside", "corner (210, 0) outside the 200x100 page"),
        ("nan", "outside the 200x100 page"),
        ("extra", "at most 3"),
    ] {
        match hostile_filter(mode) {
            Err(PluginError::InvalidOutput(m)) => assert!(m.contains(expected), "{mode}: {m}"),
            other => panic!("{mode}: {other:?}"),
        }
    }
    assert_eq!(hostile_filter("extra").unwrap_err().code(), ErrorCode::PluginInvalidOutput);
    good_plugin_still_serves();
}

#[test]
fn lines_dropped_or_out_of_bounds_are_invalid_output() {
    for (mode, expected) in
        [("drop-line", "returned 1 lines for 2"), ("nan", "confidence NaN"), ("long-text", "at most 4096 allowed")]
    {
        match hostile_normalize(mode) {
            Err(PluginError::InvalidOutput(m)) => assert!(m.contains(expected), "{mode}: {m}"),
            other => panic!("{mode}: {other:?}"),
        }
    }
}

#[test]
fn a_log_flood_is_cut_at_the_cap() {
    let s = shared();
    let report = s.host.filter_boxes(&s.hostile, &config(&[("mode", "log-flood")]), &detect_page()).unwrap();
    let bytes: usize = report.logs.iter().map(|l| l.message.len() + 1).sum();
    let last = report.logs.last().unwrap();
    assert!(last.message.contains("more log line(s) dropped"), "{last:?}");
    assert!(bytes <= s.host.limits().max_log_bytes + last.message.len() + 1);
    assert_eq!(report.output.len(), 3);
}

#[test]
fn random_bytes_and_core_modules_are_not_plugins() {
    let s = shared();
    for (bytes, expected) in [
        (b"definitely not wasm".to_vec(), "not a WebAssembly component"),
        (b"\0asm\x01\0\0\0".to_vec(), "core WebAssembly module"),
        (b"\0asm\x0d\0\x01\0garbage".to_vec(), "does not compile"),
    ] {
        match s.host.load(&bytes) {
            Err(e @ PluginError::Invalid(_)) => {
                assert_eq!(e.code(), ErrorCode::PluginInvalid);
                assert!(e.to_string().contains(expected), "{e}");
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
}

#[test]
fn oversized_components_are_refused_before_compiling() {
    let limits = Limits { max_component_bytes: 1000, ..Limits::default() };
    let host = PluginHost::new(limits, None).unwrap();
    let err = host.load(&wasm("min-box-filter.wasm")).unwrap_err();
    assert!(matches!(&err, PluginError::Invalid(m) if m.contains("at most 1000")), "{err:?}");
}

#[test]
fn a_component_that_imports_the_file_system_is_refused() {
    let s = shared();
    let err = s.host.load(&wasm("test/test-plugin-fs-reader.wasm")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PluginInvalid);
    assert!(err.to_string().contains("wasi:filesystem"), "{err}");
}

#[test]
fn loading_the_same_bytes_twice_returns_the_cached_plugin() {
    let s = shared();
    let again = s.host.load(&wasm("min-box-filter.wasm")).unwrap();
    assert!(Arc::ptr_eq(&again, &s.filter));
    assert_eq!(again.sha256.len(), 64);
}

#[test]
fn precompiled_artefacts_are_reused_by_a_second_host() {
    let first = shared();
    let second = PluginHost::new(Limits::default(), Some(cache_dir().to_path_buf())).unwrap();
    let started = Instant::now();
    let filter = second.load(&wasm("min-box-filter.wasm")).unwrap();
    eprintln!("loaded precompiled min-box-filter in {:?}", started.elapsed());
    assert!(second.disk_cache_hits() >= 1);
    assert_eq!(filter.sha256, first.filter.sha256);
    let report = second.filter_boxes(&filter, &BTreeMap::new(), &detect_page()).unwrap();
    assert_eq!(report.output.len(), 1);
}

#[test]
fn a_plugin_from_another_host_is_refused() {
    let s = shared();
    let other = PluginHost::new(Limits::default(), Some(cache_dir().to_path_buf())).unwrap();
    let err = other.filter_boxes(&s.filter, &BTreeMap::new(), &detect_page()).unwrap_err();
    assert!(matches!(err, PluginError::Internal(_)), "{err:?}");
}

#[test]
fn pages_over_the_input_limit_are_refused_before_the_call() {
    let s = shared();
    let mut page = detect_page();
    page.boxes = vec![page.boxes[0].clone(); s.host.limits().max_input_items + 1];
    let err = s.host.filter_boxes(&s.filter, &BTreeMap::new(), &page).unwrap_err();
    assert!(matches!(err, PluginError::TooManyItems { .. }), "{err:?}");
}

#[test]
fn many_threads_call_one_plugin_at_once() {
    shared();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..20 {
                    good_plugin_still_serves();
                }
            });
        }
    });
}

/// Prints warm call times; run with `--ignored --nocapture` (in release for real numbers).
#[test]
#[ignore]
fn measure_warm_calls() {
    let s = shared();
    let boxes: Vec<TextBox> = (0..500)
        .map(|i| TextBox { points: rect((i % 10) as f32 * 19.0, (i / 10) as f32 * 2.0, 18.0, 1.5), score: 0.6 })
        .collect();
    let page = DetectPage { page_index: 0, width: 200, height: 100, boxes };
    let lines = ocr_page(&["  Some   recognized text 4111111111111111  "; 200]);
    let cfg = config(&[("mask_digits", "true")]);
    measure("filter-boxes, 500 boxes", || drop(s.host.filter_boxes(&s.filter, &cfg, &page).unwrap()));
    measure("normalize-text, 200 lines", || drop(s.host.normalize_text(&s.normalizer, &cfg, &lines).unwrap()));
}

/// Prints the warm per-page overhead of each built-in plugin (and the Python one) on a page
/// of 200 boxes and 100 lines, with every option on; run with `--ignored --nocapture`, in
/// release for real numbers. The target is 2 ms per page per hook.
#[test]
#[ignore]
fn measure_builtin_overhead() {
    let s = shared();
    let page = DetectPage {
        page_index: 0,
        width: 2000,
        height: 3000,
        boxes: (0..200)
            .map(|i| TextBox {
                points: rect(
                    (i % 4) as f32 * 480.0 + 20.0,
                    (i / 4) as f32 * 58.0 + 20.0,
                    300.0 + (i % 7) as f32 * 20.0,
                    20.0 + (i % 5) as f32 * 6.0,
                ),
                score: 0.3 + (i % 7) as f32 * 0.1,
            })
            .collect(),
    };
    let texts: Vec<String> = (0..100)
        .map(|i| match i % 4 {
            0 => format!("  Họ và tên:   Nguyễn Thị Thuý Hoà  {i} "),
            1 => format!("Số CCCD: 0012030045{i:02}, cấp ngày 12/O5/2021"),
            2 => format!("Liên hệ an.nguyen{i}@example.com.vn hoặc 0912 345 {i:03}"),
            _ => format!("Khoẻ mạnh, tổng tiền 1.25O.000 đ, mã HD{i}"),
        })
        .collect();
    let lines = ocr_page(&texts.iter().map(String::as_str).collect::<Vec<_>>());
    let filter_cfg = config(&[
        ("min_score", "0.5"),
        ("min_height", "6"),
        ("min_area", "500"),
        ("max_aspect_ratio", "25"),
        ("region", "0,0,2000,2800"),
    ]);
    let normalizer_cfg = config(&[("tone_style", "new"), ("fix_confusions", "true"), ("mask_digits", "true")]);
    measure("min-box-filter, 200 boxes, all options", || {
        drop(s.host.filter_boxes(&s.filter, &filter_cfg, &page).unwrap())
    });
    measure("text-normalizer, 100 lines, all options", || {
        drop(s.host.normalize_text(&s.normalizer, &normalizer_cfg, &lines).unwrap())
    });
    measure("pii-redactor, 100 lines, all kinds", || {
        drop(s.host.normalize_text(&s.redactor, &BTreeMap::new(), &lines).unwrap())
    });
    let (host, python) = python();
    let upper = config(&[("upper", "true")]);
    measure("py-upper (Python), 100 lines", || drop(host.normalize_text(python, &upper, &lines).unwrap()));
}

fn measure(name: &str, run: impl Fn()) {
    run();
    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed()
        })
        .collect();
    times.sort();
    eprintln!("{name}: median {:?}, p99 {:?}", times[100], times[198]);
}

/// A Vietnamese receipt as the engine would hand it over: lines with boxes on a 400x300 page,
/// and the pair the layout finds for the total.
fn receipt() -> OcrResult {
    let rows: [(&str, f32, f32, f32); 8] = [
        ("CỬA HÀNG TẠP HÓA MINH AN", 10.0, 10.0, 300.0),
        ("Địa chỉ: 25 Trần Hưng Đạo, Hoàn Kiếm, Hà Nội", 10.0, 40.0, 380.0),
        ("MST: 0101234567", 10.0, 70.0, 200.0),
        ("Số HĐ: 000123", 10.0, 100.0, 200.0),
        ("Ngày 12 tháng 3 năm 2024", 10.0, 130.0, 250.0),
        ("Bánh mì 2 x 15.000", 10.0, 160.0, 250.0),
        ("Tổng cộng:", 10.0, 220.0, 120.0),
        ("65.000đ", 300.0, 220.0, 80.0),
    ];
    let lines: Vec<OcrLine> = rows
        .iter()
        .map(|(t, x, y, w)| OcrLine::recognized((*t).into(), 0.9, rect(*x, *y, *w, 20.0), vec![0.9; t.chars().count()]))
        .collect();
    let part = |i: usize| PairPart { text: rows[i].0.into(), points: lines[i].points, line_ids: vec![i as u32] };
    let pairs = vec![KeyValuePair { key: part(6), value: part(7) }];
    let page = OcrPage { page_index: 0, width: 400, height: 300, lines, pairs, ..Default::default() };
    OcrResult::new(vec![page], "test".into())
}

fn field<'a>(fields: &'a [Field], name: &str) -> &'a Field {
    fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name} in {fields:#?}"))
}

#[test]
fn receipt_fields_exports_only_extract_fields() {
    let s = shared();
    assert!(s.receipt.hooks.extract_fields && !s.receipt.hooks.filter_boxes && !s.receipt.hooks.normalize_text);
    // Components built before the hook existed load with it off.
    assert!(!s.filter.hooks.extract_fields && !s.normalizer.hooks.extract_fields && !s.redactor.hooks.extract_fields);
    assert!(s.template.hooks.extract_fields);
    assert!(s.hostile.hooks.extract_fields);
}

#[test]
fn receipt_fields_reads_a_vietnamese_receipt() {
    let s = shared();
    let report = s.host.extract_fields(&s.receipt, &BTreeMap::new(), &receipt()).unwrap();
    let f = &report.output;
    let total = field(f, "total");
    assert_eq!((total.value.as_str(), total.normalized.as_deref()), ("65.000đ", Some("65000")));
    assert_eq!(total.line_ids, vec![7]);
    assert_eq!(field(f, "date").normalized.as_deref(), Some("2024-03-12"));
    assert_eq!(field(f, "seller_name").value, "CỬA HÀNG TẠP HÓA MINH AN");
    assert_eq!(field(f, "seller_address").value, "25 Trần Hưng Đạo, Hoàn Kiếm, Hà Nội");
    assert_eq!(field(f, "seller_tax_code").normalized.as_deref(), Some("0101234567"));
    assert_eq!(field(f, "invoice_number").value, "000123");
    assert_eq!(field(f, "currency").value, "VND");
    assert!(f.iter().all(|x| (0.0..=1.0).contains(&x.confidence) && x.page_index == 0));
}

#[test]
fn receipt_fields_returns_only_the_configured_fields() {
    let s = shared();
    let report = s.host.extract_fields(&s.receipt, &config(&[("fields", "total, date")]), &receipt()).unwrap();
    let names: Vec<&str> = report.output.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["date", "total"]);
}

#[test]
fn fields_naming_what_the_document_lacks_are_invalid_output() {
    let s = shared();
    let run = |mode: &str| s.host.extract_fields(&s.hostile, &config(&[("mode", mode)]), &receipt());
    let ok = run("").unwrap();
    assert_eq!(ok.output[0].name, "line_count");
    for (mode, says) in [
        ("bad-field-name", "names are 1-64 bytes of a-z, 0-9 and _"),
        ("bad-line-id", "names line 13, page 0 has 8 line(s)"),
        ("bad-page", "page_index 100"),
        ("nan", "outside [0, 1]"),
        ("long-text", "at most 4096 allowed"),
        ("extra", "returned 100000 fields, at most 256 allowed"),
    ] {
        let err = run(mode).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PluginInvalidOutput, "{mode}: {err}");
        assert!(err.to_string().contains(says), "{mode}: {err}");
    }
    good_plugin_still_serves();
}

#[test]
fn extract_fields_runs_under_the_same_limits() {
    let s = shared();
    let started = Instant::now();
    let err = s.host.extract_fields(&s.hostile, &config(&[("mode", "loop")]), &receipt()).unwrap_err();
    assert_eq!(err, PluginError::Timeout);
    assert!(started.elapsed() < DEADLINE + Duration::from_secs(2));
    let err = s.host.extract_fields(&s.hostile, &config(&[("mode", "alloc")]), &receipt()).unwrap_err();
    assert_eq!(err, PluginError::MemoryExceeded);
    let err = s.host.extract_fields(&s.filter, &BTreeMap::new(), &receipt()).unwrap_err();
    assert_eq!(err, PluginError::HookMissing("extract-fields"));
    good_plugin_still_serves();
}
