//! `scimcert run` against hostile targets: raw TCP servers that refuse, reset, stall,
//! flood, trickle, lie about their framing, speak plain text to TLS, or answer every
//! request with an error. Each run must end with an `error` or `fail` verdict that names
//! the cause, within the configured timeout, with the documented exit code and no panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One PATCH that a well-behaved server answers with 200 and the user.
const CASE: &str = r##"# yaml-language-server: $schema=../schemas/case.schema.json
- id: hostile-patch
  title: PATCH answers 200 with the changed user
  rules: [P-15]
  level: MUST
  api: scim
  steps:
    - name: patch
      request:
        method: PATCH
        path: /Users/42
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect:
        status: 200
        headers: {Content-Type: {matches: "json"}}
        body: {id: "42"}
"##;

/// The `--timeout` every run uses, in seconds.
const TIMEOUT_SECS: &str = "1";
/// Upper bound on a whole run (process start included) with a 1 s timeout; generous so
/// that a loaded 2-core machine does not flake.
const RUN_BOUND: Duration = Duration::from_secs(8);
/// Upper bound on the case itself, as the JSON report measures it.
const CASE_BOUND_MS: u64 = 5_000;

const EXIT_FAILURES: i32 = 1;
const EXIT_RUNTIME: i32 = 3;

/// Runs that move many megabytes take turns, so that a busy machine does not push them
/// past the 1 s timeout and turn "larger than" into "timed out".
static HEAVY: Mutex<()> = Mutex::new(());

/// What a hostile server does with each connection.
#[derive(Clone)]
enum Misbehaviour {
    /// Reads the request, then writes these bytes and closes.
    Canned(Vec<u8>),
    /// Reads the request, promises a long body, sends part of it, then resets (RST).
    ResetMidBody,
    /// Reads the request and never answers (the connection stays open).
    NeverAnswers,
    /// Sends a head, then the body one byte every 100 ms.
    Trickle,
    /// Writes garbage as soon as the connection opens, without reading anything.
    GarbageFirst,
}

/// Starts a hostile server on a free loopback port, on its own thread and runtime so that
/// the test thread may block on the child process; returns the port.
fn hostile(behaviour: Misbehaviour) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let behaviour = behaviour.clone();
                tokio::spawn(async move {
                    // The client going away mid-answer is expected; nothing to report.
                    let _ = serve(stream, behaviour).await;
                });
            }
        });
    });
    port
}

async fn serve(mut stream: TcpStream, behaviour: Misbehaviour) -> std::io::Result<()> {
    if let Misbehaviour::GarbageFirst = behaviour {
        for _ in 0..64 {
            stream
                .write_all(b"this is not TLS, this is not even HTTP\r\n")
                .await?;
        }
        return stream.shutdown().await;
    }
    read_request(&mut stream).await?;
    match behaviour {
        Misbehaviour::Canned(bytes) => {
            stream.write_all(&bytes).await?;
            stream.shutdown().await
        }
        Misbehaviour::ResetMidBody => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n\
                      Content-Length: 100000\r\n\r\n{\"id\": \"42\", \"pad\": \"",
                )
                .await?;
            stream.write_all(&[b'x'; 1000]).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // SO_LINGER 0: closing sends RST instead of FIN.
            stream.set_zero_linger()?;
            drop(stream);
            Ok(())
        }
        Misbehaviour::NeverAnswers => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            Ok(())
        }
        Misbehaviour::Trickle => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n\
                      Content-Length: 1000\r\n\r\n",
                )
                .await?;
            for _ in 0..1000 {
                stream.write_all(b" ").await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(())
        }
        Misbehaviour::GarbageFirst => Ok(()),
    }
}

