//! The rule catalogue (`cases/rules.yaml`): every rule ID with its level, section and
//! summary, so cases can be checked against it and coverage counted.

use std::path::Path;

use serde::Deserialize;

use crate::api::{Api, Profile};
use crate::diag::{Diagnostic, Pos};

/// File name of the catalogue inside the cases folder.
pub const RULES_FILE: &str = "rules.yaml";

/// One rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Rule ID (`P-12`, `VD-05`, `E2`, ...).
    pub id: String,
    /// RFC 2119 keyword as the source uses it, or `deviation`/`design`/`client`.
    pub level: String,
    /// Where the rule is stated.
    pub section: String,
    /// One-line summary.
    pub summary: String,
    /// APIs it concerns.
    pub apis: Vec<Api>,
    /// Profiles it concerns (empty = all of its APIs).
    #[serde(default)]
    pub profiles: Vec<Profile>,
    /// Why no case can test it, if none can.
    #[serde(default)]
    pub not_testable: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<Rule>,
}

/// The catalogue, in file order.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    /// Rules in file order.
    pub rules: Vec<Rule>,
}

impl Catalogue {
    /// Parses the catalogue text of `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Catalogue, Diagnostic> {
        let parsed: RulesFile = serde_saphyr::from_str(text).map_err(|e| {
            let pos = e
                .location()
                .map(|l| Pos::at(file, l))
                .unwrap_or_else(|| Pos::file_start(file));
            Diagnostic::new(
                format!("invalid rule catalogue: {}", e.without_snippet()),
                pos,
                text,
            )
        })?;
        Ok(Catalogue {
            rules: parsed.rules,
        })
    }

    /// Whether `id` is in the catalogue.
    pub fn contains(&self, id: &str) -> bool {
        self.rules.iter().any(|r| r.id == id)
    }
}
