//! The imported objects → a flowgate snapshot (spec §2), remembering for every snapshot item
//! the blueprint entry it came from, so that snapshot errors point back into the blueprint.

use super::importer::{Warning, uuid_from};
use super::models::{ModelKind, object, policy_verbose_name, stage_info};
use super::store::{Origin, Store, field_eq};
use super::value::{Dict, Val, dict_get, dict_remove};
use serde_json::Value;
use std::collections::HashMap;

/// Snapshot section → origin of each of its items, in order.
pub type Origins = HashMap<&'static str, Vec<Origin>>;

pub struct Emitted {
    pub snapshot: Value,
    pub origins: Origins,
    pub warnings: Vec<Warning>,
}

struct Sections {
    items: Vec<(&'static str, Vec<Value>)>,
    origins: Origins,
}

impl Sections {
    fn push(&mut self, section: &'static str, value: Value, origin: &Origin) {
        if let Some((_, list)) = self.items.iter_mut().find(|(s, _)| *s == section) {
            list.push(value);
        }
        self.origins
            .entry(section)
            .or_default()
            .push(origin.clone());
    }
}

const SECTIONS: &[&str] = &[
    "users",
    "groups",
    "policies",
    "policy_bindings",
    "flows",
    "stages",
    "flow_stage_bindings",
    "applications",
    "application_entitlements",
    "targets",
];

pub fn emit(store: &Store) -> Emitted {
    let mut out = Sections {
        items: SECTIONS.iter().map(|s| (*s, Vec::new())).collect(),
        origins: HashMap::new(),
    };
    let mut warnings = Vec::new();
    let warn = |warnings: &mut Vec<Warning>, o: &Origin, message: String| {
        warnings.push(Warning {
            file: o.file,
            entry: o.entry,
            message,
        })
    };
    let get = |fields: &super::value::Dict, k: &str| {
        dict_get(fields, k).map(Val::to_json).unwrap_or(Value::Null)
    };
    let get_or = |fields: &super::value::Dict, k: &str, d: Value| {
        dict_get(fields, k)
            .filter(|v| !v.is_none())
            .map(Val::to_json)
            .unwrap_or(d)
    };

    // Bindable objects present in the snapshot (pbm uuids), and policies kept.
    let mut bindable: Vec<String> = Vec::new();
    let mut policies: Vec<Val> = Vec::new();
    for (_, o) in store.alive() {
        match o.kind {
            ModelKind::Flow
            | ModelKind::FlowStageBinding
            | ModelKind::Application
            | ModelKind::Entitlement
            | ModelKind::Target(_) => {
                bindable.extend(o.pbm.clone());
            }
            ModelKind::Stage if has_validation_policies(o) => bindable.push(o.pk.py_str()),
            ModelKind::Policy(Some(_)) => policies.push(o.pk.clone()),
            _ => {}
        }
    }

    for (i, o) in store.alive() {
        let f = &o.fields;
        match o.kind {
            ModelKind::User => {
                let groups: Vec<Value> = store
                    .user_groups(i)
                    .into_iter()
                    .map(|g| store.objects[g].pk.to_json())
                    .collect();
                let v = object(vec![
                    ("pk", o.pk.to_json()),
                    ("username", get(f, "username")),
                    ("name", get_or(f, "name", Value::String(String::new()))),
                    ("email", get_or(f, "email", Value::String(String::new()))),
                    ("is_active", get_or(f, "is_active", Value::Bool(true))),
                    ("type", get_or(f, "type", Value::String("internal".into()))),
                    ("path", get_or(f, "path", Value::String("users".into()))),
                    ("groups", Value::Array(groups)),
                    ("attributes", get_or(f, "attributes", object(vec![]))),
                    ("has_usable_password", Value::Bool(o.usable_password)),
                ]);
                out.push("users", v, &o.origin);
            }
            ModelKind::Group => {
                let mut parents: Vec<Value> = match dict_get(f, "parents") {
                    Some(Val::List(l)) => l.iter().map(Val::to_json).collect(),
                    _ => Vec::new(),
                };
                if let Some(p) = dict_get(f, "parent").filter(|p| !p.is_none()) {
                    let p = p.to_json();
                    if !parents.contains(&p) {
                        parents.push(p);
                    }
                }
                let v = object(vec![
                    ("pk", o.pk.to_json()),
                    ("name", get(f, "name")),
                    (
                        "is_superuser",
                        get_or(f, "is_superuser", Value::Bool(false)),
                    ),
                    ("parents", Value::Array(parents)),
                    ("attributes", get_or(f, "attributes", object(vec![]))),
                ]);
                out.push("groups", v, &o.origin);
            }
            ModelKind::Policy(Some(kind)) => {
                let mut v = without(
                    f,
                    &["pk", "type", "verbose_name", "meta_model_name", "component"],
                )
                .iter()
                .fold(serde_json::Map::new(), |mut m, (k, v)| {
                    m.insert(k.clone(), v.to_json());
                    m
                });
                v.insert("pk".into(), o.pk.to_json());
                v.insert("type".into(), Value::String(kind.into()));
                v.insert(
                    "verbose_name".into(),
                    Value::String(policy_verbose_name(kind).into()),
                );
                out.push("policies", Value::Object(v), &o.origin);
            }
            ModelKind::Policy(None) => {}
            ModelKind::PolicyBinding => {
                let target = dict_get(f, "target").cloned().unwrap_or(Val::None);
                if !bindable
                    .iter()
                    .any(|b| field_eq(&Val::Str(b.clone()), &target))
                {
                    warn(
                        &mut warnings,
                        &o.origin,
                        format!(
                            "policy binding left out: its target {} is not an object flowgate evaluates",
                            target.py_repr()
                        ),
                    );
                    continue;
                }
                let mut pairs = vec![("pk", o.pk.to_json()), ("target", target.to_json())];
                let mut subject = false;
                for s in ["policy", "group", "user"] {
                    if let Some(v) = dict_get(f, s).filter(|v| v.truthy()) {
                        if s == "policy" && !policies.iter().any(|p| field_eq(p, v)) {
                            warn(
                                &mut warnings,
                                &o.origin,
                                format!(
                                    "policy binding left out: policy {} is not in the snapshot; {} is evaluated without it",
                                    v.py_repr(),
                                    target.py_repr()
                                ),
                            );
                            subject = false;
                            break;
                        }
                        pairs.push((s, v.to_json()));
                        subject = true;
                    }
                }
                if !subject {
                    continue;
                }
                for (k, d) in [
                    ("order", Value::from(0)),
                    ("negate", Value::Bool(false)),
                    ("enabled", Value::Bool(true)),
                    ("dry_run", Value::Bool(false)),
                    ("timeout", Value::from(30)),
                    ("failure_result", Value::Bool(false)),
                ] {
                    pairs.push((k, get_or(f, k, d)));
                }
                out.push("policy_bindings", object(pairs), &o.origin);
            }
            ModelKind::Flow => {
                let mut pairs = vec![
                    ("pk", o.pk.to_json()),
                    ("pbm_uuid", o.pbm.clone().map_or(Value::Null, Value::String)),
                ];
                for k in [
                    "slug",
                    "name",
                    "title",
                    "designation",
                    "authentication",
                    "denied_action",
                    "policy_engine_mode",
                    "layout",
                ] {
                    pairs.push((k, get(f, k)));
                }
                out.push("flows", object(pairs), &o.origin);
            }
            ModelKind::Stage => {
                let (component, verbose) = stage_info(&o.model);
                let mut v = without(f, &["pk", "component", "verbose_name", "meta_model_name"])
                    .iter()
                    .fold(serde_json::Map::new(), |mut m, (k, v)| {
                        m.insert(k.clone(), v.to_json());
                        m
                    });
                v.insert("pk".into(), o.pk.to_json());
                v.insert("component".into(), Value::String(component));
                v.insert("verbose_name".into(), Value::String(verbose));
                v.insert("meta_model_name".into(), Value::String(o.model.clone()));
                out.push("stages", Value::Object(v), &o.origin);
                if has_validation_policies(o) {
                    prompt_validation(&mut out, &mut warnings, o, &policies);
                }
            }
            ModelKind::FlowStageBinding => {
                let mut pairs = vec![
                    ("pk", o.pk.to_json()),
                    ("pbm_uuid", o.pbm.clone().map_or(Value::Null, Value::String)),
                ];
                for k in [
                    "target",
                    "stage",
                    "order",
                    "evaluate_on_plan",
                    "re_evaluate_policies",
                    "invalid_response_action",
                    "policy_engine_mode",
                ] {
                    pairs.push((k, get(f, k)));
                }
                out.push("flow_stage_bindings", object(pairs), &o.origin);
            }
            ModelKind::Application => {
                let mut pairs = vec![("pk", o.pk.to_json())];
                for k in [
                    "slug",
                    "name",
                    "group",
                    "meta_launch_url",
                    "open_in_new_tab",
                    "meta_description",
                    "meta_publisher",
                    "policy_engine_mode",
                ] {
                    pairs.push((k, get(f, k)));
                }
                for k in ["provider", "meta_icon", "meta_hide"] {
                    if let Some(v) = dict_get(f, k).filter(|v| !v.is_none()) {
                        pairs.push((k, v.to_json()));
                    }
                }
                out.push("applications", object(pairs), &o.origin);
            }
            ModelKind::Entitlement => {
                let v = object(vec![
                    ("pbm_uuid", o.pk.to_json()),
                    ("name", get(f, "name")),
                    ("app", get(f, "app")),
                    ("attributes", get_or(f, "attributes", object(vec![]))),
                ]);
                out.push("application_entitlements", v, &o.origin);
            }
            ModelKind::Target(kind) => {
                let mut pairs = vec![
                    ("pbm_uuid", o.pk.to_json()),
                    ("kind", Value::String(kind.into())),
                    ("name", get(f, "name")),
                    ("policy_engine_mode", get(f, "policy_engine_mode")),
                    ("model", Value::String(o.model.clone())),
                ];
                if let Some(slug) = dict_get(f, "slug").filter(|v| !v.is_none()) {
                    pairs.push(("slug", slug.to_json()));
                }
                if kind == "rac_endpoint"
                    && let Some(provider) = dict_get(f, "provider").filter(|p| !p.is_none())
                {
                    // The endpoint's application is the one using its provider.
                    let app = store.alive().find(|(_, a)| {
                        a.kind == ModelKind::Application
                            && dict_get(&a.fields, "provider")
                                .is_some_and(|p| field_eq(p, provider))
                    });
                    if let Some((_, a)) = app {
                        pairs.push(("application", a.pk.to_json()));
                    }
                }
                out.push("targets", object(pairs), &o.origin);
            }
            ModelKind::MetaApply | ModelKind::Other => {}
        }
    }
    let mut snapshot = serde_json::Map::new();
    for (section, list) in out.items {
        snapshot.insert(section.to_string(), Value::Array(list));
    }
    Emitted {
        snapshot: Value::Object(snapshot),
        origins: out.origins,
        warnings,
    }
}

fn has_validation_policies(o: &super::store::Object) -> bool {
    matches!(dict_get(&o.fields, "validation_policies"), Some(Val::List(l)) if !l.is_empty())
}

/// A prompt stage's validation policies run in a ListPolicyEngine, mode all (flows §5): in
/// the snapshot the stage becomes a `prompt_stage` target with one binding per policy.
fn prompt_validation(
    out: &mut Sections,
    warnings: &mut Vec<Warning>,
    stage: &super::store::Object,
    policies: &[Val],
) {
    let pk = stage.pk.py_str();
    let name = dict_get(&stage.fields, "name")
        .map(Val::py_str)
        .unwrap_or_default();
    let mut origin = stage.origin.clone();
    origin.identifier_keys.clear();
    out.push(
        "targets",
        object(vec![
            ("pbm_uuid", Value::String(pk.clone())),
            ("kind", Value::String("prompt_stage".into())),
            ("name", Value::String(name)),
            ("policy_engine_mode", Value::String("all".into())),
        ]),
        &origin,
    );
    if let Some(Val::List(list)) = dict_get(&stage.fields, "validation_policies") {
        for (order, policy) in list.iter().enumerate() {
            if !policies.iter().any(|p| field_eq(p, policy)) {
                warnings.push(Warning {
                    file: origin.file,
                    entry: origin.entry,
                    message: format!(
                        "validation policy {} is not in the snapshot: left out",
                        policy.py_repr()
                    ),
                });
                continue;
            }
            let binding = object(vec![
                (
                    "pk",
                    Value::String(uuid_from(&format!(
                        "prompt-validation\u{0}{pk}\u{0}{order}"
                    ))),
                ),
                ("target", Value::String(pk.clone())),
                ("policy", policy.to_json()),
                ("order", Value::from(order as i64)),
            ]);
            out.push("policy_bindings", binding, &origin);
        }
    }
}

/// Maps a snapshot error path (`policies[2].threshold`) to the blueprint entry that wrote
/// the object (`file[0].entries[4].attrs.threshold`).
pub fn blueprint_path(origins: &Origins, snapshot_path: &str) -> Option<String> {
    let (section, rest) = snapshot_path.split_once('[')?;
    let (index, tail) = rest.split_once(']')?;
    let index: usize = index.parse().ok()?;
    let origin = origins.get(section)?.get(index)?;
    let tail = tail.strip_prefix('.').unwrap_or(tail);
    if tail.is_empty() {
        return Some(origin.path.clone());
    }
    let end = tail.find(['.', '[']).unwrap_or(tail.len());
    let (field, more) = tail.split_at(end);
    // Generated prompt-validation bindings come from the stage's validation_policies.
    let field = match (section, field) {
        ("policy_bindings", "policy") if origin.identifier_keys.is_empty() => "validation_policies",
        _ => field,
    };
    Some(format!("{}{more}", origin.field_path(field)))
}

/// A copy of stored fields without the keys flowgate writes itself.
fn without(fields: &Dict, keys: &[&str]) -> Dict {
    let mut out = fields.clone();
    for k in keys {
        dict_remove(&mut out, k);
    }
    out
}
