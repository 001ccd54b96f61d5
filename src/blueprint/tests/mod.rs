//! Blueprint import tests: every tag and state, multi-file imports, errors, and small
//! recreations of authentik's default/example flow blueprints (flows §6.4) loaded into an
//! `Engine` and planned.

mod flows;

use super::{BlueprintImport, blueprints_to_snapshot};
use crate::error::{ErrorCode, FlowgateError};
use crate::{Engine, Limits};
use serde_json::{Value, json};

pub(super) const TAGS: &str = include_str!("tags.yaml");
pub(super) const DEFAULT_AUTHENTICATION: &str = include_str!("default-authentication.yaml");
pub(super) const DEFAULT_SOURCE_ENROLLMENT: &str = include_str!("default-source-enrollment.yaml");
pub(super) const RECOVERY_EMAIL: &str = include_str!("recovery-email-verification.yaml");

pub(super) fn import(texts: &[&str], options: Value) -> Result<BlueprintImport, FlowgateError> {
    let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    blueprints_to_snapshot(&texts, &options)
}

pub(super) fn ok(texts: &[&str]) -> BlueprintImport {
    match import(texts, Value::Null) {
        Ok(out) => out,
        Err(e) => panic!("import failed: {e}\n{:#?}", e.errors),
    }
}

fn fail(texts: &[&str]) -> FlowgateError {
    match import(texts, Value::Null) {
        Ok(out) => panic!("import should fail; snapshot: {:#}", out.snapshot),
        Err(e) => e,
    }
}

/// The error paths and messages, for compact assertions.
fn errors(e: &FlowgateError) -> Vec<(String, String)> {
    e.errors
        .iter()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect()
}

pub(super) fn section<'a>(snap: &'a Value, name: &str) -> &'a Vec<Value> {
    static EMPTY: Vec<Value> = Vec::new();
    snap.get(name).and_then(Value::as_array).unwrap_or(&EMPTY)
}

/// The item of `name` whose `key` equals `value`.
pub(super) fn item<'a>(snap: &'a Value, name: &str, key: &str, value: &str) -> &'a Value {
    section(snap, name)
        .iter()
        .find(|i| i.get(key).and_then(Value::as_str) == Some(value))
        .unwrap_or_else(|| panic!("no {name} with {key} = {value} in {snap:#}"))
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn engine(snapshot: &Value) -> Engine {
    match Engine::from_json(&snapshot.to_string(), &Limits::default()) {
        Ok(e) => e,
        Err(e) => panic!("snapshot does not load: {e}\n{:#?}\n{snapshot:#}", e.errors),
    }
}

fn is_uuid(s: &str) -> bool {
    super::value::norm_uuid(s).as_deref() == Some(s)
}

// ---------------------------------------------------------------------------------------
// Tags

#[test]
fn every_tag_resolves_like_authentik() {
    let out = match import(
        &[TAGS],
        json!({"context": {"bar": "baz"}, "env": {"foo": "foo-env-value", "empty": ""}}),
    ) {
        Ok(o) => o,
        Err(e) => panic!("{e}: {:#?}", e.errors),
    };
    let snap = &out.snapshot;
    let policy = item(snap, "policies", "name", "tags-policy");
    let group = item(snap, "groups", "name", "bar-test");
    let attrs = &group["attributes"];
    let pk = str_of(policy, "pk");
    assert!(is_uuid(pk));
    let expected = json!({
        "policy_pk1": format!("{pk}-suffix"),
        "policy_pk2": format!("{pk}-suffix"),
        "boolAnd": true, "boolNand": false, "boolOr": true, "boolNor": false,
        "boolXor": true, "boolXnor": false, "boolComplex": true,
        "if_true_complex": {"dictionary": {"with": {"nested_context": "bar"}}},
        "if_false_complex": ["list", "with", "items", "foo-bar"],
        "if_true_simple": true, "if_short": true, "if_false_simple": 2,
        "enumerate_mapping_to_mapping": {"prefix-key1": "other-prefix-value", "prefix-key2": "other-prefix-2"},
        "enumerate_mapping_to_sequence": ["prefixed-pair-key1-value", "prefixed-pair-key2-2"],
        "enumerate_sequence_to_sequence": ["prefixed-items-0-foo", "prefixed-items-1-bar"],
        "enumerate_sequence_to_mapping": {"index: 0": "foo", "index: 1": "bar"},
        "nested_complex_enumeration": {
            "0": {"key1-foo": "value: 0", "key2-foo": "2: 0"},
            "1": {"key1-bar": "value: 1", "key2-bar": "2: 1"}
        },
        "nested_context": "context-nested-value",
        "instance_context": "baz",
        "context_default": "fallback",
        "env_value": "foo-env-value",
        "env_null": null,
        "env_empty_default": "default",
        "env_host_never_read": null,
        "json_parse": {"foo": "bar", "n": [1, 2.5, null]},
        "at_index_sequence": "foo",
        "at_index_sequence_negative": "bar",
        "at_index_sequence_default": "non existent",
        "at_index_mapping": 2,
        "at_index_mapping_default": "non existent",
        "find_object": "tags-policy",
        "find_none": null,
        "keyof_group_is_not_resolvable_yet": "kept",
    });
    assert_eq!(attrs, &expected);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    engine(snap);
}

