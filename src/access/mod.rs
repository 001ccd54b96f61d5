//! Applications and entitlements (policies §6, spec §4): access checks, the user's application
//! list with launch URLs, granted entitlements with their merged attributes.
//!
//! Decisions where authentik is silent or differs by design:
//! * No superuser exemption anywhere (authentik's `superuser_full_list` is a UI convenience).
//! * Anonymous requests are evaluated like any other: authentik redirects unauthenticated
//!   browsers to the login page before evaluating; a host wanting that checks the user itself.
//! * Hidden apps: `meta_hide`, or a `blank://blank` launch URL, which is read as migration 0059
//!   rewrites it (`meta_hide = true`, `meta_launch_url = ""`).
//! * Entitlements: a binding grants when it is enabled, unexpired at `now` and not dry-run (the
//!   engine-wide rule, spec §5.1); an entitlement granted by several bindings is listed once
//!   (authentik's SQL join may repeat it).

mod launch_url;
mod merge;

pub use launch_url::LaunchUrl;
pub use merge::deep_merge;

use crate::api::Engine;
use crate::engine::{self, PolicyResult, static_passes};
use crate::error::{FlowgateError, Result};
use crate::index::{BoundSubject, Id, Index};
use crate::json::{Errors, Obj};
use crate::request::{Actor, Request};
use crate::snapshot::{Application, Snapshot};
use serde::Serialize;
use serde_json::{Map, Value};

/// The launch URL authentik uses to hide an application (before migration 0059).
const BLANK: &str = "blank://blank";

/// Application facts computed once per snapshot.
#[derive(Debug, Default)]
pub struct AccessIndex {
    /// Applications ordered by name, then slug (the order of `applications()`).
    pub by_name: Vec<Id>,
    /// Per application (snapshot order).
    pub apps: Vec<AppFacts>,
}

#[derive(Debug)]
pub struct AppFacts {
    /// `meta_launch_url`, else the provider's `launch_url`; None when both are empty.
    pub launch: Option<LaunchUrl>,
    /// Left out of `applications()` unless `includeHidden`.
    pub hidden: bool,
}

impl AccessIndex {
    pub fn build(snap: &Snapshot) -> AccessIndex {
        let apps = &snap.applications;
        let mut by_name: Vec<Id> = (0..apps.len() as Id).collect();
        crate::sort::sort_ids_by(&mut by_name, &|a, b| {
            let (a, b) = (&apps[a as usize], &apps[b as usize]);
            (a.name.as_str(), a.slug.as_str()).cmp(&(b.name.as_str(), b.slug.as_str()))
        });
        AccessIndex {
            by_name,
            apps: apps.iter().map(app_facts).collect(),
        }
    }
}

fn app_facts(app: &Application) -> AppFacts {
    let meta_blank = app.meta_launch_url == BLANK;
    let meta = if meta_blank { "" } else { &app.meta_launch_url };
    let url = if !meta.is_empty() {
        Some(meta)
    } else {
        app.launch_url.as_deref().filter(|u| !u.is_empty())
    };
    let provider_blank = url == Some(BLANK);
    AppFacts {
        launch: url.filter(|u| *u != BLANK).map(LaunchUrl::parse),
        hidden: app.meta_hide || meta_blank || provider_blank,
    }
}

/// One application of the user's list (spec §4 `AppView`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppView<'a> {
    pub pk: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub group: &'a str,
    pub launch_url: Option<String>,
    pub open_in_new_tab: bool,
    pub meta_icon: &'a str,
    pub meta_description: &'a str,
    pub meta_publisher: &'a str,
    pub meta_hide: bool,
}

/// A granted entitlement (spec §4 `EntitlementView`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntitlementView<'a> {
    pub pbm_uuid: &'a str,
    pub name: &'a str,
    /// The application's pk.
    pub app: &'a str,
    pub attributes: &'a Map<String, Value>,
}

/// `entitlements()`: the granted entitlements by name and their deep-merged attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entitlements<'a> {
    pub entitlements: Vec<EntitlementView<'a>>,
    pub attributes: Map<String, Value>,
}

/// `applications()` options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub only_with_launch_url: bool,
    pub include_hidden: bool,
}

