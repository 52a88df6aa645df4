//! The loaded models and the two pipeline stages the worker calls.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use image::RgbImage;
use ndarray::Array2;
use ocr_core::{DetectParams, EnglishReader, ErrorCode, Lang, OcrLine, Quad, Readers, SecondReader, TextBox, geometry};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

use crate::config::{DetectorKind, Device, Family, InferenceConfig, RecognizerSpec, Rules};
use crate::detect::{self, GroupParams, ScoreMaps};
use crate::error::{Error, Result};
use crate::lexicon::{Language, Lexicon};
use crate::{db_detector, line_detector, orient, pieces, recognize, rescue};

/// Where a stage's time went: inside `Session::run` (`model`) and everything around it (`other`:
/// resizing, tensor building, post-processing, cropping, decoding).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTiming {
    pub model: Duration,
    pub other: Duration,
}

/// Text lines found on a page, in reading order.
#[derive(Debug, Clone)]
pub struct Detection {
    pub boxes: Vec<TextBox>,
    /// Degrees the page must be turned clockwise to stand upright (0, 90, 180 or 270); the boxes
    /// already read it upright.
    pub rotation: u16,
    pub timing: StageTiming,
}

/// Recognized lines, in the order of the boxes given.
#[derive(Debug, Clone)]
pub struct Recognition {
    pub lines: Vec<OcrLine>,
    pub timing: StageTiming,
}

struct Recognizer {
    /// File name of the model, for `model_name`.
    name: String,
    family: Family,
    session: Mutex<Session>,
    /// Classes of the model's output.
    classes: usize,
    /// The output classes a reading may use, in order (`None`: all; [`Family::kept_classes`]).
    keep: Option<Vec<usize>>,
    /// The kept classes' characters (class 0 the CTC blank).
    vocab: Vec<String>,
    /// The classes an English reading may use ([`recognize::english_classes`]).
    english: Vec<bool>,
    /// Each single-character class by its character, for the lexicon's re-spellings.
    class_of: HashMap<char, usize>,
    /// Widest crop the model takes ([`RecognizerSpec::max_width`]); wider lines are read in pieces.
    max_width: u32,
}

/// A line's reading and the reader it came from (`None`: the model failed on the line).
type ReadBy<'r> = Option<(recognize::Reading, &'r Recognizer)>;

/// One line as one reader saw it: its output frames (a long line's pieces stitched) and the
/// word spaces of blank paper in its crop, as frame ranges.
struct Seen {
    frames: Array2<f32>,
    gaps: Vec<(usize, usize)>,
}

impl Recognizer {
    fn load(env: &Environment, spec: &RecognizerSpec, cfg: &InferenceConfig) -> Result<Recognizer> {
        if spec.max_width < RecognizerSpec::MIN_WIDTH {
            return Err(Error::ModelLoad(format!(
                "{}: a recognizer must take crops at least {} px wide, this one is said to take {}",
                spec.model,
                RecognizerSpec::MIN_WIDTH,
                spec.max_width
            )));
        }
        let path = cfg.models_dir.join(&spec.model);
        let session = load_session(env, &path, cfg, cfg.recognizer_threads)?;
        let all = spec.family.vocabulary(&session, &path, &cfg.models_dir.join(&spec.vocab))?;
        let keep = spec.family.kept_classes(&all);
        let vocab: Vec<String> = match &keep {
            Some(keep) => keep.iter().map(|&k| all[k].clone()).collect(),
            None => all.clone(),
        };
        Ok(Recognizer {
            name: stem(&spec.model),
            family: spec.family,
            session: Mutex::new(session),
            classes: all.len(),
            keep,
            english: recognize::english_classes(&vocab),
            class_of: class_of(&vocab),
            vocab,
            max_width: spec.max_width,
        })
    }

