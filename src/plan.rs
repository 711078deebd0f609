//! The built-in targets: one simulation per profile, started for a run, and the
//! target each one is. The runner never starts a simulation itself; the command layer
//! (and the corpus harness) plans them here.

use std::collections::BTreeMap;

use crate::api::Profile;
use crate::run::{Auth, Capabilities, Fixtures, Target};
use crate::sim::{SimError, SimOptions, Simulation};

/// Built-in simulations started for a run, one per profile, with their targets.
pub struct BuiltinTargets {
    sims: BTreeMap<Profile, (Simulation, Target)>,
}

impl BuiltinTargets {
    /// Starts one simulation per profile in `profiles`.
    pub async fn start(profiles: &[Profile]) -> Result<BuiltinTargets, SimError> {
        let mut sims = BTreeMap::new();
        for &profile in profiles {
            if sims.contains_key(&profile) {
                continue;
            }
            let options = SimOptions::new(profile);
            let sim = Simulation::start(options.clone()).await?;
            let target = Target {
                api: profile.api(),
                profile,
                base_url: sim.base_url(),
                auth: Auth::Bearer(options.token.clone()),
                extra_headers: Vec::new(),
                vars: options.case_variables(),
                builtin: true,
                capabilities: Capabilities::default(),
                fixtures: Fixtures::default(),
            };
            sims.insert(profile, (sim, target));
        }
        Ok(BuiltinTargets { sims })
    }

    /// The target of a started profile.
    pub fn target(&self, profile: Profile) -> Option<&Target> {
        self.sims.get(&profile).map(|(_, t)| t)
    }

    /// Every started target.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.sims.values().map(|(_, t)| t)
    }
}
