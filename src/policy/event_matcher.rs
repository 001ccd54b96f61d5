//! EventMatcher policy (policies §3.5, newest semantics): matches `request.event` against the
//! set fields (`action`, `client_ip`, `app`, `model` as `app_label.model_name`; null or empty =
//! not checked). Passes when **every** executed check matches (no checks → pass); the messages
//! are those of every executed check, matched or not ("Action matched.", …), in check order.
//! No event → fail without messages.
//!
//! At the edge: everything but `query`: an AKQL (djangoql) query needs authentik's query
//! language over its Event model, so a policy with a `query` fails to execute (the binding's
//! `failure_result` applies). Server data: the event itself, given as `request.event`.

use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::Errors;
use crate::snapshot::{Event, Policy};
use serde_json::Value;

#[derive(Debug)]
pub struct EventMatcher {
    pub query: Option<String>,
    pub action: Option<String>,
    pub client_ip: Option<String>,
    pub app: Option<String>,
    pub model: Option<String>,
}

impl EventMatcher {
    pub fn compile(p: &Policy) -> Result<EventMatcher, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        // Older authentik stores blank strings instead of null: both mean "not checked".
        let mut field = |k: &str| o.opt_str(k, &mut errs).filter(|s| !s.is_empty());
        let policy = EventMatcher {
            query: field("query"),
            action: field("action"),
            client_ip: field("client_ip"),
            app: field("app"),
            model: field("model"),
        };
        finish(policy, errs)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        match &ctx.request.event {
            None => Ok(Outcome::new(false)),
            Some(event) => self.matches(event),
        }
    }

    fn matches(&self, event: &Event) -> PolicyRun {
        if self.query.is_some() {
            return Err("event matcher: AKQL queries are not supported by flowgate".into());
        }
        let mut outcome = Outcome::new(true);
        let mut check = |expected: &Option<String>, actual: Option<&str>, message: &str| {
            if let Some(expected) = expected {
                outcome.passing &= actual == Some(expected.as_str());
                outcome.messages.push(message.to_string());
            }
        };
        check(&self.action, Some(event.action.as_str()), "Action matched.");
        check(
            &self.client_ip,
            event.client_ip.as_deref(),
            "Client IP matched.",
        );
        check(&self.app, event.app.as_deref(), "App matched.");
        if self.model.is_some() {
            let model = event_model(event)?;
            check(&self.model, Some(model.as_str()), "Model matched.");
        }
        Ok(outcome)
    }
}

/// `f"{model.get('app')}.{model.get('model_name')}"` of `event.context.model` (missing parts
/// print as `None`, as in Python).
fn event_model(event: &Event) -> Result<String, String> {
    let part = |m: &serde_json::Map<String, Value>, k: &str| match m.get(k) {
        None => "None".to_string(),
        Some(v) => crate::python::py_str(v).into_owned(),
    };
    match event.context.get("model") {
        None => Ok("None.None".into()),
        Some(Value::Object(m)) => Ok(format!("{}.{}", part(m, "app"), part(m, "model_name"))),
        Some(_) => Err("event matcher: the event's context.model is not an object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn event(v: Value) -> Event {
        let context = match v.get("context") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Event {
            action: s("action").unwrap_or_default(),
            user: None,
            created: None,
            client_ip: s("client_ip"),
            app: s("app"),
            context,
            raw: Map::new(),
        }
    }

    fn matcher(action: Option<&str>, client_ip: Option<&str>, model: Option<&str>) -> EventMatcher {
        EventMatcher {
            query: None,
            action: action.map(str::to_string),
            client_ip: client_ip.map(str::to_string),
            app: None,
            model: model.map(str::to_string),
        }
    }

    #[test]
    fn all_checks_must_match_and_report_messages() {
        let login = event(json!({"action": "login", "client_ip": "192.0.2.1",
            "context": {"model": {"app": "authentik_core", "model_name": "user"}}}));
        let both = matcher(Some("login"), Some("192.0.2.1"), None);
        assert_eq!(
            both.matches(&login),
            Ok(Outcome {
                passing: true,
                messages: vec!["Action matched.".into(), "Client IP matched.".into()],
                nodes: None
            })
        );
        let wrong_ip = matcher(Some("login"), Some("192.0.2.99"), None);
        assert_eq!(wrong_ip.matches(&login).map(|o| o.passing), Ok(false));
        let model = matcher(None, None, Some("authentik_core.user"));
        assert_eq!(model.matches(&login).map(|o| o.passing), Ok(true));
        let no_model = event(json!({"action": "logout"}));
        assert_eq!(model.matches(&no_model).map(|o| o.passing), Ok(false));
        let none = matcher(None, None, None);
        assert_eq!(none.matches(&login), Ok(Outcome::new(true)));
        let bad = event(json!({"action": "x", "context": {"model": "text"}}));
        assert!(model.matches(&bad).is_err());
    }

    #[test]
    fn queries_are_execution_errors() {
        let mut m = matcher(None, None, None);
        m.query = Some("action = \"login\"".into());
        assert!(m.matches(&event(json!({}))).is_err());
    }
}
