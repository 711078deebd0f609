//! Security of the built-in simulations, over real HTTP: bearer tokens are enforced,
//! SCIM tenants are isolated, and oversized bodies, JSON nested 10,000 deep and paths or
//! filters of 100 kB are refused quickly, in the API's own error shape, without taking
//! the simulation down. The case loader gets the same hostile nesting.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use scimcert::api::Profile;
use scimcert::sim::{
    DEFAULT_BODY_LIMIT, DEFAULT_READONLY_TOKEN, DEFAULT_TENANT, DEFAULT_TOKEN, ERROR_URN,
    SimOptions, Simulation,
};
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Any refusal below must come back within this, even on a loaded 2-core machine.
const QUICKLY: Duration = Duration::from_secs(5);
/// Nesting depth of the hostile JSON and filters.
const DEEP: usize = 10_000;
/// Longest filter sent in a query string: a URI is limited to 64 kB.
const MAX_QUERY: usize = 20 * 1024;

/// A plain-http client; reqwest is built without a default rustls provider.
fn client() -> reqwest::Client {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// One answer, its body parsed as JSON (`Null` when empty).
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
    elapsed: Duration,
}

impl Reply {
    fn header(&self, name: reqwest::header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

/// How a request authenticates.
#[derive(Clone, Copy, Debug)]
enum Credentials<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `Authorization: <value>`, verbatim.
    Header(&'a str),
    /// No `Authorization` header.
    None,
}

/// A request to a simulation.
struct Call<'a> {
    method: &'a str,
    url: String,
    credentials: Credentials<'a>,
    content_type: &'a str,
    body: Option<Vec<u8>>,
}

impl<'a> Call<'a> {
    fn new(method: &'a str, url: String) -> Self {
        Call {
            method,
            url,
            credentials: Credentials::Bearer(DEFAULT_TOKEN),
            content_type: "application/scim+json",
            body: None,
        }
    }

    fn credentials(mut self, credentials: Credentials<'a>) -> Self {
        self.credentials = credentials;
        self
    }

    fn json(self, body: &Value) -> Self {
        self.raw(body.to_string().into_bytes())
    }

    fn raw(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }

    fn content_type(mut self, content_type: &'a str) -> Self {
        self.content_type = content_type;
        self
    }

