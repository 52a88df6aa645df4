//! Admission: what a tenant may have waiting (queued or running), in jobs and in bytes of
//! originals, enforced atomically.
//!
//! Each admission (an upload, a recognition run) locks its tenant's `tenant_quotas` row, counts
//! what waits and records the transition in one transaction. Concurrent admissions of one
//! tenant take turns on that row lock (PostgreSQL; SQLite has one writer anyway), and each
//! counts after the previous one committed, so the quota is never overshot.

use ocr_core::{JobId, JobStatus, TenantId};
use sqlx::Row;

use crate::db::FileMeta;
use crate::pool::Db;
use crate::{Result, now_ms};

/// The states that hold a place in the queue or on a worker.
const WAITING: &str = "('UPLOADED', 'DETECTING', 'OCR_QUEUED', 'RECOGNIZING')";

/// The limits that apply to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub max_waiting_jobs: i64,
    pub max_waiting_bytes: i64,
}

/// A tenant's own limits set by the operator; `None` takes the server default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaOverride {
    pub max_waiting_jobs: Option<i64>,
    pub max_waiting_bytes: Option<i64>,
}

impl QuotaOverride {
    pub fn over(self, defaults: Quota) -> Quota {
        Quota {
            max_waiting_jobs: self.max_waiting_jobs.unwrap_or(defaults.max_waiting_jobs),
            max_waiting_bytes: self.max_waiting_bytes.unwrap_or(defaults.max_waiting_bytes),
        }
    }
}

/// What a tenant has waiting now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub jobs: i64,
    pub bytes: i64,
}

/// Which quota refused an admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    WaitingJobs,
    WaitingBytes,
}

/// Why an admission was refused by a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub quota: QuotaKind,
    pub limit: i64,
    pub usage: Usage,
}

/// What became of an admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The job was not in the state the admission starts from (a racing request won).
    WrongState,
    OverQuota(QuotaExceeded),
}

impl Quota {
    /// Whether one more job of `bytes` fits beside `usage`.
    pub fn check(self, usage: Usage, bytes: i64) -> Result<(), QuotaExceeded> {
        if usage.jobs + 1 > self.max_waiting_jobs {
            return Err(QuotaExceeded { quota: QuotaKind::WaitingJobs, limit: self.max_waiting_jobs, usage });
        }
        if usage.bytes + bytes > self.max_waiting_bytes {
            return Err(QuotaExceeded { quota: QuotaKind::WaitingBytes, limit: self.max_waiting_bytes, usage });
        }
        Ok(())
    }
}

