//! The policy engine (policies §2, spec §5.1–§5.5): which bindings take part, running them,
//! negate / failure_result / dry-run, static user and group bindings, combining by mode, trace.

pub mod lookup;

use crate::index::{BoundSubject, Id, Index, TargetKind};
use crate::policy::{PolicyCtx, PolicyRun};
use crate::snapshot::Mode;
use serde::Serialize;
use serde_json::Value;

/// The answer to "does this user pass the bindings of this object?".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PolicyResult {
    pub passing: bool,
    pub messages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<BindingTrace>>,
}

/// One binding that took part (enabled, unexpired; dry-run included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BindingTrace {
    pub binding: String,
    pub order: i64,
    pub kind: &'static str,
    pub name: String,
    /// The effective result: after negate, or failure_result on error.
    pub passing: bool,
    pub negate: bool,
    pub dry_run: bool,
    pub messages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<Value>>,
}

/// Evaluates every binding of `target` for `ctx.user` (authentik's `PolicyEngine.build()`).
/// `ctx.target` is set to `target` for the policies' target-dependent facts.
pub fn evaluate(ctx: &PolicyCtx<'_>, target: Id) -> PolicyResult {
    let index = ctx.index;
    let info = index.target(target);
    // RAC endpoints need their application to pass first (policies §2.8).
    if let TargetKind::RacEndpoint(Some(app)) = info.kind {
        let app_result = evaluate(ctx, index.app_targets[app as usize]);
        if !app_result.passing {
            return app_result;
        }
    }
    let ctx = PolicyCtx {
        target: Some(target),
        ..*ctx
    };
    let now = ctx.request.now;
    let mut dynamic_passing: Option<bool> = None; // combined so far (None = no effective result)
    let mut messages = Vec::new();
    let mut static_total = 0u32;
    let mut static_passing = 0u32;
    let mut trace = ctx.trace.then(Vec::new);

    for &bid in &info.bindings {
        let ib = index.binding(bid);
        if !ib.is_active(now) {
            continue;
        }
        let b = ib.binding;
        match ib.subject {
            BoundSubject::Policy(pid) => {
                let run = ctx.run_policy(pid);
                let (passing, msgs, error, nodes) = effective(run, b.negate, b.failure_result);
                if let Some(t) = trace.as_mut() {
                    t.push(BindingTrace {
                        binding: b.pk.clone(),
                        order: b.order,
                        kind: "policy",
                        name: index.snap.policies[pid as usize].name.clone(),
                        passing,
                        negate: b.negate,
                        dry_run: b.dry_run,
                        messages: msgs.clone(),
                        error,
                        nodes,
                    });
                }
                if !b.dry_run {
                    dynamic_passing = Some(combine(info.mode, dynamic_passing, passing));
                    messages.extend(msgs);
                }
            }
            BoundSubject::Group(_) | BoundSubject::User(_) => {
                let passing = static_passes(ctx.user, ib.subject, b.negate);
                if let Some(t) = trace.as_mut() {
                    t.push(BindingTrace {
                        binding: b.pk.clone(),
                        order: b.order,
                        kind: if matches!(ib.subject, BoundSubject::Group(_)) {
                            "group"
                        } else {
                            "user"
                        },
                        name: subject_name(index, ib.subject),
                        passing,
                        negate: b.negate,
                        dry_run: b.dry_run,
                        messages: Vec::new(),
                        error: None,
                        nodes: None,
                    });
                }
                if !b.dry_run {
                    static_total += 1;
                    static_passing += passing as u32;
                }
            }
        }
    }
    // Static bindings form one result appended after all policy results (policies §2.3).
    let mut passing = dynamic_passing;
    if static_total > 0 {
        let static_result = match info.mode {
            Mode::Any => static_passing > 0,
            Mode::All => static_passing == static_total,
        };
        passing = Some(combine(info.mode, passing, static_result));
    }
    PolicyResult {
        passing: passing.unwrap_or(info.empty_result),
        messages,
        trace,
    }
}

fn combine(mode: Mode, acc: Option<bool>, next: bool) -> bool {
    match (mode, acc) {
        (_, None) => next,
        (Mode::All, Some(a)) => a && next,
        (Mode::Any, Some(a)) => a || next,
    }
}

/// negate applies to a run policy's result; an execution error gives failure_result, not
/// negated, with the error text as message (policies §2.4).
fn effective(
    run: PolicyRun,
    negate: bool,
    failure_result: bool,
) -> (bool, Vec<String>, Option<String>, Option<Vec<Value>>) {
    match run {
        Ok(o) => (o.passing != negate, o.messages, None, o.nodes),
        Err(e) => (failure_result, vec![e.clone()], Some(e), None),
    }
}

/// `member XOR negate`; users without a pk fail every static binding, negated ones too.
pub fn static_passes(
    user: &crate::request::Actor<'_>,
    subject: BoundSubject,
    negate: bool,
) -> bool {
    let Some(pk) = user.pk() else { return false };
    let member = match subject {
        BoundSubject::Group(g) => user.in_group(g),
        BoundSubject::User(u) => u == pk,
        BoundSubject::Policy(_) => false,
    };
    member != negate
}

fn subject_name(index: &Index, subject: BoundSubject) -> String {
    match subject {
        BoundSubject::Policy(p) => index.snap.policies[p as usize].name.clone(),
        BoundSubject::Group(g) => index.snap.groups[g as usize].name.clone(),
        BoundSubject::User(u) => index
            .users_by_pk
            .get(&u)
            .map(|&id| index.snap.users[id as usize].username.clone())
            .unwrap_or_default(),
    }
}

/// Runs one policy as authentik's policy test endpoint does: no negate, failure_result false.
pub fn test_policy(ctx: &PolicyCtx<'_>, policy: Id) -> PolicyResult {
    let (passing, messages, error, nodes) = effective(ctx.run_policy(policy), false, false);
    let trace = ctx.trace.then(|| {
        vec![BindingTrace {
            binding: String::new(),
            order: 0,
            kind: "policy",
            name: ctx.index.snap.policies[policy as usize].name.clone(),
            passing,
            negate: false,
            dry_run: false,
            messages: messages.clone(),
            error,
            nodes,
        }]
    });
    PolicyResult {
        passing,
        messages,
        trace,
    }
}