/// One entry per tag error; all of them are reported together with their paths.
#[test]
fn tag_errors_are_reported_at_their_path() {
    let text = r#"
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: a}
    attrs: {attributes: {x: !KeyOf nowhere}}
  - model: authentik_core.group
    identifiers: {name: b}
    attrs: {attributes: {x: !File /etc/hostname}}
  - model: authentik_core.group
    identifiers: {name: c}
    attrs: {attributes: {x: !Format ["%s %s", only-one]}}
  - model: authentik_core.group
    identifiers: {name: d}
    attrs: {attributes: {x: !Condition [MAYBE, true]}}
  - model: authentik_core.group
    identifiers: {name: e}
    attrs: {attributes: {x: !Condition [AND]}}
  - model: authentik_core.group
    identifiers: {name: f}
    attrs: {attributes: {x: !Index 0}}
  - model: authentik_core.group
    identifiers: {name: g}
    attrs: {attributes: {x: !Enumerate [[a], SEQ, !Index 1]}}
  - model: authentik_core.group
    identifiers: {name: h}
    attrs: {attributes: {x: !Enumerate [!Value 0, SEQ, x]}}
  - model: authentik_core.group
    identifiers: {name: i}
    attrs: {attributes: {x: !AtIndex [[a, b], 5]}}
  - model: authentik_core.group
    identifiers: {name: j}
    attrs: {attributes: {x: !AtIndex [{a: 1}, b]}}
  - model: authentik_core.group
    identifiers: {name: k}
    attrs: {attributes: {x: !ParseJSON '{"broken": '}}
  - model: authentik_core.group
    identifiers: {name: l}
    attrs: {attributes: {x: !Find [nomodel, [name, x]]}}
  - model: authentik_core.group
    identifiers: {name: m}
    attrs: {attributes: {x: !Enumerate [5, SEQ, x]}}
  - model: authentik_core.group
    identifiers: {name: n}
    attrs: {attributes: {x: !AtIndex [[a], x]}}
  - model: authentik_core.group
    identifiers: {name: o}
    attrs: {attributes: {x: !Enumerate [[a], LIST, x]}}
"#;
    let e = fail(&[text]);
    assert_eq!(e.code, ErrorCode::InvalidBlueprint);
    let errs = errors(&e);
    let at = |i: usize| format!("file[0].entries[{i}].attrs.attributes.x");
    let expect: Vec<(String, &str)> = vec![
        (
            at(0),
            "KeyOf: failed to find entry with `id` of `nowhere` and a model instance",
        ),
        (at(1), "!File is not supported"),
        (at(2), "not enough arguments for format string"),
        (at(3), "unknown !Condition mode 'MAYBE'"),
        (
            at(4),
            "At least one value is required after mode selection.",
        ),
        (at(5), "Index tags are only usable inside an Enumerate tag"),
        (at(6), "Index tag: invalid depth: 1. Max depth: 0"),
        (
            at(7),
            "Enumerate tag's iterable references this tag's context",
        ),
        (at(8), "Index out of range: 5"),
        (at(9), "Key does not exist: b"),
        (at(10), "!ParseJSON"),
        (
            at(11),
            "model 'nomodel' must be written as <app_label>.<model>",
        ),
        (at(12), "Enumerate's iterable must be an iterable"),
        (at(13), "Invalid index for list: x"),
        (at(14), "Enumerate output must be SEQ or MAP"),
    ];
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
    for ((path, message), (want_path, want)) in errs.iter().zip(&expect) {
        assert_eq!(path, want_path);
        assert!(
            message.starts_with(want),
            "{path}: {message:?} should start with {want:?}"
        );
    }
}

