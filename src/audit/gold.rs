//! Gold evaluation: deid spans scored against gold annotations (JSONL spans
//! or inline tags), per label, entity- and token-level; and upper
//! confidence bounds on the leak rate (rule of three, exact binomial
//! Clopper–Pearson).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::input::{InputError, json_reason};
use crate::fsio::PathError;

/// A gold or predicted span (Unicode characters of the original text).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelSpan {
    /// Start character.
    pub start: usize,
    /// End character (exclusive).
    pub end: usize,
    /// Label.
    pub label: String,
}

/// The gold annotations of one note.
#[derive(Clone, Debug, Default)]
pub struct GoldNote {
    /// Spans.
    pub spans: Vec<LabelSpan>,
    /// The original text, when the gold carries it (inline tags).
    pub text: Option<String>,
}

#[derive(Deserialize)]
struct GoldLine {
    note_id: String,
    #[serde(default)]
    spans: Option<Vec<LabelSpan>>,
    #[serde(default, alias = "tagged", alias = "tagged_text")]
    text: Option<String>,
}

/// Common alternative label names mapped onto ours.
fn map_label(l: &str) -> String {
    let key: String = l
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    match key.as_str() {
        "FIRSTNAME" | "GIVENNAME" | "PERSONFIRST" => "PERSON_FIRST",
        "LASTNAME" | "SURNAME" | "FAMILYNAME" | "PERSONLAST" => "PERSON_LAST",
        "NATIONALID" | "FNR" | "SSN" | "FODSELSNUMMER" | "IDNUMBER" => "NATIONAL_ID",
        "PHONE" | "PHONENUMBER" | "TELEPHONE" => "PHONE",
        "EMAIL" | "EMAILADDRESS" => "EMAIL",
        "DATE" | "DATETIME" => "DATE",
        "CAREUNIT" | "HEALTHCAREUNIT" | "HOSPITAL" => "CARE_UNIT",
        "LOCATION" | "PLACE" | "CITY" => "LOCATION",
        "ADDRESS" | "STREETADDRESS" => "ADDRESS",
        "POSTCODE" | "ZIP" | "POSTALCODE" => "POSTCODE",
        "AGE" => "AGE",
        _ => return l.to_string(),
    }
    .to_string()
}

/// Reads a gold file: JSONL with `spans` or with `text` in inline tags.
pub fn load_gold(path: &Path) -> Result<HashMap<String, GoldNote>, InputError> {
    let f = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
    let mut out = HashMap::new();
    for (i, l) in BufReader::new(f).lines().enumerate() {
        let l = l.map_err(|e| PathError::new("reading", path, e))?;
        if l.trim().is_empty() {
            continue;
        }
        let bad = |message: String| InputError::Line {
            path: path.to_path_buf(),
            line: i as u64 + 1,
            message,
        };
        let g: GoldLine = serde_json::from_str(&l)
            .map_err(|e| bad(format!("not a gold record ({})", json_reason(&e))))?;
        let note = match (g.spans, g.text) {
            (Some(spans), text) => GoldNote {
                spans: spans
                    .into_iter()
                    .map(|s| LabelSpan {
                        label: map_label(&s.label),
                        ..s
                    })
                    .collect(),
                text: text.filter(|t| !t.contains('<')),
            },
            (None, Some(tagged)) => {
                let (text, spans) = strip_tags(&tagged).map_err(bad)?;
                GoldNote {
                    spans,
                    text: Some(text),
                }
            }
            (None, None) => return Err(bad("needs `spans` or tagged `text`".to_string())),
        };
        out.insert(g.note_id, note);
    }
    Ok(out)
}

