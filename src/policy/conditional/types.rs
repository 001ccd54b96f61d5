//! Value types of conditional policies and `ValueType.coerce` (policies §5.4), with Python's
//! conversions: `str()` of JSON values, `int()`/`float()` of strings, booleans from
//! "true"/"false"/"1"/"0", ISO datetimes (UTC when naive), `ip_address`, `ip_network(strict=False)`
//! and authentik's `timedelta_from_string` durations ("hours=1;minutes=30").
//!
//! Datetimes are epoch milliseconds (`crate::time`); durations are microseconds.

use super::casefold::casefold;
use super::net::{self, Ip, Net};
use crate::index::{Id, Index};
use crate::time::{Millis, format_iso, parse_iso};
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Number,
    Boolean,
    Datetime,
    Ip,
    Enum,
    Model,
    List,
    Any,
    Duration,
    Cidr,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Datetime => "datetime",
            Kind::Ip => "ip",
            Kind::Enum => "enum",
            Kind::Model => "model",
            Kind::List => "list",
            Kind::Any => "any",
            Kind::Duration => "duration",
            Kind::Cidr => "cidr",
        }
    }
}

/// The kinds a variable of type `any` can be cast to.
pub const CASTS: &[(&str, Kind)] = &[
    ("string", Kind::String),
    ("number", Kind::Number),
    ("boolean", Kind::Boolean),
    ("datetime", Kind::Datetime),
    ("ip", Kind::Ip),
];

/// A non-list type. `choices` (enums) does not take part in equality, as in authentik.
#[derive(Debug, Clone, Copy)]
pub struct Scalar {
    pub kind: Kind,
    pub model: Option<&'static str>,
    pub choices: &'static [&'static str],
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Scalar) -> bool {
        self.kind == other.kind && self.model == other.model
    }
}

impl Scalar {
    pub const fn of(kind: Kind) -> Scalar {
        Scalar {
            kind,
            model: None,
            choices: &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VType {
    One(Scalar),
    /// A list, with the type of its items when known.
    List(Option<Scalar>),
}

impl VType {
    pub const STRING: VType = VType::One(Scalar::of(Kind::String));
    pub const NUMBER: VType = VType::One(Scalar::of(Kind::Number));
    pub const BOOLEAN: VType = VType::One(Scalar::of(Kind::Boolean));
    pub const DATETIME: VType = VType::One(Scalar::of(Kind::Datetime));
    pub const IP: VType = VType::One(Scalar::of(Kind::Ip));
    pub const ANY: VType = VType::One(Scalar::of(Kind::Any));
    pub const DURATION: VType = VType::One(Scalar::of(Kind::Duration));

    pub const fn model(label: &'static str) -> VType {
        VType::One(Scalar {
            kind: Kind::Model,
            model: Some(label),
            choices: &[],
        })
    }

    pub const fn choices(choices: &'static [&'static str]) -> VType {
        VType::One(Scalar {
            kind: Kind::Enum,
            model: None,
            choices,
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            VType::One(s) => s.kind,
            VType::List(_) => Kind::List,
        }
    }

    pub fn item(&self) -> Option<Scalar> {
        match self {
            VType::List(item) => *item,
            VType::One(_) => None,
        }
    }

    /// Holds strings that can be compared case-insensitively.
    pub fn is_textual(&self) -> bool {
        match self {
            VType::List(Some(item)) => matches!(item.kind, Kind::String | Kind::Enum),
            VType::List(None) => false,
            VType::One(s) => matches!(s.kind, Kind::String | Kind::Enum),
        }
    }

    /// Whether values of type `other` can be compared with or assigned to this type.
    pub fn accepts(&self, other: &VType) -> bool {
        let lists = matches!(self, VType::List(_)) || matches!(other, VType::List(_));
        if self.is_textual() && other.is_textual() && !lists {
            return true;
        }
        if let (VType::List(Some(a)), VType::List(Some(b))) = (self, other) {
            return VType::One(*a).accepts(&VType::One(*b));
        }
        self == other || (matches!(self, VType::List(_)) && matches!(other, VType::List(_)))
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.model) {
            (Kind::Model, Some(m)) => write!(f, "model[{m}]"),
            (Kind::Model, None) => write!(f, "model[None]"),
            (k, _) => f.write_str(k.name()),
        }
    }
}

impl fmt::Display for VType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VType::One(s) => s.fmt(f),
            VType::List(Some(item)) => write!(f, "list[{item}]"),
            VType::List(None) => f.write_str("list"),
        }
    }
}

