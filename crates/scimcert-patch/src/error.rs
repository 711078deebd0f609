//! Errors of PATCH processing as values carrying `scimType`, HTTP status and detail.

use std::fmt;

/// RFC 7644 Table 9 `scimType` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// Bad filter or unsupported attribute/operator.
    InvalidFilter,
    /// Too many results.
    TooMany,
    /// Value in use or reserved.
    Uniqueness,
    /// Conflicts with mutability.
    Mutability,
    /// Body structure invalid.
    InvalidSyntax,
    /// `path` invalid or malformed.
    InvalidPath,
    /// `path` yields nothing.
    NoTarget,
    /// Value missing or incompatible.
    InvalidValue,
    /// Version unsupported.
    InvalidVers,
    /// Sensitive data in the URI.
    Sensitive,
}

impl ScimType {
    /// The camelCase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PATCH failure: HTTP status, optional `scimType` and a detail naming the operation
/// index and path where it applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchError {
    /// HTTP status (400 for every Table 9 type).
    pub status: u16,
    /// The `scimType`, when the RFC names one.
    pub scim_type: Option<ScimType>,
    /// Human-readable detail, e.g. `Operations[1] (remove userName): ...`.
    pub detail: String,
}

impl PatchError {
    /// A 400 with the given `scimType` and detail.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        PatchError {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scim_type {
            Some(t) => write!(f, "{} {}: {}", self.status, t, self.detail),
            None => write!(f, "{}: {}", self.status, self.detail),
        }
    }
}

impl std::error::Error for PatchError {}
