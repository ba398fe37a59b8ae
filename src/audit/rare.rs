//! Re-identification risk from rare tokens: capitalised, all-caps,
//! letter+digit and (with a vocabulary) out-of-vocabulary tokens, and
//! bigrams of such tokens, that occur in the notes of fewer than `k`
//! patients. Surrogates are not candidates (they are rare by design).
//!
//! Memory is bounded: each token keeps at most `k` patient hashes, and at
//! most `max_tokens` distinct tokens are tracked; tokens first seen after
//! that are counted as untracked (reported, so the auditor knows).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::align::Alignment;

/// The candidate tokens of one note (deduplicated).
/// Tokens inside a surrogate or a finding (`skip`, byte ranges) are not
/// candidates: the first are rare by design, the second already reported.
pub fn candidates(
    text: &str,
    alignment: Option<&Alignment>,
    skip: &[(usize, usize)],
    vocabulary: Option<&HashSet<String>>,
) -> Vec<String> {
    let ws = tokens(text);
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<(usize, usize)> = None;
    for &(s, e) in &ws {
        let t = &text[s..e];
        let surrogate = alignment.is_some_and(|a| a.covering(s, e).is_some())
            || skip.iter().any(|&(a, b)| s < b && a < e);
        let is_candidate = !surrogate && is_candidate(t, vocabulary);
        if is_candidate {
            out.push(t.to_string());
            if let Some((ps, pe)) = prev
                && &text[pe..s] == " "
            {
                out.push(text[ps..e].to_string());
            }
            prev = Some((s, e));
        } else {
            prev = None;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn tokens(text: &str) -> Vec<(usize, usize)> {
    // Letter words, plus runs mixing letters and digits (`AB12`).
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
            end = i + c.len_utf8();
        } else if c == '-' && start.is_some() {
            continue;
        } else if let Some(s) = start.take() {
            out.push((s, end));
        }
    }
    if let Some(s) = start {
        out.push((s, end));
    }
    out
}

fn is_candidate(t: &str, vocabulary: Option<&HashSet<String>>) -> bool {
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    if letters == 0 || t.chars().count() < 2 {
        return false;
    }
    if digits > 0 {
        return true;
    }
    let first_upper = t.chars().next().is_some_and(char::is_uppercase);
    if first_upper {
        return true;
    }
    vocabulary.is_some_and(|v| letters >= 4 && !v.contains(t))
}

enum Seen {
    Few(Vec<u64>),
    Common,
}

struct Entry {
    seen: Seen,
    occurrences: u64,
}

/// Counts patients per candidate token.
pub struct RareCounter {
    k: usize,
    max_tokens: usize,
    map: HashMap<String, Entry>,
    /// Distinct tokens not tracked because the cap was reached.
    pub untracked: u64,
}

/// One row of the rare-token table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RareToken {
    /// The token or bigram (masked when it is a registered value or
    /// carries digits).
    pub token: String,
    /// `token` or `bigram`.
    pub kind: String,
    /// Patients whose notes contain it.
    pub patients: u64,
    /// Notes containing it.
    pub notes: u64,
}

/// The rare-token section of `audit.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RareReport {
    /// Threshold: rare means fewer than `k` patients.
    pub k: usize,
    /// Distinct candidate tokens and bigrams tracked.
    pub tracked: u64,
    /// Of those, rare.
    pub rare: u64,
    /// Distinct candidates not tracked (cap reached).
    pub untracked: u64,
    /// The rarest, ranked (fewest patients, then most notes, then
    /// alphabetical).
    pub top: Vec<RareToken>,
}

impl RareCounter {
    /// A counter for threshold `k`, tracking at most `max_tokens`.
    pub fn new(k: usize, max_tokens: usize) -> RareCounter {
        RareCounter {
            k,
            max_tokens,
            map: HashMap::new(),
            untracked: 0,
        }
    }

    /// Adds the candidates of one note of `patient`.
    pub fn add(&mut self, patient: &str, tokens: Vec<String>) {
        let ph = xxh3_64(patient.as_bytes());
        for t in tokens {
            let full = self.map.len() >= self.max_tokens;
            let entry = match self.map.get_mut(&t) {
                Some(e) => e,
                None if full => {
                    self.untracked += 1;
                    continue;
                }
                None => self.map.entry(t).or_insert(Entry {
                    seen: Seen::Few(Vec::new()),
                    occurrences: 0,
                }),
            };
            entry.occurrences += 1;
            if let Seen::Few(v) = &mut entry.seen
                && !v.contains(&ph)
            {
                v.push(ph);
                if v.len() >= self.k {
                    entry.seen = Seen::Common;
                }
            }
        }
    }

    /// The ranked table; `mask` decides how a token is shown.
    pub fn report(self, top: usize, mask: impl Fn(&str) -> String) -> RareReport {
        let tracked = self.map.len() as u64;
        let mut rare: Vec<(String, u64, u64)> = self
            .map
            .into_iter()
            .filter_map(|(t, e)| match e.seen {
                Seen::Few(v) => Some((t, v.len() as u64, e.occurrences)),
                Seen::Common => None,
            })
            .collect();
        let n_rare = rare.len() as u64;
        rare.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        rare.truncate(top);
        RareReport {
            k: self.k,
            tracked,
            rare: n_rare,
            untracked: self.untracked,
            top: rare
                .into_iter()
                .map(|(t, patients, notes)| RareToken {
                    kind: if t.contains(' ') { "bigram" } else { "token" }.to_string(),
                    token: mask(&t),
                    patients,
                    notes,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_seen_for_fewer_than_k_patients_are_rare() {
        let mut c = RareCounter::new(3, 100);
        for p in ["p1", "p2", "p3"] {
            c.add(p, candidates("Pasienten fikk Paracet.", None, &[], None));
        }
        c.add(
            "p1",
            candidates("Besøk av Ragnhildur Zyx i går.", None, &[], None),
        );
        c.add(
            "p1",
            candidates("Ragnhildur Zyx ringte.", None, &[(0, 3)], None),
        );
        let r = c.report(10, |t| t.to_string());
        let rows: Vec<(&str, u64, u64)> = r
            .top
            .iter()
            .map(|t| (t.token.as_str(), t.patients, t.notes))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("Zyx", 1, 2),
                ("Besøk", 1, 1),
                ("Ragnhildur", 1, 1),
                ("Ragnhildur Zyx", 1, 1)
            ],
            "the skipped `Ragnhildur` of the second note is not counted"
        );
        assert!(!r.top.iter().any(|t| t.token == "Pasienten"));
    }

    #[test]
    fn the_cap_bounds_memory_and_is_reported() {
        let mut c = RareCounter::new(5, 2);
        c.add("p1", vec!["Aa".into(), "Bb".into(), "Cc".into()]);
        let r = c.report(10, |t| t.to_string());
        assert_eq!(r.tracked, 2);
        assert_eq!(r.untracked, 1);
    }
}
