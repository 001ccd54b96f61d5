//! Which authentik models a blueprint entry may name, and what each becomes in the snapshot:
//! flows, stages, bindings, policies, groups, users, applications, entitlements and other
//! bindable objects (`targets`). Everything else is kept only for `!KeyOf`/`!Find`.

use super::store::Object;
use super::value::{Dict, Val};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Flow,
    FlowStageBinding,
    Stage,
    /// A policy; `None` when flowgate has no such policy type.
    Policy(Option<&'static str>),
    PolicyBinding,
    Group,
    User,
    Application,
    Entitlement,
    /// Another bindable object, with its snapshot `kind` (`source`, `notification_rule`…).
    Target(&'static str),
    /// `authentik_blueprints.metaapplyblueprint`.
    MetaApply,
    /// A model with no meaning for evaluation (brands, prompts, providers, mappings…).
    Other,
}

impl ModelKind {
    /// PolicyBindingModels get a pbm uuid; `!KeyOf` hands it to policy bindings.
    pub fn is_pbm(self) -> bool {
        matches!(
            self,
            ModelKind::Flow
                | ModelKind::FlowStageBinding
                | ModelKind::Application
                | ModelKind::Entitlement
                | ModelKind::Target(_)
        )
    }

    /// Flows and flow-stage bindings have their own pk besides the pbm uuid (flows §1.2);
    /// the other PolicyBindingModels use the pbm uuid as their pk.
    pub fn has_own_pk(self) -> bool {
        matches!(self, ModelKind::Flow | ModelKind::FlowStageBinding)
    }
}

/// `app_label.model`, lower-cased (authentik's registry lookup is case-insensitive).
pub fn normalise_model(model: &str) -> Result<String, String> {
    let lower = model.trim().to_lowercase();
    let mut parts = lower.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(app), Some(name), None)
            if app.starts_with("authentik")
                && !name.is_empty()
                && app.len() > "authentik".len() =>
        {
            Ok(lower)
        }
        (Some(_), Some(_), None) => Err(format!("App or model '{model}' does not exist")),
        _ => Err(format!(
            "model '{model}' must be written as <app_label>.<model>, e.g. authentik_flows.flow"
        )),
    }
}

/// Abstract or internal models that authentik refuses in blueprints.
const NOT_ALLOWED: &[&str] = &[
    "authentik_flows.stage",
    "authentik_flows.flowtoken",
    "authentik_policies.policy",
    "authentik_policies.policybindingmodel",
    "authentik_core.propertymapping",
    "authentik_core.source",
    "authentik_core.provider",
    "authentik_core.authenticatedsession",
    "authentik_core.session",
];

/// Models authentik has that flowgate ignores but `!Find` may query (they are never
/// "unknown", just empty unless a blueprint created them).
const KNOWN_OTHER: &[&str] = &[
    "authentik_brands.brand",
    "authentik_core.token",
    "authentik_crypto.certificatekeypair",
    "authentik_blueprints.blueprintinstance",
    "authentik_enterprise.license",
    "authentik_events.notificationtransport",
    "authentik_outposts.outpost",
    "authentik_rbac.role",
    "authentik_stages_prompt.prompt",
    "authentik_stages_invitation.invitation",
    "authentik_providers_oauth2.scopemapping",
];

pub fn classify(model: &str) -> Result<ModelKind, String> {
    let model = normalise_model(model)?;
    if NOT_ALLOWED.contains(&model.as_str()) {
        return Err(format!("Model {model} not allowed"));
    }
    let (app, name) = model.split_once('.').unwrap_or((&model, ""));
    Ok(match model.as_str() {
        "authentik_flows.flow" => ModelKind::Flow,
        "authentik_flows.flowstagebinding" => ModelKind::FlowStageBinding,
        "authentik_policies.policybinding" => ModelKind::PolicyBinding,
        "authentik_core.group" => ModelKind::Group,
        "authentik_core.user" => ModelKind::User,
        "authentik_core.application" => ModelKind::Application,
        "authentik_core.applicationentitlement" => ModelKind::Entitlement,
        "authentik_blueprints.metaapplyblueprint" => ModelKind::MetaApply,
        "authentik_events.notificationrule" => ModelKind::Target("notification_rule"),
        "authentik_providers_rac.endpoint" => ModelKind::Target("rac_endpoint"),
        _ if app.starts_with("authentik_stages_") && name.ends_with("stage") => ModelKind::Stage,
        _ if app.starts_with("authentik_policies_") && name.ends_with("policy") => {
            let mut probe = serde_json::Map::new();
            probe.insert("meta_model_name".into(), Value::String(model.clone()));
            let kind = crate::snapshot::policy_kind(&probe);
            ModelKind::Policy(
                POLICY_TYPES
                    .iter()
                    .find(|t| Some(t.0) == kind.as_deref())
                    .map(|t| t.0),
            )
        }
        _ if app.starts_with("authentik_sources_") && name.ends_with("source") => {
            ModelKind::Target("source")
        }
        _ => ModelKind::Other,
    })
}

