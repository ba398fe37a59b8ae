//! Tokenization throughput: the whole tokenize stage (read notes.parquet,
//! encode, build sequences, write and hash shards) against the raw
//! `tokenizers` `encode_batch` on the same text with the same threads.
//!
//! ```text
//! cargo bench --bench tokenize            # NORCLIN_BENCH_MB=8 by default
//! ```
//!
//! The corpus is generated here, deterministically (synthetic Norwegian
//! clinical text), so the bench needs no data.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use norclin::notes::{DocType, Note, NoteText, NotesWriter};
use norclin::pipeline::StageContext;
use norclin::report::Progress;
use norclin::tokenize::{NoteTokenizer, TokenizeConfig, run_stage};

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
    "EKG:",
    "sinusrytme,",
    "72/min.",
    "BT",
    "135/85",
    "(sittende).",
    "Videre",
    "oppfølging",
    "hos",
    "fastlege.",
    "Hb",
    "12,4",
    "g/dL",
    "Kreatinin",
    "88",
    "Albyl-E",
    "75",
    "mg",
    "Metoprolol",
];

/// `mb` megabytes of notes, 5 per patient, lengths 30–1500 words.
fn corpus(mb: usize) -> Vec<Note> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut notes = Vec::new();
    let mut bytes = 0;
    let mut i = 0usize;
    while bytes < mb << 20 {
        let n = 30 + (next() % 1500) as usize;
        let mut text = String::with_capacity(n * 8);
        for w in 0..n {
            if w > 0 {
                text.push(if next() % 12 == 0 { '\n' } else { ' ' });
            }
            text.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
        }
        bytes += text.len();
        notes.push(Note {
            note_id: format!("n{i:07}"),
            patient_id: format!("p{:06}", i / 5),
            doc_type: DocType::ALL[i % DocType::ALL.len()],
            written_at: None,
            department: None,
            source: format!("bench:{i}"),
            lang: Some(if i.is_multiple_of(4) { "nno" } else { "nob" }.into()),
            text: NoteText(text),
        });
        i += 1;
    }
    notes
}

fn bench(c: &mut Criterion) {
    let mb: usize = std::env::var("NORCLIN_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let dir = tempfile::tempdir().expect("temp dir");
    let notes = corpus(mb);
    let text_bytes: usize = notes.iter().map(|n| n.text.0.len()).sum();
    let notes_path = dir.path().join("notes.parquet");
    let mut w = NotesWriter::create(&notes_path).expect("notes writer");
    for n in &notes {
        w.write(n.clone()).expect("write note");
    }
    w.finish().expect("finish notes");
    let tokenizer = NoteTokenizer::train(
        notes.iter().take(2000).map(|n| n.text.0.clone()),
        8000,
        false,
        2,
    )
    .expect("train");
    let tok_path = dir.path().join("tokenizer.json");
    tokenizer.save(&tok_path).expect("save tokenizer");

    let mut config = TokenizeConfig::with_tokenizer(&tok_path);
    config.input = Some(notes_path.clone());
    config.max_len = 512;
    let progress = Progress::plain();
    let out = dir.path().join("out");
    let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
    let raw = || {
        let enc = tokenizer
            .inner()
            .encode_batch(texts.clone(), false)
            .expect("encode");
        std::hint::black_box(enc.len());
    };
    let stage = || {
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).expect("out dir");
        let ctx = StageContext {
            out_dir: &out,
            notes_dir: None,
            base_dir: Path::new("."),
            key_file: None,
            progress: &progress,
            slice: None,
        };
        let stats = run_stage(&config, &ctx).expect("stage");
        std::hint::black_box(stats.rows_out);
    };

    // Interleaved A/B timing: on a shared machine, load changes between
    // criterion's groups; alternating the two gives a fair ratio.
    if let Some(rounds) = std::env::var("NORCLIN_BENCH_AB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = std::time::Instant::now();
            raw();
            a.push(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            stage();
            b.push(t.elapsed().as_secs_f64());
        }
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let mib = text_bytes as f64 / (1 << 20) as f64;
        println!(
            "A/B over {rounds} rounds, {mib:.1} MiB, {} threads: raw encode_batch min {:.3} s median {:.3} s ({:.2} MiB/s); stage min {:.3} s median {:.3} s ({:.2} MiB/s); ratio (min) {:.3}, ratio (median) {:.3}",
            rayon::current_num_threads(),
            a[0],
            a[rounds / 2],
            mib / a[rounds / 2],
            b[0],
            b[rounds / 2],
            mib / b[rounds / 2],
            a[0] / b[0],
            a[rounds / 2] / b[rounds / 2],
        );
    }

    let mut group = c.benchmark_group("tokenize");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text_bytes as u64));
    group.bench_function("raw_encode_batch", |b| b.iter(raw));
    group.bench_function("stage_to_shards", |b| b.iter(stage));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
