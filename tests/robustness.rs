//! No input may panic (spec §4): malformed snapshots and requests — wrong types, huge numbers,
//! deep nesting, unknown references, random mutations of a valid snapshot — must give
//! `FlowgateError`s or answers, never a panic. A seeded generator keeps runs reproducible;
//! `FLOWGATE_FUZZ_CASES=1000000 cargo test --release --test robustness` runs a long campaign.

use flowgate::{Engine, ErrorCode, Limits, Request};
use serde_json::{Map, Value, json};

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn cases() -> usize {
    std::env::var("FLOWGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn base() -> Value {
    json!({
        "users": [
            {"pk": 1, "username": "jane", "groups": ["g1"], "attributes": {"a": {"b": [1, 2]}},
             "last_login": "2026-05-31T08:00:00Z", "authenticator_types": ["totp"]},
            {"pk": 2, "username": "bob", "is_active": false}
        ],
        "groups": [{"pk": "g1", "name": "one", "parents": ["g2"]}, {"pk": "g2", "name": "two", "parent": "g1", "is_superuser": true}],
        "policies": [
            {"pk": "p1", "name": "t", "type": "dummy", "result": true},
            {"pk": "p2", "name": "e", "type": "expression", "expression": "return True"},
            {"pk": "p3", "name": "r", "type": "reputation", "threshold": -5}
        ],
        "targets": [{"pbm_uuid": "t1", "kind": "source"}, {"pbm_uuid": "t2", "kind": "notification_rule"}],
        "applications": [{"pk": "a1", "slug": "app", "name": "App", "policy_engine_mode": "all"}],
        "application_entitlements": [{"pbm_uuid": "e1", "name": "ent", "app": "a1"}],
        "flows": [{"pk": "f1", "slug": "login", "designation": "authentication"}],
        "stages": [{"pk": "s1", "name": "id", "component": "ak-stage-identification-form"}],
        "flow_stage_bindings": [{"pk": "fsb1", "target": "f1", "stage": "s1", "order": 0}],
        "policy_bindings": [
            {"pk": "b1", "target": "t1", "policy": "p1", "order": 0},
            {"pk": "b2", "target": "t1", "group": "g2", "order": 1, "negate": true},
            {"pk": "b3", "target": "a1", "user": 1, "order": 0, "expiring": true, "expires": "2030-01-01T00:00:00Z"},
            {"pk": "b4", "target": "t2", "policy": "p2", "order": 0, "failure_result": true},
            {"pk": "b5", "target": "e1", "group": "g1", "order": 0},
            {"pk": "b6", "target": "fsb1", "policy": "p3", "order": 0}
        ],
        "events": [{"action": "login", "user": 1, "created": "2026-05-30T00:00:00Z", "context": {"geo": {"lat": 1, "long": 2}}}],
        "reputations": [{"ip": "10.0.0.1", "identifier": "jane", "score": -3}]
    })
}

fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(14) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(i64::MAX),
        4 => json!(u64::MAX),
        5 => json!(1e308),
        6 => json!(0.5),
        7 => json!(""),
        8 => json!("ß\u{0}\u{10FFFF}%(username)s"),
        9 => json!([]),
        10 => json!({}),
        11 => json!(["g1", 3, null]),
        12 => json!({"pk": "x", "__proto__": {"polluted": true}}),
        _ => json!("2026-13-45T99:99:99Z"),
    }
}

