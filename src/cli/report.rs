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

/// Prints the report of a run directory.
pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let path = args.dir.join("report.json");
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
