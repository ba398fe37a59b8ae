//! The detector: one pass per note combining rules, gazetteers, context
//! and the patient register, with deterministic overlap resolution
//! (longest span first, then the most specific label, then the most
//! trusted source, then the earliest start).

use std::collections::HashSet;
use std::sync::Arc;

use super::context::{MEDICAL_HEADS, PLACE_PREPS, RELATIONS, TITLES, is_in};
use super::data::{Gender, shipped};
use super::gazetteer::{Entry, GazHit, Gazetteer, STOPWORDS, kind};
use super::label::Label;
use super::register::Register;
use super::rules::{RuleHit, RuleSet};
use super::text::{Case, CaseMode, Gap, Word, fold_case, words};

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
}

/// Everything needed to find identifiers in notes; built once, shared by
/// all threads.
pub struct Detector {
    rules: RuleSet,
    gaz: Gazetteer,
    register: Option<Register>,
    stop: HashSet<&'static str>,
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

fn is_abbreviation(w: &str) -> bool {
    shipped().abbreviations.contains(w)
}

impl Detector {
    /// Combines compiled rules, gazetteer and an optional register.
    pub fn new(rules: RuleSet, gaz: Gazetteer, register: Option<Register>) -> Detector {
        Detector {
            rules,
            gaz,
            register,
            stop: STOPWORDS.iter().copied().collect(),
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
            },
        }
    }

