//! The detector: one pass per note combining rules, gazetteers, context
//! and the patient register, with deterministic overlap resolution
//! (longest span first, then the most specific label, then the most
//! trusted source, then the earliest start).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::context::{
    ABBREVIATING_LETTERS, AFTER_NAME_WORDS, AFTER_VERB_WORDS, CLAUSE_WORDS, EPONYM_GRADES,
    FIELD_AND_DEED_ENDINGS, FUNCTION_WORDS, LETTERED_WORDS, LINE_HEADINGS,
    MAX_WORDS_AFTER_RESIDENCE_VERB, MEDICAL_HEADS, MOTION_RESIDENCE_VERBS, NAME_PARTICLES,
    PARTNERED, PLACE_NOUNS, PLACE_ONLY_PREPS, POSSESSIVES, PRONOUNS_BEFORE_NAMES, RESIDENCE_PREPS,
    RESIDENCE_VERBS, SAMI_LETTERS, SPEAKER_VERBS, THING_VERBS, TOPONYM_PREPS, TRANSFER_VERBS,
    UNIT_LETTERS, UNIT_NAME_HEADS, UNIT_NAME_TAILS, UNIT_QUALIFIERS, WORD_ACRONYMS, WORD_GENITIVES,
    WORDLIKE_PARTICLES, has_toponym_ending, is_compound_title, is_department_word, is_in,
    is_latin_name, is_naming_title, is_or_ends_in, is_unit_head, is_unit_word,
};
use super::data::{
    Gender, Ordinary, family_name_shape, is_country, ordinary_word, post_town, shipped,
};
use super::dates;
use super::gazetteer::{Entry, GazHit, Gazetteer, WordInfo, kind, lex};
use super::name_cues;
use super::register::Register;
use super::rules::{RuleHit, RuleSet, Validator};
use super::surrogate;
use super::text::{Case, CaseMode, Gap, VisibleText, Word, fold_case, upcase_char, words_and_mode};
use crate::phi::Label;

/// One detected identifier (byte offsets into the original text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Label.
    pub label: Label,
    /// Which rule, gazetteer or context fired.
    pub rule: Arc<str>,
    /// Gender of a given name, when known.
    pub gender: Gender,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Register = 0,
    Rule = 1,
    Gazetteer = 2,
    Context = 3,
}

#[derive(Clone, Debug)]
struct Cand {
    start: usize,
    end: usize,
    label: Label,
    rule: Arc<str>,
    source: Source,
    gender: Gender,
}

/// Rule names of the built-in detectors that are not pattern rules.
struct Names {
    given: Arc<str>,
    surname: Arc<str>,
    place: Arc<str>,
    street: Arc<str>,
    institution: Arc<str>,
    title: Arc<str>,
    relation: Arc<str>,
    shape: Arc<str>,
    initial: Arc<str>,
    cue: Arc<str>,
    farm: Arc<str>,
    same: Arc<str>,
    residence: Arc<str>,
    toponym: Arc<str>,
    ending: Arc<str>,
    age: Arc<str>,
    list: Arc<str>,
    inverted: Arc<str>,
}

/// Everything needed to find identifiers in notes; built once, shared by
/// all threads.
pub struct Detector {
    rules: RuleSet,
    gaz: Gazetteer,
    register: Option<Register>,
    names: Names,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.rules.rules().len())
            .field("register", &self.register.as_ref().map(|r| r.len()))
            .finish()
    }
}

/// One note as the word-level detectors read it: the text, its
/// case-folded copy (same offsets), its case style, its words, their
/// lookups and the gazetteer's hits (in order, apart).
#[derive(Clone, Copy)]
struct Note<'a> {
    text: &'a str,
    lower: &'a str,
    mode: CaseMode,
    ws: &'a [Word],
    infos: &'a [WordInfo],
    ghits: &'a [GazHit],
}

/// Whether `w` (a word of the note, as written; `info` its lookup) is a
/// clinical abbreviation (exact case: `CRP`, not `crp`).
fn is_abbreviation(info: &WordInfo, w: &str) -> bool {
    info.lex & lex::ABBREVIATION != 0 && shipped().abbreviations.contains(w)
}

impl Detector {
    /// The patient register, when one was given.
    pub fn register(&self) -> Option<&Register> {
        self.register.as_ref()
    }

    /// Combines compiled rules, gazetteer and an optional register.
    pub fn new(rules: RuleSet, gaz: Gazetteer, register: Option<Register>) -> Detector {
        Detector {
            rules,
            gaz,
            register,
            names: Names {
                given: Arc::from("gazetteer:given_names"),
                surname: Arc::from("gazetteer:surnames"),
                place: Arc::from("gazetteer:places"),
                street: Arc::from("gazetteer:streets"),
                institution: Arc::from("gazetteer:institutions"),
                title: Arc::from("context:title"),
                relation: Arc::from("context:relation"),
                shape: Arc::from("context:name_shape"),
                initial: Arc::from("context:initial"),
                cue: Arc::from("context:name_cue"),
                farm: Arc::from("context:farm_name"),
                same: Arc::from("context:same_name"),
                residence: Arc::from("context:residence"),
                toponym: Arc::from("context:toponym"),
                ending: Arc::from("context:family_name_shape"),
                age: Arc::from("context:age_in_brackets"),
                list: Arc::from("context:name_list"),
                inverted: Arc::from("context:family_name_first"),
            },
        }
    }

    /// The pattern rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds the identifiers in `text`, a note of patient `patient_id`,
    /// sorted by start, never overlapping.
    ///
    /// Invisible characters ([`super::text::is_invisible`]: zero-width spaces and
    /// joiners, word joiners, byte-order marks, soft hyphens) do not hide
    /// an identifier: detection runs on the text without them, and spans
    /// are mapped back to byte offsets of the original, covering the
    /// invisible characters inside an identifier so that its replacement
    /// removes them with it. HTML no-break spaces and line breaks
    /// (`Storgata&nbsp;5`, `24.06.<br>`) are read as the space or line
    /// break they show, the same way.
    pub fn detect(&self, text: &str, patient_id: &str) -> Vec<Detection> {
        let Some(view) = VisibleText::of(text) else {
            return self.detect_visible(text, patient_id);
        };
        let mut out = self.detect_visible(&view.text, patient_id);
        for d in &mut out {
            (d.start, d.end) = view.span_in_original(d.start, d.end);
        }
        out.retain(|d| d.end > d.start);
        out
    }

    fn detect_visible(&self, text: &str, patient_id: &str) -> Vec<Detection> {
        let lower = fold_case(text);
        let (ws, mode) = words_and_mode(text);
        let mut cands: Vec<Cand> = Vec::new();
        let mut ghits: Vec<GazHit> = Vec::new();
        let mut infos: Vec<WordInfo> = Vec::new();
        self.gaz.find(&lower, &ws, mode, &mut infos, &mut ghits);

        // In a lower-case note the rules that want a capitalised name
        // (`Lyngdal legesenter`, `legene på Stord`) see the listed names
        // capitalised; offsets stay the same.
        let recased = (mode == CaseMode::AllLower).then(|| capitalise_listed(text, &ws, &infos));
        let text_for_rules = recased.as_deref().unwrap_or(text);
        let mut rule_hits: Vec<RuleHit> = Vec::new();
        self.rules.find(text_for_rules, &lower, &mut rule_hits);
        // Spans of `before_place` rules, kept only before a place found.
        let mut before_place: Vec<(usize, usize, Arc<str>)> = Vec::new();
        for h in rule_hits {
            let text = text_for_rules;
            let rule = &self.rules.rules()[h.rule];
            let mut start = h.start;
            if matches!(
                rule.label,
                Label::CareUnit | Label::Address | Label::Location
            ) {
                // Trim ordinary words before a name (`Innlagt Lovisenberg
                // sykehus`, `legevakten i Drammen`), not a unit's own head
                // word before its place (`Post 2 øst`, `Legevakt Loabát`;
                // not `Legevakt Alta legesenter`, a heading's).
                let mut trimmed = start;
                while let Some(sp) = text[trimmed..h.end].find(' ') {
                    let first = &lower[trimmed..trimmed + sp];
                    let head_of_two =
                        || is_unit_head(first) && !text[trimmed + sp + 1..h.end].contains(' ');
                    if self.gaz.info(first).lex & lex::STOP != 0 && !head_of_two() {
                        trimmed += sp + 1;
                    } else {
                        break;
                    }
                }
                if text[trimmed..].starts_with(char::is_uppercase) {
                    start = trimmed;
                }
                if rule.label == Label::CareUnit {
                    start = self.unit_name_start(&lower[..h.end], start, &ghits);
                }
                // (A street before a valid postcode and its town, and the
                // town of the postcode before it, are ones in any case:
                // `adresse: storgata 12b, 7013 trondheim`.)
                let by_postcode = rule.spec.validator == Some(Validator::Postcode)
                    && match rule.label {
                        Label::Address => true,
                        Label::Location => {
                            town_of_postcode_before(&text[..start], &lower[start..h.end])
                        }
                        _ => false,
                    };
                // (Nor one that a keyword opens: `gnr. 12 bnr. 45`.)
                let by_keyword = rule.label == Label::Address
                    && surrogate::keyword_address(&lower[start..h.end]);
                // (An address abroad may start with its number: `12 rue
                // des Lilas`, `14 Elm Road`.)
                let numbered = rule.label == Label::Address
                    && text[start..].starts_with(|c: char| c.is_ascii_digit());
                if !text[start..].starts_with(|c: char| c.is_uppercase())
                    && !numbered
                    && mode == CaseMode::Normal
                    && rule.label != Label::CareUnit
                    && !by_postcode
                    && !by_keyword
                {
                    continue;
                }
                if start != h.start && !text[start..h.end].contains(' ') {
                    continue;
                }
            }
            // `Becks depresjonsinventar 21`: an eponym, not a street.
            if rule.label == Label::Address && self.eponym_phrase(&lower[start..h.end]) {
                continue;
            }
            let mut end = h.end;
            // A month or weekday is no name of anything but a date (`hytta
            // Fredag`).
            // (A name field's value is a name whatever it is: `Fornavn: Mai`.)
            if !matches!(
                rule.label,
                Label::Date | Label::PersonFirst | Label::PersonLast
            ) && dates::is_calendar_word(&lower[start..end])
            {
                continue;
            }
            if rule.spec.name_shaped {
                // After a weak cue the name ends before the first word that
                // follows names and that capitals hide (`XXL SPORT SIDEN
                // 2019`, `BAMA SOM LAGERMEDARBEIDER`), and it shows by its
                // case: no small first letter in an ordinary note (not
                // `jobber i oppvekstsektoren`), in a one-case note a word no
                // ordinary one (not `JOBBER I BARNEHAGE`).
                if let Some(sp) =
                    lower[start..end]
                        .match_indices(' ')
                        .map(|(sp, _)| sp)
                        .find(|&sp| {
                            let next = lower[start + sp + 1..end].split(' ').next();
                            is_in(AFTER_NAME_WORDS, next.unwrap_or_default())
                        })
                {
                    end = start + sp;
                }
                // Nor does it end in a function word or a verb (`NAV FROGNER
                // OM`, `NAV ALTA ER`).
                while let Some(sp) = lower[start..end].rfind(' ') {
                    let last = &lower[start + sp + 1..end];
                    if !is_in(FUNCTION_WORDS, last) && self.gaz.info(last).lex & lex::NAME_VERB == 0
                    {
                        break;
                    }
                    end = start + sp;
                }
                // (`nav Alta`, `Statens vegvesen`: a capital at one end.)
                let capital_at =
                    |w: Option<&str>| w.is_some_and(|w| w.starts_with(|c: char| !c.is_lowercase()));
                let named = match mode {
                    CaseMode::Normal => {
                        capital_at(text[start..end].split(' ').next())
                            || capital_at(text[start..end].rsplit(' ').next())
                    }
                    _ => Validator::NotPlainWords.check(&text[start..end], &text[start..end]),
                };
                if !named {
                    continue;
                }
            } else if matches!(rule.label, Label::Organisation | Label::CareUnit) {
                // Trim such words at the end only: inside a name with its
                // company form they are part of it (`Alt Til Hjemmet AS`);
                // a place of care may end in one (`Legene på Nå`). Nor
                // does a month or weekday end either (`Hospitalet Betanien
                // Desember 2009`).
                let whole = end;
                while let Some(sp) = text[start..end].rfind(' ') {
                    let last = &lower[start + sp + 1..end];
                    let after_name =
                        rule.label == Label::Organisation && is_in(AFTER_NAME_WORDS, last);
                    if !after_name && !dates::is_calendar_word(last) {
                        break;
                    }
                    end = start + sp;
                }
                // (Not the head word alone: `Hospitalet Mai 2023`.)
                if end != whole && !text[start..end].contains(' ') {
                    continue;
                }
            }
            if rule.spec.before_place {
                before_place.push((start, end, rule.name.clone()));
            }
            cands.push(Cand {
                start,
                end,
                label: rule.label,
                rule: rule.name.clone(),
                source: Source::Rule,
                gender: Gender::Unknown,
            });
        }

        drop_years_before_post_towns(&lower, &mut cands);
        drop_statute_and_form_dates(&lower, &mut cands);
        dates_from_their_weekdays(text, &mut cands);

        if let Some(reg) = &self.register {
            let mut hits = Vec::new();
            reg.find(patient_id, text, &mut hits);
            for h in hits {
                cands.push(Cand {
                    start: h.start,
                    end: h.end,
                    label: h.label,
                    rule: h.rule,
                    source: Source::Register,
                    gender: Gender::Unknown,
                });
            }
        }

        let note = Note {
            text,
            lower: &lower,
            mode,
            ws: &ws,
            infos: &infos,
            ghits: &ghits,
        };
        self.names_and_places(note, &mut cands);
        if mode == CaseMode::Normal {
            self.residences(&lower, &ws, &infos, &mut cands);
        }
        self.toponyms(&lower, mode, &ws, &infos, &mut cands);
        self.family_names_by_shape(note, &mut cands);

        if !before_place.is_empty() {
            drop_units_not_before_places(text, &before_place, &mut cands);
        }
        let mut out = resolve(cands);
        for d in &mut out {
            if d.label == Label::PersonFirst && d.gender == Gender::Unknown {
                d.gender = self.gender_of(&lower[d.start..d.end]);
            }
        }
        if mode == CaseMode::Normal {
            self.names_in_lists(text, &lower, &ws, &infos, &mut out);
        }
        self.same_names(lower.as_str(), mode, &ws, &infos, &mut out);
        if mode == CaseMode::Normal {
            self.given_names_after_family_names(text, &lower, &ws, &infos, &mut out);
        }
        self.ages_after_names(&lower, &mut out);
        if mode == CaseMode::Normal {
            self.initials_after_names(text, &mut out);
        }
        out
    }

    /// Names in a list with a name found, words as well as names.
    /// - Given names joined by slashes, commas or `og` to a given name
    ///   found (`Vaktlag natt: Lise/Tor/Maja`, the staff of a shift; `Til
    ///   stede: Kari, Per og Mona`): each capitalised listed given name of
    ///   the list (`Tor`, `Per`). A list without a given name found stays
    ///   words (`Natt/Dag`, `Hansen/Dag`, `01.02.2023/Tor`, `Oslo/Stein`,
    ///   `Sol, sommer og Liv`).
    /// - Family names joined by slashes, commas or `og` to a family name
    ///   found (`Visitt ved Bjørnstad, Ruud og Nilsen`, `Mathisen/Eide`):
    ///   each capitalised listed family name of the list that opens no
    ///   sentence.
    fn names_in_lists(
        &self,
        text: &str,
        lower: &str,
        ws: &[Word],
        infos: &[WordInfo],
        out: &mut Vec<Detection>,
    ) {
        let covered = |w: &Word, out: &[Detection]| !overlapping(out, w.start, w.end).is_empty();
        let mut added = Vec::new();
        let mut added_at = std::collections::HashSet::new();
        for (label, kind, joins, og) in [
            (Label::PersonFirst, kind::GIVEN, &["/", ", "][..], true),
            // (A hyphen joins the parts of one name: `Aas-Eng og Dahl`.)
            (
                Label::PersonLast,
                kind::SURNAME,
                &["/", ", ", "-"][..],
                true,
            ),
        ] {
            let between = |a: usize, b: usize| &text[ws[a].end..ws[b].start];
            // The next member of a list after word `j`: the word joined to
            // it, or the word after `og`.
            let next = |j: usize| -> Option<usize> {
                if j + 1 < ws.len() && joins.contains(&between(j, j + 1)) {
                    return Some(j + 1);
                }
                (og && j + 2 < ws.len()
                    && &lower[ws[j + 1].start..ws[j + 1].end] == "og"
                    && between(j, j + 1) == " "
                    && between(j + 1, j + 2) == " ")
                    .then_some(j + 2)
            };
            let found = |j: usize| {
                overlapping(out, ws[j].start, ws[j].end)
                    .iter()
                    .any(|d| d.label == label)
            };
            let mut k = 0;
            while k < ws.len() {
                // Most words open no list: nothing to gather.
                let Some(second) = next(k) else {
                    k += 1;
                    continue;
                };
                let mut list = vec![k, second];
                while let Some(n) = list.last().and_then(|&j| next(j)) {
                    list.push(n);
                }
                k = list.last().map_or(k, |&j| j) + 1;
                if !list.iter().any(|&j| found(j)) {
                    continue;
                }
                for j in list {
                    let w = &ws[j];
                    let listed = infos[j].entry.is_some_and(|e| e.is(kind));
                    let opens = matches!(w.gap, Gap::Start | Gap::Sentence);
                    // (`Ringte Anne, Dag 3 postoperativt`: a word before a
                    // number.)
                    let counted = ws
                        .get(j + 1)
                        .is_some_and(|n| n.numeric && n.gap == Gap::Space);
                    if listed
                        && w.case == Case::Title
                        && !counted
                        && !(label == Label::PersonLast && opens)
                        && !covered(w, out)
                        && added_at.insert(w.start)
                    {
                        added.push(Detection {
                            start: w.start,
                            end: w.end,
                            label,
                            rule: self.names.list.clone(),
                            gender: if label == Label::PersonFirst {
                                self.gender_of(&lower[w.start..w.end])
                            } else {
                                Gender::Unknown
                            },
                        });
                    }
                }
            }
        }
        merge(out, added);
    }

    /// A given name after a family name found and a comma, where the
    /// names end their field (`Godkjent av Solberg, Tone 15.05.2023`,
    /// `Hansen, Liv (fnr …)`): a capitalised listed given name, words as
    /// well as names, followed by the end of the line, a bracket, or a
    /// date or identity found (not `Olsen, Dag 2 etter operasjon`, nor a
    /// weekday or month before a date: `Berg, Tor 12.05`).
    fn given_names_after_family_names(
        &self,
        text: &str,
        lower: &str,
        ws: &[Word],
        infos: &[WordInfo],
        out: &mut Vec<Detection>,
    ) {
        let mut added = Vec::new();
        for (k, w) in ws.iter().enumerate().skip(1) {
            let given = infos[k].entry.is_some_and(|e| e.is(kind::GIVEN));
            if !given || w.case != Case::Title || &text[ws[k - 1].end..w.start] != ", " {
                continue;
            }
            let family_before = overlapping(out, ws[k - 1].start, ws[k - 1].end)
                .iter()
                .any(|d| d.label == Label::PersonLast && d.end == ws[k - 1].end);
            let covered = !overlapping(out, w.start, w.end).is_empty();
            let rest = text[w.end..].trim_start_matches([' ', '\t', '\u{a0}']);
            // A number only where a date or an identity starts (not `Olsen,
            // Dag 2 etter operasjon`), and no weekday or month before it
            // (`Berg, Tor 12.05`).
            let at = text.len() - rest.len();
            let identity_at = out
                .get(out.partition_point(|d| d.start < at))
                .is_some_and(|d| {
                    d.start == at
                        && matches!(
                            d.label,
                            Label::Date | Label::NationalId | Label::Phone | Label::RecordNumber
                        )
                });
            let calendar = is_in(
                &["tor", "man", "ons", "fre", "mai", "jun", "jul"],
                &lower[w.start..w.end],
            );
            let field_ends = rest.is_empty()
                || rest.starts_with(['\n', '\r', '('])
                || (identity_at && !calendar);
            if family_before && !covered && field_ends {
                added.push(Detection {
                    start: w.start,
                    end: w.end,
                    label: Label::PersonFirst,
                    rule: self.names.inverted.clone(),
                    gender: self.gender_of(&lower[w.start..w.end]),
                });
            }
        }
        merge(out, added);
    }

    /// Initials in brackets right after the full name they stand for
    /// (`Lars Øvrebø (LØ)`, `Ole-Martin Frøyland (OMF)`, `Kjersti Lie
    /// (KL)`): two to four capitals, the first letters of the name's parts
    /// in order; not an abbreviation after a name (`Hansen (KOLS)`).
    fn initials_after_names(&self, text: &str, out: &mut Vec<Detection>) {
        let mut added = Vec::new();
        for (k, d) in out.iter().enumerate() {
            if d.label != Label::PersonLast {
                continue;
            }
            let Some(inner) = text[d.end..]
                .strip_prefix(" (")
                .and_then(|r| r.split_once(')'))
                .map(|(inner, _)| inner)
            else {
                continue;
            };
            let n = inner.chars().count();
            if !(2..=4).contains(&n) || !inner.chars().all(char::is_uppercase) {
                continue;
            }
            // The person: this family name and the names right before it.
            let mut start = d.start;
            let mut j = k;
            while j > 0
                && matches!(out[j - 1].label, Label::PersonFirst | Label::PersonLast)
                && text[out[j - 1].end..start]
                    .chars()
                    .all(|c| c == ' ' || c == '-')
            {
                j -= 1;
                start = out[j].start;
            }
            // (A full name, not an eponym's chain: `Wolff-Parkinson-White
            // (WPW)`.)
            if !text[start..d.end].contains(' ') {
                continue;
            }
            let letters: String = text[start..d.end]
                .split([' ', '-'])
                .filter_map(|part| part.chars().next())
                .flat_map(char::to_uppercase)
                .collect();
            if letters == inner {
                let at = d.end + 2;
                added.push(Detection {
                    start: at,
                    end: at + inner.len(),
                    label: Label::PersonFirst,
                    rule: self.names.initial.clone(),
                    gender: Gender::Unknown,
                });
            }
        }
        merge(out, added);
    }

