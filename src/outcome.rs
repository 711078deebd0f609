//! What a run found, as plain data: the verdict of each case, the failures behind it,
//! and the record of every step. The runner writes these; checks, reports and tools read
//! them.

use std::fmt;

use crate::api::{Api, Level, Profile};
use crate::diag::Pos;
use crate::exchange::{HttpRequest, HttpResponse};

/// The outcome of one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// Not applicable to the chosen profile or target.
    Skip,
    /// A SHOULD expectation failed.
    Warn,
    /// A MUST expectation failed.
    Fail,
    /// No verdict possible (connection, timeout, setup failure).
    Error,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 5] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Warn,
        Verdict::Skip,
        Verdict::Error,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Skip => "skip",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }

    /// The verdict for a failed expectation graded at `level`. A MAY is a choice the
    /// RFC leaves to the server: not taking it is a pass (with a note), never a warning.
    pub fn for_failed(level: Level) -> Verdict {
        match level {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::Warn,
            Level::May => Verdict::Pass,
        }
    }

    /// The worse of two verdicts (error > fail > warn > skip > pass).
    pub fn worst(self, other: Verdict) -> Verdict {
        self.max(other)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// One difference between expected and actual, at a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// JSON pointer into the response body (`""` = the whole body).
    pub pointer: String,
    /// What was expected, as text.
    pub expected: String,
    /// What was found, as text.
    pub actual: String,
}

/// Where a step stands in its case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Prepares the resource; a failure is an `error`, not a verdict.
    Setup,
    /// A step under test.
    Step,
    /// Always runs at the end.
    Cleanup,
}

impl Phase {
    /// `setup`, `step` or `cleanup`, as reports and snapshot names spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Step => "step",
            Phase::Cleanup => "cleanup",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot taken of one step's response.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TakenSnapshot {
    /// Snapshot name (`<api>__<case id>__<step>`).
    pub name: String,
    /// Rendered, redacted content.
    pub content: String,
}

/// What happened in one step.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepReport {
    /// Setup, step or cleanup.
    pub phase: Phase,
    /// 1-based index within its phase.
    pub index: usize,
    /// The step's name, if any.
    pub name: Option<String>,
    /// The request as sent (secrets masked); `report::curl` renders its repro.
    pub request: HttpRequest,
    /// The response, when one came.
    pub response: Option<HttpResponse>,
    /// Why there was no response, or why the step was not sent.
    pub error: Option<String>,
    /// What the client did to get the response: sent again on a new connection, tried
    /// again after a wait (secrets masked).
    pub notes: Vec<String>,
    /// Failed expectations.
    pub failures: Vec<Failure>,
    /// Snapshot taken, if requested.
    pub snapshot: Option<TakenSnapshot>,
}

impl StepReport {
    /// The record of a step about to send `request`, before anything came back.
    pub fn new(
        phase: Phase,
        index: usize,
        name: Option<String>,
        request: HttpRequest,
    ) -> StepReport {
        StepReport {
            phase,
            index,
            name,
            request,
            response: None,
            error: None,
            notes: Vec::new(),
            failures: Vec::new(),
            snapshot: None,
        }
    }

    /// `setup 1`, `step 2 (patch)`, ...
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {} ({n})", self.phase, self.index),
            None => format!("{} {}", self.phase, self.index),
        }
    }
}

/// The result of one case against one target.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseReport {
    /// Case id.
    pub id: String,
    /// Case title.
    pub title: String,
    /// `file:line:col` of the case.
    pub location: String,
    /// API.
    pub api: Api,
    /// Profile run under.
    pub profile: Profile,
    /// Requirement level.
    pub level: Level,
    /// Rule IDs.
    pub rules: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why (for skip and error; the first failure otherwise).
    pub reason: Option<String>,
    /// Steps in order.
    pub steps: Vec<StepReport>,
    /// Wall time.
    pub duration_ms: u128,
}

impl CaseReport {
    /// Frees the response bodies that no report shows, for a run that only reports: the
    /// console, Markdown and JUnit reports show the responses of steps with a failure,
    /// an error or a note, and report.json none. The parsed body of a POST stays, as
    /// the leftover check reads the ids it created. Checks ran already: nothing is
    /// judged on less.
    pub fn drop_unshown_responses(&mut self) {
        for step in &mut self.steps {
            if !step.failures.is_empty() || step.error.is_some() || !step.notes.is_empty() {
                continue;
            }
            if let Some(response) = &mut step.response {
                response.body = Vec::new();
                if !step.request.method.eq_ignore_ascii_case("POST") {
                    response.json = None;
                }
            }
        }
    }

    /// Every failure of every step.
    pub fn failures(&self) -> impl Iterator<Item = (&StepReport, &Failure)> {
        self.steps
            .iter()
            .flat_map(|s| s.failures.iter().map(move |f| (s, f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_grade_failures() {
        assert_eq!(Verdict::for_failed(Level::Must), Verdict::Fail);
        assert_eq!(Verdict::for_failed(Level::Should), Verdict::Warn);
        assert_eq!(Verdict::for_failed(Level::May), Verdict::Pass);
    }

    #[test]
    fn worst_orders_error_fail_warn_skip_pass() {
        assert_eq!(Verdict::Pass.worst(Verdict::Warn), Verdict::Warn);
        assert_eq!(Verdict::Fail.worst(Verdict::Warn), Verdict::Fail);
        assert_eq!(Verdict::Fail.worst(Verdict::Error), Verdict::Error);
        assert_eq!(Verdict::Skip.worst(Verdict::Pass), Verdict::Skip);
    }
}
