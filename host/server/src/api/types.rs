//! Wire types of the REST API (requests and responses), with their OpenAPI schemas.

use ocr_core::plugin::JobTimings;
use ocr_core::{DetectPage, DetectResult, JobError, JobOptions, JobStatus, OcrResult, PluginLogLine};
use ocr_store::JobRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Answer of create, upload and run-ocr.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobAccepted {
    pub job_id: String,
    pub status: JobStatus,
}

/// The uploaded original.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    /// The name the client sent (informational; never used as a storage key).
    pub name: Option<String>,
    /// Detected from the file's bytes.
    pub content_type: Option<String>,
    pub size: Option<i64>,
}

/// A job with its results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    pub job_id: String,
    pub status: JobStatus,
    pub options: JobOptions,
    pub created_at: String,
    pub updated_at: String,
    pub uploaded_at: Option<String>,
    pub detect_done_at: Option<String>,
    pub done_at: Option<String>,
    /// Runs of the current task so far.
    pub attempts: i64,
    /// Why the job failed (or why the last attempt failed, while a retry waits).
    pub error: Option<JobError>,
    pub file: Option<FileInfo>,
    pub page_count: Option<i64>,
    /// The tenant's pipeline version the job last ran with (0: none was set; absent before it ran).
    pub pipeline_version: Option<i64>,
    /// When a reviewer last changed the job's boxes or text.
    pub reviewed_at: Option<String>,
    /// Revision of the boxes; the detect endpoint's ETag.
    pub detect_revision: i64,
    /// E.g. tenant plugins skipped after a failure (policy `skip`).
    pub warnings: Vec<String>,
    /// What the tenant's plugins logged (at most 200 lines).
    pub plugin_logs: Vec<PluginLogLine>,
    /// Milliseconds per stage (queue wait, detection, recognition, plugins, storage), measured
    /// by the workers for the attempts that completed (all zero in job listings).
    pub timings: JobTimings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detect_result: Option<DetectResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr_result: Option<OcrResult>,
}

/// A page of the tenant's jobs (without results).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The boxes of a job, as served and as sent back by a reviewer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DetectView {
    pub job_id: String,
    /// Bumps on every stored change; also sent as the `ETag` header (`"<revision>"`).
    pub revision: i64,
    pub pages: Vec<DetectPage>,
}

/// A reviewer's edit: pages named here replace the stored ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectEdit {
    /// Optional; when given it must be this job's id.
    pub job_id: Option<String>,
    pub pages: Vec<DetectPage>,
}

/// `/ready`: each dependency and whether it answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    pub ready: bool,
    /// `ok`, or what is wrong, per dependency (database, queue, objects, models).
    pub checks: std::collections::BTreeMap<String, String>,
}

pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

impl JobView {
    pub fn from_row(job: JobRow, with_results: bool) -> Self {
        Self {
            job_id: job.id.to_string(),
            status: job.status,
            options: job.options,
            created_at: rfc3339(job.created_at),
            updated_at: rfc3339(job.updated_at),
            uploaded_at: job.uploaded_at.map(rfc3339),
            detect_done_at: job.detect_done_at.map(rfc3339),
            done_at: job.done_at.map(rfc3339),
            attempts: job.attempts,
            error: job.error,
            file: job.file_key.is_some().then_some(FileInfo {
                name: job.file_name,
                content_type: job.content_type,
                size: job.file_size,
            }),
            page_count: job.page_count,
            pipeline_version: job.pipeline_version,
            reviewed_at: job.reviewed_at.map(rfc3339),
            detect_revision: job.detect_revision,
            warnings: job.notes.warnings,
            plugin_logs: job.notes.plugin_logs,
            timings: job.notes.timings,
            detect_result: if with_results { job.detect_result } else { None },
            ocr_result: if with_results { job.ocr_result } else { None },
        }
    }
}
