//! Build tasks.
//!
//! - `cargo xtask dist`: the extension, unpacked, in `dist/chromium/` and
//!   `dist/firefox/` (see [`dist`]).
//! - `cargo xtask package`: everything a user installs, in `dist/packages/`:
//!   the Chrome Web Store zip, the unsigned Firefox xpi, the collector for
//!   Linux (static musl) and Windows, and `SHA256SUMS` (see [`package`]).

mod archive;
mod dist;
mod limits;
mod package;
mod tools;

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Logout Lens build tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Build the extension into dist/chromium and dist/firefox.
    Dist {
        /// Skip wasm-opt on purpose (a larger build that must not ship);
        /// without this flag a missing wasm-opt is an error.
        #[arg(long, alias = "no-opt")]
        no_wasm_opt: bool,
        /// Keep the wasm name section (size analysis only; never ship it).
        #[arg(long)]
        names: bool,
        /// Rebuild std for size with nightly-only flags on the stable
        /// toolchain (RUSTC_BOOTSTRAP=1; needs rust-src). Off by default.
        #[arg(long)]
        build_std: bool,
    },
    /// Build the release packages into dist/packages.
    Package(package::PackageArgs),
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse().task) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<()> {
    match task {
        Task::Dist {
            no_wasm_opt,
            names,
            build_std,
        } => dist::dist(dist::Flags {
            no_wasm_opt,
            names,
            build_std,
        }),
        Task::Package(args) => package::package(&args),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The workspace's target directory (`CARGO_TARGET_DIR` or `target/`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}
