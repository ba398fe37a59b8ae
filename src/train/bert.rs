//! A BERT encoder with a masked-LM head, written on candle with Hugging Face
//! parameter names, so `config.json` + `model.safetensors` of a
//! `BertForMaskedLM` (or a bare `BertModel`) load directly, and our
//! checkpoints load in `transformers.BertForMaskedLM.from_pretrained`.
//!
//! Every operation is differentiable: LayerNorm is written with mean and
//! variance over broadcast ops (candle-nn's fused LayerNorm has no backward
//! pass), softmax with `exp`/`sum` (the fused last-dim softmax has none
//! either), and dropout multiplies by a real random keep-mask. The mask comes
//! from a seeded [`DropoutRng`] rather than candle's unseeded device RNG, so a
//! training run, and a resumed one, is reproducible.
//!
//! The model computes in f32 or, for mixed-precision training, in bf16
//! ([`BertForMaskedLM::set_compute_dtype`]): the parameters stay f32 and are
//! cast on use (the cast is differentiable, so gradients reach the f32
//! parameters as f32), while LayerNorm statistics, the attention softmax and
//! the logits are computed in f32. In f32 every cast is a no-op.
//!
//! The MLM loss is computed only at masked positions: their hidden states are
//! gathered before the prediction head, so the `hidden × vocab` decoder runs
//! on a few rows instead of every token.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::{D, DType, Device, Tensor, Var};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fsio::{AtomicFile, PathError};

/// File name of the weights in a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the model config in a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";

/// Errors of the model: building, running, loading and saving.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// `config.json` is not a usable BERT config.
    #[error("{path}: {message}")]
    Config {
        /// The config file (or `<preset>`).
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A weight the model needs is missing from the checkpoint.
    #[error("{path}: no weight `{name}` (also tried without/with the `bert.` prefix)")]
    MissingWeight {
        /// The safetensors file.
        path: PathBuf,
        /// HF parameter name.
        name: String,
    },
    /// A weight has the wrong shape for the config.
    #[error("{path}: weight `{name}` has shape {found:?}, the config needs {expected:?}")]
    Shape {
        /// The safetensors file.
        path: PathBuf,
        /// HF parameter name.
        name: String,
        /// Shape in the file.
        found: Vec<usize>,
        /// Shape the config implies.
        expected: Vec<usize>,
    },
}

