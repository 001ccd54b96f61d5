//! Expression policies in the python build: authentik's own tests (policies §7.9), the
//! expression ↔ conditional parity table (§4.3) and the default blueprints' expressions
//! (flows §6.4), plus flowgate's limits.

use crate::api::Engine;
use crate::index::TargetKind;
use crate::limits::Limits;
use crate::policy::{FlowFacts, Outcome, PolicyCtx, PolicyRun};
use crate::request::{Actor, Request};
use serde_json::{Map, Value, json};
use std::cell::RefCell;

const ADMINS: &str = "0b6e0000-0000-4000-8000-000000000001";
const PARENT: &str = "0b6e0000-0000-4000-8000-000000000002";
const FLOW: &str = "f1000000-0000-4000-8000-000000000001";
const FSB: &str = "b1000000-0000-4000-8000-000000000001";

/// A snapshot with users, groups, one flow with one stage binding, and the given expression
/// policies (`[name, expression]`), each bound to the stage binding with `binding` fields.
fn engine_with(policies: &[(&str, &str)], binding: Value) -> Engine {
    let policies: Vec<Value> = policies
        .iter()
        .enumerate()
        .map(|(i, (name, expr))| {
            json!({"pk": format!("p{i}"), "name": name, "type": "expression", "expression": expr})
        })
        .collect();
    let bindings: Vec<Value> = (0..policies.len())
        .map(|i| {
            let mut b = json!({"target": FSB, "policy": format!("p{i}"), "order": i});
            if let (Value::Object(b), Value::Object(extra)) = (&mut b, &binding) {
                b.extend(extra.clone());
            }
            b
        })
        .collect();
    let snap = json!({
        "users": [
            {"pk": 1, "username": "akadmin", "name": "Admin", "email": "root@example.com",
             "groups": [ADMINS], "authenticator_types": ["totp"], "has_usable_password": false,
             "attributes": {"settings": {"locale": "de"}, "tags": ["u"]}},
            {"pk": 2, "username": "jane", "groups": [], "attributes": {"team": "a"}},
            {"pk": 3, "username": "service-admin", "groups": [PARENT]}
        ],
        "groups": [
            {"pk": ADMINS, "name": "authentik Admins", "is_superuser": true, "parents": [PARENT],
             "attributes": {"goauthentik.io/user/can-change-name": false, "tags": ["admins"]}},
            {"pk": PARENT, "name": "everyone", "attributes": {"tags": ["all"], "settings": {"theme": "dark"}}}
        ],
        "policies": policies,
        "flows": [{"pk": FLOW, "slug": "login", "designation": "authentication"}],
        "stages": [{"pk": "s1", "name": "password", "component": "ak-stage-password-form"}],
        "flow_stage_bindings": [{"pk": FSB, "target": FLOW, "stage": "s1", "order": 10}],
        "policy_bindings": bindings
    });
    Engine::from_json(&snap.to_string(), &Limits::default()).expect("snapshot loads")
}

fn engine(policies: &[(&str, &str)]) -> Engine {
    engine_with(policies, json!({}))
}

fn request(v: Value) -> Request {
    Request::parse(Some(&v), 1_780_444_800_000).expect("request parses")
}

/// Runs policy `name` as `testPolicy` does (no binding, no target).
fn run(e: &Engine, name: &str, req: Value) -> PolicyRun {
    run_in(e, name, req, None, false).0
}

/// Runs policy `name`; `plan` = Some(has_plan) evaluates it inside the flow (target: the
/// stage binding). Returns the run and the context afterwards.
fn run_in(
    e: &Engine,
    name: &str,
    req: Value,
    plan: Option<bool>,
    trace: bool,
) -> (PolicyRun, Map<String, Value>) {
    let index = e.index();
    let req = request(req);
    let actor = Actor::resolve(index, &req.user, "user").expect("user resolves");
    let context = RefCell::new(req.context.clone());
    let target = plan.map(|_| {
        (0..index.targets.len() as u32)
            .find(|&t| matches!(index.target(t).kind, TargetKind::FlowStageBinding(_)))
            .expect("a stage binding")
    });
    let ctx = PolicyCtx {
        index,
        user: &actor,
        request: &req,
        context: &context,
        target,
        flow: plan.map(|has_plan| FlowFacts { flow: 0, has_plan }),
        depth: 0,
        trace,
    };
    let pid = index.policy_by_pk_or_name(name).expect("policy exists");
    let out = ctx.run_policy(pid);
    (out, context.into_inner())
}

