//! JS values ↔ Rust: requests are read from JS objects with a depth limit (no recursion on
//! untrusted depth beyond it), results are written as plain objects and arrays.
//!
//! The per-decision path has fast lanes (every crossing of the boundary costs tens of ns, and
//! serde-wasm-bindgen makes a fresh JS string per key): `read_request` reads a `{user, now}`
//! request without building JSON, and `policy_result` writes `{passing, messages}` with direct
//! property stores. Both give exactly what the general path gives; anything else takes it.

use super::ser::{Serializer, StringCache};
use crate::engine::PolicyResult;
use crate::error::{ErrorCode, FlowgateError};
use crate::json::Errors;
use crate::request::{Request, parse_now, user_spec};
use crate::time::Millis;
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::any::Any;
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// Deepest JSON nesting accepted in a request (context, inline users, plans).
pub const MAX_REQUEST_DEPTH: usize = 64;

/// Converts a JS value to JSON as `JSON.stringify` would (undefined members dropped, Dates as
/// ISO strings, non-finite numbers as null), refusing nesting deeper than `MAX_REQUEST_DEPTH`.
pub fn to_json(v: &JsValue, path: &str) -> Result<Value, FlowgateError> {
    Reader::default().json(v, path)
}

#[wasm_bindgen]
extern "C" {
    /// A JS `Map` from strings to numbers (positions in a Rust list).
    #[wasm_bindgen(extends = js_sys::Map)]
    pub type IdMap;
    /// `Map.prototype.get`: an absent key gives undefined, i.e. NaN as an f64.
    #[wasm_bindgen(method, js_name = get)]
    pub fn id_of(this: &IdMap, key: &JsValue) -> f64;
}

impl IdMap {
    pub fn new_map() -> IdMap {
        js_sys::Map::new().unchecked_into()
    }
}

/// Longest string kept by `InputStrings`, and how many it keeps.
const MAX_CACHED_INPUT_LEN: usize = 128;
const MAX_CACHED_INPUTS: usize = 8192;

/// JS strings already read by one engine → their text. Reading a string out of JS costs an
/// encode into Wasm memory and two reads back through a `DataView`; the strings of plans and
/// requests (binding pks, slugs, keys, the fingerprint) repeat from call to call.
pub struct InputStrings {
    ids: IdMap,
    texts: RefCell<Vec<String>>,
}

impl Default for InputStrings {
    fn default() -> Self {
        InputStrings {
            ids: IdMap::new_map(),
            texts: RefCell::new(Vec::new()),
        }
    }
}

impl InputStrings {
    /// The text of `v`, a JS string.
    fn read(&self, v: &JsValue) -> String {
        let id = self.ids.id_of(v);
        if id >= 0.0
            && let Some(text) = self.texts.borrow().get(id as usize)
        {
            return text.clone();
        }
        let text = v.as_string().unwrap_or_default();
        let Ok(mut texts) = self.texts.try_borrow_mut() else {
            return text;
        };
        if text.len() <= MAX_CACHED_INPUT_LEN && texts.len() < MAX_CACHED_INPUTS {
            self.ids.set(v, &JsValue::from_f64(texts.len() as f64));
            texts.push(text.clone());
        }
        text
    }
}

/// Reads JS values as JSON, strings through an engine's `InputStrings` when given.
#[derive(Clone, Copy, Default)]
pub struct Reader<'a> {
    pub strings: Option<&'a InputStrings>,
}

