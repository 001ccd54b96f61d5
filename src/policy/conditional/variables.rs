//! The variable and setter registry (policies §5.6): keys, types, parameters, the facts each
//! needs, and how each resolves from what flowgate knows about a request.
//!
//! Where the values come from:
//! * `user.*`: the evaluated user (`PolicyCtx.user`). As in authentik, a user without pk (or
//!   pk 0, or named `AnonymousUser`) is anonymous: its attributes are missing, `user.groups` is
//!   empty and `user.is_active` / `user.is_authenticated` are false.
//! * `user.can_change_*`: the user's attributes, then its groups' (later group names win, as in
//!   `group_attributes`); flowgate has no tenant defaults, so otherwise missing.
//! * `application.*`: the target, when it is an application (blank values are missing).
//! * `request.*`: `request.http` (client IP, user agent, browser user, `geoip`, `asn`; GeoIP and
//!   ASN fall back to the context keys `geoip` / `asn`).
//! * `event.*`: `request.event`.
//! * `flow.*`: the target flow, or the flow of the target flow-stage binding; for `testPolicy`
//!   (no target) the flow being executed, if any.
//! * `plan.*`, `prompt_data`, `invitation.*`, `device.*`, `oauth.*`: the policy context (in flows,
//!   the plan context) under authentik's keys (`is_sso`, `is_restored`, `pending_user`,
//!   `is_redirected`, `application`, `source`, `auth_method`, `auth_method_args`, `prompt_data`,
//!   `invitation_in_effect`, `invitation.fixed_data`, `device.name` / `device.facts`,
//!   `oauth_scopes`, `oauth_grant_type`, `oauth_response_type`, `oauth_redirect_uri`,
//!   `oauth_jwt`). `device.name` of a device target is the target's name.
//!
//! Variables that need server data flowgate does not have always evaluate as missing:
//! `prompt_data.email_in_use` (a user database query), `plan.user_switch_target_last_used`
//! (sessions). `user.attributes` has no well-known parameters (authentik loads them from its
//! ObjectAttribute table), so its values must be cast.

use super::types::{Kind, Raw, Scalar, VType, truthy};
use crate::index::{Index, TargetKind};
use crate::policy::PolicyCtx;
use crate::request::{HttpUser, UserSpec};
use crate::snapshot::{Flow, USER_TYPES, User};
use serde_json::{Map, Value};

/// Facts a policy request can carry (bit set).
pub mod fact {
    pub const USER: u16 = 1;
    pub const HTTP_REQUEST: u16 = 1 << 1;
    pub const APPLICATION: u16 = 1 << 2;
    pub const FLOW_PLAN: u16 = 1 << 3;
    pub const PROMPT_DATA: u16 = 1 << 4;
    pub const EVENT: u16 = 1 << 5;
    pub const DEVICE: u16 = 1 << 6;
    pub const OAUTH_AUTHORIZE: u16 = 1 << 7;
    pub const OAUTH_TOKEN: u16 = 1 << 8;
    pub const ALL: u16 = (1 << 9) - 1;
}

/// The facts available to policies bound to a target of this kind (authentik's scenarios;
/// anything else gets user + HTTP request). `None`: `testPolicy`, every fact.
pub fn facts_for(kind: Option<TargetKind>) -> u16 {
    use fact::*;
    let Some(kind) = kind else { return ALL };
    match kind {
        TargetKind::Application(_) => {
            USER | HTTP_REQUEST | APPLICATION | OAUTH_AUTHORIZE | OAUTH_TOKEN
        }
        TargetKind::Flow(_) | TargetKind::FlowStageBinding(_) => {
            USER | HTTP_REQUEST | FLOW_PLAN | PROMPT_DATA
        }
        TargetKind::PromptStage => USER | HTTP_REQUEST | PROMPT_DATA,
        TargetKind::NotificationRule => USER | EVENT,
        TargetKind::Device => USER | HTTP_REQUEST | DEVICE,
        _ => USER | HTTP_REQUEST,
    }
}

