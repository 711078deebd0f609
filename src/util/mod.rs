//! Small pure helpers every layer may use: encodings, RFC 3339 time, error text, the
//! TLS provider.

mod encode;
mod ids;
mod time;

pub use encode::{base64_encode, encode_segment, is_serialized_http_url, url_encode, xml_escape};
pub use ids::uuid_v4;
pub use time::{rfc3339_millis, rfc3339_utc};

/// `bytes` parsed as JSON. Text that is UTF-8 (nearly every body) is checked once as a
/// whole instead of string by string; anything else is parsed as bytes, so the error is
/// serde_json's own, as before.
pub fn parse_json(bytes: &[u8]) -> serde_json::Result<serde_json::Value> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

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

#[cfg(test)]
mod json_tests {
    #[test]
    fn parse_json_answers_as_from_slice_does() {
        let inputs: [&[u8]; 7] = [
            br#"{"a": [1, "x\u00e9", null]}"#,
            "{\"é\": \"ü\"}".as_bytes(),
            b"{\"a\": }",
            b"{\"a\": \"\xff\"}",
            b"\xff{}",
            b"",
            b"[1, 2,]",
        ];
        for bytes in inputs {
            let ours = super::parse_json(bytes).map_err(|e| e.to_string());
            let theirs =
                serde_json::from_slice::<serde_json::Value>(bytes).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(bytes));
        }
    }
}
