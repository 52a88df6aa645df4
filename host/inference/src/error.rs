//! Errors of this crate, each mapped to one code of the platform's error catalog.

use std::path::PathBuf;

use ocr_core::{ErrorCode, Lang};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Model files or the ONNX Runtime library are not where the configuration says.
    #[error(
        "OCR model files are missing: {}. Run scripts/fetch-models.sh (or point OCR_MODELS_DIR at a folder that has them)",
        .missing.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    ModelsMissing { missing: Vec<PathBuf> },

    /// The files are there but could not be loaded (corrupt model, wrong library version).
    #[error("the OCR models could not be loaded: {0}. Run scripts/fetch-models.sh to fetch verified copies")]
    ModelLoad(String),

    /// The bytes are not one of the accepted file types.
    #[error("{0}")]
    UnsupportedMediaType(String),

    /// The file claims to be an accepted type but could not be decoded.
    #[error("the file could not be read as an image: {0}")]
    InvalidImage(String),

    #[error("the document has {pages} pages; at most {max} are accepted")]
    TooManyPages { pages: usize, max: usize },

    #[error(
        "the page is {width}x{height} pixels; at most {max_width}x{max_height} and {max_pixels} pixels in all are accepted"
    )]
    ImageTooLarge { width: u64, height: u64, max_width: u32, max_height: u32, max_pixels: u64 },

    /// No recognizer is configured for the requested language.
    #[error("no recognizer is configured for language \"{}\"", .0.as_str())]
    NoRecognizer(Lang),

    /// ONNX Runtime failed while running a model, or a model returned an unexpected shape.
    #[error("text {stage} failed: {message}")]
    InferenceFailed { stage: &'static str, message: String },
}

impl Error {
    /// The catalog code clients see for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::ModelsMissing { .. } | Error::ModelLoad(_) => ErrorCode::ModelsMissing,
            Error::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Error::InvalidImage(_) => ErrorCode::InvalidImage,
            Error::TooManyPages { .. } => ErrorCode::TooManyPages,
            Error::ImageTooLarge { .. } => ErrorCode::ImageTooLarge,
            Error::NoRecognizer(_) => ErrorCode::InvalidOptions,
            Error::InferenceFailed { .. } => ErrorCode::InferenceFailed,
        }
    }

    pub(crate) fn detection(e: impl std::fmt::Display) -> Self {
        Error::InferenceFailed { stage: "detection", message: e.to_string() }
    }

    pub(crate) fn recognition(e: impl std::fmt::Display) -> Self {
        Error::InferenceFailed { stage: "recognition", message: e.to_string() }
    }
}

impl From<Error> for ocr_core::JobError {
    fn from(e: Error) -> Self {
        ocr_core::JobError::new(e.code(), e.to_string())
    }
}
