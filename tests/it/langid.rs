//! Language identification: `norclin langid`, `langid eval`, the stage,
//! and accuracy floors on the dev sets in `rules/langid/eval/`.

use std::fs;

use serde_json::Value;

use crate::common::{both, repo_path, run_in};
use norclin::langid::eval::{evaluate, parse_gold};
use norclin::langid::{Langid, LangidConfig};

const NOB: &str = "Pasienten ble innlagt med brystsmerter og har ikke hatt feber siden i går.";
const NNO: &str = "Pasienten vart lagd inn med brystsmerter og har ikkje hatt feber sidan i går.";

fn write_notes(dir: &std::path::Path) -> std::path::PathBuf {
    let notes = [
        serde_json::json!({"note_id": "n1", "patient_id": "p1", "doc_type": "epikrise", "text": NOB}),
        serde_json::json!({"note_id": "n2", "patient_id": "p1", "doc_type": "sjukepleienotat", "text": NNO}),
        serde_json::json!({"note_id": "n3", "patient_id": "p2", "text": format!("Æ {NNO}\n\n  {NOB}\n")}),
        serde_json::json!({"note_id": "n4", "patient_id": "p2", "text": "Jag vet inte vad hon tycker om det, men hon är inte här."}),
        serde_json::json!({"note_id": "n5", "patient_id": "p3", "text": "CRP 45, Hb 12,3"}),
    ];
    let path = dir.join("notes.jsonl");
    let lines: Vec<String> = notes.iter().map(|n| n.to_string()).collect();
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn read_jsonl(path: &std::path::Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn langid_jsonl_writes_labels_and_character_offsets() {
    let dir = tempfile::tempdir().unwrap();
    write_notes(dir.path());
    let o = run_in(
        dir.path(),
        &[
            "-q",
            "langid",
            "--input",
            "notes.jsonl",
            "--out",
            "langid.jsonl",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let rows = read_jsonl(&dir.path().join("langid.jsonl"));
    let labels: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["note_id"].as_str().unwrap(), r["lang"].as_str().unwrap()))
        .collect();
    assert_eq!(
        labels,
        [
            ("n1", "nob"),
            ("n2", "nno"),
            ("n3", "mixed"),
            ("n4", "other"),
            ("n5", "unknown")
        ]
    );
    assert_eq!(rows[3]["other"], "swe");
    assert!(rows[0].get("other").is_none());
    for r in &rows {
        let s = r["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s), "{r}");
    }
    // Paragraph offsets are character offsets into the original text.
    let text: Vec<char> = format!("Æ {NNO}\n\n  {NOB}\n").chars().collect();
    let ps = rows[2]["paragraphs"].as_array().unwrap();
    assert_eq!(ps.len(), 2);
    let span = |p: &Value| -> String {
        let (s, e) = (
            p["start"].as_u64().unwrap() as usize,
            p["end"].as_u64().unwrap() as usize,
        );
        text[s..e].iter().collect()
    };
    assert_eq!(span(&ps[0]), format!("Æ {NNO}"));
    assert_eq!(span(&ps[1]), NOB);
    assert_eq!(ps[0]["lang"], "nno");
    assert_eq!(ps[1]["lang"], "nob");
}

#[test]
fn langid_lines_mode_labels_each_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("t.txt"),
        format!("{NOB}\n{NNO}\n\nThe patient was admitted yesterday with chest pain.\n"),
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &["-q", "langid", "--lines", "-i", "t.txt", "-o", "-"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let rows: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4, "one output line per input line");
    let got: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["lang"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(1, "nob"), (2, "nno"), (3, "unknown"), (4, "other")]);
    assert_eq!(rows[3]["other"], "eng");
}

#[test]
fn langid_needs_input_and_reports_bad_lines_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["langid", "--out", "x.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    fs::write(
        dir.path().join("bad.jsonl"),
        "{\"note_id\": \"a\", \"text\": \"ok\"}\n{\"note_id\": \"b\"}\n",
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &["langid", "-i", "bad.jsonl", "-o", "out.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(both(&o).contains("bad.jsonl:2"), "{}", both(&o));
    assert!(!dir.path().join("out.jsonl").exists(), "no partial output");
}

#[test]
fn langid_eval_prints_accuracy_confusion_and_throughput() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("gold.tsv"),
        format!("nob\t{NOB}\nnno\t{NNO}\nswe\tJag vet inte vad hon tycker om det.\nnno\t{NOB}\n"),
    )
    .unwrap();
    let o = run_in(dir.path(), &["langid", "eval", "--gold", "gold.tsv"]);
    assert!(o.status.success(), "{}", both(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("macro accuracy nob/nno: 0.7500"), "{out}");
    assert!(out.contains("confusion"), "{out}");
    assert!(out.contains("MB/s"), "{out}");
    let o = run_in(
        dir.path(),
        &["langid", "eval", "--gold", "gold.tsv", "--json"],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["report"]["per_label"]["nno"]["correct"], 1);
    assert_eq!(v["report"]["confusion"]["nno"]["nob"], 1);
}

#[test]
fn langid_eval_rejects_unknown_labels_without_quoting_text() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("gold.tsv"),
        "nob\tok\nnorsk\tKari Nordmann 010180\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["langid", "eval", "--gold", "gold.tsv"]);
    assert_eq!(o.status.code(), Some(2));
    let msg = both(&o);
    assert!(msg.contains("gold.tsv:2"), "{msg}");
    assert!(!msg.contains("Kari"), "{msg}");
}

