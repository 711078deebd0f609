//! The report folder of `scimcert run --report-dir`: `junit.xml`, `report.json` and the
//! Markdown certification report `report.md`, whose layout is pinned by
//! `tests/golden/report.md` (regenerate with `SCIMCERT_BLESS=1`); secrets masked, the
//! folder created and nothing else in it touched, a write failure exit code 3, and no
//! progress line when stderr is not a terminal.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{TOKEN, assert_golden, scimcert, stderr, stdout};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A small catalogue: covered rules of several groups, one not testable, one for the
/// other API (not applicable) and one no case checks (not covered).
const RULES: &str = r#"rules:
  - id: P-15
    level: "MUST / MAY"
    section: "2.1"
    summary: "Success MUST be 200 + entire resource (subject to §3.9) or MAY be 204."
    apis: [scim]
  - id: A-03
    level: "—"
    section: "2.3"
    summary: "Target absent -> attribute and value added."
    apis: [scim]
  - id: X-01
    level: "SHALL"
    section: "2.5"
    summary: "`replace` with a path | sets the value."
    apis: [scim]
  - id: R-01
    level: "SHALL"
    section: "2.4"
    summary: "`remove` without a path -> 400 `noTarget`."
    apis: [scim]
  - id: E-02
    level: "SHALL"
    section: "2.8"
    summary: "POST answers with an ETag."
    apis: [scim]
  - id: VD-09
    level: "deviation"
    section: "4.5"
    summary: "No discovery endpoints (§4)."
    apis: [scim]
    profiles: [vmware]
    not_testable: "an assumption; no rule requires a 404"
  - id: OD-01
    level: "design"
    section: "5.7"
    summary: "Unknown `id` -> 404 + `Error`."
    apis: [idm]
    profiles: [fabric]
  - id: OD-02
    level: "design"
    section: "5.7"
    summary: "`scimAttributes:` paths parse as RFC 7644 paths."
    apis: [idm]
    profiles: [fabric]
"#;

const CASES: &str = r##"# yaml-language-server: $schema=../schemas/case.schema.json
- id: canned-fail
  title: PATCH answers 200 with the changed user
  rules: [P-15]
  level: MUST
  api: scim
  steps:
    - name: patch
      request:
        method: PATCH
        path: /Users/42
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: "it's Babs"}]
      expect:
        status: 200
        body: {id: "42", nickName: "it's Babs"}
- id: canned-pass
  title: add sets nickName
  rules: [A-03, P-15]
  level: MUST
  api: scim
  steps:
    - request:
        method: PATCH
        path: /Users/43
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: add, path: nickName, value: Babs}]
      expect: {status: [200, 204], body: {nickName: Babs}}
- id: canned-warn
  title: replace sets title
  rules: [X-01]
  level: SHOULD
  api: scim
  steps:
    - request:
        method: PATCH
        path: /Users/44
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: title, value: Boss}]
      expect: {status: 200, body: {title: Boss}}
- id: canned-error
  title: a user is created, then patched
  rules: [E-02]
  level: MUST
  api: scim
  setup:
    - name: create user
      request:
        method: POST
        path: /Users
        body: {userName: bjensen}
      expect: {status: 201}
      capture:
        user_id: {body: /id}
  steps:
    - request:
        method: PATCH
        path: "/Users/{{ user_id }}"
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: add, path: title, value: Boss}]
      expect: {status: 200}
  cleanup:
    - request: {method: DELETE, path: "/Users/{{ user_id }}"}
- id: canned-idm
  title: unknown id is 404
  rules: [OD-01]
  level: MUST
  api: idm
  steps:
    - request: {method: GET, path: /user/nobody}
      expect: {status: 404}
"##;

/// A work folder with [`CASES`] and the rule catalogue [`RULES`] in `cases/`.
fn workdir() -> PathBuf {
    let dir = common::workdir_with_case("report", "canned.yaml", CASES);
    std::fs::write(dir.join("cases/rules.yaml"), RULES).expect("rule catalogue");
    dir
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    let patch = |id: &str, body: serde_json::Value| {
        Mock::given(method("PATCH"))
            .and(path_regex(format!("^/v2/Users/{id}$")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    patch("42", json!({"id": "42", "nickName": "Barb"}))
        .mount(&server)
        .await;
    patch("43", json!({"id": "43", "nickName": "Babs"}))
        .mount(&server)
        .await;
    patch("44", json!({"id": "44"})).mount(&server).await;
    Mock::given(method("POST"))
        .and(path_regex("^/v2/Users$"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"detail": "boom"})))
        .mount(&server)
        .await;
    server
}

/// Runs `scimcert run` against `server` in `dir`, the token also sent in a header not
/// named like a credential (it must still be masked).
fn run(dir: &Path, server: &MockServer, extra: &[&str]) -> Output {
    let target = format!("{}/v2", server.uri());
    let token_header = format!("X-Api-Token: {TOKEN}");
    let mut args = vec![
        "run",
        "--target",
        &target,
        "--api",
        "scim",
        "--no-discovery",
        "--timeout",
        "5",
        "-H",
        &token_header,
    ];
    args.extend_from_slice(extra);
    scimcert(dir, &args)
}

/// Volatile values replaced by placeholders: server address, date, run id, duration,
/// version.
fn normalise(report: &str, server: &MockServer) -> String {
    let mut out = report.replace(&server.uri(), "http://SERVER");
    for (pattern, replacement) in [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "DATE"),
        (r"\*\*Run id:\*\* `[0-9a-f]{8}`", "**Run id:** `RUNID`"),
        (r"\*\*Duration:\*\* \d+\.\d s", "**Duration:** SECONDS s"),
        (r"scimcert \d+\.\d+\.\d+", "scimcert VERSION"),
    ] {
        out = regex::Regex::new(pattern)
            .expect("regex")
            .replace_all(&out, replacement)
            .into_owned();
    }
    out
}

