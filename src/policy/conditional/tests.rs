//! Tests of conditional policies through the Rust API: compiler errors (authentik's
//! TestConditionalCompiler), runtime semantics, snapshot checks, a seeded property test and a
//! timing probe.

use super::validate;
use crate::index::Index;
use crate::policy::{FlowFacts, PolicyCtx, PolicyRun};
use crate::request::{Actor, Request};
use crate::{Engine, Limits};
use serde_json::{Map, Value, json};
use std::cell::RefCell;

const MEMBERS: &str = "c6a7337f-b962-476d-91d6-e088f88e0d04";
const OTHERS: &str = "93056a48-bba2-4f9c-849f-7107022b69c9";
const DUMMY: &str = "2bbb35d2-7103-44de-9ff6-9b3c10205a4c";
const NOW: &str = "2026-06-01T12:00:00Z";

fn cond(key: &str, op: &str, value: Option<Value>) -> Value {
    let mut c = json!({"type": "compare", "variable": {"key": key}, "operator": op});
    if let Some(v) = value {
        c["value"] = json!({"type": "literal", "value": v});
    }
    c
}

fn actions(list: Value) -> Value {
    json!({"version": 2, "actions": list})
}

fn condition(node: Value) -> Value {
    actions(json!([{"type": "condition", "condition": node}]))
}

/// A conditional policy whose pk derives from its name (FNV-1a).
fn policy(name: &str, actions: Value) -> Value {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    json!({"pk": format!("00000000-0000-4000-8000-{:012x}", hash & 0xffff_ffff_ffff),
           "name": name, "type": "conditional", "actions": actions})
}

fn snapshot(policies: Vec<Value>) -> Value {
    let mut all =
        vec![json!({"pk": DUMMY, "name": "dummy-false", "type": "dummy", "result": false})];
    all.extend(policies);
    json!({
        "users": [
            {"pk": 1, "username": "jane", "name": "Jane", "email": "Jane.Doe@Example.com",
             "groups": [MEMBERS], "last_login": "2026-06-01T10:00:00Z",
             "attributes": {"department": "engineering", "level": 3, "nested": {"flag": "true"}}},
            {"pk": 2, "username": "inactive", "is_active": false}
        ],
        "groups": [{"pk": MEMBERS, "name": "members"}, {"pk": OTHERS, "name": "others"}],
        "flows": [{"pk": "f1000000-0000-4000-8000-000000000001", "slug": "login",
                   "designation": "authentication"}],
        "policies": all,
    })
}

fn engine(policies: Vec<Value>) -> Engine {
    Engine::from_value(&snapshot(policies), &Limits::default()).expect("snapshot loads")
}

fn request(v: Value) -> Request {
    let mut v = v;
    v["now"] = json!(NOW);
    Request::parse(Some(&v), 0).expect("valid request")
}

fn test_policy(e: &Engine, name: &str, req: Value) -> (bool, Vec<String>) {
    let r = e
        .test_policy(name, &request(req), false)
        .expect("policy exists");
    (r.passing, r.messages)
}

/// Runs a policy as a flow would (a plan exists); returns the run and the context after it.
fn run_in_flow(e: &Engine, name: &str, req: Value, trace: bool) -> (PolicyRun, Map<String, Value>) {
    let index: &Index = e.index();
    let request = request(req);
    let actor = Actor::resolve(index, &request.user, "user").expect("user");
    let context = RefCell::new(request.context.clone());
    let ctx = PolicyCtx {
        index,
        user: &actor,
        request: &request,
        context: &context,
        target: None,
        flow: Some(FlowFacts {
            flow: 0,
            has_plan: true,
        }),
        depth: 0,
        trace,
    };
    let pid = index.policy_by_pk_or_name(name).expect("policy exists");
    let run = ctx.run_policy(pid);
    (run, context.into_inner())
}

fn errors_of(v: &Value) -> Vec<(String, String)> {
    let r = validate(v);
    let mut out = Vec::new();
    if let Some(map) = r["errors"].as_object() {
        for (path, msgs) in map {
            for m in msgs.as_array().into_iter().flatten() {
                out.push((path.clone(), m.as_str().unwrap_or_default().to_string()));
            }
        }
    }
    out
}

