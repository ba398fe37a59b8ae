//! The `pretrain` stage: token shards in, an HF-compatible checkpoint out.
//!
//! Reads the train split of a shard directory ([`crate::shard::ShardReader`],
//! seeded shuffle, endless epochs, resumable position) and the first
//! `eval_sequences` of its validation split, builds or loads the model, and
//! runs the [`Trainer`]; a rerun into the same folder resumes from the latest
//! checkpoint.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Device;

use super::bert::{BertConfig, BertForMaskedLM};
use super::config::TrainConfig;
use super::data::{DataError, Sequence, SequenceSource, TokenInfo};
use super::trainer::{TrainError, Trainer};
use crate::pipeline::{StageContext, StageStats, resolve};
use crate::shard::{MANIFEST_FILE, Manifest, ReaderOptions, ReaderPosition, ShardReader, Split};

/// The train split of a shard directory as a [`SequenceSource`].
pub struct ShardSource {
    dir: PathBuf,
    reader: ShardReader,
}

impl ShardSource {
    /// Opens `split` of `dir` with a seeded shuffle, cycling forever.
    pub fn open(dir: &Path, split: Split, seed: u64) -> Result<ShardSource, DataError> {
        let options = ReaderOptions {
            seed,
            epochs: None,
            ..ReaderOptions::default()
        };
        let reader = ShardReader::open(dir, split, options).map_err(|e| shard_error(dir, e))?;
        if reader.rows_per_epoch() == 0 {
            return Err(DataError::Empty(format!(
                "the {split} split of {}",
                dir.display()
            )));
        }
        Ok(ShardSource {
            dir: dir.to_path_buf(),
            reader,
        })
    }
}

fn shard_error(dir: &Path, e: crate::shard::ShardError) -> DataError {
    DataError::Format {
        path: dir.to_path_buf(),
        message: e.to_string(),
    }
}

fn to_sequence(s: crate::shard::TokenSequence) -> Sequence {
    Sequence {
        input_ids: s.input_ids,
        word_starts: s.word_start,
    }
}

impl SequenceSource for ShardSource {
    fn next_sequence(&mut self) -> Result<Option<Sequence>, DataError> {
        Ok(self
            .reader
            .next_sequence()
            .map_err(|e| shard_error(&self.dir, e))?
            .map(to_sequence))
    }

    fn position(&self) -> serde_json::Value {
        serde_json::to_value(self.reader.position()).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, position: &serde_json::Value) -> Result<(), DataError> {
        let p: ReaderPosition = serde_json::from_value(position.clone())
            .map_err(|e| DataError::Position(e.to_string()))?;
        self.reader = ShardReader::resume(&self.dir, &p).map_err(|e| shard_error(&self.dir, e))?;
        Ok(())
    }
}

/// The first `n` sequences of `split` in file order (validation sets).
pub fn read_split(dir: &Path, split: Split, n: usize) -> Result<Vec<Sequence>, DataError> {
    let options = ReaderOptions {
        seed: 0,
        shuffle_buffer: 1,
        shuffle_shards: false,
        epochs: Some(1),
    };
    let mut reader = ShardReader::open(dir, split, options).map_err(|e| shard_error(dir, e))?;
    let mut out = Vec::new();
    while out.len() < n {
        match reader.next_sequence().map_err(|e| shard_error(dir, e))? {
            Some(s) => out.push(to_sequence(s)),
            None => break,
        }
    }
    Ok(out)
}

/// Finds the shard directory: the configured one, or the output of the
/// nearest earlier `tokenize` stage of the same run (`NN-tokenize`).
pub fn shard_dir(cfg: &TrainConfig, ctx: &StageContext<'_>) -> Result<PathBuf, TrainError> {
    if let Some(s) = &cfg.shards {
        return Ok(ctx.resolve(s));
    }
    let run_dir = ctx.out_dir.parent().unwrap_or(Path::new("."));
    let own = ctx
        .out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut found: Option<String> = None;
    if let Ok(entries) = std::fs::read_dir(run_dir) {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with("-tokenize") && n.as_str() < own.as_str())
            .collect();
        names.sort();
        found = names.pop();
    }
    found
        .map(|n| run_dir.join(n))
        .filter(|d| d.join(MANIFEST_FILE).is_file())
        .ok_or_else(|| {
            TrainError::Config(
                "no shard directory: set `shards` or run a tokenize stage before pretrain".into(),
            )
        })
}

