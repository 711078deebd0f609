//! Keeping secrets out of every output: the one place that knows a run's secret values
//! (tokens and passwords from the environment, OAuth2 client secrets and the access
//! tokens fetched with them, variables and headers read from the environment) and
//! replaces them with `***` wherever they appear.
//!
//! The runner masks each exchange it records (`run::execute`), so the console, the
//! reports, snapshots and curl repros see masked data; the reports may run their
//! finished text through [`Secrets::redact`] again as a second net.

use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::exchange::{HttpRequest, HttpResponse, mask_in_place};
use crate::util::{url_encode, xml_escape};

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Shorter values are not searched for in free text (they would mask ordinary words);
/// they are still masked in `Authorization` headers by name.
pub const MIN_SECRET_LEN: usize = 4;

/// The secret values of a run. Clones share one set, so a token fetched during the run
/// (OAuth2) is masked by every holder from then on.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    /// Longest first, so a secret containing another is masked whole.
    values: Arc<RwLock<Vec<String>>>,
}

impl Secrets {
    /// Secrets from arbitrary values; empty and too short ones are dropped.
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let secrets = Secrets::default();
        for v in values {
            secrets.add(&v);
        }
        secrets
    }

    /// The secrets in a bearer token and a `user:pass` pair: the token, the pair, its
    /// Base64 form and the password.
    pub fn from_credentials(token: Option<&str>, basic: Option<&str>) -> Secrets {
        let secrets = Secrets::default();
        if let Some(t) = token {
            secrets.add(t);
        }
        if let Some(pair) = basic {
            secrets.add_basic(pair);
        }
        secrets
    }

    /// Adds a secret value, with the forms it takes once encoded into a URL query or a
    /// JSON string (so a secret sent in either is still found).
    pub fn add(&self, value: &str) {
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        let mut forms = vec![value.to_string()];
        let url_form: String = url_encode(value);
        forms.push(url_form);
        if let Ok(quoted) = serde_json::to_string(value) {
            forms.push(quoted[1..quoted.len() - 1].to_string());
        }
        let Ok(mut values) = self.values.write() else {
            return;
        };
        for form in forms {
            if !values.contains(&form) {
                values.push(form);
            }
        }
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// Adds a `user:pass` pair: the pair, its Base64 form (as sent in
    /// `Authorization: Basic`) and the password alone.
    pub fn add_basic(&self, pair: &str) {
        self.add(pair);
        self.add(&crate::util::base64_encode(pair.as_bytes()));
        if let Some((_, password)) = pair.split_once(':') {
            self.add(password);
        }
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.values.read().map_or(true, |v| v.is_empty())
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let Ok(values) = self.values.read() else {
            return text.to_string();
        };
        let mut out = text.to_string();
        for secret in values.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// `text` (XML) with every secret, raw or XML-escaped, replaced by [`MASK`].
    pub fn redact_xml(&self, text: &str) -> String {
        let mut out = self.redact(text);
        let Ok(values) = self.values.read() else {
            return out;
        };
        for secret in values.iter() {
            let escaped = xml_escape(secret);
            if escaped != *secret && out.contains(escaped.as_str()) {
                out = out.replace(escaped.as_str(), MASK);
            }
        }
        out
    }

    /// Redacts every string (and object key) inside a JSON document.
    pub fn redact_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) => *s = self.redact(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    self.redact_json(&mut v);
                    map.insert(self.redact(&k), v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// `req` made fit to record: credential headers masked by name, every secret masked
    /// in the URL, header values and body.
    pub fn redact_request(&self, mut req: HttpRequest) -> HttpRequest {
        mask_in_place(&mut req);
        if self.is_empty() {
            return req;
        }
        req.url = self.redact(&req.url);
        for (_, v) in &mut req.headers {
            *v = self.redact(v);
        }
        if let Some(body) = &mut req.body {
            *body = self.redact(body);
        }
        req
    }

    /// Masks a response in place (a server may echo a credential back).
    pub fn redact_response(&self, resp: &mut HttpResponse) {
        if self.is_empty() {
            return;
        }
        for (_, v) in &mut resp.headers {
            *v = self.redact(v);
        }
        let text = String::from_utf8_lossy(&resp.body);
        let redacted = self.redact(&text);
        if redacted != text {
            resp.body = redacted.into_bytes();
        }
        if let Some(json) = &mut resp.json {
            self.redact_json(json);
        }
    }
}

/// `text` with the `user:pass@` part of each URL in it removed.
pub fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_masked_in_any_header() {
        let s = Secrets::from_credentials(Some("s3cr3t-token"), None);
        assert_eq!(
            s.redact("-H 'X-Api-Token: s3cr3t-token' -H 'Authorization: Bearer s3cr3t-token'"),
            "-H 'X-Api-Token: ***' -H 'Authorization: Bearer ***'"
        );
    }

    #[test]
    fn basic_credentials_are_masked_raw_encoded_and_by_password() {
        let s = Secrets::from_credentials(None, Some("Aladdin:open sesame"));
        assert_eq!(s.redact("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), "Basic ***");
        assert_eq!(s.redact("user Aladdin:open sesame"), "user ***");
        assert_eq!(s.redact("pw=open sesame"), "pw=***");
        assert_eq!(s.redact("q=open+sesame"), "q=***");
    }

    #[test]
    fn short_values_are_not_searched_for() {
        let s = Secrets::from_credentials(Some("abc"), None);
        assert_eq!(s.redact("abcdef"), "abcdef");
        assert!(s.is_empty());
    }

    #[test]
    fn secrets_added_later_reach_every_clone() {
        let s = Secrets::default();
        let shared = s.clone();
        s.add("fetched-access-token");
        assert_eq!(shared.redact("Bearer fetched-access-token"), "Bearer ***");
    }

    #[test]
    fn url_and_json_encoded_forms_are_masked() {
        let s = Secrets::new(["p@ss \"word\"/x".to_string()]);
        assert_eq!(s.redact("?t=p%40ss+%22word%22%2Fx&a=1"), "?t=***&a=1");
        assert_eq!(s.redact(r#"{"t":"p@ss \"word\"/x"}"#), r#"{"t":"***"}"#);
    }

    #[test]
    fn json_strings_and_keys_are_redacted() {
        let s = Secrets::new(["tok3n-value".to_string()]);
        let mut doc = serde_json::json!({"a": ["x tok3n-value"], "tok3n-value": 1, "n": 2});
        s.redact_json(&mut doc);
        assert_eq!(doc, serde_json::json!({"a": ["x ***"], "***": 1, "n": 2}));
    }

    #[test]
    fn xml_escaped_secrets_are_redacted() {
        let s = Secrets::new(["a&b<c>d".to_string()]);
        assert_eq!(s.redact_xml("value=\"a&amp;b&lt;c&gt;d\""), "value=\"***\"");
    }

    #[test]
    fn requests_and_responses_are_masked() {
        let s = Secrets::new(["canary-1234".to_string()]);
        let req = HttpRequest {
            method: "POST".into(),
            url: "http://h/x?k=canary-1234".into(),
            headers: vec![
                ("Authorization".into(), "Bearer other".into()),
                ("X-Key".into(), "canary-1234".into()),
            ],
            body: Some("{\"k\":\"canary-1234\"}".into()),
        };
        let r = s.redact_request(req.clone());
        assert_eq!(r.url, "http://h/x?k=***");
        assert_eq!(r.headers[0].1, "Bearer ***");
        assert_eq!(r.headers[1].1, "***");
        assert_eq!(r.body.as_deref(), Some("{\"k\":\"***\"}"));
        let mut resp = HttpResponse {
            status: 401,
            headers: vec![("www-authenticate".into(), "Bearer canary-1234".into())],
            body: b"{\"echo\":\"canary-1234\"}".to_vec(),
            json: Some(serde_json::json!({"echo": "canary-1234"})),
            elapsed: std::time::Duration::ZERO,
        };
        s.redact_response(&mut resp);
        assert_eq!(resp.headers[0].1, "Bearer ***");
        assert_eq!(resp.body, b"{\"echo\":\"***\"}");
        assert_eq!(resp.json, Some(serde_json::json!({"echo": "***"})));
    }

    #[test]
    fn userinfo_leaves_urls() {
        assert_eq!(
            strip_userinfo("https://u:p@host:8443/scim/v2 (scim api)"),
            "https://host:8443/scim/v2 (scim api)"
        );
        assert_eq!(
            strip_userinfo("see http://h/x?a=b@c and ftp://me@f"),
            "see http://h/x?a=b@c and ftp://f"
        );
        assert_eq!(strip_userinfo("no url"), "no url");
    }
}
