//! Small pure helpers every layer may use: encodings, RFC 3339 time, error text, the
//! TLS provider.

mod encode;
mod time;

pub use encode::{base64_encode, encode_segment, is_serialized_http_url, url_encode, xml_escape};
pub use time::{rfc3339_millis, rfc3339_utc};

/// An error and its sources on one line (reqwest hides the root cause otherwise).
pub fn error_chain(e: &dyn std::error::Error) -> String {
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

/// Installs the process-wide TLS crypto provider once (reqwest is built without one).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means another provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
