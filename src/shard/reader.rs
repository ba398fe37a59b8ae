//! Reading token shards: [`ShardFile`] decodes one file (any list and
//! string encoding pyarrow, polars or arrow-rs write); [`ShardReader`]
//! streams a split for training with a seeded shuffle buffer, epochs, and a
//! position that can be saved and resumed exactly.
//!
//! Order: for epoch `e`, the split's shards are permuted by a generator
//! seeded with `(seed, e)`; rows enter a buffer of `shuffle_buffer` rows in
//! file order, and each step emits a buffered row picked by a second
//! generator seeded with `(seed, e)`. The order depends on nothing else
//! (not thread count, not timing). Memory: the buffer plus one decoded batch.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{
    Array, BooleanArray, LargeListArray, ListArray, RecordBatch, UInt16Array, UInt32Array,
    UInt64Array,
};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use serde::{Deserialize, Serialize};

use super::{Manifest, ShardEntry, ShardError, Split, TokenSequence, parquet_error};
use crate::fsio::PathError;

/// Rows decoded at a time.
const BATCH_ROWS: usize = 512;

/// Streams the sequences of one shard file in batches.
pub struct ShardFile {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
}

impl ShardFile {
    /// Opens `path`, skipping its first `skip_rows` rows.
    pub fn open(path: impl Into<PathBuf>, skip_rows: u64) -> Result<Self, ShardError> {
        let path = path.into();
        let builder = builder(&path)?;
        let total = builder.metadata().file_metadata().num_rows().max(0) as usize;
        let skip = (skip_rows as usize).min(total);
        let mut builder = builder.with_batch_size(BATCH_ROWS);
        if skip > 0 {
            builder = builder.with_row_selection(RowSelection::from(vec![
                RowSelector::skip(skip),
                RowSelector::select(total - skip),
            ]));
        }
        let batches = builder.build().map_err(|e| parquet_error(&path, e))?;
        Ok(ShardFile { path, batches })
    }

    /// Every row of `path` (for tests and tools; training uses
    /// [`ShardReader`]).
    pub fn read_all(path: impl Into<PathBuf>) -> Result<Vec<TokenSequence>, ShardError> {
        let mut out = Vec::new();
        for batch in ShardFile::open(path, 0)? {
            out.extend(batch?);
        }
        Ok(out)
    }

    /// The rows of `path` at the given (ascending, distinct) indices.
    pub fn read_rows(path: &Path, rows: &[u64]) -> Result<Vec<TokenSequence>, ShardError> {
        let builder = builder(path)?;
        let total = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let mut selectors = Vec::new();
        let mut at = 0u64;
        for &r in rows {
            if r < at || r >= total {
                return Err(ShardError::Schema {
                    path: path.to_path_buf(),
                    message: format!("row {r} requested out of order or past the end ({total})"),
                });
            }
            if r > at {
                selectors.push(RowSelector::skip((r - at) as usize));
            }
            selectors.push(RowSelector::select(1));
            at = r + 1;
        }
        let reader = builder
            .with_batch_size(BATCH_ROWS)
            .with_row_selection(RowSelection::from(selectors))
            .build()
            .map_err(|e| parquet_error(path, e))?;
        let mut out = Vec::with_capacity(rows.len());
        for batch in reader {
            let batch = batch.map_err(|e| parquet_error(path, e))?;
            out.extend(decode_batch(path, &batch)?);
        }
        Ok(out)
    }

    /// The next batch of rows, or `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Vec<TokenSequence>>, ShardError> {
        let Some(batch) = self.batches.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| parquet_error(&self.path, e))?;
        decode_batch(&self.path, &batch).map(Some)
    }
}

impl Iterator for ShardFile {
    type Item = Result<Vec<TokenSequence>, ShardError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, ShardError> {
    let file = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, e))
}

/// Offsets and values of a `List` or `LargeList` column.
fn list_parts(col: &dyn Array) -> Option<(Vec<usize>, &dyn Array)> {
    if let Some(l) = col.as_any().downcast_ref::<ListArray>() {
        let offsets = l
            .value_offsets()
            .iter()
            .map(|&o| o.max(0) as usize)
            .collect();
        return Some((offsets, l.values().as_ref()));
    }
    if let Some(l) = col.as_any().downcast_ref::<LargeListArray>() {
        let offsets = l
            .value_offsets()
            .iter()
            .map(|&o| o.max(0) as usize)
            .collect();
        return Some((offsets, l.values().as_ref()));
    }
    None
}

