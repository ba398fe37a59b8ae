//! Streaming Parquet I/O for notes files (`schemas/notes.v1.json`).
//!
//! [`NotesWriter`] buffers a bounded batch of notes, writes it as one Arrow
//! record batch and flushes row groups by size, so memory stays flat however
//! many notes pass through. [`NotesReader`] streams record batches back and
//! accepts both `Utf8`, `LargeUtf8` and `Utf8View` text columns (polars and
//! pyarrow write different kinds).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::{DocType, Note, NoteText};
use crate::fsio::{AtomicFile, PathError};

/// Version of the notes schema written in the Parquet key-value metadata.
pub const NOTES_SCHEMA_VERSION: &str = "notes.v1";

/// Errors reading or writing notes files.
#[derive(Debug, thiserror::Error)]
pub enum NotesIoError {
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
    /// The file does not follow the notes schema.
    #[error("{path}: not a notes file: {message}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The Arrow schema of notes files.
pub fn notes_schema() -> SchemaRef {
    let mut metadata = std::collections::HashMap::new();
    metadata.insert(
        "norclin.schema".to_string(),
        NOTES_SCHEMA_VERSION.to_string(),
    );
    Arc::new(
        Schema::new(vec![
            Field::new("note_id", DataType::Utf8, false),
            Field::new("patient_id", DataType::Utf8, false),
            Field::new("doc_type", DataType::Utf8, false),
            Field::new(
                "written_at",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                true,
            ),
            Field::new("department", DataType::Utf8, true),
            Field::new("source", DataType::Utf8, false),
            Field::new("lang", DataType::Utf8, true),
            Field::new("text", DataType::Utf8, false),
        ])
        .with_metadata(metadata),
    )
}

/// Rows buffered before a record batch is written.
const BATCH_ROWS: usize = 4096;
/// Text bytes buffered before a record batch is written.
const BATCH_BYTES: usize = 16 << 20;
/// Encoded bytes of an in-progress row group before it is flushed.
const ROW_GROUP_BYTES: usize = 128 << 20;
/// Rows a reader decodes at a time: about 250 KB of note text, which
/// stays in a core's L2 cache between decoding and use.
const READ_ROWS: usize = 256;

/// Writes notes to a Parquet file atomically (temporary name, renamed on
/// [`NotesWriter::finish`]); zstd-compressed, bounded memory.
pub struct NotesWriter {
    path: PathBuf,
    writer: ArrowWriter<AtomicFile>,
    buffer: Vec<Note>,
    buffered_bytes: usize,
    rows: u64,
}

impl NotesWriter {
    /// Creates the writer for `path`.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self, NotesIoError> {
        let path = path.into();
        let file = AtomicFile::create(&path)?;
        // Ids and texts are unique: a dictionary would only be built and
        // thrown away.
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(64 * 1024));
        for unique in ["note_id", "text"] {
            props = props.set_column_dictionary_enabled(ColumnPath::from(unique), false);
        }
        // Minimum and maximum of note texts help no reader.
        props =
            props.set_column_statistics_enabled(ColumnPath::from("text"), EnabledStatistics::None);
        let props = props.build();
        let writer = ArrowWriter::try_new(file, notes_schema(), Some(props))
            .map_err(|e| parquet_error(&path, e))?;
        Ok(NotesWriter {
            path,
            writer,
            buffer: Vec::new(),
            buffered_bytes: 0,
            rows: 0,
        })
    }

    /// Appends one note.
    pub fn write(&mut self, note: Note) -> Result<(), NotesIoError> {
        self.buffered_bytes += note.text.0.len();
        self.buffer.push(note);
        if self.buffer.len() >= BATCH_ROWS || self.buffered_bytes >= BATCH_BYTES {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Notes written so far.
    pub fn rows(&self) -> u64 {
        self.rows + self.buffer.len() as u64
    }

    fn flush_batch(&mut self) -> Result<(), NotesIoError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let batch = notes_to_batch(&self.buffer).map_err(|e| parquet_error(&self.path, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| parquet_error(&self.path, e))?;
        self.rows += self.buffer.len() as u64;
        self.buffer.clear();
        self.buffered_bytes = 0;
        if self.writer.in_progress_size() >= ROW_GROUP_BYTES {
            self.writer
                .flush()
                .map_err(|e| parquet_error(&self.path, e))?;
        }
        Ok(())
    }

    /// Writes the footer and renames the file into place. Returns the rows
    /// written.
    pub fn finish(mut self) -> Result<u64, NotesIoError> {
        self.flush_batch()?;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| parquet_error(&self.path, e))?;
        file.commit()?;
        Ok(self.rows)
    }
}

