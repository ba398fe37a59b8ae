//! Tokenize configuration (`type = "tokenize"` in a pipeline file).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pipeline::{FieldIssue, resolve};

/// Tokenizes notes into Parquet shards split by patient.
///
/// ```toml
/// [[stages]]
/// type = "tokenize"
/// vocab_size = 8000          # train a WordPiece vocabulary on the notes…
/// # tokenizer = "../models/nb-bert/tokenizer.json"   # …or bring one
/// max_len = 512
/// mode = "packed"
/// [stages.split]
/// seed = 42
/// train = 0.9
/// validation = 0.05
/// test = 0.05
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizeConfig {
    /// A Hugging Face `tokenizer.json` to use (NB-BERT, NorBERT3,
    /// ModernBERT ship one). Exclusive with `vocab_size`.
    #[serde(default)]
    pub tokenizer: Option<PathBuf>,
    /// Train a WordPiece vocabulary of this size on the notes instead.
    #[serde(default)]
    pub vocab_size: Option<usize>,
    /// Lower-case when training a vocabulary (accents are never stripped:
    /// `på` stays `på`).
    #[serde(default)]
    pub lowercase: bool,
    /// Words seen fewer times than this do not make vocabulary entries.
    #[serde(default = "default_min_frequency")]
    pub min_frequency: u64,
    /// Longest sequence in tokens, special tokens included (128–8192).
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// `note`: each note alone, chunked; `packed`: notes concatenated with
    /// separators to fill sequences.
    #[serde(default)]
    pub mode: PackingMode,
    /// Token placed between notes in packed mode (default: the
    /// post-processor's suffix, `[SEP]` for BERT).
    #[serde(default)]
    pub separator: Option<String>,
    /// How patients are split.
    #[serde(default)]
    pub split: SplitConfig,
    /// Notes file to read instead of the previous stage's `notes.parquet`
    /// (`norclin tokenize --input`).
    #[serde(default)]
    pub input: Option<PathBuf>,
    /// Note text bytes per unit of work; each unit writes one shard per
    /// split and is skipped on rerun once complete.
    #[serde(default = "default_unit_text_bytes")]
    pub unit_text_bytes: u64,
}

fn default_min_frequency() -> u64 {
    2
}

fn default_max_len() -> usize {
    512
}

fn default_unit_text_bytes() -> u64 {
    256 << 20
}

/// How notes become sequences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackingMode {
    /// One note per sequence; long notes become several sequences.
    #[default]
    Note,
    /// Notes of the same split, doc type and language concatenated.
    Packed,
}

impl PackingMode {
    /// The name written to the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            PackingMode::Note => "note",
            PackingMode::Packed => "packed",
        }
    }
}

/// Patient-level split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitConfig {
    /// Key of the split hash (HMAC-SHA256 of the patient id under the
    /// decimal seed). Change it to draw another split.
    pub seed: u64,
    /// Fraction of patients for training.
    pub train: f64,
    /// Fraction of patients for validation.
    pub validation: f64,
    /// Fraction of patients for test.
    pub test: f64,
    /// Assign patients per stratum (`doc_type`, `lang`: a patient's most
    /// frequent value) so every stratum gets the ratios; needs one extra
    /// pass over the notes and memory per patient.
    pub stratify: Vec<String>,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            seed: 0,
            train: 0.9,
            validation: 0.05,
            test: 0.05,
            stratify: Vec::new(),
        }
    }
}

/// Bounds of `max_len`.
pub const MAX_LEN_RANGE: std::ops::RangeInclusive<usize> = 128..=8192;

impl TokenizeConfig {
    /// A config with every default, reading a given tokenizer.
    pub fn with_tokenizer(path: impl Into<PathBuf>) -> Self {
        TokenizeConfig {
            tokenizer: Some(path.into()),
            vocab_size: None,
            lowercase: false,
            min_frequency: default_min_frequency(),
            max_len: default_max_len(),
            mode: PackingMode::Note,
            separator: None,
            split: SplitConfig::default(),
            input: None,
            unit_text_bytes: default_unit_text_bytes(),
        }
    }

