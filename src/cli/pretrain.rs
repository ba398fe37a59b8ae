//! `norclin pretrain`.

use std::path::{Path, PathBuf};

use clap::Args;

use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};
use norclin::train::TrainConfig;
use norclin::train::config::{DeviceKind, TrainDtype};
use norclin::train::masking::{MaskRate, MaskingStrategy};
use norclin::train::optim::Decay;

use super::{Context, EXIT_OK, UsageError, invalid_arguments};

/// Arguments of `norclin pretrain`.
#[derive(Debug, Args)]
pub struct PretrainArgs {
    /// Shard directory from `norclin tokenize` (manifest.json, shards,
    /// tokenizer.json).
    #[arg(long, value_name = "DIR")]
    pub shards: PathBuf,
    /// Output folder: checkpoints/step-N/, model/, metrics.jsonl, loss.svg,
    /// report.json. Rerunning into it resumes from the latest checkpoint.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Model: `tiny`, `small`, `base`, or a Hugging Face config.json.
    #[arg(long, default_value = "tiny", value_name = "NAME|FILE")]
    pub config: String,
    /// Continue pre-training from this HF checkpoint directory
    /// (config.json + model.safetensors) instead of random weights.
    #[arg(long, value_name = "DIR")]
    pub init: Option<PathBuf>,
    /// Optimizer steps.
    #[arg(long, value_name = "N")]
    pub steps: u64,
    /// Sequences per micro-batch.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub batch_size: usize,
    /// Micro-batches per optimizer step (gradient accumulation).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub grad_accum: usize,
    /// Longest sequence fed to the model (longer ones are cut).
    #[arg(long, default_value_t = 128, value_name = "N")]
    pub max_len: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 5e-4)]
    pub lr: f64,
    /// Warmup steps.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub warmup: u64,
    /// Decay after warmup.
    #[arg(long, default_value = "linear", value_parser = ["linear", "cosine", "constant"])]
    pub decay: String,
    /// AdamW weight decay (not applied to biases and LayerNorm).
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Clip the global gradient norm (0: off).
    #[arg(long, default_value_t = 1.0)]
    pub clip_norm: f64,
    /// Masking: `dynamic` (tokens), `whole-word`, or `span` (SpanBERT).
    #[arg(long, default_value = "dynamic", value_parser = ["dynamic", "whole-word", "span"])]
    pub masking: String,
    /// Masking rate, or START:END for a linear schedule over the run.
    #[arg(long, default_value = "0.15", value_name = "RATE[:END]")]
    pub mask_rate: String,
    /// Validation loss every N steps (0: at the end only).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub eval_every: u64,
    /// Validation sequences.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub eval_sequences: usize,
    /// Checkpoint every N steps (0: at the end only).
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub checkpoint_every: u64,
    /// Seed of initialisation, data order, masking and dropout.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Device: `cpu`, or `cuda` (builds with the `cuda` feature).
    #[arg(long, default_value = "cpu", value_parser = ["cpu", "cuda"])]
    pub device: String,
    /// Compute dtype: `f32`, or `bf16` (mixed precision: bf16 matrix
    /// products and activations, f32 master weights, optimizer state,
    /// LayerNorm, softmax and loss; checkpoints stay f32). A resumed run
    /// must use the dtype it started with.
    #[arg(long, default_value = "f32", value_parser = ["f32", "bf16"])]
    pub dtype: String,
}

fn parse_rate(raw: &str) -> Result<MaskRate, UsageError> {
    let bad = || UsageError(format!("--mask-rate {raw}: expected RATE or START:END"));
    let mut parts = raw.split(':').map(|p| p.trim().parse::<f64>());
    let start = parts.next().ok_or_else(bad)?.map_err(|_| bad())?;
    let end = match parts.next() {
        Some(p) => p.map_err(|_| bad())?,
        None => start,
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(MaskRate { start, end })
}

/// Runs pretrain into `--out`.
pub fn run(args: PretrainArgs, ctx: &Context) -> anyhow::Result<u8> {
    let mut cfg = TrainConfig::with_steps(args.steps);
    cfg.shards = Some(args.shards.clone());
    cfg.model = args.config.clone();
    cfg.init = args.init.clone();
    cfg.batch_size = args.batch_size;
    cfg.grad_accum = args.grad_accum;
    cfg.max_len = args.max_len;
    cfg.schedule.lr = args.lr;
    cfg.schedule.warmup_steps = args.warmup;
    cfg.schedule.decay = match args.decay.as_str() {
        "cosine" => Decay::Cosine,
        "constant" => Decay::Constant,
        _ => Decay::Linear,
    };
    cfg.adamw.weight_decay = args.weight_decay;
    cfg.clip_norm = args.clip_norm;
    cfg.masking = match args.masking.as_str() {
        "whole-word" => MaskingStrategy::WholeWord,
        "span" => MaskingStrategy::Span {
            p: 0.2,
            max_span: 10,
        },
        _ => MaskingStrategy::Dynamic,
    };
    cfg.mask_rate = parse_rate(&args.mask_rate)?;
    cfg.eval_every = args.eval_every;
    cfg.eval_sequences = args.eval_sequences;
    cfg.checkpoint_every = args.checkpoint_every;
    cfg.seed = args.seed;
    cfg.device = if args.device == "cuda" {
        DeviceKind::Cuda
    } else {
        DeviceKind::Cpu
    };
    cfg.dtype = if args.dtype == "bf16" {
        TrainDtype::Bf16
    } else {
        TrainDtype::F32
    };
    let mut issues = cfg.check(Path::new("."));
    if !args.shards.join("manifest.json").is_file() {
        issues.push(norclin::pipeline::FieldIssue::new(
            "shards",
            format!("{} has no manifest.json", args.shards.display()),
        ));
    }
    invalid_arguments("pretrain", issues)?;
    let opts = RunOptions::new(ctx.progress.clone());
    let outcome = run_single_stage(
        &StageConfig::Pretrain(cfg),
        "norclin pretrain",
        Path::new("."),
        &args.out,
        None,
        &opts,
    )?;
    let s = &outcome.report.stages[0].stats;
    let d = &s.details;
    let num = |k: &str| {
        d[k].as_f64()
            .map(|v| format!("{v:.4}"))
            .unwrap_or("-".into())
    };
    println!(
        "pretrain: step {} ({} this run, resumed from {}), {} tokens, {:.0} tokens/s",
        d["steps"],
        s.counters.get("steps").copied().unwrap_or(0),
        s.counters.get("resumed_from_step").copied().unwrap_or(0),
        s.counters.get("tokens").copied().unwrap_or(0),
        d["tokens_per_second"].as_f64().unwrap_or(0.0),
    );
    println!(
        "  dtype {}, train loss {}, validation loss {} (first {})",
        d["dtype"].as_str().unwrap_or("f32"),
        num("last_train_loss"),
        num("last_val_loss"),
        num("first_val_loss")
    );
    println!("model: {}", args.out.join("model").display());
    println!("metrics: {}", args.out.join("metrics.jsonl").display());
    println!("loss curve: {}", args.out.join("loss.svg").display());
    println!("report: {}", outcome.report_json.display());
    Ok(EXIT_OK)
}
