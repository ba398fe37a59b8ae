//! `norclin merge`: ranks of a scaled-out run joined into one report and one
//! token manifest, and every way the ranks can fail to fit together.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use norclin::shard::{Manifest, ReaderOptions, ShardFile, ShardReader, Split};

use crate::common::{both, run_in};

const WORLD: u32 = 3;

/// Three input files (one big enough to be split by note id), a tokenizer
/// trained once on all of them, and `p.toml`: ingest → tokenize with that
/// fixed tokenizer in `note` mode.
fn setup(dir: &Path) {
    let words = [
        "pasienten",
        "innlagt",
        "smerter",
        "bryst",
        "vurdering",
        "plan",
        "kontroll",
        "blodprøver",
        "normale",
        "utskrevet",
        "hjem",
        "etter",
    ];
    let mut inputs = Vec::new();
    for f in 0..3 {
        let mut s = String::new();
        let n = if f == 2 { 120 } else { 25 + f * 5 };
        for i in 0..n {
            let len = 3 + (i * 7 + f) % 40;
            let text: Vec<&str> = (0..len)
                .map(|k| words[(i * 31 + k * 17 + f) % words.len()])
                .collect();
            s.push_str(&format!(
                "{}\n",
                serde_json::json!({
                    "note_id": format!("f{f}n{i}"),
                    "patient_id": format!("p{}", (i * 13 + f) % 37),
                    "doc_type": "epikrise",
                    "text": text.join(" "),
                })
            ));
        }
        fs::write(dir.join(format!("in{f}.jsonl")), s).unwrap();
        inputs.push(format!("\"in{f}.jsonl\""));
    }
    let o = run_in(
        dir,
        &[
            "-q",
            "tokenize",
            "--input",
            "in2.jsonl",
            "--out",
            "tok",
            "--vocab-size",
            "150",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    fs::write(
        dir.join("p.toml"),
        format!(
            "version = 1\nrun_dir = \"run\"\n\
             [[stages]]\ntype = \"ingest\"\ninputs = [{}]\nsplit_files_over_bytes = 6000\n\
             [[stages]]\ntype = \"tokenize\"\ntokenizer = \"tok/tokenizer.json\"\nmax_len = 128\nmode = \"note\"\n",
            inputs.join(", ")
        ),
    )
    .unwrap();
}

fn run_rank(dir: &Path, rank: u32) {
    let r = rank.to_string();
    let w = WORLD.to_string();
    let o = run_in(
        dir,
        &[
            "-q",
            "run",
            "p.toml",
            "--run-dir",
            "ranks",
            "--rank",
            &r,
            "--world-size",
            &w,
        ],
    );
    assert!(o.status.success(), "rank {rank}: {}", both(&o));
}

/// A complete scaled-out run in `ranks/` (not yet merged).
fn ranks(dir: &Path) {
    setup(dir);
    for rank in 0..WORLD {
        run_rank(dir, rank);
    }
}

fn rank_dir(dir: &Path, rank: u32) -> std::path::PathBuf {
    dir.join(format!("ranks/rank-{rank:05}-of-{WORLD:05}"))
}

/// Runs `norclin merge ranks`, expecting it to fail; returns its output.
fn merge_fails(dir: &Path) -> String {
    let o = run_in(dir, &["merge", "ranks"]);
    let out = both(&o);
    assert!(!o.status.success(), "merge should fail: {out}");
    assert!(!out.contains("panicked"), "{out}");
    assert!(!dir.join("ranks/merged.json").exists());
    assert!(
        !dir.join("ranks/merged").exists(),
        "nothing is written on failure"
    );
    out
}

/// Token ids per note (in sequence order) over every shard of a manifest.
fn tokens_per_note(shard_dir: &Path) -> BTreeMap<String, Vec<u32>> {
    let m = Manifest::load(shard_dir).unwrap();
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for s in &m.shards {
        for seq in ShardFile::read_all(shard_dir.join(&s.file)).unwrap() {
            assert_eq!(seq.note_ids.len(), 1, "note mode: one note per sequence");
            out.entry(seq.note_ids[0].clone())
                .or_default()
                .extend(&seq.input_ids);
        }
    }
    out
}

#[test]
fn merge_joins_ranks_into_one_report_and_one_token_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ranks(dir);
    let o = run_in(dir, &["-q", "run", "p.toml", "--run-dir", "single"]);
    assert!(o.status.success(), "{}", both(&o));
    let o = run_in(dir, &["merge", "ranks"]);
    assert!(o.status.success(), "{}", both(&o));
    assert!(both(&o).contains("merged/02-tokenize"), "{}", both(&o));

    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&fs::read(dir.join(p)).unwrap()).unwrap()
    };
    let single = read("single/report.json");
    let merged = read("ranks/report.json");
    for i in 0..2 {
        for k in ["rows_in", "rows_out", "quarantined"] {
            assert_eq!(
                single["stages"][i][k], merged["stages"][i][k],
                "stage {i} {k}"
            );
        }
    }
    let summary = read("ranks/merged.json");
    assert_eq!(summary["world_size"], WORLD);
    assert_eq!(summary["stages"][1]["merged"], "merged/02-tokenize");
    assert_eq!(summary["stages"][1]["parts"].as_array().unwrap().len(), 3);

    let joined = dir.join("ranks/merged/02-tokenize");
    let m = Manifest::load(&joined).unwrap();
    let one = Manifest::load(&dir.join("single/02-tokenize")).unwrap();
    let mut rank_shards = 0;
    for rank in 0..WORLD {
        rank_shards += Manifest::load(&rank_dir(dir, rank).join("02-tokenize"))
            .unwrap()
            .shards
            .len();
    }
    assert_eq!(m.shards.len(), rank_shards);
    assert!(
        m.shards.iter().all(|s| s.file.starts_with("../../rank-")),
        "{:?}",
        m.shards
    );
    let units: std::collections::HashSet<(u64, Split)> =
        m.shards.iter().map(|s| (s.unit, s.split)).collect();
    assert_eq!(
        units.len(),
        m.shards.len(),
        "units stay distinct across ranks"
    );
    // Same tokenizer, settings and counts (per split, doc type, length) as one process.
    assert_eq!(m.tokenizer_sha256, one.tokenizer_sha256);
    assert_eq!(
        (m.vocab_size, m.dtype, m.max_len, &m.mode),
        (one.vocab_size, one.dtype, one.max_len, &one.mode)
    );
    assert_eq!(m.summary, one.summary);
    for split in Split::ALL {
        let rows: u64 = m.shards_of(split).map(|s| s.rows).sum();
        let tokens: u64 = m.shards_of(split).map(|s| s.tokens).sum();
        let c = m
            .summary
            .splits
            .get(split.as_str())
            .cloned()
            .unwrap_or_default();
        assert_eq!((rows, tokens), (c.sequences, c.tokens), "{split}");
    }
    m.verify(&joined).unwrap();
    // The same token ids for every note.
    assert_eq!(
        tokens_per_note(&joined),
        tokens_per_note(&dir.join("single/02-tokenize"))
    );
    // The reader (and so pretrain) streams the merged folder like any other.
    let mut reader = ShardReader::open(&joined, Split::Train, ReaderOptions::default()).unwrap();
    let mut n = 0;
    while reader.next_sequence().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, m.summary.splits["train"].sequences);
    let o = run_in(dir, &["report", "ranks/merged/02-tokenize"]);
    assert!(o.status.success(), "{}", both(&o));
    // `report --format digest` (what scripts/test.d/slurm.sh compares) agrees.
    let digest = |p: &str| {
        let o = run_in(dir, &["report", "--format", "digest", p]);
        assert!(o.status.success(), "{}", both(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let d = digest("single/02-tokenize");
    assert_eq!(d.lines().count(), one.summary.notes_in as usize);
    assert_eq!(d, digest("ranks/merged/02-tokenize"));
    let mut ranks_notes: Vec<String> = (0..WORLD)
        .flat_map(|r| {
            let p = format!("ranks/rank-{r:05}-of-{WORLD:05}/01-ingest");
            digest(&p).lines().map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    ranks_notes.sort();
    let single_notes: Vec<String> = digest("single/01-ingest")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ranks_notes, single_notes);
}

#[test]
fn merge_names_a_missing_rank() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    run_rank(dir, 0);
    run_rank(dir, 2);
    let out = merge_fails(dir);
    assert!(out.contains("rank 1 of 3 is missing"), "{out}");
}

#[test]
fn merge_names_an_incomplete_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ranks(dir);
    fs::remove_file(rank_dir(dir, 1).join("02-tokenize/_SUCCESS.json")).unwrap();
    let out = merge_fails(dir);
    assert!(
        out.contains("rank 1: stage 02-tokenize is started but not complete"),
        "{out}"
    );
}

#[test]
fn merge_finds_note_ids_in_two_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ranks(dir);
    // A rank that read another rank's share (a mis-sliced worker).
    fs::copy(
        rank_dir(dir, 0).join("01-ingest/notes.parquet"),
        rank_dir(dir, 2).join("01-ingest/notes.parquet"),
    )
    .unwrap();
    let out = merge_fails(dir);
    assert!(
        out.contains("stage 01-ingest:") && out.contains("note ids occur in more than one rank"),
        "{out}"
    );
}

#[test]
fn merge_refuses_ranks_that_used_different_tokenizers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    run_rank(dir, 0);
    run_rank(dir, 1);
    // Same pipeline file, but the tokenizer file was replaced before rank 2 ran.
    let o = run_in(
        dir,
        &[
            "-q",
            "tokenize",
            "--input",
            "in0.jsonl",
            "--out",
            "tok2",
            "--vocab-size",
            "120",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    fs::copy(
        dir.join("tok2/tokenizer.json"),
        dir.join("tok/tokenizer.json"),
    )
    .unwrap();
    run_rank(dir, 2);
    let out = merge_fails(dir);
    assert!(
        out.contains("stage 02-tokenize: rank 2 used tokenizer sha256"),
        "{out}"
    );
    assert!(!out.contains("rank 1 used"), "{out}");
}
