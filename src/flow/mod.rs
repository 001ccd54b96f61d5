//! Flows (flows §2–§4, §7.5): the planner, plans as plain JSON (fingerprint, signature),
//! stage-run re-evaluation, invalid responses and the Mermaid diagram.
//! Not implemented yet: every method reports `engine_error`.

use crate::api::Engine;
use crate::error::{ErrorCode, FlowgateError, Result};
use crate::request::Request;
use serde_json::Value;

fn pending() -> FlowgateError {
    FlowgateError::new(
        ErrorCode::EngineError,
        "flows are not implemented in this build yet",
    )
}

impl Engine {
    /// Plans `flow_slug` for the request (options: `{context?, allowEmpty?}`).
    pub fn plan(&self, _flow_slug: &str, _request: &Request, _options: &Value) -> Result<Value> {
        Err(pending())
    }
    /// Re-evaluates the plan's head at stage-run time.
    pub fn next(&self, _plan: &Value, _request: &Request) -> Result<Value> {
        Err(pending())
    }
    /// Pops the current stage.
    pub fn stage_ok(&self, _plan: &Value) -> Result<Value> {
        Err(pending())
    }
    /// Applies the current binding's `invalid_response_action`.
    pub fn stage_invalid(&self, _plan: &Value, _request: &Request) -> Result<Value> {
        Err(pending())
    }
    /// authentik's Mermaid flow diagram.
    pub fn diagram(&self, _flow_slug: &str, _request: Option<&Request>) -> Result<String> {
        Err(pending())
    }
    pub fn sign_plan(&self, _plan: &Value, _key: &[u8]) -> Result<Value> {
        Err(pending())
    }
    pub fn verify_plan(&self, _plan: &Value, _key: &[u8]) -> Result<Value> {
        Err(pending())
    }
}
