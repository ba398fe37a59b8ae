//! The physical ceiling of this machine for a corpus file: how fast its bytes
//! can be read at all, and how fast the full shipped gazetteer (the deid
//! stage's word lookup: every name, place, street and institution, one hash
//! lookup per word) passes over them. `scripts/bench` compares every stage's
//! throughput with these two figures.
//!
//! ```text
//! NORCLIN_CEILING_FILE=notes.jsonl RAYON_NUM_THREADS=2 cargo bench --bench ceiling
//! ```
//!
//! Prints one JSON line: `bytes`, `threads`, `read_mb_s` (sequential read
//! from the page cache, 8 MiB buffers, best of 3), `gazetteer_mb_s`
//! (case-folded lines split into words, over the rayon pool, best of 3;
//! folding and splitting are not timed), `gazetteer_hits`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::time::Instant;

use norclin::deid::gazetteer::{ExtraLists, Gazetteer};
use norclin::deid::text::{CaseMode, Word, fold_case, words};
use rayon::prelude::*;

fn main() {
    let Ok(path) = std::env::var("NORCLIN_CEILING_FILE") else {
        eprintln!("ceiling: set NORCLIN_CEILING_FILE to the corpus file to measure; nothing done");
        return;
    };
    let open = || File::open(&path).unwrap_or_else(|e| panic!("ceiling: cannot open {path}: {e}"));

    // Sequential read: the first pass warms the page cache, the best of the
    // next three is the figure.
    let mut buf = vec![0u8; 8 << 20];
    let mut bytes = 0u64;
    let mut read_best = f64::INFINITY;
    for pass in 0..4 {
        let mut f = open();
        let started = Instant::now();
        let mut n = 0u64;
        loop {
            let got = f
                .read(&mut buf)
                .unwrap_or_else(|e| panic!("ceiling: read {path}: {e}"));
            if got == 0 {
                break;
            }
            n += got as u64;
        }
        let s = started.elapsed().as_secs_f64();
        bytes = n;
        if pass > 0 {
            read_best = read_best.min(s);
        }
    }

    let gazetteer = Gazetteer::build(&ExtraLists::default());
    let lines: Vec<(String, Vec<Word>)> = BufReader::new(open())
        .lines()
        .map(|l| {
            let l = l.unwrap_or_else(|e| panic!("ceiling: read {path}: {e}"));
            (fold_case(&l), words(&l))
        })
        .collect();
    let mut gaz_best = f64::INFINITY;
    let mut hits = 0usize;
    for _ in 0..3 {
        let started = Instant::now();
        hits = lines
            .par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(infos, out), (line, ws)| {
                    out.clear();
                    gazetteer.find(line, ws, CaseMode::Normal, infos, out);
                    out.len()
                },
            )
            .sum();
        gaz_best = gaz_best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{{\"bytes\": {bytes}, \"threads\": {}, \"read_mb_s\": {:.1}, \"gazetteer_mb_s\": {:.1}, \"gazetteer_hits\": {hits}}}",
        rayon::current_num_threads(),
        bytes as f64 / read_best / 1e6,
        bytes as f64 / gaz_best / 1e6,
    );
}
