//! `FlowgateError`: one error type for every failure, with a stable `code` and, for invalid
//! input, the JSON path of every problem found (collected, never first-error-only).

use serde::Serialize;
use std::fmt;

/// Stable error codes (spec §4). The strings are part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidSnapshot,
    InvalidRequest,
    NotFound,
    InvalidPlan,
    StalePlan,
    LimitExceeded,
    InvalidBlueprint,
    EngineError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidSnapshot => "invalid_snapshot",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidPlan => "invalid_plan",
            ErrorCode::StalePlan => "stale_plan",
            ErrorCode::LimitExceeded => "limit_exceeded",
            ErrorCode::InvalidBlueprint => "invalid_blueprint",
            ErrorCode::EngineError => "engine_error",
        }
    }
}

/// One problem at one place of the input, e.g. `policy_bindings[3].group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowgateError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PathError>,
}

impl FlowgateError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        FlowgateError {
            code,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// An error summarising several path errors (the message names the first few).
    pub fn with_errors(code: ErrorCode, what: &str, errors: Vec<PathError>) -> Self {
        let mut message = format!("{what}: {} error(s)", errors.len());
        for e in errors.iter().take(3) {
            message.push_str(&format!("; {}: {}", e.path, e.message));
        }
        if errors.len() > 3 {
            message.push_str("; …");
        }
        FlowgateError {
            code,
            message,
            errors,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn invalid_request(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        FlowgateError {
            code: ErrorCode::InvalidRequest,
            message: format!("invalid request: {path}: {message}"),
            errors: vec![PathError {
                path: path.to_string(),
                message,
            }],
        }
    }

    pub fn invalid_plan(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidPlan, message)
    }

    pub fn limit(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        FlowgateError {
            code: ErrorCode::LimitExceeded,
            message: format!("limit '{name}' exceeded: {message}"),
            errors: vec![PathError {
                path: name.to_string(),
                message,
            }],
        }
    }
}

impl fmt::Display for FlowgateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for FlowgateError {}

pub type Result<T, E = FlowgateError> = std::result::Result<T, E>;
