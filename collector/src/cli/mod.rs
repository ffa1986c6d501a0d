//! The command-line interface.

pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOGOUT_LENS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

pub(crate) fn main() -> std::process::ExitCode {
    init_logging();
    std::process::ExitCode::SUCCESS
}
