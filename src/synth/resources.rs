//! Everything the generator draws from, loaded once: the shared gazetteers
//! in `rules/gazetteers/` and the sentence patterns and clinical vocabulary
//! in `rules/synth/`, each split deterministically into a train and a
//! held-out part.

use xxhash_rust::xxh3::xxh3_64;

use super::config::Split;
use super::pattern::{PatternError, PatternSet};

const GIVEN: &str = include_str!("../../rules/gazetteers/names/given_names.tsv");
const SURNAMES: &str = include_str!("../../rules/gazetteers/names/surnames.tsv");
const STREETS: &str = include_str!("../../rules/gazetteers/places/street_names_common.txt");
const POSTCODES: &str = include_str!("../../rules/gazetteers/places/postal_codes.tsv");
const PLACES: &str = include_str!("../../rules/gazetteers/places/places_all.tsv");
const INSTITUTIONS: &str =
    include_str!("../../rules/gazetteers/institutions/health_institutions.tsv");
const EPONYMS: &str = include_str!("../../rules/gazetteers/clinical/medical_eponyms.tsv");
const FOREIGN_GIVEN: &str = include_str!("../../rules/synth/names/foreign_given.tsv");
const FOREIGN_SURNAMES: &str = include_str!("../../rules/synth/names/foreign_surnames.txt");
const EMPLOYERS: &str = include_str!("../../rules/synth/vocab/employers.txt");
const WARDS: &str = include_str!("../../rules/synth/vocab/wards.tsv");
const DIAGNOSES: &str = include_str!("../../rules/synth/vocab/diagnoses.tsv");
const DRUGS: &str = include_str!("../../rules/synth/vocab/drugs.tsv");
const LABS: &str = include_str!("../../rules/synth/vocab/labs.tsv");
const PROCEDURES: &str = include_str!("../../rules/synth/vocab/procedures.tsv");
const PATTERNS_NOB: &str = include_str!("../../rules/synth/patterns/nob.txt");
const PATTERNS_NNO: &str = include_str!("../../rules/synth/patterns/nno.txt");

/// Whether `key` belongs to `split`: one entry in five (by a stable hash of
/// the entry) is held out.
pub(crate) fn in_split(key: &str, split: Split) -> bool {
    let heldout = xxh3_64(key.as_bytes()).is_multiple_of(5);
    heldout == (split == Split::Heldout)
}

/// Keeps the items of `split`; keeps all when either side would be empty.
pub(crate) fn split_items<T>(items: Vec<T>, split: Split, key: impl Fn(&T) -> &str) -> Vec<T> {
    let n_held = items
        .iter()
        .filter(|x| in_split(key(x), Split::Heldout))
        .count();
    if n_held == 0 || n_held == items.len() {
        return items;
    }
    items
        .into_iter()
        .filter(|x| in_split(key(x), split))
        .collect()
}

/// A list with cumulative weights for weighted draws.
#[derive(Debug, Default)]
pub struct Weighted {
    /// The entries.
    pub items: Vec<String>,
    cumulative: Vec<f64>,
}

