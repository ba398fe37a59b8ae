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
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::Deserialize;
#[cfg(test)]
use serde::Serialize;

use super::{
    DeidError, NOTES_JSONL, NOTES_PARQUET, Processed, SPANS_JSONL, SPANS_PARQUET, SpanRecord,
};
use crate::fsio::{AtomicFile, PathError};
use crate::json_out::JsonObject;
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
        for item in b {
            out.push(item.into_note(path)?);
        }
    }
    Ok(out)
}

/// A note as read: parsed (Parquet) or a JSONL line still to parse, so
/// that parsing runs on the worker threads.
pub enum Pending {
    /// A note read from Parquet.
    Note(Note),
    /// A JSONL line and its 1-based line number.
    Line(u64, String),
}

impl Pending {
    /// The note (parsing a JSONL line of `path`).
    pub fn into_note(self, path: &Path) -> Result<Note, DeidError> {
        match self {
            Pending::Note(n) => Ok(n),
            Pending::Line(n, line) => parse_line(&line, path, n),
        }
    }
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
    pub fn next_batch(&mut self) -> Result<Option<Vec<Pending>>, DeidError> {
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
                    out.push(Pending::Line(*line, l.to_string()));
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
                let notes = std::mem::replace(carry, rest);
                Ok(Some(notes.into_iter().map(Pending::Note).collect()))
            }
        }
    }
}

/// A de-identified note as `serde_json` writes it: the reference for
/// [`render`].
#[cfg(test)]
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

/// A processed note's lines of `notes.jsonl` and `spans.jsonl`.
#[derive(Clone, Debug, Default)]
pub struct JsonlLines {
    /// The note's line.
    pub note: Vec<u8>,
    /// One line per span.
    pub spans: Vec<u8>,
}

/// Renders the JSONL lines of a processed note (on the worker threads):
/// the same bytes `serde_json` writes for [`JsonOut`] and [`SpanRecord`]
/// (a test holds them to it), without its per-field overhead.
pub fn render(note: &Note, spans: &[SpanRecord]) -> JsonlLines {
    let mut note_line = Vec::with_capacity(note.text.as_str().len() + 256);
    JsonObject::open(&mut note_line)
        .str("note_id", &note.note_id)
        .str("patient_id", &note.patient_id)
        .str("doc_type", note.doc_type.as_str())
        .opt(
            "written_at",
            note.written_at.and_then(micros_to_iso).as_deref(),
        )
        .opt("department", note.department.as_deref())
        .str("source", &note.source)
        .opt("lang", note.lang.as_deref())
        .str("text", note.text.as_str())
        .close_line();
    let mut span_lines = Vec::with_capacity(spans.len() * 192);
    for sp in spans {
        JsonObject::open(&mut span_lines)
            .str("note_id", &sp.note_id)
            .str("note_pseudonym", &sp.note_pseudonym)
            .num("start", sp.start as u64)
            .num("end", sp.end as u64)
            .str("label", sp.label.as_str())
            .str("rule", &sp.rule)
            .str("action", sp.action.as_str())
            .opt("surrogate", sp.surrogate.as_deref())
            .close_line();
    }
    JsonlLines {
        note: note_line,
        spans: span_lines,
    }
}

/// Spans buffered before they are written to `spans.parquet`.
const SPAN_BATCH: usize = 8_192;

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
        // Surrogates are nearly all distinct: no dictionary for them.
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_column_dictionary_enabled(ColumnPath::from("surrogate"), false)
            .set_column_statistics_enabled(ColumnPath::from("surrogate"), EnabledStatistics::None)
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
            span_buffer: Vec::with_capacity(SPAN_BATCH),
        })
    }

    fn io(&self, name: &str, e: impl std::fmt::Display) -> DeidError {
        DeidError::Output {
            path: self.dir.join(name),
            message: e.to_string(),
        }
    }

    /// Writes one processed batch (its JSONL lines rendered by [`render`]).
    pub fn write(&mut self, batch: Vec<Processed>) -> Result<(), DeidError> {
        for p in batch {
            self.notes_jsonl
                .write_all(&p.jsonl.note)
                .map_err(|e| self.io(NOTES_JSONL, e))?;
            self.spans_jsonl
                .write_all(&p.jsonl.spans)
                .map_err(|e| self.io(SPANS_JSONL, e))?;
            if self.span_buffer.len() + p.spans.len() > SPAN_BATCH {
                self.flush_spans()?;
            }
            self.span_buffer.extend(p.spans);
            self.notes.write(p.note)?;
        }
        Ok(())
    }

    fn flush_spans(&mut self) -> Result<(), DeidError> {
        if self.span_buffer.is_empty() {
            return Ok(());
        }
        let n = self.span_buffer.len();
        let strings = |bytes: usize| StringBuilder::with_capacity(n, n * bytes);
        let mut note_id = strings(16);
        let mut pseudo = strings(24);
        let mut start = UInt64Builder::with_capacity(n);
        let mut end = UInt64Builder::with_capacity(n);
        let mut sb = UInt64Builder::with_capacity(n);
        let mut eb = UInt64Builder::with_capacity(n);
        let mut label = strings(12);
        let mut rule = strings(24);
        let mut action = strings(9);
        let mut sur = strings(16);
        for s in &self.span_buffer {
            note_id.append_value(&*s.note_id);
            pseudo.append_value(&*s.note_pseudonym);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deid::{Action, Label};

    /// `render` writes exactly what `serde_json` writes, escapes included.
    #[test]
    fn render_matches_serde_json() {
        let tricky = "Kari \"K\" Nordmann\\n\n\r\t\u{8}\u{c}\u{1}\u{1f} æøå \u{2028} 😀 </script>";
        let note = Note {
            note_id: "n-1\"".into(),
            patient_id: "p\\1".into(),
            doc_type: DocType::NursingNote,
            written_at: Some(1_600_000_000_123_456),
            department: None,
            source: "x.jsonl:3".into(),
            lang: Some("nob".into()),
            text: NoteText(tricky.into()),
        };
        let span = |surrogate: Option<&str>| SpanRecord {
            note_id: Arc::from("n-1\u{7}"),
            note_pseudonym: Arc::from("np"),
            start: 0,
            end: usize::MAX,
            start_byte: 0,
            end_byte: 4,
            label: Label::PersonFirst,
            rule: Arc::from("gazetteer:given_names"),
            action: Action::Surrogate,
            surrogate: surrogate.map(String::from),
        };
        let spans = vec![span(Some(tricky)), span(None)];
        let got = render(&note, &spans);
        let mut want_note = serde_json::to_vec(&JsonOut {
            note_id: &note.note_id,
            patient_id: &note.patient_id,
            doc_type: note.doc_type.as_str(),
            written_at: note.written_at.and_then(micros_to_iso),
            department: note.department.as_deref(),
            source: &note.source,
            lang: note.lang.as_deref(),
            text: note.text.as_str(),
        })
        .unwrap();
        want_note.push(b'\n');
        assert_eq!(
            String::from_utf8_lossy(&got.note),
            String::from_utf8_lossy(&want_note)
        );
        let mut want_spans = Vec::new();
        for s in &spans {
            want_spans.extend(serde_json::to_vec(s).unwrap());
            want_spans.push(b'\n');
        }
        assert_eq!(
            String::from_utf8_lossy(&got.spans),
            String::from_utf8_lossy(&want_spans)
        );
    }
}
