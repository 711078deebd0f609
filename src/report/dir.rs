//! The report folder (`--report-dir`): `junit.xml`, `report.json` and `report.md`,
//! written with secrets masked; nothing else in the folder is touched.

use std::path::{Path, PathBuf};

use crate::case::Catalogue;
use crate::outcome::CaseReport;
use crate::report::{RunInfo, json, junit, markdown};
use crate::secret::Secrets;

/// JUnit XML file in the report folder.
pub const JUNIT_FILE: &str = "junit.xml";
/// JSON report file in the report folder.
pub const JSON_FILE: &str = "report.json";
/// Markdown certification report file in the report folder.
pub const MARKDOWN_FILE: &str = "report.md";

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report folder could not be created.
    #[error("cannot create the report folder {}: {source}", .path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A report file could not be written.
    #[error("cannot write the report {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A report could not be rendered.
    #[error("cannot render the {format} report: {message}")]
    Render {
        /// `JUnit` or `JSON`.
        format: &'static str,
        /// The cause.
        message: String,
    },
}

/// The JUnit XML document, secrets masked.
pub fn junit_text(
    reports: &[CaseReport],
    info: &RunInfo,
    secrets: &Secrets,
) -> Result<String, ReportError> {
    let xml = junit::render(reports, &info.target).map_err(|e| ReportError::Render {
        format: "JUnit",
        message: e.to_string(),
    })?;
    Ok(secrets.redact_xml(&xml))
}

/// The JSON report, pretty-printed, secrets masked.
pub fn json_text(
    reports: &[CaseReport],
    info: &RunInfo,
    secrets: &Secrets,
) -> Result<String, ReportError> {
    let mut doc = json::render(reports, info);
    secrets.redact_json(&mut doc);
    serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Render {
        format: "JSON",
        message: e.to_string(),
    })
}

/// The Markdown certification report, secrets masked.
pub fn markdown_text(
    reports: &[CaseReport],
    info: &RunInfo,
    catalogue: Option<&Catalogue>,
    secrets: &Secrets,
) -> String {
    secrets.redact(&markdown::render(reports, info, catalogue))
}

/// Creates the report folder (and its parents) if missing.
pub fn create_dir(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `text` to `path`, creating its folder if missing.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    std::fs::write(path, text).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the three reports into `dir` (created if missing); returns their paths.
pub fn write_dir(
    dir: &Path,
    reports: &[CaseReport],
    info: &RunInfo,
    catalogue: Option<&Catalogue>,
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, ReportError> {
    create_dir(dir)?;
    let files = [
        (JUNIT_FILE, junit_text(reports, info, secrets)?),
        (JSON_FILE, json_text(reports, info, secrets)?),
        (
            MARKDOWN_FILE,
            markdown_text(reports, info, catalogue, secrets),
        ),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        write_file(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}