/// Replaces, removes or retypes one value somewhere in the document.
fn mutate(v: &mut Value, rng: &mut Rng, depth: usize) {
    match v {
        Value::Object(map) if !map.is_empty() && depth < 6 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let k = &keys[rng.below(keys.len())];
            match rng.below(4) {
                0 => {
                    map.remove(k);
                }
                1 => {
                    map.insert(k.clone(), odd_value(rng));
                }
                _ => {
                    if let Some(child) = map.get_mut(k) {
                        mutate(child, rng, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() && depth < 6 => {
            let i = rng.below(items.len());
            match rng.below(4) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let dup = items[i].clone();
                    items.push(dup);
                }
                _ => mutate(&mut items[i], rng, depth + 1),
            }
        }
        other => *other = odd_value(rng),
    }
}

fn random_request(rng: &mut Rng) -> Value {
    let mut r = Map::new();
    let mut put = |k: &str, rng: &mut Rng| {
        let v = match rng.below(6) {
            0 => odd_value(rng),
            1 => json!(1),
            2 => json!("jane"),
            3 => json!({"username": "inline", "groups": ["g2", "unknown"]}),
            4 => {
                json!({"client_ip": "10.0.0.1", "user": null, "geoip": {"country": "DE"}, "asn": null})
            }
            _ => json!("2026-06-01T12:00:00Z"),
        };
        r.insert(k.to_string(), v);
    };
    for k in ["user", "http", "context", "event", "now"] {
        if rng.below(2) == 0 {
            put(k, rng);
        }
    }
    Value::Object(r)
}

fn exercise(engine: &Engine, rng: &mut Rng) {
    for _ in 0..4 {
        let rv = random_request(rng);
        let Ok(req) = Request::parse(Some(&rv), 1_780_000_000_000) else {
            continue;
        };
        for target in [
            "t1",
            "t2",
            "a1",
            "e1",
            "fsb1",
            "flow:login",
            "app:app",
            "nope",
        ] {
            let _ = engine.evaluate(target, &req, rng.below(2) == 0);
            let _ = engine.filter_users(target, None, &req);
        }
        for p in ["p1", "p2", "p3", "t", "nope"] {
            let _ = engine.test_policy(p, &req, true);
        }
    }
}

#[test]
fn base_snapshot_loads() {
    let e = Engine::from_value(&base(), &Limits::default()).expect("base snapshot is valid");
    assert_eq!(e.stats().users, 2);
}

#[test]
fn mutated_snapshots_never_panic_and_load_all_or_nothing() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut loaded, mut rejected) = (0, 0);
    for _ in 0..cases() {
        let mut doc = base();
        for _ in 0..=rng.below(3) {
            mutate(&mut doc, &mut rng, 0);
        }
        match Engine::from_value(&doc, &Limits::default()) {
            Ok(engine) => {
                loaded += 1;
                exercise(&engine, &mut rng);
            }
            Err(e) => {
                rejected += 1;
                assert!(
                    matches!(
                        e.code,
                        ErrorCode::InvalidSnapshot | ErrorCode::LimitExceeded
                    ),
                    "unexpected code {:?}: {}",
                    e.code,
                    e.message
                );
                if e.code == ErrorCode::InvalidSnapshot {
                    assert!(!e.errors.is_empty(), "an invalid snapshot names its errors");
                }
            }
        }
    }
    println!(
        "mutated_snapshots: {} cases ({loaded} loaded, {rejected} rejected)",
        loaded + rejected
    );
    assert!(
        loaded > 0 && rejected > 0,
        "loaded {loaded}, rejected {rejected}"
    );
}

#[test]
fn random_requests_never_panic() {
    let engine = Engine::from_value(&base(), &Limits::default()).expect("valid");
    let mut rng = Rng(42);
    for _ in 0..cases() {
        let mut rv = random_request(&mut rng);
        mutate(&mut rv, &mut rng, 0);
        if let Ok(req) = Request::parse(Some(&rv), 0) {
            let _ = engine.evaluate("t1", &req, true);
        }
    }
    println!("random_requests: {} cases", cases());
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = Engine::from_json(&text, &Limits::default()).expect_err("too deep");
    assert_eq!(e.code, ErrorCode::LimitExceeded);

    let mut doc = json!({"users": []});
    let mut deep = json!({});
    for _ in 0..200 {
        deep = json!({ "x": deep });
    }
    doc["users"] = json!([{"pk": 1, "username": "a", "attributes": deep}]);
    let e = Engine::from_value(&doc, &Limits::default()).expect_err("too deep");
    assert_eq!(e.code, ErrorCode::LimitExceeded);
}

#[test]
fn oversized_snapshot_is_refused_before_parsing() {
    let limits = Limits {
        max_snapshot_bytes: 1024,
        ..Limits::default()
    };
    let text = format!("{{\"users\": [], \"pad\": \"{}\"}}", "x".repeat(2048));
    let e = Engine::from_json(&text, &limits).expect_err("too big");
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert!(e.message.contains("max_snapshot_bytes"));
}

#[test]
fn not_json_and_wrong_top_level_types() {
    for text in [
        "",
        "nul",
        "[1,2]",
        "42",
        "\"x\"",
        "{\"users\": {}}",
        "{\"users\": [1]}",
    ] {
        let e = Engine::from_json(text, &Limits::default()).expect_err(text);
        assert_eq!(e.code, ErrorCode::InvalidSnapshot, "{text}");
    }
}

#[test]
fn malformed_requests_name_the_bad_field() {
    let cases = [
        (json!({"now": "yesterday"}), "request.now"),
        (json!({"user": 1.5}), "request.user"),
        (json!({"user": [1]}), "request.user"),
        (json!({"http": "x"}), "request.http"),
        (json!({"http": {"client_ip": 4}}), "request.http.client_ip"),
        (json!({"context": []}), "request.context"),
        (json!({"user": {"pk": 1}}), "request.user.username"),
        (json!(7), "request"),
    ];
    for (v, path) in cases {
        let e = Request::parse(Some(&v), 0).expect_err(path);
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.errors[0].path, path, "{v}");
    }
}
