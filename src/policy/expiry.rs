//! PasswordExpiry policy (policies §3.2): fails once the user's password is `days` whole days
//! old, with authentik's messages ("Password expired N days ago. Please update your password."
//! or, with `deny_only`, "Password has expired."); passes without a message otherwise.
//!
//! At the edge: everything, from the user's `password_change_date` and `request.now`; a user
//! without one (anonymous and inline users too) passes, as authentik's user without a password
//! device does. Server data: newest authentik reads the date from the user's password device;
//! the host exports it as the user's `password_change_date` (where older authentik kept it). Deliberate difference (spec §6): authentik also marks the
//! password unusable when `deny_only` is false; flowgate never mutates, it only reports.

use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::Errors;
use crate::snapshot::Policy;
use crate::time::Millis;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug)]
pub struct PasswordExpiry {
    pub days: i64,
    pub deny_only: bool,
}

impl PasswordExpiry {
    pub fn compile(p: &Policy) -> Result<PasswordExpiry, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let days = o.req_int("days", &mut errs).unwrap_or(0);
        let deny_only = o.bool_or("deny_only", false, &mut errs);
        finish(PasswordExpiry { days, deny_only }, errs)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        let Some(changed) = ctx.user.user.and_then(|u| u.password_change_date) else {
            return Ok(Outcome::new(true));
        };
        self.judge(changed, ctx.request.now)
    }

    fn judge(&self, changed: Millis, now: Millis) -> PolicyRun {
        // Python's `timedelta.days`: whole days, rounded towards negative infinity.
        let actual_days = now.saturating_sub(changed).div_euclid(DAY_MS);
        if actual_days < self.days {
            return Ok(Outcome::new(true));
        }
        if self.deny_only {
            return Ok(Outcome::with_message(false, "Password has expired."));
        }
        let expired_at = self
            .days
            .checked_mul(DAY_MS)
            .and_then(|d| changed.checked_add(d))
            .ok_or_else(|| "password expiry: days is out of range".to_string())?;
        let days_since_expiry = now.saturating_sub(expired_at).div_euclid(DAY_MS);
        Ok(Outcome::with_message(
            false,
            format!("Password expired {days_since_expiry} days ago. Please update your password."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_iso;

    fn at(s: &str) -> Millis {
        parse_iso(s).unwrap_or(i64::MIN)
    }

    #[test]
    fn whole_days_and_messages() {
        let p = PasswordExpiry {
            days: 30,
            deny_only: false,
        };
        let now = at("2026-06-01T12:00:00Z");
        let run = |changed: &str| p.judge(at(changed), now);
        assert_eq!(
            run("2026-05-01T12:00:00Z").map(|o| o.messages),
            Ok(vec![
                "Password expired 1 days ago. Please update your password.".to_string()
            ])
        );
        assert_eq!(run("2026-05-02T13:00:00Z"), Ok(Outcome::new(true)));
        assert_eq!(
            run("2026-04-17T06:00:00Z").map(|o| o.messages),
            Ok(vec![
                "Password expired 15 days ago. Please update your password.".to_string()
            ])
        );
        // A change date in the future: negative days, not expired.
        assert_eq!(run("2026-07-01T00:00:00Z"), Ok(Outcome::new(true)));
        let deny = PasswordExpiry {
            days: 30,
            deny_only: true,
        };
        assert_eq!(
            deny.judge(at("2026-05-01T12:00:00Z"), now),
            Ok(Outcome::with_message(false, "Password has expired."))
        );
        let huge = PasswordExpiry {
            days: i64::MIN,
            deny_only: false,
        };
        assert!(huge.judge(0, now).is_err());
    }
}
