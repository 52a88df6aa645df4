//! The sweeper: repairs work the queue lost. Safe to run in any number of processes at once,
//! because every change it makes is a guarded update and duplicate messages are skipped.

use std::time::Duration;

use ocr_store::now_ms;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Backends;

/// Sweeper behaviour.
#[derive(Debug, Clone)]
pub struct Sweeper {
    /// How often it looks.
    pub interval: Duration,
    /// A waiting job whose message was sent longer ago than this is sent again (the message
    /// may have been lost: Redis restarted without persistence, or the sender crashed).
    pub requeue_after: Duration,
    /// Attempts after which a job whose worker keeps dying fails for good.
    pub max_attempts: i64,
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub requeued: usize,
    pub leases_recovered: usize,
    pub leases_failed: usize,
}

impl Sweeper {
    /// One pass: take back expired leases, then re-send work that waited too long.
    pub async fn sweep_once(&self, backends: &Backends) -> ocr_store::Result<SweepReport> {
        let (leases_recovered, leases_failed) = backends.db.expire_leases(self.max_attempts).await?;
        let sent_before = now_ms() - self.requeue_after.as_millis() as i64;
        let due = backends.db.jobs_to_requeue(sent_before, 200).await?;
        for task in &due {
            backends.queue.push(task.clone()).await?;
            backends.db.mark_enqueued(task.job_id, task.kind.states().0).await?;
        }
        let report = SweepReport { requeued: due.len(), leases_recovered, leases_failed };
        metrics::counter!("ocr_sweeper_requeued_total").increment(report.requeued as u64);
        metrics::counter!("ocr_sweeper_leases_recovered_total").increment(report.leases_recovered as u64);
        metrics::counter!("ocr_sweeper_leases_failed_total").increment(report.leases_failed as u64);
        if report != SweepReport::default() {
            info!(?report, "sweeper repaired work");
        }
        Ok(report)
    }

    /// Sweeps every `interval` until `shutdown` fires.
    pub async fn run(self, backends: Backends, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.sweep_once(&backends).await {
                warn!(error = %e, "sweep failed; trying again next interval");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}

impl Default for Sweeper {
    fn default() -> Self {
        Self { interval: Duration::from_secs(5), requeue_after: Duration::from_secs(60), max_attempts: 3 }
    }
}
