//! The stage registry: every stage type a pipeline file may name, with its
//! config, its checks and its runtime. Adding a stage means adding a variant
//! here and nothing else in the runner.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::FieldIssue;
use super::stage::{StageContext, StageStats};
use crate::audit::AuditConfig;
use crate::deid::DeidConfig;
use crate::eval::stage::EvaluateConfig;
use crate::ingest::IngestConfig;
use crate::langid::LangidConfig;
use crate::tokenize::TokenizeConfig;
use crate::train::TrainConfig;

/// Stage types this build can run.
pub const STAGE_TYPES: &[&str] = &[
    "ingest", "deid", "audit", "langid", "tokenize", "pretrain", "evaluate",
];

/// One stage of a pipeline file, tagged by `type`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StageConfig {
    /// Read sources into canonical notes, quarantining bad rows.
    Ingest(IngestConfig),
    /// Detect identifiers and replace them with keyed surrogates.
    Deid(DeidConfig),
    /// Tag each note and paragraph as bokmål, nynorsk, mixed, other or unknown.
    Langid(LangidConfig),
    /// Tokenize notes into Parquet shards split by patient.
    Tokenize(TokenizeConfig),
    /// Audit the notes of the previous stage (or `input`) for residual
    /// identifiers; fails the run on release blockers when `gate` is on.
    Audit(AuditConfig),
    /// Pre-train (or continue pre-training) a BERT masked-LM from shards.
    Pretrain(TrainConfig),
    /// Score checkpoints: masked LM and downstream tasks, side by side.
    Evaluate(EvaluateConfig),
}

/// A stage failure, with the stage's own typed error inside.
pub type StageError = Box<dyn std::error::Error + Send + Sync>;

impl StageConfig {
    /// The `type` name.
    pub fn kind(&self) -> &'static str {
        match self {
            StageConfig::Ingest(_) => "ingest",
            StageConfig::Langid(_) => "langid",
            StageConfig::Tokenize(_) => "tokenize",
            StageConfig::Deid(_) => "deid",
            StageConfig::Audit(_) => "audit",
            StageConfig::Pretrain(_) => "pretrain",
            StageConfig::Evaluate(_) => "evaluate",
        }
    }

    /// Whether the stage writes a `notes.parquet` later stages read.
    pub fn produces_notes(&self) -> bool {
        match self {
            StageConfig::Ingest(_) => true,
            StageConfig::Langid(_) => true,
            StageConfig::Tokenize(_) => false,
            StageConfig::Deid(_) => true,
            StageConfig::Audit(_) => false,
            StageConfig::Pretrain(_) => false,
            StageConfig::Evaluate(_) => false,
        }
    }

    /// Whether the stage reads the notes of an earlier stage.
    pub fn needs_notes(&self) -> bool {
        match self {
            StageConfig::Ingest(_) => false,
            StageConfig::Langid(_) => true,
            StageConfig::Tokenize(_) => true,
            StageConfig::Deid(c) => c.input.is_none(),
            StageConfig::Audit(c) => c.input.is_none(),
            StageConfig::Pretrain(_) => false,
            StageConfig::Evaluate(_) => false,
        }
    }

    /// Files outside the run directory the stage reads (for staleness).
    pub fn external_inputs(&self, base_dir: &Path) -> Vec<std::path::PathBuf> {
        match self {
            StageConfig::Ingest(c) => c.input_paths(base_dir),
            StageConfig::Langid(_) => Vec::new(),
            StageConfig::Tokenize(c) => c.input_paths(base_dir),
            StageConfig::Deid(c) => c.input_paths(base_dir),
            StageConfig::Audit(c) => c.input_paths(base_dir),
            StageConfig::Pretrain(c) => c.input_paths(base_dir),
            StageConfig::Evaluate(c) => c.input_paths(base_dir),
        }
    }

    /// Checks the config against the file system and its own rules.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        match self {
            StageConfig::Ingest(c) => c.check(base_dir),
            StageConfig::Langid(c) => c.check(base_dir),
            StageConfig::Tokenize(c) => c.check(base_dir),
            StageConfig::Deid(c) => c.check(base_dir),
            StageConfig::Audit(c) => c.check(base_dir),
            StageConfig::Pretrain(c) => c.check(base_dir),
            StageConfig::Evaluate(c) => c.check(base_dir),
        }
    }

    /// Runs the stage.
    pub fn run(&self, ctx: &StageContext<'_>) -> Result<StageStats, StageError> {
        match self {
            StageConfig::Ingest(c) => Ok(crate::ingest::run_stage(c, ctx)?),
            StageConfig::Langid(c) => Ok(crate::langid::run_stage(c, ctx)?),
            StageConfig::Tokenize(c) => Ok(crate::tokenize::run_stage(c, ctx)?),
            StageConfig::Deid(c) => Ok(crate::deid::run_stage(c, ctx)?),
            StageConfig::Audit(c) => Ok(crate::audit::run_stage(c, ctx)?),
            StageConfig::Pretrain(c) => Ok(crate::train::stage::run_stage(c, ctx)?),
            StageConfig::Evaluate(c) => Ok(crate::eval::stage::run_stage(c, ctx)?),
        }
    }
}
