//! The job repository. One portable SQL dialect runs on PostgreSQL and SQLite through
//! `sqlx::Any`; every state change is a guarded update that also appends a `job_events` row
//! in the same transaction, with the webhook outbox row it causes (`webhooks::enqueue_event`)
//! and, for reviewers' edits, the job's review figures (`reviews::save`). Rows are parsed by
//! `rows`; the pool and migrations are `pool`'s.

use std::time::Duration;

use ocr_core::{
    DetectResult, ErrorCode, JobError, JobId, JobNotes, JobOptions, JobStatus, OcrResult, TaskKind, TenantId,
};
use sqlx::Row;

use crate::pool::Db;
use crate::queue::Task;
use crate::reviews::Review;
use crate::rows::{JobRow, SUMMARY_COLUMNS, full_columns, parse_id, parse_row, parse_status, parse_tenant};
use crate::{Error, Result, now_ms};

/// Metadata of an uploaded original.
#[derive(Debug, Clone)]
pub struct FileMeta {
    pub key: String,
    pub name: Option<String>,
    pub content_type: String,
    pub size: i64,
}

/// What happened to a box edit.
#[derive(Debug)]
pub enum EditOutcome {
    Stored {
        revision: i64,
    },
    /// The stored revision is not the one the reviewer edited.
    RevisionMismatch {
        current: i64,
    },
    /// The job is not in a state that allows editing.
    WrongState(JobStatus),
    NotFound,
}

impl Db {
    /// Creates a job, or returns the existing one for the same idempotency key.
    /// The flag says whether a new job was created.
    pub async fn create_job(
        &self,
        tenant: &TenantId,
        options: &JobOptions,
        idempotency_key: Option<&str>,
    ) -> Result<(JobRow, bool)> {
        let id = JobId::now_v7();
        let now = now_ms();
        let options = serde_json::to_string(options).map_err(|e| Error::Corrupt(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT INTO jobs (id, tenant_id, status, options, idempotency_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(tenant.as_str())
        .bind(JobStatus::PendingUpload.as_str())
        .bind(options)
        .bind(idempotency_key)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1;
        let row = if inserted {
            self.job(tenant, id).await?
        } else {
            let sql = format!("SELECT {} FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2", full_columns());
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_str())
                .bind(idempotency_key)
                .fetch_optional(self.pool())
                .await?
                .map(|r| parse_row(&r))
                .transpose()?
        };
        let row = row.ok_or_else(|| Error::Corrupt("job vanished right after insert".into()))?;
        Ok((row, inserted))
    }

    /// One job of a tenant. Another tenant's job is `None`, exactly like a missing one.
    pub async fn job(&self, tenant: &TenantId, id: JobId) -> Result<Option<JobRow>> {
        let sql = format!("SELECT {} FROM jobs WHERE id = $1 AND tenant_id = $2", full_columns());
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(tenant.as_str())
            .fetch_optional(self.pool())
            .await?
            .map(|r| parse_row(&r))
            .transpose()
    }

    /// A job by id alone: only for workers, which got the id from the queue.
    pub async fn job_by_id(&self, id: JobId) -> Result<Option<JobRow>> {
        let sql = format!("SELECT {} FROM jobs WHERE id = $1", full_columns());
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?
            .map(|r| parse_row(&r))
            .transpose()
    }

    /// A tenant's jobs, newest first, after the cursor (the last id of the previous page).
    pub async fn list_jobs(
        &self,
        tenant: &TenantId,
        status: Option<JobStatus>,
        before: Option<JobId>,
        limit: u32,
    ) -> Result<Vec<JobRow>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM jobs WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) \
             AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .bind(status.map(|s| s.as_str()))
            .bind(before.map(|b| b.to_string()))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(parse_row)
            .collect()
    }

    /// Claims the task for a worker: waiting state → running state, with a lease.
    /// The message's tenant must be the job's: a message naming another tenant's job is skipped.
    pub async fn claim(&self, task: &Task, worker: &str, lease: Duration) -> Result<Option<JobRow>> {
        let (id, (waiting, running)) = (task.job_id, task.kind.states());
        let now = now_ms();
        let q = sqlx::query(
            "UPDATE jobs SET status = $1, lease_owner = $2, lease_expires_at = $3, attempts = attempts + 1, \
             updated_at = $4 WHERE id = $5 AND status = $6 AND tenant_id = $7 AND (not_before IS NULL OR not_before <= $4)",
        )
        .bind(running.as_str())
        .bind(worker)
        .bind(now + lease.as_millis() as i64)
        .bind(now)
        .bind(id.to_string())
        .bind(waiting.as_str())
        .bind(task.tenant.as_str());
        if self.transition(q, id, waiting, running, worker).await? { self.job_by_id(id).await } else { Ok(None) }
    }

