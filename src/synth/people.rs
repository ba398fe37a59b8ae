//! Synthetic people: patients (with relatives, address, identifiers and a
//! timeline of notes) and clinicians, each regenerated on demand from
//! `(seed, index)` so that every note of a patient agrees on who they are.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::ids;
use super::resources::Resources;
use super::rng::{Rng, Stream};

/// Pool of clinicians notes draw their authors and colleagues from.
pub const CLINICIANS: u64 = 6000;

/// A person's name.
#[derive(Clone, Debug)]
pub struct Name {
    /// Given names (one or two).
    pub first: Vec<String>,
    /// Surname (may be a double surname with a space or hyphen).
    pub last: String,
    /// Female.
    pub female: bool,
}

impl Name {
    /// Given names joined with spaces.
    pub fn first_joined(&self) -> String {
        self.first.join(" ")
    }

    /// `First [Middle] Last`.
    pub fn full(&self) -> String {
        format!("{} {}", self.first_joined(), self.last)
    }
}

/// Draws a name; `foreign` picks from the foreign lists.
pub fn draw_name(rng: &mut Rng, res: &Resources, female: bool, foreign: bool) -> Name {
    let mut first = Vec::with_capacity(2);
    let given = |rng: &mut Rng| -> String {
        if foreign {
            let list = if female {
                &res.foreign_f
            } else {
                &res.foreign_m
            };
            rng.pick(list).clone()
        } else if female {
            res.given_f.draw(rng).to_string()
        } else {
            res.given_m.draw(rng).to_string()
        }
    };
    first.push(given(rng));
    if !foreign && rng.chance(0.18) {
        let second = given(rng);
        if second != first[0] {
            first.push(second);
        }
    }
    let last = if foreign {
        rng.pick(&res.foreign_last).clone()
    } else if rng.chance(0.06) {
        let a = res.surnames.draw(rng).to_string();
        let b = res.surnames.draw(rng).to_string();
        if rng.chance(0.5) {
            format!("{a}-{b}")
        } else {
            format!("{a} {b}")
        }
    } else {
        res.surnames.draw(rng).to_string()
    };
    Name {
        first,
        last,
        female,
    }
}

/// How a relative is related to the patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Wife or husband.
    Spouse,
    /// Cohabitant.
    Partner,
    /// Daughter or son.
    Child,
    /// Mother or father.
    Parent,
    /// Sister or brother.
    Sibling,
}

/// A relative of a patient.
#[derive(Clone, Debug)]
pub struct Relative {
    /// Name.
    pub name: Name,
    /// Relation.
    pub relation: Relation,
    /// Phone digits.
    pub phone: String,
}

impl Relative {
    /// The relation word (`kone`, `sønn`…) in bokmål or nynorsk.
    pub fn word(&self, nno: bool) -> &'static str {
        let f = self.name.female;
        match (self.relation, f, nno) {
            (Relation::Spouse, true, false) => "kone",
            (Relation::Spouse, true, true) => "kona",
            (Relation::Spouse, false, _) => "ektemann",
            (Relation::Partner, _, false) => "samboer",
            (Relation::Partner, _, true) => "sambuar",
            (Relation::Child, true, false) => "datter",
            (Relation::Child, true, true) => "dotter",
            (Relation::Child, false, false) => "sønn",
            (Relation::Child, false, true) => "son",
            (Relation::Parent, true, _) => "mor",
            (Relation::Parent, false, _) => "far",
            (Relation::Sibling, true, false) => "søster",
            (Relation::Sibling, true, true) => "syster",
            (Relation::Sibling, false, _) => "bror",
        }
    }
}

