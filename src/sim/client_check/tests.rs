use serde_json::{Value, json};

use super::*;

const USER: &str = "/usergroup/t/my-tenant/scim/v2/Users/abc";

fn request(
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Option<Value>,
) -> SimRequest {
    let mut headers = vec![("authorization".to_string(), "Bearer t".to_string())];
    if let Some(ct) = content_type {
        headers.push(("content-type".into(), ct.into()));
    }
    SimRequest {
        method: method.into(),
        path: path.into(),
        query: Vec::new(),
        headers,
        body: body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default(),
    }
}

fn patch(ops: Value) -> SimRequest {
    request(
        "PATCH",
        USER,
        Some("application/scim+json"),
        Some(json!({"schemas": [PATCH_OP_URN], "Operations": ops})),
    )
}

fn rules(findings: &[Finding]) -> Vec<(&'static str, ClientLevel)> {
    findings.iter().map(|f| (f.rule, f.level)).collect()
}

fn scim(request: &SimRequest) -> Vec<(&'static str, ClientLevel)> {
    rules(&grade(
        Api::Scim,
        Profile::Rfc7644,
        &ClientHistory::default(),
        request,
    ))
}

use ClientLevel::{Info, Must, Should};

#[test]
fn a_correct_patch_has_no_finding() {
    let ok = patch(json!([
        {"op": "replace", "path": "active", "value": false},
        {"op": "add", "path": "emails", "value": [{"value": "a@x", "primary": true}, {"value": "b@x"}]},
        {"op": "remove", "path": "nickName"},
        {"op": "replace", "value": {"title": "T", "name": {"givenName": "B"}}},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "7"}
    ]));
    assert_eq!(scim(&ok), vec![]);
    let get = request("GET", USER, None, None);
    assert_eq!(scim(&get), vec![]);
}

#[test]
fn envelope_breaches_are_must() {
    let no_schemas = request(
        "PATCH",
        USER,
        Some("application/scim+json"),
        Some(json!({"Operations": [{"op": "remove", "path": "title"}]})),
    );
    assert_eq!(scim(&no_schemas), vec![("P-03", Must)]);
    // VMware documents `schemas` as optional (VD-02): reported, not a breach.
    let vmware = grade(
        Api::Scim,
        Profile::Vmware,
        &ClientHistory::default(),
        &no_schemas,
    );
    assert_eq!(rules(&vmware), vec![("P-03", Info)]);
    assert_eq!(scim(&patch(json!([]))), vec![("P-04", Must)]);
    assert_eq!(
        scim(&request(
            "PATCH",
            USER,
            Some("application/json"),
            Some(json!({"schemas": [PATCH_OP_URN]}))
        )),
        vec![("P-04", Must)]
    );
}

#[test]
fn operation_breaches() {
    assert_eq!(
        scim(&patch(
            json!([{"op": "Replace", "path": "title", "value": "x"}])
        )),
        vec![("P-05", Must), ("E1", Info)]
    );
    assert_eq!(
        scim(&patch(json!([{"op": "move", "path": "title"}]))),
        vec![("P-05", Must)]
    );
    assert_eq!(
        scim(&patch(json!([{"path": "title", "value": "x"}]))),
        vec![("P-05", Must)]
    );
    assert_eq!(
        scim(&patch(json!([{"op": "remove"}]))),
        vec![("P-06", Must)]
    );
    assert_eq!(
        scim(&patch(json!([{"op": "add", "path": "title"}]))),
        vec![("P-07", Must)]
    );
    assert_eq!(
        scim(&patch(json!([{"op": "replace"}]))),
        vec![("P-07", Must)]
    );
    assert_eq!(
        scim(&patch(
            json!([{"op": "remove", "path": "emails", "value": [{"value": "a@x"}]}])
        )),
        vec![("E6", Info)]
    );
}