#[track_caller]
fn assert_error(v: Value, path: &str, needle: &str) {
    let errs = errors_of(&v);
    assert!(
        errs.iter().any(|(p, m)| p == path && m.contains(needle)),
        "expected '{needle}' at {path}, got {errs:?}"
    );
}

#[test]
fn compiler_errors_match_authentik() {
    let v = "actions.0.condition.value";
    let var = "actions.0.condition.variable";
    let op = "actions.0.condition.operator";
    assert_error(
        condition(cond("foo", "eq", Some(json!("bar")))),
        var,
        "Unknown variable 'foo'",
    );
    assert_error(
        condition(cond("user.email", "gt", Some(json!("a")))),
        op,
        "Operator 'gt' cannot be used with type string",
    );
    assert_error(
        condition(cond("user.email", "eq", None)),
        v,
        "Operator 'eq' requires a value",
    );
    assert_error(
        condition(cond("user.email", "is_set", Some(json!("foo")))),
        v,
        "Operator 'is_set' does not take a value",
    );
    assert_error(
        condition(cond("user.last_login", "eq", Some(json!("foo")))),
        v,
        "'foo' is not a valid datetime",
    );
    assert_error(
        condition(cond("user.last_login", "within_last", Some(json!("foo")))),
        v,
        "not a valid duration",
    );
    assert_error(
        condition(cond(
            "request.client_ip",
            "in_network",
            Some(json!(["foo"])),
        )),
        v,
        "'foo' does not appear to be an IPv4 or IPv6 network",
    );
    assert_error(
        condition(cond("user.type", "eq", Some(json!("foo")))),
        v,
        "'foo' is not a valid choice",
    );
    assert_error(
        condition(cond("user.email", "matches", Some(json!("(")))),
        v,
        "Invalid regular expression",
    );
    assert_error(
        condition(cond("user.email", "matches", Some(json!("a".repeat(300))))),
        v,
        "Regular expression must be at most 256 long",
    );
    assert_error(
        condition(cond("user.email", "matches", Some(json!("(?<=a)b")))),
        v,
        "lookbehind assertions are not supported",
    );
    assert_error(
        condition(cond("user.attributes", "is_set", None)),
        var,
        "Variable 'user.attributes' requires a parameter",
    );
    assert_error(
        condition(
            json!({"type": "compare", "variable": {"key": "user.attributes", "param": "x"},
                         "operator": "eq", "value": {"type": "literal", "value": "x"}}),
        ),
        var,
        "has no fixed type and must be cast",
    );
    assert_error(
        condition(
            json!({"type": "compare", "variable": {"key": "user.email", "param": "x"},
                         "operator": "is_set"}),
        ),
        var,
        "does not take a parameter",
    );
    assert_error(
        condition(
            json!({"type": "compare", "variable": {"key": "user.email", "cast": "string"},
                         "operator": "is_set"}),
        ),
        var,
        "has a fixed type and cannot be cast",
    );
    assert_error(
        condition(json!({"type": "group", "op": "all", "children": []})),
        "actions.0.condition",
        "Group must contain at least one item",
    );
    assert_error(
        condition(
            json!({"type": "compare", "variable": {"key": "user.email"}, "operator": "eq",
                         "value": {"type": "literal", "value": "x"}, "options": {"negate": true}}),
        ),
        op,
        "Operator 'eq' cannot be negated",
    );
    assert_error(
        condition(cond(
            "user.last_login",
            "between",
            Some(json!(["2020-01-01"])),
        )),
        v,
        "Operand must be a list of exactly two values",
    );
    assert_error(actions(json!([])), "actions", "Add at least one action");
    assert_error(
        actions(json!([{"type": "set", "target": {"key": "foo"},
                        "value": {"type": "literal", "value": "x"}}])),
        "actions.0.target",
        "Unknown target 'foo'",
    );
    assert_error(
        actions(json!([{"type": "set", "target": {"key": "plan.context"},
                        "value": {"type": "literal", "value": "x"}}])),
        "actions.0.target",
        "Target 'plan.context' requires a key",
    );
    assert_error(
        condition(
            json!({"type": "compare", "variable": {"key": "user.email"}, "operator": "eq",
                         "value": {"type": "variable", "variable": {"key": "user.last_login"}}}),
        ),
        "actions.0.condition.value.variable",
        "Variable has type datetime, expected string",
    );
}

