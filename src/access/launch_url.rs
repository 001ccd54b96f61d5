//! Launch URLs (policies §6.1): authentik formats the URL with Python's `%` operator against the
//! serialized user (`url % UserSerializer(user).data`) and falls back to the raw URL on any
//! formatting error. The template is parsed once at load; rendering only looks up user fields.
//!
//! Supported: `%%`, `%(key)s`, `%(key)r`, `%(key)a`, `%(key)d` / `i` / `u`, `%(key)x` / `X` /
//! `o` with Python's flags, width and precision. Differences, all leaving the raw URL:
//! positional specs (`%s` with no key: Python would print the whole serialized user dict),
//! `*` widths, float and `%c` conversions, and serializer fields flowgate does not know (`uid`,
//! `uuid`, `avatar`, `groups_obj`, `roles`, `roles_obj`, `last_updated`).

use crate::python::{float_repr as py_float, write_str_repr};
use crate::snapshot::User;
use crate::time::{Millis, civil_from_days};
use serde_json::{Map, Number, Value};
use std::fmt::Write;

/// A parsed launch URL.
#[derive(Debug, Clone)]
pub struct LaunchUrl {
    pub raw: String,
    /// None when the template can never format (syntax error): the raw URL is used.
    pieces: Option<Vec<Piece>>,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Field { key: String, spec: Spec },
}

#[derive(Debug, Clone, Copy, Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    conv: char,
}

impl LaunchUrl {
    pub fn parse(raw: &str) -> LaunchUrl {
        LaunchUrl {
            raw: raw.to_string(),
            pieces: parse(raw),
        }
    }

    /// The URL formatted for `user` (raw when there is no user or formatting fails).
    pub fn render(&self, user: Option<(&User, bool)>) -> String {
        let (Some(pieces), Some((user, is_superuser))) = (&self.pieces, user) else {
            return self.raw.clone();
        };
        let mut out = String::with_capacity(self.raw.len() + 16);
        for piece in pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field { key, spec } => {
                    // The common `%(username)s`: no conversion of the field needed.
                    if let (Some(text), 's', None, 0) = (
                        plain_field(user, key),
                        spec.conv,
                        spec.precision,
                        spec.width,
                    ) {
                        out.push_str(text);
                        continue;
                    }
                    let Some(value) = user_field(user, is_superuser, key) else {
                        return self.raw.clone();
                    };
                    if format_value(&mut out, &value, spec).is_none() {
                        return self.raw.clone();
                    }
                }
            }
        }
        out
    }
}

/// Parses a Python %-format string; None on anything Python would reject (or flowgate does
/// not support, see the module comment).
fn parse(s: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            text.push(c);
            continue;
        }
        let mut key = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            // Python counts nested parentheses inside the key.
            let mut depth = 1;
            let mut k = String::new();
            loop {
                let c = chars.next()?; // "incomplete format key"
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                k.push(c);
            }
            key = Some(k);
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = digits(&mut chars)?;
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars)?);
        }
        if matches!(chars.peek(), Some('h' | 'l' | 'L')) {
            chars.next();
        }
        let conv = chars.next()?; // "incomplete format"
        if conv == '%' {
            text.push('%');
            continue;
        }
        if !matches!(conv, 's' | 'r' | 'a' | 'd' | 'i' | 'u' | 'x' | 'X' | 'o') {
            return None;
        }
        spec.conv = conv;
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        pieces.push(Piece::Field { key: key?, spec });
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Some(pieces)
}

/// Width or precision digits; `*` (taken from the arguments) is unsupported.
fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        return None;
    }
    let mut n: usize = 0;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = n.checked_mul(10)?.checked_add(d as usize)?;
        chars.next();
    }
    // Python rejects absurd widths ("width too big"); keep output bounded.
    (n <= 4096).then_some(n)
}

/// The string fields of the serialized user, borrowed.
fn plain_field<'u>(user: &'u User, key: &str) -> Option<&'u str> {
    Some(match key {
        "username" => &user.username,
        "name" => &user.name,
        "email" => &user.email,
        "path" => &user.path,
        "type" => &user.user_type,
        _ => return None,
    })
}

/// One field of authentik's `UserSerializer(user).data`.
fn user_field(user: &User, is_superuser: bool, key: &str) -> Option<Value> {
    let s = |v: &str| Value::String(v.to_string());
    let date = |d: Option<Millis>| d.map_or(Value::Null, |t| Value::String(drf_datetime(t)));
    Some(match key {
        "pk" => user
            .pk
            .map_or(Value::Null, |pk| Value::Number(Number::from(pk))),
        "username" => s(&user.username),
        "name" => s(&user.name),
        "email" => s(&user.email),
        "path" => s(&user.path),
        "type" => s(&user.user_type),
        "is_active" => Value::Bool(user.is_active),
        "is_superuser" => Value::Bool(is_superuser),
        "last_login" => date(user.last_login),
        "date_joined" => date(user.date_joined),
        "password_change_date" => date(user.password_change_date),
        "groups" => Value::Array(user.groups.iter().map(|g| s(g)).collect()),
        "attributes" => Value::Object(user.attributes.clone()),
        _ => return None,
    })
}

