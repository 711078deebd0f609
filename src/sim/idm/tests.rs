//! Unit tests of the userManagement simulation for what the case corpus
//! (`cases/idm/`, run over HTTP by `tests/conformance.rs`) cannot check: the store behind
//! the API, the simulation's own choices that no rule covers, requests a case cannot
//! send, a configuration given in the options, and robustness. Named after the rule they
//! pin where there is one (REFERENCE.md §5, OD-nn).

use serde_json::{Value, json};

use super::*;
use crate::api::Profile;
use crate::sim::DEFAULT_TOKEN;

const USERS: &str = "/userManagement/v1/user";

fn sim() -> IdmSim {
    IdmSim::new(&SimOptions::new(Profile::Fabric)).expect("builtin configuration")
}

fn request(method: &str, path: &str, body: Option<&Value>) -> SimRequest {
    let mut headers = vec![(
        "authorization".to_string(),
        format!("Bearer {DEFAULT_TOKEN}"),
    )];
    if body.is_some() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    SimRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: Vec::new(),
        headers,
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
    }
}

fn send(sim: &IdmSim, method: &str, path: &str, body: &Value) -> SimResponse {
    sim.handle(&request(method, path, Some(body)))
}

fn body(response: &SimResponse) -> Value {
    response.json().expect("response has a body")
}

/// Creates a user and returns the 201 body.
fn create(sim: &IdmSim, payload: Value) -> Value {
    let response = send(sim, "POST", USERS, &payload);
    assert_eq!(response.status, 201, "create failed: {:?}", response.json());
    body(&response).clone()
}

fn create_subscriber(sim: &IdmSim, user_name: &str) -> String {
    let created = create(
        sim,
        json!({
            "profile": "Subscriber",
            "scimAttributes": {
                "userName": user_name,
                "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"},
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ]
            },
            "customAttributes": {"workspace": "ws-1", "subscriberName": "BJEN"}
        }),
    );
    created["id"].as_str().expect("id").to_string()
}

fn patch(sim: &IdmSim, id: &str, operations: Value) -> SimResponse {
    send(
        sim,
        "PATCH",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Subscriber", "Operations": operations}),
    )
}

/// Asserts a TM Forum error with `status` and returns its message (OD-14).
fn error_message(response: &SimResponse, status: u16) -> String {
    assert_eq!(
        response.status,
        status,
        "unexpected answer: {:?}",
        response.json()
    );
    assert_eq!(response.content_type, "application/json");
    let error = body(response);
    assert_eq!(error["code"], json!(status.to_string()));
    assert_eq!(error["status"], json!(status.to_string()));
    assert_eq!(error["@type"], json!("Error"));
    assert!(error["reason"].as_str().is_some_and(|r| !r.is_empty()));
    error["message"].as_str().expect("message").to_string()
}

fn stored(sim: &IdmSim, id: &str) -> StoredUser {
    sim.store().users.get(id).cloned().expect("stored user")
}

// ---- simulation choices no rule covers ----

/// README: "User ids are `User_1`, `User_2`, …" (a real Fabric answers the target's ids).
#[test]
fn user_ids_are_numbered() {
    let sim = sim();
    let first = create_subscriber(&sim, "first");
    let second = create_subscriber(&sim, "second");
    assert_eq!(first, "User_1");
    assert_eq!(second, "User_2");
}

/// RFC 7644 §3.3 lets a server ignore unknown attributes of a create; the simulation is
/// strict instead (the corpus checks wrongly typed ones, which a server must refuse).
#[test]
fn od21_post_refuses_attributes_outside_rfc7643() {
    let sim = sim();
    let unknown = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "a", "favouriteColour": "red"}}),
    );
    error_message(&unknown, 400);
    assert!(sim.store().users.is_empty());
}

/// Client-sent `groups` are dropped at creation (readOnly, README design decisions); a
/// stricter server may refuse them instead, so no case pins this.
#[test]
fn client_groups_are_dropped_at_creation() {
    let sim = sim();
    let created = create(
        &sim,
        json!({
            "profile": "partner",
            "scimAttributes": {"userName": "p1", "groups": [{"value": "Admins"}]},
            "customAttributes": {"accountType": "reseller"}
        }),
    );
    let groups: Vec<&str> = created["scimAttributes"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["value"].as_str())
        .collect();
    assert_eq!(groups, ["Partners", "Resellers"]);
}

/// Namespace names are case-sensitive (README design decisions; the vendor documents only
/// the spelling `scimAttributes`/`customAttributes`).
#[test]
fn od04_namespace_names_are_case_sensitive() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for path in ["ScimAttributes:displayName", "customattributes:userKey"] {
        let response = patch(
            &sim,
            &id,
            json!([{"operation": "add", "path": path, "value": "x"}]),
        );
        error_message(&response, 400);
    }
}

// ---- the store behind the API ----