fn default_true() -> bool {
    true
}
fn default_act() -> String {
    "gelu".to_string()
}
fn default_pos() -> String {
    "absolute".to_string()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_init() -> f64 {
    0.02
}
fn default_dropout() -> f64 {
    0.1
}
fn default_model_type() -> String {
    "bert".to_string()
}

/// The fields of a Hugging Face `BertConfig` (`config.json`) the model uses.
/// Unknown fields are kept in `extra` and written back unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    /// Token vocabulary size.
    pub vocab_size: usize,
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer (`hidden_size` must be a multiple).
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Activation: `gelu` (erf), `gelu_new`/`gelu_pytorch_tanh` (tanh
    /// approximation) or `relu`.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Dropout on embeddings and sub-layer outputs.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Longest sequence the position embeddings cover.
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// Standard deviation of the normal initialisation.
    #[serde(default = "default_init")]
    pub initializer_range: f64,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Id of the padding token.
    #[serde(default)]
    pub pad_token_id: u32,
    /// Only `absolute` is supported.
    #[serde(default = "default_pos")]
    pub position_embedding_type: String,
    /// Whether the MLM decoder shares the word-embedding matrix.
    #[serde(default = "default_true")]
    pub tie_word_embeddings: bool,
    /// Always `bert`.
    #[serde(default = "default_model_type")]
    pub model_type: String,
    /// Every other field of `config.json`, kept as is.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl BertConfig {
    /// A named preset: `tiny` (hidden 128, 2 layers, 2 heads, for tests and
    /// the demo), `small` (hidden 256, 4 layers, 4 heads) or `base` (BERT-base).
    pub fn preset(name: &str, vocab_size: usize) -> Option<BertConfig> {
        let (h, l, a, i, p) = match name {
            "tiny" => (128, 2, 2, 512, 512),
            "small" => (256, 4, 4, 1024, 512),
            "base" => (768, 12, 12, 3072, 512),
            _ => return None,
        };
        let mut extra = serde_json::Map::new();
        extra.insert(
            "architectures".into(),
            serde_json::json!(["BertForMaskedLM"]),
        );
        Some(BertConfig {
            vocab_size,
            hidden_size: h,
            num_hidden_layers: l,
            num_attention_heads: a,
            intermediate_size: i,
            hidden_act: default_act(),
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            max_position_embeddings: p,
            type_vocab_size: 2,
            initializer_range: 0.02,
            layer_norm_eps: 1e-12,
            pad_token_id: 0,
            position_embedding_type: default_pos(),
            tie_word_embeddings: true,
            model_type: default_model_type(),
            extra,
        })
    }

    /// Reads and checks a `config.json`.
    pub fn from_file(path: &Path) -> Result<BertConfig, ModelError> {
        let bytes =
            std::fs::read(path).map_err(|e| PathError::new("reading model config", path, e))?;
        let cfg: BertConfig = serde_json::from_slice(&bytes).map_err(|e| ModelError::Config {
            path: path.to_path_buf(),
            message: format!("not a BERT config.json: {e}"),
        })?;
        cfg.validate().map_err(|message| ModelError::Config {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(cfg)
    }

    /// Checks that the model can be built from this config.
    pub fn validate(&self) -> Result<(), String> {
        if self.model_type != "bert" {
            return Err(format!(
                "model_type is `{}`; only `bert` checkpoints are supported",
                self.model_type
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.position_embedding_type != "absolute" {
            return Err(format!(
                "position_embedding_type `{}` is not supported; use `absolute`",
                self.position_embedding_type
            ));
        }
        Activation::parse(&self.hidden_act)?;
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("{name} must be in [0, 1), got {p}"));
            }
        }
        if self.vocab_size == 0 || self.hidden_size == 0 || self.max_position_embeddings == 0 {
            return Err("vocab_size, hidden_size and max_position_embeddings must be > 0".into());
        }
        Ok(())
    }

    /// The config as `config.json` writes it (with `architectures` set).
    pub fn to_json(&self) -> serde_json::Value {
        let mut cfg = self.clone();
        cfg.extra
            .entry("architectures")
            .or_insert_with(|| serde_json::json!(["BertForMaskedLM"]));
        serde_json::to_value(&cfg).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Clone, Copy, Debug)]
enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(s: &str) -> Result<Activation, String> {
        match s {
            "gelu" => Ok(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(format!(
                "hidden_act `{other}` is not supported; use gelu, gelu_new or relu"
            )),
        }
    }

    fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Activation::GeluErf => x.gelu_erf(),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
        }
    }
}

/// Seeded source of dropout masks. Its state is part of the trainer state,
/// so a resumed run draws the same masks as an uninterrupted one.
#[derive(Clone, Debug)]
pub struct DropoutRng {
    rng: ChaCha8Rng,
}

impl DropoutRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> DropoutRng {
        DropoutRng {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The generator's full state: seed, stream and position.
    pub fn state(&self) -> RngState {
        RngState::of(&self.rng)
    }

    /// Restores a generator from [`DropoutRng::state`].
    pub fn from_state(state: &RngState) -> DropoutRng {
        DropoutRng {
            rng: state.restore(),
        }
    }

    /// Inverted dropout: zeroes each element with probability `p` and
    /// scales the rest by `1 / (1 - p)`.
    pub fn apply(&mut self, x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
        if p <= 0.0 {
            return Ok(x.clone());
        }
        let n = x.elem_count();
        let threshold = (p * (u32::MAX as f64 + 1.0)) as u64;
        let scale = (1.0 / (1.0 - p)) as f32;
        let mut mask = Vec::with_capacity(n);
        for _ in 0..n {
            let r = self.rng.next_u32() as u64;
            mask.push(if r < threshold { 0.0f32 } else { scale });
        }
        let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
        x.mul(&mask)
    }
}

/// Serialisable state of a ChaCha8 generator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// The 32-byte seed, hex.
    pub seed: String,
    /// Stream number.
    pub stream: u64,
    /// Word position (u128 as a decimal string).
    pub word_pos: String,
}

impl RngState {
    /// Captures the state of `rng`.
    pub fn of(rng: &ChaCha8Rng) -> RngState {
        RngState {
            seed: crate::fsio::hex(&rng.get_seed()),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    /// Rebuilds the generator (a malformed state gives a generator from a
    /// zero seed; states are only read from files norclin wrote).
    pub fn restore(&self) -> ChaCha8Rng {
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = self
                .seed
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0);
        }
        let mut rng = ChaCha8Rng::from_seed(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos.parse().unwrap_or(0));
        rng
    }

    /// Checks that the state parses exactly.
    pub fn is_valid(&self) -> bool {
        self.seed.len() == 64
            && self.seed.chars().all(|c| c.is_ascii_hexdigit())
            && self.word_pos.parse::<u128>().is_ok()
    }
}

/// Every trainable parameter under its HF name, in a fixed order.
#[derive(Clone, Debug, Default)]
pub struct ParamStore {
    vars: Vec<(String, Var)>,
}

impl ParamStore {
    /// Parameters in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.vars.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.vars.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Number of parameter tensors.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Total number of scalars.
    pub fn num_scalars(&self) -> usize {
        self.vars.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Whether weight decay applies to the parameter (not to biases or
    /// LayerNorm weights).
    pub fn decays(name: &str) -> bool {
        !(name.ends_with(".bias") || name.contains("LayerNorm"))
    }

    /// Adds a trainable parameter (a task head) initialised from `t`;
    /// returns the tensor to compute with.
    pub fn register(&mut self, name: &str, t: Tensor) -> candle_core::Result<Tensor> {
        self.add(name.to_string(), t)
    }

    fn add(&mut self, name: String, t: Tensor) -> candle_core::Result<Tensor> {
        let var = Var::from_tensor(&t)?;
        let tensor = var.as_tensor().clone();
        self.vars.push((name, var));
        Ok(tensor)
    }
}

/// A tensor of N(0, `std`) values drawn from `seed` (Box–Muller).
pub fn normal_tensor(
    shape: &[usize],
    std: f64,
    seed: u64,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let mut init = Init {
        rng: ChaCha8Rng::seed_from_u64(seed),
        std,
        device,
        store: ParamStore::default(),
    };
    init.normal(String::new(), shape)
}

/// Initialisation of fresh parameters: N(0, σ) from a seeded generator.
struct Init<'a> {
    rng: ChaCha8Rng,
    std: f64,
    device: &'a Device,
    store: ParamStore,
}

impl Init<'_> {
    fn normal(&mut self, name: String, shape: &[usize]) -> candle_core::Result<Tensor> {
        let n: usize = shape.iter().product();
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            // Box–Muller: two normals per pair of uniforms.
            let u1: f64 = 1.0 - self.rng.random::<f64>();
            let u2: f64 = self.rng.random::<f64>();
            let r = (-2.0 * u1.ln()).sqrt() * self.std;
            let t = std::f64::consts::TAU * u2;
            v.push((r * t.cos()) as f32);
            if v.len() < n {
                v.push((r * t.sin()) as f32);
            }
        }
        let t = Tensor::from_vec(v, shape, self.device)?;
        self.store.add(name, t)
    }

    fn constant(
        &mut self,
        name: String,
        shape: &[usize],
        value: f32,
    ) -> candle_core::Result<Tensor> {
        let n: usize = shape.iter().product();
        let t = Tensor::from_vec(vec![value; n], shape, self.device)?;
        self.store.add(name, t)
    }

    fn linear(
        &mut self,
        prefix: &str,
        out_dim: usize,
        in_dim: usize,
    ) -> candle_core::Result<Linear> {
        Ok(Linear {
            weight: self.normal(format!("{prefix}.weight"), &[out_dim, in_dim])?,
            bias: self.constant(format!("{prefix}.bias"), &[out_dim], 0.0)?,
        })
    }

    fn layer_norm(&mut self, prefix: &str, dim: usize, eps: f64) -> candle_core::Result<LayerNorm> {
        Ok(LayerNorm {
            weight: self.constant(format!("{prefix}.weight"), &[dim], 1.0)?,
            bias: self.constant(format!("{prefix}.bias"), &[dim], 0.0)?,
            eps,
        })
    }
}

