//! The operator API: tenants and their API keys. Authenticated by the operator token.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ocr_core::{ErrorCode, TenantId, api_key};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Operator;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::parse_json;
use super::types::rfc3339;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'.
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdate {
    /// A disabled tenant's keys stop working at once.
    pub disabled: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    pub id: String,
    pub name: String,
    pub disabled: bool,
    pub created_at: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

/// A key as listed (the key itself is never shown again).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    pub key_id: String,
    pub tenant_id: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<KeyView>,
}

/// A newly issued key: `key` is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedKey {
    pub key_id: String,
    pub tenant_id: String,
    pub key: String,
    pub prefix: String,
}

fn tenant_id(raw: &str) -> ApiResult<TenantId> {
    TenantId::parse(raw).ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such tenant"))
}

async fn existing_tenant(state: &AppState, raw: &str) -> ApiResult<TenantId> {
    let id = tenant_id(raw)?;
    if !state.backends.db.tenant_exists(&id).await? {
        return Err(ApiError::new(ErrorCode::NotFound, "no such tenant"));
    }
    Ok(id)
}

/// Creates a tenant.
#[utoipa::path(post, path = "/v1/admin/tenants", tag = "admin", request_body = NewTenant, security(("operator" = [])),
    responses((status = 201, body = TenantView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    _: Operator,
    body: Bytes,
) -> ApiResult<(StatusCode, axum::Json<TenantView>)> {
    let new: NewTenant = parse_json(&body, state.limits.max_json_bytes)?;
    let id = TenantId::parse(&new.id).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidTenant, "tenant id must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
    })?;
    let name = new.name.unwrap_or_else(|| id.to_string());
    if !state.backends.db.create_tenant(&id, &name).await? {
        return Err(ApiError::new(ErrorCode::InvalidState, format!("tenant {id} exists")));
    }
    let now = rfc3339(ocr_store::now_ms());
    Ok((StatusCode::CREATED, axum::Json(TenantView { id: id.to_string(), name, disabled: false, created_at: now })))
}

/// Lists tenants.
#[utoipa::path(get, path = "/v1/admin/tenants", tag = "admin", security(("operator" = [])),
    responses((status = 200, body = TenantList), (status = 401, body = ErrorBody)))]
pub async fn list_tenants(State(state): State<AppState>, _: Operator) -> ApiResult<axum::Json<TenantList>> {
    let tenants = state.backends.db.tenants().await?;
    Ok(axum::Json(TenantList {
        tenants: tenants
            .into_iter()
            .map(|t| TenantView {
                id: t.id.to_string(),
                name: t.name,
                disabled: t.disabled,
                created_at: rfc3339(t.created_at),
            })
            .collect(),
    }))
}

/// Disables or re-enables a tenant.
#[utoipa::path(patch, path = "/v1/admin/tenants/{tenant_id}", tag = "admin", request_body = TenantUpdate, security(("operator" = [])),
    params(("tenant_id" = String, Path)), responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_tenant(
    State(state): State<AppState>,
    _: Operator,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let update: TenantUpdate = parse_json(&body, state.limits.max_json_bytes)?;
    let id = tenant_id(&raw)?;
    if !state.backends.db.set_tenant_disabled(&id, update.disabled).await? {
        return Err(ApiError::new(ErrorCode::NotFound, "no such tenant"));
    }
    tracing::info!(tenant_id = %id, disabled = update.disabled, "tenant updated by operator");
    Ok(StatusCode::NO_CONTENT)
}

/// A tenant's quota on work waiting (queued or running): its own limits (`null`: the
/// server's default), the limits in force, and what waits now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuotaView {
    pub tenant_id: String,
    /// The tenant's own limit on jobs waiting, if the operator set one.
    pub max_waiting_jobs: Option<i64>,
    /// The tenant's own limit on bytes of originals waiting, if the operator set one.
    pub max_waiting_bytes: Option<i64>,
    /// The limits that apply (own, else `OCR_TENANT_MAX_WAITING_JOBS` / `_BYTES`).
    pub effective_max_waiting_jobs: i64,
    pub effective_max_waiting_bytes: i64,
    pub waiting_jobs: i64,
    pub waiting_bytes: i64,
}

/// Sets a tenant's own quota; a field left out or `null` returns to the server default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaUpdate {
    pub max_waiting_jobs: Option<i64>,
    pub max_waiting_bytes: Option<i64>,
}

