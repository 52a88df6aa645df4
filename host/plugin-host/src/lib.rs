//! Runs tenant plugins: WebAssembly components targeting the WIT package `ocr:plugin`
//! (`wit/ocr-plugin.wit`), sandboxed with wasmtime.
//!
//! Owns: the one wasmtime [`Engine`] of the process (with its epoch ticker thread), the one
//! `bindgen!` site, the limits of a call ([`Limits`]), loading and validating uploaded
//! components, the cache of compiled components (in memory, and precompiled artefacts on disk),
//! the three hooks (`filter-boxes`, `normalize-text`, `extract-fields`), and the classification of failures into the
//! catalog's `plugin_*` codes ([`PluginError::code`]).
//!
//! Must not: touch storage or the network, or read settings. Callers hand it component bytes,
//! tenant config and pages; plugins get no file system, network, clock, environment or
//! arguments, only `log`, `get-config` and the parts of WASI that Rust's std links.
//!
//! Resources: each [`PluginHost`] owns an engine whose pooling allocator reserves address space
//! for 256 concurrent instances up front (about 256 × (`memory_bytes` + 32 MiB guard), ~24 GiB
//! of virtual memory with the defaults, committed only as used) and one ticker thread. Make one
//! per process; tests that need several should keep them few.
//!
//! Threading: the API is synchronous and CPU-bound. [`PluginHost`] is `Send + Sync`; share one
//! per process (e.g. in an `Arc`) and call it from many threads at once. From async code, call
//! it inside `tokio::task::spawn_blocking` (the WASI streams block on a runtime internally and
//! must not run on a runtime worker thread). Each call builds a fresh `Store` and instance from
//! the plugin's `InstancePre` (microseconds), so nothing survives from one call to the next.

mod convert;
mod error;
mod limits;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

pub use error::PluginError;
pub use limits::Limits;
pub use state::{LogLevel, LogLine};

use bindings::exports::ocr::plugin::{box_filter, field_extractor, text_normalizer};
use state::CallState;

/// The crate's result type.
pub type Result<T, E = PluginError> = std::result::Result<T, E>;

/// Bindings generated from `wit/ocr-plugin.wit`: the only `bindgen!` in the platform.
/// The world `all-hooks-plugin` has every hook; a component exporting only some still loads
/// (components built before `extract-fields` existed included), because each exported
/// interface is looked up on its own (see [`PluginHost::load`]).
mod bindings {
    wasmtime::component::bindgen!({ path: "../../wit", world: "all-hooks-plugin" });
}

/// How often the epoch advances: the resolution of [`Limits::deadline`].
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Compiled plugins kept in memory; past this, the least recently loaded is dropped (it is
/// reloaded from the disk cache, or recompiled, next time).
const MEMORY_CACHE_ENTRIES: usize = 256;

/// Instances that may exist at once in the pooling allocator: calls running in parallel.
/// Bounds the virtual memory reserved up front (one memory slot each).
const POOL_INSTANCES: u32 = 256;

/// Bytes of a panic message kept in [`PluginError::Failed`].
const PANIC_MESSAGE_BYTES: usize = 1024;

/// The interface names a component exports for each hook.
const BOX_FILTER_EXPORT: &str = "ocr:plugin/box-filter@0.1.0";
const TEXT_NORMALIZER_EXPORT: &str = "ocr:plugin/text-normalizer@0.1.0";
const FIELD_EXTRACTOR_EXPORT: &str = "ocr:plugin/field-extractor@0.1.0";

/// Which hooks a plugin exports.
pub type Hooks = ocr_core::PluginHooks;

/// A loaded, validated, compiled plugin, ready to be called any number of times.
pub struct Plugin {
    /// Hex SHA-256 of the component bytes: the plugin's identity in the caches.
    pub sha256: String,
    /// Which hooks it exports.
    pub hooks: Hooks,
    engine: Engine,
    pre: InstancePre<CallState>,
    box_filter: Option<box_filter::GuestIndices>,
    text_normalizer: Option<text_normalizer::GuestIndices>,
    field_extractor: Option<field_extractor::GuestIndices>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("sha256", &self.sha256).field("hooks", &self.hooks).finish_non_exhaustive()
    }
}