/// `y = x Wᵀ + b` over the last dimension of a 2-D input.
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    /// Applies the layer to `x` of shape `(n, in)`, in `x`'s dtype (the
    /// weights are cast to it).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let w = self.weight.to_dtype(x.dtype())?;
        let b = self.bias.to_dtype(x.dtype())?;
        x.matmul(&w.t()?)?.broadcast_add(&b)
    }
}

/// LayerNorm over the last dimension from differentiable ops.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Normalises `x` over its last dimension, in f32 whatever `x`'s dtype
    /// (the result is f32).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = x.to_dtype(DType::F32)?;
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centred.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

#[derive(Clone, Debug)]
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
}

/// The prediction head of `BertForMaskedLM` (`cls.predictions`).
#[derive(Clone, Debug)]
struct MlmHead {
    transform: Linear,
    norm: LayerNorm,
    /// `(vocab, hidden)`: the word embeddings when tied.
    decoder: Tensor,
    bias: Tensor,
}

/// A BERT encoder with its masked-LM head.
#[derive(Clone, Debug)]
pub struct BertForMaskedLM {
    config: BertConfig,
    act: Activation,
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_embeddings: Tensor,
    emb_norm: LayerNorm,
    layers: Vec<Layer>,
    head: MlmHead,
    params: ParamStore,
    device: Device,
    compute: DType,
}

/// A batch of masked-LM examples.
#[derive(Clone, Debug)]
pub struct MlmBatch {
    /// `(batch, len)` u32 token ids, with masked positions already replaced.
    pub input_ids: Tensor,
    /// `(batch, len)` f32, 1 for real tokens and 0 for padding.
    pub attention_mask: Tensor,
    /// `(masked,)` u32 flat indices `row * len + col` of the predicted positions.
    pub positions: Tensor,
    /// `(masked,)` u32 original token ids at those positions.
    pub labels: Tensor,
}

/// Result of a masked-LM forward pass.
#[derive(Debug)]
pub struct MlmOutput {
    /// Mean cross-entropy over the masked positions (scalar).
    pub loss: Tensor,
    /// `(masked, vocab)` logits at the masked positions.
    pub logits: Tensor,
}

