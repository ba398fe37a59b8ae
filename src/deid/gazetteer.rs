//! Gazetteers: given names (with gender), surnames, places, streets and
//! health institutions, matched in one aho-corasick pass (leftmost-longest,
//! whole words, on case-folded text; case is judged afterwards on the
//! original so that lower-case and ALL-CAPS notes still match).

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

use super::data::{Gender, shipped};
use super::text::fold_case;

/// Entry kinds (bit flags).
pub mod kind {
    /// A given name.
    pub const GIVEN: u16 = 1;
    /// A surname.
    pub const SURNAME: u16 = 2;
    /// A place.
    pub const PLACE: u16 = 4;
    /// A street.
    pub const STREET: u16 = 8;
    /// A health institution.
    pub const INSTITUTION: u16 = 16;
    /// Also an ordinary word (Liv, Berg, Time): needs context.
    pub const WEAK: u16 = 32;
    /// Also a medical eponym (Hansen, Gram).
    pub const EPONYM: u16 = 64;
}

/// What a gazetteer entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// [`kind`] flags.
    pub flags: u16,
    /// Gender, for given names.
    pub gender: Gender,
    /// Whether the entry has more than one word.
    pub multiword: bool,
}

impl Entry {
    /// Whether any of `flags` is set.
    pub fn is(&self, flags: u16) -> bool {
        self.flags & flags != 0
    }
}

/// A gazetteer match (byte offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GazHit {
    /// Start byte.
    pub start: usize,
    /// End byte of the entry itself.
    pub end: usize,
    /// End byte including a possessive ending (`Hansens`, `Hans'`).
    pub poss_end: usize,
    /// The entry.
    pub entry: Entry,
}

/// Lists users add on top of the shipped ones (one entry per line; given
/// names may carry a gender after a tab: `Kari\tF`).
#[derive(Clone, Debug, Default)]
pub struct ExtraLists {
    /// Given names.
    pub given_names: Vec<String>,
    /// Surnames.
    pub surnames: Vec<String>,
    /// Places.
    pub places: Vec<String>,
    /// Streets.
    pub streets: Vec<String>,
    /// Institutions, wards, clinics.
    pub institutions: Vec<String>,
    /// Words never to tag (unless the patient register names them).
    pub allow: Vec<String>,
}

/// The compiled gazetteer.
#[derive(Debug)]
pub struct Gazetteer {
    ac: AhoCorasick,
    entries: Vec<Entry>,
    by_word: HashMap<String, usize>,
}