    /// Ages right after a person's name: in brackets (`Eirik (12)`,
    /// `Ingrid Bergmo (34)`, `(Markus, 11)`, `Tora (snart 4)`, a baby's
    /// `Tiril (10 mnd)`), or after a comma or a space with `år` after a
    /// full name (`Trygve Helland, 95 år:`, `Geir Mikalsen 59 år, NSTEMI`,
    /// `Lina Khalil, 2 år og 3 mnd`; after a space only where the phrase
    /// ends there), after a copula with `år` where the phrase ends or goes
    /// on with `og` or `gammel` (`Sverre er 78 år og`), or a baby's age in months, weeks or days after a full
    /// name and a comma (`Emil Nilsen, 6 uker.`). The
    /// name is a given name, or a family name right after one: a family
    /// name alone is often a doctor's, and the number a reference (`dr.
    /// Olsen (1)`, `Kontroll hos Hansen (2)`). A bare number in brackets is under 110
    /// (not `Berg (112)`), alone in them (after `snart`, `nå` or `ca.`),
    /// or after the name and a comma inside them; not `Hansen (2019)` nor
    /// `Kari (17 kg)`. `lower` is the case-folded note, whose offsets are
    /// the note's.
    fn ages_after_names(&self, lower: &str, out: &mut Vec<Detection>) {
        fn strip_before_age(rest: &str) -> &str {
            const BEFORE_AGE: &[&str] = &["snart ", "nå ", "no ", "ca. ", "ca "];
            BEFORE_AGE
                .iter()
                .find_map(|w| rest.strip_prefix(w))
                .unwrap_or(rest)
        }
        const YEARS: &[&str] = &["år", " år"];
        const WEEKS_DAYS: &[&str] = &[" uker", " veker", " dager", " dagar", " døgn"];
        let mut added = Vec::new();
        for (k, d) in out.iter().enumerate() {
            let after_given = k > 0
                && out[k - 1].label == Label::PersonFirst
                && lower[out[k - 1].end..d.start]
                    .chars()
                    .all(|c| c == ' ' || c == '-');
            let named =
                d.label == Label::PersonFirst || (d.label == Label::PersonLast && after_given);
            if !named {
                continue;
            }
            let full_name = d.label == Label::PersonLast && after_given;
            // A baby's age in weeks or days only where the name is no
            // object of a preposition nor a title's, and in months in
            // brackets not after a title (`Kontroll hos Kari Berg, 2 uker`,
            // `fysioterapeut Per Olsen, 6 uker`, `Permisjon med Ola (3
            // dager)`): there the number is an interval.
            let name_start = if after_given {
                out[k - 1].start
            } else {
                d.start
            };
            let word_before = lower[..name_start]
                .trim_end_matches(|c: char| !c.is_alphanumeric())
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default();
            let after_title = self.gaz.info(word_before).lex & (lex::TITLE | lex::DOT_TITLE) != 0;
            let baby_age_may_follow = !is_in(FUNCTION_WORDS, word_before) && !after_title;
            let after = &lower[d.end..];
            // `Sverre er 78 år og`: a copula between the name and its age.
            let copula = [" er ", " var ", " blir ", " ble ", " vert ", " vart "]
                .iter()
                .find_map(|c| after.strip_prefix(c))
                .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
            // The text after the name, whether a unit must follow the
            // number, and whether the phrase must end after it.
            let (inner, with_unit, ends_phrase) = if let Some(rest) = [" (", "\u{a0}(", "("]
                .iter()
                .find_map(|p| after.strip_prefix(p))
            {
                // `Eirik (12)`: the brackets hold the age alone.
                (strip_before_age(rest), false, false)
            } else if let Some(rest) = copula {
                // (`år` and the end of the phrase, `og` or `gammel` after it:
                // not `Ola er 3 år eldre`.)
                (rest, true, true)
            } else if let Some(rest) = after.strip_prefix(' ').filter(|_| full_name) {
                // `Geir Mikalsen 59 år, NSTEMI`: after a full name, with
                // `år` and the end of the phrase.
                (rest, true, true)
            } else if let Some(rest) = after.strip_prefix(", ") {
                // `(Markus, 11)`: the name opened the brackets; `Helland,
                // 95 år`: the age says so.
                let open = lower[..d.start]
                    .trim_end_matches(|c: char| c.is_alphabetic() || c == ' ' || c == '-');
                let bracketed = open.ends_with('(');
                // (A given name alone before `, N år` may be a word read as
                // one: `Hypertensjon, 5 år:`.)
                if !(bracketed || full_name) {
                    continue;
                }
                (strip_before_age(rest), !bracketed, false)
            } else {
                continue;
            };
            let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
            let Ok(n) = inner[..digits].parse::<u32>() else {
                continue;
            };
            if digits > 3 {
                continue;
            }
            let tail = &inner[digits..];
            let phrase_ends = |t: &str| {
                t.is_empty()
                    || t.starts_with([',', '.', ';', ':', ')', '\n'])
                    || t.starts_with(" –")
                    || t.starts_with(" -")
                    || (copula.is_some()
                        && [" og ", " gammel", " gamal"]
                            .iter()
                            .any(|w| t.starts_with(w)))
            };
            // The unit that follows the number, if it ends a word there.
            let unit_in = |units: &[&str]| {
                units
                    .iter()
                    .find(|u| {
                        tail.starts_with(**u) && !tail[u.len()..].starts_with(char::is_alphanumeric)
                    })
                    .map(|u| u.len())
            };
            let len = if with_unit {
                // (A baby's age in months only after a full name and a comma:
                // `Lana Al-Hassan, 14 månader,`; not `Marevan, 3 måneder`;
                // in weeks or days only where the phrase ends after them:
                // not `Ola Hansen, 3 uker etter operasjonen`.)
                let baby = full_name && !ends_phrase;
                let unit = unit_in(YEARS)
                    .map(|u| u + months_after_years(&tail[u..]))
                    .or_else(|| unit_in(AGE_MONTHS).filter(|_| baby))
                    .filter(|&u| !ends_phrase || phrase_ends(&tail[u..]))
                    .or_else(|| {
                        unit_in(WEEKS_DAYS)
                            .filter(|&u| baby && baby_age_may_follow && phrase_ends(&tail[u..]))
                    });
                match unit {
                    Some(u) => digits + u,
                    None => continue,
                }
            } else if tail.starts_with(')') && n < 110 {
                digits
            } else if let Some(u) = unit_in(AGE_MONTHS)
                .or_else(|| unit_in(WEEKS_DAYS).filter(|_| baby_age_may_follow))
                .filter(|&u| !after_title && tail[u..].starts_with(')'))
            {
                // `Tiril (10 mnd)`, `mor til Lucas (2 mnd)`, `Sander (5
                // uker)`; not `Permisjon med Ola (3 dager)`.
                digits + u
            } else {
                continue;
            };
            let start = d.end + (after.len() - inner.len());
            let end = start + len;
            let next_start = out.get(k + 1).map_or(usize::MAX, |n| n.start);
            if end <= next_start {
                added.push(Detection {
                    start,
                    end,
                    label: Label::Age,
                    rule: self.names.age.clone(),
                    gender: Gender::Unknown,
                });
            }
        }
        merge(out, added);
    }

    /// Where the name of a care unit that ends in its head word starts
    /// (`lower[start..]`): after the last preposition inside it, unless
    /// that is `i` or `på` joining a listed place to its region (`Leira i
    /// Valdres sykehjem`) or inside a place the gazetteer found whole
    /// (`Hellevik i Fjaler sykehjem`; `ghits`). Not after ordinary words
    /// (`Rehabilitering på Sunnaas sykehus`, `KORTTIDSPLASS PÅ
    /// SYKEHJEM`) nor inside a head of several words (`bo- og
    /// behandlingssenter`).
    fn unit_name_start(&self, lower: &str, start: usize, ghits: &[GazHit]) -> usize {
        let span = &lower[start..];
        if !span.rsplit(' ').next().is_some_and(is_unit_head) {
            return start;
        }
        let words: Vec<(usize, &str)> = span
            .split(' ')
            .scan(0, |at, w| {
                let here = *at;
                *at += w.len() + 1;
                Some((here, w))
            })
            .collect();
        let mut from = start;
        for k in 1..words.len().saturating_sub(1) {
            let (at, w) = words[k];
            let prev = words[k - 1].1;
            if !is_in(FUNCTION_WORDS, w) || w == "og" || prev.ends_with('-') {
                continue;
            }
            let prev_at = start + words[k - 1].0;
            let joins = matches!(w, "i" | "på")
                && (self
                    .gaz
                    .lookup(prev)
                    .is_some_and(|e| e.is(kind::PLACE | kind::INSTITUTION))
                    || ghits
                        .iter()
                        .any(|g| g.start == prev_at && g.end > start + at + w.len()));
            if !joins {
                from = start + at + w.len() + 1;
            }
        }
        from
    }

    /// Where someone lives, grew up, was born or moved: capitalised words
    /// after a residence verb and its preposition in an ordinary note
    /// (`bor på Majorstua`, `vokste opp i Nord-Odal`, `kommer fra
    /// Bamako`), or after a noun of places (`kommunen Vinje`, `hjembyen
    /// Harstad`), are a place, LOCATION. Not a stop word (countries: `født i
    /// Polen`), a unit word (`kommer fra Legevakten`), an abbreviation or
    /// a number; at most three words. (Without such a verb or noun, see
    /// [`Detector::toponyms`].)
    fn residences(&self, lower: &str, ws: &[Word], infos: &[WordInfo], cands: &mut Vec<Cand>) {
        let folded = |w: &Word| &lower[w.start..w.end];
        // A capitalised word of a place name; a stop word only before a
        // hyphen (`Nord-Odal`, not `Nord-Korea`).
        let part = |k: usize| {
            let w = &ws[k];
            w.case == Case::Title
                && !w.numeric
                && infos[k].lex & (lex::ABBREVIATION | lex::TITLE | lex::RELATION) == 0
                && !is_unit_word(folded(w))
        };
        let stop = |k: usize| infos[k].lex & lex::STOP != 0;
        let hyphen_next = |k: usize| ws.get(k + 1).is_some_and(|w| w.gap == Gap::Hyphen);
        // The place's first word is capitalised and follows a space: the
        // cheap test, asked of every word, comes first.
        for first in 1..ws.len() {
            if ws[first].case != Case::Title || ws[first].gap != Gap::Space {
                continue;
            }
            let before = first - 1;
            let word = folded(&ws[before]);
            let cued = if is_in(RESIDENCE_PREPS, word) {
                // `bor på`, `vokste opp i`, `bor alene i leilighet på`: the
                // verb, with up to four lower-case words between, all
                // spaced; `kommer` and `kjem` with one at most (`kommer
                // hjem fra`, not `kjem eigentleg medlemene i`).
                let verb_at = |v: usize| {
                    let verb = folded(&ws[v]);
                    is_in(RESIDENCE_VERBS, verb)
                        && (before - v <= 2 || !is_in(MOTION_RESIDENCE_VERBS, verb))
                };
                let spaced = |k: usize| ws[k].gap == Gap::Space;
                (1..=MAX_WORDS_AFTER_RESIDENCE_VERB + 1)
                    .take_while(|&back| {
                        let k = before + 1 - back;
                        back <= before
                            && spaced(k)
                            && (back == 1
                                || (ws[k].case == Case::Lower
                                    && !is_in(CLAUSE_WORDS, folded(&ws[k]))))
                    })
                    .any(|back| verb_at(before - back))
            } else {
                // `kommunen Vinje`, `Heimkommunen Vinje`
                let w = &ws[before];
                (w.case == Case::Lower
                    || (w.case == Case::Title && name_cues::opens_sentence(ws, before)))
                    && is_or_ends_in(PLACE_NOUNS, word, 3)
            };
            if !cued {
                continue;
            }
            let mut last = first;
            while last + 1 < ws.len()
                && last + 1 - first < 3
                && matches!(ws[last + 1].gap, Gap::Space | Gap::Hyphen)
                && part(last + 1)
                && (!stop(last + 1) || hyphen_next(last + 1))
            {
                last += 1;
            }
            let ok = |k: usize| part(k) && (!stop(k) || (k < last && hyphen_next(k)));
            if !(first..=last).all(ok) {
                continue;
            }
            cands.push(Cand {
                start: ws[first].start,
                end: ws[last].end,
                label: Label::Location,
                rule: self.names.residence.clone(),
                source: Source::Context,
                gender: Gender::Unknown,
            });
        }
    }

    /// One word unknown to the lists and to Norwegian that is shaped like
    /// a place name, after a place preposition, is a place, LOCATION (`fra
    /// Olderfjord`, `ved Biedjovággi`, `sør for Láhpoluoppal`;
    /// [`SAMI_LETTERS`], [`has_toponym_ending`], [`TOPONYM_PREPS`]): capitalised and not
    /// before another capitalised word in an ordinary note; in a note in
    /// one case only a word with a Sámi letter (`BOR ALENE PÅ
    /// BIESKENJÁRGA`), whose endings alone say too little there.
    fn toponyms(
        &self,
        lower: &str,
        mode: CaseMode,
        ws: &[Word],
        infos: &[WordInfo],
        cands: &mut Vec<Cand>,
    ) {
        for first in 1..ws.len() {
            let w = &ws[first];
            let cased = match mode {
                CaseMode::Normal => w.case == Case::Title,
                _ => w.case != Case::Other,
            };
            if !cased || w.gap != Gap::Space || w.numeric {
                continue;
            }
            let before = &lower[ws[first - 1].start..ws[first - 1].end];
            let prep = is_in(TOPONYM_PREPS, before);
            // (A Sámi word also after `for`, `mot` and `til`: `sør for
            // Láhpoluoppal`.)
            if !prep && !matches!(before, "for" | "mot" | "til") {
                continue;
            }
            let word = &lower[w.start..w.end];
            let sami = word.contains(SAMI_LETTERS);
            let after_prep = prep || sami;
            let shaped = sami || (mode == CaseMode::Normal && has_toponym_ending(word));
            let next_free = ws.get(first + 1).is_none_or(|n| {
                n.gap != Gap::Hyphen
                    && !(mode == CaseMode::Normal && n.gap == Gap::Space && n.case == Case::Title)
            });
            if after_prep
                && shaped
                && next_free
                && infos[first].entry.is_none()
                && infos[first].lex == 0
                && !is_unit_word(word)
                && ordinary_word(word).is_none()
                && !is_medical_head(word)
            {
                cands.push(Cand {
                    start: w.start,
                    end: w.end,
                    label: Label::Location,
                    rule: self.names.toponym.clone(),
                    source: Source::Context,
                    gender: Gender::Unknown,
                });
            }
        }
    }

    /// A capitalised word inside a sentence of an ordinary note that no
    /// list knows is a family name, PERSON_LAST, where it ends like one
    /// (`mellom Knausgård og`, `Søvnløs Svindal`, `sa Atabajev`;
    /// [`family_name_shape`]) or is a genitive before a relation (`Diarras
    /// kone`); after `i` or `på`, a place (`på Tjørnhaug`). In a note in
    /// one case, a word in that case by its ending (`samtale med kozlov`).
    ///
    /// A sentence's first word, whose capital says nothing, only by its
    /// ending before a verb that follows names (`Atabajev har`) or as a
    /// genitive before a relation (`Popescus datter ringte`); none after a
    /// bracket, quote or colon; not before a hyphen, a number or a
    /// word in capitals (`Gartland-klassifikasjonen`, `Schatzker 2`,
    /// `Folstein MMS`), nor an eponym's before what it names (`Epleys
    /// manøver`, `Homans' tegn`); no listed word, even with a genitive `s`
    /// (`Sletvolds`) but one found only without its accents (`Kovačević`),
    /// nor an ordinary, unit or title word,
    /// nor an agency's name in the definite form (`Helsedirektoratets
    /// veileder`).
    fn family_names_by_shape(&self, note: Note, cands: &mut Vec<Cand>) {
        let Note {
            text,
            lower,
            mode,
            ws,
            infos,
            ghits,
        } = note;
        let cased = match mode {
            CaseMode::Normal => Case::Title,
            CaseMode::AllLower => Case::Lower,
            CaseMode::AllCaps => Case::Upper,
        };
        for (k, w) in ws.iter().enumerate() {
            let opening = name_cues::opens_sentence(ws, k);
            if w.case != cased
                || !(opening || matches!(w.gap, Gap::Space | Gap::Comma))
                || w.numeric
                || w.end - w.start < 5
                || infos[k].entry.is_some()
                || infos[k].lex != 0
            {
                continue;
            }
            // A sentence's first word only before a verb that follows
            // names (`Atabajev har`, `Bjurstrøm sa`), or as a genitive
            // before a relation (`Popescus datter ringte`).
            let before_relation = name_cues::genitive_before_relation(ws, infos, lower, k);
            if opening
                && !before_relation
                && !ws.get(k + 1).is_some_and(|n| {
                    n.gap == Gap::Space
                        && infos[k + 1].lex & (lex::NAME_VERB | lex::SPEECH | lex::QUOTE_VERB) != 0
                })
            {
                continue;
            }
            let next = ws.get(k + 1);
            let spaced_next = next.filter(|n| matches!(&lower[w.end..n.start], " " | "' " | "’ "));
            if next.is_some_and(|n| n.gap == Gap::Hyphen || n.numeric)
                || spaced_next.is_some_and(|n| {
                    (mode == CaseMode::Normal && n.case == Case::Upper)
                        || is_medical_head(&lower[n.start..n.end])
                })
            {
                continue;
            }
            let word = &lower[w.start..w.end];
            // A genitive names a person before a relation (`Diarras kone`,
            // `Popescus datter`); before anything else
            // it is as often a drug's, a firm's or an eponym's (`Xareltos
            // effekt`, `Equinors ansatte`, `Glanzmanns trombasteni`).
            let before_other_word = spaced_next.is_some_and(|n| {
                (mode != CaseMode::Normal || n.case == Case::Lower) && !before_relation
            });
            // (not `Høyres velgere`, `Pasientens kone`, `Fastlegens mor`,
            // `Hjemmesykepleiens kontakt`)
            let genitive = || {
                mode == CaseMode::Normal
                    && before_relation
                    && word.strip_suffix('s').is_some_and(|stem| {
                        stem.chars().count() >= 4
                            && ordinary_word(stem).is_none()
                            && !is_in(WORD_GENITIVES, stem)
                            && !name_cues::definite_form_shape(stem)
                            // (the definite form of an ordinary noun: `Tolkens`)
                            && !["en", "et", "a"].iter().any(|e| {
                                stem.strip_suffix(e)
                                    .is_some_and(|noun| ordinary_word(noun).is_some())
                            })
                    })
            };
            // The name ends before a genitive `s` (`Knausgårds`, `Diarras`).
            let Some(len) = family_name_shape(word).or_else(|| genitive().then(|| word.len() - 1))
            else {
                continue;
            };
            let end = w.start + len;
            // (`ad modum Wiberg`: a method's author)
            if (end < w.end && before_other_word)
                || (k > 0 && &lower[ws[k - 1].start..ws[k - 1].end] == "modum")
            {
                continue;
            }
            // (Small letters after the first: not `NATOs`, `McCain`.)
            if !word.chars().all(char::is_alphabetic)
                || (mode == CaseMode::Normal && inner_capital(text, w))
                || is_country(word)
                || word.strip_suffix('s').is_some_and(is_country)
                || shipped().eponyms.contains(&word[..len])
                || ordinary_word(word).is_some()
                || name_cues::common_word_shape(word)
                || is_unit_word(word)
                || is_compound_title(word)
                // (the hits are in order and apart)
                || ghits[ghits.partition_point(|h| h.poss_end <= w.start)..]
                    .first()
                    .is_some_and(|h| h.start <= w.start && !h.unaccented)
            {
                continue;
            }
            // (Not a genitive: `i Hitlers tekst`.)
            let place = end == w.end
                && k > 0
                && w.gap == Gap::Space
                && matches!(&lower[ws[k - 1].start..ws[k - 1].end], "i" | "på");
            cands.push(Cand {
                start: w.start,
                end,
                label: if place {
                    Label::Location
                } else {
                    Label::PersonLast
                },
                rule: self.names.ending.clone(),
                source: Source::Context,
                gender: Gender::Unknown,
            });
        }
    }

