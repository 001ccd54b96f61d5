//! Requests (spec §3): who asks (`user`), the HTTP facts, the policy context, an event and `now`.
//! Parsed from JSON with paths; a malformed request is `invalid_request` naming the bad field.

use crate::error::{FlowgateError, Result};
use crate::index::{Id, Index};
use crate::json::{Errors, Obj, type_name};
use crate::snapshot::{Event, User, parse_user};
use crate::time::{Millis, parse_iso};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// How a request names a user.
#[derive(Debug, Clone, Default)]
pub enum UserSpec {
    #[default]
    Anonymous,
    Pk(i64),
    Username(String),
    /// A user given inline (not in the snapshot), used as given.
    Inline(Box<User>),
}

/// `http.user`: absent means "same as `user`", null means an anonymous browser.
#[derive(Debug, Clone, Default)]
pub enum HttpUser {
    #[default]
    Absent,
    Given(UserSpec),
}

#[derive(Debug, Clone, Default)]
pub struct Http {
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub path: Option<String>,
    pub user: HttpUser,
    pub geoip: Option<Map<String, Value>>,
    pub asn: Option<Map<String, Value>>,
    pub outpost: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub user: UserSpec,
    pub http: Option<Http>,
    pub context: Map<String, Value>,
    pub event: Option<Event>,
    pub now: Millis,
}

impl Request {
    /// An anonymous request at `now`.
    pub fn at(now: Millis) -> Request {
        Request {
            now,
            ..Request::default()
        }
    }

    /// Parses a request object (`null`/absent → anonymous at `default_now`).
    pub fn parse(v: Option<&Value>, default_now: Millis) -> Result<Request> {
        let mut req = Request::at(default_now);
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(req);
        };
        let mut errs = Errors::default();
        let Some(o) = Obj::of(v, "request".into(), &mut errs) else {
            return Err(to_error(errs));
        };
        req.user = user_spec(o.map.get("user"), "request.user", &mut errs);
        if let Some(ho) = o
            .get("http")
            .and_then(|h| Obj::of(h, "request.http".into(), &mut errs))
        {
            req.http = Some(Http {
                client_ip: ho.opt_str("client_ip", &mut errs),
                user_agent: ho.opt_str("user_agent", &mut errs),
                path: ho.opt_str("path", &mut errs),
                user: match ho.map.get("user") {
                    None => HttpUser::Absent,
                    Some(u) => HttpUser::Given(user_spec(Some(u), "request.http.user", &mut errs)),
                },
                geoip: opt_object(&ho, "geoip", &mut errs),
                asn: opt_object(&ho, "asn", &mut errs),
                outpost: ho.bool_or("outpost", false, &mut errs),
            });
        }
        if let Some(c) = o.get("context") {
            match c {
                Value::Object(m) => req.context = m.clone(),
                other => errs.push(
                    "request.context",
                    format!("expected an object, got {}", type_name(other)),
                ),
            }
        }
        if let Some(eo) = o
            .get("event")
            .and_then(|e| Obj::of(e, "request.event".into(), &mut errs))
        {
            req.event = crate::snapshot::read_event_pub(&eo, &mut errs);
        }
        if let Some(n) = o.get("now") {
            match parse_now(n) {
                Some(t) => req.now = t,
                None => errs.push(
                    "request.now",
                    "expected an ISO-8601 string or epoch milliseconds",
                ),
            }
        }
        if errs.is_empty() {
            Ok(req)
        } else {
            Err(to_error(errs))
        }
    }
}

fn to_error(errs: Errors) -> FlowgateError {
    let mut e = FlowgateError::with_errors(
        crate::error::ErrorCode::InvalidRequest,
        "invalid request",
        errs.list,
    );
    if let Some(first) = e.errors.first() {
        e.message = format!("invalid request: {}: {}", first.path, first.message);
    }
    e
}

fn opt_object(o: &Obj<'_>, key: &str, errs: &mut Errors) -> Option<Map<String, Value>> {
    match o.get(key) {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(other) => {
            errs.push(
                &o.path_of(key),
                format!("expected an object or null, got {}", type_name(other)),
            );
            None
        }
    }
}

