//! Pure SCIM PATCH semantics (RFC 7644 §3.5.2): path grammar, filters, schema-aware
//! application of operations and projection. No I/O: both simulations and the
//! model-based tests build on this module.

pub mod apply;
pub mod error;
pub mod filter;
pub mod leniency;
pub mod path;
pub mod project;
pub mod request;
pub mod schema;
pub mod value;

pub use apply::{Applied, apply};
pub use error::{PatchError, ScimType};
pub use filter::{CompareOp, Filter, parse_filter};
pub use leniency::Leniency;
pub use path::{AttrPath, Path, parse_path};
pub use project::{Projection, project};
pub use request::{OpKind, Operation, parse_patch_request};
pub use schema::{
    AttrDef, AttrType, ENTERPRISE_URN, Mutability, PATCH_OP_URN, Returned, Schema, USER_URN,
    Uniqueness,
};
