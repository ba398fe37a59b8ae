//! `norclin evaluate`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use norclin::eval::classify::{ClassifyOptions, fine_tune_and_score, read_jsonl};
use norclin::eval::{MlmEvalOptions, ModelScore, load_model, mlm_metrics, render_markdown};
use norclin::fsio::{write_atomic, write_json_atomic};
use norclin::shard::{MANIFEST_FILE, Manifest, Split};
use norclin::tokenize::NoteTokenizer;
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
    let mut md = render_markdown(split.as_str(), &rows);
    let mut classification = Vec::new();
    if let Some(path) = &args.classify {
        if args.seeds == 0 {
            return Err(UsageError("--seeds must be at least 1".into()).into());
        }
        let data = read_jsonl(path)?;
        let tok = NoteTokenizer::from_file(&args.shards.join(&manifest.tokenizer_file))?;
        md.push_str(&format!(
            "\n# Sequence classification ({}, {} seed(s), held-out patients)\n\n| model | accuracy | macro-F1 | train | test |\n|---|---:|---:|---:|---:|\n",
            path.display(),
            args.seeds
        ));
        for m in &models {
            let mut runs = Vec::new();
            for seed in 0..args.seeds {
                let model = load_model(m, manifest.vocab_size, &device)
                    .with_context(|| format!("loading {m}"))?;
                let copts = ClassifyOptions {
                    epochs: args.classify_epochs,
                    lr: args.classify_lr,
                    batch_size: args.batch_size,
                    max_len: args.max_len.min(model.config().max_position_embeddings),
                    test_fraction: 0.2,
                    seed,
                };
                runs.push(fine_tune_and_score(
                    model,
                    &tok,
                    info.pad_id,
                    &data,
                    &copts,
                )?);
            }
            let n = runs.len() as f64;
            let acc = runs.iter().map(|r| r.accuracy).sum::<f64>() / n;
            let f1 = runs.iter().map(|r| r.macro_f1).sum::<f64>() / n;
            println!("{m}: classification accuracy {acc:.4}, macro-F1 {f1:.4}");
            md.push_str(&format!(
                "| {m} | {acc:.4} | {f1:.4} | {} | {} |\n",
                runs[0].train, runs[0].test
            ));
            classification.push(serde_json::json!({
                "model": m, "accuracy": acc, "macro_f1": f1, "runs": runs,
            }));
        }
    }
    let mut ner_rows = Vec::new();
    if let Some(path) = &args.ner {
        if args.seeds == 0 {
            return Err(UsageError("--seeds must be at least 1".into()).into());
        }
        let data = norclin::eval::ner::read_jsonl(path)?;
        let tok = NoteTokenizer::from_file(&args.shards.join(&manifest.tokenizer_file))?;
        md.push_str(&format!(
            "\n# Token classification ({}, entity level, {} seed(s), held-out patients)\n\n| model | label | precision | recall | F1 | support |\n|---|---|---:|---:|---:|---:|\n",
            path.display(),
            args.seeds
        ));
        for m in &models {
            let mut runs = Vec::new();
            for seed in 0..args.seeds {
                let model = load_model(m, manifest.vocab_size, &device)
                    .with_context(|| format!("loading {m}"))?;
                let copts = ClassifyOptions {
                    epochs: args.classify_epochs,
                    lr: args.classify_lr,
                    batch_size: args.batch_size,
                    max_len: args.max_len.min(model.config().max_position_embeddings),
                    test_fraction: 0.2,
                    seed,
                };
                runs.push(norclin::eval::ner::fine_tune_and_score(
                    model,
                    &tok,
                    info.pad_id,
                    &data,
                    &copts,
                )?);
            }
            let n = runs.len() as f64;
            let mean = |f: &dyn Fn(&norclin::eval::ner::NerScores) -> (f64, f64, f64)| {
                let (mut p, mut r, mut f1) = (0.0, 0.0, 0.0);
                for run in &runs {
                    let (a, b, c) = f(run);
                    p += a / n;
                    r += b / n;
                    f1 += c / n;
                }
                (p, r, f1)
            };
            let (p, r, f1) = mean(&|s| (s.micro.precision, s.micro.recall, s.micro.f1));
            println!("{m}: entity-level micro P {p:.4} R {r:.4} F1 {f1:.4}");
            md.push_str(&format!(
                "| {m} | (micro) | {p:.4} | {r:.4} | {f1:.4} | {} |\n",
                runs[0].micro.support
            ));
            for label in runs[0].per_label.keys() {
                let (p, r, f1) = mean(&|s| {
                    s.per_label
                        .get(label)
                        .map(|x| (x.precision, x.recall, x.f1))
                        .unwrap_or((0.0, 0.0, 0.0))
                });
                md.push_str(&format!(
                    "| {m} | {label} | {p:.4} | {r:.4} | {f1:.4} | {} |\n",
                    runs[0].per_label[label].support
                ));
            }
            ner_rows.push(serde_json::json!({
                "model": m, "precision": p, "recall": r, "f1": f1, "runs": runs,
            }));
        }
    }
    let json = serde_json::json!({
        "ner": ner_rows,
        "split": split.as_str(),
        "shards": args.shards.display().to_string(),
        "options": opts,
        "models": rows,
        "classification": classification,
    });
    write_json_atomic(args.out.join("evaluation.json"), &json)?;
    write_atomic(args.out.join("evaluation.md"), md.as_bytes())?;
    println!("table: {}", args.out.join("evaluation.md").display());
    Ok(EXIT_OK)
}