fn u32_values(values: &dyn Array) -> Result<Vec<u32>, String> {
    let any = values.as_any();
    let out: Option<Vec<u32>> = match values.data_type() {
        DataType::UInt16 => any
            .downcast_ref::<UInt16Array>()
            .map(|a| a.values().iter().map(|&v| u32::from(v)).collect()),
        DataType::UInt32 => any
            .downcast_ref::<UInt32Array>()
            .map(|a| a.values().to_vec()),
        DataType::Int32 => any
            .downcast_ref::<arrow_array::Int32Array>()
            .map(|a| a.values().iter().map(|&v| v.max(0) as u32).collect()),
        DataType::Int64 => any.downcast_ref::<arrow_array::Int64Array>().map(|a| {
            a.values()
                .iter()
                .map(|&v| v.clamp(0, u32::MAX as i64) as u32)
                .collect()
        }),
        DataType::UInt64 => any.downcast_ref::<UInt64Array>().map(|a| {
            a.values()
                .iter()
                .map(|&v| v.min(u32::MAX as u64) as u32)
                .collect()
        }),
        other => return Err(format!("integer list items of type {other}")),
    };
    out.ok_or_else(|| "unexpected array layout".to_string())
}

fn int_lists(batch: &RecordBatch, name: &str) -> Result<Vec<Vec<u32>>, String> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| format!("missing column `{name}`"))?;
    let (offsets, values) =
        list_parts(col.as_ref()).ok_or_else(|| format!("column `{name}` is not a list"))?;
    let values = u32_values(values).map_err(|e| format!("column `{name}`: {e}"))?;
    Ok(split_by(&offsets, &values))
}

fn bool_lists(batch: &RecordBatch, name: &str) -> Result<Vec<Vec<bool>>, String> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| format!("missing column `{name}`"))?;
    let (offsets, values) =
        list_parts(col.as_ref()).ok_or_else(|| format!("column `{name}` is not a list"))?;
    let values: Vec<bool> = values
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| format!("column `{name}`: items are not booleans"))?
        .values()
        .iter()
        .collect();
    Ok(split_by(&offsets, &values))
}

fn string_lists(batch: &RecordBatch, name: &str) -> Result<Vec<Vec<String>>, String> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| format!("missing column `{name}`"))?;
    let (offsets, values) =
        list_parts(col.as_ref()).ok_or_else(|| format!("column `{name}` is not a list"))?;
    let inner = RecordBatch::try_from_iter([("v", arrow_array::make_array(values.to_data()))])
        .map_err(|e| e.to_string())?;
    let values: Vec<String> = crate::notes::string_column(&inner, "v")?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    Ok(split_by(&offsets, &values))
}

fn split_by<T: Clone>(offsets: &[usize], values: &[T]) -> Vec<Vec<T>> {
    offsets
        .windows(2)
        .map(|w| {
            values
                .get(w[0]..w[1])
                .map(<[T]>::to_vec)
                .unwrap_or_default()
        })
        .collect()
}

fn decode_batch(path: &Path, batch: &RecordBatch) -> Result<Vec<TokenSequence>, ShardError> {
    decode(batch).map_err(|message| ShardError::Schema {
        path: path.to_path_buf(),
        message,
    })
}

