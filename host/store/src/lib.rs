//! Persistence of the OCR platform: the job repository, object storage and the work queue.
//!
//! Owns: the SQL (one portable dialect for PostgreSQL and SQLite through `sqlx::Any`), the
//! migrations compiled into the binary, object keys, and queue messages. The database is the
//! source of truth for job state; every transition is a guarded update so a duplicate or late
//! delivery changes nothing. The queue only delivers work: messages carry a job id and a task
//! kind, nothing a worker trusts beyond that.
//!
//! Must not read environment or config files (the server passes typed settings) and must not
//! know about HTTP. Async (tokio); no CPU-heavy work here.

pub mod admin;
pub mod db;
pub mod objects;
pub mod plugins;
pub mod pool;
pub mod queue;
pub mod quotas;
pub mod reviews;
pub mod rows;
pub mod tenants;
pub mod webhooks;

pub use admin::JobSummary;
pub use db::{EditOutcome, FileMeta};
pub use objects::{ObjectWriter, Objects, Patience, S3Settings};
pub use plugins::{PipelineVersion, PluginRow};
pub use pool::Db;
pub use queue::{Delivery, MemoryQueue, Queue, RedisQueue, Task};
pub use quotas::{Admission, Quota, QuotaExceeded, QuotaKind, QuotaOverride, Usage};
pub use reviews::{Quality, Review, ReviewSums};
pub use rows::JobRow;
pub use tenants::{KeyRow, TenantRow};
pub use webhooks::{AttemptOutcome, DeliveryRow, DueDelivery, TenantSettings};

/// Errors of the storage layer. Their messages are for logs, not for clients.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("object storage: {0}")]
    Objects(#[from] object_store::Error),
    #[error("queue: {0}")]
    Queue(#[from] redis::RedisError),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl Error {
    /// True when the object asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Objects(object_store::Error::NotFound { .. }))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch: the time unit of every stored timestamp.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
