//! The JSON schema of `actions` (policies §5.2): JSON → typed actions and nodes, as authentik's
//! pydantic models read them (`extra="forbid"`, lax booleans, integers and UUIDs). Every error is
//! collected with its dotted path (`actions.0.condition.children.1.operator`; discriminator
//! tags are not part of paths) and pydantic's message.

use super::operators::{OPS, Op};
use super::types::{CASTS, Kind};
use serde_json::{Map, Value};

pub const SCHEMA_VERSION: i64 = 2;
/// Nesting beyond this is not read (the compiler allows 10 levels anyway); it bounds recursion.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOp {
    All,
    Any,
    None,
}

impl GroupOp {
    pub fn name(self) -> &'static str {
        match self {
            GroupOp::All => "all",
            GroupOp::Any => "any",
            GroupOp::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
pub struct VarRef {
    pub key: String,
    pub param: Option<String>,
    pub cast: Option<Kind>,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Value),
    Variable(VarRef),
}

#[derive(Debug, Clone)]
pub enum Node {
    Compare {
        variable: VarRef,
        op: Op,
        value: Option<Operand>,
        case_sensitive: bool,
        negate: bool,
    },
    Group {
        op: GroupOp,
        children: Vec<Node>,
    },
    Policy {
        /// Lower-case hyphenated UUID, as Python's `str(UUID)`.
        policy: String,
    },
}

#[derive(Debug, Clone)]
pub enum Action {
    Condition {
        enabled: bool,
        condition: Node,
    },
    If {
        enabled: bool,
        condition: Node,
        then_actions: Vec<Action>,
        else_actions: Vec<Action>,
    },
    Set {
        enabled: bool,
        key: String,
        param: Option<String>,
        value: Operand,
    },
    Stop {
        enabled: bool,
        pass: bool,
        message: Option<String>,
    },
}

pub type PathErrors = Vec<(String, String)>;

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// pydantic's "Input should be 'a', 'b' or 'c'".
fn expected_one_of(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("Input should be {} or {last}", rest.join(", "))
        }
        _ => format!("Input should be {}", quoted.join("")),
    }
}

