//! Blueprint text → `Node` tree. saphyr-parser does the YAML parsing (events with tags and
//! positions); this module only builds the tree and types plain scalars the way authentik's
//! loader (PyYAML's `SafeLoader`, YAML 1.1) does: `yes`/`on` are booleans, `0o17`, `1e3` and
//! dates stay strings, `010` is octal, `<<` merges. JSON is YAML, so JSON blueprints load too.

use super::tags::Tag;
use super::value::Val;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag as YamlTag};
use std::collections::HashMap;

/// Nesting deeper than this is refused (keeps every later recursion bounded).
pub const MAX_DEPTH: usize = 128;
/// Nodes after alias expansion ("billion laughs" guard).
const MAX_NODES: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    /// 1-based source line (0 for values that come from options, not from a file).
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A resolved scalar (never a list or dict).
    Scalar(Val),
    Seq(Vec<Node>),
    /// Keys in document order; a repeated key keeps its first position and last value.
    Map(Vec<(String, Node)>),
    /// A custom tag as parsed, before `tags::construct_all` checks its shape. Tagged scalars
    /// keep their raw text (`!KeyOf 123` → "123"), as PyYAML hands `node.value` to the tag.
    Tagged(String, Box<Node>),
    Tag(Box<Tag>),
}

impl Node {
    pub fn new(kind: Kind, line: usize) -> Node {
        Node { kind, line }
    }

    /// A plain value (e.g. from the `context` option) as a node.
    pub fn from_val(v: &Val) -> Node {
        let kind = match v {
            Val::List(l) => Kind::Seq(l.iter().map(Node::from_val).collect()),
            Val::Dict(d) => Kind::Map(
                d.iter()
                    .map(|(k, v)| (k.clone(), Node::from_val(v)))
                    .collect(),
            ),
            scalar => Kind::Scalar(scalar.clone()),
        };
        Node::new(kind, 0)
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The node as a plain value when it holds no tag.
    #[cfg(test)]
    pub fn plain(&self) -> Option<Val> {
        Some(match &self.kind {
            Kind::Scalar(v) => v.clone(),
            Kind::Seq(items) => Val::List(items.iter().map(Node::plain).collect::<Option<_>>()?),
            Kind::Map(pairs) => Val::Dict(
                pairs
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.plain()?)))
                    .collect::<Option<_>>()?,
            ),
            Kind::Tagged(..) | Kind::Tag(_) => return None,
        })
    }

    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar(v) => v.type_name(),
            Kind::Seq(_) => "list",
            Kind::Map(_) => "dict",
            Kind::Tagged(..) | Kind::Tag(_) => "tag",
        }
    }
}

/// A YAML syntax or structure error at a source position.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        anchor: usize,
        tag: Option<String>,
        line: usize,
    },
    Map {
        keys: Vec<Node>,
        values: Vec<Node>,
        anchor: usize,
        tag: Option<String>,
        line: usize,
    },
}

/// `(node, node count, depth)` of anchored nodes, for aliases.
type Anchors = HashMap<usize, (Node, usize, usize)>;

