//! Why loading or calling a plugin failed, each cause mapped to its own [`ErrorCode`].

use ocr_core::ErrorCode;

/// The crate's error. Variants that are the plugin's fault carry a message the tenant can read;
/// [`PluginError::Internal`] is the host's own problem and its message is for operators only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The call ran past [`Limits::deadline`](crate::Limits::deadline).
    #[error("the plugin ran past its deadline")]
    Timeout,
    /// The call used up [`Limits::fuel`](crate::Limits::fuel).
    #[error("the plugin used up its fuel (CPU budget)")]
    OutOfFuel,
    /// The call tried to grow its memory past [`Limits::memory_bytes`](crate::Limits::memory_bytes).
    #[error("the plugin tried to use more memory than allowed")]
    MemoryExceeded,
    /// The plugin returned its own `plugin-error` (the message is the plugin's), or crashed:
    /// panic, `unreachable`, stack overflow, exit.
    #[error("the plugin failed: {0}")]
    Failed(String),
    /// The plugin returned something that breaks the contract (a box outside the page, more
    /// boxes than given, a confidence outside `[0, 1]`, …).
    #[error("the plugin returned invalid output: {0}")]
    InvalidOutput(String),
    /// The upload is not a usable plugin: not a component, too big, does not compile, imports
    /// what plugins may not use, or exports no hook of `ocr:plugin`.
    #[error("not a valid plugin: {0}")]
    Invalid(String),
    /// The plugin does not export the hook that was called (`"filter-boxes"` or
    /// `"normalize-text"`). Callers check [`Plugin::hooks`](crate::Plugin::hooks) first.
    #[error("the plugin does not implement {0}")]
    HookMissing(&'static str),
    /// The page has more boxes or lines than [`Limits::max_input_items`](crate::Limits::max_input_items):
    /// refused before the plugin runs.
    #[error("the page has {given} boxes or lines, plugins take at most {max}")]
    TooManyItems { given: usize, max: usize },
    /// The host could not run the plugin for reasons of its own (engine set-up, all instance
    /// slots busy, a plugin from another host). Worth retrying.
    #[error("plugin host error: {0}")]
    Internal(String),
}

impl PluginError {
    /// The catalog code a job failed by this error carries.
    pub fn code(&self) -> ErrorCode {
        match self {
            PluginError::Timeout => ErrorCode::PluginTimeout,
            PluginError::OutOfFuel => ErrorCode::PluginOutOfFuel,
            PluginError::MemoryExceeded => ErrorCode::PluginMemoryExceeded,
            PluginError::Failed(_) => ErrorCode::PluginFailed,
            PluginError::InvalidOutput(_) => ErrorCode::PluginInvalidOutput,
            PluginError::Invalid(_) | PluginError::HookMissing(_) => ErrorCode::PluginInvalid,
            PluginError::TooManyItems { .. } => ErrorCode::InvalidBoxes,
            PluginError::Internal(_) => ErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_has_its_own_code() {
        let codes = [
            PluginError::Timeout.code(),
            PluginError::OutOfFuel.code(),
            PluginError::MemoryExceeded.code(),
            PluginError::Failed(String::new()).code(),
            PluginError::InvalidOutput(String::new()).code(),
            PluginError::Invalid(String::new()).code(),
        ];
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(PluginError::Internal(String::new()).code().is_transient());
        assert!(!PluginError::Timeout.code().is_transient());
    }
}
