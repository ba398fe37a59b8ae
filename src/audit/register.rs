//! Register leak check: every identifier of the register (the CSV deid
//! accepts: `patient_id,kind,value`) is searched for in the whole output,
//! in every patient's notes, exactly and normalised.
//!
//! Two normalised views of each note are searched with Aho–Corasick, each
//! with a map from its bytes back to the note's bytes:
//! - the *word view*: letters and digits lower-cased, invisible characters
//!   dropped, every run of anything else one space (`Hansen's`,
//!   `HANSEN`, `Anne-Lise` → `hansen s`, `hansen`, `anne lise`). A hit must
//!   start at a word boundary and end at one, or before a genitive `s`
//!   (`Hansens`).
//! - the *digit view*: only digits, with a `|` wherever digits are apart by
//!   more than one space, dot, hyphen or slash (invisibles ignored), so
//!   `130558 01432`, `130558.01432` and `22 33 44 55` read as the register
//!   writes them.
//!
//! Registered birth dates are compared with the dates the residual scan
//! parses (any written format).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, MatchKind};

use super::finding::{Detector, RawFinding, Severity, is_invisible};
use super::scan::{DateValue, Scanner};
use crate::deid::register::{KINDS, NAME_KINDS, shown_kind, unaccented_name};

/// Errors reading the register.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The file cannot be read or parsed (the message never quotes a value).
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The register file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Building the search automaton failed.
    #[error("{path}: cannot build the register search: {message}")]
    Build {
        /// The register file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

struct Pattern {
    kind: u8,
    ambiguous: bool,
}

/// The compiled register.
pub struct Register {
    words: Option<AhoCorasick>,
    word_patterns: Vec<Pattern>,
    digits: Option<AhoCorasick>,
    digit_patterns: Vec<u8>,
    /// Birth dates written with four-digit years: (year, month, day).
    birth_full: HashSet<(i32, u8, u8)>,
    /// Every birth date by year modulo 100 (for two-digit years).
    birth_short: HashSet<(i32, u8, u8)>,
    /// Birth dates registered with a two-digit year only.
    birth_short_only: HashSet<(i32, u8, u8)>,
    /// Normalised single-word values (to mask rare tokens).
    single_words: HashSet<String>,
    /// Entries read, by kind.
    pub entries: Vec<(String, u64)>,
}

/// Reusable buffers of one worker.
#[derive(Default)]
pub struct Views {
    word: Vec<u8>,
    word_map: Vec<u32>,
    digit: Vec<u8>,
    digit_map: Vec<u32>,
}

impl Register {
    /// Reads and compiles the register CSV. Values are kept only in
    /// normalised form inside the automata.
    pub fn load(path: &Path, scanner: &Scanner) -> Result<Register, RegisterError> {
        let invalid = |line: u64, message: String| RegisterError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| invalid(0, format!("cannot read: {}", csv_reason(&e))))?;
        let headers = rdr
            .headers()
            .map_err(|e| invalid(1, format!("cannot read the header: {}", csv_reason(&e))))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(kind_col), Some(value_col)) = (col("kind"), col("value")) else {
            return Err(invalid(
                1,
                "header must name the columns patient_id,kind,value".to_string(),
            ));
        };
        let mut word_values: Vec<String> = Vec::new();
        let mut word_patterns = Vec::new();
        let mut digit_values: Vec<Vec<u8>> = Vec::new();
        let mut digit_patterns = Vec::new();
        let mut birth_full = HashSet::new();
        let mut birth_short = HashSet::new();
        let mut birth_short_only = HashSet::new();
        let mut single_words = HashSet::new();
        let mut counts = vec![0u64; KINDS.len()];
        let mut views = Views::default();
        for (i, rec) in rdr.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| invalid(line, csv_reason(&e)))?;
            let kind_name = rec.get(kind_col).unwrap_or("").trim();
            let Some(kind) = KINDS.iter().position(|k| *k == kind_name) else {
                return Err(invalid(
                    line,
                    format!(
                        "unknown kind {} (expected one of {})",
                        shown_kind(kind_name),
                        KINDS.join(", ")
                    ),
                ));
            };
            let value = rec.get(value_col).unwrap_or("").trim();
            if value.is_empty() {
                continue;
            }
            counts[kind] += 1;
            if KINDS[kind] == "birth_date" {
                let date = parse_birth_date(value).ok_or_else(|| {
                    invalid(
                        line,
                        "birth_date is not a date (YYYY-MM-DD, DD.MM.YYYY or DDMMYY)".to_string(),
                    )
                })?;
                let y = date.year.unwrap_or(0);
                let short = (y.rem_euclid(100), date.month, date.day);
                birth_short.insert(short);
                if date.two_digit_year {
                    birth_short_only.insert(short);
                } else {
                    birth_full.insert((y, date.month, date.day));
                }
                continue;
            }
            let n_digits = value.bytes().filter(u8::is_ascii_digit).count();
            let n_letters = value.chars().filter(|c| c.is_alphabetic()).count();
            let numeric = matches!(KINDS[kind], "national_id" | "phone")
                || (KINDS[kind] == "other" && n_letters == 0);
            if numeric {
                if n_digits >= 5 {
                    digit_values.push(value.bytes().filter(u8::is_ascii_digit).collect());
                    digit_patterns.push(kind as u8);
                }
                continue;
            }
            // An address is also searched part by part (`Storgata 5, 0155 Oslo`).
            let mut forms = vec![value];
            if KINDS[kind] == "address" && value.contains(',') {
                forms.extend(value.split(',').map(str::trim).filter(|p| p.contains(' ')));
            }
            for form in forms {
                views.normalise_words(form);
                let norm = String::from_utf8_lossy(&views.word).trim().to_string();
                if norm.chars().count() < 2 {
                    continue;
                }
                let single = !norm.contains(' ');
                // `Nguyễn` is often written `Nguyen` (not `André` as `andre`).
                let plain = NAME_KINDS
                    .contains(&KINDS[kind])
                    .then(|| unaccented_name(&norm))
                    .flatten();
                for spelling in std::iter::once(norm).chain(plain) {
                    if single {
                        single_words.insert(spelling.clone());
                    }
                    let ambiguous = single
                        && matches!(KINDS[kind], "first_name" | "last_name" | "relative_name")
                        && scanner.is_ambiguous_name(&spelling);
                    word_values.push(spelling);
                    word_patterns.push(Pattern {
                        kind: kind as u8,
                        ambiguous,
                    });
                }
            }
        }
        let build = |pats: &[&[u8]]| -> Result<Option<AhoCorasick>, RegisterError> {
            if pats.is_empty() {
                return Ok(None);
            }
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(pats)
                .map(Some)
                .map_err(|e| RegisterError::Build {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
        };
        let wp: Vec<&[u8]> = word_values.iter().map(|s| s.as_bytes()).collect();
        let dp: Vec<&[u8]> = digit_values.iter().map(|v| v.as_slice()).collect();
        Ok(Register {
            words: build(&wp)?,
            word_patterns,
            digits: build(&dp)?,
            digit_patterns,
            birth_full,
            birth_short,
            birth_short_only,
            single_words,
            entries: KINDS
                .iter()
                .zip(counts)
                .map(|(k, n)| (k.to_string(), n))
                .collect(),
        })
    }

    /// Whether a word (any case, also in the genitive) is a registered
    /// single-word value (or its spelling without accents).
    pub fn is_registered_word(&self, word: &str) -> bool {
        let w = word.to_lowercase();
        let stem = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .or_else(|| w.strip_suffix('s'))
            .unwrap_or(&w);
        self.single_words.contains(&w) || self.single_words.contains(stem)
    }

    /// Whether a date is a registered birth date.
    pub fn is_birth_date(&self, d: &DateValue) -> bool {
        let Some(y) = d.year else {
            return false;
        };
        let short = (y.rem_euclid(100), d.month, d.day);
        if d.two_digit_year {
            self.birth_short.contains(&short)
        } else {
            self.birth_full.contains(&(y, d.month, d.day)) || self.birth_short_only.contains(&short)
        }
    }

    /// Finds every registered identifier in `text`.
    pub fn find(&self, text: &str, views: &mut Views, out: &mut Vec<RawFinding>) {
        if let Some(ac) = &self.words {
            views.normalise_words(text);
            let w = views.word.as_slice();
            for m in ac.find_overlapping_iter(w) {
                let (s, mut e) = (m.start(), m.end());
                if s > 0 && w[s - 1] != b' ' {
                    continue;
                }
                if e < w.len() && w[e] != b' ' {
                    // Genitive: `hansens`.
                    if w[e] == b's' && (e + 1 == w.len() || w[e + 1] == b' ') {
                        e += 1;
                    } else {
                        continue;
                    }
                }
                let start = views.word_map[s] as usize;
                let end = views.word_map[e - 1] as usize;
                let end = end + text[end..].chars().next().map_or(0, char::len_utf8);
                let p = &self.word_patterns[m.pattern().as_usize()];
                let kind = KINDS[p.kind as usize];
                let lower_case = !text[start..end].chars().any(char::is_uppercase);
                let (detector, severity) = if p.ambiguous && lower_case {
                    (Detector::RegisterCommonWord, Severity::Low)
                } else if p.ambiguous && !next_to_a_name(text, start, end) {
                    // `Dag 6 ble hun feberfri`: the word, capitalised.
                    (Detector::RegisterCommonWord, Severity::Medium)
                } else if KINDS[p.kind as usize] == "other" {
                    // Quasi-identifiers (employer, website): for review.
                    (Detector::Register, Severity::High)
                } else {
                    (Detector::Register, Severity::Critical)
                };
                out.push(RawFinding {
                    start,
                    end,
                    detector,
                    severity,
                    detail: format!("register:{kind}"),
                });
            }
        }
        if let Some(ac) = &self.digits {
            views.normalise_digits(text);
            for m in ac.find_overlapping_iter(&views.digit) {
                let start = views.digit_map[m.start()] as usize;
                let end = views.digit_map[m.end() - 1] as usize + 1;
                let kind = KINDS[self.digit_patterns[m.pattern().as_usize()] as usize];
                out.push(RawFinding {
                    start,
                    end,
                    detector: Detector::Register,
                    severity: Severity::Critical,
                    detail: format!("register:{kind}"),
                });
            }
        }
    }
}

