//! authentik's expression helpers that run on snapshot data (policies §4.2): `ak_user_by`,
//! `ak_is_group_member`, `ak_user_has_authenticator`, `regex_match`, `ak_call_policy` (through
//! `_fg_call_policy`) and the parsing behind `ip_address` / `ip_network` (`_fg_ip`). Django
//! lookups (`name__startswith="x"`, `attributes__team="a"`) are supported for the fields a
//! snapshot has; an unknown field is Django's FieldError message.

use super::MAX_CALL_DEPTH;
use super::convert::{from_py, str};
use super::objects::{Call, Obj, Run, exc, unavailable};
use crate::index::Id;
use crate::policy::PolicyCtx;
use crate::policy::conditional::net::{self, Addr};
use monty_types::{ExcType, MontyObject};
use serde_json::{Map, Value};
use std::cell::RefCell;

/// Host functions, resolved as globals on first use.
pub const FUNCTIONS: [&str; 6] = [
    "ak_user_by",
    "ak_is_group_member",
    "ak_user_has_authenticator",
    "regex_match",
    "_fg_call_policy",
    "_fg_ip",
];

/// authentik helpers that need the network, the database or the server.
pub const UNAVAILABLE: [&str; 6] = [
    "ak_send_email",
    "ak_create_event",
    "ak_create_jwt",
    "ak_create_jwt_raw",
    "resolve_dns",
    "reverse_dns",
];

type Kwargs<'k> = &'k [(MontyObject, MontyObject)];

fn kwarg<'k>(kwargs: Kwargs<'k>, name: &str) -> Option<&'k MontyObject> {
    kwargs.iter().find_map(|(k, v)| match k {
        MontyObject::String(k) if k == name => Some(v),
        _ => None,
    })
}

fn type_error(message: impl Into<String>) -> monty_types::MontyException {
    exc(ExcType::TypeError, message)
}

/// Django's message for a lookup on a field the model does not have.
fn field_error(keyword: &str) -> monty_types::MontyException {
    exc(
        ExcType::Exception,
        format!("Cannot resolve keyword '{keyword}' into field."),
    )
}

impl Run<'_, '_> {
    pub fn function(&mut self, name: &str, args: &[MontyObject], kwargs: Kwargs<'_>) -> Call {
        match name {
            "ak_user_by" => self.user_by(args, kwargs),
            "ak_is_group_member" => self.is_group_member(args, kwargs),
            "ak_user_has_authenticator" => self.user_has_authenticator(args, kwargs),
            "regex_match" => self.regex_match(args, kwargs),
            "_fg_call_policy" => self.call_policy(args),
            "_fg_ip" => ip_info(args),
            other if UNAVAILABLE.contains(&other) => Err(unavailable(other)),
            other => Err(exc(
                ExcType::NameError,
                format!("name '{other}' is not defined"),
            )),
        }
    }

    /// `ak_user_by(**filters)`: the first matching user by pk, or None (a FieldError too).
    fn user_by(&mut self, args: &[MontyObject], kwargs: Kwargs<'_>) -> Call {
        if !args.is_empty() {
            return Err(type_error(format!(
                "ak_user_by() takes 0 positional arguments but {} were given",
                args.len()
            )));
        }
        let index = self.index();
        let filters = match parse_filters(kwargs, self) {
            Ok(f) => f,
            Err(_) => return Ok(MontyObject::None),
        };
        // The common lookups use the index; anything else scans the users.
        let direct = match filters.as_slice() {
            [f] if f.lookup == "exact" && f.path.len() == 1 => match (f.path[0].as_str(), &f.arg) {
                ("username", Value::String(u)) => Some(index.users_by_username.get(u).copied()),
                ("pk" | "id", v) => {
                    Some(crate::json::as_int(v).and_then(|pk| index.users_by_pk.get(&pk).copied()))
                }
                _ => None,
            },
            _ => None,
        };
        let found = match direct {
            Some(found) => found,
            None => {
                let mut best: Option<(i64, Id)> = None;
                for (i, u) in index.snap.users.iter().enumerate() {
                    let mut ok = true;
                    for f in &filters {
                        match user_matches(index, u, f) {
                            Ok(true) => {}
                            Ok(false) => {
                                ok = false;
                                break;
                            }
                            Err(_) => return Ok(MontyObject::None),
                        }
                    }
                    let pk = u.pk.unwrap_or_default();
                    if ok && best.is_none_or(|(b, _)| pk < b) {
                        best = Some((pk, i as Id));
                    }
                }
                best.map(|(_, id)| id)
            }
        };
        Ok(match found {
            Some(id) => self.user_object(Obj::User(id)),
            None => MontyObject::None,
        })
    }

