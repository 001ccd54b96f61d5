//! Planner and stage-run rules (flows §2–§4) on a small snapshot, through the Rust API.

use super::*;
use crate::error::ErrorCode;
use crate::limits::Limits;
use serde_json::json;

fn fsb(pk: &str, flow: &str, stage: &str, order: i64, extra: Value) -> Value {
    let mut b = json!({"pk": pk, "target": flow, "stage": stage, "order": order});
    if let (Some(o), Value::Object(e)) = (b.as_object_mut(), extra) {
        o.extend(e);
    }
    b
}

fn flow(pk: &str, slug: &str, authentication: &str) -> Value {
    json!({"pk": pk, "slug": slug, "name": slug, "designation": "authentication",
           "authentication": authentication})
}

fn engine() -> Engine {
    let mut flows = Vec::new();
    let mut fsbs = Vec::new();
    for (i, auth) in [
        "require_authenticated",
        "require_unauthenticated",
        "require_superuser",
        "require_redirect",
        "require_outpost",
    ]
    .iter()
    .enumerate()
    {
        let pk = format!("fa{i}");
        flows.push(flow(&pk, auth, auth));
        fsbs.push(fsb(&format!("ba{i}"), &pk, "s0", 0, json!({})));
    }
    flows.push(flow("f-eop", "eop", "none"));
    fsbs.push(fsb(
        "eop-0",
        "f-eop",
        "s0",
        0,
        json!({"evaluate_on_plan": true, "re_evaluate_policies": false}),
    ));
    fsbs.push(fsb(
        "eop-1",
        "f-eop",
        "s1",
        1,
        json!({"evaluate_on_plan": true, "re_evaluate_policies": false}),
    ));
    fsbs.push(fsb("eop-2", "f-eop", "s2", 2, json!({})));
    fsbs.push(fsb(
        "eop-3",
        "f-eop",
        "s3",
        3,
        json!({"evaluate_on_plan": true}),
    ));
    flows.push(flow("f-con", "consecutive", "none"));
    fsbs.push(fsb(
        "con-0",
        "f-con",
        "s0",
        0,
        json!({"re_evaluate_policies": false}),
    ));
    fsbs.push(fsb("con-1", "f-con", "s1", 1, json!({})));
    fsbs.push(fsb("con-2", "f-con", "s2", 2, json!({})));
    fsbs.push(fsb(
        "con-3",
        "f-con",
        "s3",
        2,
        json!({"re_evaluate_policies": false}),
    ));
    for (slug, action) in [
        ("restart", "restart"),
        ("restart-ctx", "restart_with_context"),
    ] {
        let pk = format!("f-{slug}");
        flows.push(flow(&pk, slug, "none"));
        fsbs.push(fsb(&format!("{slug}-0"), &pk, "s0", 0, json!({})));
        fsbs.push(fsb(
            &format!("{slug}-vip"),
            &pk,
            "s1",
            1,
            json!({"evaluate_on_plan": true, "re_evaluate_policies": false}),
        ));
        fsbs.push(fsb(
            &format!("{slug}-2"),
            &pk,
            "s2",
            2,
            json!({"invalid_response_action": action}),
        ));
    }
    flows.push(json!({"pk": "f-denied", "slug": "denied", "name": "denied",
                      "designation": "authentication", "denied_action": "message"}));
    fsbs.push(fsb("den-0", "f-denied", "s0", 0, json!({})));
    flows.push(flow("f-empty", "empty", "none"));
    let snapshot = json!({
        "users": [
            {"pk": 1, "username": "alice", "groups": ["g-staff"]},
            {"pk": 2, "username": "bob"},
            {"pk": 3, "username": "root", "groups": ["g-admins"]},
        ],
        "groups": [
            {"pk": "g-staff", "name": "staff"},
            {"pk": "g-admins", "name": "admins", "is_superuser": true},
        ],
        "policies": [
            {"pk": "p-true", "name": "yes", "type": "dummy", "result": true},
            {"pk": "p-false", "name": "no", "type": "dummy", "result": false},
        ],
        "policy_bindings": [
            {"target": "eop-0", "policy": "p-false", "order": 0},
            {"target": "eop-1", "policy": "p-true", "order": 0},
            {"target": "eop-2", "policy": "p-false", "order": 0},
            {"target": "eop-3", "group": "g-staff", "order": 0},
            {"target": "con-1", "policy": "p-false", "order": 0},
            {"target": "con-2", "policy": "p-false", "order": 0},
            {"target": "restart-vip", "user": 1, "order": 0},
            {"target": "restart-ctx-vip", "user": 1, "order": 0},
            {"target": "f-denied", "policy": "p-false", "order": 0},
        ],
        "flows": flows,
        "stages": [
            {"pk": "s0", "name": "zero", "component": "ak-stage-dummy"},
            {"pk": "s1", "name": "one", "component": "ak-stage-dummy"},
            {"pk": "s2", "name": "two", "component": "ak-stage-dummy"},
            {"pk": "s3", "name": "three", "component": "ak-stage-dummy"},
        ],
        "flow_stage_bindings": fsbs,
    });
    match Engine::from_json(&snapshot.to_string(), &Limits::default()) {
        Ok(e) => e,
        Err(e) => panic!("fixture does not load: {e}"),
    }
}