/// A Python number: int or float, compared exactly across the two.
#[derive(Debug, Clone, Copy)]
pub enum Num {
    I(i64),
    F(f64),
}

fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    let fi = i as f64;
    match fi.partial_cmp(&f)? {
        // `f` is integral here; compare exactly.
        Ordering::Equal => Some((i as i128).cmp(&(f as i128))),
        other => Some(other),
    }
}

impl Num {
    pub fn partial_cmp(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::I(a), Num::I(b)) => Some(a.cmp(&b)),
            (Num::F(a), Num::F(b)) => a.partial_cmp(&b),
            (Num::I(a), Num::F(b)) => cmp_int_float(a, b),
            (Num::F(a), Num::I(b)) => cmp_int_float(b, a).map(Ordering::reverse),
        }
    }

    pub fn of_json(n: &serde_json::Number) -> Num {
        match n.as_i64() {
            Some(i) => Num::I(i),
            None => Num::F(n.as_f64().unwrap_or(f64::NAN)),
        }
    }

    pub fn to_json(self) -> Value {
        match self {
            Num::I(i) => Value::from(i),
            Num::F(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::I(i) => write!(f, "{i}"),
            Num::F(x) => f.write_str(&py_float(*x)),
        }
    }
}

/// A typed value: a compiled literal (`V<'static>`) or a resolved variable borrowing from the
/// request, the snapshot or the context.
#[derive(Debug, Clone)]
pub enum V<'a> {
    Str(Cow<'a, str>),
    Num(Num),
    Bool(bool),
    Time(Millis),
    Ip(Ip<'a>),
    /// Microseconds.
    Dur(i64),
    Net(Net),
    List(Vec<V<'a>>),
    /// `user.groups`: group ids (sorted) standing for their pks.
    Groups(&'a [Id]),
    /// A value of unknown type (`any` without cast).
    Any(Cow<'a, Value>),
}

impl V<'_> {
    pub fn into_owned(self) -> V<'static> {
        match self {
            V::Str(s) => V::Str(Cow::Owned(s.into_owned())),
            V::Num(n) => V::Num(n),
            V::Bool(b) => V::Bool(b),
            V::Time(t) => V::Time(t),
            V::Ip(ip) => V::Ip(ip.into_owned()),
            V::Dur(d) => V::Dur(d),
            V::Net(n) => V::Net(n),
            V::List(items) => V::List(items.into_iter().map(V::into_owned).collect()),
            // Only resolved variables hold group ids; literals never do.
            V::Groups(_) => V::List(Vec::new()),
            V::Any(v) => V::Any(Cow::Owned(v.into_owned())),
        }
    }

    /// JSON form, for `set` actions and traces.
    pub fn to_json(&self, index: Option<&Index>) -> Value {
        match self {
            V::Str(s) => Value::String(s.to_string()),
            V::Num(n) => n.to_json(),
            V::Bool(b) => Value::Bool(*b),
            V::Time(t) => Value::String(format_iso(*t)),
            V::Ip(ip) => Value::String(ip.to_string()),
            V::Dur(d) => Value::from(*d as f64 / 1e6),
            V::Net(n) => Value::String(n.to_string()),
            V::List(items) => Value::Array(items.iter().map(|i| i.to_json(index)).collect()),
            V::Groups(ids) => Value::Array(
                ids.iter()
                    .filter_map(|&g| index.and_then(|ix| ix.snap.groups.get(g as usize)))
                    .map(|g| Value::String(g.pk.clone()))
                    .collect(),
            ),
            V::Any(v) => v.as_ref().clone(),
        }
    }
}

/// A variable's value before coercion to its compiled type.
#[derive(Debug)]
pub enum Raw<'a> {
    Json(&'a Value),
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Time(Millis),
    Groups(&'a [Id]),
    StrList(&'a [String]),
    Owned(Value),
}

pub use crate::python::{float_repr as py_float, py_repr, py_str, str_repr as py_repr_str};

/// Python `str()` of an aware UTC datetime.
pub fn py_datetime(ms: Millis) -> String {
    let iso = format_iso(ms - ms.rem_euclid(1000));
    let base = iso.trim_end_matches('Z').replace('T', " ");
    match ms.rem_euclid(1000) {
        0 => format!("{base}+00:00"),
        frac => format!("{base}.{:06}+00:00", frac * 1000),
    }
}

fn raw_str<'a>(raw: &'a Raw<'a>) -> Cow<'a, str> {
    match raw {
        Raw::Json(v) => py_str(v),
        Raw::Str(s) => Cow::Borrowed(s),
        Raw::Int(i) => Cow::Owned(i.to_string()),
        Raw::Bool(b) => Cow::Borrowed(if *b { "True" } else { "False" }),
        Raw::Time(t) => Cow::Owned(py_datetime(*t)),
        Raw::Groups(_) => Cow::Borrowed("[...]"),
        Raw::StrList(items) => {
            let parts: Vec<String> = items.iter().map(|s| py_repr_str(s)).collect();
            Cow::Owned(format!("[{}]", parts.join(", ")))
        }
        Raw::Owned(v) => Cow::Owned(py_str(v).into_owned()),
    }
}

/// `int(s)` for strings that are digits after stripping and removing leading `-`.
fn py_int(s: &str) -> Result<Num, String> {
    let t = s.trim();
    let digits = t.trim_start_matches('-');
    if t.len() - digits.len() > 1 {
        return Err(format!(
            "invalid literal for int() with base 10: {}",
            py_repr_str(s)
        ));
    }
    Ok(match t.parse::<i64>() {
        Ok(i) => Num::I(i),
        // Python ints are unbounded; beyond i64 the float is close enough to compare.
        Err(_) => Num::F(t.parse::<f64>().unwrap_or(f64::NAN)),
    })
}

/// Digits with single underscores between them (Python numeric literal rules).
fn digit_run(s: &str) -> Option<String> {
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    s.chars()
        .all(|c| c.is_ascii_digit() || c == '_')
        .then(|| s.replace('_', ""))
}

/// `float(s)`.
pub fn py_float_parse(s: &str) -> Result<f64, String> {
    let err = || format!("could not convert string to float: {}", py_repr_str(s));
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = body.to_ascii_lowercase();
    let value = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let (mant, exp) = match lower.find('e') {
                Some(i) => (&lower[..i], Some(&lower[i + 1..])),
                None => (&lower[..], None),
            };
            let (int_part, frac_part) = match mant.split_once('.') {
                Some((a, b)) => (a, Some(b)),
                None => (mant, None),
            };
            let int_digits = if int_part.is_empty() {
                String::new()
            } else {
                digit_run(int_part).ok_or_else(err)?
            };
            let frac_digits = match frac_part {
                None | Some("") => String::new(),
                Some(f) => digit_run(f).ok_or_else(err)?,
            };
            if int_digits.is_empty() && frac_digits.is_empty() {
                return Err(err());
            }
            let mut text = format!("{int_digits}.{frac_digits}0");
            if let Some(e) = exp {
                let (esign, edigits) = match e.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("", e.strip_prefix('+').unwrap_or(e)),
                };
                let edigits = digit_run(edigits).ok_or_else(err)?;
                text = format!("{text}e{esign}{edigits}");
            }
            text.parse::<f64>().map_err(|_| err())?
        }
    };
    Ok(if neg { -value } else { value })
}

/// ValueType(number).coerce of a string: `int(v)` if `v.strip().lstrip("-").isdigit()` else
/// `float(v)`.
pub fn py_number_parse(s: &str) -> Result<Num, String> {
    let digits = s.trim().trim_start_matches('-');
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        py_int(s)
    } else {
        py_float_parse(s).map(Num::F)
    }
}

