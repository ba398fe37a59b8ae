//! Masked-LM corruption: which positions to predict and what the model sees
//! there.
//!
//! Three strategies, all drawing from a seeded generator so a run (and a
//! resumed run) masks identically:
//! - `dynamic` — BERT/RoBERTa: every ordinary token is chosen with
//!   probability `rate`, freshly for each batch;
//! - `whole_word` — words (a word-start token and its continuation tokens)
//!   are chosen until `rate × tokens` positions are covered;
//! - `span` — SpanBERT/NorBERT3: spans of whole words with geometric
//!   lengths (`p`, clipped at `max_span` words) until the budget is covered.
//!
//! Chosen positions become `[MASK]` 80 % of the time, a random token 10 %,
//! and stay unchanged 10 % (decided per token for `dynamic`, per word or
//! span otherwise). Special tokens (`[CLS]`, `[SEP]`, `[PAD]`, …) are never
//! chosen. Every sequence gets at least one prediction.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// How positions are chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MaskingStrategy {
    /// Independent tokens.
    Dynamic,
    /// Whole words, using the word-start flags.
    WholeWord,
    /// Spans of whole words with geometric lengths.
    Span {
        /// Parameter of the geometric length distribution (SpanBERT: 0.2).
        #[serde(default = "default_geo_p")]
        p: f64,
        /// Longest span in words (SpanBERT: 10).
        #[serde(default = "default_max_span")]
        max_span: usize,
    },
}

fn default_geo_p() -> f64 {
    0.2
}
fn default_max_span() -> usize {
    10
}

/// The masking rate over training: constant, or moving linearly from
/// `start` to `end` over the run (a masking-rate schedule).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskRate {
    /// Rate at step 0.
    pub start: f64,
    /// Rate at the last step (same as `start` for a constant rate).
    pub end: f64,
}

impl Default for MaskRate {
    fn default() -> Self {
        MaskRate {
            start: 0.15,
            end: 0.15,
        }
    }
}

impl MaskRate {
    /// The rate at optimizer step `step` of `total`.
    pub fn at(&self, step: u64, total: u64) -> f64 {
        if total <= 1 {
            return self.start;
        }
        let f = (step as f64 / (total - 1) as f64).clamp(0.0, 1.0);
        self.start + (self.end - self.start) * f
    }

    /// Checks both rates are in (0, 1).
    pub fn validate(&self) -> Result<(), String> {
        for r in [self.start, self.end] {
            if !(r > 0.0 && r < 1.0) {
                return Err(format!("masking rates must be in (0, 1), got {r}"));
            }
        }
        Ok(())
    }
}

/// What the masker needs to know about the vocabulary.
#[derive(Clone, Debug)]
pub struct MaskVocab {
    /// Id of `[MASK]`.
    pub mask_id: u32,
    /// Vocabulary size (random replacements are drawn from `0..vocab_size`
    /// minus special tokens).
    pub vocab_size: u32,
    /// Ids never chosen for prediction nor used as random replacements.
    pub special: Vec<u32>,
}

impl MaskVocab {
    fn is_special(&self, id: u32) -> bool {
        self.special.binary_search(&id).is_ok()
    }

    fn random_token<R: Rng>(&self, rng: &mut R) -> u32 {
        // Rejection sampling; the vocabulary has far more ordinary tokens
        // than special ones. Falls back to the mask id after 64 tries.
        for _ in 0..64 {
            let t = rng.random_range(0..self.vocab_size.max(1));
            if !self.is_special(t) {
                return t;
            }
        }
        self.mask_id
    }

    /// Sorts the special ids (required before use).
    pub fn normalised(mut self) -> MaskVocab {
        self.special.sort_unstable();
        self.special.dedup();
        self
    }
}

/// One corrupted sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct MaskedSequence {
    /// Ids the model sees.
    pub input_ids: Vec<u32>,
    /// Positions to predict (ascending).
    pub positions: Vec<u32>,
    /// Original ids at `positions`.
    pub labels: Vec<u32>,
}

