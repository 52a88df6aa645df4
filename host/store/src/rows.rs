//! The job row as stored, and the parsing of stored columns into domain types (ids, tenants,
//! statuses, JSON columns, whole job rows): one place that every repository module reading
//! rows uses (`db`, `reviews`, `webhooks`, `plugins`). Pure functions over rows; no queries.

use ocr_core::{DetectResult, JobError, JobId, JobNotes, JobOptions, JobStatus, OcrResult, TenantId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Error, Result};

/// A job as stored.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: JobId,
    pub tenant_id: TenantId,
    pub status: JobStatus,
    pub options: JobOptions,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub file_size: Option<i64>,
    pub page_count: Option<i64>,
    /// Only loaded by single-job reads, not by listings.
    pub detect_result: Option<DetectResult>,
    pub detect_revision: i64,
    /// Only loaded by single-job reads, not by listings.
    pub ocr_result: Option<OcrResult>,
    pub error: Option<JobError>,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    /// When the message for the waiting task was last sent.
    pub enqueued_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub uploaded_at: Option<i64>,
    pub detect_done_at: Option<i64>,
    pub done_at: Option<i64>,
    /// Warnings and plugin logs; only loaded by single-job reads.
    pub notes: JobNotes,
    /// The tenant's pipeline version the job last ran with (0: none was set).
    pub pipeline_version: Option<i64>,
    /// The boxes as the machine left them, once a reviewer edited them; only loaded by
    /// single-job reads.
    pub machine_detect: Option<DetectResult>,
    /// When a reviewer last changed the job's boxes or text.
    pub reviewed_at: Option<i64>,
}

/// The columns of a job listing: everything but the results and notes.
pub(crate) const SUMMARY_COLUMNS: &str = "id, tenant_id, status, options, file_key, file_name, content_type, file_size, \
     page_count, detect_revision, error_code, error_message, attempts, lease_owner, lease_expires_at, \
     created_at, updated_at, uploaded_at, detect_done_at, done_at, enqueued_at, pipeline_version, reviewed_at";

/// The columns of a single-job read.
pub(crate) fn full_columns() -> String {
    format!("{SUMMARY_COLUMNS}, detect_result, ocr_result, warnings, plugin_logs, timings, machine_detect")
}

pub(crate) fn parse_id(s: &str) -> Result<JobId> {
    s.parse().map_err(|_| Error::Corrupt(format!("bad job id {s:?}")))
}

pub(crate) fn parse_tenant(s: &str) -> Result<TenantId> {
    TenantId::parse(s).ok_or_else(|| Error::Corrupt(format!("bad tenant id {s:?}")))
}

pub(crate) fn parse_status(s: &str) -> Result<JobStatus> {
    JobStatus::parse(s).ok_or_else(|| Error::Corrupt(format!("unknown job status {s:?}")))
}

fn parse_json<T: serde::de::DeserializeOwned>(s: Option<String>, what: &str) -> Result<Option<T>> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| Error::Corrupt(format!("{what}: {e}")))).transpose()
}

pub(crate) fn parse_row(r: &AnyRow) -> Result<JobRow> {
    let tenant: String = r.try_get("tenant_id")?;
    let error_code: Option<String> = r.try_get("error_code")?;
    let error = match error_code {
        Some(code) => Some(JobError {
            code: serde_json::from_value(serde_json::Value::String(code.clone()))
                .map_err(|_| Error::Corrupt(format!("unknown error code {code:?}")))?,
            message: r.try_get::<Option<String>, _>("error_message")?.unwrap_or_default(),
        }),
        None => None,
    };
    // Result columns are absent from listings.
    let optional_text = |name: &str| -> Result<Option<String>> {
        match r.try_get::<Option<String>, _>(name) {
            Ok(v) => Ok(v),
            Err(sqlx::Error::ColumnNotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    };
    Ok(JobRow {
        id: parse_id(&r.try_get::<String, _>("id")?)?,
        tenant_id: parse_tenant(&tenant)?,
        status: parse_status(&r.try_get::<String, _>("status")?)?,
        options: parse_json(Some(r.try_get("options")?), "options")?.unwrap_or_default(),
        file_key: r.try_get("file_key")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        file_size: r.try_get("file_size")?,
        page_count: r.try_get("page_count")?,
        detect_result: parse_json(optional_text("detect_result")?, "detect_result")?,
        detect_revision: r.try_get("detect_revision")?,
        ocr_result: parse_json(optional_text("ocr_result")?, "ocr_result")?,
        error,
        attempts: r.try_get("attempts")?,
        lease_owner: r.try_get("lease_owner")?,
        lease_expires_at: r.try_get("lease_expires_at")?,
        enqueued_at: r.try_get("enqueued_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        uploaded_at: r.try_get("uploaded_at")?,
        detect_done_at: r.try_get("detect_done_at")?,
        done_at: r.try_get("done_at")?,
        notes: JobNotes {
            warnings: parse_json(optional_text("warnings")?, "warnings")?.unwrap_or_default(),
            plugin_logs: parse_json(optional_text("plugin_logs")?, "plugin_logs")?.unwrap_or_default(),
            timings: parse_json(optional_text("timings")?, "timings")?.unwrap_or_default(),
        },
        pipeline_version: r.try_get("pipeline_version")?,
        machine_detect: parse_json(optional_text("machine_detect")?, "machine_detect")?,
        reviewed_at: r.try_get("reviewed_at")?,
    })
}