    /// The pattern rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds the identifiers in `text`, a note of patient `patient_id`,
    /// sorted by start, never overlapping.
    pub fn detect(&self, text: &str, patient_id: &str) -> Vec<Detection> {
        let lower = fold_case(text);
        let mode = CaseMode::of(text);
        let mut cands: Vec<Cand> = Vec::new();

        let mut rule_hits: Vec<RuleHit> = Vec::new();
        self.rules.find(text, &lower, &mut rule_hits);
        for h in rule_hits {
            let rule = &self.rules.rules()[h.rule];
            let mut start = h.start;
            if matches!(
                rule.label,
                Label::CareUnit | Label::Address | Label::Location
            ) {
                // Trim sentence-initial ordinary words (`Innlagt Lovisenberg sykehus`).
                while let Some(sp) = text[start..h.end].find(' ') {
                    let first = &lower[start..start + sp];
                    if self.stop.contains(first) {
                        start += sp + 1;
                    } else {
                        break;
                    }
                }
                if !text[start..].starts_with(|c: char| c.is_uppercase())
                    && !(mode != CaseMode::Normal || rule.label == Label::CareUnit)
                {
                    continue;
                }
                if start != h.start && !text[start..h.end].contains(' ') {
                    continue;
                }
            }
            cands.push(Cand {
                start,
                end: h.end,
                label: rule.label,
                rule: rule.name.clone(),
                source: Source::Rule,
                gender: Gender::Unknown,
            });
        }

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

        let mut ghits: Vec<GazHit> = Vec::new();
        self.gaz.find(&lower, &mut ghits);
        let ws = words(text);
        self.names_and_places(text, &lower, mode, &ws, &ghits, &mut cands);

        let mut out = resolve(cands);
        for d in &mut out {
            if d.label == Label::PersonFirst && d.gender == Gender::Unknown {
                d.gender = self.gender_of(&lower[d.start..d.end]);
            }
        }
        out
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

    #[allow(clippy::too_many_arguments)]
    fn names_and_places(
        &self,
        text: &str,
        lower: &str,
        mode: CaseMode,
        ws: &[Word],
        ghits: &[GazHit],
        cands: &mut Vec<Cand>,
    ) {
        // Gazetteer entries per word (single-word entries), multi-word
        // entries straight to candidates.
        let mut entry: Vec<Option<(Entry, usize)>> = vec![None; ws.len()];
        let case_ok = |w: &Word| match mode {
            CaseMode::Normal => matches!(w.case, Case::Title | Case::Upper),
            _ => w.case != Case::Other,
        };
        for h in ghits {
            let Ok(i) = ws.binary_search_by(|w| w.start.cmp(&h.start)) else {
                continue;
            };
            let e = h.entry;
            let single = ws[i].end == h.end || ws[i].end == h.poss_end;
            let first_case_ok = case_ok(&ws[i]);
            if single && !e.multiword {
                entry[i] = Some((e, h.poss_end));
                continue;
            }
            if !first_case_ok || e.is(kind::WEAK) {
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
            let mut end = h.end;
            if label == Label::Address {
                end = extend_house_number(text, end);
            }
            cands.push(Cand {
                start: h.start,
                end,
                label,
                rule: rule.clone(),
                source: Source::Gazetteer,
                gender: e.gender,
            });
        }

        let folded = |w: &Word| &lower[w.start..w.end];
        let is_initial = |w: &Word| {
            w.dot_after
                && w.end - w.start
                    == text[w.start..w.end]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8)
                && text[w.start..].starts_with(|c: char| c.is_uppercase())
        };
        // Can word i be a name part at all?
        let usable = |i: usize| -> Option<(bool, Entry)> {
            let (e, _) = entry[i]?;
            if !e.is(kind::GIVEN | kind::SURNAME) {
                return None;
            }
            let w = &ws[i];
            if is_abbreviation(&text[w.start..w.end]) {
                return None;
            }
            let ok = match mode {
                CaseMode::Normal => matches!(w.case, Case::Title | Case::Upper),
                CaseMode::AllCaps => true,
                CaseMode::AllLower => !e.is(kind::WEAK) || w.case == Case::Title,
            };
            ok.then_some((!e.is(kind::WEAK), e))
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
            if is_in(TITLES, pw) {
                Some(true)
            } else if is_in(RELATIONS, pw) {
                Some(false)
            } else {
                None
            }
        };
        let shape_word = |i: usize| -> bool {
            // An unknown capitalised word that may be a name next to a known one.
            let w = &ws[i];
            mode == CaseMode::Normal
                && w.case == Case::Title
                && !w.numeric
                && w.end - w.start >= 2
                && !self.stop.contains(folded(w))
                && !is_abbreviation(&text[w.start..w.end])
                && entry[i]
                    .is_none_or(|(e, _)| !e.is(kind::WEAK) || e.is(kind::GIVEN | kind::SURNAME))
        };

        let mut used = vec![false; ws.len()];
        let mut i = 0;
        while i < ws.len() {
            // Start of a run: an initial, a listed name, or a word after a trigger.
            let trig = trigger_before(i);
            let starts = is_initial(&ws[i]) && i + 1 < ws.len()
                || usable(i).is_some()
                || (trig.is_some()
                    && (shape_word(i) || (mode != CaseMode::Normal && entry[i].is_some())));
            if !starts || ws[i].numeric {
                i += 1;
                continue;
            }
            // Extend the run.
            let mut run = vec![i];
            let mut j = i + 1;
            while j < ws.len() && run.len() < 5 {
                let prev = &ws[j - 1];
                let w = &ws[j];
                let joined = matches!(w.gap, Gap::Space | Gap::Hyphen)
                    || (is_initial(prev) && text[prev.end..w.start].trim() == ".");
                if !joined || w.numeric {
                    break;
                }
                if is_initial(w) || usable(j).is_some() || shape_word(j) {
                    run.push(j);
                    j += 1;
                } else {
                    break;
                }
            }
            // Drop trailing initials and unknown shape words after a sentence end.
            while run.len() > 1 && is_initial(&ws[*run.last().unwrap_or(&i)]) {
                run.pop();
            }
            let parts: Vec<usize> = run
                .iter()
                .copied()
                .filter(|&k| !is_initial(&ws[k]))
                .collect();
            let listed: Vec<(usize, bool, Entry)> = parts
                .iter()
                .filter_map(|&k| usable(k).map(|(s, e)| (k, s, e)))
                .collect();
            let strong = listed.iter().any(|x| x.1);
            let has_initial = parts.len() < run.len();
            let accept = !parts.is_empty()
                && (trig.is_some()
                    || strong && (listed.len() == parts.len() || parts.len() >= 2)
                    || listed.len() >= 2
                    || (has_initial && !listed.is_empty())
                    || (listed.len() == 1 && parts.len() >= 2 && ws[i].gap != Gap::Sentence));
            if !accept {
                i += 1;
                continue;
            }
            // A single listed word that is also a place, after a place
            // preposition, is a place.
            if parts.len() == 1 && !has_initial && trig.is_none() {
                let k = parts[0];
                if let Some((e, _)) = entry[k]
                    && e.is(kind::PLACE)
                    && k > 0
                    && is_in(PLACE_PREPS, folded(&ws[k - 1]))
                {
                    i += 1;
                    continue;
                }
                // A hospital that is also a surname (`innlagt Haukeland`).
                if let Some((e, _)) = entry[k]
                    && e.is(kind::INSTITUTION)
                {
                    i += 1;
                    continue;
                }
                // Eponyms: `Hansens sykdom`, `Gram-positiv`, `Parkinson-lignende`.
                if self.is_eponym_use(text, lower, ws, k, &entry) {
                    i = k + 1;
                    continue;
                }
            }
            // Labels.
            let title = trig == Some(true);
            let n = parts.len();
            let reversed = n == 2
                && entry[parts[0]].is_some_and(|(e, _)| e.is(kind::SURNAME) && !e.is(kind::GIVEN))
                && entry[parts[1]].is_some_and(|(e, _)| e.is(kind::GIVEN) && !e.is(kind::SURNAME));
            let label_of = |pos: usize, k: usize| -> Label {
                if reversed {
                    return if pos == 0 {
                        Label::PersonLast
                    } else {
                        Label::PersonFirst
                    };
                }
                if n >= 2 {
                    return if pos + 1 == n {
                        Label::PersonLast
                    } else {
                        Label::PersonFirst
                    };
                }
                match entry[k] {
                    _ if has_initial || title => Label::PersonLast,
                    Some((e, _)) if e.is(kind::GIVEN) => Label::PersonFirst,
                    Some(_) => Label::PersonLast,
                    None => Label::PersonFirst,
                }
            };
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
                    _ => &self.names.shape,
                }
            };
            let mut spans: Vec<Cand> = Vec::new();
            let mut pos = 0;
            for &k in &run {
                let w = &ws[k];
                let (label, rule, end) = if is_initial(w) {
                    (Label::PersonFirst, self.names.initial.clone(), w.end + 1)
                } else {
                    let l = label_of(pos, k);
                    pos += 1;
                    let end = entry[k].map_or(w.end, |(_, pe)| pe.max(w.end));
                    (l, rule_for(k).clone(), end)
                };
                let gender = entry[k].map_or(Gender::Unknown, |(e, _)| {
                    if label == Label::PersonFirst {
                        e.gender
                    } else {
                        Gender::Unknown
                    }
                });
                // Merge with the previous span of the same label when joined.
                if let Some(last) = spans.last_mut()
                    && last.label == label
                    && label == Label::PersonFirst
                    && !is_initial(w)
                    && !text[last.start..last.end].ends_with('.')
                {
                    last.end = end;
                    continue;
                }
                if let Some(last) = spans.last_mut()
                    && last.label == label
                    && w.gap == Gap::Hyphen
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
            for s in spans {
                cands.push(s);
            }
            for &k in &run {
                used[k] = true;
            }
            i = j;
        }

        // Single-word places.
        for (k, w) in ws.iter().enumerate() {
            if used[k] {
                continue;
            }
            let Some((e, _)) = entry[k] else { continue };
            if !e.is(kind::PLACE | kind::STREET | kind::INSTITUTION) || !case_ok(w) {
                continue;
            }
            if w.case == Case::Upper && is_abbreviation(&text[w.start..w.end]) {
                continue;
            }
            let after_prep = k > 0 && is_in(PLACE_PREPS, folded(&ws[k - 1]));
            let is_name = e.is(kind::GIVEN | kind::SURNAME);
            let weak = e.is(kind::WEAK);
            if !(after_prep || (!weak && !is_name)) {
                continue;
            }
            if weak && mode != CaseMode::Normal && !after_prep {
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

    fn is_eponym_use(
        &self,
        text: &str,
        lower: &str,
        ws: &[Word],
        k: usize,
        entry: &[Option<(Entry, usize)>],
    ) -> bool {
        let w = &ws[k];
        let Some((e, poss_end)) = entry[k] else {
            return false;
        };
        let possessive = poss_end > w.end || lower[w.start..w.end].ends_with('s');
        if k > 0 && matches!(&lower[ws[k - 1].start..ws[k - 1].end], "morbus" | "m") {
            return true;
        }
        let Some(next) = ws.get(k + 1) else {
            return false;
        };
        let next_word = &lower[next.start..next.end];
        let next_lower = next.case == Case::Lower
            || (next.case == Case::Upper && text[next.start..next.end].len() > 1 && false);
        if next.gap == Gap::Hyphen && next_lower {
            return true;
        }
        (e.is(kind::EPONYM) || possessive)
            && next.gap == Gap::Space
            && (is_in(MEDICAL_HEADS, next_word)
                || MEDICAL_HEADS
                    .iter()
                    .any(|h| next_word.ends_with(h) && next_word.len() > h.len() + 2))
    }
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
    if text[e..].starts_with(|c: char| c.is_alphanumeric()) {
        return end;
    }
    e
}

/// Keeps the best non-overlapping candidates: longest, then most specific
/// label, then most trusted source, then earliest.
fn resolve(mut cands: Vec<Cand>) -> Vec<Detection> {
    cands.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.label.specificity().cmp(&b.label.specificity()))
            .then(a.source.cmp(&b.source))
            .then(a.start.cmp(&b.start))
            .then(a.rule.cmp(&b.rule))
    });
    let mut taken: Vec<(usize, usize)> = Vec::new(); // sorted by start
    let mut out: Vec<Detection> = Vec::new();
    for c in cands {
        let idx = taken.partition_point(|t| t.0 < c.start);
        let clash_before = idx > 0 && taken[idx - 1].1 > c.start;
        let clash_after = idx < taken.len() && taken[idx].0 < c.end;
        if clash_before || clash_after {
            continue;
        }
        taken.insert(idx, (c.start, c.end));
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
            Gazetteer::build(&ExtraLists::default()).unwrap(),
            register,
        )
    }

    fn spans(d: &Detector, t: &str) -> Vec<(String, Label)> {
        d.detect(t, "p1")
            .into_iter()
            .map(|s| (t[s.start..s.end].to_string(), s.label))
            .collect()
    }

    fn has(v: &[(String, Label)], s: &str, l: Label) -> bool {
        v.iter().any(|x| x.0 == s && x.1 == l)
    }

    #[test]
    fn names_with_titles_initials_and_possessives() {
        let d = detector(None);
        let t = "Pasienten Kari Nordmann ble sett av dr. Bjørgan. K. Bjørgan og Hansens datter Liv kom. Tlf 22 11 33 44.";
        let v = spans(&d, t);
        assert!(has(&v, "Kari", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Nordmann", Label::PersonLast), "{v:?}");
        assert!(has(&v, "Bjørgan", Label::PersonLast), "{v:?}");
        assert!(has(&v, "K.", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "Hansens", Label::PersonLast), "{v:?}");
        assert!(has(&v, "Liv", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "22 11 33 44", Label::Phone), "{v:?}");
    }

    #[test]
    fn common_words_eponyms_and_abbreviations_are_not_names() {
        let d = detector(None);
        let t = "Liv og helse er viktig. Hun har Bechterews sykdom og Hansens sykdom. Time avtalt. CRP 5, BT 120/80. Per os.";
        let v = spans(&d, t);
        assert!(v.is_empty(), "{v:?}");
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
        let v = spans(
            &d,
            "PASIENTEN KARI NORDMANN FRA BERGEN KOM TIL KONTROLL. LIV OG HELSE.",
        );
        assert!(has(&v, "KARI", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "BERGEN", Label::Location), "{v:?}");
        assert!(!v.iter().any(|x| x.0 == "LIV"), "{v:?}");
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
    fn register_catches_names_no_list_knows() {
        let reg = Register::from_rows(vec![(
            "p1".into(),
            "full_name".into(),
            "Zyxa Qwertyson".into(),
        )])
        .unwrap();
        let d = detector(Some(reg));
        let v = spans(&d, "zyxa qwertysons bil. QWERTYSON kom.");
        assert!(has(&v, "zyxa", Label::PersonFirst), "{v:?}");
        assert!(has(&v, "qwertysons", Label::PersonLast), "{v:?}");
        assert!(has(&v, "QWERTYSON", Label::PersonLast), "{v:?}");
    }
}
