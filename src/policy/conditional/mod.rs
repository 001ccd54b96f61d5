//! Conditional policies (policies §5): authentik's declarative policy language.
//!
//! * `schema`: `{"version": 2, "actions": [...]}` → typed actions (pydantic's rules and messages);
//! * `compile`: registry checks, literal coercion, regexes, group ids (all errors, dotted paths);
//! * `eval`: the runtime; `operators`, `types`, `variables` (registry), `net` (ipaddress),
//!   `pyregex` (Python `re` on the `regex` crate), `url` (`is_url`), `casefold`.
//!
//! Snapshot-level checks (`check_snapshot`): references to missing policies, reference loops,
//! and bindings to targets whose facts lack a variable or setter the policy (or a policy it
//! references) uses (policies §5.8–§5.9).
//!
//! Known differences from authentik:
//! * values are not memoised per run, so a `set` is visible to a later read of the same key;
//! * datetimes have millisecond precision and accept the ISO forms of `crate::time::parse_iso`;
//!   durations are limited to ±292,000 years (i64 microseconds);
//! * applications also carry the OAuth facts (authentik's newest scenario list is unverified),
//!   so `oauth.*` policies can be bound to them;
//! * `ipaddress` follows Python 3.13's `is_private` / `is_global` tables;
//! * see `variables` for facts flowgate does not have and `pyregex` for regular expressions.

mod casefold;
mod casefold_table;
pub mod compile;
mod eval;
pub mod net;
pub mod operators;
pub mod pyregex;
pub mod schema;
#[cfg(test)]
mod tests;
pub mod types;
mod url;
pub mod variables;

use super::{PolicyCtx, PolicyImpl, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::index::{BoundSubject, Id, Index};
use crate::json::Errors;
use crate::snapshot::Policy;
use compile::{CAction, Reference};
use serde_json::{Map, Value, json};

#[derive(Debug)]
pub struct Conditional {
    actions: Vec<CAction>,
    /// `missing_behavior == "fail"`.
    missing_fail: bool,
    failure_message: String,
    /// Variables and setters used, with the facts that provide them.
    requirements: Vec<(&'static str, u16)>,
    references: Vec<Reference>,
}

fn join(base: &str, path: &str) -> String {
    if path.is_empty() {
        base.to_string()
    } else {
        format!("{base}.{path}")
    }
}

impl Conditional {
    pub fn compile(p: &Policy, index: &Index) -> Result<Conditional, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let missing = o.choice("missing_behavior", &["fail", "false"], "fail", &mut errs);
        let failure_message = o.str_or("failure_message", "", &mut errs);
        let empty = json!({"version": schema::SCHEMA_VERSION, "actions": []});
        let actions = o.get("actions").unwrap_or(&empty);
        let base = o.path_of("actions");
        let compiled = match compile::compile_value(actions, Some(index)) {
            Ok(c) => Some(c),
            Err(list) => {
                for (path, message) in list {
                    errs.push(&join(&base, &path), message);
                }
                None
            }
        };
        let (actions, requirements, references) = compiled
            .map(|c| (c.actions, c.requirements, c.references))
            .unwrap_or_default();
        finish(
            Conditional {
                actions,
                missing_fail: missing == "fail",
                failure_message,
                requirements,
                references,
            },
            errs,
        )
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        eval::run(self, ctx)
    }
}

fn conditionals(index: &Index) -> Vec<Option<&Conditional>> {
    index
        .policies
        .iter()
        .map(|p| match &p.imp {
            PolicyImpl::Conditional(c) => Some(&**c),
            _ => None,
        })
        .collect()
}

/// Conditional policies reachable from `from` through references (itself included).
fn reachable(conds: &[Option<&Conditional>], from: Id) -> Vec<bool> {
    let mut seen = vec![false; conds.len()];
    let mut stack = vec![from];
    while let Some(p) = stack.pop() {
        if std::mem::replace(&mut seen[p as usize], true) {
            continue;
        }
        if let Some(Some(c)) = conds.get(p as usize) {
            stack.extend(c.references.iter().filter_map(|r| r.id));
        }
    }
    seen
}

/// References to missing policies, reference loops and conditional target validation.
pub fn check_snapshot(index: &Index) -> Vec<PathError> {
    let conds = conditionals(index);
    let mut errors = Vec::new();
    for (i, c) in conds.iter().enumerate() {
        let Some(c) = c else { continue };
        let base = format!("{}.actions", index.snap.policies[i].path);
        for r in &c.references {
            let message = match r.id {
                None => "Referenced policy does not exist.",
                Some(target) if reachable(&conds, target)[i] => {
                    "Referenced policy references this policy, creating a loop."
                }
                Some(_) => continue,
            };
            errors.push(PathError {
                path: join(&base, &r.path),
                message: message.into(),
            });
        }
    }
    for (_, ib) in index.bindings() {
        let BoundSubject::Policy(pid) = ib.subject else {
            continue;
        };
        if conds.get(pid as usize).copied().flatten().is_none() {
            continue;
        }
        let Some(&target) = index.targets_by_pbm.get(&ib.binding.target) else {
            continue;
        };
        let kind = index.target(target).kind;
        let facts = variables::facts_for(Some(kind));
        let mut unavailable: Vec<&str> = reachable(&conds, pid)
            .iter()
            .enumerate()
            .filter(|(_, r)| **r)
            .filter_map(|(p, _)| conds[p])
            .flat_map(|c| c.requirements.iter())
            .filter(|(_, requires)| requires & facts == 0)
            .map(|(key, _)| *key)
            .collect();
        if unavailable.is_empty() {
            continue;
        }
        unavailable.sort_unstable();
        unavailable.dedup();
        errors.push(PathError {
            path: format!("{}.policy", ib.binding.path),
            message: format!(
                "Policy '{}' uses values which are not available for {}: {}",
                index.snap.policies[pid as usize].name,
                variables::verbose_name(kind),
                unavailable.join(", ")
            ),
        });
    }
    errors
}

/// `validateConditional(actions)` → `{valid, errors: {path: [messages]}}` for editors; errors
/// at the root are keyed `actions`. References are not checked (there is no snapshot).
pub fn validate(actions: &Value) -> Value {
    match compile::compile_value(actions, None) {
        Ok(_) => json!({"valid": true, "errors": {}}),
        Err(list) => {
            let mut errors = Map::new();
            for (path, message) in list {
                let key = if path.is_empty() {
                    "actions".into()
                } else {
                    path
                };
                if let Value::Array(items) = errors
                    .entry(key)
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    items.push(Value::String(message));
                }
            }
            json!({"valid": false, "errors": errors})
        }
    }
}