/// The result of a successful call, with what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CallReport<T> {
    /// What the hook returned, validated and converted.
    pub output: T,
    /// What the plugin logged, capped at [`Limits::max_log_bytes`].
    pub logs: Vec<LogLine>,
    /// Wall-clock time of the call, instantiation included.
    pub elapsed: Duration,
    /// Fuel the call consumed.
    pub fuel_used: u64,
    /// Largest linear memory the instance grew to, in bytes.
    pub memory_peak: usize,
}

struct MemoryCache {
    entries: HashMap<String, (Arc<Plugin>, u64)>,
    clock: u64,
}

/// Loads and runs plugins under [`Limits`]. One per process; `Send + Sync`.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<CallState>,
    limits: Limits,
    cache_dir: Option<PathBuf>,
    /// File name suffix of precompiled artefacts: hash of the engine's compatibility settings.
    engine_hash: String,
    cache: Mutex<MemoryCache>,
    ticker_stop: Arc<AtomicBool>,
    disk_hits: AtomicU64,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("limits", &self.limits).field("cache_dir", &self.cache_dir).finish()
    }
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl PluginHost {
    /// Builds the engine (epoch interruption, fuel, pooling allocator sized by `limits`), the
    /// linker, and starts the epoch ticker thread. With `cache_dir`, compiled components are
    /// stored there and reused across processes; the folder must be writable by this service
    /// only, because artefacts in it are loaded as trusted native code.
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> Result<Self> {
        limits.check().map_err(|e| PluginError::Internal(format!("invalid plugin limits: {e}")))?;
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| PluginError::Internal(format!("cannot create plugin cache {}: {e}", dir.display())))?;
        }
        let engine = build_engine(&limits)?;
        let mut linker = Linker::new(&engine);
        add_sandbox_wasi(&mut linker).map_err(internal("linking WASI"))?;
        bindings::AllHooksPlugin::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(internal("linking the host interface"))?;

        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_hash = format!("{:016x}", hasher.finish());

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (stop, ticker_engine) = (ticker_stop.clone(), engine.clone());
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(|e| PluginError::Internal(format!("cannot start the epoch ticker: {e}")))?;

        Ok(Self {
            engine,
            linker,
            limits,
            cache_dir,
            engine_hash,
            cache: Mutex::new(MemoryCache { entries: HashMap::new(), clock: 0 }),
            ticker_stop,
            disk_hits: AtomicU64::new(0),
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many loads were served from precompiled artefacts on disk (for tests and metrics).
    pub fn disk_cache_hits(&self) -> u64 {
        self.disk_hits.load(Ordering::Relaxed)
    }

    /// Validates and compiles an uploaded component, or returns it from the caches.
    ///
    /// Refused with [`PluginError::Invalid`]: more than [`Limits::max_component_bytes`], not a
    /// component (e.g. a core module), does not compile, imports anything beyond `ocr:plugin/host`
    /// and the WASI parts std needs (file system, sockets, clocks…), or exports no hook (or
    /// one with the wrong signature). Compiling takes ~60 ms in release builds (~0.7 s in debug).
    pub fn load(&self, wasm: &[u8]) -> Result<Arc<Plugin>, PluginError> {
        if wasm.len() > self.limits.max_component_bytes {
            return Err(PluginError::Invalid(format!(
                "the component is {} bytes, at most {} are allowed",
                wasm.len(),
                self.limits.max_component_bytes
            )));
        }
        match wasm_kind(wasm) {
            Some(WasmKind::Component) => {}
            Some(WasmKind::CoreModule) => {
                return Err(PluginError::Invalid(
                    "a core WebAssembly module, not a component: build with `--target wasm32-wasip2` and wit-bindgen"
                        .into(),
                ));
            }
            None => return Err(PluginError::Invalid("not a WebAssembly component".into())),
        }
        let sha256 = hex(&Sha256::digest(wasm));
        if let Some(plugin) = self.cached(&sha256) {
            return Ok(plugin);
        }

        let component = match self.load_precompiled(&sha256) {
            Some(c) => c,
            None => {
                let started = Instant::now();
                let component = Component::from_binary(&self.engine, wasm)
                    .map_err(|e| PluginError::Invalid(format!("the component does not compile: {e:#}")))?;
                tracing::debug!(sha256, elapsed = ?started.elapsed(), "compiled plugin");
                self.store_precompiled(&sha256, &component);
                component
            }
        };
        let plugin = Arc::new(self.prepare(sha256, component)?);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.clock += 1;
        let tick = cache.clock;
        if cache.entries.len() >= MEMORY_CACHE_ENTRIES
            && let Some(oldest) = cache.entries.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| k.clone())
        {
            cache.entries.remove(&oldest);
        }
        cache.entries.insert(plugin.sha256.clone(), (plugin.clone(), tick));
        Ok(plugin)
    }

    /// Calls `filter-boxes` on one page. `config` is the tenant's plugin configuration, which the
    /// plugin reads with `get-config`.
    pub fn filter_boxes(
        &self,
        p: &Plugin,
        config: &BTreeMap<String, String>,
        page: &ocr_core::DetectPage,
    ) -> Result<CallReport<Vec<ocr_core::TextBox>>, PluginError> {
        let Some(indices) = &p.box_filter else {
            return Err(PluginError::HookMissing("filter-boxes"));
        };
        self.check_input(page.boxes.len())?;
        let info = convert::page_info(page.page_index, page.width, page.height);
        let boxes: Vec<_> = page.boxes.iter().map(convert::text_box).collect();
        self.call(p, config, |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest.call_filter_boxes(store, info, &boxes)
        })
        .and_then(|report| report.try_map(|out| convert::filtered_boxes(out, page.boxes.len(), &info, &self.limits)))
    }

    /// Calls `normalize-text` on one page. `config` as for [`PluginHost::filter_boxes`].
    pub fn normalize_text(
        &self,
        p: &Plugin,
        config: &BTreeMap<String, String>,
        page: &ocr_core::OcrPage,
    ) -> Result<CallReport<Vec<ocr_core::OcrLine>>, PluginError> {
        let Some(indices) = &p.text_normalizer else {
            return Err(PluginError::HookMissing("normalize-text"));
        };
        self.check_input(page.lines.len())?;
        let info = convert::page_info(page.page_index, page.width, page.height);
        let lines: Vec<_> = page.lines.iter().map(convert::text_line).collect();
        self.call(p, config, |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest.call_normalize_text(store, info, &lines)
        })
        .and_then(|report| report.try_map(|out| convert::normalized_lines(out, &page.lines, &info, &self.limits)))
    }

    /// Calls `extract-fields` on a whole document: its final lines and page structure. The
    /// fields are checked against the document (names, sizes, count, pages and line ids that
    /// exist); `config` as for [`PluginHost::filter_boxes`].
    pub fn extract_fields(
        &self,
        p: &Plugin,
        config: &BTreeMap<String, String>,
        doc: &ocr_core::OcrResult,
    ) -> Result<CallReport<Vec<ocr_core::Field>>, PluginError> {
        let Some(indices) = &p.field_extractor else {
            return Err(PluginError::HookMissing("extract-fields"));
        };
        self.check_input(doc.pages.iter().map(|page| page.lines.len()).sum())?;
        let document = convert::document(doc);
        self.call(p, config, |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest.call_extract_fields(store, &document)
        })
        .and_then(|report| report.try_map(|out| convert::fields(out, doc, &self.limits)))
    }

    fn check_input(&self, given: usize) -> Result<()> {
        if given > self.limits.max_input_items {
            return Err(PluginError::TooManyItems { given, max: self.limits.max_input_items });
        }
        Ok(())
    }

    /// Runs one hook in a fresh store under the limits, and classifies what went wrong.
    fn call<T>(
        &self,
        p: &Plugin,
        config: &BTreeMap<String, String>,
        run: impl FnOnce(
            &mut Store<CallState>,
            &wasmtime::component::Instance,
        ) -> wasmtime::Result<Result<T, bindings::ocr::plugin::types::PluginError>>,
    ) -> Result<CallReport<T>> {
        if !Engine::same(&p.engine, &self.engine) {
            return Err(PluginError::Internal("the plugin was loaded by another PluginHost".into()));
        }
        let started = Instant::now();
        let state = CallState::new(config, self.limits.max_log_bytes, self.limits.memory_bytes);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.set_fuel(self.limits.fuel).map_err(internal("setting fuel"))?;
        store.set_epoch_deadline(self.limits.deadline_ticks());
        store.epoch_deadline_trap();

        let outcome = match p.pre.instantiate(&mut store) {
            Ok(instance) => run(&mut store, &instance).map_err(|e| classify_trap(e, store.data())),
            Err(e) => Err(classify_instantiation(e, store.data())),
        };
        let elapsed = started.elapsed();
        let fuel_used = self.limits.fuel - store.get_fuel().unwrap_or(0);
        let state = store.into_data();
        let memory_peak = state.memory.peak;
        let stderr = state.stderr.text();
        let mut log = state.log;
        if !stderr.is_empty() {
            log.push(LogLevel::Warn, format!("stderr: {stderr}"));
        }
        let logs = log.finish();
        tracing::debug!(sha256 = p.sha256, ?elapsed, fuel_used, memory_peak, "plugin call");
        let output = match outcome? {
            Ok(output) => output,
            Err(e) => {
                return Err(PluginError::Failed(truncate(e.message, self.limits.max_text_len)));
            }
        };
        Ok(CallReport { output, logs, elapsed, fuel_used, memory_peak })
    }

    fn cached(&self, sha256: &str) -> Option<Arc<Plugin>> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.clock += 1;
        let tick = cache.clock;
        let (plugin, used) = cache.entries.get_mut(sha256)?;
        *used = tick;
        Some(plugin.clone())
    }

    fn artefact_path(&self, sha256: &str) -> Option<PathBuf> {
        Some(self.cache_dir.as_ref()?.join(format!("{sha256}-{}.cwasm", self.engine_hash)))
    }

    fn load_precompiled(&self, sha256: &str) -> Option<Component> {
        let path = self.artefact_path(sha256)?;
        if !path.exists() {
            return None;
        }
        // SAFETY: artefacts in the cache folder are written only by `store_precompiled` (the
        // folder must be writable by this service alone, see `new`); wasmtime still checks that
        // the artefact matches this engine's settings and refuses it otherwise.
        match unsafe { Component::deserialize_file(&self.engine, &path) } {
            Ok(c) => {
                self.disk_hits.fetch_add(1, Ordering::Relaxed);
                Some(c)
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "discarding unusable precompiled plugin");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    fn store_precompiled(&self, sha256: &str, component: &Component) {
        let Some(path) = self.artefact_path(sha256) else {
            return;
        };
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|bytes| std::fs::write(&tmp, bytes).map_err(|e| e.to_string()))
            .and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| e.to_string()));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(path = %path.display(), error, "cannot store precompiled plugin; it will be recompiled");
        }
    }

    /// Links the component against the sandbox and finds its hooks.
    fn prepare(&self, sha256: String, component: Component) -> Result<Plugin> {
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            PluginError::Invalid(format!(
                "the component needs imports the platform does not provide (plugins get only \
                 ocr:plugin/host and the WASI streams, cli and random interfaces): {e:#}"
            ))
        })?;
        let box_filter = hook(&pre, BOX_FILTER_EXPORT, box_filter::GuestIndices::new)?;
        let text_normalizer = hook(&pre, TEXT_NORMALIZER_EXPORT, text_normalizer::GuestIndices::new)?;
        let field_extractor = hook(&pre, FIELD_EXTRACTOR_EXPORT, field_extractor::GuestIndices::new)?;
        if box_filter.is_none() && text_normalizer.is_none() && field_extractor.is_none() {
            return Err(PluginError::Invalid(format!(
                "the component exports none of the hooks {BOX_FILTER_EXPORT}, {TEXT_NORMALIZER_EXPORT}, \
                 {FIELD_EXTRACTOR_EXPORT}"
            )));
        }
        let hooks = Hooks {
            filter_boxes: box_filter.is_some(),
            normalize_text: text_normalizer.is_some(),
            extract_fields: field_extractor.is_some(),
        };
        Ok(Plugin { sha256, hooks, engine: self.engine.clone(), pre, box_filter, text_normalizer, field_extractor })
    }
}