    async fn send(self, client: &reqwest::Client) -> Reply {
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut builder = client.request(method, &self.url);
        builder = match self.credentials {
            Credentials::Bearer(token) => builder.bearer_auth(token),
            Credentials::Header(value) => builder.header("authorization", value),
            Credentials::None => builder,
        };
        if let Some(body) = self.body {
            builder = builder.header(CONTENT_TYPE, self.content_type).body(body);
        }
        let started = Instant::now();
        // Without the URL: some are 100 kB long.
        let response = builder
            .send()
            .await
            .unwrap_or_else(|error| panic!("no answer: {}", error.without_url()));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let elapsed = started.elapsed();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        Reply {
            status,
            headers,
            body,
            elapsed,
        }
    }
}

/// Asserts an RFC 7644 §3.12 error with this status (and `scimType`, when given).
fn assert_scim_error(reply: &Reply, status: u16, scim_type: Option<&str>, what: &str) {
    let context = format!("{what}: {} {}", reply.status, reply.body);
    assert_eq!(reply.status, status, "{context}");
    assert_eq!(reply.body["schemas"], json!([ERROR_URN]), "{context}");
    assert_eq!(reply.body["status"], json!(status.to_string()), "{context}");
    assert!(reply.body["detail"].is_string(), "{context}");
    if let Some(scim_type) = scim_type {
        assert_eq!(reply.body["scimType"], json!(scim_type), "{context}");
    }
    assert!(
        reply.header(CONTENT_TYPE).contains("json"),
        "{context}: Content-Type {}",
        reply.header(CONTENT_TYPE)
    );
    assert!(
        reply.elapsed < QUICKLY,
        "{context}: took {:?}",
        reply.elapsed
    );
}

/// Asserts a TM Forum `Error` with this status.
fn assert_tm_forum_error(reply: &Reply, status: u16, what: &str) {
    let context = format!("{what}: {} {}", reply.status, reply.body);
    assert_eq!(reply.status, status, "{context}");
    assert_eq!(reply.body["code"], json!(status.to_string()), "{context}");
    assert_eq!(reply.body["status"], json!(status.to_string()), "{context}");
    assert_eq!(reply.body["@type"], json!("Error"), "{context}");
    assert!(
        reply.body["reason"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty()),
        "{context}"
    );
    assert!(reply.body["message"].is_string(), "{context}");
    assert!(
        reply.header(CONTENT_TYPE).starts_with("application/json"),
        "{context}: Content-Type {}",
        reply.header(CONTENT_TYPE)
    );
    assert!(
        reply.elapsed < QUICKLY,
        "{context}: took {:?}",
        reply.elapsed
    );
}

/// Asserts a 401 carrying an RFC 6750 `Bearer` challenge that does not echo `secret`.
fn assert_challenge(reply: &Reply, secret: Option<&str>, what: &str) {
    let challenge = reply.header(WWW_AUTHENTICATE);
    assert!(
        challenge.starts_with("Bearer "),
        "{what}: WWW-Authenticate `{challenge}`"
    );
    if let Some(secret) = secret {
        assert!(
            !reply.body.to_string().contains(secret),
            "{what}: the 401 echoes the credentials: {}",
            reply.body
        );
    }
}

/// Credentials that must all be refused, with the secret each carries.
fn bad_credentials() -> Vec<(Credentials<'static>, Option<&'static str>)> {
    vec![
        (Credentials::None, None),
        (Credentials::Bearer("not-the-token"), Some("not-the-token")),
        (Credentials::Bearer(""), None),
        (Credentials::Header("Bearer"), None),
        (
            Credentials::Header("Basic c2NpbWNlcnQtc2ltLXRva2Vu"),
            Some("c2NpbWNlcnQtc2ltLXRva2Vu"),
        ),
        // The right token under another scheme, or with something after it.
        (Credentials::Header("Token scimcert-sim-token"), None),
        (Credentials::Header("Bearer scimcert-sim-token x"), None),
    ]
}

/// JSON arrays nested `levels` deep around a string.
fn nested_arrays(levels: usize) -> String {
    format!("{}\"x\"{}", "[".repeat(levels), "]".repeat(levels))
}

/// A filter of `levels` parentheses around one comparison.
fn nested_filter(levels: usize) -> String {
    format!(
        "{}userName eq \"x\"{}",
        "(".repeat(levels),
        ")".repeat(levels)
    )
}

async fn scim_sim(profile: Profile) -> Simulation {
    Simulation::start(SimOptions::new(profile))
        .await
        .expect("simulation starts")
}

async fn idm_sim() -> Simulation {
    Simulation::start(SimOptions::new(Profile::Fabric))
        .await
        .expect("simulation starts")
}

async fn scim_create(client: &reqwest::Client, base: &str, name: &str) -> String {
    let reply = Call::new("POST", format!("{base}/Users"))
        .json(&json!({"userName": name}))
        .send(client)
        .await;
    assert!(matches!(reply.status, 200 | 201), "{}", reply.body);
    reply.body["id"].as_str().expect("id").to_string()
}

async fn idm_create(client: &reqwest::Client, base: &str, name: &str) -> String {
    let reply = Call::new("POST", format!("{base}/user"))
        .content_type("application/json")
        .json(&json!({"profile": "Subscriber", "scimAttributes": {"userName": name}}))
        .send(client)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().expect("id").to_string()
}

fn patch_nick_name(value: &str) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "nickName", "value": value}]})
}

