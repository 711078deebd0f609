//! `scimcert explore`: the reference agrees with itself, finds the differences between
//! two profiles, shrinks them, writes replayable case files, and is deterministic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scimcert(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimcert"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run scimcert")
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcert-explore-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
    let normalise = |s: &str| {
        regex::Regex::new(r"scimcert-[0-9a-f]{8}-explore")
            .unwrap()
            .replace_all(s, "X")
            .into_owned()
    };
    let again: Vec<(String, String)> = findings(&b)
        .into_iter()
        .map(|(n, t)| (n, normalise(&t)))
        .collect();
    assert_eq!(
        found
            .iter()
            .map(|(n, t)| (n.clone(), normalise(t)))
            .collect::<Vec<_>>(),
        again,
        "same seed, same findings"
    );
    let schemas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
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
