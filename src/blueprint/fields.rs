//! Serializer-style validation of an entry's data for the models flowgate maps: required
//! fields, types (coerced as Django REST framework does), choices, references to objects
//! imported so far and uniqueness. Messages follow DRF/authentik where they exist.

use super::models::ModelKind;
use super::store::{Store, field_eq};
use super::value::{Dict, Val, dict_get, dict_set, norm_uuid};
use crate::snapshot::{
    AUTHENTICATION, DENIED_ACTIONS, DESIGNATIONS, INVALID_RESPONSE_ACTIONS, MODES, USER_TYPES,
};

const LAYOUTS: &[&str] = &[
    "stacked",
    "content_left",
    "content_right",
    "sidebar_left",
    "sidebar_right",
    "sidebar_left_frame_background",
    "sidebar_right_frame_background",
];

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Slug,
    Bool,
    Int,
    Choice(&'static [&'static str]),
    Dict,
    /// A reference to one object, by pk (or pbm uuid for binding targets).
    Ref(RefTo),
    /// A list of references (many-to-many).
    Refs(RefTo),
}

#[derive(Clone, Copy, PartialEq)]
enum RefTo {
    Flow,
    Stage,
    Policy,
    Group,
    User,
    Application,
    /// Any PolicyBindingModel (a policy binding's target).
    Bindable,
}

/// (field, type, required on create, nullable)
type Spec = (&'static str, Ty, bool, bool);

fn specs(kind: ModelKind) -> &'static [Spec] {
    match kind {
        ModelKind::Flow => &[
            ("name", Ty::Str, true, false),
            ("slug", Ty::Slug, true, false),
            ("title", Ty::Str, true, false),
            ("designation", Ty::Choice(DESIGNATIONS), true, false),
            ("authentication", Ty::Choice(AUTHENTICATION), false, false),
            ("denied_action", Ty::Choice(DENIED_ACTIONS), false, false),
            ("layout", Ty::Choice(LAYOUTS), false, false),
            ("policy_engine_mode", Ty::Choice(MODES), false, false),
            ("compatibility_mode", Ty::Bool, false, false),
        ],
        ModelKind::FlowStageBinding => &[
            ("target", Ty::Ref(RefTo::Flow), true, false),
            ("stage", Ty::Ref(RefTo::Stage), true, false),
            ("order", Ty::Int, true, false),
            ("evaluate_on_plan", Ty::Bool, false, false),
            ("re_evaluate_policies", Ty::Bool, false, false),
            (
                "invalid_response_action",
                Ty::Choice(INVALID_RESPONSE_ACTIONS),
                false,
                false,
            ),
            ("policy_engine_mode", Ty::Choice(MODES), false, false),
        ],
        ModelKind::Stage => &[
            ("name", Ty::Str, true, false),
            ("validation_policies", Ty::Refs(RefTo::Policy), false, false),
        ],
        ModelKind::Policy(_) => &[
            ("name", Ty::Str, true, false),
            ("execution_logging", Ty::Bool, false, false),
        ],
        ModelKind::PolicyBinding => &[
            ("target", Ty::Ref(RefTo::Bindable), true, false),
            ("policy", Ty::Ref(RefTo::Policy), false, true),
            ("group", Ty::Ref(RefTo::Group), false, true),
            ("user", Ty::Ref(RefTo::User), false, true),
            ("order", Ty::Int, true, false),
            ("negate", Ty::Bool, false, false),
            ("enabled", Ty::Bool, false, false),
            ("dry_run", Ty::Bool, false, false),
            ("timeout", Ty::Int, false, false),
            ("failure_result", Ty::Bool, false, false),
        ],
        ModelKind::Group => &[
            ("name", Ty::Str, true, false),
            ("is_superuser", Ty::Bool, false, false),
            ("parent", Ty::Ref(RefTo::Group), false, true),
            ("parents", Ty::Refs(RefTo::Group), false, false),
            ("users", Ty::Refs(RefTo::User), false, false),
            ("attributes", Ty::Dict, false, false),
        ],
        ModelKind::User => &[
            ("username", Ty::Str, true, false),
            ("name", Ty::Str, false, false),
            ("email", Ty::Str, false, false),
            ("is_active", Ty::Bool, false, false),
            ("type", Ty::Choice(USER_TYPES), false, false),
            ("path", Ty::Str, false, false),
            ("groups", Ty::Refs(RefTo::Group), false, false),
            ("attributes", Ty::Dict, false, false),
        ],
        ModelKind::Application => &[
            ("name", Ty::Str, true, false),
            ("slug", Ty::Slug, true, false),
            ("group", Ty::Str, false, false),
            ("meta_launch_url", Ty::Str, false, false),
            ("meta_description", Ty::Str, false, false),
            ("meta_publisher", Ty::Str, false, false),
            ("open_in_new_tab", Ty::Bool, false, false),
            ("meta_hide", Ty::Bool, false, false),
            ("policy_engine_mode", Ty::Choice(MODES), false, false),
        ],
        ModelKind::Entitlement => &[
            ("name", Ty::Str, true, false),
            ("app", Ty::Ref(RefTo::Application), true, false),
            ("attributes", Ty::Dict, false, false),
        ],
        ModelKind::Target(_) => &[
            ("name", Ty::Str, true, false),
            ("policy_engine_mode", Ty::Choice(MODES), false, false),
        ],
        ModelKind::MetaApply | ModelKind::Other => &[],
    }
}

