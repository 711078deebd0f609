//! What a case file says: the typed model of `cases/**/*.yaml`, with source positions
//! on the values that errors and failures point at.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

pub use crate::api::Level;
use crate::api::{Api, Profile};

/// A case file: one or more cases.
pub type CaseFileModel = Vec<Case>;

/// One conformance case.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique, stable identifier used in test names (letters, digits, `-`, `_`, `.`).
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// One-line description of the behaviour checked.
    pub title: String,
    /// Rule IDs from REFERENCE.md (e.g. `P-12`, `VD-05`, `E2`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Requirement level: a failure of a MUST case fails, of a SHOULD case warns; a MAY
    /// case the server does not take passes with a note.
    #[schemars(with = "Level")]
    pub level: Spanned<Level>,
    /// The API the case speaks.
    pub api: Api,
    /// Profiles the case applies to (default: every profile of its API).
    #[serde(default)]
    pub profiles: Vec<Profile>,
    /// Free-form tags for selection.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the case needs beyond the RFC minimum: `etag`, `enterprise-user`,
    /// `attr:<User attribute>`. A server whose discovery documents lack one skips it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub requires: Vec<Spanned<String>>,
    /// Fault to inject in the built-in simulation (`x-scimcert-fault` syntax); a case with
    /// a fault is skipped against a real target.
    #[serde(default)]
    pub fault: Option<String>,
    /// Steps that prepare the resource; a failure here is an `error`, not a verdict.
    #[serde(default)]
    pub setup: Vec<Step>,
    /// The steps under test.
    pub steps: Vec<Step>,
    /// Steps that always run at the end, whatever happened.
    #[serde(default)]
    pub cleanup: Vec<Step>,
}

impl Case {
    /// Whether the case runs under `profile`: one of its `profiles`, or any profile of
    /// its API when it names none.
    pub fn runs_under(&self, profile: Profile) -> bool {
        profile.api() == self.api && (self.profiles.is_empty() || self.profiles.contains(&profile))
    }
}

/// One request and what is expected of its response.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Short name shown in output.
    #[serde(default)]
    pub name: Option<String>,
    /// The request to send.
    pub request: Request,
    /// Expectations graded at the case's level.
    #[serde(default)]
    pub expect: Expect,
    /// Expectations graded SHOULD: a failure warns, whatever the case level.
    #[serde(default)]
    pub should: Option<Expect>,
    /// Profile-specific expectations that replace `expect` under that profile.
    #[serde(default)]
    pub expect_profile: BTreeMap<Profile, Expect>,
    /// Variables to capture from the response.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Capture>")]
    pub capture: BTreeMap<String, Spanned<Capture>>,
}

/// An HTTP request; strings may use `{{ variable }}`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// HTTP method (GET, POST, PUT, PATCH, DELETE, ...).
    #[schemars(with = "String")]
    pub method: Spanned<String>,
    /// Path relative to the API base URL, e.g. `/Users/{{ user_id }}`.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Query parameters.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub query: BTreeMap<String, Spanned<String>>,
    /// Extra headers; an `Authorization` header here replaces the target's.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub headers: BTreeMap<String, Spanned<String>>,
    /// JSON body, written as YAML.
    #[serde(default)]
    #[schemars(with = "Option<Value>")]
    pub body: Option<Spanned<Value>>,
    /// Raw body text, sent as is (for malformed-input cases).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub raw: Option<Spanned<String>>,
    /// Content-Type (default: `application/scim+json` for scim, `application/json` for idm).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Send the target's credentials (default true).
    #[serde(default = "default_true")]
    pub auth: bool,
}

fn default_true() -> bool {
    true
}

/// Expected status: one code or a list of acceptable codes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum StatusSpec {
    /// Exactly this code.
    One(u16),
    /// Any of these codes.
    Any(Vec<u16>),
}

impl StatusSpec {
    /// The acceptable codes.
    pub fn codes(&self) -> Vec<u16> {
        match self {
            StatusSpec::One(c) => vec![*c],
            StatusSpec::Any(cs) => cs.clone(),
        }
    }
}

/// Expectations on a response.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Acceptable status code(s).
    #[serde(default)]
    #[schemars(with = "Option<StatusSpec>")]
    pub status: Option<Spanned<StatusSpec>>,
    /// Header expectations by (case-insensitive) name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, HeaderExpect>")]
    pub headers: BTreeMap<String, Spanned<HeaderExpect>>,
    /// Body matcher: subset match unless `strict`; strings `#uuid`, `#datetime`,
    /// `#string`, `#number`, `#boolean`, `#present`, `#absent`, `#regex <re>` match kinds.
    #[serde(default)]
    #[schemars(with = "Option<Value>")]
    pub body: Option<Spanned<Value>>,
    /// Exact match instead of subset.
    #[serde(default)]
    pub strict: bool,
    /// Arrays match regardless of order.
    #[serde(default)]
    pub any_order: bool,
    /// Name of a JSON Schema in `schemas/` the body must satisfy.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub schema: Option<Spanned<String>>,
    /// Pin the (redacted) response with a snapshot: `true` or a name.
    #[serde(default)]
    pub snapshot: Option<SnapshotSpec>,
}

/// `snapshot: true` or `snapshot: <name>`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SnapshotSpec {
    /// Snapshot under the default name when true.
    Enabled(bool),
    /// Snapshot under this name.
    Named(String),
}

/// Expectation on one header.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderExpect {
    /// The header must be present (true) or absent (false).
    #[serde(default)]
    pub present: Option<bool>,
    /// Exact value.
    #[serde(default)]
    pub equals: Option<String>,
    /// Regular expression the value must match.
    #[serde(default)]
    pub matches: Option<String>,
}

/// Where a captured variable comes from: exactly one of `body` or `header`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// JSON pointer into the response body, e.g. `/id`.
    #[serde(default)]
    pub body: Option<String>,
    /// Response header name, e.g. `ETag`.
    #[serde(default)]
    pub header: Option<String>,
    /// The value may be missing (e.g. the optional `meta.version`): the variable then
    /// holds `#absent`, so an expectation that uses it requires the value to stay absent.
    #[serde(default)]
    pub optional: bool,
}

/// The JSON Schema of case files (written to `schemas/case.schema.json`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(CaseFileModel);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
