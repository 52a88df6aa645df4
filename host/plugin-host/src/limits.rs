//! What one plugin call may use. Every limit says which abuse it prevents.

use std::time::Duration;

/// Limits applied to every plugin a [`PluginHost`](crate::PluginHost) loads and calls.
///
/// The defaults suit the built-in plugins with a wide margin: they run in well under a
/// millisecond and a few MiB of memory on a page of 500 boxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for one call, instantiation included. Stops a plugin that loops or is
    /// just slow from holding a worker thread (checked every 10 ms: a call is never stopped
    /// before it, and at most two ticks after it).
    pub deadline: Duration,
    /// Fuel (roughly one unit per WebAssembly instruction) for one call. Stops a plugin that
    /// burns CPU, deterministically: the same input runs out at the same point however loaded
    /// the machine is.
    pub fuel: u64,
    /// Linear memory one call may grow to. Stops a plugin from exhausting the worker's memory;
    /// growing past it traps and fails the call with `plugin_memory_exceeded`.
    pub memory_bytes: usize,
    /// Boxes or lines handed to one call. Keeps the copy into the plugin (which counts against
    /// its memory) bounded, so a huge page is refused up front rather than blamed on the plugin.
    pub max_input_items: usize,
    /// Boxes a `filter-boxes` call may return (it may never return more than it was given).
    /// Stops a plugin from flooding recognition with work.
    pub max_output_boxes: usize,
    /// Bytes of text in one line returned by `normalize-text`, and in one field's `value` or
    /// `normalized` returned by `extract-fields`. Stops a plugin from inflating stored results.
    pub max_text_len: usize,
    /// Fields one `extract-fields` call may return. Stops a plugin from inflating stored
    /// results (with `max_text_len`, a call adds at most ~2 MiB to a result by default).
    pub max_fields: usize,
    /// Size of an uploaded component. Bounds compile time and memory at upload.
    pub max_component_bytes: usize,
    /// Bytes of log one call may write (each line counts its length plus one). Stops a plugin
    /// from flooding job records; lines past the cap are dropped and a last line says how many.
    pub max_log_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(2),
            fuel: 2_000_000_000,
            memory_bytes: 64 << 20,
            max_input_items: 10_000,
            max_output_boxes: 10_000,
            max_text_len: 4096,
            max_fields: 256,
            max_component_bytes: 8 << 20,
            max_log_bytes: 64 << 10,
        }
    }
}

impl Limits {
    /// Refuses limits that would make every call fail or the engine unbuildable.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.deadline.is_zero() {
            return Err("deadline must be positive".into());
        }
        if self.fuel == 0 {
            return Err("fuel must be positive".into());
        }
        if self.memory_bytes < (1 << 20) {
            return Err("memory_bytes must be at least 1 MiB".into());
        }
        if self.max_component_bytes == 0 {
            return Err("max_component_bytes must be positive".into());
        }
        Ok(())
    }

    /// The deadline in epoch ticks, rounded up, and one more: the ticker runs on its own, so its
    /// next tick may come right after a call starts, and a call is stopped at the deadline's last
    /// tick; the extra one keeps a plugin from being stopped before its whole deadline has passed
    /// (it is stopped at most two ticks after it: one for the rounding, one for the ticker's
    /// phase).
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let tick = crate::EPOCH_TICK.as_nanos();
        self.deadline.as_nanos().div_ceil(tick).max(1) as u64 + 1
    }
}
