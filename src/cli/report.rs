//! `norclin report`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// One line per note, sorted by note id, to compare two runs without
    /// printing any text: `note_id<TAB>sha256(text)` for a folder holding
    /// notes.parquet, `note_id<TAB>split<TAB>sequences<TAB>sha256(token
    /// ids)` for a shard folder (ids as little-endian u32, all sequences of
    /// the note in order).
    Digest,
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
    if matches!(args.format, ReportFormat::Digest) {
        return digest(&args.dir);
    }
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
        ReportFormat::Digest => {}
    }
    Ok(EXIT_OK)
}

/// Prints the per-note digest of a shard folder or a notes folder.
fn digest(dir: &Path) -> anyhow::Result<u8> {
    use sha2::{Digest as _, Sha256};
    use std::fmt::Write as _;
    let mut lines: Vec<String> = Vec::new();
    if dir.join(norclin::shard::MANIFEST_FILE).is_file() {
        let manifest = norclin::shard::Manifest::load(dir)?;
        // note id → (split, sequences, hash of its ids in order)
        let mut notes: BTreeMap<String, (String, u64, Sha256)> = BTreeMap::new();
        for s in &manifest.shards {
            for seq in norclin::shard::ShardFile::read_all(dir.join(&s.file))? {
                let bounds: Vec<usize> = seq
                    .note_offsets
                    .iter()
                    .map(|&o| o as usize)
                    .chain([seq.input_ids.len()])
                    .collect();
                for (i, id) in seq.note_ids.iter().enumerate() {
                    let (from, to) = (bounds[i], bounds[i + 1].max(bounds[i]));
                    let e = notes
                        .entry(id.clone())
                        .or_insert_with(|| (seq.split.as_str().to_string(), 0, Sha256::new()));
                    e.1 += 1;
                    for t in seq.input_ids.get(from..to).unwrap_or_default() {
                        e.2.update(t.to_le_bytes());
                    }
                }
            }
        }
        for (id, (split, n, h)) in notes {
            lines.push(format!(
                "{id}\t{split}\t{n}\t{}",
                norclin::fsio::hex(&h.finalize())
            ));
        }
    } else {
        let path = dir.join(norclin::ingest::NOTES_FILE);
        if !path.is_file() {
            return Err(UsageError(format!(
                "{} holds neither manifest.json nor {}",
                dir.display(),
                norclin::ingest::NOTES_FILE
            ))
            .into());
        }
        let mut reader = norclin::notes::NotesReader::open(&path)?;
        while let Some(batch) = reader.next_batch()? {
            for note in batch {
                let h = Sha256::digest(note.text.as_str().as_bytes());
                lines.push(format!("{}\t{}", note.note_id, norclin::fsio::hex(&h)));
            }
        }
        lines.sort();
    }
    let mut out = String::new();
    for l in &lines {
        let _ = writeln!(out, "{l}");
    }
    print!("{out}");
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
        ReportFormat::Digest => return digest(&args.dir),
    }
    Ok(EXIT_OK)
}
