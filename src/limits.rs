//! Resource limits (spec §4 `limits`): defaults fit a 128 MB worker; hosts may override them.
//! Exceeding one is `FlowgateError` code `limit_exceeded` naming the limit.

use crate::error::{FlowgateError, Result};
use crate::snapshot::Snapshot;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Snapshot JSON text size in bytes.
    pub max_snapshot_bytes: usize,
    /// JSON nesting depth of the snapshot (serde_json also stops at 128 while parsing text).
    pub max_depth: usize,
    /// Objects per snapshot section (users, bindings, …).
    pub max_objects: usize,
    /// Length of any string in the snapshot.
    pub max_string_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_snapshot_bytes: 32 * 1024 * 1024,
            max_depth: 64,
            max_objects: 500_000,
            max_string_length: 1024 * 1024,
        }
    }
}

impl Limits {
    /// Applies `{ max_snapshot_bytes?, max_depth?, max_objects?, max_string_length? }`.
    pub fn apply_overrides(&mut self, given: &Value) -> Result<()> {
        let Value::Object(map) = given else {
            return Err(FlowgateError::invalid_request(
                "options.limits",
                "expected an object",
            ));
        };
        for (key, v) in map {
            let n = v
                .as_u64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
                .ok_or_else(|| {
                    FlowgateError::invalid_request(
                        &format!("options.limits.{key}"),
                        "expected a non-negative integer",
                    )
                })?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            match key.as_str() {
                "max_snapshot_bytes" | "maxSnapshotBytes" => self.max_snapshot_bytes = n,
                "max_depth" | "maxDepth" => self.max_depth = n,
                "max_objects" | "maxObjects" => self.max_objects = n,
                "max_string_length" | "maxStringLength" => self.max_string_length = n,
                _ => {
                    return Err(FlowgateError::invalid_request(
                        &format!("options.limits.{key}"),
                        "unknown limit",
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn check_snapshot_text(&self, text: &str) -> Result<()> {
        if text.len() > self.max_snapshot_bytes {
            return Err(FlowgateError::limit(
                "max_snapshot_bytes",
                format!(
                    "the snapshot is {} bytes, the limit is {}",
                    text.len(),
                    self.max_snapshot_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Depth and string lengths, walked iteratively (no recursion on untrusted depth).
    pub fn check_document(&self, doc: &Value) -> Result<()> {
        let mut stack: Vec<(&Value, usize)> = vec![(doc, 1)];
        while let Some((v, depth)) = stack.pop() {
            match v {
                Value::Array(items) => {
                    if depth > self.max_depth {
                        return Err(too_deep(self.max_depth));
                    }
                    stack.extend(items.iter().map(|i| (i, depth + 1)));
                }
                Value::Object(map) => {
                    if depth > self.max_depth {
                        return Err(too_deep(self.max_depth));
                    }
                    for (k, i) in map {
                        self.check_string(k)?;
                        stack.push((i, depth + 1));
                    }
                }
                Value::String(s) => self.check_string(s)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn check_string(&self, s: &str) -> Result<()> {
        if s.len() > self.max_string_length {
            return Err(FlowgateError::limit(
                "max_string_length",
                format!(
                    "a string of {} bytes, the limit is {}",
                    s.len(),
                    self.max_string_length
                ),
            ));
        }
        Ok(())
    }

    pub fn check_counts(&self, snap: &Snapshot) -> Result<()> {
        let counts = [
            ("users", snap.users.len()),
            ("groups", snap.groups.len()),
            ("policies", snap.policies.len()),
            ("policy_bindings", snap.bindings.len()),
            ("flows", snap.flows.len()),
            ("stages", snap.stages.len()),
            ("flow_stage_bindings", snap.flow_stage_bindings.len()),
            ("applications", snap.applications.len()),
            ("application_entitlements", snap.entitlements.len()),
            ("targets", snap.targets.len()),
            ("events", snap.events.len()),
            ("reputations", snap.reputations.len()),
        ];
        for (section, n) in counts {
            if n > self.max_objects {
                return Err(FlowgateError::limit(
                    "max_objects",
                    format!(
                        "{section} has {n} objects, the limit is {}",
                        self.max_objects
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn too_deep(max: usize) -> FlowgateError {
    FlowgateError::limit(
        "max_depth",
        format!("the snapshot is nested deeper than {max} levels"),
    )
}