/// Removes inline tags (`<PERSON_FIRST>Kari</PERSON_FIRST>`), returning the
/// plain text and the spans (character offsets).
pub fn strip_tags(tagged: &str) -> Result<(String, Vec<LabelSpan>), String> {
    let mut text = String::with_capacity(tagged.len());
    let mut chars = 0usize;
    let mut spans = Vec::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut rest = tagged;
    while let Some(lt) = rest.find('<') {
        let before = &rest[..lt];
        text.push_str(before);
        chars += before.chars().count();
        let after = &rest[lt + 1..];
        let gt = after.find('>');
        let name = gt.map(|g| &after[..g]);
        let is_tag = name.is_some_and(|n| {
            let n = n.strip_prefix('/').unwrap_or(n);
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        match (is_tag, name, gt) {
            (true, Some(n), Some(g)) => {
                if let Some(closing) = n.strip_prefix('/') {
                    let pos = open
                        .iter()
                        .rposition(|(o, _)| o == closing)
                        .ok_or_else(|| "a closing tag has no opening tag".to_string())?;
                    let (label, start) = open.remove(pos);
                    spans.push(LabelSpan {
                        start,
                        end: chars,
                        label: map_label(&label),
                    });
                } else {
                    open.push((n.to_string(), chars));
                }
                rest = &after[g + 1..];
            }
            _ => {
                text.push('<');
                chars += 1;
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if let Some((_, at)) = open.first() {
        // The tag name is not quoted: in a malformed file it may be a word.
        return Err(format!("the tag opened at character {at} is never closed"));
    }
    spans.sort_by_key(|s| (s.start, s.end));
    Ok((text, spans))
}

/// Precision, recall, F1, F2 from counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives (`fn` in JSON).
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// Precision (1 when nothing was predicted).
    pub precision: f64,
    /// Recall (1 when there was nothing to find).
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// F2 (recall weighted higher, as leaks cost more than over-redaction).
    pub f2: f64,
}

impl Scores {
    fn finish(mut self) -> Scores {
        let p = if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        };
        let r = if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        };
        let f = |b2: f64| {
            if p + r == 0.0 {
                0.0
            } else {
                (1.0 + b2) * p * r / (b2 * p + r)
            }
        };
        self.precision = p;
        self.recall = r;
        self.f1 = f(1.0);
        self.f2 = f(4.0);
        self
    }
}

/// Counts accumulated over notes.
#[derive(Clone, Debug, Default)]
pub struct GoldTally {
    entity: BTreeMap<String, Scores>,
    token: BTreeMap<String, Scores>,
    notes: u64,
    notes_with_text: u64,
    gold_entities: u64,
    leaked_entities: u64,
}

/// The evaluation section of `audit.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoldReport {
    /// Gold notes found in the output and scored.
    pub notes: u64,
    /// Of those, notes whose original text was known (token level).
    pub notes_with_text: u64,
    /// Exact-match entity scores per label, and `ALL` (micro).
    pub entity: BTreeMap<String, Scores>,
    /// Token scores per label, and `ALL` (micro); empty without text.
    pub token: BTreeMap<String, Scores>,
    /// Gold entities not touched by any replacing span (leaks).
    pub leaked_entities: u64,
    /// Gold entities.
    pub gold_entities: u64,
    /// Leak rate and its upper bounds.
    pub leak_rate: LeakBound,
}

impl GoldTally {
    /// Scores one note: `pred` are the replacing (surrogate/redact) spans.
    pub fn add(&mut self, gold: &GoldNote, pred: &[LabelSpan], text: Option<&str>) {
        self.notes += 1;
        let mut matched = vec![false; pred.len()];
        for g in &gold.spans {
            self.gold_entities += 1;
            if !pred.iter().any(|p| p.start < g.end && g.start < p.end) {
                self.leaked_entities += 1;
            }
            let hit = pred.iter().enumerate().find(|(i, p)| {
                !matched[*i] && p.start == g.start && p.end == g.end && p.label == g.label
            });
            let e = self.entity.entry(g.label.clone()).or_default();
            match hit {
                Some((i, _)) => {
                    matched[i] = true;
                    e.tp += 1;
                }
                None => e.fn_ += 1,
            }
        }
        for (p, m) in pred.iter().zip(&matched) {
            if !m {
                self.entity.entry(p.label.clone()).or_default().fp += 1;
            }
        }
        let Some(text) = text.or(gold.text.as_deref()) else {
            return;
        };
        self.notes_with_text += 1;
        let label_at = |spans: &[LabelSpan], s: usize, e: usize| -> Option<String> {
            spans
                .iter()
                .find(|x| x.start < e && s < x.end)
                .map(|x| x.label.clone())
        };
        for (s, e) in token_spans(text) {
            let g = label_at(&gold.spans, s, e);
            let p = label_at(pred, s, e);
            if g == p {
                if let Some(l) = g {
                    self.token.entry(l).or_default().tp += 1;
                }
                continue;
            }
            if let Some(l) = g {
                self.token.entry(l).or_default().fn_ += 1;
            }
            if let Some(l) = p {
                self.token.entry(l).or_default().fp += 1;
            }
        }
    }

    /// The report, with micro totals under `ALL`.
    pub fn report(self) -> GoldReport {
        let finish = |m: BTreeMap<String, Scores>| -> BTreeMap<String, Scores> {
            let mut all = Scores::default();
            for s in m.values() {
                all.tp += s.tp;
                all.fp += s.fp;
                all.fn_ += s.fn_;
            }
            let mut out: BTreeMap<String, Scores> =
                m.into_iter().map(|(k, v)| (k, v.finish())).collect();
            if !out.is_empty() {
                out.insert("ALL".to_string(), all.finish());
            }
            out
        };
        GoldReport {
            notes: self.notes,
            notes_with_text: self.notes_with_text,
            entity: finish(self.entity),
            token: finish(self.token),
            leaked_entities: self.leaked_entities,
            gold_entities: self.gold_entities,
            leak_rate: LeakBound::new(self.leaked_entities, self.gold_entities),
        }
    }
}

/// Token spans (characters): runs of letters or digits.
fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        n = i + 1;
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push((s, i));
        }
    }
    if let Some(s) = start {
        out.push((s, n));
    }
    out
}

