//! JSON Lines reader: one object per line, read in bounded chunks of lines
//! and parsed in parallel, each line judged on its own.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::config::ColumnMap;
use super::row::{RawDate, RawFields, RawRow, Reason, Rejection};
use super::{IngestError, RowSource};
use crate::fsio::PathError;

/// Bytes of lines gathered before a chunk is parsed.
const CHUNK_BYTES: usize = 8 << 20;

/// Streams rows from a JSONL file.
pub struct JsonlSource {
    path: PathBuf,
    label: String,
    reader: BufReader<Box<dyn Read + Send>>,
    columns: ColumnMap,
    line: u64,
    bytes: u64,
    done: bool,
}

impl JsonlSource {
    /// Opens `path`.
    pub fn open(path: &Path, columns: &ColumnMap) -> Result<Self, IngestError> {
        let file = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
        Ok(Self::from_reader(path, Box::new(file), columns))
    }

    /// Reads from any byte stream; `path` labels rows and errors.
    pub fn from_reader(path: &Path, reader: Box<dyn Read + Send>, columns: &ColumnMap) -> Self {
        JsonlSource {
            path: path.to_path_buf(),
            label: path.display().to_string(),
            reader: BufReader::with_capacity(1 << 20, reader),
            columns: columns.clone(),
            line: 0,
            bytes: 0,
            done: false,
        }
    }
}

impl RowSource for JsonlSource {
    fn next_rows(&mut self) -> Result<Option<Vec<RawRow>>, IngestError> {
        if self.done {
            return Ok(None);
        }
        let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut gathered = 0usize;
        while gathered < CHUNK_BYTES {
            let mut buf = Vec::new();
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| PathError::new("reading", &self.path, e))?;
            if n == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            self.bytes += n as u64;
            gathered += n;
            if self.line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            lines.push((self.line, buf));
        }
        let rows = lines
            .into_par_iter()
            .map(|(line, bytes)| RawRow {
                locator: format!("{}:{line}", self.label),
                fields: parse_line(&bytes, &self.columns),
            })
            .collect();
        Ok(Some(rows))
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

fn parse_line(bytes: &[u8], columns: &ColumnMap) -> Result<RawFields, Rejection> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Rejection::new(
            Reason::InvalidUtf8,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Rejection::new(
            Reason::MalformedJson,
            format!("JSON error at column {}: {}", e.column(), e.classify_name()),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(Rejection::new(
            Reason::NotAnObject,
            "line is valid JSON but not an object",
        ));
    };
    Ok(RawFields {
        note_id: field(&map, &columns.note_id)?,
        patient_id: field(&map, &columns.patient_id)?,
        doc_type: field(&map, &columns.doc_type)?,
        written_at: field(&map, &columns.written_at)?.map(RawDate::Text),
        department: field(&map, &columns.department)?,
        lang: field(&map, &columns.lang)?,
        text: field(&map, &columns.text)?,
    })
}

/// Reads a field as text: strings as they are, numbers and booleans as
/// written, null as missing; arrays and objects are rejected.
fn field(map: &Map<String, Value>, name: &str) -> Result<Option<String>, Rejection> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(Value::Array(_)) | Some(Value::Object(_)) => Err(Rejection::new(
            Reason::InvalidFieldType,
            format!("field `{name}` is an array or object, expected text"),
        )),
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax error (or nesting too deep)",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "unexpected end of line (truncated?)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(line: &[u8]) -> Option<Reason> {
        parse_line(line, &ColumnMap::default())
            .err()
            .map(|r| r.reason)
    }

    #[test]
    fn each_bad_line_gets_its_reason() {
        assert_eq!(
            reason(b"{\"note_id\":\"a\",\"text\":\"\xff\"}"),
            Some(Reason::InvalidUtf8)
        );
        assert_eq!(
            reason(b"{\"note_id\":\"a\",\"te"),
            Some(Reason::MalformedJson)
        );
        assert_eq!(reason(b"[1,2]"), Some(Reason::NotAnObject));
        assert_eq!(
            reason(b"{\"note_id\":{\"x\":1}}"),
            Some(Reason::InvalidFieldType)
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(reason(deep.as_bytes()), Some(Reason::MalformedJson));
        assert_eq!(reason(b"{\"note_id\":7,\"text\":\"ok\"}"), None);
    }

    #[test]
    fn rejection_details_never_quote_content() {
        let r = parse_line(
            b"{\"note_id\":\"a\",\"text\":\"Kari Nordmann",
            &ColumnMap::default(),
        )
        .unwrap_err();
        assert!(!r.detail.contains("Kari"), "{}", r.detail);
    }
}
