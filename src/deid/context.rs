//! Context words: titles and relations before names, prepositions before
//! places, and medical head nouns after eponyms (`Bechterews sykdom`).

/// Titles and professions that precede a (usually family) name. The
/// general doctors' and nurses' titles come first, up to
/// [`FIRST_OTHER_TITLE`].
pub const TITLES: &[&str] = &[
    "dr",
    "doktor",
    "lege",
    "legen",
    "overlege",
    "overlegen",
    "lis",
    "lis1",
    "lis2",
    "lis3",
    "turnuslege",
    "assistentlege",
    "fastlege",
    "fastlegen",
    "sykepleier",
    "sykepleieren",
    "sjukepleiar",
    "spl",
    "hjelpepleier",
    "helsefagarbeider",
    // Doctors named by their field or place of work; the definite forms
    // (`barnelegen`) end in `legen`, a title of their own.
    "barnelege",
    "kommunelege",
    "sykehjemslege",
    "sjukeheimslege",
    "tilsynslege",
    "legevaktslege",
    "bakvaktslege",
    "bedriftslege",
    "allmennlege",
    "skolelege",
    "øyelege",
    "hudlege",
    "lungelege",
    "hjertelege",
    "infeksjonslege",
    "tannlege",
    "tannlegen",
    "tannpleier",
    "kiropraktor",
    "kiropraktoren",
    "optiker",
    "audiograf",
    "radiograf",
    "bioingeniør",
    "fysioterapeut",
    "fysio",
    "ergoterapeut",
    "ergo",
    "psykolog",
    "psykologen",
    "jordmor",
    "jordmora",
    "kirurg",
    "kirurgen",
    "anestesilege",
    "radiolog",
    "sosionom",
    "prest",
    "fru",
    "frk",
    "frøken",
    "hr",
    "herr",
    "professor",
    "prof",
    "konsultasjon",
    "behandler",
    "behandleren",
    "kontaktlege",
    "saksbehandler",
    "sign",
    "signert",
    "ansvarlig",
    "henvisende",
    "rekvirent",
    "operatør",
    "operatøren",
    "operator",
    "assistent",
    "assistenten",
    "v",
    // Other health and care staff.
    "tolk",
    "tolken",
    "helsesøster",
    "helsesyster",
    "helsesykepleier",
    "vernepleier",
    "miljøterapeut",
    "miljøarbeider",
    "sosialarbeider",
    "barnevernspedagog",
    "psykiater",
    "logoped",
    "farmasøyt",
    "ernæringsfysiolog",
    "sekretær",
    "sekretæren",
    "koordinator",
    "koordinatoren",
    "augelege",
    "veterinær",
    "veterinæren",
    "pedagog",
    "pedagogen",
    "styreren",
    "støttekontakt",
    "støttekontakten",
    "avlaster",
    "avlastar",
    // Parties named in forms, claims and statements (`Observanden Robin
    // Kvinge`; those that are also verbs, `søker`, `klager`, `trener`, as
    // header fields, [`FIELDS`]).
    "søkeren",
    "søkjaren",
    "observand",
    "observanden",
    "skadelidte",
    "skadelidne",
    "elev",
    "eleven",
    "arbeidstaker",
    "arbeidstakeren",
    "arbeidstakar",
    "klageren",
    "klagaren",
    "mottakeren",
    "asylsøker",
    "asylsøkeren",
    "asylsøkjar",
    "innsatte",
    "domfelte",
    // Shifts and duties (`Nattevakt Silje Hovland`, `vakthavende Berg`).
    "nattevakt",
    "nattevakta",
    "nattevakten",
    "dagvakt",
    "kveldsvakt",
    "vakthavende",
    "vakthavande",
    "ansvarshavende",
    "primærkontakt",
    "primærkontakten",
    "veileder",
    "rettleiar",
    // A family name follows (`familien Al-Sayed`, `ekteparet Hårklau`).
    "familien",
    "familia",
    "ekteparet",
    // Roles outside the clinic that stand before a name (`Advokat Ruud`,
    // `Ordfører Vik`, `Biskop Kvarme`, `Vaktmester Rune`, `Trenar Tor`).
    "advokat",
    "advokaten",
    "dommer",
    "dommar",
    "politimester",
    "lensmann",
    "ordfører",
    "ordførar",
    "rådmann",
    "biskop",
    "organist",
    "diakon",
    "kapellan",
    "imam",
    "vaktmester",
    "vaktmesteren",
    "vaktmeister",
    "treneren",
    "trenaren",
    "sjåfør",
    "sjåføren",
    "skipper",
    "skipperen",
    "formann",
    "formannen",
    "statsminister",
    "statsråd",
    "minister",
    "direktør",
    "direktøren",
    "rektor",
    "lærer",
    "lærar",
    "læreren",
    "læraren",
    "kontaktlærer",
    "kontaktlæreren",
    "kontaktlærar",
    "kontaktlæraren",
    "president",
    "presidenten",
    "senator",
    "guvernør",
    "journalist",
    "journalisten",
    "journalistene",
    "forfatter",
    "forfatteren",
    "forfattar",
    "forfattaren",
    "redaktør",
    "redaktøren",
    "kommentator",
    "proband",
    "probanden",
    "deltaker",
    "deltakeren",
    "deltakar",
    "deltakaren",
    "forsker",
    "forskeren",
    "forskar",
    "forskaren",
    "konsul",
    "ambassadør",
    "ambassadøren",
    "kaptein",
    "kapteinen",
    "oberst",
    "løytnant",
    "sersjant",
    "admiral",
    "fotograf",
    "fotografen",
    "konservator",
    "kunstner",
    "kunstneren",
    "kunstnar",
    "kunstnaren",
    "artist",
    "artisten",
    "skuespiller",
    "skodespelar",
    "musiker",
    "musikar",
    "stylist",
    "bartender",
    "kirketjener",
    "kyrkjetenar",
    // Compounds end in these too (`sosialøkonom`, `avdelingsleder`,
    // `seksjonssjefen`, `psykoterapeut`).
    "økonom",
    "økonomen",
    "leder",
    "lederen",
    "leiar",
    "leiaren",
    "sjef",
    "sjefen",
    "rådgiver",
    "rådgjevar",
    "konsulent",
    "terapeut",
];

