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
//! A match starts at a token start (never inside a word: `sak` does not
//! match in `årsak`; see [`super::scan`]). All rules compile into one
//! [`Scanner`] that finds, in one pass over a note, where each rule
//! matches; each rule's own regex then runs only there.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex_automata::{Anchored, Input, PatternID, meta};
use regex_syntax::hir::{Hir, HirKind, Look};
use serde::Deserialize;

use super::context::{FUNCTION_WORDS, PUBLIC_EMPLOYERS, is_in, is_unit_word};
use super::data::ordinary_word;
use super::dates;
use super::scan::Scanner;
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
    (
        "rules/deid/fields.toml",
        include_str!("../../rules/deid/fields.toml"),
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
    /// A `[define]` entry is unusable.
    #[error("{origin}: `[define]` entry `{name}`: {message}")]
    Define {
        /// File name.
        origin: String,
        /// The entry's name.
        name: String,
        /// What is wrong.
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
    /// IBAN: a country code, two check digits and 11 to 30 letters or
    /// digits (spaces ignored), valid mod-97 check (ISO 13616).
    IbanMod97,
    /// A valid calendar date in a known shape.
    ValidDate,
    /// The last four-digit number of the whole match (after any house or
    /// postbox number) is in the Norwegian postcode register; a word of
    /// one or two letters after it must begin that code's post town
    /// (`8626 mo i rana`, `1430 ås`, not `1500 mg`).
    Postcode,
    /// Some word of the span (a compound with `-` or `&` by its last part)
    /// is neither an ordinary Norwegian word
    /// ([`data::ordinary_word`](super::data::ordinary_word)) nor a listed
    /// abbreviation of three letters or more, or names a public employer
    /// ([`PUBLIC_EMPLOYERS`]): a name (`xxl sport`, `h&m`, `statens
    /// vegvesen`), not a workplace (`barneskolen`, `it-bransjen`, `SFO`).
    NotPlainWords,
    /// The words before a school's or kindergarten's head word
    /// ([`SCHOOL_HEADS`]), or before the last word (an organisation's head:
    /// `narvik mannskor`), name it: each is a word no ordinary one, or a
    /// noun in its definite form (not `-et`), the way
    /// kindergartens are named (`solsikken barnehage`, `bjølsen skole`);
    /// never an article, an adjective, a participle, a genitive, a
    /// determiner, an abbreviation or a unit (`samisk barnehage`, `en
    /// liten barnehage`, `skjermet barnehage`, `SFO barnehage`).
    SchoolName,
    /// The words after the span's first one pass [`Validator::NotPlainWords`]:
    /// a place after a service's head word (`Helsestasjonen Grünerløkka`,
    /// `Legevakt Loabát`; not a heading's `Legevakt Notat`, `Klinikk
    /// Psykisk helsevern`).
    NotPlainAfterHead,
}

/// Head words of schools and kindergartens, longest first.
pub const SCHOOL_HEADS: &[&str] = &[
    "videregående skole",
    "vidaregåande skule",
    "folkehøgskole",
    "folkehøgskule",
    "katedralskole",
    "framhaldsskule",
    "oppvekstsenter",
    "ungdomsskole",
    "ungdomsskule",
    "barneskole",
    "barneskule",
    "kulturskole",
    "kulturskule",
    "barnehagen",
    "barnehage",
    "friskole",
    "friskule",
    "skole",
    "skule",
];

/// Words that name no school though the lists may not say so (`annen
/// skole`, `liten barnehage`, `kristen skole`, `montessori skole`).
const NOT_SCHOOL_NAMES: &[&str] = &[
    "annen",
    "anna",
    "egen",
    "eigen",
    "liten",
    "lita",
    "kristen",
    "vanlig",
    "vanleg",
    "samme",
    "same",
    "denne",
    "dette",
    "hennes",
    "deres",
    "montessori",
    "steiner",
    "waldorf",
    // Words that stand before a head word without naming it (`etter
    // sommeren skole igjen`).
    "etter",
    "før",
    "under",
    "over",
    "mellom",
    "uten",
    "gjennom",
    "mot",
    "sommeren",
    "høsten",
    "våren",
    "vinteren",
    "helgen",
    "helga",
    "dagen",
    "morgenen",
    "kvelden",
    "hans",
    "vår",
    "min",
    "sin",
    "førre",
    "noverande",
    "nåværende",
    "berre",
    "ift",
    "mtp",
    "pga",
];

/// Ordinary nouns that end compounds naming no school (`ansvarsgruppemøte
/// skole`, `bekymringsmelding barnehage`, `miljøterapeut skole`,
/// `hospitering barnehage`).
const NOT_SCHOOL_NAME_NOUNS: &[&str] = &[
    "møte", "melding", "samtale", "terapeut", "lærer", "lærar", "kontakt", "plan", "rapport",
    "tilbud", "tilbod", "arbeider", "arbeidar", "ering",
];

/// Words that open place names (`Vestre Toten skole`, `Nordre Land
/// barnehage`, `Sør-Odal skole`): part of a school's name, though
/// adjectives and nouns.
const PLACE_NAME_PREFIXES: &[&str] = &[
    "nordre", "søndre", "søre", "nørdre", "vestre", "østre", "øvre", "nedre", "midtre", "indre",
    "ytre", "store", "lille", "gamle", "nye", "sankt", "nord", "sør", "øst", "vest", "aust",
];

/// Whether `w` (an ordinary word) reads as a definite singular noun of
/// five letters or more, as kindergartens are named (`solsikken`,
/// `kuben`, `marihøna`); not a neuter `-et`, which participles share
/// (`skjermet`), nor the adjectives of [`NOT_SCHOOL_NAMES`].
fn definite_noun(w: &str) -> bool {
    w.chars().count() >= 5 && (w.ends_with("en") || w.ends_with('a'))
}

/// Whether `w`, in capitals, is a listed clinical abbreviation (`SFO`).
fn listed_abbreviation(w: &str) -> bool {
    super::data::shipped()
        .abbreviations
        .contains(&w.to_uppercase())
}

/// Endings of adjectives and genitives, never of a school's name
/// (`tospråklig`, `kommunal`, `storesøsterens`, `heldags`).
const NOT_SCHOOL_NAME_ENDINGS: &[&str] = &["lig", "leg", "isk", "al", "ens", "ets", "ags"];

impl Validator {
    /// Whether the validator checks a number's check digits, so that a
    /// passing number is one even glued to the next word
    /// (`Fnr:27915831899Navn`).
    pub fn is_checksum(self) -> bool {
        matches!(
            self,
            Validator::FnrMod11
                | Validator::OrgnrMod11
                | Validator::AccountMod11
                | Validator::IbanMod97
        )
    }

    /// Runs the check on the span text `s` (and the whole match `whole`).
    pub fn check(self, s: &str, whole: &str) -> bool {
        match self {
            Validator::Postcode => {
                // The last run of exactly four digits in the whole match:
                // the postcode, after any house or postbox number
                // (`Postboks 7900 5020 Bergen`).
                let b = whole.as_bytes();
                let mut code_at = None;
                let mut i = 0;
                while i < b.len() {
                    let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    if run == 4 {
                        code_at = Some(i);
                    }
                    i += run.max(1);
                }
                let Some(i) = code_at else {
                    return false;
                };
                let code = b[i..i + 4]
                    .iter()
                    .fold(0u16, |a, &x| a * 10 + u16::from(x - b'0'));
                let Some(town) = super::data::post_town(code) else {
                    return false;
                };
                let word = whole[i + 4..]
                    .trim_start()
                    .split(|c: char| !c.is_alphabetic())
                    .next()
                    .unwrap_or_default();
                if word.chars().count() > 2 {
                    return true;
                }
                let word = word.to_lowercase();
                !word.is_empty()
                    && town
                        .strip_prefix(word.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '-']))
            }
            Validator::SchoolName => {
                let lower = s.to_lowercase();
                // (The head is a school's, which may have two words, or
                // the last word: an organisation's, `narvik mannskor`.)
                let Some(name) = SCHOOL_HEADS
                    .iter()
                    .find_map(|h| lower.strip_suffix(h))
                    .or_else(|| lower.rsplit_once(' ').map(|(name, _)| name))
                    .map(str::trim_end)
                else {
                    return false;
                };
                let names = |w: &&str| {
                    !NOT_SCHOOL_NAMES.contains(w)
                        && !is_in(FUNCTION_WORDS, w)
                        && !is_unit_word(w)
                        // (Valleys are named in `-dal`: `Alvdal skole`.)
                        && !NOT_SCHOOL_NAME_ENDINGS
                            .iter()
                            .any(|e| w.ends_with(e) && !(*e == "al" && w.ends_with("dal")))
                        && !NOT_SCHOOL_NAME_NOUNS.iter().any(|e| w.ends_with(e))
                        && !listed_abbreviation(w)
                        && (ordinary_word(w).is_none() || definite_noun(w))
                };
                let words: Vec<&str> = name.split([' ', '-']).filter(|w| !w.is_empty()).collect();
                // (`Vestre Toten skole`, not `Store skole`.)
                let prefix = |w: &&str| is_in(PLACE_NAME_PREFIXES, w);
                words.iter().any(|w| !prefix(w)) && words.iter().all(|w| prefix(w) || names(w))
            }
            Validator::FnrMod11 => fnr_mod11(&digits(s)),
            Validator::OrgnrMod11 => orgnr_mod11(&digits(s)),
            Validator::AccountMod11 => account_mod11(&digits(s)),
            Validator::IbanMod97 => iban_mod97(s),
            Validator::ValidDate => dates::valid(s),
            Validator::NotPlainAfterHead => s
                .trim_start()
                .split_once(char::is_whitespace)
                .is_some_and(|(_, rest)| Validator::NotPlainWords.check(rest, rest)),
            // A hyphen compound by its last part (`it-bransjen`,
            // `port-au-prince`), and so two initials joined by a slash
            // (`ESK/RB`); numbers and abbreviations (`SFO`) say nothing.
            Validator::NotPlainWords => s.split_whitespace().any(|group| {
                let w = group
                    .rsplit(['-', '&', '/'])
                    .next()
                    .unwrap_or_default()
                    .trim_matches(|c: char| !c.is_alphabetic());
                let lower = w.to_lowercase();
                if is_in(PUBLIC_EMPLOYERS, &lower) {
                    return true;
                }
                !w.is_empty()
                    && w.chars().all(char::is_alphabetic)
                    && ordinary_word(&lower).is_none()
                    // (Not the two letters of `AF Gruppen`: `AF` is also
                    // atrieflimmer.)
                    && !(w.chars().count() > 2 && listed_abbreviation(w))
            }),
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

/// IBAN check (ISO 13616): letters, digits and spaces only; a country
/// code of two letters and two check digits first; 15 to 34 characters
/// without the spaces; the number with its first four characters moved
/// to the end and letters read as 10 to 35 is 1 modulo 97.
pub fn iban_mod97(s: &str) -> bool {
    let chars: Vec<char> = s.chars().filter(|c| *c != ' ').collect();
    if !(15..=34).contains(&chars.len())
        || !chars[..2].iter().all(char::is_ascii_alphabetic)
        || !chars[2..4].iter().all(char::is_ascii_digit)
    {
        return false;
    }
    let mut rem = 0u32;
    for c in chars[4..].iter().chain(&chars[..4]) {
        let Some(v) = c.to_digit(36) else {
            return false;
        };
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    rem == 1
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
    /// Pieces the file's rules share, by name (see [`Definition`]).
    #[serde(default)]
    define: BTreeMap<String, Definition>,
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A named piece of a rule file's `[define]` table, shared by its rules so
/// that their copies cannot drift apart.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a pattern (a string) or a word list (an array of strings)"
)]
enum Definition {
    /// A regex fragment, written `{{name}}` in a rule's `regex` (it stands
    /// there as a non-capturing group).
    Pattern(String),
    /// Context words, written `"@name"` as an item of a `context` list.
    Words(Vec<String>),
}

/// The `[define]` table of one file and which of its names rules used.
struct Definitions<'a> {
    table: &'a BTreeMap<String, Definition>,
    used: HashSet<&'a str>,
}

impl<'a> Definitions<'a> {
    /// `regex` with every `{{name}}` replaced by its pattern.
    fn regex(&mut self, regex: &str) -> Result<String, String> {
        let mut out = String::with_capacity(regex.len());
        let mut rest = regex;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| "`{{` without a closing `}}`".to_string())?;
            let name = &after[..close];
            match self.table.get_key_value(name) {
                Some((_, Definition::Pattern(p))) if p.contains("{{") => {
                    return Err(format!("`{name}` names another pattern: write it out"));
                }
                Some((key, Definition::Pattern(p))) => {
                    self.used.insert(key.as_str());
                    out.push_str("(?:");
                    out.push_str(p);
                    out.push(')');
                }
                Some((_, Definition::Words(_))) => {
                    return Err(format!("`{name}` is a word list, not a pattern"));
                }
                None => return Err(format!("`{{{{{name}}}}}` is not in `[define]`")),
            }
            rest = &after[close + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `words` with every `"@name"` item replaced by its list.
    fn words(&mut self, words: &[String]) -> Result<Vec<String>, String> {
        let mut out = Vec::with_capacity(words.len());
        for w in words {
            let Some(name) = w.strip_prefix('@') else {
                out.push(w.clone());
                continue;
            };
            match self.table.get_key_value(name) {
                Some((key, Definition::Words(list))) => {
                    self.used.insert(key.as_str());
                    out.extend(list.iter().cloned());
                }
                Some((_, Definition::Pattern(_))) => {
                    return Err(format!("`{name}` is a pattern, not a word list"));
                }
                None => return Err(format!("`@{name}` is not in `[define]`")),
            }
        }
        Ok(out)
    }

    /// Expands the regex and context lists of `spec` in place; the error
    /// names the field.
    fn expand(&mut self, spec: &mut RuleSpec) -> Result<(), (&'static str, String)> {
        spec.regex = self.regex(&spec.regex).map_err(|m| ("regex", m))?;
        for (field, list) in spec.context.lists_mut() {
            *list = self.words(list).map_err(|m| (field, m))?;
        }
        Ok(())
    }

    /// The names no rule used, joined for an error message.
    fn unused(&self) -> Option<String> {
        let unused: Vec<&str> = self
            .table
            .keys()
            .map(String::as_str)
            .filter(|k| !self.used.contains(k))
            .collect();
        (!unused.is_empty()).then(|| unused.join("`, `"))
    }
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
    /// The match is rejected when one of its own words is one of these
    /// (`Diabetes type 2` is no street).
    #[serde(default)]
    pub not_containing: Vec<String>,
    /// Window size in bytes before the match (default 40).
    #[serde(default = "default_window")]
    pub window: usize,
}

impl ContextSpec {
    /// The word lists, each with its field's name in a rule file.
    fn lists_mut(&mut self) -> [(&'static str, &mut Vec<String>); 6] {
        [
            ("context.required", &mut self.required),
            ("context.boost", &mut self.boost),
            ("context.forbidden", &mut self.forbidden),
            ("context.not_after", &mut self.not_after),
            ("context.not_before", &mut self.not_before),
            ("context.not_containing", &mut self.not_containing),
        ]
    }
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
    /// For rules of names whose cue alone is weak (`jobber i Bama`, not
    /// `JOBBER I BARNEHAGE`): the span counts only where its case shows a
    /// name, not starting with a small letter in an ordinary note, passing
    /// [`Validator::NotPlainWords`] in a note all in one case; it also ends
    /// before the first word that follows names (`som`, `siden`: `BAMA SOM
    /// LAGERMEDARBEIDER`). Applied by the detector, not by the examples'
    /// harness.
    #[serde(default)]
    pub name_shaped: bool,
    /// For rules of a unit named before its hospital or town and a comma
    /// (`Nevrokirurgi, Haukeland`): the span counts only where a care
    /// unit, a place or an organisation found starts right after that
    /// comma, or after it and one capitalised word (`Nyfødtintensiv,
    /// Sykehuset Vestfold`; not `Radiologi, CT thorax`). Applied by the
    /// detector, not by the examples' harness.
    #[serde(default)]
    pub before_place: bool,
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
    /// The regex, for anchored searches at token starts the scan found.
    regex: meta::Regex,
    /// The regex restricted to token starts (see [`super::scan`]), for
    /// searching whole notes.
    whole: meta::Regex,
    /// Index of the `phi` group, unless it spans the whole match (then the
    /// match bounds are the span and no capture search is needed).
    phi: Option<usize>,
}

/// What one search of a rule found.
enum Found {
    /// A match the rule kept, ending at this byte.
    Kept(usize),
    /// A match the rule's context or validator rejected, starting at this
    /// byte.
    Rejected(usize),
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

/// All rules, compiled for one scan per note.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Every rule whose regex a DFA can run, in one DFA.
    scanner: Option<Scanner>,
    /// Rules the scanner leaves out (Unicode word boundaries): each
    /// searches the whole note on its own.
    unscanned: Vec<usize>,
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

/// The built-in rule files and `extra` ones, as `(origin, text)`.
fn read_files(extra: &[PathBuf]) -> Result<Vec<(String, String)>, RuleError> {
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
    Ok(files)
}

/// A rule as parsed, before its automata are built.
struct Parsed {
    spec: RuleSpec,
    origin: String,
    label: Label,
    hir: Hir,
}

/// Parses rule files and checks ids, labels and regex syntax.
fn parse(files: &[(String, String)]) -> Result<Vec<Parsed>, RuleError> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for (origin, text) in files {
        let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        let mut defs = Definitions {
            table: &file.define,
            used: HashSet::new(),
        };
        for mut spec in file.rule {
            let expanded = defs.expand(&mut spec);
            let err = |field, message: String| RuleError::Rule {
                origin: origin.clone(),
                id: spec.id.clone(),
                field,
                message,
            };
            if let Err((field, message)) = expanded {
                return Err(err(field, message));
            }
            if !ids.insert(spec.id.clone()) {
                return Err(err("id", "duplicate rule id".into()));
            }
            let label = Label::parse(&spec.label)
                .ok_or_else(|| err("label", format!("unknown label `{}`", spec.label)))?;
            let hir = regex_syntax::Parser::new()
                .parse(&spec.regex)
                .map_err(|e| err("regex", e.to_string()))?;
            if hir.properties().minimum_len() == Some(0) {
                return Err(err("regex", "can match the empty string".into()));
            }
            out.push(Parsed {
                spec,
                origin: origin.clone(),
                label,
                hir,
            });
        }
        if let Some(name) = defs.unused() {
            return Err(RuleError::Define {
                origin: origin.clone(),
                name,
                message: "defined but no rule uses it: use it or remove it".into(),
            });
        }
    }
    Ok(out)
}

/// Whether the `phi` group of `hir` spans every match: the regex is the
/// group with only look-arounds (`\b`) before and after it.
fn phi_is_whole(hir: &Hir) -> bool {
    let is_phi =
        |h: &Hir| matches!(h.kind(), HirKind::Capture(c) if c.name.as_deref() == Some("phi"));
    match hir.kind() {
        HirKind::Capture(_) => is_phi(hir),
        HirKind::Concat(parts) => {
            let looks = |h: &&Hir| matches!(h.kind(), HirKind::Look(_));
            let rest: Vec<&Hir> = parts.iter().filter(|h| !looks(h)).collect();
            rest.len() == 1
                && is_phi(rest[0])
                && parts
                    .iter()
                    .skip_while(|h| looks(h))
                    .skip(1)
                    .all(|h| matches!(h.kind(), HirKind::Look(_)))
        }
        _ => false,
    }
}

/// `hir` that may only start at a token start (see [`super::scan`]).
fn at_token_start(hir: Hir) -> Hir {
    Hir::concat(vec![
        Hir::alternation(vec![
            Hir::look(Look::WordStartHalfUnicode),
            Hir::look(Look::WordEndHalfUnicode),
        ]),
        hir,
    ])
}

impl RuleSet {
    /// Parses and checks rule files given as `(origin, toml text)`: TOML,
    /// ids, labels and regex syntax, without building any automaton (for
    /// `validate`). [`RuleSet::compile`] reports the same errors.
    pub fn check(files: &[(String, String)]) -> Result<(), RuleError> {
        parse(files).map(|_| ())
    }

    /// Parses and compiles rule files given as `(origin, toml text)`.
    pub fn compile(files: &[(String, String)]) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        let mut hirs = Vec::new();
        for mut p in parse(files)? {
            // Context words match the case-folded text.
            for (_, list) in p.spec.context.lists_mut() {
                list.iter_mut().for_each(|w| *w = w.to_lowercase());
            }
            let err = |message: String| RuleError::Rule {
                origin: p.origin.clone(),
                id: p.spec.id.clone(),
                field: "regex",
                message,
            };
            let build = |hir: &Hir| {
                meta::Regex::builder()
                    .build_from_hir(hir)
                    .map_err(|e| err(e.to_string()))
            };
            let regex = build(&p.hir)?;
            let whole = build(&at_token_start(p.hir.clone()))?;
            let phi = regex
                .group_info()
                .to_index(PatternID::ZERO, "phi")
                .filter(|_| !phi_is_whole(&p.hir));
            rules.push(Rule {
                name: Arc::from(format!("rule:{}", p.spec.id)),
                label: p.label,
                regex,
                whole,
                phi,
                origin: p.origin,
                spec: p.spec,
            });
            hirs.push(p.hir);
        }
        // A DFA cannot decide Unicode word boundaries on non-ASCII text.
        let (scannable, unscanned): (Vec<usize>, Vec<usize>) = (0..hirs.len())
            .partition(|&i| !hirs[i].properties().look_set().contains_word_unicode());
        let for_scan: Vec<(usize, &Hir)> = scannable.iter().map(|&i| (i, &hirs[i])).collect();
        let scanner = Scanner::new(&for_scan);
        let unscanned = if scanner.is_some() {
            unscanned
        } else {
            (0..rules.len()).collect()
        };
        Ok(RuleSet {
            rules,
            scanner,
            unscanned,
        })
    }

    /// The built-in rules plus `extra` rule files.
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
        RuleSet::compile(&read_files(extra)?)
    }

    /// Checks the built-in rules plus `extra` rule files without building
    /// them (see [`RuleSet::check`]).
    pub fn check_files(extra: &[PathBuf]) -> Result<(), RuleError> {
        RuleSet::check(&read_files(extra)?)
    }

    /// The compiled rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Finds every span of every rule, sorted by rule and start. `lower`
    /// is the case-folded text (same byte offsets) used for context words.
    ///
    /// One [`Scanner`] pass tells where each rule matches; each rule's
    /// regex then runs only there. The hits are exactly those of
    /// [`RuleSet::find_rule`] for every rule.
    pub fn find(&self, text: &str, lower: &str, out: &mut Vec<RuleHit>) {
        let from = out.len();
        let mut starts = Vec::new();
        let scanned = self
            .scanner
            .as_ref()
            .is_some_and(|s| s.starts(text, &mut starts).is_ok());
        if !scanned {
            for i in 0..self.rules.len() {
                self.find_rule(i, text, lower, out);
            }
            return;
        }
        // `starts` is sorted by rule, then position: leftmost-first
        // iteration takes the first start at or after the end of the
        // previous kept match (a match its context rejects hides nothing).
        let mut k = 0;
        while k < starts.len() {
            let rule = (starts[k] >> 32) as usize;
            let mut pos = 0;
            while k < starts.len() && (starts[k] >> 32) as usize == rule {
                let p = (starts[k] & u64::from(u32::MAX)) as usize;
                k += 1;
                if p >= pos
                    && let Some(Found::Kept(end)) =
                        self.search(rule, text, lower, p, Anchored::Yes, out)
                {
                    pos = end;
                }
            }
        }
        for &i in &self.unscanned {
            self.find_rule(i, text, lower, out);
        }
        out[from..].sort_by_key(|h| (h.rule, h.start));
    }

    /// Finds the spans of rule `i` only, searching the whole text.
    pub fn find_rule(&self, i: usize, text: &str, lower: &str, out: &mut Vec<RuleHit>) {
        let mut pos = 0;
        while pos < text.len() {
            match self.search(i, text, lower, pos, Anchored::No, out) {
                Some(Found::Kept(end)) => pos = end,
                // A rejected match hides nothing: search again from the
                // character after its start.
                Some(Found::Rejected(start)) => {
                    pos = start + text[start..].chars().next().map_or(1, char::len_utf8);
                }
                None => break,
            }
        }
    }

    /// One search of rule `i` from byte `at`: keeps the match when it
    /// passes [`RuleSet::accept`] (`None`: no match). Matches are never
    /// empty (checked when compiling).
    fn search(
        &self,
        i: usize,
        text: &str,
        lower: &str,
        at: usize,
        anchored: Anchored,
        out: &mut Vec<RuleHit>,
    ) -> Option<Found> {
        let rule = &self.rules[i];
        let input = Input::new(text).span(at..text.len()).anchored(anchored);
        // Every slot of the regex: fewer would make it allocate its own.
        let n = if rule.phi.is_some() {
            rule.regex.group_info().slot_len()
        } else {
            2
        };
        let mut stack = [None; 16];
        let mut heap = Vec::new();
        let slots = if n <= stack.len() {
            &mut stack[..n]
        } else {
            heap.resize(n, None);
            &mut heap[..]
        };
        let regex = match anchored {
            Anchored::No => &rule.whole,
            _ => &rule.regex,
        };
        regex.search_slots(&input, slots)?;
        let get = |k: usize| slots.get(k).copied().flatten().map(|v| v.get());
        let (whole_start, whole_end) = (get(0)?, get(1)?);
        let span = match rule.phi {
            Some(g) => get(2 * g).zip(get(2 * g + 1)),
            None => Some((whole_start, whole_end)),
        };
        if let Some((start, end)) = span {
            let end = if rule.label == Label::Url {
                trim_url_end(text, start, end)
            } else {
                end
            };
            if self.accept(i, text, lower, whole_start, whole_end, start, end) {
                out.push(RuleHit {
                    start,
                    end,
                    rule: i,
                });
                return Some(Found::Kept(whole_end.max(at + 1)));
            }
        }
        Some(Found::Rejected(whole_start))
    }

    /// Applies rule `i`'s word boundaries, context words and validator to
    /// the span `start..end` of the match `whole_start..whole_end`.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &self,
        i: usize,
        text: &str,
        lower: &str,
        whole_start: usize,
        whole_end: usize,
        start: usize,
        end: usize,
    ) -> bool {
        let rule = &self.rules[i];
        // A number with check digits may run into a word (`…899Navn`).
        let glued = rule.spec.validator.is_some_and(Validator::is_checksum)
            && text[..end].ends_with(|c: char| c.is_ascii_digit())
            && text[end..].starts_with(char::is_alphabetic);
        if start == end
            || is_word_byte_at(text, start, true)
            || (is_word_byte_at(text, end, false) && !glued)
        {
            return false;
        }
        let ctx = &rule.spec.context;
        if !ctx.forbidden.is_empty() && context_has(lower, whole_start, ctx.window, &ctx.forbidden)
        {
            return false;
        }
        if !ctx.not_after.is_empty() {
            // The word before, past spaces and punctuation (`kl. 10.05`).
            let before = lower[..whole_start].trim_end_matches(|c: char| !c.is_alphanumeric());
            let prev = before
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            if ctx.not_after.iter().any(|w| w == prev) {
                return false;
            }
        }
        if !ctx.not_before.is_empty() {
            let after = lower[end..].trim_start();
            let next = after
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | ')'))
                .next()
                .unwrap_or("");
            if ctx.not_before.iter().any(|w| w == next) {
                return false;
            }
        }
        if !ctx.not_containing.is_empty()
            && lower[whole_start..whole_end]
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| ctx.not_containing.iter().any(|n| n == w))
        {
            return false;
        }
        if !ctx.required.is_empty() && !context_has(lower, whole_start, ctx.window, &ctx.required) {
            return false;
        }
        if let Some(v) = rule.spec.validator
            && !v.check(&text[start..end], &text[whole_start..whole_end])
            && (ctx.boost.is_empty() || !context_has(lower, whole_start, ctx.window, &ctx.boost))
        {
            return false;
        }
        true
    }
}