    /// A config with every default, training a vocabulary of `vocab_size`.
    pub fn with_vocab_size(vocab_size: usize) -> Self {
        TokenizeConfig {
            tokenizer: None,
            vocab_size: Some(vocab_size),
            ..TokenizeConfig::with_tokenizer("")
        }
    }

    /// Files outside the run directory the stage reads.
    pub fn input_paths(&self, base_dir: &Path) -> Vec<PathBuf> {
        self.tokenizer
            .iter()
            .chain(self.input.iter())
            .map(|p| resolve(base_dir, p))
            .collect()
    }

    /// Every problem with this config.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        match (&self.tokenizer, self.vocab_size) {
            (Some(_), Some(_)) => issues.push(FieldIssue::new(
                "tokenizer",
                "give either `tokenizer` or `vocab_size`, not both",
            )),
            (None, None) => issues.push(FieldIssue::new(
                "tokenizer",
                "give `tokenizer` (a tokenizer.json) or `vocab_size` (train one on the notes)",
            )),
            (Some(p), None) => {
                let path = resolve(base_dir, p);
                if !path.is_file() {
                    issues.push(FieldIssue::new(
                        "tokenizer",
                        format!("{} does not exist", path.display()),
                    ));
                }
            }
            (None, Some(v)) => {
                if !(100..=1 << 20).contains(&v) {
                    issues.push(FieldIssue::new(
                        "vocab_size",
                        "must be between 100 and 1,048,576",
                    ));
                }
            }
        }
        if !MAX_LEN_RANGE.contains(&self.max_len) {
            issues.push(FieldIssue::new("max_len", "must be between 128 and 8192"));
        }
        if let Some(p) = &self.input {
            let path = resolve(base_dir, p);
            if !path.is_file() {
                issues.push(FieldIssue::new(
                    "input",
                    format!("{} does not exist", path.display()),
                ));
            }
        }
        if self.unit_text_bytes == 0 {
            issues.push(FieldIssue::new("unit_text_bytes", "must be greater than 0"));
        }
        let s = &self.split;
        for (name, v) in [
            ("train", s.train),
            ("validation", s.validation),
            ("test", s.test),
        ] {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                issues.push(FieldIssue::new(
                    format!("split.{name}"),
                    "must be between 0 and 1",
                ));
            }
        }
        let sum = s.train + s.validation + s.test;
        if (sum - 1.0).abs() > 1e-6 {
            issues.push(FieldIssue::new(
                "split",
                format!("train + validation + test must be 1 (is {sum})"),
            ));
        }
        for (i, k) in s.stratify.iter().enumerate() {
            if k != "doc_type" && k != "lang" {
                issues.push(FieldIssue::new(
                    format!("split.stratify[{i}]"),
                    format!("`{k}`: only `doc_type` and `lang` can be stratified"),
                ));
            }
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reports_every_problem() {
        let mut c = TokenizeConfig::with_vocab_size(10);
        c.max_len = 64;
        c.split.train = 0.5;
        c.split.stratify = vec!["department".into()];
        let fields: Vec<String> = c
            .check(Path::new("."))
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            fields,
            ["vocab_size", "max_len", "split", "split.stratify[0]"]
        );
    }

    #[test]
    fn config_round_trips_through_toml() {
        let c: TokenizeConfig = toml::from_str(
            "vocab_size = 8000\nmode = \"packed\"\n[split]\nseed = 4\nstratify = [\"lang\"]\n",
        )
        .unwrap();
        assert_eq!(c.mode, PackingMode::Packed);
        assert_eq!(c.split.seed, 4);
        let back: TokenizeConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(toml::from_str::<TokenizeConfig>("vocab_size = 1\nbogus = 2").is_err());
    }
}