fn passes(e: &Engine, name: &str, req: Value) -> bool {
    match run(e, name, req) {
        Ok(o) => o.passing,
        Err(err) => panic!("{name} failed to run: {err}"),
    }
}

fn outcome(passing: bool, messages: &[&str]) -> PolicyRun {
    Ok(Outcome {
        passing,
        messages: messages.iter().map(|m| m.to_string()).collect(),
        nodes: None,
    })
}

// ---- policies §7.9: authentik's expression tests ----

#[test]
fn authentik_expression_tests() {
    let e = engine(&[
        ("test", "return 'test'"),
        ("true", "return True"),
        ("message", "ak_message(\"some message\");return False"),
        ("bare", "True"),
        ("path", "ak_message(request.http_request.path); return True"),
    ]);
    assert_eq!(run(&e, "test", json!({})), outcome(true, &[]));
    assert_eq!(run(&e, "true", json!({})), outcome(true, &[]));
    assert_eq!(
        run(&e, "message", json!({})),
        outcome(false, &["some message"])
    );
    // `True` validates; the handler returns None, which is a failure.
    assert_eq!(run(&e, "bare", json!({})), outcome(false, &[]));
    assert_eq!(
        run(&e, "path", json!({"http": {"path": "/"}})),
        outcome(true, &["/"])
    );
}

#[test]
fn a_syntax_error_rejects_the_snapshot() {
    let snap = json!({"policies": [
        {"pk": "a", "name": "ok", "type": "expression", "expression": "return True"},
        {"pk": "b", "name": "bad", "type": "expression", "expression": "x = 1\n;"}
    ]});
    let err = Engine::from_json(&snap.to_string(), &Limits::default())
        .expect_err("`;` is a syntax error");
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].path, "policies[1].expression");
    assert!(
        err.errors[0]
            .message
            .starts_with("Expression Syntax Error: "),
        "{}",
        err.errors[0].message
    );
    assert!(
        err.errors[0].message.ends_with("(line 2)"),
        "{}",
        err.errors[0].message
    );
}

#[test]
fn call_policy_chain_keeps_messages() {
    // authentik's test_call_policy: the callee's messages come back in its PolicyResult.
    let e = engine(&[
        (
            "callee",
            "ak_message(request.http_request.path); return True",
        ),
        (
            "caller",
            "ak_message(request.http_request.path)\nres = ak_call_policy('callee')\n\
             ak_message(request.http_request.path)\nfor msg in res.messages:\n    ak_message(msg)\n",
        ),
    ]);
    // request.obj is None here (no target), as in authentik's second variant.
    assert_eq!(
        run(&e, "caller", json!({"http": {"path": "/"}})),
        outcome(false, &["/", "/", "/"])
    );
}

#[test]
fn exceptions_are_execution_errors_with_str_of_the_exception() {
    let e = engine(&[
        ("div", "return 1/0"),
        ("key", "return {}['missing']"),
        ("raise", "raise ValueError('custom failure')"),
        ("name", "return undefined_thing"),
    ]);
    assert_eq!(run(&e, "div", json!({})), Err("division by zero".into()));
    assert_eq!(run(&e, "key", json!({})), Err("'missing'".into()));
    assert_eq!(run(&e, "raise", json!({})), Err("custom failure".into()));
    assert_eq!(
        run(&e, "name", json!({})),
        Err("name 'undefined_thing' is not defined".into())
    );
    // Through a binding: failure_result with the message.
    let e = engine_with(&[("div", "return 1/0")], json!({"failure_result": true}));
    let r = e
        .evaluate(FSB, &request(json!({})), true)
        .expect("evaluates");
    assert!(r.passing);
    assert_eq!(r.messages, vec!["division by zero".to_string()]);
}

