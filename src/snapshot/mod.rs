//! The snapshot: serde-free model of the input JSON under authentik's REST names (spec §2).
//! Reading never stops at the first problem: every error is collected with its JSON path.
//! This module knows nothing of evaluation; `index` is built from it.

mod read;

use crate::time::Millis;
use serde_json::{Map, Value};

pub use read::{parse_user, read_event as read_event_pub, read_snapshot};

pub const MODES: &[&str] = &["any", "all"];
// authentik's enumerations (reference flows §1.1, policies §1.7), shared with the blueprint importer.
pub const USER_TYPES: &[&str] = &[
    "internal",
    "external",
    "service_account",
    "internal_service_account",
];
pub const DESIGNATIONS: &[&str] = &[
    "authentication",
    "authorization",
    "invalidation",
    "enrollment",
    "unenrollment",
    "recovery",
    "stage_configuration",
    "account_selection",
];
pub const AUTHENTICATION: &[&str] = &[
    "none",
    "require_authenticated",
    "require_unauthenticated",
    "require_superuser",
    "require_redirect",
    "require_outpost",
    "require_token",
];
pub const DENIED_ACTIONS: &[&str] = &["message_continue", "message", "continue"];
pub const INVALID_RESPONSE_ACTIONS: &[&str] = &["retry", "restart", "restart_with_context"];

/// `policy_engine_mode`: how the results of a target's bindings combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Any,
    All,
}

impl Mode {
    pub fn parse(s: &str) -> Mode {
        if s == "all" { Mode::All } else { Mode::Any }
    }
}

#[derive(Debug, Clone, Default)]
pub struct User {
    /// None for users that exist only in a request (e.g. an identification stage's pending user).
    pub pk: Option<i64>,
    pub username: String,
    pub name: String,
    pub email: String,
    pub is_active: bool,
    pub user_type: String,
    pub groups: Vec<String>,
    pub attributes: Map<String, Value>,
    pub path: String,
    pub last_login: Option<Millis>,
    pub date_joined: Option<Millis>,
    pub password_change_date: Option<Millis>,
    pub authenticator_types: Vec<String>,
    pub has_usable_password: bool,
    /// Django-format password hashes, newest first (unique_password policies).
    pub password_history: Vec<String>,
    /// Inline pending users: the backend that authenticated the user in this flow.
    pub backend: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub pk: String,
    pub name: String,
    pub is_superuser: bool,
    pub parents: Vec<String>,
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub pk: String,
    pub name: String,
    /// Normalised type name (`dummy`, `conditional`, …).
    pub kind: String,
    pub verbose_name: Option<String>,
    /// The whole JSON object: each policy type reads its own fields when compiled.
    pub raw: Map<String, Value>,
    /// JSON path of the policy in the snapshot (`policies[2]`), for compile errors.
    pub path: String,
}

/// What a policy binding binds: exactly one of policy / group / user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Policy(String),
    Group(String),
    User(i64),
}

