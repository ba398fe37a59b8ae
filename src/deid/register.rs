//! The patient register: identifiers known per patient (CSV with header
//! `patient_id,kind,value`). Every occurrence in that patient's notes is
//! caught, in any case, with possessive endings (`Hansens`) and with any
//! spacing or punctuation between the digits of numbers.
//!
//! Each value becomes a small [`Pattern`] (words, digits, a date) that is
//! searched for directly in the note's lower-cased text: loading costs
//! about as much memory as the file, and a note is searched only for its
//! own patient's values. (One compiled regex per patient, as before, took
//! about 0.5 ms and 95 KB per patient to build: 15 s and 1.8 GB for
//! 18,600 patients.)

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::data::shipped;
use super::dates;
use super::gazetteer::STOPWORDS;
use super::text::{fold_case, without_accents};
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

/// How one registered value is written in a note. Words are lower case
/// (as [`fold_case`] writes them); matching is on the note's lower-cased
/// text, so any case matches.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Pattern {
    /// Name parts, each with how many hyphens or white-space characters
    /// may come before it (one, or more after doubled hyphens): `Anne-Lise`,
    /// `Anne Lise`, `AnneLise`.
    Hyphened(Vec<(String, u8)>),
    /// Words with white space or commas between them (addresses).
    Words(Vec<String>),
    /// A literal (e-mail addresses, postcodes).
    Literal(String),
    /// Digits with at most one white-space character, `.`, `/` or `-`
    /// between two of them; a phone number may follow `+47`/`0047`.
    Digits { digits: Vec<u8>, phone: bool },
    /// A date of birth: `13.5.58`, `13/05/1958`, `130558`, `1958-05-13`,
    /// `13. mai 1958`, `13 mai`.
    Date(Box<Birth>),
}

/// One registered value of a patient (no `Debug`: it is the value).
struct Needle {
    label: Label,
    rule: Arc<str>,
    pattern: Pattern,
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
    patients: HashMap<String, Vec<Needle>>,
    /// `register:<kind>`, one per kind.
    rules: HashMap<String, Arc<str>>,
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

/// Values a patient may have before new ones are checked for duplicates
/// only at the end of loading (a catch-all patient id with thousands of
/// rows would otherwise load in quadratic time).
const LINEAR_DEDUP: usize = 64;

/// Register kinds whose values are names.
pub const NAME_KINDS: &[&str] = &["first_name", "last_name", "full_name", "relative_name"];

/// The parts of a name (split on spaces and hyphens, outer punctuation
/// trimmed), two characters or more: how registered names are kept and
/// how surrogates are checked against them.
pub(super) fn split_name(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|p| p.chars().count() >= 2)
}

/// Name parts of a hyphenated word, lower case (`Anne-Lise` → `anne`, `lise`).
/// Doubled hyphens (`Anne--Lise`) allow as many separators; a value of
/// hyphens only gives no parts (and is never found).
fn hyphened(w: &str) -> Pattern {
    let mut parts = Vec::new();
    let mut seps = 1u8;
    for p in w.split('-') {
        if p.is_empty() {
            seps = seps.saturating_add(1);
        } else {
            parts.push((fold_case(p), seps));
            seps = 1;
        }
    }
    Pattern::Hyphened(parts)
}

/// A registered name (case-folded) without its accents, to look for too:
/// `Nguyễn` is often written `Nguyen`. `None` when that changes nothing
/// or when it is one common word (`André` → `andre`, `René` → `rene`),
/// which the name's bearer does not make an identifier; a name of several
/// words is specific as a whole (`nguyen van minh`).
pub fn unaccented_name(lower: &str) -> Option<String> {
    let plain = without_accents(lower)?;
    let common = !plain.contains(|c: char| !c.is_alphanumeric())
        && (shipped().wordlike.contains(&plain) || STOPWORDS.contains(&plain.as_str()));
    (!common).then_some(plain)
}

/// The digits of `value`.
fn digits_of(value: &str) -> Vec<u8> {
    value.bytes().filter(u8::is_ascii_digit).collect()
}

