//! Plan signatures: HMAC-SHA256 over a canonical JSON form of the plan's fields (object keys
//! sorted, compact), so a plan stored client-side (cookie, KV) cannot be altered unnoticed.
//! Verification is constant-time (`Mac::verify_slice`).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Separates plan signatures from any other use of the same key.
const DOMAIN: &[u8] = b"flowgate-plan-v1\0";

fn mac(key: &[u8], fields: &Value) -> HmacSha256 {
    let mut bytes = Vec::with_capacity(256);
    bytes.extend_from_slice(DOMAIN);
    crate::fingerprint::canonical_bytes(fields, &mut bytes);
    // HMAC accepts keys of any length (long keys are hashed first): `new_from_slice` on Hmac
    // never fails; fall back to an empty key rather than panic if that ever changed.
    let mut m = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
    m.update(&bytes);
    m
}

/// The lowercase hex signature of `fields` under `key`.
pub fn sign(key: &[u8], fields: &Value) -> String {
    let tag = mac(key, fields).finalize().into_bytes();
    let mut hex = String::with_capacity(tag.len() * 2);
    for b in tag {
        hex.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        hex.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
    }
    hex
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
            _ => None,
        })
        .collect()
}

/// Does `signature` (hex) match `fields` under `key`? Compared in constant time.
pub fn verify(key: &[u8], fields: &Value, signature: &str) -> bool {
    match unhex(signature) {
        Some(tag) => mac(key, fields).verify_slice(&tag).is_ok(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys_and_is_compact() {
        let mut out = Vec::new();
        crate::fingerprint::canonical_bytes(
            &json!({"b": [1, "x\"y"], "a": {"d": null, "c": 1.5}}),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":{"c":1.5,"d":null},"b":[1,"x\"y"]}"#
        );
    }

    #[test]
    fn sign_and_verify() {
        let fields = json!({"bindings": ["a"], "context": {"k": 1}});
        let sig = sign(b"secret", &fields);
        assert_eq!(sig.len(), 64);
        assert!(verify(b"secret", &fields, &sig));
        assert!(verify(b"secret", &fields, &sig.to_uppercase()));
        assert!(!verify(b"other", &fields, &sig));
        assert!(!verify(
            b"secret",
            &json!({"bindings": ["b"], "context": {"k": 1}}),
            &sig
        ));
        assert!(!verify(b"secret", &fields, &sig[..62]));
        assert!(!verify(b"secret", &fields, "zz"));
        assert!(!verify(b"secret", &fields, ""));
        // Empty keys are allowed by HMAC and still produce a stable signature.
        assert_eq!(sign(b"", &fields), sign(b"", &fields));
    }

    #[test]
    fn known_answer() {
        // RFC 4231-style check that this is plain HMAC-SHA256 over DOMAIN + canonical JSON.
        let fields = json!({});
        let mut m = HmacSha256::new_from_slice(b"k").unwrap();
        m.update(b"flowgate-plan-v1\0{}");
        let expected: String = m
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sign(b"k", &fields), expected);
    }
}
