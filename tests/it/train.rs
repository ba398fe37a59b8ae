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
