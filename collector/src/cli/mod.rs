//! The command-line interface (clap derive). One file per group of commands.

mod data;
mod install;
mod output;
mod receipt;
mod share;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use logout_lens_collector::CollectorError;
use logout_lens_collector::paths::default_db_path;
use logout_lens_collector::store::{Durability, Store};

pub(crate) use output::Out;

/// Logout Lens collector: stores what the extension records and answers
/// "why was I logged out?".
#[derive(Debug, Parser)]
#[command(name = "logout-lens", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// The event database [default: $XDG_DATA_HOME/logout-lens/events.db]
    #[arg(long, global = true, env = "LOGOUT_LENS_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,
    /// Colour: auto (a terminal and NO_COLOR unset), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Copy this binary to the per-user data folder and register it as the
    /// native-messaging host with browsers.
    Install(install::InstallArgs),
    /// Remove everything install wrote (host manifests, registry keys, the copied binary).
    Uninstall(install::UninstallArgs),
    /// Which browsers are installed and registered; the database and the newest event.
    Doctor(install::DoctorArgs),
    /// List stored events.
    List(data::ListArgs),
    /// Show one event.
    Show(data::ShowArgs),
    /// Follow new events as they arrive.
    Tail(data::TailArgs),
    /// Explain a logout: ranked causes with the events they rest on.
    Diagnose(data::DiagnoseArgs),
    /// Write a redacted trace bundle (or HAR 1.2 with --har).
    Export(share::ExportArgs),
    /// Import a trace bundle (kept apart from local events).
    Import(share::ImportArgs),
    /// List imported traces, or remove one (`imports rm ID`).
    Imports(share::ImportsArgs),
    /// Write a self-contained HTML report of a logout.
    Report(share::ReportArgs),
    /// Delete old events or shrink the database.
    Prune(data::PruneArgs),
}

pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOGOUT_LENS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

pub(crate) fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let out = Out::new(cli.json, cli.color);
    match run(cli, &out) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`logout-lens list | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            out.error(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, out: &Out) -> anyhow::Result<ExitCode> {
    let db = cli.db.clone().or_else(default_db_path);
    let db_path = || {
        db.clone()
            .context("no database path: pass --db or set LOGOUT_LENS_DB or HOME")
    };
    let existing = || -> anyhow::Result<PathBuf> {
        let path = db_path()?;
        if !path.exists() {
            anyhow::bail!(
                "no database at {} yet: has the extension sent anything? see `logout-lens doctor`",
                path.display()
            );
        }
        Ok(path)
    };
    // Read commands never write: they work on a read-only file or folder.
    let open = || -> anyhow::Result<Store> { Ok(Store::open_read_only(&existing()?)?) };
    // Changing commands: `import` may start a database, the others need one.
    let create = || -> anyhow::Result<Store> { Ok(Store::open(&db_path()?, Durability::Normal)?) };
    let open_rw =
        || -> anyhow::Result<Store> { Ok(Store::open(&existing()?, Durability::Normal)?) };
    let result = match cli.command {
        Cmd::Install(a) => install::install(&a, out),
        Cmd::Uninstall(a) => install::uninstall(&a, db.as_deref(), out),
        Cmd::Doctor(a) => install::doctor(&a, db.as_deref(), out),
        Cmd::List(a) => open().and_then(|s| data::list(&s, &a, out)),
        Cmd::Show(a) => open().and_then(|s| data::show(&s, &a, out)),
        Cmd::Tail(a) => open().and_then(|s| data::tail(&s, &a, out)),
        Cmd::Diagnose(a) => open().and_then(|s| data::diagnose_cmd(&s, &a, out)),
        Cmd::Export(a) => open().and_then(|mut s| share::export(&mut s, &a, out)),
        Cmd::Import(a) => create().and_then(|mut s| share::import(&mut s, &a, out)),
        Cmd::Imports(a) if a.removes() => {
            open_rw().and_then(|mut s| share::imports(&mut s, &a, out))
        }
        Cmd::Imports(a) => open().and_then(|mut s| share::imports(&mut s, &a, out)),
        Cmd::Report(a) => open().and_then(|mut s| share::report(&mut s, &a, out)),
        Cmd::Prune(a) => open_rw().and_then(|mut s| data::prune(&mut s, &a, out)),
    };
    result.map_err(|e| name_the_database(e, db.as_deref()))
}

/// An SQLite error becomes one line naming the database file and the cause,
/// instead of a chain of contexts repeating SQLite's message.
fn name_the_database(e: anyhow::Error, db: Option<&Path>) -> anyhow::Error {
    let sqlite = e
        .chain()
        .find_map(|c| c.downcast_ref::<CollectorError>())
        .filter(|c| matches!(c, CollectorError::Db(_)));
    match (sqlite, db) {
        (Some(c), Some(path)) => anyhow::anyhow!("{}: {c}", path.display()),
        _ => e,
    }
}
