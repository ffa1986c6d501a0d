//! Writing, removing and checking host manifests on disk.
//!
//! The `native_messaging` crate's own installer reads `$HOME` and cannot
//! target a `--user-data-dir`, so the files are written here from the same
//! location table. Windows registry entries go through that crate's `winreg`
//! helpers.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::browsers::{BaseDirs, Browser, Os, RegistryKey, Scope, location};
use crate::error::io_err;
use crate::host::{HOST_NAME, host_manifest};
use crate::key::{FIREFOX_ADDON_ID, chromium_origins};
use crate::{Family, ManifestError};

/// Where one browser's host manifest goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The browser the manifest is for.
    pub browser: Browser,
    /// Per-user or machine-wide.
    pub scope: Scope,
    /// The file to write.
    pub file: PathBuf,
    /// Other files the browser may read (removed on uninstall, checked by doctor).
    pub alternates: Vec<PathBuf>,
    /// Windows registry keys that must point at `file`.
    pub registry: Vec<RegistryKey>,
}

/// Resolves the manifest location for one browser.
///
/// With `user_data_dir` (a Chromium `--user-data-dir`, as headless and test
/// profiles use) the manifest goes to `<dir>/NativeMessagingHosts/`, the only
/// place such a profile reads besides the system directory.
pub fn target(
    browser: Browser,
    os: Os,
    scope: Scope,
    dirs: &BaseDirs,
    user_data_dir: Option<&Path>,
) -> Result<Target, ManifestError> {
    let file_name = format!("{HOST_NAME}.json");
    if let Some(udd) = user_data_dir {
        if browser.family() != Family::Chromium {
            return Err(ManifestError::UserDataDirNotSupported(browser.as_str()));
        }
        return Ok(Target {
            browser,
            scope,
            file: udd.join("NativeMessagingHosts").join(&file_name),
            alternates: Vec::new(),
            registry: Vec::new(),
        });
    }
    let row = location(browser, os, scope, HOST_NAME)?.ok_or(ManifestError::Unsupported {
        browser: browser.as_str(),
        os: os.as_str(),
        scope: scope.as_str(),
    })?;
    // The table's Windows templates use `/`; the registry and the user see `\` throughout.
    let native = |p: PathBuf| match os {
        Os::Windows => PathBuf::from(p.to_string_lossy().replace('/', "\\")),
        _ => p,
    };
    let alternates = row
        .alternate_dirs
        .iter()
        .map(|d| dirs.resolve(d).map(|p| native(p.join(&file_name))))
        .collect::<Result<_, _>>()?;
    Ok(Target {
        browser,
        scope,
        file: native(dirs.resolve(&row.dir)?.join(&file_name)),
        alternates,
        registry: row.registry,
    })
}

/// Writes the host manifest for `target`, pointing at `exe`. The file is
/// written to a temporary name and renamed, so a browser never reads half of it.
pub fn install(target: &Target, exe: &Path) -> Result<(), ManifestError> {
    let manifest = host_manifest(target.browser.family(), exe)?;
    let dir = target.file.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let mut bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    bytes.push(b'\n');
    let tmp = target.file.with_extension("json.tmp");
    fs::write(&tmp, &bytes).map_err(io_err("write", &tmp))?;
    fs::rename(&tmp, &target.file).map_err(io_err("rename", &target.file))?;
    write_registry(target)?;
    Ok(())
}

/// Removes the manifest (and alternates and registry keys). Returns the files
/// that existed and were removed.
pub fn uninstall(target: &Target) -> Result<Vec<PathBuf>, ManifestError> {
    uninstall_keeping(target, &[], &[])
}

