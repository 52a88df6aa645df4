//! Tenants and API keys in the database (keys only as hashes).

use ocr_core::TenantId;
use sqlx::Row;

use crate::pool::Db;
use crate::{Result, now_ms};

/// A tenant as stored.
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: TenantId,
    pub name: String,
    pub disabled: bool,
    pub created_at: i64,
}

/// An issued key, without the key.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: String,
    pub tenant_id: String,
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Db {
    /// Creates a tenant. False when the id is taken.
    pub async fn create_tenant(&self, id: &TenantId, name: &str) -> Result<bool> {
        let res = sqlx::query(
            "INSERT INTO tenants (id, name, disabled, created_at) VALUES ($1, $2, 0, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn tenants(&self) -> Result<Vec<TenantRow>> {
        let rows = sqlx::query("SELECT id, name, disabled, created_at FROM tenants ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .filter_map(|r| {
                let id: String = r.try_get("id").ok()?;
                Some(Ok(TenantRow {
                    id: TenantId::parse(&id)?,
                    name: r.try_get("name").ok()?,
                    disabled: r.try_get::<i64, _>("disabled").ok()? != 0,
                    created_at: r.try_get("created_at").ok()?,
                }))
            })
            .collect()
    }

    /// Enables or disables a tenant. False when it does not exist.
    pub async fn set_tenant_disabled(&self, id: &TenantId, disabled: bool) -> Result<bool> {
        let res = sqlx::query("UPDATE tenants SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id.as_str())
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn tenant_exists(&self, id: &TenantId) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM tenants WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    /// Stores an issued key's hash.
    pub async fn insert_key(&self, id: &str, tenant: &TenantId, hash: &str, prefix: &str) -> Result<()> {
        sqlx::query("INSERT INTO api_keys (id, tenant_id, hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(tenant.as_str())
            .bind(hash)
            .bind(prefix)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn keys(&self, tenant: &TenantId) -> Result<Vec<KeyRow>> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, prefix, created_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KeyRow {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    prefix: r.try_get("prefix")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a key. False when it does not exist or was revoked already.
    pub async fn revoke_key(&self, key_id: &str) -> Result<bool> {
        let res = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(key_id)
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// The tenant of a live key (not revoked, tenant not disabled), by the key's hash.
    pub async fn tenant_for_key(&self, hash: &str) -> Result<Option<TenantId>> {
        let row = sqlx::query(
            "SELECT k.tenant_id FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.hash = $1 AND k.revoked_at IS NULL AND t.disabled = 0",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|r| r.try_get::<String, _>("tenant_id").ok()).and_then(|t| TenantId::parse(&t)))
    }
}