impl Db {
    /// The operator's limits for a tenant (all `None` when none were set).
    pub async fn quota_override(&self, tenant: &TenantId) -> Result<QuotaOverride> {
        let row = sqlx::query("SELECT max_waiting_jobs, max_waiting_bytes FROM tenant_quotas WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => QuotaOverride {
                max_waiting_jobs: r.try_get("max_waiting_jobs")?,
                max_waiting_bytes: r.try_get("max_waiting_bytes")?,
            },
            None => QuotaOverride::default(),
        })
    }

    /// Sets (or with `None`s, clears) a tenant's own limits.
    pub async fn set_quota_override(&self, tenant: &TenantId, o: QuotaOverride) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_quotas (tenant_id, max_waiting_jobs, max_waiting_bytes, locked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id) DO UPDATE SET max_waiting_jobs = $2, max_waiting_bytes = $3",
        )
        .bind(tenant.as_str())
        .bind(o.max_waiting_jobs)
        .bind(o.max_waiting_bytes)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// What the tenant has waiting now (not locked: for display and early refusals).
    pub async fn usage(&self, tenant: &TenantId) -> Result<Usage> {
        usage_in(self.pool(), tenant).await
    }

    /// Records the original and queues the job (`PENDING_UPLOAD` → `UPLOADED`) if the tenant's
    /// quota has room for it.
    pub async fn admit_upload(
        &self,
        tenant: &TenantId,
        id: JobId,
        file: &FileMeta,
        defaults: Quota,
    ) -> Result<Admission> {
        let now = now_ms();
        let update = sqlx::query(
            "UPDATE jobs SET status = $1, file_key = $2, file_name = $3, content_type = $4, file_size = $5, \
             uploaded_at = $6, updated_at = $6, enqueued_at = $6 WHERE id = $7 AND tenant_id = $8 AND status = $9",
        )
        .bind(JobStatus::Uploaded.as_str())
        .bind(file.key.as_str())
        .bind(file.name.as_deref())
        .bind(file.content_type.as_str())
        .bind(file.size)
        .bind(now)
        .bind(id.to_string())
        .bind(tenant.as_str())
        .bind(JobStatus::PendingUpload.as_str());
        self.admit(tenant, id, file.size, defaults, update, JobStatus::PendingUpload, JobStatus::Uploaded).await
    }

    /// `DETECT_DONE`/`DONE` → `OCR_QUEUED` if the tenant's quota has room for the job again.
    pub async fn admit_recognition(
        &self,
        tenant: &TenantId,
        id: JobId,
        from: JobStatus,
        file_size: i64,
        defaults: Quota,
    ) -> Result<Admission> {
        let now = now_ms();
        let update = sqlx::query(
            "UPDATE jobs SET status = $1, ocr_result = NULL, attempts = 0, error_code = NULL, error_message = NULL, \
             enqueued_at = $2, updated_at = $2 WHERE id = $3 AND tenant_id = $4 AND status = $5",
        )
        .bind(JobStatus::OcrQueued.as_str())
        .bind(now)
        .bind(id.to_string())
        .bind(tenant.as_str())
        .bind(from.as_str());
        self.admit(tenant, id, file_size, defaults, update, from, JobStatus::OcrQueued).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn admit<'q>(
        &self,
        tenant: &TenantId,
        id: JobId,
        bytes: i64,
        defaults: Quota,
        update: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        from: JobStatus,
        to: JobStatus,
    ) -> Result<Admission> {
        let mut tx = self.pool().begin().await?;
        // Taking the tenant's row lock: other admissions of this tenant wait here until commit.
        let row = sqlx::query(
            "INSERT INTO tenant_quotas (tenant_id, locked_at) VALUES ($1, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET locked_at = $2 RETURNING max_waiting_jobs, max_waiting_bytes",
        )
        .bind(tenant.as_str())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let quota = QuotaOverride {
            max_waiting_jobs: row.try_get("max_waiting_jobs")?,
            max_waiting_bytes: row.try_get("max_waiting_bytes")?,
        }
        .over(defaults);
        let usage = usage_in(&mut *tx, tenant).await?;
        if let Err(exceeded) = quota.check(usage, bytes) {
            tx.rollback().await?;
            return Ok(Admission::OverQuota(exceeded));
        }
        let admitted = self.transition_in(&mut tx, update, id, from, to, "api").await?;
        tx.commit().await?;
        Ok(if admitted { Admission::Admitted } else { Admission::WrongState })
    }
}

async fn usage_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(executor: E, tenant: &TenantId) -> Result<Usage> {
    let sql = format!(
        "SELECT COUNT(*) AS jobs, CAST(COALESCE(SUM(file_size), 0) AS BIGINT) AS bytes FROM jobs WHERE tenant_id = $1 AND status IN {WAITING}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_str()).fetch_one(executor).await?;
    Ok(Usage { jobs: row.try_get("jobs")?, bytes: row.try_get("bytes")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_refuses_the_job_that_would_pass_it_naming_which() {
        let q = Quota { max_waiting_jobs: 2, max_waiting_bytes: 100 };
        assert_eq!(q.check(Usage { jobs: 1, bytes: 50 }, 50), Ok(()));
        let e = q.check(Usage { jobs: 2, bytes: 0 }, 1).unwrap_err();
        assert_eq!((e.quota, e.limit), (QuotaKind::WaitingJobs, 2));
        let e = q.check(Usage { jobs: 0, bytes: 60 }, 41).unwrap_err();
        assert_eq!((e.quota, e.limit), (QuotaKind::WaitingBytes, 100));
        let own = QuotaOverride { max_waiting_jobs: Some(5), max_waiting_bytes: None };
        assert_eq!(own.over(q), Quota { max_waiting_jobs: 5, max_waiting_bytes: 100 });
    }
}
