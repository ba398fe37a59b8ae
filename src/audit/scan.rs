//! Residual scan: independent, high-recall detectors over the released
//! text. Nothing here reuses the deid stage's rules or decisions.
//!
//! One pass over the bytes finds digit groups (digits joined by single
//! spaces, dots, hyphens, slashes or invisible characters, so
//! `130558\u{200B}01432` and `22 33 44 55` stay one group); each group is
//! tried as fødselsnummer/D/H/FH-number (mod 11), date, phone number and
//! postcode + place. `@` anchors e-mail addresses. A word pass finds
//! gazetteer names after titles and relations (`dr.`, `mor`, `fastlege`) and
//! given-name + surname pairs.

use std::collections::HashSet;

use super::finding::{Detector, RawFinding, Severity, is_invisible};

const GIVEN_NAMES: &str = include_str!("../../rules/gazetteers/names/given_names_all.tsv");
const SURNAMES: &str = include_str!("../../rules/gazetteers/names/surnames.tsv");
const EPONYMS: &str = include_str!("../../rules/gazetteers/clinical/medical_eponyms.tsv");
const AMBIGUOUS: &str = include_str!("../../rules/gazetteers/clinical/ambiguous_name_words.tsv");
const POSTAL_CODES: &str = include_str!("../../rules/gazetteers/places/postal_codes.tsv");
const TRIGGERS: &str = include_str!("../../rules/audit/person_context.txt");

/// A calendar date as written (year may be missing or two-digit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateValue {
    /// Full year when written with four digits, or expanded from two.
    pub year: Option<i32>,
    /// Whether the year was written with two digits.
    pub two_digit_year: bool,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl DateValue {
    /// Same day and month, and the same year where both have one (two-digit
    /// years compare modulo 100).
    pub fn same_date(&self, other: &DateValue) -> bool {
        if self.day != other.day || self.month != other.month {
            return false;
        }
        match (self.year, other.year) {
            (Some(a), Some(b)) => {
                if self.two_digit_year || other.two_digit_year {
                    a.rem_euclid(100) == b.rem_euclid(100)
                } else {
                    a == b
                }
            }
            _ => true,
        }
    }
}

/// A date found in a text (byte offsets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FoundDate {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// The date.
    pub value: DateValue,
}

/// The detectors with their gazetteers, built once.
pub struct Scanner {
    given: HashSet<String>,
    surnames: HashSet<String>,
    eponyms: HashSet<String>,
    ambiguous: HashSet<String>,
    places: HashSet<String>,
    triggers: HashSet<String>,
}

/// What one scan of a text found.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Residual findings (byte offsets).
    pub findings: Vec<RawFinding>,
    /// Every date (judged later against spans, the register and the
    /// original).
    pub dates: Vec<FoundDate>,
    /// Bare six- or eight-digit numbers that read as ddmmyy / ddmmyyyy
    /// (compared with registered birth dates only).
    pub compact_dates: Vec<FoundDate>,
    /// Valid-checksum national ids in the synthetic range (counted only).
    pub synthetic_ids: u64,
}

