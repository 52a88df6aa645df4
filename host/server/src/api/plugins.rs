//! Tenant plugins through the API: upload, list, inspect, delete, test in the sandbox, and the
//! tenant's versioned pipeline, with replay of a candidate on stored jobs and rollback. A tenant sees its own plugins plus the built-in ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ocr_core::{DetectPage, ErrorCode, OcrLine, OcrPage, Pipeline, TenantId, TextBox};
use ocr_plugin_host::{CallReport, LogLine, Plugin, PluginError, PluginHost};
use ocr_store::PluginRow;
use ocr_store::objects::keys;
use ocr_worker::PluginInfo;
use ocr_worker::replay::{Candidate, JobReplay, ReplayTotal, ResolvedStep, replay_job};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::request::{multipart_error, parse_json, read_field};
use super::types::rfc3339;
use super::{AppState, Tenant};

/// Largest plugin upload accepted by the route (the plugin host has its own, equal cap).
const MAX_PLUGIN_UPLOAD: usize = 8 * 1024 * 1024;

/// A plugin a tenant can use.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PluginView {
    /// Use this in the pipeline. Built-ins are `builtin.<name>`.
    pub id: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: i64,
    /// Pipeline stages it implements: `filter_boxes`, `normalize_text`, `extract_fields`.
    pub hooks: Vec<String>,
    pub builtin: bool,
    pub created_at: Option<String>,
}

impl From<PluginInfo> for PluginView {
    fn from(i: PluginInfo) -> Self {
        let hooks = i.hooks.names();
        Self {
            id: i.id,
            name: i.name,
            version: i.version,
            sha256: i.sha256,
            size: i.size,
            hooks,
            builtin: i.builtin,
            created_at: i.created_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PluginList {
    pub plugins: Vec<PluginView>,
}

/// A sample input for `POST /v1/plugins/{id}/test`: exactly one of `boxes` (runs
/// `filter_boxes` on a page of `width` x `height`), `lines` (runs `normalize_text` on such a
/// page) or `pages` (runs `extract_fields` on a document: pages as in a job's result, with
/// their lines and, when there are any, `blocks`, `tables` and `pairs`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginTest {
    pub page_index: Option<u32>,
    /// Page size for `boxes` and `lines`; not used with `pages`, which carry their own.
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    pub boxes: Option<Vec<TextBox>>,
    pub lines: Option<Vec<OcrLine>>,
    pub pages: Option<Vec<OcrPage>>,
}

/// What a test run produced, measured in the production sandbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginTestReport {
    /// The hook that ran: `filter_boxes`, `normalize_text` or `extract_fields`.
    pub hook: String,
    /// The output, when the call succeeded.
    pub boxes: Option<Vec<TextBox>>,
    pub lines: Option<Vec<OcrLine>>,
    pub fields: Option<Vec<ocr_core::Field>>,
    /// Present when it failed: the code a job would fail with, and why.
    pub error: Option<ocr_core::JobError>,
    #[schema(value_type = Vec<Object>)]
    pub logs: Vec<LogLine>,
    pub elapsed_ms: f64,
    pub fuel_used: u64,
    pub memory_peak_bytes: usize,
}

fn plugin_not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such plugin")
}

fn valid_label(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

async fn resolve(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
) -> ApiResult<(PluginInfo, Arc<ocr_plugin_host::Plugin>)> {
    state.plugins.resolve(&state.backends, tenant, id).await.map_err(ApiError::from)?.ok_or_else(plugin_not_found)
}

/// Uploads a plugin (multipart fields `name`, `version`, `file` = the component). It is
/// validated (a component targeting `ocr:plugin`, compiling within limits) before it is stored.
#[utoipa::path(post, path = "/v1/plugins", tag = "plugins", params(("X-Tenant-Id" = String, Header)),
    request_body(content_type = "multipart/form-data", description = "Fields `name`, `version`, `file`"),
    responses((status = 201, body = PluginView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody, description = "Name and version exist"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "Not a valid plugin (plugin_invalid)")))]
