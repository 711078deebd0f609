//! Any PatchOp body, strict or with every client-shape tolerance on, either fails cleanly or yields a resource that
//! still has its userName and id. Applied in place, a failure, a no-op and a revert
//! each leave the resource byte for byte as it was (P-13), and a success gives what
//! `apply` gives on a copy. The fast reader (`parse_patch_fast`) answers as the general
//! one on the parsed body, or declines; it declines every body that is not JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimcert_patch::{
    Leniency, Schema, apply, apply_in_place, parse_patch_fast, parse_patch_request,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // The low bits of the selector pick the tolerances, as the vendor profiles do.
    let on = |bit: u8| selector & (1 << bit) != 0;
    let leniency = Leniency {
        op_any_case: on(0),
        string_booleans: on(0),
        remove_with_value: on(0),
        upsert_unmatched_filter: on(1),
        path_keys_in_value: on(1),
        empty_operations: on(2),
        manager_as_string: on(2),
        schemas_optional: on(3),
        extra_members: on(3),
        ignore_own_id: on(4),
    };
    let fast = parse_patch_fast(rest, &leniency);
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(rest) else {
        assert!(
            fast.is_none(),
            "the fast reader answered a body that is not JSON"
        );
        return;
    };
    if let Some(fast) = fast {
        assert_eq!(fast, parse_patch_request(&body, &leniency));
    }
    let schema = Schema::rfc7643_user();
    let user = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}]
    });
    let Ok(ops) = parse_patch_request(&body, &leniency) else {
        return;
    };
    let mut in_place = user.clone();
    let patched = apply_in_place(&mut in_place, &ops, &schema, &leniency);
    let copied = apply(&user, &ops, &schema, &leniency);
    match patched {
        Ok(patched) => {
            let applied = copied.as_ref().expect("apply agrees with apply_in_place");
            assert_eq!(applied.resource, in_place);
            assert_eq!(patched.changed, applied.changed);
            assert!(
                applied
                    .resource
                    .get("userName")
                    .and_then(|u| u.as_str())
                    .is_some_and(|u| !u.is_empty())
            );
            assert_eq!(applied.resource.get("id"), user.get("id"));
            if !patched.changed {
                assert_eq!(in_place.to_string(), user.to_string());
            }
            patched.revert(&mut in_place);
        }
        Err(error) => assert_eq!(copied.err(), Some(error)),
    }
    // A failure, a no-op and a revert all give the user back byte for byte.
    assert_eq!(in_place.to_string(), user.to_string());
});
