//! Policy engine semantics through the Rust API (reference policies §2, §7.1–§7.5).

use flowgate::{Engine, ErrorCode, Limits, Request, UserSpec};
use serde_json::{Value, json};

const NOW: &str = "2026-06-01T12:00:00Z";
const G_MEMBER: &str = "00000000-0000-4000-8000-000000000001";
const G_OTHER: &str = "00000000-0000-4000-8000-000000000002";
const G_PARENT: &str = "00000000-0000-4000-8000-000000000003";
const P_TRUE: &str = "10000000-0000-4000-8000-000000000001";
const P_FALSE: &str = "10000000-0000-4000-8000-000000000002";
const T: &str = "20000000-0000-4000-8000-000000000001";

fn snapshot(bindings: Value, target: Value) -> Value {
    json!({
        "users": [
            {"pk": 1, "username": "jane", "groups": [G_MEMBER]},
            {"pk": 2, "username": "bob", "groups": []}
        ],
        "groups": [
            {"pk": G_MEMBER, "name": "members", "parents": [G_PARENT]},
            {"pk": G_OTHER, "name": "others"},
            {"pk": G_PARENT, "name": "parent", "is_superuser": true}
        ],
        "policies": [
            {"pk": P_TRUE, "name": "true", "type": "dummy", "result": true},
            {"pk": P_FALSE, "name": "false", "type": "dummy", "result": false}
        ],
        "targets": [target],
        "policy_bindings": bindings
    })
}

fn engine(bindings: Value, mode: &str) -> Engine {
    let snap = snapshot(
        bindings,
        json!({"pbm_uuid": T, "kind": "test", "policy_engine_mode": mode}),
    );
    Engine::from_value(&snap, &Limits::default()).expect("valid snapshot")
}

fn req(user: UserSpec) -> Request {
    let mut r = Request::parse(Some(&json!({"now": NOW})), 0).expect("request");
    r.user = user;
    r
}

fn eval(e: &Engine, user: UserSpec) -> (bool, Vec<String>) {
    let r = e.evaluate(T, &req(user), false).expect("evaluate");
    (r.passing, r.messages)
}

fn policy(p: &str, order: i64) -> Value {
    json!({"pk": format!("b-{p}-{order}"), "target": T, "policy": p, "order": order})
}

#[test]
fn empty_target_passes() {
    let e = engine(json!([]), "any");
    assert_eq!(eval(&e, UserSpec::Pk(1)), (true, vec![]));
}

#[test]
fn modes_keep_all_messages() {
    let any = engine(json!([policy(P_FALSE, 0), policy(P_TRUE, 1)]), "any");
    assert_eq!(
        eval(&any, UserSpec::Pk(1)),
        (true, vec!["dummy".into(), "dummy".into()])
    );
    let all = engine(json!([policy(P_FALSE, 0), policy(P_TRUE, 1)]), "all");
    assert!(!eval(&all, UserSpec::Pk(1)).0);
}

#[test]
fn group_membership_flows_to_ancestors_not_descendants() {
    let bind = |g: &str| json!([{"pk": "b", "target": T, "group": g, "order": 0}]);
    assert!(eval(&engine(bind(G_PARENT), "any"), UserSpec::Pk(1)).0);
    assert!(!eval(&engine(bind(G_OTHER), "any"), UserSpec::Pk(1)).0);
    assert!(!eval(&engine(bind(G_PARENT), "any"), UserSpec::Pk(2)).0);
}

#[test]
fn static_result_is_one_trailing_result() {
    // mode all: [true policy, member group, non-member group] → static part fails.
    let e = engine(
        json!([policy(P_TRUE, 0),
               {"pk": "g1", "target": T, "group": G_MEMBER, "order": 1},
               {"pk": "g2", "target": T, "group": G_OTHER, "order": 2}]),
        "all",
    );
    assert_eq!(eval(&e, UserSpec::Pk(1)), (false, vec!["dummy".into()]));
    let r = e
        .evaluate(T, &req(UserSpec::Pk(1)), true)
        .expect("evaluate");
    let kinds: Vec<_> = r
        .trace
        .expect("trace")
        .iter()
        .map(|t| (t.kind, t.passing))
        .collect();
    assert_eq!(
        kinds,
        vec![("policy", true), ("group", true), ("group", false)]
    );
}

#[test]
fn anonymous_fails_negated_static_bindings() {
    let e = engine(
        json!([{"pk": "b", "target": T, "group": G_OTHER, "order": 0, "negate": true}]),
        "any",
    );
    assert!(eval(&e, UserSpec::Pk(2)).0);
    assert!(!eval(&e, UserSpec::Anonymous).0);
}