fn first_column(tsv: &str) -> impl Iterator<Item = &str> {
    tsv.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    /// Builds the scanner from the embedded gazetteers.
    pub fn new() -> Scanner {
        let lower = |it: &mut dyn Iterator<Item = &str>| -> HashSet<String> {
            it.map(|s| s.to_lowercase()).collect()
        };
        let places = POSTAL_CODES
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').nth(1))
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        let triggers = TRIGGERS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_lowercase)
            .collect();
        Scanner {
            given: lower(&mut first_column(GIVEN_NAMES)),
            surnames: lower(&mut first_column(SURNAMES)),
            eponyms: lower(&mut first_column(EPONYMS)),
            ambiguous: lower(&mut first_column(AMBIGUOUS)),
            places,
            triggers,
        }
    }

    /// Whether a lower-case word is a name that is also a common word.
    pub fn is_ambiguous_name(&self, lower: &str) -> bool {
        self.ambiguous.contains(lower)
    }

    /// Whether a lower-case word is in the given-name or surname gazetteer.
    pub fn is_gazetteer_name(&self, lower: &str) -> bool {
        self.given.contains(lower) || self.surnames.contains(lower)
    }

    /// Runs every detector over `text`.
    pub fn scan(&self, text: &str) -> ScanOutput {
        let mut out = ScanOutput::default();
        self.scan_digits(text, &mut out);
        scan_emails(text, &mut out);
        self.scan_names(text, &mut out);
        out
    }

    fn scan_digits(&self, text: &str, out: &mut ScanOutput) {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut runs: Vec<Run> = Vec::new();
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            // A group starts here; it must not continue a word (`AB123`).
            let glued = i > 0 && prev_char(text, i).is_some_and(|c| c.is_alphabetic());
            runs.clear();
            let mut sep = Sep::None;
            let mut j = i;
            loop {
                let s = j;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                runs.push(Run {
                    start: s,
                    end: j,
                    sep_before: sep,
                });
                // Separator: invisibles, at most one visible separator.
                let mut k = j;
                let mut visible: Option<u8> = None;
                loop {
                    if k < bytes.len()
                        && matches!(bytes[k], b' ' | b'.' | b'-' | b'/')
                        && visible.is_none()
                    {
                        visible = Some(bytes[k]);
                        k += 1;
                        continue;
                    }
                    if let Some(c) = text[k..].chars().next()
                        && (is_invisible(c) || c == '\u{00A0}')
                    {
                        if c == '\u{00A0}' {
                            if visible.is_some() {
                                break;
                            }
                            visible = Some(b' ');
                        }
                        k += c.len_utf8();
                        continue;
                    }
                    break;
                }
                if k > j && k < bytes.len() && bytes[k].is_ascii_digit() {
                    sep = match visible {
                        None => Sep::Hidden,
                        Some(b' ') => Sep::Space,
                        Some(b'.') => Sep::Dot,
                        Some(b'-') => Sep::Hyphen,
                        Some(_) => Sep::Slash,
                    };
                    j = k;
                    continue;
                }
                break;
            }
            if !glued {
                self.analyse_group(text, &runs, out);
            }
            i = j;
        }
    }

    fn analyse_group(&self, text: &str, runs: &[Run], out: &mut ScanOutput) {
        let mut claimed: Vec<(usize, usize)> = Vec::new();
        // National ids: any window of runs with 11 digits in all.
        let total_digits: usize = runs.iter().map(|r| r.end - r.start).sum();
        for a in 0..runs.len() {
            if total_digits < 11 {
                break;
            }
            let mut digits = [0u8; 11];
            let mut n = 0;
            for (b, run) in runs.iter().enumerate().skip(a) {
                if b > a && run.sep_before == Sep::Slash {
                    break;
                }
                let len = run.end - run.start;
                if n + len > 11 {
                    break;
                }
                for (k, d) in text.as_bytes()[run.start..run.end].iter().enumerate() {
                    digits[n + k] = d - b'0';
                }
                n += len;
                if n == 11 {
                    if let Some(kind) = national_id_kind(&digits) {
                        let (s, e) = (runs[a].start, run.end);
                        claimed.push((s, e));
                        match kind {
                            IdKind::Synthetic => out.synthetic_ids += 1,
                            real => out.findings.push(RawFinding {
                                start: s,
                                end: e,
                                detector: Detector::NationalId,
                                severity: Severity::Critical,
                                detail: real.as_str().to_string(),
                            }),
                        }
                    }
                    break;
                }
            }
        }
        // Dates: three runs with date separators.
        for a in 0..runs.len().saturating_sub(2) {
            let (r0, r1, r2) = (&runs[a], &runs[a + 1], &runs[a + 2]);
            if overlaps(&claimed, r0.start, r2.end) {
                continue;
            }
            let num = |r: &Run| -> u32 { text[r.start..r.end].parse().unwrap_or(0) };
            let (l0, l1, l2) = (r0.end - r0.start, r1.end - r1.start, r2.end - r2.start);
            let value = match (r1.sep_before, r2.sep_before) {
                (Sep::Dot, Sep::Dot) | (Sep::Slash, Sep::Hyphen) | (Sep::Slash, Sep::Slash)
                    if l0 <= 2 && l1 <= 2 && (l2 == 2 || l2 == 4) =>
                {
                    date_value(num(r2) as i32, l2 == 2, num(r1), num(r0))
                }
                (Sep::Hyphen, Sep::Hyphen) if l0 == 4 && l1 <= 2 && l2 <= 2 => {
                    date_value(num(r0) as i32, false, num(r1), num(r2))
                }
                _ => None,
            };
            if let Some(value) = value {
                claimed.push((r0.start, r2.end));
                out.dates.push(FoundDate {
                    start: r0.start,
                    end: r2.end,
                    value,
                });
            }
        }
        // Day + month name (+ year): `12. mars 2021`.
        if let Some(last) = runs.last()
            && last.end - last.start <= 2
            && !overlaps(&claimed, last.start, last.end)
            && let Some((value, end)) = month_name_date(text, last)
        {
            claimed.push((last.start, end));
            out.dates.push(FoundDate {
                start: last.start,
                end,
                value,
            });
        }
        // Compact ddmmyy / ddmmyyyy (register birth dates only).
        for r in runs {
            let len = r.end - r.start;
            if (len == 6 || len == 8) && !overlaps(&claimed, r.start, r.end) {
                let s = &text[r.start..r.end];
                let n = |x: &str| x.parse::<u32>().unwrap_or(0);
                let (day, month, year) = (n(&s[0..2]), n(&s[2..4]), n(&s[4..]));
                if let Some(value) = date_value(year as i32, len == 6, month, day) {
                    out.compact_dates.push(FoundDate {
                        start: r.start,
                        end: r.end,
                        value,
                    });
                }
            }
        }
        // Phone numbers: the whole group (after an optional country code)
        // has eight digits, first 2–9, runs of two or more.
        let mut body = runs;
        if runs.len() > 1 {
            let first = &text[runs[0].start..runs[0].end];
            let plus = prev_char(text, runs[0].start) == Some('+');
            if (first == "47" && plus) || first == "0047" {
                body = &runs[1..];
            }
        }
        // `+4722334455`: country code glued to the number.
        let glued_cc = runs.len() == 1
            && runs[0].end - runs[0].start == 10
            && text[runs[0].start..].starts_with("47")
            && prev_char(text, runs[0].start) == Some('+');
        if glued_cc && matches!(text.as_bytes()[runs[0].start + 2], b'2'..=b'9') {
            out.findings.push(RawFinding {
                start: runs[0].start - 1,
                end: runs[0].end,
                detector: Detector::Phone,
                severity: Severity::High,
                detail: String::new(),
            });
        }
        let total: usize = body.iter().map(|r| r.end - r.start).sum();
        if total == 8
            && body.iter().all(|r| r.end - r.start >= 2)
            && body.iter().skip(1).all(|r| r.sep_before != Sep::Slash)
            && matches!(text.as_bytes()[body[0].start], b'2'..=b'9')
            && !overlaps(&claimed, body[0].start, body[body.len() - 1].end)
        {
            let start = if body.len() < runs.len() {
                runs[0].start - usize::from(prev_char(text, runs[0].start) == Some('+'))
            } else {
                body[0].start
            };
            out.findings.push(RawFinding {
                start,
                end: body[body.len() - 1].end,
                detector: Detector::Phone,
                severity: Severity::High,
                detail: String::new(),
            });
        }
        // Postcode + place: a lone four-digit run followed by a place name.
        if runs.len() == 1 && runs[0].end - runs[0].start == 4 {
            let after = &text[runs[0].end..];
            if let Some(rest) = after
                .strip_prefix(' ')
                .or_else(|| after.strip_prefix('\u{00A0}'))
                && let Some(len) = self.place_prefix(rest)
            {
                out.findings.push(RawFinding {
                    start: runs[0].start,
                    end: runs[0].end + 1 + len,
                    detector: Detector::Postcode,
                    severity: Severity::Medium,
                    detail: String::new(),
                });
            }
        }
    }

    /// Byte length of the longest place name (one to three words) at the
    /// start of `s`, written capitalised or in capitals.
    fn place_prefix(&self, s: &str) -> Option<usize> {
        if !s.chars().next().is_some_and(char::is_uppercase) {
            return None;
        }
        let mut best = None;
        let mut end = 0;
        for _ in 0..3 {
            let rest = &s[end..];
            let w = rest
                .char_indices()
                .find(|(_, c)| !(c.is_alphabetic() || *c == '-'))
                .map_or(rest.len(), |(i, _)| i);
            if w == 0 {
                break;
            }
            end += w;
            if self.places.contains(&s[..end].to_lowercase()) {
                best = Some(end);
            }
            if !s[end..].starts_with(' ') {
                break;
            }
            end += 1;
        }
        best
    }

    fn scan_names(&self, text: &str, out: &mut ScanOutput) {
        let words = words(text);
        let mut lower = String::new();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let token = &text[w.0..w.1];
            // Both patterns need a capitalised next word: check that first,
            // so most words are never lower-cased.
            let next_cap = words
                .get(i + 1)
                .is_some_and(|n| text[n.0..].chars().next().is_some_and(char::is_uppercase));
            if !next_cap || w.1 - w.0 > 40 {
                i += 1;
                continue;
            }
            lower.clear();
            lower.extend(token.chars().flat_map(char::to_lowercase));
            let trigger = self.triggers.contains(lower.as_str());
            if trigger {
                // Up to three capitalised tokens (or initials) after it.
                let mut j = i + 1;
                let mut named = false;
                let mut end = w.1;
                while j < words.len() && j <= i + 3 {
                    let gap = &text[words[j - 1].1..words[j].0];
                    if gap.len() > 3 || gap.contains('\n') {
                        break;
                    }
                    let t = &text[words[j].0..words[j].1];
                    if !t.chars().next().is_some_and(char::is_uppercase) {
                        break;
                    }
                    let tl = t.to_lowercase();
                    if self.triggers.contains(tl.as_str()) {
                        break;
                    }
                    let initial = t.chars().count() == 1;
                    if !initial && (self.eponyms.contains(&tl) || !self.is_gazetteer_name(&tl)) {
                        break;
                    }
                    named |= !initial;
                    end = words[j].1;
                    j += 1;
                }
                if named {
                    let start = words[i + 1].0;
                    out.findings.push(RawFinding {
                        start,
                        end,
                        detector: Detector::PersonName,
                        severity: Severity::High,
                        detail: "after a title or relation".to_string(),
                    });
                    i = j;
                    continue;
                }
            } else if i + 1 < words.len()
                && token.chars().next().is_some_and(char::is_uppercase)
                && self.given.contains(lower.as_str())
                && !self.ambiguous.contains(lower.as_str())
            {
                let n = words[i + 1];
                let gap = &text[w.1..n.0];
                let next = &text[n.0..n.1];
                if gap == " " && next.chars().next().is_some_and(char::is_uppercase) {
                    let nl = next.to_lowercase();
                    if self.surnames.contains(&nl) && !self.eponyms.contains(&nl) {
                        out.findings.push(RawFinding {
                            start: w.0,
                            end: n.1,
                            detector: Detector::PersonName,
                            severity: Severity::Medium,
                            detail: "given name and surname".to_string(),
                        });
                        i += 2;
                        continue;
                    }
                }
            }
            i += 1;
        }
    }
}

