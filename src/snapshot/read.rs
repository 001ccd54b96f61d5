//! Reading each snapshot section from JSON, with paths (`users[2].groups[0]`).

use super::*;
use crate::json::{Errors, Obj, index, type_name};
use crate::time::parse_iso;

/// Reads a snapshot document. Field-level problems go to `errs`; objects with a broken required
/// field are left out (the snapshot is rejected anyway when `errs` is not empty).
pub fn read_snapshot(doc: &Value, errs: &mut Errors) -> Snapshot {
    let mut snap = Snapshot {
        bindings_key: "policy_bindings",
        ..Snapshot::default()
    };
    let Some(root) = Obj::of(doc, String::new(), errs) else {
        return snap;
    };
    snap.users = section(&root, "users", errs, &mut snap.origins, |o, e| {
        parse_user(o, true, e)
    });
    snap.groups = section(&root, "groups", errs, &mut snap.origins, read_group);
    snap.policies = section(&root, "policies", errs, &mut snap.origins, read_policy);
    // Paths of kept objects are positions among the kept ones, like every index error path;
    // `Snapshot::original_path` maps them back when objects were dropped.
    for (i, p) in snap.policies.iter_mut().enumerate() {
        p.path = format!("policies[{i}]");
    }
    if root.has("policy_bindings") && root.has("bindings") {
        errs.push(
            "bindings",
            "give either policy_bindings or its alias bindings, not both",
        );
    }
    if !root.has("policy_bindings") && root.has("bindings") {
        snap.bindings_key = "bindings";
    }
    snap.bindings = section(
        &root,
        snap.bindings_key,
        errs,
        &mut snap.origins,
        read_binding,
    );
    for (i, b) in snap.bindings.iter_mut().enumerate() {
        b.path = format!("{}[{i}]", snap.bindings_key);
    }
    snap.flows = section(&root, "flows", errs, &mut snap.origins, read_flow);
    snap.stages = section(&root, "stages", errs, &mut snap.origins, read_stage);
    snap.flow_stage_bindings = section(
        &root,
        "flow_stage_bindings",
        errs,
        &mut snap.origins,
        read_flow_stage_binding,
    );
    snap.applications = section(
        &root,
        "applications",
        errs,
        &mut snap.origins,
        read_application,
    );
    snap.entitlements = section(
        &root,
        "application_entitlements",
        errs,
        &mut snap.origins,
        read_entitlement,
    );
    snap.targets = section(&root, "targets", errs, &mut snap.origins, read_target);
    snap.events = section(&root, "events", errs, &mut snap.origins, read_event);
    snap.reputations = section(
        &root,
        "reputations",
        errs,
        &mut snap.origins,
        read_reputation,
    );
    snap
}

