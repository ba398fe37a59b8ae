//! Downstream token classification: fine-tune a checkpoint to tag spans
//! (PHI labels, the shape of the Nor-DeID benchmark) from span-annotated
//! notes, and report entity-level precision, recall and F1 per label on
//! held-out patients.
//!
//! Input JSONL: `{"text", "patient_id", "spans": [{"start", "end",
//! "label"}]}` with Unicode character offsets (as DESIGN.md's span
//! exports). Spans become BIO tags on tokens (a token overlapping a span is
//! inside it); an entity is a maximal `B-X I-X…` run, and a predicted entity
//! counts only when its tokens and label match a gold one exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use candle_core::{D, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::classify::{ClassifyError, ClassifyOptions, Prf, is_test};
use crate::fsio::PathError;
use crate::tokenize::NoteTokenizer;
use crate::train::BertForMaskedLM;
use crate::train::bert::{DropoutRng, cross_entropy, normal_tensor};
use crate::train::optim::{AdamW, AdamWConfig, Grads};

/// One annotated note.
#[derive(Clone, Debug)]
pub struct AnnotatedText {
    /// The note text.
    pub text: String,
    /// Split unit (patient id).
    pub group: String,
    /// `(start, end, label)` in characters, half-open.
    pub spans: Vec<(usize, usize, String)>,
}

/// Reads span-annotated notes.
pub fn read_jsonl(path: &Path) -> Result<Vec<AnnotatedText>, ClassifyError> {
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
        let mut spans = Vec::new();
        for s in v["spans"]
            .as_array()
            .ok_or_else(|| bad("no array field `spans`"))?
        {
            let (Some(start), Some(end), Some(label)) =
                (s["start"].as_u64(), s["end"].as_u64(), s["label"].as_str())
            else {
                return Err(bad("a span lacks start, end or label"));
            };
            if start >= end {
                return Err(bad("a span has start >= end"));
            }
            spans.push((start as usize, end as usize, label.to_string()));
        }
        out.push(AnnotatedText {
            text: text.to_string(),
            group: v["patient_id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("line-{}", i + 1)),
            spans,
        });
    }
    Ok(out)
}

/// Entity-level scores of one fine-tuned model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NerScores {
    /// Micro-averaged over all entities.
    pub micro: Prf,
    /// Per label.
    pub per_label: BTreeMap<String, Prf>,
    /// Training notes.
    pub train: u64,
    /// Test notes.
    pub test: u64,
}

/// Tag ids: 0 = O, then `B-X`, `I-X` for each label X in order.
fn tags_of(
    tok: &NoteTokenizer,
    note: &AnnotatedText,
    labels: &BTreeMap<String, u32>,
    room: usize,
) -> Result<(Vec<u32>, Vec<u32>), ClassifyError> {
    let enc = tok
        .inner()
        .encode_char_offsets(note.text.as_str(), false)
        .map_err(|e| ClassifyError::Tokenizer(e.to_string()))?;
    let ids: Vec<u32> = enc.get_ids().iter().take(room).copied().collect();
    let mut tags = vec![0u32; ids.len()];
    for (start, end, label) in &note.spans {
        let l = labels[label];
        let mut first = true;
        for (t, &(a, b)) in enc.get_offsets().iter().take(room).enumerate() {
            if a < *end && b > *start && tags[t] == 0 {
                tags[t] = if first { 1 + 2 * l } else { 2 + 2 * l };
                first = false;
            }
        }
    }
    Ok((ids, tags))
}

/// Entities `(first token, last token, label)` of a tag sequence.
fn entities(tags: &[u32]) -> BTreeSet<(usize, usize, u32)> {
    let mut out = BTreeSet::new();
    let mut open: Option<(usize, u32)> = None;
    for (i, &t) in tags.iter().enumerate() {
        let label = if t == 0 { None } else { Some((t - 1) / 2) };
        let begins = t != 0 && (t - 1) % 2 == 0;
        match (open, label) {
            (Some((_, l)), Some(x)) if x == l && !begins => {}
            _ => {
                if let Some((s, l)) = open.take() {
                    out.insert((s, i - 1, l));
                }
                if let Some(x) = label {
                    open = Some((i, x));
                }
            }
        }
    }
    if let Some((s, l)) = open {
        out.insert((s, tags.len() - 1, l));
    }
    out
}

