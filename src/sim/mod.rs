//! Built-in simulations of the two APIs, served on hyper and built on `crate::patch`.
//!
//! Each API is a [`Handler`]: a plain function from [`SimRequest`] to [`SimResponse`]
//! over a shared in-memory store, testable without HTTP. [`Simulation::start`] serves a
//! handler on a server thread of its own for runs and tests; [`serve`] serves the same
//! adapter on the caller's runtime for `scimcert mock`. Both use the one hyper front end
//! in `standalone.rs`, which keeps nothing per request (wiremock, used before, keeps
//! every request a mock matched, and with it the connection's read buffer: see the
//! README's "Speed and memory").
//!
//! Note to the simulation authors: [`Handler::error`] renders an error in the API's own
//! shape. The adapter calls it for answers it gives without the handler (413 for an
//! oversized body, injected statuses and 500s, an invalid `x-scimcert-fault` header).
//! Its default renders the RFC 7644 §3.12 SCIM error; the IDM simulation overrides it.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::api::{Api, Profile};
use crate::patch::ScimType;
use crate::secret::Secrets;

mod client_check;
mod client_log;
mod fault;
mod json;
// Public as a namespace: the IDM configuration file's types (`ProfileConfig`, `CoreMode`,
// ...) only read right under `idm::`.
pub mod idm;
mod profile;
mod scim;
mod standalone;

pub use client_check::ClientLevel;
pub use client_log::{ClientReport, RuleOutcome, ShownRequest};
pub use fault::{FAULT_HEADER, FaultPlan, FaultRule};
pub use scim::{ERROR_URN, ScimSim};
pub use standalone::{StandaloneSimulation, serve};

/// Bearer token with full rights that the built-in simulations accept by default.
pub const DEFAULT_TOKEN: &str = "scimcert-sim-token";
/// Bearer token that may read but not write (answers 403 on writes).
pub const DEFAULT_READONLY_TOKEN: &str = "scimcert-sim-readonly";
/// Tenant served by the SCIM simulation by default.
pub const DEFAULT_TENANT: &str = "my-tenant";
/// Largest request body accepted before 413.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Control endpoints live under this prefix, outside both APIs' paths.
pub const CONTROL_PREFIX: &str = "/_scimcert";
/// `GET` dumps the users the mock holds (bearer token with write rights).
pub const STATE_PATH: &str = "/_scimcert/state";
/// `GET` answers the client report as JSON; `POST` also writes it to the report folder.
pub const CLIENT_REPORT_PATH: &str = "/_scimcert/client-report";

/// One HTTP request as a simulation sees it.
#[derive(Clone, Debug, Default)]
pub struct SimRequest {
    /// Upper-case method.
    pub method: String,
    /// Path without query string, percent-decoded.
    pub path: String,
    /// Decoded query pairs in order.
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Raw body bytes.
    pub body: Vec<u8>,
}

impl SimRequest {
    /// First header value with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// First query value with this name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP response produced by a simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct SimResponse {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Type is derived from `content_type`).
    pub headers: Vec<(String, String)>,
    /// Media type of the body.
    pub content_type: &'static str,
    /// The body, if any.
    pub body: Option<SimBody>,
}

/// A simulation's response body.
#[derive(Clone, Debug, PartialEq)]
pub enum SimBody {
    /// JSON made for this answer.
    Json(Value),
    /// A stored resource answered as it is stored, shared with the store rather than
    /// copied; written out after the store is unlocked.
    Shared(std::sync::Arc<Value>),
}

/// A simulated API: request in, response out, state inside.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request.
    fn handle(&self, request: &SimRequest) -> SimResponse;

    /// An error response in this API's own error shape, for answers given without
    /// [`Handler::handle`] (body too large, injected faults). Defaults to a SCIM error.
    fn error(&self, status: u16, detail: &str) -> SimResponse {
        scim::scim_error(status, None, detail)
    }

    /// [`Handler::error`] for a request refused for what it says (`--strict-client`),
    /// with the SCIM `scimType` that names why (RFC 7644 §3.12, Table 9) where the API's
    /// errors carry one. Defaults to a SCIM error.
    fn refusal(&self, status: u16, scim_type: Option<ScimType>, detail: &str) -> SimResponse {
        scim::scim_error(status, scim_type, detail)
    }

    /// Every user the simulation holds, for the state endpoint (`/_scimcert/state`).
    fn state(&self) -> Value {
        Value::Null
    }
}

