//! GeoIP policy (policies §3.4, newest semantics).
//!
//! * Static checks: the client's ASN (`request.http.asn.asn`) must be in `asns`, its country
//!   (`request.http.geoip.country`) in `countries`; one matching static check is enough, and
//!   the failing one's message is kept. Missing data is an execution error with authentik's
//!   message ("GeoIP: client IP not found in ASN database." / "GeoIP: client IP address not
//!   found in City database."), so the binding's `failure_result` applies.
//! * History checks (`check_history_distance`, `check_impossible_travel`): against the user's
//!   last `history_login_count` `login` events of the snapshot (newest first, those without
//!   valid `context.geo` coordinates skipped). Fails when the distance reaches
//!   `history_max_distance_km + distance_tolerance_km`, or reaches `1000 km/h × elapsed hours +
//!   impossible_tolerance_km`. Invalid or missing current coordinates pass.
//!   Elapsed hours reproduce authentik exactly: `max(timedelta.seconds / 3600, 1.0)`, where
//!   Python's `.seconds` is the seconds part *without the days* (a login 25 hours ago counts as
//!   1 hour).
//! * Distances are WGS-84 geodesics computed with `geographiclib-rs`, a port of Karney's
//!   GeographicLib, the same algorithm geopy's `geodesic` calls (`Geodesic.WGS84.Inverse`):
//!   results agree with geopy to floating-point rounding (far below a metre), so only a
//!   distance within a hair of a threshold could be judged differently.
//! * With tracing, the violation's diagnostics (authentik's `raw_result`: reason, distances,
//!   elapsed hours, both coordinates, the previous login) are returned as `nodes`.
//!
//! At the edge: everything, given the host's GeoIP/ASN lookups of the client IP (`http.geoip`,
//! `http.asn`) and the users' past `login` events (with `context.geo`) in the snapshot. Server
//! data: the MaxMind databases and the event log, both exported by the host.

use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::{Errors, Obj, as_int, truthy, type_name};
use crate::snapshot::{Event, Policy};
use crate::time::{Millis, format_iso};
use geographiclib_rs::{Geodesic, InverseGeodesic};
use serde_json::{Map, Value, json};

pub const ASN_NOT_FOUND: &str = "GeoIP: client IP not found in ASN database.";
pub const CITY_NOT_FOUND: &str = "GeoIP: client IP address not found in City database.";
const ASN_DENIED: &str = "Client IP is not part of an allowed autonomous system.";
const COUNTRY_DENIED: &str = "Client IP is not in an allowed country.";
const DISTANCE_DENIED: &str = "Distance from previous authentication is larger than threshold.";
const IMPOSSIBLE_DENIED: &str = "Distance is further than possible.";
/// authentik's assumed maximum travel speed.
const MAX_SPEED_KMH: f64 = 1000.0;

#[derive(Debug)]
pub struct GeoIp {
    pub asns: Vec<i64>,
    pub countries: Vec<String>,
    pub distance_tolerance_km: i64,
    pub check_history_distance: bool,
    pub history_max_distance_km: i64,
    pub history_login_count: i64,
    pub check_impossible_travel: bool,
    pub impossible_tolerance_km: i64,
}

