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
