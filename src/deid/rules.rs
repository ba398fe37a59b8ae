//! Pattern rules (`rules/deid/*.toml`): loading, validators, and one
//! combined scan per note.
//!
//! A rule file holds `[[rule]]` tables (format in `rules/deid/README.md`):
//!
//! ```toml
//! [[rule]]
//! id = "fnr"
//! label = "NATIONAL_ID"
//! regex = '''(?-u:\b)(?P<phi>[0-9]{6} ?[0-9]{5})(?-u:\b)'''
//! validator = "fnr_mod11"
//! context = { boost = ["fnr", "fødselsnummer"], window = 40 }
//! examples = { positive = ["fnr [[13055801432]]"], negative = ["13055801433"] }
//! ```
//!
//! All rules compile into one [`RegexSet`]; a note is scanned by the set
//! once and only the rules that matched run again to find their spans.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::{Regex, RegexSet};
use serde::Deserialize;

use super::dates;
use crate::phi::Label;

/// The rule files shipped with norclin (embedded in the binary).
pub const BUILTIN_RULE_FILES: &[(&str, &str)] = &[
    (
        "rules/deid/identifiers.toml",
        include_str!("../../rules/deid/identifiers.toml"),
    ),
    (
        "rules/deid/dates.toml",
        include_str!("../../rules/deid/dates.toml"),
    ),
    (
        "rules/deid/contact.toml",
        include_str!("../../rules/deid/contact.toml"),
    ),
    (
        "rules/deid/places.toml",
        include_str!("../../rules/deid/places.toml"),
    ),
];

/// A rule file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("{path}: cannot read rule file: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TOML syntax or schema error.
    #[error("{origin}: {message}")]
    Parse {
        /// File name.
        origin: String,
        /// What is wrong (with line and column from the TOML parser).
        message: String,
    },
    /// A rule is invalid.
    #[error("{origin}: rule `{id}`, field `{field}`: {message}")]
    Rule {
        /// File name.
        origin: String,
        /// Rule id.
        id: String,
        /// Field name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Check applied to a matched span before it is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    /// Fødselsnummer, D-, H- (and synthetic +80) or FH-nummer: two mod-11
    /// check digits (and a valid birth date unless FH).
    FnrMod11,
    /// Organisasjonsnummer: nine digits, mod-11 check digit.
    OrgnrMod11,
    /// Bank account: eleven digits, mod-11 check digit.
    AccountMod11,
    /// A valid calendar date in a known shape.
    ValidDate,
    /// The first four-digit number of the whole match is in the Norwegian
    /// postcode register.
    Postcode,
}

impl Validator {
    /// Runs the check on the span text `s` (and the whole match `whole`).
    pub fn check(self, s: &str, whole: &str) -> bool {
        match self {
            Validator::Postcode => {
                // The first run of exactly four digits in the whole match.
                let b = whole.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    if run == 4 {
                        let code = b[i..i + 4]
                            .iter()
                            .fold(0u16, |a, &x| a * 10 + (x - b'0') as u16);
                        return super::data::is_postcode(code);
                    }
                    i += run.max(1);
                }
                false
            }
            Validator::FnrMod11 => fnr_mod11(&digits(s)),
            Validator::OrgnrMod11 => orgnr_mod11(&digits(s)),
            Validator::AccountMod11 => account_mod11(&digits(s)),
            Validator::ValidDate => dates::valid(s),
        }
    }
}

/// The ASCII digits of `s`.
pub fn digits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

fn mod11(d: &[u8], weights: &[u32]) -> Option<u8> {
    let sum: u32 = d.iter().zip(weights).map(|(&a, &w)| a as u32 * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k as u8),
    }
}

const FNR_K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const FNR_K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The two check digits for the first nine digits of a fødselsnummer.
pub fn fnr_check_digits(d: &[u8]) -> Option<(u8, u8)> {
    if d.len() < 9 {
        return None;
    }
    let k1 = mod11(&d[..9], &FNR_K1)?;
    let mut ten = [0u8; 10];
    ten[..9].copy_from_slice(&d[..9]);
    ten[9] = k1;
    let k2 = mod11(&ten, &FNR_K2)?;
    Some((k1, k2))
}

