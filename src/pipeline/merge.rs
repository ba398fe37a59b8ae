//! `norclin merge`: joins the workers of a scaled-out run into one report
//! and checks that nothing is missing or duplicated.
//!
//! Every rank folder `rank-RRRRR-of-WWWWW` must be present, every stage of
//! every rank complete, with the same config hash on every rank. Note ids
//! in each notes-producing stage must be unique across ranks. The merged
//! `report.json`/`report.md` (stage counts summed over ranks) and
//! `merged.json` (per stage: ranks' output files) are written into the run
//! directory.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::run::{STARTED_MARKER, SUCCESS_MARKER, Success, read_json, stage_report, write_report};
use super::stage::StageStats;
use crate::fsio::{self, PathError};
use crate::notes::{NotesIoError, NotesReader};
use crate::report::StageReport;

/// Why ranks cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Reading a notes file failed.
    #[error(transparent)]
    Notes(#[from] NotesIoError),
    /// The ranks do not form a complete, consistent run.
    #[error("cannot merge {dir}:\n  {}", problems.join("\n  "))]
    Inconsistent {
        /// The run directory.
        dir: PathBuf,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Run-report writing failed.
    #[error(transparent)]
    Report(#[from] super::run::RunError),
}

/// What a merge found and wrote.
#[derive(Clone, Debug, Serialize)]
pub struct MergeSummary {
    /// Number of ranks.
    pub world_size: u32,
    /// Per stage (in order): name, type, and each rank's output folder.
    pub stages: Vec<MergedStage>,
}

/// One stage across ranks.
#[derive(Clone, Debug, Serialize)]
pub struct MergedStage {
    /// Stage folder name.
    pub name: String,
    /// Stage type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Config hash shared by every rank.
    pub config_hash: String,
    /// Each rank's stage folder, relative to the run directory.
    pub parts: Vec<String>,
    /// Rows written, summed over ranks.
    pub rows_out: u64,
}

/// Merges the ranks under `run_dir`.
pub fn merge_ranks(run_dir: &Path) -> Result<MergeSummary, MergeError> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut ranks: BTreeMap<u32, (u32, PathBuf)> = BTreeMap::new();
    for entry in fs::read_dir(run_dir).map_err(|e| PathError::new("listing", run_dir, e))? {
        let entry = entry.map_err(|e| PathError::new("listing", run_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((rank, world)) = parse_rank_dir(&name) {
            ranks.insert(rank, (world, entry.path()));
        }
    }
    let worlds: HashSet<u32> = ranks.values().map(|(w, _)| *w).collect();
    let world_size = match (worlds.len(), worlds.iter().next()) {
        (1, Some(w)) => *w,
        (0, _) => return inconsistent(run_dir, vec!["no rank-RRRRR-of-WWWWW folders".into()]),
        _ => {
            return inconsistent(
                run_dir,
                vec![format!("ranks disagree on the world size: {worlds:?}")],
            );
        }
    };
    for r in 0..world_size {
        if !ranks.contains_key(&r) {
            problems.push(format!("rank {r} of {world_size} is missing"));
        }
    }

    // Stage folders of each rank, in order, with their markers.
    let mut per_rank: Vec<(u32, Vec<(String, Option<Success>)>)> = Vec::new();
    for (rank, (_, dir)) in &ranks {
        let mut stages: Vec<String> = fs::read_dir(dir)
            .map_err(|e| PathError::new("listing", dir, e))?
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        stages.sort();
        let stages = stages
            .into_iter()
            .map(|s| {
                let done: Option<Success> = read_json(&dir.join(&s).join(SUCCESS_MARKER));
                if done.is_none() {
                    let state = if dir.join(&s).join(STARTED_MARKER).exists() {
                        "started but not complete"
                    } else {
                        "not complete"
                    };
                    problems.push(format!("rank {rank}: stage {s} is {state}"));
                }
                (s, done)
            })
            .collect();
        per_rank.push((*rank, stages));
    }
    let Some((_, first)) = per_rank.first() else {
        return inconsistent(run_dir, problems);
    };
    let names: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
    for (rank, stages) in &per_rank {
        let theirs: Vec<&String> = stages.iter().map(|(n, _)| n).collect();
        if theirs != names.iter().collect::<Vec<_>>() {
            problems.push(format!(
                "rank {rank} has stages {theirs:?}, rank 0 has {names:?}"
            ));
        }
    }
    if !problems.is_empty() {
        return inconsistent(run_dir, problems);
    }

    let mut merged = Vec::new();
    let mut reports: Vec<StageReport> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let markers: Vec<(u32, &Success)> = per_rank
            .iter()
            .filter_map(|(r, stages)| stages[i].1.as_ref().map(|s| (*r, s)))
            .collect();
        let Some((_, head)) = markers.first() else {
            continue;
        };
        for (r, m) in &markers {
            if m.config_hash != head.config_hash {
                problems.push(format!(
                    "stage {name}: rank {r} ran with a different config than rank 0"
                ));
            }
        }
        let mut total = Success {
            stats: StageStats::default(),
            wall_s: 0.0,
            peak_rss_bytes: 0,
            ..(*head).clone()
        };
        for (_, m) in &markers {
            add_stats(&mut total.stats, &m.stats);
            total.wall_s = total.wall_s.max(m.wall_s);
            total.peak_rss_bytes = total.peak_rss_bytes.max(m.peak_rss_bytes);
        }
        let parts: Vec<String> = ranks
            .values()
            .map(|(_, d)| rel(run_dir, &d.join(name)))
            .collect();
        if head.outputs.contains_key(crate::ingest::NOTES_FILE) {
            let dups = duplicate_note_ids(
                ranks
                    .values()
                    .map(|(_, d)| d.join(name).join(crate::ingest::NOTES_FILE)),
            )?;
            if dups > 0 {
                problems.push(format!(
                    "stage {name}: {dups} note ids occur in more than one rank"
                ));
            }
        }
        merged.push(MergedStage {
            name: name.clone(),
            kind: head.kind.clone(),
            config_hash: head.config_hash.clone(),
            parts,
            rows_out: total.stats.rows_out,
        });
        reports.push(stage_report(&total, "merged"));
    }
    if !problems.is_empty() {
        return inconsistent(run_dir, problems);
    }
    let summary = MergeSummary {
        world_size,
        stages: merged,
    };
    fsio::write_json_atomic(run_dir.join("merged.json"), &summary)?;
    write_report(
        &format!("merge of {world_size} ranks"),
        run_dir,
        started,
        crate::report::peak_rss_bytes(),
        reports,
    )?;
    Ok(summary)
}

fn inconsistent<T>(dir: &Path, problems: Vec<String>) -> Result<T, MergeError> {
    Err(MergeError::Inconsistent {
        dir: dir.to_path_buf(),
        problems,
    })
}

/// `rank-00003-of-00004` → `(3, 4)`.
fn parse_rank_dir(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("rank-")?;
    let (r, w) = rest.split_once("-of-")?;
    Some((r.parse().ok()?, w.parse().ok()?))
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

fn add_stats(total: &mut StageStats, s: &StageStats) {
    total.rows_in += s.rows_in;
    total.rows_out += s.rows_out;
    total.bytes_in += s.bytes_in;
    total.bytes_out += s.bytes_out;
    for (k, v) in &s.quarantined {
        *total.quarantined.entry(k.clone()).or_default() += v;
    }
    for (k, v) in &s.counters {
        *total.counters.entry(k.clone()).or_default() += v;
    }
    total.failed_files.extend(s.failed_files.iter().cloned());
}

/// Counts note ids that occur in more than one of the files (or twice).
fn duplicate_note_ids(files: impl Iterator<Item = PathBuf>) -> Result<u64, MergeError> {
    let mut seen: HashSet<u128> = HashSet::new();
    let mut dups = 0;
    for path in files {
        let mut reader = NotesReader::open(&path)?;
        while let Some(batch) = reader.next_batch()? {
            for note in batch {
                if !seen.insert(xxhash_rust::xxh3::xxh3_128(note.note_id.as_bytes())) {
                    dups += 1;
                }
            }
        }
    }
    Ok(dups)
}