    /// `ak_is_group_member(user, **filters)`: any of the user's groups, ancestors included,
    /// matches every filter.
    fn is_group_member(&mut self, args: &[MontyObject], kwargs: Kwargs<'_>) -> Call {
        let Some(user) = args.first() else {
            return Err(type_error(
                "ak_is_group_member() missing 1 required positional argument: 'user'",
            ));
        };
        let filters = parse_filters(kwargs, self)?;
        let index = self.index();
        let groups: Vec<Id> = match self.object_of(user) {
            Some((_, Obj::Anonymous)) => {
                return Err(exc(
                    ExcType::AttributeError,
                    "'AnonymousUser' object has no attribute 'all_groups'",
                ));
            }
            Some((_, o)) => match self.user_view(o) {
                Some(v) => v.groups.into_owned(),
                None => return Err(no_all_groups(user)),
            },
            None => return Err(no_all_groups(user)),
        };
        for g in groups {
            if group_matches_all(index, g, &filters)? {
                return Ok(MontyObject::Bool(true));
            }
        }
        Ok(MontyObject::Bool(false))
    }

    /// `ak_user_has_authenticator(user, device_type=None)`: the snapshot's
    /// `authenticator_types` are the user's confirmed device types (`totp`, `webauthn`, …).
    fn user_has_authenticator(&mut self, args: &[MontyObject], kwargs: Kwargs<'_>) -> Call {
        let Some(user) = args.first() else {
            return Err(type_error(
                "ak_user_has_authenticator() missing 1 required positional argument: 'user'",
            ));
        };
        let device_type = args.get(1).or_else(|| kwarg(kwargs, "device_type"));
        let Some(v) = self.object_of(user).and_then(|(_, o)| self.user_view(o)) else {
            return Ok(MontyObject::Bool(false));
        };
        let types = &v.user.authenticator_types;
        Ok(MontyObject::Bool(match device_type {
            None | Some(MontyObject::None) => !types.is_empty(),
            Some(MontyObject::String(t)) if t.is_empty() => !types.is_empty(),
            Some(MontyObject::String(t)) => types.iter().any(|d| d == t),
            Some(_) => false,
        }))
    }

    /// `regex_match(value, regex)` = `re.search(regex, value) is not None`, with the pattern
    /// compiled once per policy (the same engine as the sandbox's `re`).
    fn regex_match(&mut self, args: &[MontyObject], kwargs: Kwargs<'_>) -> Call {
        let value = args.first().or_else(|| kwarg(kwargs, "value"));
        let regex = args.get(1).or_else(|| kwarg(kwargs, "regex"));
        let (Some(value), Some(regex)) = (value, regex) else {
            return Err(type_error(
                "regex_match() missing required positional arguments: 'value' and 'regex'",
            ));
        };
        let MontyObject::String(pattern) = regex else {
            return Err(type_error(
                "first argument must be string or compiled pattern",
            ));
        };
        let MontyObject::String(text) = value else {
            return Err(type_error(format!(
                "expected string or bytes-like object, got '{}'",
                value.type_name()
            )));
        };
        let re = self
            .program
            .regex(pattern)
            .map_err(|e| exc(ExcType::RePatternError, e))?;
        re.is_match(text)
            .map(MontyObject::Bool)
            .map_err(|e| exc(ExcType::RePatternError, e.to_string()))
    }

