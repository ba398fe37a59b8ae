//! AdamW with decoupled weight decay (Loshchilov & Hutter; as
//! `torch.optim.AdamW`), no decay on biases and LayerNorm weights, global
//! gradient-norm clipping, and learning-rate schedules (warmup, then linear
//! or cosine decay).
//!
//! The optimizer state (step, first and second moments under the
//! parameters' HF names) saves to and loads from safetensors, so a resumed
//! run takes exactly the steps an uninterrupted one would.

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use super::bert::{ModelError, ParamStore, read_safetensors, write_safetensors};

/// AdamW hyper-parameters (the learning rate comes from the schedule).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamWConfig {
    /// First-moment decay.
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    /// Second-moment decay.
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    /// Denominator epsilon.
    #[serde(default = "default_eps")]
    pub eps: f64,
    /// Decoupled weight decay (not applied to biases and LayerNorm).
    #[serde(default = "default_wd")]
    pub weight_decay: f64,
}

fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}
fn default_wd() -> f64 {
    0.01
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: default_wd(),
        }
    }
}

struct Slot {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
    decay: bool,
}

/// The AdamW optimizer over a model's [`ParamStore`].
pub struct AdamW {
    config: AdamWConfig,
    step: u64,
    slots: Vec<Slot>,
}

/// Gradients aligned with the parameter order of a [`ParamStore`].
#[derive(Clone, Debug)]
pub struct Grads {
    /// One entry per parameter, `None` where no gradient reached it.
    pub tensors: Vec<Option<Tensor>>,
}

impl Grads {
    /// Picks the gradients of `params` out of a backward pass.
    pub fn from_backward(params: &ParamStore, store: &candle_core::backprop::GradStore) -> Grads {
        Grads {
            tensors: params
                .iter()
                .map(|(_, v)| store.get(v.as_tensor()).cloned())
                .collect(),
        }
    }

    /// Adds `other` (gradient accumulation).
    pub fn accumulate(&mut self, other: Grads) -> candle_core::Result<()> {
        for (a, b) in self.tensors.iter_mut().zip(other.tensors) {
            *a = match (a.take(), b) {
                (Some(x), Some(y)) => Some((x + y)?),
                (x, y) => x.or(y),
            };
        }
        Ok(())
    }

    /// Global L2 norm over every gradient.
    pub fn global_norm(&self) -> candle_core::Result<f64> {
        let mut total = 0f64;
        for g in self.tensors.iter().flatten() {
            total += g
                .sqr()?
                .sum_all()?
                .to_dtype(candle_core::DType::F64)?
                .to_scalar::<f64>()?;
        }
        Ok(total.sqrt())
    }

    /// Scales every gradient by `f`.
    pub fn scale(&mut self, f: f64) -> candle_core::Result<()> {
        for g in self.tensors.iter_mut().flatten() {
            *g = (&*g * f)?;
        }
        Ok(())
    }

    /// Clips to global norm `max_norm` (as `torch.nn.utils.clip_grad_norm_`);
    /// returns the norm before clipping.
    pub fn clip(&mut self, max_norm: f64) -> candle_core::Result<f64> {
        let norm = self.global_norm()?;
        if max_norm > 0.0 && norm > max_norm {
            self.scale(max_norm / (norm + 1e-6))?;
        }
        Ok(norm)
    }
}

