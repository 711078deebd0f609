//! The `scimcert` binary: parse flags, run, exit with the documented code.

use clap::Parser;
use scimcert::cli::{self, Cli, Command};

fn main() {
    restore_default_sigpipe();
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
            Command::Schema => {
                print!("{}", scimcert::case::model::json_schema());
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
/// a closed stdout: Rust ignores SIGPIPE by default, so put the default action back.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