    /// The recognizer's output frames (`[T, classes]`) for each input crop, batched by width, and
    /// the time spent in the model. A batch the model fails on is read again one crop at a time;
    /// a crop it fails on alone gets `None`. When it fails on every crop, the model is at fault:
    /// that is the error.
    fn read_frames(
        &self,
        inputs: &[(usize, Cow<'_, RgbImage>)],
        max_batch: usize,
    ) -> Result<(Vec<Option<Array2<f32>>>, Duration)> {
        let widths: Vec<u32> = inputs.iter().map(|(_, crop)| crop.width()).collect();
        let mut outputs: Vec<Option<Array2<f32>>> = vec![None; inputs.len()];
        let mut model = Duration::ZERO;
        let mut first_error = None;
        for bucket in recognize::buckets(&widths, max_batch.max(1)) {
            let batch: Vec<&RgbImage> = bucket.iter().map(|&i| inputs[i].1.as_ref()).collect();
            let (read, took) = self.run(&batch);
            model += took;
            match read {
                Ok(frames) => {
                    for (f, &i) in frames.into_iter().zip(&bucket) {
                        outputs[i] = Some(f);
                    }
                }
                Err(e) => {
                    for &i in &bucket {
                        let (read, took) = match bucket.len() {
                            1 => (Err(e.to_string()), Duration::ZERO),
                            _ => self.run(&[inputs[i].1.as_ref()]),
                        };
                        model += took;
                        match read {
                            Ok(mut frames) => outputs[i] = frames.pop(),
                            Err(e) => {
                                let (line, width) = (inputs[i].0, inputs[i].1.width());
                                tracing::warn!(line, width, error = %e, "the recognizer failed on a line; it is left unread");
                                first_error.get_or_insert(e);
                            }
                        }
                    }
                }
            }
        }
        match first_error {
            Some(e) if outputs.iter().all(Option::is_none) => Err(Error::recognition(e)),
            _ => Ok((outputs, model)),
        }
    }

    /// One model call on a batch of crops: each crop's frames, or why the model failed.
    fn run(&self, batch: &[&RgbImage]) -> (std::result::Result<Vec<Array2<f32>>, String>, Duration) {
        let mut model = Duration::ZERO;
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let frames = self.family.run(&mut session, batch, self.classes, self.keep.as_deref(), &mut model);
        (frames, model)
    }
}

/// The loaded models: one detector (two for [`DetectorKind::CraftTrueocr`]), one recognizer
/// session per distinct model file.
pub struct Engine {
    detector: Mutex<Session>,
    detector_kind: DetectorKind,
    /// trueocr's line detector, which adds the lines CRAFT missed ([`DetectorKind::CraftTrueocr`]).
    second_detector: Option<Mutex<Session>>,
    /// The detectors' file stems, `+`-joined, for `model_name`.
    detector_name: String,
    recognizers: Vec<std::sync::Arc<Recognizer>>,
    by_lang: HashMap<Lang, usize>,
    /// The second opinion on the Vietnamese lines the first reader is unsure of.
    second_reader: Option<Recognizer>,
    rules: Rules,
    group: GroupParams,
    crop_to_content: bool,
    /// Vietnamese syllable frequencies for the marks; `None` decodes greedily.
    lexicon: Option<Lexicon>,
    /// English word frequencies for English readings (`None`: greedy).
    lexicon_en: Option<Lexicon>,
}

/// ONNX Runtime allows one environment per process (a second `build` fails), so every engine shares it.
static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
static ENV_INIT: Mutex<()> = Mutex::new(());

fn environment(cfg: &InferenceConfig) -> Result<Environment> {
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env.clone());
    }
    let _guard = ENV_INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env.clone());
    }
    let gpu_lib = cfg.ort_gpu_library();
    let lib = if cfg.device == Device::Cuda && gpu_lib.is_file() {
        gpu_lib
    } else {
        if cfg.device == Device::Cuda {
            tracing::warn!(path = %gpu_lib.display(), "CUDA build of ONNX Runtime not found (run scripts/fetch-models.sh --gpu); using the CPU build");
        }
        cfg.ort_library()
    };
    // `init_from` returns an error for a missing or unloadable library; `ort::init()` would panic.
    let env = ort::init_from(&lib)
        .map_err(|e| Error::ModelLoad(format!("ONNX Runtime library {}: {e}", lib.display())))?
        .with_name("ocr-inference")
        .with_telemetry(false)
        .build()
        .map_err(|e| Error::ModelLoad(e.to_string()))?;
    Ok(ENVIRONMENT.get_or_init(|| env).clone())
}

fn load_session(env: &Environment, path: &Path, cfg: &InferenceConfig, threads: usize) -> Result<Session> {
    let load_err = |e: ort::Error| Error::ModelLoad(format!("{}: {e}", path.display()));
    let builder = || -> Result<ort::session::builder::SessionBuilder> {
        let mut b = Session::builder(env)
            .map_err(load_err)?
            .with_optimization_level(match cfg.graph_optimization {
                0 => GraphOptimizationLevel::Disable,
                1 => GraphOptimizationLevel::Level1,
                2 => GraphOptimizationLevel::Level2,
                _ => GraphOptimizationLevel::Level3,
            })
            .map_err(|e| load_err(e.into()))?;
        if threads > 0 {
            b = b.with_intra_threads(threads).map_err(|e| load_err(e.into()))?;
        }
        // Idle pool threads sleep instead of spinning: spinning buys microseconds of latency
        // between operators at the price of whole cores of CPU time.
        b = b.with_intra_op_spinning(false).map_err(|e| load_err(e.into()))?;
        b = b.with_inter_op_spinning(false).map_err(|e| load_err(e.into()))?;
        Ok(b)
    };
    let mut b = builder()?;
    if cfg.device == Device::Cuda {
        b = with_cuda(b, builder)?;
    }
    b.commit_from_file(path).map_err(load_err)
}

#[cfg(feature = "cuda")]
fn with_cuda(
    b: ort::session::builder::SessionBuilder,
    fresh: impl Fn() -> Result<ort::session::builder::SessionBuilder>,
) -> Result<ort::session::builder::SessionBuilder> {
    use ort::ep::{CUDA, ExecutionProvider};
    let cuda = CUDA::default();
    if !CUDA::is_available().unwrap_or(false) {
        tracing::warn!("the CUDA execution provider is not available in this ONNX Runtime build; running on the CPU");
        return Ok(b);
    }
    match b.with_execution_providers([cuda.build().error_on_failure()]) {
        Ok(b) => Ok(b),
        Err(e) => {
            tracing::warn!(error = %e, "could not register the CUDA execution provider (no GPU or CUDA libraries?); running on the CPU");
            fresh()
        }
    }
}

#[cfg(not(feature = "cuda"))]
fn with_cuda(
    b: ort::session::builder::SessionBuilder,
    _fresh: impl Fn() -> Result<ort::session::builder::SessionBuilder>,
) -> Result<ort::session::builder::SessionBuilder> {
    tracing::warn!("device = cuda, but ocr-inference was built without the `cuda` feature; running on the CPU");
    Ok(b)
}

