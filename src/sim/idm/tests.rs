//! Unit tests of the userManagement simulation, named after the rule they pin
//! (REFERENCE.md §5, OD-nn).

use serde_json::{Value, json};

use super::*;
use crate::api::Profile;
use crate::sim::{DEFAULT_READONLY_TOKEN, DEFAULT_TOKEN};

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

fn get_filter(sim: &IdmSim, query: &[(&str, &str)]) -> SimResponse {
    let mut req = request("GET", USERS, None);
    req.query = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sim.handle(&req)
}

fn body(response: &SimResponse) -> &Value {
    response.body.as_ref().expect("response has a body")
}

/// Creates a user and returns the 201 body.
fn create(sim: &IdmSim, payload: Value) -> Value {
    let response = send(sim, "POST", USERS, &payload);
    assert_eq!(response.status, 201, "create failed: {:?}", response.body);
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
        response.status, status,
        "unexpected answer: {:?}",
        response.body
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

// ---- POST (OD-21) ----

#[test]
fn od21_post_creates_user_with_201_and_user_response_object() {
    let sim = sim();
    let created = create(
        &sim,
        json!({
            "profile": "Subscriber",
            "scimAttributes": {"userName": "bjensen", "displayName": "Babs Jensen", "password": "secret"},
            "customAttributes": {"userKey": "k1"}
        }),
    );
    let id = created["id"].as_str().expect("id");
    assert!(id.starts_with("User_"));
    assert_eq!(created["profile"], json!("Subscriber"));
    assert_eq!(created["scimAttributes"]["userName"], json!("bjensen"));
    assert_eq!(
        created["scimAttributes"]["displayName"],
        json!("Babs Jensen")
    );
    assert!(
        created["scimAttributes"].get("password").is_none(),
        "password is returned never"
    );
    assert!(created["scimAttributes"].get("id").is_none());
    assert!(created["scimAttributes"].get("schemas").is_none());
    assert_eq!(created["customAttributes"], json!({"userKey": "k1"}));
    let keys: Vec<&String> = created.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["id", "profile", "scimAttributes", "customAttributes"]
    );
}

#[test]
fn od21_post_without_user_name_is_400() {
    let sim = sim();
    let response = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"displayName": "x"}}),
    );
    assert!(error_message(&response, 400).contains("userName"));
    let response = send(&sim, "POST", USERS, &json!({"profile": "Subscriber"}));
    assert!(error_message(&response, 400).contains("scimAttributes"));
}

#[test]
fn od21_post_duplicate_user_name_case_insensitive_is_409() {
    let sim = sim();
    create_subscriber(&sim, "bjensen@example.com");
    let response = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "BJensen@Example.com"}}),
    );
    assert!(error_message(&response, 409).contains("BJensen@Example.com"));
    assert_eq!(sim.store().users.len(), 1);
}

#[test]
fn od21_post_validates_scim_attributes_strictly() {
    let sim = sim();
    let unknown = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "a", "favouriteColour": "red"}}),
    );
    error_message(&unknown, 400);
    let wrong_type = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "b", "active": "yes"}}),
    );
    error_message(&wrong_type, 400);
    assert!(sim.store().users.is_empty());
}

#[test]
fn od21_post_enterprise_attributes_under_their_urn() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "Subscriber", "scimAttributes": {
            "userName": "ent",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}
        }}),
    );
    assert_eq!(
        created["scimAttributes"]["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        json!("Sales")
    );
}

#[test]
fn od21_post_missing_required_custom_attribute_is_400() {
    let sim = sim();
    let response = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Partner", "scimAttributes": {"userName": "p1"}}),
    );
    assert!(error_message(&response, 400).contains("accountType"));
    let response = send(
        &sim,
        "POST",
        USERS,
        &json!({"profile": "Partner", "scimAttributes": {"userName": "p1"}, "customAttributes": {"accountType": null}}),
    );
    error_message(&response, 400);
}

#[test]
fn group_assignment_is_allocated_at_creation_and_client_groups_are_ignored() {
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

#[test]
fn core_swallow_is_accepted_but_not_stored() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "Subscriber", "scimAttributes": {
            "userName": "sw",
            "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}]
        }}),
    );
    assert!(created["scimAttributes"].get("x509Certificates").is_none());
    let id = created["id"].as_str().expect("id");
    assert!(stored(&sim, id).scim.get("x509Certificates").is_none());
    let response = patch(
        &sim,
        id,
        json!([{"operation": "add", "path": "scimAttributes:x509Certificates",
                "value": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}]}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert!(
        body(&response)["scimAttributes"]
            .get("x509Certificates")
            .is_none()
    );
}

