//! The planner (authentik's `FlowPlanner.plan`, flows §2.2–§2.3): the authentication
//! requirement on the HTTP user, the flow's policies with the planning user, then every stage
//! binding in order (`evaluate_on_plan` drops failing ones, `re_evaluate_policies` sets the
//! marker). No plan cache: the same inputs always give the same plan.

use super::context::{self, IS_REDIRECTED, IS_RESTORED, OUTPOST};
use super::outcome::{FailureReason, NOT_APPLICABLE, PlanFailure, PlanOutcome, Planned, StageView};
use super::plan::{LivePlan, Marker};
use crate::engine::{self, PolicyResult};
use crate::error::{FlowgateError, Result};
use crate::index::{Id, Index};
use crate::policy::{FlowFacts, PolicyCtx};
use crate::request::{Actor, Request};
use serde_json::{Map, Value};
use std::cell::RefCell;

/// Evaluates `target` inside flow `flow` with the plan context in `context` (conditional
/// `set` actions write there). `has_plan`: false for the flow-access check, true for stage
/// bindings (authentik puts `flow_plan` into the request context only for those).
pub(crate) fn evaluate_in_flow(
    index: &Index,
    user: &Actor<'_>,
    request: &Request,
    context: &RefCell<Map<String, Value>>,
    flow: Id,
    has_plan: bool,
    target: Id,
) -> PolicyResult {
    let ctx = PolicyCtx {
        index,
        user,
        request,
        context,
        target: None,
        flow: Some(FlowFacts { flow, has_plan }),
        depth: 0,
        trace: false,
    };
    engine::evaluate(&ctx, target)
}

/// `_check_authentication` (flows §2.2 step 3), always on the HTTP user, never the pending
/// user.
fn authentication_met(
    requirement: &str,
    http_user: &Actor<'_>,
    request: &Request,
    context: &Map<String, Value>,
) -> bool {
    let outpost = request.http.as_ref().is_some_and(|h| h.outpost);
    match requirement {
        "require_authenticated" => http_user.is_authenticated(),
        "require_unauthenticated" => !http_user.is_authenticated(),
        "require_superuser" => http_user.is_superuser,
        // authentik checks `context.get("is_redirected") is None`: false counts as set.
        "require_redirect" => context.get(IS_REDIRECTED).is_some_and(|v| !v.is_null()),
        "require_outpost" => outpost,
        // authentik's newest requirement (semantics not published, flows §0): a flow that
        // requires a token can only run from a restored (token) plan.
        "require_token" => context.get(IS_RESTORED).is_some_and(|v| !v.is_null()),
        _ => true,
    }
}

/// Where a default context came from, for the error a bad `pending_user` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextSource {
    /// `options.context` (or `request.context`) of `plan`: `invalid_request`.
    Options,
    /// The context of a plan being restarted with its context: `invalid_plan`.
    Plan,
}

impl ContextSource {
    fn path(self) -> &'static str {
        match self {
            ContextSource::Options => "options.context.pending_user",
            ContextSource::Plan => "plan.context.pending_user",
        }
    }
    fn bad(self) -> fn(&str, String) -> FlowgateError {
        match self {
            ContextSource::Options => |p, m| FlowgateError::invalid_request(p, m),
            ContextSource::Plan => |p, m| super::plan::invalid(p, m),
        }
    }
}

/// The result of planning: a plan, or the reason the flow cannot start.
pub(crate) enum Planning {
    Planned(LivePlan),
    Failed(PlanFailure),
}

fn failure(index: &Index, flow: Id, reason: FailureReason, messages: Vec<String>) -> PlanFailure {
    PlanFailure {
        ok: false,
        reason,
        messages,
        denied_action: index.snap.flows[flow as usize].denied_action.clone(),
    }
}

/// Plans `flow` for `request` starting from `default_context`.
pub(crate) fn plan(
    index: &Index,
    flow: Id,
    request: &Request,
    mut default_context: Map<String, Value>,
    source: ContextSource,
    allow_empty: bool,
) -> Result<Planning> {
    let f = &index.snap.flows[flow as usize];
    // Every user reference is resolved up front: an unknown one is `not_found` whatever the
    // flow's requirements.
    let (http_spec, http_path) = context::http_user(request);
    let http_actor = Actor::resolve(index, http_spec, http_path)?;
    let request_actor = Actor::resolve(index, &request.user, "request.user")?;
    let pending = context::pending_user(&default_context, source.path(), source.bad())?;
    let user = context::resolve_user(index, &pending, source.path(), &request_actor)?;

    if !authentication_met(&f.authentication, &http_actor, request, &default_context) {
        return Ok(Planning::Failed(failure(
            index,
            flow,
            FailureReason::AuthRequired,
            vec![NOT_APPLICABLE.to_string()],
        )));
    }
    if request.http.as_ref().is_some_and(|h| h.outpost) {
        default_context.insert(OUTPOST.into(), Value::Bool(true));
    }

    let context = RefCell::new(default_context);
    let access = evaluate_in_flow(
        index,
        &user,
        request,
        &context,
        flow,
        false,
        index.flow_targets[flow as usize],
    );
    if !access.passing {
        let messages = if access.messages.is_empty() {
            vec![NOT_APPLICABLE.to_string()]
        } else {
            access.messages
        };
        return Ok(Planning::Failed(failure(
            index,
            flow,
            FailureReason::Denied,
            messages,
        )));
    }

    let all = &index.flow_stage_bindings[flow as usize];
    let mut bindings = Vec::with_capacity(all.len());
    let mut markers = Vec::with_capacity(all.len());
    for &fsb in all {
        let b = &index.snap.flow_stage_bindings[fsb as usize];
        if b.evaluate_on_plan
            && !evaluate_in_flow(
                index,
                &user,
                request,
                &context,
                flow,
                true,
                index.fsb_targets[fsb as usize],
            )
            .passing
        {
            continue;
        }
        bindings.push(fsb);
        markers.push(if b.re_evaluate_policies {
            Marker::Reevaluate
        } else {
            Marker::None
        });
    }
    if bindings.is_empty() && !allow_empty {
        return Ok(Planning::Failed(failure(
            index,
            flow,
            FailureReason::Empty,
            Vec::new(),
        )));
    }
    Ok(Planning::Planned(LivePlan {
        flow,
        bindings,
        markers,
        context: context.into_inner(),
    }))
}

/// The JS-facing outcome of a planning.
pub(crate) fn outcome(index: &Index, fingerprint: &str, planning: Planning) -> PlanOutcome {
    match planning {
        Planning::Failed(f) => PlanOutcome::Failed(f),
        Planning::Planned(live) => {
            let stages = live
                .bindings
                .iter()
                .map(|&b| StageView::of(index, b))
                .collect();
            PlanOutcome::Planned(Planned {
                ok: true,
                plan: live.into_plan(index, fingerprint),
                stages,
            })
        }
    }
}
