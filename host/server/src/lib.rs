//! The `ocr-server` binary: REST API, worker, migrations and local OCR.
//!
//! Owns: reading settings (flags, environment, `.env`), choosing backends (embedded SQLite +
//! local folder + in-process queue, or PostgreSQL + S3-compatible storage + Redis Streams),
//! wiring the API, workers and the sweeper together, logging, and graceful shutdown.
//! Everything below it takes typed settings. Async on a multi-threaded tokio runtime; OCR runs
//! on the blocking pool.

pub mod api;
pub mod corrections;
pub mod metrics;
pub mod pages;
pub mod settings;
pub mod ui;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use ocr_store::{Db, MemoryQueue, Objects, Patience, Queue, RedisQueue};
use ocr_worker::{Backends, NativeOcr, Ocr, Plugins, Worker};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::settings::{
    Cli, Command, CorrectionsCommand, HookArg, LogFormat, ModelsCommand, OutputFormat, PluginCommand, Resolved,
    ServeArgs, StorageArgs, WorkerArgs,
};

/// The model fetch script, embedded so `ocr-server models fetch` works from any folder.
const FETCH_MODELS_SCRIPT: &str = include_str!("../../../scripts/fetch-models.sh");
/// The int8 quantizer the fetch script runs, and the pages it calibrates on (the repository's
/// fixtures), so `models fetch` works from the binary alone.
const QUANTIZE_SCRIPT: &str = include_str!("../../../scripts/quantize.py");
const CALIBRATION_PAGES: [(&str, &[u8]); 9] = [
    ("en_invoice.png", include_bytes!("../../../tests/fixtures/en_invoice.png")),
    ("en_rotated_15deg.png", include_bytes!("../../../tests/fixtures/en_rotated_15deg.png")),
    ("vi_paragraph.png", include_bytes!("../../../tests/fixtures/vi_paragraph.png")),
    ("synth_vi_01_receipt_photo.jpg", include_bytes!("../../../tests/fixtures/synth_vi_01_receipt_photo.jpg")),
    ("synth_vi_02_receipt_scan.jpg", include_bytes!("../../../tests/fixtures/synth_vi_02_receipt_scan.jpg")),
    ("synth_vi_03_form_photo.jpg", include_bytes!("../../../tests/fixtures/synth_vi_03_form_photo.jpg")),
    ("synth_vi_04_sign_scene.jpg", include_bytes!("../../../tests/fixtures/synth_vi_04_sign_scene.jpg")),
    ("gt.json", include_bytes!("../../../tests/fixtures/gt.json")),
    ("synth_vi_gt.json", include_bytes!("../../../tests/fixtures/synth_vi_gt.json")),
];

pub fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("error: .env could not be read: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args, true).await,
        Command::Api(args) => serve(args, false).await,
        Command::Worker(args) => worker(args).await,
        Command::Migrate(args) => {
            init_logging(LogFormat::Text);
            let resolved = resolve(&args)?;
            let db = connect_db(&resolved, &args).await?;
            db.migrate().await.context("applying migrations")?;
            println!("migrations applied to {}", redact_url(&resolved.database_url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Ocr(args) => local_ocr(args).await,
        Command::Models { command } => models(command).await,
        Command::Plugin { command } => plugin(command),
        Command::Corrections { command } => corrections(command).await,
    }
}

fn resolve(args: &StorageArgs) -> anyhow::Result<Resolved> {
    args.resolve().map_err(|m| anyhow::anyhow!("invalid configuration: {m}"))
}

async fn connect_db(resolved: &Resolved, args: &StorageArgs) -> anyhow::Result<Db> {
    if resolved.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&resolved.data_dir)
            .with_context(|| format!("creating the data folder {}", resolved.data_dir.display()))?;
    }
    Db::connect(&resolved.database_url, args.db_max_connections)
        .await
        .with_context(|| format!("connecting to the database {} (DATABASE_URL)", redact_url(&resolved.database_url)))
}