/// authentik's verbose name of a target's model, for target-validation errors.
pub fn verbose_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Application(_) => "Application",
        TargetKind::Entitlement(_) => "Application Entitlement",
        TargetKind::Flow(_) => "Flow",
        TargetKind::FlowStageBinding(_) => "Flow Stage Binding",
        TargetKind::Source => "Source",
        TargetKind::NotificationRule => "Notification Rule",
        TargetKind::Device => "Device",
        TargetKind::DeviceGroup => "Device Access Group",
        TargetKind::RacEndpoint(_) => "RAC Endpoint",
        TargetKind::PromptStage => "Prompt Stage",
        TargetKind::Generic => "Policy Binding Model",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    None,
    /// Dotted path into a JSON structure.
    Path,
    /// A key, for example a prompt field key.
    Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarId {
    UserId,
    UserUsername,
    UserName,
    UserEmail,
    UserType,
    UserPath,
    UserDateJoined,
    UserLastLogin,
    UserIsActive,
    UserIsAuthenticated,
    UserHasUsablePassword,
    UserGroups,
    UserAttributes,
    UserCanChange(&'static str),
    UserAuthenticatorTypes,
    AppSlug,
    AppName,
    AppGroup,
    AppMetaPublisher,
    RequestClientIp,
    RequestUserAgent,
    RequestUser,
    GeoIp(&'static str),
    Asn(&'static str),
    EventAction,
    EventApp,
    EventModelApp,
    EventModelName,
    EventClientIp,
    EventCreated,
    EventContext,
    FlowSlug,
    FlowDesignation,
    PlanIsSso,
    PlanIsRestored,
    PlanPendingUserAuthenticated,
    PlanIsRedirected,
    PlanApplication,
    PlanSource,
    PlanContext,
    PlanUserSwitchActive,
    PlanUserSwitchTargetLastUsed,
    PlanAuthMethod,
    PlanAuthMethodArgs,
    PromptData,
    PromptDataEmailInUse,
    InvitationInEffect,
    InvitationFixedData,
    DeviceName,
    DeviceFacts,
    /// A context key holding the value as is.
    ContextKey(&'static str),
    /// A dotted path into the context key's value.
    ContextPath(&'static str),
}

#[derive(Debug)]
pub struct VarDef {
    pub key: &'static str,
    pub id: VarId,
    pub ty: VType,
    pub param: ParamKind,
    pub requires: u16,
}

const FLOW_DESIGNATIONS: &[&str] = &[
    "authentication",
    "authorization",
    "invalidation",
    "enrollment",
    "unenrollment",
    "recovery",
    "stage_configuration",
];
const EVENT_ACTIONS: &[&str] = &[
    "login",
    "login_failed",
    "logout",
    "user_write",
    "suspicious_request",
    "password_set",
    "secret_view",
    "secret_rotate",
    "invitation_used",
    "authorize_application",
    "source_linked",
    "impersonation_started",
    "impersonation_ended",
    "flow_execution",
    "policy_execution",
    "policy_exception",
    "property_mapping_exception",
    "system_task_execution",
    "system_task_exception",
    "system_exception",
    "configuration_error",
    "model_created",
    "model_updated",
    "model_deleted",
    "email_sent",
    "update_available",
    "custom_",
];

const GROUP: Scalar = Scalar {
    kind: Kind::Model,
    model: Some("authentik_core.group"),
    choices: &[],
};

macro_rules! var {
    ($key:expr, $id:expr, $ty:expr, $requires:expr) => {
        var!($key, $id, $ty, $requires, ParamKind::None)
    };
    ($key:expr, $id:expr, $ty:expr, $requires:expr, $param:expr) => {
        VarDef {
            key: $key,
            id: $id,
            ty: $ty,
            param: $param,
            requires: $requires,
        }
    };
}

use VarId::*;
use fact::*;

pub static VARIABLES: &[VarDef] = &[
    var!("user.id", UserId, VType::model("authentik_core.user"), USER),
    var!("user.username", UserUsername, VType::STRING, USER),
    var!("user.name", UserName, VType::STRING, USER),
    var!("user.email", UserEmail, VType::STRING, USER),
    var!("user.type", UserType, VType::choices(USER_TYPES), USER),
    var!("user.path", UserPath, VType::STRING, USER),
    var!("user.date_joined", UserDateJoined, VType::DATETIME, USER),
    var!("user.last_login", UserLastLogin, VType::DATETIME, USER),
    var!("user.is_active", UserIsActive, VType::BOOLEAN, USER),
    var!(
        "user.is_authenticated",
        UserIsAuthenticated,
        VType::BOOLEAN,
        USER
    ),
    var!(
        "user.has_usable_password",
        UserHasUsablePassword,
        VType::BOOLEAN,
        USER
    ),
    var!("user.groups", UserGroups, VType::List(Some(GROUP)), USER),
    var!(
        "user.attributes",
        UserAttributes,
        VType::ANY,
        USER,
        ParamKind::Path
    ),
    var!(
        "user.can_change_email",
        UserCanChange("goauthentik.io/user/can-change-email"),
        VType::BOOLEAN,
        HTTP_REQUEST
    ),
    var!(
        "user.can_change_name",
        UserCanChange("goauthentik.io/user/can-change-name"),
        VType::BOOLEAN,
        HTTP_REQUEST
    ),
    var!(
        "user.can_change_username",
        UserCanChange("goauthentik.io/user/can-change-username"),
        VType::BOOLEAN,
        HTTP_REQUEST
    ),
    var!(
        "user.authenticator_types",
        UserAuthenticatorTypes,
        VType::List(Some(Scalar::of(Kind::String))),
        USER
    ),
    var!("application.slug", AppSlug, VType::STRING, APPLICATION),
    var!("application.name", AppName, VType::STRING, APPLICATION),
    var!("application.group", AppGroup, VType::STRING, APPLICATION),
    var!(
        "application.meta_publisher",
        AppMetaPublisher,
        VType::STRING,
        APPLICATION
    ),
    var!(
        "request.client_ip",
        RequestClientIp,
        VType::IP,
        HTTP_REQUEST
    ),
    var!(
        "request.user_agent",
        RequestUserAgent,
        VType::STRING,
        HTTP_REQUEST
    ),
    var!(
        "request.user",
        RequestUser,
        VType::model("authentik_core.user"),
        HTTP_REQUEST
    ),
    var!(
        "request.geoip.country",
        GeoIp("country"),
        VType::STRING,
        HTTP_REQUEST
    ),
    var!(
        "request.geoip.continent",
        GeoIp("continent"),
        VType::STRING,
        HTTP_REQUEST
    ),
    var!(
        "request.geoip.city",
        GeoIp("city"),
        VType::STRING,
        HTTP_REQUEST
    ),
    var!("request.asn.asn", Asn("asn"), VType::NUMBER, HTTP_REQUEST),
    var!(
        "request.asn.as_org",
        Asn("as_org"),
        VType::STRING,
        HTTP_REQUEST
    ),
    var!(
        "event.action",
        EventAction,
        VType::choices(EVENT_ACTIONS),
        EVENT
    ),
    var!("event.app", EventApp, VType::STRING, EVENT),
    var!("event.model.app", EventModelApp, VType::STRING, EVENT),
    var!("event.model.name", EventModelName, VType::STRING, EVENT),
    var!("event.client_ip", EventClientIp, VType::IP, EVENT),
    var!("event.created", EventCreated, VType::DATETIME, EVENT),
    var!(
        "event.context",
        EventContext,
        VType::ANY,
        EVENT,
        ParamKind::Path
    ),
    var!("flow.slug", FlowSlug, VType::STRING, FLOW_PLAN),
    var!(
        "flow.designation",
        FlowDesignation,
        VType::choices(FLOW_DESIGNATIONS),
        FLOW_PLAN
    ),
    var!("plan.is_sso", PlanIsSso, VType::BOOLEAN, FLOW_PLAN),
    var!(
        "plan.is_restored",
        PlanIsRestored,
        VType::BOOLEAN,
        FLOW_PLAN
    ),
    var!(
        "plan.pending_user_authenticated",
        PlanPendingUserAuthenticated,
        VType::BOOLEAN,
        FLOW_PLAN
    ),
    var!(
        "plan.is_redirected",
        PlanIsRedirected,
        VType::BOOLEAN,
        FLOW_PLAN
    ),
    var!(
        "plan.application",
        PlanApplication,
        VType::model("authentik_core.application"),
        FLOW_PLAN
    ),
    var!(
        "plan.source",
        PlanSource,
        VType::model("authentik_core.source"),
        FLOW_PLAN
    ),
    var!(
        "plan.context",
        PlanContext,
        VType::ANY,
        FLOW_PLAN,
        ParamKind::Key
    ),
    var!(
        "plan.user_switch_active",
        PlanUserSwitchActive,
        VType::BOOLEAN,
        FLOW_PLAN
    ),
    var!(
        "plan.user_switch_target_last_used",
        PlanUserSwitchTargetLastUsed,
        VType::DATETIME,
        FLOW_PLAN
    ),
    var!("plan.auth_method", PlanAuthMethod, VType::STRING, FLOW_PLAN),
    var!(
        "plan.auth_method_args",
        PlanAuthMethodArgs,
        VType::ANY,
        FLOW_PLAN,
        ParamKind::Path
    ),
    var!(
        "prompt_data",
        PromptData,
        VType::ANY,
        PROMPT_DATA,
        ParamKind::Key
    ),
    var!(
        "prompt_data.email_in_use",
        PromptDataEmailInUse,
        VType::BOOLEAN,
        PROMPT_DATA,
        ParamKind::Key
    ),
    var!(
        "invitation.in_effect",
        InvitationInEffect,
        VType::BOOLEAN,
        FLOW_PLAN
    ),
    var!(
        "invitation.fixed_data",
        InvitationFixedData,
        VType::ANY,
        FLOW_PLAN,
        ParamKind::Path
    ),
    var!("device.name", DeviceName, VType::STRING, DEVICE | FLOW_PLAN),
    var!(
        "device.facts",
        DeviceFacts,
        VType::ANY,
        DEVICE | FLOW_PLAN,
        ParamKind::Path
    ),
    var!(
        "oauth.scopes",
        ContextKey("oauth_scopes"),
        VType::List(Some(Scalar::of(Kind::String))),
        OAUTH_AUTHORIZE | OAUTH_TOKEN
    ),
    var!(
        "oauth.grant_type",
        ContextKey("oauth_grant_type"),
        VType::STRING,
        OAUTH_AUTHORIZE | OAUTH_TOKEN
    ),
    var!(
        "oauth.response_type",
        ContextKey("oauth_response_type"),
        VType::STRING,
        OAUTH_AUTHORIZE | OAUTH_TOKEN
    ),
    var!(
        "oauth.redirect_uri",
        ContextKey("oauth_redirect_uri"),
        VType::STRING,
        OAUTH_AUTHORIZE | OAUTH_TOKEN
    ),
    var!(
        "oauth.jwt",
        ContextPath("oauth_jwt"),
        VType::ANY,
        OAUTH_TOKEN,
        ParamKind::Path
    ),
];

pub fn variable(key: &str) -> Option<&'static VarDef> {
    VARIABLES.iter().find(|v| v.key == key)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetterId {
    /// `plan.context[key]`.
    PlanContext,
    /// `prompt_data[key]`.
    PromptData,
    /// A fixed plan context key.
    ContextKey(&'static str),
}

#[derive(Debug)]
pub struct SetterDef {
    pub key: &'static str,
    pub id: SetterId,
    pub ty: VType,
    pub param: ParamKind,
    pub requires: u16,
}

pub static SETTERS: &[SetterDef] = &[
    SetterDef {
        key: "plan.context",
        id: SetterId::PlanContext,
        ty: VType::ANY,
        param: ParamKind::Key,
        requires: FLOW_PLAN,
    },
    SetterDef {
        key: "prompt_data",
        id: SetterId::PromptData,
        ty: VType::ANY,
        param: ParamKind::Key,
        requires: FLOW_PLAN | PROMPT_DATA,
    },
    SetterDef {
        key: "plan.email_override",
        id: SetterId::ContextKey("email"),
        ty: VType::STRING,
        param: ParamKind::None,
        requires: FLOW_PLAN,
    },
    SetterDef {
        key: "plan.consent_header",
        id: SetterId::ContextKey("consent_header"),
        ty: VType::STRING,
        param: ParamKind::None,
        requires: FLOW_PLAN,
    },
];

pub fn setter(key: &str) -> Option<&'static SetterDef> {
    SETTERS.iter().find(|s| s.key == key)
}

/// The user as authentik's conditional variables see it: None when anonymous.
fn user<'b>(ctx: &PolicyCtx<'b>) -> Option<&'b User> {
    let u = ctx.user.user?;
    match u.pk {
        None | Some(0) => None,
        Some(_) if u.username == "AnonymousUser" => None,
        Some(_) => Some(u),
    }
}

/// `dig` / `get_path_from_dict`: a dotted walk through objects.
pub fn dig<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut walk = root;
    for comp in path.split('.') {
        walk = walk.as_object()?.get(comp)?;
    }
    Some(walk)
}

fn dig_map<'v>(root: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let (first, rest) = match path.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (path, None),
    };
    let v = root.get(first)?;
    match rest {
        Some(rest) => dig(v, rest),
        None => Some(v),
    }
}

