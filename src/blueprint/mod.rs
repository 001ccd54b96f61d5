//! authentik blueprints (flows §6) → snapshot. Not implemented yet.

use crate::error::{ErrorCode, FlowgateError, Result};
use serde_json::Value;

/// `blueprintsToSnapshot(yamlTexts, {context?, env?})` → `{snapshot, warnings}`.
pub fn blueprints_to_snapshot(_texts: &[String], _options: &Value) -> Result<Value> {
    Err(FlowgateError::new(
        ErrorCode::EngineError,
        "blueprint import is not implemented in this build yet",
    ))
}
