//! The certification report (`report.md`): what was tested and when, pass rates by
//! level and by rule group, a verdict for every rule of the catalogue, and each finding
//! with its evidence and the `curl` commands to reproduce it. Layout: README, "Reports".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::api::Profile;
use crate::case::{Catalogue, Level, Rule};
use crate::exit;
use crate::outcome::Verdict;
use crate::outcome::{CaseReport, StepReport};
use crate::report::{RunInfo, Tally, console, curl};

/// Skipped-case ids listed per reason before the rest are only counted.
const SKIPPED_IDS_SHOWN: usize = 5;

/// What a rule's cases add up to in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleVerdict {
    /// At least one case checking it ran; the worst of their verdicts.
    Ran(Verdict),
    /// No case ran, and the catalogue says no case can test it.
    NotTestable,
    /// No case ran, and it concerns no API or profile of this run.
    NotApplicable,
    /// No case of this run checks it.
    NotCovered,
}

impl RuleVerdict {
    /// The word shown in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleVerdict::Ran(v) => verdict_word(v),
            RuleVerdict::NotTestable => "not testable",
            RuleVerdict::NotApplicable => "not applicable",
            RuleVerdict::NotCovered => "not covered",
        }
    }
}

/// The worse of two verdicts for a rule: fail > error > warn > pass > skip (a rule that
/// failed somewhere failed; one that passed somewhere and was skipped elsewhere passed).
pub fn rule_worst(a: Verdict, b: Verdict) -> Verdict {
    fn rank(v: Verdict) -> u8 {
        match v {
            Verdict::Skip => 0,
            Verdict::Pass => 1,
            Verdict::Warn => 2,
            Verdict::Error => 3,
            Verdict::Fail => 4,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}

/// The group of a rule ID: the ID without its trailing number (`P-`, `E-`, `E`, `VD-`,
/// `SP`), so the ETag rules `E-nn` and the Entra shapes `En` stay apart.
pub fn rule_group(id: &str) -> &str {
    id.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The title of a rule group (see the header of `cases/rules.yaml`).
pub fn group_title(group: &str) -> &'static str {
    match group {
        "P-" => "PATCH envelope and `path` grammar (RFC 7644 §3.5.2)",
        "A-" => "`add` (RFC 7644 §3.5.2.1)",
        "R-" => "`remove` (RFC 7644 §3.5.2.2)",
        "X-" => "`replace` (RFC 7644 §3.5.2.3)",
        "Q-" => "`attributes` / `excludedAttributes` (RFC 7644 §3.9)",
        "E-" => "ETags (RFC 7644 §3.14)",
        "S-" => "Search with POST `/.search` (RFC 7644 §3.4.3)",
        "C-" => "Client obligations (graded by `scimcert mock --client-report`)",
        "VD-" => "VMware Identity Services: documented deviations",
        "OD-" => "Oracle Fabric: design decisions",
        "E" => "Microsoft Entra ID client shapes",
        "O" => "Okta client shapes",
        "SP" => "SailPoint client shapes",
        "GH" => "GitHub Enterprise server behaviour",
        "AWS" => "AWS IAM Identity Center server behaviour",
        _ => "other rules",
    }
}

/// One rule's row.
#[derive(Clone, Debug)]
pub struct RuleRow {
    /// Rule ID.
    pub id: String,
    /// Level as catalogued (`—` when the rule is not in the catalogue).
    pub level: String,
    /// Catalogue summary.
    pub summary: String,
    /// Why no case can test it, if none can.
    pub not_testable: Option<String>,
    /// Case runs checking it, by verdict.
    pub runs: Tally,
    /// The aggregate.
    pub verdict: RuleVerdict,
}

/// One row per catalogue rule (then per rule the cases name that the catalogue lacks),
/// in catalogue order.
pub fn rule_rows(reports: &[CaseReport], catalogue: Option<&Catalogue>) -> Vec<RuleRow> {
    let profiles = run_profiles(reports);
    let mut rows: Vec<RuleRow> = Vec::new();
    let catalogued: &[Rule] = catalogue.map_or(&[], |c| c.rules.as_slice());
    for rule in catalogued {
        let applies = profiles.iter().any(|p| {
            rule.apis.contains(&p.api()) && (rule.profiles.is_empty() || rule.profiles.contains(p))
        });
        rows.push(row(
            reports,
            &rule.id,
            &rule.level,
            &rule.summary,
            rule.not_testable.clone(),
            applies,
        ));
    }
    for r in reports {
        for id in &r.rules {
            if !rows.iter().any(|row| &row.id == id) {
                rows.push(row(
                    reports,
                    id,
                    "—",
                    "(not in the rule catalogue)",
                    None,
                    true,
                ));
            }
        }
    }
    rows
}

fn row(
    reports: &[CaseReport],
    id: &str,
    level: &str,
    summary: &str,
    not_testable: Option<String>,
    applies: bool,
) -> RuleRow {
    let checking: Vec<Verdict> = reports
        .iter()
        .filter(|r| r.rules.iter().any(|x| x == id))
        .map(|r| r.verdict)
        .collect();
    let verdict = match checking.iter().copied().reduce(rule_worst) {
        Some(v) => RuleVerdict::Ran(v),
        None if not_testable.is_some() => RuleVerdict::NotTestable,
        None if !applies => RuleVerdict::NotApplicable,
        None => RuleVerdict::NotCovered,
    };
    RuleRow {
        id: id.to_string(),
        level: level.to_string(),
        summary: summary.to_string(),
        not_testable,
        runs: Tally::of_verdicts(checking),
        verdict,
    }
}

/// The profiles the reports ran under, in [`Profile::ALL`] order.
fn run_profiles(reports: &[CaseReport]) -> Vec<Profile> {
    Profile::ALL
        .into_iter()
        .filter(|p| reports.iter().any(|r| r.profile == *p))
        .collect()
}

/// Renders the whole report.
pub fn render(reports: &[CaseReport], info: &RunInfo, catalogue: Option<&Catalogue>) -> String {
    let mut out = String::new();
    render_head(&mut out, reports, info);
    render_levels(&mut out, reports);
    let rows = rule_rows(reports, catalogue);
    render_groups(&mut out, &rows, catalogue.is_some());
    render_rules(&mut out, &rows);
    render_findings(&mut out, reports);
    render_skipped(&mut out, reports);
    out
}

fn render_head(out: &mut String, reports: &[CaseReport], info: &RunInfo) {
    let profiles: Vec<&str> = run_profiles(reports).iter().map(|p| p.as_str()).collect();
    let code = if info.interrupted {
        exit::INTERRUPTED
    } else {
        exit::for_verdicts(reports.iter().map(|r| r.verdict), info.strict)
    };
    let result = match code {
        exit::OK => "**PASSED**",
        exit::FAILURES => "**FAILED**",
        exit::INTERRUPTED => "**INTERRUPTED**",
        _ => "**ERRORS** (some cases could not get a verdict)",
    };
    let _ = writeln!(out, "# scimcert certification report\n");
    let _ = writeln!(out, "- **Target:** {}", inline(&info.target));
    let _ = writeln!(
        out,
        "- **Profiles:** {}",
        if profiles.is_empty() {
            "—".to_string()
        } else {
            profiles.join(", ")
        }
    );
    let _ = writeln!(out, "- **Date:** {}", info.date);
    let _ = writeln!(out, "- **Tool:** scimcert {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "- **Run id:** `{}`", info.run_id);
    let _ = writeln!(out, "- **Selection:** {}", inline(&info.selection));
    let _ = writeln!(out, "- **Duration:** {:.1} s", info.duration.as_secs_f64());
    let _ = writeln!(
        out,
        "- **Result:** {result} — exit code {code}{}",
        if info.strict { " (`--strict`)" } else { "" }
    );
    let _ = writeln!(
        out,
        "- **Case runs:** {} ({})\n",
        reports.len(),
        Tally::of(reports)
    );
    if !info.assumptions.is_empty() {
        let _ = writeln!(
            out,
            "Discovery could not tell everything; the run assumed:\n"
        );
        for a in &info.assumptions {
            let _ = writeln!(out, "- {}", inline(a));
        }
        out.push('\n');
    }
    if !info.leftovers.is_empty() {
        let _ = writeln!(out, "## Left behind\n");
        let _ = writeln!(
            out,
            "Users this run created on the server and could not delete.\n"
        );
        let _ = writeln!(out, "| id | userName | case | profile | why |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for l in &info.leftovers {
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} | {} |",
                l.id,
                l.user_name
                    .as_deref()
                    .map(inline)
                    .unwrap_or_else(|| "—".into()),
                l.case,
                l.profile,
                inline(&l.reason)
            );
        }
        if let Some(cmd) = &info.cleanup_command {
            let _ = writeln!(out, "\nRemove them with:\n");
            fenced(out, "sh", cmd);
        }
        out.push('\n');
    }
}

fn render_levels(out: &mut String, reports: &[CaseReport]) {
    let _ = writeln!(out, "## Pass rate by level\n");
    let _ = writeln!(
        out,
        "Case runs by the level of the case. Pass rate = PASS / (runs − SKIP).\n"
    );
    let _ = writeln!(
        out,
        "| Level | Runs | PASS | FAIL | WARN | ERROR | SKIP | Pass rate |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|");
    for level in [Level::Must, Level::Should, Level::May] {
        let t = Tally::of_verdicts(
            reports
                .iter()
                .filter(|r| r.level == level)
                .map(|r| r.verdict),
        );
        let _ = writeln!(
            out,
            "| {level} | {} | {} | {} | {} | {} | {} | {} |",
            t.total(),
            t.passed,
            t.failed,
            t.warned,
            t.errors,
            t.skipped,
            rate(t.passed, t.total() - t.skipped)
        );
    }
    out.push('\n');
}

fn render_groups(out: &mut String, rows: &[RuleRow], has_catalogue: bool) {
    let _ = writeln!(out, "## Pass rate by rule group\n");
    if !has_catalogue {
        let _ = writeln!(
            out,
            "There is no rule catalogue (`rules.yaml`) beside the cases: only the rules the cases name are listed.\n"
        );
    }
    let _ = writeln!(
        out,
        "Rules by the verdict of the cases checking them. Pass rate = PASS / (PASS + FAIL + WARN + ERROR); rules without a case run are not counted.\n"
    );
    let _ = writeln!(
        out,
        "| Group | Title | Rules | PASS | FAIL | WARN | ERROR | SKIP | No case run | Pass rate |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (group, members) in groups(rows) {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &members {
            let key = match r.verdict {
                RuleVerdict::Ran(v) => v.as_str(),
                _ => "none",
            };
            *counts.entry(key).or_default() += 1;
        }
        let n = |k: &str| counts.get(k).copied().unwrap_or(0);
        let graded = n("pass") + n("fail") + n("warn") + n("error");
        let _ = writeln!(
            out,
            "| `{group}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(group_title(group)),
            members.len(),
            n("pass"),
            n("fail"),
            n("warn"),
            n("error"),
            n("skip"),
            n("none"),
            rate(n("pass"), graded)
        );
    }
    out.push('\n');
}

