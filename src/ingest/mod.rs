//! Ingest: reads JSONL, CSV, Parquet and folders of `.txt` notes into the
//! canonical notes schema (`schemas/notes.v1.json`).
//!
//! Every source row ends in exactly one place: `notes.parquet`, or
//! `quarantine.jsonl` with its locator (`file:line`) and a reason. The stage
//! asserts `rows_in = rows_out + rows_quarantined` before it reports
//! success. A file that cannot be read at all (not Parquet, no header, a
//! required column missing) fails the stage with an error naming the file,
//! or, with `keep_going`, is recorded and skipped.
//!
//! Sources stream in bounded batches; rows are parsed and checked in
//! parallel (rayon) and written in input order, so output does not depend
//! on the thread count and memory does not grow with input size (only the
//! set of note ids seen, for duplicate detection, grows with the number of
//! notes).

mod config;
mod csv;
mod jsonl;
mod parquet_in;
mod row;
mod txt;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use config::{ColumnMap, CsvOptions, IngestConfig, InputFormat, TxtOptions};
pub use row::{Reason, Rejection};

use crate::fsio::{AtomicFile, PathError};
use crate::notes::{NotesIoError, NotesWriter};
use crate::pipeline::{FailedFile, FileShare, RankSlice, StageContext, StageStats};
use row::{Normalised, Normaliser, RawRow};

/// File names ingest writes into its output folder.
pub const NOTES_FILE: &str = "notes.parquet";
/// Quarantine file name.
pub const QUARANTINE_FILE: &str = "quarantine.jsonl";

/// Ingest failures.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// A whole input file is unreadable.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why (never note content).
        message: String,
    },
    /// Writing notes failed.
    #[error(transparent)]
    Notes(#[from] NotesIoError),
    /// Rows were lost: a bug, reported rather than hidden.
    #[error("ingest lost rows: {rows_in} in, {rows_out} out, {quarantined} quarantined")]
    NotConserved {
        /// Rows read.
        rows_in: u64,
        /// Rows written.
        rows_out: u64,
        /// Rows quarantined.
        quarantined: u64,
    },
}

/// A reader of one input file: yields rows in bounded batches.
pub trait RowSource {
    /// The next batch, or `None` at the end of the file.
    fn next_rows(&mut self) -> Result<Option<Vec<RawRow>>, IngestError>;
    /// Bytes of the file consumed so far.
    fn bytes_read(&self) -> u64;
}

/// One line of `quarantine.jsonl`. Never carries note text.
#[derive(Serialize)]
struct QuarantineRecord<'a> {
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note_id: Option<&'a str>,
    reason: &'static str,
    detail: &'a str,
}

