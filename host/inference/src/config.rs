//! What the engine loads: the models folder, threads, device, and which recognizer reads which language.

use std::path::{Path, PathBuf};

use ocr_core::Lang;

pub use crate::readers::Family;

/// File name of the ONNX Runtime library inside the models folder (as `scripts/fetch-models.sh` writes it).
pub const ORT_LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// Where the models run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// NVIDIA GPU through ONNX Runtime's CUDA execution provider (cargo feature `cuda`, and
    /// `scripts/fetch-models.sh --gpu`). Falls back to the CPU with a warning when unavailable.
    Cuda,
}

/// Which model finds the text lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetectorKind {
    /// CRAFT (`detector_model`), its character boxes grouped into lines. The default.
    #[default]
    Craft,
    /// trueocr's line detector ([`InferenceConfig::DETECTOR_TRUEOCR`]): upright line boxes on
    /// the page straightened first; several times cheaper than CRAFT (docs/models.md, "Detection").
    Trueocr,
    /// CRAFT's lines, and the lines of trueocr's line detector that no CRAFT line touches, that
    /// stand as high as the page's CRAFT lines and that read as text (`craft+trueocr`): the lone
    /// digits CRAFT scores under its thresholds (a receipt's quantity column), at trueocr's cost
    /// on top of CRAFT's.
    CraftTrueocr,
    /// PaddleOCR's PP-OCRv6 small DB detector ([`InferenceConfig::DETECTOR_PPOCR`]): line boxes,
    /// tilted where the lines are, at a fraction of CRAFT's cost (docs/models.md, "Detection").
    Ppocr,
}

/// The recognizer for one language: a CTC line model and its vocabulary (files in the models folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecognizerSpec {
    pub lang: Lang,
    pub model: String,
    /// The vocabulary file (asternet); empty for a family whose dictionary is inside the model.
    pub vocab: String,
    /// How the model is fed and read ([`Family`]).
    pub family: Family,
    /// Widest crop the model takes, in pixels at 32 px high; a wider line is read in pieces of
    /// at most this width. At least [`RecognizerSpec::MIN_WIDTH`].
    pub max_width: u32,
}

impl RecognizerSpec {
    /// asternet's widest crop: its positional encoding holds 256 time steps, one per 4 columns
    /// (a wider crop fails inside the model, float and int8 alike).
    pub const ASTERNET_MAX_WIDTH: u32 = 1024;
    /// The least `max_width` a recognizer may declare: long lines are read in pieces that
    /// overlap, which needs room for the overlap.
    pub const MIN_WIDTH: u32 = crate::pieces::MIN_READER_WIDTH;

    /// PP-OCR's widest crop at 48 px high, 256 frames: the model takes any width, but its
    /// readings of a long line are the better for the line's being read in pieces of about 40
    /// characters (its training lines are shorter).
    pub const PPOCR_MAX_WIDTH: u32 = 2048;

    /// An asternet-family model (the published one or its int8 build) for `lang`.
    pub fn asternet(lang: Lang, model: &str, vocab: &str) -> Self {
        Self {
            lang,
            model: model.into(),
            vocab: vocab.into(),
            family: Family::Asternet,
            max_width: Self::ASTERNET_MAX_WIDTH,
        }
    }

    /// trueocr's recognizer (charset in its `meta.json`): the second opinion on Vietnamese lines.
    pub fn trueocr(model: &str, meta: &str) -> Self {
        Self {
            lang: Lang::Vi,
            model: model.into(),
            vocab: meta.into(),
            family: Family::Trueocr,
            max_width: Self::TRUEOCR_MAX_WIDTH,
        }
    }

    /// trueocr's widest line at its own line height (23 px): its `meta.json` says 768 columns
    /// of the 96-row window, paper included.
    pub const TRUEOCR_MAX_WIDTH: u32 = 736;

