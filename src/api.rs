//! The Rust API: `Engine` is built once from a snapshot and answers many questions. Every JS
//! method of the package is one method here; the wasm layer only converts.

use crate::engine::lookup::Lookup;
use crate::engine::{self, PolicyResult};
use crate::error::{ErrorCode, FlowgateError, Result};
use crate::index::{Id, Index};
use crate::json::Errors;
use crate::limits::Limits;
use crate::policy::PolicyCtx;
use crate::request::{Actor, Request, UserSpec};
use crate::snapshot::read_snapshot;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;

/// Counts of the loaded snapshot (`engine.stats` in JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub users: usize,
    pub groups: usize,
    pub policies: usize,
    pub bindings: usize,
    pub flows: usize,
    pub stages: usize,
    pub applications: usize,
}

#[derive(Debug)]
pub struct Engine {
    pub(crate) index: Index,
    /// Identifies the snapshot content (plans made on another snapshot are stale).
    pub(crate) fingerprint: String,
    /// Fast copies of the lookups every decision makes (target names, user pks).
    pub(crate) lookup: Lookup,
}

impl Engine {
    /// Builds an engine from JSON text, enforcing `limits` before and while parsing.
    pub fn from_json(text: &str, limits: &Limits) -> Result<Engine> {
        Engine::from_document(Cow::Owned(parse_snapshot(text, limits)?), limits)
    }

    /// `from_json` that frees the text once parsed (a lower peak of memory while building).
    pub fn from_json_string(text: String, limits: &Limits) -> Result<Engine> {
        let doc = parse_snapshot(&text, limits)?;
        drop(text);
        Engine::from_document(Cow::Owned(doc), limits)
    }

    /// Builds an engine from a parsed snapshot document. All-or-nothing: any error rejects it.
    pub fn from_value(doc: &Value, limits: &Limits) -> Result<Engine> {
        Engine::from_document(Cow::Borrowed(doc), limits)
    }

    /// An owned document is dropped as soon as it has been read, before the index is built:
    /// the JSON tree is the largest thing a build holds (several times the snapshot text).
    fn from_document(doc: Cow<'_, Value>, limits: &Limits) -> Result<Engine> {
        limits.check_document(&doc)?;
        let fingerprint = crate::fingerprint::of_document(&doc);
        let mut errs = Errors::default();
        let snap = read_snapshot(&doc, &mut errs);
        drop(doc);
        if !errs.is_empty() {
            // Cross-reference errors are worth reporting too: index what could be read.
            let mut list = errs.list;
            let remap = crate::snapshot::Snapshot {
                origins: snap.origins.clone(),
                ..Default::default()
            };
            if let Err(more) = Index::build(snap) {
                list.extend(more.into_iter().map(|mut e| {
                    e.path = remap.original_path(&e.path);
                    e
                }));
            }
            return Err(snapshot_error(crate::index::sort_errors(list)));
        }
        limits.check_counts(&snap)?;
        let index = Index::build(snap).map_err(snapshot_error)?;
        Ok(Engine {
            lookup: Lookup::build(&index),
            index,
            fingerprint,
        })
    }

