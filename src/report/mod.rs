//! Run reports (`report.json` for machines, `report.md` for people),
//! progress display, and memory measurement.

mod markdown;
mod progress;
mod rss;

use serde::{Deserialize, Serialize};

use crate::pipeline::StageStats;

pub use markdown::render_markdown;
pub use progress::{Progress, ProgressTask};
pub use rss::{peak_rss_bytes, reset_peak_rss};

/// Version of the report format.
pub const REPORT_VERSION: u32 = 1;

/// The machine-readable report of one run (`report.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Report format version.
    pub report_version: u32,
    /// norclin version that wrote it.
    pub norclin_version: String,
    /// Pipeline file (or `<embedded demo>`).
    pub pipeline: String,
    /// Run directory.
    pub run_dir: String,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time of the whole run, seconds.
    pub wall_s: f64,
    /// Peak resident memory of the process, bytes.
    pub peak_rss_bytes: u64,
    /// One entry per stage, in pipeline order.
    pub stages: Vec<StageReport>,
}

/// One stage's entry in the run report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// Stage directory name (`01-ingest`).
    pub name: String,
    /// Stage type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `ran` or `skipped` (complete and up to date from an earlier run).
    pub status: String,
    /// Wall time, seconds (of the run that did the work).
    pub wall_s: f64,
    /// Input megabytes per second.
    pub throughput_mb_s: f64,
    /// Peak resident memory during the stage, bytes.
    pub peak_rss_bytes: u64,
    /// Counts: kept, changed, dropped with reasons.
    #[serde(flatten)]
    pub stats: StageStats,
}
