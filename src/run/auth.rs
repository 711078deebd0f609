//! OAuth2 client credentials (RFC 6749 §4.4): the access token is fetched once, shared
//! by every request of the run, renewed when it expires and, once, when the server
//! answers 401 to it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::exchange::HttpRequest;
use crate::secret::Secrets;
use crate::util::url_encode;

/// How the client authenticates itself at the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic` with the client id and secret (`client_secret_basic`).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Body,
}

/// Where and how to get a token.
#[derive(Clone)]
pub struct OAuth2Config {
    /// Token endpoint URL.
    pub token_url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret (from the environment; never printed).
    pub client_secret: String,
    /// Space-separated scopes to ask for, if any.
    pub scope: Option<String>,
    /// How the client id and secret are sent.
    pub client_auth: ClientAuth,
}

impl std::fmt::Debug for OAuth2Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Config")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("scope", &self.scope)
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint could not be reached.
    #[error("cannot reach the OAuth2 token endpoint {url}: {cause}")]
    Unreachable {
        /// Token endpoint.
        url: String,
        /// Transport error.
        cause: String,
    },
    /// The token endpoint answered with an error.
    #[error("the OAuth2 token endpoint {url} answered {status}: {body}")]
    Rejected {
        /// Token endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// Start of the answer (secrets masked).
        body: String,
    },
    /// The answer is not a token response.
    #[error("the OAuth2 token endpoint {url} sent no usable token: {why}")]
    BadResponse {
        /// Token endpoint.
        url: String,
        /// What is wrong with it.
        why: String,
    },
}

struct AccessToken {
    value: String,
    /// When to stop using it (a margin before the server's `expires_in`).
    renew_at: Option<Instant>,
}

/// Tokens kept to recognise a request built with a token renewed since.
const PAST_TOKENS: usize = 8;

#[derive(Default)]
struct TokenState {
    current: Option<AccessToken>,
    /// Earlier tokens of this session, newest last.
    past: Vec<String>,
}

/// A client-credentials session: the cached token and how to get a new one.
pub struct OAuth2 {
    config: OAuth2Config,
    token: Mutex<TokenState>,
    /// Held while a token is requested, so concurrent cases ask once, not once each.
    fetching: tokio::sync::Mutex<()>,
    secrets: Secrets,
}

impl std::fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OAuth2 {
    /// A session without a token yet; tokens it fetches are added to `secrets`.
    pub fn new(config: OAuth2Config, secrets: Secrets) -> OAuth2 {
        secrets.add(&config.client_secret);
        OAuth2 {
            config,
            token: Mutex::new(TokenState::default()),
            fetching: tokio::sync::Mutex::new(()),
            secrets,
        }
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        &self.config.token_url
    }

    /// The cached token, if one was fetched.
    pub fn current(&self) -> Option<String> {
        self.token
            .lock()
            .ok()
            .and_then(|t| t.current.as_ref().map(|t| t.value.clone()))
    }

    /// `Bearer <cached token>`, once a token was fetched.
    pub fn header_value(&self) -> Option<String> {
        self.current().map(|t| format!("Bearer {t}"))
    }

    /// The token `req` is sent with, when this session issued it (current or earlier);
    /// a case's own `Authorization` header, or none (`auth: false`), is left alone.
    pub fn token_in(&self, req: &HttpRequest) -> Option<String> {
        let (_, value) = req
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?;
        let sent = value.strip_prefix("Bearer ")?;
        let state = self.token.lock().ok()?;
        let ours = state.current.as_ref().is_some_and(|t| t.value == sent)
            || state.past.iter().any(|t| t == sent);
        ours.then(|| sent.to_string())
    }

    /// Whether the cached token is past its lifetime.
    pub fn expired(&self) -> bool {
        self.token.lock().ok().is_some_and(|t| {
            t.current
                .as_ref()
                .and_then(|t| t.renew_at)
                .is_some_and(|at| Instant::now() >= at)
        })
    }

    /// The cached token, fetching one first when there is none or it has expired.
    pub async fn token(&self, http: &reqwest::Client) -> Result<String, AuthError> {
        if !self.expired()
            && let Some(t) = self.current()
        {
            return Ok(t);
        }
        let _turn = self.fetching.lock().await;
        if !self.expired()
            && let Some(t) = self.current()
        {
            return Ok(t);
        }
        self.fetch(http).await
    }

    /// A new token replacing `stale`; when another request has replaced it already,
    /// that newer token.
    pub async fn renew(&self, http: &reqwest::Client, stale: &str) -> Result<String, AuthError> {
        let _turn = self.fetching.lock().await;
        if let Some(t) = self.current().filter(|t| t != stale)
            && !self.expired()
        {
            return Ok(t);
        }
        self.fetch(http).await
    }