/// Reads a request head and its `Content-Length` body, so that closing the socket later
/// does not reset it by accident (unread data makes the kernel send RST).
async fn read_request(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A complete HTTP/1.1 response with `Content-Length` and `Connection: close`.
fn response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A 200 whose JSON body is padded to about `size` bytes.
fn padded_user(size: usize) -> Vec<u8> {
    let mut body = br#"{"id": "42", "pad": ""#.to_vec();
    body.resize(size, b'x');
    body.extend_from_slice(br#""}"#);
    response(
        "200 OK",
        &[("Content-Type", "application/scim+json")],
        &body,
    )
}

/// A fresh folder with `cases` as its only case file and a copy of the schemas.
fn workdir(cases: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimcert-hostile-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("cases")).expect("case dir");
    std::fs::write(dir.join("cases/hostile.yaml"), cases).expect("case file");
    let schemas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    std::fs::create_dir_all(dir.join("schemas")).expect("schema dir");
    for entry in std::fs::read_dir(schemas).expect("schemas") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            dir.join("schemas").join(path.file_name().expect("name")),
        )
        .expect("copy schema");
    }
    dir
}

/// What one run produced.
struct Run {
    output: Output,
    elapsed: Duration,
    stdout: String,
    /// The only case of the JSON report.
    case: Value,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.output.status.code(),
            self.elapsed,
            self.stdout,
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
}

fn run_against(target: &str) -> Run {
    let dir = workdir(CASE);
    let started = Instant::now();
    let output = scimcert(&dir, target);
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report: Value = std::fs::read_to_string(dir.join("out/report.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        case: report["cases"][0].clone(),
        output,
        elapsed,
        stdout,
    }
}

fn scimcert(dir: &Path, target: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimcert"))
        .current_dir(dir)
        .args([
            "run",
            "--target",
            target,
            "--api",
            "scim",
            "--timeout",
            TIMEOUT_SECS,
            "--no-discovery",
            "--json",
            "out/report.json",
        ])
        .env("NO_COLOR", "1")
        .env("SCIMCERT_TOKEN", "hostile-test-token")
        .env_remove("SCIMCERT_BASIC")
        .output()
        .expect("run scimcert")
}

/// Asserts the verdict, exit code, time bounds and that stdout and the report's reason
/// name the cause (every `causes` fragment, case-insensitively).
fn assert_verdict(run: &Run, verdict: &str, causes: &[&str]) {
    let text = run.describe();
    let code = match verdict {
        "error" => EXIT_RUNTIME,
        _ => EXIT_FAILURES,
    };
    assert_eq!(run.output.status.code(), Some(code), "{text}");
    assert_eq!(run.case["verdict"], verdict, "{text}");
    assert!(run.elapsed < RUN_BOUND, "{text}");
    let duration = run.case["duration_ms"].as_u64().unwrap_or(u64::MAX);
    assert!(duration < CASE_BOUND_MS, "case took {duration} ms\n{text}");
    let stdout = run.stdout.to_lowercase();
    let reason = run.case["reason"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    for cause in causes {
        let cause = cause.to_lowercase();
        assert!(stdout.contains(&cause), "stdout lacks `{cause}`\n{text}");
        assert!(reason.contains(&cause), "reason lacks `{cause}`\n{text}");
    }
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(!stderr.contains("panicked"), "{text}");
    assert!(
        run.stdout.contains("summary:"),
        "the run did not complete\n{text}"
    );
}

/// How many times a case's requests were sent again on a new connection (as its report
/// notes).
fn resends(case: &Value) -> usize {
    case["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["notes"].as_array().cloned().unwrap_or_default())
        .filter(|n| {
            n.as_str()
                .is_some_and(|n| n.starts_with("sent again on a new connection"))
        })
        .count()
}

fn http(port: u16) -> String {
    format!("http://127.0.0.1:{port}/v2")
}

#[test]
fn connection_refused_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["connection failed"]);
}

#[test]
fn reset_mid_body_is_an_error() {
    let port = hostile(Misbehaviour::ResetMidBody);
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["reset"]);
    // The head had come: a reset in the body is never sent again.
    assert_eq!(resends(&run.case), 0, "{}", run.describe());
}

#[test]
fn server_that_never_answers_times_out() {
    let port = hostile(Misbehaviour::NeverAnswers);
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["timed out"]);
    assert_eq!(resends(&run.case), 0, "{}", run.describe());
    // It did wait for the timeout rather than giving up at once.
    assert!(
        run.elapsed >= Duration::from_millis(900),
        "{}",
        run.describe()
    );
}

#[test]
fn body_that_trickles_times_out() {
    let port = hostile(Misbehaviour::Trickle);
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["timed out"]);
    assert_eq!(resends(&run.case), 0, "{}", run.describe());
}

