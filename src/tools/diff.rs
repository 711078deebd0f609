//! `scimcert diff`: the same cases against two targets, compared case by case — where
//! the verdicts differ, and where the normalised responses differ (volatile values
//! redacted as in snapshots, object members in key order), as a unified diff.

use std::fmt::Write as _;

use crate::case::{LoadedCase, Vars};
use crate::check::snapshot::{redact, redact_str};
use crate::outcome::CaseReport;
use crate::outcome::Verdict;
use crate::tools::repro::captures;
use crate::tools::text::{pretty_response, sort_keys, truncate};

/// Largest non-JSON body (bytes) compared.
const TEXT_BODY_MAX: usize = 4096;

/// One side of a diff: how its reports are normalised.
#[derive(Clone, Debug)]
pub struct Side {
    /// Short description (`A: built-in scim simulation, profile vmware`).
    pub label: String,
    /// Base URL, redacted as `[base]`.
    pub base_url: String,
}

/// How one case compares.
#[derive(Clone, Debug)]
pub struct CaseDiff {
    /// `<api>::<case id>`.
    pub name: String,
    /// Verdict and reason on side A.
    pub a: (Verdict, Option<String>),
    /// Verdict and reason on side B.
    pub b: (Verdict, Option<String>),
    /// Unified diff of the normalised responses, when they differ.
    pub responses: Option<String>,
}

/// Which differences count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Verdicts and responses.
    Everything,
    /// Verdicts only (responses are still counted in the summary).
    Verdicts,
}

impl CaseDiff {
    /// Whether a difference that counts under `scope` was found.
    pub fn differs_in(&self, scope: Scope) -> bool {
        match scope {
            Scope::Everything => self.differs(),
            Scope::Verdicts => self.verdict_differs(),
        }
    }

    /// Whether the verdicts differ.
    pub fn verdict_differs(&self) -> bool {
        self.a.0 != self.b.0
    }

    /// Whether anything differs.
    pub fn differs(&self) -> bool {
        self.verdict_differs() || self.responses.is_some()
    }
}

/// The responses of a case as comparable text: per step its label, request line (path
/// only), status, `ETag` and body, redacted (run id, captured values, base URL,
/// date-times, versions, UUIDs) and with object members sorted.
pub fn normalised(lc: &LoadedCase, report: &CaseReport, base_url: &str, run_id: &str) -> String {
    let mut vars = Vars::new();
    vars.insert("run_id".into(), run_id.to_string());
    for sr in &report.steps {
        if let (Some(step), Some(resp)) = (step_of(lc, sr.phase, sr.index), &sr.response) {
            vars.extend(captures(step, resp));
        }
    }
    let r = |s: &str| redact_str(s, None, base_url, &vars);
    let mut out = String::new();
    for sr in &report.steps {
        let _ = writeln!(
            out,
            "## {}: {} {}",
            sr.label(),
            sr.request.method,
            r(&readable_path(&sr.request.url, base_url))
        );
        match &sr.response {
            None => {
                let _ = writeln!(
                    out,
                    "no response: {}",
                    r(sr.error.as_deref().unwrap_or("unknown"))
                );
            }
            Some(resp) => {
                let _ = writeln!(out, "status: {}", resp.status);
                if let Some(tag) = resp.header("etag") {
                    let _ = writeln!(
                        out,
                        "etag: {}",
                        redact_str(tag, Some("version"), base_url, &vars)
                    );
                }
                match &resp.json {
                    Some(json) => {
                        let shown = sort_keys(&redact(json, base_url, &vars));
                        let _ = writeln!(
                            out,
                            "{}",
                            serde_json::to_string_pretty(&shown).unwrap_or_default()
                        );
                    }
                    None if !resp.body.is_empty() => {
                        let text = truncate(&pretty_response(resp), TEXT_BODY_MAX, 200);
                        let _ = writeln!(out, "{}", r(&text));
                    }
                    None => {}
                }
            }
        }
    }
    out
}

