//! The runner: executes a pipeline's stages into a run directory.
//!
//! Layout of a run directory:
//!
//! ```text
//! RUN_DIR/
//!   report.json  report.md     the run report (rewritten by every run)
//!   01-ingest/                 one folder per stage, numbered in order
//!     notes.parquet …          the stage's outputs, each written atomically
//!     _STARTED.json            config and input hashes of the attempt
//!     _SUCCESS.json            completion marker: hashes, outputs, stats
//! ```
//!
//! A stage is skipped when its `_SUCCESS.json` matches the hash of its
//! config and inputs (external files and the output hash of the stage it
//! reads) and its outputs are all present with their recorded sizes. A stage
//! whose config or inputs changed starts from an empty folder; a stage that
//! was killed (a `_STARTED.json` with the same hashes, no `_SUCCESS.json`)
//! keeps its completed units so it can resume, and loses only temporaries.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::Pipeline;
use super::slice::RankSlice;
use super::stage::{StageContext, StageStats};
use super::stages::{StageConfig, StageError};
use crate::fsio::{self, PathError};
use crate::report::{self, Progress, RunReport, StageReport};

/// How to run a pipeline.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Overrides the pipeline file's `run_dir`.
    pub run_dir: Option<PathBuf>,
    /// Pseudonymisation key file for stages that need one.
    pub key_file: Option<PathBuf>,
    /// Progress display.
    pub progress: Progress,
    /// This worker's share of a scaled-out run; its outputs go to
    /// `RUN_DIR/rank-RRRRR-of-WWWWW/`.
    pub slice: Option<RankSlice>,
}

impl RunOptions {
    /// Defaults: the pipeline's run directory, no key file, the whole run.
    pub fn new(progress: Progress) -> Self {
        RunOptions {
            run_dir: None,
            key_file: None,
            progress,
            slice: None,
        }
    }
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The report that was written.
    pub report: RunReport,
    /// Path of `report.json`.
    pub report_json: PathBuf,
    /// Path of `report.md`.
    pub report_md: PathBuf,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// File-system error in the run directory.
    #[error(transparent)]
    Io(#[from] PathError),
    /// A stage failed.
    #[error("stage {stage} failed")]
    Stage {
        /// Stage folder name (`02-deid`).
        stage: String,
        /// The stage's error.
        #[source]
        source: StageError,
    },
    /// A stage needs notes but no earlier stage produces them.
    #[error("stage {stage} reads notes, but no earlier stage produces notes.parquet")]
    NoNotes {
        /// Stage folder name.
        stage: String,
    },
}

/// Name of the completion marker in a stage folder.
pub const SUCCESS_MARKER: &str = "_SUCCESS.json";
/// Name of the attempt marker in a stage folder.
pub const STARTED_MARKER: &str = "_STARTED.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Attempt {
    config_hash: String,
    input_hash: String,
}

/// The completion marker of a stage (`_SUCCESS.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Success {
    pub(crate) stage: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) config_hash: String,
    pub(crate) input_hash: String,
    pub(crate) output_hash: String,
    pub(crate) outputs: BTreeMap<String, u64>,
    pub(crate) wall_s: f64,
    pub(crate) peak_rss_bytes: u64,
    pub(crate) stats: StageStats,
}

