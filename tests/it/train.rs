//! Training: interop with transformers (gated on `NORCLIN_INTEROP=1`, run by
//! `scripts/test.d/train_interop.sh`) and the `pretrain` verb.

use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::{Device, Tensor};
use norclin::train::BertForMaskedLM;

use crate::common::repo_path;

fn venv_python() -> PathBuf {
    let venv = std::env::var("NORCLIN_TRAIN_VENV").unwrap_or_else(|_| {
        format!(
            "{}/.cache/norclin/venv-train",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    PathBuf::from(venv).join("bin/python")
}

fn interop_enabled() -> bool {
    if std::env::var("NORCLIN_INTEROP").as_deref() == Ok("1") {
        true
    } else {
        eprintln!("interop test skipped: set NORCLIN_INTEROP=1 (scripts/test.d/train_interop.sh)");
        false
    }
}

fn python(args: &[&str]) {
    let out = Command::new(venv_python())
        .arg(repo_path("scripts/train/hf_interop.py"))
        .args(args)
        .output()
        .expect("start the venv python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "hf_interop.py {args:?} failed:\n{text}"
    );
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn tensor_u32(v: &serde_json::Value) -> Tensor {
    let rows: Vec<Vec<u32>> = serde_json::from_value(v.clone()).unwrap();
    Tensor::new(rows, &Device::Cpu).unwrap()
}

#[test]
fn interop_hf_checkpoint_gives_pytorch_logits_and_ours_load_in_transformers() {
    if !interop_enabled() {
        return;
    }
    for tied in ["tied", "untied"] {
        let dir = tempfile::tempdir().unwrap();
        let hf = dir.path().join("hf");
        python(&["make", hf.to_str().unwrap(), tied]);
        let expected = read_json(&hf.join("expected.json"));
        let model = BertForMaskedLM::load(&hf, &Device::Cpu).unwrap();
        let ids = tensor_u32(&expected["input_ids"]);
        let mask = tensor_u32(&expected["attention_mask"])
            .to_dtype(candle_core::DType::F32)
            .unwrap();
        let ours = model.mlm_logits(&ids, Some(&mask)).unwrap();
        let theirs: Vec<Vec<Vec<f32>>> =
            serde_json::from_value(expected["logits"].clone()).unwrap();
        let ours3 = ours.to_vec3::<f32>().unwrap();
        let masks: Vec<Vec<u32>> =
            serde_json::from_value(expected["attention_mask"].clone()).unwrap();
        let mut max_diff = 0f32;
        for (b, row) in theirs.iter().enumerate() {
            for (t, logits) in row.iter().enumerate() {
                if masks[b][t] == 0 {
                    continue; // padding positions are not defined outputs
                }
                for (v, x) in logits.iter().enumerate() {
                    max_diff = max_diff.max((x - ours3[b][t][v]).abs());
                }
            }
        }
        eprintln!("{tied}: HF checkpoint in norclin: max |torch - norclin| = {max_diff:e}");
        assert!(max_diff <= 1e-4, "{tied}: logits differ by {max_diff}");

        // The other way: our checkpoint in transformers.
        let ours_dir = dir.path().join("norclin");
        model.save(&ours_dir).unwrap();
        let reloaded = BertForMaskedLM::load(&ours_dir, &Device::Cpu).unwrap();
        let logits = reloaded.mlm_logits(&ids, Some(&mask)).unwrap();
        let json = serde_json::json!({
            "input_ids": expected["input_ids"],
            "attention_mask": expected["attention_mask"],
            "logits": logits.to_vec3::<f32>().unwrap(),
        });
        std::fs::write(
            ours_dir.join("norclin_logits.json"),
            serde_json::to_vec(&json).unwrap(),
        )
        .unwrap();
        python(&["check", ours_dir.to_str().unwrap()]);
    }
}

fn write_notes(dir: &Path, patients: usize) -> PathBuf {
    use norclin::notes::NotesWriter;
    let path = dir.join("notes.parquet");
    let mut w = NotesWriter::create(&path).unwrap();
    for (n, _) in crate::tokenize::synthetic_notes(patients) {
        w.write(n).unwrap();
    }
    w.finish().unwrap();
    path
}

fn run_ok(cwd: &Path, args: &[&str]) -> String {
    let out = crate::common::run_in(cwd, args);
    let text = crate::common::both(&out);
    assert!(out.status.success(), "norclin {args:?}:\n{text}");
    text
}

/// `labelled.jsonl`: the doc type of 30 patients' notes as labels.
fn write_labelled(dir: &Path) {
    let mut jsonl = String::new();
    for (n, p) in crate::tokenize::synthetic_notes(30) {
        jsonl.push_str(
            &serde_json::json!({"text": n.text.0, "label": n.doc_type.as_str(), "patient_id": p})
                .to_string(),
        );
        jsonl.push('\n');
    }
    std::fs::write(dir.join("labelled.jsonl"), jsonl).unwrap();
}

/// `spans.jsonl`: one PERSON_FIRST span in each of 30 patients' notes.
fn write_spans(dir: &Path) {
    let mut jsonl = String::new();
    for p in 0..30 {
        let name = ["Kari", "Ola", "Nils"][p % 3];
        let text = format!("pasient {name} ringte i dag");
        jsonl.push_str(
            &serde_json::json!({
                "text": text, "patient_id": format!("p{p}"),
                "spans": [{"start": 8, "end": 8 + name.chars().count(), "label": "PERSON_FIRST"}],
            })
            .to_string(),
        );
        jsonl.push('\n');
    }
    std::fs::write(dir.join("spans.jsonl"), jsonl).unwrap();
}

/// Tokenizes 30 patients' notes into `shards` (vocabulary `vocab`) under
/// `dir`.
fn tokenize_into(dir: &Path, shards: &str, vocab: usize) {
    let notes = write_notes(dir, 30);
    run_ok(
        dir,
        &[
            "tokenize",
            "--input",
            notes.to_str().unwrap(),
            "--out",
            shards,
            "--vocab-size",
            &vocab.to_string(),
            "--max-len",
            "128",
            "--ratios",
            "0.7,0.15,0.15",
        ],
    );
}

/// A tiny pretrain of `shards` into `out`: two steps at lr 1e-3 unless
/// `extra` gives `--steps`/`--lr` (and any other flags).
fn quick_pretrain(dir: &Path, shards: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "pretrain",
        "--shards",
        shards,
        "--out",
        out,
        "--batch-size",
        "2",
        "--max-len",
        "64",
        "--eval-sequences",
        "4",
    ];
    for (flag, default) in [("--steps", "2"), ("--lr", "1e-3")] {
        if !extra.contains(&flag) {
            args.extend([flag, default]);
        }
    }
    args.extend_from_slice(extra);
    crate::common::run_in(dir, &args)
}

fn manifest_vocab(dir: &Path) -> u64 {
    read_json(&dir.join("manifest.json"))["vocab_size"]
        .as_u64()
        .unwrap()
}

#[test]
fn pretrain_init_continues_from_an_earlier_pretrain_and_checks_the_vocab() {
    let tmp = tempfile::tempdir().unwrap();
    tokenize_into(tmp.path(), "shards", 300);
    let first = quick_pretrain(tmp.path(), "shards", "run", &[]);
    assert!(first.status.success(), "{}", crate::common::both(&first));

    // Continue from its final model for one step at a negligible learning
    // rate, in bf16: the result is the earlier model, not a fresh one (a
    // fresh tiny model with the same seed differs by the two steps at 1e-3).
    let out = quick_pretrain(
        tmp.path(),
        "shards",
        "run2",
        &[
            "--init",
            "run/model",
            "--steps",
            "1",
            "--lr",
            "1e-9",
            "--dtype",
            "bf16",
        ],
    );
    let text = crate::common::both(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("dtype bf16"), "{text}");
    let weights = |d: &str| {
        norclin::train::bert::read_safetensors(
            &tmp.path().join(d).join("model/model.safetensors"),
            &Device::Cpu,
        )
        .unwrap()
    };
    let (before, after) = (weights("run"), weights("run2"));
    assert_eq!(before.len(), after.len());
    let mut worst = 0f32;
    for (name, a) in &before {
        let b = &after[name];
        let d = (a - b).unwrap().abs().unwrap().max_all().unwrap();
        worst = worst.max(d.to_scalar::<f32>().unwrap());
    }
    assert!(worst < 1e-5, "continued model moved by {worst}");
    let state = read_json(
        &tmp.path()
            .join("run2/checkpoints/step-000001/trainer_state/state.json"),
    );
    assert_eq!(state["dtype"], "bf16", "{state}");

    // Shards with another vocabulary are refused, naming both sizes.
    tokenize_into(tmp.path(), "shards-small", 200);
    let (ours, theirs) = (
        manifest_vocab(&tmp.path().join("shards")),
        manifest_vocab(&tmp.path().join("shards-small")),
    );
    assert_ne!(ours, theirs);
    let out = quick_pretrain(tmp.path(), "shards-small", "run3", &["--init", "run/model"]);
    let text = crate::common::both(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!("vocab_size {ours}"))
            && text.contains(&format!("vocab_size {theirs}")),
        "{text}"
    );
    assert!(!tmp.path().join("run3/model").exists());
}

#[test]
fn evaluate_compare_fine_tunes_every_model_on_both_downstream_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    tokenize_into(tmp.path(), "shards", 300);
    let out = quick_pretrain(tmp.path(), "shards", "run", &[]);
    assert!(out.status.success(), "{}", crate::common::both(&out));
    write_labelled(tmp.path());
    write_spans(tmp.path());
    run_ok(
        tmp.path(),
        &[
            "evaluate",
            "--compare",
            "run/model",
            "untrained:tiny",
            "--shards",
            "shards",
            "--max-len",
            "64",
            "--max-sequences",
            "8",
            "--classify",
            "labelled.jsonl",
            "--ner",
            "spans.jsonl",
            "--classify-epochs",
            "1",
            "--out",
            "eval",
        ],
    );
    let models = ["run/model", "untrained:tiny"];
    let json = read_json(&tmp.path().join("eval/evaluation.json"));
    for section in ["models", "classification", "ner"] {
        let rows = json[section].as_array().unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
        assert_eq!(names, models, "{section}: {json}");
    }
    for c in json["classification"].as_array().unwrap() {
        assert!(
            (0.0..=1.0).contains(&c["accuracy"].as_f64().unwrap()),
            "{c}"
        );
    }
    for n in json["ner"].as_array().unwrap() {
        let support = &n["runs"][0]["per_label"]["PERSON_FIRST"]["support"];
        assert!(support.as_u64().unwrap() > 0, "{n}");
    }
    // One Markdown file: each section once, a row per model in each.
    let md = std::fs::read_to_string(tmp.path().join("eval/evaluation.md")).unwrap();
    for header in [
        "# Masked-LM evaluation",
        "# Sequence classification",
        "# Token classification",
    ] {
        assert_eq!(md.matches(header).count(), 1, "{header}:\n{md}");
    }
    for m in models {
        // MLM row, classification row, NER micro row.
        let rows = md
            .lines()
            .filter(|l| l.starts_with(&format!("| {m} |")))
            .count();
        assert!(rows >= 3, "{m}: {rows} rows\n{md}");
        assert!(md.contains(&format!("| {m} | (micro) |")), "{m}:\n{md}");
        assert!(
            md.contains(&format!("| {m} | PERSON_FIRST |")),
            "{m}:\n{md}"
        );
    }
}

#[test]
fn pretrain_from_shards_writes_hf_checkpoints_and_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = write_notes(tmp.path(), 30);
    run_ok(
        tmp.path(),
        &[
            "tokenize",
            "--input",
            notes.to_str().unwrap(),
            "--out",
            "shards",
            "--vocab-size",
            "300",
            "--max-len",
            "128",
            "--ratios",
            "0.7,0.15,0.15",
        ],
    );
    let args = [
        "pretrain",
        "--shards",
        "shards",
        "--out",
        "run",
        "--config",
        "tiny",
        "--steps",
        "6",
        "--batch-size",
        "4",
        "--max-len",
        "64",
        "--eval-every",
        "3",
        "--eval-sequences",
        "8",
        "--checkpoint-every",
        "3",
        "--masking",
        "whole-word",
        "--mask-rate",
        "0.3:0.15",
        "--lr",
        "1e-3",
        "--warmup",
        "2",
        "--decay",
        "cosine",
        "--seed",
        "3",
    ];
    let text = run_ok(tmp.path(), &args);
    assert!(text.contains("pretrain: step 6"), "{text}");
    let run = tmp.path().join("run");
    for f in [
        "model/config.json",
        "model/model.safetensors",
        "model/tokenizer.json",
        "checkpoints/step-000003/trainer_state/state.json",
        "checkpoints/step-000003/trainer_state/optimizer.safetensors",
        "checkpoints/step-000003/tokenizer.json",
        "checkpoints/step-000006/model.safetensors",
        "loss.svg",
        "report.json",
    ] {
        assert!(run.join(f).is_file(), "missing {f}");
    }
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let train = metrics.lines().filter(|l| l.contains("\"train\"")).count();
    let val = metrics.lines().filter(|l| l.contains("\"val\"")).count();
    assert_eq!((train, val), (6, 2), "{metrics}");
    let model = BertForMaskedLM::load(&run.join("model"), &Device::Cpu).unwrap();
    assert_eq!(model.config().hidden_size, 128);

    // Lose the last checkpoint and the final model: a rerun resumes from
    // step 3 and ends with the same metrics and weights.
    let weights = std::fs::read(run.join("model/model.safetensors")).unwrap();
    std::fs::remove_dir_all(run.join("checkpoints/step-000006")).unwrap();
    std::fs::remove_dir_all(run.join("model")).unwrap();
    let text = run_ok(tmp.path(), &args);
    assert!(text.contains("resumed from 3"), "{text}");
    let again = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert_eq!(again, metrics);
    assert!(std::fs::read(run.join("model/model.safetensors")).unwrap() == weights);

    // Evaluate: the trained model against the untrained floor, same masks.
    let text = run_ok(
        tmp.path(),
        &[
            "evaluate",
            "--compare",
            "run/model",
            "untrained:tiny",
            "--shards",
            "shards",
            "--split",
            "test",
            "--max-len",
            "64",
            "--out",
            "eval",
        ],
    );
    assert!(text.contains("perplexity"), "{text}");
    let json: serde_json::Value = read_json(&tmp.path().join("eval/evaluation.json"));
    let loss = |i: usize| json["models"][i]["mlm"]["loss"].as_f64().unwrap();
    assert!(
        loss(0) < loss(1),
        "trained {} vs untrained {}",
        loss(0),
        loss(1)
    );
    assert_eq!(
        json["models"][0]["mlm"]["masked"],
        json["models"][1]["mlm"]["masked"]
    );
    let md = std::fs::read_to_string(tmp.path().join("eval/evaluation.md")).unwrap();
    assert!(md.contains("| untrained:tiny |"), "{md}");

    // Sequence classification (doc type) on held-out patients, two seeds.
    write_labelled(tmp.path());
    run_ok(
        tmp.path(),
        &[
            "evaluate",
            "--model",
            "run/model",
            "--shards",
            "shards",
            "--max-len",
            "64",
            "--max-sequences",
            "8",
            "--classify",
            "labelled.jsonl",
            "--classify-epochs",
            "1",
            "--seeds",
            "2",
            "--out",
            "eval2",
        ],
    );
    let json = read_json(&tmp.path().join("eval2/evaluation.json"));
    let c = &json["classification"][0];
    assert_eq!(c["runs"].as_array().unwrap().len(), 2);
    let acc = c["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc), "{c}");
    assert_eq!(
        c["runs"][0]["per_label"].as_object().unwrap().len(),
        4,
        "{c}"
    );
    let md = std::fs::read_to_string(tmp.path().join("eval2/evaluation.md")).unwrap();
    assert!(md.contains("Sequence classification"), "{md}");

    // Token classification: synthetic PHI-like spans, entity-level scores.
    write_spans(tmp.path());
    run_ok(
        tmp.path(),
        &[
            "evaluate",
            "--model",
            "run/model",
            "--shards",
            "shards",
            "--max-len",
            "64",
            "--max-sequences",
            "8",
            "--ner",
            "spans.jsonl",
            "--classify-epochs",
            "1",
            "--out",
            "eval3",
        ],
    );
    let json = read_json(&tmp.path().join("eval3/evaluation.json"));
    let per_label = &json["ner"][0]["runs"][0]["per_label"];
    assert!(
        per_label["PERSON_FIRST"]["support"].as_u64().unwrap() > 0,
        "{json}"
    );
    let md = std::fs::read_to_string(tmp.path().join("eval3/evaluation.md")).unwrap();
    assert!(md.contains("| PERSON_FIRST |"), "{md}");
}

#[test]
fn pretrain_rejects_bad_arguments_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = crate::common::run_in(
        tmp.path(),
        &[
            "pretrain", "--shards", "nope", "--out", "o", "--config", "huge", "--steps", "0",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = crate::common::both(&out);
    for field in ["pretrain.steps", "pretrain.model", "pretrain.shards"] {
        assert!(text.contains(field), "{field}: {text}");
    }
}

#[test]
fn pretrain_runs_as_a_pipeline_stage_after_tokenize() {
    let tmp = tempfile::tempdir().unwrap();
    let mut jsonl = String::new();
    for (n, _) in crate::tokenize::synthetic_notes(12) {
        jsonl.push_str(
            &serde_json::json!({
                "note_id": n.note_id, "patient_id": n.patient_id,
                "doc_type": n.doc_type.as_str(), "text": n.text.0,
            })
            .to_string(),
        );
        jsonl.push('\n');
    }
    std::fs::write(tmp.path().join("notes.jsonl"), jsonl).unwrap();
    std::fs::write(
        tmp.path().join("p.toml"),
        "version = 1\nrun_dir = \"run\"\n[[stages]]\ntype = \"ingest\"\ninputs = [\"notes.jsonl\"]\n\
         [[stages]]\ntype = \"tokenize\"\nvocab_size = 300\nmax_len = 128\n\
         [[stages]]\ntype = \"pretrain\"\nmodel = \"tiny\"\nsteps = 3\nbatch_size = 2\nmax_len = 64\n\
         eval_every = 3\neval_sequences = 4\nmasking = { type = \"span\" }\n\
         schedule = { lr = 1e-3, decay = \"cosine\" }\n\
         [[stages]]\ntype = \"evaluate\"\nmodels = [\"@pretrain\", \"untrained:tiny\"]\n\
         split = \"train\"\nmax_len = 64\n",
    )
    .unwrap();
    run_ok(tmp.path(), &["validate", "p.toml"]);
    run_ok(tmp.path(), &["run", "p.toml"]);
    let dir = tmp.path().join("run/03-pretrain");
    assert!(dir.join("model/model.safetensors").is_file());
    assert!(dir.join("model/tokenizer.json").is_file());
    let report = read_json(&tmp.path().join("run/report.json"));
    let text = report.to_string();
    assert!(text.contains("last_val_loss"), "{text}");
    assert!(dir.join("loss.svg").is_file());
    let eval = read_json(&tmp.path().join("run/04-evaluate/evaluation.json"));
    assert_eq!(eval["models"][0]["model"], "@pretrain", "{eval}");
    assert_eq!(eval["models"][1]["model"], "untrained:tiny", "{eval}");
}
