//! The note composer: picks a doc type, language and structure, expands
//! sentence patterns and fills slots, recording every PHI span.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use crate::notes::DocType;

use super::builder::{Case, Label, Negative, NoteBuilder, Span};
use super::config::SynthConfig;
use super::ids;
use super::pattern::{Node, PatternSet, Slot};
use super::people::{Clinician, Name, Patient, ROLES};
use super::resources::{Resources, Ward};
use super::rng::Rng;

/// Pools every pattern file must define.
pub const REQUIRED_POOLS: &[&str] = &[
    "top.discharge_summary",
    "top.surgical_report",
    "top.nursing_note",
    "top.admission_note",
    "top.outpatient_note",
    "top.referral",
    "ident",
    "opphold",
    "opinfo",
    "sign",
    "sign.nursing",
    "sign.referral",
    "nursing",
    "diagnoser",
    "bakgrunn",
    "aktuelt",
    "funn",
    "forlop",
    "vurdering",
    "medikamenter",
    "plan",
    "kopi",
    "indikasjon",
    "prosedyre",
    "beskrivelse",
    "postop",
    "innkomstarsak",
    "tidligere",
    "allergier",
    "sosialt",
    "lab",
    "problemstilling",
    "anamnese",
    "henvisningsarsak",
    "sporsmal",
    "kontakt",
    "admin",
    "h.diagnoser",
    "h.bakgrunn",
    "h.aktuelt",
    "h.funn",
    "h.forlop",
    "h.vurdering",
    "h.medikamenter",
    "h.plan",
    "h.kopi",
    "h.indikasjon",
    "h.prosedyre",
    "h.beskrivelse",
    "h.postop",
    "h.innkomstarsak",
    "h.tidligere",
    "h.allergier",
    "h.sosialt",
    "h.lab",
    "h.problemstilling",
    "h.anamnese",
    "h.henvisningsarsak",
    "h.sporsmal",
    "h.kontakt",
    "h.admin",
];

/// A section of a doc type: heading pool `h.KEY`, body pool `KEY`.
struct Section {
    key: &'static str,
    min: u32,
    max: u32,
    p: f64,
    lines: bool,
}

const fn s(key: &'static str, min: u32, max: u32, p: f64) -> Section {
    Section {
        key,
        min,
        max,
        p,
        lines: false,
    }
}

const fn l(key: &'static str, min: u32, max: u32, p: f64) -> Section {
    Section {
        key,
        min,
        max,
        p,
        lines: true,
    }
}

const DISCHARGE: &[Section] = &[
    l("diagnoser", 1, 4, 1.0),
    s("bakgrunn", 1, 3, 0.8),
    s("aktuelt", 2, 5, 1.0),
    s("funn", 2, 4, 0.9),
    l("lab", 1, 3, 0.5),
    s("forlop", 2, 6, 1.0),
    s("vurdering", 1, 3, 0.7),
    l("medikamenter", 2, 7, 0.9),
    s("plan", 2, 4, 1.0),
    s("admin", 1, 2, 0.2),
    s("kopi", 1, 1, 0.6),
];
const SURGICAL: &[Section] = &[
    s("indikasjon", 1, 3, 1.0),
    l("prosedyre", 1, 2, 1.0),
    s("beskrivelse", 3, 8, 1.0),
    s("postop", 2, 4, 1.0),
];
const ADMISSION: &[Section] = &[
    s("innkomstarsak", 1, 2, 1.0),
    l("tidligere", 1, 4, 0.9),
    l("medikamenter", 1, 6, 0.9),
    s("allergier", 1, 1, 0.7),
    s("sosialt", 1, 3, 0.9),
    s("aktuelt", 2, 5, 1.0),
    s("funn", 3, 6, 1.0),
    l("lab", 1, 3, 0.7),
    s("vurdering", 1, 3, 1.0),
    s("plan", 1, 4, 1.0),
    s("admin", 1, 2, 0.15),
];
const OUTPATIENT: &[Section] = &[
    s("problemstilling", 1, 2, 1.0),
    s("anamnese", 2, 4, 1.0),
    s("funn", 1, 4, 0.9),
    l("lab", 1, 2, 0.4),
    s("vurdering", 1, 3, 1.0),
    s("plan", 1, 3, 1.0),
    s("admin", 1, 2, 0.15),
];
const REFERRAL: &[Section] = &[
    s("henvisningsarsak", 1, 2, 1.0),
    s("anamnese", 2, 4, 1.0),
    l("medikamenter", 1, 5, 0.8),
    s("sporsmal", 1, 2, 0.9),
    s("kontakt", 1, 2, 0.7),
    s("admin", 1, 2, 0.2),
];

