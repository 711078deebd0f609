//! Checking a response against a step's expectations: status, headers, body matchers,
//! JSON Schema and snapshots. Each failed expectation becomes a [`Failure`] that points
//! at the line of the case file that states it.

pub mod body;
pub mod schema;
pub mod snapshot;
pub mod verdict;

use serde_json::Value;

use crate::case::diag::Pos;
use crate::case::load::LoadedCase;
use crate::case::model::{Expect, Level};
use crate::case::template::{self, Vars};
use crate::exchange::HttpResponse;

pub use body::{MatchOptions, Mismatch, match_body};
pub use schema::SchemaRegistry;
pub use verdict::Verdict;

/// One failed expectation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Failure {
    /// `fail` or `warn`.
    pub grade: Verdict,
    /// Where the expectation is written.
    pub pos: Pos,
    /// Which expectation (`status`, `header ETag`, `body`, `schema scim-user`, ...).
    pub what: String,
    /// One-line summary.
    pub message: String,
    /// Differences by JSON pointer (body and schema checks).
    pub mismatches: Vec<Mismatch>,
    /// Unified diff, expected vs actual (body checks).
    pub diff: Option<String>,
    /// The case-file line at `pos`.
    #[serde(skip)]
    pub line_text: Option<String>,
}

/// Everything a check needs besides the expectation and the response.
pub struct CheckContext<'a> {
    /// The case (for positions).
    pub case: &'a LoadedCase,
    /// Variables in force.
    pub vars: &'a Vars,
    /// Compiled schemas.
    pub schemas: &'a SchemaRegistry,
}