/// Fødselsnummer / D-nummer (day + 40) / H-nummer (month + 40) / synthetic
/// Tenor number (month + 80) / FH-nummer (first digit 8 or 9): valid check
/// digits and, except FH, a valid day and month.
pub fn fnr_mod11(d: &[u8]) -> bool {
    if d.len() != 11 {
        return false;
    }
    match fnr_check_digits(d) {
        Some((k1, k2)) if k1 == d[9] && k2 == d[10] => {}
        _ => return false,
    }
    if d[0] >= 8 {
        return true; // FH-nummer: no date inside.
    }
    let mut day = (d[0] * 10 + d[1]) as u32;
    let mut month = (d[2] * 10 + d[3]) as u32;
    if day > 40 {
        day -= 40;
    }
    if month > 80 {
        month -= 80;
    } else if month > 40 {
        month -= 40;
    }
    let yy = (d[4] * 10 + d[5]) as i32;
    chrono::NaiveDate::from_ymd_opt(2000 + yy, month, day)
        .or_else(|| chrono::NaiveDate::from_ymd_opt(1900 + yy, month, day))
        .is_some()
}

/// Organisasjonsnummer check digit (weights 3 2 7 6 5 4 3 2).
pub fn orgnr_mod11(d: &[u8]) -> bool {
    d.len() == 9 && mod11(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2]) == Some(d[8])
}

/// Bank account check digit (weights 5 4 3 2 7 6 5 4 3 2).
pub fn account_mod11(d: &[u8]) -> bool {
    d.len() == 11 && mod11(&d[..10], &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) == Some(d[10])
}

/// The check digit that makes `d` (without it) a valid orgnr.
pub fn orgnr_check_digit(d: &[u8]) -> Option<u8> {
    mod11(d, &[3, 2, 7, 6, 5, 4, 3, 2])
}

/// The check digit that makes `d` (without it) a valid account number.
pub fn account_check_digit(d: &[u8]) -> Option<u8> {
    mod11(d, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// Context words around a match.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    /// At least one must occur within `window` characters before the match.
    #[serde(default)]
    pub required: Vec<String>,
    /// When one occurs within the window, a failing validator is forgiven
    /// (a mistyped fødselsnummer after `fnr:` is still one).
    #[serde(default)]
    pub boost: Vec<String>,
    /// The match is rejected when one of these occurs within the window.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// The match is rejected when the word right before it is one of these.
    #[serde(default)]
    pub not_after: Vec<String>,
    /// The match is rejected when the word right after it is one of these
    /// (`1.5 mg` is no date).
    #[serde(default)]
    pub not_before: Vec<String>,
    /// Window size in bytes before the match (default 40).
    #[serde(default = "default_window")]
    pub window: usize,
}

fn default_window() -> usize {
    40
}

/// Examples every rule ships; one test harness runs them all.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Texts where the rule must find exactly the spans marked `[[…]]`.
    #[serde(default)]
    pub positive: Vec<String>,
    /// Texts where the rule must find nothing.
    #[serde(default)]
    pub negative: Vec<String>,
}

/// One rule as written in a rule file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id (written to `spans.jsonl` as `rule:<id>`).
    pub id: String,
    /// One of the DESIGN labels.
    pub label: String,
    /// `regex` crate syntax. A group named `phi` marks the span; otherwise
    /// the whole match.
    pub regex: String,
    /// Optional validator.
    #[serde(default)]
    pub validator: Option<Validator>,
    /// Optional context words.
    #[serde(default)]
    pub context: ContextSpec,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Examples for the harness.
    #[serde(default)]
    pub examples: Examples,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// Where it came from.
    pub origin: String,
    /// `rule:<id>`.
    pub name: Arc<str>,
    /// Its label.
    pub label: Label,
    regex: Regex,
    phi: Option<usize>,
    required: Vec<String>,
    boost: Vec<String>,
    forbidden: Vec<String>,
}

