//! The plan as plain JSON (spec §4 `Plan`, authentik's `FlowPlan`, flows §1.7) and the checks a
//! plan coming back from a client must pass. Reading is two-phase: `RawPlan::read` checks JSON
//! types only (so a signature can be checked before anything else), `RawPlan::resolve` checks
//! the fingerprint (`stale_plan`) and then every reference against the index (`invalid_plan`).
//! Resolving costs one hash lookup per binding: nothing walks the snapshot.

use crate::error::{ErrorCode, FlowgateError, PathError, Result};
use crate::index::{Id, Index};
use crate::json::type_name;
use serde::Serialize;
use serde_json::{Map, Value};

/// What happens when a binding becomes the current stage (authentik's StageMarker classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Marker {
    /// `ReevaluateMarker`: the binding's policies run again at stage-run time.
    Reevaluate,
    /// Plain `StageMarker`: the stage is kept as planned.
    None,
}

impl Marker {
    pub fn as_str(self) -> &'static str {
        match self {
            Marker::Reevaluate => "reevaluate",
            Marker::None => "none",
        }
    }

    fn parse(s: &str) -> Option<Marker> {
        match s {
            "reevaluate" => Some(Marker::Reevaluate),
            "none" => Some(Marker::None),
            _ => None,
        }
    }
}

/// The JSON form handed to clients (spec §4). Field order is the output order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub flow_pk: String,
    pub flow_slug: String,
    /// Flow-stage binding pks; the head is the current stage.
    pub bindings: Vec<String>,
    pub markers: Vec<Marker>,
    pub context: Map<String, Value>,
    /// Fingerprint of the snapshot the plan was made on.
    pub fingerprint: String,
    /// HMAC-SHA256 (hex) from `signPlan`; dropped by every call that changes the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A plan whose JSON types are right; references not checked yet.
#[derive(Debug, Clone)]
pub struct RawPlan {
    pub flow_pk: String,
    pub flow_slug: String,
    pub bindings: Vec<String>,
    pub markers: Vec<Marker>,
    pub context: Map<String, Value>,
    pub fingerprint: String,
    pub signature: Option<String>,
}

/// A plan resolved against the index: what the planner and the stage run work on.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePlan {
    pub flow: Id,
    /// Flow-stage binding ids, parallel to `markers`.
    pub bindings: Vec<Id>,
    pub markers: Vec<Marker>,
    pub context: Map<String, Value>,
}

/// `invalid_plan` naming the offending place of the plan.
pub fn invalid(path: &str, message: impl Into<String>) -> FlowgateError {
    let message = message.into();
    FlowgateError {
        code: ErrorCode::InvalidPlan,
        message: format!("invalid plan: {path}: {message}"),
        errors: vec![PathError {
            path: path.to_string(),
            message,
        }],
    }
}

fn string_field(o: &Map<String, Value>, key: &str) -> Result<String> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(invalid(&format!("plan.{key}"), "is required")),
        Some(other) => Err(invalid(
            &format!("plan.{key}"),
            format!("expected a string, got {}", type_name(other)),
        )),
    }
}

fn array_field<'v>(o: &'v Map<String, Value>, key: &str) -> Result<&'v [Value]> {
    match o.get(key) {
        Some(Value::Array(a)) => Ok(a),
        None => Err(invalid(&format!("plan.{key}"), "is required")),
        Some(other) => Err(invalid(
            &format!("plan.{key}"),
            format!("expected an array, got {}", type_name(other)),
        )),
    }
}

/// The flow a flow-stage binding belongs to, resolved as the index does (pk, then slug): one
/// hash lookup, so checking a plan never scans a flow's bindings.
fn binding_flow(index: &Index, fsb: Id) -> Option<Id> {
    let target = &index.snap.flow_stage_bindings[fsb as usize].target;
    index
        .flows_by_pk
        .get(target)
        .or_else(|| index.flows_by_slug.get(target))
        .copied()
}