fn prf(tp: u64, predicted: u64, gold: u64) -> Prf {
    let precision = if predicted > 0 {
        tp as f64 / predicted as f64
    } else {
        0.0
    };
    let recall = if gold > 0 {
        tp as f64 / gold as f64
    } else {
        0.0
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Prf {
        precision,
        recall,
        f1,
        support: gold,
    }
}

/// Fine-tunes `model` with a per-token head on the training patients and
/// scores entities on the test patients.
pub fn fine_tune_and_score(
    model: BertForMaskedLM,
    tok: &NoteTokenizer,
    pad_id: u32,
    data: &[AnnotatedText],
    opts: &ClassifyOptions,
) -> Result<NerScores, ClassifyError> {
    let names: Vec<String> = data
        .iter()
        .flat_map(|d| d.spans.iter().map(|s| s.2.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if names.is_empty() {
        return Err(ClassifyError::Data(
            "no spans in the annotated notes".into(),
        ));
    }
    let labels: BTreeMap<String, u32> = names
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), i as u32))
        .collect();
    let s = tok.specials();
    let room = opts
        .max_len
        .saturating_sub(s.prefix.len() + s.suffix.len())
        .max(1);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for d in data {
        let (ids, tags) = tags_of(tok, d, &labels, room)?;
        let mut full = s.prefix.clone();
        full.extend(&ids);
        full.extend(&s.suffix);
        let row = (full, tags);
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
    let n_tags = 1 + 2 * names.len();
    let mut store = model.params().clone();
    let w = store.register(
        "token_classifier.weight",
        normal_tensor(&[n_tags, h], 0.02, opts.seed, &device)?,
    )?;
    let b = store.register(
        "token_classifier.bias",
        Tensor::zeros(n_tags, candle_core::DType::F32, &device)?,
    )?;
    let mut opt = AdamW::new(&store, AdamWConfig::default())?;
    let mut dropout = DropoutRng::new(opts.seed ^ 0x006e_6572);
    let p_drop = model.config().hidden_dropout_prob;
    let prefix = s.prefix.len();
    // Logits at the content tokens of a batch, and their gold tags.
    let forward = |rows: &[&(Vec<u32>, Vec<u32>)],
                   mut rng: Option<&mut DropoutRng>|
     -> candle_core::Result<(Tensor, Vec<u32>)> {
        let l = rows.iter().map(|r| r.0.len()).max().unwrap_or(1).max(1);
        let (mut ids, mut mask, mut pos, mut gold) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, r) in rows.iter().enumerate() {
            ids.extend(&r.0);
            ids.extend(std::iter::repeat_n(pad_id, l - r.0.len()));
            mask.extend(std::iter::repeat_n(1f32, r.0.len()));
            mask.extend(std::iter::repeat_n(0f32, l - r.0.len()));
            pos.extend((0..r.1.len()).map(|t| (i * l + prefix + t) as u32));
            gold.extend(&r.1);
        }
        let n = pos.len();
        let ids = Tensor::from_vec(ids, (rows.len(), l), &device)?;
        let mask = Tensor::from_vec(mask, (rows.len(), l), &device)?;
        let hidden = model.encode(&ids, Some(&mask), rng.as_deref_mut())?;
        let mut picked = hidden
            .reshape((rows.len() * l, h))?
            .index_select(&Tensor::from_vec(pos, n, &device)?, 0)?;
        if let Some(r) = rng {
            picked = r.apply(&picked, p_drop)?;
        }
        Ok((picked.matmul(&w.t()?)?.broadcast_add(&b)?, gold))
    };
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    for _ in 0..opts.epochs {
        for i in (1..order.len()).rev() {
            let j = rand::Rng::random_range(&mut rng, 0..=i);
            order.swap(i, j);
        }
        for chunk in order.chunks(opts.batch_size.max(1)) {
            let rows: Vec<&(Vec<u32>, Vec<u32>)> = chunk
                .iter()
                .map(|&i| &train[i])
                .filter(|r| !r.1.is_empty())
                .collect();
            if rows.is_empty() {
                continue;
            }
            let (logits, gold) = forward(&rows, Some(&mut dropout))?;
            let n = gold.len();
            let loss = cross_entropy(&logits, &Tensor::from_vec(gold, n, &device)?)?;
            let mut grads = Grads::from_backward(&store, &loss.backward()?);
            grads.clip(1.0)?;
            opt.step(&grads, opts.lr)?;
        }
    }
    // Entity-level scoring on the test patients.
    let k = names.len();
    let (mut tp, mut npred, mut ngold) = (vec![0u64; k], vec![0u64; k], vec![0u64; k]);
    for row in test.iter().filter(|r| !r.1.is_empty()) {
        let (logits, gold) = forward(&[row], None)?;
        let pred = logits.argmax(D::Minus1)?.to_vec1::<u32>()?;
        let (g, p) = (entities(&gold), entities(&pred));
        for e in &g {
            ngold[e.2 as usize] += 1;
        }
        for e in &p {
            npred[e.2 as usize] += 1;
            if g.contains(e) {
                tp[e.2 as usize] += 1;
            }
        }
    }
    let per_label = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), prf(tp[i], npred[i], ngold[i])))
        .collect();
    Ok(NerScores {
        micro: prf(tp.iter().sum(), npred.iter().sum(), ngold.iter().sum()),
        per_label,
        train: train.len() as u64,
        test: test.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::BertConfig;

    #[test]
    fn bio_entities() {
        // O B-0 I-0 O B-1 B-1 I-0
        let e = entities(&[0, 1, 2, 0, 3, 3, 2]);
        let want: BTreeSet<_> = [(1, 2, 0), (4, 4, 1), (5, 5, 1), (6, 6, 0)].into();
        assert_eq!(e, want);
    }

    /// Notes where a capitalised name after "pasient" is a PERSON and a
    /// number after "tlf" is a PHONE.
    fn data() -> Vec<AnnotatedText> {
        let names = ["Kari", "Ola", "Nils", "Berit", "Anne", "Per"];
        let mut out = Vec::new();
        for p in 0..40 {
            let name = names[p % names.len()];
            let phone = format!("{}", 40_000_000 + p * 1_111);
            let text = format!("pasient {name} ringte fra tlf {phone} i dag");
            let s1 = text.find(name).unwrap();
            let s2 = text.find(&phone).unwrap();
            let chars = |b: usize| text[..b].chars().count();
            out.push(AnnotatedText {
                spans: vec![
                    (chars(s1), chars(s1 + name.len()), "PERSON".into()),
                    (chars(s2), chars(s2 + phone.len()), "PHONE".into()),
                ],
                text,
                group: format!("p{p}"),
            });
        }
        out
    }

    #[test]
    fn fine_tuning_finds_the_entities_of_held_out_patients() {
        let d = data();
        let tok = NoteTokenizer::train(d.iter().map(|x| x.text.clone()), 120, false, 1).unwrap();
        let mut cfg = BertConfig::preset("tiny", tok.vocab_size()).unwrap();
        cfg.hidden_size = 64;
        cfg.intermediate_size = 128;
        cfg.max_position_embeddings = 32;
        let opts = ClassifyOptions {
            epochs: 8,
            lr: 2e-3,
            batch_size: 8,
            max_len: 32,
            test_fraction: 0.25,
            seed: 1,
        };
        let model = BertForMaskedLM::new(&cfg, 0, &candle_core::Device::Cpu).unwrap();
        let s = fine_tune_and_score(model, &tok, 0, &d, &opts).unwrap();
        assert!(s.test > 0, "{s:?}");
        assert_eq!(s.per_label.len(), 2);
        assert!(s.micro.f1 > 0.8, "{s:?}");
    }
}
