//! # norclin
//!
//! Prepares Norwegian clinical notes for language-model training and trains
//! the models, offline, in one binary.
//!
//! ```text
//! sources (JSONL | CSV | Parquet | folder of .txt)
//!   └─ ingest ──► notes            (canonical schema, quarantine for bad rows)
//!        └─ deid ──► deid notes + spans   (detect PHI, replace with surrogates)
//!             └─ langid ──► lang attribute (nob | nno | mixed | other | unknown)
//!                  └─ tokenize ──► shards/ (Parquet, manifest.json, splits by patient)
//!                       └─ pretrain ──► checkpoint/ (HF-compatible BERT)
//!                            └─ evaluate ──► MLM loss, perplexity, accuracy per model
//! ```
//!
//! Every stage is a module with a config struct (serde,
//! `deny_unknown_fields`) and a runtime built from it once. Stages meet only
//! at the data contracts in `schemas/`; [`pipeline`] strings them together
//! into resumable runs and [`report`] tells what each stage kept, changed and
//! dropped.
#![deny(missing_docs)]

pub mod audit;
pub mod deid;
pub mod eval;
pub mod fsio;
pub mod ingest;
mod json_out;
pub mod langid;
pub mod notes;
pub mod notice;
pub mod phi;
pub mod pipeline;
pub mod report;
pub mod shard;
pub mod synth;
pub mod tokenize;
pub mod train;
