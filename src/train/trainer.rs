//! The training loop: mask, forward, backward, accumulate, clip, step;
//! validate and checkpoint every N steps; resume exactly from the latest
//! checkpoint.
//!
//! Output directory:
//! ```text
//! OUT/checkpoints/step-NNNNNN/   config.json, model.safetensors, tokenizer.json,
//!                                trainer_state/{state.json, optimizer.safetensors}
//! OUT/model/                     the final model (HF directory, no trainer state)
//! OUT/metrics.jsonl              one record per logged step and validation
//! OUT/loss.svg                   loss curve
//! ```
//! `trainer_state/state.json` is written last: a checkpoint without it is
//! incomplete and ignored. Everything that decides the next step — weights,
//! optimizer moments and step, the masking and dropout generators, the data
//! reader position — is in the checkpoint, so N steps, a restart and M more
//! steps give the same losses as N + M steps in one go.

use std::path::{Path, PathBuf};

use candle_core::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::bert::{BertForMaskedLM, DropoutRng, ModelError, RngState};
use super::config::TrainConfig;
use super::data::{DataError, Sequence, SequenceSource, TokenInfo, collate};
use super::masking::{MaskedSequence, mask_sequence};
use super::optim::{AdamW, Grads};
use crate::fsio::{PathError, write_atomic, write_json_atomic};

/// Errors of a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Model building, loading or saving failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Reading training data failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// A checkpoint's trainer state cannot be used.
    #[error("{path}: {message}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// The run configuration does not fit the model, data or tokenizer.
    #[error("pretrain: {0}")]
    Config(String),
}

/// One line of `metrics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Optimizer step (1-based: the step just taken).
    pub step: u64,
    /// `train` or `val`.
    pub split: String,
    /// Mean MLM loss.
    pub loss: f64,
    /// Masked-token accuracy (validation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Learning rate of the step (training only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// Gradient norm before clipping (training only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_norm: Option<f64>,
    /// Masking rate of the step (training only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_rate: Option<f64>,
    /// Non-padding tokens seen in the step (or evaluated).
    pub tokens: u64,
    /// Predicted (masked) positions.
    pub masked: u64,
}

/// The trainer state saved in `trainer_state/state.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainerState {
    /// Optimizer steps taken.
    pub step: u64,
    /// Dropout generator.
    pub dropout_rng: RngState,
    /// Masking generator.
    pub mask_rng: RngState,
    /// Data reader position (source-specific JSON).
    pub source_position: serde_json::Value,
    /// Fingerprint of the settings a resumed run must share.
    pub config_fingerprint: String,
    /// Compute dtype of the run (`f32` or `bf16`; states written before
    /// the option existed are f32). A resumed run must use the same.
    #[serde(default)]
    pub dtype: super::config::TrainDtype,
    /// Metrics up to this step.
    pub metrics: Vec<Metric>,
}

/// What a finished (or stopped) run did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TrainSummary {
    /// Step the run started from (0, or the resumed checkpoint's).
    pub resumed_from: u64,
    /// Last step taken.
    pub step: u64,
    /// Non-padding tokens processed in this invocation.
    pub tokens: u64,
    /// Last training loss.
    pub last_loss: Option<f64>,
    /// Last validation loss.
    pub last_val_loss: Option<f64>,
    /// Checkpoints written in this invocation.
    pub checkpoints: Vec<PathBuf>,
}

/// A training run in progress.
pub struct Trainer {
    cfg: TrainConfig,
    model: BertForMaskedLM,
    opt: AdamW,
    dropout: DropoutRng,
    mask_rng: ChaCha8Rng,
    step: u64,
    info: TokenInfo,
    tokenizer_file: Option<PathBuf>,
    out_dir: PathBuf,
    metrics: Vec<Metric>,
}

