//! Names no list knows, marked by what surrounds them: a header field
//! before (`Gjelder: aya løland-aasheim,`), or an identity or role after
//! (`torstein meyer – 26905504885`, `Zeynep Petrov, født 1.2.1980`,
//! `Paweł Korhonen (overlege)`). Clinical notes write the patient's and the
//! staff's names in these places whatever their case, so the cues hold in
//! lower-case and ALL-CAPS notes too.

use super::context::{
    COMMON_WORD_ENDINGS, COMMON_WORD_MIN_CHARS, DOCTOR_QUALIFIERS, NICKNAME_NOUNS, NICKNAME_VERBS,
    PERSON_FIELDS, POSSESSIVES, SEX_WORDS, TITLES, is_compound_title, is_in, is_unit_word,
};
use super::data::ordinary_word;
use super::gazetteer::{WordInfo, kind, lex};
use super::text::{Case, CaseMode, Gap, Word};

/// Most words one cued name has.
const MAX_WORDS: usize = 4;

/// Longest nickname (`Lillemor`), in characters.
const MAX_NICKNAME_CHARS: usize = 8;

/// Adverbs that follow `kalt` as a verb of calling someone somewhere
/// (`ble kalt tilbake`, `kalt hjem`).
const AFTER_KALT: &[&str] = &[
    "tilbake", "hjem", "heim", "opp", "ut", "inn", "ned", "fram", "frem", "over", "bort", "sammen",
    "til", "på",
];

/// Persons a nickname is given to, before `kalles` (`hun kalles Tulla`,
/// `pasienten kalles Totto`), besides relations.
const NICKNAMED: &[&str] = &[
    "hun",
    "han",
    "ho",
    "hen",
    "pasienten",
    "pas",
    "gutten",
    "guten",
    "jenta",
    "jenten",
    "barnet",
    "babyen",
];

/// Whether the nickname verb at word `c` calls a person: after a person
/// ([`NICKNAMED`], a relation, or the given or family name it stands for:
/// `Torbjørn (kalles «Tobben»)`, `Tor Lie kalles Tobbe`), after an age and
/// a comma (`Eldre dame, 91 år, kalt Mossa`), or after
/// `bli`/`blir`/`ble`/`vert` that follows a
/// person, `å`, `som` or a modal (`Ho vert kalla Immi`, `liker å bli kalt`,
/// `vil bli kalla Tobben`, `Pasienten, som blir kalt Knerten`); not what a
/// thing is called (`Operasjonen kalles Whipple`, `Metoden vert kalla
/// Bobath`, `DETTE KALLES TICS`).
fn person_called(lower: &str, ws: &[Word], infos: &[WordInfo], c: usize) -> bool {
    let word = |k: usize| &lower[ws[k].start..ws[k].end];
    let person = |k: usize| {
        is_in(NICKNAMED, word(k))
            || infos[k].lex & lex::RELATION != 0
            || infos[k]
                .entry
                .is_some_and(|e| e.is(kind::GIVEN | kind::SURNAME))
    };
    let after_age = c > 1
        && matches!(word(c - 1), "år" | "mnd" | "måneder")
        && lower[ws[c - 1].end..ws[c].start].contains(',')
        && ws[c - 2].numeric;
    let passive = |k: usize| {
        matches!(
            word(k),
            "bli" | "blir" | "ble" | "blei" | "blitt" | "vart" | "vert" | "verte" | "vorte"
        )
    };
    c > 0
        && (person(c - 1)
            || after_age
            || (passive(c - 1)
                && c > 1
                && (person(c - 2)
                    || matches!(word(c - 2), "å" | "som" | "vil" | "skal" | "kan" | "må"))))
}

/// Words after a role or relation in apposition that tie it to the
/// rest of the sentence (`Kari Lie, leiar i styret`, `Ola, sønn av
/// pasienten`).
const APPOSITION_LINKS: &[&str] = &["i", "ved", "på", "for", "av", "til"];

/// `er en` between a name and an age and a sex (`randi furuheim er en
/// 94-årig kvinne`).
const COPULAS: &[&str] = &[" er en ", " er ein ", " er ei "];