impl GeoIp {
    pub fn compile(p: &Policy) -> Result<GeoIp, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let uint = |key: &str, default: i64, errs: &mut Errors| {
            let v = o.int_or(key, default, errs);
            if v < 0 {
                errs.push(&o.path_of(key), "must be 0 or more");
            }
            v
        };
        // `check_history` is the field's older name.
        let history_default = o.bool_or("check_history", false, &mut errs);
        let policy = GeoIp {
            asns: int_list(&o, "asns", &mut errs),
            countries: o.str_list("countries", &mut errs),
            distance_tolerance_km: uint("distance_tolerance_km", 50, &mut errs),
            check_history_distance: o.bool_or("check_history_distance", history_default, &mut errs),
            history_max_distance_km: uint("history_max_distance_km", 100, &mut errs),
            history_login_count: uint("history_login_count", 5, &mut errs),
            check_impossible_travel: o.bool_or("check_impossible_travel", false, &mut errs),
            impossible_tolerance_km: uint("impossible_tolerance_km", 100, &mut errs),
        };
        finish(policy, errs)
    }

    pub fn run(&self, ctx: &PolicyCtx<'_>) -> PolicyRun {
        let http = ctx.request.http.as_ref();
        let mut outcome = Outcome::new(true);
        let mut statics = Vec::with_capacity(2);
        if !self.asns.is_empty() {
            let asn = http
                .and_then(|h| h.asn.as_ref())
                .and_then(|a| a.get("asn"))
                .filter(|a| truthy(a))
                .ok_or(ASN_NOT_FOUND)?;
            let ok = as_int(asn).is_some_and(|a| self.asns.contains(&a));
            statics.push(ok);
            if !ok {
                outcome.messages.push(ASN_DENIED.into());
            }
        }
        if !self.countries.is_empty() {
            let country = http
                .and_then(|h| h.geoip.as_ref())
                .and_then(|g| g.get("country"))
                .filter(|c| truthy(c))
                .ok_or(CITY_NOT_FOUND)?;
            let ok = country
                .as_str()
                .is_some_and(|c| self.countries.iter().any(|x| x == c));
            statics.push(ok);
            if !ok {
                outcome.messages.push(COUNTRY_DENIED.into());
            }
        }
        outcome.passing = statics.is_empty() || statics.contains(&true);
        if self.check_history_distance || self.check_impossible_travel {
            let current = http.and_then(|h| h.geoip.as_ref()).and_then(coords);
            if let (Some(current), Some(pk)) = (current, ctx.user.pk())
                && let Some(violation) = self.history_violation(ctx, current, pk)
            {
                outcome.passing = false;
                outcome.messages.push(violation.message.into());
                if ctx.trace {
                    outcome.nodes = Some(vec![violation.diagnostics]);
                }
            }
        }
        Ok(outcome)
    }

    /// The first past login that is too far away (or too far for the time elapsed).
    fn history_violation(&self, ctx: &PolicyCtx<'_>, current: Point, pk: i64) -> Option<Violation> {
        let index = ctx.index;
        let logins = index.login_events.get(&pk)?;
        let take = usize::try_from(self.history_login_count).unwrap_or(usize::MAX);
        for &e in logins.iter().take(take) {
            let event = &index.snap.events[e as usize];
            let Some(previous) = event
                .context
                .get("geo")
                .and_then(Value::as_object)
                .and_then(coords)
            else {
                continue;
            };
            let distance_km = geodesic_km(current, previous);
            let max_distance =
                (self.history_max_distance_km as f64) + (self.distance_tolerance_km as f64);
            if self.check_history_distance && distance_km >= max_distance {
                return Some(Violation {
                    message: DISTANCE_DENIED,
                    diagnostics: json!({
                        "reason": "history_distance_threshold_exceeded",
                        "distance_km": distance_km,
                        "max_distance_km": max_distance,
                        "previous_login_at": event.created.map(format_iso),
                        "previous_login_event": event_id(event, e),
                        "current_geo": current.json(),
                        "previous_geo": previous.json(),
                    }),
                });
            }
            if !self.check_impossible_travel {
                continue;
            }
            let Some(created) = event.created else {
                continue;
            };
            let elapsed_hours = elapsed_hours(ctx.request.now, created);
            let allowed = MAX_SPEED_KMH * elapsed_hours + self.impossible_tolerance_km as f64;
            if distance_km >= allowed {
                return Some(Violation {
                    message: IMPOSSIBLE_DENIED,
                    diagnostics: json!({
                        "reason": "impossible_travel_threshold_exceeded",
                        "distance_km": distance_km,
                        "allowed_distance_km": allowed,
                        "elapsed_hours": elapsed_hours,
                        "max_speed_km_per_hour": MAX_SPEED_KMH as i64,
                        "impossible_tolerance_km": self.impossible_tolerance_km,
                        "previous_login_at": format_iso(created),
                        "previous_login_event": event_id(event, e),
                        "current_geo": current.json(),
                        "previous_geo": previous.json(),
                    }),
                });
            }
        }
        None
    }
}