/// Policy types flowgate evaluates, with authentik's verbose names (used by the diagram).
const POLICY_TYPES: &[(&str, &str)] = &[
    ("dummy", "Dummy Policy"),
    ("expression", "Expression Policy"),
    ("conditional", "Conditional Policy"),
    ("password_expiry", "Password Expiry Policy"),
    ("reputation", "Reputation Policy"),
    ("geoip", "GeoIP Policy"),
    ("event_matcher", "Event Matcher Policy"),
    ("password", "Password Policy"),
    ("unique_password", "Password Uniqueness Policy"),
];

pub fn policy_verbose_name(kind: &str) -> &'static str {
    POLICY_TYPES
        .iter()
        .find(|t| t.0 == kind)
        .map_or("Policy", |t| t.1)
}

/// Verbose names that do not follow "<Words> Stage".
const STAGE_NAMES: &[(&str, &str)] = &[
    ("authenticator_duo", "Duo Authenticator Setup Stage"),
    ("authenticator_email", "Email Authenticator Setup Stage"),
    (
        "authenticator_endpoint_gdtc",
        "Endpoint Authenticator Google Device Trust Connector Stage",
    ),
    ("authenticator_mobile", "Mobile Authenticator Setup Stage"),
    ("authenticator_sms", "SMS Authenticator Setup Stage"),
    ("authenticator_static", "Static Authenticator Stage"),
    ("authenticator_totp", "TOTP Authenticator Setup Stage"),
    ("authenticator_validate", "Authenticator Validation Stage"),
    (
        "authenticator_webauthn",
        "WebAuthn Authenticator Setup Stage",
    ),
    ("mtls", "Mutual TLS Stage"),
];

/// `(component, verbose_name)` of a stage model: `authentik_stages_user_login.userloginstage`
/// → (`ak-stage-user-login-form`, `User Login Stage`).
pub fn stage_info(model: &str) -> (String, String) {
    let app = model
        .split_once('.')
        .map_or(model, |(a, _)| a)
        .trim_start_matches("authentik_stages_");
    let component = format!("ak-stage-{}-form", app.replace('_', "-"));
    let verbose = STAGE_NAMES
        .iter()
        .find(|s| s.0 == app)
        .map(|s| s.1.to_string())
        .unwrap_or_else(|| {
            let words: Vec<String> = app
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            format!("{} Stage", words.join(" "))
        });
    (component, verbose)
}

/// Can `!Find` query this model (known to flowgate or to authentik)?
pub fn is_queryable(model: &str) -> bool {
    KNOWN_OTHER.contains(&model)
        || NOT_ALLOWED.contains(&model)
        || classify(model).is_ok_and(|k| k != ModelKind::Other)
}

/// Does `obj` belong to the queried model (a base model matches its subclasses)?
pub fn in_family(query: &str, obj: &Object) -> bool {
    match query {
        "authentik_flows.stage" => obj.kind == ModelKind::Stage,
        "authentik_policies.policy" => matches!(obj.kind, ModelKind::Policy(_)),
        "authentik_policies.policybindingmodel" => obj.pbm.is_some(),
        "authentik_core.source" => obj.kind == ModelKind::Target("source"),
        "authentik_core.provider" => {
            obj.model.starts_with("authentik_providers_") && obj.model.ends_with("provider")
        }
        "authentik_core.propertymapping" => obj.model.ends_with("mapping"),
        _ => obj.model == query,
    }
}

/// The model's primary key field name, accepted as an alias of `pk` in lookups.
pub fn pk_field_name(kind: ModelKind) -> Option<&'static str> {
    Some(match kind {
        ModelKind::Flow => "flow_uuid",
        ModelKind::FlowStageBinding => "fsb_uuid",
        ModelKind::Stage => "stage_uuid",
        ModelKind::Policy(_) => "policy_uuid",
        ModelKind::PolicyBinding => "policy_binding_uuid",
        ModelKind::Group => "group_uuid",
        ModelKind::User => "id",
        ModelKind::Application | ModelKind::Entitlement | ModelKind::Target(_) => "pbm_uuid",
        ModelKind::MetaApply | ModelKind::Other => return None,
    })
}

