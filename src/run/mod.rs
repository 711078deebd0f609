//! Targets, HTTP and executing steps.

mod auth;
mod execute;
mod http;
mod rate;
mod target;

pub use crate::exchange::{HttpRequest, HttpResponse, TransportError};
pub use crate::secret::Secrets;
pub use auth::{AuthError, ClientAuth, OAuth2, OAuth2Config};
pub use execute::{
    Cancel, CaseReport, DEFAULT_TIMEOUT, RunContext, Skip, SnapshotMode, StepReport, applies,
    run_all, run_all_with_progress, run_case, snapshot_name,
};
pub use http::{CLEANUP_BACKOFF, ClientSettings, HttpClient, MAX_RESPONSE_BYTES};
pub use rate::RetryPolicy;
pub use target::{Auth, Capabilities, Fetched, Fixtures, Target};