/// A synthetic patient.
#[derive(Clone, Debug)]
pub struct Patient {
    /// `pat-0000001`.
    pub id: String,
    /// Name.
    pub name: Name,
    /// Foreign name (and more often a D-number).
    pub foreign: bool,
    /// Birth date.
    pub birth: NaiveDate,
    /// Fødselsnummer or D-number (synthetic range), 11 digits.
    pub national_id: String,
    /// Mobile phone digits.
    pub phone: String,
    /// E-mail address.
    pub email: String,
    /// Street and house number.
    pub street: String,
    /// Postcode.
    pub postcode: String,
    /// Postal town.
    pub town: String,
    /// Relatives (at least one).
    pub relatives: Vec<Relative>,
    /// Hospital record number.
    pub record: String,
    /// Employer or school.
    pub employer: String,
    /// Personal web address.
    pub url: String,
    /// When each of the patient's notes was written.
    pub note_times: Vec<NaiveDateTime>,
    /// The patient's main condition (index into the diagnoses), which most
    /// of their notes are about.
    pub main_diag: usize,
}

/// How many notes patient `index` has (1–10).
pub fn note_count(seed: u64, index: u64) -> u32 {
    let mut rng = Rng::for_item(seed, Stream::PatientNotes, index);
    let mut n = 1 + rng.below(3) as u32;
    if rng.chance(0.35) {
        n += rng.below(8) as u32;
    }
    n
}

fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'æ' | 'Æ' => out.push_str("ae"),
            'ø' | 'Ø' => out.push('o'),
            'å' | 'Å' => out.push('a'),
            'é' | 'è' | 'ê' => out.push('e'),
            'ü' => out.push('u'),
            'ö' | 'ó' => out.push('o'),
            'ä' | 'á' => out.push('a'),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

const MAIL_DOMAINS: [&str; 8] = [
    "gmail.com",
    "online.no",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "yahoo.no",
    "live.no",
    "broadpark.no",
];

/// Patient `index` of the corpus.
pub fn patient(seed: u64, index: u64, res: &Resources) -> Patient {
    let mut rng = Rng::for_item(seed, Stream::Patient, index);
    let female = rng.chance(0.52);
    let foreign = rng.chance(0.12);
    let name = draw_name(&mut rng, res, female, foreign);
    let base = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap_or_default();
    let first_note = base + Duration::days(rng.below(365 * 8 + 100) as i64);
    let age_years = if rng.chance(0.08) {
        rng.below(18) as i64
    } else {
        18 + rng.below(80) as i64
    };
    let birth = first_note - Duration::days(age_years * 365 + rng.below(365) as i64);
    let d_number = foreign && rng.chance(0.5);
    let national_id = ids::national_id(&mut rng, birth, d_number);
    let phone = ids::phone_digits(&mut rng, true);
    let f = ascii_fold(&name.first[0]);
    let l = ascii_fold(&name.last);
    let email = match rng.below(4) {
        0 => format!("{f}.{l}@{}", rng.pick(&MAIL_DOMAINS)),
        1 => format!("{f}{l}{}@{}", rng.range(1, 99), rng.pick(&MAIL_DOMAINS)),
        2 => format!(
            "{}{}@{}",
            f.chars().next().unwrap_or('x'),
            l,
            rng.pick(&MAIL_DOMAINS)
        ),
        _ => format!("{f}_{l}@{}", rng.pick(&MAIL_DOMAINS)),
    };
    let url = match rng.below(3) {
        0 => format!("www.facebook.com/{f}.{l}"),
        1 => format!("https://www.{f}{l}.no"),
        _ => format!("instagram.com/{f}_{l}{}", rng.range(1, 99)),
    };
    let street_name = if rng.chance(0.5) {
        rng.pick(&res.streets).clone()
    } else {
        let stem = if rng.chance(0.5) {
            rng.pick(&res.places).clone()
        } else {
            res.surnames.draw(&mut rng).to_string()
        };
        let suffix = rng.pick(&res.street_suffixes);
        if rng.chance(0.2) {
            format!("{stem}s {}", suffix.trim_end_matches("en"))
        } else {
            format!("{stem}{suffix}")
        }
    };
    let mut street = format!("{street_name} {}", rng.range(1, 120));
    if rng.chance(0.15) {
        street.push(char::from(b'A' + rng.below(4) as u8));
    }
    let post = rng.pick(&res.postcodes);
    let mut relatives = Vec::new();
    let n_rel = 1 + rng.below(3);
    for k in 0..n_rel {
        let relation = if age_years < 18 {
            if k == 0 {
                Relation::Parent
            } else {
                Relation::Sibling
            }
        } else {
            match (k, rng.below(4)) {
                (0, 0) => Relation::Partner,
                (0, _) => Relation::Spouse,
                (_, 0) if age_years < 50 => Relation::Parent,
                (_, 1) => Relation::Sibling,
                _ if age_years > 35 => Relation::Child,
                _ => Relation::Sibling,
            }
        };
        let rel_female = match relation {
            Relation::Spouse | Relation::Partner => {
                if rng.chance(0.92) {
                    !female
                } else {
                    female
                }
            }
            _ => rng.chance(0.5),
        };
        let rel_foreign = foreign && rng.chance(0.8);
        let mut rel_name = draw_name(&mut rng, res, rel_female, rel_foreign);
        if matches!(
            relation,
            Relation::Child | Relation::Parent | Relation::Sibling
        ) && rng.chance(0.6)
        {
            rel_name.last = name.last.clone();
        }
        let mobile = rng.chance(0.85);
        relatives.push(Relative {
            name: rel_name,
            relation,
            phone: ids::phone_digits(&mut rng, mobile),
        });
    }
    let record_len = 6 + rng.below(3);
    let record = ids::digits(&mut rng, record_len);
    let employer = if age_years < 18 {
        format!("{} skole", rng.pick(&res.places))
    } else {
        rng.pick(&res.employers).clone()
    };
    let main_diag = rng.below(res.diagnoses.len());
    let count = note_count(seed, index);
    let mut note_times = Vec::with_capacity(count as usize);
    let mut day = first_note;
    let last_day = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
    for _ in 0..count {
        let t = NaiveTime::from_hms_opt(rng.range(7, 22), rng.range(0, 59), rng.range(0, 59))
            .unwrap_or_default();
        note_times.push(day.and_time(t));
        day += Duration::days(if rng.chance(0.5) {
            rng.range(0, 4) as i64
        } else {
            rng.range(5, 400) as i64
        });
        day = day.min(last_day);
    }
    Patient {
        id: format!("pat-{:07}", index + 1),
        name,
        foreign,
        birth,
        national_id,
        phone,
        email,
        street,
        postcode: post.code.clone(),
        town: post.town.clone(),
        relatives,
        record,
        employer,
        url,
        note_times,
        main_diag,
    }
}

