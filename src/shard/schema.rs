//! The Arrow schema of token shards (`schemas/tokens.v1.json`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

/// Version of the token shard schema, written in the Parquet key-value
/// metadata (`norclin.schema`) and in `manifest.json`.
pub const TOKENS_SCHEMA_VERSION: &str = "tokens.v1";

/// Largest vocabulary whose ids fit `uint16`.
pub const UINT16_VOCAB_LIMIT: usize = 1 << 16;

/// Integer type of the `input_ids` items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdType {
    /// Vocabularies of at most 65,536 ids.
    Uint16,
    /// Larger vocabularies.
    Uint32,
}

impl IdType {
    /// The narrowest type that holds ids `0..vocab_size`.
    pub fn for_vocab(vocab_size: usize) -> IdType {
        if vocab_size <= UINT16_VOCAB_LIMIT {
            IdType::Uint16
        } else {
            IdType::Uint32
        }
    }

    /// The Arrow item type.
    pub fn data_type(self) -> DataType {
        match self {
            IdType::Uint16 => DataType::UInt16,
            IdType::Uint32 => DataType::UInt32,
        }
    }

    /// Bytes per id, uncompressed.
    pub fn width(self) -> usize {
        match self {
            IdType::Uint16 => 2,
            IdType::Uint32 => 4,
        }
    }

    /// The name used in the manifest (`uint16`, `uint32`).
    pub fn as_str(self) -> &'static str {
        match self {
            IdType::Uint16 => "uint16",
            IdType::Uint32 => "uint32",
        }
    }
}

fn list_of(item: DataType, nullable_items: bool) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, nullable_items)))
}

/// The Arrow schema of token shards with ids of type `ids`.
///
/// Columns: `seq_id` (unique per corpus), `input_ids`, `word_start` (one
/// flag per token: the token begins a word, for whole-word masking),
/// `num_tokens`, `note_ids` and `note_offsets` (each note with a segment in
/// the sequence and the token index where its segment starts), `doc_type`,
/// `lang` (null before langid ran) and `split`.
pub fn tokens_schema(ids: IdType) -> SchemaRef {
    let mut metadata = HashMap::new();
    metadata.insert(
        "norclin.schema".to_string(),
        TOKENS_SCHEMA_VERSION.to_string(),
    );
    Arc::new(
        Schema::new(vec![
            Field::new("seq_id", DataType::UInt64, false),
            Field::new("input_ids", list_of(ids.data_type(), false), false),
            Field::new("word_start", list_of(DataType::Boolean, false), false),
            Field::new("num_tokens", DataType::UInt32, false),
            Field::new("note_ids", list_of(DataType::Utf8, false), false),
            Field::new("note_offsets", list_of(DataType::UInt32, false), false),
            Field::new("doc_type", DataType::Utf8, false),
            Field::new("lang", DataType::Utf8, true),
            Field::new("split", DataType::Utf8, false),
        ])
        .with_metadata(metadata),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_type_follows_vocab_size() {
        assert_eq!(IdType::for_vocab(30_000), IdType::Uint16);
        assert_eq!(IdType::for_vocab(65_536), IdType::Uint16);
        assert_eq!(IdType::for_vocab(65_537), IdType::Uint32);
    }

    #[test]
    fn schema_matches_the_published_json() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/tokens.v1.json")).unwrap();
        let names: Vec<&str> = json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        let schema = tokens_schema(IdType::Uint16);
        let ours: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ours);
        assert_eq!(json["version"], 1);
    }
}
