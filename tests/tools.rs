//! Whole-program behaviour of the tools for people chasing a bug — `repro`, `record`
//! and `diff` — against the built-in simulations and wiremock servers with canned
//! answers. The repro of a canned failure is pinned by `tests/golden/repro.out`
//! (regenerate with `SCIMCERT_BLESS=1`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The token every run here gets in `SCIMCERT_TOKEN`; it must never be printed.
const TOKEN: &str = "canary-token-123";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder with a copy of the response schemas and, when given, a case file.
fn workdir(case_text: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcert-tools-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("cases")).expect("temp dir");
    std::fs::create_dir_all(dir.join("schemas")).expect("temp dir");
    for entry in std::fs::read_dir(root().join("schemas")).expect("schemas") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, dir.join("schemas").join(p.file_name().expect("name"))).expect("copy");
    }
    if let Some(text) = case_text {
        std::fs::write(dir.join("cases/canned.yaml"), text).expect("write case");
    }
    dir
}

fn scimcert(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimcert"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("SCIMCERT_TOKEN", TOKEN)
        .env_remove("SCIMCERT_BASIC")
        .output()
        .expect("run scimcert")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Both streams, for assertion messages.
fn shown(o: &Output) -> String {
    format!("--- stdout\n{}\n--- stderr\n{}", stdout(o), stderr(o))
}

// ---------------------------------------------------------------- repro

#[test]
fn repro_prints_the_curl_sequence_and_every_exchange() {
    let out = scimcert(&root(), &["repro", "vmw-create-answers-200", "--no-config"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(text.contains("curl sequence (secrets masked):"), "{text}");
    for line in ["# step 1 (create)", "# step 2 (read back)", "# cleanup 1"] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(
        text.contains("curl -sS -i -X POST 'http://127.0.0.1:")
            && text.contains("curl -sS -i -X DELETE 'http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("-H 'Authorization: Bearer ***'"), "{text}");
    assert!(
        !text.contains("scimcert-sim-token"),
        "the token leaked:\n{text}"
    );
    // Every exchange: request, response status and pretty body, captures.
    assert!(text.contains("> POST http://127.0.0.1:"), "{text}");
    assert!(text.contains("< 200 ("), "{text}");
    assert!(text.contains("<   \"userName\": \"scimcert-"), "{text}");
    assert!(text.contains("  captured user_id = "), "{text}");
    assert!(
        text.contains("verdict: PASS  scim::vmw-create-answers-200 [vmware]"),
        "{text}"
    );
}

#[test]
fn repro_of_a_failure_shows_the_evidence_and_exits_1() {
    // The VMware case against the strict RFC 7644 simulation: 201 where 200 is expected.
    let out = scimcert(
        &root(),
        &[
            "repro",
            "vmw-create-answers-200",
            "--no-config",
            "--target",
            "builtin:rfc7644",
            "--profile",
            "vmware",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(
        text.contains("target:  builtin:rfc7644 (built-in scim simulation of profile rfc7644)"),
        "{text}"
    );
    assert!(
        text.contains("fail: status: expected status 200, got 201"),
        "{text}"
    );
    assert!(
        text.contains("--> cases/scim/vmware-deviations.yaml:24:"),
        "{text}"
    );
    assert!(text.contains("# step 2 (read back): not run"), "{text}");
    assert!(text.contains("verdict: FAIL "), "{text}");
    assert!(
        text.contains("because: step 1 (create): expected status 200"),
        "{text}"
    );
}

#[test]
fn repro_of_an_unknown_case_suggests_close_ids_and_exits_2() {
    let out = scimcert(&root(), &["repro", "vmw-create-answers-20", "--no-config"]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    let err = stderr(&out);
    assert!(err.contains("no case `vmw-create-answers-20`"), "{err}");
    assert!(err.contains("did you mean vmw-create-answers-200"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing may run: {}", stdout(&out));
}

const CANNED_CASE: &str = r##"# yaml-language-server: $schema=../schemas/case.schema.json
- id: canned-patch
  title: PATCH answers 200 with the changed user
  rules: [P-15]
  level: MUST
  api: scim
  setup:
    - name: create user
      request:
        method: POST
        path: /Users
        body: {userName: "scimcert-{{ run_id }}"}
      expect: {status: [200, 201]}
      capture: {user_id: {body: /id}}
  steps:
    - name: patch
      request:
        method: PATCH
        path: "/Users/{{ user_id }}"
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect:
        status: 200
        body: {id: "{{ user_id }}", nickName: Babs}
  cleanup:
    - request: {method: DELETE, path: "/Users/{{ user_id }}"}
"##;

/// A server that creates user 42, answers the PATCH with the wrong nickName and
/// echoes the caller's token in a header and the body (so masking is tested on
/// responses too), and deletes it.
async fn canned_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/Users"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "42", "userName": "u"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/Users/42"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-echo", format!("Bearer {TOKEN}").as_str())
                .set_body_json(json!({"id": "42", "nickName": "Barb", "debug": {"token": TOKEN}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v2/Users/42"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

fn normalise(text: &str, uri: &str) -> String {
    let out = text.replace(uri, "http://SERVER");
    let out = regex::Regex::new(r"\(\d+ ms\)")
        .expect("regex")
        .replace_all(&out, "(N ms)")
        .into_owned();
    let out = regex::Regex::new(r"(?m)^< date: .*$")
        .expect("regex")
        .replace_all(&out, "< date: DATE")
        .into_owned();
    regex::Regex::new(r"scimcert-[0-9a-f]{8}")
        .expect("regex")
        .replace_all(&out, "scimcert-RUNID")
        .into_owned()
}

#[tokio::test]
async fn repro_against_a_server_masks_the_token_everywhere() {
    let server = canned_server().await;
    let dir = workdir(Some(CANNED_CASE));
    let target = format!("{}/v2", server.uri());
    let out = scimcert(
        &dir,
        &[
            "repro",
            "canned-patch",
            "--target",
            &target,
            "--no-discovery",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
    assert!(text.contains("-H 'Authorization: Bearer ***'"), "{text}");
    assert!(text.contains("< x-echo: Bearer ***"), "{text}");
    assert!(text.contains("\"token\": \"***\""), "{text}");
    let golden = root().join("tests/golden/repro.out");
    let normalised = normalise(&text, &server.uri());
    if std::env::var_os("SCIMCERT_BLESS").is_some() {
        std::fs::write(&golden, &normalised).expect("bless");
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        expected == normalised,
        "repro output differs from {}:\n--- expected\n{expected}\n--- actual\n{normalised}",
        golden.display()
    );
}

// ---------------------------------------------------------------- record

fn load(path: &Path) -> scimcert::case::Corpus {
    let schemas =
        scimcert::check::SchemaRegistry::load_dir(&root().join("schemas")).expect("schemas");
    scimcert::case::load_path(path, &schemas.names())
        .unwrap_or_else(|e| panic!("{} does not load:\n{e}", path.display()))
}

#[test]
fn record_writes_a_case_that_loads_and_replays_green() {
    let dir = workdir(None);
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"rec-bjensen","name":{"givenName":"Barbara"},"emails":[{"value":"b@example.com","primary":true}]}"#;
    let out = scimcert(
        &dir,
        &[
            "record",
            "--no-config",
            "--profile",
            "vmware",
            "-X",
            "POST",
            "/Users",
            "-d",
            body,
            "--out",
            "cases/recorded/create.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let file = dir.join("cases/recorded/create.yaml");
    let text = std::fs::read_to_string(&file).expect("written");
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../schemas/case.schema.json\n"),
        "{text}"
    );
    let corpus = load(&file);
    let case = &corpus.cases[0].case;
    assert_eq!(case.id.value, "create");
    assert_eq!(case.level.value, scimcert::case::Level::Should);
    assert!(case.rules.is_empty());
    let expect = &case.steps[0].expect;
    assert_eq!(
        expect.status.as_ref().map(|s| s.value.codes()),
        Some(vec![200])
    );
    let body = &expect.body.as_ref().expect("body").value;
    assert_eq!(body["id"], "#uuid");
    assert_eq!(body["userName"], "rec-bjensen");
    assert_eq!(body["meta"]["created"], "#datetime");
    assert_eq!(body["meta"]["version"], "#string");
    assert_eq!(case.cleanup[0].request.path.value, "/Users/{{ user_id }}");

    let replay = scimcert(
        &dir,
        &[
            "run",
            "--no-config",
            "--cases",
            "cases/recorded/create.yaml",
            "--profile",
            "vmware",
        ],
    );
    assert_eq!(replay.status.code(), Some(0), "{}", shown(&replay));
    assert!(
        stdout(&replay).contains("1 passed, 0 failed, 0 warned"),
        "{}",
        shown(&replay)
    );

    // An existing file is kept unless --force.
    let again = |extra: &[&str]| {
        let mut args = vec![
            "record",
            "--no-config",
            "/Users",
            "--out",
            "cases/recorded/create.yaml",
        ];
        args.extend_from_slice(extra);
        scimcert(&dir, &args)
    };
    let refused = again(&[]);
    assert_eq!(refused.status.code(), Some(2), "{}", shown(&refused));
    assert!(
        stderr(&refused).contains("give --force"),
        "{}",
        shown(&refused)
    );
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), text);
    let forced = again(&["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", shown(&forced));
    assert_ne!(std::fs::read_to_string(&file).expect("rewritten"), text);
}

#[test]
fn record_from_curl_lines_captures_ids_and_replays_green() {
    // Fabric ids are `User_<n>`; the file names one an earlier run created, which is
    // taken for the user the first line creates now.
    let dir = workdir(None);
    let create = r#"{"profile":"Subscriber","scimAttributes":{"userName":"rec-fabric-user","name":{"givenName":"Barbara","familyName":"Jensen"}}}"#;
    let patch = r#"{"profile":"Subscriber","Operations":[{"operation":"replace","path":"scimAttributes:displayName","value":"Babs"}]}"#;
    let curl = format!(
        "# as `repro` prints them, from another run\n\
         curl -sS -i -X POST 'http://127.0.0.1:1/userManagement/v1/user' -H 'Accept: application/json' -H 'Content-Type: application/json' -H 'Authorization: Bearer ***' --data-raw '{create}'\n\
         curl -sS -i -X PATCH 'http://127.0.0.1:1/userManagement/v1/user/User_977' \\\n  -H 'Authorization: Bearer ***' --data-raw '{patch}'\n\
         curl -sS -i 'http://127.0.0.1:1/userManagement/v1/user?filter=userName%20eq%20%22rec-fabric-user%22'\n"
    );
    std::fs::write(dir.join("seq.sh"), curl).expect("curl file");
    let out = scimcert(
        &dir,
        &[
            "record",
            "--no-config",
            "--profile",
            "fabric",
            "--from",
            "seq.sh",
            "--out",
            "cases/fabric.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(
        stdout(&out).contains("(id User_977 in seq.sh:3 is taken for the one created here"),
        "{}",
        shown(&out)
    );
    let file = dir.join("cases/fabric.yaml");
    let corpus = load(&file);
    let case = &corpus.cases[0].case;
    assert_eq!(case.api, scimcert::api::Api::Idm);
    assert_eq!(case.steps.len(), 3);
    assert!(
        case.steps[0].capture.contains_key("user_id"),
        "{:?}",
        case.steps[0].capture
    );
    assert_eq!(case.steps[1].request.path.value, "/user/{{ user_id }}");
    let patched = &case.steps[1].expect.body.as_ref().expect("body").value;
    assert_eq!(patched["id"], "{{ user_id }}");
    assert_eq!(patched["scimAttributes"]["displayName"], "Babs");
    assert_eq!(
        case.steps[2].request.query["filter"].value,
        "userName eq \"rec-fabric-user\""
    );
    let found = &case.steps[2].expect.body.as_ref().expect("body").value;
    assert_eq!(found[0]["id"], "{{ user_id }}");
    assert!(case.cleanup.is_empty(), "the Fabric API has no DELETE");

    let replay = scimcert(
        &dir,
        &[
            "run",
            "--no-config",
            "--cases",
            "cases/fabric.yaml",
            "--profile",
            "fabric",
        ],
    );
    assert_eq!(replay.status.code(), Some(0), "{}", shown(&replay));
    assert!(stdout(&replay).contains("1 passed"), "{}", shown(&replay));
}

#[tokio::test]
async fn record_against_a_server_replays_green_against_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/Users"))
        .respond_with(ResponseTemplate::new(201).insert_header("etag", "W/\"1\"").set_body_json(json!({
            "id": "42", "userName": "u1",
            "meta": {"created": "2024-01-01T00:00:00Z", "location": format!("{}/v2/Users/42", server.uri())}
        })))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/Users/42"))
        .and(header("if-match", "W/\"1\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "42", "userName": "u1", "nickName": "Babs"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v2/Users/42"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let dir = workdir(None);
    let base = format!("{}/v2", server.uri());
    let curl = format!(
        "curl -X POST '{base}/Users' -d '{{\"userName\":\"u1\"}}'\n\
         curl -X PATCH '{base}/Users/42' -H 'If-Match: W/\"1\"' -H 'Authorization: Bearer {TOKEN}' -d '{{\"Operations\":[{{\"op\":\"add\",\"path\":\"nickName\",\"value\":\"Babs\"}}]}}'\n"
    );
    std::fs::write(dir.join("seq.sh"), curl).expect("curl file");
    let out = scimcert(
        &dir,
        &[
            "record",
            "--target",
            &base,
            "--api",
            "scim",
            "--no-discovery",
            "--from",
            "seq.sh",
            "--out",
            "rec.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    // The recording deletes the user it created, as the case's cleanup will.
    assert!(
        stdout(&out).contains("cleanup: DELETE /Users/42 → 204"),
        "{}",
        shown(&out)
    );
    let text = std::fs::read_to_string(dir.join("rec.yaml")).expect("written");
    assert!(
        !text.contains(TOKEN),
        "the token leaked into the case:\n{text}"
    );
    assert!(
        !text.contains("Authorization"),
        "the target's credentials are not recorded:\n{text}"
    );
    let case = &load(&dir.join("rec.yaml")).cases[0].case;
    assert_eq!(case.steps[1].request.path.value, "/Users/{{ user_id }}");
    assert_eq!(
        case.steps[1].request.headers["If-Match"].value,
        "{{ etag }}"
    );
    let created = &case.steps[0].expect.body.as_ref().expect("body").value;
    assert_eq!(created["id"], "#string");
    assert_eq!(created["meta"]["created"], "#datetime");
    assert_eq!(created["meta"]["location"], "#string");

    let replay = scimcert(
        &dir,
        &[
            "run",
            "--cases",
            "rec.yaml",
            "--target",
            &base,
            "--api",
            "scim",
            "--no-discovery",
        ],
    );
    assert_eq!(replay.status.code(), Some(0), "{}", shown(&replay));
    assert!(stdout(&replay).contains("1 passed"), "{}", shown(&replay));
}

#[test]
fn record_refuses_bad_input_before_sending() {
    let dir = workdir(None);
    for (args, expected) in [
        (vec!["record", "--no-config", "--out", "x.yaml"], "required"),
        (
            vec!["record", "--no-config", "Users", "--out", "x.yaml"],
            "must start with `/`",
        ),
        (
            vec![
                "record",
                "--no-config",
                "/Users",
                "--out",
                "x.yaml",
                "--id",
                "a b",
            ],
            "--id `a b`",
        ),
        (
            vec![
                "record",
                "--no-config",
                "--from",
                "missing.sh",
                "--out",
                "x.yaml",
            ],
            "cannot read missing.sh",
        ),
    ] {
        let out = scimcert(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", shown(&out));
        assert!(stderr(&out).contains(expected), "{args:?}: {}", shown(&out));
        assert!(!dir.join("x.yaml").exists());
    }
    std::fs::write(dir.join("bad.sh"), "curl http://h/x\nwget http://h/y\n").expect("write");
    let out = scimcert(
        &dir,
        &[
            "record",
            "--no-config",
            "--from",
            "bad.sh",
            "--out",
            "x.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert!(
        stderr(&out).contains("bad.sh:2: expected a `curl` command"),
        "{}",
        shown(&out)
    );
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_of_vmware_and_rfc7644_reports_the_documented_deviations() {
    let out = scimcert(
        &root(),
        &[
            "diff",
            "--no-config",
            "--target",
            "builtin:vmware",
            "--target",
            "builtin:rfc7644",
            "--case",
            "vmw-*",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(text.contains("A: builtin:vmware"), "{text}");
    assert!(text.contains("B: builtin:rfc7644"), "{text}");
    let block = text
        .split("\nDIFF ")
        .find(|b| b.starts_with("scim::vmw-create-answers-200\n"))
        .unwrap_or_else(|| panic!("VD-01 is not reported:\n{text}"));
    assert!(block.contains("verdict: A pass | B fail"), "{block}");
    assert!(
        block.contains("B: step 1 (create): expected status 200, got 201"),
        "{block}"
    );
    assert!(
        block.contains("-status: 200\n") && block.contains("+status: 201\n"),
        "{block}"
    );
    assert!(
        regex::Regex::new(r"summary: \d+ of \d+ case\(s\) differ")
            .expect("regex")
            .is_match(&text),
        "{text}"
    );
    // Volatile values never show up as differences.
    assert!(!text.contains("+  \"id\""), "{text}");

    let verdicts = scimcert(
        &root(),
        &[
            "diff",
            "--no-config",
            "--target",
            "builtin:vmware",
            "--target",
            "builtin:rfc7644",
            "--case",
            "vmw-create-answers-200",
            "--case",
            "vmw-seed-example-applied",
            "--verdicts-only",
        ],
    );
    assert_eq!(verdicts.status.code(), Some(1), "{}", shown(&verdicts));
    assert!(
        !stdout(&verdicts).contains("responses:"),
        "{}",
        shown(&verdicts)
    );
    assert!(
        stdout(&verdicts).contains("summary: 2 of 2 case(s) differ in verdict"),
        "{}",
        shown(&verdicts)
    );
}

#[test]
fn diff_of_a_simulation_with_itself_finds_nothing() {
    // Every SCIM case: ids, dates, versions and the run's names differ between the two
    // simulations and must all be normalised away.
    let out = scimcert(
        &root(),
        &[
            "diff",
            "--no-config",
            "--target",
            "builtin:vmware",
            "--target",
            "builtin:vmware",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(!text.contains("DIFF"), "{text}");
    assert!(
        regex::Regex::new(r"summary: no difference in \d{3} case\(s\)")
            .expect("regex")
            .is_match(&text),
        "{text}"
    );
}

#[test]
fn diff_needs_two_targets_of_one_api() {
    let one = scimcert(
        &root(),
        &["diff", "--no-config", "--target", "builtin:vmware"],
    );
    assert_eq!(one.status.code(), Some(2), "{}", shown(&one));
    assert!(
        stderr(&one).contains("give --target twice"),
        "{}",
        shown(&one)
    );
    let mixed = scimcert(
        &root(),
        &[
            "diff",
            "--no-config",
            "--target",
            "builtin:vmware",
            "--target",
            "builtin:fabric",
        ],
    );
    assert_eq!(mixed.status.code(), Some(2), "{}", shown(&mixed));
    assert!(
        stderr(&mixed).contains("fabric simulation speaks the idm api"),
        "{}",
        shown(&mixed)
    );
    let unknown = scimcert(
        &root(),
        &[
            "diff",
            "--target",
            "builtin:nope",
            "--target",
            "builtin:vmware",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2), "{}", shown(&unknown));
    assert!(
        stderr(&unknown).contains("unknown profile `nope`"),
        "{}",
        shown(&unknown)
    );
}
