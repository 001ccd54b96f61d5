//! authentik's `Importer` (flows §6.2) over several blueprint files: entries in order,
//! conditions, identifiers (with the pk map), states, `!KeyOf` per file, meta-apply of other
//! files, cascading deletes. Unlike authentik it does not stop at the first invalid entry:
//! every problem is collected with its path (`file[0].entries[3].attrs.stage`).

use super::fields;
use super::models::{self, ModelKind};
use super::store::{Object, Origin, Store, field_eq};
use super::tags::{self, Instance, Resolver, TagError};
use super::value::{Dict, Val, deep_merge, dict_get, dict_set};
use super::yaml::{self, Kind, Node};
use crate::error::PathError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A non-fatal remark about one entry (skipped model, dropped binding, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub file: usize,
    /// Entry index in the file (entries of a sectioned `entries` mapping counted in order).
    pub entry: usize,
    pub message: String,
}

/// The `{context?, env?}` options of `blueprintsToSnapshot`.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub context: Dict,
    pub env: HashMap<String, String>,
}

struct Entry {
    path: String,
    node: Node,
}

struct Blueprint {
    name: Option<String>,
    context: Vec<(String, Node)>,
    entries: Vec<Entry>,
}

#[derive(Clone, Copy, PartialEq)]
enum Applied {
    No,
    Running,
    Done,
}

pub struct Importer<'a> {
    pub store: Store,
    pub errors: Vec<PathError>,
    pub warnings: Vec<Warning>,
    options: &'a Options,
    blueprints: Vec<Option<Blueprint>>,
    applied: Vec<Applied>,
}

/// Entry-level failure: `(path, message)` pairs.
type Problems = Vec<(String, String)>;