#[test]
fn tag_shapes_are_checked_when_loading() {
    let e = fail(&[r#"
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: a}
    attrs:
      attributes:
        a: !Unknown x
        b: !Find just-a-string
        c: !If [a, b]
        d: !Index zero
        e: !KeyOf [a, list]
"#]);
    let errs = errors(&e);
    let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
    let base = "file[0].entries[0].attrs.attributes";
    assert_eq!(
        paths,
        [
            format!("{base}.a"),
            format!("{base}.b"),
            format!("{base}.c"),
            format!("{base}.d"),
            format!("{base}.e")
        ]
    );
    assert!(
        errs[0]
            .1
            .contains("could not determine a constructor for the tag '!Unknown'")
    );
    assert!(errs[0].1.starts_with("line 8:"), "{}", errs[0].1);
    assert!(errs[3].1.contains("invalid literal for int()"));
}

#[test]
fn context_loops_are_bounded() {
    let e = fail(&[r#"
version: 1
context:
  a: !Context b
  b: !Context a
entries:
  - model: authentik_core.group
    identifiers: {name: !Context a}
"#]);
    assert_eq!(e.errors[0].path, "file[0].entries[0].identifiers.name");
    assert!(e.errors[0].message.contains("nest too deeply"));
}

#[test]
fn keyof_gives_the_pbm_uuid_to_policy_bindings_only() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: f}
    attrs: {name: F, title: F, designation: authentication}
  - model: authentik_stages_dummy.dummystage
    id: stage
    identifiers: {name: s}
    attrs:
      configure_flow: !KeyOf flow
  - model: authentik_flows.flowstagebinding
    id: fsb
    identifiers: {target: !KeyOf flow, stage: !KeyOf stage, order: 0}
  - model: authentik_policies_dummy.dummypolicy
    id: p
    identifiers: {name: p}
  - model: authentik_policies.policybinding
    identifiers: {policy: !KeyOf p, target: !KeyOf flow, order: 0}
  - model: authentik_policies.policybinding
    identifiers: {policy: !KeyOf p, target: !KeyOf fsb, order: 0}
  # flowgate also accepts the flow's own pk (authentik needs the pbm uuid), also to match.
  - model: authentik_policies.policybinding
    identifiers: {policy: !KeyOf p, target: !Find [authentik_flows.flow, [slug, f]], order: 1}
  - model: authentik_policies.policybinding
    identifiers: {policy: !KeyOf p, target: !Find [authentik_flows.flow, [slug, f]], order: 1}
    attrs: {negate: true}
"#]);
    let snap = &out.snapshot;
    let flow = item(snap, "flows", "slug", "f");
    let (flow_pk, flow_pbm) = (str_of(flow, "pk"), str_of(flow, "pbm_uuid"));
    assert!(is_uuid(flow_pk) && is_uuid(flow_pbm) && flow_pk != flow_pbm);
    let stage = item(snap, "stages", "name", "s");
    assert_eq!(str_of(stage, "configure_flow"), flow_pk);
    assert_eq!(str_of(stage, "component"), "ak-stage-dummy-form");
    assert_eq!(str_of(stage, "verbose_name"), "Dummy Stage");
    let fsb = &section(snap, "flow_stage_bindings")[0];
    assert_eq!(str_of(fsb, "target"), flow_pk);
    assert_ne!(str_of(fsb, "pk"), str_of(fsb, "pbm_uuid"));
    let targets: Vec<&str> = section(snap, "policy_bindings")
        .iter()
        .map(|b| str_of(b, "target"))
        .collect();
    assert_eq!(targets, [flow_pbm, str_of(fsb, "pbm_uuid"), flow_pbm]);
    assert_eq!(section(snap, "policy_bindings")[2]["negate"], json!(true));
    let e = engine(snap);
    let req = crate::Request::default();
    assert!(e.evaluate(&format!("flow:{}", "f"), &req, false).is_ok());
}

#[test]
fn keyof_is_scoped_to_its_file() {
    let a = "version: 1\nentries:\n  - model: authentik_core.group\n    id: g\n    identifiers: {name: a}\n";
    let b = "version: 1\nentries:\n  - model: authentik_core.user\n    identifiers: {username: u}\n    attrs: {groups: [!KeyOf g]}\n";
    let e = fail(&[a, b]);
    assert_eq!(e.errors[0].path, "file[1].entries[0].attrs.groups[0]");
}

// ---------------------------------------------------------------------------------------
// Entries, identifiers and states

#[test]
fn present_updates_created_keeps_must_created_fails() {
    let text = r#"
version: 1
entries:
  - model: authentik_flows.flow
    identifiers: {slug: f}
    attrs: {name: F, title: First, designation: authentication}
  - model: authentik_flows.flow
    identifiers: {slug: f}
    attrs: {title: Second}
  - model: authentik_flows.flow
    state: created
    identifiers: {slug: f}
    attrs: {title: Ignored}
  - model: authentik_flows.flow
    state: !If [true, created, present]
    identifiers: {slug: g}
    attrs: {name: G, title: G, designation: recovery}
"#;
    let out = ok(&[text]);
    let flows = section(&out.snapshot, "flows");
    assert_eq!(flows.len(), 2);
    assert_eq!(str_of(&flows[0], "title"), "Second");
    assert_eq!(str_of(&flows[0], "name"), "F");
    assert_eq!(str_of(&flows[0], "authentication"), "none");
    assert_eq!(str_of(&flows[1], "designation"), "recovery");

    let must = format!(
        "{text}  - model: authentik_flows.flow\n    state: must_created\n    identifiers: {{slug: f}}\n"
    );
    let e = fail(&[&must]);
    assert_eq!(
        errors(&e),
        [(
            "file[0].entries[4]".to_string(),
            "State is set to must_created and object exists already".to_string()
        )]
    );
    let e = fail(&[
        "version: 1\nentries:\n  - model: authentik_core.group\n    state: gone\n    identifiers: {name: x}\n",
    ]);
    assert_eq!(e.errors[0].path, "file[0].entries[0].state");
}

#[test]
fn absent_deletes_with_cascade() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: f}
    attrs: {name: F, title: F, designation: authentication}
  - model: authentik_flows.flow
    id: other
    identifiers: {slug: keep}
    attrs: {name: K, title: K, designation: authentication}
  - model: authentik_stages_dummy.dummystage
    id: stage
    identifiers: {name: s}
  - model: authentik_flows.flowstagebinding
    id: fsb
    identifiers: {target: !KeyOf flow, stage: !KeyOf stage, order: 0}
  - model: authentik_flows.flowstagebinding
    identifiers: {target: !KeyOf other, stage: !KeyOf stage, order: 0}
  - model: authentik_policies_dummy.dummypolicy
    id: p
    identifiers: {name: p}
  - model: authentik_policies.policybinding
    identifiers: {policy: !KeyOf p, target: !KeyOf fsb, order: 0}
  - model: authentik_policies.policybinding
    identifiers: {policy: !KeyOf p, target: !KeyOf other, order: 0}
  - model: authentik_core.group
    id: parent
    identifiers: {name: parent}
  - model: authentik_core.group
    identifiers: {name: child}
    attrs: {parent: !KeyOf parent}
  # Deleting the flow removes its stage binding and that binding's policy binding.
  - model: authentik_flows.flow
    state: absent
    identifiers: {slug: f}
  - model: authentik_core.group
    state: absent
    identifiers: {name: parent}
  # Nothing to delete: no error.
  - model: authentik_core.group
    state: absent
    identifiers: {name: never-created}
  # An absent entry that cannot be resolved is skipped, as authentik does.
  - model: authentik_core.group
    state: absent
    identifiers: {name: !KeyOf unknown-id}
