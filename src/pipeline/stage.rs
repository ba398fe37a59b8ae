//! What every stage gets from the runner and gives back to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::slice::RankSlice;
use crate::report::Progress;

/// Everything a stage needs from the run it is part of.
pub struct StageContext<'a> {
    /// Directory the stage writes its outputs into (exists, empty of
    /// temporaries). Outputs must be written atomically
    /// ([`crate::fsio::AtomicFile`]).
    pub out_dir: &'a Path,
    /// Output directory of the nearest earlier stage that produced
    /// `notes.parquet`, if any.
    pub notes_dir: Option<&'a Path>,
    /// Directory relative paths in the pipeline file are resolved against.
    pub base_dir: &'a Path,
    /// Pseudonymisation key file given on the command line, if any.
    pub key_file: Option<&'a Path>,
    /// Progress reporting (a bar on a terminal, log lines otherwise).
    pub progress: &'a Progress,
    /// This worker's share of a scaled-out run (`None`: all of it).
    pub slice: Option<RankSlice>,
}

impl StageContext<'_> {
    /// Resolves a path from the pipeline file against its directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        resolve(self.base_dir, path)
    }
}

/// Resolves `path` against `base` unless it is absolute, and removes `.`
/// and `..` components lexically (`pipelines/../runs` → `runs`).
pub fn resolve(base: &Path, path: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// What a stage kept, changed and dropped, with reasons. The runner adds
/// wall time, throughput and peak memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageStats {
    /// Rows (notes, sequences) read.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows set aside, by reason (`rows_in = rows_out + sum(quarantined)`
    /// for stages that quarantine).
    pub quarantined: BTreeMap<String, u64>,
    /// Other counts by name (`doc_type_unknown`, `phi.PERSON_FIRST`, …).
    pub counters: BTreeMap<String, u64>,
    /// Input bytes processed.
    pub bytes_in: u64,
    /// Output bytes written.
    pub bytes_out: u64,
    /// Whole input files that could not be read (only with `keep_going`).
    pub failed_files: Vec<FailedFile>,
    /// Stage-specific tables for the report (PHI per label and doc type,
    /// language mix, …).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl StageStats {
    /// Total rows quarantined.
    pub fn rows_quarantined(&self) -> u64 {
        self.quarantined.values().sum()
    }

    /// Adds `n` to the quarantine count of `reason`.
    pub fn quarantine(&mut self, reason: &str, n: u64) {
        *self.quarantined.entry(reason.to_string()).or_default() += n;
    }

    /// Adds `n` to counter `name`.
    pub fn count(&mut self, name: &str, n: u64) {
        *self.counters.entry(name.to_string()).or_default() += n;
    }
}

/// An input file that could not be read at all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedFile {
    /// The file.
    pub path: String,
    /// Why (never note content).
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_cleans_relative_paths_lexically() {
        let r = |b: &str, p: &str| resolve(Path::new(b), Path::new(p));
        assert_eq!(r("pipelines", "../runs/demo"), PathBuf::from("runs/demo"));
        assert_eq!(r(".", "a/./b"), PathBuf::from("a/b"));
        assert_eq!(r("x", "../../y"), PathBuf::from("../y"));
        assert_eq!(r("x", "/abs/p"), PathBuf::from("/abs/p"));
        assert_eq!(r("x", ".."), PathBuf::from("."));
    }
}