#[tokio::test]
async fn markdown_report_layout_is_pinned() {
    let server = server().await;
    let dir = workdir();
    let out = run(&dir, &server, &["--report-dir", "out"]);
    // The setup failure is an `error`, which wins over the failure: exit code 3.
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let report = std::fs::read_to_string(dir.join("out/report.md")).expect("report.md");
    assert_golden("report.md", &normalise(&report, &server));
}

#[tokio::test]
async fn secrets_never_reach_a_report() {
    let server = server().await;
    let dir = workdir();
    let out = run(&dir, &server, &["--report-dir", "out", "--json", "r.json"]);
    // Sanity: the token was really sent in both headers, so masking had work to do.
    let sent = server.received_requests().await.expect("recording");
    assert!(sent.iter().any(|r| {
        r.headers
            .get("x-api-token")
            .is_some_and(|v| v.as_bytes() == TOKEN.as_bytes())
    }));
    let mut outputs = vec![
        ("stdout".to_string(), stdout(&out)),
        ("stderr".to_string(), stderr(&out)),
    ];
    for name in [
        "out/junit.xml",
        "out/report.json",
        "out/report.md",
        "r.json",
    ] {
        let content = std::fs::read_to_string(dir.join(name)).expect(name);
        outputs.push((name.to_string(), content));
    }
    for (name, content) in outputs {
        assert!(
            !content.contains(TOKEN),
            "{name} leaks the token:\n{content}"
        );
        if name.ends_with(".md") {
            assert!(
                content.contains("-H 'Authorization: Bearer ***' -H 'X-Api-Token: ***'"),
                "{name}:\n{content}"
            );
        }
    }
}

#[tokio::test]
async fn report_dir_is_created_and_other_files_are_kept() {
    let server = server().await;
    let dir = workdir();
    let reports = dir.join("nested/reports");
    std::fs::create_dir_all(&reports).expect("folder");
    std::fs::write(reports.join("notes.txt"), "mine").expect("own file");
    std::fs::write(reports.join("report.md"), "stale").expect("stale report");
    let out = run(
        &dir,
        &server,
        &["--report-dir", "nested/reports/run-2", "--junit", "j.xml"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let run_dir = reports.join("run-2");
    let mut names: Vec<String> = std::fs::read_dir(&run_dir)
        .expect("report folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["junit.xml", "report.json", "report.md"]);
    assert_eq!(
        std::fs::read_to_string(reports.join("notes.txt")).expect("kept"),
        "mine"
    );
    // `--junit` still works next to `--report-dir`.
    assert!(dir.join("j.xml").is_file());

    // Into an existing folder: its other files stay, the report is replaced.
    let out = run(&dir, &server, &["--report-dir", "nested/reports"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(reports.join("notes.txt")).expect("kept"),
        "mine"
    );
    assert!(reports.join("run-2/report.md").is_file());
    let md = std::fs::read_to_string(reports.join("report.md")).expect("report.md");
    assert!(md.starts_with("# scimcert certification report"), "{md}");
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["summary"]["failed"], 1);
    assert!(doc["date"].as_str().is_some_and(|d| d.ends_with('Z')));
}

#[tokio::test]
async fn unwritable_report_dir_exits_3_before_sending_anything() {
    let server = server().await;
    let dir = workdir();
    std::fs::write(dir.join("taken"), "a file, not a folder").expect("file");
    let out = run(&dir, &server, &["--report-dir", "taken/reports"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("cannot create the report folder taken/reports"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let sent = server.received_requests().await.expect("recording");
    assert!(sent.is_empty(), "{} requests were sent", sent.len());
}

#[tokio::test]
async fn no_progress_line_when_stderr_is_not_a_terminal() {
    let server = server().await;
    let dir = workdir();
    let out = run(&dir, &server, &[]);
    let err = stderr(&out);
    assert!(!err.contains('\r') && !err.contains("\x1b["), "{err:?}");
    assert!(stdout(&out).contains("summary: 1 passed, 1 failed, 1 warned, 1 skipped, 1 errors"));
}
