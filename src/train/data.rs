//! Where training sequences come from, and how they become batches.
//!
//! The trainer reads through one small trait, [`SequenceSource`]: the next
//! sequence (token ids plus word-start flags), and a serialisable position
//! so a resumed run continues at exactly the same sequence. Token shards
//! implement it; [`MemorySource`] implements it over sequences in memory
//! (tests, small corpora), with a seeded shuffle per epoch.
//!
//! [`TokenInfo`] reads what masking needs from a `tokenizer.json`: the
//! `[MASK]` id, the special tokens, and which tokens start a word.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::masking::{MaskVocab, MaskedSequence};
use crate::fsio::PathError;

/// One training sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// Token ids (with `[CLS]`/`[SEP]` as the tokenizer wrote them).
    pub input_ids: Vec<u32>,
    /// `true` where a token starts a word (for whole-word and span masking).
    pub word_starts: Vec<bool>,
}

/// Errors reading training data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Reading a file failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// A file is not in the expected format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A saved reader position does not fit this source.
    #[error("cannot resume the data reader: {0}")]
    Position(String),
    /// The source has no sequences at all.
    #[error("no training sequences in {0}")]
    Empty(String),
}

/// A stream of training sequences with a resumable position.
pub trait SequenceSource {
    /// The next sequence; `None` when a finite source is exhausted
    /// (training sources cycle through epochs and never end).
    fn next_sequence(&mut self) -> Result<Option<Sequence>, DataError>;
    /// Where the reader is, as JSON (saved in `trainer_state/`).
    fn position(&self) -> serde_json::Value;
    /// Moves the reader to a position from [`SequenceSource::position`].
    fn restore(&mut self, position: &serde_json::Value) -> Result<(), DataError>;
}

/// Sequences in memory, visited in a seeded random order that changes each
/// epoch; cycles forever.
#[derive(Clone, Debug)]
pub struct MemorySource {
    sequences: Vec<Sequence>,
    seed: u64,
    epoch: u64,
    index: usize,
    order: Vec<usize>,
}

/// Position of a [`MemorySource`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryPosition {
    /// Completed epochs.
    pub epoch: u64,
    /// Sequences read in the current epoch.
    pub index: usize,
}

impl MemorySource {
    /// A source over `sequences`, shuffled with `seed`.
    pub fn new(sequences: Vec<Sequence>, seed: u64) -> Result<MemorySource, DataError> {
        if sequences.is_empty() {
            return Err(DataError::Empty("memory source".into()));
        }
        let mut s = MemorySource {
            order: Vec::new(),
            sequences,
            seed,
            epoch: 0,
            index: 0,
        };
        s.order = s.epoch_order(0);
        Ok(s)
    }

    fn epoch_order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.sequences.len()).collect();
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for i in (1..order.len()).rev() {
            let j = rand::Rng::random_range(&mut rng, 0..=i);
            order.swap(i, j);
        }
        order
    }
}

impl SequenceSource for MemorySource {
    fn next_sequence(&mut self) -> Result<Option<Sequence>, DataError> {
        if self.index == self.order.len() {
            self.epoch += 1;
            self.index = 0;
            self.order = self.epoch_order(self.epoch);
        }
        let s = self.sequences[self.order[self.index]].clone();
        self.index += 1;
        Ok(Some(s))
    }

    fn position(&self) -> serde_json::Value {
        serde_json::to_value(MemoryPosition {
            epoch: self.epoch,
            index: self.index,
        })
        .unwrap_or(serde_json::Value::Null)
    }

    fn restore(&mut self, position: &serde_json::Value) -> Result<(), DataError> {
        let p: MemoryPosition = serde_json::from_value(position.clone())
            .map_err(|e| DataError::Position(e.to_string()))?;
        if p.index > self.sequences.len() {
            return Err(DataError::Position(format!(
                "index {} beyond {} sequences",
                p.index,
                self.sequences.len()
            )));
        }
        self.epoch = p.epoch;
        self.index = p.index;
        self.order = self.epoch_order(p.epoch);
        Ok(())
    }
}

