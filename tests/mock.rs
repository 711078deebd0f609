//! `scimcert mock` with the tokens it accepts fixed on the command line, as CI starts it:
//! the suite passes against it with those tokens (the read-only one included) and
//! fails with others; a token not given is the built-in one, printed at start.

mod common;

use common::{MockProcess, assert_exit, assert_usage_error, root, scimcert_env, shown, stdout};

const TOKEN: &str = "mock-write-token-81f2";
const READONLY: &str = "mock-readonly-token-3c7a";

/// Runs the read-only-token case of `api` against `mock` with the given read-only token.
fn read_only_case(mock: &MockProcess, api: &str, readonly: &str) -> std::process::Output {
    let case = match api {
        "scim" => "vmw-read-only-token-is-403",
        _ => "idm-err-readonly-token",
    };
    let var = format!("readonly_token={readonly}");
    scimcert_env(
        &root(),
        &[
            "run",
            "--no-config",
            "--target",
            &mock.base_url,
            "--api",
            api,
            "--case",
            case,
            "--var",
            &var,
        ],
        &[("SCIMCERT_TOKEN", TOKEN)],
    )
}

#[test]
fn both_tokens_can_be_fixed() {
    for api in ["scim", "idm"] {
        let mock = MockProcess::start(&[api, "--token", TOKEN, "--readonly-token", READONLY]);
        // Nothing to read from the output: both tokens were given.
        assert!(
            !mock.banner.iter().any(|l| l.contains("token")),
            "{:?}",
            mock.banner
        );
        let out = read_only_case(&mock, api, READONLY);
        assert_exit(&out, 0);
        assert!(stdout(&out).contains("1 passed"), "{}", shown(&out));
        // Another read-only token is not the mock's: the case cannot see its 403.
        let other = read_only_case(&mock, api, "not-the-readonly-token");
        assert_exit(&other, 1);
    }
}

#[test]
fn a_token_not_given_is_printed() {
    let mock = MockProcess::start(&["scim", "--token", TOKEN]);
    let line = mock
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("read-only token: "))
        .unwrap_or_else(|| panic!("no read-only token in {:?}", mock.banner))
        .to_string();
    assert!(!mock.banner.iter().any(|l| l.contains(TOKEN)));
    let out = read_only_case(&mock, "scim", &line);
    assert_exit(&out, 0);

    let mock = MockProcess::start(&["scim", "--readonly-token", READONLY]);
    assert!(
        mock.banner
            .iter()
            .any(|l| l.starts_with("bearer token: ") && !l.contains(READONLY)),
        "{:?}",
        mock.banner
    );
}

#[test]
fn the_two_tokens_must_differ() {
    let out = scimcert_env(
        &root(),
        &[
            "mock",
            "scim",
            "--token",
            "same",
            "--readonly-token",
            "same",
        ],
        &[],
    );
    assert_usage_error(&out, "must differ");
    let empty = scimcert_env(&root(), &["mock", "idm", "--readonly-token", ""], &[]);
    assert_usage_error(&empty, "must not be empty");
}

/// One case that deletes its user and one that leaves two behind: one of the run's
/// (`scimcert-<run id>-…`) and one that is not (another prefix).
const LEAVES_USERS: &str = r#"
- id: tidy
  title: creates and deletes
  level: MUST
  api: scim
  setup:
    - request:
        method: POST
        path: /Users
        body: {schemas: [urn:ietf:params:scim:schemas:core:2.0:User], userName: "scimcert-{{ run_id }}-tidy"}
      expect: {status: [200, 201]}
      capture: {user_id: {body: /id}}
  steps:
    - request: {method: GET, path: "/Users/{{ user_id }}"}
      expect: {status: 200}
  cleanup:
    - request: {method: DELETE, path: "/Users/{{ user_id }}"}
- id: untidy
  title: creates and forgets
  level: MUST
  api: scim
  steps:
    - request:
        method: POST
        path: /Users
        body: {schemas: [urn:ietf:params:scim:schemas:core:2.0:User], userName: "scimcert-{{ run_id }}-untidy"}
      expect: {status: [200, 201]}
    - request:
        method: POST
        path: /Users
        body: {schemas: [urn:ietf:params:scim:schemas:core:2.0:User], userName: "scimcert-elsewhere-{{ uuid }}"}
      expect: {status: [200, 201]}
"#;

#[test]
fn users_left_behind_are_listed_and_cleanup_deletes_only_the_runs() {
    let mock = MockProcess::start(&["scim", "--token", TOKEN]);
    let dir = common::workdir_with_case("leftovers", "leaves.yaml", LEAVES_USERS);
    let with_token = [("SCIMCERT_TOKEN", TOKEN)];
    let target = ["--no-config", "--target", &mock.base_url, "--api", "scim"];
    let run: Vec<&str> = ["run"]
        .into_iter()
        .chain(target)
        .chain(["--report-dir", "out"])
        .collect();
    let out = scimcert_env(&dir, &run, &with_token);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("left behind: 2 user(s)"),
        "{}",
        shown(&out)
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/report.json")).expect("report.json"),
    )
    .expect("json");
    let run_id = report["run_id"].as_str().expect("run id").to_string();
    let left = report["leftovers"].as_array().expect("leftovers");
    let names: Vec<&str> = left
        .iter()
        .filter_map(|l| l["user_name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{left:?}");
    assert!(names.contains(&format!("scimcert-{run_id}-untidy").as_str()));
    let command = report["cleanup_command"].as_str().expect("command");
    assert!(
        command.contains(&format!("scimcert cleanup --target {}", mock.base_url))
            && command.contains(&format!("--run-id {run_id}")),
        "{command}"
    );
    let md = std::fs::read_to_string(dir.join("out/report.md")).expect("report.md");
    assert!(md.contains("## Left behind"), "{md}");

    let cleanup = |extra: &[&str]| {
        let args: Vec<&str> = ["cleanup"]
            .into_iter()
            .chain(target)
            .chain(["--run-id", &run_id])
            .chain(extra.iter().copied())
            .collect();
        scimcert_env(&dir, &args, &with_token)
    };
    let dry = cleanup(&["--dry-run"]);
    assert_exit(&dry, 0);
    assert!(
        stdout(&dry).contains("would delete 1 user(s)") && stdout(&dry).contains("-untidy"),
        "{}",
        shown(&dry)
    );
    let real = cleanup(&[]);
    assert_exit(&real, 0);
    assert!(stdout(&real).contains(": deleted"), "{}", shown(&real));
    let again = cleanup(&[]);
    assert!(
        stdout(&again).contains("no user of run"),
        "{}",
        shown(&again)
    );
    // The user of another prefix is still there.
    let other = scimcert_env(
        &dir,
        &[
            "cleanup",
            "--no-config",
            "--target",
            &mock.base_url,
            "--api",
            "scim",
        ]
        .into_iter()
        .chain(["--run-id", "elsewhere", "--dry-run"])
        .collect::<Vec<_>>(),
        &with_token,
    );
    assert!(
        stdout(&other).contains("would delete 1 user(s)"),
        "{}",
        shown(&other)
    );
    let bad = cleanup(&["--run-id", "x\" or userName pr"]);
    assert_exit(&bad, 2);
}
