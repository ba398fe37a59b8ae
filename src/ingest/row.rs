//! Raw rows as readers produce them, quarantine reasons, and normalisation
//! into canonical notes.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::config::IngestConfig;
use crate::notes::{DocType, Note, NoteText};

/// Why a row was quarantined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The row's bytes are not valid UTF-8.
    InvalidUtf8,
    /// The JSON line does not parse (includes truncated lines and nesting
    /// deeper than the parser allows).
    MalformedJson,
    /// The JSON line is valid but not an object.
    NotAnObject,
    /// A CSV row with a different number of fields than the header.
    WrongFieldCount,
    /// A field has a type that cannot be read as text (object, array, …).
    InvalidFieldType,
    /// No note id.
    MissingNoteId,
    /// No patient id.
    MissingPatientId,
    /// No text field.
    MissingText,
    /// Text that is empty or only white space.
    EmptyText,
    /// Text containing NUL characters.
    NulInText,
    /// Text over `max_text_bytes`.
    TextTooLarge,
    /// A note id seen earlier in this ingest.
    DuplicateNoteId,
    /// `written_at` in no known format.
    UnparsableDate,
    /// `written_at` outside `min_year..=max_year`.
    DateOutOfRange,
}

impl Reason {
    /// The snake_case name used in quarantine files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::MalformedJson => "malformed_json",
            Reason::NotAnObject => "not_an_object",
            Reason::WrongFieldCount => "wrong_field_count",
            Reason::InvalidFieldType => "invalid_field_type",
            Reason::MissingNoteId => "missing_note_id",
            Reason::MissingPatientId => "missing_patient_id",
            Reason::MissingText => "missing_text",
            Reason::EmptyText => "empty_text",
            Reason::NulInText => "nul_in_text",
            Reason::TextTooLarge => "text_too_large",
            Reason::DuplicateNoteId => "duplicate_note_id",
            Reason::UnparsableDate => "unparsable_date",
            Reason::DateOutOfRange => "date_out_of_range",
        }
    }
}

/// A rejected row: the reason and a detail that never quotes note content.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// Why.
    pub reason: Reason,
    /// More about why (parser position, field name, sizes).
    pub detail: String,
}

impl Rejection {
    /// Builds a rejection.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Rejection {
            reason,
            detail: detail.into(),
        }
    }
}

/// A `written_at` value as found in the source.
#[derive(Clone, Debug, PartialEq)]
pub enum RawDate {
    /// Text to parse.
    Text(String),
    /// Already a timestamp (microseconds, local wall-clock time).
    Micros(i64),
}

/// The canonical fields of one source row, before checking.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawFields {
    /// Note id.
    pub note_id: Option<String>,
    /// Patient id.
    pub patient_id: Option<String>,
    /// Doc type as written in the source.
    pub doc_type: Option<String>,
    /// Date/time.
    pub written_at: Option<RawDate>,
    /// Department.
    pub department: Option<String>,
    /// Language tag.
    pub lang: Option<String>,
    /// Text (never logged).
    pub text: Option<String>,
}

/// One source row: where it came from, and its fields or why it cannot be
/// read.
#[derive(Clone, Debug)]
pub struct RawRow {
    /// `file:line` or `file:row`.
    pub locator: String,
    /// The fields, or the rejection.
    pub fields: Result<RawFields, Rejection>,
}

/// A row after normalisation.
pub enum Normalised {
    /// A canonical note, with counters of what was changed.
    Note(Note, Vec<&'static str>),
    /// A quarantined row.
    Rejected {
        /// `file:line`.
        locator: String,
        /// Note id when it is known.
        note_id: Option<String>,
        /// Why.
        rejection: Rejection,
    },
}

/// Built-in `written_at` formats, tried in order after RFC 3339.
const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y kl. %H:%M",
    "%d/%m/%Y %H:%M",
];
const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d"];