fn render_rules(out: &mut String, rows: &[RuleRow]) {
    let _ = writeln!(out, "## Rules\n");
    let _ = writeln!(
        out,
        "One row per rule. Verdict: the worst of its case runs (FAIL > ERROR > WARN > PASS > SKIP); without a case run, `not testable` (the catalogue says why), `not applicable` (no API or profile of this run) or `not covered`.\n"
    );
    for (group, members) in groups(rows) {
        let _ = writeln!(out, "### `{group}` {}\n", group_title(group));
        let _ = writeln!(out, "| Rule | Level | Verdict | Case runs | Summary |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for r in members {
            let verdict = match r.verdict {
                RuleVerdict::Ran(Verdict::Fail | Verdict::Error) => {
                    format!("**{}**", r.verdict.as_str())
                }
                v => v.as_str().to_string(),
            };
            let mut summary = r.summary.clone();
            if let Some(why) = &r.not_testable {
                let _ = write!(summary, " — *not testable: {why}*");
            }
            let _ = writeln!(
                out,
                "| {} | {} | {verdict} | {} | {} |",
                cell(&r.id),
                cell(&r.level),
                run_counts(&r.runs),
                cell(&summary)
            );
        }
        out.push('\n');
    }
}

fn render_findings(out: &mut String, reports: &[CaseReport]) {
    let _ = writeln!(out, "## Findings\n");
    let findings: Vec<&CaseReport> = [Verdict::Fail, Verdict::Error, Verdict::Warn]
        .into_iter()
        .flat_map(|v| reports.iter().filter(move |r| r.verdict == v))
        .collect();
    if findings.is_empty() {
        let _ = writeln!(out, "None: no case run failed, warned or errored.\n");
        return;
    }
    let _ = writeln!(
        out,
        "Every case run that failed, errored or warned, in that order: the evidence as the console shows it, then the requests of the case as sent (secrets masked). Ids and versions in the requests are those of this run.\n"
    );
    for r in findings {
        let _ = writeln!(
            out,
            "### {} `{}::{}` [{}]\n",
            verdict_word(r.verdict),
            r.api,
            r.id,
            r.profile
        );
        let _ = writeln!(out, "- **Case:** {} — `{}`", inline(&r.title), r.location);
        let rules = if r.rules.is_empty() {
            "—".to_string()
        } else {
            r.rules.join(", ")
        };
        let _ = writeln!(out, "- **Level:** {} · **Rules:** {rules}", r.level);
        if let Some(reason) = &r.reason {
            let _ = writeln!(out, "- **Reason:** {}", inline(reason));
        }
        out.push('\n');
        let mut evidence = String::new();
        for step in r
            .steps
            .iter()
            .filter(|s| !s.failures.is_empty() || s.error.is_some() || !s.notes.is_empty())
        {
            console::render_step_evidence(&mut evidence, step, false);
        }
        if !evidence.is_empty() {
            let _ = writeln!(out, "Evidence:\n");
            fenced(out, "text", &evidence);
        }
        let mut repro = String::new();
        for step in &r.steps {
            let _ = writeln!(repro, "# {}{}", step.label(), step_outcome(step));
            match curl::render(&step.request) {
                Some(c) => {
                    let _ = writeln!(repro, "{c}");
                }
                None => {
                    let _ = writeln!(repro, "# (not sent)");
                }
            }
        }
        if !repro.is_empty() {
            let _ = writeln!(out, "Reproduce:\n");
            fenced(out, "sh", &repro);
        }
    }
}

