//! Folder-of-`.txt` reader: one note per file, metadata from a sidecar CSV
//! (keyed by `file`, the path relative to the folder) or from the file name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::config::{ColumnMap, TxtOptions};
use super::csv::{Positions, open_file, open_reader, sniff_delimiter};
use super::row::{RawFields, RawRow, Reason, Rejection};
use super::{IngestError, RowSource};
use crate::fsio::PathError;

/// Files read per batch.
const BATCH_FILES: usize = 512;

/// A file-name pattern such as `{patient_id}_{doc_type}_{note_id}`.
#[derive(Clone, Debug, PartialEq)]
pub struct FilenamePattern {
    /// Alternating literal separators and field names: `(literal, field)`.
    parts: Vec<(String, String)>,
    tail: String,
}

const PATTERN_FIELDS: &[&str] = &[
    "note_id",
    "patient_id",
    "doc_type",
    "written_at",
    "department",
    "lang",
];

impl FilenamePattern {
    /// Parses a pattern; fields must be canonical names and separated by
    /// non-empty literals.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or("unclosed `{` in pattern")? + open;
            let literal = rest[..open].to_string();
            let field = rest[open + 1..close].to_string();
            if !PATTERN_FIELDS.contains(&field.as_str()) {
                return Err(format!(
                    "unknown field `{field}`; use {}",
                    PATTERN_FIELDS.join(", ")
                ));
            }
            if !parts.is_empty() && literal.is_empty() {
                return Err("two fields must be separated by literal text".into());
            }
            parts.push((literal, field));
            rest = &rest[close + 1..];
        }
        if parts.is_empty() {
            return Err("pattern names no field".into());
        }
        Ok(FilenamePattern {
            parts,
            tail: rest.to_string(),
        })
    }

    /// Matches a file stem, returning field values, or `None`.
    pub fn matches(&self, stem: &str) -> Option<Vec<(String, String)>> {
        let mut rest = stem.strip_suffix(self.tail.as_str())?;
        let mut out = Vec::new();
        for (i, (literal, field)) in self.parts.iter().enumerate() {
            rest = rest.strip_prefix(literal.as_str())?;
            let end = match self.parts.get(i + 1) {
                Some((next, _)) => rest.find(next.as_str())?,
                None => rest.len(),
            };
            out.push((field.clone(), rest[..end].to_string()));
            rest = &rest[end..];
        }
        Some(out)
    }
}

/// Streams notes from a folder of `.txt` files, in sorted path order.
pub struct TxtSource {
    root: PathBuf,
    files: Vec<PathBuf>,
    next: usize,
    sidecar: HashMap<String, RawFields>,
    pattern: Option<FilenamePattern>,
    bytes: u64,
}

impl TxtSource {
    /// Lists the folder and loads the sidecar, if any.
    pub fn open(
        root: &Path,
        options: &TxtOptions,
        sidecar_path: Option<&Path>,
        columns: &ColumnMap,
    ) -> Result<Self, IngestError> {
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| PathError::new("listing", &dir, e))? {
                let path = entry
                    .map_err(|e| PathError::new("listing", &dir, e))?
                    .path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
                {
                    files.push(path);
                }
            }
        }
        files.sort();
        let sidecar = match sidecar_path {
            Some(p) => load_sidecar(p, columns)?,
            None => HashMap::new(),
        };
        let pattern = options
            .filename_pattern
            .as_deref()
            .map(FilenamePattern::parse)
            .transpose()
            .map_err(|message| IngestError::File {
                path: root.to_path_buf(),
                message,
            })?;
        Ok(TxtSource {
            root: root.to_path_buf(),
            files,
            next: 0,
            sidecar,
            pattern,
            bytes: 0,
        })
    }

    fn read_one(&mut self, path: &Path) -> Result<RawRow, IngestError> {
        let rel = path
            .strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let locator = format!("{}/{rel}", self.root.display());
        let bytes = std::fs::read(path).map_err(|e| PathError::new("reading", path, e))?;
        self.bytes += bytes.len() as u64;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                return Ok(RawRow {
                    locator,
                    fields: Err(Rejection::new(
                        Reason::InvalidUtf8,
                        format!("invalid UTF-8 at byte {at}"),
                    )),
                });
            }
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut fields = self.sidecar.get(&rel).cloned().unwrap_or_default();
        if let Some(values) = self.pattern.as_ref().and_then(|p| p.matches(&stem)) {
            for (field, value) in values {
                let slot = match field.as_str() {
                    "note_id" => &mut fields.note_id,
                    "patient_id" => &mut fields.patient_id,
                    "doc_type" => &mut fields.doc_type,
                    "department" => &mut fields.department,
                    "lang" => &mut fields.lang,
                    _ => {
                        fields
                            .written_at
                            .get_or_insert(super::row::RawDate::Text(value));
                        continue;
                    }
                };
                slot.get_or_insert(value);
            }
        }
        fields.note_id.get_or_insert(stem);
        if fields.patient_id.is_none()
            && let Some(parent) = path.parent().filter(|p| *p != self.root)
        {
            fields.patient_id = parent.file_name().map(|n| n.to_string_lossy().into_owned());
        }
        fields.text = Some(text);
        Ok(RawRow {
            locator,
            fields: Ok(fields),
        })
    }
}

fn load_sidecar(
    path: &Path,
    columns: &ColumnMap,
) -> Result<HashMap<String, RawFields>, IngestError> {
    let (mut reader, header) = open_reader(path, open_file(path)?, sniff_delimiter(path)?)?;
    let file_col = header
        .iter()
        .position(|h| h == "file")
        .ok_or_else(|| IngestError::File {
            path: path.to_path_buf(),
            message: "sidecar needs a `file` column (file name relative to the folder)".into(),
        })?;
    let positions = Positions::find(&header, columns, path, &[])?;
    let mut out = HashMap::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| IngestError::File {
            path: path.to_path_buf(),
            message: format!("CSV error: {e}"),
        })?
    {
        let line = record.position().map_or(0, |p| p.line());
        let file = record
            .get(file_col)
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .unwrap_or_default();
        let fields = positions.extract(&record).map_err(|r| IngestError::File {
            path: path.to_path_buf(),
            message: format!("line {line}: {}", r.detail),
        })?;
        out.insert(file, fields);
    }
    Ok(out)
}

impl RowSource for TxtSource {
    fn next_rows(&mut self) -> Result<Option<Vec<RawRow>>, IngestError> {
        if self.next >= self.files.len() {
            return Ok(None);
        }
        let end = (self.next + BATCH_FILES).min(self.files.len());
        let paths: Vec<PathBuf> = self.files[self.next..end].to_vec();
        self.next = end;
        let mut rows = Vec::with_capacity(paths.len());
        for p in paths {
            rows.push(self.read_one(&p)?);
        }
        Ok(Some(rows))
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filename_pattern_extracts_fields() {
        let p = FilenamePattern::parse("{patient_id}_{doc_type}_{note_id}").unwrap();
        let got = p.matches("P001_epikrise_N17").unwrap();
        assert_eq!(got[0], ("patient_id".into(), "P001".into()));
        assert_eq!(got[1], ("doc_type".into(), "epikrise".into()));
        assert_eq!(got[2], ("note_id".into(), "N17".into()));
        assert!(p.matches("nounderscores").is_none());
        assert!(FilenamePattern::parse("{foo}").is_err());
        assert!(FilenamePattern::parse("{note_id}{patient_id}").is_err());
    }
}
