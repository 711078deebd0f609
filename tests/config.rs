//! Running against a real server: `scimcert.toml` (errors with positions, flags over
//! the file), OAuth2 client credentials (one token for the run, renewed once on 401),
//! `429 Retry-After`, TLS (`--insecure`, `ca_file`), the proxy setting, fixture
//! adaptations, and a canary token that must appear in no output at all.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{MockProcess, scimcert_env, shown};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// One case: PATCH /Users/42 must answer 200.
fn patch_case(id: &str) -> String {
    format!(
        r#"- id: {id}
  title: PATCH answers 200
  rules: [P-15]
  level: MUST
  api: scim
  steps:
    - request:
        method: PATCH
        path: /Users/42
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{{op: replace, path: nickName, value: Babs}}]
      expect:
        status: 200
"#
    )
}

/// A work folder with `cases/cases.yaml` holding `cases` and a copy of the schemas.
fn workdir(cases: &str) -> PathBuf {
    common::workdir_with_case("config", "cases.yaml", cases)
}

fn report(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).expect("report");
    serde_json::from_str(&text).expect("json report")
}

async fn hits(server: &MockServer, path_suffix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().ends_with(path_suffix))
        .collect()
}

fn header_of(r: &Request, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

// --- the configuration file -------------------------------------------------------

#[tokio::test]
async fn bad_config_file_is_a_usage_error_at_its_position() {
    let server = MockServer::start().await;
    let dir = workdir(&patch_case("c1"));
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            "base_url = \"{}/v2\"\napi = \"scim\"\nrate_limit = \"fast\"\n",
            server.uri()
        ),
    )
    .expect("config");
    // Found in the current folder without --config.
    let out = scimcert_env(&dir, &["run"], &[]);
    let all = shown(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("scimcert.toml:3:14"), "{all}");
    assert!(all.contains("rate_limit = \"fast\""), "{all}");
    assert!(hits(&server, "").await.is_empty(), "nothing may be sent");

    let out = scimcert_env(&dir, &["run", "--config", "missing.toml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert!(
        shown(&out).contains("cannot read missing.toml"),
        "{}",
        shown(&out)
    );
}

#[tokio::test]
async fn no_config_ignores_the_file_in_the_current_folder() {
    let dir = workdir(&patch_case("c1"));
    std::fs::write(dir.join("scimcert.toml"), "nonsense = 1\n").expect("config");
    let out = scimcert_env(&dir, &["run", "--no-config", "--profile", "vmware"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(
        shown(&out).contains("built-in simulations"),
        "{}",
        shown(&out)
    );
}

#[tokio::test]
async fn flags_override_the_file() {
    let from_file = MockServer::start().await;
    let from_flag = MockServer::start().await;
    for server in [&from_file, &from_flag] {
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "42"})))
            .mount(server)
            .await;
    }
    let dir = workdir(&patch_case("c1"));
    std::fs::write(
        dir.join("settings.toml"),
        format!(
            r#"base_url = "{}/v2"
api = "scim"
profile = "vmware"
[headers]
X-Origin = "file"
X-File-Only = "kept"
[auth]
type = "bearer"
env = "MY_TOKEN"
"#,
            from_file.uri()
        ),
    )
    .expect("config");
    let target = format!("{}/v2", from_flag.uri());
    let out = scimcert_env(
        &dir,
        &[
            "run",
            "--config",
            "settings.toml",
            "--target",
            &target,
            "-H",
            "X-Origin: flag",
            "--json",
            "r.json",
        ],
        &[("MY_TOKEN", "token-from-env-1234")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(hits(&from_file, "").await.is_empty());
    let sent = hits(&from_flag, "/Users/42").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(header_of(&sent[0], "x-origin").as_deref(), Some("flag"));
    assert_eq!(header_of(&sent[0], "x-file-only").as_deref(), Some("kept"));
    assert_eq!(
        header_of(&sent[0], "authorization").as_deref(),
        Some("Bearer token-from-env-1234")
    );
    // The file's profile stands where no flag overrides it.
    assert_eq!(report(&dir, "r.json")["cases"][0]["profile"], "vmware");
}

#[tokio::test]
async fn a_file_asking_for_an_unset_variable_stops_a_real_run() {
    let server = MockServer::start().await;
    let dir = workdir(&patch_case("c1"));
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            "base_url = \"{}/v2\"\napi = \"scim\"\n\n[auth]\ntype = \"basic\"\nenv = \"NOT_SET_ANYWHERE\"\n",
            server.uri()
        ),
    )
    .expect("config");
    let out = scimcert_env(&dir, &["run"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert!(
        shown(&out).contains("$NOT_SET_ANYWHERE is not set")
            && shown(&out).contains("scimcert.toml:4:1"),
        "{}",
        shown(&out)
    );
    assert!(hits(&server, "").await.is_empty());
}

// --- OAuth2 client credentials ----------------------------------------------------

const CLIENT_SECRET: &str = "client-secret-canary-5150";

fn oauth_config(scim: &MockServer, idp: &MockServer) -> String {
    format!(
        r#"base_url = "{}/v2"
api = "scim"
discovery = false

[auth]
type = "oauth2"
token_url = "{}/oauth2/token"
client_id = "scimcert-ci"
client_secret_env = "CLIENT_SECRET"
scope = "scim"
"#,
        scim.uri(),
        idp.uri()
    )
}

fn token(value: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": value, "token_type": "Bearer", "expires_in": 3600
    }))
}

