//! `norclin report`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use norclin::report::{RunReport, render_markdown};

use super::{EXIT_OK, UsageError};

/// Output format of `norclin report`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// Markdown for people.
    Md,
    /// The JSON report as written.
    Json,
}

/// Arguments of `norclin report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory or a verb's output folder (holding report.json).
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
}

/// Prints the report of a run directory, and the summary of a shard
/// directory (one holding manifest.json).
pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let path = args.dir.join("report.json");
    let manifest_path = args.dir.join(norclin::shard::MANIFEST_FILE);
    if manifest_path.is_file() {
        return shards(&args, path.is_file());
    }
    if !path.is_file() {
        return Err(UsageError(format!(
            "{} has no report.json: is it a run directory?",
            args.dir.display()
        ))
        .into());
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let report: RunReport = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a norclin report", path.display()))?;
    match args.format {
        ReportFormat::Md => print!("{}", render_markdown(&report)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(EXIT_OK)
}

/// Prints a shard directory's summary (after its report, when it has one).
fn shards(args: &ReportArgs, with_report: bool) -> anyhow::Result<u8> {
    let manifest = norclin::shard::Manifest::load(&args.dir)?;
    let report: Option<RunReport> = if with_report {
        let path = args.dir.join("report.json");
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).ok()
    } else {
        None
    };
    match args.format {
        ReportFormat::Md => {
            if let Some(r) = &report {
                println!("{}", render_markdown(r));
            }
            print!("{}", norclin::shard::render_summary(&manifest));
        }
        ReportFormat::Json => {
            let v = serde_json::json!({ "report": report, "manifest": manifest });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
    }
    Ok(EXIT_OK)
}