    /// A name found anywhere in the note is the same name wherever else
    /// the note writes it (`dr. Robolis` … `avtales med Robolis`, `Euna
    /// er bekymret`): the word or its possessive, where no detection
    /// covers it, with the label and gender found first.
    ///
    /// Not propagated: words of one or two letters, common words, abbreviations
    /// and eponyms (`Hansens sykdom`), names a one-case note shows by
    /// their shape alone; a name that is also an ordinary word (`Liv`,
    /// `Berg`) only when capitalised inside a sentence of an
    /// ordinary note; in ordinary notes only capitalised words (`Robolis`,
    /// not `robolis` or a heading's `ROBOLIS`).
    fn same_names(
        &self,
        lower: &str,
        mode: CaseMode,
        ws: &[Word],
        infos: &[WordInfo],
        out: &mut Vec<Detection>,
    ) {
        /// A name found, as the note repeats it.
        struct Found<'a> {
            /// The case-folded word.
            word: &'a str,
            label: Label,
            gender: Gender,
            /// Also an ordinary word (`Liv`, `Berg`).
            weak: bool,
            /// Also a function word (`Per`, `Dag`).
            function: bool,
        }
        let mut names: Vec<Found> = Vec::new();
        for d in out.iter() {
            // In a one-case note a name by its shape alone is too weak to
            // repeat (`elles ein`).
            let shape_only = mode != CaseMode::Normal && *d.rule == *self.names.shape;
            if !matches!(d.label, Label::PersonFirst | Label::PersonLast) || shape_only {
                continue;
            }
            let from = ws.partition_point(|w| w.start < d.start);
            for (w, info) in ws[from..].iter().zip(&infos[from..]) {
                if w.start >= d.end {
                    break;
                }
                let f = &lower[w.start..w.end];
                // (A common word that is also a given name, found as one,
                // repeats as other such names do: `Per`, `Sol`, `Mai`.)
                let function = info.lex & lex::STOP != 0;
                let banned = function && !info.entry.is_some_and(|e| e.is(kind::GIVEN))
                    || info.lex & lex::ABBREVIATION != 0
                    || info.entry.is_some_and(|e| e.is(kind::EPONYM))
                    || w.numeric;
                if w.end > d.end || f.chars().nth(2).is_none() || banned {
                    continue;
                }
                if names.iter().all(|n| n.word != f) {
                    names.push(Found {
                        word: f,
                        label: d.label,
                        gender: d.gender,
                        weak: info.entry.is_some_and(|e| e.is(kind::WEAK)),
                        function,
                    });
                }
            }
        }
        if names.is_empty() {
            return;
        }
        // `Rune har brukt`, `tone kommer`, `Per sin bil`: a verb with the
        // name as its subject, or a possessive, after the word.
        let subject = |k: usize| {
            ws.get(k + 1).is_some_and(|n| {
                n.gap == Gap::Space
                    && (infos[k + 1].lex & (lex::NAME_VERB | lex::SPEECH) != 0
                        || is_in(POSSESSIVES, &lower[n.start..n.end]))
            })
        };
        let mut added = Vec::new();
        let mut next = 0;
        for (k, w) in ws.iter().enumerate() {
            // The case first: it rules out most words of an ordinary note.
            if mode == CaseMode::Normal && w.case != Case::Title {
                continue;
            }
            while next < out.len() && out[next].end <= w.start {
                next += 1;
            }
            if next < out.len() && out[next].start < w.end {
                continue;
            }
            let f = &lower[w.start..w.end];
            // Lengths and first bytes before the words themselves.
            let same = |n: &str| {
                n.as_bytes().first() == f.as_bytes().first()
                    && (f.len() == n.len() || f.len() == n.len() + 1)
                    && (f == n || f.strip_suffix('s') == Some(n))
            };
            let Some(&Found {
                label,
                gender,
                weak,
                function,
                ..
            }) = names.iter().find(|n| same(n.word))
            else {
                continue;
            };
            // A function word is a name again only where no word before
            // and no number next to it makes it one (`neste dag`, `i Mai`,
            // `Dag 2`, `x 4 Per os`).
            let inside = k > 0 && !matches!(ws[k].gap, Gap::Sentence | Gap::Start);
            if function
                && (inside
                    && (infos[k - 1].lex & (lex::STOP | lex::PLACE_PREP) != 0 || ws[k - 1].numeric)
                    || ws.get(k + 1).is_some_and(|n| n.numeric))
            {
                continue;
            }
            // A name that is also a word repeats where its case shows a
            // name, or where a verb with it as subject follows it.
            if weak && (mode != CaseMode::Normal || name_cues::opens_sentence(ws, k)) && !subject(k)
            {
                continue;
            }
            if ws
                .get(k + 1)
                .is_some_and(|n| is_medical_head(&lower[n.start..n.end]))
            {
                continue;
            }
            added.push(Detection {
                start: w.start,
                end: w.end,
                label,
                rule: self.names.same.clone(),
                gender,
            });
        }
        merge(out, added);
    }

    fn gender_of(&self, folded: &str) -> Gender {
        let first = folded
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or("");
        let stem = first.strip_suffix('s').unwrap_or(first);
        self.gaz
            .lookup(first)
            .or_else(|| self.gaz.lookup(stem))
            .filter(|e| e.is(kind::GIVEN))
            .map_or(Gender::Unknown, |e| e.gender)
    }

    fn names_and_places(&self, note: Note, cands: &mut Vec<Cand>) {
        let Note {
            text,
            lower,
            mode,
            ws,
            infos,
            ghits,
        } = note;
        // Gazetteer entries per word (single-word entries), multi-word
        // entries straight to candidates.
        let mut entry: Vec<Option<(Entry, usize)>> = vec![None; ws.len()];
        // Names that a one-case note has only after a title or relation
        // (below): given names only abroad, and names found without their
        // accents.
        let mut cued_only: Vec<(usize, Entry, usize)> = Vec::new();
        let case_ok = |w: &Word| match mode {
            CaseMode::Normal => matches!(w.case, Case::Title | Case::Upper),
            _ => w.case != Case::Other,
        };
        for h in ghits {
            let i = h.word;
            let e = h.entry;
            // A given name only abroad says less than a Norwegian one: in a
            // one-case note it is an unknown word, which needs a cue (no
            // `clark nivå`, `connor sender`).
            let single = ws[i].end == h.end || ws[i].end == h.poss_end;
            if mode != CaseMode::Normal
                && single
                && !e.multiword
                && e.is(kind::GIVEN | kind::SURNAME)
                && (h.unaccented || (e.is(kind::FOREIGN) && !e.is(kind::WEAK)))
            {
                let strong = Entry {
                    flags: e.flags & !kind::WEAK,
                    ..e
                };
                cued_only.push((i, strong, h.end));
            }
            if mode != CaseMode::Normal && e.is(kind::FOREIGN) {
                continue;
            }
            let first_case_ok = case_ok(&ws[i]);
            if single && !e.multiword {
                entry[i] = Some((e, h.end));
                continue;
            }
            // Hyphenated entries (`Anne-Marie`): every word carries the entry.
            if !e.multiword && !lower[h.start..h.end].contains(' ') {
                let mut k = i;
                while k < ws.len() && ws[k].start < h.end {
                    entry[k] = Some((e, ws[k].end.min(h.end)));
                    k += 1;
                }
                continue;
            }
            // Long multi-word entries (`legevakten i Oslo`) are specific
            // enough in any case.
            let specific =
                e.multiword && h.end - h.start >= 8 && !e.is(kind::GIVEN | kind::SURNAME);
            if !(first_case_ok || specific) || e.is(kind::WEAK) {
                continue;
            }
            let (label, rule) = if e.is(kind::INSTITUTION) {
                (Label::CareUnit, &self.names.institution)
            } else if e.is(kind::STREET) {
                (Label::Address, &self.names.street)
            } else if e.is(kind::PLACE) {
                (Label::Location, &self.names.place)
            } else if e.is(kind::GIVEN) {
                (Label::PersonFirst, &self.names.given)
            } else {
                (Label::PersonLast, &self.names.surname)
            };
            // A unit with its genitive `s` (`St. Olavs`); not a place,
            // which may open a street's name (`Hovden i Setesdals vei 111`).
            let end = match label {
                Label::Address => extend_house_number(text, h.end),
                Label::CareUnit => h.poss_end,
                _ => h.end,
            };
            cands.push(Cand {
                start: h.start,
                end,
                label,
                rule: rule.clone(),
                source: Source::Gazetteer,
                gender: e.gender,
            });
        }

        // `Unilabs Røntgen Majorstuen`, `Curato Røntgen Bergen`: the site
        // after a listed unit's name is part of the unit.
        for c in cands.iter_mut() {
            if c.label != Label::CareUnit || c.source != Source::Gazetteer {
                continue;
            }
            let k = ws.partition_point(|w| w.start < c.end);
            if let Some(w) = ws.get(k)
                && w.gap == Gap::Space
                && &text[c.end..w.start] == " "
                && case_ok(w)
                && entry[k].is_some_and(|(e, _)| e.is(kind::PLACE) && !e.is(kind::WEAK))
            {
                c.end = w.end;
            }
        }

        let folded = |w: &Word| &lower[w.start..w.end];
        let lexed = |k: usize, flags: u16| infos[k].lex & flags != 0;
        // A verb that follows a person's name, or one of speaking.
        let name_verb = |k: usize| lexed(k, lex::NAME_VERB | lex::SPEECH);
        // `Bror Thomas ringte`, `Ektemann Julian …`: a relation or title
        // opening a sentence (or anywhere in a one-case note) is no name;
        // `fysioterapeut Bror Skogmo` is one.
        let role_word = |k: usize| {
            lexed(k, lex::RELATION | lex::TITLE | lex::FIELD)
                && (mode != CaseMode::Normal || name_cues::opens_sentence(ws, k))
        };
        let abbreviation = |k: usize| is_abbreviation(&infos[k], &text[ws[k].start..ws[k].end]);
        // A word that may be part of a name by what it is: no number, stop
        // word, title, relation, place preposition or abbreviation.
        let name_like = |k: usize| {
            !ws[k].numeric
                && !lexed(k, lex::STOP | lex::TITLE | lex::RELATION | lex::PLACE_PREP)
                && !abbreviation(k)
        };
        // An unlisted word that may be a family name by what it is: no
        // verb that follows names, ordinary, medical or Latin word, nor
        // shaped like a common word.
        let unusual_word = |k: usize| {
            let w = folded(&ws[k]);
            !name_verb(k)
                && ordinary_word(w).is_none()
                && !name_cues::common_word_shape(w)
                && !is_medical_head(w)
                && !is_latin_name(w)
        };
        // `far w. espeseth`, `dr. a. nakstad`: a small initial right after a
        // title or relation, before a word of three letters or more in
        // small letters that is no number, stop word, ordinary word or
        // medical word (not `kone m. barn`, `bror f. 1960`, `mor m.
        // hypotyreose`). A letter that abbreviates a word far more often
        // ([`ABBREVIATING_LETTERS`]: `m.` for `med`, `p.` for `på`) only
        // before a listed family name (`kone m. lindgren`; not `overlege p.
        // vakt`).
        let small_initial_after_cue = |k: usize| {
            let spaced = ws[k].gap == Gap::Space
                || (ws[k].gap == Gap::Sentence
                    && k > 0
                    && lexed(k - 1, lex::DOT_TITLE)
                    && text[ws[k - 1].end..ws[k].start] == *". ");
            k > 0
                && spaced
                && lexed(k - 1, lex::TITLE | lex::RELATION)
                && ws.get(k + 1).is_some_and(|n| {
                    text[ws[k].end..n.start] == *". "
                        && n.case == Case::Lower
                        && !n.numeric
                        && n.end - n.start >= 3
                        && !lexed(k + 1, lex::STOP)
                        // `c. difficile-infeksjon`: a genus before a compound.
                        && unusual_word(k + 1)
                        && !text[n.end..].starts_with('-')
                        && (!is_in(ABBREVIATING_LETTERS, folded(&ws[k]))
                            || infos[k + 1].entry.is_some_and(|e| e.is(kind::SURNAME)))
                })
        };
        let is_initial = |k: usize| {
            // `K. Hansen` (`k. hansen` in a lower-case note, where only a
            // listed name may follow), never the unit in `mmol/L.` nor a
            // drug's or a type's letter (`Albyl-E.`, `Penicillin V.`).
            let w = &ws[k];
            w.dot_after
                && w.end - w.start
                    == text[w.start..w.end]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8)
                && (mode == CaseMode::AllLower
                    || text[w.start..].starts_with(|c: char| c.is_uppercase())
                    || small_initial_after_cue(k))
                && !text[..w.start].ends_with(|c: char| {
                    c == '/' || c == '-' || c.is_ascii_digit() || c == '^' || c == '°'
                })
                && !(k > 0
                    && w.gap == Gap::Space
                    && is_in(LETTERED_WORDS, &lower[ws[k - 1].start..ws[k - 1].end]))
                // A unit after a number: `FEV1 3,9 L.`, `38 C.`; not before
                // a listed name (`Ringt 14 J. Berg`).
                && !(k > 0
                    && w.gap == Gap::Space
                    && ws[k - 1].numeric
                    && is_in(UNIT_LETTERS, &lower[w.start..w.end])
                    && infos
                        .get(k + 1)
                        .is_none_or(|i| !i.entry.is_some_and(|e| e.is(kind::GIVEN | kind::SURNAME))))
                // `Oslo S.`, `Kristiansand S.`: a town's quarter (not after
                // `son S. Yusuf`).
                && !(k > 0
                    && w.gap == Gap::Space
                    && matches!(&lower[w.start..w.end], "s" | "n" | "v" | "ø")
                    && !lexed(k - 1, lex::STOP | lex::RELATION | lex::TITLE)
                    && infos[k - 1]
                        .entry
                        .is_some_and(|e| e.is(kind::PLACE) && !e.is(kind::GIVEN | kind::SURNAME)))
        };
        let trigger_before = |i: usize| -> Option<bool> {
            // Some(true): a title (family name follows), Some(false): a relation.
            if i == 0 {
                return None;
            }
            let p = &ws[i - 1];
            if p.numeric {
                return None;
            }
            let pw = folded(p);
            let between = &text[p.end..ws[i].start];
            let gap_ok = match ws[i].gap {
                Gap::Space => true,
                // `dr. Hansen`, `Pasient: Kari`
                // (not the `v.` of `i.v. Kalium`)
                Gap::Sentence => {
                    (between.trim() == "."
                        && lexed(i - 1, lex::DOT_TITLE)
                        && !text[..p.start].ends_with('.')
                        // not the `V.` of `Penicillin V. Drikk godt`
                        && !(i >= 2
                            && p.gap == Gap::Space
                            && is_in(LETTERED_WORDS, folded(&ws[i - 2]))))
                        || (between.trim() == ":" && !between.contains('\n'))
                }
                // `kona (Gro)`, `overlege (Kari Hansen)`: a name in
                // brackets of its own.
                Gap::Other => {
                    between.trim() == "("
                        && !between.contains('\n')
                        && (text[ws[i].end..].starts_with(')')
                            || ws.get(i + 1).is_some_and(|n| {
                                n.gap == Gap::Space && text[n.end..].starts_with(')')
                            }))
                }
                _ => false,
            };
            if !gap_ok {
                return None;
            }
            // A title, or a compound ending in one (`sosialøkonom
            // Hersoug`, `kupplederen Amadou Sanogo`).
            if lexed(i - 1, lex::TITLE)
                || (p.case == Case::Lower
                    && ws[i].case == Case::Title
                    && ws[i].gap == Gap::Space
                    && is_compound_title(pw))
            {
                return Some(true);
            }
            if lexed(i - 1, lex::RELATION) {
                return Some(false);
            }
            // `…, sier Hansen.`, `«…», seier Grossman`: the speaker named
            // after what was said.
            if lexed(i - 1, lex::SPEECH | lex::QUOTE_VERB) && i >= 2 {
                let before_verb = &text[ws[i - 2].end..p.start];
                if before_verb.contains(',') && !before_verb.contains('\n') {
                    return Some(false);
                }
            }
            // `diktert av Hansen`, `sett av dr. X`, `kontroll hos Hansen`,
            // `besøk hjå Hov`
            if pw == "hos" || pw == "hjå" {
                return Some(true);
            }
            // `gift med Tor`, `samboer med Liv`
            if pw == "med"
                && i >= 2
                && ws[i - 1].gap == Gap::Space
                && is_in(PARTNERED, folded(&ws[i - 2]))
            {
                return Some(false);
            }
            if matches!(pw, "av" | "ved" | "v")
                && i >= 2
                && ws[i - 1].gap == Gap::Space
                && lexed(i - 2, lex::AGENT)
            {
                return Some(false);
            }
            None
        };
        // `pasientens sønn josé`, `FRU RODRÍGUEZ`: after a title or
        // relation, a given name only abroad or a name found without its
        // accents is a name in a one-case note too; not the head of a
        // compound nor an eponym (`ektefellen novo-pen`, `jordmor leopolds
        // håndgrep`). So is such a given name before a family name: a
        // listed one, or an unlisted word that is no ordinary, medical or
        // Latin word (`HENVIST FRA MIHAI PETROV`; not `clark nivå`,
        // `connor sender`).
        let mut before_family = vec![false; ws.len()];
        for &(i, e, end) in &cued_only {
            // `maría-josé`: a compound of two names is a name.
            let name_part = |k: usize| {
                cued_only.iter().any(|c| c.0 == k)
                    || entry[k].is_some_and(|(e, _)| e.is(kind::GIVEN))
            };
            let compound_or_eponym = ws.get(i + 1).is_some_and(|n| {
                (n.gap == Gap::Hyphen && !name_part(i + 1))
                    || (n.gap == Gap::Space && is_medical_head(folded(n)))
            });
            let family_after = e.is(kind::GIVEN)
                && ws.get(i + 1).is_some_and(|n| {
                    n.gap == Gap::Space
                        && !n.numeric
                        && n.end - n.start >= 3
                        && !text[n.end..].starts_with('-')
                        && match entry[i + 1] {
                            Some((f, _)) => f.is(kind::SURNAME) && !f.is(kind::WEAK),
                            None => {
                                !cued_only.iter().any(|c| c.0 == i + 1)
                                    && !lexed(i + 1, lex::STOP | lex::TITLE | lex::RELATION)
                                    && !abbreviation(i + 1)
                                    && unusual_word(i + 1)
                            }
                        }
                });
            if (trigger_before(i).is_some() || family_after) && !compound_or_eponym {
                before_family[i] = family_after;
                entry[i] = Some((e, end));
            }
        }
        // Can word i be a name part at all?
        let usable = |i: usize| -> Option<(bool, Entry)> {
            let (e, _) = entry[i]?;
            if !e.is(kind::GIVEN | kind::SURNAME) || role_word(i) {
                return None;
            }
            let w = &ws[i];
            if abbreviation(i) {
                return None;
            }
            // `Anna:` opening a line is the nynorsk heading (other), not a name.
            if is_in(LINE_HEADINGS, folded(w))
                && text[w.end..].starts_with(':')
                && (w.start == 0
                    || text[..w.start]
                        .trim_end_matches([' ', '\t'])
                        .ends_with('\n'))
            {
                return None;
            }
            // `Ho Kari kom`, `han Per`: the pronoun before a given name.
            if is_in(PRONOUNS_BEFORE_NAMES, folded(w))
                && ws.get(i + 1).is_some_and(|n| n.gap == Gap::Space)
                && entry
                    .get(i + 1)
                    .copied()
                    .flatten()
                    .is_some_and(|(n, _)| n.is(kind::GIVEN))
            {
                return None;
            }
            // In an ordinary note, a listed place after a noun of places is
            // that place (`kommunen Vinje`, `Hjemkommune Stange`; see
            // [`Detector::residences`]).
            if e.is(kind::PLACE)
                && mode == CaseMode::Normal
                && w.case == Case::Title
                && i > 0
                && w.gap == Gap::Space
                && is_or_ends_in(PLACE_NOUNS, folded(&ws[i - 1]), 3)
            {
                return None;
            }
            // Alone after `i`, `på`, `fra`, a given name only abroad is a
            // place (`familie i Roma`, `fra Assam`).
            if e.is(kind::FOREIGN) {
                let after_place_prep =
                    i > 0 && w.gap == Gap::Space && is_in(PLACE_ONLY_PREPS, folded(&ws[i - 1]));
                let name_next = before_family[i]
                    || ws
                        .get(i + 1)
                        .is_some_and(|n| n.gap == Gap::Space && n.case == Case::Title);
                if after_place_prep && !name_next {
                    return None;
                }
            }
            // In a one-case note, a listed name that is also a common word
            // (`HO`, `GRO`, `per`) needs more than the list: a family name
            // right after it that is no word and names no unit, not after
            // `i` or `på` nor a place after `fra` (`liv hansen`, `TOR
            // OLSEN`, `ben årdal`; not `i mai olsen`, `i mai haukeland
            // sykehus`).
            let ok = match mode {
                CaseMode::Normal => matches!(w.case, Case::Title | Case::Upper),
                CaseMode::AllCaps | CaseMode::AllLower => {
                    !e.is(kind::WEAK)
                        || w.case == Case::Title
                        || (e.is(kind::GIVEN)
                            && (i == 0 || !is_in(&["i", "på"], folded(&ws[i - 1])))
                            && ws.get(i + 1).is_some_and(|n| {
                                n.gap == Gap::Space && !n.numeric && n.end - n.start >= 3
                            })
                            && entry.get(i + 1).copied().flatten().is_some_and(|(f, _)| {
                                f.is(kind::SURNAME)
                                    && !f.is(kind::WEAK | kind::GIVEN | kind::INSTITUTION)
                                    && (!f.is(kind::PLACE)
                                        || (i == 0 || !is_in(PLACE_ONLY_PREPS, folded(&ws[i - 1]))))
                            })
                            && ws.get(i + 2).is_none_or(|n| {
                                // `bruun-ahmed`, not `hansen-klinikken` nor
                                // `haukeland sykehus`.
                                !is_unit_word(folded(n))
                                    && (n.gap != Gap::Hyphen
                                        || entry[i + 2].is_some_and(|(e, _)| {
                                            e.is(kind::GIVEN | kind::SURNAME)
                                        }))
                            }))
                }
            };
            ok.then_some((!e.is(kind::WEAK), e))
        };
        let shape_word = |i: usize| -> bool {
            // An unknown capitalised word that may be a name next to a known one.
            let w = &ws[i];
            mode == CaseMode::Normal
                && w.case == Case::Title
                && !w.numeric
                && w.end - w.start >= 2
                && !lexed(i, lex::STOP)
                && !role_word(i)
                && !abbreviation(i)
                && entry[i]
                    .is_none_or(|(e, _)| !e.is(kind::WEAK) || e.is(kind::GIVEN | kind::SURNAME))
                && !is_compound_title(folded(w))
                && !is_unit_word(folded(w))
                // `Hjemkommune Stange`: a noun of places, not a given name
                && !is_or_ends_in(PLACE_NOUNS, folded(w), 3)
        };
        // An unknown word that continues a name in a lower-case note or an
        // upper-case section (`petra resell`, `RAJESH IONESCU`).
        // A listed family name that is also a word (`haugen`, `grande`)
        // continues a lower-case name after a given name or an initial
        // (`karin grande`, `r. hole`).
        let loose_word = |prev: usize, j: usize| -> bool {
            let (p, w) = (&ws[prev], &ws[j]);
            let weak = entry[j].is_some_and(|(e, _)| e.is(kind::WEAK));
            let surname = entry[j].is_some_and(|(e, _)| e.is(kind::SURNAME));
            let given_before =
                entry[prev].is_some_and(|(e, _)| e.is(kind::GIVEN) && !e.is(kind::WEAK));
            let lower =
                (mode == CaseMode::AllLower || p.case == Case::Lower) && w.case == Case::Lower;
            // A note all in capitals is read as one all in lower case
            // (`SØNN HÅKON LUNDE`, and after an initial, whose one letter
            // reads as capitalised: `HENVIST FRA G. HAUG`).
            let one_case = lower
                || (mode == CaseMode::AllCaps
                    && w.case == Case::Upper
                    && (p.case == Case::Upper || is_initial(prev)));
            // `elias even werner`, `ken rune nes`: a given name that is also
            // a word, between a given name and a listed name.
            let between_names = weak
                && entry[j].is_some_and(|(e, _)| e.is(kind::GIVEN))
                && given_before
                && ws.get(j + 1).is_some_and(|n| n.gap == Gap::Space)
                && usable(j + 1).is_some_and(|(strong, _)| strong);
            // An unlisted word after a name, unless an ordinary word of
            // Norwegian text that the clause goes on after (`sønnen håkon
            // hentet pasienten`, `FINNES LETT IKTERISK`, `kona kari telefon
            // 91234567`). Family names are such words too (`Stolt`,
            // `Vakker`, `Vinter`): the name ends after one where punctuation
            // or the end follows, a listed name, or a verb with the name as
            // its subject (`ole stolt ringte`, `trond vakker,`, `anne bonde
            // var med`); a noun is one as often, unless a number or a
            // function word follows. Asked last: the word table is looked
            // up only for the few words the case lets through.
            let no_plain_word = || {
                // (`dottera synnøve ringde`, `JORDMOR HILDE AASEN SYDDE`.)
                if name_verb(j) {
                    return false;
                }
                let next = ws.get(j + 1).filter(|n| n.gap == Gap::Space);
                let name_ends_after = || {
                    let after = &text[w.end..];
                    after.is_empty()
                        || after.starts_with([',', '.', '(', ')', ';', ':', '\n', '!', '?'])
                        || after.starts_with(" (")
                        || (next.is_some() && (usable(j + 1).is_some() || name_verb(j + 1)))
                };
                entry[j].is_some()
                    || match ordinary_word(folded(w)) {
                        None => true,
                        // (`ánde driver med reindrift`: a verb before its
                        // preposition.)
                        Some(Ordinary::Noun) => {
                            name_ends_after()
                                || next.is_some_and(|n| {
                                    !n.numeric
                                        && !lexed(j + 1, lex::STOP)
                                        && !is_in(AFTER_VERB_WORDS, folded(n))
                                })
                        }
                        Some(Ordinary::Other) => name_ends_after(),
                    }
            };
            let shaped = (one_case
                && ((!weak && given_before && no_plain_word())
                    || between_names
                    || (surname && (given_before || is_initial(prev)))))
                || (!weak
                    && w.case == Case::Upper
                    && p.case == Case::Upper
                    && usable(prev).is_some()
                    && no_plain_word());
            // Not a role, a relation, a place preposition or a medical
            // head word (`KLEPPES EKTEMANN`, `HELLE FLYTTET`, `HANSENS SYKDOM`);
            // asked last, of the few words the case lets through.
            shaped && w.end - w.start >= 3 && name_like(j) && !is_medical_head(folded(w))
        };
        // A word in capitals that may be a name after a title in an
        // ordinary note (`overlege ZEYNEP PATEL`): no unit, medical or
        // compound title word either.
        let upper_word = |k: usize| {
            let w = &ws[k];
            w.case == Case::Upper
                && w.end - w.start >= 3
                && name_like(k)
                && !is_unit_word(folded(w))
                && !is_medical_head(folded(w))
                && !is_compound_title(folded(w))
        };

        // `van der Berg`, `de la Cruz`: a lower-case particle of a family name.
        let particle =
            |k: usize| ws[k].case == Case::Lower && is_in(NAME_PARTICLES, folded(&ws[k]));
        // One or two particles (starting at word `j`, whatever comes before
        // it) and the name word they lead to, `m`, all spaced.
        let particles_then_name = |j: usize| -> Option<usize> {
            let mut m = j;
            while m < ws.len()
                && m < j + 2
                && mode == CaseMode::Normal
                && (m == j || ws[m].gap == Gap::Space)
                && particle(m)
            {
                m += 1;
            }
            (m > j
                && m < ws.len()
                && ws[m].gap == Gap::Space
                && (usable(m).is_some() || shape_word(m)))
            .then_some(m)
        };
        // Names that no list knows, shown by a header field before them or
        // an identity or role after them.
        let cued = name_cues::cued_names(lower, ws, infos, mode, abbreviation);
        let mut used = vec![false; ws.len()];
        let mut i = 0;
        while i < ws.len() {
            // Start of a run: an initial, a listed name, a word after a
            // trigger, or an unknown capitalised word before a listed name.
            let trig = trigger_before(i);
            // Not a sentence's first word before a given name: there the
            // capital says nothing and the word is mostly a role or a
            // relation (`Hjelpeverge Torstein`, `Stesønnen Mirza`).
            let before_name = i + 1 < ws.len()
                && ws[i + 1].gap == Gap::Space
                && usable(i + 1).is_some_and(|(strong, e)| {
                    strong
                        && !(name_cues::opens_sentence(ws, i)
                            && e.is(kind::GIVEN)
                            && !e.is(kind::SURNAME))
                })
                && shape_word(i);
            // A person by what follows, asked first as it is cheap and
            // rare: `Zeynep forteller`, `Trygves sambuar` (not `Foreldrene
            // forteller`, nor the place in `I Norge sier man`); `Oliver
            // (11), Lucy (10) og Phoebe (4).`, an age in brackets that ends
            // a list's item (not `Gleason (7) i to av seks`, `Sobril (10)
            // mg`).
            // A verb that names a speaker after a quote speaks of a person
            // before it too where the word is no listed or ordinary one and
            // the verb is no thing's (`Haarder tror`, `Hersoug nemner`; not
            // `Anamnesen tror`, `Marevan forklarer`, `Felleskatalogen nevner`,
            // `Farmasøyten påpeker`, `UpToDate nevner`).
            let speaks = i + 1 < ws.len()
                && ws[i + 1].gap == Gap::Space
                && (lexed(i + 1, lex::SPEECH)
                    || (entry[i].is_some_and(|(_, stem_end)| stem_end < ws[i].end)
                        && lexed(i + 1, lex::RELATION))
                    || (lexed(i + 1, lex::QUOTE_VERB)
                        && entry[i].is_none()
                        && ws[i].case == Case::Title
                        && ws[i].end - ws[i].start >= 4
                        && !inner_capital(text, &ws[i])
                        && !name_cues::definite_form_shape(folded(&ws[i]))
                        && !is_in(THING_VERBS, folded(&ws[i + 1]))
                        && unusual_word(i)));
            let aged = !speaks && name_cues::age_in_brackets_after(&text[ws[i].end..]);
            // The word: a name, or an unlisted word that is no common or
            // inflected word opening a sentence nor a verb (before speech),
            // no ordinary, medical or eponym's word (before an age).
            let person_after = (speaks || aged)
                && !lexed(i, lex::STOP)
                && !name_cues::after_place_prep(ws, infos, i)
                && (usable(i).is_some()
                    || (shape_word(i)
                        && if speaks {
                            !name_verb(i)
                                && !(entry[i].is_none()
                                    && name_cues::opens_sentence(ws, i)
                                    && (name_cues::common_word_shape(folded(&ws[i]))
                                        || name_cues::inflected_ordinary_word(folded(&ws[i]))))
                        } else {
                            unusual_word(i)
                                && entry[i].is_none()
                                && !name_cues::definite_noun_shape(folded(&ws[i]))
                        }));
            // `Aleksandra Kowalczyk og Oluwaseun Adeyemi`: two capitalised
            // words after `og` and a full name just found are a name too.
            let coordinated = i >= 3
                && mode == CaseMode::Normal
                && ws[i].gap == Gap::Space
                && ws[i - 1].gap == Gap::Space
                && folded(&ws[i - 1]) == "og"
                && used[i - 2]
                && used[i - 3]
                && ws[i - 2].gap == Gap::Space
                && cands
                    .last()
                    .is_some_and(|c| c.label.is_person() && c.end == ws[i - 2].end)
                && cands
                    .iter()
                    .rev()
                    .nth(1)
                    .is_some_and(|c| c.label.is_person() && c.end == ws[i - 3].end)
                && shape_word(i)
                && ws.get(i + 1).is_some_and(|w| w.gap == Gap::Space)
                && (shape_word(i + 1) || usable(i + 1).is_some());
            let trig = trig
                .or(person_after.then_some(false))
                .or(coordinated.then_some(false));
            let cue = cued[i];
            // `henvisende lege zeynep warsame`: in a one-case note, an
            // unlisted word after a title or relation and before a listed
            // family name is the given name.
            let given_before_family = trig.is_some()
                && mode != CaseMode::Normal
                && entry[i].is_none()
                && name_like(i)
                && !is_compound_title(folded(&ws[i]))
                && ws.get(i + 1).is_some_and(|w| w.gap == Gap::Space)
                && usable(i + 1).is_some_and(|(strong, e)| strong && e.is(kind::SURNAME));
            // `(overlege ZEYNEP PATEL)`, `Assistent: MIHAI PEREIRA`: in an
            // ordinary note, two words in capitals after a title or
            // relation.
            let upper_pair = trig.is_some()
                && mode == CaseMode::Normal
                // not inside a section in capitals (`FASTLEGE BES KONTROLLERE`)
                && i > 0
                && ws[i - 1].case != Case::Upper
                && upper_word(i)
                && ws.get(i + 1).is_some_and(|w| w.gap == Gap::Space)
                && upper_word(i + 1);
            // `Navn: Olsen, Per.`: a given name, even one that is also a
            // word, after a family name and a comma, ending the line or
            // sentence.
            let given_after_family = i > 0
                && ws[i].gap == Gap::Comma
                && ws[i].case != Case::Lower
                && used[i - 1]
                && cands.last().is_some_and(|c| {
                    c.label == Label::PersonLast
                        && c.end > ws[i - 1].start
                        && c.end <= ws[i - 1].end
                })
                && entry[i].is_some_and(|(e, _)| e.is(kind::GIVEN))
                && {
                    let after = &text[ws[i].end..];
                    after.is_empty()
                        || after.starts_with(['.', '\n', ',', ')'])
                        || after.starts_with(" (")
                };
            // `dr. de la Cruz`, `lege van Dijk`: a family name that opens
            // with its particles, after a title or relation. Not a particle
            // that is also a Norwegian word (`Overlegen la Hansen inn`), nor
            // before a given name (`legen la Merete inn`).
            let particle_led = trig.is_some()
                && particle(i)
                && !is_in(WORDLIKE_PARTICLES, folded(&ws[i]))
                && particles_then_name(i).is_some_and(|m| {
                    !entry[m].is_some_and(|(e, _)| e.is(kind::GIVEN) && !e.is(kind::SURNAME))
                });
            // `dr. gómez`, `OVERLEGE JIMÉNEZ`, `datteren ayaan`: in a
            // one-case note, an unlisted word after a doctor's or nurse's
            // title or a relative ([`lex::KIN`]) is a name, unless
            // it is an ordinary, medical or Latin word or shaped like a
            // common one (`lege tilkalt`, `lege pga. fall`). Not after
            // `pas.`: findings follow it (`pas. afebril`).
            // After a relation, a verb or a listed name follows the name
            // (`datteren ayaan følger opp`, `kona tharshini sivakumar`; not
            // `moren ufør`, `ektemannen dement`).
            let verb_or_name_next = || {
                ws.get(i + 1).is_some_and(|n| {
                    n.gap == Gap::Space
                        && (name_verb(i + 1)
                            || entry[i + 1].is_some_and(|(e, _)| e.is(kind::GIVEN | kind::SURNAME)))
                })
            };
            // `…, sier cuevas.`: the speaker after what was said, with a
            // verb that only speaking uses ([`SPEAKER_VERBS`]; not `…, tror
            // pneumoni`); not a role in its definite form (`sier
            // terapeuten`, `sier litteraturkritikeren`) or a chief's.
            let speaker = || {
                let w = folded(&ws[i]);
                i >= 2
                    && is_in(SPEAKER_VERBS, folded(&ws[i - 1]))
                    && !name_cues::role_in_definite_form(w)
                    && !w.ends_with("sjef")
                    && text[ws[i - 2].end..ws[i - 1].start].contains(',')
                    && ws.get(i + 1).is_none_or(|n| {
                        n.gap != Gap::Space || matches!(folded(n), "til" | "overfor" | "i")
                    })
            };
            let unlisted_after_cue = i > 0
                && trig.is_some()
                && mode != CaseMode::Normal
                && (is_naming_title(folded(&ws[i - 1]))
                    || (lexed(i - 1, lex::KIN) && verb_or_name_next())
                    || speaker())
                && entry[i].is_none()
                && name_like(i)
                && ws[i].end - ws[i].start >= 3
                && !text[ws[i].end..].starts_with('-')
                // `dr. gómez`, `lege gómez`; not a finding after a colon
                // (`Sykepleier: afebril`) nor the field in `fastlege (hpr
                // 40122136)`
                && (ws[i].gap == Gap::Space
                    || (ws[i].gap == Gap::Sentence && text[ws[i - 1].end..ws[i].start] == *". "))
                && !ws.get(i + 1).is_some_and(|n| n.numeric)
                // not an abbreviation (`overlege gyn.`, `fastlege mtp.`) nor
                // a ward's field (`overlege kir. avd.`, `lege ortopedi`)
                && !(ws[i].end - ws[i].start <= 4 && ws[i].dot_after)
                && !ws
                    .get(i + 1)
                    .is_some_and(|n| n.gap != Gap::Sentence && is_unit_word(folded(n)))
                && unusual_word(i)
                && {
                    let w = folded(&ws[i]);
                    !is_unit_word(w)
                        && !is_compound_title(w)
                        && !is_or_ends_in(FIELD_AND_DEED_ENDINGS, w, 0)
                };
            // `fastlege per olav bakke`: in a one-case note, a given name
            // that is also a word opens the name after a title or relation
            // when a listed given name follows.
            let word_given_before_given = trig.is_some()
                && mode != CaseMode::Normal
                && entry[i].is_some_and(|(e, _)| e.is(kind::GIVEN))
                // (not the relation in `pårørende: bror alexander`)
                && !lexed(i, lex::RELATION | lex::TITLE)
                && ws.get(i + 1).is_some_and(|w| w.gap == Gap::Space)
                && usable(i + 1).is_some_and(|(strong, e)| strong && e.is(kind::GIVEN));
            let starts = cue
                || unlisted_after_cue
                || word_given_before_given
                || particle_led
                || given_after_family
                || is_initial(i) && i + 1 < ws.len()
                || usable(i).is_some()
                || before_name
                || given_before_family
                || upper_pair
                || (trig.is_some()
                    && (shape_word(i)
                        || (mode != CaseMode::Normal
                            && entry[i].is_some()
                            && !lexed(i, lex::STOP | lex::TITLE | lex::RELATION))
                        // `Pas.: gjermund schøyen`: a listed name in any case,
                        // but not a possessive (`faren hans`, `hos hans mor`).
                        || (entry[i].is_some_and(|(e, _)| {
                            e.is(kind::GIVEN | kind::SURNAME) && !e.is(kind::WEAK)
                        }) && !(ws[i].case == Case::Lower
                            && ws[i].gap == Gap::Space
                            && is_in(POSSESSIVES, folded(&ws[i]))))));
            if !starts || ws[i].numeric {
                i += 1;
                continue;
            }
            // Extend the run.
            let mut run = vec![i];
            let mut j = i + 1;
            while j < ws.len() && run.len() < 6 {
                let prev = &ws[j - 1];
                let w = &ws[j];
                // `O'Brien`, `d'angelo`: a family name goes on over the
                // apostrophe after its one letter, in any case.
                let after_apostrophe = text[prev.start..prev.end].chars().count() == 1
                    && is_apostrophe(&text[prev.end..w.start])
                    && w.end - w.start >= 2
                    && !w.numeric;
                // `Jan Ove⏎Bratt`: a line wrapped inside a name (text
                // pasted from a PDF) after a given name, before a family
                // name that does not head a field (`Kari⏎Berg: …`).
                // The first character after word `j` past spaces.
                let after_j = || text[w.end..].trim_start_matches([' ', '\t']).chars().next();
                let wrapped = matches!(
                    text[prev.end..w.start].trim_matches([' ', '\t']),
                    "\n" | "\r\n"
                ) && entry[j - 1]
                    .is_some_and(|(e, _)| e.is(kind::GIVEN) && !e.is(kind::WEAK))
                    && usable(j - 1).is_some()
                    && (mode != CaseMode::Normal || w.case == Case::Title)
                    && entry[j]
                        .is_some_and(|(e, _)| e.is(kind::SURNAME) && !e.is(kind::INSTITUTION))
                    && usable(j).is_some()
                    && after_j() != Some(':')
                    && ws.get(j + 1).is_none_or(|n| !is_unit_word(folded(n)))
                    // A family name that is also a word ends its clause
                    // (`Bjørg⏎Moe, ønsker`; not `Anne⏎Rød og hoven legg`).
                    && (entry[j].is_some_and(|(e, _)| !e.is(kind::WEAK))
                        && ordinary_word(folded(w)).is_none()
                        || after_j()
                            .is_none_or(|c| matches!(c, ',' | '.' | ';' | ')' | '\n' | '\r')));
                let joined = matches!(w.gap, Gap::Space | Gap::Hyphen)
                    || (is_initial(j - 1) && text[prev.end..w.start].trim() == ".")
                    || after_apostrophe
                    || wrapped;
                if !joined || w.numeric {
                    break;
                }
                // `sign. a. patel`, `datter j. øye`: in a one-case note, an
                // unlisted word after a title's or relation's initial.
                // (Not after `v.`, nor a listed word other than a name, nor
                // a compound title: `v. k. penicillin`, `dr. f. kupplederen`.)
                let after_cued_initial = trig.is_some()
                    && (mode != CaseMode::Normal || ws[i].case == Case::Lower)
                    && j == i + 1
                    && is_initial(i)
                    && i > 0
                    && (ws[i - 1].end - ws[i - 1].start >= 3
                        || (lexed(i - 1, lex::DOT_TITLE) && folded(&ws[i - 1]) != "v"))
                    && w.end - w.start >= 2
                    && entry[j].is_none_or(|(e, _)| e.is(kind::GIVEN | kind::SURNAME))
                    && name_like(j)
                    && !is_medical_head(folded(w))
                    && !is_unit_word(folded(w))
                    && !is_compound_title(folded(w));
                if is_initial(j)
                    || after_apostrophe
                    || usable(j).is_some()
                    || shape_word(j)
                    || loose_word(j - 1, j)
                    || after_cued_initial
                    || (upper_pair && j == i + 1)
                    || (cue && cued[j])
                {
                    run.push(j);
                    j += 1;
                } else if w.gap == Gap::Space
                    && let Some(m) = particles_then_name(j)
                {
                    run.extend(j..=m);
                    j = m + 1;
                } else {
                    break;
                }
            }
            // Drop trailing initials.
            while run.len() > 1 && run.last().is_some_and(|&k| is_initial(k)) {
                run.pop();
                j -= 1;
            }
            let parts: Vec<usize> = run.iter().copied().filter(|&k| !is_initial(k)).collect();
            let listed: Vec<(usize, bool, Entry)> = parts
                .iter()
                .filter_map(|&k| usable(k).map(|(s, e)| (k, s, e)))
                .collect();
            let strong = listed.iter().any(|x| x.1);
            let has_initial = parts.len() < run.len();
            let accept = !parts.is_empty()
                && (trig.is_some()
                    || cue
                    || given_after_family
                    || strong && (listed.len() == parts.len() || parts.len() >= 2)
                    || listed.len() >= 2
                    || has_initial
                    || (listed.len() == 1 && parts.len() >= 2 && ws[i].gap != Gap::Sentence));
            if !accept {
                i += 1;
                continue;
            }
            // Eponyms: `Hansens sykdom`, `Gram-positiv`, `Arnold-Chiari-malformasjon`.
            if trig.is_none() && !cue && self.is_eponym_use(lower, mode, ws, &parts, &entry) {
                i = j;
                continue;
            }
            // A single listed word that is a hospital is not a person, even
            // after `operert ved` (but after a title or a relation: `dr.
            // Gaustad`, `Kone Gaustad`); nor, without a trigger, one that
            // is also a place after a place preposition.
            if parts.len() == 1
                && !has_initial
                && !cue
                && entry[parts[0]].is_some_and(|(e, _)| e.is(kind::INSTITUTION))
                && (trig.is_none() || (parts[0] > 0 && folded(&ws[parts[0] - 1]) == "ved"))
            {
                i += 1;
                continue;
            }
            if parts.len() == 1 && !has_initial && trig.is_none() && !cue {
                let k = parts[0];
                if let Some((e, _)) = entry[k]
                    && e.is(kind::PLACE)
                    && k > 0
                    && lexed(k - 1, lex::PLACE_PREP)
                {
                    i += 1;
                    continue;
                }
                // `busett på Hjelle`, `bur i Loen`: a family name alone after
                // `i` or `på` is the farm or place it is named after.
                if let Some((e, stem_end)) = entry[k]
                    && e.is(kind::SURNAME)
                    && !e.is(kind::GIVEN)
                    && k > 0
                    && ws[k].gap == Gap::Space
                    && matches!(folded(&ws[k - 1]), "i" | "på")
                {
                    cands.push(Cand {
                        start: ws[k].start,
                        end: stem_end.min(ws[k].end),
                        label: Label::Location,
                        rule: self.names.farm.clone(),
                        source: Source::Context,
                        gender: Gender::Unknown,
                    });
                    used[k] = true;
                    i = j;
                    continue;
                }
            }
            // Labels: leading given names are first names, the rest of the
            // run (always its last word) the family name.
            let title = trig == Some(true);
            let n = parts.len();
            let listed_given =
                |k: usize| entry[k].is_some_and(|(e, _)| e.is(kind::GIVEN) && !e.is(kind::SURNAME));
            // A given name only abroad (`Connor`) may end a run as its
            // family name (`Sarah Connor`).
            let given_only =
                |k: usize| listed_given(k) && entry[k].is_some_and(|(e, _)| !e.is(kind::FOREIGN));
            let surname_only =
                |k: usize| entry[k].is_some_and(|(e, _)| e.is(kind::SURNAME) && !e.is(kind::GIVEN));
            let reversed = n == 2 && surname_only(parts[0]) && given_only(parts[1]);
            // `Preben Steffen`, `spl. Mats`, `Camila Sofie`: only given
            // names, all first names (the last one listed in Norway).
            let all_given = !has_initial
                && parts
                    .iter()
                    .enumerate()
                    .all(|(pos, &k)| given_only(k) || (pos + 1 < n && listed_given(k)));
            // A given name only abroad that a hyphen joins to a family
            // name (`Abdalla-Bjordal`) is part of the family name.
            let foreign_family = |pos: usize, k: usize| {
                entry[k].is_some_and(|(e, _)| e.is(kind::FOREIGN))
                    && parts.get(pos + 1).is_some_and(|&m| {
                        ws[m].gap == Gap::Hyphen
                            && entry[m].is_some_and(|(e, _)| e.is(kind::SURNAME))
                    })
            };
            let mut labels: Vec<Label> = Vec::with_capacity(n);
            let mut in_last = false;
            for (pos, &k) in parts.iter().enumerate() {
                let l = if (pos > 0 || particle_led) && particle(k) {
                    // `van der Berg`: the family name starts at its particle.
                    Label::PersonLast
                } else if all_given {
                    Label::PersonFirst
                } else if reversed {
                    if pos == 0 {
                        Label::PersonLast
                    } else {
                        Label::PersonFirst
                    }
                } else if n == 1 {
                    match entry[k] {
                        _ if has_initial || title => Label::PersonLast,
                        Some((e, _)) if e.is(kind::GIVEN) => Label::PersonFirst,
                        Some(_) => Label::PersonLast,
                        None => Label::PersonFirst,
                    }
                } else if pos + 1 == n || in_last {
                    Label::PersonLast
                } else if entry[k].is_some_and(|(e, _)| e.is(kind::GIVEN))
                    && !foreign_family(pos, k)
                    || (pos == 0 && entry[k].is_none())
                {
                    Label::PersonFirst
                } else {
                    Label::PersonLast
                };
                in_last |= l == Label::PersonLast && !reversed;
                labels.push(l);
            }
            let rule_for = |k: usize| -> &Arc<str> {
                match (entry[k], trig) {
                    (Some((e, _)), _) if usable(k).is_some() && e.is(kind::GIVEN) => {
                        &self.names.given
                    }
                    (Some((e, _)), _) if usable(k).is_some() && e.is(kind::SURNAME) => {
                        &self.names.surname
                    }
                    (_, Some(true)) => &self.names.title,
                    (_, Some(false)) => &self.names.relation,
                    _ if cue => &self.names.cue,
                    _ => &self.names.shape,
                }
            };
            let mut spans: Vec<Cand> = Vec::new();
            let mut pos = 0;
            for &k in &run {
                let w = &ws[k];
                let (label, rule, end) = if is_initial(k) {
                    (Label::PersonFirst, self.names.initial.clone(), w.end)
                } else {
                    let l = labels[pos];
                    pos += 1;
                    // The span stops before a possessive ending (`Hansen`s,
                    // and `Kaara`s before a relation).
                    let end = entry[k].map_or_else(
                        || {
                            if name_cues::genitive_before_relation(ws, infos, lower, k) {
                                w.end - 1
                            } else {
                                w.end
                            }
                        },
                        |(_, e)| e.min(w.end),
                    );
                    (l, rule_for(k).clone(), end)
                };
                let gender = entry[k].map_or(Gender::Unknown, |(e, _)| {
                    if label == Label::PersonFirst {
                        e.gender
                    } else {
                        Gender::Unknown
                    }
                });
                // Family names of several words and hyphenated names are one span.
                if let Some(last) = spans.last_mut()
                    && last.label == label
                    && !is_initial(k)
                    && (w.gap == Gap::Hyphen
                        || (label == Label::PersonLast
                            && (w.gap == Gap::Space
                                || is_apostrophe(&text[ws[k - 1].end..w.start]))))
                    && last.end == ws[k - 1].end
                {
                    last.end = end;
                    continue;
                }
                spans.push(Cand {
                    start: w.start,
                    end,
                    label,
                    rule,
                    source: Source::Context,
                    gender,
                });
            }
            // `Lie, Hans-Petter (11926…)`: the family name written first,
            // before a comma, in a header; the given name must end the
            // header or meet its identity.
            if let (Some(&k0), Some(&Label::PersonFirst)) = (run.first(), labels.first())
                && k0 > 0
                && ws[k0].gap == Gap::Comma
                && !used[k0 - 1]
                && Self::family_name_first(text, ws, &entry, k0 - 1, ws[j - 1].end)
                && (shape_word(k0 - 1) || usable(k0 - 1).is_some())
            {
                let w = &ws[k0 - 1];
                let listed = entry[k0 - 1].is_some_and(|(e, _)| e.is(kind::SURNAME));
                cands.push(Cand {
                    start: w.start,
                    end: w.end,
                    label: Label::PersonLast,
                    rule: if listed {
                        &self.names.surname
                    } else {
                        &self.names.shape
                    }
                    .clone(),
                    source: Source::Context,
                    gender: Gender::Unknown,
                });
                used[k0 - 1] = true;
            }
            cands.extend(spans);
            for &k in &run {
                used[k] = true;
            }
            i = j;
        }

        // Whether a department or ward, with or without its number, ends
        // right before word `k`, or a specialty named as a department
        // before a comma, perhaps with whom it is for (`Nevrokirurgi,
        // Haukeland`, `Lungepoliklinikken barn, Haukeland`).
        let after_unit = |k: usize| {
            let unit = |i: usize| is_unit_word(folded(&ws[i]));
            let department =
                |i: usize| ws[i].case == Case::Title && is_department_word(folded(&ws[i]));
            k > 0 && unit(k - 1)
                || (k > 0 && ws[k].gap == Gap::Comma && department(k - 1))
                || (k > 1
                    && ws[k].gap == Gap::Comma
                    && ws[k - 1].gap == Gap::Space
                    && is_in(UNIT_QUALIFIERS, folded(&ws[k - 1]))
                    && department(k - 2))
                || (k > 1
                    && ws[k - 1].gap == Gap::Space
                    && ws[k - 1].end - ws[k - 1].start <= 3
                    && text.as_bytes()[ws[k - 1].start].is_ascii_digit()
                    && unit(k - 2))
        };
        // Whether a word next to word `k`, on its line, is an ordinary word
        // in capitals.
        let shouted = |k: usize| {
            let ordinary = |j: usize| {
                ws[j].case == Case::Upper
                    && (lexed(j, lex::STOP) || ordinary_word(folded(&ws[j])).is_some())
            };
            (k > 0 && ws[k].gap != Gap::Sentence && ordinary(k - 1))
                || ws
                    .get(k + 1)
                    .is_some_and(|w| w.gap != Gap::Sentence && ordinary(k + 1))
        };
        // Single-word places.
        for (k, w) in ws.iter().enumerate() {
            if used[k] {
                continue;
            }
            let Some((e, _)) = entry[k] else { continue };
            if !e.is(kind::PLACE | kind::STREET | kind::INSTITUTION) || !case_ok(w) {
                continue;
            }
            if w.case == Case::Upper && abbreviation(k) {
                continue;
            }
            // Placed by what comes before: `i Molde`, and a hospital after
            // its department or ward (`Ortopedisk avdeling, SUS`,
            // `Akuttmottaket OUS`, `sengepost 2, SUS`) or a verb of
            // transfer (`Overført UNN`).
            let placed = k > 0
                && (lexed(k - 1, lex::PLACE_PREP)
                    || (e.is(kind::INSTITUTION)
                        && matches!(w.gap, Gap::Comma | Gap::Space)
                        && after_unit(k))
                    || (e.is(kind::INSTITUTION)
                        && w.gap == Gap::Space
                        && is_in(TRANSFER_VERBS, folded(&ws[k - 1]))));
            let is_name = e.is(kind::GIVEN | kind::SURNAME);
            let weak = e.is(kind::WEAK);
            // A hospital's acronym in capitals in an ordinary note (`Avsender:
            // SUS`, `følges av OUS og UNN`): its capitals mark it wherever it
            // stands, but in a line of capitals, before a colon or a hyphen
            // (`HDS-plager`), when it is also a word (`HUS`), and before a
            // word in capitals when it is also a given name (`UNN HANSEN`).
            let acronym = mode == CaseMode::Normal
                && e.is(kind::INSTITUTION)
                && w.case == Case::Upper
                && w.end - w.start >= 3
                && !is_in(WORD_ACRONYMS, folded(w))
                && !text[w.end..].starts_with([':', '-'])
                && !shouted(k)
                && (!is_name
                    || ws
                        .get(k + 1)
                        .is_none_or(|n| n.gap != Gap::Space || n.case == Case::Lower));
            if !placed && !acronym && (weak || is_name) {
                continue;
            }
            if weak && mode != CaseMode::Normal && !placed {
                continue;
            }
            let (label, rule) = if e.is(kind::INSTITUTION) {
                (Label::CareUnit, &self.names.institution)
            } else if e.is(kind::STREET) {
                (Label::Address, &self.names.street)
            } else {
                (Label::Location, &self.names.place)
            };
            let end = if label == Label::Address {
                extend_house_number(text, w.end)
            } else {
                w.end
            };
            cands.push(Cand {
                start: w.start,
                end,
                label,
                rule: rule.clone(),
                source: Source::Gazetteer,
                gender: Gender::Unknown,
            });
        }
    }

    /// Whether word `k` can be a family name written before a comma and
    /// the given names (`Lie, Hans-Petter`), which end at byte `end`: `k`
    /// opens a line or a field, is capitalised, and the names are followed
    /// by an identity, a dash or the end of the line.
    fn family_name_first(
        text: &str,
        ws: &[Word],
        entry: &[Option<(Entry, usize)>],
        k: usize,
        end: usize,
    ) -> bool {
        let w = &ws[k];
        let opens = matches!(w.gap, Gap::Start | Gap::Sentence | Gap::Other);
        let rest = text[end..].trim_start_matches([' ', '\t']);
        let identity_follows = rest.is_empty()
            || rest.starts_with(['\n', '\r', '(', '–', '-', '—'])
            || rest
                .strip_prefix(',')
                .map(str::trim_start)
                .is_some_and(|r| {
                    r.starts_with(|c: char| c.is_ascii_digit())
                        || ["f.", "født", "fødd"].iter().any(|p| r.starts_with(p))
                });
        opens
            && w.case == Case::Title
            && identity_follows
            && entry[k].is_none_or(|(e, _)| e.is(kind::SURNAME))
    }

    /// Whether `phrase` (case-folded) opens with an eponym's possessive
    /// and what it names (`becks depresjonsinventar`, `hansens sykdom`).
    fn eponym_phrase(&self, phrase: &str) -> bool {
        let mut words = phrase.split_whitespace();
        let (Some(first), Some(second)) = (words.next(), words.next()) else {
            return false;
        };
        let stem = first.trim_end_matches(['\'', '’']);
        let stem = stem.strip_suffix('s').unwrap_or(stem);
        self.gaz.lookup(stem).is_some_and(|e| e.is(kind::EPONYM)) && is_medical_head(second)
    }

    /// Whether a run of name words is an eponym in use (`Bechterews
    /// sykdom`, `Gram-positiv`, `Arnold-Chiari-malformasjon`, `morbus Crohn`).
    fn is_eponym_use(
        &self,
        lower: &str,
        mode: CaseMode,
        ws: &[Word],
        parts: &[usize],
        entry: &[Option<(Entry, usize)>],
    ) -> bool {
        let (Some(&first), Some(&last)) = (parts.first(), parts.last()) else {
            return false;
        };
        if first > 0 && matches!(&lower[ws[first - 1].start..ws[first - 1].end], "morbus") {
            return true;
        }
        let Some(next) = ws.get(last + 1) else {
            return false;
        };
        let next_word = &lower[next.start..next.end];
        if next.gap == Gap::Hyphen && next.case == Case::Lower {
            return true;
        }
        // In a one-case note the case says nothing: a hyphen chain that
        // names a medical thing or a common word (`ADAMS-STOKES-ANFALL`,
        // `HOLTER-REGISTRERING`) makes the names an eponym.
        if mode != CaseMode::Normal {
            let chain = ws[last + 1..]
                .iter()
                .enumerate()
                .take_while(|(_, w)| w.gap == Gap::Hyphen);
            for (n, w) in chain {
                let word = &lower[w.start..w.end];
                let unlisted = entry[last + 1 + n].is_none();
                if is_medical_head(word) || (unlisted && name_cues::common_word_shape(word)) {
                    return true;
                }
            }
        }
        let w = &ws[last];
        // `Hansens`, `Williams'`
        let between = &lower[w.end..next.start];
        let apostrophe = between == "' " || between == "’ ";
        let possessive = entry[last].is_some_and(|(_, stem_end)| stem_end < w.end)
            || lower[w.start..w.end].ends_with('s');
        let eponym = parts
            .iter()
            .all(|&k| entry[k].is_some_and(|(e, _)| e.is(kind::EPONYM)));
        (eponym || possessive)
            && (next.gap == Gap::Space || apostrophe)
            && is_medical_head(next_word)
    }
}