// ---- GET (OD-20) ----

#[test]
fn od20_get_by_user_name_is_case_insensitive_bare_array() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen@example.com");
    create_subscriber(&sim, "other@example.com");
    let response = get_filter(&sim, &[("filter", "userName eq \"BJENSEN@example.com\"")]);
    assert_eq!(response.status, 200);
    assert_eq!(
        body(&response),
        &json!([{"id": id, "userName": "bjensen@example.com"}])
    );
    let response = get_filter(&sim, &[("filter", "USERNAME EQ \"other@example.com\"")]);
    assert_eq!(body(&response).as_array().map(Vec::len), Some(1));
}

#[test]
fn od20_get_without_match_is_empty_array() {
    let sim = sim();
    create_subscriber(&sim, "bjensen");
    let response = get_filter(&sim, &[("filter", "userName eq \"nobody\"")]);
    assert_eq!(response.status, 200);
    assert_eq!(body(&response), &json!([]));
}

#[test]
fn od20_get_other_filters_and_queries_are_400() {
    let sim = sim();
    for query in [
        vec![],
        vec![("filter", "displayName eq \"x\"")],
        vec![("filter", "userName co \"x\"")],
        vec![("filter", "userName eq \"a\" or userName eq \"b\"")],
        vec![("filter", "userName eq true")],
        vec![("filter", "userName eq")],
        vec![("filter", "userName eq \"a\""), ("count", "10")],
        vec![("startIndex", "1")],
    ] {
        let response = get_filter(&sim, &query);
        assert_eq!(
            error_message(&response, 400),
            "Unsupported Query Param OR Request.",
            "query {query:?}"
        );
    }
}

// ---- PUT (OD-22) ----

#[test]
fn od22_put_replaces_everything_and_clears_omitted() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = send(
        &sim,
        "PUT",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "bjensen2", "nickName": "Babs"},
                "customAttributes": {"userKey": "k2"}}),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    let user = body(&response);
    assert_eq!(user["id"], json!(id));
    assert_eq!(
        user["scimAttributes"],
        json!({"userName": "bjensen2", "nickName": "Babs"})
    );
    assert_eq!(user["customAttributes"], json!({"userKey": "k2"}));
}

#[test]
fn od22_put_keeps_groups() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "Partner", "scimAttributes": {"userName": "p"}, "customAttributes": {"accountType": "a"}}),
    );
    let id = created["id"].as_str().expect("id");
    let response = send(
        &sim,
        "PUT",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Partner", "scimAttributes": {"userName": "p"}, "customAttributes": {"accountType": "b"}}),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["scimAttributes"]["groups"],
        created["scimAttributes"]["groups"]
    );
}

#[test]
fn od22_put_errors() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    create_subscriber(&sim, "taken");
    let path = format!("{USERS}/{id}");
    let no_user_name = send(
        &sim,
        "PUT",
        &path,
        &json!({"profile": "Subscriber", "scimAttributes": {"nickName": "x"}}),
    );
    assert!(error_message(&no_user_name, 400).contains("userName"));
    let no_scim = send(
        &sim,
        "PUT",
        &path,
        &json!({"profile": "Subscriber", "customAttributes": {}}),
    );
    error_message(&no_scim, 400);
    let no_profile = send(
        &sim,
        "PUT",
        &path,
        &json!({"scimAttributes": {"userName": "x"}}),
    );
    assert!(error_message(&no_profile, 400).contains("profile"));
    let unknown = send(
        &sim,
        "PUT",
        &format!("{USERS}/User_999"),
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "x"}}),
    );
    error_message(&unknown, 404);
    let duplicate = send(
        &sim,
        "PUT",
        &path,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "TAKEN"}}),
    );
    error_message(&duplicate, 409);
    let same_name = send(
        &sim,
        "PUT",
        &path,
        &json!({"profile": "Subscriber", "scimAttributes": {"userName": "BJENSEN"}}),
    );
    assert_eq!(
        same_name.status, 200,
        "renaming oneself by case is no conflict"
    );
}

// ---- PATCH: the seed example ----