"#]);
    let snap = &out.snapshot;
    assert_eq!(section(snap, "flows").len(), 1);
    assert_eq!(section(snap, "flow_stage_bindings").len(), 1);
    assert_eq!(section(snap, "policy_bindings").len(), 1);
    assert_eq!(section(snap, "stages").len(), 1);
    let groups = section(snap, "groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["parents"], json!([]));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.entry == 13 && w.message.contains("state absent, entry skipped"))
    );
    engine(snap);
}

#[test]
fn conditions_skip_entries() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_core.group
    conditions: [false]
    identifiers: {name: a}
  - model: authentik_core.group
    conditions: [true, false]
    identifiers: {name: b}
  - model: authentik_core.group
    conditions: [!Condition [NOR, !Find [authentik_core.group, [name, c]]]]
    identifiers: {name: c}
  - model: authentik_core.group
    conditions: [!Condition [NOR, !Find [authentik_core.group, [name, c]]]]
    identifiers: {name: d}
  - model: authentik_core.group
    conditions: []
    identifiers: {name: e}
"#]);
    let names: Vec<&str> = section(&out.snapshot, "groups")
        .iter()
        .map(|g| str_of(g, "name"))
        .collect();
    assert_eq!(names, ["c", "e"]);
}

/// authentik's test_validated_import_dict_identifiers: dict identifiers match by containment
/// and the update replaces `attributes` with attrs deep-merged with the identifiers.
#[test]
fn dict_identifiers_match_by_containment() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: test1}
    attrs: {attributes: {key: [value], other_key: [a_value, other_value]}}
  - model: authentik_core.group
    identifiers: {name: test2}
    attrs: {attributes: {key: [value], other_key: [diff_value, other_diff_value]}}
  - model: authentik_core.group
    identifiers:
      attributes: {other_key: [other_value]}
    attrs:
      name: test999
      attributes: {key: [updated_value]}
"#]);
    let groups = section(&out.snapshot, "groups");
    assert_eq!(groups.len(), 2);
    assert_eq!(str_of(&groups[0], "name"), "test999");
    assert_eq!(
        groups[0]["attributes"],
        json!({"key": ["updated_value"], "other_key": ["other_value"]})
    );
    assert_eq!(str_of(&groups[1], "name"), "test2");
}

#[test]
fn pk_identifiers_and_the_pk_map() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: admins}
  # Matches the existing group by name: its pk stays, and the pk given here is remapped.
  - model: authentik_core.group
    identifiers: {pk: 0B6E0000-0000-4000-8000-000000000001, name: admins}
    attrs: {is_superuser: true}
  - model: authentik_core.user
    identifiers: {username: akadmin}
    attrs: {groups: [0B6E0000-0000-4000-8000-000000000001], password: secret}
  - model: authentik_core.user
    identifiers: {pk: 7, username: other}
  - model: authentik_core.user
    identifiers: {username: third}
  - model: authentik_core.group
    identifiers: {pk: 0b6e0000-0000-4000-8000-000000000002}
    attrs: {name: fixed, users: [7]}
