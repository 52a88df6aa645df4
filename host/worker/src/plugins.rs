//! Tenant plugins in the pipeline: resolves a tenant's chain per hook and runs it, sandboxed,
//! on the blocking pool. Built-in plugins come from a folder of components loaded at start-up;
//! tenant plugins come from object storage (keys from the database) and are compiled once per
//! content hash.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ocr_core::{
    DetectResult, ErrorCode, FailurePolicy, JobError, JobNotes, OcrResult, PipelineStep, PluginLogLine, TenantId,
};
use ocr_plugin_host::{Plugin, PluginError, PluginHost};
use ocr_store::objects::keys;
use tracing::warn;

use crate::Backends;

/// Prefix of built-in plugin ids (`builtin.min-box-filter`).
pub const BUILTIN_PREFIX: &str = "builtin.";

/// Metadata of a plugin a tenant can use.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: i64,
    /// The pipeline stages it implements.
    pub hooks: ocr_core::PluginHooks,
    pub builtin: bool,
    pub created_at: Option<i64>,
}

/// The plugin host of the process plus the built-in plugins.
pub struct Plugins {
    host: Arc<PluginHost>,
    builtins: Vec<(PluginInfo, Arc<Plugin>)>,
    /// Tenant plugins compiled so far, by plugin id.
    loaded: Mutex<HashMap<String, Arc<Plugin>>>,
}

impl Plugins {
    /// Loads every `*.wasm` in `builtin_dir` as a built-in plugin named after its file.
    /// A missing folder means no built-ins (logged).
    pub fn new(host: Arc<PluginHost>, builtin_dir: Option<&Path>) -> Self {
        let mut builtins = Vec::new();
        if let Some(dir) = builtin_dir {
            match std::fs::read_dir(dir) {
                Ok(entries) => {
                    let mut paths: Vec<_> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                        .collect();
                    paths.sort();
                    for path in paths {
                        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                        match std::fs::read(&path)
                            .map_err(|e| e.to_string())
                            .and_then(|b| host.load(&b).map(|p| (p, b.len())).map_err(|e| e.to_string()))
                        {
                            Ok((plugin, size)) => builtins.push((
                                PluginInfo {
                                    id: format!("{BUILTIN_PREFIX}{name}"),
                                    name,
                                    version: env!("CARGO_PKG_VERSION").into(),
                                    sha256: plugin.sha256.clone(),
                                    size: size as i64,
                                    hooks: plugin.hooks,
                                    builtin: true,
                                    created_at: None,
                                },
                                plugin,
                            )),
                            Err(e) => {
                                warn!(path = %path.display(), error = %e, "skipping a built-in plugin that does not load")
                            }
                        }
                    }
                }
                Err(e) => {
                    warn!(dir = %dir.display(), error = %e, "no built-in plugins (build them with scripts/build-plugins.sh)")
                }
            }
        }
        Self { host, builtins, loaded: Mutex::new(HashMap::new()) }
    }

    pub fn host(&self) -> &Arc<PluginHost> {
        &self.host
    }

    pub fn builtins(&self) -> impl Iterator<Item = &PluginInfo> {
        self.builtins.iter().map(|(i, _)| i)
    }