/// authentik's `timedelta_from_string`: `key=value` pairs separated by `;`, keys
/// (case-insensitive) microseconds … weeks, float values, unknown keys ignored. Microseconds.
pub fn parse_duration(expr: &str) -> Option<i64> {
    const KEYS: &[(&str, f64)] = &[
        ("microseconds", 1.0),
        ("milliseconds", 1e3),
        ("seconds", 1e6),
        ("minutes", 6e7),
        ("hours", 3.6e9),
        ("days", 8.64e10),
        ("weeks", 6.048e11),
    ];
    let mut values = [None::<f64>; 7];
    for pair in expr.split(';') {
        let mut it = pair.split('=');
        let (Some(key), Some(value), None) = (it.next(), it.next(), it.next()) else {
            return None;
        };
        let key = key.to_lowercase();
        let Some(slot) = KEYS.iter().position(|(k, _)| *k == key) else {
            continue;
        };
        values[slot] = Some(py_float_parse(value).ok()?);
    }
    if values.iter().all(Option::is_none) {
        return None;
    }
    let micros: f64 = values
        .iter()
        .zip(KEYS)
        .filter_map(|(v, (_, factor))| v.map(|v| v * factor))
        .sum();
    // timedelta allows ±999999999 days; flowgate stops at ±292000 years (i64 microseconds).
    (micros.is_finite() && micros.abs() < 9.2e18).then(|| micros.round_ties_even() as i64)
}