/// Turns raw rows into notes or rejections; stateless, so it runs in
/// parallel (duplicates are caught afterwards, in order).
pub struct Normaliser<'a> {
    config: &'a IngestConfig,
    doc_types: BTreeMap<String, DocType>,
}

impl<'a> Normaliser<'a> {
    /// Builds the normaliser for a config.
    pub fn new(config: &'a IngestConfig) -> Self {
        let doc_types = config
            .doc_types
            .iter()
            .filter_map(|(from, to)| Some((from.trim().to_lowercase(), DocType::parse(to)?)))
            .collect();
        Normaliser { config, doc_types }
    }

    /// Normalises one row.
    pub fn normalise(&self, row: RawRow) -> Normalised {
        let RawRow { locator, fields } = row;
        let fields = match fields {
            Ok(f) => f,
            Err(rejection) => {
                return Normalised::Rejected {
                    locator,
                    note_id: None,
                    rejection,
                };
            }
        };
        let note_id = fields
            .note_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        match self.check(fields, note_id.clone(), &locator) {
            Ok((note, changes)) => Normalised::Note(note, changes),
            Err(rejection) => Normalised::Rejected {
                locator,
                note_id,
                rejection,
            },
        }
    }

    fn check(
        &self,
        f: RawFields,
        note_id: Option<String>,
        locator: &str,
    ) -> Result<(Note, Vec<&'static str>), Rejection> {
        let mut changes = Vec::new();
        let note_id = note_id.ok_or_else(|| Rejection::new(Reason::MissingNoteId, "no note id"))?;
        let patient_id = f
            .patient_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Rejection::new(Reason::MissingPatientId, "no patient id"))?
            .to_owned();
        let mut text = f
            .text
            .ok_or_else(|| Rejection::new(Reason::MissingText, "no text field"))?;
        if text.len() > self.config.max_text_bytes {
            return Err(Rejection::new(
                Reason::TextTooLarge,
                format!("{} bytes, limit {}", text.len(), self.config.max_text_bytes),
            ));
        }
        if text.contains('\0') {
            return Err(Rejection::new(
                Reason::NulInText,
                "text contains NUL characters",
            ));
        }
        if let Some(stripped) = text.strip_prefix('\u{feff}') {
            text = stripped.to_owned();
            changes.push("text_bom_removed");
        }
        if text.contains('\r') {
            text = text.replace("\r\n", "\n").replace('\r', "\n");
            changes.push("text_line_endings_normalised");
        }
        if text.trim().is_empty() {
            return Err(Rejection::new(
                Reason::EmptyText,
                "text is empty or white space",
            ));
        }
        let doc_type = match f
            .doc_type
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                changes.push("doc_type_missing");
                DocType::Other
            }
            Some(raw) => match self
                .doc_types
                .get(&raw.to_lowercase())
                .copied()
                .or_else(|| DocType::parse(raw))
            {
                Some(t) => t,
                None => {
                    changes.push("doc_type_unknown");
                    DocType::Other
                }
            },
        };
        let written_at = match f.written_at {
            None => None,
            Some(RawDate::Micros(us)) => Some(us),
            Some(RawDate::Text(s)) if s.trim().is_empty() => None,
            Some(RawDate::Text(s)) => Some(self.parse_date(s.trim())?),
        };
        if let Some(us) = written_at {
            let year =
                chrono::DateTime::from_timestamp_micros(us).map(|d| d.naive_utc().date().year_ce());
            let in_range = year.is_some_and(|(ce, y)| {
                let y = if ce { y as i32 } else { 1 - y as i32 };
                (self.config.min_year..=self.config.max_year).contains(&y)
            });
            if !in_range {
                return Err(Rejection::new(
                    Reason::DateOutOfRange,
                    format!(
                        "written_at outside {}..={}",
                        self.config.min_year, self.config.max_year
                    ),
                ));
            }
        }
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok((
            Note {
                note_id,
                patient_id,
                doc_type,
                written_at,
                department: clean(f.department),
                source: locator.to_owned(),
                lang: clean(f.lang),
                text: NoteText(text),
            },
            changes,
        ))
    }

    fn parse_date(&self, s: &str) -> Result<i64, Rejection> {
        let micros = |dt: NaiveDateTime| dt.and_utc().timestamp_micros();
        if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
            return Ok(micros(dt.naive_local()));
        }
        for f in DATETIME_FORMATS
            .iter()
            .copied()
            .chain(self.config.date_formats.iter().map(String::as_str))
        {
            if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
                return Ok(micros(dt));
            }
        }
        for f in DATE_FORMATS
            .iter()
            .copied()
            .chain(self.config.date_formats.iter().map(String::as_str))
        {
            if let Ok(d) = NaiveDate::parse_from_str(s, f)
                && let Some(dt) = d.and_hms_opt(0, 0, 0)
            {
                return Ok(micros(dt));
            }
        }
        Err(Rejection::new(
            Reason::UnparsableDate,
            "written_at is in no known date format",
        ))
    }
}

