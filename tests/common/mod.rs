//! Helpers shared by the whole-program tests: work folders holding the response schemas,
//! the scimcert binary run with a clean credential environment, its output, golden
//! files, the corpus loaded as the runner loads it, and `scimcert mock` as a child.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use scimcert::case::Corpus;
use scimcert::check::SchemaRegistry;

/// The token runs get in `SCIMCERT_TOKEN` from [`scimcert`]; it must never be printed.
pub const TOKEN: &str = "canary-token-123";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh empty folder `scimcert-<name>-<uuid>` in the temporary folder.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcert-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh folder (see [`tempdir`]) with an empty `cases/` and a copy of the
/// repository's response schemas in `schemas/`, as `scimcert run` finds them by default.
pub fn workdir(name: &str) -> PathBuf {
    let dir = tempdir(name);
    std::fs::create_dir_all(dir.join("cases")).expect("cases folder");
    std::fs::create_dir_all(dir.join("schemas")).expect("schemas folder");
    for entry in std::fs::read_dir(root().join("schemas")).expect("schemas") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, dir.join("schemas").join(p.file_name().expect("name"))).expect("copy");
    }
    dir
}

/// [`workdir`] with `text` written to `cases/<file>`.
pub fn workdir_with_case(name: &str, file: &str, text: &str) -> PathBuf {
    let dir = workdir(name);
    std::fs::write(dir.join("cases").join(file), text).expect("case file");
    dir
}

/// Runs scimcert in `dir` with `args`, without colour and without the credential
/// variables of the test's own environment; `env` is added.
pub fn scimcert_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimcert"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SCIMCERT_TOKEN")
        .env_remove("SCIMCERT_BASIC");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run scimcert")
}

/// [`scimcert_env`] with the canary [`TOKEN`] in `SCIMCERT_TOKEN`.
pub fn scimcert(dir: &Path, args: &[&str]) -> Output {
    scimcert_env(dir, args, &[("SCIMCERT_TOKEN", TOKEN)])
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Both streams, for assertion messages.
pub fn shown(o: &Output) -> String {
    format!("--- stdout\n{}\n--- stderr\n{}", stdout(o), stderr(o))
}

/// Asserts that the run exited with `code` (showing both streams if not).
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", shown(o));
}

/// Asserts a usage error (exit 2) whose message on stderr contains `expected`.
pub fn assert_usage_error(o: &Output, expected: &str) {
    assert_exit(o, 2);
    assert!(stderr(o).contains(expected), "{expected:?}:\n{}", shown(o));
}

/// Compares `actual` with `tests/golden/<name>`; with `SCIMCERT_BLESS` set, writes it
/// there first.
pub fn assert_golden(name: &str, actual: &str) {
    let golden = root().join("tests/golden").join(name);
    if std::env::var_os("SCIMCERT_BLESS").is_some() {
        std::fs::write(&golden, actual).expect("bless");
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from {}:\n--- expected\n{expected}\n--- actual\n{actual}",
        golden.display()
    );
}

/// The repository's response schemas.
pub fn schemas() -> SchemaRegistry {
    SchemaRegistry::load_dir(&root().join("schemas")).expect("schemas")
}

/// The cases in `path` (a file or folder), loaded against the repository's schemas.
pub fn load(path: &Path) -> Corpus {
    scimcert::case::load_path(path, &schemas().names())
        .unwrap_or_else(|e| panic!("{} does not load:\n{e}", path.display()))
}

/// `scimcert mock` as a child process, killed when dropped.
pub struct MockProcess {
    child: Child,
    /// The base URL it serves at.
    pub base_url: String,
    /// What it printed before it was ready.
    pub banner: Vec<String>,
}

impl MockProcess {
    /// Starts `scimcert mock <args>` and waits until it serves.
    pub fn start(args: &[&str]) -> MockProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scimcert"))
            .args(["mock"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mock");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        while !banner
            .last()
            .is_some_and(|l: &String| l.starts_with("press Ctrl-C"))
        {
            let line = lines.next().expect("mock output").expect("line");
            banner.push(line);
        }
        let base_url = banner
            .iter()
            .find_map(|l| l.split_once("serving at ").map(|(_, url)| url.trim()))
            .expect("base URL")
            .to_string();
        // Keep reading so the mock never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        MockProcess {
            child,
            base_url,
            banner,
        }
    }
}

impl MockProcess {
    /// Stops the mock with SIGTERM, as a CI job does, and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        self.child.wait().expect("mock exit")
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