    /// `ak_call_policy(name, **kwargs)` (the Python side merged the kwargs into a copy of the
    /// context): runs the policy as a binding would, without negate and with failure_result
    /// false, and returns a PolicyResult.
    fn call_policy(&mut self, args: &[MontyObject]) -> Call {
        let (Some(name), Some(context)) = (args.first(), args.get(1)) else {
            return Err(type_error(
                "ak_call_policy() missing 1 required positional argument: 'name'",
            ));
        };
        let name = match name {
            MontyObject::String(s) => s.clone(),
            other => other.to_string(),
        };
        let ctx = self.ctx;
        let index = ctx.index;
        let Some(&pid) = index.policies_by_name.get(&name) else {
            return Err(exc(
                ExcType::ValueError,
                format!("Policy '{name}' not found."),
            ));
        };
        if ctx.depth >= MAX_CALL_DEPTH {
            return Err(exc(
                ExcType::RecursionError,
                "maximum ak_call_policy depth exceeded",
            ));
        }
        // A deep copy of the request: the flow plan is the callee's own (writes are dropped).
        let mut map: Map<String, Value> = match from_py(context, self, 0) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        map.remove("flow_plan");
        let copy = RefCell::new(map);
        let nested = PolicyCtx {
            context: &copy,
            depth: ctx.depth + 1,
            trace: false,
            ..*ctx
        };
        let (passing, messages) = match nested.run_policy(pid) {
            Ok(o) => (o.passing, o.messages),
            Err(e) => (false, vec![e]),
        };
        let messages = MontyObject::Tuple(messages.iter().map(|m| str(m)).collect());
        Ok(self.instance(
            "PolicyResult",
            Obj::Plain,
            vec![
                ("passing", MontyObject::Bool(passing)),
                ("messages", messages),
                ("raw_result", MontyObject::None),
                ("source_binding", MontyObject::None),
                ("source_results", MontyObject::List(Vec::new())),
                ("log_messages", MontyObject::List(Vec::new())),
            ],
        ))
    }

    /// `user.groups.all()` / `.filter(**kw)` / `.count()` / `.exists()` on direct groups.
    pub fn manager_method(&mut self, name: &str, direct: &[Id], kwargs: Kwargs<'_>) -> Call {
        let index = self.index();
        let filters = parse_filters(kwargs, self)?;
        let mut selected = Vec::with_capacity(direct.len());
        for &g in direct {
            if group_matches_all(index, g, &filters)? {
                selected.push(g);
            }
        }
        match name {
            "all" | "filter" => Ok(self.groups_list(&selected)),
            "count" => Ok(MontyObject::Int(selected.len() as i64)),
            "exists" => Ok(MontyObject::Bool(!selected.is_empty())),
            "first" => Ok(match self.groups_list(&selected[..selected.len().min(1)]) {
                MontyObject::List(mut items) => items.pop().unwrap_or(MontyObject::None),
                _ => MontyObject::None,
            }),
            _ => Err(exc(
                ExcType::AttributeError,
                format!("'ManyRelatedManager' object has no attribute '{name}'"),
            )),
        }
    }
}

fn no_all_groups(v: &MontyObject) -> monty_types::MontyException {
    exc(
        ExcType::AttributeError,
        format!("'{}' object has no attribute 'all_groups'", v.type_name()),
    )
}

/// One Django lookup: `path` = field (and JSON keys), `lookup` = `exact`, `icontains`, …
#[derive(Debug)]
struct Filter {
    keyword: String,
    path: Vec<String>,
    lookup: &'static str,
    arg: Value,
}

const LOOKUPS: [&str; 16] = [
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "in",
    "isnull",
    "gt",
    "gte",
    "lt",
    "lte",
    "regex",
    "iregex",
];

fn parse_filters(
    kwargs: Kwargs<'_>,
    run: &Run<'_, '_>,
) -> Result<Vec<Filter>, monty_types::MontyException> {
    let mut out = Vec::with_capacity(kwargs.len());
    for (k, v) in kwargs {
        let MontyObject::String(keyword) = k else {
            continue;
        };
        let mut path: Vec<String> = keyword.split("__").map(str::to_string).collect();
        let lookup = match path
            .last()
            .and_then(|l| LOOKUPS.iter().find(|x| **x == l.as_str()))
        {
            Some(l) if path.len() > 1 => {
                path.pop();
                *l
            }
            _ => "exact",
        };
        if path.iter().any(String::is_empty) {
            return Err(field_error(keyword));
        }
        out.push(Filter {
            keyword: keyword.clone(),
            path,
            lookup,
            arg: from_py(v, run, 0),
        });
    }
    Ok(out)
}