impl ListOptions {
    /// `{onlyWithLaunchUrl?, includeHidden?}`; null/absent → defaults.
    pub fn parse(v: &Value) -> Result<ListOptions> {
        if v.is_null() {
            return Ok(ListOptions::default());
        }
        let mut errs = Errors::default();
        let Some(o) = Obj::of(v, "options".into(), &mut errs) else {
            return Err(options_error(errs));
        };
        let opts = ListOptions {
            only_with_launch_url: o.bool_or("onlyWithLaunchUrl", false, &mut errs),
            include_hidden: o.bool_or("includeHidden", false, &mut errs),
        };
        if errs.is_empty() {
            Ok(opts)
        } else {
            Err(options_error(errs))
        }
    }
}

fn options_error(errs: Errors) -> FlowgateError {
    match errs.list.into_iter().next() {
        Some(e) => FlowgateError::invalid_request(&e.path, e.message),
        None => FlowgateError::invalid_request("options", "invalid options"),
    }
}

impl Engine {
    fn app_id(&self, app_slug: &str) -> Result<Id> {
        self.index
            .apps_by_slug
            .get(app_slug)
            .copied()
            .ok_or_else(|| {
                FlowgateError::not_found(format!("no application with slug '{app_slug}'"))
            })
    }

    /// Does the request's user pass the application's bindings? (policies §6.1)
    pub fn check_access(
        &self,
        app_slug: &str,
        request: &Request,
        trace: bool,
    ) -> Result<PolicyResult> {
        let app = self.app_id(app_slug)?;
        self.evaluate_id(self.index.app_targets[app as usize], request, trace)
    }

    /// The applications the user passes, ordered by name then slug, each with its launch URL.
    /// options: `{onlyWithLaunchUrl?, includeHidden?}`.
    pub fn applications(&self, request: &Request, options: &Value) -> Result<Vec<AppView<'_>>> {
        let opts = ListOptions::parse(options)?;
        let actor = Actor::resolve(&self.index, &request.user, "user")?;
        Ok(self.with_ctx(&actor, request, false, |ctx| {
            let index = &self.index;
            let user = actor.user.map(|u| (u, actor.is_superuser));
            let mut out = Vec::with_capacity(index.access.by_name.len());
            for &app in &index.access.by_name {
                let facts = &index.access.apps[app as usize];
                // Cheap filters first: hidden apps and apps without any URL are never shown.
                if (facts.hidden && !opts.include_hidden)
                    || (opts.only_with_launch_url && facts.launch.is_none())
                {
                    continue;
                }
                if !engine::evaluate(ctx, index.app_targets[app as usize]).passing {
                    continue;
                }
                let launch_url = facts.launch.as_ref().map(|l| l.render(user));
                // authentik drops falsy URLs (a template may format to "").
                if opts.only_with_launch_url && launch_url.as_deref().is_none_or(str::is_empty) {
                    continue;
                }
                out.push(app_view(&index.snap.applications[app as usize], launch_url));
            }
            out
        }))
    }

    /// The entitlements of the application granted to the request's user (policies §6.2).
    pub fn entitlements(&self, app_slug: &str, request: &Request) -> Result<Entitlements<'_>> {
        let app = self.app_id(app_slug)?;
        let actor = Actor::resolve(&self.index, &request.user, "user")?;
        let index = &self.index;
        let mut result = Entitlements {
            entitlements: Vec::new(),
            attributes: Map::new(),
        };
        for &e in &index.app_entitlements[app as usize] {
            if !granted(
                index,
                &actor,
                index.entitlement_targets[e as usize],
                request.now,
            ) {
                continue;
            }
            let ent = &index.snap.entitlements[e as usize];
            deep_merge(&mut result.attributes, &ent.attributes);
            result.entitlements.push(EntitlementView {
                pbm_uuid: &ent.pbm_uuid,
                name: &ent.name,
                app: &ent.app,
                attributes: &ent.attributes,
            });
        }
        Ok(result)
    }
}

fn app_view(a: &Application, launch_url: Option<String>) -> AppView<'_> {
    AppView {
        pk: &a.pk,
        slug: &a.slug,
        name: &a.name,
        group: &a.group,
        launch_url,
        open_in_new_tab: a.open_in_new_tab,
        meta_icon: &a.meta_icon,
        meta_description: &a.meta_description,
        meta_publisher: &a.meta_publisher,
        meta_hide: a.meta_hide || a.meta_launch_url == BLANK,
    }
}

