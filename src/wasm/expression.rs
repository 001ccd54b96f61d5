//! `options.expression`: a JS callback `(policy, request) => ({ passing, messages })` that
//! evaluates expression policies for the engine (spec §4). A throwing or malformed callback is
//! an execution error of the policy (→ the binding's failure_result), never an exception.

use super::convert::to_js;
use crate::error::FlowgateError;
use crate::policy::expression::ExpressionHost;
use js_sys::{Array, Function, Reflect};
use serde_json::Value;
use std::sync::Arc;
use wasm_bindgen::{JsCast, JsValue};

const SHAPE: &str = "the expression callback must return { passing: boolean, messages?: string[] }";

struct JsExpressionHost {
    callback: Function,
}

// SAFETY: wasm32-unknown-unknown without the `atomics` target feature runs one thread, so the
// JS function can never be reached from another thread. `ExpressionHost` asks for Send + Sync
// only so that native engines stay shareable.
#[cfg(not(target_feature = "atomics"))]
unsafe impl Send for JsExpressionHost {}
#[cfg(not(target_feature = "atomics"))]
unsafe impl Sync for JsExpressionHost {}

impl ExpressionHost for JsExpressionHost {
    fn evaluate(&self, policy: &Value, request: &Value) -> Result<(bool, Vec<String>), String> {
        let policy = to_js(policy).map_err(|e| describe(&e))?;
        let request = to_js(request).map_err(|e| describe(&e))?;
        let out = self
            .callback
            .call2(&JsValue::UNDEFINED, &policy, &request)
            .map_err(|e| describe(&e))?;
        read_answer(&out)
    }
}

/// The message of a thrown value: an Error's `message`, a string as is.
fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    if let Some(s) = e.as_string() {
        return s;
    }
    // Our own `{code, message}` error objects (e.g. a nested engine call that failed).
    if let Some(m) = get(e, "message").as_string() {
        return m;
    }
    format!("the expression callback threw {e:?}")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    if v.is_object() {
        Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `true`/`false`, or `{ passing, messages? }`.
fn read_answer(out: &JsValue) -> Result<(bool, Vec<String>), String> {
    if let Some(b) = out.as_bool() {
        return Ok((b, Vec::new()));
    }
    if get(out, "then").is_function() {
        return Err(
            "the expression callback must be synchronous (it returned a Promise)".to_string(),
        );
    }
    let Some(passing) = get(out, "passing").as_bool() else {
        return Err(SHAPE.to_string());
    };
    let messages = get(out, "messages");
    if messages.is_undefined() || messages.is_null() {
        return Ok((passing, Vec::new()));
    }
    if !Array::is_array(&messages) {
        return Err(SHAPE.to_string());
    }
    let list: Array = messages.unchecked_into();
    let mut out = Vec::with_capacity(list.length() as usize);
    for m in list.iter() {
        out.push(m.as_string().ok_or_else(|| SHAPE.to_string())?);
    }
    Ok((passing, out))
}

/// Reads `options.expression` (absent or null: none).
pub fn host(options: &JsValue) -> Result<Option<Arc<dyn ExpressionHost>>, FlowgateError> {
    let f = get(options, "expression");
    if f.is_undefined() || f.is_null() {
        return Ok(None);
    }
    match f.dyn_into::<Function>() {
        Ok(callback) => Ok(Some(Arc::new(JsExpressionHost { callback }))),
        Err(_) => Err(FlowgateError::invalid_request(
            "options.expression",
            "expected a function (policy, request) => ({ passing, messages })",
        )),
    }
}