#[test]
fn limits_of_depth_and_size() {
    let mut node = cond("user.is_active", "is_true", None);
    for _ in 0..11 {
        node = json!({"type": "group", "op": "none", "children": [node]});
    }
    let errs = errors_of(&condition(node));
    assert!(
        errs.iter()
            .any(|(_, m)| m == "Condition tree must be at most 10 levels deep")
    );
    let wide: Vec<Value> = (0..250)
        .map(|_| cond("user.is_active", "is_true", None))
        .collect();
    assert_error(
        condition(json!({"type": "group", "op": "all", "children": wide})),
        "actions",
        "Policy can have at most 200 items",
    );
    let mut nested = json!([{"type": "stop", "result": "pass"}]);
    for _ in 0..11 {
        nested = json!([{"type": "if", "condition": cond("user.is_active", "is_true", None),
                         "then_actions": nested}]);
    }
    let errs = errors_of(&actions(nested));
    assert!(
        errs.iter()
            .any(|(_, m)| m == "Actions can be nested at most 10 levels deep")
    );
    // Exactly 10 levels is fine.
    let mut node = cond("user.is_active", "is_true", None);
    for _ in 0..8 {
        node = json!({"type": "group", "op": "any", "children": [node]});
    }
    assert_eq!(validate(&condition(node))["valid"], json!(true));
}

#[test]
fn operators_and_case_folding() {
    let cases = [
        (
            "ends",
            cond("user.email", "ends_with", Some(json!("@Example.com"))),
            true,
        ),
        (
            "ends-cs",
            cond("user.email", "ends_with", Some(json!("@example.com"))),
            false,
        ),
        (
            "ends-ci",
            json!({"type": "compare", "variable": {"key": "user.email"}, "operator": "ends_with",
                   "value": {"type": "literal", "value": "@EXAMPLE.COM"},
                   "options": {"case_sensitive": false}}),
            true,
        ),
        (
            "groups",
            cond("user.groups", "has_item", Some(json!(MEMBERS))),
            true,
        ),
        (
            "groups-other",
            cond("user.groups", "has_item", Some(json!(OTHERS))),
            false,
        ),
        (
            "groups-any",
            cond("user.groups", "has_any", Some(json!([OTHERS, MEMBERS]))),
            true,
        ),
        (
            "groups-all",
            cond("user.groups", "has_all", Some(json!([OTHERS, MEMBERS]))),
            false,
        ),
        (
            "groups-ci",
            json!({"type": "compare", "variable": {"key": "user.groups"}, "operator": "has_item",
                   "value": {"type": "literal", "value": MEMBERS.to_uppercase()},
                   "options": {"case_sensitive": false}}),
            true,
        ),
        (
            "len",
            cond("user.groups", "length_eq", Some(json!(1))),
            true,
        ),
        (
            "ip",
            cond(
                "request.client_ip",
                "in_network",
                Some(json!(["10.0.0.0/8"])),
            ),
            true,
        ),
        (
            "recent",
            cond("user.last_login", "within_last", Some(json!("days=1"))),
            true,
        ),
        (
            "old",
            cond("user.last_login", "older_than", Some(json!("hours=1"))),
            true,
        ),
        (
            "between",
            json!({"type": "compare",
            "variable": {"key": "user.attributes", "param": "level", "cast": "number"},
            "operator": "between", "value": {"type": "literal", "value": [3, 3]}}),
            true,
        ),
        (
            "regex",
            cond("user.email", "matches", Some(json!(r"^\w+\.\w+@"))),
            true,
        ),
    ];
    let e = engine(
        cases
            .iter()
            .map(|(n, c, _)| policy(n, condition(c.clone())))
            .collect(),
    );
    for (name, _, expected) in cases {
        let (passing, _) = test_policy(
            &e,
            name,
            json!({"user": 1, "http": {"client_ip": "10.1.2.3"}}),
        );
        assert_eq!(passing, expected, "{name}");
    }
}

