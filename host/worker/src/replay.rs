//! Replays a candidate pipeline on what jobs stored, before it goes live: its `filter_boxes`
//! chain runs on the detector's boxes, its `normalize_text` chain on the recognizer's lines and
//! its `extract_fields` chain on the lines that gives with the stored page structure, in the
//! production sandbox and limits, and the report says what would change against what the live
//! pipeline produced (boxes, lines, fields). No model runs and nothing is written: boxes a candidate drops
//! are counted, not read again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ocr_core::{DetectResult, FailurePolicy, Field, OcrResult, PipelineStep};
use ocr_plugin_host::{Plugin, PluginError, PluginHost};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What one job stored, as replay reads it (also the file format of `plugin replay --jobs-from`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplayInput {
    pub job_id: String,
    #[serde(default)]
    pub file_name: Option<String>,
    /// The pipeline version the job ran with.
    #[serde(default)]
    pub pipeline_version: Option<i64>,
    /// The detector's boxes, before any plugin (absent when the job ran no `filter_boxes`
    /// plugin: then they are `boxes_live`).
    #[serde(default)]
    pub boxes_model: Option<DetectResult>,
    /// The boxes as the live pipeline left them, before review.
    #[serde(default)]
    pub boxes_live: Option<DetectResult>,
    /// The recognizer's lines, before any plugin (absent when the job ran no `normalize_text`
    /// plugin: then they are `lines_live`).
    #[serde(default)]
    pub lines_model: Option<OcrResult>,
    /// The lines as the live pipeline left them, before review (reviewers' corrections undone),
    /// with their page structure and the live pipeline's `fields`.
    #[serde(default)]
    pub lines_live: Option<OcrResult>,
}

/// A candidate's step with its plugin loaded.
#[derive(Clone)]
pub struct ResolvedStep {
    pub step: PipelineStep,
    pub plugin: Arc<Plugin>,
}

/// A candidate pipeline, ready to run.
#[derive(Clone, Default)]
pub struct Candidate {
    pub filter_boxes: Vec<ResolvedStep>,
    pub normalize_text: Vec<ResolvedStep>,
    pub extract_fields: Vec<ResolvedStep>,
}

/// One line the candidate reads differently from the live pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LineDiff {
    pub page_index: u32,
    pub line_index: u32,
    /// The live pipeline's text.
    pub before: String,
    /// The candidate's text.
    pub after: String,
}

/// A field the candidate finds differently from the live pipeline: the `n`-th field named
/// `name` (fields are matched by name, then by order among those of the same name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldDiff {
    pub name: String,
    /// 0 for the first field of that name, 1 for the second, …
    pub n: u32,
    /// The live pipeline's field; absent when only the candidate finds it.
    pub before: Option<FieldValue>,
    /// The candidate's field; absent when the candidate no longer finds it.
    pub after: Option<FieldValue>,
}

/// A field's value in a [`FieldDiff`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldValue {
    pub value: String,
    pub normalized: Option<String>,
    pub page_index: u32,
}

/// A plugin call that failed during replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReplayError {
    /// `filter_boxes`, `normalize_text` or `extract_fields`.
    pub hook: String,
    pub plugin: String,
    pub page_index: u32,
    pub code: ocr_core::ErrorCode,
    pub message: String,
    /// The step's policy is `fail`: a job would fail here.
    pub job_fails: bool,
}

/// What the candidate does to one job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobReplay {
    pub job_id: String,
    pub file_name: Option<String>,
    pub pipeline_version: Option<i64>,
    /// Boxes the detector found (the candidate's input).
    pub boxes_input: u64,
    /// Boxes the live pipeline kept.
    pub boxes_live: u64,
    /// Boxes the candidate keeps.
    pub boxes_kept: u64,
    /// `boxes_input - boxes_kept`.
    pub boxes_dropped: u64,
    pub lines: u64,
    pub lines_changed: u64,
    /// Changed lines, in reading order.
    pub diff: Vec<LineDiff>,
    /// Fields the candidate finds (0 when it has no `extract_fields` step).
    pub fields: u64,
    /// Fields added, removed or changed against the live pipeline's.
    pub fields_changed: u64,
    /// Those fields, by name (only when the candidate has `extract_fields` steps).
    pub field_diff: Vec<FieldDiff>,
    pub errors: Vec<ReplayError>,
    /// Time in plugin calls, in milliseconds.
    pub elapsed_ms: f64,
    pub fuel_used: u64,
}

/// Sums over the replayed jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReplayTotal {
    pub jobs: u64,
    pub boxes_input: u64,
    pub boxes_live: u64,
    pub boxes_kept: u64,
    pub boxes_dropped: u64,
    pub lines: u64,
    pub lines_changed: u64,
    pub fields: u64,
    pub fields_changed: u64,
    /// Failed plugin calls by error code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Jobs that would fail (a `fail`-policy step failed).
    pub jobs_failing: u64,
    pub elapsed_ms: f64,
    pub fuel_used: u64,
}