/// Header fields whose value is a person (`Gjelder: Kari Hansen`,
/// `Pas.: …`, `Søker: …`); roles that are also verbs are here rather than
/// titles (`Søker Nils Grønn`, but `søker Husbanken`): they are no part
/// of a name, and cue one only before a colon.
pub const FIELDS: &[&str] = &[
    "søker",
    "søkjar",
    "klager",
    "klagar",
    "trener",
    "trenar",
    "gjelder",
    "gjeld",
    "pas",
    "pasient",
    "pt",
    "navn",
    "namn",
    "vedr",
    "vedrørende",
];

/// Roles that only a person fills, as header fields before a colon
/// (`Operatør: Kari Hansen`).
pub const PERSON_FIELDS: &[&str] = &["operatør", "operator", "assistent", "assistentlege"];

/// Verbs a nickname follows (`kalt Kalle`, `kalles «Totto»`).
pub const NICKNAME_VERBS: &[&str] = &["kalt", "kalla", "kalles", "kallast"];

/// Nouns a nickname follows (`Kallenavn: Putte`).
pub const NICKNAME_NOUNS: &[&str] = &["kallenavn", "kallenamn", "tilnavn", "økenavn"];

/// Words before `lege` that make it a field for the doctor's name
/// (`Ansvarlig lege:`, `Henvisende lege:`).
pub const DOCTOR_QUALIFIERS: &[&str] = &[
    "ansvarlig",
    "ansvarleg",
    "behandlende",
    "behandlande",
    "henvisende",
    "tilvisande",
    "innleggende",
    "innleggande",
    "utskrivende",
    "utskrivande",
];

/// The first title in [`TITLES`] after the doctors' and nurses' ones.
pub const FIRST_OTHER_TITLE: &str = "hjelpepleier";

/// Whether `w` (case-folded) is a title that an unlisted family name
/// follows in a one-case note (`dr. gómez`, `overlege jiménez`,
/// `barnelege petrov`): a doctor's or nurse's title, a compound ending in
/// `lege` or `sykepleier`, a specialist's title, or an abbreviation
/// (`overl.`, `hjspl.`, `prof.`); not `pas.` nor `v.`, after which
/// findings and places stand.
pub fn is_naming_title(w: &str) -> bool {
    TITLES
        .iter()
        .take_while(|t| **t != FIRST_OTHER_TITLE)
        .any(|t| *t == w)
        || is_or_ends_in(&["lege", "legen", "sykepleier", "sjukepleiar"], w, 2)
        || matches!(
            w,
            "overl"
                | "hjspl"
                | "prof"
                | "professor"
                | "kirurg"
                | "kirurgen"
                | "psykiater"
                | "psykiateren"
                | "radiolog"
                | "radiologen"
        )
}

/// Endings of a doctor's field and of what was done, never of a family
/// name (`overlege ortopedi`, `lege nevrologi`, `turnuslege suturerte`).
pub const FIELD_AND_DEED_ENDINGS: &[&str] = &["logi", "pedi", "iatri", "kirurgi", "erte", "ert"];

/// Abbreviated titles written with a dot (`dr. Hansen`).
pub const DOT_TITLES: &[&str] = &[
    "dr", "spl", "hr", "fr", "frk", "prof", "pas", "pt", "sign", "v", "ass", "overl", "hjspl",
    "fam",
];

/// Verbs that move a patient between places of care: a listed hospital
/// right after one is placed even without its preposition (`Overført
/// UNN`, `Henvist SUS`).
pub const TRANSFER_VERBS: &[&str] = &[
    "innlagt",
    "innlagd",
    "innlegges",
    "overført",
    "overføres",
    "overflyttet",
    "overflyttes",
    "henvist",
    "henvises",
    "tilvist",
    "sendt",
    "sendes",
    "utskrevet",
    "utskriven",
    "utskrives",
    "transportert",
    "fraktet",
];

/// Verbs before `av`/`ved` that introduce the person who acted
/// (`diktert av Hansen`).
pub const AGENT_VERBS: &[&str] = &[
    "diktert",
    "skrevet",
    "skrive",
    "godkjent",
    "signert",
    "vurdert",
    "undersøkt",
    "sett",
    "operert",
    "tilsett",
    "tilsett",
    "henvist",
    "kontrollert",
    "behandlet",
    "behandla",
    "informert",
    "konferert",
    "gjennomgått",
    "rekvirert",
    "assistert",
    "supervisert",
    "dikta",
    "ringt",
    "kontaktet",
    "kontakta",
];