#[test]
fn missing_values_and_messages() {
    let node = json!({"type": "compare",
        "variable": {"key": "plan.context", "param": "username", "cast": "string"},
        "operator": "eq", "value": {"type": "literal", "value": "foo"}});
    let mut fail = policy(
        "fail",
        condition(json!({"type": "group", "op": "none", "children": [node]})),
    );
    fail["failure_message"] = json!("need a username");
    let mut lenient = policy(
        "lenient",
        condition(json!({"type": "group", "op": "none", "children": [node]})),
    );
    lenient["missing_behavior"] = json!("false");
    let e = engine(vec![fail, lenient]);
    assert_eq!(
        test_policy(&e, "fail", json!({"user": 1})),
        (false, vec!["need a username".to_string()])
    );
    assert_eq!(
        test_policy(&e, "lenient", json!({"user": 1})),
        (true, vec![])
    );
    assert_eq!(
        test_policy(
            &e,
            "fail",
            json!({"user": 1, "context": {"username": "bar"}})
        ),
        (true, vec![])
    );
}

#[test]
fn references_keep_messages_of_failures_only() {
    let any = policy(
        "any",
        condition(json!({"type": "group", "op": "any", "children": [
            {"type": "policy", "policy": DUMMY}, cond("user.is_active", "is_true", None)]})),
    );
    let mut stop = policy(
        "stop",
        actions(
            json!([{"type": "if", "condition": {"type": "policy", "policy": DUMMY},
                        "else_actions": [{"type": "stop", "result": "fail", "message": "custom"}]}]),
        ),
    );
    stop["failure_message"] = json!("unused");
    let e = engine(vec![any, stop]);
    assert_eq!(test_policy(&e, "any", json!({"user": 1})), (true, vec![]));
    assert_eq!(
        test_policy(&e, "any", json!({"user": 2})),
        (false, vec!["dummy".to_string()])
    );
    assert_eq!(
        test_policy(&e, "stop", json!({"user": 1})),
        (false, vec!["dummy".to_string(), "custom".to_string()])
    );
}

#[test]
fn set_writes_the_plan_context_in_flows() {
    let setter = policy(
        "setter",
        actions(json!([
            {"type": "set", "target": {"key": "plan.context", "param": "first"},
             "value": {"type": "literal", "value": "a"}},
            {"type": "set", "target": {"key": "plan.email_override"},
             "value": {"type": "variable", "variable": {"key": "user.email"}}},
            {"type": "set", "target": {"key": "prompt_data", "param": "username"},
             "value": {"type": "variable", "variable": {"key": "user.username"}}},
            {"type": "set", "target": {"key": "plan.context", "param": "copy"},
             "value": {"type": "variable", "variable": {"key": "user.attributes", "param": "nope"}}},
            {"type": "condition", "condition": cond("user.is_active", "is_false", None)},
            {"type": "set", "target": {"key": "plan.context", "param": "second"},
             "value": {"type": "literal", "value": "b"}}
        ])),
    );
    let mut setter = setter;
    setter["missing_behavior"] = json!("false");
    setter["failure_message"] = json!("nope");
    let e = engine(vec![setter]);
    let (run, context) = run_in_flow(&e, "setter", json!({"user": 1}), true);
    let out = run.expect("runs");
    assert!(!out.passing);
    assert_eq!(out.messages, vec!["nope".to_string()]);
    assert_eq!(context.get("first"), Some(&json!("a")));
    assert_eq!(context.get("email"), Some(&json!("Jane.Doe@Example.com")));
    assert_eq!(
        context.get("prompt_data"),
        Some(&json!({"username": "jane"}))
    );
    assert!(!context.contains_key("copy") && !context.contains_key("second"));
    let nodes = out.nodes.expect("traced");
    assert!(
        nodes
            .iter()
            .any(|n| n["node"] == "actions.3" && n["set"] == json!(false))
    );
    assert!(nodes.iter().any(|n| n["node"] == "actions.4.condition"
        && n["variable"] == "user.is_active"
        && n["result"] == json!(false)));
    // Outside a flow the first set is an execution error.
    assert_eq!(
        e.test_policy("setter", &request(json!({"user": 1})), false)
            .expect("runs")
            .messages,
        vec!["Values can only be set while a flow is being executed".to_string()]
    );
}