/// The patterns (with labels) one register entry expands to.
fn expand(kind: &str, value: &str) -> Vec<(Label, Pattern)> {
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
                out.push((label, hyphened(p)));
                if let Some(plain) = unaccented_name(&fold_case(p)) {
                    out.push((label, hyphened(&plain)));
                }
            }
        }
        "national_id" => {
            let digits = digits_of(value);
            if digits.len() >= 6 {
                out.push((
                    Label::NationalId,
                    Pattern::Digits {
                        digits,
                        phone: false,
                    },
                ));
            }
        }
        "phone" => {
            let mut d = digits_of(value);
            if value.trim_start().starts_with('+') && d.starts_with(b"47") && d.len() == 10 {
                d.drain(..2);
            } else if d.starts_with(b"0047") && d.len() == 12 {
                d.drain(..4);
            }
            if d.len() >= 5 {
                out.push((
                    Label::Phone,
                    Pattern::Digits {
                        digits: d,
                        phone: true,
                    },
                ));
            }
        }
        "email" => out.push((Label::Email, Pattern::Literal(fold_case(value)))),
        "address" => {
            for seg in value.split(',') {
                let seg = seg.trim();
                let code = seg.get(..4).unwrap_or("");
                let rest = seg.get(4..).unwrap_or("");
                if code.len() == 4
                    && code.chars().all(|c| c.is_ascii_digit())
                    && rest.starts_with(' ')
                {
                    out.push((Label::Postcode, Pattern::Literal(code.to_string())));
                    let town = rest.trim();
                    if !town.is_empty() {
                        out.push((Label::Location, hyphened(town)));
                    }
                } else if !seg.is_empty() {
                    let words = seg.split_whitespace().map(fold_case).collect();
                    out.push((Label::Address, Pattern::Words(words)));
                }
            }
        }
        "birth_date" => {
            let parsed = dates::parse(value)
                .map(|d| d.date)
                .or_else(|| chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok());
            if let Some(d) = parsed {
                use chrono::Datelike;
                out.push((
                    Label::Date,
                    Pattern::Date(Box::new(Birth::new(d.day(), d.month(), d.year()))),
                ));
            }
        }
        _ => out.push((Label::OtherId, hyphened(value))),
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
        let mut register = Register::default();
        let mut rec = csv::StringRecord::new();
        let mut line = 1u64;
        loop {
            line += 1;
            let more = rdr.read_record(&mut rec).map_err(|e| RegisterError::Row {
                path: path.to_path_buf(),
                line,
                message: csv_message(&e),
            })?;
            if !more {
                break;
            }
            let get = |i: usize| rec.get(i).unwrap_or("");
            let kind = get(ki);
            if !KINDS.contains(&kind) {
                return Err(RegisterError::Row {
                    path: path.to_path_buf(),
                    line,
                    message: format!(
                        "unknown kind {} (one of {})",
                        shown_kind(kind),
                        KINDS.join(", ")
                    ),
                });
            }
            register.add(get(pi), kind, get(vi));
        }
        register.finish();
        Ok(register)
    }

    /// Builds the register from `(patient_id, kind, value)` rows.
    pub fn from_rows(rows: Vec<(String, String, String)>) -> Register {
        let mut register = Register::default();
        for (pid, kind, value) in rows {
            register.add(&pid, &kind, &value);
        }
        register.finish();
        register
    }

    /// Adds one row (`kind` is one of [`KINDS`]).
    fn add(&mut self, pid: &str, kind: &str, value: &str) {
        if NAME_KINDS.contains(&kind) {
            // A registered name is never a surrogate, nor is its spelling
            // without accents (`Fernandez` reads as `Fernández`).
            for part in split_name(value).map(str::to_lowercase) {
                if let Some(plain) = without_accents(&part) {
                    self.names.insert(plain);
                }
                self.names.insert(part);
            }
        }
        let rule = self
            .rules
            .entry(kind.to_string())
            .or_insert_with(|| Arc::from(format!("register:{kind}")))
            .clone();
        let needles = match self.patients.get_mut(pid) {
            Some(n) => n,
            None => self.patients.entry(pid.to_string()).or_default(),
        };
        for (label, pattern) in expand(kind, value) {
            self.entries += 1;
            // The first row of a value decides its label (long lists are
            // de-duplicated in `finish`).
            if needles.len() > LINEAR_DEDUP || !needles.iter().any(|n| n.pattern == pattern) {
                needles.push(Needle {
                    label,
                    rule: rule.clone(),
                    pattern,
                });
            }
        }
    }

    /// De-duplicates long per-patient lists and gives back the memory the
    /// lists grew into.
    fn finish(&mut self) {
        for needles in self.patients.values_mut() {
            if needles.len() > LINEAR_DEDUP {
                let mut seen = HashSet::new();
                let keep: Vec<bool> = needles.iter().map(|n| seen.insert(&n.pattern)).collect();
                drop(seen);
                let mut keep = keep.into_iter();
                needles.retain(|_| keep.next().unwrap_or(true));
            }
            needles.shrink_to_fit();
        }
        self.patients.shrink_to_fit();
        self.names.shrink_to_fit();
    }

    /// Every registered name part of every patient, lower case: what a
    /// surrogate name must never be.
    pub fn name_parts(&self) -> &HashSet<String> {
        &self.names
    }

    /// Number of registered patterns.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the register is empty.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Finds the registered identifiers of `patient_id` in `text`: the
    /// longest match at the leftmost start first, never two overlapping.
    pub fn find(&self, patient_id: &str, text: &str, out: &mut Vec<RegisterHit>) {
        let Some(needles) = self.patients.get(patient_id) else {
            return;
        };
        let lower = fold_case(text);
        // (start, end, needle)
        let mut raw: Vec<(usize, usize, usize)> = Vec::new();
        for (k, n) in needles.iter().enumerate() {
            let from = raw.len();
            n.pattern.find_all(&lower, &mut raw);
            for r in &mut raw[from..] {
                r.2 = k;
            }
        }
        raw.retain(|&(start, end, k)| {
            let after = &text[end..];
            // A name may carry a possessive ending outside the span (`Hansen`s).
            let possessive = needles[k].label.is_person()
                && (after.starts_with(['\'', '’'])
                    || (after.starts_with(['s', 'S']) && !is_word(after[1..].chars().next())));
            !is_word(text[..start].chars().next_back())
                && (!is_word(after.chars().next()) || possessive)
        });
        raw.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut last_end = 0;
        for (start, end, k) in raw {
            if start < last_end {
                continue;
            }
            last_end = end;
            out.push(RegisterHit {
                start,
                end,
                label: needles[k].label,
                rule: needles[k].rule.clone(),
            });
        }
    }
}