/// Common Norwegian words (and clinical words) that appear capitalised at
/// the start of sentences and must never become names or places by shape
/// or list alone.
pub const STOPWORDS: &[&str] = &[
    "a",
    "alle",
    "alt",
    "andre",
    "at",
    "av",
    "bare",
    "blir",
    "bor",
    "da",
    "dag",
    "de",
    "dei",
    "den",
    "denne",
    "der",
    "det",
    "dette",
    "du",
    "eg",
    "ei",
    "eit",
    "eller",
    "en",
    "er",
    "et",
    "etter",
    "for",
    "fra",
    "frå",
    "fikk",
    "går",
    "ha",
    "han",
    "har",
    "hadde",
    "hennes",
    "her",
    "hun",
    "ho",
    "hos",
    "hva",
    "hvis",
    "i",
    "ikke",
    "ikkje",
    "inn",
    "ingen",
    "jeg",
    "kan",
    "kl",
    "kom",
    "man",
    "med",
    "mellom",
    "men",
    "mot",
    "må",
    "ned",
    "nei",
    "noe",
    "nå",
    "når",
    "og",
    "også",
    "om",
    "opp",
    "oss",
    "over",
    "pas",
    "pasient",
    "pasienten",
    "per",
    "på",
    "sa",
    "seg",
    "selv",
    "sin",
    "sine",
    "skal",
    "som",
    "spl",
    "så",
    "til",
    "tid",
    "time",
    "under",
    "ut",
    "uten",
    "var",
    "ved",
    "vi",
    "vil",
    "ja",
    "kontroll",
    "status",
    "plan",
    "vurdering",
    "konklusjon",
    "diagnose",
    "diagnoser",
    "funn",
    "lab",
    "blodprøver",
    "medikamenter",
    "medisiner",
    "tidligere",
    "innlagt",
    "utskrevet",
    "innleggelse",
    "henvisning",
    "epikrise",
    "anamnese",
    "sykehistorie",
    "undersøkelse",
    "behandling",
    "tiltak",
    "info",
    "informasjon",
    "samtale",
    "notat",
    "journal",
    "sign",
    "signert",
    "lege",
    "overlege",
    "sykepleier",
    "mor",
    "far",
    "bror",
    "søster",
    "sønn",
    "datter",
    "mann",
    "kone",
    "samboer",
    "ektefelle",
    "fastlege",
    "pårørende",
    "dr",
    "fru",
    "hr",
    "herr",
    "frk",
    "avdeling",
    "post",
    "sykehus",
    "sykehuset",
    "legevakt",
    "legevakten",
    "klinikk",
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
    "mandag",
    "tirsdag",
    "onsdag",
    "torsdag",
    "fredag",
    "lørdag",
    "søndag",
    "god",
    "godt",
    "stabil",
    "normal",
    "normalt",
    "frisk",
    "tar",
    "får",
    "gis",
    "gitt",
    "ble",
    "blei",
    "vært",
    "være",
    "hadde",
    "hatt",
    "fått",
    "se",
    "sett",
    "ses",
    "sees",
    "vil",
    "kunne",
    "skulle",
    "ville",
    "ny",
    "nye",
    "nytt",
    "neste",
    "forrige",
    "siste",
    "første",
    "ellers",
    "videre",
    "deretter",
    "derfor",
    "dessuten",
    "samt",
    "både",
    "mye",
    "lite",
    "litt",
    "noen",
    "mange",
    "flere",
    "hver",
    "hele",
    "hel",
    "sterk",
    "svak",
    "stor",
    "store",
    "liten",
    "høy",
    "lav",
    "rask",
    "sakte",
    "venstre",
    "høyre",
    "hø",
    "ve",
    "bilateralt",
    "akutt",
    "kronisk",
    "smerter",
    "smerte",
    "feber",
    "hoste",
    "kvalme",
    "oppkast",
    "svimmel",
    "trøtt",
    "sliten",
    "ro",
    "sol",
    "vind",
    "land",
    "by",
    "bygd",
    "hjem",
    "hjemme",
    "heim",
    "heime",
    "nord",
    "sør",
    "øst",
    "vest",
    "mellom",
    "midt",
    "sentrum",
    "helse",
    "hjerte",
    "lunge",
    "nyre",
    "lever",
    "mage",
    "tarm",
    "hode",
    "hals",
    "bryst",
    "rygg",
    "arm",
    "bein",
    "fot",
    "hånd",
    "kne",
    "hofte",
    "skulder",
    "øye",
    "øre",
    "nese",
    "munn",
    "tann",
    "hud",
    "blod",
    "sår",
    "ben",
    "lege",
    "eldre",
    "yngre",
    "voksen",
    "barn",
    "gutt",
    "jente",
    "kvinne",
    "dame",
    "herre",
    "pike",
    "ungdom",
    "familie",
    "venn",
    "nabo",
    "arbeid",
    "jobb",
    "skole",
    "fri",
    "ferie",
    "helg",
    "uke",
    "måned",
    "år",
    "døgn",
    "natt",
    "kveld",
    "morgen",
    "formiddag",
    "ettermiddag",
    "ok",
    "obs",
    "evt",
    "ca",
    "nb",
    "rp",
    "dg",
    "us",
    "sov",
    "spiste",
    "drakk",
    "gikk",
    "sa",
    "sier",
    "forteller",
    "fortalte",
    "ringte",
    "ringer",
    "ønsker",
    "ønsket",
    "tok",
    "ligger",
    "lå",
    "sitter",
    "satt",
    "står",
    "sto",
    "trenger",
    "klager",
    "mener",
    "tror",
    "vet",
    "visste",
    "føler",
    "følte",
    "virker",
    "virket",
    "fikk",
    "mottok",
    "kommer",
    "reiser",
    "reiste",
    "besøker",
    "besøkte",
    "hjelper",
    "hjalp",
    "snakket",
    "snakker",
    "bør",
    "hos",
    "uten",
    "før",
    "mens",
    "fordi",
    "siden",
    "sidan",
    "også",
    "òg",
    "vart",
    "fekk",
    "seier",
    "fortel",
    "kjem",
    "ligg",
    "sit",
    "treng",
    "meiner",
    "trur",
    "veit",
    "kjenner",
    "kjende",
    "verkar",
    "hatt",
    "vore",
    "kontakt",
    "kontaktet",
    "kontakta",
    "informert",
    "orientert",
    "enig",
    "einig",
    "fornøyd",
    "bekymret",
    "urolig",
    "rolig",
    "glad",
    "lei",
    "trist",
    "redd",
    "syk",
    "sjuk",
    "dårlig",
    "dårleg",
    "bedre",
    "betre",
    "verre",
    "uendret",
    "innkomstjournal",
    "innkomstnotat",
    "utskrivingsepikrise",
    "utskrivningsepikrise",
    "epikrisen",
    "henvist",
    "overført",
    "overflyttet",
    "innlagd",
    "utskriven",
    "konsultasjon",
    "poliklinisk",
    "sykepleienotat",
    "sjukepleienotat",
    "dagrapport",
    "rapport",
    "kopi",
    "gjelder",
    "gjeld",
    "vedrørende",
    "ang",
    "angående",
];

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

