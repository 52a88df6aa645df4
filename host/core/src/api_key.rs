//! API keys: `ocrk_<64 hex>_<6 hex checksum>`.
//!
//! The recognisable prefix and the checksum let secret scanners (and this server) spot a key,
//! or a mistyped one, without a database look-up. Only the SHA-256 of the key is stored.

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "ocrk_";
const SECRET_HEX: usize = 64;
const CHECK_HEX: usize = 6;

fn checksum(secret: &str) -> String {
    let digest = Sha256::digest(format!("ocr-api-key-checksum:{secret}").as_bytes());
    hex(&digest)[..CHECK_HEX].to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds a key from 32 random bytes (the caller supplies the randomness).
pub fn from_random(random: &[u8; 32]) -> String {
    let secret = hex(random);
    format!("{PREFIX}{secret}_{}", checksum(&secret))
}

/// True when `key` has the shape and a matching checksum (says nothing about whether it is issued).
pub fn well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix(PREFIX) else { return false };
    let Some((secret, check)) = rest.split_once('_') else { return false };
    secret.len() == SECRET_HEX
        && check.len() == CHECK_HEX
        && secret.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && checksum(secret) == check
}

/// What is stored: the SHA-256 of the whole key, hex.
pub fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// The part shown in lists (enough to tell keys apart, useless to an attacker).
pub fn display_prefix(key: &str) -> String {
    key.chars().take(PREFIX.len() + 8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_are_well_formed_and_typos_are_caught_by_the_checksum() {
        let key = from_random(&[7u8; 32]);
        assert!(key.starts_with("ocrk_") && key.len() == 5 + 64 + 1 + 6);
        assert!(well_formed(&key));
        let mut typo = key.clone().into_bytes();
        typo[10] = if typo[10] == b'0' { b'1' } else { b'0' };
        assert!(!well_formed(std::str::from_utf8(&typo).unwrap()));
        assert!(!well_formed("ocrk_short_abcdef"));
        assert!(!well_formed("Bearer nonsense"));
        assert_ne!(hash(&key), hash(&from_random(&[8u8; 32])));
        assert_eq!(display_prefix(&key).len(), 13);
    }
}
