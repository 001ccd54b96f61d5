//! The loaded, immutable model: interned ids, bindings per target sorted by order, the group
//! ancestry closure and compiled policies. Built once per Engine from a `Snapshot`; every
//! cross-reference is checked here and all problems are reported together.

mod groups;

pub use groups::all_groups;

use crate::error::PathError;
use crate::json::Errors;
use crate::policy::{self, CompiledPolicy};
use crate::snapshot::{Binding, Mode, Snapshot, Subject};
use crate::sort::{sort_ids_by, sort_ids_by_key};
use crate::time::Millis;
use std::collections::HashMap;

/// Interned id: a position in one of the snapshot's lists.
pub type Id = u32;

/// What kind of bindable object a target is; decides facts, mode and empty result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Application(Id),
    Entitlement(Id),
    Flow(Id),
    FlowStageBinding(Id),
    Source,
    NotificationRule,
    Device,
    DeviceGroup,
    /// RAC endpoint; its application (if any) must pass as well.
    RacEndpoint(Option<Id>),
    PromptStage,
    Generic,
}

#[derive(Debug, Clone)]
pub struct TargetInfo {
    pub pbm: String,
    pub name: String,
    pub kind: TargetKind,
    pub mode: Mode,
    pub empty_result: bool,
    /// Enabled bindings, sorted stably by `order` (ties keep snapshot order).
    pub bindings: Vec<Id>,
}

/// A binding's subject with references resolved to ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundSubject {
    Policy(Id),
    Group(Id),
    User(i64),
}

/// A binding with its resolved subject: a view (`Index::binding`), the binding itself is stored
/// once, in the snapshot.
#[derive(Debug, Clone, Copy)]
pub struct IndexedBinding<'a> {
    pub binding: &'a Binding,
    pub subject: BoundSubject,
}

impl IndexedBinding<'_> {
    /// Expired bindings are invisible (authentik's ExpiringManager: `expiring and expires < now`).
    pub fn is_active(&self, now: Millis) -> bool {
        !(self.binding.expiring && self.binding.expires.is_some_and(|e| e < now))
    }
}

#[derive(Debug)]
pub struct Index {
    pub snap: Snapshot,
    pub users_by_pk: HashMap<i64, Id>,
    pub users_by_username: HashMap<String, Id>,
    pub groups_by_pk: HashMap<String, Id>,
    /// Per group: itself and all its ancestors, sorted.
    pub group_ancestors: Vec<Vec<Id>>,
    /// Per snapshot user: all groups (direct + ancestors), sorted.
    pub user_groups: Vec<Vec<Id>>,
    pub user_is_superuser: Vec<bool>,
    pub policies_by_pk: HashMap<String, Id>,
    pub policies_by_name: HashMap<String, Id>,
    pub policies: Vec<CompiledPolicy>,
    /// Per snapshot binding: its subject, resolved (`binding()` pairs it with the binding).
    pub binding_subjects: Vec<BoundSubject>,
    pub targets: Vec<TargetInfo>,
    pub targets_by_pbm: HashMap<String, Id>,
    pub flows_by_slug: HashMap<String, Id>,
    pub flows_by_pk: HashMap<String, Id>,
    pub flow_targets: Vec<Id>,
    /// Per flow: its flow-stage bindings sorted stably by order.
    pub flow_stage_bindings: Vec<Vec<Id>>,
    pub fsb_by_pk: HashMap<String, Id>,
    pub fsb_targets: Vec<Id>,
    pub stages_by_pk: HashMap<String, Id>,
    pub fsb_stage: Vec<Id>,
    pub apps_by_slug: HashMap<String, Id>,
    pub apps_by_pk: HashMap<String, Id>,
    pub app_targets: Vec<Id>,
    /// Per application: its entitlements ordered by name.
    pub app_entitlements: Vec<Vec<Id>>,
    pub entitlement_targets: Vec<Id>,
    /// Per snapshot user: their `login` events, newest first (GeoIP history).
    pub login_events: HashMap<i64, Vec<Id>>,
    /// Applications by name and their launch URLs (`access`).
    pub access: crate::access::AccessIndex,
    /// Reputation score sums (reputation policies).
    pub reputations: crate::policy::reputation::ReputationIndex,
}

fn dup(errs: &mut Errors, path: String, what: &str, key: &str) {
    errs.push(&path, format!("duplicate {what} '{key}'"));
}