fn coerce_scalar<'a>(raw: Raw<'a>, s: &Scalar) -> Result<V<'a>, String> {
    if let Raw::Owned(v) = raw {
        return coerce_scalar(Raw::Json(&v), s).map(V::into_owned);
    }
    let invalid = |raw: &Raw<'_>| format!("'{}' is not a valid {}", raw_str(raw), s.kind.name());
    match s.kind {
        Kind::Any => Ok(match raw {
            Raw::Json(v) => V::Any(Cow::Borrowed(v)),
            Raw::Str(x) => V::Str(Cow::Borrowed(x)),
            Raw::Int(i) => V::Num(Num::I(i)),
            Raw::Bool(b) => V::Bool(b),
            Raw::Time(t) => V::Time(t),
            Raw::Groups(g) => V::Groups(g),
            Raw::StrList(items) => V::List(
                items
                    .iter()
                    .map(|x| V::Str(Cow::Borrowed(x.as_str())))
                    .collect(),
            ),
            Raw::Owned(v) => V::Any(Cow::Owned(v)),
        }),
        Kind::String | Kind::Model => match raw {
            Raw::Json(Value::String(x)) => Ok(V::Str(Cow::Borrowed(x))),
            Raw::Json(n @ Value::Number(_)) => Ok(V::Str(Cow::Owned(py_repr(n)))),
            Raw::Str(x) => Ok(V::Str(Cow::Borrowed(x))),
            Raw::Int(i) => Ok(V::Str(Cow::Owned(i.to_string()))),
            Raw::Time(t) => Ok(V::Str(Cow::Owned(py_datetime(t)))),
            other => Err(format!("'{}' is not a {}", raw_str(&other), s.kind.name())),
        },
        Kind::Enum => {
            let text = match raw {
                Raw::Json(Value::String(x)) => Cow::Borrowed(x.as_str()),
                Raw::Str(x) => Cow::Borrowed(x),
                ref other => Cow::Owned(raw_str(other).into_owned()),
            };
            if !s.choices.is_empty() && !s.choices.contains(&text.as_ref()) {
                return Err(format!("'{text}' is not a valid choice"));
            }
            Ok(V::Str(text))
        }
        Kind::Number => match raw {
            Raw::Json(Value::Number(n)) => Ok(V::Num(Num::of_json(n))),
            Raw::Json(Value::String(x)) => py_number_parse(x).map(V::Num),
            Raw::Str(x) => py_number_parse(x).map(V::Num),
            Raw::Int(i) => Ok(V::Num(Num::I(i))),
            other => Err(invalid(&other)),
        },
        Kind::Boolean => match raw {
            Raw::Json(Value::Bool(b)) => Ok(V::Bool(*b)),
            Raw::Bool(b) => Ok(V::Bool(b)),
            other => {
                let text = raw_str(&other).to_lowercase();
                match text.as_str() {
                    "true" | "1" => Ok(V::Bool(true)),
                    "false" | "0" => Ok(V::Bool(false)),
                    _ => Err(invalid(&other)),
                }
            }
        },
        Kind::Datetime => match raw {
            Raw::Time(t) => Ok(V::Time(t)),
            Raw::Json(Value::String(x)) => parse_iso(x).map(V::Time).ok_or_else(|| invalid(&raw)),
            Raw::Str(x) => parse_iso(x).map(V::Time).ok_or_else(|| invalid(&raw)),
            other => Err(invalid(&other)),
        },
        Kind::Ip => match raw {
            Raw::Json(Value::String(x)) => net::parse_ip(x).map(V::Ip),
            Raw::Str(x) => net::parse_ip(x).map(V::Ip),
            other => {
                let text = raw_str(&other).into_owned();
                net::parse_ip(&text).map(|ip| V::Ip(ip.into_owned()))
            }
        },
        Kind::Cidr => net::parse_net(&raw_str(&raw)).map(V::Net),
        Kind::Duration => {
            let text = raw_str(&raw);
            parse_duration(&text).map(V::Dur).ok_or_else(|| {
                format!("'{text}' is not a valid duration, use a format like 'hours=1;minutes=30'")
            })
        }
        Kind::List => Err(invalid(&raw)),
    }
}

