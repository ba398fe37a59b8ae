//! Masked-LM pre-training of BERT models on candle.
//!
//! - [`bert`]: the encoder and MLM head with Hugging Face parameter names
//!   (load and save `config.json` + `model.safetensors`);
//! - [`masking`]: dynamic, whole-word and span masking with a rate schedule;
//! - [`optim`]: AdamW with decoupled weight decay, gradient clipping and
//!   learning-rate schedules;
//! - [`data`]: the [`data::SequenceSource`] seam between training data and
//!   the trainer, and what masking needs from `tokenizer.json`;
//! - [`trainer`]: the loop, validation, checkpoints and exact resumption;
//! - [`stage`]: the `pretrain` stage over token shards;
//! - [`config`]: the run configuration; [`plot`]: the loss curve.
//!
//! ```no_run
//! use norclin::train::{BertConfig, BertForMaskedLM, TrainConfig, Trainer};
//! use norclin::train::data::{MemorySource, Sequence, TokenInfo};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let info = TokenInfo::from_tokenizer_json("tokenizer.json".as_ref())?;
//! let config = BertConfig::preset("tiny", info.vocab.vocab_size as usize).ok_or("preset")?;
//! let model = BertForMaskedLM::new(&config, 0, &candle_core::Device::Cpu)?;
//! let sequences = vec![Sequence { input_ids: vec![2, 500, 501, 3], word_starts: vec![true; 4] }];
//! let mut source = MemorySource::new(sequences, 0)?;
//! let mut trainer = Trainer::new(TrainConfig::with_steps(100), model, info, None, "out".as_ref())?;
//! trainer.resume_if_any(&mut source)?;
//! trainer.run(&mut source, &[], u64::MAX, |_| {})?;
//! # Ok(()) }
//! ```

pub mod bert;
pub mod config;
pub mod data;
pub mod masking;
pub mod optim;
pub mod plot;
pub mod stage;
pub mod trainer;

pub use bert::{BertConfig, BertForMaskedLM};
pub use config::TrainConfig;
pub use trainer::{TrainError, Trainer};