#[test]
fn large_body_that_is_not_json_fails() {
    // Just under the runner's limit, so it is read in full and judged.
    let mut body = vec![b'<'; scimcert::run::MAX_RESPONSE_BYTES - 64 * 1024];
    body[1] = b'x';
    let port = hostile(Misbehaviour::Canned(response(
        "200 OK",
        &[("Content-Type", "application/scim+json")],
        &body,
    )));
    let _turn = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let run = run_against(&http(port));
    assert_verdict(&run, "fail", &["not JSON"]);
    // The console shows a truncated body, not ten megabytes.
    assert!(run.stdout.len() < 64 * 1024, "{} bytes", run.stdout.len());
}

#[test]
fn body_over_the_runner_limit_is_an_error() {
    let port = hostile(Misbehaviour::Canned(padded_user(
        scimcert::run::MAX_RESPONSE_BYTES + 1024 * 1024,
    )));
    let _turn = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["larger than"]);
}

#[test]
fn ten_megabyte_json_body_is_an_error() {
    let port = hostile(Misbehaviour::Canned(padded_user(10 * 1024 * 1024)));
    let _turn = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["response body larger than"]);
}

#[test]
fn ten_megabyte_body_without_a_length_is_an_error() {
    // No Content-Length: the body ends when the connection closes, so the limit can only
    // be enforced while reading.
    let mut bytes =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nConnection: close\r\n\r\n"
            .to_vec();
    bytes.extend_from_slice(br#"{"id": "42", "pad": ""#);
    bytes.resize(bytes.len() + 10 * 1024 * 1024, b'x');
    bytes.extend_from_slice(br#""}"#);
    let port = hostile(Misbehaviour::Canned(bytes));
    let _turn = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["response body larger than"]);
}

#[test]
fn non_json_body_fails() {
    let port = hostile(Misbehaviour::Canned(response(
        "200 OK",
        &[("Content-Type", "application/scim+json")],
        b"id=42&nickName=Babs",
    )));
    let run = run_against(&http(port));
    assert_verdict(&run, "fail", &["not JSON"]);
}

#[test]
fn wrong_content_type_fails() {
    let port = hostile(Misbehaviour::Canned(response(
        "200 OK",
        &[("Content-Type", "text/plain")],
        br#"{"id": "42"}"#,
    )));
    let run = run_against(&http(port));
    assert_verdict(&run, "fail", &["Content-Type", "text/plain"]);
}

#[test]
fn html_500_fails() {
    let port = hostile(Misbehaviour::Canned(response(
        "500 Internal Server Error",
        &[("Content-Type", "text/html")],
        b"<html><body><h1>500 Internal Server Error</h1></body></html>",
    )));
    let run = run_against(&http(port));
    assert_verdict(&run, "fail", &["expected status 200, got 500"]);
}

#[test]
fn redirect_loop_is_not_followed_and_fails() {
    let port = hostile(Misbehaviour::Canned(response(
        "302 Found",
        &[("Location", "/v2/Users/42")],
        b"",
    )));
    let run = run_against(&http(port));
    assert_verdict(&run, "fail", &["expected status 200, got 302"]);
}

#[test]
fn invalid_chunked_encoding_is_an_error() {
    let port = hostile(Misbehaviour::Canned(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n\
          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          5\r\n{\"id\"\r\nzz-not-a-size\r\n: \"42\"}\r\n0\r\n\r\n"
            .to_vec(),
    ));
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["chunk"]);
}

#[test]
fn tls_handshake_failure_is_an_error() {
    let port = hostile(Misbehaviour::GarbageFirst);
    let run = run_against(&format!("https://127.0.0.1:{port}/v2"));
    assert_verdict(&run, "error", &["connection failed"]);
    let reason = run.case["reason"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        ["tls", "corrupt", "handshake", "certificate"]
            .iter()
            .any(|word| reason.contains(word)),
        "the reason does not name TLS\n{}",
        run.describe()
    );
}

#[test]
fn unauthorized_on_every_request_fails() {
    let port = hostile(Misbehaviour::Canned(response(
        "401 Unauthorized",
        &[
            ("Content-Type", "application/scim+json"),
            ("WWW-Authenticate", "Bearer realm=\"hostile\""),
        ],
        br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401", "detail": "no"}"#,
    )));
    let run = run_against(&http(port));
    assert_verdict(&run, "fail", &["expected status 200, got 401"]);
    assert!(
        !run.stdout.contains("hostile-test-token"),
        "{}",
        run.describe()
    );
}

#[test]
fn connection_closed_without_an_answer_is_an_error() {
    let port = hostile(Misbehaviour::Canned(Vec::new()));
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["closed"]);
    // Nothing came, so it was sent again on a new connection, once; the second close stands.
    assert_eq!(resends(&run.case), 1, "{}", run.describe());
}