/// Runs ingest with `config` into `ctx.out_dir`.
pub fn run_stage(config: &IngestConfig, ctx: &StageContext<'_>) -> Result<StageStats, IngestError> {
    let normaliser = Normaliser::new(config);
    let mut stats = StageStats::default();
    let mut notes = NotesWriter::create(ctx.out_dir.join(NOTES_FILE))?;
    let quarantine_path = ctx.out_dir.join(QUARANTINE_FILE);
    let mut quarantine = AtomicFile::create(&quarantine_path)?;
    let mut seen: HashSet<Box<str>> = HashSet::new();
    let task = ctx.progress.task("ingest", None, "rows");

    let inputs = config.input_paths(ctx.base_dir);
    let shares: Vec<(PathBuf, FileShare)> = match ctx.slice {
        None => inputs.into_iter().map(|p| (p, FileShare::Whole)).collect(),
        Some(slice) => {
            let sized: Vec<(PathBuf, u64)> = inputs
                .into_iter()
                .map(|p| {
                    let size = input_size(&p);
                    (p, size)
                })
                .collect();
            slice.share(&sized, config.split_files_over_bytes)
        }
    };
    for (path, share) in shares {
        let owner = match share {
            FileShare::Whole => None,
            FileShare::ByNoteId => ctx.slice,
        };
        let result = ingest_file(
            &path,
            config,
            ctx.base_dir,
            &normaliser,
            owner,
            &mut Sinks {
                seen: &mut seen,
                notes: &mut notes,
                quarantine: &mut quarantine,
                stats: &mut stats,
            },
            &task,
        );
        match result {
            Ok(()) => {}
            Err(e @ (IngestError::File { .. } | IngestError::Io(_))) if config.keep_going => {
                tracing::warn!("skipping unreadable input (keep_going): {e}");
                stats.failed_files.push(FailedFile {
                    path: path.display().to_string(),
                    error: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
    }

    stats.rows_out = notes.finish()?;
    quarantine
        .flush()
        .map_err(|e| PathError::new("writing", &quarantine_path, e))?;
    quarantine.commit()?;
    let quarantined = stats.rows_quarantined();
    if stats.rows_in != stats.rows_out + quarantined {
        return Err(IngestError::NotConserved {
            rows_in: stats.rows_in,
            rows_out: stats.rows_out,
            quarantined,
        });
    }
    stats.bytes_out = std::fs::metadata(ctx.out_dir.join(NOTES_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(stats)
}

/// Where ingested rows go.
struct Sinks<'a> {
    seen: &'a mut HashSet<Box<str>>,
    notes: &'a mut NotesWriter,
    quarantine: &'a mut AtomicFile,
    stats: &'a mut StageStats,
}

/// Bytes of an input: a file's size, or the sum over a folder's files.
fn input_size(path: &Path) -> u64 {
    if !path.is_dir() {
        return std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| input_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// Whether a row belongs to `owner` (always, when there is no owner): rows
/// with a note id by its hash, unreadable rows by their locator, so that
/// across workers every row is counted exactly once.
fn owned(row: &RawRow, owner: Option<RankSlice>) -> bool {
    let Some(slice) = owner else { return true };
    match row
        .fields
        .as_ref()
        .ok()
        .and_then(|f| f.note_id.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => slice.owns(id),
        None => slice.owns(&row.locator),
    }
}

/// Reads one input file; rows already written stay written when a later
/// batch fails (the stage then fails as a whole, or, with `keep_going`, the
/// rows read before the failure are kept and counted).
fn ingest_file(
    path: &Path,
    config: &IngestConfig,
    base_dir: &Path,
    normaliser: &Normaliser<'_>,
    owner: Option<RankSlice>,
    sinks: &mut Sinks<'_>,
    task: &crate::report::ProgressTask,
) -> Result<(), IngestError> {
    let format = config
        .format
        .or_else(|| InputFormat::guess(path))
        .ok_or_else(|| IngestError::File {
            path: path.to_path_buf(),
            message: "unknown format; set `format`".into(),
        })?;
    let mut source: Box<dyn RowSource> = match format {
        InputFormat::Jsonl => Box::new(jsonl::JsonlSource::open(path, &config.columns)?),
        InputFormat::Csv => Box::new(csv::CsvSource::open(path, &config.columns, &config.csv)?),
        InputFormat::Parquet => Box::new(parquet_in::ParquetSource::open(path, &config.columns)?),
        InputFormat::Txt => {
            let sidecar = config
                .txt
                .sidecar
                .as_ref()
                .map(|s| crate::pipeline::resolve(base_dir, s));
            Box::new(txt::TxtSource::open(
                path,
                &config.txt,
                sidecar.as_deref(),
                &config.columns,
            )?)
        }
    };
    let Sinks {
        seen,
        notes,
        quarantine,
        stats,
    } = sinks;
    let mut bytes_before = 0;
    let result = (|| {
        while let Some(mut rows) = source.next_rows()? {
            if owner.is_some() {
                let before = rows.len() as u64;
                rows.retain(|r| owned(r, owner));
                stats.count("rows_for_other_workers", before - rows.len() as u64);
            }
            let n = rows.len() as u64;
            stats.rows_in += n;
            let normalised: Vec<Normalised> = rows
                .into_par_iter()
                .map(|r| normaliser.normalise(r))
                .collect();
            for item in normalised {
                match item {
                    Normalised::Note(note, changes) => {
                        if !seen.insert(note.note_id.as_str().into()) {
                            let rejection = Rejection::new(
                                Reason::DuplicateNoteId,
                                "note id seen earlier in this ingest",
                            );
                            write_quarantine(
                                quarantine,
                                &note.source,
                                Some(&note.note_id),
                                &rejection,
                            )?;
                            stats.quarantine(rejection.reason.as_str(), 1);
                            continue;
                        }
                        for c in changes {
                            stats.count(c, 1);
                        }
                        stats.count(&format!("doc_type.{}", note.doc_type), 1);
                        notes.write(note)?;
                    }
                    Normalised::Rejected {
                        locator,
                        note_id,
                        rejection,
                    } => {
                        write_quarantine(quarantine, &locator, note_id.as_deref(), &rejection)?;
                        stats.quarantine(rejection.reason.as_str(), 1);
                    }
                }
            }
            let bytes = source.bytes_read();
            stats.bytes_in += bytes - bytes_before;
            bytes_before = bytes;
            task.inc(n);
        }
        Ok(())
    })();
    stats.count("input_files", 1);
    result
}

/// What [`scan_bytes`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Rows read.
    pub rows: u64,
    /// Rows that became notes (before duplicate detection).
    pub notes: u64,
    /// Rows rejected, by reason.
    pub rejected: std::collections::BTreeMap<&'static str, u64>,
}

/// Reads `bytes` as one source file of `format` and checks every row,
/// writing nothing. The entry point of the ingest fuzz targets; also handy to
/// test a reader on data in memory. `txt` reads the bytes as one note.
pub fn scan_bytes(
    format: InputFormat,
    bytes: Vec<u8>,
    config: &IngestConfig,
) -> Result<ScanSummary, IngestError> {
    let label = Path::new("<bytes>");
    let total = bytes.len() as u64;
    let mut source: Box<dyn RowSource> = match format {
        InputFormat::Jsonl => Box::new(jsonl::JsonlSource::from_reader(
            label,
            Box::new(std::io::Cursor::new(bytes)),
            &config.columns,
        )),
        InputFormat::Csv => {
            let delimiter = csv::sniff_delimiter_in(&bytes);
            Box::new(csv::CsvSource::from_reader(
                label,
                Box::new(std::io::Cursor::new(bytes)),
                delimiter,
                &config.columns,
            )?)
        }
        InputFormat::Parquet => Box::new(parquet_in::ParquetSource::from_chunks(
            label,
            ::bytes::Bytes::from(bytes),
            total,
            &config.columns,
        )?),
        InputFormat::Txt => {
            let text = String::from_utf8(bytes).map_err(|e| {
                Rejection::new(
                    Reason::InvalidUtf8,
                    format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                )
            });
            let fields = text.map(|t| row::RawFields {
                note_id: Some("<bytes>".into()),
                patient_id: Some("<bytes>".into()),
                text: Some(t),
                ..row::RawFields::default()
            });
            Box::new(
                std::iter::once(RawRow {
                    locator: "<bytes>".into(),
                    fields,
                })
                .collect::<OneBatch>(),
            )
        }
    };
    let normaliser = Normaliser::new(config);
    let mut summary = ScanSummary::default();
    while let Some(rows) = source.next_rows()? {
        summary.rows += rows.len() as u64;
        for item in rows.into_iter().map(|r| normaliser.normalise(r)) {
            match item {
                Normalised::Note(..) => summary.notes += 1,
                Normalised::Rejected { rejection, .. } => {
                    *summary
                        .rejected
                        .entry(rejection.reason.as_str())
                        .or_default() += 1
                }
            }
        }
    }
    Ok(summary)
}

/// A source that yields one prepared batch.
struct OneBatch(Option<Vec<RawRow>>);

impl FromIterator<RawRow> for OneBatch {
    fn from_iter<I: IntoIterator<Item = RawRow>>(iter: I) -> Self {
        OneBatch(Some(iter.into_iter().collect()))
    }
}

impl RowSource for OneBatch {
    fn next_rows(&mut self) -> Result<Option<Vec<RawRow>>, IngestError> {
        Ok(self.0.take())
    }

    fn bytes_read(&self) -> u64 {
        0
    }
}

fn write_quarantine(
    out: &mut AtomicFile,
    locator: &str,
    note_id: Option<&str>,
    rejection: &Rejection,
) -> Result<(), IngestError> {
    let record = QuarantineRecord {
        source: locator,
        note_id,
        reason: rejection.reason.as_str(),
        detail: &rejection.detail,
    };
    let target = out.target().to_path_buf();
    let mut line = serde_json::to_vec(&record)
        .map_err(|e| PathError::new("serialising", &target, std::io::Error::other(e)))?;
    line.push(b'\n');
    out.write_all(&line)
        .map_err(|e| PathError::new("writing", &target, e))?;
    Ok(())
}
