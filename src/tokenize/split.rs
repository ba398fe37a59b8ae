//! Patient-level splits: every note of a patient lands in the same split.
//!
//! A patient's draw is `u = HMAC-SHA256(key = decimal seed, patient_id)`,
//! its first 8 bytes as a big-endian integer divided by 2^64; `u < train`
//! → train, `u < train + validation` → validation, else test. With
//! stratification, patients are grouped by their most frequent stratum
//! value (ties: the smallest) and, inside each group, sorted by `u` and cut
//! at the ratios, so each stratum gets the ratios as closely as counts allow.

use std::collections::{BTreeMap, HashMap};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::SplitConfig;
use crate::shard::{Split, SplitRule};

/// A ratio without floating-point noise (`0.95`, not `0.9500000000000001`).
fn tidy(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// Assigns patients to splits.
pub struct PatientSplitter {
    key: Vec<u8>,
    train: f64,
    validation: f64,
    stratified: Option<HashMap<String, Split>>,
    rule: SplitRule,
}

impl PatientSplitter {
    /// The hash rule of `config` (no stratification).
    pub fn new(config: &SplitConfig) -> Self {
        let ratios = BTreeMap::from([
            ("train".to_string(), config.train),
            ("validation".to_string(), config.validation),
            ("test".to_string(), config.test),
        ]);
        let rule = SplitRule {
            unit: "by_patient".into(),
            method: "hmac-sha256".into(),
            description: format!(
                "by patient: u = HMAC-SHA256(key = \"{}\", patient_id)[0..8] big-endian / 2^64; {}",
                config.seed,
                if config.stratify.is_empty() {
                    format!(
                        "train if u < {}, validation if u < {}, else test",
                        tidy(config.train),
                        tidy(config.train + config.validation)
                    )
                } else {
                    format!(
                        "patients grouped by their most frequent {}, sorted by u and cut at the ratios in each group",
                        config.stratify.join(" + ")
                    )
                }
            ),
            ratios,
            stratify: config.stratify.clone(),
        };
        PatientSplitter {
            key: config.seed.to_string().into_bytes(),
            train: config.train,
            validation: config.validation,
            stratified: None,
            rule,
        }
    }

    /// The stratified rule: `strata` yields `(patient_id, stratum value)`
    /// for every note (one pass over the notes).
    pub fn stratified<I>(config: &SplitConfig, strata: I) -> Self
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut s = PatientSplitter::new(config);
        let mut counts: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
        for (patient, stratum) in strata {
            *counts
                .entry(patient)
                .or_default()
                .entry(stratum)
                .or_default() += 1;
        }
        let mut groups: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
        for (patient, c) in counts {
            // Most frequent value; BTreeMap order makes ties pick the smallest.
            let mut best: Option<(&String, u64)> = None;
            for (k, &n) in &c {
                if best.is_none_or(|(_, b)| n > b) {
                    best = Some((k, n));
                }
            }
            let stratum = best.map(|(k, _)| k.clone()).unwrap_or_default();
            let draw = s.draw(&patient);
            groups.entry(stratum).or_default().push((draw, patient));
        }
        let mut map = HashMap::new();
        for (_, mut patients) in groups {
            patients.sort();
            let n = patients.len() as f64;
            let n_train = (n * s.train).round() as usize;
            let n_val = (n * (s.train + s.validation)).round() as usize;
            for (i, (_, p)) in patients.into_iter().enumerate() {
                let split = if i < n_train {
                    Split::Train
                } else if i < n_val {
                    Split::Validation
                } else {
                    Split::Test
                };
                map.insert(p, split);
            }
        }
        s.stratified = Some(map);
        s
    }

    /// The patient's draw in `[0, 2^64)`.
    fn draw(&self, patient_id: &str) -> u64 {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return 0;
        };
        mac.update(patient_id.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&out[..8]);
        u64::from_be_bytes(b)
    }

    /// The split of `patient_id`.
    pub fn split_of(&self, patient_id: &str) -> Split {
        if let Some(map) = &self.stratified
            && let Some(&s) = map.get(patient_id)
        {
            return s;
        }
        let u = self.draw(patient_id) as f64 / 18_446_744_073_709_551_616.0;
        if u < self.train {
            Split::Train
        } else if u < self.train + self.validation {
            Split::Validation
        } else {
            Split::Test
        }
    }

    /// The rule, for the manifest.
    pub fn rule(&self) -> &SplitRule {
        &self.rule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_met_and_the_seed_changes_the_draw() {
        let config = SplitConfig::default();
        let s = PatientSplitter::new(&config);
        let mut counts = [0usize; 3];
        for i in 0..20_000 {
            counts[s.split_of(&format!("pasient-{i}")).index()] += 1;
        }
        assert!((17_600..18_400).contains(&counts[0]), "{counts:?}");
        assert!((800..1_200).contains(&counts[1]), "{counts:?}");
        let other = PatientSplitter::new(&SplitConfig {
            seed: 1,
            ..SplitConfig::default()
        });
        let differ = (0..1000)
            .filter(|i| {
                let p = format!("pasient-{i}");
                s.split_of(&p) != other.split_of(&p)
            })
            .count();
        assert!(differ > 50, "{differ}");
    }

    #[test]
    fn stratified_split_cuts_every_stratum() {
        let config = SplitConfig {
            train: 0.5,
            validation: 0.25,
            test: 0.25,
            stratify: vec!["lang".into()],
            ..SplitConfig::default()
        };
        let notes = (0..40).flat_map(|p| {
            let lang = if p < 8 { "nno" } else { "nob" };
            (0..3).map(move |_| (format!("p{p}"), lang.to_string()))
        });
        let s = PatientSplitter::stratified(&config, notes);
        let mut nno = [0usize; 3];
        for p in 0..8 {
            nno[s.split_of(&format!("p{p}")).index()] += 1;
        }
        assert_eq!(nno, [4, 2, 2]);
    }
}