#[test]
fn answer_that_is_not_http_is_an_error() {
    let port = hostile(Misbehaviour::Canned(
        b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n".to_vec(),
    ));
    let run = run_against(&http(port));
    assert_verdict(&run, "error", &["protocol error"]);
}

// ---------------------------------------------------------------------------------------
// Servers that close keep-alive connections: the connection must never decide a verdict.

/// Four cases that each create a user, change it with PATCH, read it back and delete it
/// in cleanup. The server answers a PATCH to nickName `Boom` with 500, so `conn-500`
/// fails: a verdict on the server, which must not spill over onto the next request.
const CONN_CASES: &str = r##"# yaml-language-server: $schema=../schemas/case.schema.json
- id: conn-a
  title: PATCH replaces nickName (a)
  rules: [P-15]
  level: MUST
  api: scim
  setup: &create
    - name: create user
      request:
        method: POST
        path: /Users
        body:
          schemas: [urn:ietf:params:scim:schemas:core:2.0:User]
          userName: "scimcert-{{ run_id }}-{{ uuid }}"
      expect: {status: 201}
      capture:
        user_id: {body: /id}
  steps:
    - name: patch
      request:
        method: PATCH
        path: "/Users/{{ user_id }}"
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect: {status: 200, body: {nickName: Babs}}
    - &read-back
      name: read back
      request: {method: GET, path: "/Users/{{ user_id }}"}
      expect: {status: 200, body: {id: "{{ user_id }}", nickName: Babs}}
  cleanup: &delete
    - request: {method: DELETE, path: "/Users/{{ user_id }}"}

- id: conn-500
  title: PATCH that the server answers with 500
  rules: [P-15]
  level: MUST
  api: scim
  setup: *create
  steps:
    - name: patch
      request:
        method: PATCH
        path: "/Users/{{ user_id }}"
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Boom}]
      expect: {status: 200}
  cleanup: *delete

- id: conn-b
  title: PATCH replaces nickName (b)
  rules: [P-15]
  level: MUST
  api: scim
  setup: *create
  steps:
    - name: patch
      request:
        method: PATCH
        path: "/Users/{{ user_id }}"
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect: {status: 200, body: {nickName: Babs}}
    - *read-back
  cleanup: *delete

- id: conn-c
  title: PATCH replaces nickName (c)
  rules: [P-15]
  level: MUST
  api: scim
  setup: *create
  steps:
    - name: patch
      request:
        method: PATCH
        path: "/Users/{{ user_id }}"
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect: {status: 200, body: {nickName: Babs}}
    - *read-back
  cleanup: *delete
"##;

/// Upper bound on a run against a connection-closing server (four cases, one 1 s pause).
const CONN_RUN_BOUND: Duration = Duration::from_secs(15);

/// When a connection-closing server ends a keep-alive connection. Each close is timed to
/// cross the client's next request on that connection: that is the race a keep-alive
/// client loses in practice, and a close that arrives earlier is seen by the client, which
/// then simply does not reuse the connection, so the race could not be set up reliably.
#[derive(Clone, Copy, PartialEq)]
enum Closing {
    /// After answering with a 5xx, as Express did after a 500: a reset.
    After5xx,
    /// Once a connection has been idle for 1 s (Node's keep-alive timeout, 5 s there):
    /// the next request is read and the connection closed (FIN) unanswered. The first GET
    /// is answered with `429 Retry-After: 1`, so that the client pauses and every
    /// connection it holds goes idle for that long.
    IdleAfter1s,
    /// After every response, without `Connection: close`: a reset.
    AfterEvery,
}

/// Idle time after which [`Closing::IdleAfter1s`] closes a connection.
const IDLE_CLOSE: Duration = Duration::from_secs(1);

