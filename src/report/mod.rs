//! Reports of a finished run: the console, JUnit XML and the JSON report.

pub mod console;
pub mod json;
pub mod junit;

use crate::check::Verdict;
use crate::run::CaseReport;

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
        let mut t = Tally::default();
        for r in reports {
            match r.verdict {
                Verdict::Pass => t.passed += 1,
                Verdict::Fail => t.failed += 1,
                Verdict::Warn => t.warned += 1,
                Verdict::Skip => t.skipped += 1,
                Verdict::Error => t.errors += 1,
            }
        }
        t
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