impl<T> CallReport<T> {
    fn try_map<U>(self, f: impl FnOnce(T) -> Result<U, String>) -> Result<CallReport<U>> {
        let output = f(self.output).map_err(PluginError::InvalidOutput)?;
        Ok(CallReport {
            output,
            logs: self.logs,
            elapsed: self.elapsed,
            fuel_used: self.fuel_used,
            memory_peak: self.memory_peak,
        })
    }
}

/// Looks up one exported hook: absent is fine, present with the wrong types is not.
fn hook<I>(
    pre: &InstancePre<CallState>,
    name: &str,
    indices: impl FnOnce(&InstancePre<CallState>) -> wasmtime::Result<I>,
) -> Result<Option<I>> {
    if pre.component().get_export_index(None, name).is_none() {
        return Ok(None);
    }
    indices(pre)
        .map(Some)
        .map_err(|e| PluginError::Invalid(format!("the component exports {name} with the wrong signature: {e:#}")))
}

fn build_engine(limits: &Limits) -> Result<Engine> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .consume_fuel(true)
        // Reserve only what a memory may grow to (not wasmtime's default 4 GiB per memory):
        // each pool slot then costs ~memory_bytes of address space instead of 4 GiB, so tests
        // and small containers can hold several hosts. The price is explicit bounds checks.
        .memory_reservation(limits.memory_bytes as u64)
        .memory_reservation_for_growth(0);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOL_INSTANCES)
        .total_memories(POOL_INSTANCES)
        .total_tables(POOL_INSTANCES)
        .total_core_instances(POOL_INSTANCES * 4)
        .max_memory_size(limits.memory_bytes);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(e) => {
            // The pool reserves address space up front, which some sandboxes refuse.
            tracing::warn!(error = %e, "pooling allocator unavailable, allocating instances on demand");
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Engine::new(&config).map_err(internal("building the wasmtime engine"))
        }
    }
}

