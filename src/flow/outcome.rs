//! The answers of the flow calls (spec §4 shapes): `PlanOutcome`, `PlanFailure`,
//! `StepOutcome`, `StageView`.

use super::plan::Plan;
use crate::index::{Id, Index};
use serde::Serialize;

/// The message authentik shows when a flow does not apply and no policy said why.
pub const NOT_APPLICABLE: &str = "Flow does not apply to current user.";

/// One stage of a plan as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageView {
    /// The flow-stage binding pk.
    pub binding: String,
    /// The stage pk.
    pub stage: String,
    pub name: String,
    /// The stage's `component`, echoed from the snapshot.
    pub component: String,
    pub order: i64,
}

impl StageView {
    pub fn of(index: &Index, fsb: Id) -> StageView {
        let b = &index.snap.flow_stage_bindings[fsb as usize];
        let s = &index.snap.stages[index.fsb_stage[fsb as usize] as usize];
        StageView {
            binding: b.pk.clone(),
            stage: s.pk.clone(),
            name: s.name.clone(),
            component: s.component.clone(),
            order: b.order,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// Flow policies failed (authentik's FlowNonApplicableException from the engine).
    Denied,
    /// No stage left (EmptyFlowException).
    Empty,
    /// The authentication requirement is not met (FlowNonApplicableException from
    /// `_check_authentication`).
    AuthRequired,
}

/// `{ ok: false, … }`: the flow cannot start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanFailure {
    pub ok: bool,
    pub reason: FailureReason,
    pub messages: Vec<String>,
    /// The flow's `denied_action`, for the host to act on (flows §4.4).
    pub denied_action: String,
}

/// `{ ok: true, plan, stages }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    pub ok: bool,
    pub plan: Plan,
    pub stages: Vec<StageView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PlanOutcome {
    Planned(Planned),
    Failed(PlanFailure),
}

impl PlanOutcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, PlanOutcome::Planned(_))
    }
}

/// `{ done: false, plan, stage, messages }` or `{ done: true, plan, messages, redirect? }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepOutcome {
    pub done: bool,
    pub plan: Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageView>,
    /// Messages of every head re-evaluated in this call (dropped or kept), in order.
    pub messages: Vec<String>,
    /// `done` only: the plan context's `redirect` (authentik's `_flow_done`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
}

/// `stageInvalid`: the step after the invalid response, or the failed re-plan of a restart.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InvalidOutcome {
    Step(Box<StepOutcome>),
    Failed(PlanFailure),
}