/// Adds the detections a pass after `resolve` found to the note's,
/// which stay in order of their start.
/// The detections of `out` (sorted by start, none overlapping, so their
/// ends are sorted too) that overlap `start..end`: two binary searches, not
/// a scan of the note's detections for each word.
fn overlapping(out: &[Detection], start: usize, end: usize) -> &[Detection] {
    let from = out.partition_point(|d| d.end <= start);
    let to = from + out[from..].partition_point(|d| d.start < end);
    &out[from..to]
}

fn merge(out: &mut Vec<Detection>, added: Vec<Detection>) {
    if !added.is_empty() {
        out.extend(added);
        out.sort_by_key(|d| d.start);
    }
}

/// Drops the candidates of `before_place` rules (their spans and rule
/// names in `spans`) that no candidate care unit, place or organisation
/// follows right after a comma, or after a comma and one capitalised word
/// (`Radiologi, CT thorax`; kept: `Nevrokirurgi, Haukeland`,
/// `Nyfødtintensiv, Sykehuset Vestfold`). Before `resolve`, so that another rule's
/// candidate for the same words still stands (`Hørselsentralen, Førde`).
fn drop_units_not_before_places(
    text: &str,
    spans: &[(usize, usize, Arc<str>)],
    cands: &mut Vec<Cand>,
) {
    let placed_at: Vec<usize> = cands
        .iter()
        .filter(|c| {
            matches!(
                c.label,
                Label::CareUnit | Label::Location | Label::Organisation
            )
        })
        .map(|c| c.start)
        .collect();
    cands.retain(|c| {
        if !spans
            .iter()
            .any(|(a, b, rule)| (*a, *b) == (c.start, c.end) && *rule == c.rule)
        {
            return true;
        }
        let rest = &text[c.end..];
        let after = rest.trim_start_matches([',', ' ', '\t']);
        let at = text.len() - after.len();
        // The place, or a capitalised word and then the place (`Sykehuset
        // Vestfold`, `Helse Førde`).
        let second = after
            .split_once(' ')
            .filter(|(first, _)| first.starts_with(char::is_uppercase))
            .map(|(first, _)| at + first.len() + 1);
        rest.starts_with(',')
            && (placed_at.contains(&at) || second.is_some_and(|s| placed_at.contains(&s)))
    });
}

