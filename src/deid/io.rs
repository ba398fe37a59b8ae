//! Reading notes (JSONL or Parquet) and writing the deid outputs.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::{
    DeidError, NOTES_JSONL, NOTES_PARQUET, Processed, SPANS_JSONL, SPANS_PARQUET, SpanRecord,
};
use crate::fsio::{AtomicFile, PathError};
use crate::notes::{DocType, Note, NoteText, NotesReader, NotesWriter};

/// A JSONL note as other tools write it.
#[derive(Deserialize)]
struct JsonNote {
    note_id: serde_json::Value,
    patient_id: serde_json::Value,
    text: String,
    #[serde(default)]
    doc_type: Option<String>,
    #[serde(default)]
    written_at: Option<serde_json::Value>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

fn id_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses `written_at`: ISO date/time strings or microseconds.
fn parse_written_at(v: &serde_json::Value) -> Result<Option<i64>, String> {
    use chrono::{NaiveDate, NaiveDateTime};
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| "written_at: not an integer".to_string()),
        serde_json::Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            let s = s.trim_end_matches('Z');
            for f in [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
            ] {
                if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                    return Ok(Some(t.and_utc().timestamp_micros()));
                }
            }
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                && let Some(t) = d.and_hms_opt(0, 0, 0)
            {
                return Ok(Some(t.and_utc().timestamp_micros()));
            }
            Err("written_at: unparsable date (use ISO 8601)".into())
        }
        _ => Err("written_at: expected a string or an integer".into()),
    }
}

fn json_error(e: &serde_json::Error) -> String {
    // serde_json messages can quote values; keep the category and column.
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => {
            "missing or mistyped field (note_id, patient_id, text)"
        }
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{what} at column {}", e.column())
}

/// Parses one JSONL line into a note.
fn parse_line(line: &str, path: &Path, n: u64) -> Result<Note, DeidError> {
    let err = |message: String| DeidError::Input {
        path: path.to_path_buf(),
        line: n,
        message,
    };
    let j: JsonNote = serde_json::from_str(line).map_err(|e| err(json_error(&e)))?;
    let note_id = id_string(&j.note_id).ok_or_else(|| err("note_id: missing or empty".into()))?;
    let patient_id =
        id_string(&j.patient_id).ok_or_else(|| err("patient_id: missing or empty".into()))?;
    let written_at = match &j.written_at {
        Some(v) => parse_written_at(v).map_err(err)?,
        None => None,
    };
    Ok(Note {
        note_id,
        patient_id,
        doc_type: j
            .doc_type
            .as_deref()
            .and_then(DocType::parse)
            .unwrap_or(DocType::Other),
        written_at,
        department: j.department,
        source: j.source.unwrap_or_else(|| {
            format!(
                "{}:{n}",
                path.file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
            )
        }),
        lang: j.lang,
        text: NoteText(j.text),
    })
}

/// Reads a whole JSONL notes file (for evaluation and tests).
pub fn read_jsonl_notes(path: &Path) -> Result<Vec<Note>, DeidError> {
    let mut src = NotesSource::open(path, 4096)?;
    let mut out = Vec::new();
    while let Some(b) = src.next_batch()? {
        out.extend(b);
    }
    Ok(out)
}

/// Notes from a JSONL or Parquet file, in bounded batches.
pub enum NotesSource {
    /// JSONL.
    Jsonl {
        /// The file.
        path: PathBuf,
        /// Reader.
        reader: BufReader<File>,
        /// Lines read.
        line: u64,
        /// Notes per batch.
        batch: usize,
    },
    /// Parquet notes (`schemas/notes.v1.json`).
    Parquet {
        /// Reader.
        reader: NotesReader,
        /// Notes per batch.
        batch: usize,
        /// Notes read but not yet handed out.
        carry: Vec<Note>,
    },
}

