//! Downstream sequence classification: fine-tune a checkpoint's encoder
//! with a linear head on the `[CLS]` state, on labelled notes (JSONL
//! `{"text", "label", "patient_id"}`), split by patient, and report
//! accuracy and macro-F1 on the held-out patients.
//!
//! Everything is seeded (split, head initialisation, order, dropout), so a
//! rerun gives the same table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use candle_core::{D, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fsio::PathError;
use crate::tokenize::NoteTokenizer;
use crate::train::BertForMaskedLM;
use crate::train::bert::{DropoutRng, cross_entropy, normal_tensor};
use crate::train::optim::{AdamW, AdamWConfig, Grads};

/// Errors of a classification task.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// Reading the data failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// A line of the JSONL is unusable.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong (never the note text).
        message: String,
    },
    /// Too little data for a train/test split.
    #[error("{0}")]
    Data(String),
    /// Tokenizing failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// One labelled note.
#[derive(Clone, Debug)]
pub struct LabelledText {
    /// The note text.
    pub text: String,
    /// Its class.
    pub label: String,
    /// Split unit (patient id; the line number when absent).
    pub group: String,
}

/// Reads `{"text": …, "label": …, "patient_id": …}` lines.
pub fn read_jsonl(path: &Path) -> Result<Vec<LabelledText>, ClassifyError> {
    let raw = std::fs::read_to_string(path).map_err(|e| PathError::new("reading", path, e))?;
    let mut out = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: &str| ClassifyError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            message: message.to_string(),
        };
        let v: serde_json::Value = serde_json::from_str(line).map_err(|_| bad("not JSON"))?;
        let text = v["text"]
            .as_str()
            .ok_or_else(|| bad("no string field `text`"))?;
        let label = match &v["label"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(bad("no string or number field `label`")),
        };
        let group = v["patient_id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("line-{}", i + 1));
        out.push(LabelledText {
            text: text.to_string(),
            label,
            group,
        });
    }
    Ok(out)
}

/// Fine-tuning settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifyOptions {
    /// Passes over the training notes.
    pub epochs: usize,
    /// AdamW learning rate (constant).
    pub lr: f64,
    /// Notes per step.
    pub batch_size: usize,
    /// Longest input, `[CLS]`/`[SEP]` included.
    pub max_len: usize,
    /// Fraction of patients held out for testing.
    pub test_fraction: f64,
    /// Seed of split, head, order and dropout.
    pub seed: u64,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        ClassifyOptions {
            epochs: 3,
            lr: 1e-4,
            batch_size: 16,
            max_len: 128,
            test_fraction: 0.2,
            seed: 0,
        }
    }
}

/// Precision, recall and F1 of one label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Test notes with this gold label.
    pub support: u64,
}

/// Scores of one fine-tuned model on the held-out patients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifyScores {
    /// Accuracy.
    pub accuracy: f64,
    /// Unweighted mean F1 over labels.
    pub macro_f1: f64,
    /// Per label.
    pub per_label: BTreeMap<String, Prf>,
    /// Training notes.
    pub train: u64,
    /// Test notes.
    pub test: u64,
}

/// Whether a patient falls in the test part (keyed hash of the group).
pub(crate) fn is_test(group: &str, seed: u64, fraction: f64) -> bool {
    let h = Sha256::digest(format!("{seed}:{group}").as_bytes());
    let x = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    (x as f64 / u64::MAX as f64) < fraction
}

fn encode(tok: &NoteTokenizer, text: &str, max_len: usize) -> Result<Vec<u32>, ClassifyError> {
    let s = tok.specials();
    let room = max_len
        .saturating_sub(s.prefix.len() + s.suffix.len())
        .max(1);
    let enc = tok.encode(text).map_err(ClassifyError::Tokenizer)?;
    let mut ids = s.prefix.clone();
    ids.extend(enc.ids.iter().take(room));
    ids.extend(&s.suffix);
    Ok(ids)
}