impl RawPlan {
    /// Checks the JSON shape of a plan; unknown keys are ignored.
    pub fn read(v: &Value) -> Result<RawPlan> {
        let Value::Object(o) = v else {
            return Err(invalid(
                "plan",
                format!("expected an object, got {}", type_name(v)),
            ));
        };
        let flow_pk = string_field(o, "flow_pk")?;
        let flow_slug = string_field(o, "flow_slug")?;
        let mut bindings = Vec::new();
        for (i, b) in array_field(o, "bindings")?.iter().enumerate() {
            match b {
                Value::String(s) => bindings.push(s.clone()),
                other => {
                    return Err(invalid(
                        &format!("plan.bindings[{i}]"),
                        format!("expected a binding pk (string), got {}", type_name(other)),
                    ));
                }
            }
        }
        let mut markers = Vec::new();
        for (i, m) in array_field(o, "markers")?.iter().enumerate() {
            match m.as_str().and_then(Marker::parse) {
                Some(m) => markers.push(m),
                None => {
                    return Err(invalid(
                        &format!("plan.markers[{i}]"),
                        "expected \"reevaluate\" or \"none\"",
                    ));
                }
            }
        }
        if bindings.len() != markers.len() {
            return Err(invalid(
                "plan.markers",
                format!(
                    "{} markers for {} bindings (the lists are parallel)",
                    markers.len(),
                    bindings.len()
                ),
            ));
        }
        let context = match o.get("context") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(invalid(
                    "plan.context",
                    format!("expected an object, got {}", type_name(other)),
                ));
            }
        };
        let fingerprint = string_field(o, "fingerprint")?;
        let signature = match o.get("signature") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(invalid(
                    "plan.signature",
                    format!("expected a string, got {}", type_name(other)),
                ));
            }
        };
        Ok(RawPlan {
            flow_pk,
            flow_slug,
            bindings,
            markers,
            context,
            fingerprint,
            signature,
        })
    }

    /// The fingerprint first (a plan from another snapshot may name objects this one lacks:
    /// that is `stale_plan`, not tampering), then the flow and every binding.
    pub fn resolve(self, index: &Index, fingerprint: &str) -> Result<LivePlan> {
        if self.fingerprint != fingerprint {
            return Err(FlowgateError::new(
                ErrorCode::StalePlan,
                "the plan was made on another snapshot (fingerprint mismatch)",
            ));
        }
        let flow = *index
            .flows_by_pk
            .get(&self.flow_pk)
            .ok_or_else(|| invalid("plan.flow_pk", format!("unknown flow '{}'", self.flow_pk)))?;
        if index.snap.flows[flow as usize].slug != self.flow_slug {
            return Err(invalid(
                "plan.flow_slug",
                format!("'{}' is not the slug of flow_pk", self.flow_slug),
            ));
        }
        let mut bindings = Vec::with_capacity(self.bindings.len());
        for (i, pk) in self.bindings.iter().enumerate() {
            match index.fsb_by_pk.get(pk) {
                Some(&b) if binding_flow(index, b) == Some(flow) => bindings.push(b),
                Some(_) => {
                    return Err(invalid(
                        &format!("plan.bindings[{i}]"),
                        format!("binding '{pk}' belongs to another flow"),
                    ));
                }
                None => {
                    return Err(invalid(
                        &format!("plan.bindings[{i}]"),
                        format!("unknown flow-stage binding '{pk}'"),
                    ));
                }
            }
        }
        Ok(LivePlan {
            flow,
            bindings,
            markers: self.markers,
            context: self.context,
        })
    }

    /// The fields a signature covers, as a JSON object (see `sign`).
    pub fn signed_fields(&self) -> Value {
        let mut o = Map::new();
        o.insert("flow_pk".into(), Value::String(self.flow_pk.clone()));
        o.insert("flow_slug".into(), Value::String(self.flow_slug.clone()));
        o.insert(
            "bindings".into(),
            Value::Array(self.bindings.iter().cloned().map(Value::String).collect()),
        );
        o.insert(
            "markers".into(),
            Value::Array(
                self.markers
                    .iter()
                    .map(|m| Value::String(m.as_str().to_string()))
                    .collect(),
            ),
        );
        o.insert("context".into(), Value::Object(self.context.clone()));
        o.insert(
            "fingerprint".into(),
            Value::String(self.fingerprint.clone()),
        );
        Value::Object(o)
    }
}

impl LivePlan {
    pub fn head(&self) -> Option<Id> {
        self.bindings.first().copied()
    }

    /// Drops the first `n` stages (authentik's `FlowPlan.pop`, n times).
    pub fn pop(&mut self, n: usize) {
        let n = n.min(self.bindings.len());
        self.bindings.drain(..n);
        self.markers.drain(..n.min(self.markers.len()));
    }

    /// The JSON form (unsigned: any change invalidates a signature).
    pub fn into_plan(self, index: &Index, fingerprint: &str) -> Plan {
        let flow = &index.snap.flows[self.flow as usize];
        Plan {
            flow_pk: flow.pk.clone(),
            flow_slug: flow.slug.clone(),
            bindings: self
                .bindings
                .iter()
                .map(|&b| index.snap.flow_stage_bindings[b as usize].pk.clone())
                .collect(),
            markers: self.markers,
            context: self.context,
            fingerprint: fingerprint.to_string(),
            signature: None,
        }
    }
}

impl Plan {
    /// Back to the checked-types form (for signing a plan this engine produced).
    pub fn to_raw(&self) -> RawPlan {
        RawPlan {
            flow_pk: self.flow_pk.clone(),
            flow_slug: self.flow_slug.clone(),
            bindings: self.bindings.clone(),
            markers: self.markers.clone(),
            context: self.context.clone(),
            fingerprint: self.fingerprint.clone(),
            signature: self.signature.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan_json() -> Value {
        json!({"flow_pk": "f", "flow_slug": "s", "bindings": ["a", "b"],
               "markers": ["reevaluate", "none"], "context": {"x": 1}, "fingerprint": "fp"})
    }

    #[test]
    fn reads_a_well_formed_plan() {
        let raw = RawPlan::read(&plan_json()).unwrap();
        assert_eq!(raw.bindings, vec!["a", "b"]);
        assert_eq!(raw.markers, vec![Marker::Reevaluate, Marker::None]);
        assert_eq!(raw.context.get("x"), Some(&json!(1)));
        assert_eq!(raw.signature, None);
    }

    #[test]
    fn missing_context_is_empty() {
        let mut v = plan_json();
        v.as_object_mut().unwrap().remove("context");
        assert!(RawPlan::read(&v).unwrap().context.is_empty());
    }

    #[test]
    fn rejects_wrong_shapes() {
        let cases = [
            ("bindings", json!("a")),
            ("bindings", json!([1])),
            ("markers", json!(["reevaluate"])),
            ("markers", json!(["sometimes", "none"])),
            ("context", json!("x")),
            ("fingerprint", json!(3)),
            ("flow_pk", Value::Null),
            ("signature", json!(false)),
        ];
        for (key, value) in cases {
            let mut v = plan_json();
            v.as_object_mut().unwrap().insert(key.into(), value.clone());
            let e = RawPlan::read(&v).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPlan, "{key} = {value}");
        }
        assert_eq!(
            RawPlan::read(&json!([])).unwrap_err().code,
            ErrorCode::InvalidPlan
        );
        let mut v = plan_json();
        v.as_object_mut().unwrap().remove("markers");
        assert_eq!(RawPlan::read(&v).unwrap_err().code, ErrorCode::InvalidPlan);
    }
}
