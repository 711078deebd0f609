//! The JSON report: a stable, documented shape (see README, "Reports").

use serde_json::{Value, json};

use crate::outcome::CaseReport;
use crate::report::{RunInfo, Tally, curl};

/// Version of the JSON report's shape; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Renders the report document.
pub fn render(reports: &[CaseReport], info: &RunInfo) -> Value {
    let cases: Vec<Value> = reports
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "title": r.title,
                "location": r.location,
                "api": r.api,
                "profile": r.profile,
                "level": r.level,
                "rules": r.rules,
                "tags": r.tags,
                "verdict": r.verdict,
                "reason": r.reason,
                "duration_ms": r.duration_ms,
                "steps": r.steps.iter().map(|s| json!({
                    "phase": s.phase,
                    "index": s.index,
                    "name": s.name,
                    "request": s.request,
                    "curl": curl::render(&s.request).unwrap_or_default(),
                    "status": s.response.as_ref().map(|r| r.status),
                    "error": s.error,
                    "notes": s.notes,
                    "failures": s.failures,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "tool": {"name": "scimcert", "version": env!("CARGO_PKG_VERSION")},
        "run_id": info.run_id,
        "date": info.date,
        "target": info.target,
        "summary": Tally::of(reports),
        "discovery": {"assumptions": info.assumptions},
        "leftovers": info.leftovers,
        "cleanup_command": info.cleanup_command,
        "cases": cases,
    })
}
