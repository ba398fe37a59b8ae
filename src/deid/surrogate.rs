//! Keyed surrogates (DESIGN.md "Pseudonymisation"): every replacement and
//! date shift derives from HMAC-SHA256 under a secret key, consistent per
//! scope (note | patient | corpus), realistic and format-preserving.

use std::collections::{BTreeMap, HashSet};

use chrono::Datelike;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::context::{NAME_PARTICLES, is_in};
use super::data::{Gender, shipped};
use super::dates;
use super::detect::Detection;
use super::numwords;
use super::register::split_name;
use super::rules::{account_check_digit, digits, fnr_check_digits, orgnr_check_digit};
use super::text::{Case, case_of};
use crate::phi::Label;

/// The secret key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct Key {
    bytes: Vec<u8>,
    demo: bool,
}

/// The built-in demo key: public, for the bundled synthetic demo only.
const DEMO_KEY: &[u8] = b"norclin-PUBLIC-demo-key: never use for real notes";

impl Key {
    /// A key from secret bytes (at least 16).
    pub fn new(bytes: Vec<u8>) -> Option<Key> {
        (bytes.len() >= 16).then_some(Key { bytes, demo: false })
    }

    /// The public demo key.
    pub fn demo() -> Key {
        Key {
            bytes: DEMO_KEY.to_vec(),
            demo: true,
        }
    }

    /// Whether this is the public demo key.
    pub fn is_demo(&self) -> bool {
        self.demo
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key(<redacted>, demo: {})", self.demo)
    }
}

/// What consistency a surrogate keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Same identifier, same surrogate within one note.
    Note,
    /// … within all notes of one patient (default).
    #[default]
    Patient,
    /// … across the whole corpus.
    Corpus,
}

/// What happens to a detected span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Replaced by a realistic keyed surrogate.
    Surrogate,
    /// Replaced by a placeholder (`[PERSON]`).
    Redact,
    /// Left as it is.
    Keep,
}

impl Action {
    /// The name written to `spans.jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Surrogate => "surrogate",
            Action::Redact => "redact",
            Action::Keep => "keep",
        }
    }
}

/// Actions per label.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Per-label overrides (default: surrogate).
    pub actions: BTreeMap<Label, Action>,
    /// Ages at or above this become `N+` (`90+`); younger ages are kept.
    pub age_bucket_from: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            actions: BTreeMap::new(),
            age_bucket_from: 90,
        }
    }
}

impl Policy {
    /// The action for `label`.
    pub fn action(&self, label: Label) -> Action {
        self.actions
            .get(&label)
            .copied()
            .unwrap_or(Action::Surrogate)
    }
}

/// A deterministic stream of numbers seeded from an HMAC.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }
}

/// Given-name pools by gender.
struct Pools {
    male: Vec<&'static str>,
    female: Vec<&'static str>,
    any: Vec<&'static str>,
    surnames: Vec<&'static str>,
}

/// What was done to one span.
#[derive(Clone, Debug, PartialEq)]
pub struct Replacement {
    /// The action.
    pub action: Action,
    /// The text written in place of the span (`None` when kept).
    pub surrogate: Option<String>,
}

/// Makes surrogates under one key, scope and policy.
pub struct Surrogates {
    key: Key,
    keyed: Hmac<Sha256>,
    scope: Scope,
    policy: Policy,
    pools: Pools,
    /// Lower-case name parts no surrogate name may be (the register's
    /// names of every patient).
    avoid: HashSet<String>,
}

impl std::fmt::Debug for Surrogates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Surrogates")
            .field("key", &self.key)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Draws after the first before a surrogate that is the original or holds
/// a registered name is kept anyway (the pools hold thousands of names).
const MAX_REDRAWS: usize = 16;

const EMAIL_DOMAINS: &[&str] = &[
    "eksempel.no",
    "example.com",
    "epost.example.no",
    "example.org",
];

fn apply_case(model: &str, s: &str) -> String {
    match case_of(model) {
        Case::Upper => s.to_uppercase(),
        Case::Lower => s.to_lowercase(),
        _ => s.to_string(),
    }
}

fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.to_lowercase().chars() {
        match c {
            'æ' => out.push_str("ae"),
            'ø' => out.push('o'),
            'å' => out.push_str("aa"),
            'é' | 'è' => out.push('e'),
            c if c.is_ascii_alphanumeric() => out.push(c),
            '-' | ' ' => out.push('-'),
            _ => {}
        }
    }
    out
}

