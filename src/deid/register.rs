//! The patient register: identifiers known per patient (CSV with header
//! `patient_id,kind,value`). Every occurrence in that patient's notes is
//! caught, in any case, with possessive endings (`Hansens`) and with any
//! spacing or punctuation between the digits of numbers.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;

use super::dates;
use crate::phi::Label;

/// The register could not be used. Messages name the file and line, never
/// the values.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The file could not be read.
    #[error("{path}: cannot read patient register: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A row is invalid.
    #[error("{path}:{line}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong (never the value).
        message: String,
    },
}

/// Kinds of register entries.
pub const KINDS: &[&str] = &[
    "first_name",
    "last_name",
    "full_name",
    "national_id",
    "phone",
    "email",
    "address",
    "birth_date",
    "relative_name",
    "other",
];

struct PatientMatcher {
    regex: Regex,
    groups: Vec<(Label, Arc<str>)>,
}

/// A span of a registered identifier (byte offsets).
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterHit {
    /// Start byte.
    pub start: usize,
    /// End byte.
    pub end: usize,
    /// Label.
    pub label: Label,
    /// `register:<kind>`.
    pub rule: Arc<str>,
}

/// Known identifiers by patient, compiled.
#[derive(Default)]
pub struct Register {
    patients: HashMap<String, PatientMatcher>,
    entries: usize,
    /// Every registered name part, lower case (all patients).
    names: HashSet<String>,
}

/// Counts only: the registered identifiers never reach a log.
impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Register")
            .field("patients", &self.patients.len())
            .field("entries", &self.entries)
            .field("name_parts", &self.names.len())
            .finish()
    }
}

const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];

fn word_pattern(w: &str) -> String {
    w.split('-')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(r"[-\s]?")
}

fn name_pattern(w: &str) -> String {
    format!(r"(?i:{})", word_pattern(w))
}

fn digit_pattern(d: &str) -> String {
    d.chars()
        .filter(char::is_ascii_digit)
        .map(String::from)
        .collect::<Vec<_>>()
        .join(r"[\s./-]?")
}

/// The patterns (with labels) one register entry expands to.
/// Register kinds whose values are names.
const NAME_KINDS: &[&str] = &["first_name", "last_name", "full_name", "relative_name"];

/// The parts of a name (split on spaces and hyphens, outer punctuation
/// trimmed), two characters or more: how registered names are kept and
/// how surrogates are checked against them.
pub(super) fn split_name(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|p| p.chars().count() >= 2)
}

fn expand(kind: &str, value: &str) -> Vec<(Label, String)> {
    let value = value.trim();
    let mut out = Vec::new();
    if value.is_empty() {
        return out;
    }
    match kind {
        k if NAME_KINDS.contains(&k) => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            for (i, p) in parts.iter().enumerate() {
                let p = p.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
                if p.chars().count() < 2 {
                    continue;
                }
                let label = match kind {
                    "first_name" => Label::PersonFirst,
                    "last_name" => Label::PersonLast,
                    _ if i + 1 == parts.len() && parts.len() > 1 => Label::PersonLast,
                    _ => Label::PersonFirst,
                };
                out.push((label, name_pattern(p)));
            }
        }
        "national_id" => {
            if value.chars().filter(char::is_ascii_digit).count() >= 6 {
                out.push((Label::NationalId, digit_pattern(value)));
            }
        }
        "phone" => {
            let mut d: String = value.chars().filter(char::is_ascii_digit).collect();
            if value.trim_start().starts_with('+') && d.starts_with("47") && d.len() == 10 {
                d = d[2..].to_string();
            } else if d.starts_with("0047") && d.len() == 12 {
                d = d[4..].to_string();
            }
            if d.len() >= 5 {
                out.push((
                    Label::Phone,
                    format!(r"(?:(?:\+|00)47[\s-]?)?{}", digit_pattern(&d)),
                ));
            }
        }
        "email" => out.push((Label::Email, format!("(?i:{})", regex::escape(value)))),
        "address" => {
            for seg in value.split(',') {
                let seg = seg.trim();
                let code = seg.get(..4).unwrap_or("");
                let rest = seg.get(4..).unwrap_or("");
                if code.len() == 4
                    && code.chars().all(|c| c.is_ascii_digit())
                    && rest.starts_with(' ')
                {
                    out.push((Label::Postcode, regex::escape(code)));
                    let town = rest.trim();
                    if !town.is_empty() {
                        out.push((Label::Location, name_pattern(town)));
                    }
                } else if !seg.is_empty() {
                    let words: Vec<String> = seg.split_whitespace().map(regex::escape).collect();
                    out.push((Label::Address, format!("(?i:{})", words.join(r"[\s,]+"))));
                }
            }
        }
        "birth_date" => {
            let parsed = dates::parse(value)
                .map(|d| d.date)
                .or_else(|| chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok());
            if let Some(d) = parsed {
                use chrono::Datelike;
                let (y, m, dd) = (d.year(), d.month(), d.day());
                let yy = format!("{:02}", y.rem_euclid(100));
                let month = MONTHS[d.month0() as usize];
                let years = format!("(?:{y}|{yy})");
                out.push((Label::Date, format!(r"0?{dd}[./-]\s?0?{m}[./-]\s?{years}")));
                out.push((Label::Date, format!(r"{dd:02}{m:02}(?:{y}|{yy})")));
                out.push((Label::Date, format!(r"{y}-{m:02}-{dd:02}")));
                out.push((
                    Label::Date,
                    format!(
                        r"(?i:0?{dd}\.?\s*(?:{month}|{}\.?)(?:\s+{y})?)",
                        &month[..3]
                    ),
                ));
            }
        }
        _ => out.push((Label::OtherId, format!("(?i:{})", word_pattern(value)))),
    }
    out
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

