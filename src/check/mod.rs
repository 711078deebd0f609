//! Checking a response against a step's expectations: status, headers, body matchers,
//! JSON Schema and snapshots. Each failed expectation becomes a [`Failure`] that points
//! at the line of the case file that states it.

mod body;
mod schema;
// Crate-wide under its own name: `snapshot::render` and `snapshot::redact` need the word.
pub(crate) mod snapshot;

use serde_json::Value;

use crate::case::{Expect, Level, LoadedCase, Vars, template};
use crate::diag::Pos;
use crate::exchange::HttpResponse;

use crate::outcome::{Failure, Mismatch, Verdict};
pub use body::{MatchOptions, match_body};
pub use schema::{SchemaError, SchemaRegistry};
pub use snapshot::{SnapshotDir, SnapshotOutcome};

/// Everything a check needs besides the expectation and the response.
pub struct CheckContext<'a> {
    /// The case (for positions).
    pub case: &'a LoadedCase,
    /// Variables in force.
    pub vars: &'a Vars,
    /// Compiled schemas.
    pub schemas: &'a SchemaRegistry,
}

/// Checks `resp` against `expect`; failures are graded at `level`. Each kind of
/// expectation has its own check below; a 204 the step accepts skips those about
/// content.
pub fn check_response(
    expect: &Expect,
    level: Level,
    resp: &HttpResponse,
    ctx: &CheckContext<'_>,
) -> Vec<Failure> {
    let check = Checker {
        grade: Verdict::for_failed(level),
        resp,
        ctx,
    };
    let mut out = Vec::new();
    check.status(expect, &mut out);
    check.headers(expect, &mut out);
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
    check.body(expect, &mut out);
    check.schema(expect, &mut out);
    out
}

/// One response under check, and how its failures are graded.
struct Checker<'a> {
    grade: Verdict,
    resp: &'a HttpResponse,
    ctx: &'a CheckContext<'a>,
}

impl Checker<'_> {
    fn fail(&self, pos: Pos, what: &str, message: String) -> Failure {
        Failure {
            grade: self.grade,
            line_text: self.ctx.case.line_text(pos.line),
            pos,
            what: what.to_string(),
            message,
            mismatches: Vec::new(),
            diff: None,
        }
    }

    fn status(&self, expect: &Expect, out: &mut Vec<Failure>) {
        let Some(status) = &expect.status else {
            return;
        };
        let codes = status.value.codes();
        if !codes.contains(&self.resp.status) {
            let want = codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ");
            out.push(self.fail(
                self.ctx.case.pos(status.referenced),
                "status",
                format!("expected status {want}, got {}", self.resp.status),
            ));
        }
    }

    fn headers(&self, expect: &Expect, out: &mut Vec<Failure>) {
        for (name, h) in &expect.headers {
            let pos = self.ctx.case.pos(h.referenced);
            let what = format!("header {name}");
            let actual = self.resp.header(name);
            let e = &h.value;
            match (e.present, actual) {
                (Some(false), Some(v)) => out.push(self.fail(
                    pos.clone(),
                    &what,
                    format!("expected no {name} header, got `{v}`"),
                )),
                (Some(true), None) => out.push(self.fail(
                    pos.clone(),
                    &what,
                    format!("expected a {name} header, got none"),
                )),
                _ => {}
            }
            if let Some(eq) = &e.equals {
                let want = template::render(eq, self.ctx.vars).unwrap_or_else(|_| eq.clone());
                if actual != Some(want.as_str()) {
                    out.push(self.fail(
                        pos.clone(),
                        &what,
                        format!("expected {name}: `{want}`, got {}", shown(actual)),
                    ));
                }
            }
            if let Some(re) = &e.matches {
                let ok = crate::case::matcher::compiled(re)
                    .is_ok_and(|r| actual.is_some_and(|v| r.is_match(v)));
                if !ok {
                    out.push(self.fail(
                        pos,
                        &what,
                        format!("expected {name} matching /{re}/, got {}", shown(actual)),
                    ));
                }
            }
        }
    }

    fn body(&self, expect: &Expect, out: &mut Vec<Failure>) {
        let Some(body) = &expect.body else {
            return;
        };
        let pos = self.ctx.case.pos(body.referenced);
        let expected = match template::render_value(&body.value, self.ctx.vars) {
            Ok(expected) => expected,
            Err(name) => {
                out.push(self.fail(pos, "body", format!("variable `{name}` has no value")));
                return;
            }
        };
        let opts = MatchOptions {
            strict: expect.strict,
            any_order: expect.any_order,
        };
        let actual = self.resp.json.as_ref();
        let mismatches = match_body(&expected, actual, opts);
        if mismatches.is_empty() {
            return;
        }
        let mut f = self.fail(pos, "body", body_summary(&mismatches, self.resp));
        f.diff = actual.map(|actual| {
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

    /// The schema the case names, or else the one the status implies (graded `warn`:
    /// the case's rule is about something else).
    fn schema(&self, expect: &Expect, out: &mut Vec<Failure>) {
        let ctx = self.ctx;
        let Some(schema) = &expect.schema else {
            let implied = self.resp.json.as_ref().and_then(|json| {
                schema::default_schema(ctx.case.case.api, self.resp.status, json).map(|n| (n, json))
            });
            if let Some((name, json)) = implied.filter(|(n, _)| ctx.schemas.contains(n)) {
                let violations = ctx.schemas.violations(name, json);
                if !violations.is_empty() {
                    let mut f = self.fail(
                        ctx.case.pos(ctx.case.case.id.referenced),
                        &format!("schema {name} (implied by status {})", self.resp.status),
                        format!("body violates schema `{name}`"),
                    );
                    f.grade = Verdict::Warn;
                    f.mismatches = schema_mismatches(violations);
                    out.push(f);
                }
            }
            return;
        };
        let pos = ctx.case.pos(schema.referenced);
        let what = format!("schema {}", schema.value);
        let Some(json) = &self.resp.json else {
            out.push(self.fail(
                pos,
                &what,
                "expected a JSON body to validate, got none".into(),
            ));
            return;
        };
        let violations = ctx.schemas.violations(&schema.value, json);
        if !violations.is_empty() {
            let mut f = self.fail(
                pos,
                &what,
                format!("body violates schema `{}`", schema.value),
            );
            f.mismatches = schema_mismatches(violations);
            out.push(f);
        }
    }
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