/// [`uninstall`], except the files and registry keys another registration
/// still uses: on Windows every Chromium-family browser's key points at one
/// shared manifest file, and Brave's second key is Chrome's; in a
/// `--user-data-dir` every Chromium-family browser shares one file.
pub fn uninstall_keeping(
    target: &Target,
    keep_files: &[PathBuf],
    keep_keys: &[RegistryKey],
) -> Result<Vec<PathBuf>, ManifestError> {
    let mut removed = Vec::new();
    let files = std::iter::once(&target.file).chain(&target.alternates);
    for file in files.filter(|f| !keep_files.contains(f)) {
        match fs::remove_file(file) {
            Ok(()) => {
                removed.push(file.clone());
                // The folder too when nothing else is in it (it may be ours).
                if let Some(dir) = file.parent() {
                    let _ = fs::remove_dir(dir);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", file)(e)),
        }
    }
    let keys: Vec<RegistryKey> = target
        .registry
        .iter()
        .filter(|k| !keep_keys.contains(k))
        .cloned()
        .collect();
    remove_registry(target.scope, &keys);
    Ok(removed)
}

/// What `doctor` reports for one browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The browser inspected.
    pub browser: Browser,
    /// The scope inspected.
    pub scope: Scope,
    /// The primary manifest file for that browser and scope.
    pub file: PathBuf,
    /// A manifest file exists (primary or alternate location).
    pub registered: bool,
    /// The manifest names our host.
    pub name_ok: bool,
    /// The manifest's `path` is `exe`.
    pub points_at_exe: bool,
    /// The manifest's `path`, if readable.
    pub path: Option<String>,
    /// The manifest's `path` is a file that exists (the browser can start it).
    pub host_exists: bool,
    /// Every Logout Lens extension id this build serves (the dev id, and
    /// the store's when built in) is on the manifest's allow-list.
    pub extension_allowed: bool,
    /// Windows: a registry key of the browser points at the manifest file
    /// (always true where browsers need none).
    pub registry_ok: bool,
    /// Why the manifest could not be read, when it exists but is unreadable.
    pub problem: Option<String>,
}

impl Inspection {
    /// Everything a browser needs to start this host.
    pub fn ok(&self) -> bool {
        self.registered
            && self.registry_ok
            && self.name_ok
            && self.points_at_exe
            && self.extension_allowed
    }
}

/// Reads back what is installed for `target` and compares it with `exe`.
pub fn inspect(target: &Target, exe: &Path) -> Inspection {
    let mut out = Inspection {
        browser: target.browser,
        scope: target.scope,
        file: target.file.clone(),
        registered: false,
        name_ok: false,
        points_at_exe: false,
        path: None,
        host_exists: false,
        extension_allowed: false,
        registry_ok: false,
        problem: None,
    };
    let Some(file) = std::iter::once(&target.file)
        .chain(&target.alternates)
        .find(|f| f.exists())
    else {
        return out;
    };
    out.registered = true;
    out.file = file.clone();
    out.registry_ok = registry_points_at(target, file);
    let manifest: Value = match fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            out.problem = Some(e);
            return out;
        }
    };
    out.name_ok = manifest["name"] == HOST_NAME;
    out.path = manifest["path"].as_str().map(str::to_owned);
    out.points_at_exe = out
        .path
        .as_deref()
        .is_some_and(|p| same_file(Path::new(p), exe));
    out.host_exists = out.path.as_deref().is_some_and(|p| Path::new(p).is_file());
    let (list, wanted) = match target.browser.family() {
        Family::Chromium => ("allowed_origins", chromium_origins()),
        Family::Firefox => ("allowed_extensions", vec![FIREFOX_ADDON_ID.to_owned()]),
    };
    out.extension_allowed = manifest[list].as_array().is_some_and(|l| {
        wanted
            .iter()
            .all(|want| l.iter().any(|v| v.as_str() == Some(want.as_str())))
    });
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(windows)]
fn write_registry(target: &Target) -> Result<(), ManifestError> {
    use native_messaging::install::winreg;
    let scope = nm_scope(target.scope);
    for key in &target.registry {
        winreg::write_manifest_path_to_reg(scope, &key.path, &target.file).map_err(|source| {
            ManifestError::Registry {
                key: key.path.clone(),
                source,
            }
        })?;
    }
    Ok(())
}

#[cfg(not(windows))]
fn write_registry(_target: &Target) -> Result<(), ManifestError> {
    Ok(())
}

#[cfg(windows)]
fn remove_registry(scope: Scope, keys: &[RegistryKey]) {
    use native_messaging::install::winreg;
    for key in keys {
        // A key that is already gone is what uninstall wants.
        let _ = winreg::remove_manifest_reg(nm_scope(scope), &key.path);
    }
}

#[cfg(not(windows))]
fn remove_registry(_scope: Scope, _keys: &[RegistryKey]) {}

#[cfg(windows)]
fn nm_scope(scope: Scope) -> native_messaging::install::paths::Scope {
    use native_messaging::install::paths::Scope as NmScope;
    match scope {
        Scope::User => NmScope::User,
        Scope::System => NmScope::System,
    }
}

/// Whether a registry key of `target` points at `file` (Windows browsers
/// find the manifest only through it); true where there are no keys.
#[cfg(windows)]
fn registry_points_at(target: &Target, file: &Path) -> bool {
    use native_messaging::install::winreg;
    target.registry.is_empty()
        || target.registry.iter().any(|k| {
            winreg::read_manifest_path_from_reg(nm_scope(target.scope), &k.path)
                .ok()
                .flatten()
                .is_some_and(|p| same_file(&p, file))
        })
}

#[cfg(not(windows))]
fn registry_points_at(target: &Target, _file: &Path) -> bool {
    target.registry.is_empty()
}