use chrono::Datelike as _;

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> IngestConfig {
        toml::from_str("inputs = []").unwrap()
    }

    fn row(text: Option<&str>, date: Option<&str>) -> RawRow {
        RawRow {
            locator: "t.jsonl:1".into(),
            fields: Ok(RawFields {
                note_id: Some("n1".into()),
                patient_id: Some("p1".into()),
                doc_type: Some("Epikrise".into()),
                written_at: date.map(|d| RawDate::Text(d.into())),
                text: text.map(str::to_owned),
                ..RawFields::default()
            }),
        }
    }

    fn reason(n: Normalised) -> Option<Reason> {
        match n {
            Normalised::Note(..) => None,
            Normalised::Rejected { rejection, .. } => Some(rejection.reason),
        }
    }

    #[test]
    fn dates_in_common_formats_parse_to_the_same_instant() {
        let c = config();
        let n = Normaliser::new(&c);
        let ts = |d: &str| match n.normalise(row(Some("x"), Some(d))) {
            Normalised::Note(note, _) => note.written_at,
            Normalised::Rejected { .. } => panic!("rejected {d}"),
        };
        let a = ts("2021-03-12");
        assert_eq!(a, ts("12.03.2021"));
        assert_eq!(a, ts("2021-03-12T00:00:00"));
        assert_eq!(a, ts("2021-03-12 00:00"));
        assert!(ts("2021-03-12T08:15:00+01:00").is_some());
    }

    #[test]
    fn bad_rows_get_their_reason() {
        let c = config();
        let n = Normaliser::new(&c);
        assert_eq!(
            reason(n.normalise(row(None, None))),
            Some(Reason::MissingText)
        );
        assert_eq!(
            reason(n.normalise(row(Some("  \n"), None))),
            Some(Reason::EmptyText)
        );
        assert_eq!(
            reason(n.normalise(row(Some("a\0b"), None))),
            Some(Reason::NulInText)
        );
        assert_eq!(
            reason(n.normalise(row(Some("x"), Some("i går")))),
            Some(Reason::UnparsableDate)
        );
        assert_eq!(
            reason(n.normalise(row(Some("x"), Some("9999-01-01")))),
            Some(Reason::DateOutOfRange)
        );
        assert_eq!(
            reason(n.normalise(row(Some("x"), Some("0000-01-01")))),
            Some(Reason::DateOutOfRange)
        );
        assert_eq!(
            reason(n.normalise(row(Some("x"), Some("12.03.2021")))),
            None
        );
    }

    #[test]
    fn line_endings_and_bom_are_normalised_and_counted() {
        let c = config();
        match Normaliser::new(&c).normalise(row(Some("\u{feff}a\r\nb\rc"), None)) {
            Normalised::Note(note, changes) => {
                assert_eq!(note.text.as_str(), "a\nb\nc");
                assert!(changes.contains(&"text_bom_removed"));
                assert!(changes.contains(&"text_line_endings_normalised"));
            }
            Normalised::Rejected { .. } => panic!("rejected"),
        }
    }
}
