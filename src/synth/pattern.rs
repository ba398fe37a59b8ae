//! The sentence-pattern language of `rules/synth/patterns/*.txt`.
//!
//! A file is a list of pools. `[name]` starts a pool; every following
//! non-empty, non-`#` line is one pattern of it. Inside a pattern:
//!
//! - `{slot}` fills in a generated value (`{pt_full}`, `{date}`, `{drug}`…;
//!   see [`Slot`]); PHI slots record gold spans.
//! - `{@pool}` expands a random pattern of another pool.
//! - `{a|b|c}` picks one alternative; alternatives may hold slots and
//!   nested groups; `{|x}` makes `x` optional.
//! - `[[kind:text]]` writes `text` as a hard negative of `kind` (an
//!   eponym, a name-like word…): not PHI, listed in `negatives.jsonl`.
//!
//! Everything else is literal text.

use std::collections::HashMap;

use super::config::Split;
use super::resources::in_split;

/// Kinds of hard negatives a pattern may mark.
pub const NEGATIVE_KINDS: [&str; 8] = [
    "eponym",
    "name_word",
    "place_word",
    "lab_abbreviation",
    "abbreviation",
    "dosage_schedule",
    "public_organisation",
    "weekday",
];

macro_rules! slots {
    ($($variant:ident = $name:literal : $doc:literal,)*) => {
        /// A generated value in a pattern.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Slot {
            $(#[doc = $doc] $variant,)*
        }

        impl Slot {
            /// Every slot.
            pub const ALL: &'static [Slot] = &[$(Slot::$variant,)*];

            /// The slot named `name` in a pattern.
            pub fn from_name(name: &str) -> Option<Slot> {
                match name {
                    $($name => Some(Slot::$variant),)*
                    _ => None,
                }
            }

            /// The name used in patterns.
            pub fn name(self) -> &'static str {
                match self {
                    $(Slot::$variant => $name,)*
                }
            }
        }
    };
}

slots! {
    Pt = "pt": "The patient's name in a random surface form.",
    PtFull = "pt_full": "The patient's full name.",
    PtFirst = "pt_first": "The patient's given name(s).",
    PtLast = "pt_last": "The patient's surname.",
    PtPoss = "pt_poss": "The patient's name in the genitive (`Hansens`).",
    PtFormal = "pt_formal": "fru/hr. and the surname.",
    Rel = "rel": "A relative's name in a random form.",
    RelFull = "rel_full": "A relative's full name.",
    RelFirst = "rel_first": "A relative's given name.",
    RelWord = "rel_word": "The relation of that relative (kone, sønn…); not PHI.",
    Clin = "clin": "A clinician with or without title, in a random form.",
    ClinFull = "clin_full": "A clinician's full name.",
    Author = "author": "The note's author, full name.",
    AuthorRole = "author_role": "The author's role (overlege…); not PHI.",
    Fnr = "fnr": "The patient's fødselsnummer or D-number.",
    Hpr = "hpr": "The author's HPR number.",
    HprOther = "hpr_other": "Another HPR number.",
    OrgNr = "orgnr": "An organisation number.",
    Account = "account": "A bank account number.",
    Record = "record": "The patient's record number.",
    OtherId = "other_id": "A sample, requisition or case number.",
    Phone = "phone": "The patient's phone.",
    RelPhone = "rel_phone": "The relative's phone.",
    UnitPhone = "unit_phone": "A ward's or office's phone.",
    Email = "email": "The patient's e-mail.",
    ClinEmail = "clin_email": "A clinician's e-mail.",
    Url = "url": "A personal web address.",
    Address = "address": "The patient's street, postcode and place.",
    Street = "street": "The patient's street and number.",
    PostPlace = "post_place": "The patient's postcode and town.",
    Place = "place": "Any place.",
    PtPlace = "pt_place": "The patient's home town.",
    Hospital = "hospital": "A hospital or clinic.",
    ThisHospital = "this_hospital": "The hospital writing the note.",
    Ward = "ward": "A ward or department (lower-case inside a sentence).",
    ThisWard = "this_ward": "The ward writing the note.",
    GpOffice = "gp_office": "A GP office.",
    NursingHome = "nursing_home": "A nursing home or home-care unit.",
    Org = "org": "The patient's employer or school.",
    Nav = "nav": "A local NAV office.",
    Date = "date": "A past date, any format.",
    DateNum = "date_num": "A past date, numeric format.",
    DateLong = "date_long": "A past date as `12. mars 2021`.",
    MonthYear = "month_year": "A past month and year.",
    Year = "year": "A past year.",
    Today = "today": "The note's date.",
    Admitted = "admitted": "The admission date.",
    Discharged = "discharged": "The discharge date.",
    Future = "future": "A future date (control, appointment).",
    Birth = "birth": "The patient's birth date.",
    Age = "age": "`54 år`.",
    AgeGml = "age_gml": "`54 år gammel`.",
    AgeArig = "age_arig": "`54-årig`.",
    AgeDecade = "age_decade": "`70-årene`.",
    Diag = "diag": "A diagnosis with its ICD-10 code.",
    DiagText = "diag_text": "A diagnosis without code.",
    Drug = "drug": "A drug with dose and schedule.",
    DrugName = "drug_name": "A drug name.",
    Lab = "lab": "A lab result (abbreviation marked as a negative).",
    Vitals = "vitals": "BT, puls, temperature, SpO2.",
    Num = "num": "A small number.",
    Time = "time": "A time of day.",
    DoseSched = "dose_sched": "A dosage schedule (date-like, not PHI).",
    Eponym = "eponym": "An eponymous disease (not PHI).",
    Procedure = "procedure": "A procedure with its NCSP code.",
    Han = "han": "han/hun (nno han/ho).",
    HanCap = "Han": "Han/Hun (nno Han/Ho).",
    Ham = "ham": "ham/henne (nno han/henne).",
    Hans = "hans": "hans/hennes (nno hans/hennar).",
    Kvinne = "kvinne": "mann/kvinne.",
    KvinneCap = "Kvinne": "Mann/Kvinne.",
}

