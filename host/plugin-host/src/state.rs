//! The data of one call's `Store`: the empty WASI context, the tenant config, the log, and the
//! memory limiter that tells a memory-limit trap apart from other traps.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::ocr::plugin::{host, types};

/// Severity of a plugin's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// One line a plugin logged during a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// The log of one call, capped at `max_bytes` (each line counts its length plus one).
pub(crate) struct LogSink {
    pub(crate) lines: Vec<LogLine>,
    used: usize,
    max_bytes: usize,
    dropped: usize,
}

impl LogSink {
    fn new(max_bytes: usize) -> Self {
        Self { lines: Vec::new(), used: 0, max_bytes, dropped: 0 }
    }

    pub(crate) fn push(&mut self, level: LogLevel, message: String) {
        let cost = message.len() + 1;
        if self.dropped > 0 || self.used + cost > self.max_bytes {
            self.dropped += 1;
            return;
        }
        self.used += cost;
        self.lines.push(LogLine { level, message });
    }

    /// The lines, plus one saying how many were dropped when the cap was hit.
    pub(crate) fn finish(mut self) -> Vec<LogLine> {
        if self.dropped > 0 {
            self.lines.push(LogLine {
                level: LogLevel::Warn,
                message: format!(
                    "{} more log line(s) dropped: the log of one call is capped at {} bytes",
                    self.dropped, self.max_bytes
                ),
            });
        }
        self.lines
    }
}

/// Caps linear memory and remembers whether the cap was hit and how high memory grew.
pub(crate) struct MemoryLimiter {
    max_bytes: usize,
    pub(crate) peak: usize,
    pub(crate) exceeded: bool,
}

/// Table elements one instance may grow to. Stops a plugin from growing function tables to
/// exhaust host memory (Rust plugins use a few hundred).
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = true;
            // An error (not `Ok(false)`) traps right away instead of letting the guest's
            // allocator see a failed `memory.grow` and abort with a less telling trap.
            wasmtime::bail!("plugin memory limit of {} bytes exceeded ({desired} requested)", self.max_bytes);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Bytes of guest stderr kept per call: enough for a panic message, small beside the log cap.
const STDERR_BYTES: usize = 4096;

/// The guest's stderr, kept up to a cap so that a panic message can be reported. Writes past
/// the cap are dropped, never refused (a refused write makes Rust's `eprintln!` panic).
#[derive(Clone)]
pub(crate) struct StderrCapture {
    buf: Arc<Mutex<Vec<u8>>>,
    cap: usize,
}

impl StderrCapture {
    fn new(cap: usize) -> Self {
        Self { buf: Arc::default(), cap }
    }

    /// What the guest wrote, lossily decoded and trimmed.
    pub(crate) fn text(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buf).trim().to_string()
    }
}

impl IsTerminal for StderrCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for StderrCapture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // Only WASI 0.3 asks for this, and the host does not link 0.3.
        Box::new(MemoryOutputPipe::new(0))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for StderrCapture {
    async fn ready(&mut self) {}
}

impl OutputStream for StderrCapture {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        let mut buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.cap.saturating_sub(buf.len());
        buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

/// Everything one call's `Store` holds. Built fresh for every call.
pub(crate) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    config: BTreeMap<String, String>,
    pub(crate) log: LogSink,
    pub(crate) memory: MemoryLimiter,
    pub(crate) stderr: StderrCapture,
}

impl CallState {
    pub(crate) fn new(config: &BTreeMap<String, String>, max_log_bytes: usize, memory_bytes: usize) -> Self {
        let stderr = StderrCapture::new(STDERR_BYTES.min(max_log_bytes));
        Self {
            // Nothing preopened, no environment, no arguments, stdin empty, stdout discarded,
            // stderr kept for panic messages: it only satisfies the `wasi:io`/`wasi:cli`
            // imports Rust's std adds.
            wasi: WasiCtx::builder().stderr(stderr.clone()).build(),
            table: ResourceTable::new(),
            config: config.clone(),
            log: LogSink::new(max_log_bytes),
            memory: MemoryLimiter { max_bytes: memory_bytes, peak: 0, exceeded: false },
            stderr,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for CallState {}

impl host::Host for CallState {
    fn log(&mut self, level: types::LogLevel, message: String) {
        let level = match level {
            types::LogLevel::Debug => LogLevel::Debug,
            types::LogLevel::Info => LogLevel::Info,
            types::LogLevel::Warn => LogLevel::Warn,
            types::LogLevel::Error => LogLevel::Error,
        };
        self.log.push(level, message);
    }

    fn get_config(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_stops_at_the_cap_and_says_how_much_it_dropped() {
        let mut log = LogSink::new(11);
        log.push(LogLevel::Info, "12345".into());
        log.push(LogLevel::Info, "6789".into());
        log.push(LogLevel::Info, "x".into());
        log.push(LogLevel::Info, "".into());
        let lines = log.finish();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].message, "6789");
        assert!(lines[2].message.starts_with("2 more log line(s) dropped"));
        assert_eq!(lines[2].level, LogLevel::Warn);
    }
}