/// How sure a cue is that the words next to it are a name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    /// An identity follows (birth date, fødselsnummer) or a header field
    /// precedes: the words are a name in any case.
    Strong,
    /// An age or a role follows: only capitalised words, unless the whole
    /// note has one case.
    Capitalised,
    /// A bare number in brackets follows (`Bulat Atabajev (52)`, the age
    /// as the press writes it): as [`Strength::Capitalised`], and only a
    /// name of two words or more (`Paracet (500)` is a dose).
    Pair,
    /// An age that ends its phrase follows (`Kari Bruun (38 år)`, `, 34
    /// år,`; not `, 10 år siden`): as [`Strength::Capitalised`], and in an
    /// ordinary note also a name in small letters of two words or more that
    /// opens with a listed given name (not the possessive `hans`), none of
    /// them an ordinary word (`kamilla vedå (67 år)`).
    Aged,
    /// An age and a sex follow (`thorbjørn edgar woll, 94-årig mann`):
    /// any case, but lower-case words in an ordinary note only as a name
    /// of two words or more, none shaped like a common word
    /// ([`common_word_shape`]: `blid og samarbeidende, 45-årig mann`).
    Described,
    /// A word naming a nickname precedes (`kalt «Bibbi»`): one word,
    /// capitalised unless the whole note has one case, ending its phrase
    /// or before a function word (`kalt Bibbi av personalet`).
    Nickname,
    /// A verb of speaking follows (`Zeynep forteller`): capitalised words,
    /// or a lower-case one opening a sentence (`Anamnese: fritz forteller`;
    /// in the middle of a sentence, `du virkelig forteller`, it is an
    /// adverb), any word in a one-case note; never an unlisted word shaped
    /// like a common word where its case says nothing
    /// ([`common_word_shape`]: `Foreldrene forteller`).
    Spoken,
}

/// Whether the case-folded word has the ending of a common word, never of
/// a name ([`COMMON_WORD_ENDINGS`]).
pub fn common_word_shape(folded: &str) -> bool {
    folded.chars().count() >= COMMON_WORD_MIN_CHARS
        && COMMON_WORD_ENDINGS.iter().any(|e| folded.ends_with(e))
}

/// Whether word `k` opens a sentence (its capital says nothing).
pub fn opens_sentence(ws: &[Word], k: usize) -> bool {
    matches!(ws[k].gap, Gap::Start | Gap::Sentence)
}

/// Whether word `k` follows a place preposition (`I Norge sier man`: a
/// place, not the one who speaks).
pub fn after_place_prep(ws: &[Word], infos: &[WordInfo], k: usize) -> bool {
    k > 0 && ws[k].gap == Gap::Space && infos[k - 1].lex & lex::PLACE_PREP != 0
}

/// Whether the case-folded `w` looks like the definite form of a long
/// noun, as agencies, reference works and buildings are named
/// (`Felleskatalogen`, `Helsedirektoratet`, `Fjellkyrkja`), not like a
/// `-sen` or `-sten` family name.
pub fn definite_noun_shape(w: &str) -> bool {
    let n = w.chars().count();
    (n >= 8
        && (w.ends_with("et") || (w.ends_with("en") && !w.ends_with("sen") && !w.ends_with("ten"))))
        || (n >= 9 && w.ends_with('a'))
}

/// Whether the case-folded `w` looks like a noun in the definite form, as
/// agencies, sources, roles and bodies are named before a verb of saying
/// or a genitive's relation: [`definite_noun_shape`], or `-en` after five
/// letters or more, `-ten` too (`Farmasøyten`, `Trygderetten`); not a
/// `-sen` family name.
pub fn definite_form_shape(w: &str) -> bool {
    definite_noun_shape(w) || (w.chars().count() >= 7 && w.ends_with("en") && !w.ends_with("sen"))
}

/// Whether the case-folded `w` is an ordinary word in an inflected form, a
/// plural or definite one (`kolleger`, `leger`, `vitnet`): opening a
/// sentence before a speech verb it is the subject, not a person (unlike
/// `Kvist`, `Bolt`, `Fisker`, family names as often as nouns).
pub fn inflected_ordinary_word(w: &str) -> bool {
    ["er", "ene", "ane", "et", "en", "a", "ar"]
        .iter()
        .any(|e| w.ends_with(e))
        && !w.ends_with("sker")
        && ordinary_word(w).is_some()
}

/// Whether the case-folded `w` is a role in its definite form: a title
/// (`terapeuten`, `konsulenten`) or an agent noun (`litteraturkritikeren`,
/// `teoretikaren`, `visitoren`) and `-en`; not a family name of the same
/// shape (`høybråten`, `bakken`).
pub fn role_in_definite_form(w: &str) -> bool {
    const AGENT_ENDINGS: &[&str] = &[
        "or", "ør", "er", "ar", "ist", "ent", "ant", "eut", "øyt", "log",
    ];
    w.strip_suffix("en").is_some_and(|stem| {
        stem.chars().count() >= 4
            && (AGENT_ENDINGS.iter().any(|e| stem.ends_with(e))
                || is_compound_title(stem)
                || is_in(TITLES, stem)
                || ordinary_word(stem).is_some())
    })
}

