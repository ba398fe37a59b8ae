//! Tokenize: shards, manifests, patient splits, resumability, the reader.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use norclin::notes::{DocType, Note, NoteText, NotesWriter};
use norclin::shard::{
    Manifest, ReaderOptions, ReaderPosition, ShardFile, ShardReader, Split, TokenSequence,
};

use crate::common::{both, norclin};

const WORDS: &[&str] = &[
    "pasienten",
    "ble",
    "innlagt",
    "på",
    "sykehuset",
    "med",
    "brystsmerter",
    "og",
    "tung",
    "pust",
    "hun",
    "fikk",
    "behandling",
    "intensiven",
    "utskrevet",
    "i",
    "går",
    "såret",
    "gror",
    "fint",
    "kontroll",
    "poliklinikken",
    "om",
    "to",
    "uker",
    "blodprøver",
    "tas",
    "før",
    "søvnig",
    "men",
    "vaken",
    "orientert",
    "kvelden",
    "smerter",
    "ikkje",
    "eg",
    "sjukepleiar",
    "hjartesvikt",
    "røntgen",
    "thorax",
    "viste",
    "ingen",
    "fortetninger",
    "CRP",
    "45",
    "mg/L",
    "Paracet",
    "1g",
    "x",
    "4",
    "mobilisert",
    "til",
    "stol",
];

/// Deterministic synthetic notes: `patients` patients, 5 notes each, some
/// long (several sequences), one whitespace-only.
pub fn synthetic_notes(patients: usize) -> Vec<(Note, String)> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::new();
    for p in 0..patients {
        for k in 0..5 {
            let i = p * 5 + k;
            let words = if i % 17 == 3 {
                700
            } else {
                20 + (next() % 120) as usize
            };
            let mut text = String::new();
            for w in 0..words {
                let word = WORDS[(next() % WORDS.len() as u64) as usize];
                if w > 0 {
                    text.push(' ');
                }
                text.push_str(word);
                if next() % 9 == 0 {
                    text.push('.');
                }
            }
            if i == 7 {
                text = "   \n ".into();
            }
            let lang = match i % 3 {
                0 => Some("nob".to_string()),
                1 => Some("nno".to_string()),
                _ => None,
            };
            let note = Note {
                note_id: format!("n{i:05}"),
                patient_id: format!("p{p:04}"),
                doc_type: DocType::ALL[i % 4],
                written_at: None,
                department: None,
                source: format!("synthetic:{i}"),
                lang,
                text: NoteText(text),
            };
            out.push((note, format!("p{p:04}")));
        }
    }
    out
}

fn write_notes(dir: &Path, patients: usize) -> PathBuf {
    let path = dir.join("notes.parquet");
    let mut w = NotesWriter::create(&path).unwrap();
    for (n, _) in synthetic_notes(patients) {
        w.write(n).unwrap();
    }
    w.finish().unwrap();
    path
}

fn tokenize(cwd: &Path, args: &[&str]) {
    let out = norclin()
        .current_dir(cwd)
        .arg("tokenize")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));
}

fn read_split(dir: &Path, m: &Manifest, split: Split) -> Vec<TokenSequence> {
    m.shards_of(split)
        .flat_map(|s| ShardFile::read_all(dir.join(&s.file)).unwrap())
        .collect()
}

/// Every file of a directory (markers included) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && !name.starts_with("report.") {
            out.insert(name, fs::read(e.path()).unwrap());
        }
    }
    out
}

