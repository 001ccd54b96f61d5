//! Operators of comparisons (policies §5.5): which value kinds each accepts, the operand it
//! expects, whether `negate` applies, and their Python semantics on typed values.

use super::net;
use super::types::{Kind, Num, Scalar, V, VType};
use crate::index::{Id, Index};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    IsSet,
    IsNotSet,
    Eq,
    Ne,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    IsTrue,
    IsFalse,
    WithinLast,
    OlderThan,
    InNetwork,
    IsPrivate,
    IsGlobal,
    IsUrl,
    HasItem,
    HasAny,
    HasAll,
    IsEmpty,
    LengthEq,
    LengthGt,
    LengthLt,
}

/// Every operator, in authentik's declaration order (used in "Input should be …" errors).
pub const OPS: [Op; 30] = [
    Op::IsSet,
    Op::IsNotSet,
    Op::Eq,
    Op::Ne,
    Op::In,
    Op::NotIn,
    Op::Contains,
    Op::StartsWith,
    Op::EndsWith,
    Op::Matches,
    Op::Lt,
    Op::Lte,
    Op::Gt,
    Op::Gte,
    Op::Between,
    Op::IsTrue,
    Op::IsFalse,
    Op::WithinLast,
    Op::OlderThan,
    Op::InNetwork,
    Op::IsPrivate,
    Op::IsGlobal,
    Op::IsUrl,
    Op::HasItem,
    Op::HasAny,
    Op::HasAll,
    Op::IsEmpty,
    Op::LengthEq,
    Op::LengthGt,
    Op::LengthLt,
];

/// The operand an operator expects, relative to the variable's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    None,
    Same,
    ListOfSame,
    Range,
    Item,
    ListOfItem,
    Number,
    Duration,
    Regex,
    CidrList,
}

const EQUAL: &[Kind] = &[
    Kind::String,
    Kind::Number,
    Kind::Datetime,
    Kind::Ip,
    Kind::Enum,
    Kind::Model,
];
const ORDERED: &[Kind] = &[Kind::Number, Kind::Datetime];

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::IsSet => "is_set",
            Op::IsNotSet => "is_not_set",
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::Matches => "matches",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Between => "between",
            Op::IsTrue => "is_true",
            Op::IsFalse => "is_false",
            Op::WithinLast => "within_last",
            Op::OlderThan => "older_than",
            Op::InNetwork => "in_network",
            Op::IsPrivate => "is_private",
            Op::IsGlobal => "is_global",
            Op::IsUrl => "is_url",
            Op::HasItem => "has_item",
            Op::HasAny => "has_any",
            Op::HasAll => "has_all",
            Op::IsEmpty => "is_empty",
            Op::LengthEq => "length_eq",
            Op::LengthGt => "length_gt",
            Op::LengthLt => "length_lt",
        }
    }

    pub fn parse(name: &str) -> Option<Op> {
        OPS.iter().copied().find(|o| o.name() == name)
    }

    /// Presence checks run even when the value is missing, on values of any kind.
    pub fn checks_presence(self) -> bool {
        matches!(self, Op::IsSet | Op::IsNotSet)
    }

    pub fn accepts_kind(self, kind: Kind) -> bool {
        match self {
            Op::IsSet | Op::IsNotSet => !matches!(kind, Kind::Duration | Kind::Cidr),
            Op::Eq | Op::Ne | Op::In | Op::NotIn => EQUAL.contains(&kind),
            Op::Contains | Op::StartsWith | Op::EndsWith | Op::Matches | Op::IsUrl => {
                kind == Kind::String
            }
            Op::Lt | Op::Lte | Op::Gt | Op::Gte | Op::Between => ORDERED.contains(&kind),
            Op::IsTrue | Op::IsFalse => kind == Kind::Boolean,
            Op::WithinLast | Op::OlderThan => kind == Kind::Datetime,
            Op::InNetwork | Op::IsPrivate | Op::IsGlobal => kind == Kind::Ip,
            Op::HasItem
            | Op::HasAny
            | Op::HasAll
            | Op::IsEmpty
            | Op::LengthEq
            | Op::LengthGt
            | Op::LengthLt => kind == Kind::List,
        }
    }

    /// Operators with a negated label accept `negate`; those with an explicit opposite
    /// (`eq`/`ne`…) do not.
    pub fn negatable(self) -> bool {
        matches!(
            self,
            Op::Contains
                | Op::StartsWith
                | Op::EndsWith
                | Op::Matches
                | Op::Between
                | Op::IsPrivate
                | Op::IsGlobal
                | Op::IsUrl
                | Op::InNetwork
                | Op::HasItem
                | Op::HasAny
                | Op::HasAll
                | Op::IsEmpty
        )
    }

    pub fn shape(self) -> Shape {
        match self {
            Op::IsSet
            | Op::IsNotSet
            | Op::IsTrue
            | Op::IsFalse
            | Op::IsPrivate
            | Op::IsGlobal
            | Op::IsUrl
            | Op::IsEmpty => Shape::None,
            Op::Eq
            | Op::Ne
            | Op::Contains
            | Op::StartsWith
            | Op::EndsWith
            | Op::Lt
            | Op::Lte
            | Op::Gt
            | Op::Gte => Shape::Same,
            Op::In | Op::NotIn => Shape::ListOfSame,
            Op::Between => Shape::Range,
            Op::Matches => Shape::Regex,
            Op::WithinLast | Op::OlderThan => Shape::Duration,
            Op::InNetwork => Shape::CidrList,
            Op::HasItem => Shape::Item,
            Op::HasAny | Op::HasAll => Shape::ListOfItem,
            Op::LengthEq | Op::LengthGt | Op::LengthLt => Shape::Number,
        }
    }

    /// The type of the operand for a variable of type `vt` (None: takes no operand).
    pub fn operand_type(self, vt: &VType) -> Option<VType> {
        let any = Scalar::of(Kind::Any);
        let scalar = match vt {
            VType::One(s) => *s,
            VType::List(_) => any,
        };
        Some(match self.shape() {
            Shape::None => return None,
            Shape::Same => *vt,
            Shape::ListOfSame | Shape::Range => VType::List(Some(scalar)),
            Shape::Item => VType::One(vt.item().unwrap_or(any)),
            Shape::ListOfItem => VType::List(Some(vt.item().unwrap_or(any))),
            Shape::Number => VType::NUMBER,
            Shape::Duration => VType::DURATION,
            Shape::Regex => VType::STRING,
            Shape::CidrList => VType::List(Some(Scalar::of(Kind::Cidr))),
        })
    }
}

