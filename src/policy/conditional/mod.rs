//! Conditional policies (policies §5): not implemented yet in this build; running one is an
//! execution error (→ failure_result).

use super::{PolicyCtx, PolicyRun, unsupported};
use crate::error::PathError;
use crate::index::Index;
use crate::snapshot::Policy;

#[derive(Debug)]
pub struct Conditional;

impl Conditional {
    pub fn compile(_p: &Policy, _index: &Index) -> Result<Conditional, Vec<PathError>> {
        Ok(Conditional)
    }

    pub fn run(&self, _ctx: &PolicyCtx<'_>) -> PolicyRun {
        Err(unsupported("conditional"))
    }
}

pub fn check_snapshot(_index: &Index) -> Vec<PathError> {
    Vec::new()
}

/// `validateConditional(actions)` → `{valid, errors: {path: [messages]}}` for editors.
pub fn validate(_actions: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({"valid": false, "errors": {"actions": ["conditional policies are not supported by this build yet"]}})
}
