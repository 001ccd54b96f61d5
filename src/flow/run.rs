//! Stage-run time (flows §2.5, §3, §4.2–§4.3): `next` re-evaluates heads with a `reevaluate`
//! marker and drops failing ones (several in one call), `stageOk` pops the head,
//! `stageInvalid` applies the head binding's `invalid_response_action`.

use super::context::{self, REDIRECT};
use super::outcome::{InvalidOutcome, StageView, StepOutcome};
use super::plan::{LivePlan, Marker, invalid};
use super::planner::{self, ContextSource, Planning};
use crate::error::Result;
use crate::index::Index;
use crate::request::{Actor, Request};
use serde_json::Value;
use std::cell::RefCell;

/// authentik's `FlowPlan.next` with `ReevaluateMarker.process`: while the head is marked
/// `reevaluate` and its bindings fail for the pending user (else the request user), drop it.
/// Returns the messages of every head evaluated, in order. The pending user is read again
/// for every head: a policy of a dropped head may have set it.
pub(crate) fn advance(
    index: &Index,
    live: &mut LivePlan,
    request: &Request,
) -> Result<Vec<String>> {
    let request_actor = Actor::resolve(index, &request.user, "request.user")?;
    let cell = RefCell::new(std::mem::take(&mut live.context));
    let mut messages = Vec::new();
    let mut dropped = 0;
    let run = (|| -> Result<()> {
        while let (Some(&fsb), Some(&marker)) =
            (live.bindings.get(dropped), live.markers.get(dropped))
        {
            if marker != Marker::Reevaluate {
                break;
            }
            let pending = {
                let c = cell.borrow();
                context::pending_user(&c, "plan.context.pending_user", invalid)?
            };
            let user = context::resolve_user(
                index,
                &pending,
                "plan.context.pending_user",
                &request_actor,
            )?;
            let result = planner::evaluate_in_flow(
                index,
                &user,
                request,
                &cell,
                live.flow,
                true,
                index.fsb_targets[fsb as usize],
            );
            messages.extend(result.messages);
            if result.passing {
                break;
            }
            dropped += 1;
        }
        Ok(())
    })();
    live.context = cell.into_inner();
    run?;
    live.pop(dropped);
    Ok(messages)
}

/// The step answer for a plan whose head (if any) is the current stage.
pub(crate) fn step(
    index: &Index,
    fingerprint: &str,
    live: LivePlan,
    messages: Vec<String>,
) -> StepOutcome {
    match live.head() {
        Some(fsb) => StepOutcome {
            done: false,
            stage: Some(StageView::of(index, fsb)),
            plan: live.into_plan(index, fingerprint),
            messages,
            redirect: None,
        },
        None => {
            let redirect = match live.context.get(REDIRECT) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            StepOutcome {
                done: true,
                stage: None,
                plan: live.into_plan(index, fingerprint),
                messages,
                redirect,
            }
        }
    }
}

/// `stage_invalid` → `invalid_response_action` of the current binding (flows §4.2–§4.3).
/// `retry` keeps the head without re-evaluating it; `restart` plans again from scratch and
/// `restart_with_context` from the plan's context, then returns what `next` would.
pub(crate) fn stage_invalid(
    index: &Index,
    fingerprint: &str,
    live: LivePlan,
    request: &Request,
) -> Result<InvalidOutcome> {
    let Some(head) = live.head() else {
        return Err(invalid(
            "plan.bindings",
            "the plan has no current stage to be invalid",
        ));
    };
    let action = index.snap.flow_stage_bindings[head as usize]
        .invalid_response_action
        .as_str();
    let (default_context, source) = match action {
        "restart" => (request.context.clone(), ContextSource::Options),
        "restart_with_context" => (live.context.clone(), ContextSource::Plan),
        _ => {
            return Ok(InvalidOutcome::Step(Box::new(step(
                index,
                fingerprint,
                live,
                Vec::new(),
            ))));
        }
    };
    // authentik's restart_flow: a fresh planner without cache and without allow_empty.
    match planner::plan(index, live.flow, request, default_context, source, false)? {
        Planning::Failed(f) => Ok(InvalidOutcome::Failed(f)),
        Planning::Planned(mut fresh) => {
            let messages = advance(index, &mut fresh, request)?;
            Ok(InvalidOutcome::Step(Box::new(step(
                index,
                fingerprint,
                fresh,
                messages,
            ))))
        }
    }
}

/// `stage_ok`: pop the current stage (a no-op on an empty plan).
pub(crate) fn stage_ok(mut live: LivePlan) -> LivePlan {
    live.pop(1);
    live
}