/// A line read as English: decoded over the English classes, its words re-spelled with the
/// English `lexicon` when one is given, then, for asternet (whose English is its Vietnamese
/// vocabulary masked), its mixed-up words tidied when the rule is on ([`recognize::tidy_english`];
/// same number of characters, so the confidences still line up).
fn english_reading(seen: &Seen, rec: &Recognizer, lexicon: Option<&Lexicon>, rules: &Rules) -> recognize::Reading {
    let lexicon = lexicon.map(|l| (l, &rec.class_of));
    let (plain, respelled) = recognize::ctc_greedy(
        seen.frames.view(),
        &rec.vocab,
        Some(&rec.english),
        lexicon,
        &seen.gaps,
        rules.separators,
    );
    let (text, confs) = respelled.unwrap_or(plain);
    match rec.family == Family::Asternet && rules.tidy_english {
        true => (recognize::tidy_english(&text), confs),
        false => (text, confs),
    }
}

fn class_of(vocab: &[String]) -> HashMap<char, usize> {
    let mut chars = HashMap::new();
    for (k, s) in vocab.iter().enumerate().skip(1) {
        let mut cs = s.chars();
        if let (Some(c), None) = (cs.next(), cs.next()) {
            chars.insert(c, k);
        }
    }
    chars
}

fn stem(file: &str) -> String {
    Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or(file).to_owned()
}

impl Engine {
    /// Loads the ONNX Runtime library and every model the configuration names (each model file once).
    pub fn load(cfg: &InferenceConfig) -> Result<Engine> {
        let missing = cfg.missing_files();
        if !missing.is_empty() {
            return Err(Error::ModelsMissing { missing });
        }
        // The word lists load on a thread of their own while the models load.
        let lexicons = std::thread::spawn({
            let (dir, vi, en) = (cfg.models_dir.clone(), cfg.lexicon.clone(), cfg.lexicon_en.clone());
            move || -> Result<(Option<Lexicon>, Option<Lexicon>)> {
                let vi = vi
                    .map(|l| {
                        Lexicon::load(&dir.join(l), Language::Vietnamese)?
                            .with_compounds(&dir.join(InferenceConfig::COMPOUNDS_VI))
                    })
                    .transpose()?;
                let en = en.map(|l| Lexicon::load(&dir.join(l), Language::English)).transpose()?;
                Ok((vi, en))
            }
        });
        let env = environment(cfg)?;
        let detector = load_session(&env, &cfg.models_dir.join(cfg.detector_file()), cfg, cfg.intra_threads)?;
        let second_detector = cfg
            .second_detector_file()
            .map(|f| load_session(&env, &cfg.models_dir.join(f), cfg, cfg.intra_threads).map(Mutex::new))
            .transpose()?;
        let detector_name = std::iter::once(cfg.detector_file())
            .chain(cfg.second_detector_file())
            .map(stem)
            .collect::<Vec<_>>()
            .join("+");

        let mut recognizers: Vec<std::sync::Arc<Recognizer>> = Vec::new();
        let mut loaded: HashMap<(String, String), usize> = HashMap::new();
        let mut by_lang = HashMap::new();
        for spec in &cfg.recognizers {
            let key = (spec.model.clone(), spec.vocab.clone());
            let idx = match loaded.get(&key) {
                Some(&i) => i,
                None => {
                    recognizers.push(std::sync::Arc::new(Recognizer::load(&env, spec, cfg)?));
                    loaded.insert(key, recognizers.len() - 1);
                    recognizers.len() - 1
                }
            };
            by_lang.insert(spec.lang, idx);
        }
        let second_reader = cfg.second_reader.as_ref().map(|spec| Recognizer::load(&env, spec, cfg)).transpose()?;
        let (lexicon, lexicon_en) =
            lexicons.join().map_err(|_| Error::ModelLoad("loading the word lists panicked".into()))??;
        tracing::info!(models_dir = %cfg.models_dir.display(), recognizers = recognizers.len(), "OCR models loaded");
        Ok(Engine {
            detector: Mutex::new(detector),
            detector_kind: cfg.detector,
            second_detector,
            detector_name,
            recognizers,
            by_lang,
            second_reader,
            rules: cfg.rules,
            group: GroupParams::default(),
            crop_to_content: cfg.crop_to_content,
            lexicon,
            lexicon_en,
        })
    }

    /// Which models read `lang` with the default readers, e.g.
    /// `craftnet.int8+asternet.int8+PP-OCRv6_rec_small+trueocr_rec` (the file stems: the
    /// detectors, then the readers that may read a line of `lang`, the second reader of
    /// Vietnamese lines last; `auto` names both languages' readers).
    pub fn model_name(&self, lang: Lang) -> String {
        self.model_name_with(lang, Readers::default())
    }

    /// [`Engine::model_name`] with a tenant's choice of line readers.
    pub fn model_name_with(&self, lang: Lang, chosen: Readers) -> String {
        let english = chosen.english;
        let mut names = vec![self.detector_name.clone()];
        let langs: &[Lang] = if lang == Lang::Auto { &[Lang::Vi, Lang::En] } else { &[lang] };
        let mut readers: Vec<&Recognizer> = Vec::new();
        for &l in langs {
            match l {
                Lang::En => readers.extend(self.english_recognizer(english).ok()),
                _ => {
                    readers.extend(self.recognizer(l).ok());
                    // A Vietnamese page's words spelled like English ones get the English reader's opinion.
                    readers.extend(self.english_reader(english));
                }
            }
        }
        // The second reader reads only Vietnamese lines (`vi`, or `auto` on a Vietnamese page).
        if lang != Lang::En {
            readers.extend(self.second_reader(chosen));
        }
        for rec in readers {
            if !names.contains(&rec.name) {
                names.push(rec.name.clone());
            }
        }
        names.join("+")
    }