/// Parses one blueprint document.
pub fn parse(text: &str) -> Result<Node, LoadError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Anchors = HashMap::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    let err = |span: &Span, message: String| LoadError {
        line: span.start.line(),
        col: span.start.col() + 1,
        message,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| LoadError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let line = span.start.line();
        let done: Option<(Node, usize)> = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(err(
                        &span,
                        "expected a single document in the stream, but found another document"
                            .into(),
                    ));
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                let node =
                    scalar(&value, style, tag.as_deref(), line).map_err(|m| err(&span, m))?;
                Some((node, anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        &span,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                nodes += 1;
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    tag: tag_name(tag.as_deref(), "seq").map_err(|m| err(&span, m))?,
                    line,
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        &span,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                nodes += 1;
                stack.push(Frame::Map {
                    keys: Vec::new(),
                    values: Vec::new(),
                    anchor,
                    tag: tag_name(tag.as_deref(), "map").map_err(|m| err(&span, m))?,
                    line,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    anchor,
                    tag,
                    line,
                }) => Some((wrap(tag, Node::new(Kind::Seq(items), line)), anchor)),
                _ => return Err(err(&span, "unbalanced sequence end".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    keys,
                    values,
                    anchor,
                    tag,
                    line,
                }) => {
                    let map = build_map(keys, values).map_err(|m| err(&span, m))?;
                    Some((wrap(tag, Node::new(Kind::Map(map), line)), anchor))
                }
                _ => return Err(err(&span, "unbalanced mapping end".into())),
            },
            Event::Alias(id) => {
                let (node, count, depth) = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err(&span, "found undefined alias".into()))?;
                // Aliases must not deepen the tree past the limit either.
                if stack.len() + depth > MAX_DEPTH {
                    return Err(err(
                        &span,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                nodes = nodes.saturating_add(count);
                if nodes > MAX_NODES {
                    return Err(err(
                        &span,
                        format!("more than {MAX_NODES} nodes after expanding aliases"),
                    ));
                }
                Some((node, 0))
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
        };
        if let Some((node, anchor)) = done {
            if anchor != 0 {
                anchors.insert(anchor, (node.clone(), count_nodes(&node), depth_of(&node)));
            }
            match stack.last_mut() {
                Some(Frame::Seq { items, .. }) => items.push(unmark(node)),
                Some(Frame::Map { keys, values, .. }) => {
                    if keys.len() == values.len() {
                        keys.push(node);
                    } else {
                        values.push(unmark(node));
                    }
                }
                None => root = Some(unmark(node)),
            }
        }
    }
    root.ok_or(LoadError {
        line: 1,
        col: 1,
        message: "the document is empty".into(),
    })
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.kind {
        Kind::Seq(items) => items.iter().map(count_nodes).sum(),
        Kind::Map(pairs) => pairs.iter().map(|(_, v)| count_nodes(v)).sum(),
        Kind::Tagged(_, inner) => count_nodes(inner),
        Kind::Scalar(_) | Kind::Tag(_) => 0,
    }
}

fn depth_of(n: &Node) -> usize {
    1 + match &n.kind {
        Kind::Seq(items) => items.iter().map(depth_of).max().unwrap_or(0),
        Kind::Map(pairs) => pairs.iter().map(|(_, v)| depth_of(v)).max().unwrap_or(0),
        Kind::Tagged(_, inner) => depth_of(inner),
        Kind::Scalar(_) | Kind::Tag(_) => 0,
    }
}

fn wrap(tag: Option<String>, node: Node) -> Node {
    match tag {
        Some(name) => {
            let line = node.line;
            Node::new(Kind::Tagged(name, Box::new(node)), line)
        }
        None => node,
    }
}

const CORE: &str = "tag:yaml.org,2002:";

/// A collection tag: `Some(name)` for a local tag (`!Find`), None for none or the matching
/// core tag (`!!seq`, `!!map`).
fn tag_name(tag: Option<&YamlTag>, core_ok: &str) -> Result<Option<String>, String> {
    match tag {
        None => Ok(None),
        Some(t) if t.handle == "!" => Ok(Some(t.suffix.clone())),
        Some(t) if t.handle == CORE && t.suffix == core_ok => Ok(None),
        Some(t) => Err(format!(
            "could not determine a constructor for the tag '{}'",
            display_tag(t)
        )),
    }
}

fn display_tag(t: &YamlTag) -> String {
    if t.handle == CORE {
        format!("tag:yaml.org,2002:{}", t.suffix)
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}

/// Marks a plain `<<` key (a YAML merge key); quoted `"<<"` is an ordinary string.
const MERGE: &str = "\u{0}<<";

fn scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&YamlTag>,
    line: usize,
) -> Result<Node, String> {
    let val = match tag {
        Some(t) if t.handle == "!" => {
            let raw = Node::new(Kind::Scalar(Val::str(value)), line);
            return Ok(Node::new(
                Kind::Tagged(t.suffix.clone(), Box::new(raw)),
                line,
            ));
        }
        Some(t) if t.handle == CORE => match t.suffix.as_str() {
            "str" => Val::str(value),
            "null" => Val::None,
            "bool" => resolve_bool(value).ok_or_else(|| format!("invalid boolean '{value}'"))?,
            "int" => resolve_int(value).ok_or_else(|| format!("invalid integer '{value}'"))?,
            "float" => resolve_float(value)
                .or_else(|| resolve_int(value).and_then(|v| v.as_number().map(Val::Float)))
                .ok_or_else(|| format!("invalid float '{value}'"))?,
            _ => {
                return Err(format!(
                    "could not determine a constructor for the tag '{}'",
                    display_tag(t)
                ));
            }
        },
        Some(t) => {
            return Err(format!(
                "could not determine a constructor for the tag '{}'",
                display_tag(t)
            ));
        }
        None if style == ScalarStyle::Plain => resolve_plain(value),
        None => Val::str(value),
    };
    Ok(Node::new(Kind::Scalar(val), line))
}

/// PyYAML's implicit resolvers (YAML 1.1): null, bool, int, float, merge; else a string.
/// Timestamps stay strings (JSON has no date type).
fn resolve_plain(s: &str) -> Val {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Val::None,
        "<<" => return Val::str(MERGE),
        _ => {}
    }
    resolve_bool(s)
        .or_else(|| resolve_int(s))
        .or_else(|| resolve_float(s))
        .unwrap_or_else(|| Val::str(s))
}

fn resolve_bool(s: &str) -> Option<Val> {
    match s {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(Val::Bool(true))
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(Val::Bool(false))
        }
        _ => None,
    }
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all_in(s: &str, ok: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(|c| ok(c) || c == '_')
}

/// `0b1010`, `0x_ff`, `017` (octal), `1_000`, `1:30` (base 60), with an optional sign.
fn resolve_int(s: &str) -> Option<Val> {
    let (neg, body) = split_sign(s);
    let parse = |digits: &str, radix: u32| -> Option<i64> {
        let clean: String = digits.chars().filter(|c| *c != '_').collect();
        if clean.is_empty() {
            return Some(0);
        }
        i64::from_str_radix(&clean, radix).ok()
    };
    let n = if let Some(b) = body.strip_prefix("0b") {
        all_in(b, |c| c == '0' || c == '1').then(|| parse(b, 2))??
    } else if let Some(h) = body.strip_prefix("0x") {
        all_in(h, |c| c.is_ascii_hexdigit()).then(|| parse(h, 16))??
    } else if body == "0" {
        0
    } else if let Some(o) = body.strip_prefix('0') {
        all_in(o, |c| ('0'..='7').contains(&c)).then(|| parse(o, 8))??
    } else if body.contains(':') {
        let mut parts = body.split(':');
        let first = parts.next()?;
        if !first.starts_with(|c: char| ('1'..='9').contains(&c))
            || !all_in(first, |c| c.is_ascii_digit())
        {
            return None;
        }
        let mut n = parse(first, 10)?;
        for p in parts {
            if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let v: i64 = p.parse().ok()?;
            if v > 59 {
                return None;
            }
            n = n.checked_mul(60)?.checked_add(v)?;
        }
        n
    } else {
        if !body.starts_with(|c: char| ('1'..='9').contains(&c))
            || !all_in(body, |c| c.is_ascii_digit())
        {
            return None;
        }
        match parse(body, 10) {
            Some(n) => n,
            // Beyond i64: Python has big ints; a float keeps the magnitude.
            None => {
                let clean: String = body.chars().filter(|c| *c != '_').collect();
                let f: f64 = clean.parse().ok()?;
                return Some(Val::Float(if neg { -f } else { f }));
            }
        }
    };
    Some(Val::Int(if neg { -n } else { n }))
}

/// `1.5`, `1.`, `.5`, `1.0e+3` (the exponent needs a sign and the mantissa a dot), `.inf`,
/// `-.inf`, `.nan`, `1:30.5` (base 60).
fn resolve_float(s: &str) -> Option<Val> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Val::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Val::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Val::Float(f64::NAN)),
        _ => {}
    }
    let (neg, body) = split_sign(s);
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let value = if body.contains(':') {
        let (int_part, frac) = body.rsplit_once(':')?;
        let (last, decimals) = frac.split_once('.')?;
        let Some(Val::Int(base)) = resolve_int(int_part) else {
            return None;
        };
        if last.is_empty() || last.len() > 2 || !last.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if !decimals.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return None;
        }
        let secs: f64 = format!("{last}.{}0", decimals.replace('_', ""))
            .parse()
            .ok()?;
        base as f64 * 60.0 + secs
    } else {
        let (mantissa, exp) = match clean.find(['e', 'E']) {
            Some(i) => (&clean[..i], Some(&clean[i + 1..])),
            None => (clean.as_str(), None),
        };
        let (int_part, frac) = mantissa.split_once('.')?;
        let digits_ok = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        // `[0-9][0-9_]*\.[0-9_]*` or `\.[0-9_]+` (the latter without a sign).
        let shape_ok = if int_part.is_empty() {
            !frac.is_empty() && body.len() == s.len() && !body.starts_with("._")
        } else {
            body.starts_with(|c: char| c.is_ascii_digit())
        };
        if !shape_ok || !digits_ok(int_part) || !digits_ok(frac) {
            return None;
        }
        if let Some(e) = exp {
            let (_, ed) = match e.as_bytes().first() {
                Some(b'+') | Some(b'-') => e.split_at(1),
                _ => return None,
            };
            if ed.is_empty() || !digits_ok(ed) {
                return None;
            }
        }
        let text = format!(
            "{}.{}0{}",
            if int_part.is_empty() { "0" } else { int_part },
            frac,
            exp.map(|e| format!("e{e}")).unwrap_or_default()
        );
        text.parse::<f64>().ok()?
    };
    Some(Val::Float(if neg { -value } else { value }))
}