impl<'a> Importer<'a> {
    /// Loads every file (syntax and shape errors are collected, the file is then skipped).
    pub fn new(texts: &[String], options: &'a Options) -> Importer<'a> {
        let mut imp = Importer {
            store: Store::default(),
            errors: Vec::new(),
            warnings: Vec::new(),
            options,
            blueprints: Vec::new(),
            applied: vec![Applied::No; texts.len()],
        };
        for (i, text) in texts.iter().enumerate() {
            let bp = imp.load(i, text);
            imp.blueprints.push(bp);
        }
        imp
    }

    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(PathError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn load(&mut self, file: usize, text: &str) -> Option<Blueprint> {
        let base = format!("file[{file}]");
        let mut root = match yaml::parse(text) {
            Ok(n) => n,
            Err(e) => {
                self.error(
                    &base,
                    format!("line {} column {}: {}", e.line, e.col, e.message),
                );
                return None;
            }
        };
        let mut shape = Vec::new();
        tags::construct_all(&mut root, &base, &mut shape);
        let errors_before = self.errors.len();
        for (path, message) in shape {
            self.error(path, message);
        }
        let Kind::Map(_) = root.kind else {
            self.error(
                &base,
                format!("a blueprint must be a mapping, got {}", root.describe()),
            );
            return None;
        };
        match root.get("version").map(|v| &v.kind) {
            Some(Kind::Scalar(Val::Int(1))) => {}
            Some(_) => self.error(format!("{base}.version"), "Invalid blueprint version"),
            None => self.error(
                format!("{base}.version"),
                "Invalid blueprint version (version: 1 is required)",
            ),
        }
        let mut name = None;
        if let Some(meta) = root.get("metadata") {
            match (&meta.kind, meta.get("name").map(|n| &n.kind)) {
                (Kind::Map(_), Some(Kind::Scalar(Val::Str(n)))) => name = Some(n.clone()),
                (Kind::Map(_), _) => self.error(
                    format!("{base}.metadata.name"),
                    "metadata needs a name (a string)",
                ),
                (Kind::Scalar(Val::None), _) => {}
                _ => self.error(format!("{base}.metadata"), "metadata must be a mapping"),
            }
        }
        // Context: default ← blueprint ← options (deep merge, flows §6.1).
        let mut context = Node::from_val(&Val::Dict(models::default_context()));
        match root.get("context") {
            None => {}
            Some(Node {
                kind: Kind::Scalar(Val::None),
                ..
            }) => {}
            Some(
                c @ Node {
                    kind: Kind::Map(_), ..
                },
            ) => context = merge_nodes(context, c.clone()),
            Some(_) => self.error(format!("{base}.context"), "context must be a mapping"),
        }
        context = merge_nodes(
            context,
            Node::from_val(&Val::Dict(self.options.context.clone())),
        );
        let context = match context.kind {
            Kind::Map(pairs) => pairs,
            _ => Vec::new(),
        };
        let mut entries = Vec::new();
        match root.get("entries").map(|e| &e.kind) {
            None | Some(Kind::Scalar(Val::None)) => {}
            Some(Kind::Seq(items)) => {
                for (j, node) in items.iter().enumerate() {
                    entries.push(Entry {
                        path: format!("{base}.entries[{j}]"),
                        node: node.clone(),
                    });
                }
            }
            Some(Kind::Map(sections)) => {
                for (section, list) in sections {
                    match &list.kind {
                        Kind::Seq(items) => {
                            for (j, node) in items.iter().enumerate() {
                                entries.push(Entry {
                                    path: format!("{base}.entries.{section}[{j}]"),
                                    node: node.clone(),
                                });
                            }
                        }
                        _ => self.error(
                            format!("{base}.entries.{section}"),
                            "each section of entries must be a list",
                        ),
                    }
                }
            }
            Some(_) => self.error(
                format!("{base}.entries"),
                "entries must be a list or a mapping of lists",
            ),
        }
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Blueprint {
            name,
            context,
            entries,
        })
    }

    /// Applies every file in order (a file meta-applied earlier is not applied twice).
    pub fn run(&mut self) {
        for i in 0..self.blueprints.len() {
            self.apply(i);
        }
    }

    fn apply(&mut self, file: usize) {
        if self.applied.get(file) != Some(&Applied::No) {
            return;
        }
        self.applied[file] = Applied::Running;
        let Some(bp) = self.blueprints.get_mut(file).and_then(Option::take) else {
            self.applied[file] = Applied::Done;
            return;
        };
        // Per file, as authentik has one Importer per blueprint: `!KeyOf` scope and pk map.
        let mut states: Vec<(Option<String>, Option<Instance>)> = Vec::new();
        let mut pk_map: Vec<(Val, Val)> = Vec::new();
        for (index, entry) in bp.entries.iter().enumerate() {
            let id = match entry.node.get("id").map(|n| &n.kind) {
                Some(Kind::Scalar(Val::Str(s))) => Some(s.clone()),
                _ => None,
            };
            let outcome = self.entry(file, index, entry, &bp.context, &states, &mut pk_map);
            match outcome {
                Ok(instance) => states.push((id, instance)),
                Err(problems) => {
                    states.push((id, None));
                    for (path, message) in problems {
                        self.error(path, message);
                    }
                }
            }
        }
        self.blueprints[file] = Some(bp);
        self.applied[file] = Applied::Done;
    }

    fn warn(&mut self, file: usize, entry: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            file,
            entry,
            message: message.into(),
        });
    }

    /// One entry; Ok(instance for `!KeyOf`) or the entry's problems.
    fn entry(
        &mut self,
        file: usize,
        index: usize,
        entry: &Entry,
        context: &[(String, Node)],
        states: &[(Option<String>, Option<Instance>)],
        pk_map: &mut Vec<(Val, Val)>,
    ) -> Result<Option<Instance>, Problems> {
        let path = &entry.path;
        let node = &entry.node;
        let at = |field: &str| format!("{path}.{field}");
        let one = |p: String, m: String| -> Problems { vec![(p, m)] };
        if node.as_map().is_none() {
            return Err(one(
                path.clone(),
                format!("an entry must be a mapping, got {}", node.describe()),
            ));
        }
        if let Some(id) = node.get("id")
            && !matches!(id.kind, Kind::Scalar(Val::Str(_)) | Kind::Scalar(Val::None))
        {
            return Err(one(at("id"), "id must be a string".into()));
        }
        let Some(model_node) = node.get("model") else {
            return Err(one(at("model"), "This field is required.".into()));
        };
        let env = &self.options.env;
        let mut r = Resolver::new(&self.store, context, env, states, String::new());
        let tag_err = |e: TagError| vec![(e.path, e.message)];
        let model = match r.resolve(model_node, &at("model")).map_err(tag_err)? {
            Val::Str(s) => s,
            other => other.py_str(),
        };
        let kind = models::classify(&model).map_err(|m| one(at("model"), m))?;
        let model = models::normalise_model(&model).map_err(|m| one(at("model"), m))?;
        r.entry_model = model.clone();

        // Conditions: all must be truthy (all([]) is True).
        match node.get("conditions").map(|c| &c.kind) {
            None | Some(Kind::Scalar(Val::None)) => {}
            Some(Kind::Seq(conditions)) => {
                for (i, c) in conditions.iter().enumerate() {
                    if !r
                        .resolve(c, &format!("{path}.conditions[{i}]"))
                        .map_err(tag_err)?
                        .truthy()
                    {
                        let warnings = std::mem::take(&mut r.warnings);
                        self.extend_warnings(file, index, warnings);
                        return Ok(None);
                    }
                }
            }
            Some(_) => return Err(one(at("conditions"), "conditions must be a list".into())),
        }

        let state = match node.get("state") {
            None => "present".to_string(),
            Some(s) => match r.resolve(s, &at("state")).map_err(tag_err)? {
                Val::Str(s)
                    if matches!(
                        s.as_str(),
                        "present" | "created" | "must_created" | "absent"
                    ) =>
                {
                    s
                }
                other => {
                    return Err(one(
                        at("state"),
                        format!(
                            "'{}' is not a valid BlueprintEntryDesiredState",
                            other.py_str()
                        ),
                    ));
                }
            },
        };
        let absent = state == "absent";

        let attrs_node = node.get("attrs");
        let resolve_map =
            |r: &mut Resolver<'_>, n: Option<&Node>, field: &str| -> Result<Dict, Problems> {
                match n {
                    None => Ok(Vec::new()),
                    Some(n) => match r.resolve(n, &at(field)).map_err(tag_err)? {
                        Val::Dict(d) => Ok(d),
                        Val::None => Ok(Vec::new()),
                        other => Err(one(
                            at(field),
                            format!("{field} must be a mapping, got {}", other.type_name()),
                        )),
                    },
                }
            };

        if kind == ModelKind::MetaApply {
            let attrs = resolve_map(&mut r, attrs_node, "attrs")?;
            let warnings = std::mem::take(&mut r.warnings);
            self.extend_warnings(file, index, warnings);
            return self.meta_apply(file, index, path, &attrs).map(|_| None);
        }

        // Identifiers: resolved, remapped through the pk map, `{pk: …}` dicts → their pk.
        let resolved = resolve_map(&mut r, node.get("identifiers"), "identifiers");
        let mut identifiers = match resolved {
            Ok(d) => d,
            Err(p) if absent => return self.skip_absent(file, index, p),
            Err(p) => return Err(p),
        };
        let raw_pk = dict_get(&identifiers, "pk").cloned();
        remap(&mut identifiers, pk_map);
        for (_, v) in identifiers.iter_mut() {
            if let Val::Dict(d) = v
                && let Some(pk) = dict_get(d, "pk").cloned()
            {
                *v = pk;
            }
        }
        if identifiers.is_empty() {
            return Err(one(at("identifiers"), "No or invalid identifiers".into()));
        }
        // A binding target given by a flow's own pk matches as its pbm uuid (see fields).
        if kind == ModelKind::PolicyBinding
            && let Some(pbm) =
                dict_get(&identifiers, "target").and_then(|t| fields::bindable_pbm(&self.store, t))
        {
            dict_set(&mut identifiers, "target", pbm);
        }
        if let Some(pk) = dict_get(&identifiers, "pk").cloned() {
            let pk = fields::check_pk(kind, &pk)
                .map_err(|m| one(format!("{path}.identifiers.pk"), m))?;
            dict_set(&mut identifiers, "pk", pk);
        }
        let existing = self
            .store
            .match_identifiers(&model, &identifiers)
            .map_err(|m| one(at("identifiers"), m))?;
        if existing.is_some() && state == "must_created" {
            return Err(one(
                path.clone(),
                "State is set to must_created and object exists already".into(),
            ));
        }
        let mut attrs = match resolve_map(&mut r, attrs_node, "attrs") {
            Ok(d) => d,
            Err(p) if absent => return self.skip_absent(file, index, p),
            Err(p) => return Err(p),
        };
        remap(&mut attrs, pk_map);
        let warnings = std::mem::take(&mut r.warnings);
        self.extend_warnings(file, index, warnings);
        let mut data = match deep_merge(Val::Dict(attrs), Val::Dict(identifiers.clone())) {
            Val::Dict(d) => d,
            _ => Vec::new(),
        };
        if node
            .get("permissions")
            .is_some_and(|p| !matches!(&p.kind, Kind::Seq(s) if s.is_empty()))
        {
            self.warn(file, index, "permissions are ignored: flowgate has no RBAC");
        }

        let identifier_keys: Vec<String> = identifiers.iter().map(|(k, _)| k.clone()).collect();
        let problems = fields::check(kind, &model, &mut data, existing, &self.store);
        if !problems.is_empty() && !absent {
            return Err(problems
                .into_iter()
                .map(|(field, message)| {
                    let p = if field.is_empty() {
                        path.clone()
                    } else if identifier_keys.contains(&field) {
                        format!("{path}.identifiers.{field}")
                    } else {
                        format!("{path}.attrs.{field}")
                    };
                    (p, message)
                })
                .collect());
        }
        match kind {
            ModelKind::Other => self.warn(
                file,
                index,
                format!("model '{model}' has no meaning for flowgate's evaluation: not in the snapshot (kept for !KeyOf and !Find)"),
            ),
            ModelKind::Policy(None) => self.warn(
                file,
                index,
                format!("'{model}' is not a policy type flowgate knows: the policy and its bindings are left out of the snapshot"),
            ),
            _ => {}
        }

        let origin = Origin {
            file,
            entry: index,
            path: path.clone(),
            identifier_keys,
        };
        let instance = match (state.as_str(), existing) {
            ("absent", Some(i)) => {
                self.delete(i);
                return Ok(None);
            }
            ("absent", None) => return Ok(None),
            ("created", Some(i)) => i,
            (_, Some(i)) => {
                self.write(i, data, origin);
                i
            }
            (_, None) => self.create(&model, kind, &identifiers, data, origin),
        };
        let obj = &self.store.objects[instance];
        if let Some(raw) = raw_pk
            && matches!(raw, Val::Str(_) | Val::Int(_))
        {
            pk_map.retain(|(k, _)| *k != raw);
            pk_map.push((raw, obj.pk.clone()));
        }
        Ok(Some(Instance {
            pk: obj.pk.clone(),
            pbm: obj.pbm.clone(),
        }))
    }

    fn extend_warnings(&mut self, file: usize, entry: usize, messages: Vec<String>) {
        for m in messages {
            self.warn(file, entry, m);
        }
    }

    /// authentik skips an `absent` entry it cannot resolve instead of failing.
    fn skip_absent(
        &mut self,
        file: usize,
        index: usize,
        problems: Problems,
    ) -> Result<Option<Instance>, Problems> {
        for (p, m) in problems {
            self.warn(
                file,
                index,
                format!("state absent, entry skipped: {p}: {m}"),
            );
        }
        Ok(None)
    }

    /// `authentik_blueprints.metaapplyblueprint`: applies the file whose `metadata.name`
    /// matches `attrs.identifiers.name` now, unless it is applied already or running.
    fn meta_apply(
        &mut self,
        file: usize,
        index: usize,
        path: &str,
        attrs: &Dict,
    ) -> Result<(), Problems> {
        let name = match dict_get(attrs, "identifiers") {
            Some(Val::Dict(ids)) => dict_get(ids, "name").map(Val::py_str),
            _ => None,
        };
        let Some(name) = name else {
            return Err(vec![(
                format!("{path}.attrs.identifiers"),
                "meta apply needs identifiers with the blueprint's name".into(),
            )]);
        };
        let required = dict_get(attrs, "required").is_none_or(Val::truthy);
        let target = self
            .blueprints
            .iter()
            .enumerate()
            .find(|(i, b)| {
                *i != file && b.as_ref().and_then(|b| b.name.as_deref()) == Some(name.as_str())
            })
            .map(|(i, _)| i);
        match target {
            Some(t) if self.applied[t] == Applied::No => {
                self.apply(t);
                Ok(())
            }
            Some(_) => Ok(()),
            None if required => Err(vec![(
                format!("{path}.attrs.identifiers.name"),
                format!("Required blueprint '{name}' not found among the given blueprints"),
            )]),
            None => {
                self.warn(
                    file,
                    index,
                    format!("blueprint '{name}' is not among the given blueprints: not applied"),
                );
                Ok(())
            }
        }
    }

    fn create(
        &mut self,
        model: &str,
        kind: ModelKind,
        identifiers: &Dict,
        data: Dict,
        origin: Origin,
    ) -> usize {
        let pk = match dict_get(identifiers, "pk") {
            Some(pk) => pk.clone(),
            None if kind == ModelKind::User => {
                // authentik's user pk is an auto-increment integer.
                let max = self
                    .store
                    .objects
                    .iter()
                    .filter(|o| o.kind == ModelKind::User)
                    .filter_map(|o| match o.pk {
                        Val::Int(i) => Some(i),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                Val::Int(max.saturating_add(1))
            }
            None => {
                // Deterministic: the same blueprints always give the same pks.
                let seed = format!("{model}\u{0}{}", Val::Dict(identifiers.clone()).canonical());
                let mut salt = 0u32;
                loop {
                    let candidate = Val::Str(uuid_from(&format!("{seed}\u{0}{salt}")));
                    let taken = self
                        .store
                        .alive()
                        .any(|(_, o)| o.model == model && field_eq(&o.pk, &candidate));
                    if !taken {
                        break candidate;
                    }
                    salt += 1;
                }
            }
        };
        let pbm = if kind.is_pbm() {
            Some(if kind.has_own_pk() {
                uuid_from(&format!("pbm\u{0}{model}\u{0}{}", pk.py_str()))
            } else {
                pk.py_str()
            })
        } else {
            None
        };
        self.store.objects.push(Object {
            model: model.to_string(),
            kind,
            pk,
            pbm,
            fields: models::defaults(kind),
            origin: origin.clone(),
            alive: true,
            usable_password: false,
        });
        let i = self.store.objects.len() - 1;
        self.write(i, data, origin);
        i
    }

    /// A (partial) update: each given field replaces the stored one.
    fn write(&mut self, i: usize, data: Dict, origin: Origin) {
        let kind = self.store.objects[i].kind;
        for (k, v) in data {
            match (kind, k.as_str()) {
                (_, "pk" | "pbm_uuid" | "policybindingmodel_ptr_id")
                    if kind != ModelKind::Other => {}
                (ModelKind::User, "password") => {
                    // Set when given non-empty; authentik gives other users an unusable one.
                    if v.truthy() {
                        self.store.objects[i].usable_password = true;
                    }
                }
                (ModelKind::User, "groups") => {
                    let groups = self.refs(&v, |o| o.kind == ModelKind::Group);
                    self.store.memberships.retain(|(u, _)| *u != i);
                    self.store
                        .memberships
                        .extend(groups.into_iter().map(|g| (i, g)));
                }
                (ModelKind::Group, "users") => {
                    let users = self.refs(&v, |o| o.kind == ModelKind::User);
                    self.store.memberships.retain(|(_, g)| *g != i);
                    self.store
                        .memberships
                        .extend(users.into_iter().map(|u| (u, i)));
                }
                _ => dict_set(&mut self.store.objects[i].fields, &k, v),
            }
        }
        // The last writer is where a later problem with the object is reported.
        self.store.objects[i].origin = origin;
    }

    fn refs(&self, list: &Val, pred: impl Fn(&Object) -> bool + Copy) -> Vec<usize> {
        match list {
            Val::List(items) => items
                .iter()
                .filter_map(|v| self.store.by_ref(v, false, pred))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Deletes an object and what the database would cascade: bindings targeting it or
    /// naming it, flow-stage bindings of a deleted flow or stage, entitlements of an app.
    fn delete(&mut self, i: usize) {
        let mut queue = vec![i];
        while let Some(d) = queue.pop() {
            if !self.store.objects[d].alive {
                continue;
            }
            self.store.objects[d].alive = false;
            let pk = self.store.objects[d].pk.clone();
            let pbm = self.store.objects[d].pbm.clone().map(Val::Str);
            let refers = |o: &Object, field: &str, v: &Val| {
                dict_get(&o.fields, field).is_some_and(|x| field_eq(x, v))
            };
            for (j, o) in self.store.objects.iter_mut().enumerate() {
                if !o.alive {
                    continue;
                }
                let cascade = match o.kind {
                    ModelKind::PolicyBinding => {
                        pbm.as_ref().is_some_and(|p| refers(o, "target", p))
                            || refers(o, "target", &pk)
                            || ["policy", "group", "user"]
                                .iter()
                                .any(|f| refers(o, f, &pk))
                    }
                    ModelKind::FlowStageBinding => {
                        refers(o, "target", &pk) || refers(o, "stage", &pk)
                    }
                    ModelKind::Entitlement => refers(o, "app", &pk),
                    _ => false,
                };
                if cascade {
                    queue.push(j);
                    continue;
                }
                // SET_NULL and many-to-many rows.
                if o.kind == ModelKind::Group && refers(o, "parent", &pk) {
                    dict_set(&mut o.fields, "parent", Val::None);
                }
                for m2m in ["parents", "validation_policies"] {
                    if let Some(Val::List(items)) = dict_get(&o.fields, m2m).cloned()
                        && items.iter().any(|x| field_eq(x, &pk))
                    {
                        let kept: Vec<Val> =
                            items.into_iter().filter(|x| !field_eq(x, &pk)).collect();
                        dict_set(&mut o.fields, m2m, Val::List(kept));
                    }
                }
            }
            self.store.memberships.retain(|(u, g)| *u != d && *g != d);
        }
    }
}

/// authentik's `__update_pks_for_attrs`: top-level values, and values one level down in
/// dicts and lists, that equal a pk given earlier in this file are replaced by the pk the
/// object really got.
fn remap(data: &mut Dict, pk_map: &[(Val, Val)]) {
    let update = |v: &mut Val| {
        if let Some((_, to)) = pk_map.iter().find(|(from, _)| from == v) {
            *v = to.clone();
        }
    };
    for (_, v) in data.iter_mut() {
        match v {
            Val::Dict(d) => d.iter_mut().for_each(|(_, x)| update(x)),
            Val::List(l) => l.iter_mut().for_each(update),
            other => update(other),
        }
    }
}

/// deepmerge over nodes (context layering): mappings merge, sequences append, else replace.
fn merge_nodes(base: Node, other: Node) -> Node {
    match (base.kind, other.kind) {
        (Kind::Map(mut a), Kind::Map(b)) => {
            for (k, v) in b {
                match a.iter().position(|(key, _)| *key == k) {
                    Some(i) => {
                        let old =
                            std::mem::replace(&mut a[i].1, Node::new(Kind::Scalar(Val::None), 0));
                        a[i].1 = merge_nodes(old, v);
                    }
                    None => a.push((k, v)),
                }
            }
            Node::new(Kind::Map(a), base.line)
        }
        (Kind::Seq(mut a), Kind::Seq(b)) => {
            a.extend(b);
            Node::new(Kind::Seq(a), base.line)
        }
        (_, kind) => Node::new(kind, other.line),
    }
}

/// A name-based UUID (RFC 9562 version 8: SHA-256 of the name, version and variant bits set).
pub fn uuid_from(name: &str) -> String {
    let digest = Sha256::digest(format!("flowgate-blueprint\u{0}{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
