//! Parquet reader for source files: streams record batches, maps columns by
//! name and accepts the string, integer and time types other tools write.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::reader::ChunkReader;

use super::config::ColumnMap;
use super::row::{RawDate, RawFields, RawRow};
use super::{IngestError, RowSource};
use crate::fsio::PathError;

/// Streams rows from a Parquet file.
pub struct ParquetSource {
    path: PathBuf,
    label: String,
    batches: ParquetRecordBatchReader,
    columns: ColumnMap,
    row: u64,
    bytes_total: u64,
    rows_total: u64,
}

impl ParquetSource {
    /// Opens `path` and checks that the required columns exist.
    pub fn open(path: &Path, columns: &ColumnMap) -> Result<Self, IngestError> {
        let file = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
        let bytes_total = file.metadata().map(|m| m.len()).unwrap_or(0);
        Self::from_chunks(path, file, bytes_total, columns)
    }

    /// Reads from anything Parquet can read (a file, bytes in memory);
    /// `path` labels rows and errors.
    pub fn from_chunks<T: ChunkReader + 'static>(
        path: &Path,
        input: T,
        bytes_total: u64,
        columns: &ColumnMap,
    ) -> Result<Self, IngestError> {
        let file_error = |message: String| IngestError::File {
            path: path.to_path_buf(),
            message,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(input)
            .map_err(|e| file_error(format!("not a readable Parquet file: {e}")))?;
        let schema = builder.schema().clone();
        for (field, mapped) in [
            ("note_id", &columns.note_id),
            ("patient_id", &columns.patient_id),
            ("text", &columns.text),
        ] {
            if schema.column_with_name(mapped).is_none() {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(file_error(format!(
                    "column `{mapped}` (for `{field}`) is missing; the file has: {}; map it under [stages.columns]",
                    names.join(", ")
                )));
            }
        }
        let rows_total = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let batches = builder
            .with_batch_size(2048)
            .build()
            .map_err(|e| file_error(format!("not a readable Parquet file: {e}")))?;
        Ok(ParquetSource {
            path: path.to_path_buf(),
            label: path.display().to_string(),
            batches,
            columns: columns.clone(),
            row: 0,
            bytes_total,
            rows_total,
        })
    }
}

impl RowSource for ParquetSource {
    fn next_rows(&mut self) -> Result<Option<Vec<RawRow>>, IngestError> {
        let Some(batch) = self.batches.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| IngestError::File {
            path: self.path.clone(),
            message: format!("corrupt Parquet data after row {}: {e}", self.row),
        })?;
        let col = |name: &str| -> Result<Vec<Option<String>>, IngestError> {
            text_column(&batch, name).map_err(|message| IngestError::File {
                path: self.path.clone(),
                message,
            })
        };
        let note_id = col(&self.columns.note_id)?;
        let patient_id = col(&self.columns.patient_id)?;
        let doc_type = col(&self.columns.doc_type)?;
        let department = col(&self.columns.department)?;
        let lang = col(&self.columns.lang)?;
        let text = col(&self.columns.text)?;
        let written_at =
            date_column(&batch, &self.columns.written_at).map_err(|message| IngestError::File {
                path: self.path.clone(),
                message,
            })?;
        let mut rows = Vec::with_capacity(batch.num_rows());
        let iter = note_id
            .into_iter()
            .zip(patient_id)
            .zip(doc_type)
            .zip(department)
            .zip(lang)
            .zip(text)
            .zip(written_at);
        for ((((((note_id, patient_id), doc_type), department), lang), text), written_at) in iter {
            rows.push(RawRow {
                locator: format!("{}:{}", self.label, self.row),
                fields: Ok(RawFields {
                    note_id,
                    patient_id,
                    doc_type,
                    written_at,
                    department,
                    lang,
                    text,
                }),
            });
            self.row += 1;
        }
        Ok(Some(rows))
    }

    fn bytes_read(&self) -> u64 {
        (self.bytes_total * self.row)
            .checked_div(self.rows_total)
            .unwrap_or(self.bytes_total)
    }
}

fn text_column(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, String> {
    let Some(col) = batch.column_by_name(name) else {
        return Ok(vec![None; batch.num_rows()]);
    };
    macro_rules! collect {
        ($t:ty, $f:expr) => {
            col.as_any()
                .downcast_ref::<$t>()
                .map(|a| a.iter().map(|v| v.map($f)).collect())
                .ok_or_else(|| format!("column `{name}`: unexpected array layout"))
        };
    }
    match col.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            crate::notes::string_column(batch, name)
        }
        DataType::Int64 => collect!(arrow_array::Int64Array, |v: i64| v.to_string()),
        DataType::Int32 => collect!(arrow_array::Int32Array, |v: i32| v.to_string()),
        DataType::UInt64 => collect!(arrow_array::UInt64Array, |v: u64| v.to_string()),
        DataType::UInt32 => collect!(arrow_array::UInt32Array, |v: u32| v.to_string()),
        other => Err(format!(
            "column `{name}` has type {other}; expected text or integers"
        )),
    }
}

fn date_column(batch: &RecordBatch, name: &str) -> Result<Vec<Option<RawDate>>, String> {
    let Some(col) = batch.column_by_name(name) else {
        return Ok(vec![None; batch.num_rows()]);
    };
    macro_rules! scaled {
        ($t:ty, $scale:expr) => {
            col.as_any()
                .downcast_ref::<$t>()
                .map(|a| {
                    a.iter()
                        .map(|v| v.map(|v| RawDate::Micros($scale(v as i64))))
                        .collect()
                })
                .ok_or_else(|| format!("column `{name}`: unexpected array layout"))
        };
    }
    match col.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            scaled!(arrow_array::TimestampSecondArray, |v: i64| v
                .saturating_mul(1_000_000))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            scaled!(arrow_array::TimestampMillisecondArray, |v: i64| v
                .saturating_mul(1_000))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            scaled!(arrow_array::TimestampMicrosecondArray, |v: i64| v)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            scaled!(arrow_array::TimestampNanosecondArray, |v: i64| v / 1_000)
        }
        DataType::Date32 => scaled!(arrow_array::Date32Array, |v: i64| v
            .saturating_mul(86_400_000_000)),
        DataType::Date64 => scaled!(arrow_array::Date64Array, |v: i64| v.saturating_mul(1_000)),
        _ => Ok(text_column(batch, name)?
            .into_iter()
            .map(|v| v.map(RawDate::Text))
            .collect()),
    }
}