#[test]
fn seed_example_request_gives_seed_response_shape() {
    let sim = sim();
    let created = create(
        &sim,
        json!({
            "profile": "Subscriber",
            "scimAttributes": {
                "userName": "anything",
                "name": {"givenName": "Old", "familyName": "Name"},
                "emails": [{"value": "test@example.com", "type": "work", "primary": true}]
            },
            "customAttributes": {"workspace": "ws-1"}
        }),
    );
    let id = created["id"].as_str().expect("id");
    let seed = json!({ "profile": "subscriber", "Operations": [
        { "operation": "replace", "path": "scimAttributes:name", "value": { "givenName": "veerendra", "familyName": "patil" } },
        { "operation": "add", "path": "customAttributes:userKey", "value": "123456" },
        { "operation": "remove", "path": "customAttributes:workspace" } ] });
    let response = send(&sim, "PATCH", &format!("{USERS}/{id}"), &seed);
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(response.content_type, "application/json");
    assert_eq!(
        body(&response),
        &json!({
            "id": id,
            "profile": "subscriber",
            "scimAttributes": {
                "userName": "anything",
                "name": {"givenName": "veerendra", "familyName": "patil", "formatted": "veerendra patil"},
                "emails": [{"value": "test@example.com", "type": "work", "primary": true}]
            },
            "customAttributes": {"userKey": "123456"}
        })
    );
}

// ---- PATCH: scimAttributes namespace (OD-02) ----

#[test]
fn od02_replace_complex_keeps_other_sub_attributes() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:name", "value": {"givenName": "Babs"}}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    let name = &body(&response)["scimAttributes"]["name"];
    assert_eq!(name["givenName"], json!("Babs"));
    assert_eq!(name["familyName"], json!("Jensen"));
    assert_eq!(name["middleName"], json!("Jane"));
}

#[test]
fn od02_sub_attribute_path_and_case_insensitive_names() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:NAME.FAMILYNAME", "value": "Smith"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    let name = &body(&response)["scimAttributes"]["name"];
    assert_eq!(name["familyName"], json!("Smith"));
    assert_eq!(
        name["formatted"],
        json!("Barbara Smith"),
        "OD-13 recomputes formatted"
    );
}

#[test]
fn od02_add_appends_to_multi_valued() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "add", "path": "scimAttributes:emails", "value": [{"value": "b@other.org", "type": "other"}]}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["scimAttributes"]["emails"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[test]
fn od02_remove_through_filter() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "remove", "path": "scimAttributes:emails[type eq \"home\"]"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["scimAttributes"]["emails"],
        json!([{"value": "bjensen@example.com", "type": "work", "primary": true}])
    );
}

#[test]
fn od02_replace_filtered_sub_attribute() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:emails[type eq \"work\"].value", "value": "new@example.com"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["scimAttributes"]["emails"][0]["value"],
        json!("new@example.com")
    );
}

#[test]
fn od02_unmatched_replace_filter_is_400_no_target() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:emails[type eq \"fax\"].value", "value": "x@y.z"}]),
    );
    let message = error_message(&response, 400);
    assert!(message.contains("noTarget"), "{message}");
    assert!(message.starts_with("Operations[0] (replace "), "{message}");
}

#[test]
fn od02_enterprise_urn_path() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "add",
                "path": "scimAttributes:urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": "Tour Operations"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["scimAttributes"]["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
            ["department"],
        json!("Tour Operations")
    );
}

#[test]
fn od02_invalid_paths_and_values_carry_engine_scim_type() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let cases = [
        (
            json!({"operation": "add", "path": "scimAttributes:nosuchAttribute", "value": "x"}),
            "invalidPath",
        ),
        (
            json!({"operation": "add", "path": "scimAttributes:emails[type eq]", "value": "x"}),
            "invalidFilter",
        ),
        (
            json!({"operation": "replace", "path": "scimAttributes:active", "value": "yes"}),
            "invalidValue",
        ),
        (
            json!({"operation": "add", "path": "scimAttributes:groups", "value": [{"value": "g"}]}),
            "mutability",
        ),
    ];
    for (operation, scim_type) in cases {
        let response = patch(&sim, &id, json!([operation]));
        let message = error_message(&response, 400);
        assert!(message.contains(scim_type), "{operation}: {message}");
    }
}

#[test]
fn od13_explicit_formatted_is_kept() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:name",
                "value": {"givenName": "B", "formatted": "Ms. B. Jensen"}}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["scimAttributes"]["name"]["formatted"],
        json!("Ms. B. Jensen")
    );
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:displayName", "value": "Babs"}]),
    );
    assert_eq!(
        body(&response)["scimAttributes"]["name"]["formatted"],
        json!("Ms. B. Jensen"),
        "unchanged name parts leave formatted alone"
    );
}