/// Words before a name that say who the person is to the patient besides
/// the kin of [`KIN`]: carers, guardians, and the words that introduce a
/// name (`heter`, `hilsen`).
pub const RELATIONS: &[&str] = &[
    "pårørende",
    "kontaktperson",
    "verge",
    "vergen",
    "hjelpeverge",
    "fullmektig",
    "heter",
    "heiter",
    "navn",
    "pasient",
    "pasienten",
    "pas",
    "pt",
    "hilsen",
    "helsing",
    "mvh",
];

/// Kin, partners, friends and neighbours: groups of a noun's forms
/// (indefinite and definite, bokmål and nynorsk) with the prefixes that
/// make compounds of them (`""` for the noun alone). [`kin_words`] writes
/// out every compound: `svigerdatteren`, `veslebror`, `morbror`,
/// `dattersønnen`, `bonusmor`, `ekssamboeren`.
pub const KIN: &[(&[&str], &[&str])] = &[
    // siblings
    (
        &[
            "bror",
            "broren",
            "søster",
            "søsteren",
            "søstera",
            "syster",
            "systera",
            "systeren",
        ],
        &[
            "", "lille", "vesle", "store", "halv", "ste", "tvilling", "bonus", "mor", "far",
        ],
    ),
    // parents and grandparents
    (
        &["mor", "moren", "mora", "far", "faren"],
        &[
            "", "ste", "foster", "bonus", "sviger", "gud", "beste", "besta", "olde", "tippolde",
            "mor", "far", "barne", "med",
        ],
    ),
    (&["pappa", "pappaen", "mamma", "mammaen", "besta"], &[""]),
    // children and grandchildren
    (
        &[
            "sønn", "sønnen", "son", "sonen", "datter", "datteren", "dattera", "dotter", "dottera",
        ],
        &[
            "", "ste", "foster", "bonus", "sviger", "gud", "sønne", "datter", "dotter",
        ],
    ),
    (
        &["barn", "barnet", "barna", "barnene"],
        &["barne", "olde", "ste", "foster", "bonus", "sviger", "gud"],
    ),
    // children and twins together (`Barna Liam og Nora`, `Tvillingene
    // Jonas og Jakob`); not one child by its sex, whose next word is as
    // often a finding (`Gutt Apgar 9/10/10`, `Jente Født ved keisersnitt`)
    (&["barna", "barnene", "tvillingene", "tvillingane"], &[""]),
    // siblings and children together (`Søstrene Vår og Linn`, `Døtrene Oda
    // og Ragnhild`, nynorsk `Borna Erle og Tobias`)
    (
        &[
            "brødrene",
            "brørne",
            "søstrene",
            "systrene",
            "sønnene",
            "sønene",
            "døtrene",
            "døtrane",
            "borna",
        ],
        &["", "halv", "ste", "bonus"],
    ),
    // partners, now and before
    (
        &[
            "kone",
            "kona",
            "konen",
            "mann",
            "mannen",
            "ektemann",
            "ektemannen",
            "ektefelle",
            "ektefellen",
            "samboer",
            "samboeren",
            "sambuar",
            "sambuaren",
            "sambo",
            "samboen",
            "kjæreste",
            "kjæresten",
            "kjærast",
            "kjærasten",
            "partner",
            "partneren",
        ],
        &["", "eks"],
    ),
    // aunts, uncles, cousins and in-laws
    (
        &["onkel", "onkelen", "tante", "tanten", "tanta"],
        &["", "grand"],
    ),
    (
        &[
            "nevø",
            "nevøen",
            "niese",
            "niesen",
            "niesa",
            "fetter",
            "fetteren",
            "kusine",
            "kusinen",
            "kusina",
            "svoger",
            "svogeren",
            "svigerinne",
            "svigerinnen",
            "svigerinna",
            "moster",
            "mosteren",
            "mostera",
            "faster",
            "fasteren",
            "fastera",
        ],
        &[""],
    ),
    // families as a whole
    (
        &[
            "forelder",
            "forelderen",
            "foreldre",
            "foreldrene",
            "foreldra",
            "foreldrane",
            "søsken",
            "søsknene",
        ],
        &["", "beste", "foster", "bonus", "sviger", "halv"],
    ),
    // friends, neighbours and colleagues
    (
        &[
            "venn",
            "vennen",
            "venninne",
            "venninnen",
            "venninna",
            "kamerat",
            "kameraten",
        ],
        &["", "beste", "lag", "klasse", "barndoms", "skole", "studie"],
    ),
    (
        &["nabo", "naboen", "kollega", "kollegaen"],
        &["", "arbeids"],
    ),
];

/// Whether a word of [`kin_words`] is a definite form (`broren`,
/// `svigerdatteren`, `mora`, `barnet`), after which a note in one case
/// writes the relative's name (`datteren ayaan`); after an indefinite one
/// a description follows as often (`bror epileptiker døde`).
pub fn is_definite_kin(w: &str) -> bool {
    (w.ends_with("en") || w.ends_with("et") || w.ends_with('a'))
        && !["pappa", "mamma", "besta", "kollega"].contains(&w)
}

