//! Text detection and recognition for the OCR platform, on ONNX Runtime via `ort`.
//!
//! **Owns:** the models (loading the CRAFT detector or trueocr's line detector, or both, the
//! second adding the lines CRAFT missed, and the line
//! readers, asternet for Vietnamese and PP-OCRv6 for English, once per process), which reader
//! reads which line, their
//! pre- and post-processing (resize/normalize, score maps to word boxes to text lines,
//! perspective crops, batched CTC decoding, word frequencies for the spellings a reader is
//! unsure of: Vietnamese marks, English letters; the reading rules), and turning uploaded bytes into
//! page images
//! ([`decode_pages`]: PNG, JPEG with EXIF orientation, WebP, BMP, multi-page TIFF, PDF; or one
//! page alone, [`decode_page`]), with limits checked before anything large is allocated.
//!
//! **Must not:** touch storage, the network, the queue or configuration files. The caller gives
//! an [`InferenceConfig`] and bytes, and gets pages, boxes and lines back. (The only environment
//! read is [`InferenceConfig::default_models_dir`], which follows `scripts/fetch-models.sh`.)
//!
//! **Threads:** everything is synchronous and CPU-bound. An [`Engine`] is `Send + Sync`; each ONNX
//! session sits behind its own `Mutex` (ONNX Runtime's `run` needs exclusive access), so any
//! thread may call it and concurrent calls on the same model queue up, while detection and
//! recognition can run at the same time. ONNX Runtime parallelizes inside one detector call
//! (`intra_threads`); the recognizer runs on one thread (`recognizer_threads`), which is where its
//! CPU time per line is lowest, and idle pool threads sleep rather than spin. Async callers must
//! run it off their runtime (e.g. `spawn_blocking`).

mod config;
mod db_detector;
mod decode;
mod detect;
mod engine;
mod error;
pub mod eval;
mod lexicon;
mod line_detector;
mod orient;
mod pieces;
mod readers;
mod recognize;
mod rescue;

pub use config::{DetectorKind, Device, Family, InferenceConfig, ORT_LIBRARY, RecognizerSpec, Rules};
pub use decode::{DecodeLimits, decode_page, decode_pages, sniff};
pub use engine::{Detection, Engine, Recognition, StageTiming};
pub use error::{Error, Result};
pub use lexicon::{Language, Lexicon};
pub use recognize::crop_line;
