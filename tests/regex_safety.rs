//! Regular-expression safety (SECURITY.md): conditional `matches` runs on the `regex` crate's
//! linear-time engines, so classic catastrophic-backtracking patterns finish quickly on long
//! adversarial inputs, whether the pattern is a literal (compiled at load) or comes from a
//! variable (compiled per call); Python features that need backtracking (backreferences,
//! lookaround, atomic groups, possessive quantifiers, conditionals) are refused at load.

use flowgate::{Engine, ErrorCode, Limits, Request};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Generous: the point is "not exponential", not a benchmark (debug builds are slow).
const BOUND: Duration = Duration::from_secs(2);
const LEN: usize = 50_000;

/// `(pattern, adversarial subject, expected match)`: subjects that make a backtracking engine
/// try exponentially (or polynomially of high degree) many paths before failing.
fn cases() -> Vec<(&'static str, String, bool)> {
    let a = "a".repeat(LEN);
    vec![
        (r"(a+)+$", format!("{a}!"), false),
        (r"(a+)+$", a.clone(), true),
        (r"(a|aa)+$", format!("{a}!"), false),
        (r"(a|a?)+$", format!("{a}!"), true), // search: the empty match at the end
        (
            r"(.*a){20}",
            format!("{}{}", "x".repeat(LEN), "a".repeat(19)),
            false,
        ),
        (r"(.*a){20}", a.clone(), true),
        (r"^(\w+\s?)*$", format!("{a}!"), false),
        (r"^(\w+\s?)*$", "ab c ".repeat(LEN / 5), true),
        (
            r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@)",
            format!("{a}!"),
            false,
        ),
        (r"(x+x+)+y", "x".repeat(LEN), false),
    ]
}

fn conditional(name: &str, pattern_value: Value) -> Value {
    json!({"pk": name, "name": name, "type": "conditional", "actions": {"version": 2, "actions": [
        {"type": "condition", "condition": {"type": "compare",
            "variable": {"key": "user.attributes", "param": "subject", "cast": "string"},
            "operator": "matches", "value": pattern_value}}]}})
}

fn engine(
    policies: Vec<Value>,
    subject: &str,
    pattern: &str,
) -> Result<Engine, flowgate::FlowgateError> {
    let snapshot = json!({
        "users": [{"pk": 1, "username": "jane",
                   "attributes": {"subject": subject, "pattern": pattern}}],
        "policies": policies,
    });
    Engine::from_value(&snapshot, &Limits::default())
}

fn run(e: &Engine, policy: &str) -> (bool, Vec<String>, Duration) {
    let request = Request::parse(Some(&json!({"user": 1, "now": "2026-06-01T12:00:00Z"})), 0)
        .expect("valid request");
    let t0 = Instant::now();
    let r = e
        .test_policy(policy, &request, false)
        .expect("policy exists");
    (r.passing, r.messages, t0.elapsed())
}

#[test]
fn catastrophic_patterns_run_in_linear_time() {
    for (pattern, subject, expected) in cases() {
        let e = engine(
            vec![
                conditional("literal", json!({"type": "literal", "value": pattern})),
                conditional(
                    "variable",
                    json!({"type": "variable",
                           "variable": {"key": "user.attributes", "param": "pattern", "cast": "string"}}),
                ),
            ],
            &subject,
            pattern,
        )
        .unwrap_or_else(|e| panic!("{pattern}: {e}"));
        for policy in ["literal", "variable"] {
            let (passing, messages, took) = run(&e, policy);
            println!(
                "{pattern:<50} {policy:<8} {} chars: {passing:<5} in {took:?}",
                subject.len()
            );
            assert_eq!(passing, expected, "{pattern} ({policy}): {messages:?}");
            assert!(took < BOUND, "{pattern} ({policy}) took {took:?}");
        }
    }
}

#[test]
fn backtracking_only_features_are_refused_at_load() {
    let refused = [
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "backreference"),
        (r"a(?=b)", "lookahead"),
        (r"a(?!b)", "lookahead"),
        (r"(?<=a)b", "lookbehind"),
        (r"(?<!a)b", "lookbehind"),
        (r"(?>a+)b", "atomic"),
        (r"a++b", "possessive"),
        (r"(a)?(?(1)b|c)", "conditional"),
    ];
    for (pattern, what) in refused {
        let err = match engine(
            vec![conditional(
                "p",
                json!({"type": "literal", "value": pattern}),
            )],
            "",
            "",
        ) {
            Ok(_) => panic!("{pattern} was accepted"),
            Err(e) => e,
        };
        assert_eq!(err.code, ErrorCode::InvalidSnapshot, "{pattern}: {err}");
        let text = format!("{err} {:?}", err.errors);
        println!("{pattern:<18} → {text}");
        assert!(
            text.to_lowercase().contains(what),
            "{pattern}: the error should say '{what}': {text}"
        );
        assert!(
            err.errors.iter().any(|e| e.path.starts_with("policies[0]")),
            "{pattern}: the error names the policy: {:?}",
            err.errors
        );
    }
}

#[test]
fn refused_patterns_from_variables_are_execution_errors_not_passes() {
    // A pattern that only exists at run time cannot be refused at load: it fails the policy
    // (an execution error → failure_result false), it never runs on a backtracking engine.
    for pattern in [r"(a)\1", r"a(?=b)", "(", &"a".repeat(300)] {
        let e = engine(
            vec![conditional(
                "p",
                json!({"type": "variable",
                       "variable": {"key": "user.attributes", "param": "pattern", "cast": "string"}}),
            )],
            "aa",
            pattern,
        )
        .expect("loads: the pattern is data");
        let (passing, _, took) = run(&e, "p");
        assert!(!passing, "{pattern}");
        assert!(took < BOUND);
    }
}