/// A baby's age's unit of months after its number, as notes write it.
const AGE_MONTHS: &[&str] = &[" måneder", " månader", " mnd"];

/// The length of ` og 3 mnd` (months, in any of their spellings) at the
/// start of `rest`, the text after an age's `år` (`2 år og 3 mnd`); 0 if
/// none is there.
fn months_after_years(rest: &str) -> usize {
    let Some(num) = rest.strip_prefix(" og ") else {
        return 0;
    };
    let digits = num.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&digits) {
        return 0;
    }
    AGE_MONTHS
        .iter()
        .find(|m| {
            num[digits..].starts_with(**m)
                && !num[digits + m.len()..].starts_with(char::is_alphanumeric)
        })
        .map_or(0, |m| " og ".len() + digits + m.len())
}

/// Whether a capital follows the first letter of word `w` (`NATOs`,
/// `McCain`, `iPhone`).
fn inner_capital(text: &str, w: &Word) -> bool {
    text[w.start..w.end].chars().skip(1).any(char::is_uppercase)
}

/// Whether `word` (case-folded) is what an eponym names: a medical head
/// word (`sykdom`, `-syndrom`), a grade, or a word after an eponym in the
/// eponym list's example terms (`muskeldystrofi`, `flekker`).
fn is_medical_head(word: &str) -> bool {
    is_in(EPONYM_GRADES, word)
        || is_or_ends_in(MEDICAL_HEADS, word, 2)
        || shipped().eponym_heads.contains(word)
}

/// `text` with the first letter of every listed name and place that is
/// no common word capitalised, and of the name before a unit's head word
/// (`øye legekontor`, `hauge i dalane legesenter`: the unit's name, whatever
/// it is; see [`UNIT_NAME_HEADS`]); offsets stay (see [`upcase_char`]).
fn capitalise_listed(text: &str, ws: &[Word], infos: &[WordInfo]) -> String {
    let word = |k: usize| &text[ws[k].start..ws[k].end];
    let plain = |k: usize| {
        !ws[k].numeric
            && infos[k].lex & (lex::STOP | lex::TITLE | lex::RELATION | lex::PLACE_PREP) == 0
    };
    let mut up = vec![false; ws.len()];
    for (k, info) in infos.iter().enumerate() {
        up[k] |= info.lex & lex::STOP == 0
            && info.entry.is_some_and(|e| {
                e.is(kind::GIVEN | kind::SURNAME | kind::PLACE | kind::STREET | kind::INSTITUTION)
                    && !e.is(kind::WEAK)
            });
        // `nav alta`, `nav vik`, `bup molde`: the place of a NAV office or
        // a psychiatric unit, even one that is also a word (rules
        // `nav_office`, `care_unit_acronym_prefix`).
        up[k] |= k > 0
            && ws[k].gap == Gap::Space
            && matches!(word(k - 1), "nav" | "bup" | "dps" | "vop" | "abup" | "bupa")
            && info.entry.is_some_and(|e| e.is(kind::PLACE));
        let before_head = ws
            .get(k + 1)
            .is_some_and(|n| n.gap == Gap::Space && is_in(UNIT_NAME_HEADS, word(k + 1)))
            || text[ws[k].end..]
                .strip_prefix(' ')
                .is_some_and(|rest| UNIT_NAME_TAILS.iter().any(|t| rest.starts_with(t)));
        if !before_head || !plain(k) {
            continue;
        }
        // `nore og uvdal sykehjem`: a name joined by `og` is left to the
        // place list, which knows such names whole.
        let joined_by = (k >= 2 && ws[k].gap == Gap::Space).then(|| word(k - 1));
        match joined_by {
            Some("og") => {}
            Some("i" | "på") if plain(k - 2) => {
                up[k] = true;
                up[k - 2] = true;
            }
            _ => up[k] = true,
        }
    }
    let mut out = text.to_string();
    for (w, _) in ws.iter().zip(&up).filter(|(_, u)| **u) {
        let Some(c) = text[w.start..].chars().next() else {
            continue;
        };
        let mut buf = [0u8; 4];
        out.replace_range(
            w.start..w.start + c.len_utf8(),
            upcase_char(c).encode_utf8(&mut buf),
        );
    }
    out
}

/// Whether `town` (case-folded) is the post town of the four-digit
/// postcode that `before` ends with, spaces aside (`7013 trondheim`).
fn town_of_postcode_before(before: &str, town: &str) -> bool {
    let code = before.trim_end();
    let digits = code.bytes().rev().take_while(u8::is_ascii_digit).count();
    digits == 4 && code[code.len() - 4..].parse().ok().and_then(post_town) == Some(town)
}

/// Extends an address end over a following house number (` 12B`).
fn extend_house_number(text: &str, end: usize) -> usize {
    let rest = &text[end..];
    let b = rest.as_bytes();
    if b.first() != Some(&b' ') {
        return end;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 4 {
        return end;
    }
    let mut e = end + 1 + digits;
    if let Some(&c) = text.as_bytes().get(e)
        && c.is_ascii_alphabetic()
        && !text
            .as_bytes()
            .get(e + 1)
            .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        e += 1;
    }
    // Not a word, and not a date or time (`Storgata 2022-09-28`).
    let after = &text.as_bytes()[e..];
    if text[e..].starts_with(|c: char| c.is_alphanumeric())
        || (after.first().is_some_and(|b| b".-/:".contains(b))
            && after.get(1).is_some_and(u8::is_ascii_digit))
    {
        return end;
    }
    e
}

/// A year found where a postcode stands before its own post town (`Storgata
/// 1, 2010 Strømmen`) is that postcode: the DATE candidate of the span goes,
/// so that the POSTCODE one is kept. A year before any other word (`2019
/// Hjerteinfarkt` in a history list) stays a date, as DATE outranks
/// POSTCODE on equal spans.
fn drop_years_before_post_towns(lower: &str, cands: &mut Vec<Cand>) {
    let before_its_town = |c: &Cand| {
        let Some(town) = lower[c.start..c.end]
            .parse::<u16>()
            .ok()
            .and_then(super::data::post_town)
        else {
            return false;
        };
        lower[c.end..]
            .trim_start_matches([' ', '\u{a0}'])
            .strip_prefix(town)
            .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
    };
    let postcodes: std::collections::HashSet<(usize, usize)> = cands
        .iter()
        .filter(|c| c.label == Label::Postcode && before_its_town(c))
        .map(|c| (c.start, c.end))
        .collect();
    if !postcodes.is_empty() {
        cands.retain(|c| c.label != Label::Date || !postcodes.contains(&(c.start, c.end)));
    }
}

/// A date with its day takes the weekday before it (`mandag 26. februar
/// 2024`, `sundag 14. april`): its surrogate writes the shifted date's
/// weekday, as the original one would tell the date.
fn dates_from_their_weekdays(text: &str, cands: &mut [Cand]) {
    for c in cands.iter_mut().filter(|c| c.label == Label::Date) {
        if let Some(from) = dates::weekday_start(text, c.start)
            && dates::parse(&text[from..c.end]).is_some()
        {
            c.start = from;
        }
    }
}

/// How far before a date (bytes) a statute's name may start (`lov om
/// pasient- og brukerrettigheter av 2. juli 1999 nr. 63`).
const STATUTE_WINDOW: usize = 80;

/// Whether the case-folded word `w` names a statute: `lov`, `forskrift` or
/// a compound ending in `loven`, `lova` or `forskriften`
/// (`helsepersonelloven`).
fn is_statute_word(w: &str) -> bool {
    matches!(w, "lov" | "forskrift")
        || ["loven", "lova", "forskriften", "forskrifta"]
            .iter()
            .any(|e| w.ends_with(e))
}

/// A date that dates a statute or a form is no patient's date: a DATE
/// candidate with a month's name and a year, followed by the statute's
/// number (`nr. 63`, not a case number `nr. 24/113`), right after a word
/// for a statute (`lov 2. juli 1999 nr. 63`, `helsepersonelloven av …`)
/// or after `av` with one before it on the same line (`lov om pasient- og
/// brukerrettigheter av 2. juli 1999 nr. 63`); or a part of a NAV form's
/// number (`NAV 08-07.04`).
fn drop_statute_and_form_dates(lower: &str, cands: &mut Vec<Cand>) {
    let statute = |c: &Cand| {
        // The cheap test first: most dates have no `nr` after them.
        let numbered = lower[c.end..]
            .trim_start()
            .strip_prefix("nr")
            .map(|r| r.trim_start_matches(['.', ' ']))
            .is_some_and(|r| {
                let digits = r.bytes().take_while(u8::is_ascii_digit).count();
                digits > 0 && !matches!(r.as_bytes().get(digits), Some(b'/' | b'-'))
            });
        let date = &lower[c.start..c.end];
        if !numbered
            || !date.contains(char::is_alphabetic)
            || !dates::parse(date).is_some_and(|d| d.has_year() && d.has_day())
        {
            return false;
        }
        let mut words = lower[..c.start]
            .split_whitespace()
            .rev()
            .map(|w| w.trim_matches(|ch: char| !ch.is_alphanumeric()));
        match words.next() {
            Some(w) if is_statute_word(w) => true,
            Some("av") => {
                let mut from = c.start.saturating_sub(STATUTE_WINDOW);
                while !lower.is_char_boundary(from) {
                    from += 1;
                }
                // A word for a statute with no number and no line break
                // between it and the date.
                let window = &lower[from..c.start];
                let tail = window
                    .rfind(|d: char| d.is_ascii_digit() || d == '\n')
                    .map_or(window, |i| &window[i + 1..]);
                tail.split(|ch: char| !ch.is_alphanumeric())
                    .any(is_statute_word)
            }
            _ => false,
        }
    };
    let form = |c: &Cand| {
        let number = |b: u8| b.is_ascii_digit() || b == b'-' || b == b'.';
        let bytes = lower.as_bytes();
        let from = bytes[..c.start]
            .iter()
            .rposition(|&b| !number(b))
            .map_or(0, |i| i + 1);
        let to = bytes[c.end..]
            .iter()
            .position(|&b| !number(b))
            .map_or(bytes.len(), |i| c.end + i);
        let b = lower[from..to].trim_end_matches('.').as_bytes();
        let shape = b.len() == 8
            && b.iter().enumerate().all(|(i, &x)| match i {
                2 => x == b'-',
                5 => x == b'.',
                _ => x.is_ascii_digit(),
            });
        shape && lower[..from].ends_with("nav ")
    };
    // (With the dates inside them: `juli 1999` of `2. juli 1999`.)
    let dropped: Vec<(usize, usize)> = cands
        .iter()
        .filter(|c| c.label == Label::Date && (statute(c) || form(c)))
        .map(|c| (c.start, c.end))
        .collect();
    if !dropped.is_empty() {
        cands.retain(|c| {
            c.label != Label::Date || !dropped.iter().any(|&(s, e)| c.start < e && s < c.end)
        });
    }
}

/// Whether `gap` (the text between two words) is an apostrophe (`O'Brien`).
fn is_apostrophe(gap: &str) -> bool {
    matches!(gap, "'" | "’")
}

/// Whether `label` names a place: a location or a place of care.
fn is_place(label: Label) -> bool {
    matches!(label, Label::Location | Label::CareUnit)
}

