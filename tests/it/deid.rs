//! De-identification: privacy invariants, determinism, key handling, the
//! pipeline stage and `deid eval`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{both, norclin, run_in};

const KEY: &str = "KEYSECRET-0123456789abcdef-norclin-test";

/// Identifiers written into the test notes; none may survive.
const IDENTIFIERS: &[&str] = &[
    "Zyxwa",
    "Qwertyson",
    "Bjørgan",
    "13055810170",
    "130558 10170",
    "22 11 33 44",
    "+47 912 34 567",
    "kari.qwertyson@example.no",
    "Storgata 12B",
    "12.03.2021",
    "15/3-21",
    "3. mai 2021",
    "Frogner legevakt",
    "Tromsø",
    "1234567",
];

fn notes_jsonl() -> String {
    [
        r#"{"note_id":"note-1","patient_id":"pat-1","doc_type":"epikrise","written_at":"2021-03-15T10:00:00","text":"Epikrise for Zyxwa Qwertyson (fnr 13055810170), 62 år gammel kvinne. Innlagt 12.03.2021, utskrevet 15/3-21. Bor i Storgata 12B, 0155 Oslo. Tlf 22 11 33 44, e-post kari.qwertyson@example.no. Fastlege dr. Bjørgan ved Frogner legevakt. Kontroll 3. mai 2021 hos K. Bjørgan. HPR-nr 1234567. Bechterews sykdom utelukket."}"#,
        r#"{"note_id":"note-2","patient_id":"pat-1","doc_type":"sykepleienotat","text":"zyxwa qwertysons datter ringte fra tromsø. fnr 130558 10170. mobil +47 912 34 567."}"#,
        r#"{"note_id":"note-3","patient_id":"pat-2","text":"PASIENT QWERTYSON, INNLAGT 12.03.2021 FRA TROMSØ. TLF 22 11 33 44."}"#,
    ]
    .join("\n")
        + "\n"
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("notes.jsonl"), notes_jsonl()).expect("notes");
        fs::write(dir.path().join("key"), KEY).expect("key");
        fs::write(dir.path().join("key2"), "another-secret-key-0123456789").expect("key2");
        fs::write(
            dir.path().join("register.csv"),
            "patient_id,kind,value\npat-1,full_name,Zyxwa Qwertyson\npat-2,last_name,Qwertyson\n",
        )
        .expect("register");
        Setup { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn deid(&self, out: &str, key: &str, extra: &[&str]) -> std::process::Output {
        let mut args = vec![
            "deid",
            "--input",
            "notes.jsonl",
            "--out",
            out,
            "--key-file",
            key,
            "--register",
            "register.csv",
        ];
        args.extend_from_slice(extra);
        norclin()
            .current_dir(self.dir.path())
            .env("RUST_LOG", "trace")
            .args(&args)
            .output()
            .expect("run norclin")
    }
}

/// All text a folder holds: raw bytes of every file plus the string
/// columns of every Parquet file (which are compressed on disk).
fn everything_in(dir: &Path) -> String {
    let mut all = String::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let p = entry.expect("entry").path();
        let bytes = fs::read(&p).expect("read");
        all.push_str(&String::from_utf8_lossy(&bytes));
        if p.extension().is_some_and(|e| e == "parquet") {
            all.push_str(&parquet_strings(&p));
        }
    }
    all
}

