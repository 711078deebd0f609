//! Ctrl-C for commands that run cases: the first asks the run to stop (cases clean up
//! what they created), the second leaves at once with the interrupted exit code. Only
//! the binary's command layer watches signals; the runner just reads the [`Cancel`].

use scimcert::run::Cancel;

/// Watches Ctrl-C for as long as it lives.
pub struct CtrlC(tokio::task::JoinHandle<()>);

impl CtrlC {
    /// Starts watching; the first Ctrl-C cancels `cancel`.
    pub fn watch(cancel: Cancel) -> CtrlC {
        CtrlC(tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                // A progress line may be drawn on stderr: start on a line of its own.
                eprintln!(
                    "{}scimcert: interrupted; cleaning up fixtures (press Ctrl-C again to quit at once)",
                    scimcert::report::line_start()
                );
                cancel.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(scimcert::exit::INTERRUPTED);
                }
            }
        }))
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        self.0.abort();
    }
}
