//! The SCIM simulation over real HTTP: adapter, fault injection, standalone serving.

use std::time::{Duration, Instant};

use scimcert::api::Profile;
use scimcert::sim::{DEFAULT_TOKEN, FAULT_HEADER, FaultPlan, SimOptions, Simulation, serve};
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn client() -> reqwest::Client {
    // reqwest is built without a default TLS provider; plain http needs none, but the
    // builder wants one installed. Another test may have installed it already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

struct Call {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Result<Call, reqwest::Error> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut builder = client.request(method, url).bearer_auth(DEFAULT_TOKEN);
    if let Some(body) = body {
        builder = builder
            .header("content-type", "application/scim+json")
            .body(serde_json::to_vec(&body).expect("json"));
    }
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    let response = builder.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    Ok(Call {
        status,
        headers,
        body,
    })
}

async fn create_user(client: &reqwest::Client, sim: &Simulation, name: &str) -> String {
    let url = format!("{}/Users", sim.base_url());
    let created = call(client, "POST", &url, Some(json!({"userName": name})), &[])
        .await
        .expect("create");
    assert!(matches!(created.status, 200 | 201), "{}", created.body);
    created.body["id"].as_str().expect("id").to_string()
}

fn set_title(title: &str) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": title}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_over_http_with_etags_and_media_type() {
    let sim = Simulation::start(SimOptions::new(Profile::Vmware))
        .await
        .expect("start");
    let client = client();
    let users = format!("{}/Users", sim.base_url());
    let created = call(
        &client,
        "POST",
        &users,
        Some(json!({"userName": "bjensen"})),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(created.status, 200, "VD-01");
    let id = created.body["id"].as_str().unwrap().to_string();
    let location = created.body["meta"]["location"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        location,
        format!("{users}/{id}"),
        "meta.location is the absolute URL"
    );
    assert_eq!(
        created.headers["content-type"].to_str().unwrap(),
        "application/scim+json"
    );

    let patched = call(
        &client,
        "PATCH",
        &location,
        Some(set_title("Boss")),
        &[("if-match", "W/\"1\"")],
    )
    .await
    .unwrap();
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["title"], "Boss");
    assert_eq!(patched.headers["etag"].to_str().unwrap(), "W/\"2\"");

    let stale = call(
        &client,
        "PATCH",
        &location,
        Some(set_title("x")),
        &[("if-match", "W/\"1\"")],
    )
    .await
    .unwrap();
    assert_eq!(stale.status, 409);
    assert_eq!(stale.body["status"], "409");

    let filtered = format!("{users}?filter=userName%20eq%20%22BJENSEN%22&attributes=userName");
    let list = call(&client, "GET", &filtered, None, &[]).await.unwrap();
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalResults"], 1);
    assert_eq!(list.body["resources"][0]["id"], json!(id));

    let unauthorised = client.get(&location).send().await.unwrap();
    assert_eq!(unauthorised.status().as_u16(), 401);
    assert_eq!(
        unauthorised.headers()["www-authenticate"].to_str().unwrap(),
        "Bearer realm=\"scimcert\""
    );

    let deleted = call(&client, "DELETE", &location, None, &[]).await.unwrap();
    assert_eq!(deleted.status, 204);
    assert_eq!(
        call(&client, "GET", &location, None, &[])
            .await
            .unwrap()
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_encoded_tenant_is_decoded_and_isolated() {
    let sim = Simulation::start(SimOptions::new(Profile::Rfc7644))
        .await
        .expect("start");
    let client = client();
    let spaced = format!("{}/usergroup/t/my%20tenant/scim/v2/Users", sim.uri());
    let created = call(
        &client,
        "POST",
        &spaced,
        Some(json!({"userName": "a"})),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let location = created.body["meta"]["location"].as_str().unwrap();
    assert!(
        location.contains("/usergroup/t/my%20tenant/scim/v2/Users/"),
        "{location}"
    );
    assert_eq!(
        call(&client, "GET", location, None, &[])
            .await
            .unwrap()
            .status,
        200
    );
    let id = created.body["id"].as_str().unwrap();
    let default_tenant = format!("{}/Users/{id}", sim.base_url());
    assert_eq!(
        call(&client, "GET", &default_tenant, None, &[])
            .await
            .unwrap()
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_error_rate_answers_500_before_the_handler() {
    let mut options = SimOptions::new(Profile::Vmware);
    options.faults = FaultPlan::parse("PATCH /Users/* error-rate=0.5").unwrap();
    let sim = Simulation::start(options).await.expect("start");
    let client = client();
    let id = create_user(&client, &sim, "bjensen").await;
    let user = format!("{}/Users/{id}", sim.base_url());
    let mut statuses = Vec::new();
    for title in ["a", "b", "c", "d"] {
        let answer = call(&client, "PATCH", &user, Some(set_title(title)), &[])
            .await
            .unwrap();
        if answer.status == 500 {
            assert_eq!(
                answer.body["schemas"][0],
                "urn:ietf:params:scim:api:messages:2.0:Error"
            );
            assert_eq!(answer.body["status"], "500");
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [200, 500, 200, 500]);
    // Only the two answered PATCHes reached the store; GETs are not affected by the rule.
    let fetched = call(&client, "GET", &user, None, &[]).await.unwrap();
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["meta"]["version"], "W/\"3\"");
    assert_eq!(fetched.body["title"], "c");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_faults_status_latency_drop_and_invalid() {
    let sim = Simulation::start(SimOptions::new(Profile::Rfc7644))
        .await
        .expect("start");
    let client = client();
    let id = create_user(&client, &sim, "bjensen").await;
    let user = format!("{}/Users/{id}", sim.base_url());

    let forced = call(
        &client,
        "PATCH",
        &user,
        Some(set_title("x")),
        &[(FAULT_HEADER, "status=503")],
    )
    .await
    .unwrap();
    assert_eq!(forced.status, 503);
    assert_eq!(forced.body["status"], "503");
    let fetched = call(&client, "GET", &user, None, &[]).await.unwrap();
    assert_eq!(
        fetched.body["meta"]["version"], "W/\"1\"",
        "a forced status never reaches the store"
    );
    assert!(fetched.body.get("title").is_none());

    let other_route = call(
        &client,
        "GET",
        &user,
        None,
        &[(FAULT_HEADER, "POST /Users status=503")],
    )
    .await
    .unwrap();
    assert_eq!(
        other_route.status, 200,
        "the header's route selector applies"
    );

    let started = Instant::now();
    let slow = call(
        &client,
        "GET",
        &user,
        None,
        &[(FAULT_HEADER, "latency=150ms")],
    )
    .await
    .unwrap();
    assert_eq!(slow.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );

    let dropped = call(
        &client,
        "PATCH",
        &user,
        Some(set_title("y")),
        &[(FAULT_HEADER, "drop")],
    )
    .await;
    let error = dropped
        .err()
        .expect("the connection is dropped, no response");
    assert!(!error.is_timeout(), "{error:?}");
    let fetched = call(&client, "GET", &user, None, &[])
        .await
        .expect("the server still answers");
    assert_eq!(fetched.body["meta"]["version"], "W/\"1\"");

    let invalid = call(&client, "GET", &user, None, &[(FAULT_HEADER, "explode=1")])
        .await
        .unwrap();
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.body["detail"]
            .as_str()
            .unwrap()
            .contains(FAULT_HEADER),
        "{}",
        invalid.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_header_ignored_unless_allowed() {
    let mut options = SimOptions::new(Profile::Rfc7644);
    options.allow_fault_header = false;
    let sim = Simulation::start(options).await.expect("start");
    let client = client();
    let id = create_user(&client, &sim, "bjensen").await;
    let user = format!("{}/Users/{id}", sim.base_url());
    for spec in ["status=503", "drop", "nonsense"] {
        let answer = call(&client, "GET", &user, None, &[(FAULT_HEADER, spec)])
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{spec}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_413_over_http() {
    let mut options = SimOptions::new(Profile::Vmware);
    options.body_limit = 128;
    let sim = Simulation::start(options).await.expect("start");
    let client = client();
    let url = format!("{}/Users", sim.base_url());
    let big = json!({"userName": "x", "displayName": "y".repeat(200)});
    let answer = call(&client, "POST", &url, Some(big), &[]).await.unwrap();
    assert_eq!(answer.status, 413);
    assert_eq!(answer.body["status"], "413");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_binds_loopback() {
    let sim = serve(SimOptions::new(Profile::Vmware), 0)
        .await
        .expect("serve");
    assert!(sim.uri().starts_with("http://127.0.0.1:"), "{}", sim.uri());
    assert!(sim.base_url().ends_with("/usergroup/t/my-tenant/scim/v2"));
    let client = client();
    let spc = call(
        &client,
        "GET",
        &format!("{}/ServiceProviderConfig", sim.base_url()),
        None,
        &[],
    )
    .await
    .unwrap();
    assert_eq!(spc.status, 200);
    assert_eq!(spc.body["patch"]["supported"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_rule_closes_the_connection_unanswered() {
    let mut options = SimOptions::new(Profile::Rfc7644);
    options.faults = FaultPlan::parse("DELETE /Users/* drop").unwrap();
    let sim = Simulation::start(options).await.expect("start");
    let client = client();
    let user = format!("{}/Users/some-id", sim.base_url());
    let started = Instant::now();
    let error = call(&client, "DELETE", &user, None, &[])
        .await
        .err()
        .expect("no response");
    assert!(
        error.is_request() || error.is_connect() || error.is_body(),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a drop is not a long delay"
    );
    let answered = call(&client, "GET", &user, None, &[])
        .await
        .expect("other routes answer");
    assert_eq!(answered.status, 404);
}

/// RFC 7644 §3.4.3 over HTTP, on both front ends (wiremock and the standalone hyper
/// server) and under every SCIM profile: `/Users/.search` and the root `/.search` answer
/// with GET's filter, paging and projection; errors come in the SCIM error body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_search_matches_get_on_both_front_ends() {
    let client = client();
    for profile in [
        Profile::Vmware,
        Profile::Rfc7644,
        Profile::Entra,
        Profile::Okta,
    ] {
        let in_process = Simulation::start(SimOptions::new(profile))
            .await
            .expect("start");
        let standalone = serve(SimOptions::new(profile), 0).await.expect("serve");
        for base in [in_process.base_url(), standalone.base_url()] {
            let member = if profile == Profile::Vmware {
                "resources"
            } else {
                "Resources"
            };
            for name in ["search-a", "search-b", "other"] {
                let created = call(
                    &client,
                    "POST",
                    &format!("{base}/Users"),
                    Some(json!({"userName": name, "title": "T"})),
                    &[],
                )
                .await
                .expect("create");
                assert!(matches!(created.status, 200 | 201), "{}", created.body);
            }
            let filter = "userName sw \"search\"";
            let get = call(
                &client,
                "GET",
                &format!(
                    "{base}/Users?filter={}&attributes=title&count=1&startIndex=2",
                    urlencode(filter)
                ),
                None,
                &[],
            )
            .await
            .expect("get");
            assert_eq!(get.status, 200, "{profile:?} {}", get.body);
            for path in ["/Users/.search", "/.search"] {
                let search = call(
                    &client,
                    "POST",
                    &format!("{base}{path}"),
                    Some(json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                        "filter": filter,
                        "attributes": ["title"],
                        "startIndex": 2,
                        "count": 1
                    })),
                    &[],
                )
                .await
                .expect("search");
                assert_eq!(search.status, 200, "{profile:?} {path} {}", search.body);
                assert_eq!(search.body, get.body, "{profile:?} {path}");
                assert_eq!(search.body["totalResults"], 2, "{profile:?} {path}");
                let page = search.body[member].as_array().expect("members");
                assert_eq!(page.len(), 1, "{profile:?} {path}");
                assert_eq!(page[0]["title"], "T");
                assert!(page[0].get("userName").is_none(), "{profile:?} {path}");
                let bad = call(
                    &client,
                    "POST",
                    &format!("{base}{path}"),
                    Some(json!({"filter": "userName eq"})),
                    &[],
                )
                .await
                .expect("bad search");
                assert_eq!(bad.status, 400, "{profile:?} {path}");
                assert_eq!(bad.body["scimType"], "invalidFilter", "{}", bad.body);
                assert_eq!(
                    bad.body["schemas"][0],
                    "urn:ietf:params:scim:api:messages:2.0:Error"
                );
            }
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