fn notes_to_batch(notes: &[Note]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let text_bytes: usize = notes.iter().map(|n| n.text.0.len()).sum();
    let mut note_id = StringBuilder::new();
    let mut patient_id = StringBuilder::new();
    let mut doc_type = StringBuilder::new();
    let mut written_at = TimestampMicrosecondBuilder::with_capacity(notes.len());
    let mut department = StringBuilder::new();
    let mut source = StringBuilder::new();
    let mut lang = StringBuilder::new();
    let mut text = StringBuilder::with_capacity(notes.len(), text_bytes);
    for n in notes {
        note_id.append_value(&n.note_id);
        patient_id.append_value(&n.patient_id);
        doc_type.append_value(n.doc_type.as_str());
        written_at.append_option(n.written_at);
        department.append_option(n.department.as_deref());
        source.append_value(&n.source);
        lang.append_option(n.lang.as_deref());
        text.append_value(&n.text.0);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(note_id.finish()),
        Arc::new(patient_id.finish()),
        Arc::new(doc_type.finish()),
        Arc::new(written_at.finish()),
        Arc::new(department.finish()),
        Arc::new(source.finish()),
        Arc::new(lang.finish()),
        Arc::new(text.finish()),
    ];
    RecordBatch::try_new(notes_schema(), columns)
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> NotesIoError {
    NotesIoError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Streams notes from a notes Parquet file, one record batch at a time.
pub struct NotesReader {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    rows: u64,
}

impl NotesReader {
    /// Opens `path` and checks its columns against the notes schema.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, NotesIoError> {
        let path = path.into();
        let file = File::open(&path).map_err(|e| PathError::new("opening", &path, e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(&path, e))?;
        let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let schema = builder.schema().clone();
        for name in ["note_id", "patient_id", "doc_type", "source", "text"] {
            if schema.column_with_name(name).is_none() {
                return Err(NotesIoError::Schema {
                    path,
                    message: format!("missing column `{name}`"),
                });
            }
        }
        let batches = builder
            .with_batch_size(READ_ROWS)
            .build()
            .map_err(|e| parquet_error(&path, e))?;
        Ok(NotesReader {
            path,
            batches,
            rows,
        })
    }

    /// Rows in the file, from its footer.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The next batch of notes, or `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Vec<Note>>, NotesIoError> {
        let Some(batch) = self.batches.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| parquet_error(&self.path, e))?;
        batch_to_notes(&batch)
            .map(Some)
            .map_err(|message| NotesIoError::Schema {
                path: self.path.clone(),
                message,
            })
    }
}

impl Iterator for NotesReader {
    type Item = Result<Vec<Note>, NotesIoError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

/// Reads one string column of a batch in any Arrow string encoding.
pub(crate) fn string_column(
    batch: &RecordBatch,
    name: &str,
) -> Result<Vec<Option<String>>, String> {
    let Some(col) = batch.column_by_name(name) else {
        return Ok(vec![None; batch.num_rows()]);
    };
    let col = col.as_ref();
    let out = match col.data_type() {
        DataType::Utf8 => collect_strings(col.as_any().downcast_ref::<arrow_array::StringArray>()),
        DataType::LargeUtf8 => {
            collect_strings(col.as_any().downcast_ref::<arrow_array::LargeStringArray>())
        }
        DataType::Utf8View => {
            collect_strings(col.as_any().downcast_ref::<arrow_array::StringViewArray>())
        }
        DataType::Null => Some(vec![None; batch.num_rows()]),
        other => {
            return Err(format!(
                "column `{name}` has type {other}, expected a string"
            ));
        }
    };
    out.ok_or_else(|| format!("column `{name}`: unexpected array layout"))
}

fn collect_strings<'a, A>(array: Option<&'a A>) -> Option<Vec<Option<String>>>
where
    &'a A: IntoIterator<Item = Option<&'a str>>,
{
    array.map(|a| a.into_iter().map(|v| v.map(str::to_owned)).collect())
}