/// Corrupts `ids` (with `word_starts` flags of the same length) at `rate`.
pub fn mask_sequence<R: Rng>(
    ids: &[u32],
    word_starts: &[bool],
    strategy: &MaskingStrategy,
    rate: f64,
    vocab: &MaskVocab,
    rng: &mut R,
) -> MaskedSequence {
    let eligible: Vec<usize> = (0..ids.len())
        .filter(|&i| !vocab.is_special(ids[i]))
        .collect();
    // Groups of positions that are corrupted together.
    let groups: Vec<Vec<usize>> = if eligible.is_empty() {
        Vec::new()
    } else {
        match strategy {
            MaskingStrategy::Dynamic => {
                let mut g: Vec<Vec<usize>> = eligible
                    .iter()
                    .filter(|_| rng.random::<f64>() < rate)
                    .map(|&i| vec![i])
                    .collect();
                if g.is_empty() {
                    g.push(vec![eligible[rng.random_range(0..eligible.len())]]);
                }
                g
            }
            MaskingStrategy::WholeWord => {
                let words = words_of(ids, word_starts, vocab);
                let budget = budget(eligible.len(), rate);
                let mut order: Vec<usize> = (0..words.len()).collect();
                shuffle(&mut order, rng);
                let mut chosen = Vec::new();
                let mut covered = 0;
                for w in order {
                    if covered >= budget {
                        break;
                    }
                    if covered + words[w].len() > budget && covered > 0 {
                        continue;
                    }
                    covered += words[w].len();
                    chosen.push(words[w].clone());
                }
                chosen
            }
            MaskingStrategy::Span { p, max_span } => {
                let words = words_of(ids, word_starts, vocab);
                spans(&words, budget(eligible.len(), rate), *p, *max_span, rng)
            }
        }
    };
    let mut input_ids = ids.to_vec();
    let mut picked: Vec<(u32, u32)> = Vec::new();
    for g in &groups {
        let r: f64 = rng.random();
        for &i in g {
            picked.push((i as u32, ids[i]));
            input_ids[i] = if r < 0.8 {
                vocab.mask_id
            } else if r < 0.9 {
                vocab.random_token(rng)
            } else {
                ids[i]
            };
        }
    }
    picked.sort_unstable();
    MaskedSequence {
        input_ids,
        positions: picked.iter().map(|p| p.0).collect(),
        labels: picked.iter().map(|p| p.1).collect(),
    }
}

fn budget(eligible: usize, rate: f64) -> usize {
    ((eligible as f64 * rate).round() as usize).clamp(1, eligible.max(1))
}

/// Words as lists of positions: a word starts at a flagged token (or after
/// a special token) and takes the unflagged tokens that follow.
fn words_of(ids: &[u32], word_starts: &[bool], vocab: &MaskVocab) -> Vec<Vec<usize>> {
    let mut words: Vec<Vec<usize>> = Vec::new();
    let mut open = false;
    for (i, &id) in ids.iter().enumerate() {
        if vocab.is_special(id) {
            open = false;
            continue;
        }
        let starts = word_starts.get(i).copied().unwrap_or(true);
        match words.last_mut() {
            Some(w) if open && !starts => w.push(i),
            _ => {
                words.push(vec![i]);
                open = true;
            }
        }
    }
    words
}