    /// A PP-OCR recognizer (dictionary in the model) for `lang`.
    pub fn ppocr(lang: Lang, model: &str) -> Self {
        Self {
            lang,
            model: model.into(),
            vocab: String::new(),
            family: Family::PaddleOcr,
            max_width: Self::PPOCR_MAX_WIDTH,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceConfig {
    /// Folder holding the ONNX Runtime library, the models and vocabularies.
    pub models_dir: PathBuf,
    /// Threads ONNX Runtime uses inside one detector call; 0 lets ONNX Runtime choose (one per core).
    pub intra_threads: usize,
    /// Threads inside one recognizer call. 1 by default: a 32-pixel-high line is too little work
    /// to share, so a second thread cut its time by about 10 % while it cost 60 % more CPU time
    /// (docs/benchmarks.md, model-level measurements); 0 lets ONNX Runtime choose.
    pub recognizer_threads: usize,
    pub device: Device,
    /// One entry per language. Entries naming the same model file share one loaded session.
    pub recognizers: Vec<RecognizerSpec>,
    /// A second reader for the Vietnamese lines the first is unsure of
    /// ([`RecognizerSpec::trueocr`], the default; `None`: no second opinion,
    /// `OCR_SECOND_READER=none`).
    pub second_reader: Option<RecognizerSpec>,
    /// File name of the CRAFT detector: [`InferenceConfig::DETECTOR_INT8`] (the default) or
    /// [`InferenceConfig::DETECTOR_FP32`].
    pub detector_model: String,
    /// Which detector finds the lines (`OCR_DETECTOR`); `detector_model` is CRAFT's file.
    pub detector: DetectorKind,
    /// Run the detector on the part of the page that holds anything but flat background (blank
    /// margins, the table under a photographed receipt), at the same scale: same boxes, less work.
    /// On by default; off reads the whole page as before (the `bench` example's `--whole-page`).
    pub crop_to_content: bool,
    /// File name of the Vietnamese syllable frequency list (wordfreq's `small_vi.msgpack.gz`,
    /// fetched with the models) that re-spells uncertain marks in Vietnamese readings
    /// ([`InferenceConfig::LEXICON_VI`], the default); `None` decodes greedily (`OCR_DECODER=greedy`).
    pub lexicon: Option<String>,
    /// File name of the English word frequency list (wordfreq's `large_en.msgpack.gz`, fetched
    /// with the models) that re-spells English words one edit away from a more likely listed word
    /// ([`InferenceConfig::LEXICON_EN`], the default); `None` decodes greedily.
    pub lexicon_en: Option<String>,
    /// The reading rules that may change what a model read (`OCR_RULES`).
    pub rules: Rules,
    /// ONNX Runtime graph optimizations: 0 none, 1 basic, 2 extended, 3 all (the default; the
    /// `bench` example measures each level).
    pub graph_optimization: u8,
}

impl Default for InferenceConfig {
    fn default() -> Self {
        let aster = |lang| RecognizerSpec::asternet(lang, Self::default_asternet(), "vocab.json");
        let ppocr = |lang| RecognizerSpec::ppocr(lang, Self::RECOGNIZER_PPOCR);
        Self {
            models_dir: Self::default_models_dir(),
            intra_threads: 0,
            recognizer_threads: 1,
            device: Device::Cpu,
            recognizers: vec![aster(Lang::Vi), ppocr(Lang::En)],
            second_reader: Some(RecognizerSpec::trueocr(Self::RECOGNIZER_TRUEOCR, Self::TRUEOCR_META)),
            rules: Rules::default(),
            detector_model: Self::DETECTOR_INT8.into(),
            detector: DetectorKind::Craft,
            graph_optimization: 3,
            crop_to_content: true,
            lexicon: Some(Self::LEXICON_VI.into()),
            lexicon_en: Some(Self::LEXICON_EN.into()),
        }
    }
}

impl InferenceConfig {
    /// The CRAFT detector as published (float32).
    pub const DETECTOR_FP32: &str = "craftnet.onnx";
    /// CRAFT statically quantized to int8 by `scripts/fetch-models.sh` (QDQ, per-channel weights,
    /// the first convolution and the score head kept in float): about 3x faster on the CPU for
    /// the same reading (docs/benchmarks.md). The default.
    pub const DETECTOR_INT8: &str = "craftnet.int8.onnx";
    /// trueocr's line detector (PyPI `trueocr`, Apache-2.0, `trueocr/models/det.onnx`), as
    /// published: [`DetectorKind::Trueocr`].
    pub const DETECTOR_TRUEOCR: &str = "trueocr_det.onnx";
    /// PaddleOCR's PP-OCRv6 small text detector (PyPI `rapidocr` 3.10.0, Apache-2.0,
    /// `rapidocr/models/PP-OCRv6_det_small.onnx`), as published: [`DetectorKind::Ppocr`].
    pub const DETECTOR_PPOCR: &str = "PP-OCRv6_det_small.onnx";
    /// PP-OCRv6's detector statically quantized to int8 by `scripts/fetch-models.sh` (QDQ,
    /// per-channel weights): about 3.5x less CPU on a CPU with VNNI, the same lines within
    /// noise (docs/models.md). Read on the CPU where [`int8_pays`].
    pub const DETECTOR_PPOCR_INT8: &str = "PP-OCRv6_det_small.int8.onnx";
    /// The asternet line recognizer as published (float32).
    pub const RECOGNIZER_FP32: &str = "asternet.onnx";
    /// asternet statically quantized to int8 by `scripts/fetch-models.sh` (QDQ, per-channel
    /// weights): about 1.7x faster per line. The default.
    pub const RECOGNIZER_INT8: &str = "asternet.int8.onnx";
    /// PaddleOCR's PP-OCRv6 small line recognizer (PyPI `rapidocr`, Apache-2.0), as published:
    /// the default reader of English lines (docs/models.md).
    pub const RECOGNIZER_PPOCR: &str = "PP-OCRv6_rec_small.onnx";
    /// trueocr's line recognizer (PyPI `trueocr`, Apache-2.0, `trueocr/models/rec.onnx`), as
    /// published: the second opinion on Vietnamese lines (docs/models.md).
    pub const RECOGNIZER_TRUEOCR: &str = "trueocr_rec.onnx";
    /// trueocr's `meta.json` (its charset), beside its recognizer.
    pub const TRUEOCR_META: &str = "trueocr_meta.json";

    /// wordfreq's Vietnamese word frequencies (PyPI `wordfreq`, `wordfreq/data/small_vi.msgpack.gz`).
    pub const LEXICON_VI: &str = "small_vi.msgpack.gz";
    /// pyvi's Vietnamese dictionary (PyPI `pyvi`, MIT, `pyvi/models/words.txt`): the words of two
    /// syllables or more, whose syllables the decoder reads together ([`InferenceConfig::lexicon`]).
    pub const COMPOUNDS_VI: &str = "vi_words.txt";
    /// wordfreq's English word frequencies (PyPI `wordfreq`, `wordfreq/data/large_en.msgpack.gz`).
    pub const LEXICON_EN: &str = "large_en.msgpack.gz";

    /// The asternet model the engine reads with by default: the int8 build where the CPU has
    /// integer dot-product instructions (AVX-512 VNNI or AVX-VNNI), the float model elsewhere.
    /// Without them the int8 model is hardly faster (8-13 % on an AVX2-only EPYC), and it reads
    /// differently, on words the tests pin (docs/models.md).
    pub fn default_asternet() -> &'static str {
        if int8_pays() { Self::RECOGNIZER_INT8 } else { Self::RECOGNIZER_FP32 }
    }

    /// This configuration with the float models as published (slower; for comparisons).
    pub fn with_float_models(mut self) -> Self {
        self.detector_model = Self::DETECTOR_FP32.into();
        for r in &mut self.recognizers {
            if r.model == Self::RECOGNIZER_INT8 {
                r.model = Self::RECOGNIZER_FP32.into();
            }
        }
        self
    }

    /// `$OCR_MODELS_DIR`, else `${XDG_CACHE_HOME:-$HOME/.cache}/ocr-platform/models`: the same
    /// rule as `scripts/fetch-models.sh`.
    pub fn default_models_dir() -> PathBuf {
        let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(dir) = non_empty("OCR_MODELS_DIR") {
            return dir;
        }
        let cache = non_empty("XDG_CACHE_HOME")
            .or_else(|| non_empty("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"));
        cache.join("ocr-platform").join("models")
    }

    /// Path of the ONNX Runtime library the engine loads.
    pub fn ort_library(&self) -> PathBuf {
        self.models_dir.join(ORT_LIBRARY)
    }

    /// The CUDA build of ONNX Runtime, with its provider libraries beside it.
    pub fn ort_gpu_library(&self) -> PathBuf {
        self.models_dir.join("gpu").join(ORT_LIBRARY)
    }

    /// The file of the detector the engine loads (CRAFT's for [`DetectorKind::CraftTrueocr`]).
    pub fn detector_file(&self) -> &str {
        match self.detector {
            DetectorKind::Craft | DetectorKind::CraftTrueocr => &self.detector_model,
            DetectorKind::Trueocr => Self::DETECTOR_TRUEOCR,
            // int8 is a CPU's speed-up; a GPU reads the float model.
            DetectorKind::Ppocr if self.device == Device::Cpu && int8_pays() => Self::DETECTOR_PPOCR_INT8,
            DetectorKind::Ppocr => Self::DETECTOR_PPOCR,
        }
    }

    /// The file of the detector that adds the lines the first one missed, if any
    /// ([`DetectorKind::CraftTrueocr`]).
    pub fn second_detector_file(&self) -> Option<&str> {
        (self.detector == DetectorKind::CraftTrueocr).then_some(Self::DETECTOR_TRUEOCR)
    }

    /// Every file the engine needs that is not there (empty when all are).
    pub fn missing_files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.ort_library(), self.models_dir.join(self.detector_file())];
        files.extend(self.second_detector_file().map(|f| self.models_dir.join(f)));
        for r in self.recognizers.iter().chain(&self.second_reader) {
            files.push(self.models_dir.join(&r.model));
            if r.family.needs_vocab_file() {
                files.push(self.models_dir.join(&r.vocab));
            }
        }
        files.extend(self.lexicon.iter().chain(&self.lexicon_en).map(|l| self.models_dir.join(l)));
        if self.lexicon.is_some() {
            files.push(self.models_dir.join(Self::COMPOUNDS_VI));
        }
        let mut missing: Vec<PathBuf> = Vec::new();
        for f in files {
            if !is_file(&f) && !missing.contains(&f) {
                missing.push(f);
            }
        }
        missing
    }
}

