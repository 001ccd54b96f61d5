//! Reading untyped JSON with paths: every problem is recorded with its JSON path and reading
//! goes on, so a snapshot reports all of its errors at once (spec §2).

use crate::error::PathError;
use serde_json::{Map, Value};

/// Collects path errors while a document is read.
#[derive(Default, Debug)]
pub struct Errors {
    pub list: Vec<PathError>,
}

impl Errors {
    pub fn push(&mut self, path: &str, message: impl Into<String>) {
        self.list.push(PathError {
            path: path.to_string(),
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A JSON object being read at `path`.
pub struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub path: String,
}

impl<'a> Obj<'a> {
    /// The object at `path`, or an error when `v` is not an object.
    pub fn of(v: &'a Value, path: String, errs: &mut Errors) -> Option<Obj<'a>> {
        match v {
            Value::Object(map) => Some(Obj { map, path }),
            other => {
                errs.push(
                    &path,
                    format!("expected an object, got {}", type_name(other)),
                );
                None
            }
        }
    }

    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value of `key`, treating JSON null as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn req_str(&self, key: &str, errs: &mut Errors) -> Option<String> {
        match self.get(key) {
            None => {
                errs.push(&self.path_of(key), "is required");
                None
            }
            Some(v) => self.str_value(key, v, errs),
        }
    }

    pub fn opt_str(&self, key: &str, errs: &mut Errors) -> Option<String> {
        self.get(key).and_then(|v| self.str_value(key, v, errs))
    }

    /// A string field with a default for absent or null values.
    pub fn str_or(&self, key: &str, default: &str, errs: &mut Errors) -> String {
        self.opt_str(key, errs)
            .unwrap_or_else(|| default.to_string())
    }

    fn str_value(&self, key: &str, v: &Value, errs: &mut Errors) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                errs.push(
                    &self.path_of(key),
                    format!("expected a string, got {}", type_name(other)),
                );
                None
            }
        }
    }

    /// A pk that REST dumps give as a string (uuid) but some hosts give as a number.
    pub fn req_key(&self, key: &str, errs: &mut Errors) -> Option<String> {
        match self.get(key) {
            None => {
                errs.push(&self.path_of(key), "is required");
                None
            }
            Some(v) => key_value(v).or_else(|| {
                errs.push(
                    &self.path_of(key),
                    format!("expected a string, got {}", type_name(v)),
                );
                None
            }),
        }
    }

    pub fn opt_key(&self, key: &str, errs: &mut Errors) -> Option<String> {
        let v = self.get(key)?;
        key_value(v).or_else(|| {
            errs.push(
                &self.path_of(key),
                format!("expected a string, got {}", type_name(v)),
            );
            None
        })
    }

    pub fn bool_or(&self, key: &str, default: bool, errs: &mut Errors) -> bool {
        match self.get(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                errs.push(
                    &self.path_of(key),
                    format!("expected a boolean, got {}", type_name(other)),
                );
                default
            }
        }
    }

    pub fn req_int(&self, key: &str, errs: &mut Errors) -> Option<i64> {
        match self.get(key) {
            None => {
                errs.push(&self.path_of(key), "is required");
                None
            }
            Some(v) => self.int_value(key, v, errs),
        }
    }

    pub fn opt_int(&self, key: &str, errs: &mut Errors) -> Option<i64> {
        self.get(key).and_then(|v| self.int_value(key, v, errs))
    }

    pub fn int_or(&self, key: &str, default: i64, errs: &mut Errors) -> i64 {
        self.opt_int(key, errs).unwrap_or(default)
    }

    fn int_value(&self, key: &str, v: &Value, errs: &mut Errors) -> Option<i64> {
        match as_int(v) {
            Some(i) => Some(i),
            None => {
                errs.push(
                    &self.path_of(key),
                    format!("expected an integer, got {}", describe(v)),
                );
                None
            }
        }
    }

    pub fn opt_f64(&self, key: &str, errs: &mut Errors) -> Option<f64> {
        match self.get(key) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                errs.push(
                    &self.path_of(key),
                    format!("expected a number, got {}", type_name(other)),
                );
                None
            }
        }
    }

    /// A list of keys (strings, or numbers accepted as their decimal text).
    pub fn key_list(&self, key: &str, errs: &mut Errors) -> Vec<String> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let Value::Array(items) = v else {
            errs.push(
                &self.path_of(key),
                format!("expected an array, got {}", type_name(v)),
            );
            return Vec::new();
        };
        let base = self.path_of(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match key_value(item) {
                Some(s) => out.push(s),
                None => errs.push(
                    &index(&base, i),
                    format!("expected a string, got {}", type_name(item)),
                ),
            }
        }
        out
    }

    pub fn str_list(&self, key: &str, errs: &mut Errors) -> Vec<String> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let Value::Array(items) = v else {
            errs.push(
                &self.path_of(key),
                format!("expected an array, got {}", type_name(v)),
            );
            return Vec::new();
        };
        let base = self.path_of(key);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => errs.push(
                    &index(&base, i),
                    format!("expected a string, got {}", type_name(other)),
                ),
            }
        }
        out
    }

    /// An object-valued field (e.g. `attributes`); absent → empty object.
    pub fn object_or_empty(&self, key: &str, errs: &mut Errors) -> Map<String, Value> {
        match self.get(key) {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                errs.push(
                    &self.path_of(key),
                    format!("expected an object, got {}", type_name(other)),
                );
                Map::new()
            }
        }
    }

    /// One of the given enumeration values.
    pub fn choice(&self, key: &str, choices: &[&str], default: &str, errs: &mut Errors) -> String {
        match self.opt_str(key, errs) {
            None => default.to_string(),
            Some(s) if choices.contains(&s.as_str()) => s,
            Some(s) => {
                errs.push(
                    &self.path_of(key),
                    format!("'{s}' is not one of {}", choices.join(", ")),
                );
                default.to_string()
            }
        }
    }
}

/// Integers only: JSON numbers with no fractional part that fit i64.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

fn key_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() <= 40 => format!("the string \"{s}\""),
        Value::Number(n) => format!("the number {n}"),
        other => type_name(other).to_string(),
    }
}

/// Python-style truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}
