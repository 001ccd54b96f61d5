//! Lookups on the per-call path (target names, user pks → ids) with a fast hasher. The index's
//! maps use std's SipHash, which costs more than the whole static decision on short keys (most
//! of a native `evaluate`); these tables copy the index's maps once, at engine build. Keys come
//! from the snapshot (requests only probe), so hash flooding is not a concern here.

use crate::index::{Id, Index};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// rustc's FxHash: one rotate-xor-multiply per 8-byte word.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline(always)]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }

    /// Whole words, then the tail with its length in the top byte.
    #[inline(always)]
    pub fn add_bytes(&mut self, b: &[u8]) {
        let mut rest = b;
        while let Some((w, tail)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*w));
            rest = tail;
        }
        if !rest.is_empty() {
            let mut w = (rest.len() as u64) << 56;
            let mut j = 0;
            while j < rest.len() {
                w |= (rest[j] as u64) << (8 * j);
                j += 1;
            }
            self.add(w);
        }
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.add_bytes(bytes);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

// The helpers below avoid iterator adapters and are forced inline: the release profile
// optimises for size ("z"), which leaves adapters (and per-byte bounds checks) in place.

/// `FxHasher` over the bytes of `s`.
#[inline(always)]
fn fx_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.add_bytes(s.as_bytes());
    h.finish()
}

/// Word-wise equality: Wasm's `memcmp` (compiler-builtins) compares byte by byte, and comparing
/// the 36-byte uuid of a hit was the largest single cost of a static decision.
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a, b);
    while let (Some((p, xs)), Some((q, ys))) =
        (x.split_first_chunk::<8>(), y.split_first_chunk::<8>())
    {
        if u64::from_le_bytes(*p) != u64::from_le_bytes(*q) {
            return false;
        }
        (x, y) = (xs, ys);
    }
    let mut j = 0;
    while j < x.len() {
        if x[j] != y[j] {
            return false;
        }
        j += 1;
    }
    true
}

/// An open-addressing table from strings to ids (linear probing, at most half full), built
/// once; a probe compares the stored hash before the bytes.
#[derive(Debug, Default)]
struct StrTable {
    /// Positions in `entries` + 1; 0 = empty slot. Length is a power of two.
    slots: Vec<u32>,
    entries: Vec<(u64, Box<str>, Id)>,
}

impl StrTable {
    fn build<'a>(pairs: impl Iterator<Item = (&'a str, Id)>) -> StrTable {
        let entries: Vec<(u64, Box<str>, Id)> =
            pairs.map(|(k, id)| (fx_str(k), Box::from(k), id)).collect();
        let size = (entries.len() * 2).next_power_of_two().max(8);
        let mut slots = vec![0u32; size];
        for (pos, (hash, _, _)) in entries.iter().enumerate() {
            let mut i = (*hash as usize) & (size - 1);
            while slots[i] != 0 {
                i = (i + 1) & (size - 1);
            }
            slots[i] = pos as u32 + 1;
        }
        StrTable { slots, entries }
    }

    #[inline(always)]
    fn get(&self, key: &str) -> Option<Id> {
        let mask = self.slots.len().checked_sub(1)?;
        let hash = fx_str(key);
        let mut i = (hash as usize) & mask;
        loop {
            let slot = *self.slots.get(i)?;
            let (h, k, id) = self.entries.get(slot.checked_sub(1)? as usize)?;
            if *h == hash && same(k.as_bytes(), key.as_bytes()) {
                return Some(*id);
            }
            i = (i + 1) & mask;
        }
    }
}

/// Copies of the index maps that every decision consults.
#[derive(Debug, Default)]
pub struct Lookup {
    /// pbm uuid (and flow pk) → target.
    targets: StrTable,
    /// flow slug → the flow's target.
    flows: StrTable,
    /// application slug → the application's target.
    apps: StrTable,
    /// user pk → snapshot user.
    users: FxMap<i64, Id>,
}