    /// The second opinion on unsure Vietnamese lines, when the server loaded it and the tenant
    /// has not turned it off.
    fn second_reader(&self, readers: Readers) -> Option<&Recognizer> {
        self.second_reader.as_ref().filter(|_| readers.second == SecondReader::Trueocr)
    }

    /// The recognizer that reads `lang`; `auto` first reads with the Vietnamese one (it reads
    /// both languages).
    fn recognizer(&self, lang: Lang) -> Result<&Recognizer> {
        let lang = if lang == Lang::Auto { Lang::Vi } else { lang };
        self.by_lang.get(&lang).map(|&i| &*self.recognizers[i]).ok_or(Error::NoRecognizer(lang))
    }

    /// The English reader when it is another model than the Vietnamese one (`auto` then routes
    /// the lines of an English page to it) and the tenant has not chosen asternet for English.
    fn english_reader(&self, english: EnglishReader) -> Option<&Recognizer> {
        let (vi, en) = (self.by_lang.get(&Lang::Vi)?, self.by_lang.get(&Lang::En)?);
        (vi != en && english == EnglishReader::Ppocr).then(|| &*self.recognizers[*en])
    }

    /// The recognizer that reads `lang=en` lines: `en`'s, or `vi`'s when the tenant chose asternet.
    fn english_recognizer(&self, english: EnglishReader) -> Result<&Recognizer> {
        match english {
            EnglishReader::Ppocr => self.recognizer(Lang::En),
            EnglishReader::Asternet => self.recognizer(Lang::Vi),
        }
    }

    /// Finds the text lines of a page (CRAFT, then EasyOCR-style line grouping; or trueocr's line
    /// detector; or CRAFT's lines and those of trueocr's it missed, [`crate::DetectorKind`]), each
    /// box's corners in reading order, also on a page turned by 90, 180 or 270 degrees.
    pub fn detect(&self, page: &RgbImage, params: &DetectParams) -> Result<Detection> {
        let start = Instant::now();
        let (w, h) = page.dimensions();
        if w == 0 || h == 0 {
            return Err(Error::InvalidImage("the page is empty".into()));
        }
        let (mut boxes, on_its_side, mut model) = self.find_lines(page, params)?;
        let mut rotation = 0;
        if on_its_side {
            let turned = image::imageops::rotate90(page);
            let (found, still_on_its_side, m) = self.find_lines(&turned, params)?;
            model += m;
            if !still_on_its_side {
                boxes = found
                    .into_iter()
                    .map(|b| TextBox { points: orient::from_quarter_turn(b.points, h as f32), ..b })
                    .collect();
                rotation = 90;
            }
        }
        let (flip, m) = self.upside_down(page, &boxes)?;
        model += m;
        if flip {
            // Read the other way round: each box from its far corner, the lines bottom to top.
            boxes = boxes.into_iter().rev().map(|b| TextBox { points: orient::half_turn(b.points), ..b }).collect();
            rotation += 180;
        }
        let total = start.elapsed();
        Ok(Detection { boxes, rotation, timing: StageTiming { model, other: total.saturating_sub(model) } })
    }

    /// The detector's lines on the page as it is, and whether its words (or lines) stand mostly
    /// upright (the page lies on its side).
    fn find_lines(&self, page: &RgbImage, params: &DetectParams) -> Result<(Vec<TextBox>, bool, Duration)> {
        match self.detector_kind {
            DetectorKind::Trueocr => return self.find_lines_trueocr(&self.detector, page, false),
            DetectorKind::Ppocr => return self.find_lines_db(page),
            DetectorKind::Craft | DetectorKind::CraftTrueocr => {}
        }
        let (w, h) = page.dimensions();
        let plan = detect::resize_plan(w, h, params.canvas_size, params.mag_ratio);
        let resized = detect::resize(page, &plan);
        let window = if self.crop_to_content {
            detect::content_window(&resized)
        } else {
            detect::Window::whole(plan.width, plan.height)
        };
        let input = detect::input_tensor(&resized, &window);

        let model_start = Instant::now();
        let maps = {
            let mut session = self.detector.lock().unwrap_or_else(|e| e.into_inner());
            let outputs = session
                .run(ort::inputs![TensorRef::from_array_view(&input).map_err(Error::detection)?])
                .map_err(Error::detection)?;
            let y = outputs[0].try_extract_array::<f32>().map_err(Error::detection)?;
            score_maps(y)?
        };
        let model = model_start.elapsed();

        // Score maps are half the input size: x2 back to the input, + the window's place on the
        // resized page, then / ratio to the page.
        let (ox, oy) = (window.x as f32, window.y as f32);
        let to_page = |[x, y]: [f32; 2]| [(2.0 * x + ox) / plan.ratio, (2.0 * y + oy) / plan.ratio];
        let found = detect::word_boxes(&maps, params);
        let on_page = |boxes: Vec<(Quad, f32)>| -> Vec<(Quad, f32)> {
            boxes.into_iter().map(|(q, s)| (detect::order_quad(q.map(to_page)), s)).collect()
        };
        let (words, marks) = (on_page(found.words), on_page(found.marks));
        let on_its_side = orient::mostly_tall(words.iter().map(|(q, _)| q));
        let lines = detect::group_lines(&words, &marks, &self.group, w, h);
        // trueocr's detector reads level lines: on a page lying on its side, it runs on the
        // page turned upright (`detect` calls this again on the turned page).
        match &self.second_detector {
            Some(second) if !on_its_side => {
                // Where CRAFT's words lie level the page needs no straightening, and trueocr's
                // detector skips its own tilt search (most of its cost: 0.27 s of CPU a page).
                let level = detect::dominant_angle(&words) == 0.0;
                let (other, m) = self.find_lines_trueocr(second, page, level).map(|(b, _, m)| (b, m))?;
                let (added, read) = self.readable(page, rescue::missed_lines(&lines, &other))?;
                Ok((rescue::in_reading_order(lines, added), false, model + m + read))
            }
            _ => Ok((lines, on_its_side, model)),
        }
    }