fn decode(batch: &RecordBatch) -> Result<Vec<TokenSequence>, String> {
    let n = batch.num_rows();
    let seq_col = batch
        .column_by_name("seq_id")
        .ok_or("missing column `seq_id`")?;
    let seq_ids: Vec<u64> = match seq_col.data_type() {
        DataType::UInt64 => seq_col
            .as_any()
            .downcast_ref::<UInt64Array>()
            .map(|a| a.values().to_vec()),
        DataType::Int64 => seq_col
            .as_any()
            .downcast_ref::<arrow_array::Int64Array>()
            .map(|a| a.values().iter().map(|&v| v.max(0) as u64).collect()),
        other => return Err(format!("column `seq_id` has type {other}")),
    }
    .ok_or("column `seq_id`: unexpected array layout")?;
    let input_ids = int_lists(batch, "input_ids")?;
    let word_start = bool_lists(batch, "word_start")?;
    let note_ids = string_lists(batch, "note_ids")?;
    let note_offsets = int_lists(batch, "note_offsets")?;
    let doc_type = crate::notes::string_column(batch, "doc_type")?;
    let lang = crate::notes::string_column(batch, "lang")?;
    let split = crate::notes::string_column(batch, "split")?;
    let mut out = Vec::with_capacity(n);
    let mut cols = (
        input_ids.into_iter(),
        word_start.into_iter(),
        note_ids.into_iter(),
        note_offsets.into_iter(),
    );
    for i in 0..n {
        let (Some(ids), Some(ws), Some(nids), Some(noffs)) =
            (cols.0.next(), cols.1.next(), cols.2.next(), cols.3.next())
        else {
            return Err("columns differ in length".into());
        };
        if ws.len() != ids.len() {
            return Err(format!(
                "row {i}: {} word_start flags for {} ids",
                ws.len(),
                ids.len()
            ));
        }
        let split_name = split.get(i).cloned().flatten().unwrap_or_default();
        out.push(TokenSequence {
            seq_id: seq_ids.get(i).copied().ok_or("seq_id too short")?,
            input_ids: ids,
            word_start: ws,
            note_ids: nids,
            note_offsets: noffs,
            doc_type: doc_type.get(i).cloned().flatten().unwrap_or_default(),
            lang: lang.get(i).cloned().flatten(),
            split: Split::parse(&split_name)
                .ok_or_else(|| format!("row {i}: unknown split `{split_name}`"))?,
        });
    }
    Ok(out)
}

/// How a [`ShardReader`] orders and repeats a split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderOptions {
    /// Seed of the shard order and shuffle buffer.
    pub seed: u64,
    /// Rows held for shuffling (0 or 1: file order, shards still permuted
    /// when `shuffle_shards`).
    pub shuffle_buffer: usize,
    /// Permute the shard order every epoch.
    pub shuffle_shards: bool,
    /// Epochs to stream; `None` repeats forever.
    pub epochs: Option<u64>,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            seed: 0,
            shuffle_buffer: 8192,
            shuffle_shards: true,
            epochs: Some(1),
        }
    }
}

/// Where a [`ShardReader`] stands: serialise it with a checkpoint and pass
/// it to [`ShardReader::resume`] to continue with exactly the sequences
/// that would have come next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderPosition {
    /// The split.
    pub split: Split,
    /// Options the reader was opened with.
    pub options: ReaderOptions,
    /// Shards of the split (checked on resume).
    pub shards: usize,
    /// SHA-256 over the split's shard hashes (checked on resume: a position
    /// only fits the shards it was taken on).
    pub shards_sha256: String,
    /// Current epoch (0-based).
    pub epoch: u64,
    /// Sequences emitted in this epoch.
    pub emitted: u64,
    /// Index into this epoch's shard order of the shard being read.
    pub shard_cursor: usize,
    /// Rows of that shard already taken into the buffer.
    pub row_in_shard: u64,
    /// State of the shuffle generator.
    pub rng: u64,
    /// Buffered rows, as (shard index in the split, row).
    pub buffer: Vec<(usize, u64)>,
}

/// SplitMix64: small, fast, and its whole state is one `u64`.
#[derive(Clone, Copy, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64, epoch: u64, stream: u64) -> Self {
        let mut g = SplitMix64(
            seed ^ epoch.wrapping_mul(0xD1B5_4A32_D192_ED03)
                ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7),
        );
        g.next();
        g
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

fn shards_digest(shards: &[ShardEntry]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for s in shards {
        h.update(s.sha256.as_bytes());
        h.update(b"\n");
    }
    crate::fsio::hex(&h.finalize())
}

struct Buffered {
    shard: usize,
    row: u64,
    seq: TokenSequence,
}

/// Streams one split of a shard directory for training; see the module
/// documentation for the order.
pub struct ShardReader {
    dir: PathBuf,
    split: Split,
    options: ReaderOptions,
    shards: Vec<ShardEntry>,
    epoch: u64,
    emitted: u64,
    order: Vec<usize>,
    shard_cursor: usize,
    row_in_shard: u64,
    file: Option<ShardFile>,
    pending: VecDeque<TokenSequence>,
    rng: SplitMix64,
    buffer: Vec<Buffered>,
}