/// The rules that may change what a model read, each of which can be switched off
/// (`OCR_RULES=-name,...`). Each fires only on evidence in the line itself; what each needs is
/// said at its function in `recognize.rs`, and docs/models.md shows each on pages it was not
/// tuned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// `gap_spaces`: a word space of blank paper the model read as nothing becomes a space.
    pub gap_spaces: bool,
    /// `separators`: a space between digit groups where `.` or `,` was also likely is that separator.
    pub separators: bool,
    /// `tidy_english`: in asternet's English readings, a look-alike digit among letters becomes the
    /// letter, and a one-letter case slip takes the word's case.
    pub tidy_english: bool,
    /// `zeros_in_numbers`: capital `O`s in a word that is a number once they are zeros.
    pub zeros_in_numbers: bool,
    /// `underscores`: an underscore read for a wide gap before a number is a space.
    pub underscores: bool,
    /// `times_sign`: a quantity sign glued to a price becomes a word of its own.
    pub times_sign: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self::ALL.iter().fold(Self::none(), |r, (name, _)| r.with(name, true).expect("a known rule"))
    }
}

impl Rules {
    /// Every rule's name and what it does, for `--help` and errors.
    pub const ALL: [(&str, &str); 6] = [
        ("gap_spaces", "a word space of blank paper read as nothing becomes a space"),
        ("separators", "a space between digit groups where . or , was also likely becomes it"),
        ("tidy_english", "look-alike digits and one-letter case slips in asternet's English words"),
        ("zeros_in_numbers", "capital O in a word that is a number once they are zeros"),
        ("underscores", "an underscore read for a gap before a number becomes a space"),
        ("times_sign", "a quantity sign glued to a price becomes a word of its own"),
    ];

