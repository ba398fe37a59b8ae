//! Hostile inputs for ingest: every malformed or adversarial source gives a
//! clear error naming the file or a quarantined row with a reason — never a
//! panic, a hang or a lost row.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Output;

use crate::common::{both, run_in};

/// Runs ingest on `files` in `dir`; asserts no panic and, on success, that
/// rows are conserved. Returns the output and the report (if any).
fn ingest(dir: &Path, files: &[&str], extra: &[&str]) -> (Output, Option<serde_json::Value>) {
    let _ = fs::remove_dir_all(dir.join("out"));
    let mut args = vec!["ingest", "--out", "out", "--input"];
    args.extend_from_slice(files);
    args.extend_from_slice(extra);
    let o = run_in(dir, &args);
    let text = both(&o);
    assert!(!text.contains("panicked"), "panic: {text}");
    assert!(
        matches!(o.status.code(), Some(0) | Some(1) | Some(2)),
        "{text}"
    );
    let report = fs::read(dir.join("out/report.json"))
        .ok()
        .map(|b| serde_json::from_slice::<serde_json::Value>(&b).unwrap());
    if let Some(r) = &report {
        let s = &r["stages"][0];
        let q: u64 = s["quarantined"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(
            s["rows_in"].as_u64().unwrap(),
            s["rows_out"].as_u64().unwrap() + q,
            "rows lost: {s}"
        );
    }
    (o, report)
}

fn quarantined(r: &serde_json::Value, reason: &str) -> u64 {
    r["stages"][0]["quarantined"][reason].as_u64().unwrap_or(0)
}

fn line(id: &str, text: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({"note_id": id, "patient_id": "p", "text": text})
    )
}

