//! `norclin audit`: planted leaks are found with exit code 3, a clean
//! corpus passes with 0, nothing identifying reaches any output, and the
//! HTML report renders in headless Chromium.
//!
//! Corpora are built by hand here (synthetic people, deid-shaped outputs:
//! released notes + spans with offsets into the original text).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::common::{both, run_in};

/// A piece of a note: plain text, or an identifier with its surrogate
/// (`None`: the identifier was missed and stays as it is).
enum Piece {
    T(&'static str),
    Phi(&'static str, String, Option<String>),
}

use Piece::{Phi, T};

fn phi(label: &'static str, orig: &str, sur: &str) -> Piece {
    Phi(label, orig.to_string(), Some(sur.to_string()))
}

/// Builds a valid-checksum national id from nine digits.
fn fnr(nine: &str) -> String {
    let w1 = [3u32, 7, 6, 1, 8, 9, 4, 5, 2];
    let w2 = [5u32, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let mut d: Vec<u32> = nine.bytes().map(|b| u32::from(b - b'0')).collect();
    for w in [&w1[..], &w2[..]] {
        let k = match 11 - w.iter().zip(&d).map(|(a, b)| a * b).sum::<u32>() % 11 {
            11 => 0,
            k => k,
        };
        assert!(k < 10, "no check digit for {nine}");
        d.push(k);
    }
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

struct Note {
    id: &'static str,
    patient: &'static str,
    doc_type: &'static str,
    department: &'static str,
    pieces: Vec<Piece>,
}

/// Original patients (register) and their surrogates.
const REAL_FNR_9: &str = "130558014"; // 13.05.58, a real-range (month 05) number
const SYNTH_FNR_9: &str = "138558014"; // month 85: Tenor synthetic range

fn corpus() -> Vec<Note> {
    let real = fnr(REAL_FNR_9);
    let synth = fnr(SYNTH_FNR_9);
    let mut notes = vec![
        Note {
            id: "n1",
            patient: "p1",
            doc_type: "discharge_summary",
            department: "medisin",
            pieces: vec![
                T("Epikrise. Pasient "),
                phi("PERSON_FIRST", "Kari", "Ingrid"),
                T(" "),
                phi("PERSON_LAST", "Hansen", "Lunde"),
                T(", fnr "),
                phi("NATIONAL_ID", &real, &synth),
                T(", innlagt "),
                phi("DATE", "12.03.2021", "20.04.2021"),
                T(" med brystsmerter. Tlf "),
                phi("PHONE", "41234567", "98765432"),
                T(". Utskrevet i god form."),
            ],
        },
        Note {
            id: "n2",
            patient: "p1",
            doc_type: "nursing_note",
            department: "medisin",
            pieces: vec![
                T("Sykepleienotat: pasienten sov godt. Datter "),
                phi("PERSON_FIRST", "Sigrid", "Marte"),
                T(" på besøk "),
                phi("DATE", "13.03.2021", "21.04.2021"),
                T(". Smerter VAS 2."),
            ],
        },
        Note {
            id: "n3",
            patient: "p2",
            doc_type: "surgical_report",
            department: "kirurgi",
            pieces: vec![
                T("Operasjon "),
                phi("DATE", "2. februar 2022", "9. mars 2022"),
                T(": laparoskopisk kolecystektomi. Operatør dr. "),
                phi("PERSON_LAST", "Bakken", "Moen"),
                T(". Ukomplisert forløp."),
            ],
        },
        Note {
            id: "n4",
            patient: "p3",
            doc_type: "outpatient_note",
            department: "kirurgi",
            pieces: vec![
                T("Kontroll poliklinisk. Bor i "),
                phi("POSTCODE", "0155", "5003"),
                T(" "),
                phi("LOCATION", "Oslo", "Bergen"),
                T(". E-post "),
                phi("EMAIL", "ola.berg@example.no", "pas123@eksempel.no"),
                T(". Ingen nye plager."),
            ],
        },
    ];
    // Notes without identifiers, so strata and rare tokens have mass.
    for (i, (p, dt)) in [
        ("p4", "nursing_note"),
        ("p5", "nursing_note"),
        ("p6", "discharge_summary"),
        ("p7", "outpatient_note"),
        ("p8", "referral"),
    ]
    .into_iter()
    .enumerate()
    {
        notes.push(Note {
            id: ["n5", "n6", "n7", "n8", "n9"][i],
            patient: p,
            doc_type: dt,
            department: "medisin",
            pieces: vec![T(
                "Pasienten er i stabil tilstand. Blodtrykk 128/84, puls 72. Fortsetter behandling.",
            )],
        });
    }
    notes
}

const REGISTER: &str = "patient_id,kind,value\n\
p1,first_name,Kari\n\
p1,last_name,Hansen\n\
p1,full_name,Kari Hansen\n\
p1,national_id,130558 01406\n\
p1,phone,412 34 567\n\
p1,relative_name,Sigrid\n\
p1,birth_date,1958-05-13\n\
p2,last_name,Bakken\n\
p3,email,ola.berg@example.no\n\
p3,address,Storgata 5\n";

/// Writes original notes, released notes and spans into `dir`.
fn write_corpus(dir: &Path, notes: &[Note]) {
    let (mut orig, mut released, mut spans) = (String::new(), String::new(), String::new());
    for n in notes {
        let (mut o, mut r) = (String::new(), String::new());
        for p in &n.pieces {
            match p {
                T(t) => {
                    o.push_str(t);
                    r.push_str(t);
                }
                Phi(label, orig_text, sur) => {
                    let start = o.chars().count();
                    o.push_str(orig_text);
                    match sur {
                        Some(s) => {
                            r.push_str(s);
                            let line = json!({"note_id": n.id, "note_id_pseudonym": format!("x{}", n.id),
                                "start": start, "end": o.chars().count(), "label": label,
                                "rule": "test", "action": "surrogate", "surrogate": s});
                            spans.push_str(&format!("{line}\n"));
                        }
                        None => r.push_str(orig_text),
                    }
                }
            }
        }
        let meta = |id: String, pid: String, text: &str| {
            json!({"note_id": id, "patient_id": pid, "doc_type": n.doc_type,
                   "written_at": "2021-03-12T09:00:00", "department": n.department,
                   "lang": "nob", "text": text})
            .to_string()
        };
        orig.push_str(&meta(n.id.to_string(), n.patient.to_string(), &o));
        orig.push('\n');
        released.push_str(&meta(format!("x{}", n.id), format!("q{}", n.patient), &r));
        released.push('\n');
    }
    fs::create_dir_all(dir.join("deid")).unwrap();
    fs::write(dir.join("original.jsonl"), orig).unwrap();
    fs::write(dir.join("deid/notes.jsonl"), released).unwrap();
    fs::write(dir.join("deid/spans.jsonl"), spans).unwrap();
    fs::write(dir.join("register.csv"), REGISTER).unwrap();
}

fn audit(dir: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "audit",
        "--input",
        "deid",
        "--register",
        "register.csv",
        "--original",
        "original.jsonl",
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args);
    let json = fs::read_to_string(dir.join("out/audit.json"))
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap_or(Value::Null);
    (o, json)
}

fn blockers_by(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blocker"] == true)
        .map(|f| {
            (
                f["detector"].as_str().unwrap().to_string(),
                f["note_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every file under `dir`, concatenated (for "never stored" checks).
fn all_output(dir: &Path) -> String {
    let mut s = String::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            s.push_str(&String::from_utf8_lossy(&fs::read(&p).unwrap()));
        }
    }
    s
}

/// Identifiers of the register and the planted leaks, in the forms they were
/// written: none may appear in any audit output.
fn secrets() -> Vec<String> {
    let real = fnr(REAL_FNR_9);
    vec![
        real.clone(),
        format!("{} {}", &real[..6], &real[6..]),
        "Hansen".into(),
        "hansen".into(),
        "Sigrid".into(),
        "41234567".into(),
        "412 34 567".into(),
        "ola.berg@example.no".into(),
        "13.05.1958".into(),
        "01.06.2021".into(),
        "Bakken".into(),
    ]
}

fn assert_no_secrets(dir: &Path, o: &Output) {
    let text = format!("{}{}", both(o), all_output(&dir.join("out")));
    for s in secrets() {
        assert!(
            !text.contains(&s),
            "an output contains an original identifier ({} chars)",
            s.len()
        );
    }
}

#[test]
fn clean_corpus_passes_with_exit_code_0() {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path(), &corpus());
    let (o, r) = audit(tmp.path(), &["--sample", "6"]);
    assert_eq!(o.status.code(), Some(0), "{}\n{r:#}", both(&o));
    assert_eq!(r["verdict"], "clean");
    assert_eq!(r["blockers"], 0);
    assert_eq!(r["notes"], 9);
    assert_eq!(r["synthetic_national_ids"], 1);
    assert!(
        r["matches_inside_surrogates"].as_u64().unwrap() >= 5,
        "{r:#}"
    );
    assert_eq!(r["spans"]["notes_misaligned"], 0);
    assert_eq!(r["spans"]["unmatched_span_groups"], 0);
    assert_eq!(r["spans"]["by_label"]["DATE"], 3);
    assert_eq!(r["spans"]["by_doc_type"]["nursing_note"]["PERSON_FIRST"], 1);
    assert_eq!(r["sample"]["note_ids"].as_array().unwrap().len(), 6);
    // Every doc type is in the sample (stratified).
    let strata = r["sample"]["strata"].as_array().unwrap();
    assert!(
        strata.iter().all(|s| s["sampled"].as_u64().unwrap() >= 1),
        "{strata:?}"
    );
    assert!(
        (r["sample"]["review"]["rule_of_three"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "3/6"
    );
    let html = fs::read_to_string(tmp.path().join("out/audit.html")).unwrap();
    assert!(html.contains("CLEAN: 0 release blocker(s)"));
    assert!(
        html.contains("title=\"PERSON_LAST\">Lunde</mark>")
            || !r["sample"]["note_ids"].to_string().contains("xn1")
    );
    assert_no_secrets(tmp.path(), &o);
    // Deterministic whatever the thread count.
    let first = fs::read(tmp.path().join("out/audit.json")).unwrap();
    let o = run_in(
        tmp.path(),
        &[
            "--threads",
            "1",
            "audit",
            "--input",
            "deid",
            "--register",
            "register.csv",
            "--original",
            "original.jsonl",
            "--out",
            "out1",
            "--sample",
            "6",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let second = fs::read_to_string(tmp.path().join("out1/audit.json")).unwrap();
    assert_eq!(
        String::from_utf8(first).unwrap().replace("\"out\"", ""),
        second.replace("\"out1\"", "")
    );
}

#[test]
fn planted_real_range_national_id_is_a_blocker() {
    let tmp = tempfile::tempdir().unwrap();
    let mut notes = corpus();
    let real = fnr(REAL_FNR_9);
    // Missed by deid, written with a space and a zero-width space inside.
    let leaked = format!("{}\u{200B}{}", &real[..6], &real[6..]);
    notes[2].pieces.push(T(" Kopi til pasient med fnr "));
    notes[2].pieces.push(Phi("NATIONAL_ID", leaked, None));
    notes[2].pieces.push(T("."));
    write_corpus(tmp.path(), &notes);
    let (o, r) = audit(tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    let b = blockers_by(&r);
    assert!(b.contains(&("national_id".into(), "xn3".into())), "{b:?}");
    // The register knows it too (digits through the zero-width space).
    assert!(b.contains(&("register".into(), "xn3".into())), "{b:?}");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["detector"] == "national_id")
        .unwrap();
    assert_eq!(f["preview"], "1*********6");
    assert_no_secrets(tmp.path(), &o);
}

#[test]
fn planted_registered_name_in_lower_case_and_genitive_is_a_blocker() {
    for planted in [
        " Samtale med hansen i dag.",
        " Pasienten HANSENS datter ringte.",
        " Hansen's kone ringte.",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut notes = corpus();
        notes[7].pieces.push(T(planted));
        write_corpus(tmp.path(), &notes);
        let (o, r) = audit(tmp.path(), &[]);
        assert_eq!(o.status.code(), Some(3), "{planted}: {}", both(&o));
        let b = blockers_by(&r);
        assert_eq!(
            b,
            vec![("register".to_string(), "xn8".to_string())],
            "{planted}"
        );
        let f = &r["findings"][0];
        assert_eq!(f["detail"], "register:last_name");
        assert!(f["preview"].as_str().unwrap().starts_with(['h', 'H']));
        assert!(f["preview"].as_str().unwrap().contains("****"));
        assert_no_secrets(tmp.path(), &o);
    }
}

#[test]
fn planted_unshifted_date_matching_the_original_is_a_blocker() {
    let tmp = tempfile::tempdir().unwrap();
    let mut notes = corpus();
    notes[1].pieces.push(T(" Ny kontroll "));
    notes[1].pieces.push(Phi("DATE", "01.06.2021".into(), None));
    notes[1].pieces.push(T("."));
    write_corpus(tmp.path(), &notes);
    let (o, r) = audit(tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    assert_eq!(
        blockers_by(&r),
        vec![("date_unshifted".to_string(), "xn2".to_string())]
    );
    assert_no_secrets(tmp.path(), &o);

    // Without the original the date is still reported, but not a blocker.
    let o = run_in(tmp.path(), &["audit", "--input", "deid", "--out", "out2"]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let r: Value =
        serde_json::from_str(&fs::read_to_string(tmp.path().join("out2/audit.json")).unwrap())
            .unwrap();
    assert_eq!(r["findings_by_detector"]["date"]["medium"], 1, "{r:#}");

    // A registered birth date left in the text is a blocker without the original.
    let mut notes = corpus();
    notes[5].pieces.push(T(" Født 13.05.1958."));
    write_corpus(tmp.path(), &notes);
    let o = run_in(
        tmp.path(),
        &[
            "audit",
            "--input",
            "deid",
            "--register",
            "register.csv",
            "--out",
            "out3",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
}

#[test]
fn blocker_rules_are_configurable_and_the_pipeline_stage_gates_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut notes = corpus();
    notes[6]
        .pieces
        .push(T(" Kontakt: post@sykehuset.example.no."));
    write_corpus(tmp.path(), &notes);
    let (o, _) = audit(tmp.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "an e-mail is not blocking by default: {}",
        both(&o)
    );
    let (o, r) = audit(tmp.path(), &["--block-detector", "email"]);
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    assert_eq!(
        blockers_by(&r),
        vec![("email".to_string(), "xn7".to_string())]
    );

    fs::write(
        tmp.path().join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n[[stages]]\ntype = \"audit\"\ninput = \"deid\"\nregister = \"register.csv\"\n[stages.blockers]\ndetectors = [\"email\"]\n",
    )
    .unwrap();
    let o = run_in(tmp.path(), &["validate", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    let o = run_in(tmp.path(), &["run", "p.toml"]);
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    assert!(tmp.path().join("run/01-audit/audit.html").is_file());

    fs::write(
        tmp.path().join("bad.toml"),
        "version = 1\n[[stages]]\ntype = \"audit\"\ninput = \"deid\"\n[stages.blockers]\ndetectors = [\"nonsense\"]\n[stages.rare]\nk = 1\n",
    )
    .unwrap();
    let o = run_in(tmp.path(), &["validate", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
}

#[test]
fn parquet_input_from_ingest_is_audited_like_jsonl() {
    let tmp = tempfile::tempdir().unwrap();
    let mut notes = corpus();
    notes[8].pieces.push(T(" Mor Kari kom."));
    write_corpus(tmp.path(), &notes);
    let o = run_in(
        tmp.path(),
        &["ingest", "--input", "deid/notes.jsonl", "--out", "pq"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let o = run_in(
        tmp.path(),
        &[
            "audit",
            "--input",
            "pq/notes.parquet",
            "--spans",
            "deid/spans.jsonl",
            "--register",
            "register.csv",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    let r: Value =
        serde_json::from_str(&fs::read_to_string(tmp.path().join("out/audit.json")).unwrap())
            .unwrap();
    assert_eq!(r["notes"], 9);
    assert_eq!(r["spans"]["notes_misaligned"], 0);
    // `Mor Kari`: a registered first name (blocker) in person context.
    let dets: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["detector"].as_str().unwrap())
        .collect();
    assert!(
        dets.contains(&"register") && dets.contains(&"person_name"),
        "{dets:?}"
    );
}

#[test]
fn gold_inline_tags_are_scored_per_label() {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path(), &corpus());
    let gold = [
        json!({"note_id": "n2", "text": "Sykepleienotat: pasienten sov godt. Datter <PERSON_FIRST>Sigrid</PERSON_FIRST> på besøk <DATE>13.03.2021</DATE>. Smerter VAS 2."}),
        json!({"note_id": "n3", "spans": [{"start": 10, "end": 25, "label": "DATE"}, {"start": 70, "end": 76, "label": "PERSON_LAST"}]}),
    ];
    let gold: String = gold.iter().map(|g| format!("{g}\n")).collect();
    fs::write(tmp.path().join("gold.jsonl"), gold).unwrap();
    let (o, r) = audit(tmp.path(), &["--gold", "gold.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let g = &r["gold"];
    assert_eq!(g["notes"], 2);
    assert_eq!(g["notes_with_text"], 2, "original text gives n3 its tokens");
    assert_eq!(g["entity"]["ALL"]["tp"], 4, "{g:#}");
    assert_eq!(g["entity"]["ALL"]["fn"], 0);
    assert_eq!(g["leaked_entities"], 0);
    assert!((g["leak_rate"]["rule_of_three"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    let html = fs::read_to_string(tmp.path().join("out/audit.html")).unwrap();
    assert!(html.contains("id=\"gold\""));
}

fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/chromium");
    p.is_file().then_some(p)
}

#[test]
fn html_report_renders_in_headless_chromium_without_console_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut notes = corpus();
    notes[2].pieces.push(T(" Fnr "));
    notes[2]
        .pieces
        .push(Phi("NATIONAL_ID", fnr(REAL_FNR_9), None));
    write_corpus(tmp.path(), &notes);
    let (o, _) = audit(tmp.path(), &["--sample", "9"]);
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    let html_path = tmp.path().join("out/audit.html");
    let html = fs::read_to_string(&html_path).unwrap();
    // Self-contained: no external asset, no script.
    for bad in [
        "<script",
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(bad), "audit.html contains {bad}");
    }
    let Some(chromium) = chromium() else {
        // CI installs Chromium (scripts/setup.sh): there a missing browser
        // is a failed set-up, not a reason to skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "/usr/bin/chromium is missing under CI: scripts/setup.d/audit.sh did not install it"
        );
        eprintln!(
            "SKIPPED: /usr/bin/chromium is not installed (scripts/setup.d/audit.sh installs it); \
             the HTML was checked as text only"
        );
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html_path.display()))
        .output()
        .expect("start chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    for id in [
        "verdict",
        "summary",
        "blockers",
        "findings",
        "counts",
        "charts",
        "rare-tokens",
        "review",
        "sample",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "rendered DOM lacks #{id}"
        );
    }
    assert!(dom.contains("BLOCKED"));
    assert!(dom.contains("<svg"), "charts render as SVG");
    assert_eq!(dom.matches("<article class=\"note\"").count(), 9);
    assert!(dom.contains("1*********6"), "the leak is shown masked");
    assert!(!dom.contains(&fnr(REAL_FNR_9)));
    let log = String::from_utf8_lossy(&out.stderr);
    for line in log.lines() {
        let console_error = line.contains("CONSOLE")
            || line.contains("Uncaught")
            || line.contains("Failed to load resource");
        assert!(!console_error, "console error: {line}");
    }
}

// --- End to end: norclin synth → norclin deid → norclin audit -------------

/// A released note rebuilt from its original and replacing spans.
fn apply_spans(original: &str, spans: &[&Value]) -> String {
    let chars: Vec<char> = original.chars().collect();
    let mut out = String::new();
    let mut pos = 0;
    for s in spans {
        let (start, end) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        if s["action"] == "keep" || start < pos {
            continue;
        }
        out.extend(&chars[pos..start]);
        out.push_str(s["surrogate"].as_str().unwrap());
        pos = end;
    }
    out.extend(&chars[pos..]);
    out
}

fn read_jsonl(p: &Path) -> Vec<Value> {
    fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_jsonl(p: &Path, rows: &[Value]) {
    fs::write(p, rows.iter().map(|r| format!("{r}\n")).collect::<String>()).unwrap();
}

#[test]
fn synth_then_deid_corpus_passes_and_planted_leaks_in_it_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = run_in(
        d,
        &["synth", "--notes", "60", "--seed", "1", "--out", "corpus"],
    );
    assert!(o.status.success(), "{}", both(&o));
    fs::write(d.join("key"), "audit-e2e-test-key-0123456789abcdef").unwrap();
    let o = run_in(
        d,
        &[
            "deid",
            "--input",
            "corpus/notes.jsonl",
            "--register",
            "corpus/register.csv",
            "--key-file",
            "key",
            "--out",
            "deid",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let audit_args = |out: &'static str| -> Vec<&'static str> {
        vec![
            "audit",
            "--input",
            "deid",
            "--register",
            "corpus/register.csv",
            "--original",
            "corpus/notes.jsonl",
            "--gold",
            "corpus/gold.jsonl",
            "--out",
            out,
        ]
    };
    // The same as a pipeline: deid, then the audit stage gating the run.
    fs::write(
        d.join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n[[stages]]\ntype = \"deid\"\ninput = \"corpus/notes.jsonl\"\n\
         demo_key = true\nregister = \"corpus/register.csv\"\n[[stages]]\ntype = \"audit\"\n\
         register = \"corpus/register.csv\"\noriginal = \"corpus/notes.jsonl\"\nsample = 10\n",
    )
    .unwrap();
    let o = run_in(d, &["run", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    assert!(d.join("run/02-audit/audit.html").is_file());
    let report = fs::read_to_string(d.join("run/report.json")).unwrap();
    assert!(
        report.contains("\"verdict\": \"clean\"") || report.contains("\"verdict\":\"clean\""),
        "{report}"
    );

    let o = run_in(d, &audit_args("clean"));
    let r: Value =
        serde_json::from_str(&fs::read_to_string(d.join("clean/audit.json")).unwrap()).unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\nblockers: {:#}",
        both(&o),
        r["blockers_by_detector"]
    );
    assert_eq!(
        r["spans"]["notes_misaligned"], 0,
        "deid's spans land where its surrogates are"
    );
    assert_eq!(r["spans"]["unmatched_span_groups"], 0);
    assert!(r["synthetic_national_ids"].as_u64().unwrap() > 0);
    assert!(r["gold"]["entity"]["ALL"]["tp"].as_u64().unwrap() > 0);

    // The contract: released text = original text with the spans applied.
    let originals = read_jsonl(&d.join("corpus/notes.jsonl"));
    let mut released = read_jsonl(&d.join("deid/notes.jsonl"));
    let spans = read_jsonl(&d.join("deid/spans.jsonl"));
    let spans_of =
        |id: &str| -> Vec<&Value> { spans.iter().filter(|s| s["note_id"] == id).collect() };
    let pseudo = |id: &str| -> String {
        spans_of(id)
            .first()
            .map(|s| s["note_pseudonym"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (victim, date_span) = originals
        .iter()
        .find_map(|n| {
            let id = n["note_id"].as_str().unwrap();
            spans_of(id)
                .into_iter()
                .find(|s| s["label"] == "DATE")
                .map(|s| (n, s.clone()))
        })
        .expect("a note with a date");
    let vid = victim["note_id"].as_str().unwrap();
    let vtext = victim["text"].as_str().unwrap();
    let row = released
        .iter()
        .position(|n| n["note_id"] == pseudo(vid).as_str())
        .unwrap();
    assert_eq!(
        released[row]["text"].as_str().unwrap(),
        apply_spans(vtext, &spans_of(vid))
    );

    // Plant 1: deid missed a date (the original date stays, its span goes).
    let kept: Vec<&Value> = spans_of(vid)
        .into_iter()
        .filter(|s| **s != date_span)
        .collect();
    let mut text = apply_spans(vtext, &kept);
    // Plant 2: a real-range fødselsnummer; plant 3: a registered surname in
    // lower case and in the genitive.
    let reg = fs::read_to_string(d.join("corpus/register.csv")).unwrap();
    let surname = reg
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 3 && f[1] == "last_name" && f[2].len() > 4 && f[2].is_ascii())
                .then(|| f[2].to_string())
        })
        .next()
        .unwrap();
    text.push_str(&format!(
        " Fnr {}. Snakket med {}s kone og {}.",
        fnr(REAL_FNR_9),
        surname.to_lowercase(),
        surname.to_lowercase()
    ));
    released[row]["text"] = Value::String(text);
    write_jsonl(&d.join("deid/notes.jsonl"), &released);
    write_jsonl(
        &d.join("deid/spans.jsonl"),
        &spans
            .iter()
            .filter(|s| **s != date_span)
            .cloned()
            .collect::<Vec<_>>(),
    );
    fs::remove_file(d.join("deid/notes.parquet")).unwrap();
    let o = run_in(d, &audit_args("leaky"));
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    let r: Value =
        serde_json::from_str(&fs::read_to_string(d.join("leaky/audit.json")).unwrap()).unwrap();
    let b = blockers_by(&r);
    let victim_id = pseudo(vid);
    for det in ["date_unshifted", "national_id", "register"] {
        assert!(
            b.contains(&(det.to_string(), victim_id.clone())),
            "{det} not found: {b:?}"
        );
    }
    assert_eq!(
        b.iter().filter(|(det, _)| det == "register").count(),
        2,
        "the surname in the genitive and plain: {b:?}"
    );
    let everything = format!("{}{}", both(&o), all_output(&d.join("leaky")));
    assert!(!everything.contains(&fnr(REAL_FNR_9)));
    assert!(!everything.to_lowercase().contains(&surname.to_lowercase()));
}