/// What a comparison needs besides the two values.
pub struct Env<'e> {
    pub index: &'e Index,
    /// `now` in microseconds.
    pub now_us: i64,
    /// The comparison is case-insensitive (group pks are folded too).
    pub fold: bool,
}

fn type_error(op: Op, a: &V<'_>) -> String {
    format!(
        "operator '{}' is not supported for the value {}",
        op.name(),
        value_kind(a)
    )
}

fn value_kind(v: &V<'_>) -> &'static str {
    match v {
        V::Str(_) => "str",
        V::Num(Num::I(_)) => "int",
        V::Num(Num::F(_)) => "float",
        V::Bool(_) => "bool",
        V::Time(_) => "datetime",
        V::Ip(_) => "ip address",
        V::Dur(_) => "timedelta",
        V::Net(_) => "ip network",
        V::List(_) | V::Groups(_) => "list",
        V::Any(_) => "value",
    }
}

/// Python `a == b` for typed values (different kinds are never equal).
pub fn eq(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Str(x), V::Str(y)) => x == y,
        (V::Num(x), V::Num(y)) => x.partial_cmp(*y) == Some(Ordering::Equal),
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(n), V::Bool(b)) | (V::Bool(b), V::Num(n)) => {
            n.partial_cmp(Num::I(*b as i64)) == Some(Ordering::Equal)
        }
        (V::Time(x), V::Time(y)) => x == y,
        (V::Ip(x), V::Ip(y)) => x == y,
        (V::Dur(x), V::Dur(y)) => x == y,
        (V::Net(x), V::Net(y)) => x == y,
        (V::List(x), V::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q)),
        (V::Any(x), V::Any(y)) => x == y,
        _ => false,
    }
}

fn order(op: Op, a: &V<'_>, b: &V<'_>) -> Result<Option<Ordering>, String> {
    match (a, b) {
        (V::Num(x), V::Num(y)) => Ok(x.partial_cmp(*y)),
        (V::Time(x), V::Time(y)) => Ok(Some(x.cmp(y))),
        _ => Err(type_error(op, a)),
    }
}

/// The group pk of `g`, folded when the comparison is case-insensitive.
fn group_pk_is(env: &Env<'_>, g: Id, item: &V<'_>) -> bool {
    let V::Str(s) = item else { return false };
    let Some(group) = env.index.snap.groups.get(g as usize) else {
        return false;
    };
    if env.fold {
        super::casefold::casefold(&group.pk) == s.as_ref()
    } else {
        group.pk == s.as_ref()
    }
}

/// `item in list`. `ids`: the groups a literal item names (precomputed for `user.groups`).
pub fn list_has(env: &Env<'_>, list: &V<'_>, item: &V<'_>, ids: Option<&[Id]>) -> bool {
    match list {
        V::List(items) => items.iter().any(|x| eq(x, item)),
        V::Groups(groups) => match ids {
            Some(ids) => ids.iter().any(|g| groups.binary_search(g).is_ok()),
            None => groups.iter().any(|&g| group_pk_is(env, g, item)),
        },
        _ => false,
    }
}

