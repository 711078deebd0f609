//! Targets, HTTP and executing steps.

mod auth;
mod execute;
mod http;
mod rate;
mod target;

pub use auth::{AuthError, ClientAuth, OAuth2, OAuth2Config};
pub use execute::{
    Cancel, DEFAULT_TIMEOUT, RunContext, Skip, SnapshotMode, applies, run_all,
    run_all_with_progress, run_case, snapshot_name,
};
pub use http::{CLEANUP_BACKOFF, ClientSettings, HttpClient, MAX_RESPONSE_BYTES};
pub use rate::RetryPolicy;
pub use target::{Auth, Capabilities, Fetched, Fixtures, Target};
