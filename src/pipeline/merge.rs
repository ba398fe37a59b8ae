//! `norclin merge`: joins the workers of a scaled-out run into one report
//! and checks that nothing is missing or duplicated.
//!
//! Every rank folder `rank-RRRRR-of-WWWWW` must be present, every stage of
//! every rank complete, with the same config hash on every rank. Note ids
//! in each notes-producing stage must be unique across ranks. The merged
//! `report.json`/`report.md` (stage counts summed over ranks) and
//! `merged.json` (per stage: ranks' output files) are written into the run
//! directory.
//!
//! Token shards are joined too: for a tokenize stage `NN-tokenize`, every
//! rank must have used the same tokenizer (SHA-256), vocabulary size, id
//! type, maximum length, packing mode, seed, split rule, special tokens and
//! schema; merge then writes `RUN_DIR/merged/NN-tokenize/manifest.json`, an
//! ordinary [`Manifest`] whose shard entries are paths relative to that
//! folder (`../../rank-00001-of-00004/NN-tokenize/shard-00000.parquet`), in
//! rank order, with the corpus summary (sequences, tokens and notes per
//! split, …) summed over ranks, beside a copy of the tokenizer. The shard
//! reader, `pretrain --shards` and `norclin report` read it like any shard
//! folder; nothing is copied but the tokenizer.

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
use crate::shard::{CorpusSummary, MANIFEST_FILE, Manifest, ShardError};

/// Folder of the run directory where merge writes joined stage outputs.
pub const MERGED_DIR: &str = "merged";

/// A rank's stage folder and its completion marker, if complete.
type StageMarker = (String, Option<Success>);

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
    /// Writing the merged token manifest failed.
    #[error(transparent)]
    Shard(#[from] ShardError),
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
    /// The joined output, relative to the run directory, when the stage
    /// has one (`merged/04-tokenize` for token shards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged: Option<String>,
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
    let mut per_rank: Vec<(u32, Vec<StageMarker>)> = Vec::new();
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
    let mut to_write: Vec<JoinedShards> = Vec::new();
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
        let joined = if head.outputs.contains_key(MANIFEST_FILE) {
            merge_token_shards(run_dir, name, &ranks, &mut problems)?
        } else {
            None
        };
        let joined_dir = joined.as_ref().map(|j| j.rel_dir.clone());
        to_write.extend(joined);
        merged.push(MergedStage {
            name: name.clone(),
            kind: head.kind.clone(),
            config_hash: head.config_hash.clone(),
            parts,
            rows_out: total.stats.rows_out,
            merged: joined_dir,
        });
        reports.push(stage_report(&total, "merged"));
    }
    if !problems.is_empty() {
        return inconsistent(run_dir, problems);
    }
    for j in &to_write {
        j.write(run_dir)?;
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

/// Checks that the token manifests of stage `name` agree on everything that
/// makes shards interchangeable and writes the joined manifest (see the
/// module documentation). Disagreements are added to `problems`, naming the
/// rank. Returns what to write once the whole merge has passed.
fn merge_token_shards(
    run_dir: &Path,
    name: &str,
    ranks: &BTreeMap<u32, (u32, PathBuf)>,
    problems: &mut Vec<String>,
) -> Result<Option<JoinedShards>, MergeError> {
    let mut manifests: Vec<(u32, String, Manifest)> = Vec::new();
    for (rank, (_, dir)) in ranks {
        let stage_dir = dir.join(name);
        match Manifest::load(&stage_dir) {
            Ok(m) => manifests.push((*rank, rel(run_dir, dir), m)),
            Err(e) => problems.push(format!("stage {name}: rank {rank}: {e}")),
        }
    }
    let Some((r0, _, head)) = manifests.first() else {
        return Ok(None);
    };
    let before = problems.len();
    for (rank, rank_dir, m) in &manifests {
        let mut differs = |what: &str, theirs: String, ours: String| {
            if theirs != ours {
                problems.push(format!(
                    "stage {name}: rank {rank} used {what} {theirs}, rank {r0} used {ours}: \
                     ranks must tokenize with the same settings and tokenizer file"
                ));
            }
        };
        differs(
            "schema",
            m.schema_version.clone(),
            head.schema_version.clone(),
        );
        differs(
            "tokenizer sha256",
            m.tokenizer_sha256.clone(),
            head.tokenizer_sha256.clone(),
        );
        differs(
            "vocab size",
            m.vocab_size.to_string(),
            head.vocab_size.to_string(),
        );
        differs(
            "dtype",
            m.dtype.as_str().to_string(),
            head.dtype.as_str().to_string(),
        );
        differs("max_len", m.max_len.to_string(), head.max_len.to_string());
        differs("mode", m.mode.clone(), head.mode.clone());
        differs("split seed", m.seed.to_string(), head.seed.to_string());
        differs(
            "split rule",
            format!("{:?}", m.split_rule),
            format!("{:?}", head.split_rule),
        );
        differs(
            "special tokens",
            format!("{:?}", m.special_tokens),
            format!("{:?}", head.special_tokens),
        );
        for s in &m.shards {
            let path = run_dir.join(rank_dir).join(name).join(&s.file);
            match fs::metadata(&path) {
                Ok(meta) if meta.len() == s.bytes => {}
                Ok(meta) => problems.push(format!(
                    "stage {name}: rank {rank}: {} has {} bytes, its manifest says {}",
                    s.file,
                    meta.len(),
                    s.bytes
                )),
                Err(_) => problems.push(format!(
                    "stage {name}: rank {rank}: shard {} is missing",
                    s.file
                )),
            }
        }
    }
    if problems.len() > before {
        return Ok(None);
    }

    let (_, rank0_dir, _) = &manifests[0];
    let tokenizer_from = run_dir.join(rank0_dir).join(name);
    let mut joined = head.clone();
    joined.shards.clear();
    joined.summary = CorpusSummary::default();
    let mut unit_base = 0u64;
    for (_, rank_dir, m) in &manifests {
        let next_base = unit_base + m.shards.iter().map(|s| s.unit + 1).max().unwrap_or(0);
        for s in &m.shards {
            let mut e = s.clone();
            e.file = format!("../../{rank_dir}/{name}/{}", s.file);
            e.unit = unit_base + s.unit;
            joined.shards.push(e);
        }
        joined.summary.merge(&m.summary);
        unit_base = next_base;
    }
    Ok(Some(JoinedShards {
        rel_dir: format!("{MERGED_DIR}/{name}"),
        tokenizer_from,
        manifest: joined,
    }))
}

/// A merged token manifest, written once every check has passed.
struct JoinedShards {
    /// `merged/NN-tokenize`, relative to the run directory.
    rel_dir: String,
    /// Stage folder of the first rank, whose tokenizer files are copied.
    tokenizer_from: PathBuf,
    /// The joined manifest.
    manifest: Manifest,
}

impl JoinedShards {
    fn write(&self, run_dir: &Path) -> Result<(), MergeError> {
        let out = run_dir.join(&self.rel_dir);
        fs::create_dir_all(&out).map_err(|e| PathError::new("creating", &out, e))?;
        for file in [
            self.manifest.tokenizer_file.as_str(),
            "tokenizer_config.json",
        ] {
            let src = self.tokenizer_from.join(file);
            if src.is_file() {
                let bytes = fs::read(&src).map_err(|e| PathError::new("reading", &src, e))?;
                fsio::write_atomic(out.join(file), &bytes)?;
            }
        }
        self.manifest.save(&out)?;
        Ok(())
    }
}
