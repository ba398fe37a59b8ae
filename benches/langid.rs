//! Throughput of bokmål/nynorsk identification on one core.
//!
//! `cargo bench --bench langid` (or, without a release build of the
//! dependencies, `CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo bench --profile dev
//! --bench langid`). Inputs: the held-out UD documents and the synthetic
//! clinical sentences in `rules/langid/eval/`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use norclin::langid::{Langid, LangidConfig};

fn texts(file: &str) -> Vec<String> {
    let path = format!("{}/rules/langid/eval/{file}", env!("CARGO_MANIFEST_DIR"));
    let content = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    content
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t.replace("\\n", "\n")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let langid = Langid::new(LangidConfig::default()).expect("built-in model");
    let mut group = c.benchmark_group("langid");
    for (name, file) in [
        ("docs_5_sentences", "docs.heldout.tsv"),
        ("sentences_5_languages", "sentences.heldout.tsv"),
        ("clinical_sentences", "clinical.dev.tsv"),
    ] {
        let items = texts(file);
        let bytes: usize = items.iter().map(|t| t.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                for t in &items {
                    black_box(langid.classify(black_box(t)));
                }
            })
        });
    }
    // One long note: paragraphs of held-out documents.
    let note = texts("docs.heldout.tsv").join("\n\n");
    group.throughput(Throughput::Bytes(note.len() as u64));
    group.bench_function("one_long_note", |b| {
        b.iter(|| black_box(langid.classify(black_box(&note))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
