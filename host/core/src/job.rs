//! Jobs: ids, tenants, states and their allowed transitions, task kinds and options.
//!
//! State machine (the original platform's names):
//!
//! ```text
//! PENDING_UPLOAD --upload--> UPLOADED --worker claims--> DETECTING --> DETECT_DONE
//! DETECT_DONE --run-ocr (or auto_ocr)--> OCR_QUEUED --worker claims--> RECOGNIZING --> DONE
//! DETECTING / RECOGNIZING --transient error or lost lease--> back to UPLOADED / OCR_QUEUED (retry)
//! any running state --deterministic error or last attempt--> FAILED
//! DONE --run-ocr again (after a new PATCH)--> OCR_QUEUED
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A job id: a UUIDv7, so ids sort by creation time (used for cursor pagination).
pub type JobId = uuid::Uuid;

/// The tenant a request acts for. 1 to 64 characters from `[A-Za-z0-9._-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantId(String);

impl TenantId {
    /// Longest accepted tenant id, so ids stay usable in keys and logs.
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && s != "."
            && s != "..";
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job stands. Stored as these exact strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    PendingUpload,
    Uploaded,
    Detecting,
    DetectDone,
    OcrQueued,
    Recognizing,
    Done,
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 8] = [
        JobStatus::PendingUpload,
        JobStatus::Uploaded,
        JobStatus::Detecting,
        JobStatus::DetectDone,
        JobStatus::OcrQueued,
        JobStatus::Recognizing,
        JobStatus::Done,
        JobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::PendingUpload => "PENDING_UPLOAD",
            JobStatus::Uploaded => "UPLOADED",
            JobStatus::Detecting => "DETECTING",
            JobStatus::DetectDone => "DETECT_DONE",
            JobStatus::OcrQueued => "OCR_QUEUED",
            JobStatus::Recognizing => "RECOGNIZING",
            JobStatus::Done => "DONE",
            JobStatus::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The task that moves a job out of this waiting state, if it is one.
    pub fn pending_task(self) -> Option<TaskKind> {
        match self {
            JobStatus::Uploaded => Some(TaskKind::Detect),
            JobStatus::OcrQueued => Some(TaskKind::Recognize),
            _ => None,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Failed)
    }

    /// Whether a reviewer may replace the boxes now (not while recognition is queued or runs).
    pub fn boxes_editable(self) -> bool {
        matches!(self, JobStatus::DetectDone | JobStatus::Done)
    }

    /// Whether `run-ocr` may queue recognition now.
    pub fn recognition_allowed(self) -> bool {
        matches!(self, JobStatus::DetectDone | JobStatus::Done)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two kinds of work a worker does, under the original platform's task names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskKind {
    /// `ocr.run_job`: text detection after upload.
    #[serde(rename = "ocr.run_job")]
    Detect,
    /// `ocr.run_ocr_job`: recognition on the stored (possibly edited) boxes.
    #[serde(rename = "ocr.run_ocr_job")]
    Recognize,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Detect => "ocr.run_job",
            TaskKind::Recognize => "ocr.run_ocr_job",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [TaskKind::Detect, TaskKind::Recognize].into_iter().find(|k| k.as_str() == s)
    }

    /// The state a job waits in for this task, and the state it runs in.
    pub fn states(self) -> (JobStatus, JobStatus) {
        match self {
            TaskKind::Detect => (JobStatus::Uploaded, JobStatus::Detecting),
            TaskKind::Recognize => (JobStatus::OcrQueued, JobStatus::Recognizing),
        }
    }
}

/// Recognition language. Chooses the recognizer model by configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Decided per page (the default): the `vi` reader reads a sample of the page's lines; a
    /// Vietnamese page is then read by the `vi` reader, an English one by the `en` reader (see
    /// docs/models.md, "Which reader reads what").
    #[default]
    Auto,
    /// Vietnamese: the `vi` reader (asternet, which also reads English) reads every line.
    Vi,
    /// English: the `en` reader (PP-OCRv6 by default) reads every line, in Latin letters only.
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Auto => "auto",
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language named `s` (`auto`, `vi` or `en`).
    pub fn parse(s: &str) -> Option<Lang> {
        [Lang::Auto, Lang::Vi, Lang::En].into_iter().find(|l| l.as_str() == s)
    }
}