impl BertForMaskedLM {
    /// A freshly initialised model: weights N(0, `initializer_range`) from
    /// `seed`, biases 0, LayerNorm weights 1 (as `transformers` does).
    pub fn new(config: &BertConfig, seed: u64, device: &Device) -> Result<Self, ModelError> {
        config.validate().map_err(|message| ModelError::Config {
            path: PathBuf::from("<config>"),
            message,
        })?;
        let c = config;
        let mut init = Init {
            rng: ChaCha8Rng::seed_from_u64(seed),
            std: c.initializer_range,
            device,
            store: ParamStore::default(),
        };
        let eps = c.layer_norm_eps;
        let h = c.hidden_size;
        let word_embeddings = init.normal(
            "bert.embeddings.word_embeddings.weight".into(),
            &[c.vocab_size, h],
        )?;
        let position_embeddings = init.normal(
            "bert.embeddings.position_embeddings.weight".into(),
            &[c.max_position_embeddings, h],
        )?;
        let token_type_embeddings = init.normal(
            "bert.embeddings.token_type_embeddings.weight".into(),
            &[c.type_vocab_size.max(1), h],
        )?;
        let emb_norm = init.layer_norm("bert.embeddings.LayerNorm", h, eps)?;
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let p = format!("bert.encoder.layer.{i}");
            layers.push(Layer {
                query: init.linear(&format!("{p}.attention.self.query"), h, h)?,
                key: init.linear(&format!("{p}.attention.self.key"), h, h)?,
                value: init.linear(&format!("{p}.attention.self.value"), h, h)?,
                attn_out: init.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: init.layer_norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?,
                intermediate: init.linear(
                    &format!("{p}.intermediate.dense"),
                    c.intermediate_size,
                    h,
                )?,
                output: init.linear(&format!("{p}.output.dense"), h, c.intermediate_size)?,
                out_norm: init.layer_norm(&format!("{p}.output.LayerNorm"), h, eps)?,
            });
        }
        let transform = init.linear("cls.predictions.transform.dense", h, h)?;
        let norm = init.layer_norm("cls.predictions.transform.LayerNorm", h, eps)?;
        let decoder = if c.tie_word_embeddings {
            word_embeddings.clone()
        } else {
            init.normal("cls.predictions.decoder.weight".into(), &[c.vocab_size, h])?
        };
        let bias = init.constant("cls.predictions.bias".into(), &[c.vocab_size], 0.0)?;
        Ok(BertForMaskedLM {
            config: c.clone(),
            act: Activation::parse(&c.hidden_act).map_err(|message| ModelError::Config {
                path: PathBuf::from("<config>"),
                message,
            })?,
            word_embeddings,
            position_embeddings,
            token_type_embeddings,
            emb_norm,
            layers,
            head: MlmHead {
                transform,
                norm,
                decoder,
                bias,
            },
            params: init.store,
            device: device.clone(),
            compute: DType::F32,
        })
    }

    /// The model's config.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The trainable parameters.
    pub fn params(&self) -> &ParamStore {
        &self.params
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The dtype of the matrix products and activations (f32 unless set).
    pub fn compute_dtype(&self) -> DType {
        self.compute
    }

    /// Computes in `dtype` from now on (`F32` or `BF16`); the parameters
    /// stay f32 (master weights) and are cast on use, and hidden states and
    /// logits come out as f32.
    pub fn set_compute_dtype(&mut self, dtype: DType) -> Result<(), ModelError> {
        if !matches!(dtype, DType::F32 | DType::BF16) {
            return Err(ModelError::Config {
                path: PathBuf::from("<dtype>"),
                message: format!("compute dtype {dtype:?} is not supported; use f32 or bf16"),
            });
        }
        self.compute = dtype;
        Ok(())
    }

    /// Hidden states `(batch, len, hidden)` of the last layer, f32. Dropout
    /// is active only when `dropout` is given (training).
    pub fn encode(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        mut dropout: Option<&mut DropoutRng>,
    ) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let (b, l) = input_ids.dims2()?;
        let h = c.hidden_size;
        let nh = c.num_attention_heads;
        let hd = h / nh;
        let ids = input_ids.flatten_all()?;
        let words = self.word_embeddings.index_select(&ids, 0)?;
        let pos = self.position_embeddings.narrow(0, 0, l)?;
        let typ = self.token_type_embeddings.narrow(0, 0, 1)?;
        let emb = words
            .reshape((b, l, h))?
            .broadcast_add(&pos.broadcast_add(&typ)?)?
            .reshape((b * l, h))?;
        let cd = self.compute;
        // The f32 output of the latest LayerNorm, and the same in the
        // compute dtype for the next layer.
        let mut normed = self.emb_norm.forward(&emb)?;
        let mut x = drop(&mut dropout, &normed.to_dtype(cd)?, c.hidden_dropout_prob)?;
        // Additive mask (f32, like the softmax): 0 for tokens, a large
        // negative value for padding.
        let mask_bias = match attention_mask {
            Some(m) => Some(((m.to_dtype(DType::F32)? - 1.0)? * 1e30)?.reshape((b, 1, 1, l))?),
            None => None,
        };
        let scale = 1.0 / (hd as f64).sqrt();
        for layer in &self.layers {
            let split = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((b, l, nh, hd))?.transpose(1, 2)?.contiguous()
            };
            let q = split(layer.query.forward(&x)?)?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let mut scores = (q.matmul(&k.t()?)?.to_dtype(DType::F32)? * scale)?;
            if let Some(mb) = &mask_bias {
                scores = scores.broadcast_add(mb)?;
            }
            let probs = softmax_last(&scores)?.to_dtype(cd)?;
            let probs = drop(&mut dropout, &probs, c.attention_probs_dropout_prob)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b * l, h))?;
            let attn = layer.attn_out.forward(&ctx)?;
            let attn = drop(&mut dropout, &attn, c.hidden_dropout_prob)?;
            let x1 = layer.attn_norm.forward(&(attn + &x)?)?.to_dtype(cd)?;
            let inter = self.act.apply(&layer.intermediate.forward(&x1)?)?;
            let out = layer.output.forward(&inter)?;
            let out = drop(&mut dropout, &out, c.hidden_dropout_prob)?;
            normed = layer.out_norm.forward(&(out + &x1)?)?;
            x = normed.to_dtype(cd)?;
        }
        normed.reshape((b, l, h))
    }

    /// MLM logits `(n, vocab)`, f32, for hidden states `(n, hidden)`.
    pub fn predict(&self, hidden: &Tensor) -> candle_core::Result<Tensor> {
        let cd = self.compute;
        let t = self.head.transform.forward(&hidden.to_dtype(cd)?)?;
        let t = self.head.norm.forward(&self.act.apply(&t)?)?.to_dtype(cd)?;
        t.matmul(&self.head.decoder.to_dtype(cd)?.t()?)?
            .broadcast_add(&self.head.bias.to_dtype(cd)?)?
            .to_dtype(DType::F32)
    }

    /// MLM logits `(batch, len, vocab)` at every position (for comparison
    /// with other implementations; training uses [`Self::mlm`]).
    pub fn mlm_logits(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, l) = input_ids.dims2()?;
        let hidden = self.encode(input_ids, attention_mask, None)?;
        let logits = self.predict(&hidden.reshape((b * l, self.config.hidden_size))?)?;
        logits.reshape((b, l, self.config.vocab_size))
    }

    /// Masked-LM loss and logits, computed only at `batch.positions`.
    pub fn mlm(
        &self,
        batch: &MlmBatch,
        dropout: Option<&mut DropoutRng>,
    ) -> candle_core::Result<MlmOutput> {
        let (b, l) = batch.input_ids.dims2()?;
        let hidden = self.encode(&batch.input_ids, Some(&batch.attention_mask), dropout)?;
        let flat = hidden.reshape((b * l, self.config.hidden_size))?;
        let picked = flat.index_select(&batch.positions, 0)?;
        let logits = self.predict(&picked)?;
        let loss = cross_entropy(&logits, &batch.labels)?;
        Ok(MlmOutput { loss, logits })
    }

    /// Loads `config.json` and `model.safetensors` from a checkpoint
    /// directory (HF `BertForMaskedLM` or `BertModel`; names with or without
    /// the `bert.` prefix; LayerNorm `gamma`/`beta` accepted). A bare encoder
    /// gets a freshly initialised MLM head.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, ModelError> {
        let config = BertConfig::from_file(&dir.join(CONFIG_FILE))?;
        let model = BertForMaskedLM::new(&config, 0, device)?;
        model.load_weights(&dir.join(WEIGHTS_FILE))?;
        Ok(model)
    }

    /// Overwrites the parameters with the tensors of a safetensors file.
    pub fn load_weights(&self, path: &Path) -> Result<(), ModelError> {
        if !path.exists() {
            return Err(PathError::new(
                "reading model weights",
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
            .into());
        }
        let tensors = candle_core::safetensors::load(path, &self.device)?;
        let encoder_only = !tensors.keys().any(|k| k.starts_with("cls."));
        for (name, var) in self.params.iter() {
            let found = lookup(&tensors, name);
            let t = match found {
                Some(t) => t,
                None if encoder_only && name.starts_with("cls.") => continue,
                None => {
                    return Err(ModelError::MissingWeight {
                        path: path.to_path_buf(),
                        name: name.to_string(),
                    });
                }
            };
            if t.dims() != var.dims() {
                return Err(ModelError::Shape {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                    found: t.dims().to_vec(),
                    expected: var.dims().to_vec(),
                });
            }
            var.set(&t.to_dtype(var.dtype())?)?;
        }
        Ok(())
    }

    /// Writes `config.json` and `model.safetensors` (HF names, f32, tied
    /// decoder stored once as the word embeddings, output bias under both
    /// `cls.predictions.bias` and `cls.predictions.decoder.bias`) into
    /// `dir`, atomically.
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        std::fs::create_dir_all(dir).map_err(|e| PathError::new("creating directory", dir, e))?;
        let mut named: Vec<(String, Tensor)> = self
            .params
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_tensor().clone()))
            .collect();
        // Both names of the output bias, for every transformers version.
        named.push((
            "cls.predictions.decoder.bias".to_string(),
            self.head.bias.clone(),
        ));
        write_safetensors(&dir.join(WEIGHTS_FILE), &named)?;
        crate::fsio::write_json_atomic(dir.join(CONFIG_FILE), &self.config.to_json())?;
        Ok(())
    }
}

