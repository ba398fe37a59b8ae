//! The `evaluate` stage (and verb): score one or more checkpoints on a
//! shard split (masked LM) and, when asked, on downstream tasks; write
//! `evaluation.json` and `evaluation.md` (one table, models side by side).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::classify::{ClassifyError, ClassifyOptions};
use super::{MlmEvalOptions, ModelScore, load_model, mlm_metrics, render_markdown};
use crate::fsio::{PathError, write_atomic, write_json_atomic};
use crate::pipeline::{FieldIssue, StageContext, StageStats, resolve};
use crate::shard::{MANIFEST_FILE, Manifest, Split};
use crate::tokenize::NoteTokenizer;
use crate::train::bert::ModelError;
use crate::train::data::{DataError, TokenInfo};
use crate::train::masking::MaskingStrategy;
use crate::train::stage::read_split;

/// Model name standing for the final model of the nearest earlier
/// `pretrain` stage of the same run.
pub const PRETRAINED: &str = "@pretrain";

/// Configuration of an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateConfig {
    /// Checkpoint directories, `untrained:<preset>`, or `@pretrain`.
    pub models: Vec<String>,
    /// Shard directory (default: the nearest earlier tokenize stage).
    #[serde(default)]
    pub shards: Option<PathBuf>,
    /// Split scored for the masked LM: `test` or `validation`.
    #[serde(default = "default_split")]
    pub split: String,
    /// Sequences scored at most.
    #[serde(default = "default_max_sequences")]
    pub max_sequences: usize,
    /// Masking strategy of the MLM scores.
    #[serde(default = "default_masking")]
    pub masking: MaskingStrategy,
    /// Masking rate.
    #[serde(default = "default_rate")]
    pub mask_rate: f64,
    /// Longest input.
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// Sequences per forward pass.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Seed of the masks.
    #[serde(default)]
    pub seed: u64,
    /// Labelled notes for sequence classification.
    #[serde(default)]
    pub classify: Option<PathBuf>,
    /// Span-annotated notes for token classification.
    #[serde(default)]
    pub ner: Option<PathBuf>,
    /// Fine-tuning epochs.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Fine-tuning learning rate.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Fine-tuning seeds (0..N, scores averaged).
    #[serde(default = "default_seeds")]
    pub seeds: u64,
}

fn default_split() -> String {
    "test".into()
}
fn default_max_sequences() -> usize {
    1000
}
fn default_masking() -> MaskingStrategy {
    MaskingStrategy::Dynamic
}
fn default_rate() -> f64 {
    0.15
}
fn default_max_len() -> usize {
    512
}
fn default_batch() -> usize {
    16
}
fn default_epochs() -> usize {
    3
}
fn default_lr() -> f64 {
    1e-4
}
fn default_seeds() -> u64 {
    1
}

/// Errors of an evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Loading a model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Reading shards or the tokenizer failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A downstream task failed.
    #[error(transparent)]
    Task(#[from] ClassifyError),
    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// Writing the results failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// The configuration does not fit the data.
    #[error("evaluate: {0}")]
    Config(String),
}

impl EvaluateConfig {
    /// A config scoring `models` with defaults.
    pub fn new(models: Vec<String>) -> EvaluateConfig {
        EvaluateConfig {
            models,
            shards: None,
            split: default_split(),
            max_sequences: default_max_sequences(),
            masking: default_masking(),
            mask_rate: default_rate(),
            max_len: default_max_len(),
            batch_size: default_batch(),
            seed: 0,
            classify: None,
            ner: None,
            epochs: default_epochs(),
            lr: default_lr(),
            seeds: default_seeds(),
        }
    }

    /// Files outside the run directory the evaluation reads.
    pub fn input_paths(&self, base_dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .models
            .iter()
            .filter(|m| !m.starts_with("untrained:") && m.as_str() != PRETRAINED)
            .map(|m| resolve(base_dir, Path::new(m)).join(crate::train::bert::WEIGHTS_FILE))
            .collect();
        out.extend(
            self.classify
                .iter()
                .chain(&self.ner)
                .map(|p| resolve(base_dir, p)),
        );
        out
    }

