//! Fault injection for both simulations: latency, forced status, a rate of 500s,
//! a dropped connection — per route, from flags or a case-level header.
//!
//! A rule is a compact string, the same for `scimcert mock --fault` and for the
//! `x-scimcert-fault` request header: an optional method, an optional route, then
//! faults, separated by spaces or commas; several rules are separated by `;`.
//!
//! ```text
//! PATCH /Users/* latency=200ms,status=503
//! error-rate=0.5
//! DELETE /Users drop
//! ```
//!
//! A route without `*` is a segment prefix (`/Users` matches `/Users` and `/Users/42`);
//! with `*` it is a glob over whole segments (`*` inside one segment, `**` across any
//! number). Either is anchored at any `/` of the request path, so `/Users/*` matches
//! `/usergroup/t/my-tenant/scim/v2/Users/42` without spelling out the API base.
//! Matching is ASCII case-insensitive.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use crate::exchange::FAULT_HEADER;
/// Longest latency a rule may ask for.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// Distinct header rules whose error-rate counters are remembered at once.
const MAX_HEADER_COUNTERS: usize = 1024;
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Faults to inject, per route.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// Rules in order; the first whose route matches applies.
    pub rules: Vec<FaultRule>,
}

/// One fault rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultRule {
    /// Method to match (`None` = any).
    pub method: Option<String>,
    /// Path prefix or glob to match (`None` = any).
    pub route: Option<String>,
    /// Delay before answering, in milliseconds.
    pub latency_ms: u64,
    /// Answer this status instead of calling the handler.
    pub status: Option<u16>,
    /// Fraction (0.0..=1.0) of requests answered 500.
    pub error_rate: f64,
    /// Drop the connection without answering.
    pub drop: bool,
}

impl FaultPlan {
    /// Parses rules separated by `;` (empty pieces are skipped).
    pub fn parse(spec: &str) -> Result<FaultPlan, String> {
        let rules = spec
            .split(';')
            .filter(|piece| !piece.trim().is_empty())
            .map(FaultRule::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FaultPlan { rules })
    }

    /// Whether the plan injects nothing.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether some rule delays its answers (`latency=` above zero).
    pub fn delays(&self) -> bool {
        self.rules.iter().any(|rule| rule.latency_ms > 0)
    }

    /// The first rule matching `method` and `path`, with its index.
    pub fn select(&self, method: &str, path: &str) -> Option<(usize, &FaultRule)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, rule)| rule.matches(method, path))
    }
}

impl FromStr for FaultPlan {
    type Err = String;
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        FaultPlan::parse(spec)
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, rule) in self.rules.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{rule}")?;
        }
        Ok(())
    }
}

impl FaultRule {
    /// Parses one rule, e.g. `PATCH /Users/* latency=200ms,status=503`.
    pub fn parse(spec: &str) -> Result<FaultRule, String> {
        let mut rule = FaultRule::default();
        let mut has_fault = false;
        let mut seen: Vec<&str> = Vec::new();
        for token in spec
            .split([' ', '\t', ','])
            .filter(|token| !token.is_empty())
        {
            let key = match token.split_once('=') {
                Some((key, _)) => key,
                None if token.starts_with('/') => "route",
                None if token == "*" || METHODS.iter().any(|m| m.eq_ignore_ascii_case(token)) => {
                    "method"
                }
                None => token,
            };
            let key_lower = key.to_ascii_lowercase();
            if seen.iter().any(|earlier| earlier.eq_ignore_ascii_case(key)) {
                return Err(format!(
                    "`{key_lower}` given twice in fault rule `{}`",
                    spec.trim()
                ));
            }
            seen.push(key);
            let value = token.split_once('=').map(|(_, value)| value.trim());
            match (key_lower.as_str(), value) {
                ("route", None) => rule.route = Some(token.to_string()),
                ("method", None) => {
                    rule.method = (token != "*").then(|| token.to_ascii_uppercase())
                }
                ("drop", None) => rule.drop = true,
                ("latency", Some(value)) => rule.latency_ms = parse_latency(value)?,
                ("status", Some(value)) => rule.status = Some(parse_status(value)?),
                ("error-rate", Some(value)) => rule.error_rate = parse_rate(value)?,
                _ => {
                    return Err(format!(
                        "unknown fault `{token}` (expected a method, a /route, latency=<ms|s>, status=<code>, error-rate=<0..1|%>, drop)"
                    ));
                }
            }
            has_fault |= !matches!(key_lower.as_str(), "route" | "method");
        }
        if !has_fault {
            return Err(format!(
                "fault rule `{}` injects nothing (add latency=, status=, error-rate= or drop)",
                spec.trim()
            ));
        }
        Ok(rule)
    }