/// Every word of [`KIN`]: each prefix joined to each form of its group.
pub fn kin_words() -> impl Iterator<Item = String> {
    KIN.iter().flat_map(|(forms, prefixes)| {
        prefixes
            .iter()
            .flat_map(move |p| forms.iter().map(move |f| format!("{p}{f}")))
    })
}

/// Endings of department and ward words (`avdeling`, `sengeposten`).
pub const UNIT_WORDS: &[&str] = &[
    "avdeling",
    "avdelingen",
    "avdelinga",
    "poliklinikk",
    "poliklinikken",
    "klinikk",
    "klinikken",
    "seksjon",
    "seksjonen",
    "post",
    "posten",
    "enhet",
    "enheten",
    "eining",
    "eininga",
    "senter",
    "senteret",
    "mottak",
    "mottaket",
];

/// Whether `w` (case-folded) names a department or ward (`avdeling`,
/// `poliklinikken`, `Brystdiagnostisk senter`'s `senter`).
pub fn is_unit_word(w: &str) -> bool {
    UNIT_WORDS.iter().any(|u| w.ends_with(u))
}

/// Endings of a specialty or a service named as a department before its
/// hospital (`Nevrokirurgi, Haukeland`, `Arytmilab, Haukeland`,
/// `Thoraxmedisinsk, Haukeland`); the rule `department_before_place`
/// writes the same endings.
pub const SPECIALTY_TAILS: &[&str] = &[
    "kirurgi",
    "kirurgisk",
    "medisin",
    "medisinsk",
    "logi",
    "logisk",
    "lab",
    "laboratoriet",
    "banken",
    "sentralen",
    "endoskopi",
    "endoskopien",
    "intervensjon",
    "ortopedi",
    "psykiatri",
    "anestesi",
    "intensiv",
    "dialysen",
];

/// Words that may follow a ward's head word before the comma and its
/// hospital, saying whom the ward is for (`Lungepoliklinikken barn,
/// Haukeland`); the rule `unit_before_place` writes the same.
pub const UNIT_QUALIFIERS: &[&str] = &["barn", "nyfødt", "voksne", "gravide"];

/// Whether `w` (case-folded) names a department by its specialty (see
/// [`SPECIALTY_TAILS`]) or is a unit word.
pub fn is_department_word(w: &str) -> bool {
    is_unit_word(w) || SPECIALTY_TAILS.iter().any(|t| w.ends_with(t))
}

/// Whether `w` (case-folded) is the head word that ends a care unit's
/// name (`sykehus`, `sjukeheim`, `DPS`, `helsearena`, `hospital`).
pub fn is_unit_head(w: &str) -> bool {
    is_unit_word(w)
        || UNIT_NAME_HEADS.iter().any(|h| w.ends_with(h))
        || OTHER_UNIT_HEADS.iter().any(|h| w.ends_with(h))
}

/// Head words of care units besides [`UNIT_WORDS`] and
/// [`UNIT_NAME_HEADS`], as the rules `care_unit_suffix` and `gp_office`
/// write them (`Aker helsearena`, `Kampen omsorg+`).
pub const OTHER_UNIT_HEADS: &[&str] = &[
    "helsearena",
    "helsetun",
    "hospital",
    "hf",
    "helsehuset",
    "legekontoret",
    "omsorg+",
    "politistasjon",
    "apotek",
    "ungdomshjem",
    "ungdomsheim",
    "barnehjem",
    "asylmottak",
    "mottakssenter",
];

/// Head words of places of care that follow the place's name (`Øye
/// legekontor`, `Rana sykehjem`): in a note all in lower case, the word
/// before one of them is read as capitalised.
pub const UNIT_NAME_HEADS: &[&str] = &[
    "legesenter",
    "legekontor",
    "sykehjem",
    "sjukeheim",
    "omsorgssenter",
    "helsesenter",
    "helsehus",
    "legevakt",
    "legevakta",
    "sykehus",
    "sjukehus",
    "dps",
    "helsestasjon",
    "hospice",
];

/// Heads of care institutions of three words that follow the place's name
/// (`Løkkehagen bo- og behandlingssenter`, `Tiller helse- og
/// velferdssenter`): in a note all in lower case, the word before one is
/// read as capitalised, as before a word of [`UNIT_NAME_HEADS`].
pub const UNIT_NAME_TAILS: &[&str] = &[
    "bo- og behandlingssenter",
    "bo- og servicesenter",
    "bo- og omsorgssenter",
    "helse- og velferdssenter",
    "helse- og omsorgssenter",
];

/// Prepositions and verbs that precede places.
pub const PLACE_PREPS: &[&str] = &[
    "i", "på", "fra", "frå", "til", "via", "ved", "mot", "nær", "utenfor", "bor", "bur", "bosatt",
    "flyttet", "flytta", "oppvokst", "født", "hjemme", "kommune", "fylke",
];

/// Verbs of living, growing up, being born and moving that a place
/// follows after a preposition (`bor på Majorstua`, `oppvokst i Vinje`,
/// `flytta til Skafså`, `kommer fra Bamako`).
pub const RESIDENCE_VERBS: &[&str] = &[
    "bor",
    "bur",
    "bodde",
    "budde",
    "bodd",
    "budd",
    "bosatt",
    "busett",
    "busatt",
    "oppvokst",
    "oppvaksen",
    "vokste",
    "vaks",
    "født",
    "fødd",
    "flyttet",
    "flytta",
    "flytter",
    "flyttar",
    "kommer",
    "kjem",
    "hjemmehørende",
    "heimehøyrande",
];