/// What a connection-closing server holds and saw.
#[derive(Default)]
struct Store {
    users: std::collections::BTreeMap<String, Value>,
    created: usize,
    deleted: usize,
    /// Connections closed under a request, which was left unanswered.
    closed_under_request: usize,
    /// Whether the one 429 of [`Closing::IdleAfter1s`] was sent.
    paused: bool,
}

/// A request as the connection-closing servers read it.
struct Request {
    method: String,
    path: String,
    body: Value,
}

/// Starts a small keep-alive SCIM server that closes connections as `closing` says, on
/// its own thread and runtime; returns its port and what it holds.
fn closing_server(closing: Closing) -> (u16, std::sync::Arc<Mutex<Store>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let store = std::sync::Arc::new(Mutex::new(Store::default()));
    let shared = store.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let store = shared.clone();
                tokio::spawn(async move {
                    // The client closing its side is the normal end of a connection.
                    let _ = serve_keep_alive(stream, closing, store).await;
                });
            }
        });
    });
    (port, store)
}

async fn serve_keep_alive(
    mut stream: TcpStream,
    closing: Closing,
    store: std::sync::Arc<Mutex<Store>>,
) -> std::io::Result<()> {
    let lock = || store.lock().unwrap_or_else(|e| e.into_inner());
    let mut doomed = false;
    let mut last = Instant::now();
    loop {
        if doomed {
            // Wait for the next request, then reset the connection under it.
            if stream.peek(&mut [0u8; 1]).await? == 0 {
                return Ok(());
            }
            lock().closed_under_request += 1;
            stream.set_zero_linger()?;
            return Ok(());
        }
        let Some(request) = read_scim_request(&mut stream).await? else {
            return Ok(());
        };
        if closing == Closing::IdleAfter1s && last.elapsed() >= IDLE_CLOSE {
            lock().closed_under_request += 1;
            return stream.shutdown().await;
        }
        let (status, headers, body) = answer(&mut lock(), closing, &request);
        stream
            .write_all(&keep_alive_response(status, &headers, &body))
            .await?;
        stream.flush().await?;
        last = Instant::now();
        doomed = match closing {
            Closing::After5xx => status >= 500,
            Closing::AfterEvery => true,
            Closing::IdleAfter1s => false,
        };
    }
}

/// Reads one request (head and `Content-Length` body); `None` when the client closed.
async fn read_scim_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    let length: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buffer[head_end..head_end + length]).unwrap_or(Value::Null);
    Ok(Some(Request { method, path, body }))
}

/// Status, extra headers and body for `request`.
fn answer(
    store: &mut Store,
    closing: Closing,
    request: &Request,
) -> (u16, Vec<(&'static str, String)>, Vec<u8>) {
    let error = |status: u16, detail: &str| {
        serde_json::to_vec(&serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.to_string(),
            "detail": detail,
        }))
        .unwrap_or_default()
    };
    let json = |value: &Value| serde_json::to_vec(value).unwrap_or_default();
    let id = request.path.strip_prefix("/v2/Users/").map(str::to_string);
    match (request.method.as_str(), id) {
        ("POST", None) if request.path == "/v2/Users" => {
            store.created += 1;
            let id = format!("u{}", store.created);
            let user = serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": id,
                "userName": request.body["userName"],
                "meta": {"resourceType": "User", "location": format!("/v2/Users/{id}")},
            });
            store.users.insert(id, user.clone());
            (201, Vec::new(), json(&user))
        }
        ("GET", Some(_)) if closing == Closing::IdleAfter1s && !store.paused => {
            store.paused = true;
            (
                429,
                vec![("Retry-After", "1".to_string())],
                error(429, "slow down"),
            )
        }
        ("GET", Some(id)) => match store.users.get(&id) {
            Some(user) => (200, Vec::new(), json(user)),
            None => (404, Vec::new(), error(404, "no such user")),
        },
        ("PATCH", Some(id)) => {
            let nick = request.body["Operations"][0]["value"].clone();
            if nick == "Boom" {
                return (500, Vec::new(), error(500, "boom"));
            }
            match store.users.get_mut(&id) {
                Some(user) => {
                    user["nickName"] = nick;
                    (200, Vec::new(), json(user))
                }
                None => (404, Vec::new(), error(404, "no such user")),
            }
        }
        ("DELETE", Some(id)) => match store.users.remove(&id) {
            Some(_) => {
                store.deleted += 1;
                (204, Vec::new(), Vec::new())
            }
            None => (404, Vec::new(), error(404, "no such user")),
        },
        _ => (404, Vec::new(), error(404, "no such endpoint")),
    }
}