fn batch_to_notes(batch: &RecordBatch) -> Result<Vec<Note>, String> {
    let n = batch.num_rows();
    let required = |name: &str| -> Result<Vec<String>, String> {
        string_column(batch, name)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| format!("row {i}: `{name}` is null")))
            .collect()
    };
    let note_id = required("note_id")?;
    let patient_id = required("patient_id")?;
    let doc_type = required("doc_type")?;
    let source = required("source")?;
    let text = required("text")?;
    let department = string_column(batch, "department")?;
    let lang = string_column(batch, "lang")?;
    let written_at: Vec<Option<i64>> = match batch.column_by_name("written_at") {
        None => vec![None; n],
        Some(col) => match col.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, _) => col
                .as_any()
                .downcast_ref::<arrow_array::TimestampMicrosecondArray>()
                .map(|a| a.iter().collect())
                .ok_or("column `written_at`: unexpected array layout")?,
            DataType::Null => vec![None; n],
            other => {
                return Err(format!(
                    "column `written_at` has type {other}, expected timestamp[us]"
                ));
            }
        },
    };
    let mut notes = Vec::with_capacity(n);
    let mut cols = (
        note_id.into_iter(),
        patient_id.into_iter(),
        doc_type.into_iter(),
        source.into_iter(),
        text.into_iter(),
    );
    for i in 0..n {
        let (Some(note_id), Some(patient_id), Some(doc_type), Some(source), Some(text)) = (
            cols.0.next(),
            cols.1.next(),
            cols.2.next(),
            cols.3.next(),
            cols.4.next(),
        ) else {
            return Err("columns differ in length".into());
        };
        notes.push(Note {
            note_id,
            patient_id,
            doc_type: DocType::parse(&doc_type).unwrap_or(DocType::Other),
            written_at: written_at[i],
            department: department[i].clone(),
            source,
            lang: lang[i].clone(),
            text: NoteText(text),
        });
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(i: usize) -> Note {
        Note {
            note_id: format!("n{i}"),
            patient_id: format!("p{}", i % 3),
            doc_type: DocType::NursingNote,
            written_at: if i.is_multiple_of(2) {
                Some(1_600_000_000_000_000 + i as i64)
            } else {
                None
            },
            department: Some("Medisinsk avdeling".into()),
            source: format!("x.jsonl:{i}"),
            lang: None,
            text: NoteText(format!("Pasienten sover godt. Notat {i}.")),
        }
    }

    #[test]
    fn notes_round_trip_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.parquet");
        let mut w = NotesWriter::create(&path).unwrap();
        let notes: Vec<Note> = (0..5000).map(note).collect();
        for n in notes.clone() {
            w.write(n).unwrap();
        }
        assert_eq!(w.finish().unwrap(), 5000);
        let mut r = NotesReader::open(&path).unwrap();
        assert_eq!(r.rows(), 5000);
        let mut back = Vec::new();
        while let Some(batch) = r.next_batch().unwrap() {
            back.extend(batch);
        }
        assert_eq!(back, notes);
    }
}

#[cfg(test)]
mod schema_file_tests {
    use super::*;

    /// `schemas/notes.v1.json` is the published contract: the writer's Arrow
    /// schema must match it field for field.
    #[test]
    fn writer_schema_matches_the_published_schema_file() {
        let published: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/notes.v1.json")).unwrap();
        let fields = published["fields"].as_array().unwrap();
        let schema = notes_schema();
        assert_eq!(fields.len(), schema.fields().len());
        for (json, field) in fields.iter().zip(schema.fields()) {
            assert_eq!(json["name"], field.name().as_str());
            assert_eq!(json["nullable"], field.is_nullable(), "{}", field.name());
            let ty = match field.data_type() {
                DataType::Utf8 => "utf8",
                DataType::Timestamp(TimeUnit::Microsecond, None) => "timestamp[us]",
                other => panic!("unexpected type {other}"),
            };
            assert_eq!(json["type"], ty, "{}", field.name());
        }
        assert_eq!(
            schema.metadata().get("norclin.schema").map(String::as_str),
            Some(format!("notes.v{}", published["version"]).as_str())
        );
    }
}