#[test]
fn od16_target_managed_attributes_and_user_name_removal_are_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let before = stored(&sim, &id).scim;
    for operation in [
        json!({"operation": "replace", "path": "scimAttributes:id", "value": "other"}),
        json!({"operation": "remove", "path": "scimAttributes:id"}),
        json!({"operation": "replace", "path": "scimAttributes:meta", "value": {"version": "x"}}),
        json!({"operation": "remove", "path": "scimAttributes:meta.lastModified"}),
        json!({"operation": "remove", "path": "scimAttributes:userName"}),
        json!({"operation": "remove", "path": "scimAttributes:urn:ietf:params:scim:schemas:core:2.0:User:userName"}),
    ] {
        let response = patch(&sim, &id, json!([operation]));
        assert!(
            error_message(&response, 400).contains("mutability"),
            "{operation}"
        );
    }
    assert_eq!(stored(&sim, &id).scim, before);
}

#[test]
fn patch_user_name_collision_is_409() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    create_subscriber(&sim, "taken");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "scimAttributes:userName", "value": "Taken"}]),
    );
    error_message(&response, 409);
    assert_eq!(user::user_name(&stored(&sim, &id).scim), Some("bjensen"));
}

// ---- PATCH: envelope (OD-04, OD-07..OD-12) ----

#[test]
fn od10_operation_must_be_exact() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for operation in [
        json!({"operation": "Replace", "path": "customAttributes:userKey", "value": "x"}),
        json!({"operation": "ADD", "path": "customAttributes:userKey", "value": "x"}),
        json!({"operation": "move", "path": "customAttributes:userKey", "value": "x"}),
        json!({"op": "replace", "path": "customAttributes:userKey", "value": "x"}),
        json!({"path": "customAttributes:userKey", "value": "x"}),
        json!({"operation": 1, "path": "customAttributes:userKey", "value": "x"}),
    ] {
        error_message(&patch(&sim, &id, json!([operation])), 400);
    }
}

#[test]
fn od08_add_or_replace_without_value_is_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for operation in [
        json!({"operation": "add", "path": "customAttributes:userKey"}),
        json!({"operation": "replace", "path": "scimAttributes:displayName"}),
        json!({"operation": "replace", "path": "scimAttributes:displayName", "value": null}),
    ] {
        assert!(error_message(&patch(&sim, &id, json!([operation])), 400).contains("value"));
    }
}

#[test]
fn od09_remove_with_value_ignores_value() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([
            {"operation": "remove", "path": "customAttributes:workspace", "value": "ignored"},
            {"operation": "remove", "path": "scimAttributes:emails", "value": [{"value": "babs@jensen.org"}]}
        ]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    let user = body(&response);
    assert!(user["customAttributes"].get("workspace").is_none());
    assert!(
        user["scimAttributes"].get("emails").is_none(),
        "remove without filter removes all"
    );
}

#[test]
fn od07_non_object_value_accepted() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([
            {"operation": "add", "path": "scimAttributes:nickName", "value": "Babs"},
            {"operation": "add", "path": "customAttributes:userKey", "value": "123456"}
        ]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(body(&response)["scimAttributes"]["nickName"], json!("Babs"));
}

#[test]
fn od11_operations_missing_empty_or_not_array_is_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let path = format!("{USERS}/{id}");
    for payload in [
        json!({"profile": "Subscriber", "Operations": []}),
        json!({"profile": "Subscriber"}),
        json!({"profile": "Subscriber", "operations": [{"operation": "remove", "path": "customAttributes:a"}]}),
        json!({"profile": "Subscriber", "Operations": {"operation": "remove", "path": "customAttributes:a"}}),
        json!({"profile": "Subscriber", "Operations": ["remove"]}),
    ] {
        assert!(error_message(&send(&sim, "PATCH", &path, &payload), 400).contains("Operations"));
    }
}

#[test]
fn od04_missing_or_unknown_namespace_is_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for path in [
        "displayName",
        "scim:displayName",
        "ScimAttributes:displayName",
        "customattributes:userKey",
        "scimAttributes:",
        "",
    ] {
        let response = patch(
            &sim,
            &id,
            json!([{"operation": "add", "path": path, "value": "x"}]),
        );
        error_message(&response, 400);
    }
    let no_path = patch(
        &sim,
        &id,
        json!([{"operation": "add", "value": {"displayName": "x"}}]),
    );
    assert!(error_message(&no_path, 400).contains("path"));
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

#[test]
fn od03_custom_names_are_flat() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for path in [
        "customAttributes:subscriberAccount.id",
        "customAttributes:subscriberAccount[type eq \"Account\"]",
        "customAttributes:",
        "customAttributes:a:b",
    ] {
        let response = patch(
            &sim,
            &id,
            json!([{"operation": "add", "path": path, "value": "x"}]),
        );
        error_message(&response, 400);
    }
}

