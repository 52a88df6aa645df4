//! Tenant plugin pipeline and what plugins leave on a job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What happens to a job when a plugin fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// The job fails with the plugin's error code.
    #[default]
    Fail,
    /// The plugin is skipped; a warning is recorded on the job.
    Skip,
}

/// One plugin in a hook's chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineStep {
    /// Plugin id: one of the tenant's (`GET /v1/plugins`) or a built-in (`builtin.<name>`).
    pub plugin: String,
    /// Read by the plugin with `get-config(key)`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    #[serde(default)]
    pub on_failure: FailurePolicy,
}

/// A tenant's plugins, in order, per hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Run after detection, before the boxes are stored.
    #[serde(default)]
    pub filter_boxes: Vec<PipelineStep>,
    /// Run after recognition, before the text is stored.
    #[serde(default)]
    pub normalize_text: Vec<PipelineStep>,
    /// Run last, once per document, on the final lines and the page structure; the fields
    /// every step returns are stored in the result's `fields`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extract_fields: Vec<PipelineStep>,
    /// Which line reader reads this tenant's English lines (docs/models.md, "Which reader
    /// reads what").
    #[serde(default, skip_serializing_if = "EnglishReader::is_default")]
    pub english_reader: EnglishReader,
    /// Whether a second reader re-reads the Vietnamese lines the first is unsure of
    /// (docs/models.md, "Which reader reads what").
    #[serde(default, skip_serializing_if = "SecondReader::is_default")]
    pub second_reader: SecondReader,
}

impl Pipeline {
    /// The tenant's choice of line readers.
    pub fn readers(&self) -> Readers {
        Readers { english: self.english_reader, second: self.second_reader }
    }
}

/// A tenant's choice of line readers, as the engine takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readers {
    pub english: EnglishReader,
    pub second: SecondReader,
}

/// The second opinion on Vietnamese lines asternet is unsure of (signs, display faces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SecondReader {
    /// trueocr's recognizer (the default, when the server loads it: `OCR_SECOND_READER`): its
    /// reading replaces asternet's when it is the more confident.
    #[default]
    Trueocr,
    /// No second opinion: asternet's reading stands.
    None,
}

impl SecondReader {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The reader of English lines: `lang=en` jobs and the lines of pages `auto` finds English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum EnglishReader {
    /// PP-OCRv6 small (the default): a third of asternet's character errors on English receipts.
    #[default]
    Ppocr,
    /// asternet, the Vietnamese reader, for everything: the platform's reading before PP-OCRv6
    /// (English letters only, its English word list and case rules), one model less per line.
    Asternet,
}

impl EnglishReader {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Which hooks a plugin exports (found when it is loaded; stored with a tenant's plugin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PluginHooks {
    /// Exports `ocr:plugin/box-filter` (`filter-boxes`).
    pub filter_boxes: bool,
    /// Exports `ocr:plugin/text-normalizer` (`normalize-text`).
    pub normalize_text: bool,
    /// Exports `ocr:plugin/field-extractor` (`extract-fields`).
    pub extract_fields: bool,
}

impl PluginHooks {
    /// Whether the plugin implements the pipeline stage `hook` (`filter_boxes`, …).
    pub fn implements(&self, hook: &str) -> bool {
        match hook {
            "filter_boxes" => self.filter_boxes,
            "normalize_text" => self.normalize_text,
            "extract_fields" => self.extract_fields,
            _ => false,
        }
    }

    /// The pipeline stages it implements, in pipeline order.
    pub fn names(&self) -> Vec<String> {
        [
            ("filter_boxes", self.filter_boxes),
            ("normalize_text", self.normalize_text),
            ("extract_fields", self.extract_fields),
        ]
        .iter()
        .filter(|h| h.1)
        .map(|h| h.0.to_owned())
        .collect()
    }
}

impl Pipeline {
    /// Steps per hook, so one plugin chain cannot make a job arbitrarily slow.
    pub const MAX_STEPS: usize = 8;
    /// Config entries per step and bytes per key/value (plugins read them through the sandbox).
    pub const MAX_CONFIG_ENTRIES: usize = 64;
    pub const MAX_CONFIG_BYTES: usize = 4096;

