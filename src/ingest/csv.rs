//! Delimited-text reader (CSV, TSV, any one-byte delimiter; header row
//! required), streaming records in bounded batches.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::config::{ColumnMap, CsvOptions};
use super::row::{RawDate, RawFields, RawRow, Reason, Rejection};
use super::{IngestError, RowSource};
use crate::fsio::PathError;

/// Records gathered before a batch is handed on.
const BATCH_RECORDS: usize = 16 * 1024;
/// Bytes gathered before a batch is handed on.
const BATCH_BYTES: u64 = 8 << 20;

/// Column positions of the canonical fields in one header.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    note_id: Option<usize>,
    patient_id: Option<usize>,
    doc_type: Option<usize>,
    written_at: Option<usize>,
    department: Option<usize>,
    lang: Option<usize>,
    text: Option<usize>,
    width: usize,
}

impl Positions {
    /// Finds mapped columns in `header`; required ones must be there.
    pub fn find(
        header: &[String],
        columns: &ColumnMap,
        path: &Path,
        required: &[&str],
    ) -> Result<Self, IngestError> {
        let pos = |name: &str| header.iter().position(|h| h == name);
        let p = Positions {
            note_id: pos(&columns.note_id),
            patient_id: pos(&columns.patient_id),
            doc_type: pos(&columns.doc_type),
            written_at: pos(&columns.written_at),
            department: pos(&columns.department),
            lang: pos(&columns.lang),
            text: pos(&columns.text),
            width: header.len(),
        };
        for (field, mapped, found) in [
            ("note_id", &columns.note_id, p.note_id),
            ("patient_id", &columns.patient_id, p.patient_id),
            ("text", &columns.text, p.text),
        ] {
            if found.is_none() && required.contains(&field) {
                return Err(IngestError::File {
                    path: path.to_path_buf(),
                    message: format!(
                        "column `{mapped}` (for `{field}`) is not in the header; the header has: {}; map it under [stages.columns]",
                        header.join(", ")
                    ),
                });
            }
        }
        Ok(p)
    }

    /// Extracts the mapped fields from one record.
    pub fn extract(&self, record: &ByteRecord) -> Result<RawFields, Rejection> {
        if record.len() != self.width {
            return Err(Rejection::new(
                Reason::WrongFieldCount,
                format!("{} fields, header has {}", record.len(), self.width),
            ));
        }
        let get = |i: Option<usize>, name: &str| -> Result<Option<String>, Rejection> {
            let Some(bytes) = i.and_then(|i| record.get(i)) else {
                return Ok(None);
            };
            let s = std::str::from_utf8(bytes).map_err(|e| {
                Rejection::new(
                    Reason::InvalidUtf8,
                    format!("field `{name}`: invalid UTF-8 at byte {}", e.valid_up_to()),
                )
            })?;
            Ok((!s.is_empty()).then(|| s.to_owned()))
        };
        Ok(RawFields {
            note_id: get(self.note_id, "note_id")?,
            patient_id: get(self.patient_id, "patient_id")?,
            doc_type: get(self.doc_type, "doc_type")?,
            written_at: get(self.written_at, "written_at")?.map(RawDate::Text),
            department: get(self.department, "department")?,
            lang: get(self.lang, "lang")?,
            text: get(self.text, "text")?,
        })
    }
}

/// A byte stream a reader can own.
pub type Input = Box<dyn Read + Send>;

/// Streams rows from a delimited file.
pub struct CsvSource {
    label: String,
    path: PathBuf,
    reader: csv::Reader<Input>,
    positions: Positions,
    done: bool,
}

impl CsvSource {
    /// Opens `path`, reads the header and finds the mapped columns.
    pub fn open(
        path: &Path,
        columns: &ColumnMap,
        options: &CsvOptions,
    ) -> Result<Self, IngestError> {
        let delimiter = match &options.delimiter {
            Some(d) => d.as_bytes().first().copied().unwrap_or(b','),
            None => sniff_delimiter(path)?,
        };
        Self::from_reader(path, open_file(path)?, delimiter, columns)
    }

    /// Reads from any byte stream; `path` labels rows and errors.
    pub fn from_reader(
        path: &Path,
        input: Input,
        delimiter: u8,
        columns: &ColumnMap,
    ) -> Result<Self, IngestError> {
        let (reader, header) = open_reader(path, input, delimiter)?;
        let positions =
            Positions::find(&header, columns, path, &["note_id", "patient_id", "text"])?;
        Ok(CsvSource {
            label: path.display().to_string(),
            path: path.to_path_buf(),
            reader,
            positions,
            done: false,
        })
    }
}

/// Opens a file as an [`Input`].
pub fn open_file(path: &Path) -> Result<Input, IngestError> {
    let file = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
}

/// Starts a CSV reader on `input` and returns it with its header (BOM
/// stripped, names trimmed); `path` labels errors.
pub fn open_reader(
    path: &Path,
    input: Input,
    delimiter: u8,
) -> Result<(csv::Reader<Input>, Vec<String>), IngestError> {
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let header = reader
        .byte_headers()
        .map_err(|e| IngestError::File {
            path: path.to_path_buf(),
            message: format!("cannot read header: {e}"),
        })?
        .clone();
    if header.is_empty() {
        return Err(IngestError::File {
            path: path.to_path_buf(),
            message: "empty file: no header row".into(),
        });
    }
    let header: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
            } else {
                h
            };
            String::from_utf8_lossy(h).trim().to_owned()
        })
        .collect();
    Ok((reader, header))
}

/// Picks the delimiter by extension (`.tsv` → tab) or from the header line
/// ([`sniff_delimiter_in`]).
pub fn sniff_delimiter(path: &Path) -> Result<u8, IngestError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
    {
        return Ok(b'\t');
    }
    let file = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
    let mut first = Vec::new();
    BufReader::new(file)
        .take(1 << 20)
        .read_until(b'\n', &mut first)
        .map_err(|e| PathError::new("reading", path, e))?;
    Ok(sniff_delimiter_in(&first))
}

/// The most frequent of `,` `;` tab `|` outside quotes in a header line
/// (`,` when none occurs).
pub fn sniff_delimiter_in(first_line: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in first_line.iter().take_while(|b| **b != b'\n') {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|c| *c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4)
        .max_by_key(|i| (counts[*i], std::cmp::Reverse(*i)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

impl RowSource for CsvSource {
    fn next_rows(&mut self) -> Result<Option<Vec<RawRow>>, IngestError> {
        if self.done {
            return Ok(None);
        }
        let mut rows = Vec::new();
        let start = self.reader.position().byte();
        let mut record = ByteRecord::new();
        while rows.len() < BATCH_RECORDS && self.reader.position().byte() - start < BATCH_BYTES {
            let more =
                self.reader
                    .read_byte_record(&mut record)
                    .map_err(|e| IngestError::File {
                        path: self.path.clone(),
                        message: format!("CSV error: {e}"),
                    })?;
            if !more {
                self.done = true;
                break;
            }
            if record.len() == 1
                && record
                    .get(0)
                    .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let line = record.position().map_or(0, |p| p.line());
            rows.push(RawRow {
                locator: format!("{}:{line}", self.label),
                fields: self.positions.extract(&record),
            });
        }
        Ok(Some(rows))
    }

    fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, "\"a,b\";c;d\n1;2;3\n").unwrap();
        assert_eq!(sniff_delimiter(&p).unwrap(), b';');
        let p = dir.path().join("b.csv");
        std::fs::write(&p, "a|b|c\n").unwrap();
        assert_eq!(sniff_delimiter(&p).unwrap(), b'|');
    }
}