impl Reader<'_> {
    pub fn json(&self, v: &JsValue, path: &str) -> Result<Value, FlowgateError> {
        self.convert(v, 0, path)
    }

    fn string(&self, v: &JsValue) -> String {
        match self.strings {
            Some(cache) => cache.read(v),
            None => v.as_string().unwrap_or_default(),
        }
    }

    /// Type tests ordered by how common the type is, each one crossing of the boundary (the
    /// generic `as_f64`/`as_string` write their answer through memory); the order of the tests
    /// that decide the result is the original one: primitives, then the depth limit, then
    /// dates, arrays, objects, BigInts, anything else as null.
    fn convert(&self, v: &JsValue, depth: usize, path: &str) -> Result<Value, FlowgateError> {
        if v.is_string() {
            return Ok(Value::String(self.string(v)));
        }
        let object = v.is_object();
        if !object {
            if js_sys::Number::is_finite(v) {
                return Ok(number(v.unchecked_into_f64()));
            }
            if v.is_null() || v.is_undefined() {
                return Ok(Value::Null);
            }
            if let Some(b) = v.as_bool() {
                return Ok(Value::Bool(b));
            }
            if let Some(n) = v.as_f64() {
                return Ok(number(n));
            }
        }
        if depth >= MAX_REQUEST_DEPTH {
            return Err(FlowgateError::limit(
                "max_depth",
                format!("{path} is nested deeper than {MAX_REQUEST_DEPTH} levels"),
            ));
        }
        if !object {
            if v.is_bigint() {
                return Err(FlowgateError::invalid_request(
                    path,
                    "BigInt values are not supported",
                ));
            }
            // functions and symbols: dropped like JSON.stringify does
            return Ok(Value::Null);
        }
        if let Some(d) = v.dyn_ref::<js_sys::Date>() {
            return Ok(Value::String(String::from(d.to_iso_string())));
        }
        if Array::is_array(v) {
            let arr: &Array = v.unchecked_ref();
            let mut out = Vec::with_capacity(arr.length() as usize);
            for item in arr.iter() {
                out.push(self.convert(&item, depth + 1, path)?);
            }
            return Ok(Value::Array(out));
        }
        let obj: &Object = v.unchecked_ref();
        let mut out = Map::new();
        for key in Object::keys(obj).iter() {
            let item = Reflect::get(obj, &key).unwrap_or(JsValue::UNDEFINED);
            if let Some(value) = self.member(&item, depth + 1, path)? {
                out.insert(self.string(&key), value);
            }
        }
        Ok(Value::Object(out))
    }

    /// An object member: None for the undefined and function members `JSON.stringify` drops.
    fn member(
        &self,
        item: &JsValue,
        depth: usize,
        path: &str,
    ) -> Result<Option<Value>, FlowgateError> {
        if js_sys::Number::is_finite(item) {
            return Ok(Some(number(item.unchecked_into_f64())));
        }
        if item.is_string() {
            return Ok(Some(Value::String(self.string(item))));
        }
        if item.is_undefined() || item.is_function() {
            return Ok(None);
        }
        self.convert(item, depth, path).map(Some)
    }
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
    to_js_with(value, None)
}

/// `to_js` with an engine's string cache.
pub fn to_js_with<T: Serialize + ?Sized>(
    value: &T,
    strings: Option<&StringCache>,
) -> Result<JsValue, JsValue> {
    value
        .serialize(Serializer::new(strings))
        .map_err(|e| error_to_js(&FlowgateError::new(ErrorCode::EngineError, e.to_string())))
}

/// A `{code, message, errors}` object; the JS facade turns it into a `FlowgateError`.
pub fn error_to_js(e: &FlowgateError) -> JsValue {
    e.serialize(Serializer::new(None))
        .unwrap_or_else(|_| JsValue::from_str(&e.message))
}

thread_local! {
    /// Request keys as JS strings, made once: comparing two JS strings is one crossing, making
    /// one from Rust is a copy and a decode.
    static KEY_USER: JsValue = JsValue::from_str("user");
    static KEY_NOW: JsValue = JsValue::from_str("now");
}

