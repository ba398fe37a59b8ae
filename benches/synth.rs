//! Generation speed of `norclin synth`, in-process (no disk): composing
//! notes with their gold spans. CLI-level timing, including writing all
//! output files, is in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use norclin::synth::{Assignment, Generator, SynthConfig};

fn compose_notes(c: &mut Criterion) {
    let generator = Generator::new(SynthConfig {
        seed: 1,
        notes: 2000,
        ..SynthConfig::default()
    })
    .expect("generator");
    let bytes: usize = generator.notes().map(|n| n.text.len()).sum();
    let mut group = c.benchmark_group("synth");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("compose_2000_notes_one_thread", |b| {
        b.iter(|| {
            let mut total = 0usize;
            for slot in Assignment::new(1).take(2000) {
                let (note, _) = generator.note_with_patient(slot);
                total += note.text.len() + note.spans.len();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, compose_notes);
criterion_main!(benches);
