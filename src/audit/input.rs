//! What the audit reads: released notes (a deid folder, `notes.jsonl` or
//! `notes.parquet`), streamed in batches, and the deid span file, joined
//! to the notes through a bounded look-ahead window.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::fsio::PathError;
use crate::notes::{NoteText, NotesIoError, NotesReader};

/// Errors reading audit inputs. Messages name file and line, never text.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Parquet notes could not be read.
    #[error(transparent)]
    Notes(#[from] NotesIoError),
    /// A JSONL line is not a valid record.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The input is neither a folder with notes nor a notes file.
    #[error("{path}: {message}")]
    Unsupported {
        /// The input.
        path: PathBuf,
        /// What was expected.
        message: String,
    },
}

/// One released note as the audit sees it.
#[derive(Clone, Debug)]
pub struct AuditNote {
    /// Released note id (pseudonym).
    pub note_id: String,
    /// Released patient id (pseudonym).
    pub patient_id: String,
    /// Document type.
    pub doc_type: String,
    /// Department, when known.
    pub department: Option<String>,
    /// Language tag, when known.
    pub lang: Option<String>,
    /// The released text (redacted in `Debug`).
    pub text: NoteText,
}

/// One deid span (offsets in Unicode characters of the ORIGINAL text).
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Start character.
    pub start: usize,
    /// End character (exclusive).
    pub end: usize,
    /// PHI label.
    pub label: String,
    /// `surrogate`, `redact` or `keep`.
    pub action: String,
    /// The text written in its place (surrogate or redaction marker).
    pub surrogate: Option<String>,
}

/// A span record of `spans.jsonl`.
#[derive(Deserialize)]
struct SpanLine {
    note_id: String,
    #[serde(
        default,
        alias = "note_pseudonym",
        alias = "pseudo_note_id",
        alias = "note_id_pseudonym",
        alias = "released_note_id",
        alias = "pseudonym",
        alias = "out_note_id",
        alias = "new_note_id"
    )]
    note_id_pseudo: Option<String>,
    start: usize,
    end: usize,
    label: String,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    surrogate: Option<String>,
}

/// Where the notes (and spans) of an audit come from.
#[derive(Clone, Debug)]
pub struct InputPaths {
    /// The notes file.
    pub notes: PathBuf,
    /// The span file, when there is one.
    pub spans: Option<PathBuf>,
}

/// Resolves `--input` (a folder or a notes file) and the span file.
pub fn resolve_input(input: &Path, spans: Option<&Path>) -> Result<InputPaths, InputError> {
    let (notes, dir) = if input.is_dir() {
        let parquet = input.join("notes.parquet");
        let jsonl = input.join("notes.jsonl");
        let notes = if parquet.is_file() {
            parquet
        } else if jsonl.is_file() {
            jsonl
        } else {
            return Err(InputError::Unsupported {
                path: input.to_path_buf(),
                message: "folder has neither notes.parquet nor notes.jsonl".to_string(),
            });
        };
        (notes, input.to_path_buf())
    } else {
        let dir = input.parent().map(Path::to_path_buf).unwrap_or_default();
        (input.to_path_buf(), dir)
    };
    let spans = match spans {
        Some(p) => Some(p.to_path_buf()),
        None => Some(dir.join("spans.jsonl")).filter(|p| p.is_file()),
    };
    Ok(InputPaths { notes, spans })
}

/// Streams notes from JSONL or Parquet in batches.
pub enum NoteSource {
    /// `notes.jsonl`.
    Jsonl {
        /// The file.
        path: PathBuf,
        /// Its lines.
        lines: std::io::Lines<BufReader<File>>,
        /// Lines read.
        line: u64,
    },
    /// `notes.parquet`.
    Parquet(NotesReader),
}

#[derive(Deserialize)]
struct NoteLine {
    note_id: String,
    #[serde(default)]
    patient_id: Option<String>,
    #[serde(default)]
    doc_type: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    text: String,
}

/// Notes read per batch.
pub const BATCH: usize = 1024;

