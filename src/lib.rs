//! scimcert: conformance suite and mock-server harness for SCIM 2.0 PATCH-user endpoints.
//!
//! Data flows one way: case files ([`case`]) → requests ([`run`]) → responses →
//! verdicts ([`check`]) → reports ([`report`]). [`patch`] is the pure PATCH engine the
//! simulations ([`sim`]) are built on.

// Each layer's public API is its re-export list: a type reachable through it must be
// re-exported too, and every public item says what it is.
#![warn(missing_docs, unnameable_types)]

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
