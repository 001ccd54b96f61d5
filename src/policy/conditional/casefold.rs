//! Python's `str.casefold()` (full case folding, e.g. "ß" → "ss"), used for case-insensitive
//! comparisons (policies §5.7). ASCII takes a fast path; other characters fold like Rust's
//! `char::to_lowercase` except where Python differs (`casefold_table.rs`, generated from Python).

use super::casefold_table::{CHEROKEE_SMALL, FOLD, KEEP};
use std::borrow::Cow;

/// How a non-ASCII character folds.
enum Fold {
    Unchanged,
    Char(char),
    Text(&'static str),
    Lower,
}

fn fold_of(c: char) -> Fold {
    let u = c as u32;
    if let Ok(i) = FOLD.binary_search_by_key(&u, |e| e.0) {
        return Fold::Text(FOLD[i].1);
    }
    let (small_first, small_last, capital_first) = CHEROKEE_SMALL;
    if (small_first..=small_last).contains(&u) {
        return char::from_u32(u - small_first + capital_first).map_or(Fold::Unchanged, Fold::Char);
    }
    let kept = KEEP
        .binary_search_by(|&(first, last)| {
            if last < u {
                std::cmp::Ordering::Less
            } else if first > u {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok();
    let mut lower = c.to_lowercase();
    if kept || (lower.len() == 1 && lower.next() == Some(c)) {
        Fold::Unchanged
    } else {
        Fold::Lower
    }
}

/// True when `casefold` would change `s`.
pub fn needs_fold(s: &str) -> bool {
    s.chars().any(|c| {
        if c.is_ascii() {
            c.is_ascii_uppercase()
        } else {
            !matches!(fold_of(c), Fold::Unchanged)
        }
    })
}

/// `s.casefold()`; borrows when nothing changes.
pub fn casefold(s: &str) -> Cow<'_, str> {
    if !needs_fold(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            match fold_of(c) {
                Fold::Unchanged => out.push(c),
                Fold::Char(f) => out.push(f),
                Fold::Text(f) => out.push_str(f),
                Fold::Lower => out.extend(c.to_lowercase()),
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_like_python() {
        assert_eq!(casefold("Straße"), "strasse");
        assert_eq!(casefold("STRASSE"), "strasse");
        assert_eq!(casefold("ΣΑΣ"), "σασ");
        assert_eq!(casefold("ﬁ"), "fi");
        assert_eq!(casefold("İ"), "i\u{307}");
        assert!(matches!(casefold("already lower"), Cow::Borrowed(_)));
        assert_eq!(casefold("Jane.Doe@Example.com"), "jane.doe@example.com");
    }

    #[test]
    fn folds_where_python_and_rust_lowercase_differ() {
        // Cherokee: Python folds small letters to capitals and leaves capitals alone.
        assert_eq!(
            casefold("\u{ab70}\u{13a0}\u{13f8}"),
            "\u{13a0}\u{13a0}\u{13f0}"
        );
        assert_eq!(casefold("ſ µ ς ẞ ǰ"), "s μ σ ss j\u{30c}");
        // Letters newer than Python 3.11's Unicode 14 are left alone (Rust would lowercase them).
        assert_eq!(
            casefold("\u{1c89}\u{a7cb}\u{10d50}"),
            "\u{1c89}\u{a7cb}\u{10d50}"
        );
        assert!(!needs_fold("\u{13a0}\u{16ea0}"));
        // Plain lowercase mappings, including ones of more than one character.
        assert_eq!(casefold("ÀÉÎ ΑΒΓ АБВ"), "àéî αβγ абв");
        assert_eq!(casefold("\u{10400}"), "\u{10428}");
    }

    #[test]
    fn tables_are_sorted() {
        assert!(FOLD.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(KEEP.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(KEEP.iter().all(|r| r.0 <= r.1));
    }
}
