//! Reports of a run: the console (and its progress line), JUnit XML, the JSON report,
//! the Markdown certification report, and the report folder holding all three files.

mod client;
mod console;
mod coverage;
// Crate-wide under its own name: `curl::render` needs the word.
pub(crate) mod curl;
mod dir;
mod json;
mod junit;
mod leftover;
mod markdown;
mod progress;

use std::time::Duration;

use crate::outcome::CaseReport;
use crate::outcome::Verdict;

pub use client::write_client_report;
pub use console::{
    render_case, render_failure, render_leftovers, render_line, render_summary, use_color,
};
pub use coverage::{RuleCoverage, coverage};
pub use curl::quote_if_needed;
pub use dir::{
    JSON_FILE, JUNIT_FILE, MARKDOWN_FILE, ReportError, create_dir, json_text, junit_text,
    markdown_text, write_dir,
};
pub use leftover::{Leftover, leftovers};
pub use progress::{Progress, line_start, stderr_is_live};

/// What a run was, for the head of the reports. Holds no secrets: `target` is a label
/// or a base URL without `user:pass@`.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The target's label (`<base URL> (<api> api, profile <p>)` or the simulations).
    pub target: String,
    /// Identifier of the run (fixtures are named `scimcert-<run id>-…`).
    pub run_id: String,
    /// Start of the run, RFC 3339 in UTC.
    pub date: String,
    /// Which cases were selected, in words (`cases/ --case 'scim-add-*'`).
    pub selection: String,
    /// Whether `--strict` made SHOULD failures fail the run.
    pub strict: bool,
    /// Whether Ctrl-C stopped the run early.
    pub interrupted: bool,
    /// Wall time of the run.
    pub duration: Duration,
    /// What discovery could not tell about the server and so assumed.
    pub assumptions: Vec<String>,
    /// Users the run created on a real server and could not delete.
    pub leftovers: Vec<Leftover>,
    /// The command that removes them, when there are any.
    pub cleanup_command: Option<String>,
}

/// Counts of each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Passed cases.
    pub passed: usize,
    /// Failed cases.
    pub failed: usize,
    /// Warned cases.
    pub warned: usize,
    /// Skipped cases.
    pub skipped: usize,
    /// Errored cases.
    pub errors: usize,
}

impl Tally {
    /// Counts the verdicts of `reports`.
    pub fn of(reports: &[CaseReport]) -> Tally {
        Tally::of_verdicts(reports.iter().map(|r| r.verdict))
    }

    /// Counts `verdicts`.
    pub fn of_verdicts(verdicts: impl IntoIterator<Item = Verdict>) -> Tally {
        let mut t = Tally::default();
        for v in verdicts {
            t.add(v);
        }
        t
    }

    /// Counts one more verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::Warn => self.warned += 1,
            Verdict::Skip => self.skipped += 1,
            Verdict::Error => self.errors += 1,
        }
    }

    /// Cases counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.warned + self.skipped + self.errors
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} warned, {} skipped, {} errors",
            self.passed, self.failed, self.warned, self.skipped, self.errors
        )
    }
}