fn drop(rng: &mut Option<&mut DropoutRng>, x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
    match rng {
        Some(r) => r.apply(x, p),
        None => Ok(x.clone()),
    }
}

/// Softmax over the last dimension from differentiable ops.
fn softmax_last(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    e.broadcast_div(&sum)
}

/// Mean cross-entropy of `(n, classes)` logits against `(n,)` u32 targets.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    candle_nn::loss::cross_entropy(logits, targets)
}

fn lookup<'a>(tensors: &'a HashMap<String, Tensor>, name: &str) -> Option<&'a Tensor> {
    let mut candidates = vec![name.to_string()];
    if let Some(rest) = name.strip_prefix("bert.") {
        candidates.push(rest.to_string());
    }
    if name == "cls.predictions.bias" {
        // The decoder's own bias is the one the forward pass adds
        // (transformers 5 keeps it apart from `cls.predictions.bias` in
        // untied models; older versions share one tensor).
        candidates.insert(0, "cls.predictions.decoder.bias".to_string());
    }
    let legacy: Vec<String> = candidates
        .iter()
        .filter(|c| c.contains("LayerNorm"))
        .map(|c| {
            c.replace("LayerNorm.weight", "LayerNorm.gamma")
                .replace("LayerNorm.bias", "LayerNorm.beta")
        })
        .collect();
    candidates.extend(legacy);
    candidates.iter().find_map(|c| tensors.get(c))
}

