//! The client conformance report of `scimcert mock --client-report <dir>`: the same
//! three files as a server run (`junit.xml`, `report.json`, `report.md`), with one
//! entry per client rule instead of one per case, citing the offending requests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::report::dir::{self, JSON_FILE, JUNIT_FILE, MARKDOWN_FILE, ReportError};
use crate::secret::Secrets;
use crate::sim::{ClientReport, RuleOutcome, ShownRequest};

/// The JUnit XML document: one testcase per rule; a `must` breach is a failure citing
/// the offending requests, the other findings stay visible as messages.
pub fn junit(report: &ClientReport) -> Result<String, ReportError> {
    let mut suite = TestSuite::new("scimcert-client");
    suite.add_property(Property::new("api", report.api));
    suite.add_property(Property::new("profile", report.profile));
    for rule in &report.rules {
        let mut status = match rule.verdict {
            "fail" => TestCaseStatus::non_success(NonSuccessKind::Failure),
            _ => TestCaseStatus::success(),
        };
        if rule.count > 0 {
            status.set_message(format!(
                "{} request(s) break {} ({}): {}",
                rule.count,
                rule.id,
                rule.level.as_str(),
                rule.text
            ));
            status.set_description(
                rule.requests
                    .iter()
                    .map(request_text)
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            );
        }
        let mut case = TestCase::new(rule.id, status);
        case.set_classname(format!("client.{}.{}", report.api, report.profile));
        case.set_time(Duration::ZERO);
        case.add_property(Property::new("level", rule.level.as_str()));
        case.add_property(Property::new("verdict", rule.verdict));
        case.add_property(Property::new("requests", rule.count.to_string()));
        suite.add_test_case(case);
    }
    let mut doc = Report::new("scimcert-client");
    doc.add_test_suite(suite);
    doc.to_string().map_err(|e| ReportError::Render {
        format: "JUnit",
        message: e.to_string(),
    })
}

/// One request as plain text: findings, request line, headers, body.
fn request_text(request: &ShownRequest) -> String {
    let mut text = format!(
        "#{} {} {} — {}: {}\n",
        request.index,
        request.method,
        request.target,
        request.level.as_str(),
        request.detail
    );
    for (name, value) in &request.headers {
        let _ = writeln!(text, "{name}: {value}");
    }
    if !request.body.is_empty() {
        let _ = writeln!(text, "\n{}", request.body);
    }
    text
}

/// The Markdown report.
// Long: the report's sections in the order a reader meets them.
pub fn markdown(report: &ClientReport, date: &str) -> String {
    let mut md = String::new();
    let failed = report.with_verdict("fail").count();
    let outcome = if failed == 0 {
        "no client MUST broken".to_string()
    } else {
        format!("{failed} client rule(s) broken")
    };
    let _ = writeln!(md, "# scimcert client conformance report\n");
    let _ = writeln!(
        md,
        "- **Mock:** `{}` api, profile `{}`{}",
        report.api,
        report.profile,
        if report.strict_client {
            " (`--strict-client`: MUST breaches were answered 400)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "- **Written:** {date}");
    let _ = writeln!(md, "- **Requests received:** {}", report.requests);
    let _ = writeln!(md, "- **Outcome:** {outcome}\n");
    let _ = writeln!(md, "| rule | level | verdict | requests | obligation |");
    let _ = writeln!(md, "|---|---|---|---:|---|");
    for rule in &report.rules {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            rule.id,
            rule.level.as_str(),
            rule.verdict,
            rule.count,
            rule.text.replace('|', "\\|")
        );
    }
    for verdict in ["fail", "warn", "info"] {
        let rules: Vec<&RuleOutcome> = report.with_verdict(verdict).collect();
        if rules.is_empty() {
            continue;
        }
        let heading = match verdict {
            "fail" => "Broken MUSTs",
            "warn" => "Broken SHOULDs",
            _ => "Client shapes some profiles reject (info)",
        };
        let _ = writeln!(md, "\n## {heading}");
        for rule in rules {
            let _ = writeln!(
                md,
                "\n### {} ({}): {} request(s)\n\n{}\n",
                rule.id,
                rule.level.as_str(),
                rule.count,
                rule.text
            );
            for request in &rule.requests {
                let _ = writeln!(
                    md,
                    "- request #{} `{} {}` — {}",
                    request.index, request.method, request.target, request.detail
                );
                let mut shown = String::new();
                for (name, value) in &request.headers {
                    let _ = writeln!(shown, "{name}: {value}");
                }
                if !request.body.is_empty() {
                    let _ = writeln!(shown, "\n{}", request.body);
                }
                let _ = writeln!(md, "\n  ```http\n{}  ```", indent(&shown));
            }
            if rule.count > rule.requests.len() as u64 {
                let _ = writeln!(
                    md,
                    "- … and {} more",
                    rule.count - rule.requests.len() as u64
                );
            }
        }
    }
    md
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Writes the client report's three files into `dir` (`write_dir`), in the shape the mock
/// is handed it (`sim::ClientReportOptions`).
pub fn write_client_report(
    dir: &Path,
    report: &ClientReport,
    date: &str,
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, String> {
    write_dir(dir, report, date, secrets).map_err(|e| e.to_string())
}

/// Writes the three files into `dir` (created if missing), secrets masked once more.
pub fn write_dir(
    dir: &Path,
    report: &ClientReport,
    date: &str,
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, ReportError> {
    dir::create_dir(dir)?;
    let mut doc = report.to_json(date);
    secrets.redact_json(&mut doc);
    let json_text = serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Render {
        format: "JSON",
        message: e.to_string(),
    })?;
    let files = [
        (JUNIT_FILE, secrets.redact_xml(&junit(report)?)),
        (JSON_FILE, json_text),
        (MARKDOWN_FILE, secrets.redact(&markdown(report, date))),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        dir::write_file(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}
