//! Well-known plan context keys (authentik's `PLAN_CONTEXT_*`, flows §1.8) and the pending
//! user: who flow and stage policies are evaluated for.

use crate::error::{FlowgateError, Result};
use crate::index::Index;
use crate::json::Errors;
use crate::request::{Actor, Http, HttpUser, Request, UserSpec, user_spec};
use serde_json::{Map, Value};

pub const PENDING_USER: &str = "pending_user";
pub const IS_SSO: &str = "is_sso";
pub const REDIRECT: &str = "redirect";
pub const APPLICATION: &str = "application";
pub const SOURCE: &str = "source";
pub const OUTPOST: &str = "outpost";
pub const IS_RESTORED: &str = "is_restored";
pub const IS_REDIRECTED: &str = "is_redirected";
pub const PROMPT_DATA: &str = "prompt_data";
pub const AUTH_METHOD: &str = "auth_method";
pub const AUTH_METHOD_ARGS: &str = "auth_method_args";

/// The context's `pending_user` as a user reference: pk, username or an inline user (which
/// may carry `backend`). Missing or null = none (authentik's `context.get` falls back to the
/// request user). `bad` builds the error for a malformed value (the caller knows whether it
/// came from the options or from a plan).
pub fn pending_user(
    context: &Map<String, Value>,
    path: &str,
    bad: fn(&str, String) -> FlowgateError,
) -> Result<Option<UserSpec>> {
    let Some(v) = context.get(PENDING_USER).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let mut errs = Errors::default();
    let spec = user_spec(Some(v), path, &mut errs);
    match errs.list.into_iter().next() {
        Some(e) => Err(bad(&e.path, e.message)),
        None => Ok(Some(spec)),
    }
}

/// The user policies run for: the pending user when there is one, else `fallback`.
pub fn resolve_user<'a>(
    index: &'a Index,
    pending: &'a Option<UserSpec>,
    path: &str,
    fallback: &Actor<'a>,
) -> Result<Actor<'a>> {
    match pending {
        Some(spec) => Actor::resolve(index, spec, path),
        None => Ok(fallback.clone()),
    }
}

/// The browser's user for authentication requirements: `http.user`, which defaults to
/// `user` when the key or the whole `http` is absent (null = anonymous browser).
pub fn http_user(request: &Request) -> (&UserSpec, &'static str) {
    match request.http.as_ref().map(|h: &Http| &h.user) {
        Some(HttpUser::Given(spec)) => (spec, "request.http.user"),
        _ => (&request.user, "request.user"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn pending_user_forms() {
        let bad = FlowgateError::invalid_request;
        assert!(pending_user(&ctx(json!({})), "p", bad).unwrap().is_none());
        assert!(
            pending_user(&ctx(json!({"pending_user": null})), "p", bad)
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            pending_user(&ctx(json!({"pending_user": 3})), "p", bad).unwrap(),
            Some(UserSpec::Pk(3))
        ));
        assert!(matches!(
            pending_user(&ctx(json!({"pending_user": "bob"})), "p", bad).unwrap(),
            Some(UserSpec::Username(ref n)) if n == "bob"
        ));
        match pending_user(
            &ctx(json!({"pending_user": {"username": "x", "backend": "b"}})),
            "p",
            bad,
        )
        .unwrap()
        {
            Some(UserSpec::Inline(u)) => assert_eq!(u.backend.as_deref(), Some("b")),
            other => panic!("expected an inline user, got {other:?}"),
        }
        assert!(pending_user(&ctx(json!({"pending_user": true})), "p", bad).is_err());
        assert!(pending_user(&ctx(json!({"pending_user": {"email": "x"}})), "p", bad).is_err());
    }

    #[test]
    fn http_user_defaults_to_user() {
        let mut r = Request {
            user: UserSpec::Pk(1),
            ..Request::default()
        };
        assert!(matches!(http_user(&r).0, UserSpec::Pk(1)));
        r.http = Some(Http::default());
        assert!(matches!(http_user(&r).0, UserSpec::Pk(1)));
        r.http = Some(Http {
            user: HttpUser::Given(UserSpec::Anonymous),
            ..Http::default()
        });
        assert!(matches!(http_user(&r).0, UserSpec::Anonymous));
    }
}
