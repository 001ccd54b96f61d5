//! Properties over random valid snapshots and requests (issue 9): `evaluate` is deterministic
//! (also across engines loaded from the same text), `filter_users` agrees with `evaluate` for
//! every user, `applications` agrees with `check_access` per application, a plan round-tripped
//! through JSON text gives the same `next` (and the same signature), and answers do not depend on
//! the order of unrelated snapshot entries.
//!
//! A seeded generator keeps failures reproducible (the failing seed is printed). CI runs a
//! bounded number of cases; `FLOWGATE_FUZZ_CASES=200000 cargo test --release --test properties`
//! (or `npm run fuzz`) runs a long campaign.

use flowgate::{Engine, Limits, Request};
use serde::Serialize;
use serde_json::{Value, json};

/// xorshift64*: tiny and deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// Snapshots per property (each one is checked with several requests and targets).
fn cases() -> usize {
    std::env::var("FLOWGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Runs `check` on `cases()` seeds; reports the seed of a failure.
fn for_each_case(name: &str, check: impl Fn(&mut Rng, u64)) {
    let n = cases();
    for seed in 0..n as u64 {
        let mut rng = Rng::new(seed ^ 0xF10_6A7E);
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&mut rng, seed)));
        if let Err(e) = run {
            eprintln!("{name}: failed at seed {seed}");
            std::panic::resume_unwind(e);
        }
    }
    println!("{name}: {n} cases");
}

const NOW: &str = "2026-06-01T12:00:00Z";

/// A random, valid snapshot: groups with parents (acyclic), users, dummy and conditional
/// policies, applications, a source, a flow with stages; bindings of every kind with tied
/// orders, negation, disabled bindings and failure results.
fn snapshot(rng: &mut Rng) -> Value {
    let ng = 1 + rng.below(5);
    let nu = 1 + rng.below(8);
    let groups: Vec<Value> = (0..ng)
        .map(|i| {
            let parents: Vec<String> = (0..i)
                .filter(|_| rng.chance(3))
                .map(|j| format!("g{j}"))
                .collect();
            json!({"pk": format!("g{i}"), "name": format!("group {i}"), "parents": parents,
                   "is_superuser": rng.chance(6), "attributes": {"tier": i}})
        })
        .collect();
    let users: Vec<Value> = (0..nu)
        .map(|i| {
            let member: Vec<String> = (0..ng)
                .filter(|_| rng.chance(3))
                .map(|j| format!("g{j}"))
                .collect();
            json!({"pk": i + 1, "username": format!("u{i}"), "groups": member,
                   "is_active": !rng.chance(5), "attributes": {"level": rng.below(5)}})
        })
        .collect();
    let np = 1 + rng.below(6);
    let policies: Vec<Value> = (0..np)
        .map(|i| {
            let (pk, name) = (format!("p{i}"), format!("policy {i}"));
            let compare = match rng.below(5) {
                0 | 1 => {
                    return json!({"pk": pk, "name": name, "type": "dummy", "result": rng.chance(2)});
                }
                2 => json!({"type": "compare",
                    "variable": {"key": "user.attributes", "param": "level", "cast": "number"},
                    "operator": "gte", "value": {"type": "literal", "value": rng.below(5)}}),
                3 => json!({"type": "compare", "variable": {"key": "user.groups"},
                    "operator": "has_item",
                    "value": {"type": "literal", "value": format!("g{}", rng.below(ng))}}),
                _ => json!({"type": "compare", "variable": {"key": "user.username"},
                    "operator": "matches", "value": {"type": "literal", "value": "^u[0-3]$"}}),
            };
            json!({"pk": pk, "name": name, "type": "conditional",
                   "actions": {"version": 2, "actions": [{"type": "condition", "condition": compare}]}})
        })
        .collect();
    let na = 1 + rng.below(4);
    let names = ["Alpha", "Beta", "alpha", "Gamma"];
    let applications: Vec<Value> = (0..na)
        .map(|i| {
            json!({"pk": format!("a{i}"), "slug": format!("app{i}"), "name": names[rng.below(4)],
                   "policy_engine_mode": if rng.chance(2) { "any" } else { "all" }})
        })
        .collect();
    let nf = 1 + rng.below(3);
    let stages: Vec<Value> = (0..3)
        .map(|i| json!({"pk": format!("s{i}"), "name": format!("stage {i}"), "component": "ak-stage-dummy"}))
        .collect();
    let fsbs: Vec<Value> = (0..nf)
        .map(|i| {
            json!({"pk": format!("fsb{i}"), "target": "f0", "stage": format!("s{}", rng.below(3)),
                   "order": i * 10, "evaluate_on_plan": rng.chance(2),
                   "re_evaluate_policies": rng.chance(2)})
        })
        .collect();
    let mut targets: Vec<String> = (0..na).map(|i| format!("a{i}")).collect();
    targets.push("t0".into());
    targets.push("f0".into());
    targets.extend((0..nf).map(|i| format!("fsb{i}")));
    let mut bindings = Vec::new();
    for t in &targets {
        for _ in 0..rng.below(5) {
            let mut b = json!({"pk": format!("b{}", bindings.len()), "target": t,
                               "order": rng.below(3), "negate": rng.chance(4),
                               "enabled": !rng.chance(8), "failure_result": rng.chance(2)});
            match rng.below(3) {
                0 => b["policy"] = json!(format!("p{}", rng.below(np))),
                1 => b["group"] = json!(format!("g{}", rng.below(ng))),
                _ => b["user"] = json!(1 + rng.below(nu)),
            }
            bindings.push(b);
        }
    }
    json!({
        "users": users, "groups": groups, "policies": policies,
        "applications": applications,
        "targets": [{"pbm_uuid": "t0", "kind": "source"}],
        "flows": [{"pk": "f0", "slug": "flow", "designation": "authentication",
                   "policy_engine_mode": if rng.chance(2) { "any" } else { "all" }}],
        "stages": stages, "flow_stage_bindings": fsbs, "policy_bindings": bindings,
    })
}

