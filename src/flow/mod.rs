//! Flows (flows §2–§4, §7.5): the planner, plans as plain JSON (fingerprint, signature),
//! stage-run re-evaluation, invalid responses and the Mermaid diagram.
//!
//! * [`plan`]: the `Plan` JSON form and the checks on plans coming back from clients;
//! * [`planner`]: authentication requirement, flow policies, `evaluate_on_plan`, markers;
//! * [`run`]: `next`, `stageOk`, `stageInvalid`;
//! * [`context`]: well-known context keys and the pending user;
//! * [`sign`]: HMAC-SHA256 plan signatures;
//! * [`diagram`]: authentik's Mermaid diagram;
//! * [`outcome`]: the answer shapes.
//!
//! Decisions where the spec is silent: `plan` uses `options.context` as authentik's default
//! context, or `request.context` when no `options.context` is given (a `restart` re-plans the
//! same way); a `pending_user` of null counts as absent; calls that change a plan return it
//! without its signature (sign it again).

pub mod context;
pub mod diagram;
pub mod outcome;
pub mod plan;
pub mod planner;
pub mod run;
pub mod sign;

pub use outcome::{
    FailureReason, InvalidOutcome, PlanFailure, PlanOutcome, Planned, StageView, StepOutcome,
};
pub use plan::{Marker, Plan};

use crate::api::Engine;
use crate::error::{FlowgateError, Result};
use crate::index::Id;
use crate::json::type_name;
use crate::request::Request;
use plan::{LivePlan, RawPlan, invalid};
use planner::ContextSource;
use serde_json::{Map, Value};

/// `plan` options: `{ context?: object, allowEmpty?: boolean }` (null or absent = defaults).
struct PlanOptions {
    context: Option<Map<String, Value>>,
    allow_empty: bool,
}

fn read_options(options: &Value) -> Result<PlanOptions> {
    let mut out = PlanOptions {
        context: None,
        allow_empty: false,
    };
    let o = match options {
        Value::Null => return Ok(out),
        Value::Object(o) => o,
        other => {
            return Err(FlowgateError::invalid_request(
                "options",
                format!("expected an object, got {}", type_name(other)),
            ));
        }
    };
    match o.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => out.context = Some(m.clone()),
        Some(other) => {
            return Err(FlowgateError::invalid_request(
                "options.context",
                format!("expected an object, got {}", type_name(other)),
            ));
        }
    }
    match o.get("allowEmpty") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => out.allow_empty = *b,
        Some(other) => {
            return Err(FlowgateError::invalid_request(
                "options.allowEmpty",
                format!("expected a boolean, got {}", type_name(other)),
            ));
        }
    }
    Ok(out)
}

impl Engine {
    fn flow_by_slug(&self, slug: &str) -> Result<Id> {
        self.index
            .flows_by_slug
            .get(slug)
            .copied()
            .ok_or_else(|| FlowgateError::not_found(format!("no flow with slug '{slug}'")))
    }

    /// Reads and checks a plan from a client (`invalid_plan`, `stale_plan`).
    fn live_plan(&self, plan: &Value) -> Result<LivePlan> {
        RawPlan::read(plan)?.resolve(&self.index, &self.fingerprint)
    }

    /// Plans `flow_slug` for the request (options: `{context?, allowEmpty?}`).
    pub fn plan(&self, flow_slug: &str, request: &Request, options: &Value) -> Result<PlanOutcome> {
        let flow = self.flow_by_slug(flow_slug)?;
        let options = read_options(options)?;
        let context = options.context.unwrap_or_else(|| request.context.clone());
        let planning = planner::plan(
            &self.index,
            flow,
            request,
            context,
            ContextSource::Options,
            options.allow_empty,
        )?;
        Ok(planner::outcome(&self.index, &self.fingerprint, planning))
    }

    /// Re-evaluates the plan's head at stage-run time, dropping failing heads.
    pub fn next(&self, plan: &Value, request: &Request) -> Result<StepOutcome> {
        let mut live = self.live_plan(plan)?;
        let messages = run::advance(&self.index, &mut live, request)?;
        Ok(run::step(&self.index, &self.fingerprint, live, messages))
    }

    /// Pops the current stage.
    pub fn stage_ok(&self, plan: &Value) -> Result<Plan> {
        let live = run::stage_ok(self.live_plan(plan)?);
        Ok(live.into_plan(&self.index, &self.fingerprint))
    }

    /// Applies the current binding's `invalid_response_action`.
    pub fn stage_invalid(&self, plan: &Value, request: &Request) -> Result<InvalidOutcome> {
        let live = self.live_plan(plan)?;
        run::stage_invalid(&self.index, &self.fingerprint, live, request)
    }

    /// authentik's Mermaid flow diagram; expiry is judged at `request.now` (else now).
    pub fn diagram(&self, flow_slug: &str, request: Option<&Request>) -> Result<String> {
        let flow = self.flow_by_slug(flow_slug)?;
        let now = match request {
            Some(r) => r.now,
            None => current_time(),
        };
        Ok(diagram::build(&self.index, flow, now))
    }

    /// Adds an HMAC-SHA256 `signature` (hex) to a valid plan of this snapshot.
    pub fn sign_plan(&self, plan: &Value, key: &[u8]) -> Result<Plan> {
        let live = self.live_plan(plan)?;
        let mut out = live.into_plan(&self.index, &self.fingerprint);
        out.signature = Some(sign::sign(key, &out.to_raw().signed_fields()));
        Ok(out)
    }

    /// Checks a plan's signature (`invalid_plan` when missing or wrong), then the plan itself.
    pub fn verify_plan(&self, plan: &Value, key: &[u8]) -> Result<Plan> {
        let raw = RawPlan::read(plan)?;
        let Some(signature) = raw.signature.clone() else {
            return Err(invalid("plan.signature", "the plan is not signed"));
        };
        if !sign::verify(key, &raw.signed_fields(), &signature) {
            return Err(invalid(
                "plan.signature",
                "the signature does not match the plan",
            ));
        }
        let live = raw.resolve(&self.index, &self.fingerprint)?;
        let mut out = live.into_plan(&self.index, &self.fingerprint);
        out.signature = Some(signature);
        Ok(out)
    }
}

/// The clock for calls without a request. The wasm binding always passes a request (with
/// `Date.now()`): wasm32-unknown-unknown has no system clock, so there nothing expires.
fn current_time() -> crate::time::Millis {
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::time::system_now()
    }
    #[cfg(target_arch = "wasm32")]
    {
        i64::MIN
    }
}

#[cfg(test)]
mod tests;
