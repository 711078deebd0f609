//! Process exit codes: every way out of the program is named here once.

/// No case failed (warnings and skips allowed unless `--strict`).
pub const OK: i32 = 0;
/// At least one case failed (or, under `--strict`, warned).
pub const FAILURES: i32 = 1;
/// A case file or the command line is wrong; nothing was sent.
pub const USAGE: i32 = 2;
/// Runtime errors prevented verdicts (connection refused, timeouts, setup failures).
pub const RUNTIME: i32 = 3;
/// Interrupted by Ctrl-C (the shell convention 128 + SIGINT).
pub const INTERRUPTED: i32 = 130;

use crate::outcome::Verdict;

/// The exit code for a finished run.
pub fn for_verdicts(verdicts: impl IntoIterator<Item = Verdict>, strict: bool) -> i32 {
    let mut code = OK;
    for v in verdicts {
        match v {
            Verdict::Error => return RUNTIME,
            Verdict::Fail => code = FAILURES,
            Verdict::Warn if strict => code = FAILURES,
            _ => {}
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_win_then_failures() {
        assert_eq!(for_verdicts([Verdict::Pass, Verdict::Skip], false), OK);
        assert_eq!(for_verdicts([Verdict::Warn], false), OK);
        assert_eq!(for_verdicts([Verdict::Warn], true), FAILURES);
        assert_eq!(
            for_verdicts([Verdict::Fail, Verdict::Pass], false),
            FAILURES
        );
        assert_eq!(
            for_verdicts([Verdict::Fail, Verdict::Error], false),
            RUNTIME
        );
    }
}
