//! Ingest: every reader, every quarantine reason, conservation of rows,
//! unreadable files.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use norclin::notes::{DocType, Note, NotesReader};

use crate::common::{both, conserved, repo_path, run_in};

fn read_notes(path: &Path) -> Vec<Note> {
    let mut r = NotesReader::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(b) = r.next_batch().unwrap() {
        out.extend(b);
    }
    out
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn quarantine_reasons(dir: &Path) -> Vec<(String, String)> {
    fs::read_to_string(dir.join("quarantine.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["reason"].as_str().unwrap().to_string(),
                v["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A JSONL file with one good note and one of each kind of bad row.
fn broken_jsonl(dir: &Path) -> std::path::PathBuf {
    let mut bytes: Vec<u8> = Vec::new();
    bytes.extend_from_slice(b"\xEF\xBB\xBF{\"note_id\":\"a1\",\"patient_id\":\"p1\",\"doc_type\":\"Epikrise\",\"written_at\":\"2021-03-12\",\"text\":\"Pasienten er utskrevet.\"}\n");
    bytes.extend_from_slice(
        b"{\"note_id\":\"a2\",\"patient_id\":\"p1\",\"text\":\"ugyldig \xff\xfe tekst\"}\n",
    );
    bytes.extend_from_slice(b"{\"note_id\":\"a3\",\"patient_id\":\"p1\"}\n");
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(b"{\"note_id\":\"a1\",\"patient_id\":\"p2\",\"text\":\"Duplikat.\"}\n");
    bytes.extend_from_slice(b"{\"note_id\":\"a4\",\"patient_id\":\"p2\",\"written_at\":\"i forgars\",\"text\":\"Dato feil.\"}\n");
    bytes.extend_from_slice(b"{\"note_id\":\"a5\",\"patient_id\":\"p2\",\"text\":\"   \"}\n");
    bytes.extend_from_slice(b"{\"note_id\":\"a6\",\"patient_id\":\"p3\",\"doc_type\":\"sykepleienotat\",\"text\":\"Sover godt.\\r\\nBT 120/80.\"}\r\n");
    bytes.extend_from_slice(b"{\"note_id\":\"a7\",\"patient_id\":\"p3\",\"text\":\"Avkuttet");
    let p = dir.join("broken.jsonl");
    fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn broken_jsonl_conserves_rows_and_names_every_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let input = broken_jsonl(tmp.path());
    let fixtures = repo_path("fixtures/notes.jsonl");
    let out = tmp.path().join("out");
    // The 40 fixture notes and the broken file, in one ingest.
    let o = run_in(
        tmp.path(),
        &[
            "ingest",
            "--input",
            fixtures.to_str().unwrap(),
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", both(&o));

    let r = report(&out);
    let st = &r["stages"][0];
    assert_eq!(st["rows_in"], 40 + 8, "{st}");
    assert_eq!(st["rows_out"], 40 + 2, "{st}");
    let reasons: BTreeSet<String> = quarantine_reasons(&out)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let expected: BTreeSet<String> = [
        "invalid_utf8",
        "missing_text",
        "duplicate_note_id",
        "unparsable_date",
        "empty_text",
        "malformed_json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(reasons, expected);
    conserved(st);

    // Locators point at the physical line of each bad row.
    let by_reason: std::collections::BTreeMap<_, _> =
        quarantine_reasons(&out).into_iter().collect();
    assert!(
        by_reason["invalid_utf8"].ends_with("broken.jsonl:2"),
        "{by_reason:?}"
    );
    assert!(
        by_reason["duplicate_note_id"].ends_with("broken.jsonl:5"),
        "{by_reason:?}"
    );
    assert!(
        by_reason["malformed_json"].ends_with("broken.jsonl:9"),
        "{by_reason:?}"
    );

    let all = read_notes(&out.join("notes.parquet"));
    assert_eq!(all.len(), 42);
    let notes: Vec<&Note> = all
        .iter()
        .filter(|n| n.source.contains("broken.jsonl"))
        .collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].doc_type, DocType::DischargeSummary);
    assert_eq!(notes[1].text.as_str(), "Sover godt.\nBT 120/80.");
    assert!(notes[0].written_at.is_some());
    // The quarantine file never carries note text.
    let q = fs::read_to_string(out.join("quarantine.jsonl")).unwrap();
    assert!(!q.contains("Duplikat") && !q.contains("Avkuttet"), "{q}");
}

#[test]
fn csv_with_mapped_columns_semicolons_and_quoted_newlines() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("export.csv");
    fs::write(
        &p,
        "dok_id;pasient_id;dokumenttype;dato;notat_tekst\n\
         D1;P1;Operasjonsbeskrivelse;12.03.2021 09:15;\"Linje en;\nlinje \"\"to\"\"\"\n\
         D2;P1;Ukjent type;;Kort notat\n\
         D3;P2;henvisning\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = run_in(
        tmp.path(),
        &[
            "ingest",
            "--input",
            "export.csv",
            "--out",
            "out",
            "--column",
            "note_id=dok_id",
            "--column",
            "patient_id=pasient_id",
            "--column",
            "doc_type=dokumenttype",
            "--column",
            "written_at=dato",
            "--column",
            "text=notat_tekst",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let notes = read_notes(&out.join("notes.parquet"));
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].text.as_str(), "Linje en;\nlinje \"to\"");
    assert_eq!(notes[0].doc_type, DocType::SurgicalReport);
    assert_eq!(notes[1].doc_type, DocType::Other);
    assert_eq!(report(&out)["stages"][0]["counters"]["doc_type_unknown"], 1);
    assert_eq!(quarantine_reasons(&out)[0].0, "wrong_field_count");
}

#[test]
fn txt_folder_takes_metadata_from_sidecar_and_file_names() {
    let tmp = tempfile::tempdir().unwrap();
    let notes_dir = tmp.path().join("notater");
    fs::create_dir_all(&notes_dir).unwrap();
    fs::write(notes_dir.join("P7_N1.txt"), "Pasienten vart innlagd i går.").unwrap();
    fs::write(notes_dir.join("P7_N2.txt"), "Sår tilhelet.").unwrap();
    fs::write(notes_dir.join("P8_N3.txt"), b"Ugyldig \xff").unwrap();
    fs::write(
        tmp.path().join("meta.csv"),
        "file,doc_type,written_at\nP7_N1.txt,innkomstjournal,2020-01-02\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n[[stages]]\ntype = \"ingest\"\ninputs = [\"notater\"]\n[stages.txt]\nsidecar = \"meta.csv\"\nfilename_pattern = \"{patient_id}_{note_id}\"\n",
    )
    .unwrap();
    let o = run_in(tmp.path(), &["run", "p.toml"]);
    assert!(o.status.success(), "{}", both(&o));
    let notes = read_notes(&tmp.path().join("run/01-ingest/notes.parquet"));
    assert_eq!(notes.len(), 2);
    assert_eq!(
        (notes[0].note_id.as_str(), notes[0].patient_id.as_str()),
        ("N1", "P7")
    );
    assert_eq!(notes[0].doc_type, DocType::AdmissionNote);
    assert!(notes[0].written_at.is_some());
    assert_eq!(notes[1].doc_type, DocType::Other);
    assert_eq!(
        quarantine_reasons(&tmp.path().join("run/01-ingest"))[0].0,
        "invalid_utf8"
    );
}

#[test]
fn parquet_output_reads_back_as_input() {
    let tmp = tempfile::tempdir().unwrap();
    let input = broken_jsonl(tmp.path());
    let o = run_in(
        tmp.path(),
        &["ingest", "--input", input.to_str().unwrap(), "--out", "a"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let o = run_in(
        tmp.path(),
        &["ingest", "--input", "a/notes.parquet", "--out", "b"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let a = read_notes(&tmp.path().join("a/notes.parquet"));
    let b = read_notes(&tmp.path().join("b/notes.parquet"));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (&x.note_id, &x.patient_id, x.doc_type, x.written_at, &x.text),
            (&y.note_id, &y.patient_id, y.doc_type, y.written_at, &y.text)
        );
    }
}

#[test]
fn unreadable_file_is_an_error_naming_it_unless_keep_going() {
    let tmp = tempfile::tempdir().unwrap();
    let good = broken_jsonl(tmp.path());
    // A truncated Parquet file: the head of a real one.
    let o = run_in(
        tmp.path(),
        &["ingest", "--input", good.to_str().unwrap(), "--out", "a"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let full = fs::read(tmp.path().join("a/notes.parquet")).unwrap();
    fs::write(tmp.path().join("cut.parquet"), &full[..full.len() / 2]).unwrap();

    let o = run_in(
        tmp.path(),
        &[
            "ingest",
            "--input",
            "cut.parquet",
            "broken.jsonl",
            "--out",
            "b",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(both(&o).contains("cut.parquet"), "{}", both(&o));
    assert!(
        !tmp.path().join("b/notes.parquet").exists(),
        "no output is published on failure"
    );

    let o = run_in(
        tmp.path(),
        &[
            "ingest",
            "--keep-going",
            "--input",
            "cut.parquet",
            "broken.jsonl",
            "--out",
            "c",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let r = report(&tmp.path().join("c"));
    assert_eq!(r["stages"][0]["rows_out"], 2);
    assert!(
        r["stages"][0]["failed_files"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("cut.parquet")
    );
}

#[test]
fn missing_required_column_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("x.csv"), "id,pid,body\n1,2,tekst\n").unwrap();
    let o = run_in(tmp.path(), &["ingest", "--input", "x.csv", "--out", "o"]);
    assert_eq!(o.status.code(), Some(1));
    let msg = both(&o);
    assert!(
        msg.contains("x.csv") && msg.contains("`note_id`") && msg.contains("id, pid, body"),
        "{msg}"
    );
}

#[test]
fn output_matches_the_published_notes_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let input = broken_jsonl(tmp.path());
    let o = run_in(
        tmp.path(),
        &["ingest", "--input", input.to_str().unwrap(), "--out", "a"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let file = fs::File::open(tmp.path().join("a/notes.parquet")).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema();
    let published: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(crate::common::repo_path("schemas/notes.v1.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let expected: Vec<&str> = published["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    for (f, j) in schema
        .fields()
        .iter()
        .zip(published["fields"].as_array().unwrap())
    {
        assert_eq!(
            f.is_nullable(),
            j["nullable"].as_bool().unwrap(),
            "{}",
            f.name()
        );
    }
}

#[test]
fn fixture_csv_and_txt_exports_read_the_same_notes_as_the_jsonl() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let o = run_in(
        &crate::common::repo(),
        &[
            "ingest",
            "--input",
            "fixtures/notes.jsonl",
            "--out",
            a.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let o = run_in(
        &crate::common::repo(),
        &[
            "run",
            "pipelines/hospital_export.toml",
            "--run-dir",
            b.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let jsonl = read_notes(&a.join("notes.parquet"));
    let export = read_notes(&b.join("01-ingest/notes.parquet"));
    assert_eq!(jsonl.len(), 40);
    assert_eq!(export.len(), jsonl.len());
    for (x, y) in jsonl.iter().zip(&export) {
        assert_eq!(
            (
                &x.note_id,
                &x.patient_id,
                x.doc_type,
                x.written_at,
                &x.department,
                &x.text
            ),
            (
                &y.note_id,
                &y.patient_id,
                y.doc_type,
                y.written_at,
                &y.department,
                &y.text
            )
        );
    }
    // The .txt copies of the first ten notes are duplicates, quarantined.
    let reasons = quarantine_reasons(&b.join("01-ingest"));
    assert_eq!(reasons.len(), 10);
    assert!(
        reasons
            .iter()
            .all(|(r, src)| r == "duplicate_note_id" && src.contains("fixtures/txt/P0")),
        "{reasons:?}"
    );
}
