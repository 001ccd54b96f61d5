//! JS values ↔ Rust: requests are read from JS objects with a depth limit (no recursion on
//! untrusted depth beyond it), results are written as plain objects and arrays.

use crate::error::{ErrorCode, FlowgateError};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

/// Deepest JSON nesting accepted in a request (context, inline users, plans).
pub const MAX_REQUEST_DEPTH: usize = 64;

/// Converts a JS value to JSON as `JSON.stringify` would (undefined members dropped, Dates as
/// ISO strings, non-finite numbers as null), refusing nesting deeper than `MAX_REQUEST_DEPTH`.
pub fn to_json(v: &JsValue, path: &str) -> Result<Value, FlowgateError> {
    convert(v, 0, path)
}

fn convert(v: &JsValue, depth: usize, path: &str) -> Result<Value, FlowgateError> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Ok(number(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    if depth >= MAX_REQUEST_DEPTH {
        return Err(FlowgateError::limit(
            "max_depth",
            format!("{path} is nested deeper than {MAX_REQUEST_DEPTH} levels"),
        ));
    }
    if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        return Ok(Value::String(String::from(d.to_iso_string())));
    }
    if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        let mut out = Vec::with_capacity(arr.length() as usize);
        for item in arr.iter() {
            out.push(convert(&item, depth + 1, path)?);
        }
        return Ok(Value::Array(out));
    }
    if v.is_object() {
        let obj: &Object = v.unchecked_ref();
        let mut out = Map::new();
        for key in Object::keys(obj).iter() {
            let Some(k) = key.as_string() else { continue };
            let item = Reflect::get(obj, &key).unwrap_or(JsValue::UNDEFINED);
            if item.is_undefined() || item.is_function() {
                continue;
            }
            out.insert(k, convert(&item, depth + 1, path)?);
        }
        return Ok(Value::Object(out));
    }
    if v.is_bigint() {
        return Err(FlowgateError::invalid_request(
            path,
            "BigInt values are not supported",
        ));
    }
    // functions and symbols: dropped like JSON.stringify does
    Ok(Value::Null)
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Writes a result as plain JS objects (never Maps).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&ser)
        .map_err(|e| error_to_js(&FlowgateError::new(ErrorCode::EngineError, e.to_string())))
}

/// A `{code, message, errors}` object; the JS facade turns it into a `FlowgateError`.
pub fn error_to_js(e: &FlowgateError) -> JsValue {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    e.serialize(&ser)
        .unwrap_or_else(|_| JsValue::from_str(&e.message))
}