/// One element of a parsed pattern.
#[derive(Clone, Debug)]
pub enum Node {
    /// Literal text.
    Lit(Box<str>),
    /// A generated value.
    Slot(Slot),
    /// A random pattern of another pool (index into the set).
    Pool(u16),
    /// One of several alternatives.
    Alt(Vec<Vec<Node>>),
    /// A hard negative.
    Neg(&'static str, Box<str>),
}

/// A named list of patterns.
#[derive(Debug)]
pub struct Pool {
    /// Its name.
    pub name: String,
    /// Its patterns (for the chosen split).
    pub patterns: Vec<Vec<Node>>,
}

/// All pools of one pattern file.
#[derive(Debug)]
pub struct PatternSet {
    /// The pools.
    pub pools: Vec<Pool>,
    index: HashMap<String, u16>,
}

/// A malformed pattern file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PatternError {
    /// File.
    pub file: &'static str,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    index: &'a HashMap<String, u16>,
}

impl Parser<'_> {
    /// Parses until `}` or `|` (inside a group) or the end.
    fn seq(&mut self, in_group: bool) -> Result<Vec<Node>, String> {
        let mut out = Vec::new();
        let mut lit = String::new();
        while self.pos < self.chars.len() {
            let c = self.chars[self.pos];
            if in_group && (c == '|' || c == '}') {
                break;
            }
            if c == '{' {
                if !lit.is_empty() {
                    out.push(Node::Lit(std::mem::take(&mut lit).into()));
                }
                self.pos += 1;
                out.push(self.group()?);
                continue;
            }
            if c == '[' && self.chars.get(self.pos + 1) == Some(&'[') {
                if !lit.is_empty() {
                    out.push(Node::Lit(std::mem::take(&mut lit).into()));
                }
                self.pos += 2;
                out.push(self.negative()?);
                continue;
            }
            if c == '}' {
                return Err("unbalanced `}`".into());
            }
            lit.push(c);
            self.pos += 1;
        }
        if !lit.is_empty() {
            out.push(Node::Lit(lit.into()));
        }
        Ok(out)
    }

    fn group(&mut self) -> Result<Node, String> {
        let start = self.pos;
        let mut alts = vec![self.seq(true)?];
        loop {
            match self.chars.get(self.pos) {
                Some('|') => {
                    self.pos += 1;
                    alts.push(self.seq(true)?);
                }
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(format!("unclosed `{{` at column {}", start)),
            }
        }
        if alts.len() == 1 {
            let inner: String = self.chars[start..self.pos - 1].iter().collect();
            if let Some(pool) = inner.strip_prefix('@') {
                return self
                    .index
                    .get(pool)
                    .map(|i| Node::Pool(*i))
                    .ok_or_else(|| format!("unknown pool `{pool}`"));
            }
            return Slot::from_name(&inner)
                .map(Node::Slot)
                .ok_or_else(|| format!("unknown slot `{{{inner}}}`"));
        }
        Ok(Node::Alt(alts))
    }

    fn negative(&mut self) -> Result<Node, String> {
        let rest: String = self.chars[self.pos..].iter().collect();
        let end = rest.find("]]").ok_or("unclosed `[[`")?;
        let body = &rest[..end];
        let (kind, text) = body.split_once(':').ok_or("expected `[[kind:text]]`")?;
        let kind = NEGATIVE_KINDS
            .iter()
            .find(|k| **k == kind)
            .ok_or_else(|| format!("unknown negative kind `{kind}`"))?;
        self.pos += body.chars().count() + 2;
        Ok(Node::Neg(kind, text.into()))
    }
}

