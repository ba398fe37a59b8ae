//! Scale-out: a worker's deterministic share of a run.
//!
//! `norclin run --rank R --world-size W` (or, when the flags are absent,
//! `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, then
//! `JOB_COMPLETION_INDEX` with `NORCLIN_WORLD_SIZE`) runs one worker of W.
//! Each worker writes into `RUN_DIR/rank-RRRRR-of-WWWWW/`; `norclin merge`
//! joins them. Inputs are shared out by file (largest first, each to the
//! least-loaded worker) and, for files larger than a threshold, by a hash of
//! the note id, so one huge export does not become one slow task.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Errors in rank settings.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct SliceError(pub String);

/// One worker's place in a scaled-out run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankSlice {
    /// This worker, `0..world_size`.
    pub rank: u32,
    /// Number of workers.
    pub world_size: u32,
}

/// How a worker reads one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileShare {
    /// The worker reads the whole file.
    Whole,
    /// The worker reads the rows whose note id hashes to it.
    ByNoteId,
}

impl RankSlice {
    /// Checks `rank < world_size`, `world_size ≥ 1`.
    pub fn new(rank: u32, world_size: u32) -> Result<Self, SliceError> {
        if world_size == 0 || rank >= world_size {
            return Err(SliceError(format!(
                "rank {rank} is not within a world of size {world_size} (ranks are 0..world_size)"
            )));
        }
        Ok(RankSlice { rank, world_size })
    }

    /// Rank settings from the scheduler's environment: Slurm arrays
    /// (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, of
    /// `SLURM_ARRAY_TASK_COUNT`), then Kubernetes Indexed Jobs
    /// (`JOB_COMPLETION_INDEX` of `NORCLIN_WORLD_SIZE`). `None` when neither
    /// is set.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, SliceError> {
        let num = |name: &str| -> Result<Option<u32>, SliceError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| SliceError(format!("{name}={v} is not a whole number"))),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = num("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                SliceError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into())
            })?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let rank = id.checked_sub(min).ok_or_else(|| {
                SliceError("SLURM_ARRAY_TASK_ID below SLURM_ARRAY_TASK_MIN".into())
            })?;
            return Self::new(rank, count).map(Some);
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num("NORCLIN_WORLD_SIZE")?.ok_or_else(|| {
                SliceError("JOB_COMPLETION_INDEX is set: also set NORCLIN_WORLD_SIZE (the job's completions)".into())
            })?;
            return Self::new(index, count).map(Some);
        }
        Ok(None)
    }

    /// The worker's folder name inside the run directory.
    pub fn dir_name(&self) -> String {
        format!("rank-{:05}-of-{:05}", self.rank, self.world_size)
    }

    /// Whether rows keyed by `key` belong to this worker.
    pub fn owns(&self, key: &str) -> bool {
        xxhash_rust::xxh3::xxh3_64(key.as_bytes()) % u64::from(self.world_size)
            == u64::from(self.rank)
    }

    /// This worker's share of `inputs` (path and size in bytes): files over
    /// `split_over_bytes` are read by every worker for the rows it owns;
    /// the others go whole, largest first, to the least-loaded worker (ties
    /// to the lowest rank). The same on every worker, so shares never overlap.
    pub fn share(
        &self,
        inputs: &[(PathBuf, u64)],
        split_over_bytes: u64,
    ) -> Vec<(PathBuf, FileShare)> {
        let mut whole: Vec<(usize, u64)> = inputs
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| *s <= split_over_bytes)
            .map(|(i, (_, s))| (i, *s))
            .collect();
        whole.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut load = vec![0u64; self.world_size as usize];
        let mut mine = vec![false; inputs.len()];
        for (i, size) in whole {
            let (worker, _) = load
                .iter()
                .enumerate()
                .min_by_key(|(w, l)| (**l, *w))
                .unwrap_or((0, &0));
            load[worker] += size.max(1);
            mine[i] = worker == self.rank as usize;
        }
        inputs
            .iter()
            .enumerate()
            .filter_map(|(i, (path, size))| {
                if *size > split_over_bytes {
                    Some((path.clone(), FileShare::ByNoteId))
                } else if mine[i] {
                    Some((path.clone(), FileShare::Whole))
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_every_file_exactly_once_and_split_big_ones() {
        let inputs: Vec<(PathBuf, u64)> = [10, 500, 30, 30, 7, 2000]
            .iter()
            .enumerate()
            .map(|(i, s)| (PathBuf::from(format!("f{i}")), *s))
            .collect();
        let mut whole_count = vec![0; inputs.len()];
        for rank in 0..3 {
            let s = RankSlice::new(rank, 3).unwrap();
            for (path, share) in s.share(&inputs, 1000) {
                let i = inputs.iter().position(|(p, _)| *p == path).unwrap();
                match share {
                    FileShare::Whole => whole_count[i] += 1,
                    FileShare::ByNoteId => assert_eq!(i, 5),
                }
            }
        }
        assert_eq!(whole_count, vec![1, 1, 1, 1, 1, 0]);
    }

    #[test]
    fn every_key_has_exactly_one_owner() {
        let ranks: Vec<RankSlice> = (0..4).map(|r| RankSlice::new(r, 4).unwrap()).collect();
        for k in 0..1000 {
            let key = format!("note-{k}");
            assert_eq!(ranks.iter().filter(|r| r.owns(&key)).count(), 1);
        }
    }

    #[test]
    fn environment_fallbacks() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(RankSlice::from_env(env(&[])).unwrap(), None);
        let s = RankSlice::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]));
        assert_eq!(
            s.unwrap(),
            Some(RankSlice {
                rank: 2,
                world_size: 4
            })
        );
        let s = RankSlice::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "1"),
            ("NORCLIN_WORLD_SIZE", "2"),
        ]));
        assert_eq!(
            s.unwrap(),
            Some(RankSlice {
                rank: 1,
                world_size: 2
            })
        );
        assert!(RankSlice::from_env(env(&[("JOB_COMPLETION_INDEX", "1")])).is_err());
        assert!(RankSlice::new(4, 4).is_err());
    }
}