/// Runs every stage of `pipeline` in order and writes the run report.
pub fn run_pipeline(pipeline: &Pipeline, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    let mut run_dir = opts.run_dir.clone().unwrap_or_else(|| pipeline.run_dir());
    if let Some(slice) = opts.slice {
        run_dir = run_dir.join(slice.dir_name());
    }
    fs::create_dir_all(&run_dir)
        .map_err(|e| PathError::new("creating run directory", &run_dir, e))?;
    fsio::remove_temporaries(&run_dir)?;

    let mut reports = Vec::new();
    let mut notes: Option<(PathBuf, String)> = None;
    for (i, stage) in pipeline.config.stages.iter().enumerate() {
        let name = format!("{:02}-{}", i + 1, stage.kind());
        let dir = run_dir.join(&name);
        if stage.needs_notes() && notes.is_none() {
            return Err(RunError::NoNotes { stage: name });
        }
        let attempt = Attempt {
            config_hash: config_hash(stage),
            input_hash: input_hash(
                stage,
                &pipeline.base_dir,
                notes.as_ref().map(|n| n.1.as_str()),
            )?,
        };
        let success = match up_to_date(&dir, &attempt) {
            Some(done) => {
                tracing::info!("{name}: complete and up to date, skipped");
                reports.push(stage_report(&done, "skipped"));
                done
            }
            None => {
                let done = run_stage(stage, &name, &dir, &attempt, pipeline, opts, notes.as_ref())?;
                reports.push(stage_report(&done, "ran"));
                done
            }
        };
        if stage.produces_notes() {
            notes = Some((dir, success.output_hash.clone()));
        }
    }

    let peak = report::peak_rss_bytes();
    write_report(&pipeline.origin, &run_dir, started, peak, reports)
}

/// Writes `report.json` and `report.md` into `dir`.
pub(crate) fn write_report(
    origin: &str,
    dir: &Path,
    started: Instant,
    peak_rss_bytes: u64,
    stages: Vec<StageReport>,
) -> Result<RunOutcome, RunError> {
    let report = RunReport {
        report_version: report::REPORT_VERSION,
        norclin_version: env!("CARGO_PKG_VERSION").to_string(),
        pipeline: origin.to_string(),
        run_dir: dir.display().to_string(),
        threads: rayon::current_num_threads(),
        wall_s: started.elapsed().as_secs_f64(),
        peak_rss_bytes,
        stages,
    };
    let report_json = dir.join("report.json");
    let report_md = dir.join("report.md");
    fsio::write_json_atomic(&report_json, &report)?;
    fsio::write_atomic(&report_md, report::render_markdown(&report).as_bytes())?;
    Ok(RunOutcome {
        report,
        report_json,
        report_md,
    })
}

fn run_stage(
    stage: &StageConfig,
    name: &str,
    dir: &Path,
    attempt: &Attempt,
    pipeline: &Pipeline,
    opts: &RunOptions,
    notes: Option<&(PathBuf, String)>,
) -> Result<Success, RunError> {
    let _ = fs::remove_file(dir.join(SUCCESS_MARKER));
    let previous: Option<Attempt> = read_json(&dir.join(STARTED_MARKER));
    if previous.as_ref() != Some(attempt) && dir.exists() {
        tracing::info!("{name}: config or inputs changed since the last attempt; starting afresh");
        fs::remove_dir_all(dir).map_err(|e| PathError::new("clearing stage folder", dir, e))?;
    } else if dir.exists() {
        let n = fsio::remove_temporaries(dir)?;
        tracing::info!("{name}: resuming an interrupted attempt ({n} temporary files removed)");
    }
    fs::create_dir_all(dir).map_err(|e| PathError::new("creating stage folder", dir, e))?;
    fsio::write_json_atomic(dir.join(STARTED_MARKER), attempt)?;

    tracing::info!("{name}: running");
    report::reset_peak_rss();
    let t0 = Instant::now();
    let ctx = StageContext {
        out_dir: dir,
        notes_dir: notes.map(|n| n.0.as_path()),
        base_dir: &pipeline.base_dir,
        key_file: opts.key_file.as_deref(),
        progress: &opts.progress,
        slice: opts.slice,
    };
    let stats = stage.run(&ctx).map_err(|source| RunError::Stage {
        stage: name.to_string(),
        source,
    })?;
    let wall_s = t0.elapsed().as_secs_f64();
    let peak_rss_bytes = report::peak_rss_bytes();

    let outputs = list_outputs(dir)?;
    let success = Success {
        stage: name.to_string(),
        kind: stage.kind().to_string(),
        config_hash: attempt.config_hash.clone(),
        input_hash: attempt.input_hash.clone(),
        output_hash: fsio::fingerprint(dir)?,
        outputs,
        wall_s,
        peak_rss_bytes,
        stats,
    };
    fsio::write_json_atomic(dir.join(SUCCESS_MARKER), &success)?;
    tracing::info!(
        "{name}: done in {wall_s:.2} s ({} rows in, {} out, {} quarantined)",
        success.stats.rows_in,
        success.stats.rows_out,
        success.stats.rows_quarantined()
    );
    Ok(success)
}