/// The summed gradients of one step's micro-batches.
struct StepGradients {
    grads: Grads,
    /// Mean MLM loss over the step's masked positions.
    loss: f64,
    /// Non-padding tokens.
    tokens: u64,
    /// Masked positions.
    masked: u64,
}

const MASK_SALT: u64 = 0x6d61_736b;
const DROPOUT_SALT: u64 = 0x6472_6f70;
const VAL_SALT: u64 = 0x0076_616c;

impl Trainer {
    /// A trainer for `model` writing into `out_dir`.
    pub fn new(
        cfg: TrainConfig,
        model: BertForMaskedLM,
        info: TokenInfo,
        tokenizer_file: Option<PathBuf>,
        out_dir: &Path,
    ) -> Result<Trainer, TrainError> {
        let mc = model.config();
        if (info.vocab.vocab_size as usize) > mc.vocab_size {
            return Err(TrainError::Config(format!(
                "the tokenizer has {} tokens but the model's vocab_size is {}",
                info.vocab.vocab_size, mc.vocab_size
            )));
        }
        if cfg.max_len > mc.max_position_embeddings {
            return Err(TrainError::Config(format!(
                "max_len {} exceeds the model's max_position_embeddings {}",
                cfg.max_len, mc.max_position_embeddings
            )));
        }
        let mut model = model;
        model.set_compute_dtype(cfg.dtype.compute())?;
        let opt = AdamW::new(model.params(), cfg.adamw.clone())?;
        Ok(Trainer {
            dropout: DropoutRng::new(cfg.seed ^ DROPOUT_SALT),
            mask_rng: ChaCha8Rng::seed_from_u64(cfg.seed ^ MASK_SALT),
            step: 0,
            opt,
            model,
            info,
            tokenizer_file,
            out_dir: out_dir.to_path_buf(),
            metrics: Vec::new(),
            cfg,
        })
    }

    /// The model being trained.
    pub fn model(&self) -> &BertForMaskedLM {
        &self.model
    }

    /// Steps taken so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Metrics so far (including those of a resumed run).
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    fn device(&self) -> &Device {
        self.model.device()
    }

