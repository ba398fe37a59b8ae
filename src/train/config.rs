//! Configuration of a pre-training run (the `pretrain` stage and verb).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::masking::{MaskRate, MaskingStrategy};
use super::optim::{AdamWConfig, Decay, LrSchedule};
use crate::pipeline::FieldIssue;

/// Where the model computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// The CPU (default).
    #[default]
    Cpu,
    /// The first CUDA GPU (needs the `cuda` build feature).
    Cuda,
}

impl DeviceKind {
    /// Opens the device.
    pub fn open(self) -> candle_core::Result<candle_core::Device> {
        match self {
            DeviceKind::Cpu => Ok(candle_core::Device::Cpu),
            DeviceKind::Cuda => candle_core::Device::new_cuda(0),
        }
    }
}

/// Number format of the forward and backward passes.
///
/// `bf16` is mixed precision: the parameters (master weights) and the AdamW
/// moments stay f32; each step casts the weights to bf16 for the matrix
/// products, activations and gradients, while LayerNorm statistics, the
/// attention softmax and the loss are computed in f32. bf16 keeps f32's
/// exponent range, so no loss scaling is needed. Checkpoints always hold the
/// f32 master weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainDtype {
    /// 32-bit floats throughout (default).
    #[default]
    F32,
    /// bfloat16 compute with f32 master weights and optimizer state.
    Bf16,
}

impl TrainDtype {
    /// The candle dtype the model computes in.
    pub fn compute(self) -> candle_core::DType {
        match self {
            TrainDtype::F32 => candle_core::DType::F32,
            TrainDtype::Bf16 => candle_core::DType::BF16,
        }
    }

    /// The name used in configs and trainer state (`f32`, `bf16`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrainDtype::F32 => "f32",
            TrainDtype::Bf16 => "bf16",
        }
    }

    /// Whether this is the default (`f32`).
    pub fn is_f32(&self) -> bool {
        *self == TrainDtype::F32
    }
}

impl std::fmt::Display for TrainDtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pre-training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Shard directory to read (`manifest.json` + `shard-*.parquet`); the
    /// stage falls back to the previous `tokenize` stage's output.
    #[serde(default)]
    pub shards: Option<PathBuf>,
    /// Model: a preset (`tiny`, `small`, `base`) or a `config.json` path.
    #[serde(default = "default_model")]
    pub model: String,
    /// Start from this HF checkpoint directory instead of random weights
    /// (continued pre-training); its config is used.
    #[serde(default)]
    pub init: Option<PathBuf>,
    /// `tokenizer.json` (default: the one next to the shards).
    #[serde(default)]
    pub tokenizer: Option<PathBuf>,
    /// Optimizer steps.
    pub steps: u64,
    /// Sequences per micro-batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Micro-batches per optimizer step (gradient accumulation).
    #[serde(default = "default_one")]
    pub grad_accum: usize,
    /// Longest sequence fed to the model (longer ones are cut).
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// Peak learning rate, warmup and decay.
    #[serde(default = "default_schedule")]
    pub schedule: LrSchedule,
    /// AdamW hyper-parameters.
    #[serde(default)]
    pub adamw: AdamWConfig,
    /// Clip the global gradient norm to this (0: no clipping).
    #[serde(default = "default_clip")]
    pub clip_norm: f64,
    /// Masking strategy.
    #[serde(default = "default_masking")]
    pub masking: MaskingStrategy,
    /// Masking rate (constant or scheduled).
    #[serde(default)]
    pub mask_rate: MaskRate,
    /// Validation loss every N steps (0: only at the end).
    #[serde(default = "default_eval_every")]
    pub eval_every: u64,
    /// Validation sequences used for the validation loss.
    #[serde(default = "default_eval_sequences")]
    pub eval_sequences: usize,
    /// Checkpoint every N steps (0: only at the end).
    #[serde(default = "default_ckpt_every")]
    pub checkpoint_every: u64,
    /// Log training metrics every N steps.
    #[serde(default = "default_one_u64")]
    pub log_every: u64,
    /// Seed of initialisation, data order, masking and dropout.
    #[serde(default)]
    pub seed: u64,
    /// Device.
    #[serde(default)]
    pub device: DeviceKind,
    /// Compute dtype: `f32` (default) or `bf16` (mixed precision, see
    /// [`TrainDtype`]). Not written when f32, so configs and checkpoint
    /// fingerprints of f32 runs are those of earlier versions.
    #[serde(default, skip_serializing_if = "TrainDtype::is_f32")]
    pub dtype: TrainDtype,
}

fn default_model() -> String {
    "tiny".into()
}
fn default_batch() -> usize {
    16
}
fn default_one() -> usize {
    1
}
fn default_one_u64() -> u64 {
    1
}
fn default_max_len() -> usize {
    128
}
fn default_clip() -> f64 {
    1.0
}
fn default_eval_every() -> u64 {
    100
}
fn default_eval_sequences() -> usize {
    64
}
fn default_ckpt_every() -> u64 {
    500
}
fn default_masking() -> MaskingStrategy {
    MaskingStrategy::Dynamic
}
fn default_schedule() -> LrSchedule {
    LrSchedule {
        lr: 5e-4,
        warmup_steps: 0,
        decay: Decay::Linear,
        min_lr_ratio: 0.0,
    }
}

