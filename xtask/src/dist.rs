//! `cargo xtask dist` builds the extension into `dist/chromium/` and
//! `dist/firefox/`:
//!
//! 1. two wasm32 modules (size-tuned release profile): the service worker's
//!    core (feature `worker`) and the popup's and options page's UI
//!    (feature `page`),
//! 2. the JS bindings with `wasm-bindgen-cli-support` (`--target web`, pinned
//!    to the same version as the `wasm-bindgen` macro crate),
//! 3. `wasm-opt -Oz` from the npm `binaryen` package in `e2e/` (Debian's
//!    binaryen is broken); without it the task fails before building,
//!    unless `--no-wasm-opt` skips the step on purpose,
//! 4. each family's `manifest.json` from the manifest crate, plus the glue,
//!    content scripts, pages and icons (the scripts with the core's limits
//!    written in, `limits.rs`).
//!
//! The default build uses the stable toolchain only. `--build-std` (off by
//! default) rebuilds std for size with nightly-only flags on the stable
//! toolchain (`RUSTC_BOOTSTRAP=1`); it needs `rust-src`.

use std::path::Path;
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail};
use logout_lens_manifest::{ExtensionDescription, Family};

use crate::tools::{report, rust_src_installed, rustup_targets, wasm_opt_path};
use crate::{root, target_dir};

const CRATE: &str = "logout-lens-extension";
const STEM: &str = "logout_lens_extension";

/// The two wasm modules: the service worker's core and the pages' UI, one
/// crate built with one feature each (see `extension/Cargo.toml`).
const MODULES: [(&str, &str); 2] = [("worker", STEM), ("page", "logout_lens_extension_ui")];

#[derive(Clone, Copy, Default)]
pub(crate) struct Flags {
    /// Skip wasm-opt on purpose (never for a build that ships).
    pub(crate) no_wasm_opt: bool,
    /// Keep the wasm name section, for size analysis (`twiggy top`); never
    /// for a build that ships.
    pub(crate) names: bool,
    /// Rebuild std for size with `panic=immediate-abort`: nightly-only
    /// flags, off by default (see [`module`]).
    pub(crate) build_std: bool,
}

/// What this build needs and lacks, one line each with how to get it.
pub(crate) fn missing_tools(root: &Path, flags: Flags) -> Vec<String> {
    let mut missing = Vec::new();
    if !rustup_targets()
        .iter()
        .any(|t| t == "wasm32-unknown-unknown")
    {
        missing.push(
            "the Rust target wasm32-unknown-unknown (rustup target add wasm32-unknown-unknown)"
                .to_owned(),
        );
    }
    let wasm_opt = wasm_opt_path(root);
    if !flags.no_wasm_opt && !wasm_opt.exists() {
        missing.push(format!(
            "wasm-opt (npm binaryen) at {}: run `npm ci --prefix e2e` (Debian's binaryen is \
             broken), or pass --no-wasm-opt for a larger build that must not ship",
            wasm_opt.display()
        ));
    }
    if flags.build_std && !rust_src_installed() {
        missing.push(
            "rust-src, which --build-std rebuilds std from (rustup component add rust-src)"
                .to_owned(),
        );
    }
    missing
}

