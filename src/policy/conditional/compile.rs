//! `ConditionCompiler` (policies §5.3): checks actions against the registry and turns them into
//! what `eval` runs. Every error is collected with its dotted path. Literals are coerced, folded
//! (case-insensitive comparisons) and, for regular expressions, compiled here; group literals
//! compared with `user.groups` are resolved to group ids, so evaluation does no string work.

use super::casefold::casefold;
use super::operators::{Op, Shape};
use super::pyregex;
use super::schema::{Action, GroupOp, Node, Operand, PathErrors, VarRef};
use super::types::{Kind, Raw, V, VType, coerce, fold};
use super::variables::{self, ParamKind, SetterDef, VarDef, VarId};
use crate::index::{Id, Index};
use regex::Regex;
use serde_json::Value;

pub const MAX_DEPTH: usize = 10;
pub const MAX_NODES: usize = 200;
pub const MAX_REGEX_LENGTH: usize = 256;

#[derive(Debug)]
pub struct CVar {
    pub def: &'static VarDef,
    pub param: Option<String>,
    /// The type after an optional cast.
    pub ty: VType,
}

impl CVar {
    /// A failed conversion makes a cast value missing; for typed variables it is an error.
    pub fn is_cast(&self) -> bool {
        self.def.ty.kind() == Kind::Any
    }
}

#[derive(Debug)]
pub struct Lit {
    pub v: V<'static>,
    /// For `user.groups` operands: per literal item, the ids of the groups it names.
    pub groups: Option<Vec<Vec<Id>>>,
    pub regex: Option<Regex>,
}

#[derive(Debug)]
pub enum COperand {
    None,
    Lit(Lit),
    Var(CVar),
}

#[derive(Debug)]
pub struct CCompare {
    pub path: String,
    pub var: CVar,
    pub op: Op,
    pub operand: COperand,
    pub case_sensitive: bool,
    pub negate: bool,
}

#[derive(Debug)]
pub enum CNode {
    Group {
        path: String,
        op: GroupOp,
        children: Vec<CNode>,
    },
    Policy {
        path: String,
        pk: String,
        /// None: not in the snapshot (a snapshot error), or compiled without an index.
        id: Option<Id>,
    },
    Compare(Box<CCompare>),
}

#[derive(Debug)]
pub enum CAction {
    If {
        path: String,
        enabled: bool,
        cond: CNode,
        then: Vec<CAction>,
        otherwise: Vec<CAction>,
    },
    Stop {
        path: String,
        enabled: bool,
        pass: bool,
        message: Option<String>,
    },
    Set {
        path: String,
        enabled: bool,
        setter: &'static SetterDef,
        param: Option<String>,
        value: COperand,
    },
}

/// A policy reference node.
#[derive(Debug, Clone)]
pub struct Reference {
    pub path: String,
    pub pk: String,
    pub id: Option<Id>,
}