/// Lower-case words that may stand between a residence verb and the
/// preposition before a place (`bodde tidligere i`, `bor alene i leilighet
/// på`): at most this many.
pub const MAX_WORDS_AFTER_RESIDENCE_VERB: usize = 4;

/// Residence verbs of motion: at most one word before their preposition
/// (`kommer hjem fra`, not `kjem eigentleg medlemene i`).
pub const MOTION_RESIDENCE_VERBS: &[&str] = &["kommer", "kjem"];

/// Words that open a clause of their own between a residence verb and a
/// preposition (`budde er eigentleg medlemene i`, `bor alene og får hjelp
/// til`).
pub const CLAUSE_WORDS: &[&str] = &[
    "er", "var", "har", "hadde", "blir", "ble", "blei", "vart", "vert", "skal", "vil", "kan", "må",
    "og", "men", "som", "der", "hvor", "kvar", "når", "med",
];

/// Name particles that are also Norwegian words: they do not open a family
/// name after a title on their own (`Overlegen la Hansen inn`).
pub const WORDLIKE_PARTICLES: &[&str] = &["la", "da", "du", "den", "der", "do", "le"];

/// Nouns a place name follows, alone or ending a compound (`kommunen
/// Vinje`, `hjembyen Harstad`, `i bydelen Grorud`).
pub const PLACE_NOUNS: &[&str] = &[
    "kommune",
    "kommunen",
    "kommuna",
    "bydel",
    "bydelen",
    "byen",
    "bygda",
    "bygd",
    "tettstedet",
    "tettstaden",
    "grenda",
    "fylke",
    "fylket",
    "landsbyen",
    "hovedstaden",
    "hovudstaden",
];

/// Endings of Norwegian and Sámi place names (`Olderfjord`, `Krampenes`,
/// `Magerøya`, `Manndalen`, `Biedjovággi`, `Čorgašjávri`): an unknown
/// capitalised word with one, after a place preposition, is a place (see
/// [`has_toponym_ending`]). Not the endings of common compounds
/// (`-bakken`, `-skog`, `-vannet`, `-arbeidet`, `-vær`, `-botn`: `i
/// Oppoverbakken`, `fra Godvær`, `ved Fotbotn`).
pub const TOPONYM_ENDINGS: &[&str] = &[
    "fjord", "fjorden", "nes", "neset", "vik", "vika", "viken", "øy", "øya", "øyane", "dalen",
    "sund", "sundet", "havn", "hamn", "vågen", "våg", "vággi", "jávri", "johka", "várri",
    "luoppal", "njárga", "suolu", "gieddi", "gohppi", "vuotna", "čohkka", "gáisá", "duottar",
    "eatnu",
];

/// Letters of Sámi orthography that Norwegian does not use: a capitalised
/// word unknown to the lists with one of them, after a place preposition,
/// is a place (`ved Bažávárri`, `fra Guovdageaidnu`).
pub const SAMI_LETTERS: &[char] = &[
    'á', 'č', 'đ', 'ŋ', 'š', 'ŧ', 'ž', 'â', 'ʒ', 'ǯ', 'ǧ', 'ǩ', 'ǥ', 'õ',
];

/// Whether a case-folded word of five or more letters has a place name's
/// ending ([`TOPONYM_ENDINGS`]) that leaves three bytes or more before it.
pub fn has_toponym_ending(w: &str) -> bool {
    TOPONYM_ENDINGS
        .iter()
        .any(|e| w.len() >= e.len() + 3 && w.ends_with(e) && w.chars().count() >= 5)
        // (not a Latin or English plural, `Contusiones`, `Guidelines`, nor a
        // deviation, `Legemiddelavvik`)
        && !w.ends_with("ines")
        && !w.ends_with("ones")
        && !w.ends_with("avvik")
}

/// Place prepositions after which a word shaped like a place name is one
/// ([`SAMI_LETTERS`], [`has_toponym_ending`]): `fra Olderfjord`, `utanfor Krampenes`, `ved
/// Biedjovággi`; a word with a Sámi letter also after `for`, `mot` and
/// `til` (`sør for Láhpoluoppal`).
pub const TOPONYM_PREPS: &[&str] = &["i", "på", "fra", "frå", "ved", "utenfor", "utanfor", "nær"];

/// Prepositions between a residence verb and the place.
pub const RESIDENCE_PREPS: &[&str] = &["i", "på", "til", "fra", "frå", "ved"];

/// Prepositions after which a lone given name listed only abroad is a
/// place (`familie i Roma`, `fra Assam`): people are met `hos` or `med`
/// someone, not `i` them.
pub const PLACE_ONLY_PREPS: &[&str] = &["i", "på", "fra", "frå"];

/// Words after an age that say who is described (`94-årig mann`).
pub const SEX_WORDS: &[&str] = &[
    "mann", "kvinne", "gutt", "jente", "dame", "herre", "pasient",
];

/// Names that open a line before a colon as a heading, not a person
/// (`Anna:`, nynorsk for "other").
pub const LINE_HEADINGS: &[&str] = &["anna"];

