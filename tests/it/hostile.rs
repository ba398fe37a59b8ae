//! Hostile inputs for every reader and stage: every malformed or
//! adversarial source gives a clear error naming the file or a quarantined
//! row with a reason — never a panic, a hang or a lost row. The first part
//! feeds ingest; the second (`stages_*`) pushes hostile note texts through
//! deid, langid and tokenize, where the regexes, gazetteers and tokenizer
//! meet them.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{both, conserved, run_in, total};

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
        conserved(&r["stages"][0]);
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

// ---------------------------------------------------------------------------
// Hostile note texts through deid, langid and tokenize.

/// Runs ingest → deid → langid → tokenize (`note` mode, a vocabulary
/// trained on the notes) over `texts`, one note each, within `limit`.
/// Asserts no panic, success, rows conserved in every stage, and that
/// tokenize accounts for every note (with tokens, or dropped with a
/// reason). Returns the run report.
fn through_all_stages(texts: &[String], limit: Duration) -> serde_json::Value {
    let t = tempfile::tempdir().unwrap();
    let lines: String = texts
        .iter()
        .enumerate()
        .map(|(i, x)| line(&format!("h{i}"), x))
        .collect();
    fs::write(t.path().join("h.jsonl"), lines).unwrap();
    fs::write(
        t.path().join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n\
         [[stages]]\ntype = \"ingest\"\ninputs = [\"h.jsonl\"]\n\
         [[stages]]\ntype = \"deid\"\ndemo_key = true\n\
         [[stages]]\ntype = \"langid\"\n\
         [[stages]]\ntype = \"tokenize\"\nvocab_size = 300\nmax_len = 128\nmode = \"note\"\n",
    )
    .unwrap();
    let t0 = Instant::now();
    let o = run_in(t.path(), &["-q", "run", "p.toml"]);
    let took = t0.elapsed();
    let text = both(&o);
    assert!(!text.contains("panicked"), "panic: {text}");
    assert!(o.status.success(), "{text}");
    assert!(took < limit, "took {took:?}, limit {limit:?}");
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(t.path().join("run/report.json")).unwrap()).unwrap();
    let stages = r["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 4);
    for s in stages {
        conserved(s);
    }
    for pair in stages.windows(2) {
        assert_eq!(
            pair[0]["rows_out"], pair[1]["rows_in"],
            "{}",
            pair[1]["name"]
        );
    }
    let d = &stages[3]["details"];
    let with_tokens: u64 = d["splits"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["notes"].as_u64().unwrap())
        .sum();
    let dropped = total(&d["dropped_notes"]);
    assert_eq!(
        d["notes_in"].as_u64().unwrap(),
        with_tokens + dropped,
        "tokenize lost notes: {d}"
    );
    assert_eq!(d["notes_in"], stages[2]["rows_out"]);
    r
}

#[test]
fn stages_survive_pathological_regex_inputs() {
    let texts = vec![
        "1".repeat(2 << 20),
        "1 ".repeat(1 << 19),
        "Ola ".repeat(500_000),
        "a".repeat(1 << 20),
        ".".repeat(1 << 19) + &"-.,;:!?/".repeat(1 << 16),
        "(".repeat(100_000) + "Kari Nordmann" + &")".repeat(100_000),
        "12.03.2021".repeat(50_000),
        "@".repeat(100_000) + "a@b." + &"a.".repeat(100_000),
        "http://".repeat(50_000),
        "Pasienten er frisk.".to_string(),
    ];
    let r = through_all_stages(&texts, Duration::from_secs(60));
    assert_eq!(r["stages"][0]["rows_out"], texts.len() as u64);
    assert_eq!(r["stages"][3]["details"]["notes_in"], texts.len() as u64);
}

#[test]
fn stages_survive_control_bidi_combining_and_empty_after_ingest_texts() {
    let texts = vec![
        "nul\u{0}inne\u{0}i\u{1}teksten\u{7f}\u{1b}[31m".to_string(),
        "\u{200b}\u{200b}\u{feff}\u{2060}".to_string(),
        "\u{0301}\u{0308}\u{0301}".repeat(10_000),
        "مرحبا \u{202e}Kari Nordmann\u{202c} \u{2067}1305\u{200b}58 01432".to_string(),
        "   \n\t  ".to_string(),
        String::new(),
        "\u{fffd}\u{fffe}\u{10ffff}".repeat(1000),
        "\r\r\r\n\u{2028}\u{2029}".repeat(1000),
        "Ola\u{0}Nordmann 13055801432\u{0}".to_string(),
    ];
    let r = through_all_stages(&texts, Duration::from_secs(30));
    let ingest = &r["stages"][0];
    assert_eq!(ingest["rows_in"], texts.len() as u64);
    assert!(
        ingest["quarantined"]["empty_text"].as_u64().unwrap() >= 2,
        "{ingest}"
    );
}

