//! `Val`: a resolved blueprint value with Python's semantics where authentik relies on them
//! (truthiness, `str()`/`repr()`, `==` across int/float/bool, insertion-ordered dicts, and
//! deepmerge's `always_merger`). Converted to JSON only when the snapshot is written.

use serde_json::{Map, Number, Value};

/// An insertion-ordered dict (Python dicts keep insertion order; `serde_json::Map` may not).
pub type Dict = Vec<(String, Val)>;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    Dict(Dict),
}

pub fn dict_get<'a>(d: &'a Dict, key: &str) -> Option<&'a Val> {
    d.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Sets `key` in place (a new key goes last), like a Python dict assignment.
pub fn dict_set(d: &mut Dict, key: &str, val: Val) {
    match d.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = val,
        None => d.push((key.to_string(), val)),
    }
}

pub fn dict_remove(d: &mut Dict, key: &str) -> Option<Val> {
    let pos = d.iter().position(|(k, _)| k == key)?;
    Some(d.remove(pos).1)
}

impl Val {
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(s.into())
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Val::None)
    }

    /// Python's `bool(x)`.
    pub fn truthy(&self) -> bool {
        match self {
            Val::None => false,
            Val::Bool(b) => *b,
            Val::Int(i) => *i != 0,
            Val::Float(f) => *f != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::List(l) => !l.is_empty(),
            Val::Dict(d) => !d.is_empty(),
        }
    }

    /// Python's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::None => "NoneType",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Float(_) => "float",
            Val::Str(_) => "str",
            Val::List(_) => "list",
            Val::Dict(_) => "dict",
        }
    }

    /// Python `==`: `1 == 1.0 == True`; containers compare element-wise.
    pub fn py_eq(&self, other: &Val) -> bool {
        match (self.as_number(), other.as_number()) {
            (Some(a), Some(b)) => return a == b,
            (Some(_), None) | (None, Some(_)) => return false,
            _ => {}
        }
        match (self, other) {
            (Val::List(a), Val::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.py_eq(y))
            }
            (Val::Dict(a), Val::Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| dict_get(b, k).is_some_and(|w| v.py_eq(w)))
            }
            _ => self == other,
        }
    }

    /// Numbers and booleans as f64 (Python's numeric tower, bool being an int).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Val::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Python's `str(x)`.
    pub fn py_str(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr(x)`.
    pub fn py_repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, false);
        out
    }

    /// Python's `ascii(x)`: `repr` with non-ASCII characters escaped.
    pub fn py_ascii(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, true);
        out
    }

    fn write_repr(&self, out: &mut String, ascii: bool) {
        match self {
            Val::None => out.push_str("None"),
            Val::Bool(true) => out.push_str("True"),
            Val::Bool(false) => out.push_str("False"),
            Val::Int(i) => out.push_str(&i.to_string()),
            Val::Float(f) => out.push_str(&float_repr(*f)),
            Val::Str(s) => write_str_repr(out, s, ascii),
            Val::List(l) => {
                out.push('[');
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out, ascii);
                }
                out.push(']');
            }
            Val::Dict(d) => {
                out.push('{');
                for (i, (k, v)) in d.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str_repr(out, k, ascii);
                    out.push_str(": ");
                    v.write_repr(out, ascii);
                }
                out.push('}');
            }
        }
    }

    /// A dict key: blueprint dicts become JSON objects, so non-string keys are written the
    /// way `json.dumps` writes them (`1` → `"1"`, `True` → `"true"`, `None` → `"null"`).
    pub fn key_string(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::None => "null".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Float(f) => float_repr(*f),
            other => other.py_repr(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Val::None => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Number((*i).into()),
            // NaN and infinities have no JSON form.
            Val::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Val::Str(s) => Value::String(s.clone()),
            Val::List(l) => Value::Array(l.iter().map(Val::to_json).collect()),
            Val::Dict(d) => {
                let mut m = Map::new();
                for (k, v) in d {
                    m.insert(k.clone(), v.to_json());
                }
                Value::Object(m)
            }
        }
    }

    pub fn from_json(v: &Value) -> Val {
        match v {
            Value::Null => Val::None,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::List(a.iter().map(Val::from_json).collect()),
            Value::Object(o) => Val::Dict(
                o.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Canonical text (sorted keys) for hashing: equal values give equal text.
    pub fn canonical(&self) -> String {
        match self {
            Val::Dict(d) => {
                let mut items: Vec<(&String, &Val)> = d.iter().map(|(k, v)| (k, v)).collect();
                crate::sort::sort_vec_by(&mut items, |a, b| a.0.cmp(b.0));
                let parts: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}:{}", str_repr(k), v.canonical()))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            Val::List(l) => {
                let parts: Vec<String> = l.iter().map(Val::canonical).collect();
                format!("[{}]", parts.join(","))
            }
            other => other.py_repr(),
        }
    }
}

/// deepmerge's `always_merger.merge(base, other)`: dicts merge recursively, lists append,
/// anything else is overridden by `other`.
pub fn deep_merge(base: Val, other: Val) -> Val {
    match (base, other) {
        (Val::Dict(mut a), Val::Dict(b)) => {
            for (k, v) in b {
                match a.iter().position(|(key, _)| *key == k) {
                    Some(i) => {
                        let old = std::mem::replace(&mut a[i].1, Val::None);
                        a[i].1 = deep_merge(old, v);
                    }
                    None => a.push((k, v)),
                }
            }
            Val::Dict(a)
        }
        (Val::List(mut a), Val::List(b)) => {
            a.extend(b);
            Val::List(a)
        }
        (_, other) => other,
    }
}

pub use crate::python::{float_repr, str_repr, write_str_repr};

/// A UUID written with or without dashes, in any case → lower-case dashed form.
pub use crate::python::uuid_str as norm_uuid;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(-2.5), "-2.5");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e-7), "1.5e-07");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(123456.789), "123456.789");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a\nb"), "'a\\nb'");
        let v = Val::List(vec![
            Val::str("a"),
            Val::Int(1),
            Val::None,
            Val::Bool(true),
            Val::Dict(vec![("k".into(), Val::Float(2.0))]),
        ]);
        assert_eq!(v.py_str(), "['a', 1, None, True, {'k': 2.0}]");
    }

    #[test]
    fn truthiness_and_equality() {
        assert!(!Val::str("").truthy());
        assert!(Val::str("x").truthy());
        assert!(!Val::List(vec![]).truthy());
        assert!(!Val::Float(0.0).truthy());
        assert!(Val::Int(1).py_eq(&Val::Bool(true)));
        assert!(Val::Int(2).py_eq(&Val::Float(2.0)));
        assert!(!Val::Int(1).py_eq(&Val::str("1")));
    }

    #[test]
    fn merge_appends_lists_and_recurses() {
        let a = Val::Dict(vec![
            ("l".into(), Val::List(vec![Val::Int(1)])),
            ("d".into(), Val::Dict(vec![("x".into(), Val::Int(1))])),
        ]);
        let b = Val::Dict(vec![
            ("l".into(), Val::List(vec![Val::Int(2)])),
            ("d".into(), Val::Dict(vec![("y".into(), Val::Int(2))])),
            ("s".into(), Val::str("new")),
        ]);
        assert_eq!(
            deep_merge(a, b).py_str(),
            "{'l': [1, 2], 'd': {'x': 1, 'y': 2}, 's': 'new'}"
        );
    }

    #[test]
    fn uuids_normalise() {
        assert_eq!(
            norm_uuid("1219D06E2C064C5BA16278E3959C6CF0").as_deref(),
            Some("1219d06e-2c06-4c5b-a162-78e3959c6cf0")
        );
        assert_eq!(norm_uuid("not-a-uuid"), None);
        assert_eq!(norm_uuid("1219d06e-2c064c5b-a162-78e3959c6cf0-"), None);
    }
}
