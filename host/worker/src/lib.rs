//! The OCR job pipeline and its repair loop.
//!
//! Owns: the worker loop (pop a task → claim the job in the database with a lease → run
//! detection or recognition off the async runtime → store the result object and the guarded
//! state transition → acknowledge), retries with backoff, graceful shutdown, and the sweeper
//! that re-sends work whose message was lost and takes back leases of dead workers; and the
//! replay of a candidate plugin pipeline on what jobs stored.
//!
//! Trusts only the database: the queue message names a job id, and tenant, object keys and
//! options are read from the job row. Must not know about HTTP or read configuration itself.
//! Async (tokio); CPU-bound inference runs in `spawn_blocking` with the tracing span carried.

pub mod pipeline;
pub mod plugins;
pub mod replay;
pub mod retention;
pub mod sweeper;

use std::sync::Arc;
use std::time::Duration;

use ocr_store::{Db, Objects, Queue};

pub use pipeline::{NativeOcr, Ocr, Worker};
pub use plugins::{PluginInfo, Plugins};
pub use retention::Retention;
pub use sweeper::Sweeper;

/// The backends a worker, the sweeper and the API share.
#[derive(Clone)]
pub struct Backends {
    pub db: Db,
    pub objects: Objects,
    pub queue: Arc<dyn Queue>,
}

/// Worker behaviour. Every field has a sane default.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Identifies this worker in leases and logs (host name + pid + a counter by default).
    pub id: String,
    /// How long a claimed task stays ours without a heartbeat. A dead worker's job is retried
    /// after about this long.
    pub lease: Duration,
    /// How often the lease is renewed while a task runs.
    pub heartbeat: Duration,
    /// Runs of one task before the job fails for good.
    pub max_attempts: i64,
    /// Backoff before the first retry; doubles with each attempt.
    pub retry_backoff: Duration,
    /// How long one queue read blocks.
    pub poll_wait: Duration,
    /// On SIGTERM, how long a running task may take to finish before its lease is released.
    pub shutdown_grace: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            id: default_worker_id(),
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(10),
            max_attempts: 3,
            retry_backoff: Duration::from_secs(2),
            poll_wait: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// `host-pid-random`: unique across processes and restarts.
pub fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".into());
    let nonce =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{host}-{}-{:08x}", std::process::id(), nonce)
}