fn render_skipped(out: &mut String, reports: &[CaseReport]) {
    let _ = writeln!(out, "## Skipped\n");
    let mut by_reason: BTreeMap<&str, Vec<&CaseReport>> = BTreeMap::new();
    for r in reports.iter().filter(|r| r.verdict == Verdict::Skip) {
        by_reason
            .entry(r.reason.as_deref().unwrap_or("(no reason given)"))
            .or_default()
            .push(r);
    }
    if by_reason.is_empty() {
        let _ = writeln!(out, "None.");
        return;
    }
    let _ = writeln!(out, "| Reason | Case runs | Cases |");
    let _ = writeln!(out, "|---|--:|---|");
    for (reason, runs) in by_reason {
        let mut ids: Vec<String> = runs
            .iter()
            .take(SKIPPED_IDS_SHOWN)
            .map(|r| format!("`{}` [{}]", r.id, r.profile))
            .collect();
        if runs.len() > SKIPPED_IDS_SHOWN {
            ids.push(format!("and {} more", runs.len() - SKIPPED_IDS_SHOWN));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(reason),
            runs.len(),
            cell(&ids.join(", "))
        );
    }
}

/// Rows grouped by [`rule_group`], groups in order of first appearance.
fn groups(rows: &[RuleRow]) -> Vec<(&str, Vec<&RuleRow>)> {
    let mut out: Vec<(&str, Vec<&RuleRow>)> = Vec::new();
    for r in rows {
        let g = rule_group(&r.id);
        match out.iter_mut().find(|(k, _)| *k == g) {
            Some((_, members)) => members.push(r),
            None => out.push((g, vec![r])),
        }
    }
    out
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Warn => "WARN",
        Verdict::Skip => "SKIP",
        Verdict::Error => "ERROR",
    }
}

