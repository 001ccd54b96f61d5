//! authentik blueprints (flows §6) → a flowgate snapshot (`blueprintsToSnapshot`).
//!
//! * [`yaml`] builds a node tree from saphyr-parser events, typing scalars like PyYAML;
//! * [`tags`] checks and resolves the custom tags (`!KeyOf`, `!Find`, `!Format`…);
//! * [`importer`] applies the entries in order into [`store`] (authentik's importer);
//! * [`fields`] validates entry data per model, [`models`] knows the models;
//! * [`emit`] writes the snapshot, which is then loaded once to be sure it is valid.
//!
//! Behind the `blueprint` cargo feature: in the blueprint module (the core plus this importer,
//! loaded only by hosts that import blueprints, docs/packaging.md) and the python build, not in
//! the core module.
//!
//! Decisions (where authentik's database-backed importer has no edge equivalent):
//! * The files are applied in order to an empty instance; `!Find` sees the objects of earlier
//!   files and entries, `!KeyOf` only the earlier entries of its own file (as in authentik).
//!   A meta-apply entry applies the named file (by `metadata.name`) at that point, once.
//! * Objects without a pk get a deterministic one: a name-based UUID (SHA-256, version 8) of
//!   model + identifiers; users the next integer. Flows and flow-stage bindings also get a
//!   separate pbm uuid, as in authentik, which `!KeyOf` hands to policy bindings.
//! * Policy bindings may also name a flow or flow-stage binding by its own pk (authentik
//!   needs the pbm uuid).
//! * Models without meaning for evaluation (brands, prompts, providers, mappings, tokens…)
//!   are kept for `!KeyOf`/`!Find` but left out of the snapshot with a warning. A policy of a
//!   type flowgate does not know is left out too, and so are its bindings (warned: the target
//!   is then evaluated without that binding).
//! * A prompt stage's `validation_policies` become a `prompt_stage` target (mode all) with
//!   one binding per policy, so the host can evaluate the prompt validation.
//! * `!File` is an error (no file system); `!Env` reads only the `env` option.
//! * Every problem is collected (authentik stops at the first invalid entry); the produced
//!   snapshot is loaded once, and its errors are reported at the entry that wrote the object.
//! * Plain scalars are typed like PyYAML (YAML 1.1: `yes` is true, `010` is 8, `1e3` is a
//!   string); timestamps stay strings.

#[cfg(feature = "blueprint")]
mod emit;
#[cfg(feature = "blueprint")]
mod fields;
#[cfg(feature = "blueprint")]
mod importer;
#[cfg(feature = "blueprint")]
mod models;
#[cfg(feature = "blueprint")]
mod pyfmt;
#[cfg(feature = "blueprint")]
mod store;
#[cfg(feature = "blueprint")]
mod tags;
#[cfg(all(test, feature = "blueprint"))]
mod tests;
#[cfg(feature = "blueprint")]
mod value;
#[cfg(feature = "blueprint")]
mod yaml;

use crate::error::Result;
use serde::Serialize;
use serde_json::Value;

/// `{snapshot, warnings}`: the snapshot loads in `Engine` as is.
#[derive(Debug, Clone, Serialize)]
pub struct BlueprintImport {
    pub snapshot: Value,
    pub warnings: Vec<BlueprintWarning>,
}

/// A non-fatal remark about one entry (a skipped model, a dropped binding…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlueprintWarning {
    /// Index of the blueprint in the input list.
    pub file: usize,
    /// Index of the entry in that blueprint (sectioned `entries` counted in order).
    pub entry: usize,
    pub message: String,
}