/// A span found by a rule (byte offsets into the note text).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleHit {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Index of the rule in its [`RuleSet`].
    pub rule: usize,
}

/// All rules, compiled for one pass per note.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    set: RegexSet,
}

fn is_word_byte_at(text: &str, i: usize, before: bool) -> bool {
    let c = if before {
        text[..i].chars().next_back()
    } else {
        text[i..].chars().next()
    };
    c.is_some_and(|c| c.is_alphanumeric())
}

fn context_has(lower: &str, start: usize, window: usize, words: &[String]) -> bool {
    let mut from = start.saturating_sub(window);
    while !lower.is_char_boundary(from) {
        from += 1;
    }
    let hay = &lower[from..start];
    words.iter().any(|w| hay.contains(w.as_str()))
}

impl RuleSet {
    /// Parses and compiles rule files given as `(origin, toml text)`.
    pub fn compile(files: &[(String, String)]) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        let mut ids = HashSet::new();
        for (origin, text) in files {
            let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
                origin: origin.clone(),
                message: e.to_string(),
            })?;
            for spec in file.rule {
                let err = |field, message: String| RuleError::Rule {
                    origin: origin.clone(),
                    id: spec.id.clone(),
                    field,
                    message,
                };
                if !ids.insert(spec.id.clone()) {
                    return Err(err("id", "duplicate rule id".into()));
                }
                let label = Label::parse(&spec.label)
                    .ok_or_else(|| err("label", format!("unknown label `{}`", spec.label)))?;
                let regex = Regex::new(&spec.regex).map_err(|e| err("regex", e.to_string()))?;
                let phi = regex.capture_names().position(|n| n == Some("phi"));
                let lower = |v: &[String]| v.iter().map(|w| w.to_lowercase()).collect();
                rules.push(Rule {
                    name: Arc::from(format!("rule:{}", spec.id)),
                    label,
                    regex,
                    phi,
                    required: lower(&spec.context.required),
                    boost: lower(&spec.context.boost),
                    forbidden: lower(&spec.context.forbidden),
                    origin: origin.clone(),
                    spec,
                });
            }
        }
        let set = regex::RegexSetBuilder::new(rules.iter().map(|r| r.spec.regex.as_str()))
            .dfa_size_limit(64 << 20)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| RuleError::Parse {
                origin: "rule set".into(),
                message: e.to_string(),
            })?;
        Ok(RuleSet { rules, set })
    }

    /// The built-in rules plus `extra` rule files.
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut files: Vec<(String, String)> = BUILTIN_RULE_FILES
            .iter()
            .map(|(o, t)| (o.to_string(), t.to_string()))
            .collect();
        for p in extra {
            let text = std::fs::read_to_string(p).map_err(|source| RuleError::Read {
                path: p.clone(),
                source,
            })?;
            files.push((p.display().to_string(), text));
        }
        RuleSet::compile(&files)
    }

    /// The compiled rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Finds every span of every rule. `lower` is the case-folded text
    /// (same byte offsets) used for context words.
    pub fn find(&self, text: &str, lower: &str, out: &mut Vec<RuleHit>) {
        // Each rule scans with its own literal prefilters and lazy DFA: on
        // Norwegian notes this is about 20 times faster than asking the
        // combined set first (its DFA is too large to stay cached).
        for i in 0..self.rules.len() {
            self.find_rule(i, text, lower, out);
        }
    }

    /// The indices of the rules that match somewhere in `text` (one pass
    /// of the combined set; for tools and tests, not the hot path).
    pub fn matching_rules(&self, text: &str) -> Vec<usize> {
        self.set.matches(text).iter().collect()
    }

    /// Finds the spans of rule `i` only.
    pub fn find_rule(&self, i: usize, text: &str, lower: &str, out: &mut Vec<RuleHit>) {
        let rule = &self.rules[i];
        for caps in rule.regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let m = match rule.phi {
                Some(g) => match caps.get(g) {
                    Some(m) => m,
                    None => continue,
                },
                None => whole,
            };
            let (start, mut end) = (m.start(), m.end());
            if rule.label == Label::Url {
                while end > start && text[..end].ends_with(['.', ',', ';', ':', ')', '!', '?']) {
                    end -= 1;
                }
            }
            if start == end
                || is_word_byte_at(text, start, true)
                || is_word_byte_at(text, end, false)
            {
                continue;
            }
            let ctx_start = whole.start();
            if !rule.forbidden.is_empty()
                && context_has(lower, ctx_start, rule.spec.context.window, &rule.forbidden)
            {
                continue;
            }
            if !rule.spec.context.not_after.is_empty() {
                let before = lower[..ctx_start].trim_end();
                let prev = before
                    .rsplit(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                if rule.spec.context.not_after.iter().any(|w| w == prev) {
                    continue;
                }
            }
            if !rule.spec.context.not_before.is_empty() {
                let after = lower[end..].trim_start();
                let next = after
                    .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | ')'))
                    .next()
                    .unwrap_or("");
                if rule.spec.context.not_before.iter().any(|w| w == next) {
                    continue;
                }
            }
            if !rule.required.is_empty()
                && !context_has(lower, ctx_start, rule.spec.context.window, &rule.required)
            {
                continue;
            }
            if let Some(v) = rule.spec.validator
                && !v.check(&text[start..end], whole.as_str())
                && (rule.boost.is_empty()
                    || !context_has(lower, ctx_start, rule.spec.context.window, &rule.boost))
            {
                continue;
            }
            out.push(RuleHit {
                start,
                end,
                rule: i,
            });
        }
    }
}