fn idm_patch_nick_name(value: &str) -> Value {
    json!({"profile": "Subscriber", "Operations": [
        {"operation": "replace", "path": "scimAttributes:nickName", "value": value}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_without_a_valid_bearer_token_is_401_with_a_challenge_and_changes_nothing() {
    let sim = scim_sim(Profile::Vmware).await;
    let client = client();
    let base = sim.base_url();
    let id = scim_create(&client, &base, "kept").await;
    let user = format!("{base}/Users/{id}");
    let requests = [
        ("GET", format!("{base}/Users"), None),
        (
            "POST",
            format!("{base}/Users"),
            Some(json!({"userName": "intruder"})),
        ),
        ("POST", format!("{base}/Users/.search"), Some(json!({}))),
        ("GET", user.clone(), None),
        ("PATCH", user.clone(), Some(patch_nick_name("intruder"))),
        ("PUT", user.clone(), Some(json!({"userName": "intruder"}))),
        ("DELETE", user.clone(), None),
        ("GET", format!("{base}/ServiceProviderConfig"), None),
        ("GET", format!("{base}/Schemas"), None),
        ("GET", format!("{base}/ResourceTypes"), None),
        // An unknown route does not tell an anonymous client that it is unknown.
        ("GET", format!("{base}/Groups"), None),
        // A token in the query string is not a credential (RFC 6750 §2.3 is optional,
        // and a URL ends up in logs).
        (
            "GET",
            format!("{base}/Users/{id}?access_token={DEFAULT_TOKEN}"),
            None,
        ),
    ];
    for (method, url, body) in &requests {
        for (credentials, secret) in bad_credentials() {
            let mut call = Call::new(method, url.clone()).credentials(credentials);
            if let Some(body) = body {
                call = call.json(body);
            }
            let reply = call.send(&client).await;
            let what = format!("{method} {url} with {credentials:?}");
            assert_scim_error(&reply, 401, None, &what);
            assert_challenge(&reply, secret, &what);
        }
    }
    // Nothing the refused requests asked for happened.
    let reply = Call::new("GET", user).send(&client).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["userName"], json!("kept"));
    assert!(reply.body.get("nickName").is_none(), "{}", reply.body);
    let listed = Call::new("GET", format!("{base}/Users"))
        .send(&client)
        .await;
    assert_eq!(listed.body["totalResults"], json!(1), "{}", listed.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_read_only_token_cannot_write() {
    let sim = scim_sim(Profile::Vmware).await;
    let client = client();
    let base = sim.base_url();
    let id = scim_create(&client, &base, "kept").await;
    let user = format!("{base}/Users/{id}");
    let readonly = Credentials::Bearer(DEFAULT_READONLY_TOKEN);
    for (method, url, body) in [
        (
            "POST",
            format!("{base}/Users"),
            Some(json!({"userName": "other"})),
        ),
        ("PATCH", user.clone(), Some(patch_nick_name("changed"))),
        ("PUT", user.clone(), Some(json!({"userName": "changed"}))),
        ("DELETE", user.clone(), None),
    ] {
        let mut call = Call::new(method, url.clone()).credentials(readonly);
        if let Some(body) = &body {
            call = call.json(body);
        }
        let reply = call.send(&client).await;
        assert_scim_error(&reply, 403, None, &format!("{method} {url}"));
    }
    let read = Call::new("GET", user)
        .credentials(readonly)
        .send(&client)
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["userName"], json!("kept"));
    assert!(read.body.get("nickName").is_none(), "{}", read.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idm_without_a_valid_bearer_token_is_401_with_a_challenge_and_changes_nothing() {
    let sim = idm_sim().await;
    let client = client();
    let base = sim.base_url();
    let id = idm_create(&client, &base, "kept").await;
    let user = format!("{base}/user/{id}");
    let requests = [
        (
            "GET".to_string(),
            format!("{base}/user?filter=userName%20eq%20%22kept%22"),
            None,
        ),
        (
            "POST".to_string(),
            format!("{base}/user"),
            Some(json!({"profile": "Subscriber", "scimAttributes": {"userName": "intruder"}})),
        ),
        (
            "PATCH".to_string(),
            user.clone(),
            Some(idm_patch_nick_name("intruder")),
        ),
        (
            "PUT".to_string(),
            user.clone(),
            Some(json!({"profile": "Subscriber", "scimAttributes": {"userName": "intruder"}})),
        ),
        ("GET".to_string(), format!("{base}/nothing-here"), None),
    ];
    for (method, url, body) in &requests {
        for (credentials, secret) in bad_credentials() {
            let mut call = Call::new(method, url.clone())
                .credentials(credentials)
                .content_type("application/json");
            if let Some(body) = body {
                call = call.json(body);
            }
            let reply = call.send(&client).await;
            let what = format!("{method} {url} with {credentials:?}");
            assert_tm_forum_error(&reply, 401, &what);
            assert_challenge(&reply, secret, &what);
        }
    }
    let found = Call::new(
        "GET",
        format!("{base}/user?filter=userName%20eq%20%22kept%22"),
    )
    .send(&client)
    .await;
    assert_eq!(found.body, json!([{"id": id, "userName": "kept"}]));
    let intruder = Call::new(
        "GET",
        format!("{base}/user?filter=userName%20eq%20%22intruder%22"),
    )
    .send(&client)
    .await;
    assert_eq!(intruder.body, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_user_of_one_tenant_is_404_under_another() {
    for profile in [Profile::Vmware, Profile::Rfc7644] {
        let sim = scim_sim(profile).await;
        let client = client();
        let home = sim.base_url();
        assert!(home.contains(&format!("/t/{DEFAULT_TENANT}/")), "{home}");
        let id = scim_create(&client, &home, "bjensen").await;
        // Another tenant, a tenant differing only in case, and one that is a prefix.
        for other in ["other-tenant", "MY-TENANT", "my-tenan"] {
            let foreign = format!("{}/usergroup/t/{other}/scim/v2", sim.uri());
            let user = format!("{foreign}/Users/{id}");
            let attempts = [
                ("GET", None),
                ("PATCH", Some(patch_nick_name("stolen"))),
                ("PUT", Some(json!({"userName": "stolen"}))),
                ("DELETE", None),
            ];
            for (method, body) in attempts {
                let mut call = Call::new(method, user.clone());
                if let Some(body) = &body {
                    call = call.json(body);
                }
                let reply = call.send(&client).await;
                assert_scim_error(&reply, 404, None, &format!("{profile:?} {method} {user}"));
            }
            let listed = Call::new("GET", format!("{foreign}/Users"))
                .send(&client)
                .await;
            assert_eq!(listed.status, 200, "{}", listed.body);
            assert_eq!(listed.body["totalResults"], json!(0), "{}", listed.body);
            let searched = Call::new("POST", format!("{foreign}/Users/.search"))
                .json(&json!({"filter": "userName eq \"bjensen\""}))
                .send(&client)
                .await;
            assert_eq!(searched.body["totalResults"], json!(0), "{}", searched.body);
            // The userName is free there: uniqueness is per tenant too.
            let twin = scim_create(&client, &foreign, "bjensen").await;
            assert_ne!(twin, id);
        }
        // The user is untouched at home.
        let reply = Call::new("GET", format!("{home}/Users/{id}"))
            .send(&client)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["userName"], json!("bjensen"));
        assert!(reply.body.get("nickName").is_none(), "{}", reply.body);
        assert!(
            reply.body["meta"]["location"]
                .as_str()
                .is_some_and(|location| location.contains(&format!("/t/{DEFAULT_TENANT}/"))),
            "{}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_body_over_the_limit_is_413_scim_error() {
    let sim = scim_sim(Profile::Vmware).await;
    let client = client();
    let base = sim.base_url();
    let id = scim_create(&client, &base, "bjensen").await;
    let oversized = |padding: usize| {
        json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "nickName", "value": "x".repeat(padding)}
        ]})
    };
    for (method, url) in [
        ("POST", format!("{base}/Users")),
        ("PATCH", format!("{base}/Users/{id}")),
        ("PUT", format!("{base}/Users/{id}")),
        ("POST", format!("{base}/Users/.search")),
    ] {
        let reply = Call::new(method, url.clone())
            .json(&oversized(DEFAULT_BODY_LIMIT + 1))
            .send(&client)
            .await;
        assert_scim_error(&reply, 413, None, &format!("{method} {url}"));
    }
    // Just under the limit is judged on its merits.
    let under = oversized(DEFAULT_BODY_LIMIT - 1024);
    let reply = Call::new("PATCH", format!("{base}/Users/{id}"))
        .json(&under)
        .send(&client)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body["detail"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idm_body_over_the_limit_is_413_tm_forum_error() {
    let sim = idm_sim().await;
    let client = client();
    let base = sim.base_url();
    let id = idm_create(&client, &base, "bjensen").await;
    let padding = "x".repeat(DEFAULT_BODY_LIMIT + 1);
    for (method, url, body) in [
        (
            "POST",
            format!("{base}/user"),
            json!({"profile": "Subscriber", "scimAttributes": {"userName": padding}}),
        ),
        (
            "PATCH",
            format!("{base}/user/{id}"),
            idm_patch_nick_name(&padding),
        ),
        (
            "PUT",
            format!("{base}/user/{id}"),
            json!({"profile": "Subscriber", "scimAttributes": {"userName": padding}}),
        ),
    ] {
        let reply = Call::new(method, url.clone())
            .content_type("application/json")
            .json(&body)
            .send(&client)
            .await;
        assert_tm_forum_error(&reply, 413, &format!("{method} {url}"));
        assert_eq!(reply.body["reason"], json!("Payload too large"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_json_nested_ten_thousand_deep_is_400_invalid_syntax() {
    let sim = scim_sim(Profile::Vmware).await;
    let client = client();
    let base = sim.base_url();
    let id = scim_create(&client, &base, "bjensen").await;
    let deep_value = format!(
        r#"{{"schemas": ["{PATCH_OP}"], "Operations": [{{"op": "add", "path": "nickName", "value": {}}}]}}"#,
        nested_arrays(DEEP)
    );
    let deep_user = format!(r#"{{"userName": "deep", "name": {}}}"#, nested_arrays(DEEP));
    let deep_objects = format!("{}{}", r#"{"a":"#.repeat(DEEP), "}".repeat(DEEP));
    for (method, url, body) in [
        ("PATCH", format!("{base}/Users/{id}"), deep_value.clone()),
        ("PATCH", format!("{base}/Users/{id}"), nested_arrays(DEEP)),
        ("PATCH", format!("{base}/Users/{id}"), deep_objects.clone()),
        ("POST", format!("{base}/Users"), deep_user.clone()),
        ("PUT", format!("{base}/Users/{id}"), deep_user),
        ("POST", format!("{base}/Users/.search"), deep_objects),
    ] {
        let reply = Call::new(method, url.clone())
            .raw(body.into_bytes())
            .send(&client)
            .await;
        assert_scim_error(
            &reply,
            400,
            Some("invalidSyntax"),
            &format!("{method} {url}"),
        );
    }
    // Still serving, and nothing changed.
    let reply = Call::new("GET", format!("{base}/Users/{id}"))
        .send(&client)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("nickName").is_none(), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idm_json_nested_ten_thousand_deep_is_400_tm_forum_error() {
    let sim = idm_sim().await;
    let client = client();
    let base = sim.base_url();
    let id = idm_create(&client, &base, "bjensen").await;
    let deep_patch = format!(
        r#"{{"profile": "Subscriber", "Operations": [{{"operation": "add", "path": "scimAttributes:nickName", "value": {}}}]}}"#,
        nested_arrays(DEEP)
    );
    let deep_user = format!(
        r#"{{"profile": "Subscriber", "scimAttributes": {{"userName": "deep"}}, "customAttributes": {{"subscriberName": {}}}}}"#,
        nested_arrays(DEEP)
    );
    for (method, url, body) in [
        ("PATCH", format!("{base}/user/{id}"), deep_patch),
        ("PATCH", format!("{base}/user/{id}"), nested_arrays(DEEP)),
        ("POST", format!("{base}/user"), deep_user.clone()),
        ("PUT", format!("{base}/user/{id}"), deep_user),
    ] {
        let reply = Call::new(method, url.clone())
            .content_type("application/json")
            .raw(body.into_bytes())
            .send(&client)
            .await;
        assert_tm_forum_error(&reply, 400, &format!("{method} {url}"));
    }
    let found = Call::new(
        "GET",
        format!("{base}/user?filter=userName%20eq%20%22bjensen%22"),
    )
    .send(&client)
    .await;
    assert_eq!(found.body, json!([{"id": id, "userName": "bjensen"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_hostile_paths_and_filters_are_400_quickly() {
    let sim = scim_sim(Profile::Vmware).await;
    let client = client();
    let base = sim.base_url();
    let id = scim_create(&client, &base, "bjensen").await;
    let long_name = "a".repeat(100 * 1024);
    let long_value = format!(r#"userName eq "{}""#, "x".repeat(100 * 1024));
    let patch = |path: String| json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": path, "value": "v"}]});
    let paths = [
        (long_name.clone(), "invalidPath"),
        (format!("emails[{long_value}]"), "invalidPath"),
        (format!("emails[{}]", nested_filter(DEEP)), "invalidPath"),
        // Under the length limit, the nesting limit answers.
        (format!("emails[{}]", nested_filter(1_000)), "invalidFilter"),
        (
            format!(
                "emails[{}value pr{}]",
                "a[".repeat(1_000),
                "]".repeat(1_000)
            ),
            "invalidFilter",
        ),
    ];
    for (path, scim_type) in paths {
        let reply = Call::new("PATCH", format!("{base}/Users/{id}"))
            .json(&patch(path.clone()))
            .send(&client)
            .await;
        let what = format!("PATCH path of {} bytes", path.len());
        assert_scim_error(&reply, 400, Some(scim_type), &what);
        // The detail does not quote 100 kB back.
        assert!(
            reply.body["detail"]
                .as_str()
                .is_some_and(|detail| detail.len() < 16 * 1024),
            "{what}"
        );
    }
    let filters = [
        long_value.clone(),
        nested_filter(DEEP),
        "(".repeat(DEEP),
        nested_filter(1_000),
        format!("{}userName pr{}", "not (".repeat(1_000), ")".repeat(1_000)),
        vec![r#"userName eq "x""#; 2_000].join(" or "),
    ];
    for filter in &filters {
        let what = format!("filter of {} bytes", filter.len());
        let searched = Call::new("POST", format!("{base}/Users/.search"))
            .json(&json!({"filter": filter}))
            .send(&client)
            .await;
        assert_scim_error(&searched, 400, Some("invalidFilter"), &what);
        // A URI is at most 64 kB on the client and the server (the http crate); the
        // query form gets a filter as long as fits.
        let query: String = query_encode(&filter[..filter.len().min(MAX_QUERY)]);
        let listed = Call::new("GET", format!("{base}/Users?filter={query}"))
            .send(&client)
            .await;
        assert_scim_error(&listed, 400, Some("invalidFilter"), &what);
    }
    let long_list = vec!["userName"; MAX_QUERY / 9].join(",");
    let projection = Call::new("GET", format!("{base}/Users/{id}?attributes={long_list}"))
        .send(&client)
        .await;
    assert_eq!(projection.status, 200, "{}", projection.body);
    let projection = Call::new(
        "GET",
        format!("{base}/Users/{id}?attributes={}", &long_name[..MAX_QUERY]),
    )
    .send(&client)
    .await;
    assert_scim_error(&projection, 400, Some("invalidValue"), "long attributes");
    // Still serving.
    let reply = Call::new("GET", format!("{base}/Users/{id}"))
        .send(&client)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idm_hostile_paths_and_filters_are_400_quickly() {
    let sim = idm_sim().await;
    let client = client();
    let base = sim.base_url();
    let id = idm_create(&client, &base, "bjensen").await;
    let long_value = format!(r#"userName eq "{}""#, "x".repeat(100 * 1024));
    let paths = [
        format!("scimAttributes:{}", "a".repeat(100 * 1024)),
        format!("scimAttributes:emails[{long_value}]"),
        format!("scimAttributes:emails[{}]", nested_filter(DEEP)),
        format!("scimAttributes:emails[{}]", nested_filter(1_000)),
        format!("customAttributes:{}", "a".repeat(100 * 1024)),
    ];
    for path in paths {
        let reply = Call::new("PATCH", format!("{base}/user/{id}"))
            .content_type("application/json")
            .json(&json!({"profile": "Subscriber", "Operations": [
                {"operation": "replace", "path": path, "value": "v"}
            ]}))
            .send(&client)
            .await;
        let what = format!("PATCH path of {} bytes", path.len());
        assert_tm_forum_error(&reply, 400, &what);
        assert!(
            reply.body["message"]
                .as_str()
                .is_some_and(|message| message.len() < 16 * 1024),
            "{what}"
        );
    }
    for filter in [long_value, nested_filter(DEEP), "(".repeat(DEEP)] {
        let query = query_encode(&filter[..filter.len().min(MAX_QUERY)]);
        let reply = Call::new("GET", format!("{base}/user?filter={query}"))
            .send(&client)
            .await;
        assert_tm_forum_error(&reply, 400, &format!("filter of {} bytes", filter.len()));
    }
}

#[test]
fn case_loader_refuses_yaml_nested_ten_thousand_deep() {
    let flow = format!(
        "- id: deep\n  title: deep\n  rules: [P-15]\n  level: MUST\n  api: scim\n  steps:\n    - request:\n        method: PATCH\n        path: /Users/1\n        body: {}\n",
        nested_arrays(DEEP)
    );
    let mut block = String::from(
        "- id: deep\n  title: deep\n  rules: [P-15]\n  level: MUST\n  api: scim\n  steps:\n    - request:\n        method: PATCH\n        path: /Users/1\n        body:\n",
    );
    // Block style needs two columns of indentation per level: 1,000 levels is 1 MB.
    for level in 0..1_000 {
        block.push_str(&" ".repeat(10 + 2 * level));
        block.push_str("a:\n");
    }
    let path = std::path::Path::new("deep.yaml");
    for text in [flow, block, "[".repeat(DEEP), "{a: ".repeat(DEEP)] {
        let started = Instant::now();
        let diagnostic =
            scimcert::case::parse_file(path, &text).expect_err("refused, not loaded or overflowed");
        assert!(started.elapsed() < QUICKLY, "{:?}", started.elapsed());
        // serde-saphyr's depth budget (64, reported in plain words) or its parser's
        // recursion limit.
        let message = diagnostic.message.to_lowercase();
        assert!(
            message.contains("recursion limit") || message.contains("nested too deeply"),
            "{message}"
        );
    }
}

/// Percent-encodes what a query value cannot carry as is (RFC 3986 §3.4), leaving
/// parentheses, which the hostile filters are made of, unencoded.
fn query_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(byte).to_string(),
            b'-' | b'.' | b'_' | b'~' | b'(' | b')' | b'!' | b'*' | b',' | b':' | b'@' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
