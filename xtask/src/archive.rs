//! Writing the packages: zip and tar.gz archives from in-memory entries,
//! and SHA-256 sums in the format `sha256sum -c` reads.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

/// One file in an archive.
pub(crate) struct Entry {
    /// The path inside the archive, `/`-separated.
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    /// Unix permission bits (0o755 for programs).
    pub(crate) mode: u32,
}

impl Entry {
    pub(crate) fn file(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Entry {
            name: name.into(),
            bytes,
            mode: 0o644,
        }
    }

    pub(crate) fn program(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Entry {
            name: name.into(),
            bytes,
            mode: 0o755,
        }
    }
}

/// Every file under `dir` as entries named relative to it, sorted.
pub(crate) fn entries_under(dir: &Path) -> Result<Vec<Entry>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<Entry>) -> Result<()> {
        for e in fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
            let e = e?;
            let path = e.path();
            if e.file_type()?.is_dir() {
                walk(base, &path, out)?;
            } else {
                let rel = path.strip_prefix(base)?;
                let name = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(Entry::file(name, fs::read(&path)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Writes a deflated zip of `entries` to `dest`.
pub(crate) fn write_zip(dest: &Path, entries: &[Entry]) -> Result<()> {
    let file = fs::File::create(dest).with_context(|| format!("create {}", dest.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    for e in entries {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(e.mode);
        zip.start_file(e.name.as_str(), options)
            .with_context(|| format!("{}: {}", dest.display(), e.name))?;
        zip.write_all(&e.bytes)?;
    }
    zip.finish()
        .with_context(|| format!("finish {}", dest.display()))?;
    Ok(())
}

/// Writes a gzipped tar of `entries` to `dest`.
pub(crate) fn write_tar_gz(dest: &Path, entries: &[Entry]) -> Result<()> {
    let file = fs::File::create(dest).with_context(|| format!("create {}", dest.display()))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut dirs = std::collections::BTreeSet::new();
    for e in entries {
        // Folders first, so every extractor creates them with sane modes.
        let mut prefix = String::new();
        for part in e
            .name
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map_or(&[][..], |(_, d)| d)
        {
            prefix.push_str(part);
            prefix.push('/');
            if dirs.insert(prefix.clone()) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_mtime(now);
                h.set_size(0);
                tar.append_data(&mut h, &prefix, std::io::empty())?;
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_mode(e.mode);
        h.set_mtime(now);
        h.set_size(e.bytes.len() as u64);
        tar.append_data(&mut h, &e.name, e.bytes.as_slice())?;
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(())
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `SHA256SUMS` text for `(name, bytes)` pairs: `<hex>  <name>` per line.
pub(crate) fn sums<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    files
        .into_iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_match_sha256sum_format() {
        // sha256("") is a well-known constant.
        assert_eq!(
            sums([("empty", &b""[..])]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty\n"
        );
    }

    #[test]
    fn zip_and_tar_round_trip_with_modes() {
        let dir = tempfile::tempdir().unwrap();
        let entries = vec![
            Entry::program("pkg/logout-lens", b"\x7fELF".to_vec()),
            Entry::file("pkg/README.md", b"# hi\n".to_vec()),
        ];
        let z = dir.path().join("a.zip");
        write_zip(&z, &entries).unwrap();
        let mut zip = zip::ZipArchive::new(fs::File::open(&z).unwrap()).unwrap();
        let f = zip.by_name("pkg/logout-lens").unwrap();
        assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o755));
        drop(f);
        assert_eq!(zip.len(), 2);

        let t = dir.path().join("a.tar.gz");
        write_tar_gz(&t, &entries).unwrap();
        let gz = flate2::read::GzDecoder::new(fs::File::open(&t).unwrap());
        let mut tar = tar::Archive::new(gz);
        let seen: Vec<(String, u32, u64)> = tar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().mode().unwrap(),
                    e.size(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("pkg/".to_owned(), 0o755, 0),
                ("pkg/logout-lens".to_owned(), 0o755, 4),
                ("pkg/README.md".to_owned(), 0o644, 5),
            ]
        );
    }
}