/// Checks and coerces `data` in place. `existing`: the object being updated (partial update:
/// required fields may be missing). Returns `(field, message)`; field "" = the whole entry.
pub fn check(
    kind: ModelKind,
    model: &str,
    data: &mut Dict,
    existing: Option<usize>,
    store: &Store,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let is_new = existing.is_none();
    for &(field, ty, required, nullable) in specs(kind) {
        let Some(value) = dict_get(data, field).cloned() else {
            if required && is_new {
                errors.push((field.to_string(), "This field is required.".to_string()));
            }
            continue;
        };
        if value.is_none() {
            if !nullable {
                errors.push((field.to_string(), "This field may not be null.".to_string()));
            }
            continue;
        }
        match coerce(ty, value, store) {
            Ok(v) => dict_set(data, field, v),
            Err(message) => errors.push((field.to_string(), message)),
        }
    }
    if kind == ModelKind::Target("source") && is_new && dict_get(data, "slug").is_none() {
        errors.push(("slug".into(), "This field is required.".into()));
    }
    if kind == ModelKind::User
        && dict_get(data, "password").is_some_and(|p| !matches!(p, Val::Str(_) | Val::None))
    {
        errors.push(("password".into(), "Not a valid string.".into()));
    }
    if !errors.is_empty() {
        return errors;
    }
    // Whole-object rules, on the object as it will be after this entry.
    let merged = |field: &str| -> Val {
        dict_get(data, field)
            .cloned()
            .or_else(|| existing.and_then(|i| dict_get(&store.objects[i].fields, field).cloned()))
            .unwrap_or(Val::None)
    };
    match kind {
        ModelKind::FlowStageBinding => {
            // Since 2025-09: a missing key takes its default, not the stored value.
            let eop = dict_get(data, "evaluate_on_plan").is_some_and(Val::truthy);
            let rep = dict_get(data, "re_evaluate_policies").is_none_or(Val::truthy);
            if !eop && !rep {
                errors.push((
                    String::new(),
                    "Either evaluation on plan or evaluation on run must be enabled".into(),
                ));
            }
            unique(
                store,
                model,
                existing,
                &[
                    ("target", merged("target")),
                    ("stage", merged("stage")),
                    ("order", merged("order")),
                ],
                "The fields target, stage, order must make a unique set.",
                &mut errors,
            );
        }
        ModelKind::PolicyBinding => {
            let for_entitlement = store
                .by_ref(&merged("target"), true, |o| {
                    o.kind == ModelKind::Entitlement
                })
                .is_some();
            let supported: &[&str] = if for_entitlement {
                &["group", "user"]
            } else {
                &["group", "policy", "user"]
            };
            let count = supported.iter().filter(|f| merged(f).truthy()).count();
            if count > 1 {
                errors.push((
                    String::new(),
                    "Only one of 'group', 'policy', 'user' can be set.".into(),
                ));
            } else if count == 0 {
                let msg = if for_entitlement {
                    "One of 'group', 'user' must be set."
                } else {
                    "One of 'group', 'policy', 'user' must be set."
                };
                errors.push((String::new(), msg.into()));
            }
            if merged("policy").truthy() {
                unique(
                    store,
                    model,
                    existing,
                    &[
                        ("policy", merged("policy")),
                        ("target", merged("target")),
                        ("order", merged("order")),
                    ],
                    "The fields policy, target, order must make a unique set.",
                    &mut errors,
                );
            }
        }
        _ => {}
    }
    let unique_field = match kind {
        ModelKind::Flow => Some((
            "slug",
            "flow with this slug already exists.",
            "authentik_flows.flow",
        )),
        ModelKind::Stage => Some((
            "name",
            "stage with this name already exists.",
            "authentik_flows.stage",
        )),
        ModelKind::Policy(_) => Some((
            "name",
            "policy with this name already exists.",
            "authentik_policies.policy",
        )),
        ModelKind::User => Some((
            "username",
            "A user with that username already exists.",
            "authentik_core.user",
        )),
        ModelKind::Application => Some((
            "slug",
            "application with this slug already exists.",
            "authentik_core.application",
        )),
        _ => None,
    };
    if let Some((field, message, family)) = unique_field
        && let Some(value) = dict_get(data, field)
    {
        let taken = store.alive().any(|(i, o)| {
            Some(i) != existing
                && super::models::in_family(family, o)
                && dict_get(&o.fields, field).is_some_and(|v| field_eq(v, value))
        });
        if taken {
            errors.push((field.to_string(), message.to_string()));
        }
    }
    errors
}