    /// Each stage's name and steps, in the order a job runs them.
    pub fn stages(&self) -> [(&'static str, &Vec<PipelineStep>); 3] {
        [
            ("filter_boxes", &self.filter_boxes),
            ("normalize_text", &self.normalize_text),
            ("extract_fields", &self.extract_fields),
        ]
    }

    pub fn validate(&self) -> Result<(), String> {
        for (hook, steps) in self.stages() {
            if steps.len() > Self::MAX_STEPS {
                return Err(format!("{hook} has {} plugins, at most {} are allowed", steps.len(), Self::MAX_STEPS));
            }
            for step in steps {
                if step.config.len() > Self::MAX_CONFIG_ENTRIES {
                    return Err(format!(
                        "{hook}: {} has more than {} config entries",
                        step.plugin,
                        Self::MAX_CONFIG_ENTRIES
                    ));
                }
                if step.config.iter().any(|(k, v)| k.len() > Self::MAX_CONFIG_BYTES || v.len() > Self::MAX_CONFIG_BYTES)
                {
                    return Err(format!(
                        "{hook}: a config key or value of {} is over {} bytes",
                        step.plugin,
                        Self::MAX_CONFIG_BYTES
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A line a plugin logged while working on a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PluginLogLine {
    pub plugin: String,
    /// `filter_boxes`, `normalize_text` or `extract_fields`.
    pub hook: String,
    pub page_index: u32,
    pub level: String,
    pub message: String,
}

/// Warnings and plugin logs kept on a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct JobNotes {
    /// E.g. a plugin that failed under the `skip` policy.
    pub warnings: Vec<String>,
    /// At most [`JobNotes::MAX_LOG_LINES`] lines; later ones are dropped with a warning.
    pub plugin_logs: Vec<PluginLogLine>,
    /// Where the job's time went, measured by the workers.
    #[serde(default)]
    pub timings: JobTimings,
}

/// Milliseconds a job spent in each stage, summed over its detect and recognize tasks. Only the
/// attempt that completed a task counts (a killed or failed attempt's time shows up as queue
/// wait of the next one). Zero for stages not run yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct JobTimings {
    /// From the job becoming ready for a task (upload, end of detection, a re-queue) to a
    /// worker claiming it: queue depth, retry backoff and recovery after a crash.
    pub queue_wait_ms: u64,
    /// Decoding the document, detection pre/post-processing and the detector model.
    pub detection_ms: u64,
    /// Cropping the lines, the recognizer model and CTC decoding.
    pub recognition_ms: u64,
    /// Reading the tenant's pipeline and running its plugins.
    pub plugins_ms: u64,
    /// Object storage: reading the original, writing the result documents.
    pub storage_ms: u64,
}

impl JobTimings {
    /// Adds `elapsed` to a stage (saturating; rounded down to whole milliseconds).
    pub fn add(stage: &mut u64, elapsed: std::time::Duration) {
        *stage = stage.saturating_add(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    }

    /// The sum of all stages.
    pub fn total_ms(&self) -> u64 {
        [self.queue_wait_ms, self.detection_ms, self.recognition_ms, self.plugins_ms, self.storage_ms]
            .iter()
            .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

impl JobNotes {
    /// Log lines kept per job, so a chatty plugin cannot bloat job rows.
    pub const MAX_LOG_LINES: usize = 200;

    pub fn log(&mut self, line: PluginLogLine) {
        if self.plugin_logs.len() < Self::MAX_LOG_LINES {
            self.plugin_logs.push(line);
        } else if self.plugin_logs.len() == Self::MAX_LOG_LINES {
            let note = format!("plugin logs truncated at {} lines", Self::MAX_LOG_LINES);
            if !self.warnings.contains(&note) {
                self.warnings.push(note);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_parse_with_defaults_and_refuse_typos() {
        let p: Pipeline = serde_json::from_str(r#"{"filter_boxes":[{"plugin":"builtin.min-box-filter"}]}"#).unwrap();
        assert_eq!(p.filter_boxes[0].on_failure, FailurePolicy::Fail);
        assert!(p.normalize_text.is_empty());
        assert!(serde_json::from_str::<Pipeline>(r#"{"filter_box":[]}"#).is_err());
        let long = Pipeline { filter_boxes: vec![p.filter_boxes[0].clone(); 9], ..Default::default() };
        assert!(long.validate().unwrap_err().contains("at most 8"));
        let fields: Pipeline =
            serde_json::from_str(r#"{"extract_fields":[{"plugin":"builtin.receipt-fields"}]}"#).unwrap();
        assert_eq!(fields.extract_fields.len(), 1);
        let long = Pipeline { extract_fields: vec![fields.extract_fields[0].clone(); 9], ..Default::default() };
        assert!(long.validate().unwrap_err().contains("extract_fields has 9 plugins"));
        // A pipeline without the stage serializes as before.
        assert_eq!(serde_json::to_string(&Pipeline::default()).unwrap(), r#"{"filter_boxes":[],"normalize_text":[]}"#);
    }

    #[test]
    fn plugin_hooks_read_rows_stored_before_extract_fields() {
        let old: PluginHooks = serde_json::from_str(r#"{"filter_boxes":true,"normalize_text":false}"#).unwrap();
        assert!(old.implements("filter_boxes") && !old.implements("extract_fields"));
        assert_eq!(old.names(), vec!["filter_boxes"]);
    }

    #[test]
    fn job_logs_stop_at_the_cap_with_one_warning() {
        let mut notes = JobNotes::default();
        let line = PluginLogLine {
            plugin: "p".into(),
            hook: "filter_boxes".into(),
            page_index: 0,
            level: "info".into(),
            message: "m".into(),
        };
        for _ in 0..JobNotes::MAX_LOG_LINES + 5 {
            notes.log(line.clone());
        }
        assert_eq!(notes.plugin_logs.len(), JobNotes::MAX_LOG_LINES);
        assert_eq!(notes.warnings.len(), 1);
    }

    #[test]
    fn timings_add_up_per_stage_and_read_old_rows_without_them() {
        let mut t = JobTimings::default();
        JobTimings::add(&mut t.detection_ms, std::time::Duration::from_micros(1_500));
        JobTimings::add(&mut t.detection_ms, std::time::Duration::from_millis(2));
        JobTimings::add(&mut t.storage_ms, std::time::Duration::from_millis(7));
        assert_eq!((t.detection_ms, t.storage_ms, t.total_ms()), (3, 7, 10));
        let old: JobNotes = serde_json::from_str(r#"{"warnings":[],"plugin_logs":[]}"#).unwrap();
        assert_eq!(old.timings, JobTimings::default());
        let partial: JobTimings = serde_json::from_str(r#"{"queue_wait_ms":5}"#).unwrap();
        assert_eq!(partial.total_ms(), 5);
    }
}