/// Python `str(UUID(text))` for the forms pydantic accepts: hyphenated, 32 hex digits, braced,
/// or with a `urn:uuid:` prefix.
pub fn normalize_uuid(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t
        .strip_prefix("urn:uuid:")
        .or_else(|| t.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
        .unwrap_or(t);
    crate::python::uuid_str(t)
}

#[derive(Default)]
struct Reader {
    errors: PathErrors,
}

impl Reader {
    fn err(&mut self, path: &str, msg: impl Into<String>) {
        self.errors.push((path.to_string(), msg.into()));
    }

    fn model<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        name: &str,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.err(
                    path,
                    format!("Input should be a valid dictionary or instance of {name}"),
                );
                None
            }
        }
    }

    /// A discriminated union member: the object and its `type` tag.
    fn tagged<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        tags: &[&str],
    ) -> Option<(&'v Map<String, Value>, &'v str)> {
        let Value::Object(m) = v else {
            self.err(
                path,
                "Input should be a valid dictionary or object to extract fields from",
            );
            return None;
        };
        let Some(tag) = m.get("type") else {
            self.err(path, "Unable to extract tag using discriminator 'type'");
            return None;
        };
        let found = match tag {
            Value::String(s) if tags.contains(&s.as_str()) => return Some((m, s)),
            Value::String(s) => s.clone(),
            other => super::types::py_str(other).into_owned(),
        };
        let expected: Vec<String> = tags.iter().map(|t| format!("'{t}'")).collect();
        self.err(
            path,
            format!(
                "Input tag '{found}' found using 'type' does not match any of the expected tags: {}",
                expected.join(", ")
            ),
        );
        None
    }

    fn extra(&mut self, m: &Map<String, Value>, path: &str, allowed: &[&str]) {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(&join(path, k), "Extra inputs are not permitted");
            }
        }
    }

    fn required<'v>(
        &mut self,
        m: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'v Value> {
        let v = m.get(key);
        if v.is_none() {
            self.err(&join(path, key), "Field required");
        }
        v
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.err(path, "Input should be a valid string");
                None
            }
        }
    }

    /// `str | None = None`: Ok(None) when absent or null, Err(()) on a wrong type.
    fn opt_string(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<String>, ()> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.string(v, &join(path, key)).map(Some).ok_or(()),
        }
    }

    /// pydantic's lax bool.
    fn boolean(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
        default: bool,
    ) -> Option<bool> {
        let Some(v) = m.get(key) else {
            return Some(default);
        };
        let path = join(path, key);
        match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
            Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
                "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
                _ => {
                    self.err(
                        &path,
                        "Input should be a valid boolean, unable to interpret input",
                    );
                    None
                }
            },
            _ => {
                self.err(&path, "Input should be a valid boolean");
                None
            }
        }
    }

    fn list<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Vec<Value>> {
        match v {
            Value::Array(a) => Some(a),
            _ => {
                self.err(path, "Input should be a valid list");
                None
            }
        }
    }

    fn choice<'c>(&mut self, v: &Value, path: &str, choices: &[&'c str]) -> Option<&'c str> {
        if let Value::String(s) = v
            && let Some(c) = choices.iter().find(|c| **c == s)
        {
            return Some(c);
        }
        self.err(path, expected_one_of(choices));
        None
    }

    fn version(&mut self, m: &Map<String, Value>) {
        let Some(v) = self.required(m, "version", "") else {
            return;
        };
        let n = match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => i,
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9e18 => f as i64,
                    Some(f) if f.fract() != 0.0 => {
                        self.err(
                            "version",
                            "Input should be a valid integer, got a number with a fractional part",
                        );
                        return;
                    }
                    _ => i64::MAX,
                },
            },
            Value::Bool(b) => *b as i64,
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => i,
                Err(_) => {
                    self.err(
                        "version",
                        "Input should be a valid integer, unable to parse string as an integer",
                    );
                    return;
                }
            },
            _ => {
                self.err("version", "Input should be a valid integer");
                return;
            }
        };
        if n < SCHEMA_VERSION {
            self.err(
                "version",
                format!("Input should be greater than or equal to {SCHEMA_VERSION}"),
            );
        } else if n > SCHEMA_VERSION {
            self.err(
                "version",
                format!("Input should be less than or equal to {SCHEMA_VERSION}"),
            );
        }
    }

    fn var_ref(&mut self, v: &Value, path: &str) -> Option<VarRef> {
        let m = self.model(v, path, "ConditionVariableRef")?;
        self.extra(m, path, &["key", "param", "cast"]);
        let key = self
            .required(m, "key", path)
            .and_then(|k| self.string(k, &join(path, "key")));
        let param = self.opt_string(m, "param", path);
        let cast = match m.get("cast") {
            None | Some(Value::Null) => Ok(None),
            Some(c) => {
                let names: Vec<&str> = CASTS.iter().map(|c| c.0).collect();
                match self.choice(c, &join(path, "cast"), &names) {
                    Some(name) => Ok(CASTS.iter().find(|c| c.0 == name).map(|c| c.1)),
                    None => Err(()),
                }
            }
        };
        Some(VarRef {
            key: key?,
            param: param.ok()?,
            cast: cast.ok()?,
        })
    }

    fn operand(&mut self, v: &Value, path: &str) -> Option<Operand> {
        let (m, tag) = self.tagged(v, path, &["literal", "variable"])?;
        if tag == "literal" {
            self.extra(m, path, &["type", "value"]);
            let value = self.required(m, "value", path)?;
            Some(Operand::Literal(value.clone()))
        } else {
            self.extra(m, path, &["type", "variable"]);
            let var = self.required(m, "variable", path)?;
            self.var_ref(var, &join(path, "variable"))
                .map(Operand::Variable)
        }
    }

    fn node(&mut self, v: &Value, path: &str, nesting: usize) -> Option<Node> {
        if nesting > MAX_NESTING {
            self.err(path, "Input is nested too deeply");
            return None;
        }
        let (m, tag) = self.tagged(v, path, &["compare", "group", "policy"])?;
        match tag {
            "compare" => {
                self.extra(
                    m,
                    path,
                    &["type", "variable", "operator", "value", "options"],
                );
                let variable = self
                    .required(m, "variable", path)
                    .and_then(|var| self.var_ref(var, &join(path, "variable")));
                let names: Vec<&str> = OPS.iter().map(|o| o.name()).collect();
                let op = self
                    .required(m, "operator", path)
                    .and_then(|o| self.choice(o, &join(path, "operator"), &names))
                    .and_then(Op::parse);
                let value = match m.get("value") {
                    None | Some(Value::Null) => Ok(None),
                    Some(val) => self.operand(val, &join(path, "value")).map(Some).ok_or(()),
                };
                let options = match m.get("options") {
                    None => Some((true, false)),
                    Some(o) => {
                        let opath = join(path, "options");
                        self.model(o, &opath, "ConditionOptions").and_then(|om| {
                            self.extra(om, &opath, &["case_sensitive", "negate"]);
                            let cs = self.boolean(om, "case_sensitive", &opath, true);
                            let neg = self.boolean(om, "negate", &opath, false);
                            Some((cs?, neg?))
                        })
                    }
                };
                let (case_sensitive, negate) = options?;
                Some(Node::Compare {
                    variable: variable?,
                    op: op?,
                    value: value.ok()?,
                    case_sensitive,
                    negate,
                })
            }
            "group" => {
                self.extra(m, path, &["type", "op", "children"]);
                let op = self
                    .required(m, "op", path)
                    .and_then(|o| self.choice(o, &join(path, "op"), &["all", "any", "none"]))
                    .map(|o| match o {
                        "all" => GroupOp::All,
                        "any" => GroupOp::Any,
                        _ => GroupOp::None,
                    });
                let children = self.required(m, "children", path).and_then(|c| {
                    let cpath = join(path, "children");
                    let items = self.list(c, &cpath)?;
                    let nodes: Vec<Option<Node>> = items
                        .iter()
                        .enumerate()
                        .map(|(i, c)| self.node(c, &join(&cpath, &i.to_string()), nesting + 1))
                        .collect();
                    nodes.into_iter().collect::<Option<Vec<_>>>()
                });
                Some(Node::Group {
                    op: op?,
                    children: children?,
                })
            }
            _ => {
                self.extra(m, path, &["type", "policy"]);
                let ppath = join(path, "policy");
                let policy = self.required(m, "policy", path).and_then(|p| match p {
                    Value::String(s) => {
                        let uuid = normalize_uuid(s);
                        if uuid.is_none() {
                            self.err(&ppath, "Input should be a valid UUID");
                        }
                        uuid
                    }
                    _ => {
                        self.err(
                            &ppath,
                            "UUID input should be a string, bytes or UUID object",
                        );
                        None
                    }
                });
                Some(Node::Policy { policy: policy? })
            }
        }
    }

    fn actions(&mut self, v: &Value, path: &str, nesting: usize) -> Option<Vec<Action>> {
        let items = self.list(v, path)?;
        let parsed: Vec<Option<Action>> = items
            .iter()
            .enumerate()
            .map(|(i, a)| self.action(a, &join(path, &i.to_string()), nesting))
            .collect();
        parsed.into_iter().collect()
    }

    fn action(&mut self, v: &Value, path: &str, nesting: usize) -> Option<Action> {
        if nesting > MAX_NESTING {
            self.err(path, "Input is nested too deeply");
            return None;
        }
        let (m, tag) = self.tagged(v, path, &["condition", "if", "set", "stop"])?;
        let enabled = self.boolean(m, "enabled", path, true);
        match tag {
            "condition" => {
                self.extra(m, path, &["type", "enabled", "condition"]);
                let condition = self
                    .required(m, "condition", path)
                    .and_then(|c| self.node(c, &join(path, "condition"), nesting + 1));
                Some(Action::Condition {
                    enabled: enabled?,
                    condition: condition?,
                })
            }
            "if" => {
                self.extra(
                    m,
                    path,
                    &[
                        "type",
                        "enabled",
                        "condition",
                        "then_actions",
                        "else_actions",
                    ],
                );
                let condition = self
                    .required(m, "condition", path)
                    .and_then(|c| self.node(c, &join(path, "condition"), nesting + 1));
                let mut branch = |key: &str| match m.get(key) {
                    None => Some(Vec::new()),
                    Some(a) => self.actions(a, &join(path, key), nesting + 1),
                };
                let then_actions = branch("then_actions");
                let else_actions = branch("else_actions");
                Some(Action::If {
                    enabled: enabled?,
                    condition: condition?,
                    then_actions: then_actions?,
                    else_actions: else_actions?,
                })
            }
            "set" => {
                self.extra(m, path, &["type", "enabled", "target", "value"]);
                let tpath = join(path, "target");
                let target = self.required(m, "target", path).and_then(|t| {
                    let tm = self.model(t, &tpath, "PolicyActionTarget")?;
                    self.extra(tm, &tpath, &["key", "param"]);
                    let key = self
                        .required(tm, "key", &tpath)
                        .and_then(|k| self.string(k, &join(&tpath, "key")));
                    let param = self.opt_string(tm, "param", &tpath);
                    Some((key?, param.ok()?))
                });
                let value = self
                    .required(m, "value", path)
                    .and_then(|val| self.operand(val, &join(path, "value")));
                let (key, param) = target?;
                Some(Action::Set {
                    enabled: enabled?,
                    key,
                    param,
                    value: value?,
                })
            }
            _ => {
                self.extra(m, path, &["type", "enabled", "result", "message"]);
                let pass = self
                    .required(m, "result", path)
                    .and_then(|r| self.choice(r, &join(path, "result"), &["pass", "fail"]))
                    .map(|r| r == "pass");
                let message = self.opt_string(m, "message", path);
                Some(Action::Stop {
                    enabled: enabled?,
                    pass: pass?,
                    message: message.ok()?,
                })
            }
        }
    }
}