fn unique(
    store: &Store,
    model: &str,
    existing: Option<usize>,
    fields: &[(&str, Val)],
    message: &str,
    errors: &mut Vec<(String, String)>,
) {
    let taken = store.alive().any(|(i, o)| {
        Some(i) != existing
            && o.model == model
            && fields
                .iter()
                .all(|(f, v)| dict_get(&o.fields, f).is_some_and(|x| field_eq(x, v)))
    });
    if taken {
        errors.push((String::new(), message.to_string()));
    }
}

fn coerce(ty: Ty, value: Val, store: &Store) -> Result<Val, String> {
    match ty {
        Ty::Str => match value {
            Val::Str(_) => Ok(value),
            Val::Int(_) | Val::Float(_) => Ok(Val::Str(value.py_str())),
            _ => Err("Not a valid string.".into()),
        },
        Ty::Slug => match value {
            Val::Str(s)
                if !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(Val::Str(s))
            }
            _ => Err(
                "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
                    .into(),
            ),
        },
        Ty::Bool => match &value {
            Val::Bool(_) => Ok(value),
            Val::Int(1) => Ok(Val::Bool(true)),
            Val::Int(0) => Ok(Val::Bool(false)),
            Val::Str(s) => match s.as_str() {
                "t" | "T" | "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on"
                | "On" | "ON" | "1" => Ok(Val::Bool(true)),
                "f" | "F" | "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE"
                | "off" | "Off" | "OFF" | "0" => Ok(Val::Bool(false)),
                _ => Err("Must be a valid boolean.".into()),
            },
            _ => Err("Must be a valid boolean.".into()),
        },
        Ty::Int => match &value {
            Val::Int(_) => Ok(value),
            Val::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Val::Int(*f as i64)),
            Val::Str(s) => s
                .trim()
                .parse::<i64>()
                .map(Val::Int)
                .map_err(|_| "A valid integer is required.".into()),
            _ => Err("A valid integer is required.".into()),
        },
        Ty::Choice(choices) => match &value {
            Val::Str(s) if choices.contains(&s.as_str()) => Ok(value),
            other => Err(format!("\"{}\" is not a valid choice.", other.py_str())),
        },
        Ty::Dict => match value {
            Val::Dict(_) => Ok(value),
            _ => Err("Expected a dictionary of items.".into()),
        },
        Ty::Ref(to) => resolve_ref(to, &value, store),
        Ty::Refs(to) => match value {
            Val::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    out.push(resolve_ref(to, item, store)?);
                }
                Ok(Val::List(out))
            }
            other => Err(format!(
                "Expected a list of items but got type \"{}\".",
                other.type_name()
            )),
        },
    }
}

