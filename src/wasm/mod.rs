//! The only wasm-bindgen code: the JS `Engine` handle and module functions. Each method
//! converts its arguments, calls the Rust API once, and converts the answer back. Errors are
//! thrown as `{code, message, errors}` objects that the JS facade (`js/`) re-throws as
//! `FlowgateError`.

mod convert;

use crate::error::FlowgateError;
use crate::limits::Limits;
use crate::request::{Request, UserSpec, user_spec};
use convert::{error_to_js, to_js, to_json};
use serde_json::Value;
use wasm_bindgen::prelude::*;

type JsResult = Result<JsValue, JsValue>;

fn fail(e: FlowgateError) -> JsValue {
    error_to_js(&e)
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// Reads an optional request argument.
fn request(v: &JsValue) -> Result<Request, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(Request::at(now()));
    }
    let json = to_json(v, "request").map_err(fail)?;
    Request::parse(Some(&json), now()).map_err(fail)
}

fn option_bool(options: &JsValue, key: &str) -> bool {
    if options.is_object() {
        js_sys::Reflect::get(options, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    } else {
        false
    }
}

fn limits(options: &JsValue) -> Result<Limits, JsValue> {
    let mut limits = Limits::default();
    if !options.is_object() {
        return Ok(limits);
    }
    let given =
        js_sys::Reflect::get(options, &JsValue::from_str("limits")).unwrap_or(JsValue::UNDEFINED);
    if given.is_undefined() || given.is_null() {
        return Ok(limits);
    }
    let json = to_json(&given, "options.limits").map_err(fail)?;
    limits.apply_overrides(&json).map_err(fail)?;
    Ok(limits)
}

#[wasm_bindgen(js_name = WasmEngine)]
pub struct WasmEngine {
    inner: crate::Engine,
}

#[wasm_bindgen(js_class = WasmEngine)]
impl WasmEngine {
    /// `snapshot` is JSON text (the facade stringifies objects: one fast parse in Rust).
    #[wasm_bindgen(constructor)]
    pub fn new(snapshot: &str, options: JsValue) -> Result<WasmEngine, JsValue> {
        #[cfg(feature = "console_error_panic_hook")]
        console_error_panic_hook::set_once();
        let limits = limits(&options)?;
        crate::Engine::from_json(snapshot, &limits)
            .map(|inner| WasmEngine { inner })
            .map_err(fail)
    }

    #[wasm_bindgen(getter)]
    pub fn stats(&self) -> JsResult {
        to_js(&self.inner.stats())
    }

    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }

    pub fn evaluate(&self, target: &str, req: JsValue, options: JsValue) -> JsResult {
        let req = request(&req)?;
        let trace = option_bool(&options, "trace");
        to_js(&self.inner.evaluate(target, &req, trace).map_err(fail)?)
    }

    #[wasm_bindgen(js_name = evaluateMany)]
    pub fn evaluate_many(&self, target: &str, requests: JsValue) -> JsResult {
        if !js_sys::Array::is_array(&requests) {
            return Err(fail(FlowgateError::invalid_request(
                "requests",
                "expected an array of requests",
            )));
        }
        let list: js_sys::Array = requests.unchecked_into();
        let mut reqs = Vec::with_capacity(list.length() as usize);
        for item in list.iter() {
            reqs.push(request(&item)?);
        }
        to_js(&self.inner.evaluate_many(target, &reqs).map_err(fail)?)
    }

    #[wasm_bindgen(js_name = filterUsers)]
    pub fn filter_users(&self, target: &str, users: JsValue, req: JsValue) -> JsResult {
        let users = if users.is_undefined() || users.is_null() {
            None
        } else {
            let json = to_json(&users, "users").map_err(fail)?;
            let Value::Array(items) = json else {
                return Err(fail(FlowgateError::invalid_request(
                    "users",
                    "expected an array of user pks or usernames",
                )));
            };
            let mut errs = crate::json::Errors::default();
            let specs: Vec<UserSpec> = items
                .iter()
                .enumerate()
                .map(|(i, v)| user_spec(Some(v), &format!("users[{i}]"), &mut errs))
                .collect();
            if let Some(e) = errs.list.first() {
                return Err(fail(FlowgateError::invalid_request(
                    &e.path,
                    e.message.clone(),
                )));
            }
            Some(specs)
        };
        let req = request(&req)?;
        to_js(
            &self
                .inner
                .filter_users(target, users.as_deref(), &req)
                .map_err(fail)?,
        )
    }

    #[wasm_bindgen(js_name = testPolicy)]
    pub fn test_policy(&self, policy: &str, req: JsValue, options: JsValue) -> JsResult {
        let req = request(&req)?;
        to_js(
            &self
                .inner
                .test_policy(policy, &req, option_bool(&options, "trace"))
                .map_err(fail)?,
        )
    }
}

