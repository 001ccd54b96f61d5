//! Native benches of the core calls that `bench/` measures through Wasm and JS, on the same
//! deterministic fixtures (formulas of `bench/fixture.mjs`, reference peers §1.6 and §8), so
//! that `scripts/bench.sh` can report the Wasm/native ratio. Run: `cargo bench --bench engine`.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    divan::main();
}

// Benches are native only (divan measures with the host's clock).
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod fixture {
    use flowgate::{Engine, Limits, Request, UserSpec};
    use serde_json::{Value, json};

    pub const USERS: usize = 1000;
    pub const GROUPS: usize = 100;
    pub const APPS: usize = 50;
    pub const REQUESTS: usize = 20_000;
    /// A fixed `now` so that no call reads the clock.
    pub const NOW: i64 = 1_767_225_600_000;

    pub fn user_groups(i: usize, groups: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(3);
        for g in [i % groups, (7 * i + 3) % groups, (13 * i + 5) % groups] {
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }

    pub fn app_groups(k: usize, groups: usize) -> [usize; 2] {
        [k % groups, (3 * k + 50) % groups]
    }

    fn uuid(ns: &str, n: usize) -> String {
        format!("{ns}-0000-4000-8000-{n:012x}")
    }
    pub fn group_pk(g: usize) -> String {
        uuid("a0000000", g)
    }
    pub fn app_pk(k: usize) -> String {
        uuid("a1000000", k)
    }
    fn binding_pk(b: usize) -> String {
        uuid("a2000000", b)
    }

    /// `n` (user index, app index) pairs from the LCG of peers §8 (seed 42, two draws per pair).
    pub fn request_stream(n: usize) -> Vec<(usize, usize)> {
        let mut s: u32 = 42;
        let mut next = move || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345) & 0x7fff_ffff;
            s as usize
        };
        (0..n).map(|_| (next() % USERS, next() % APPS)).collect()
    }

    fn users(n: usize, groups: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                json!({
                    "pk": i + 1, "username": format!("u{i}"), "name": format!("User {i}"),
                    "email": format!("u{i}@example.com"), "is_active": true,
                    "groups": user_groups(i, groups).into_iter().map(group_pk).collect::<Vec<_>>(),
                    "attributes": {"department": format!("d{}", i % 7)}
                })
            })
            .collect()
    }

    fn groups(n: usize, hierarchy: bool) -> Vec<Value> {
        (0..n)
            .map(|g| {
                let mut v =
                    json!({"pk": group_pk(g), "name": format!("g{g}"), "is_superuser": false});
                if hierarchy && g >= 100 {
                    v["parents"] = json!([group_pk(g % 100)]);
                }
                v
            })
            .collect()
    }

    fn apps(n: usize) -> Vec<Value> {
        (0..n)
            .map(|k| {
                json!({"pk": app_pk(k), "slug": format!("a{k}"), "name": format!("App {k}"),
                            "meta_launch_url": format!("https://a{k}.example.com/")})
            })
            .collect()
    }

    /// The RBAC snapshot, variant (a): each app bound to its 2 groups (mode any).
    pub fn rbac_snapshot() -> String {
        let mut bindings = Vec::new();
        for k in 0..APPS {
            for (j, g) in app_groups(k, GROUPS).into_iter().enumerate() {
                bindings.push(
                    json!({"pk": binding_pk(bindings.len()), "target": app_pk(k),
                                     "group": group_pk(g), "order": j}),
                );
            }
        }
        json!({"users": users(USERS, GROUPS), "groups": groups(GROUPS, false),
               "applications": apps(APPS), "policies": [], "policy_bindings": bindings})
        .to_string()
    }

    /// 10k users, 1k groups (two levels), 500 apps × 40 bindings (36 group + 4 user) = 20k.
    pub fn large_snapshot() -> String {
        let (nu, ng, na, per_app) = (10_000, 1000, 500, 40);
        let mut bindings = Vec::with_capacity(na * per_app);
        for k in 0..na {
            for j in 0..per_app {
                let mut b =
                    json!({"pk": binding_pk(bindings.len()), "target": app_pk(k), "order": j});
                if j < per_app - 4 {
                    b["group"] = json!(group_pk((k * 37 + j * 13) % ng));
                } else {
                    b["user"] = json!((k * 101 + j * 7919) % nu + 1);
                }
                bindings.push(b);
            }
        }
        json!({"users": users(nu, ng), "groups": groups(ng, true),
               "applications": apps(na), "policy_bindings": bindings})
        .to_string()
    }

    /// The 5-stage flow of `bench/fixture.mjs`: 3 bindings per stage, all passing for alice.
    pub fn flow_snapshot() -> String {
        let flow = uuid("a4000000", 0);
        let mut stages = Vec::new();
        let mut fsbs = Vec::new();
        let mut bindings = Vec::new();
        for s in 0..5 {
            let fsb = uuid("a6000000", s);
            stages.push(
                json!({"pk": uuid("a5000000", s), "name": format!("stage-{s}"),
                               "component": "ak-stage-dummy"}),
            );
            fsbs.push(json!({"pk": fsb, "target": flow, "stage": uuid("a5000000", s),
                             "order": s * 10, "evaluate_on_plan": true, "re_evaluate_policies": true}));
            for (j, subject) in [
                json!({"group": group_pk(0)}),
                json!({"group": group_pk(2)}),
                json!({"policy": uuid("a3000000", 0)}),
            ]
            .into_iter()
            .enumerate()
            {
                let mut b = json!({"pk": binding_pk(bindings.len()), "target": fsb, "order": j});
                if let (Some(b), Some(s)) = (b.as_object_mut(), subject.as_object()) {
                    b.extend(s.clone());
                }
                bindings.push(b);
            }
        }
        json!({
            "users": [{"pk": 1, "username": "alice", "groups": [group_pk(0)]},
                      {"pk": 2, "username": "bob", "groups": [group_pk(1)]}],
            "groups": groups(3, false),
            "policies": [{"pk": uuid("a3000000", 0), "name": "always", "type": "dummy", "result": true}],
            "flows": [{"pk": flow, "slug": "login", "name": "Login", "title": "Login",
                       "designation": "authentication"}],
            "stages": stages, "flow_stage_bindings": fsbs, "policy_bindings": bindings
        })
        .to_string()
    }

    pub fn engine(text: &str) -> Engine {
        match Engine::from_json(text, &Limits::default()) {
            Ok(e) => e,
            Err(e) => panic!("bench fixture rejected: {e:?}"),
        }
    }

    pub fn request(pk: i64) -> Request {
        Request {
            user: UserSpec::Pk(pk),
            ..Request::at(NOW)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod rbac {
    use super::fixture::*;
    use divan::{Bencher, black_box};

    /// `Engine::evaluate` over the 20,000-request stream, one request per iteration, the
    /// request built in the loop (as `WasmEngine.__benchEvaluate` does).
    #[divan::bench]
    fn evaluate(bencher: Bencher) {
        let engine = engine(&rbac_snapshot());
        let targets: Vec<String> = (0..APPS).map(app_pk).collect();
        let stream = request_stream(REQUESTS);
        // Cross-check against the reference decision before timing anything.
        for (i, &(u, a)) in stream.iter().enumerate() {
            let expected = app_groups(a, GROUPS)
                .iter()
                .any(|g| user_groups(u, GROUPS).contains(g));
            let got = engine.evaluate(&targets[a], &request(u as i64 + 1), false);
            assert_eq!(got.map(|r| r.passing).ok(), Some(expected), "request {i}");
        }
        let mut i = 0;
        bencher.bench_local(|| {
            let (u, a) = stream[i];
            i = (i + 1) % stream.len();
            let req = request(black_box(u as i64 + 1));
            black_box(engine.evaluate(black_box(&targets[a]), &req, false))
        });
    }

    /// `evaluate_many` of 1,000 requests for one target.
    #[divan::bench]
    fn evaluate_many_1000(bencher: Bencher) {
        let engine = engine(&rbac_snapshot());
        let reqs: Vec<flowgate::Request> = request_stream(1000)
            .into_iter()
            .map(|(u, _)| request(u as i64 + 1))
            .collect();
        let target = app_pk(0);
        bencher.bench_local(|| black_box(engine.evaluate_many(black_box(&target), &reqs)));
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod build {
    use super::fixture::*;
    use divan::{Bencher, black_box};

    /// `Engine::from_json` of the large snapshot (10k users, 1k groups, 20k bindings, 500 apps).
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn large_snapshot(bencher: Bencher) {
        let text = super::fixture::large_snapshot();
        bencher.bench_local(|| black_box(engine(black_box(&text))));
    }

    /// `Engine::from_json` of the RBAC snapshot (1k users).
    #[divan::bench(sample_count = 20, sample_size = 1)]
    fn rbac_snapshot(bencher: Bencher) {
        let text = super::fixture::rbac_snapshot();
        bencher.bench_local(|| black_box(engine(black_box(&text))));
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod flow {
    use super::fixture::*;
    use divan::{Bencher, black_box};
    use serde_json::{Value, json};

    /// The plan of the 5-stage flow as JSON, or None while flows are not implemented.
    fn planned(engine: &flowgate::Engine) -> Option<Value> {
        let outcome = engine.plan("login", &request(1), &json!({})).ok()?;
        let v = serde_json::to_value(outcome).ok()?;
        v.get("plan").cloned()
    }

    /// `plan` of a 5-stage flow, 3 bindings per stage (15 bindings evaluated).
    #[divan::bench]
    fn plan(bencher: Bencher) {
        let engine = engine(&flow_snapshot());
        if planned(&engine).is_none() {
            eprintln!("flow::plan: flows are not implemented in this build (timing the error)");
        }
        let req = request(1);
        let options = json!({});
        bencher.bench_local(|| black_box(engine.plan(black_box("login"), &req, &options).is_ok()));
    }

    /// `next` on a fresh plan: re-evaluates the head's 3 bindings.
    #[divan::bench]
    fn next(bencher: Bencher) {
        let engine = engine(&flow_snapshot());
        let plan = planned(&engine).unwrap_or(Value::Null);
        let req = request(1);
        bencher.bench_local(|| black_box(engine.next(black_box(&plan), &req).is_ok()));
    }
}