/// Connects every backend. `in_process_worker` allows the in-process queue.
async fn connect(
    args: &StorageArgs,
    in_process_worker: bool,
    auto_migrate: bool,
) -> anyhow::Result<(Backends, Resolved)> {
    let resolved = resolve(args)?;
    let db = connect_db(&resolved, args).await?;
    if auto_migrate || resolved.database_url.starts_with("sqlite:") {
        db.migrate().await.context("applying migrations")?;
    }
    let queue: Arc<dyn Queue> = match &resolved.redis_url {
        Some(url) => Arc::new(
            RedisQueue::connect(url, &args.queue_stream, Duration::from_secs(300))
                .await
                .with_context(|| format!("connecting to Redis {} (REDIS_URL)", redact_url(url)))?,
        ),
        None if in_process_worker => Arc::new(MemoryQueue::default()),
        None => bail!(
            "invalid configuration: REDIS_URL must be set for the api and worker roles (the in-process queue only works with `serve`)"
        ),
    };
    let objects = objects(&resolved, Patience::Background)?;
    Ok((Backends { db, objects, queue }, resolved))
}

fn objects(resolved: &Resolved, patience: Patience) -> anyhow::Result<Objects> {
    Ok(match &resolved.s3 {
        Some(s3) => Objects::s3(s3, patience).context("configuring S3 storage (S3_ENDPOINT)")?,
        None => Objects::local(&resolved.data_dir.join("objects")).context("creating the local object folder")?,
    })
}

/// `user:password@` and a `password=` query parameter removed from URLs before they reach logs
/// or errors.
fn redact_url(url: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let mut out = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &base[..s], &base[at + 1..]),
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out = format!("{out}?{}", params.join("&"));
    }
    out
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,hyper=warn,object_store=warn,reqwest=warn,ort=warn,tower_http=warn")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn shutdown_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
        info!("shutting down");
        t.cancel();
    });
    token
}

/// The plugin host of the process with the built-in plugins loaded.
fn plugins(args: &settings::PluginArgs, resolved: &Resolved) -> anyhow::Result<Arc<Plugins>> {
    let cache = args.plugin_cache_dir.clone().unwrap_or_else(|| resolved.data_dir.join("plugin-cache"));
    let host = ocr_plugin_host::PluginHost::new(args.limits(), Some(cache)).context("starting the plugin host")?;
    Ok(Arc::new(Plugins::new(Arc::new(host), Some(&args.builtin_plugins_dir))))
}

fn spawn_workers(
    backends: &Backends,
    ocr: &Arc<dyn Ocr>,
    plugins: &Arc<Plugins>,
    args: &settings::WorkerTuning,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..args.concurrency)
        .map(|i| {
            let worker =
                Arc::new(Worker::new(backends.clone(), ocr.clone(), Some(plugins.clone()), args.worker_settings(i)));
            tokio::spawn(worker.run(shutdown.clone()))
        })
        .collect()
}

/// The outbox sender and retention, which every long-running process runs (both are safe in
/// any number of processes at once).
fn spawn_background(
    backends: &Backends,
    args: &settings::ProcessArgs,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(args.webhooks.sender().run(backends.db.clone(), shutdown.clone())),
        tokio::spawn(args.retention.retention().run(backends.clone(), shutdown.clone())),
    ]
}

