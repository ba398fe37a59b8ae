//! `norclin synth`: determinism, exact offsets, coverage of every label and
//! surface form, language shares, splits and the register.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use norclin::synth::{Generator, Label, Split, SynthConfig, SynthNote, ids, render_inline};
use regex::Regex;
use serde_json::Value;

use crate::common::{both, repo_path, run_in};

/// The 10,000-note corpus most tests look at, generated once in-process.
fn corpus() -> &'static Vec<SynthNote> {
    static CORPUS: OnceLock<Vec<SynthNote>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let g = Generator::new(SynthConfig {
            seed: 11,
            notes: 10_000,
            ..SynthConfig::default()
        })
        .expect("generator");
        g.notes().collect()
    })
}

fn surface(note: &SynthNote, start: usize, end: usize) -> String {
    note.text.chars().skip(start).take(end - start).collect()
}

/// (label, surface, 12 characters before, 3 characters after) for every span.
fn mentions() -> &'static Vec<(Label, String, String, String)> {
    static M: OnceLock<Vec<(Label, String, String, String)>> = OnceLock::new();
    M.get_or_init(|| {
        let mut out = Vec::new();
        for n in corpus() {
            let chars: Vec<char> = n.text.chars().collect();
            for s in &n.spans {
                let before: String = chars[s.start.saturating_sub(12)..s.start].iter().collect();
                let after: String = chars[s.end..(s.end + 3).min(chars.len())].iter().collect();
                out.push((s.label, surface(n, s.start, s.end), before, after));
            }
        }
        out
    })
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .expect("read jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[test]
fn same_seed_gives_same_bytes_whatever_threads_and_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, threads: &str, chunk: &str| {
        let out = dir.path().join(name);
        let o = run_in(
            dir.path(),
            &[
                "synth",
                "--notes",
                "1200",
                "--seed",
                "5",
                "--threads",
                threads,
                "--chunk-notes",
                chunk,
                "--out",
                out.to_str().expect("utf8"),
                "-q",
            ],
        );
        assert!(o.status.success(), "{}", both(&o));
        out
    };
    let a = run("a", "1", "4096");
    let b = run("b", "2", "97");
    for f in [
        "notes.jsonl",
        "gold.jsonl",
        "gold_inline.jsonl",
        "register.csv",
        "negatives.jsonl",
    ] {
        let x = fs::read(a.join(f)).expect("a");
        let y = fs::read(b.join(f)).expect("b");
        assert!(!x.is_empty(), "{f} is empty");
        assert!(x == y, "{f} differs between 1 thread and 2 threads");
    }
    let other = dir.path().join("c");
    let o = run_in(
        dir.path(),
        &[
            "synth",
            "--notes",
            "50",
            "--seed",
            "6",
            "--out",
            other.to_str().expect("utf8"),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    assert_ne!(
        fs::read(other.join("notes.jsonl")).expect("c"),
        fs::read(a.join("notes.jsonl")).expect("a")
            [..fs::read(other.join("notes.jsonl")).expect("c").len()]
            .to_vec(),
        "a different seed must give different notes"
    );
}

#[test]
fn output_files_follow_the_contract_and_offsets_are_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("corpus");
    let o = run_in(
        dir.path(),
        &[
            "synth",
            "--notes",
            "800",
            "--seed",
            "9",
            "--out",
            out.to_str().expect("utf8"),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let notes = read_jsonl(&out.join("notes.jsonl"));
    let gold = read_jsonl(&out.join("gold.jsonl"));
    let inline = read_jsonl(&out.join("gold_inline.jsonl"));
    let negatives = read_jsonl(&out.join("negatives.jsonl"));
    assert_eq!(notes.len(), 800);
    assert_eq!(gold.len(), 800);
    assert_eq!(inline.len(), 800);
    assert_eq!(negatives.len(), 800);
    let labels: HashSet<&str> = Label::ALL.iter().map(|l| l.as_str()).collect();
    let doc_types = [
        "discharge_summary",
        "surgical_report",
        "nursing_note",
        "admission_note",
        "outpatient_note",
        "referral",
    ];
    let ts = Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").expect("re");
    let tag = Regex::new(r"</?[A-Z_]+>").expect("re");
    let mut ids = HashSet::new();
    for (((n, g), il), neg) in notes.iter().zip(&gold).zip(&inline).zip(&negatives) {
        let id = n["note_id"].as_str().expect("note_id");
        assert!(ids.insert(id.to_string()), "duplicate note_id");
        assert_eq!(g["note_id"], n["note_id"]);
        assert_eq!(il["note_id"], n["note_id"]);
        assert_eq!(neg["note_id"], n["note_id"]);
        assert!(n["patient_id"].as_str().is_some_and(|p| !p.is_empty()));
        assert!(doc_types.contains(&n["doc_type"].as_str().expect("doc_type")));
        assert!(ts.is_match(n["written_at"].as_str().expect("written_at")));
        assert!(n["department"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(["nob", "nno", "mixed"].contains(&n["lang"].as_str().expect("lang")));
        let text: Vec<char> = n["text"].as_str().expect("text").chars().collect();
        assert!(
            !text.contains(&'<') && !text.contains(&'>'),
            "{id}: text must not contain < or >"
        );
        let mut last_end = 0;
        let mut expected_inline = String::new();
        for s in g["spans"].as_array().expect("spans") {
            let start = s["start"].as_u64().expect("start") as usize;
            let end = s["end"].as_u64().expect("end") as usize;
            let label = s["label"].as_str().expect("label");
            assert!(labels.contains(label), "unknown label {label}");
            assert!(
                start >= last_end && start < end && end <= text.len(),
                "{id}: bad span"
            );
            let got: String = text[start..end].iter().collect();
            assert_eq!(got.trim(), got, "{id}: span has surrounding whitespace");
            expected_inline.extend(&text[last_end..start]);
            expected_inline.push_str(&format!("<{label}>{got}</{label}>"));
            last_end = end;
        }
        expected_inline.extend(&text[last_end..]);
        let il_text = il["text"].as_str().expect("inline text");
        assert_eq!(
            il_text, expected_inline,
            "{id}: inline tags disagree with gold.jsonl"
        );
        assert_eq!(
            tag.replace_all(il_text, ""),
            text.iter().collect::<String>()
        );
        for x in neg["negatives"].as_array().expect("negatives") {
            let start = x["start"].as_u64().expect("start") as usize;
            let end = x["end"].as_u64().expect("end") as usize;
            assert!(start < end && end <= text.len());
            assert!(x["kind"].as_str().is_some_and(|k| !k.is_empty()));
        }
    }
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(out.join("synth.json")).expect("synth.json"))
            .expect("json");
    assert_eq!(summary["stats"]["notes"], 800);
}

#[test]
fn in_process_spans_are_sorted_disjoint_and_point_at_their_text() {
    for n in corpus() {
        let len = n.text.chars().count();
        let mut last = 0;
        for s in &n.spans {
            assert!(
                s.start >= last && s.start < s.end && s.end <= len,
                "{}",
                n.note_id
            );
            last = s.end;
        }
        for x in &n.negatives {
            assert!(x.start < x.end && x.end <= len);
            for s in &n.spans {
                assert!(
                    x.end <= s.start || x.start >= s.end,
                    "negative overlaps PHI in {}",
                    n.note_id
                );
            }
        }
        let inline = render_inline(&n.text, &n.spans);
        assert_eq!(inline.matches("</").count(), n.spans.len());
    }
}

#[test]
fn every_label_occurs_in_ten_thousand_notes() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (l, ..) in mentions() {
        *counts.entry(l.as_str()).or_default() += 1;
    }
    for l in Label::ALL {
        assert!(
            counts.get(l.as_str()).copied().unwrap_or(0) >= 20,
            "label {} occurs {:?} times",
            l.as_str(),
            counts.get(l.as_str())
        );
    }
}

fn assert_form(label: Label, what: &str, pred: impl Fn(&str, &str, &str) -> bool) {
    let n = mentions()
        .iter()
        .filter(|(l, s, b, a)| *l == label && pred(s, b, a))
        .count();
    assert!(
        n >= 3,
        "surface form `{what}` of {} occurs {n} times",
        label.as_str()
    );
}

/// A compiled regex, cached (predicates call this once per mention).
fn re(p: &str) -> Regex {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Regex>> =
            Default::default();
    }
    CACHE.with(|c| {
        c.borrow_mut()
            .entry(p.to_string())
            .or_insert_with(|| Regex::new(p).expect("regex"))
            .clone()
    })
}

#[test]
fn every_listed_surface_form_occurs() {
    use Label::*;
    // Names: titles, initials, possessives, lower case, upper case.
    for title in [
        "dr. ",
        "lege ",
        "sykepleier ",
        "sjukepleiar ",
        "fru ",
        "hr. ",
        "overlege ",
    ] {
        assert_form(PersonLast, title, |_, b, _| {
            b.to_lowercase().ends_with(title)
        });
    }
    assert_form(PersonFirst, "initial `K. Hansen`", |s, _, a| {
        s.chars().count() == 1 && a.starts_with(". ")
    });
    assert_form(PersonLast, "possessive `Hansens`", |s, _, a| {
        s.chars().all(|c| c.is_alphabetic() || c == '-' || c == ' ')
            && (a.starts_with("s ") || a.starts_with("' "))
    });
    assert_form(PersonFirst, "lower-case name", |s, _, _| {
        s.chars().all(|c| !c.is_uppercase()) && s.chars().count() > 2
    });
    assert_form(PersonLast, "ALL-CAPS name", |s, _, _| {
        s.chars().all(|c| !c.is_lowercase()) && s.chars().count() > 2
    });
    let foreign: HashSet<String> =
        fs::read_to_string(repo_path("rules/synth/names/foreign_surnames.txt"))
            .expect("foreign surnames")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect();
    let seen: HashSet<&str> = mentions()
        .iter()
        .filter(|(l, s, ..)| *l == PersonLast && foreign.contains(s))
        .map(|(_, s, ..)| s.as_str())
        .collect();
    assert!(
        seen.len() >= 15,
        "only {} distinct foreign surnames",
        seen.len()
    );
    // National ids: with and without space, D-numbers, all synthetic and valid.
    assert_form(NationalId, "11 digits", |s, _, _| {
        re(r"^\d{11}$").is_match(s)
    });
    assert_form(NationalId, "`130558 01432`", |s, _, _| {
        re(r"^\d{6} \d{5}$").is_match(s)
    });
    assert_form(NationalId, "D-number", |s, _, _| {
        s.starts_with(['4', '5', '6', '7'])
    });
    for (l, s, ..) in mentions() {
        if *l == NationalId {
            assert!(
                ids::fnr_checksum_ok(&s.replace([' ', '-'], "")),
                "invalid checksum"
            );
            assert!(
                ids::is_synthetic_range(&s.replace([' ', '-'], "")),
                "not in the Tenor range"
            );
        }
    }
    // Phones.
    assert_form(Phone, "`+47 912 34 567`", |s, _, _| {
        re(r"^\+47 \d{3} \d{2} \d{3}$").is_match(s)
    });
    assert_form(Phone, "`91234567`", |s, _, _| {
        re(r"^[49]\d{7}$").is_match(s)
    });
    assert_form(Phone, "`22 11 33 44`", |s, _, _| {
        re(r"^[2-7]\d \d{2} \d{2} \d{2}$").is_match(s)
    });
    // Addresses with postcode and place.
    assert_form(Address, "street and number", |s, _, a| {
        re(r" \d+[A-D]?$").is_match(s) && a.starts_with(", ")
    });
    assert_form(Postcode, "postcode", |s, _, _| re(r"^\d{4}$").is_match(s));
    // Dates in every common format.
    for (what, p) in [
        ("12.03.2021", r"^\d{2}\.\d{2}\.\d{4}$"),
        ("12.3.21", r"^\d{1,2}\.\d{1,2}\.\d{2}$"),
        ("12/3-21", r"^\d{1,2}/\d{1,2}-\d{2}$"),
        ("12. mars 2021", r"^\d{1,2}\. [a-z]+ \d{4}$"),
        ("mars 2021", r"^[a-z]+ \d{4}$"),
        ("2021", r"^\d{4}$"),
        ("120321", r"^\d{6}$"),
    ] {
        let r = re(p);
        assert_form(Date, what, |s, _, _| r.is_match(s));
    }
    // Ages.
    assert_form(Age, "54 år gammel", |s, _, _| {
        re(r"^\d+ år gammel$").is_match(s)
    });
    assert_form(Age, "54 år gammal (nynorsk)", |s, _, _| {
        re(r"^\d+ år gammal$").is_match(s)
    });
    assert_form(Age, "54-årig", |s, _, _| re(r"^\d+-årig$").is_match(s));
    assert_form(Age, "i 70-årene", |s, b, _| {
        re(r"^\d0-årene$").is_match(s) && b.ends_with("i ")
    });
    // Care units, identifiers, contacts.
    assert_form(CareUnit, "hospital", |s, _, _| {
        s.to_lowercase().contains("sykehus") || s.to_lowercase().contains("sjukehus")
    });
    assert_form(CareUnit, "ward", |s, _, _| {
        s.contains("avdeling") || s.contains("post")
    });
    assert_form(CareUnit, "clinic", |s, _, _| {
        s.contains("poliklinikk") || s.contains("legesenter")
    });
    assert_form(HprNumber, "HPR number", |s, b, _| {
        re(r"^\d{7,9}$").is_match(s) && b.contains("HPR")
    });
    assert_form(Email, "e-mail", |s, _, _| s.contains('@'));
    assert_form(RecordNumber, "record number", |s, _, _| {
        re(r"^\d{6,8}$").is_match(s)
    });
    assert_form(Url, "url", |s, _, _| s.contains('.') && !s.contains(' '));
}

#[test]
fn hard_negatives_are_marked_and_never_phi() {
    let mut by_kind: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for n in corpus() {
        for x in &n.negatives {
            by_kind
                .entry(x.kind)
                .or_default()
                .insert(surface(n, x.start, x.end));
        }
    }
    let eponyms = &by_kind["eponym"];
    for e in ["Parkinsons", "Bechterews", "Crohns"] {
        assert!(eponyms.contains(e), "eponym {e} never occurs");
    }
    let words: BTreeSet<String> = by_kind["name_word"]
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    for w in ["liv", "tor", "strand", "berg"] {
        assert!(words.contains(w), "name-like word {w} never occurs");
    }
    assert!(by_kind["lab_abbreviation"].contains("CRP"));
    assert!(by_kind["dosage_schedule"].iter().any(|d| d.contains('/')));
    // The classic eponyms are never PHI.
    assert!(!mentions().iter().any(|(_, s, ..)| {
        s.starts_with("Parkinson") || s.starts_with("Bechterew") || s.starts_with("Crohn")
    }));
}

#[test]
fn written_standards_occur_at_the_configured_share() {
    let notes = corpus();
    let n = notes.len() as f64;
    let nno = notes.iter().filter(|x| x.lang == "nno").count() as f64 / n;
    let mixed = notes.iter().filter(|x| x.lang == "mixed").count() as f64 / n;
    assert!((nno - 0.15).abs() < 0.015, "nynorsk share {nno}");
    assert!((mixed - 0.03).abs() < 0.01, "mixed share {mixed}");
    let marker = re(concat!(
        r"\b(ikkje|frå|vart|sidan|berre|korleis|fekk|dei|tilvist|tilvising|sjukdom|bur|kjend",
        r"|tidlegare|ansvarleg|avdelinga|haldepunkt|heime|heimen|innlagd|noko|veke|veker|eg",
        r"|ho|hennar|leilegheit|skriven)\b"
    ));
    let bokmal = re(concat!(
        r"\b(ikke|fra|ble|siden|bare|hvordan|fikk|henvist|henvisning|sykdom|bor|kjent",
        r"|tidligere|ansvarlig|avdelingen|holdepunkter|hjemme|hjemmet|innlagt|noe|uke|uker",
        r"|jeg|hun|hennes|leilighet|skrevet)\b"
    ));
    for x in notes {
        // Names can be words of the other standard (the surname Berre).
        let mut chars: Vec<char> = x.text.chars().collect();
        for s in &x.spans {
            chars[s.start..s.end].iter_mut().for_each(|c| *c = '#');
        }
        let lower = chars.into_iter().collect::<String>().to_lowercase();
        match x.lang {
            "nob" => assert!(
                !marker.is_match(&lower),
                "nynorsk word in bokmål note {}",
                x.note_id
            ),
            "nno" => assert!(
                !bokmal.is_match(&lower),
                "bokmål word in nynorsk note {}",
                x.note_id
            ),
            _ => {}
        }
    }
    let mixed_with_both = notes
        .iter()
        .filter(|x| x.lang == "mixed")
        .filter(|x| {
            let l = x.text.to_lowercase();
            marker.is_match(&l) && bokmal.is_match(&l)
        })
        .count();
    let n_mixed = notes.iter().filter(|x| x.lang == "mixed").count();
    assert!(
        mixed_with_both * 2 > n_mixed,
        "mixed notes should show both standards"
    );
}

#[test]
fn a_configured_nynorsk_share_is_met() {
    for (nynorsk, mixed) in [(0.5, 0.1), (0.0, 0.0), (1.0, 0.0)] {
        let notes: Vec<SynthNote> = Generator::new(SynthConfig {
            seed: 5,
            notes: 2_000,
            nynorsk_share: nynorsk,
            mixed_share: mixed,
            ..SynthConfig::default()
        })
        .expect("generator")
        .notes()
        .collect();
        let share = |lang: &str| {
            notes.iter().filter(|x| x.lang == lang).count() as f64 / notes.len() as f64
        };
        assert!(
            (share("nno") - nynorsk).abs() < 0.04,
            "nynorsk share {} for {nynorsk}",
            share("nno")
        );
        assert!(
            (share("mixed") - mixed).abs() < 0.03,
            "mixed share {} for {mixed}",
            share("mixed")
        );
        let bokmal = 1.0 - nynorsk - mixed;
        assert!(
            (share("nob") - bokmal).abs() < 0.04,
            "bokmål share {} for {bokmal}",
            share("nob")
        );
    }
}

#[test]
fn patients_keep_their_identity_across_notes() {
    let g = Generator::new(SynthConfig {
        seed: 11,
        notes: 400,
        ..SynthConfig::default()
    })
    .expect("generator");
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut ids_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut per_patient: BTreeMap<String, usize> = BTreeMap::new();
    for n in g.notes() {
        *per_patient.entry(n.patient_id.clone()).or_default() += 1;
        let text: Vec<char> = n.text.chars().collect();
        for s in &n.spans {
            let v: String = text[s.start..s.end].iter().collect();
            if s.label == Label::NationalId {
                ids_of
                    .entry(n.patient_id.clone())
                    .or_default()
                    .insert(v.replace([' ', '-'], ""));
            }
            if s.label == Label::PersonLast
                && text[..s.start]
                    .iter()
                    .rev()
                    .take(30)
                    .collect::<String>()
                    .contains(" :tneisaP")
            {
                names
                    .entry(n.patient_id.clone())
                    .or_default()
                    .insert(v.to_lowercase());
            }
        }
    }
    assert!(
        per_patient.values().any(|c| *c >= 3),
        "patients should have several notes"
    );
    for (p, set) in &ids_of {
        assert_eq!(set.len(), 1, "patient {p} has several national ids");
    }
    assert!(
        names.values().filter(|s| !s.is_empty()).count() > 10,
        "the header `Pasient: Fornavn Etternavn` should name many patients"
    );
    for (p, set) in &names {
        assert_eq!(set.len(), 1, "patient {p} is named with several surnames");
    }
}

#[test]
fn heldout_split_uses_other_names_and_patterns() {
    let make = |split| {
        Generator::new(SynthConfig {
            seed: 3,
            notes: 1500,
            split,
            ..SynthConfig::default()
        })
        .expect("generator")
        .notes()
        .collect::<Vec<_>>()
    };
    let surnames = |notes: &[SynthNote]| -> HashSet<String> {
        notes
            .iter()
            .flat_map(|n| {
                n.spans
                    .iter()
                    .filter(|s| s.label == Label::PersonLast)
                    .map(|s| surface(n, s.start, s.end).to_lowercase())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let train = make(Split::Train);
    let held = make(Split::Heldout);
    let a = surnames(&train);
    let b = surnames(&held);
    assert!(b.len() > 100);
    let shared: Vec<&String> = a.intersection(&b).collect();
    assert!(
        shared.is_empty(),
        "surnames in both splits: {}",
        shared.len()
    );
    let mut labels: HashSet<Label> = HashSet::new();
    for n in &held {
        labels.extend(n.spans.iter().map(|s| s.label));
    }
    assert_eq!(
        labels.len(),
        Label::ALL.len(),
        "every label also occurs in the held-out split"
    );
}

#[test]
fn register_lists_every_patient_with_synthetic_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r");
    let o = run_in(
        dir.path(),
        &[
            "synth",
            "--notes",
            "300",
            "--seed",
            "2",
            "--out",
            out.to_str().expect("utf8"),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let mut rdr = csv::Reader::from_path(out.join("register.csv")).expect("csv");
    assert_eq!(
        rdr.headers().expect("header").iter().collect::<Vec<_>>(),
        ["patient_id", "kind", "value"]
    );
    let kinds = [
        "first_name",
        "last_name",
        "full_name",
        "national_id",
        "phone",
        "email",
        "address",
        "birth_date",
        "relative_name",
        "other",
    ];
    let mut patients = HashSet::new();
    for row in rdr.records() {
        let row = row.expect("row");
        assert!(kinds.contains(&&row[1]), "unknown kind {}", &row[1]);
        if &row[1] == "national_id" {
            assert!(ids::fnr_checksum_ok(&row[2]) && ids::is_synthetic_range(&row[2]));
        }
        patients.insert(row[0].to_string());
    }
    for n in read_jsonl(&out.join("notes.jsonl")) {
        assert!(patients.contains(n["patient_id"].as_str().expect("patient_id")));
    }
}

#[test]
fn bad_shares_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run_in(
        dir.path(),
        &[
            "synth",
            "--notes",
            "5",
            "--nynorsk-share",
            "1.5",
            "--out",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(both(&o).contains("nynorsk_share"));
}

#[test]
fn help_describes_the_outputs() {
    let o = run_in(Path::new("."), &["synth", "--help"]);
    let h = both(&o);
    for w in [
        "notes.jsonl",
        "gold.jsonl",
        "gold_inline.jsonl",
        "register.csv",
        "--split",
        "Tenor",
    ] {
        assert!(h.contains(w), "help lacks {w}");
    }
}