impl Lookup {
    pub fn build(index: &Index) -> Lookup {
        let flows = index
            .flows_by_slug
            .iter()
            .map(|(slug, &f)| (slug.as_str(), index.flow_targets[f as usize]));
        let apps = index
            .apps_by_slug
            .iter()
            .map(|(slug, &a)| (slug.as_str(), index.app_targets[a as usize]));
        let mut users =
            FxMap::with_capacity_and_hasher(index.users_by_pk.len(), Default::default());
        users.extend(index.users_by_pk.iter().map(|(&pk, &id)| (pk, id)));
        Lookup {
            targets: StrTable::build(index.targets_by_pbm.iter().map(|(k, &v)| (k.as_str(), v))),
            flows: StrTable::build(flows),
            apps: StrTable::build(apps),
            users,
        }
    }

    /// `Index::resolve_target`: `flow:<slug>`, `app:<slug>` or a pbm uuid.
    #[inline]
    pub fn target(&self, name: &str) -> Option<Id> {
        // Fixed-size prefix tests (a `strip_prefix` is a `memcmp` call in Wasm).
        let b = name.as_bytes();
        if b.first_chunk::<5>() == Some(b"flow:") {
            return self.flows.get(name.get(5..)?);
        }
        if b.first_chunk::<4>() == Some(b"app:") {
            return self.apps.get(name.get(4..)?);
        }
        self.targets.get(name)
    }

    /// `Index::users_by_pk`.
    #[inline]
    pub fn user(&self, pk: i64) -> Option<Id> {
        self.users.get(&pk).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Limits};
    use serde_json::json;

    fn engine() -> Engine {
        let snap = json!({
            "users": [{"pk": 7, "username": "a"}, {"pk": -3, "username": "b"}],
            "applications": [{"pk": "app-pk", "slug": "portal", "name": "Portal"}],
            "flows": [{"pk": "flow-pk", "pbm_uuid": "flow-pbm", "slug": "login", "name": "L",
                       "title": "L", "designation": "authentication"}],
            "targets": [{"pbm_uuid": "app:portal", "kind": "source"}]
        });
        match Engine::from_value(&snap, &Limits::default()) {
            Ok(e) => e,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn resolves_like_the_index() {
        let e = engine();
        let lookup = Lookup::build(e.index());
        for name in [
            "app-pk",
            "flow-pk",
            "flow-pbm",
            "flow:login",
            "app:portal",
            "flow:nope",
            "app:",
            "flow:flow-pk",
            "",
            "nope",
        ] {
            assert_eq!(
                lookup.target(name),
                e.index().resolve_target(name),
                "{name}"
            );
        }
        // A pbm uuid shaped like an alias is shadowed by the alias, as in the index.
        assert_ne!(
            lookup.target("app:portal"),
            e.index().targets_by_pbm.get("app:portal").copied()
        );
        for pk in [7, -3, 0, 8, i64::MIN] {
            assert_eq!(
                lookup.user(pk),
                e.index().users_by_pk.get(&pk).copied(),
                "{pk}"
            );
        }
    }

    #[test]
    fn hasher_separates_lengths_and_words() {
        let h = |b: &[u8]| {
            let mut s = FxHasher::default();
            s.write(b);
            s.finish()
        };
        assert_ne!(h(b"a"), h(b"a\0"));
        assert_ne!(h(b"abcdefgh"), h(b"abcdefgi"));
        assert_ne!(h(b"abcdefghX"), h(b"abcdefghY"));
    }

    #[test]
    fn table_finds_every_key_and_nothing_else() {
        let keys: Vec<String> = (0..300)
            .map(|i| format!("key-{i}-{}", "x".repeat(i % 20)))
            .collect();
        let table = StrTable::build(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i as Id)));
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(table.get(k), Some(i as Id));
        }
        for k in ["", "key-", "key-1-xx", "key-300-", "key-0-\0"] {
            assert_eq!(table.get(k), None, "{k}");
        }
        assert_eq!(StrTable::default().get("a"), None);
        assert!(same(b"0123456789", b"0123456789"));
        assert!(!same(b"0123456789", b"0123456788"));
        assert!(!same(b"01234567", b"0123456"));
    }
}
