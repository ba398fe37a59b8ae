//! Helpers shared by the topic modules.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn repo_path(rel: &str) -> PathBuf {
    repo().join(rel)
}

/// The `norclin` binary, ready to configure.
pub fn norclin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_norclin"));
    c.env_remove("NORCLIN_KEY_FILE");
    c.env_remove("RUST_LOG");
    c
}

/// Runs `norclin` with `args` in `cwd` and returns its output.
pub fn run_in(cwd: &Path, args: &[&str]) -> Output {
    norclin()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("start norclin")
}

/// Stdout and stderr as one string, for assertion messages.
pub fn both(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The sum of a JSON object of counts (`{"reason": n, ...}`).
pub fn total(counts: &serde_json::Value) -> u64 {
    counts
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

/// Rows in = rows out + quarantined for a stage of a run report.
pub fn conserved(stage: &serde_json::Value) {
    let q = total(&stage["quarantined"]);
    assert_eq!(
        stage["rows_in"].as_u64().unwrap(),
        stage["rows_out"].as_u64().unwrap() + q,
        "rows lost in {}",
        stage["name"]
    );
}