#[test]
fn trace_names_the_deciding_node() {
    let p = policy(
        "traced",
        condition(json!({"type": "group", "op": "all", "children": [
            cond("user.is_active", "is_true", None),
            cond("user.email", "eq", Some(json!("nobody@example.com")))]})),
    );
    let e = engine(vec![p]);
    let r = e
        .test_policy("traced", &request(json!({"user": 1})), true)
        .expect("runs");
    assert!(!r.passing);
    let trace = r.trace.expect("trace");
    let nodes = trace[0].nodes.clone().expect("nodes");
    let decided = nodes
        .iter()
        .find(|n| n["node"] == "actions.0.condition.children.1")
        .expect("the failing comparison is traced");
    assert_eq!(decided["result"], json!(false));
    assert_eq!(decided["value"], json!("Jane.Doe@Example.com"));
    assert!(
        nodes
            .iter()
            .any(|n| n["node"] == "actions.0.condition" && n["group"] == "all")
    );
}

#[test]
fn depth_of_references_is_limited() {
    // A chain of 12 policies each referencing the next: the run stops at depth 10.
    let mut policies = Vec::new();
    let pk = |i: usize| format!("a0000000-0000-4000-8000-{i:012}");
    for i in 0..12 {
        let node = if i == 11 {
            cond("user.is_active", "is_true", None)
        } else {
            json!({"type": "policy", "policy": pk(i + 1)})
        };
        policies.push(
            json!({"pk": pk(i), "name": format!("chain-{i}"), "type": "conditional",
                             "actions": condition(node)}),
        );
    }
    let e = engine(policies);
    let r = e
        .test_policy("chain-0", &request(json!({"user": 1})), false)
        .expect("runs");
    assert_eq!(
        r.messages,
        vec!["Maximum policy reference depth exceeded".to_string()]
    );
    assert_eq!(
        test_policy(&e, "chain-2", json!({"user": 1})),
        (true, vec![])
    );
}

fn load_errors(snap: Value) -> Vec<(String, String)> {
    match Engine::from_value(&snap, &Limits::default()) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors.into_iter().map(|p| (p.path, p.message)).collect(),
    }
}

#[test]
fn snapshot_checks_references_loops_and_targets() {
    let a = "b0000000-0000-4000-8000-00000000000a";
    let b = "b0000000-0000-4000-8000-00000000000b";
    let missing = "b0000000-0000-4000-8000-00000000000c";
    let refer = |pk: &str, name: &str, to: &str| {
        json!({"pk": pk, "name": name, "type": "conditional",
               "actions": condition(json!({"type": "policy", "policy": to}))})
    };
    let mut snap = snapshot(vec![refer(a, "a", b), refer(b, "b", a)]);
    let errs = load_errors(snap.clone());
    assert!(
        errs.contains(&(
            "policies[1].actions.actions.0.condition".into(),
            "Referenced policy references this policy, creating a loop.".into()
        )),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|(p, _)| p == "policies[2].actions.actions.0.condition")
    );
    snap["policies"][2] = refer(b, "b", missing);
    let errs = load_errors(snap.clone());
    assert_eq!(
        errs,
        vec![(
            "policies[2].actions.actions.0.condition".to_string(),
            "Referenced policy does not exist.".to_string()
        )]
    );

    // Target validation, also through a reference.
    let app_only = json!({"pk": a, "name": "app-only", "type": "conditional",
        "actions": condition(cond("application.slug", "eq", Some(json!("x"))))});
    let wrapper = refer(b, "wrapper", a);
    let mut snap = snapshot(vec![app_only, wrapper]);
    snap["applications"] =
        json!([{"pk": "ap000000-0000-4000-8000-000000000001", "slug": "app", "name": "App"}]);
    let flow = "f1000000-0000-4000-8000-000000000001";
    snap["policy_bindings"] = json!([
        {"target": "ap000000-0000-4000-8000-000000000001", "policy": a, "order": 0},
        {"target": flow, "policy": b, "order": 0},
        {"target": flow, "policy": DUMMY, "order": 1}
    ]);
    let errs = load_errors(snap);
    assert_eq!(
        errs,
        vec![(
            "policy_bindings[1].policy".to_string(),
            "Policy 'wrapper' uses values which are not available for Flow: application.slug"
                .to_string()
        )]
    );
}