impl Surrogates {
    /// Builds the surrogate maker.
    pub fn new(key: Key, scope: Scope, policy: Policy) -> Surrogates {
        let s = shipped();
        let mut pools = Pools {
            male: Vec::new(),
            female: Vec::new(),
            any: Vec::new(),
            surnames: s
                .surnames
                .iter()
                .filter(|n| !s.wordlike.contains(&n.to_lowercase()))
                .map(String::as_str)
                .collect(),
        };
        for (n, g) in &s.given {
            if n.contains(' ') || s.wordlike.contains(&n.to_lowercase()) {
                continue;
            }
            match g {
                Gender::Male => pools.male.push(n),
                Gender::Female => pools.female.push(n),
                Gender::Unknown => {}
            }
            pools.any.push(n);
        }
        let keyed = match <Hmac<Sha256> as Mac>::new_from_slice(&key.bytes) {
            Ok(m) => m,
            Err(_) => unreachable_hmac(),
        };
        Surrogates {
            key,
            keyed,
            scope,
            policy,
            pools,
            avoid: HashSet::new(),
        }
    }

    /// Never draws a surrogate name containing one of `parts` (lower
    /// case): the patient register's names, so that no surrogate can be
    /// taken for a registered patient's name.
    pub fn avoid_names(&mut self, parts: &HashSet<String>) {
        self.avoid.extend(parts.iter().cloned());
    }

    /// Whether `name` has a part (between spaces and hyphens, outer
    /// punctuation trimmed), or the stem of a possessive part (`St.
    /// Olavs hospital`), that is a registered name part
    /// ([`Surrogates::avoid_names`]).
    fn has_registered_part(&self, name: &str) -> bool {
        !self.avoid.is_empty()
            && split_name(&name.to_lowercase()).any(|p| {
                self.avoid.contains(p)
                    || p.strip_suffix('s')
                        .is_some_and(|stem| self.avoid.contains(stem))
            })
    }