/// `3 PASS, 1 SKIP` (worst first), or `—`.
fn run_counts(t: &Tally) -> String {
    let parts: Vec<String> = [
        (t.failed, "FAIL"),
        (t.errors, "ERROR"),
        (t.warned, "WARN"),
        (t.passed, "PASS"),
        (t.skipped, "SKIP"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| format!("{n} {w}"))
    .collect();
    if parts.is_empty() {
        "—".to_string()
    } else {
        parts.join(", ")
    }
}

fn step_outcome(step: &StepReport) -> &'static str {
    if step.error.is_some() {
        " — no response"
    } else if step.failures.iter().any(|f| f.grade == Verdict::Fail) {
        " — failed"
    } else if !step.failures.is_empty() {
        " — warned"
    } else {
        ""
    }
}

fn rate(passed: usize, of: usize) -> String {
    if of == 0 {
        "—".to_string()
    } else {
        // Counts are far below 2^52: the conversion is exact.
        format!("{:.1}%", passed as f64 * 100.0 / of as f64)
    }
}

/// Text for a table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    inline(text).replace('|', r"\|")
}

/// Text for one Markdown line: line breaks flattened.
fn inline(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// `body` in a code fence longer than any backtick run inside it.
fn fenced(out: &mut String, lang: &str, body: &str) {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{fence}{lang}");
    out.push_str(body);
    if !body.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_verdicts_rank_fail_over_error_and_pass_over_skip() {
        assert_eq!(rule_worst(Verdict::Error, Verdict::Fail), Verdict::Fail);
        assert_eq!(rule_worst(Verdict::Fail, Verdict::Error), Verdict::Fail);
        assert_eq!(rule_worst(Verdict::Warn, Verdict::Error), Verdict::Error);
        assert_eq!(rule_worst(Verdict::Pass, Verdict::Warn), Verdict::Warn);
        assert_eq!(rule_worst(Verdict::Skip, Verdict::Pass), Verdict::Pass);
        assert_eq!(rule_worst(Verdict::Pass, Verdict::Skip), Verdict::Pass);
    }

    #[test]
    fn groups_keep_etags_and_entra_apart() {
        assert_eq!(rule_group("E-03"), "E-");
        assert_eq!(rule_group("E12"), "E");
        assert_eq!(rule_group("VD-09"), "VD-");
        assert_eq!(rule_group("AWS"), "AWS");
        assert_ne!(group_title("E-"), group_title("E"));
    }

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a|b\nc"), r"a\|b c");
    }

    #[test]
    fn fences_outgrow_backticks_inside() {
        let mut out = String::new();
        fenced(&mut out, "text", "a ``` b");
        assert!(out.starts_with("````text\n"), "{out}");
        assert!(out.ends_with("\n````\n\n"), "{out}");
    }

    #[test]
    fn rates() {
        assert_eq!(rate(1, 3), "33.3%");
        assert_eq!(rate(0, 0), "—");
    }
}
