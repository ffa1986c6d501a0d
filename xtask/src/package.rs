//! `cargo xtask package`: everything a user installs, in one folder
//! (`dist/packages/` by default):
//!
//! - `logout-lens-<v>-chromium.zip`: the Chrome Web Store upload, the
//!   Chromium build whose manifest has no `key` (the store refuses one);
//! - `logout-lens-<v>-firefox.xpi`: the Firefox build by `web-ext build`,
//!   unsigned (`web-ext sign` signs it; see the README);
//! - `logout-lens-<v>-collector-<target>.tar.gz|zip`: the collector for a
//!   machine with nothing else installed (static musl Linux, Windows),
//!   with the README's support section and a `SHA256SUMS` of its own;
//! - `SHA256SUMS` of all of the above.
//!
//! Everything it needs is checked first, and every missing piece is named
//! with how to get it; a package is never made without wasm-opt. The
//! extension is the default (stable toolchain) build; `--build-std` opts in
//! to `cargo xtask dist --build-std`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail};
use clap::Args;
use logout_lens_manifest::{ExtensionDescription, Family, is_extension_id};

use crate::archive::{Entry, entries_under, sha256_hex, sums, write_tar_gz, write_zip};
use crate::dist;
use crate::tools::{on_path, report, rustup_targets, web_ext_path};
use crate::{root, target_dir};

#[derive(Debug, Args)]
pub(crate) struct PackageArgs {
    /// The Chrome Web Store listing's extension id, allowed by the
    /// collector beside the dev id [default: none, so only the unpacked dev
    /// build can reach the packaged collector].
    #[arg(long, env = "LOGOUT_LENS_STORE_ID", value_name = "ID")]
    store_id: Option<String>,
    /// Fail instead of warning when no store id is given (release builds).
    #[arg(long)]
    require_store_id: bool,
    /// Collector targets to build (repeat or comma-separate)
    /// [default: x86_64-unknown-linux-musl,x86_64-pc-windows-gnu].
    #[arg(long = "target", value_name = "TRIPLE", value_delimiter = ',')]
    targets: Vec<String>,
    /// The output folder (emptied first) [default: dist/packages].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Build the extension with `cargo xtask dist --build-std` (nightly-only
    /// flags; needs rust-src). Off by default.
    #[arg(long)]
    build_std: bool,
}

/// How the archive of one collector target is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    TarGz,
    Zip,
}

/// A collector target: its triple, the C compiler the bundled SQLite needs
/// (with the apt package that has it), the program's name and the archive.
#[derive(Debug, Clone, Copy)]
struct CollectorTarget {
    triple: &'static str,
    cc: &'static str,
    apt: &'static str,
    exe: &'static str,
    format: Format,
    /// Built for the machine this runs on, so it can be smoke-tested here.
    runs_here: bool,
}

const COLLECTOR_TARGETS: &[CollectorTarget] = &[
    CollectorTarget {
        triple: "x86_64-unknown-linux-musl",
        cc: "musl-gcc",
        apt: "musl-tools",
        exe: "logout-lens",
        format: Format::TarGz,
        runs_here: cfg!(all(target_os = "linux", target_arch = "x86_64")),
    },
    CollectorTarget {
        triple: "x86_64-pc-windows-gnu",
        cc: "x86_64-w64-mingw32-gcc",
        apt: "gcc-mingw-w64-x86-64-win32",
        exe: "logout-lens.exe",
        format: Format::Zip,
        runs_here: false,
    },
];

const SUPPORT_HEADING: &str = "## For support engineers";

pub(crate) fn package(a: &PackageArgs) -> Result<()> {
    let root = root();
    let version = ExtensionDescription::default().version;
    let targets = collector_targets(&a.targets)?;
    let store_id = store_id(a)?;
    let flags = dist::Flags {
        build_std: a.build_std,
        ..dist::Flags::default()
    };
    preflight(&root, &targets, flags)?;
    let support = support_section(&root)?;

    dist::dist(flags)?;

    let out = a.out.clone().unwrap_or_else(|| root.join("dist/packages"));
    if out.exists() {
        fs::remove_dir_all(&out).with_context(|| format!("empty {}", out.display()))?;
    }
    fs::create_dir_all(&out).with_context(|| format!("create {}", out.display()))?;

    let mut made = vec![chromium_zip(&root, &out, &version)?];
    made.push(firefox_xpi(&root, &out, &version)?);
    for t in &targets {
        made.push(collector_archive(
            &root,
            &out,
            &version,
            t,
            store_id.as_deref(),
            &support,
        )?);
    }

    let mut listed = Vec::new();
    for name in &made {
        listed.push((name.as_str(), fs::read(out.join(name))?));
    }
    let text = sums(listed.iter().map(|(n, b)| (*n, b.as_slice())));
    fs::write(out.join("SHA256SUMS"), &text)?;

    println!("\n{}:", out.display());
    for (name, bytes) in &listed {
        println!(
            "  {name:<64} {:>9} B  sha256 {}…",
            bytes.len(),
            &sha256_hex(bytes)[..16]
        );
    }
    println!("  SHA256SUMS");
    match &store_id {
        Some(id) => println!("collector allows the dev id and the store id {id}"),
        None => eprintln!("{}", no_store_id_warning()),
    }
    Ok(())
}