impl Pattern {
    /// Appends `(start, end, 0)` for every place in `lower` (a lower-cased
    /// note) where the pattern matches; matches may overlap.
    fn find_all(&self, lower: &str, out: &mut Vec<(usize, usize, usize)>) {
        let b = lower.as_bytes();
        match self {
            Pattern::Literal(lit) => {
                for s in memchr::memmem::find_iter(b, lit.as_bytes()) {
                    out.push((s, s + lit.len(), 0));
                }
            }
            Pattern::Hyphened(parts) => {
                let Some(((first, _), rest)) = parts.split_first() else {
                    return;
                };
                for s in memchr::memmem::find_iter(b, first.as_bytes()) {
                    let mut at = Some(s + first.len());
                    for (part, seps) in rest {
                        at = at.and_then(|mut p| {
                            // Up to `seps` hyphens or white-space characters.
                            for _ in 0..*seps {
                                match lower[p..].chars().next() {
                                    Some(c) if c == '-' || c.is_whitespace() => p += c.len_utf8(),
                                    _ => break,
                                }
                            }
                            lower[p..]
                                .starts_with(part.as_str())
                                .then(|| p + part.len())
                        });
                    }
                    if let Some(end) = at {
                        out.push((s, end, 0));
                    }
                }
            }
            Pattern::Words(words) => {
                let Some((first, rest)) = words.split_first() else {
                    return;
                };
                for s in memchr::memmem::find_iter(b, first.as_bytes()) {
                    let mut at = Some(s + first.len());
                    for word in rest {
                        at = at.and_then(|p| {
                            // One or more white-space characters or commas.
                            let gap = skip_while(lower, p, |c| c.is_whitespace() || c == ',');
                            (gap > p && lower[gap..].starts_with(word.as_str()))
                                .then(|| gap + word.len())
                        });
                    }
                    if let Some(end) = at {
                        out.push((s, end, 0));
                    }
                }
            }
            Pattern::Digits { digits, phone } => {
                let Some((&first, rest)) = digits.split_first() else {
                    return;
                };
                for s in memchr::memchr_iter(first, b) {
                    let Some(end) = digits_from(lower, s + 1, rest) else {
                        continue;
                    };
                    let start = if *phone {
                        phone_prefix_start(lower, s)
                    } else {
                        s
                    };
                    out.push((start, end, 0));
                }
            }
            Pattern::Date(birth) => {
                for s in 0..b.len() {
                    if !b[s].is_ascii_digit() || (s > 0 && b[s - 1].is_ascii_digit()) {
                        continue;
                    }
                    if let Some(end) = birth.at(lower, s) {
                        out.push((s, end, 0));
                    }
                }
            }
        }
    }
}

