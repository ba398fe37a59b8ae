//! Gazetteers: given names (with gender), surnames, places, streets and
//! health institutions, looked up word by word in one hash table (whole
//! words, on case-folded text, the longest entry first; case is judged
//! afterwards on the original so that lower-case and ALL-CAPS notes still
//! match). The same table tells what else a word is to the name context
//! rules ([`lex`]: a stop word, a title, a relation …), so every word of a
//! note costs one lookup.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::context::{
    AGENT_VERBS, DOT_TITLES, FIELDS, PLACE_PREPS, QUOTE_VERBS, RELATIONS, SPEECH_VERBS, TITLES,
    VERBS_AFTER_A_NAME, is_definite_kin, kin_words,
};
use super::data::{Gender, shipped};
use super::text::{Case, CaseMode, Gap, Word, fold_case, without_accents};

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
    /// A given name only abroad (`given_names_world.tsv`; a word no
    /// Norwegian or user list has, so never with another kind): the family
    /// name too in many countries (`Sarah Connor`).
    pub const FOREIGN: u16 = 128;
    /// A city abroad (`world_cities.tsv`; a word no other list has, with
    /// [`PLACE`]): an entry only where it stands as a city (`fra
    /// Mogadishu`, not `Boston 8`; see `Gazetteer::find`).
    pub const ABROAD: u16 = 256;
}

/// What a word is to the name context rules (bit flags of
/// [`WordInfo::lex`]).
pub mod lex {
    /// A common word that never becomes a name or place by shape alone.
    pub const STOP: u16 = 1;
    /// A title or profession before a name (`dr`, `sykepleier`).
    pub const TITLE: u16 = 2;
    /// A title written with a dot (`dr.`).
    pub const DOT_TITLE: u16 = 4;
    /// A relation before a name (`datteren`).
    pub const RELATION: u16 = 8;
    /// A verb of speaking after a name (`forteller`).
    pub const SPEECH: u16 = 16;
    /// A verb before `av`/`ved` and the person who acted (`diktert`).
    pub const AGENT: u16 = 32;
    /// A preposition before a place (`i`, `fra`).
    pub const PLACE_PREP: u16 = 64;
    /// Some case form of the word is a clinical abbreviation.
    pub const ABBREVIATION: u16 = 128;
    /// A header field whose value is a person (`Gjelder:`).
    pub const FIELD: u16 = 256;
    /// A verb that follows a person's name as its subject (`ringte`,
    /// `sydde`; [`VERBS_AFTER_A_NAME`](crate::deid::context::VERBS_AFTER_A_NAME)).
    pub const NAME_VERB: u16 = 512;
    /// A relative, partner, friend or neighbour in a definite form
    /// ([`is_definite_kin`](crate::deid::context::is_definite_kin)): also a
    /// [`RELATION`], and one that a note in one case writes its person's
    /// name after (`datteren ayaan`, `svigerdatteren parisa`).
    pub const KIN: u16 = 1024;
    /// A verb of saying that names the speaker after what was said
    /// ([`QUOTE_VERBS`](crate::deid::context::QUOTE_VERBS)).
    pub const QUOTE_VERB: u16 = 2048;
}

/// What the gazetteer knows about one case-folded word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordInfo {
    /// The single-word entry, if the word is one.
    pub entry: Option<Entry>,
    /// [`lex`] flags.
    pub lex: u16,
    /// Entries of several parts that start with this word (a range of
    /// [`Gazetteer::multi`], longest first).
    multi: (u32, u32),
}

/// FxHash (rustc's): a fast hash for the short words of the lookup table.
#[derive(Clone, Copy, Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hasher builder for [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;

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
    /// Index of its first word.
    pub word: usize,
    /// Start byte.
    pub start: usize,
    /// End byte of the entry itself.
    pub end: usize,
    /// End byte including a possessive ending (`Hansens`, `Hans'`).
    pub poss_end: usize,
    /// The entry.
    pub entry: Entry,
    /// Found only by the word's spelling without accents (`Gómez` as
    /// `gomez`); the entry is then weak.
    pub unaccented: bool,
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
    /// Every word that is an entry or has [`lex`] flags.
    words: HashMap<Box<str>, WordInfo, FxBuild>,
    /// Entries of several parts (`oslo universitetssykehus`, `anne-marie`),
    /// grouped by first word, longest first.
    multi: Vec<(Box<str>, Entry)>,
}

