//! `scimcert mock --client-report` / `--strict-client` against a scripted client: a known
//! mix of correct and broken requests to each mock. The report lists exactly the broken
//! ones, under the right rule ids, with secrets masked; `--strict-client` rejects
//! exactly the requests that break a client MUST.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{MockProcess, tempdir};
use serde_json::{Value, json};

const TOKEN: &str = "client-report-token-5e1d";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON: &str = "application/scim+json";

/// One scripted request and the rules it breaks (`must` ones first, then the rest).
struct Step {
    method: &'static str,
    /// Relative to the API base; `{id}` is the user created by the first step.
    path: &'static str,
    content_type: Option<&'static str>,
    body: Option<Value>,
    /// Rules a `must` finding is expected for (strict mode rejects these requests).
    must: &'static [&'static str],
    /// Rules a `should` or `info` finding is expected for.
    other: &'static [&'static str],
}

fn step(
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    must: &'static [&'static str],
    other: &'static [&'static str],
) -> Step {
    let content_type = body.as_ref().map(|_| SCIM_JSON);
    Step {
        method,
        path,
        content_type,
        body,
        must,
        other,
    }
}

fn patch_op(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH_OP], "Operations": ops}))
}

fn scim_script() -> Vec<Step> {
    vec![
        // Correct requests.
        step(
            "POST",
            "/Users",
            Some(
                json!({"userName": "cr-good-1", "password": "pw-never-shown", "emails": [
                    {"value": "a@example.com", "primary": true}, {"value": "b@example.com"}
                ]}),
            ),
            &[],
            &[],
        ),
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{"op": "replace", "path": "title", "value": "Guide"}])),
            &[],
            &[],
        ),
        step(
            "GET",
            "/Users?filter=userName%20eq%20%22cr-good-1%22",
            None,
            &[],
            &[],
        ),
        step(
            "POST",
            "/Users/.search",
            Some(json!({"filter": "userName sw \"cr\"", "attributes": ["userName"]})),
            &[],
            &[],
        ),
        // Broken ones.
        step(
            "PATCH",
            "/Users/{id}",
            // The token in a value: the report must mask it.
            Some(json!({"Operations": [{"op": "replace", "path": "title", "value": TOKEN}]})),
            &["P-03"],
            &[],
        ),
        step("PATCH", "/Users/{id}", patch_op(json!([])), &["P-04"], &[]),
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{"op": "Replace", "path": "title", "value": "x"}])),
            &["P-05"],
            &["E1"],
        ),
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{"op": "remove"}])),
            &["P-06"],
            &[],
        ),
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{"op": "add", "path": "nickName"}])),
            &["P-07"],
            &[],
        ),
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{"op": "replace", "path": "id", "value": "other"}])),
            &["P-08"],
            &[],
        ),
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{"op": "replace", "path": "active", "value": "False"}])),
            &["P-08"],
            &["E2"],
        ),
        step(
            "POST",
            "/Users",
            Some(json!({"userName": "cr-two-primaries", "emails": [
                {"value": "a@example.com", "primary": true}, {"value": "b@example.com", "primary": true}
            ]})),
            &["C-03"],
            &[],
        ),
        step(
            "POST",
            "/Users",
            Some(json!({"userName": "cr-string-bool", "active": "true"})),
            &["C-04"],
            &["E2"],
        ),
        Step {
            content_type: Some("text/plain"),
            ..step(
                "POST",
                "/Users",
                Some(json!({"userName": "cr-text-plain"})),
                &[],
                &["C-01"],
            )
        },
        step(
            "PATCH",
            "/Users/{id}",
            patch_op(json!([{
                "op": "add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "value": {"department": "Tours"}
            }])),
            &[],
            &["P-29"],
        ),
    ]
}