/// Keeps the best non-overlapping candidates: longest, then most specific
/// label, then most trusted source, then earliest. A listed place that
/// overlaps a kept place in part becomes part of it.
fn resolve(mut cands: Vec<Cand>) -> Vec<Detection> {
    // Rules and the register outrank lists and context on equal spans.
    let class = |s: Source| u8::from(s >= Source::Gazetteer);
    cands.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(class(a.source).cmp(&class(b.source)))
            .then(a.label.specificity().cmp(&b.label.specificity()))
            .then(a.source.cmp(&b.source))
            .then(a.start.cmp(&b.start))
            .then(a.rule.cmp(&b.rule))
    });
    // Spans taken so far, by start: end and index in `out` (a tree: a
    // note with a hundred thousand spans must not shift a vector each time).
    let mut taken: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let entry = |(&s, &(e, i)): (&usize, &(usize, usize))| (s, e, i);
    let mut out: Vec<Detection> = Vec::new();
    for c in cands {
        let before = taken.range(..c.start).next_back().map(entry);
        let after = taken.range(c.start..).next().map(entry);
        let clash_before = before.is_some_and(|b| b.1 > c.start);
        let clash_after = after.is_some_and(|a| a.0 < c.end);
        if clash_before || clash_after {
            // A listed place that overlaps a kept place in part
            // (`[Eiganes og Våland]` and `[Våland legekontor]`) is one
            // with it: the kept span grows over the listed one, so that no
            // part of the name is left. (Not a rule's or a cue's span: in
            // capitals those take ordinary words, `PCI VED DPS …`.)
            let one = match (clash_before, clash_after) {
                (true, false) => before,
                (false, true) => after,
                _ => None,
            };
            if let Some((start, end, i)) = one
                && c.source == Source::Gazetteer
                && is_place(c.label)
            {
                let (s, e) = (start.min(c.start), end.max(c.end));
                // The union must not reach the spans on either side.
                let free = taken
                    .range(..start)
                    .next_back()
                    .is_none_or(|(_, &(pe, _))| pe <= s)
                    && taken
                        .range(start + 1..)
                        .next()
                        .is_none_or(|(&ns, _)| ns >= e);
                if free && is_place(out[i].label) && (s, e) != (start, end) {
                    taken.remove(&start);
                    taken.insert(s, (e, i));
                    out[i].start = s;
                    out[i].end = e;
                }
            }
            continue;
        }
        taken.insert(c.start, (c.end, out.len()));
        out.push(Detection {
            start: c.start,
            end: c.end,
            label: c.label,
            rule: c.rule,
            gender: c.gender,
        });
    }
    out.sort_by_key(|d| d.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deid::gazetteer::ExtraLists;

    fn detector(register: Option<Register>) -> Detector {
        Detector::new(
            RuleSet::load(&[]).unwrap(),
            Gazetteer::build(&ExtraLists::default()),
            register,
        )
    }

    fn spans(d: &Detector, t: &str) -> Vec<(String, Label)> {
        d.detect(t, "p1")
            .into_iter()
            .map(|s| (t[s.start..s.end].to_string(), s.label))
            .collect()
    }

    /// Asserts that each `(text, span)` gives `span` with `label`.
    fn assert_all_found(d: &Detector, cases: &[(&str, &str)], label: Label) {
        for &(t, span) in cases {
            let v = spans(d, t);
            assert!(has(&v, span, label), "{t}: {v:?}");
        }
    }

    /// Asserts that no text gives a span labelled `label`.
    fn assert_none_labelled(d: &Detector, texts: &[&str], label: Label) {
        for t in texts {
            let v = spans(d, t);
            assert!(v.iter().all(|x| x.1 != label), "{t}: {v:?}");
        }
    }

    /// Asserts that each text gives a person (either label) spanning
    /// exactly the given name.
    fn assert_persons_found(d: &Detector, cases: &[(&str, &str)]) {
        for &(t, name) in cases {
            let v = spans(d, t);
            assert!(
                v.iter().any(|x| x.0 == name && x.1.is_person()),
                "{t}: {v:?}"
            );
        }
    }

    /// Asserts that no text gives a person.
    fn assert_no_person(d: &Detector, texts: &[&str]) {
        for t in texts {
            let v = spans(d, t);
            assert!(!v.iter().any(|x| x.1.is_person()), "{t}: {v:?}");
        }
    }

    fn has(v: &[(String, Label)], s: &str, l: Label) -> bool {
        v.iter().any(|x| x.0 == s && x.1 == l)
    }

    /// Roles outside the clinic and parties named in forms stand before a
    /// name as titles do: the name after them is found, the role word is
    /// no part of it.
    #[test]
    fn roles_and_parties_before_names() {
        let d = detector(None);
        for (t, name) in [
            ("Vaktmester Rune åpnet døra.", "Rune"),
            ("Kontroll hos augelege Lunde i morgon.", "Lunde"),
            ("Bandy: lagkameraten Even var med.", "Even"),
        ] {
            let v = spans(&d, t);
            assert!(v.iter().any(|x| x.0 == name), "{t}: {v:?}");
        }
        for (t, role) in [
            ("Søker: Hamid Rahimi, D-nr. oppgitt.", "Søker"),
            ("Søker Nils Arvid Grønn (77 år) har ileostomi.", "Søker"),
            ("Observanden Robin Kvinge ble undersøkt.", "Observanden"),
            ("Skadelidne Frida Hestnes var tilsett.", "Skadelidne"),
        ] {
            let v = spans(&d, t);
            assert!(!v.iter().any(|x| x.0.contains(role)), "{t}: {v:?}");
            assert!(v.iter().any(|x| x.1 == Label::PersonLast), "{t}: {v:?}");
        }
    }

    /// A date takes the weekday before it; a weekday alone stays a word.
    #[test]
    fn dates_take_their_weekdays() {
        let d = detector(None);
        let v = spans(
            &d,
            "Møte mandag 26. februar 2024 kl 10. Sundag, 14. april vart ho innlagd. Kom på mandag.",
        );
        assert!(has(&v, "mandag 26. februar 2024", Label::Date), "{v:?}");
        assert!(has(&v, "Sundag, 14. april", Label::Date), "{v:?}");
        assert!(!v.iter().any(|x| x.0 == "mandag"), "{v:?}");
        // Nor is a weekday or month alone the name of anything else.
        let v = spans(&d, "Var på hytta Fredag. Innlagt Hospitalet Mai 2023.");
        assert!(
            v.iter().all(|x| x.1 == Label::Date && x.0 == "Mai 2023"),
            "{v:?}"
        );
    }

    /// Dates of statutes (before their number) and of NAV forms are no
    /// patient's dates.
    #[test]
    fn statute_and_form_dates_are_no_dates() {
        let d = detector(None);
        let t = "Jf. lov 2. juli 1999 nr. 63 om pasient- og brukerrettigheter, forskrift \
                 19. januar 2004 nr. 298 og skjema NAV 08-07.04. Innlagt 2. juli 1999.";
        let v = spans(&d, t);
        let found: Vec<&str> = v
            .iter()
            .filter(|x| x.1 == Label::Date)
            .map(|x| x.0.as_str())
            .collect();
        assert_eq!(found, ["2. juli 1999"], "{v:?}");
    }

    /// Given names common abroad but rare in Norway (`given_names_world.tsv`)
    /// start a full name; one that ends a run is its family name. Clinical
    /// words and places that such lists also hold are no names.
    #[test]
    fn given_names_from_abroad() {
        let d = detector(None);
        let v = spans(&d, "Det sa Mihai Popescu til legen torsdag.");
        assert!(has(&v, "Mihai", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Popescu", Label::PersonLast), "{v:?}");
        let v = spans(
            &d,
            "Kontaktet Kostas Bakoyannis, som er nabo. Sarah Connor ringte.",
        );
        assert!(has(&v, "Kostas", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Bakoyannis", Label::PersonLast), "{v:?}");
        assert!(has(&v, "Connor", Label::PersonLast), "{v:?}");
        // Joined by a hyphen to a family name, such a name is part of it;
        // a Norwegian family name (`Rud`) is not read as one from abroad.
        let v = spans(
            &d,
            "Sett av fysioterapeut Anne-Mari Abdalla-Bjordal og Saleh Rud Pettersen.",
        );
        for part in ["Abdalla", "Rud"] {
            assert!(!has(&v, part, Label::PersonFirst), "{part}: {v:?}");
            assert!(v.iter().any(|x| x.0.contains(part)), "{part}: {v:?}");
        }
        let v = spans(
            &d,
            "Cor: regelmessig aksjon. Kjent Douglas' rom og achilles-senen. Feriert i Santiago og Orlando i fjor. Fikk NIV. Funn av Candida albicans i urin.",
        );
        // `i Santiago og Orlando` are cities abroad (`cities_abroad`), no
        // names.
        assert!(
            v.iter()
                .all(|x| ["Santiago", "Orlando"].contains(&x.0.as_str()) && x.1 == Label::Location),
            "{v:?}"
        );
        // Blood groups, drains, grades, abbreviations, a drug, feasts and
        // places the name lists of other countries also hold.
        let v = spans(
            &d,
            "Screening: anti-Kell negativ. Redon fjernet. Melanom Clark nivå III. Diabetisk fotsår Wagner grad 2. \
             Dok. i DIPS. Diane mite startet. Faster under Ramadan og Bajram. Har familie i Roma, \
             kom fra Assam i India. Reiste fra Sri Lanka og Buenos Aires.",
        );
        assert!(v.is_empty(), "{v:?}");
        // A lone name that is a Norwegian family name too stays one.
        let v = spans(&d, "Iqbal ringte i går.");
        assert!(has(&v, "Iqbal", Label::PersonLast), "{v:?}");
        // In a one-case note such a name needs a cue: no `clark nivå`,
        // no `connor sender`.
        let v = spans(&d, "melanom clark nivå iii. sarah connor sender brev.");
        assert!(
            !v.iter()
                .any(|x| x.0.contains("nivå") || x.0.contains("sender")),
            "{v:?}"
        );
        // Spelled as its country spells it (`Ștefan`, comma below).
        let v = spans(
            &d,
            "Ștefan Dumitru og Gökhan Yılmaz ble sett av fysioterapeut.",
        );
        for part in ["Ștefan", "Gökhan", "Yılmaz"] {
            assert!(v.iter().any(|x| x.0 == part), "{part}: {v:?}");
        }
    }

    /// A city abroad is a place right after a place preposition or verb,
    /// in a note of both cases; elsewhere, and where it is a name, it is
    /// not.
    #[test]
    fn cities_abroad() {
        let d = detector(None);
        let v = spans(
            &d,
            "Kvinne fra Mogadishu, født 12.05.1961 i Lahore. Reiste hjem fra São Paulo. Bodde i Göteborg og i Teheran. Født i Paris.\nFødested: Asmara\n\
             Flyttet fra Kabul 2015. Reiste til Manila 12. mars. Bor i\nErbil. Søster (i Aleppo) ringte.",
        );
        for city in [
            "Lahore",
            "São Paulo",
            "Göteborg",
            "Teheran",
            "Paris",
            "Asmara",
            "Kabul",
            "Manila",
            "Erbil",
            "Aleppo",
        ] {
            assert!(has(&v, city, Label::Location), "{city}: {v:?}");
        }
        // Before `, født` the cue for a person takes it, which hides it too.
        assert!(v.iter().any(|x| x.0 == "Mogadishu"), "{v:?}");
        // Cities joined to a place by a comma, `og` or `eller`.
        let v = spans(
            &d,
            "Flyttet fra Kabul og Kandahar. Har bodd i Aleppo, Homs og Damaskus. Bodde i Oslo eller Lahore. Fra Kabul og Kari ble med. Kom fra Kabul, Herat i 2010. Kom via Nairobi.",
        );
        for city in ["Kandahar", "Homs", "Damaskus", "Lahore", "Herat", "Nairobi"] {
            assert!(has(&v, city, Label::Location), "{city}: {v:?}");
        }
        assert!(has(&v, "Kari", Label::PersonFirst), "{v:?}");
        // Not after a preposition, not a continent,
        // a country or a region, not a score or a classification named
        // after a city, not an acronym in capitals, and not when it is a
        // name (`García` is a Mexican city too; `Saint-Laurent` a Canadian
        // one).
        let v = spans(
            &d,
            "Boston-klassifikasjon brukt. Mogadishu er nevnt. Har bodd i Asia, Holland og Norden. \
             Tarmtømming vurdert til Boston 8. Cytologi graderes til Bethesda IV. \
             Øsofagitt tilsvarende Los Angeles grad B. Vurdert etter Atlanta-kriteriene, \
             i henhold til Atlanta-kriteriene. Stenose i ICA. Byttet til Hudson maske.",
        );
        assert!(v.is_empty(), "{v:?}");
        // In a one-case note a city's case says nothing; the place is enough.
        for t in [
            "kvinne fra mogadishu, bodde i lahore og karachi. fødested: asmara",
            "KVINNE FRA MOGADISHU, BODDE I LAHORE OG KARACHI. FØDESTED: ASMARA",
        ] {
            let v = spans(&d, t);
            for city in ["mogadishu", "lahore", "karachi", "asmara"] {
                assert!(
                    v.iter()
                        .any(|x| fold_case(&x.0) == city && x.1 == Label::Location),
                    "{city}: {v:?}"
                );
            }
        }
        let v = spans(
            &d,
            "tarmtømming vurdert til boston 8. cytologi graderes til bethesda iv. mogadishu er nevnt. \
             blodprøver tatt fra vena mediana cubiti.",
        );
        assert!(v.is_empty(), "{v:?}");
        // `i` after a city in a one-case note is the preposition.
        let v = spans(
            &d,
            "pasienten er en 54 år gammel kvinne. hun er født i asmara i 1985 og bodde i kabul i ti år.",
        );
        for city in ["asmara", "kabul"] {
            assert!(has(&v, city, Label::Location), "{city}: {v:?}");
        }
        // A city joined by a comma alone ends its phrase or goes on a list.
        let v = spans(
            &d,
            "Innlagt i Bergen, Uppsala modellen brukt. Kom fra Oslo, Madison er navnet på hunden.",
        );
        assert!(
            !v.iter().any(|x| x.0 == "Uppsala" || x.0 == "Madison"),
            "{v:?}"
        );
        let v = spans(&d, "Ble sett av Ana García. Yves Saint-Laurent smilte.");
        assert!(has(&v, "García", Label::PersonLast), "{v:?}");
        assert!(v.iter().any(|x| x.0.contains("Laurent")), "{v:?}");
        assert!(v.iter().all(|x| x.1 != Label::Location), "{v:?}");
        // A name cue still finds a name that is also a city abroad, in any
        // case.
        for t in [
            "Ringte til Vinh, pasientens sønn.",
            "ringte til vinh, pasientens sønn.",
            "RINGTE TIL VINH, PASIENTENS SØNN.",
        ] {
            let v = spans(&d, t);
            assert!(
                v.iter().any(|x| x.0.eq_ignore_ascii_case("vinh")),
                "{t}: {v:?}"
            );
        }
    }

    /// A word found only without its accents is a weak name: not alone in a
    /// one-case note, nor a word of another language in a drug list.
    #[test]
    fn names_without_accents_are_weak() {
        let d = detector(None);
        let v = spans(
            &d,
            "Pas. Rodríguez flyttet til enerom. Nguyễn Thị Lan innlagt.",
        );
        for part in ["Rodríguez", "Nguyễn"] {
            assert!(v.iter().any(|x| x.0.contains(part)), "{part}: {v:?}");
        }
        for t in [
            "Laxoberal Dragé 5 mg ved behov. Müsli til frokost.",
            "dulcolax dragé 5 mg. toilax dragé 2 stk.",
            "DULCOLAX DRAGÉ 5 MG.",
        ] {
            let v = spans(&d, t);
            assert!(v.is_empty(), "{t}: {v:?}");
        }
    }

    #[test]
    fn names_from_abroad_after_a_cue_in_one_case_notes() {
        let d = detector(None);
        // A given name only abroad, or a name found without its accents,
        // after a relation or title; not alone (a word in another language
        // could look the same).
        for t in [
            "pasienten er en 54 år gammel kvinne. pasientens sønn josé kom på besøk. kona małgorzata var med. fru rodríguez ringte. datter maría-josé kom.",
            "PASIENTEN ER EN 54 ÅR GAMMEL KVINNE. PASIENTENS SØNN JOSÉ KOM PÅ BESØK. KONA MAŁGORZATA VAR MED. FRU RODRÍGUEZ RINGTE. DATTER MARÍA-JOSÉ KOM.",
        ] {
            let v = spans(&d, t);
            for part in ["josé", "małgorzata", "rodríguez"] {
                assert!(
                    v.iter().any(|x| fold_case(&x.0) == part && x.1.is_person()),
                    "{part}: {v:?}"
                );
            }
            assert!(v.iter().any(|x| fold_case(&x.0).contains("maría")), "{v:?}");
        }
        let v = spans(
            &d,
            "pasienten er en 54 år gammel kvinne. hun bodde i san josé i mange år og spiste müsli. \
             ektefellen novo-pen ble brukt. jordmor leopolds håndgrep viste hodeleie.",
        );
        assert!(!v.iter().any(|x| x.1.is_person()), "{v:?}");
    }

    #[test]
    fn small_initials_after_a_relation_in_an_ordinary_note() {
        let d = detector(None);
        let v = spans(
            &d,
            "Kontakt med far w. espeseth i dag. Kone m. lindgren er med. Sett av lege k. pettersen.",
        );
        for part in ["w", "espeseth", "m", "lindgren", "k", "pettersen"] {
            assert!(
                v.iter().any(|x| x.0 == part && x.1.is_person()),
                "{part}: {v:?}"
            );
        }
        let v = spans(&d, "Vurdert av dr. a. nakstad i dag.");
        assert!(v.iter().any(|x| x.0 == "nakstad"), "{v:?}");
        // Not before an ordinary word, a number, an abbreviation or a
        // disease; `m.`, `d.`, `f.` only before a listed family name.
        let v = spans(
            &d,
            "Kone m. barn kom. Bror f. 1960 er frisk. Gitt v. k. penicillin. Ektemann m. fl. kom. \
             Hereditet: Mor m. hypotyreose, far m. hjertesvikt. Far d. prostatakreft. Sønn m. adhd. \
             Far h. pylori positiv. Mor e. coli-sepsis. Sykepleier a. radialis-prøve tatt.",
        );
        assert!(!v.iter().any(|x| x.1.is_person()), "{v:?}");
    }

    #[test]
    fn ordinary_words_do_not_continue_a_name() {
        let d = detector(None);
        // After a given name in a one-case note or a section in capitals,
        // an unlisted word is the family name unless it is an ordinary
        // word of Norwegian text.
        let v = spans(
            &d,
            "pasienten er en 54 år gammel kvinne. sønnen håkon hentet pasienten. ektemannen petter resell følger opp.",
        );
        assert!(has(&v, "håkon", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "resell", Label::PersonLast), "{v:?}");
        // A noun is a family name as often (`vinter`, `bonde`), and a word
        // before a house number names a street.
        let v = spans(
            &d,
            "pasienten er en 54 år gammel kvinne. sønnen håkon vinter ringte. kona anne bonde var med.",
        );
        for part in ["vinter", "bonde"] {
            assert!(v.iter().any(|x| x.0 == part), "{part}: {v:?}");
        }
        // An adjective or verb is a family name where the name ends after
        // it; a noun is none before a number.
        let v = spans(
            &d,
            "pasienten er en 54 år gammel kvinne. sønnen ole stolt ringte. broren jan erik fin, er verge. \
             kona kari telefon 91234567.",
        );
        for part in ["stolt", "fin"] {
            assert!(v.iter().any(|x| x.0 == part), "{part}: {v:?}");
        }
        assert!(!v.iter().any(|x| x.0 == "telefon"), "{v:?}");
        // A noun before an object or an adverb is a verb (`gråt`, the
        // noun, and `gråt`, the past of `gråte`).
        let v = spans(
            &d,
            "pasienten eva ringde i går. eva gråt mykje. aud kjører henne heim.",
        );
        for word in ["gråt", "kjører"] {
            assert!(!v.iter().any(|x| x.0 == word), "{word}: {v:?}");
        }
        // The pronoun of spoken Norwegian before a given name is no
        // family name (`Ho` is one too).
        let v = spans(&d, "Innlagt i går. Ho Kari Sæther har vondt i magen.");
        assert!(!v.iter().any(|x| x.0.contains("Ho")), "{v:?}");
        assert!(has(&v, "Kari", Label::PersonFirst), "{v:?}");
        let v = spans(&d, "ADRESSE: SJØLIES TUNET 61D, 1640 RÅDE. BOR ALENE.");
        assert!(v.iter().any(|x| x.0.contains("TUNET")), "{v:?}");
        assert!(
            !v.iter()
                .any(|x| x.0.contains("hentet") || x.0.contains("følger")),
            "{v:?}"
        );
        let v = spans(
            &d,
            "Status: HUDEN ER RØD OG HOVEN RUNDT PVK. Pårørende: RAJESH IONESCU.",
        );
        assert!(!v.iter().any(|x| x.0.contains("RUNDT")), "{v:?}");
        assert!(v.iter().any(|x| x.0.contains("IONESCU")), "{v:?}");
    }

    #[test]
    fn names_with_titles_initials_and_possessives() {
        let d = detector(None);
        let t = "Pasienten Kari Nordmann ble sett av dr. Bjørgan. K. Bjørgan og Hansens datter Liv kom. Tlf 22 11 33 44.";
        let v = spans(&d, t);
        assert!(has(&v, "Kari", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Nordmann", Label::PersonLast), "{v:?}");
        assert!(has(&v, "Bjørgan", Label::PersonLast), "{v:?}");
        assert!(has(&v, "K", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Hansen", Label::PersonLast), "{v:?}");
        assert!(has(&v, "Liv", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "22 11 33 44", Label::Phone), "{v:?}");
        // A listed hospital after `operert ved` is no person; a family name
        // that is also a hospital's, after a title, is one.
        let v = spans(
            &d,
            "Søster Berit ble operert ved Rikshospitalet. Sett av dr. Gaustad.",
        );
        assert!(has(&v, "Rikshospitalet", Label::CareUnit), "{v:?}");
        assert!(has(&v, "Gaustad", Label::PersonLast), "{v:?}");
        // An unknown word opening a sentence before a given name is a role
        // or a relation, not a name part.
        let v = spans(
            &d,
            "Debutant Lars Petter Sveen har skrive. Partifelle Astrid Nordal var der.",
        );
        assert!(has(&v, "Lars", Label::PersonFirst), "{v:?}");
        assert!(
            v.iter().all(|x| x.0 != "Debutant" && x.0 != "Partifelle"),
            "{v:?}"
        );
        // A name in brackets of its own after a relation or a title; not
        // the first words of a longer aside.
        let v = spans(
            &d,
            "Samtale med kona (Gro) på telefon. Sett av overlege (Kari Hansen).",
        );
        assert!(has(&v, "Gro", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Hansen", Label::PersonLast), "{v:?}");
        // `gift med`, `samboer med`: a partner follows.
        let v = spans(&d, "Hun er gift med Tor, som er pensjonert.");
        assert!(has(&v, "Tor", Label::PersonFirst), "{v:?}");
        // A family name that opens with its particles, after a title.
        let v = spans(
            &d,
            "Sett av dr. de la Cruz i dag. Legen la Merete inn. Overlegen la Hansen inn.",
        );
        assert!(has(&v, "de la Cruz", Label::PersonLast), "{v:?}");
        assert!(!v.iter().any(|x| x.0.starts_with("la")), "{v:?}");
        // A full name after `og` and a full name.
        let v = spans(
            &d,
            "Samtale med Aleksandra Kowalczyk og Oluwaseun Adeyemi i dag. Kari Hansen og Rød Kors kom.",
        );
        assert!(has(&v, "Oluwaseun", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Adeyemi", Label::PersonLast), "{v:?}");
        assert!(!v.iter().any(|x| x.0 == "Kors"), "{v:?}");
        // The given names before an `O'Brien` after a title's colon.
        let v = spans(&d, "Operatør: Thi Hoa O'Brien. Pas.: Mikko O'Brien, 84 år.");
        assert!(has(&v, "Mikko", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "O'Brien", Label::PersonLast), "{v:?}");
        for part in ["Thi", "Hoa"] {
            assert!(v.iter().any(|x| x.0.contains(part)), "{part}: {v:?}");
        }
        // In a one-case note too, the name goes on over the apostrophe.
        let v = spans(
            &d,
            "pasient: aisha o'brien, f.nr. 56826113710\nårsak: smerter i magen etter operasjonen.",
        );
        assert!(has(&v, "o'brien", Label::PersonLast), "{v:?}");
        let v = spans(&d, "Kona (Gro i hagen) kom.");
        assert!(v.is_empty(), "{v:?}");
        // A relation in its definite form opening a sentence is no name.
        let v = spans(&d, "Ektemannen Arvid døde i 2019. Bestemora Kari kom.");
        assert!(has(&v, "Arvid", Label::PersonFirst), "{v:?}");
        assert!(
            v.iter().all(|x| x.0 != "Ektemannen" && x.0 != "Bestemora"),
            "{v:?}"
        );
    }

    #[test]
    fn common_words_eponyms_and_abbreviations_are_not_names() {
        let d = detector(None);
        let t = "Liv og helse er viktig. Hun har Bechterews sykdom og Hansens sykdom. Time avtalt. CRP 5, BT 120/80. Per os.";
        let v = spans(&d, t);
        assert!(v.is_empty(), "{v:?}");
        // The nynorsk heading `Anna:` (other) opening a line; the name
        // elsewhere.
        let v = spans(
            &d,
            "Kontroll om 3 veker.\nAnna: Ansvarleg for vidare oppfølging.",
        );
        assert!(v.is_empty(), "{v:?}");
        let v = spans(&d, "Samtale med Anna Berg: ho er nøgd.");
        assert!(has(&v, "Anna", Label::PersonFirst), "{v:?}");
    }

    #[test]
    fn a_listed_units_site_is_part_of_the_unit() {
        let d = detector(None);
        let v = spans(
            &d,
            "CT ved Curato Røntgen Bergen 12.03.2024. Prøve til Fürst.",
        );
        assert!(has(&v, "Curato Røntgen Bergen", Label::CareUnit), "{v:?}");
        assert!(has(&v, "Fürst", Label::CareUnit), "{v:?}");
    }

    /// Two places that overlap in part are one span: no part is left.
    #[test]
    fn places_that_overlap_in_part_are_one_span() {
        let d = detector(None);
        let v = spans(
            &d,
            "Fulgt opp av fastlege Wilhelm Rahimi ved Eiganes og Våland legekontor. Frisk.",
        );
        assert!(
            has(&v, "Eiganes og Våland legekontor", Label::CareUnit),
            "{v:?}"
        );
    }

    /// A year-like postcode before its own post town is a postcode; before
    /// another word, at a line start, a year.
    #[test]
    fn a_postcode_before_its_post_town_is_no_year() {
        let d = detector(None);
        let v = spans(
            &d,
            "Storgata 1, 2010 Strømmen. Strømmen legesenter, 2010 STRØMMEN",
        );
        assert_eq!(v.iter().filter(|x| x.0 == "2010").count(), 2, "{v:?}");
        assert!(
            v.iter().all(|x| x.0 != "2010" || x.1 == Label::Postcode),
            "{v:?}"
        );
        let v = spans(&d, "Tidligere:\n2019 Hjerteinfarkt\n2020 Hjerneslag");
        assert!(has(&v, "2019", Label::Date), "{v:?}");
        assert!(has(&v, "2020", Label::Date), "{v:?}");
    }

    /// A given name only abroad before a family name is a name in a
    /// one-case note too; not before an ordinary word.
    #[test]
    fn names_from_abroad_before_a_family_name_in_one_case_notes() {
        let d = detector(None);
        for t in [
            "BAKGRUNN: HENVIST FRA MIHAI PETROV FOR VURDERING AV FORVIRRING.",
            "bakgrunn: henvist fra mihai petrov for vurdering av forvirring.",
        ] {
            let v = spans(&d, t);
            assert!(
                v.iter().any(|x| x.1 == Label::PersonFirst)
                    && v.iter().any(|x| x.1 == Label::PersonLast),
                "{t}: {v:?}"
            );
        }
        let v = spans(&d, "melanom, clark nivå 3 ved biopsi. han er stabil.");
        assert!(!v.iter().any(|x| x.1.is_person()), "{v:?}");
    }

    /// Employers: in a one-case note some word of the name is no ordinary
    /// word, or it names a public employer, and the name ends before `som`;
    /// in an ordinary note it is capitalised.
    #[test]
    fn employers_by_case() {
        let d = detector(None);
        let v = spans(
            &d,
            "SOSIALT: ARBEIDER SOM ASSISTENT I BARNEHAGE. MANNEN JOBBER I BAMA SOM LAGERMEDARBEIDER. \
             DATTEREN ARBEIDER I STATENS VEGVESEN.",
        );
        assert!(has(&v, "BAMA", Label::Organisation), "{v:?}");
        assert!(has(&v, "STATENS VEGVESEN", Label::Organisation), "{v:?}");
        assert!(
            !v.iter()
                .any(|x| x.0.contains("BARNEHAGE") || x.0.contains("SOM")),
            "{v:?}"
        );
        // A name with its company form keeps the words inside it.
        for t in [
            "Sosialt: Jobber hos Alt Til Hjemmet AS. Røyker ikke.",
            "SOSIALT: JOBBER I ALT TIL HJEMMET AS. RØYKER IKKE.",
        ] {
            let v = spans(&d, t);
            assert!(
                v.iter()
                    .any(|x| x.1 == Label::Organisation && x.0.ends_with(" AS")),
                "{t}: {v:?}"
            );
        }
        let v = spans(
            &d,
            "Sosialt: Jobber i oppvekstsektoren. Mannen jobber i Bama.",
        );
        assert!(has(&v, "Bama", Label::Organisation), "{v:?}");
        assert!(!v.iter().any(|x| x.0.contains("oppvekst")), "{v:?}");
    }

    /// In a note in capitals, an initial's one letter reads as capitalised:
    /// a listed family name that is also a word goes on after it, as in a
    /// note in lower case.
    #[test]
    fn initials_before_family_names_in_capitals() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("HENVIST FRA G. HAUG FOR VURDERING AV FORVIRRING.", "HAUG"),
                ("LEGE VARSLET (K. HAUGEN) PGA. URO I NATT.", "HAUGEN"),
                ("henvist fra g. haug for vurdering av forvirring.", "haug"),
            ],
            Label::PersonLast,
        );
    }

    /// In a one-case note, an unlisted word after a doctor's or nurse's
    /// title is the family name; not an ordinary, medical or Latin word,
    /// not after `pas.`, and not the field after a bracket.
    #[test]
    fn unlisted_family_names_after_a_title_in_one_case_notes() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("pasienten ble vurdert av dr. gómez i dag.", "gómez"),
                ("overlege jiménez ser pas i morgen.", "jiménez"),
                ("HENVIST FRA DR. PETROV FOR VURDERING.", "PETROV"),
                ("vurdert av barnelege jiménez i dag.", "jiménez"),
            ],
            Label::PersonLast,
        );
        assert_no_person(
            &d,
            &[
                "lege tilkalt pga. fall. pas. afebril i dag.",
                "sykepleier observerer pasienten. fastlege (hpr 40122136) informert.",
                "sykepleier: afebril og smertefri.",
                "tilsyn ved overlege gyn. i dag. fastlege mtp. videre oppfølging.",
                "overlege ortopedi ser pas. turnuslege suturerte såret.",
            ],
        );
    }

    /// A care unit's name starts after a preposition inside the match,
    /// unless it joins a place to its region; a head word alone is none.
    #[test]
    fn care_unit_names_start_after_prepositions() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                (
                    "Rehabilitering på Sunnaas sykehus etter slag.",
                    "Sunnaas sykehus",
                ),
                ("Tvillingfødsel på Drammen sykehus.", "Drammen sykehus"),
                (
                    "Utskrives til Leira i Valdres sykehjem i påvente",
                    "Leira i Valdres sykehjem",
                ),
                (
                    "Utskrives til Hellevik i Fjaler sykehjem i påvente",
                    "Hellevik i Fjaler sykehjem",
                ),
                (
                    "Henvist fra Søndre Land legesenter ved fastlegen.",
                    "Søndre Land legesenter",
                ),
                (
                    "Bor på Vestli bo- og servicesenter.",
                    "Vestli bo- og servicesenter",
                ),
                (
                    "utskrives til korttidsplass på økern sykehjem.",
                    "økern sykehjem",
                ),
            ],
            Label::CareUnit,
        );
        assert_none_labelled(
            &d,
            &[
                "KORTTIDSPLASS PÅ SYKEHJEM ER SØKT.",
                "PARANOID SCHIZOFRENI MED FLERE INNLEGGELSER PÅ DPS.",
                "Kontroll på helsestasjonen om fire uker.",
            ],
            Label::CareUnit,
        );
    }

    /// A listed hospital right after a verb of transfer is one, without
    /// its preposition; the same word elsewhere is a word.
    #[test]
    fn hospital_acronyms_after_transfer_verbs() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("Overført UNN for PCI.", "UNN"),
                ("Henvist SUS, nevrologisk avdeling.", "SUS"),
                ("INNLAGT HUS MED PNEUMONI.", "HUS"),
            ],
            Label::CareUnit,
        );
        for t in [
            "Bor i eget hus.",
            "BOR I ET HUS MED TRAPP.",
            "Sus i øret siden i går.",
        ] {
            let v = spans(&d, t);
            assert!(v.is_empty(), "{t}: {v:?}");
        }
    }

    /// A local NAV office is found with its place in any case; NAV alone,
    /// and NAV before ordinary words, is the national agency.
    #[test]
    fn nav_offices_by_their_place() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("MØTE MED NAV FROGNER OM AAP.", "NAV FROGNER"),
                (
                    "kopi: nav nittedal. pasienten selv. kontroll om tre uker.",
                    "nav nittedal",
                ),
                ("Melding sendt til NAV Alver 23.06.", "NAV Alver"),
                ("Kontakt med nav Alta ang. sykepenger.", "nav Alta"),
                (
                    "KONTAKT MED NAV ALTA ANG. SYKEPENGER. PASIENTEN ER INFORMERT.",
                    "NAV ALTA",
                ),
            ],
            Label::Organisation,
        );
        for t in [
            "NAV INFORMERT OM SYKMELDING.",
            "HENVIST TIL NAV ARBEID OG HELSE.",
            "familien får bostøtte fra nav.",
        ] {
            let v = spans(&d, t);
            assert!(v.is_empty(), "{t}: {v:?}");
        }
    }

    /// A nickname after `kalt`, `kalles` or `Kallenavn:`; not a place, a
    /// compound or a word that follows the verb (`kalt inn`).
    #[test]
    fn nicknames() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("Pasienten liker å bli kalt «Bibbi». Spiser lite.", "Bibbi"),
                ("pasienten liker å bli kalt «bibbi». spiser lite.", "bibbi"),
                ("Kallenavn: Putte.", "Putte"),
                ("Hun kalles Tulla hjemme.", "Tulla"),
                ("Ho vert kalla «Immi» av familien.", "Immi"),
                ("Sonen Torbjørn (kalles «Tobben») kom i dag.", "Tobben"),
                ("Pasienten vil bli kalla «Tobben». Han er roleg.", "Tobben"),
                (
                    "liker å bli kalt bibbi av personalet. spiser lite og sover godt.",
                    "bibbi",
                ),
            ],
            Label::PersonFirst,
        );
        assert_no_person(
            &d,
            &[
                "Pasienten ble kalt inn til kontroll.",
                "det som vert kalla Israelsstigen, sentral i forteljinga.",
                "tidlegare kalla eøs-utvalet.",
                "Medisinen kalles Ozempic og gis ukentlig.",
                "Operasjonen kalles Whipple.",
                "Metoden vert kalla Bobath og blir brukt her.",
                "DETTE KALLES TICS OG ER VANLIG HOS BARN I DENNE ALDEREN.",
            ],
        );
    }

    /// In a one-case note an unlisted word after a relation in its
    /// definite form is the relative's name, a word-like given name opens
    /// a name before a listed one, and the verb after a name is no part
    /// of it.
    #[test]
    fn relatives_and_verbs_in_one_case_notes() {
        let d = detector(None);
        for (t, name) in [
            ("datteren ayaan følger opp.", "ayaan"),
            (
                "KONA THARSHINI VAR MED PÅ KONTROLLEN. PASIENTEN ER BEDRE.",
                "THARSHINI",
            ),
            ("henvist av fastlege per olav bakke.", "per"),
            // every compound of a kin word (`svigerdatteren`, `morbror`)
            ("svigerdatteren parisa hjalp med insulinen.", "parisa"),
            ("morbror kåre døde i 2001.", "kåre"),
            ("stebroren tesfaye bur i oslo.", "tesfaye"),
        ] {
            let v = spans(&d, t);
            assert!(
                v.iter().any(|x| x.0 == name && x.1.is_person()),
                "{t}: {v:?}"
            );
        }
        for (t, word) in [
            ("dottera synnøve ringde.", "ringde"),
            ("JORDMOR HILDE AASEN SYDDE RIFTE GRAD 2.", "SYDDE"),
            ("sønnen ánde driver med reindrift.", "driver"),
            (
                "pedagogisk leder silje melder om språkforsinkelse.",
                "melder",
            ),
            (
                "INNLAGD ETTER FALL. DOTTERA RINGDE OG VAR UROLEG.",
                "RINGDE",
            ),
            ("pårørende: bror alexander rakvåg, tlf. 93762811.", "bror"),
            ("morbror kåre døde i 2001.", "døde"),
            ("BESKRIVER LITE GLEDE ETTER AT BROR DØDE MAI 2009.", "DØDE"),
            (
                "moren ufør. ektemannen dement. broren schizofren. samboeren diabetiker.",
                "ufør",
            ),
            (
                "MOREN UFØR. EKTEMANNEN DEMENT. BROREN SCHIZOFREN. SAMBOEREN DIABETIKER.",
                "DEMENT",
            ),
        ] {
            let v = spans(&d, t);
            assert!(!v.iter().any(|x| x.0.contains(word)), "{t}: {v:?}");
        }
    }

    /// `Oslo S.` is a town's quarter, not an initial that makes the next
    /// sentence's first word a family name.
    #[test]
    fn a_town_quarter_is_no_initial() {
        let d = detector(None);
        let v = spans(&d, "Falt ved Narvesen på Oslo S. Bevisst ved ankomst.");
        assert!(!v.iter().any(|x| x.1.is_person()), "{v:?}");
        let v = spans(&d, "Han vart funnen heime av son S. Yusuf, som ringde 113.");
        assert!(has(&v, "S", Label::PersonFirst), "{v:?}");
    }

    /// Family names that are also words and that only the list of such
    /// words has (`Dal`, `Vinter`) follow a given name; words rated a high
    /// risk (`langs`, `frisk`) stay words.
    #[test]
    fn family_names_that_are_words_after_given_names() {
        let d = detector(None);
        let v = spans(&d, "Samtale med Lars Dal i dag. Kari Vinter ringte.");
        assert!(
            has(&v, "Dal", Label::PersonLast) && has(&v, "Vinter", Label::PersonLast),
            "{v:?}"
        );
        let v = spans(
            &d,
            "HUDINSISJON LANGS LATERALT. KARI ER FRISK. LANG SAMTALE.",
        );
        assert!(
            !v.iter()
                .any(|x| ["LANG", "FRISK"].iter().any(|w| x.0.contains(w))),
            "{v:?}"
        );
    }

    /// In a note in one case, a given name that is also a word (`liv`,
    /// `TOR`) is a name before a family name that is no word; before a
    /// word it stays a word.
    #[test]
    fn given_names_that_are_words_before_family_names_in_one_case_notes() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                (
                    "kontroll om 3 veker. – liv hansen. pasienten er fornøgd.",
                    "liv",
                ),
                ("TOR OLSEN RINGTE. PASIENTEN ER FORNØYD.", "TOR"),
            ],
            Label::PersonFirst,
        );
        for (t, word) in [
            (
                "hun har et godt liv berg i dag. pasienten er fornøyd.",
                "liv",
            ),
            (
                "innlagt i mai haukeland sykehus. pasienten er fornøyd.",
                "mai",
            ),
            (
                "KONTROLL HVER DAG HANSEN-KLINIKKEN. PASIENTEN ER FORNØYD.",
                "DAG",
            ),
            (
                "kontroll i mai olsen ringer tilbake. pasienten er fornøyd.",
                "mai",
            ),
        ] {
            let v = spans(&d, t);
            assert!(!v.iter().any(|x| x.0 == word), "{t}: {v:?}");
        }
    }

    /// Given names joined by slashes, commas or `og` to a given name found
    /// are names, and family names joined by slashes, commas or `og` to a family
    /// name found, words as well as names; a list with no name found
    /// stays words.
    #[test]
    fn names_in_lists() {
        let d = detector(None);
        let v = spans(&d, "Vaktlag natt: Lise/Tor/Maja. Rolig natt.");
        for name in ["Lise", "Tor", "Maja"] {
            assert!(has(&v, name, Label::PersonFirst), "{name}: {v:?}");
        }
        let v = spans(&d, "Dagrapport: Til stede: Kari, Per og Mona. Rolig vakt.");
        for name in ["Kari", "Per", "Mona"] {
            assert!(has(&v, name, Label::PersonFirst), "{name}: {v:?}");
        }
        let v = spans(
            &d,
            "Visitt ved Bjørnstad, Ruud og Nilsen; Ruuds forslag tas til følge. Notat, Mathisen/Eide.",
        );
        for name in ["Ruud", "Eide"] {
            assert!(has(&v, name, Label::PersonLast), "{name}: {v:?}");
        }
        // `Ruuds` too: its genitive ending stays outside the span.
        assert_eq!(v.iter().filter(|x| x.0 == "Ruud").count(), 2, "{v:?}");
        let v = spans(&d, "Til stede på møtet: Berg Hansen, Aas-Eng og Dahl.");
        assert!(has(&v, "Dahl", Label::PersonLast), "{v:?}");
        for t in [
            "Tilsyn Natt/Dag ved behov. Mor/Far informert.",
            "Ble kontrollert 01.02.2023/Tor.",
            "Kontakt Ullevål/Dag/Natt.",
            "Ansvarlig lege: Hansen/Dag, Olsen/Natt.",
            "Ønsker seg Sol, sommer og Tor i kveld.",
            "Ringte Anne, Dag 3 postoperativt.",
        ] {
            let v = spans(&d, t);
            assert!(
                !v.iter()
                    .any(|x| x.1 == Label::PersonFirst && ["Dag", "Tor"].contains(&x.0.as_str())),
                "{t}: {v:?}"
            );
        }
    }

    /// A given name that is also a word, after a family name found and a
    /// comma, where the names end their field.
    #[test]
    fn given_names_after_family_names_and_a_comma() {
        let d = detector(None);
        let v = spans(&d, "Godkjent av Solberg, Tone 15.05.2023");
        assert!(has(&v, "Tone", Label::PersonFirst), "{v:?}");
        for t in [
            "Samtale med Solberg, Tone og klang var normal.",
            "Innlagt av Olsen, Dag 2 etter operasjon stabil.",
            "Time hos fysioterapeut Berg, Tor 12.05 kl 10.",
        ] {
            let v = spans(&d, t);
            assert!(
                !v.iter()
                    .any(|x| x.0 == "Tone" || x.0 == "Dag" || x.0 == "Tor"),
                "{t}: {v:?}"
            );
        }
    }

    /// A bare number in brackets after a name is that person's age; after
    /// other words, or with a unit or a year, it is not.
    #[test]
    fn ages_in_brackets_after_names() {
        let d = detector(None);
        let v = spans(
            &d,
            "Barna Eirik (12), Solveig (9) og Tora (snart 4) er friske.",
        );
        for age in ["12", "9", "4"] {
            assert!(has(&v, age, Label::Age), "{age}: {v:?}");
        }
        let v = spans(
            &d,
            "Kontakt med sønnen vår (Markus, 11) og Ingrid Bergmo (34).",
        );
        assert!(
            has(&v, "11", Label::Age) && has(&v, "34", Label::Age),
            "{v:?}"
        );
        let v = spans(
            &d,
            "EIRIK (SNART 4) OG ÅSE (CA. 9). Pas. Trygve Helland, 95 år: Stesolid.",
        );
        for age in ["4", "9", "95 år"] {
            assert!(has(&v, age, Label::Age), "{age}: {v:?}");
        }
        assert_none_labelled(
            &d,
            &[
                "Eirik (17 kg) veies i dag.",
                "Eirik (2019) ble henvist.",
                "Kontroll (12) neste uke.",
                "Eirik (12a) er romnummeret.",
                "Eirik (130) skal ha dette.",
                "Henvist av dr. Olsen (1), se vedlegg (2).",
                "Kontroll hos Hansen (2).",
                "Ring Berg (112) ved behov.",
                "Eirik (",
                "Åse (12",
                "(Markus, 1",
                "Hypertensjon, 5 år:\nbehandlet med Losartan.",
            ],
            Label::Age,
        );
    }

    /// Neighbourhoods and outdoor places, Sámi given names and named
    /// kindergartens, in any case.
    #[test]
    fn neighbourhoods_sami_names_and_kindergartens() {
        let d = detector(None);
        for (t, span, label) in [
            ("Funnet ved Storo senter.", "Storo", Label::Location),
            (
                "hytte på hafjell. kom inn med ambulanse etter fallet.",
                "hafjell",
                Label::Location,
            ),
            ("Sunná går i barnehagen.", "Sunná", Label::PersonFirst),
            (
                "Guten går i Solsikken barnehage.",
                "Solsikken barnehage",
                Label::Organisation,
            ),
            (
                "guten går i trollskogen barnehage. han trives godt og har mange venner.",
                "trollskogen barnehage",
                Label::Organisation,
            ),
            (
                "GÅR PÅ BJØLSEN SKOLE.",
                "BJØLSEN SKOLE",
                Label::Organisation,
            ),
        ] {
            let v = spans(&d, t);
            assert!(has(&v, span, label), "{t}: {v:?}");
        }
        for t in [
            "Går i samisk barnehage.",
            "går på en liten skole i bygda.",
            "Guten går i kommunal barnehage.",
            "Jenta går i solsikken barnehage.",
            "guten går i skjermet barnehage. han trives godt og har mange venner.",
        ] {
            let v = spans(&d, t);
            assert!(v.is_empty(), "{t}: {v:?}");
        }
    }

    /// In an ordinary note a hospital's acronym in capitals is one
    /// anywhere, but in a line of capitals or before a family name.
    #[test]
    fn hospital_acronyms_in_capitals() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("Avsender: SUS, Hjertemedisinsk avd.", "SUS"),
                ("Urinprøver ved ROP-pol., OUS.", "OUS"),
                ("Pasienten følges av OUS og SUS.", "SUS"),
                ("Kontakt: UNN, Ahus.", "UNN"),
            ],
            Label::CareUnit,
        );
        assert_none_labelled(
            &d,
            &[
                "HUS OG HJEM: bor alene.",
                "UNN HANSEN ringte.",
                "Meldt til NPE og FHI.",
                "HUS: bor i enebolig med kone.",
                "Pasienten har HDS-plager.",
            ],
            Label::CareUnit,
        );
    }

    /// Every age from 1 to 120 in words is found by the rules and read
    /// back by `numwords` (the rule files' `number_word` and the parser
    /// know the same words).
    #[test]
    fn ages_in_words_are_found_and_read() {
        let d = detector(None);
        for n in 1..=120 {
            let w = crate::deid::numwords::to_words(n);
            let t = format!("Pasienten er {w} år gammel.");
            let v = spans(&d, &t);
            assert!(has(&v, &format!("{w} år gammel"), Label::Age), "{t}: {v:?}");
            assert_eq!(crate::deid::numwords::value(&w), Some(n), "{w}");
        }
    }

    /// Keyword addresses count in small letters in an ordinary note; a
    /// unit's letter after a number is no initial.
    #[test]
    fn property_numbers_and_unit_letters() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("Eiendommen (gnr. 12 bnr. 45) i Sel.", "gnr. 12 bnr. 45"),
                ("eiendom gnr/bnr 12/45", "gnr/bnr 12/45"),
            ],
            Label::Address,
        );
        assert_no_person(
            &d,
            &[
                "Temp −28 °C. Frostskade på tær.",
                "FEV1 3,9 L. Oksygen ikke gitt.",
            ],
        );
        for t in [
            "Sign. K. Hansen",
            "Ringt 14 K. Berg i dag.",
            "Seng 3 F. Lie, ny pasient.",
        ] {
            let v = spans(&d, t);
            assert!(v.iter().any(|x| x.0 == "K" || x.0 == "F"), "{t}: {v:?}");
        }
    }

    #[test]
    fn big_cities_named_by_scores_are_cities_where_they_stand_as_one() {
        let d = detector(None);
        let v = spans(
            &d,
            "Ambassaden i Stockholm. Bodde i Toronto i ti år. Kom fra Amsterdam 12. mars 2019.",
        );
        for city in ["Stockholm", "Toronto", "Amsterdam"] {
            assert!(has(&v, city, Label::Location), "{city}: {v:?}");
        }
        let v = spans(
            &d,
            "Vurdert til Boston 8. Oppfyller Amsterdam-kriteriene. GCS 15 etter Glasgow Coma Scale.",
        );
        assert!(!v.iter().any(|x| x.1 == Label::Location), "{v:?}");
    }

    #[test]
    fn ages_after_a_full_name_without_a_comma_and_months_after_a_comma() {
        let d = detector(None);
        let v = spans(
            &d,
            "Pasient: Geir Mikalsen 59 år, NSTEMI.\nOverføring av Elias Haugen-Berg, 5 måneder, fnr ukjent.",
        );
        assert!(has(&v, "59 år", Label::Age), "{v:?}");
        assert!(has(&v, "5 måneder", Label::Age), "{v:?}");
        let v = spans(
            &d,
            "Morbus Crohn 15 år. Marevan, 3 måneder. Geir Mikalsen 59 år gammel venn.",
        );
        assert!(
            !v.iter().any(|x| x.0 == "15 år" || x.0 == "3 måneder"),
            "{v:?}"
        );
    }

    #[test]
    fn initials_in_brackets_after_the_name_they_stand_for() {
        let d = detector(None);
        let v = spans(
            &d,
            "Operatør: Lars Øvrebø (LØ). Opr.spl.: Ole-Martin Frøyland (OMF), Kjersti Lie (KL).",
        );
        for initials in ["LØ", "OMF", "KL"] {
            assert!(has(&v, initials, Label::PersonFirst), "{initials}: {v:?}");
        }
        // Not other capitals after a name.
        let v = spans(
            &d,
            "Kontroll hos Lars Hansen (KOLS) og Kari Lie (AB). Mistanke om Wolff-Parkinson-White (WPW).",
        );
        assert!(
            !v.iter()
                .any(|x| ["KOLS", "AB", "WPW"].contains(&x.0.as_str())),
            "{v:?}"
        );
    }

    #[test]
    fn a_specialty_before_its_hospital_places_both() {
        let d = detector(None);
        let v = spans(
            &d,
            "Arytmilab, Haukeland, 20.06.2024.\nNevrokirurgi, Haukeland 5. februar 2025.",
        );
        assert!(has(&v, "Arytmilab", Label::CareUnit), "{v:?}");
        assert!(has(&v, "Nevrokirurgi", Label::CareUnit), "{v:?}");
        assert_eq!(v.iter().filter(|x| x.0 == "Haukeland").count(), 2, "{v:?}");
        // Not a family name after an initial, nor a specialty mid-sentence,
        // nor a heading before what is no place (`before_place`).
        let v = spans(
            &d,
            "Vennlig hilsen G. Iqbal, spesialist i allmennmedisin.\nHar hatt nevrokirurgi, Haukeland sa nei.\nRadiologi, CT thorax: ingen infiltrater.\nPatologi, Biopsi fra colon.",
        );
        assert!(!v.iter().any(|x| x.1 == Label::CareUnit), "{v:?}");
        // The same words a unit by another rule stand before a place.
        let v = spans(&d, "Hørselsentralen, Førde. Ny time.");
        assert!(has(&v, "Hørselsentralen", Label::CareUnit), "{v:?}");
        // A city abroad after its hospital and a comma.
        let v = spans(
            &d,
            "CABG 2016 at Mayo Clinic, Rochester. Henvist Akademiska sjukhuset, Uppsala.",
        );
        for city in ["Rochester", "Uppsala"] {
            assert!(has(&v, city, Label::Location), "{city}: {v:?}");
        }
    }

    #[test]
    fn a_ward_anywhere_before_its_hospital_and_a_service_before_its_place() {
        let d = detector(None);
        let v = spans(
            &d,
            "Innkomstnotat Nyfødtintensiv, OUS Ullevål. Overført Lungepoliklinikken barn, Haukeland. Oppfølging ved Helsestasjonen Grünerløkka. Legevakt Loabát, 22.2.2024.",
        );
        for unit in [
            "Nyfødtintensiv",
            "Lungepoliklinikken barn",
            "Haukeland",
            "Helsestasjonen Grünerløkka",
            "Legevakt Loabát",
        ] {
            assert!(has(&v, unit, Label::CareUnit), "{unit}: {v:?}");
        }
        // A capitalised word may stand between the comma and the place.
        let v = spans(
            &d,
            "Overført Barnehabiliteringen, Sykehuset Vestfold i går.",
        );
        assert!(has(&v, "Barnehabiliteringen", Label::CareUnit), "{v:?}");
        // Not before what is no place; a heading's unit word before a
        // named unit is trimmed.
        let v = spans(
            &d,
            "Overført Nyfødtintensiven, Pasienten sov. Legevakt Alta legesenter 14. juli.",
        );
        assert!(!has(&v, "Nyfødtintensiven", Label::CareUnit), "{v:?}");
        assert!(has(&v, "Alta legesenter", Label::CareUnit), "{v:?}");
    }

    #[test]
    fn a_word_shaped_like_a_place_name_after_a_place_preposition_is_one() {
        let d = detector(None);
        let v = spans(
            &d,
            "Fisker fra Olderfjord, skadet ved Biedjovággi. Henta frå Golnes, 15 km sør for Láhpoluoppal på Sørøya.",
        );
        for place in [
            "Olderfjord",
            "Biedjovággi",
            "Golnes",
            "Láhpoluoppal",
            "Sørøya",
        ] {
            assert!(has(&v, place, Label::Location), "{place}: {v:?}");
        }
        // Not an ordinary word, a unit, a listed name, nor a word before
        // another capitalised one.
        let v = spans(
            &d,
            "Innlagt på Avdelingen. Svar fra Kontrollen i går. Hilsen fra Hanne Haugen. Sendt fra Storbyhavn Legesenter. Tungpust i Oppoverbakken. Kom fra Godvær. Avvik meldt fra Legemiddelavvik.",
        );
        assert!(!v.iter().any(|x| x.1 == Label::Location), "{v:?}");
        // In a note in one case, only a word with a Sámi letter.
        let v = spans(
            &d,
            "PAS. BOR ALENE PÅ BIESKENJÁRGA. KOM FRA OLDERFJORD. SMERTER I OPPOVERBAKKEN.",
        );
        assert!(has(&v, "BIESKENJÁRGA", Label::Location), "{v:?}");
        assert!(!has(&v, "OPPOVERBAKKEN", Label::Location), "{v:?}");
    }

    #[test]
    fn a_babys_age_in_months_weeks_or_days_after_its_name() {
        let d = detector(None);
        let v = spans(
            &d,
            "Emil Nilsen, 6 uker. Vekt 5100 g.\nLina Khalil, 2 år og 3 mnd.\nMor uroleg for at Tiril (10 mnd) har feber.\nSelma Berg, nå 1 år, født GA 34. Mor til Lucas (2 mnd) har EPDS 19.",
        );
        for age in ["6 uker", "2 år og 3 mnd", "10 mnd", "1 år", "2 mnd"] {
            assert!(has(&v, age, Label::Age), "{age}: {v:?}");
        }
        // Not a duration after a full name, nor a name's reference.
        let v = spans(
            &d,
            "Ola Hansen, 3 uker etter operasjonen. Kontroll hos Hansen (2 uker). Kontroll hos dr. Kari Berg, 2 uker. Permisjon med Ola (3 dager).",
        );
        assert!(!v.iter().any(|x| x.1 == Label::Age), "{v:?}");
    }

    #[test]
    fn a_hospital_acronym_after_its_department_is_a_care_unit() {
        let d = detector(None);
        let v = spans(&d, "Epikrise, Ortopedisk avdeling, SUS\nPasient: Tom.");
        assert!(has(&v, "SUS", Label::CareUnit), "{v:?}");
        // Without a comma, and after a ward's number.
        let v = spans(
            &d,
            "Sendt til Akuttmottaket OUS. Innlagt på sengepost 2, SUS. Gastrokirurgisk avdeling Haukeland.",
        );
        for unit in ["OUS", "SUS", "Haukeland"] {
            assert!(has(&v, unit, Label::CareUnit), "{unit}: {v:?}");
        }
        // A lower-case town after its own postcode in an ordinary note.
        let v = spans(
            &d,
            "Adresse: Ola Hansen, storgata 12b, 7013 trondheim. Røyker ikke.",
        );
        assert!(has(&v, "storgata 12b", Label::Address), "{v:?}");
        assert!(has(&v, "trondheim", Label::Location), "{v:?}");
        let v = spans(&d, "Fikk 7013 enheter insulin.");
        assert!(!v.iter().any(|x| x.1 == Label::Location), "{v:?}");
        // A listed unit of two words with its genitive `s`.
        let v = spans(&d, "Henvist til Nevrologisk avdeling St. Olavs i går.");
        assert!(has(&v, "St. Olavs", Label::CareUnit), "{v:?}");
        // Alone, the weak list word needs a place word before it.
        let v = spans(&d, "Sus i ørene.");
        assert!(!v.iter().any(|x| x.0 == "Sus"), "{v:?}");
        // National agencies are no care units.
        let v = spans(&d, "Søknad sendt til Pasientreiser i dag.");
        assert!(v.is_empty(), "{v:?}");
    }

    /// Eponyms with what the eponym list says they name, drug and type
    /// letters, and the verbs of a plan are no names or streets.
    #[test]
    fn eponym_terms_drug_letters_and_plan_verbs_are_not_names() {
        let d = detector(None);
        let v = spans(
            &d,
            "Kjent Williams' syndrom. Kjent Becks depresjonsinventar 21 poeng. \
             Beckers muskeldystrofi. Roths flekker ved fundoskopi. \
             Fikk Penicillin V. Starte Ventoline. Behandla med Albyl-E. Operert i fjor. \
             Fekk Penicillin V. Drikk godt.",
        );
        assert!(v.is_empty(), "{v:?}");
        let v = spans(&d, "Kontroll hos Kari K. Hansen i morgen.");
        assert!(
            v.iter().any(|x| x.0.starts_with('K') && x.0.len() <= 2),
            "{v:?}"
        );
    }

    /// Places by where someone lives, grew up or moved, or by a noun of
    /// places; not countries, units, numbers or lower-case words.
    #[test]
    fn where_someone_lives_is_a_place() {
        let d = detector(None);
        let v = spans(
            &d,
            "Bor på Majorstua med kona. Vokste opp i Nord-Odal, flytta til Skafså. \
             Kommer fra Bamako og bodde tidligere i Tirana. Heimkommunen Vinje. \
             Bor alene i leilighet på Lambertseter.",
        );
        for place in [
            "Majorstua",
            "Nord-Odal",
            "Skafså",
            "Bamako",
            "Tirana",
            "Vinje",
            "Lambertseter",
        ] {
            assert!(has(&v, place, Label::Location), "{place}: {v:?}");
        }
        assert_none_labelled(
            &d,
            &[
                "Født i Polen, kom til Norge i voksen alder.",
                "Kommer fra Legevakten med ambulanse.",
                "Bor i 2. etasje, flyttet til sykehjem i fjor.",
                "bor på granlitoppen med kona.",
                "Bor alene, men jobber i Sandnesgrenda.",
                "Kvar budde er eigentleg medlemene i Styret?",
                "Kjem eigentleg utfordringa i Terminator-filmane frå før?",
            ],
            Label::Location,
        );
    }

    /// A name found once is found wherever the note repeats it; a name
    /// that is also a word only inside a sentence of an ordinary note.
    #[test]
    fn a_name_found_once_is_found_again() {
        let d = detector(None);
        let count = |v: &[(String, Label)], s: &str| v.iter().filter(|x| x.0 == s).count();
        let v = spans(
            &d,
            "Henvist av dr. Robolis. Kontrollen avtales med Robolis senere. \
             Bor med kona Euna. Euna er bekymret. Vi sender kopi til Robolis.",
        );
        assert_eq!(count(&v, "Robolis"), 3, "{v:?}");
        assert_eq!(count(&v, "Euna"), 2, "{v:?}");
        assert!(v.iter().all(|x| x.0 != "Kontrollen"), "{v:?}");
        let v = spans(
            &d,
            "gjelder: euna robolis\nbor alene. robolis er bekymret og euna sover dårlig.",
        );
        assert_eq!(count(&v, "euna"), 2, "{v:?}");
        assert_eq!(count(&v, "robolis"), 2, "{v:?}");
        // `Liv` is a word too: again inside a sentence, or opening one
        // before a verb it is the subject of (`Liv er redd`), not before
        // other words (`Liv og røre`); in a lower-case note only before
        // such a verb.
        let v = spans(
            &d,
            "Gjelder: Liv Hansen\nLiv og røre i gangen. Samtale med Liv i dag. Liv er redd.",
        );
        assert_eq!(count(&v, "Liv"), 3, "{v:?}");
        let v = spans(
            &d,
            "gjelder: liv hansen\nsamtale med liv i dag. liv og røre. liv ringte i går.",
        );
        assert_eq!(count(&v, "liv"), 2, "{v:?}");
        // So does a given name that is also a function word (`per`).
        let v = spans(
            &d,
            "Sønnen Per Hansen ringte. Per sier at far veier seg. To ganger per dag.",
        );
        assert_eq!(count(&v, "Per"), 2, "{v:?}");
        assert_eq!(count(&v, "per"), 0, "{v:?}");
        // Not the heading's capitals, nor an eponym's use.
        let v = spans(&d, "Henvist av dr. Robolis. ROBOLIS SKRIVER.");
        assert_eq!(count(&v, "Robolis"), 1, "{v:?}");
        assert_eq!(count(&v, "ROBOLIS"), 0, "{v:?}");
    }

    #[test]
    fn drug_routes_eponym_types_and_compound_roles_are_not_names() {
        let d = detector(None);
        for t in [
            "Insulin-infusjon 0,1 IE/kg/t i.v. Kalium tilsettes når K < 5.",
            "Intraartikulær calcaneusfraktur, Sanders type III (S92.0).",
            "Calcaneusfraktur venstre, Sanders III (S92.0). Fall fra stige.",
            "Avventer lege. Diabetessykepleier Mette Berg kontaktet.",
            "Landet på begge føtter. Kollega Piotr Zieliński tolket.",
            "Ønskt oppstart i morgon. Helsing Kjersti Hjelmeland, overlege",
        ] {
            let v = spans(&d, t);
            for word in [
                "Kalium",
                "Sander",
                "Diabetessykepleier",
                "Kollega",
                "Helsing",
            ] {
                assert!(!v.iter().any(|x| x.0.contains(word)), "{t}: {v:?}");
            }
        }
        // The names after the role words are still found.
        let v = spans(
            &d,
            "Avventer lege. Diabetessykepleier Mette Berg kontaktet.",
        );
        assert!(has(&v, "Mette", Label::PersonFirst), "{v:?}");
    }

    #[test]
    fn lower_case_and_all_caps_notes() {
        let d = detector(None);
        let v = spans(
            &d,
            "pasienten kari hansen fra bergen kom til kontroll med datteren ingrid.",
        );
        assert!(has(&v, "kari", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "hansen", Label::PersonLast), "{v:?}");
        assert!(has(&v, "bergen", Label::Location), "{v:?}");
        assert!(has(&v, "ingrid", Label::PersonFirst), "{v:?}");
        // A family name that is also a word continues a given name or an
        // initial; alone it stays a word.
        let v = spans(
            &d,
            "diktert av karin grande, lis-lege. operatør r. hole overtok. grande sår.",
        );
        assert!(has(&v, "grande", Label::PersonLast), "{v:?}");
        assert!(v.iter().any(|x| x.0.contains("hole")), "{v:?}");
        assert_eq!(
            v.iter().filter(|x| x.0.contains("grande")).count(),
            1,
            "{v:?}"
        );
        // A unit's name before its head word, whatever the name; not a
        // determiner, nor a name joined by `og` (the place list's).
        let v = spans(
            &d,
            "kopi til: fastlege karoline bjørge, hauge i dalane legesenter. han skal til et sykehjem i kommunen, og skal til rana sykehjem.",
        );
        assert!(
            has(&v, "hauge i dalane legesenter", Label::CareUnit),
            "{v:?}"
        );
        assert!(has(&v, "rana sykehjem", Label::CareUnit), "{v:?}");
        assert!(!v.iter().any(|x| x.0.contains("et sykehjem")), "{v:?}");
        // A given name that is also a word, between two names.
        let v = spans(
            &d,
            "nærmeste pårørende er sønn elias even werner, tlf. 43880016. han er tom for tabletter.",
        );
        assert!(has(&v, "even", Label::PersonFirst), "{v:?}");
        assert!(!v.iter().any(|x| x.0 == "tom"), "{v:?}");
        // The same in a note all in capitals.
        let v = spans(
            &d,
            "PÅRØRENDE: SØNN HÅKON LUNDE, TLF. 481 77 302. DIKTERT AV KARIN GRANDE. GRANDE SÅR.",
        );
        assert!(has(&v, "LUNDE", Label::PersonLast), "{v:?}");
        assert!(has(&v, "GRANDE", Label::PersonLast), "{v:?}");
        assert_eq!(
            v.iter().filter(|x| x.0.contains("GRANDE")).count(),
            1,
            "{v:?}"
        );
        // An unlisted family name after a title's or a relation's
        // initial; not after `v.`, nor a drug.
        let v = spans(
            &d,
            "pas. sov godt i natt.\nsign. a. patel\nsamtale med datter j. zyxberg om videre plan. gitt v. k. penicillin.",
        );
        assert!(has(&v, "patel", Label::PersonLast), "{v:?}");
        assert!(has(&v, "zyxberg", Label::PersonLast), "{v:?}");
        assert!(!v.iter().any(|x| x.0 == "penicillin"), "{v:?}");
        // Eponyms in capitals: the case says nothing, the hyphen chain or
        // the word after the possessive does.
        let v = spans(
            &d,
            "DIAGNOSER: ARNOLD-CHIARI-MALFORMASJON. KJENT ADAMS-STOKES-ANFALL. \
             KJEND HOLTER-REGISTRERING. BECKERS MUSKELDYSTROFI. ROTHS FLEKKER.",
        );
        assert!(v.is_empty(), "{v:?}");
        // A name in capitals after a title in an ordinary note; not
        // abbreviations, nor a section in capitals.
        let v = spans(
            &d,
            "Lege varslet (overlege ZEYNEP PATEL) pga. blodtrykksfall.",
        );
        assert!(has(&v, "ZEYNEP", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "PATEL", Label::PersonLast), "{v:?}");
        for t in [
            "Vurdert av lege MED CRP.",
            "Dette er viktig. FASTLEGE BES KONTROLLERE TSH OM 8 UKER.",
        ] {
            let v = spans(&d, t);
            assert!(v.is_empty(), "{t}: {v:?}");
        }
        // An unlisted given name between a title and a listed family name;
        // a compound title is none.
        let v = spans(
            &d,
            "kopi: henvisende lege zeynep warsame, bremanger legesenter",
        );
        assert!(has(&v, "zeynep", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "warsame", Label::PersonLast), "{v:?}");
        let v = spans(&d, "kontroll hos spesialsykepleier vestøl 10. desember.");
        assert!(
            v.iter().all(|x| !x.0.contains("spesialsykepleier")),
            "{v:?}"
        );
        // A title after a title is no name (`lis` is not Li's).
        for t in [
            "operatør lis-lege fernandez overtok ved kl. 10.",
            "OPERATØR LIS-LEGE FERNANDEZ OVERTOK VED KL. 10.",
        ] {
            let v = spans(&d, t);
            assert!(
                v.iter().all(|x| !x.0.eq_ignore_ascii_case("li")),
                "{t}: {v:?}"
            );
        }
        // An initial before a listed name, lower case too; not `f. 1958`.
        let v = spans(&d, "sett av k. hansen i dag, født f. 1958 i bergen.");
        assert!(
            v.iter().any(|x| x.0.starts_with("k. hansen") || x.0 == "k"),
            "{v:?}"
        );
        assert!(
            !v.iter().any(|x| x.0 == "f" || x.0.starts_with("f. ")),
            "{v:?}"
        );
        // Unit rules see listed places capitalised in a lower-case note.
        let v = spans(
            &d,
            "pasienten er henvist fra lyngdal legesenter og skal til bergen sykehjem.",
        );
        assert!(has(&v, "lyngdal legesenter", Label::CareUnit), "{v:?}");
        assert!(has(&v, "bergen sykehjem", Label::CareUnit), "{v:?}");
        let v = spans(
            &d,
            "PASIENTEN KARI NORDMANN FRA BERGEN KOM TIL KONTROLL. LIV OG HELSE.",
        );
        assert!(has(&v, "KARI", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "BERGEN", Label::Location), "{v:?}");
        assert!(!v.iter().any(|x| x.0 == "LIV"), "{v:?}");
        // Listed names that are common words stay words in capitals too.
        let v = spans(
            &d,
            "KARI NORDMANN HAR DET FINT. HO SKAL GRO. SØNN RINGT PER TELEFON.",
        );
        assert!(has(&v, "KARI", Label::PersonFirst), "{v:?}");
        for w in ["FINT", "HO", "GRO", "PER", "TELEFON"] {
            assert!(!v.iter().any(|x| x.0.contains(w)), "{w}: {v:?}");
        }
        let v = spans(&d, "INNLAGT VED ORTOPEDISK AVDELING I GÅR.");
        assert!(has(&v, "ORTOPEDISK AVDELING", Label::CareUnit), "{v:?}");
        // A relation, a verb or a medical word does not continue a name in
        // capitals; an organisation ends before `SIDEN`.
        let v = spans(
            &d,
            "KONE PER TELEFON I DAG. KLEPPES EKTEMANN FORTELLER AT HUN SOV. \
             PAS. HELLE FLYTTET TIL ENEROM. KJENT HANSENS SYKDOM. \
             SYKMELDT FRA JOBBEN I XXL SPORT SIDEN 2019.",
        );
        for w in ["PER", "EKTEMANN", "FLYTTET", "SYKDOM", "SIDEN"] {
            assert!(!v.iter().any(|x| x.0.contains(w)), "{w}: {v:?}");
        }
        assert!(has(&v, "XXL SPORT", Label::Organisation), "{v:?}");
    }

    #[test]
    fn overlaps_resolve_to_the_longest_then_most_specific() {
        let d = detector(None);
        let v = spans(
            &d,
            "Fnr 13055810170, født 13.05.58, bor Storgata 12B, 0155 Oslo.",
        );
        assert!(has(&v, "13055810170", Label::NationalId), "{v:?}");
        assert!(has(&v, "13.05.58", Label::Date), "{v:?}");
        assert!(has(&v, "Storgata 12B", Label::Address), "{v:?}");
        assert!(has(&v, "0155", Label::Postcode), "{v:?}");
        assert!(has(&v, "Oslo", Label::Location), "{v:?}");
    }

    #[test]
    fn units_keep_their_head_word_and_dates_stay_dates() {
        let d = detector(None);
        let v = spans(
            &d,
            "Sykepleienotat – Post 2 øst\nKontakta legevakten i Drammen. Kontroll hos William Sandbakken 2022-09-28. Utskrives til Andsnes sykehjem 08.02.18.",
        );
        assert!(has(&v, "Post 2 øst", Label::CareUnit), "{v:?}");
        assert!(has(&v, "2022-09-28", Label::Date), "{v:?}");
        assert!(has(&v, "08.02.18", Label::Date), "{v:?}");
        assert!(!v.iter().any(|x| x.0.starts_with("legevakten")), "{v:?}");
    }

    #[test]
    fn names_by_their_cues() {
        let d = detector(None);
        let v = spans(
            &d,
            "Henvisning\nzyxa qwertyson – 13055810170\nGjelder: ZYXA QWERTYSON, født 13.05.58",
        );
        assert!(has(&v, "zyxa", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "qwertyson", Label::PersonLast), "{v:?}");
        assert!(has(&v, "QWERTYSON", Label::PersonLast), "{v:?}");
        // A relation opening a sentence is no name.
        let v = spans(&d, "Bror Thomas Schmidt ringte. Ektemann Julian Leren kom.");
        assert!(
            !v.iter().any(|x| x.0 == "Bror" || x.0 == "Ektemann"),
            "{v:?}"
        );
        assert!(has(&v, "Thomas", Label::PersonFirst), "{v:?}");
    }

    /// A word before a verb of speaking is a person only when it can be
    /// one: not a fronted adverb, a common noun, or a place.
    #[test]
    fn speakers_are_people_not_adverbs_or_places() {
        let d = detector(None);
        let v = spans(
            &d,
            "Pasienten har vondt i magen. Samtidig sier hun at det er bedre. \
             Likevel sier hun nei. Begge forteller om feber. Foreldrene forteller om kvalme. \
             Kvinnene sier nei. Me seier det. I Norge sier man det. Du virkelig forteller det. \
             Barnevernet opplyser at alt er i orden. Politiet sier at hun ble funnet.",
        );
        assert!(v.is_empty(), "{v:?}");
        let v = spans(&d, "Zeynep forteller om feber. Qwertyson sier at hun sov.");
        assert!(has(&v, "Zeynep", Label::PersonFirst), "{v:?}");
        assert!(v.iter().any(|x| x.0 == "Qwertyson"), "{v:?}");
        // The speaker named after what was said.
        let v = spans(
            &d,
            "Det går bedre nå, sier Zyxaberg. «Ja», seier Qwertyson til meg.",
        );
        assert!(v.iter().any(|x| x.0 == "Zyxaberg"), "{v:?}");
        assert!(v.iter().any(|x| x.0 == "Qwertyson"), "{v:?}");
        let v = spans(&d, "Det går bedre nå, sier pasienten. Hun sier Ja til det.");
        assert!(v.is_empty(), "{v:?}");
        // The possessive after a relation is no name; the name is.
        let v = spans(&d, "Han forteller at faren hans drakk. Broren Hans kom.");
        assert!(!v.iter().any(|x| x.0 == "hans"), "{v:?}");
        assert!(v.iter().any(|x| x.0 == "Hans"), "{v:?}");
    }

    /// Particles belong to the family name; ordinary lower-case words do
    /// not join a name.
    #[test]
    fn family_names_with_particles() {
        let d = detector(None);
        let v = spans(
            &d,
            "Henvist av dr. Siri van der Berg og Maria de la Cruz i går.",
        );
        assert!(has(&v, "van der Berg", Label::PersonLast), "{v:?}");
        assert!(has(&v, "de la Cruz", Label::PersonLast), "{v:?}");
        let v = spans(&d, "Kari og Per kom. Hun ga Kari de nye tablettene.");
        assert!(!v.iter().any(|x| x.0.contains(" de")), "{v:?}");
    }

    /// A family name alone after `i` or `på` is a place (farms give
    /// their names to families); with a given name it is a person.
    #[test]
    fn family_names_after_i_or_paa_are_places() {
        let d = detector(None);
        let v = spans(&d, "Han er busett på Hjelle. Kari Hjelle kom i dag.");
        assert!(has(&v, "Hjelle", Label::Location), "{v:?}");
        assert!(has(&v, "Kari", Label::PersonFirst), "{v:?}");
        assert!(
            v.iter()
                .any(|x| x.0 == "Hjelle" && x.1 == Label::PersonLast),
            "{v:?}"
        );
    }

    /// A unit after a title or a header field is no name.
    #[test]
    fn units_after_titles_are_not_names() {
        let d = detector(None);
        let v = spans(
            &d,
            "Fastlege: Legesenteret Øst, Strømsø. Overlege: Kvinneklinikken.",
        );
        assert!(
            !v.iter()
                .any(|x| matches!(x.1, Label::PersonFirst | Label::PersonLast)),
            "{v:?}"
        );
        assert!(has(&v, "Legesenteret Øst", Label::CareUnit), "{v:?}");
    }

    /// `Etternavn, Fornavn` in a header: the family name before the comma.
    #[test]
    fn family_name_first_before_a_comma() {
        let d = detector(None);
        let v = spans(
            &d,
            "Revmatologisk poliklinikk – Lie, Hans-Petter (11926512345)",
        );
        assert!(has(&v, "Lie", Label::PersonLast), "{v:?}");
        let v = spans(&d, "Pasient:\nZyxaberg, Kari\nHenvist for hoste.");
        assert!(has(&v, "Zyxaberg", Label::PersonLast), "{v:?}");
        // A given name that is also a word, after a family name.
        let v = spans(&d, "Navn: Olsen, Per. Adresse: Ringveien 4.");
        assert!(has(&v, "Per", Label::PersonFirst), "{v:?}");
        let v = spans(&d, "Kontroll hos Olsen, per telefon.");
        assert!(!v.iter().any(|x| x.0 == "per"), "{v:?}");
        // Not a word before a comma in running text.
        let v = spans(
            &d,
            "Diagnose: Astma, Kari har det bra. Astma, Kari og Per kom.",
        );
        assert!(!v.iter().any(|x| x.0 == "Astma"), "{v:?}");
    }

    #[test]
    fn register_catches_names_no_list_knows() {
        let reg = Register::from_rows(vec![(
            "p1".into(),
            "full_name".into(),
            "Zyxa Qwertyson".into(),
        )]);
        let d = detector(Some(reg));
        let v = spans(&d, "zyxa qwertysons bil. QWERTYSON kom.");
        assert!(has(&v, "zyxa", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "qwertyson", Label::PersonLast), "{v:?}");
        assert!(has(&v, "QWERTYSON", Label::PersonLast), "{v:?}");
    }

    #[test]
    fn invisible_characters_do_not_hide_identifiers() {
        let d = detector(None);
        for zw in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}',
        ] {
            let t = format!("Fødselsnummer 1305{zw}58 01432. Tlf 22 1{zw}1 33 44.");
            let dets = d.detect(&t, "p");
            let fnr = dets
                .iter()
                .find(|x| x.label == Label::NationalId)
                .unwrap_or_else(|| panic!("U+{:04X}: no NATIONAL_ID in {dets:?}", zw as u32));
            assert_eq!(
                &t[fnr.start..fnr.end],
                format!("1305{zw}58 01432"),
                "U+{:04X}",
                zw as u32
            );
            assert!(
                dets.iter().any(|x| x.label == Label::Phone),
                "U+{:04X}: {dets:?}",
                zw as u32
            );
            for x in &dets {
                assert!(t.is_char_boundary(x.start) && t.is_char_boundary(x.end));
            }
        }
        let t = "Kontroll hos Kari\u{200B} Nord\u{00AD}mann i morgen.";
        let v = spans(&d, t);
        assert!(
            v.iter().any(|(s, _)| s.contains("Nord\u{00AD}mann")),
            "{v:?}"
        );
    }

    /// An unlisted capitalised genitive before a relation is a name, its
    /// `s` left out of the span; not a common word's genitive.
    #[test]
    fn genitives_before_relations() {
        let d = detector(None);
        assert_persons_found(
            &d,
            &[
                ("Avtalt med Kaaras mor at hun tar med skjemaet.", "Kaara"),
                ("Pereiras sambuar fortel at det går bra.", "Pereira"),
            ],
        );
        assert_no_person(
            &d,
            &[
                "Naboens mor ringte.",
                "Hentet av Pasientens mor.",
                "Sjekket Barnets far.",
                "Samtale med Sosionomens kollega.",
            ],
        );
    }

    /// A name wrapped over a line break (text pasted from a PDF) stays one
    /// name; a family name heading a field on the next line does not join.
    #[test]
    fn names_wrapped_over_a_line_break() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[
                ("Kopi: Fastlege Jan Ove\nBratt, Hamar legesenter", "Bratt"),
                ("Kontaktperson: Halvard\nEide.", "Eide"),
            ],
            Label::PersonLast,
        );
        assert_none_labelled(
            &d,
            &[
                "Lege: Kari\nBerg sykehjem",
                "Samtale med datter Anne\nRød og hoven legg.",
                "Kari\nSand i urinen påvist.",
            ],
            Label::PersonLast,
        );
    }

    /// HTML no-break spaces and line breaks read as what they show.
    #[test]
    fn html_spaces_and_breaks_read_as_shown() {
        let d = detector(None);
        let t = "Adresse:&nbsp;Storgata&nbsp;5,&nbsp;2317&nbsp;Hamar. Gunnar&#160;Rød, 91&nbsp;år.<br>Ny time 24.06.<br/>";
        let v = spans(&d, t);
        for (span, label) in [
            ("Storgata&nbsp;5", Label::Address),
            ("2317", Label::Postcode),
            ("Rød", Label::PersonLast),
            ("91&nbsp;år", Label::Age),
            ("24.06", Label::Date),
        ] {
            assert!(
                v.iter().any(|x| x.0.contains(span) && x.1 == label),
                "{span}: {v:?}"
            );
        }
        for (s, _) in &v {
            assert!(
                !s.starts_with(['&', ';', '<']) && !s.ends_with(['&', ';', '>']),
                "{v:?}"
            );
        }
    }

    /// News-style cues of a person no list knows: the speaker after what
    /// was said, an age in brackets ending a list's item, and roles
    /// outside the clinic. Ordinary words, verbs, findings, drugs, scores
    /// and roles in those places are no names.
    #[test]
    fn speakers_ages_and_roles_in_running_text() {
        let d = detector(None);
        assert_persons_found(
            &d,
            &[
                ("Trenden er utvetydig, understrekar Hersoug.", "Hersoug"),
                ("Det er feil, spør Hersoug.", "Hersoug"),
                ("Søsknene Oliver (11), Lucy (10) og Phoebe (4).", "Phoebe"),
                ("Med seg hadde hun Perisat (24 år).", "Perisat"),
                ("Kaptein Sanogo gjennomførte kuppet.", "Sanogo"),
                ("I tala la konsul Carlsten vekt på det.", "Carlsten"),
                ("Kvist forteller at det går bra.", "Kvist"),
                // In a note in one case, the speaker after what was said.
                ("det er bra, sier hverven til dagbladet.", "hverven"),
                ("DET ER BRA, SIER HVERVEN TIL AVISA.", "HVERVEN"),
            ],
        );
        assert_no_person(
            &d,
            &[
                "Ifølge Felleskatalogen er dosen 5 mg.",
                "IFØLGE BROR HAR HUN VÆRT MER FORVIRRET.",
                "ifølge kjernejournal bruker hun eliquis.",
                "Kolleger tror han er syk.",
                "Leger forteller at det går bra.",
                "«Melder mente at ektefellen var borte.",
                "Fjellkyrkja sitt mandat er å vere open.",
                "Metformin sine bivirkninger er velkjente.",
                "Type (2) diabetes.",
                "Biopsien viste Gleason (7) i to av seks biter.",
                "Han fikk Sobril (10) mg ved behov.",
                "No understrekar ho at det er viktig.",
                "feber og hoste, tror pneumoni.",
                "ct forklarer ikke smertene.",
                "det er bra, sier litteraturkritikeren.",
                "– det er bedre, sier terapeuten.",
                "det gjør vondt, sier pasienten.",
                "det er greit, svarer kona.",
                "DET ER BRA, BEKREFTER FORLAGSSJEF I OKTOBER.",
            ],
        );
        let v = spans(&d, "Ifølge Hansen er det bra.");
        assert!(v.iter().all(|x| x.0 != "Ifølge"), "{v:?}");
    }

    /// Nicknames after a family name or an age and the verb of calling;
    /// relatives named in the plural are relations, not names.
    #[test]
    fn nicknames_and_relatives_in_the_plural() {
        let d = detector(None);
        assert_persons_found(
            &d,
            &[
                ("Pasienten Tor Bjørnar Lie kalles Tobbe.", "Tobbe"),
                ("Eldre dame, 91 år, kalt Mossa i familien.", "Mossa"),
                ("Søstrene Vår og Linn Holm er friske.", "Linn"),
            ],
        );
        for t in [
            "Søstrene Vår og Linn Holm er friske.",
            "Døtrene Oda (24 år) og Ragnhild (21 år).",
            "Borna Erle (8 år) og Tobias (5 år).",
            "Foreldra, Ola (63 år) og Marit (60 år).",
            "Ringde Tuva Seim (31 år), som ønskjer test.",
        ] {
            let v = spans(&d, t);
            let first = t.split([' ', ',']).next().unwrap_or_default();
            assert!(v.iter().all(|x| x.0 != first), "{t}: {v:?}");
        }
    }

    /// A name the list of names that are words gives only a note in
    /// brackets for is no word (`Trygve`: `(trygg = safe)`), and stands
    /// alone; one with an English word stays a word (`Are`).
    #[test]
    fn names_that_only_resemble_words_are_names() {
        let d = detector(None);
        assert_all_found(
            &d,
            &[("Trygve gjorde eit godt løp.", "Trygve")],
            Label::PersonFirst,
        );
        assert_all_found(
            &d,
            &[("Kontroll hos Dahl i morgen.", "Dahl")],
            Label::PersonLast,
        );
        assert_no_person(&d, &["Are you sure?"]);
    }

    /// A capitalised word no list knows, inside a sentence: a family name
    /// by its ending or as a genitive before a relation, a place by its
    /// ending after `i`; and a speaker before a verb of saying.
    #[test]
    fn unlisted_names_inside_sentences_by_their_shape() {
        let d = detector(None);
        assert_persons_found(
            &d,
            &[
                ("Det var en stor dag for Svindal i går.", "Svindal"),
                (
                    "Samtidig har både Sponheim og Høybråten gjort det klart.",
                    "Høybråten",
                ),
                ("Vi har snakket med Kuznetsova om det.", "Kuznetsova"),
                (
                    "Vi har snakket med Rosenbaum og Kovačević i dag.",
                    "Rosenbaum",
                ),
                (
                    "Vi har snakket med Rosenbaum og Kovačević i dag.",
                    "Kovačević",
                ),
                ("Vi har snakket med Knausgårds kone.", "Knausgård"),
                ("Vi har snakket med Diarras sønn.", "Diarra"),
                ("Popescus datter ringte i dag.", "Popescu"),
                ("Haugestads kone ringte i dag.", "Haugestad"),
                ("Atabajev har serveringen klar.", "Atabajev"),
                // Before a verb that names a speaker after a quote.
                ("Haarder tror imidlertid at det går.", "Haarder"),
                ("Hersoug nemner tele- og it-sektoren.", "Hersoug"),
            ],
        );
        assert_all_found(
            &d,
            &[("Hun vokste opp i Skjevesland.", "Skjevesland")],
            Label::Location,
        );
        assert_no_person(
            &d,
            &[
                // Words, compounds of words, eponyms and what follows them.
                "Det ble tatt med Undersøkelsen i går.",
                "Vi vurderte Hjelpemiddelbehov og Pleiebehov.",
                "Kjent Charcots fot og Homans' tegn.",
                "Kjent Epleys manøver og Folstein MMS.",
                "Satt inn Hohmann 24 mm og Hohmann smal.",
                "Brukt Gartland-klassifikasjonen.",
                // Countries, agencies, parties and function words after
                // a genitive.
                "Det gjelder Norges økonomi og Chiles regjering.",
                "Det står i Helsedirektoratets veileder.",
                "Det var Høyres velgere.",
                "Pasienten bruker Lemsip og Beechams fra England.",
                "Fikk ikke Teams til å virke.",
                // A sentence's first word without a verb after it, and
                // things that explain.
                "Kuznetsova i dag.",
                "Pasientens kone ringte. Fastlegens sønn kom. Hjemmesykepleiens kontakt.",
                "Naboens sønn og Tolkens mor var med.",
                "Hjelperens mor og Kollegaens sønn var med.",
                "Marevan forklarer ikke blødningen.",
                "Felleskatalogen nevner ingen interaksjon.",
                "UpToDate nevner at dette er sjeldent.",
                // Drugs and brands that end like names, and compounds of
                // ordinary words.
                "Han har fått Buvidal og Risperdal i dag.",
                "Hun drikker Carlsberg og spiser Jarlsberg.",
                "Det er lagt inn venflon i venstre albuebøy.",
                "Oppe med Sengegjerde og svak Urinstrøm.",
                "QTc etter Bazetts formel er 460 ms.",
                "Han er medlem av Jehovas vitner.",
                "Vi diskuterte Xareltos effekt og Equinors ansatte.",
                "Hun har Glanzmanns trombasteni.",
                "CE-vinkel ad modum Tønnesberg er 18 grader.",
                "Det er påvist Nærrelasjonsvold og lagt ned Minnelund.",
                "Farmasøyten påpeker en interaksjon.",
            ],
        );
        assert_none_labelled(
            &d,
            &[
                "Han har vært i Chile.",
                "Det står i Hitlers tekst.",
                "Dokumentert i Metavision.",
            ],
            Label::Location,
        );
    }
}
