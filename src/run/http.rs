//! HTTP for the runner: one reqwest client (no redirects, timeouts, bounded bodies),
//! a request broken by a closed keep-alive connection sent again on a new one,
//! the exchanges recorded as the plain data of [`crate::exchange`].

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::exchange::{HttpRequest, HttpResponse, TransportError};
use crate::run::auth::{OAuth2, OAuth2Config};
use crate::run::rate::{Pacer, RetryPolicy, retry_after};
use crate::secret::Secrets;
use crate::util::{error_chain, install_crypto_provider};

/// Largest response body read; a larger one is an `error` verdict, not a hang. A user,
/// an error or a filtered list is a few kilobytes; 4 MiB leaves room for users with
/// thousands of groups while a flooding server is cut off early.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// How the runner's client reaches a server: timeouts, TLS, proxy, pacing, 429 retries
/// and OAuth2.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// TCP (and TLS) connect timeout.
    pub connect_timeout: Duration,
    /// PEM file of extra CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate (warned about loudly by the caller).
    pub insecure: bool,
    /// Proxy for every request; without it no proxy is used (`HTTP(S)_PROXY` and
    /// `NO_PROXY` are not read).
    pub proxy: Option<String>,
    /// Requests per second across the run (None: unlimited).
    pub rate_limit: Option<f64>,
    /// Retries after `429 Too Many Requests`.
    pub retry: RetryPolicy,
    /// OAuth2 client credentials, when the target uses them.
    pub oauth2: Option<OAuth2Config>,
    /// Secret values to keep out of every output; tokens fetched are added.
    pub secrets: Secrets,
    /// Trust the system's CA certificates. Off for a run whose every URL is plain http
    /// (the simulations on loopback): reading and parsing the store costs a cold start
    /// about 10 ms, a twentieth of the whole main job.
    pub system_roots: bool,
}

impl ClientSettings {
    /// Plain settings: these timeouts, system CAs, no proxy, no rate limit.
    pub fn new(timeout: Duration, connect_timeout: Duration) -> ClientSettings {
        ClientSettings {
            timeout,
            connect_timeout,
            ca_file: None,
            insecure: false,
            proxy: None,
            rate_limit: None,
            retry: RetryPolicy::default(),
            oauth2: None,
            secrets: Secrets::default(),
            system_roots: true,
        }
    }
}

/// The waits between the tries of a cleanup request that failed in transport (three
/// tries in all): a connection that broke is usually replaced within a fraction of a
/// second, and a user left behind outlives the run.
pub const CLEANUP_BACKOFF: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(300)];

/// The runner's HTTP client.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    /// Same settings, no pool: every request on it opens a new connection. A request
    /// that broke on a pooled connection is sent again here, because the pooled client
    /// could hand out another stale connection from its pool (a server that closes idle
    /// connections closes them all), and reqwest offers no way to ask for a new one.
    fresh: reqwest::Client,
    timeout: Duration,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    oauth2: Option<Arc<OAuth2>>,
    secrets: Secrets,
}

impl HttpClient {
    /// A client with a per-request `timeout` and a connect timeout.
    pub fn new(timeout: Duration, connect_timeout: Duration) -> Result<HttpClient, TransportError> {
        HttpClient::with_settings(ClientSettings::new(timeout, connect_timeout))
    }

    /// A client as `settings` describe; a bad CA file or proxy URL is an error naming it.
    pub fn with_settings(settings: ClientSettings) -> Result<HttpClient, TransportError> {
        install_crypto_provider();
        let inner = build_client(&settings, 64)?;
        let fresh = build_client(&settings, 0)?;
        let oauth2 = settings
            .oauth2
            .map(|c| Arc::new(OAuth2::new(c, settings.secrets.clone())));
        Ok(HttpClient {
            inner,
            fresh,
            timeout: settings.timeout,
            pacer: Arc::new(Pacer::new(settings.rate_limit)),
            retry: settings.retry,
            oauth2,
            secrets: settings.secrets,
        })
    }

    /// The secrets of this client's run (shared: tokens fetched later are in it too).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The OAuth2 session, when the client authenticates with client credentials.
    pub fn oauth2(&self) -> Option<&Arc<OAuth2>> {
        self.oauth2.as_ref()
    }

    /// Fetches the OAuth2 token now (when there is a session and no token yet), so a
    /// misconfigured token endpoint stops the run before any case.
    pub async fn authenticate(&self) -> Result<(), TransportError> {
        if let Some(session) = &self.oauth2 {
            session
                .token(&self.inner)
                .await
                .map_err(|e| TransportError::Auth(e.to_string()))?;
        }
        Ok(())
    }

