//! Webhooks: tell a tenant's system when a job reaches `DETECT_DONE`, `DONE` or `FAILED`.
//!
//! Owns: the signature receivers check ([`sign`], [`verify`]), the policy that keeps callback
//! URLs off private and loopback addresses ([`check_url`], [`is_public`]: the platform must not
//! become a way into the operator's own network), and the [`Sender`] that delivers the outbox
//! rows the store writes with each transition: retried with exponential backoff, at least once,
//! every attempt recorded. Must not read configuration itself (the server passes [`SenderSettings`]).
//!
//! Signature: header `X-OCR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Receivers recompute it over the raw body and refuse timestamps older than a few minutes
//! (replays); the body's `id` is stable across retries, for de-duplication.

mod policy;
mod sender;
mod signature;

pub use policy::{UrlError, check_url, is_public};
pub use sender::{Sender, SenderSettings};
pub use signature::{SIGNATURE_HEADER, SignatureError, new_secret, sign, verify};