impl Index {
    pub fn build(snap: Snapshot) -> Result<Index, Vec<PathError>> {
        let mut errs = Errors::default();
        let bk = snap.bindings_key;

        let mut users_by_pk = HashMap::with_capacity(snap.users.len());
        let mut users_by_username = HashMap::with_capacity(snap.users.len());
        for (i, u) in snap.users.iter().enumerate() {
            let pk = u.pk.unwrap_or_default();
            if users_by_pk.insert(pk, i as Id).is_some() {
                dup(
                    &mut errs,
                    format!("users[{i}].pk"),
                    "user pk",
                    &pk.to_string(),
                );
            }
            if users_by_username
                .insert(u.username.clone(), i as Id)
                .is_some()
            {
                dup(
                    &mut errs,
                    format!("users[{i}].username"),
                    "username",
                    &u.username,
                );
            }
        }
        let mut groups_by_pk = HashMap::with_capacity(snap.groups.len());
        for (i, g) in snap.groups.iter().enumerate() {
            if groups_by_pk.insert(g.pk.clone(), i as Id).is_some() {
                dup(&mut errs, format!("groups[{i}].pk"), "group pk", &g.pk);
            }
        }
        let mut parents: Vec<Vec<Id>> = Vec::with_capacity(snap.groups.len());
        for (i, g) in snap.groups.iter().enumerate() {
            let mut ps = Vec::with_capacity(g.parents.len());
            for (j, p) in g.parents.iter().enumerate() {
                match groups_by_pk.get(p) {
                    Some(&id) => ps.push(id),
                    None => errs.push(
                        &format!("groups[{i}].parents[{j}]"),
                        format!("unknown group '{p}'"),
                    ),
                }
            }
            parents.push(ps);
        }
        let group_ancestors = groups::ancestor_closure(&parents);
        let mut user_groups = Vec::with_capacity(snap.users.len());
        let mut user_is_superuser = Vec::with_capacity(snap.users.len());
        for (i, u) in snap.users.iter().enumerate() {
            let mut direct = Vec::with_capacity(u.groups.len());
            for (j, g) in u.groups.iter().enumerate() {
                match groups_by_pk.get(g) {
                    Some(&id) => direct.push(id),
                    None => errs.push(
                        &format!("users[{i}].groups[{j}]"),
                        format!("unknown group '{g}'"),
                    ),
                }
            }
            let all = groups::all_groups(&group_ancestors, &direct);
            user_is_superuser.push(all.iter().any(|&g| snap.groups[g as usize].is_superuser));
            user_groups.push(all);
        }

        let mut policies_by_pk = HashMap::with_capacity(snap.policies.len());
        let mut policies_by_name = HashMap::with_capacity(snap.policies.len());
        for (i, p) in snap.policies.iter().enumerate() {
            if policies_by_pk.insert(p.pk.clone(), i as Id).is_some() {
                dup(&mut errs, format!("policies[{i}].pk"), "policy pk", &p.pk);
            }
            if policies_by_name.insert(p.name.clone(), i as Id).is_some() {
                dup(
                    &mut errs,
                    format!("policies[{i}].name"),
                    "policy name",
                    &p.name,
                );
            }
        }

        // Targets: every bindable object, addressed by its pbm uuid.
        let mut targets: Vec<TargetInfo> = Vec::new();
        let mut targets_by_pbm: HashMap<String, Id> = HashMap::new();
        let mut add_target = |errs: &mut Errors, path: String, pbm: &str, info: TargetInfo| -> Id {
            let id = targets.len() as Id;
            if targets_by_pbm.insert(pbm.to_string(), id).is_some() {
                dup(errs, path, "bindable object (pbm uuid)", pbm);
            }
            targets.push(info);
            id
        };
        let target = |pbm: &str, name: &str, kind, mode, empty_result| TargetInfo {
            pbm: pbm.to_string(),
            name: name.to_string(),
            kind,
            mode,
            empty_result,
            bindings: Vec::new(),
        };

        let mut apps_by_slug = HashMap::new();
        let mut apps_by_pk = HashMap::new();
        let mut app_targets = Vec::new();
        for (i, a) in snap.applications.iter().enumerate() {
            if apps_by_slug.insert(a.slug.clone(), i as Id).is_some() {
                dup(
                    &mut errs,
                    format!("applications[{i}].slug"),
                    "application slug",
                    &a.slug,
                );
            }
            apps_by_pk.insert(a.pk.clone(), i as Id);
            let t = target(
                &a.pk,
                &a.name,
                TargetKind::Application(i as Id),
                a.mode,
                true,
            );
            app_targets.push(add_target(
                &mut errs,
                format!("applications[{i}].pk"),
                &a.pk,
                t,
            ));
        }
        let mut app_entitlements = vec![Vec::new(); snap.applications.len()];
        let mut entitlement_targets = Vec::new();
        for (i, e) in snap.entitlements.iter().enumerate() {
            match apps_by_pk.get(&e.app) {
                Some(&a) => app_entitlements[a as usize].push(i as Id),
                None => errs.push(
                    &format!("application_entitlements[{i}].app"),
                    format!("unknown application '{}'", e.app),
                ),
            }
            // Entitlements ignore the mode (any matching binding grants) and are never granted
            // without bindings (reference policies §6.2).
            let t = target(
                &e.pbm_uuid,
                &e.name,
                TargetKind::Entitlement(i as Id),
                Mode::Any,
                false,
            );
            entitlement_targets.push(add_target(
                &mut errs,
                format!("application_entitlements[{i}].pbm_uuid"),
                &e.pbm_uuid,
                t,
            ));
        }
        for list in &mut app_entitlements {
            sort_ids_by(list, &|a, b| {
                snap.entitlements[a as usize]
                    .name
                    .cmp(&snap.entitlements[b as usize].name)
            });
        }

        let mut flows_by_slug = HashMap::new();
        let mut flows_by_pk = HashMap::new();
        let mut flow_targets = Vec::new();
        for (i, f) in snap.flows.iter().enumerate() {
            if flows_by_slug.insert(f.slug.clone(), i as Id).is_some() {
                dup(&mut errs, format!("flows[{i}].slug"), "flow slug", &f.slug);
            }
            if flows_by_pk.insert(f.pk.clone(), i as Id).is_some() {
                dup(&mut errs, format!("flows[{i}].pk"), "flow pk", &f.pk);
            }
            let t = target(
                &f.pbm_uuid,
                &f.name,
                TargetKind::Flow(i as Id),
                f.mode,
                true,
            );
            flow_targets.push(add_target(
                &mut errs,
                format!("flows[{i}].pk"),
                &f.pbm_uuid,
                t,
            ));
        }
        let mut stages_by_pk = HashMap::new();
        for (i, s) in snap.stages.iter().enumerate() {
            if stages_by_pk.insert(s.pk.clone(), i as Id).is_some() {
                dup(&mut errs, format!("stages[{i}].pk"), "stage pk", &s.pk);
            }
        }
        let mut fsb_by_pk = HashMap::new();
        let mut fsb_targets = Vec::new();
        let mut fsb_stage = Vec::new();
        let mut flow_stage_bindings = vec![Vec::new(); snap.flows.len()];
        for (i, b) in snap.flow_stage_bindings.iter().enumerate() {
            if fsb_by_pk.insert(b.pk.clone(), i as Id).is_some() {
                dup(
                    &mut errs,
                    format!("flow_stage_bindings[{i}].pk"),
                    "flow-stage binding pk",
                    &b.pk,
                );
            }
            match flows_by_pk
                .get(&b.target)
                .or_else(|| flows_by_slug.get(&b.target))
            {
                Some(&f) => flow_stage_bindings[f as usize].push(i as Id),
                None => errs.push(
                    &format!("flow_stage_bindings[{i}].target"),
                    format!("unknown flow '{}'", b.target),
                ),
            }
            match stages_by_pk.get(&b.stage) {
                Some(&s) => fsb_stage.push(s),
                None => {
                    errs.push(
                        &format!("flow_stage_bindings[{i}].stage"),
                        format!("unknown stage '{}'", b.stage),
                    );
                    fsb_stage.push(0);
                }
            }
            let t = target(
                &b.pbm_uuid,
                &b.pk,
                TargetKind::FlowStageBinding(i as Id),
                b.mode,
                true,
            );
            fsb_targets.push(add_target(
                &mut errs,
                format!("flow_stage_bindings[{i}].pk"),
                &b.pbm_uuid,
                t,
            ));
        }
        for list in &mut flow_stage_bindings {
            sort_ids_by_key(list, &|b| snap.flow_stage_bindings[b as usize].order);
        }

        for (i, t) in snap.targets.iter().enumerate() {
            let kind = match t.kind.as_str() {
                "source" => TargetKind::Source,
                "notification_rule" => TargetKind::NotificationRule,
                "device" => TargetKind::Device,
                "device_group" => TargetKind::DeviceGroup,
                "rac_endpoint" => TargetKind::RacEndpoint(t.application.as_ref().and_then(|a| {
                    let id = apps_by_pk.get(a).or_else(|| apps_by_slug.get(a)).copied();
                    if id.is_none() {
                        errs.push(
                            &format!("targets[{i}].application"),
                            format!("unknown application '{a}'"),
                        );
                    }
                    id
                })),
                "prompt_stage" => TargetKind::PromptStage,
                _ => TargetKind::Generic,
            };
            // Notification rules: mode forced to any, empty result false (reference policies §2.8).
            let (mode, empty) = match kind {
                TargetKind::NotificationRule => (Mode::Any, t.empty_result.unwrap_or(false)),
                _ => (t.mode, t.empty_result.unwrap_or(true)),
            };
            let name = if t.name.is_empty() { &t.slug } else { &t.name };
            let info = target(&t.pbm_uuid, name, kind, mode, empty);
            add_target(
                &mut errs,
                format!("targets[{i}].pbm_uuid"),
                &t.pbm_uuid,
                info,
            );
        }
        // Flows are also reachable by their own pk when it differs from the pbm uuid.
        for (i, f) in snap.flows.iter().enumerate() {
            targets_by_pbm
                .entry(f.pk.clone())
                .or_insert(flow_targets[i]);
        }

        // Policy bindings: resolve subjects and targets.
        let mut bindings = Vec::with_capacity(snap.bindings.len());
        let mut binding_pks: HashMap<&str, usize> = HashMap::new();
        for (i, b) in snap.bindings.iter().enumerate() {
            if !b.pk.starts_with('#') && binding_pks.insert(&b.pk, i).is_some() {
                dup(
                    &mut errs,
                    format!("{bk}[{i}].pk"),
                    "policy binding pk",
                    &b.pk,
                );
            }
            let subject = match &b.subject {
                Subject::Policy(p) => policies_by_pk
                    .get(p)
                    .map(|&id| BoundSubject::Policy(id))
                    .ok_or(("policy", format!("unknown policy '{p}'"))),
                Subject::Group(g) => groups_by_pk
                    .get(g)
                    .map(|&id| BoundSubject::Group(id))
                    .ok_or(("group", format!("unknown group '{g}'"))),
                Subject::User(u) => users_by_pk
                    .get(u)
                    .map(|_| BoundSubject::User(*u))
                    .ok_or(("user", format!("unknown user {u}"))),
            };
            let subject = match subject {
                Ok(s) => s,
                Err((field, msg)) => {
                    errs.push(&format!("{bk}[{i}].{field}"), msg);
                    BoundSubject::User(i64::MIN)
                }
            };
            match targets_by_pbm.get(&b.target) {
                Some(&t) => {
                    if matches!(targets[t as usize].kind, TargetKind::Entitlement(_))
                        && matches!(subject, BoundSubject::Policy(_))
                    {
                        errs.push(&format!("{bk}[{i}]"), "One of 'group', 'user' must be set.");
                    }
                    if b.enabled {
                        targets[t as usize].bindings.push(i as Id);
                    }
                }
                None => errs.push(
                    &format!("{bk}[{i}].target"),
                    format!("unknown target '{}'", b.target),
                ),
            }
            bindings.push(subject);
        }
        for t in &mut targets {
            sort_ids_by_key(&mut t.bindings, &|b| snap.bindings[b as usize].order);
        }

        let mut login_events: HashMap<i64, Vec<Id>> = HashMap::new();
        for (i, e) in snap.events.iter().enumerate() {
            if let (Some(u), "login") = (e.user, e.action.as_str()) {
                login_events.entry(u).or_default().push(i as Id);
            }
        }
        for list in login_events.values_mut() {
            // Newest first; ties keep snapshot order.
            sort_ids_by_key(list, &|e| {
                // Newest first: `!c` reverses the order of every i64; no date sorts as i64::MIN.
                !snap.events[e as usize].created.unwrap_or(i64::MIN)
            });
        }

        let access = crate::access::AccessIndex::build(&snap);
        let reputations = crate::policy::reputation::ReputationIndex::build(&snap.reputations);
        let mut index = Index {
            access,
            reputations,
            snap,
            users_by_pk,
            users_by_username,
            groups_by_pk,
            group_ancestors,
            user_groups,
            user_is_superuser,
            policies_by_pk,
            policies_by_name,
            policies: Vec::new(),
            binding_subjects: bindings,
            targets,
            targets_by_pbm,
            flows_by_slug,
            flows_by_pk,
            flow_targets,
            flow_stage_bindings,
            fsb_by_pk,
            fsb_targets,
            stages_by_pk,
            fsb_stage,
            apps_by_slug,
            apps_by_pk,
            app_targets,
            app_entitlements,
            entitlement_targets,
            login_events,
        };
        // Policies compile last: they may look up groups and other policies.
        let mut compiled = Vec::with_capacity(index.snap.policies.len());
        for p in &index.snap.policies {
            match policy::compile(p, &index) {
                Ok(c) => compiled.push(c),
                Err(list) => {
                    errs.list.extend(list);
                    compiled.push(CompiledPolicy::invalid());
                }
            }
        }
        index.policies = compiled;
        errs.list.extend(policy::check_snapshot(&index));
        if errs.is_empty() {
            Ok(index)
        } else {
            Err(sort_errors(errs.list))
        }
    }