/// Writes tensors as a safetensors file (f32; header metadata
/// `format = pt`, which `transformers` expects), atomically.
pub fn write_safetensors(path: &Path, tensors: &[(String, Tensor)]) -> Result<(), ModelError> {
    let mut sorted: Vec<&(String, Tensor)> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut header = BTreeMap::new();
    header.insert(
        "__metadata__".to_string(),
        serde_json::json!({ "format": "pt" }),
    );
    let mut offset = 0usize;
    let mut data: Vec<Vec<f32>> = Vec::with_capacity(sorted.len());
    for (name, t) in &sorted {
        let v = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let len = v.len() * 4;
        header.insert(
            name.clone(),
            serde_json::json!({
                "dtype": "F32",
                "shape": t.dims(),
                "data_offsets": [offset, offset + len],
            }),
        );
        offset += len;
        data.push(v);
    }
    let mut header_bytes = serde_json::to_vec(&header)
        .map_err(|e| PathError::new("serialising", path, std::io::Error::other(e)))?;
    while header_bytes.len() % 8 != 0 {
        header_bytes.push(b' ');
    }
    let io = |e| PathError::new("writing", path, e);
    let mut f = AtomicFile::create(path)?;
    f.write_all(&(header_bytes.len() as u64).to_le_bytes())
        .map_err(io)?;
    f.write_all(&header_bytes).map_err(io)?;
    for v in &data {
        let mut buf = Vec::with_capacity(v.len() * 4);
        for x in v {
            buf.extend_from_slice(&x.to_le_bytes());
        }
        f.write_all(&buf).map_err(io)?;
    }
    f.commit()?;
    Ok(())
}