impl NotesSource {
    /// Opens `path`; Parquet by extension (`.parquet`, `.pq`), else JSONL.
    pub fn open(path: &Path, batch: usize) -> Result<NotesSource, DeidError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if ext == "parquet" || ext == "pq" {
            Ok(NotesSource::Parquet {
                reader: NotesReader::open(path)?,
                batch,
                carry: Vec::new(),
            })
        } else {
            let f = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
            Ok(NotesSource::Jsonl {
                path: path.to_path_buf(),
                reader: BufReader::with_capacity(1 << 20, f),
                line: 0,
                batch,
            })
        }
    }

    /// Total notes when known (Parquet footer).
    pub fn rows(&self) -> Option<u64> {
        match self {
            NotesSource::Parquet { reader, .. } => Some(reader.rows()),
            NotesSource::Jsonl { .. } => None,
        }
    }

    /// The next batch, `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Vec<Note>>, DeidError> {
        match self {
            NotesSource::Jsonl {
                path,
                reader,
                line,
                batch,
            } => {
                let mut out = Vec::with_capacity(*batch);
                let mut buf = String::new();
                let mut bytes = 0usize;
                while out.len() < *batch && bytes < (64 << 20) {
                    buf.clear();
                    let n = reader.read_line(&mut buf).map_err(|e| {
                        if e.kind() == std::io::ErrorKind::InvalidData {
                            DeidError::Input {
                                path: path.clone(),
                                line: *line + 1,
                                message: "invalid UTF-8".into(),
                            }
                        } else {
                            DeidError::Io(PathError::new("reading", path.as_path(), e))
                        }
                    })?;
                    if n == 0 {
                        break;
                    }
                    *line += 1;
                    let l = buf.trim();
                    if l.is_empty() {
                        continue;
                    }
                    bytes += l.len();
                    out.push(parse_line(l, path, *line)?);
                }
                Ok((!out.is_empty()).then_some(out))
            }
            NotesSource::Parquet {
                reader,
                batch,
                carry,
            } => {
                while carry.len() < *batch {
                    match reader.next_batch()? {
                        Some(b) => carry.extend(b),
                        None => break,
                    }
                }
                if carry.is_empty() {
                    return Ok(None);
                }
                let rest = carry.split_off((*batch).min(carry.len()));
                Ok(Some(std::mem::replace(carry, rest)))
            }
        }
    }
}

/// A de-identified note as written to `notes.jsonl`.
#[derive(Serialize)]
struct JsonOut<'a> {
    note_id: &'a str,
    patient_id: &'a str,
    doc_type: &'a str,
    written_at: Option<String>,
    department: Option<&'a str>,
    source: &'a str,
    lang: Option<&'a str>,
    text: &'a str,
}

fn micros_to_iso(us: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn spans_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("note_id", DataType::Utf8, false),
        Field::new("note_pseudonym", DataType::Utf8, false),
        Field::new("start", DataType::UInt64, false),
        Field::new("end", DataType::UInt64, false),
        Field::new("start_byte", DataType::UInt64, false),
        Field::new("end_byte", DataType::UInt64, false),
        Field::new("label", DataType::Utf8, false),
        Field::new("rule", DataType::Utf8, false),
        Field::new("action", DataType::Utf8, false),
        Field::new("surrogate", DataType::Utf8, true),
    ]))
}

/// The five output files, written atomically.
pub struct Outputs {
    dir: PathBuf,
    notes: NotesWriter,
    notes_jsonl: BufWriter<AtomicFile>,
    spans_jsonl: BufWriter<AtomicFile>,
    spans_parquet: ArrowWriter<AtomicFile>,
    span_buffer: Vec<SpanRecord>,
}