/// Marker for the WASI interfaces that only need the resource table.
struct HasTable;

impl wasmtime::component::HasData for HasTable {
    type Data<'a> = &'a mut wasmtime::component::ResourceTable;
}

/// Links the parts of WASI 0.2 that Rust's std imports, and nothing else: streams, cli
/// (environment, exit, stdio, terminals) and random. No file system, sockets or clocks, so a
/// component that imports them is refused at load (and nothing can sleep past its deadline in
/// a host call).
fn add_sandbox_wasi(l: &mut Linker<CallState>) -> wasmtime::Result<()> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::p2::bindings::sync::io;
    use wasmtime_wasi::p2::bindings::{cli, random};
    use wasmtime_wasi::random::{WasiRandom, WasiRandomView};
    use wasmtime_wasi::{WasiCtxView, WasiView};

    fn table(s: &mut CallState) -> &mut wasmtime::component::ResourceTable {
        let WasiCtxView { table, .. } = s.ctx();
        table
    }
    io::error::add_to_linker::<CallState, HasTable>(l, table)?;
    io::poll::add_to_linker::<CallState, HasTable>(l, table)?;
    io::streams::add_to_linker::<CallState, HasTable>(l, table)?;
    cli::exit::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::environment::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::stdin::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::stdout::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::stderr::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::terminal_input::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::terminal_output::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::terminal_stdin::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::terminal_stdout::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    cli::terminal_stderr::add_to_linker::<CallState, WasiCli>(l, CallState::cli)?;
    random::random::add_to_linker::<CallState, WasiRandom>(l, CallState::random)?;
    random::insecure::add_to_linker::<CallState, WasiRandom>(l, CallState::random)?;
    random::insecure_seed::add_to_linker::<CallState, WasiRandom>(l, CallState::random)?;
    Ok(())
}