impl Weighted {
    fn new(mut entries: Vec<(String, f64)>, split: Split) -> Weighted {
        entries = split_items(entries, split, |e| e.0.as_str());
        let mut total = 0.0;
        let mut items = Vec::with_capacity(entries.len());
        let mut cumulative = Vec::with_capacity(entries.len());
        for (name, w) in entries {
            total += w.max(1e-6);
            items.push(name);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    /// A weighted random entry.
    pub fn draw(&self, rng: &mut super::rng::Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = ((rng.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) * total;
        let i = self.cumulative.partition_point(|c| *c <= x);
        &self.items[i.min(self.items.len().saturating_sub(1))]
    }
}

/// A diagnosis with its ICD-10 code, or a procedure with its NCSP code.
#[derive(Debug)]
pub struct Diagnosis {
    /// ICD-10 or NCSP code.
    pub code: String,
    /// Bokmål text.
    pub nob: String,
    /// Nynorsk text.
    pub nno: String,
    /// For procedures: ICD-10 code prefixes the procedure treats.
    pub treats: Vec<String>,
}

/// A drug with the strengths it comes in.
#[derive(Debug)]
pub struct Drug {
    /// Name (generic or brand).
    pub name: String,
    /// Strengths.
    pub strengths: Vec<String>,
    /// Unit of the strength.
    pub unit: String,
}

/// A laboratory analysis and its plausible range.
#[derive(Debug)]
pub struct Lab {
    /// Abbreviation as written (`Hb`, `CRP`).
    pub abbr: String,
    /// Unit.
    pub unit: String,
    /// Lowest value.
    pub lo: f64,
    /// Highest value.
    pub hi: f64,
    /// Decimals shown.
    pub decimals: usize,
}

/// A ward or department name in both written standards.
#[derive(Debug)]
pub struct Ward {
    /// Bokmål.
    pub nob: String,
    /// Nynorsk.
    pub nno: String,
}

/// A postcode with its postal town.
#[derive(Debug)]
pub struct PostPlace {
    /// Four digits.
    pub code: String,
    /// Postal town, as usually written.
    pub town: String,
}

/// All generator resources for one split.
#[derive(Debug)]
pub struct Resources {
    /// Norwegian female given names, weighted by popularity.
    pub given_f: Weighted,
    /// Norwegian male given names.
    pub given_m: Weighted,
    /// Norwegian surnames, weighted by bearers.
    pub surnames: Weighted,
    /// Foreign female given names.
    pub foreign_f: Vec<String>,
    /// Foreign male given names.
    pub foreign_m: Vec<String>,
    /// Foreign surnames.
    pub foreign_last: Vec<String>,
    /// Street names.
    pub streets: Vec<String>,
    /// Street-name endings for composed streets.
    pub street_suffixes: Vec<&'static str>,
    /// Postcodes for street addresses.
    pub postcodes: Vec<PostPlace>,
    /// Place names.
    pub places: Vec<String>,
    /// Hospitals, DPS, private clinics, emergency rooms.
    pub hospitals: Vec<String>,
    /// Ward and department names.
    pub wards: Vec<Ward>,
    /// Employers and schools.
    pub employers: Vec<String>,
    /// Eponyms with a typical term (`Parkinson`, `Parkinsons sykdom`).
    pub eponyms: Vec<(String, String)>,
    /// Diagnoses.
    pub diagnoses: Vec<Diagnosis>,
    /// Drugs.
    pub drugs: Vec<Drug>,
    /// Lab analyses.
    pub labs: Vec<Lab>,
    /// Procedures (NCSP code, bokmål, nynorsk).
    pub procedures: Vec<Diagnosis>,
    /// Bokmål sentence patterns.
    pub nob: PatternSet,
    /// Nynorsk sentence patterns.
    pub nno: PatternSet,
}

fn tsv_rows(src: &str) -> impl Iterator<Item = Vec<&str>> {
    src.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

fn txt_lines(src: &str) -> impl Iterator<Item = &str> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A data file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// A pattern file is malformed.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// A data list is empty for the split.
    #[error("rules/synth: the list `{0}` is empty")]
    Empty(&'static str),
}

impl Resources {
    /// Loads every resource for `split`.
    pub fn load(split: Split) -> Result<Resources, ResourceError> {
        let mut given_f = Vec::new();
        let mut given_m = Vec::new();
        for row in tsv_rows(GIVEN) {
            if row.len() < 3 {
                continue;
            }
            let w: f64 = row[2].parse().unwrap_or(0.1);
            let entry = (row[0].to_string(), w.sqrt());
            match row[1] {
                "F" => given_f.push(entry),
                "M" => given_m.push(entry),
                _ => {
                    given_f.push(entry.clone());
                    given_m.push(entry);
                }
            }
        }
        let surnames: Vec<(String, f64)> = tsv_rows(SURNAMES)
            .filter(|r| r.len() >= 2)
            .map(|r| (r[0].to_string(), r[1].parse::<f64>().unwrap_or(1.0).sqrt()))
            .collect();
        let mut foreign_f = Vec::new();
        let mut foreign_m = Vec::new();
        for row in tsv_rows(FOREIGN_GIVEN) {
            if row.len() >= 2 {
                match row[1] {
                    "F" => foreign_f.push(row[0].to_string()),
                    _ => foreign_m.push(row[0].to_string()),
                }
            }
        }
        let foreign_last = txt_lines(FOREIGN_SURNAMES).map(str::to_string).collect();
        let streets = txt_lines(STREETS).map(str::to_string).collect();
        let postcodes = tsv_rows(POSTCODES)
            .filter(|r| r.len() >= 6 && r[5] != "P")
            .map(|r| PostPlace {
                code: r[0].to_string(),
                town: r[1].to_string(),
            })
            .collect::<Vec<_>>();
        // Towns and villages: not regions, nor the neighbourhoods and
        // outdoor places the detector knows besides (`strøk`, `turmål`).
        let places = tsv_rows(PLACES)
            .filter(|r| {
                r.len() >= 2
                    && !["region", "landsdel", "strøk", "turmål"]
                        .iter()
                        .any(|t| r[1].contains(t))
            })
            .map(|r| r[0].to_string())
            .collect();
        let hospitals = tsv_rows(INSTITUTIONS)
            .filter(|r| {
                r.len() >= 2
                    && !r[1].contains("former")
                    && !r[1].contains("planned")
                    && !r[1].contains("agency")
                    && !r[1].contains("RHF")
                    && !r[1].contains("service")
                    && !r[0].contains("apotek")
                    && r[0] != "Sykehuspartner HF"
            })
            .map(|r| r[0].to_string())
            .collect();
        let wards = tsv_rows(WARDS)
            .filter(|r| r.len() >= 2)
            .map(|r| Ward {
                nob: r[0].to_string(),
                nno: r[1].to_string(),
            })
            .collect();
        let eponyms = tsv_rows(EPONYMS)
            .filter(|r| r.len() >= 2 && r[1].contains(r[0]))
            .map(|r| (r[0].to_string(), r[1].to_string()))
            .collect();
        let diagnoses = tsv_rows(DIAGNOSES)
            .filter(|r| r.len() >= 3)
            .map(|r| Diagnosis {
                code: r[0].to_string(),
                nob: r[1].to_string(),
                nno: r[2].to_string(),
                treats: Vec::new(),
            })
            .collect();
        let procedures = tsv_rows(PROCEDURES)
            .filter(|r| r.len() >= 3)
            .map(|r| Diagnosis {
                code: r[0].to_string(),
                nob: r[1].to_string(),
                nno: r[2].to_string(),
                treats: r
                    .get(3)
                    .map(|t| {
                        t.split(',')
                            .map(str::trim)
                            .filter(|x| !x.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let drugs = tsv_rows(DRUGS)
            .filter(|r| r.len() >= 3)
            .map(|r| Drug {
                name: r[0].to_string(),
                strengths: r[1].split(';').map(|s| s.trim().to_string()).collect(),
                unit: r[2].to_string(),
            })
            .collect();
        let labs = tsv_rows(LABS)
            .filter(|r| r.len() >= 5)
            .map(|r| Lab {
                abbr: r[0].to_string(),
                unit: r[1].to_string(),
                lo: r[2].parse().unwrap_or(0.0),
                hi: r[3].parse().unwrap_or(1.0),
                decimals: r[4].parse().unwrap_or(0),
            })
            .collect();
        let suffixes = [
            "veien", "vegen", "gata", "gate", "bakken", "lia", "stien", "åsen", "svingen", "tunet",
            "løkka", "haugen", "jordet", "toppen", "kroken", "vei",
        ];
        let res = Resources {
            given_f: Weighted::new(given_f, split),
            given_m: Weighted::new(given_m, split),
            surnames: Weighted::new(surnames, split),
            foreign_f: split_items(foreign_f, split, String::as_str),
            foreign_m: split_items(foreign_m, split, String::as_str),
            foreign_last: split_items(foreign_last, split, String::as_str),
            streets: split_items(streets, split, String::as_str),
            street_suffixes: suffixes.to_vec(),
            postcodes: split_items(postcodes, split, |p| p.code.as_str()),
            places: split_items(places, split, String::as_str),
            hospitals: split_items(hospitals, split, String::as_str),
            wards: split_items(wards, split, |w| w.nob.as_str()),
            employers: split_items(
                txt_lines(EMPLOYERS).map(str::to_string).collect(),
                split,
                String::as_str,
            ),
            eponyms,
            diagnoses,
            drugs,
            labs,
            procedures,
            nob: PatternSet::parse("rules/synth/patterns/nob.txt", PATTERNS_NOB, split)?,
            nno: PatternSet::parse("rules/synth/patterns/nno.txt", PATTERNS_NNO, split)?,
        };
        let checks: [(&'static str, usize); 18] = [
            ("given_f", res.given_f.items.len()),
            ("given_m", res.given_m.items.len()),
            ("surnames", res.surnames.items.len()),
            ("foreign_f", res.foreign_f.len()),
            ("foreign_m", res.foreign_m.len()),
            ("foreign_last", res.foreign_last.len()),
            ("streets", res.streets.len()),
            ("postcodes", res.postcodes.len()),
            ("places", res.places.len()),
            ("hospitals", res.hospitals.len()),
            ("wards", res.wards.len()),
            ("employers", res.employers.len()),
            ("eponyms", res.eponyms.len()),
            ("diagnoses", res.diagnoses.len()),
            ("drugs", res.drugs.len()),
            ("labs", res.labs.len()),
            ("procedures", res.procedures.len()),
            ("street_suffixes", res.street_suffixes.len()),
        ];
        for (name, n) in checks {
            if n == 0 {
                return Err(ResourceError::Empty(name));
            }
        }
        res.nob.same_pools_as(&res.nno)?;
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_splits_load_and_differ() {
        let train = Resources::load(Split::Train).expect("train");
        let held = Resources::load(Split::Heldout).expect("heldout");
        assert!(train.surnames.items.len() > held.surnames.items.len());
        for name in held.surnames.items.iter().take(50) {
            assert!(
                !train.surnames.items.contains(name),
                "a held-out surname is in train"
            );
        }
        assert!(!train.nob.pools[0].patterns[0].is_empty());
    }
}