/// A keep-alive HTTP/1.1 response: no `Connection: close`, whatever the server does next.
fn keep_alive_response(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if status != 204 {
        out.push_str(&format!(
            "Content-Type: application/scim+json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Runs [`CONN_CASES`] against a connection-closing server with `jobs` cases at once and
/// checks that the connection decided nothing: the verdicts are the server's (one fail
/// for its 500), every user was deleted, and the resends are on record. Returns the run
/// and its `report.md`.
fn assert_connection_decides_nothing(closing: Closing, jobs: &str) -> (Run, String) {
    let (port, store) = closing_server(closing);
    let dir = workdir(CONN_CASES);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_scimcert"))
        .current_dir(&dir)
        .args([
            "run",
            "--target",
            &http(port),
            "--api",
            "scim",
            "--timeout",
            "5",
            "--no-discovery",
            "--jobs",
            jobs,
            "--report-dir",
            "out",
        ])
        .env("NO_COLOR", "1")
        .env("SCIMCERT_TOKEN", "hostile-test-token")
        .env_remove("SCIMCERT_BASIC")
        .output()
        .expect("run scimcert");
    let elapsed = started.elapsed();
    let report: Value = std::fs::read_to_string(dir.join("out/report.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let markdown = std::fs::read_to_string(dir.join("out/report.md")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let run = Run {
        case: Value::Null,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        output,
        elapsed,
    };
    let text = format!(
        "{}\n--- report.json\n{}",
        run.describe(),
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    let verdicts: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default(),
                c["verdict"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("conn-a", "pass"),
            ("conn-500", "fail"),
            ("conn-b", "pass"),
            ("conn-c", "pass")
        ],
        "{text}"
    );
    assert_eq!(run.output.status.code(), Some(EXIT_FAILURES), "{text}");
    assert!(run.elapsed < CONN_RUN_BOUND, "{text}");
    assert!(
        !String::from_utf8_lossy(&run.output.stderr).contains("panicked"),
        "{text}"
    );
    let steps = || {
        cases
            .iter()
            .flat_map(|c| c["steps"].as_array().cloned().unwrap_or_default())
    };
    let cleanups: Vec<Value> = steps().filter(|s| s["phase"] == "cleanup").collect();
    assert_eq!(cleanups.len(), 4, "{text}");
    assert!(cleanups.iter().all(|s| s["status"] == 204), "{text}");
    let store = store.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(store.created, 4, "{text}");
    assert_eq!(
        store.deleted, 4,
        "users left behind: {:?}\n{text}",
        store.users
    );
    assert!(store.users.is_empty(), "{text}");
    // The race did happen, and the record says how it was got over.
    assert!(store.closed_under_request >= 1, "{text}");
    let resent: usize = cases.iter().map(resends).sum();
    assert_eq!(resent, store.closed_under_request, "{text}");
    (run, markdown)
}

#[test]
fn connection_closed_after_a_5xx_decides_nothing() {
    // One case at a time: the cleanup DELETE after the 500 is sure to reuse the
    // connection the server closes.
    let (run, markdown) = assert_connection_decides_nothing(Closing::After5xx, "1");
    // The failing case's evidence shows the resend of its cleanup.
    let note = "note: sent again on a new connection after: ";
    assert!(run.stdout.contains(note), "{}", run.describe());
    assert!(markdown.contains(note), "{markdown}");
}

#[test]
fn connection_closed_when_idle_decides_nothing() {
    let (run, _) = assert_connection_decides_nothing(Closing::IdleAfter1s, "1");
    // It did pause for the 429, so connections were idle past the server's limit.
    assert!(run.elapsed >= IDLE_CLOSE, "{}", run.describe());
}

#[test]
fn connection_closed_after_every_response_decides_nothing() {
    assert_connection_decides_nothing(Closing::AfterEvery, "2");
}