#[test]
fn invalid_utf8_nul_bytes_and_bom() {
    let t = tempfile::tempdir().unwrap();
    let mut b = b"\xEF\xBB\xBF".to_vec();
    b.extend(line("a", "ok").as_bytes());
    b.extend(b"{\"note_id\":\"b\",\"patient_id\":\"p\",\"text\":\"\xc3\x28\"}\n");
    b.extend(line("c", "nul\u{0}inne").as_bytes());
    b.extend(b"\x00\x00\x00\n");
    fs::write(t.path().join("x.jsonl"), b).unwrap();
    let (o, r) = ingest(t.path(), &["x.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(r["stages"][0]["rows_out"], 1);
    assert_eq!(quarantined(&r, "invalid_utf8"), 1);
    assert_eq!(quarantined(&r, "nul_in_text"), 1);
    assert_eq!(quarantined(&r, "malformed_json"), 1);
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    let t = tempfile::tempdir().unwrap();
    let s = format!(
        "{}\r\n{}\r\n",
        line("a", "en\r\nto").trim_end(),
        line("b", "en\rto").trim_end()
    );
    fs::write(t.path().join("x.jsonl"), s).unwrap();
    fs::write(
        t.path().join("y.csv"),
        "note_id,patient_id,text\r\nc,p,\"en\r\nto\"\r\n",
    )
    .unwrap();
    let (o, r) = ingest(t.path(), &["x.jsonl", "y.csv"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(r["stages"][0]["rows_out"], 3);
    assert_eq!(
        r["stages"][0]["counters"]["text_line_endings_normalised"],
        3
    );
}

#[test]
fn a_50_mb_single_note_is_read_or_quarantined_by_limit() {
    let t = tempfile::tempdir().unwrap();
    let big = "Lang tekst. ".repeat(50 * 1024 * 1024 / 12);
    fs::write(
        t.path().join("x.jsonl"),
        line("big", &big) + &line("small", "kort"),
    )
    .unwrap();
    let (o, r) = ingest(t.path(), &["x.jsonl"], &["--max-text-bytes", "100000000"]);
    assert!(o.status.success(), "{}", both(&o));
    assert_eq!(r.unwrap()["stages"][0]["rows_out"], 2);
    let (o, r) = ingest(t.path(), &["x.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(quarantined(&r, "text_too_large"), 1);
    assert_eq!(r["stages"][0]["rows_out"], 1);
}

#[test]
fn a_million_tiny_notes() {
    let t = tempfile::tempdir().unwrap();
    let mut f = std::io::BufWriter::new(fs::File::create(t.path().join("x.jsonl")).unwrap());
    for i in 0..1_000_000 {
        writeln!(
            f,
            "{{\"note_id\":\"{i}\",\"patient_id\":\"p\",\"text\":\"x\"}}"
        )
        .unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let (o, r) = ingest(t.path(), &["x.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    assert_eq!(r.unwrap()["stages"][0]["rows_out"], 1_000_000);
}

#[test]
fn deeply_nested_and_huge_json_values_and_wrong_types() {
    let t = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{\"note_id\":\"d\",\"patient_id\":\"p\",\"text\":\"x\",\"extra\":{}{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let huge_extra = format!(
        "{{\"note_id\":\"h\",\"patient_id\":\"p\",\"text\":\"x\",\"blob\":\"{}\"}}\n",
        "z".repeat(5_000_000)
    );
    let wrong = "{\"note_id\":[1],\"patient_id\":\"p\",\"text\":\"x\"}\n{\"note_id\":\"w\",\"patient_id\":\"p\",\"text\":{\"a\":1}}\n{\"note_id\":12,\"patient_id\":3,\"text\":\"tall-id\"}\n";
    fs::write(
        t.path().join("x.jsonl"),
        format!("{deep}{huge_extra}{wrong}\"just a string\"\n"),
    )
    .unwrap();
    let (o, r) = ingest(t.path(), &["x.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(quarantined(&r, "malformed_json"), 1, "{r}");
    assert_eq!(quarantined(&r, "invalid_field_type"), 2, "{r}");
    assert_eq!(quarantined(&r, "not_an_object"), 1, "{r}");
    assert_eq!(r["stages"][0]["rows_out"], 2, "{r}");
}

#[test]
fn missing_and_extra_columns() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("a.csv"),
        "note_id,patient_id,text,extra1,extra2\n1,p,tekst,x,y\n2,p\n3,p,tekst,x,y,z\n",
    )
    .unwrap();
    fs::write(t.path().join("b.jsonl"), "{\"note_id\":\"4\",\"text\":\"ingen pasient\"}\n{\"patient_id\":\"p\",\"text\":\"ingen id\"}\n").unwrap();
    let (o, r) = ingest(t.path(), &["a.csv", "b.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(quarantined(&r, "wrong_field_count"), 2);
    assert_eq!(quarantined(&r, "missing_patient_id"), 1);
    assert_eq!(quarantined(&r, "missing_note_id"), 1);
    fs::write(t.path().join("c.csv"), "id,text\n1,x\n").unwrap();
    let (o, _) = ingest(t.path(), &["c.csv"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(both(&o).contains("c.csv"), "{}", both(&o));
}

#[test]
fn truncated_corrupted_and_non_parquet_files_are_named() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("ok.jsonl"),
        line("a", "tekst") + &line("b", "tekst"),
    )
    .unwrap();
    let (o, _) = ingest(t.path(), &["ok.jsonl"], &[]);
    assert!(o.status.success());
    let good = fs::read(t.path().join("out/notes.parquet")).unwrap();
    fs::write(t.path().join("good.parquet"), &good).unwrap();
    fs::write(t.path().join("truncated.parquet"), &good[..good.len() - 10]).unwrap();
    let mut corrupt = good.clone();
    for b in corrupt.iter_mut().skip(8).take(200) {
        *b ^= 0x5a;
    }
    fs::write(t.path().join("corrupt.parquet"), &corrupt).unwrap();
    fs::write(
        t.path().join("garbage.parquet"),
        b"\x89PNG\r\n\x1a\n not parquet at all",
    )
    .unwrap();
    fs::write(t.path().join("empty.parquet"), b"").unwrap();
    for name in [
        "truncated.parquet",
        "corrupt.parquet",
        "garbage.parquet",
        "empty.parquet",
    ] {
        let (o, _) = ingest(t.path(), &[name], &[]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", both(&o));
        assert!(both(&o).contains(name), "{name}: {}", both(&o));
    }
    let (o, r) = ingest(
        t.path(),
        &["truncated.parquet", "corrupt.parquet", "good.parquet"],
        &["--keep-going"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(
        r["stages"][0]["failed_files"].as_array().unwrap().len(),
        2,
        "{r}"
    );
    assert_eq!(r["stages"][0]["rows_out"], 2);
}

#[test]
fn empty_inputs() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("e.jsonl"), "").unwrap();
    fs::write(t.path().join("blank.jsonl"), "\n\n  \n").unwrap();
    fs::create_dir(t.path().join("emptydir")).unwrap();
    let (o, r) = ingest(t.path(), &["e.jsonl", "blank.jsonl", "emptydir"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    assert_eq!(r.unwrap()["stages"][0]["rows_in"], 0);
    fs::write(t.path().join("e.csv"), "").unwrap();
    let (o, _) = ingest(t.path(), &["e.csv"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        both(&o).contains("e.csv") && both(&o).contains("no header"),
        "{}",
        both(&o)
    );
}

#[test]
fn duplicate_ids_across_files_and_formats() {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("a.jsonl"),
        line("same", "en") + &line("same", "to"),
    )
    .unwrap();
    fs::write(
        t.path().join("b.csv"),
        "note_id,patient_id,text\nsame,p,tre\n",
    )
    .unwrap();
    let (o, r) = ingest(t.path(), &["a.jsonl", "b.csv"], &[]);
    assert!(o.status.success());
    let r = r.unwrap();
    assert_eq!(quarantined(&r, "duplicate_note_id"), 2);
    assert_eq!(r["stages"][0]["rows_out"], 1);
}

#[test]
fn dates_in_year_0_and_9999_and_nonsense() {
    let t = tempfile::tempdir().unwrap();
    let mut s = String::new();
    for (i, d) in [
        "0000-01-01",
        "9999-12-31",
        "2021-02-30",
        "31.12.1899",
        "2021-13-01",
        "12.03.2021",
        "-5",
    ]
    .iter()
    .enumerate()
    {
        s.push_str(&format!("{}\n", serde_json::json!({"note_id": i.to_string(), "patient_id": "p", "written_at": d, "text": "x"})));
    }
    fs::write(t.path().join("d.jsonl"), s).unwrap();
    let (o, r) = ingest(t.path(), &["d.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    let r = r.unwrap();
    assert_eq!(r["stages"][0]["rows_out"], 1);
    assert_eq!(
        quarantined(&r, "date_out_of_range") + quarantined(&r, "unparsable_date"),
        6
    );
}

#[test]
fn right_to_left_combining_and_zero_width_text_survives_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let texts = [
        "مرحبا بالعالم \u{202e}gnp.exe",
        "Åse\u{0301} o\u{0308}",
        "1305\u{200b}58 01432 \u{feff}midt",
    ];
    let s: String = texts
        .iter()
        .enumerate()
        .map(|(i, x)| line(&i.to_string(), x))
        .collect();
    fs::write(t.path().join("u.jsonl"), s).unwrap();
    let (o, r) = ingest(t.path(), &["u.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    assert_eq!(r.unwrap()["stages"][0]["rows_out"], 3);
    let mut reader = norclin::notes::NotesReader::open(t.path().join("out/notes.parquet")).unwrap();
    let notes = reader.next_batch().unwrap().unwrap();
    for (n, want) in notes.iter().zip(texts) {
        assert_eq!(n.text.as_str(), want);
    }
}

#[test]
fn binary_garbage_as_jsonl_and_csv() {
    let t = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(t.path().join("g.jsonl"), &garbage).unwrap();
    fs::write(t.path().join("g.csv"), &garbage).unwrap();
    let (o, r) = ingest(t.path(), &["g.jsonl"], &[]);
    assert!(o.status.success(), "{}", both(&o));
    assert_eq!(r.unwrap()["stages"][0]["rows_out"], 0);
    let (o, _) = ingest(t.path(), &["g.csv"], &[]);
    assert!(matches!(o.status.code(), Some(1)), "{}", both(&o));
}

#[test]
fn in_memory_scan_of_arbitrary_bytes_never_loses_rows() {
    use norclin::ingest::{IngestConfig, InputFormat, scan_bytes};
    let config: IngestConfig = toml::from_str("inputs = []").unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let valid = b"{\"note_id\":\"a\",\"patient_id\":\"p\",\"text\":\"x\"}\nnote_id,patient_id,text\n1,2,3\n".to_vec();
    for round in 0..300 {
        let mut bytes = valid.clone();
        for _ in 0..(round % 17) {
            let i = (next() as usize) % bytes.len();
            bytes[i] = next() as u8;
        }
        for format in [
            InputFormat::Jsonl,
            InputFormat::Csv,
            InputFormat::Parquet,
            InputFormat::Txt,
        ] {
            if let Ok(s) = scan_bytes(format, bytes.clone(), &config) {
                assert_eq!(
                    s.rows,
                    s.notes + s.rejected.values().sum::<u64>(),
                    "{format:?} round {round}"
                );
            }
        }
    }
    let s = scan_bytes(InputFormat::Jsonl, valid, &config).unwrap();
    assert_eq!((s.rows, s.notes), (3, 1), "{s:?}");
}
