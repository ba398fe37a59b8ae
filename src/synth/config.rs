//! [`SynthConfig`]: what to generate.

use serde::{Deserialize, Serialize};

/// Which half of the generator's patterns and name lists to draw from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// The part detectors may be tuned on.
    #[default]
    Train,
    /// The held-out part (one entry in five of every list and pattern pool).
    Heldout,
}

impl Split {
    /// `train` or `heldout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Heldout => "heldout",
        }
    }
}

/// Configuration of a synthetic corpus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthConfig {
    /// Seed: the same seed and config give the same bytes.
    pub seed: u64,
    /// Number of notes.
    pub notes: u64,
    /// Pattern and name-list split.
    pub split: Split,
    /// Share of notes written in nynorsk (0–1).
    pub nynorsk_share: f64,
    /// Share of notes mixing bokmål and nynorsk paragraphs (0–1).
    pub mixed_share: f64,
    /// Share of notes written entirely in lower case.
    pub lowercase_share: f64,
    /// Share of sections written in upper case.
    pub uppercase_section_share: f64,
    /// Write `negatives.jsonl` (hard-negative offsets).
    pub negatives: bool,
    /// Notes generated per parallel chunk (memory is bounded by this).
    pub chunk_notes: usize,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 1,
            notes: 1000,
            split: Split::Train,
            nynorsk_share: 0.15,
            mixed_share: 0.03,
            lowercase_share: 0.015,
            uppercase_section_share: 0.02,
            negatives: true,
            chunk_notes: 4096,
        }
    }
}

impl SynthConfig {
    /// Every problem with the config, as `field: message`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (field, v) in [
            ("nynorsk_share", self.nynorsk_share),
            ("mixed_share", self.mixed_share),
            ("lowercase_share", self.lowercase_share),
            ("uppercase_section_share", self.uppercase_section_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                out.push(format!("{field}: {v} is not a share between 0 and 1"));
            }
        }
        if self.nynorsk_share + self.mixed_share > 1.0 {
            out.push(format!(
                "nynorsk_share + mixed_share: {} is more than 1",
                self.nynorsk_share + self.mixed_share
            ));
        }
        if self.chunk_notes == 0 {
            out.push("chunk_notes: must be at least 1".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let c = SynthConfig::default();
        assert!(c.problems().is_empty());
        let s = toml::to_string(&c).expect("toml");
        let back: SynthConfig = toml::from_str(&s).expect("parse");
        assert_eq!(back, c);
    }

    #[test]
    fn bad_shares_are_reported_together() {
        let c = SynthConfig {
            nynorsk_share: 0.9,
            mixed_share: 0.5,
            lowercase_share: -1.0,
            ..SynthConfig::default()
        };
        assert_eq!(c.problems().len(), 2);
        assert!(toml::from_str::<SynthConfig>("bogus = 1").is_err());
    }
}
