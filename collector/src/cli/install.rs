//! install / uninstall / doctor.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use logout_lens_collector::store::{Store, is_private};
use logout_lens_collector::units::rfc3339_ms;
use logout_lens_manifest::{
    BaseDirs, Browser, Family, Inspection, Os, Scope, Target, inspect, target,
};
use serde_json::json;

use super::Out;
use super::output::safe;

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
    /// Which browser(s); repeat or comma-separate.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    browser: Vec<BrowserArg>,
    /// Per-user or machine-wide.
    #[arg(long, value_enum, default_value_t = ScopeArg::User)]
    scope: ScopeArg,
    /// A Chromium --user-data-dir (headless and test profiles read the host
    /// manifest from <DIR>/NativeMessagingHosts/).
    #[arg(long, value_name = "DIR")]
    user_data_dir: Option<PathBuf>,
    /// The host binary the manifest points at [default: this binary].
    #[arg(long, value_name = "PATH")]
    exe: Option<PathBuf>,
    /// Prefix for system paths, like a packager's DESTDIR.
    #[arg(long, value_name = "DIR", hide = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    install: InstallArgs,
}

fn browsers(args: &[BrowserArg], user_data_dir: bool) -> anyhow::Result<Vec<Browser>> {
    let mut set = BTreeSet::new();
    for a in args {
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
    Ok(set.into_iter().collect())
}

fn targets(a: &InstallArgs) -> anyhow::Result<Vec<Target>> {
    let os = Os::current().context("unsupported operating system")?;
    let scope = match a.scope {
        ScopeArg::User => Scope::User,
        ScopeArg::System => Scope::System,
    };
    let dirs = BaseDirs {
        root: a.root.clone(),
        ..BaseDirs::from_env()
    };
    let mut out = Vec::new();
    for b in browsers(&a.browser, a.user_data_dir.is_some())? {
        out.push(target(b, os, scope, &dirs, a.user_data_dir.as_deref())?);
    }
    if out.is_empty() {
        bail!("no browser selected");
    }
    Ok(out)
}

fn exe(a: &InstallArgs) -> anyhow::Result<PathBuf> {
    let exe = match &a.exe {
        Some(p) => std::path::absolute(p)?,
        None => std::env::current_exe().context("locate this binary")?,
    };
    Ok(exe.canonicalize().unwrap_or(exe))
}

pub(crate) fn install(a: &InstallArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let exe = exe(a)?;
    let mut written = BTreeSet::new();
    let mut rows = Vec::new();
    for t in targets(a)? {
        // With --user-data-dir every Chromium browser shares one file.
        if written.insert(t.file.clone()) {
            logout_lens_manifest::install(&t, &exe)
                .with_context(|| format!("install for {}", t.browser))?;
        }
        rows.push(
            json!({"browser": t.browser, "scope": t.scope, "file": t.file, "registry": t.registry}),
        );
        if !out.json {
            out.line(&format!(
                "{} {:<9} {}",
                out.green("installed"),
                t.browser.as_str(),
                t.file.display()
            ))?;
        }
    }
    if out.json {
        out.json(&json!({"exe": exe, "installed": rows}))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn uninstall(a: &InstallArgs, out: &Out) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    for t in targets(a)? {
        let removed = logout_lens_manifest::uninstall(&t)
            .with_context(|| format!("uninstall for {}", t.browser))?;
        if !out.json {
            let what = if removed.is_empty() {
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
        rows.push(json!({"browser": t.browser, "file": t.file, "removed": removed}));
    }
    if out.json {
        out.json(&json!({"uninstalled": rows}))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn doctor(a: &DoctorArgs, db: Option<&Path>, out: &Out) -> anyhow::Result<ExitCode> {
    let exe = exe(&a.install)?;
    let checks: Vec<Inspection> = targets(&a.install)?
        .iter()
        .map(|t| inspect(t, &exe))
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
    let any_ok = checks.iter().any(Inspection::ok);
    if out.json {
        let browsers: Vec<_> = checks
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap_or_default();
                v["ok"] = c.ok().into();
                v
            })
            .collect();
        let database = db_info.as_ref().map(|(p, exists, stats, error, private)| {
            json!({"path": p, "exists": exists, "stats": stats, "error": error, "private": private})
        });
        out.json(&json!({
            "exe": exe,
            "extension_id": logout_lens_manifest::EXTENSION_ID,
            "firefox_addon_id": logout_lens_manifest::FIREFOX_ADDON_ID,
            "host_name": logout_lens_manifest::HOST_NAME,
            "browsers": browsers,
            "database": database,
            "ok": any_ok,
        }))?;
    } else {
        out.line(&format!("host binary   {}", exe.display()))?;
        out.line(&format!(
            "extension id  {}",
            logout_lens_manifest::EXTENSION_ID
        ))?;
        for c in &checks {
            let verdict = if c.ok() {
                out.green("ok")
            } else {
                out.red("problem")
            };
            out.line(&format!(
                "{:<9} {verdict} {}",
                c.browser.as_str(),
                c.file.display()
            ))?;
            if !c.ok() {
                let note = if !c.registered {
                    "host not registered (run `logout-lens install`)".to_owned()
                } else if let Some(p) = &c.problem {
                    format!("manifest unreadable: {}", safe(p))
                } else if !c.points_at_exe {
                    format!(
                        "manifest points at {} instead of this binary",
                        safe(c.path.as_deref().unwrap_or("?"))
                    )
                } else if !c.extension_allowed {
                    "the Logout Lens extension id is not allowed".to_owned()
                } else {
                    "wrong host name".to_owned()
                };
                out.line(&format!("          {}", out.dim(&note)))?;
            }
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
                    error.as_deref().unwrap_or("unknown error")
                ))
            ))?,
            Some((p, false, ..)) => out.line(&format!(
                "database      {} (not created yet)",
                safe(&p.display().to_string())
            ))?,
            None => out.line("database      no path (set LOGOUT_LENS_DB or HOME)")?,
        }
    }
    Ok(if any_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