impl AdamW {
    /// An optimizer with zero moments for every parameter of `params`.
    pub fn new(params: &ParamStore, config: AdamWConfig) -> candle_core::Result<AdamW> {
        let slots = params
            .iter()
            .map(|(name, var)| {
                Ok(Slot {
                    name: name.to_string(),
                    var: var.clone(),
                    m: var.zeros_like()?,
                    v: var.zeros_like()?,
                    decay: ParamStore::decays(name),
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(AdamW {
            config,
            step: 0,
            slots,
        })
    }

    /// Optimizer steps taken.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Takes one step with learning rate `lr`.
    pub fn step(&mut self, grads: &Grads, lr: f64) -> candle_core::Result<()> {
        self.step += 1;
        let c = &self.config;
        let t = self.step as i32;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        for (slot, g) in self.slots.iter_mut().zip(&grads.tensors) {
            let Some(g) = g else { continue };
            let m = ((&slot.m * c.beta1)? + (g * (1.0 - c.beta1))?)?;
            let v = ((&slot.v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
            let theta = slot.var.as_tensor();
            let theta = if slot.decay && c.weight_decay > 0.0 {
                (theta * (1.0 - lr * c.weight_decay))?
            } else {
                theta.clone()
            };
            // θ ← θ − lr · m̂ / (√v̂ + ε), with m̂ = m / bc1 and v̂ = v / bc2.
            let denom = ((&v / bc2)?.sqrt()? + c.eps)?;
            let update = ((&m / bc1)? / denom)?;
            let next = (theta - (update * lr)?)?;
            slot.var.set(&next)?;
            slot.m = m;
            slot.v = v;
        }
        Ok(())
    }

    /// Writes the moments to `path` (safetensors, `m.NAME` / `v.NAME`).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let mut named = Vec::with_capacity(2 * self.slots.len());
        for s in &self.slots {
            named.push((format!("m.{}", s.name), s.m.clone()));
            named.push((format!("v.{}", s.name), s.v.clone()));
        }
        write_safetensors(path, &named)
    }

    /// Restores moments written by [`AdamW::save`] and the step count.
    pub fn load(&mut self, path: &Path, step: u64) -> Result<(), ModelError> {
        let device = match self.slots.first() {
            Some(s) => s.var.device().clone(),
            None => return Ok(()),
        };
        let tensors: BTreeMap<String, Tensor> =
            read_safetensors(path, &device)?.into_iter().collect();
        for s in &mut self.slots {
            for (prefix, target) in [("m", &mut s.m), ("v", &mut s.v)] {
                let key = format!("{prefix}.{}", s.name);
                let t = tensors.get(&key).ok_or_else(|| ModelError::MissingWeight {
                    path: path.to_path_buf(),
                    name: key.clone(),
                })?;
                if t.dims() != s.var.dims() {
                    return Err(ModelError::Shape {
                        path: path.to_path_buf(),
                        name: key,
                        found: t.dims().to_vec(),
                        expected: s.var.dims().to_vec(),
                    });
                }
                *target = t.to_dtype(s.var.dtype())?;
            }
        }
        self.step = step;
        Ok(())
    }
}

/// Shape of the learning-rate curve after warmup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decay {
    /// Linear to `min_lr_ratio × lr` at the last step.
    Linear,
    /// Half a cosine to `min_lr_ratio × lr` at the last step.
    Cosine,
    /// Stays at the peak.
    Constant,
}

/// Linear warmup to `lr`, then [`Decay`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrSchedule {
    /// Peak learning rate.
    pub lr: f64,
    /// Warmup steps (lr rises linearly from `lr / warmup` to `lr`).
    #[serde(default)]
    pub warmup_steps: u64,
    /// Decay after warmup.
    #[serde(default = "default_decay")]
    pub decay: Decay,
    /// Final learning rate as a fraction of the peak.
    #[serde(default)]
    pub min_lr_ratio: f64,
}

fn default_decay() -> Decay {
    Decay::Linear
}

impl LrSchedule {
    /// Learning rate of optimizer step `step` (0-based) of `total`.
    pub fn at(&self, step: u64, total: u64) -> f64 {
        if step < self.warmup_steps {
            return self.lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = total.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / span as f64).clamp(0.0, 1.0);
        let floor = self.min_lr_ratio.clamp(0.0, 1.0);
        let f = match self.decay {
            Decay::Constant => 1.0,
            Decay::Linear => 1.0 - progress,
            Decay::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
        };
        self.lr * (floor + (1.0 - floor) * f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::bert::{BertConfig, BertForMaskedLM, DropoutRng, MlmBatch};
    use candle_core::Device;

    #[test]
    fn adamw_matches_the_torch_update_rule() {
        // Reference: the algorithm box of torch.optim.AdamW, written out
        // in f64 scalars in `by_hand`.
        let dev = Device::Cpu;
        let var = Var::new(&[1.0f32, -2.0], &dev).unwrap();
        let mut opt = AdamW {
            config: AdamWConfig {
                weight_decay: 0.1,
                ..AdamWConfig::default()
            },
            step: 0,
            slots: vec![Slot {
                name: "w.weight".into(),
                m: var.zeros_like().unwrap(),
                v: var.zeros_like().unwrap(),
                var: var.clone(),
                decay: true,
            }],
        };
        for g in [[0.5f32, 0.1], [-0.2, 0.3]] {
            let grads = Grads {
                tensors: vec![Some(Tensor::new(&g, &dev).unwrap())],
            };
            opt.step(&grads, 0.1).unwrap();
        }
        let p = var.as_tensor().to_vec1::<f32>().unwrap();
        let expect = by_hand(&[1.0, -2.0], &[[0.5, 0.1], [-0.2, 0.3]], 0.1, 0.1);
        for (a, b) in p.iter().zip(expect) {
            assert!((*a as f64 - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    /// Scalar AdamW as written in the torch documentation.
    fn by_hand(p0: &[f64], grads: &[[f64; 2]], lr: f64, wd: f64) -> Vec<f64> {
        let mut p = p0.to_vec();
        let mut m = vec![0.0; p.len()];
        let mut v = vec![0.0; p.len()];
        for (t, g) in grads.iter().enumerate() {
            let t = (t + 1) as i32;
            for i in 0..p.len() {
                p[i] -= lr * wd * p[i];
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                let mh = m[i] / (1.0 - 0.9f64.powi(t));
                let vh = v[i] / (1.0 - 0.999f64.powi(t));
                p[i] -= lr * mh / (vh.sqrt() + 1e-8);
            }
        }
        p
    }

    fn tiny_cfg() -> BertConfig {
        let mut c = BertConfig::preset("tiny", 30).unwrap();
        c.hidden_size = 32;
        c.intermediate_size = 64;
        c.max_position_embeddings = 16;
        c
    }

    #[test]
    fn no_decay_on_biases_and_layer_norm() {
        assert!(ParamStore::decays(
            "bert.encoder.layer.0.attention.self.query.weight"
        ));
        assert!(!ParamStore::decays(
            "bert.encoder.layer.0.attention.self.query.bias"
        ));
        assert!(!ParamStore::decays("bert.embeddings.LayerNorm.weight"));
        assert!(!ParamStore::decays("cls.predictions.bias"));
    }

    #[test]
    fn clipping_bounds_the_global_norm() {
        let dev = Device::Cpu;
        let mut g = Grads {
            tensors: vec![
                Some(Tensor::new(&[3.0f32, 0.0], &dev).unwrap()),
                None,
                Some(Tensor::new(&[4.0f32], &dev).unwrap()),
            ],
        };
        assert!((g.clip(1.0).unwrap() - 5.0).abs() < 1e-9);
        assert!((g.global_norm().unwrap() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn schedules() {
        let s = LrSchedule {
            lr: 1.0,
            warmup_steps: 10,
            decay: Decay::Linear,
            min_lr_ratio: 0.0,
        };
        assert!((s.at(0, 110) - 0.1).abs() < 1e-12);
        assert!((s.at(9, 110) - 1.0).abs() < 1e-12);
        assert!((s.at(60, 110) - 0.5).abs() < 1e-12);
        let c = LrSchedule {
            decay: Decay::Cosine,
            min_lr_ratio: 0.1,
            ..s.clone()
        };
        assert!((c.at(10, 110) - 1.0).abs() < 1e-12);
        assert!((c.at(60, 110) - 0.55).abs() < 1e-12);
        assert!((c.at(110, 110) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn tiny_model_overfits_a_small_batch() {
        overfits_a_small_batch_in(candle_core::DType::F32);
    }

    #[test]
    fn tiny_bf16_model_overfits_a_small_batch() {
        // Mixed precision: bf16 compute, f32 master weights and moments.
        overfits_a_small_batch_in(candle_core::DType::BF16);
    }

    fn overfits_a_small_batch_in(dtype: candle_core::DType) {
        let dev = Device::Cpu;
        let mut cfg = tiny_cfg();
        cfg.hidden_dropout_prob = 0.0;
        cfg.attention_probs_dropout_prob = 0.0;
        let mut model = BertForMaskedLM::new(&cfg, 11, &dev).unwrap();
        model.set_compute_dtype(dtype).unwrap();
        let ids: Vec<u32> = (0..32).map(|i| 5 + (i * 7 % 23) as u32).collect();
        let mut input = ids.clone();
        let positions: Vec<u32> = vec![1, 4, 9, 13, 18, 22, 27, 30];
        for &p in &positions {
            input[p as usize] = 4;
        }
        let batch = MlmBatch {
            input_ids: Tensor::from_vec(input, (2, 16), &dev).unwrap(),
            attention_mask: Tensor::ones((2, 16), candle_core::DType::F32, &dev).unwrap(),
            positions: Tensor::new(positions.as_slice(), &dev).unwrap(),
            labels: Tensor::from_vec(
                positions
                    .iter()
                    .map(|&p| ids[p as usize])
                    .collect::<Vec<_>>(),
                positions.len(),
                &dev,
            )
            .unwrap(),
        };
        let mut opt = AdamW::new(model.params(), AdamWConfig::default()).unwrap();
        let mut rng = DropoutRng::new(0);
        let mut first = None;
        let mut last = 0.0;
        for _ in 0..60 {
            let out = model.mlm(&batch, Some(&mut rng)).unwrap();
            last = out.loss.to_scalar::<f32>().unwrap();
            first.get_or_insert(last);
            let grads = Grads::from_backward(model.params(), &out.loss.backward().unwrap());
            opt.step(&grads, 3e-3).unwrap();
        }
        let first = first.unwrap();
        assert!(last < first / 20.0, "{dtype:?}: loss {first} -> {last}");
        for slot in &opt.slots {
            assert_eq!(slot.m.dtype(), candle_core::DType::F32, "{}", slot.name);
            assert_eq!(slot.var.dtype(), candle_core::DType::F32, "{}", slot.name);
        }
    }

    #[test]
    fn state_round_trips() {
        let dev = Device::Cpu;
        let model = BertForMaskedLM::new(&tiny_cfg(), 1, &dev).unwrap();
        let mut opt = AdamW::new(model.params(), AdamWConfig::default()).unwrap();
        let grads = Grads {
            tensors: model
                .params()
                .iter()
                .map(|(_, v)| Some(v.ones_like().unwrap()))
                .collect(),
        };
        opt.step(&grads, 0.01).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("optimizer.safetensors");
        opt.save(&path).unwrap();
        let mut back = AdamW::new(model.params(), AdamWConfig::default()).unwrap();
        back.load(&path, opt.steps_taken()).unwrap();
        assert_eq!(back.steps_taken(), 1);
        for (a, b) in opt.slots.iter().zip(&back.slots) {
            assert_eq!(
                a.v.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                b.v.flatten_all().unwrap().to_vec1::<f32>().unwrap()
            );
        }
    }
}