#[test]
fn messages_are_kept_whether_passing_or_not() {
    let e = engine(&[
        ("pass", "ak_message('a')\nak_message(2)\nreturn 1"),
        ("fail", "ak_message('b')\nreturn []"),
    ]);
    assert_eq!(run(&e, "pass", json!({})), outcome(true, &["a", "2"]));
    assert_eq!(run(&e, "fail", json!({})), outcome(false, &["b"]));
}

// ---- policies §4.3: expression ↔ conditional parity ----

#[test]
fn parity_sso_prompt_data_auth_method_restored() {
    let e = engine(&[
        ("sso", "return ak_is_sso_flow"),
        (
            "prompt",
            "return 'username' not in context.get('prompt_data', {})",
        ),
        (
            "method",
            "return context.get(\"auth_method\") != \"app_password\"",
        ),
        (
            "restored",
            "return bool(request.context.get('is_restored', True))",
        ),
        (
            "lockdown",
            "return not request.context.get(\"lockdown_self_service\", False)",
        ),
    ]);
    assert!(passes(&e, "sso", json!({"context": {"is_sso": true}})));
    assert!(!passes(&e, "sso", json!({"context": {"is_sso": false}})));
    assert!(!passes(&e, "sso", json!({})));
    assert!(passes(&e, "prompt", json!({})));
    assert!(passes(
        &e,
        "prompt",
        json!({"context": {"prompt_data": {"email": "x"}}})
    ));
    assert!(!passes(
        &e,
        "prompt",
        json!({"context": {"prompt_data": {"username": "x"}}})
    ));
    assert!(passes(&e, "method", json!({})));
    assert!(passes(
        &e,
        "method",
        json!({"context": {"auth_method": "password"}})
    ));
    assert!(!passes(
        &e,
        "method",
        json!({"context": {"auth_method": "app_password"}})
    ));
    assert!(passes(&e, "restored", json!({})));
    assert!(passes(
        &e,
        "restored",
        json!({"context": {"is_restored": "token"}})
    ));
    assert!(!passes(
        &e,
        "restored",
        json!({"context": {"is_restored": null}})
    ));
    assert!(passes(&e, "lockdown", json!({})));
    assert!(!passes(
        &e,
        "lockdown",
        json!({"context": {"lockdown_self_service": true}})
    ));
}

#[test]
fn parity_client_ip() {
    let e = engine(&[
        ("net", "return ak_client_ip in ip_network(\"10.0.0.0/24\")"),
        ("private", "return ak_client_ip.is_private"),
        (
            "text",
            "return str(ak_client_ip) + ' ' + repr(ip_address('::1'))",
        ),
    ]);
    let ip = |a: &str| json!({"http": {"client_ip": a}});
    assert!(passes(&e, "net", ip("10.0.0.5")));
    assert!(!passes(&e, "net", ip("10.0.1.5")));
    assert!(!passes(&e, "net", ip("::1")));
    assert!(passes(&e, "private", ip("10.0.0.5")));
    assert!(!passes(&e, "private", ip("8.8.8.8")));
    // No HTTP request: authentik's evaluator has no ak_client_ip at all.
    assert_eq!(
        run(&e, "net", json!({})),
        Err("name 'ak_client_ip' is not defined".into())
    );
    let e2 = engine(&[(
        "t",
        "ak_message(str(ak_client_ip) + ' ' + repr(ip_address('::1')))\nreturn True",
    )]);
    assert_eq!(
        run(&e2, "t", ip("10.0.0.5")),
        outcome(true, &["10.0.0.5 IPv6Address('::1')"])
    );
}