"#]);
    let snap = &out.snapshot;
    let admins = item(snap, "groups", "name", "admins");
    assert_ne!(str_of(admins, "pk"), "0b6e0000-0000-4000-8000-000000000001");
    assert_eq!(admins["is_superuser"], json!(true));
    let akadmin = item(snap, "users", "username", "akadmin");
    assert_eq!(akadmin["pk"], json!(1));
    assert_eq!(akadmin["groups"], json!([str_of(admins, "pk")]));
    assert_eq!(akadmin["has_usable_password"], json!(true));
    assert!(akadmin.get("password").is_none());
    let other = item(snap, "users", "username", "other");
    assert_eq!(other["pk"], json!(7));
    assert_eq!(
        other["groups"],
        json!(["0b6e0000-0000-4000-8000-000000000002"])
    );
    assert_eq!(other["has_usable_password"], json!(false));
    assert_eq!(item(snap, "users", "username", "third")["pk"], json!(8));
    let e = engine(snap);
    assert_eq!(e.stats().users, 3);
}

#[test]
fn generated_pks_are_deterministic() {
    let a = ok(&[DEFAULT_AUTHENTICATION, RECOVERY_EMAIL]);
    let b = ok(&[DEFAULT_AUTHENTICATION, RECOVERY_EMAIL]);
    assert_eq!(a.snapshot, b.snapshot);
    for s in [
        "flows",
        "stages",
        "flow_stage_bindings",
        "policies",
        "policy_bindings",
    ] {
        for i in section(&a.snapshot, s) {
            assert!(is_uuid(str_of(i, "pk")), "{s}: {i}");
        }
    }
    // The fixed pk is kept.
    assert!(
        section(&a.snapshot, "flow_stage_bindings")
            .iter()
            .any(|b| str_of(b, "pk") == "1219d06e-2c06-4c5b-a162-78e3959c6cf0")
    );
}

#[test]
fn json_blueprints_and_sectioned_entries() {
    let text = r#"{"version": 1, "entries": {"groups": [
        {"model": "authentik_core.group", "identifiers": {"name": "g"}, "attrs": {"is_superuser": "true"}}
      ], "users": [
        {"model": "authentik_core.user", "identifiers": {"username": "u"}, "attrs": {"groups": [1]}}
      ]}}"#;
    let e = fail(&[text]);
    assert_eq!(
        errors(&e),
        [(
            "file[0].entries.users[0].attrs.groups".to_string(),
            "Invalid pk \"1\" - object does not exist.".to_string()
        )]
    );
    let out = ok(&[&text.replace(r#""groups": [1]"#, r#""groups": []"#)]);
    assert_eq!(
        item(&out.snapshot, "groups", "name", "g")["is_superuser"],
        json!(true)
    );
}

// ---------------------------------------------------------------------------------------
// Models

#[test]
fn models_map_to_snapshot_sections() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_core.group
    id: staff
    identifiers: {name: staff}
  - model: authentik_core.user
    id: alice
    identifiers: {username: alice}
    attrs: {name: Alice, email: alice@example.com, type: external, attributes: {team: blue}}
  - model: authentik_providers_oauth2.oauth2provider
    id: provider
    identifiers: {name: grafana}
    attrs: {client_type: confidential}
  - model: authentik_core.application
    id: app
    identifiers: {slug: grafana}
    attrs: {name: Grafana, provider: !KeyOf provider, meta_launch_url: "https://grafana.example.com"}
  - model: authentik_core.applicationentitlement
    id: ent
    identifiers: {name: grafana-admin, app: !KeyOf app}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf ent, group: !KeyOf staff, order: 0}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf app, user: !KeyOf alice, order: 0}
  - model: authentik_sources_oauth.oauthsource
    id: source
    identifiers: {slug: github}
    attrs: {name: GitHub, provider_type: github}
  - model: authentik_policies_expiry.passwordexpirypolicy
    id: expiry
    identifiers: {name: expiry}
    attrs: {days: 30, deny_only: false}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf source, policy: !KeyOf expiry, order: 0, negate: true}
  - model: authentik_events.notificationrule
    identifiers: {name: rule}
    attrs: {severity: alert}
  - model: authentik_brands.brand
    identifiers: {domain: example.com}
    attrs: {flow_authentication: null}
  - model: authentik_stages_prompt.prompt
    identifiers: {name: field}
    attrs: {field_key: username, type: username}