fn idm_script() -> Vec<Step> {
    let json_ct = |mut s: Step| {
        s.content_type = s.body.as_ref().map(|_| "application/json");
        s
    };
    vec![
        json_ct(step(
            "POST",
            "/user",
            Some(json!({"profile": "Subscriber", "scimAttributes": {"userName": "cr-idm-1"}})),
            &[],
            &[],
        )),
        json_ct(step(
            "PATCH",
            "/user/{id}",
            Some(json!({"profile": "Subscriber", "Operations": [
                {"operation": "replace", "path": "scimAttributes:title", "value": "Guide"}
            ]})),
            &[],
            &[],
        )),
        json_ct(step(
            "GET",
            "/user?filter=userName%20eq%20%22cr-idm-1%22",
            None,
            &[],
            &[],
        )),
        json_ct(step(
            "PATCH",
            "/user/{id}",
            Some(json!({"profile": "Subscriber", "Operations": [
                {"op": "replace", "path": "scimAttributes:title", "value": "x"}
            ]})),
            &["OD-10"],
            &[],
        )),
        json_ct(step(
            "PATCH",
            "/user/{id}",
            Some(json!({"Operations": [
                {"operation": "replace", "path": "scimAttributes:title", "value": "x"}
            ]})),
            &["OD-05"],
            &[],
        )),
        json_ct(step(
            "PATCH",
            "/user/{id}",
            Some(json!({"profile": "Subscriber", "Operations": []})),
            &["OD-11"],
            &[],
        )),
        json_ct(step(
            "PATCH",
            "/user/{id}",
            Some(json!({"profile": "Subscriber", "Operations": [
                {"operation": "replace", "path": "title", "value": "x"}
            ]})),
            &["OD-04"],
            &[],
        )),
        json_ct(step(
            "PATCH",
            "/user/{id}",
            Some(json!({"profile": "Subscriber", "Operations": [
                {"operation": "add", "path": "scimAttributes:nickName"}
            ]})),
            &["OD-08"],
            &[],
        )),
        Step {
            content_type: Some("text/plain"),
            ..step(
                "PATCH",
                "/user/{id}",
                Some(json!({"profile": "Subscriber", "Operations": [
                    {"operation": "replace", "path": "scimAttributes:title", "value": "y"}
                ]})),
                &["OD-17"],
                &[],
            )
        },
        // Accepted by the simulation, not the documented media type: info only.
        step(
            "PATCH",
            "/user/{id}",
            Some(json!({"profile": "Subscriber", "Operations": [
                {"operation": "replace", "path": "scimAttributes:title", "value": "z"}
            ]})),
            &[],
            &["OD-17"],
        ),
    ]
}

/// Answers of one scripted run: (status, body) per step.
fn run_script(base_url: &str, script: &[Step]) -> Vec<(u16, Value)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::new();
    let mut id = String::new();
    let mut answers = Vec::new();
    for (index, step) in script.iter().enumerate() {
        let url = format!("{base_url}{}", step.path.replace("{id}", &id));
        let method = reqwest::Method::from_bytes(step.method.as_bytes()).expect("method");
        let mut request = client.request(method, url).bearer_auth(TOKEN);
        if let Some(ct) = step.content_type {
            request = request.header("content-type", ct);
        }
        if let Some(body) = &step.body {
            request = request.body(serde_json::to_vec(body).expect("json"));
        }
        let (status, bytes) = runtime.block_on(async {
            let response = request.send().await.expect("send");
            let status = response.status().as_u16();
            (status, response.bytes().await.expect("body"))
        });
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if index == 0 {
            assert!(matches!(status, 200 | 201), "first step creates: {body}");
            id = body["id"].as_str().expect("id").to_string();
        }
        answers.push((status, body));
    }
    answers
}

/// The profile the scripts are written for: RFC 7644 as written for SCIM (under
/// `vmware`, a PatchOp without `schemas` is documented, VD-02, and only reported as info).
fn profile_of(api: &str) -> &'static str {
    if api == "scim" { "rfc7644" } else { "fabric" }
}

/// Rule → 1-based indices of the requests expected to break it.
fn expected(script: &[Step]) -> BTreeMap<String, BTreeSet<u64>> {
    let mut map: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for (index, step) in script.iter().enumerate() {
        for rule in step.must.iter().chain(step.other) {
            map.entry(rule.to_string())
                .or_default()
                .insert(index as u64 + 1);
        }
    }
    map
}