/// Pronouns that spoken Norwegian puts before a given name (`ho Kari`,
/// `han Per`, `a Kari`, `n Ola`): never part of the name, though `Ho` and
/// `Han` are also family names.
pub const PRONOUNS_BEFORE_NAMES: &[&str] = &["ho", "han", "hun", "a", "n"];

/// Words that follow a verb, not a family name (`eva gråt mykje`, `aud
/// kjører henne heim`): object pronouns and adverbs. A noun after a given
/// name in a one-case note is the family name unless one of them follows.
pub const AFTER_VERB_WORDS: &[&str] = &[
    "henne", "han", "ham", "honom", "seg", "meg", "deg", "oss", "dykk", "dem", "mykje", "mye",
    "ikkje", "ikke", "godt", "bra", "dårlig", "dårleg", "litt", "lite", "heim", "hjem", "ut",
    "inn", "opp", "ned", "seint", "sent", "tidlig", "tidleg", "alltid", "aldri", "ofte",
    "fortsatt", "framleis", "igjen", "også", "òg", "sammen", "saman", "mest", "mer", "meir",
];

/// Nouns that follow eponyms in disease and sign names.
pub const MEDICAL_HEADS: &[&str] = &[
    "sykdom",
    "sykdommen",
    "sjukdom",
    "syndrom",
    "syndromet",
    "tegn",
    "tegnet",
    "test",
    "testen",
    "prøve",
    "prøven",
    "manøver",
    "manøveren",
    "operasjon",
    "operasjonen",
    "fraktur",
    "frakturen",
    "klassifikasjon",
    "klassifisering",
    "skala",
    "skalaen",
    "score",
    "kriterier",
    "kriteriene",
    "reaksjon",
    "reaksjonen",
    "cyste",
    "cysten",
    "parese",
    "parese",
    "pares",
    "lammelse",
    "ødem",
    "triade",
    "nerve",
    "kanal",
    "kjertel",
    "kjertler",
    "celle",
    "celler",
    "fenomen",
    "fenomenet",
    "punkt",
    "linje",
    "metode",
    "metoden",
    "teknikk",
    "teknikken",
    "blokk",
    "blokade",
    "bunt",
    "buntgrenblokk",
    "lov",
    "loven",
    "respirasjon",
    "monitor",
    "registrering",
    "ulcus",
    "anemi",
    "kontraktur",
    "encefalopati",
    "tumor",
    "lymfom",
    "sarkom",
    "kurve",
    "formel",
    "formelen",
    "farging",
    "positiv",
    "negativ",
    "stadium",
    "grad",
    "type",
    "typen",
    "malformasjon",
    "malformasjonen",
    "anfall",
    "anfallet",
    "lyder",
    "knuter",
];

/// Grades written after an eponym (`Sanders III`, `Neer II`); `i` and `v`
/// are words too often to count.
pub const EPONYM_GRADES: &[&str] = &["ii", "iii", "iv"];