/// Common Norwegian words (and clinical words) that appear capitalised at
/// the start of sentences and must never become names or places by shape
/// or list alone.
pub const STOPWORDS: &[&str] = &[
    "a",
    "familien",
    "familia",
    // A child named by its role (`Barnet, Emma (5 år)`).
    "barnet",
    "gutten",
    "jenta",
    // Specialists by their field: no name part (`hos ortoped berntsen`),
    // and headings as often as titles (`Ortoped: Konservativ behandling`).
    "ortoped",
    "ortopeden",
    "kardiolog",
    "kardiologen",
    "nevrolog",
    "nevrologen",
    "onkolog",
    "onkologen",
    "urolog",
    "urologen",
    "gynekolog",
    "gynekologen",
    "revmatolog",
    "revmatologen",
    "gastroenterolog",
    "endokrinolog",
    "hematolog",
    "nefrolog",
    "pediater",
    "pediateren",
    "geriater",
    "geriateren",
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
    "ein",
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
    "hjå",
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
    "elles",
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
    "hjå",
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
    // Adverbs and pronouns that open sentences before a verb of speaking
    // (`Samtidig sier hun`, `Begge forteller`, `Me seier`).
    "samtidig",
    "likevel",
    "begge",
    "kanskje",
    "faktisk",
    "nemlig",
    "imidlertid",
    "fortsatt",
    "fremdeles",
    "framleis",
    "igjen",
    "ofte",
    "alltid",
    "aldri",
    "stadig",
    "nettopp",
    "enda",
    "ennå",
    "kun",
    "slik",
    "først",
    "senere",
    "seinare",
    "dermed",
    "dessverre",
    "uansett",
    "altså",
    "hvor",
    "hvorfor",
    "hvordan",
    "hvem",
    "kva",
    "kvifor",
    "korleis",
    "kven",
    "disse",
    "desse",
    "ingenting",
    "noko",
    "nokon",
    "me",
    "sjølv",
    // Verbs and words that follow a name in upper-case notes (`OPERATØR
    // R. HOLE OVERTOK`, `LEGE I SPESIALISERING, HPR`).
    "overtok",
    "overtar",
    "henviser",
    "tilviser",
    "vurderte",
    "vurderer",
    "undersøkte",
    "opererte",
    "skriver",
    "skrev",
    "spesialisering",
    "pga",
    "ifølge",
    // nynorsk `now` (`No understrekar ho …`)
    "no",
    "kjent",
    "kjend",
    // Verbs opening the lines of a plan (`Starte Ventoline`, `Seponere
    // Marevan`).
    "starte",
    "startes",
    "seponere",
    "seponeres",
    "øke",
    "økes",
    "redusere",
    "reduseres",
    "fortsette",
    "fortsetter",
    "avslutte",
    "avsluttes",
    "trappe",
    "trappes",
    // Countries and continents: no identifiers, and never a name or a
    // possessive of one (`Hellas` is not the surname Hella's).
    "norge",
    "noreg",
    "sverige",
    "danmark",
    "finland",
    "island",
    "tyskland",
    "frankrike",
    "spania",
    "portugal",
    "italia",
    "hellas",
    "tyrkia",
    "polen",
    "russland",
    "ukraina",
    "litauen",
    "latvia",
    "estland",
    "nederland",
    "belgia",
    "sveits",
    "østerrike",
    "ungarn",
    "romania",
    "bulgaria",
    "serbia",
    "kroatia",
    "bosnia",
    "albania",
    "england",
    "skottland",
    "irland",
    "storbritannia",
    "usa",
    "canada",
    "mexico",
    "brasil",
    "argentina",
    "chile",
    "colombia",
    "kina",
    "japan",
    "korea",
    "india",
    "pakistan",
    "afghanistan",
    "iran",
    "irak",
    "syria",
    "libanon",
    "palestina",
    "egypt",
    "marokko",
    "tunisia",
    "algerie",
    "libya",
    "somalia",
    "eritrea",
    "etiopia",
    "sudan",
    "kenya",
    "nigeria",
    "ghana",
    "thailand",
    "vietnam",
    "filippinene",
    "indonesia",
    "australia",
    "europa",
    "asia",
    "afrika",
    "amerika",
    "rwanda",
    "burundi",
    "kongo",
    "uganda",
    "tanzania",
    "gambia",
    "kamerun",
    "angola",
    "zimbabwe",
    "jemen",
    "kuwait",
    "qatar",
    "bangladesh",
    "nepal",
    "myanmar",
    "burma",
    "tibet",
    "mongolia",
    "kosovo",
    "tsjekkia",
    "slovakia",
    "slovenia",
    "makedonia",
    "montenegro",
    "hviterussland",
    "kviterussland",
    "tsjetsjenia",
    "kasakhstan",
    "usbekistan",
    "tadsjikistan",
    "peru",
    "bolivia",
    "ecuador",
    "venezuela",
    "cuba",
    "arabia",
];

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

