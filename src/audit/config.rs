//! Audit configuration (`type = "audit"` in a pipeline file).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::finding::{Detector, Severity};
use crate::pipeline::{FieldIssue, resolve};

/// Audits a de-identified corpus and, in a pipeline, gates the run on
/// release blockers.
///
/// ```toml
/// [[stages]]
/// type = "audit"
/// register = "secure/register.csv"
/// sample = 50
/// [stages.blockers]
/// severities = ["critical"]
/// detectors = ["email"]
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// What to audit: a deid output folder, a `notes.jsonl` or a
    /// `notes.parquet`. Empty in a pipeline: the notes of the previous stage.
    #[serde(default)]
    pub input: Option<PathBuf>,
    /// Span file of the deid run (`spans.jsonl`); default: `spans.jsonl`
    /// beside the notes, when present.
    #[serde(default)]
    pub spans: Option<PathBuf>,
    /// Identifier register (CSV `patient_id,kind,value`), searched for in
    /// the whole output.
    #[serde(default)]
    pub register: Option<PathBuf>,
    /// Gold annotations (JSONL spans or inline tags) for the evaluation.
    #[serde(default)]
    pub gold: Option<PathBuf>,
    /// The original (pre-deid) notes, JSONL or Parquet: finds dates that
    /// were left unshifted, and gives token-level gold scores their text.
    #[serde(default)]
    pub original: Option<PathBuf>,
    /// Notes in the review sample of the HTML report.
    #[serde(default = "default_sample")]
    pub sample: usize,
    /// Seed of the review sample.
    #[serde(default)]
    pub seed: u64,
    /// Leaks the manual review of the sample found (for the upper bound on
    /// the leak rate).
    #[serde(default)]
    pub review_leaks: u64,
    /// Findings listed one by one in `audit.json` (counts are always
    /// complete).
    #[serde(default = "default_max_findings")]
    pub max_findings: usize,
    /// Rare-token re-identification risk.
    #[serde(default)]
    pub rare: RareConfig,
    /// Which findings block the release.
    #[serde(default)]
    pub blockers: BlockerConfig,
    /// In a pipeline, fail the stage (and the run) when blockers are found.
    #[serde(default = "default_true")]
    pub gate: bool,
}

fn default_sample() -> usize {
    50
}

fn default_max_findings() -> usize {
    2000
}

fn default_true() -> bool {
    true
}

/// Rare-token settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RareConfig {
    /// Tokens and bigrams seen for fewer than `k` patients are rare.
    #[serde(default = "default_k")]
    pub k: usize,
    /// Rows of the ranked table.
    #[serde(default = "default_top")]
    pub top: usize,
    /// Distinct tokens tracked at most (bounded memory); tokens first seen
    /// after the cap is reached are counted as untracked.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Optional vocabulary (one lower-case word a line): lower-case words
    /// not in it count as out-of-vocabulary candidates.
    #[serde(default)]
    pub vocabulary: Option<PathBuf>,
}

fn default_k() -> usize {
    5
}

fn default_top() -> usize {
    200
}

fn default_max_tokens() -> usize {
    1_000_000
}

impl Default for RareConfig {
    fn default() -> Self {
        RareConfig {
            k: default_k(),
            top: default_top(),
            max_tokens: default_max_tokens(),
            vocabulary: None,
        }
    }
}

/// Blocker rules: a finding blocks the release when its severity is listed
/// in `severities` or its detector in `detectors`, unless its detector is in
/// `exempt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockerConfig {
    /// Severities that block (default: critical).
    #[serde(default = "default_severities")]
    pub severities: Vec<Severity>,
    /// Detectors whose every finding blocks.
    #[serde(default)]
    pub detectors: Vec<Detector>,
    /// Detectors that never block.
    #[serde(default)]
    pub exempt: Vec<Detector>,
}

fn default_severities() -> Vec<Severity> {
    vec![Severity::Critical]
}

impl Default for BlockerConfig {
    fn default() -> Self {
        BlockerConfig {
            severities: default_severities(),
            detectors: Vec::new(),
            exempt: Vec::new(),
        }
    }
}

impl BlockerConfig {
    /// Whether a finding of `detector` with `severity` blocks the release.
    pub fn blocks(&self, detector: Detector, severity: Severity) -> bool {
        !self.exempt.contains(&detector)
            && (self.severities.contains(&severity) || self.detectors.contains(&detector))
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            input: None,
            spans: None,
            register: None,
            gold: None,
            original: None,
            sample: default_sample(),
            seed: 0,
            review_leaks: 0,
            max_findings: default_max_findings(),
            rare: RareConfig::default(),
            blockers: BlockerConfig::default(),
            gate: true,
        }
    }
}

impl AuditConfig {
    /// Files the stage reads (for staleness).
    pub fn input_paths(&self, base_dir: &Path) -> Vec<PathBuf> {
        [
            &self.input,
            &self.spans,
            &self.register,
            &self.gold,
            &self.original,
            &self.rare.vocabulary,
        ]
        .into_iter()
        .flatten()
        .map(|p| resolve(base_dir, p))
        .filter(|p| p.is_file())
        .collect()
    }

    /// Checks the files the config names and its numbers.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if let Some(p) = &self.input {
            let p = resolve(base_dir, p);
            if !p.exists() {
                issues.push(FieldIssue::new(
                    "input",
                    format!("{} does not exist", p.display()),
                ));
            }
        }
        for (field, path) in [
            ("spans", &self.spans),
            ("register", &self.register),
            ("gold", &self.gold),
            ("original", &self.original),
            ("rare.vocabulary", &self.rare.vocabulary),
        ] {
            if let Some(p) = path {
                let p = resolve(base_dir, p);
                if !p.is_file() {
                    issues.push(FieldIssue::new(
                        field,
                        format!("{} is not a readable file", p.display()),
                    ));
                }
            }
        }
        if self.rare.k < 2 || self.rare.k > 255 {
            issues.push(FieldIssue::new(
                "rare.k",
                format!("must be between 2 and 255, got {}", self.rare.k),
            ));
        }
        if self.rare.max_tokens == 0 {
            issues.push(FieldIssue::new("rare.max_tokens", "must be at least 1"));
        }
        if self.blockers.severities.is_empty() && self.blockers.detectors.is_empty() {
            issues.push(FieldIssue::new(
                "blockers",
                "no severity and no detector blocks: the audit could never fail; list at least one",
            ));
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_round_trips_and_defaults_block_critical_only() {
        let c: AuditConfig = toml::from_str(
            "register = \"r.csv\"\nsample = 10\n[blockers]\ndetectors = [\"email\"]\n",
        )
        .unwrap();
        assert_eq!(c.sample, 10);
        assert!(c.blockers.blocks(Detector::Email, Severity::High));
        assert!(c.blockers.blocks(Detector::NationalId, Severity::Critical));
        assert!(!c.blockers.blocks(Detector::Phone, Severity::High));
        let back: AuditConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn unknown_fields_and_bad_numbers_are_reported() {
        assert!(toml::from_str::<AuditConfig>("registr = \"x\"").is_err());
        let c: AuditConfig = toml::from_str("[rare]\nk = 1\n[blockers]\nseverities = []").unwrap();
        let issues = c.check(Path::new("."));
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert!(fields.contains(&"rare.k"), "{fields:?}");
        assert!(fields.contains(&"blockers"), "{fields:?}");
    }
}