/// Reads one section. Objects with errors are dropped (loading fails anyway); when that
/// happens the original positions are kept in `origins` so that cross-reference errors found
/// later on the remaining objects still name the right `section[i]`.
fn section<T>(
    root: &Obj<'_>,
    key: &str,
    errs: &mut Errors,
    origins: &mut Vec<(String, Vec<usize>)>,
    read: impl Fn(&Obj<'_>, &mut Errors) -> Option<T>,
) -> Vec<T> {
    let Some(v) = root.get(key) else {
        return Vec::new();
    };
    let Value::Array(items) = v else {
        errs.push(key, format!("expected an array, got {}", type_name(v)));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    let mut kept = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(o) = Obj::of(item, index(key, i), errs) {
            let before = errs.list.len();
            if let Some(t) = read(&o, errs).filter(|_| errs.list.len() == before) {
                out.push(t);
                kept.push(i);
            }
        }
    }
    if kept.len() != items.len() {
        origins.push((key.to_string(), kept));
    }
    out
}

fn datetime(o: &Obj<'_>, key: &str, errs: &mut Errors) -> Option<Millis> {
    let s = o.opt_str(key, errs)?;
    let t = parse_iso(&s);
    if t.is_none() {
        errs.push(&o.path_of(key), format!("'{s}' is not a valid datetime"));
    }
    t
}

/// A user from the snapshot (`pk` required) or inline in a request (`pk` optional).
pub fn parse_user(o: &Obj<'_>, pk_required: bool, errs: &mut Errors) -> Option<User> {
    let pk = if pk_required {
        o.req_int("pk", errs)
    } else {
        o.opt_int("pk", errs)
    };
    let username = o.req_str("username", errs);
    let user = User {
        pk,
        username: username.clone().unwrap_or_default(),
        name: o.str_or("name", "", errs),
        email: o.str_or("email", "", errs),
        is_active: o.bool_or("is_active", true, errs),
        user_type: o.choice("type", USER_TYPES, "internal", errs),
        groups: o.key_list("groups", errs),
        attributes: o.object_or_empty("attributes", errs),
        path: o.str_or("path", "", errs),
        last_login: datetime(o, "last_login", errs),
        date_joined: datetime(o, "date_joined", errs),
        password_change_date: datetime(o, "password_change_date", errs),
        authenticator_types: o.str_list("authenticator_types", errs),
        has_usable_password: o.bool_or("has_usable_password", true, errs),
        password_history: o.str_list("password_history", errs),
        backend: o.opt_str("backend", errs),
    };
    if pk_required && pk.is_none() {
        return None;
    }
    username.map(|_| user)
}

fn read_group(o: &Obj<'_>, errs: &mut Errors) -> Option<Group> {
    let pk = o.req_key("pk", errs);
    let name = o.req_str("name", errs);
    let mut parents = o.key_list("parents", errs);
    // Legacy single-parent field (authentik before multi-parent groups).
    if let Some(p) = o.opt_key("parent", errs).filter(|p| !parents.contains(p)) {
        parents.push(p);
    }
    Some(Group {
        pk: pk?,
        name: name?,
        is_superuser: o.bool_or("is_superuser", false, errs),
        parents,
        attributes: o.object_or_empty("attributes", errs),
    })
}

fn read_policy(o: &Obj<'_>, errs: &mut Errors) -> Option<Policy> {
    let pk = o.req_key("pk", errs);
    let name = o.req_str("name", errs);
    let kind = policy_kind(o.map);
    if kind.is_none() {
        match ["type", "meta_model_name", "component"]
            .iter()
            .find(|k| o.has(k))
        {
            Some(k) => {
                let given = o.get(k).map(|v| v.to_string()).unwrap_or_default();
                errs.push(&o.path_of(k), format!("unknown policy type {given}"))
            }
            None => errs.push(
                &o.path_of("type"),
                "is required (or meta_model_name / component)",
            ),
        }
    }
    Some(Policy {
        pk: pk?,
        name: name?,
        kind: kind?,
        verbose_name: o.opt_str("verbose_name", errs),
        raw: o.map.clone(),
        path: o.path.clone(),
    })
}

fn read_binding(o: &Obj<'_>, errs: &mut Errors) -> Option<Binding> {
    let target = o.req_key("target", errs);
    let policy = o.opt_key("policy", errs);
    let group = o.opt_key("group", errs);
    let user = o.opt_int("user", errs);
    let order = o.req_int("order", errs);
    let set = [policy.is_some(), group.is_some(), user.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    // authentik's messages (reference policies §1.3, §7.6).
    let subject = match (policy, group, user) {
        _ if set > 1 => {
            errs.push(&o.path, "Only one of 'group', 'policy', 'user' can be set.");
            None
        }
        (Some(p), _, _) => Some(Subject::Policy(p)),
        (_, Some(g), _) => Some(Subject::Group(g)),
        (_, _, Some(u)) => Some(Subject::User(u)),
        _ => {
            if !o.map.contains_key("user") || o.map.get("user") == Some(&Value::Null) {
                errs.push(&o.path, "One of 'group', 'policy', 'user' must be set.");
            }
            None
        }
    };
    let expiring = o.bool_or("expiring", false, errs);
    let expires = datetime(o, "expires", errs);
    Some(Binding {
        pk: o
            .opt_key("pk", errs)
            .unwrap_or_else(|| format!("#{}", o.path)),
        target: target?,
        subject: subject?,
        negate: o.bool_or("negate", false, errs),
        enabled: o.bool_or("enabled", true, errs),
        dry_run: o.bool_or("dry_run", false, errs),
        order: order?,
        timeout: o.int_or("timeout", 30, errs),
        failure_result: o.bool_or("failure_result", false, errs),
        expiring,
        expires,
        path: o.path.clone(),
    })
}

/// `pbm_uuid`, else `policybindingmodel_ptr_id`, else the pk.
fn pbm(o: &Obj<'_>, pk: &Option<String>, errs: &mut Errors) -> Option<String> {
    o.opt_key("pbm_uuid", errs)
        .or_else(|| o.opt_key("policybindingmodel_ptr_id", errs))
        .or_else(|| pk.clone())
}

fn mode(o: &Obj<'_>, errs: &mut Errors) -> Mode {
    Mode::parse(&o.choice("policy_engine_mode", MODES, "any", errs))
}

fn read_flow(o: &Obj<'_>, errs: &mut Errors) -> Option<Flow> {
    let pk = o.req_key("pk", errs);
    let slug = o.req_str("slug", errs);
    let designation = match o.req_str("designation", errs) {
        Some(d) if !DESIGNATIONS.contains(&d.as_str()) => {
            errs.push(
                &o.path_of("designation"),
                format!("'{d}' is not one of {}", DESIGNATIONS.join(", ")),
            );
            None
        }
        d => d,
    };
    let pbm_uuid = pbm(o, &pk, errs);
    let name = o.str_or("name", "", errs);
    Some(Flow {
        title: o.opt_str("title", errs).unwrap_or_else(|| name.clone()),
        name,
        authentication: o.choice("authentication", AUTHENTICATION, "none", errs),
        denied_action: o.choice("denied_action", DENIED_ACTIONS, "message_continue", errs),
        mode: mode(o, errs),
        layout: o.str_or("layout", "stacked", errs),
        pk: pk?,
        pbm_uuid: pbm_uuid?,
        slug: slug?,
        designation: designation?,
    })
}

fn read_stage(o: &Obj<'_>, errs: &mut Errors) -> Option<Stage> {
    let pk = o.req_key("pk", errs);
    let name = o.req_str("name", errs);
    Some(Stage {
        component: o.str_or("component", "", errs),
        meta_model_name: o.str_or("meta_model_name", "", errs),
        verbose_name: o.opt_str("verbose_name", errs),
        raw: o.map.clone(),
        pk: pk?,
        name: name?,
    })
}

fn read_flow_stage_binding(o: &Obj<'_>, errs: &mut Errors) -> Option<FlowStageBinding> {
    let pk = o.req_key("pk", errs);
    let target = o.req_key("target", errs);
    let stage = o.req_key("stage", errs);
    let order = o.req_int("order", errs);
    let pbm_uuid = pbm(o, &pk, errs);
    Some(FlowStageBinding {
        evaluate_on_plan: o.bool_or("evaluate_on_plan", false, errs),
        re_evaluate_policies: o.bool_or("re_evaluate_policies", true, errs),
        invalid_response_action: o.choice(
            "invalid_response_action",
            INVALID_RESPONSE_ACTIONS,
            "retry",
            errs,
        ),
        mode: mode(o, errs),
        pk: pk?,
        pbm_uuid: pbm_uuid?,
        target: target?,
        stage: stage?,
        order: order?,
    })
}

fn read_application(o: &Obj<'_>, errs: &mut Errors) -> Option<Application> {
    let pk = o.req_key("pk", errs);
    let slug = o.req_str("slug", errs);
    let name = o.req_str("name", errs);
    Some(Application {
        group: o.str_or("group", "", errs),
        provider: o.get("provider").cloned(),
        meta_launch_url: o.str_or("meta_launch_url", "", errs),
        launch_url: o.opt_str("launch_url", errs),
        open_in_new_tab: o.bool_or("open_in_new_tab", false, errs),
        meta_icon: o.str_or("meta_icon", "", errs),
        meta_description: o.str_or("meta_description", "", errs),
        meta_publisher: o.str_or("meta_publisher", "", errs),
        meta_hide: o.bool_or("meta_hide", false, errs),
        mode: mode(o, errs),
        pk: pk?,
        slug: slug?,
        name: name?,
    })
}

fn read_entitlement(o: &Obj<'_>, errs: &mut Errors) -> Option<Entitlement> {
    let pbm_uuid = o.req_key("pbm_uuid", errs);
    let name = o.req_str("name", errs);
    let app = o.req_key("app", errs);
    Some(Entitlement {
        attributes: o.object_or_empty("attributes", errs),
        pbm_uuid: pbm_uuid?,
        name: name?,
        app: app?,
    })
}

fn read_target(o: &Obj<'_>, errs: &mut Errors) -> Option<Target> {
    let pbm_uuid = o.req_key("pbm_uuid", errs);
    let empty_result = o
        .get("empty_result")
        .map(|_| o.bool_or("empty_result", true, errs));
    Some(Target {
        kind: o.str_or("kind", "", errs),
        name: o.str_or("name", "", errs),
        slug: o.str_or("slug", "", errs),
        mode: mode(o, errs),
        empty_result,
        application: o.opt_key("application", errs),
        pbm_uuid: pbm_uuid?,
    })
}

/// An event (snapshot history or `request.event`): authentik's Event shape.
pub fn read_event(o: &Obj<'_>, errs: &mut Errors) -> Option<Event> {
    let user = match o.get("user") {
        None => None,
        Some(Value::Object(m)) => m.get("pk").and_then(crate::json::as_int),
        Some(_) => o.opt_int("user", errs),
    };
    Some(Event {
        action: o.str_or("action", "", errs),
        user,
        created: datetime(o, "created", errs),
        client_ip: o.opt_str("client_ip", errs),
        app: o.opt_str("app", errs),
        context: o.object_or_empty("context", errs),
        raw: o.map.clone(),
    })
}

fn read_reputation(o: &Obj<'_>, errs: &mut Errors) -> Option<Reputation> {
    Some(Reputation {
        ip: o.opt_str("ip", errs),
        identifier: o.opt_str("identifier", errs),
        score: o.int_or("score", 0, errs),
    })
}