#[test]
fn compile_errors_in_snapshots_carry_policy_paths() {
    let bad = policy("bad", condition(cond("does.not.exist", "is_set", None)));
    let errs = load_errors(snapshot(vec![bad]));
    assert_eq!(
        errs,
        vec![(
            "policies[1].actions.actions.0.condition.variable".to_string(),
            "Unknown variable 'does.not.exist'".to_string()
        )]
    );
    let mut empty = policy("empty", actions(json!([])));
    empty["missing_behavior"] = json!("maybe");
    let errs = load_errors(snapshot(vec![empty]));
    assert_eq!(errs.len(), 2, "{errs:?}");
}

/// xorshift64*: a small seeded generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const KEYS: &[(&str, Option<&str>)] = &[
    ("user.email", None),
    ("user.username", None),
    ("user.is_active", None),
    ("user.groups", None),
    ("user.last_login", None),
    ("user.type", None),
    ("user.attributes", Some("level")),
    ("user.attributes", Some("nested.flag")),
    ("plan.context", Some("username")),
    ("prompt_data", Some("email")),
    ("request.client_ip", None),
    ("request.asn.asn", None),
    ("request.geoip.country", None),
    ("plan.is_sso", None),
    ("flow.slug", None),
    ("event.action", None),
    ("event.context", Some("a.b")),
    ("user.authenticator_types", None),
    ("application.slug", None),
];
const CASTS: &[&str] = &["string", "number", "boolean", "datetime", "ip"];

fn random_literal(rng: &mut Rng, depth: usize) -> Value {
    let scalars = [
        json!("a"),
        json!("Jane.Doe@Example.com"),
        json!("10.0.0.0/8"),
        json!("10.1.2.3"),
        json!("::1"),
        json!("hours=1"),
        json!("days=1;minutes=5"),
        json!("2020-01-01"),
        json!("2026-06-01T11:00:00Z"),
        json!("internal"),
        json!("login"),
        json!("(a|b)$"),
        json!("(?<=x)"),
        json!(MEMBERS),
        json!(OTHERS),
        json!(3),
        json!(2.5),
        json!(-1),
        json!(true),
        json!(null),
        json!({"k": 1}),
        json!("ß"),
    ];
    if depth < 2 && rng.chance(35) {
        let n = rng.below(4);
        return Value::Array((0..n).map(|_| random_literal(rng, depth + 1)).collect());
    }
    rng.pick(&scalars).clone()
}

fn random_var(rng: &mut Rng) -> Value {
    let (key, param) = *rng.pick(KEYS);
    let mut v = json!({"key": key});
    if let Some(p) = param
        && !rng.chance(5)
    {
        v["param"] = json!(p);
    }
    if rng.chance(40) {
        v["cast"] = json!(rng.pick(CASTS));
    }
    v
}

