//! Tenant plugins and versioned pipelines in the database. Component bytes live in object storage.

use ocr_core::{Pipeline, PluginHooks, TenantId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::pool::Db;
use crate::{Error, Result, now_ms};

/// A stored plugin.
#[derive(Debug, Clone)]
pub struct PluginRow {
    pub id: String,
    pub tenant_id: TenantId,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub object_key: String,
    pub size: i64,
    /// The hooks it exports (stored as JSON; rows from before `extract_fields` read it false).
    pub hooks: PluginHooks,
    pub created_at: i64,
}

const COLUMNS: &str = "id, tenant_id, name, version, sha256, object_key, size, hooks, created_at";

fn parse(r: &AnyRow) -> Result<PluginRow> {
    let tenant: String = r.try_get("tenant_id")?;
    let hooks: String = r.try_get("hooks")?;
    let hooks: PluginHooks = serde_json::from_str(&hooks).map_err(|e| Error::Corrupt(format!("plugin hooks: {e}")))?;
    Ok(PluginRow {
        id: r.try_get("id")?,
        tenant_id: crate::rows::parse_tenant(&tenant)?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        sha256: r.try_get("sha256")?,
        object_key: r.try_get("object_key")?,
        size: r.try_get("size")?,
        hooks,
        created_at: r.try_get("created_at")?,
    })
}

impl Db {
    /// Stores a plugin's metadata. False when the tenant already has this name and version.
    pub async fn insert_plugin(&self, p: &PluginRow) -> Result<bool> {
        let hooks = serde_json::to_string(&p.hooks).map_err(|e| Error::Corrupt(format!("plugin hooks: {e}")))?;
        let res = sqlx::query(
            "INSERT INTO plugins (id, tenant_id, name, version, sha256, object_key, size, hooks, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, name, version) DO NOTHING",
        )
        .bind(p.id.as_str())
        .bind(p.tenant_id.as_str())
        .bind(p.name.as_str())
        .bind(p.version.as_str())
        .bind(p.sha256.as_str())
        .bind(p.object_key.as_str())
        .bind(p.size)
        .bind(hooks)
        .bind(p.created_at)
        .execute(self.pool())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// One of the tenant's plugins; another tenant's is `None`, like a missing one.
    pub async fn plugin(&self, tenant: &TenantId, id: &str) -> Result<Option<PluginRow>> {
        let sql = format!("SELECT {COLUMNS} FROM plugins WHERE id = $1 AND tenant_id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(tenant.as_str())
            .fetch_optional(self.pool())
            .await?
            .map(|r| parse(&r))
            .transpose()
    }

    pub async fn list_plugins(&self, tenant: &TenantId) -> Result<Vec<PluginRow>> {
        let sql = format!("SELECT {COLUMNS} FROM plugins WHERE tenant_id = $1 ORDER BY name, created_at");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_str())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(parse)
            .collect()
    }

    pub async fn delete_plugin(&self, tenant: &TenantId, id: &str) -> Result<bool> {
        let res = sqlx::query("DELETE FROM plugins WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant.as_str())
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// The tenant's live pipeline and its version (version 0, empty, when never set).
    pub async fn pipeline(&self, tenant: &TenantId) -> Result<(i64, Pipeline)> {
        let row = sqlx::query("SELECT pipeline, version FROM pipelines WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(self.pool())
            .await?;
        match row {
            None => Ok((0, Pipeline::default())),
            Some(r) => Ok((r.try_get("version")?, parse_pipeline(&r.try_get::<String, _>("pipeline")?)?)),
        }
    }

    /// Makes `pipeline` live as the tenant's next version and keeps it in the history; `source`
    /// says where it came from (`put`, `rollback:N`). Returns the new version. Concurrent calls
    /// get consecutive versions: the upsert locks the tenant's row until the commit.
    pub async fn put_pipeline(&self, tenant: &TenantId, pipeline: &Pipeline, source: &str) -> Result<PipelineVersion> {
        let json = serde_json::to_string(pipeline).map_err(|e| Error::Corrupt(e.to_string()))?;
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let version: i64 = sqlx::query(
            "INSERT INTO pipelines (tenant_id, pipeline, updated_at, version) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET pipeline = $2, updated_at = $3, version = pipelines.version + 1 \
             RETURNING version",
        )
        .bind(tenant.as_str())
        .bind(json.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("version")?;
        sqlx::query(
            "INSERT INTO pipeline_versions (tenant_id, version, pipeline, source, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.as_str())
        .bind(version)
        .bind(json.as_str())
        .bind(source)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(PipelineVersion { version, pipeline: pipeline.clone(), source: source.to_owned(), created_at: now })
    }

    /// The tenant's pipeline versions, newest first (at most `limit`).
    pub async fn pipeline_versions(&self, tenant: &TenantId, limit: u32) -> Result<Vec<PipelineVersion>> {
        sqlx::query(
            "SELECT version, pipeline, source, created_at FROM pipeline_versions WHERE tenant_id = $1 \
             ORDER BY version DESC LIMIT $2",
        )
        .bind(tenant.as_str())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(parse_version)
        .collect()
    }

    /// One of the tenant's pipeline versions.
    pub async fn pipeline_version(&self, tenant: &TenantId, version: i64) -> Result<Option<PipelineVersion>> {
        sqlx::query(
            "SELECT version, pipeline, source, created_at FROM pipeline_versions WHERE tenant_id = $1 AND version = $2",
        )
        .bind(tenant.as_str())
        .bind(version)
        .fetch_optional(self.pool())
        .await?
        .map(|r| parse_version(&r))
        .transpose()
    }
}

/// A pipeline as it was made live.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineVersion {
    pub version: i64,
    pub pipeline: Pipeline,
    /// `put`, or `rollback:N` for a copy of version N.
    pub source: String,
    pub created_at: i64,
}

fn parse_pipeline(json: &str) -> Result<Pipeline> {
    serde_json::from_str(json).map_err(|e| Error::Corrupt(format!("pipeline: {e}")))
}

fn parse_version(r: &AnyRow) -> Result<PipelineVersion> {
    Ok(PipelineVersion {
        version: r.try_get("version")?,
        pipeline: parse_pipeline(&r.try_get::<String, _>("pipeline")?)?,
        source: r.try_get("source")?,
        created_at: r.try_get("created_at")?,
    })
}