fn req(v: Value) -> Request {
    let mut v = v;
    if let Some(o) = v.as_object_mut() {
        o.entry("now").or_insert(json!("2026-01-01T00:00:00Z"));
    }
    Request::parse(Some(&v), 0).expect("valid request")
}

fn planned(outcome: PlanOutcome) -> Planned {
    match outcome {
        PlanOutcome::Planned(p) => p,
        PlanOutcome::Failed(f) => panic!("expected a plan, got {f:?}"),
    }
}

fn failed(outcome: PlanOutcome) -> PlanFailure {
    match outcome {
        PlanOutcome::Failed(f) => f,
        PlanOutcome::Planned(p) => panic!("expected a failure, got {p:?}"),
    }
}

fn value(plan: &Plan) -> Value {
    serde_json::to_value(plan).expect("plans serialise")
}

fn names(e: &Engine, plan: &Plan) -> Vec<String> {
    plan.bindings
        .iter()
        .map(|pk| {
            let b = e.index.fsb_by_pk[pk];
            e.index.snap.stages[e.index.fsb_stage[b as usize] as usize]
                .name
                .clone()
        })
        .collect()
}

#[test]
fn authentication_requirements_check_the_http_user() {
    let e = engine();
    let none = Value::Null;
    let anon = req(json!({"user": null, "http": {"user": null}}));
    let alice = req(json!({"user": 1}));
    let root = req(json!({"user": 3, "http": {"user": 3}}));
    let f = failed(e.plan("require_authenticated", &anon, &none).unwrap());
    assert_eq!(f.reason, FailureReason::AuthRequired);
    assert_eq!(f.messages, vec![outcome::NOT_APPLICABLE]);
    // http.user defaults to user when absent.
    assert!(
        e.plan("require_authenticated", &alice, &none)
            .unwrap()
            .is_ok()
    );
    // The request user alone is not the browser user when http.user is null.
    let split = req(json!({"user": 1, "http": {"user": null}}));
    assert!(
        !e.plan("require_authenticated", &split, &none)
            .unwrap()
            .is_ok()
    );
    // The pending user never counts.
    let pending = json!({"context": {"pending_user": 3}});
    assert!(
        !e.plan("require_superuser", &anon, &pending)
            .unwrap()
            .is_ok()
    );
    assert!(!e.plan("require_superuser", &alice, &none).unwrap().is_ok());
    assert!(e.plan("require_superuser", &root, &none).unwrap().is_ok());
    assert!(
        e.plan("require_unauthenticated", &anon, &pending)
            .unwrap()
            .is_ok()
    );
    assert!(
        !e.plan("require_unauthenticated", &alice, &none)
            .unwrap()
            .is_ok()
    );
    // require_redirect: only a missing or null is_redirected fails.
    for (ctx, ok) in [
        (json!({}), false),
        (json!({"is_redirected": null}), false),
        (json!({"is_redirected": false}), true),
        (json!({"is_redirected": "prev"}), true),
    ] {
        let got = e
            .plan("require_redirect", &anon, &json!({"context": ctx}))
            .unwrap()
            .is_ok();
        assert_eq!(got, ok, "{ctx}");
    }
    // require_outpost, and the outpost marker in the plan context.
    assert!(!e.plan("require_outpost", &anon, &none).unwrap().is_ok());
    let outpost = req(json!({"http": {"user": null, "outpost": true}}));
    let p = planned(e.plan("require_outpost", &outpost, &none).unwrap());
    assert_eq!(p.plan.context.get("outpost"), Some(&json!(true)));
    // Unknown users are not_found, wherever they are named.
    let ghost = req(json!({"http": {"user": 99}}));
    assert_eq!(
        e.plan("require_outpost", &ghost, &none).unwrap_err().code,
        ErrorCode::NotFound
    );
    let ghost_pending = json!({"context": {"pending_user": "nobody"}});
    assert_eq!(
        e.plan("eop", &anon, &ghost_pending).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        e.plan("eop", &anon, &json!({"context": {"pending_user": []}}))
            .unwrap_err()
            .code,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn denied_and_empty_outcomes() {
    let e = engine();
    let anon = req(json!({}));
    let f = failed(e.plan("denied", &anon, &Value::Null).unwrap());
    assert_eq!(f.reason, FailureReason::Denied);
    assert_eq!(f.messages, vec!["dummy"]);
    assert_eq!(f.denied_action, "message");
    let f = failed(e.plan("empty", &anon, &Value::Null).unwrap());
    assert_eq!((f.reason, f.messages.len()), (FailureReason::Empty, 0));
    let p = planned(
        e.plan("empty", &anon, &json!({"allowEmpty": true}))
            .unwrap(),
    );
    assert!(p.plan.bindings.is_empty() && p.stages.is_empty());
    assert_eq!(
        e.plan("nope", &anon, &Value::Null).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        e.plan("empty", &anon, &json!({"allowEmpty": 1}))
            .unwrap_err()
            .code,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn evaluate_on_plan_drops_and_markers_follow_re_evaluate() {
    let e = engine();
    // Anonymous: eop-0 (false) dropped, eop-1 (true) kept without marker, eop-2 (not checked
    // at plan time) kept with a marker, eop-3 (group) dropped.
    let p = planned(e.plan("eop", &req(json!({})), &Value::Null).unwrap());
    assert_eq!(p.plan.bindings, vec!["eop-1", "eop-2"]);
    assert_eq!(p.plan.markers, vec![Marker::None, Marker::Reevaluate]);
    assert_eq!(
        p.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["one", "two"]
    );
    assert_eq!(p.stages[0].order, 1);
    assert_eq!(p.stages[0].component, "ak-stage-dummy");
    assert_eq!(p.plan.fingerprint, e.fingerprint());
    // The pending user plans the group stage, whoever the request user is.
    let p = planned(
        e.plan(
            "eop",
            &req(json!({"user": 2})),
            &json!({"context": {"pending_user": "alice"}}),
        )
        .unwrap(),
    );
    assert_eq!(p.plan.bindings, vec!["eop-1", "eop-2", "eop-3"]);
    assert_eq!(
        p.plan.markers,
        vec![Marker::None, Marker::Reevaluate, Marker::Reevaluate]
    );
    assert_eq!(p.plan.context.get("pending_user"), Some(&json!("alice")));
    // Deterministic: same inputs, same plan.
    let again = planned(
        e.plan(
            "eop",
            &req(json!({"user": 2})),
            &json!({"context": {"pending_user": "alice"}}),
        )
        .unwrap(),
    );
    assert_eq!(p, again);
}

#[test]
fn next_drops_consecutive_failing_heads_in_one_call() {
    let e = engine();
    let anon = req(json!({}));
    let p = planned(e.plan("consecutive", &anon, &Value::Null).unwrap()).plan;
    assert_eq!(names(&e, &p), vec!["zero", "one", "two", "three"]);
    // The head has no marker: no evaluation, plan unchanged, not popped.
    let s = e.next(&value(&p), &anon).unwrap();
    assert!(!s.done);
    assert_eq!(s.plan, p);
    assert!(s.messages.is_empty());
    let popped = e.stage_ok(&value(&s.plan)).unwrap();
    assert_eq!(names(&e, &popped), vec!["one", "two", "three"]);
    let s = e.next(&value(&popped), &anon).unwrap();
    assert_eq!(s.stage.as_ref().map(|v| v.name.as_str()), Some("three"));
    assert_eq!(s.messages, vec!["dummy", "dummy"]);
    assert_eq!(s.plan.bindings, vec!["con-3"]);
    let last = e.stage_ok(&value(&s.plan)).unwrap();
    let done = e.next(&value(&last), &anon).unwrap();
    assert!(done.done && done.stage.is_none() && done.redirect.is_none());
    // stageOk on an empty plan returns it unchanged.
    assert_eq!(e.stage_ok(&value(&last)).unwrap(), last);
    // stageInvalid on an empty plan is invalid_plan.
    assert_eq!(
        e.stage_invalid(&value(&last), &anon).unwrap_err().code,
        ErrorCode::InvalidPlan
    );
}

#[test]
fn next_uses_the_pending_user_and_reports_done_redirect() {
    let e = engine();
    let anon = req(json!({}));
    let p = planned(
        e.plan(
            "eop",
            &anon,
            &json!({"context": {"pending_user": 1, "redirect": "/after"}}),
        )
        .unwrap(),
    )
    .plan;
    let p = e.stage_ok(&value(&p)).unwrap(); // eop-2 (false policy) is the head now
    let s = e.next(&value(&p), &anon).unwrap();
    // eop-2 fails and is dropped; eop-3 (staff group) passes for pending alice.
    assert_eq!(s.plan.bindings, vec!["eop-3"]);
    assert_eq!(s.messages, vec!["dummy"]);
    let mut as_bob = value(&s.plan);
    as_bob["context"]["pending_user"] = json!(2);
    let s = e.next(&as_bob, &req(json!({"user": 1}))).unwrap();
    assert!(s.done);
    assert_eq!(s.redirect.as_deref(), Some("/after"));
}

#[test]
fn restart_and_restart_with_context() {
    let e = engine();
    let anon = req(json!({}));
    for (slug, keeps) in [("restart", false), ("restart-ctx", true)] {
        let ctx = json!({"context": {"pending_user": 1, "note": "x"}});
        let p = planned(e.plan(slug, &anon, &ctx).unwrap()).plan;
        assert_eq!(names(&e, &p), vec!["zero", "one", "two"], "{slug}");
        let p = e.stage_ok(&value(&p)).unwrap();
        let p = e.stage_ok(&value(&p)).unwrap();
        let out = match e.stage_invalid(&value(&p), &anon).unwrap() {
            InvalidOutcome::Step(s) => *s,
            InvalidOutcome::Failed(f) => panic!("restart failed: {f:?}"),
        };
        assert!(!out.done);
        assert_eq!(out.stage.map(|s| s.name), Some("zero".to_string()));
        if keeps {
            // The kept pending user plans the vip stage again.
            assert_eq!(names(&e, &out.plan), vec!["zero", "one", "two"]);
            assert_eq!(out.plan.context.get("note"), Some(&json!("x")));
        } else {
            assert_eq!(names(&e, &out.plan), vec!["zero", "two"]);
            assert!(out.plan.context.is_empty());
        }
    }
    // retry (the default) keeps the head and the plan as they are, without re-evaluation.
    let p = planned(e.plan("eop", &anon, &Value::Null).unwrap()).plan;
    let p = e.stage_ok(&value(&p)).unwrap();
    match e.stage_invalid(&value(&p), &anon).unwrap() {
        InvalidOutcome::Step(s) => {
            assert_eq!(s.plan, p);
            assert_eq!(s.stage.map(|s| s.binding), Some("eop-2".to_string()));
            assert!(s.messages.is_empty());
        }
        InvalidOutcome::Failed(f) => panic!("retry failed: {f:?}"),
    }
}

#[test]
fn plans_from_clients_are_checked() {
    let e = engine();
    let anon = req(json!({}));
    let p = value(&planned(e.plan("consecutive", &anon, &Value::Null).unwrap()).plan);
    let code = |v: &Value| e.next(v, &anon).unwrap_err().code;
    let mut stale = p.clone();
    stale["fingerprint"] = json!("0");
    assert_eq!(code(&stale), ErrorCode::StalePlan);
    // Stale wins over references this snapshot does not know.
    stale["bindings"][0] = json!("unknown");
    assert_eq!(code(&stale), ErrorCode::StalePlan);
    for (key, bad) in [
        ("bindings", json!(["con-0", "con-1", "con-2", "unknown"])),
        ("bindings", json!(["con-0", "con-1", "con-2", "eop-1"])),
        ("flow_pk", json!("f-eop")),
        ("flow_pk", json!("nope")),
        ("flow_slug", json!("eop")),
        ("markers", json!(["none"])),
    ] {
        let mut v = p.clone();
        v[key] = bad;
        assert_eq!(code(&v), ErrorCode::InvalidPlan, "{key}");
    }
}

#[test]
fn signed_plans() {
    let e = engine();
    let anon = req(json!({}));
    let p = value(&planned(e.plan("consecutive", &anon, &Value::Null).unwrap()).plan);
    let signed = e.sign_plan(&p, b"key").unwrap();
    let sig = signed.signature.clone().expect("signed");
    let verified = e.verify_plan(&value(&signed), b"key").unwrap();
    assert_eq!(verified.signature.as_deref(), Some(sig.as_str()));
    assert_eq!(
        e.verify_plan(&value(&signed), b"other").unwrap_err().code,
        ErrorCode::InvalidPlan
    );
    assert_eq!(
        e.verify_plan(&p, b"key").unwrap_err().code,
        ErrorCode::InvalidPlan
    );
    let mut tampered = value(&signed);
    tampered["markers"][1] = json!("none");
    assert_eq!(
        e.verify_plan(&tampered, b"key").unwrap_err().code,
        ErrorCode::InvalidPlan
    );
    let mut tampered = value(&signed);
    tampered["context"]["pending_user"] = json!(3);
    assert_eq!(
        e.verify_plan(&tampered, b"key").unwrap_err().code,
        ErrorCode::InvalidPlan
    );
    // Calls that change the plan drop the signature.
    assert!(e.stage_ok(&value(&signed)).unwrap().signature.is_none());
}
