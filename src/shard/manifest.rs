//! `manifest.json`: what a shard directory holds and how it was made.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{IdType, ShardError, Split};
use crate::fsio::{self, PathError};

/// File name of the manifest in a shard directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Upper bounds (inclusive) of the sequence-length histogram bins; longer
/// sequences fall in a last bin without bound.
pub const LENGTH_BINS: [u32; 10] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

/// The manifest of a shard directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Schema of the shards (`tokens.v1`).
    pub schema_version: String,
    /// norclin version that wrote them.
    pub norclin_version: String,
    /// Tokenizer file in the shard directory (`tokenizer.json`).
    pub tokenizer_file: String,
    /// SHA-256 of the tokenizer file.
    pub tokenizer_sha256: String,
    /// Ids in the vocabulary (added tokens included).
    pub vocab_size: usize,
    /// Item type of `input_ids`.
    pub dtype: IdType,
    /// Longest sequence, special tokens included.
    pub max_len: usize,
    /// `note` (each note chunked alone) or `packed`.
    pub mode: String,
    /// Seed of the split rule.
    pub seed: u64,
    /// How patients were assigned to splits.
    pub split_rule: SplitRule,
    /// Special tokens around and between notes.
    pub special_tokens: SpecialTokens,
    /// Every shard, in file order.
    pub shards: Vec<ShardEntry>,
    /// Counts over the whole corpus.
    pub summary: CorpusSummary,
}

/// How patients are assigned to splits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitRule {
    /// Always `by_patient`.
    pub unit: String,
    /// The hash: `hmac-sha256`.
    pub method: String,
    /// The rule in words.
    pub description: String,
    /// Target fraction of patients per split.
    pub ratios: BTreeMap<String, f64>,
    /// Strata (`doc_type`, `lang`) when patients were assigned per stratum.
    pub stratify: Vec<String>,
}

/// Special tokens the post-processor puts around one sequence, and the
/// separator between notes in packed mode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialTokens {
    /// Ids before the content (BERT: `[CLS]`).
    pub prefix: Vec<u32>,
    /// Ids after the content (BERT: `[SEP]`).
    pub suffix: Vec<u32>,
    /// Ids between two notes in a packed sequence.
    pub separator: Vec<u32>,
}

/// One shard in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// File name (`shard-00000.parquet`).
    pub file: String,
    /// The split all its rows belong to.
    pub split: Split,
    /// Unit of input work it came from (units are the resumable steps).
    pub unit: u64,
    /// Sequences.
    pub rows: u64,
    /// Tokens, special tokens included.
    pub tokens: u64,
    /// File size.
    pub bytes: u64,
    /// Parquet row groups.
    pub row_groups: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

/// Sequences, tokens and notes of one split.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitCounts {
    /// Sequences (rows).
    pub sequences: u64,
    /// Tokens, special tokens included.
    pub tokens: u64,
    /// Notes with at least one token.
    pub notes: u64,
}

/// One bin of the sequence-length histogram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistogramBin {
    /// Inclusive upper bound of the bin; `None` for the last, open bin.
    pub upto: Option<u32>,
    /// Sequences in the bin.
    pub sequences: u64,
}

/// Counts over a corpus (or one unit of it; units merge).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusSummary {
    /// Notes read.
    pub notes_in: u64,
    /// Per split.
    pub splits: BTreeMap<String, SplitCounts>,
    /// Tokens per doc type.
    pub tokens_by_doc_type: BTreeMap<String, u64>,
    /// Tokens per language (`null` when langid did not run).
    pub tokens_by_lang: BTreeMap<String, u64>,
    /// Sequence lengths.
    pub length_histogram: Vec<HistogramBin>,
    /// Notes longer than one sequence (chunked, nothing dropped).
    pub chunked_notes: u64,
    /// Tokens the tokenizer could not map and wrote as its unknown token.
    pub unknown_tokens: u64,
    /// Notes dropped, by reason (`empty_text`: no token at all).
    pub dropped_notes: BTreeMap<String, u64>,
    /// Tokens dropped, by reason (none by design: long notes are chunked).
    pub dropped_tokens: BTreeMap<String, u64>,
}

