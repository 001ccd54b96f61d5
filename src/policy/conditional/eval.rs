//! `ConditionEvaluator` (policies §5.7): runs compiled actions for one request.
//!
//! * Actions run in order; a `stop` ends the run. A failing stop returns the messages retained
//!   from failing referenced policies, then its message (or `failure_message`).
//! * A comparison on a missing value (variable or variable operand) fails the whole policy with
//!   `failure_message` when `missing_behavior` is `fail`; with `false` it is false (negate is not
//!   applied). Presence checks never count as missing.
//! * Groups short-circuit left to right; messages of referenced policies inside a node that
//!   passed are dropped.
//! * `set` writes the policy context (the plan context in flows); outside a flow with a plan it
//!   is an execution error.
//!
//! The common path allocates nothing: values borrow from the request, snapshot and context,
//! literals were coerced when compiling. Only case-insensitive comparisons (folded copies),
//! regular expressions taken from variables and traces allocate.

use super::Conditional;
use super::compile::{CAction, CCompare, CNode, COperand, CVar};
use super::operators::{Env, Op, apply};
use super::pyregex;
use super::schema::GroupOp;
use super::types::{V, coerce, fold};
use super::variables::{self, SetterDef, SetterId};
use crate::policy::{Outcome, PolicyCtx, PolicyRun};
use serde_json::{Map, Value, json};

pub const MAX_POLICY_DEPTH: u32 = 10;
const TRACE_VALUE_LENGTH: usize = 100;

enum Halt<'c> {
    Stop {
        pass: bool,
        message: Option<&'c str>,
    },
    /// A compared value is missing and `missing_behavior` is `fail`.
    Missing,
    /// The policy could not run (PolicyException).
    Error(String),
}

struct Run<'c, 'a> {
    ctx: &'c PolicyCtx<'a>,
    policy: &'c Conditional,
    /// Messages of failing referenced policies, kept while they may explain a failure.
    messages: Vec<String>,
    nodes: Option<Vec<Value>>,
}

