//! The REST API: routes, tenant scoping, the OpenAPI document and its offline viewer.

pub mod admin;
pub mod auth;
pub mod corrections;
pub mod error;
pub mod jobs;
pub mod pages;
pub mod plugins;
mod request;
pub mod review;
pub mod settings;
pub mod stats;
pub mod types;
pub mod watch;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ocr_core::ErrorCode;
use ocr_worker::{Backends, Ocr, Plugins};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub use self::auth::Tenant;
use self::error::ApiError;
use self::types::Readiness;

/// Request-level limits.
#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// Upload size cap, counted while the body streams in (stops disk/memory exhaustion).
    pub max_upload_bytes: usize,
    /// Boxes per page in an edit (bounds the work recognition does per page).
    pub max_boxes_per_page: usize,
    /// JSON body cap (create options, box edits).
    pub max_json_bytes: usize,
    /// What a tenant may have waiting, unless the operator set its own.
    pub quota: ocr_store::Quota,
    /// Page limits for decoding an upload again (page images, searchable PDFs).
    pub decode: ocr_inference::DecodeLimits,
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub backends: Backends,
    /// Present when this process runs a worker: `/ready` then checks the models too.
    pub ocr: Option<Arc<dyn Ocr>>,
    /// The plugin host and built-in plugins (upload validation, test runs, listing).
    pub plugins: Arc<Plugins>,
    pub limits: ApiLimits,
    pub auth: auth::SharedAuth,
    /// Callback URLs may point to private addresses (`OCR_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// Retention of tenants that set none (`OCR_RETENTION_DAYS`).
    pub retention_default_days: i64,
    /// Status changes for long polls and event streams.
    pub watch: watch::JobWatch,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "OCR Platform API", description = "Multi-tenant OCR: create a job, upload a file, review the detected boxes, run recognition, read the text. Every /v1 call acts for one tenant: `Authorization: Bearer <API key>` (auth mode `api-key`, the production default), or the `X-Tenant-Id` header alone (auth mode `header`, loopback only). When both are sent they must agree."),
    modifiers(&SecuritySchemes, &CommonResponses),
    paths(
        health, ready,
        jobs::create_job, jobs::list_jobs, watch::get_job, watch::job_events, jobs::delete_job, jobs::upload,
        jobs::get_file, pages::get_page_image, jobs::get_detect, jobs::patch_detect, jobs::run_ocr, jobs::get_result, review::patch_result,
        plugins::upload_plugin, plugins::list_plugins, plugins::get_plugin, plugins::delete_plugin, plugins::test_plugin,
        plugins::get_pipeline, plugins::put_pipeline, plugins::pipeline_versions, plugins::rollback_pipeline, plugins::replay_pipeline,
        corrections::list_corrections, stats::quality,
        settings::get_settings, settings::put_settings, settings::rotate_webhook_secret, settings::job_webhooks,
        admin::create_tenant, admin::list_tenants, admin::update_tenant, admin::issue_key, admin::list_keys, admin::get_quota, admin::put_quota, admin::revoke_key, admin::queue, admin::requeue,
    ),
    components(schemas(error::ErrorBody, ocr_core::ErrorCode)),
    tags((name = "jobs", description = "The OCR job flow"), (name = "plugins", description = "Tenant WebAssembly plugins and the per-tenant pipeline"),
        (name = "review", description = "Reviewers' corrections as data, and quality figures from review"),
        (name = "settings", description = "The tenant's webhook URL and secret, and retention"),
        (name = "admin", description = "Operator API: tenants and API keys (Authorization: Bearer <OCR_OPERATOR_TOKEN>)"), (name = "ops", description = "Health and readiness"))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build())
        };
        components.add_security_scheme("api_key", bearer("A tenant API key (ocrk_…)"));
        components.add_security_scheme("operator", bearer("The operator token (OCR_OPERATOR_TOKEN)"));
    }
}

/// Answers every /v1 operation can give besides its own (tenant header or credentials missing or
/// malformed, a malformed path or query, rate limiting, a body over the limit, a backend down),
/// documented once here rather than on each path.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |what: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(what)
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            let admin = path.starts_with("/v1/admin/");
            for op in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                let has_body = op.request_body.is_some();
                let responses = &mut op.responses.responses;
                let mut add = |status: &str, what: &str| {
                    responses.entry(status.to_owned()).or_insert_with(|| error(what));
                };
                add("400", "Malformed request: tenant header, path, query or body");
                add("401", "Missing or invalid credentials");
                if !admin {
                    add("429", "Rate limited (`rate_limited`, `quota_exceeded`); see Retry-After");
                }
                if has_body {
                    add("413", "Body over the size limit");
                }
                add("500", "Internal error (stored data unreadable); nothing internal is revealed");
                add("503", "A backend (database, queue, object storage) did not answer; see Retry-After");
            }
        }
    }
}