    /// Checks values and referenced files; every problem at once.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if self.models.is_empty() {
            issues.push(FieldIssue::new("models", "name at least one model"));
        }
        for (i, m) in self.models.iter().enumerate() {
            let ok = m == PRETRAINED
                || m.strip_prefix("untrained:")
                    .is_some_and(|p| matches!(p, "tiny" | "small" | "base"))
                || resolve(base_dir, Path::new(m))
                    .join("config.json")
                    .is_file();
            if !ok {
                issues.push(FieldIssue::new(
                    format!("models[{i}]"),
                    format!(
                        "`{m}` is not a checkpoint directory, untrained:<preset> or {PRETRAINED}"
                    ),
                ));
            }
        }
        if Split::parse(&self.split).is_none() {
            issues.push(FieldIssue::new("split", "use test, validation or train"));
        }
        if !(self.mask_rate > 0.0 && self.mask_rate < 1.0) {
            issues.push(FieldIssue::new("mask_rate", "must be in (0, 1)"));
        }
        if self.seeds == 0 {
            issues.push(FieldIssue::new("seeds", "must be at least 1"));
        }
        for (field, p) in [("classify", &self.classify), ("ner", &self.ner)] {
            if let Some(p) = p
                && !resolve(base_dir, p).is_file()
            {
                issues.push(FieldIssue::new(
                    field,
                    format!("{} does not exist", p.display()),
                ));
            }
        }
        if let Some(s) = &self.shards
            && !resolve(base_dir, s).join(MANIFEST_FILE).is_file()
        {
            issues.push(FieldIssue::new(
                "shards",
                format!("{} has no manifest.json", s.display()),
            ));
        }
        issues
    }
}

/// The output folder of the nearest earlier stage of `kind` in the run.
fn earlier_stage(out_dir: &Path, kind: &str) -> Option<PathBuf> {
    let run_dir = out_dir.parent()?;
    let own = out_dir.file_name()?.to_string_lossy().into_owned();
    let mut names: Vec<String> = std::fs::read_dir(run_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(&format!("-{kind}")) && n.as_str() < own.as_str())
        .collect();
    names.sort();
    names.pop().map(|n| run_dir.join(n))
}

