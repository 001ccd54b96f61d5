//! Host objects of one run: the user(s), the PolicyRequest, its HTTP request, the flow plan,
//! groups, the bound object, `ak_logger` and the unavailable `requests`. Each is a monty class
//! instance carrying its cheap fields; other attributes and methods come back here, routed by
//! the instance id (an index into this run's registry). Lazily read attributes are never
//! cached by monty, so they always reflect the snapshot.

use super::convert::{self, HostJson, datetime, dict, from_py, map_to_py, opt_int, str, to_py};
use super::{Program, timed_out};
use crate::index::{Id, Index, TargetKind, all_groups};
use crate::policy::expression::host::user_json;
use crate::policy::{Outcome, PolicyCtx, PolicyRun};
use crate::request::{Actor, HttpUser, UserSpec, user_spec};
use crate::snapshot::User;
use monty::{FunctionCall, NameLookup};
use monty_types::{
    DictPairs, ExcType, ExtFunctionResult, MontyClassInstance, MontyClassType, MontyDate,
    MontyException, MontyObject, MontyUuid, NameLookupResult, OsFunctionCall,
};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::time::Duration;

/// Instance ids: "flowgate" in the high bits, the registry index in the low bits.
const ID_BASE: u128 = 0x666c_6f77_6761_7465 << 64;
/// Class ids: a different tag, then the class number.
const CLASS_BASE: u128 = 0x666c_6f77_636c_6173 << 64;

/// What an instance id stands for.
#[derive(Debug, Clone)]
pub(super) enum Obj {
    /// The user the policy is evaluated for (`ctx.user`).
    Actor,
    /// A snapshot user.
    User(Id),
    /// A user given inline (e.g. a pending user in the plan context).
    Inline(Box<User>),
    Anonymous,
    Request,
    Http,
    Plan,
    /// `user.groups`: the direct groups of the user object at this registry index.
    Groups(usize),
    Group(Id),
    /// The bindable object being evaluated (`request.obj`).
    Target(Id),
    Logger,
    /// A server-side facility flowgate does not have (`requests`).
    Unavailable(&'static str),
    /// Data only (e.g. a PolicyResult).
    Plain,
}

/// A user's record and memberships, however the user was given.
pub(super) struct UserView<'u> {
    pub user: &'u User,
    /// All groups: direct ones and their ancestors, sorted.
    pub groups: Cow<'u, [Id]>,
    pub is_superuser: bool,
}

pub(super) type Call = Result<MontyObject, MontyException>;

pub(super) fn exc(t: ExcType, message: impl Into<String>) -> MontyException {
    MontyException::new(t, Some(message.into()))
}

/// The exception of a helper that needs the network or the server.
pub(super) fn unavailable(name: &str) -> MontyException {
    exc(
        ExcType::RuntimeError,
        format!(
            "{name} is not available in flowgate: expression policies run without network or \
             server access"
        ),
    )
}

pub(super) struct Run<'c, 'a> {
    pub ctx: &'c PolicyCtx<'a>,
    pub program: &'c Program,
    objects: Vec<Obj>,
    /// For objects made from a plan context value: that value, which is what they read back
    /// as (an untouched context round-trips unchanged).
    origins: Vec<(usize, Value)>,
    /// `ak_logger` records, for the trace.
    pub logs: Vec<Value>,
}

impl<'c, 'a> Run<'c, 'a> {
    pub fn new(ctx: &'c PolicyCtx<'a>, program: &'c Program) -> Self {
        Run {
            ctx,
            program,
            objects: Vec::new(),
            origins: Vec::new(),
            logs: Vec::new(),
        }
    }