/// A trap or error while a hook ran.
fn classify_trap(e: wasmtime::Error, state: &CallState) -> PluginError {
    if state.memory.exceeded {
        return PluginError::MemoryExceeded;
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => PluginError::Timeout,
        Some(Trap::OutOfFuel) => PluginError::OutOfFuel,
        Some(Trap::UnreachableCodeReached) => {
            // A Rust panic prints its message to stderr before aborting.
            let stderr = state.stderr.text();
            let message: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("note: ")).collect();
            PluginError::Failed(if message.is_empty() {
                "the plugin crashed (a panic or an `unreachable` instruction)".into()
            } else {
                truncate(format!("the plugin panicked: {}", message.join(" ")), PANIC_MESSAGE_BYTES)
            })
        }
        Some(Trap::StackOverflow) => PluginError::Failed("the plugin overflowed its stack".into()),
        Some(trap) => PluginError::Failed(format!("the plugin trapped: {trap}")),
        None => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => PluginError::Failed(format!("the plugin exited with status {}", exit.0)),
            // Host-side errors surfacing through the call (e.g. lifting a malformed return
            // value) are still caused by the plugin.
            None => PluginError::Failed(format!("{e:#}")),
        },
    }
}

/// Instantiation runs the component's start-up code, which can trap like a call; anything else
/// (e.g. every pooling slot busy) is the host's problem.
fn classify_instantiation(e: wasmtime::Error, state: &CallState) -> PluginError {
    if state.memory.exceeded || e.downcast_ref::<Trap>().is_some() {
        return classify_trap(e, state);
    }
    PluginError::Internal(format!("cannot instantiate the plugin: {e:#}"))
}

