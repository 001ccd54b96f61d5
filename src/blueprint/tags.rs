//! authentik's custom YAML tags (flows §6.3): their shapes, checked when a file is loaded,
//! and their resolution against the objects imported so far.
//!
//! One deliberate difference: authentik resolves a tag argument only when the argument itself
//! is a tag, so a tag nested in a literal list argument (`!Format ["%s", [!Context x]]`) would
//! reach the output unresolved; flowgate resolves every nested tag.

use super::pyfmt;
use super::store::Store;
use super::value::{Dict, Val, deep_merge, dict_get};
use super::yaml::{Kind, Node};
use std::collections::HashMap;

/// Tag nesting during resolution (a `!Context` value may refer to itself).
const MAX_RESOLVE_DEPTH: usize = 100;
/// Values produced per resolution (bounds `!Enumerate` blow-ups).
const MAX_RESOLVE_STEPS: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Tag {
    KeyOf(String),
    /// `!Find` (pk) and `!FindObject` (`object`: the serialized object).
    Find {
        model: Node,
        conditions: Vec<(Node, Node)>,
        object: bool,
    },
    Context {
        key: Node,
        default: Node,
    },
    Env {
        key: Node,
        default: Node,
    },
    File {
        path: Node,
    },
    Format {
        format: Node,
        args: Vec<Node>,
    },
    If {
        condition: Node,
        when_true: Node,
        when_false: Node,
    },
    Condition {
        mode: Node,
        args: Vec<Node>,
    },
    Enumerate {
        iterable: Node,
        output: Node,
        body: Node,
    },
    Index(i64),
    Value(i64),
    AtIndex {
        obj: Node,
        key: Node,
        default: Option<Node>,
    },
    ParseJson(String),
}

/// Replaces every `Kind::Tagged` in `node` by a checked `Kind::Tag`; shape problems are
/// reported with their path and line (authentik's loader rejects the file for them).
pub fn construct_all(node: &mut Node, path: &str, errors: &mut Vec<(String, String)>) {
    match &mut node.kind {
        Kind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                construct_all(item, &format!("{path}[{i}]"), errors);
            }
        }
        Kind::Map(pairs) => {
            for (k, v) in pairs.iter_mut() {
                construct_all(v, &format!("{path}.{k}"), errors);
            }
        }
        Kind::Tagged(name, inner) => {
            let name = std::mem::take(name);
            let mut inner = std::mem::replace(
                inner.as_mut(),
                Node::new(Kind::Scalar(Val::None), node.line),
            );
            construct_all(&mut inner, path, errors);
            match construct(&name, inner) {
                Ok(tag) => node.kind = Kind::Tag(Box::new(tag)),
                Err(message) => {
                    errors.push((path.to_string(), format!("line {}: {message}", node.line)));
                    node.kind = Kind::Scalar(Val::None);
                }
            }
        }
        Kind::Scalar(_) | Kind::Tag(_) => {}
    }
}

fn null(line: usize) -> Node {
    Node::new(Kind::Scalar(Val::None), line)
}