fn no_store_id_warning() -> &'static str {
    "warning: no store id (--store-id or LOGOUT_LENS_STORE_ID): the packaged collector allows \
     only the dev build's id, so the Web Store build of the extension cannot reach it. Pass the \
     listing's id once the store has assigned it (--require-store-id makes this an error)."
}

fn collector_targets(names: &[String]) -> Result<Vec<CollectorTarget>> {
    if names.is_empty() {
        return Ok(COLLECTOR_TARGETS.to_vec());
    }
    names
        .iter()
        .map(|n| {
            COLLECTOR_TARGETS
                .iter()
                .find(|t| t.triple == n)
                .copied()
                .with_context(|| {
                    let known: Vec<_> = COLLECTOR_TARGETS.iter().map(|t| t.triple).collect();
                    format!("unknown collector target {n} (known: {})", known.join(", "))
                })
        })
        .collect()
}

fn store_id(a: &PackageArgs) -> Result<Option<String>> {
    match a
        .store_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) if is_extension_id(id) => Ok(Some(id.to_owned())),
        Some(id) => bail!("store id {id:?} is not a Chromium extension id (32 letters a-p)"),
        None if a.require_store_id => bail!("--require-store-id: {}", no_store_id_warning()),
        None => {
            eprintln!("{}", no_store_id_warning());
            Ok(None)
        }
    }
}