#[test]
fn od12_failure_anywhere_leaves_user_unchanged() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let before = stored(&sim, &id);
    let response = patch(
        &sim,
        &id,
        json!([
            {"operation": "add", "path": "customAttributes:userKey", "value": "k"},
            {"operation": "replace", "path": "scimAttributes:displayName", "value": "Changed"},
            {"operation": "remove", "path": "customAttributes:workspace"},
            {"operation": "replace", "path": "customAttributes:loyaltyPoints", "value": "not a number"}
        ]),
    );
    assert!(error_message(&response, 400).starts_with("Operations[3]"));
    let after = stored(&sim, &id);
    assert_eq!(after.scim, before.scim);
    assert_eq!(after.custom, before.custom);

    let response = patch(
        &sim,
        &id,
        json!([
            {"operation": "add", "path": "customAttributes:userKey", "value": "k"},
            {"operation": "replace", "path": "scimAttributes:emails[type eq \"fax\"].value", "value": "x@y.z"}
        ]),
    );
    assert!(error_message(&response, 400).starts_with("Operations[1]"));
    assert_eq!(stored(&sim, &id).custom, before.custom);
}

#[test]
fn p11_operations_apply_in_order_across_namespaces() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([
            {"operation": "add", "path": "customAttributes:userKey", "value": "A"},
            {"operation": "replace", "path": "customAttributes:userKey", "value": "B"},
            {"operation": "add", "path": "scimAttributes:title", "value": "A"},
            {"operation": "replace", "path": "scimAttributes:title", "value": "B"}
        ]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(body(&response)["customAttributes"]["userKey"], json!("B"));
    assert_eq!(body(&response)["scimAttributes"]["title"], json!("B"));
}

// ---- PATCH: customAttributes namespace (OD-06, OD-19) ----

#[test]
fn od19_custom_attribute_types() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let accepted = [
        ("userKey", json!("123456")),
        ("loyaltyPoints", json!(1200)),
        ("loyaltyPoints", json!(-3)),
        ("creditLimit", json!(2500.75)),
        ("creditLimit", json!(100)),
        ("marketingOptIn", json!(true)),
        ("contractEnd", json!("2027-01-31T23:59:59Z")),
        ("contractEnd", json!("2027-01-31T23:59:59.123+05:30")),
    ];
    for (name, value) in accepted {
        let response = patch(
            &sim,
            &id,
            json!([{"operation": "replace", "path": format!("customAttributes:{name}"), "value": value}]),
        );
        assert_eq!(response.status, 200, "{name}={value}: {:?}", response.body);
        assert_eq!(body(&response)["customAttributes"][name], value);
    }
    let rejected = [
        ("userKey", json!(123456)),
        ("loyaltyPoints", json!("1200")),
        ("loyaltyPoints", json!(12.5)),
        ("creditLimit", json!("2500")),
        ("marketingOptIn", json!("true")),
        ("marketingOptIn", json!(1)),
        ("contractEnd", json!("2027-01-31")),
        ("contractEnd", json!("2027-13-01T00:00:00Z")),
        ("contractEnd", json!(20270131)),
    ];
    for (name, value) in rejected {
        let response = patch(
            &sim,
            &id,
            json!([{"operation": "add", "path": format!("customAttributes:{name}"), "value": value}]),
        );
        assert!(
            error_message(&response, 400).contains(name),
            "{name}={value}"
        );
    }
}

#[test]
fn od19_swallow_drops_silently() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let before = stored(&sim, &id).custom;
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "add", "path": "customAttributes:legacyCode", "value": "L-1"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert!(
        body(&response)["customAttributes"]
            .get("legacyCode")
            .is_none()
    );
    assert_eq!(stored(&sim, &id).custom, before);
    let typed = patch(
        &sim,
        &id,
        json!([{"operation": "add", "path": "customAttributes:legacyCode", "value": 1}]),
    );
    error_message(&typed, 400);
}

#[test]
fn od19_map_stores_target_name_and_reports_fabric_name() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "add", "path": "customAttributes:crmRef", "value": "CRM-42"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["customAttributes"]["crmRef"],
        json!("CRM-42")
    );
    assert!(
        body(&response)["customAttributes"]
            .get("crm_reference")
            .is_none()
    );
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

