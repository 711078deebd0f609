//! The two APIs scimcert certifies and the expectation profiles each one has.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which HTTP API a case speaks.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// VMware Identity Services SCIM 2.0 (RFC 7644 PATCH).
    Scim,
    /// Oracle Fabric userManagement "target IDM" API.
    Idm,
}

impl Api {
    /// Every API, in a stable order.
    pub const ALL: [Api; 2] = [Api::Scim, Api::Idm];

    /// The lowercase name used in case files, test names and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Scim => "scim",
            Api::Idm => "idm",
        }
    }

    /// The profiles that belong to this API, the default first.
    pub fn profiles(self) -> &'static [Profile] {
        match self {
            Api::Scim => &[
                Profile::Vmware,
                Profile::Rfc7644,
                Profile::Entra,
                Profile::Okta,
            ],
            Api::Idm => &[Profile::Fabric],
        }
    }

    /// The media type the API's requests send and accept by default.
    pub fn media_type(self) -> &'static str {
        match self {
            Api::Scim => "application/scim+json",
            Api::Idm => "application/json",
        }
    }

    /// The profile used when none is chosen.
    pub fn default_profile(self) -> Profile {
        self.profiles()[0]
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Api {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "scim" => Ok(Api::Scim),
            "idm" => Ok(Api::Idm),
            other => Err(format!("unknown api `{other}` (expected `scim` or `idm`)")),
        }
    }
}

/// An expectation profile: which behaviour counts as correct (REFERENCE.md §6.2).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// RFC 7644 as written, no client leniency.
    Rfc7644,
    /// VMware Identity Services as documented (VD-01..VD-12 and §4.7 defaults).
    Vmware,
    /// Strict plus the Microsoft Entra client shapes E1-E18.
    Entra,
    /// Strict plus the Okta client shapes O1-O6.
    Okta,
    /// Oracle Fabric userManagement (OD-01..OD-23).
    Fabric,
}

impl Profile {
    /// Every profile, in a stable order.
    pub const ALL: [Profile; 5] = [
        Profile::Vmware,
        Profile::Rfc7644,
        Profile::Entra,
        Profile::Okta,
        Profile::Fabric,
    ];

    /// The lowercase name used in case files, test names and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Rfc7644 => "rfc7644",
            Profile::Vmware => "vmware",
            Profile::Entra => "entra",
            Profile::Okta => "okta",
            Profile::Fabric => "fabric",
        }
    }

    /// The API this profile describes.
    pub fn api(self) -> Api {
        match self {
            Profile::Fabric => Api::Idm,
            _ => Api::Scim,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown profile `{s}` (expected one of rfc7644, vmware, entra, okta, fabric)"
                )
            })
    }
}

/// Requirement level, copied from the RFC 2119 keyword of the rule.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Level {
    /// A failure fails the run.
    #[serde(rename = "MUST")]
    Must,
    /// A failure warns (fails under `--strict`).
    #[serde(rename = "SHOULD")]
    Should,
    /// A failure warns (fails under `--strict`).
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    /// The keyword as written in case files.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "MUST" => Ok(Level::Must),
            "SHOULD" => Ok(Level::Should),
            "MAY" => Ok(Level::May),
            _ => Err(format!(
                "unknown level `{s}` (expected MUST, SHOULD or MAY)"
            )),
        }
    }
}