#[test]
fn failure_result_is_not_negated() {
    let snap = json!({
        "users": [{"pk": 1, "username": "jane"}],
        "policies": [{"pk": "p", "name": "geo", "type": "expression", "expression": "return 1/0"}],
        "targets": [{"pbm_uuid": T}],
        "policy_bindings": [{"pk": "b", "target": T, "policy": "p", "order": 0, "negate": true, "failure_result": true}]
    });
    let e = Engine::from_value(&snap, &Limits::default()).expect("valid");
    let r = e
        .evaluate(T, &req(UserSpec::Pk(1)), true)
        .expect("evaluate");
    assert!(r.passing);
    let t = &r.trace.expect("trace")[0];
    assert!(t.error.is_some());
    assert_eq!(r.messages, vec![t.error.clone().unwrap_or_default()]);
}

#[test]
fn expired_and_disabled_bindings_are_invisible() {
    let snap = snapshot(
        json!([
            {"pk": "a", "target": T, "policy": P_FALSE, "order": 0, "enabled": false},
            {"pk": "b", "target": T, "policy": P_FALSE, "order": 1, "expiring": true, "expires": "2026-01-01T00:00:00Z"}
        ]),
        json!({"pbm_uuid": T, "empty_result": false}),
    );
    let e = Engine::from_value(&snap, &Limits::default()).expect("valid");
    assert_eq!(eval(&e, UserSpec::Pk(1)), (false, vec![]));
    let mut early = req(UserSpec::Pk(1));
    early.now = flowgate::time::parse_iso("2025-12-31T00:00:00Z").expect("date");
    assert_eq!(
        e.evaluate(T, &early, false).expect("eval").messages,
        vec!["dummy".to_string()]
    );
}

#[test]
fn filter_users_agrees_with_evaluate() {
    let e = engine(
        json!([{"pk": "b", "target": T, "group": G_PARENT, "order": 0}]),
        "any",
    );
    let r = req(UserSpec::Anonymous);
    let passing = e.filter_users(T, None, &r).expect("filter");
    for pk in [1, 2] {
        assert_eq!(passing.contains(&pk), eval(&e, UserSpec::Pk(pk)).0);
    }
}

#[test]
fn errors_are_collected_with_paths_in_document_order() {
    let snap = json!({
        "users": [{"pk": "x", "username": "a"}, {"pk": 2}],
        "groups": [{"pk": G_MEMBER, "name": "g", "parents": ["nope"]}],
        "policy_bindings": [{"target": "missing", "order": 0}, {"target": T, "user": 1, "group": G_MEMBER, "order": 0}]
    });
    let err = Engine::from_value(&snap, &Limits::default()).expect_err("invalid");
    assert_eq!(err.code, ErrorCode::InvalidSnapshot);
    let paths: Vec<&str> = err.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "users[0].pk",
            "users[1].username",
            "groups[0].parents[0]",
            "policy_bindings[0]",
            "policy_bindings[1]",
        ]
    );
}

#[test]
fn unknown_references_are_not_found() {
    let e = engine(json!([]), "any");
    assert_eq!(
        e.evaluate("nope", &req(UserSpec::Pk(1)), false)
            .expect_err("x")
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        e.evaluate(T, &req(UserSpec::Pk(99)), false)
            .expect_err("x")
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        e.evaluate(T, &req(UserSpec::Username("nobody".into())), false)
            .expect_err("x")
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        e.test_policy("nope", &req(UserSpec::Pk(1)), false)
            .expect_err("x")
            .code,
        ErrorCode::NotFound
    );
}

#[test]
fn cross_reference_errors_keep_original_positions_after_dropped_objects() {
    let snap = json!({
        "users": [{"pk": "one", "username": "x"}, {"pk": 2, "username": "y", "groups": ["nope"]}],
        "policies": [{"pk": "p0", "name": "broken", "type": "dummy", "result": "yes"},
                     {"pk": "p1", "name": "ok", "type": "dummy"}],
        "policy_bindings": [{"target": "t", "policy": "p1", "order": "x"}, {"target": "missing", "policy": "p1", "order": 0}]
    });
    let err = Engine::from_value(&snap, &Limits::default()).expect_err("invalid");
    let paths: Vec<&str> = err.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "users[0].pk",
            "users[1].groups[0]",
            "policies[0].result",
            "policy_bindings[0].order",
            "policy_bindings[1].target"
        ]
    );
}
