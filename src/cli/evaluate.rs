//! `norclin evaluate`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use norclin::eval::{MlmEvalOptions, ModelScore, load_model, mlm_metrics, render_markdown};
use norclin::fsio::{write_atomic, write_json_atomic};
use norclin::shard::{MANIFEST_FILE, Manifest, Split};
use norclin::train::data::TokenInfo;
use norclin::train::masking::MaskingStrategy;
use norclin::train::stage::read_split;

use super::{Context, EXIT_OK, UsageError};

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
    /// Output folder for evaluation.json and evaluation.md.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs evaluate.
pub fn run(args: EvaluateArgs, _ctx: &Context) -> anyhow::Result<u8> {
    let models: Vec<String> = args
        .models
        .iter()
        .chain(&args.compare)
        .map(|p| p.display().to_string())
        .collect();
    if !args.shards.join(MANIFEST_FILE).is_file() {
        return Err(UsageError(format!(
            "--shards {}: no manifest.json",
            args.shards.display()
        ))
        .into());
    }
    if !(args.mask_rate > 0.0 && args.mask_rate < 1.0) {
        return Err(UsageError("--mask-rate must be in (0, 1)".into()).into());
    }
    for m in &models {
        if !m.starts_with("untrained:") && !PathBuf::from(m).join("config.json").is_file() {
            return Err(UsageError(format!("--model {m}: no config.json there")).into());
        }
    }
    let split = Split::parse(&args.split).unwrap_or(Split::Test);
    let manifest = Manifest::load(&args.shards)?;
    let info = TokenInfo::from_tokenizer_json(&args.shards.join(&manifest.tokenizer_file))?;
    let sequences = read_split(&args.shards, split, args.max_sequences)?;
    if sequences.is_empty() {
        return Err(UsageError(format!(
            "the {split} split of {} is empty",
            args.shards.display()
        ))
        .into());
    }
    let opts = MlmEvalOptions {
        masking: match args.masking.as_str() {
            "whole-word" => MaskingStrategy::WholeWord,
            "span" => MaskingStrategy::Span {
                p: 0.2,
                max_span: 10,
            },
            _ => MaskingStrategy::Dynamic,
        },
        rate: args.mask_rate,
        max_len: args.max_len,
        batch_size: args.batch_size,
        seed: args.seed,
    };
    let device = candle_core::Device::Cpu;
    let mut rows = Vec::new();
    for m in &models {
        let model =
            load_model(m, manifest.vocab_size, &device).with_context(|| format!("loading {m}"))?;
        let mlm = mlm_metrics(&model, &info, &sequences, &opts)?;
        println!(
            "{m}: loss {:.4}, perplexity {:.2}, accuracy {:.4} ({} masked positions)",
            mlm.loss, mlm.perplexity, mlm.accuracy, mlm.masked
        );
        rows.push(ModelScore {
            model: m.clone(),
            mlm,
        });
    }
    let json = serde_json::json!({
        "split": split.as_str(),
        "shards": args.shards.display().to_string(),
        "options": opts,
        "models": rows,
    });
    write_json_atomic(args.out.join("evaluation.json"), &json)?;
    write_atomic(
        args.out.join("evaluation.md"),
        render_markdown(split.as_str(), &rows).as_bytes(),
    )?;
    println!("table: {}", args.out.join("evaluation.md").display());
    Ok(EXIT_OK)
}