    pub fn index(&self) -> &'a Index {
        self.ctx.index
    }

    fn has_plan(&self) -> bool {
        self.ctx.flow.is_some_and(|f| f.has_plan)
    }

    /// The module's inputs, in `INPUTS` order: request, context, geo, plan, client ip.
    pub fn inputs(&mut self) -> Vec<MontyObject> {
        let mut attrs = vec![("debug", MontyObject::Bool(false))];
        if self.program.mentions("user") {
            attrs.push(("user", self.user_object(Obj::Actor)));
        }
        let request = self.instance("PolicyRequest", Obj::Request, attrs);
        let http = self.ctx.request.http.as_ref();
        let geo: Vec<(&str, MontyObject)> = match http {
            Some(h) => vec![
                (
                    "geoip",
                    h.geoip.as_ref().map_or(MontyObject::None, map_to_py),
                ),
                ("asn", h.asn.as_ref().map_or(MontyObject::None, map_to_py)),
            ],
            None => Vec::new(),
        };
        let ctx = self.ctx;
        let context = ctx.context.borrow();
        let mut pairs = Vec::with_capacity(context.len() + geo.len());
        let (ctx_dict, geo_dict, plan) = if self.has_plan() {
            for (k, v) in context.iter() {
                pairs.push((k.as_str(), self.context_value(k, v)));
            }
            let flow_pk = self
                .ctx
                .flow
                .map(|f| str(&self.index().snap.flows[f.flow as usize].pk))
                .unwrap_or(MontyObject::None);
            let plan = self.instance("FlowPlan", Obj::Plan, vec![("flow_pk", flow_pk)]);
            (pairs, MontyObject::Dict(dict(geo)), plan)
        } else {
            // No plan: one dict, the request context over geoip/asn (authentik's order).
            for (k, v) in geo {
                if !context.contains_key(k) {
                    pairs.push((k, v));
                }
            }
            for (k, v) in context.iter() {
                pairs.push((k.as_str(), self.context_value(k, v)));
            }
            (pairs, MontyObject::None, MontyObject::None)
        };
        let ctx_dict = MontyObject::Dict(dict(ctx_dict));
        // authentik's ClientIPMiddleware answers 255.255.255.255 when it knows no address.
        let client_ip = http.map_or(MontyObject::None, |h| {
            str(h.client_ip.as_deref().unwrap_or("255.255.255.255"))
        });
        vec![request, ctx_dict, geo_dict, plan, client_ip]
    }

    /// Plan context values as authentik holds them: `pending_user` is a User object,
    /// `application` an Application (when the snapshot knows them).
    fn context_value(&mut self, key: &str, v: &Value) -> MontyObject {
        let index = self.index();
        let special = match key {
            "pending_user" => match v {
                Value::Number(_) => crate::json::as_int(v)
                    .and_then(|pk| index.users_by_pk.get(&pk))
                    .map(|&id| Obj::User(id)),
                Value::String(s) => index.users_by_username.get(s).map(|&id| Obj::User(id)),
                Value::Object(_) => {
                    let mut errs = crate::json::Errors::default();
                    match user_spec(Some(v), "pending_user", &mut errs) {
                        UserSpec::Inline(u) if errs.is_empty() => Some(Obj::Inline(u)),
                        _ => None,
                    }
                }
                _ => None,
            },
            "application" => v
                .as_str()
                .and_then(|a| {
                    index
                        .apps_by_pk
                        .get(a)
                        .or_else(|| index.apps_by_slug.get(a))
                })
                .map(|&a| Obj::Target(index.app_targets[a as usize])),
            _ => None,
        };
        let made = match special {
            Some(obj @ (Obj::User(_) | Obj::Inline(_))) => self.user_object(obj),
            Some(obj @ Obj::Target(_)) => self.target_object(obj),
            _ => return to_py(v),
        };
        self.origins.push((self.objects.len() - 1, v.clone()));
        made
    }

    fn register(&mut self, obj: Obj) -> MontyUuid {
        self.objects.push(obj);
        MontyUuid::from_u128(ID_BASE | (self.objects.len() as u128 - 1))
    }

    fn resolve(&self, id: MontyUuid) -> Option<(usize, &Obj)> {
        let v = u128::from_be_bytes(*id.as_bytes());
        if v & !u128::from(u64::MAX) != ID_BASE {
            return None;
        }
        let i = usize::try_from(v as u64).ok()?;
        self.objects.get(i).map(|o| (i, o))
    }

    /// The registry entry of a host instance passed back into a helper.
    pub fn object_of(&self, v: &MontyObject) -> Option<(usize, &Obj)> {
        match v {
            MontyObject::ClassInstance(c) if c.class_type.host_defined => {
                self.resolve(c.instance_id)
            }
            _ => None,
        }
    }

    pub fn instance(
        &mut self,
        class: &str,
        obj: Obj,
        attrs: Vec<(&str, MontyObject)>,
    ) -> MontyObject {
        let instance_id = self.register(obj);
        MontyObject::ClassInstance(Box::new(MontyClassInstance {
            class_type: class_type(class),
            instance_id,
            attrs: dict(attrs),
        }))
    }

    /// The user behind an object, if it is a (non-anonymous) user.
    pub fn user_view<'s>(&'s self, obj: &'s Obj) -> Option<UserView<'s>> {
        let index = self.index();
        match obj {
            Obj::Actor => {
                let a: &Actor<'_> = self.ctx.user;
                a.user.map(|user| UserView {
                    user,
                    groups: Cow::Borrowed(&a.groups),
                    is_superuser: a.is_superuser,
                })
            }
            Obj::User(id) => Some(UserView {
                user: &index.snap.users[*id as usize],
                groups: Cow::Borrowed(&index.user_groups[*id as usize]),
                is_superuser: index.user_is_superuser[*id as usize],
            }),
            Obj::Inline(u) => {
                let direct: Vec<Id> = u
                    .groups
                    .iter()
                    .filter_map(|g| index.groups_by_pk.get(g).copied())
                    .collect();
                let groups = all_groups(&index.group_ancestors, &direct);
                let is_superuser = groups
                    .iter()
                    .any(|&g| index.snap.groups[g as usize].is_superuser);
                Some(UserView {
                    user: u,
                    groups: Cow::Owned(groups),
                    is_superuser,
                })
            }
            _ => None,
        }
    }

    /// A User (or Django's AnonymousUser) object. Only the fields the expression names are
    /// sent along; the others are read lazily (same values, one host call each).
    pub fn user_object(&mut self, obj: Obj) -> MontyObject {
        let program = self.program;
        let (class, names, obj): (&str, &[&str], Obj) = match self.user_view(&obj) {
            Some(_) => ("User", &USER_FIELDS, obj),
            None => ("AnonymousUser", &ANONYMOUS_FIELDS, Obj::Anonymous),
        };
        let view = self.user_view(&obj);
        let attrs: Vec<(&str, MontyObject)> = names
            .iter()
            .filter(|n| program.mentions(n))
            .filter_map(|n| Some((*n, user_field(view.as_ref(), n)?)))
            .collect();
        self.instance(class, obj, attrs)
    }

    fn group_object(&mut self, g: Id) -> MontyObject {
        let group = &self.index().snap.groups[g as usize];
        self.instance(
            "Group",
            Obj::Group(g),
            vec![
                ("pk", str(&group.pk)),
                ("group_uuid", str(&group.pk)),
                ("name", str(&group.name)),
                ("is_superuser", MontyObject::Bool(group.is_superuser)),
                ("attributes", map_to_py(&group.attributes)),
            ],
        )
    }

    pub fn groups_list(&mut self, groups: &[Id]) -> MontyObject {
        MontyObject::List(groups.iter().map(|&g| self.group_object(g)).collect())
    }

    /// `request.obj`: the bindable object with its main fields.
    fn target_object(&mut self, obj: Obj) -> MontyObject {
        let Obj::Target(t) = obj else {
            return MontyObject::None;
        };
        let index = self.index();
        let snap = &index.snap;
        let info = index.target(t);
        let (class, attrs): (&str, Vec<(&str, MontyObject)>) = match info.kind {
            TargetKind::Application(a) => {
                let a = &snap.applications[a as usize];
                (
                    "Application",
                    vec![
                        ("pk", str(&a.pk)),
                        ("pbm_uuid", str(&a.pk)),
                        ("slug", str(&a.slug)),
                        ("name", str(&a.name)),
                        ("group", str(&a.group)),
                        ("meta_launch_url", str(&a.meta_launch_url)),
                        ("meta_description", str(&a.meta_description)),
                        ("meta_publisher", str(&a.meta_publisher)),
                        ("open_in_new_tab", MontyObject::Bool(a.open_in_new_tab)),
                    ],
                )
            }
            TargetKind::Flow(f) => {
                let f = &snap.flows[f as usize];
                (
                    "Flow",
                    vec![
                        ("pk", str(&f.pk)),
                        ("pbm_uuid", str(&f.pbm_uuid)),
                        ("slug", str(&f.slug)),
                        ("name", str(&f.name)),
                        ("title", str(&f.title)),
                        ("designation", str(&f.designation)),
                        ("authentication", str(&f.authentication)),
                        ("denied_action", str(&f.denied_action)),
                        ("layout", str(&f.layout)),
                    ],
                )
            }
            TargetKind::FlowStageBinding(b) => {
                let b = &snap.flow_stage_bindings[b as usize];
                (
                    "FlowStageBinding",
                    vec![
                        ("pk", str(&b.pk)),
                        ("pbm_uuid", str(&b.pbm_uuid)),
                        ("order", MontyObject::Int(b.order)),
                        ("evaluate_on_plan", MontyObject::Bool(b.evaluate_on_plan)),
                        (
                            "re_evaluate_policies",
                            MontyObject::Bool(b.re_evaluate_policies),
                        ),
                        ("invalid_response_action", str(&b.invalid_response_action)),
                    ],
                )
            }
            TargetKind::Entitlement(e) => {
                let e = &snap.entitlements[e as usize];
                (
                    "ApplicationEntitlement",
                    vec![
                        ("pk", str(&e.pbm_uuid)),
                        ("pbm_uuid", str(&e.pbm_uuid)),
                        ("name", str(&e.name)),
                        ("attributes", map_to_py(&e.attributes)),
                    ],
                )
            }
            kind => (
                match kind {
                    TargetKind::Source => "Source",
                    TargetKind::NotificationRule => "NotificationRule",
                    TargetKind::Device => "Device",
                    TargetKind::DeviceGroup => "DeviceAccessGroup",
                    TargetKind::RacEndpoint(_) => "Endpoint",
                    TargetKind::PromptStage => "PromptStage",
                    _ => "PolicyBindingModel",
                },
                vec![
                    ("pk", str(&info.pbm)),
                    ("pbm_uuid", str(&info.pbm)),
                    ("name", str(&info.name)),
                ],
            ),
        };
        self.instance(class, obj, attrs)
    }

    /// `request.http_request`: a Django HttpRequest stand-in.
    fn http_object(&mut self) -> MontyObject {
        let Some(h) = self.ctx.request.http.as_ref() else {
            return MontyObject::None;
        };
        let index = self.index();
        let spec = match &h.user {
            HttpUser::Given(spec) => spec,
            HttpUser::Absent => &self.ctx.request.user,
        };
        let user = match Actor::resolve(index, spec, "http.user") {
            Ok(Actor { id: Some(id), .. }) => Obj::User(id),
            Ok(Actor { user: Some(u), .. }) => Obj::Inline(Box::new(u.clone())),
            _ => Obj::Anonymous,
        };
        let user = self.user_object(user);
        let client_ip = h.client_ip.as_deref().unwrap_or("255.255.255.255");
        let mut meta = vec![("REMOTE_ADDR", str(client_ip))];
        let mut headers = Vec::new();
        if let Some(ua) = &h.user_agent {
            meta.push(("HTTP_USER_AGENT", str(ua)));
            headers.push(("User-Agent", str(ua)));
        }
        let empty = || MontyObject::Dict(DictPairs::default());
        self.instance(
            "HttpRequest",
            Obj::Http,
            vec![
                ("path", str(h.path.as_deref().unwrap_or("/"))),
                ("path_info", str(h.path.as_deref().unwrap_or("/"))),
                ("method", str("GET")),
                ("META", MontyObject::Dict(dict(meta))),
                ("headers", MontyObject::Dict(dict(headers))),
                ("GET", empty()),
                ("POST", empty()),
                ("COOKIES", empty()),
                ("user", user),
            ],
        )
    }

    /// A lazy attribute of a host object (`None` = no such attribute → AttributeError).
    fn attribute(&mut self, i: usize, name: &str) -> Result<Option<MontyObject>, MontyException> {
        let Some(obj) = self.objects.get(i).cloned() else {
            return Ok(None);
        };
        Ok(match (&obj, name) {
            (Obj::Unavailable(what), _) => return Err(unavailable(what)),
            (Obj::Request, "http_request") => Some(self.http_object()),
            (Obj::Request, "obj") => Some(match self.ctx.target {
                Some(t) => self.target_object(Obj::Target(t)),
                None => MontyObject::None,
            }),
            (Obj::Anonymous, "groups" | "ak_groups") => {
                Some(self.instance("ManyRelatedManager", Obj::Groups(i), Vec::new()))
            }
            (Obj::Request, "user") => Some(self.user_object(Obj::Actor)),
            (Obj::Anonymous, _) => user_field(None, name),
            (_, "groups" | "ak_groups") if self.user_view(&obj).is_some() => {
                Some(self.instance("ManyRelatedManager", Obj::Groups(i), Vec::new()))
            }
            (_, _) => match self.user_view(&obj) {
                Some(v) => user_field(Some(&v), name),
                None => None,
            },
        })
    }

    pub fn lookup(&mut self, lookup: &NameLookup) -> NameLookupResult {
        let name = lookup.name.as_str();
        match lookup.object_id() {
            Some(id) => match self.resolve(id) {
                Some((i, _)) => match self.attribute(i, name) {
                    Ok(Some(v)) => NameLookupResult::Value(v),
                    Ok(None) => NameLookupResult::Undefined,
                    Err(e) => NameLookupResult::Error(e),
                },
                None => NameLookupResult::Undefined,
            },
            None => match self.global(name) {
                Some(v) => NameLookupResult::Value(v),
                None => NameLookupResult::Undefined,
            },
        }
    }

    /// Globals provided by the host (authentik's evaluator globals, §4.2).
    fn global(&mut self, name: &str) -> Option<MontyObject> {
        let function = |name: &str| MontyObject::Function {
            name: name.to_string(),
            docstring: None,
        };
        match name {
            "ak_logger" => Some(self.instance("BoundLogger", Obj::Logger, Vec::new())),
            "requests" => Some(self.instance("Session", Obj::Unavailable("requests"), Vec::new())),
            n if super::helpers::FUNCTIONS.contains(&n)
                || super::helpers::UNAVAILABLE.contains(&n) =>
            {
                Some(function(n))
            }
            _ => None,
        }
    }

    pub fn call(&mut self, call: &FunctionCall) -> ExtFunctionResult {
        let result = match call.object_id {
            Some(id) => match self.resolve(id) {
                Some((i, _)) => self.method(i, &call.function_name, &call.args, &call.kwargs),
                None => Err(exc(
                    ExcType::AttributeError,
                    format!("object has no attribute '{}'", call.function_name),
                )),
            },
            None => self.function(&call.function_name, &call.args, &call.kwargs),
        };
        match result {
            Ok(v) => ExtFunctionResult::Return(v),
            Err(e) => ExtFunctionResult::Error(e),
        }
    }

    fn method(
        &mut self,
        i: usize,
        name: &str,
        args: &[MontyObject],
        kwargs: &[(MontyObject, MontyObject)],
    ) -> Call {
        let Some(obj) = self.objects.get(i).cloned() else {
            return Ok(MontyObject::None);
        };
        let no_attr = |class: &str| {
            exc(
                ExcType::AttributeError,
                format!("'{class}' object has no attribute '{name}'"),
            )
        };
        match obj {
            Obj::Unavailable(what) => Err(unavailable(what)),
            Obj::Logger => {
                self.log(name, args, kwargs);
                Ok(MontyObject::None)
            }
            Obj::Groups(owner) => {
                let direct = self.direct_groups(owner);
                self.manager_method(name, &direct, kwargs)
            }
            Obj::Group(g) => match name {
                "is_member" => {
                    let member = args
                        .first()
                        .and_then(|u| self.object_of(u))
                        .and_then(|(_, o)| self.user_view(o))
                        .is_some_and(|v| v.groups.binary_search(&g).is_ok());
                    Ok(MontyObject::Bool(member))
                }
                _ => Err(no_attr("Group")),
            },
            Obj::Anonymous => match name {
                "get_username" => Ok(str("")),
                _ => Err(no_attr("AnonymousUser")),
            },
            Obj::Actor | Obj::User(_) | Obj::Inline(_) => {
                let index = self.index();
                let Some(v) = self.user_view(&obj) else {
                    return Err(no_attr("AnonymousUser"));
                };
                match name {
                    "group_attributes" => Ok(map_to_py(&group_attributes(index, &v))),
                    "has_usable_password" => Ok(MontyObject::Bool(v.user.has_usable_password)),
                    "get_username" => Ok(str(&v.user.username)),
                    "all_groups" => {
                        let mut groups = v.groups.into_owned();
                        groups.sort_by(|a, b| {
                            index.snap.groups[*a as usize]
                                .name
                                .cmp(&index.snap.groups[*b as usize].name)
                        });
                        Ok(self.groups_list(&groups))
                    }
                    _ => Err(no_attr("User")),
                }
            }
            _ => Err(no_attr(class_name(&obj))),
        }
    }

    /// The direct groups of the user object at registry index `owner`.
    fn direct_groups(&self, owner: usize) -> Vec<Id> {
        let index = self.index();
        let Some(v) = self.objects.get(owner).and_then(|o| self.user_view(o)) else {
            return Vec::new();
        };
        v.user
            .groups
            .iter()
            .filter_map(|g| index.groups_by_pk.get(g).copied())
            .collect()
    }

    /// `ak_logger.<level>(event, **kwargs)` → the trace.
    fn log(&mut self, level: &str, args: &[MontyObject], kwargs: &[(MontyObject, MontyObject)]) {
        if !self.ctx.trace {
            return;
        }
        let event = args.first().map_or(String::new(), |a| match a {
            MontyObject::String(s) => s.clone(),
            other => other.to_string(),
        });
        let mut attributes = Map::new();
        for (k, v) in kwargs {
            if let MontyObject::String(k) = k {
                attributes.insert(k.clone(), from_py(v, self, 0));
            }
        }
        let level = match level {
            "warn" => "warning",
            "exception" | "fatal" => "error",
            other => other,
        };
        self.logs.push(json!({
            "log_level": level,
            "logger": "authentik.policies.expression",
            "event": event,
            "attributes": attributes,
        }));
    }

    /// `datetime.now()` is the request's `now`; the OS and the file system are out of reach.
    pub fn os_call(&self, call: &OsFunctionCall) -> ExtFunctionResult {
        let now = self.ctx.request.now;
        match call {
            OsFunctionCall::DateTimeNow(tz) => ExtFunctionResult::Return(match tz {
                Some(tz) => convert::now(now, Some(tz.offset_seconds), tz.name.clone()),
                None => convert::now(now, None, None),
            }),
            OsFunctionCall::DateToday => {
                let (y, m, d) = crate::time::civil_from_days(now.div_euclid(86_400_000));
                ExtFunctionResult::Return(MontyObject::Date(MontyDate {
                    year: i32::try_from(y).unwrap_or(1970),
                    month: m as u8,
                    day: d as u8,
                }))
            }
            OsFunctionCall::Getenv(args) => ExtFunctionResult::Return(args.default.clone()),
            OsFunctionCall::GetEnviron => {
                ExtFunctionResult::Return(MontyObject::Dict(DictPairs::default()))
            }
            _ => ExtFunctionResult::Error(exc(
                ExcType::PermissionError,
                "file system access is not available in expression policies",
            )),
        }
    }

    /// `str(exc)` of an uncaught exception (what authentik reports), made clearer where flowgate
    /// is the reason.
    pub fn error_message(&self, e: &MontyException, timeout: Duration) -> String {
        let message = e.message().unwrap_or_default();
        match e.exc_type() {
            ExcType::TimeoutError if message.starts_with("time limit exceeded") => {
                timed_out(timeout)
            }
            ExcType::ModuleNotFoundError
                if message.contains("'authentik") || message.contains("'django") =>
            {
                format!(
                    "{message} (authentik's and Django's modules are not available in flowgate)"
                )
            }
            // str(KeyError(k)) is repr(k), which the exception's repr holds.
            ExcType::KeyError => e
                .py_repr()
                .strip_prefix("KeyError(")
                .and_then(|r| r.strip_suffix(')'))
                .map_or_else(|| message.to_string(), str::to_string),
            _ => message.to_string(),
        }
    }

    /// Maps `(bool(result), messages, plan context, result)` (policies §4.1) and keeps the plan
    /// context written through `flow_plan.context`.
    pub fn finish(&mut self, value: MontyObject, printed: &str) -> PolicyRun {
        let MontyObject::Tuple(mut parts) = value else {
            return Err("internal error: unexpected expression result".into());
        };
        let result = parts.pop().unwrap_or(MontyObject::None);
        let plan_context = parts.pop().unwrap_or(MontyObject::None);
        let messages = match parts.pop() {
            Some(MontyObject::List(items)) => items
                .into_iter()
                .map(|m| match m {
                    MontyObject::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let passing = matches!(parts.pop(), Some(MontyObject::Bool(true)));
        if self.has_plan()
            && let Some(map) = convert::dict_from_py(&plan_context, self)
        {
            *self.ctx.context.borrow_mut() = map;
        }
        let nodes = self.ctx.trace.then(|| {
            let mut nodes = std::mem::take(&mut self.logs);
            for line in printed.lines() {
                nodes.push(json!({
                    "log_level": "info",
                    "logger": "print",
                    "event": line,
                    "attributes": {},
                }));
            }
            nodes.push(json!({"raw_result": from_py(&result, self, 0)}));
            nodes
        });
        Ok(Outcome {
            passing,
            messages,
            nodes,
        })
    }
}

impl HostJson for Run<'_, '_> {
    /// Users as their pk (inline users as their object), groups and bound objects by pk.
    fn host_json(&self, obj: &MontyObject) -> Option<Value> {
        let (i, o) = self.object_of(obj)?;
        if let Some((_, origin)) = self.origins.iter().find(|(j, _)| *j == i) {
            return Some(origin.clone());
        }
        let index = self.index();
        match o {
            Obj::Actor => self
                .ctx
                .user
                .user
                .map(|u| u.pk.map_or_else(|| user_json(u), Value::from)),
            Obj::User(id) => index.snap.users[*id as usize].pk.map(Value::from),
            Obj::Inline(u) => Some(u.pk.map_or_else(|| user_json(u), Value::from)),
            Obj::Group(g) => Some(index.snap.groups[*g as usize].pk.clone().into()),
            Obj::Target(t) => Some(
                match index.target(*t).kind {
                    TargetKind::Application(a) => index.snap.applications[a as usize].pk.clone(),
                    _ => index.target(*t).pbm.clone(),
                }
                .into(),
            ),
            _ => None,
        }
    }
}

/// The fields of a User object (Django's AbstractUser and authentik's User, as the snapshot
/// has them). `backend` exists only on users a backend authenticated in this flow.
const USER_FIELDS: [&str; 17] = [
    "pk",
    "id",
    "username",
    "name",
    "email",
    "is_active",
    "is_superuser",
    "is_staff",
    "is_authenticated",
    "is_anonymous",
    "type",
    "path",
    "attributes",
    "backend",
    "last_login",
    "date_joined",
    "password_change_date",
];

/// Django's AnonymousUser.
const ANONYMOUS_FIELDS: [&str; 8] = [
    "pk",
    "id",
    "username",
    "is_active",
    "is_superuser",
    "is_staff",
    "is_authenticated",
    "is_anonymous",
];

/// A field of a user (`None` view: the AnonymousUser); `None` = no such attribute.
fn user_field(v: Option<&UserView<'_>>, name: &str) -> Option<MontyObject> {
    let Some(v) = v else {
        return Some(match name {
            "pk" | "id" => MontyObject::None,
            "username" => str(""),
            "is_anonymous" => MontyObject::Bool(true),
            "is_active" | "is_superuser" | "is_staff" | "is_authenticated" => {
                MontyObject::Bool(false)
            }
            _ => return None,
        });
    };
    let u = v.user;
    Some(match name {
        "pk" | "id" => opt_int(u.pk),
        "username" => str(&u.username),
        "name" => str(&u.name),
        "email" => str(&u.email),
        "is_active" => MontyObject::Bool(u.is_active),
        "is_superuser" | "is_staff" => MontyObject::Bool(v.is_superuser),
        "is_authenticated" => MontyObject::Bool(true),
        "is_anonymous" => MontyObject::Bool(false),
        "type" => str(&u.user_type),
        "path" => str(&u.path),
        "attributes" => map_to_py(&u.attributes),
        "backend" => str(u.backend.as_deref()?),
        "last_login" => datetime(u.last_login),
        "date_joined" => datetime(u.date_joined),
        "password_change_date" => datetime(u.password_change_date),
        _ => return None,
    })
}

fn class_name(obj: &Obj) -> &'static str {
    match obj {
        Obj::Request => "PolicyRequest",
        Obj::Http => "HttpRequest",
        Obj::Plan => "FlowPlan",
        Obj::Logger => "BoundLogger",
        Obj::Groups(_) => "ManyRelatedManager",
        Obj::Group(_) => "Group",
        Obj::Target(_) => "Model",
        Obj::Anonymous => "AnonymousUser",
        Obj::Unavailable(_) => "Session",
        Obj::Plain => "PolicyResult",
        Obj::Actor | Obj::User(_) | Obj::Inline(_) => "User",
    }
}

/// One class object per class name (ids derived from the name, so equal names share it).
fn class_type(name: &str) -> MontyClassType {
    let id = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b)));
    MontyClassType {
        name: name.to_string(),
        id: MontyUuid::from_u128(CLASS_BASE | u128::from(id)),
        host_defined: true,
        is_dataclass: false,
        attrs: DictPairs::default(),
    }
}

/// `User.group_attributes()` (policies §1.7): the attributes of every group (ancestors
/// included) ordered by name, then the user's own, deep-merged (dicts merged, lists
/// concatenated, other values replaced). No brand here: flowgate has no brands.
pub(super) fn group_attributes(index: &Index, v: &UserView<'_>) -> Map<String, Value> {
    let mut groups: Vec<Id> = v.groups.to_vec();
    groups.sort_by(|a, b| {
        index.snap.groups[*a as usize]
            .name
            .cmp(&index.snap.groups[*b as usize].name)
    });
    let mut out = Map::new();
    for g in groups {
        deep_merge(&mut out, &index.snap.groups[g as usize].attributes);
    }
    deep_merge(&mut out, &v.user.attributes);
    out
}

fn deep_merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (Some(Value::Array(a)), Value::Array(b)) => a.extend(b.iter().cloned()),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}