/// Detection settings a job may override. Defaults are CRAFT's reference values, except
/// `text_threshold`: 0.6, not 0.7, keeps the lone characters of faint receipts (a quantity `1`
/// in its column peaks under 0.7): English cover recall on the development set 0.969 -> 0.973
/// (docs/accuracy.md, round 2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DetectParams {
    /// Minimum peak text score for a component to count as text.
    pub text_threshold: f32,
    /// Link (affinity) score above which neighbouring characters join.
    pub link_threshold: f32,
    /// Text score above which a pixel belongs to a component.
    pub low_text: f32,
    /// Longest side, in pixels, the page is resized to before detection.
    pub canvas_size: u32,
    /// Upscale factor applied before the canvas cap.
    pub mag_ratio: f32,
}

impl Default for DetectParams {
    fn default() -> Self {
        Self { text_threshold: 0.6, link_threshold: 0.4, low_text: 0.4, canvas_size: 1280, mag_ratio: 1.0 }
    }
}

impl DetectParams {
    /// Largest canvas a job may ask for: bounds the detector's memory and time per page.
    pub const MAX_CANVAS: u32 = 2560;
    pub const MIN_CANVAS: u32 = 64;

    /// Checks ranges; returns a sentence naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("text_threshold", self.text_threshold),
            ("link_threshold", self.link_threshold),
            ("low_text", self.low_text),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(format!("{name} must be between 0 and 1 (exclusive), got {v}"));
            }
        }
        if !(Self::MIN_CANVAS..=Self::MAX_CANVAS).contains(&self.canvas_size) {
            return Err(format!(
                "canvas_size must be between {} and {}, got {}",
                Self::MIN_CANVAS,
                Self::MAX_CANVAS,
                self.canvas_size
            ));
        }
        if !(self.mag_ratio >= 0.25 && self.mag_ratio <= 4.0) {
            return Err(format!("mag_ratio must be between 0.25 and 4, got {}", self.mag_ratio));
        }
        Ok(())
    }
}

/// Options given when a job is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct JobOptions {
    /// Run recognition straight after detection (one-shot OCR, no review step).
    pub auto_ocr: bool,
    /// Recognition language; chooses the recognizer.
    pub lang: Lang,
    /// Detection overrides.
    pub detect: DetectParams,
    /// Where to POST signed events when the job reaches `DETECT_DONE`, `DONE` or `FAILED`
    /// (overrides the tenant's default webhook URL). `http` or `https`, at most 2048 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip_through_strings_and_json() {
        for st in JobStatus::ALL {
            assert_eq!(JobStatus::parse(st.as_str()), Some(st));
            assert_eq!(serde_json::to_string(&st).unwrap(), format!("\"{}\"", st.as_str()));
        }
        assert_eq!(JobStatus::parse("done"), None);
    }

    #[test]
    fn task_kinds_keep_the_original_names() {
        assert_eq!(TaskKind::Detect.as_str(), "ocr.run_job");
        assert_eq!(TaskKind::parse("ocr.run_ocr_job"), Some(TaskKind::Recognize));
        assert_eq!(TaskKind::Recognize.states(), (JobStatus::OcrQueued, JobStatus::Recognizing));
    }

    #[test]
    fn tenant_ids_reject_path_tricks_and_oversized_values() {
        assert!(TenantId::parse("acme-01").is_some());
        assert!(TenantId::parse("..").is_none());
        assert!(TenantId::parse("a/b").is_none());
        assert!(TenantId::parse("").is_none());
        assert!(TenantId::parse(&"x".repeat(65)).is_none());
    }

    #[test]
    fn detect_params_reject_out_of_range_values() {
        assert!(DetectParams::default().validate().is_ok());
        let bad = DetectParams { canvas_size: 99_999, ..Default::default() };
        assert!(bad.validate().unwrap_err().contains("canvas_size"));
        let bad = DetectParams { low_text: 1.5, ..Default::default() };
        assert!(bad.validate().unwrap_err().contains("low_text"));
    }

    #[test]
    fn job_options_refuse_unknown_fields() {
        assert!(serde_json::from_str::<JobOptions>(r#"{"auto_ocr":true}"#).unwrap().auto_ocr);
        assert!(serde_json::from_str::<JobOptions>(r#"{"auto_orc":true}"#).is_err());
    }
}