#[test]
fn mutability_and_types() {
    assert_eq!(
        scim(&patch(
            json!([{"op": "replace", "path": "id", "value": "x"}])
        )),
        vec![("P-08", Must)]
    );
    assert_eq!(
        scim(&patch(
            json!([{"op": "replace", "path": "meta.created", "value": "x"}])
        )),
        vec![("P-08", Must)]
    );
    assert_eq!(
        scim(&patch(
            json!([{"op": "replace", "path": "active", "value": "False"}])
        )),
        vec![("P-08", Must), ("E2", Info)]
    );
    assert_eq!(
        scim(&patch(
            json!([{"op": "replace", "value": {"active": "True"}}])
        )),
        vec![("P-08", Must), ("E2", Info)]
    );
    assert_eq!(
        scim(&patch(json!([{"op": "add", "path": "emails", "value": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
        ]}]))),
        vec![("C-03", Must)]
    );
    let post = request(
        "POST",
        "/usergroup/t/my-tenant/scim/v2/Users",
        Some("application/scim+json"),
        Some(json!({"userName": "u", "active": "false", "id": "ignored-by-the-server"})),
    );
    assert_eq!(scim(&post), vec![("C-04", Must), ("E2", Info)]);
}

#[test]
fn path_shapes() {
    assert_eq!(
        scim(&patch(json!([{
            "op": "add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "value": {"department": "D"}
        }]))),
        vec![("P-29", Should)]
    );
    assert_eq!(
        scim(&patch(
            json!([{"op": "replace", "value": {"name.givenName": "B"}}])
        )),
        vec![("E5", Info)]
    );
}

#[test]
fn media_types_and_if_match() {
    let post = |ct: Option<&str>| {
        request(
            "POST",
            "/usergroup/t/my-tenant/scim/v2/Users",
            ct,
            Some(json!({"userName": "u"})),
        )
    };
    assert_eq!(
        scim(&post(Some("application/scim+json; charset=utf-8"))),
        vec![]
    );
    assert_eq!(scim(&post(Some("text/plain"))), vec![("C-01", Should)]);
    assert_eq!(scim(&post(None)), vec![("C-01", Should)]);
    let mut accept = request("GET", USER, None, None);
    accept.headers.push(("accept".into(), "text/html".into()));
    assert_eq!(scim(&accept), vec![("C-02", Should)]);
    accept.headers.push(("accept".into(), "x".into()));
    accept.headers.retain(|(k, _)| k != "accept");
    accept
        .headers
        .push(("accept".into(), "application/scim+json, */*;q=0.1".into()));
    assert_eq!(scim(&accept), vec![]);
    let history = ClientHistory {
        sent_if_match: true,
    };
    let delete = request("DELETE", USER, None, None);
    assert_eq!(
        rules(&grade(Api::Scim, Profile::Rfc7644, &history, &delete)),
        vec![("E-04", Info)]
    );
    assert_eq!(scim(&delete), vec![]);
}

#[test]
fn fabric_rules() {
    let idm = |method: &str, ct: Option<&str>, body: Value| {
        rules(&grade(
            Api::Idm,
            Profile::Fabric,
            &ClientHistory::default(),
            &request(method, "/userManagement/v1/user/User_1", ct, Some(body)),
        ))
    };
    let json = Some("application/json");
    let good = json!({"profile": "Subscriber", "Operations": [
        {"operation": "replace", "path": "scimAttributes:title", "value": "T"},
        {"operation": "remove", "path": "customAttributes:workspace"}
    ]});
    assert_eq!(idm("PATCH", json, good.clone()), vec![]);
    assert_eq!(
        idm("PATCH", Some("text/plain"), good.clone()),
        vec![("OD-17", Must)]
    );
    assert_eq!(
        idm("PATCH", Some("application/scim+json"), good),
        vec![("OD-17", Info)]
    );
    assert_eq!(
        idm(
            "PATCH",
            json,
            json!({"Operations": [{"op": "replace", "path": "title", "value": "T"}]})
        ),
        vec![("OD-05", Must), ("OD-10", Must), ("OD-04", Must)]
    );
    assert_eq!(
        idm(
            "PATCH",
            json,
            json!({"profile": "Subscriber", "Operations": []})
        ),
        vec![("OD-11", Must)]
    );
    assert_eq!(
        idm(
            "PATCH",
            json,
            json!({"profile": "S", "Operations": [{"operation": "add", "path": "scimAttributes:title"}]})
        ),
        vec![("OD-08", Must)]
    );
    assert_eq!(
        idm("POST", json, json!({"scimAttributes": {"userName": "u"}})),
        vec![("OD-05", Must)]
    );
}
