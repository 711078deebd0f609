//! Unit tests of the SCIM simulation, calling [`Handler::handle`] directly, for what the
//! case corpus (`cases/scim/`, run over HTTP by `tests/conformance.rs`) does not check:
//! the simulation's own numbering and formats (ids, `W/"n"` versions), the endpoints
//! around PATCH that no rule covers (create, PUT, DELETE, lists, discovery, routing, auth,
//! tenants), options a case cannot set, speed and robustness.

use serde_json::{Value, json};

use super::wire::SCIM_JSON;
use super::*;
use crate::api::Api;
use crate::patch::schema::PATCH_OP_URN;
use crate::sim::{DEFAULT_READONLY_TOKEN, DEFAULT_TOKEN, SimOptions};

const BASE: &str = "/usergroup/t/my-tenant/scim/v2";

fn sim(profile: Profile) -> ScimSim {
    ScimSim::new(&SimOptions::new(profile))
}

/// A request to `path` (under [`BASE`] unless it starts with `/usergroup`), optionally
/// with `?name=value&…` (values taken literally), authorised with the full token.
fn request(method: &str, path: &str, body: Option<Value>) -> SimRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let path = if path.starts_with("/usergroup") {
        path.to_string()
    } else {
        format!("{BASE}{path}")
    };
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_string(), value.to_string())
        })
        .collect();
    let mut headers = vec![
        ("host".to_string(), "sim.test:8080".to_string()),
        (
            "authorization".to_string(),
            format!("Bearer {DEFAULT_TOKEN}"),
        ),
    ];
    let body = body.map(|body| {
        headers.push(("content-type".to_string(), SCIM_JSON.to_string()));
        serde_json::to_vec(&body).unwrap()
    });
    SimRequest {
        method: method.to_string(),
        path,
        query,
        headers,
        body: body.unwrap_or_default(),
    }
}

fn with_header(mut request: SimRequest, name: &str, value: &str) -> SimRequest {
    request.headers.retain(|(key, _)| key != name);
    request.headers.push((name.to_string(), value.to_string()));
    request
}

fn header<'a>(response: &'a SimResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn body(response: &SimResponse) -> Value {
    response.json().expect("a body")
}

fn assert_error(response: &SimResponse, status: u16, scim_type: Option<&str>) {
    assert_eq!(response.status, status, "{:?}", response.json());
    let body = body(response);
    assert_eq!(body["schemas"], json!([ERROR_URN]));
    assert_eq!(body["status"], json!(status.to_string()));
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
    assert!(body["detail"].is_string());
}

fn bjensen() -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": "bjensen",
        "externalId": "ext-1",
        "displayName": "Babs Jensen",
        "password": "secret",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
    })
}

/// Creates a user and returns its id.
fn create(sim: &ScimSim, user: Value) -> String {
    let response = sim.handle(&request("POST", "/Users", Some(user)));
    assert!(
        matches!(response.status, 200 | 201),
        "{:?}",
        response.json()
    );
    body(&response)["id"].as_str().unwrap().to_string()
}

fn patch_op(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP_URN], "Operations": operations})
}

fn patch(sim: &ScimSim, id: &str, operations: Value) -> SimResponse {
    sim.handle(&request(
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch_op(operations)),
    ))
}

fn get(sim: &ScimSim, id: &str) -> SimResponse {
    sim.handle(&request("GET", &format!("/Users/{id}"), None))
}

fn is_rfc3339_millis(value: &Value) -> bool {
    let re = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").unwrap();
    value.as_str().is_some_and(|s| re.is_match(s))
}