impl Outputs {
    /// Creates the writers in `dir`.
    pub fn create(dir: &Path) -> Result<Outputs, DeidError> {
        std::fs::create_dir_all(dir).map_err(|e| PathError::new("creating", dir, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let sp = dir.join(SPANS_PARQUET);
        let spans_parquet =
            ArrowWriter::try_new(AtomicFile::create(&sp)?, spans_schema(), Some(props)).map_err(
                |e| DeidError::Output {
                    path: sp.clone(),
                    message: e.to_string(),
                },
            )?;
        Ok(Outputs {
            dir: dir.to_path_buf(),
            notes: NotesWriter::create(dir.join(NOTES_PARQUET))?,
            notes_jsonl: BufWriter::with_capacity(
                1 << 20,
                AtomicFile::create(dir.join(NOTES_JSONL))?,
            ),
            spans_jsonl: BufWriter::with_capacity(
                1 << 20,
                AtomicFile::create(dir.join(SPANS_JSONL))?,
            ),
            spans_parquet,
            span_buffer: Vec::new(),
        })
    }

    fn io(&self, name: &str, e: impl std::fmt::Display) -> DeidError {
        DeidError::Output {
            path: self.dir.join(name),
            message: e.to_string(),
        }
    }

    /// Writes one processed batch.
    pub fn write(&mut self, batch: Vec<Processed>) -> Result<(), DeidError> {
        let mut line = Vec::with_capacity(4096);
        for p in batch {
            let n = &p.note;
            line.clear();
            serde_json::to_writer(
                &mut line,
                &JsonOut {
                    note_id: &n.note_id,
                    patient_id: &n.patient_id,
                    doc_type: n.doc_type.as_str(),
                    written_at: n.written_at.and_then(micros_to_iso),
                    department: n.department.as_deref(),
                    source: &n.source,
                    lang: n.lang.as_deref(),
                    text: n.text.as_str(),
                },
            )
            .map_err(|e| self.io(NOTES_JSONL, e))?;
            line.push(b'\n');
            self.notes_jsonl
                .write_all(&line)
                .map_err(|e| self.io(NOTES_JSONL, e))?;
            for s in &p.spans {
                line.clear();
                serde_json::to_writer(&mut line, s).map_err(|e| self.io(SPANS_JSONL, e))?;
                line.push(b'\n');
                self.spans_jsonl
                    .write_all(&line)
                    .map_err(|e| self.io(SPANS_JSONL, e))?;
            }
            self.span_buffer.extend(p.spans);
            self.notes.write(p.note)?;
        }
        if self.span_buffer.len() >= 65_536 {
            self.flush_spans()?;
        }
        Ok(())
    }

    fn flush_spans(&mut self) -> Result<(), DeidError> {
        if self.span_buffer.is_empty() {
            return Ok(());
        }
        let mut note_id = StringBuilder::new();
        let mut pseudo = StringBuilder::new();
        let mut start = UInt64Builder::new();
        let mut end = UInt64Builder::new();
        let mut sb = UInt64Builder::new();
        let mut eb = UInt64Builder::new();
        let mut label = StringBuilder::new();
        let mut rule = StringBuilder::new();
        let mut action = StringBuilder::new();
        let mut sur = StringBuilder::new();
        for s in &self.span_buffer {
            note_id.append_value(&s.note_id);
            pseudo.append_value(&s.note_pseudonym);
            start.append_value(s.start as u64);
            end.append_value(s.end as u64);
            sb.append_value(s.start_byte as u64);
            eb.append_value(s.end_byte as u64);
            label.append_value(s.label.as_str());
            rule.append_value(&*s.rule);
            action.append_value(s.action.as_str());
            sur.append_option(s.surrogate.as_deref());
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(note_id.finish()),
            Arc::new(pseudo.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(sb.finish()),
            Arc::new(eb.finish()),
            Arc::new(label.finish()),
            Arc::new(rule.finish()),
            Arc::new(action.finish()),
            Arc::new(sur.finish()),
        ];
        let batch =
            RecordBatch::try_new(spans_schema(), cols).map_err(|e| self.io(SPANS_PARQUET, e))?;
        self.spans_parquet
            .write(&batch)
            .map_err(|e| self.io(SPANS_PARQUET, e))?;
        self.span_buffer.clear();
        Ok(())
    }

    /// Flushes and renames every file into place.
    pub fn finish(mut self) -> Result<(), DeidError> {
        self.flush_spans()?;
        self.notes.finish()?;
        for (name, w) in [
            (NOTES_JSONL, self.notes_jsonl),
            (SPANS_JSONL, self.spans_jsonl),
        ] {
            let f = w.into_inner().map_err(|e| DeidError::Output {
                path: self.dir.join(name),
                message: e.error().to_string(),
            })?;
            f.commit()?;
        }
        let f = self
            .spans_parquet
            .into_inner()
            .map_err(|e| DeidError::Output {
                path: self.dir.join(SPANS_PARQUET),
                message: e.to_string(),
            })?;
        f.commit()?;
        Ok(())
    }
}
