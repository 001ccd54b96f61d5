//! Policy types behind one dispatch. A policy sees the request only through `PolicyCtx`; it
//! knows nothing of bindings, targets' modes or flows. A policy that cannot run returns
//! `Err(message)`: the engine turns that into the binding's `failure_result` (policies §2.4).

pub mod conditional;
pub mod dummy;
pub mod event_matcher;
pub mod expiry;
pub mod expression;
pub mod geoip;
pub mod password;
pub mod reputation;
pub mod unique_password;

use crate::error::PathError;
use crate::index::{Id, Index};
use crate::request::{Actor, Request};
use crate::snapshot::Policy;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// What a policy run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub passing: bool,
    pub messages: Vec<String>,
    /// Explanation for traces (conditional nodes, GeoIP diagnostics); only filled when tracing.
    pub nodes: Option<Vec<Value>>,
}

impl Outcome {
    pub fn new(passing: bool) -> Outcome {
        Outcome {
            passing,
            messages: Vec::new(),
            nodes: None,
        }
    }
    pub fn with_message(passing: bool, message: impl Into<String>) -> Outcome {
        Outcome {
            passing,
            messages: vec![message.into()],
            nodes: None,
        }
    }
}

/// `Err(message)`: the policy failed to execute (authentik's PolicyException).
pub type PolicyRun = Result<Outcome, String>;

/// Flow facts visible to policies evaluated inside a flow.
#[derive(Debug, Clone, Copy)]
pub struct FlowFacts {
    pub flow: Id,
    /// True when a plan exists (`flow_plan` in authentik's context): stage bindings at plan
    /// time and at stage-run time, not flow-access checks.
    pub has_plan: bool,
}

/// Everything a policy may look at for one evaluation.
#[derive(Clone, Copy)]
pub struct PolicyCtx<'a> {
    pub index: &'a Index,
    pub user: &'a Actor<'a>,
    pub request: &'a Request,
    /// The policy request context (in flows: the plan context); conditional `set` actions
    /// write here.
    pub context: &'a RefCell<Map<String, Value>>,
    /// The target being evaluated (None for `testPolicy`: every fact is available).
    pub target: Option<Id>,
    pub flow: Option<FlowFacts>,
    /// Depth of policy references (conditional `policy` nodes).
    pub depth: u32,
    pub trace: bool,
}

impl<'a> PolicyCtx<'a> {
    pub fn run_policy(&self, id: Id) -> PolicyRun {
        self.index.policies[id as usize].run(self)
    }
}

#[derive(Debug)]
pub enum PolicyImpl {
    /// Placeholder for a policy that failed to compile (the snapshot is rejected anyway).
    Invalid,
    Dummy(dummy::Dummy),
    Conditional(Box<conditional::Conditional>),
    Reputation(reputation::Reputation),
    GeoIp(geoip::GeoIp),
    EventMatcher(event_matcher::EventMatcher),
    Password(password::Password),
    PasswordExpiry(expiry::PasswordExpiry),
    UniquePassword(unique_password::UniquePassword),
    Expression(expression::Expression),
}

#[derive(Debug)]
pub struct CompiledPolicy {
    pub imp: PolicyImpl,
}

impl CompiledPolicy {
    pub fn invalid() -> CompiledPolicy {
        CompiledPolicy {
            imp: PolicyImpl::Invalid,
        }
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        match &self.imp {
            PolicyImpl::Invalid => Err("policy is invalid".into()),
            PolicyImpl::Dummy(p) => p.run(ctx),
            PolicyImpl::Conditional(p) => p.run(ctx),
            PolicyImpl::Reputation(p) => p.run(ctx),
            PolicyImpl::GeoIp(p) => p.run(ctx),
            PolicyImpl::EventMatcher(p) => p.run(ctx),
            PolicyImpl::Password(p) => p.run(ctx),
            PolicyImpl::PasswordExpiry(p) => p.run(ctx),
            PolicyImpl::UniquePassword(p) => p.run(ctx),
            PolicyImpl::Expression(p) => p.run(ctx),
        }
    }
}

/// Compiles one policy of the snapshot. Errors carry JSON paths below the policy's own path.
pub fn compile(p: &Policy, index: &Index) -> Result<CompiledPolicy, Vec<PathError>> {
    let imp = match p.kind.as_str() {
        "dummy" => PolicyImpl::Dummy(dummy::Dummy::compile(p)?),
        "conditional" => {
            PolicyImpl::Conditional(Box::new(conditional::Conditional::compile(p, index)?))
        }
        "reputation" => PolicyImpl::Reputation(reputation::Reputation::compile(p)?),
        "geoip" => PolicyImpl::GeoIp(geoip::GeoIp::compile(p)?),
        "event_matcher" => PolicyImpl::EventMatcher(event_matcher::EventMatcher::compile(p)?),
        "password" => PolicyImpl::Password(password::Password::compile(p)?),
        "password_expiry" => PolicyImpl::PasswordExpiry(expiry::PasswordExpiry::compile(p)?),
        "unique_password" => {
            PolicyImpl::UniquePassword(unique_password::UniquePassword::compile(p)?)
        }
        "expression" => PolicyImpl::Expression(expression::Expression::compile(p)?),
        other => {
            return Err(vec![PathError {
                path: format!("{}.type", p.path),
                message: format!("unknown policy type '{other}'"),
            }]);
        }
    };
    Ok(CompiledPolicy { imp })
}

/// Whole-snapshot checks that need every policy compiled: conditional references (missing
/// policies, loops) and conditional target validation (policies §5.8–§5.9).
pub fn check_snapshot(index: &Index) -> Vec<PathError> {
    conditional::check_snapshot(index)
}

/// Reads the policy's own JSON fields with paths; shared by the policy types.
pub fn fields(p: &Policy) -> crate::json::Obj<'_> {
    crate::json::Obj {
        map: &p.raw,
        path: p.path.clone(),
    }
}

/// Converts collected field errors to a compile result.
pub fn finish<T>(value: T, errs: crate::json::Errors) -> Result<T, Vec<PathError>> {
    if errs.is_empty() {
        Ok(value)
    } else {
        Err(errs.list)
    }
}

/// The execution error of a policy type this build cannot run.
pub fn unsupported(kind: &str) -> String {
    format!("policy type '{kind}' is not supported by this build")
}