    /// Whether the rule applies to a request (method upper-case, path decoded).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && self
                .route
                .as_deref()
                .is_none_or(|route| route_matches(route, path))
    }

    /// Whether the `n`-th request (1-based) this rule matched is answered 500: exactly
    /// `floor(n * rate)` of the first `n` are, spread evenly, with no randomness.
    pub fn fails_nth(&self, n: u64) -> bool {
        const SCALE: u128 = 1_000_000;
        let parts = (self.error_rate.clamp(0.0, 1.0) * SCALE as f64).round() as u128;
        let n = u128::from(n.max(1));
        n * parts / SCALE > (n - 1) * parts / SCALE
    }
}

impl FromStr for FaultRule {
    type Err = String;
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        FaultRule::parse(spec)
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.method.clone());
        parts.extend(self.route.clone());
        if self.latency_ms > 0 {
            parts.push(format!("latency={}ms", self.latency_ms));
        }
        if let Some(status) = self.status {
            parts.push(format!("status={status}"));
        }
        if self.error_rate > 0.0 {
            parts.push(format!("error-rate={}", self.error_rate));
        }
        if self.drop {
            parts.push("drop".to_string());
        }
        f.write_str(&parts.join(" "))
    }
}

/// What to do with one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fault {
    /// Delay the answer by this much.
    pub latency: Option<Duration>,
    /// Answer this status without calling the handler (a forced status or an injected 500).
    pub status: Option<u16>,
    /// Close the connection without answering.
    pub drop: bool,
}

/// Decides the fault of each request from the plan and, when allowed, the request's
/// `x-scimcert-fault` header (whose rules come first). Keeps the error-rate counters.
#[derive(Debug)]
pub struct FaultInjector {
    plan: FaultPlan,
    allow_header: bool,
    plan_counters: Vec<AtomicU64>,
    header_counters: Mutex<HashMap<String, u64>>,
}

impl FaultInjector {
    /// An injector for `plan`; `allow_header` honours `x-scimcert-fault`.
    pub fn new(plan: FaultPlan, allow_header: bool) -> Self {
        let plan_counters = plan.rules.iter().map(|_| AtomicU64::new(0)).collect();
        FaultInjector {
            plan,
            allow_header,
            plan_counters,
            header_counters: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this request's connection is to be dropped (an invalid header never drops).
    pub fn drops(&self, method: &str, path: &str, header: Option<&str>) -> bool {
        match self.header_plan(header) {
            Ok(Some(plan)) => {
                if let Some((_, rule)) = plan.select(method, path) {
                    return rule.drop;
                }
            }
            Ok(None) => {}
            Err(_) => return false,
        }
        self.plan
            .select(method, path)
            .is_some_and(|(_, rule)| rule.drop)
    }

    /// The fault for one request, counting it towards its rule's error rate; an
    /// unparsable `x-scimcert-fault` header is an error to answer 400 with.
    pub fn decide(&self, method: &str, path: &str, header: Option<&str>) -> Result<Fault, String> {
        if let Some(plan) = self.header_plan(header)?
            && let Some((_, rule)) = plan.select(method, path)
        {
            let n = self.count_header_rule(rule);
            return Ok(fault_of(rule, n));
        }
        Ok(match self.plan.select(method, path) {
            Some((index, rule)) => fault_of(
                rule,
                self.plan_counters[index].fetch_add(1, Ordering::Relaxed) + 1,
            ),
            None => Fault::default(),
        })
    }

    fn header_plan(&self, header: Option<&str>) -> Result<Option<FaultPlan>, String> {
        match header {
            Some(spec) if self.allow_header => FaultPlan::parse(spec)
                .map(Some)
                .map_err(|error| format!("invalid {FAULT_HEADER} header: {error}")),
            _ => Ok(None),
        }
    }

    // Header rules live only as long as a request, so their counters are keyed by the
    // rule's canonical text; the map is bounded to keep memory constant.
    fn count_header_rule(&self, rule: &FaultRule) -> u64 {
        let mut counters = self
            .header_counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if counters.len() >= MAX_HEADER_COUNTERS {
            counters.clear();
        }
        let counter = counters.entry(rule.to_string()).or_insert(0);
        *counter += 1;
        *counter
    }
}

/// The fault a rule gives its `n`-th matched request.
fn fault_of(rule: &FaultRule, n: u64) -> Fault {
    let status = rule.status.or_else(|| rule.fails_nth(n).then_some(500));
    Fault {
        latency: (rule.latency_ms > 0).then(|| Duration::from_millis(rule.latency_ms)),
        status,
        drop: rule.drop,
    }
}

fn parse_latency(value: &str) -> Result<u64, String> {
    let lower = value.to_ascii_lowercase();
    let (digits, scale) = if let Some(ms) = lower.strip_suffix("ms") {
        (ms, 1)
    } else if let Some(s) = lower.strip_suffix('s') {
        (s, 1000)
    } else {
        (lower.as_str(), 1)
    };
    let amount: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("latency `{value}` is not a duration like 200ms or 2s"))?;
    let ms = amount.saturating_mul(scale);
    if ms > MAX_LATENCY_MS {
        return Err(format!("latency `{value}` exceeds {MAX_LATENCY_MS}ms"));
    }
    Ok(ms)
}

fn parse_status(value: &str) -> Result<u16, String> {
    value
        .parse::<u16>()
        .ok()
        .filter(|status| (100..=599).contains(status))
        .ok_or_else(|| format!("status `{value}` is not an HTTP status between 100 and 599"))
}

fn parse_rate(value: &str) -> Result<f64, String> {
    let rate = match value.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => value.parse::<f64>(),
    }
    .map_err(|_| format!("error-rate `{value}` is not a number like 0.5 or 50%"))?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(format!("error-rate `{value}` is outside 0..1"));
    }
    Ok(rate)
}

