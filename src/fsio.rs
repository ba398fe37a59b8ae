//! File-system helpers shared by every stage: atomic writes (temporary name
//! then rename), temporary-file clean-up, and content fingerprints.
//!
//! Every file norclin writes goes through [`AtomicFile`]: a reader either
//! sees the complete file or no file at all, and a killed run leaves only
//! `.*.tmp` files, which [`remove_temporaries`] deletes before a stage reruns.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// An I/O error with the path it happened on. Its message is complete
/// (action, path, cause), so it ends an error chain.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {cause}")]
pub struct PathError {
    /// What was being done (`"writing"`, `"reading"`, …).
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The underlying error.
    pub cause: io::Error,
}

impl PathError {
    /// Wraps `source` with the action and path.
    pub fn new(action: &'static str, path: impl Into<PathBuf>, cause: io::Error) -> Self {
        PathError {
            action,
            path: path.into(),
            cause,
        }
    }
}

/// Suffix of every temporary file norclin creates.
pub const TMP_SUFFIX: &str = ".tmp";

/// A file written under a temporary name in the same directory and renamed
/// into place by [`AtomicFile::commit`]. Dropping it uncommitted removes the
/// temporary file.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file for `target` (and missing parent folders).
    pub fn create(target: impl Into<PathBuf>) -> Result<Self, PathError> {
        let target = target.into();
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| PathError::new("creating directory", dir, e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}{TMP_SUFFIX}", std::process::id()));
        let file = File::create(&tmp).map_err(|e| PathError::new("creating", &tmp, e))?;
        Ok(AtomicFile {
            target,
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the file into place. On failure the
    /// temporary file is removed: nothing partial is left behind.
    pub fn commit(mut self) -> Result<(), PathError> {
        let result = self.finish();
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }

    fn finish(&mut self) -> Result<(), PathError> {
        let writer = self.writer.take().ok_or_else(|| {
            PathError::new(
                "committing",
                &self.target,
                io::Error::other("already committed"),
            )
        })?;
        let file = writer
            .into_inner()
            .map_err(|e| PathError::new("writing", &self.target, e.into_error()))?;
        file.sync_all()
            .map_err(|e| PathError::new("syncing", &self.target, e))?;
        drop(file);
        fs::rename(&self.tmp, &self.target)
            .map_err(|e| PathError::new("renaming into place", &self.target, e))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("write after commit")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: impl Into<PathBuf>, bytes: &[u8]) -> Result<(), PathError> {
    let mut f = AtomicFile::create(path)?;
    let target = f.target().to_path_buf();
    f.write_all(bytes)
        .map_err(|e| PathError::new("writing", &target, e))?;
    f.commit()
}

/// Writes `value` as pretty JSON (with a final newline) to `path` atomically.
pub fn write_json_atomic<T: serde::Serialize>(
    path: impl Into<PathBuf>,
    value: &T,
) -> Result<(), PathError> {
    let path = path.into();
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| PathError::new("serialising", &path, io::Error::other(e)))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Removes temporary files (`.NAME.PID.tmp`) left in `dir` by a killed run.
/// Returns how many were removed.
pub fn remove_temporaries(dir: &Path) -> Result<usize, PathError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(PathError::new("listing", dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| PathError::new("listing", dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        if path.is_dir() {
            removed += remove_temporaries(&path)?;
        } else if name.starts_with('.') && name.ends_with(TMP_SUFFIX) {
            fs::remove_file(&path).map_err(|e| PathError::new("removing", &path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Streams a file through SHA-256 and returns the lower-case hex digest.
pub fn sha256_file(path: &Path) -> Result<String, PathError> {
    let mut hasher = Sha256::new();
    for_each_chunk(path, |chunk| hasher.update(chunk))?;
    Ok(hex(&hasher.finalize()))
}

/// Fast content fingerprint (XXH3-128, hex) of a file or, for a directory,
/// of every file below it in sorted order (names and contents; names
/// starting with `.` or `_` — temporaries and markers — are left out). Used to tell
/// whether a stage's input changed since its completion marker was written.
pub fn fingerprint(path: &Path) -> Result<String, PathError> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    fingerprint_into(path, path, &mut hasher)?;
    Ok(format!("{:032x}", hasher.digest128()))
}

fn fingerprint_into(
    root: &Path,
    path: &Path,
    hasher: &mut xxhash_rust::xxh3::Xxh3,
) -> Result<(), PathError> {
    let meta = fs::metadata(path).map_err(|e| PathError::new("reading", path, e))?;
    if meta.is_dir() {
        let mut children: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| PathError::new("listing", path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                !p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with('.') || n.starts_with('_')
                })
            })
            .collect();
        children.sort();
        for child in children {
            fingerprint_into(root, &child, hasher)?;
        }
        return Ok(());
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    hasher.update(rel.to_string_lossy().as_bytes());
    hasher.update(&[0]);
    for_each_chunk(path, |chunk| hasher.update(chunk))
}

/// Streams the file at `path` through `f` in 1 MiB chunks.
fn for_each_chunk(path: &Path, mut f: impl FnMut(&[u8])) -> Result<(), PathError> {
    let mut file = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| PathError::new("reading", path, e))?;
        if n == 0 {
            return Ok(());
        }
        f(&buf[..n]);
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_atomic_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn failed_commit_leaves_no_temporary() {
        // The rename fails because the directory vanished under the writer.
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("gone");
        let mut f = AtomicFile::create(sub.join("x")).unwrap();
        f.write_all(b"data").unwrap();
        fs::remove_dir_all(&sub).unwrap();
        assert!(f.commit().is_err());
        assert!(!sub.exists());
    }

    #[test]
    fn committed_atomic_file_appears_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub/out.txt");
        write_atomic(&target, b"hello").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"hello");
    }

    #[test]
    fn temporaries_are_found_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".notes.parquet.123.tmp"), b"x").unwrap();
        fs::write(dir.path().join("keep.json"), b"x").unwrap();
        assert_eq!(remove_temporaries(dir.path()).unwrap(), 1);
        assert!(dir.path().join("keep.json").exists());
    }

    #[test]
    fn fingerprint_changes_with_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        fs::write(&p, b"one").unwrap();
        let a = fingerprint(dir.path()).unwrap();
        fs::write(&p, b"two").unwrap();
        assert_ne!(a, fingerprint(dir.path()).unwrap());
    }
}