impl NoteSource {
    /// Opens a notes file (by extension: `.parquet`, else JSONL).
    pub fn open(path: &Path) -> Result<NoteSource, InputError> {
        if path.extension().is_some_and(|e| e == "parquet") {
            return Ok(NoteSource::Parquet(NotesReader::open(path)?));
        }
        let f = File::open(path).map_err(|e| PathError::new("opening", path, e))?;
        Ok(NoteSource::Jsonl {
            path: path.to_path_buf(),
            lines: BufReader::with_capacity(1 << 20, f).lines(),
            line: 0,
        })
    }

    /// The next batch, or `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Vec<AuditNote>>, InputError> {
        match self {
            NoteSource::Parquet(r) => Ok(r.next_batch()?.map(|notes| {
                notes
                    .into_iter()
                    .map(|n| AuditNote {
                        note_id: n.note_id,
                        patient_id: n.patient_id,
                        doc_type: n.doc_type.as_str().to_string(),
                        department: n.department,
                        lang: n.lang,
                        text: n.text,
                    })
                    .collect()
            })),
            NoteSource::Jsonl { path, lines, line } => {
                let mut batch = Vec::new();
                for l in lines.by_ref() {
                    *line += 1;
                    let l = l.map_err(|e| PathError::new("reading", path.clone(), e))?;
                    if l.trim().is_empty() {
                        continue;
                    }
                    let n: NoteLine = serde_json::from_str(&l).map_err(|e| InputError::Line {
                        path: path.clone(),
                        line: *line,
                        message: format!("not a note record ({})", json_reason(&e)),
                    })?;
                    batch.push(AuditNote {
                        patient_id: n.patient_id.unwrap_or_default(),
                        doc_type: n.doc_type.unwrap_or_else(|| "other".to_string()),
                        note_id: n.note_id,
                        department: n.department,
                        lang: n.lang,
                        text: NoteText(n.text),
                    });
                    if batch.len() >= BATCH {
                        break;
                    }
                }
                Ok((!batch.is_empty()).then_some(batch))
            }
        }
    }
}

/// A serde_json error without the input it quotes.
pub fn json_reason(e: &serde_json::Error) -> String {
    format!("{:?} error at column {}", e.classify(), e.column())
}

/// The spans of one note, with its original id.
#[derive(Clone, Debug, Default)]
pub struct NoteSpans {
    /// The note's original id (from the span file).
    pub original_id: Option<String>,
    /// Spans sorted by start.
    pub spans: Vec<Span>,
}

/// Joins span groups to notes: reads ahead at most `window` groups, so
/// memory stays bounded when the span file is in note order (as deid
/// writes it) and degrades to "no spans" for notes beyond the window.
pub struct SpanCursor {
    path: PathBuf,
    lines: Option<std::io::Lines<BufReader<File>>>,
    line: u64,
    pending: Option<(String, String, Span)>,
    buffered: HashMap<String, NoteSpans>,
    window: usize,
    /// Groups never claimed by a note (reported).
    pub unmatched: u64,
}

impl SpanCursor {
    /// Opens a span file (`None`: no spans at all).
    pub fn open(path: Option<&Path>) -> Result<SpanCursor, InputError> {
        let lines = match path {
            Some(p) => {
                let f = File::open(p).map_err(|e| PathError::new("opening", p, e))?;
                Some(BufReader::with_capacity(1 << 20, f).lines())
            }
            None => None,
        };
        Ok(SpanCursor {
            path: path.map(Path::to_path_buf).unwrap_or_default(),
            lines,
            line: 0,
            pending: None,
            buffered: HashMap::new(),
            window: 4096,
            unmatched: 0,
        })
    }

