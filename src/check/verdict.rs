//! Verdicts: each case ends with exactly one.

use std::fmt;

use crate::case::model::Level;

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
