//! Targets, HTTP and executing steps.

pub mod auth;
pub mod execute;
pub mod http;
pub mod rate;
pub mod target;

pub use crate::exchange::{HttpRequest, HttpResponse, TransportError};
pub use crate::secret::Secrets;
pub use execute::{CaseReport, RunContext, SnapshotMode, StepReport, run_all, run_case};
pub use http::HttpClient;
pub use target::{Auth, Fixtures, Target};