/// The byte after the characters from `at` on that `keep` accepts.
fn skip_while(text: &str, at: usize, keep: impl Fn(char) -> bool) -> usize {
    text[at..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(text.len(), |(i, _)| at + i)
}

/// Whether `c` may stand between two digits of a registered number.
fn digit_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '/' | '-')
}

/// Where `digits` end when they follow from byte `at` on, with at most one
/// separator between two of them (and none before the first).
fn digits_from(text: &str, mut at: usize, digits: &[u8]) -> Option<usize> {
    let b = text.as_bytes();
    for &d in digits {
        if b.get(at) == Some(&d) {
            at += 1;
            continue;
        }
        let c = text[at..].chars().next().filter(|&c| digit_separator(c))?;
        at += c.len_utf8();
        if b.get(at) != Some(&d) {
            return None;
        }
        at += 1;
    }
    Some(at)
}

/// Where a phone number that starts at byte `s` of `text` really starts:
/// before a `+47` or `0047` prefix (and one white-space character or
/// hyphen after it).
fn phone_prefix_start(text: &str, s: usize) -> usize {
    let mut p = s;
    if let Some(c) = text[..s].chars().next_back()
        && (c.is_whitespace() || c == '-')
    {
        p -= c.len_utf8();
    }
    let before = &text.as_bytes()[..p];
    if before.ends_with(b"+47") {
        p - 3
    } else if before.ends_with(b"0047") {
        p - 4
    } else {
        s
    }
}

/// After the decimal number `digits` from byte `at`, with or without a
/// leading zero (`5`, `05`; `15`, `015`).
fn number_at(b: &[u8], at: usize, digits: &str) -> Option<usize> {
    let digits = digits.as_bytes();
    if b[at..].starts_with(digits) {
        Some(at + digits.len())
    } else if b[at..].starts_with(b"0") && b[at + 1..].starts_with(digits) {
        Some(at + 1 + digits.len())
    } else {
        None
    }
}

/// A date of birth to find, with each of its parts written out once.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Birth {
    /// Day and month in decimal, no leading zero.
    day: String,
    month: String,
    /// Month, 0-based.
    month0: usize,
    /// The year in four digits and in two.
    y4: String,
    y2: String,
    /// `ddmm` and `yyyy-mm-dd`.
    dm: String,
    iso: String,
}

impl Birth {
    fn new(day: u32, month: u32, year: i32) -> Birth {
        Birth {
            day: day.to_string(),
            month: month.to_string(),
            month0: month.saturating_sub(1) as usize,
            y4: year.to_string(),
            y2: format!("{:02}", year.rem_euclid(100)),
            dm: format!("{day:02}{month:02}"),
            iso: format!("{year}-{month:02}-{day:02}"),
        }
    }

    /// After the year (four digits, else two) from byte `at`.
    fn year_at(&self, b: &[u8], at: usize) -> Option<usize> {
        [&self.y4, &self.y2]
            .into_iter()
            .find(|y| b[at..].starts_with(y.as_bytes()))
            .map(|y| at + y.len())
    }

