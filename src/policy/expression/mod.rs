//! Expression policies (policies §4): a Python function body. Three ways to run one:
//! * a host callback (`Engine::set_expression_host`, JS `options.expression`) in any build;
//! * the `python` build: the body is parsed once at load time and run in the monty sandbox
//!   with authentik's execution model and helpers (`python/`);
//! * otherwise every run is an execution error with a fixed message (spec §5.9), so the
//!   binding's failure_result applies.

pub mod host;
#[cfg(feature = "python")]
mod python;

pub use host::ExpressionHost;

use super::{Outcome, PolicyCtx, PolicyImpl, PolicyRun};
use crate::api::Engine;
use crate::error::PathError;
use crate::json::type_name;
use crate::snapshot::Policy;
use serde_json::Value;
use std::sync::Arc;

pub const UNSUPPORTED: &str = "expression policies are not supported by this build";

pub struct Expression {
    pub source: String,
    /// Set by `Engine::set_expression_host`: the host and the policy object it receives.
    host: Option<(Arc<dyn ExpressionHost>, Value)>,
    /// Boxed: a compiled monty program is large, and policies are an enum of all types.
    #[cfg(feature = "python")]
    program: Box<python::Program>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expression")
            .field("source", &self.source)
            .field("host", &self.host.is_some())
            .finish()
    }
}

impl Expression {
    /// Reads `expression`; the python build also parses it (a syntax error is a snapshot
    /// error at `policies[i].expression`, as authentik refuses to save such a policy).
    pub fn compile(p: &Policy) -> Result<Expression, Vec<PathError>> {
        let path = format!("{}.expression", p.path);
        let source = match p.raw.get("expression") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(vec![PathError {
                    path,
                    message: format!("expected a string, got {}", type_name(other)),
                }]);
            }
        };
        #[cfg(feature = "python")]
        let program = python::Program::compile(&source, &p.pk)
            .map(Box::new)
            .map_err(|message| {
                vec![PathError {
                    path: path.clone(),
                    message,
                }]
            })?;
        Ok(Expression {
            source,
            host: None,
            #[cfg(feature = "python")]
            program,
        })
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        if let Some((host, policy)) = &self.host {
            let request = host::request_json(
                ctx.index,
                ctx.user.user,
                ctx.request,
                &ctx.context.borrow(),
                ctx.target,
            );
            let (passing, messages) = host.evaluate(policy, &request)?;
            return Ok(Outcome {
                passing,
                messages,
                nodes: None,
            });
        }
        self.run_builtin(ctx)
    }

    #[cfg(feature = "python")]
    fn run_builtin(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        self.program.run(ctx)
    }

    #[cfg(not(feature = "python"))]
    fn run_builtin(&self, _ctx: &PolicyCtx<'_>) -> PolicyRun {
        Err(UNSUPPORTED.to_string())
    }
}

impl Engine {
    /// Lets `host` evaluate every expression policy of this engine (it takes precedence over
    /// the python build's interpreter: the host asked for it explicitly).
    pub fn set_expression_host(&mut self, host: Arc<dyn ExpressionHost>) {
        let index = &mut self.index;
        for (p, compiled) in index.snap.policies.iter().zip(index.policies.iter_mut()) {
            if let PolicyImpl::Expression(e) = &mut compiled.imp {
                e.host = Some((host.clone(), Value::Object(p.raw.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::request::Request;
    use serde_json::json;
    use std::sync::Mutex;

    fn engine() -> Engine {
        let snap = json!({
            "users": [{"pk": 1, "username": "jane", "attributes": {"team": "a"}}],
            "policies": [
                {"pk": "p1", "name": "expr", "type": "expression", "expression": "return True"},
                {"pk": "p2", "name": "other", "type": "dummy", "result": true}
            ],
            "flows": [{"pk": "f1", "slug": "login", "designation": "authentication"}],
            "policy_bindings": [{"target": "f1", "policy": "p1", "order": 0}]
        });
        Engine::from_json(&snap.to_string(), &Limits::default()).expect("snapshot loads")
    }

    /// Records what it was given and answers `answer`.
    struct Recorder {
        seen: Mutex<Vec<(Value, Value)>>,
        answer: Result<(bool, Vec<String>), String>,
    }

    impl ExpressionHost for Recorder {
        fn evaluate(&self, p: &Value, r: &Value) -> Result<(bool, Vec<String>), String> {
            if let Ok(mut seen) = self.seen.lock() {
                seen.push((p.clone(), r.clone()));
            }
            self.answer.clone()
        }
    }

    fn request(v: Value) -> Request {
        Request::parse(Some(&v), 1_700_000_000_000).expect("request parses")
    }

    #[test]
    fn engines_stay_shareable_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Engine>();
    }

    #[test]
    fn non_string_expression_is_a_snapshot_error() {
        let snap =
            json!({"policies": [{"pk": "p", "name": "e", "type": "expression", "expression": 3}]});
        let err = Engine::from_json(&snap.to_string(), &Limits::default())
            .expect_err("a number is no expression");
        assert_eq!(err.errors[0].path, "policies[0].expression");
        assert_eq!(err.errors[0].message, "expected a string, got a number");
    }

    #[cfg(not(feature = "python"))]
    #[test]
    fn without_host_the_core_build_cannot_run_expressions() {
        let e = engine();
        let r = e
            .test_policy("expr", &request(json!({})), true)
            .expect("runs");
        assert!(!r.passing);
        assert_eq!(r.messages, vec![UNSUPPORTED.to_string()]);
    }

    #[test]
    fn the_host_evaluates_with_policy_and_request() {
        let mut e = engine();
        let host = Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            answer: Ok((false, vec!["from host".into()])),
        });
        e.set_expression_host(host.clone());
        let req = request(json!({
            "user": 1,
            "http": {"client_ip": "10.0.0.1", "user": null},
            "context": {"is_sso": true}
        }));
        let r = e.evaluate("flow:login", &req, false).expect("evaluates");
        assert!(!r.passing);
        assert_eq!(r.messages, vec!["from host".to_string()]);
        let seen = host.seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen.len(), 1);
        let (policy, request) = &seen[0];
        assert_eq!(policy["expression"], "return True");
        assert_eq!(policy["name"], "expr");
        assert_eq!(request["user"]["username"], "jane");
        assert_eq!(request["user"]["attributes"]["team"], "a");
        assert_eq!(request["http"]["client_ip"], "10.0.0.1");
        assert_eq!(request["http"]["user"], Value::Null);
        assert_eq!(request["context"]["is_sso"], true);
        assert_eq!(request["now"], 1_700_000_000_000i64);
        assert_eq!(request["target"]["kind"], "flow");
        assert_eq!(request["target"]["slug"], "login");
    }

    #[test]
    fn a_host_error_is_an_execution_error() {
        let mut e = engine();
        e.set_expression_host(Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            answer: Err("callback threw: boom".into()),
        }));
        let r = e
            .test_policy("expr", &request(json!({})), true)
            .expect("runs");
        assert!(!r.passing);
        assert_eq!(r.messages, vec!["callback threw: boom".to_string()]);
        let trace = r.trace.unwrap_or_default();
        assert_eq!(trace[0].error.as_deref(), Some("callback threw: boom"));
        // anonymous: no user object
        let snap_user = e.test_policy("expr", &request(json!({"user": null})), false);
        assert!(snap_user.is_ok());
    }
}
