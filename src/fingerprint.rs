//! Snapshot fingerprints: a stable 128-bit FNV-1a hash of the canonical JSON (object keys
//! sorted, as serde_json's map is ordered) — identical content gives the same fingerprint
//! whether the snapshot came as text or as an object. Not a security measure: signed plans
//! (HMAC-SHA256) are.

use serde_json::Value;
use std::io::Write;

struct Fnv128(u128);

impl Write for Fnv128 {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        const PRIME: u128 = 0x0000000001000000000000000000013B;
        for &b in buf {
            self.0 ^= b as u128;
            self.0 = self.0.wrapping_mul(PRIME);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn of_document(doc: &Value) -> String {
    let mut h = Fnv128(0x6c62272e07bb014262b821756295c58d);
    // Writing to an in-memory hasher cannot fail.
    let _ = serde_json::to_writer(&mut h, doc);
    format!("{:032x}", h.0)
}
