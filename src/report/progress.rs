//! A live progress line on a terminal: a bar and the count of each verdict so far,
//! redrawn in place (`\r` + clear line) as cases finish and cleared before the results
//! are printed. Plain ANSI; drawn only when the caller hands it a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::outcome::CaseReport;
use crate::outcome::Verdict;
use crate::report::Tally;
use crate::report::console::paint;

/// Redraws closer together than this are skipped (the next one shows the news).
const MIN_REDRAW: Duration = Duration::from_millis(50);
/// Width of the bar in characters.
const BAR_WIDTH: usize = 16;
/// Carriage return and "erase the whole line".
pub const CLEAR_LINE: &str = "\r\x1b[2K";

/// Whether stderr is a terminal a progress line can be drawn on (not a `dumb` one).
pub fn stderr_is_live() -> bool {
    is_live(
        std::io::stderr().is_terminal(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// A terminal that understands the escapes (`TERM` is not `dumb`).
fn is_live(is_terminal: bool, term: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && term.is_none_or(|t| t != "dumb")
}

/// What to write before a message on stderr so that it does not share a line with a
/// progress line drawn there: `CLEAR_LINE` on a live terminal, else nothing.
pub fn line_start() -> &'static str {
    if stderr_is_live() { CLEAR_LINE } else { "" }
}

/// The progress line of one run.
pub struct Progress<W: Write> {
    /// Where to draw (a terminal); `None` draws nothing.
    out: Option<W>,
    total: usize,
    tally: Tally,
    color: bool,
    last_draw: Option<Instant>,
    /// Longest line allowed (a wrapped line cannot be cleared in place).
    max_width: usize,
}

impl<W: Write> Progress<W> {
    /// A progress line over `total` cases drawn on `out` (nothing when `None`), shown
    /// at once; lines are cut to `max_width` characters.
    pub fn new(total: usize, out: Option<W>, color: bool, max_width: usize) -> Progress<W> {
        let mut p = Progress {
            out,
            total,
            tally: Tally::default(),
            color,
            last_draw: None,
            max_width: max_width.max(1),
        };
        p.draw();
        p
    }

    /// Counts a finished case and redraws (at most every `MIN_REDRAW`).
    pub fn case_done(&mut self, report: &CaseReport) {
        self.tally.add(report.verdict);
        let due = self.last_draw.is_none_or(|t| t.elapsed() >= MIN_REDRAW);
        if due || self.tally.total() == self.total {
            self.draw();
        }
    }

    /// Clears the line, leaving the terminal as it was; drawing stops.
    pub fn finish(&mut self) {
        if let Some(mut out) = self.out.take() {
            // A terminal that cannot be written to has nothing to clear either.
            let _ = write!(out, "{CLEAR_LINE}");
            let _ = out.flush();
        }
    }

    /// The line as drawn, without the clearing prefix.
    pub fn line(&self) -> String {
        let done = self.tally.total();
        let filled = (done * BAR_WIDTH).checked_div(self.total).unwrap_or(0);
        let bar = format!(
            "[{}{}]",
            "#".repeat(filled),
            "-".repeat(BAR_WIDTH.saturating_sub(filled))
        );
        let count = |n: usize, word: &str, v: Verdict| {
            let text = format!("{word} {n}");
            if n == 0 {
                text
            } else {
                let code = match v {
                    Verdict::Pass => "32",
                    Verdict::Fail => "31;1",
                    Verdict::Warn => "33",
                    Verdict::Error => "35;1",
                    Verdict::Skip => "2",
                };
                paint(&text, code, self.color)
            }
        };
        let t = &self.tally;
        let plain_len = |s: &str| strip_ansi(s).chars().count();
        let parts = [
            format!("{bar} {done}/{}", self.total),
            count(t.passed, "pass", Verdict::Pass),
            count(t.failed, "fail", Verdict::Fail),
            count(t.warned, "warn", Verdict::Warn),
            count(t.errors, "error", Verdict::Error),
            count(t.skipped, "skip", Verdict::Skip),
        ];
        // Whole parts only, so no escape sequence is cut in half.
        let mut line = String::new();
        let mut width = 0;
        for part in parts {
            let sep = usize::from(!line.is_empty());
            let w = plain_len(&part);
            if width + sep + w > self.max_width {
                break;
            }
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(&part);
            width += sep + w;
        }
        line
    }

    fn draw(&mut self) {
        // Hidden (not a terminal, `--quiet`): the line is not even made.
        if self.out.is_none() {
            return;
        }
        let line = self.line();
        if let Some(out) = &mut self.out {
            let _ = write!(out, "{CLEAR_LINE}{line}");
            let _ = out.flush();
            self.last_draw = Some(Instant::now());
        }
    }
}

impl<W: Write> Drop for Progress<W> {
    fn drop(&mut self) {
        self.finish();
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Skip `[`, parameters and the final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;

    fn report(verdict: Verdict) -> CaseReport {
        CaseReport {
            id: "c".into(),
            title: "t".into(),
            location: "f:1:1".into(),
            api: crate::api::Api::Scim,
            profile: crate::api::Profile::Vmware,
            level: Level::Must,
            rules: Vec::new(),
            tags: Vec::new(),
            verdict,
            reason: None,
            steps: Vec::new(),
            duration_ms: 0,
        }
    }

    #[test]
    fn counts_each_verdict_and_clears_at_the_end() {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(4, Some(&mut buf), false, 200);
            for v in [Verdict::Pass, Verdict::Fail, Verdict::Skip, Verdict::Pass] {
                p.case_done(&report(v));
            }
            assert_eq!(
                p.line(),
                "[################] 4/4 pass 2 fail 1 warn 0 error 0 skip 1"
            );
            p.finish();
        }
        let text = String::from_utf8(buf).expect("utf-8");
        assert!(
            text.starts_with("\r\x1b[2K[----------------] 0/4"),
            "{text:?}"
        );
        // The last case is always drawn, however fast it came.
        assert!(text.contains("4/4 pass 2 fail 1"), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
    }

    #[test]
    fn only_a_terminal_that_is_not_dumb_is_drawn_on() {
        use std::ffi::OsStr;
        assert!(is_live(true, Some(OsStr::new("xterm-256color"))));
        assert!(is_live(true, None));
        assert!(!is_live(true, Some(OsStr::new("dumb"))));
        assert!(!is_live(false, Some(OsStr::new("xterm"))));
    }

    #[test]
    fn nothing_is_drawn_without_a_terminal() {
        let mut p: Progress<Vec<u8>> = Progress::new(2, None, true, 80);
        p.case_done(&report(Verdict::Fail));
        p.finish();
        assert!(p.out.is_none());
    }

    #[test]
    fn colour_codes_do_not_count_towards_the_width() {
        let mut p: Progress<Vec<u8>> = Progress::new(1, None, true, 200);
        p.case_done(&report(Verdict::Fail));
        let line = p.line();
        assert!(line.contains("\x1b[31;1mfail 1\x1b[0m"), "{line:?}");
        let narrow: Progress<Vec<u8>> = Progress::new(1, None, true, 30);
        assert_eq!(strip_ansi(&narrow.line()), "[----------------] 0/1 pass 0");
    }
}