impl Default for CorpusSummary {
    fn default() -> Self {
        let mut length_histogram: Vec<HistogramBin> = LENGTH_BINS
            .iter()
            .map(|&upto| HistogramBin {
                upto: Some(upto),
                sequences: 0,
            })
            .collect();
        length_histogram.push(HistogramBin {
            upto: None,
            sequences: 0,
        });
        CorpusSummary {
            notes_in: 0,
            splits: BTreeMap::new(),
            tokens_by_doc_type: BTreeMap::new(),
            tokens_by_lang: BTreeMap::new(),
            length_histogram,
            chunked_notes: 0,
            unknown_tokens: 0,
            dropped_notes: BTreeMap::new(),
            dropped_tokens: BTreeMap::new(),
        }
    }
}

impl CorpusSummary {
    /// Counts one written sequence.
    pub fn add_sequence(&mut self, split: Split, doc_type: &str, lang: Option<&str>, len: usize) {
        let s = self.splits.entry(split.as_str().to_string()).or_default();
        s.sequences += 1;
        s.tokens += len as u64;
        *self
            .tokens_by_doc_type
            .entry(doc_type.to_string())
            .or_default() += len as u64;
        *self
            .tokens_by_lang
            .entry(lang.unwrap_or("null").to_string())
            .or_default() += len as u64;
        let bin = LENGTH_BINS
            .iter()
            .position(|&upto| len as u64 <= u64::from(upto))
            .unwrap_or(LENGTH_BINS.len());
        if let Some(b) = self.length_histogram.get_mut(bin) {
            b.sequences += 1;
        }
    }

    /// Counts one note of `split` that produced tokens.
    pub fn add_note(&mut self, split: Split) {
        self.splits
            .entry(split.as_str().to_string())
            .or_default()
            .notes += 1;
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &CorpusSummary) {
        self.notes_in += other.notes_in;
        for (k, v) in &other.splits {
            let s = self.splits.entry(k.clone()).or_default();
            s.sequences += v.sequences;
            s.tokens += v.tokens;
            s.notes += v.notes;
        }
        for (k, v) in &other.tokens_by_doc_type {
            *self.tokens_by_doc_type.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.tokens_by_lang {
            *self.tokens_by_lang.entry(k.clone()).or_default() += v;
        }
        for (a, b) in self
            .length_histogram
            .iter_mut()
            .zip(&other.length_histogram)
        {
            a.sequences += b.sequences;
        }
        self.chunked_notes += other.chunked_notes;
        self.unknown_tokens += other.unknown_tokens;
        for (k, v) in &other.dropped_notes {
            *self.dropped_notes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.dropped_tokens {
            *self.dropped_tokens.entry(k.clone()).or_default() += v;
        }
    }

    /// Tokens over all splits.
    pub fn total_tokens(&self) -> u64 {
        self.splits.values().map(|s| s.tokens).sum()
    }

    /// Sequences over all splits.
    pub fn total_sequences(&self) -> u64 {
        self.splits.values().map(|s| s.sequences).sum()
    }
}

impl Manifest {
    /// Reads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Manifest, ShardError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| PathError::new("reading", &path, e))?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| ShardError::Schema {
                path: path.clone(),
                message: format!("manifest: {e}"),
            })?;
        if manifest.schema_version != super::TOKENS_SCHEMA_VERSION {
            return Err(ShardError::Schema {
                path,
                message: format!(
                    "schema version `{}`, this build reads `{}`",
                    manifest.schema_version,
                    super::TOKENS_SCHEMA_VERSION
                ),
            });
        }
        Ok(manifest)
    }

    /// Writes `dir/manifest.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), ShardError> {
        fsio::write_json_atomic(dir.join(MANIFEST_FILE), self)?;
        Ok(())
    }

    /// Shards of one split, in file order.
    pub fn shards_of(&self, split: Split) -> impl Iterator<Item = &ShardEntry> {
        self.shards.iter().filter(move |s| s.split == split)
    }

    /// Checks every shard's size and SHA-256, and the tokenizer's hash,
    /// against the manifest. Returns the first mismatch.
    pub fn verify(&self, dir: &Path) -> Result<(), ShardError> {
        let tok = dir.join(&self.tokenizer_file);
        if fsio::sha256_file(&tok)? != self.tokenizer_sha256 {
            return Err(ShardError::Mismatch {
                path: tok,
                message: "SHA-256 differs from the manifest".into(),
            });
        }
        for s in &self.shards {
            let path: PathBuf = dir.join(&s.file);
            let len = std::fs::metadata(&path)
                .map_err(|e| PathError::new("reading", &path, e))?
                .len();
            if len != s.bytes {
                return Err(ShardError::Mismatch {
                    path,
                    message: format!("{len} bytes, the manifest says {}", s.bytes),
                });
            }
            if fsio::sha256_file(&path)? != s.sha256 {
                return Err(ShardError::Mismatch {
                    path,
                    message: "SHA-256 differs from the manifest".into(),
                });
            }
        }
        Ok(())
    }
}

