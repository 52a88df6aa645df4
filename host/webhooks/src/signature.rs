//! HMAC-SHA256 signatures over timestamped bodies.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-OCR-Signature";

/// Prefix of generated secrets, so a leaked one is recognisable.
const SECRET_PREFIX: &str = "whsec_";

/// A new random secret: `whsec_` and 64 hex digits (256 bits from the OS).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator");
    format!("{SECRET_PREFIX}{}", hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not `t=<seconds>,v1=<hex>`")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the signature is older than the tolerance (a replay?)")]
    TooOld,
}

/// Checks a signature header against the raw body: the HMAC (compared in constant time) and
/// the timestamp, which must be within `tolerance_secs` of `now` (Unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> Result<(), SignatureError> {
    let (mut t, mut v1) = (None, None);
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = decode_hex(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return Err(SignatureError::Malformed) };
    mac(secret, t, body).verify_slice(&v1).map_err(|_| SignatureError::Mismatch)?;
    if (now - t).abs() > tolerance_secs {
        return Err(SignatureError::TooOld);
    }
    Ok(())
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_over_the_same_body_and_time_only() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_") && secret.len() == 6 + 64);
        let body = br#"{"type":"job.done"}"#;
        let header = sign(&secret, 1_000, body);
        assert!(header.starts_with("t=1000,v1="));
        assert_eq!(verify(&secret, &header, body, 1_100, 300), Ok(()));
        assert_eq!(verify(&secret, &header, b"{}", 1_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("whsec_other", &header, body, 1_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&secret, &header, body, 2_000, 300), Err(SignatureError::TooOld));
        // The timestamp is signed: changing it breaks the signature.
        let moved = header.replace("t=1000", "t=1900");
        assert_eq!(verify(&secret, &moved, body, 2_000, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&secret, "v1=abc", body, 1_000, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_known_vector_matches() {
        // HMAC-SHA256("key", "1.body"), computed independently with Python's hmac module.
        assert_eq!(sign("key", 1, b"body"), "t=1,v1=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5");
    }
}