/// Where a match of an entry at `start..end` of `lower` ends with its
/// possessive ending (`hansens`, `hans'`), or `None` when the entry runs on
/// into a longer word.
fn whole_word_end(lower: &str, end: usize) -> Option<usize> {
    let after_str = &lower[end..];
    let mut after = after_str.chars();
    let next = after.next();
    if !is_word_char(next) {
        if let Some(q @ ('\'' | '’')) = next {
            let after_quote = &after_str[q.len_utf8()..];
            if after_quote.starts_with('s') && !is_word_char(after_quote[1..].chars().next()) {
                return Some(end + q.len_utf8() + 1);
            }
        }
        return Some(end);
    }
    (next == Some('s') && !is_word_char(after.next())).then_some(end + 1)
}

/// Words after a city's name that make it the name of a score or a
/// classification (`Los Angeles grad B`, `Tokyo kriteriene`).
const CLASSIFICATION_WORDS: &[&str] = &[
    "grad",
    "grade",
    "klasse",
    "stadium",
    "score",
    "skala",
    "kriterier",
    "kriteriene",
    "kriteria",
    "kriteriane",
    "klassifikasjon",
    "klassifikasjonen",
    "protokoll",
    "protokollen",
    "syndrom",
    "syndromet",
    "sykdom",
    "sjukdom",
    "disease",
    "positiv",
    "negativ",
    "kromosom",
    "kromosomet",
    "coma",
    "guidelines",
    "heart",
    "ulcus",
    "triage",
    "rød",
    "oransje",
    "gul",
    "grønn",
    "blå",
];

