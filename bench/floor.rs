//! The floor for `scimcert run`: the same number of HTTP exchanges, over the same client
//! stack (reqwest, built as `src/run/http.rs` builds it, on a multi-threaded tokio
//! runtime) against the same front end the in-process simulations use (hyper HTTP/1.1,
//! one server per profile, each on a thread and current-thread runtime of its own, as
//! `src/sim/mod.rs` starts them), answering a fixed small SCIM user. No case files, no
//! checks, no PATCH engine: what is left is the cost of the HTTP itself, which
//! `bench/p5_floor_ratio.sh` divides scimcert's own time by.
//!
//! `cargo run --release --example floor -- <exchanges> [servers] [jobs] [hyper|wiremock]`;
//! `jobs` defaults to the number of CPUs, as `scimcert run --jobs` does; `wiremock` serves
//! the user through wiremock instead (the front end the simulations used before), to
//! show what that front end costs. Prints one line:
//! `floor: <exchanges> exchanges, <servers> <front> servers, <jobs> jobs, <ms> ms`.

#[path = "fixed_answer.rs"]
mod fixed_answer;

// The allocator scimcert's binary uses (src/main.rs), so that the floor differs from it
// only in what it leaves out.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

/// A small SCIM user, as the simulations answer a PATCH.
const USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2819c223-7f76-453a-919d-413861904646","userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"active":true,"meta":{"resourceType":"User","version":"W/\"3\"","created":"2026-01-01T00:00:00.000Z","lastModified":"2026-01-01T00:00:00.000Z"}}"#;

/// The PATCH each exchange sends.
const PATCH: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"Babs"}]}"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok());
    let exchanges = number(0).unwrap_or(0);
    let servers = number(1).unwrap_or(5).max(1);
    let jobs = number(2)
        .filter(|&j| j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let wiremock = match args.get(3).map(String::as_str) {
        None | Some("hyper") => false,
        Some("wiremock") => true,
        Some(other) => {
            eprintln!("floor: unknown front end {other} (hyper or wiremock)");
            std::process::exit(2);
        }
    };
    if exchanges == 0 {
        eprintln!("usage: floor <exchanges> [servers] [jobs] [hyper|wiremock]");
        std::process::exit(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("floor: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    match runtime.block_on(run(exchanges, servers, jobs, wiremock)) {
        Ok(()) => println!(
            "floor: {exchanges} exchanges, {servers} {} servers, {jobs} jobs, {} ms",
            if wiremock { "wiremock" } else { "hyper" },
            started.elapsed().as_millis()
        ),
        Err(e) => {
            eprintln!("floor: {e}");
            std::process::exit(2);
        }
    }
    runtime.shutdown_timeout(Duration::from_millis(100));
}

/// A server of the front end, kept alive until dropped.
enum Server {
    Hyper(#[allow(dead_code)] tokio::sync::oneshot::Sender<()>),
    Wiremock(#[allow(dead_code)] MockServer),
}

async fn run(exchanges: usize, servers: usize, jobs: usize, wiremock: bool) -> Result<(), String> {
    // The same provider scimcert installs (reqwest is built without one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut urls = Vec::new();
    let mut running = Vec::new();
    for _ in 0..servers {
        let (uri, server) = if wiremock {
            start_wiremock().await
        } else {
            start_hyper().map_err(|e| e.to_string())?
        };
        urls.push(format!(
            "{uri}/usergroup/t/my-tenant/scim/v2/Users/2819c223"
        ));
        running.push(server);
    }
    // As `build_client` in src/run/http.rs: no redirects, timeouts, 64 idle per host.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(64)
        .no_proxy()
        // As a run against the simulations builds it: plain http, no CA store read.
        .tls_certs_only(Vec::new())
        .build()
        .map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicUsize::new(0));
    let urls = Arc::new(urls);
    let mut tasks = Vec::new();
    for _ in 0..jobs {
        let (client, next, urls) = (client.clone(), Arc::clone(&next), Arc::clone(&urls));
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= exchanges {
                    return Ok::<(), String>(());
                }
                let resp = client
                    .patch(&urls[n % urls.len()])
                    .header("Accept", "application/scim+json")
                    .header("Authorization", "Bearer scimcert-sim-token")
                    .header("Content-Type", "application/scim+json")
                    .body(PATCH)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if resp.status() != 200 {
                    return Err(format!("status {}", resp.status()));
                }
                let body = resp.bytes().await.map_err(|e| e.to_string())?;
                if body.len() != USER.len() {
                    return Err(format!("body of {} bytes", body.len()));
                }
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    drop(running);
    Ok(())
}

/// As `Simulation::start_on`: a thread and current-thread runtime per server.
fn start_hyper() -> std::io::Result<(String, Server)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let uri = format!("http://{}", listener.local_addr()?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            tokio::select! {
                () = fixed_answer::accept_loop(listener, Bytes::from_static(USER.as_bytes()), "W/\"3\"") => {}
                _ = stopped => {}
            }
        });
    });
    Ok((uri, Server::Hyper(stop)))
}

/// The wiremock front end as the simulations started it before: recording off.
async fn start_wiremock() -> (String, Server) {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("etag", "W/\"3\"")
                .set_body_raw(USER, "application/scim+json"),
        )
        .mount(&server)
        .await;
    (server.uri(), Server::Wiremock(server))
}