fn check_report(api: &str, script: &[Step]) {
    let dir = tempdir(&format!("client-report-{api}"));
    let dir_arg = dir.display().to_string();
    let mut mock = MockProcess::start(&[
        api,
        "--profile",
        profile_of(api),
        "--token",
        TOKEN,
        "--client-report",
        &dir_arg,
    ]);
    run_script(&mock.base_url, script);
    assert!(
        mock.terminate().success(),
        "the mock stops cleanly on SIGTERM"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).expect("report.json written on SIGTERM"),
    )
    .expect("report.json");
    assert_eq!(report["kind"], "client");
    assert_eq!(report["summary"]["requests"], script.len());
    let mut found: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for rule in report["rules"].as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id").to_string();
        let indices: BTreeSet<u64> = rule["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| r["index"].as_u64().expect("index"))
            .collect();
        assert_eq!(rule["count"].as_u64(), Some(indices.len() as u64), "{id}");
        if !indices.is_empty() {
            found.insert(id, indices);
        }
    }
    assert_eq!(
        found,
        expected(script),
        "{api}: rules and offending requests"
    );
    // A rule a MUST was broken for fails; nothing else does.
    let failed: BTreeSet<&str> = report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["verdict"] == "fail")
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let musts: BTreeSet<&str> = script.iter().flat_map(|s| s.must.iter().copied()).collect();
    assert_eq!(failed, musts, "{api}: failing rules");
    let markdown = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).expect("junit.xml");
    for rule in &musts {
        assert!(
            markdown.contains(&format!("### {rule} (must)")),
            "{rule} in report.md"
        );
        assert!(
            junit.contains(&format!("name=\"{rule}\"")),
            "{rule} in junit.xml"
        );
    }
    assert_eq!(
        junit.matches("<failure").count(),
        musts.len(),
        "{api}: one JUnit failure per broken MUST rule"
    );
    for (name, text) in [("report.md", &markdown), ("junit.xml", &junit)] {
        assert!(!text.contains(TOKEN), "{name} shows the token");
    }
    assert!(
        !report.to_string().contains(TOKEN),
        "report.json shows the token"
    );
    assert!(
        markdown.contains("Bearer ***"),
        "the Authorization header is shown masked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Strict mode refuses exactly the requests with a `must` finding, naming the rules, and
/// (SCIM only) with the `scimType` the first breach calls for, in order: `scim_types`.
fn check_strict(api: &str, script: &[Step], scim_types: &[&str]) {
    let mock = MockProcess::start(&[
        api,
        "--profile",
        profile_of(api),
        "--token",
        TOKEN,
        "--strict-client",
    ]);
    let answers = run_script(&mock.base_url, script);
    let mut given = Vec::new();
    for (index, (step, (status, body))) in script.iter().zip(&answers).enumerate() {
        let text = body.to_string();
        let rejected = text.contains("--strict-client");
        assert_eq!(
            rejected,
            !step.must.is_empty(),
            "{api} request #{}: {status} {text}",
            index + 1
        );
        if rejected {
            assert_eq!(*status, 400, "{text}");
            for rule in step.must {
                assert!(text.contains(rule), "the error names {rule}: {text}");
            }
            if let Some(scim_type) = body.get("scimType") {
                given.push(scim_type.as_str().unwrap_or("not a string").to_string());
            }
        }
    }
    assert_eq!(given, scim_types, "{api}: the refusals' scimType, in order");
}

#[test]
fn scim_report_lists_exactly_the_broken_requests() {
    check_report("scim", &scim_script());
}

#[test]
fn idm_report_lists_exactly_the_broken_requests() {
    check_report("idm", &idm_script());
}

#[test]
fn strict_client_rejects_exactly_the_must_breaches() {
    // P-03, P-04, P-05: the PatchOp's shape; P-06: remove without a path; P-07: no
    // value; P-08 on `id`: readOnly; P-08 "False" for a boolean, C-03, C-04: values.
    let scim_types = [
        "invalidSyntax",
        "invalidSyntax",
        "invalidSyntax",
        "noTarget",
        "invalidValue",
        "mutability",
        "invalidValue",
        "invalidValue",
        "invalidValue",
    ];
    check_strict("scim", &scim_script(), &scim_types);
    // The TM Forum error has no scimType.
    check_strict("idm", &idm_script(), &[]);
}

#[test]
fn state_endpoint_dumps_users_and_needs_the_token() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mock = MockProcess::start(&["scim", "--token", TOKEN]);
    run_script(&mock.base_url, &scim_script()[..1]);
    let root = mock
        .base_url
        .split("/usergroup/")
        .next()
        .expect("root")
        .to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::new();
    let (status, state) = runtime.block_on(async {
        let response = client
            .get(format!("{root}/_scimcert/state"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("state");
        let status = response.status().as_u16();
        let body: Value =
            serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
        (status, body)
    });
    assert_eq!(status, 200);
    assert_eq!(state["tenants"]["my-tenant"][0]["userName"], "cr-good-1");
    assert_eq!(
        state["tenants"]["my-tenant"][0]["emails"][0]["value"],
        "a@example.com"
    );
    assert!(
        state["tenants"]["my-tenant"][0].get("password").is_none(),
        "password is never returned"
    );
    let unauthorised = runtime.block_on(async {
        client
            .get(format!("{root}/_scimcert/state"))
            .bearer_auth("scimcert-sim-readonly")
            .send()
            .await
            .expect("state")
            .status()
            .as_u16()
    });
    assert_eq!(unauthorised, 401, "the read-only token does not open it");
    // Without --client-report the report endpoint says how to get one.
    let missing = runtime.block_on(async {
        client
            .get(format!("{root}/_scimcert/client-report"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("report")
            .status()
            .as_u16()
    });
    assert_eq!(missing, 404);
}