pub fn parse_now(v: &Value) -> Option<Millis> {
    match v {
        Value::String(s) => parse_iso(s),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 8.64e15)
            .map(|f| f as i64),
        _ => None,
    }
}

/// A user reference: pk, username, inline user object, or null (anonymous).
pub fn user_spec(v: Option<&Value>, path: &str, errs: &mut Errors) -> UserSpec {
    match v {
        None | Some(Value::Null) => UserSpec::Anonymous,
        Some(Value::Number(_)) => match crate::json::as_int(v.unwrap_or(&Value::Null)) {
            Some(pk) => UserSpec::Pk(pk),
            None => {
                errs.push(path, "expected an integer pk, a username or a user object");
                UserSpec::Anonymous
            }
        },
        Some(Value::String(s)) => UserSpec::Username(s.clone()),
        Some(obj @ Value::Object(_)) => {
            let mut local = Errors::default();
            let parsed = Obj::of(obj, path.to_string(), &mut local)
                .and_then(|o| parse_user(&o, false, &mut local));
            errs.list.extend(local.list);
            parsed
                .map(|u| UserSpec::Inline(Box::new(u)))
                .unwrap_or_default()
        }
        Some(other) => {
            errs.push(
                path,
                format!(
                    "expected a pk, a username or a user object, got {}",
                    type_name(other)
                ),
            );
            UserSpec::Anonymous
        }
    }
}

/// The user a policy is evaluated for, resolved against the index.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub user: Option<&'a User>,
    /// Position in the snapshot's users (None for inline and anonymous users).
    pub id: Option<Id>,
    /// All groups (direct + ancestors), sorted.
    pub groups: Cow<'a, [Id]>,
    pub is_superuser: bool,
}

impl<'a> Actor<'a> {
    pub const ANONYMOUS: Actor<'static> = Actor {
        user: None,
        id: None,
        groups: Cow::Borrowed(&[]),
        is_superuser: false,
    };

    pub fn pk(&self) -> Option<i64> {
        self.user.and_then(|u| u.pk)
    }

    /// Authenticated = a user object exists (Django's AnonymousUser has none).
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    pub fn in_group(&self, g: Id) -> bool {
        self.groups.binary_search(&g).is_ok()
    }

    pub fn snapshot(index: &'a Index, id: Id) -> Actor<'a> {
        Actor {
            user: Some(&index.snap.users[id as usize]),
            id: Some(id),
            groups: Cow::Borrowed(&index.user_groups[id as usize]),
            is_superuser: index.user_is_superuser[id as usize],
        }
    }

    /// An inline user: its groups are resolved through the snapshot's hierarchy; group pks the
    /// snapshot does not know are ignored (no binding can name them).
    pub fn inline(index: &'a Index, user: &'a User) -> Actor<'a> {
        let direct: Vec<Id> = user
            .groups
            .iter()
            .filter_map(|g| index.groups_by_pk.get(g).copied())
            .collect();
        let groups = crate::index::all_groups(&index.group_ancestors, &direct);
        let is_superuser = groups
            .iter()
            .any(|&g| index.snap.groups[g as usize].is_superuser);
        Actor {
            user: Some(user),
            id: None,
            groups: Cow::Owned(groups),
            is_superuser,
        }
    }

    /// Resolves a user reference; unknown pks and usernames are `not_found`.
    pub fn resolve(index: &'a Index, spec: &'a UserSpec, path: &str) -> Result<Actor<'a>> {
        match spec {
            UserSpec::Anonymous => Ok(Actor::ANONYMOUS),
            UserSpec::Pk(pk) => index
                .users_by_pk
                .get(pk)
                .map(|&id| Actor::snapshot(index, id))
                .ok_or_else(|| FlowgateError::not_found(format!("{path}: no user with pk {pk}"))),
            UserSpec::Username(name) => index
                .users_by_username
                .get(name)
                .map(|&id| Actor::snapshot(index, id))
                .ok_or_else(|| FlowgateError::not_found(format!("{path}: no user named '{name}'"))),
            UserSpec::Inline(u) => Ok(Actor::inline(index, u)),
        }
    }
}
