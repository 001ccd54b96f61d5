//! The objects imported so far: a tiny in-memory stand-in for authentik's database, with the
//! Django lookups blueprints use (`!Find`, identifiers) and cascading deletes (`state: absent`).

use super::models::{self, ModelKind};
use super::value::{Dict, Val, dict_get, norm_uuid};

/// Where an object was last written, to point snapshot errors back at the blueprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub file: usize,
    /// Flat entry index in the file (`warnings[].entry`).
    pub entry: usize,
    /// `file[0].entries[3]`.
    pub path: String,
    /// Fields that came from `identifiers` (the others came from `attrs`).
    pub identifier_keys: Vec<String>,
}

impl Origin {
    /// The blueprint path of one field of the object.
    pub fn field_path(&self, field: &str) -> String {
        let part = if self.identifier_keys.iter().any(|k| k == field) {
            "identifiers"
        } else {
            "attrs"
        };
        if field.is_empty() {
            self.path.clone()
        } else {
            format!("{}.{part}.{field}", self.path)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Object {
    /// Lower-cased `app_label.model`.
    pub model: String,
    pub kind: ModelKind,
    /// uuid text, or an integer for users.
    pub pk: Val,
    /// PolicyBindingModels: the uuid policy bindings target.
    pub pbm: Option<String>,
    pub fields: Dict,
    pub origin: Origin,
    pub alive: bool,
    /// Users: a non-empty `password` was set (authentik otherwise sets an unusable one).
    pub usable_password: bool,
}

#[derive(Debug, Default)]
pub struct Store {
    /// Creation order; deleted objects stay (not alive) so indexes are stable.
    pub objects: Vec<Object>,
    /// User ↔ group memberships (object indexes), the `groups` / `users` many-to-many.
    pub memberships: Vec<(usize, usize)>,
}

/// A `!Find` result.
pub struct Found {
    pub index: Option<usize>,
    /// The model is neither one flowgate imports nor one seen in this import.
    pub unknown_model: bool,
}

const LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "contains",
    "icontains",
    "in",
    "isnull",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gt",
    "gte",
    "lt",
    "lte",
    "regex",
    "iregex",
];

/// A value being matched: an object, or a plain value reached through a field.
#[derive(Clone)]
enum Cur<'a> {
    Obj(usize),
    Val(std::borrow::Cow<'a, Val>),
}

impl Store {
    pub fn alive(&self) -> impl Iterator<Item = (usize, &Object)> {
        self.objects.iter().enumerate().filter(|(_, o)| o.alive)
    }

    /// `Model.objects.filter(AND of field lookups).first()` (`!Find`, `!FindObject`).
    /// Base models (`authentik_flows.stage`, `authentik_policies.policy`…) match subclasses.
    pub fn find(&self, model: &str, query: &[(String, Val)]) -> Result<Found, String> {
        let model = models::normalise_model(model)?;
        let known = models::is_queryable(&model) || self.objects.iter().any(|o| o.model == model);
        for (i, o) in self.alive() {
            if !models::in_family(&model, o) {
                continue;
            }
            let base_pbm = model == "authentik_policies.policybindingmodel";
            let mut all = true;
            for (field, value) in query {
                if !self.matches(i, field, value, base_pbm)? {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(Found {
                    index: Some(i),
                    unknown_model: false,
                });
            }
        }
        Ok(Found {
            index: None,
            unknown_model: !known,
        })
    }

    /// The importer's identifier query: `Q(pk=…) | AND(other identifiers)`, dict values
    /// matched with `__contains` (flows §6.2). Only objects of exactly `model`.
    pub fn match_identifiers(
        &self,
        model: &str,
        identifiers: &Dict,
    ) -> Result<Option<usize>, String> {
        let pk = dict_get(identifiers, "pk");
        let others: Vec<&(String, Val)> = identifiers.iter().filter(|(k, _)| k != "pk").collect();
        for (i, o) in self.alive() {
            if o.model != model {
                continue;
            }
            if let Some(pk) = pk
                && field_eq(&o.pk, pk)
            {
                return Ok(Some(i));
            }
            if others.is_empty() {
                continue;
            }
            let mut all = true;
            for (field, value) in &others {
                let field = if matches!(value, Val::Dict(_)) {
                    format!("{field}__contains")
                } else {
                    field.clone()
                };
                if !self.matches(i, &field, value, false)? {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// An alive object accepted by `pred` whose pk (or pbm uuid, with `by_pbm`) equals `value`.
    pub fn by_ref(
        &self,
        value: &Val,
        by_pbm: bool,
        pred: impl Fn(&Object) -> bool,
    ) -> Option<usize> {
        self.alive()
            .find(|(_, o)| {
                pred(o)
                    && if by_pbm {
                        o.pbm
                            .as_ref()
                            .is_some_and(|p| field_eq(&Val::Str(p.clone()), value))
                    } else {
                        field_eq(&o.pk, value)
                    }
            })
            .map(|(i, _)| i)
    }

    pub fn user_groups(&self, user: usize) -> Vec<usize> {
        self.memberships
            .iter()
            .filter(|(u, g)| *u == user && self.objects[*g].alive)
            .map(|(_, g)| *g)
            .collect()
    }

    pub fn group_users(&self, group: usize) -> Vec<usize> {
        self.memberships
            .iter()
            .filter(|(u, g)| *g == group && self.objects[*u].alive)
            .map(|(u, _)| *u)
            .collect()
    }

    /// A field as the serializer shows it (pk aliases, many-to-many lists).
    pub fn field(&self, i: usize, name: &str) -> Option<Val> {
        let o = &self.objects[i];
        match name {
            "pk" => return Some(o.pk.clone()),
            "pbm_uuid" | "policybindingmodel_ptr_id" | "policybindingmodel_ptr"
                if o.pbm.is_some() =>
            {
                return o.pbm.clone().map(Val::Str);
            }
            "groups" if o.kind == ModelKind::User => {
                return Some(Val::List(
                    self.user_groups(i)
                        .into_iter()
                        .map(|g| self.objects[g].pk.clone())
                        .collect(),
                ));
            }
            "users" if o.kind == ModelKind::Group => {
                return Some(Val::List(
                    self.group_users(i)
                        .into_iter()
                        .map(|u| self.objects[u].pk.clone())
                        .collect(),
                ));
            }
            _ => {}
        }
        if models::pk_field_name(o.kind) == Some(name) {
            return Some(o.pk.clone());
        }
        dict_get(&o.fields, name).cloned()
    }

    /// The object as its serializer would return it (`!FindObject`).
    pub fn serialize(&self, i: usize) -> Val {
        let o = &self.objects[i];
        let mut out: Dict = vec![("pk".into(), o.pk.clone())];
        if matches!(o.kind, ModelKind::Flow | ModelKind::FlowStageBinding)
            && let Some(pbm) = &o.pbm
        {
            out.push(("policybindingmodel_ptr_id".into(), Val::Str(pbm.clone())));
        }
        for (k, v) in &o.fields {
            if k != "password" {
                out.push((k.clone(), v.clone()));
            }
        }
        let m2m = match o.kind {
            ModelKind::User => Some("groups"),
            ModelKind::Group => Some("users"),
            _ => None,
        };
        if let Some(name) = m2m
            && let Some(v) = self.field(i, name)
        {
            out.retain(|(k, _)| k != name);
            out.push((name.into(), v));
        }
        Val::Dict(out)
    }

    /// Does object `i` satisfy the Django lookup `field` (`slug`, `name__iexact`,
    /// `target__slug`, `attributes__contains`…) against `value`?
    fn matches(&self, i: usize, field: &str, value: &Val, base_pbm: bool) -> Result<bool, String> {
        let parts: Vec<&str> = field.split("__").collect();
        if base_pbm && parts.first() == Some(&"pk") {
            // PolicyBindingModel's own pk is the pbm uuid.
            let pbm = self.objects[i]
                .pbm
                .clone()
                .map(Val::Str)
                .unwrap_or(Val::None);
            return self.matches_from(Cur::Val(std::borrow::Cow::Owned(pbm)), &parts[1..], value);
        }
        self.matches_from(Cur::Obj(i), &parts, value)
    }

    fn matches_from(&self, cur: Cur<'_>, parts: &[&str], value: &Val) -> Result<bool, String> {
        let Some((&first, rest)) = parts.split_first() else {
            return lookup(&self.cur_value(&cur), "exact", value);
        };
        if rest.is_empty() && LOOKUPS.contains(&first) {
            if let Cur::Val(v) = &cur
                && let Val::List(items) = v.as_ref()
                && first != "isnull"
                && first != "contains"
            {
                // Many-to-many: any related object may match.
                for item in items {
                    if lookup(item, first, value)? {
                        return Ok(true);
                    }
                }
                return Ok(false);
            }
            return lookup(&self.cur_value(&cur), first, value);
        }
        match cur {
            Cur::Obj(i) => {
                let v = self.field(i, first).unwrap_or(Val::None);
                self.matches_from(Cur::Val(std::borrow::Cow::Owned(v)), rest, value)
            }
            Cur::Val(v) => match v.as_ref() {
                // JSON key transform (`attributes__key`).
                Val::Dict(d) => {
                    let next = dict_get(d, first).cloned().unwrap_or(Val::None);
                    self.matches_from(
                        Cur::Val(std::borrow::Cow::Owned(next)),
                        parts.get(1..).unwrap_or(&[]),
                        value,
                    )
                }
                Val::List(items) => {
                    for item in items {
                        if self.matches_from(
                            Cur::Val(std::borrow::Cow::Borrowed(item)),
                            parts,
                            value,
                        )? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
                Val::None => Ok(parts.last() == Some(&"isnull") && value.truthy()),
                reference => match self.alive().find(|(_, o)| field_eq(&o.pk, reference)) {
                    // A foreign key: follow it.
                    Some((j, _)) => self.matches_from(Cur::Obj(j), parts, value),
                    None => Err(format!("Unsupported lookup '{first}'")),
                },
            },
        }
    }

    fn cur_value(&self, cur: &Cur<'_>) -> Val {
        match cur {
            Cur::Obj(i) => self.objects[*i].pk.clone(),
            Cur::Val(v) => v.as_ref().clone(),
        }
    }
}

/// One Django lookup on a stored value.
fn lookup(stored: &Val, op: &str, q: &Val) -> Result<bool, String> {
    let text = |v: &Val| match v {
        Val::Str(s) => Some(s.clone()),
        Val::None => None,
        other => Some(other.py_str()),
    };
    let both = || text(stored).zip(text(q));
    Ok(match op {
        "exact" => match stored {
            Val::List(items) if !matches!(q, Val::List(_)) => items.iter().any(|s| field_eq(s, q)),
            _ => field_eq(stored, q),
        },
        "iexact" => both().is_some_and(|(a, b)| a.to_lowercase() == b.to_lowercase()),
        "contains" => match (stored, q) {
            (Val::Dict(_) | Val::List(_), _) => json_contains(stored, q),
            _ => both().is_some_and(|(a, b)| a.contains(&b)),
        },
        "icontains" => both().is_some_and(|(a, b)| a.to_lowercase().contains(&b.to_lowercase())),
        "startswith" => both().is_some_and(|(a, b)| a.starts_with(&b)),
        "istartswith" => {
            both().is_some_and(|(a, b)| a.to_lowercase().starts_with(&b.to_lowercase()))
        }
        "endswith" => both().is_some_and(|(a, b)| a.ends_with(&b)),
        "iendswith" => both().is_some_and(|(a, b)| a.to_lowercase().ends_with(&b.to_lowercase())),
        "in" => match q {
            Val::List(items) => items.iter().any(|i| field_eq(stored, i)),
            _ => return Err("'in' lookups need a list".into()),
        },
        "isnull" => stored.is_none() == q.truthy(),
        "gt" | "gte" | "lt" | "lte" => {
            let ord = match (stored.as_number(), q.as_number()) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => match (stored, q) {
                    (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
                    _ => None,
                },
            };
            match ord {
                None => false,
                Some(o) => match op {
                    "gt" => o.is_gt(),
                    "gte" => o.is_ge(),
                    "lt" => o.is_lt(),
                    _ => o.is_le(),
                },
            }
        }
        "regex" | "iregex" => {
            let Some((s, pattern)) = both() else {
                return Ok(false);
            };
            let pattern = if op == "iregex" {
                format!("(?i){pattern}")
            } else {
                pattern
            };
            let re = regex::Regex::new(&pattern).map_err(|e| format!("invalid regex: {e}"))?;
            re.is_match(&s)
        }
        other => return Err(format!("Unsupported lookup '{other}'")),
    })
}

/// `field=value` as the database compares it: uuids in any spelling, numbers given as text,
/// booleans given as Django's boolean words.
pub fn field_eq(stored: &Val, q: &Val) -> bool {
    match (stored, q) {
        (Val::Str(a), Val::Str(b)) => {
            a == b || matches!((norm_uuid(a), norm_uuid(b)), (Some(x), Some(y)) if x == y)
        }
        (Val::Int(_) | Val::Float(_), Val::Str(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .zip(stored.as_number())
            .is_some_and(|(a, b)| a == b),
        (Val::Str(s), Val::Int(_)) => *s == q.py_str(),
        (Val::Bool(b), Val::Str(s)) => match s.as_str() {
            "t" | "True" | "true" | "1" => *b,
            "f" | "False" | "false" | "0" => !*b,
            _ => false,
        },
        _ => stored.py_eq(q),
    }
}

/// PostgreSQL's jsonb `@>`: every key/element of `q` is contained in `stored`.
pub fn json_contains(stored: &Val, q: &Val) -> bool {
    match (stored, q) {
        (Val::Dict(s), Val::Dict(q)) => q
            .iter()
            .all(|(k, qv)| dict_get(s, k).is_some_and(|sv| json_contains(sv, qv))),
        (Val::List(s), Val::List(q)) => q.iter().all(|qv| s.iter().any(|sv| json_contains(sv, qv))),
        (Val::List(s), scalar) if !matches!(scalar, Val::Dict(_)) => {
            s.iter().any(|sv| sv.py_eq(scalar))
        }
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Bool(_), _) | (_, Val::Bool(_)) => false,
        _ => stored.py_eq(q),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            file: 0,
            entry: 0,
            path: "file[0].entries[0]".into(),
            identifier_keys: vec!["slug".into()],
        }
    }

    fn obj(model: &str, kind: ModelKind, pk: &str, fields: Dict) -> Object {
        Object {
            model: model.into(),
            kind,
            pk: Val::str(pk),
            pbm: None,
            fields,
            origin: origin(),
            alive: true,
            usable_password: false,
        }
    }

    fn store() -> Store {
        let mut s = Store::default();
        s.objects.push(obj(
            "authentik_core.group",
            ModelKind::Group,
            "6e000000-0000-4000-8000-000000000001",
            vec![
                ("name".into(), Val::str("Admins")),
                (
                    "attributes".into(),
                    Val::Dict(vec![
                        ("key".into(), Val::List(vec![Val::str("value")])),
                        (
                            "other_key".into(),
                            Val::List(vec![Val::str("a_value"), Val::str("other_value")]),
                        ),
                    ]),
                ),
            ],
        ));
        s.objects.push(obj(
            "authentik_flows.flow",
            ModelKind::Flow,
            "f1000000-0000-4000-8000-000000000001",
            vec![
                ("slug".into(), Val::str("login")),
                ("title".into(), Val::str("Welcome")),
            ],
        ));
        s.objects.push(obj(
            "authentik_flows.flowstagebinding",
            ModelKind::FlowStageBinding,
            "b1000000-0000-4000-8000-000000000001",
            vec![
                (
                    "target".into(),
                    Val::str("f1000000-0000-4000-8000-000000000001"),
                ),
                ("order".into(), Val::Int(10)),
            ],
        ));
        s
    }

    fn find(s: &Store, model: &str, q: &[(&str, Val)]) -> Option<usize> {
        let q: Vec<(String, Val)> = q.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        s.find(model, &q).ok().and_then(|f| f.index)
    }

    #[test]
    fn django_lookups() {
        let s = store();
        assert_eq!(
            find(&s, "authentik_flows.flow", &[("slug", Val::str("login"))]),
            Some(1)
        );
        assert_eq!(
            find(
                &s,
                "authentik_flows.Flow",
                &[("slug__iexact", Val::str("LOGIN"))]
            ),
            Some(1)
        );
        assert_eq!(
            find(&s, "authentik_flows.flow", &[("slug", Val::str("nope"))]),
            None
        );
        assert_eq!(
            find(
                &s,
                "authentik_flows.flow",
                &[("pk", Val::str("F1000000-0000-4000-8000-000000000001"))]
            ),
            Some(1)
        );
        assert_eq!(
            find(
                &s,
                "authentik_flows.flowstagebinding",
                &[
                    ("target__slug", Val::str("login")),
                    ("order", Val::str("10"))
                ]
            ),
            Some(2)
        );
        assert_eq!(
            find(
                &s,
                "authentik_flows.flowstagebinding",
                &[("order__gte", Val::Int(11))]
            ),
            None
        );
        assert_eq!(
            find(
                &s,
                "authentik_core.group",
                &[("attributes__key", Val::List(vec![Val::str("value")]))]
            ),
            Some(0)
        );
        assert_eq!(
            find(
                &s,
                "authentik_core.group",
                &[(
                    "name__in",
                    Val::List(vec![Val::str("x"), Val::str("Admins")])
                )]
            ),
            Some(0)
        );
        assert_eq!(
            find(
                &s,
                "authentik_core.group",
                &[("parent__isnull", Val::Bool(true))]
            ),
            Some(0)
        );
        assert!(
            s.find(
                "authentik_core.group",
                &[("name__bogus".into(), Val::str("x"))]
            )
            .is_err()
        );
        assert!(s.find("nonsense", &[]).is_err());
        let unknown = s
            .find("authentik_brands.brand", &[])
            .ok()
            .map(|f| (f.index, f.unknown_model));
        assert_eq!(unknown, Some((None, false)));
        let unknown = s
            .find("authentik_foo.bar", &[])
            .ok()
            .map(|f| f.unknown_model);
        assert_eq!(unknown, Some(true));
    }

    #[test]
    fn identifiers_use_json_containment() {
        let s = store();
        let ids = vec![(
            "attributes".into(),
            Val::Dict(vec![(
                "other_key".into(),
                Val::List(vec![Val::str("other_value")]),
            )]),
        )];
        assert_eq!(
            s.match_identifiers("authentik_core.group", &ids),
            Ok(Some(0))
        );
        let ids = vec![(
            "attributes".into(),
            Val::Dict(vec![(
                "other_key".into(),
                Val::List(vec![Val::str("diff_value")]),
            )]),
        )];
        assert_eq!(s.match_identifiers("authentik_core.group", &ids), Ok(None));
        // pk OR the other identifiers.
        let ids = vec![
            (
                "pk".into(),
                Val::str("f1000000-0000-4000-8000-000000000001"),
            ),
            ("slug".into(), Val::str("other")),
        ];
        assert_eq!(
            s.match_identifiers("authentik_flows.flow", &ids),
            Ok(Some(1))
        );
    }
}