/// Model field defaults, set on creation so `!Find`/`!FindObject` see them as authentik would.
pub fn defaults(kind: ModelKind) -> Dict {
    let b = |k: &str, v: bool| (k.to_string(), Val::Bool(v));
    let s = |k: &str, v: &str| (k.to_string(), Val::str(v));
    match kind {
        ModelKind::Flow => vec![
            s("policy_engine_mode", "any"),
            s("layout", "stacked"),
            b("compatibility_mode", false),
            s("denied_action", "message_continue"),
            s("authentication", "none"),
        ],
        ModelKind::FlowStageBinding => vec![
            s("policy_engine_mode", "any"),
            b("evaluate_on_plan", false),
            b("re_evaluate_policies", true),
            s("invalid_response_action", "retry"),
        ],
        ModelKind::PolicyBinding => vec![
            (String::from("policy"), Val::None),
            (String::from("group"), Val::None),
            (String::from("user"), Val::None),
            b("negate", false),
            b("enabled", true),
            (String::from("timeout"), Val::Int(30)),
            b("failure_result", false),
        ],
        ModelKind::Group => vec![
            b("is_superuser", false),
            (String::from("parent"), Val::None),
            (String::from("attributes"), Val::Dict(Vec::new())),
        ],
        ModelKind::User => vec![
            b("is_active", true),
            s("type", "internal"),
            s("path", "users"),
            (String::from("attributes"), Val::Dict(Vec::new())),
        ],
        ModelKind::Application => vec![
            s("policy_engine_mode", "any"),
            s("group", ""),
            b("open_in_new_tab", false),
            s("meta_launch_url", ""),
            s("meta_description", ""),
            s("meta_publisher", ""),
        ],
        ModelKind::Entitlement => vec![(String::from("attributes"), Val::Dict(Vec::new()))],
        ModelKind::Policy(_) => vec![b("execution_logging", false)],
        ModelKind::Target(_) => vec![s("policy_engine_mode", "any")],
        ModelKind::Stage | ModelKind::MetaApply | ModelKind::Other => Vec::new(),
    }
}

/// The `!Context` default keys (flows §6.1). flowgate has no enterprise license.
pub fn default_context() -> Vec<(String, Val)> {
    let mut rbac: Dict = Vec::new();
    for m in [
        "authentik_flows.flow",
        "authentik_flows.flowstagebinding",
        "authentik_policies.policybinding",
        "authentik_core.group",
        "authentik_core.user",
        "authentik_core.application",
        "authentik_core.applicationentitlement",
    ] {
        if let Some((app, name)) = m.split_once('.') {
            rbac.push((name.to_string(), Val::str(app)));
        }
    }
    vec![
        (
            "goauthentik.io/enterprise/licensed".into(),
            Val::Bool(false),
        ),
        ("goauthentik.io/rbac/models".into(), Val::Dict(rbac)),
    ]
}

/// A JSON object from `(key, value)` pairs.
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("authentik_flows.Flow"), Ok(ModelKind::Flow));
        assert_eq!(
            classify("authentik_stages_identification.identificationstage"),
            Ok(ModelKind::Stage)
        );
        assert_eq!(
            classify("authentik_policies_expression.expressionpolicy"),
            Ok(ModelKind::Policy(Some("expression")))
        );
        assert_eq!(
            classify("authentik_policies_unique_password.uniquepasswordpolicy"),
            Ok(ModelKind::Policy(Some("unique_password")))
        );
        assert_eq!(
            classify("authentik_policies_hibp.haveibeenpwendpolicy"),
            Ok(ModelKind::Policy(None))
        );
        assert_eq!(
            classify("authentik_sources_oauth.oauthsource"),
            Ok(ModelKind::Target("source"))
        );
        assert_eq!(
            classify("authentik_stages_prompt.prompt"),
            Ok(ModelKind::Other)
        );
        assert_eq!(classify("authentik_brands.brand"), Ok(ModelKind::Other));
        assert!(classify("authentik_flows.stage").is_err());
        assert!(classify("django.user").is_err());
        assert!(classify("flow").is_err());
    }

    #[test]
    fn stage_components() {
        assert_eq!(
            stage_info("authentik_stages_identification.identificationstage"),
            (
                "ak-stage-identification-form".into(),
                "Identification Stage".into()
            )
        );
        assert_eq!(
            stage_info("authentik_stages_user_login.userloginstage"),
            ("ak-stage-user-login-form".into(), "User Login Stage".into())
        );
        assert_eq!(
            stage_info("authentik_stages_authenticator_validate.authenticatorvalidatestage"),
            (
                "ak-stage-authenticator-validate-form".into(),
                "Authenticator Validation Stage".into()
            )
        );
    }
}