#[test]
fn no_patient_crosses_splits_and_every_token_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = write_notes(tmp.path(), 80);
    tokenize(
        tmp.path(),
        &[
            "--input",
            notes.to_str().unwrap(),
            "--out",
            "out",
            "--vocab-size",
            "400",
            "--max-len",
            "128",
            "--ratios",
            "0.6,0.2,0.2",
            "--unit-mib",
            "0.05",
        ],
    );
    let dir = tmp.path().join("out");
    let m = Manifest::load(&dir).unwrap();
    assert!(m.shards.len() >= 6, "several units: {}", m.shards.len());
    assert_eq!(m.dtype.as_str(), "uint16");
    assert_eq!(m.summary.dropped_notes.get("empty_text"), Some(&1));
    assert!(m.summary.dropped_tokens.is_empty());
    assert!(m.summary.chunked_notes > 0);
    let patient_of: BTreeMap<String, String> = synthetic_notes(80)
        .into_iter()
        .map(|(n, p)| (n.note_id, p))
        .collect();
    let mut split_of_patient: BTreeMap<String, Split> = BTreeMap::new();
    let mut seen_notes = BTreeSet::new();
    let mut seq_ids = BTreeSet::new();
    for split in Split::ALL {
        let rows = read_split(&dir, &m, split);
        assert!(!rows.is_empty(), "{split} is empty");
        for r in rows {
            assert_eq!(r.split, split);
            assert!(r.input_ids.len() <= 128);
            assert_eq!(r.word_start.len(), r.input_ids.len());
            assert!(seq_ids.insert(r.seq_id), "duplicate seq_id {}", r.seq_id);
            for id in &r.note_ids {
                seen_notes.insert(id.clone());
                let p = &patient_of[id];
                let prev = split_of_patient.insert(p.clone(), split);
                assert!(
                    prev.is_none() || prev == Some(split),
                    "patient {p} in two splits"
                );
            }
        }
    }
    assert_eq!(seen_notes.len(), 80 * 5 - 1);
    m.verify(&dir).unwrap();
    // Tampering is caught.
    let victim = dir.join(&m.shards[0].file);
    let mut bytes = fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&victim, bytes).unwrap();
    assert!(m.verify(&dir).is_err());
}

#[test]
fn rerun_after_a_lost_unit_completes_identically_and_redoes_only_that_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = write_notes(tmp.path(), 60);
    let args = [
        "--input",
        notes.to_str().unwrap(),
        "--out",
        "out",
        "--vocab-size",
        "300",
        "--max-len",
        "128",
        "--mode",
        "packed",
        "--unit-mib",
        "0.03",
    ];
    tokenize(tmp.path(), &args);
    let dir = tmp.path().join("out");
    let before = snapshot(&dir);
    let m = Manifest::load(&dir).unwrap();
    let units = m.shards.iter().map(|s| s.unit).max().unwrap() + 1;
    assert!(units >= 3, "{units} units");
    // A run killed while writing unit 1: its shards and marker are gone,
    // a temporary is left behind.
    for s in m.shards.iter().filter(|s| s.unit == 1) {
        fs::remove_file(dir.join(&s.file)).unwrap();
    }
    fs::remove_file(dir.join("_unit-00001.json")).unwrap();
    fs::write(dir.join(".shard-00004.parquet.999.tmp"), b"partial").unwrap();
    fs::remove_file(dir.join("manifest.json")).unwrap();
    tokenize(tmp.path(), &args);
    assert_eq!(snapshot(&dir), before);
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap();
    let counters = &report["stages"][0]["counters"];
    assert_eq!(counters["units_written"], 1, "{counters}");
    assert_eq!(counters["units_resumed"], units - 1, "{counters}");
    assert_eq!(counters["tokenizer_reused"], 1, "{counters}");
}