    /// Sends `req` in its turn (rate limit), waiting and retrying while the server
    /// answers 429 (bounded), and renewing the OAuth2 token when it has expired or was
    /// refused with 401 (once; then the 401 stands). A request that broke before any
    /// answer is sent again once on a new connection.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.send_noted(req, &[], &mut Vec::new()).await
    }

    /// [`HttpClient::send`], trying again after each wait of `backoff` while the
    /// connection fails (refused, reset, closed: not a timeout, which a short wait does
    /// not cure), and adding to `notes` a line for each resend and retry, for the record.
    pub async fn send_noted(
        &self,
        req: &HttpRequest,
        backoff: &[Duration],
        notes: &mut Vec<String>,
    ) -> Result<HttpResponse, TransportError> {
        let tries = backoff.len() + 1;
        let mut waits = backoff.iter();
        let mut tried = 1;
        loop {
            let error = match self.send_paced(req, notes).await {
                Err(e @ (TransportError::Connect(_) | TransportError::Protocol(_))) => e,
                done => return done,
            };
            let Some(wait) = waits.next() else {
                return Err(error);
            };
            tried += 1;
            notes.push(format!(
                "tried again after {} ms (try {tried} of {tries}) after: {error}",
                wait.as_millis()
            ));
            tokio::time::sleep(*wait).await;
        }
    }

    /// One try of [`HttpClient::send`]: pacing, 429 retries and token renewal.
    async fn send_paced(
        &self,
        req: &HttpRequest,
        notes: &mut Vec<String>,
    ) -> Result<HttpResponse, TransportError> {
        let mut req = Cow::Borrowed(req);
        let session = self.oauth2.as_ref();
        let mut renewed = false;
        let mut retries = 0;
        loop {
            self.pacer.acquire().await;
            let sent_with = match session {
                Some(s) => self.current_token_into(s, &mut req).await?,
                None => None,
            };
            let resp = self.exchange(&req, notes).await?;
            if resp.status == 429 {
                let asked = resp
                    .header("retry-after")
                    .and_then(|v| retry_after(v, SystemTime::now()));
                let wait = asked.unwrap_or_else(|| self.retry.backoff(retries));
                if retries >= self.retry.max_retries {
                    return Err(TransportError::RateLimited(format!(
                        "the server still answered 429 Too Many Requests after {retries} \
                         retr{}",
                        if retries == 1 { "y" } else { "ies" }
                    )));
                }
                if wait > self.retry.max_wait {
                    return Err(TransportError::RateLimited(format!(
                        "the server answered 429 Too Many Requests asking to wait {} s \
                         (Retry-After), longer than the {} s allowed",
                        wait.as_secs(),
                        self.retry.max_wait.as_secs()
                    )));
                }
                // Every request waits, not just this one: the server is overloaded.
                self.pacer.pause(wait);
                retries += 1;
                continue;
            }
            if resp.status == 401
                && !renewed
                && let Some(s) = session
                && let Some(stale) = sent_with
            {
                // The next round sends the renewed token.
                self.renew(s, &stale).await?;
                renewed = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Puts the session's current token into `req` when it carries an older or expired
    /// one of the session (it may have waited while another request renewed it);
    /// returns the token it is sent with, if it is the session's.
    async fn current_token_into(
        &self,
        session: &OAuth2,
        req: &mut Cow<'_, HttpRequest>,
    ) -> Result<Option<String>, TransportError> {
        let Some(used) = session.token_in(req) else {
            return Ok(None);
        };
        if !session.expired() && session.current().as_deref() == Some(used.as_str()) {
            return Ok(Some(used));
        }
        let fresh = self.renew(session, &used).await?;
        set_bearer(req.to_mut(), &fresh);
        Ok(Some(fresh))
    }

    async fn renew(&self, session: &OAuth2, stale: &str) -> Result<String, TransportError> {
        session
            .renew(&self.inner, stale)
            .await
            .map_err(|e| TransportError::Auth(e.to_string()))
    }

    /// Sends `req` on a pooled connection; when that connection broke before any answer
    /// came (see [`unanswered`]), sends it once more on a new connection and notes why.
    /// Whatever the method: the server answered nothing, so nothing is judged twice.
    /// Every request is treated so, not only those on a reused connection, because
    /// reqwest does not tell whether a connection was new; on a new one the resend costs
    /// one more failure of the same kind, and the second error is the one reported.
    async fn exchange(
        &self,
        req: &HttpRequest,
        notes: &mut Vec<String>,
    ) -> Result<HttpResponse, TransportError> {
        match self.send_once(&self.inner, req).await {
            Err(Attempt::Unanswered(e)) => {
                notes.push(format!("sent again on a new connection after: {e}"));
                self.pacer.acquire().await;
                self.send_once(&self.fresh, req)
                    .await
                    .map_err(Attempt::into_error)
            }
            other => other.map_err(Attempt::into_error),
        }
    }

    /// Sends `req` once with `client` and reads the whole (bounded) body.
    async fn send_once(
        &self,
        client: &reqwest::Client,
        req: &HttpRequest,
    ) -> Result<HttpResponse, Attempt> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| Attempt::Final(TransportError::Invalid(e.to_string())))?;
        let mut builder = client.request(method, &req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let started = Instant::now();
        let mut resp = builder.send().await.map_err(|e| {
            let error = self.classify(&e);
            if unanswered(&e) {
                Attempt::Unanswered(error)
            } else {
                Attempt::Final(error)
            }
        })?;
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
        // A declared length over the limit is refused before a byte of it is read.
        if resp
            .content_length()
            .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
        {
            return Err(Attempt::Final(TransportError::TooLarge(MAX_RESPONSE_BYTES)));
        }
        let mut body = Vec::new();
        // A failure from here on came after the head: never sent again.
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| Attempt::Final(self.classify(&e)))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Attempt::Final(TransportError::TooLarge(MAX_RESPONSE_BYTES)));
            }
            body.extend_from_slice(&chunk);
        }
        let json = if body.is_empty() {
            None
        } else {
            crate::util::parse_json(&body).ok()
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
        } else if e.is_connect() && chain.contains("certificate") {
            TransportError::Connect(format!(
                "{chain} (trust the server's CA with `ca_file`, or use --insecure)"
            ))
        } else if e.is_connect() {
            TransportError::Connect(chain)
        } else if e.is_builder() {
            TransportError::Invalid(chain)
        } else {
            TransportError::Protocol(chain)
        }
    }
}