    pub fn target(&self, id: Id) -> &TargetInfo {
        &self.targets[id as usize]
    }

    pub fn binding(&self, id: Id) -> IndexedBinding<'_> {
        IndexedBinding {
            binding: &self.snap.bindings[id as usize],
            subject: self.binding_subjects[id as usize],
        }
    }

    /// Every policy binding of the snapshot, with its id.
    pub fn bindings(&self) -> impl Iterator<Item = (Id, IndexedBinding<'_>)> {
        (0..self.binding_subjects.len() as Id).map(|id| (id, self.binding(id)))
    }

    /// Resolves `flow:<slug>`, `app:<slug>` or a pbm uuid.
    pub fn resolve_target(&self, name: &str) -> Option<Id> {
        if let Some(slug) = name.strip_prefix("flow:") {
            return self
                .flows_by_slug
                .get(slug)
                .map(|&f| self.flow_targets[f as usize]);
        }
        if let Some(slug) = name.strip_prefix("app:") {
            return self
                .apps_by_slug
                .get(slug)
                .map(|&a| self.app_targets[a as usize]);
        }
        self.targets_by_pbm.get(name).copied()
    }

    pub fn policy_by_pk_or_name(&self, key: &str) -> Option<Id> {
        self.policies_by_pk
            .get(key)
            .or_else(|| self.policies_by_name.get(key))
            .copied()
    }
}