/// Reads every tensor of a safetensors file.
pub fn read_safetensors(
    path: &Path,
    device: &Device,
) -> Result<HashMap<String, Tensor>, ModelError> {
    if !path.exists() {
        return Err(PathError::new(
            "reading",
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
        .into());
    }
    Ok(candle_core::safetensors::load(path, device)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest absolute difference between two tensors of one shape.
    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    fn tiny(vocab: usize) -> BertConfig {
        let mut c = BertConfig::preset("tiny", vocab).unwrap();
        c.hidden_size = 32;
        c.intermediate_size = 64;
        c.max_position_embeddings = 32;
        c
    }

    fn batch(dev: &Device) -> MlmBatch {
        // Two rows of 8 tokens, the second with 2 padding positions.
        let ids: Vec<u32> = vec![5, 6, 4, 8, 9, 10, 4, 12, 13, 4, 15, 16, 17, 18, 0, 0];
        let mask: Vec<f32> = vec![1.0; 14].into_iter().chain([0.0, 0.0]).collect();
        MlmBatch {
            input_ids: Tensor::from_vec(ids, (2, 8), dev).unwrap(),
            attention_mask: Tensor::from_vec(mask, (2, 8), dev).unwrap(),
            positions: Tensor::new(&[2u32, 6, 9, 11], dev).unwrap(),
            labels: Tensor::new(&[7u32, 11, 14, 3], dev).unwrap(),
        }
    }

    #[test]
    fn every_parameter_gets_a_nonzero_gradient() {
        every_parameter_gets_a_nonzero_gradient_in(DType::F32);
    }

    #[test]
    fn every_parameter_gets_a_nonzero_f32_gradient_in_bf16() {
        every_parameter_gets_a_nonzero_gradient_in(DType::BF16);
    }

    fn every_parameter_gets_a_nonzero_gradient_in(dtype: DType) {
        let dev = Device::Cpu;
        for tied in [true, false] {
            let mut cfg = tiny(20);
            cfg.tie_word_embeddings = tied;
            let mut model = BertForMaskedLM::new(&cfg, 1, &dev).unwrap();
            model.set_compute_dtype(dtype).unwrap();
            let mut rng = DropoutRng::new(3);
            let out = model.mlm(&batch(&dev), Some(&mut rng)).unwrap();
            let grads = out.loss.backward().unwrap();
            for (name, var) in model.params().iter() {
                let g = grads
                    .get(var.as_tensor())
                    .unwrap_or_else(|| panic!("no gradient for {name}"));
                // Master weights are f32, and so are their gradients.
                assert_eq!(var.dtype(), DType::F32, "{name}");
                assert_eq!(g.dtype(), DType::F32, "{name}");
                let norm = g
                    .sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                assert!(
                    norm > 0.0,
                    "zero gradient for {name} (tied={tied}, {dtype:?})"
                );
            }
            let expected = 5 + 16 * cfg.num_hidden_layers + 5 + usize::from(!tied);
            assert_eq!(model.params().len(), expected);
        }
    }

    #[test]
    fn bf16_logits_and_loss_stay_close_to_f32() {
        let dev = Device::Cpu;
        let f32_model = BertForMaskedLM::new(&tiny(20), 1, &dev).unwrap();
        let mut bf16_model = f32_model.clone();
        bf16_model.set_compute_dtype(DType::BF16).unwrap();
        assert!(bf16_model.set_compute_dtype(DType::F16).is_err());
        let b = batch(&dev);
        let a = f32_model.mlm(&b, None).unwrap();
        let c = bf16_model.mlm(&b, None).unwrap();
        assert_eq!(c.logits.dtype(), DType::F32);
        assert_eq!(c.loss.dtype(), DType::F32);
        let diff = max_abs_diff(&a.logits, &c.logits);
        let range = a.logits.abs().unwrap().max_all().unwrap();
        let range = range.to_scalar::<f32>().unwrap();
        // bf16 keeps 8 significant bits: differences of a few percent of
        // the logit range, not a different model.
        assert!(diff > 0.0, "bf16 must not be a silent no-op");
        assert!(diff < 0.05 * range.max(1.0), "{diff} vs range {range}");
        let la = a.loss.to_scalar::<f32>().unwrap();
        let lc = c.loss.to_scalar::<f32>().unwrap();
        assert!((la - lc).abs() < 0.02 * la, "{la} vs {lc}");
    }

    #[test]
    fn dropout_is_active_in_training_only_and_seeded() {
        let dev = Device::Cpu;
        let model = BertForMaskedLM::new(&tiny(20), 1, &dev).unwrap();
        let b = batch(&dev);
        let eval1 = model
            .mlm(&b, None)
            .unwrap()
            .loss
            .to_scalar::<f32>()
            .unwrap();
        let eval2 = model
            .mlm(&b, None)
            .unwrap()
            .loss
            .to_scalar::<f32>()
            .unwrap();
        assert_eq!(eval1, eval2);
        let t1 = model
            .mlm(&b, Some(&mut DropoutRng::new(9)))
            .unwrap()
            .loss
            .to_scalar::<f32>()
            .unwrap();
        let t2 = model
            .mlm(&b, Some(&mut DropoutRng::new(9)))
            .unwrap()
            .loss
            .to_scalar::<f32>()
            .unwrap();
        assert_eq!(t1, t2, "same seed, same masks");
        assert_ne!(t1, eval1, "dropout changes the training loss");
    }

    #[test]
    fn dropout_rate_and_scale() {
        let dev = Device::Cpu;
        let x = Tensor::ones(10_000, DType::F32, &dev).unwrap();
        let y = DropoutRng::new(1)
            .apply(&x, 0.25)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let zeros = y.iter().filter(|v| **v == 0.0).count();
        assert!((2200..2800).contains(&zeros), "{zeros}");
        assert!(y.iter().all(|v| *v == 0.0 || (*v - 4.0 / 3.0).abs() < 1e-6));
    }

    #[test]
    fn rng_state_round_trips() {
        let mut r = DropoutRng::new(42);
        for _ in 0..13 {
            r.rng.next_u32();
        }
        let s = r.state();
        assert!(s.is_valid());
        let mut back = DropoutRng::from_state(&s);
        assert_eq!(back.rng.next_u64(), r.rng.next_u64());
    }

    #[test]
    fn padding_does_not_change_real_positions() {
        let dev = Device::Cpu;
        let model = BertForMaskedLM::new(&tiny(20), 1, &dev).unwrap();
        let ids = Tensor::new(&[[5u32, 6, 7]], &dev).unwrap();
        let padded = Tensor::new(&[[5u32, 6, 7, 0, 0]], &dev).unwrap();
        let mask = Tensor::new(&[[1f32, 1., 1., 0., 0.]], &dev).unwrap();
        let a = model.mlm_logits(&ids, None).unwrap();
        let b = model
            .mlm_logits(&padded, Some(&mask))
            .unwrap()
            .narrow(1, 0, 3)
            .unwrap();
        let diff = max_abs_diff(&a, &b);
        assert!(diff < 1e-5, "{diff}");
    }

    #[test]
    fn save_load_round_trip_gives_identical_logits() {
        let dev = Device::Cpu;
        let dir = tempfile::tempdir().unwrap();
        for tied in [true, false] {
            let mut cfg = tiny(20);
            cfg.tie_word_embeddings = tied;
            cfg.extra
                .insert("custom_field".into(), serde_json::json!(7));
            let model = BertForMaskedLM::new(&cfg, 5, &dev).unwrap();
            let path = dir.path().join(format!("ck-{tied}"));
            model.save(&path).unwrap();
            let back = BertForMaskedLM::load(&path, &dev).unwrap();
            assert_eq!(back.config(), model.config());
            let ids = batch(&dev).input_ids;
            let a = model.mlm_logits(&ids, None).unwrap().flatten_all().unwrap();
            let b = back.mlm_logits(&ids, None).unwrap().flatten_all().unwrap();
            assert_eq!(a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
            let st = read_safetensors(&path.join(WEIGHTS_FILE), &dev).unwrap();
            assert_eq!(st.contains_key("cls.predictions.decoder.weight"), !tied);
            assert!(st.contains_key("bert.embeddings.LayerNorm.weight"));
        }
    }

    #[test]
    fn loads_unprefixed_and_legacy_names() {
        let dev = Device::Cpu;
        let dir = tempfile::tempdir().unwrap();
        let model = BertForMaskedLM::new(&tiny(20), 5, &dev).unwrap();
        let renamed: Vec<(String, Tensor)> = model
            .params()
            .iter()
            .map(|(n, v)| {
                let n = n.strip_prefix("bert.").unwrap_or(n);
                let n = n.replace("LayerNorm.weight", "LayerNorm.gamma");
                (n, v.as_tensor().clone())
            })
            .collect();
        write_safetensors(&dir.path().join(WEIGHTS_FILE), &renamed).unwrap();
        let fresh = BertForMaskedLM::new(&tiny(20), 6, &dev).unwrap();
        fresh.load_weights(&dir.path().join(WEIGHTS_FILE)).unwrap();
        let ids = batch(&dev).input_ids;
        let a = model.mlm_logits(&ids, None).unwrap().flatten_all().unwrap();
        let b = fresh.mlm_logits(&ids, None).unwrap().flatten_all().unwrap();
        assert_eq!(a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
    }

    #[test]
    fn missing_weight_names_the_parameter() {
        let dev = Device::Cpu;
        let dir = tempfile::tempdir().unwrap();
        let model = BertForMaskedLM::new(&tiny(20), 5, &dev).unwrap();
        let partial: Vec<(String, Tensor)> = model
            .params()
            .iter()
            .filter(|(n, _)| !n.contains("layer.1.output.dense.weight"))
            .map(|(n, v)| (n.to_string(), v.as_tensor().clone()))
            .collect();
        write_safetensors(&dir.path().join(WEIGHTS_FILE), &partial).unwrap();
        let err = model
            .load_weights(&dir.path().join(WEIGHTS_FILE))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bert.encoder.layer.1.output.dense.weight"),
            "{err}"
        );
    }

    #[test]
    fn config_rejects_unsupported_models() {
        let mut c = tiny(20);
        c.num_attention_heads = 3;
        assert!(c.validate().is_err());
        let mut c = tiny(20);
        c.position_embedding_type = "relative_key".into();
        assert!(c.validate().unwrap_err().contains("absolute"));
        let json = serde_json::json!({
            "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 2, "intermediate_size": 16,
            "max_position_embeddings": 16, "torch_dtype": "float32"
        });
        let c: BertConfig = serde_json::from_value(json).unwrap();
        assert!(c.validate().is_ok());
        assert!(c.tie_word_embeddings);
        assert_eq!(c.extra["torch_dtype"], "float32");
    }
}