impl ShardReader {
    /// Opens `split` of the shard directory `dir` at the start of epoch 0.
    pub fn open(
        dir: impl Into<PathBuf>,
        split: Split,
        options: ReaderOptions,
    ) -> Result<Self, ShardError> {
        let dir = dir.into();
        let manifest = Manifest::load(&dir)?;
        let shards: Vec<ShardEntry> = manifest.shards_of(split).cloned().collect();
        let mut r = ShardReader {
            dir,
            split,
            options,
            shards,
            epoch: 0,
            emitted: 0,
            order: Vec::new(),
            shard_cursor: 0,
            row_in_shard: 0,
            file: None,
            pending: VecDeque::new(),
            rng: SplitMix64(0),
            buffer: Vec::new(),
        };
        r.start_epoch(0);
        Ok(r)
    }

    /// Reopens a reader at a saved position.
    pub fn resume(dir: impl Into<PathBuf>, position: &ReaderPosition) -> Result<Self, ShardError> {
        let dir = dir.into();
        let mut r = ShardReader::open(&dir, position.split, position.options.clone())?;
        let bad = |message: String| ShardError::Position {
            dir: dir.clone(),
            message,
        };
        if position.shards_sha256 != shards_digest(&r.shards) {
            return Err(bad(
                "the shards differ from those the position was taken on".to_string(),
            ));
        }
        if position.shards != r.shards.len() {
            return Err(bad(format!(
                "saved with {} {} shards, the directory has {}",
                position.shards,
                position.split,
                r.shards.len()
            )));
        }
        r.start_epoch(position.epoch);
        if position.shard_cursor > r.order.len() {
            return Err(bad(format!(
                "shard cursor {} past the end",
                position.shard_cursor
            )));
        }
        r.emitted = position.emitted;
        r.shard_cursor = position.shard_cursor;
        r.row_in_shard = position.row_in_shard;
        r.rng = SplitMix64(position.rng);
        // Reload the buffered rows, one read per shard, and put them back
        // in their saved order.
        let mut by_shard: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        for &(shard, row) in &position.buffer {
            if shard >= r.shards.len() {
                return Err(bad(format!("buffered row of unknown shard {shard}")));
            }
            by_shard.entry(shard).or_default().push(row);
        }
        let mut loaded: BTreeMap<(usize, u64), TokenSequence> = BTreeMap::new();
        for (shard, mut rows) in by_shard {
            rows.sort_unstable();
            rows.dedup();
            let path = r.dir.join(&r.shards[shard].file);
            for (row, seq) in rows.iter().zip(ShardFile::read_rows(&path, &rows)?) {
                loaded.insert((shard, *row), seq);
            }
        }
        for &(shard, row) in &position.buffer {
            let seq = loaded
                .get(&(shard, row))
                .cloned()
                .ok_or_else(|| bad(format!("row {row} of shard {shard} is missing")))?;
            r.buffer.push(Buffered { shard, row, seq });
        }
        if r.shard_cursor < r.order.len() && r.row_in_shard > 0 {
            let shard = r.order[r.shard_cursor];
            let path = r.dir.join(&r.shards[shard].file);
            r.file = Some(ShardFile::open(path, r.row_in_shard)?);
        }
        Ok(r)
    }

