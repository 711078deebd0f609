//! Whole-program behaviour of `scimcert run` against wiremock servers with canned
//! responses: passing, failing (MUST and SHOULD), erroring and malformed-case runs, with
//! the documented exit codes. The console output of one failing run is pinned by
//! `tests/golden/failing_run.out` (regenerate with `SCIMCERT_BLESS=1`).

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{TOKEN, assert_golden, scimcert, stdout};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CASE: &str = r##"# yaml-language-server: $schema=../schemas/case.schema.json
- id: canned-patch
  title: PATCH answers 200 with the changed user
  rules: [P-15]
  level: LEVEL
  api: scim
  steps:
    - name: patch
      request:
        method: PATCH
        path: /Users/42
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect:
        status: [200, 204]
        body: {id: "42", nickName: Babs, meta: {lastModified: "#datetime"}}
"##;

/// A work folder with `case_text` as `cases/canned.yaml`.
fn workdir(case_text: &str) -> PathBuf {
    common::workdir_with_case("runner", "canned.yaml", case_text)
}

async fn canned(status: u16, body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path_regex("^/v2/Users/42$"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn run_against(server_uri: &str, level: &str, extra: &[&str]) -> (Output, PathBuf) {
    run_case_against(server_uri, &CASE.replace("LEVEL", level), extra)
}

fn run_case_against(server_uri: &str, case_text: &str, extra: &[&str]) -> (Output, PathBuf) {
    let dir = workdir(case_text);
    let target = format!("{server_uri}/v2");
    let mut args = vec![
        "run",
        "--target",
        &target,
        "--api",
        "scim",
        "--timeout",
        "2",
    ];
    args.extend_from_slice(extra);
    (scimcert(&dir, &args), dir)
}

#[tokio::test]
async fn passing_run_exits_0() {
    let server = canned(
        200,
        json!({"id": "42", "nickName": "Babs", "meta": {"lastModified": "2024-01-01T00:00:00Z"}}),
    )
    .await;
    let (out, _) = run_against(&server.uri(), "MUST", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("summary: 1 passed, 0 failed"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn must_failure_exits_1_and_points_into_the_case_file() {
    let server = canned(
        200,
        json!({"id": "42", "nickName": "Barb", "meta": {"lastModified": "yesterday"}}),
    )
    .await;
    let (out, _) = run_against(&server.uri(), "MUST", &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_golden("failing_run.out", &normalise(&text, &server.uri()));
    assert!(!text.contains(TOKEN), "the token leaked: {text}");
}

fn normalise(text: &str, uri: &str) -> String {
    let mut out = text.replace(uri, "http://SERVER");
    out = regex::Regex::new(r"scimcert \d+\.\d+\.\d+")
        .unwrap()
        .replace_all(&out, "scimcert VERSION")
        .into_owned();
    regex::Regex::new(r"/tmp/scimcert-runner-[0-9a-f-]+/")
        .unwrap()
        .replace_all(&out, "")
        .into_owned()
}

#[tokio::test]
async fn should_failure_warns_and_exits_0_unless_strict() {
    let server = canned(200, json!({"id": "42", "nickName": "Barb"})).await;
    let (out, dir) = run_against(&server.uri(), "SHOULD", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("WARN"), "{}", stdout(&out));
    let target = format!("{}/v2", server.uri());
    let strict = scimcert(
        &dir,
        &["run", "--target", &target, "--api", "scim", "--strict"],
    );
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
}

#[tokio::test]
async fn status_204_is_accepted_where_the_case_allows_it() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let dir = workdir(&CASE.replace("LEVEL", "MUST").replace(
        "        body: {id: \"42\", nickName: Babs, meta: {lastModified: \"#datetime\"}}\n",
        "",
    ));
    let target = format!("{}/v2", server.uri());
    let out = scimcert(&dir, &["run", "--target", &target, "--api", "scim"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn refused_port_is_an_error_verdict_exit_3() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (out, _) = run_against(&format!("http://127.0.0.1:{port}"), "MUST", &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("ERROR") && text.contains("connection failed"),
        "{text}"
    );
}

#[tokio::test]
async fn slow_server_times_out_as_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5)))
        .mount(&server)
        .await;
    let dir = workdir(&CASE.replace("LEVEL", "MUST"));
    let target = format!("{}/v2", server.uri());
    let started = std::time::Instant::now();
    let out = scimcert(
        &dir,
        &[
            "run",
            "--target",
            &target,
            "--api",
            "scim",
            "--timeout",
            "0.5",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("timed out"), "{}", stdout(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
}

#[tokio::test]
async fn non_json_body_fails_with_a_clear_message() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"))
        .mount(&server)
        .await;
    let (out, _) = run_against(&server.uri(), "MUST", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("not JSON"), "{}", stdout(&out));
}

#[test]
fn malformed_case_file_exits_2_with_position() {
    let dir = workdir(
        &CASE
            .replace("LEVEL", "MUST")
            .replace("  title:", "  titel:"),
    );
    let out = scimcert(
        &dir,
        &["run", "--target", "http://127.0.0.1:9/v2", "--api", "scim"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cases/canned.yaml:3:3"), "{err}");
    assert!(err.contains("titel"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = workdir(&CASE.replace("LEVEL", "MUST"));
    let out = scimcert(&dir, &["run", "--target", "http://127.0.0.1:9/v2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--api"));
    let out = scimcert(&dir, &["run", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn reports_are_written() {
    let server = canned(
        200,
        json!({"id": "42", "nickName": "Babs", "meta": {"lastModified": "2024-01-01T00:00:00Z"}}),
    )
    .await;
    let dir = workdir(&CASE.replace("LEVEL", "MUST"));
    let target = format!("{}/v2", server.uri());
    let out = scimcert(
        &dir,
        &[
            "run",
            "--target",
            &target,
            "--api",
            "scim",
            "--junit",
            "out/junit.xml",
            "--json",
            "out/report.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let junit = std::fs::read_to_string(dir.join("out/junit.xml")).unwrap();
    assert!(
        junit.contains("<testcase name=\"vmware::canned-patch\""),
        "{junit}"
    );
    assert!(junit.contains("name=\"rules\" value=\"P-15\""), "{junit}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(report["cases"][0]["verdict"], "pass");
    assert!(!report.to_string().contains(TOKEN));
}

#[test]
fn list_prints_json_for_scripts() {
    let dir = workdir(&CASE.replace("LEVEL", "MUST"));
    let out = scimcert(&dir, &["list", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items[0]["id"], "canned-patch");
    assert_eq!(items[0]["line"], 2);
}

#[tokio::test]
async fn accepted_204_is_not_held_to_body_expectations() {
    // RFC 7644 §3.5.2 allows 200 with the resource or 204: a case accepting both must
    // not fail the server that picks 204 for the missing body.
    let server = canned(204, json!({})).await;
    let (out, _) = run_against(&server.uri(), "MUST", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("summary: 1 passed, 0 failed"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn unaccepted_204_still_fails_on_status() {
    let server = canned(204, json!({})).await;
    let case_text = CASE
        .replace("LEVEL", "MUST")
        .replace("status: [200, 204]", "status: 200");
    let (out, _) = run_case_against(&server.uri(), &case_text, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("expected status 200, got 204"), "{text}");
    assert!(text.contains("expected a JSON body"), "{text}");
}