enum WasmKind {
    Component,
    CoreModule,
}

/// Reads the 8-byte header: magic, then version and layer (`1, 0` for components, `0, 0` for
/// core modules).
fn wasm_kind(bytes: &[u8]) -> Option<WasmKind> {
    match bytes.get(..8)? {
        [0, b'a', b's', b'm', _, _, 1, 0] => Some(WasmKind::Component),
        [0, b'a', b's', b'm', 1, 0, 0, 0] => Some(WasmKind::CoreModule),
        _ => None,
    }
}

fn internal(what: &'static str) -> impl Fn(wasmtime::Error) -> PluginError {
    move |e| PluginError::Internal(format!("{what}: {e:#}"))
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PluginHost>();
        check::<Plugin>();
    }

    #[test]
    fn deadline_rounds_up_to_whole_ticks_and_one_for_the_tick_under_way() {
        let limits = Limits { deadline: Duration::from_millis(25), ..Limits::default() };
        assert_eq!(limits.deadline_ticks(), 4);
        assert_eq!(Limits::default().deadline_ticks(), 201);
    }

    #[test]
    fn long_plugin_messages_are_cut_at_a_char_boundary() {
        assert_eq!(truncate("héllo".into(), 2), "h");
        assert_eq!(truncate("abc".into(), 5), "abc");
    }
}