    fn read_span(&mut self) -> Result<Option<(String, String, Span)>, InputError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        let Some(lines) = self.lines.as_mut() else {
            return Ok(None);
        };
        for l in lines.by_ref() {
            self.line += 1;
            let l = l.map_err(|e| PathError::new("reading", self.path.clone(), e))?;
            if l.trim().is_empty() {
                continue;
            }
            let s: SpanLine = serde_json::from_str(&l).map_err(|e| InputError::Line {
                path: self.path.clone(),
                line: self.line,
                message: format!("not a span record ({})", json_reason(&e)),
            })?;
            let key = s
                .note_id_pseudo
                .clone()
                .unwrap_or_else(|| s.note_id.clone());
            return Ok(Some((
                key,
                s.note_id,
                Span {
                    start: s.start,
                    end: s.end,
                    label: s.label,
                    action: s.action.unwrap_or_else(|| "surrogate".to_string()),
                    surrogate: s.surrogate,
                },
            )));
        }
        self.lines = None;
        Ok(None)
    }

    /// Reads the next group of consecutive spans of one note.
    fn read_group(&mut self) -> Result<Option<(String, NoteSpans)>, InputError> {
        let Some((key, orig, first)) = self.read_span()? else {
            return Ok(None);
        };
        let mut group = NoteSpans {
            original_id: Some(orig),
            spans: vec![first],
        };
        while let Some((k, o, s)) = self.read_span()? {
            if k != key {
                self.pending = Some((k, o, s));
                break;
            }
            group.spans.push(s);
        }
        Ok(Some((key, group)))
    }

    /// The spans of the note released as `note_id`.
    pub fn take(&mut self, note_id: &str) -> Result<NoteSpans, InputError> {
        if let Some(mut g) = self.buffered.remove(note_id) {
            g.spans.sort_by_key(|s| (s.start, s.end));
            return Ok(g);
        }
        while self.buffered.len() < self.window {
            let Some((key, group)) = self.read_group()? else {
                break;
            };
            if key == note_id {
                let mut g = group;
                g.spans.sort_by_key(|s| (s.start, s.end));
                return Ok(g);
            }
            match self.buffered.get_mut(&key) {
                Some(existing) => existing.spans.extend(group.spans),
                None => {
                    self.buffered.insert(key, group);
                }
            }
        }
        Ok(NoteSpans::default())
    }

    /// Counts what was never claimed (call after the last note).
    pub fn finish(&mut self) -> Result<u64, InputError> {
        self.unmatched += self.buffered.len() as u64;
        self.buffered.clear();
        while self.read_group()?.is_some() {
            self.unmatched += 1;
        }
        Ok(self.unmatched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_line(note: &str, start: usize) -> String {
        format!(
            "{{\"note_id\":\"o{note}\",\"note_pseudonym\":\"{note}\",\"start\":{start},\"end\":{},\"label\":\"DATE\",\"rule\":\"r\",\"action\":\"surrogate\",\"surrogate\":\"x\"}}\n",
            start + 1
        )
    }

    #[test]
    fn span_groups_join_notes_in_order_out_of_order_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("spans.jsonl");
        let text = [
            span_line("a", 5),
            span_line("a", 1),
            span_line("c", 0),
            span_line("b", 2),
            span_line("zz", 0),
        ]
        .concat();
        std::fs::write(&p, text).unwrap();
        let mut c = SpanCursor::open(Some(&p)).unwrap();
        let a = c.take("a").unwrap();
        assert_eq!(a.original_id.as_deref(), Some("oa"));
        assert_eq!(
            a.spans.iter().map(|s| s.start).collect::<Vec<_>>(),
            vec![1, 5],
            "sorted"
        );
        assert_eq!(c.take("b").unwrap().spans.len(), 1, "found past c");
        assert!(c.take("none").unwrap().spans.is_empty());
        assert_eq!(c.take("c").unwrap().spans.len(), 1, "from the window");
        assert_eq!(c.finish().unwrap(), 1, "zz matched no note");
    }

    #[test]
    fn bad_lines_name_file_and_line_but_not_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.jsonl");
        std::fs::write(
            &p,
            "{\"note_id\":\"a\",\"text\":\"ok\"}\n{\"note_id\":\"b\",\"text\":Kari Hansen}\n",
        )
        .unwrap();
        let mut s = NoteSource::open(&p).unwrap();
        let e = s.next_batch().unwrap_err().to_string();
        assert!(e.contains("notes.jsonl:2"), "{e}");
        assert!(!e.contains("Kari"), "{e}");
    }
}