/// A reqwest client as `settings` describe, keeping at most `idle_per_host` idle
/// connections (0: none, so each request opens its own).
fn build_client(
    settings: &ClientSettings,
    idle_per_host: usize,
) -> Result<reqwest::Client, TransportError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout.min(settings.timeout))
        .pool_max_idle_per_host(idle_per_host)
        // Only the proxy given in the settings, never one from the environment.
        .no_proxy();
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            TransportError::Invalid(format!("cannot read CA file {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                TransportError::Invalid(format!(
                    "CA file {} holds no PEM certificate",
                    path.display()
                ))
            })?;
        builder = if settings.system_roots {
            builder.tls_certs_merge(certs)
        } else {
            builder.tls_certs_only(certs)
        };
    } else if !settings.system_roots {
        builder = builder.tls_certs_only(Vec::new());
    }
    if settings.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some(url) = &settings.proxy {
        let proxy = reqwest::Proxy::all(url).map_err(|e| {
            TransportError::Invalid(
                settings
                    .secrets
                    .redact(&format!("proxy `{url}`: {}", error_chain(&e))),
            )
        })?;
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| TransportError::Invalid(error_chain(&e)))
}

/// How one send on one connection failed.
enum Attempt {
    /// The connection broke before any answer: the request may be sent again.
    Unanswered(TransportError),
    /// Anything else (a timeout, a broken answer, a bad request): it stands.
    Final(TransportError),
}

impl Attempt {
    fn into_error(self) -> TransportError {
        match self {
            Attempt::Unanswered(e) | Attempt::Final(e) => e,
        }
    }
}

/// Whether `e`, from `send()` (before a response head was parsed), means that the
/// connection was closed or reset under the request: the race a keep-alive client loses
/// when the server closes a connection it pooled (after a 5xx, after an idle timeout).
/// A timeout is not (the server may still be working on it), nor a connect failure (no
/// connection was had, and a new one fails alike), nor an answer that is not HTTP.
/// hyper reports a head cut short by the close like no head at all; neither gives a
/// status to judge, so both count.
fn unanswered(e: &reqwest::Error) -> bool {
    if e.is_timeout() || e.is_connect() || e.is_builder() || e.is_body() || e.is_decode() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_canceled() || h.is_closed())
        {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        source = s.source();
    }
    false
}