/// Django REST framework's DateTimeField output: `isoformat()` in UTC with `Z`.
fn drf_datetime(t: Millis) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400_000));
    let rem = t.rem_euclid(86_400_000);
    let (h, mi, s, ms) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if ms != 0 {
        let _ = write!(out, ".{:06}", ms * 1000);
    }
    out.push('Z');
    out
}

/// Appends one formatted value; None = Python would raise (e.g. `%d` of a string).
fn format_value(out: &mut String, v: &Value, spec: &Spec) -> Option<()> {
    let body = match spec.conv {
        's' | 'r' | 'a' => {
            let mut text = match spec.conv {
                's' => py_str(v),
                'r' => py_repr(v, false),
                _ => py_repr(v, true),
            };
            if let Some(p) = spec.precision {
                text = text.chars().take(p).collect();
            }
            return {
                pad(out, &text, "", spec, false);
                Some(())
            };
        }
        _ => int_of(v)?,
    };
    let (sign, magnitude) = if body < 0 {
        ("-", body.unsigned_abs())
    } else if spec.plus {
        ("+", body as u128)
    } else if spec.space {
        (" ", body as u128)
    } else {
        ("", body as u128)
    };
    let (mut digits, prefix) = match spec.conv {
        'x' => (format!("{magnitude:x}"), "0x"),
        'X' => (format!("{magnitude:X}"), "0X"),
        'o' => (format!("{magnitude:o}"), "0o"),
        _ => (magnitude.to_string(), ""),
    };
    if let Some(p) = spec.precision
        && digits.len() < p
    {
        digits.insert_str(0, &"0".repeat(p - digits.len()));
    }
    let prefix = if spec.alt { prefix } else { "" };
    pad(out, &digits, &format!("{sign}{prefix}"), spec, true);
    Some(())
}

/// Python's padding: `-` pads right; `0` pads numbers with zeros after the sign.
fn pad(out: &mut String, body: &str, sign: &str, spec: &Spec, numeric: bool) {
    let len = sign.chars().count() + body.chars().count();
    let fill = spec.width.saturating_sub(len);
    if spec.left {
        out.push_str(sign);
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(body);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(sign);
        out.push_str(body);
    }
}

/// `int(v)` as `%d` applies it: ints, bools and (truncated) floats; anything else raises.
fn int_of(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some(*b as i128),
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e30)
                    .map(|f| f.trunc() as i128)
            }),
        _ => None,
    }
}

/// Python's `str()` of a JSON-decoded value.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other, false),
    }
}

/// Python's `repr()` (or `ascii()` when `ascii`) of a JSON-decoded value.
pub fn py_repr(v: &Value, ascii: bool) -> String {
    let mut out = String::new();
    write_repr(&mut out, v, ascii);
    out
}

fn write_repr(out: &mut String, v: &Value, ascii: bool) {
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
            (_, _, Some(f)) => out.push_str(&py_float(f)),
            _ => out.push_str("nan"),
        },
        Value::String(s) => write_str_repr(out, s, ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item, ascii);
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
        write_repr(out, v, ascii);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> User {
        User {
            pk: Some(7),
            username: "jane".into(),
            name: "Jane O'Neil".into(),
            email: "jane@example.com".into(),
            is_active: true,
            user_type: "internal".into(),
            groups: vec!["g1".into()],
            date_joined: Some(1_780_444_800_123),
            ..User::default()
        }
    }

    fn render(url: &str) -> String {
        let u = user();
        LaunchUrl::parse(url).render(Some((&u, false)))
    }

    #[test]
    fn formats_user_fields() {
        assert_eq!(
            render("https://%(username)s-test.example/%(username)s"),
            "https://jane-test.example/jane"
        );
        assert_eq!(render("https://x/%(pk)05d/%(pk)x"), "https://x/00007/7");
        assert_eq!(render("https://x/?a=%(is_active)s"), "https://x/?a=True");
        assert_eq!(render("%(name)r"), "\"Jane O'Neil\"");
        assert_eq!(render("%(groups)s"), "['g1']");
        assert_eq!(render("%(date_joined)s"), "2026-06-03T00:00:00.123000Z");
        assert_eq!(
            render("100%% %(username).2s|%(username)-6s|"),
            "100% ja|jane  |"
        );
    }

    #[test]
    fn formatting_errors_leave_the_raw_url() {
        for url in [
            "https://example.com/%(does_not_exist)s",
            "https://example.com/a%20b",
            "https://example.com/%s",
            "https://example.com/%(username",
            "https://example.com/50%",
            "https://example.com/%(username)d",
            "https://example.com/%(uid)s",
        ] {
            assert_eq!(render(url), url, "{url}");
        }
    }

    #[test]
    fn no_user_keeps_the_template() {
        let url = "https://%(username)s.example/";
        assert_eq!(LaunchUrl::parse(url).render(None), url);
    }

    #[test]
    fn python_reprs() {
        assert_eq!(
            py_repr(&json!({"a": [1, 2.5, null, true]}), false),
            "{'a': [1, 2.5, None, True]}"
        );
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(-123.456), "-123.456");
        assert_eq!(py_repr(&json!("é"), true), "'\\xe9'");
    }
}