    pub fn stats(&self) -> Stats {
        let s = &self.index.snap;
        Stats {
            users: s.users.len(),
            groups: s.groups.len(),
            policies: s.policies.len(),
            bindings: s.bindings.len(),
            flows: s.flows.len(),
            stages: s.stages.len(),
            applications: s.applications.len(),
        }
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Resolves a target name (`flow:<slug>`, `app:<slug>` or a pbm uuid).
    pub fn target_id(&self, target: &str) -> Result<Id> {
        self.lookup
            .target(target)
            .ok_or_else(|| FlowgateError::not_found(format!("no bindable object '{target}'")))
    }

    /// Does the request's user pass the bindings of `target`? (policies §2)
    pub fn evaluate(&self, target: &str, request: &Request, trace: bool) -> Result<PolicyResult> {
        let target = self.target_id(target)?;
        self.evaluate_id(target, request, trace)
    }

    pub fn evaluate_id(&self, target: Id, request: &Request, trace: bool) -> Result<PolicyResult> {
        let actor = self.actor(&request.user, "user")?;
        Ok(self.with_ctx(&actor, request, trace, |ctx| engine::evaluate(ctx, target)))
    }

    /// One result per request, in order.
    pub fn evaluate_many(&self, target: &str, requests: &[Request]) -> Result<Vec<PolicyResult>> {
        self.evaluate_many_id(self.target_id(target)?, requests)
    }

    pub fn evaluate_many_id(&self, target: Id, requests: &[Request]) -> Result<Vec<PolicyResult>> {
        requests
            .iter()
            .map(|r| self.evaluate_id(target, r, false))
            .collect()
    }

    /// The users (pks, in snapshot order) that pass `target` (authentik's FilterPolicyEngine).
    /// `users`: pks or usernames to consider; None = every user of the snapshot.
    pub fn filter_users(
        &self,
        target: &str,
        users: Option<&[UserSpec]>,
        request: &Request,
    ) -> Result<Vec<i64>> {
        let target = self.target_id(target)?;
        let mut selected: Vec<Id> = match users {
            None => (0..self.index.snap.users.len() as Id).collect(),
            Some(list) => {
                let mut ids = Vec::with_capacity(list.len());
                for (i, spec) in list.iter().enumerate() {
                    let path = format!("users[{i}]");
                    match Actor::resolve(&self.index, spec, &path)? {
                        Actor { id: Some(id), .. } => ids.push(id),
                        _ => {
                            return Err(FlowgateError::invalid_request(
                                &path,
                                "expected a user pk or username",
                            ));
                        }
                    }
                }
                ids
            }
        };
        selected.sort_unstable();
        selected.dedup();
        let mut out = Vec::new();
        for id in selected {
            let actor = Actor::snapshot(&self.index, id);
            if self
                .with_ctx(&actor, request, false, |ctx| engine::evaluate(ctx, target))
                .passing
            {
                out.push(self.index.snap.users[id as usize].pk.unwrap_or_default());
            }
        }
        Ok(out)
    }

    /// Runs one policy (by pk or name) with no binding: no negate, failure_result false.
    pub fn test_policy(
        &self,
        policy: &str,
        request: &Request,
        trace: bool,
    ) -> Result<PolicyResult> {
        let pid = self.index.policy_by_pk_or_name(policy).ok_or_else(|| {
            FlowgateError::not_found(format!("no policy with pk or name '{policy}'"))
        })?;
        let actor = Actor::resolve(&self.index, &request.user, "user")?;
        Ok(self.with_ctx(&actor, request, trace, |ctx| {
            let ctx = PolicyCtx {
                target: None,
                ..*ctx
            };
            engine::test_policy(&ctx, pid)
        }))
    }

    /// `Actor::resolve` with the fast pk lookup (the usual request names a snapshot user by pk).
    pub(crate) fn actor<'a>(&'a self, spec: &'a UserSpec, path: &str) -> Result<Actor<'a>> {
        match spec {
            UserSpec::Pk(pk) => match self.lookup.user(*pk) {
                Some(id) => Ok(Actor::snapshot(&self.index, id)),
                None => Actor::resolve(&self.index, spec, path),
            },
            _ => Actor::resolve(&self.index, spec, path),
        }
    }

    /// Builds the policy context for one evaluation outside a flow.
    pub(crate) fn with_ctx<T>(
        &self,
        actor: &Actor<'_>,
        request: &Request,
        trace: bool,
        f: impl FnOnce(&PolicyCtx<'_>) -> T,
    ) -> T {
        let context = RefCell::new(request.context.clone());
        let ctx = PolicyCtx {
            index: &self.index,
            user: actor,
            request,
            context: &context,
            target: None,
            flow: None,
            depth: 0,
            trace,
        };
        let out = f(&ctx);
        // An empty map owns no heap memory, and dropping one still walks the B-tree machinery
        // (a measurable share of a static decision in Wasm): skip it.
        if context.borrow().is_empty() {
            std::mem::forget(context);
        }
        out
    }
}

/// The snapshot text as JSON, within the limits (size before parsing, nesting while parsing).
fn parse_snapshot(text: &str, limits: &Limits) -> Result<Value> {
    limits.check_snapshot_text(text)?;
    serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            FlowgateError::limit("max_depth", "the snapshot JSON is nested too deeply")
        } else {
            FlowgateError::with_errors(
                ErrorCode::InvalidSnapshot,
                "invalid snapshot",
                vec![crate::error::PathError {
                    path: String::new(),
                    message: format!("not valid JSON: {e}"),
                }],
            )
        }
    })
}

fn snapshot_error(list: Vec<crate::error::PathError>) -> FlowgateError {
    FlowgateError::with_errors(ErrorCode::InvalidSnapshot, "invalid snapshot", list)
}