async fn quota_view(state: &AppState, id: &TenantId) -> ApiResult<QuotaView> {
    let own = state.backends.db.quota_override(id).await?;
    let effective = own.over(state.limits.quota);
    let usage = state.backends.db.usage(id).await?;
    Ok(QuotaView {
        tenant_id: id.to_string(),
        max_waiting_jobs: own.max_waiting_jobs,
        max_waiting_bytes: own.max_waiting_bytes,
        effective_max_waiting_jobs: effective.max_waiting_jobs,
        effective_max_waiting_bytes: effective.max_waiting_bytes,
        waiting_jobs: usage.jobs,
        waiting_bytes: usage.bytes,
    })
}

/// A tenant's quota and what it has waiting.
#[utoipa::path(get, path = "/v1/admin/tenants/{tenant_id}/quota", tag = "admin", security(("operator" = [])),
    params(("tenant_id" = String, Path)), responses((status = 200, body = QuotaView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_quota(
    State(state): State<AppState>,
    _: Operator,
    Path(raw): Path<String>,
) -> ApiResult<axum::Json<QuotaView>> {
    Ok(axum::Json(quota_view(&state, &tenant_id(&raw)?).await?))
}

/// Sets a tenant's own quota (works for tenants known only by `X-Tenant-Id` too).
#[utoipa::path(put, path = "/v1/admin/tenants/{tenant_id}/quota", tag = "admin", request_body = QuotaUpdate, security(("operator" = [])),
    params(("tenant_id" = String, Path)),
    responses((status = 200, body = QuotaView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_quota(
    State(state): State<AppState>,
    _: Operator,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<QuotaView>> {
    let update: QuotaUpdate = parse_json(&body, state.limits.max_json_bytes)?;
    if update.max_waiting_jobs.is_some_and(|n| n < 0) || update.max_waiting_bytes.is_some_and(|n| n < 0) {
        return Err(ApiError::new(ErrorCode::BadRequest, "quotas are 0 or more (0 admits nothing)"));
    }
    let id = tenant_id(&raw)?;
    let own = ocr_store::QuotaOverride {
        max_waiting_jobs: update.max_waiting_jobs,
        max_waiting_bytes: update.max_waiting_bytes,
    };
    state.backends.db.set_quota_override(&id, own).await?;
    tracing::info!(tenant_id = %id, ?own, "tenant quota set by operator");
    Ok(axum::Json(quota_view(&state, &id).await?))
}

/// Issues an API key for a tenant. The key is in this response only.
#[utoipa::path(post, path = "/v1/admin/tenants/{tenant_id}/keys", tag = "admin", security(("operator" = [])),
    params(("tenant_id" = String, Path)), responses((status = 201, body = IssuedKey), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn issue_key(
    State(state): State<AppState>,
    _: Operator,
    Path(raw): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<IssuedKey>)> {
    let tenant = existing_tenant(&state, &raw).await?;
    let mut random = [0u8; 32];
    random[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    random[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let key = api_key::from_random(&random);
    let key_id = uuid::Uuid::now_v7().to_string();
    let prefix = api_key::display_prefix(&key);
    state.backends.db.insert_key(&key_id, &tenant, &api_key::hash(&key), &prefix).await?;
    tracing::info!(tenant_id = %tenant, %key_id, "API key issued");
    Ok((StatusCode::CREATED, axum::Json(IssuedKey { key_id, tenant_id: tenant.to_string(), key, prefix })))
}

/// Lists a tenant's keys (never the keys themselves).
#[utoipa::path(get, path = "/v1/admin/tenants/{tenant_id}/keys", tag = "admin", security(("operator" = [])),
    params(("tenant_id" = String, Path)), responses((status = 200, body = KeyList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    _: Operator,
    Path(raw): Path<String>,
) -> ApiResult<axum::Json<KeyList>> {
    let tenant = existing_tenant(&state, &raw).await?;
    let keys = state.backends.db.keys(&tenant).await?;
    Ok(axum::Json(KeyList {
        keys: keys
            .into_iter()
            .map(|k| KeyView {
                key_id: k.id,
                tenant_id: k.tenant_id,
                prefix: k.prefix,
                created_at: rfc3339(k.created_at),
                revoked_at: k.revoked_at.map(rfc3339),
            })
            .collect(),
    }))
}

/// Revokes a key: it stops working on every API process at once (keys are checked against the
/// database on every request).
#[utoipa::path(delete, path = "/v1/admin/keys/{key_id}", tag = "admin", security(("operator" = [])),
    params(("key_id" = String, Path)), responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    _: Operator,
    Path(key_id): Path<String>,
) -> ApiResult<StatusCode> {
    if !state.backends.db.revoke_key(&key_id).await? {
        return Err(ApiError::new(ErrorCode::NotFound, "no such key (or revoked already)"));
    }
    tracing::info!(%key_id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// A job in the operator's queue view.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueuedJob {
    pub job_id: String,
    pub tenant_id: String,
    pub status: String,
    pub attempts: i64,
    /// The worker holding the job, while it runs.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<String>,
    pub error: Option<ocr_core::JobError>,
    pub updated_at: String,
}

/// The work across all tenants.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueView {
    /// Messages in the queue not yet delivered to a worker.
    pub queue_depth: u64,
    /// Jobs per status.
    pub jobs_by_status: std::collections::BTreeMap<String, i64>,
    /// Jobs a worker holds now, with the lease holder.
    pub running: Vec<QueuedJob>,
    /// Jobs waiting for a worker (up to 100 per state).
    pub waiting: Vec<QueuedJob>,
    /// Recently failed jobs with their errors (up to 100).
    pub failed: Vec<QueuedJob>,
}

fn queued(j: ocr_store::JobSummary) -> QueuedJob {
    let error = j.error_code.and_then(|code| {
        serde_json::from_value(serde_json::Value::String(code))
            .ok()
            .map(|code| ocr_core::JobError::new(code, j.error_message.unwrap_or_default()))
    });
    QueuedJob {
        job_id: j.id,
        tenant_id: j.tenant_id,
        status: j.status,
        attempts: j.attempts,
        lease_owner: j.lease_owner,
        lease_expires_at: j.lease_expires_at.map(rfc3339),
        error,
        updated_at: rfc3339(j.updated_at),
    }
}

/// Queue depth, running jobs with their lease holders, waiting and failed jobs.
#[utoipa::path(get, path = "/v1/admin/queue", tag = "admin", security(("operator" = [])),
    responses((status = 200, body = QueueView), (status = 401, body = ErrorBody)))]
pub async fn queue(State(state): State<AppState>, _: Operator) -> ApiResult<axum::Json<QueueView>> {
    use ocr_core::JobStatus;
    let db = &state.backends.db;
    let queue_depth = state.backends.queue.depth().await.map_err(ApiError::from)?;
    let running = db.jobs_in(&[JobStatus::Detecting, JobStatus::Recognizing], 500).await?;
    let waiting = db.jobs_in(&[JobStatus::Uploaded, JobStatus::OcrQueued], 100).await?;
    let failed = db.jobs_in(&[JobStatus::Failed], 100).await?;
    Ok(axum::Json(QueueView {
        queue_depth,
        jobs_by_status: db.count_by_status().await?.into_iter().collect(),
        running: running.into_iter().map(queued).collect(),
        waiting: waiting.into_iter().map(queued).collect(),
        failed: failed.into_iter().map(queued).collect(),
    }))
}

/// Re-queues a failed job: recognition again when it has boxes, else detection.
#[utoipa::path(post, path = "/v1/admin/jobs/{job_id}/requeue", tag = "admin", security(("operator" = [])),
    params(("job_id" = String, Path)),
    responses((status = 202, body = super::types::JobAccepted), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody, description = "No such job"),
        (status = 409, body = ErrorBody, description = "Not FAILED")))]
pub async fn requeue(
    State(state): State<AppState>,
    _: Operator,
    Path(raw): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<super::types::JobAccepted>)> {
    let id: ocr_core::JobId = raw.parse().map_err(|_| ApiError::job_not_found())?;
    let task = state.backends.db.requeue_failed(id).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidState, "only FAILED jobs with an uploaded file can be re-queued")
    })?;
    let kind = task.kind;
    if let Err(e) = state.backends.queue.push(task).await {
        tracing::warn!(error = %e, job_id = %id, "could not queue the re-queued job; the sweeper will");
    }
    tracing::info!(job_id = %id, task = kind.as_str(), "failed job re-queued by operator");
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(super::types::JobAccepted { job_id: id.to_string(), status: kind.states().0 }),
    ))
}