pub fn list_len(v: &V<'_>) -> Option<usize> {
    match v {
        V::List(items) => Some(items.len()),
        V::Groups(ids) => Some(ids.len()),
        _ => None,
    }
}

/// Applies `op` (not `matches`, not presence checks) to `a` and operand `b`.
/// `groups`: per item of a literal operand, the group ids it names (for `user.groups`).
pub fn apply(
    op: Op,
    env: &Env<'_>,
    a: &V<'_>,
    b: Option<&V<'_>>,
    groups: Option<&[Vec<Id>]>,
) -> Result<bool, String> {
    let missing_operand = || format!("operator '{}' has no operand", op.name());
    let operand = || b.ok_or_else(missing_operand);
    let group_ids = |i: usize| groups.and_then(|g| g.get(i)).map(Vec::as_slice);
    Ok(match op {
        Op::IsSet | Op::IsNotSet | Op::Matches => return Err(type_error(op, a)),
        Op::Eq => eq(a, operand()?),
        Op::Ne => !eq(a, operand()?),
        Op::In | Op::NotIn => {
            let V::List(items) = operand()? else {
                return Err(type_error(op, a));
            };
            items.iter().any(|x| eq(a, x)) == (op == Op::In)
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let (V::Str(x), V::Str(y)) = (a, operand()?) else {
                return Err(type_error(op, a));
            };
            match op {
                Op::Contains => x.contains(y.as_ref()),
                Op::StartsWith => x.starts_with(y.as_ref()),
                _ => x.ends_with(y.as_ref()),
            }
        }
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
            let ord = order(op, a, operand()?)?;
            match op {
                Op::Lt => ord == Some(Ordering::Less),
                Op::Lte => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                Op::Gt => ord == Some(Ordering::Greater),
                _ => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
            }
        }
        Op::Between => {
            let V::List(range) = operand()? else {
                return Err(type_error(op, a));
            };
            let [lo, hi] = range.as_slice() else {
                return Err("Operand must be a list of exactly two values".into());
            };
            matches!(order(op, lo, a)?, Some(Ordering::Less | Ordering::Equal))
                && matches!(order(op, a, hi)?, Some(Ordering::Less | Ordering::Equal))
        }
        Op::IsTrue | Op::IsFalse => {
            let V::Bool(x) = a else {
                return Err(type_error(op, a));
            };
            *x == (op == Op::IsTrue)
        }
        Op::WithinLast | Op::OlderThan => {
            let (V::Time(t), V::Dur(d)) = (a, operand()?) else {
                return Err(type_error(op, a));
            };
            // Python datetimes start at year 1.
            let since = env
                .now_us
                .checked_sub(*d)
                .filter(|s| *s >= -62_135_596_800_000_000)
                .ok_or_else(|| "date value out of range".to_string())?;
            let t = t.saturating_mul(1000);
            if op == Op::WithinLast {
                t >= since
            } else {
                t < since
            }
        }
        Op::InNetwork => {
            let (V::Ip(ip), V::List(nets)) = (a, operand()?) else {
                return Err(type_error(op, a));
            };
            nets.iter()
                .any(|n| matches!(n, V::Net(n) if n.contains(ip.addr)))
        }
        Op::IsPrivate | Op::IsGlobal => {
            let V::Ip(ip) = a else {
                return Err(type_error(op, a));
            };
            if op == Op::IsPrivate {
                net::is_private(ip.addr)
            } else {
                net::is_global(ip.addr)
            }
        }
        Op::IsUrl => {
            let V::Str(s) = a else {
                return Err(type_error(op, a));
            };
            super::url::is_url(s)
        }
        Op::HasItem => list_has(env, a, operand()?, group_ids(0)),
        Op::HasAny | Op::HasAll => {
            let V::List(items) = operand()? else {
                return Err(type_error(op, a));
            };
            let mut hits = items
                .iter()
                .enumerate()
                .map(|(i, x)| list_has(env, a, x, group_ids(i)));
            if op == Op::HasAny {
                hits.any(|h| h)
            } else {
                hits.all(|h| h)
            }
        }
        Op::IsEmpty => list_len(a).ok_or_else(|| type_error(op, a))? == 0,
        Op::LengthEq | Op::LengthGt | Op::LengthLt => {
            let len = list_len(a).ok_or_else(|| type_error(op, a))?;
            let V::Num(n) = operand()? else {
                return Err(type_error(op, a));
            };
            let ord = Num::I(len as i64).partial_cmp(*n);
            match op {
                Op::LengthEq => ord == Some(Ordering::Equal),
                Op::LengthGt => ord == Some(Ordering::Greater),
                _ => ord == Some(Ordering::Less),
            }
        }
    })
}