/// Snapshot sections in the order of the spec's table (REST dumps follow it too).
const SECTION_ORDER: &[&str] = &[
    "",
    "users",
    "groups",
    "policies",
    "policy_bindings",
    "bindings",
    "flows",
    "stages",
    "flow_stage_bindings",
    "applications",
    "application_entitlements",
    "targets",
    "events",
    "reputations",
];

/// Snapshot errors in document order: by section, then by position in the section, then by
/// path (several errors of one object keep a stable order).
pub fn sort_errors(mut list: Vec<PathError>) -> Vec<PathError> {
    fn key(path: &str) -> (usize, Vec<u64>, String) {
        let section: String = path
            .chars()
            .take_while(|c| *c != '[' && *c != '.')
            .collect();
        let rank = SECTION_ORDER
            .iter()
            .position(|s| *s == section)
            .unwrap_or(SECTION_ORDER.len());
        let mut nums = Vec::new();
        let mut cur = String::new();
        let mut in_idx = false;
        for c in path.chars() {
            match c {
                '[' => in_idx = true,
                ']' => {
                    nums.push(cur.parse().unwrap_or(0));
                    cur.clear();
                    in_idx = false;
                }
                d if in_idx => cur.push(d),
                _ => {}
            }
        }
        (rank, nums, path.to_string())
    }
    list.sort_by_cached_key(|e| key(&e.path));
    list.dedup();
    list
}
