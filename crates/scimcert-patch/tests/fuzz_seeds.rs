//! The `patch_apply` fuzz target's seeds (`fuzz/corpus/patch_apply`), each under every
//! tolerance setting, through `apply_in_place`: a failure, a no-op and a revert leave the
//! resource byte for byte as it was (P-13), and a success gives what `apply` gives on a
//! copy; and the fast reader answers as the general one, or declines. The fuzz target
//! checks the same on whatever it finds.

use std::path::Path;

use scimcert_patch::{
    Leniency, Schema, apply, apply_in_place, parse_patch_fast, parse_patch_request,
};
use serde_json::{Value, json};

fn users() -> [Value; 2] {
    [
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}]
        }),
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "u2",
            "title": "Tour Guide",
            "userName": "alice",
            "nickname": "al",
            "NickName": "AL",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "7", "manager": {"value": "m1"}
            },
            "meta": {"resourceType": "User", "version": "W/\"1\""}
        }),
    ]
}

fn leniency(on: bool) -> Leniency {
    if on {
        Leniency::every()
    } else {
        Leniency::strict()
    }
}

#[test]
fn every_seed_applies_in_place_or_puts_the_user_back() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/patch_apply");
    let schema = Schema::rfc7643_user();
    let (mut seeds, mut applied, mut failed, mut fast_answers) = (0, 0, 0, 0);
    for entry in std::fs::read_dir(&folder).expect("the fuzz seeds are there") {
        let bytes = std::fs::read(entry.expect("a seed").path()).expect("a readable seed");
        // The target's first byte picks the tolerances; the rest is the body.
        let Some((_, rest)) = bytes.split_first() else {
            continue;
        };
        let Ok(body) = serde_json::from_slice::<Value>(rest) else {
            for on in [false, true] {
                assert!(parse_patch_fast(rest, &leniency(on)).is_none());
            }
            continue;
        };
        seeds += 1;
        for on in [false, true] {
            let leniency = leniency(on);
            let general = parse_patch_request(&body, &leniency);
            if let Some(fast) = parse_patch_fast(rest, &leniency) {
                fast_answers += 1;
                assert_eq!(fast, general, "{body}");
            }
            let Ok(ops) = general else {
                continue;
            };
            for user in users() {
                let text = user.to_string();
                let mut resource = user.clone();
                let copied = apply(&user, &ops, &schema, &leniency);
                match apply_in_place(&mut resource, &ops, &schema, &leniency) {
                    Ok(patched) => {
                        applied += 1;
                        let copied = copied.expect("apply agrees");
                        assert_eq!(resource, copied.resource, "{body}");
                        assert_eq!(patched.changed, copied.changed, "{body}");
                        if !patched.changed {
                            assert_eq!(resource.to_string(), text, "{body}");
                        }
                        patched.revert(&mut resource);
                    }
                    Err(error) => {
                        failed += 1;
                        assert_eq!(copied.err(), Some(error), "{body}");
                    }
                }
                assert_eq!(resource.to_string(), text, "{body}");
            }
        }
    }
    // A folder of seeds that all fail to parse would check nothing.
    assert!(
        seeds >= 30 && applied >= 30 && failed >= 5 && fast_answers >= 40,
        "{seeds} {applied} {failed} {fast_answers}"
    );
}
