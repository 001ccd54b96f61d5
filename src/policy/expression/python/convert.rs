//! JSON ↔ Python values at the sandbox boundary. JSON comes from the snapshot and the request
//! (depth-limited on input); Python values come back from the sandbox, so reading them is
//! bounded here (depth, cycles) and total: whatever a policy stores, the plan context stays
//! valid JSON.

use crate::time::{Millis, civil_from_days, days_from_civil, format_iso};
use monty_types::{DictPairs, MontyDateTime, MontyObject};
use serde_json::{Map, Number, Value};

/// Deeper Python values are cut to `null` when read back (the input side is already bounded).
pub const MAX_DEPTH: usize = 64;

pub fn str(s: &str) -> MontyObject {
    MontyObject::String(s.to_string())
}

pub fn opt_int(v: Option<i64>) -> MontyObject {
    v.map_or(MontyObject::None, MontyObject::Int)
}

pub fn to_py(v: &Value) -> MontyObject {
    match v {
        Value::Null => MontyObject::None,
        Value::Bool(b) => MontyObject::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => MontyObject::Int(i),
            None => match n.as_u64() {
                Some(u) => MontyObject::BigInt(u.into()),
                None => MontyObject::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Value::String(s) => str(s),
        Value::Array(items) => MontyObject::List(items.iter().map(to_py).collect()),
        Value::Object(m) => map_to_py(m),
    }
}

pub fn map_to_py(m: &Map<String, Value>) -> MontyObject {
    MontyObject::Dict(dict(m.iter().map(|(k, v)| (k.as_str(), to_py(v)))))
}

pub fn dict<'k>(pairs: impl IntoIterator<Item = (&'k str, MontyObject)>) -> DictPairs {
    pairs.into_iter().map(|(k, v)| (str(k), v)).collect()
}

/// A UTC `datetime` (aware, like Django's), or None.
pub fn datetime(ms: Option<Millis>) -> MontyObject {
    let Some(ms) = ms else {
        return MontyObject::None;
    };
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    MontyObject::DateTime(MontyDateTime {
        year: i32::try_from(y).unwrap_or(1970),
        month: m as u8,
        day: d as u8,
        hour: (rem / 3_600_000) as u8,
        minute: (rem / 60_000 % 60) as u8,
        second: (rem / 1000 % 60) as u8,
        microsecond: (rem % 1000) as u32 * 1000,
        offset_seconds: Some(0),
        timezone_name: None,
    })
}

/// `datetime.now(tz)` at the request's `now`: wall clock in `offset` (None: naive UTC).
pub fn now(ms: Millis, offset: Option<i32>, name: Option<String>) -> MontyObject {
    let local = ms + i64::from(offset.unwrap_or(0)) * 1000;
    match datetime(Some(local)) {
        MontyObject::DateTime(mut dt) => {
            dt.offset_seconds = offset;
            dt.timezone_name = offset.and(name);
            MontyObject::DateTime(dt)
        }
        other => other,
    }
}

/// Epoch milliseconds of a datetime (naive = UTC).
fn datetime_ms(dt: &MontyDateTime) -> Millis {
    let days = days_from_civil(i64::from(dt.year), u32::from(dt.month), u32::from(dt.day));
    days * 86_400_000
        + i64::from(dt.hour) * 3_600_000
        + i64::from(dt.minute) * 60_000
        + i64::from(dt.second) * 1000
        + i64::from(dt.microsecond) / 1000
        - i64::from(dt.offset_seconds.unwrap_or(0)) * 1000
}

/// How host objects read back as JSON (users as pk or inline object, …); `None` = `null`.
pub trait HostJson {
    fn host_json(&self, obj: &MontyObject) -> Option<Value>;
}