/// An observed leak rate with its 95 % upper confidence bounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeakBound {
    /// Leaks found.
    pub leaks: u64,
    /// Units examined (notes or entities).
    pub n: u64,
    /// Observed rate.
    pub rate: f64,
    /// Rule of three (3/n), only when no leak was found.
    pub rule_of_three: Option<f64>,
    /// Exact one-sided 95 % Clopper–Pearson upper bound.
    pub clopper_pearson_95: f64,
}

impl LeakBound {
    /// Bounds for `leaks` out of `n`.
    pub fn new(leaks: u64, n: u64) -> LeakBound {
        LeakBound {
            leaks,
            n,
            rate: if n == 0 { 0.0 } else { leaks as f64 / n as f64 },
            rule_of_three: (leaks == 0 && n > 0).then(|| (3.0 / n as f64).min(1.0)),
            clopper_pearson_95: clopper_pearson_upper(leaks, n, 0.05),
        }
    }
}

/// One-sided exact binomial (Clopper–Pearson) upper bound: the `p` at which
/// seeing `x` or fewer events in `n` trials has probability `alpha`.
pub fn clopper_pearson_upper(x: u64, n: u64, alpha: f64) -> f64 {
    if n == 0 || x >= n {
        return 1.0;
    }
    if x == 0 {
        return 1.0 - alpha.powf(1.0 / n as f64);
    }
    let (mut lo, mut hi) = (x as f64 / n as f64, 1.0f64);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if binom_cdf(x, n, mid) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// P(X ≤ x) for X ~ Binomial(n, p), summed in log space.
fn binom_cdf(x: u64, n: u64, p: f64) -> f64 {
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut log_choose = 0.0f64;
    let mut total = 0.0f64;
    for i in 0..=x {
        if i > 0 {
            log_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        total += (log_choose + i as f64 * lp + (n - i) as f64 * lq).exp();
    }
    total.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_tags_become_character_spans() {
        let (text, spans) =
            strip_tags("Pas. <PERSON_FIRST>Kåre</PERSON_FIRST> <First_Name>Ås</First_Name> a<b")
                .unwrap();
        assert_eq!(text, "Pas. Kåre Ås a<b");
        assert_eq!(
            spans,
            vec![
                LabelSpan {
                    start: 5,
                    end: 9,
                    label: "PERSON_FIRST".into()
                },
                LabelSpan {
                    start: 10,
                    end: 12,
                    label: "PERSON_FIRST".into()
                },
            ]
        );
        assert!(strip_tags("<DATE>x").is_err());
    }

    #[test]
    fn scores_per_label_entity_and_token_level() {
        let text = "Kari Hansen kom 12.03.2021";
        let gold = GoldNote {
            spans: vec![
                LabelSpan {
                    start: 0,
                    end: 4,
                    label: "PERSON_FIRST".into(),
                },
                LabelSpan {
                    start: 5,
                    end: 11,
                    label: "PERSON_LAST".into(),
                },
                LabelSpan {
                    start: 16,
                    end: 26,
                    label: "DATE".into(),
                },
            ],
            text: Some(text.into()),
        };
        let pred = vec![
            LabelSpan {
                start: 0,
                end: 4,
                label: "PERSON_FIRST".into(),
            },
            LabelSpan {
                start: 16,
                end: 21,
                label: "DATE".into(),
            },
        ];
        let mut t = GoldTally::default();
        t.add(&gold, &pred, None);
        let r = t.report();
        assert_eq!(r.entity["PERSON_FIRST"].tp, 1);
        assert_eq!(r.entity["PERSON_LAST"].fn_, 1);
        assert_eq!(r.entity["DATE"].fp, 1);
        assert_eq!(r.entity["ALL"].tp, 1);
        assert!((r.entity["ALL"].precision - 0.5).abs() < 1e-9);
        // Tokens: Kari(tp) Hansen(fn) 12 03(tp tp, overlap) 2021(fn).
        assert_eq!(r.token["DATE"].tp, 2);
        assert_eq!(r.token["DATE"].fn_, 1);
        assert_eq!(r.leaked_entities, 1);
    }

    #[test]
    fn upper_bounds_match_reference_values() {
        // 0 of 100: 3/n = 0.03; exact 1 - 0.05^(1/100) = 0.0295130.
        let b = LeakBound::new(0, 100);
        assert_eq!(b.rule_of_three, Some(0.03));
        assert!((b.clopper_pearson_95 - 0.029513).abs() < 1e-5, "{b:?}");
        // 1 of 100, one-sided 95 %: 0.0465598 (exact binomial sum, bisection in Python).
        let u = clopper_pearson_upper(1, 100, 0.05);
        assert!((u - 0.0465598).abs() < 1e-6, "{u}");
    }
}
