//! Ingest throughput: JSONL → notes.parquet through the real stage
//! (read, parse in parallel, check, deduplicate, write zstd Parquet).
//!
//! `cargo bench --bench ingest`

use std::io::Write;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};
use norclin::report::Progress;

const NOTES: usize = 20_000;

fn corpus(dir: &Path) -> u64 {
    let path = dir.join("in.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let body = "Pasienten ble innlagt med brystsmerter og dyspné. EKG viste sinusrytme, \
                Troponin T 14 ng/L, CRP 12. Vurdering: ustabil angina. Plan: ASA 75 mg x 1. ";
    for i in 0..NOTES {
        writeln!(
            f,
            "{{\"note_id\":\"n{i}\",\"patient_id\":\"p{}\",\"doc_type\":\"epikrise\",\"written_at\":\"2021-03-12T09:15:00\",\"text\":\"{}{i}\"}}",
            i % 4000,
            body.repeat(1 + i % 7)
        )
        .unwrap();
    }
    f.flush().unwrap();
    std::fs::metadata(&path).unwrap().len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = corpus(dir.path());
    let config: norclin::ingest::IngestConfig = toml::from_str("inputs = [\"in.jsonl\"]").unwrap();
    let stage = StageConfig::Ingest(config);
    let opts = RunOptions::new(Progress::plain());
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_function("jsonl_to_parquet", |b| {
        b.iter(|| {
            run_single_stage(
                &stage,
                "bench",
                dir.path(),
                &dir.path().join("out"),
                None,
                &opts,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
