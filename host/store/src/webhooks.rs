//! Tenant settings and webhook deliveries.
//!
//! A delivery is an outbox row written in the same transaction as the job transition that
//! causes it ([`enqueue_event`]), so an event exists exactly when its transition does. Senders in
//! any number of processes claim due rows with a short lease, so each attempt is made by one
//! sender, and a sender that dies mid-attempt only delays the next one: delivery is at least once.

use ocr_core::{JobId, JobOptions, JobStatus, TenantId};
use sqlx::{Any, Row, Transaction};

use crate::pool::Db;
use crate::rows::{parse_id, parse_tenant};
use crate::{Error, Result, now_ms};

/// A tenant's settings; everything optional falls back to the server's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSettings {
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub retention_days: Option<i64>,
    /// The tenant lets its reviewers' corrections be exported (`GET /v1/corrections`).
    pub share_corrections: bool,
}

/// One event for one receiver, as stored.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub job_id: String,
    pub tenant_id: String,
    pub event: String,
    pub url: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A claimed delivery with the secret to sign it with (the tenant's current one).
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery: DeliveryRow,
    pub secret: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Delivered {
        status: u16,
    },
    /// Try again at `retry_at` (ms), or give up when `None`.
    Failed {
        status: Option<u16>,
        error: String,
        retry_at: Option<i64>,
    },
}

/// The event a transition into `to` causes, if any.
pub fn event_for(to: JobStatus) -> Option<&'static str> {
    match to {
        JobStatus::DetectDone => Some("job.detect_done"),
        JobStatus::Done => Some("job.done"),
        JobStatus::Failed => Some("job.failed"),
        _ => None,
    }
}

const DELIVERY_COLUMNS: &str = "id, job_id, tenant_id, event, url, body, state, attempts, next_attempt_at, \
     last_status, last_error, created_at, delivered_at";