#[tokio::test]
async fn oauth2_token_is_fetched_once_for_many_cases() {
    let idp = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(token("access-token-aaaa"))
        .mount(&idp)
        .await;
    let scim = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("authorization", "Bearer access-token-aaaa"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "42"})))
        .mount(&scim)
        .await;
    let cases: String = (1..=8).map(|i| patch_case(&format!("c{i}"))).collect();
    let dir = workdir(&cases);
    std::fs::write(dir.join("scimcert.toml"), oauth_config(&scim, &idp)).expect("config");
    let out = scimcert_env(
        &dir,
        &["run", "--jobs", "4", "--json", "r.json"],
        &[("CLIENT_SECRET", CLIENT_SECRET)],
    );
    let all = shown(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("8 passed"), "{all}");
    let token_requests = hits(&idp, "/oauth2/token").await;
    assert_eq!(token_requests.len(), 1, "one token for the whole run");
    let form = String::from_utf8_lossy(&token_requests[0].body).into_owned();
    assert_eq!(form, "grant_type=client_credentials&scope=scim");
    assert!(
        header_of(&token_requests[0], "authorization").is_some_and(|v| v.starts_with("Basic ")),
        "client_secret_basic by default"
    );
    assert_eq!(hits(&scim, "/Users/42").await.len(), 8);
    let json = std::fs::read_to_string(dir.join("r.json")).expect("report");
    for leak in [CLIENT_SECRET, "access-token-aaaa"] {
        assert!(!all.contains(leak) && !json.contains(leak), "{leak} leaked");
    }
}

#[tokio::test]
async fn oauth2_token_is_renewed_once_after_a_401() {
    let idp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token("old-token-1111"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&idp)
        .await;
    Mock::given(method("POST"))
        .respond_with(token("new-token-2222"))
        .with_priority(2)
        .mount(&idp)
        .await;
    let scim = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("authorization", "Bearer new-token-2222"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "42"})))
        .with_priority(1)
        .mount(&scim)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(2)
        .mount(&scim)
        .await;
    let dir = workdir(&patch_case("c1"));
    std::fs::write(dir.join("scimcert.toml"), oauth_config(&scim, &idp)).expect("config");
    let out = scimcert_env(&dir, &["run"], &[("CLIENT_SECRET", CLIENT_SECRET)]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert_eq!(hits(&idp, "/oauth2/token").await.len(), 2);
    let sent = hits(&scim, "/Users/42").await;
    assert_eq!(sent.len(), 2, "the refused request is sent again, once");
    assert_eq!(
        header_of(&sent[1], "authorization").as_deref(),
        Some("Bearer new-token-2222")
    );
}

#[tokio::test]
async fn a_401_after_the_renewal_stands() {
    let idp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token("any-token-3333"))
        .mount(&idp)
        .await;
    let scim = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&scim)
        .await;
    let dir = workdir(&patch_case("c1"));
    std::fs::write(dir.join("scimcert.toml"), oauth_config(&scim, &idp)).expect("config");
    let out = scimcert_env(&dir, &["run"], &[("CLIENT_SECRET", CLIENT_SECRET)]);
    let all = shown(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("got 401"), "{all}");
    assert_eq!(hits(&idp, "").await.len(), 2, "first token and one renewal");
    assert_eq!(
        hits(&scim, "").await.len(),
        2,
        "one retry, then the 401 stands"
    );
}