/// The request URL under the base URL, its query decoded (`?filter=userName eq "x"`),
/// so redaction finds the values in it.
fn readable_path(url: &str, base_url: &str) -> String {
    let Ok(u) = reqwest::Url::parse(url) else {
        return url.to_string();
    };
    let base_path = reqwest::Url::parse(base_url)
        .map(|b| b.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let path = u.path();
    let mut out = path.strip_prefix(&base_path).unwrap_or(path).to_string();
    let pairs: Vec<String> = u.query_pairs().map(|(k, v)| format!("{k}={v}")).collect();
    if !pairs.is_empty() {
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

fn step_of(
    lc: &LoadedCase,
    phase: crate::outcome::Phase,
    index: usize,
) -> Option<&crate::case::Step> {
    use crate::outcome::Phase;
    let steps = match phase {
        Phase::Setup => &lc.case.setup,
        Phase::Step => &lc.case.steps,
        Phase::Cleanup => &lc.case.cleanup,
    };
    steps.get(index.checked_sub(1)?)
}

/// Compares one case's reports from the two sides.
pub fn compare(
    lc: &LoadedCase,
    a: (&CaseReport, &Side),
    b: (&CaseReport, &Side),
    run_id: &str,
) -> CaseDiff {
    let text_a = normalised(lc, a.0, &a.1.base_url, run_id);
    let text_b = normalised(lc, b.0, &b.1.base_url, run_id);
    let responses = (text_a != text_b).then(|| {
        similar::TextDiff::from_lines(&text_a, &text_b)
            .unified_diff()
            .context_radius(3)
            .header(&a.1.label, &b.1.label)
            .to_string()
    });
    CaseDiff {
        name: format!("{}::{}", lc.case.api, lc.id()),
        a: (a.0.verdict, a.0.reason.clone()),
        b: (b.0.verdict, b.0.reason.clone()),
        responses,
    }
}

/// The diff report: one block per differing case, then the summary line.
pub fn render(diffs: &[CaseDiff], a: &Side, b: &Side, scope: Scope, color: bool) -> String {
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}\n{}", a.label, b.label);
    for d in diffs.iter().filter(|d| d.differs_in(scope)) {
        let _ = writeln!(out, "\n{} {}", paint("DIFF", "33;1"), d.name);
        if d.verdict_differs() {
            let _ = writeln!(out, "  verdict: A {} | B {}", d.a.0, d.b.0);
            for (side, (_, reason)) in [("A", &d.a), ("B", &d.b)] {
                if let Some(reason) = reason {
                    let _ = writeln!(out, "    {side}: {reason}");
                }
            }
        } else {
            let _ = writeln!(out, "  verdict: {} on both", d.a.0);
        }
        if let Some(diff) = d.responses.as_ref().filter(|_| scope == Scope::Everything) {
            let _ = writeln!(out, "  responses:");
            for line in diff.lines() {
                let shown = match line.chars().next() {
                    Some('-') if !line.starts_with("---") => paint(line, "31"),
                    Some('+') if !line.starts_with("+++") => paint(line, "32"),
                    _ => line.to_string(),
                };
                let _ = writeln!(out, "    {shown}");
            }
        }
    }
    let _ = writeln!(out, "\n{}", summary(diffs, scope));
    out
}

/// `summary: 3 of 40 case(s) differ (2 in verdict, 3 in responses)`.
pub fn summary(diffs: &[CaseDiff], scope: Scope) -> String {
    let differing = diffs.iter().filter(|d| d.differs_in(scope)).count();
    let verdicts = diffs.iter().filter(|d| d.verdict_differs()).count();
    let responses = diffs.iter().filter(|d| d.responses.is_some()).count();
    match (differing, scope) {
        (0, Scope::Everything) => format!("summary: no difference in {} case(s)", diffs.len()),
        (0, Scope::Verdicts) => format!(
            "summary: no verdict differs in {} case(s) ({responses} differ in responses)",
            diffs.len()
        ),
        (_, Scope::Everything) => format!(
            "summary: {differing} of {} case(s) differ ({verdicts} in verdict, {responses} in responses)",
            diffs.len()
        ),
        (_, Scope::Verdicts) => format!(
            "summary: {verdicts} of {} case(s) differ in verdict ({responses} in responses)",
            diffs.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{HttpRequest, HttpResponse};
    use crate::outcome::StepReport;
    use std::path::Path;

    const CASE: &str = "\
- id: c
  title: t
  level: MUST
  api: scim
  steps:
    - request: {method: POST, path: /Users}
      capture: {user_id: {body: /id}}
    - request: {method: GET, path: \"/Users/{{ user_id }}\"}
";

    fn report(base: &str, id: &str, nick: &str, created: &str, verdict: Verdict) -> CaseReport {
        let step = |index: usize, method: &str, url: String, body: serde_json::Value| StepReport {
            phase: crate::outcome::Phase::Step,
            index,
            name: None,
            request: HttpRequest {
                method: method.into(),
                url,
                headers: vec![],
                body: None,
            },
            response: Some(HttpResponse {
                status: 200,
                headers: vec![("etag".into(), format!("W/\"{created}\""))],
                body: body.to_string().into_bytes(),
                json: Some(body),
                elapsed: std::time::Duration::ZERO,
            }),
            error: None,
            notes: vec![],
            failures: vec![],
            snapshot: None,
        };
        // Members in different orders on purpose: the comparison sorts them.
        let user = serde_json::json!({"nickName": nick, "id": id,
            "meta": {"created": created, "location": format!("{base}/Users/{id}")}});
        CaseReport {
            id: "c".into(),
            title: "t".into(),
            location: "c.yaml:1:7".into(),
            api: crate::api::Api::Scim,
            profile: crate::api::Profile::Vmware,
            level: crate::case::Level::Must,
            rules: vec![],
            tags: vec![],
            verdict,
            reason: None,
            steps: vec![
                step(1, "POST", format!("{base}/Users"), user.clone()),
                step(
                    2,
                    "GET",
                    format!("{base}/Users/{id}"),
                    serde_json::json!({"meta": user["meta"], "id": id}),
                ),
            ],
            duration_ms: 0,
        }
    }

    fn sides() -> (Side, Side) {
        (
            Side {
                label: "A".into(),
                base_url: "http://a:1/v2".into(),
            },
            Side {
                label: "B".into(),
                base_url: "http://b:2/scim".into(),
            },
        )
    }

    #[test]
    fn volatile_values_and_member_order_do_not_count() {
        let lc = &crate::case::parse_file(Path::new("c.yaml"), CASE).unwrap()[0];
        let (sa, sb) = sides();
        let a = report(
            &sa.base_url,
            "2819c223-7f76-453a-919d-413861904646",
            "Babs",
            "2024-01-01T00:00:00Z",
            Verdict::Pass,
        );
        let b = report(
            &sb.base_url,
            "abc-123",
            "Babs",
            "2025-02-02T10:00:00+01:00",
            Verdict::Pass,
        );
        let d = compare(lc, (&a, &sa), (&b, &sb), "run1");
        assert!(!d.differs(), "{}", d.responses.unwrap_or_default());
        assert!(summary(&[d], Scope::Everything).contains("no difference in 1 case"));
    }

    #[test]
    fn a_changed_value_and_verdict_are_reported() {
        let lc = &crate::case::parse_file(Path::new("c.yaml"), CASE).unwrap()[0];
        let (sa, sb) = sides();
        let a = report(
            &sa.base_url,
            "id-1",
            "Babs",
            "2024-01-01T00:00:00Z",
            Verdict::Pass,
        );
        let b = report(
            &sb.base_url,
            "id-2",
            "Barb",
            "2024-01-01T00:00:00Z",
            Verdict::Fail,
        );
        let d = compare(lc, (&a, &sa), (&b, &sb), "run1");
        assert!(d.verdict_differs());
        let diff = d.responses.clone().expect("bodies differ");
        assert!(
            diff.contains("-  \"nickName\": \"Babs\"")
                && diff.contains("+  \"nickName\": \"Barb\""),
            "{diff}"
        );
        let text = render(std::slice::from_ref(&d), &sa, &sb, Scope::Everything, false);
        assert!(text.contains("verdict: A pass | B fail"), "{text}");
        assert!(
            text.contains("summary: 1 of 1 case(s) differ (1 in verdict, 1 in responses)"),
            "{text}"
        );
        let text = render(&[d], &sa, &sb, Scope::Verdicts, false);
        assert!(!text.contains("nickName"), "{text}");
        assert!(
            text.contains("summary: 1 of 1 case(s) differ in verdict (1 in responses)"),
            "{text}"
        );
    }
}