impl Gazetteer {
    /// Builds the gazetteer from the shipped lists plus `extra`.
    pub fn build(extra: &ExtraLists) -> Result<Gazetteer, aho_corasick::BuildError> {
        let s = shipped();
        let stop: HashSet<&str> = STOPWORDS.iter().copied().collect();
        let allow: HashSet<String> = extra.allow.iter().map(|w| fold_case(w.trim())).collect();
        let mut map: HashMap<String, Entry> = HashMap::new();
        let mut add = |name: &str, flags: u16, gender: Gender| {
            let key = fold_case(name.trim());
            if key.chars().count() < 2 || allow.contains(&key) {
                return;
            }
            let e = map.entry(key.clone()).or_insert(Entry {
                flags: 0,
                gender,
                multiword: key.contains(' '),
            });
            if flags & kind::GIVEN != 0 {
                e.gender = match (e.flags & kind::GIVEN != 0, e.gender, gender) {
                    (false, _, g) => g,
                    (true, a, b) if a == b => a,
                    _ => Gender::Unknown,
                };
            }
            e.flags |= flags;
        };
        for (n, g) in &s.given {
            add(n, kind::GIVEN, *g);
        }
        for n in &s.surnames {
            add(n, kind::SURNAME, Gender::Unknown);
        }
        for n in &s.places {
            add(n, kind::PLACE, Gender::Unknown);
        }
        for n in &s.streets {
            add(n, kind::STREET, Gender::Unknown);
        }
        for n in &s.institutions {
            add(n, kind::INSTITUTION, Gender::Unknown);
        }
        for line in &extra.given_names {
            let (n, g) = match line.split_once('\t') {
                Some((n, g)) => (
                    n,
                    match g.trim() {
                        "M" | "m" => Gender::Male,
                        "F" | "f" | "K" | "k" => Gender::Female,
                        _ => Gender::Unknown,
                    },
                ),
                None => (line.as_str(), Gender::Unknown),
            };
            add(n, kind::GIVEN, g);
        }
        for n in &extra.surnames {
            add(n, kind::SURNAME, Gender::Unknown);
        }
        for n in &extra.places {
            add(n, kind::PLACE, Gender::Unknown);
        }
        for n in &extra.streets {
            add(n, kind::STREET, Gender::Unknown);
        }
        for n in &extra.institutions {
            add(n, kind::INSTITUTION, Gender::Unknown);
        }
        let mut keys: Vec<(String, Entry)> = map.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, e) in &mut keys {
            let short = k.chars().count() <= 3;
            let places_only = e.flags & (kind::GIVEN | kind::SURNAME) == 0;
            if s.wordlike.contains(k.as_str())
                || stop.contains(k.as_str())
                || (short && (places_only || e.flags & kind::PLACE != 0))
            {
                e.flags |= kind::WEAK;
            }
            if s.eponyms.contains(k.as_str()) {
                e.flags |= kind::EPONYM;
            }
        }
        let patterns: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)?;
        let by_word = keys
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (k.clone(), i))
            .collect();
        Ok(Gazetteer {
            ac,
            entries: keys.into_iter().map(|(_, e)| e).collect(),
            by_word,
        })
    }

    /// Looks up one case-folded word.
    pub fn lookup(&self, folded: &str) -> Option<Entry> {
        self.by_word.get(folded).map(|&i| self.entries[i])
    }

    /// Finds every whole-word entry in `lower` (the case-folded note).
    pub fn find(&self, lower: &str, out: &mut Vec<GazHit>) {
        let mut pos = 0;
        while pos < lower.len() {
            let Some(m) = self.ac.find(Input::new(lower).span(pos..lower.len())) else {
                break;
            };
            let (start, end) = (m.start(), m.end());
            let before = lower[..start].chars().next_back();
            let after_str = &lower[end..];
            let mut after = after_str.chars();
            let next = after.next();
            if is_word_char(before) {
                // Inside a word: skip to the end of that word.
                pos = lower[start..]
                    .char_indices()
                    .find(|(_, c)| !c.is_alphanumeric())
                    .map_or(lower.len(), |(i, _)| start + i);
                continue;
            }
            let poss_end = if !is_word_char(next) {
                if next == Some('\'') || next == Some('’') {
                    let after_quote = &after_str[next.map_or(0, char::len_utf8)..];
                    if after_quote.starts_with('s')
                        && !is_word_char(after_quote[1..].chars().next())
                    {
                        end + next.map_or(0, char::len_utf8) + 1
                    } else {
                        end
                    }
                } else {
                    end
                }
            } else if next == Some('s') && !is_word_char(after.next()) {
                end + 1
            } else {
                // The entry is the start of a longer word.
                pos = lower[start..]
                    .char_indices()
                    .find(|(_, c)| !c.is_alphanumeric())
                    .map_or(lower.len(), |(i, _)| start + i);
                continue;
            };
            out.push(GazHit {
                start,
                end,
                poss_end,
                entry: self.entries[m.pattern().as_usize()],
            });
            pos = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(g: &Gazetteer, t: &str) -> Vec<String> {
        let lower = fold_case(t);
        let mut out = Vec::new();
        g.find(&lower, &mut out);
        out.iter()
            .map(|h| t[h.start..h.poss_end].to_string())
            .collect()
    }

    #[test]
    fn whole_words_possessives_and_case_folding() {
        let g = Gazetteer::build(&ExtraLists::default()).unwrap();
        let h = hits(&g, "Kari Hansens bil sto i TROMSØ, ikke i Hansenbyen.");
        assert!(h.contains(&"Kari".to_string()), "{h:?}");
        assert!(h.contains(&"Hansens".to_string()), "{h:?}");
        assert!(h.contains(&"TROMSØ".to_string()), "{h:?}");
        assert!(!h.iter().any(|x| x.starts_with("Hansenb")), "{h:?}");
        let kari = g.lookup("kari").unwrap();
        assert!(kari.is(kind::GIVEN) && kari.gender == Gender::Female);
        assert!(g.lookup("liv").unwrap().is(kind::WEAK));
        assert!(!g.lookup("hansen").unwrap().is(kind::WEAK));
    }

    #[test]
    fn extra_lists_and_allow_words() {
        let extra = ExtraLists {
            surnames: vec!["Zyxwvut".into()],
            allow: vec!["Kari".into()],
            ..Default::default()
        };
        let g = Gazetteer::build(&extra).unwrap();
        assert!(g.lookup("zyxwvut").is_some());
        assert!(g.lookup("kari").is_none());
    }
}