/// A comparison that compiles, with random options.
fn well_formed_compare(rng: &mut Rng) -> Value {
    let templates = [
        (
            json!({"key": "user.email"}),
            "ends_with",
            Some(json!("@example.com")),
        ),
        (
            json!({"key": "user.email"}),
            "matches",
            Some(json!("^j(a|o)")),
        ),
        (json!({"key": "user.email"}), "is_url", None),
        (
            json!({"key": "user.groups"}),
            "has_any",
            Some(json!([MEMBERS, OTHERS])),
        ),
        (
            json!({"key": "user.groups"}),
            "has_item",
            Some(json!(OTHERS)),
        ),
        (json!({"key": "user.groups"}), "is_empty", None),
        (json!({"key": "user.is_active"}), "is_true", None),
        (
            json!({"key": "request.client_ip"}),
            "in_network",
            Some(json!(["10.0.0.0/8", "::/0"])),
        ),
        (json!({"key": "request.client_ip"}), "is_private", None),
        (
            json!({"key": "user.last_login"}),
            "within_last",
            Some(json!("hours=1")),
        ),
        (
            json!({"key": "user.last_login"}),
            "between",
            Some(json!(["2020-01-01", "2030-01-01"])),
        ),
        (
            json!({"key": "user.attributes", "param": "level", "cast": "number"}),
            "gte",
            Some(json!(2)),
        ),
        (
            json!({"key": "plan.context", "param": "username", "cast": "string"}),
            "eq",
            Some(json!("jane")),
        ),
        (
            json!({"key": "plan.context", "param": "username"}),
            "is_not_set",
            None,
        ),
        (
            json!({"key": "prompt_data", "param": "email"}),
            "is_set",
            None,
        ),
        (json!({"key": "event.action"}), "eq", Some(json!("login"))),
        (
            json!({"key": "event.context", "param": "a.b", "cast": "boolean"}),
            "is_true",
            None,
        ),
        (
            json!({"key": "user.type"}),
            "in",
            Some(json!(["internal", "external"])),
        ),
        (json!({"key": "request.asn.asn"}), "gte", Some(json!(100))),
        (
            json!({"key": "user.authenticator_types"}),
            "length_gt",
            Some(json!(0)),
        ),
        (json!({"key": "flow.slug"}), "eq", Some(json!("login"))),
    ];
    let (var, op, value) = rng.pick(&templates).clone();
    let mut node = json!({"type": "compare", "variable": var, "operator": op});
    if let Some(v) = value {
        node["value"] = if rng.chance(10) && op == "eq" {
            json!({"type": "variable", "variable": {"key": "user.username"}})
        } else {
            json!({"type": "literal", "value": v})
        };
    }
    let negatable = super::operators::Op::parse(op).is_some_and(|o| o.negatable());
    node["options"] =
        json!({"case_sensitive": rng.chance(50), "negate": negatable && rng.chance(30)});
    node
}

fn random_node(rng: &mut Rng, depth: usize) -> Value {
    let roll = rng.below(100);
    if roll < 25 && depth < 12 {
        let n = rng.below(4);
        let op = *rng.pick(&["all", "any", "none"]);
        let children: Vec<Value> = (0..n).map(|_| random_node(rng, depth + 1)).collect();
        return json!({"type": "group", "op": op, "children": children});
    }
    if roll < 30 {
        let target = if rng.chance(80) { DUMMY } else { "not-a-uuid" };
        return json!({"type": "policy", "policy": target});
    }
    if rng.chance(50) {
        return well_formed_compare(rng);
    }
    let op = rng.pick(&super::operators::OPS).name();
    let mut node = json!({"type": "compare", "variable": random_var(rng), "operator": op});
    if rng.chance(70) {
        node["value"] = if rng.chance(85) {
            json!({"type": "literal", "value": random_literal(rng, 0)})
        } else {
            json!({"type": "variable", "variable": random_var(rng)})
        };
    }
    if rng.chance(30) {
        node["options"] = json!({"case_sensitive": rng.chance(50), "negate": rng.chance(30)});
    }
    if rng.chance(2) {
        node["unexpected"] = json!(1);
    }
    node
}

fn random_actions(rng: &mut Rng, depth: usize) -> Value {
    let n = if depth == 1 {
        1 + rng.below(3)
    } else {
        rng.below(3)
    };
    let list: Vec<Value> = (0..n)
        .map(|_| {
            let mut a = match rng.below(10) {
                0..=3 => json!({"type": "condition", "condition": random_node(rng, depth + 1)}),
                4..=5 if depth < 12 => json!({"type": "if",
                    "condition": random_node(rng, depth + 1),
                    "then_actions": random_actions(rng, depth + 1),
                    "else_actions": random_actions(rng, depth + 1)}),
                6..=7 => {
                    let (key, param) = *rng.pick(&[
                        ("plan.context", Some("x")),
                        ("prompt_data", Some("y")),
                        ("plan.email_override", None),
                        ("plan.consent_header", None),
                        ("nope", None),
                    ]);
                    let value = if rng.chance(60) {
                        json!({"type": "literal", "value": random_literal(rng, 0)})
                    } else {
                        json!({"type": "variable", "variable": random_var(rng)})
                    };
                    json!({"type": "set", "target": {"key": key, "param": param}, "value": value})
                }
                _ => json!({"type": "stop", "result": rng.pick(&["pass", "fail"]),
                            "message": rng.pick(&[json!(null), json!("m")]).clone()}),
            };
            if rng.chance(15) {
                a["enabled"] = json!(false);
            }
            a
        })
        .collect();
    Value::Array(list)
}

