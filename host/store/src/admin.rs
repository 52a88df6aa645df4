//! Operator views of the work: what runs where, what failed, and re-queuing failed jobs.

use ocr_core::{JobId, JobStatus, TaskKind};
use sqlx::Row;

use crate::pool::Db;
use crate::queue::Task;
use crate::{Result, now_ms};

/// A job as the operator's queue view shows it.
#[derive(Debug, Clone)]
pub struct JobSummary {
    pub id: String,
    pub tenant_id: String,
    pub status: String,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub updated_at: i64,
}

impl Db {
    /// Jobs in the given states, most recently changed first.
    pub async fn jobs_in(&self, states: &[JobStatus], limit: u32) -> Result<Vec<JobSummary>> {
        let mut out = Vec::new();
        for state in states {
            let rows = sqlx::query(
                "SELECT id, tenant_id, status, attempts, lease_owner, lease_expires_at, error_code, error_message, updated_at \
                 FROM jobs WHERE status = $1 ORDER BY updated_at DESC LIMIT $2",
            )
            .bind(state.as_str())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            for r in rows {
                out.push(JobSummary {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    lease_owner: r.try_get("lease_owner")?,
                    lease_expires_at: r.try_get("lease_expires_at")?,
                    error_code: r.try_get("error_code")?,
                    error_message: r.try_get("error_message")?,
                    updated_at: r.try_get("updated_at")?,
                });
            }
        }
        Ok(out)
    }

    /// Jobs per status, all tenants.
    pub async fn count_by_status(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }

    /// Puts a failed job back in line: recognition again when it has boxes, else detection.
    /// Returns the task to send, or `None` when the job is not `FAILED` (or has no file).
    pub async fn requeue_failed(&self, id: JobId) -> Result<Option<Task>> {
        let Some(job) = self.job_by_id(id).await? else { return Ok(None) };
        if job.status != JobStatus::Failed || job.file_key.is_none() {
            return Ok(None);
        }
        let kind = if job.detect_revision > 0 { TaskKind::Recognize } else { TaskKind::Detect };
        let to = kind.states().0;
        let now = now_ms();
        let q = sqlx::query(
            "UPDATE jobs SET status = $1, attempts = 0, error_code = NULL, error_message = NULL, not_before = NULL, \
             enqueued_at = $2, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(id.to_string())
        .bind(JobStatus::Failed.as_str());
        let task = Task { kind, job_id: id, tenant: job.tenant_id };
        Ok(self.transition(q, id, JobStatus::Failed, to, "operator").await?.then_some(task))
    }
}

impl Db {
    /// When the longest-waiting job in `status` last changed state (ms), if any waits.
    pub async fn oldest_in(&self, status: JobStatus) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(updated_at) AS t FROM jobs WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<Option<i64>, _>("t")?)
    }
}
