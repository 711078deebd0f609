//! The floor for `scimcert mock`: a bare hyper HTTP/1.1 server on the same runtime
//! (multi-threaded tokio, as `src/main.rs` builds it) and the same hyper connection
//! builder as `src/sim/standalone.rs`, that reads each request body and answers it with
//! a fixed JSON body of the given size. `bench/p7_mock_floor.sh` puts it under the same
//! wrk load as the mock.
//!
//! `cargo run --release --example bare_hyper -- <body-bytes>`; binds 127.0.0.1 on a free
//! port and prints `serving at http://127.0.0.1:<port>`.

#[path = "fixed_answer.rs"]
mod fixed_answer;

// The allocator scimcert's binary uses (src/main.rs), so that the floor differs from it
// only in what it leaves out.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use hyper::body::Bytes;

fn main() {
    let size: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    if !(2..=1 << 20).contains(&size) {
        eprintln!("usage: bare_hyper <body-bytes, 2..1048576>");
        std::process::exit(2);
    }
    // A JSON string of the right length, so clients that parse it can.
    let body = Bytes::from(format!("\"{}\"", "x".repeat(size - 2)));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bare_hyper: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = runtime.block_on(serve(body)) {
        eprintln!("bare_hyper: {e}");
        std::process::exit(2);
    }
}

async fn serve(body: Bytes) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("serving at http://{}", listener.local_addr()?);
    fixed_answer::accept_loop(listener, body, "W/\"2\"").await;
    Ok(())
}
