//! scimcert: conformance suite and mock-server harness for SCIM 2.0 PATCH-user endpoints.
//!
//! Data flows one way: case files ([`case`]) → requests ([`run`]) → responses →
//! verdicts ([`check`]) → reports ([`report`]). [`patch`] is the pure PATCH engine the
//! simulations ([`sim`]) are built on.

pub mod api;
pub mod case;
pub mod check;
pub mod diag;
pub mod exchange;
pub mod exit;
pub mod outcome;
pub mod plan;
/// The pure PATCH engine, a crate of its own (`crates/scimcert-patch`).
pub use scimcert_patch as patch;
pub mod report;
pub mod run;
pub mod secret;
pub mod sim;
pub mod tools;
pub mod util;