/// Whether `w` (lower case) is in `list`.
pub fn is_in(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

/// Hospital acronyms that are also words or abbreviations (`HUS`, `SSK`):
/// a cue must place them.
pub const WORD_ACRONYMS: &[&str] = &["hus", "ssk", "hds"];

/// Letters that after a number are a unit, not an initial (`FEV1 3,9 L.`,
/// `38 C.`, `12 V.`).
pub const UNIT_LETTERS: &[&str] = &["l", "c", "f", "g", "v", "w", "j"];

/// Words a single letter follows as part of a name of a thing, not as an
/// initial (`Penicillin V.`, `Vitamin D.`, `Hepatitt B.`).
pub const LETTERED_WORDS: &[&str] = &[
    "penicillin",
    "vitamin",
    "hepatitt",
    "hepatitis",
    "influensa",
    "type",
    "typen",
    "gruppe",
    "klasse",
    "faktor",
    "blodtype",
    "blodtypen",
    "stadium",
    "grad",
    "protein",
    "kolonne",
    "rad",
    "side",
    "vedlegg",
    "punkt",
    "alternativ",
    "plan",
];

/// Words that follow an organisation's name but never end one; an
/// upper-case note capitalises them like the name (`XXL SPORT SIDEN 2019`).
pub const AFTER_NAME_WORDS: &[&str] = &[
    "siden", "sidan", "fra", "frå", "til", "med", "etter", "før", "som", "der", "da", "nå", "no",
    // the possessive after an owner (`LKAB si malmkai`)
    "si", "sin", "sitt", "sine",
];

/// Prepositions and conjunctions that end no name of an organisation or
/// a care unit (`NAV FROGNER OM`, `Rehabilitering på Sunnaas sykehus`),
/// though other stop words do (`Sparebanken Vest`, `Posten Norge`, `Søndre
/// Land legesenter`).
pub const FUNCTION_WORDS: &[&str] = &[
    "i",
    "på",
    "av",
    "ved",
    "til",
    "fra",
    "frå",
    "for",
    "med",
    "om",
    "hos",
    "hjå",
    "og",
    "eller",
    "ang",
    "angående",
    "vedr",
    "vedrørende",
];

/// Public and state-owned employers whose names are ordinary words
/// (`politiet`, `statens vegvesen`, `vy`): an employer in a one-case note
/// though no word of it is unusual.
pub const PUBLIC_EMPLOYERS: &[&str] = &[
    "politiet",
    "vy",
    "skatteetaten",
    "vegvesen",
    "vegvesenet",
    "forsvaret",
    "posten",
    "tollvesenet",
    "tolletaten",
    "kriminalomsorgen",
    "brannvesenet",
    "kystverket",
    "sivilforsvaret",
    "domstolene",
];

/// Verbs that follow a person's name as its subject (`ole stolt ringte`,
/// `anne bonde var med`): the name ends before them.
pub const VERBS_AFTER_A_NAME: &[&str] = &[
    "er", "var", "har", "hadde", "ble", "blei", "vart", "blir", "kom", "kjem", "ringte", "ringde",
    "ringer", "ringjer", "skal", "vil", "kan", "må", "bor", "bur", "bodde", "budde", "melder",
    "meldte", "melde", "fant", "fann", "sydde", "jobber", "jobbar", "hentet", "henta", "tok",
    "gikk", "gjekk", "fikk", "fekk", "kjørte", "køyrde", "besøkte", "fulgte", "følgde", "følger",
    "fylgjer", "kommer", "døde", "døyde", "døydde",
];

/// Latin words after a small letter and a dot that make it a genus, not an
/// initial (`h. pylori`, `e. coli`, `c. difficile`), besides the words
/// with a Latin ending ([`LATIN_ENDINGS`]).
const SPECIES_WORDS: &[&str] = &["pylori", "coli", "difficile", "perfringens", "albicans"];

/// Endings of Latin species and anatomy words (`s. aureus`, `a. carotis`,
/// `streptococcus pneumoniae`, `os sacrum`).
const LATIN_ENDINGS: &[&str] = &["us", "is", "ae", "um"];

/// Whether `w` (case-folded) reads as a Latin species or anatomy word, so
/// that a small letter and a dot before it abbreviate a genus or a vessel
/// (`h. pylori`, `s. aureus`, `a. carotis`), not a given name.
pub fn is_latin_name(w: &str) -> bool {
    is_in(SPECIES_WORDS, w) || LATIN_ENDINGS.iter().any(|e| w.ends_with(e))
}

/// Possessive pronouns after a relation or a preposition (`faren hans`,
/// `hos hans mor`): no name, though `Hans` is one.
pub const POSSESSIVES: &[&str] = &["hans", "hennes", "deres", "sin", "si", "sitt", "sine"];

/// Letters that, written small with a dot after a title or relation,
/// abbreviate a word far more often than a given name: `m.` med, `d.` død,
/// `f.` født or fikk, `p.` på or per, `v.` ved, `t.` til, `o.` og.
pub const ABBREVIATING_LETTERS: &[&str] = &["m", "d", "f", "p", "v", "t", "o"];

/// Lower-case particles inside family names (`Siri van der Berg`, `Maria
/// de la Cruz`, `Ali bin Said`): part of the name between two name words.
pub const NAME_PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "do", "du", "la",
    "le", "ten", "ter", "zu", "bin", "ibn", "al", "el",
];

/// Endings of common words, never of names: adverbs and adjectives
/// (`egentlig`, `heldigvis`, `amerikanske`), definite plurals
/// (`foreldrene`, `legane`, `sykepleierne`) and definite neuter nouns of
/// agencies (`politiet`, `barnevernet`, `departementet`, `utvalget`; not
/// every `-et`: `Bergset`, `Mehmet`). Before a speech verb, an unlisted
/// word with one of them is the subject or a fronted adverb, not a person
/// (`Foreldrene forteller`, `Barnevernet opplyser`); see
/// [`super::name_cues::common_word_shape`].
pub const COMMON_WORD_ENDINGS: &[&str] = &[
    "lig", "gvis", "ske", "ene", "ane", "erne", "iet", "tet", "vernet", "get", "ende", "isk",
];

/// Shortest word (characters) [`COMMON_WORD_ENDINGS`] are trusted on
/// (`Lene`, `Jane` are names).
pub const COMMON_WORD_MIN_CHARS: usize = 6;

/// Words before `med` that make the next capitalised word a partner
/// (`gift med Tor`, `samboer med Liv`).
pub const PARTNERED: &[&str] = &[
    "gift",
    "samboer",
    "sambuar",
    "forlovet",
    "forlova",
    "kjæreste",
    "kjærast",
    "skilt",
];

/// Verbs of speaking that follow a person at the start of a sentence
/// (`Zeynep forteller …`).
pub const SPEECH_VERBS: &[&str] = &[
    "forteller",
    "fortel",
    "fortalte",
    "sier",
    "seier",
    "sa",
    "opplyser",
    "oppgir",
    "mener",
    "meiner",
    "bekrefter",
    "stadfestar",
    "beskriver",
    "skildrar",
    "ønsker",
    "ønskjer",
    "angir",
    "rapporterer",
    "klager",
    "benekter",
    "nektar",
    "avkrefter",
];

