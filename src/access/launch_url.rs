//! Launch URLs (policies §6.1): authentik formats the URL with Python's `%` operator against the
//! serialized user (`url % UserSerializer(user).data`) and falls back to the raw URL on any
//! formatting error. The template is parsed once at load; rendering only looks up user fields.
//!
//! Supported: `%%`, `%(key)s`, `%(key)r`, `%(key)a`, `%(key)d` / `i` / `u`, `%(key)x` / `X` /
//! `o` with Python's flags, width and precision (`crate::python::percent`, shared with
//! blueprint `!Format`). Differences, all leaving the raw URL: positional specs (`%s` with no
//! key: Python would print the whole serialized user dict), float and `%c` conversions, and
//! serializer fields flowgate does not know (`uid`, `uuid`, `avatar`, `groups_obj`, `roles`,
//! `roles_obj`, `last_updated`). `*` widths fail as in Python (a dict gives no ints).

use crate::python::percent::{self, Spec};
use crate::snapshot::User;
use crate::time::{Millis, civil_from_days};
use serde_json::{Number, Value};
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
                    match percent::convert(spec, &value) {
                        Ok(Some(text)) => out.push_str(&text),
                        _ => return self.raw.clone(),
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
    let chars: Vec<char> = s.chars().collect();
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c != '%' {
            text.push(c);
            continue;
        }
        let mut key = None;
        if chars.get(i) == Some(&'(') {
            i += 1;
            // Python counts nested parentheses inside the key.
            let mut depth = 1;
            let mut k = String::new();
            loop {
                let c = *chars.get(i)?; // "incomplete format key"
                i += 1;
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
        // `*` takes an int from the arguments: a dict has none ("* wants int").
        let spec = percent::read_spec(&chars, &mut i, &mut || Err("* wants int".into())).ok()?;
        if spec.conv == '%' {
            text.push('%');
            continue;
        }
        if !matches!(
            spec.conv,
            's' | 'r' | 'a' | 'd' | 'i' | 'u' | 'x' | 'X' | 'o'
        ) {
            return None;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
