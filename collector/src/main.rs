//! `logout-lens`: the native-messaging host when a browser starts it, the CLI otherwise.

mod cli;
mod host_main;

use std::process::ExitCode;

use logout_lens_manifest::Caller;

fn main() -> ExitCode {
    // A browser passes the caller as the first argument(s); decide before clap
    // sees arguments it would reject.
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(caller) = Caller::from_args(&args) {
        return host_main::run(&caller);
    }
    cli::main()
}