async fn serve(args: ServeArgs, with_worker: bool) -> anyhow::Result<ExitCode> {
    init_logging(args.process.log.log_format);
    args.process.worker.validate().map_err(|m| anyhow::anyhow!("invalid configuration: {m}"))?;
    let resolved = resolve(&args.process.storage)?;
    let auth_mode = args
        .auth
        .resolve(args.bind, resolved.is_embedded())
        .map_err(|m| anyhow::anyhow!("invalid configuration: {m}"))?;
    if auth_mode == api::auth::AuthMode::Header && !args.bind.ip().is_loopback() {
        tracing::warn!(bind = %args.bind, "OCR_ALLOW_HEADER_AUTH: X-Tenant-Id is trusted on a non-loopback address; anyone who reaches it can act as any tenant");
    }
    let (backends, resolved) = connect(&args.process.storage, with_worker, with_worker).await?;
    let plugins = plugins(&args.process.plugins, &resolved)?;
    let shutdown = shutdown_signal();
    let mut tasks = Vec::new();
    let ocr: Option<Arc<dyn Ocr>> = if with_worker {
        let ocr: Arc<dyn Ocr> =
            Arc::new(NativeOcr::new(args.process.models.inference_config(), args.process.limits.decode_limits()));
        tasks.extend(spawn_workers(&backends, &ocr, &plugins, &args.process.worker, &shutdown));
        Some(ocr)
    } else {
        None
    };
    tasks.push(tokio::spawn(args.process.worker.sweeper().run(backends.clone(), shutdown.clone())));
    tasks.extend(spawn_background(&backends, &args.process, &shutdown));
    let watch = api::watch::JobWatch::default();
    tasks.push(tokio::spawn(watch.clone().run(backends.db.clone(), shutdown.clone())));
    let state = api::AppState {
        watch,
        // Requests fail fast when the object store is down (503 with Retry-After); the
        // workers and background tasks above keep their patient client.
        backends: Backends { objects: objects(&resolved, Patience::Request)?, ..backends.clone() },
        ocr,
        plugins,
        limits: api::ApiLimits {
            max_upload_bytes: args.process.limits.max_upload_bytes,
            max_boxes_per_page: args.process.limits.max_boxes_per_page,
            max_json_bytes: args.process.limits.max_json_bytes,
            quota: args.auth.default_quota(),
            decode: args.process.limits.decode_limits(),
        },
        webhook_allow_private: args.process.webhooks.webhook_allow_private,
        retention_default_days: args.process.retention.retention_days.max(1),
        auth: Arc::new(api::auth::Auth::new(
            auth_mode,
            args.auth.operator_token.as_deref(),
            api::auth::Rate { per_sec: args.auth.write_rate_per_sec, burst: args.auth.write_rate_burst },
            api::auth::Rate { per_sec: args.auth.read_rate_per_sec, burst: args.auth.read_rate_burst },
        )),
    };
    ui::warn_if_missing();
    let metrics = metrics::install().context("installing the metrics recorder")?;
    let app = api::router(state).merge(metrics::router(metrics, backends.clone()));
    let listener =
        tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("binding {} (OCR_BIND)", args.bind))?;
    let local = listener.local_addr()?;
    info!(
        addr = %local,
        mode = if resolved.is_embedded() { "embedded" } else { "production" },
        auth = ?auth_mode,
        database = %redact_url(&resolved.database_url),
        queue = %backends.queue.describe(),
        objects = %backends.objects.description(),
        "listening on http://{local} (review UI at /ui, API docs at /docs)"
    );
    let stop = shutdown.clone();
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await?;
    for t in tasks {
        let _ = t.await;
    }
    Ok(ExitCode::SUCCESS)
}

async fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.process.log.log_format);
    args.process.worker.validate().map_err(|m| anyhow::anyhow!("invalid configuration: {m}"))?;
    let (backends, resolved) = connect(&args.process.storage, false, false).await?;
    let ocr: Arc<dyn Ocr> =
        Arc::new(NativeOcr::new(args.process.models.inference_config(), args.process.limits.decode_limits()));
    let plugins = plugins(&args.process.plugins, &resolved)?;
    let shutdown = shutdown_signal();
    let mut tasks = spawn_workers(&backends, &ocr, &plugins, &args.process.worker, &shutdown);
    if let Some(bind) = args.metrics_bind {
        let handle = metrics::install().context("installing the metrics recorder")?;
        let listener =
            tokio::net::TcpListener::bind(bind).await.with_context(|| format!("binding {bind} (OCR_METRICS_BIND)"))?;
        info!(addr = %listener.local_addr()?, "worker metrics at /metrics");
        let stop = shutdown.clone();
        let app = metrics::router(handle, backends.clone()).route("/health", axum::routing::get(api::health));
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
        }));
    }
    tasks.extend(spawn_background(&backends, &args.process, &shutdown));
    tasks.push(tokio::spawn(args.process.worker.sweeper().run(backends, shutdown.clone())));
    for t in tasks {
        let _ = t.await;
    }
    Ok(ExitCode::SUCCESS)
}