/// A MAP attribute is stored under its target name; the API only ever shows the Fabric
/// name, so only the store can tell (the corpus checks what the API reports).
#[test]
fn od19_map_stores_the_target_attribute_name() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "add", "path": "customAttributes:crmRef", "value": "CRM-42"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.json());
    let custom = stored(&sim, &id).custom;
    assert_eq!(custom.get("crm_reference"), Some(&json!("CRM-42")));
    assert!(custom.get("crmRef").is_none());
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "remove", "path": "customAttributes:CRMREF"}]),
    );
    assert_eq!(response.status, 200);
    assert!(stored(&sim, &id).custom.get("crm_reference").is_none());
}

// ---- requests a case cannot send ----

/// A case always sends a `Content-Type` with its body; OD-17 also refuses none at all.
#[test]
fn od17_missing_content_type_is_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let ops = json!({"profile": "Subscriber", "Operations": [{"operation": "add", "path": "customAttributes:userKey", "value": "x"}]});
    let mut req = request("PATCH", &format!("{USERS}/{id}"), Some(&ops));
    req.headers.retain(|(k, _)| k != "content-type");
    error_message(&sim.handle(&req), 400);
    assert!(stored(&sim, &id).custom.get("userKey").is_none());
}

#[test]
fn overlong_path_is_400_without_being_quoted() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for namespace in ["scimAttributes", "customAttributes", "unknown"] {
        let path = format!("{namespace}:{}", "a".repeat(100 * 1024));
        let response = patch(
            &sim,
            &id,
            json!([{"operation": "add", "path": path, "value": "x"}]),
        );
        let message = error_message(&response, 400);
        assert!(message.contains("bytes long"), "{message}");
        assert!(message.len() < 200, "{message}");
    }
}

/// 413 is not in the vendor's list: the simulation answers it with its own reason in the
/// TM Forum shape (over HTTP, with a body over the limit: `tests/security.rs`).
#[test]
fn od14_payload_too_large_is_a_tm_forum_error() {
    let response = sim().error(413, "body too large");
    assert_eq!(error_message(&response, 413), "body too large");
    assert_eq!(body(&response)["reason"], json!("Payload too large"));
}

// ---- configuration given in the options ----

#[test]
fn custom_config_from_options_is_used_and_validated() {
    let config =
        IdmConfig::from_json_str(r#"{"profiles": {"Only": {"target-supports-patch": false}}}"#)
            .expect("valid");
    let mut options = SimOptions::new(Profile::Fabric);
    options.idm_config = Some(config.clone());
    let sim = IdmSim::new(&options).expect("sim");
    let response = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "x"}}),
    );
    assert!(error_message(&response, 400).contains("Only"));
    create(
        &sim,
        json!({"profile": "only", "scimAttributes": {"userName": "x"}}),
    );

    let mut broken = config;
    broken.profiles.clear();
    options.idm_config = Some(broken);
    assert!(matches!(IdmSim::new(&options), Err(SimError::Config(_))));
}

// ---- robustness ----

#[test]
fn poisoned_lock_is_recovered() {
    let sim = std::sync::Arc::new(sim());
    let clone = std::sync::Arc::clone(&sim);
    let _ = std::thread::spawn(move || {
        let _guard = clone.store();
        panic!("poison the store");
    })
    .join();
    create_subscriber(&sim, "after-poison");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_paths_never_panic_and_fail_cleanly(path in "\\PC{0,40}", op in "(add|remove|replace|Add|move)") {
            let sim = sim();
            let id = create_subscriber(&sim, "bjensen");
            let before = stored(&sim, &id);
            let response = patch(&sim, &id, json!([{"operation": op, "path": path, "value": "x"}]));
            prop_assert!(response.status == 200 || response.status == 400 || response.status == 409, "{:?}", response);
            if response.status != 200 {
                prop_assert_eq!(stored(&sim, &id).scim, before.scim);
            }
        }

        #[test]
        fn arbitrary_scim_paths_never_panic(path in "[a-zA-Z.:\\[\\] \"=]{0,30}") {
            let sim = sim();
            let id = create_subscriber(&sim, "bjensen");
            let response = patch(&sim, &id, json!([{"operation": "replace", "path": format!("scimAttributes:{path}"), "value": {"a": 1}}]));
            prop_assert!(response.status == 200 || response.status == 400, "{:?}", response);
        }
    }
}

/// The store's userName index (OD-21's 409) follows renames, and its key equates
/// exactly the names `same_user_name` does, non-ASCII ones included.
#[test]
fn od21_user_name_index_follows_renames() {
    let names = [
        "bjensen",
        "BJensen",
        "b\u{212a}",
        "bk",
        "BK",
        "\u{3a3}\u{391}\u{3a3}",
        "\u{3c3}\u{3b1}\u{3c2}",
        "\u{3c3}\u{3b1}\u{3c3}",
        "\u{130}",
        "i\u{307}",
        "i",
        "stra\u{df}e",
        "STRASSE",
    ];
    for a in names {
        for b in names {
            assert_eq!(
                user::same_user_name(a, b),
                user::name_key(a) == user::name_key(b),
                "{a} / {b}"
            );
        }
    }
    let sim = sim();
    let id = create_subscriber(&sim, "before");
    let renamed = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:userName", "value": "After"}]),
    );
    assert_eq!(renamed.status, 200, "{:?}", renamed.json());
    create_subscriber(&sim, "BEFORE");
    let taken = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "after"}}),
    );
    error_message(&taken, 409);
}