/// Checks everything the package needs before building anything, and names
/// every missing piece with how to get it.
fn preflight(root: &Path, targets: &[CollectorTarget], flags: dist::Flags) -> Result<()> {
    let mut missing = dist::missing_tools(root, flags);
    let installed_targets = rustup_targets();
    for t in targets {
        if !installed_targets.iter().any(|i| i == t.triple) {
            missing.push(format!(
                "the Rust target {0} (rustup target add {0})",
                t.triple
            ));
        }
    }
    if !on_path("node") {
        missing.push("node, which web-ext runs on (apt-get install nodejs npm)".into());
    }
    let web_ext = web_ext_path(root);
    if !web_ext.exists() {
        missing.push(format!(
            "web-ext at {} (npm ci --prefix e2e)",
            web_ext.display()
        ));
    }
    for t in targets {
        if !on_path(t.cc) {
            missing.push(format!(
                "{}, the C compiler the bundled SQLite needs for {} (apt-get install {})",
                t.cc, t.triple, t.apt
            ));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    bail!(
        "cargo xtask package cannot make the packages; missing:{}",
        report(&missing)
    )
}

/// The README's "For support engineers" section, up to the next section.
fn support_section(root: &Path) -> Result<String> {
    let readme = fs::read_to_string(root.join("README.md")).context("read README.md")?;
    let start = readme
        .find(&format!("\n{SUPPORT_HEADING}\n"))
        .with_context(|| format!("README.md has no `{SUPPORT_HEADING}` section"))?
        + 1;
    let rest = &readme[start..];
    let end = rest[SUPPORT_HEADING.len()..]
        .find("\n## ")
        .map_or(rest.len(), |i| i + SUPPORT_HEADING.len() + 1);
    Ok(rest[..end].trim_end().to_owned() + "\n")
}

/// The Chrome Web Store upload: dist/chromium with the store manifest.
fn chromium_zip(root: &Path, out: &Path, version: &str) -> Result<String> {
    let name = format!("logout-lens-{version}-chromium.zip");
    let mut entries = entries_under(&root.join("dist/chromium"))?;
    let manifest = ExtensionDescription::default().store_manifest(Family::Chromium);
    // The unpacked build's manifest pins the dev id with `key`; the store's must not.
    if manifest.get("key").is_some() {
        bail!("the store manifest still has a `key`");
    }
    let text = serde_json::to_string_pretty(&manifest)? + "\n";
    let m = entries
        .iter_mut()
        .find(|e| e.name == "manifest.json")
        .context("dist/chromium has no manifest.json")?;
    m.bytes = text.into_bytes();
    write_zip(&out.join(&name), &entries)?;
    Ok(name)
}

/// `web-ext build` of dist/firefox, unsigned.
fn firefox_xpi(root: &Path, out: &Path, version: &str) -> Result<String> {
    let name = format!("logout-lens-{version}-firefox.xpi");
    let output = Command::new(web_ext_path(root))
        .current_dir(root.join("e2e"))
        .arg("build")
        .arg("--source-dir")
        .arg(root.join("dist/firefox"))
        .arg("--artifacts-dir")
        .arg(out)
        .args(["--filename", &name, "--overwrite-dest", "--no-input"])
        .output()
        .context("running web-ext")?;
    if !output.status.success() || !out.join(&name).is_file() {
        bail!(
            "web-ext build failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(name)
}

/// Builds the collector for `t` and archives it with the support section.
fn collector_archive(
    root: &Path,
    out: &Path,
    version: &str,
    t: &CollectorTarget,
    store_id: Option<&str>,
    support: &str,
) -> Result<String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Its own target folder: other profile settings (strip) and a store id
    // must not evict the everyday release build's artifacts (and
    // `target/package/` is `cargo package`'s).
    let target = target_dir(root).join("xtask-package");
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "logout-lens-collector",
        ])
        .args(["--bin", "logout-lens", "--target", t.triple])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env(format!("CC_{}", t.triple.replace('-', "_")), t.cc);
    match store_id {
        Some(id) => build.env("LOGOUT_LENS_STORE_ID", id),
        None => build.env_remove("LOGOUT_LENS_STORE_ID"),
    };
    println!("collector: building for {}", t.triple);
    let status = build.status().context("running cargo")?;
    if !status.success() {
        bail!("building the collector for {} failed", t.triple);
    }
    let exe = target.join(t.triple).join("release").join(t.exe);
    if t.runs_here {
        let out = Command::new(&exe)
            .arg("--version")
            .env_clear()
            .output()
            .with_context(|| format!("running {}", exe.display()))?;
        let said = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || said.trim() != format!("logout-lens {version}") {
            bail!("{} --version said {said:?}", exe.display());
        }
    }
    let folder = format!("logout-lens-{version}-collector-{}", t.triple);
    let bin = fs::read(&exe).with_context(|| format!("read {}", exe.display()))?;
    let readme = format!(
        "# Logout Lens collector {version} ({})\n\n\
         From the Logout Lens README; `SHA256SUMS` lists this folder's files.\n\n{support}",
        t.triple
    );
    let readme_name = "README.md";
    let inner_sums = sums([(t.exe, bin.as_slice()), (readme_name, readme.as_bytes())]);
    let entries = vec![
        Entry::program(format!("{folder}/{}", t.exe), bin),
        Entry::file(format!("{folder}/{readme_name}"), readme.into_bytes()),
        Entry::file(format!("{folder}/SHA256SUMS"), inner_sums.into_bytes()),
    ];
    let name = match t.format {
        Format::TarGz => format!("{folder}.tar.gz"),
        Format::Zip => format!("{folder}.zip"),
    };
    match t.format {
        Format::TarGz => write_tar_gz(&out.join(&name), &entries)?,
        Format::Zip => write_zip(&out.join(&name), &entries)?,
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_support_section_is_in_the_readme_and_ends_at_the_next_section() {
        let text = support_section(&root()).unwrap();
        assert!(text.starts_with(SUPPORT_HEADING), "{text}");
        assert!(!text[SUPPORT_HEADING.len()..].contains("\n## "), "{text}");
        assert!(text.contains("logout-lens install"), "{text}");
        assert!(text.contains("logout-lens export"), "{text}");
    }

    #[test]
    fn targets_by_name() {
        assert_eq!(collector_targets(&[]).unwrap().len(), 2);
        let one = collector_targets(&["x86_64-pc-windows-gnu".into()]).unwrap();
        assert_eq!(one[0].format, Format::Zip);
        let err = collector_targets(&["aarch64-apple-darwin".into()]).unwrap_err();
        assert!(
            err.to_string().contains("x86_64-unknown-linux-musl"),
            "{err}"
        );
    }

    #[test]
    fn store_ids_are_checked() {
        let args = |id: Option<&str>, require: bool| PackageArgs {
            store_id: id.map(str::to_owned),
            require_store_id: require,
            targets: Vec::new(),
            out: None,
            build_std: false,
        };
        let id = "abcdefghijklmnopabcdefghijklmnop";
        assert_eq!(
            store_id(&args(Some(id), true)).unwrap().as_deref(),
            Some(id)
        );
        assert!(store_id(&args(Some("not-an-id"), false)).is_err());
        assert!(store_id(&args(None, true)).is_err());
        assert_eq!(store_id(&args(Some(" "), false)).unwrap(), None);
    }
}