/// `ValueType.coerce`: the value as `ty`, or the error message.
pub fn coerce<'a>(raw: Raw<'a>, ty: &VType) -> Result<V<'a>, String> {
    match ty {
        VType::One(s) => coerce_scalar(raw, s),
        VType::List(item) => {
            let item = item.unwrap_or(Scalar::of(Kind::Any));
            match raw {
                Raw::Json(Value::Array(items)) => items
                    .iter()
                    .map(|x| coerce_scalar(Raw::Json(x), &item))
                    .collect::<Result<Vec<_>, _>>()
                    .map(V::List),
                Raw::StrList(items) => items
                    .iter()
                    .map(|x| coerce_scalar(Raw::Str(x), &item))
                    .collect::<Result<Vec<_>, _>>()
                    .map(V::List),
                Raw::Groups(ids) => Ok(V::Groups(ids)),
                Raw::Owned(v) => coerce(Raw::Json(&v), ty).map(V::into_owned),
                other => Err(format!("'{}' is not a valid list", raw_str(&other))),
            }
        }
    }
}

/// `ConditionEvaluator.fold`: casefold strings, element-wise for lists.
pub fn fold(v: V<'_>) -> V<'_> {
    match v {
        V::Str(Cow::Borrowed(s)) => V::Str(casefold(s)),
        V::Str(Cow::Owned(s)) => V::Str(Cow::Owned(casefold(&s).into_owned())),
        V::List(items) => V::List(items.into_iter().map(fold).collect()),
        other => other,
    }
}

pub use crate::json::truthy;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: Value, ty: VType) -> Result<Value, String> {
        coerce(Raw::Json(&v), &ty).map(|x| x.to_json(None))
    }

    #[test]
    fn coerces_like_authentik() {
        assert_eq!(c(json!(3), VType::STRING), Ok(json!("3")));
        assert_eq!(c(json!(2.5), VType::STRING), Ok(json!("2.5")));
        assert_eq!(
            c(json!(true), VType::STRING),
            Err("'True' is not a string".into())
        );
        assert_eq!(
            c(json!({"a": 1}), VType::STRING),
            Err("'{'a': 1}' is not a string".into())
        );
        assert_eq!(c(json!(" 42 "), VType::NUMBER), Ok(json!(42)));
        assert_eq!(c(json!("-7"), VType::NUMBER), Ok(json!(-7)));
        assert_eq!(c(json!("1e3"), VType::NUMBER), Ok(json!(1000.0)));
        assert_eq!(c(json!("1_000.5"), VType::NUMBER), Ok(json!(1000.5)));
        assert!(c(json!("seven"), VType::NUMBER).is_err());
        assert!(c(json!(true), VType::NUMBER).is_err());
        assert!(c(json!("--5"), VType::NUMBER).is_err());
        assert_eq!(c(json!("TRUE"), VType::BOOLEAN), Ok(json!(true)));
        assert_eq!(c(json!("0"), VType::BOOLEAN), Ok(json!(false)));
        assert_eq!(c(json!(1), VType::BOOLEAN), Ok(json!(true)));
        assert!(c(json!(1.0), VType::BOOLEAN).is_err());
        assert!(c(json!("yes"), VType::BOOLEAN).is_err());
        assert_eq!(
            c(json!("2020-01-01"), VType::DATETIME),
            Ok(json!("2020-01-01T00:00:00Z"))
        );
        assert_eq!(
            c(json!("foo"), VType::DATETIME),
            Err("'foo' is not a valid datetime".into())
        );
        assert_eq!(
            c(json!("foo"), VType::DURATION),
            Err("'foo' is not a valid duration, use a format like 'hours=1;minutes=30'".into())
        );
        assert_eq!(
            c(json!("foo"), VType::choices(&["internal", "external"])),
            Err("'foo' is not a valid choice".into())
        );
        assert_eq!(
            c(json!(["foo"]), VType::List(Some(Scalar::of(Kind::Cidr)))),
            Err("'foo' does not appear to be an IPv4 or IPv6 network".into())
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("hours=1;minutes=30"), Some(5_400_000_000));
        assert_eq!(parse_duration("Days=1"), Some(86_400_000_000));
        assert_eq!(parse_duration("hours=1;foo=2"), Some(3_600_000_000));
        assert_eq!(parse_duration("foo=2"), None);
        assert_eq!(parse_duration("foo"), None);
        assert_eq!(parse_duration("hours=x"), None);
        assert_eq!(parse_duration("hours=1=2"), None);
        assert_eq!(parse_duration("hours=inf"), None);
    }

    #[test]
    fn python_float_repr() {
        for (f, s) in [
            (1.0, "1.0"),
            (2.5, "2.5"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (123456789.0, "123456789.0"),
            (0.0001, "0.0001"),
            (-3.25, "-3.25"),
        ] {
            assert_eq!(py_float(f), s);
        }
        assert_eq!(py_repr_str("it's"), "\"it's\"");
        assert_eq!(py_repr_str("a\nb"), "'a\\nb'");
    }

    #[test]
    fn numbers_compare_exactly() {
        assert_eq!(Num::I(1).partial_cmp(Num::F(1.0)), Some(Ordering::Equal));
        assert_eq!(Num::I(2).partial_cmp(Num::F(2.5)), Some(Ordering::Less));
        assert_eq!(Num::F(f64::NAN).partial_cmp(Num::I(1)), None);
        assert_eq!(
            Num::I(9_007_199_254_740_993).partial_cmp(Num::F(9_007_199_254_740_992.0)),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn type_names_and_acceptance() {
        let groups = VType::List(Some(Scalar {
            kind: Kind::Model,
            model: Some("authentik_core.group"),
            choices: &[],
        }));
        assert_eq!(groups.to_string(), "list[model[authentik_core.group]]");
        assert!(VType::STRING.accepts(&VType::choices(&["a"])));
        assert!(!VType::STRING.accepts(&VType::NUMBER));
        assert!(VType::List(None).accepts(&groups));
        assert!(!VType::STRING.accepts(&VType::List(Some(Scalar::of(Kind::String)))));
    }
}