/// How a simulation is configured.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Which API to simulate.
    pub api: Api,
    /// Expectation profile the simulation behaves as.
    pub profile: Profile,
    /// Bearer token with write rights.
    pub token: String,
    /// Bearer token with read rights only.
    pub readonly_token: String,
    /// SCIM tenant (path segment); other tenants are served too, isolated.
    pub tenant: String,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// IDM configuration (profiles); `None` = the built-in default.
    pub idm_config: Option<idm::IdmConfig>,
    /// Faults to inject.
    pub faults: fault::FaultPlan,
    /// Honour the per-request `x-scimcert-fault` header (cases set it to inject faults).
    pub allow_fault_header: bool,
    /// Grade every request against the client obligations and keep the client report
    /// (`scimcert mock --client-report`); the folder it is written to, if any.
    pub client_report: Option<ClientReportOptions>,
}

/// Writes the client report files into a folder; the report layer's job, handed in by
/// the command that starts the mock (a simulation renders no report format itself).
pub type ClientReportWriter =
    fn(&std::path::Path, &client_log::ClientReport, &str, &Secrets) -> Result<Vec<PathBuf>, String>;

/// How the client's requests are graded.
#[derive(Clone, Debug, Default)]
pub struct ClientReportOptions {
    /// Folder the report files are written to (on demand and when the mock stops).
    pub dir: Option<PathBuf>,
    /// What writes them there.
    pub writer: Option<ClientReportWriter>,
    /// Answer a request that breaks a client MUST with 400 naming the rule.
    pub strict: bool,
}

impl SimOptions {
    /// Defaults for the built-in simulation of `profile`.
    pub fn new(profile: Profile) -> Self {
        SimOptions {
            api: profile.api(),
            profile,
            token: DEFAULT_TOKEN.to_string(),
            readonly_token: DEFAULT_READONLY_TOKEN.to_string(),
            tenant: DEFAULT_TENANT.to_string(),
            body_limit: DEFAULT_BODY_LIMIT,
            idm_config: None,
            faults: fault::FaultPlan::default(),
            allow_fault_header: true,
            client_report: None,
        }
    }

    /// Path of the API base under the server root, e.g. `/usergroup/t/my-tenant/scim/v2`.
    pub fn base_path(&self) -> String {
        match self.api {
            Api::Scim => format!("/usergroup/t/{}/scim/v2", self.tenant),
            Api::Idm => "/userManagement/v1".to_string(),
        }
    }

    /// Variables a case may use against this simulation (`{{ tenant }}`, ...).
    pub fn case_variables(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        vars.insert("tenant".to_string(), self.tenant.clone());
        vars.insert("readonly_token".to_string(), self.readonly_token.clone());
        vars
    }
}

/// Errors starting a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The IDM configuration file could not be read or is invalid.
    #[error("invalid idm configuration: {0}")]
    Config(String),
    /// The listener could not be bound or used.
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

/// A running simulation: served on a thread and runtime of its own, so it answers
/// whatever the caller's runtime is doing (a test blocking its thread, say), until
/// dropped.
pub struct Simulation {
    addr: std::net::SocketAddr,
    options: SimOptions,
    /// Dropping it stops the server thread, which ends its connections.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Simulation {
    /// Starts a simulation on a random loopback port.
    pub async fn start(options: SimOptions) -> Result<Simulation, SimError> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        Self::start_on(listener, options).await
    }

    /// Starts a simulation on the given listener.
    pub async fn start_on(
        listener: TcpListener,
        options: SimOptions,
    ) -> Result<Simulation, SimError> {
        let adapter = Arc::new(Adapter::new(&options)?);
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("sim-{}", options.profile))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = standalone::accept_loop(listener, adapter) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here ends the connections still open.
            })?;
        Ok(Simulation {
            addr,
            options,
            _stop: stop,
        })
    }

    /// Root URL of the server, e.g. `http://127.0.0.1:4312`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// URL of the API base that case paths are relative to.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.uri(), self.options.base_path())
    }

    /// The options it runs with.
    pub fn options(&self) -> &SimOptions {
        &self.options
    }
}

