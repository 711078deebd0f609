//! Pure SCIM PATCH semantics (RFC 7644 §3.5.2): path grammar, filters, schema-aware
//! application of operations and projection. No I/O and no vendor knowledge: it depends
//! on `serde`, `serde_json` and `regex` only. scimcert's simulations build on it, and so
//! can any SCIM server or test:
//!
//! ```
//! use scimcert_patch::{Leniency, Schema, apply, parse_patch_request};
//! use serde_json::json;
//!
//! let user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "id": "2819c223",
//!     "userName": "bjensen",
//!     "emails": [{"value": "b@example.com", "type": "work", "primary": true}]
//! });
//! let body = json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [
//!         {"op": "add", "path": "emails", "value": [{"value": "babs@example.org", "type": "home", "primary": true}]},
//!         {"op": "replace", "path": "nickName", "value": "Babs"}
//!     ]
//! });
//! // RFC 7643's User, or a server's own: `Schema::from_scim_schemas(&resources, USER_URN)`.
//! let schema = Schema::rfc7643_user();
//! let strict = Leniency::strict();
//! let ops = parse_patch_request(&body, &strict)?;
//! let applied = apply(&user, &ops, &schema, &strict)?;
//! assert_eq!(applied.resource["nickName"], "Babs");
//! // P-12: the new primary e-mail took `primary` from the old one.
//! assert_eq!(applied.resource["emails"][0]["primary"], false);
//!
//! // A failing operation leaves nothing applied and says why, as RFC 7644 §3.12 wants.
//! let bad = json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [{"op": "remove"}]
//! });
//! let err = parse_patch_request(&bad, &strict)
//!     .and_then(|ops| apply(&user, &ops, &schema, &strict))
//!     .expect_err("remove needs a path");
//! assert_eq!((err.status, err.scim_type.map(|t| t.as_str())), (400, Some("noTarget")));
//! # Ok::<(), scimcert_patch::PatchError>(())
//! ```
//!
//! A store can change its own copy of the user instead (`apply_in_place`): each
//! operation keeps a copy of only the top-level members it touches, and a failure, a
//! no-op or the caller's `revert` puts them back, member order included. A body as it
//! came off the wire can be read without a `Value` (`parse_patch_fast`), which declines
//! (`None`) anything unusual for `parse_patch_request` to answer:
//!
//! ```
//! use scimcert_patch::{Leniency, Schema, apply_in_place, parse_patch_fast};
//! use serde_json::json;
//!
//! let mut user = json!({"id": "1", "userName": "bjensen", "title": "Tour Guide"});
//! let before = user.to_string();
//! let body = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations":[{"op":"replace","path":"userName","value":"babs"}]}"#;
//! let strict = Leniency::strict();
//! let ops = parse_patch_fast(body, &strict).expect("a usual body")?;
//! let patched = apply_in_place(&mut user, &ops, &Schema::rfc7643_user(), &strict)?;
//! assert!(patched.changed);
//! assert_eq!(patched.original("userName"), Some(Some(&json!("bjensen"))));
//! // Say the new name is taken: put the user back as it was.
//! patched.revert(&mut user);
//! assert_eq!(user.to_string(), before);
//! # Ok::<(), scimcert_patch::PatchError>(())
//! ```

pub mod apply;
pub mod attr;
pub mod error;
pub mod filter;
pub mod leniency;
pub mod path;
pub mod project;
pub mod request;
pub mod schema;
pub mod value;

pub use apply::{Applied, Patched, apply, apply_in_place};
pub use error::{PatchError, ScimType};
pub use filter::{CompareOp, Filter, parse_filter};
pub use leniency::Leniency;
pub use path::{AttrPath, Path, parse_path};
pub use project::{Projection, project, project_view};
pub use request::{OpKind, Operation, parse_patch_fast, parse_patch_request};
pub use schema::{
    AttrDef, AttrType, ENTERPRISE_URN, Mutability, PATCH_OP_URN, Returned, Schema, SchemaError,
    USER_URN, Uniqueness,
};