/// Replaces the `Authorization` header with a bearer token.
fn set_bearer(req: &mut HttpRequest, token: &str) {
    req.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    req.headers
        .push(("Authorization".into(), format!("Bearer {token}")));
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A loopback server whose first `unanswered` connections read the request and close
    /// without answering (or never answer, when `hang`); later ones answer 200. Returns
    /// a request to it and the count of connections it accepted.
    async fn closing_server(
        unanswered: usize,
        hang: bool,
    ) -> (HttpRequest, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/Users/1", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let n = count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => head.extend_from_slice(&buf[..k]),
                        }
                    }
                    if n >= unanswered {
                        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        let _ = stream.write_all(ok).await;
                    } else if hang {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        let req = HttpRequest {
            method: "DELETE".into(),
            url,
            headers: vec![],
            body: None,
        };
        (req, accepted)
    }

    fn count(accepted: &std::sync::atomic::AtomicUsize) -> usize {
        accepted.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[tokio::test]
    async fn request_closed_unanswered_is_sent_again_once_on_a_new_connection() {
        let client = HttpClient::new(Duration::from_secs(5), Duration::from_secs(1)).unwrap();
        let (req, accepted) = closing_server(1, false).await;
        let mut notes = Vec::new();
        let resp = client.send_noted(&req, &[], &mut notes).await;
        assert_eq!(resp.expect("answered on the new connection").status, 200);
        assert_eq!(count(&accepted), 2);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("sent again on a new connection after: ")
                && notes[0].contains("closed"),
            "{notes:?}"
        );
        // Only once: a second close stands.
        let (req, accepted) = closing_server(2, false).await;
        let resp = client.send(&req).await;
        assert!(matches!(resp, Err(TransportError::Protocol(_))), "{resp:?}");
        assert_eq!(count(&accepted), 2);
    }

    #[tokio::test]
    async fn timeout_is_not_sent_again() {
        let client = HttpClient::new(Duration::from_millis(300), Duration::from_secs(1)).unwrap();
        let (req, accepted) = closing_server(usize::MAX, true).await;
        let mut notes = Vec::new();
        let resp = client.send_noted(&req, &CLEANUP_BACKOFF, &mut notes).await;
        assert!(matches!(resp, Err(TransportError::Timeout(_))), "{resp:?}");
        assert_eq!(count(&accepted), 1);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[tokio::test]
    async fn cleanup_is_tried_three_times_with_back_off() {
        let client = HttpClient::new(Duration::from_secs(5), Duration::from_secs(1)).unwrap();
        // Each try is a send and a resend: the fourth connection answers, in the second try.
        let (req, accepted) = closing_server(3, false).await;
        let mut notes = Vec::new();
        let started = Instant::now();
        let resp = client.send_noted(&req, &CLEANUP_BACKOFF, &mut notes).await;
        assert_eq!(resp.expect("answered in the second try").status, 200);
        assert!(started.elapsed() >= CLEANUP_BACKOFF[0]);
        assert_eq!(count(&accepted), 4);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes[1].starts_with("tried again after 100 ms (try 2 of 3) after: "),
            "{notes:?}"
        );
        // Three tries, then the error stands.
        let (req, accepted) = closing_server(usize::MAX, false).await;
        let mut notes = Vec::new();
        let started = Instant::now();
        let resp = client.send_noted(&req, &CLEANUP_BACKOFF, &mut notes).await;
        assert!(matches!(resp, Err(TransportError::Protocol(_))), "{resp:?}");
        assert!(started.elapsed() >= CLEANUP_BACKOFF[0] + CLEANUP_BACKOFF[1]);
        assert_eq!(count(&accepted), 6);
        assert!(notes[3].contains("(try 3 of 3)"), "{notes:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_401s_renew_the_token_once() {
        use wiremock::matchers::{header, method};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let token = |t: &str| {
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": t, "token_type": "Bearer"}))
        };
        let idp = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(token("tok-one"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&idp)
            .await;
        Mock::given(method("POST"))
            .respond_with(token("tok-two"))
            .with_priority(2)
            .mount(&idp)
            .await;
        let api = MockServer::start().await;
        Mock::given(header("authorization", "Bearer tok-two"))
            .respond_with(ResponseTemplate::new(200))
            .with_priority(1)
            .mount(&api)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401))
            .with_priority(2)
            .mount(&api)
            .await;
        let mut settings = ClientSettings::new(Duration::from_secs(5), Duration::from_secs(2));
        settings.oauth2 = Some(OAuth2Config {
            token_url: idp.uri(),
            client_id: "c".into(),
            client_secret: "client-secret".into(),
            scope: None,
            client_auth: crate::run::auth::ClientAuth::Body,
        });
        let client = HttpClient::with_settings(settings).expect("client");
        client.authenticate().await.expect("first token");
        let session = client.oauth2().cloned().expect("session");
        let req = HttpRequest {
            method: "GET".into(),
            url: format!("{}/Users", api.uri()),
            headers: vec![(
                "Authorization".into(),
                session.header_value().expect("token"),
            )],
            body: None,
        };
        let sends = (0..8).map(|_| {
            let client = client.clone();
            let req = req.clone();
            tokio::spawn(async move { client.send(&req).await.map(|r| r.status) })
        });
        for send in sends {
            assert_eq!(send.await.expect("task").expect("response"), 200);
        }
        let token_requests = idp.received_requests().await.unwrap_or_default();
        assert_eq!(
            token_requests.len(),
            2,
            "one token, then one renewal for all"
        );
        // A case's own Authorization header is not this session's: its 401 stands.
        let mut own = req.clone();
        own.headers = vec![("Authorization".into(), "Bearer wrong".into())];
        assert_eq!(client.send(&own).await.expect("response").status, 401);
        assert_eq!(idp.received_requests().await.unwrap_or_default().len(), 2);
    }
}
