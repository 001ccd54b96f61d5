//! Python's text forms of values, shared by everything that must print values the way
//! authentik's Python does: conditional policy messages, launch-URL %-formatting, blueprint
//! `!Format`, event matching. `str`/`repr`/`ascii` of strings, floats and JSON-decoded values
//! here; the `%` operator in [`percent`].

pub mod percent;

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt::Write;

/// Python `repr()` of a string.
pub fn str_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str_repr(&mut out, s, false);
    out
}

/// Appends Python's `repr()` of `s` (`ascii`: as Python's `ascii()`, escaping non-ASCII too).
pub fn write_str_repr(out: &mut String, s: &str, ascii: bool) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        let n = c as u32;
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if n < 0x20 || (0x7f..0xa0).contains(&n) => {
                let _ = write!(out, "\\x{n:02x}");
            }
            _ if ascii && n > 0x7f => {
                let _ = if n <= 0xff {
                    write!(out, "\\x{n:02x}")
                } else if n <= 0xffff {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
            '\u{2028}' | '\u{2029}' | '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{feff}' => {
                let _ = write!(out, "\\u{n:04x}");
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// The shortest digits that round-trip `f` (finite, non-zero) and the decimal exponent of the
/// first one: `1234.5` → `("12345", 3)`. zmij prints the shortest digits in its own layout
/// (`1234.5`, `1e16`, `1e-7`), so the digits and the point are read back from its text.
fn shortest_digits(f: f64) -> (bool, String, i32) {
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(f);
    let (neg, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exp: i32 = exp.trim_start_matches('+').parse().unwrap_or(0);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // Position of the decimal point in `int + frac`, moved by the exponent.
    let mut point = int.len() as i32 + exp;
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    point -= (all.len() - trimmed.len()) as i32;
    let digits = trimmed.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (neg, digits.to_string(), point - 1)
}

/// Python `repr()` of a float (shortest round-trip digits, `1e+16` style exponents).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let (neg, digits, exp) = shortest_digits(f);
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let s = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{s}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

/// Python's `str(uuid.UUID(text))` for its two plain forms: 36 characters with dashes at 8, 13,
/// 18 and 23, or 32 hex digits, in any case → lower-case and dashed. None for anything else
/// (callers strip the braces or `urn:uuid:` prefix they accept).
pub fn uuid_str(text: &str) -> Option<String> {
    let hex: String = match text.len() {
        36 if text
            .char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-')) =>
        {
            text.chars().filter(|c| *c != '-').collect()
        }
        32 => text.to_string(),
        _ => return None,
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// Python's `str()` of a JSON-decoded value (`json.loads` types: None, bool, int, float, str,
/// list, dict).
pub fn py_str(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(py_repr(other)),
    }
}

/// Python's `repr()` of a JSON-decoded value.
pub fn py_repr(v: &Value) -> String {
    let mut out = String::new();
    write_value_repr(&mut out, v, false);
    out
}

/// Python's `ascii()` of a JSON-decoded value (`repr` with non-ASCII escaped).
pub fn py_ascii(v: &Value) -> String {
    let mut out = String::new();
    write_value_repr(&mut out, v, true);
    out
}

fn write_value_repr(out: &mut String, v: &Value, ascii: bool) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (_, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (_, _, Some(f)) => out.push_str(&float_repr(f)),
            _ => out.push_str("nan"),
        },
        Value::String(s) => write_str_repr(out, s, ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value_repr(out, item, ascii);
            }
            out.push(']');
        }
        Value::Object(map) => write_dict_repr(out, map, ascii),
    }
}

fn write_dict_repr(out: &mut String, map: &Map<String, Value>, ascii: bool) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_str_repr(out, k, ascii);
        out.push_str(": ");
        write_value_repr(out, v, ascii);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs_match_python() {
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a\nb"), "'a\\nb'");
        let mut out = String::new();
        write_str_repr(&mut out, "é", true);
        assert_eq!(out, "'\\xe9'");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(float_repr(3.0), "3.0");
    }

    #[test]
    fn json_value_reprs() {
        use serde_json::json;
        let v = json!({"a": [1, 2.5, null, true, "é"], "b": 18446744073709551615u64});
        assert_eq!(
            py_repr(&v),
            "{'a': [1, 2.5, None, True, 'é'], 'b': 18446744073709551615}"
        );
        assert_eq!(py_ascii(&json!("é")), "'\\xe9'");
        assert_eq!(py_str(&json!("x")), "x");
        assert_eq!(py_str(&json!(["x"])), "['x']");
    }

    /// zmij's shortest digits are core's `{:e}` digits, read back correctly, for every kind of
    /// float: random bit patterns, subnormals, extremes, integers and short decimals.
    #[test]
    #[allow(clippy::excessive_precision)] // the exact ties below are the point
    fn shortest_digits_agree_with_core_formatting() {
        let reference = |f: f64| {
            let sci = format!("{f:e}");
            let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
            let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
            (f < 0.0, digits, exp.parse::<i32>().unwrap_or(0))
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut cases = vec![
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            1e16,
            1e15,
            123456789012345680.0,
            0.1,
            0.3,
            1.5,
            100.0,
            1e-7,
            2.5e-5,
            9007199254740993.0,
            -42.0,
        ];
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            cases.push(f64::from_bits(seed));
            cases.push((seed % 1_000_000) as f64 / 1000.0);
        }
        for f in cases.into_iter().filter(|f| f.is_finite() && *f != 0.0) {
            let (neg, digits, exp) = shortest_digits(f);
            let (core_neg, core_digits, core_exp) = reference(f);
            assert_eq!(
                (neg, digits.len(), exp),
                (core_neg, core_digits.len(), core_exp),
                "{f:e}"
            );
            // Same digits, except where the exact value lies halfway between two candidates:
            // core rounds the tie up, Python (and zmij) to even, e.g. 662936471232937.25.
            if digits != core_digits {
                let last = |d: &str| d.bytes().last().map_or(0, |b| b - b'0');
                assert!(
                    last(&core_digits) % 2 == 1 && last(&digits) + 1 == last(&core_digits),
                    "{f:e}"
                );
            }
            let back: f64 = format!("{}0.{digits}e{}", if neg { "-" } else { "" }, exp + 1)
                .parse()
                .unwrap_or(f64::NAN);
            assert_eq!(back, f, "{f:e}");
        }
        // Checked against CPython 3.11 `repr`.
        assert_eq!(float_repr(662936471232937.25), "662936471232937.2");
        assert_eq!(float_repr(-26829767983277.3125), "-26829767983277.312");
        assert_eq!(float_repr(233115890514796.125), "233115890514796.12");
    }
}