#[test]
fn od19_removing_required_custom_attribute_is_400() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "Partner", "scimAttributes": {"userName": "p"}, "customAttributes": {"accountType": "a"}}),
    );
    let id = created["id"].as_str().expect("id");
    let response = send(
        &sim,
        "PATCH",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Partner", "Operations": [{"operation": "remove", "path": "customAttributes:accountType"}]}),
    );
    assert!(error_message(&response, 400).contains("accountType"));
    let response = send(
        &sim,
        "PATCH",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Partner", "Operations": [{"operation": "replace", "path": "customAttributes:accountType", "value": "b"}]}),
    );
    assert_eq!(response.status, 200, "replacing a required one is fine");
}

#[test]
fn od19_groups_are_not_assigned_on_patch() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "Subscriber", "scimAttributes": {"userName": "s"}}),
    );
    let id = created["id"].as_str().expect("id");
    let response = send(
        &sim,
        "PATCH",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Partner", "Operations": [{"operation": "add", "path": "customAttributes:partnerTier", "value": 2}]}),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert!(body(&response)["scimAttributes"].get("groups").is_none());
}

#[test]
fn od06_unmapped_custom_attributes_forwarded_unchanged() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let account = json!({"id": "SUB_1", "type": "Account"});
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "add", "path": "customAttributes:subscriberAccount", "value": account}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["customAttributes"]["subscriberAccount"],
        account
    );
    assert_eq!(
        body(&response)["customAttributes"],
        json!({"workspace": "ws-1", "subscriberName": "BJEN", "subscriberAccount": account})
    );
}

#[test]
fn custom_attribute_names_match_case_insensitively() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let response = patch(
        &sim,
        &id,
        json!([{"operation": "replace", "path": "customAttributes:WORKSPACE", "value": "ws-2"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(
        body(&response)["customAttributes"],
        json!({"workspace": "ws-2", "subscriberName": "BJEN"})
    );
}

// ---- profiles (OD-05, OD-15) ----

#[test]
fn od05_profile_names_match_case_insensitively() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "SUBSCRIBER", "scimAttributes": {"userName": "x"}, "customAttributes": {"loyaltyPoints": 1}}),
    );
    assert_eq!(created["profile"], json!("SUBSCRIBER"));
}

#[test]
fn od05_unknown_or_missing_profile_is_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let ops = json!([{"operation": "add", "path": "customAttributes:userKey", "value": "x"}]);
    for payload in [
        json!({"profile": "Gold", "Operations": ops}),
        json!({"Operations": ops}),
        json!({"profile": 7, "Operations": ops}),
    ] {
        let response = send(&sim, "PATCH", &format!("{USERS}/{id}"), &payload);
        assert!(error_message(&response, 400).contains("profile"));
    }
}

#[test]
fn od15_target_without_patch_is_405_before_validation() {
    let sim = sim();
    let created = create(
        &sim,
        json!({"profile": "Guest", "scimAttributes": {"userName": "g"}}),
    );
    let id = created["id"].as_str().expect("id");
    assert_eq!(
        created["scimAttributes"]["groups"][0]["value"],
        json!("Guests")
    );
    for (path, operations) in [
        (
            format!("{USERS}/{id}"),
            json!([{"operation": "add", "path": "customAttributes:guestPass", "value": "p"}]),
        ),
        (format!("{USERS}/{id}"), json!([])),
        (format!("{USERS}/{id}"), json!([{"op": "move"}])),
        (format!("{USERS}/User_999"), json!([])),
    ] {
        let response = send(
            &sim,
            "PATCH",
            &path,
            &json!({"profile": "guest", "Operations": operations}),
        );
        error_message(&response, 405);
        assert_eq!(
            body(&response)["reason"],
            json!("PATCH Operation is not supported in target IDP.")
        );
    }
    let put = send(
        &sim,
        "PUT",
        &format!("{USERS}/{id}"),
        &json!({"profile": "Guest", "scimAttributes": {"userName": "g"}, "customAttributes": {"guestPass": "p"}}),
    );
    assert_eq!(put.status, 200, "PUT still works: {:?}", put.body);
}

// ---- statuses, auth, media types (OD-01, OD-14, OD-17, OD-18, OD-23) ----

#[test]
fn od01_unknown_id_is_404() {
    let sim = sim();
    let response = patch(
        &sim,
        "User_404",
        json!([{"operation": "add", "path": "customAttributes:userKey", "value": "x"}]),
    );
    assert!(error_message(&response, 404).contains("User_404"));
    assert_eq!(body(&response)["reason"], json!("Resource not found"));
}

#[test]
fn od14_documented_reasons() {
    assert_eq!(error::reason_for(400), "Request validation failed");
    assert_eq!(
        error::reason_for(401),
        "Authorization failure. The authorization header is invalid or missing"
    );
    assert_eq!(
        error::reason_for(403),
        "Operation is not permitted based on the supplied authorization."
    );
    assert_eq!(
        error::reason_for(405),
        "PATCH Operation is not supported in target IDP."
    );
    assert_eq!(error::reason_for(500), "Internal Server Error");
    let response = sim().error(413, "body too large");
    assert_eq!(error_message(&response, 413), "body too large");
}