impl Views {
    /// Fills the word view of `text` and its byte map.
    fn normalise_words(&mut self, text: &str) {
        self.word.clear();
        self.word_map.clear();
        let mut space = true;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    self.word.push(b.to_ascii_lowercase());
                    self.word_map.push(i as u32);
                    space = false;
                } else if !space {
                    self.word.push(b' ');
                    self.word_map.push(i as u32);
                    space = true;
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().unwrap_or(' ');
            let len = c.len_utf8();
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    let enc = l.encode_utf8(&mut buf);
                    self.word.extend_from_slice(enc.as_bytes());
                    for _ in 0..enc.len() {
                        self.word_map.push(i as u32);
                    }
                }
                space = false;
            } else if !is_invisible(c) && !space {
                self.word.push(b' ');
                self.word_map.push(i as u32);
                space = true;
            }
            i += len;
        }
    }

    /// Fills the digit view of `text` and its byte map.
    fn normalise_digits(&mut self, text: &str) {
        self.digit.clear();
        self.digit_map.clear();
        let bytes = text.as_bytes();
        let mut gap = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_digit() {
                if gap > 1 && !self.digit.is_empty() {
                    self.digit.push(b'|');
                    self.digit_map.push(i as u32);
                }
                gap = 0;
                self.digit.push(b);
                self.digit_map.push(i as u32);
                i += 1;
            } else if b < 0x80 {
                gap += if matches!(b, b' ' | b'.' | b'-' | b'/') {
                    1
                } else {
                    2
                };
                i += 1;
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                if !is_invisible(c) {
                    gap += if c == '\u{00A0}' { 1 } else { 2 };
                }
                i += c.len_utf8();
            }
        }
    }
}