#[derive(Debug, Clone)]
pub struct Binding {
    /// The binding's pk, or `#<index>` when the snapshot gives none.
    pub pk: String,
    pub target: String,
    pub subject: Subject,
    pub negate: bool,
    pub enabled: bool,
    pub dry_run: bool,
    pub order: i64,
    pub timeout: i64,
    pub failure_result: bool,
    pub expiring: bool,
    pub expires: Option<Millis>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub pk: String,
    pub pbm_uuid: String,
    pub slug: String,
    pub name: String,
    pub title: String,
    pub designation: String,
    pub authentication: String,
    pub denied_action: String,
    pub mode: Mode,
    pub layout: String,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub pk: String,
    pub name: String,
    pub component: String,
    pub meta_model_name: String,
    pub verbose_name: Option<String>,
    /// Opaque stage configuration, kept for the host.
    pub raw: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct FlowStageBinding {
    pub pk: String,
    pub pbm_uuid: String,
    pub target: String,
    pub stage: String,
    pub order: i64,
    pub evaluate_on_plan: bool,
    pub re_evaluate_policies: bool,
    pub invalid_response_action: String,
    pub mode: Mode,
}

#[derive(Debug, Clone)]
pub struct Application {
    pub pk: String,
    pub slug: String,
    pub name: String,
    pub group: String,
    pub provider: Option<Value>,
    pub meta_launch_url: String,
    /// The provider's default launch URL (REST `launch_url`), used when `meta_launch_url` is empty.
    pub launch_url: Option<String>,
    pub open_in_new_tab: bool,
    pub meta_icon: String,
    pub meta_description: String,
    pub meta_publisher: String,
    pub meta_hide: bool,
    pub mode: Mode,
}

#[derive(Debug, Clone)]
pub struct Entitlement {
    pub pbm_uuid: String,
    pub name: String,
    pub app: String,
    pub attributes: Map<String, Value>,
}

/// Any other bindable object (sources, notification rules, devices, RAC endpoints, …).
#[derive(Debug, Clone)]
pub struct Target {
    pub pbm_uuid: String,
    pub kind: String,
    pub name: String,
    pub slug: String,
    pub mode: Mode,
    pub empty_result: Option<bool>,
    /// RAC endpoints: the application that must pass as well.
    pub application: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub action: String,
    pub user: Option<i64>,
    pub created: Option<Millis>,
    pub client_ip: Option<String>,
    pub app: Option<String>,
    pub context: Map<String, Value>,
    pub raw: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Reputation {
    pub ip: Option<String>,
    pub identifier: Option<String>,
    pub score: i64,
}

/// The whole input, validated field by field (cross references are checked by `index`).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub policies: Vec<Policy>,
    pub bindings: Vec<Binding>,
    /// `policy_bindings` or its alias `bindings`, for error paths.
    pub bindings_key: &'static str,
    pub flows: Vec<Flow>,
    pub stages: Vec<Stage>,
    pub flow_stage_bindings: Vec<FlowStageBinding>,
    pub applications: Vec<Application>,
    pub entitlements: Vec<Entitlement>,
    pub targets: Vec<Target>,
    pub events: Vec<Event>,
    pub reputations: Vec<Reputation>,
    /// Sections where objects with errors were dropped: original position of each kept object.
    pub origins: Vec<(String, Vec<usize>)>,
}

impl Snapshot {
    /// Rewrites `section[i]…` (a position among the kept objects) to the original position.
    pub fn original_path(&self, path: &str) -> String {
        for (key, kept) in &self.origins {
            let Some(rest) = path
                .strip_prefix(key.as_str())
                .and_then(|r| r.strip_prefix('['))
            else {
                continue;
            };
            let Some((num, tail)) = rest.split_once(']') else {
                continue;
            };
            if let Some(orig) = num.parse::<usize>().ok().and_then(|i| kept.get(i)) {
                return format!("{key}[{orig}]{tail}");
            }
        }
        path.to_string()
    }
}

/// Normalises a policy type given as `type`, authentik's `meta_model_name` or `component`.
pub fn policy_kind(raw: &Map<String, Value>) -> Option<String> {
    const KINDS: &[(&str, &str, &str)] = &[
        (
            "dummy",
            "authentik_policies_dummy.dummypolicy",
            "ak-policy-dummy-form",
        ),
        (
            "expression",
            "authentik_policies_expression.expressionpolicy",
            "ak-policy-expression-form",
        ),
        (
            "conditional",
            "authentik_policies_conditional.conditionalpolicy",
            "ak-policy-conditional-form",
        ),
        (
            "password_expiry",
            "authentik_policies_expiry.passwordexpirypolicy",
            "ak-policy-password-expiry-form",
        ),
        (
            "reputation",
            "authentik_policies_reputation.reputationpolicy",
            "ak-policy-reputation-form",
        ),
        (
            "geoip",
            "authentik_policies_geoip.geoippolicy",
            "ak-policy-geoip-form",
        ),
        (
            "event_matcher",
            "authentik_policies_event_matcher.eventmatcherpolicy",
            "ak-policy-event-matcher-form",
        ),
        (
            "password",
            "authentik_policies_password.passwordpolicy",
            "ak-policy-password-form",
        ),
        (
            "unique_password",
            "authentik_policies_unique_password.uniquepasswordpolicy",
            "ak-policy-unique-password-form",
        ),
    ];
    let field = |k: &str| raw.get(k).and_then(Value::as_str);
    if let Some(t) = field("type") {
        return KINDS.iter().find(|k| k.0 == t).map(|k| k.0.to_string());
    }
    if let Some(m) = field("meta_model_name") {
        return KINDS.iter().find(|k| k.1 == m).map(|k| k.0.to_string());
    }
    if let Some(c) = field("component") {
        return KINDS.iter().find(|k| k.2 == c).map(|k| k.0.to_string());
    }
    None
}