"#]);
    let snap = &out.snapshot;
    let alice = item(snap, "users", "username", "alice");
    assert_eq!(alice["type"], json!("external"));
    assert_eq!(alice["attributes"], json!({"team": "blue"}));
    let app = item(snap, "applications", "slug", "grafana");
    assert!(is_uuid(str_of(app, "provider")));
    let ent = item(snap, "application_entitlements", "name", "grafana-admin");
    assert_eq!(str_of(ent, "app"), str_of(app, "pk"));
    let source = item(snap, "targets", "kind", "source");
    assert_eq!(str_of(source, "slug"), "github");
    assert_eq!(
        str_of(item(snap, "targets", "kind", "notification_rule"), "name"),
        "rule"
    );
    let policy = item(snap, "policies", "name", "expiry");
    assert_eq!(policy["type"], json!("password_expiry"));
    assert_eq!(policy["verbose_name"], json!("Password Expiry Policy"));
    assert_eq!(policy["days"], json!(30));
    assert_eq!(section(snap, "policy_bindings").len(), 3);
    // Skipped models are warnings, never errors.
    let skipped: Vec<usize> = out
        .warnings
        .iter()
        .filter(|w| w.message.contains("no meaning for flowgate"))
        .map(|w| w.entry)
        .collect();
    assert_eq!(skipped, [2, 11, 12]);
    let e = engine(snap);
    let s = e.stats();
    assert_eq!(
        (s.users, s.groups, s.applications, s.policies, s.bindings),
        (1, 1, 1, 1, 3)
    );
    let alice_req = crate::Request::parse(Some(&json!({"user": "alice"})), 0).unwrap_or_default();
    assert!(
        e.evaluate("app:grafana", &alice_req, false)
            .is_ok_and(|r| r.passing)
    );
}

#[test]
fn unknown_policy_types_are_left_out_with_their_bindings() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: f}
    attrs: {name: F, title: F, designation: authentication}
  - model: authentik_policies_hibp.haveibeenpwendpolicy
    id: hibp
    identifiers: {name: hibp}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf flow, policy: !KeyOf hibp, order: 0}
"#]);
    assert!(section(&out.snapshot, "policies").is_empty());
    assert!(section(&out.snapshot, "policy_bindings").is_empty());
    let entries: Vec<usize> = out.warnings.iter().map(|w| w.entry).collect();
    assert_eq!(entries, [1, 2], "{:?}", out.warnings);
    assert!(out.warnings[1].message.contains("evaluated without it"));
    engine(&out.snapshot);
}