/// Reads a request argument exactly as `Request::parse(to_json(v))` does (null and undefined:
/// anonymous), with `clock` giving the default `now`. Walks the object's own keys like `to_json` (one `get` per key, undefined
/// and function members skipped); when only `user` and `now` are present and they parse, the
/// request is built directly, otherwise the JSON object is assembled and parsed.
pub fn read_request(
    reader: Reader<'_>,
    v: &JsValue,
    clock: &mut dyn FnMut() -> Millis,
) -> Result<Request, FlowgateError> {
    if !v.is_object() {
        if v.is_null() || v.is_undefined() {
            return Ok(Request::at(clock()));
        }
        let json = reader.json(v, "request")?;
        return Request::parse(Some(&json), clock());
    }
    if Array::is_array(v) || v.dyn_ref::<js_sys::Date>().is_some() {
        // Arrays and dates: the general path (and its error).
        let json = reader.json(v, "request")?;
        return Request::parse(Some(&json), clock());
    }
    let obj: &Object = v.unchecked_ref();
    let mut user: Option<Value> = None;
    let mut now: Option<Value> = None;
    let mut rest = Map::new();
    for key in Object::keys(obj).iter() {
        let item = Reflect::get(obj, &key).unwrap_or(JsValue::UNDEFINED);
        let Some(value) = reader.member(&item, 1, "request")? else {
            continue;
        };
        if KEY_USER.with(|k| *k == key) {
            user = Some(value);
        } else if KEY_NOW.with(|k| *k == key) {
            now = Some(value);
        } else {
            rest.insert(reader.string(&key), value);
        }
    }
    if rest.is_empty()
        && let Some(req) = user_and_now(user.as_ref(), now.as_ref(), clock)
    {
        return Ok(req);
    }
    // Other keys, or a user/now that does not parse: the general parser (and its errors).
    if let Some(u) = user {
        rest.insert("user".into(), u);
    }
    if let Some(n) = now {
        rest.insert("now".into(), n);
    }
    Request::parse(Some(&Value::Object(rest)), clock())
}

/// `Request::parse` of `{user, now}` when both are valid (null `now` = absent, as there).
fn user_and_now(
    user: Option<&Value>,
    now: Option<&Value>,
    clock: &mut dyn FnMut() -> Millis,
) -> Option<Request> {
    let mut errs = Errors::default();
    let user = user_spec(user, "request.user", &mut errs);
    if !errs.is_empty() {
        return None;
    }
    let now = match now.filter(|n| !n.is_null()) {
        None => clock(),
        Some(n) => parse_now(n)?,
    };
    Some(Request {
        user,
        ..Request::at(now)
    })
}

#[wasm_bindgen]
extern "C" {
    /// A `{}` result being filled; the setters are plain property stores in the glue.
    #[wasm_bindgen(extends = Object)]
    type ResultObject;
    #[wasm_bindgen(method, setter = passing, structural)]
    fn set_passing(this: &ResultObject, value: bool);
    #[wasm_bindgen(method, setter = messages, structural)]
    fn set_messages(this: &ResultObject, value: &Array);
}

/// `{passing, messages}` as `to_js` writes it (same keys, same order); traces take `to_js`.
pub fn policy_result(r: &PolicyResult, strings: &StringCache) -> Result<JsValue, JsValue> {
    if r.trace.is_some() {
        return to_js_with(r, Some(strings));
    }
    let obj: ResultObject = Object::new().unchecked_into();
    obj.set_passing(r.passing);
    let messages = Array::new();
    for m in &r.messages {
        messages.push(&strings.get(m));
    }
    obj.set_messages(&messages);
    Ok(obj.into())
}

/// Any result: policy results (alone or in a list) take the fast writer, the rest `to_js`.
pub fn answer<T: Serialize + Any>(value: &T, strings: &StringCache) -> Result<JsValue, JsValue> {
    let any: &dyn Any = value;
    if let Some(r) = any.downcast_ref::<PolicyResult>() {
        return policy_result(r, strings);
    }
    if let Some(list) = any.downcast_ref::<Vec<PolicyResult>>() {
        let out = Array::new();
        for r in list {
            out.push(&policy_result(r, strings)?);
        }
        return Ok(out.into());
    }
    to_js_with(value, Some(strings))
}
