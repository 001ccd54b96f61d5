//! UniquePassword policy (policies §3.7): fails with "This password has been used previously.
//! Please choose a different one." when the new password (looked up as the password policy
//! does) matches one of the user's newest `num_historical_passwords` old password hashes.
//!
//! At the edge: verifying Django `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` hashes from
//! the user's `password_history` (newest first, exported by the host from
//! `UserPasswordHistory`). PBKDF2 is deliberately slow: each hash costs its iteration count
//! (Django's default is about a million, tens to hundreds of milliseconds in wasm). Server
//! data: other Django hashers (argon2, bcrypt, scrypt, …) are not implemented, so a history
//! holding one of them is an execution error (the binding's `failure_result` applies), never a
//! silent pass. Unusable hashes (`!…`) never match. No history (anonymous users too) passes.

use super::password::{NOT_SET, password_from_context};
use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::Errors;
use crate::snapshot::Policy;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Sha256;

pub const REUSED: &str = "This password has been used previously. Please choose a different one.";
/// Refuse absurd iteration counts: a crafted hash must not stall the evaluator.
const MAX_ITERATIONS: u32 = 10_000_000;

#[derive(Debug)]
pub struct UniquePassword {
    pub password_field: String,
    pub num_historical_passwords: i64,
}

impl UniquePassword {
    pub fn compile(p: &Policy) -> Result<UniquePassword, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let policy = UniquePassword {
            password_field: o.str_or("password_field", "password", &mut errs),
            num_historical_passwords: o.int_or("num_historical_passwords", 1, &mut errs),
        };
        finish(policy, errs)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        let context = ctx.context.borrow();
        let Some(password) = password_from_context(&context, &self.password_field)? else {
            return Ok(Outcome::with_message(false, NOT_SET));
        };
        if self.num_historical_passwords <= 0 {
            return Ok(Outcome::new(true));
        }
        let history = ctx.user.user.map_or(&[][..], |u| &u.password_history[..]);
        let take = usize::try_from(self.num_historical_passwords).unwrap_or(usize::MAX);
        let hashes = history
            .iter()
            .take(take)
            .map(|h| DjangoHash::parse(h))
            .collect::<Result<Vec<_>, _>>()?;
        if hashes.iter().flatten().any(|h| h.matches(password)) {
            return Ok(Outcome::with_message(false, REUSED));
        }
        Ok(Outcome::new(true))
    }
}

/// A parsed `pbkdf2_sha256$iterations$salt$hash` string.
#[derive(Debug, PartialEq, Eq)]
struct DjangoHash<'a> {
    iterations: u32,
    salt: &'a str,
    hash: &'a str,
}

impl<'a> DjangoHash<'a> {
    /// Ok(None) for an unusable password (`!…`, which never matches); Err for hashes flowgate
    /// cannot verify.
    fn parse(encoded: &'a str) -> Result<Option<DjangoHash<'a>>, String> {
        if encoded.starts_with('!') {
            return Ok(None);
        }
        let mut parts = encoded.splitn(4, '$');
        let algorithm = parts.next().unwrap_or_default();
        if algorithm != "pbkdf2_sha256" {
            let shown: String = algorithm.chars().take(40).collect();
            return Err(format!(
                "unique password policy: password hasher '{shown}' is not supported by flowgate \
                 (only pbkdf2_sha256)"
            ));
        }
        let malformed =
            || "unique password policy: malformed pbkdf2_sha256 password hash".to_string();
        let iterations: u32 = parts
            .next()
            .and_then(|i| i.parse().ok())
            .ok_or_else(malformed)?;
        let salt = parts.next().ok_or_else(malformed)?;
        let hash = parts.next().ok_or_else(malformed)?;
        if iterations == 0 || salt.contains('$') {
            return Err(malformed());
        }
        if iterations > MAX_ITERATIONS {
            return Err(format!(
                "unique password policy: {iterations} PBKDF2 iterations is more than flowgate \
                 verifies ({MAX_ITERATIONS})"
            ));
        }
        Ok(Some(DjangoHash {
            iterations,
            salt,
            hash,
        }))
    }

    /// Django's `PBKDF2PasswordHasher.verify`: re-encode with the same salt and iterations and
    /// compare the base64 texts (in constant time).
    fn matches(&self, password: &str) -> bool {
        let mut derived = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password.as_bytes(),
            self.salt.as_bytes(),
            self.iterations,
            &mut derived,
        );
        let encoded = STANDARD.encode(derived);
        constant_time_eq(encoded.as_bytes(), self.hash.as_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Django's encoding of "hunter2" with salt "seasalt" and 1000 iterations (computed
    /// independently with Python's `hashlib.pbkdf2_hmac`).
    const HUNTER2: &str = "pbkdf2_sha256$1000$seasalt$aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GOM=";

    #[test]
    fn verifies_django_pbkdf2_hashes() -> Result<(), String> {
        let h = DjangoHash::parse(HUNTER2)?.ok_or("unusable")?;
        assert!(h.matches("hunter2"));
        assert!(!h.matches("hunter3"));
        Ok(())
    }

    #[test]
    fn runs_against_the_user_history() -> Result<(), crate::FlowgateError> {
        let doc = serde_json::json!({
            "users": [
                {"pk": 1, "username": "jane", "password_history": ["!unusable", HUNTER2]},
                {"pk": 2, "username": "argon", "password_history": ["argon2$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"]}
            ],
            "policies": [
                {"pk": "one", "name": "last-one", "type": "unique_password", "num_historical_passwords": 1},
                {"pk": "two", "name": "last-two", "type": "unique_password", "num_historical_passwords": 2}
            ]
        });
        let e = crate::Engine::from_value(&doc, &crate::Limits::default())?;
        let run = |policy: &str,
                   req: serde_json::Value|
         -> Result<crate::PolicyResult, crate::FlowgateError> {
            let r = crate::Request::parse(Some(&req), 0)?;
            e.test_policy(policy, &r, false)
        };
        let hunter2 = |user: serde_json::Value| serde_json::json!({"user": user, "context": {"prompt_data": {"password": "hunter2"}}});
        assert!(run("one", hunter2(1.into()))?.passing);
        let reused = run("two", hunter2(1.into()))?;
        assert!(!reused.passing);
        assert_eq!(reused.messages, [REUSED]);
        assert!(
            run(
                "two",
                serde_json::json!({"user": 1, "context": {"password": "other"}})
            )?
            .passing
        );
        assert_eq!(
            run("two", serde_json::json!({"user": 1}))?.messages,
            [NOT_SET]
        );
        // An unverifiable hash is an execution error (failure_result false in testPolicy).
        let argon = run("one", hunter2(2.into()))?;
        assert!(!argon.passing && argon.messages[0].contains("argon2"));
        // Anonymous: no history.
        assert!(run("two", hunter2(serde_json::Value::Null))?.passing);
        Ok(())
    }

    #[test]
    fn other_hashers_are_errors() {
        assert!(DjangoHash::parse("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA").is_err());
        assert!(DjangoHash::parse("pbkdf2_sha256$x$salt$hash").is_err());
        assert!(DjangoHash::parse("pbkdf2_sha256$1000$salt").is_err());
        assert!(DjangoHash::parse("pbkdf2_sha256$99999999$salt$hash").is_err());
        assert_eq!(DjangoHash::parse("!unusable"), Ok(None));
    }
}