/// Whether `word` (case-folded) is a grade's code, a letter and a digit
/// (`Vancouver B2`, `Denver c3`), which no place takes after it.
fn grade_code(word: &str) -> bool {
    let b = word.as_bytes();
    (2..=3).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// Header fields a place follows after a colon (`Fødested: Mogadishu`).
const PLACE_FIELDS: &[&str] = &[
    "fødested",
    "fødestad",
    "bosted",
    "bustad",
    "hjemsted",
    "heimstad",
    "hjemby",
    "heimby",
    "hjemkommune",
    "oppvekststed",
];

/// Endings of the head word of a hospital or clinic, at home or abroad,
/// that a city may follow after a comma (`abroad_placed`).
const HOSPITAL_TAILS: &[&str] = &[
    "hospital",
    "hospitalet",
    "clinic",
    "klinik",
    "kliniken",
    "klinikken",
    "klinikum",
    "krankenhaus",
    "sjukhus",
    "sjukhuset",
    "sykehus",
    "sykehuset",
    "sjukehus",
    "sjukehuset",
    "sygehus",
    "sygehuset",
    "lasarett",
    "lasarettet",
];

/// Whether a city abroad (`kind::ABROAD`) at word `k`, ending at byte
/// `end`, stands as a city: capitalised (not in capitals: `ICA`; any case
/// in a one-case note, `one_case`), right after a place preposition or
/// verb (`fra Mogadishu`, `født … i Lahore`), a place field and its
/// colon (`Fødested: Mogadishu`) or a hospital and a comma (`Mayo Clinic,
/// Rochester`), and not the head of a compound
/// (`Atlanta-kriteriene`) nor followed by a number, a roman numeral or a
/// grade (`Boston 8`, `Bethesda IV`, `Los Angeles grad B`): those are
/// scores and classifications named after cities. A city joined by a
/// comma, `og` or `eller` to the place before it, which ends at byte
/// `place_before.0` (a city abroad when `place_before.1`), stands as one
/// too (`i Kabul og Kandahar`).
fn abroad_placed(
    lower: &str,
    ws: &[Word],
    infos: &[WordInfo],
    k: usize,
    end: usize,
    place_before: Option<(usize, bool)>,
    one_case: bool,
) -> bool {
    let abroad_before = place_before.is_some_and(|p| p.1);
    let place_before = place_before.map(|p| p.0);
    let w = &ws[k];
    if k == 0 || !(w.case == Case::Title || (one_case && w.case != Case::Other)) {
        return false;
    }
    let before = &ws[k - 1];
    // White space, also a line break, or an opening bracket or quote
    // (`bor i\nKabul`, `(fra Kabul)`, `i «Lahore»`).
    let between = lower[before.end..w.start].trim_end_matches(['(', '«', '"']);
    let after_prep = between.chars().all(char::is_whitespace)
        && !between.is_empty()
        && infos[k - 1].lex & lex::PLACE_PREP != 0;
    let after_field =
        PLACE_FIELDS.contains(&&lower[before.start..before.end]) && between.trim() == ":";
    let spaced = |a: usize, b: usize| lower[a..b].chars().all(|c| c == ' ');
    let conjunction = place_before.is_some_and(|p| {
        k >= 2
            && matches!(&lower[before.start..before.end], "og" | "eller")
            && p == ws[k - 2].end
            && p < before.start
            && spaced(p, before.start)
            && before.end < w.start
            && spaced(before.end, w.start)
    });
    let comma = place_before.is_some_and(|p| {
        p == before.end
            && lower[p..w.start]
                .strip_prefix(',')
                .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c == ' '))
    });
    // A hospital's or a clinic's head word, a comma and the city
    // (`Mayo Clinic, Rochester`, `Akademiska sjukhuset, Uppsala`).
    let after_unit = lower[before.end..w.start] == *", "
        && HOSPITAL_TAILS
            .iter()
            .any(|t| lower[before.start..before.end].ends_with(t));
    if !(after_prep || after_field || conjunction || comma || after_unit) {
        return false;
    }
    let Some(next) = ws[k..].iter().find(|n| n.start >= end) else {
        return true;
    };
    let word = &lower[next.start..next.end];
    // `Bethesda IV`; in a one-case note `i` and `vi` are words (`født i
    // asmara i 1985`).
    let roman = word.chars().all(|c| matches!(c, 'i' | 'v' | 'x'))
        && if one_case {
            !matches!(word, "i" | "vi")
        } else {
            next.case == Case::Upper
        };
    // A year or a date may follow a city (`fra Kabul 2015`, `til Manila
    // 12. mars`); a score is a small number (`Boston 8`).
    let year = word.len() == 4 && (word.starts_with("19") || word.starts_with("20"));
    // (Not a score that ends the sentence: `vurdert til Boston 8.`)
    let date = next.numeric
        && lower[next.end..].strip_prefix('.').is_some_and(|r| {
            r.starts_with(|c: char| c.is_ascii_digit())
                || r.trim_start()
                    .split(|c: char| !c.is_alphabetic())
                    .next()
                    .is_some_and(super::dates::is_calendar_word)
        });
    // Joined by a comma alone to a Norwegian place, a city ends its phrase
    // or a list goes on (`i Kabul, Herat og Kandahar`); `i Bergen, Uppsala
    // modellen` and `fra Oslo, Madison er navnet` name no city. After a city
    // abroad it is one (`fra Kabul, Herat i 2010`).
    let comma_only = comma && !(after_prep || after_field || conjunction);
    let listed = !comma_only || abroad_before || matches!(word, "og" | "eller") || year || date;
    match next.gap {
        Gap::Hyphen => false,
        Gap::Space => {
            listed
                && !((next.numeric && !year && !date)
                    || roman
                    || grade_code(word)
                    || CLASSIFICATION_WORDS.contains(&word))
        }
        _ => true,
    }
}