#[tokio::test]
async fn a_refused_client_stops_the_run_before_any_case() {
    let idp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&idp)
        .await;
    let scim = MockServer::start().await;
    let dir = workdir(&patch_case("c1"));
    std::fs::write(dir.join("scimcert.toml"), oauth_config(&scim, &idp)).expect("config");
    let out = scimcert_env(&dir, &["run"], &[("CLIENT_SECRET", CLIENT_SECRET)]);
    let all = shown(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("answered 401") && all.contains("invalid_client"),
        "{all}"
    );
    assert!(!all.contains(CLIENT_SECRET), "{all}");
    assert!(hits(&scim, "").await.is_empty());
}

// --- 429 Too Many Requests --------------------------------------------------------

async fn rate_limited_run(
    answers: Vec<ResponseTemplate>,
    extra_config: &str,
) -> (Output, MockServer, Duration) {
    let scim = MockServer::start().await;
    let count = answers.len() as u64;
    for (i, answer) in answers.into_iter().enumerate() {
        let mock = Mock::given(method("PATCH"))
            .respond_with(answer)
            .with_priority(u8::try_from(i + 1).expect("few answers"));
        // Every answer but the last is given once.
        let mock = if (i as u64) + 1 < count {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(&scim).await;
    }
    let dir = workdir(&patch_case("c1"));
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            "base_url = \"{}/v2\"\napi = \"scim\"\n{extra_config}",
            scim.uri()
        ),
    )
    .expect("config");
    let started = Instant::now();
    let out = scimcert_env(&dir, &["run", "--json", "r.json"], &[]);
    (out, scim, started.elapsed())
}

#[tokio::test]
async fn retry_after_is_waited_for_then_the_request_is_sent_again() {
    let (out, scim, elapsed) = rate_limited_run(
        vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "1"),
            ResponseTemplate::new(200).set_body_json(json!({"id": "42"})),
        ],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert_eq!(hits(&scim, "/Users/42").await.len(), 2);
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After: 1 was not waited for"
    );
}

#[tokio::test]
async fn a_server_that_stays_rate_limited_gives_an_error_naming_429() {
    let (out, scim, _) = rate_limited_run(
        vec![ResponseTemplate::new(429).insert_header("Retry-After", "0")],
        "max_retries = 2\n",
    )
    .await;
    let all = shown(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert_eq!(
        hits(&scim, "/Users/42").await.len(),
        3,
        "the first try and 2 retries"
    );
    assert!(
        all.contains("429 Too Many Requests after 2 retries"),
        "{all}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_not_waited_for() {
    let (out, scim, elapsed) = rate_limited_run(
        vec![ResponseTemplate::new(429).insert_header("Retry-After", "3600")],
        "max_retry_wait = 30\n",
    )
    .await;
    let all = shown(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains("asking to wait 3600 s"), "{all}");
    assert_eq!(hits(&scim, "/Users/42").await.len(), 1);
    assert!(elapsed < Duration::from_secs(30));
}

// --- TLS and proxy ----------------------------------------------------------------

const GET_CASE: &str = r#"- id: tls-get
  title: GET answers 200
  rules: [P-15]
  level: MUST
  api: scim
  steps:
    - request: {method: GET, path: /Users/42}
      expect: {status: 200}
"#;

/// A CA, and a certificate it signed for 127.0.0.1 (PEM) with its key (PKCS#8 DER).
fn test_pki() -> (String, rcgen::Certificate, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "scimcert test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    (ca.pem(), leaf, leaf_key.serialize_der())
}

/// An HTTPS server on 127.0.0.1 answering every request with `200 {"id":"42"}`.
fn tls_server(cert: &rcgen::Certificate, key_der: Vec<u8>) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let body = br#"{"id":"42"}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes());
                let _ = tls.write_all(body);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

#[test]
fn self_signed_tls_needs_its_ca_or_insecure() {
    let (ca_pem, leaf, key) = test_pki();
    let port = tls_server(&leaf, key);
    let dir = workdir(GET_CASE);
    std::fs::write(dir.join("ca.pem"), &ca_pem).expect("ca file");
    let target = format!("https://127.0.0.1:{port}/v2");
    let base = [
        "run",
        "--target",
        &target,
        "--api",
        "scim",
        "--no-discovery",
        "--timeout",
        "5",
    ];

    let refused = scimcert_env(&dir, &base, &[]);
    let all = shown(&refused);
    assert_eq!(refused.status.code(), Some(3), "{all}");
    assert!(
        all.contains("certificate") && all.contains("ca_file"),
        "{all}"
    );

    let mut insecure = base.to_vec();
    insecure.push("--insecure");
    let out = scimcert_env(&dir, &insecure, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARNING") && stderr.contains("NOT verified"),
        "{stderr}"
    );

    // The CA given in the file, relative to the file: verified, and no warning.
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            "base_url = \"{target}\"\napi = \"scim\"\ndiscovery = false\nca_file = \"ca.pem\"\n"
        ),
    )
    .expect("config");
    let elsewhere = std::env::temp_dir();
    let config = dir.join("scimcert.toml");
    let out = scimcert_env(
        &elsewhere,
        &[
            "run",
            "--config",
            config.to_str().expect("utf-8"),
            "--cases",
            dir.join("cases").to_str().expect("utf-8"),
            "--schemas",
            dir.join("schemas").to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("WARNING"));
}

#[test]
fn a_ca_file_without_certificates_is_a_usage_error() {
    let dir = workdir(GET_CASE);
    std::fs::write(dir.join("ca.pem"), "not a certificate\n").expect("file");
    let out = scimcert_env(
        &dir,
        &[
            "run",
            "--target",
            "https://127.0.0.1:9/v2",
            "--api",
            "scim",
            "--ca-file",
            "ca.pem",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert!(
        shown(&out).contains("holds no PEM certificate"),
        "{}",
        shown(&out)
    );
}

#[tokio::test]
async fn the_proxy_from_the_file_carries_every_request() {
    let proxy = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "42"})))
        .mount(&proxy)
        .await;
    let dir = workdir(&patch_case("c1"));
    // The target's host does not resolve: only the proxy can have answered.
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            "base_url = \"http://scim.scimcert-proxy-test.invalid/v2\"\napi = \"scim\"\n\
             discovery = false\nproxy = \"{}\"\n",
            proxy.uri()
        ),
    )
    .expect("config");
    let out = scimcert_env(&dir, &["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let sent = hits(&proxy, "/v2/Users/42").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].url.host_str(),
        Some("scim.scimcert-proxy-test.invalid")
    );
}

