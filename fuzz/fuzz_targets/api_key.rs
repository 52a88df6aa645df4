//! `api_key::well_formed` on arbitrary strings: never a panic (it slices by byte offsets), and
//! true only for the exact shape `ocrk_<64 lowercase hex>_<6 hex checksum>` — which the
//! fuzzer can then only reach by finding a valid checksum, i.e. practically never; so the
//! target also checks that issued keys pass and single-character typos of them fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocr_core::api_key;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if api_key::well_formed(s) {
        let rest = s.strip_prefix(api_key::PREFIX).expect("prefix");
        let (secret, check) = rest.split_once('_').expect("separator");
        assert!(secret.len() == 64 && check.len() == 6, "accepted {s:?}");
        assert!(secret.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "accepted {s:?}");
    }
    // Keys built from the input's first 32 bytes: they pass, and their typos do not.
    let mut random = [0u8; 32];
    for (r, b) in random.iter_mut().zip(data) {
        *r = *b;
    }
    let key = api_key::from_random(&random);
    assert!(api_key::well_formed(&key), "an issued key is refused: {key}");
    assert_eq!(api_key::display_prefix(&key).len(), api_key::PREFIX.len() + 8);
    if let Some(&pos) = data.get(32) {
        let i = usize::from(pos) % key.len();
        let mut typo = key.clone().into_bytes();
        typo[i] = if typo[i] == b'0' { b'1' } else { b'0' };
        let typo = String::from_utf8(typo).expect("ascii");
        // In the prefix, separator or checksum a typo always fails; in the secret it fails
        // unless the 24-bit checksum happens to collide (1 in 16.7 million), so not asserted.
        let secret = api_key::PREFIX.len()..api_key::PREFIX.len() + 64;
        if !secret.contains(&i) {
            assert!(!api_key::well_formed(&typo), "typo at {i} accepted: {typo}");
        }
    }
    // Hashing arbitrary input (what the server does with a well-formed bearer token) is total.
    assert_eq!(api_key::hash(s).len(), 64);
});
