//! The `scimcert` binary: parse flags, run, exit with the documented code.

mod cli;

use clap::Parser;

use cli::{Cli, Command};

// Cases and simulations allocate many small JSON values; glibc's malloc spent a
// quarter of the main job's instructions on them (README, "Speed and memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    exit_quietly_on_closed_stdout();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scimcert: cannot start the async runtime: {e}");
            std::process::exit(scimcert::exit::RUNTIME);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Run(args) => cli::run(args).await,
            Command::List(args) => cli::list(args),
            Command::Mock(args) => cli::mock(args).await,
            Command::Coverage(args) => cli::coverage(args),
            Command::Explore(args) => cli::explore(args).await,
            Command::Repro(args) => cli::repro(args).await,
            Command::Record(args) => cli::record(args).await,
            Command::Diff(args) => cli::diff(args).await,
            Command::Cleanup(args) => cli::cleanup(args).await,
            Command::Schema => {
                print!("{}", scimcert::case::json_schema());
                Ok(scimcert::exit::OK)
            }
        }
    });
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", e.message);
            e.code
        }
    };
    // Leave the runtime to finish its own shutdown without blocking on idle servers.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::exit(code);
}

/// `scimcert list | head` must end quietly, like other Unix tools, instead of panicking on
/// a closed stdout. SIGPIPE stays ignored (a peer closing a socket must not kill a run), so
/// the failed write surfaces as std's "failed printing to stdout" panic, answered here by
/// the exit status a SIGPIPE death would have had.
fn exit_quietly_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") {
            std::process::exit(CLOSED_STDOUT);
        }
        default_hook(info);
    }));
}

/// 128 + SIGPIPE, as a shell reports a process that a closed pipe killed.
const CLOSED_STDOUT: i32 = 141;