/// Decodes `%XX` escapes; invalid escapes stay as written, invalid UTF-8 is replaced.
fn percent_decode(raw: &str) -> String {
    // Most paths hold no escape: copied whole (the input is already UTF-8).
    if !raw.contains('%') {
        return raw.to_string();
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves a [`Handler`] over HTTP ([`standalone`]), injecting faults first.
struct Adapter {
    handler: Arc<dyn Handler>,
    faults: Arc<fault::FaultInjector>,
    body_limit: usize,
    /// The write token, which also opens the control endpoints.
    token: String,
    client: Option<ClientGrading>,
}

/// The client grading of a mock started with `client_report`.
struct ClientGrading {
    log: client_log::ClientLog,
    options: ClientReportOptions,
    secrets: Secrets,
}

impl Adapter {
    /// The handler, fault injector and limits `options` ask for.
    fn new(options: &SimOptions) -> Result<Adapter, SimError> {
        let handler: Arc<dyn Handler> = match options.api {
            Api::Scim => Arc::new(scim::ScimSim::new(options)),
            Api::Idm => Arc::new(idm::IdmSim::new(options)?),
        };
        let client = options.client_report.clone().map(|client_options| {
            let secrets = Secrets::new([options.token.clone(), options.readonly_token.clone()]);
            ClientGrading {
                log: client_log::ClientLog::new(
                    options.api,
                    options.profile,
                    client_options.strict,
                    secrets.clone(),
                ),
                options: client_options,
                secrets,
            }
        });
        Ok(Adapter {
            handler,
            faults: Arc::new(fault::FaultInjector::new(
                options.faults.clone(),
                options.allow_fault_header,
            )),
            body_limit: options.body_limit,
            token: options.token.clone(),
            client,
        })
    }

    /// The client report as of now, if the mock grades its client.
    fn client_report(&self) -> Option<client_log::ClientReport> {
        self.client.as_ref().map(|c| c.log.report())
    }

    /// Writes the client report files, if the mock grades its client into a folder.
    fn write_client_report(&self) -> Option<Result<Vec<PathBuf>, String>> {
        let client = self.client.as_ref()?;
        let dir = client.options.dir.as_ref()?;
        let write = client.options.writer?;
        let date = crate::util::rfc3339_utc(std::time::SystemTime::now());
        Some(write(dir, &client.log.report(), &date, &client.secrets))
    }

    /// Answers a request to a control endpoint (outside the API paths).
    fn control(&self, request: &SimRequest) -> Option<SimResponse> {
        if !request.path.starts_with(CONTROL_PREFIX) {
            return None;
        }
        let authorised = request
            .header("authorization")
            .and_then(|value| value.trim().split_once(' '))
            .is_some_and(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && token.trim() == self.token
            });
        if !authorised {
            let mut response = self
                .handler
                .error(401, "the control endpoints need the mock's write token");
            response
                .headers
                .push(("www-authenticate".into(), scim::WWW_AUTHENTICATE.into()));
            return Some(response);
        }
        let json = |status: u16, body: Value| SimResponse {
            status,
            headers: Vec::new(),
            content_type: "application/json",
            body: Some(SimBody::Json(body)),
        };
        Some(match (request.method.as_str(), request.path.as_str()) {
            ("GET", STATE_PATH) => json(200, self.handler.state()),
            ("GET" | "POST", CLIENT_REPORT_PATH) => match &self.client {
                None => self.handler.error(
                    404,
                    "the mock does not grade its client: start it with --client-report",
                ),
                Some(client) => {
                    let date = crate::util::rfc3339_utc(std::time::SystemTime::now());
                    let mut doc = client.log.report().to_json(&date);
                    client.secrets.redact_json(&mut doc);
                    if request.method == "POST" {
                        match self.write_client_report() {
                            Some(Ok(paths)) => {
                                doc["written"] = Value::from(
                                    paths
                                        .iter()
                                        .map(|p| p.display().to_string())
                                        .collect::<Vec<_>>(),
                                );
                            }
                            Some(Err(error)) => {
                                return Some(self.handler.error(500, &error));
                            }
                            None => {}
                        }
                    }
                    json(200, doc)
                }
            },
            _ => self.handler.error(
                404,
                &format!("no control endpoint {} {}", request.method, request.path),
            ),
        })
    }

    /// The answer to `request`, whose body is `body_len` bytes long, of which
    /// `request.body` may hold none when it was too large to read; and how long to wait
    /// before sending it (a latency fault).
    fn answer_sized(
        &self,
        request: &SimRequest,
        body_len: usize,
    ) -> (SimResponse, Option<Duration>) {
        if let Some(response) = self.control(request) {
            return (response, None);
        }
        if let Some(client) = &self.client {
            let findings = client.log.observe(request);
            let broken: Vec<&client_check::Finding> = findings
                .iter()
                .filter(|f| f.level == client_check::ClientLevel::Must)
                .collect();
            if client.options.strict && !broken.is_empty() {
                let named: Vec<String> = broken
                    .iter()
                    .map(|f| format!("{} ({})", f.rule, f.detail))
                    .collect();
                let detail = format!(
                    "--strict-client: the request breaks client rule {}",
                    named.join("; ")
                );
                // The first breach names the error's type, as a server's engine would.
                let scim_type = broken.iter().find_map(|f| f.scim_type);
                return (self.handler.refusal(400, scim_type, &detail), None);
            }
        }
        let fault = match self.faults.decide(
            &request.method,
            &request.path,
            request.header(fault::FAULT_HEADER),
        ) {
            Ok(fault) => fault,
            Err(detail) => return (self.handler.error(400, &detail), None),
        };
        // A forced status or an injected 500 answers before the handler: the store
        // never sees the request.
        let response = if let Some(status) = fault.status {
            if status >= 400 {
                self.handler
                    .error(status, &format!("fault injected: status {status}"))
            } else {
                SimResponse {
                    status,
                    headers: Vec::new(),
                    content_type: "application/json",
                    body: None,
                }
            }
        } else if body_len > self.body_limit {
            self.handler.error(
                413,
                &format!(
                    "request body of {body_len} bytes exceeds the limit of {} bytes",
                    self.body_limit
                ),
            )
        } else {
            self.handler.handle(request)
        };
        (response, fault.latency)
    }
}

impl SimResponse {
    /// The headers that are valid HTTP; the others are left out rather than panicking.
    fn valid_headers(&self) -> impl Iterator<Item = (HeaderName, HeaderValue)> + '_ {
        self.headers.iter().filter_map(|(name, value)| {
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            ))
        })
    }

    /// The body as sent, if there is one.
    fn into_body_bytes(self) -> Option<Vec<u8>> {
        self.body.map(|body| match body {
            SimBody::Json(value) => json::to_vec(&value),
            SimBody::Shared(value) => json::to_vec(&value),
        })
    }

    /// The body as JSON, whichever way it is held.
    pub fn json(&self) -> Option<Value> {
        match self.body.as_ref()? {
            SimBody::Json(value) => Some(value.clone()),
            SimBody::Shared(value) => Some(Value::clone(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_handles_escapes_and_garbage() {
        assert_eq!(percent_decode("/t/my%20tenant/%C3%A9"), "/t/my tenant/é");
        assert_eq!(percent_decode("/a%2"), "/a%2");
        assert_eq!(percent_decode("/a%zz"), "/a%zz");
        assert_eq!(percent_decode("%FF"), "\u{fffd}");
    }

    #[test]
    fn invalid_headers_are_left_out() {
        let response = SimResponse {
            status: 200,
            headers: vec![
                ("etag".into(), "W/\"1\"".into()),
                ("bad header".into(), "x".into()),
                ("x-ok".into(), "line\nbreak".into()),
            ],
            content_type: "application/scim+json",
            body: Some(SimBody::Json(serde_json::json!({"a": 1}))),
        };
        let names: Vec<String> = response
            .valid_headers()
            .map(|(name, _)| name.to_string())
            .collect();
        assert_eq!(names, ["etag"]);
    }
}