fn batch_tensors(
    rows: &[&(Vec<u32>, u32)],
    pad: u32,
    device: &candle_core::Device,
) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let l = rows.iter().map(|r| r.0.len()).max().unwrap_or(1).max(1);
    let mut ids = Vec::with_capacity(rows.len() * l);
    let mut mask = Vec::with_capacity(rows.len() * l);
    for r in rows {
        ids.extend(&r.0);
        ids.extend(std::iter::repeat_n(pad, l - r.0.len()));
        mask.extend(std::iter::repeat_n(1f32, r.0.len()));
        mask.extend(std::iter::repeat_n(0f32, l - r.0.len()));
    }
    let labels: Vec<u32> = rows.iter().map(|r| r.1).collect();
    Ok((
        Tensor::from_vec(ids, (rows.len(), l), device)?,
        Tensor::from_vec(mask, (rows.len(), l), device)?,
        Tensor::from_vec(labels, rows.len(), device)?,
    ))
}

/// Fine-tunes `model` (consumed: its encoder weights change) on the
/// training patients of `data` and scores the test patients.
pub fn fine_tune_and_score(
    model: BertForMaskedLM,
    tok: &NoteTokenizer,
    pad_id: u32,
    data: &[LabelledText],
    opts: &ClassifyOptions,
) -> Result<ClassifyScores, ClassifyError> {
    let labels: Vec<String> = data
        .iter()
        .map(|d| d.label.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if labels.len() < 2 {
        return Err(ClassifyError::Data("need at least two labels".into()));
    }
    let index: BTreeMap<&str, u32> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u32))
        .collect();
    let mut train = Vec::new();
    let mut test = Vec::new();
    for d in data {
        let row = (encode(tok, &d.text, opts.max_len)?, index[d.label.as_str()]);
        if is_test(&d.group, opts.seed, opts.test_fraction) {
            test.push(row);
        } else {
            train.push(row);
        }
    }
    if train.is_empty() || test.is_empty() {
        return Err(ClassifyError::Data(format!(
            "the patient split left {} training and {} test notes: need some of each",
            train.len(),
            test.len()
        )));
    }
    let device = model.device().clone();
    let h = model.config().hidden_size;
    let mut store = model.params().clone();
    let w = store.register(
        "classifier.weight",
        normal_tensor(&[labels.len(), h], 0.02, opts.seed, &device)?,
    )?;
    let b = store.register(
        "classifier.bias",
        Tensor::zeros(labels.len(), candle_core::DType::F32, &device)?,
    )?;
    let mut opt = AdamW::new(&store, AdamWConfig::default())?;
    let mut dropout = DropoutRng::new(opts.seed ^ 0x636c_6173);
    let p_drop = model.config().hidden_dropout_prob;
    let logits_of = |ids: &Tensor,
                     mask: &Tensor,
                     mut rng: Option<&mut DropoutRng>|
     -> candle_core::Result<Tensor> {
        let hidden = model.encode(ids, Some(mask), rng.as_deref_mut())?;
        let mut cls = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        if let Some(r) = rng {
            cls = r.apply(&cls, p_drop)?;
        }
        cls.matmul(&w.t()?)?.broadcast_add(&b)
    };
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    for _ in 0..opts.epochs {
        for i in (1..order.len()).rev() {
            let j = rand::Rng::random_range(&mut rng, 0..=i);
            order.swap(i, j);
        }
        for chunk in order.chunks(opts.batch_size.max(1)) {
            let rows: Vec<&(Vec<u32>, u32)> = chunk.iter().map(|&i| &train[i]).collect();
            let (ids, mask, y) = batch_tensors(&rows, pad_id, &device)?;
            let logits = logits_of(&ids, &mask, Some(&mut dropout))?;
            let loss = cross_entropy(&logits, &y)?;
            let mut grads = Grads::from_backward(&store, &loss.backward()?);
            grads.clip(1.0)?;
            opt.step(&grads, opts.lr)?;
        }
    }
    // Score the test patients.
    let k = labels.len();
    let mut confusion = vec![vec![0u64; k]; k];
    for chunk in test.chunks(opts.batch_size.max(1)) {
        let rows: Vec<&(Vec<u32>, u32)> = chunk.iter().collect();
        let (ids, mask, _) = batch_tensors(&rows, pad_id, &device)?;
        let pred = logits_of(&ids, &mask, None)?
            .argmax(D::Minus1)?
            .to_vec1::<u32>()?;
        for (r, p) in rows.iter().zip(pred) {
            confusion[r.1 as usize][p as usize] += 1;
        }
    }
    let total: u64 = confusion.iter().flatten().sum();
    let correct: u64 = (0..k).map(|i| confusion[i][i]).sum();
    let mut per_label = BTreeMap::new();
    for (i, name) in labels.iter().enumerate() {
        let tp = confusion[i][i] as f64;
        let gold: u64 = confusion[i].iter().sum();
        let predicted: u64 = confusion.iter().map(|row| row[i]).sum();
        let precision = if predicted > 0 {
            tp / predicted as f64
        } else {
            0.0
        };
        let recall = if gold > 0 { tp / gold as f64 } else { 0.0 };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        per_label.insert(
            name.clone(),
            Prf {
                precision,
                recall,
                f1,
                support: gold,
            },
        );
    }
    let macro_f1 = per_label.values().map(|p| p.f1).sum::<f64>() / k as f64;
    Ok(ClassifyScores {
        accuracy: correct as f64 / total.max(1) as f64,
        macro_f1,
        per_label,
        train: train.len() as u64,
        test: test.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::BertConfig;

    /// Notes whose class is decided by one keyword, 40 patients.
    fn data() -> Vec<LabelledText> {
        let filler = [
            "pasienten",
            "fikk",
            "smerter",
            "i",
            "går",
            "og",
            "ble",
            "innlagt",
        ];
        let mut out = Vec::new();
        for p in 0..40 {
            for k in 0..3 {
                let label = if (p + k) % 2 == 0 {
                    "kirurgi"
                } else {
                    "medisin"
                };
                let key = if label == "kirurgi" {
                    "operert"
                } else {
                    "tabletter"
                };
                let mut words: Vec<&str> =
                    filler.iter().cycle().skip(p + k).take(6).copied().collect();
                words.insert((p + k) % 6, key);
                out.push(LabelledText {
                    text: words.join(" "),
                    label: label.into(),
                    group: format!("p{p}"),
                });
            }
        }
        out
    }

    #[test]
    fn fine_tuning_learns_a_keyword_class_and_scores_held_out_patients() {
        let d = data();
        let tok = NoteTokenizer::train(d.iter().map(|x| x.text.clone()), 100, true, 1).unwrap();
        let mut cfg = BertConfig::preset("tiny", tok.vocab_size()).unwrap();
        cfg.hidden_size = 64;
        cfg.intermediate_size = 128;
        cfg.max_position_embeddings = 32;
        let opts = ClassifyOptions {
            epochs: 6,
            lr: 1e-3,
            batch_size: 8,
            max_len: 32,
            test_fraction: 0.25,
            seed: 1,
        };
        let model = BertForMaskedLM::new(&cfg, 0, &candle_core::Device::Cpu).unwrap();
        let s = fine_tune_and_score(model, &tok, 0, &d, &opts).unwrap();
        assert_eq!(s.train + s.test, 120);
        assert!(s.test > 0 && s.train > s.test, "{s:?}");
        assert!(s.accuracy > 0.9, "{s:?}");
        assert!(s.macro_f1 > 0.9, "{s:?}");
        assert_eq!(s.per_label.len(), 2);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        std::fs::write(
            &path,
            "{\"text\": \"a\", \"label\": \"x\"}\n{\"label\": \"y\"}\n",
        )
        .unwrap();
        let err = read_jsonl(&path).unwrap_err().to_string();
        assert!(err.contains("l.jsonl:2: no string field `text`"), "{err}");
    }
}
