//! De-identification configuration (`type = "deid"` in a pipeline file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::register::Register;
use super::rules::RuleSet;
use super::surrogate::{Action, Policy, Scope};
use crate::phi::Label;
use crate::pipeline::{FieldIssue, resolve};

/// Detects identifiers and replaces them with keyed surrogates.
///
/// ```toml
/// [[stages]]
/// type = "deid"
/// key_file = "/secure/norclin.key"   # or --key-file / NORCLIN_KEY_FILE
/// register = "register.csv"          # optional: patient_id,kind,value
/// scope = "patient"                  # note | patient | corpus
/// age_bucket_from = 90
/// [stages.policy]
/// AGE = "keep"
/// CARE_UNIT = "redact"
/// [stages.gazetteers]
/// surnames = ["local_surnames.txt"]
/// allow = ["allow_words.txt"]
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeidConfig {
    /// Notes to read (JSONL or Parquet). Default: the `notes.parquet` of
    /// the previous stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<PathBuf>,
    /// Patient register CSV (`patient_id,kind,value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<PathBuf>,
    /// Key file (overridden by `--key-file` / `NORCLIN_KEY_FILE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Use the PUBLIC built-in demo key when no key file is given. Only
    /// for synthetic demo data: the summary and the log say so loudly.
    #[serde(default)]
    pub demo_key: bool,
    /// Consistency scope of surrogates and date shifts.
    #[serde(default)]
    pub scope: Scope,
    /// Action per label (`surrogate`, `redact`, `keep`); default surrogate.
    #[serde(default)]
    pub policy: BTreeMap<String, Action>,
    /// Ages at or above this are written as `N+`.
    #[serde(default = "default_age_bucket")]
    pub age_bucket_from: u32,
    /// Extra rule files (same format as `rules/deid/*.toml`).
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Extra gazetteer files.
    #[serde(default)]
    pub gazetteers: GazetteerFiles,
    /// Notes processed per parallel batch.
    #[serde(default = "default_batch")]
    pub batch_notes: usize,
}

/// User gazetteer files: one entry per line (`#` comments); given-name
/// files may add a tab and `M`/`F`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GazetteerFiles {
    /// Given names.
    #[serde(default)]
    pub given_names: Vec<PathBuf>,
    /// Surnames.
    #[serde(default)]
    pub surnames: Vec<PathBuf>,
    /// Places.
    #[serde(default)]
    pub places: Vec<PathBuf>,
    /// Streets.
    #[serde(default)]
    pub streets: Vec<PathBuf>,
    /// Hospitals, wards, clinics.
    #[serde(default)]
    pub institutions: Vec<PathBuf>,
    /// Words never to tag (unless the register names them).
    #[serde(default)]
    pub allow: Vec<PathBuf>,
}

impl GazetteerFiles {
    /// Every file with its field name.
    pub fn all(&self) -> Vec<(&'static str, &PathBuf)> {
        let mut v = Vec::new();
        for (name, list) in [
            ("given_names", &self.given_names),
            ("surnames", &self.surnames),
            ("places", &self.places),
            ("streets", &self.streets),
            ("institutions", &self.institutions),
            ("allow", &self.allow),
        ] {
            for p in list {
                v.push((name, p));
            }
        }
        v
    }
}

fn default_age_bucket() -> u32 {
    90
}

fn default_batch() -> usize {
    2048
}

impl Default for DeidConfig {
    fn default() -> Self {
        DeidConfig {
            input: None,
            register: None,
            key_file: None,
            demo_key: false,
            scope: Scope::Patient,
            policy: BTreeMap::new(),
            age_bucket_from: default_age_bucket(),
            rules: Vec::new(),
            gazetteers: GazetteerFiles::default(),
            batch_notes: default_batch(),
        }
    }
}

impl DeidConfig {
    /// The policy with labels parsed (unknown labels are reported by
    /// [`DeidConfig::check`]).
    pub fn policy(&self) -> Policy {
        Policy {
            actions: self
                .policy
                .iter()
                .filter_map(|(l, a)| Label::parse(l).map(|l| (l, *a)))
                .collect(),
            age_bucket_from: self.age_bucket_from,
        }
    }

    /// Files outside the run directory this stage reads.
    pub fn input_paths(&self, base_dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = Vec::new();
        v.extend(self.input.iter().map(|p| resolve(base_dir, p)));
        v.extend(self.register.iter().map(|p| resolve(base_dir, p)));
        v.extend(self.key_file.iter().map(|p| resolve(base_dir, p)));
        v.extend(self.rules.iter().map(|p| resolve(base_dir, p)));
        v.extend(
            self.gazetteers
                .all()
                .into_iter()
                .map(|(_, p)| resolve(base_dir, p)),
        );
        v
    }

    /// Checks files, labels and rules; every problem at once.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        for l in self.policy.keys() {
            if Label::parse(l).is_none() {
                issues.push(FieldIssue::new(
                    format!("policy.{l}"),
                    format!(
                        "unknown label; labels are {}",
                        Label::ALL.map(|l| l.as_str()).join(", ")
                    ),
                ));
            }
        }
        if self.batch_notes == 0 {
            issues.push(FieldIssue::new("batch_notes", "must be at least 1"));
        }
        if let Some(p) = &self.input {
            let p = resolve(base_dir, p);
            if !p.is_file() {
                issues.push(FieldIssue::new(
                    "input",
                    format!("{}: no such file", p.display()),
                ));
            }
        }
        if let Some(p) = &self.key_file {
            let p = resolve(base_dir, p);
            if !p.is_file() {
                issues.push(FieldIssue::new(
                    "key_file",
                    format!("{}: no such file", p.display()),
                ));
            }
        }
        if let Some(p) = &self.register {
            let p = resolve(base_dir, p);
            if let Err(e) = Register::load(&p) {
                issues.push(FieldIssue::new("register", e.to_string()));
            }
        }
        for (name, p) in self.gazetteers.all() {
            let p = resolve(base_dir, p);
            if !p.is_file() {
                issues.push(FieldIssue::new(
                    format!("gazetteers.{name}"),
                    format!("{}: no such file", p.display()),
                ));
            }
        }
        let mut missing_rules = false;
        for (i, p) in self.rules.iter().enumerate() {
            let p = resolve(base_dir, p);
            if !p.is_file() {
                missing_rules = true;
                issues.push(FieldIssue::new(
                    format!("rules[{i}]"),
                    format!("{}: no such file", p.display()),
                ));
            }
        }
        if !missing_rules
            && let Err(e) = RuleSet::check_files(&super::rules::resolve_all(base_dir, &self.rules))
        {
            issues.push(FieldIssue::new("rules", e.to_string()));
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_round_trips_and_checks() {
        let text = r#"
scope = "note"
age_bucket_from = 85
demo_key = true
[policy]
AGE = "keep"
CARE_UNIT = "redact"
BOGUS = "keep"
[gazetteers]
surnames = ["missing.txt"]
"#;
        let c: DeidConfig = toml::from_str(text).unwrap();
        let back: DeidConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(c, back);
        let issues = c.check(Path::new("/nonexistent"));
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert!(fields.contains(&"policy.BOGUS"), "{fields:?}");
        assert!(fields.contains(&"gazetteers.surnames"), "{fields:?}");
        assert_eq!(c.policy().action(Label::CareUnit), Action::Redact);
        assert_eq!(c.policy().action(Label::Date), Action::Surrogate);
        assert!(toml::from_str::<DeidConfig>("nope = 1").is_err());
    }
}