fn nonblank(s: &str) -> Option<Raw<'_>> {
    (!s.is_empty()).then_some(Raw::Str(s))
}

fn flow_of<'b>(ctx: &PolicyCtx<'b>) -> Option<&'b Flow> {
    let index: &'b Index = ctx.index;
    let id = match ctx.target.map(|t| index.target(t).kind) {
        Some(TargetKind::Flow(f)) => Some(f),
        Some(TargetKind::FlowStageBinding(b)) => {
            let target = &index.snap.flow_stage_bindings.get(b as usize)?.target;
            index
                .flows_by_pk
                .get(target)
                .or_else(|| index.flows_by_slug.get(target))
                .copied()
        }
        Some(_) => None,
        None => ctx.flow.map(|f| f.flow),
    }?;
    index.snap.flows.get(id as usize)
}

fn application<'b>(ctx: &PolicyCtx<'b>) -> Option<&'b crate::snapshot::Application> {
    let index: &'b Index = ctx.index;
    match ctx.target.map(|t| index.target(t).kind) {
        Some(TargetKind::Application(a)) => index.snap.applications.get(a as usize),
        _ => None,
    }
}

fn user_spec_pk(index: &Index, spec: &UserSpec) -> Option<i64> {
    match spec {
        UserSpec::Anonymous => None,
        UserSpec::Pk(pk) => Some(*pk),
        UserSpec::Username(name) => index
            .users_by_username
            .get(name)
            .and_then(|&id| index.snap.users.get(id as usize))
            .and_then(|u| u.pk),
        UserSpec::Inline(u) => u.pk,
    }
}

