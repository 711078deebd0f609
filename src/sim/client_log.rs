//! What `scimcert mock --client-report` remembers of a client: every request counted,
//! each one graded by [`client_check`](super::client_check), and the offending ones kept
//! (secrets masked, body truncated, at most [`MAX_EXAMPLES`] per rule) so memory stays
//! bounded however long the mock runs.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Value, json};

use crate::api::{Api, Profile};
use crate::secret::{MASK, Secrets};

use super::SimRequest;
use super::client_check::{ClientHistory, ClientLevel, Finding, grade, rules_for};

/// Offending requests kept per rule; later ones are counted only.
pub const MAX_EXAMPLES: usize = 20;
/// Body bytes kept per offending request.
pub const MAX_BODY: usize = 4096;

/// Headers shown in a report (others are left out: they are noise or secrets).
const SHOWN_HEADERS: &[&str] = &["content-type", "accept", "if-match", "authorization"];

/// The grading log of one mock.
pub struct ClientLog {
    api: Api,
    profile: Profile,
    strict: bool,
    secrets: Secrets,
    state: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    history: ClientHistory,
    requests: u64,
    by_rule: BTreeMap<&'static str, RuleLog>,
}

#[derive(Default)]
struct RuleLog {
    count: u64,
    worst: Option<ClientLevel>,
    examples: Vec<ShownRequest>,
}

/// One offending request as a report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ShownRequest {
    /// Position among all requests the mock received (1-based).
    pub index: u64,
    /// Method.
    pub method: String,
    /// Path and query, as received (decoded).
    pub target: String,
    /// The headers that matter to the rules, secrets masked.
    pub headers: Vec<(String, String)>,
    /// Body text, secrets masked, truncated to `MAX_BODY` bytes.
    pub body: String,
    /// Level the finding was graded at.
    pub level: ClientLevel,
    /// What was wrong.
    pub detail: String,
}

/// The outcome of one rule over a client's requests.
#[derive(Clone, Debug, Serialize)]
pub struct RuleOutcome {
    /// Rule id.
    pub id: &'static str,
    /// Level the rule is graded at.
    pub level: ClientLevel,
    /// The obligation.
    pub text: &'static str,
    /// `pass`, `fail` (a `must` finding), `warn` (`should`) or `info`.
    pub verdict: &'static str,
    /// Requests that broke it.
    pub count: u64,
    /// The first of them.
    pub requests: Vec<ShownRequest>,
}

/// A client conformance report at one moment.
#[derive(Clone, Debug, Serialize)]
pub struct ClientReport {
    /// API simulated.
    pub api: &'static str,
    /// Profile simulated.
    pub profile: &'static str,
    /// Whether `--strict-client` answered `must` breaches with 400.
    pub strict_client: bool,
    /// Requests received (control endpoints excluded).
    pub requests: u64,
    /// One entry per rule graded, in catalogue order.
    pub rules: Vec<RuleOutcome>,
}

impl ClientReport {
    /// Rules with the given verdict.
    pub fn with_verdict(&self, verdict: &str) -> impl Iterator<Item = &RuleOutcome> {
        self.rules.iter().filter(move |r| r.verdict == verdict)
    }
}

impl ClientLog {
    /// An empty log for a mock of `api` under `profile`; `secrets` are masked in it.
    pub fn new(api: Api, profile: Profile, strict: bool, secrets: Secrets) -> ClientLog {
        ClientLog {
            api,
            profile,
            strict,
            secrets,
            state: Mutex::new(LogState::default()),
        }
    }

    /// Grades and records one request; returns its findings.
    pub fn observe(&self, request: &SimRequest) -> Vec<Finding> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests += 1;
        let index = state.requests;
        let findings = grade(self.api, self.profile, &state.history, request);
        if matches!(request.method.as_str(), "PUT" | "PATCH" | "DELETE")
            && request.header("if-match").is_some()
        {
            state.history.sent_if_match = true;
        }
        for finding in &findings {
            let log = state.by_rule.entry(finding.rule).or_default();
            log.count += 1;
            log.worst = Some(log.worst.map_or(finding.level, |w| w.min(finding.level)));
            if log.examples.len() < MAX_EXAMPLES {
                log.examples.push(self.shown(index, request, finding));
            }
        }
        findings
    }

    fn shown(&self, index: u64, request: &SimRequest, finding: &Finding) -> ShownRequest {
        let query: Vec<String> = request
            .query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let target = if query.is_empty() {
            request.path.clone()
        } else {
            format!("{}?{}", request.path, query.join("&"))
        };
        let headers = request
            .headers
            .iter()
            .filter(|(name, _)| SHOWN_HEADERS.contains(&name.as_str()))
            .map(|(name, value)| {
                let value = if name == "authorization" {
                    let scheme = value.split_whitespace().next().unwrap_or_default();
                    format!("{scheme} {MASK}")
                } else {
                    self.secrets.redact(value)
                };
                (name.clone(), value)
            })
            .collect();
        let mut end = request.body.len().min(MAX_BODY);
        let text = loop {
            match std::str::from_utf8(&request.body[..end]) {
                Ok(text) => break text.to_string(),
                Err(error) if error.valid_up_to() > 0 => end = error.valid_up_to(),
                Err(_) => break String::from_utf8_lossy(&request.body[..end]).into_owned(),
            }
        };
        let mut body = self.secrets.redact(&text);
        if request.body.len() > MAX_BODY {
            body.push_str(&format!("… ({} bytes in all)", request.body.len()));
        }
        ShownRequest {
            index,
            method: request.method.clone(),
            target: self.secrets.redact(&target),
            headers,
            body,
            level: finding.level,
            detail: self.secrets.redact(&finding.detail),
        }
    }

    /// The report as of now.
    pub fn report(&self) -> ClientReport {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let rules = rules_for(self.api)
            .iter()
            .map(|rule| {
                let log = state.by_rule.get(rule.id);
                let verdict = match log.and_then(|l| l.worst) {
                    None => "pass",
                    Some(ClientLevel::Must) => "fail",
                    Some(ClientLevel::Should) => "warn",
                    Some(ClientLevel::Info) => "info",
                };
                RuleOutcome {
                    id: rule.id,
                    level: rule.level,
                    text: rule.text,
                    verdict,
                    count: log.map_or(0, |l| l.count),
                    requests: log.map(|l| l.examples.clone()).unwrap_or_default(),
                }
            })
            .collect();
        ClientReport {
            api: self.api.as_str(),
            profile: self.profile.as_str(),
            strict_client: self.strict,
            requests: state.requests,
            rules,
        }
    }
}
/// Version of the client report's JSON shape; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

impl ClientReport {
    /// The JSON document of the report as of `date` (RFC 3339).
    pub fn to_json(&self, date: &str) -> Value {
        json!({
            "format_version": FORMAT_VERSION,
            "kind": "client",
            "tool": {"name": "scimcert", "version": env!("CARGO_PKG_VERSION")},
            "date": date,
            "api": self.api,
            "profile": self.profile,
            "strict_client": self.strict_client,
            "summary": {
                "requests": self.requests,
                "rules": self.rules.len(),
                "failed": self.with_verdict("fail").count(),
                "warned": self.with_verdict("warn").count(),
                "info": self.with_verdict("info").count(),
                "passed": self.with_verdict("pass").count(),
            },
            "rules": self.rules,
        })
    }
}
