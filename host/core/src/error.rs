//! The one catalog of error codes: a stable snake_case `code`, an HTTP status, and a kind.
//!
//! API errors and job errors (stored on a failed job) share this catalog, so a client handles
//! `models_missing` the same way whether a request or a job reports it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error the platform reports, by stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Request problems.
    BadRequest,
    InvalidJson,
    InvalidOptions,
    MissingTenant,
    Unauthorized,
    /// The tenant has not opted in to what was asked (exporting corrections).
    NotOptedIn,
    RateLimited,
    QuotaExceeded,
    InvalidTenant,
    JobNotFound,
    NotFound,
    MethodNotAllowed,
    InvalidState,
    AlreadyUploaded,
    PreconditionFailed,
    PreconditionRequired,
    MissingFile,
    PayloadTooLarge,
    UnsupportedMediaType,
    InvalidBoxes,
    ResultNotReady,
    // Job processing problems.
    InvalidImage,
    TooManyPages,
    ImageTooLarge,
    ModelsMissing,
    InferenceFailed,
    LeaseExpired,
    // Tenant plugin problems (each its own code so clients and dashboards can tell them apart).
    PluginTimeout,
    PluginOutOfFuel,
    PluginMemoryExceeded,
    PluginFailed,
    PluginInvalidOutput,
    PluginInvalid,
    // Platform problems.
    ServiceUnavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidOptions => "invalid_options",
            ErrorCode::MissingTenant => "missing_tenant",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotOptedIn => "not_opted_in",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::InvalidTenant => "invalid_tenant",
            ErrorCode::JobNotFound => "job_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::AlreadyUploaded => "already_uploaded",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PreconditionRequired => "precondition_required",
            ErrorCode::MissingFile => "missing_file",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::InvalidBoxes => "invalid_boxes",
            ErrorCode::ResultNotReady => "result_not_ready",
            ErrorCode::InvalidImage => "invalid_image",
            ErrorCode::TooManyPages => "too_many_pages",
            ErrorCode::ImageTooLarge => "image_too_large",
            ErrorCode::ModelsMissing => "models_missing",
            ErrorCode::InferenceFailed => "inference_failed",
            ErrorCode::LeaseExpired => "lease_expired",
            ErrorCode::PluginTimeout => "plugin_timeout",
            ErrorCode::PluginOutOfFuel => "plugin_out_of_fuel",
            ErrorCode::PluginMemoryExceeded => "plugin_memory_exceeded",
            ErrorCode::PluginFailed => "plugin_failed",
            ErrorCode::PluginInvalidOutput => "plugin_invalid_output",
            ErrorCode::PluginInvalid => "plugin_invalid",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status an API response with this code carries.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::InvalidJson
            | ErrorCode::InvalidOptions
            | ErrorCode::MissingTenant
            | ErrorCode::InvalidTenant
            | ErrorCode::MissingFile => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotOptedIn => 403,
            ErrorCode::JobNotFound | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::InvalidState | ErrorCode::AlreadyUploaded | ErrorCode::ResultNotReady => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::InvalidBoxes
            | ErrorCode::InvalidImage
            | ErrorCode::TooManyPages
            | ErrorCode::ImageTooLarge
            | ErrorCode::PluginTimeout
            | ErrorCode::PluginOutOfFuel
            | ErrorCode::PluginMemoryExceeded
            | ErrorCode::PluginFailed
            | ErrorCode::PluginInvalidOutput
            | ErrorCode::PluginInvalid => 422,
            ErrorCode::PreconditionRequired => 428,
            ErrorCode::RateLimited | ErrorCode::QuotaExceeded => 429,
            ErrorCode::Internal | ErrorCode::InferenceFailed | ErrorCode::LeaseExpired => 500,
            ErrorCode::ModelsMissing | ErrorCode::ServiceUnavailable => 503,
        }
    }

    /// Whether a job that hit this error may succeed when tried again (the worker retries it).
    pub fn is_transient(self) -> bool {
        match self {
            ErrorCode::ServiceUnavailable | ErrorCode::Internal | ErrorCode::LeaseExpired => true,
            ErrorCode::BadRequest
            | ErrorCode::InvalidJson
            | ErrorCode::InvalidOptions
            | ErrorCode::MissingTenant
            | ErrorCode::Unauthorized
            | ErrorCode::NotOptedIn
            | ErrorCode::RateLimited
            | ErrorCode::QuotaExceeded
            | ErrorCode::InvalidTenant
            | ErrorCode::JobNotFound
            | ErrorCode::NotFound
            | ErrorCode::MethodNotAllowed
            | ErrorCode::InvalidState
            | ErrorCode::AlreadyUploaded
            | ErrorCode::PreconditionFailed
            | ErrorCode::PreconditionRequired
            | ErrorCode::MissingFile
            | ErrorCode::PayloadTooLarge
            | ErrorCode::UnsupportedMediaType
            | ErrorCode::InvalidBoxes
            | ErrorCode::ResultNotReady
            | ErrorCode::InvalidImage
            | ErrorCode::TooManyPages
            | ErrorCode::ImageTooLarge
            | ErrorCode::ModelsMissing
            | ErrorCode::InferenceFailed
            | ErrorCode::PluginTimeout
            | ErrorCode::PluginOutOfFuel
            | ErrorCode::PluginMemoryExceeded
            | ErrorCode::PluginFailed
            | ErrorCode::PluginInvalidOutput
            | ErrorCode::PluginInvalid => false,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as clients see it: in an API error body, and on a failed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JobError {
    pub code: ErrorCode,
    pub message: String,
}

impl JobError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_snake_case_names() {
        for code in [ErrorCode::ModelsMissing, ErrorCode::JobNotFound, ErrorCode::InvalidBoxes] {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn missing_models_are_not_retried_but_outages_are() {
        assert!(!ErrorCode::ModelsMissing.is_transient());
        assert!(ErrorCode::ServiceUnavailable.is_transient());
        assert_eq!(ErrorCode::ModelsMissing.http_status(), 503);
    }
}
