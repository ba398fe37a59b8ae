//! `norclin merge`.

use std::path::PathBuf;

use clap::Args;

use norclin::pipeline::merge_ranks;

use super::EXIT_OK;

/// Arguments of `norclin merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Run directory holding the rank-RRRRR-of-WWWWW folders.
    pub run_dir: PathBuf,
}

/// Merges the ranks of a scaled-out run.
pub fn run(args: MergeArgs) -> anyhow::Result<u8> {
    let summary = merge_ranks(&args.run_dir)?;
    for s in &summary.stages {
        let joined = s
            .merged
            .as_ref()
            .map(|m| format!(", joined in {}", args.run_dir.join(m).display()))
            .unwrap_or_default();
        println!(
            "{:<14} {} ranks, {} rows out{joined}",
            s.name,
            s.parts.len(),
            s.rows_out
        );
    }
    println!(
        "merged {} ranks: {}",
        summary.world_size,
        args.run_dir.join("report.md").display()
    );
    Ok(EXIT_OK)
}