#[test]
fn parity_geoip_and_asn() {
    let e = engine(&[(
        "geo",
        "return context[\"geoip\"][\"continent\"] == \"EU\" and context[\"asn\"][\"asn\"] == 6939",
    )]);
    let req = |continent: &str, asn: i64| json!({"http": {"client_ip": "1.2.3.4", "geoip": {"continent": continent}, "asn": {"asn": asn}}});
    assert!(passes(&e, "geo", req("EU", 6939)));
    assert!(!passes(&e, "geo", req("NA", 6939)));
    assert!(!passes(&e, "geo", req("EU", 1)));
    // No GeoIP data: authentik's context holds None → TypeError.
    assert!(run(&e, "geo", json!({"http": {"client_ip": "1.2.3.4"}})).is_err());
}

#[test]
fn parity_call_policy_and_anonymous() {
    let e = engine(&[
        ("inner", "return request.user.username == 'jane'"),
        ("outer", "return ak_call_policy('inner').passing"),
        ("anon", "return not request.user.is_authenticated"),
        ("missing", "return ak_call_policy('nope').passing"),
    ]);
    assert!(passes(&e, "outer", json!({"user": 2})));
    assert!(!passes(&e, "outer", json!({"user": 1})));
    assert!(passes(&e, "anon", json!({})));
    assert!(!passes(&e, "anon", json!({"user": 2})));
    assert_eq!(
        run(&e, "missing", json!({})),
        Err("Policy 'nope' not found.".into())
    );
}

#[test]
fn parity_group_authenticator_regex() {
    let e = engine(&[(
        "admin",
        "return ak_is_group_member(request.user, name=\"authentik Admins\") and \
         ak_user_has_authenticator(request.user) and \
         regex_match(request.user.username, '.*admin.*')",
    )]);
    assert!(passes(&e, "admin", json!({"user": 1})));
    assert!(!passes(&e, "admin", json!({"user": 2})));
    // member of the parent only: not a member of the child group
    assert!(!passes(&e, "admin", json!({"user": 3})));
    assert!(
        run(&e, "admin", json!({})).is_err(),
        "AnonymousUser has no all_groups"
    );
}

// ---- flows §6.4: the default blueprints' expressions ----

const PASSWORD_STAGE: &str = "flow_plan = request.context.get(\"flow_plan\")
if not flow_plan:
    return True
