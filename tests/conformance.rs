//! The case corpus as tests: every case × every built-in simulation profile it applies
//! to is one libtest-mimic trial named `<api>::<file stem>::<case id>` (with
//! `@<profile>` for profiles other than the API's default), so `cargo test` and
//! `cargo nextest run` list, filter and run them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use scimcert::api::{Api, Profile};
use scimcert::case::{SnapshotSpec, load_path};
use scimcert::check::SchemaRegistry;
use scimcert::outcome::Verdict;
use scimcert::plan::BuiltinTargets;
use scimcert::report::{leftovers, render_case};
use scimcert::run::{HttpClient, RunContext, SnapshotMode, run_case, snapshot_name};

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let trials = match build_trials(&root, &runtime) {
        Ok(trials) => trials,
        Err(message) => vec![Trial::test("corpus::load", move || {
            Err(Failed::from(message))
        })],
    };
    let conclusion = libtest_mimic::run(&args, trials);
    // Simulations live in the runtime; dropping it without waiting keeps exit fast.
    runtime.shutdown_background();
    conclusion.exit_code()
}

fn build_trials(
    root: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
) -> Result<Vec<Trial>, String> {
    let schemas = SchemaRegistry::load_dir(&root.join("schemas")).map_err(|e| e.to_string())?;
    let corpus = load_path(&root.join("cases"), &schemas.names()).map_err(|e| e.to_string())?;
    let sims = runtime
        .block_on(BuiltinTargets::start(&Profile::ALL))
        .map_err(|e| e.to_string())?;
    let client = HttpClient::new(Duration::from_secs(10), Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let ctx = Arc::new(RunContext {
        client,
        schemas: Arc::new(schemas),
        run_id: "test".into(),
        snapshots: SnapshotMode::Collect,
        keep: false,
        cancel: Default::default(),
    });
    let sims = Arc::new(sims);
    let mut trials = Vec::new();
    let mut expected_snapshots = std::collections::BTreeSet::new();
    for lc in corpus.cases {
        let lc = Arc::new(lc);
        let api: Api = lc.case.api;
        let profiles: Vec<Profile> = if lc.case.profiles.is_empty() {
            api.profiles().to_vec()
        } else {
            lc.case.profiles.clone()
        };
        for profile in profiles {
            for (phase, index, step) in lc.all_steps() {
                let expect = step.expect_profile.get(&profile).unwrap_or(&step.expect);
                if let Some(spec) = &expect.snapshot
                    && *spec != SnapshotSpec::Enabled(false)
                {
                    expected_snapshots.insert(format!(
                        "{}.snap",
                        snapshot_name(&lc, profile, phase, index + 1, spec)
                    ));
                }
            }
            let name = if profile == api.default_profile() {
                format!("{api}::{}::{}", lc.stem, lc.id())
            } else {
                format!("{api}::{}::{}@{profile}", lc.stem, lc.id())
            };
            let (lc, ctx, sims, handle) = (
                lc.clone(),
                ctx.clone(),
                sims.clone(),
                runtime.handle().clone(),
            );
            let snapshot_dir = root.join("snapshots");
            trials.push(
                Trial::test(name, move || {
                    let target = sims.target(profile).ok_or_else(|| {
                        Failed::from(format!("no simulation for profile {profile}"))
                    })?;
                    let report = handle.block_on(run_case(&lc, target, &ctx));
                    match report.verdict {
                        Verdict::Pass | Verdict::Warn => {}
                        Verdict::Skip => {
                            return Err(format!(
                                "skipped against the built-in simulation: {:?}",
                                report.reason
                            )
                            .into());
                        }
                        Verdict::Fail | Verdict::Error => {
                            return Err(render_case(&report, false).into());
                        }
                    }
                    if report.verdict == Verdict::Warn || report.failures().next().is_some() {
                        // A simulation is the reference: it must satisfy SHOULDs too, and
                        // take every MAY branch its profile's cases expect.
                        return Err(render_case(&report, false).into());
                    }
                    // Against a real server a user left behind is a cost to its owner:
                    // every SCIM case must delete what it creates (the Fabric API has no
                    // DELETE, so its users can only be listed).
                    let left = leftovers(std::slice::from_ref(&report));
                    if api == Api::Scim && !left.is_empty() {
                        return Err(format!("the case leaves users behind: {left:?}").into());
                    }
                    let mut settings = insta::Settings::clone_current();
                    settings.set_snapshot_path(&snapshot_dir);
                    settings.set_prepend_module_to_snapshot(false);
                    settings.set_omit_expression(true);
                    for step in &report.steps {
                        if let Some(snap) = &step.snapshot {
                            settings.bind(|| {
                                insta::assert_snapshot!(snap.name.as_str(), &snap.content)
                            });
                        }
                    }
                    Ok(())
                })
                .with_kind(profile.as_str()),
            );
        }
    }
    // Like `cargo insta test --unreferenced=reject`: no snapshot file without a case.
    let dir = root.join("snapshots");
    trials.push(Trial::test("snapshots::no_unreferenced", move || {
        let unreferenced: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| Failed::from(format!("cannot read {}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(".snap") && !expected_snapshots.contains(n))
            .collect();
        if unreferenced.is_empty() {
            Ok(())
        } else {
            Err(format!("snapshots no case refers to (delete them): {unreferenced:?}").into())
        }
    }));
    Ok(trials)
}