pub async fn upload_plugin(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let mut multipart = multipart
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("expected a multipart/form-data body: {e}")))?;
    let (mut name, mut version, mut wasm) = (None, None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, MAX_PLUGIN_UPLOAD))? {
        match field.name() {
            Some("name") => name = Some(field.text().await.map_err(|e| multipart_error(e, MAX_PLUGIN_UPLOAD))?),
            Some("version") => version = Some(field.text().await.map_err(|e| multipart_error(e, MAX_PLUGIN_UPLOAD))?),
            Some("file") => wasm = Some(read_field(field, MAX_PLUGIN_UPLOAD).await?),
            _ => {}
        }
    }
    let name = name.map(|n| n.trim().to_owned()).filter(|n| valid_label(n, 64)).ok_or_else(|| {
        ApiError::new(ErrorCode::BadRequest, "field `name` must be 1-64 characters of a-z, 0-9, '-', '_' or '.'")
    })?;
    let version = version.map(|v| v.trim().to_owned()).filter(|v| valid_label(v, 32)).ok_or_else(|| {
        ApiError::new(ErrorCode::BadRequest, "field `version` must be 1-32 characters of a-z, 0-9, '-', '_' or '.'")
    })?;
    let wasm = wasm
        .ok_or_else(|| ApiError::new(ErrorCode::MissingFile, "send the component in a multipart field named `file`"))?;
    let host = state.plugins.host().clone();
    let bytes = wasm.clone();
    let plugin = tokio::task::spawn_blocking(move || host.load(&bytes))
        .await
        .map_err(|e| ApiError::unavailable("plugin validation crashed", &e))?
        .map_err(|e| match e {
            PluginError::Internal(m) => ApiError::unavailable("the plugin host failed", &m),
            other => ApiError::new(other.code(), other.to_string()),
        })?;
    let id = uuid::Uuid::now_v7().to_string();
    let row = PluginRow {
        id: id.clone(),
        tenant_id: tenant.clone(),
        name,
        version,
        sha256: plugin.sha256.clone(),
        object_key: keys::plugin(&tenant, &id),
        size: wasm.len() as i64,
        hooks: plugin.hooks,
        created_at: ocr_store::now_ms(),
    };
    state.backends.objects.put(&row.object_key, wasm).await?;
    if !state.backends.db.insert_plugin(&row).await? {
        let _ = state.backends.objects.delete(&row.object_key).await;
        return Err(ApiError::new(
            ErrorCode::AlreadyUploaded,
            format!("{} {} exists; upload it under a new version", row.name, row.version),
        ));
    }
    let (info, _) = resolve(&state, &tenant, &id).await?;
    Ok((StatusCode::CREATED, axum::Json(PluginView::from(info))).into_response())
}

/// The tenant's plugins and the built-in ones.
#[utoipa::path(get, path = "/v1/plugins", tag = "plugins", params(("X-Tenant-Id" = String, Header)), responses((status = 200, body = PluginList)))]
pub async fn list_plugins(State(state): State<AppState>, Tenant(tenant): Tenant) -> ApiResult<axum::Json<PluginList>> {
    let mut plugins: Vec<PluginView> = state.plugins.builtins().cloned().map(PluginView::from).collect();
    for row in state.backends.db.list_plugins(&tenant).await? {
        plugins.push(PluginView {
            hooks: row.hooks.names(),
            id: row.id,
            name: row.name,
            version: row.version,
            sha256: row.sha256,
            size: row.size,
            builtin: false,
            created_at: Some(rfc3339(row.created_at)),
        });
    }
    Ok(axum::Json(PluginList { plugins }))
}