/// Builds the model a config asks for: loaded from `init`, or fresh from a
/// preset or `config.json` sized to the tokenizer.
///
/// A checkpoint given as `init` must have the shards' vocabulary size
/// (`vocab_size` of their manifest): its embedding rows are the ids of the
/// tokenizer it was trained with, so shards tokenized with another
/// vocabulary would train on the wrong rows.
pub fn build_model(
    cfg: &TrainConfig,
    base_dir: &Path,
    vocab_size: usize,
    device: &Device,
) -> Result<BertForMaskedLM, TrainError> {
    if let Some(init) = &cfg.init {
        let dir = resolve(base_dir, init);
        let model = BertForMaskedLM::load(&dir, device)?;
        let theirs = model.config().vocab_size;
        if theirs != vocab_size {
            return Err(TrainError::Config(format!(
                "init: the checkpoint {} has vocab_size {theirs} but the shards' manifest \
                 has vocab_size {vocab_size}; tokenize with the checkpoint's own tokenizer \
                 (norclin tokenize --tokenizer {}) to continue pre-training it",
                dir.display(),
                dir.join("tokenizer.json").display()
            )));
        }
        return Ok(model);
    }
    let config = match BertConfig::preset(&cfg.model, vocab_size) {
        Some(c) => c,
        None => BertConfig::from_file(&resolve(base_dir, Path::new(&cfg.model)))?,
    };
    Ok(BertForMaskedLM::new(&config, cfg.seed, device)?)
}

/// Runs the stage into `ctx.out_dir`.
pub fn run_stage(cfg: &TrainConfig, ctx: &StageContext<'_>) -> Result<StageStats, TrainError> {
    let started = Instant::now();
    let shards = shard_dir(cfg, ctx)?;
    let manifest =
        Manifest::load(&shards).map_err(|e| TrainError::Data(shard_error(&shards, e)))?;
    let tokenizer = match &cfg.tokenizer {
        Some(t) => ctx.resolve(t),
        None => shards.join(&manifest.tokenizer_file),
    };
    let info = TokenInfo::from_tokenizer_json(&tokenizer)?;
    let device = cfg.device.open()?;
    let model = build_model(cfg, ctx.base_dir, manifest.vocab_size, &device)?;
    let mut trainer = Trainer::new(cfg.clone(), model, info, Some(tokenizer), ctx.out_dir)?;
    let mut source = ShardSource::open(&shards, Split::Train, cfg.seed)?;
    let val = read_split(&shards, Split::Validation, cfg.eval_sequences)?;
    let resumed = trainer.resume_if_any(&mut source)?;
    if let Some(step) = resumed {
        tracing::info!("pretrain: resuming from the checkpoint of step {step}");
    }
    let task = ctx
        .progress
        .task("pretrain", Some(cfg.steps - trainer.step()), "steps");
    let summary = trainer.run(&mut source, &val, u64::MAX, |m| {
        if m.split == "train" {
            task.inc(1);
        } else {
            tracing::info!(
                "pretrain: step {} validation loss {:.4} accuracy {:.3}",
                m.step,
                m.loss,
                m.accuracy.unwrap_or(0.0)
            );
        }
    })?;
    drop(task);
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let sequences =
        (summary.step - summary.resumed_from) * (cfg.batch_size * cfg.grad_accum) as u64;
    let mut stats = StageStats {
        rows_in: sequences,
        ..StageStats::default()
    };
    stats.count("steps", summary.step - summary.resumed_from);
    stats.count("resumed_from_step", summary.resumed_from);
    stats.count("tokens", summary.tokens);
    stats.count("checkpoints", summary.checkpoints.len() as u64);
    stats.count("parameters", trainer.model().params().num_scalars() as u64);
    let first_val = trainer.metrics().iter().find(|m| m.split == "val");
    stats.details = serde_json::json!({
        "model": trainer.model().config().to_json(),
        "dtype": cfg.dtype.as_str(),
        "shards": shards.display().to_string(),
        "steps": summary.step,
        "last_train_loss": summary.last_loss,
        "first_val_loss": first_val.map(|m| m.loss),
        "last_val_loss": summary.last_val_loss,
        "tokens_per_second": summary.tokens as f64 / secs,
        "final_model": "model",
        "metrics": "metrics.jsonl",
        "loss_curve": "loss.svg",
        "checkpoints": summary.checkpoints.iter()
            .filter_map(|p| p.strip_prefix(ctx.out_dir).ok())
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>(),
    });
    Ok(stats)
}