    /// Extends a running task's lease. False when the worker no longer holds it.
    pub async fn heartbeat(&self, id: JobId, kind: TaskKind, worker: &str, lease: Duration) -> Result<bool> {
        let now = now_ms();
        let res =
            sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND status = $3 AND lease_owner = $4")
                .bind(now + lease.as_millis() as i64)
                .bind(id.to_string())
                .bind(kind.states().1.as_str())
                .bind(worker)
                .execute(self.pool())
                .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Stores the detect result: `DETECTING` → `DETECT_DONE`, or `OCR_QUEUED` with `auto_ocr`.
    pub async fn complete_detection(
        &self,
        id: JobId,
        worker: &str,
        result: &DetectResult,
        notes: &JobNotes,
        then_recognize: bool,
        pipeline_version: i64,
    ) -> Result<bool> {
        let now = now_ms();
        let to = if then_recognize { JobStatus::OcrQueued } else { JobStatus::DetectDone };
        let json = serde_json::to_string(result).map_err(|e| Error::Corrupt(e.to_string()))?;
        let q = sqlx::query(
            "UPDATE jobs SET status = $1, detect_result = $2, detect_revision = detect_revision + 1, page_count = $3, \
             attempts = 0, lease_owner = NULL, lease_expires_at = NULL, not_before = NULL, error_code = NULL, \
             error_message = NULL, detect_done_at = $4, updated_at = $4, enqueued_at = $4, warnings = $8, plugin_logs = $9, \
             timings = $10, pipeline_version = $11 WHERE id = $5 AND status = $6 AND lease_owner = $7",
        )
        .bind(to.as_str())
        .bind(json)
        .bind(result.pages.len() as i64)
        .bind(now)
        .bind(id.to_string())
        .bind(JobStatus::Detecting.as_str())
        .bind(worker)
        .bind(to_json(&notes.warnings)?)
        .bind(to_json(&notes.plugin_logs)?)
        .bind(to_json(&notes.timings)?)
        .bind(pipeline_version);
        self.transition(q, id, JobStatus::Detecting, to, worker).await
    }

    /// Stores the recognition result: `RECOGNIZING` → `DONE`.
    pub async fn complete_recognition(
        &self,
        id: JobId,
        worker: &str,
        result: &OcrResult,
        notes: &JobNotes,
        pipeline_version: i64,
    ) -> Result<bool> {
        let now = now_ms();
        let json = serde_json::to_string(result).map_err(|e| Error::Corrupt(e.to_string()))?;
        let q = sqlx::query(
            "UPDATE jobs SET status = $1, ocr_result = $2, attempts = 0, lease_owner = NULL, lease_expires_at = NULL, \
             not_before = NULL, error_code = NULL, error_message = NULL, done_at = $3, updated_at = $3, \
             warnings = $7, plugin_logs = $8, timings = $9, pipeline_version = $10 \
             WHERE id = $4 AND status = $5 AND lease_owner = $6",
        )
        .bind(JobStatus::Done.as_str())
        .bind(json)
        .bind(now)
        .bind(id.to_string())
        .bind(JobStatus::Recognizing.as_str())
        .bind(worker)
        .bind(to_json(&notes.warnings)?)
        .bind(to_json(&notes.plugin_logs)?)
        .bind(to_json(&notes.timings)?)
        .bind(pipeline_version);
        self.transition(q, id, JobStatus::Recognizing, JobStatus::Done, worker).await
    }

    /// Ends a running task that failed: back to its waiting state with a `not_before` when
    /// `retry_at` is given, else `FAILED` with the error.
    pub async fn fail_task(
        &self,
        id: JobId,
        kind: TaskKind,
        worker: &str,
        error: &JobError,
        retry_at: Option<i64>,
    ) -> Result<bool> {
        let (waiting, running) = kind.states();
        let now = now_ms();
        let to = if retry_at.is_some() { waiting } else { JobStatus::Failed };
        let q = sqlx::query(
            "UPDATE jobs SET status = $1, error_code = $2, error_message = $3, not_before = $4, lease_owner = NULL, \
             lease_expires_at = NULL, enqueued_at = NULL, updated_at = $5 WHERE id = $6 AND status = $7 AND lease_owner = $8",
        )
        .bind(to.as_str())
        .bind(error.code.as_str())
        .bind(error.message.as_str())
        .bind(retry_at)
        .bind(now)
        .bind(id.to_string())
        .bind(running.as_str())
        .bind(worker);
        self.transition(q, id, running, to, worker).await
    }

    /// Gives a running task back without counting the attempt (graceful shutdown).
    pub async fn release(&self, id: JobId, kind: TaskKind, worker: &str) -> Result<bool> {
        let (waiting, running) = kind.states();
        let q = sqlx::query(
            "UPDATE jobs SET status = $1, attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL, \
             enqueued_at = NULL, updated_at = $2 WHERE id = $3 AND status = $4 AND lease_owner = $5",
        )
        .bind(waiting.as_str())
        .bind(now_ms())
        .bind(id.to_string())
        .bind(running.as_str())
        .bind(worker);
        self.transition(q, id, running, waiting, worker).await
    }

    /// Replaces the boxes if the reviewer edited the current revision and the state allows it.
    /// The machine's boxes are kept (`machine_detect`) at the first edit, and the job's review
    /// figures are saved in the same transaction.
    pub async fn edit_boxes(
        &self,
        tenant: &TenantId,
        id: JobId,
        expected_revision: i64,
        result: &DetectResult,
        review: &Review,
    ) -> Result<EditOutcome> {
        let json = serde_json::to_string(result).map_err(|e| Error::Corrupt(e.to_string()))?;
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let res = sqlx::query(
            "UPDATE jobs SET machine_detect = COALESCE(machine_detect, detect_result), detect_result = $1, \
             detect_revision = detect_revision + 1, updated_at = $2, reviewed_at = $2 \
             WHERE id = $3 AND tenant_id = $4 AND detect_revision = $5 AND status IN ($6, $7)",
        )
        .bind(json)
        .bind(now)
        .bind(id.to_string())
        .bind(tenant.as_str())
        .bind(expected_revision)
        .bind(JobStatus::DetectDone.as_str())
        .bind(JobStatus::Done.as_str())
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 1 {
            crate::reviews::save(&mut tx, tenant, id, review, now).await?;
            tx.commit().await?;
            return Ok(EditOutcome::Stored { revision: expected_revision + 1 });
        }
        tx.rollback().await?;
        Ok(match self.job(tenant, id).await? {
            None => EditOutcome::NotFound,
            Some(job) if !job.status.boxes_editable() => EditOutcome::WrongState(job.status),
            Some(job) => EditOutcome::RevisionMismatch { current: job.detect_revision },
        })
    }

    // --- Reviewers' text corrections (PATCH …/result) ---------------------------------------

    /// Replaces the recognition result of a `DONE` job that has not changed since it was read
    /// (`updated_at` still `read_at`): a compare-and-swap, so concurrent corrections never
    /// overwrite each other unseen. False when the job changed or left `DONE` in between. The
    /// job's review figures are saved in the same transaction.
    pub async fn replace_result(
        &self,
        tenant: &TenantId,
        id: JobId,
        read_at: i64,
        result: &OcrResult,
        review: &Review,
    ) -> Result<bool> {
        let json = to_json(result)?;
        // Strictly later than the read, so a second swap from the same read can never match.
        let now = now_ms().max(read_at + 1);
        let mut tx = self.pool().begin().await?;
        let res = sqlx::query(
            "UPDATE jobs SET ocr_result = $1, updated_at = $2, reviewed_at = $2 \
             WHERE id = $3 AND tenant_id = $4 AND status = $5 AND updated_at = $6",
        )
        .bind(json)
        .bind(now)
        .bind(id.to_string())
        .bind(tenant.as_str())
        .bind(JobStatus::Done.as_str())
        .bind(read_at)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        crate::reviews::save(&mut tx, tenant, id, review, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a job row and its events. Returns whether it existed.
    pub async fn delete_job(&self, tenant: &TenantId, id: JobId) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let gone = sqlx::query("DELETE FROM jobs WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if gone {
            sqlx::query("DELETE FROM job_events WHERE job_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE job_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM job_reviews WHERE job_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Notes that a message for the job's waiting task was just sent.
    pub async fn mark_enqueued(&self, id: JobId, waiting: JobStatus) -> Result<()> {
        sqlx::query("UPDATE jobs SET enqueued_at = $1 WHERE id = $2 AND status = $3")
            .bind(now_ms())
            .bind(id.to_string())
            .bind(waiting.as_str())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Waiting jobs whose message may be lost: never sent, or sent before `sent_before`, and
    /// past their retry backoff. At most `limit`, oldest first.
    pub async fn jobs_to_requeue(&self, sent_before: i64, limit: u32) -> Result<Vec<Task>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, status FROM jobs WHERE status IN ($1, $2) AND (enqueued_at IS NULL OR enqueued_at < $3) \
             AND (not_before IS NULL OR not_before <= $4) ORDER BY updated_at LIMIT $5",
        )
        .bind(JobStatus::Uploaded.as_str())
        .bind(JobStatus::OcrQueued.as_str())
        .bind(sent_before)
        .bind(now_ms())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id = parse_id(&r.try_get::<String, _>("id")?)?;
                let status = parse_status(&r.try_get::<String, _>("status")?)?;
                let kind = status.pending_task().ok_or_else(|| Error::Corrupt("not a waiting state".into()))?;
                Ok(Task { kind, job_id: id, tenant: parse_tenant(&r.try_get::<String, _>("tenant_id")?)? })
            })
            .collect()
    }

    /// Running tasks whose lease ran out (their worker died or hangs): back to waiting, or
    /// `FAILED` after `max_attempts`. Returns how many were recovered and how many failed.
    pub async fn expire_leases(&self, max_attempts: i64) -> Result<(usize, usize)> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT id, status, attempts, lease_owner FROM jobs WHERE status IN ($1, $2) AND lease_expires_at < $3",
        )
        .bind(JobStatus::Detecting.as_str())
        .bind(JobStatus::Recognizing.as_str())
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        let (mut requeued, mut failed) = (0, 0);
        for r in rows {
            let id = parse_id(&r.try_get::<String, _>("id")?)?;
            let status = parse_status(&r.try_get::<String, _>("status")?)?;
            let attempts: i64 = r.try_get("attempts")?;
            let owner: Option<String> = r.try_get("lease_owner")?;
            let kind = if status == JobStatus::Detecting { TaskKind::Detect } else { TaskKind::Recognize };
            let (waiting, running) = kind.states();
            let give_up = attempts >= max_attempts;
            let to = if give_up { JobStatus::Failed } else { waiting };
            let q = sqlx::query(
                "UPDATE jobs SET status = $1, lease_owner = NULL, lease_expires_at = NULL, enqueued_at = NULL, \
                 error_code = $2, error_message = $3, updated_at = $4 \
                 WHERE id = $5 AND status = $6 AND lease_expires_at < $4 AND lease_owner = $7",
            )
            .bind(to.as_str())
            .bind(ErrorCode::LeaseExpired.as_str())
            .bind(format!("the worker running this job stopped answering (attempt {attempts})"))
            .bind(now)
            .bind(id.to_string())
            .bind(running.as_str())
            .bind(owner);
            if self.transition(q, id, running, to, "sweeper").await? {
                if give_up { failed += 1 } else { requeued += 1 }
            }
        }
        Ok((requeued, failed))
    }

