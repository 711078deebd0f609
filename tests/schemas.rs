//! Every response schema in `schemas/` accepts a document of its kind and rejects at
//! least one wrong one, so a schema check can fail.

use std::path::PathBuf;

use scimcert::check::SchemaRegistry;
use serde_json::{Value, json};

fn registry() -> SchemaRegistry {
    SchemaRegistry::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas"))
        .expect("schemas compile")
}

/// (schema, a valid document, a wrong one)
fn examples() -> Vec<(&'static str, Value, Value)> {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223", "userName": "bjensen",
        "emails": [{"value": "b@example.com", "primary": true}],
        "meta": {"version": "W/\"1\""}
    });
    vec![
        (
            "scim-user",
            user.clone(),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "active": "yes"}),
        ),
        (
            "scim-error",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "scimType": "noTarget"}),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": 400}),
        ),
        (
            "scim-list",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "Resources": [user]}),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": []}),
        ),
        (
            "scim-patch-op",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": "nickName"}]}),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove"}]}),
        ),
        (
            "scim-service-provider-config",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"], "patch": {"supported": true},
                   "bulk": {"supported": false}, "filter": {"supported": true}, "changePassword": {"supported": false},
                   "sort": {"supported": false}, "etag": {"supported": true}, "authenticationSchemes": []}),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"], "patch": true}),
        ),
        (
            "tmf-error",
            json!({"code": "400", "reason": "Request validation failed", "status": "400"}),
            json!({"code": 400, "message": "x"}),
        ),
        (
            "idm-user",
            json!({"id": "User_1", "profile": "Subscriber", "scimAttributes": {"userName": "b"}, "customAttributes": {}}),
            json!({"id": "User_1", "profile": "Subscriber", "scimAttributes": {}}),
        ),
        (
            "idm-user-list",
            json!([{"id": "User_1", "userName": "b"}]),
            json!({"id": "User_1"}),
        ),
        (
            "idm-patch-request",
            json!({"profile": "Subscriber", "Operations": [{"operation": "add", "path": "customAttributes:userKey", "value": "1"}]}),
            json!({"profile": "Subscriber", "Operations": [{"op": "add", "path": "userKey"}]}),
        ),
    ]
}

#[test]
fn every_schema_accepts_its_kind_and_rejects_a_wrong_document() {
    let r = registry();
    let examples = examples();
    for (name, good, bad) in &examples {
        assert!(r.contains(name), "schema {name} missing");
        assert_eq!(
            r.violations(name, good),
            Vec::<String>::new(),
            "{name} rejects a valid document"
        );
        assert!(
            !r.violations(name, bad).is_empty(),
            "{name} accepts a wrong document"
        );
    }
    for name in r.names() {
        assert!(
            examples.iter().any(|(n, _, _)| *n == name),
            "schema {name} has no example here"
        );
    }
}