/// Renders a shard directory's manifest as Markdown: tokens per split, doc
/// type and language, and the length histogram.
pub fn render_summary(m: &Manifest) -> String {
    let s = &m.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# Token shards\n");
    let _ = writeln!(
        out,
        "{} shards · {} sequences · {} tokens · mode `{}` · max_len {} · vocab {} ({}) · tokenizer sha256 {}\n",
        m.shards.len(),
        s.total_sequences(),
        s.total_tokens(),
        m.mode,
        m.max_len,
        m.vocab_size,
        m.dtype.as_str(),
        m.tokenizer_sha256.get(..12).unwrap_or(&m.tokenizer_sha256),
    );
    let _ = writeln!(out, "Split rule: {}\n", m.split_rule.description);
    let _ = writeln!(out, "## Splits\n");
    let _ = writeln!(out, "| split | notes | sequences | tokens | share |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let total = s.total_tokens().max(1) as f64;
    for split in Split::ALL {
        let c = s.splits.get(split.as_str()).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} % |",
            split,
            c.notes,
            c.sequences,
            c.tokens,
            100.0 * c.tokens as f64 / total
        );
    }
    for (title, map) in [
        ("Doc types", &s.tokens_by_doc_type),
        ("Languages", &s.tokens_by_lang),
    ] {
        let _ = writeln!(out, "\n## {title}\n");
        let _ = writeln!(out, "| value | tokens | share |");
        let _ = writeln!(out, "|---|---:|---:|");
        for (k, v) in map {
            let _ = writeln!(out, "| {k} | {v} | {:.1} % |", 100.0 * *v as f64 / total);
        }
    }
    let _ = writeln!(out, "\n## Sequence lengths\n");
    let _ = writeln!(out, "| tokens | sequences |");
    let _ = writeln!(out, "|---|---:|");
    let mut lower = 1u32;
    for b in &s.length_histogram {
        if b.sequences == 0 {
            lower = b.upto.map_or(lower, |u| u + 1);
            continue;
        }
        match b.upto {
            Some(u) => {
                let _ = writeln!(out, "| {lower}–{u} | {} |", b.sequences);
                lower = u + 1;
            }
            None => {
                let _ = writeln!(out, "| ≥{lower} | {} |", b.sequences);
            }
        }
    }
    let _ = writeln!(
        out,
        "\nChunked notes (longer than one sequence, nothing dropped): {} · unknown tokens: {}",
        s.chunked_notes, s.unknown_tokens
    );
    if s.dropped_notes.is_empty() && s.dropped_tokens.is_empty() {
        let _ = writeln!(out, "Dropped: nothing.");
    }
    for (reason, n) in &s.dropped_notes {
        let _ = writeln!(out, "Dropped notes, {reason}: {n}");
    }
    for (reason, n) in &s.dropped_tokens {
        let _ = writeln!(out, "Dropped tokens, {reason}: {n}");
    }
    out
}