#[test]
fn prompt_validation_policies_become_a_prompt_stage_target() {
    let out = ok(&[r#"
version: 1
entries:
  - model: authentik_policies_dummy.dummypolicy
    id: always
    identifiers: {name: always}
    attrs: {result: true}
  - model: authentik_policies_dummy.dummypolicy
    id: never
    identifiers: {name: never}
    attrs: {result: false}
  - model: authentik_stages_prompt.promptstage
    identifiers: {name: prompt}
    attrs: {validation_policies: [!KeyOf always, !KeyOf never]}
"#]);
    let snap = &out.snapshot;
    let stage = item(snap, "stages", "name", "prompt");
    let target = item(snap, "targets", "kind", "prompt_stage");
    assert_eq!(str_of(target, "pbm_uuid"), str_of(stage, "pk"));
    assert_eq!(str_of(target, "policy_engine_mode"), "all");
    assert_eq!(section(snap, "policy_bindings").len(), 2);
    let e = engine(snap);
    let r = e.evaluate(str_of(stage, "pk"), &crate::Request::default(), false);
    assert!(r.is_ok_and(|r| !r.passing), "mode all: one policy fails");
}

// ---------------------------------------------------------------------------------------
// Several files, meta-apply

#[test]
fn find_refers_to_objects_of_earlier_files() {
    let people = r#"
version: 1
metadata: {name: people}
entries:
  - model: authentik_core.group
    identifiers: {name: engineers}
  - model: authentik_core.user
    identifiers: {username: bob}
    attrs:
      groups: [!Find [authentik_core.group, [name, engineers]]]
"#;
    let apps = r#"
version: 1
entries:
  - model: authentik_core.application
    id: app
    identifiers: {slug: wiki}
    attrs: {name: Wiki}
  - model: authentik_policies.policybinding
    identifiers:
      target: !KeyOf app
      group: !Find [authentik_core.group, [name, engineers]]
      order: 0
  - model: authentik_core.user
    identifiers: {username: bob}
    attrs:
      name: Bob (from another file)
      groups: [!FindObject [authentik_core.group, [name, engineers]]]
  # A `!FindObject` result in identifiers stands for its pk.
  - model: authentik_core.group
    identifiers: {pk: !FindObject [authentik_core.group, [name__iexact, ENGINEERS]]}
    attrs: {is_superuser: true}
"#;
    let out = ok(&[people, apps]);
    let snap = &out.snapshot;
    let group = item(snap, "groups", "name", "engineers");
    assert_eq!(section(snap, "groups").len(), 1);
    assert_eq!(group["is_superuser"], json!(true));
    assert_eq!(
        section(snap, "users")[0]["groups"],
        json!([str_of(group, "pk")])
    );
    let binding = &section(snap, "policy_bindings")[0];
    assert_eq!(str_of(binding, "group"), str_of(group, "pk"));
    assert_eq!(
        section(snap, "users").len(),
        1,
        "the second file updates bob"
    );
    assert_eq!(
        str_of(&section(snap, "users")[0], "name"),
        "Bob (from another file)"
    );
    let e = engine(snap);
    let bob = crate::Request::parse(Some(&json!({"user": "bob"})), 0).unwrap_or_default();
    assert!(e.evaluate("app:wiki", &bob, false).is_ok_and(|r| r.passing));

    // In the other order the group does not exist yet: !Find gives None.
    let e = fail(&[apps, people]);
    assert_eq!(e.errors[0].path, "file[0].entries[1]");
    assert_eq!(
        e.errors[0].message,
        "One of 'group', 'policy', 'user' must be set."
    );
}

#[test]
fn meta_apply_runs_the_named_blueprint_first() {
    let base = r#"
version: 1
metadata: {name: Base}
entries:
  - model: authentik_core.group
    identifiers: {name: base-group}
"#;
    let main = r#"
version: 1
entries:
  - model: authentik_blueprints.metaapplyblueprint
    attrs:
      identifiers: {name: Base}
      required: true
  - model: authentik_core.user
    identifiers: {username: u}
    attrs:
      groups: [!Find [authentik_core.group, [name, base-group]]]
  - model: authentik_blueprints.metaapplyblueprint
    attrs:
      identifiers: {name: Optional}
      required: false
"#;
    let out = ok(&[main, base]);
    let user = &section(&out.snapshot, "users")[0];
    assert_eq!(user["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(section(&out.snapshot, "groups").len(), 1);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.entry == 2 && w.message.contains("Optional"))
    );
    let e = fail(&[
        &main.replace("name: Optional}\n      required: false", "name: Missing}"),
        base,
    ]);
    assert_eq!(
        e.errors[0].path,
        "file[0].entries[2].attrs.identifiers.name"
    );
}

// ---------------------------------------------------------------------------------------
// Bad input: everything at once

#[test]
fn syntax_and_entry_errors_are_reported_together() {
    let broken = "version: 1\nentries:\n  - model: authentik_core.group\n    identifiers: {name: [unclosed\n";
    let invalid = r#"
version: 1
entries:
  - model: authentik_flows.flow
    id: flow
    identifiers: {slug: "bad slug"}
    attrs: {name: F, designation: sometimes}
  - model: authentik_flows.flowstagebinding
    identifiers: {target: !KeyOf flow, stage: 5e000000-0000-4000-8000-00000000dead, order: x}
  - model: authentik_core.group
  - model: django.contrib
    identifiers: {name: x}
  - model: authentik_flows.stage
    identifiers: {name: x}
  - just a string
  - model: authentik_policies.policybinding
    identifiers: {order: 0, target: nothing}
  - model: authentik_core.user
    identifiers: {username: x}
    attrs: {groups: notalist, is_active: perhaps}
"#;
    let e = fail(&[broken, invalid, "version: 2\nentries: []\n"]);
    assert_eq!(e.code, ErrorCode::InvalidBlueprint);
    let errs = errors(&e);
    let got: Vec<(&str, &str)> = errs.iter().map(|(p, m)| (p.as_str(), m.as_str())).collect();
    let e1 = "file[1].entries";
    let expected: Vec<(String, &str)> = vec![
        ("file[0]".into(), "line 5 column 1"),
        (format!("{e1}[0].identifiers.slug"), "Enter a valid “slug”"),
        (format!("{e1}[0].attrs.title"), "This field is required."),
        (
            format!("{e1}[0].attrs.designation"),
            "\"sometimes\" is not a valid choice.",
        ),
        (
            format!("{e1}[1].identifiers.target"),
            "KeyOf: failed to find entry with `id` of `flow`",
        ),
        (format!("{e1}[2].identifiers"), "No or invalid identifiers"),
        (
            format!("{e1}[3].model"),
            "App or model 'django.contrib' does not exist",
        ),
        (
            format!("{e1}[4].model"),
            "Model authentik_flows.stage not allowed",
        ),
        (format!("{e1}[5]"), "an entry must be a mapping"),
        (
            format!("{e1}[6].identifiers.target"),
            "Invalid pk \"nothing\" - object does not exist.",
        ),
        (
            format!("{e1}[7].attrs.is_active"),
            "Must be a valid boolean.",
        ),
        (format!("{e1}[7].attrs.groups"), "Expected a list of items"),
        ("file[2].version".into(), "Invalid blueprint version"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((path, message), (want_path, want)) in got.iter().zip(&expected) {
        assert_eq!(path, want_path, "{got:#?}");
        assert!(
            message.contains(want),
            "{path}: {message:?} should contain {want:?}"
        );
    }
    // The summary message names the first problems.
    assert!(
        e.message
            .starts_with("invalid blueprint: 13 error(s); file[0]: ")
    );
}

#[test]
fn snapshot_problems_point_at_the_entry() {
    // The dummy policy's own compile step rejects `result`; the path is the blueprint's.
    let e = fail(&[r#"
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: g}
  - model: authentik_policies_dummy.dummypolicy
    identifiers: {name: p}
    attrs: {result: maybe}
"#]);
    assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
    assert_eq!(e.errors[0].path, "file[0].entries[1].attrs.result");
}

#[test]
fn duplicates_and_binding_rules() {
    let e = fail(&[r#"
version: 1
entries:
  - model: authentik_flows.flow
    id: flow
    identifiers: {pk: f1000000-0000-4000-8000-000000000001}
    attrs: {slug: same, name: F, title: F, designation: authentication}
  - model: authentik_flows.flow
    identifiers: {pk: f1000000-0000-4000-8000-000000000002}
    attrs: {slug: same, name: F, title: F, designation: authentication}
  - model: authentik_core.group
    id: g
    identifiers: {name: g}
  - model: authentik_policies_dummy.dummypolicy
    id: p
    identifiers: {name: p}
  - model: authentik_policies.policybinding
    identifiers: {target: !KeyOf flow, order: 0, group: !KeyOf g, policy: !KeyOf p}
  - model: authentik_flows.flowstagebinding
    identifiers: {target: !KeyOf flow, stage: x, order: 0}
    attrs: {evaluate_on_plan: false, re_evaluate_policies: false}
  - model: authentik_core.group
    identifiers: {pk: not-a-uuid}
"#]);
    let errs = errors(&e);
    let got: Vec<(&str, &str)> = errs.iter().map(|(p, m)| (p.as_str(), m.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                "file[0].entries[1].attrs.slug",
                "flow with this slug already exists."
            ),
            (
                "file[0].entries[4]",
                "Only one of 'group', 'policy', 'user' can be set."
            ),
            (
                "file[0].entries[5].identifiers.stage",
                "Invalid pk \"x\" - object does not exist."
            ),
            (
                "file[0].entries[6].identifiers.pk",
                "“not-a-uuid” is not a valid UUID."
            ),
        ]
    );
}

#[test]
fn options_are_checked() {
    let e = import(&[TAGS], json!({"env": {"foo": 1}})).err();
    assert_eq!(
        e.map(|e| (e.code, e.errors[0].path.clone())),
        Some((ErrorCode::InvalidRequest, "options.env.foo".to_string()))
    );
    let e = import(&[TAGS], json!("nope")).err();
    assert_eq!(e.map(|e| e.code), Some(ErrorCode::InvalidRequest));
    let e = import(&["version: 1\nentries: [\n"], Value::Null).err();
    assert_eq!(e.map(|e| e.code), Some(ErrorCode::InvalidBlueprint));
}

// ---------------------------------------------------------------------------------------
// Robustness: no input may panic, and expansion is bounded.

/// xorshift: deterministic pseudo-random mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_blueprints_never_panic() {
    const SPICE: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        "!",
        "!KeyOf ",
        "!Enumerate [",
        "!Index 3",
        "&a ",
        "*a",
        ":",
        "- ",
        "'",
        "\"",
        "\n",
        "\n  ",
        "%",
        "<<: ",
        "!!int ",
        "~",
        "0x",
        "\t",
        "é",
        "---\n",
    ];
    let fixtures = [
        TAGS,
        DEFAULT_AUTHENTICATION,
        DEFAULT_SOURCE_ENROLLMENT,
        RECOVERY_EMAIL,
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let options = json!({"context": {"foo": [1, {"a": null}]}, "env": {"foo": "x"}});
    for fixture in fixtures {
        let chars: Vec<char> = fixture.chars().collect();
        for round in 0..150 {
            let mut text: Vec<char> = chars.clone();
            for _ in 0..(1 + round % 4) {
                let at = rng.below(text.len());
                match rng.below(3) {
                    0 => text.truncate(at),
                    1 => {
                        let s = SPICE[rng.below(SPICE.len())];
                        text.splice(at..at, s.chars());
                    }
                    _ => {
                        let end = (at + rng.below(20)).min(text.len());
                        text.drain(at..end);
                    }
                }
            }
            let text: String = text.into_iter().collect();
            // Any outcome but a panic is fine; a successful import must load.
            if let Ok(out) = import(&[&text, fixture], options.clone()) {
                let _ = Engine::from_json(&out.snapshot.to_string(), &Limits::default());
            }
        }
    }
}

#[test]
fn expansion_is_bounded() {
    let text = r#"
version: 1
entries:
  - model: authentik_core.group
    identifiers: {name: big}
    attrs:
      attributes:
        x: !Enumerate [!Context big, SEQ, !Enumerate [!Context big, SEQ, !Enumerate [!Context big, SEQ, !Value 0]]]
"#;
    let big: Vec<u32> = (0..500).collect();
    let e = import(&[text], json!({"context": {"big": big}})).err();
    assert!(
        e.is_some_and(|e| e.errors[0].message.contains("too many values")),
        "expansion must stop"
    );
    let mut bomb =
        String::from("version: 1\nentries: []\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let e = import(&[&bomb], Value::Null).err();
    assert!(e.is_some_and(|e| {
        e.errors[0]
            .message
            .contains("nodes after expanding aliases")
    }));
}

#[test]
fn deep_options_context_is_refused() {
    let mut deep = json!("x");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let e = import(&[TAGS], json!({"context": {"deep": deep}})).err();
    assert_eq!(e.map(|e| e.code), Some(ErrorCode::InvalidRequest));
}