struct Violation {
    message: &'static str,
    diagnostics: Value,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    lat: f64,
    long: f64,
}

impl Point {
    fn json(self) -> Value {
        json!({"lat": self.lat, "long": self.long})
    }
}

/// Valid coordinates: numeric (not boolean) `lat` in [-90, 90] and `long` in [-180, 180].
fn coords(geo: &Map<String, Value>) -> Option<Point> {
    let num = |k: &str| match geo.get(k) {
        Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()),
        _ => None,
    };
    let (lat, long) = (num("lat")?, num("long")?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&long))
        .then_some(Point { lat, long })
}

/// WGS-84 geodesic distance in km (Karney's algorithm, as geopy's `geodesic`).
fn geodesic_km(a: Point, b: Point) -> f64 {
    let metres: f64 = Geodesic::wgs84().inverse(a.lat, a.long, b.lat, b.long);
    metres / 1000.0
}

/// `max((now - created).seconds / 3600, 1.0)`: Python's `timedelta.seconds` drops whole days.
fn elapsed_hours(now: Millis, created: Millis) -> f64 {
    let seconds = now
        .saturating_sub(created)
        .div_euclid(1000)
        .rem_euclid(86_400);
    (seconds as f64 / 3600.0).max(1.0)
}

/// The event's pk as the snapshot gives it, else its position (`events[3]`).
fn event_id(event: &Event, id: u32) -> Value {
    ["pk", "event_uuid"]
        .iter()
        .find_map(|k| {
            event
                .raw
                .get(*k)
                .filter(|v| v.is_string() || v.is_number())
                .cloned()
        })
        .unwrap_or_else(|| Value::String(format!("events[{id}]")))
}

