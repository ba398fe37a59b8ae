//! Evaluation of masked-LM checkpoints: loss, perplexity and masked-token
//! accuracy on a split of a shard directory, for one model or several side
//! by side (the baseline-vs-adapted table).
//!
//! Masks are drawn from a fixed seed, so every model is scored on exactly
//! the same corrupted positions, and a rerun gives the same numbers.
//! [`classify`] fine-tunes a checkpoint on labelled notes (sequence
//! classification) and reports accuracy and macro-F1; [`ner`] fine-tunes a
//! token tagger on span-annotated notes and reports entity-level P/R/F1.

pub mod classify;
pub mod ner;
pub mod stage;

use std::path::{Path, PathBuf};

use candle_core::{D, DType, Device};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::train::BertForMaskedLM;
use crate::train::data::{Sequence, TokenInfo, collate};
use crate::train::masking::{MaskedSequence, MaskingStrategy, mask_sequence};

/// How sequences are corrupted for scoring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlmEvalOptions {
    /// Masking strategy.
    pub masking: MaskingStrategy,
    /// Masking rate.
    pub rate: f64,
    /// Longest sequence fed to the model.
    pub max_len: usize,
    /// Sequences per forward pass.
    pub batch_size: usize,
    /// Seed of the masks.
    pub seed: u64,
}

impl Default for MlmEvalOptions {
    fn default() -> Self {
        MlmEvalOptions {
            masking: MaskingStrategy::Dynamic,
            rate: 0.15,
            max_len: 512,
            batch_size: 16,
            seed: 0,
        }
    }
}

/// Masked-LM scores of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlmMetrics {
    /// Mean cross-entropy over the predicted positions (nats).
    pub loss: f64,
    /// `exp(loss)`.
    pub perplexity: f64,
    /// Fraction of predicted positions whose arg-max is the original token.
    pub accuracy: f64,
    /// Predicted positions.
    pub masked: u64,
    /// Tokens scored (padding excluded).
    pub tokens: u64,
    /// Sequences scored.
    pub sequences: u64,
}

/// Scores `model` on `sequences`; dropout off.
pub fn mlm_metrics(
    model: &BertForMaskedLM,
    info: &TokenInfo,
    sequences: &[Sequence],
    opts: &MlmEvalOptions,
) -> candle_core::Result<MlmMetrics> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let max_len = opts.max_len.min(model.config().max_position_embeddings);
    let (mut loss_sum, mut correct, mut masked, mut tokens) = (0f64, 0u64, 0u64, 0u64);
    for chunk in sequences.chunks(opts.batch_size.max(1)) {
        let batch: Vec<MaskedSequence> = chunk
            .iter()
            .map(|s| {
                let n = s.input_ids.len().min(max_len);
                mask_sequence(
                    &s.input_ids[..n],
                    &s.word_starts[..n.min(s.word_starts.len())],
                    &opts.masking,
                    opts.rate,
                    &info.vocab,
                    &mut rng,
                )
            })
            .collect();
        tokens += batch.iter().map(|m| m.input_ids.len() as u64).sum::<u64>();
        let n: usize = batch.iter().map(|m| m.positions.len()).sum();
        if n == 0 {
            continue;
        }
        let mlm = collate(&batch, info.pad_id, model.device())?;
        let out = model.mlm(&mlm, None)?;
        loss_sum += out.loss.to_dtype(DType::F64)?.to_scalar::<f64>()? * n as f64;
        let hits = out
            .logits
            .argmax(D::Minus1)?
            .eq(&mlm.labels)?
            .to_dtype(DType::U32)?
            .sum_all()?
            .to_scalar::<u32>()?;
        correct += u64::from(hits);
        masked += n as u64;
    }
    let m = masked.max(1) as f64;
    let loss = loss_sum / m;
    Ok(MlmMetrics {
        loss,
        perplexity: loss.exp(),
        accuracy: correct as f64 / m,
        masked,
        tokens,
        sequences: sequences.len() as u64,
    })
}

/// One row of a comparison table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelScore {
    /// What was evaluated (checkpoint path, or `untrained:<preset>`).
    pub model: String,
    /// Its scores.
    pub mlm: MlmMetrics,
}

/// The comparison table as Markdown.
pub fn render_markdown(split: &str, rows: &[ModelScore]) -> String {
    let mut s = format!(
        "# Masked-LM evaluation ({split} split)\n\n| model | loss | perplexity | accuracy | masked | sequences |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {:.4} | {:.2} | {:.4} | {} | {} |\n",
            r.model, r.mlm.loss, r.mlm.perplexity, r.mlm.accuracy, r.mlm.masked, r.mlm.sequences
        ));
    }
    s
}

/// A model to evaluate: a checkpoint directory, or an untrained preset
/// (`untrained:tiny`, seed 0) as the floor of the table.
pub fn load_model(
    spec: &str,
    vocab_size: usize,
    device: &Device,
) -> Result<BertForMaskedLM, crate::train::bert::ModelError> {
    if let Some(preset) = spec.strip_prefix("untrained:") {
        let cfg = crate::train::BertConfig::preset(preset, vocab_size).ok_or_else(|| {
            crate::train::bert::ModelError::Config {
                path: PathBuf::from(spec),
                message: "unknown preset: use tiny, small or base".into(),
            }
        })?;
        return BertForMaskedLM::new(&cfg, 0, device);
    }
    BertForMaskedLM::load(Path::new(spec), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::BertConfig;
    use crate::train::masking::MaskVocab;

    fn info() -> TokenInfo {
        TokenInfo {
            vocab: MaskVocab {
                mask_id: 4,
                vocab_size: 30,
                special: vec![0, 1, 2, 3, 4],
            }
            .normalised(),
            pad_id: 0,
            word_start: vec![true; 30],
        }
    }

    #[test]
    fn untrained_model_scores_near_uniform_and_reruns_match() {
        let mut cfg = BertConfig::preset("tiny", 30).unwrap();
        cfg.hidden_size = 32;
        cfg.intermediate_size = 64;
        let model = BertForMaskedLM::new(&cfg, 0, &Device::Cpu).unwrap();
        let seqs: Vec<Sequence> = (0..10)
            .map(|i| Sequence {
                input_ids: (0..20).map(|k| 5 + ((i + k) % 25) as u32).collect(),
                word_starts: vec![true; 20],
            })
            .collect();
        let opts = MlmEvalOptions::default();
        let a = mlm_metrics(&model, &info(), &seqs, &opts).unwrap();
        let b = mlm_metrics(&model, &info(), &seqs, &opts).unwrap();
        assert_eq!(a, b);
        // N(0, 0.02) weights give nearly uniform predictions over 30 ids.
        assert!((a.loss - 30f64.ln()).abs() < 0.2, "{a:?}");
        assert!((a.perplexity - a.loss.exp()).abs() < 1e-9);
        assert_eq!(a.sequences, 10);
        assert!(a.masked >= 10);
        let md = render_markdown(
            "test",
            &[ModelScore {
                model: "untrained:tiny".into(),
                mlm: a,
            }],
        );
        assert!(md.contains("| untrained:tiny |"));
    }
}