fn construct(name: &str, inner: Node) -> Result<Tag, String> {
    let line = inner.line;
    let raw = match &inner.kind {
        Kind::Scalar(Val::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let seq = match inner.kind {
        Kind::Seq(items) => Some(items),
        _ => None,
    };
    let need_seq = |min: usize| -> Result<Vec<Node>, String> {
        match &seq {
            Some(items) if items.len() >= min => Ok(items.clone()),
            Some(items) => Err(format!(
                "!{name} needs at least {min} argument(s), got {}",
                items.len()
            )),
            None => Err(format!("!{name} expects a sequence")),
        }
    };
    // `!Tag key` or `!Tag [key, default]`.
    let key_default = || -> Result<(Node, Node), String> {
        if let Some(raw) = &raw {
            return Ok((Node::new(Kind::Scalar(Val::str(raw)), line), null(line)));
        }
        let mut items = need_seq(1)?.into_iter();
        let key = items.next().unwrap_or_else(|| null(line));
        Ok((key, items.next().unwrap_or_else(|| null(line))))
    };
    let scalar = || {
        raw.clone()
            .ok_or_else(|| format!("!{name} expects a scalar"))
    };
    let depth = || -> Result<i64, String> {
        let s = scalar()?;
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("invalid literal for int() with base 10: '{s}'"))
    };
    Ok(match name {
        "KeyOf" => Tag::KeyOf(scalar()?),
        "Find" | "FindObject" => {
            let mut items = need_seq(1)?.into_iter();
            let model = items.next().unwrap_or_else(|| null(line));
            let mut conditions = Vec::new();
            for cond in items {
                match cond.kind {
                    Kind::Seq(pair) if pair.len() >= 2 => {
                        let mut pair = pair.into_iter();
                        let field = pair.next().unwrap_or_else(|| null(line));
                        let value = pair.next().unwrap_or_else(|| null(line));
                        conditions.push((field, value));
                    }
                    _ => return Err(format!("!{name} conditions must be [field, value] pairs")),
                }
            }
            Tag::Find {
                model,
                conditions,
                object: name == "FindObject",
            }
        }
        "Context" => {
            let (key, default) = key_default()?;
            Tag::Context { key, default }
        }
        "Env" => {
            let (key, default) = key_default()?;
            Tag::Env { key, default }
        }
        "File" => Tag::File {
            path: key_default()?.0,
        },
        "Format" => {
            let mut items = need_seq(1)?;
            let format = items.remove(0);
            Tag::Format {
                format,
                args: items,
            }
        }
        "If" => {
            let items = need_seq(1)?;
            match items.len() {
                1 => Tag::If {
                    condition: items[0].clone(),
                    when_true: Node::new(Kind::Scalar(Val::Bool(true)), line),
                    when_false: Node::new(Kind::Scalar(Val::Bool(false)), line),
                },
                n if n >= 3 => Tag::If {
                    condition: items[0].clone(),
                    when_true: items[1].clone(),
                    when_false: items[2].clone(),
                },
                _ => {
                    return Err(
                        "!If takes [condition] or [condition, when_true, when_false]".into(),
                    );
                }
            }
        }
        "Condition" => {
            let mut items = need_seq(1)?;
            let mode = items.remove(0);
            Tag::Condition { mode, args: items }
        }
        "Enumerate" => {
            let mut items = need_seq(3)?.into_iter();
            Tag::Enumerate {
                iterable: items.next().unwrap_or_else(|| null(line)),
                output: items.next().unwrap_or_else(|| null(line)),
                body: items.next().unwrap_or_else(|| null(line)),
            }
        }
        "Index" => Tag::Index(depth()?),
        "Value" => Tag::Value(depth()?),
        "AtIndex" => {
            let mut items = need_seq(2)?.into_iter();
            Tag::AtIndex {
                obj: items.next().unwrap_or_else(|| null(line)),
                key: items.next().unwrap_or_else(|| null(line)),
                default: items.next(),
            }
        }
        "ParseJSON" => Tag::ParseJson(scalar()?),
        other => {
            return Err(format!(
                "could not determine a constructor for the tag '!{other}'"
            ));
        }
    })
}

/// What `!KeyOf` finds for an earlier entry of the same file.
#[derive(Debug, Clone)]
pub struct Instance {
    pub pk: Val,
    /// The pbm uuid, for PolicyBindingModels (flows, flow-stage bindings, applications…).
    pub pbm: Option<String>,
}

/// A tag that could not be resolved: the entry is invalid at `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct TagError {
    pub path: String,
    pub message: String,
}

/// Everything a tag can look at while one entry is resolved.
pub struct Resolver<'a> {
    pub store: &'a Store,
    pub context: &'a [(String, Node)],
    pub env: &'a HashMap<String, String>,
    /// `(id, instance)` of this file's entries so far, in order.
    pub entries: &'a [(Option<String>, Option<Instance>)],
    /// The current entry's model, lower-cased (the `!KeyOf` pbm rule looks at it).
    pub entry_model: String,
    /// Messages for the import's warnings (e.g. `!Find` on a model flowgate does not keep).
    pub warnings: Vec<String>,
    enumerations: Vec<(Val, Val)>,
    depth: usize,
    steps: usize,
}