impl ReplayTotal {
    pub fn of(jobs: &[JobReplay]) -> Self {
        let mut t = Self { jobs: jobs.len() as u64, ..Self::default() };
        for j in jobs {
            t.boxes_input += j.boxes_input;
            t.boxes_live += j.boxes_live;
            t.boxes_kept += j.boxes_kept;
            t.boxes_dropped += j.boxes_dropped;
            t.lines += j.lines;
            t.lines_changed += j.lines_changed;
            t.fields += j.fields;
            t.fields_changed += j.fields_changed;
            for e in &j.errors {
                *t.errors_by_code.entry(e.code.as_str().to_owned()).or_default() += 1;
            }
            t.jobs_failing += u64::from(j.errors.iter().any(|e| e.job_fails));
            t.elapsed_ms += j.elapsed_ms;
            t.fuel_used += j.fuel_used;
        }
        t
    }
}

/// Runs `candidate` on one job's stored stages (blocking: call it off the async runtime).
/// A failing step is handled as in production: `skip` leaves the page as it was and skips the
/// step for the job's later pages, `fail` stops the hook's chain (the job would fail).
pub fn replay_job(host: &PluginHost, candidate: &Candidate, input: &ReplayInput) -> JobReplay {
    let mut out = JobReplay {
        job_id: input.job_id.clone(),
        file_name: input.file_name.clone(),
        pipeline_version: input.pipeline_version,
        ..JobReplay::default()
    };
    let mut spent = Duration::ZERO;
    let mut account = |out: &mut JobReplay, elapsed: Duration, fuel: u64| {
        spent += elapsed;
        out.fuel_used += fuel;
    };

    if let Some(live) = &input.boxes_live {
        out.boxes_live = live.box_count() as u64;
    }
    if let Some(model) = input.boxes_model.as_ref().or(input.boxes_live.as_ref()) {
        let mut boxes = model.clone();
        out.boxes_input = boxes.box_count() as u64;
        'steps: for s in &candidate.filter_boxes {
            for page in boxes.pages.iter_mut() {
                match host.filter_boxes(&s.plugin, &s.step.config, page) {
                    Ok(r) => {
                        account(&mut out, r.elapsed, r.fuel_used);
                        page.boxes = r.output;
                    }
                    Err(e) => {
                        let fails = failed(&mut out, s, "filter_boxes", page.page_index, &e);
                        if fails {
                            break 'steps;
                        }
                        break;
                    }
                }
            }
        }
        out.boxes_kept = boxes.box_count() as u64;
        out.boxes_dropped = out.boxes_input.saturating_sub(out.boxes_kept);
    }

    if let Some(model) = input.lines_model.as_ref().or(input.lines_live.as_ref()) {
        let mut lines = model.clone();
        'steps: for s in &candidate.normalize_text {
            for page in lines.pages.iter_mut() {
                match host.normalize_text(&s.plugin, &s.step.config, page) {
                    Ok(r) => {
                        account(&mut out, r.elapsed, r.fuel_used);
                        page.lines = r.output;
                        page.text = page.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
                    }
                    Err(e) => {
                        let fails = failed(&mut out, s, "normalize_text", page.page_index, &e);
                        if fails {
                            break 'steps;
                        }
                        break;
                    }
                }
            }
        }
        let live = input.lines_live.as_ref().unwrap_or(model);
        if !candidate.extract_fields.is_empty() {
            // The structure of the candidate's own lines, as the worker would compute it after
            // the candidate's `normalize_text` chain.
            ocr_layout::annotate(&mut lines);
            let mut fields = Vec::new();
            for s in &candidate.extract_fields {
                match host.extract_fields(&s.plugin, &s.step.config, &lines) {
                    Ok(r) => {
                        account(&mut out, r.elapsed, r.fuel_used);
                        fields.extend(r.output);
                    }
                    Err(e) => {
                        let page_index = lines.pages.first().map_or(0, |p| p.page_index);
                        if failed(&mut out, s, "extract_fields", page_index, &e) {
                            break;
                        }
                    }
                }
            }
            out.fields = fields.len() as u64;
            out.field_diff = field_diff(&live.fields, &fields);
            out.fields_changed = out.field_diff.len() as u64;
        }
        for page in &lines.pages {
            let before = live.pages.iter().find(|p| p.page_index == page.page_index);
            for (i, line) in page.lines.iter().enumerate() {
                out.lines += 1;
                let was = before.and_then(|p| p.lines.get(i)).map_or("", |l| l.text.as_str());
                if was != line.text {
                    out.lines_changed += 1;
                    out.diff.push(LineDiff {
                        page_index: page.page_index,
                        line_index: i as u32,
                        before: was.to_owned(),
                        after: line.text.clone(),
                    });
                }
            }
        }
    }
    out.elapsed_ms = spent.as_secs_f64() * 1e3;
    out
}

