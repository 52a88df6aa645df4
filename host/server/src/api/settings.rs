//! A tenant's own settings: the default webhook URL and its signing secret, how long jobs are
//! kept, and whether corrections may be exported; plus each job's webhook delivery log.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ocr_core::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::{check_callback, load, parse_json};
use super::types::rfc3339;
use super::{AppState, Tenant};

/// Longest retention a tenant may choose (ten years).
const MAX_RETENTION_DAYS: i64 = 3650;

/// A tenant's settings as served.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingsView {
    /// Where events of jobs without their own `callback_url` go; none when unset.
    pub webhook_url: Option<String>,
    /// Whether a signing secret exists (it is shown only when created).
    pub webhook_secret_set: bool,
    /// Days a job is kept after its last change (the tenant's choice or the server default).
    pub retention_days: i64,
    /// The server default, used when the tenant chooses none.
    pub retention_days_default: i64,
    /// Reviewers' corrections may be exported (`GET /v1/corrections`); off unless opted in.
    pub share_corrections: bool,
}

/// Replaces the tenant's settings; a field left out or null falls back to its default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// 1-3650.
    #[serde(default)]
    pub retention_days: Option<i64>,
    /// Opt in to exporting corrections; false when left out.
    #[serde(default)]
    pub share_corrections: Option<bool>,
}

/// A new webhook signing secret, shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookSecret {
    /// `whsec_` and 64 hex digits. Receivers check `X-OCR-Signature: t=<unix seconds>,v1=<hex>`,
    /// the HMAC-SHA256 of `"<t>.<raw body>"` under this secret.
    pub webhook_secret: String,
}

/// One event for one receiver.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// Also the body's `id`: stable across retries, for de-duplication.
    pub id: String,
    /// `job.detect_done`, `job.done` or `job.failed`.
    pub event: String,
    pub url: String,
    /// `pending`, `delivered` or `failed` (gave up after the last attempt).
    pub state: String,
    pub attempts: i64,
    /// HTTP status of the last attempt, when the receiver answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<String>,
}

/// A job's webhook deliveries, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
}

async fn view(state: &AppState, tenant: &ocr_core::TenantId) -> ApiResult<SettingsView> {
    let s = state.backends.db.tenant_settings(tenant).await?;
    Ok(SettingsView {
        webhook_url: s.webhook_url,
        webhook_secret_set: s.webhook_secret.is_some(),
        retention_days: s.retention_days.unwrap_or(state.retention_default_days),
        retention_days_default: state.retention_default_days,
        share_corrections: s.share_corrections,
    })
}

/// The tenant's settings.
#[utoipa::path(get, path = "/v1/settings", tag = "settings", params(("X-Tenant-Id" = String, Header)),
    responses((status = 200, body = SettingsView)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> ApiResult<axum::Json<SettingsView>> {
    Ok(axum::Json(view(&state, &tenant).await?))
}

/// Replaces the tenant's default webhook URL, retention and consent to export corrections.
#[utoipa::path(put, path = "/v1/settings", tag = "settings", params(("X-Tenant-Id" = String, Header)),
    request_body = SettingsUpdate,
    responses((status = 200, body = SettingsView), (status = 400, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    body: Bytes,
) -> ApiResult<axum::Json<SettingsView>> {
    let update: SettingsUpdate = parse_json(&body, state.limits.max_json_bytes)?;
    if let Some(days) = update.retention_days
        && !(1..=MAX_RETENTION_DAYS).contains(&days)
    {
        return Err(ApiError::new(
            ErrorCode::InvalidOptions,
            format!("retention_days must be between 1 and {MAX_RETENTION_DAYS}, got {days}"),
        ));
    }
    if let Some(url) = &update.webhook_url {
        check_callback(&state, &tenant, url).await?;
    }
    state
        .backends
        .db
        .put_tenant_settings(
            &tenant,
            update.webhook_url.as_deref(),
            update.retention_days,
            update.share_corrections.unwrap_or(false),
        )
        .await?;
    Ok(axum::Json(view(&state, &tenant).await?))
}

/// Creates (or replaces) the tenant's webhook signing secret and shows it, once.
#[utoipa::path(post, path = "/v1/settings/webhook-secret", tag = "settings", params(("X-Tenant-Id" = String, Header)),
    responses((status = 201, body = WebhookSecret)))]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> ApiResult<(StatusCode, axum::Json<WebhookSecret>)> {
    let secret = ocr_webhooks::new_secret();
    state.backends.db.set_webhook_secret(&tenant, &secret).await?;
    Ok((StatusCode::CREATED, axum::Json(WebhookSecret { webhook_secret: secret })))
}

/// The job's webhook deliveries: every event, its attempts and the receiver's last answer.
#[utoipa::path(get, path = "/v1/ocr/jobs/{id}/webhooks", tag = "jobs", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 200, body = DeliveryList), (status = 404, body = ErrorBody)))]
pub async fn job_webhooks(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DeliveryList>> {
    let job = load(&state, &tenant, &id).await?;
    let rows = state.backends.db.deliveries_for_job(&tenant, job.id).await?;
    let deliveries = rows
        .into_iter()
        .map(|d| DeliveryView {
            next_attempt_at: (d.state == "pending").then(|| rfc3339(d.next_attempt_at)),
            id: d.id,
            event: d.event,
            url: d.url,
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: rfc3339(d.created_at),
            delivered_at: d.delivered_at.map(rfc3339),
        })
        .collect();
    Ok(axum::Json(DeliveryList { deliveries }))
}
