//! API errors: a stable `code`, a message a user can act on, the right HTTP status.
//! 5xx bodies reveal nothing internal; the cause is logged once here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ocr_core::{ErrorCode, JobError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `job_not_found`.
    #[schema(value_type = String)]
    pub code: ErrorCode,
    /// What went wrong and what to do about it.
    pub message: String,
    /// The message again, under the name the original (FastAPI) platform used.
    pub detail: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Sent as `Retry-After` (rate limits); 503s get 5 s by default.
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retry_after: None }
    }

    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    pub fn job_not_found() -> Self {
        Self::new(ErrorCode::JobNotFound, "no such job")
    }

    /// A backend failed: logged with its cause, answered with a generic 503.
    pub fn unavailable(what: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{what}");
        Self::new(ErrorCode::ServiceUnavailable, format!("{what}; try again shortly"))
    }
}

impl From<ocr_store::Error> for ApiError {
    fn from(e: ocr_store::Error) -> Self {
        match e {
            ocr_store::Error::Corrupt(_) => {
                tracing::error!(error = %e, "stored data is corrupt");
                Self::new(ErrorCode::Internal, "internal error")
            }
            ocr_store::Error::Db(_) | ocr_store::Error::Migrate(_) => {
                Self::unavailable("the database did not answer", &e)
            }
            ocr_store::Error::Objects(_) => Self::unavailable("object storage did not answer", &e),
            ocr_store::Error::Queue(_) => Self::unavailable("the queue did not answer", &e),
        }
    }
}

impl From<crate::pages::PageError> for ApiError {
    fn from(e: crate::pages::PageError) -> Self {
        use crate::pages::PageError;
        match e {
            PageError::NoUpload => Self::new(ErrorCode::NotFound, "no file has been uploaded to this job yet"),
            PageError::Storage(e) => e.into(),
            PageError::Decode(e) => Self::new(e.code(), e.to_string()),
            PageError::Internal => Self::new(ErrorCode::Internal, "internal error"),
        }
    }
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        Self::new(e.code, e.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self
            .retry_after
            .map(|d| d.as_secs_f64().ceil() as u64)
            .or((status == StatusCode::SERVICE_UNAVAILABLE).then_some(5));
        let body = ErrorBody { code: self.code, detail: self.message.clone(), message: self.message };
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