fn delivery(r: &sqlx::any::AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.try_get("id")?,
        job_id: r.try_get("job_id")?,
        tenant_id: r.try_get("tenant_id")?,
        event: r.try_get("event")?,
        url: r.try_get("url")?,
        body: r.try_get("body")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

/// Writes the delivery a transition into `to` causes, inside the transition's transaction:
/// the job's `callback_url`, else the tenant's default URL; nothing when neither is set.
pub(crate) async fn enqueue_event(tx: &mut Transaction<'_, Any>, id: JobId, to: JobStatus) -> Result<()> {
    let Some(event) = event_for(to) else { return Ok(()) };
    let row = sqlx::query(
        "SELECT j.tenant_id, j.options, j.error_code, j.error_message, j.page_count, s.webhook_url \
         FROM jobs j LEFT JOIN tenant_settings s ON s.tenant_id = j.tenant_id WHERE j.id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let options: JobOptions =
        serde_json::from_str(&row.try_get::<String, _>("options")?).map_err(|e| Error::Corrupt(e.to_string()))?;
    let Some(url) = options.callback_url.or(row.try_get::<Option<String>, _>("webhook_url")?) else { return Ok(()) };
    let tenant: String = row.try_get("tenant_id")?;
    let delivery_id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let error = match row.try_get::<Option<String>, _>("error_code")? {
        Some(code) if to == JobStatus::Failed => {
            serde_json::json!({"code": code, "message": row.try_get::<Option<String>, _>("error_message")?})
        }
        _ => serde_json::Value::Null,
    };
    let body = serde_json::json!({
        "id": delivery_id,
        "type": event,
        "created_at": now,
        "tenant_id": tenant,
        "job": {"job_id": id.to_string(), "status": to.as_str(), "page_count": row.try_get::<Option<i64>, _>("page_count")?, "error": error},
    });
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, job_id, tenant_id, event, url, body, state, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
    )
    .bind(delivery_id)
    .bind(id.to_string())
    .bind(tenant)
    .bind(event)
    .bind(url)
    .bind(body.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Db {
    /// The tenant's settings (all empty when it never saved any).
    pub async fn tenant_settings(&self, tenant: &TenantId) -> Result<TenantSettings> {
        let row = sqlx::query(
            "SELECT webhook_url, webhook_secret, retention_days, share_corrections FROM tenant_settings \
                 WHERE tenant_id = $1",
        )
        .bind(tenant.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(r) => TenantSettings {
                webhook_url: r.try_get("webhook_url")?,
                webhook_secret: r.try_get("webhook_secret")?,
                retention_days: r.try_get("retention_days")?,
                share_corrections: r.try_get::<i64, _>("share_corrections")? != 0,
            },
            None => TenantSettings::default(),
        })
    }

    /// Saves the webhook URL, retention and consent to export corrections (the secret is kept
    /// as it is).
    pub async fn put_tenant_settings(
        &self,
        tenant: &TenantId,
        webhook_url: Option<&str>,
        retention_days: Option<i64>,
        share_corrections: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, webhook_url, retention_days, share_corrections, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET webhook_url = $2, retention_days = $3, \
             share_corrections = $4, updated_at = $5",
        )
        .bind(tenant.as_str())
        .bind(webhook_url)
        .bind(retention_days)
        .bind(i64::from(share_corrections))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Replaces the tenant's webhook secret.
    pub async fn set_webhook_secret(&self, tenant: &TenantId, secret: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, webhook_secret, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET webhook_secret = $2, updated_at = $3",
        )
        .bind(tenant.as_str())
        .bind(secret)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Claims the oldest due delivery for `lease_ms`, counting the attempt. `None` when nothing
    /// is due. Safe with any number of senders: the claim is a guarded update.
    pub async fn claim_delivery(&self, lease_ms: i64) -> Result<Option<DueDelivery>> {
        let now = now_ms();
        let candidates = sqlx::query(
            "SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (lease_expires_at IS NULL OR lease_expires_at < $1) ORDER BY next_attempt_at LIMIT 5",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        for c in candidates {
            let id: String = c.try_get("id")?;
            let claimed = sqlx::query(
                "UPDATE webhook_deliveries SET lease_expires_at = $1, attempts = attempts + 1 WHERE id = $2 \
                 AND state = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at < $3)",
            )
            .bind(now + lease_ms)
            .bind(&id)
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                continue; // another sender took it
            }
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
            )))
            .bind(&id)
            .fetch_one(self.pool())
            .await?;
            let delivery = delivery(&row)?;
            let secret = self.tenant_settings(&parse_tenant(&delivery.tenant_id)?).await?.webhook_secret;
            return Ok(Some(DueDelivery { delivery, secret }));
        }
        Ok(None)
    }

    /// Records how an attempt ended and releases the claim.
    pub async fn finish_delivery(&self, id: &str, outcome: &AttemptOutcome) -> Result<()> {
        let now = now_ms();
        let q = match outcome {
            AttemptOutcome::Delivered { status } => sqlx::query(
                "UPDATE webhook_deliveries SET state = 'delivered', last_status = $1, last_error = NULL, \
                 lease_expires_at = NULL, delivered_at = $2 WHERE id = $3",
            )
            .bind(i64::from(*status))
            .bind(now)
            .bind(id),
            AttemptOutcome::Failed { status, error, retry_at } => sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, last_status = $2, last_error = $3, \
                 lease_expires_at = NULL, next_attempt_at = $4 WHERE id = $5",
            )
            .bind(if retry_at.is_some() { "pending" } else { "failed" })
            .bind(status.map(i64::from))
            .bind(error.clone())
            .bind(retry_at.unwrap_or(now))
            .bind(id),
        };
        q.execute(self.pool()).await?;
        Ok(())
    }

    /// A job's deliveries, oldest first (the job must belong to `tenant`).
    pub async fn deliveries_for_job(&self, tenant: &TenantId, job: JobId) -> Result<Vec<DeliveryRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE job_id = $1 AND tenant_id = $2 ORDER BY created_at, id"
        )))
        .bind(job.to_string())
        .bind(tenant.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery).collect()
    }

    /// Jobs past their tenant's retention (or `default_days`): not running, last changed more
    /// than that long ago. At most `limit`, oldest first.
    pub async fn expired_jobs(&self, default_days: i64, limit: u32) -> Result<Vec<(TenantId, JobId)>> {
        const DAY_MS: i64 = 86_400_000;
        let rows = sqlx::query(
            "SELECT j.id, j.tenant_id FROM jobs j LEFT JOIN tenant_settings s ON s.tenant_id = j.tenant_id \
             WHERE j.status NOT IN ($1, $2) AND j.updated_at < $3 - COALESCE(s.retention_days, $4) * $5 \
             ORDER BY j.updated_at LIMIT $6",
        )
        .bind(JobStatus::Detecting.as_str())
        .bind(JobStatus::Recognizing.as_str())
        .bind(now_ms())
        .bind(default_days)
        .bind(DAY_MS)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((parse_tenant(&r.try_get::<String, _>("tenant_id")?)?, parse_id(&r.try_get::<String, _>("id")?)?))
            })
            .collect()
    }
}