#[test]
fn property_random_trees_never_panic_and_validate_agrees_with_the_loader() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut loaded = 0;
    for i in 0..1000 {
        let acts = actions(random_actions(&mut rng, 1));
        let mut p = policy("random", acts.clone());
        p["missing_behavior"] = json!(rng.pick(&["fail", "false"]));
        p["failure_message"] = json!("fm");
        let valid = validate(&acts)["valid"] == json!(true);
        let Ok(e) = Engine::from_value(&snapshot(vec![p]), &Limits::default()) else {
            continue;
        };
        loaded += 1;
        assert!(
            valid,
            "case {i}: the loader accepted what validate rejects: {acts}"
        );
        for req in [
            json!({}),
            json!({"user": 1, "http": {"client_ip": "10.1.2.3", "asn": {"asn": 64496}},
                   "context": {"username": "jane", "prompt_data": {"email": "a@b.c"}, "x": 1}}),
            json!({"user": 2, "http": {"client_ip": "nope"}, "context": {"username": 5},
                   "event": {"action": "custom_foo", "context": {"a": {"b": "1"}}}}),
        ] {
            let _ = e.test_policy("random", &request(req.clone()), true);
            let _ = run_in_flow(&e, "random", req, rng.chance(50));
        }
    }
    assert!(
        loaded > 200,
        "the generator should produce enough valid trees ({loaded})"
    );
}

/// `cargo test --release --lib policy::conditional::tests::timing -- --ignored --nocapture`
#[test]
#[ignore]
fn timing() {
    let small = policy(
        "small",
        condition(json!({"type": "group", "op": "all", "children": [
            cond("user.groups", "has_any", Some(json!([OTHERS, MEMBERS]))),
            cond("user.is_active", "is_true", None)]})),
    );
    let mut children = Vec::new();
    for i in 0..6 {
        children.push(json!({"type": "group", "op": "any", "children": [
            cond("user.email", "ends_with", Some(json!(format!("@nope{i}.com")))),
            cond("request.client_ip", "in_network", Some(json!(["10.0.0.0/8", "192.168.0.0/16"]))),
        ]}));
    }
    children.push(cond(
        "user.last_login",
        "within_last",
        Some(json!("days=1")),
    ));
    let twenty = policy(
        "twenty",
        condition(json!({"type": "group", "op": "all", "children": children})),
    );
    let e = engine(vec![small, twenty]);
    let req = request(json!({"user": 1, "http": {"client_ip": "10.1.2.3"}}));
    let index = e.index();
    let actor = Actor::resolve(index, &req.user, "user").expect("user");
    let context = RefCell::new(Map::new());
    let ctx = PolicyCtx {
        index,
        user: &actor,
        request: &req,
        context: &context,
        target: None,
        flow: None,
        depth: 0,
        trace: false,
    };
    for name in ["small", "twenty"] {
        let pid = index.policy_by_pk_or_name(name).expect("policy");
        let n: usize = std::env::var("FLOWGATE_TIMING_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        let start = std::time::Instant::now();
        let mut passing = 0;
        for _ in 0..n {
            passing += ctx.run_policy(pid).map_or(0, |r| r.passing as usize);
        }
        let per = start.elapsed().as_nanos() as f64 / n as f64;
        println!("{name}: {per:.0} ns per run of the policy (passing {passing}/{n})");
    }
    for name in ["small", "twenty"] {
        let n = 200_000.min(
            std::env::var("FLOWGATE_TIMING_RUNS").map_or(200_000, |v| v.parse().unwrap_or(200_000)),
        );
        let start = std::time::Instant::now();
        let mut passing = 0;
        for _ in 0..n {
            passing += e
                .test_policy(name, &req, false)
                .map_or(0, |r| r.passing as usize);
        }
        let per = start.elapsed().as_nanos() as f64 / n as f64;
        println!("{name}: {per:.0} ns per testPolicy (passing {passing}/{n})");
    }
}

/// Typed values move through every comparison; keep them small (no 16-byte-aligned fields).
#[test]
fn values_stay_small() {
    assert!(std::mem::size_of::<super::types::V<'_>>() <= 48);
    assert!(std::mem::size_of::<Option<super::types::V<'_>>>() <= 48);
}
