//! Rule coverage: how many cases tag each catalogue rule, under which profiles.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::Profile;
use crate::case::Catalogue;
use crate::case::LoadedCase;

/// Coverage of one rule.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleCoverage {
    /// Rule ID.
    pub id: String,
    /// Level as catalogued.
    pub level: String,
    /// Number of cases tagged with it.
    pub cases: usize,
    /// Profiles those cases run under.
    pub profiles: Vec<Profile>,
    /// The not-testable reason, if any.
    pub not_testable: Option<String>,
}

/// Counts cases per rule.
pub fn coverage(catalogue: &Catalogue, cases: &[LoadedCase]) -> Vec<RuleCoverage> {
    let mut by_rule: BTreeMap<&str, (usize, BTreeSet<Profile>)> = BTreeMap::new();
    for lc in cases {
        let profiles: Vec<Profile> = if lc.case.profiles.is_empty() {
            lc.case.api.profiles().to_vec()
        } else {
            lc.case.profiles.clone()
        };
        for rule in &lc.case.rules {
            let entry = by_rule.entry(rule.as_str()).or_default();
            entry.0 += 1;
            entry.1.extend(profiles.iter().copied());
        }
    }
    catalogue
        .rules
        .iter()
        .map(|r| {
            let (n, profiles) = by_rule.get(r.id.as_str()).cloned().unwrap_or_default();
            RuleCoverage {
                id: r.id.clone(),
                level: r.level.clone(),
                cases: n,
                profiles: profiles.into_iter().collect(),
                not_testable: r.not_testable.clone(),
            }
        })
        .collect()
}