    /// `13.5.58`, `13/05/1958`, `13-05- 1958`.
    fn numeric_at(&self, lower: &str, s: usize) -> Option<usize> {
        let b = lower.as_bytes();
        let sep = |at: usize| matches!(b.get(at), Some(b'.' | b'/' | b'-')).then_some(at + 1);
        let space = |at: usize| {
            lower[at..]
                .chars()
                .next()
                .filter(|c| c.is_whitespace())
                .map_or(at, |c| at + c.len_utf8())
        };
        let at = number_at(b, s, &self.day)?;
        let at = number_at(b, space(sep(at)?), &self.month)?;
        self.year_at(b, space(sep(at)?))
    }

    /// `130558`, `13051958`.
    fn compact_at(&self, b: &[u8], s: usize) -> Option<usize> {
        b[s..]
            .starts_with(self.dm.as_bytes())
            .then(|| self.year_at(b, s + self.dm.len()))?
    }

    /// `1958-05-13`.
    fn iso_at(&self, b: &[u8], s: usize) -> Option<usize> {
        b[s..]
            .starts_with(self.iso.as_bytes())
            .then_some(s + self.iso.len())
    }

    /// `13. mai 1958`, `13 mai`, `13.mai`, `13. sep. 1958`.
    fn text_at(&self, lower: &str, s: usize) -> Option<usize> {
        let b = lower.as_bytes();
        let mut at = number_at(b, s, &self.day)?;
        if b.get(at) == Some(&b'.') {
            at += 1;
        }
        at = skip_while(lower, at, char::is_whitespace);
        let name = MONTHS[self.month0 % 12];
        at = if b[at..].starts_with(name.as_bytes()) {
            at + name.len()
        } else if b[at..].starts_with(&name.as_bytes()[..3]) {
            at + 3 + usize::from(b.get(at + 3) == Some(&b'.'))
        } else {
            return None;
        };
        let spaced = skip_while(lower, at, char::is_whitespace);
        Some(
            if spaced > at && b[spaced..].starts_with(self.y4.as_bytes()) {
                spaced + self.y4.len()
            } else {
                at
            },
        )
    }