    /// An entry of `pool` drawn from `s`, drawn again (at most
    /// [`MAX_REDRAWS`] times) while `unfit` says so or it has a registered
    /// name part (`Røde Kors Haugland rehabiliteringssenter` for a patient
    /// named Haugland). Without a register and an unfit draw it is the
    /// first one.
    fn draw<'a, T: AsRef<str>>(
        &self,
        pool: &'a [T],
        s: &mut Stream,
        unfit: impl Fn(&str) -> bool,
    ) -> &'a str {
        let mut pick = pool[s.below(pool.len())].as_ref();
        for _ in 0..MAX_REDRAWS {
            if !unfit(pick) && !self.has_registered_part(pick) {
                break;
            }
            pick = pool[s.below(pool.len())].as_ref();
        }
        pick
    }

    /// Whether the key is the public demo key.
    pub fn demo_key(&self) -> bool {
        self.key.is_demo()
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = self.keyed.clone();
        for p in parts {
            m.update(&(p.len() as u64).to_le_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    fn stream(&self, parts: &[&[u8]]) -> Stream {
        let h = self.mac(parts);
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        Stream(u64::from_le_bytes(b))
    }

    /// The id consistency is scoped to.
    pub fn scope_id<'a>(&self, note_id: &'a str, patient_id: &'a str) -> &'a str {
        match self.scope {
            Scope::Note => note_id,
            Scope::Patient => patient_id,
            Scope::Corpus => "",
        }
    }

    /// Days every date of `scope_id` moves (30 to 365 days, either way).
    pub fn date_shift(&self, scope_id: &str) -> i64 {
        let mut s = self.stream(&[b"date-shift", scope_id.as_bytes()]);
        let days = 30 + s.below(336) as i64;
        if s.below(2) == 0 { -days } else { days }
    }

    /// A keyed pseudonym for a note or patient id (`kind` = `note` or
    /// `patient`).
    pub fn pseudonym(&self, kind: &str, id: &str) -> String {
        let h = self.mac(&[b"id", kind.as_bytes(), id.as_bytes()]);
        let prefix = if kind == "patient" { "P" } else { "N" };
        format!("{prefix}{}", crate::fsio::hex(&h[..10]))
    }

    /// Replaces the detected spans of one note. Returns the new text and
    /// one replacement per detection. The detections whose indices are in
    /// `redact` (sorted) are redacted whatever the policy says.
    pub fn apply(
        &self,
        text: &str,
        dets: &[Detection],
        note_id: &str,
        patient_id: &str,
        redact: &[usize],
    ) -> (String, Vec<Replacement>) {
        let scope = self.scope_id(note_id, patient_id);
        let shift = self.date_shift(scope);
        let mut out = String::with_capacity(text.len() + 16);
        let mut reps = Vec::with_capacity(dets.len());
        let mut at = 0;
        for (i, d) in dets.iter().enumerate() {
            out.push_str(&text[at..d.start]);
            let original = &text[d.start..d.end];
            let action = if redact.binary_search(&i).is_ok() {
                Action::Redact
            } else {
                self.policy.action(d.label)
            };
            let rep = match action {
                Action::Keep => {
                    out.push_str(original);
                    Replacement {
                        action,
                        surrogate: None,
                    }
                }
                Action::Redact => {
                    let r = d.label.redaction().to_string();
                    out.push_str(&r);
                    Replacement {
                        action,
                        surrogate: Some(r),
                    }
                }
                Action::Surrogate => {
                    let s = self.surrogate(original, d, scope, shift);
                    out.push_str(&s);
                    Replacement {
                        action,
                        surrogate: Some(s),
                    }
                }
            };
            reps.push(rep);
            at = d.end;
        }
        out.push_str(&text[at..]);
        (out, reps)
    }

    /// The surrogate of one span.
    pub fn surrogate(&self, original: &str, d: &Detection, scope: &str, shift: i64) -> String {
        // `1305\u{200B}58 01432` and `130558 01432` are the same identifier,
        // and so are `nittifire&#160;år` and `nittifire år`: the surrogate
        // is drawn for the text as it shows.
        let original = &*super::text::shown(original);
        let label = d.label;
        // The keyed stream of this identifier, for the labels that draw
        // from it (names, dates and ages derive theirs otherwise).
        let stream = || {
            self.stream(&[
                label.as_str().as_bytes(),
                scope.as_bytes(),
                original.to_lowercase().as_bytes(),
            ])
        };
        match label {
            Label::PersonFirst | Label::PersonLast => self.name(original, d, scope),
            Label::NationalId => self.fnr(original, shift, &mut stream()),
            Label::Phone => phone(original, &mut stream()),
            Label::Email => {
                let mut s = stream();
                let g = self.pools.any[s.below(self.pools.any.len())];
                let sn = &shipped().surnames;
                let l = &sn[s.below(sn.len())];
                let dom = EMAIL_DOMAINS[s.below(EMAIL_DOMAINS.len())];
                format!("{}.{}@{dom}", ascii_fold(g), ascii_fold(l))
            }
            Label::Url => {
                let mut s = stream();
                let mut id = String::new();
                for _ in 0..8 {
                    id.push(s.digit());
                }
                format!("https://www.eksempel.no/{id}")
            }
            Label::Address => address(original, &mut stream()),
            Label::Postcode => {
                let mut s = stream();
                let pc = &shipped().postcodes;
                let mut code = format!("{:04}", pc[s.below(pc.len())].0);
                if code == original {
                    code = format!("{:04}", pc[s.below(pc.len())].0);
                }
                code
            }
            Label::Location => {
                let t = self.draw(&shipped().post_towns, &mut stream(), |_| false);
                apply_case(original, t)
            }
            Label::CareUnit => {
                let name = self.draw(&shipped().institution_names, &mut stream(), |_| false);
                apply_case(original, name)
            }
            Label::Organisation => {
                let surname = self.draw(&shipped().surnames, &mut stream(), |_| false);
                apply_case(original, &format!("{surname} AS"))
            }
            Label::Date => match dates::parse(original) {
                Some(w) => w.render(dates::shift(w.date, shift)),
                None => Label::Date.redaction().to_string(),
            },
            Label::Age => {
                // `92 år gammel` → `90+ år gammel`, `nittiåring` →
                // `90+-åring`; younger ages are kept.
                match numwords::number_in(original) {
                    Some((at, n)) if n >= self.policy.age_bucket_from => {
                        let rest = &original[at.end..];
                        let joined = rest.starts_with(char::is_alphabetic);
                        format!(
                            "{}{}+{}{rest}",
                            &original[..at.start],
                            self.policy.age_bucket_from,
                            if joined { "-" } else { "" },
                        )
                    }
                    _ => original.to_string(),
                }
            }
            Label::OrgNumber => checked_digits(original, &mut stream(), 9, orgnr_check_digit),
            Label::AccountNumber => {
                checked_digits(original, &mut stream(), 11, account_check_digit)
            }
            Label::HprNumber | Label::RecordNumber | Label::OtherId => {
                same_shape(original, &mut stream())
            }
        }
    }

    fn name(&self, original: &str, d: &Detection, scope: &str) -> String {
        // Initials: `K.` → `T.`
        let trimmed = original.trim_end_matches('.');
        if trimmed.chars().count() == 1 {
            let mut s = self.stream(&[
                b"initial",
                scope.as_bytes(),
                trimmed.to_lowercase().as_bytes(),
            ]);
            let letters = "ABDEFGHIJKLMNOPRSTUVØ";
            let mut c = letters
                .chars()
                .nth(s.below(letters.chars().count()))
                .unwrap_or('A');
            if c.to_string() == trimmed.to_uppercase() {
                c = if c == 'T' { 'L' } else { 'T' };
            }
            let c = if case_of(trimmed) == Case::Lower {
                c.to_lowercase().to_string()
            } else {
                c.to_string()
            };
            return format!("{c}{}", &original[trimmed.len()..]);
        }
        // Initials of several letters, as initials (`LØ` → `TK`, `ESK/RB`
        // → `DAL/MO`), not a whole name.
        if is_initials_rule(&d.rule) && trimmed.chars().count() <= 9 {
            let mut s = self.stream(&[
                b"initials",
                scope.as_bytes(),
                original.to_lowercase().as_bytes(),
            ]);
            const LETTERS: [char; 21] = [
                'A', 'B', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'R',
                'S', 'T', 'U', 'V', 'Ø',
            ];
            return original
                .chars()
                .map(|o| {
                    if !o.is_alphabetic() {
                        return o.to_string();
                    }
                    let c = LETTERS[s.below(LETTERS.len())];
                    if o.is_lowercase() {
                        c.to_lowercase().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
        }
        // Split into parts on spaces and hyphens, keeping the separators.
        let mut out = String::new();
        let mut part = String::new();
        let flush = |part: &mut String, out: &mut String| {
            if !part.is_empty() {
                out.push_str(&self.name_part(part, d, scope));
                part.clear();
            }
        };
        for c in original.chars() {
            if c == ' ' || c == '-' {
                flush(&mut part, &mut out);
                out.push(c);
            } else {
                part.push(c);
            }
        }
        flush(&mut part, &mut out);
        out
    }

    fn name_part(&self, part: &str, d: &Detection, scope: &str) -> String {
        let (stem, ending) = possessive_split(part);
        let folded = stem.to_lowercase();
        let mut s = self.stream(&[
            d.label.as_str().as_bytes(),
            scope.as_bytes(),
            folded.as_bytes(),
        ]);
        // `van der Berg` → `de la Østerås`: a particle stays a particle.
        if stem == folded && is_in(NAME_PARTICLES, &folded) {
            return NAME_PARTICLES[s.below(NAME_PARTICLES.len())].to_string() + ending;
        }
        let pool: &[&str] = if d.label == Label::PersonLast {
            &self.pools.surnames
        } else {
            match d.gender {
                Gender::Male => &self.pools.male,
                Gender::Female => &self.pools.female,
                Gender::Unknown => &self.pools.any,
            }
        };
        // Not the original, nor any patient's registered name (an auditor
        // could not tell that from a leak).
        let pick = self.draw(pool, &mut s, |p| p.to_lowercase() == folded);
        let mut name = apply_case(stem, pick);
        // `Hansens` → `Lundes`; a surrogate ending in s takes only `'`.
        if !ending.is_empty() {
            if ending == "s" && name.to_lowercase().ends_with(['s', 'x', 'z']) {
                name.push('\'');
            } else {
                name.push_str(ending);
            }
        }
        name
    }

    fn fnr(&self, original: &str, shift: i64, s: &mut Stream) -> String {
        let d = digits(original);
        if d.len() != 11 {
            return same_shape(original, s);
        }
        let mut new: Vec<u8>;
        if d[0] >= 8 {
            // FH-nummer: keep the first digit, random rest with valid checks.
            loop {
                new = vec![d[0]];
                for _ in 0..8 {
                    new.push(s.below(10) as u8);
                }
                if let Some((k1, k2)) = fnr_check_digits(&new) {
                    new.extend([k1, k2]);
                    break;
                }
            }
        } else {
            let dnum = d[0] >= 4;
            let day = (d[0] % 4) as u32 * 10 + d[1] as u32;
            let month = ((d[2] * 10 + d[3]) as u32) % 40;
            let yy = (d[4] * 10 + d[5]) as i32;
            let ind = d[6] as u32 * 100 + d[7] as u32 * 10 + d[8] as u32;
            let century = match ind {
                0..=499 => 1900,
                500..=749 if yy >= 54 => 1800,
                900..=999 if yy >= 40 => 1900,
                _ => 2000,
            };
            let born = chrono::NaiveDate::from_ymd_opt(century + yy, month.max(1), day.max(1))
                .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default());
            let shifted = dates::shift(born, shift);
            let year = shifted.year();
            let range: (u32, u32) = if year >= 2000 {
                (500, 999)
            } else if year >= 1900 {
                (0, 499)
            } else {
                (500, 749)
            };
            let male = d[8] % 2 == 1;
            let nd = shifted.day() + if dnum { 40 } else { 0 };
            let nm = shifted.month() + 80;
            let ny = (year.rem_euclid(100)) as u32;
            new = Vec::new();
            for _ in 0..200 {
                let mut ind = range.0 + s.below((range.1 - range.0 + 1) as usize) as u32;
                if (ind % 2 == 1) != male {
                    ind = if ind == range.1 { ind - 1 } else { ind + 1 };
                }
                let nine = [
                    (nd / 10) as u8,
                    (nd % 10) as u8,
                    (nm / 10) as u8,
                    (nm % 10) as u8,
                    (ny / 10) as u8,
                    (ny % 10) as u8,
                    (ind / 100) as u8,
                    (ind / 10 % 10) as u8,
                    (ind % 10) as u8,
                ];
                if let Some((k1, k2)) = fnr_check_digits(&nine) {
                    new = nine.to_vec();
                    new.extend([k1, k2]);
                    break;
                }
            }
            if new.is_empty() {
                return Label::NationalId.redaction().to_string();
            }
        }
        // Write the digits into the original shape (`130558 10170`).
        let mut it = new.into_iter();
        original
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    it.next().map_or(c, |x| char::from(b'0' + x))
                } else {
                    c
                }
            })
            .collect()
    }
}

fn unreachable_hmac() -> ! {
    // HMAC accepts keys of any length; this cannot happen.
    std::process::abort()
}

/// Splits an apostrophe possessive ending off a name part (`Hans'`,
/// `Kari's`); detections already stop before a bare `s`.
fn possessive_split(part: &str) -> (&str, &str) {
    for e in ["'s", "’s", "'", "’"] {
        if let Some(stem) = part.strip_suffix(e)
            && !stem.is_empty()
        {
            return (stem, &part[stem.len()..]);
        }
    }
    (part, "")
}

fn phone(original: &str, s: &mut Stream) -> String {
    let prefix_len = if original.starts_with("+47") {
        3
    } else if original.starts_with("0047") {
        4
    } else if original.starts_with('+') {
        original
            .char_indices()
            .skip(1)
            .find(|(_, c)| !c.is_ascii_digit())
            .map_or(original.len(), |(i, _)| i)
            .min(4)
    } else {
        0
    };
    let mut out = String::from(&original[..prefix_len]);
    let mut first = true;
    for c in original[prefix_len..].chars() {
        if c.is_ascii_digit() {
            if first {
                first = false;
                let n = match c {
                    '4' | '9' => ['4', '9'][s.below(2)],
                    '2'..='7' => char::from(b'2' + s.below(6) as u8),
                    other => other,
                };
                out.push(n);
            } else {
                out.push(s.digit());
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn same_shape(original: &str, s: &mut Stream) -> String {
    // `H0201`: a flat's number keeps its letter, floor and flat from 01.
    let b = original.as_bytes();
    if b.len() == 5 && b"HUKLhukl".contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit) {
        let floor = 1 + s.below(9);
        let flat = 1 + s.below(9);
        return format!("{}0{floor}0{flat}", char::from(b[0]));
    }
    // `null tre åtte fem …`, `nittito åtti førtifem tolv`: other number
    // words of the same size (a digit or two digits), the same separators.
    if numwords::spoken_number(original) {
        let sep = |c: char| c.is_whitespace() || c == ',';
        let mut out = String::with_capacity(original.len());
        let mut rest = original;
        while !rest.is_empty() {
            let word_len = rest.find(sep).unwrap_or(rest.len());
            if word_len > 0 {
                let word = &rest[..word_len];
                let n = if numwords::value(&word.to_lowercase()).is_some_and(|v| v >= 10) {
                    10 + s.below(90) as u32
                } else {
                    s.below(10) as u32
                };
                out.push_str(&apply_case(word, &numwords::to_words(n)));
            }
            let seps = rest[word_len..]
                .find(|c: char| !sep(c))
                .map_or(rest.len(), |n| word_len + n);
            out.push_str(&rest[word_len..seps]);
            rest = &rest[seps..];
        }
        return out;
    }
    original
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                s.digit()
            } else if c.is_ascii_uppercase() {
                char::from(b'A' + s.below(26) as u8)
            } else if c.is_ascii_lowercase() {
                char::from(b'a' + s.below(26) as u8)
            } else {
                c
            }
        })
        .collect()
}

fn checked_digits(
    original: &str,
    s: &mut Stream,
    len: usize,
    check: fn(&[u8]) -> Option<u8>,
) -> String {
    if digits(original).len() != len {
        return same_shape(original, s);
    }
    for _ in 0..100 {
        let mut d: Vec<u8> = (0..len - 1).map(|_| s.below(10) as u8).collect();
        if len == 9 {
            d[0] = 8 + s.below(2) as u8;
        }
        if let Some(k) = check(&d) {
            d.push(k);
            let mut it = d.into_iter();
            return original
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        it.next().map_or(c, |x| char::from(b'0' + x))
                    } else {
                        c
                    }
                })
                .collect();
        }
    }
    same_shape(original, s)
}