/// Reads `{"version": 2, "actions": [...]}`.
pub fn parse(v: &Value) -> Result<Vec<Action>, PathErrors> {
    let mut r = Reader::default();
    let Some(m) = r.model(v, "", "PolicyActions") else {
        return Err(r.errors);
    };
    r.extra(m, "", &["version", "actions"]);
    r.version(m);
    let actions = r
        .required(m, "actions", "")
        .and_then(|a| r.actions(a, "actions", 1));
    match actions {
        Some(a) if r.errors.is_empty() => Ok(a),
        _ => Err(r.errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(v: Value) -> PathErrors {
        parse(&v).err().unwrap_or_default()
    }

    #[test]
    fn reads_the_reference_example() {
        let v = json!({"version": 2, "actions": [
            {"type": "if",
             "condition": {"type": "group", "op": "all", "children": [
                {"type": "compare", "variable": {"key": "user.groups"}, "operator": "has_item",
                 "value": {"type": "literal", "value": "19cebaaf-dbd4-4242-adc1-40a8cccf70a5"}},
                {"type": "compare", "variable": {"key": "request.client_ip"}, "operator": "is_private"}]},
             "then_actions": [{"type": "stop", "result": "pass"}],
             "else_actions": [
                {"type": "set", "target": {"key": "plan.context", "param": "denied"},
                 "value": {"type": "literal", "value": true}},
                {"type": "stop", "result": "fail", "message": "Not allowed from here"}]}]});
        let actions = parse(&v);
        assert!(matches!(actions.as_deref(), Ok([Action::If { .. }])));
    }

    #[test]
    fn structural_errors_have_paths_without_tags() {
        assert_eq!(
            errors(json!({"version": 2, "actions": [{"type": "foo"}]})),
            vec![(
                "actions.0".to_string(),
                "Input tag 'foo' found using 'type' does not match any of the expected tags: 'condition', 'if', 'set', 'stop'".to_string()
            )]
        );
        let e = errors(
            json!({"version": 2, "actions": [{"type": "condition", "condition":
            {"type": "group", "op": "all", "children": [
                {"type": "compare", "operator": "eq", "variable": {}},
                {"type": "compare", "operator": "nope", "variable": {"key": "x", "bad": 1}}]}}]}),
        );
        let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "actions.0.condition.children.0.variable.key",
                "actions.0.condition.children.1.variable.bad",
                "actions.0.condition.children.1.operator",
            ]
        );
        assert_eq!(
            errors(json!({"version": 3, "actions": [], "x": 1})),
            vec![
                (
                    "x".to_string(),
                    "Extra inputs are not permitted".to_string()
                ),
                (
                    "version".to_string(),
                    "Input should be less than or equal to 2".to_string()
                ),
            ]
        );
        assert_eq!(
            errors(json!([1])),
            vec![(
                String::new(),
                "Input should be a valid dictionary or instance of PolicyActions".to_string()
            )]
        );
    }

    #[test]
    fn uuids_normalize() {
        let u = "e7c06982-75f9-426e-b19b-1c8309cd5765";
        assert_eq!(
            normalize_uuid("E7C0698275F9426EB19B1C8309CD5765").as_deref(),
            Some(u)
        );
        assert_eq!(normalize_uuid(&format!("{{{u}}}")).as_deref(), Some(u));
        assert_eq!(normalize_uuid(&format!("urn:uuid:{u}")).as_deref(), Some(u));
        assert_eq!(normalize_uuid("nope"), None);
    }
}
