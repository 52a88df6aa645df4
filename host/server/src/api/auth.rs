//! Who is calling: tenants by API key (or, in `header` mode, by `X-Tenant-Id`), operators by
//! the operator token; plus the request rate limits, reads apart from writes, per client (an API
//! key, or in `header` mode a tenant and address), so the many users behind one tenant do not
//! share one bucket.
//!
//! Every authentication failure answers the same 401 body, so a caller cannot tell a wrong
//! key from a revoked one, a disabled tenant or a mismatched `X-Tenant-Id`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ocr_core::{ErrorCode, TenantId, api_key};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;

/// How tenants authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// `Authorization: Bearer <key>`; `X-Tenant-Id`, when sent too, must match the key's tenant.
    ApiKey,
    /// Trust `X-Tenant-Id` (the original platform's behaviour). Loopback only, unless overridden.
    Header,
}

/// Authentication settings and state shared by all requests.
pub struct Auth {
    pub mode: AuthMode,
    /// SHA-256 of the operator token; `None` disables the operator API.
    operator_token_hash: Option<[u8; 32]>,
    writes: Option<DefaultKeyedRateLimiter<String>>,
    reads: Option<DefaultKeyedRateLimiter<String>>,
}

/// A rate: requests per second with a burst above it; 0 per second is no limit.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_sec: u32,
    pub burst: u32,
}

impl Rate {
    fn limiter(self) -> Option<DefaultKeyedRateLimiter<String>> {
        NonZeroU32::new(self.per_sec).map(|rate| {
            let burst = NonZeroU32::new(self.burst.max(self.per_sec)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        })
    }
}

impl Auth {
    /// Writes and reads are limited per client at their own rates.
    pub fn new(mode: AuthMode, operator_token: Option<&str>, writes: Rate, reads: Rate) -> Self {
        Self {
            mode,
            operator_token_hash: operator_token.filter(|t| !t.is_empty()).map(|t| Sha256::digest(t.as_bytes()).into()),
            writes: writes.limiter(),
            reads: reads.limiter(),
        }
    }

    fn check_rate(&self, write: bool, client: String) -> Result<(), ApiError> {
        let Some(limiter) = (if write { &self.writes } else { &self.reads }) else { return Ok(()) };
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let what = if write { "writes" } else { "reads" };
            ApiError::new(ErrorCode::RateLimited, format!("too many {what} from this client; slow down"))
                .with_retry_after(wait.max(Duration::from_secs(1)))
        })
    }
}

pub fn unauthorized() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "missing or invalid credentials")
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The tenant of a request.
pub struct Tenant(pub TenantId);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let claimed = match parts.headers.get("x-tenant-id") {
            None => None,
            Some(raw) => Some(raw.to_str().ok().and_then(|s| TenantId::parse(s.trim())).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidTenant,
                    "X-Tenant-Id must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'",
                )
            })?),
        };
        let (tenant, client) = match (bearer(parts), state.auth.mode) {
            (Some(key), _) => {
                // Malformed keys are refused without touching the database.
                if !api_key::well_formed(key) {
                    return Err(unauthorized());
                }
                let hash = api_key::hash(key);
                let tenant = state.backends.db.tenant_for_key(&hash).await?.ok_or_else(unauthorized)?;
                if claimed.as_ref().is_some_and(|c| c != &tenant) {
                    return Err(unauthorized());
                }
                (tenant, format!("key:{hash}"))
            }
            (None, AuthMode::ApiKey) => return Err(unauthorized()),
            (None, AuthMode::Header) => {
                let tenant =
                    claimed.ok_or_else(|| ApiError::new(ErrorCode::MissingTenant, "send the X-Tenant-Id header"))?;
                let address = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
                let client = format!("tenant:{tenant}@{}", address.map_or_else(String::new, |a| a.to_string()));
                (tenant, client)
            }
        };
        tracing::Span::current().record("tenant_id", tenant.as_str());
        let write = !matches!(parts.method, Method::GET | Method::HEAD);
        state.auth.check_rate(write, client)?;
        Ok(Tenant(tenant))
    }
}

/// An operator, authenticated by `Authorization: Bearer <OCR_OPERATOR_TOKEN>`.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = state.auth.operator_token_hash.ok_or_else(unauthorized)?;
        let given: [u8; 32] = Sha256::digest(bearer(parts).ok_or_else(unauthorized)?.as_bytes()).into();
        // Comparing fixed-size digests: the time taken says nothing about the token.
        if given.iter().zip(expected.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0 {
            Ok(Operator)
        } else {
            Err(unauthorized())
        }
    }
}

pub type SharedAuth = Arc<Auth>;
