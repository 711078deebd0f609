//! JUnit XML: one testcase per case run; rule IDs, level and profile as properties.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::outcome::CaseReport;
use crate::outcome::Verdict;
use crate::report::console;

/// Renders the JUnit XML document.
pub fn render(reports: &[CaseReport], target: &str) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("scimcert");
    suite.add_property(Property::new("target", target));
    for r in reports {
        let mut status = match r.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            // A warning is not a failure of the run; keep it visible without failing CI.
            Verdict::Warn => TestCaseStatus::success(),
            Verdict::Skip => TestCaseStatus::skipped(),
            Verdict::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
            Verdict::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
        };
        if let Some(reason) = &r.reason
            && r.verdict != Verdict::Pass
        {
            status.set_message(reason.as_str());
        }
        if matches!(r.verdict, Verdict::Fail | Verdict::Error) {
            status.set_description(console::render_case(r, false));
        }
        let mut tc = TestCase::new(format!("{}::{}", r.profile, r.id), status);
        tc.set_classname(format!("{}.{}", r.api, r.profile));
        tc.set_time(Duration::from_millis(
            u64::try_from(r.duration_ms).unwrap_or(u64::MAX),
        ));
        tc.add_property(Property::new("rules", r.rules.join(",")));
        tc.add_property(Property::new("level", r.level.as_str()));
        tc.add_property(Property::new("profile", r.profile.as_str()));
        tc.add_property(Property::new("verdict", r.verdict.as_str()));
        tc.add_property(Property::new("location", r.location.as_str()));
        suite.add_test_case(tc);
    }
    let mut report = Report::new("scimcert");
    report.add_test_suite(suite);
    report.to_string()
}
