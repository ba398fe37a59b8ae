//! `norclin evaluate`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use norclin::eval::stage::EvaluateConfig;
use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};
use norclin::train::masking::MaskingStrategy;

use super::{Context, EXIT_OK, invalid_arguments};

/// Arguments of `norclin evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Checkpoint directory to score (config.json + model.safetensors), or
    /// `untrained:tiny|small|base` for a randomly initialised floor.
    /// Repeat to compare models on the same masks.
    #[arg(
        long = "model",
        value_name = "DIR",
        required_unless_present = "compare"
    )]
    pub models: Vec<PathBuf>,
    /// Models to compare side by side (same as repeating --model).
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub compare: Vec<PathBuf>,
    /// Shard directory (manifest.json, tokenizer.json).
    #[arg(long, value_name = "DIR")]
    pub shards: PathBuf,
    /// Split to score: `test` or `validation`.
    #[arg(long, default_value = "test", value_parser = ["test", "validation", "val", "train"])]
    pub split: String,
    /// Score at most N sequences (file order).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_sequences: usize,
    /// Masking: `dynamic`, `whole-word` or `span`.
    #[arg(long, default_value = "dynamic", value_parser = ["dynamic", "whole-word", "span"])]
    pub masking: String,
    /// Masking rate.
    #[arg(long, default_value_t = 0.15)]
    pub mask_rate: f64,
    /// Longest sequence fed to the model.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_len: usize,
    /// Sequences per forward pass.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub batch_size: usize,
    /// Seed of the masks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also fine-tune each model on a labelled JSONL
    /// (`{"text", "label", "patient_id"}`) and report accuracy and macro-F1
    /// on held-out patients (sequence classification).
    #[arg(long, value_name = "FILE")]
    pub classify: Option<PathBuf>,
    /// Also fine-tune each model as a token tagger on span-annotated notes
    /// (`{"text", "patient_id", "spans": [{"start", "end", "label"}]}`,
    /// character offsets) and report entity-level P/R/F1 per label.
    #[arg(long, value_name = "FILE")]
    pub ner: Option<PathBuf>,
    /// Fine-tuning epochs.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub classify_epochs: usize,
    /// Fine-tuning learning rate.
    #[arg(long, default_value_t = 1e-4)]
    pub classify_lr: f64,
    /// Fine-tune with seeds 0..N and average the scores.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seeds: u64,
    /// Output folder for evaluation.json and evaluation.md.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs evaluate into `--out`.
pub fn run(args: EvaluateArgs, ctx: &Context) -> anyhow::Result<u8> {
    let models: Vec<String> = args
        .models
        .iter()
        .chain(&args.compare)
        .map(|p| p.display().to_string())
        .collect();
    let mut cfg = EvaluateConfig::new(models);
    cfg.shards = Some(args.shards.clone());
    cfg.split = args.split.clone();
    cfg.max_sequences = args.max_sequences;
    cfg.masking = match args.masking.as_str() {
        "whole-word" => MaskingStrategy::WholeWord,
        "span" => MaskingStrategy::Span {
            p: 0.2,
            max_span: 10,
        },
        _ => MaskingStrategy::Dynamic,
    };
    cfg.mask_rate = args.mask_rate;
    cfg.max_len = args.max_len;
    cfg.batch_size = args.batch_size;
    cfg.seed = args.seed;
    cfg.classify = args.classify.clone();
    cfg.ner = args.ner.clone();
    cfg.epochs = args.classify_epochs;
    cfg.lr = args.classify_lr;
    cfg.seeds = args.seeds;
    invalid_arguments("evaluate", cfg.check(Path::new(".")))?;
    let opts = RunOptions::new(ctx.progress.clone());
    let outcome = run_single_stage(
        &StageConfig::Evaluate(cfg),
        "norclin evaluate",
        Path::new("."),
        &args.out,
        None,
        &opts,
    )?;
    let md = std::fs::read_to_string(args.out.join("evaluation.md"))
        .with_context(|| format!("reading {}", args.out.join("evaluation.md").display()))?;
    println!("{md}");
    println!("table: {}", args.out.join("evaluation.md").display());
    println!("report: {}", outcome.report_json.display());
    Ok(EXIT_OK)
}
