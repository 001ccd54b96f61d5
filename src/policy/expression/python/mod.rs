//! Expression policies run in monty (a sandboxed Python interpreter in Rust; toolchain.md §5)
//! with authentik's execution model (policies §4.1): the body becomes
//! `def handler(ak_message, ak_is_sso_flow, request, context)`, the helpers of §4.2 that can
//! work on snapshot data are globals, and the result maps to passing/messages as authentik
//! does. The program is parsed and compiled once, when the snapshot loads.
//!
//! Data crosses the boundary as host objects (`objects`): the user, the request, the flow plan
//! are class instances whose cheap fields are sent along and whose other attributes and methods
//! call back into Rust. Helpers that need the network or the server raise a Python exception
//! naming what is missing, so the binding's failure_result applies with that message.
//!
//! Limits: the binding's `timeout` (default 30 s) bounds the run, nested `ak_call_policy` runs
//! share the caller's deadline; recursion depth 1000 (Python's default); at most
//! `MAX_HOST_CALLS` host calls. Memory is not limited (monty needs its own global allocator for
//! that); the host's Wasm memory limit applies.

mod convert;
mod helpers;
mod objects;

use super::super::{PolicyCtx, PolicyRun};
use monty::{MontyRun, RunProgress};
use monty_types::{
    CompileOptions, ExcType, MontyException, PrintWriter, PrintWriterCallback, ResourceLimits,
    ResourceTracker,
};
use objects::Run;
use std::borrow::Cow;
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use web_time::Instant;

/// authentik's default binding timeout, for runs without a binding (`testPolicy`, nested calls).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Host calls (helpers, lazy attributes, methods of host objects) one run may make.
pub const MAX_HOST_CALLS: usize = 10_000;
/// `ak_call_policy` nesting.
pub const MAX_CALL_DEPTH: u32 = 16;

/// The names of the handler's parameters (authentik's evaluator context, always present).
const HANDLER_ARGS: &str = "ak_message, ak_is_sso_flow, request, context";
/// Values the host passes to every run (the module's inputs, in this order).
const INPUTS: [&str; 5] = ["request", "_fg_ctx", "_fg_geo", "_fg_plan", "_fg_client_ip"];
/// authentik's evaluator context, run before the handler is called.
const PRELUDE: &str = include_str!("prelude.py");
/// Helpers written in Python, in sections named after what the expression must mention.
const HELPERS: &str = include_str!("helpers.py");
/// `ipaddress` stand-ins: only added when the body can use them (they cost time per run).
const IP_PRELUDE: &str = include_str!("ipaddress.py");
const IP_NAMES: [&str; 5] = ["ak_client_ip", "ip_address", "ip_network", "IPv4", "IPv6"];

pub struct Program {
    /// The compiled module, or why this (valid) Python cannot run here.
    /// Behind a mutex only so that engines stay `Sync` (monty's compiled code caches lazily in
    /// `OnceCell`s); each run clones it, so the lock is held for the clone only.
    runner: Result<Mutex<MontyRun>, String>,
    /// The policy's pk, to find the binding (and its timeout) being evaluated.
    pk: String,
    /// The identifiers of the body, sorted: host objects send along only the fields the
    /// expression names (anything else is still readable, lazily).
    idents: Vec<String>,
    /// `regex_match` patterns compiled so far (Python's `re` keeps a cache too).
    regexes: Mutex<Vec<(String, Arc<fancy_regex::Regex>)>>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("runnable", &self.runner.is_ok())
            .finish()
    }
}

/// authentik's wrapping (policies §4.1): the body indented by 4 spaces (blank lines left as
/// they are, like `textwrap.indent`) inside `def handler`, so the body's line `n` is line
/// `n + 1` of the module.
fn wrap(source: &str) -> String {
    let with_ip = IP_NAMES.iter().any(|n| source.contains(n));
    let mut code = String::with_capacity(source.len() + PRELUDE.len() + IP_PRELUDE.len() + 256);
    code.push_str("def handler(");
    code.push_str(HANDLER_ARGS);
    code.push_str("):\n");
    for line in source.lines() {
        if !line.trim().is_empty() {
            code.push_str("    ");
        }
        code.push_str(line);
        code.push('\n');
    }
    code.push_str(PRELUDE);
    for section in HELPERS.split("# section: ").skip(1) {
        let (name, body) = section.split_once('\n').unwrap_or((section, ""));
        if source.contains(name) {
            code.push_str(body);
        }
    }
    if with_ip {
        code.push_str(IP_PRELUDE);
    }
    code.push_str("result = handler(");
    code.push_str(HANDLER_ARGS);
    code.push_str(")\n");
    code.push_str(
        "(bool(result), [str(m) for m in _fg_messages], \
         None if _fg_plan is None else _fg_plan.context, result)\n",
    );
    code
}