/// Word spans (letters, with inner hyphens and invisible characters), in
/// bytes. ASCII is handled byte by byte; other characters are decoded.
pub fn words(text: &str) -> Vec<(usize, usize)> {
    const NONE: usize = usize::MAX;
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 6);
    let mut start = NONE;
    let mut last_end = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (letter, inner, len) = if b < 0x80 {
            (b.is_ascii_alphabetic(), b == b'-', 1)
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            (c.is_alphabetic(), is_invisible(c), c.len_utf8())
        };
        if letter {
            if start == NONE {
                start = i;
            }
            last_end = i + len;
        } else if !inner && start != NONE {
            out.push((start, last_end));
            start = NONE;
        }
        i += len;
    }
    if start != NONE {
        out.push((start, last_end));
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sep {
    None,
    Hidden,
    Space,
    Dot,
    Hyphen,
    Slash,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    start: usize,
    end: usize,
    sep_before: Sep,
}

fn overlaps(claimed: &[(usize, usize)], s: usize, e: usize) -> bool {
    claimed.iter().any(|&(a, b)| s < b && a < e)
}

fn prev_char(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn date_value(year: i32, two_digit: bool, month: u32, day: u32) -> Option<DateValue> {
    let full = if two_digit {
        if year > 30 { 1900 + year } else { 2000 + year }
    } else {
        year
    };
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    if !two_digit && !(1850..=2150).contains(&full) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(full, month, day)?;
    Some(DateValue {
        year: Some(full),
        two_digit_year: two_digit,
        month: month as u8,
        day: day as u8,
    })
}

const MONTHS: &[(&str, u8)] = &[
    ("januar", 1),
    ("jan", 1),
    ("februar", 2),
    ("feb", 2),
    ("mars", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("juni", 6),
    ("jun", 6),
    ("juli", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("okt", 10),
    ("november", 11),
    ("nov", 11),
    ("desember", 12),
    ("des", 12),
];

/// `12. mars 2021`, `3 mai`, `12. okt. 21`, starting at the day run.
fn month_name_date(text: &str, day: &Run) -> Option<(DateValue, usize)> {
    let d: u32 = text[day.start..day.end].parse().ok()?;
    let mut rest = &text[day.end..];
    let mut pos = day.end;
    if let Some(r) = rest.strip_prefix('.') {
        rest = r;
        pos += 1;
    }
    let ws = rest.len() - rest.trim_start_matches([' ', '\u{00A0}']).len();
    if ws == 0 || ws > 2 {
        return None;
    }
    rest = &rest[ws..];
    pos += ws;
    let wlen = rest
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(rest.len(), |(i, _)| i);
    let word = rest[..wlen].to_lowercase();
    let month = MONTHS.iter().find(|(m, _)| *m == word)?.1;
    rest = &rest[wlen..];
    pos += wlen;
    if let Some(r) = rest.strip_prefix('.') {
        rest = r;
        pos += 1;
    }
    let mut value = date_value(2000, false, u32::from(month), d)?;
    value.year = None;
    if let Some(r) = rest.strip_prefix(' ') {
        let ylen = r.bytes().take_while(u8::is_ascii_digit).count();
        let glued = r[ylen..].chars().next().is_some_and(char::is_alphanumeric);
        if (ylen == 4 || ylen == 2) && !glued {
            let y: i32 = r[..ylen].parse().ok()?;
            if let Some(v) = date_value(y, ylen == 2, u32::from(month), d) {
                value = v;
                pos += 1 + ylen;
            }
        }
    }
    Some((value, pos))
}

/// Kinds of valid-checksum national identity numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// Fødselsnummer of a real person's range.
    Fodselsnummer,
    /// D-number (day + 40).
    DNumber,
    /// H-number (month + 40).
    HNumber,
    /// FH-number (first digit 8 or 9).
    FhNumber,
    /// Synthetic test range (Tenor: month + 80): never a real person.
    Synthetic,
}

impl IdKind {
    /// Name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Fodselsnummer => "fodselsnummer",
            IdKind::DNumber => "d_number",
            IdKind::HNumber => "h_number",
            IdKind::FhNumber => "fh_number",
            IdKind::Synthetic => "synthetic",
        }
    }
}

/// Mod-11 check of an 11-digit national id (weights 3 7 6 1 8 9 4 5 2 and
/// 5 4 3 2 7 6 5 4 3 2).
pub fn mod11_valid(d: &[u8]) -> bool {
    const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    if d.len() != 11 {
        return false;
    }
    let check = |w: &[u32]| -> Option<u8> {
        let s: u32 = w.iter().zip(d).map(|(w, d)| w * u32::from(*d)).sum();
        match 11 - s % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k as u8),
        }
    };
    check(&W1) == Some(d[9]) && check(&W2) == Some(d[10])
}

