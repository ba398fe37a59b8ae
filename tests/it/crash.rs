//! Crash safety: runs killed with SIGKILL at random points in each stage
//! finish, when rerun, with outputs identical to an uninterrupted run and no
//! temporary or partial file left or counted; a full disk fails clearly and
//! marks nothing complete.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::{both, norclin, run_in};

/// The pipeline under test: ingest → deid → langid → tokenize over a
/// corpus big enough to be interrupted.
fn setup(dir: &Path) {
    let mut f = std::io::BufWriter::new(fs::File::create(dir.join("in.jsonl")).unwrap());
    let bodies = [
        "Pasienten ble innlagt med brystsmerter. EKG viste sinusrytme. Troponin T 14 ng/L. Kontroll hos fastlege. ",
        "Pasienten vart innlagd med pustevanskar. Ho har ikkje feber. Vi avtalar ny time om to veker. ",
    ];
    for i in 0..8_000 {
        writeln!(
            f,
            "{{\"note_id\":\"n{i}\",\"patient_id\":\"p{}\",\"doc_type\":\"epikrise\",\"written_at\":\"2021-03-12\",\"text\":\"Kari Nordmann, tlf. 912 34 567. {}{i}\"}}",
            i % 997,
            bodies[i % 2].repeat(1 + i % 4)
        )
        .unwrap();
    }
    f.flush().unwrap();
    fs::write(
        dir.join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n\
         [[stages]]\ntype = \"ingest\"\ninputs = [\"in.jsonl\"]\n\
         [[stages]]\ntype = \"deid\"\ndemo_key = true\n\
         [[stages]]\ntype = \"langid\"\n\
         [[stages]]\ntype = \"tokenize\"\nvocab_size = 500\nmax_len = 128\n",
    )
    .unwrap();
}

/// Every output file below `dir` (relative path → bytes), reports excluded
/// (they carry timings).
fn outputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if !name.starts_with("report.") && !name.starts_with('_') {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    outputs(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// A small deterministic generator for kill points.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn sigkill_at_random_points_then_rerun_gives_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let o = run_in(tmp.path(), &["-q", "run", "p.toml", "--run-dir", "clean"]);
    assert!(o.status.success(), "{}", both(&o));
    let want = outputs(&tmp.path().join("clean"));
    let stages: Vec<String> = {
        let mut v: Vec<String> = fs::read_dir(tmp.path().join("clean"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    // One attempt: start a run, wait (bounded) for `stage` to start, then a
    // random number (below `max_yields`) of scheduler yields, then SIGKILL;
    // rerun and compare. Returns whether the kill landed inside the stage.
    let attempt = |seed: u64, stage: &str, max_yields: u64| -> bool {
        let mut rng = Lcg(seed * 7919 + stage.len() as u64);
        let run = format!("killed-{seed}-{stage}");
        let mut child = norclin()
            .current_dir(tmp.path())
            .args(["-q", "run", "p.toml", "--run-dir", &run])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = tmp.path().join(&run).join(stage).join("_STARTED.json");
        let mut reached = false;
        for _ in 0..2_000_000 {
            if started.exists() {
                reached = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::yield_now();
        }
        for _ in 0..rng.next() % max_yields.max(1) {
            std::thread::yield_now();
        }
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        let complete = tmp
            .path()
            .join(&run)
            .join(stage)
            .join("_SUCCESS.json")
            .exists();
        let o = run_in(tmp.path(), &["-q", "run", "p.toml", "--run-dir", &run]);
        assert!(
            o.status.success(),
            "rerun after kill (seed {seed}, {stage}): {}",
            both(&o)
        );
        let got = outputs(&tmp.path().join(&run));
        assert_eq!(
            got.len(),
            want.len(),
            "seed {seed}, {stage}: different files"
        );
        for ((pa, a), (pb, b)) in got.iter().zip(&want) {
            assert_eq!(pa, pb);
            assert!(
                a == b,
                "seed {seed}, {stage}: {} differs after resume",
                pa.display()
            );
        }
        assert!(temporaries(&tmp.path().join(&run)).is_empty());
        fs::remove_dir_all(tmp.path().join(&run)).unwrap();
        reached && !finished && !complete
    };
    assert_eq!(
        stages,
        ["01-ingest", "02-deid", "03-langid", "04-tokenize"],
        "the pipeline under test"
    );
    let mut mid_stage: Vec<u32> = vec![0; stages.len()];
    for seed in 1..=3u64 {
        for (i, stage) in stages.iter().enumerate() {
            mid_stage[i] += u32::from(attempt(seed, stage, 20_000));
        }
    }
    // A fast stage can finish before a late kill: kill it again, right after
    // it starts, until one lands inside it (bounded).
    for (i, stage) in stages.iter().enumerate() {
        let mut seed = 100;
        while mid_stage[i] == 0 && seed < 104 {
            mid_stage[i] += u32::from(attempt(seed, stage, 1));
            seed += 1;
        }
    }
    eprintln!("kills inside each stage of {stages:?}: {mid_stage:?}");
    for (stage, n) in stages.iter().zip(&mid_stage) {
        assert!(
            *n > 0,
            "no kill landed inside stage {stage} (kills inside each stage: {mid_stage:?}); \
             the corpus is too small to test its resumption"
        );
    }
}

/// The full pipeline (ingest → deid → langid → tokenize) gives byte-identical
/// outputs when run twice and with 1 or 2 threads.
#[test]
fn full_pipeline_outputs_are_identical_across_runs_and_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let mut runs = Vec::new();
    for (name, threads) in [("a", "1"), ("b", "2"), ("c", "2")] {
        let o = run_in(
            tmp.path(),
            &[
                "-q",
                "--threads",
                threads,
                "run",
                "p.toml",
                "--run-dir",
                name,
            ],
        );
        assert!(o.status.success(), "{}", both(&o));
        runs.push(outputs(&tmp.path().join(name)));
    }
    assert!(
        runs[0].len() >= 8,
        "expected every stage's outputs, got {:?}",
        runs[0].iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for other in &runs[1..] {
        assert_eq!(other.len(), runs[0].len());
        for ((pa, a), (pb, b)) in runs[0].iter().zip(other) {
            assert_eq!(pa, pb);
            assert!(a == b, "{} differs between runs", pa.display());
        }
    }
}

/// Disk full: the run directory on a 32 KiB tmpfs (needs root and `mount`).
#[test]
fn a_full_disk_fails_clearly_and_marks_nothing_complete() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let small = tmp.path().join("small");
    fs::create_dir(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=32k", "tmpfs"])
        .arg(&small)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("SKIP a_full_disk_fails_clearly: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(small.clone());
    let o = run_in(
        tmp.path(),
        &[
            "run",
            "p.toml",
            "--run-dir",
            small.join("run").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let msg = both(&o);
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(msg.contains("01-ingest"), "{msg}");
    assert!(!small.join("run/01-ingest/_SUCCESS.json").exists());
    assert!(
        !small.join("run/01-ingest/notes.parquet").exists(),
        "no partial output under the final name"
    );
    assert!(!msg.contains("panicked"), "{msg}");
    assert!(
        temporaries(&small.join("run")).is_empty(),
        "temporaries left on the full disk"
    );
    assert_eq!(
        msg.matches("No space left on device").count(),
        1,
        "cause repeated: {msg}"
    );
}