impl TrainConfig {
    /// A config with defaults for everything but the step count.
    pub fn with_steps(steps: u64) -> TrainConfig {
        TrainConfig {
            shards: None,
            model: default_model(),
            init: None,
            tokenizer: None,
            steps,
            batch_size: default_batch(),
            grad_accum: 1,
            max_len: default_max_len(),
            schedule: default_schedule(),
            adamw: AdamWConfig::default(),
            clip_norm: default_clip(),
            masking: default_masking(),
            mask_rate: MaskRate::default(),
            eval_every: default_eval_every(),
            eval_sequences: default_eval_sequences(),
            checkpoint_every: default_ckpt_every(),
            log_every: 1,
            seed: 0,
            device: DeviceKind::Cpu,
            dtype: TrainDtype::F32,
        }
    }

    /// Files outside the run directory the run reads (for staleness).
    pub fn input_paths(&self, base_dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if !matches!(self.model.as_str(), "tiny" | "small" | "base") {
            out.push(crate::pipeline::resolve(base_dir, Path::new(&self.model)));
        }
        if let Some(init) = &self.init {
            let dir = crate::pipeline::resolve(base_dir, init);
            out.push(dir.join(super::bert::CONFIG_FILE));
            out.push(dir.join(super::bert::WEIGHTS_FILE));
        }
        if let Some(t) = &self.tokenizer {
            out.push(crate::pipeline::resolve(base_dir, t));
        }
        if let Some(s) = &self.shards {
            out.push(crate::pipeline::resolve(base_dir, s).join("manifest.json"));
        }
        out
    }

    /// Checks values and referenced files; every problem at once.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        let mut bad = |field: &str, message: String| {
            issues.push(FieldIssue {
                field: field.to_string(),
                message,
            })
        };
        if self.steps == 0 {
            bad("steps", "must be at least 1".into());
        }
        if self.batch_size == 0 {
            bad("batch_size", "must be at least 1".into());
        }
        if self.grad_accum == 0 {
            bad("grad_accum", "must be at least 1".into());
        }
        if self.max_len < 2 {
            bad("max_len", "must be at least 2".into());
        }
        if self.schedule.lr.is_nan() || self.schedule.lr <= 0.0 {
            bad("schedule.lr", "must be > 0".into());
        }
        if let Err(e) = self.mask_rate.validate() {
            bad("mask_rate", e);
        }
        if let MaskingStrategy::Span { p, max_span } = &self.masking {
            if !(*p > 0.0 && *p <= 1.0) {
                bad("masking.p", format!("must be in (0, 1], got {p}"));
            }
            if *max_span == 0 {
                bad("masking.max_span", "must be at least 1".into());
            }
        }
        if !matches!(self.model.as_str(), "tiny" | "small" | "base") {
            let p = crate::pipeline::resolve(base_dir, Path::new(&self.model));
            if !p.is_file() {
                bad(
                    "model",
                    format!(
                        "`{}` is neither a preset (tiny, small, base) nor an existing config.json",
                        self.model
                    ),
                );
            }
        }
        if let Some(init) = &self.init {
            let p = crate::pipeline::resolve(base_dir, init);
            if !p.join(super::bert::CONFIG_FILE).is_file() {
                bad("init", format!("{} has no config.json", p.display()));
            }
        }
        if let Some(t) = &self.tokenizer {
            let p = crate::pipeline::resolve(base_dir, t);
            if !p.is_file() {
                bad("tokenizer", format!("{} does not exist", p.display()));
            }
        }
        if cfg!(not(feature = "cuda")) && self.device == DeviceKind::Cuda {
            bad(
                "device",
                "this build has no CUDA support (build with --features cuda)".into(),
            );
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_checks() {
        let text = r#"
            model = "tiny"
            steps = 10
            batch_size = 4
            masking = { type = "span", p = 0.2, max_span = 10 }
            mask_rate = { start = 0.3, end = 0.15 }
            schedule = { lr = 1e-3, warmup_steps = 2, decay = "cosine" }
        "#;
        let c: TrainConfig = toml::from_str(text).unwrap();
        assert_eq!(c.steps, 10);
        assert!(c.check(Path::new(".")).is_empty());
        let back: TrainConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let mut bad = c.clone();
        bad.steps = 0;
        bad.model = "huge".into();
        let issues = bad.check(Path::new("."));
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, vec!["steps", "model"]);
        assert!(toml::from_str::<TrainConfig>("steps = 1\nbogus = 2").is_err());
    }

    #[test]
    fn dtype_defaults_to_f32_and_accepts_bf16_only() {
        let c: TrainConfig = toml::from_str("steps = 1").unwrap();
        assert_eq!(c.dtype, TrainDtype::F32);
        // f32 is not written, so f32 configs serialise as before.
        assert!(!toml::to_string(&c).unwrap().contains("dtype"));
        let c: TrainConfig = toml::from_str("steps = 1\ndtype = \"bf16\"").unwrap();
        assert_eq!(c.dtype.compute(), candle_core::DType::BF16);
        assert!(toml::to_string(&c).unwrap().contains("dtype = \"bf16\""));
        assert!(toml::from_str::<TrainConfig>("steps = 1\ndtype = \"f16\"").is_err());
    }
}
