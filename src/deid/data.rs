//! The gazetteers shipped in `rules/gazetteers/` (embedded in the binary,
//! parsed once): detection lists and surrogate pools.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Grammatical gender of a given name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Unknown or both.
    Unknown,
}

const GIVEN: &str = include_str!("../../rules/gazetteers/names/given_names.tsv");
const SURNAMES: &str = include_str!("../../rules/gazetteers/names/surnames.tsv");
const NAME_TOKENS: &str = include_str!("../../rules/gazetteers/names/name_tokens_wordfreq.tsv");
const PLACES: &str = include_str!("../../rules/gazetteers/places/places_all.tsv");
const POSTCODES: &str = include_str!("../../rules/gazetteers/places/postal_codes.tsv");
const STREETS: &str = include_str!("../../rules/gazetteers/places/street_names_common.txt");
const INSTITUTIONS: &str =
    include_str!("../../rules/gazetteers/institutions/health_institutions.tsv");
const EPONYMS: &str = include_str!("../../rules/gazetteers/clinical/medical_eponyms.tsv");
const ABBREVIATIONS: &str =
    include_str!("../../rules/gazetteers/clinical/clinical_abbreviations.tsv");
const AMBIGUOUS: &str = include_str!("../../rules/gazetteers/clinical/ambiguous_name_words.tsv");

/// Rows of a TSV file without its header.
fn tsv(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::trim).collect())
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Parsed shipped gazetteers.
#[derive(Debug)]
pub struct Shipped {
    /// Given names with gender.
    pub given: Vec<(String, Gender)>,
    /// Surnames.
    pub surnames: Vec<String>,
    /// Place names.
    pub places: Vec<String>,
    /// Post towns (surrogate pool).
    pub post_towns: Vec<String>,
    /// Postcodes with their post town (category G or B: street addresses).
    pub postcodes: Vec<(u16, String)>,
    /// Street names.
    pub streets: Vec<String>,
    /// Health institutions to detect (names and aliases; no national
    /// agency but NAV).
    pub institutions: Vec<String>,
    /// Institution names only, every row (surrogate pool, kept stable).
    pub institution_names: Vec<String>,
    /// Eponym tokens (lower case).
    pub eponyms: HashSet<String>,
    /// The lower-case words after an eponym in the list's example terms
    /// (`muskeldystrofi` of `Beckers muskeldystrofi`): what eponyms name.
    pub eponym_heads: HashSet<String>,
    /// Clinical abbreviations (exact case).
    pub abbreviations: HashSet<String>,
    /// Names that are also ordinary words (lower case).
    pub wordlike: HashSet<String>,
    all_postcodes: HashSet<u16>,
}

/// The shipped gazetteers.
pub fn shipped() -> &'static Shipped {
    static DATA: OnceLock<Shipped> = OnceLock::new();
    DATA.get_or_init(|| {
        let given = tsv(GIVEN)
            .filter(|r| r.len() >= 2)
            .map(|r| {
                let g = match r[1] {
                    "M" => Gender::Male,
                    "F" => Gender::Female,
                    _ => Gender::Unknown,
                };
                (r[0].to_string(), g)
            })
            .collect();
        let surnames = tsv(SURNAMES).map(|r| r[0].to_string()).collect();
        let places = tsv(PLACES).map(|r| r[0].to_string()).collect();
        let mut post_towns = Vec::new();
        let mut postcodes = Vec::new();
        let mut all_postcodes = HashSet::new();
        for r in tsv(POSTCODES) {
            if r.len() < 6 {
                continue;
            }
            let Ok(code) = r[0].parse::<u16>() else {
                continue;
            };
            all_postcodes.insert(code);
            if matches!(r[5], "G" | "B") {
                postcodes.push((code, r[1].to_string()));
                if post_towns.last() != Some(&r[1].to_string()) {
                    post_towns.push(r[1].to_string());
                }
            }
        }
        post_towns.sort();
        post_towns.dedup();
        let streets = lines(STREETS).map(str::to_string).collect();
        let mut institutions = Vec::new();
        let mut institution_names = Vec::new();
        for r in tsv(INSTITUTIONS) {
            institution_names.push(r[0].to_string());
            // National agencies (Helsedirektoratet, Pasientreiser) say
            // nothing about where a patient is treated; NAV is named by
            // its local office (`nav nittedal`), so it stays.
            if r.get(1).is_some_and(|t| t.starts_with("national")) && r[0] != "NAV" {
                continue;
            }
            institutions.push(r[0].to_string());
            if let Some(aliases) = r.get(5) {
                for a in aliases.split('|') {
                    let a = a.trim();
                    if a.chars().count() >= 3 {
                        institutions.push(a.to_string());
                    }
                }
            }
        }
        let mut eponyms = HashSet::new();
        let mut eponym_heads = HashSet::new();
        for r in tsv(EPONYMS) {
            for part in r[0].split(['-', ' ', '/']) {
                if !part.is_empty() {
                    eponyms.insert(part.to_lowercase());
                }
            }
            for term in r.get(1).into_iter().flat_map(|t| t.split('/')) {
                for w in term.split_whitespace().skip(1) {
                    if w.chars().all(|c| c.is_lowercase()) && w.chars().count() >= 4 {
                        eponym_heads.insert(w.to_string());
                    }
                }
            }
        }
        let abbreviations = tsv(ABBREVIATIONS).map(|r| r[0].to_string()).collect();
        let mut wordlike: HashSet<String> = tsv(AMBIGUOUS).map(|r| r[0].to_lowercase()).collect();
        for r in tsv(NAME_TOKENS) {
            if let Some(excess) = r.get(6).and_then(|v| v.parse::<f64>().ok())
                && excess >= 1.5
            {
                wordlike.insert(r[0].to_lowercase());
            }
        }
        Shipped {
            given,
            surnames,
            places,
            post_towns,
            postcodes,
            streets,
            institutions,
            institution_names,
            eponyms,
            eponym_heads,
            abbreviations,
            wordlike,
            all_postcodes,
        }
    })
}

/// Whether `code` is in the postcode register.
pub fn is_postcode(code: u16) -> bool {
    shipped().all_postcodes.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_load() {
        let s = shipped();
        assert!(s.given.len() > 1500);
        assert!(
            s.given
                .iter()
                .any(|(n, g)| n == "Kari" && *g == Gender::Female)
        );
        assert!(s.surnames.iter().any(|n| n == "Hansen"));
        assert!(s.places.iter().any(|n| n == "Tromsø"));
        assert!(is_postcode(155) && !is_postcode(0));
        assert!(s.wordlike.contains("liv") && s.wordlike.contains("berg"));
        assert!(s.eponyms.contains("bechterew"));
        assert!(s.abbreviations.contains("CRP"));
        assert!(!s.post_towns.is_empty() && !s.institution_names.is_empty());
    }
}