#[test]
fn od23_missing_or_invalid_token_is_401_with_challenge() {
    let sim = sim();
    let payload = json!({"profile": "Subscriber", "scimAttributes": {"userName": "x"}});
    let mut no_header = request("POST", USERS, Some(&payload));
    no_header.headers.retain(|(k, _)| k != "authorization");
    let mut wrong = request("POST", USERS, Some(&payload));
    wrong.headers[0].1 = "Bearer nope".to_string();
    let mut basic = request("POST", USERS, Some(&payload));
    basic.headers[0].1 = format!("Basic {DEFAULT_TOKEN}");
    for req in [no_header, wrong, basic] {
        let response = sim.handle(&req);
        error_message(&response, 401);
        assert!(
            response
                .headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("www-authenticate") && v.starts_with("Bearer"))
        );
    }
    assert!(sim.store().users.is_empty());
}

#[test]
fn od23_read_only_token_may_read_but_not_write() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let with_readonly = |mut req: SimRequest| {
        req.headers[0].1 = format!("bearer {DEFAULT_READONLY_TOKEN}");
        sim.handle(&req)
    };
    let ops = json!({"profile": "Subscriber", "Operations": [{"operation": "add", "path": "customAttributes:userKey", "value": "x"}]});
    let put = json!({"profile": "Subscriber", "scimAttributes": {"userName": "x"}});
    error_message(
        &with_readonly(request("PATCH", &format!("{USERS}/{id}"), Some(&ops))),
        403,
    );
    error_message(
        &with_readonly(request("PUT", &format!("{USERS}/{id}"), Some(&put))),
        403,
    );
    error_message(&with_readonly(request("POST", USERS, Some(&put))), 403);
    let mut get = request("GET", USERS, None);
    get.query = vec![("filter".to_string(), "userName eq \"bjensen\"".to_string())];
    assert_eq!(with_readonly(get).status, 200);
}

#[test]
fn od17_media_types() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let ops = json!({"profile": "Subscriber", "Operations": [{"operation": "add", "path": "customAttributes:userKey", "value": "x"}]});
    let with_type = |content_type: Option<&str>| {
        let mut req = request("PATCH", &format!("{USERS}/{id}"), Some(&ops));
        req.headers.retain(|(k, _)| k != "content-type");
        if let Some(ct) = content_type {
            req.headers
                .push(("content-type".to_string(), ct.to_string()));
        }
        sim.handle(&req).status
    };
    assert_eq!(with_type(Some("application/json")), 200);
    assert_eq!(with_type(Some("application/json;charset=utf-8")), 200);
    assert_eq!(with_type(Some("application/scim+json")), 200);
    assert_eq!(with_type(Some("text/plain")), 400);
    assert_eq!(with_type(Some("application/x-www-form-urlencoded")), 400);
    assert_eq!(with_type(None), 400);
}

#[test]
fn malformed_json_or_non_object_body_is_400() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for raw in ["{", "[]", "\"text\"", "", "{\"profile\": \"Subscriber\",}"] {
        let mut req = request("PATCH", &format!("{USERS}/{id}"), Some(&json!({})));
        req.body = raw.as_bytes().to_vec();
        error_message(&sim.handle(&req), 400);
    }
}

#[test]
fn od18_if_match_ignored_and_no_etag() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    let ops = json!({"profile": "Subscriber", "Operations": [{"operation": "add", "path": "customAttributes:userKey", "value": "x"}]});
    let mut req = request("PATCH", &format!("{USERS}/{id}"), Some(&ops));
    req.headers
        .push(("if-match".to_string(), "W/\"nonsense\"".to_string()));
    let response = sim.handle(&req);
    assert_eq!(response.status, 200);
    assert!(
        !response
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("etag"))
    );
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let sim = sim();
    let id = create_subscriber(&sim, "bjensen");
    for path in [
        "/userManagement/v1/users",
        "/userManagement/v2/user",
        "/userManagement/v1/user/a/b",
        "/",
    ] {
        error_message(&sim.handle(&request("GET", path, None)), 404);
    }
    let delete = sim.handle(&request("DELETE", &format!("{USERS}/{id}"), None));
    error_message(&delete, 405);
    assert!(
        delete
            .headers
            .contains(&("Allow".to_string(), "PUT, PATCH".to_string()))
    );
    let get_one = sim.handle(&request("GET", &format!("{USERS}/{id}"), None));
    error_message(&get_one, 405);
    error_message(&sim.handle(&request("PATCH", USERS, Some(&json!({})))), 405);
}

