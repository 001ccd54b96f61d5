//! Stable sorts through one instantiation of the standard library's sort.
//!
//! Every `sort_by`/`sort_by_key` call site with its own closure is a separate copy of the
//! standard stable sort in the Wasm module (about 3 KB each; 13 copies were measured). The
//! helpers here take a `dyn` comparator so that all callers share one copy; the comparisons run
//! at Engine build time, where an indirect call is noise.

use std::cmp::Ordering;

/// Sorts ids stably by `cmp` (equal ids keep their relative order).
pub fn sort_ids_by(ids: &mut [u32], cmp: &dyn Fn(u32, u32) -> Ordering) {
    ids.sort_by(|a, b| cmp(*a, *b));
}

/// Sorts ids stably by an integer key, e.g. a binding's `order`.
pub fn sort_ids_by_key(ids: &mut [u32], key: &dyn Fn(u32) -> i64) {
    sort_ids_by(ids, &|a, b| key(a).cmp(&key(b)));
}

/// Sorts a vector stably by `cmp`: the ids are sorted, then the items moved into that order.
pub fn sort_vec_by<T>(items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    // Sizes beyond u32 cannot come from a snapshot (limits cap every section far below).
    let Ok(len) = u32::try_from(items.len()) else {
        items.sort_by(cmp);
        return;
    };
    let mut ids: Vec<u32> = (0..len).collect();
    sort_ids_by(&mut ids, &|a, b| {
        cmp(&items[a as usize], &items[b as usize])
    });
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(ids.iter().filter_map(|&i| slots[i as usize].take()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_stably_by_key() {
        let orders = [5i64, 1, 5, 0, 1];
        let mut ids: Vec<u32> = (0..5).collect();
        sort_ids_by_key(&mut ids, &|i| orders[i as usize]);
        assert_eq!(ids, [3, 1, 4, 0, 2]);
    }

    #[test]
    fn vectors_are_sorted_stably_and_nothing_is_lost() {
        let mut v = vec![("b", 1), ("a", 2), ("b", 0), ("a", 1), ("c", 9)];
        sort_vec_by(&mut v, |x, y| x.0.cmp(y.0));
        assert_eq!(v, [("a", 2), ("a", 1), ("b", 1), ("b", 0), ("c", 9)]);
        let mut empty: Vec<String> = Vec::new();
        sort_vec_by(&mut empty, |x, y| x.cmp(y));
        assert!(empty.is_empty());
    }
}