/// One plugin.
#[utoipa::path(get, path = "/v1/plugins/{id}", tag = "plugins", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 200, body = PluginView), (status = 404, body = ErrorBody)))]
pub async fn get_plugin(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PluginView>> {
    Ok(axum::Json(resolve(&state, &tenant, &id).await?.0.into()))
}

/// Deletes one of the tenant's plugins (409 while the pipeline uses it; built-ins cannot be deleted).
#[utoipa::path(delete, path = "/v1/plugins/{id}", tag = "plugins", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_plugin(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let (info, _) = resolve(&state, &tenant, &id).await?;
    if info.builtin {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            "built-in plugins cannot be deleted; remove them from the pipeline instead",
        ));
    }
    let (_, pipeline) = state.backends.db.pipeline(&tenant).await?;
    if pipeline.stages().iter().any(|(_, steps)| steps.iter().any(|s| s.plugin == id)) {
        return Err(ApiError::new(
            ErrorCode::InvalidState,
            "the pipeline uses this plugin; remove it from the pipeline first",
        ));
    }
    if !state.backends.db.delete_plugin(&tenant, &id).await? {
        return Err(plugin_not_found());
    }
    state.backends.objects.delete(&keys::plugin(&tenant, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a plugin on a sample input in the production sandbox: its output (or the error a job
/// would get), logs, time, fuel and memory.
#[utoipa::path(post, path = "/v1/plugins/{id}/test", tag = "plugins", params(("X-Tenant-Id" = String, Header), ("id" = String, Path)),
    request_body = PluginTest, responses((status = 200, body = PluginTestReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_plugin(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<PluginTestReport>> {
    let (_, plugin) = resolve(&state, &tenant, &id).await?;
    let input: PluginTest = parse_json(&body, state.limits.max_json_bytes)?;
    let host = state.plugins.host().clone();
    let report = tokio::task::spawn_blocking(move || run_test(&host, &plugin, input))
        .await
        .map_err(|e| ApiError::unavailable("plugin call crashed", &e))?
        .map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
    Ok(axum::Json(report))
}

/// Runs one hook of `plugin` on a sample page in `host`'s sandbox (blocking). The hook is
/// chosen by the input: `boxes` runs `filter_boxes`, `lines` runs `normalize_text`, `pages`
/// runs `extract_fields`. A plugin failure is part of the report; an input naming none or
/// several is an `Err`.
pub fn run_test(host: &PluginHost, plugin: &Plugin, input: PluginTest) -> Result<PluginTestReport, String> {
    let page_index = input.page_index.unwrap_or(0);
    let blank = |hook: &str| PluginTestReport {
        hook: hook.into(),
        boxes: None,
        lines: None,
        fields: None,
        error: None,
        logs: Vec::new(),
        elapsed_ms: 0.0,
        fuel_used: 0,
        memory_peak_bytes: 0,
    };
    fn finish<T>(
        mut out: PluginTestReport,
        r: Result<CallReport<T>, PluginError>,
        put: impl FnOnce(&mut PluginTestReport, T),
    ) -> PluginTestReport {
        match r {
            Ok(rep) => {
                out.logs = rep.logs;
                out.elapsed_ms = rep.elapsed.as_secs_f64() * 1e3;
                out.fuel_used = rep.fuel_used;
                out.memory_peak_bytes = rep.memory_peak;
                put(&mut out, rep.output);
            }
            Err(e) => out.error = Some(ocr_core::JobError::new(e.code(), e.to_string())),
        }
        out
    }
    match (input.boxes, input.lines, input.pages) {
        (Some(boxes), None, None) => {
            let page = DetectPage { page_index, width: input.width, height: input.height, boxes };
            let r = host.filter_boxes(plugin, &input.config, &page);
            Ok(finish(blank("filter_boxes"), r, |out, b| out.boxes = Some(b)))
        }
        (None, Some(lines), None) => {
            let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
            let page =
                OcrPage { page_index, width: input.width, height: input.height, lines, text, ..Default::default() };
            let r = host.normalize_text(plugin, &input.config, &page);
            Ok(finish(blank("normalize_text"), r, |out, l| out.lines = Some(l)))
        }
        (None, None, Some(pages)) => {
            let doc = ocr_core::OcrResult::new(pages, String::new());
            let r = host.extract_fields(plugin, &input.config, &doc);
            Ok(finish(blank("extract_fields"), r, |out, f| out.fields = Some(f)))
        }
        _ => {
            Err("send exactly one of `boxes` (filter_boxes), `lines` (normalize_text) or `pages` (extract_fields)"
                .into())
        }
    }
}

/// The `X-Pipeline-Version` header of pipeline answers.
const VERSION_HEADER: &str = "x-pipeline-version";

/// Jobs one replay may cover.
const MAX_REPLAY_JOBS: usize = 100;

fn with_version(pipeline: Pipeline, version: i64) -> Response {
    let mut res = axum::Json(pipeline).into_response();
    res.headers_mut().insert(VERSION_HEADER, axum::http::HeaderValue::from(version));
    res
}

/// Checks a pipeline for the tenant and loads its plugins: every step's plugin must exist for
/// the tenant and implement its hook.
async fn resolve_pipeline(state: &AppState, tenant: &TenantId, pipeline: &Pipeline) -> ApiResult<Candidate> {
    pipeline.validate().map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
    let mut candidate = Candidate::default();
    for (hook, steps) in pipeline.stages() {
        for step in steps {
            let Some((info, plugin)) = state.plugins.resolve(&state.backends, tenant, &step.plugin).await? else {
                return Err(ApiError::new(
                    ErrorCode::PluginInvalid,
                    format!("{hook}: no plugin {:?} (see GET /v1/plugins)", step.plugin),
                ));
            };
            if !info.hooks.implements(hook) {
                return Err(ApiError::new(
                    ErrorCode::PluginInvalid,
                    format!("{hook}: plugin {} does not implement {hook}", step.plugin),
                ));
            }
            let resolved = ResolvedStep { step: step.clone(), plugin };
            match hook {
                "filter_boxes" => candidate.filter_boxes.push(resolved),
                "normalize_text" => candidate.normalize_text.push(resolved),
                _ => candidate.extract_fields.push(resolved),
            }
        }
    }
    Ok(candidate)
}

/// The tenant's live pipeline: ordered plugins per hook with their config and failure policy.
/// Its version is in the `X-Pipeline-Version` header (0: never set).
#[utoipa::path(get, path = "/v1/pipeline", tag = "plugins", params(("X-Tenant-Id" = String, Header)),
    responses((status = 200, body = Pipeline, headers(("X-Pipeline-Version" = i64, description = "The live version")))))]
pub async fn get_pipeline(State(state): State<AppState>, Tenant(tenant): Tenant) -> ApiResult<Response> {
    let (version, pipeline) = state.backends.db.pipeline(&tenant).await?;
    Ok(with_version(pipeline, version))
}

/// Makes a new pipeline live, as the next version (the previous ones are kept: see
/// `GET /v1/pipeline/versions`). Every plugin must exist for the tenant and implement its hook.
/// Jobs read the pipeline per task, so the next task runs with it.
#[utoipa::path(put, path = "/v1/pipeline", tag = "plugins", params(("X-Tenant-Id" = String, Header)), request_body = Pipeline,
    responses((status = 200, body = Pipeline, headers(("X-Pipeline-Version" = i64, description = "The new version"))),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_pipeline(State(state): State<AppState>, Tenant(tenant): Tenant, body: Bytes) -> ApiResult<Response> {
    let pipeline: Pipeline = parse_json(&body, state.limits.max_json_bytes)?;
    resolve_pipeline(&state, &tenant, &pipeline).await?;
    let saved = state.backends.db.put_pipeline(&tenant, &pipeline, "put").await?;
    Ok(with_version(saved.pipeline, saved.version))
}

/// A pipeline version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PipelineVersionView {
    pub version: i64,
    pub pipeline: Pipeline,
    /// `put`, or `rollback:N` for a copy of version N.
    pub source: String,
    pub created_at: String,
}

impl From<ocr_store::PipelineVersion> for PipelineVersionView {
    fn from(v: ocr_store::PipelineVersion) -> Self {
        Self { version: v.version, pipeline: v.pipeline, source: v.source, created_at: rfc3339(v.created_at) }
    }
}

/// The tenant's pipeline versions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PipelineVersions {
    /// The live version (0: never set).
    pub current: i64,
    /// Newest first, at most 100.
    pub versions: Vec<PipelineVersionView>,
}

/// Every pipeline the tenant made live, newest first; jobs name theirs in `pipeline_version`.
#[utoipa::path(get, path = "/v1/pipeline/versions", tag = "plugins", params(("X-Tenant-Id" = String, Header)),
    responses((status = 200, body = PipelineVersions)))]
pub async fn pipeline_versions(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> ApiResult<axum::Json<PipelineVersions>> {
    let (current, _) = state.backends.db.pipeline(&tenant).await?;
    let versions = state.backends.db.pipeline_versions(&tenant, 100).await?;
    Ok(axum::Json(PipelineVersions { current, versions: versions.into_iter().map(Into::into).collect() }))
}

/// Which version to make live again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    pub version: i64,
}

/// Makes an earlier version live again, as a new version copying it (`source` `rollback:N`), so
/// the history only grows. Its plugins must still exist.
#[utoipa::path(post, path = "/v1/pipeline/rollback", tag = "plugins", params(("X-Tenant-Id" = String, Header)), request_body = Rollback,
    responses((status = 200, body = PipelineVersionView, headers(("X-Pipeline-Version" = i64, description = "The new version"))),
        (status = 404, body = ErrorBody, description = "No such version"),
        (status = 422, body = ErrorBody, description = "A plugin of that version no longer exists")))]