/// A plain `<<` that is not a mapping key is just the text `<<`.
fn unmark(node: Node) -> Node {
    match &node.kind {
        Kind::Scalar(Val::Str(s)) if s == MERGE => {
            Node::new(Kind::Scalar(Val::str("<<")), node.line)
        }
        _ => node,
    }
}

/// Builds a mapping: keys become strings, `<<` merges (PyYAML: merged keys first, then the
/// mapping's own keys override them).
fn build_map(keys: Vec<Node>, values: Vec<Node>) -> Result<Vec<(String, Node)>, String> {
    let mut merged: Vec<(String, Node)> = Vec::new();
    let mut own: Vec<(String, Node)> = Vec::new();
    for (k, v) in keys.into_iter().zip(values) {
        let key = match &k.kind {
            Kind::Scalar(Val::Str(s)) if s == MERGE => {
                let sources: Vec<&Node> = match &v.kind {
                    Kind::Map(_) => vec![&v],
                    Kind::Seq(items) if items.iter().all(|i| matches!(i.kind, Kind::Map(_))) => {
                        items.iter().collect()
                    }
                    _ => {
                        return Err(format!(
                            "expected a mapping or list of mappings for merging, but found {}",
                            v.describe()
                        ));
                    }
                };
                // Earlier sources win over later ones.
                for src in sources {
                    if let Kind::Map(pairs) = &src.kind {
                        for (pk, pv) in pairs {
                            if !merged.iter().any(|(k, _)| k == pk) {
                                merged.push((pk.clone(), pv.clone()));
                            }
                        }
                    }
                }
                continue;
            }
            Kind::Scalar(v) => v.key_string(),
            _ => return Err(format!("found unhashable key ({})", k.describe())),
        };
        own.push((key, v));
    }
    let mut out = merged;
    for (k, v) in own {
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(text: &str) -> Val {
        parse(text)
            .ok()
            .and_then(|n| n.plain())
            .unwrap_or(Val::str("<error>"))
    }

    #[test]
    fn pyyaml_scalars() {
        let v = val(
            "[yes, No, on, OFF, ~, null, '', 010, 0x1f, 0b11, 1_000, -42, 1:30, 1.5, 1., .5, 1.0e+3, 1e3, 0o17, 2024-01-02, '1', .inf, 007, 08]",
        );
        assert_eq!(
            v.py_repr(),
            "[True, False, True, False, None, None, '', 8, 31, 3, 1000, -42, 90, 1.5, 1.0, 0.5, 1000.0, '1e3', '0o17', '2024-01-02', '1', inf, 7, '08']"
        );
    }

    #[test]
    fn core_tags_and_keys() {
        let v = val("{!!str 1: !!int '5', 2: !!float 3, true: x, null: y}");
        assert_eq!(v.py_repr(), "{'1': 5, '2': 3.0, 'true': 'x', 'null': 'y'}");
    }

    #[test]
    fn anchors_aliases_and_merge() {
        let v = val("base: &b {a: 1, b: 2}\nother:\n  <<: *b\n  b: 3\n  c: 4\nlist: [*b, *b]\n");
        assert_eq!(
            v.py_repr(),
            "{'base': {'a': 1, 'b': 2}, 'other': {'a': 1, 'b': 3, 'c': 4}, 'list': [{'a': 1, 'b': 2}, {'a': 1, 'b': 2}]}"
        );
        // A quoted << is a plain key.
        assert_eq!(val("'<<': 1").py_repr(), "{'<<': 1}");
    }

    #[test]
    fn custom_tags_keep_raw_scalars() {
        let n = parse("a: !KeyOf 123\nb: !Find [x, [y, 1]]")
            .unwrap_or(Node::new(Kind::Scalar(Val::None), 0));
        match n.get("a").map(|a| &a.kind) {
            Some(Kind::Tagged(name, inner)) => {
                assert_eq!(name, "KeyOf");
                assert_eq!(inner.kind, Kind::Scalar(Val::str("123")));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            matches!(n.get("b").map(|b| &b.kind), Some(Kind::Tagged(name, _)) if name == "Find")
        );
        assert_eq!(n.get("b").map(|b| b.line), Some(2));
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("a: [1, 2\nb: 3\n").err();
        assert!(e.as_ref().is_some_and(|e| e.line >= 1), "{e:?}");
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        assert!(parse("").is_err());
        assert!(parse("a: *nope").is_err());
        assert!(parse("a: !!python/object x").is_err());
        let deep = "[".repeat(MAX_DEPTH + 5);
        assert!(parse(&deep).is_err());
        // Chained aliases cannot build a deeper tree than the text could.
        let mut chain = String::from("a0: &a0 [x]\n");
        for i in 1..200 {
            chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
        }
        assert!(parse(&chain).is_err_and(|e| e.message.contains("nesting deeper")));
        // Billion laughs stays bounded.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert!(parse(&bomb).is_err());
    }

    #[test]
    fn json_loads() {
        assert_eq!(
            val(r#"{"version": 1, "entries": [{"model": "x", "attrs": {"n": 1.5, "b": true, "z": null}}]}"#).py_repr(),
            "{'version': 1, 'entries': [{'model': 'x', 'attrs': {'n': 1.5, 'b': True, 'z': None}}]}"
        );
    }
}