/// Operators, attribute dots and brackets one statement may have. Python's parser builds a
/// tree one level deeper for each in a chain (`a + b + …`, `a.b.c…`, `f()()…`); monty refuses
/// trees deeper than 200, but a chain of thousands would overflow the stack while its tree is
/// built or dropped, so such sources never reach the parser.
const MAX_CHAIN: usize = 1000;

/// The largest number of chain-forming characters (`+-*/%@&|^<>.([~`) in one statement,
/// outside comments and plain strings (f-strings hold code, so they count).
fn longest_chain(source: &str) -> usize {
    let (mut longest, mut count, mut depth) = (0usize, 0usize, 0usize);
    let mut chars = source.chars().peekable();
    // The open string: its quote, whether triple-quoted, whether an f-string.
    let mut string: Option<(char, bool, bool)> = None;
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        if let Some((q, triple, f)) = string {
            match c {
                '\\' => {
                    chars.next();
                }
                // A triple-quoted string ends at three quotes.
                c if c == q
                    && (!triple
                        || (chars.next_if_eq(&q).is_some() && chars.next_if_eq(&q).is_some())) =>
                {
                    string = None;
                }
                '\n' if !triple => string = None,
                c if f && "+-*/%@&|^<>.([~".contains(c) => count += 1,
                _ => {}
            }
            prev = c;
            continue;
        }
        match c {
            '#' => while chars.next_if(|&n| n != '\n').is_some() {},
            '"' | '\'' => {
                let triple = chars.next_if_eq(&c).is_some();
                let triple = if triple {
                    if chars.next_if_eq(&c).is_some() {
                        true
                    } else {
                        // an empty string: "" or ''
                        prev = c;
                        continue;
                    }
                } else {
                    false
                };
                string = Some((c, triple, matches!(prev, 'f' | 'F')));
            }
            '(' | '[' | '{' => {
                depth += 1;
                if c != '{' {
                    count += 1;
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '\n' | ';' if depth == 0 && prev != '\\' => {
                longest = longest.max(count);
                count = 0;
            }
            c if "+-*/%@&|^<>.~".contains(c) => count += 1,
            _ => {}
        }
        prev = c;
    }
    longest.max(count)
}

/// The distinct words (`[A-Za-z0-9_]+`) of a source text, sorted.
fn identifiers(source: &str) -> Vec<String> {
    let mut out: Vec<String> = source
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Program {
    /// Parses and compiles the wrapped body. A syntax error is authentik's validation error
    /// (`Expression Syntax Error: …`, line numbers of the body); valid Python that monty does
    /// not support yet (e.g. class inheritance) compiles to a program whose runs fail.
    pub fn compile(source: &str, pk: &str) -> Result<Program, String> {
        const UNSUPPORTED: &str = "this expression cannot run in flowgate's Python sandbox";
        let runner = if longest_chain(source) > MAX_CHAIN {
            // The parser's tree would be too deep to even drop safely on the Wasm stack.
            Err(format!("{UNSUPPORTED}: Source is too deeply nested"))
        } else {
            match MontyRun::new(
                wrap(source),
                "expression",
                INPUTS.iter().map(|s| s.to_string()).collect(),
                CompileOptions::default(),
            ) {
                Ok(r) => Ok(r),
                // monty's own nesting limit: valid Python that authentik would accept.
                Err(e) if e.message().is_some_and(|m| m.contains("too deeply nested")) => Err(
                    format!("{UNSUPPORTED}: {}", e.message().unwrap_or_default()),
                ),
                Err(e) if e.exc_type() == ExcType::SyntaxError => {
                    let body_lines = source.lines().count().max(1);
                    let line = e.traceback().last().map(|f| {
                        (f.start.line as usize)
                            .saturating_sub(1)
                            .clamp(1, body_lines)
                    });
                    let msg = e.message().unwrap_or("invalid syntax");
                    return Err(match line {
                        Some(l) => format!("Expression Syntax Error: {msg} (line {l})"),
                        None => format!("Expression Syntax Error: {msg}"),
                    });
                }
                Err(e) => Err(format!(
                    "{UNSUPPORTED}: {}",
                    e.message().unwrap_or("unsupported syntax")
                )),
            }
        };
        Ok(Program {
            runner: runner.map(Mutex::new),
            pk: pk.to_string(),
            idents: identifiers(source),
            regexes: Mutex::new(Vec::new()),
        })
    }

    /// Whether the expression names `ident` (a word of its source, strings included).
    pub(super) fn mentions(&self, ident: &str) -> bool {
        self.idents
            .binary_search_by(|i| i.as_str().cmp(ident))
            .is_ok()
    }

    /// The binding's timeout when evaluated through a binding, else the default.
    fn timeout(&self, ctx: &PolicyCtx<'_>) -> Duration {
        let index = ctx.index;
        let binding =
            ctx.target
                .zip(index.policies_by_pk.get(&self.pk))
                .and_then(|(t, &p)| {
                    index.target(t).bindings.iter().find(|&&b| {
                        index.binding(b).subject == crate::index::BoundSubject::Policy(p)
                    })
                });
        match binding.map(|&b| index.binding(b).binding.timeout) {
            Some(secs) if secs > 0 => Duration::from_secs(secs as u64),
            _ => DEFAULT_TIMEOUT,
        }
    }

    /// A compiled `regex_match` pattern (cached per policy).
    pub(super) fn regex(&self, pattern: &str) -> Result<Arc<fancy_regex::Regex>, String> {
        let mut cache = self.regexes.lock().map_err(|_| "regex cache poisoned")?;
        if let Some((_, r)) = cache.iter().find(|(p, _)| p == pattern) {
            return Ok(r.clone());
        }
        let r = Arc::new(fancy_regex::Regex::new(pattern).map_err(|e| e.to_string())?);
        if cache.len() >= 32 {
            cache.remove(0);
        }
        cache.push((pattern.to_string(), r.clone()));
        Ok(r)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        let runner = match &self.runner {
            Ok(r) => r.lock().map_err(|_| "expression program poisoned")?.clone(),
            Err(m) => return Err(m.clone()),
        };
        let timeout = self.timeout(ctx);
        let _deadline = Deadline::start(timeout);
        let mut run = Run::new(ctx, self);
        let inputs = run.inputs();
        let mut printed = Printed {
            text: String::new(),
            keep: ctx.trace,
        };
        let limits = ResourceLimits::default()
            .max_duration(Deadline::remaining())
            .max_suspensions(MAX_HOST_CALLS);
        let mut progress = runner.start(
            inputs,
            ResourceTracker::new(limits),
            PrintWriter::Callback(&mut printed),
        );
        let mut calls = 0usize;
        let value = loop {
            let p = match progress {
                Ok(p) => p,
                Err(e) => return Err(run.error_message(&e, timeout)),
            };
            if let RunProgress::Complete(v) = p {
                break v;
            }
            // A suspended run is simply dropped when it must stop.
            calls += 1;
            if calls > MAX_HOST_CALLS {
                return Err(format!(
                    "the expression made more than {MAX_HOST_CALLS} host calls"
                ));
            }
            if Deadline::expired() {
                return Err(timed_out(timeout));
            }
            progress = match p {
                RunProgress::FunctionCall(call) => {
                    let answer = run.call(&call);
                    call.resume(answer, PrintWriter::Callback(&mut printed))
                }
                RunProgress::NameLookup(lookup) => {
                    let answer = run.lookup(&lookup);
                    lookup.resume(answer, PrintWriter::Callback(&mut printed))
                }
                RunProgress::OsCall(call) => {
                    let answer = run.os_call(&call.function_call);
                    call.resume(answer, PrintWriter::Callback(&mut printed))
                }
                RunProgress::ResolveFutures(_) => {
                    return Err("async code is not supported in expression policies".into());
                }
                RunProgress::Complete(v) => Ok(RunProgress::Complete(v)),
            };
        };
        run.finish(value, &printed.text)
    }
}

/// `print()` output: kept for the trace (up to `MAX_PRINTED` bytes, the rest dropped), never an
/// error, so that tracing cannot change a result.
struct Printed {
    text: String,
    keep: bool,
}

const MAX_PRINTED: usize = 64 * 1024;

impl PrintWriterCallback for Printed {
    fn stdout_write(&mut self, output: Cow<'_, str>) -> Result<(), MontyException> {
        if self.keep && self.text.len() + output.len() <= MAX_PRINTED {
            self.text.push_str(&output);
        }
        Ok(())
    }

    fn stdout_push(&mut self, end: char) -> Result<(), MontyException> {
        if self.keep && self.text.len() < MAX_PRINTED {
            self.text.push(end);
        }
        Ok(())
    }
}

/// The message of a run stopped by its deadline.
pub(super) fn timed_out(timeout: Duration) -> String {
    format!(
        "expression policy timed out after {} s",
        timeout.as_secs_f64()
    )
}

thread_local! {
    /// The deadline of the outermost expression run on this thread: nested `ak_call_policy`
    /// runs never get more time than their caller has left.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Sets the run's deadline (no later than an enclosing run's) and restores it when dropped.
struct Deadline {
    outer: Option<Instant>,
}

impl Deadline {
    fn start(timeout: Duration) -> Deadline {
        let outer = DEADLINE.with(Cell::get);
        let own = Instant::now().checked_add(timeout);
        let effective = match (outer, own) {
            (Some(o), Some(n)) => Some(o.min(n)),
            (o, n) => o.or(n),
        };
        DEADLINE.with(|d| d.set(effective));
        Deadline { outer }
    }

    fn remaining() -> Duration {
        DEADLINE.with(Cell::get).map_or(DEFAULT_TIMEOUT, |d| {
            d.saturating_duration_since(Instant::now())
        })
    }

    fn expired() -> bool {
        DEADLINE
            .with(Cell::get)
            .is_some_and(|d| Instant::now() >= d)
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.outer));
    }
}

#[cfg(test)]
mod tests;