/// Runs the evaluation into `ctx.out_dir`.
pub fn run_stage(cfg: &EvaluateConfig, ctx: &StageContext<'_>) -> Result<StageStats, EvalError> {
    let shards = match &cfg.shards {
        Some(s) => ctx.resolve(s),
        None => earlier_stage(ctx.out_dir, "tokenize").ok_or_else(|| {
            EvalError::Config("no shard directory: set `shards` or run tokenize first".into())
        })?,
    };
    let models: Vec<(String, String)> = cfg
        .models
        .iter()
        .map(|m| {
            if m == PRETRAINED {
                earlier_stage(ctx.out_dir, "pretrain")
                    .map(|d| (m.clone(), d.join("model").display().to_string()))
                    .ok_or_else(|| EvalError::Config("@pretrain: no earlier pretrain stage".into()))
            } else if m.starts_with("untrained:") {
                Ok((m.clone(), m.clone()))
            } else {
                Ok((m.clone(), ctx.resolve(Path::new(m)).display().to_string()))
            }
        })
        .collect::<Result<_, _>>()?;
    let split = Split::parse(&cfg.split).unwrap_or(Split::Test);
    let manifest = Manifest::load(&shards).map_err(|e| {
        EvalError::Data(DataError::Format {
            path: shards.clone(),
            message: e.to_string(),
        })
    })?;
    let tokenizer_path = shards.join(&manifest.tokenizer_file);
    let info = TokenInfo::from_tokenizer_json(&tokenizer_path)?;
    let sequences = read_split(&shards, split, cfg.max_sequences)?;
    if sequences.is_empty() {
        return Err(EvalError::Config(format!(
            "the {split} split of {} is empty",
            shards.display()
        )));
    }
    let opts = MlmEvalOptions {
        masking: cfg.masking.clone(),
        rate: cfg.mask_rate,
        max_len: cfg.max_len,
        batch_size: cfg.batch_size,
        seed: cfg.seed,
    };
    let device = candle_core::Device::Cpu;
    let mut stats = StageStats::default();
    let mut rows = Vec::new();
    for (name, path) in &models {
        let model = load_model(path, manifest.vocab_size, &device)?;
        let mlm = mlm_metrics(&model, &info, &sequences, &opts)?;
        tracing::info!(
            "evaluate: {name}: loss {:.4}, perplexity {:.2}, accuracy {:.4}",
            mlm.loss,
            mlm.perplexity,
            mlm.accuracy
        );
        rows.push(ModelScore {
            model: name.clone(),
            mlm,
        });
    }
    stats.rows_in = sequences.len() as u64;
    stats.count("models", models.len() as u64);
    let mut md = render_markdown(split.as_str(), &rows);
    let tok = if cfg.classify.is_some() || cfg.ner.is_some() {
        Some(
            NoteTokenizer::from_file(&tokenizer_path)
                .map_err(|e| EvalError::Config(e.to_string()))?,
        )
    } else {
        None
    };
    let copts = |seed: u64, max_pos: usize| ClassifyOptions {
        epochs: cfg.epochs,
        lr: cfg.lr,
        batch_size: cfg.batch_size,
        max_len: cfg.max_len.min(max_pos),
        test_fraction: 0.2,
        seed,
    };
    let mut classification = Vec::new();
    if let (Some(path), Some(tok)) = (&cfg.classify, &tok) {
        let data = super::classify::read_jsonl(&ctx.resolve(path))?;
        md.push_str(&format!(
            "\n# Sequence classification ({}, {} seed(s), held-out patients)\n\n| model | accuracy | macro-F1 | train | test |\n|---|---:|---:|---:|---:|\n",
            path.display(),
            cfg.seeds
        ));
        for (name, mpath) in &models {
            let mut runs = Vec::new();
            for seed in 0..cfg.seeds {
                let model = load_model(mpath, manifest.vocab_size, &device)?;
                let o = copts(seed, model.config().max_position_embeddings);
                runs.push(super::classify::fine_tune_and_score(
                    model,
                    tok,
                    info.pad_id,
                    &data,
                    &o,
                )?);
            }
            let n = runs.len() as f64;
            let acc = runs.iter().map(|r| r.accuracy).sum::<f64>() / n;
            let f1 = runs.iter().map(|r| r.macro_f1).sum::<f64>() / n;
            md.push_str(&format!(
                "| {name} | {acc:.4} | {f1:.4} | {} | {} |\n",
                runs[0].train, runs[0].test
            ));
            classification.push(serde_json::json!({
                "model": name, "accuracy": acc, "macro_f1": f1, "runs": runs,
            }));
        }
    }
    let mut ner_rows = Vec::new();
    if let (Some(path), Some(tok)) = (&cfg.ner, &tok) {
        let data = super::ner::read_jsonl(&ctx.resolve(path))?;
        md.push_str(&format!(
            "\n# Token classification ({}, entity level, {} seed(s), held-out patients)\n\n| model | label | precision | recall | F1 | support |\n|---|---|---:|---:|---:|---:|\n",
            path.display(),
            cfg.seeds
        ));
        for (name, mpath) in &models {
            let mut runs = Vec::new();
            for seed in 0..cfg.seeds {
                let model = load_model(mpath, manifest.vocab_size, &device)?;
                let o = copts(seed, model.config().max_position_embeddings);
                runs.push(super::ner::fine_tune_and_score(
                    model,
                    tok,
                    info.pad_id,
                    &data,
                    &o,
                )?);
            }
            let n = runs.len() as f64;
            let mean = |f: &dyn Fn(&super::ner::NerScores) -> (f64, f64, f64)| {
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
            md.push_str(&format!(
                "| {name} | (micro) | {p:.4} | {r:.4} | {f1:.4} | {} |\n",
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
                    "| {name} | {label} | {p:.4} | {r:.4} | {f1:.4} | {} |\n",
                    runs[0].per_label[label].support
                ));
            }
            ner_rows.push(serde_json::json!({
                "model": name, "precision": p, "recall": r, "f1": f1, "runs": runs,
            }));
        }
    }
    let json = serde_json::json!({
        "split": split.as_str(),
        "shards": shards.display().to_string(),
        "options": opts,
        "models": rows,
        "classification": classification,
        "ner": ner_rows,
    });
    write_json_atomic(ctx.out_dir.join("evaluation.json"), &json)?;
    write_atomic(ctx.out_dir.join("evaluation.md"), md.as_bytes())?;
    stats.details = json;
    Ok(stats)
}
