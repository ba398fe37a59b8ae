//! The canonical note record (`schemas/notes.v1.json`), doc-type mapping,
//! and streaming readers/writers for notes files (Parquet and JSONL).

mod parquet;

pub(crate) use parquet::string_column;
pub use parquet::{NOTES_SCHEMA_VERSION, NotesIoError, NotesReader, NotesWriter, notes_schema};

use std::fmt;

use serde::{Deserialize, Serialize};

/// Canonical document types. Norwegian and English source names map onto
/// these with [`DocType::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    /// Epikrise.
    DischargeSummary,
    /// Operasjonsbeskrivelse.
    SurgicalReport,
    /// Sykepleienotat.
    NursingNote,
    /// Innkomstjournal.
    AdmissionNote,
    /// Poliklinisk notat.
    OutpatientNote,
    /// Henvisning.
    Referral,
    /// Anything else.
    Other,
}

impl DocType {
    /// All canonical values, in schema order.
    pub const ALL: [DocType; 7] = [
        DocType::DischargeSummary,
        DocType::SurgicalReport,
        DocType::NursingNote,
        DocType::AdmissionNote,
        DocType::OutpatientNote,
        DocType::Referral,
        DocType::Other,
    ];

    /// The canonical snake_case name written to every output.
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::DischargeSummary => "discharge_summary",
            DocType::SurgicalReport => "surgical_report",
            DocType::NursingNote => "nursing_note",
            DocType::AdmissionNote => "admission_note",
            DocType::OutpatientNote => "outpatient_note",
            DocType::Referral => "referral",
            DocType::Other => "other",
        }
    }

    /// Maps a source name (canonical, Norwegian bokmål/nynorsk or English,
    /// any case, spaces/hyphens/underscores alike) onto a doc type. Returns
    /// `None` for names it does not know; callers map those to
    /// [`DocType::Other`] and count them.
    pub fn parse(raw: &str) -> Option<DocType> {
        let key: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' | '.' => '_',
                c => c.to_lowercase().next().unwrap_or(c),
            })
            .collect();
        let t = match key.as_str() {
            "discharge_summary"
            | "discharge"
            | "epikrise"
            | "utskrivingsnotat"
            | "utskrivningsnotat"
            | "utskrivingsepikrise" => DocType::DischargeSummary,
            "surgical_report"
            | "operation_note"
            | "operative_report"
            | "operasjonsbeskrivelse"
            | "operasjonsnotat"
            | "op_beskrivelse" => DocType::SurgicalReport,
            "nursing_note"
            | "sykepleienotat"
            | "sjukepleienotat"
            | "sykepleiedokumentasjon"
            | "sjukepleiedokumentasjon" => DocType::NursingNote,
            "admission_note" | "admission" | "innkomstjournal" | "innkomstnotat" | "innkomst" => {
                DocType::AdmissionNote
            }
            "outpatient_note" | "outpatient" | "poliklinisk_notat" | "poliklinikknotat"
            | "poliklinisk" => DocType::OutpatientNote,
            "referral" | "henvisning" | "tilvising" | "tilvisning" => DocType::Referral,
            "other" | "annet" | "anna" => DocType::Other,
            _ => return None,
        };
        Some(t)
    }
}

impl fmt::Display for DocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Note text whose `Debug` never shows the content: clinical text may carry
/// identifiers, and `Debug` output ends up in logs and panic messages.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NoteText(pub String);

impl NoteText {
    /// The text itself, for processing (never for logging).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NoteText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteText(<redacted, {} bytes>)", self.0.len())
    }
}

/// One note in the canonical schema (`schemas/notes.v1.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Unique note identifier.
    pub note_id: String,
    /// Patient identifier (several notes per patient).
    pub patient_id: String,
    /// Canonical document type.
    pub doc_type: DocType,
    /// When the note was written, microseconds since the Unix epoch, local
    /// wall-clock time (no time zone).
    pub written_at: Option<i64>,
    /// Department, when known.
    pub department: Option<String>,
    /// Where the note came from: `file:row`.
    pub source: String,
    /// Written standard (`nob`, `nno`, `mixed`, `other`, `unknown`), set by
    /// the langid stage; `None` before it ran.
    pub lang: Option<String>,
    /// Note text (redacted in `Debug`).
    pub text: NoteText,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_and_english_names_map_to_canonical_doc_types() {
        assert_eq!(DocType::parse("Epikrise"), Some(DocType::DischargeSummary));
        assert_eq!(
            DocType::parse("operasjonsbeskrivelse"),
            Some(DocType::SurgicalReport)
        );
        assert_eq!(DocType::parse("SYKEPLEIENOTAT"), Some(DocType::NursingNote));
        assert_eq!(
            DocType::parse("innkomstjournal"),
            Some(DocType::AdmissionNote)
        );
        assert_eq!(
            DocType::parse("Poliklinisk notat"),
            Some(DocType::OutpatientNote)
        );
        assert_eq!(DocType::parse("henvisning"), Some(DocType::Referral));
        assert_eq!(
            DocType::parse("discharge-summary"),
            Some(DocType::DischargeSummary)
        );
        assert_eq!(DocType::parse("røntgensvar"), None);
        for t in DocType::ALL {
            assert_eq!(DocType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn debug_of_note_text_is_redacted() {
        let t = NoteText("Kari Nordmann 13055801432".into());
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("Kari"), "{dbg}");
        assert!(!dbg.contains("1305"), "{dbg}");
    }
}
