//! Langid configuration (`type = "langid"` in a pipeline file).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::pipeline::FieldIssue;

/// Tags each note and paragraph as `nob`, `nno`, `mixed`, `other` or
/// `unknown`. Every field has a default; an empty table is a valid config.
///
/// ```toml
/// [[stages]]
/// type = "langid"
/// mixed_min_score = 0.9
/// mixed_min_share = 0.2
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LangidConfig {
    /// A paragraph counts towards `mixed` only when its bokmål or nynorsk
    /// verdict has at least this score.
    pub mixed_min_score: f32,
    /// A note is `mixed` when confident bokmål and nynorsk paragraphs both
    /// exist and the smaller side holds at least this share of their tokens.
    pub mixed_min_share: f32,
    /// Fewer known words than this, and no bokmål/nynorsk signal from the
    /// words scored by their ending → `unknown`. No evidence at all is
    /// always `unknown`.
    pub min_words: u32,
    /// Log-odds (nats) added for Norwegian before deciding `other`: the
    /// corpus is Norwegian unless the text says otherwise.
    pub norwegian_prior: f32,
    /// Log-odds (nats) added for nynorsk before deciding bokmål vs nynorsk;
    /// negative leans text without markers towards bokmål, the majority
    /// standard. The default is the intercept the model's weights were
    /// fitted with (`scripts/langid/build_model.py` logs it).
    pub nynorsk_prior: f32,
}

impl Default for LangidConfig {
    fn default() -> Self {
        LangidConfig {
            mixed_min_score: 0.9,
            mixed_min_share: 0.2,
            min_words: 1,
            norwegian_prior: 1.0,
            nynorsk_prior: -0.04,
        }
    }
}

impl LangidConfig {
    /// Checks value ranges (the model itself is built in).
    pub fn check(&self, _base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if !(0.0..=1.0).contains(&self.mixed_min_score) {
            issues.push(FieldIssue::new(
                "mixed_min_score",
                format!("{} is not between 0 and 1", self.mixed_min_score),
            ));
        }
        if !(0.0..=0.5).contains(&self.mixed_min_share) {
            issues.push(FieldIssue::new(
                "mixed_min_share",
                format!("{} is not between 0 and 0.5", self.mixed_min_share),
            ));
        }
        for (field, v) in [
            ("norwegian_prior", self.norwegian_prior),
            ("nynorsk_prior", self.nynorsk_prior),
        ] {
            if !v.is_finite() || v.abs() > 20.0 {
                issues.push(FieldIssue::new(
                    field,
                    format!("{v} is not between -20 and 20"),
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
    fn example_config_round_trips() {
        let c: LangidConfig =
            toml::from_str("mixed_min_score = 0.8\nmixed_min_share = 0.25").unwrap();
        assert_eq!(c.mixed_min_score, 0.8);
        let back: LangidConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(c.check(Path::new(".")).is_empty());
    }

    #[test]
    fn bad_values_are_reported_by_field() {
        let c = LangidConfig {
            mixed_min_score: 1.5,
            mixed_min_share: 0.9,
            ..LangidConfig::default()
        };
        let fields: Vec<String> = c
            .check(Path::new("."))
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(fields, ["mixed_min_score", "mixed_min_share"]);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(toml::from_str::<LangidConfig>("mixed_min_scor = 0.8").is_err());
    }
}