pub async fn rollback_pipeline(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    body: Bytes,
) -> ApiResult<Response> {
    let Rollback { version } = parse_json(&body, state.limits.max_json_bytes)?;
    let old = state
        .backends
        .db
        .pipeline_version(&tenant, version)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no pipeline version {version}")))?;
    resolve_pipeline(&state, &tenant, &old.pipeline).await?;
    let saved = state.backends.db.put_pipeline(&tenant, &old.pipeline, &format!("rollback:{version}")).await?;
    let version = saved.version;
    let mut res = axum::Json(PipelineVersionView::from(saved)).into_response();
    res.headers_mut().insert(VERSION_HEADER, axum::http::HeaderValue::from(version));
    Ok(res)
}

/// A candidate pipeline and the jobs to replay it on: `last` (the tenant's N latest DONE jobs,
/// default 20) or `job_ids`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    pub pipeline: Pipeline,
    pub last: Option<usize>,
    pub job_ids: Option<Vec<String>>,
}

/// A job replay could not cover.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkippedJob {
    pub job_id: String,
    pub reason: String,
}

/// What the candidate would change, per job and in total.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplayReport {
    pub jobs: Vec<JobReplay>,
    pub skipped: Vec<SkippedJob>,
    pub total: ReplayTotal,
}

/// Runs a candidate pipeline on what the tenant's jobs stored — its `filter_boxes` plugins on
/// the detector's boxes, its `normalize_text` plugins on the recognizer's lines, its
/// `extract_fields` plugins on those lines with the stored page structure — in the production
/// sandbox and limits, and reports against the live pipeline's output: boxes kept and
/// dropped, lines changed with a diff, fields added, removed or changed (`field_diff`, by
/// name), plugin errors by code, time and fuel. No model runs and nothing is written.
#[utoipa::path(post, path = "/v1/pipeline/replay", tag = "plugins", params(("X-Tenant-Id" = String, Header)), request_body = ReplayRequest,
    responses((status = 200, body = ReplayReport), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replay_pipeline(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    body: Bytes,
) -> ApiResult<axum::Json<ReplayReport>> {
    let request: ReplayRequest = parse_json(&body, state.limits.max_json_bytes)?;
    let candidate = resolve_pipeline(&state, &tenant, &request.pipeline).await?;
    let db = &state.backends.db;
    let mut skipped = Vec::new();
    let mut jobs = Vec::new();
    match (request.last, request.job_ids) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(ErrorCode::BadRequest, "send one of `last` and `job_ids`, not both"));
        }
        (None, Some(ids)) => {
            if ids.len() > MAX_REPLAY_JOBS {
                return Err(ApiError::new(ErrorCode::BadRequest, format!("at most {MAX_REPLAY_JOBS} job_ids")));
            }
            for raw in ids {
                // Another tenant's job is skipped like a missing one.
                let job = match raw.parse() {
                    Ok(id) => db.job(&tenant, id).await?,
                    Err(_) => None,
                };
                match job {
                    Some(job) if job.detect_result.is_some() || job.ocr_result.is_some() => jobs.push(job),
                    Some(job) => skipped.push(SkippedJob {
                        job_id: raw,
                        reason: format!("nothing stored to replay on yet (the job is {})", job.status),
                    }),
                    None => skipped.push(SkippedJob { job_id: raw, reason: "no such job".into() }),
                }
            }
        }
        (last, None) => {
            let n = last.unwrap_or(20);
            if !(1..=MAX_REPLAY_JOBS).contains(&n) {
                return Err(ApiError::new(ErrorCode::BadRequest, format!("last must be 1-{MAX_REPLAY_JOBS}")));
            }
            for summary in db.list_jobs(&tenant, Some(ocr_core::JobStatus::Done), None, n as u32).await? {
                if let Some(job) = db.job(&tenant, summary.id).await? {
                    jobs.push(job);
                }
            }
        }
    }
    let mut inputs = Vec::with_capacity(jobs.len());
    for job in &jobs {
        inputs.push(ocr_worker::replay::stored_input(&state.backends, job).await?);
    }
    let host = state.plugins.host().clone();
    let replayed = tokio::task::spawn_blocking(move || {
        inputs.iter().map(|i| replay_job(&host, &candidate, i)).collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::unavailable("replay crashed", &e))?;
    let total = ReplayTotal::of(&replayed);
    Ok(axum::Json(ReplayReport { jobs: replayed, skipped, total }))
}