#[test]
fn output_is_the_same_with_one_or_two_threads_and_with_the_saved_tokenizer() {
    let tmp = tempfile::tempdir().unwrap();
    // 600 notes: several encode batches, so encoding overlaps writing.
    let notes = write_notes(tmp.path(), 120);
    let n = notes.to_str().unwrap();
    for (threads, out) in [("1", "t1"), ("2", "t2")] {
        tokenize(
            tmp.path(),
            &[
                "--threads",
                threads,
                "--input",
                n,
                "--out",
                out,
                "--vocab-size",
                "300",
                "--max-len",
                "128",
                "--lowercase",
            ],
        );
    }
    let a = snapshot(&tmp.path().join("t1"));
    assert_eq!(a, snapshot(&tmp.path().join("t2")));
    // The saved tokenizer.json, brought back with --tokenizer, gives the same shards.
    let tok = tmp.path().join("t1/tokenizer.json");
    tokenize(
        tmp.path(),
        &[
            "--input",
            n,
            "--out",
            "t3",
            "--tokenizer",
            tok.to_str().unwrap(),
            "--max-len",
            "128",
        ],
    );
    let m1 = Manifest::load(&tmp.path().join("t1")).unwrap();
    let m3 = Manifest::load(&tmp.path().join("t3")).unwrap();
    assert_eq!(m1.tokenizer_sha256, m3.tokenizer_sha256);
    let h = |m: &Manifest| {
        m.shards
            .iter()
            .map(|s| s.sha256.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(h(&m1), h(&m3));
    // Accents survive lower-casing.
    let json = fs::read_to_string(&tok).unwrap();
    assert!(json.contains("\"på\""), "på is a vocabulary entry");
    assert!(json.contains("\"strip_accents\": false"));
}

/// A word-level tokenizer.json with `size` entries: the five BERT special
/// tokens, then `w5`, `w6`, … (`w{id}` has id `id`).
fn word_level_tokenizer(path: &Path, size: usize) {
    let mut vocab = serde_json::Map::new();
    for (id, t) in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .enumerate()
    {
        vocab.insert(t.to_string(), id.into());
    }
    for id in 5..size {
        vocab.insert(format!("w{id}"), id.into());
    }
    let added: Vec<serde_json::Value> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .enumerate()
        .map(|(id, t)| {
            serde_json::json!({"id": id, "content": t, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let tok = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    });
    fs::write(path, serde_json::to_string(&tok).unwrap()).unwrap();
}

#[test]
fn vocabularies_over_65536_ids_write_uint32_shards_that_read_back_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let size = 70_000;
    let tok = tmp.path().join("tokenizer.json");
    word_level_tokenizer(&tok, size);
    // Ids on both sides of the uint16 limit, the largest one included.
    let ids: Vec<u32> = vec![7, 65_535, 65_536, 65_537, 69_999, 12_345, 66_000];
    let path = tmp.path().join("notes.parquet");
    let mut w = NotesWriter::create(&path).unwrap();
    for p in 0..40 {
        let text: Vec<String> = ids.iter().map(|i| format!("w{}", i - (p % 3))).collect();
        w.write(Note {
            note_id: format!("n{p:03}"),
            patient_id: format!("p{p:03}"),
            doc_type: DocType::ALL[0],
            written_at: None,
            department: None,
            source: format!("synthetic:{p}"),
            lang: None,
            text: NoteText(text.join(" ")),
        })
        .unwrap();
    }
    w.finish().unwrap();
    tokenize(
        tmp.path(),
        &[
            "--input",
            path.to_str().unwrap(),
            "--out",
            "big",
            "--tokenizer",
            tok.to_str().unwrap(),
            "--max-len",
            "128",
        ],
    );
    let dir = tmp.path().join("big");
    let m = Manifest::load(&dir).unwrap();
    assert_eq!(m.vocab_size, size);
    assert_eq!(m.dtype, norclin::shard::IdType::Uint32);
    let mut seen = BTreeSet::new();
    for split in [Split::Train, Split::Validation, Split::Test] {
        for seq in read_split(&dir, &m, split) {
            let note = seq.note_ids[0].clone();
            let p: u32 = note[1..].parse().unwrap();
            let mut want = vec![2];
            want.extend(ids.iter().map(|i| i - (p % 3)));
            want.push(3);
            assert_eq!(seq.input_ids, want, "ids of {note}");
            seen.insert(note);
        }
    }
    assert_eq!(seen.len(), 40, "every note read back");
}

fn drain(r: &mut ShardReader) -> Vec<u64> {
    let mut out = Vec::new();
    while let Some(s) = r.next_sequence().unwrap() {
        out.push(s.seq_id);
    }
    out
}

#[test]
fn reader_is_deterministic_per_seed_and_epoch_and_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = write_notes(tmp.path(), 60);
    tokenize(
        tmp.path(),
        &[
            "--input",
            notes.to_str().unwrap(),
            "--out",
            "out",
            "--vocab-size",
            "300",
            "--max-len",
            "128",
            "--unit-mib",
            "0.03",
        ],
    );
    let dir = tmp.path().join("out");
    let opts = ReaderOptions {
        seed: 11,
        shuffle_buffer: 16,
        shuffle_shards: true,
        epochs: Some(3),
    };
    let mut a = ShardReader::open(&dir, Split::Train, opts.clone()).unwrap();
    let per_epoch = a.rows_per_epoch() as usize;
    let all = drain(&mut a);
    assert_eq!(all.len(), 3 * per_epoch);
    // Each epoch is a permutation of the split, and epochs differ.
    let e0: BTreeSet<u64> = all[..per_epoch].iter().copied().collect();
    let e1: BTreeSet<u64> = all[per_epoch..2 * per_epoch].iter().copied().collect();
    assert_eq!(e0.len(), per_epoch);
    assert_eq!(e0, e1);
    assert_ne!(all[..per_epoch], all[per_epoch..2 * per_epoch]);
    // Same seed, same order; another seed, another order.
    let mut b = ShardReader::open(&dir, Split::Train, opts.clone()).unwrap();
    assert_eq!(drain(&mut b), all);
    let mut c = ShardReader::open(
        &dir,
        Split::Train,
        ReaderOptions {
            seed: 12,
            ..opts.clone()
        },
    )
    .unwrap();
    assert_ne!(drain(&mut c), all);
    // Resume from positions inside epoch 0, at an epoch boundary, and in epoch 2.
    for stop in [1, 37, per_epoch, 2 * per_epoch + 5] {
        let mut r = ShardReader::open(&dir, Split::Train, opts.clone()).unwrap();
        for _ in 0..stop {
            r.next_sequence().unwrap().unwrap();
        }
        let saved = serde_json::to_string(&r.position()).unwrap();
        let position: ReaderPosition = serde_json::from_str(&saved).unwrap();
        let mut resumed = ShardReader::resume(&dir, &position).unwrap();
        assert_eq!(drain(&mut resumed), all[stop..], "resumed after {stop}");
    }
}

#[test]
fn report_summarises_a_shard_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = write_notes(tmp.path(), 20);
    tokenize(
        tmp.path(),
        &[
            "--input",
            notes.to_str().unwrap(),
            "--out",
            "out",
            "--vocab-size",
            "300",
            "--max-len",
            "256",
            "--mode",
            "packed",
            "--stratify",
            "doc_type",
        ],
    );
    let out = norclin()
        .current_dir(tmp.path())
        .args(["report", "out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "Token shards",
        "| train |",
        "| validation |",
        "nursing_note",
        "| nno |",
        "Sequence lengths",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
}

#[test]
fn tokenize_runs_as_a_pipeline_stage_after_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let mut jsonl = String::new();
    for (n, _) in synthetic_notes(10) {
        jsonl.push_str(
            &serde_json::json!({
                "note_id": n.note_id, "patient_id": n.patient_id,
                "doc_type": n.doc_type.as_str(), "text": n.text.0,
            })
            .to_string(),
        );
        jsonl.push('\n');
    }
    fs::write(tmp.path().join("notes.jsonl"), jsonl).unwrap();
    fs::write(
        tmp.path().join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n[[stages]]\ntype = \"ingest\"\ninputs = [\"notes.jsonl\"]\n\
         [[stages]]\ntype = \"tokenize\"\nvocab_size = 300\nmax_len = 128\n",
    )
    .unwrap();
    let out = norclin()
        .current_dir(tmp.path())
        .args(["run", "p.toml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));
    let m = Manifest::load(&tmp.path().join("run/02-tokenize")).unwrap();
    assert!(m.summary.total_tokens() > 0);
    // The JSONL path of the verb gives the same tokens as the pipeline.
    tokenize(
        tmp.path(),
        &[
            "--input",
            "notes.jsonl",
            "--out",
            "verb",
            "--vocab-size",
            "300",
            "--max-len",
            "128",
        ],
    );
    let v = Manifest::load(&tmp.path().join("verb")).unwrap();
    assert_eq!(v.summary, m.summary);
}

#[test]
fn python_interop_when_enabled() {
    if std::env::var("NORCLIN_INTEROP").as_deref() != Ok("1") {
        eprintln!("skipped: set NORCLIN_INTEROP=1 to run scripts/interop/run.sh");
        return;
    }
    let script = crate::common::repo_path("scripts/interop/run.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .env("NORCLIN_BIN", env!("CARGO_BIN_EXE_norclin"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));
}
