//! Snapshot fingerprints: a stable 128-bit FNV-1a hash of the canonical JSON (object keys
//! sorted, as serde_json's map is ordered) — identical content gives the same fingerprint
//! whether the snapshot came as text or as an object. Not a security measure: signed plans
//! (HMAC-SHA256) are.

use serde_json::Value;
use std::io::Write;

const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;

/// FNV-1a 128 with the multiplication by the prime (2^88 + 0x13B) done on two 64-bit words:
/// a general u128 product is a library call in Wasm, and it ran once per byte of the snapshot
/// (a third of an engine build). Serialised bytes are hashed a buffer at a time.
struct Fnv128 {
    hi: u64,
    lo: u64,
    buf: Vec<u8>,
}

const BUF: usize = 16 * 1024;

impl Fnv128 {
    fn new() -> Fnv128 {
        Fnv128 {
            hi: (OFFSET >> 64) as u64,
            lo: OFFSET as u64,
            buf: Vec::with_capacity(BUF),
        }
    }

    fn hash(&mut self, bytes: &[u8]) {
        const C: u64 = 0x13B;
        let (mut hi, mut lo) = (self.hi, self.lo);
        for &b in bytes {
            lo ^= b as u64;
            // (hi·2^64 + lo) · (2^88 + C) mod 2^128, with the high word of lo·C from 32-bit halves.
            let carry = ((lo >> 32) * C + (((lo & 0xffff_ffff) * C) >> 32)) >> 32;
            hi = hi
                .wrapping_mul(C)
                .wrapping_add(carry)
                .wrapping_add(lo << 24);
            lo = lo.wrapping_mul(C);
        }
        (self.hi, self.lo) = (hi, lo);
    }

    fn finish(mut self) -> u128 {
        let buf = std::mem::take(&mut self.buf);
        self.hash(&buf);
        ((self.hi as u128) << 64) | self.lo as u128
    }
}

impl Fnv128 {
    /// Buffers `bytes` (hashed a buffer at a time: fewer, longer loops).
    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > BUF {
            let buf = std::mem::take(&mut self.buf);
            self.hash(&buf);
            self.buf = buf;
            self.buf.clear();
        }
        if bytes.len() > BUF {
            self.hash(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

impl Write for Fnv128 {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.put(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where the canonical JSON goes (the hasher; a byte vector in tests).
trait Sink: Write {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Fnv128 {
    fn put(&mut self, bytes: &[u8]) {
        Fnv128::put(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Exactly the bytes of `serde_json::to_writer(doc)` (compact, map order = sorted keys), written
/// without going through serde: its generic serializer was most of the fingerprint's cost.
fn canonical(v: &Value, out: &mut impl Sink) {
    match v {
        Value::Null => out.put(b"null"),
        Value::Bool(true) => out.put(b"true"),
        Value::Bool(false) => out.put(b"false"),
        // Numbers are rare in snapshots: serde_json's own formatting (itoa / ryu).
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
        Value::String(text) => string(text, out),
        Value::Array(items) => {
            out.put(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                canonical(item, out);
            }
            out.put(b"]");
        }
        Value::Object(map) => {
            out.put(b"{");
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                string(key, out);
                out.put(b":");
                canonical(item, out);
            }
            out.put(b"}");
        }
    }
}

/// A JSON string as serde_json escapes it: `"` `\` and control characters only (short forms
/// for \b \f \n \r \t, `\u00xx` with lowercase hex for the rest); runs are copied whole.
fn string(text: &str, out: &mut impl Sink) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.put(b"\"");
    let bytes = text.as_bytes();
    let mut run = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.put(&bytes[run..i]);
        if short.is_empty() {
            out.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 0xf) as usize],
            ]);
        } else {
            out.put(short);
        }
        run = i + 1;
    }
    out.put(&bytes[run..]);
    out.put(b"\"");
}

/// The canonical JSON bytes of `v`: compact, object keys sorted (serde_json's `Map` is a
/// `BTreeMap`: the crate is built without `preserve_order`, checked by a test). Plan
/// signatures are computed over these bytes too.
pub fn canonical_bytes(v: &Value, out: &mut Vec<u8>) {
    canonical(v, out);
}

pub fn of_document(doc: &Value) -> String {
    let mut h = Fnv128::new();
    canonical(doc, &mut h);
    format!("{:032x}", h.finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn maps_iterate_in_key_order() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":2,"c":3}}"#).unwrap_or_default();
        let mut out = Vec::new();
        super::canonical_bytes(&v, &mut out);
        assert_eq!(out, br#"{"a":{"c":3,"d":2},"b":1}"#);
    }

    use super::*;
    use serde_json::json;

    /// The reference: FNV-1a 128 with a plain u128 multiplication.
    fn reference(bytes: &[u8]) -> u128 {
        const PRIME: u128 = 0x0000000001000000000000000000013B;
        bytes
            .iter()
            .fold(OFFSET, |h, &b| (h ^ b as u128).wrapping_mul(PRIME))
    }

    #[test]
    fn same_hash_as_plain_fnv_1a_128() {
        for text in [
            &b""[..],
            b"a",
            b"foobar",
            &[0xff; 100],
            &vec![7u8; 3 * BUF + 5],
        ] {
            let mut h = Fnv128::new();
            h.hash(text);
            assert_eq!(h.finish(), reference(text));
        }
        let doc = json!({"b": [1, 2.5, -3, "x\"y\n\u{1}é", null, true], "a": {"z": {}, "y": []}});
        let text = serde_json::to_vec(&doc).unwrap_or_default();
        assert_eq!(of_document(&doc), format!("{:032x}", reference(&text)));
    }

    #[test]
    fn canonical_bytes_are_serde_json_bytes() {
        let every_ascii: String = (0u8..=0x7f).map(char::from).collect();
        let docs = [
            json!(null),
            json!([]),
            json!({}),
            json!({"k": every_ascii, every_ascii.clone(): [every_ascii, "", "é€😀\u{7f}\u{80}"]}),
            json!([
                1,
                -1,
                0,
                u64::MAX,
                i64::MIN,
                1.5,
                -0.0,
                1e300,
                5e-324,
                0.1,
                123456789.0
            ]),
            json!({"b": {"d": [true, false, null, {"e": []}], "c": "x"}, "a": [[[]], {}]}),
            json!({"z\"y": "a\\b", "tab\t": "\u{1}\u{1f}\u{8}\u{c}"}),
        ];
        for doc in docs {
            let mut ours = Vec::new();
            canonical(&doc, &mut ours);
            assert_eq!(ours, serde_json::to_vec(&doc).unwrap_or_default(), "{doc}");
        }
    }

    #[test]
    fn fingerprints_do_not_change() {
        // Values from before the two-word multiplication (plans carry them).
        let doc = json!({"b": [1, 2.5, -3, "x\"y\n\u{1}é", null, true], "a": {"z": {}, "y": []}});
        assert_eq!(of_document(&doc), "3f719c6897c5ce39782935a1d6c919dd");
        assert_eq!(of_document(&json!({})), "0880955dd2ab1be95aa0733055c655b5");
    }
}