// Applications and entitlements (policies §6).
#[wasm_bindgen(js_class = WasmEngine)]
impl WasmEngine {
    #[wasm_bindgen(js_name = checkAccess)]
    pub fn check_access(&self, app_slug: &str, req: JsValue, options: JsValue) -> JsResult {
        let req = request(&req)?;
        to_js(
            &self
                .inner
                .check_access(app_slug, &req, option_bool(&options, "trace"))
                .map_err(fail)?,
        )
    }

    pub fn applications(&self, req: JsValue, options: JsValue) -> JsResult {
        let req = request(&req)?;
        to_js(
            &self
                .inner
                .applications(&req, &json_arg(&options, "options")?)
                .map_err(fail)?,
        )
    }

    pub fn entitlements(&self, app_slug: &str, req: JsValue) -> JsResult {
        let req = request(&req)?;
        to_js(&self.inner.entitlements(app_slug, &req).map_err(fail)?)
    }
}

// Flows (flows §2–§4).
#[wasm_bindgen(js_class = WasmEngine)]
impl WasmEngine {
    pub fn plan(&self, flow_slug: &str, req: JsValue, options: JsValue) -> JsResult {
        let req = request(&req)?;
        to_js(
            &self
                .inner
                .plan(flow_slug, &req, &json_arg(&options, "options")?)
                .map_err(fail)?,
        )
    }

    pub fn next(&self, plan: JsValue, req: JsValue) -> JsResult {
        let plan = json_arg(&plan, "plan")?;
        let req = request(&req)?;
        to_js(&self.inner.next(&plan, &req).map_err(fail)?)
    }

    #[wasm_bindgen(js_name = stageOk)]
    pub fn stage_ok(&self, plan: JsValue) -> JsResult {
        to_js(
            &self
                .inner
                .stage_ok(&json_arg(&plan, "plan")?)
                .map_err(fail)?,
        )
    }

    #[wasm_bindgen(js_name = stageInvalid)]
    pub fn stage_invalid(&self, plan: JsValue, req: JsValue) -> JsResult {
        let plan = json_arg(&plan, "plan")?;
        let req = request(&req)?;
        to_js(&self.inner.stage_invalid(&plan, &req).map_err(fail)?)
    }

    pub fn diagram(&self, flow_slug: &str, req: JsValue) -> Result<String, JsValue> {
        let req = if req.is_undefined() || req.is_null() {
            None
        } else {
            Some(request(&req)?)
        };
        self.inner.diagram(flow_slug, req.as_ref()).map_err(fail)
    }

    #[wasm_bindgen(js_name = signPlan)]
    pub fn sign_plan(&self, plan: JsValue, key: &[u8]) -> JsResult {
        to_js(
            &self
                .inner
                .sign_plan(&json_arg(&plan, "plan")?, key)
                .map_err(fail)?,
        )
    }

    #[wasm_bindgen(js_name = verifyPlan)]
    pub fn verify_plan(&self, plan: JsValue, key: &[u8]) -> JsResult {
        to_js(
            &self
                .inner
                .verify_plan(&json_arg(&plan, "plan")?, key)
                .map_err(fail)?,
        )
    }
}

#[wasm_bindgen(js_name = validateConditional)]
pub fn validate_conditional(actions: JsValue) -> JsResult {
    to_js(&crate::policy::conditional::validate(&json_arg(
        &actions, "actions",
    )?))
}

/// `texts`: blueprint YAML/JSON documents (the facade passes a string array).
#[wasm_bindgen(js_name = blueprintsToSnapshot)]
pub fn blueprints_to_snapshot(texts: Vec<String>, options: JsValue) -> JsResult {
    to_js(
        &crate::blueprint::blueprints_to_snapshot(&texts, &json_arg(&options, "options")?)
            .map_err(fail)?,
    )
}

/// An argument read as JSON (undefined → null).
fn json_arg(v: &JsValue, name: &str) -> Result<Value, JsValue> {
    to_json(v, name).map_err(fail)
}

#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