    /// The `lines` both the Vietnamese and the English reader find a letter or a digit in
    /// ([`rescue::reads_as_text`]), reported on their ink ([`rescue::as_reported`]), and the model
    /// time it took.
    fn readable(&self, page: &RgbImage, lines: Vec<TextBox>) -> Result<(Vec<TextBox>, Duration)> {
        if lines.is_empty() {
            return Ok((lines, Duration::ZERO));
        }
        // The page's language is told later, by recognition: both readers must find text.
        let (vi, en) = (self.recognize(page, &lines, Lang::Vi)?, self.recognize(page, &lines, Lang::En)?);
        let kept = lines
            .into_iter()
            .zip(vi.lines.iter().zip(&en.lines))
            .filter(|(_, (v, e))| rescue::reads_as_text(&v.text) && rescue::reads_as_text(&e.text))
            .map(|(b, _)| rescue::as_reported(b));
        Ok((kept.collect(), vi.timing.model + en.timing.model))
    }

    /// PP-OCRv6's lines ([`db_detector`]) in rows, and whether they stand mostly upright.
    fn find_lines_db(&self, page: &RgbImage) -> Result<(Vec<TextBox>, bool, Duration)> {
        let (w, h) = page.dimensions();
        let (input, scale) = db_detector::input(page);
        let start = Instant::now();
        let prob = {
            let mut session = self.detector.lock().unwrap_or_else(|e| e.into_inner());
            let outputs = session
                .run(ort::inputs![TensorRef::from_array_view(&input).map_err(Error::detection)?])
                .map_err(Error::detection)?;
            let y = outputs[0].try_extract_array::<f32>().map_err(Error::detection)?;
            let shape = y.shape().to_vec();
            if shape.len() != 4 || shape[0] != 1 || shape[1] != 1 {
                return Err(Error::detection(format!("unexpected PP-OCR detector output shape {shape:?}")));
            }
            let prob = y.index_axis(ndarray::Axis(0), 0).index_axis_move(ndarray::Axis(0), 0);
            prob.into_dimensionality::<ndarray::Ix2>().map_err(Error::detection)?.to_owned()
        };
        let model = start.elapsed();
        let boxes = db_detector::decode(prob.view(), scale, w, h);
        // Rows are told along the page's text direction: on a tilted receipt a price lies lower
        // (or higher) than its item's start, by more than the row test allows upright.
        let words: Vec<(Quad, f32)> = boxes.iter().map(|b| (b.points, b.score)).collect();
        let (sin, cos) = (-detect::dominant_angle(&words)).sin_cos();
        let boxes = line_detector::in_rows(boxes, |b| {
            let (x0, y0, _, y1) = geometry::bounds(&b.points.map(|[x, y]| [cos * x - sin * y, sin * x + cos * y]));
            (x0, y0, y1)
        });
        let on_its_side = orient::mostly_tall(boxes.iter().map(|b| &b.points));
        Ok((boxes, on_its_side, model))
    }

    /// trueocr's lines ([`line_detector`]): the page straightened (unless another detector found
    /// it `level`), detected at the model's scale (again larger when its lines are small), each
    /// box turned back onto the page.
    fn find_lines_trueocr(
        &self,
        detector: &Mutex<Session>,
        page: &RgbImage,
        level: bool,
    ) -> Result<(Vec<TextBox>, bool, Duration)> {
        let (w, h) = page.dimensions();
        let gray = line_detector::to_gray(page);
        let skew = if level { 0.0 } else { line_detector::estimate_skew(&gray) };
        let (gray, skew) = if line_detector::worth_straightening(skew) {
            (line_detector::rotate_page(&gray, skew), skew)
        } else {
            (gray, 0.0)
        };
        let mut model = Duration::ZERO;
        let mut detect_at = |side: u32| -> Result<(Vec<line_detector::LineBox>, f32)> {
            let (input, scale) = line_detector::input(&gray, side);
            let start = Instant::now();
            let mut session = detector.lock().unwrap_or_else(|e| e.into_inner());
            let outputs = session
                .run(ort::inputs!["x" => TensorRef::from_array_view(&input).map_err(Error::detection)?])
                .map_err(Error::detection)?;
            let y = outputs["out"].try_extract_array::<f32>().map_err(Error::detection)?;
            let shape = y.shape().to_vec();
            if shape.len() != 4 || shape[0] != 1 || shape[1] < 3 {
                return Err(Error::detection(format!("unexpected trueocr detector output shape {shape:?}")));
            }
            let out =
                y.index_axis(ndarray::Axis(0), 0).into_dimensionality::<ndarray::Ix3>().map_err(Error::detection)?;
            model += start.elapsed();
            Ok((line_detector::decode_lines(out), scale))
        };
        let (mut found, mut scale) = detect_at(line_detector::LONG_SIDE)?;
        if let Some(side) = line_detector::adaptive_side(&found) {
            (found, scale) = detect_at(side)?;
        }
        let boxes: Vec<TextBox> = line_detector::reading_order(line_detector::unscaled(found, scale, w, h))
            .iter()
            .map(|b| line_detector::to_page(b, skew, w, h))
            .collect();
        let on_its_side = orient::mostly_tall(boxes.iter().map(|b| &b.points));
        Ok((boxes, on_its_side, model))
    }