/// A URL's end without trailing sentence punctuation.
fn trim_url_end(text: &str, start: usize, mut end: usize) -> usize {
    while end > start && text[..end].ends_with(['.', ',', ';', ':', ')', '!', '?']) {
        end -= 1;
    }
    end
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
    use crate::deid::scan::GaveUp;
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
        // Examples of the IBAN registry (ISO 13616).
        assert!(iban_mod97("NO93 8601 1117 947"));
        assert!(iban_mod97("no9386011117947"));
        assert!(iban_mod97("GB29 NWBK 6016 1331 9268 19"));
        assert!(!iban_mod97("NO93 8601 1117 948"));
        assert!(!iban_mod97("9386011117947NO"));
        assert!(!iban_mod97("NO93 8601"));
        assert!(!iban_mod97("NO93-8601-1117-947"));
    }

    /// Every valid fødselsnummer is a valid account number (the second
    /// check digit has the account weights): `fnr` and `account_cued`
    /// rely on it to mask a valid number after a konto cue.
    #[test]
    fn every_valid_fnr_is_a_valid_account_number() {
        let mut n = 0;
        for first in 0..100_000u32 {
            let nine: Vec<u8> = digits(&format!("{:05}{:04}", first, first % 9973));
            let Some((k1, k2)) = fnr_check_digits(&nine) else {
                continue;
            };
            let mut d = nine.clone();
            d.extend([k1, k2]);
            assert!(account_mod11(&d), "{d:?}");
            n += 1;
        }
        assert!(n > 50_000, "only {n} numbers checked");
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
                // The one-scan path must find the same.
                let mut all = Vec::new();
                set.find(&text, &lower, &mut all);
                let scanned: Vec<(usize, usize)> = all
                    .iter()
                    .filter(|h| h.rule == i)
                    .map(|h| (h.start, h.end))
                    .collect();
                if scanned != want {
                    failures.push(format!(
                        "{} through the scan {ex:?}: want {want:?}, got {scanned:?}",
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

    /// The one-scan path finds exactly what every rule finds searching the
    /// whole text on its own: synthetic notes of both splits in three
    /// casings, every rule example, and texts built around token starts.
    #[test]
    fn the_scan_finds_what_each_rule_finds_alone() {
        use crate::synth::{Generator, Split, SynthConfig};
        let set = RuleSet::load(&[]).unwrap();
        assert!(set.scanner.is_some() && set.unscanned.is_empty());
        let mut texts: Vec<String> = Vec::new();
        for split in [Split::Train, Split::Heldout] {
            let g = Generator::new(SynthConfig {
                seed: 11,
                notes: 300,
                split,
                ..SynthConfig::default()
            })
            .unwrap();
            for n in g.notes() {
                texts.push(n.text.to_uppercase());
                texts.push(n.text.to_lowercase());
                texts.push(n.text);
            }
        }
        for rule in set.rules() {
            for ex in rule
                .spec
                .examples
                .positive
                .iter()
                .chain(&rule.spec.examples.negative)
            {
                let (plain, _) = strip_marks(ex);
                texts.push(format!("{plain}, {plain}.\n{plain}"));
                texts.push(plain);
            }
        }
        texts.extend(
            [
                "Tlf 22 11 33 44,Oslo 0155 Oslo.12.03.2021-13055801432",
                "\u{212A}ontroll 3. \u{17F}eptember 2021 hos Stor\u{17F}gata 5, 0155 OSLO",
                "1 2 3 4 5 6 7 8 9 0 11 22 333 4444 55555 666666 13055801432 1305580143",
                "ÆØÅ æøå 12.03.21 Ærligveien 3B, 5003 Bergen; fnr: 130558 01432",
                "Årsak: 12345678. xsak 1234 sak-1234 (sak:1234) R2-D2 a_b 1_2 _3.3.21",
                "",
                "1",
            ]
            .map(String::from),
        );
        // Long walks from every token start: the scan gives up and every
        // rule searches on its own.
        let hostile = format!("{} ola@x.no 12.03.2021", "A.".repeat(40_000));
        let scanner = set.scanner.as_ref().unwrap();
        assert_eq!(scanner.starts(&hostile, &mut Vec::new()), Err(GaveUp));
        texts.push(hostile);
        let mut checked = 0;
        for t in &texts {
            let lower = fold_case(t);
            let mut whole = Vec::new();
            for i in 0..set.rules().len() {
                set.find_rule(i, t, &lower, &mut whole);
            }
            let mut scanned = Vec::new();
            set.find(t, &lower, &mut scanned);
            assert_eq!(scanned, whole, "differs on a text of {} bytes", t.len());
            checked += whole.len();
        }
        assert!(checked > 10_000, "only {checked} hits compared");
    }

    /// A match its context rejects hides nothing: a match starting inside
    /// it is still found, scanned or searched rule by rule.
    #[test]
    fn a_rejected_match_hides_no_overlapping_match() {
        let rule = r#"
[[rule]]
id = "unit"
label = "CARE_UNIT"
regex = '''(?P<phi>(?:[A-Za-z]+al\s)+avdeling)'''
context = { not_containing = ["journal"] }
"#;
        let set = RuleSet::compile(&[("x.toml".to_string(), rule.to_string())]).unwrap();
        let text = "journal Sentral avdeling";
        let lower = text.to_lowercase();
        let (mut scanned, mut alone) = (Vec::new(), Vec::new());
        set.find(text, &lower, &mut scanned);
        set.find_rule(0, text, &lower, &mut alone);
        let found = |hits: &[RuleHit]| -> Vec<&str> {
            hits.iter().map(|h| &text[h.start..h.end]).collect()
        };
        assert_eq!(found(&scanned), ["Sentral avdeling"]);
        assert_eq!(found(&alone), ["Sentral avdeling"]);
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

    /// A rule file with `define` and one rule using it, as `(origin, text)`.
    fn defined(define: &str, rule: &str) -> Vec<(String, String)> {
        let text = format!(
            "[define]\n{define}\n[[rule]]\nid = \"d\"\nlabel = \"OTHER_ID\"\n{rule}\n\
             examples = {{ positive = [\"ref [[12345]]\"], negative = [\"12345\"] }}\n"
        );
        vec![("d.toml".to_string(), text)]
    }

    #[test]
    fn shared_patterns_and_word_lists_expand_where_rules_name_them() {
        let files = defined(
            "digits = '[0-9]{4}|[0-9]{5}'\ncues = [\"ref\", \"saksnr\"]",
            "regex = '(?-u:\\b)(?P<phi>{{digits}})(?-u:\\b)'\n\
             context = { required = [\"@cues\", \"sak\"], window = 10 }",
        );
        let set = RuleSet::compile(&files).unwrap();
        let spec = &set.rules[0].spec;
        // The pattern stands as a group: `ref 12345` is one span, not the
        // first alternative's four digits.
        assert_eq!(
            spec.regex,
            "(?-u:\\b)(?P<phi>(?:[0-9]{4}|[0-9]{5}))(?-u:\\b)"
        );
        assert_eq!(spec.context.required, ["ref", "saksnr", "sak"]);
        let text = "ref 12345, sak 6789, og så videre 4321";
        let lower = fold_case(text);
        let mut hits = Vec::new();
        set.find(text, &lower, &mut hits);
        let found: Vec<&str> = hits.iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(found, ["12345", "6789"]);
    }

    #[test]
    fn unknown_unused_and_mistyped_definitions_are_errors() {
        let cases = [
            // An unknown pattern, an unknown list, a list used as a pattern
            // and a pattern used as a list: each names the rule's field.
            ("x = 'a'", "regex = '{{y}}{{x}}'", "`regex`"),
            (
                "x = ['a']",
                "regex = 'a'\ncontext = { boost = [\"@y\", \"@x\"] }",
                "`context.boost`",
            ),
            ("x = ['a']", "regex = '{{x}}'", "word list, not a pattern"),
            (
                "x = 'a'",
                "regex = 'b'\ncontext = { required = [\"@x\"] }",
                "pattern, not a word list",
            ),
            ("x = 'a'", "regex = '{{x'", "without a closing"),
            // Names no rule uses, all of them; a pattern inside a pattern;
            // a definition of neither kind.
            (
                "x = 'a'\ny = 'b'\nz = 'c'",
                "regex = '{{x}}'",
                "`y`, `z`: defined but no rule uses it",
            ),
            (
                "x = 'a{{y}}'\ny = 'b'",
                "regex = '{{x}}'",
                "names another pattern",
            ),
            (
                "x = 5",
                "regex = 'a'",
                "a pattern (a string) or a word list",
            ),
        ];
        for (define, rule, expected) in cases {
            let e = RuleSet::compile(&defined(define, rule))
                .unwrap_err()
                .to_string();
            assert!(e.contains("d.toml") && e.contains(expected), "{rule}: {e}");
        }
    }
}