async fn local_ocr(args: settings::OcrArgs) -> anyhow::Result<ExitCode> {
    init_logging(LogFormat::Text);
    let ocr = NativeOcr::new(args.models.inference_config(), args.limits.decode_limits());
    ocr.ready().map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let mut options = ocr_core::JobOptions { lang: args.lang, ..Default::default() };
    options.detect.canvas_size = args.canvas;
    options.detect.validate().map_err(|m| anyhow::anyhow!("{m}"))?;
    let mut failed = false;
    let mut outputs = Vec::new();
    // Two stages in step: while one file is recognized, the next one is detected (the detector
    // and the recognizer are separate sessions), so a folder takes about the time of the slower
    // stage per file instead of both, for the same CPU time.
    let files = &args.files;
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let (ocr, options) = (&ocr, &options);
            let (to_recognize, detected) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for file in files {
                    let read =
                        std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display())).and_then(|bytes| {
                            match ocr.detect(&bytes, options) {
                                Ok(boxes) => Ok((bytes, boxes)),
                                Err(e) => Err(format!("{}: {} ({})", file.display(), e.message, e.code)),
                            }
                        });
                    if to_recognize.send((file, read)).is_err() {
                        return;
                    }
                }
            });
            for (file, read) in detected {
                match read.and_then(|(bytes, boxes)| {
                    ocr.recognize(&bytes, &boxes, options, Default::default())
                        .map_err(|e| format!("{}: {} ({})", file.display(), e.message, e.code))
                }) {
                    Ok(mut result) => {
                        ocr_layout::annotate(&mut result);
                        outputs.push((file.display().to_string(), result))
                    }
                    Err(message) => {
                        eprintln!("{message}");
                        failed = true;
                    }
                }
            }
        })
    });
    match args.format {
        OutputFormat::Text => {
            for (i, (name, result)) in outputs.iter().enumerate() {
                if args.files.len() > 1 {
                    println!("{}==> {name} <==", if i > 0 { "\n" } else { "" });
                }
                println!("{}", ocr_formats::text(result));
            }
        }
        OutputFormat::Json => {
            let docs: Vec<_> = outputs.iter().map(|(name, r)| serde_json::json!({"file": name, "result": r})).collect();
            println!("{}", serde_json::to_string_pretty(&docs)?);
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

async fn models(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelsCommand::Status(models) => {
            let cfg = models.inference_config();
            println!("models folder: {}", cfg.models_dir.display());
            let missing = cfg.missing_files();
            if missing.is_empty() {
                println!("all model files are present");
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &missing {
                    println!("missing: {}", m.display());
                }
                println!("run `ocr-server models fetch` to download them");
                Ok(ExitCode::FAILURE)
            }
        }
        ModelsCommand::Fetch { gpu, models } => {
            let cfg = models.inference_config();
            let scratch = std::env::temp_dir().join(format!("ocr-models-fetch-{}", std::process::id()));
            let calib = scratch.join("calibration");
            std::fs::create_dir_all(&calib).with_context(|| format!("creating {}", calib.display()))?;
            let written = std::fs::write(scratch.join("quantize.py"), QUANTIZE_SCRIPT).and_then(|()| {
                CALIBRATION_PAGES.iter().try_for_each(|(name, bytes)| std::fs::write(calib.join(name), bytes))
            });
            let status = written.map_err(anyhow::Error::from).and_then(|()| {
                let mut cmd = std::process::Command::new("bash");
                cmd.arg("-s").arg("--");
                if gpu {
                    cmd.arg("--gpu");
                }
                cmd.env("OCR_MODELS_DIR", &cfg.models_dir)
                    .env("OCR_QUANTIZE_SCRIPT", scratch.join("quantize.py"))
                    .env("OCR_CALIB_DIR", &calib)
                    .stdin(std::process::Stdio::piped());
                let mut child = cmd.spawn().context("starting bash to run the model fetch script")?;
                if let Some(mut stdin) = child.stdin.take() {
                    use std::io::Write;
                    stdin.write_all(FETCH_MODELS_SCRIPT.as_bytes())?;
                }
                Ok(child.wait()?)
            });
            let _ = std::fs::remove_dir_all(&scratch);
            Ok(if status?.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// `ocr-server plugin check|run`: the production sandbox, locally, for plugin authors.
fn plugin(command: PluginCommand) -> anyhow::Result<ExitCode> {
    let (file, args) = match &command {
        PluginCommand::Check { file, plugins }
        | PluginCommand::Run { file, plugins, .. }
        | PluginCommand::Replay { file, plugins, .. } => (file, plugins),
    };
    let wasm = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let file = file.clone();
    let limits = args.limits();
    let host = ocr_plugin_host::PluginHost::new(limits.clone(), None).context("starting the plugin host")?;
    let plugin = match host.load(&wasm) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: {e} ({})", file.display(), e.code());
            return Ok(ExitCode::FAILURE);
        }
    };
    match command {
        PluginCommand::Check { .. } => {
            let hooks: Vec<&str> = [
                ("filter-boxes", plugin.hooks.filter_boxes),
                ("normalize-text", plugin.hooks.normalize_text),
                ("extract-fields", plugin.hooks.extract_fields),
            ]
            .iter()
            .filter(|h| h.1)
            .map(|h| h.0)
            .collect();
            println!("{}: valid plugin, sha256 {}", file.display(), plugin.sha256);
            println!("hooks: {}", hooks.join(", "));
            println!(
                "limits per call: deadline {} ms, fuel {}, memory {} MiB, at most {} input items, {} output boxes, {} bytes of text per line or field, {} fields, {} bytes of logs",
                limits.deadline.as_millis(),
                limits.fuel,
                limits.memory_bytes / (1024 * 1024),
                limits.max_input_items,
                limits.max_output_boxes,
                limits.max_text_len,
                limits.max_fields,
                limits.max_log_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Run { hook, input, config, .. } => {
            let text = std::fs::read_to_string(&input).with_context(|| format!("reading {}", input.display()))?;
            if hook == HookArg::ExtractFields {
                return extract_fields_locally(&host, &plugin, &text, &input, config);
            }
            let mut page: api::plugins::PluginTest =
                serde_json::from_str(&text).with_context(|| format!("{} is not a valid page", input.display()))?;
            page.config.extend(config);
            let given = match (&page.boxes, &page.pages) {
                (Some(_), _) => HookArg::FilterBoxes,
                (None, Some(_)) => HookArg::ExtractFields,
                (None, None) => HookArg::NormalizeText,
            };
            if given != hook {
                bail!(
                    "--hook {hook:?} needs `{}` in the input",
                    if hook == HookArg::FilterBoxes { "boxes" } else { "lines" }
                );
            }
            let report = api::plugins::run_test(&host, &plugin, page).map_err(|m| anyhow::anyhow!(m))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.error.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        PluginCommand::Replay { file, jobs_from, config, .. } => {
            use ocr_worker::replay::{Candidate, ReplayInput, ReplayTotal, ResolvedStep, replay_job};
            let step = ResolvedStep {
                step: ocr_core::PipelineStep {
                    plugin: file.display().to_string(),
                    config: config.into_iter().collect(),
                    on_failure: ocr_core::FailurePolicy::Fail,
                },
                plugin: plugin.clone(),
            };
            let mut candidate = Candidate::default();
            if plugin.hooks.filter_boxes {
                candidate.filter_boxes.push(step.clone());
            }
            if plugin.hooks.normalize_text {
                candidate.normalize_text.push(step.clone());
            }
            if plugin.hooks.extract_fields {
                candidate.extract_fields.push(step);
            }
            let dir = if jobs_from.join("jobs").is_dir() { jobs_from.join("jobs") } else { jobs_from };
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            if files.is_empty() {
                bail!("no exported jobs (*.json) in {}", dir.display());
            }
            let mut jobs = Vec::with_capacity(files.len());
            for path in files {
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                let input: ReplayInput = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not an exported job", path.display()))?;
                jobs.push(replay_job(&host, &candidate, &input));
            }
            let total = ReplayTotal::of(&jobs);
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({"jobs": jobs, "total": total}))?);
            eprintln!(
                "{} job(s): {} of {} lines changed, {} field(s) changed, {} of {} boxes kept, {} failed call(s), {:.1} ms in the plugin",
                total.jobs,
                total.lines_changed,
                total.lines,
                total.fields_changed,
                total.boxes_kept,
                total.boxes_input,
                total.errors_by_code.values().sum::<u64>(),
                total.elapsed_ms
            );
            Ok(if total.jobs_failing > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}

/// `plugin run --hook extract-fields`: runs the hook on a job's result (`{"pages": […]}`) or on
/// every file of `ocr-server ocr --format json` output, and prints a report per document.
fn extract_fields_locally(
    host: &ocr_plugin_host::PluginHost,
    plugin: &ocr_plugin_host::Plugin,
    text: &str,
    input: &std::path::Path,
    config: Vec<(String, String)>,
) -> anyhow::Result<ExitCode> {
    #[derive(serde::Deserialize)]
    struct OcrOutput {
        file: String,
        result: ocr_core::OcrResult,
    }
    let docs: Vec<(Option<String>, ocr_core::OcrResult)> = match serde_json::from_str::<Vec<OcrOutput>>(text) {
        Ok(files) => files.into_iter().map(|f| (Some(f.file), f.result)).collect(),
        Err(_) => vec![(
            None,
            serde_json::from_str(text).with_context(|| {
                format!("{} is neither a result {{\"pages\": […]}} nor `ocr --format json` output", input.display())
            })?,
        )],
    };
    let config: std::collections::BTreeMap<_, _> = config.into_iter().collect();
    let mut failed = false;
    let mut reports = Vec::with_capacity(docs.len());
    for (file, doc) in docs {
        let test = api::plugins::PluginTest {
            page_index: None,
            width: 0,
            height: 0,
            config: config.clone(),
            boxes: None,
            lines: None,
            pages: Some(doc.pages),
        };
        let report = api::plugins::run_test(host, plugin, test).map_err(|m| anyhow::anyhow!(m))?;
        failed |= report.error.is_some();
        reports.push(match file {
            Some(file) => serde_json::json!({"file": file, "report": report}),
            None => serde_json::to_value(&report)?,
        });
    }
    let out = if reports.len() == 1 && reports[0].get("file").is_none() {
        reports.remove(0)
    } else {
        serde_json::Value::Array(reports)
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `ocr-server corrections export`: a tenant's corrections as a dataset folder.
async fn corrections(command: CorrectionsCommand) -> anyhow::Result<ExitCode> {
    let CorrectionsCommand::Export { tenant, out, since, storage, limits } = command;
    init_logging(LogFormat::Text);
    let tenant = ocr_core::TenantId::parse(&tenant).ok_or_else(|| anyhow::anyhow!("invalid tenant id {tenant:?}"))?;
    let since = match since {
        Some(s) => time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|_| anyhow::anyhow!("--since must be an RFC 3339 time, got {s:?}"))?,
        None => i64::MIN,
    };
    let (backends, _) = connect(&storage, true, false).await?;
    if !backends.db.tenant_settings(&tenant).await?.share_corrections {
        eprintln!(
            "tenant {tenant} does not share its corrections; it opts in with PUT /v1/settings {{\"share_corrections\": true}}"
        );
        return Ok(ExitCode::FAILURE);
    }
    let images = out.join("images");
    let jobs_dir = out.join("jobs");
    for dir in [&images, &jobs_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut lines_file = std::io::BufWriter::new(std::fs::File::create(out.join("lines.jsonl"))?);
    let mut boxes_file = std::io::BufWriter::new(std::fs::File::create(out.join("boxes.jsonl"))?);
    let (mut n_jobs, mut n_lines, mut n_pages) = (0, 0, 0);
    let mut after = None;
    let decode = limits.decode_limits();
    loop {
        let page = backends.db.reviewed_jobs(&tenant, since, after, 50).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.reviewed_at.unwrap_or_default(), last.id));
        for job in &page {
            let records = crate::corrections::job_corrections(&backends, &decode, job)
                .await
                .map_err(|e| anyhow::anyhow!("job {}: {} ({})", job.id, e.message, e.code))?;
            if records.is_empty() {
                continue;
            }
            n_jobs += 1;
            for (record, crop) in records {
                use std::io::Write as _;
                match record {
                    crate::corrections::Correction::Line(mut line) => {
                        if let Some(crop) = crop {
                            let name = format!("images/{}-p{}-l{}.png", line.job_id, line.page_index, line.line_index);
                            std::fs::write(out.join(&name), crop.png)?;
                            line.image = Some(name);
                        }
                        serde_json::to_writer(&mut lines_file, &line)?;
                        lines_file.write_all(b"\n")?;
                        n_lines += 1;
                    }
                    crate::corrections::Correction::Boxes(boxes) => {
                        serde_json::to_writer(&mut boxes_file, &boxes)?;
                        boxes_file.write_all(b"\n")?;
                        n_pages += 1;
                    }
                }
            }
            let input = ocr_worker::replay::stored_input(&backends, job).await?;
            std::fs::write(jobs_dir.join(format!("{}.json", job.id)), serde_json::to_vec(&input)?)?;
        }
    }
    use std::io::Write as _;
    lines_file.flush()?;
    boxes_file.flush()?;
    println!(
        "{n_lines} corrected line(s) and {n_pages} page(s) of corrected boxes from {n_jobs} job(s) written to {}",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_in_logs() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://***@h:5432/db");
        assert_eq!(redact_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
    }
}
