//! install / uninstall / doctor.
//!
//! `install` first copies the binary to a stable per-user place
//! ([`installed_exe_path`]) unless told which binary to register, so the
//! host keeps working when the download folder is moved or deleted; it
//! records what it wrote (`receipt`), and `uninstall` removes exactly that.
//! `doctor` tells installed browsers from registered ones: a browser that
//! is not installed is never a problem.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use logout_lens_collector::paths::{installed_exe_path, receipt_path};
use logout_lens_collector::store::{Store, is_private};
use logout_lens_collector::units::rfc3339_ms;
use logout_lens_manifest::{
    BaseDirs, Browser, Family, Inspection, Os, Probe, Scope, Target, inspect, target,
};
use serde::Serialize;
use serde_json::json;

use super::Out;
use super::output::safe;
use super::receipt::{Receipt, Written};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BrowserArg {
    Chrome,
    Chromium,
    Edge,
    Brave,
    Firefox,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScopeArg {
    User,
    System,
}

#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Which browser(s); repeat or comma-separate [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    browser: Vec<BrowserArg>,
    /// Per-user or machine-wide.
    #[arg(long, value_enum, default_value_t = ScopeArg::User)]
    scope: ScopeArg,
    /// A Chromium --user-data-dir (headless and test profiles read the host
    /// manifest from DIR/NativeMessagingHosts/).
    #[arg(long, value_name = "DIR")]
    user_data_dir: Option<PathBuf>,
    /// The host binary the manifest points at, as it is (no copy)
    /// [default: a copy of this binary in the per-user data folder].
    #[arg(long, value_name = "PATH")]
    exe: Option<PathBuf>,
    /// Register this binary where it is instead of copying it (a
    /// developer's build, so rebuilding it updates the host).
    #[arg(long, conflicts_with = "exe")]
    in_place: bool,
    /// Prefix for system paths, like a packager's DESTDIR.
    #[arg(long, value_name = "DIR", hide = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct UninstallArgs {
    #[command(flatten)]
    install: InstallArgs,
    /// Also delete the event database (it is kept by default).
    #[arg(long)]
    purge: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    install: InstallArgs,
}

fn browsers(args: &[BrowserArg], user_data_dir: bool) -> Vec<Browser> {
    let mut set = BTreeSet::new();
    let all = [BrowserArg::All];
    for a in if args.is_empty() { &all[..] } else { args } {
        match a {
            BrowserArg::All => {
                // Firefox has no --user-data-dir; "all" means the Chromium family then.
                set.extend(
                    Browser::ALL
                        .iter()
                        .filter(|b| !user_data_dir || b.family() == Family::Chromium),
                );
            }
            BrowserArg::Chrome => drop(set.insert(Browser::Chrome)),
            BrowserArg::Chromium => drop(set.insert(Browser::Chromium)),
            BrowserArg::Edge => drop(set.insert(Browser::Edge)),
            BrowserArg::Brave => drop(set.insert(Browser::Brave)),
            BrowserArg::Firefox => drop(set.insert(Browser::Firefox)),
        }
    }
    set.into_iter().collect()
}

fn os() -> anyhow::Result<Os> {
    Os::current().context("unsupported operating system")
}

fn base_dirs(a: &InstallArgs) -> BaseDirs {
    BaseDirs {
        root: a.root.clone(),
        ..BaseDirs::from_env()
    }
}

fn scope(a: &InstallArgs) -> Scope {
    match a.scope {
        ScopeArg::User => Scope::User,
        ScopeArg::System => Scope::System,
    }
}

fn targets(a: &InstallArgs) -> anyhow::Result<Vec<Target>> {
    let (os, dirs) = (os()?, base_dirs(a));
    let mut out = Vec::new();
    for b in browsers(&a.browser, a.user_data_dir.is_some()) {
        out.push(target(b, os, scope(a), &dirs, a.user_data_dir.as_deref())?);
    }
    if out.is_empty() {
        bail!("no browser selected");
    }
    Ok(out)
}

fn this_exe() -> anyhow::Result<PathBuf> {
    canonical(std::env::current_exe().context("locate this binary")?)
}