/// Checks `resp` against `expect`; failures are graded at `level`.
pub fn check_response(
    expect: &Expect,
    level: Level,
    resp: &HttpResponse,
    ctx: &CheckContext<'_>,
) -> Vec<Failure> {
    let grade = Verdict::for_failed(level);
    let mut out = Vec::new();
    let fail = |pos: Pos, what: &str, message: String| Failure {
        grade,
        line_text: ctx.case.line_text(pos.line),
        pos,
        what: what.to_string(),
        message,
        mismatches: Vec::new(),
        diff: None,
    };
    if let Some(status) = &expect.status {
        let codes = status.value.codes();
        if !codes.contains(&resp.status) {
            let want = codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ");
            out.push(fail(
                ctx.case.pos(status.referenced),
                "status",
                format!("expected status {want}, got {}", resp.status),
            ));
        }
    }
    for (name, h) in &expect.headers {
        let pos = ctx.case.pos(h.referenced);
        let what = format!("header {name}");
        let actual = resp.header(name);
        let e = &h.value;
        match (e.present, actual) {
            (Some(false), Some(v)) => out.push(fail(
                pos.clone(),
                &what,
                format!("expected no {name} header, got `{v}`"),
            )),
            (Some(true), None) => out.push(fail(
                pos.clone(),
                &what,
                format!("expected a {name} header, got none"),
            )),
            _ => {}
        }
        if let Some(eq) = &e.equals {
            let want = template::render(eq, ctx.vars).unwrap_or_else(|_| eq.clone());
            if actual != Some(want.as_str()) {
                out.push(fail(
                    pos.clone(),
                    &what,
                    format!("expected {name}: `{want}`, got {}", shown(actual)),
                ));
            }
        }
        if let Some(re) = &e.matches {
            let ok = regex::Regex::new(re).is_ok_and(|r| actual.is_some_and(|v| r.is_match(v)));
            if !ok {
                out.push(fail(
                    pos,
                    &what,
                    format!("expected {name} matching /{re}/, got {}", shown(actual)),
                ));
            }
        }
    }
    // A 204 the case accepts has no content by definition (RFC 9110 §15.3.5), so the
    // expectations about content cannot apply to it: the RFC lets a server answer a
    // PATCH with 200 and the resource or with 204, and neither may be penalised.
    // (A `should:` block carries no status of its own: the step's `expect` rules on it.)
    let accepted_no_content = resp.status == 204
        && expect
            .status
            .as_ref()
            .is_none_or(|s| s.value.codes().contains(&204));
    if accepted_no_content {
        return out;
    }
    if let Some(body) = &expect.body {
        let pos = ctx.case.pos(body.referenced);
        match template::render_value(&body.value, ctx.vars) {
            Err(name) => out.push(fail(pos, "body", format!("variable `{name}` has no value"))),
            Ok(expected) => {
                let opts = MatchOptions {
                    strict: expect.strict,
                    any_order: expect.any_order,
                };
                let mismatches = match_body(&expected, resp.json.as_ref(), opts);
                if !mismatches.is_empty() {
                    let mut f = fail(pos, "body", body_summary(&mismatches, resp));
                    f.diff = resp.json.as_ref().map(|actual| {
                        let shown = if expect.strict {
                            actual.clone()
                        } else {
                            body::restrict_to(&expected, actual)
                        };
                        unified_diff(&expected, &shown)
                    });
                    f.mismatches = mismatches;
                    out.push(f);
                }
            }
        }
    }
    if expect.schema.is_none() {
        let implied = resp.json.as_ref().and_then(|json| {
            schema::default_schema(ctx.case.case.api, resp.status, json).map(|n| (n, json))
        });
        if let Some((name, json)) = implied.filter(|(n, _)| ctx.schemas.contains(n)) {
            let violations = ctx.schemas.violations(name, json);
            if !violations.is_empty() {
                let mut f = fail(
                    ctx.case.pos(ctx.case.case.id.referenced),
                    &format!("schema {name} (implied by status {})", resp.status),
                    format!("body violates schema `{name}`"),
                );
                // The case's rule is about something else: a shape problem warns.
                f.grade = Verdict::Warn;
                f.mismatches = schema_mismatches(violations);
                out.push(f);
            }
        }
    }
    if let Some(schema) = &expect.schema {
        let pos = ctx.case.pos(schema.referenced);
        let what = format!("schema {}", schema.value);
        match &resp.json {
            None => out.push(fail(
                pos,
                &what,
                "expected a JSON body to validate, got none".into(),
            )),
            Some(json) => {
                let violations = ctx.schemas.violations(&schema.value, json);
                if !violations.is_empty() {
                    let mut f = fail(
                        pos,
                        &what,
                        format!("body violates schema `{}`", schema.value),
                    );
                    f.mismatches = schema_mismatches(violations);
                    out.push(f);
                }
            }
        }
    }
    out
}

fn schema_mismatches(violations: Vec<String>) -> Vec<Mismatch> {
    violations
        .into_iter()
        .map(|v| {
            let (pointer, msg) = v.split_once(": ").unwrap_or(("", v.as_str()));
            Mismatch {
                pointer: if pointer == "/" {
                    String::new()
                } else {
                    pointer.to_string()
                },
                expected: "valid per schema".into(),
                actual: msg.to_string(),
            }
        })
        .collect()
}

fn shown(v: Option<&str>) -> String {
    v.map(|v| format!("`{v}`")).unwrap_or_else(|| "none".into())
}

fn body_summary(mismatches: &[Mismatch], resp: &HttpResponse) -> String {
    if resp.json.is_none() {
        return if resp.body.is_empty() {
            "expected a JSON body, got an empty body".into()
        } else {
            "expected a JSON body, got a body that is not JSON".into()
        };
    }
    format!(
        "body differs at {} place{}",
        mismatches.len(),
        if mismatches.len() == 1 { "" } else { "s" }
    )
}

/// A unified diff of two JSON values, pretty-printed.
pub fn unified_diff(expected: &Value, actual: &Value) -> String {
    let a = serde_json::to_string_pretty(expected).unwrap_or_default() + "\n";
    let b = serde_json::to_string_pretty(actual).unwrap_or_default() + "\n";
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}