impl<'a> Resolver<'a> {
    pub fn new(
        store: &'a Store,
        context: &'a [(String, Node)],
        env: &'a HashMap<String, String>,
        entries: &'a [(Option<String>, Option<Instance>)],
        entry_model: String,
    ) -> Resolver<'a> {
        Resolver {
            store,
            context,
            env,
            entries,
            entry_model,
            warnings: Vec::new(),
            enumerations: Vec::new(),
            depth: 0,
            steps: 0,
        }
    }

    /// Resolves `node` (and every tag inside it) to a plain value.
    pub fn resolve(&mut self, node: &Node, path: &str) -> Result<Val, TagError> {
        self.steps += 1;
        if self.steps > MAX_RESOLVE_STEPS {
            return Err(self.error(
                path,
                node,
                "the blueprint expands to too many values".into(),
            ));
        }
        match &node.kind {
            Kind::Scalar(v) => Ok(v.clone()),
            Kind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.resolve(item, &format!("{path}[{i}]"))?);
                }
                Ok(Val::List(out))
            }
            Kind::Map(pairs) => {
                let mut out: Dict = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((k.clone(), self.resolve(v, &format!("{path}.{k}"))?));
                }
                Ok(Val::Dict(out))
            }
            Kind::Tag(tag) => {
                if self.depth >= MAX_RESOLVE_DEPTH {
                    return Err(self.error(
                        path,
                        node,
                        "tags nest too deeply (does a !Context value refer to itself?)".into(),
                    ));
                }
                self.depth += 1;
                let out = self.resolve_tag(tag, node, path);
                self.depth -= 1;
                out
            }
            Kind::Tagged(name, _) => Err(self.error(path, node, format!("unchecked tag !{name}"))),
        }
    }

    fn error(&self, path: &str, node: &Node, message: String) -> TagError {
        TagError {
            path: path.to_string(),
            message: if node.line > 0 {
                format!("{message} (line {})", node.line)
            } else {
                message
            },
        }
    }

    fn resolve_tag(&mut self, tag: &Tag, node: &Node, path: &str) -> Result<Val, TagError> {
        let fail = |this: &Self, message: String| Err(this.error(path, node, message));
        match tag {
            Tag::KeyOf(id) => {
                let hit = self
                    .entries
                    .iter()
                    .find(|(eid, inst)| eid.as_deref() == Some(id.as_str()) && inst.is_some())
                    .and_then(|(_, inst)| inst.clone());
                match hit {
                    // Policy bindings target a PolicyBindingModel by its pbm uuid, which for
                    // flows and flow-stage bindings differs from their pk (flows §6.3).
                    Some(Instance { pbm: Some(pbm), .. })
                        if self.entry_model == "authentik_policies.policybinding" =>
                    {
                        Ok(Val::Str(pbm))
                    }
                    Some(inst) => Ok(inst.pk),
                    None => fail(
                        self,
                        format!(
                            "KeyOf: failed to find entry with `id` of `{id}` and a model instance"
                        ),
                    ),
                }
            }
            Tag::Find {
                model,
                conditions,
                object,
            } => {
                let model = match self.resolve(model, path)? {
                    Val::Str(s) => s,
                    other => {
                        return fail(
                            self,
                            format!("!Find model must be a string, got {}", other.py_repr()),
                        );
                    }
                };
                let mut query = Vec::with_capacity(conditions.len());
                for (field, value) in conditions {
                    let field = match self.resolve(field, path)? {
                        Val::Str(s) => s,
                        other => {
                            return fail(
                                self,
                                format!("keywords must be strings, got {}", other.py_repr()),
                            );
                        }
                    };
                    query.push((field, self.resolve(value, path)?));
                }
                match self.store.find(&model, &query) {
                    Ok(found) => {
                        if found.unknown_model {
                            self.warnings.push(format!(
                                "!Find on model '{model}', which flowgate does not import: nothing is found"
                            ));
                        }
                        Ok(match found.index {
                            None => Val::None,
                            Some(i) if *object => self.store.serialize(i),
                            Some(i) => self.store.objects[i].pk.clone(),
                        })
                    }
                    Err(message) => fail(self, message),
                }
            }
            Tag::Context { key, default } => {
                let key = self.resolve(key, path)?;
                let found = match &key {
                    Val::List(_) | Val::Dict(_) => None,
                    k => {
                        let k = k.key_string();
                        self.context.iter().find(|(ck, _)| *ck == k).map(|(_, v)| v)
                    }
                };
                match found {
                    Some(value) => self.resolve(value, path),
                    None => self.resolve(default, path),
                }
            }
            Tag::Env { key, default } => {
                let key = self.resolve(key, path)?.py_str();
                match self.env.get(&key).filter(|v| !v.is_empty()) {
                    Some(v) => Ok(Val::str(v.clone())),
                    // `os.getenv(NAME) or default`: an empty value falls back too.
                    None => self.resolve(default, path),
                }
            }
            Tag::File { path: file } => {
                let file = self.resolve(file, path)?.py_str();
                fail(
                    self,
                    format!(
                        "!File is not supported: flowgate has no file system (path '{file}'); use !Env or !Context instead"
                    ),
                )
            }
            Tag::Format { format, args } => {
                let format = self.resolve(format, path)?;
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.resolve(a, path)?);
                }
                let Val::Str(format) = format else {
                    return fail(
                        self,
                        format!(
                            "unsupported operand type(s) for %: '{}' and 'tuple'",
                            format.type_name()
                        ),
                    );
                };
                match pyfmt::format(&format, &values) {
                    Ok(s) => Ok(Val::Str(s)),
                    Err(message) => fail(self, message),
                }
            }
            Tag::If {
                condition,
                when_true,
                when_false,
            } => {
                if self.resolve(condition, path)?.truthy() {
                    self.resolve(when_true, path)
                } else {
                    self.resolve(when_false, path)
                }
            }
            Tag::Condition { mode, args } => {
                let mode = match self.resolve(mode, path)? {
                    Val::Str(s) => s.to_uppercase(),
                    other => {
                        return fail(
                            self,
                            format!("'{}' object has no attribute 'upper'", other.type_name()),
                        );
                    }
                };
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.resolve(a, path)?.truthy());
                }
                if values.is_empty() {
                    return fail(
                        self,
                        "At least one value is required after mode selection.".into(),
                    );
                }
                let xor = || values.iter().fold(false, |acc, v| acc ^ v);
                Ok(Val::Bool(match mode.as_str() {
                    "AND" => values.iter().all(|v| *v),
                    "NAND" => !values.iter().all(|v| *v),
                    "OR" => values.iter().any(|v| *v),
                    "NOR" => !values.iter().any(|v| *v),
                    "XOR" => xor(),
                    "XNOR" => !xor(),
                    other => {
                        return fail(
                            self,
                            format!(
                                "unknown !Condition mode '{other}' (AND, NAND, OR, NOR, XOR, XNOR)"
                            ),
                        );
                    }
                }))
            }
            Tag::Enumerate {
                iterable,
                output,
                body,
            } => self.enumerate(iterable, output, body, node, path),
            Tag::Index(depth) | Tag::Value(depth) => {
                let name = if matches!(tag, Tag::Index(_)) {
                    "Index"
                } else {
                    "Value"
                };
                if *depth < 0 {
                    return fail(
                        self,
                        format!("{name} tag: depth must be a positive number or zero"),
                    );
                }
                let n = self.enumerations.len();
                let Some(item) = n
                    .checked_sub(1 + *depth as usize)
                    .and_then(|i| self.enumerations.get(i))
                else {
                    return if *depth == 0 {
                        fail(
                            self,
                            format!("{name} tags are only usable inside an Enumerate tag"),
                        )
                    } else {
                        fail(
                            self,
                            format!(
                                "{name} tag: invalid depth: {depth}. Max depth: {}",
                                n as i64 - 1
                            ),
                        )
                    };
                };
                Ok(if matches!(tag, Tag::Index(_)) {
                    item.0.clone()
                } else {
                    item.1.clone()
                })
            }
            Tag::AtIndex { obj, key, default } => {
                let obj = self.resolve(obj, path)?;
                let key = self.resolve(key, path)?;
                let found = match (&obj, &key) {
                    (Val::List(items), Val::Int(_) | Val::Bool(_)) => {
                        let i = key.as_number().unwrap_or(0.0) as i64;
                        // Python accepts negative indexes.
                        let idx = if i < 0 { items.len() as i64 + i } else { i };
                        usize::try_from(idx)
                            .ok()
                            .and_then(|i| items.get(i))
                            .cloned()
                    }
                    (Val::List(_), _) => {
                        return fail(self, format!("Invalid index for list: {}", key.py_str()));
                    }
                    (
                        Val::Dict(d),
                        Val::Str(_) | Val::Int(_) | Val::Bool(_) | Val::None | Val::Float(_),
                    ) => dict_get(d, &key.key_string()).cloned(),
                    (Val::Dict(_), _) => {
                        return fail(self, format!("unhashable type: '{}'", key.type_name()));
                    }
                    (other, _) => {
                        return fail(
                            self,
                            format!(
                                "!AtIndex needs a list or a mapping, got {}",
                                other.type_name()
                            ),
                        );
                    }
                };
                match (found, default) {
                    (Some(v), _) => Ok(v),
                    (None, Some(d)) => self.resolve(d, path),
                    (None, None) if matches!(obj, Val::List(_)) => {
                        fail(self, format!("Index out of range: {}", key.py_str()))
                    }
                    (None, None) => fail(self, format!("Key does not exist: {}", key.py_str())),
                }
            }
            Tag::ParseJson(raw) => match serde_json::from_str::<serde_json::Value>(raw) {
                Ok(v) => Ok(Val::from_json(&v)),
                Err(e) => fail(self, format!("!ParseJSON: {e}")),
            },
        }
    }

    fn enumerate(
        &mut self,
        iterable: &Node,
        output: &Node,
        body: &Node,
        node: &Node,
        path: &str,
    ) -> Result<Val, TagError> {
        if let Kind::Tag(t) = &iterable.kind
            && matches!(**t, Tag::Index(0) | Tag::Value(0))
        {
            return Err(self.error(
                path,
                node,
                "Enumerate tag's iterable references this tag's context. This is a noop. Check you are setting depth bigger than 0.".into(),
            ));
        }
        let items: Vec<(Val, Val)> = match self.resolve(iterable, path)? {
            Val::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Int(i as i64), v))
                .collect(),
            Val::Dict(d) => d.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
            Val::Str(s) => s
                .chars()
                .enumerate()
                .map(|(i, c)| (Val::Int(i as i64), Val::Str(c.to_string())))
                .collect(),
            _ => {
                return Err(self.error(
                    path,
                    node,
                    "Enumerate's iterable must be an iterable such as a sequence or a mapping"
                        .into(),
                ));
            }
        };
        let as_map = match self.resolve(output, path)? {
            Val::Str(s) if s.eq_ignore_ascii_case("SEQ") => false,
            Val::Str(s) if s.eq_ignore_ascii_case("MAP") => true,
            other => {
                return Err(self.error(
                    path,
                    node,
                    format!(
                        "Enumerate output must be SEQ or MAP, got {}",
                        other.py_repr()
                    ),
                ));
            }
        };
        let mut seq = Vec::new();
        let mut map = Val::Dict(Vec::new());
        for item in items {
            self.enumerations.push(item);
            let resolved = self.resolve(body, path);
            self.enumerations.pop();
            let resolved = resolved?;
            if !as_map {
                seq.push(resolved);
                continue;
            }
            let addition = match resolved {
                Val::List(pair) if pair.len() >= 2 => {
                    let key = match &pair[0] {
                        Val::List(_) | Val::Dict(_) => {
                            return Err(self.error(
                                path,
                                node,
                                format!("unhashable type: '{}'", pair[0].type_name()),
                            ));
                        }
                        k => k.key_string(),
                    };
                    Val::Dict(vec![(key, pair[1].clone())])
                }
                d @ Val::Dict(_) => d,
                other => {
                    return Err(self.error(
                        path,
                        node,
                        format!("Invalid Enumerate item found: {}", other.py_str()),
                    ));
                }
            };
            map = deep_merge(map, addition);
        }
        Ok(if as_map { map } else { Val::List(seq) })
    }
}
