//! Token shards (`schemas/tokens.v1.json`): the Parquet files training reads.
//!
//! A shard directory holds `shard-NNNNN.parquet` files, one split each, and
//! `manifest.json` ([`Manifest`]) with the tokenizer hash, id type, sequence
//! length, packing mode, split rule and, per shard, rows, tokens and
//! SHA-256. [`ShardWriter`] writes one shard atomically with an explicit
//! schema; [`ShardReader`] streams a split for training:
//!
//! ```no_run
//! use norclin::shard::{ReaderOptions, ShardReader, Split};
//!
//! # fn main() -> Result<(), norclin::shard::ShardError> {
//! let opts = ReaderOptions { seed: 7, shuffle_buffer: 4096, ..ReaderOptions::default() };
//! let mut reader = ShardReader::open("runs/demo/04-tokenize", Split::Train, opts)?;
//! for _ in 0..100 {
//!     let Some(seq) = reader.next_sequence()? else { break };
//!     let _ids: &[u32] = &seq.input_ids;
//! }
//! // Save the position with the checkpoint; `ShardReader::resume` continues
//! // with exactly the sequences that would have come next.
//! let position = serde_json::to_string(&reader.position()).unwrap();
//! # let _ = position;
//! # Ok(()) }
//! ```

mod manifest;
mod reader;
mod schema;
mod writer;

pub use manifest::{
    CorpusSummary, HistogramBin, LENGTH_BINS, MANIFEST_FILE, Manifest, ShardEntry, SpecialTokens,
    SplitCounts, SplitRule, render_summary,
};
pub use reader::{ReaderOptions, ReaderPosition, ShardFile, ShardReader};
pub use schema::{IdType, TOKENS_SCHEMA_VERSION, UINT16_VOCAB_LIMIT, tokens_schema};
pub use writer::{ShardWriter, shard_file_name};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fsio::PathError;

/// Dataset splits. Patients are assigned to exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training data.
    Train,
    /// Held out for model selection.
    Validation,
    /// Held out for the final evaluation.
    Test,
}

impl Split {
    /// All splits, in shard order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    /// The name written to shards and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }

    /// Parses a split name (`val` and `valid` mean validation).
    pub fn parse(raw: &str) -> Option<Split> {
        match raw {
            "train" => Some(Split::Train),
            "validation" | "val" | "valid" => Some(Split::Validation),
            "test" => Some(Split::Test),
            _ => None,
        }
    }

    /// Position in [`Split::ALL`].
    pub fn index(self) -> usize {
        match self {
            Split::Train => 0,
            Split::Validation => 1,
            Split::Test => 2,
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One training sequence: a row of a token shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSequence {
    /// Unique sequence id.
    pub seq_id: u64,
    /// Token ids, special tokens included.
    pub input_ids: Vec<u32>,
    /// Per token: whether it begins a word.
    pub word_start: Vec<bool>,
    /// Notes with a segment in the sequence.
    pub note_ids: Vec<String>,
    /// Token index where each note's segment starts.
    pub note_offsets: Vec<u32>,
    /// Canonical doc type.
    pub doc_type: String,
    /// Language tag, when known.
    pub lang: Option<String>,
    /// The split.
    pub split: Split,
}

/// Errors writing, reading or verifying token shards.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Parquet or Arrow error, with the file.
    #[error("{path}: parquet: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A shard or manifest does not follow `tokens.v1`.
    #[error("{path}: not a token shard: {message}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A shard's content does not match the manifest.
    #[error(
        "{path}: {message}; the shard is damaged or was changed after it was written: rerun tokenize"
    )]
    Mismatch {
        /// The shard.
        path: PathBuf,
        /// What differs.
        message: String,
    },
    /// A saved reader position does not fit this shard directory.
    #[error("reader position does not fit {dir}: {message}")]
    Position {
        /// The shard directory.
        dir: PathBuf,
        /// What does not fit.
        message: String,
    },
}

pub(crate) fn parquet_error(path: &std::path::Path, e: impl std::fmt::Display) -> ShardError {
    ShardError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