// ---- configuration ----

#[test]
fn builtin_config_has_documented_profiles() {
    let config = IdmConfig::builtin();
    let (name, subscriber) = config.profile("subscriber").expect("Subscriber");
    assert_eq!(name, "Subscriber");
    assert!(subscriber.target_supports_patch);
    for (attr, ty) in [
        ("userKey", CustomAttrType::String),
        ("loyaltyPoints", CustomAttrType::Integer),
        ("creditLimit", CustomAttrType::Number),
        ("marketingOptIn", CustomAttrType::Boolean),
        ("contractEnd", CustomAttrType::DateTimeString),
    ] {
        assert_eq!(
            subscriber.custom(attr).map(|(_, m)| m.attribute_type),
            Some(ty),
            "{attr}"
        );
    }
    assert_eq!(
        subscriber.custom("legacyCode").map(|(_, m)| m.mode),
        Some(CustomAttrMode::Swallow)
    );
    assert_eq!(
        subscriber.custom("crmRef").map(|(_, m)| m.mode),
        Some(CustomAttrMode::Map)
    );
    assert!(
        !config
            .profile("GUEST")
            .expect("Guest")
            .1
            .target_supports_patch
    );
    assert!(
        config
            .profile("Partner")
            .expect("Partner")
            .1
            .custom("accountType")
            .expect("accountType")
            .1
            .required
    );
    assert_eq!(IdmConfig::default(), config);
}

#[test]
fn config_defaults_apply() {
    let config = IdmConfig::from_json_str(
        r#"{"profiles": {"Basic": {"scim-custom-attr-mapping": {"code": {}}}}}"#,
    )
    .expect("valid");
    let (_, basic) = config.profile("basic").expect("Basic");
    assert!(basic.target_supports_patch);
    assert!(basic.group_assignment.is_empty());
    let (_, code) = basic.custom("code").expect("code");
    assert_eq!(code.attribute_type, CustomAttrType::String);
    assert_eq!(code.mode, CustomAttrMode::Forward);
    assert!(!code.required);
}

#[test]
fn config_errors_are_clear() {
    let cases = [
        ("{", "EOF"),
        (r#"{"profiles": {}}"#, "at least one profile"),
        (
            r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"attribute-type": "TEXT"}}}}}"#,
            "TEXT",
        ),
        (
            r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"mode": "MAP"}}}}}"#,
            "target-attribute-name",
        ),
        (
            r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"atribute-type": "STRING"}}}}}"#,
            "atribute-type",
        ),
        (r#"{"profiles": {"A": {}, "a": {}}}"#, "differ only in case"),
        (
            r#"{"profiles": {"A": {"scim-rfc7643-mapping": {"userName": "SWALLOW"}}}}"#,
            "cannot be swallowed",
        ),
        (
            r#"{"profiles": {"A": {"scim-rfc7643-mapping": {"shoeSize": "FORWARD"}}}}"#,
            "shoeSize",
        ),
        (
            r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"a.b": {}}}}}"#,
            "a.b",
        ),
        (
            r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"mode": "MAP", "target-attribute-name": "y"}, "y": {}}}}}"#,
            "stored as",
        ),
        (
            r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"attribute-name": "z"}}}}}"#,
            "differs from its key",
        ),
        (
            r#"{"profiles": {"A": {"group-assignment": ["g", "g"]}}}"#,
            "twice",
        ),
    ];
    for (json, expected) in cases {
        match IdmConfig::from_json_str(json) {
            Err(SimError::Config(message)) => {
                assert!(message.contains(expected), "{json}: {message}")
            }
            other => panic!("{json}: expected a config error, got {other:?}"),
        }
    }
}

#[test]
fn config_load_reads_a_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("scimcert-idm-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.json");
    std::fs::write(&good, config::BUILTIN_CONFIG_JSON).expect("write");
    assert_eq!(IdmConfig::load(&good).expect("loads"), IdmConfig::builtin());
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"profiles\": 3}").expect("write");
    match IdmConfig::load(&bad) {
        Err(SimError::Config(message)) => assert!(message.contains("bad.json"), "{message}"),
        other => panic!("expected a config error, got {other:?}"),
    }
    match IdmConfig::load(dir.join("missing.json")) {
        Err(SimError::Config(message)) => assert!(message.contains("missing.json"), "{message}"),
        other => panic!("expected a config error, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

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
