//! The HTTP front end of the simulations, on plain hyper: `scimcert mock` serves it on
//! the caller's runtime for as long as it is needed, and [`super::Simulation`] on a
//! thread of its own for runs and tests.
//!
//! It answers with the [`Adapter`] — handler, store, fault injection, body limit — and
//! keeps nothing per request. wiremock, which served runs before, keeps a copy of every
//! request a mock matched (`MountedMock::matched_requests`, even with request recording
//! off), and its header values pin the connection's read buffer: about 9 KB a request,
//! 6 GB for a standalone mock after 900 k requests, 50 MB for one corpus run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

use super::client_log::ClientReport;
use super::{Adapter, SimError, SimOptions, SimRequest, SimResponse, fault, percent_decode};

/// A simulation served on its own listener until dropped.
pub struct StandaloneSimulation {
    addr: SocketAddr,
    options: SimOptions,
    adapter: Arc<Adapter>,
    accept_loop: JoinHandle<()>,
}

impl StandaloneSimulation {
    /// Serves `options`' simulation on `listener` (already bound).
    pub async fn start_on(
        listener: std::net::TcpListener,
        options: SimOptions,
    ) -> Result<StandaloneSimulation, SimError> {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        let adapter = Arc::new(Adapter::new(&options)?);
        let accept_loop = tokio::spawn(accept_loop(listener, Arc::clone(&adapter)));
        Ok(StandaloneSimulation {
            addr,
            options,
            adapter,
            accept_loop,
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

    /// The client report as of now, if the mock grades its client (`client_report`).
    pub fn client_report(&self) -> Option<ClientReport> {
        self.adapter.client_report()
    }

    /// Writes the client report files into the configured folder, if there is one.
    pub fn write_client_report(&self) -> Option<Result<Vec<PathBuf>, String>> {
        self.adapter.write_client_report()
    }
}

/// Starts a standalone simulation on `127.0.0.1:port` (`0` picks a free port).
pub async fn serve(options: SimOptions, port: u16) -> Result<StandaloneSimulation, SimError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    StandaloneSimulation::start_on(listener, options).await
}

impl Drop for StandaloneSimulation {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// Serves `adapter` on every connection `listener` accepts, for as long as it is polled.
pub(super) async fn accept_loop(listener: tokio::net::TcpListener, adapter: Arc<Adapter>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let adapter = Arc::clone(&adapter);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let adapter = Arc::clone(&adapter);
                async move { answer(&adapter, request).await }
            });
            // A connection that ends badly (peer reset, dropped by a fault) concerns
            // only that connection.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The error that makes hyper close a connection without answering (`drop` fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

async fn answer(
    adapter: &Adapter,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_ascii_uppercase();
    let path = percent_decode(parts.uri.path());
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            // Valid UTF-8 (nearly every value) is copied after one quick check; the
            // lossy decoder, the same on valid input, checks far more slowly.
            let value = match std::str::from_utf8(value.as_bytes()) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            // `HeaderName::as_str` is always lower case (http 1's documented promise).
            (name.as_str().to_owned(), value)
        })
        .collect();
    let fault_header = headers
        .iter()
        .find(|(name, _)| name == fault::FAULT_HEADER)
        .map(|(_, value)| value.as_str());
    if adapter.faults.drops(&method, &path, fault_header) {
        return Err(Dropped);
    }
    let (bytes, body_len) = match read_body(body, adapter.body_limit).await {
        Ok(read) => read,
        // The client went away mid-body: nobody is left to answer.
        Err(_) => return Err(Dropped),
    };
    let query = parts
        .uri
        .query()
        .map(|q| {
            reqwest::Url::parse(&format!("http://sim/?{q}"))
                .map(|url| {
                    url.query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let sim_request = SimRequest {
        method,
        path,
        query,
        headers,
        body: bytes,
    };
    let (response, latency) = adapter.answer_sized(&sim_request, body_len);
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    Ok(to_http(response))
}

/// Reads at most `limit + 1` bytes: a longer body is not kept, only its length (as far
/// as read, or as declared), so an oversized request costs no memory.
async fn read_body(mut body: Incoming, limit: usize) -> Result<(Vec<u8>, usize), hyper::Error> {
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > limit {
                return Ok((Vec::new(), seen));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok((bytes, seen))
}

/// A [`SimResponse`] as an HTTP response.
fn to_http(response: SimResponse) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut http = Response::new(Full::new(Bytes::new()));
    *http.status_mut() = status;
    let headers = http.headers_mut();
    for (name, value) in response.valid_headers() {
        headers.append(name, value);
    }
    let content_type = response.content_type;
    if let Some(body) = response.into_body_bytes() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        *http.body_mut() = Full::new(Bytes::from(body));
    }
    http
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Profile;

    async fn start(options: SimOptions) -> StandaloneSimulation {
        crate::util::install_crypto_provider();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        StandaloneSimulation::start_on(listener, options)
            .await
            .expect("start")
    }

    #[test]
    fn header_names_arrive_lower_case() {
        // `answer` copies names as they are, on http's promise that they are lower case.
        for name in [
            "Content-Type",
            "X-ScimCert-Fault",
            "IF-MATCH",
            "x-already-lower",
        ] {
            let parsed = hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("a name");
            assert_eq!(parsed.as_str(), name.to_ascii_lowercase());
        }
    }

    #[tokio::test]
    async fn serves_the_same_simulation_as_in_process() {
        let options = SimOptions::new(Profile::Vmware);
        let token = options.token.clone();
        let sim = start(options).await;
        let client = reqwest::Client::new();
        let created = client
            .post(format!("{}/Users", sim.base_url()))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"standalone-1"}"#)
            .send()
            .await
            .expect("post");
        assert_eq!(
            created.status().as_u16(),
            200,
            "vmware answers a create with 200"
        );
        let user: serde_json::Value =
            serde_json::from_slice(&created.bytes().await.expect("body")).expect("json");
        let id = user["id"].as_str().expect("id").to_string();
        let patched = client
            .patch(format!("{}/Users/{id}?attributes=nickName", sim.base_url()))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(r#"{"Operations":[{"op":"replace","path":"nickName","value":"Babs"}]}"#)
            .send()
            .await
            .expect("patch");
        assert_eq!(patched.status().as_u16(), 200);
        let body: serde_json::Value =
            serde_json::from_slice(&patched.bytes().await.expect("body")).expect("json");
        assert_eq!(body["nickName"], "Babs");
        assert!(
            body.get("userName").is_none(),
            "the attributes query was applied"
        );
        let unauthorised = client
            .get(format!("{}/Users/{id}", sim.base_url()))
            .send()
            .await
            .expect("get");
        assert_eq!(unauthorised.status().as_u16(), 401);
        assert!(unauthorised.headers().contains_key("www-authenticate"));
    }

    #[tokio::test]
    async fn oversized_bodies_get_413_and_drop_faults_close_the_connection() {
        let mut options = SimOptions::new(Profile::Rfc7644);
        options.body_limit = 1024;
        options
            .faults
            .rules
            .push(fault::FaultRule::parse("DELETE /Users/* drop").expect("fault rule"));
        let token = options.token.clone();
        let sim = start(options).await;
        let client = reqwest::Client::new();
        let big = client
            .post(format!("{}/Users", sim.base_url()))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(vec![b' '; 4096])
            .send()
            .await
            .expect("post");
        assert_eq!(big.status().as_u16(), 413);
        let body: serde_json::Value =
            serde_json::from_slice(&big.bytes().await.expect("body")).expect("a SCIM error body");
        assert_eq!(body["status"], "413");
        let dropped = client
            .delete(format!("{}/Users/x", sim.base_url()))
            .bearer_auth(&token)
            .send()
            .await;
        assert!(dropped.is_err(), "the connection was closed unanswered");
    }
}
