//! Retention: deletes jobs, with their originals and results, once they are older than their
//! tenant's retention period. Safe to run in any number of processes: deleting twice is a no-op.

use std::time::Duration;

use ocr_store::objects::keys;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Backends;

/// Retention behaviour.
#[derive(Debug, Clone)]
pub struct Retention {
    /// Days a job is kept after its last change, for tenants that set none.
    pub default_days: i64,
    /// How often expired jobs are looked for.
    pub interval: Duration,
}

impl Retention {
    /// One pass: deletes up to 500 expired jobs (objects first, then the row, so nothing is
    /// left without its row). Returns how many were deleted.
    pub async fn purge_once(&self, backends: &Backends) -> ocr_store::Result<usize> {
        let expired = backends.db.expired_jobs(self.default_days, 500).await?;
        let mut deleted = 0;
        for (tenant, job) in expired {
            backends.objects.delete_prefix(&keys::job_prefix(&tenant, job)).await?;
            if backends.db.delete_job(&tenant, job).await? {
                deleted += 1;
            }
        }
        metrics::counter!("ocr_retention_deleted_total").increment(deleted as u64);
        if deleted > 0 {
            info!(deleted, "retention deleted expired jobs");
        }
        Ok(deleted)
    }

    /// Purges every `interval` until `shutdown` fires.
    pub async fn run(self, backends: Backends, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.purge_once(&backends).await {
                warn!(error = %e, "retention pass failed; trying again next interval");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}