/// An absolute path with the links resolved, to write into host manifests.
/// Not on Windows: there canonical paths are `\\?\` paths, which are not
/// what a browser expects to read.
fn canonical(p: PathBuf) -> anyhow::Result<PathBuf> {
    let p = std::path::absolute(p)?;
    Ok(if cfg!(windows) {
        p
    } else {
        p.canonicalize().unwrap_or(p)
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    ma.len() == mb.len() && matches!((fs::read(a), fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

/// Copies `from` to `to` through a temporary file in the same folder, so
/// a browser starting the host never finds half a binary.
fn copy_binary(from: &Path, to: &Path) -> anyhow::Result<()> {
    let dir = to.parent().context("the install path has no folder")?;
    fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!(".logout-lens.{}.tmp", std::process::id()));
    fs::copy(from, &tmp)
        .with_context(|| format!("copy {} to {}", from.display(), tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("chmod {}", tmp.display()))?;
    }
    if let Err(e) = fs::rename(&tmp, to) {
        let _ = fs::remove_file(&tmp);
        // Windows refuses to replace a program that is running.
        return Err(e).with_context(|| {
            format!(
                "replace {} (if a browser is running it, close the browser and retry)",
                to.display()
            )
        });
    }
    Ok(())
}

/// The binary the manifests point at, and the copy made to get it (if any).
fn host_binary(a: &InstallArgs) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    if let Some(p) = &a.exe {
        return Ok((canonical(p.clone())?, None));
    }
    let me = this_exe()?;
    if a.in_place {
        return Ok((me, None));
    }
    if a.scope == ScopeArg::System {
        // A machine-wide registration must not point into one user's folder.
        bail!(
            "--scope system registers the host for every user: name a binary they can all run \
             with --exe PATH (e.g. /usr/local/bin/logout-lens), or --in-place"
        );
    }
    let stable = installed_exe_path().context(
        "no per-user data folder (set HOME, or LOCALAPPDATA on Windows); or use --in-place",
    )?;
    if same_file(&me, &stable) {
        return Ok((stable, None));
    }
    if !same_bytes(&me, &stable) {
        copy_binary(&me, &stable)?;
    }
    Ok((stable.clone(), Some(stable)))
}

fn receipt_file() -> anyhow::Result<PathBuf> {
    receipt_path().context("no per-user data folder (set HOME, or LOCALAPPDATA on Windows)")
}

pub(crate) fn install(a: &InstallArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let targets = targets(a)?;
    let (exe, copied) = host_binary(a)?;
    let receipt_file = receipt_file()?;
    let mut receipt = Receipt::load(&receipt_file)?;
    if copied.is_some() {
        receipt.exe = copied.clone();
    }
    if let Some(c) = &copied
        && !out.json
    {
        out.line(&format!(
            "{} {:<9} {}",
            out.green("copied"),
            "host",
            c.display()
        ))?;
    }
    let mut rows = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for t in &targets {
            // Several browsers may share the file (a --user-data-dir; every
            // Chromium-family browser on Windows): it is written again, the
            // same, and each browser's registry keys are written.
            logout_lens_manifest::install(t, &exe)
                .with_context(|| format!("install for {}", t.browser))?;
            receipt.remember(Written::of(t));
            rows.push(json!({"browser": t.browser, "scope": t.scope, "file": t.file, "registry": t.registry}));
            if !out.json {
                out.line(&format!(
                    "{} {:<9} {}",
                    out.green("installed"),
                    t.browser.as_str(),
                    t.file.display()
                ))?;
            }
        }
        Ok(())
    })();
    // What was written is recorded even when a later browser failed.
    receipt.save(&receipt_file)?;
    result?;
    if out.json {
        out.json(&json!({"exe": exe, "copied": copied.is_some(), "installed": rows}))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn uninstall(
    u: &UninstallArgs,
    db: Option<&Path>,
    out: &Out,
) -> anyhow::Result<ExitCode> {
    let a = &u.install;
    // Without a browser or profile named, everything install ever wrote goes.
    let everything = a.browser.is_empty() && a.user_data_dir.is_none();
    let receipt_file = receipt_file()?;
    let mut receipt = Receipt::load(&receipt_file)?;
    let mut targets = targets(a)?;
    let named = browsers(&a.browser, a.user_data_dir.is_some());
    for w in &receipt.manifests {
        let Some(t) = w.target() else { continue };
        let in_scope = everything
            || (named.contains(&t.browser)
                && a.user_data_dir
                    .as_deref()
                    .is_none_or(|d| t.file.starts_with(d)));
        if in_scope {
            targets.push(t);
        }
    }
    let mut seen = BTreeSet::new();
    targets.retain(|t| seen.insert((t.browser, t.file.clone())));
    // What the registrations left in place still use stays.
    let staying: Vec<Target> = receipt
        .manifests
        .iter()
        .filter_map(Written::target)
        .filter(|k| {
            !targets
                .iter()
                .any(|t| t.browser == k.browser && t.file == k.file)
        })
        .collect();
    let keep_files: Vec<PathBuf> = staying.iter().map(|k| k.file.clone()).collect();
    let keep_keys: Vec<_> = staying.iter().flat_map(|k| k.registry.clone()).collect();
    let recorded: BTreeSet<(String, PathBuf)> = receipt
        .manifests
        .iter()
        .map(|m| (m.browser.clone(), m.file.clone()))
        .collect();
    let mut rows = Vec::new();
    let mut gone = BTreeSet::new();
    for t in &targets {
        let removed = logout_lens_manifest::uninstall_keeping(t, &keep_files, &keep_keys)
            .with_context(|| format!("uninstall for {}", t.browser))?;
        let shared = keep_files.contains(&t.file);
        // A file shared with a browser uninstalled just before is this one's too.
        let already = gone.contains(&t.file)
            && recorded.contains(&(t.browser.as_str().to_owned(), t.file.clone()));
        gone.extend(removed.iter().cloned());
        receipt.forget(t.browser.as_str(), &t.file);
        if !out.json {
            let what = if shared {
                out.dim("kept (another browser's)")
            } else if removed.is_empty() && !already {
                out.dim("not installed")
            } else {
                out.green("removed")
            };
            out.line(&format!(
                "{what} {:<9} {}",
                t.browser.as_str(),
                t.file.display()
            ))?;
        }
        rows.push(
            json!({"browser": t.browser, "file": t.file, "removed": removed, "shared": shared}),
        );
    }
    // The copied binary goes with the last manifest that points at it.
    let mut removed_exe = None;
    if receipt.manifests.is_empty() || everything {
        let copy = receipt
            .exe
            .take()
            .or_else(|| installed_exe_path().filter(|p| everything && p.exists()));
        if let Some(copy) = copy.filter(|p| installed_exe_path().is_some_and(|s| same_file(p, &s)))
        {
            match fs::remove_file(&copy) {
                Ok(()) => removed_exe = Some(copy.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                // Windows: a program cannot delete itself while it runs; a
                // detached shell deletes it once this process has exited.
                Err(_) if cfg!(windows) && same_file(&copy, &this_exe()?) => {
                    delete_after_exit(&copy)?;
                    removed_exe = Some(copy.clone());
                }
                Err(e) => {
                    receipt.exe = Some(copy.clone());
                    receipt.save(&receipt_file)?;
                    return Err(e).with_context(|| {
                        format!(
                            "remove {} (run uninstall from the downloaded binary, or delete it by hand)",
                            copy.display()
                        )
                    });
                }
            }
            if let Some(bin) = copy.parent() {
                // Only if empty: anything else there is not ours.
                let _ = fs::remove_dir(bin);
            }
        }
    }
    receipt.save(&receipt_file)?;
    let purged = if u.purge { purge_db(db)? } else { Vec::new() };
    if out.json {
        out.json(&json!({
            "uninstalled": rows,
            "removed_exe": removed_exe,
            "database": db,
            "purged": purged,
        }))?;
    } else {
        if let Some(p) = &removed_exe {
            out.line(&format!(
                "{} {:<9} {}",
                out.green("removed"),
                "host",
                p.display()
            ))?;
        }
        match db {
            Some(db) if u.purge => out.line(&format!(
                "{} {:<9} {} ({} files)",
                out.green("removed"),
                "database",
                db.display(),
                purged.len()
            ))?,
            Some(db) if db.exists() => out.line(&format!(
                "{} {:<9} {} (uninstall --purge deletes it)",
                out.dim("kept"),
                "database",
                db.display()
            ))?,
            _ => {}
        }
    }
    if let Some(dir) = receipt_file.parent() {
        // The data folder goes too once nothing is left in it.
        let _ = fs::remove_dir(dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes the running program `exe` (and its folder and the data folder,
/// when nothing else is left in them) from a detached `cmd` that waits about
/// two seconds for this process to exit.
#[cfg(windows)]
fn delete_after_exit(exe: &Path) -> anyhow::Result<()> {
    use std::os::windows::process::CommandExt as _;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    let bin = exe.parent().context("the installed copy has no folder")?;
    let data = bin.parent().unwrap_or(bin);
    // `ping -n 3` is the shell's two-second sleep; `rmdir` leaves a folder
    // that is not empty alone.
    let script = format!(
        r#"/D /C "ping -n 3 127.0.0.1 >NUL & del /F /Q "{}" & rmdir "{}" 2>NUL & rmdir "{}" 2>NUL""#,
        exe.display(),
        bin.display(),
        data.display()
    );
    Command::new("cmd")
        .raw_arg(script)
        .creation_flags(CREATE_NO_WINDOW | DETACHED_PROCESS)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("schedule the removal of {}", exe.display()))?;
    Ok(())
}

#[cfg(not(windows))]
fn delete_after_exit(exe: &Path) -> anyhow::Result<()> {
    bail!("{} could not be removed", exe.display())
}

/// Deletes the database with its WAL and shared-memory files.
fn purge_db(db: Option<&Path>) -> anyhow::Result<Vec<PathBuf>> {
    let Some(db) = db else { return Ok(Vec::new()) };
    let mut removed = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        match fs::remove_file(&p) {
            Ok(()) => removed.push(p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("remove {}", p.display())),
        }
    }
    Ok(removed)
}

/// One browser as `doctor` sees it.
#[derive(Debug, Serialize)]
struct Check {
    #[serde(flatten)]
    inspection: Inspection,
    /// The browser's program was found on this machine (always true for a
    /// `--user-data-dir`, which names a profile of a browser in use).
    installed: bool,
    /// Where it was found.
    program: Option<PathBuf>,
    /// `--version` of the registered host when it is not this build.
    host_version: Option<String>,
    /// The registered host is this binary or an identical copy.
    host_is_this_build: bool,
    /// Registered and startable (the browser can reach the collector).
    ok: bool,
    /// Something the user must fix for a browser they have.
    fix_needed: bool,
    /// What is wrong, or worth knowing.
    note: Option<String>,
}

fn check(t: &Target, me: &Path, probe: &Probe, os: Os, user_data_dir: bool) -> Check {
    let inspection = inspect(t, me);
    let program = probe.find(t.browser, os);
    let installed = user_data_dir || program.is_some();
    let host = inspection.path.as_deref().map(Path::new);
    let host_is_this_build = host.is_some_and(|h| same_file(h, me) || same_bytes(h, me));
    let host_version = host
        .filter(|h| !host_is_this_build && h.is_file())
        .and_then(version_of);
    let ours = host_is_this_build
        || host_version
            .as_deref()
            .is_some_and(|v| v.starts_with("logout-lens "));
    let broken = if !inspection.registered {
        Some("host not registered (run `logout-lens install`)".to_owned())
    } else if let Some(p) = &inspection.problem {
        Some(format!("manifest unreadable: {p}"))
    } else if !inspection.name_ok {
        Some("wrong host name in the manifest".to_owned())
    } else if !inspection.host_exists {
        Some(format!(
            "the manifest points at {}, which does not exist (run `logout-lens install`)",
            inspection.path.as_deref().unwrap_or("?")
        ))
    } else if !ours {
        Some(format!(
            "the manifest points at {}, which is not the Logout Lens collector",
            inspection.path.as_deref().unwrap_or("?")
        ))
    } else if !inspection.extension_allowed {
        Some("the Logout Lens extension id is not allowed (run `logout-lens install`)".to_owned())
    } else {
        None
    };
    let ok = broken.is_none();
    let note = match (&broken, installed) {
        (Some(b), true) => Some(b.clone()),
        (None, true) => host_version
            .as_ref()
            .map(|v| format!("registered host is {v}, not this build")),
        (None, false) => Some("registered; the browser was not found on this machine".to_owned()),
        (Some(_), false) if !inspection.registered => None,
        (Some(b), false) => Some(format!("{b}; the browser was not found on this machine")),
    };
    Check {
        inspection,
        installed,
        program,
        host_version,
        host_is_this_build,
        ok,
        fix_needed: installed && !ok,
        note,
    }
}

/// `<host> --version`, if it answers like a program does.
fn version_of(host: &Path) -> Option<String> {
    let out = Command::new(host)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !text.is_empty() && text.len() < 200).then_some(text)
}

pub(crate) fn doctor(a: &DoctorArgs, db: Option<&Path>, out: &Out) -> anyhow::Result<ExitCode> {
    let me = this_exe()?;
    let os = os()?;
    let probe = Probe {
        dirs: base_dirs(&a.install),
        ..Probe::from_env()
    };
    let udd = a.install.user_data_dir.is_some();
    let checks: Vec<Check> = targets(&a.install)?
        .iter()
        .map(|t| check(t, &me, &probe, os, udd))
        .collect();
    let db_info = db.map(|p| {
        // Read-only, like every read command: doctor never creates or changes it.
        let opened = p
            .exists()
            .then(|| Store::open_read_only(p).and_then(|s| s.stats(0)));
        let (stats, error) = match opened {
            Some(Ok(s)) => (Some(s), None),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };
        let private = p.exists().then(|| {
            let folder = p.parent().filter(|d| !d.as_os_str().is_empty());
            is_private(p).unwrap_or(false) && folder.is_none_or(|d| is_private(d).unwrap_or(false))
        });
        (p.to_path_buf(), p.exists(), stats, error, private)
    });
    let installed_copy = installed_exe_path().filter(|p| p.exists());
    let any_ok = checks.iter().any(|c| c.ok);
    let problems = checks.iter().filter(|c| c.fix_needed).count();
    let healthy = any_ok && problems == 0;
    if out.json {
        let database = db_info.as_ref().map(|(p, exists, stats, error, private)| {
            json!({"path": p, "exists": exists, "stats": stats, "error": error, "private": private})
        });
        out.json(&json!({
            "exe": me,
            "version": env!("CARGO_PKG_VERSION"),
            "installed_copy": installed_copy,
            "extension_id": logout_lens_manifest::EXTENSION_ID,
            "store_extension_id": logout_lens_manifest::STORE_EXTENSION_ID,
            "firefox_addon_id": logout_lens_manifest::FIREFOX_ADDON_ID,
            "host_name": logout_lens_manifest::HOST_NAME,
            "browsers": checks,
            "database": database,
            "problems": problems,
            "ok": healthy,
        }))?;
    } else {
        out.line(&format!(
            "host binary   {} (logout-lens {})",
            me.display(),
            env!("CARGO_PKG_VERSION")
        ))?;
        if let Some(c) = installed_copy.as_ref().filter(|c| !same_file(c, &me)) {
            out.line(&format!("installed copy {}", c.display()))?;
        }
        let store = logout_lens_manifest::STORE_EXTENSION_ID
            .map_or_else(String::new, |s| format!(" (store: {s})"));
        out.line(&format!(
            "extension id  {}{store}",
            logout_lens_manifest::EXTENSION_ID
        ))?;
        for c in &checks {
            let installed = if c.installed {
                "installed"
            } else {
                "not installed"
            };
            let verdict = match (c.ok, c.fix_needed, c.inspection.registered) {
                (true, _, _) => out.green("registered"),
                (false, true, _) => out.red("problem"),
                (false, false, false) => out.dim("not registered"),
                (false, false, true) => out.dim("registered (broken)"),
            };
            out.line(&format!(
                "{:<9} {:<13} {verdict} {}",
                c.inspection.browser.as_str(),
                installed,
                safe(&c.inspection.file.display().to_string())
            ))?;
            if let Some(note) = &c.note {
                out.line(&format!("          {}", out.dim(&safe(note))))?;
            }
        }
        if !any_ok {
            out.line(
                &out.red("no browser can reach the collector yet: run `logout-lens install`"),
            )?;
        }
        match &db_info {
            Some((p, true, Some(s), _, private)) => {
                let last = s
                    .last_received_ms
                    .map_or_else(|| "never".to_owned(), rfc3339_ms);
                out.line(&format!(
                    "database      {} ({} events, last received {last})",
                    safe(&p.display().to_string()),
                    s.events
                ))?;
                if *private == Some(false) {
                    out.line(&format!(
                        "              {}",
                        out.dim("readable by other users: chmod 600 the file and 700 its folder")
                    ))?;
                }
            }
            Some((p, true, _, error, _)) => out.line(&format!(
                "database      {} ({})",
                safe(&p.display().to_string()),
                out.red(&format!(
                    "cannot open: {}",
                    safe(error.as_deref().unwrap_or("unknown error"))
                ))
            ))?,
            Some((p, false, ..)) => out.line(&format!(
                "database      {} (not created yet)",
                safe(&p.display().to_string())
            ))?,
            None => out.line("database      no path (set LOGOUT_LENS_DB or HOME)")?,
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