/// Extractor rejections (a path segment that is not UTF-8, a query parameter of the wrong type,
/// a body over the transport limit) come from axum as plain text; every error of this API is the
/// JSON error body, so they are rewritten here, keeping their status.
async fn json_rejections(res: Response) -> Response {
    let status = res.status();
    let plain_text = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain_text {
        return res;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let message = match axum::body::to_bytes(res.into_body(), 4096).await {
        Ok(b) if !b.is_empty() => String::from_utf8_lossy(&b).into_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let mut out = ApiError::new(code, message).into_response();
    *out.status_mut() = status;
    out
}

/// The OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/ocr/jobs", get(jobs::list_jobs).post(jobs::create_job))
        .route("/v1/ocr/jobs/{id}", get(watch::get_job).delete(jobs::delete_job))
        .route("/v1/ocr/jobs/{id}/events", get(watch::job_events))
        .route("/v1/ocr/jobs/{id}/upload", axum::routing::post(jobs::upload))
        .route("/v1/ocr/jobs/{id}/file", get(jobs::get_file))
        .route("/v1/ocr/jobs/{id}/pages/{page}/image", get(pages::get_page_image))
        .route("/v1/ocr/jobs/{id}/detect", get(jobs::get_detect).patch(jobs::patch_detect))
        .route("/v1/ocr/jobs/{id}/run-ocr", axum::routing::post(jobs::run_ocr))
        .route("/v1/ocr/jobs/{id}/result", get(jobs::get_result).patch(review::patch_result))
        .route("/v1/ocr/jobs/{id}/webhooks", get(settings::job_webhooks))
        .route("/v1/settings", get(settings::get_settings).put(settings::put_settings))
        .route("/v1/settings/webhook-secret", axum::routing::post(settings::rotate_webhook_secret))
        .route("/v1/plugins", get(plugins::list_plugins).post(plugins::upload_plugin))
        .route("/v1/plugins/{id}", get(plugins::get_plugin).delete(plugins::delete_plugin))
        .route("/v1/plugins/{id}/test", axum::routing::post(plugins::test_plugin))
        .route("/v1/pipeline", get(plugins::get_pipeline).put(plugins::put_pipeline))
        .route("/v1/pipeline/versions", get(plugins::pipeline_versions))
        .route("/v1/pipeline/rollback", axum::routing::post(plugins::rollback_pipeline))
        .route("/v1/pipeline/replay", axum::routing::post(plugins::replay_pipeline))
        .route("/v1/corrections", get(corrections::list_corrections))
        .route("/v1/stats/quality", get(stats::quality))
        .route("/v1/admin/tenants", get(admin::list_tenants).post(admin::create_tenant))
        .route("/v1/admin/tenants/{tenant_id}", axum::routing::patch(admin::update_tenant))
        .route("/v1/admin/tenants/{tenant_id}/keys", get(admin::list_keys).post(admin::issue_key))
        .route("/v1/admin/tenants/{tenant_id}/quota", get(admin::get_quota).put(admin::put_quota))
        .route("/v1/admin/keys/{key_id}", axum::routing::delete(admin::revoke_key))
        .route("/v1/admin/queue", get(admin::queue))
        .route("/v1/admin/jobs/{job_id}/requeue", axum::routing::post(admin::requeue))
        // The upload route reads its body as a stream and counts; everything else is small JSON.
        .layer(axum::extract::DefaultBodyLimit::max(state.limits.max_upload_bytes.saturating_add(64 * 1024)));
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .merge(v1)
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi()))
        .merge(crate::ui::router())
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed on this route")
        })
        .layer(axum::middleware::map_response(json_rejections))
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// One span per request: a request id (the caller's `X-Request-Id` when sane, else a new one)
/// and the tenant, recorded once authentication knows it.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    tracing::info_span!("request", %request_id, method = %req.method(), path = %req.uri().path(), tenant_id = tracing::field::Empty)
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, description = "Alive", example = json!({"ok": true}))))]
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"ok": true}))
}

/// Readiness: 200 only when the database, queue, object storage (and, in processes that run a
/// worker, the models) answer; 503 naming what is down.
#[utoipa::path(get, path = "/ready", tag = "ops", responses(
    (status = 200, body = Readiness), (status = 503, body = Readiness, description = "Something is down")))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let b = &state.backends;
    let timeout = std::time::Duration::from_secs(3);
    let check = |r: Result<Result<(), ocr_store::Error>, tokio::time::error::Elapsed>, name: &str| match r {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "{name} is not ready");
            "unavailable".to_string()
        }
        Err(_) => "timed out".to_string(),
    };
    let (db, queue, objects) = tokio::join!(
        tokio::time::timeout(timeout, b.db.ping()),
        tokio::time::timeout(timeout, b.queue.ping()),
        tokio::time::timeout(timeout, b.objects.ping()),
    );
    let mut checks = std::collections::BTreeMap::new();
    checks.insert("database".to_string(), check(db, "database"));
    checks.insert("queue".to_string(), check(queue, "queue"));
    checks.insert("objects".to_string(), check(objects, "object storage"));
    if let Some(ocr) = state.ocr.clone() {
        let models = tokio::task::spawn_blocking(move || ocr.ready()).await;
        checks.insert(
            "models".to_string(),
            match models {
                Ok(Ok(())) => "ok".into(),
                Ok(Err(e)) => format!("missing: {}", e.message),
                Err(_) => "unavailable".into(),
            },
        );
    }
    let ready = checks.values().all(|v| v == "ok");
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(Readiness { ready, checks })).into_response()
}
