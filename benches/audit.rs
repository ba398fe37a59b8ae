//! Audit throughput: residual scan + register check together
//! ([`norclin::audit::LeakScan`]) over a synthetic corpus, in parallel on
//! two threads (the target is ≥ 50 MB/s on 2 cores), with a register of
//! 5,000 synthetic patients (45,000 identifiers).
//!
//! `cargo bench --bench audit`

use std::fmt::Write as _;
use std::io::Write as _;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use norclin::audit::{LeakScan, Register, Scanner, Views};
use rayon::prelude::*;

const NOTES: usize = 20_000;
const PATIENTS: usize = 5_000;

const GIVEN: &[&str] = &[
    "Ingrid", "Ola", "Marte", "Per", "Sigrid", "Lars", "Nora", "Jonas", "Emma", "Henrik", "Ida",
    "Magnus", "Sofie", "Erik", "Thea", "Anders",
];
const SURNAMES: &[&str] = &[
    "Lunde",
    "Moen",
    "Berge",
    "Dahl",
    "Haugen",
    "Strand",
    "Solberg",
    "Bakke",
    "Lie",
    "Nilsen",
    "Eriksen",
    "Pedersen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
];

fn register(path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "patient_id,kind,value").unwrap();
    for p in 0..PATIENTS {
        // Register-only names (never in the corpus) keep the check honest.
        let first = format!("Reg{}a{}", GIVEN[p % GIVEN.len()], p);
        let last = format!("Reg{}b{}", SURNAMES[p % SURNAMES.len()], p);
        writeln!(f, "p{p},first_name,{first}").unwrap();
        writeln!(f, "p{p},last_name,{last}").unwrap();
        writeln!(f, "p{p},full_name,{first} {last}").unwrap();
        writeln!(f, "p{p},national_id,{:06} {:05}", 10_000 + p * 7, p).unwrap();
        writeln!(f, "p{p},phone,9{:07}", p * 13).unwrap();
        writeln!(f, "p{p},email,{}@example.no", first.to_lowercase()).unwrap();
        writeln!(f, "p{p},address,Reggata {p}").unwrap();
        writeln!(
            f,
            "p{p},birth_date,19{:02}-{:02}-{:02}",
            30 + p % 60,
            1 + p % 12,
            1 + p % 28
        )
        .unwrap();
        writeln!(
            f,
            "p{p},relative_name,Rel{}c{p}",
            GIVEN[(p + 3) % GIVEN.len()]
        )
        .unwrap();
    }
    f.flush().unwrap();
}

fn corpus() -> Vec<String> {
    (0..NOTES)
        .map(|i| {
            let g = GIVEN[i % GIVEN.len()];
            let s = SURNAMES[(i / 3) % SURNAMES.len()];
            let mut t = String::new();
            let _ = write!(
                t,
                "Epikrise. Pasient {g} {s}, innlagt {:02}.{:02}.2021 med brystsmerter og dyspné. \
                 EKG viste sinusrytme, frekvens 72, Troponin T 14 ng/L, CRP 12, Hb 13.4 g/dL. \
                 Samtale med dr. {s} og datter {g}. Tlf 9{:07}. ",
                1 + i % 28,
                1 + i % 12,
                i * 7
            );
            for k in 0..(1 + i % 6) {
                let _ = write!(
                    t,
                    "Dag {k}: Pasienten mobilisert, BT 128/84, puls 76, temp 37.2. Fortsetter med \
                     Albyl-E 75 mg x 1 og Metoprolol 50 mg x 2. Kontroll hos fastlegen om 3 uker, \
                     ny time {:02}. mars 2022. ",
                    1 + (i + k) % 28
                );
            }
            t
        })
        .collect()
}

/// Process CPU time (user + system), from /proc (Linux), in seconds.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("register.csv");
    register(&reg);
    let both = LeakScan::new(Some(&reg)).unwrap();
    let scanner = Scanner::new();
    let register = Register::load(&reg, &scanner).unwrap();
    let notes = corpus();
    let bytes: u64 = notes.iter().map(|n| n.len() as u64).sum();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let run_both = || {
        pool.install(|| {
            notes
                .par_iter()
                .map_init(Views::default, |v, n| both.scan(n, v).len())
                .sum::<usize>()
        })
    };

    // CPU-time throughput: immune to other processes sharing the cores.
    // Two cores give at most twice the per-core figure.
    if let Some(t0) = cpu_seconds() {
        let rounds = 5;
        for _ in 0..rounds {
            std::hint::black_box(run_both());
        }
        if let Some(t1) = cpu_seconds() {
            let per_core = (bytes * rounds) as f64 / 1e6 / (t1 - t0);
            eprintln!(
                "audit: residual scan + register, {:.1} MB x {rounds} in {:.2} CPU s: \
                 {per_core:.1} MB/s per core, {:.1} MB/s on 2 cores",
                bytes as f64 / 1e6,
                t1 - t0,
                2.0 * per_core
            );
        }
    }

    let mut group = c.benchmark_group("audit");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_function("residual_scan_and_register_2_threads", |b| b.iter(run_both));
    group.bench_function("residual_scan_1_thread", |b| {
        b.iter(|| {
            notes
                .iter()
                .map(|n| scanner.scan(n).findings.len())
                .sum::<usize>()
        })
    });
    group.bench_function("register_1_thread", |b| {
        let mut v = Views::default();
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            for n in &notes {
                register.find(n, &mut v, &mut out);
            }
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