    /// Every rule off.
    pub fn none() -> Self {
        Self {
            gap_spaces: false,
            separators: false,
            tidy_english: false,
            zeros_in_numbers: false,
            underscores: false,
            times_sign: false,
        }
    }

    /// This set with the rule `name` on or off; `None` for an unknown name.
    pub fn with(mut self, name: &str, on: bool) -> Option<Self> {
        let rule = match name {
            "gap_spaces" => &mut self.gap_spaces,
            "separators" => &mut self.separators,
            "tidy_english" => &mut self.tidy_english,
            "zeros_in_numbers" => &mut self.zeros_in_numbers,
            "underscores" => &mut self.underscores,
            "times_sign" => &mut self.times_sign,
            _ => return None,
        };
        *rule = on;
        Some(self)
    }

    /// Parses `OCR_RULES`: comma-separated names, each `-name` (off) or `name`/`+name` (on),
    /// applied to the defaults; `none` first starts from every rule off.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut rules = Self::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "none" {
                rules = Self::none();
                continue;
            }
            let (name, on) = match item.strip_prefix('-') {
                Some(name) => (name, false),
                None => (item.strip_prefix('+').unwrap_or(item), true),
            };
            rules = rules.with(name, on).ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown reading rule {name:?}; the rules are {}", known.join(", "))
            })?;
        }
        Ok(rules)
    }
}