/// The slots a pattern can fill (in any alternative).
fn slots_of(nodes: &[Node], out: &mut Vec<&'static str>) {
    for n in nodes {
        match n {
            Node::Slot(s) => out.push(s.name()),
            Node::Alt(alts) => alts.iter().for_each(|a| slots_of(a, out)),
            _ => {}
        }
    }
}

/// Keeps the patterns of `split`: one in five (by a stable hash of the
/// pattern text) is held out. Pools of fewer than four patterns are kept
/// whole, and a pattern is shared by both splits when it is the only one of
/// its pool to fill some slot there, so that every split can produce every
/// identifier a pool can.
fn split_patterns(parsed: Vec<(&str, Vec<Node>)>, split: Split) -> Vec<Vec<Node>> {
    if parsed.len() < 4 {
        return parsed.into_iter().map(|p| p.1).collect();
    }
    let held: Vec<bool> = parsed
        .iter()
        .map(|(text, _)| in_split(text, Split::Heldout))
        .collect();
    if held.iter().all(|h| *h) || !held.iter().any(|h| *h) {
        return parsed.into_iter().map(|p| p.1).collect();
    }
    let mut keep: Vec<bool> = held
        .iter()
        .map(|h| *h == (split == Split::Heldout))
        .collect();
    let slot_sets: Vec<Vec<&'static str>> = parsed
        .iter()
        .map(|(_, nodes)| {
            let mut v = Vec::new();
            slots_of(nodes, &mut v);
            v
        })
        .collect();
    for (i, slots) in slot_sets.iter().enumerate() {
        for slot in slots {
            let covered = slot_sets
                .iter()
                .zip(&keep)
                .any(|(set, k)| *k && set.contains(slot));
            if !covered {
                keep[i] = true;
            }
        }
    }
    parsed
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| p.1)
        .collect()
}

