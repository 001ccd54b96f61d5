//! The only wasm-bindgen code: the JS `Engine` handle and module functions. Each method
//! converts its arguments, calls the Rust API once, and converts the answer back. Errors are
//! thrown as `{code, message, errors}` objects that the JS facade (`js/`) re-throws as
//! `FlowgateError`.

mod convert;
mod expression;
mod ser;

use crate::error::FlowgateError;
use crate::limits::Limits;
use crate::request::{Request, UserSpec, user_spec};
use convert::{IdMap, InputStrings, Reader, answer, error_to_js, to_js, to_js_with, to_json};
use serde_json::Value;
use wasm_bindgen::prelude::*;

type JsResult = Result<JsValue, JsValue>;

fn fail(e: FlowgateError) -> JsValue {
    error_to_js(&e)
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// Reads an optional request argument (null/undefined: anonymous, now).
fn read_request(
    reader: Reader<'_>,
    v: &JsValue,
    clock: &mut dyn FnMut() -> i64,
) -> Result<Request, JsValue> {
    convert::read_request(reader, v, clock).map_err(fail)
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

/// Heap reserved before a build, per byte of snapshot JSON: below the measured peak (about
/// 7× the text on bench/'s large snapshot), so that the reservation does not raise memory use.
const HEAP_PER_SNAPSHOT_BYTE: usize = 5;

/// Makes the allocator take `bytes` from the system in one step (then frees them to its top
/// chunk). Left alone, dlmalloc grows Wasm memory 64 KiB at a time while a build allocates,
/// and V8 answers every `memory.grow` with a new ArrayBuffer counted as external memory, which
/// sets off garbage collections: thousands of grows made a 25 MB snapshot take minutes. Memory
/// already free in the heap is reused, not grown again. (A global allocator that grows memory
/// geometrically does this for any build size, but costs ~5 % on allocation-heavy calls.)
fn reserve_heap(bytes: usize) {
    // black_box: an allocation freed unused may otherwise be optimised away.
    drop(std::hint::black_box(Vec::<u8>::with_capacity(bytes)));
}

#[wasm_bindgen(js_name = WasmEngine)]
pub struct WasmEngine {
    inner: crate::Engine,
    /// Target names already resolved → target ids (a JS `Map`, only successful lookups, so at
    /// most one entry per target name form): a hit costs one crossing, where a miss copies the
    /// name into Wasm memory and hashes it.
    targets: IdMap,
    /// JS strings of this engine's results (snapshot pks, names…), reused across calls.
    strings: ser::StringCache,
    /// Texts of the JS strings this engine has read (plans, requests), reused across calls.
    inputs: InputStrings,
}

impl WasmEngine {
    /// A result as JS values, strings through this engine's cache.
    fn out<T: serde::Serialize + ?Sized>(&self, value: &T) -> JsResult {
        to_js_with(value, Some(&self.strings))
    }

    /// Reads JS values with this engine's string cache.
    fn reader(&self) -> Reader<'_> {
        Reader {
            strings: Some(&self.inputs),
        }
    }

    /// A request argument, read with this engine's string cache.
    fn request(&self, v: &JsValue) -> Result<Request, JsValue> {
        read_request(self.reader(), v, &mut now)
    }

    /// An argument read as JSON with this engine's string cache.
    fn json(&self, v: &JsValue, name: &str) -> Result<Value, JsValue> {
        self.reader().json(v, name).map_err(fail)
    }

    /// Policy results through the fast writer, anything else as `out`.
    fn answer<T: serde::Serialize + std::any::Any>(&self, value: &T) -> JsResult {
        answer(value, &self.strings)
    }

    /// `Engine::target_id` of a JS string, through the cache.
    fn target(&self, name: &JsValue) -> Result<crate::index::Id, JsValue> {
        let hit = self.targets.id_of(name);
        if hit >= 0.0 {
            return Ok(hit as crate::index::Id);
        }
        let Some(text) = name.as_string() else {
            return Err(fail(FlowgateError::invalid_request(
                "target",
                "expected a string",
            )));
        };
        let id = self.inner.target_id(&text).map_err(fail)?;
        self.targets.set(name, &JsValue::from(id));
        Ok(id)
    }
}

#[wasm_bindgen(js_class = WasmEngine)]
impl WasmEngine {
    /// `snapshot` is JSON text (the facade stringifies objects: one fast parse in Rust).
    #[wasm_bindgen(constructor)]
    pub fn new(snapshot: String, options: JsValue) -> Result<WasmEngine, JsValue> {
        #[cfg(feature = "console_error_panic_hook")]
        console_error_panic_hook::set_once();
        let limits = limits(&options)?;
        let host = expression::host(&options).map_err(fail)?;
        if limits.check_snapshot_text(&snapshot).is_ok() {
            reserve_heap(snapshot.len().saturating_mul(HEAP_PER_SNAPSHOT_BYTE));
        }
        crate::Engine::from_json_string(snapshot, &limits)
            .map(|mut inner| {
                if let Some(host) = host {
                    inner.set_expression_host(host);
                }
                inner
            })
            .map(|inner| WasmEngine {
                inner,
                targets: IdMap::new_map(),
                strings: ser::StringCache::default(),
                inputs: InputStrings::default(),
            })
            .map_err(fail)
    }

    #[wasm_bindgen(getter)]
    pub fn stats(&self) -> JsResult {
        self.out(&self.inner.stats())
    }

    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }

    pub fn evaluate(&self, target: JsValue, req: JsValue, options: JsValue) -> JsResult {
        let req = self.request(&req)?;
        let trace = option_bool(&options, "trace");
        let target = self.target(&target)?;
        self.answer(&self.inner.evaluate_id(target, &req, trace).map_err(fail)?)
    }

    #[wasm_bindgen(js_name = evaluateMany)]
    pub fn evaluate_many(&self, target: JsValue, requests: JsValue) -> JsResult {
        if !js_sys::Array::is_array(&requests) {
            return Err(fail(FlowgateError::invalid_request(
                "requests",
                "expected an array of requests",
            )));
        }
        let list: js_sys::Array = requests.unchecked_into();
        let mut reqs = Vec::with_capacity(list.length() as usize);
        // One batch, one instant: requests without `now` share the clock read once.
        let mut at = None;
        let mut clock = || *at.get_or_insert_with(now);
        for item in list.iter() {
            reqs.push(read_request(self.reader(), &item, &mut clock)?);
        }
        let target = self.target(&target)?;
        self.answer(&self.inner.evaluate_many_id(target, &reqs).map_err(fail)?)
    }

    #[wasm_bindgen(js_name = filterUsers)]
    pub fn filter_users(&self, target: &str, users: JsValue, req: JsValue) -> JsResult {
        let users = if users.is_undefined() || users.is_null() {
            None
        } else {
            let json = self.json(&users, "users")?;
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
        let req = self.request(&req)?;
        self.out(
            &self
                .inner
                .filter_users(target, users.as_deref(), &req)
                .map_err(fail)?,
        )
    }

    #[wasm_bindgen(js_name = testPolicy)]
    pub fn test_policy(&self, policy: &str, req: JsValue, options: JsValue) -> JsResult {
        let req = self.request(&req)?;
        self.answer(
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
        let req = self.request(&req)?;
        self.answer(
            &self
                .inner
                .check_access(app_slug, &req, option_bool(&options, "trace"))
                .map_err(fail)?,
        )
    }

    pub fn applications(&self, req: JsValue, options: JsValue) -> JsResult {
        let req = self.request(&req)?;
        self.out(
            &self
                .inner
                .applications(&req, &self.json(&options, "options")?)
                .map_err(fail)?,
        )
    }

    pub fn entitlements(&self, app_slug: &str, req: JsValue) -> JsResult {
        let req = self.request(&req)?;
        self.out(&self.inner.entitlements(app_slug, &req).map_err(fail)?)
    }
}

// Flows (flows §2–§4).
#[wasm_bindgen(js_class = WasmEngine)]
impl WasmEngine {
    pub fn plan(&self, flow_slug: &str, req: JsValue, options: JsValue) -> JsResult {
        let req = self.request(&req)?;
        self.out(
            &self
                .inner
                .plan(flow_slug, &req, &self.json(&options, "options")?)
                .map_err(fail)?,
        )
    }

    pub fn next(&self, plan: JsValue, req: JsValue) -> JsResult {
        let plan = self.json(&plan, "plan")?;
        let req = self.request(&req)?;
        self.out(&self.inner.next(&plan, &req).map_err(fail)?)
    }

    #[wasm_bindgen(js_name = stageOk)]
    pub fn stage_ok(&self, plan: JsValue) -> JsResult {
        self.out(
            &self
                .inner
                .stage_ok(&self.json(&plan, "plan")?)
                .map_err(fail)?,
        )
    }

    #[wasm_bindgen(js_name = stageInvalid)]
    pub fn stage_invalid(&self, plan: JsValue, req: JsValue) -> JsResult {
        let plan = self.json(&plan, "plan")?;
        let req = self.request(&req)?;
        self.out(&self.inner.stage_invalid(&plan, &req).map_err(fail)?)
    }

    pub fn diagram(&self, flow_slug: &str, req: JsValue) -> Result<String, JsValue> {
        // Always a request: without one, `request` supplies `Date.now()` (no clock in wasm32).
        let req = self.request(&req)?;
        self.inner.diagram(flow_slug, Some(&req)).map_err(fail)
    }

    #[wasm_bindgen(js_name = signPlan)]
    pub fn sign_plan(&self, plan: JsValue, key: &[u8]) -> JsResult {
        self.out(
            &self
                .inner
                .sign_plan(&self.json(&plan, "plan")?, key)
                .map_err(fail)?,
        )
    }

    #[wasm_bindgen(js_name = verifyPlan)]
    pub fn verify_plan(&self, plan: JsValue, key: &[u8]) -> JsResult {
        self.out(
            &self
                .inner
                .verify_plan(&self.json(&plan, "plan")?, key)
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

/// `texts`: blueprint YAML/JSON documents (the facade passes a string array). Only in modules
/// built with the `blueprint` feature: the facade calls whichever loaded module has it.
#[cfg(feature = "blueprint")]
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

/// The module's linear memory (`__memory().buffer.byteLength`), for `bench/`: not part of the
/// public API (the JS facade does not expose it).
#[wasm_bindgen(js_name = __memory)]
pub fn memory() -> JsValue {
    wasm_bindgen::memory()
}

// Bench hooks (`bench/`, not exposed by the JS facade): the core calls looped inside Wasm with no
// boundary crossing per call, so that their time compares with the native bench
// (`benches/engine.rs`) to give the Wasm/native ratio of the Rust code itself.
#[wasm_bindgen(js_class = WasmEngine)]
impl WasmEngine {
    /// `evaluate(targets[pairs[2i]], {user: pairs[2i+1], now})` for every pair; the passing count.
    #[wasm_bindgen(js_name = __benchEvaluate)]
    pub fn bench_evaluate(&self, targets: Vec<String>, pairs: &[u32], now: f64) -> u32 {
        let mut passing = 0;
        for pair in pairs.chunks_exact(2) {
            let Some(target) = targets.get(pair[0] as usize) else {
                continue;
            };
            let req = Request {
                user: UserSpec::Pk(pair[1] as i64),
                ..Request::at(now as i64)
            };
            if let Ok(r) = self.inner.evaluate(target, &req, false) {
                passing += r.passing as u32;
            }
        }
        passing
    }

    /// `plan(flow_slug, {user: pk, now})` `n` times; how many succeeded.
    #[wasm_bindgen(js_name = __benchPlan)]
    pub fn bench_plan(&self, flow_slug: &str, pk: f64, now: f64, n: u32) -> u32 {
        let req = Request {
            user: UserSpec::Pk(pk as i64),
            ..Request::at(now as i64)
        };
        let options = Value::Object(Default::default());
        (0..n)
            .filter(|_| self.inner.plan(flow_slug, &req, &options).is_ok())
            .count() as u32
    }

    /// `next(plan, {user: pk, now})` `n` times on the same plan; how many succeeded.
    #[wasm_bindgen(js_name = __benchNext)]
    pub fn bench_next(&self, plan: JsValue, pk: f64, now: f64, n: u32) -> Result<u32, JsValue> {
        let plan = self.json(&plan, "plan")?;
        let req = Request {
            user: UserSpec::Pk(pk as i64),
            ..Request::at(now as i64)
        };
        Ok((0..n)
            .filter(|_| self.inner.next(&plan, &req).is_ok())
            .count() as u32)
    }
}
