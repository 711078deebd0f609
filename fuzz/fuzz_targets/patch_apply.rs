//! Any PatchOp body, under any profile, either fails cleanly or yields a resource that
//! still has its userName and id; a failure leaves the input untouched (the API takes
//! the resource by reference).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimcert::api::Profile;
use scimcert::patch::{Leniency, Schema, apply, parse_patch_request};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(rest) else {
        return;
    };
    let profile = [
        Profile::Rfc7644,
        Profile::Vmware,
        Profile::Entra,
        Profile::Okta,
    ][usize::from(selector) % 4];
    let leniency = Leniency::for_profile(profile);
    let schema = Schema::user(profile);
    let user = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}]
    });
    if let Ok(ops) = parse_patch_request(&body, &leniency)
        && let Ok(applied) = apply(&user, &ops, &schema, &leniency)
    {
        assert!(
            applied
                .resource
                .get("userName")
                .and_then(|u| u.as_str())
                .is_some_and(|u| !u.is_empty())
        );
        assert_eq!(applied.resource.get("id"), user.get("id"));
    }
});
