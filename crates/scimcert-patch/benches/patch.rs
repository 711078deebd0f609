//! Criterion benchmark of the pure PATCH engine (`scimcert-patch`): parse and apply of
//! typical PatchOps on a typical User. Run with `cargo bench -p scimcert-patch`; criterion
//! prints the time per PatchOp (one iteration = one request body). `parse_bytes` and
//! `parse_fast` start from the body's bytes, as a server does: the general reader after
//! serde_json's `Value`, and the fast reader (`parse_patch_fast`).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

use scimcert_patch::{
    Leniency, Schema, apply, apply_in_place, parse_patch_fast, parse_patch_request,
};

/// A User as the simulations store it after a typical create.
fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [
            {"value": "tel:+1-201-555-0123", "type": "work"},
            {"value": "tel:+1-201-555-0199", "type": "mobile"}
        ],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "US", "primary": true}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "department": "Tour Operations"
        },
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff591\""
        }
    })
}

/// The PatchOps measured: (name, body).
fn scenarios() -> Vec<(&'static str, Value)> {
    vec![
        (
            "simple_replace",
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "nickName", "value": "Barbie"}]
            }),
        ),
        (
            "filtered_replace",
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{
                    "op": "replace",
                    "path": "emails[type eq \"work\"].value",
                    "value": "barbara@example.org"
                }]
            }),
        ),
        (
            "multi_op_add",
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "add", "path": "title", "value": "Tour Guide"},
                    {"op": "add", "path": "name.middleName", "value": "Jane"},
                    {"op": "add", "path": "phoneNumbers",
                     "value": [{"value": "tel:+1-201-555-0111", "type": "home"}]},
                    {"op": "add",
                     "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
                     "value": "4130"},
                    {"op": "add", "value": {"preferredLanguage": "en-US", "locale": "en-US"}}
                ]
            }),
        ),
    ]
}

fn bench_patch(c: &mut Criterion) {
    let schema = Schema::rfc7643_user();
    let leniency = Leniency::strict();
    let resource = user();
    for (name, body) in scenarios() {
        // Fail loudly here rather than benchmark an error path.
        let ops = parse_patch_request(&body, &leniency)
            .unwrap_or_else(|e| panic!("{name}: the PatchOp does not parse: {e:?}"));
        let applied = apply(&resource, &ops, &schema, &leniency)
            .unwrap_or_else(|e| panic!("{name}: the PatchOp does not apply: {e:?}"));
        assert!(applied.changed, "{name}: the PatchOp changes nothing");
        let bytes = serde_json::to_vec(&body).expect("a Value serialises");
        assert_eq!(
            parse_patch_fast(&bytes, &leniency),
            Some(Ok(ops.clone())),
            "{name}: the fast reader declines or differs"
        );

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        group.bench_function("parse", |b| {
            b.iter(|| parse_patch_request(black_box(&body), &leniency))
        });
        group.bench_function("parse_bytes", |b| {
            b.iter(|| {
                // As scimcert's simulations parse a body: UTF-8 checked once, then text.
                let text = std::str::from_utf8(black_box(&bytes)).expect("JSON is UTF-8");
                let body: Value = serde_json::from_str(text).expect("checked above");
                parse_patch_request(&body, &leniency)
            })
        });
        group.bench_function("parse_fast", |b| {
            b.iter(|| parse_patch_fast(black_box(&bytes), &leniency))
        });
        group.bench_function("apply", |b| {
            b.iter(|| apply(black_box(&resource), black_box(&ops), &schema, &leniency))
        });
        group.bench_function("apply_in_place", |b| {
            // As a store applies a PATCH: to the user itself, with no copy of it (the
            // copy each round starts from is made outside the timing).
            b.iter_batched_ref(
                || resource.clone(),
                |work| apply_in_place(work, black_box(&ops), &schema, &leniency),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("parse_apply", |b| {
            b.iter(|| {
                let ops = parse_patch_request(black_box(&body), &leniency).expect("checked above");
                apply(black_box(&resource), &ops, &schema, &leniency)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench_patch);
criterion_main!(benches);