impl Register {
    /// Reads and compiles a register file.
    pub fn load(path: &Path) -> Result<Register, RegisterError> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| RegisterError::Read {
                path: path.to_path_buf(),
                message: csv_message(&e),
            })?;
        let headers = rdr
            .headers()
            .map_err(|e| RegisterError::Read {
                path: path.to_path_buf(),
                message: csv_message(&e),
            })?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| RegisterError::Row {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!(
                        "missing column `{name}` (header must be patient_id,kind,value)"
                    ),
                })
        };
        let (pi, ki, vi) = (col("patient_id")?, col("kind")?, col("value")?);
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for (n, rec) in rdr.records().enumerate() {
            let line = n as u64 + 2;
            let rec = rec.map_err(|e| RegisterError::Row {
                path: path.to_path_buf(),
                line,
                message: csv_message(&e),
            })?;
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let kind = get(ki);
            if !KINDS.contains(&kind.as_str()) {
                return Err(RegisterError::Row {
                    path: path.to_path_buf(),
                    line,
                    message: format!("unknown kind `{kind}` (one of {})", KINDS.join(", ")),
                });
            }
            rows.push((get(pi), kind, get(vi)));
        }
        Register::from_rows(rows).map_err(|message| RegisterError::Row {
            path: path.to_path_buf(),
            line: 0,
            message,
        })
    }

    /// Compiles `(patient_id, kind, value)` rows.
    pub fn from_rows(rows: Vec<(String, String, String)>) -> Result<Register, String> {
        let mut by_patient: HashMap<String, Vec<(Label, Arc<str>, String)>> = HashMap::new();
        let mut entries = 0;
        let mut names = HashSet::new();
        for (pid, kind, value) in rows {
            if NAME_KINDS.contains(&kind.as_str()) {
                names.extend(split_name(&value).map(str::to_lowercase));
            }
            let rule: Arc<str> = Arc::from(format!("register:{kind}"));
            for (label, pat) in expand(&kind, &value) {
                entries += 1;
                by_patient
                    .entry(pid.clone())
                    .or_default()
                    .push((label, rule.clone(), pat));
            }
        }
        let mut patients = HashMap::new();
        for (pid, mut pats) in by_patient {
            pats.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then(a.2.cmp(&b.2)));
            pats.dedup_by(|a, b| a.2 == b.2);
            let alternation: Vec<String> = pats.iter().map(|p| format!("({})", p.2)).collect();
            let regex = Regex::new(&alternation.join("|"))
                .map_err(|_| "a register value could not be compiled into a pattern".to_string())?;
            let groups = pats.into_iter().map(|(l, r, _)| (l, r)).collect();
            patients.insert(pid, PatientMatcher { regex, groups });
        }
        Ok(Register {
            patients,
            entries,
            names,
        })
    }

    /// Every registered name part of every patient, lower case: what a
    /// surrogate name must never be.
    pub fn name_parts(&self) -> &HashSet<String> {
        &self.names
    }

    /// Number of compiled patterns.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the register is empty.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Finds the registered identifiers of `patient_id` in `text`.
    pub fn find(&self, patient_id: &str, text: &str, out: &mut Vec<RegisterHit>) {
        let Some(p) = self.patients.get(patient_id) else {
            return;
        };
        for caps in p.regex.captures_iter(text) {
            let Some((gi, m)) = (1..caps.len()).find_map(|i| caps.get(i).map(|m| (i, m))) else {
                continue;
            };
            let (label, rule) = &p.groups[gi - 1];
            let after = &text[m.end()..];
            // A name may carry a possessive ending outside the span (`Hansen`s).
            let possessive = label.is_person()
                && (after.starts_with(['\'', '’'])
                    || (after.starts_with(['s', 'S']) && !is_word(after[1..].chars().next())));
            if is_word(text[..m.start()].chars().next_back())
                || (is_word(after.chars().next()) && !possessive)
            {
                continue;
            }
            out.push(RegisterHit {
                start: m.start(),
                end: m.end(),
                label: *label,
                rule: rule.clone(),
            });
        }
    }
}