/// Whether `route` matches `path` anchored at any of its `/`.
fn route_matches(route: &str, path: &str) -> bool {
    let pattern: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let is_glob = route.contains('*');
    path.match_indices('/').any(|(start, _)| {
        let candidate: Vec<&str> = path[start..].split('/').filter(|s| !s.is_empty()).collect();
        if is_glob {
            glob_segments(&pattern, &candidate)
        } else {
            candidate.len() >= pattern.len()
                && pattern
                    .iter()
                    .zip(&candidate)
                    .all(|(p, c)| p.eq_ignore_ascii_case(c))
        }
    })
}

/// Whole-path glob over segments: `**` spans any number of segments.
fn glob_segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| glob_segments(rest, &path[skip..])),
        Some((first, rest)) => path.split_first().is_some_and(|(segment, tail)| {
            glob_segment(first, segment) && glob_segments(rest, tail)
        }),
    }
}

/// Glob within one segment: `*` matches any run of characters.
fn glob_segment(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let text = text.to_ascii_lowercase();
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_delays_only_with_a_latency_above_zero() {
        let delays = |spec: &str| FaultPlan::parse(spec).expect("parses").delays();
        assert!(delays("PATCH latency=50ms"));
        assert!(delays("GET status=503; PATCH /Users/* latency=1s"));
        assert!(!delays("GET /no-such-route latency=0ms"));
        assert!(!delays("PATCH status=500"));
    }

    #[test]
    fn parses_method_route_and_faults() {
        let rule = FaultRule::parse("patch /Users/* latency=200ms,status=503").unwrap();
        assert_eq!(rule.method.as_deref(), Some("PATCH"));
        assert_eq!(rule.route.as_deref(), Some("/Users/*"));
        assert_eq!(rule.latency_ms, 200);
        assert_eq!(rule.status, Some(503));
        assert!(!rule.drop);
        assert_eq!(FaultRule::parse("latency=2s").unwrap().latency_ms, 2000);
        assert_eq!(FaultRule::parse("latency=15").unwrap().latency_ms, 15);
        assert_eq!(FaultRule::parse("error-rate=25%").unwrap().error_rate, 0.25);
        assert!(FaultRule::parse("* drop").unwrap().drop);
    }

    #[test]
    fn rejects_bad_rules() {
        for bad in [
            "",
            "PATCH /Users",
            "status=99",
            "status=abc",
            "error-rate=1.5",
            "latency=fast",
            "latency=10m",
            "latency=61s",
            "explode",
            "status=500 status=503",
        ] {
            assert!(FaultRule::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn display_round_trips() {
        let rule = FaultRule::parse("PATCH /Users/* latency=200ms status=503 error-rate=0.5 drop")
            .unwrap();
        assert_eq!(FaultRule::parse(&rule.to_string()).unwrap(), rule);
        let plan = FaultPlan::parse("GET drop; latency=5ms").unwrap();
        assert_eq!(plan.rules.len(), 2);
        assert_eq!(FaultPlan::parse(&plan.to_string()).unwrap(), plan);
    }

    #[test]
    fn route_prefix_and_glob() {
        let base = "/usergroup/t/my-tenant/scim/v2";
        let glob = FaultRule::parse("/Users/* status=500").unwrap();
        assert!(glob.matches("GET", &format!("{base}/Users/42")));
        assert!(!glob.matches("GET", &format!("{base}/Users")));
        assert!(!glob.matches("GET", &format!("{base}/Users/42/x")));
        let prefix = FaultRule::parse("/Users status=500").unwrap();
        assert!(prefix.matches("POST", &format!("{base}/Users")));
        assert!(prefix.matches("GET", &format!("{base}/users/42")));
        assert!(!prefix.matches("GET", &format!("{base}/UsersX")));
        let deep = FaultRule::parse("/usergroup/** status=500").unwrap();
        assert!(deep.matches("GET", &format!("{base}/Users/42")));
        let partial = FaultRule::parse("/Users/ab*z status=500").unwrap();
        assert!(partial.matches("GET", "/Users/abcz"));
        assert!(!partial.matches("GET", "/Users/abc"));
        let method = FaultRule::parse("DELETE status=500").unwrap();
        assert!(method.matches("delete", "/x"));
        assert!(!method.matches("GET", "/x"));
    }

    #[test]
    fn error_rate_is_deterministic_and_exact() {
        let half = FaultRule::parse("error-rate=0.5").unwrap();
        let fails: Vec<bool> = (1..=6).map(|n| half.fails_nth(n)).collect();
        assert_eq!(fails, [false, true, false, true, false, true]);
        let third = FaultRule::parse("error-rate=0.3").unwrap();
        assert_eq!((1..=100).filter(|&n| third.fails_nth(n)).count(), 30);
        let all = FaultRule::parse("error-rate=1").unwrap();
        assert!((1..=10).all(|n| all.fails_nth(n)));
        let none = FaultRule::parse("latency=1").unwrap();
        assert!((1..=10).all(|n| !none.fails_nth(n)));
    }

    #[test]
    fn injector_counts_per_rule_and_header_comes_first() {
        let plan = FaultPlan::parse("PATCH error-rate=0.5; GET /Users latency=7ms").unwrap();
        let injector = FaultInjector::new(plan, true);
        let statuses: Vec<Option<u16>> = (0..4)
            .map(|_| injector.decide("PATCH", "/Users/1", None).unwrap().status)
            .collect();
        assert_eq!(statuses, [None, Some(500), None, Some(500)]);
        let get = injector.decide("GET", "/Users/1", None).unwrap();
        assert_eq!(get.latency, Some(Duration::from_millis(7)));
        assert_eq!(get.status, None);
        let forced = injector
            .decide("GET", "/Users/1", Some("status=503"))
            .unwrap();
        assert_eq!(forced.status, Some(503));
        assert_eq!(forced.latency, None);
        let header_rate: Vec<Option<u16>> = (0..2)
            .map(|_| {
                injector
                    .decide("GET", "/x", Some("error-rate=0.5"))
                    .unwrap()
                    .status
            })
            .collect();
        assert_eq!(header_rate, [None, Some(500)]);
        assert!(injector.decide("GET", "/x", Some("bogus")).is_err());
        assert!(injector.drops("GET", "/x", Some("drop")));
        assert!(!injector.drops("GET", "/x", Some("bogus")));
    }

    #[test]
    fn header_ignored_when_not_allowed() {
        let injector = FaultInjector::new(FaultPlan::default(), false);
        assert_eq!(
            injector.decide("GET", "/x", Some("status=503")).unwrap(),
            Fault::default()
        );
        assert!(injector.decide("GET", "/x", Some("bogus")).is_ok());
        assert!(!injector.drops("GET", "/x", Some("drop")));
    }
}