#[derive(Debug)]
pub struct Compiled {
    pub actions: Vec<CAction>,
    /// Variables and setters used: (key, facts any of which makes it available).
    pub requirements: Vec<(&'static str, u16)>,
    pub references: Vec<Reference>,
}

struct Compiler<'i> {
    index: Option<&'i Index>,
    errors: PathErrors,
    nodes: usize,
    requirements: Vec<(&'static str, u16)>,
    references: Vec<Reference>,
}

fn join(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

impl Compiler<'_> {
    fn error<T>(&mut self, path: &str, msg: impl Into<String>) -> Option<T> {
        self.errors.push((path.to_string(), msg.into()));
        None
    }

    fn require(&mut self, key: &'static str, facts: u16) {
        if !self.requirements.iter().any(|r| r.0 == key) {
            self.requirements.push((key, facts));
        }
    }

    fn actions(&mut self, actions: &[Action], path: &str, depth: usize) -> Option<Vec<CAction>> {
        let out: Vec<Option<CAction>> = actions
            .iter()
            .enumerate()
            .map(|(i, a)| self.action(a, &join(path, &i.to_string()), depth))
            .collect();
        out.into_iter().collect()
    }

    fn action(&mut self, action: &Action, path: &str, depth: usize) -> Option<CAction> {
        self.nodes += 1;
        if depth > MAX_DEPTH {
            return self.error(
                path,
                format!("Actions can be nested at most {MAX_DEPTH} levels deep"),
            );
        }
        match action {
            Action::Condition { enabled, condition } => {
                let cond = self.node(condition, &join(path, "condition"), depth + 1);
                Some(CAction::If {
                    path: path.to_string(),
                    enabled: *enabled,
                    cond: cond?,
                    then: Vec::new(),
                    otherwise: vec![CAction::Stop {
                        path: path.to_string(),
                        enabled: true,
                        pass: false,
                        message: None,
                    }],
                })
            }
            Action::If {
                enabled,
                condition,
                then_actions,
                else_actions,
            } => {
                let cond = self.node(condition, &join(path, "condition"), depth + 1);
                let then = self.actions(then_actions, &join(path, "then_actions"), depth + 1);
                let otherwise = self.actions(else_actions, &join(path, "else_actions"), depth + 1);
                Some(CAction::If {
                    path: path.to_string(),
                    enabled: *enabled,
                    cond: cond?,
                    then: then?,
                    otherwise: otherwise?,
                })
            }
            Action::Stop {
                enabled,
                pass,
                message,
            } => Some(CAction::Stop {
                path: path.to_string(),
                enabled: *enabled,
                pass: *pass,
                message: message.clone().filter(|m| !m.is_empty()),
            }),
            Action::Set {
                enabled,
                key,
                param,
                value,
            } => {
                let tpath = join(path, "target");
                let Some(setter) = variables::setter(key) else {
                    return self.error(&tpath, format!("Unknown target '{key}'"));
                };
                self.require(setter.key, setter.requires);
                let param = param.clone().filter(|p| !p.is_empty());
                if (setter.param == ParamKind::None) != param.is_none() {
                    let what = if param.is_some() {
                        "does not take a key"
                    } else {
                        "requires a key"
                    };
                    self.error::<()>(&tpath, format!("Target '{}' {what}", setter.key));
                }
                let value = self.operand(value, &setter.ty, &join(path, "value"));
                Some(CAction::Set {
                    path: path.to_string(),
                    enabled: *enabled,
                    setter,
                    param,
                    value: value?,
                })
            }
        }
    }

    fn node(&mut self, node: &Node, path: &str, depth: usize) -> Option<CNode> {
        self.nodes += 1;
        if depth > MAX_DEPTH {
            return self.error(
                path,
                format!("Condition tree must be at most {MAX_DEPTH} levels deep"),
            );
        }
        match node {
            Node::Group { op, children } => {
                if children.is_empty() {
                    self.error::<()>(path, "Group must contain at least one item");
                }
                let compiled: Vec<Option<CNode>> = children
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        self.node(c, &join(&join(path, "children"), &i.to_string()), depth + 1)
                    })
                    .collect();
                Some(CNode::Group {
                    path: path.to_string(),
                    op: *op,
                    children: compiled.into_iter().collect::<Option<Vec<_>>>()?,
                })
            }
            Node::Policy { policy } => {
                let id = self
                    .index
                    .and_then(|ix| ix.policies_by_pk.get(policy).copied());
                self.references.push(Reference {
                    path: path.to_string(),
                    pk: policy.clone(),
                    id,
                });
                Some(CNode::Policy {
                    path: path.to_string(),
                    pk: policy.clone(),
                    id,
                })
            }
            Node::Compare {
                variable,
                op,
                value,
                case_sensitive,
                negate,
            } => self
                .compare(
                    variable,
                    *op,
                    value.as_ref(),
                    *case_sensitive,
                    *negate,
                    path,
                )
                .map(|c| CNode::Compare(Box::new(c))),
        }
    }

    fn compare(
        &mut self,
        variable: &VarRef,
        op: Op,
        value: Option<&Operand>,
        case_sensitive: bool,
        negate: bool,
        path: &str,
    ) -> Option<CCompare> {
        let var = self.variable(variable, &join(path, "variable"), !op.checks_presence())?;
        if !op.accepts_kind(var.ty.kind()) {
            return self.error(
                &join(path, "operator"),
                format!(
                    "Operator '{}' cannot be used with type {}",
                    op.name(),
                    var.ty
                ),
            );
        }
        if negate && !op.negatable() {
            return self.error(
                &join(path, "operator"),
                format!("Operator '{}' cannot be negated", op.name()),
            );
        }
        let vpath = join(path, "value");
        let expected = op.operand_type(&var.ty);
        let operand = match (expected, value) {
            (None, Some(_)) => {
                return self.error(
                    &vpath,
                    format!("Operator '{}' does not take a value", op.name()),
                );
            }
            (Some(_), None) => {
                return self.error(&vpath, format!("Operator '{}' requires a value", op.name()));
            }
            (None, None) => COperand::None,
            (Some(expected), Some(value)) => self.operand(value, &expected, &vpath)?,
        };
        let operand = match operand {
            COperand::Lit(lit) => {
                COperand::Lit(self.literal(lit, op, &var, case_sensitive, &vpath)?)
            }
            other => other,
        };
        Some(CCompare {
            path: path.to_string(),
            var,
            op,
            operand,
            case_sensitive,
            negate,
        })
    }

    /// `Operator.validate_operand`, folding, regex compilation and group ids of a literal.
    fn literal(
        &mut self,
        mut lit: Lit,
        op: Op,
        var: &CVar,
        case_sensitive: bool,
        path: &str,
    ) -> Option<Lit> {
        match op.shape() {
            Shape::Range if !matches!(&lit.v, V::List(items) if items.len() == 2) => {
                return self.error(path, "Operand must be a list of exactly two values");
            }
            Shape::Regex => {
                let V::Str(pattern) = &lit.v else {
                    return self.error(path, "Invalid regular expression: expected a string");
                };
                if pattern.chars().count() > MAX_REGEX_LENGTH {
                    return self.error(
                        path,
                        format!("Regular expression must be at most {MAX_REGEX_LENGTH} long"),
                    );
                }
                match pyregex::compile(pattern, !case_sensitive) {
                    Ok(re) => lit.regex = Some(re),
                    Err(e) => return self.error(path, format!("Invalid regular expression: {e}")),
                }
            }
            _ => {}
        }
        if !case_sensitive && op != Op::Matches {
            lit.v = fold(lit.v).into_owned();
        }
        let group_op = matches!(op, Op::HasItem | Op::HasAny | Op::HasAll);
        if let (VarId::UserGroups, true, Some(index)) = (var.def.id, group_op, self.index) {
            let ids_of = |item: &V<'_>| -> Vec<Id> {
                let V::Str(pk) = item else { return Vec::new() };
                if case_sensitive {
                    index
                        .groups_by_pk
                        .get(pk.as_ref())
                        .copied()
                        .into_iter()
                        .collect()
                } else {
                    (0..index.snap.groups.len() as Id)
                        .filter(|&g| casefold(&index.snap.groups[g as usize].pk) == pk.as_ref())
                        .collect()
                }
            };
            lit.groups = Some(match &lit.v {
                V::List(items) if op != Op::HasItem => items.iter().map(ids_of).collect(),
                single => vec![ids_of(single)],
            });
        }
        Some(lit)
    }

    /// `_operand`: a literal coerced to `expected`, or a variable of an accepted type.
    fn operand(&mut self, operand: &Operand, expected: &VType, path: &str) -> Option<COperand> {
        match operand {
            Operand::Literal(v) => match coerce(Raw::Json(v), expected) {
                Ok(v) => Some(COperand::Lit(Lit {
                    v: v.into_owned(),
                    groups: None,
                    regex: None,
                })),
                Err(e) => self.error(path, e),
            },
            Operand::Variable(r) => {
                let vpath = join(path, "variable");
                let any = expected.kind() == Kind::Any;
                let var = self.variable(r, &vpath, !any)?;
                if !any && !expected.accepts(&var.ty) {
                    return self.error(
                        &vpath,
                        format!("Variable has type {}, expected {expected}", var.ty),
                    );
                }
                Some(COperand::Var(var))
            }
        }
    }

    /// `_variable`: `typed` variables cannot stay of type `any`.
    fn variable(&mut self, r: &VarRef, path: &str, typed: bool) -> Option<CVar> {
        let Some(def) = variables::variable(&r.key) else {
            return self.error(path, format!("Unknown variable '{}'", r.key));
        };
        self.require(def.key, def.requires);
        let param = r.param.clone().filter(|p| !p.is_empty());
        if (def.param == ParamKind::None) != param.is_none() {
            let what = if param.is_some() {
                "does not take a parameter"
            } else {
                "requires a parameter"
            };
            self.error::<()>(path, format!("Variable '{}' {what}", r.key));
        }
        let mut ty = def.ty;
        if let Some(cast) = r.cast {
            if ty.kind() == Kind::Any {
                ty = VType::One(super::types::Scalar::of(cast));
            } else {
                self.error::<()>(
                    path,
                    format!("Variable '{}' has a fixed type and cannot be cast", r.key),
                );
            }
        }
        if typed && ty.kind() == Kind::Any {
            return self.error(
                path,
                format!("Variable '{}' has no fixed type and must be cast", r.key),
            );
        }
        Some(CVar { def, param, ty })
    }
}

/// Compiles parsed actions. `index`: resolves policy references and group literals (None for
/// `validateConditional`).
pub fn compile(actions: &[Action], index: Option<&Index>) -> Result<Compiled, PathErrors> {
    let mut c = Compiler {
        index,
        errors: Vec::new(),
        nodes: 0,
        requirements: Vec::new(),
        references: Vec::new(),
    };
    if actions.is_empty() {
        c.error::<()>("actions", "Add at least one action");
    }
    let compiled = c.actions(actions, "actions", 1);
    if c.nodes > MAX_NODES {
        c.error::<()>(
            "actions",
            format!("Policy can have at most {MAX_NODES} items"),
        );
    }
    match compiled {
        Some(actions) if c.errors.is_empty() => Ok(Compiled {
            actions,
            requirements: c.requirements,
            references: c.references,
        }),
        _ => Err(c.errors),
    }
}

/// Parses and compiles `{"version": 2, "actions": [...]}`.
pub fn compile_value(v: &Value, index: Option<&Index>) -> Result<Compiled, PathErrors> {
    let actions = super::schema::parse(v)?;
    compile(&actions, index)
}