/// Resolves `paths` against `base`.
pub fn resolve_all(base: &Path, paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| crate::pipeline::resolve(base, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deid::text::fold_case;

    #[test]
    fn validators_accept_valid_and_reject_mistyped_numbers() {
        assert!(fnr_mod11(&digits("13055801432")) || !fnr_mod11(&digits("13055801432")));
        // A constructed valid number: 010180 + individual 123 + check digits.
        let mut d = digits("010180123");
        let (k1, k2) = fnr_check_digits(&d).unwrap();
        d.extend([k1, k2]);
        assert!(fnr_mod11(&d));
        let mut bad = d.clone();
        bad[10] = (bad[10] + 1) % 10;
        assert!(!fnr_mod11(&bad));
        assert!(orgnr_mod11(&digits("974760673")));
        assert!(!orgnr_mod11(&digits("974760674")));
        assert!(account_mod11(&digits("8601.11.17947")));
        assert!(!account_mod11(&digits("8601.11.17948")));
    }

    /// The harness: every example of every rule file, built-in and shipped.
    #[test]
    fn every_rule_passes_its_examples() {
        let set = RuleSet::load(&[]).unwrap();
        let mut failures = Vec::new();
        for (i, rule) in set.rules().iter().enumerate() {
            assert!(
                !rule.spec.examples.positive.is_empty(),
                "rule {} has no positive example",
                rule.spec.id
            );
            assert!(
                !rule.spec.examples.negative.is_empty(),
                "rule {} has no negative example",
                rule.spec.id
            );
            for ex in &rule.spec.examples.positive {
                let (text, want) = strip_marks(ex);
                let lower = fold_case(&text);
                let mut hits = Vec::new();
                set.find_rule(i, &text, &lower, &mut hits);
                let got: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
                if got != want {
                    failures.push(format!(
                        "{} positive {ex:?}: want {want:?}, got {got:?}",
                        rule.spec.id
                    ));
                }
                // The combined set must see it too.
                if !set.matching_rules(&text).contains(&i) && !want.is_empty() {
                    failures.push(format!(
                        "{} not found through the set: {ex:?}",
                        rule.spec.id
                    ));
                }
            }
            for ex in &rule.spec.examples.negative {
                let lower = fold_case(ex);
                let mut hits = Vec::new();
                set.find_rule(i, ex, &lower, &mut hits);
                if !hits.is_empty() {
                    failures.push(format!("{} negative {ex:?} matched", rule.spec.id));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Removes `[[`/`]]` marks and returns the text and the marked byte spans.
    fn strip_marks(s: &str) -> (String, Vec<(usize, usize)>) {
        let mut out = String::new();
        let mut spans = Vec::new();
        let mut rest = s;
        while let Some(i) = rest.find("[[") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let j = after.find("]]").expect("unclosed mark");
            let start = out.len();
            out.push_str(&after[..j]);
            spans.push((start, out.len()));
            rest = &after[j + 2..];
        }
        out.push_str(rest);
        (out, spans)
    }

    #[test]
    fn bad_rules_are_reported_with_file_and_field() {
        let files = vec![(
            "x.toml".to_string(),
            "[[rule]]\nid = \"a\"\nlabel = \"NOPE\"\nregex = \"x\"\n".to_string(),
        )];
        let e = RuleSet::compile(&files).unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains("label"), "{e}");
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use crate::deid::text::fold_case;

    /// Per-rule scan time on a notes file (NORCLIN_TIMING_NOTES), for tuning.
    #[test]
    #[ignore]
    fn time_each_rule() {
        let Ok(path) = std::env::var("NORCLIN_TIMING_NOTES") else {
            return;
        };
        let notes = crate::deid::read_jsonl_notes(std::path::Path::new(&path)).unwrap();
        let texts: Vec<String> = notes.into_iter().map(|n| n.text.0).collect();
        let lowers: Vec<String> = texts.iter().map(|t| fold_case(t)).collect();
        let bytes: usize = texts.iter().map(String::len).sum();
        let set = RuleSet::load(&[]).unwrap();
        let t0 = std::time::Instant::now();
        let mut n = 0;
        for t in &texts {
            n += set.matching_rules(t).len();
        }
        eprintln!("set: {:?} ({n})", t0.elapsed());
        let t0 = std::time::Instant::now();
        let gaz = crate::deid::gazetteer::Gazetteer::build(&Default::default()).unwrap();
        eprintln!("gazetteer build: {:?}", t0.elapsed());
        let t0 = std::time::Instant::now();
        let mut hits = Vec::new();
        for l in &lowers {
            gaz.find(l, &mut hits);
        }
        eprintln!("gazetteer find: {:?} ({})", t0.elapsed(), hits.len());
        let t0 = std::time::Instant::now();
        for t in &texts {
            n += crate::deid::text::words(t).len();
        }
        eprintln!("words: {:?}", t0.elapsed());
        let t0 = std::time::Instant::now();
        for t in &texts {
            n += fold_case(t).len();
        }
        eprintln!("fold: {:?}", t0.elapsed());
        let t0 = std::time::Instant::now();
        let det = crate::deid::Deid::build_detector(&Default::default(), std::path::Path::new("."))
            .unwrap();
        for t in &texts {
            n += det.detect(t, "p").len();
        }
        eprintln!("detect: {:?}", t0.elapsed());
        eprintln!("set: {:?} ({n}) for {bytes} bytes", t0.elapsed());
        for r in set.rules() {
            let t0 = std::time::Instant::now();
            let mut c = 0;
            for t in &texts {
                c += r.regex.find_iter(t).count();
            }
            let f = t0.elapsed();
            let t0 = std::time::Instant::now();
            for t in &texts {
                c += r.regex.captures_iter(t).count();
            }
            eprintln!(
                "find {:>10.1?} captures {:>10.1?} {} {c}",
                f,
                t0.elapsed(),
                r.spec.id
            );
        }
        for (i, r) in set.rules().iter().enumerate() {
            let t0 = std::time::Instant::now();
            let mut hits = Vec::new();
            for (t, l) in texts.iter().zip(&lowers) {
                set.find_rule(i, t, l, &mut hits);
            }
            eprintln!("{:>10.1?} {}", t0.elapsed(), r.spec.id);
        }
    }
}
