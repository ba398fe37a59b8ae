//! `norclin ingest`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use norclin::ingest::{IngestConfig, InputFormat};
use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};

use super::{Context, EXIT_OK, UsageError, invalid_arguments};

/// Arguments of `norclin ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Input files (JSONL, CSV/TSV, Parquet) or folders of .txt notes.
    #[arg(long = "input", short = 'i', required = true, num_args = 1.., value_name = "PATH")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (notes.parquet, quarantine.jsonl, report.json).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Input format for every input (default: guessed by extension).
    #[arg(long, value_parser = ["jsonl", "csv", "parquet", "txt"])]
    pub format: Option<String>,
    /// Map a canonical field to an input column, e.g. `--column text=notat_tekst`
    /// (fields: note_id, patient_id, doc_type, written_at, department, text, lang).
    #[arg(long = "column", value_name = "FIELD=COLUMN")]
    pub columns: Vec<String>,
    /// CSV delimiter (default: sniffed).
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Quarantine notes larger than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_text_bytes: Option<usize>,
    /// Record unreadable files and go on with the others.
    #[arg(long)]
    pub keep_going: bool,
}

/// Runs ingest into `--out`.
pub fn run(args: IngestArgs, ctx: &Context) -> anyhow::Result<u8> {
    let mut config: IngestConfig =
        toml::from_str("inputs = []").context("default ingest config")?;
    config.inputs = args.inputs;
    config.keep_going = args.keep_going;
    config.csv.delimiter = args.delimiter;
    if let Some(m) = args.max_text_bytes {
        config.max_text_bytes = m;
    }
    config.format = match args.format.as_deref() {
        None => None,
        Some("jsonl") => Some(InputFormat::Jsonl),
        Some("csv") => Some(InputFormat::Csv),
        Some("parquet") => Some(InputFormat::Parquet),
        Some(_) => Some(InputFormat::Txt),
    };
    for mapping in &args.columns {
        let (field, column) = mapping
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--column {mapping}: expected FIELD=COLUMN")))?;
        let c = &mut config.columns;
        let slot = match field.trim() {
            "note_id" => &mut c.note_id,
            "patient_id" => &mut c.patient_id,
            "doc_type" => &mut c.doc_type,
            "written_at" => &mut c.written_at,
            "department" => &mut c.department,
            "text" => &mut c.text,
            "lang" => &mut c.lang,
            other => return Err(UsageError(format!("--column: unknown field `{other}`")).into()),
        };
        *slot = column.trim().to_string();
    }
    invalid_arguments("ingest", config.check(Path::new(".")))?;
    let opts = RunOptions::new(ctx.progress.clone());
    let outcome = run_single_stage(
        &StageConfig::Ingest(config),
        "norclin ingest",
        Path::new("."),
        &args.out,
        None,
        &opts,
    )?;
    let s = &outcome.report.stages[0].stats;
    println!(
        "ingest: {} rows in, {} notes out, {} quarantined",
        s.rows_in,
        s.rows_out,
        s.rows_quarantined()
    );
    for (reason, n) in &s.quarantined {
        println!("  quarantined {reason}: {n}");
    }
    for f in &s.failed_files {
        println!("  unreadable file {}: {}", f.path, f.error);
    }
    println!(
        "notes: {}",
        args.out.join(norclin::ingest::NOTES_FILE).display()
    );
    println!("report: {}", outcome.report_json.display());
    Ok(EXIT_OK)
}