impl Gazetteer {
    /// Builds the gazetteer from the shipped lists plus `extra`.
    pub fn build(extra: &ExtraLists) -> Gazetteer {
        let s = shipped();
        let stop: HashSet<&str> = STOPWORDS.iter().copied().collect();
        let allow: HashSet<String> = extra.allow.iter().map(|w| fold_case(w.trim())).collect();
        let mut map: HashMap<String, Entry> = HashMap::new();
        let mut add = |name: &str, flags: u16, gender: Gender| {
            let key = fold_case(name.trim());
            if key.chars().count() < 2 || allow.contains(&key) {
                return;
            }
            // A name or city from abroad only where no Norwegian or user
            // list has the word (`Iqbal`, `Rud`: family names here; `Hyen`:
            // a place; `Lima`: a family name).
            if flags & (kind::FOREIGN | kind::ABROAD) != 0 && map.contains_key(&key) {
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
        for n in s.surnames.iter().chain(&s.word_surnames) {
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
        for (n, g) in &s.given_world {
            add(n, kind::GIVEN | kind::FOREIGN, *g);
        }
        for n in &s.world_cities {
            add(n, kind::PLACE | kind::ABROAD, Gender::Unknown);
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
        let mut words: HashMap<Box<str>, WordInfo, FxBuild> = HashMap::default();
        let mut multi: Vec<(Box<str>, Entry)> = Vec::new();
        for (k, e) in keys {
            if k.chars().all(char::is_alphanumeric) {
                words.entry(k.into()).or_default().entry = Some(e);
            } else {
                multi.push((k.into(), e));
            }
        }
        let first_word = |k: &str| -> String {
            k.split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_string()
        };
        multi.sort_by(|a, b| {
            first_word(&a.0)
                .cmp(&first_word(&b.0))
                .then(b.0.len().cmp(&a.0.len()))
                .then(a.0.cmp(&b.0))
        });
        let mut i = 0;
        while i < multi.len() {
            let first = first_word(&multi[i].0);
            let mut j = i;
            while j < multi.len() && first_word(&multi[j].0) == first {
                j += 1;
            }
            words.entry(first.into()).or_default().multi = (i as u32, j as u32);
            i = j;
        }
        let lists: [(&[&str], u16); 10] = [
            (STOPWORDS, lex::STOP),
            (FIELDS, lex::FIELD),
            (TITLES, lex::TITLE),
            (DOT_TITLES, lex::DOT_TITLE),
            (RELATIONS, lex::RELATION),
            (SPEECH_VERBS, lex::SPEECH),
            (QUOTE_VERBS, lex::QUOTE_VERB),
            (AGENT_VERBS, lex::AGENT),
            (PLACE_PREPS, lex::PLACE_PREP),
            (VERBS_AFTER_A_NAME, lex::NAME_VERB),
        ];
        for (list, flag) in lists {
            for w in list {
                words.entry(fold_case(w).into()).or_default().lex |= flag;
            }
        }
        for w in kin_words() {
            let flags = if is_definite_kin(&w) {
                lex::RELATION | lex::KIN
            } else {
                lex::RELATION
            };
            words.entry(w.into()).or_default().lex |= flags;
        }
        for a in &s.abbreviations {
            words.entry(fold_case(a).into()).or_default().lex |= lex::ABBREVIATION;
        }
        Gazetteer { words, multi }
    }

    /// What the gazetteer knows about one case-folded word.
    pub fn info(&self, folded: &str) -> WordInfo {
        self.words.get(folded).copied().unwrap_or_default()
    }

    /// Looks up one case-folded word's entry.
    pub fn lookup(&self, folded: &str) -> Option<Entry> {
        self.info(folded).entry
    }

    /// Looks up every word of a note: `infos[k]` for word `k` of `ws`
    /// (words of `lower`, the case-folded note), and in `out` every
    /// whole-word entry, longest first, with possessive endings
    /// (`Hansens`). An entry's words do not start other entries. `mode`
    /// is the note's case style.
    pub fn find(
        &self,
        lower: &str,
        ws: &[Word],
        mode: CaseMode,
        infos: &mut Vec<WordInfo>,
        out: &mut Vec<GazHit>,
    ) {
        let one_case = mode != CaseMode::Normal;
        infos.clear();
        infos.reserve(ws.len());
        let mut taken_to = 0;
        for (k, w) in ws.iter().enumerate() {
            let word = &lower[w.start..w.end];
            let info = self.info(word);
            infos.push(info);
            if w.start < taken_to {
                continue;
            }
            // The longest entry that starts here decides: when it runs on
            // into a longer word (`kristiansund n` in `Kristiansund
            // Njordet`), the word has no entry.
            let (a, b) = info.multi;
            // A place just before, which a comma or `og` may join this word to.
            let place_before = out
                .last()
                .filter(|h| {
                    h.entry.is(kind::PLACE) && !h.entry.is(kind::WEAK | kind::GIVEN | kind::SURNAME)
                })
                .map(|h| (h.end, h.entry.is(kind::ABROAD)));
            // A city abroad counts only where it is placed as one
            // (`abroad_placed`); elsewhere it must not hide the names in it
            // (`Yves Saint-Laurent`, `Ana García`).
            let placed = |e: &Entry, end: usize| {
                !e.is(kind::ABROAD)
                    || abroad_placed(lower, ws, infos, k, end, place_before, one_case)
            };
            let longest = self.multi[a as usize..b as usize].iter().find(|(key, e)| {
                lower[w.start..].starts_with(&**key) && placed(e, w.start + key.len())
            });
            let whole =
                |e: Entry| whole_word_end(lower, w.end).map(|poss_end| (w.end, poss_end, e));
            // The entry of `word` (this word, or its spelling without
            // accents), or else that of its stem before a possessive `s`
            // (`hansens`; not a common word's: `Hellas`).
            let listed = |own: Option<Entry>, word: &str| match own.filter(|e| placed(e, w.end)) {
                Some(e) => whole(e),
                None => word
                    .strip_suffix('s')
                    .filter(|s| !s.is_empty())
                    .and_then(|stem| self.lookup(stem))
                    .filter(|e| placed(e, w.end))
                    .map(|e| (w.end - 1, w.end, e)),
            };
            let mut unaccented = false;
            let hit = match longest {
                Some((key, e)) => {
                    let end = w.start + key.len();
                    whole_word_end(lower, end).map(|poss_end| (end, poss_end, *e))
                }
                None if info.lex & lex::STOP != 0 => {
                    info.entry.filter(|e| placed(e, w.end)).and_then(whole)
                }
                // `Nguyễn`, `Trần`, `Rodríguez'`: the entry of the word
                // without its accents, or of its stem; such a word may also
                // be a word of another language (`Dragé`, `Müsli`), so that
                // entry is weak.
                None => listed(info.entry, word).or_else(|| {
                    let plain = without_accents(word)?;
                    let (end, poss_end, e) = listed(self.lookup(&plain), &plain)?;
                    let weak = Entry {
                        flags: e.flags | kind::WEAK,
                        ..e
                    };
                    unaccented = true;
                    Some((end, poss_end, weak))
                }),
            };
            if let Some((end, poss_end, entry)) = hit {
                out.push(GazHit {
                    word: k,
                    start: w.start,
                    end,
                    poss_end,
                    entry,
                    unaccented,
                });
                taken_to = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names written with accents the lists lack are found by their
    /// unaccented entry; Norwegian letters stay as they are.
    #[test]
    fn accents_fold_to_the_listed_name() {
        assert_eq!(without_accents("nguyễn").as_deref(), Some("nguyen"));
        assert_eq!(without_accents("trần").as_deref(), Some("tran"));
        assert_eq!(without_accents("łukasz").as_deref(), Some("lukasz"));
        assert_eq!(without_accents("bjørnstad"), None);
        assert_eq!(without_accents("åsmund"), None);
        assert_eq!(without_accents("hansen"), None);
        let g = Gazetteer::build(&ExtraLists::default());
        assert_eq!(hits(&g, "Nguyễn Thị Lan kom"), ["Nguyễn", "Thị", "Lan"]);
        // The listed spelling wins; an unknown accented word stays unknown.
        assert_eq!(hits(&g, "Åsmund Ødegård"), ["Åsmund", "Ødegård"]);
        assert!(hits(&g, "Crème fraîche").is_empty());
    }

    fn hits(g: &Gazetteer, t: &str) -> Vec<String> {
        let lower = fold_case(t);
        let ws = crate::deid::text::words(t);
        let mut out = Vec::new();
        g.find(&lower, &ws, CaseMode::Normal, &mut Vec::new(), &mut out);
        out.iter()
            .map(|h| t[h.start..h.poss_end].to_string())
            .collect()
    }

    #[test]
    fn whole_words_possessives_and_case_folding() {
        let g = Gazetteer::build(&ExtraLists::default());
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
        let g = Gazetteer::build(&extra);
        assert!(g.lookup("zyxwvut").is_some());
        assert!(g.lookup("kari").is_none());
    }
}
