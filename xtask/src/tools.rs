//! The programs and toolchain parts the build tasks need, and how to get
//! each: a task checks them all before building anything and fails naming
//! every missing one, so a missing tool never yields a different artifact.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// The npm `wasm-opt` in `e2e/` (npm `binaryen`; Debian's binaryen 108
/// produces broken output).
pub(crate) fn wasm_opt_path(root: &Path) -> PathBuf {
    root.join("e2e/node_modules/.bin/wasm-opt")
}

/// The npm `web-ext` in `e2e/`, which builds the Firefox package.
pub(crate) fn web_ext_path(root: &Path) -> PathBuf {
    root.join("e2e/node_modules/.bin/web-ext")
}

/// The active toolchain's sysroot (`rustc --print sysroot`).
fn sysroot() -> Option<PathBuf> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

/// Whether the toolchain has the `rust-src` component, which rebuilding
/// std needs (`rustup component add rust-src`).
pub(crate) fn rust_src_installed() -> bool {
    sysroot().is_some_and(|s| {
        s.join("lib/rustlib/src/rust/library/std/Cargo.toml")
            .exists()
    })
}

/// The targets whose standard library is installed (`rustup target add`).
pub(crate) fn rustup_targets() -> Vec<String> {
    let Some(sysroot) = sysroot() else {
        return Vec::new();
    };
    fs::read_dir(sysroot.join("lib/rustlib"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().join("lib").is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `program` is on `PATH`.
pub(crate) fn on_path(program: &str) -> bool {
    env::var_os("PATH").is_some_and(|p| {
        env::split_paths(&p).any(|d| {
            let f = d.join(program);
            f.is_file() || f.with_extension("exe").is_file()
        })
    })
}

/// One line per missing tool, each saying how to get it; empty when none.
pub(crate) fn report(missing: &[String]) -> String {
    missing
        .iter()
        .map(|m| format!("\n  - {m}"))
        .collect::<String>()
}
