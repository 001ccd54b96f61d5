//! The recreated default/example blueprints (flows §6.4), imported together and planned with
//! `Engine::plan` / `next` / `stageOk` as the conformance vectors describe authentik's flows.

use super::*;
use crate::Request;

const BOOTSTRAP: &str = include_str!("bootstrap.yaml");

fn all_defaults() -> (BlueprintImport, Engine) {
    let out = match import(
        &[
            BOOTSTRAP,
            DEFAULT_AUTHENTICATION,
            DEFAULT_SOURCE_ENROLLMENT,
            RECOVERY_EMAIL,
        ],
        json!({"env": {"AUTHENTIK_BOOTSTRAP_PASSWORD": "s3cret", "AUTHENTIK_BOOTSTRAP_EMAIL": ""}}),
    ) {
        Ok(o) => o,
        Err(e) => panic!("{e}: {:#?}", e.errors),
    };
    let e = engine(&out.snapshot);
    (out, e)
}

fn request(v: Value) -> Request {
    match Request::parse(Some(&v), 1_767_225_600_000) {
        Ok(r) => r,
        Err(e) => panic!("bad request {v}: {e}"),
    }
}

fn anonymous() -> Value {
    json!({"user": null, "http": {"user": null}})
}

fn plan(e: &Engine, slug: &str, req: Value, options: Value) -> Value {
    match e.plan(slug, &request(req), &options) {
        Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
        Err(err) => panic!("plan {slug}: {err}"),
    }
}

fn next(e: &Engine, plan: &Value, req: Value) -> Value {
    match e.next(plan, &request(req)) {
        Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
        Err(err) => panic!("next: {err}"),
    }
}

fn stage_ok(e: &Engine, plan: &Value) -> Value {
    match e.stage_ok(plan) {
        Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
        Err(err) => panic!("stageOk: {err}"),
    }
}

fn stage_names(outcome: &Value) -> Vec<&str> {
    outcome["stages"]
        .as_array()
        .map(|s| s.iter().map(|v| str_of(v, "name")).collect())
        .unwrap_or_default()
}

/// The flow-stage binding pks of `slug`, in order.
fn bindings_of(snap: &Value, slug: &str) -> Vec<String> {
    let flow = str_of(item(snap, "flows", "slug", slug), "pk").to_string();
    let mut list: Vec<&Value> = section(snap, "flow_stage_bindings")
        .iter()
        .filter(|b| str_of(b, "target") == flow)
        .collect();
    list.sort_by_key(|b| b["order"].as_i64());
    list.iter().map(|b| str_of(b, "pk").to_string()).collect()
}

#[test]
fn defaults_import_with_expected_objects() {
    let (out, e) = all_defaults();
    let snap = &out.snapshot;
    let s = e.stats();
    assert_eq!((s.flows, s.stages, s.users, s.groups), (3, 12, 1, 1));
    let akadmin = item(snap, "users", "username", "akadmin");
    assert_eq!(
        akadmin["email"],
        json!("root@example.com"),
        "an empty env value falls back"
    );
    assert_eq!(akadmin["has_usable_password"], json!(true));
    assert_eq!(
        item(snap, "groups", "name", "authentik Admins")["is_superuser"],
        json!(true)
    );
    let auth = item(snap, "flows", "slug", "default-authentication-flow");
    assert_eq!(str_of(auth, "title"), "Welcome to authentik!");
    let password = item(snap, "stages", "name", "default-authentication-password");
    assert_eq!(
        password["configure_flow"],
        Value::Null,
        "the password change flow was not given"
    );
    assert_eq!(str_of(password, "component"), "ak-stage-password-form");
    // The password binding carries the policy, failure_result true.
    let pw_binding = item(snap, "flow_stage_bindings", "stage", str_of(password, "pk"));
    let policy_binding = item(
        snap,
        "policy_bindings",
        "target",
        str_of(pw_binding, "pbm_uuid"),
    );
    assert_eq!(policy_binding["failure_result"], json!(true));
    // Recovery: the absent entry had nothing to remove; the identification binding has its policy.
    assert_eq!(
        bindings_of(snap, "default-recovery-flow")[2],
        "1219d06e-2c06-4c5b-a162-78e3959c6cf0"
    );
    assert_eq!(section(snap, "policy_bindings").len(), 4);
    let messages: Vec<(usize, usize, &str)> = out
        .warnings
        .iter()
        .map(|w| (w.file, w.entry, w.message.as_str()))
        .collect();
    // The token is skipped by its condition (no token given); the meta-applied password change
    // blueprint is missing; prompts have no meaning for evaluation.
    assert!(
        messages
            .iter()
            .any(|(f, i, m)| (*f, *i) == (1, 0) && m.contains("Default - Password change flow"))
    );
    assert_eq!(
        messages
            .iter()
            .filter(|(_, _, m)| m.contains("authentik_stages_prompt.prompt"))
            .count(),
        3
    );
    assert!(!messages.iter().any(|(f, _, _)| *f == 0), "{messages:?}");
}

#[test]
fn bootstrap_token_only_with_a_token() {
    let out = match import(
        &[BOOTSTRAP],
        json!({"env": {"AUTHENTIK_BOOTSTRAP_TOKEN": "t0k3n"}}),
    ) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert!(
        out.warnings
            .iter()
            .any(|w| w.entry == 2 && w.message.contains("authentik_core.token"))
    );
    assert_eq!(
        section(&out.snapshot, "users")[0]["has_usable_password"],
        json!(false)
    );
}