fn shuffle<T, R: Rng>(v: &mut [T], rng: &mut R) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// SpanBERT span selection over words: lengths ~ Geometric(p) clipped at
/// `max_span`, random start words, no overlaps, until `budget` tokens.
fn spans<R: Rng>(
    words: &[Vec<usize>],
    budget: usize,
    p: f64,
    max_span: usize,
    rng: &mut R,
) -> Vec<Vec<usize>> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut used = vec![false; words.len()];
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut covered = 0;
    let mut attempts = 0;
    while covered < budget && attempts < 100 + 10 * words.len() {
        attempts += 1;
        let mut len = 1;
        while len < max_span.max(1) && rng.random::<f64>() >= p {
            len += 1;
        }
        let start = rng.random_range(0..words.len());
        let end = (start + len).min(words.len());
        if used[start..end].iter().any(|u| *u) {
            continue;
        }
        let tokens: usize = words[start..end].iter().map(|w| w.len()).sum();
        if covered + tokens > budget && covered > 0 {
            continue;
        }
        let mut span = Vec::with_capacity(tokens);
        for w in start..end {
            used[w] = true;
            span.extend_from_slice(&words[w]);
        }
        covered += tokens;
        out.push(span);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn vocab() -> MaskVocab {
        MaskVocab {
            mask_id: 4,
            vocab_size: 1000,
            special: vec![0, 1, 2, 3, 4],
        }
        .normalised()
    }

    /// `[CLS] t… [SEP]` with every third token a continuation.
    fn seq(n: usize) -> (Vec<u32>, Vec<bool>) {
        let mut ids = vec![2u32];
        let mut ws = vec![true];
        for i in 0..n {
            ids.push(10 + i as u32);
            ws.push(i % 3 != 2);
        }
        ids.push(3);
        ws.push(true);
        (ids, ws)
    }

    #[test]
    fn dynamic_masks_about_the_rate_with_80_10_10() {
        let (ids, ws) = seq(500);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (mut n, mut masked, mut kept, mut total) = (0, 0, 0, 0);
        for _ in 0..40 {
            let m = mask_sequence(
                &ids,
                &ws,
                &MaskingStrategy::Dynamic,
                0.15,
                &vocab(),
                &mut rng,
            );
            n += m.positions.len();
            total += 500;
            for (&p, &l) in m.positions.iter().zip(&m.labels) {
                assert_eq!(ids[p as usize], l);
                assert!(p != 0 && p as usize != ids.len() - 1, "special chosen");
                if m.input_ids[p as usize] == 4 {
                    masked += 1;
                } else if m.input_ids[p as usize] == l {
                    kept += 1;
                }
            }
        }
        let rate = n as f64 / total as f64;
        assert!((0.13..0.17).contains(&rate), "{rate}");
        let fm = masked as f64 / n as f64;
        assert!((0.76..0.84).contains(&fm), "{fm}");
        let fk = kept as f64 / n as f64;
        assert!((0.07..0.13).contains(&fk), "{fk}");
    }

    #[test]
    fn whole_word_masks_complete_words() {
        let (ids, ws) = seq(300);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let m = mask_sequence(
            &ids,
            &ws,
            &MaskingStrategy::WholeWord,
            0.15,
            &vocab(),
            &mut rng,
        );
        let chosen: std::collections::HashSet<usize> =
            m.positions.iter().map(|&p| p as usize).collect();
        for &p in &chosen {
            // A continuation is chosen only with its word start, and vice versa.
            if !ws[p] {
                assert!(chosen.contains(&(p - 1)), "continuation without its start");
            }
            if p + 1 < ids.len() - 1 && !ws[p + 1] {
                assert!(
                    chosen.contains(&(p + 1)),
                    "word start without its continuation"
                );
            }
        }
        assert!((40..=46).contains(&chosen.len()), "{}", chosen.len());
    }

    #[test]
    fn span_masks_contiguous_runs_of_geometric_length() {
        let (ids, ws) = seq(2000);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let strategy = MaskingStrategy::Span {
            p: 0.2,
            max_span: 10,
        };
        let m = mask_sequence(&ids, &ws, &strategy, 0.15, &vocab(), &mut rng);
        // Count runs of consecutive chosen positions: spans are long.
        let mut runs = 0;
        for (i, &p) in m.positions.iter().enumerate() {
            if i == 0 || m.positions[i - 1] + 1 != p {
                runs += 1;
            }
        }
        let mean_run = m.positions.len() as f64 / runs as f64;
        assert!(mean_run > 3.0, "spans too short: {mean_run}");
        let rate = m.positions.len() as f64 / 2000.0;
        assert!((0.14..0.16).contains(&rate), "{rate}");
    }

    #[test]
    fn every_sequence_gets_a_prediction_and_specials_are_never_chosen() {
        let ids = vec![2u32, 50, 3, 0, 0];
        let ws = vec![true; 5];
        for strategy in [
            MaskingStrategy::Dynamic,
            MaskingStrategy::WholeWord,
            MaskingStrategy::Span {
                p: 0.2,
                max_span: 10,
            },
        ] {
            let mut rng = ChaCha8Rng::seed_from_u64(4);
            let m = mask_sequence(&ids, &ws, &strategy, 0.15, &vocab(), &mut rng);
            assert_eq!(m.positions, vec![1], "{strategy:?}");
        }
        let only_special = vec![2u32, 3];
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let m = mask_sequence(
            &only_special,
            &[true, true],
            &MaskingStrategy::Dynamic,
            0.5,
            &vocab(),
            &mut rng,
        );
        assert!(m.positions.is_empty());
    }

    #[test]
    fn masking_is_seeded() {
        let (ids, ws) = seq(100);
        let a = mask_sequence(
            &ids,
            &ws,
            &MaskingStrategy::Dynamic,
            0.15,
            &vocab(),
            &mut ChaCha8Rng::seed_from_u64(7),
        );
        let b = mask_sequence(
            &ids,
            &ws,
            &MaskingStrategy::Dynamic,
            0.15,
            &vocab(),
            &mut ChaCha8Rng::seed_from_u64(7),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn rate_schedule_interpolates() {
        let r = MaskRate {
            start: 0.3,
            end: 0.15,
        };
        assert_eq!(r.at(0, 11), 0.3);
        assert!((r.at(10, 11) - 0.15).abs() < 1e-12);
        assert!((r.at(5, 11) - 0.225).abs() < 1e-12);
        assert!(r.validate().is_ok());
        assert!(
            MaskRate {
                start: 0.0,
                end: 0.1
            }
            .validate()
            .is_err()
        );
    }
}