/// Whether `after` (the text right after a word) opens with an age in
/// brackets that ends an item of a list: `Phoebe (4).`, `Lucy (10) og`.
pub fn age_in_brackets_after(after: &str) -> bool {
    let Some(rest) = after.strip_prefix(" (") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest[digits..];
    let Some(next) = tail.strip_prefix(')').or_else(|| tail.strip_prefix(" år)")) else {
        return false;
    };
    // The list's item ends there (not `Sobril (10) mg`, `Gleason (7) i`).
    (1..=2).contains(&digits)
        && (next.is_empty()
            || next.starts_with([',', '.', ';', ':', '\n'])
            || next.starts_with(" og "))
}

/// Marks the words of `ws` that cues show to be names. `lower` is the
/// case-folded note (offsets of `ws`), `infos` the words' gazetteer
/// lookups; `abbreviation(k)` tells whether word `k` is a clinical
/// abbreviation.
pub fn cued_names(
    lower: &str,
    ws: &[Word],
    infos: &[WordInfo],
    mode: CaseMode,
    abbreviation: impl Fn(usize) -> bool,
) -> Vec<bool> {
    let mut marked = vec![false; ws.len()];
    // A word that can be part of a name: not a number, a stop word, a title,
    // a relation, a header field (`Søker Nils Grønn (77 år)`) or an
    // abbreviation.
    let plain = |k: usize, strength: Strength| -> bool {
        let w = &ws[k];
        let cased = match strength {
            Strength::Strong => true,
            Strength::Described => {
                mode != CaseMode::Normal
                    || matches!(w.case, Case::Title | Case::Upper)
                    || !common_word_shape(&lower[w.start..w.end])
            }
            Strength::Capitalised | Strength::Pair | Strength::Nickname => {
                mode != CaseMode::Normal || matches!(w.case, Case::Title | Case::Upper)
            }
            Strength::Aged => {
                mode != CaseMode::Normal
                    || matches!(w.case, Case::Title | Case::Upper)
                    || (w.case == Case::Lower
                        && ordinary_word(&lower[w.start..w.end]).is_none()
                        && !common_word_shape(&lower[w.start..w.end]))
            }
            // Any case here; where lower case may stand is decided for the
            // whole name below.
            Strength::Spoken => {
                let case_silent = mode != CaseMode::Normal
                    || opens_sentence(ws, k)
                    || !matches!(w.case, Case::Title | Case::Upper);
                // No verb (`«Melder mente …`), nor, where the case says
                // nothing, an unlisted word shaped like a common one, or an
                // inflected ordinary word not before a relation (`Kolleger
                // forteller`; but `skogens kone forteller`, `Kvist sier`).
                let word = &lower[w.start..w.end];
                let before_relation = infos.get(k + 1).is_some_and(|i| i.lex & lex::RELATION != 0);
                // (A capitalised ordinary word opening a sentence may be a
                // family name; a small one in a one-case note is a word.)
                let ordinary = if mode == CaseMode::Normal && w.case == Case::Title {
                    inflected_ordinary_word(word)
                } else {
                    ordinary_word(word).is_some()
                };
                infos[k].lex & (lex::NAME_VERB | lex::SPEECH | lex::QUOTE_VERB) == 0
                    && !(case_silent
                        && infos[k].entry.is_none()
                        && (common_word_shape(word) || (!before_relation && ordinary)))
            }
        };
        cased
            && !w.numeric
            // (not an obstetric formula: `G5P4, 36 år`)
            && !lower[w.start..w.end].bytes().any(|b| b.is_ascii_digit())
            && w.case != Case::Other
            && infos[k].lex
                & (lex::STOP
                    | lex::TITLE
                    | lex::RELATION
                    | lex::PLACE_PREP
                    | lex::FIELD
                    | lex::NAME_VERB)
                == 0
            && !abbreviation(k)
            // `Fastlege: Legesenteret Øst`: a unit, not a name.
            && !is_unit_word(&lower[w.start..w.end])
            && !is_compound_title(&lower[w.start..w.end])
    };
    let joined = |k: usize| matches!(ws[k].gap, Gap::Space | Gap::Hyphen);
    // Walking back, an initial and its dot join the name too (`Z. PATEL,
    // TURNUSLEGE`), before a capitalised word in an ordinary note (not
    // `Kristiansand S. sander heum`); not a unit's letter (`119
    // x10^9/L. GØRAN`).
    let joined_back = |k: usize| {
        joined(k)
            || (ws[k].gap == Gap::Sentence
                && (mode != CaseMode::Normal || matches!(ws[k].case, Case::Title | Case::Upper))
                && lower[ws[k - 1].start..ws[k - 1].end].chars().count() == 1
                && lower[ws[k - 1].end..ws[k].start] == *". "
                && lower[..ws[k - 1].start]
                    .chars()
                    .next_back()
                    .is_none_or(|c| c.is_whitespace() || c == '('))
    };
    let capitalised = |m: usize| matches!(ws[m].case, Case::Title | Case::Upper);
    for k in 0..ws.len() {
        // A cue after word k: walk back over the name.
        if let Some(strength) = cue_after(lower, ws, infos, k) {
            // A capitalised name does not reach back over lower-case
            // words (`Jeg henviser Kari Bruun (…)`).
            let mut first = k;
            while first > 0
                && k - first + 1 < MAX_WORDS
                && joined_back(first)
                && plain(first - 1, strength)
                && (mode != CaseMode::Normal || capitalised(first - 1) || !capitalised(first))
            {
                first -= 1;
            }
            // A spoken name in lower case in an ordinary note opens its
            // sentence (`Anamnese: fritz forteller`); inside one it is an
            // adverb (`du virkelig forteller`). After a place preposition
            // it is a place.
            let spoken_ok = strength != Strength::Spoken
                || (!after_place_prep(ws, infos, first)
                    && (mode != CaseMode::Normal || capitalised(k) || opens_sentence(ws, first)));
            let listed_given = |m: usize| {
                infos[m]
                    .entry
                    .is_some_and(|e| e.is(kind::GIVEN) && !e.is(kind::WEAK))
            };
            let pair_ok = match strength {
                Strength::Pair => first < k,
                Strength::Aged => {
                    mode != CaseMode::Normal
                        || (first..=k).all(capitalised)
                        || (first < k
                            && listed_given(first)
                            && !is_in(POSSESSIVES, &lower[ws[first].start..ws[first].end]))
                }
                Strength::Described => first < k || mode != CaseMode::Normal || capitalised(k),
                _ => true,
            };
            if spoken_ok && pair_ok && (first..=k).all(|m| plain(m, strength)) {
                marked[first..=k].iter_mut().for_each(|m| *m = true);
            }
        }
        // A header field before word k: walk on over the name, which must
        // end where the field does.
        if let Some(strength) = field_before(lower, ws, infos, k)
            && plain(k, strength)
        {
            let mut last = k;
            while strength != Strength::Nickname
                && last + 1 < ws.len()
                && last + 1 - k < MAX_WORDS
                && joined(last + 1)
                && plain(last + 1, strength)
            {
                last += 1;
            }
            let ends = ws.get(last + 1).is_none_or(|next| {
                !matches!(next.gap, Gap::Space | Gap::Hyphen)
                    || (strength == Strength::Nickname
                        && next.gap == Gap::Space
                        && infos[last + 1].lex & lex::STOP != 0)
            });
            let long_enough = strength != Strength::Pair || last > k;
            if long_enough && (ends || cue_after(lower, ws, infos, last).is_some()) {
                marked[k..=last].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    marked
}

/// Whether word `k` follows a header field ([`lex::FIELD`]) and its colon,
/// or a signature's `sign.` (`lower` is the case-folded note): a name
/// there in any case. After a word that names a nickname
/// ([`NICKNAME_VERBS`], [`NICKNAME_NOUNS`]): [`Strength::Nickname`].
/// After a role that only a person fills and its colon ([`PERSON_FIELDS`]:
/// `Ansvarlig lege:`, `Operatør:`), a name of two words or more,
/// capitalised or in a one-case note (`Ortoped: Konservativ behandling.`
/// is a heading and its finding).
fn field_before(lower: &str, ws: &[Word], infos: &[WordInfo], k: usize) -> Option<Strength> {
    if k == 0 {
        return None;
    }
    let between = lower[ws[k - 1].end..ws[k].start].trim_matches([' ', '\t']);
    // `kalt Kalle`, `kalles «Totto»`, `Kallenavn: Putte`: a nickname, a
    // short word, no eponym or place, heading no compound (not `det som
    // vert kalla Israelsstigen`, `kalla eøs-utvalet`). After a verb, a
    // person is called (not `Operasjonen kalles Whipple`) and the word is
    // no ordinary one (`DETTE KALLES ANGST`); after a noun it may be.
    let cue = &lower[ws[k - 1].start..ws[k - 1].end];
    let nick = &lower[ws[k].start..ws[k].end];
    let verb = is_in(NICKNAME_VERBS, cue);
    if (verb || is_in(NICKNAME_NOUNS, cue))
        && matches!(between, "" | "«" | "\"" | ":")
        && nick.chars().count() <= MAX_NICKNAME_CHARS
        && !lower[ws[k].end..].starts_with('-')
        && !infos[k].entry.is_some_and(|e| {
            e.is(kind::EPONYM)
                || (e.is(kind::PLACE | kind::STREET | kind::INSTITUTION) && !e.is(kind::GIVEN))
        })
        && !is_in(AFTER_KALT, nick)
        && (!verb || (ordinary_word(nick).is_none() && person_called(lower, ws, infos, k - 1)))
    {
        return Some(Strength::Nickname);
    }
    // A colon ends a sentence for the word splitter.
    if ws[k].gap != Gap::Sentence {
        return None;
    }
    let colon = between == ":" || between == ".:";
    if infos[k - 1].lex & lex::FIELD != 0 {
        return colon.then_some(Strength::Strong);
    }
    if colon && person_field(lower, ws, k - 1) {
        return Some(Strength::Pair);
    }
    // `sign. gurpreet korhonen`: the signature's abbreviation.
    (between == "." && &lower[ws[k - 1].start..ws[k - 1].end] == "sign").then_some(Strength::Strong)
}

/// Whether word `f` (before a colon) is a role that only a person fills:
/// one of [`PERSON_FIELDS`], or `lege` after a qualifier of
/// [`DOCTOR_QUALIFIERS`] (`Ansvarlig lege:`).
fn person_field(lower: &str, ws: &[Word], f: usize) -> bool {
    let word = |k: usize| &lower[ws[k].start..ws[k].end];
    is_in(PERSON_FIELDS, word(f))
        || (word(f) == "lege"
            && f > 0
            && ws[f].gap == Gap::Space
            && is_in(DOCTOR_QUALIFIERS, word(f - 1)))
}

/// What the text right after word `k` says about the words before it
/// (`lower` is the case-folded note).
fn cue_after(lower: &str, ws: &[Word], infos: &[WordInfo], k: usize) -> Option<Strength> {
    let rest = &lower[ws[k].end..];
    // `Sigrún Jónsdóttir er pasientens kontaktperson`: a relation or a
    // role of the patient; a name of two words (`Hjemmetjenesten er
    // pasientens kontaktperson` is none).
    let word_is = |m: usize, w: &str| {
        ws.get(m)
            .is_some_and(|x| x.gap == Gap::Space && &lower[x.start..x.end] == w)
    };
    if word_is(k + 1, "er")
        && word_is(k + 2, "pasientens")
        && ws.get(k + 3).is_some_and(|x| {
            x.gap == Gap::Space
                && (infos[k + 3].lex & (lex::RELATION | lex::TITLE) != 0
                    || is_compound_title(&lower[x.start..x.end]))
        })
    {
        return Some(Strength::Pair);
    }
    // `randi furuheim er en 94-årig kvinne`
    for copula in COPULAS {
        if let Some(r) = rest.strip_prefix(copula)
            && age_and_sex_at(r)
        {
            return Some(Strength::Described);
        }
    }
    match rest.as_bytes() {
        [b',', b' ', ..] => {}
        // A space and a letter: only what the next words are can tell.
        [b' ', c, ..] if c.is_ascii_alphabetic() => return cue_in_words(ws, infos, lower, k),
        [b' ', ..] => {}
        _ => return None,
    }
    let digits_at = |s: &str, n: usize| leading_digits(s) >= n;
    // A fødselsnummer: six digits, maybe a space or dash, five digits.
    let fnr_at = |s: &str| {
        let b = s.as_bytes();
        let six = digits_at(s, 6);
        let sep = usize::from(matches!(b.get(6), Some(b' ' | b'-')));
        six && s.get(6 + sep..).is_some_and(|r| digits_at(r, 5))
    };
    // `, født …`, `, fødd …`, `, f. 12…`
    if let Some(r) = rest.strip_prefix(", ") {
        if r.starts_with("født") || r.starts_with("fødd") {
            return Some(Strength::Strong);
        }
        if let Some(after) = r.strip_prefix("f. ").or_else(|| r.strip_prefix("f."))
            && digits_at(after, 1)
        {
            return Some(Strength::Strong);
        }
        // `, 130558 01432`: a fødselsnummer.
        if fnr_at(r) {
            return Some(Strength::Strong);
        }
        // `, 94-årig mann`: an age and a sex describe the person just
        // named, whatever its case; `, 34 år`, `, 70-årig` an aged one.
        if age_and_sex_at(r) {
            return Some(Strength::Described);
        }
        if let Some(strength) = aged(r) {
            return Some(strength);
        }
        // `, HPR 1234567`: health personnel (but `lege i spesialisering,
        // HPR …` puts a role there, so only capitalised words count).
        if r.starts_with("hpr") {
            return Some(Strength::Capitalised);
        }
        // `, overlege,`, `, leiar i arbeidsnemnda`, `, pasientens bror`,
        // `, sønn av pasienten`: a role or a relation in apposition.
        if let Some(next) = ws.get(k + 1)
            && next.gap == Gap::Comma
        {
            let mut m = if &lower[next.start..next.end] == "pasientens"
                && ws.get(k + 2).is_some_and(|w| w.gap == Gap::Space)
            {
                k + 2
            } else {
                k + 1
            };
            let role = infos[m].lex & (lex::TITLE | lex::RELATION) != 0;
            // `, LIS-lege,`: the role's hyphenated tail.
            while ws.get(m + 1).is_some_and(|w| w.gap == Gap::Hyphen) {
                m += 1;
            }
            let after = &lower[ws[m].end..];
            let ends = after.is_empty()
                || after.starts_with([',', '\n', '.', ')'])
                || APPOSITION_LINKS.iter().any(|l| {
                    after
                        .strip_prefix(' ')
                        .and_then(|a| a.strip_prefix(l))
                        .is_some_and(|a| a.starts_with(' '))
                });
            if role && ends {
                return Some(Strength::Capitalised);
            }
        }
    }
    // ` – 130558…` (a dash and a number), ` (130558 01432)`
    for dash in [" – ", " - ", " — "] {
        if let Some(r) = rest.strip_prefix(dash)
            && fnr_at(r)
        {
            return Some(Strength::Strong);
        }
    }
    if let Some(r) = rest.strip_prefix(" (") {
        if fnr_at(r) {
            return Some(Strength::Strong);
        }
        // ` (38 år)`
        if let Some(strength) = aged(r) {
            return Some(strength);
        }
        // ` (52)`
        let n = leading_digits(r);
        if (1..=3).contains(&n) && r[n..].starts_with(')') {
            return Some(Strength::Pair);
        }
        // ` (fysioterapeut)`, ` (LIS-lege)`: a role of one or two words.
        let role = (k + 1..ws.len().min(k + 3))
            .take_while(|&m| m == k + 1 || ws[m].gap == Gap::Hyphen)
            .any(|m| infos[m].lex & lex::TITLE != 0 && lower[ws[m].end..].starts_with(')'));
        if role {
            return Some(Strength::Capitalised);
        }
    }
    cue_in_words(ws, infos, lower, k)
}

/// `Zeynep forteller`, `Pereiras sambuar fortel`, `Kaaras mor`: a person
/// by what they say or who their relatives are.
fn cue_in_words(ws: &[Word], infos: &[WordInfo], lower: &str, k: usize) -> Option<Strength> {
    ws.get(k + 1).filter(|w| w.gap == Gap::Space)?;
    if infos[k + 1].lex & lex::SPEECH != 0 {
        return Some(Strength::Spoken);
    }
    if !genitive_before_relation(ws, infos, lower, k) {
        return None;
    }
    if ws.get(k + 2).is_some_and(|w| w.gap == Gap::Space)
        && infos.get(k + 2).is_some_and(|i| i.lex & lex::SPEECH != 0)
    {
        return Some(Strength::Spoken);
    }
    // A capitalised genitive inside a sentence (`Avtalt med Kaaras mor`;
    // not `Naboens mor` opening one), of no common word (`Barnets far`).
    let stem = &lower[ws[k].start..ws[k].end - 1];
    (ws[k].case == Case::Title
        && !opens_sentence(ws, k)
        && ordinary_word(stem).is_none()
        && !common_word_shape(stem)
        // A noun's definite genitive (`Sosionomens kollega`).
        && !["ens", "ets", "enes", "ernes", "anes"]
            .iter()
            .any(|e| lower[ws[k].start..ws[k].end].ends_with(e)))
    .then_some(Strength::Capitalised)
}

/// Whether word `k` is a genitive in `s` right before a relation
/// (`Kaaras mor`, `pereiras sambuar`).
pub fn genitive_before_relation(ws: &[Word], infos: &[WordInfo], lower: &str, k: usize) -> bool {
    lower[ws[k].start..ws[k].end].ends_with('s')
        && ws[k].end - ws[k].start >= 3
        && ws.get(k + 1).is_some_and(|w| w.gap == Gap::Space)
        && infos[k + 1].lex & lex::RELATION != 0
}

/// Number of ASCII digits `s` starts with.
fn leading_digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// What follows an age of one to three digits that `s` (case-folded)
/// starts with, past spaces and hyphens (`70-årig` → `årig`).
fn after_age(s: &str) -> Option<&str> {
    let n = leading_digits(s);
    (1..=3)
        .contains(&n)
        .then(|| s[n..].trim_start_matches([' ', '-']))
}

/// Whether `s` (case-folded) starts with an age in years and a sex
/// ([`SEX_WORDS`]): `94-årig mann`, `3-årige kvinne`.
fn age_and_sex_at(s: &str) -> bool {
    after_age(s)
        .and_then(|a| a.strip_prefix("årig ").or_else(|| a.strip_prefix("årige ")))
        .is_some_and(|rest| SEX_WORDS.iter().any(|w| rest.starts_with(w)))
}

/// How sure an age at the start of `s` (case-folded: `34 år`, `70-årig`)
/// makes a name; `None` when `s` starts with none. [`Strength::Aged`] when
/// the age ends its phrase (`34 år)`, `34 år,`, `34 år gammel`),
/// [`Strength::Capitalised`] when more follows (`10 år siden`, `3 år
/// uendret`: a duration as often).
fn aged(s: &str) -> Option<Strength> {
    let rest = after_age(s)?.strip_prefix("år")?;
    let ends = rest.is_empty()
        || rest.starts_with([')', ',', '.', ';', '\n'])
        || rest.starts_with(" gammel")
        || rest.starts_with(" gml")
        || rest.starts_with(" gamal");
    Some(if ends {
        Strength::Aged
    } else {
        Strength::Capitalised
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deid::gazetteer::{ExtraLists, Gazetteer};
    use crate::deid::text::{fold_case, words_and_mode};

    /// The words of `t` that cues mark.
    fn marked(t: &str) -> Vec<String> {
        let gaz = Gazetteer::build(&ExtraLists::default());
        let lower = fold_case(t);
        let (ws, mode) = words_and_mode(t);
        let infos: Vec<WordInfo> = ws
            .iter()
            .map(|w| gaz.info(&lower[w.start..w.end]))
            .collect();
        cued_names(&lower, &ws, &infos, mode, |_| false)
            .iter()
            .zip(&ws)
            .filter(|(m, _)| **m)
            .map(|(_, w)| t[w.start..w.end].to_string())
            .collect()
    }

    /// An initial and its dot before a cued name are part of it; not a
    /// unit's letter, nor a capital before a small word in an ordinary
    /// note.
    #[test]
    fn initials_before_a_cued_name() {
        assert_eq!(
            marked("Epikrise\nZ. PATEL, TURNUSLEGE, FØDEAVDELINGEN"),
            ["Z", "PATEL"]
        );
        assert_eq!(
            marked("Notat skrevet.\nZ. Patel, turnuslege"),
            ["Z", "Patel"]
        );
        assert_eq!(
            marked("TPK 119 x10^9/L. Patel, turnuslege, informert."),
            ["Patel"]
        );
    }

    #[test]
    fn identities_and_fields_mark_names_in_any_case() {
        assert_eq!(
            marked("Epikrise\ntorstein meyer – 26905504885 – Storgata 1"),
            ["torstein", "meyer"]
        );
        assert_eq!(
            marked("Gjelder: aya løland-aasheim, født 27.10.1987"),
            ["aya", "løland", "aasheim"]
        );
        assert_eq!(marked("Pas.: LYDIA RAKVÅG, 74 år."), ["LYDIA", "RAKVÅG"]);
        assert_eq!(
            marked("Jeg henviser Yasir Nilsson (13819546732) med"),
            ["Yasir", "Nilsson"]
        );
        assert_eq!(
            marked("Operasjon ved Paweł Korhonen (LIS-lege), HPR 123"),
            ["Paweł", "Korhonen"]
        );
        assert_eq!(
            marked("Takk for at dere ser på Tom Tesfamariam, 70-årig mann"),
            ["Tom", "Tesfamariam"]
        );
        assert_eq!(marked("Anamnese: fritz forteller om smerter."), ["fritz"]);
        // After a title and its colon: a name in capitals or in a
        // one-case note.
        assert_eq!(
            marked("ANSVARLIG LEGE: GIULIA BEGIĆ. KONTAKT: 264 72 357."),
            ["GIULIA", "BEGIĆ"]
        );
        assert_eq!(
            marked("Ansvarlig lege: Giulia Begić. Fastlege: ukjent."),
            ["Giulia", "Begić"]
        );
        assert_eq!(
            marked("operatør: mihai begić\nanestesi: generell anestesi uten komplikasjoner."),
            ["mihai", "begić"]
        );
        for heading in [
            "Ortoped: Konservativ behandling.",
            "LEGE: SEPONERT ALBYL.",
            "Fam: Astma, allergi hos mor.",
            "Assistent: Ingen.",
        ] {
            assert!(marked(heading).is_empty(), "{heading}");
        }
        // A relation or role of the patient after `er pasientens`.
        assert_eq!(
            marked("Sigrún Jónsdóttir er pasientens kontaktperson."),
            ["Sigrún", "Jónsdóttir"]
        );
        assert!(marked("Hjemmetjenesten er pasientens kontaktperson.").is_empty());
        // A listed name keeps its cue whatever its ending; an unlisted
        // one shaped like a common word needs a capital inside a sentence.
        assert_eq!(marked("Helene forteller om smerter."), ["Helene"]);
        assert_eq!(
            marked("Han og Sørbakkene forteller om det."),
            ["Sørbakkene"]
        );
        assert_eq!(marked("henvisning\nzeynep forteller om kvalme"), ["zeynep"]);
        assert_eq!(marked("Pereiras sambuar fortel at"), ["Pereiras"]);
        assert_eq!(
            marked("Pas. sov godt i natt.\nsign. gurpreet korhonen"),
            ["gurpreet", "korhonen"]
        );
    }

    #[test]
    fn appositions_and_press_ages_mark_capitalised_names() {
        assert_eq!(
            marked("Eirik Vangsnes, lege i spesialisering, HPR-nr. 9144021"),
            ["Eirik", "Vangsnes"]
        );
        assert_eq!(
            marked("Samtale med Amadou Sanogo, pasientens bror, i dag."),
            ["Amadou", "Sanogo"]
        );
        assert_eq!(
            marked("og Gunstein Seltveit, leiar i arbeidsnemnda."),
            ["Gunstein", "Seltveit"]
        );
        assert_eq!(marked("Det er Bulat Atabajev (52)."), ["Bulat", "Atabajev"]);
        // An age and a sex: a lower-case name of two words, not an adjective.
        assert_eq!(
            marked("Takk for at dere ser på thorbjørn edgar woll, 94-årig mann med"),
            ["thorbjørn", "edgar", "woll"]
        );
        assert!(marked("Vi ser en blid og samarbeidende, 45-årig mann.").is_empty());
        assert_eq!(
            marked("Gradvis verre. randi furuheim er en 94-årig kvinne som"),
            ["randi", "furuheim"]
        );
        assert!(marked("Pasienten er en 94-årig kvinne som").is_empty());
        assert!(marked("Vi ser en blid samarbeidende, 45-årig mann.").is_empty());
        // An age: a lower-case name of two words or more that opens with a
        // listed given name; not an ordinary word, not one word alone.
        assert_eq!(
            marked("Aktuelt: kamilla vedå (67 år) kommer til kontroll."),
            ["kamilla", "vedå"]
        );
        assert_eq!(
            marked("Aktuelt: kamilla vedå, 67 år gamal, kjem til kontroll."),
            ["kamilla", "vedå"]
        );
        assert_eq!(marked("Kari Bruun, 38 år, kom."), ["Kari", "Bruun"]);
        for t in [
            "Innlagt pasient (67 år) med feber.",
            "Vi så kari (8 år) i dag.",
            "Ble sett av vedå kamilla (67 år) i dag.",
            "Vi har fulgt hans hypertensjon, 10 år nå.",
            "Samtale med hans samboar (52 år) i dag.",
            "Pigmentflekk på iris dxt, 3 år uendret.",
        ] {
            assert!(marked(t).is_empty(), "{t}: {:?}", marked(t));
        }
        // A hyphenated role, a role ending the note, in any case.
        assert_eq!(
            marked("paweł karimi, lis-lege, urologisk avdeling"),
            ["paweł", "karimi"]
        );
        assert_eq!(
            marked("pasienten sov godt.\nmed vennlig hilsen giulia schmidt, overlege"),
            ["giulia", "schmidt"]
        );
        // A dose, a lower-case word, a role that goes on as a sentence.
        for t in [
            "Fikk Paracet (500) i går.",
            "Ringte mora, pasientens søster, i går.",
            "Kontroll hos Lie, lege vurderer behovet.",
        ] {
            assert!(marked(t).is_empty(), "{t}: {:?}", marked(t));
        }
    }

    #[test]
    fn no_cue_no_name() {
        for t in [
            "Gjelder: smerter i kneet over tid",
            "Gjelder: hofteprotese venstre side",
            "Hun forteller om smerter, 45 år gammel",
            "Behandlingen ble diskutert med kone per telefon (98670980).",
            "Kontroll hos fastlege, 3 uker.",
            "Pasienten forteller at hun sov godt.",
            "Marit har fått informasjon, og familien ønskjer at ho skal",
            // Speech verbs after adverbs, common nouns and places.
            "Jeg håper du virkelig forteller det til legen.",
            "Foreldrene forteller om feber. Legane seier at det går bra.",
            "Egentlig sier hun nei. Heldigvis forteller hun om bedring.",
            "Amerikanske myndigheter sier at det er trygt.",
            "I Norge sier man det slik.",
            // A unit after a header field.
            "Fastlege: Legesenteret Øst, Strømsø",
        ] {
            assert!(marked(t).is_empty(), "{t}: {:?}", marked(t));
        }
    }
}
