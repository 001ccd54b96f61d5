//! Password policy (policies §3.6). The password is `context.prompt_data[password_field]` when
//! that key exists, else `context[password_field]`; a falsy value fails with "Password not set
//! in context". Static rules fail with the raw `error_message` (empty when unset), including
//! authentik's quirk: the uppercase count is compared to `amount_lowercase` (when
//! `amount_uppercase > 0`).
//!
//! At the edge: the static rules. Server data: the Have I Been Pwned range query and zxcvbn
//! (with the brand title as user input) are not available in flowgate; a policy that reaches
//! one of those checks (its static rules passed) fails to execute, so the binding's
//! `failure_result` applies.

use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::{Errors, truthy};
use crate::snapshot::Policy;
use serde_json::{Map, Value};

/// authentik's default `symbol_charset` (note the trailing space).
pub const DEFAULT_SYMBOLS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ";
pub const NOT_SET: &str = "Password not set in context";

#[derive(Debug)]
pub struct Password {
    pub password_field: String,
    pub check_static_rules: bool,
    pub check_have_i_been_pwned: bool,
    pub check_zxcvbn: bool,
    pub amount_digits: i64,
    pub amount_uppercase: i64,
    pub amount_lowercase: i64,
    pub amount_symbols: i64,
    pub length_min: i64,
    pub symbol_charset: Vec<char>,
    pub error_message: String,
}

impl Password {
    pub fn compile(p: &Policy) -> Result<Password, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let policy = Password {
            password_field: o.str_or("password_field", "password", &mut errs),
            check_static_rules: o.bool_or("check_static_rules", true, &mut errs),
            check_have_i_been_pwned: o.bool_or("check_have_i_been_pwned", false, &mut errs),
            check_zxcvbn: o.bool_or("check_zxcvbn", false, &mut errs),
            amount_digits: o.int_or("amount_digits", 0, &mut errs),
            amount_uppercase: o.int_or("amount_uppercase", 0, &mut errs),
            amount_lowercase: o.int_or("amount_lowercase", 0, &mut errs),
            amount_symbols: o.int_or("amount_symbols", 0, &mut errs),
            length_min: o.int_or("length_min", 0, &mut errs),
            symbol_charset: o
                .str_or("symbol_charset", DEFAULT_SYMBOLS, &mut errs)
                .chars()
                .collect(),
            error_message: o.str_or("error_message", "", &mut errs),
        };
        o.opt_int("hibp_allowed_count", &mut errs);
        o.opt_int("zxcvbn_score_threshold", &mut errs);
        finish(policy, errs)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        let context = ctx.context.borrow();
        let Some(password) = password_from_context(&context, &self.password_field)? else {
            return Ok(Outcome::with_message(false, NOT_SET));
        };
        if self.check_static_rules && !self.passes_static(password) {
            return Ok(Outcome::with_message(false, self.error_message.clone()));
        }
        if self.check_have_i_been_pwned {
            return Err(
                "password policy: the Have I Been Pwned check needs a network request \
                        and is not available in flowgate"
                    .into(),
            );
        }
        if self.check_zxcvbn {
            return Err(
                "password policy: the zxcvbn strength check is not available in flowgate".into(),
            );
        }
        Ok(Outcome::new(true))
    }

    fn passes_static(&self, password: &str) -> bool {
        let count = |f: fn(&char) -> bool| password.chars().filter(f).count() as i64;
        if (password.chars().count() as i64) < self.length_min {
            return false;
        }
        if self.amount_digits > 0 && count(char::is_ascii_digit) < self.amount_digits {
            return false;
        }
        if self.amount_lowercase > 0 && count(char::is_ascii_lowercase) < self.amount_lowercase {
            return false;
        }
        // authentik compares the uppercase count to amount_lowercase (policies §3.6).
        if self.amount_uppercase > 0 && count(char::is_ascii_uppercase) < self.amount_lowercase {
            return false;
        }
        if self.amount_symbols > 0 {
            // `sum(password.count(s) for s in symbol_charset)`: repeated charset characters
            // count repeatedly, as in authentik.
            let symbols: i64 = self
                .symbol_charset
                .iter()
                .map(|s| password.chars().filter(|c| c == s).count() as i64)
                .sum();
            if symbols < self.amount_symbols {
                return false;
            }
        }
        true
    }
}

/// The password to check: `prompt_data[field]` when `prompt_data` has the key (even when empty),
/// else `context[field]`. Ok(None) = not set (falsy); Err = a value authentik could not use.
pub fn password_from_context<'c>(
    context: &'c Map<String, Value>,
    field: &str,
) -> Result<Option<&'c str>, String> {
    let value = match context.get("prompt_data") {
        None => context.get(field),
        Some(Value::Object(prompt)) => prompt.get(field).or_else(|| context.get(field)),
        Some(_) => return Err("context prompt_data is not an object".into()),
    };
    match value {
        None => Ok(None),
        Some(v) if !truthy(v) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("context value '{field}' is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(v: Value) -> Password {
        let Value::Object(raw) = v else {
            panic!("not an object")
        };
        let p = Policy {
            pk: "p".into(),
            name: "p".into(),
            kind: "password".into(),
            verbose_name: None,
            raw,
            path: "policies[0]".into(),
        };
        match Password::compile(&p) {
            Ok(p) => p,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn static_rules() {
        let p = policy(
            json!({"amount_digits": 1, "amount_uppercase": 1, "amount_lowercase": 2,
            "amount_symbols": 3, "length_min": 24}),
        );
        assert!(p.passes_static("CorrectHorseBatteryStaple1ee!!!"));
        assert!(!p.passes_static("Correcthorsebatterystaple1ee!!!")); // uppercase quirk
        assert!(!p.passes_static("test"));
        let spaces = policy(json!({"amount_symbols": 2}));
        assert!(spaces.passes_static("pass phrase!"));
        let dup = policy(json!({"amount_symbols": 2, "symbol_charset": "##"}));
        assert!(dup.passes_static("a#"));
    }

    #[test]
    fn password_lookup() {
        let ctx = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let c = ctx(json!({"prompt_data": {"password": ""}, "password": "x"}));
        assert_eq!(password_from_context(&c, "password"), Ok(None));
        let c = ctx(json!({"prompt_data": {}, "password": "x"}));
        assert_eq!(password_from_context(&c, "password"), Ok(Some("x")));
        let c = ctx(json!({"password": 5}));
        assert!(password_from_context(&c, "password").is_err());
        let c = ctx(json!({"prompt_data": null}));
        assert!(password_from_context(&c, "password").is_err());
        assert_eq!(password_from_context(&Map::new(), "password"), Ok(None));
    }

    #[test]
    fn rejects_wrong_field_types() {
        let raw = json!({"length_min": "8"});
        let Value::Object(raw) = raw else { return };
        let p = Policy {
            pk: "p".into(),
            name: "p".into(),
            kind: "password".into(),
            verbose_name: None,
            raw,
            path: "policies[3]".into(),
        };
        let errs = Password::compile(&p).err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, "policies[3].length_min");
    }
}