fn int_list(o: &Obj<'_>, key: &str, errs: &mut Errors) -> Vec<i64> {
    let Some(v) = o.get(key) else {
        return Vec::new();
    };
    let Value::Array(items) = v else {
        errs.push(
            &o.path_of(key),
            format!("expected an array, got {}", type_name(v)),
        );
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match as_int(item) {
            Some(n) => out.push(n),
            None => errs.push(
                &format!("{}[{i}]", o.path_of(key)),
                format!("expected an integer, got {}", type_name(item)),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_iso;

    #[test]
    fn geodesic_distances() {
        let origin = Point {
            lat: 0.0,
            long: 0.0,
        };
        let d = geodesic_km(
            origin,
            Point {
                lat: 0.0,
                long: 20.0,
            },
        );
        assert!((d - 2_226.389_816).abs() < 0.001, "{d}");
        let d = geodesic_km(
            origin,
            Point {
                lat: 0.0,
                long: 10.0,
            },
        );
        assert!((d - 1_113.194_908).abs() < 0.001, "{d}");
        assert_eq!(geodesic_km(origin, origin), 0.0);
    }

    #[test]
    fn elapsed_hours_as_python_timedelta_seconds() {
        let now = parse_iso("2026-06-01T12:00:00Z").unwrap_or(0);
        let ago = |minutes: i64| now - minutes * 60_000;
        assert_eq!(elapsed_hours(now, ago(30)), 1.0);
        assert!((elapsed_hours(now, ago(119)) - 119.0 / 60.0).abs() < 1e-12);
        // 25 hours ago: `.seconds` is one hour.
        assert_eq!(elapsed_hours(now, ago(25 * 60)), 1.0);
        assert_eq!(elapsed_hours(now, ago(26 * 60)), 2.0);
        // A login 30 minutes in the future: timedelta(days=-1, seconds=84600).
        assert_eq!(elapsed_hours(now, ago(-30)), 23.5);
    }

    fn engine() -> crate::Engine {
        let doc = json!({
            "users": [{"pk": 3, "username": "far"}],
            "policies": [
                {"pk": "it", "name": "impossible", "type": "geoip", "check_impossible_travel": true},
                {"pk": "both", "name": "asn-and-country", "type": "geoip", "asns": [1], "countries": ["US"]}
            ],
            "events": [
                {"pk": "ev-old", "action": "login", "user": 3, "created": "2026-06-01T11:00:00Z",
                 "context": {"geo": {"lat": 0, "long": 20}}},
                {"pk": "ev-new", "action": "login", "user": 3, "created": "2026-06-01T11:30:00Z",
                 "context": {"geo": {"lat": 0, "long": 0.5}}},
                {"action": "logout", "user": 3, "created": "2026-06-01T11:50:00Z",
                 "context": {"geo": {"lat": 0, "long": 40}}}
            ]
        });
        match crate::Engine::from_value(&doc, &crate::Limits::default()) {
            Ok(e) => e,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn request(v: Value) -> crate::Request {
        match crate::Request::parse(Some(&v), 0) {
            Ok(r) => r,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn impossible_travel_diagnostics_when_tracing() -> Result<(), crate::FlowgateError> {
        let e = engine();
        let r = request(json!({"user": 3, "now": "2026-06-01T12:00:00Z",
            "http": {"geoip": {"country": "US", "lat": 0, "long": 0}}}));
        let result = e.test_policy("impossible", &r, true)?;
        assert!(!result.passing);
        assert_eq!(result.messages, [IMPOSSIBLE_DENIED]);
        let nodes = result
            .trace
            .and_then(|t| t.into_iter().next())
            .and_then(|b| b.nodes);
        let node = nodes.and_then(|n| n.into_iter().next()).unwrap_or_default();
        assert_eq!(node["reason"], "impossible_travel_threshold_exceeded");
        assert_eq!(node["previous_login_event"], "ev-old");
        assert_eq!(node["previous_login_at"], "2026-06-01T11:00:00Z");
        assert_eq!(node["elapsed_hours"], 1.0);
        assert_eq!(node["allowed_distance_km"], 1100.0);
        assert_eq!(node["previous_geo"], json!({"lat": 0.0, "long": 20.0}));
        // Without tracing: no diagnostics.
        let quiet = e.test_policy("impossible", &r, false)?;
        assert!(quiet.trace.is_none() && !quiet.passing);
        Ok(())
    }

    #[test]
    fn static_checks_need_data() -> Result<(), crate::FlowgateError> {
        let e = engine();
        let none = e.test_policy("asn-and-country", &request(json!({"user": 3})), false)?;
        assert_eq!(none.messages, [ASN_NOT_FOUND]);
        let asn_only = request(json!({"user": 3, "http": {"asn": {"asn": 1}, "geoip": {}}}));
        let r = e.test_policy("asn-and-country", &asn_only, false)?;
        assert_eq!(r.messages, [CITY_NOT_FOUND]);
        let wrong_country =
            request(json!({"user": 3, "http": {"asn": {"asn": 1}, "geoip": {"country": "DE"}}}));
        let r = e.test_policy("asn-and-country", &wrong_country, false)?;
        assert!(r.passing);
        assert_eq!(r.messages, [COUNTRY_DENIED]);
        Ok(())
    }

    #[test]
    fn coordinate_validation() {
        let geo = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(coords(&geo(json!({"lat": 0, "long": 0}))).is_some());
        assert!(coords(&geo(json!({"lat": 1.5, "long": -180}))).is_some());
        for bad in [
            json!({}),
            json!({"lat": 0}),
            json!({"lat": "0", "long": 0}),
            json!({"lat": true, "long": 0}),
            json!({"lat": 91, "long": 0}),
            json!({"lat": 0, "long": -181}),
            json!({"lat": null, "long": 0}),
        ] {
            assert!(coords(&geo(bad.clone())).is_none(), "{bad}");
        }
    }
}