    /// The end of the longest written form of the date that starts at
    /// byte `s` of `lower`.
    fn at(&self, lower: &str, s: usize) -> Option<usize> {
        let b = lower.as_bytes();
        [
            self.numeric_at(lower, s),
            self.compact_at(b, s),
            self.iso_at(b, s),
            self.text_at(lower, s),
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

/// An unknown kind as an error may show it: only when it looks like a kind
/// (`shoe_size`), never a value that landed in the kind column
/// (`Kari Hansen` in a row whose columns are swapped).
pub(crate) fn shown_kind(kind: &str) -> String {
    if (1..=32).contains(&kind.len()) && kind.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
        format!("`{kind}`")
    } else {
        "(not shown: it does not look like a kind)".to_string()
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
            ("p2".into(), "last_name".into(), "Fernández".into()),
            ("p2".into(), "phone".into(), "22 33 44 55".into()),
        ]);
        let mut parts: Vec<&str> = r.name_parts().iter().map(String::as_str).collect();
        parts.sort_unstable();
        assert_eq!(
            parts,
            [
                "bjørgan",
                "fernandez",
                "fernández",
                "kari",
                "lie",
                "ola",
                "zyx"
            ]
        );
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

    /// A name registered with accents is found written without them too,
    /// unless so it is a common word; Norwegian letters are letters, not
    /// accents.
    #[test]
    fn accented_names_are_found_without_their_accents() {
        let r = reg(&[
            ("p1", "full_name", "Trần Nguyễn"),
            ("p1", "relative_name", "Bjørgan"),
            ("p1", "relative_name", "André"),
        ]);
        // Nor is a common word a name for being its spelling without
        // accents (`andre`, others).
        let t = "Tran Nguyen kom med TRẦN. Nguyens sønn. Bjorgan er en annen. Andre barn kom.";
        let f = found(&r, "p1", t);
        for want in [
            ("Tran", Label::PersonFirst),
            ("Nguyen", Label::PersonLast),
            ("TRẦN", Label::PersonFirst),
            ("Nguyen", Label::PersonLast),
        ] {
            assert!(
                f.contains(&(want.0.into(), want.1)),
                "{want:?} not in {f:?}"
            );
        }
        assert_eq!(f.len(), 4, "{f:?}");
    }

    #[test]
    fn every_shape_of_a_registered_value() {
        let r = reg(&[
            ("p1", "full_name", "Anne-Lise Qwerty"),
            ("p1", "relative_name", "Ola"),
            ("p1", "phone", "0047 91234567"),
            ("p1", "email", "Anne.Q@Example.no"),
            ("p1", "address", "Nedre Zyx vei 12 B, 1397 Nesøya"),
            ("p1", "birth_date", "05.03.1956"),
            ("p1", "other", "AB-123"),
        ]);
        let t = "anne lise, AnneLise og ANNE-LISE Qwertys sønn Ola. Olav er ikke registrert. \
                 Tlf +47 912 34 567, 91.23.45.67 og 912345678. anne.q@example.NO. \
                 Bor i Nedre Zyx vei,  12 B, 1397 NESØYA. Født 5.3.56, 05/03/1956, 050356, \
                 1956-03-05, 5. mars 1956, 05 mar. og 5.mars. Kode ab 123.";
        let f = found(&r, "p1", t);
        let texts: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        for want in [
            "anne lise",
            "AnneLise",
            "ANNE-LISE",
            "Qwerty",
            "Ola",
            "+47 912 34 567",
            "91.23.45.67",
            "anne.q@example.NO",
            "Nedre Zyx vei,  12 B",
            "1397",
            "NESØYA",
            "5.3.56",
            "05/03/1956",
            "050356",
            "1956-03-05",
            "5. mars 1956",
            "05 mar.",
            "5.mars",
            "ab 123",
        ] {
            assert!(texts.contains(&want), "{want} not in {texts:?}");
        }
        // Not inside a longer word or number: `Olav`, `912345678`.
        assert!(
            !texts
                .iter()
                .any(|x| x.starts_with("Olav") || x.contains("9123456")),
            "{texts:?}"
        );
        // Never two overlapping hits.
        let mut hits = Vec::new();
        r.find("p1", t, &mut hits);
        assert!(hits.windows(2).all(|w| w[0].end <= w[1].start), "{hits:?}");
    }

    #[test]
    fn doubled_and_leading_hyphens_and_prefixes_after_any_space() {
        let r = reg(&[
            ("p1", "first_name", "Anne--Lise"),
            ("p1", "other", "-AB123"),
            ("p1", "phone", "+47 91234567"),
        ]);
        let t = "Hei Anne--Lise og anne lise. Kode -AB123. Tlf +47\u{a0}912 34 567.";
        let texts: Vec<String> = found(&r, "p1", t).into_iter().map(|x| x.0).collect();
        for want in ["Anne--Lise", "anne lise", "AB123", "+47\u{a0}912 34 567"] {
            assert!(texts.iter().any(|x| x == want), "{want} not in {texts:?}");
        }
        // A value of hyphens only is never found.
        let r = reg(&[("p1", "other", "--")]);
        assert!(found(&r, "p1", "a -- b - c").is_empty());
    }

    #[test]
    fn a_patient_with_many_rows_keeps_each_value_once() {
        let rows: Vec<(&str, &str, &str)> = (0..200)
            .map(|i| ("p1", "other", if i % 2 == 0 { "Zyx-1" } else { "Zyx-2" }))
            .collect();
        let r = reg(&rows);
        let f = found(&r, "p1", "Zyx-1 og Zyx-2.");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(r.patients.get("p1").map(Vec::len), Some(2));
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
        // Columns swapped: the value sits in the kind column.
        std::fs::write(&p, "patient_id,kind,value\np1,Kari Secret,full_name\n").unwrap();
        let e = Register::load(&p).unwrap_err().to_string();
        assert!(e.contains(":2:") && !e.contains("Secret"), "{e}");
    }
}