#[test]
fn default_authentication_flow_plans() {
    let (out, e) = all_defaults();
    let ids = bindings_of(&out.snapshot, "default-authentication-flow");
    let p = plan(&e, "default-authentication-flow", anonymous(), Value::Null);
    assert_eq!(p["ok"], json!(true), "{p}");
    assert_eq!(
        stage_names(&p),
        [
            "default-authentication-identification",
            "default-authentication-password",
            "default-authentication-mfa-validation",
            "default-authentication-login"
        ]
    );
    assert_eq!(p["plan"]["bindings"], json!(ids));
    assert_eq!(
        p["plan"]["markers"],
        json!(["reevaluate", "reevaluate", "reevaluate", "reevaluate"])
    );
    let n = next(&e, &p["plan"], anonymous());
    assert_eq!(
        str_of(&n["stage"], "name"),
        "default-authentication-identification"
    );
    let after_id = stage_ok(&e, &n["plan"]);
    assert_eq!(after_id["bindings"], json!(ids[1..]));

    // A user identified but not yet authenticated still gets the password stage.
    let mut known = after_id.clone();
    known["context"] = json!({"pending_user": "akadmin"});
    let n = next(&e, &known, anonymous());
    assert_eq!(
        str_of(&n["stage"], "name"),
        "default-authentication-password",
        "{n}"
    );

    // The identification stage's password field authenticated the user: password skipped.
    let mut authed = after_id.clone();
    authed["context"] = json!({"pending_user": {"username": "ldap-user", "backend": "authentik.sources.ldap.auth.LDAPBackend"}});
    let n = next(&e, &authed, anonymous());
    assert_eq!(
        str_of(&n["stage"], "name"),
        "default-authentication-mfa-validation",
        "{n}"
    );
    assert_eq!(n["plan"]["bindings"], json!(ids[2..]));

    // authentication: none — a logged-in browser may run it too.
    let p = plan(
        &e,
        "default-authentication-flow",
        json!({"user": "akadmin"}),
        Value::Null,
    );
    assert_eq!(p["ok"], json!(true));
}

#[test]
fn default_source_enrollment_flow_plans() {
    let (out, e) = all_defaults();
    let ids = bindings_of(&out.snapshot, "default-source-enrollment");
    let sso = |prompt: Value| json!({"context": {"is_sso": true, "prompt_data": prompt}});

    let p = plan(
        &e,
        "default-source-enrollment",
        anonymous(),
        sso(json!({"username": "newbie"})),
    );
    assert_eq!(
        stage_names(&p),
        [
            "default-source-enrollment-prompt",
            "default-source-enrollment-write",
            "default-source-enrollment-login"
        ],
        "{p}"
    );
    // The source gave a username: the prompt is dropped when reached.
    let n = next(&e, &p["plan"], anonymous());
    assert_eq!(
        str_of(&n["stage"], "name"),
        "default-source-enrollment-write",
        "{n}"
    );
    assert_eq!(n["plan"]["bindings"], json!(ids[1..]));

    let p = plan(
        &e,
        "default-source-enrollment",
        anonymous(),
        sso(json!({"email": "newbie@example.com"})),
    );
    let n = next(&e, &p["plan"], anonymous());
    assert_eq!(
        str_of(&n["stage"], "name"),
        "default-source-enrollment-prompt",
        "{n}"
    );

    // Not from a source: the flow policy denies it.
    let p = plan(
        &e,
        "default-source-enrollment",
        anonymous(),
        json!({"context": {"prompt_data": {"username": "x"}}}),
    );
    assert_eq!(p["ok"], json!(false));
    assert_eq!(p["reason"], json!("denied"), "{p}");
}

#[test]
fn recovery_with_email_flow_plans() {
    let (out, e) = all_defaults();
    let ids = bindings_of(&out.snapshot, "default-recovery-flow");
    let p = plan(&e, "default-recovery-flow", anonymous(), Value::Null);
    assert_eq!(
        stage_names(&p),
        [
            "default-recovery-identification",
            "default-recovery-email",
            "Change your password",
            "default-recovery-user-write",
            "default-recovery-user-login"
        ],
        "{p}"
    );
    assert_eq!(p["plan"]["bindings"], json!(ids));
    assert_eq!(
        p["plan"]["markers"],
        json!(["reevaluate", "reevaluate", "none", "none", "none"])
    );

    // Restored from the email link: identification is kept and re-evaluated.
    let p = plan(
        &e,
        "default-recovery-flow",
        anonymous(),
        json!({"context": {"is_restored": "token"}}),
    );
    let n = next(&e, &p["plan"], anonymous());
    assert_eq!(
        str_of(&n["stage"], "name"),
        "default-recovery-identification"
    );

    // `is_restored` present but null: the policy fails at plan time (evaluate_on_plan).
    let p = plan(
        &e,
        "default-recovery-flow",
        anonymous(),
        json!({"context": {"is_restored": null}}),
    );
    assert_eq!(p["plan"]["bindings"], json!(ids[1..]), "{p}");

    // require_unauthenticated.
    let p = plan(
        &e,
        "default-recovery-flow",
        json!({"user": "akadmin"}),
        Value::Null,
    );
    assert_eq!(p["reason"], json!("auth_required"), "{p}");
}
