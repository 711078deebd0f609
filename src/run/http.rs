//! HTTP for the runner: one reqwest client (no redirects, timeouts, bounded bodies),
//! exchanges recorded as plain data, and `curl` reproductions with secrets masked.

use std::time::{Duration, Instant};

use serde_json::Value;

/// Largest response body read; a larger one is an `error` verdict, not a hang.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

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
    /// The body exceeded [`MAX_RESPONSE_BYTES`].
    #[error("response body larger than {0} bytes")]
    TooLarge(usize),
    /// The request could not be built (bad URL, bad header).
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// The runner's HTTP client.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    timeout: Duration,
}

/// Installs the process-wide TLS crypto provider once (reqwest is built without one).
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means another provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl HttpClient {
    /// A client with a per-request `timeout` and a connect timeout.
    pub fn new(timeout: Duration, connect_timeout: Duration) -> Result<HttpClient, TransportError> {
        install_crypto_provider();
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(connect_timeout.min(timeout))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| TransportError::Invalid(error_chain(&e)))?;
        Ok(HttpClient { inner, timeout })
    }

    /// Sends `req` and reads the whole (bounded) body.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| TransportError::Invalid(e.to_string()))?;
        let mut builder = self.inner.request(method, &req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let started = Instant::now();
        let mut resp = builder.send().await.map_err(|e| self.classify(&e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(TransportError::TooLarge(MAX_RESPONSE_BYTES));
            }
            body.extend_from_slice(&chunk);
        }
        let json = if body.is_empty() {
            None
        } else {
            serde_json::from_slice(&body).ok()
        };
        Ok(HttpResponse {
            status,
            headers,
            body,
            json,
            elapsed: started.elapsed(),
        })
    }

    fn classify(&self, e: &reqwest::Error) -> TransportError {
        let chain = error_chain(e);
        if e.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if e.is_connect() {
            TransportError::Connect(chain)
        } else if e.is_builder() {
            TransportError::Invalid(chain)
        } else {
            TransportError::Protocol(chain)
        }
    }
}

/// An error and its sources on one line (reqwest hides the root cause otherwise).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Header names whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// A copy of `req` with secret header values masked (for output, reports and repros).
pub fn masked(req: &HttpRequest) -> HttpRequest {
    let mut out = req.clone();
    for (k, v) in &mut out.headers {
        if SECRET_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            *v = mask_value(v);
        }
    }
    out
}

fn mask_value(v: &str) -> String {
    match v.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} ***"),
        None => "***".to_string(),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A `curl` command reproducing `req`, secrets masked.
pub fn curl(req: &HttpRequest) -> String {
    let req = masked(req);
    let mut out = format!("curl -sS -i -X {} {}", req.method, shell_quote(&req.url));
    for (k, v) in &req.headers {
        out.push_str(&format!(" -H {}", shell_quote(&format!("{k}: {v}"))));
    }
    if let Some(body) = &req.body {
        out.push_str(&format!(" --data-raw {}", shell_quote(body)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> HttpRequest {
        HttpRequest {
            method: "PATCH".into(),
            url: "http://h/Users/1".into(),
            headers: vec![
                ("Authorization".into(), "Bearer s3cr3t".into()),
                ("Content-Type".into(), "application/scim+json".into()),
            ],
            body: Some("{\"a\":\"it's\"}".into()),
        }
    }

    #[test]
    fn curl_masks_the_token_and_quotes_the_body() {
        let c = curl(&req());
        assert!(!c.contains("s3cr3t"), "{c}");
        assert!(c.contains("'Authorization: Bearer ***'"), "{c}");
        assert!(c.contains(r#"--data-raw '{"a":"it'\''s"}'"#), "{c}");
    }

    #[tokio::test]
    async fn refused_port_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let client = HttpClient::new(Duration::from_secs(2), Duration::from_secs(1)).unwrap();
        let r = HttpRequest {
            method: "GET".into(),
            url: format!("http://127.0.0.1:{port}/"),
            headers: vec![],
            body: None,
        };
        assert!(matches!(
            client.send(&r).await,
            Err(TransportError::Connect(_))
        ));
    }
}
