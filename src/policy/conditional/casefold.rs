//! Python's `str.casefold()` (full case folding, e.g. "ß" → "ss"), used for case-insensitive
//! comparisons (policies §5.7). ASCII takes a fast path; other characters use a table generated
//! from Python (`casefold_table.rs`).

use super::casefold_table::FOLD;
use std::borrow::Cow;

fn fold_of(c: char) -> Option<&'static str> {
    FOLD.binary_search_by_key(&(c as u32), |e| e.0)
        .ok()
        .map(|i| FOLD[i].1)
}

/// True when `casefold` would change `s`.
pub fn needs_fold(s: &str) -> bool {
    s.chars().any(|c| {
        if c.is_ascii() {
            c.is_ascii_uppercase()
        } else {
            fold_of(c).is_some()
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
                Some(f) => out.push_str(f),
                None => out.push(c),
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
    fn table_is_sorted() {
        assert!(FOLD.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