/// A generated note with its gold annotations.
#[derive(Debug)]
pub struct SynthNote {
    /// Position in the corpus (0-based).
    pub index: u64,
    /// `note-00000001`.
    pub note_id: String,
    /// Patient index (0-based).
    pub patient_index: u64,
    /// Which of the patient's notes (0-based).
    pub ordinal: u32,
    /// The patient.
    pub patient_id: String,
    /// Doc type.
    pub doc_type: DocType,
    /// When written.
    pub written_at: NaiveDateTime,
    /// Writing department.
    pub department: String,
    /// `nob`, `nno` or `mixed`.
    pub lang: &'static str,
    /// The text.
    pub text: String,
    /// Gold PHI spans (character offsets, sorted).
    pub spans: Vec<Span>,
    /// Hard negatives (character offsets, sorted).
    pub negatives: Vec<Negative>,
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

struct Ctx<'a> {
    res: &'a Resources,
    clinicians: &'a [Clinician],
    cfg: &'a SynthConfig,
    rng: Rng,
    nno: bool,
    pt: &'a Patient,
    rel: usize,
    author: Clinician,
    hospital: &'a str,
    ward: &'a Ward,
    date: NaiveDate,
    admitted: NaiveDate,
    discharged: NaiveDate,
    b: NoteBuilder,
    depth: u8,
    /// The last pattern drawn from each pool (no pool repeats itself back to back).
    last_pick: Vec<u32>,
    /// Top-level patterns already used in the current section.
    section_used: Vec<(u16, u32)>,
}

/// Composes note `index` of patient `pt` (its `ordinal`-th note).
pub fn compose(
    cfg: &SynthConfig,
    res: &Resources,
    index: u64,
    patient_index: u64,
    ordinal: u32,
    pt: &Patient,
    clinicians: &[Clinician],
) -> SynthNote {
    let mut rng = Rng::for_item(cfg.seed, super::rng::Stream::Note, index);
    let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let lang = if x < cfg.nynorsk_share {
        "nno"
    } else if x < cfg.nynorsk_share + cfg.mixed_share {
        "mixed"
    } else {
        "nob"
    };
    let doc_type = match rng.below(100) {
        0..=19 => DocType::DischargeSummary,
        20..=29 => DocType::SurgicalReport,
        30..=54 => DocType::NursingNote,
        55..=69 => DocType::AdmissionNote,
        70..=89 => DocType::OutpatientNote,
        _ => DocType::Referral,
    };
    let written_at = pt
        .note_times
        .get(ordinal as usize)
        .copied()
        .unwrap_or_default();
    let date = written_at.date();
    let stay = rng.range(1, 14) as i64;
    let (admitted, discharged) = if doc_type == DocType::DischargeSummary {
        (date - Duration::days(stay), date)
    } else {
        (date, date + Duration::days(stay))
    };
    let mut author = clinicians[rng.below(clinicians.len())].clone();
    if doc_type == DocType::NursingNote && author.role < 5 {
        author.role = 5;
    } else if doc_type != DocType::NursingNote && author.role >= 5 {
        author.role = rng.below(4);
    }
    if doc_type == DocType::Referral {
        author.role = 4;
    }
    let hospital = rng.pick(&res.hospitals).as_str();
    let ward = rng.pick(&res.wards);
    let primary_nno = lang == "nno" || (lang == "mixed" && rng.chance(0.5));
    let mut ctx = Ctx {
        res,
        clinicians,
        cfg,
        rel: rng.below(pt.relatives.len().max(1)),
        rng,
        nno: primary_nno,
        pt,
        author,
        hospital,
        ward,
        date,
        admitted,
        discharged,
        b: NoteBuilder::default(),
        depth: 0,
        last_pick: vec![u32::MAX; res.nob.pools.len().max(res.nno.pools.len())],
        section_used: Vec::new(),
    };
    ctx.b.text.reserve(4096);
    let department = if primary_nno {
        ward.nno.clone()
    } else {
        ward.nob.clone()
    };
    if ctx.rng.chance(
        cfg.lowercase_share
            * if doc_type == DocType::NursingNote {
                3.0
            } else {
                0.6
            },
    ) {
        ctx.b.set_case(Some(Case::Lower));
    }
    let sections: &[Section] = match doc_type {
        DocType::DischargeSummary => DISCHARGE,
        DocType::SurgicalReport => SURGICAL,
        DocType::AdmissionNote => ADMISSION,
        DocType::OutpatientNote => OUTPATIENT,
        DocType::Referral => REFERRAL,
        _ => &[],
    };
    let top = match doc_type {
        DocType::DischargeSummary => "top.discharge_summary",
        DocType::SurgicalReport => "top.surgical_report",
        DocType::NursingNote => "top.nursing_note",
        DocType::AdmissionNote => "top.admission_note",
        DocType::OutpatientNote => "top.outpatient_note",
        _ => "top.referral",
    };
    ctx.line(top);
    if doc_type == DocType::NursingNote {
        ctx.nursing(lang == "mixed", primary_nno);
    } else {
        if doc_type != DocType::OutpatientNote || ctx.rng.chance(0.6) {
            ctx.line("ident");
        }
        match doc_type {
            DocType::DischargeSummary => ctx.line("opphold"),
            DocType::SurgicalReport => {
                let n = ctx.rng.range(2, 4);
                for _ in 0..n {
                    ctx.line("opinfo");
                }
            }
            _ => {}
        }
        ctx.b.push("\n");
        let mut chosen: Vec<&Section> = Vec::with_capacity(sections.len());
        for sec in sections {
            if sec.p >= 1.0 || ctx.rng.chance(sec.p) {
                chosen.push(sec);
            }
        }
        let other_lang = ctx.other_lang_flags(chosen.len(), lang == "mixed");
        for (sec, other) in chosen.into_iter().zip(other_lang) {
            ctx.nno = primary_nno ^ other;
            ctx.section(sec);
        }
        ctx.nno = primary_nno;
    }
    ctx.line(match doc_type {
        DocType::NursingNote => "sign.nursing",
        DocType::Referral => "sign.referral",
        _ => "sign",
    });
    while ctx.b.text.ends_with('\n') {
        ctx.b.text.pop();
        ctx.b.chars -= 1;
    }
    let b = ctx.b;
    SynthNote {
        index,
        note_id: format!("note-{:08}", index + 1),
        patient_index,
        ordinal,
        patient_id: pt.id.clone(),
        doc_type,
        written_at,
        department,
        lang,
        text: b.text,
        spans: b.spans,
        negatives: b.negatives,
    }
}