/// Verbs of saying that name the speaker after what was said, as news and
/// statements write it (`…, understrekar Hersoug`, `…, spør Hansen`); unlike
/// [`SPEECH_VERBS`], a cue for the word before them only where it is an
/// unlisted, unusual capitalised word and the verb is none of
/// [`THING_VERBS`] (`Haarder tror`; not `Anamnesen tror jeg`, `CT
/// forklarer ikke smertene`).
pub const QUOTE_VERBS: &[&str] = &[
    "understreker",
    "understrekar",
    "spør",
    "spurte",
    "spurde",
    "svarer",
    "svarar",
    "lovar",
    "oppsummerer",
    "oppsummerar",
    "forklarer",
    "forklarar",
    "forklarte",
    "påpeker",
    "påpeiker",
    "påpeikar",
    "hevder",
    "hevdar",
    "konkluderer",
    "konkluderar",
    "presiserer",
    "presiserar",
    "poengterer",
    "poengterar",
    "tilføyer",
    "innrømmer",
    "vedgår",
    "fastslår",
    "advarer",
    "åtvarar",
    "framhever",
    "fremhever",
    "framhevar",
    "erkjenner",
    "utdyper",
    "utdjupar",
    "kommenterer",
    "kommenterar",
    "nevner",
    "nemner",
    "tror",
    "trur",
    "mente",
    "meinte",
    "kyter",
    "understreket",
    "understreka",
    "påpekte",
    "påpeikte",
    "hevdet",
    "hevda",
    "innrømmet",
    "innrømte",
    "framhevet",
    "fremhevet",
    "framheva",
    "framhevde",
    "nevnte",
    "nemnde",
    "presiserte",
    "kommenterte",
    "fastslo",
    "synes",
    "synest",
    "syntes",
];

/// Names of parties and a faith that are no person's in the genitive
/// (`Høyres velgere`, `Venstres landsmøte`, `Jehovas vitner`).
pub const WORD_GENITIVES: &[&str] = &["høyre", "venstre", "jehova"];

/// The verbs of [`QUOTE_VERBS`] that things do too (`CT forklarer ikke
/// smertene`, `Røntgen konkluderer med`): no cue for an unlisted word
/// before them.
pub const THING_VERBS: &[&str] = &[
    "forklarer",
    "forklarar",
    "forklarte",
    "konkluderer",
    "konkluderar",
    "advarer",
    "åtvarar",
];

/// The verbs of [`SPEECH_VERBS`] and [`QUOTE_VERBS`] that only speaking
/// uses: in a note in one case, an unlisted word after a comma and one of
/// them is the speaker (`…, sier cuevas.`; not `…, tror pneumoni`).
pub const SPEAKER_VERBS: &[&str] = &[
    "sier",
    "seier",
    "sa",
    "forteller",
    "fortel",
    "fortalte",
    "opplyser",
    "spør",
    "svarer",
    "svarar",
    "understreker",
    "understrekar",
];

/// Whether `w` (case-folded) is one of `list`, or a compound ending in one
/// after a head of more than `min_head` bytes (`hjembyen` ends in `byen`).
/// The last byte is compared before the whole ending.
pub fn is_or_ends_in(list: &[&str], w: &str, min_head: usize) -> bool {
    let Some(&last) = w.as_bytes().last() else {
        return false;
    };
    list.iter().any(|e| {
        e.as_bytes().last() == Some(&last)
            && (w == *e || (w.len() > e.len() + min_head && w.ends_with(e)))
    })
}

/// Whether `w` (case-folded) is a compound ending in a title of five or
/// more bytes (`diabetessykepleier`); shorter titles (`lege`) end too
/// many other words.
pub fn is_compound_title(w: &str) -> bool {
    // Asked of every word: the titles are bucketed by their last byte, and
    // the shortest such compound has eight bytes.
    static BY_LAST_BYTE: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    let Some(&last) = w.as_bytes().last() else {
        return false;
    };
    if w.len() < 8 {
        return false;
    }
    let buckets = BY_LAST_BYTE.get_or_init(|| {
        let mut b = vec![Vec::new(); 256];
        for t in TITLES.iter().filter(|t| t.len() >= 5) {
            if let Some(&l) = t.as_bytes().last() {
                b[usize::from(l)].push(*t);
            }
        }
        b
    });
    buckets[usize::from(last)]
        .iter()
        .any(|t| w.len() > t.len() + 2 && w.ends_with(t))
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn kin_words_join_every_prefix_to_its_group() {
        let words: Vec<String> = kin_words().collect();
        for w in [
            "bror",
            "svigerdatteren",
            "veslebror",
            "morbror",
            "dattersønnen",
            "oldebarnet",
            "bonusmor",
            "ekssamboeren",
            "bestevenninna",
            "mostera",
        ] {
            assert!(words.iter().any(|k| k == w), "{w}");
        }
        // no prefix outside its group (`lillemor` is a name)
        for w in ["lillemor", "barn", "eksbror", "svigerbror"] {
            assert!(!words.iter().any(|k| k == w), "{w}");
        }
    }

    #[test]
    fn naming_titles_are_the_doctors_and_nurses_ones() {
        assert!(TITLES.contains(&FIRST_OTHER_TITLE));
        for t in [
            "dr",
            "overlege",
            "lis1",
            "fastlege",
            "spl",
            "overl",
            "prof",
            "barnelege",
            "kirurg",
            "helsesykepleier",
        ] {
            assert!(is_naming_title(t), "{t}");
        }
        for t in ["pas", "v", "hjelpepleier", "prest", "psykolog"] {
            assert!(!is_naming_title(t), "{t}");
        }
    }
}