/// A reference must name an object imported so far; its normalised pk is stored.
fn resolve_ref(to: RefTo, value: &Val, store: &Store) -> Result<Val, String> {
    let wanted = |o: &super::store::Object| match to {
        RefTo::Flow => o.kind == ModelKind::Flow,
        RefTo::Stage => o.kind == ModelKind::Stage,
        RefTo::Policy => matches!(o.kind, ModelKind::Policy(_)),
        RefTo::Group => o.kind == ModelKind::Group,
        RefTo::User => o.kind == ModelKind::User,
        RefTo::Application => o.kind == ModelKind::Application,
        RefTo::Bindable => true,
    };
    let invalid = || format!("Invalid pk \"{}\" - object does not exist.", value.py_str());
    match value {
        Val::Str(_) | Val::Int(_) => {}
        // A `!FindObject` result stands for its pk.
        Val::Dict(d) if dict_get(d, "pk").is_some() => {
            return resolve_ref(to, dict_get(d, "pk").unwrap_or(&Val::None), store);
        }
        other => {
            return Err(format!(
                "Incorrect type. Expected pk value, received {}.",
                other.type_name()
            ));
        }
    }
    if to == RefTo::Bindable {
        if let Some(pbm) = bindable_pbm(store, value) {
            return Ok(pbm);
        }
        // Bindable models flowgate does not map are kept; the binding is left out later.
        if let Some(i) = store.by_ref(value, false, |o| o.kind == ModelKind::Other) {
            return Ok(store.objects[i].pk.clone());
        }
        return Err(invalid());
    }
    match store.by_ref(value, false, wanted) {
        Some(i) => Ok(store.objects[i].pk.clone()),
        None => Err(invalid()),
    }
}

/// The pbm uuid of the bindable object `value` names. flowgate also accepts a flow's or
/// flow-stage binding's own pk (authentik would not find it: its policy bindings need the pbm
/// uuid, which `!KeyOf` provides).
pub fn bindable_pbm(store: &Store, value: &Val) -> Option<Val> {
    let i = store
        .by_ref(value, true, |o| o.pbm.is_some())
        .or_else(|| store.by_ref(value, false, |o| o.pbm.is_some()))?;
    store.objects[i].pbm.clone().map(Val::Str)
}

/// A pk given in `identifiers`: uuids normalised; users need an integer.
pub fn check_pk(kind: ModelKind, pk: &Val) -> Result<Val, String> {
    match (kind, pk) {
        (ModelKind::Other | ModelKind::MetaApply, v) => Ok(v.clone()),
        (ModelKind::User, Val::Int(_)) => Ok(pk.clone()),
        (ModelKind::User, Val::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map(Val::Int)
            .map_err(|_| format!("\"{s}\" is not a valid integer pk.")),
        (ModelKind::User, other) => {
            Err(format!("\"{}\" is not a valid integer pk.", other.py_str()))
        }
        (_, Val::Str(s)) => norm_uuid(s)
            .map(Val::Str)
            .ok_or_else(|| format!("“{s}” is not a valid UUID.")),
        (_, other) => Err(format!("“{}” is not a valid UUID.", other.py_str())),
    }
}
