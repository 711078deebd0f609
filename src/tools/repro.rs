//! `scimcert repro`: one case, shown in full — the curl sequence it sent (setup, steps,
//! cleanup), every exchange (request and response, bodies pretty-printed and cut at a
//! sane size), what was captured, each failed expectation, and the verdict.

use std::fmt::Write as _;

use serde_json::Value;

use crate::case::{LoadedCase, Step};
use crate::exchange::HttpResponse;
use crate::outcome::Verdict;
use crate::outcome::{CaseReport, Phase, StepReport};
use crate::report::curl;
use crate::report::{render_failure, render_line};
use crate::run::Target;
use crate::tools::text::{pretty_request_body, pretty_response, truncate};

/// Largest body (bytes) shown per exchange.
pub const BODY_MAX_BYTES: usize = 8 * 1024;
/// Most body lines shown per exchange.
pub const BODY_MAX_LINES: usize = 200;

/// Everything `repro` prints about one finished case.
pub struct Repro<'a> {
    /// The case as loaded.
    pub case: &'a LoadedCase,
    /// Where it ran.
    pub target: &'a Target,
    /// What the target is, for people.
    pub target_label: &'a str,
    /// What happened.
    pub report: &'a CaseReport,
    /// Masks credentials (and `user:pass@` in URLs) wherever they appear in the text.
    pub redact: &'a dyn Fn(&str) -> String,
    /// Colour the verdict and failures.
    pub color: bool,
}

impl Repro<'_> {
    /// The whole repro text, secrets masked.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        self.curl_sequence(&mut out);
        self.exchanges(&mut out);
        self.verdict(&mut out);
        (self.redact)(&out)
    }

    fn header(&self, out: &mut String) {
        let r = self.report;
        let _ = writeln!(out, "repro {} — {}", r.id, r.title);
        let rules = if r.rules.is_empty() {
            String::new()
        } else {
            format!(", rules {}", r.rules.join(" "))
        };
        let _ = writeln!(out, "  case:    {} ({}{rules})", r.location, r.level);
        let _ = writeln!(out, "  target:  {}", self.target_label);
        let _ = writeln!(out, "  base:    {}", self.target.base_url);
        let _ = writeln!(out, "  profile: {}", r.profile);
    }

    /// Every step of the case in order, with the report of the ones that ran.
    fn plan(&self) -> Vec<(Phase, usize, &Step, Option<&StepReport>)> {
        self.case
            .all_steps()
            .map(|(phase, i, step)| {
                let sr = self
                    .report
                    .steps
                    .iter()
                    .find(|s| s.phase == phase && s.index == i + 1);
                (phase, i + 1, step, sr)
            })
            .collect()
    }

    fn curl_sequence(&self, out: &mut String) {
        let _ = writeln!(out, "\ncurl sequence (secrets masked):");
        if self.report.verdict == Verdict::Skip && self.report.steps.is_empty() {
            let _ = writeln!(out, "# nothing sent: the case was skipped");
            return;
        }
        for (phase, index, step, sr) in self.plan() {
            let label = step_label(phase, index, step);
            match sr {
                Some(sr) => match curl::render(&sr.request) {
                    Some(line) => {
                        let _ = writeln!(out, "# {label}\n{line}");
                    }
                    None => {
                        let why = sr.error.as_deref().unwrap_or("the request was not built");
                        let _ = writeln!(out, "# {label}: not sent: {why}");
                    }
                },
                None => {
                    let _ = writeln!(out, "# {label}: not run");
                }
            }
        }
    }

    fn exchanges(&self, out: &mut String) {
        if self.report.steps.is_empty() {
            return;
        }
        let _ = writeln!(out, "\nexchanges:");
        for (phase, index, step, sr) in self.plan() {
            let Some(sr) = sr else { continue };
            let _ = writeln!(out, "── {} ──", step_label(phase, index, step));
            if sr.request.url.is_empty() {
                if let Some(e) = &sr.error {
                    let _ = writeln!(out, "  not sent: {e}");
                }
                continue;
            }
            let req = &sr.request;
            let _ = writeln!(out, "> {} {}", req.method, req.url);
            for (k, v) in &req.headers {
                let _ = writeln!(out, "> {k}: {v}");
            }
            if let Some(body) = &req.body {
                let _ = writeln!(out, ">");
                for line in
                    truncate(&pretty_request_body(body), BODY_MAX_BYTES, BODY_MAX_LINES).lines()
                {
                    let _ = writeln!(out, "> {line}");
                }
            }
            match &sr.response {
                Some(resp) => {
                    render_response(out, resp);
                    for (name, value) in captures(step, resp) {
                        let _ = writeln!(out, "  captured {name} = {value}");
                    }
                }
                None => {
                    let why = sr.error.as_deref().unwrap_or("unknown");
                    let _ = writeln!(out, "< no response: {why}");
                }
            }
            for f in &sr.failures {
                render_failure(out, f, "  ", self.color);
            }
        }
    }

    fn verdict(&self, out: &mut String) {
        let r = self.report;
        let _ = writeln!(out, "\nverdict: {}", render_line(r, self.color));
        if r.verdict != Verdict::Pass
            && r.verdict != Verdict::Skip
            && let Some(reason) = &r.reason
        {
            let _ = writeln!(out, "  because: {reason}");
        }
        let failed: Vec<String> = r
            .failures()
            .map(|(s, f)| format!("{} at {} ({})", s.label(), f.pos, f.what))
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "  evidence: {}", failed.join("; "));
        }
    }
}

/// `setup 1 (create user)`, `step 2`, ...
fn step_label(phase: Phase, index: usize, step: &Step) -> String {
    match &step.name {
        Some(n) => format!("{phase} {index} ({n})"),
        None => format!("{phase} {index}"),
    }
}

fn render_response(out: &mut String, resp: &HttpResponse) {
    let _ = writeln!(out, "< {} ({} ms)", resp.status, resp.elapsed.as_millis());
    for (k, v) in &resp.headers {
        if crate::exchange::is_secret_header(k) {
            let _ = writeln!(out, "< {k}: ***");
        } else {
            let _ = writeln!(out, "< {k}: {v}");
        }
    }
    if !resp.body.is_empty() {
        let _ = writeln!(out, "<");
        for line in truncate(&pretty_response(resp), BODY_MAX_BYTES, BODY_MAX_LINES).lines() {
            let _ = writeln!(out, "< {line}");
        }
    }
}

/// The values a step's `capture:` took from its response (as the runner reads them).
pub fn captures(step: &Step, resp: &HttpResponse) -> Vec<(String, String)> {
    step.capture
        .iter()
        .filter_map(|(name, cap)| {
            let value = match (&cap.value.body, &cap.value.header) {
                (Some(ptr), _) => {
                    resp.json
                        .as_ref()
                        .and_then(|j| j.pointer(ptr))
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                }
                (None, Some(h)) => resp.header(h).map(str::to_string),
                (None, None) => None,
            };
            value.map(|v| (name.clone(), v))
        })
        .collect()
}
