//! An HTTP exchange as plain data: the request as sent, the response as received, why
//! none came, and which headers are secrets. No client here: every stage (runner,
//! checks, reports, tools) reads these types without depending on how they were sent.

use std::time::Duration;

use serde_json::Value;

/// Header through which a request asks a built-in simulation for a fault (the runner
/// sets it from a case's `fault:`, the simulations read it).
pub const FAULT_HEADER: &str = "x-scimcert-fault";

/// A request ready to send.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers in send order.
    pub headers: Vec<(String, String)>,
    /// Body bytes as text (case bodies are text).
    pub body: Option<String>,
}

impl HttpRequest {
    /// Sets the header `name`, replacing any of that name (in any case); it goes last.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
    }
}

/// A response as received.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// Time from send to the last body byte.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl HttpResponse {
    /// First header value with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) text, cut to `max` bytes for display.
    pub fn body_text(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        if text.len() <= max {
            return text.into_owned();
        }
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}... ({} bytes in all)", &text[..cut], self.body.len())
    }
}

/// Why no response could be had; each names its cause.
#[derive(Debug, Clone, thiserror::Error, serde::Serialize)]
pub enum TransportError {
    /// TCP connect failed (refused, unreachable).
    #[error("connection failed: {0}")]
    Connect(String),
    /// No complete answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Redirect loops and the like are not followed; this is for other protocol errors.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The body exceeded the client's limit (`run::MAX_RESPONSE_BYTES`).
    #[error("response body larger than {0} bytes")]
    TooLarge(usize),
    /// The request could not be built (bad URL, bad header).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The server kept answering `429 Too Many Requests`.
    #[error("rate-limited: {0}")]
    RateLimited(String),
    /// No OAuth2 token could be had for the request.
    #[error("authentication failed: {0}")]
    Auth(String),
}

/// Header names (lower case) whose values are secrets, in requests and responses alike.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Whether the header `name` (any case) carries a secret.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// A copy of `req` with secret header values masked (for output, reports and repros).
pub fn masked(req: &HttpRequest) -> HttpRequest {
    let mut out = req.clone();
    mask_in_place(&mut out);
    out
}

/// Masks `req`'s secret header values where it is.
pub fn mask_in_place(req: &mut HttpRequest) {
    for (k, v) in &mut req.headers {
        if is_secret_header(k) {
            *v = mask_value(v);
        }
    }
}

fn mask_value(v: &str) -> String {
    match v.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} ***"),
        None => "***".to_string(),
    }
}
