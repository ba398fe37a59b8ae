//! [`ShardWriter`]: writes one token shard atomically, hashing as it goes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, ListBuilder, StringBuilder, UInt16Builder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use sha2::{Digest, Sha256};

use super::{IdType, ShardEntry, ShardError, Split, TokenSequence, parquet_error, tokens_schema};
use crate::fsio::{self, AtomicFile};

/// Uncompressed id bytes per row group: large enough for efficient reads,
/// small enough that a reader holds little.
const ROW_GROUP_ID_BYTES: usize = 8 << 20;

/// The file name of shard `n`: `shard-NNNNN.parquet`.
pub fn shard_file_name(n: u64) -> String {
    format!("shard-{n:05}.parquet")
}

struct HashingFile {
    inner: AtomicFile,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the sequences of one split into one shard file: explicit
/// `tokens.v1` schema, zstd, row groups of about 8 MiB of ids, written under
/// a temporary name and renamed by [`ShardWriter::finish`].
pub struct ShardWriter {
    path: PathBuf,
    split: Split,
    unit: u64,
    ids: IdType,
    schema: SchemaRef,
    writer: ArrowWriter<HashingFile>,
    buffer: Vec<TokenSequence>,
    rows_per_group: usize,
    rows: u64,
    tokens: u64,
    row_groups: u64,
}

impl ShardWriter {
    /// Creates shard `path` for `split` with ids of type `ids` and
    /// sequences of at most `max_len` tokens.
    pub fn create(
        path: impl Into<PathBuf>,
        split: Split,
        unit: u64,
        ids: IdType,
        max_len: usize,
    ) -> Result<Self, ShardError> {
        let path = path.into();
        let file = HashingFile {
            inner: AtomicFile::create(&path)?,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let rows_per_group = (ROW_GROUP_ID_BYTES / (max_len.max(1) * ids.width())).max(64);
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(rows_per_group))
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(format!("norclin {}", env!("CARGO_PKG_VERSION")))
            .build();
        let schema = tokens_schema(ids);
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| parquet_error(&path, e))?;
        Ok(ShardWriter {
            path,
            split,
            unit,
            ids,
            schema,
            writer,
            buffer: Vec::new(),
            rows_per_group,
            rows: 0,
            tokens: 0,
            row_groups: 0,
        })
    }

    /// Appends one sequence (of this writer's split).
    pub fn write(&mut self, seq: TokenSequence) -> Result<(), ShardError> {
        if seq.split != self.split {
            return Err(ShardError::Schema {
                path: self.path.clone(),
                message: format!("a {} sequence written to a {} shard", seq.split, self.split),
            });
        }
        self.buffer.push(seq);
        if self.buffer.len() >= self.rows_per_group {
            self.flush_group()?;
        }
        Ok(())
    }

    /// Sequences written so far.
    pub fn rows(&self) -> u64 {
        self.rows + self.buffer.len() as u64
    }

    fn flush_group(&mut self) -> Result<(), ShardError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let batch = sequences_to_batch(&self.buffer, self.ids, &self.schema)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.writer
            .flush()
            .map_err(|e| parquet_error(&self.path, e))?;
        self.rows += self.buffer.len() as u64;
        self.tokens += self
            .buffer
            .iter()
            .map(|s| s.input_ids.len() as u64)
            .sum::<u64>();
        self.row_groups += 1;
        self.buffer.clear();
        Ok(())
    }

    /// Writes the footer, renames the file into place and returns its
    /// manifest entry.
    pub fn finish(mut self) -> Result<ShardEntry, ShardError> {
        self.flush_group()?;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| parquet_error(&self.path, e))?;
        let sha256 = fsio::hex(&file.hasher.finalize());
        let bytes = file.bytes;
        file.inner.commit()?;
        Ok(ShardEntry {
            file: file_name(&self.path),
            split: self.split,
            unit: self.unit,
            rows: self.rows,
            tokens: self.tokens,
            bytes,
            row_groups: self.row_groups,
            sha256,
        })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn item(name: &str, nullable: bool, dt: arrow_schema::DataType) -> Arc<Field> {
    Arc::new(Field::new(name, dt, nullable))
}

fn sequences_to_batch(
    rows: &[TokenSequence],
    ids: IdType,
    schema: &SchemaRef,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    use arrow_schema::DataType;
    let n_tokens: usize = rows.iter().map(|r| r.input_ids.len()).sum();
    let mut seq_id = UInt64Builder::with_capacity(rows.len());
    let mut word_start = ListBuilder::new(BooleanBuilder::with_capacity(n_tokens))
        .with_field(item("item", false, DataType::Boolean));
    let mut num_tokens = UInt32Builder::with_capacity(rows.len());
    let mut note_ids =
        ListBuilder::new(StringBuilder::new()).with_field(item("item", false, DataType::Utf8));
    let mut note_offsets =
        ListBuilder::new(UInt32Builder::new()).with_field(item("item", false, DataType::UInt32));
    let mut doc_type = StringBuilder::new();
    let mut lang = StringBuilder::new();
    let mut split = StringBuilder::new();
    for r in rows {
        seq_id.append_value(r.seq_id);
        word_start.values().append_slice(&r.word_start);
        word_start.append(true);
        num_tokens.append_value(u32::try_from(r.input_ids.len()).unwrap_or(u32::MAX));
        for id in &r.note_ids {
            note_ids.values().append_value(id);
        }
        note_ids.append(true);
        note_offsets.values().append_slice(&r.note_offsets);
        note_offsets.append(true);
        doc_type.append_value(&r.doc_type);
        lang.append_option(r.lang.as_deref());
        split.append_value(r.split.as_str());
    }
    let input_ids: ArrayRef =
        match ids {
            IdType::Uint16 => {
                let mut b = ListBuilder::new(UInt16Builder::with_capacity(n_tokens))
                    .with_field(item("item", false, DataType::UInt16));
                for r in rows {
                    for &id in &r.input_ids {
                        let v = u16::try_from(id).map_err(|_| {
                            arrow_schema::ArrowError::InvalidArgumentError(format!(
                                "token id {id} does not fit uint16"
                            ))
                        })?;
                        b.values().append_value(v);
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            IdType::Uint32 => {
                let mut b = ListBuilder::new(UInt32Builder::with_capacity(n_tokens))
                    .with_field(item("item", false, DataType::UInt32));
                for r in rows {
                    b.values().append_slice(&r.input_ids);
                    b.append(true);
                }
                Arc::new(b.finish())
            }
        };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(seq_id.finish()),
        input_ids,
        Arc::new(word_start.finish()),
        Arc::new(num_tokens.finish()),
        Arc::new(note_ids.finish()),
        Arc::new(note_offsets.finish()),
        Arc::new(doc_type.finish()),
        Arc::new(lang.finish()),
        Arc::new(split.finish()),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}
