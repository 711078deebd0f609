//! Whole-program behaviour of the tools for people chasing a bug — `repro`, `record`
//! and `diff` — against the built-in simulations and wiremock servers with canned
//! answers, and of `--target builtin:<profile>`, which `run` understands too. The repro of a canned failure is pinned by `tests/golden/repro.out`
//! (regenerate with `SCIMCERT_BLESS=1`).

mod common;

use std::path::Path;
use std::process::Output;

use common::{
    TOKEN, assert_exit, assert_golden, assert_usage_error, load, root, scimcert, shown, stdout,
};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `scimcert <args>` in the repository (its corpus, no configuration file).
fn in_repo(args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.push("--no-config");
    scimcert(&root(), &all)
}

// ---------------------------------------------------------------- repro

#[test]
fn repro_prints_the_curl_sequence_and_every_exchange() {
    let out = in_repo(&["repro", "vmw-create-answers-200"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
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
    let out = in_repo(&[
        "repro",
        "vmw-create-answers-200",
        "--target",
        "builtin:rfc7644",
        "--profile",
        "vmware",
    ]);
    assert_exit(&out, 1);
    let text = stdout(&out);
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
    let out = in_repo(&["repro", "vmw-create-answers-20"]);
    assert_usage_error(&out, "no case `vmw-create-answers-20`");
    assert_usage_error(&out, "did you mean vmw-create-answers-200");
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
    let dir = common::workdir_with_case("tools", "canned.yaml", CANNED_CASE);
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
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
    assert!(text.contains("-H 'Authorization: Bearer ***'"), "{text}");
    assert!(text.contains("< x-echo: Bearer ***"), "{text}");
    assert!(text.contains("\"token\": \"***\""), "{text}");
    assert_golden("repro.out", &normalise(&text, &server.uri()));
}

// ---------------------------------------------------------------- record

/// `scimcert record --no-config <args>` in `dir`.
fn record(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["record", "--no-config"];
    all.extend_from_slice(args);
    scimcert(dir, &all)
}

/// Runs the one case in `cases` (a file in `dir`) with `target_args` and asserts that
/// it passes.
fn assert_replays_green(dir: &Path, cases: &str, target_args: &[&str]) {
    let mut args = vec!["run", "--cases", cases];
    args.extend_from_slice(target_args);
    let replay = scimcert(dir, &args);
    assert_exit(&replay, 0);
    assert!(
        stdout(&replay).contains("1 passed, 0 failed, 0 warned"),
        "{}",
        shown(&replay)
    );
}

#[test]
fn record_writes_a_case_that_loads_and_replays_green() {
    let dir = common::workdir("tools");
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"rec-bjensen","name":{"givenName":"Barbara"},"emails":[{"value":"b@example.com","primary":true}]}"#;
    let out = record(
        &dir,
        &[
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
    assert_exit(&out, 0);
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

    assert_replays_green(
        &dir,
        "cases/recorded/create.yaml",
        &["--no-config", "--profile", "vmware"],
    );

    // An existing file is kept unless --force.
    let again = ["/Users", "--out", "cases/recorded/create.yaml"];
    assert_usage_error(&record(&dir, &again), "give --force");
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), text);
    assert_exit(&record(&dir, &[&again[..], &["--force"]].concat()), 0);
    assert_ne!(std::fs::read_to_string(&file).expect("rewritten"), text);
}

#[test]
fn record_from_curl_lines_captures_ids_and_replays_green() {
    // Fabric ids are `User_<n>`; the file names one an earlier run created, which is
    // taken for the user the first line creates now.
    let dir = common::workdir("tools");
    let create = r#"{"profile":"Subscriber","scimAttributes":{"userName":"rec-fabric-user","name":{"givenName":"Barbara","familyName":"Jensen"}}}"#;
    let patch = r#"{"profile":"Subscriber","Operations":[{"operation":"replace","path":"scimAttributes:displayName","value":"Babs"}]}"#;
    let curl = format!(
        "# as `repro` prints them, from another run\n\
         curl -sS -i -X POST 'http://127.0.0.1:1/userManagement/v1/user' -H 'Accept: application/json' -H 'Content-Type: application/json' -H 'Authorization: Bearer ***' --data-raw '{create}'\n\
         curl -sS -i -X PATCH 'http://127.0.0.1:1/userManagement/v1/user/User_977' \\\n  -H 'Authorization: Bearer ***' --data-raw '{patch}'\n\
         curl -sS -i 'http://127.0.0.1:1/userManagement/v1/user?filter=userName%20eq%20%22rec-fabric-user%22'\n"
    );
    std::fs::write(dir.join("seq.sh"), curl).expect("curl file");
    let out = record(
        &dir,
        &[
            "--profile",
            "fabric",
            "--from",
            "seq.sh",
            "--out",
            "cases/fabric.yaml",
        ],
    );
    assert_exit(&out, 0);
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

    assert_replays_green(
        &dir,
        "cases/fabric.yaml",
        &["--no-config", "--profile", "fabric"],
    );
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
    let dir = common::workdir("tools");
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
    assert_exit(&out, 0);
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

    assert_replays_green(
        &dir,
        "rec.yaml",
        &["--target", &base, "--api", "scim", "--no-discovery"],
    );
}

#[test]
fn record_refuses_bad_input_before_sending() {
    let dir = common::workdir("tools");
    std::fs::write(dir.join("bad.sh"), "curl http://h/x\nwget http://h/y\n").expect("write");
    for (args, expected) in [
        (vec![], "required"),
        (vec!["Users"], "must start with `/`"),
        (vec!["/Users", "--id", "a b"], "--id `a b`"),
        (vec!["--from", "missing.sh"], "cannot read missing.sh"),
        (
            vec!["--from", "bad.sh"],
            "bad.sh:2: expected a `curl` command",
        ),
    ] {
        let args = [&args[..], &["--out", "x.yaml"]].concat();
        assert_usage_error(&record(&dir, &args), expected);
        assert!(!dir.join("x.yaml").exists(), "{args:?}");
    }
}

// ---------------------------------------------------------------- diff

/// `scimcert diff` in the repository between targets `a` and `b`.
fn diff(a: &str, b: &str, extra: &[&str]) -> Output {
    let mut args = vec!["diff", "--target", a, "--target", b];
    args.extend_from_slice(extra);
    in_repo(&args)
}

#[test]
fn diff_of_vmware_and_rfc7644_reports_the_documented_deviations() {
    let out = diff("builtin:vmware", "builtin:rfc7644", &["--case", "vmw-*"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
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

    let verdicts = diff(
        "builtin:vmware",
        "builtin:rfc7644",
        &[
            "--case",
            "vmw-create-answers-200",
            "--case",
            "vmw-seed-example-applied",
            "--verdicts-only",
        ],
    );
    assert_exit(&verdicts, 1);
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
    let out = diff("builtin:vmware", "builtin:vmware", &[]);
    assert_exit(&out, 0);
    let text = stdout(&out);
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
    let one = in_repo(&["diff", "--target", "builtin:vmware"]);
    assert_usage_error(&one, "give --target twice");
    let mixed = diff("builtin:vmware", "builtin:fabric", &[]);
    assert_usage_error(&mixed, "fabric simulation speaks the idm api");
    let unknown = diff("builtin:nope", "builtin:vmware", &[]);
    assert_usage_error(&unknown, "unknown profile `nope`");
}

// ---------------------------------------------------------------- builtin targets

#[test]
fn run_takes_a_builtin_target_as_the_tools_do() {
    // One simulation under another profile's expectations, as with repro and diff.
    let out = in_repo(&[
        "run",
        "--target",
        "builtin:rfc7644",
        "--profile",
        "vmware",
        "--case",
        "vmw-create-answers-200",
    ]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains(
            "1 case run(s) against builtin:rfc7644 (built-in scim simulation of profile rfc7644)"
        ),
        "{text}"
    );
    assert!(
        text.contains("FAIL  scim::vmw-create-answers-200 [vmware]"),
        "{text}"
    );
    assert!(
        text.contains("fail: status: expected status 200, got 201"),
        "{text}"
    );

    // Alone, it runs the cases of its API and profile, as `--profile` does.
    let own = in_repo(&[
        "run",
        "--target",
        "builtin:vmware",
        "--case",
        "vmw-create-answers-200",
        "--case",
        "idm-err-readonly-token",
    ]);
    assert_exit(&own, 0);
    assert!(stdout(&own).contains("1 case run(s)"), "{}", shown(&own));

    let mixed = in_repo(&["run", "--target", "builtin:fabric", "--profile", "vmware"]);
    assert_usage_error(&mixed, "the fabric simulation speaks the idm api");
    let unknown = in_repo(&["run", "--target", "builtin:nope"]);
    assert_usage_error(&unknown, "unknown profile `nope`");
}