/// A clinician of the shared pool.
#[derive(Clone, Debug)]
pub struct Clinician {
    /// Name.
    pub name: Name,
    /// Role index into the role tables.
    pub role: usize,
    /// HPR number digits.
    pub hpr: String,
    /// Work e-mail.
    pub email: String,
}

/// Bokmål and nynorsk role words; the first five are physicians.
pub const ROLES: [(&str, &str); 9] = [
    ("overlege", "overlege"),
    ("lege", "lege"),
    ("LIS-lege", "LIS-lege"),
    ("turnuslege", "turnuslege"),
    ("fastlege", "fastlege"),
    ("sykepleier", "sjukepleiar"),
    ("spesialsykepleier", "spesialsjukepleiar"),
    ("fysioterapeut", "fysioterapeut"),
    ("psykolog", "psykolog"),
];

/// Clinician `index` of the pool.
pub fn clinician(seed: u64, index: u64, res: &Resources) -> Clinician {
    let mut rng = Rng::for_item(seed, Stream::Clinician, index);
    let female = rng.chance(0.55);
    let foreign = rng.chance(0.1);
    let name = draw_name(&mut rng, res, female, foreign);
    let role = if rng.chance(0.6) {
        rng.below(4)
    } else {
        5 + rng.below(4)
    };
    let hpr_len = 7 + rng.below(2);
    let hpr = ids::digits(&mut rng, hpr_len);
    let domain = *rng.pick(&[
        "ous-hf.no",
        "helse-bergen.no",
        "stolav.no",
        "unn.no",
        "sthf.no",
        "ahus.no",
        "helse-stavanger.no",
        "sshf.no",
        "vestreviken.no",
        "helse-forde.no",
    ]);
    let email = format!(
        "{}.{}@{domain}",
        ascii_fold(&name.first[0]),
        ascii_fold(&name.last)
    );
    Clinician {
        name,
        role,
        hpr,
        email,
    }
}