// --- fixtures ---------------------------------------------------------------------

const CREATE_CASE: &str = r#"- id: create-and-find
  title: a created user is found by its userName
  rules: [P-15]
  level: MUST
  api: scim
  setup:
    - request:
        method: POST
        path: /Users
        body:
          schemas: [urn:ietf:params:scim:schemas:core:2.0:User]
          userName: "scimcert-{{ run_id }}-{{ uuid }}"
          name: {givenName: Own}
      expect: {status: 201}
      capture:
        user_id: {body: /id}
  steps:
    - request:
        method: GET
        path: /Users
        query: {filter: 'userName eq "scimcert-{{ run_id }}-{{ uuid }}"'}
      expect: {status: 200}
"#;

#[tokio::test]
async fn fixture_settings_shape_the_users_cases_create() {
    let scim = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "7"})))
        .mount(&scim)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Resources": []})))
        .mount(&scim)
        .await;
    let dir = workdir(CREATE_CASE);
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            r#"base_url = "{}/v2"
api = "scim"
discovery = false

[fixtures]
user_name_domain = "example.com"

[fixtures.extra_create_fields]
active = true
name = {{ familyName = "Cert", givenName = "Ignored" }}
"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" = {{ department = "QA" }}
"#,
            scim.uri()
        ),
    )
    .expect("config");
    let out = scimcert_env(&dir, &["run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let created = hits(&scim, "/v2/Users").await;
    let post = created
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("a create");
    let body: Value = serde_json::from_slice(&post.body).expect("json body");
    let user_name = body["userName"].as_str().expect("userName");
    assert!(
        user_name.starts_with("scimcert-") && user_name.ends_with("@example.com"),
        "{user_name}"
    );
    assert_eq!(body["active"], true);
    assert_eq!(
        body["name"],
        json!({"givenName": "Own", "familyName": "Cert"}),
        "the case's own members win"
    );
    assert_eq!(
        body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "QA"
    );
    let get = created
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .expect("a search");
    let filter: String = get
        .url
        .query_pairs()
        .find(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned())
        .expect("filter");
    assert_eq!(filter, format!("userName eq \"{user_name}\""));
}

// --- secrets ----------------------------------------------------------------------

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn a_canary_token_appears_in_no_output() {
    const CANARY: &str = "canary-7d3f9a1c-never-print-me";
    // Another secret, known only through the config file (not a credential variable).
    const CANARY2: &str = "canary-b2e4-from-the-config-file";
    let mock = MockProcess::start(&["scim", "--port", "0", "--token", CANARY]);
    let repo = common::root();
    let dir = common::tempdir("canary");
    // A second canary travels in a header of its own and a case variable, taken from
    // the environment through the file: masked by value, not only by header name.
    std::fs::write(
        dir.join("scimcert.toml"),
        format!(
            r#"base_url = "{}"
api = "scim"
[headers]
X-Canary = {{ env = "CANARY_HEADER" }}
[vars]
tenant = "my-tenant"
readonly_token = {{ env = "CANARY_HEADER" }}
"#,
            mock.base_url
        ),
    )
    .expect("config");
    let out = scimcert_env(
        &dir,
        &[
            "run",
            "--cases",
            repo.join("cases/scim").to_str().expect("utf-8"),
            "--schemas",
            repo.join("schemas").to_str().expect("utf-8"),
            // Another profile's expectations: failures print requests and repros.
            "--profile",
            "rfc7644",
            "--jobs",
            "2",
            "--json",
            "out/report.json",
            "--junit",
            "out/junit.xml",
            "--snapshots",
            "out/snapshots",
            "--report-dir",
            "out/reports",
        ],
        &[("SCIMCERT_TOKEN", CANARY), ("CANARY_HEADER", CANARY2)],
    );
    let all = shown(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{all}");
    assert!(
        !all.contains(CANARY) && !all.contains(CANARY2),
        "a canary leaked to the console"
    );
    assert!(
        all.contains("'X-Canary: ***'") && all.contains("'Authorization: Bearer ***'"),
        "failures should show the masked headers: {all}"
    );
    let mut files = Vec::new();
    files_under(&dir.join("out"), &mut files);
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    for expected in ["report.json", "junit.xml", ".snap", "report.md"] {
        assert!(
            names.iter().any(|n| n.ends_with(expected)),
            "no {expected} written: {names:?}"
        );
    }
    for file in &files {
        let content = String::from_utf8_lossy(&std::fs::read(file).expect("read")).into_owned();
        assert!(
            !content.contains(CANARY) && !content.contains(CANARY2),
            "a canary leaked into {}",
            file.display()
        );
    }
}

#[tokio::test]
async fn the_runner_masks_secrets_in_the_record_of_each_exchange() {
    use scimcert::case::load_path;
    use scimcert::check::SchemaRegistry;
    use scimcert::run::{
        Auth, ClientSettings, HttpClient, RunContext, SnapshotMode, Target, run_all,
    };
    use scimcert::secret::Secrets;

    const SECRET: &str = "echoed-secret-41d9";
    // A server that echoes the secret back in a header and the body.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Echo", SECRET)
                .set_body_json(json!({"id": "42", "nickName": SECRET})),
        )
        .mount(&server)
        .await;
    let dir = workdir(&patch_case("c1").replace(
        "        status: 200\n",
        "        status: 200\n        body: {nickName: Babs}\n        snapshot: true\n",
    ));
    let schemas = SchemaRegistry::load_dir(&dir.join("schemas")).expect("schemas");
    let corpus = load_path(&dir.join("cases"), &schemas.names()).expect("cases");
    let mut settings = ClientSettings::new(Duration::from_secs(5), Duration::from_secs(2));
    settings.secrets = Secrets::new([SECRET.to_string()]);
    let ctx = Arc::new(RunContext {
        client: HttpClient::with_settings(settings).expect("client"),
        schemas: Arc::new(schemas),
        run_id: "mask".into(),
        snapshots: SnapshotMode::Collect,
        keep: false,
        cancel: Default::default(),
    });
    let target = Target {
        api: scimcert::api::Api::Scim,
        profile: scimcert::api::Profile::Vmware,
        base_url: format!("{}/v2", server.uri()),
        auth: Auth::None,
        extra_headers: vec![("X-Api-Secret".into(), SECRET.into())],
        vars: Default::default(),
        builtin: false,
        capabilities: Default::default(),
        fixtures: Default::default(),
    };
    let work = corpus
        .cases
        .into_iter()
        .map(|lc| (Arc::new(lc), target.clone()))
        .collect();
    let reports = run_all(work, ctx, 1).await;
    assert_eq!(reports.len(), 1);
    let step = &reports[0].steps[0];
    // The secret was sent, and the case failed on the echoed value...
    assert_eq!(hits(&server, "/Users/42").await.len(), 1);
    assert_eq!(step.failures.len(), 1, "{:?}", step.failures);
    // ...but the record holds it nowhere: request, response, failure, snapshot.
    let record = format!(
        "{} {:?} {:?} {:?}",
        serde_json::to_string(&reports[0]).expect("serialise"),
        step.response
            .as_ref()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned()),
        step.failures,
        step.snapshot
    );
    assert!(!record.contains(SECRET), "{record}");
    assert!(
        record.contains("X-Api-Secret") && record.contains("***"),
        "{record}"
    );
}
