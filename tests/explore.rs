//! `scimcert explore`: the reference agrees with itself, finds the differences between
//! two profiles, shrinks them, writes replayable case files, and is deterministic; it
//! reaches its target as `run` does (`builtin:<profile>`, `scimcert.toml`, credentials).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{MockProcess, assert_exit, assert_usage_error, shown, stderr, stdout};

/// scimcert in `dir`, without credentials from the environment.
fn scimcert(dir: &Path, args: &[&str]) -> Output {
    common::scimcert_env(dir, args, &[])
}

fn tempdir() -> PathBuf {
    common::tempdir("explore")
}

fn findings(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir.join("explore-findings"))
        .map(|rd| {
            rd.map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// [`findings`] without the user names, which differ from run to run.
fn normalised_findings(dir: &Path) -> Vec<(String, String)> {
    let names = regex::Regex::new(r"scimcert-[0-9a-f]{8}-explore").expect("regex");
    findings(dir)
        .into_iter()
        .map(|(n, t)| (n, names.replace_all(&t, "X").into_owned()))
        .collect()
}

#[test]
fn the_reference_finds_no_divergence_with_itself() {
    let dir = tempdir();
    let out = scimcert(
        &dir,
        &["explore", "--profile", "rfc7644", "--seed", "5", "-n", "15"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(findings(&dir).is_empty());
}

#[test]
fn divergences_are_shrunk_into_replayable_cases_deterministically() {
    let (a, b) = (tempdir(), tempdir());
    let args = [
        "explore",
        "--sim-profile",
        "entra",
        "--profile",
        "rfc7644",
        "--seed",
        "3",
        "-n",
        "10",
    ];
    let out = scimcert(&a, &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(scimcert(&b, &args).status.code(), Some(1));
    let found = findings(&a);
    assert!(!found.is_empty());
    assert_eq!(
        normalised_findings(&a),
        normalised_findings(&b),
        "same seed, same findings"
    );
    let schemas = common::root().join("schemas");
    let schemas = schemas.to_str().unwrap();
    for (name, text) in &found {
        // Shrunk: one PATCH request is enough for these divergences.
        assert_eq!(text.matches("method: PATCH").count(), 1, "{name}:\n{text}");
        let file = a.join("explore-findings").join(name);
        let file = file.to_str().unwrap();
        // The case encodes the reference: it passes against it.
        let pass = scimcert(
            &a,
            &[
                "run",
                "--cases",
                file,
                "--schemas",
                schemas,
                "--profile",
                "rfc7644",
            ],
        );
        assert_eq!(
            pass.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&pass.stdout)
        );
    }
}

#[test]
fn a_builtin_target_is_the_simulation_sim_profile_names() {
    let explore = |target: &[&str]| {
        let dir = tempdir();
        let mut args = vec!["explore", "--profile", "rfc7644", "--seed", "3", "-n", "10"];
        args.extend_from_slice(target);
        assert_exit(&scimcert(&dir, &args), 1);
        normalised_findings(&dir)
    };
    let by_target = explore(&["--target", "builtin:entra"]);
    assert!(!by_target.is_empty());
    assert_eq!(by_target, explore(&["--sim-profile", "entra"]));

    let both = scimcert(
        &tempdir(),
        &[
            "explore",
            "--target",
            "builtin:entra",
            "--sim-profile",
            "okta",
        ],
    );
    assert_exit(&both, 2);
    let other_api = scimcert(&tempdir(), &["explore", "--target", "builtin:fabric"]);
    assert_usage_error(&other_api, "explore works on the SCIM api");
}

#[test]
fn the_target_and_its_credentials_come_from_the_config_file() {
    const TOKEN: &str = "explore-token-5d1c";
    let mock = MockProcess::start(&["scim", "--profile", "rfc7644", "--token", TOKEN]);
    let dir = tempdir();
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            "base_url = \"{}\"\napi = \"scim\"\nprofile = \"rfc7644\"\n\
             [auth]\ntype = \"bearer\"\nenv = \"EXPLORE_TOKEN\"\n",
            mock.base_url
        ),
    )
    .expect("config");
    let args = ["explore", "--seed", "2", "-n", "3"];

    let out = common::scimcert_env(&dir, &args, &[("EXPLORE_TOKEN", TOKEN)]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains(&mock.base_url), "{}", shown(&out));
    assert!(
        stdout(&out).contains("no divergence in 3 sequences"),
        "{}",
        shown(&out)
    );
    assert!(
        !shown(&out).contains(TOKEN),
        "the token leaked:\n{}",
        shown(&out)
    );

    // The token is the file's: another one is refused by the server.
    let refused = common::scimcert_env(&dir, &args, &[("EXPLORE_TOKEN", "wrong-token-0000")]);
    assert_exit(&refused, 3);
    assert!(stderr(&refused).contains("401"), "{}", shown(&refused));
    // And without it nothing is sent: the file names a variable that is not set.
    let unset = scimcert(&dir, &args);
    assert_usage_error(&unset, "$EXPLORE_TOKEN is not set");
}