/// What the trainer needs to know about the tokenizer.
#[derive(Clone, Debug)]
pub struct TokenInfo {
    /// Masking vocabulary (mask id, size, special ids).
    pub vocab: MaskVocab,
    /// Id of the padding token.
    pub pad_id: u32,
    /// Per token id: whether it starts a word.
    pub word_start: Vec<bool>,
}

impl TokenInfo {
    /// Reads a Hugging Face `tokenizer.json` (WordPiece, BPE or Unigram).
    /// Word starts: WordPiece tokens without the continuation prefix
    /// (`##`), BPE/Unigram tokens with a space marker (`Ġ`, `▁`).
    pub fn from_tokenizer_json(path: &Path) -> Result<TokenInfo, DataError> {
        let bytes =
            std::fs::read(path).map_err(|e| PathError::new("reading tokenizer", path, e))?;
        let json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| DataError::Format {
                path: path.to_path_buf(),
                message: format!("not JSON: {e}"),
            })?;
        let fmt = |message: String| DataError::Format {
            path: path.to_path_buf(),
            message,
        };
        let model = &json["model"];
        let kind = model["type"].as_str().unwrap_or("");
        let mut tokens: Vec<(String, u32)> = Vec::new();
        match &model["vocab"] {
            serde_json::Value::Object(map) => {
                for (tok, id) in map {
                    let id = id.as_u64().ok_or_else(|| {
                        fmt(format!("vocab id of a token is not a number ({kind})"))
                    })?;
                    tokens.push((tok.clone(), id as u32));
                }
            }
            serde_json::Value::Array(list) => {
                for (id, entry) in list.iter().enumerate() {
                    let tok = entry[0].as_str().unwrap_or("").to_string();
                    tokens.push((tok, id as u32));
                }
            }
            _ => return Err(fmt("no model.vocab".into())),
        }
        let mut special = Vec::new();
        if let Some(added) = json["added_tokens"].as_array() {
            for t in added {
                if let (Some(content), Some(id)) = (t["content"].as_str(), t["id"].as_u64()) {
                    tokens.push((content.to_string(), id as u32));
                    if t["special"].as_bool().unwrap_or(false) {
                        special.push(id as u32);
                    }
                }
            }
        }
        let vocab_size = tokens.iter().map(|t| t.1 + 1).max().unwrap_or(0);
        let find = |names: &[&str]| {
            tokens
                .iter()
                .find(|(t, _)| names.contains(&t.as_str()))
                .map(|t| t.1)
        };
        let mask_id = find(&["[MASK]", "<mask>"])
            .ok_or_else(|| fmt("no [MASK] or <mask> token: cannot train a masked LM".into()))?;
        let pad_id = find(&["[PAD]", "<pad>"]).unwrap_or(0);
        for name in [
            "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "<s>", "</s>", "<pad>", "<mask>", "<unk>",
        ] {
            if let Some(id) = find(&[name]) {
                special.push(id);
            }
        }
        let continuation = model["continuing_subword_prefix"]
            .as_str()
            .unwrap_or("##")
            .to_string();
        let mut word_start = vec![true; vocab_size as usize];
        for (tok, id) in &tokens {
            let starts = match kind {
                "WordPiece" => !tok.starts_with(&continuation),
                "BPE" | "Unigram" => {
                    tok.starts_with('Ġ') || tok.starts_with('▁') || tok.starts_with(' ')
                }
                _ => true,
            };
            word_start[*id as usize] = starts;
        }
        Ok(TokenInfo {
            vocab: MaskVocab {
                mask_id,
                vocab_size,
                special,
            }
            .normalised(),
            pad_id,
            word_start,
        })
    }

    /// Word-start flags of `ids`.
    pub fn word_starts(&self, ids: &[u32]) -> Vec<bool> {
        ids.iter()
            .map(|&i| self.word_start.get(i as usize).copied().unwrap_or(true))
            .collect()
    }
}