    // Long: the OAuth2 token request (RFC 6749 §4.4) and each of its failure answers, named.
    async fn fetch(&self, http: &reqwest::Client) -> Result<String, AuthError> {
        let c = &self.config;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &c.scope {
            form.push(("scope", scope));
        }
        if c.client_auth == ClientAuth::Body {
            form.push(("client_id", &c.client_id));
            form.push(("client_secret", &c.client_secret));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = http
            .post(&c.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body);
        if c.client_auth == ClientAuth::Basic {
            let pair = format!(
                "{}:{}",
                url_encode(&c.client_id),
                url_encode(&c.client_secret)
            );
            self.secrets.add_basic(&pair);
            request = request.header(
                "Authorization",
                format!("Basic {}", crate::util::base64_encode(pair.as_bytes())),
            );
        }
        let unreachable = |e: reqwest::Error| AuthError::Unreachable {
            url: c.token_url.clone(),
            cause: self.secrets.redact(&crate::util::error_chain(&e)),
        };
        let resp = request.send().await.map_err(unreachable)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
        if status != 200 {
            return Err(AuthError::Rejected {
                url: c.token_url.clone(),
                status,
                body: self
                    .secrets
                    .redact(&text.chars().take(300).collect::<String>()),
            });
        }
        let bad = |why: &str| AuthError::BadResponse {
            url: c.token_url.clone(),
            why: why.to_string(),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| bad("the answer is not JSON"))?;
        let value = json
            .get("access_token")
            .and_then(serde_json::Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("no `access_token` string"))?
            .to_string();
        // Register it before anything can print it.
        self.secrets.add(&value);
        if let Some(kind) = json.get("token_type").and_then(serde_json::Value::as_str)
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(bad(&format!(
                "token_type is `{kind}`, only `Bearer` is supported"
            )));
        }
        let renew_at = json
            .get("expires_in")
            .and_then(serde_json::Value::as_f64)
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| {
                let lifetime = Duration::from_secs_f64(s.min(1e9));
                // Renew a little early so a token does not expire in flight.
                Instant::now() + lifetime - (lifetime / 10).min(Duration::from_secs(30))
            });
        if let Ok(mut state) = self.token.lock() {
            if let Some(old) = state.current.take() {
                state.past.push(old.value);
                if state.past.len() > PAST_TOKENS {
                    state.past.remove(0);
                }
            }
            state.current = Some(AccessToken {
                value: value.clone(),
                renew_at,
            });
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> OAuth2Config {
        OAuth2Config {
            token_url: url.to_string(),
            client_id: "my client".into(),
            client_secret: "client-s3cret".into(),
            scope: Some("scim:read scim:write".into()),
            client_auth: ClientAuth::Basic,
        }
    }

    fn http() -> reqwest::Client {
        crate::util::install_crypto_provider();
        reqwest::Client::new()
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let text = format!("{:?}", config("http://t"));
        assert!(!text.contains("client-s3cret"), "{text}");
    }

    #[test]
    fn only_requests_carrying_a_token_of_the_session_count() {
        let session = OAuth2::new(config("http://t"), Secrets::default());
        if let Ok(mut t) = session.token.lock() {
            t.past.push("tok-0".into());
            t.current = Some(AccessToken {
                value: "tok-1".into(),
                renew_at: None,
            });
        }
        let req = |auth: &str| HttpRequest {
            method: "GET".into(),
            url: "http://h/".into(),
            headers: vec![("authorization".into(), auth.into())],
            body: None,
        };
        assert_eq!(session.token_in(&req("Bearer tok-1")), Some("tok-1".into()));
        assert_eq!(session.token_in(&req("Bearer tok-0")), Some("tok-0".into()));
        assert_eq!(session.token_in(&req("Bearer other")), None);
        assert_eq!(session.token_in(&req("Basic tok-1")), None);
        assert!(!session.expired());
    }

    #[tokio::test]
    async fn client_secret_basic_form_and_caching() {
        use wiremock::matchers::{body_string, header, method};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        // base64("my+client:client-s3cret")
        Mock::given(method("POST"))
            .and(header(
                "authorization",
                "Basic bXkrY2xpZW50OmNsaWVudC1zM2NyZXQ=",
            ))
            .and(body_string(
                "grant_type=client_credentials&scope=scim%3Aread+scim%3Awrite",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": "fresh-token-1", "token_type": "bearer", "expires_in": 3600
            })))
            .expect(1)
            .mount(&server)
            .await;
        let secrets = Secrets::default();
        let session = OAuth2::new(config(&format!("{}/token", server.uri())), secrets.clone());
        let http = http();
        assert_eq!(session.token(&http).await.expect("token"), "fresh-token-1");
        assert_eq!(session.token(&http).await.expect("cached"), "fresh-token-1");
        assert_eq!(secrets.redact("fresh-token-1 client-s3cret"), "*** ***");
    }

    #[tokio::test]
    async fn rejection_names_the_status_without_the_secret() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_string("{\"error\":\"invalid_client\",\"got\":\"client-s3cret\"}"),
            )
            .mount(&server)
            .await;
        let mut c = config(&server.uri());
        c.client_auth = ClientAuth::Body;
        let session = OAuth2::new(c, Secrets::default());
        let e = session
            .token(&http())
            .await
            .expect_err("rejected")
            .to_string();
        assert!(
            e.contains("answered 401") && e.contains("invalid_client"),
            "{e}"
        );
        assert!(!e.contains("client-s3cret"), "{e}");
    }
}