/// `group_attributes(request).get(key)`: the user's own attribute, else the value of the
/// group whose name sorts last among the user's groups that set it.
fn group_attribute<'b>(ctx: &PolicyCtx<'b>, u: &'b User, key: &str) -> Option<&'b Value> {
    if let Some(v) = u.attributes.get(key) {
        return Some(v);
    }
    let index: &'b Index = ctx.index;
    let groups: &'b [crate::index::Id] = &ctx.user.groups;
    groups
        .iter()
        .filter_map(|&g| index.snap.groups.get(g as usize))
        .filter_map(|g| g.attributes.get(key).map(|v| (&g.name, v)))
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(_, v)| v)
}

/// The raw value of a variable, None when missing. JSON null counts as missing.
pub fn resolve<'b>(
    def: &VarDef,
    param: Option<&str>,
    ctx: &PolicyCtx<'b>,
    cmap: &'b Map<String, Value>,
) -> Option<Raw<'b>> {
    let raw = resolve_raw(def.id, param.unwrap_or_default(), ctx, cmap)?;
    match raw {
        Raw::Json(Value::Null) => None,
        other => Some(other),
    }
}

fn resolve_raw<'b>(
    id: VarId,
    param: &str,
    ctx: &PolicyCtx<'b>,
    cmap: &'b Map<String, Value>,
) -> Option<Raw<'b>> {
    let request = ctx.request;
    let http = request.http.as_ref();
    let event = request.event.as_ref();
    match id {
        UserId => user(ctx)?.pk.map(Raw::Int),
        UserUsername => Some(Raw::Str(&user(ctx)?.username)),
        UserName => Some(Raw::Str(&user(ctx)?.name)),
        UserEmail => Some(Raw::Str(&user(ctx)?.email)),
        UserType => Some(Raw::Str(&user(ctx)?.user_type)),
        UserPath => Some(Raw::Str(&user(ctx)?.path)),
        UserDateJoined => user(ctx)?.date_joined.map(Raw::Time),
        UserLastLogin => user(ctx)?.last_login.map(Raw::Time),
        UserIsActive => Some(Raw::Bool(user(ctx).is_some_and(|u| u.is_active))),
        UserIsAuthenticated => Some(Raw::Bool(user(ctx).is_some())),
        UserHasUsablePassword => Some(Raw::Bool(user(ctx)?.has_usable_password)),
        UserGroups => Some(Raw::Groups(match user(ctx) {
            Some(_) => {
                let actor: &'b crate::request::Actor<'b> = ctx.user;
                &actor.groups
            }
            None => &[],
        })),
        UserAttributes => dig_map(&user(ctx)?.attributes, param).map(Raw::Json),
        UserCanChange(key) => {
            http?;
            let u = user(ctx)?;
            group_attribute(ctx, u, key).map(Raw::Json)
        }
        UserAuthenticatorTypes => Some(Raw::StrList(match user(ctx) {
            Some(u) => &u.authenticator_types,
            None => &[],
        })),
        AppSlug => nonblank(&application(ctx)?.slug),
        AppName => nonblank(&application(ctx)?.name),
        AppGroup => nonblank(&application(ctx)?.group),
        AppMetaPublisher => nonblank(&application(ctx)?.meta_publisher),
        RequestClientIp => http?.client_ip.as_deref().map(Raw::Str),
        RequestUserAgent => http?.user_agent.as_deref().map(Raw::Str),
        RequestUser => {
            let spec = match &http?.user {
                HttpUser::Absent => &request.user,
                HttpUser::Given(spec) => spec,
            };
            user_spec_pk(ctx.index, spec).map(Raw::Int)
        }
        GeoIp(key) => http
            .and_then(|h| h.geoip.as_ref())
            .or_else(|| cmap.get("geoip").and_then(Value::as_object))?
            .get(key)
            .map(Raw::Json),
        Asn(key) => http
            .and_then(|h| h.asn.as_ref())
            .or_else(|| cmap.get("asn").and_then(Value::as_object))?
            .get(key)
            .map(Raw::Json),
        EventAction => Some(Raw::Str(&event?.action)),
        EventApp => event?.app.as_deref().map(Raw::Str),
        EventModelApp => dig_map(&event?.context, "model.app").map(Raw::Json),
        EventModelName => dig_map(&event?.context, "model.model_name").map(Raw::Json),
        EventClientIp => event?.client_ip.as_deref().and_then(nonblank),
        EventCreated => event?.created.map(Raw::Time),
        EventContext => dig_map(&event?.context, param).map(Raw::Json),
        FlowSlug => Some(Raw::Str(&flow_of(ctx)?.slug)),
        FlowDesignation => Some(Raw::Str(&flow_of(ctx)?.designation)),
        PlanIsSso => Some(cmap.get("is_sso").map_or(Raw::Bool(false), Raw::Json)),
        PlanIsRestored => cmap.get("is_restored").map(|v| Raw::Bool(truthy(v))),
        PlanPendingUserAuthenticated => Some(Raw::Bool(
            cmap.get("pending_user")
                .and_then(Value::as_object)
                .and_then(|u| u.get("backend"))
                .is_some_and(|b| !b.is_null()),
        )),
        PlanIsRedirected => Some(Raw::Bool(cmap.get("is_redirected").is_some_and(truthy))),
        PlanApplication => {
            let key = cmap.get("application")?.as_str()?;
            let index: &'b Index = ctx.index;
            let id = index
                .apps_by_pk
                .get(key)
                .or_else(|| index.apps_by_slug.get(key))?;
            Some(Raw::Str(&index.snap.applications.get(*id as usize)?.pk))
        }
        PlanSource => {
            let key = cmap.get("source")?.as_str()?;
            let t = *ctx.index.targets_by_pbm.get(key)?;
            matches!(ctx.index.target(t).kind, TargetKind::Source).then_some(Raw::Str(key))
        }
        PlanContext => cmap.get(param).map(Raw::Json),
        PlanUserSwitchActive => Some(Raw::Bool(
            cmap.get("user_switch_from_user").is_some_and(truthy),
        )),
        PlanUserSwitchTargetLastUsed | PromptDataEmailInUse => None,
        PlanAuthMethod => cmap.get("auth_method").map(Raw::Json),
        PlanAuthMethodArgs => dig(cmap.get("auth_method_args")?, param).map(Raw::Json),
        PromptData => cmap
            .get("prompt_data")?
            .as_object()?
            .get(param)
            .map(Raw::Json),
        InvitationInEffect => Some(Raw::Bool(
            cmap.get("invitation_in_effect").is_some_and(truthy),
        )),
        InvitationFixedData => {
            dig(cmap.get("invitation")?.get("fixed_data")?, param).map(Raw::Json)
        }
        DeviceName => match ctx.target.map(|t| ctx.index.target(t)) {
            Some(t) if t.kind == TargetKind::Device => Some(Raw::Str(&t.name)),
            _ => cmap.get("device")?.get("name").map(Raw::Json),
        },
        DeviceFacts => dig(cmap.get("device")?.get("facts")?, param).map(Raw::Json),
        ContextKey(key) => cmap.get(key).map(Raw::Json),
        ContextPath(key) => dig(cmap.get(key)?, param).map(Raw::Json),
    }
}
