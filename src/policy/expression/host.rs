//! Expression policies evaluated by the host (spec §4 `options.expression`): the core build
//! cannot run Python, so a host may evaluate expressions itself. The host sees the policy as
//! given in the snapshot and the request as the policy sees it, both as plain JSON.

use crate::index::{Index, TargetKind};
use crate::request::{HttpUser, Request, UserSpec};
use crate::snapshot::User;
use crate::time::format_iso;
use serde_json::{Map, Value, json};

/// Evaluates expression policies on behalf of the engine (the JS `options.expression`
/// callback in the Wasm build). `Send + Sync` keeps `Engine` shareable between threads.
pub trait ExpressionHost: Send + Sync {
    /// `policy`: the policy object of the snapshot; `request`: [`request_json`].
    /// `Ok((passing, messages))`, or `Err(message)` when the evaluation failed (the binding's
    /// failure_result applies, with that message).
    fn evaluate(&self, policy: &Value, request: &Value) -> Result<(bool, Vec<String>), String>;
}

/// A user as the snapshot gives it (REST names), for hosts and plan contexts.
pub fn user_json(u: &User) -> Value {
    let mut m = Map::new();
    if let Some(pk) = u.pk {
        m.insert("pk".into(), pk.into());
    }
    m.insert("username".into(), u.username.clone().into());
    m.insert("name".into(), u.name.clone().into());
    m.insert("email".into(), u.email.clone().into());
    m.insert("is_active".into(), u.is_active.into());
    m.insert("type".into(), u.user_type.clone().into());
    m.insert("groups".into(), u.groups.clone().into());
    m.insert("attributes".into(), Value::Object(u.attributes.clone()));
    m.insert("path".into(), u.path.clone().into());
    for (key, t) in [
        ("last_login", u.last_login),
        ("date_joined", u.date_joined),
        ("password_change_date", u.password_change_date),
    ] {
        m.insert(key.into(), t.map(format_iso).into());
    }
    m.insert(
        "authenticator_types".into(),
        u.authenticator_types.clone().into(),
    );
    m.insert("has_usable_password".into(), u.has_usable_password.into());
    if let Some(b) = &u.backend {
        m.insert("backend".into(), b.clone().into());
    }
    Value::Object(m)
}

fn user_spec_json(spec: &UserSpec) -> Value {
    match spec {
        UserSpec::Anonymous => Value::Null,
        UserSpec::Pk(pk) => (*pk).into(),
        UserSpec::Username(name) => name.clone().into(),
        UserSpec::Inline(u) => user_json(u),
    }
}

/// The request as an expression policy sees it: `user` is the evaluated user as a full
/// object (null when anonymous), `context` the current policy context (in flows: the plan
/// context), `target` the bindable object being evaluated (absent for `testPolicy`).
pub fn request_json(
    index: &Index,
    user: Option<&User>,
    request: &Request,
    context: &Map<String, Value>,
    target: Option<crate::index::Id>,
) -> Value {
    let mut m = Map::new();
    m.insert("user".into(), user.map(user_json).unwrap_or(Value::Null));
    if let Some(h) = &request.http {
        let mut http = Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                http.insert(k.into(), v.clone().into());
            }
        };
        put("client_ip", &h.client_ip);
        put("user_agent", &h.user_agent);
        put("path", &h.path);
        if let HttpUser::Given(spec) = &h.user {
            http.insert("user".into(), user_spec_json(spec));
        }
        for (k, v) in [("geoip", &h.geoip), ("asn", &h.asn)] {
            if let Some(v) = v {
                http.insert(k.into(), Value::Object(v.clone()));
            }
        }
        if h.outpost {
            http.insert("outpost".into(), true.into());
        }
        m.insert("http".into(), Value::Object(http));
    }
    m.insert("context".into(), Value::Object(context.clone()));
    if let Some(e) = &request.event {
        m.insert("event".into(), Value::Object(e.raw.clone()));
    }
    m.insert("now".into(), request.now.into());
    if let Some(t) = target {
        m.insert("target".into(), target_json(index, t));
    }
    Value::Object(m)
}

/// `{pbm_uuid, kind, name}` of a bindable object (+ `slug` where it has one).
fn target_json(index: &Index, t: crate::index::Id) -> Value {
    let info = index.target(t);
    let snap = &index.snap;
    let (kind, slug) = match info.kind {
        TargetKind::Application(a) => ("application", Some(&snap.applications[a as usize].slug)),
        TargetKind::Flow(f) => ("flow", Some(&snap.flows[f as usize].slug)),
        TargetKind::FlowStageBinding(_) => ("flow_stage_binding", None),
        TargetKind::Entitlement(_) => ("application_entitlement", None),
        TargetKind::Source => ("source", None),
        TargetKind::NotificationRule => ("notification_rule", None),
        TargetKind::Device => ("device", None),
        TargetKind::DeviceGroup => ("device_group", None),
        TargetKind::RacEndpoint(_) => ("rac_endpoint", None),
        TargetKind::PromptStage => ("prompt_stage", None),
        _ => ("generic", None),
    };
    let mut v = json!({"pbm_uuid": info.pbm, "kind": kind, "name": info.name});
    if let (Some(slug), Value::Object(m)) = (slug, &mut v) {
        m.insert("slug".into(), slug.clone().into());
    }
    v
}