fn parquet_strings(p: &Path) -> String {
    use arrow_array::{Array, StringArray};
    let f = fs::File::open(p).expect("open parquet");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut out = String::new();
    for batch in reader {
        let batch = batch.expect("batch");
        for col in batch.columns() {
            if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                for i in 0..s.len() {
                    if s.is_valid(i) {
                        out.push_str(s.value(i));
                        out.push('\n');
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_identifier_and_no_key_byte_reaches_any_output_or_log() {
    let s = Setup::new();
    let o = s.deid("out", "key", &[]);
    assert!(o.status.success(), "{}", both(&o));
    let logs = both(&o);
    let files = everything_in(&s.path("out"));
    assert!(files.contains("NATIONAL_ID"), "spans were written");
    for id in IDENTIFIERS {
        assert!(!logs.contains(id), "{id:?} in the log:\n{logs}");
        assert!(!files.contains(id), "{id:?} in an output file");
        let lower = id.to_lowercase();
        assert!(!files.contains(&lower), "{lower:?} in an output file");
    }
    for id in ["note-1", "pat-1", "pat-2"] {
        let notes = fs::read_to_string(s.path("out/notes.jsonl")).expect("notes");
        assert!(!notes.contains(id), "{id} not pseudonymised");
    }
    assert!(!logs.contains(KEY) && !files.contains(KEY), "key leaked");
    assert!(!files.contains("KEYSECRET"), "key leaked");
    // Every span of the JSONL file points into the original text.
    let spans = fs::read_to_string(s.path("out/spans.jsonl")).expect("spans");
    for line in spans.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        assert!(v["start"].as_u64() < v["end"].as_u64(), "{line}");
        for k in [
            "note_id",
            "note_pseudonym",
            "label",
            "rule",
            "action",
            "surrogate",
        ] {
            assert!(v.get(k).is_some(), "{k} missing: {line}");
        }
    }
    // The synthetic fødselsnummer is in the Tenor range (month + 80).
    let notes = fs::read_to_string(s.path("out/notes.jsonl")).expect("notes");
    let first: serde_json::Value =
        serde_json::from_str(notes.lines().next().expect("line")).expect("json");
    let text = first["text"].as_str().expect("text");
    let i = text.find("(fnr ").expect("fnr kept its context") + 5;
    let month: u32 = text[i + 2..i + 4].parse().expect("month digits");
    assert!((81..=92).contains(&month), "{}", &text[i..i + 11]);
    assert!(text.contains("Bechterews sykdom"), "eponym kept");
}

#[test]
fn same_key_gives_identical_bytes_whatever_the_threads_and_a_new_key_new_surrogates() {
    let s = Setup::new();
    let a = s.deid("a", "key", &["--threads", "1"]);
    assert!(a.status.success(), "{}", both(&a));
    let b = s.deid("b", "key", &["--threads", "2"]);
    assert!(b.status.success(), "{}", both(&b));
    for f in [
        "notes.jsonl",
        "notes.parquet",
        "spans.jsonl",
        "spans.parquet",
        "summary.json",
    ] {
        let x = fs::read(s.path("a").join(f)).expect("a");
        let y = fs::read(s.path("b").join(f)).expect("b");
        assert!(x == y, "{f} differs between runs");
    }
    let c = s.deid("c", "key2", &[]);
    assert!(c.status.success(), "{}", both(&c));
    let x = fs::read_to_string(s.path("a/notes.jsonl")).expect("a");
    let y = fs::read_to_string(s.path("c/notes.jsonl")).expect("c");
    assert_ne!(x, y, "a different key must give different surrogates");
}

#[test]
fn no_key_is_refused_with_a_clear_message() {
    let s = Setup::new();
    let o = run_in(
        s.dir.path(),
        &["deid", "--input", "notes.jsonl", "--out", "o"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(both(&o).contains("--key-file"), "{}", both(&o));
    assert!(!s.path("o/notes.jsonl").exists());
    fs::write(s.path("short"), "tiny").expect("short key");
    let o = run_in(
        s.dir.path(),
        &[
            "deid",
            "--input",
            "notes.jsonl",
            "--out",
            "o",
            "--key-file",
            "short",
        ],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(
        both(&o).contains("16 bytes") && !both(&o).contains("tiny"),
        "{}",
        both(&o)
    );
}

#[test]
fn policy_redact_and_keep_are_applied_per_label() {
    let s = Setup::new();
    let o = s.deid(
        "p",
        "key",
        &["--policy", "PERSON_LAST=redact", "--policy", "DATE=keep"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let notes = fs::read_to_string(s.path("p/notes.jsonl")).expect("notes");
    assert!(notes.contains("[PERSON]"), "{notes}");
    assert!(notes.contains("12.03.2021"), "dates kept: {notes}");
    let spans = fs::read_to_string(s.path("p/spans.jsonl")).expect("spans");
    assert!(
        spans.contains(r#""action":"keep","surrogate":null"#),
        "{spans}"
    );
}

#[test]
fn deid_runs_as_a_pipeline_stage_after_ingest() {
    let s = Setup::new();
    fs::write(
        s.path("p.toml"),
        r#"version = 1
run_dir = "run"
[[stages]]
type = "ingest"
inputs = ["notes.jsonl"]
[[stages]]
type = "deid"
demo_key = true
register = "register.csv"
[stages.policy]
AGE = "keep"
"#,
    )
    .expect("pipeline");
    let o = run_in(s.dir.path(), &["validate", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    let o = run_in(s.dir.path(), &["run", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    assert!(
        both(&o).to_lowercase().contains("demo key"),
        "loud demo key: {}",
        both(&o)
    );
    let dir = s.path("run/02-deid");
    for f in [
        "notes.parquet",
        "notes.jsonl",
        "spans.jsonl",
        "spans.parquet",
        "summary.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["demo_key"], true);
    assert!(
        summary["by_label"]["NATIONAL_ID"].as_u64() >= Some(2),
        "{summary}"
    );
    let report = fs::read_to_string(s.path("run/report.json")).expect("report");
    assert!(report.contains("phi.PERSON_LAST"), "{report}");
    // A bad policy label is reported by validate, naming the field.
    fs::write(
        s.path("bad.toml"),
        "version = 1\n[[stages]]\ntype = \"deid\"\ninput = \"notes.jsonl\"\n[stages.policy]\nSHOE = \"keep\"\n",
    )
    .expect("bad");
    let o = run_in(s.dir.path(), &["validate", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(both(&o).contains("policy.SHOE"), "{}", both(&o));
}

#[test]
fn eval_scores_predictions_against_inline_gold() {
    let s = Setup::new();
    let o = s.deid("out", "key", &[]);
    assert!(o.status.success(), "{}", both(&o));
    fs::write(
        s.path("gold.jsonl"),
        r#"{"note_id":"note-3","text":"PASIENT <Last_Name>QWERTYSON</Last_Name>, INNLAGT <Date>12.03.2021</Date> FRA <Location>TROMSØ</Location>. TLF <Phone_Number>22 11 33 44</Phone_Number>."}"#,
    )
    .expect("gold");
    let o = run_in(
        s.dir.path(),
        &[
            "deid",
            "eval",
            "--gold",
            "gold.jsonl",
            "--format",
            "inline-tags",
            "--pred",
            "out",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let out = both(&o);
    assert!(
        out.contains("token level") && out.contains("PHONE"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(s.path("out/eval.json")).expect("eval.json"))
            .expect("json");
    assert_eq!(report["token"]["overall"]["recall"], 1.0, "{report}");
}