/// Django's `cleanse_item`: values of sensitive-looking names are hidden in traces.
fn cleansed(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !lower.contains("passing")
        && [
            "api",
            "token",
            "key",
            "secret",
            "pass",
            "signature",
            "http_cookie",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

fn trace_value(name: &str, v: &V<'_>, index: &crate::index::Index) -> Value {
    if cleansed(name) {
        return Value::String("********************".into());
    }
    match v.to_json(Some(index)) {
        Value::String(s) if s.chars().count() > TRACE_VALUE_LENGTH => {
            Value::String(s.chars().take(TRACE_VALUE_LENGTH).collect())
        }
        other => other,
    }
}

fn context_busy() -> String {
    "the policy context is in use".into()
}

impl<'c, 'a> Run<'c, 'a> {
    fn trace(&mut self, f: impl FnOnce() -> Value) {
        if let Some(nodes) = self.nodes.as_mut() {
            nodes.push(f());
        }
    }

    /// `_resolve`: the value as the compiled type; a failed cast is missing.
    fn resolve<'m>(
        &self,
        cv: &CVar,
        ctx: &PolicyCtx<'m>,
        cmap: &'m Map<String, Value>,
    ) -> Result<Option<V<'m>>, Halt<'c>> {
        let Some(raw) = variables::resolve(cv.def, cv.param.as_deref(), ctx, cmap) else {
            return Ok(None);
        };
        match coerce(raw, &cv.ty) {
            Ok(v) => Ok(Some(v)),
            Err(_) if cv.is_cast() => Ok(None),
            Err(_) => Err(Halt::Error(format!(
                "Variable '{}' resolved to an invalid value",
                cv.def.key
            ))),
        }
    }

    fn compare(&mut self, c: &'c CCompare) -> Result<bool, Halt<'c>> {
        let ctx: &PolicyCtx<'a> = self.ctx;
        let cmap = ctx
            .context
            .try_borrow()
            .map_err(|_| Halt::Error(context_busy()))?;
        let value = self.resolve(&c.var, ctx, &cmap)?;
        let mut missing = value.is_none().then_some(c.var.def.key);
        let mut var_operand = None;
        if let (COperand::Var(ov), None) = (&c.operand, missing) {
            match self.resolve(ov, ctx, &cmap)? {
                None => missing = Some(ov.def.key),
                Some(o) if !c.case_sensitive && c.op != Op::Matches => var_operand = Some(fold(o)),
                Some(o) => var_operand = Some(o),
            }
        }
        // The value as traced (before folding); only computed when tracing.
        let shown = self.nodes.as_ref().map(|_| match &value {
            Some(v) => {
                let name = c
                    .var
                    .param
                    .as_deref()
                    .unwrap_or_else(|| c.var.def.key.rsplit('.').next().unwrap_or_default());
                trace_value(name, v, ctx.index)
            }
            None => Value::String("MISSING".into()),
        });
        if c.op.checks_presence() {
            let result = (value.is_some() == (c.op == Op::IsSet)) != c.negate;
            self.trace(|| {
                json!({"node": c.path, "variable": c.var.def.key, "operator": c.op.name(),
                       "value": shown, "result": result})
            });
            return Ok(result);
        }
        let v = match (&value, missing) {
            (Some(v), None) => v,
            _ => {
                let key = missing.unwrap_or(c.var.def.key);
                if self.policy.missing_fail {
                    self.trace(|| json!({"node": c.path, "missing": key}));
                    return Err(Halt::Missing);
                }
                self.trace(|| json!({"node": c.path, "missing": key, "result": false}));
                return Ok(false);
            }
        };
        let result = if c.op == Op::Matches {
            let V::Str(s) = v else {
                return Err(Halt::Error("matches needs a string value".into()));
            };
            match (&c.operand, &var_operand) {
                (COperand::Lit(lit), _) => lit.regex.as_ref().is_some_and(|r| r.is_match(s)),
                (_, Some(V::Str(pattern))) => {
                    if pattern.chars().count() > super::compile::MAX_REGEX_LENGTH {
                        return Err(Halt::Error("Regular expression is too long".into()));
                    }
                    pyregex::compile(pattern, !c.case_sensitive)
                        .map_err(Halt::Error)?
                        .is_match(s)
                }
                _ => return Err(Halt::Error("Invalid regular expression".into())),
            }
        } else {
            let folded;
            let v = if c.case_sensitive {
                v
            } else {
                folded = fold(v.clone());
                &folded
            };
            let env = Env {
                index: ctx.index,
                now_us: ctx.request.now.saturating_mul(1000),
                fold: !c.case_sensitive,
            };
            let (operand, groups) = match &c.operand {
                COperand::None => (None, None),
                COperand::Lit(lit) => (Some(&lit.v), lit.groups.as_deref()),
                COperand::Var(_) => (var_operand.as_ref(), None),
            };
            apply(c.op, &env, v, operand, groups).map_err(Halt::Error)?
        };
        let result = result != c.negate;
        self.trace(|| {
            json!({"node": c.path, "variable": c.var.def.key, "operator": c.op.name(),
                   "value": shown, "result": result})
        });
        Ok(result)
    }

    /// `_evaluate`: a node's result; messages retained inside a passing node are dropped.
    fn evaluate(&mut self, node: &'c CNode) -> Result<bool, Halt<'c>> {
        let mark = self.messages.len();
        let result = match node {
            CNode::Group { path, op, children } => {
                let mut any = false;
                let mut all = true;
                for child in children {
                    let r = self.evaluate(child)?;
                    any |= r;
                    all &= r;
                    if (*op == GroupOp::All && !r) || (*op != GroupOp::All && r) {
                        break;
                    }
                }
                let result = match op {
                    GroupOp::All => all,
                    GroupOp::Any => any,
                    GroupOp::None => !any,
                };
                self.trace(|| json!({"node": path, "group": op.name(), "result": result}));
                result
            }
            CNode::Policy { path, pk, id } => {
                if self.ctx.depth >= MAX_POLICY_DEPTH {
                    return Err(Halt::Error(
                        "Maximum policy reference depth exceeded".into(),
                    ));
                }
                let Some(id) = *id else {
                    return Err(Halt::Error(format!(
                        "Referenced policy {pk} does not exist"
                    )));
                };
                let sub = PolicyCtx {
                    depth: self.ctx.depth + 1,
                    trace: false,
                    ..*self.ctx
                };
                let outcome = sub.run_policy(id).map_err(Halt::Error)?;
                self.messages.extend(outcome.messages);
                let result = outcome.passing;
                let index = self.ctx.index;
                self.trace(|| {
                    let name = index
                        .snap
                        .policies
                        .get(id as usize)
                        .map(|p| p.name.as_str());
                    json!({"node": path, "policy": name, "result": result})
                });
                result
            }
            CNode::Compare(c) => self.compare(c)?,
        };
        if result {
            self.messages.truncate(mark);
        }
        Ok(result)
    }

    fn set(
        &mut self,
        setter: &SetterDef,
        param: Option<&str>,
        value: &'c COperand,
    ) -> Result<bool, Halt<'c>> {
        let ctx: &PolicyCtx<'a> = self.ctx;
        let value = match value {
            COperand::Lit(lit) => Some(lit.v.to_json(Some(ctx.index))),
            COperand::Var(cv) => {
                let cmap = ctx
                    .context
                    .try_borrow()
                    .map_err(|_| Halt::Error(context_busy()))?;
                self.resolve(cv, ctx, &cmap)?
                    .map(|v| v.to_json(Some(ctx.index)))
            }
            COperand::None => None,
        };
        let Some(value) = value else {
            if self.policy.missing_fail {
                return Err(Halt::Missing);
            }
            return Ok(false);
        };
        if !ctx.flow.is_some_and(|f| f.has_plan) {
            return Err(Halt::Error(
                "Values can only be set while a flow is being executed".into(),
            ));
        }
        let mut map = ctx
            .context
            .try_borrow_mut()
            .map_err(|_| Halt::Error(context_busy()))?;
        let key = param.unwrap_or_default().to_string();
        match setter.id {
            SetterId::PlanContext => {
                map.insert(key, value);
            }
            SetterId::PromptData => {
                let data = map
                    .entry("prompt_data")
                    .or_insert_with(|| Value::Object(Map::new()));
                if !data.is_object() {
                    *data = Value::Object(Map::new());
                }
                if let Some(data) = data.as_object_mut() {
                    data.insert(key, value);
                }
            }
            SetterId::ContextKey(k) => {
                map.insert(k.to_string(), value);
            }
        }
        Ok(true)
    }

    fn actions(&mut self, actions: &'c [CAction]) -> Result<(), Halt<'c>> {
        for action in actions {
            match action {
                CAction::If {
                    path,
                    enabled: true,
                    cond,
                    then,
                    otherwise,
                } => {
                    let r = self.evaluate(cond)?;
                    self.trace(|| json!({"node": path, "action": "if", "result": r}));
                    self.actions(if r { then } else { otherwise })?;
                }
                CAction::Stop {
                    path,
                    enabled: true,
                    pass,
                    message,
                } => {
                    self.trace(|| json!({"node": path, "action": "stop", "result": pass}));
                    return Err(Halt::Stop {
                        pass: *pass,
                        message: message.as_deref(),
                    });
                }
                CAction::Set {
                    path,
                    enabled: true,
                    setter,
                    param,
                    value,
                } => {
                    let set = self.set(setter, param.as_deref(), value)?;
                    self.trace(|| json!({"node": path, "action": "set", "set": set}));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `ConditionEvaluator.run`.
pub fn run(policy: &Conditional, ctx: &PolicyCtx<'_>) -> PolicyRun {
    let mut r = Run {
        ctx,
        policy,
        messages: Vec::new(),
        nodes: ctx.trace.then(Vec::new),
    };
    let halt = r.actions(&policy.actions);
    let mut out = Outcome::new(true);
    match halt {
        Ok(()) => {}
        Err(Halt::Stop {
            pass: true,
            message,
        }) => out.messages.extend(message.map(str::to_string)),
        Err(Halt::Stop {
            pass: false,
            message,
        }) => {
            out.passing = false;
            out.messages = std::mem::take(&mut r.messages);
            let message = message.unwrap_or(&policy.failure_message);
            if !message.is_empty() {
                out.messages.push(message.to_string());
            }
        }
        Err(Halt::Missing) => {
            out.passing = false;
            if !policy.failure_message.is_empty() {
                out.messages.push(policy.failure_message.clone());
            }
        }
        Err(Halt::Error(e)) => return Err(e),
    }
    out.nodes = r.nodes;
    Ok(out)
}
