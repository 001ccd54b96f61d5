//! flowgate: authentik's policy-binding engine and flow planner, as a pure-Rust core with a
//! thin WebAssembly binding (`wasm`, compiled only for wasm32).
//!
//! Data flows snapshot → index → engine → answers:
//! * [`snapshot`] reads the JSON snapshot (authentik's REST names) and collects every error;
//! * [`index`] builds the immutable, interned model once per [`Engine`];
//! * [`engine`] combines a target's bindings; [`policy`] holds one module per policy type;
//! * [`api::Engine`] is the Rust API every JS method forwards to.

pub mod access;
pub mod api;
pub mod blueprint;
pub mod engine;
pub mod error;
pub mod fingerprint;
pub mod flow;
pub mod index;
pub mod json;
pub mod limits;
pub mod policy;
pub mod python;
pub mod request;
pub mod snapshot;
pub mod sort;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use api::{Engine, Stats};
pub use engine::{BindingTrace, PolicyResult};
pub use error::{ErrorCode, FlowgateError, PathError};
pub use limits::Limits;
pub use request::{Request, UserSpec};

/// The crate version (`version` in JS).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