    /// Jobs whose row changed at or after `since` (ms), oldest change first, at most `limit`:
    /// the change feed that long polls and event streams read. `(id, status, updated_at)`.
    pub async fn changed_since(&self, since: i64, limit: u32) -> Result<Vec<(JobId, JobStatus, i64)>> {
        let rows =
            sqlx::query("SELECT id, status, updated_at FROM jobs WHERE updated_at >= $1 ORDER BY updated_at LIMIT $2")
                .bind(since)
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id(&r.try_get::<String, _>("id")?)?,
                    parse_status(&r.try_get::<String, _>("status")?)?,
                    r.try_get("updated_at")?,
                ))
            })
            .collect()
    }

    /// The state transitions recorded for a job, oldest first: `(from, to, actor)`.
    pub async fn events(&self, id: JobId) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT from_status, to_status, actor FROM job_events WHERE job_id = $1 ORDER BY at")
            .bind(id.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("from_status")?, r.try_get("to_status")?, r.try_get("actor")?))).collect()
    }

    /// Runs a guarded update and, when it changed the row, records the transition.
    pub(crate) async fn transition<'q>(
        &self,
        update: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        id: JobId,
        from: JobStatus,
        to: JobStatus,
        actor: &str,
    ) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let changed = self.transition_in(&mut tx, update, id, from, to, actor).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// [`Db::transition`] inside the caller's transaction.
    pub(crate) async fn transition_in<'q>(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        update: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        id: JobId,
        from: JobStatus,
        to: JobStatus,
        actor: &str,
    ) -> Result<bool> {
        let changed = update.execute(&mut **tx).await?.rows_affected() == 1;
        if changed {
            sqlx::query(
                "INSERT INTO job_events (job_id, at, from_status, to_status, actor) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(now_ms())
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(actor)
            .execute(&mut **tx)
            .await?;
            crate::webhooks::enqueue_event(tx, id, to).await?;
        }
        Ok(changed)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt(e.to_string()))
}