pub(crate) fn dist(flags: Flags) -> Result<()> {
    let root = root();
    let missing = missing_tools(&root, flags);
    if !missing.is_empty() {
        bail!(
            "cargo xtask dist cannot build the extension; missing:{}",
            report(&missing)
        );
    }
    let mut target = target_dir(&root);
    if flags.build_std {
        // Its own directory: other flags, so it must not evict the plain build's artifacts.
        target = target.join("build-std");
        println!("wasm: --build-std: std rebuilt for size (nightly-only flags, RUSTC_BOOTSTRAP=1)");
    } else {
        println!("wasm: stable toolchain, prebuilt std");
    }
    if flags.no_wasm_opt {
        eprintln!(
            "warning: --no-wasm-opt: wasm-opt skipped; this build is larger and must not ship"
        );
    }
    let gen_dir = target.join("xtask-wasm");
    let _ = fs::remove_dir_all(&gen_dir);
    fs::create_dir_all(&gen_dir)?;
    let mut sizes = Vec::new();
    for (feature, out_name) in MODULES {
        let (before, after) = module(&root, &target, &gen_dir, feature, out_name, flags)?;
        sizes.push((out_name, before, after));
    }
    let ext = root.join("extension");
    for (family, name) in [(Family::Chromium, "chromium"), (Family::Firefox, "firefox")] {
        let out = root.join("dist").join(name);
        let _ = fs::remove_dir_all(&out);
        fs::create_dir_all(out.join("wasm"))?;
        copy_tree(&ext.join("js"), &out)?;
        crate::limits::write(&out)?;
        copy_tree(&ext.join("static"), &out)?;
        for (_, out_name) in MODULES {
            for f in [format!("{out_name}.js"), format!("{out_name}_bg.wasm")] {
                fs::copy(gen_dir.join(&f), out.join("wasm").join(&f))?;
            }
        }
        let manifest = ExtensionDescription::default().manifest(family);
        fs::write(
            out.join("manifest.json"),
            serde_json::to_string_pretty(&manifest)? + "\n",
        )?;
        println!("dist/{name}");
    }
    for (out_name, before, after) in sizes {
        println!("{out_name}: {before} bytes after wasm-bindgen, {after} bytes shipped");
    }
    Ok(())
}

/// Builds one wasm module (the crate with `feature` only), runs
/// wasm-bindgen and wasm-opt into `gen_dir`; returns the sizes before and
/// after wasm-opt.
fn module(
    root: &Path,
    target: &Path,
    gen_dir: &Path,
    feature: &str,
    out_name: &str,
    flags: Flags,
) -> Result<(u64, u64)> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(&cargo);
    if flags.build_std {
        // std rebuilt with the size profile, and every panic a plain trap:
        // no panic messages, locations or formatting machinery in the wasm;
        // `Debug` output (only tests print it) and caller locations compiled
        // out. Unstable flags on the stable toolchain, for this build only.
        let rustflags = env::var("RUSTFLAGS").unwrap_or_default();
        build
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
            .env(
                "RUSTFLAGS",
                format!("{rustflags} -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none").trim_start(),
            )
            .env("CARGO_TARGET_DIR", target);
    }
    // Size over speed for the wasm only; the workspace's release profile is untouched.
    let status = build
        .current_dir(root)
        .args([
            "build",
            "-p",
            CRATE,
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--no-default-features",
            "--features",
            feature,
        ])
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
        .env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("building the wasm module ({feature}) failed");
    }
    let wasm = target.join(format!("wasm32-unknown-unknown/release/{STEM}.wasm"));
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name(out_name)
        .web(true)?
        .typescript(false)
        .remove_name_section(!flags.names)
        .remove_producers_section(true)
        .generate(gen_dir)
        .context("wasm-bindgen")?;
    let bg = gen_dir.join(format!("{out_name}_bg.wasm"));
    let before = fs::metadata(&bg)?.len();
    if !flags.no_wasm_opt {
        let status = Command::new(wasm_opt_path(root))
            .arg(&bg)
            .args(flags.names.then_some("-g"))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                "-o",
            ])
            .arg(&bg)
            .status()
            .context("running wasm-opt")?;
        if !status.success() {
            bail!("wasm-opt failed");
        }
    }
    Ok((before, fs::metadata(&bg)?.len()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&dest)?;
            copy_tree(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_wasm_opt_is_named_unless_skipped_on_purpose() {
        let nowhere = Path::new("/nonexistent-logout-lens-root");
        let missing = missing_tools(nowhere, Flags::default());
        assert!(
            missing
                .iter()
                .any(|m| m.contains("wasm-opt") && m.contains("npm ci --prefix e2e")),
            "{missing:?}"
        );
        let skipped = Flags {
            no_wasm_opt: true,
            ..Flags::default()
        };
        assert!(
            !missing_tools(nowhere, skipped)
                .iter()
                .any(|m| m.contains("wasm-opt")),
        );
    }
}