    /// Whether the page reads better half turned (see [`orient`]), and the model time it took.
    fn upside_down(&self, page: &RgbImage, boxes: &[TextBox]) -> Result<(bool, Duration)> {
        let sample: Vec<TextBox> =
            orient::sample(boxes, 4, 8.0).into_iter().map(|points| TextBox { points, score: 1.0 }).collect();
        if sample.is_empty() {
            return Ok((false, Duration::ZERO));
        }
        // An empty reading (1 by convention) is no evidence of reading well.
        let confidences = |r: &Recognition| {
            r.lines.iter().map(|l| if l.text.trim().is_empty() { 0.0 } else { l.confidence }).collect::<Vec<f32>>()
        };
        let upright = self.recognize(page, &sample, Lang::Vi)?;
        let as_is = confidences(&upright);
        if as_is.iter().sum::<f32>() / as_is.len() as f32 >= orient::CONFIDENT {
            return Ok((false, upright.timing.model));
        }
        let turned: Vec<TextBox> =
            sample.into_iter().map(|b| TextBox { points: orient::half_turn(b.points), ..b }).collect();
        let other = self.recognize(page, &turned, Lang::Vi)?;
        Ok((orient::upside_down(&as_is, &confidences(&other)), upright.timing.model + other.timing.model))
    }

    /// Reads the text under each box (batched by width); lines come back in the order of `boxes`.
    /// A line wider than the recognizer takes is read in pieces ([`pieces`]). A line the model
    /// fails on comes back empty with an error code, and the others are read; only when the
    /// model fails on every line is that an error (the model, not a line, is at fault).
    ///
    /// Which reader reads a line: `vi` lines go to the Vietnamese reader, `en` lines to the
    /// English one. `auto` reads a sample of the page's lines ([`recognize::auto_sample`]) with
    /// the Vietnamese reader and decides the page's language from it
    /// ([`recognize::page_reads_vietnamese`]): a Vietnamese page is read by that reader alone; an
    /// English page by the English reader, and a line it is unsure of
    /// ([`recognize::SECOND_OPINION_BELOW`]) also by the Vietnamese reader, which keeps the line
    /// when its reading is Vietnamese by itself (an address on an English receipt). On a
    /// Vietnamese page, a word asternet may have spelled with a look-alike gets the English
    /// reader's opinion ([`Engine::with_latin_words_checked`]). Each line names its reader.
    pub fn recognize(&self, page: &RgbImage, boxes: &[TextBox], lang: Lang) -> Result<Recognition> {
        self.recognize_with(page, boxes, lang, Readers::default())
    }

    /// [`Engine::recognize`] with a tenant's choice of line readers ([`Readers`]).
    pub fn recognize_with(
        &self,
        page: &RgbImage,
        boxes: &[TextBox],
        lang: Lang,
        readers: Readers,
    ) -> Result<Recognition> {
        self.recognize_batched(page, boxes, lang, readers, recognize::MAX_BATCH)
    }

    /// [`Engine::recognize_with`] with a chosen batch size (1 = one line per model call). For
    /// benchmarks and tests.
    #[doc(hidden)]
    pub fn recognize_batched(
        &self,
        page: &RgbImage,
        boxes: &[TextBox],
        lang: Lang,
        readers: Readers,
        max_batch: usize,
    ) -> Result<Recognition> {
        let start = Instant::now();
        let mut model = Duration::ZERO;
        let mut see = |rec: &Recognizer, which: &[usize]| -> Result<Vec<Option<Seen>>> {
            let (seen, took) = self.see(rec, page, boxes, which, max_batch)?;
            model += took;
            Ok(seen)
        };
        let all: Vec<usize> = (0..boxes.len()).collect();
        let vi = self.recognizer(Lang::Vi);
        let english = readers.english;
        let second = self.second_reader(readers);
        let readings: Vec<Option<(recognize::Reading, &Recognizer)>> = match (lang, self.english_reader(english)) {
            (Lang::En, _) => {
                let en = self.english_recognizer(english)?;
                let seen = see(en, &all)?;
                seen.iter().map(|s| s.as_ref().map(|s| (self.english(s, en), en))).collect()
            }
            (Lang::Vi, _) | (Lang::Auto, None) => {
                let vi = vi?;
                let seen = see(vi, &all)?;
                let (readings, as_english) = self.read_as_one_reader(&seen, vi, lang);
                let readings = self.with_second_opinion(readings, second, &as_english, &mut see)?;
                match self.english_reader(english) {
                    Some(en) => self.with_latin_words_checked(readings, en, &mut see)?,
                    None => readings,
                }
            }
            (Lang::Auto, Some(en)) => {
                let vi = vi?;
                let sample = recognize::auto_sample(boxes.len());
                let mut by_vi: Vec<Option<Seen>> = (0..boxes.len()).map(|_| None).collect();
                for (i, s) in sample.iter().zip(see(vi, &sample)?) {
                    by_vi[*i] = s;
                }
                let plain: Vec<String> = by_vi.iter().flatten().map(|s| self.vietnamese(s, vi).0.0).collect();
                if recognize::page_reads_vietnamese(&plain.iter().map(String::as_str).collect::<Vec<_>>()) {
                    let rest: Vec<usize> = all.iter().copied().filter(|i| !sample.contains(i)).collect();
                    for (i, s) in rest.iter().zip(see(vi, &rest)?) {
                        by_vi[*i] = s;
                    }
                    let (readings, as_english) = self.read_as_one_reader(&by_vi, vi, Lang::Auto);
                    let readings = self.with_second_opinion(readings, second, &as_english, &mut see)?;
                    self.with_latin_words_checked(readings, en, &mut see)?
                } else {
                    let by_en = see(en, &all)?;
                    let english: Vec<Option<recognize::Reading>> =
                        by_en.iter().map(|s| s.as_ref().map(|s| self.english(s, en))).collect();
                    let unsure: Vec<usize> = all
                        .iter()
                        .copied()
                        .filter(|&i| by_vi[i].is_none())
                        .filter(|&i| {
                            english[i]
                                .as_ref()
                                .is_none_or(|r| recognize::line_confidence(&r.1) < recognize::SECOND_OPINION_BELOW)
                        })
                        .collect();
                    for (i, s) in unsure.iter().zip(see(vi, &unsure)?) {
                        by_vi[*i] = s;
                    }
                    english
                        .into_iter()
                        .enumerate()
                        .map(|(i, english)| {
                            let english = english.map(|r| (r, en));
                            let Some(seen) = &by_vi[i] else { return english };
                            let (plain, best) = self.vietnamese(seen, vi);
                            if recognize::line_reads_vietnamese(&plain.0, self.lexicon.as_ref()) {
                                return Some((best, vi));
                            }
                            // A line the English reader could not read at all is asternet's.
                            english.or_else(|| Some((self.english(seen, vi), vi)))
                        })
                        .collect()
                }
            }
        };
        let lines = boxes
            .iter()
            .zip(readings)
            .map(|(b, r)| match r {
                Some((reading, rec)) => {
                    let (text, char_confidences) = recognize::trimmed(self.tidied(reading));
                    OcrLine {
                        reader: Some(rec.family.reader_name().to_owned()),
                        ..OcrLine::recognized(
                            text,
                            recognize::line_confidence(&char_confidences),
                            b.points,
                            char_confidences,
                        )
                    }
                }
                None => OcrLine::unread(b.points, ErrorCode::InferenceFailed),
            })
            .collect();
        let total = start.elapsed();
        Ok(Recognition { lines, timing: StageTiming { model, other: total.saturating_sub(model) } })
    }