/// Whether the word at `[start, end)` stands next to another capitalised
/// word (`Dag Olsen`, `Olsen, Dag`? no: only a single space apart), as a
/// name written in full does.
fn next_to_a_name(text: &str, start: usize, end: usize) -> bool {
    let after = text[end..].strip_prefix(' ');
    let before = text[..start].strip_suffix(' ');
    let cap_after = after.is_some_and(|a| {
        let mut cs = a.chars();
        cs.next().is_some_and(char::is_uppercase) && cs.next().is_some_and(char::is_alphabetic)
    });
    let cap_before = before.is_some_and(|b| {
        let word: Vec<char> = b.chars().rev().take_while(|c| c.is_alphabetic()).collect();
        word.len() >= 2 && word.last().is_some_and(|c| c.is_uppercase())
    });
    cap_after || cap_before
}

fn csv_reason(e: &csv::Error) -> String {
    // csv errors may quote a field; keep only the kind of problem.
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        _ => "malformed CSV".to_string(),
    }
}

/// Parses a registered birth date: `YYYY-MM-DD`, `DD.MM.YYYY` or `DDMMYY`.
fn parse_birth_date(s: &str) -> Option<DateValue> {
    let fmt = |y: i32, m: u32, d: u32| {
        chrono::NaiveDate::from_ymd_opt(y, m, d).map(|_| DateValue {
            year: Some(y),
            two_digit_year: false,
            month: m as u8,
            day: d as u8,
        })
    };
    let parts: Vec<&str> = s.split(['-', '.', '/']).collect();
    let n = |x: &str| x.trim().parse::<u32>().ok();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => fmt(n(y)? as i32, n(m)?, n(d)?),
        [d, m, y] if y.len() == 4 => fmt(n(y)? as i32, n(m)?, n(d)?),
        [x] if x.len() == 6 && x.bytes().all(|b| b.is_ascii_digit()) => {
            let yy = n(&x[4..])? as i32;
            let mut v = fmt(
                if yy > 30 { 1900 + yy } else { 2000 + yy },
                n(&x[2..4])?,
                n(&x[..2])?,
            )?;
            v.two_digit_year = true;
            Some(v)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(csv: &str) -> Register {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reg.csv");
        std::fs::write(&p, csv).unwrap();
        Register::load(&p, &Scanner::new()).unwrap()
    }

    fn hits(r: &Register, text: &str) -> Vec<(String, Detector)> {
        let mut out = Vec::new();
        r.find(text, &mut Views::default(), &mut out);
        out.iter()
            .map(|f| (text[f.start..f.end].to_string(), f.detector))
            .collect()
    }

    #[test]
    fn names_are_found_in_any_case_spacing_and_genitive() {
        let r =
            register("patient_id,kind,value\np1,last_name,Hansen\np1,full_name,Anne-Lise Berg\n");
        let found = hits(
            &r,
            "Så hansen. HANSENS bil, Hansen's og anne  lise berg. Hansenklinikken",
        );
        let strs: Vec<&str> = found.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(strs, vec!["hansen", "HANSENS", "Hansen", "anne  lise berg"]);
        assert!(found.iter().all(|(_, d)| *d == Detector::Register));
    }

    /// A name registered with accents is found written without them, unless
    /// so it is a common word; the Norwegian letters are no accents.
    #[test]
    fn names_are_found_without_their_accents() {
        let r = register(
            "patient_id,kind,value\np1,full_name,Trần Nguyễn\np1,last_name,Rodríguez\np1,last_name,Bjørgan\np1,first_name,André\np1,first_name,Lúcia\np1,full_name,Nguyễn Văn Minh\n",
        );
        let found = hits(
            &r,
            "Tran Nguyen og TRẦN NGUYỄN. Rodriguez kom. Bjorgan ikke. Andre barn kom. Lucia-feiring. Nguyen Van Minh.",
        );
        let strs: Vec<&str> = found.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            strs,
            vec!["Tran Nguyen", "TRẦN NGUYỄN", "Rodriguez", "Nguyen Van Minh"]
        );
        assert!(r.is_registered_word("Rodríguez") && r.is_registered_word("RODRIGUEZS"));
        assert!(!r.is_registered_word("Bjorgan") && !r.is_registered_word("andre"));
    }

    #[test]
    fn numbers_are_found_through_spaces_dots_and_zero_width_characters() {
        let r = register("patient_id,kind,value\np1,national_id,130558 01432\np1,phone,22334455\n");
        let text = "fnr 130558.01432, 1305\u{200B}5801432, tlf +47 22 33 44 55, 22 33 4 4 55x";
        let strs: Vec<String> = hits(&r, text).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            strs,
            vec![
                "130558.01432",
                "1305\u{200B}5801432",
                "22 33 44 55",
                "22 33 4 4 55"
            ]
        );
        assert!(hits(&r, "130558, 01432").is_empty());
    }

    #[test]
    fn addresses_are_found_whole_and_by_part() {
        let r = register("patient_id,kind,value\np1,address,\"Storgata 5, 0155 Oslo\"\n");
        let strs: Vec<String> = hits(&r, "Bor i storgata 5 nå. Adr: Storgata 5, 0155 Oslo.")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(
            strs,
            vec![
                "storgata 5",
                "Storgata 5",
                "Storgata 5, 0155 Oslo",
                "0155 Oslo"
            ]
        );
        let r = register("patient_id,kind,value\np1,last_name,Hansen\n");
        assert!(r.is_registered_word("HANSENS") && r.is_registered_word("Hansen's"));
        assert!(!r.is_registered_word("Hanse"));
    }

    #[test]
    fn ambiguous_names_in_lower_case_are_not_blockers() {
        let r = register("patient_id,kind,value\np1,first_name,Liv\np1,first_name,Dag\n");
        let found = hits(
            &r,
            "Liv Olsen kom. Truende for liv. Dag 6: bedre. Hilsen Dag.",
        );
        assert_eq!(
            found,
            vec![
                ("Liv".to_string(), Detector::Register),
                ("liv".to_string(), Detector::RegisterCommonWord),
                ("Dag".to_string(), Detector::RegisterCommonWord),
                ("Dag".to_string(), Detector::Register),
            ]
        );
    }

    #[test]
    fn birth_dates_match_in_any_written_form() {
        let r = register("patient_id,kind,value\np1,birth_date,1958-05-13\np2,birth_date,010203\n");
        let d = |y: i32, two: bool, m: u8, day: u8| DateValue {
            year: Some(y),
            two_digit_year: two,
            month: m,
            day,
        };
        assert!(r.is_birth_date(&d(1958, false, 5, 13)));
        assert!(r.is_birth_date(&d(1958, true, 5, 13)), "13.05.58");
        assert!(!r.is_birth_date(&d(2058, false, 5, 13)));
        assert!(
            r.is_birth_date(&d(2003, false, 2, 1)),
            "registered as 010203"
        );
        assert!(!r.is_birth_date(&d(1958, false, 5, 14)));
    }

    #[test]
    fn errors_name_the_line_but_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reg.csv");
        std::fs::write(&p, "patient_id,kind,value\np1,shoe_size,Hemmelig\n").unwrap();
        let e = Register::load(&p, &Scanner::new())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(":2:"), "{e}");
        assert!(!e.contains("Hemmelig"), "{e}");
        std::fs::write(&p, "patient_id,kind,value\np1,birth_date,Hemmelig\n").unwrap();
        let e = Register::load(&p, &Scanner::new())
            .err()
            .unwrap()
            .to_string();
        assert!(!e.contains("Hemmelig"), "{e}");
    }
}
