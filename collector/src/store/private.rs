//! The database and its folder are the user's alone (0600 / 0700 on Unix):
//! traces are redacted, but they still say which sites someone uses and when.

use std::path::Path;

use crate::error::{CollectorError, Result};

/// Creates the folder (owner-only) if it is missing, and the database file
/// (owner-only) if it is missing; tightens an existing database file, its
/// `-wal`/`-shm` companions and — when it is the default location's folder,
/// which Logout Lens owns — the folder. A folder the user chose is left as it
/// is (it may be their home or `/tmp`); `doctor` reports its mode.
pub(super) fn prepare(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            create_dir(dir)?;
        } else if is_default_folder(dir) {
            tighten(dir, 0o700)?;
        }
    }
    create_file(path)?;
    for p in [
        path.to_path_buf(),
        companion(path, "-wal"),
        companion(path, "-shm"),
    ] {
        if p.exists() {
            tighten(&p, 0o600)?;
        }
    }
    Ok(())
}

/// `events.db` → `events.db-wal`.
fn companion(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

fn is_default_folder(dir: &Path) -> bool {
    crate::paths::default_db_path()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .is_some_and(|d| d == dir)
}

/// Whether `path` is readable only by its owner (always true off Unix).
pub fn is_private(path: &Path) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).map(|_| true)
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(CollectorError::io("create", dir))
}

/// An empty file is a valid empty SQLite database; SQLite gives the `-wal` and
/// `-shm` files it creates later the database file's mode.
fn create_file(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(CollectorError::io("create", path)(e)),
    }
}

#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(CollectorError::io("stat", path))?;
    let current = meta.permissions().mode() & 0o777;
    if current & 0o077 == 0 {
        return Ok(());
    }
    let wanted = current & mode;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted)) {
        Ok(()) => Ok(()),
        // Not ours to change (another user's file opened read-write through
        // group permissions): say so, do not fail.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            tracing::info!(path = %path.display(), "cannot make private: {e}");
            Ok(())
        }
        Err(e) => Err(CollectorError::io("chmod", path)(e)),
    }
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folder_and_file_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("a/b/events.db");
        prepare(&db).unwrap();
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&tmp.path().join("a/b")), 0o700);
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn existing_files_are_tightened_a_chosen_folder_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = tmp.path().join("events.db");
        for p in [db.clone(), companion(&db, "-wal"), companion(&db, "-shm")] {
            std::fs::write(&p, b"").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        prepare(&db).unwrap();
        for p in [db.clone(), companion(&db, "-wal"), companion(&db, "-shm")] {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
        assert_eq!(mode(tmp.path()), 0o755, "a folder the user chose is theirs");
        assert!(!is_private(tmp.path()).unwrap());
    }
}