/// Any matching user/group binding grants (mode ignored; no bindings → never; users without
/// pk → never, negated bindings too).
fn granted(index: &Index, actor: &Actor<'_>, target: Id, now: crate::time::Millis) -> bool {
    index.target(target).bindings.iter().any(|&b| {
        let ib = index.binding(b);
        ib.is_active(now)
            && !ib.binding.dry_run
            && matches!(ib.subject, BoundSubject::Group(_) | BoundSubject::User(_))
            && static_passes(actor, ib.subject, ib.binding.negate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::request::UserSpec;
    use serde_json::json;

    fn engine(doc: Value) -> Engine {
        match Engine::from_value(&doc, &Limits::default()) {
            Ok(e) => e,
            Err(e) => panic!("snapshot rejected: {e:?}"),
        }
    }

    fn req(user: i64) -> Request {
        Request {
            user: UserSpec::Pk(user),
            ..Request::at(1_780_000_000_000)
        }
    }

    fn snapshot() -> Value {
        json!({
            "users": [
                {"pk": 1, "username": "jane", "groups": ["g-staff"]},
                {"pk": 2, "username": "bob", "groups": []}
            ],
            "groups": [{"pk": "g-staff", "name": "staff"}],
            "policies": [{"pk": "p-false", "name": "deny", "type": "dummy", "result": false}],
            "applications": [
                {"pk": "a-b", "slug": "b", "name": "Same", "meta_launch_url": "https://%(username)s.example/"},
                {"pk": "a-a", "slug": "a", "name": "Same"},
                {"pk": "a-0", "slug": "zero", "name": "Alpha", "launch_url": "https://provider/%(pk)s"},
                {"pk": "a-h", "slug": "hidden", "name": "Hidden", "meta_hide": true},
                {"pk": "a-blank", "slug": "blank", "name": "Blank", "meta_launch_url": "blank://blank"},
                {"pk": "a-denied", "slug": "denied", "name": "Denied"},
                {"pk": "a-staff", "slug": "staff", "name": "Staff"}
            ],
            "application_entitlements": [
                {"pbm_uuid": "e-2", "name": "b-ent", "app": "a-a", "attributes": {"roles": ["two"], "q": {"x": 1}}},
                {"pbm_uuid": "e-1", "name": "a-ent", "app": "a-a", "attributes": {"roles": ["one"], "q": {"y": 2}}},
                {"pbm_uuid": "e-3", "name": "c-expired", "app": "a-a", "attributes": {"never": true}},
                {"pbm_uuid": "e-4", "name": "d-dry", "app": "a-a", "attributes": {"never": true}},
                {"pbm_uuid": "e-5", "name": "e-negated", "app": "a-a", "attributes": {"neg": true}}
            ],
            "policy_bindings": [
                {"target": "a-denied", "policy": "p-false", "order": 0},
                {"target": "a-staff", "group": "g-staff", "order": 0},
                {"target": "e-1", "user": 1, "order": 0},
                {"target": "e-1", "group": "g-staff", "order": 1},
                {"target": "e-2", "group": "g-staff", "order": 0},
                {"target": "e-3", "user": 1, "order": 0, "expiring": true, "expires": "2020-01-01T00:00:00Z"},
                {"target": "e-4", "user": 1, "order": 0, "dry_run": true},
                {"target": "e-5", "user": 2, "order": 0, "negate": true}
            ]
        })
    }

    fn slugs(list: &[AppView<'_>]) -> Vec<String> {
        list.iter().map(|a| a.slug.to_string()).collect()
    }

    #[test]
    fn lists_passing_apps_by_name_then_slug() -> Result<()> {
        let e = engine(snapshot());
        let list = e.applications(&req(1), &Value::Null)?;
        assert_eq!(slugs(&list), ["zero", "a", "b", "staff"]);
        assert_eq!(list[0].launch_url.as_deref(), Some("https://provider/1"));
        assert_eq!(list[1].launch_url, None);
        assert_eq!(list[2].launch_url.as_deref(), Some("https://jane.example/"));
        let bob = e.applications(&req(2), &json!({"includeHidden": true}))?;
        assert_eq!(slugs(&bob), ["zero", "blank", "hidden", "a", "b"]);
        assert!(bob[1].meta_hide && bob[1].launch_url.is_none());
        let urls = e.applications(&req(1), &json!({"onlyWithLaunchUrl": true}))?;
        assert_eq!(slugs(&urls), ["zero", "b"]);
        Ok(())
    }

    #[test]
    fn rejects_bad_options() {
        let e = engine(snapshot());
        let err = e.applications(&req(1), &json!({"includeHidden": "yes"}));
        assert!(matches!(err, Err(e) if e.code == crate::ErrorCode::InvalidRequest));
        let err = e.applications(&req(1), &json!([1]));
        assert!(matches!(err, Err(e) if e.code == crate::ErrorCode::InvalidRequest));
    }

    #[test]
    fn check_access_uses_the_app_bindings() -> Result<()> {
        let e = engine(snapshot());
        let r = e.check_access("denied", &req(1), true)?;
        assert!(!r.passing);
        assert_eq!(r.messages, ["dummy"]);
        assert_eq!(r.trace.map(|t| t.len()), Some(1));
        assert!(e.check_access("hidden", &req(2), false)?.passing);
        assert!(!e.check_access("staff", &req(2), false)?.passing);
        let missing = e.check_access("nope", &req(1), false);
        assert!(matches!(missing, Err(e) if e.code == crate::ErrorCode::NotFound));
        Ok(())
    }

    #[test]
    fn generic_targets() -> Result<()> {
        let e = engine(json!({
            "users": [{"pk": 1, "username": "jane", "groups": ["g"]}, {"pk": 2, "username": "bob"}],
            "groups": [{"pk": "g", "name": "staff"}],
            "policies": [
                {"pk": "p-true", "name": "allow", "type": "dummy", "result": true},
                {"pk": "p-false", "name": "deny", "type": "dummy", "result": false}
            ],
            "applications": [{"pk": "app", "slug": "remote", "name": "Remote"}],
            "targets": [
                {"pbm_uuid": "rac", "kind": "rac_endpoint", "application": "remote"},
                {"pbm_uuid": "rule", "kind": "notification_rule", "policy_engine_mode": "all"},
                {"pbm_uuid": "empty-rule", "kind": "notification_rule"},
                {"pbm_uuid": "source", "kind": "source"},
                {"pbm_uuid": "device", "kind": "device", "empty_result": false}
            ],
            "policy_bindings": [
                {"target": "app", "group": "g", "order": 0},
                {"target": "rac", "policy": "p-false", "order": 0},
                {"target": "rule", "policy": "p-true", "order": 0},
                {"target": "rule", "policy": "p-false", "order": 1}
            ]
        }));
        let eval = |target: &str, user: i64| e.evaluate(target, &req(user), false);
        // RAC: the application decides first (bob is not staff), then the endpoint itself.
        assert!(!eval("rac", 2)?.passing);
        assert_eq!(eval("rac", 2)?.messages, Vec::<String>::new());
        assert_eq!(eval("rac", 1)?.messages, ["dummy"]);
        assert!(!eval("rac", 1)?.passing);
        // Notification rules: mode any whatever is given, no bindings → false.
        assert!(eval("rule", 1)?.passing);
        assert!(!eval("empty-rule", 1)?.passing);
        assert!(eval("source", 2)?.passing);
        assert!(!eval("device", 2)?.passing);
        Ok(())
    }

    #[test]
    fn entitlements_by_name_with_merged_attributes() -> Result<()> {
        let e = engine(snapshot());
        let r = e.entitlements("a", &req(1))?;
        let names: Vec<&str> = r.entitlements.iter().map(|e| e.name).collect();
        assert_eq!(names, ["a-ent", "b-ent", "e-negated"]);
        assert_eq!(
            Value::Object(r.attributes),
            json!({"roles": ["one", "two"], "q": {"x": 1, "y": 2}, "neg": true})
        );
        let bob = e.entitlements("a", &req(2))?;
        assert!(bob.entitlements.is_empty());
        let anon = e.entitlements("a", &Request::at(0))?;
        assert!(anon.entitlements.is_empty() && anon.attributes.is_empty());
        assert!(e.entitlements("zero", &req(1))?.entitlements.is_empty());
        Ok(())
    }
}