/// Whether the CPU has the integer dot-product instructions the int8 models rely on (x86-64:
/// AVX-512 VNNI or AVX-VNNI; other architectures: assumed, as before this check).
pub fn int8_pays() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512vnni") || std::arch::is_x86_feature_detected!("avxvnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

fn is_file(p: &Path) -> bool {
    p.metadata().map(|m| m.is_file()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_switched_off_and_on_by_name() {
        let r = Rules::parse("-tidy_english, -gap_spaces").unwrap();
        assert!(!r.tidy_english && !r.gap_spaces && r.zeros_in_numbers);
        assert_eq!(Rules::parse("none,+separators").unwrap(), Rules { separators: true, ..Rules::none() });
        assert!(Rules::parse("-spelling").unwrap_err().contains("gap_spaces"));
        assert_eq!(Rules::parse("").unwrap(), Rules::default());
    }

    #[test]
    fn missing_files_names_each_absent_file_once() {
        let cfg = InferenceConfig { models_dir: PathBuf::from("/nonexistent-ocr-models"), ..Default::default() };
        let missing = cfg.missing_files();
        // Library, detector, asternet + its vocab, PP-OCR (its dictionary inside), trueocr + its
        // meta, the two lexicons and the Vietnamese dictionary.
        assert_eq!(missing.len(), 10, "{missing:?}");
        assert!(missing.iter().any(|p| p.ends_with("craftnet.int8.onnx")));
        let trueocr = InferenceConfig { detector: DetectorKind::Trueocr, ..cfg }.missing_files();
        assert!(trueocr.iter().any(|p| p.ends_with("trueocr_det.onnx")), "{trueocr:?}");
        assert!(!trueocr.iter().any(|p| p.ends_with("craftnet.int8.onnx")));
        let both = InferenceConfig { detector: DetectorKind::CraftTrueocr, ..cfg_dir() }.missing_files();
        assert!(both.iter().any(|p| p.ends_with("trueocr_det.onnx")), "{both:?}");
        assert!(both.iter().any(|p| p.ends_with("craftnet.int8.onnx")), "{both:?}");
        let ppocr = InferenceConfig { detector: DetectorKind::Ppocr, ..cfg_dir() }.missing_files();
        let ppocr_det =
            if int8_pays() { InferenceConfig::DETECTOR_PPOCR_INT8 } else { InferenceConfig::DETECTOR_PPOCR };
        assert!(ppocr.iter().any(|p| p.ends_with(ppocr_det)), "{ppocr:?}");
        assert!(!ppocr.iter().any(|p| p.ends_with("craftnet.int8.onnx")), "{ppocr:?}");
    }

    fn cfg_dir() -> InferenceConfig {
        InferenceConfig { models_dir: PathBuf::from("/nonexistent-ocr-models"), ..Default::default() }
    }
}
