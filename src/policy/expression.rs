//! Expression policies (Python). The core build cannot run Python: every run is an execution
//! error with a fixed message (spec §5.9), so the binding's failure_result applies.

use super::{PolicyCtx, PolicyRun};
use crate::error::PathError;
use crate::snapshot::Policy;

pub const UNSUPPORTED: &str = "expression policies are not supported by this build";

#[derive(Debug)]
pub struct Expression {
    pub source: String,
}

impl Expression {
    pub fn compile(p: &Policy) -> Result<Expression, Vec<PathError>> {
        let source = p
            .raw
            .get("expression")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        Ok(Expression { source })
    }

    pub fn run(&self, _ctx: &PolicyCtx<'_>) -> PolicyRun {
        Err(UNSUPPORTED.to_string())
    }
}