/// The fields that differ between `live` and `candidate`, matched by name and order within a name.
fn field_diff(live: &[Field], candidate: &[Field]) -> Vec<FieldDiff> {
    let mut names: Vec<&str> = live.iter().chain(candidate).map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let value =
        |f: &Field| FieldValue { value: f.value.clone(), normalized: f.normalized.clone(), page_index: f.page_index };
    let mut diff = Vec::new();
    for name in names {
        let before: Vec<_> = live.iter().filter(|f| f.name == name).map(value).collect();
        let after: Vec<_> = candidate.iter().filter(|f| f.name == name).map(value).collect();
        for n in 0..before.len().max(after.len()) {
            let (b, a) = (before.get(n).cloned(), after.get(n).cloned());
            if b != a {
                diff.push(FieldDiff { name: name.to_owned(), n: n as u32, before: b, after: a });
            }
        }
    }
    diff
}

/// Records a failed call; true when the step's policy makes the job fail.
fn failed(out: &mut JobReplay, s: &ResolvedStep, hook: &str, page_index: u32, e: &PluginError) -> bool {
    let job_fails = s.step.on_failure == FailurePolicy::Fail;
    out.errors.push(ReplayError {
        hook: hook.to_owned(),
        plugin: s.step.plugin.clone(),
        page_index,
        code: e.code(),
        message: e.to_string(),
        job_fails,
    });
    job_fails
}

/// The lines as the machine read them: reviewers' corrections replaced by `machine_text`, and
/// fields' by `machine_value`.
pub fn machine_lines(result: &OcrResult) -> OcrResult {
    let mut r = result.clone();
    for field in &mut r.fields {
        if let Some(m) = field.machine_value.take() {
            field.value = m;
        }
    }
    for page in &mut r.pages {
        for line in &mut page.lines {
            if let Some(m) = line.machine_text.take() {
                line.text = m;
            }
        }
    }
    r.rebuild_text();
    r
}

/// What `job` stored, read for replay: the stage outputs before plugins when the job ran any,
/// and the live pipeline's output (from the job row, reviewers' changes undone).
pub async fn stored_input(backends: &crate::Backends, job: &ocr_store::JobRow) -> ocr_store::Result<ReplayInput> {
    use ocr_store::objects::keys;
    async fn optional<T: serde::de::DeserializeOwned>(
        backends: &crate::Backends,
        key: &str,
    ) -> ocr_store::Result<Option<T>> {
        match backends.objects.get(key).await {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|e| ocr_store::Error::Corrupt(format!("{key}: {e}")))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
    Ok(ReplayInput {
        job_id: job.id.to_string(),
        file_name: job.file_name.clone(),
        pipeline_version: job.pipeline_version,
        boxes_model: optional(backends, &keys::model_detect(&job.tenant_id, job.id)).await?,
        boxes_live: job.machine_detect.clone().or_else(|| job.detect_result.clone()),
        lines_model: optional(backends, &keys::model_result(&job.tenant_id, job.id)).await?,
        lines_live: job.ocr_result.as_ref().map(machine_lines),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, value: &str) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            normalized: None,
            confidence: 0.9,
            page_index: 0,
            line_ids: vec![0],
            machine_value: None,
        }
    }

    #[test]
    fn field_diff_reports_added_removed_and_changed_fields_by_name() {
        let live = [field("total", "65.000"), field("date", "12/03/2024"), field("item", "a")];
        let candidate =
            [field("date", "12/03/2024"), field("total", "65.000đ"), field("item", "a"), field("item", "b")];
        let diff = field_diff(&live, &candidate);
        let names: Vec<_> = diff.iter().map(|d| (d.name.as_str(), d.n)).collect();
        assert_eq!(names, vec![("item", 1), ("total", 0)]);
        assert_eq!(diff[0].before, None);
        assert_eq!(diff[1].after.as_ref().map(|v| v.value.as_str()), Some("65.000đ"));
        assert!(field_diff(&live, &live).is_empty());
        assert_eq!(field_diff(&live, &[]).len(), 3);
    }

    #[test]
    fn machine_lines_undo_a_reviewers_field_correction() {
        let fields = vec![Field { machine_value: Some("65.000".into()), ..field("total", "66.000") }];
        let result = OcrResult { fields, ..OcrResult::default() };
        assert_eq!(machine_lines(&result).fields[0].value, "65.000");
    }
}