fn group_matches_all(
    index: &crate::index::Index,
    g: Id,
    filters: &[Filter],
) -> Result<bool, monty_types::MontyException> {
    let group = &index.snap.groups[g as usize];
    for f in filters {
        let value = match f.path[0].as_str() {
            "pk" | "group_uuid" if f.path.len() == 1 => Some(Value::String(group.pk.clone())),
            "name" if f.path.len() == 1 => Some(Value::String(group.name.clone())),
            "is_superuser" if f.path.len() == 1 => Some(Value::Bool(group.is_superuser)),
            "attributes" => json_path(&group.attributes, &f.path[1..]),
            _ => return Err(field_error(&f.keyword)),
        };
        if !matches(value.as_ref(), f)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn user_matches(
    index: &crate::index::Index,
    u: &crate::snapshot::User,
    f: &Filter,
) -> Result<bool, monty_types::MontyException> {
    let scalar = |v: Value| Ok(Some(v));
    let value: Result<Option<Value>, monty_types::MontyException> = match f.path[0].as_str() {
        "groups" | "ak_groups" if f.path.len() > 1 => {
            // A relation lookup: any direct group matches the rest of the path.
            let rest = Filter {
                keyword: f.keyword.clone(),
                path: f.path[1..].to_vec(),
                lookup: f.lookup,
                arg: f.arg.clone(),
            };
            let direct = u.groups.iter().filter_map(|g| index.groups_by_pk.get(g));
            for &g in direct {
                if group_matches_all(index, g, std::slice::from_ref(&rest))? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        _ if f.path.len() > 1 && f.path[0] != "attributes" => Err(field_error(&f.keyword)),
        "pk" | "id" => scalar(u.pk.map_or(Value::Null, Value::from)),
        "username" => scalar(Value::String(u.username.clone())),
        "name" => scalar(Value::String(u.name.clone())),
        "email" => scalar(Value::String(u.email.clone())),
        "is_active" => scalar(Value::Bool(u.is_active)),
        "type" => scalar(Value::String(u.user_type.clone())),
        "path" => scalar(Value::String(u.path.clone())),
        "attributes" => Ok(json_path(&u.attributes, &f.path[1..])),
        _ => Err(field_error(&f.keyword)),
    };
    matches(value?.as_ref(), f)
}

/// `attributes__a__b`: the JSON value at that key path (None = missing).
fn json_path(map: &Map<String, Value>, keys: &[String]) -> Option<Value> {
    let mut cur = Value::Object(map.clone());
    for k in keys {
        cur = match cur {
            Value::Object(mut m) => m.remove(k)?,
            Value::Array(mut a) => {
                let i: usize = k.parse().ok()?;
                (i < a.len()).then(|| a.swap_remove(i))?
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Equality as a database compares: numbers by value, strings exactly.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            s.parse::<f64>().ok() == x.as_f64()
        }
        _ => a == b,
    }
}

fn matches(value: Option<&Value>, f: &Filter) -> Result<bool, monty_types::MontyException> {
    let arg = &f.arg;
    if f.lookup == "isnull" {
        let is_null = matches!(value, None | Some(Value::Null));
        return Ok(is_null == crate::json::truthy(arg));
    }
    let Some(value) = value else {
        return Ok(false);
    };
    let lower = |v: &Value| as_text(v).to_lowercase();
    Ok(match f.lookup {
        "exact" => equal(value, arg),
        "iexact" => lower(value) == lower(arg),
        "contains" => match value {
            Value::Array(items) => items.iter().any(|i| equal(i, arg)),
            v => as_text(v).contains(&as_text(arg)),
        },
        "icontains" => lower(value).contains(&lower(arg)),
        "startswith" => as_text(value).starts_with(&as_text(arg)),
        "istartswith" => lower(value).starts_with(&lower(arg)),
        "endswith" => as_text(value).ends_with(&as_text(arg)),
        "iendswith" => lower(value).ends_with(&lower(arg)),
        "in" => match arg {
            Value::Array(items) => items.iter().any(|i| equal(value, i)),
            _ => return Err(type_error("'in' lookups need a list")),
        },
        "gt" | "gte" | "lt" | "lte" => {
            let ord = match (value, arg) {
                (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
                _ => Some(as_text(value).cmp(&as_text(arg))),
            };
            let Some(ord) = ord else { return Ok(false) };
            match f.lookup {
                "gt" => ord.is_gt(),
                "gte" => ord.is_ge(),
                "lt" => ord.is_lt(),
                _ => ord.is_le(),
            }
        }
        "regex" | "iregex" => {
            let pattern = if f.lookup == "iregex" {
                format!("(?i){}", as_text(arg))
            } else {
                as_text(arg)
            };
            let re = fancy_regex::Regex::new(&pattern)
                .map_err(|e| exc(ExcType::RePatternError, e.to_string()))?;
            re.is_match(&as_text(value)).unwrap_or(false)
        }
        _ => false,
    })
}

/// Python int of an address (i64 when it fits, else a big int).
fn int(v: u128) -> MontyObject {
    match i64::try_from(v) {
        Ok(i) => MontyObject::Int(i),
        Err(_) => MontyObject::BigInt(v.into()),
    }
}

fn bits(a: Addr) -> (u128, u8) {
    match a {
        Addr::V4(x) => (u128::from(x), 32),
        Addr::V6(x) => (x.get(), 128),
    }
}

fn mask(max: u8, prefix: u8) -> u128 {
    let all = if max == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    if prefix == 0 {
        0
    } else {
        all & (all << (max - prefix.min(max)))
    }
}

fn addr_of(version: u8, v: u128) -> Addr {
    if version == 4 {
        Addr::V4(v as u32)
    } else {
        Addr::V6(net::V6::new(v))
    }
}

fn text(a: Addr) -> String {
    net::Ip {
        addr: a,
        scope: None,
    }
    .to_string()
}

fn exploded(a: Addr) -> String {
    match a {
        Addr::V4(_) => text(a),
        Addr::V6(x) => (0..8)
            .map(|i| format!("{:04x}", (x.get() >> (112 - 16 * i)) & 0xffff))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

/// Reserved IPv6 ranges of Python's `ipaddress` (`IPv6Address.is_reserved`).
const V6_RESERVED: [(u128, u8); 15] = [
    (0, 8),
    (0x0100 << 112, 8),
    (0x0200 << 112, 7),
    (0x0400 << 112, 6),
    (0x0800 << 112, 5),
    (0x1000 << 112, 4),
    (0x4000 << 112, 3),
    (0x6000 << 112, 3),
    (0x8000 << 112, 3),
    (0xa000 << 112, 3),
    (0xc000 << 112, 3),
    (0xe000 << 112, 4),
    (0xf000 << 112, 5),
    (0xf800 << 112, 6),
    (0xfe00 << 112, 9),
];

/// The tuple `ipaddress.py` builds an address object from.
fn address_info(a: Addr) -> MontyObject {
    let (v, max) = bits(a);
    let in_net = |net: u128, p: u8| v & mask(max, p) == net;
    let (loopback, multicast, link_local, reserved) = match a {
        Addr::V4(_) => (
            in_net(127 << 24, 8),
            in_net(224 << 24, 4),
            in_net(0xa9fe << 16, 16),
            in_net(240 << 24, 4),
        ),
        Addr::V6(_) => (
            v == 1,
            in_net(0xff << 120, 8),
            in_net(0xfe80 << 112, 10),
            V6_RESERVED.iter().any(|&(n, p)| in_net(n, p)),
        ),
    };
    MontyObject::Tuple(vec![
        MontyObject::Int(if max == 32 { 4 } else { 6 }),
        int(v),
        str(&text(a)),
        str(&exploded(a)),
        MontyObject::Int(i64::from(max)),
        MontyObject::Bool(net::is_private(a)),
        MontyObject::Bool(net::is_global(a)),
        MontyObject::Bool(loopback),
        MontyObject::Bool(multicast),
        MontyObject::Bool(link_local),
        MontyObject::Bool(reserved),
        MontyObject::Bool(v == 0),
    ])
}

/// What the user passed to `ip_address` / `ip_network`, as text (ints and address objects
/// as Python would read them).
fn ip_text(v: &MontyObject) -> Result<String, monty_types::MontyException> {
    match v {
        MontyObject::String(s) => Ok(s.clone()),
        MontyObject::Int(i) if *i >= 0 => Ok(int_address(*i as u128)),
        MontyObject::Bool(b) => Ok(int_address(u128::from(*b))),
        MontyObject::BigInt(b) => u128::try_from(b).map(int_address).map_err(|_| {
            exc(
                ExcType::ValueError,
                format!("{b} does not appear to be an IPv4 or IPv6 address"),
            )
        }),
        MontyObject::ClassInstance(c) => c
            .attrs
            .iter()
            .find_map(|(k, v)| match (k, v) {
                (MontyObject::String(k), MontyObject::String(s))
                    if k == "compressed" || k == "with_prefixlen" =>
                {
                    Some(s.clone())
                }
                _ => None,
            })
            .ok_or_else(|| {
                exc(
                    ExcType::ValueError,
                    format!("{v} does not appear to be an IPv4 or IPv6 address"),
                )
            }),
        other => Err(exc(
            ExcType::ValueError,
            format!(
                "{} does not appear to be an IPv4 or IPv6 address",
                other.py_repr()
            ),
        )),
    }
}

fn int_address(v: u128) -> String {
    match u32::try_from(v) {
        Ok(x) => text(Addr::V4(x)),
        Err(_) => text(Addr::V6(net::V6::new(v))),
    }
}

/// `_fg_ip(kind, value, strict)`: the info tuple of an address or a network.
fn ip_info(args: &[MontyObject]) -> Call {
    let (Some(MontyObject::String(kind)), Some(value)) = (args.first(), args.get(1)) else {
        return Err(type_error("_fg_ip(kind, value, strict)"));
    };
    let strict = args.get(2).is_none_or(MontyObject::is_truthy);
    let s = ip_text(value)?;
    if kind == "address" {
        let ip = net::parse_ip(&s).map_err(|e| exc(ExcType::ValueError, e))?;
        return Ok(address_info(ip.addr));
    }
    let n = net::parse_net(&s).map_err(|e| exc(ExcType::ValueError, e))?;
    let (v, max) = bits(n.addr);
    let m = mask(max, n.prefix);
    if strict {
        // The address before the prefix must have no host bits (Python's strict=True).
        let given = s.split('/').next().unwrap_or_default();
        let given = given.split('%').next().unwrap_or_default();
        if let Ok(ip) = net::parse_ip(given) {
            let (g, _) = bits(ip.addr);
            if g != v {
                return Err(exc(
                    ExcType::ValueError,
                    format!("{}/{} has host bits set", text(ip.addr), n.prefix),
                ));
            }
        }
    }
    let version: u8 = if max == 32 { 4 } else { 6 };
    let all = mask(max, max);
    let broadcast = v | (all & !m);
    let net_addr = addr_of(version, v);
    let bcast = addr_of(version, broadcast);
    let with = |tail: String| format!("{}/{tail}", text(net_addr));
    let count = 1u128.checked_shl(u32::from(max.saturating_sub(n.prefix)));
    Ok(MontyObject::Tuple(vec![
        MontyObject::Int(i64::from(version)),
        int(v),
        int(m),
        MontyObject::Int(i64::from(n.prefix)),
        str(&with(n.prefix.to_string())),
        str(&with(text(addr_of(version, m)))),
        str(&with(text(addr_of(version, all & !m)))),
        count.map_or_else(
            || MontyObject::BigInt(num_bigint::BigInt::from(1u8) << 128),
            int,
        ),
        MontyObject::Int(i64::from(max)),
        MontyObject::Bool(net::is_private(net_addr) && net::is_private(bcast)),
        MontyObject::Bool(net::is_global(net_addr) && net::is_global(bcast)),
        address_info(net_addr),
        address_info(bcast),
        address_info(addr_of(version, m)),
        address_info(addr_of(version, all & !m)),
    ]))
}