    /// Settings that must not change between a run and its resumption.
    fn fingerprint(&self) -> String {
        let mut c = self.cfg.clone();
        // Frequencies of side effects may change on resume.
        c.eval_every = 0;
        c.checkpoint_every = 0;
        c.log_every = 0;
        c.shards = None;
        c.tokenizer = None;
        let text = serde_json::to_string(&(c, self.model.config())).unwrap_or_default();
        crate::fsio::hex(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
    }

    /// The latest complete checkpoint under `out_dir`, if any.
    pub fn latest_checkpoint(out_dir: &Path) -> Option<(u64, PathBuf)> {
        let dir = out_dir.join("checkpoints");
        let entries = std::fs::read_dir(&dir).ok()?;
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let step: u64 = name.strip_prefix("step-")?.parse().ok()?;
                let path = e.path();
                path.join("trainer_state/state.json")
                    .is_file()
                    .then_some((step, path))
            })
            .max_by_key(|(s, _)| *s)
    }

    /// Resumes from the latest complete checkpoint in the output directory,
    /// if there is one; returns its step.
    pub fn resume_if_any(
        &mut self,
        source: &mut dyn SequenceSource,
    ) -> Result<Option<u64>, TrainError> {
        let Some((_, dir)) = Trainer::latest_checkpoint(&self.out_dir) else {
            return Ok(None);
        };
        let state_path = dir.join("trainer_state/state.json");
        let bytes = std::fs::read(&state_path)
            .map_err(|e| PathError::new("reading trainer state", &state_path, e))?;
        let state: TrainerState =
            serde_json::from_slice(&bytes).map_err(|e| TrainError::State {
                path: state_path.clone(),
                message: format!("unreadable trainer state: {e}"),
            })?;
        if state.dtype != self.cfg.dtype {
            return Err(TrainError::State {
                path: state_path,
                message: format!(
                    "the checkpoint was trained in {} but this run asks for {}; \
                     resume with dtype = \"{}\" or use a new output directory",
                    state.dtype, self.cfg.dtype, state.dtype
                ),
            });
        }
        if state.config_fingerprint != self.fingerprint() {
            return Err(TrainError::State {
                path: state_path,
                message: "the checkpoint was written with different training settings; \
                          use a new output directory or restore the settings"
                    .into(),
            });
        }
        if !state.dropout_rng.is_valid() || !state.mask_rng.is_valid() {
            return Err(TrainError::State {
                path: state_path,
                message: "malformed generator state".into(),
            });
        }
        self.model
            .load_weights(&dir.join(super::bert::WEIGHTS_FILE))?;
        self.opt
            .load(&dir.join("trainer_state/optimizer.safetensors"), state.step)?;
        self.dropout = DropoutRng::from_state(&state.dropout_rng);
        self.mask_rng = state.mask_rng.restore();
        source.restore(&state.source_position)?;
        self.step = state.step;
        self.metrics = state.metrics;
        Ok(Some(state.step))
    }

    fn next_batch(
        &mut self,
        source: &mut dyn SequenceSource,
        rate: f64,
    ) -> Result<Vec<MaskedSequence>, TrainError> {
        let mut out = Vec::with_capacity(self.cfg.batch_size);
        while out.len() < self.cfg.batch_size {
            let seq = source.next_sequence()?.ok_or_else(|| {
                TrainError::Data(DataError::Empty("the training source ran dry".into()))
            })?;
            out.push(self.mask(&seq, rate));
        }
        Ok(out)
    }

    /// Masks one training sequence (cut to `max_len`) with the run's
    /// masking generator.
    fn mask(&mut self, seq: &Sequence, rate: f64) -> MaskedSequence {
        let n = seq.input_ids.len().min(self.cfg.max_len);
        mask_sequence(
            &seq.input_ids[..n],
            &seq.word_starts[..n.min(seq.word_starts.len())],
            &self.cfg.masking,
            rate,
            &self.info.vocab,
            &mut self.mask_rng,
        )
    }

    /// Draws the step's `grad_accum` micro-batches and sums their
    /// gradients. Each micro-batch's mean loss is weighted by its share of
    /// the step's masked positions, so the gradient (and the returned loss)
    /// is that of the mean over every masked position of the step: the same
    /// as one batch holding all the micro-batches.
    fn accumulate_gradients(
        &mut self,
        source: &mut dyn SequenceSource,
        rate: f64,
    ) -> Result<StepGradients, TrainError> {
        let mut batches = Vec::with_capacity(self.cfg.grad_accum);
        for _ in 0..self.cfg.grad_accum {
            batches.push(self.next_batch(source, rate)?);
        }
        let count = |b: &[MaskedSequence]| b.iter().map(|m| m.positions.len()).sum::<usize>();
        let tokens = batches
            .iter()
            .flatten()
            .map(|m| m.input_ids.len() as u64)
            .sum::<u64>();
        let masked: usize = batches.iter().map(|b| count(b)).sum();
        let mut grads: Option<Grads> = None;
        let mut loss = 0f64;
        for batch in &batches {
            let n_masked = count(batch);
            if n_masked == 0 {
                continue;
            }
            let share = n_masked as f64 / masked as f64;
            let mlm = collate(batch, self.info.pad_id, self.device())?;
            let out = self.model.mlm(&mlm, Some(&mut self.dropout))?;
            loss += share
                * out
                    .loss
                    .to_dtype(candle_core::DType::F64)?
                    .to_scalar::<f64>()?;
            let scaled = (out.loss * share)?;
            let g = Grads::from_backward(self.model.params(), &scaled.backward()?);
            match grads.as_mut() {
                Some(acc) => acc.accumulate(g)?,
                None => grads = Some(g),
            }
        }
        let grads = grads.ok_or_else(|| {
            TrainError::Config("no maskable token in a whole step: are all tokens special?".into())
        })?;
        Ok(StepGradients {
            grads,
            loss,
            tokens,
            masked: masked as u64,
        })
    }

    /// Takes one optimizer step (with gradient accumulation and clipping).
    pub fn train_step(&mut self, source: &mut dyn SequenceSource) -> Result<Metric, TrainError> {
        let total = self.cfg.steps;
        let rate = self.cfg.mask_rate.at(self.step, total);
        let lr = self.cfg.schedule.at(self.step, total);
        let StepGradients {
            mut grads,
            loss,
            tokens,
            masked,
        } = self.accumulate_gradients(source, rate)?;
        let grad_norm = grads.clip(self.cfg.clip_norm)?;
        self.opt.step(&grads, lr)?;
        self.step += 1;
        Ok(Metric {
            step: self.step,
            split: "train".into(),
            loss,
            accuracy: None,
            lr: Some(lr),
            grad_norm: Some(grad_norm),
            mask_rate: Some(rate),
            tokens,
            masked,
        })
    }

    /// Validation loss and masked-token accuracy on `sequences`, with the
    /// same masks every time (fixed seed), dropout off.
    pub fn evaluate(&mut self, sequences: &[Sequence]) -> Result<Metric, TrainError> {
        let opts = crate::eval::MlmEvalOptions {
            masking: self.cfg.masking.clone(),
            rate: self.cfg.mask_rate.end,
            max_len: self.cfg.max_len,
            batch_size: self.cfg.batch_size,
            seed: self.cfg.seed ^ VAL_SALT,
        };
        let m = crate::eval::mlm_metrics(&self.model, &self.info, sequences, &opts)?;
        Ok(Metric {
            step: self.step,
            split: "val".into(),
            loss: m.loss,
            accuracy: Some(m.accuracy),
            lr: None,
            grad_norm: None,
            mask_rate: Some(opts.rate),
            tokens: m.tokens,
            masked: m.masked,
        })
    }

    /// Trains until step `until` (at most the configured `steps`),
    /// validating, logging and checkpointing on schedule; writes the final
    /// model when the configured step count is reached.
    pub fn run(
        &mut self,
        source: &mut dyn SequenceSource,
        val: &[Sequence],
        until: u64,
        mut on_step: impl FnMut(&Metric),
    ) -> Result<TrainSummary, TrainError> {
        let until = until.min(self.cfg.steps);
        let mut summary = TrainSummary {
            resumed_from: self.step,
            step: self.step,
            ..TrainSummary::default()
        };
        while self.step < until {
            let m = self.train_step(source)?;
            summary.tokens += m.tokens;
            summary.last_loss = Some(m.loss);
            on_step(&m);
            let step = self.step;
            if self.cfg.log_every > 0
                && (step.is_multiple_of(self.cfg.log_every) || step == self.cfg.steps)
            {
                self.metrics.push(m);
            }
            let last = step == self.cfg.steps;
            if !val.is_empty()
                && ((self.cfg.eval_every > 0 && step.is_multiple_of(self.cfg.eval_every)) || last)
            {
                let v = self.evaluate(val)?;
                summary.last_val_loss = Some(v.loss);
                on_step(&v);
                self.metrics.push(v);
            }
            if (self.cfg.checkpoint_every > 0 && step.is_multiple_of(self.cfg.checkpoint_every))
                || last
            {
                summary.checkpoints.push(self.checkpoint(source)?);
                self.write_metrics()?;
            }
        }
        summary.step = self.step;
        if self.step == self.cfg.steps {
            let final_dir = self.out_dir.join("model");
            self.model.save(&final_dir)?;
            self.copy_tokenizer(&final_dir)?;
        }
        self.write_metrics()?;
        Ok(summary)
    }

    fn copy_tokenizer(&self, dir: &Path) -> Result<(), TrainError> {
        if let Some(t) = &self.tokenizer_file {
            let bytes = std::fs::read(t).map_err(|e| PathError::new("reading tokenizer", t, e))?;
            write_atomic(dir.join("tokenizer.json"), &bytes)?;
        }
        Ok(())
    }

    /// Writes a checkpoint for the current step; returns its directory.
    pub fn checkpoint(&self, source: &dyn SequenceSource) -> Result<PathBuf, TrainError> {
        let dir = self
            .out_dir
            .join("checkpoints")
            .join(format!("step-{:06}", self.step));
        self.model.save(&dir)?;
        self.copy_tokenizer(&dir)?;
        let state_dir = dir.join("trainer_state");
        self.opt.save(&state_dir.join("optimizer.safetensors"))?;
        let state = TrainerState {
            step: self.step,
            dropout_rng: self.dropout.state(),
            mask_rng: RngState::of(&self.mask_rng),
            source_position: source.position(),
            config_fingerprint: self.fingerprint(),
            dtype: self.cfg.dtype,
            metrics: self.metrics.clone(),
        };
        write_json_atomic(state_dir.join("state.json"), &state)?;
        Ok(dir)
    }

    /// Rewrites `metrics.jsonl` and `loss.svg` from the metrics so far.
    pub fn write_metrics(&self) -> Result<(), TrainError> {
        let mut text = String::new();
        for m in &self.metrics {
            text.push_str(&serde_json::to_string(m).unwrap_or_default());
            text.push('\n');
        }
        write_atomic(self.out_dir.join("metrics.jsonl"), text.as_bytes())?;
        let svg = super::plot::loss_svg(&self.metrics);
        write_atomic(self.out_dir.join("loss.svg"), svg.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::bert::BertConfig;
    use crate::train::config::TrainDtype;
    use crate::train::data::MemorySource;
    use crate::train::masking::{MaskVocab, MaskingStrategy};

    fn info() -> TokenInfo {
        TokenInfo {
            vocab: MaskVocab {
                mask_id: 4,
                vocab_size: 40,
                special: vec![0, 1, 2, 3, 4],
            }
            .normalised(),
            pad_id: 0,
            word_start: (0..40).map(|i| i % 4 != 3).collect(),
        }
    }

    fn corpus(n: usize, seed: u64) -> Vec<Sequence> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let len = rand::Rng::random_range(&mut rng, 6..14);
                let mut ids = vec![2u32];
                // A learnable pattern: 8 of the 35 ordinary tokens, each the
                // previous + 1 (mod 8).
                let start = rand::Rng::random_range(&mut rng, 0..8u32);
                for k in 0..len {
                    ids.push(5 + (start + k) % 8);
                }
                ids.push(3);
                let ws = info().word_starts(&ids);
                Sequence {
                    input_ids: ids,
                    word_starts: ws,
                }
            })
            .collect()
    }

    fn cfg(steps: u64) -> TrainConfig {
        let mut c = TrainConfig::with_steps(steps);
        c.batch_size = 4;
        c.grad_accum = 2;
        c.max_len = 16;
        c.eval_every = 2;
        c.checkpoint_every = 3;
        c.schedule.lr = 2e-3;
        c.schedule.warmup_steps = 2;
        c.masking = MaskingStrategy::WholeWord;
        c.seed = 7;
        c
    }

    fn model() -> BertForMaskedLM {
        let mut m = BertConfig::preset("tiny", 40).unwrap();
        m.hidden_size = 32;
        m.intermediate_size = 64;
        m.max_position_embeddings = 16;
        BertForMaskedLM::new(&m, 3, &Device::Cpu).unwrap()
    }

    fn losses(metrics: &[Metric]) -> Vec<(u64, String, f64)> {
        metrics
            .iter()
            .map(|m| (m.step, m.split.clone(), m.loss))
            .collect()
    }

    #[test]
    fn resumed_run_continues_exactly() {
        resumed_run_continues_exactly_in(TrainDtype::F32);
    }

    #[test]
    fn resumed_bf16_run_continues_exactly() {
        resumed_run_continues_exactly_in(TrainDtype::Bf16);
    }

    fn resumed_run_continues_exactly_in(dtype: TrainDtype) {
        let cfg = |steps| TrainConfig {
            dtype,
            ..cfg(steps)
        };
        let val = corpus(6, 99);
        // Uninterrupted: 7 steps.
        let full_dir = tempfile::tempdir().unwrap();
        let mut src = MemorySource::new(corpus(20, 1), 5).unwrap();
        let mut t = Trainer::new(cfg(7), model(), info(), None, full_dir.path()).unwrap();
        assert_eq!(t.model().compute_dtype(), dtype.compute());
        t.run(&mut src, &val, u64::MAX, |_| {}).unwrap();
        let full = losses(t.metrics());
        assert_eq!(full.iter().filter(|m| m.1 == "train").count(), 7);

        // Interrupted after step 4 (last checkpoint at 3), then resumed by a
        // fresh process-like trainer with a fresh source.
        let dir = tempfile::tempdir().unwrap();
        let mut src = MemorySource::new(corpus(20, 1), 5).unwrap();
        let mut t = Trainer::new(cfg(7), model(), info(), None, dir.path()).unwrap();
        t.run(&mut src, &val, 4, |_| {}).unwrap();
        drop(t);
        let mut src = MemorySource::new(corpus(20, 1), 5).unwrap();
        let mut t = Trainer::new(cfg(7), model(), info(), None, dir.path()).unwrap();
        assert_eq!(t.resume_if_any(&mut src).unwrap(), Some(3));
        let s = t.run(&mut src, &val, u64::MAX, |_| {}).unwrap();
        assert_eq!(s.resumed_from, 3);
        let resumed = losses(t.metrics());
        assert_eq!(resumed.len(), full.len());
        for (a, b) in full.iter().zip(&resumed) {
            assert_eq!((a.0, &a.1), (b.0, &b.1));
            assert!(
                (a.2 - b.2).abs() <= 1e-6 * a.2.abs().max(1.0),
                "{a:?} vs {b:?}"
            );
        }
        // Same final weights, byte for byte.
        let w1 = std::fs::read(full_dir.path().join("model/model.safetensors")).unwrap();
        let w2 = std::fs::read(dir.path().join("model/model.safetensors")).unwrap();
        assert!(w1 == w2, "final weights differ");
        let metrics = std::fs::read_to_string(dir.path().join("metrics.jsonl")).unwrap();
        assert_eq!(metrics.lines().count(), full.len());
        assert!(dir.path().join("loss.svg").is_file());
        // The checkpoint records the dtype and holds f32 master weights.
        let ck = dir.path().join("checkpoints/step-000007");
        let state: TrainerState =
            serde_json::from_slice(&std::fs::read(ck.join("trainer_state/state.json")).unwrap())
                .unwrap();
        assert_eq!(state.dtype, dtype);
        let st = crate::train::bert::read_safetensors(
            &ck.join(crate::train::bert::WEIGHTS_FILE),
            &Device::Cpu,
        )
        .unwrap();
        assert!(st.values().all(|t| t.dtype() == candle_core::DType::F32));
    }

    #[test]
    fn resume_refuses_changed_settings() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = MemorySource::new(corpus(10, 1), 5).unwrap();
        let mut t = Trainer::new(cfg(3), model(), info(), None, dir.path()).unwrap();
        t.run(&mut src, &[], u64::MAX, |_| {}).unwrap();
        let mut other = cfg(3);
        other.schedule.lr = 1e-2;
        let mut t = Trainer::new(other, model(), info(), None, dir.path()).unwrap();
        let err = t.resume_if_any(&mut src).unwrap_err().to_string();
        assert!(err.contains("different training settings"), "{err}");
    }

    #[test]
    fn resume_refuses_a_changed_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let mut src = MemorySource::new(corpus(10, 1), 5).unwrap();
        let mut t = Trainer::new(cfg(3), model(), info(), None, dir.path()).unwrap();
        t.run(&mut src, &[], 3, |_| {}).unwrap();
        let bf16 = TrainConfig {
            dtype: TrainDtype::Bf16,
            ..cfg(3)
        };
        let mut t = Trainer::new(bf16, model(), info(), None, dir.path()).unwrap();
        let err = t.resume_if_any(&mut src).unwrap_err().to_string();
        assert!(
            err.contains("trained in f32 but this run asks for bf16"),
            "{err}"
        );
    }

    #[test]
    fn gradient_accumulation_equals_one_concatenated_batch() {
        // Two micro-batches of 3 against one batch of 6 over the same
        // sequences and masks (the masking generator draws in the same
        // order), dropout off. The micro-batches hold different numbers of
        // masked positions, so a plain mean of micro-batch means would
        // differ from the batch mean.
        let mut m = model().config().clone();
        m.hidden_dropout_prob = 0.0;
        m.attention_probs_dropout_prob = 0.0;
        let run = |batch_size, grad_accum| {
            let c = TrainConfig {
                batch_size,
                grad_accum,
                ..cfg(1)
            };
            let model = BertForMaskedLM::new(&m, 3, &Device::Cpu).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let mut t = Trainer::new(c, model, info(), None, dir.path()).unwrap();
            let mut src = MemorySource::new(corpus(12, 4), 5).unwrap();
            let g = t.accumulate_gradients(&mut src, 0.3).unwrap();
            let flat: Vec<Vec<f32>> = g
                .grads
                .tensors
                .iter()
                .map(|t| {
                    t.as_ref()
                        .unwrap()
                        .flatten_all()
                        .unwrap()
                        .to_vec1()
                        .unwrap()
                })
                .collect();
            (g.loss, g.masked, g.tokens, flat)
        };
        {
            let c = TrainConfig {
                batch_size: 3,
                ..cfg(1)
            };
            let dir = tempfile::tempdir().unwrap();
            let mut t = Trainer::new(c, model(), info(), None, dir.path()).unwrap();
            let mut src = MemorySource::new(corpus(12, 4), 5).unwrap();
            let count = |b: Vec<MaskedSequence>| b.iter().map(|m| m.positions.len()).sum::<usize>();
            let first = count(t.next_batch(&mut src, 0.3).unwrap());
            let second = count(t.next_batch(&mut src, 0.3).unwrap());
            assert_ne!(first, second, "the test needs unequal micro-batches");
        }
        let (loss2, masked2, tokens2, accum) = run(3, 2);
        let (loss1, masked1, tokens1, whole) = run(6, 1);
        assert_eq!((masked2, tokens2), (masked1, tokens1));
        assert!((loss2 - loss1).abs() < 1e-5 * loss1, "{loss2} vs {loss1}");
        let mut worst = 0f32;
        for (a, b) in accum.iter().zip(&whole) {
            let scale = b.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-6);
            for (x, y) in a.iter().zip(b) {
                worst = worst.max((x - y).abs() / scale);
            }
        }
        assert!(worst < 1e-4, "largest relative gradient difference {worst}");
    }

    #[test]
    fn training_lowers_validation_loss() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cfg(40);
        c.eval_every = 40;
        c.checkpoint_every = 0;
        c.grad_accum = 1;
        c.batch_size = 8;
        c.masking = MaskingStrategy::Dynamic;
        let val = corpus(16, 99);
        let mut src = MemorySource::new(corpus(64, 1), 5).unwrap();
        let mut t = Trainer::new(c, model(), info(), None, dir.path()).unwrap();
        let before = t.evaluate(&val).unwrap().loss;
        t.run(&mut src, &val, u64::MAX, |_| {}).unwrap();
        let after = t.evaluate(&val).unwrap().loss;
        assert!(after < before * 0.8, "{before} -> {after}");
    }
}