    /// A plugin the tenant may use: a built-in or one of its own. `None` when neither.
    pub async fn resolve(
        &self,
        backends: &Backends,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<(PluginInfo, Arc<Plugin>)>, JobError> {
        if let Some((info, plugin)) = self.builtins.iter().find(|(i, _)| i.id == id) {
            return Ok(Some((info.clone(), plugin.clone())));
        }
        let unavailable = |e: ocr_store::Error| {
            warn!(error = %e, "could not read a tenant plugin");
            JobError::new(ErrorCode::ServiceUnavailable, "could not read the tenant's plugin; will retry")
        };
        let Some(row) = backends.db.plugin(tenant, id).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let info = PluginInfo {
            id: row.id.clone(),
            name: row.name,
            version: row.version,
            sha256: row.sha256,
            size: row.size,
            hooks: row.hooks,
            builtin: false,
            created_at: Some(row.created_at),
        };
        let cached = self.loaded.lock().unwrap_or_else(|e| e.into_inner()).get(&row.id).cloned();
        if let Some(plugin) = cached {
            return Ok(Some((info, plugin)));
        }
        let bytes = backends.objects.get(&keys::plugin(tenant, &row.id)).await.map_err(unavailable)?;
        let host = self.host.clone();
        let plugin = tokio::task::spawn_blocking(move || host.load(&bytes))
            .await
            .map_err(|e| JobError::new(ErrorCode::Internal, format!("plugin load crashed: {e}")))?
            .map_err(|e| plugin_error(&info.id, &e))?;
        self.loaded.lock().unwrap_or_else(|e| e.into_inner()).insert(row.id, plugin.clone());
        Ok(Some((info, plugin)))
    }

    /// Runs the tenant's `filter-boxes` chain on every page.
    pub async fn filter_boxes(
        &self,
        backends: &Backends,
        tenant: &TenantId,
        steps: &[PipelineStep],
        result: &mut DetectResult,
        notes: &mut JobNotes,
    ) -> Result<(), JobError> {
        for step in steps {
            let Some((_, plugin)) = self.step_plugin(backends, tenant, step).await? else { continue };
            for page in result.pages.iter_mut() {
                let (host, p, config, input) = (self.host.clone(), plugin.clone(), step.config.clone(), page.clone());
                let call = tokio::task::spawn_blocking(move || host.filter_boxes(&p, &config, &input)).await;
                match flatten("filter_boxes", call) {
                    Ok(report) => {
                        record_logs(notes, &step.plugin, "filter_boxes", page.page_index, &report.logs);
                        page.boxes = report.output;
                    }
                    Err(e) => {
                        apply_policy(step, "filter_boxes", page.page_index, &e, notes)?;
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the tenant's `normalize-text` chain on every page.
    pub async fn normalize_text(
        &self,
        backends: &Backends,
        tenant: &TenantId,
        steps: &[PipelineStep],
        result: &mut OcrResult,
        notes: &mut JobNotes,
    ) -> Result<(), JobError> {
        if steps.is_empty() {
            return Ok(());
        }
        for step in steps {
            let Some((info, plugin)) = self.step_plugin(backends, tenant, step).await? else { continue };
            let mut ran = false;
            for page in result.pages.iter_mut() {
                let (host, p, config, input) = (self.host.clone(), plugin.clone(), step.config.clone(), page.clone());
                let call = tokio::task::spawn_blocking(move || host.normalize_text(&p, &config, &input)).await;
                match flatten("normalize_text", call) {
                    Ok(report) => {
                        record_logs(notes, &step.plugin, "normalize_text", page.page_index, &report.logs);
                        page.lines = report.output;
                        ran = true;
                    }
                    Err(e) => {
                        apply_policy(step, "normalize_text", page.page_index, &e, notes)?;
                        break;
                    }
                }
            }
            if ran {
                result.plugins.push(format!("{}@{}", info.name, info.version));
            }
        }
        result.rebuild_text();
        Ok(())
    }

    /// Runs the tenant's `extract-fields` chain once on the whole document, after recognition,
    /// `normalize_text` and the layout, and stores what every step found in `result.fields`
    /// (replacing fields of an earlier run). A step that fails under `skip` adds no fields.
    pub async fn extract_fields(
        &self,
        backends: &Backends,
        tenant: &TenantId,
        steps: &[PipelineStep],
        result: &mut OcrResult,
        notes: &mut JobNotes,
    ) -> Result<(), JobError> {
        let mut fields = Vec::new();
        for step in steps {
            let Some((info, plugin)) = self.step_plugin(backends, tenant, step).await? else { continue };
            let (host, p, config, input) = (self.host.clone(), plugin.clone(), step.config.clone(), result.clone());
            let call = tokio::task::spawn_blocking(move || host.extract_fields(&p, &config, &input)).await;
            // Logs and failures of a document-wide call are filed under its first page.
            let first_page = result.pages.first().map_or(0, |p| p.page_index);
            match flatten("extract_fields", call) {
                Ok(report) => {
                    record_logs(notes, &step.plugin, "extract_fields", first_page, &report.logs);
                    fields.extend(report.output);
                    result.plugins.push(format!("{}@{}", info.name, info.version));
                }
                Err(e) => apply_policy(step, "extract_fields", first_page, &e, notes)?,
            }
        }
        result.fields = fields;
        Ok(())
    }

    /// The step's plugin; a plugin deleted since the pipeline was saved follows the step's policy.
    async fn step_plugin(
        &self,
        backends: &Backends,
        tenant: &TenantId,
        step: &PipelineStep,
    ) -> Result<Option<(PluginInfo, Arc<Plugin>)>, JobError> {
        match self.resolve(backends, tenant, &step.plugin).await? {
            Some(found) => Ok(Some(found)),
            None => {
                let e = JobError::new(ErrorCode::PluginInvalid, format!("plugin {} no longer exists", step.plugin));
                match step.on_failure {
                    FailurePolicy::Fail => Err(e),
                    FailurePolicy::Skip => Ok(None),
                }
            }
        }
    }
}

fn flatten<T>(
    hook: &'static str,
    r: Result<Result<ocr_plugin_host::CallReport<T>, PluginError>, tokio::task::JoinError>,
) -> Result<ocr_plugin_host::CallReport<T>, PluginError> {
    let r = r.map_err(|e| PluginError::Internal(format!("plugin call crashed: {e}"))).and_then(|r| r);
    match &r {
        Ok(report) => {
            metrics::histogram!("ocr_plugin_seconds", "hook" => hook).record(report.elapsed.as_secs_f64());
            metrics::counter!("ocr_plugin_fuel_total", "hook" => hook).increment(report.fuel_used);
        }
        Err(e) => {
            metrics::counter!("ocr_plugin_failures_total", "hook" => hook, "code" => e.code().as_str()).increment(1)
        }
    }
    r
}

fn plugin_error(plugin: &str, e: &PluginError) -> JobError {
    JobError::new(e.code(), format!("plugin {plugin}: {e}"))
}

fn record_logs(notes: &mut JobNotes, plugin: &str, hook: &str, page_index: u32, logs: &[ocr_plugin_host::LogLine]) {
    for l in logs {
        notes.log(PluginLogLine {
            plugin: plugin.to_owned(),
            hook: hook.to_owned(),
            page_index,
            level: format!("{:?}", l.level).to_lowercase(),
            message: l.message.clone(),
        });
    }
}

/// A failed call: the job fails, or the plugin is skipped for the rest of the job with a warning.
fn apply_policy(
    step: &PipelineStep,
    hook: &str,
    page_index: u32,
    e: &PluginError,
    notes: &mut JobNotes,
) -> Result<(), JobError> {
    match step.on_failure {
        FailurePolicy::Fail => Err(plugin_error(&step.plugin, e)),
        FailurePolicy::Skip => {
            notes.warnings.push(format!(
                "{hook} plugin {} skipped on page {page_index}: {} ({})",
                step.plugin,
                e,
                e.code()
            ));
            Ok(())
        }
    }
}
