//! The database handle: the connection pool and the migrations compiled into the binary.
//!
//! Every repository (jobs in `db`, `reviews`, `webhooks`, `plugins`, `tenants`, `quotas`,
//! `admin`) adds its queries to [`Db`] in an `impl Db` block of its own and depends on this
//! module; this module depends on none of them.

use std::borrow::Cow;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Result;

/// Migrations compiled into the binary, in order. Never edit one that has shipped.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "jobs", include_str!("../../../migrations/0001_jobs.sql")),
    (2, "plugins", include_str!("../../../migrations/0002_plugins.sql")),
    (3, "tenants", include_str!("../../../migrations/0003_tenants.sql")),
    (4, "webhooks_retention", include_str!("../../../migrations/0004_webhooks_retention.sql")),
    (5, "job_timings", include_str!("../../../migrations/0005_job_timings.sql")),
    (6, "tenant_quotas", include_str!("../../../migrations/0006_tenant_quotas.sql")),
    (7, "review_loop", include_str!("../../../migrations/0007_review_loop.sql")),
];

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
}

impl Db {
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Connects to `postgres://…` or `sqlite://…` (a SQLite file is created if missing).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
            Cow::Owned(format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }))
        } else {
            Cow::Borrowed(url)
        };
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            // SQLite allows one writer; a single connection avoids "database is locked".
            .max_connections(if sqlite { 1 } else { max_connections })
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await?;
        Ok(Self { pool })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        let migrations = MIGRATIONS
            .iter()
            .map(|(v, desc, sql)| {
                Migration::new(
                    *v,
                    Cow::Borrowed(desc),
                    MigrationType::Simple,
                    sqlx::SqlSafeStr::into_sql_str(*sql),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations).run(&self.pool).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