#[test]
fn create_assigns_id_meta_etag_and_location() {
    let sim = sim(Profile::Rfc7644);
    let response = sim.handle(&request("POST", "/Users", Some(bjensen())));
    assert_eq!(response.content_type, SCIM_JSON);
    let user = body(&response);
    let id = user["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(user["schemas"], json!([USER_URN]));
    assert_eq!(user["userName"], "bjensen");
    assert!(user.get("password").is_none(), "password is returned never");
    let meta = &user["meta"];
    assert_eq!(meta["resourceType"], "User");
    assert!(is_rfc3339_millis(&meta["created"]), "{meta}");
    assert_eq!(meta["created"], meta["lastModified"]);
    let location = format!("http://sim.test:8080{BASE}/Users/{id}");
    assert_eq!(meta["location"], json!(location));
    assert_eq!(meta["version"], "W/\"1\"");
    assert_eq!(header(&response, "etag"), Some("W/\"1\""));
    assert_eq!(header(&response, "location"), Some(location.as_str()));
}

#[test]
fn create_ignores_client_id_and_meta() {
    let sim = sim(Profile::Rfc7644);
    let mut user = bjensen();
    user["id"] = json!("mine");
    user["meta"] = json!({"version": "W/\"99\""});
    let id = create(&sim, user);
    assert_ne!(id, "mine");
    assert_eq!(body(&get(&sim, &id))["meta"]["version"], "W/\"1\"");
}

#[test]
fn create_invalid_user_is_400_invalid_value() {
    let sim = sim(Profile::Rfc7644);
    let response = sim.handle(&request(
        "POST",
        "/Users",
        Some(json!({"displayName": "no userName"})),
    ));
    assert_error(&response, 400, Some("invalidValue"));
    let response = sim.handle(&request(
        "POST",
        "/Users",
        Some(json!(["not", "an", "object"])),
    ));
    assert_error(&response, 400, Some("invalidSyntax"));
}

#[test]
fn create_get_patch_delete_round_trip() {
    let sim = sim(Profile::Rfc7644);
    let id = create(&sim, bjensen());
    let fetched = get(&sim, &id);
    assert_eq!(fetched.status, 200);
    assert_eq!(body(&fetched)["displayName"], "Babs Jensen");
    assert_eq!(header(&fetched, "etag"), Some("W/\"1\""));

    let patched = patch(
        &sim,
        &id,
        json!([{"op": "replace", "path": "displayName", "value": "Babs"}]),
    );
    assert_eq!(patched.status, 200, "{:?}", patched.json());
    assert_eq!(body(&patched)["displayName"], "Babs");
    assert_eq!(body(&patched)["userName"], "bjensen");
    assert_eq!(body(&patched)["meta"]["version"], "W/\"2\"");
    assert_eq!(header(&patched, "etag"), Some("W/\"2\""));
    assert_eq!(body(&get(&sim, &id))["displayName"], "Babs");

    let deleted = sim.handle(&request("DELETE", &format!("/Users/{id}"), None));
    assert_eq!(deleted.status, 204);
    assert!(deleted.json().is_none());
    assert_error(&get(&sim, &id), 404, None);
    assert_error(
        &sim.handle(&request("DELETE", &format!("/Users/{id}"), None)),
        404,
        None,
    );
}

#[test]
fn e05_changing_patch_bumps_version_and_last_modified() {
    let sim = sim(Profile::Rfc7644);
    let id = create(&sim, bjensen());
    let before = body(&get(&sim, &id)).clone();
    let after = patch(
        &sim,
        &id,
        json!([{"op": "add", "path": "nickName", "value": "Babs"}]),
    );
    let after = body(&after);
    assert_eq!(after["meta"]["created"], before["meta"]["created"]);
    assert!(is_rfc3339_millis(&after["meta"]["lastModified"]));
    assert!(after["meta"]["lastModified"].as_str() > before["meta"]["lastModified"].as_str());
    assert_eq!(after["meta"]["location"], before["meta"]["location"]);
    assert_eq!(after["id"], before["id"]);
}

#[test]
fn tenants_are_isolated() {
    let sim = sim(Profile::Vmware);
    let id = create(&sim, bjensen());
    let other = "/usergroup/t/other-tenant/scim/v2";
    assert_error(
        &sim.handle(&request("GET", &format!("{other}/Users/{id}"), None)),
        404,
        None,
    );
    let list = sim.handle(&request("GET", &format!("{other}/Users"), None));
    assert_eq!(body(&list)["totalResults"], 0);
    // The same userName is free in another tenant.
    let created = sim.handle(&request("POST", &format!("{other}/Users"), Some(bjensen())));
    assert_eq!(created.status, 200, "{:?}", created.json());
    assert!(
        body(&created)["meta"]["location"]
            .as_str()
            .unwrap()
            .contains("/usergroup/t/other-tenant/scim/v2/Users/")
    );
    assert_eq!(sim.user_count("my-tenant"), 1);
    assert_eq!(sim.user_count("other-tenant"), 1);
}

#[test]
fn missing_or_wrong_token_is_401_with_www_authenticate() {
    let sim = sim(Profile::Vmware);
    let id = create(&sim, bjensen());
    let mut anonymous = request("GET", &format!("/Users/{id}"), None);
    anonymous
        .headers
        .retain(|(name, _)| name != "authorization");
    let wrong = with_header(
        request("GET", &format!("/Users/{id}"), None),
        "authorization",
        "Bearer nope",
    );
    let basic = with_header(
        request("GET", "/Users", None),
        "authorization",
        "Basic c2NpbTpzY2lt",
    );
    let unknown_route = with_header(
        request("GET", "/Nothing", None),
        "authorization",
        "Bearer nope",
    );
    for request in [anonymous, wrong, basic, unknown_route] {
        let response = sim.handle(&request);
        assert_error(&response, 401, None);
        assert_eq!(
            header(&response, "www-authenticate"),
            Some("Bearer realm=\"scimcert\"")
        );
    }
    let lower_scheme = with_header(
        request("GET", &format!("/Users/{id}"), None),
        "authorization",
        &format!("bearer {DEFAULT_TOKEN}"),
    );
    assert_eq!(sim.handle(&lower_scheme).status, 200);
}

#[test]
fn readonly_token_reads_but_gets_403_on_writes() {
    let sim = sim(Profile::Vmware);
    let id = create(&sim, bjensen());
    let readonly = |request: SimRequest| {
        with_header(
            request,
            "authorization",
            &format!("Bearer {DEFAULT_READONLY_TOKEN}"),
        )
    };
    let user = format!("/Users/{id}");
    for write in [
        request("POST", "/Users", Some(json!({"userName": "x"}))),
        request("PUT", &user, Some(json!({"userName": "x"}))),
        request(
            "PATCH",
            &user,
            Some(patch_op(
                json!([{"op": "add", "path": "title", "value": "t"}]),
            )),
        ),
        request("DELETE", &user, None),
    ] {
        assert_error(&sim.handle(&readonly(write)), 403, None);
    }
    assert_eq!(
        sim.handle(&readonly(request("GET", &user, None))).status,
        200
    );
    assert_eq!(
        sim.handle(&readonly(request("GET", "/Users", None))).status,
        200
    );
    assert_eq!(
        sim.handle(&readonly(request(
            "POST",
            "/Users/.search",
            Some(json!({}))
        )))
        .status,
        200
    );
    assert_eq!(body(&get(&sim, &id))["meta"]["version"], "W/\"1\"");
    assert_eq!(sim.user_count("my-tenant"), 1);
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let sim = sim(Profile::Rfc7644);
    for path in [
        "/Groups",
        "/Users/a/b",
        "/usergroup/t/my-tenant/scim/v3/Users",
        "/",
        "/usergroup/t//scim/v2/Users",
    ] {
        assert_error(&sim.handle(&request("GET", path, None)), 404, None);
    }
    let response = sim.handle(&request("DELETE", "/Users", None));
    assert_error(&response, 405, None);
    assert_eq!(header(&response, "allow"), Some("GET, POST"));
    assert_error(
        &sim.handle(&request("POST", "/Users/some-id", Some(json!({})))),
        405,
        None,
    );
    assert_error(
        &sim.handle(&request("PATCH", "/ServiceProviderConfig", Some(json!({})))),
        405,
        None,
    );
    assert_error(
        &patch(
            &sim,
            "no-such-id",
            json!([{"op": "add", "path": "title", "value": "t"}]),
        ),
        404,
        None,
    );
    assert_error(
        &sim.handle(&request("PUT", "/Users/no-such-id", Some(bjensen()))),
        404,
        None,
    );
}

#[test]
fn trailing_slash_is_tolerated() {
    let sim = sim(Profile::Rfc7644);
    assert_eq!(sim.handle(&request("GET", "/Users/", None)).status, 200);
}

#[test]
fn uniqueness_409_on_post_case_insensitive() {
    let sim = sim(Profile::Vmware);
    create(&sim, bjensen());
    let mut twin = bjensen();
    twin["userName"] = json!("BJensen");
    assert_error(
        &sim.handle(&request("POST", "/Users", Some(twin))),
        409,
        Some("uniqueness"),
    );
    assert_eq!(sim.user_count("my-tenant"), 1);
}

/// The corpus checks a PATCH collision (`scim-err-username-collision-*`); PUT, renaming
/// oneself by case and reusing a freed name are the store's uniqueness bookkeeping.
#[test]
fn uniqueness_409_on_put_and_names_freed_by_a_rename() {
    let sim = sim(Profile::Rfc7644);
    create(&sim, bjensen());
    let other = create(&sim, json!({"userName": "other"}));
    let response = sim.handle(&request(
        "PUT",
        &format!("/Users/{other}"),
        Some(json!({"userName": "bjensen"})),
    ));
    assert_error(&response, 409, Some("uniqueness"));
    // Renaming to a case variant of one's own name is not a collision.
    let response = patch(
        &sim,
        &other,
        json!([{"op": "replace", "path": "userName", "value": "OTHER"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.json());
    // The old name is free again after a rename.
    let response = patch(
        &sim,
        &other,
        json!([{"op": "replace", "path": "userName", "value": "renamed"}]),
    );
    assert_eq!(response.status, 200);
    create(&sim, json!({"userName": "other"}));
}

#[test]
fn malformed_json_is_400_invalid_syntax() {
    let sim = sim(Profile::Vmware);
    let id = create(&sim, bjensen());
    for (method, path) in [
        ("POST", "/Users".to_string()),
        ("PATCH", format!("/Users/{id}")),
        ("PUT", format!("/Users/{id}")),
    ] {
        let mut broken = request(method, &path, Some(json!({})));
        broken.body = b"{\"Operations\": [".to_vec();
        assert_error(&sim.handle(&broken), 400, Some("invalidSyntax"));
        broken.body = Vec::new();
        assert_error(&sim.handle(&broken), 400, Some("invalidSyntax"));
    }
}

#[test]
fn patch_operations_answer_as_json_body_and_the_general_reader_do() {
    // What `ScimSim::patch` answered before the fast reader: every media type, body and
    // profile gets the same operations or the same 400 from `patch_operations`.
    let urn = PATCH_OP_URN;
    let mut bodies: Vec<Vec<u8>> = [
        format!(
            r#"{{"schemas":["{urn}"],"Operations":[{{"op":"replace","path":"nickName","value":"nick-1"}}]}}"#
        ),
        format!(r#"{{"schemas":["{urn}"],"Operations":[{{"op":"move","path":"title"}}]}}"#),
        format!(r#"{{"schemas":["{urn}"],"Operations":[{{"op":"Replace","path":"title","value":"A"}}]}}"#),
        r#"{"Operations":[{"op":"remove","path":"title"}]}"#.to_owned(),
        format!(r#"{{"schemas":["{urn}"],"id":"u1","Operations":[]}}"#),
        format!(r#"{{"Schemas":["{urn}"],"OPERATIONS":[{{"OP":"add","Value":{{"title":"A"}}}}]}}"#),
        format!(r#"{{"schemas":["{urn}"],"Operations":[{{"op":"add","path":"title","value":"A"}}]}} x"#),
        "[]".to_owned(),
        "null".to_owned(),
        "{\"Operations\": [".to_owned(),
        String::new(),
    ]
    .map(String::into_bytes)
    .to_vec();
    // Not UTF-8: in a string, before the JSON, and a character cut short.
    let mut in_string = format!(
        r#"{{"schemas":["{urn}"],"Operations":[{{"op":"add","path":"title","value":"A_B"}}]}}"#
    )
    .into_bytes();
    if let Some(at) = in_string.iter().position(|&b| b == b'_') {
        in_string[at] = 0xff;
    }
    bodies.push(in_string);
    bodies.push(b"\xff{}".to_vec());
    bodies.push(b"{\"schemas\":[\"\xc3\"]}".to_vec());
    for profile in Profile::ALL {
        let leniency = crate::sim::profile::leniency(profile);
        for content_type in [
            None,
            Some(SCIM_JSON),
            Some("application/json; charset=utf-8"),
            Some("text/plain"),
        ] {
            for body in &bodies {
                let mut request = request("PATCH", "/Users/u1", None);
                if let Some(content_type) = content_type {
                    request = with_header(request, "content-type", content_type);
                }
                request.body = body.clone();
                let before = json_body(&request).and_then(|value| {
                    parse_patch_request(&value, &leniency).map_err(|error| patch_error(&error))
                });
                assert_eq!(
                    patch_operations(&request, &leniency),
                    before,
                    "{profile:?} {content_type:?} {}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }
}

#[test]
fn other_content_types_are_400_and_json_is_accepted() {
    let sim = sim(Profile::Rfc7644);
    let plain = with_header(
        request("POST", "/Users", Some(bjensen())),
        "content-type",
        "text/plain",
    );
    assert_error(&sim.handle(&plain), 400, Some("invalidSyntax"));
    let json = with_header(
        request("POST", "/Users", Some(bjensen())),
        "content-type",
        "application/json; charset=utf-8",
    );
    assert_eq!(sim.handle(&json).status, 201);
}

#[test]
fn oversized_body_is_413() {
    let mut options = SimOptions::new(Profile::Vmware);
    options.body_limit = 64;
    let sim = ScimSim::new(&options);
    let mut user = bjensen();
    user["displayName"] = json!("x".repeat(100));
    assert_error(
        &sim.handle(&request("POST", "/Users", Some(user))),
        413,
        None,
    );
    assert_eq!(sim.user_count("my-tenant"), 0);
}

#[test]
fn put_replaces_writable_attributes_and_keeps_id_and_created() {
    let sim = sim(Profile::Rfc7644);
    let id = create(&sim, bjensen());
    let before = body(&get(&sim, &id)).clone();
    let replacement =
        json!({"schemas": [USER_URN], "userName": "bjensen", "title": "Boss", "id": "ignored"});
    let response = sim.handle(&request(
        "PUT",
        &format!("/Users/{id}"),
        Some(replacement.clone()),
    ));
    assert_eq!(response.status, 200, "{:?}", response.json());
    let user = body(&response);
    assert_eq!(user["id"], json!(id));
    assert_eq!(user["title"], "Boss");
    assert!(
        user.get("displayName").is_none() && user.get("emails").is_none(),
        "{user}"
    );
    assert_eq!(user["meta"]["created"], before["meta"]["created"]);
    assert_eq!(user["meta"]["version"], "W/\"2\"");
    // The same PUT again changes nothing.
    let again = sim.handle(&request("PUT", &format!("/Users/{id}"), Some(replacement)));
    assert_eq!(body(&again)["meta"]["version"], "W/\"2\"");
}

#[test]
fn list_filters_pages_and_names_member_per_profile() {
    for (profile, member) in [
        (Profile::Vmware, "resources"),
        (Profile::Rfc7644, "Resources"),
    ] {
        let sim = sim(profile);
        for name in ["alice", "bob", "carol"] {
            create(
                &sim,
                json!({"userName": name, "title": if name == "bob" { "Boss" } else { "Dev" }}),
            );
        }
        let response = sim.handle(&request("GET", "/Users?filter=userName eq \"BOB\"", None));
        assert_eq!(response.status, 200);
        let list = body(&response);
        assert_eq!(list["schemas"], json!([LIST_URN]));
        assert_eq!(list["totalResults"], 1);
        assert_eq!(list["itemsPerPage"], 1);
        assert_eq!(list["startIndex"], 1);
        assert_eq!(list[member][0]["userName"], "bob", "{profile}");

        let response = sim.handle(&request(
            "GET",
            "/Users?filter=title eq \"Dev\"&startIndex=2&count=5",
            None,
        ));
        let list = body(&response);
        assert_eq!(list["totalResults"], 2);
        assert_eq!(list["itemsPerPage"], 1);
        assert_eq!(list["startIndex"], 2);
        assert_eq!(list[member][0]["userName"], "carol");

        let response = sim.handle(&request("GET", "/Users?count=0", None));
        assert_eq!(body(&response)["totalResults"], 3);
        assert_eq!(body(&response)[member], json!([]));
    }
}

#[test]
fn list_rejects_bad_filters_and_numbers() {
    let sim = sim(Profile::Rfc7644);
    assert_error(
        &sim.handle(&request("GET", "/Users?filter=userName zz \"x\"", None)),
        400,
        Some("invalidFilter"),
    );
    assert_error(
        &sim.handle(&request("GET", "/Users?filter=userName eq", None)),
        400,
        Some("invalidFilter"),
    );
    assert_error(
        &sim.handle(&request("GET", "/Users?count=many", None)),
        400,
        Some("invalidValue"),
    );
}

#[test]
fn root_search_is_a_users_search_under_every_profile() {
    for profile in Profile::ALL.into_iter().filter(|p| p.api() == Api::Scim) {
        let sim = sim(profile);
        create(&sim, bjensen());
        create(&sim, json!({"userName": "other"}));
        let search = json!({"filter": "userName eq \"other\"", "excludedAttributes": "userName"});
        let response = sim.handle(&request("POST", "/.search", Some(search)));
        assert_eq!(response.status, 200, "{profile:?}: {:?}", response.json());
        let list = body(&response);
        let member = if profile == Profile::Vmware {
            "resources"
        } else {
            "Resources"
        };
        assert_eq!(list["totalResults"], 1, "{profile:?}");
        assert!(list[member][0]["id"].is_string(), "{profile:?}");
        assert!(list[member][0].get("userName").is_none(), "{profile:?}");
        let page = sim.handle(&request(
            "POST",
            "/.search",
            Some(json!({"startIndex": 2, "count": 1})),
        ));
        assert_eq!(body(&page)["totalResults"], 2, "{profile:?}");
        assert_eq!(
            body(&page)[member].as_array().map(Vec::len),
            Some(1),
            "{profile:?}"
        );
        let wrong = sim.handle(&request("GET", "/.search", None));
        assert_error(&wrong, 405, None);
        assert_eq!(header(&wrong, "allow"), Some("POST"));
    }
}

#[test]
fn discovery_describes_the_simulation() {
    for profile in [Profile::Vmware, Profile::Rfc7644] {
        let sim = sim(profile);
        let spc = sim.handle(&request("GET", "/ServiceProviderConfig", None));
        assert_eq!(spc.status, 200);
        let spc = body(&spc);
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(spc["etag"]["supported"], true);
        assert_eq!(spc["filter"]["supported"], true);
        assert_eq!(spc["filter"]["maxResults"], MAX_RESULTS);
        for off in ["bulk", "sort", "changePassword"] {
            assert_eq!(spc[off]["supported"], false);
        }
        let member = if profile == Profile::Vmware {
            "resources"
        } else {
            "Resources"
        };
        let schemas = sim.handle(&request("GET", "/Schemas", None));
        assert_eq!(body(&schemas)["totalResults"], 2);
        let enterprise = sim.handle(&request("GET", &format!("/Schemas/{ENTERPRISE_URN}"), None));
        assert_eq!(body(&enterprise)["id"], ENTERPRISE_URN);
        let has_country = body(&enterprise)["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|attribute| attribute["name"] == "country");
        assert_eq!(has_country, profile == Profile::Vmware);
        let types = sim.handle(&request("GET", "/ResourceTypes", None));
        assert_eq!(body(&types)[member][0]["endpoint"], "/Users");
        assert_eq!(
            sim.handle(&request("GET", "/ResourceTypes/User", None))
                .status,
            200
        );
        assert_error(
            &sim.handle(&request("GET", "/ResourceTypes/Group", None)),
            404,
            None,
        );
        assert_error(
            &sim.handle(&request("GET", "/Schemas/urn:x", None)),
            404,
            None,
        );
    }
}

#[test]
fn every_response_is_scim_json_and_errors_have_the_scim_shape() {
    let sim = sim(Profile::Vmware);
    let id = create(&sim, bjensen());
    let bad = patch(&sim, &id, json!([{"op": "move", "path": "title"}]));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.content_type, SCIM_JSON);
    assert_eq!(body(&bad)["schemas"], json!([ERROR_URN]));
    assert_eq!(body(&bad)["status"], "400");
}

#[test]
fn patch_is_fast() {
    let sim = sim(Profile::Vmware);
    let id = create(&sim, bjensen());
    let started = std::time::Instant::now();
    for i in 0..1000 {
        let response = patch(
            &sim,
            &id,
            json!([{"op": "replace", "path": "title", "value": format!("t{i}")}]),
        );
        assert_eq!(response.status, 200);
    }
    // Generous for an unoptimised build on a busy machine; release is far faster.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(body(&get(&sim, &id))["meta"]["version"], "W/\"1001\"");
}

mod never_panics {
    use proptest::prelude::*;

    use super::*;

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z0-9 .:\\[\\]\"_-]{0,24}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            Just("op".to_string()),
                            Just("path".to_string()),
                            Just("value".to_string()),
                            Just("Operations".to_string()),
                            Just("schemas".to_string()),
                            Just("userName".to_string()),
                            "[a-zA-Z]{1,8}"
                        ],
                        inner
                    ),
                    0..4
                )
                .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_body_or_path_gets_an_answer(
            method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("PATCH"), Just("DELETE"), Just("HEAD")],
            suffix in "(/Users(/[a-z0-9.%-]{0,6})?|/Schemas/.{0,8}|/[A-Za-z]{0,8}){0,2}",
            raw in prop::collection::vec(any::<u8>(), 0..64),
            json_body in arbitrary_json(),
            use_json in any::<bool>(),
            query in "(attributes|excludedAttributes|filter|count|startIndex)=[a-zA-Z .\"]{0,12}",
        ) {
            let sim = sim(Profile::Vmware);
            let id = create(&sim, bjensen());
            for path in [format!("/Users/{id}?{query}"), format!("{suffix}?{query}")] {
                let mut req = request(method, &path, Some(json!({})));
                req.body = if use_json { serde_json::to_vec(&json_body).unwrap() } else { raw.clone() };
                let response = sim.handle(&req);
                prop_assert!((200..600).contains(&response.status));
                if response.status >= 400 {
                    let body = response.json().expect("error body");
                    prop_assert_eq!(&body["status"], &json!(response.status.to_string()));
                }
            }
        }
    }
}

#[test]
fn a_renewed_meta_is_the_meta_built_afresh() {
    let location = "http://h/v2/Users/u1";
    let stored =
        json!({"id": "u1", "meta": user_meta("2026-01-01T00:00:00.000Z", "x", location, 3)});
    assert_eq!(
        renewed_meta(&stored, "2026-02-02T00:00:00.000Z", 4).to_string(),
        user_meta(
            "2026-01-01T00:00:00.000Z",
            "2026-02-02T00:00:00.000Z",
            location,
            4
        )
        .to_string()
    );
    // Any other shape is built afresh from its fields.
    let odd = json!({"meta": {"created": "c", "location": "l", "extra": 1}});
    assert_eq!(
        renewed_meta(&odd, "m", 2).to_string(),
        user_meta("c", "m", "l", 2).to_string()
    );
}

#[test]
fn a_meta_renewed_in_place_is_the_renewed_meta() {
    let location = "http://h/v2/Users/u1";
    let old = json!({"id": "u1", "userName": "a", "meta": user_meta("c", "x", location, 3)});
    let expected = |resource: &Value| {
        let mut resource = resource.as_object().expect("object").clone();
        resource.insert("meta".into(), renewed_meta(&old, "m", 4));
        Value::Object(resource).to_string()
    };
    // The meta held unchanged (a PATCH), changed (a PUT of an odd one), or absent.
    for resource in [
        old.clone(),
        json!({"meta": {"created": "other"}, "id": "u1"}),
        json!({"id": "u1", "meta": user_meta("c", "x", location, 2)}),
        json!({"id": "u1"}),
    ] {
        let mut object = resource.as_object().expect("object").clone();
        renew_meta(&mut object, &old, "m", 4);
        assert_eq!(Value::Object(object).to_string(), expected(&resource));
    }
}

#[test]
fn assemble_orders_schemas_id_attributes_meta() {
    let attributes = json!({
        "META": {"version": "x"},
        "userName": "a",
        "Schemas": ["urn:x"],
        ENTERPRISE_URN: {"employeeNumber": "1"},
        "ID": "client",
        "nickName": "n",
    });
    assert_eq!(
        assemble("u1", attributes, json!({"m": 1})).to_string(),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:x", ENTERPRISE_URN],
            "id": "u1",
            "userName": "a",
            ENTERPRISE_URN: {"employeeNumber": "1"},
            "nickName": "n",
            "meta": {"m": 1},
        })
        .to_string()
    );
}

#[test]
fn split_once_byte_splits_as_split_once() {
    for text in [
        "",
        "/",
        "a/b",
        "/a",
        "a/",
        "a/b/c",
        "ténant/x",
        "é",
        "Bearer  t",
        " ",
    ] {
        for byte in [b'/', b' '] {
            assert_eq!(
                split_once_byte(text, byte),
                text.split_once(char::from(byte)),
                "{text:?}"
            );
        }
    }
}

/// PATCH changes the stored user where it is: a PATCH refused after its operations
/// applied (the new userName is taken) leaves the user byte for byte as it was, version
/// included, and the name index as it was.
#[test]
fn a_patch_refused_after_applying_leaves_the_user_exactly_as_it_was() {
    let sim = sim(Profile::Rfc7644);
    create(&sim, bjensen());
    let other = create(&sim, json!({"userName": "other", "title": "before"}));
    let before = get(&sim, &other).into_body_bytes();
    let response = patch(
        &sim,
        &other,
        json!([
            {"op": "replace", "path": "title", "value": "after"},
            {"op": "remove", "path": "displayName"},
            {"op": "replace", "path": "userName", "value": "BJENSEN"}
        ]),
    );
    assert_error(&response, 409, Some("uniqueness"));
    assert_eq!(get(&sim, &other).into_body_bytes(), before);
    // The index still gives `other` its name, and the taken name its owner.
    assert_error(
        &sim.handle(&request(
            "POST",
            "/Users",
            Some(json!({"userName": "Other"})),
        )),
        409,
        Some("uniqueness"),
    );
    let response = patch(
        &sim,
        &other,
        json!([{"op": "replace", "path": "title", "value": "after"}]),
    );
    assert_eq!(response.status, 200, "{:?}", response.json());
    assert_eq!(body(&response)["meta"]["version"], json!("W/\"2\""));
}

/// An answer that shows the stored user keeps showing the user as it was when answered,
/// however the user is patched before the answer is written out.
#[test]
fn an_answer_is_not_changed_by_a_later_patch() {
    let sim = sim(Profile::Rfc7644);
    let id = create(&sim, bjensen());
    let held = get(&sim, &id);
    let first = patch(
        &sim,
        &id,
        json!([{"op": "replace", "path": "title", "value": "one"}]),
    );
    let second = patch(
        &sim,
        &id,
        json!([{"op": "replace", "path": "title", "value": "two"}]),
    );
    assert_eq!(body(&held)["title"], Value::Null);
    assert_eq!(body(&first)["title"], json!("one"));
    assert_eq!(body(&second)["title"], json!("two"));
    assert_eq!(body(&get(&sim, &id))["title"], json!("two"));
}