#[test]
fn deid_verb_sees_through_zero_width_characters_inside_identifiers() {
    let t = tempfile::tempdir().unwrap();
    let zw = [
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}',
    ];
    let lines: String = zw
        .iter()
        .enumerate()
        .map(|(i, z)| {
            line(
                &format!("z{i}"),
                &format!("Fødselsnummer 1305{z}58 01432 ble sjekket."),
            )
        })
        .collect();
    fs::write(t.path().join("z.jsonl"), lines).unwrap();
    let o = run_in(
        t.path(),
        &["deid", "--demo-key", "--input", "z.jsonl", "--out", "out"],
    );
    assert!(o.status.success(), "{}", both(&o));
    let notes = fs::read_to_string(t.path().join("out/notes.jsonl")).unwrap();
    let spans = fs::read_to_string(t.path().join("out/spans.jsonl")).unwrap();
    assert_eq!(notes.lines().count(), zw.len());
    for (n, z) in notes.lines().zip(zw) {
        let v: serde_json::Value = serde_json::from_str(n).unwrap();
        let text = v["text"].as_str().unwrap();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        assert!(!digits.contains("1305"), "U+{:04X}: digits kept", z as u32);
        assert!(!digits.contains("01432"), "U+{:04X}: digits kept", z as u32);
        assert!(
            !text.contains(z),
            "U+{:04X} kept inside the surrogate",
            z as u32
        );
        assert!(text.starts_with("Fødselsnummer ") && text.ends_with(" ble sjekket."));
    }
    // Character offsets into the original: `Fødselsnummer ` is 14 characters,
    // the identifier 12 (eleven digits and the space) plus the invisible one.
    let fnr: Vec<serde_json::Value> = spans
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["label"] == "NATIONAL_ID")
        .collect();
    assert_eq!(fnr.len(), zw.len(), "{spans}");
    for v in &fnr {
        assert_eq!(
            (v["start"].as_u64(), v["end"].as_u64()),
            (Some(14), Some(27)),
            "{v}"
        );
    }
    assert!(!spans.contains("01432"));
}

/// The checks of the `deid_detect` fuzz target (fuzz/fuzz_targets/), on
/// texts generated from identifier-shaped fragments, invisible characters,
/// control characters and arbitrary bytes, so they also run without
/// cargo-fuzz.
#[test]
fn deid_detector_invariants_on_generated_texts() {
    use norclin::deid::gazetteer::{ExtraLists, Gazetteer};
    use norclin::deid::rules::RuleSet;
    use norclin::deid::{Detector, Key, Policy, Scope, Surrogates};
    let detector = Detector::new(
        RuleSet::load(&[]).unwrap(),
        Gazetteer::build(&ExtraLists::default()),
        None,
    );
    let surrogates = Surrogates::new(
        Key::new(b"fuzzing key, not secret".to_vec()).unwrap(),
        Scope::Patient,
        Policy::default(),
    );
    let fragments = [
        "Kari",
        "Nordmann",
        "Ola",
        "dr.",
        "13055801432",
        "1305",
        "58",
        "01432",
        "22 11 33 44",
        "12.03.2021",
        "12. mars 2021",
        "@",
        "http://",
        ".no",
        "Storgata 5",
        "0155 Oslo",
        "Lovisenberg sykehus",
        " ",
        "  ",
        "\n",
        ".",
        ",",
        "-",
        "(",
        ")",
        "\u{200B}",
        "\u{00AD}",
        "\u{FEFF}",
        "\u{2060}",
        "\u{0}",
        "\u{202E}",
        "\u{0301}",
        "Å",
        "ß",
        "İ",
        "\u{10FFFF}",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3000 {
        let mut text = String::new();
        for _ in 0..(next() % 24) {
            if next() % 8 == 0 {
                let bytes: Vec<u8> = (0..next() % 6).map(|_| next() as u8).collect();
                text.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                text.push_str(fragments[(next() as usize) % fragments.len()]);
            }
        }
        let dets = detector.detect(&text, "p");
        let mut at = 0;
        for d in &dets {
            assert!(
                d.start >= at && d.start < d.end && d.end <= text.len(),
                "round {round}: {dets:?}"
            );
            assert!(text.is_char_boundary(d.start) && text.is_char_boundary(d.end));
            at = d.end;
        }
        let (out, reps) = surrogates.apply(&text, &dets, "n", "p", &[]);
        assert_eq!(reps.len(), dets.len());
        match (dets.first(), dets.last()) {
            (Some(first), Some(last)) => {
                assert!(out.starts_with(&text[..first.start]), "round {round}");
                assert!(out.ends_with(&text[last.end..]), "round {round}");
            }
            _ => assert_eq!(out, text),
        }
    }
}