/// A Python value as JSON: containers recursively (tuples and sets as arrays, non-string keys
/// stringified), datetimes as ISO text, host objects through `host`, sandbox class instances
/// as their public attributes (IP addresses and networks as their text).
pub fn from_py(v: &MontyObject, host: &dyn HostJson, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let seq = |items: &[MontyObject]| {
        Value::Array(items.iter().map(|i| from_py(i, host, depth + 1)).collect())
    };
    match v {
        MontyObject::None | MontyObject::Ellipsis | MontyObject::NotImplemented => Value::Null,
        MontyObject::Bool(b) => Value::Bool(*b),
        MontyObject::Int(i) => Value::Number((*i).into()),
        MontyObject::BigInt(b) => match u64::try_from(b) {
            Ok(u) => Value::Number(u.into()),
            Err(_) => Value::String(b.to_string()),
        },
        MontyObject::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        MontyObject::String(s) | MontyObject::Path(s) | MontyObject::Repr(s) => {
            Value::String(s.clone())
        }
        MontyObject::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        MontyObject::List(items)
        | MontyObject::Tuple(items)
        | MontyObject::Set(items)
        | MontyObject::FrozenSet(items) => seq(items),
        MontyObject::NamedTuple { values, .. } => seq(values),
        MontyObject::Dict(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs.iter() {
                m.insert(key_text(k), from_py(v, host, depth + 1));
            }
            Value::Object(m)
        }
        MontyObject::DateTime(dt) => Value::String(format_iso(datetime_ms(dt))),
        MontyObject::Date(d) => Value::String(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
        MontyObject::ClassInstance(c) if c.class_type.host_defined => {
            host.host_json(v).unwrap_or(Value::Null)
        }
        MontyObject::ClassInstance(c) => {
            let attr = |name: &str| {
                c.attrs.iter().find_map(|(k, v)| match (k, v) {
                    (MontyObject::String(k), MontyObject::String(s)) if k == name => {
                        Some(Value::String(s.clone()))
                    }
                    _ => None,
                })
            };
            match c.class_type.name.as_str() {
                "IPv4Address" | "IPv6Address" => attr("compressed").unwrap_or(Value::Null),
                "IPv4Network" | "IPv6Network" => attr("with_prefixlen").unwrap_or(Value::Null),
                _ => {
                    let mut m = Map::new();
                    for (k, v) in c.attrs.iter() {
                        let k = key_text(k);
                        if !k.starts_with('_') {
                            m.insert(k, from_py(v, host, depth + 1));
                        }
                    }
                    Value::Object(m)
                }
            }
        }
        MontyObject::Exception { arg, .. } => Value::String(arg.clone().unwrap_or_default()),
        _ => Value::Null,
    }
}

/// A dict key as JSON object key: strings as they are, anything else as Python's `str()`.
fn key_text(k: &MontyObject) -> String {
    match k {
        MontyObject::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a Python dict (e.g. the plan context) as a JSON object.
pub fn dict_from_py(v: &MontyObject, host: &dyn HostJson) -> Option<Map<String, Value>> {
    match from_py(v, host, 0) {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct NoHost;
    impl HostJson for NoHost {
        fn host_json(&self, _: &MontyObject) -> Option<Value> {
            Some(json!("host"))
        }
    }

    #[test]
    fn json_round_trips() {
        let v =
            json!({"a": [1, -2, 2.5, "x", null, true, {"b": {}}], "big": 18446744073709551615u64});
        assert_eq!(from_py(&to_py(&v), &NoHost, 0), v);
    }

    #[test]
    fn python_values_read_back_as_json() {
        let v = MontyObject::Tuple(vec![
            MontyObject::Float(f64::NAN),
            MontyObject::Set(vec![MontyObject::Int(1)]),
            MontyObject::Dict(
                vec![(MontyObject::Int(3), MontyObject::Bytes(b"hi".to_vec()))].into(),
            ),
            datetime(Some(1_780_444_800_123)),
        ]);
        assert_eq!(
            from_py(&v, &NoHost, 0),
            json!([null, [1], {"3": "hi"}, "2026-06-03T00:00:00.123Z"])
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = MontyObject::List(vec![]);
        for _ in 0..200 {
            v = MontyObject::List(vec![v]);
        }
        let mut out = &from_py(&v, &NoHost, 0);
        let mut depth = 0;
        while let Value::Array(items) = out {
            depth += 1;
            out = &items[0];
        }
        assert_eq!(depth, MAX_DEPTH + 1);
        assert_eq!(*out, Value::Null);
    }

    #[test]
    fn now_in_a_timezone() {
        let MontyObject::DateTime(dt) = now(0, Some(3600), Some("CET".into())) else {
            panic!("expected a datetime");
        };
        assert_eq!((dt.hour, dt.offset_seconds), (1, Some(3600)));
        assert_eq!(datetime_ms(&dt), 0);
    }
}
