//! Concurrent writers on one user, against each simulation: no update is lost.
//!
//! SCIM (`vmware`, `rfc7644`): 8 clients × 500 `If-Match` PATCHes. Every success must
//! move the version by exactly one from the tag it was sent with, no two successes may
//! return the same tag, and the final `meta.version` counts the create plus every success.
//! Fabric ignores `If-Match` (OD-18): 8 clients × 500 PATCHes, each client replacing its
//! own attribute with an increasing counter; every response must show every other client's
//! attribute at least as far as that client had been told before the request was sent,
//! and the final state holds every client's last successful write.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use scimcert::api::Profile;
use scimcert::sim::{DEFAULT_TOKEN, SimOptions, Simulation};
use serde_json::{Value, json};

const CLIENTS: usize = 8;
const PATCHES_PER_CLIENT: usize = 500;
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn client() -> reqwest::Client {
    // Err only means another test installed the provider first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS * 2)
        .build()
        .expect("client")
}

/// Status, ETag and JSON body of a response.
struct Reply {
    status: u16,
    etag: Option<String>,
    body: Value,
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    content_type: &str,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> Reply {
    let mut builder = client.request(method, url).bearer_auth(DEFAULT_TOKEN);
    if let Some(body) = body {
        builder = builder
            .header("content-type", content_type)
            .body(body.to_string());
    }
    if let Some(tag) = if_match {
        builder = builder.header("if-match", tag);
    }
    let response = builder.send().await.expect("request sent");
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, etag, body }
}

/// The number inside `W/"n"`.
fn version_of(tag: &str) -> u64 {
    tag.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .unwrap_or_else(|_| panic!("`{tag}` is not a numeric simulation ETag"))
}

/// One successful conditional PATCH.
struct Success {
    sent: String,
    got: String,
    title: String,
}

/// What one SCIM client saw.
#[derive(Default)]
struct ClientLog {
    successes: Vec<Success>,
    conflicts: usize,
}

async fn scim_client(
    client: reqwest::Client,
    url: String,
    conflict_status: u16,
    first_tag: String,
    index: usize,
) -> ClientLog {
    let mut log = ClientLog::default();
    let mut tag = first_tag;
    for attempt in 0..PATCHES_PER_CLIENT {
        let title = format!("client{index}-{attempt}");
        let body = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "title", "value": title}]});
        let reply = send(
            &client,
            reqwest::Method::PATCH,
            &url,
            "application/scim+json",
            Some(&body),
            Some(&tag),
        )
        .await;
        if reply.status == 200 {
            let got = reply.etag.expect("a successful PATCH returns an ETag");
            assert_eq!(reply.body["title"], json!(title), "{}", reply.body);
            assert_eq!(reply.body["meta"]["version"], json!(got), "{}", reply.body);
            log.successes.push(Success {
                sent: tag,
                got: got.clone(),
                title,
            });
            tag = got;
        } else {
            assert_eq!(
                reply.status, conflict_status,
                "a stale If-Match must be {conflict_status}: {}",
                reply.body
            );
            log.conflicts += 1;
            let current = send(&client, reqwest::Method::GET, &url, "", None, None).await;
            assert_eq!(current.status, 200, "{}", current.body);
            tag = current.etag.expect("GET returns an ETag");
        }
    }
    log
}