#[test]
fn langid_stage_fills_lang_and_counts_by_doc_type() {
    let dir = tempfile::tempdir().unwrap();
    write_notes(dir.path());
    fs::write(
        dir.path().join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n\n[[stages]]\ntype = \"ingest\"\ninputs = [\"notes.jsonl\"]\n\n[[stages]]\ntype = \"langid\"\nmixed_min_score = 0.9\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["-q", "run", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    let stage = dir.path().join("run/02-langid");
    let mut reader = norclin::notes::NotesReader::open(stage.join("notes.parquet")).unwrap();
    let mut langs = Vec::new();
    while let Some(batch) = reader.next_batch().unwrap() {
        langs.extend(batch.into_iter().map(|n| (n.note_id, n.lang)));
    }
    let langs: Vec<(&str, Option<&str>)> = langs
        .iter()
        .map(|(i, l)| (i.as_str(), l.as_deref()))
        .collect();
    assert_eq!(
        langs,
        [
            ("n1", Some("nob")),
            ("n2", Some("nno")),
            ("n3", Some("mixed")),
            ("n4", Some("other")),
            ("n5", Some("unknown"))
        ]
    );
    assert_eq!(read_jsonl(&stage.join("langid.jsonl")).len(), 5);
    let report: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("run/report.json")).unwrap())
            .unwrap();
    let text = report.to_string();
    assert!(text.contains("by_doc_type"), "{text}");
    assert!(text.contains("nursing_note"), "{text}");
    assert!(text.contains("lang.nno"), "{text}");
    // Rerun: the stage is complete and skipped, outputs unchanged.
    let before = fs::read(stage.join("langid.jsonl")).unwrap();
    let o = run_in(dir.path(), &["-q", "run", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    assert_eq!(fs::read(stage.join("langid.jsonl")).unwrap(), before);
}

#[test]
fn langid_stage_config_errors_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    write_notes(dir.path());
    fs::write(
        dir.path().join("p.toml"),
        "version = 1\n\n[[stages]]\ntype = \"ingest\"\ninputs = [\"notes.jsonl\"]\n\n[[stages]]\ntype = \"langid\"\nmixed_min_share = 0.9\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["validate", "p.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(both(&o).contains("mixed_min_share"), "{}", both(&o));
}

/// Accuracy floors on the dev sets shipped in `rules/langid/eval/` (the
/// model is tuned on the `tune` half only; these read the held-out half).
/// A change to the model or the classifier that loses accuracy fails here.
#[test]
fn langid_dev_set_accuracy_floors() {
    let langid = Langid::new(LangidConfig::default()).unwrap();
    let score = |file: &str| {
        let path = repo_path(&format!("rules/langid/eval/{file}"));
        let items = parse_gold(&fs::read_to_string(&path).unwrap(), file).unwrap();
        evaluate(&langid, &items, 1)
    };
    let docs = score("docs.heldout.tsv");
    assert!(
        docs.macro_nob_nno.unwrap() >= 0.995,
        "docs {:?}",
        docs.macro_nob_nno
    );
    let sentences = score("sentences.heldout.tsv");
    assert!(
        sentences.macro_nob_nno.unwrap() >= 0.92,
        "sentences {:?}",
        sentences.macro_nob_nno
    );
    for other in ["swe", "dan", "eng"] {
        assert!(
            sentences.per_label[other].accuracy >= 0.92,
            "{other}: {:?}",
            sentences.per_label[other]
        );
    }
    let snippets = score("snippets.heldout.tsv");
    assert!(
        snippets.macro_nob_nno.unwrap() >= 0.85,
        "snippets {:?}",
        snippets.macro_nob_nno
    );
    // 59 of 60: the one miss is a line both standards write alike. Marker-
    // free bokmål lines turning nynorsk (shared words with small nynorsk
    // weights adding up) fail here.
    let clinical = score("clinical.dev.tsv");
    assert!(
        clinical.macro_nob_nno.unwrap() >= 0.98,
        "clinical {:?}",
        clinical.macro_nob_nno
    );
}