/// Pads masked sequences into an MLM batch on `device`.
pub fn collate(
    masked: &[MaskedSequence],
    pad_id: u32,
    device: &Device,
) -> candle_core::Result<super::bert::MlmBatch> {
    let b = masked.len();
    let l = masked
        .iter()
        .map(|m| m.input_ids.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut ids = Vec::with_capacity(b * l);
    let mut mask = Vec::with_capacity(b * l);
    let mut positions = Vec::new();
    let mut labels = Vec::new();
    for (row, m) in masked.iter().enumerate() {
        ids.extend_from_slice(&m.input_ids);
        mask.extend(std::iter::repeat_n(1f32, m.input_ids.len()));
        ids.extend(std::iter::repeat_n(pad_id, l - m.input_ids.len()));
        mask.extend(std::iter::repeat_n(0f32, l - m.input_ids.len()));
        positions.extend(m.positions.iter().map(|&p| (row * l) as u32 + p));
        labels.extend_from_slice(&m.labels);
    }
    let n = positions.len();
    Ok(super::bert::MlmBatch {
        input_ids: Tensor::from_vec(ids, (b, l), device)?,
        attention_mask: Tensor::from_vec(mask, (b, l), device)?,
        positions: Tensor::from_vec(positions, n, device)?,
        labels: Tensor::from_vec(labels, n, device)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(n: usize) -> Vec<Sequence> {
        (0..n)
            .map(|i| Sequence {
                input_ids: vec![i as u32],
                word_starts: vec![true],
            })
            .collect()
    }

    #[test]
    fn memory_source_shuffles_each_epoch_and_resumes() {
        let mut s = MemorySource::new(seqs(10), 1).unwrap();
        let first: Vec<u32> = (0..10)
            .map(|_| s.next_sequence().unwrap().unwrap().input_ids[0])
            .collect();
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        for _ in 0..3 {
            s.next_sequence().unwrap();
        }
        let pos = s.position();
        let rest: Vec<u32> = (0..15)
            .map(|_| s.next_sequence().unwrap().unwrap().input_ids[0])
            .collect();
        let second_epoch_start = rest[..7].to_vec();
        assert_ne!(
            second_epoch_start,
            first[3..10].to_vec(),
            "same order twice"
        );
        let mut again = MemorySource::new(seqs(10), 1).unwrap();
        again.restore(&pos).unwrap();
        let resumed: Vec<u32> = (0..15)
            .map(|_| again.next_sequence().unwrap().unwrap().input_ids[0])
            .collect();
        assert_eq!(resumed, rest);
    }

    #[test]
    fn reads_a_wordpiece_tokenizer_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        let json = serde_json::json!({
            "added_tokens": [
                {"id": 0, "content": "[PAD]", "special": true},
                {"id": 1, "content": "[UNK]", "special": true},
                {"id": 2, "content": "[CLS]", "special": true},
                {"id": 3, "content": "[SEP]", "special": true},
                {"id": 4, "content": "[MASK]", "special": true}
            ],
            "model": {"type": "WordPiece", "continuing_subword_prefix": "##",
                      "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4,
                                "pasient": 5, "##en": 6, "fikk": 7}}
        });
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let info = TokenInfo::from_tokenizer_json(&path).unwrap();
        assert_eq!(info.vocab.mask_id, 4);
        assert_eq!(info.vocab.vocab_size, 8);
        assert_eq!(info.vocab.special, vec![0, 1, 2, 3, 4]);
        assert_eq!(
            info.word_starts(&[2, 5, 6, 7, 3]),
            vec![true, true, false, true, true]
        );
    }

    #[test]
    fn collate_pads_and_offsets_positions() {
        let m = vec![
            MaskedSequence {
                input_ids: vec![2, 4, 3],
                positions: vec![1],
                labels: vec![9],
            },
            MaskedSequence {
                input_ids: vec![2, 7, 4, 8, 3],
                positions: vec![2],
                labels: vec![6],
            },
        ];
        let b = collate(&m, 0, &Device::Cpu).unwrap();
        assert_eq!(b.input_ids.dims(), &[2, 5]);
        assert_eq!(b.positions.to_vec1::<u32>().unwrap(), vec![1, 7]);
        assert_eq!(
            b.attention_mask.to_vec2::<f32>().unwrap()[0],
            vec![1.0, 1.0, 1.0, 0.0, 0.0]
        );
    }
}