    /// The Vietnamese lines (those not read as `english`) the first reader is unsure of
    /// ([`recognize::SECOND_READER_BELOW`]) read again by the second reader, whose reading is
    /// kept where it is the more confident by [`recognize::SECOND_READER_MARGIN`].
    fn with_second_opinion<'r>(
        &'r self,
        mut readings: Vec<ReadBy<'r>>,
        second: Option<&'r Recognizer>,
        english: &[bool],
        see: &mut impl FnMut(&Recognizer, &[usize]) -> Result<Vec<Option<Seen>>>,
    ) -> Result<Vec<ReadBy<'r>>> {
        let Some(second) = second else { return Ok(readings) };
        let confidence = |r: &recognize::Reading| recognize::line_confidence(&r.1);
        let unsure: Vec<usize> = (0..readings.len())
            .filter(|&i| !english[i])
            .filter(|&i| readings[i].as_ref().is_some_and(|(r, _)| confidence(r) < recognize::SECOND_READER_BELOW))
            .collect();
        for (i, seen) in unsure.iter().zip(see(second, &unsure)?) {
            let (Some(seen), Some(first)) = (seen, &mut readings[*i]) else { continue };
            let (plain, _) = self.vietnamese(&seen, second);
            if !plain.0.trim().is_empty() && confidence(&plain) > confidence(&first.0) + recognize::SECOND_READER_MARGIN
            {
                *first = (plain, second);
            }
        }
        Ok(readings)
    }

    /// Vietnamese readings with a word asternet may have spelled with a look-alike (a code or
    /// unit mixing letters and digits, a lone `0`/`O`: [`recognize::ambiguous_latin_word`]) are
    /// read again by the English reader, and each word without Vietnamese letters takes the
    /// English reader's spelling where that is the more confident
    /// ([`recognize::latin_words_voted`]).
    fn with_latin_words_checked<'r>(
        &self,
        mut readings: Vec<ReadBy<'r>>,
        en: &'r Recognizer,
        see: &mut impl FnMut(&Recognizer, &[usize]) -> Result<Vec<Option<Seen>>>,
    ) -> Result<Vec<ReadBy<'r>>> {
        let unsure: Vec<usize> = (0..readings.len())
            .filter(|&i| readings[i].as_ref().is_some_and(|(r, _)| recognize::ambiguous_latin_word(r)))
            .collect();
        for (i, seen) in unsure.iter().zip(see(en, &unsure)?) {
            let (Some(seen), Some((reading, _))) = (seen, &mut readings[*i]) else { continue };
            let english = self.english(&seen, en);
            if let Some(voted) = recognize::latin_words_voted(reading, &english) {
                *reading = voted;
            }
        }
        Ok(readings)
    }

    /// The lines `which` of the page as `rec` sees them (`None` where the model failed on a
    /// line), in the order of `which`, and the time spent in the model.
    fn see(
        &self,
        rec: &Recognizer,
        page: &RgbImage,
        boxes: &[TextBox],
        which: &[usize],
        max_batch: usize,
    ) -> Result<(Vec<Option<Seen>>, Duration)> {
        if which.is_empty() {
            return Ok((Vec::new(), Duration::ZERO));
        }
        let (height, per_frame) = (rec.family.height(), rec.family.columns_per_frame());
        let crops: Vec<RgbImage> =
            which.iter().map(|&i| recognize::crop_line_at(page, &boxes[i].points, height, per_frame)).collect();
        let inked: Vec<Vec<bool>> = crops.iter().map(recognize::inked_columns).collect();
        let plans: Vec<Vec<Range<u32>>> = inked.iter().map(|ink| pieces::plan(ink, rec.max_width, per_frame)).collect();
        // What the model reads: every piece of every line (a line that fits is its own crop).
        let inputs: Vec<(usize, Cow<'_, RgbImage>)> = plans
            .iter()
            .enumerate()
            .flat_map(|(i, plan)| {
                let crop = &crops[i];
                plan.iter().map(move |p| match plan.len() {
                    1 => (which[i], Cow::Borrowed(crop)),
                    _ => (
                        which[i],
                        Cow::Owned(
                            image::imageops::crop_imm(crop, p.start, 0, p.len() as u32, crop.height()).to_image(),
                        ),
                    ),
                })
            })
            .collect();
        let (outputs, model) = rec.read_frames(&inputs, max_batch)?;
        let mut seen = Vec::with_capacity(which.len());
        let mut next_input = 0;
        for (i, plan) in plans.iter().enumerate() {
            let outputs = &outputs[next_input..next_input + plan.len()];
            next_input += plan.len();
            let frames = outputs.iter().map(|o| o.as_ref().map(|f| f.view())).collect::<Option<Vec<_>>>();
            seen.push(frames.map(|frames| Seen {
                frames: match plan.len() {
                    1 => frames[0].to_owned(),
                    _ => pieces::stitch(plan, &frames, per_frame),
                },
                gaps: match self.rules.gap_spaces {
                    true => recognize::ink_gaps(&inked[i], height, per_frame),
                    false => Vec::new(),
                },
            }));
        }
        Ok((seen, model))
    }

    /// Readings of lines all seen by one reader: each line's Vietnamese reading (re-spelled
    /// with the syllable list); for `en`, its English one; for `auto`, the English one on the
    /// lines [`recognize::auto_english_lines`] chooses; and which lines were read as English.
    fn read_as_one_reader<'r>(
        &self,
        seen: &[Option<Seen>],
        rec: &'r Recognizer,
        lang: Lang,
    ) -> (Vec<ReadBy<'r>>, Vec<bool>) {
        if lang == Lang::En {
            let english = seen.iter().map(|s| s.as_ref().map(|s| (self.english(s, rec), rec))).collect();
            return (english, vec![true; seen.len()]);
        }
        let vietnamese: Vec<Option<(recognize::Reading, recognize::Reading)>> =
            seen.iter().map(|s| s.as_ref().map(|s| self.vietnamese(s, rec))).collect();
        let take_english = match lang {
            Lang::Auto => {
                let plain: Vec<&str> =
                    vietnamese.iter().map(|v| v.as_ref().map_or("", |(p, _)| p.0.as_str())).collect();
                recognize::auto_english_lines(&plain, self.lexicon.as_ref())
            }
            _ => vec![false; seen.len()],
        };
        let readings = vietnamese
            .into_iter()
            .zip(seen)
            .zip(&take_english)
            .map(|((v, s), &english)| match (v, s) {
                (Some(_), Some(s)) if english => Some((self.english(s, rec), rec)),
                (Some((_, best)), _) => Some((best, rec)),
                _ => None,
            })
            .collect();
        (readings, take_english)
    }

    /// A line's plain reading over all the reader's classes, and the same re-spelled with the
    /// Vietnamese syllable list (the plain one again when nothing changed).
    fn vietnamese(&self, seen: &Seen, rec: &Recognizer) -> (recognize::Reading, recognize::Reading) {
        let lexicon = self.lexicon.as_ref().map(|l| (l, &rec.class_of));
        let (plain, respelled) =
            recognize::ctc_greedy(seen.frames.view(), &rec.vocab, None, lexicon, &seen.gaps, self.rules.separators);
        let best = respelled.unwrap_or_else(|| plain.clone());
        (plain, best)
    }

    /// A line's English reading (see [`english_reading`]); the English word list re-spells
    /// asternet's readings only, whose English is its weaker language.
    fn english(&self, seen: &Seen, rec: &Recognizer) -> recognize::Reading {
        let lexicon = if rec.family == Family::Asternet { self.lexicon_en.as_ref() } else { None };
        english_reading(seen, rec, lexicon, &self.rules)
    }

    /// The reading after the rules that apply to every reading, each when it is on.
    fn tidied(&self, reading: recognize::Reading) -> recognize::Reading {
        let r = self.rules;
        let mut reading = reading;
        if r.underscores {
            reading = recognize::underscores_as_spaces(reading);
        }
        if r.times_sign {
            reading = recognize::price_after_times_sign(reading);
        }
        if r.zeros_in_numbers {
            reading = recognize::zeros_in_numbers(reading);
        }
        reading
    }
}

/// Text and link maps from CRAFT's `y`, channel-first `[1, 2, H, W]` or channel-last `[1, H, W, 2]`.
fn score_maps(y: ndarray::ArrayViewD<'_, f32>) -> Result<ScoreMaps> {
    let s = y.shape().to_vec();
    let (text, link, height, width) = match s.as_slice() {
        [1, 2, h, w] => (
            y.slice(ndarray::s![0, 0, .., ..]).iter().copied().collect(),
            y.slice(ndarray::s![0, 1, .., ..]).iter().copied().collect(),
            *h,
            *w,
        ),
        [1, h, w, 2] => (
            y.slice(ndarray::s![0, .., .., 0]).iter().copied().collect(),
            y.slice(ndarray::s![0, .., .., 1]).iter().copied().collect(),
            *h,
            *w,
        ),
        _ => {
            return Err(Error::detection(format!("unexpected detector output shape {s:?}")));
        }
    };
    Ok(ScoreMaps { width, height, text, link })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }
}