fn csv_message(e: &csv::Error) -> String {
    // csv errors can quote field contents; keep only the kind of problem.
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        _ => "malformed CSV".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(rows: &[(&str, &str, &str)]) -> Register {
        Register::from_rows(
            rows.iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect(),
        )
        .unwrap()
    }

    fn found(r: &Register, pid: &str, t: &str) -> Vec<(String, Label)> {
        let mut out = Vec::new();
        r.find(pid, t, &mut out);
        out.iter()
            .map(|h| (t[h.start..h.end].to_string(), h.label))
            .collect()
    }

    #[test]
    fn name_parts_of_every_patient_are_collected() {
        let r = Register::from_rows(vec![
            (
                "p1".into(),
                "full_name".into(),
                "Kari Zyx Bjørgan-Lie".into(),
            ),
            ("p2".into(), "relative_name".into(), "Ola".into()),
            ("p2".into(), "phone".into(), "22 33 44 55".into()),
        ])
        .unwrap();
        let mut parts: Vec<&str> = r.name_parts().iter().map(String::as_str).collect();
        parts.sort_unstable();
        assert_eq!(parts, ["bjørgan", "kari", "lie", "ola", "zyx"]);
        // Its Debug shows counts, never the values.
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("Zyx") && !shown.contains("zyx") && !shown.contains("22"),
            "{shown}"
        );
    }

    #[test]
    fn variants_of_registered_identifiers_are_found() {
        let r = reg(&[
            ("p1", "full_name", "Kari Zyx Bjørgan"),
            ("p1", "national_id", "13055810170"),
            ("p1", "phone", "+47 22113344"),
            ("p1", "birth_date", "1958-05-13"),
            ("p1", "address", "Storgata 1, 0155 Oslo"),
            ("p1", "address", "Skjønhaugåsen 117"),
        ]);
        let t = "KARI bjørgans mor. Fnr 130558 10170, tlf 22 11 33 44, født 13.5.58 / 13. mai 1958. Bor Storgata  1.";
        let f = found(&r, "p1", t);
        let texts: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        for want in [
            "KARI",
            "bjørgan",
            "130558 10170",
            "22 11 33 44",
            "13.5.58",
            "13. mai 1958",
            "Storgata  1",
        ] {
            assert!(texts.contains(&want), "{want} not in {texts:?}");
        }
        assert!(f.contains(&("bjørgan".into(), Label::PersonLast)));
        assert!(found(&r, "p2", t).is_empty());
    }

    #[test]
    fn bad_kind_names_the_line_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "patient_id,kind,value\np1,shoe_size,Kari Secret\n").unwrap();
        let e = Register::load(&p).unwrap_err().to_string();
        assert!(
            e.contains(":2:") && e.contains("shoe_size") && !e.contains("Secret"),
            "{e}"
        );
    }
}
