//! Training throughput: tokens/s of one optimizer step (forward, backward,
//! gradient clipping, AdamW) of the candle BERT masked-LM, for the `tiny`
//! and `small` presets at batch 16 × 128 tokens, 15 % of positions
//! predicted, dropout off, f32, CPU; `tiny-bf16` is the `tiny` step in bf16
//! mixed precision (bf16 compute, f32 master weights and AdamW moments).
//! `scripts/train/bench_torch.py` measures the same model in PyTorch
//! (`transformers.BertForMaskedLM`).
//!
//! `RAYON_NUM_THREADS=2 cargo bench --bench train`

use candle_core::{DType, Device, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use norclin::train::bert::{BertConfig, BertForMaskedLM, MlmBatch};
use norclin::train::optim::{AdamW, AdamWConfig, Grads};
use rand::{Rng, SeedableRng};

const BATCH: usize = 16;
const LEN: usize = 128;
const VOCAB: usize = 30522;

fn batch(dev: &Device) -> MlmBatch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let ids: Vec<u32> = (0..BATCH * LEN)
        .map(|_| rng.random_range(5..VOCAB as u32))
        .collect();
    let positions: Vec<u32> = (0..(BATCH * LEN) as u32)
        .filter(|_| rng.random::<f64>() < 0.15)
        .collect();
    let labels: Vec<u32> = positions.iter().map(|&p| ids[p as usize]).collect();
    let n = positions.len();
    MlmBatch {
        input_ids: Tensor::from_vec(ids, (BATCH, LEN), dev).unwrap(),
        attention_mask: Tensor::ones((BATCH, LEN), DType::F32, dev).unwrap(),
        positions: Tensor::from_vec(positions, n, dev).unwrap(),
        labels: Tensor::from_vec(labels, n, dev).unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let dev = Device::Cpu;
    let b = batch(&dev);
    let mut group = c.benchmark_group("train_step");
    group.throughput(Throughput::Elements((BATCH * LEN) as u64));
    group.sample_size(10);
    for (name, preset, dtype) in [
        ("tiny", "tiny", DType::F32),
        ("tiny-bf16", "tiny", DType::BF16),
        ("small", "small", DType::F32),
    ] {
        let cfg = BertConfig::preset(preset, VOCAB).unwrap();
        let mut model = BertForMaskedLM::new(&cfg, 0, &dev).unwrap();
        model.set_compute_dtype(dtype).unwrap();
        let mut opt = AdamW::new(model.params(), AdamWConfig::default()).unwrap();
        group.bench_function(name, |bench| {
            bench.iter(|| {
                let out = model.mlm(&b, None).unwrap();
                let mut grads = Grads::from_backward(model.params(), &out.loss.backward().unwrap());
                grads.clip(1.0).unwrap();
                opt.step(&grads, 1e-4).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