async fn no_lost_if_match_updates(profile: Profile, conflict_status: u16) {
    let sim = Simulation::start(SimOptions::new(profile))
        .await
        .expect("simulation starts");
    let client = client();
    let created = send(
        &client,
        reqwest::Method::POST,
        &format!("{}/Users", sim.base_url()),
        "application/scim+json",
        Some(&json!({"userName": "concurrency"})),
        None,
    )
    .await;
    assert!(matches!(created.status, 200 | 201), "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    let first_tag = created.etag.expect("create returns an ETag");
    assert_eq!(version_of(&first_tag), 1);
    let url = format!("{}/Users/{id}", sim.base_url());

    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..CLIENTS {
        tasks.spawn(scim_client(
            client.clone(),
            url.clone(),
            conflict_status,
            first_tag.clone(),
            index,
        ));
    }
    let mut successes = Vec::new();
    let mut conflicts = 0;
    while let Some(joined) = tasks.join_next().await {
        let log = joined.expect("client task");
        successes.extend(log.successes);
        conflicts += log.conflicts;
    }
    assert_eq!(successes.len() + conflicts, CLIENTS * PATCHES_PER_CLIENT);

    let mut seen = HashSet::new();
    for success in &successes {
        assert!(
            seen.insert(success.got.clone()),
            "two successful PATCHes returned {}",
            success.got
        );
        assert_eq!(
            version_of(&success.got),
            version_of(&success.sent) + 1,
            "a PATCH sent with If-Match {} succeeded with {}",
            success.sent,
            success.got
        );
    }
    // Each failure is caused by a success inside that client's own GET..PATCH window,
    // and one success can fail at most one request of each other client.
    assert!(
        successes.len() * CLIENTS >= CLIENTS * PATCHES_PER_CLIENT,
        "{} successes, {conflicts} conflicts",
        successes.len()
    );

    let last = send(&client, reqwest::Method::GET, &url, "", None, None).await;
    assert_eq!(last.status, 200, "{}", last.body);
    let expected_version = successes.len() as u64 + 1;
    assert_eq!(
        version_of(last.body["meta"]["version"].as_str().expect("meta.version")),
        expected_version,
        "{}",
        last.body
    );
    assert_eq!(last.etag.as_deref().map(version_of), Some(expected_version));
    let newest = successes
        .iter()
        .max_by_key(|s| version_of(&s.got))
        .expect("at least one success");
    assert_eq!(last.body["title"], json!(newest.title), "{}", last.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vmware_if_match_patches_lose_no_update() {
    // §4.7: VMware answers a version mismatch with 409.
    no_lost_if_match_updates(Profile::Vmware, 409).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc7644_if_match_patches_lose_no_update() {
    // RFC 7644 §3.14: 412 Precondition Failed.
    no_lost_if_match_updates(Profile::Rfc7644, 412).await;
}

/// The Fabric attribute each client owns: custom STRING/INTEGER ones and SCIM strings.
const FABRIC_ATTRIBUTES: [(&str, &str); CLIENTS] = [
    ("customAttributes", "loyaltyPoints"),
    ("customAttributes", "userKey"),
    ("customAttributes", "workspace"),
    ("customAttributes", "subscriberName"),
    ("scimAttributes", "nickName"),
    ("scimAttributes", "title"),
    ("scimAttributes", "displayName"),
    ("scimAttributes", "userType"),
];

/// The value client `index` writes on its `attempt`-th PATCH.
fn fabric_value(index: usize, attempt: u64) -> Value {
    if index == 0 {
        json!(attempt)
    } else {
        json!(format!("{attempt:06}"))
    }
}

/// The counter a response shows for client `index`, if its attribute is set.
fn fabric_counter(body: &Value, index: usize) -> Option<u64> {
    let (namespace, name) = FABRIC_ATTRIBUTES[index];
    let value = &body[namespace][name];
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// Counters confirmed to each client so far (`u64::MAX` = nothing yet); a confirmed
/// write must never disappear from a later response.
type Confirmed = Arc<Vec<AtomicU64>>;

async fn fabric_client(
    client: reqwest::Client,
    url: String,
    confirmed: Confirmed,
    index: usize,
) -> Option<u64> {
    let (namespace, name) = FABRIC_ATTRIBUTES[index];
    let mut last_success = None;
    for attempt in 0..PATCHES_PER_CLIENT as u64 {
        let before: Vec<u64> = confirmed.iter().map(|c| c.load(Ordering::SeqCst)).collect();
        let body = json!({"profile": "Subscriber", "Operations": [
            {"operation": "replace", "path": format!("{namespace}:{name}"),
             "value": fabric_value(index, attempt)}]});
        let reply = send(
            &client,
            reqwest::Method::PATCH,
            &url,
            "application/json",
            Some(&body),
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(fabric_counter(&reply.body, index), Some(attempt));
        for (other, &known) in before.iter().enumerate() {
            if known == u64::MAX || other == index {
                continue;
            }
            let shown = fabric_counter(&reply.body, other);
            assert!(
                shown.is_some_and(|n| n >= known),
                "client {index}'s PATCH lost client {other}'s write {known} (shows {shown:?}): {}",
                reply.body
            );
        }
        confirmed[index].store(attempt, Ordering::SeqCst);
        last_success = Some(attempt);
    }
    last_success
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fabric_concurrent_patches_lose_no_update() {
    let sim = Simulation::start(SimOptions::new(Profile::Fabric))
        .await
        .expect("simulation starts");
    let client = client();
    let created = send(
        &client,
        reqwest::Method::POST,
        &format!("{}/user", sim.base_url()),
        "application/json",
        Some(&json!({"profile": "Subscriber", "scimAttributes": {"userName": "concurrency"}})),
        None,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    let url = format!("{}/user/{id}", sim.base_url());

    let confirmed: Confirmed = Arc::new((0..CLIENTS).map(|_| AtomicU64::new(u64::MAX)).collect());
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..CLIENTS {
        let task = fabric_client(client.clone(), url.clone(), confirmed.clone(), index);
        tasks.spawn(async move { (index, task.await) });
    }
    let mut last = [None; CLIENTS];
    while let Some(joined) = tasks.join_next().await {
        let (index, last_success) = joined.expect("client task");
        last[index] = last_success;
    }

    // The API has no GET by id: a harmless PATCH shows the final state.
    let body = json!({"profile": "Subscriber", "Operations": [
        {"operation": "replace", "path": "scimAttributes:active", "value": true}]});
    let final_state = send(
        &client,
        reqwest::Method::PATCH,
        &url,
        "application/json",
        Some(&body),
        None,
    )
    .await;
    assert_eq!(final_state.status, 200, "{}", final_state.body);
    for (index, last_success) in last.iter().enumerate() {
        assert_eq!(
            fabric_counter(&final_state.body, index),
            *last_success,
            "client {index}'s last write is missing: {}",
            final_state.body
        );
    }
}
