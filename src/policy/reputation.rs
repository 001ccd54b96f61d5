//! Reputation policy (policies §3.3): sums the scores of the snapshot's `reputations` rows that
//! match the client IP (`check_ip`) and/or the username (`check_username`); a row matching both
//! counts once. **Passes when score <= threshold**, i.e. for a *bad* reputation (bind it
//! negated to block), with no message.
//!
//! At the edge: everything, from the snapshot's `reputations` rows (indexed once per snapshot)
//! and `request.http.client_ip`. Server data: the rows themselves, which authentik updates on
//! every login attempt; the host exports them into the snapshot. Without `http` (or without
//! `client_ip`) the IP is authentik's fallback `255.255.255.255`; anonymous users match the
//! username `""` (Django's AnonymousUser).

use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::Errors;
use crate::snapshot::{Policy, Reputation as Row};
use std::collections::HashMap;

/// authentik's `ClientIPMiddleware.default_ip`, used when there is no HTTP request.
pub const DEFAULT_IP: &str = "255.255.255.255";

#[derive(Debug)]
pub struct Reputation {
    pub check_ip: bool,
    pub check_username: bool,
    pub threshold: i64,
}

impl Reputation {
    pub fn compile(p: &Policy) -> Result<Reputation, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let policy = Reputation {
            check_ip: o.bool_or("check_ip", true, &mut errs),
            check_username: o.bool_or("check_username", true, &mut errs),
            threshold: o.int_or("threshold", -5, &mut errs),
        };
        if errs.is_empty() && !policy.check_ip && !policy.check_username {
            // authentik's serializer rejects this on save.
            errs.push(&p.path, "Either IP or Username must be checked");
        }
        finish(policy, errs)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        let ip = self.check_ip.then(|| {
            ctx.request
                .http
                .as_ref()
                .and_then(|h| h.client_ip.as_deref())
                .unwrap_or(DEFAULT_IP)
        });
        let username = self
            .check_username
            .then(|| ctx.user.user.map_or("", |u| u.username.as_str()));
        let score = ctx.index.reputations.score(ip, username);
        Ok(Outcome::new(score <= self.threshold))
    }
}

/// Score sums of the snapshot's reputation rows, by IP, by identifier and by both, so a policy
/// run is a few hash lookups.
#[derive(Debug, Default)]
pub struct ReputationIndex {
    by_ip: HashMap<String, i64>,
    by_identifier: HashMap<String, i64>,
    by_ip_identifier: HashMap<String, HashMap<String, i64>>,
}

impl ReputationIndex {
    pub fn build(rows: &[Row]) -> ReputationIndex {
        let mut index = ReputationIndex::default();
        for row in rows {
            if let Some(ip) = &row.ip {
                add(index.by_ip.entry(ip.clone()).or_default(), row.score);
            }
            if let Some(id) = &row.identifier {
                add(
                    index.by_identifier.entry(id.clone()).or_default(),
                    row.score,
                );
            }
            if let (Some(ip), Some(id)) = (&row.ip, &row.identifier) {
                let per_ip = index.by_ip_identifier.entry(ip.clone()).or_default();
                add(per_ip.entry(id.clone()).or_default(), row.score);
            }
        }
        index
    }

    /// Sum of the rows whose `ip` equals `ip` or whose `identifier` equals `identifier` (a
    /// None argument matches nothing).
    pub fn score(&self, ip: Option<&str>, identifier: Option<&str>) -> i64 {
        let by_ip = ip.and_then(|ip| self.by_ip.get(ip)).copied().unwrap_or(0);
        let by_id = identifier
            .and_then(|id| self.by_identifier.get(id))
            .copied()
            .unwrap_or(0);
        let both = match (ip, identifier) {
            (Some(ip), Some(id)) => self
                .by_ip_identifier
                .get(ip)
                .and_then(|m| m.get(id))
                .copied()
                .unwrap_or(0),
            _ => 0,
        };
        by_ip.saturating_add(by_id).saturating_sub(both)
    }
}

fn add(sum: &mut i64, score: i64) {
    *sum = sum.saturating_add(score);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ip: Option<&str>, id: Option<&str>, score: i64) -> Row {
        Row {
            ip: ip.map(str::to_string),
            identifier: id.map(str::to_string),
            score,
        }
    }

    #[test]
    fn runs_with_request_facts() -> Result<(), crate::FlowgateError> {
        let doc = serde_json::json!({
            "users": [{"pk": 1, "username": "jane"}],
            "policies": [
                {"pk": "r", "name": "rep", "type": "reputation", "threshold": -5},
                {"pk": "u", "name": "user-only", "type": "reputation", "check_ip": false, "threshold": -5}
            ],
            "reputations": [
                {"ip": "10.0.0.1", "identifier": "jane", "score": -3},
                {"ip": "255.255.255.255", "identifier": "x", "score": -2},
                {"ip": "192.0.2.1", "identifier": "", "score": -4}
            ]
        });
        let e = crate::Engine::from_value(&doc, &crate::Limits::default())?;
        let run = |policy: &str, req: serde_json::Value| -> Result<bool, crate::FlowgateError> {
            let r = crate::Request::parse(Some(&req), 0)?;
            Ok(e.test_policy(policy, &r, false)?.passing)
        };
        // -3 (jane) + -2 (no HTTP request: authentik's fallback IP) = -5 <= -5.
        assert!(run("rep", serde_json::json!({"user": 1}))?);
        assert!(!run("user-only", serde_json::json!({"user": 1}))?);
        // Anonymous: username "" matches the third row (-4 > -5).
        let anonymous = |ip: &str| serde_json::json!({"http": {"client_ip": ip}});
        assert!(!run("rep", anonymous("10.9.9.9"))?);
        // A row matching both IP and username counts once.
        assert!(!run("rep", anonymous("192.0.2.1"))?);
        // Anonymous without HTTP request: -2 (fallback IP) + -4 ("") = -6.
        assert!(run("rep", serde_json::json!({}))?);
        let both_off = serde_json::json!({"policies": [{"pk": "r", "name": "r", "type": "reputation",
            "check_ip": false, "check_username": false}]});
        let err = crate::Engine::from_value(&both_off, &crate::Limits::default()).err();
        assert_eq!(
            err.map(|e| e.errors[0].message.clone()).as_deref(),
            Some("Either IP or Username must be checked")
        );
        Ok(())
    }

    #[test]
    fn sums_matching_rows_once() {
        let index = ReputationIndex::build(&[
            row(Some("10.0.0.1"), Some("jane"), -3),
            row(Some("10.0.0.1"), Some("mallory"), -4),
            row(Some("192.0.2.7"), Some("jane"), -2),
            row(None, Some("jane"), -1),
            row(Some("10.0.0.1"), None, -10),
        ]);
        assert_eq!(index.score(Some("10.0.0.1"), Some("jane")), -20);
        assert_eq!(index.score(Some("10.0.0.1"), None), -17);
        assert_eq!(index.score(None, Some("jane")), -6);
        assert_eq!(index.score(Some("203.0.113.1"), Some("")), 0);
        assert_eq!(index.score(None, None), 0);
    }
}