fn load(doc: &Value) -> Engine {
    Engine::from_value(doc, &Limits::default())
        .unwrap_or_else(|e| panic!("generated snapshot must load: {e}\n{doc:#}"))
}

fn user_count(doc: &Value) -> usize {
    doc["users"].as_array().map_or(0, Vec::len)
}

fn targets(doc: &Value) -> Vec<String> {
    let mut out = vec!["t0".to_string(), "f0".to_string()];
    for (list, key) in [("applications", "pk"), ("flow_stage_bindings", "pk")] {
        for v in doc[list].as_array().into_iter().flatten() {
            out.push(v[key].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

/// A random request for a snapshot user (by pk or username), anonymous now and then.
fn request_json(rng: &mut Rng, users: usize) -> Value {
    let i = rng.below(users);
    let user = match rng.below(6) {
        0 => Value::Null,
        1 | 2 => json!(format!("u{i}")),
        _ => json!(i + 1),
    };
    let mut r = json!({"user": user, "now": NOW});
    if rng.chance(3) {
        r["context"] = json!({"k": rng.below(10), "nested": {"x": [1.5, "é", null]}});
    }
    r
}

fn request(v: &Value) -> Request {
    Request::parse(Some(v), 0).unwrap_or_else(|e| panic!("generated request: {e}: {v}"))
}

fn val<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or_else(|e| panic!("results serialize: {e}"))
}

/// Every answer of an engine for a set of requests, as JSON (fingerprints removed: they name
/// the snapshot text, which differs when entries are reordered).
fn answers(e: &Engine, doc: &Value, requests: &[Value]) -> Value {
    let mut out = Vec::new();
    for r in requests {
        let req = request(r);
        for t in targets(doc) {
            out.push(json!([
                t,
                val(&e.evaluate(&t, &req, true).expect("target exists"))
            ]));
            let mut users = e.filter_users(&t, None, &req).expect("target exists");
            users.sort_unstable();
            out.push(json!(users));
        }
        out.push(val(&e.applications(&req, &json!({})).expect("user exists")));
        let mut planned = val(&e.plan("flow", &req, &json!({})).expect("flow exists"));
        if let Some(plan) = planned.get("plan").cloned() {
            let step = val(&e.next(&plan, &req).expect("own plan is valid"));
            out.push(strip_fingerprints(step));
        }
        if let Some(p) = planned.get_mut("plan") {
            *p = strip_fingerprints(p.take());
        }
        out.push(planned);
    }
    Value::Array(out)
}

fn strip_fingerprints(mut v: Value) -> Value {
    match &mut v {
        Value::Object(m) => {
            m.remove("fingerprint");
            for x in m.values_mut() {
                *x = strip_fingerprints(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = strip_fingerprints(x.take());
            }
        }
        _ => {}
    }
    v
}

/// A trace shows the value a conditional compared; `user.groups` lists the user's groups in
/// snapshot order (a set in authentik, whose order is the database's), so compare it as a set.
fn group_lists_sorted(mut v: Value) -> Value {
    match &mut v {
        Value::Object(m) => {
            if m.get("variable").and_then(Value::as_str) == Some("user.groups")
                && let Some(Value::Array(a)) = m.get_mut("value")
            {
                a.sort_by_key(|g| g.to_string());
            }
            for x in m.values_mut() {
                *x = group_lists_sorted(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = group_lists_sorted(x.take());
            }
        }
        _ => {}
    }
    v
}

fn requests(rng: &mut Rng, doc: &Value) -> Vec<Value> {
    (0..3).map(|_| request_json(rng, user_count(doc))).collect()
}

#[test]
fn evaluate_is_deterministic() {
    for_each_case("evaluate_is_deterministic", |rng, _| {
        let doc = snapshot(rng);
        let a = load(&doc);
        let text = serde_json::to_string(&doc).expect("serializes");
        let b = Engine::from_json(&text, &Limits::default()).expect("same snapshot as text");
        let reqs = requests(rng, &doc);
        let first = answers(&a, &doc, &reqs);
        assert_eq!(first, answers(&a, &doc, &reqs), "same engine, asked twice");
        assert_eq!(
            first,
            answers(&b, &doc, &reqs),
            "engine loaded from the text"
        );
    });
}

#[test]
fn filter_users_agrees_with_evaluate() {
    for_each_case("filter_users_agrees_with_evaluate", |rng, _| {
        let doc = snapshot(rng);
        let e = load(&doc);
        let n = user_count(&doc);
        let mut base = request_json(rng, n);
        for t in targets(&doc) {
            let expected: Vec<i64> = (1..=n as i64)
                .filter(|pk| {
                    base["user"] = json!(pk);
                    e.evaluate(&t, &request(&base), false)
                        .expect("target exists")
                        .passing
                })
                .collect();
            base["user"] = Value::Null;
            let all = e.filter_users(&t, None, &request(&base)).expect("target");
            assert_eq!(all, expected, "target {t}");
            // A chosen subset, by pk and username, in any order: still snapshot order.
            let mut some: Vec<usize> = (0..n).filter(|_| rng.chance(2)).collect();
            rng.shuffle(&mut some);
            let specs: Vec<Value> = some
                .iter()
                .map(|&i| {
                    if rng.chance(2) {
                        json!(i + 1)
                    } else {
                        json!(format!("u{i}"))
                    }
                })
                .collect();
            let specs: Vec<flowgate::UserSpec> = specs
                .iter()
                .map(|s| request(&json!({"user": s})).user)
                .collect();
            let subset = e
                .filter_users(&t, Some(&specs), &request(&base))
                .expect("users exist");
            let wanted: Vec<i64> = expected
                .iter()
                .copied()
                .filter(|pk| some.contains(&(*pk as usize - 1)))
                .collect();
            assert_eq!(subset, wanted, "target {t}, users {some:?}");
        }
    });
}

#[test]
fn applications_agree_with_check_access() {
    for_each_case("applications_agree_with_check_access", |rng, _| {
        let doc = snapshot(rng);
        let e = load(&doc);
        for r in requests(rng, &doc) {
            let req = request(&r);
            let listed: Vec<String> = val(&e.applications(&req, &json!({})).expect("user"))
                .as_array()
                .expect("a list")
                .iter()
                .map(|a| a["slug"].as_str().unwrap_or_default().to_string())
                .collect();
            let mut allowed: Vec<(String, String)> = doc["applications"]
                .as_array()
                .expect("apps")
                .iter()
                .filter_map(|a| {
                    let slug = a["slug"].as_str().unwrap_or_default();
                    let pass = e.check_access(slug, &req, false).expect("app").passing;
                    // The same answer as evaluate on the application's target.
                    let pk = a["pk"].as_str().unwrap_or_default();
                    assert_eq!(pass, e.evaluate(pk, &req, false).expect("target").passing);
                    pass.then(|| {
                        (
                            a["name"].as_str().unwrap_or_default().to_string(),
                            slug.to_string(),
                        )
                    })
                })
                .collect();
            allowed.sort();
            let allowed: Vec<String> = allowed.into_iter().map(|(_, s)| s).collect();
            assert_eq!(listed, allowed, "request {r}");
        }
    });
}

/// Plan-context values that JSON text must carry exactly.
fn odd_context(rng: &mut Rng) -> Value {
    let pool = [
        json!(0.1),
        json!(1e300),
        json!(-0.0),
        json!(u64::MAX),
        json!(i64::MIN),
        json!("\u{0}\u{1f}\"\\/é\u{2028}😀"),
        json!([[], {}, [null, true]]),
        json!({"__proto__": {"x": 1}, "constructor": 1}),
    ];
    let mut m = serde_json::Map::new();
    for i in 0..rng.below(4) {
        m.insert(format!("k{i}"), pool[rng.below(pool.len())].clone());
    }
    Value::Object(m)
}

#[test]
fn plan_round_tripped_through_json_text_gives_the_same_next() {
    for_each_case("plan_round_trip", |rng, _| {
        let doc = snapshot(rng);
        let e = load(&doc);
        for r in requests(rng, &doc) {
            let req = request(&r);
            let options = json!({"context": odd_context(rng)});
            let outcome = val(&e.plan("flow", &req, &options).expect("flow exists"));
            let Some(plan) = outcome.get("plan") else {
                continue;
            };
            let text = serde_json::to_string(plan).expect("serializes");
            let back: Value = serde_json::from_str(&text).expect("parses");
            assert_eq!(&back, plan, "JSON text round trip");
            let direct = val(&e.next(plan, &req).expect("valid plan"));
            let via_text = val(&e.next(&back, &req).expect("valid plan"));
            assert_eq!(direct, via_text);
            // Signatures survive the trip too, and so does the next step of a signed plan.
            let signed = val(&e.sign_plan(plan, b"key").expect("signs"));
            let signed_back: Value =
                serde_json::from_str(&serde_json::to_string(&signed).expect("ser")).expect("de");
            let verified = e
                .verify_plan(&signed_back, b"key")
                .expect("verifies after the trip");
            assert_eq!(val(&e.next(&val(&verified), &req).expect("valid")), direct);
            // Walking the plan to its end gives the same steps either way.
            let (mut p1, mut p2) = (plan.clone(), back);
            for _ in 0..4 {
                let s1 = val(&e.stage_ok(&p1).expect("valid"));
                let t = serde_json::to_string(&val(&e.stage_ok(&p2).expect("valid"))).expect("ser");
                let s2: Value = serde_json::from_str(&t).expect("de");
                assert_eq!(s1, s2);
                assert_eq!(
                    val(&e.next(&s1, &req).expect("v")),
                    val(&e.next(&s2, &req).expect("v"))
                );
                (p1, p2) = (s1, s2);
            }
        }
    });
}

#[test]
fn answers_do_not_depend_on_the_order_of_unrelated_entries() {
    for_each_case("order_independence", |rng, _| {
        let doc = snapshot(rng);
        let mut shuffled = doc.clone();
        for list in ["users", "groups", "policies", "applications", "stages"] {
            if let Some(Value::Array(a)) = shuffled.get_mut(list) {
                rng.shuffle(a);
            }
        }
        // Bindings: any interleaving of different targets; each target keeps its own order
        // (ties in `order` are broken by snapshot order, as in authentik's querysets).
        if let Some(Value::Array(bindings)) = shuffled.get_mut("policy_bindings") {
            let mut keys: Vec<u64> = bindings.iter().map(|_| rng.next()).collect();
            let mut by_target: std::collections::HashMap<String, Vec<u64>> = Default::default();
            for (b, k) in bindings.iter().zip(&keys) {
                by_target
                    .entry(b["target"].as_str().unwrap_or_default().into())
                    .or_default()
                    .push(*k);
            }
            for ks in by_target.values_mut() {
                ks.sort_unstable();
            }
            // Reassign each target's sorted keys in its original order: a merge of the lists.
            let mut taken: std::collections::HashMap<String, usize> = Default::default();
            for (b, k) in bindings.iter().zip(keys.iter_mut()) {
                let t = b["target"].as_str().unwrap_or_default().to_string();
                let i = taken.entry(t.clone()).or_default();
                *k = by_target[&t][*i];
                *i += 1;
            }
            let mut paired: Vec<(u64, Value)> = keys.into_iter().zip(bindings.drain(..)).collect();
            paired.sort_by_key(|(k, _)| *k);
            bindings.extend(paired.into_iter().map(|(_, b)| b));
        }
        let (a, b) = (load(&doc), load(&shuffled));
        let reqs = requests(rng, &doc);
        let (x, y) = (answers(&a, &doc, &reqs), answers(&b, &doc, &reqs));
        let (x, y) = (group_lists_sorted(x), group_lists_sorted(y));
        let (xs, ys) = (x.as_array().expect("list"), y.as_array().expect("list"));
        for (i, (l, r)) in xs.iter().zip(ys).enumerate() {
            assert_eq!(l, r, "answer {i}\noriginal:\n{doc}\nshuffled:\n{shuffled}");
        }
        assert_eq!(xs.len(), ys.len());
    });
}
