//! Pipelines: files that list stages, and the runner that executes them into
//! a run directory with completion markers, resumability and reports.

mod config;
mod merge;
mod run;
mod slice;
mod stage;
mod stages;

pub use config::{
    ConfigErrors, ConfigIssue, DEMO_PIPELINE, FieldIssue, PIPELINE_VERSION, Pipeline,
    PipelineConfig,
};
pub use merge::{MERGED_DIR, MergeError, MergeSummary, MergedStage, merge_ranks};
pub use run::{
    RunError, RunOptions, RunOutcome, STARTED_MARKER, SUCCESS_MARKER, run_pipeline,
    run_single_stage,
};
pub use slice::{FileShare, RankSlice, SliceError};
pub use stage::{FailedFile, StageContext, StageStats, resolve};
pub use stages::{STAGE_TYPES, StageConfig, StageError};