#[cfg(feature = "blueprint")]
/// All blueprint texts together, in bytes.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// `blueprintsToSnapshot(yamlTexts, {context?, env?})`: imports the blueprints in order, as
/// authentik would apply them to an empty instance, and returns the resulting snapshot.
/// `env` is the only source of `!Env` values (never the host environment).
#[cfg(feature = "blueprint")]
pub fn blueprints_to_snapshot(texts: &[String], options: &Value) -> Result<BlueprintImport> {
    use crate::error::{ErrorCode, FlowgateError, PathError};
    use crate::json::Errors;

    let total: usize = texts.iter().map(String::len).sum();
    if total > MAX_TEXT_BYTES {
        return Err(FlowgateError::limit(
            "max_blueprint_bytes",
            format!("blueprints are {total} bytes, more than {MAX_TEXT_BYTES}"),
        ));
    }
    let options = read_options(options)?;
    let mut imp = importer::Importer::new(texts, &options);
    imp.run();
    // Document order: by file (a meta-applied file runs in the middle of another one).
    crate::sort::sort_vec_by(&mut imp.errors, |a, b| {
        file_of(&a.path).cmp(&file_of(&b.path))
    });
    if !imp.errors.is_empty() {
        return Err(FlowgateError::with_errors(
            ErrorCode::InvalidBlueprint,
            "invalid blueprint",
            imp.errors,
        ));
    }
    let emitted = emit::emit(&imp.store);
    // The snapshot must load: problems only the engine sees (e.g. a conditional policy that
    // does not compile) are reported at the entry that wrote the object.
    let mut errs = Errors::default();
    let snap = crate::snapshot::read_snapshot(&emitted.snapshot, &mut errs);
    let mut list = errs.list;
    if let Err(more) = crate::index::Index::build(snap) {
        list.extend(more);
    }
    if !list.is_empty() {
        let errors = list
            .into_iter()
            .map(|e| PathError {
                path: emit::blueprint_path(&emitted.origins, &e.path)
                    .unwrap_or_else(|| format!("snapshot.{}", e.path)),
                message: e.message,
            })
            .collect();
        return Err(FlowgateError::with_errors(
            ErrorCode::InvalidBlueprint,
            "invalid blueprint",
            errors,
        ));
    }
    let mut warnings: Vec<importer::Warning> =
        imp.warnings.into_iter().chain(emitted.warnings).collect();
    crate::sort::sort_vec_by(&mut warnings, |a, b| {
        (a.file, a.entry).cmp(&(b.file, b.entry))
    });
    let warnings = warnings
        .into_iter()
        .map(|w| BlueprintWarning {
            file: w.file,
            entry: w.entry,
            message: w.message,
        })
        .collect();
    Ok(BlueprintImport {
        snapshot: emitted.snapshot,
        warnings,
    })
}

/// Nesting depth of a JSON value, without recursion (the value may come from anywhere).
#[cfg(feature = "blueprint")]
fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// The file index of a `file[3]…` path.
#[cfg(feature = "blueprint")]
fn file_of(path: &str) -> usize {
    path.strip_prefix("file[")
        .and_then(|p| p.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

#[cfg(not(feature = "blueprint"))]
pub fn blueprints_to_snapshot(_texts: &[String], _options: &Value) -> Result<BlueprintImport> {
    Err(crate::error::FlowgateError::new(
        crate::error::ErrorCode::EngineError,
        "blueprint import is not part of this build (cargo feature `blueprint`)",
    ))
}

#[cfg(feature = "blueprint")]
fn read_options(options: &Value) -> Result<importer::Options> {
    use crate::error::FlowgateError;
    let mut out = importer::Options::default();
    let map = match options {
        Value::Null => return Ok(out),
        Value::Object(m) => m,
        _ => {
            return Err(FlowgateError::invalid_request(
                "options",
                "expected an object",
            ));
        }
    };
    match map.get("context") {
        None | Some(Value::Null) => {}
        Some(v) if depth(v) > yaml::MAX_DEPTH => {
            return Err(FlowgateError::invalid_request(
                "options.context",
                format!("nested deeper than {} levels", yaml::MAX_DEPTH),
            ));
        }
        Some(v @ Value::Object(_)) => {
            if let value::Val::Dict(d) = value::Val::from_json(v) {
                out.context = d;
            }
        }
        Some(_) => {
            return Err(FlowgateError::invalid_request(
                "options.context",
                "expected an object",
            ));
        }
    }
    match map.get("env") {
        None | Some(Value::Null) => {}
        Some(Value::Object(env)) => {
            for (k, v) in env {
                match v {
                    Value::String(s) => {
                        out.env.insert(k.clone(), s.clone());
                    }
                    _ => {
                        return Err(FlowgateError::invalid_request(
                            &format!("options.env.{k}"),
                            "expected a string",
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(FlowgateError::invalid_request(
                "options.env",
                "expected an object",
            ));
        }
    }
    Ok(out)
}