    fn start_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.emitted = 0;
        self.order = (0..self.shards.len()).collect();
        if self.options.shuffle_shards {
            let mut g = SplitMix64::new(self.options.seed, epoch, 1);
            for i in (1..self.order.len()).rev() {
                let j = g.below(i + 1);
                self.order.swap(i, j);
            }
        }
        self.shard_cursor = 0;
        self.row_in_shard = 0;
        self.file = None;
        self.pending.clear();
        self.rng = SplitMix64::new(self.options.seed, epoch, 2);
        self.buffer.clear();
    }

    /// The position to save: resuming from it yields exactly the sequences
    /// this reader would yield next.
    pub fn position(&self) -> ReaderPosition {
        ReaderPosition {
            split: self.split,
            options: self.options.clone(),
            shards: self.shards.len(),
            shards_sha256: shards_digest(&self.shards),
            epoch: self.epoch,
            emitted: self.emitted,
            shard_cursor: self.shard_cursor,
            row_in_shard: self.row_in_shard,
            rng: self.rng.0,
            buffer: self.buffer.iter().map(|b| (b.shard, b.row)).collect(),
        }
    }

    /// The current epoch (0-based).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Total sequences of the split, from the manifest.
    pub fn rows_per_epoch(&self) -> u64 {
        self.shards.iter().map(|s| s.rows).sum()
    }

    /// The next row from the files in this epoch's order, or `None` when
    /// every shard of the epoch has been read.
    fn pull(&mut self) -> Result<Option<(usize, u64, TokenSequence)>, ShardError> {
        loop {
            if self.shard_cursor >= self.order.len() {
                return Ok(None);
            }
            let shard = self.order[self.shard_cursor];
            if let Some(seq) = self.pending.pop_front() {
                let row = self.row_in_shard;
                self.row_in_shard += 1;
                return Ok(Some((shard, row, seq)));
            }
            if self.file.is_none() {
                let path = self.dir.join(&self.shards[shard].file);
                self.file = Some(ShardFile::open(path, self.row_in_shard)?);
            }
            let next = match self.file.as_mut() {
                Some(f) => f.next_batch()?,
                None => None,
            };
            match next {
                Some(batch) => self.pending.extend(batch),
                None => {
                    self.file = None;
                    self.shard_cursor += 1;
                    self.row_in_shard = 0;
                }
            }
        }
    }

    /// The next sequence, or `None` after the last epoch.
    pub fn next_sequence(&mut self) -> Result<Option<TokenSequence>, ShardError> {
        let cap = self.options.shuffle_buffer.max(1);
        loop {
            while self.buffer.len() < cap {
                match self.pull()? {
                    Some((shard, row, seq)) => self.buffer.push(Buffered { shard, row, seq }),
                    None => break,
                }
            }
            if !self.buffer.is_empty() {
                let j = if cap > 1 {
                    self.rng.below(self.buffer.len())
                } else {
                    0
                };
                let b = self.buffer.swap_remove(j);
                self.emitted += 1;
                return Ok(Some(b.seq));
            }
            let next = self.epoch + 1;
            if self.options.epochs.is_some_and(|e| next >= e) || self.rows_per_epoch() == 0 {
                return Ok(None);
            }
            self.start_epoch(next);
        }
    }
}

impl Iterator for ShardReader {
    type Item = Result<TokenSequence, ShardError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_sequence().transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{
        BooleanBuilder, Int64Builder, LargeListBuilder, LargeStringBuilder, StringViewBuilder,
        UInt16Builder,
    };
    use arrow_array::{ArrayRef, RecordBatch};
    use parquet::arrow::ArrowWriter;

    use super::*;

    /// Shards rewritten by polars use large lists, string views and i64
    /// ids; the reader takes them as they are.
    #[test]
    fn reads_large_lists_string_views_and_signed_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shard-00000.parquet");
        let mut seq_id = Int64Builder::new();
        let mut ids = LargeListBuilder::new(UInt16Builder::new());
        let mut ws = LargeListBuilder::new(BooleanBuilder::new());
        let mut nids = LargeListBuilder::new(LargeStringBuilder::new());
        let mut noffs = LargeListBuilder::new(Int64Builder::new());
        let mut doc = StringViewBuilder::new();
        let mut lang = LargeStringBuilder::new();
        let mut split = StringViewBuilder::new();
        for r in 0..3u16 {
            seq_id.append_value(i64::from(r) + 10);
            ids.values().append_slice(&[2, 100 + r, 3]);
            ids.append(true);
            ws.values().append_slice(&[false, true, false]);
            ws.append(true);
            nids.values().append_value(format!("n{r}"));
            nids.append(true);
            noffs.values().append_value(1);
            noffs.append(true);
            doc.append_value("nursing_note");
            if r == 1 {
                lang.append_null();
            } else {
                lang.append_value("nno");
            }
            split.append_value("validation");
        }
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("seq_id", Arc::new(seq_id.finish())),
            ("input_ids", Arc::new(ids.finish())),
            ("word_start", Arc::new(ws.finish())),
            ("note_ids", Arc::new(nids.finish())),
            ("note_offsets", Arc::new(noffs.finish())),
            ("doc_type", Arc::new(doc.finish())),
            ("lang", Arc::new(lang.finish())),
            ("split", Arc::new(split.finish())),
        ];
        let batch = RecordBatch::try_from_iter(cols).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let rows = ShardFile::read_all(&path).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].seq_id, 11);
        assert_eq!(rows[1].input_ids, vec![2, 101, 3]);
        assert_eq!(rows[1].word_start, vec![false, true, false]);
        assert_eq!(rows[1].note_ids, vec!["n1".to_string()]);
        assert_eq!(rows[1].lang, None);
        assert_eq!(rows[2].lang.as_deref(), Some("nno"));
        assert_eq!(rows[0].split, Split::Validation);
        assert_eq!(ShardFile::read_rows(&path, &[0, 2]).unwrap()[1].seq_id, 12);
    }
}
