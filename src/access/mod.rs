//! Applications and entitlements (policies §6): access checks, the user's application list
//! with launch URLs, granted entitlements. Not implemented yet: every method reports
//! `engine_error`.

use crate::api::Engine;
use crate::engine::PolicyResult;
use crate::error::{ErrorCode, FlowgateError, Result};
use crate::request::Request;
use serde_json::Value;

fn pending() -> FlowgateError {
    FlowgateError::new(
        ErrorCode::EngineError,
        "applications are not implemented in this build yet",
    )
}

impl Engine {
    pub fn check_access(
        &self,
        _app_slug: &str,
        _request: &Request,
        _trace: bool,
    ) -> Result<PolicyResult> {
        Err(pending())
    }
    /// options: `{onlyWithLaunchUrl?, includeHidden?}`.
    pub fn applications(&self, _request: &Request, _options: &Value) -> Result<Value> {
        Err(pending())
    }
    pub fn entitlements(&self, _app_slug: &str, _request: &Request) -> Result<Value> {
        Err(pending())
    }
}
