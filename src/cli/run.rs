//! `norclin run` and `norclin validate`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use norclin::pipeline::{Pipeline, RankSlice, RunOptions, run_pipeline};

use super::{Context, EXIT_OK, EXIT_USAGE, UsageError};

/// Arguments of `norclin run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline file. Without it, the embedded demo pipeline runs
    /// (pipelines/demo.toml, resolved from the current folder).
    pub file: Option<PathBuf>,
    /// Run directory, overriding the pipeline file's `run_dir`.
    #[arg(long, value_name = "DIR")]
    pub run_dir: Option<PathBuf>,
    /// This worker's rank in a scaled-out run (0-based; with --world-size).
    /// Without the flags, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or
    /// JOB_COMPLETION_INDEX/NORCLIN_WORLD_SIZE are used when set.
    #[arg(long, value_name = "R")]
    pub rank: Option<u32>,
    /// Number of workers in a scaled-out run.
    #[arg(long, value_name = "W")]
    pub world_size: Option<u32>,
    /// Pseudonymisation key file (or set NORCLIN_KEY_FILE).
    #[arg(long, value_name = "FILE", env = "NORCLIN_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// Arguments of `norclin validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Pipeline files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs a pipeline and prints where the report is.
pub fn run(args: RunArgs, ctx: &Context) -> anyhow::Result<u8> {
    let pipeline = match &args.file {
        Some(f) => Pipeline::load(f)?,
        None => Pipeline::demo()?,
    };
    let slice = match (args.rank, args.world_size) {
        (Some(rank), Some(world)) => {
            Some(RankSlice::new(rank, world).map_err(|e| UsageError(e.0))?)
        }
        (None, None) => {
            RankSlice::from_env(|k| std::env::var(k).ok()).map_err(|e| UsageError(e.0))?
        }
        _ => return Err(UsageError("--rank and --world-size go together".into()).into()),
    };
    let opts = RunOptions {
        run_dir: args.run_dir,
        key_file: args.key_file,
        progress: ctx.progress.clone(),
        slice,
    };
    let outcome =
        run_pipeline(&pipeline, &opts).with_context(|| format!("running {}", pipeline.origin))?;
    let r = &outcome.report;
    for s in &r.stages {
        println!(
            "{:<14} {:<8} rows in {:>9}  out {:>9}  quarantined {:>6}  {:>8.2} s",
            s.name,
            s.status,
            s.stats.rows_in,
            s.stats.rows_out,
            s.stats.rows_quarantined(),
            s.wall_s
        );
    }
    println!("report: {}", outcome.report_md.display());
    println!("        {}", outcome.report_json.display());
    Ok(EXIT_OK)
}

/// Validates pipeline files, printing every problem.
pub fn validate(args: ValidateArgs) -> anyhow::Result<u8> {
    let mut failed = false;
    for file in &args.files {
        match Pipeline::load(file) {
            Ok(p) => println!("{}: ok ({} stages)", file.display(), p.config.stages.len()),
            Err(errors) => {
                failed = true;
                println!("{errors}");
            }
        }
    }
    Ok(if failed { EXIT_USAGE } else { EXIT_OK })
}