/// Classifies a valid-checksum 11-digit number, or `None` when the checksum
/// or the date part is invalid.
pub fn national_id_kind(d: &[u8]) -> Option<IdKind> {
    if !mod11_valid(d) {
        return None;
    }
    if d[0] >= 8 {
        return Some(IdKind::FhNumber);
    }
    let day = u32::from(d[0]) * 10 + u32::from(d[1]);
    let month = u32::from(d[2]) * 10 + u32::from(d[3]);
    let (day, d_number) = if day > 40 {
        (day - 40, true)
    } else {
        (day, false)
    };
    let (month, kind) = match month {
        1..=12 => (month, None),
        41..=52 => (month - 40, Some(IdKind::HNumber)),
        81..=92 => (month - 80, Some(IdKind::Synthetic)),
        _ => return None,
    };
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    Some(match kind {
        Some(k) => k,
        None if d_number => IdKind::DNumber,
        None => IdKind::Fodselsnummer,
    })
}

fn scan_emails(text: &str, out: &mut ScanOutput) {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    for at in memchr::memchr_iter(b'@', bytes) {
        let mut s = at;
        while s > 0 && local(bytes[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < bytes.len() && domain(bytes[e]) {
            e += 1;
        }
        while e > at + 1 && bytes[e - 1] == b'.' {
            e -= 1;
        }
        let dom = &text[at + 1..e];
        if s < at && dom.contains('.') && !dom.starts_with('.') {
            out.findings.push(RawFinding {
                start: s,
                end: e,
                detector: Detector::Email,
                severity: Severity::High,
                detail: String::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid-checksum id from nine digits (test helper).
    pub(crate) fn with_check_digits(nine: &str) -> Option<String> {
        for k1 in 0..10u8 {
            for k2 in 0..10u8 {
                let s = format!("{nine}{k1}{k2}");
                let d: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
                if mod11_valid(&d) {
                    return Some(s);
                }
            }
        }
        None
    }

    fn detectors(out: &ScanOutput) -> Vec<Detector> {
        out.findings.iter().map(|f| f.detector).collect()
    }

    #[test]
    fn real_range_ids_are_critical_and_synthetic_ones_are_not_findings() {
        let s = Scanner::new();
        let real = with_check_digits("130558014").unwrap();
        let out = s.scan(&format!("Fnr {real} ok"));
        assert_eq!(detectors(&out), vec![Detector::NationalId]);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        let synthetic = with_check_digits("138558014").unwrap();
        let out = s.scan(&format!("Fnr {synthetic} ok"));
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        assert_eq!(out.synthetic_ids, 1);
    }

    #[test]
    fn ids_with_spaces_dots_and_zero_width_characters_are_found() {
        let s = Scanner::new();
        let real = with_check_digits("130558014").unwrap();
        for written in [
            format!("{} {}", &real[..6], &real[6..]),
            format!("{}.{}", &real[..6], &real[6..]),
            format!("{}\u{200B}{}", &real[..4], &real[4..]),
            format!(
                "{}\u{2060}{}\u{00AD}{}",
                &real[..2],
                &real[2..7],
                &real[7..]
            ),
        ] {
            let out = s.scan(&format!("pas. {written}."));
            assert_eq!(detectors(&out), vec![Detector::NationalId]);
            assert_eq!(
                &format!("pas. {written}.")[out.findings[0].start..out.findings[0].end],
                written
            );
        }
        let d = with_check_digits("530558015").unwrap();
        assert_eq!(s.scan(&d).findings[0].detail, "d_number");
        let h = with_check_digits("134558014").unwrap();
        assert_eq!(s.scan(&h).findings[0].detail, "h_number");
    }

    #[test]
    fn invalid_checksums_and_glued_numbers_are_not_ids() {
        let s = Scanner::new();
        let real = with_check_digits("130558014").unwrap();
        let mut bad = real.clone().into_bytes();
        bad[10] = if bad[10] == b'9' { b'0' } else { bad[10] + 1 };
        let bad = String::from_utf8(bad).unwrap();
        assert!(s.scan(&bad).findings.is_empty());
        assert!(s.scan(&format!("AB{real}")).findings.is_empty());
    }

    #[test]
    fn phones_emails_postcodes_and_dates() {
        let s = Scanner::new();
        let out = s.scan("Ring 22 33 44 55 eller +47 912 34 567, kari.n@example.no, +4791234567.");
        assert_eq!(
            detectors(&out),
            vec![
                Detector::Phone,
                Detector::Phone,
                Detector::Phone,
                Detector::Email
            ]
        );
        let text = "Bor i 0155 Oslo. Adr. 5003 Bergen";
        let out = s.scan(text);
        assert_eq!(
            detectors(&out),
            vec![Detector::Postcode, Detector::Postcode]
        );
        assert_eq!(
            &text[out.findings[0].start..out.findings[0].end],
            "0155 Oslo"
        );
        let out = s.scan("Innlagt 12.03.2021, kontroll 2021-04-01, 3/4-21 og 12. mars 2021.");
        let dates: Vec<(u8, u8)> = out
            .dates
            .iter()
            .map(|d| (d.value.day, d.value.month))
            .collect();
        assert_eq!(dates, vec![(12, 3), (1, 4), (3, 4), (12, 3)]);
        assert!(
            out.findings.is_empty(),
            "a date is no phone: {:?}",
            out.findings
        );
        assert!(s.scan("Hb 12.3 og 2 mg").dates.is_empty());
    }

    #[test]
    fn words_keep_inner_hyphens_and_non_ascii_letters() {
        let t = "Anne-Lise Ås, 12 Øy\u{200B}vind -x";
        let w: Vec<&str> = words(t).iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(w, vec!["Anne-Lise", "Ås", "Øy\u{200B}vind", "x"]);
    }

    #[test]
    fn gazetteer_names_after_titles_and_relations() {
        let s = Scanner::new();
        let text = "Samtale med dr. Johansen og mor Kari. Morbus Parkinson. Liv i fare.";
        let out = s.scan(text);
        let found: Vec<&str> = out.findings.iter().map(|f| &text[f.start..f.end]).collect();
        assert_eq!(found, vec!["Johansen", "Kari"]);
        let text = "Kari Johansen kom.";
        let out = s.scan(text);
        assert_eq!(out.findings[0].severity, Severity::Medium);
    }
}