impl PatternSet {
    /// Parses a pattern file and keeps the patterns of `split` (see
    /// [`split_patterns`]).
    pub fn parse(file: &'static str, src: &str, split: Split) -> Result<PatternSet, PatternError> {
        let mut index = HashMap::new();
        let mut names = Vec::new();
        for line in src.lines() {
            let t = line.trim();
            if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']'))
                && !t.starts_with("[[")
            {
                index.insert(name.to_string(), names.len() as u16);
                names.push(name.to_string());
            }
        }
        let mut raw: Vec<Vec<(usize, &str)>> = vec![Vec::new(); names.len()];
        let mut current: Option<usize> = None;
        for (i, line) in src.lines().enumerate() {
            let t = line.trim_end();
            if t.trim().is_empty() || t.trim_start().starts_with('#') {
                continue;
            }
            let tt = t.trim();
            if tt.starts_with('[') && !tt.starts_with("[[") && tt.ends_with(']') {
                current = tt[1..tt.len() - 1]
                    .parse::<String>()
                    .ok()
                    .and_then(|n| index.get(&n).map(|x| *x as usize));
                continue;
            }
            match current {
                Some(p) => raw[p].push((i + 1, tt)),
                None => {
                    return Err(PatternError {
                        file,
                        line: i + 1,
                        message: "pattern before the first `[pool]`".into(),
                    });
                }
            }
        }
        let mut pools = Vec::with_capacity(names.len());
        for (name, lines) in names.into_iter().zip(raw) {
            if lines.is_empty() {
                return Err(PatternError {
                    file,
                    line: 0,
                    message: format!("pool `{name}` has no patterns"),
                });
            }
            let mut parsed = Vec::with_capacity(lines.len());
            for (line, text) in &lines {
                let mut p = Parser {
                    chars: text.chars().collect(),
                    pos: 0,
                    index: &index,
                };
                let nodes = p.seq(false).map_err(|message| PatternError {
                    file,
                    line: *line,
                    message,
                })?;
                parsed.push((*text, nodes));
            }
            let patterns = split_patterns(parsed, split);
            pools.push(Pool { name, patterns });
        }
        let set = PatternSet { pools, index };
        for required in super::compose::REQUIRED_POOLS {
            if set.pool(required).is_none() {
                return Err(PatternError {
                    file,
                    line: 0,
                    message: format!("missing pool `[{required}]`"),
                });
            }
        }
        Ok(set)
    }

    /// The index of pool `name`.
    pub fn pool(&self, name: &str) -> Option<u16> {
        self.index.get(name).copied()
    }

    /// Errors unless `other` defines a pool for every pool here and back.
    pub fn same_pools_as(&self, other: &PatternSet) -> Result<(), PatternError> {
        for p in &self.pools {
            if other.pool(&p.name).is_none() {
                return Err(PatternError {
                    file: "rules/synth/patterns/nno.txt",
                    line: 0,
                    message: format!("missing pool `[{}]` (defined for bokmål)", p.name),
                });
            }
        }
        for p in &other.pools {
            if self.pool(&p.name).is_none() {
                return Err(PatternError {
                    file: "rules/synth/patterns/nob.txt",
                    line: 0,
                    message: format!("missing pool `[{}]` (defined for nynorsk)", p.name),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<PatternSet, PatternError> {
        let mut full = String::new();
        for p in super::super::compose::REQUIRED_POOLS {
            full.push_str(&format!("[{p}]\nx\n"));
        }
        full.push_str(src);
        PatternSet::parse("test", &full, Split::Train)
    }

    #[test]
    fn parses_slots_groups_pools_and_negatives() {
        let set = parse(
            "[a]\n{Han} har {{|kjent }[[eponym:Crohns]] sykdom|{@b}} ({date}).\n[b]\nfrisk\n",
        )
        .expect("parse");
        let a = &set.pools[set.pool("a").expect("a") as usize].patterns[0];
        assert!(matches!(a[0], Node::Slot(Slot::HanCap)));
        assert!(matches!(a[2], Node::Alt(ref alts) if alts.len() == 2));
        assert!(matches!(a[4], Node::Slot(Slot::Date)));
    }

    #[test]
    fn unknown_slot_names_file_and_line() {
        let err = parse("[a]\nok\n{nope}\n").expect_err("must fail");
        assert!(err.message.contains("nope"));
        assert!(err.line > 0);
    }

    #[test]
    fn unknown_pool_and_unbalanced_braces_fail() {
        assert!(parse("[a]\n{@zzz}\n").is_err());
        assert!(parse("[a]\n{a|b\n").is_err());
        assert!(parse("[a]\n[[bogus:x]]\n").is_err());
    }
}