/// Whether an address (in lower case) opens with the keyword of a post box
/// or a property's numbers (`postboks 700`, `gnr. 12 bnr. 34`; not `pb`, also
/// lead's symbol): then it is one in any case.
pub(super) fn keyword_address(lower: &str) -> bool {
    lower.starts_with("postboks") || cadastral(lower)
}

fn post_box(lower: &str) -> bool {
    lower.starts_with("postboks") || lower.starts_with("pb")
}

fn cadastral(lower: &str) -> bool {
    ["gnr", "g.nr", "gårdsn", "gardsn"]
        .iter()
        .any(|p| lower.starts_with(p))
}

fn address(original: &str, s: &mut Stream) -> String {
    let lower = original.to_lowercase();
    if post_box(&lower) {
        let keep: String = original
            .chars()
            .take_while(|c| !c.is_ascii_digit())
            .collect();
        let rest = &original[keep.len()..];
        return format!("{keep}{}", same_shape(rest, s));
    }
    // `gnr. 12 bnr. 34`: the same words, other numbers.
    if cadastral(&lower) {
        return original
            .chars()
            .map(|c| if c.is_ascii_digit() { s.digit() } else { c })
            .collect();
    }
    // `Lia gård`: another place's farm.
    if let Some(i) = original.rfind(' ')
        && ["gård", "gard"].contains(&original[i + 1..].trim().to_lowercase().as_str())
    {
        let towns = &shipped().post_towns;
        let town = &towns[s.below(towns.len())];
        return format!("{}{}", apply_case(&original[..i], town), &original[i..]);
    }
    let streets = &shipped().streets;
    let street = &streets[s.below(streets.len())];
    // House number and letter after the last space, if any.
    let tail = original
        .rfind(' ')
        .map(|i| &original[i..])
        .filter(|t| t.trim().starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or("");
    let mut number = String::new();
    let mut first = true;
    for c in tail.chars() {
        if c.is_ascii_digit() {
            number.push(if first {
                char::from(b'1' + s.below(9) as u8)
            } else {
                s.digit()
            });
            first = false;
        } else if c.is_ascii_alphabetic() {
            let l = char::from(b'A' + s.below(6) as u8);
            number.push(if c.is_ascii_lowercase() {
                l.to_ascii_lowercase()
            } else {
                l
            });
        } else {
            number.push(c);
        }
    }
    let head = &original[..original.len() - tail.len()];
    format!("{}{number}", apply_case(head, street))
}

/// Whether spans of rule `rule` are a person's initials (`LØ`, `TKL`,
/// `ESK/RB`): the detector's initials and the staff-initials rules.
fn is_initials_rule(rule: &str) -> bool {
    matches!(
        rule,
        "context:initial" | "rule:staff_initials" | "rule:staff_initials_signed"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deid::rules::fnr_mod11;
    use std::sync::Arc;

    fn det(label: Label, gender: Gender) -> Detection {
        Detection {
            start: 0,
            end: 0,
            label,
            rule: Arc::from("t"),
            gender,
        }
    }

    /// Initials of several letters become initials, keyed and in their
    /// case, with their slashes; a name from another rule stays a name.
    #[test]
    fn initials_become_initials() {
        let s = sur(b"0123456789abcdef0123");
        let d = |rule: &str| Detection {
            start: 0,
            end: 0,
            label: Label::PersonFirst,
            rule: Arc::from(rule),
            gender: Gender::Unknown,
        };
        for (original, rule) in [
            ("LØ", "context:initial"),
            ("ESK/RB", "rule:staff_initials_signed"),
            ("hmj", "rule:staff_initials"),
        ] {
            let got = s.surrogate(original, &d(rule), "p1", 0);
            assert_eq!(
                got.chars().count(),
                original.chars().count(),
                "{original} → {got}"
            );
            for (o, g) in original.chars().zip(got.chars()) {
                assert_eq!(o.is_alphabetic(), g.is_alphabetic(), "{original} → {got}");
                assert_eq!(o.is_lowercase(), g.is_lowercase(), "{original} → {got}");
                if !o.is_alphabetic() {
                    assert_eq!(o, g);
                }
            }
            assert_eq!(got, s.surrogate(original, &d(rule), "p1", 0));
        }
        let name = s.surrogate("KARI", &d("gazetteer:given_names"), "p1", 0);
        assert!(name.chars().count() > 1, "{name}");
    }

    fn sur(key: &[u8]) -> Surrogates {
        Surrogates::new(
            Key::new(key.to_vec()).unwrap(),
            Scope::Patient,
            Policy::default(),
        )
    }

    /// No surrogate name is a registered patient's name: the names the
    /// pools give without the register are avoided once it is known.
    #[test]
    fn surrogate_names_avoid_registered_names() {
        let originals: Vec<String> = (0..300).map(|i| format!("Navn{i}")).collect();
        let draw = |s: &Surrogates, label: Label| -> Vec<String> {
            originals
                .iter()
                .map(|o| s.surrogate(o, &det(label, Gender::Unknown), "p1", 0))
                .collect()
        };
        let plain = sur(b"0123456789abcdef0123");
        // As the register gives them: name parts, lower case.
        let parts = |n: &str| -> Vec<String> {
            n.to_lowercase()
                .split(['-', ' '])
                .map(str::to_string)
                .collect()
        };
        let mut avoid = HashSet::new();
        for label in [Label::PersonFirst, Label::PersonLast] {
            avoid.extend(draw(&plain, label).iter().flat_map(|n| parts(n)));
        }
        assert!(avoid.len() > 100, "{}", avoid.len());
        let mut careful = sur(b"0123456789abcdef0123");
        careful.avoid_names(&avoid);
        for label in [Label::PersonFirst, Label::PersonLast] {
            let names = draw(&careful, label);
            let kept: Vec<&String> = names
                .iter()
                .filter(|n| parts(n).iter().any(|p| avoid.contains(p)))
                .collect();
            assert!(kept.is_empty(), "{label:?}: {kept:?}");
            // Still consistent.
            assert_eq!(names, draw(&careful, label));
        }
        // A possessive part and outer punctuation hide nothing.
        let mut olav = sur(b"0123456789abcdef0123");
        olav.avoid_names(&HashSet::from(["olav".to_string()]));
        assert!(olav.has_registered_part("St. Olavs hospital"));
        assert!(olav.has_registered_part("(Olav)"));
        assert!(!olav.has_registered_part("Olavsgården"));
        // Units, places and organisations: no registered part either (the
        // distinctive parts of 30 draws, those in at most two pool entries,
        // are registered).
        let sh = shipped();
        for (label, pool) in [
            (Label::CareUnit, &sh.institution_names),
            (Label::Location, &sh.post_towns),
            (Label::Organisation, &sh.surnames),
        ] {
            let rare = |p: &String| {
                (1..=2).contains(&pool.iter().filter(|n| parts(n).contains(p)).count())
            };
            let first_words: HashSet<String> = draw(&plain, label)[..30]
                .iter()
                .flat_map(|n| parts(n))
                .filter(rare)
                .collect();
            assert!(first_words.len() >= 10, "{label:?}: {first_words:?}");
            let mut careful = sur(b"0123456789abcdef0123");
            careful.avoid_names(&first_words);
            let kept: Vec<String> = draw(&careful, label)
                .into_iter()
                .filter(|n| parts(n).iter().any(|p| first_words.contains(p)))
                .collect();
            assert!(kept.is_empty(), "{label:?}: {kept:?}");
        }
    }

    #[test]
    fn names_keep_gender_case_and_possessive() {
        let s = sur(b"0123456789abcdef0123");
        let female: std::collections::HashSet<&str> = shipped()
            .given
            .iter()
            .filter(|(_, g)| *g == Gender::Female)
            .map(|(n, _)| n.as_str())
            .collect();
        let a = s.surrogate("Kari", &det(Label::PersonFirst, Gender::Female), "p1", 0);
        assert!(female.contains(a.as_str()), "{a}");
        assert_ne!(a, "Kari");
        let b = s.surrogate("KARI", &det(Label::PersonFirst, Gender::Female), "p1", 0);
        assert_eq!(b, a.to_uppercase());
        let c = s.surrogate(
            "Hansen's",
            &det(Label::PersonLast, Gender::Unknown),
            "p1",
            0,
        );
        let h = s.surrogate("Hansen", &det(Label::PersonLast, Gender::Unknown), "p1", 0);
        assert!(c.starts_with(&h) && c.len() > h.len(), "{c} {h}");
        let i = s.surrogate("K.", &det(Label::PersonFirst, Gender::Unknown), "p1", 0);
        assert!(i.len() >= 2 && i.ends_with('.') && i != "K.", "{i}");
        // Consistent within a scope, different across keys.
        assert_eq!(
            a,
            s.surrogate("Kari", &det(Label::PersonFirst, Gender::Female), "p1", 0)
        );
        let other = sur(b"another key of sufficient length");
        let names: Vec<String> = ["Kari", "Ola", "Per", "Anne", "Lise"]
            .iter()
            .map(|n| other.surrogate(n, &det(Label::PersonFirst, Gender::Unknown), "p1", 0))
            .collect();
        let mine: Vec<String> = ["Kari", "Ola", "Per", "Anne", "Lise"]
            .iter()
            .map(|n| s.surrogate(n, &det(Label::PersonFirst, Gender::Unknown), "p1", 0))
            .collect();
        assert_ne!(names, mine);
    }

    /// `van der Berg`: particles become particles, the name a surname.
    #[test]
    fn family_name_particles_stay_particles() {
        let s = sur(b"0123456789abcdef0123");
        let d = det(Label::PersonLast, Gender::Unknown);
        let v = s.surrogate("van der Berg", &d, "p1", 0);
        let words: Vec<&str> = v.split(' ').collect();
        assert_eq!(words.len(), 3, "{v}");
        assert!(words[..2].iter().all(|w| is_in(NAME_PARTICLES, w)), "{v}");
        assert!(
            words[2].starts_with(char::is_uppercase) && words[2] != "Berg",
            "{v}"
        );
        assert_eq!(v, s.surrogate("van der Berg", &d, "p1", 0));
    }

    #[test]
    fn fnr_surrogate_is_synthetic_valid_and_consistent_with_the_shift() {
        let s = sur(b"0123456789abcdef0123");
        for (orig, shift) in [
            ("13055810170", 40i64),
            ("130558 10170", -200),
            ("42037510097", 3),
        ] {
            let out = s.surrogate(orig, &det(Label::NationalId, Gender::Unknown), "p1", shift);
            assert_eq!(out.len(), orig.len(), "{out}");
            let d = digits(&out);
            assert!(fnr_mod11(&d), "{out}");
            let month = (d[2] * 10 + d[3]) as u32;
            assert!(month > 80 && month <= 92, "{out}");
            assert_eq!(d[8] % 2, digits(orig)[8] % 2, "gender digit {out}");
            if orig.starts_with('4') {
                assert!(d[0] >= 4, "D-number stays a D-number: {out}");
            } else {
                let born = chrono::NaiveDate::from_ymd_opt(1958, 5, 13).unwrap();
                let want = dates::shift(born, shift);
                assert_eq!((d[0] * 10 + d[1]) as u32, want.day(), "{out}");
                assert_eq!(month - 80, want.month(), "{out}");
            }
        }
    }

    #[test]
    fn shapes_of_numbers_dates_and_ages() {
        let s = sur(b"0123456789abcdef0123");
        let p = s.surrogate(
            "+47 481 23 456",
            &det(Label::Phone, Gender::Unknown),
            "p1",
            0,
        );
        assert!(
            p.starts_with("+47 ") && p.len() == 14 && p != "+47 481 23 456",
            "{p}"
        );
        assert!(p[4..].starts_with(['4', '9']), "{p}");
        let d = s.surrogate(
            "12. mars 2021",
            &det(Label::Date, Gender::Unknown),
            "p1",
            10,
        );
        assert_eq!(d, "22. mars 2021");
        let a = s.surrogate("93", &det(Label::Age, Gender::Unknown), "p1", 0);
        assert_eq!(a, "90+");
        let a = s.surrogate("93 år gammel", &det(Label::Age, Gender::Unknown), "p1", 0);
        assert_eq!(a, "90+ år gammel");
        assert_eq!(
            s.surrogate("45", &det(Label::Age, Gender::Unknown), "p1", 0),
            "45"
        );
        // Ages in words are bucketed by their value too.
        for (age, want) in [
            ("nittien år gammel", "90+ år gammel"),
            ("Nittiåringen", "90+-åringen"),
            ("hundreogto år", "90+ år"),
            ("åttisju år", "åttisju år"),
            ("nitti tre år", "90+ år"),
            ("fem og nitti år", "90+ år"),
            // Read as it shows: the entity's digits are no age.
            ("nittifire&#160;år", "90+ år"),
        ] {
            assert_eq!(
                s.surrogate(age, &det(Label::Age, Gender::Unknown), "p1", 0),
                want
            );
        }
        // A number spoken digit by digit becomes other digit words.
        let spoken = "null tre åtte fem, fire sju";
        let o = s.surrogate(spoken, &det(Label::OtherId, Gender::Unknown), "p1", 0);
        assert!(numwords::spoken_number(&o) && o != spoken, "{o}");
        assert_eq!(o.matches(", ").count(), 1, "{o}");
        // A flat's number keeps its letter and stays one.
        let o = s.surrogate("H0201", &det(Label::OtherId, Gender::Unknown), "p1", 0);
        assert!(
            o.starts_with("H0") && o.as_bytes()[3] == b'0' && o.len() == 5,
            "{o}"
        );
        let o = s.surrogate(
            "974 760 673",
            &det(Label::OrgNumber, Gender::Unknown),
            "p1",
            0,
        );
        assert!(
            crate::deid::rules::orgnr_mod11(&digits(&o)) && o.len() == 11,
            "{o}"
        );
        let e = s.surrogate("kari@x.no", &det(Label::Email, Gender::Unknown), "p1", 0);
        assert!(e.contains('@') && e.is_ascii(), "{e}");
        let ad = s.surrogate(
            "Storgata 12B",
            &det(Label::Address, Gender::Unknown),
            "p1",
            0,
        );
        assert!(ad.ends_with(|c: char| c.is_ascii_uppercase()), "{ad}");
        // Farm and holding numbers keep their words; a farm stays a farm.
        let address = |a: &str| s.surrogate(a, &det(Label::Address, Gender::Unknown), "p1", 0);
        let g = address("Gnr. 12 Bnr. 34");
        assert!(
            g.starts_with("Gnr. ") && g.contains(" Bnr. ") && g != "Gnr. 12 Bnr. 34",
            "{g}"
        );
        let f = address("Lia gård");
        assert!(f.ends_with(" gård") && f != "Lia gård", "{f}");
        assert_ne!(s.date_shift("p1"), 0);
        assert!(s.date_shift("p1").abs() >= 30);
        assert!(s.pseudonym("patient", "p1").starts_with('P'));
    }

    #[test]
    fn key_debug_is_redacted() {
        let k = Key::new(b"super-secret-key-bytes".to_vec()).unwrap();
        assert!(!format!("{k:?}").contains("secret"));
        assert!(Key::new(b"short".to_vec()).is_none());
    }
}