fn cap_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl<'a> Ctx<'a> {
    fn set(&self) -> &'a PatternSet {
        if self.nno {
            &self.res.nno
        } else {
            &self.res.nob
        }
    }

    /// Expands one random pattern of pool `name`.
    fn pool(&mut self, name: &str) {
        let set = self.set();
        if let Some(i) = set.pool(name) {
            self.pool_index(i);
        }
    }

    fn pool_index(&mut self, i: u16) {
        let set = self.set();
        let pats = &set.pools[i as usize].patterns;
        if pats.is_empty() || self.depth > 8 {
            return;
        }
        let mut k = self.rng.below(pats.len());
        // No pattern twice in a section (a few redraws), and none back to
        // back in a pool.
        for _ in 0..4 {
            let back_to_back = self.last_pick.get(i as usize) == Some(&(k as u32));
            if pats.len() > 1 && (back_to_back || self.section_used.contains(&(i, k as u32))) {
                k = self.rng.below(pats.len());
            } else {
                break;
            }
        }
        if let Some(last) = self.last_pick.get_mut(i as usize) {
            *last = k as u32;
        }
        if self.depth == 0 {
            self.section_used.push((i, k as u32));
        }
        let p = &pats[k];
        self.depth += 1;
        self.nodes(p);
        self.depth -= 1;
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for n in nodes {
            match n {
                Node::Lit(s) => self.b.push(s),
                Node::Slot(slot) => self.slot(*slot),
                Node::Pool(i) => self.pool_index(*i),
                Node::Alt(alts) => {
                    let k = self.rng.below(alts.len());
                    self.nodes(&alts[k]);
                }
                Node::Neg(kind, text) => self.b.negative(kind, text),
            }
        }
    }

    /// One line from pool `name`, then a newline.
    fn line(&mut self, name: &str) {
        self.pool(name);
        self.b.push("\n");
    }

    fn section(&mut self, sec: &Section) {
        let upper = self.rng.chance(self.cfg.uppercase_section_share);
        let forced = upper.then_some(Case::Upper);
        let saved = self.b.case();
        if forced.is_some() && saved.is_none() {
            self.b.set_case(forced);
        }
        self.section_used.clear();
        let head_start = self.b.text.len();
        self.pool(&format!("h.{}", sec.key));
        let inline = !sec.lines && self.b.text.ends_with(':') && self.rng.chance(0.35);
        if self.b.text.len() > head_start {
            self.b.push(if inline { " " } else { "\n" });
        }
        let n = self.rng.range(sec.min, sec.max);
        let bullet = sec.lines && self.rng.chance(0.4);
        for k in 0..n {
            if sec.lines {
                if bullet {
                    self.b.push("- ");
                }
                self.pool(sec.key);
                self.b.push("\n");
            } else {
                if k > 0 {
                    self.b.push(" ");
                }
                self.pool(sec.key);
            }
        }
        if !sec.lines {
            self.b.push("\n");
        }
        self.b.push("\n");
        self.b.set_case(saved);
    }

    fn nursing(&mut self, mixed: bool, primary_nno: bool) {
        let entries = self.rng.range(if mixed { 2 } else { 1 }, 4) as usize;
        let flags = self.other_lang_flags(entries, mixed);
        for other in flags {
            self.nno = primary_nno ^ other;
            self.time();
            self.b.push(if self.rng.chance(0.5) { ": " } else { " " });
            let n = self.rng.range(2, 6);
            for k in 0..n {
                if k > 0 {
                    self.b.push(" ");
                }
                self.pool("nursing");
            }
            self.b.push("\n");
        }
        self.nno = primary_nno;
    }

    /// For a mixed note: which of `n` parts are in the other language (at
    /// least one, never all). All false otherwise.
    fn other_lang_flags(&mut self, n: usize, mixed: bool) -> Vec<bool> {
        let mut flags = vec![false; n];
        if mixed && n > 0 {
            for f in flags.iter_mut() {
                *f = self.rng.chance(0.4);
            }
            if !flags.iter().any(|f| *f) || flags.iter().all(|f| *f) {
                flags.iter_mut().for_each(|f| *f = false);
                let k = self.rng.below(n);
                flags[k] = true;
            }
        }
        flags
    }

    // ---- names -------------------------------------------------------

    fn name_case(&mut self) -> Case {
        match self.rng.below(100) {
            0..=2 => Case::Lower,
            3..=6 => Case::Upper,
            _ => Case::Keep,
        }
    }

    fn firsts(&mut self, name: &Name, case: Case) {
        for (i, f) in name.first.iter().enumerate() {
            if i > 0 {
                self.b.push(" ");
            }
            self.b.phi_with(Label::PersonFirst, f, case);
        }
    }

    fn initial(&mut self, name: &Name, case: Case) {
        let first = &name.first[0];
        let end = first.char_indices().nth(1).map_or(first.len(), |(i, _)| i);
        self.b.phi_with(Label::PersonFirst, &first[..end], case);
        self.b.push(".");
    }

    fn full(&mut self, name: &Name, case: Case) {
        self.firsts(name, case);
        self.b.push(" ");
        self.b.phi_with(Label::PersonLast, &name.last, case);
    }

    /// A name in a random surface form.
    fn any_name(&mut self, name: &Name, titles: bool) {
        let case = self.name_case();
        match self.rng.below(if titles { 100 } else { 90 }) {
            0..=39 => self.full(name, case),
            40..=49 => self.firsts(name, case),
            50..=59 => self.b.phi_with(Label::PersonLast, &name.last, case),
            60..=71 => {
                self.initial(name, case);
                self.b.push(" ");
                self.b.phi_with(Label::PersonLast, &name.last, case);
            }
            72..=77 => {
                self.b.phi_with(Label::PersonLast, &name.last, case);
                self.b.push(", ");
                self.firsts(name, case);
            }
            78..=89 => {
                self.push_word(if name.female { "fru " } else { "hr. " });
                self.b.phi_with(Label::PersonLast, &name.last, case);
            }
            _ => self.full(name, case),
        }
    }

    fn possessive(&mut self, name: &Name) {
        let case = self.name_case();
        let use_first = self.rng.chance(0.25);
        if !use_first && self.rng.chance(0.4) {
            self.firsts(name, case);
            self.b.push(" ");
        }
        let word = if use_first {
            name.first[0].as_str()
        } else {
            name.last.as_str()
        };
        self.b.phi_with(Label::PersonLast, word, case);
        if use_first && let Some(last) = self.b.spans.last_mut() {
            last.label = Label::PersonFirst;
        }
        let suffix = if word.ends_with(['s', 'x', 'z']) {
            "'"
        } else {
            "s"
        };
        self.b.push_with(suffix, case);
    }

    fn clinician_any(&mut self, c: &Clinician) {
        let case = if self.rng.chance(0.04) {
            Case::Upper
        } else {
            Case::Keep
        };
        let role = if self.nno {
            ROLES[c.role].1
        } else {
            ROLES[c.role].0
        };
        let physician = c.role < 5;
        match self.rng.below(10) {
            0 | 1 if physician => {
                self.push_word("dr. ");
                self.b.phi_with(Label::PersonLast, &c.name.last, case);
            }
            0..=2 => {
                self.push_word(role);
                self.b.push(" ");
                self.full(&c.name, case);
            }
            3 => {
                self.push_word(role);
                self.b.push(" ");
                self.b.phi_with(Label::PersonLast, &c.name.last, case);
            }
            4 | 5 => {
                self.initial(&c.name, case);
                self.b.push(" ");
                self.b.phi_with(Label::PersonLast, &c.name.last, case);
            }
            6 => {
                self.full(&c.name, case);
                self.b.push(" (");
                self.b.push(role);
                self.b.push(")");
            }
            7 if !physician => {
                self.b.push("spl. ");
                self.firsts(&c.name, case);
            }
            _ => self.full(&c.name, case),
        }
    }

    fn other_clinician(&mut self) -> &'a Clinician {
        let all = self.clinicians;
        &all[self.rng.below(all.len())]
    }

    /// True when the next word starts a sentence or a line.
    fn at_sentence_start(&self) -> bool {
        let t = self.b.text.trim_end_matches(' ');
        match t.chars().next_back() {
            None | Some('\n' | '.' | '!' | '?') => true,
            Some('-') => t.ends_with("\n-") || t == "-",
            _ => false,
        }
    }

    /// Writes `s`, capitalised when it starts a sentence.
    fn push_word(&mut self, s: &str) {
        if self.at_sentence_start() && s.starts_with(|c: char| c.is_lowercase()) {
            let capped = cap_first(s);
            self.b.push(&capped);
        } else {
            self.b.push(s);
        }
    }

    // ---- dates ---------------------------------------------------------

    fn past_date(&mut self) -> NaiveDate {
        let max_back = (self.date - self.pt.birth).num_days().clamp(30, 365 * 15);
        let back = if self.rng.chance(0.6) {
            self.rng.below(120) as i64
        } else {
            self.rng.below(max_back as usize) as i64
        };
        self.date - Duration::days(back)
    }

    fn date_in(&mut self, d: NaiveDate, numeric_only: bool) {
        let y = d.year();
        let (dd, mm) = (d.day(), d.month());
        let yy = y % 100;
        let k = if numeric_only {
            self.rng.below(7)
        } else {
            self.rng.below(9)
        };
        let s = match k {
            0 | 1 => format!("{dd:02}.{mm:02}.{y}"),
            2 => format!("{dd}.{mm}.{yy:02}"),
            3 => format!("{dd}/{mm}-{yy:02}"),
            4 => format!("{dd:02}.{mm:02}.{yy:02}"),
            5 => {
                if self.rng.chance(0.3) {
                    format!("{dd:02}{mm:02}{yy:02}")
                } else {
                    format!("{y}-{mm:02}-{dd:02}")
                }
            }
            6 => format!("{dd}.{mm}"),
            _ => format!("{dd}. {} {y}", MONTHS[mm as usize - 1]),
        };
        self.b.phi(Label::Date, &s);
    }

    fn date_long(&mut self, d: NaiveDate) {
        let s = format!(
            "{}. {} {}",
            d.day(),
            MONTHS[d.month() as usize - 1],
            d.year()
        );
        self.b.phi(Label::Date, &s);
    }

    fn age_years(&self) -> i64 {
        let mut a = (self.date.year() - self.pt.birth.year()) as i64;
        if (self.date.month(), self.date.day()) < (self.pt.birth.month(), self.pt.birth.day()) {
            a -= 1;
        }
        a.max(0)
    }

    // ---- identifiers and contacts ------------------------------------

    fn phone(&mut self, digits: &str) {
        let d = digits.as_bytes();
        let g = |a: usize, b: usize| std::str::from_utf8(&d[a..b]).unwrap_or("");
        let s = match self.rng.below(7) {
            0 => format!("+47 {} {} {}", g(0, 3), g(3, 5), g(5, 8)),
            1 | 2 => digits.to_string(),
            3 => format!("{} {} {}", g(0, 3), g(3, 5), g(5, 8)),
            4 => format!("{} {} {} {}", g(0, 2), g(2, 4), g(4, 6), g(6, 8)),
            5 => format!("+47{digits}"),
            _ => format!("0047 {digits}"),
        };
        self.b.phi(Label::Phone, &s);
    }

    fn fnr(&mut self) {
        let id = self.pt.national_id.as_str();
        let s = match self.rng.below(10) {
            0..=4 => id.to_string(),
            5..=8 => format!("{} {}", &id[..6], &id[6..]),
            _ => format!("{}-{}", &id[..6], &id[6..]),
        };
        self.b.phi(Label::NationalId, &s);
    }

    fn hospital_name(&mut self) {
        let h = self.rng.pick(&self.res.hospitals).clone();
        self.b.phi(Label::CareUnit, &h);
    }

    fn ward_name(&mut self, w: &Ward, sentence_case: bool) {
        let name = if self.nno { &w.nno } else { &w.nob };
        if sentence_case {
            self.b.phi(Label::CareUnit, name);
        } else {
            let mut c = name.chars();
            let lowered: String = match c.next() {
                Some(f)
                    if !name.starts_with(|x: char| {
                        x.is_ascii_uppercase()
                            && name.chars().nth(1).is_some_and(|y| y.is_ascii_uppercase())
                    }) =>
                {
                    f.to_lowercase().chain(c).collect()
                }
                _ => name.clone(),
            };
            self.b.phi(Label::CareUnit, &lowered);
        }
    }

    fn place(&mut self) {
        let p = self.rng.pick(&self.res.places).clone();
        self.b.phi(Label::Location, &p);
    }

    fn post_place(&mut self) {
        let pt = self.pt;
        self.b.phi(Label::Postcode, &pt.postcode);
        self.b.push(" ");
        if self.rng.chance(0.2) {
            self.b.phi_with(Label::Location, &pt.town, Case::Upper);
        } else {
            self.b.phi(Label::Location, &pt.town);
        }
    }

    // ---- clinical vocabulary -----------------------------------------

    fn decimal(&mut self, lo: f64, hi: f64, decimals: usize) -> String {
        let x = lo + (hi - lo) * ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64);
        format!("{x:.decimals$}").replace('.', ",")
    }

    fn drug(&mut self) {
        let d = self.rng.pick(&self.res.drugs);
        let strength = self.rng.pick(&d.strengths);
        self.b.push(&d.name);
        self.b.push(" ");
        self.b.push(strength);
        self.b.push(" ");
        self.b.push(&d.unit);
        let sched = match self.rng.below(12) {
            0 => " x 1",
            1 => " x 2",
            2 => " x 3",
            3 => " 1+0+1",
            4 => " 1+0+0",
            5 => " 0+0+1",
            6 => " 1x1",
            7 => " 2x2",
            8 if self.nno => " ved behov",
            8 => " ved behov",
            9 if self.nno => " om morgonen",
            9 => " om morgenen",
            10 => " morgen",
            _ => "",
        };
        self.b.push(sched);
        if self.rng.chance(0.12) {
            self.b.push(", ");
            self.slot(Slot::DoseSched);
        }
    }

    fn dose_sched(&mut self) {
        let a = self.rng.range(1, 6);
        let b = a + self.rng.range(0, 6);
        match self.rng.below(6) {
            0 => {
                self.b.push("kur ");
                self.b.negative("dosage_schedule", &format!("{a}/{b}"));
            }
            1 => {
                self.b.push("fraksjon ");
                let total = self.rng.range(10, 33);
                let k = self.rng.range(1, total);
                self.b.negative("dosage_schedule", &format!("{k}/{total}"));
            }
            2 => {
                self.b.negative("dosage_schedule", "1/2");
                self.b.push(" tablett x 2");
            }
            3 => {
                self.b.push("dag ");
                self.b
                    .negative("dosage_schedule", &format!("1-{}", self.rng.range(3, 14)));
            }
            4 => {
                self.b
                    .negative("dosage_schedule", &format!("{}/7", self.rng.range(1, 6)));
                self.b.push(if self.nno { " dagar" } else { " dager" });
            }
            _ => {
                self.b.push(if self.nno {
                    "nedtrapping med 5 mg kvar "
                } else {
                    "nedtrapping med 5 mg hver "
                });
                self.b
                    .negative("dosage_schedule", &format!("{}.", self.rng.range(2, 5)));
                self.b.push(" dag");
            }
        }
    }

    fn lab(&mut self) {
        let lab = self.rng.pick(&self.res.labs);
        self.b.negative("lab_abbreviation", &lab.abbr);
        self.b.push(" ");
        let v = self.decimal(lab.lo, lab.hi, lab.decimals);
        self.b.push(&v);
        if !lab.unit.is_empty() {
            self.b.push(" ");
            self.b.push(&lab.unit);
        }
    }

    fn vitals(&mut self) {
        let sys = self.rng.range(95, 185);
        let dia = self.rng.range(50, 105);
        self.b.negative("abbreviation", "BT");
        self.b.push(&format!(" {sys}/{dia}"));
        if self.rng.chance(0.8) {
            self.b.push(", ");
            self.b.negative("abbreviation", "P");
            self.b.push(&format!(" {}", self.rng.range(48, 130)));
        }
        if self.rng.chance(0.6) {
            self.b.push(", ");
            self.b.negative("abbreviation", "T");
            let t = self.decimal(36.0, 39.8, 1);
            self.b.push(&format!(" {t}"));
        }
        if self.rng.chance(0.5) {
            self.b.push(", ");
            self.b.negative("abbreviation", "SpO2");
            self.b.push(&format!(" {} %", self.rng.range(86, 100)));
        }
        if self.rng.chance(0.3) {
            self.b.push(", ");
            self.b.negative("abbreviation", "RF");
            self.b.push(&format!(" {}", self.rng.range(10, 32)));
        }
    }

    fn eponym(&mut self) {
        let (ep, term) = self.rng.pick(&self.res.eponyms);
        let term = if self.nno {
            term.replace("sykdom", "sjukdom")
        } else {
            term.clone()
        };
        let Some(at) = term.find(ep.as_str()) else {
            self.b.push(&term);
            return;
        };
        let rest = &term[at..];
        let word_end = rest
            .find(|c: char| c.is_whitespace() || c == '-')
            .unwrap_or(rest.len());
        if at > 0 {
            self.push_word(&term[..at]);
        }
        self.b.negative("eponym", &rest[..word_end]);
        self.b.push(&rest[word_end..]);
    }

    /// The patient's main condition half of the time, any diagnosis otherwise.
    fn diagnosis(&mut self) -> &'a super::resources::Diagnosis {
        let res = self.res;
        if self.rng.chance(0.5) {
            &res.diagnoses[self.pt.main_diag.min(res.diagnoses.len() - 1)]
        } else {
            self.rng.pick(&res.diagnoses)
        }
    }

    /// A procedure that treats the patient's main condition when there is one.
    fn procedure(&mut self) -> &'a super::resources::Diagnosis {
        let res = self.res;
        let main = &res.diagnoses[self.pt.main_diag.min(res.diagnoses.len() - 1)].code;
        let fitting: Vec<&'a super::resources::Diagnosis> = res
            .procedures
            .iter()
            .filter(|p| p.treats.iter().any(|t| main.starts_with(t.as_str())))
            .collect();
        if !fitting.is_empty() && self.rng.chance(0.85) {
            fitting[self.rng.below(fitting.len())]
        } else {
            self.rng.pick(&res.procedures)
        }
    }

    fn time(&mut self) {
        let h = self.rng.range(0, 23);
        let m = *self.rng.pick(&[0u32, 0, 15, 30, 45, 10, 20, 40, 50, 5]);
        let s = match self.rng.below(4) {
            0 => format!("kl. {h:02}.{m:02}"),
            1 => format!("kl {h:02}{m:02}"),
            2 => format!("{h:02}:{m:02}"),
            _ => format!("kl. {h:02}:{m:02}"),
        };
        self.push_word(&s);
    }

    // ---- slots ---------------------------------------------------------

    fn slot(&mut self, slot: Slot) {
        let pt = self.pt;
        let nno = self.nno;
        match slot {
            Slot::Pt => self.any_name(&pt.name, true),
            Slot::PtFull => {
                let case = self.name_case();
                self.full(&pt.name, case);
            }
            Slot::PtFirst => {
                let case = self.name_case();
                self.firsts(&pt.name, case);
            }
            Slot::PtLast => {
                let case = self.name_case();
                self.b.phi_with(Label::PersonLast, &pt.name.last, case);
            }
            Slot::PtPoss => self.possessive(&pt.name),
            Slot::PtFormal => {
                self.push_word(if pt.name.female { "fru " } else { "hr. " });
                self.b.phi(Label::PersonLast, &pt.name.last);
            }
            Slot::Rel | Slot::RelFull | Slot::RelFirst => {
                if let Some(r) = pt.relatives.get(self.rel) {
                    match slot {
                        Slot::Rel => self.any_name(&r.name, false),
                        Slot::RelFull => self.full(&r.name, Case::Keep),
                        _ => self.firsts(&r.name, Case::Keep),
                    }
                }
            }
            Slot::RelWord => {
                let w = pt
                    .relatives
                    .get(self.rel)
                    .map_or(if nno { "pårørande" } else { "pårørende" }, |r| {
                        r.word(nno)
                    });
                self.push_word(w);
            }
            Slot::Clin => {
                let c = self.other_clinician();
                self.clinician_any(c);
            }
            Slot::ClinFull => {
                let c = self.other_clinician();
                self.full(&c.name, Case::Keep);
            }
            Slot::Author => {
                let name = self.author.name.clone();
                if self.rng.chance(0.15) {
                    self.initial(&name, Case::Keep);
                    self.b.push(" ");
                    self.b.phi(Label::PersonLast, &name.last);
                } else {
                    self.full(&name, Case::Keep);
                }
            }
            Slot::AuthorRole => {
                let r = ROLES[self.author.role];
                self.b.push(if nno { r.1 } else { r.0 });
            }
            Slot::Fnr => self.fnr(),
            Slot::Hpr => {
                let h = self.author.hpr.clone();
                self.b.phi(Label::HprNumber, &h);
            }
            Slot::HprOther => {
                let h = ids::digits(&mut self.rng, 7);
                self.b.phi(Label::HprNumber, &h);
            }
            Slot::OrgNr => {
                let o = ids::org_number(&mut self.rng);
                let s = if self.rng.chance(0.5) {
                    format!("{} {} {}", &o[..3], &o[3..6], &o[6..])
                } else {
                    o
                };
                self.b.phi(Label::OrgNumber, &s);
            }
            Slot::Account => {
                let a = ids::account_number(&mut self.rng);
                let s = if self.rng.chance(0.6) {
                    format!("{}.{}.{}", &a[..4], &a[4..6], &a[6..])
                } else {
                    a
                };
                self.b.phi(Label::AccountNumber, &s);
            }
            Slot::Record => {
                let r = pt.record.clone();
                self.b.phi(Label::RecordNumber, &r);
            }
            Slot::OtherId => {
                let s = match self.rng.below(4) {
                    0 => format!(
                        "{}{}-{}",
                        char::from(b'A' + self.rng.below(26) as u8),
                        self.rng.range(10, 99),
                        ids::digits(&mut self.rng, 5)
                    ),
                    1 => ids::digits(&mut self.rng, 10),
                    2 => format!(
                        "{}/{}",
                        self.rng.range(15, 24),
                        ids::digits(&mut self.rng, 5)
                    ),
                    _ => format!("R{}", ids::digits(&mut self.rng, 8)),
                };
                self.b.phi(Label::OtherId, &s);
            }
            Slot::Phone => self.phone(&pt.phone),
            Slot::RelPhone => {
                let p = pt
                    .relatives
                    .get(self.rel)
                    .map_or(pt.phone.as_str(), |r| r.phone.as_str());
                self.phone(p);
            }
            Slot::UnitPhone => {
                let p = ids::phone_digits(&mut self.rng, false);
                self.phone(&p);
            }
            Slot::Email => self.b.phi(Label::Email, &pt.email),
            Slot::ClinEmail => {
                let c = self.other_clinician();
                self.b.phi(Label::Email, &c.email);
            }
            Slot::Url => self.b.phi(Label::Url, &pt.url),
            Slot::Address => {
                self.b.phi(Label::Address, &pt.street);
                self.b.push(if self.rng.chance(0.8) { ", " } else { "\n" });
                self.post_place();
            }
            Slot::Street => self.b.phi(Label::Address, &pt.street),
            Slot::PostPlace => self.post_place(),
            Slot::Place => self.place(),
            Slot::PtPlace => self.b.phi(Label::Location, &pt.town),
            Slot::Hospital => self.hospital_name(),
            Slot::ThisHospital => {
                let h = self.hospital;
                self.b.phi(Label::CareUnit, h);
            }
            Slot::Ward => {
                let w = self.rng.pick(&self.res.wards);
                self.ward_name(w, false);
            }
            Slot::ThisWard => {
                let w = self.ward;
                self.ward_name(w, true);
            }
            Slot::GpOffice => {
                let p = self.rng.pick(&self.res.places).clone();
                let s = match self.rng.below(4) {
                    0 => format!("{p} legesenter"),
                    1 => format!("{p} legekontor"),
                    2 => format!("Legene på {p}"),
                    _ => format!("{p} legesenter"),
                };
                self.b.phi(Label::CareUnit, &s);
            }
            Slot::NursingHome => {
                let p = self.rng.pick(&self.res.places).clone();
                let s = match (self.rng.below(3), nno) {
                    (0, false) => format!("{p} sykehjem"),
                    (0, true) => format!("{p} sjukeheim"),
                    (1, _) => format!("{p} omsorgssenter"),
                    (_, false) => format!("hjemmetjenesten i {p}"),
                    (_, true) => format!("heimetenesta i {p}"),
                };
                self.b.phi(Label::CareUnit, &s);
            }
            Slot::Org => {
                let e = pt.employer.clone();
                self.b.phi(Label::Organisation, &e);
            }
            Slot::Nav => {
                let p = self.rng.pick(&self.res.places).clone();
                self.b.phi(Label::Organisation, &format!("NAV {p}"));
            }
            Slot::Date => {
                let d = self.past_date();
                self.date_in(d, false);
            }
            Slot::DateNum => {
                let d = self.past_date();
                self.date_in(d, true);
            }
            Slot::DateLong => {
                let d = self.past_date();
                self.date_long(d);
            }
            Slot::MonthYear => {
                let d = self.past_date();
                let m = MONTHS[d.month() as usize - 1];
                let s = if self.rng.chance(0.2) {
                    format!("{} {}", cap_first(m), d.year())
                } else {
                    format!("{m} {}", d.year())
                };
                self.b.phi(Label::Date, &s);
            }
            Slot::Year => {
                let d = self.past_date();
                self.b.phi(Label::Date, &d.year().to_string());
            }
            Slot::Today => {
                let d = self.date;
                self.date_in(d, true);
            }
            Slot::Admitted => {
                let d = self.admitted;
                self.date_in(d, false);
            }
            Slot::Discharged => {
                let d = self.discharged;
                self.date_in(d, false);
            }
            Slot::Future => {
                let d = self.date + Duration::days(self.rng.range(7, 200) as i64);
                self.date_in(d, false);
            }
            Slot::Birth => {
                let d = pt.birth;
                self.date_in(d, true);
            }
            Slot::Age => {
                let a = self.age_years();
                self.b.phi(Label::Age, &format!("{a} år"));
            }
            Slot::AgeGml => {
                let a = self.age_years();
                let s = match (self.rng.below(3), nno) {
                    (0, _) => format!("{a} år gml."),
                    (_, false) => format!("{a} år gammel"),
                    (_, true) => format!("{a} år gammal"),
                };
                self.b.phi(Label::Age, &s);
            }
            Slot::AgeArig => {
                let a = self.age_years();
                self.b.phi(Label::Age, &format!("{a}-årig"));
            }
            Slot::AgeDecade => {
                let a = self.age_years().max(20) / 10 * 10;
                let s = if nno {
                    format!("{a}-åra")
                } else {
                    format!("{a}-årene")
                };
                self.b.phi(Label::Age, &s);
            }
            Slot::Diag => {
                let d = self.diagnosis();
                let t = if nno { &d.nno } else { &d.nob };
                if self.rng.chance(0.5) {
                    self.b.push(t);
                    self.b.push(" (");
                    self.b.push(&d.code);
                    self.b.push(")");
                } else {
                    self.b.push(&d.code);
                    self.b.push(" ");
                    self.b.push(t);
                }
            }
            Slot::DiagText => {
                let d = self.diagnosis();
                let t = if nno { &d.nno } else { &d.nob };
                let lowered = lower_first(t);
                self.push_word(&lowered);
            }
            Slot::Drug => self.drug(),
            Slot::DrugName => {
                let d = self.rng.pick(&self.res.drugs);
                self.b.push(&d.name);
            }
            Slot::Lab => self.lab(),
            Slot::Vitals => self.vitals(),
            Slot::Num => {
                let n = self.rng.range(2, 12);
                self.b.push(&n.to_string());
            }
            Slot::Time => self.time(),
            Slot::DoseSched => self.dose_sched(),
            Slot::Eponym => self.eponym(),
            Slot::Procedure => {
                let p = self.procedure();
                self.b.push(&p.code);
                self.b.push(" ");
                self.b.push(if nno { &p.nno } else { &p.nob });
            }
            Slot::Han => self.b.push(match (pt.name.female, nno) {
                (true, false) => "hun",
                (true, true) => "ho",
                (false, _) => "han",
            }),
            Slot::HanCap => self.b.push(match (pt.name.female, nno) {
                (true, false) => "Hun",
                (true, true) => "Ho",
                (false, _) => "Han",
            }),
            Slot::Ham => self.b.push(match (pt.name.female, nno) {
                (true, _) => "henne",
                (false, false) => "ham",
                (false, true) => "han",
            }),
            Slot::Hans => self.b.push(match (pt.name.female, nno) {
                (true, false) => "hennes",
                (true, true) => "hennar",
                (false, _) => "hans",
            }),
            Slot::Kvinne => self.b.push(if pt.name.female { "kvinne" } else { "mann" }),
            Slot::KvinneCap => self.b.push(if pt.name.female { "Kvinne" } else { "Mann" }),
        }
    }
}

/// Lower-cases the first letter unless the word is an abbreviation.
fn lower_first(s: &str) -> String {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            a.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_first_keeps_abbreviations() {
        assert_eq!(lower_first("Diabetes mellitus"), "diabetes mellitus");
        assert_eq!(lower_first("KOLS"), "KOLS");
    }
}
