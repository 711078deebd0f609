//! Console output for a person in a hurry: which case, which step, `file:line:col`,
//! expected vs actual by JSON pointer, a diff, the response, and the curl to repeat it.

use std::fmt::Write as _;

use crate::outcome::{CaseReport, StepReport};
use crate::outcome::{Failure, Verdict};
use crate::report::{RunInfo, Tally, curl};

/// Longest response body shown in failure output.
const BODY_PREVIEW: usize = 2000;

/// Whether to colour output: never when `NO_COLOR` is set or output is not a terminal.
pub fn use_color(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `text` in the SGR colour `code` when `color`, else as is.
pub fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The verdict word, padded and coloured.
pub fn verdict_word(v: Verdict, color: bool) -> String {
    let (word, code) = match v {
        Verdict::Pass => ("PASS ", "32"),
        Verdict::Fail => ("FAIL ", "31;1"),
        Verdict::Warn => ("WARN ", "33"),
        Verdict::Skip => ("SKIP ", "2"),
        Verdict::Error => ("ERROR", "35;1"),
    };
    paint(word, code, color)
}

/// The users the run left on the server and the command that removes them (empty when
/// there are none).
pub fn render_leftovers(info: &RunInfo) -> String {
    if info.leftovers.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "left behind: {} user(s) this run created and could not delete:\n",
        info.leftovers.len()
    );
    for l in &info.leftovers {
        let _ = writeln!(
            out,
            "  {} ({}) — case {} [{}]: {}",
            l.id,
            l.user_name.as_deref().unwrap_or("no userName"),
            l.case,
            l.profile,
            l.reason
        );
    }
    if let Some(cmd) = &info.cleanup_command {
        let _ = writeln!(out, "remove them with: {cmd}");
    }
    out
}

/// One line per case.
pub fn render_line(r: &CaseReport, color: bool) -> String {
    let rules = if r.rules.is_empty() {
        String::new()
    } else {
        format!(" {}", r.rules.join(","))
    };
    let mut line = format!(
        "{} {}::{} [{}] ({}{})",
        verdict_word(r.verdict, color),
        r.api,
        r.id,
        r.profile,
        r.level,
        rules
    );
    if matches!(r.verdict, Verdict::Skip | Verdict::Pass)
        && let Some(reason) = &r.reason
    {
        let _ = write!(line, " — {reason}");
    }
    line
}

/// The detailed block for a case that did not pass.
pub fn render_case(r: &CaseReport, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", render_line(r, color));
    let _ = writeln!(out, "  case: {} — {}", r.location, r.title);
    if r.verdict == Verdict::Error
        && let Some(reason) = &r.reason
    {
        let _ = writeln!(out, "  cause: {reason}");
    }
    for step in &r.steps {
        if step.failures.is_empty() && step.error.is_none() && step.notes.is_empty() {
            continue;
        }
        render_step(&mut out, step, color);
    }
    out
}

fn render_step(out: &mut String, step: &StepReport, color: bool) {
    render_step_evidence(out, step, color);
    if let Some(curl) = curl::render(&step.request) {
        let _ = writeln!(out, "    repro: {curl}");
    }
}

/// What went wrong in one step: the request line, how it was sent again if it was, the
/// transport error or each failed expectation (position, expected vs actual by JSON
/// pointer, diff) and the response.
pub fn render_step_evidence(out: &mut String, step: &StepReport, color: bool) {
    let _ = writeln!(
        out,
        "  {}: {} {}",
        step.label(),
        step.request.method,
        step.request.url
    );
    for note in &step.notes {
        let _ = writeln!(out, "    note: {note}");
    }
    if let Some(e) = &step.error {
        let _ = writeln!(out, "    error: {e}");
    }
    for f in &step.failures {
        render_failure(out, f, "    ", color);
    }
    if let Some(resp) = &step.response {
        let _ = writeln!(out, "    response: {}", resp.status);
        for (k, v) in &resp.headers {
            if matches!(
                k.as_str(),
                "content-type" | "etag" | "location" | "www-authenticate"
            ) {
                let _ = writeln!(out, "      {k}: {v}");
            }
        }
        if !resp.body.is_empty() {
            for line in resp.body_text(BODY_PREVIEW).lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
}

/// One failed expectation, each line after `indent`: grade and message, the
/// `file:line:col` with the case line, expected vs actual by JSON pointer, the diff.
pub fn render_failure(out: &mut String, f: &Failure, indent: &str, color: bool) {
    let grade = if f.grade == Verdict::Fail {
        paint("fail", "31", color)
    } else {
        paint("warn", "33", color)
    };
    let _ = writeln!(out, "{indent}{grade}: {}: {}", f.what, f.message);
    let _ = writeln!(out, "{indent}  --> {}", f.pos);
    if let Some(text) = &f.line_text {
        let _ = writeln!(out, "{indent}   {:>4} | {text}", f.pos.line);
    }
    for m in &f.mismatches {
        let at = if m.pointer.is_empty() {
            "(body)"
        } else {
            m.pointer.as_str()
        };
        let _ = writeln!(
            out,
            "{indent}  {at}: expected {}, got {}",
            m.expected, m.actual
        );
    }
    if let Some(diff) = &f.diff {
        for line in diff.lines() {
            let shown = match line.chars().next() {
                Some('-') if !line.starts_with("---") => paint(line, "31", color),
                Some('+') if !line.starts_with("+++") => paint(line, "32", color),
                _ => line.to_string(),
            };
            let _ = writeln!(out, "{indent}  {shown}");
        }
    }
}

/// The closing summary line.
pub fn render_summary(reports: &[CaseReport]) -> String {
    format!("summary: {}", Tally::of(reports))
}