fn up_to_date(dir: &Path, attempt: &Attempt) -> Option<Success> {
    let done: Success = read_json(&dir.join(SUCCESS_MARKER))?;
    if done.config_hash != attempt.config_hash || done.input_hash != attempt.input_hash {
        return None;
    }
    let intact = done.outputs.iter().all(|(rel, size)| {
        fs::metadata(dir.join(rel))
            .map(|m| m.len() == *size)
            .unwrap_or(false)
    });
    intact.then_some(done)
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn config_hash(stage: &StageConfig) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(serde_json::to_vec(stage).unwrap_or_default());
    fsio::hex(&h.finalize())
}

fn input_hash(
    stage: &StageConfig,
    base_dir: &Path,
    notes_hash: Option<&str>,
) -> Result<String, RunError> {
    let mut h = Sha256::new();
    if stage.needs_notes() {
        h.update(notes_hash.unwrap_or_default().as_bytes());
    }
    for path in stage.external_inputs(base_dir) {
        h.update(path.display().to_string().as_bytes());
        h.update(fsio::fingerprint(&path)?.as_bytes());
    }
    Ok(fsio::hex(&h.finalize()))
}

/// Every output file of a stage folder (relative path → size), markers and
/// temporaries excluded.
fn list_outputs(dir: &Path) -> Result<BTreeMap<String, u64>, PathError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(|e| PathError::new("listing", &d, e))? {
            let entry = entry.map_err(|e| PathError::new("listing", &d, e))?;
            let path = entry.path();
            let fname = entry.file_name().to_string_lossy().into_owned();
            if fname.starts_with('.') || fname.starts_with('_') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let size = entry
                    .metadata()
                    .map_err(|e| PathError::new("reading", &path, e))?
                    .len();
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, size);
            }
        }
    }
    Ok(out)
}

pub(crate) fn stage_report(done: &Success, status: &str) -> StageReport {
    let throughput = if done.wall_s > 0.0 {
        done.stats.bytes_in as f64 / 1e6 / done.wall_s
    } else {
        0.0
    };
    StageReport {
        name: done.stage.clone(),
        kind: done.kind.clone(),
        status: status.to_string(),
        wall_s: done.wall_s,
        throughput_mb_s: throughput,
        peak_rss_bytes: done.peak_rss_bytes,
        stats: done.stats.clone(),
    }
}

/// Runs one stage directly into `out_dir` (no numbered folder, no markers)
/// and writes `report.json` and `report.md` there. Used by the single-stage
/// verbs (`norclin ingest`, `norclin deid`, …).
pub fn run_single_stage(
    stage: &StageConfig,
    origin: &str,
    base_dir: &Path,
    out_dir: &Path,
    notes_dir: Option<&Path>,
    opts: &RunOptions,
) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    fs::create_dir_all(out_dir)
        .map_err(|e| PathError::new("creating output folder", out_dir, e))?;
    fsio::remove_temporaries(out_dir)?;
    report::reset_peak_rss();
    let ctx = StageContext {
        out_dir,
        notes_dir,
        base_dir,
        key_file: opts.key_file.as_deref(),
        progress: &opts.progress,
        slice: opts.slice,
    };
    let name = stage.kind().to_string();
    let stats = stage.run(&ctx).map_err(|source| RunError::Stage {
        stage: name.clone(),
        source,
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    let done = Success {
        stage: name.clone(),
        kind: name,
        config_hash: config_hash(stage),
        input_hash: String::new(),
        output_hash: String::new(),
        outputs: BTreeMap::new(),
        wall_s,
        peak_rss_bytes: report::peak_rss_bytes(),
        stats,
    };
    write_report(
        origin,
        out_dir,
        started,
        done.peak_rss_bytes,
        vec![stage_report(&done, "ran")],
    )
}