# If the user does not have a backend attached to it, they haven't
# been authenticated yet and we need the password stage
return not hasattr(flow_plan.context.get(\"pending_user\"), \"backend\")";

#[test]
fn default_authentication_flow_password_stage() {
    let e = engine(&[("password-stage", PASSWORD_STAGE)]);
    let pass =
        |req: Value, plan: Option<bool>| match run_in(&e, "password-stage", req, plan, false).0 {
            Ok(o) => o.passing,
            Err(err) => panic!("{err}"),
        };
    // Flow access check (no plan yet) and outside flows: True.
    assert!(pass(json!({}), None));
    assert!(pass(json!({}), Some(false)));
    // In a plan: the pending user has no backend yet → the password stage is needed.
    assert!(pass(json!({"context": {"pending_user": 2}}), Some(true)));
    assert!(pass(
        json!({"context": {"pending_user": "jane"}}),
        Some(true)
    ));
    assert!(pass(
        json!({"context": {"pending_user": {"username": "new"}}}),
        Some(true)
    ));
    // Authenticated by the identification stage's password field: skipped.
    assert!(!pass(
        json!({"context": {"pending_user": {"username": "jane", "backend": "authentik.core.auth.InbuiltBackend"}}}),
        Some(true)
    ));
}

#[test]
fn oobe_policies() {
    let e = engine(&[
        (
            "usable",
            "akadmin = ak_user_by(username=\"akadmin\")\nreturn not akadmin.has_usable_password()",
        ),
        (
            "prefill",
            "akadmin = ak_user_by(username=\"akadmin\")\ncontext[\"flow_plan\"].context[\"pending_user\"] = akadmin\nreturn True",
        ),
        (
            "set-auth",
            "from authentik.flows.models import Flow, FlowAuthenticationRequirement\n\
             Flow.objects.filter(slug=\"initial-setup\").update(\n    \
             authentication=FlowAuthenticationRequirement.REQUIRE_SUPERUSER,\n)\nreturn True",
        ),
    ]);
    assert!(passes(&e, "usable", json!({})));
    // The prefill policy writes the plan context (a User object is stored as its pk).
    let (out, context) = run_in(
        &e,
        "prefill",
        json!({"context": {"x": 1}}),
        Some(true),
        false,
    );
    assert_eq!(out, outcome(true, &[]));
    assert_eq!(Value::Object(context), json!({"x": 1, "pending_user": 1}));
    // Without a plan there is no flow_plan: KeyError.
    assert_eq!(run(&e, "prefill", json!({})), Err("'flow_plan'".into()));
    // Model imports fail clearly (→ failure_result).
    let err = run(&e, "set-auth", json!({})).expect_err("no models");
    assert!(
        err.starts_with("No module named 'authentik.flows.models'"),
        "{err}"
    );
    assert!(err.contains("not available in flowgate"), "{err}");
}

#[test]
fn plan_context_writes_are_shallow_like_authentik() {
    let e = engine(&[(
        "w",
        "context['only_request'] = 1\ncontext['prompt_data']['k'] = 'v'\n\
         context['flow_plan'].context['inline'] = {'a': (1, 2), 'u': request.user}\nreturn True",
    )]);
    let (out, context) = run_in(
        &e,
        "w",
        json!({"user": {"username": "pending"}, "context": {"prompt_data": {}}}),
        Some(true),
        false,
    );
    assert!(out.is_ok());
    assert_eq!(
        Value::Object(context),
        json!({"prompt_data": {"k": "v"}, "inline": {"a": [1, 2], "u": {
            "username": "pending", "name": "", "email": "", "is_active": true, "type": "internal",
            "groups": [], "attributes": {}, "path": "", "last_login": null, "date_joined": null,
            "password_change_date": null, "authenticator_types": [], "has_usable_password": true
        }}})
    );
    // Outside a plan nothing is written back.
    let (_, context) = run_in(
        &e,
        "w",
        json!({"context": {"prompt_data": {}}}),
        Some(false),
        false,
    );
    assert_eq!(Value::Object(context), json!({"prompt_data": {}}));
}

#[test]
fn untouched_plan_context_round_trips() {
    let e = engine(&[("pw", PASSWORD_STAGE)]);
    for ctx in [
        json!({"pending_user": {"username": "jane", "backend": "inbuilt"}, "application": "x"}),
        json!({"pending_user": "jane", "prompt_data": {"a": [1, 2.5, null]}}),
        json!({"pending_user": 2}),
    ] {
        let (out, after) = run_in(&e, "pw", json!({"context": ctx.clone()}), Some(true), false);
        assert!(out.is_ok());
        assert_eq!(Value::Object(after), ctx);
    }
}

// ---- helpers and objects ----

#[test]
fn user_objects() {
    let e = engine(&[
        (
            "fields",
            "u = request.user\nak_message(u.username)\nak_message(u.email)\nak_message(str(u.pk))\n\
             ak_message(str(u.is_superuser))\nak_message(u.attributes['settings']['locale'])\n\
             ak_message(str(sorted(g.name for g in u.all_groups())))\n\
             ak_message(str([g.name for g in u.groups.all()]))\n\
             ak_message(str(u.last_login))\nreturn True",
        ),
        ("merged", "return request.user.group_attributes()"),
        ("anon-attrs", "return request.user.attributes"),
    ]);
    assert_eq!(
        run(&e, "fields", json!({"user": 1})),
        outcome(
            true,
            &[
                "akadmin",
                "root@example.com",
                "1",
                "True",
                "de",
                "['authentik Admins', 'everyone']",
                "['authentik Admins']",
                "None"
            ]
        )
    );
    let (out, _) = run_in(&e, "merged", json!({"user": 1}), None, true);
    let nodes = out.expect("runs").nodes.unwrap_or_default();
    assert_eq!(
        nodes.last(),
        Some(&json!({"raw_result": {
            "goauthentik.io/user/can-change-name": false,
            "tags": ["admins", "all", "u"],
            "settings": {"theme": "dark", "locale": "de"}
        }}))
    );
    assert_eq!(
        run(&e, "anon-attrs", json!({})),
        Err("'AnonymousUser' object has no attribute 'attributes'".into())
    );
}

#[test]
fn user_lookups() {
    let e = engine(&[
        ("by-name", "return ak_user_by(username='jane').pk == 2"),
        (
            "by-attr",
            "return ak_user_by(attributes__team='a').username == 'jane'",
        ),
        (
            "prefix",
            "return ak_user_by(username__startswith='service').pk",
        ),
        (
            "none",
            "return ak_user_by(username='nobody') is None and ak_user_by(nosuchfield=1) is None",
        ),
        (
            "group-prefix",
            "return ak_is_group_member(request.user, name__istartswith='EVERY')",
        ),
        (
            "bad-field",
            "return ak_is_group_member(request.user, colour='red')",
        ),
        (
            "totp",
            "return ak_user_has_authenticator(request.user, 'totp') and not ak_user_has_authenticator(request.user, device_type='webauthn')",
        ),
    ]);
    assert!(passes(&e, "by-name", json!({})));
    assert!(passes(&e, "by-attr", json!({})));
    assert!(passes(&e, "prefix", json!({})));
    assert!(passes(&e, "none", json!({})));
    assert!(
        passes(&e, "group-prefix", json!({"user": 1})),
        "ancestors count"
    );
    assert!(!passes(&e, "group-prefix", json!({"user": 2})));
    assert_eq!(
        run(&e, "bad-field", json!({"user": 1})),
        Err("Cannot resolve keyword 'colour' into field.".into())
    );
    assert!(passes(&e, "totp", json!({"user": 1})));
    assert!(!passes(&e, "totp", json!({"user": 2})));
}

#[test]
fn small_helpers() {
    let e = engine(&[
        (
            "flatten",
            "return list_flatten(['a', 'b']) == 'a' and list_flatten([]) is None and list_flatten('x') == 'x'",
        ),
        (
            "replace",
            "return regex_replace('foo-bar', '-(\\\\w+)', r'_\\1') == 'foo_bar'",
        ),
        (
            "slug",
            "return slugify(' Crème Brûlée & co ') == 'creme-brulee-co'",
        ),
        ("bad-regex", "return regex_match('x', '(')"),
        ("net-strict", "return ip_network('10.0.0.1/24')"),
        (
            "net",
            "n = ip_network('10.0.0.1/24', strict=False)\nreturn (str(n), str(n.network_address), str(n.broadcast_address), n.num_addresses, ip_address('10.0.0.9') in n)",
        ),
        (
            "v6",
            "n = ip_network('2001:db8::/32')\nreturn (ip_address('2001:db8::1') in n, ip_address('2001:db9::1') in n, n.num_addresses, ip_address('2001:db8::1').exploded)",
        ),
        ("bad-ip", "return ip_address('300.1.1.1')"),
    ]);
    assert!(passes(&e, "flatten", json!({})));
    assert!(passes(&e, "replace", json!({})));
    assert!(passes(&e, "slug", json!({})));
    assert!(run(&e, "bad-regex", json!({})).is_err());
    assert_eq!(
        run(&e, "net-strict", json!({})),
        Err("10.0.0.1/24 has host bits set".into())
    );
    let raw = |name: &str| {
        let (out, _) = run_in(&e, name, json!({}), None, true);
        out.expect("runs").nodes.unwrap_or_default().pop()
    };
    assert_eq!(
        raw("net"),
        Some(json!({"raw_result": ["10.0.0.0/24", "10.0.0.0", "10.0.0.255", 256, true]}))
    );
    assert_eq!(
        raw("v6"),
        Some(
            json!({"raw_result": [true, false, 79228162514264337593543950336u128.to_string(),
            "2001:0db8:0000:0000:0000:0000:0000:0001"]})
        )
    );
    assert_eq!(
        run(&e, "bad-ip", json!({})),
        Err("'300.1.1.1' does not appear to be an IPv4 or IPv6 address".into())
    );
}

#[test]
fn server_helpers_fail_clearly() {
    let e = engine(&[
        ("requests", "return requests.get('https://example.com').ok"),
        (
            "email",
            "return ak_send_email('a@b.c', 'subject', body='x')",
        ),
        ("dns", "return resolve_dns('example.com')"),
        ("open", "return open('/etc/passwd').read()"),
        ("env", "import os\nreturn os.getenv('HOME') is None"),
        (
            "catch",
            "try:\n    requests.post('x')\nexcept Exception as exc:\n    ak_message(str(exc))\nreturn True",
        ),
    ]);
    let unavailable = |what: &str| {
        Err(format!(
            "{what} is not available in flowgate: expression policies run without network or server access"
        ))
    };
    assert_eq!(run(&e, "requests", json!({})), unavailable("requests"));
    assert_eq!(run(&e, "email", json!({})), unavailable("ak_send_email"));
    assert_eq!(run(&e, "dns", json!({})), unavailable("resolve_dns"));
    assert!(run(&e, "open", json!({})).is_err());
    assert!(passes(&e, "env", json!({})));
    assert_eq!(
        run(&e, "catch", json!({})).map(|o| o.messages),
        Ok(vec![
            "requests is not available in flowgate: expression policies run without network or server access"
                .to_string()
        ])
    );
}

#[test]
fn now_is_the_request_time() {
    let e = engine(&[(
        "now",
        "from datetime import datetime, timezone\nreturn datetime.now(timezone.utc).isoformat()",
    )]);
    let (out, _) = run_in(
        &e,
        "now",
        json!({"now": "2026-06-03T10:20:30Z"}),
        None,
        true,
    );
    assert_eq!(
        out.expect("runs").nodes.unwrap_or_default().pop(),
        Some(json!({"raw_result": "2026-06-03T10:20:30+00:00"}))
    );
}

#[test]
fn binding_timeout_bounds_the_run() {
    let e = engine_with(&[("spin", "while True:\n    pass")], json!({"timeout": 1}));
    let start = std::time::Instant::now();
    let r = e
        .evaluate(FSB, &request(json!({})), false)
        .expect("evaluates");
    assert!(!r.passing);
    assert_eq!(
        r.messages,
        vec!["expression policy timed out after 1 s".to_string()]
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn recursion_is_bounded() {
    let e = engine(&[
        ("deep", "def f(n):\n    return f(n + 1)\nreturn f(0)"),
        ("loop", "return ak_call_policy('loop').passing"),
    ]);
    assert_eq!(
        run(&e, "deep", json!({})),
        Err("maximum recursion depth exceeded".into())
    );
    // A policy calling itself: the depth limit ends it, as a failed (not passing) result.
    assert_eq!(run(&e, "loop", json!({})), outcome(false, &[]));
}

#[test]
fn unsupported_python_fails_at_run_time_not_load_time() {
    let e = engine(&[("cls", "class A(dict):\n    pass\nreturn True")]);
    let err = run(&e, "cls", json!({})).expect_err("monty has no inheritance");
    assert!(
        err.starts_with("this expression cannot run in flowgate's Python sandbox"),
        "{err}"
    );
}

#[test]
fn trace_has_logs_prints_and_the_result() {
    let e = engine(&[(
        "log",
        "ak_logger.info('checking', user=request.user.username)\nprint('hello')\nreturn 42",
    )]);
    let (out, _) = run_in(&e, "log", json!({"user": 2}), None, true);
    assert_eq!(
        out.expect("runs").nodes,
        Some(vec![
            json!({"log_level": "info", "logger": "authentik.policies.expression", "event": "checking", "attributes": {"user": "jane"}}),
            json!({"log_level": "info", "logger": "print", "event": "hello", "attributes": {}}),
            json!({"raw_result": 42}),
        ])
    );
    // Without trace nothing is collected.
    let (out, _) = run_in(&e, "log", json!({"user": 2}), None, false);
    assert_eq!(out, outcome(true, &[]));
}

#[test]
fn request_obj_is_the_bound_object() {
    let e = engine(&[(
        "obj",
        "o = request.obj\nreturn o is None or (type(o).__name__ == 'FlowStageBinding' and o.order == 10)",
    )]);
    assert!(passes(&e, "obj", json!({})));
    let (out, _) = run_in(&e, "obj", json!({}), Some(false), false);
    assert_eq!(out, outcome(true, &[]));
}

/// Deeply nested sources and values: refused (a chain of thousands never reaches the parser;
/// monty refuses trees deeper than 200) or bounded (values convert to depth 1000). Release
/// builds need about 8 MiB of stack for that (the python Wasm build links with 8 MiB, and
/// js-tests/python.test.mjs runs these in Node and workerd); debug builds need far more.
#[test]
fn hostile_sources_fail_cleanly() {
    let worker = std::thread::Builder::new().stack_size(64 << 20);
    let done = worker.spawn(hostile_sources).expect("thread starts").join();
    assert!(done.is_ok());
}

fn hostile_sources() {
    let deep = |open: &str, close: &str, n: usize| {
        format!("return {}1{}", open.repeat(n), close.repeat(n))
    };
    let sources = [
        deep("(", ")", 5000),
        deep("[", "]", 5000),
        deep("not ", "", 5000),
        deep("-", "", 5000),
        format!("return 1{}", "+1".repeat(50_000)),
        format!("return {}", "a.".repeat(50_000) + "b"),
        format!("return a{}", "[0]".repeat(50_000)),
        format!("return f{}", "()".repeat(50_000)),
        format!("return f\"{{{}}}\"", "1+".repeat(50_000) + "1"),
        (0..300).map(|i| format!("{}if True:\n", " ".repeat(i))).collect::<String>() + &" ".repeat(300) + "return 1",
        "return \"\\N{nope}\"".to_string(),
        "\u{0}\u{feff}return 1".to_string(),
        "x = []\nfor i in range(100000):\n    x = [x]\nreturn x".to_string(),
        "x = {}\nfor i in range(100000):\n    x = {'a': x}\ncontext['flow_plan'].context['deep'] = x\nreturn x".to_string(),
    ];
    for (i, src) in sources.iter().enumerate() {
        let snap = json!({
            "policies": [{"pk": "p", "name": "n", "type": "expression", "expression": src}],
            "flows": [{"pk": FLOW, "slug": "login", "designation": "authentication"}],
            "stages": [{"pk": "s1", "name": "password"}],
            "flow_stage_bindings": [{"pk": FSB, "target": FLOW, "stage": "s1", "order": 10}]
        });
        match Engine::from_json(&snap.to_string(), &Limits::default()) {
            Ok(e) => {
                // Whatever it does, it answers.
                let _ = run(&e, "n", json!({}));
                let _ = run_in(&e, "n", json!({}), Some(true), true);
            }
            Err(err) => assert_eq!(err.errors[0].path, "policies[0].expression", "case {i}"),
        }
    }
}

#[test]
fn chains_are_measured_per_statement_outside_strings_and_comments() {
    use super::longest_chain;
    assert_eq!(longest_chain("return 1 + 1"), 1);
    assert_eq!(longest_chain("x = 'a+b+c.d'  # + - * /\nreturn x"), 0);
    assert_eq!(longest_chain("return f'{a+b}'"), 1);
    assert_eq!(
        longest_chain("x = \"\"\"a.b\n+c\"\"\"\ny = ''\nreturn a.b"),
        1
    );
    assert_eq!(longest_chain("return (a +\n b +\n c)"), 3);
    assert_eq!(longest_chain("a.b; c.d.e\nf"), 2);
    assert_eq!(longest_chain(&"+1".repeat(2000)), 2000);
}
