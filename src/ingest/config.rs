//! Ingest configuration (`type = "ingest"` in a pipeline file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::notes::DocType;
use crate::pipeline::{FieldIssue, resolve};

/// Reads sources into canonical notes.
///
/// ```toml
/// [[stages]]
/// type = "ingest"
/// inputs = ["../fixtures/notes.jsonl", "../fixtures/txt"]
/// max_text_bytes = 20_000_000
/// [stages.columns]
/// note_id = "dok_id"
/// text = "notat_tekst"
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Input files (JSONL, CSV/TSV, Parquet) and folders of `.txt` notes.
    pub inputs: Vec<PathBuf>,
    /// Force one format for every input instead of guessing by extension.
    #[serde(default)]
    pub format: Option<InputFormat>,
    /// Input column (or JSON key) for each canonical field.
    #[serde(default)]
    pub columns: ColumnMap,
    /// CSV options.
    #[serde(default)]
    pub csv: CsvOptions,
    /// Options for folders of `.txt` notes.
    #[serde(default)]
    pub txt: TxtOptions,
    /// Extra doc-type names (source name → canonical name), on top of the
    /// built-in Norwegian and English names.
    #[serde(default)]
    pub doc_types: BTreeMap<String, String>,
    /// Notes with more text than this (bytes of UTF-8) are quarantined.
    #[serde(default = "default_max_text_bytes")]
    pub max_text_bytes: usize,
    /// Extra `written_at` formats (chrono `strftime` syntax), tried after
    /// the built-in ones.
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// Earliest plausible year of `written_at`; earlier dates are quarantined.
    #[serde(default = "default_min_year")]
    pub min_year: i32,
    /// Latest plausible year of `written_at`; later dates are quarantined.
    #[serde(default = "default_max_year")]
    pub max_year: i32,
    /// In a scaled-out run, files larger than this are read by every worker
    /// for the rows whose note id hashes to it; smaller files go whole to
    /// one worker.
    #[serde(default = "default_split_over_bytes")]
    pub split_files_over_bytes: u64,
    /// Record a whole unreadable input file and go on with the others,
    /// instead of failing the stage.
    #[serde(default)]
    pub keep_going: bool,
}

fn default_max_text_bytes() -> usize {
    20 * 1024 * 1024
}

fn default_split_over_bytes() -> u64 {
    256 * 1024 * 1024
}

fn default_min_year() -> i32 {
    1900
}

fn default_max_year() -> i32 {
    2100
}

/// Input formats ingest reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// One JSON object per line.
    Jsonl,
    /// Delimited text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A folder of `.txt` files, one note each.
    Txt,
}

impl InputFormat {
    /// Guesses the format of `path` from its extension (folders are `txt`).
    pub fn guess(path: &Path) -> Option<InputFormat> {
        if path.is_dir() {
            return Some(InputFormat::Txt);
        }
        let ext = path.extension()?.to_string_lossy().to_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Some(InputFormat::Jsonl),
            "csv" | "tsv" | "psv" => Some(InputFormat::Csv),
            "parquet" | "pq" => Some(InputFormat::Parquet),
            _ => None,
        }
    }
}

/// Input column names of the canonical fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColumnMap {
    /// Column holding the note id (required).
    pub note_id: String,
    /// Column holding the patient id (required).
    pub patient_id: String,
    /// Column holding the doc type (optional; missing → `other`).
    pub doc_type: String,
    /// Column holding the note's date/time (optional).
    pub written_at: String,
    /// Column holding the department (optional).
    pub department: String,
    /// Column holding the note text (required).
    pub text: String,
    /// Column holding a language tag already known (optional).
    pub lang: String,
}

impl Default for ColumnMap {
    fn default() -> Self {
        ColumnMap {
            note_id: "note_id".into(),
            patient_id: "patient_id".into(),
            doc_type: "doc_type".into(),
            written_at: "written_at".into(),
            department: "department".into(),
            text: "text".into(),
            lang: "lang".into(),
        }
    }
}

/// CSV reading options.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsvOptions {
    /// Field delimiter (one ASCII character). Unset: `\t` for `.tsv`,
    /// otherwise sniffed from the header among `,` `;` `\t` `|`.
    pub delimiter: Option<String>,
}

/// Options for folders of `.txt` notes.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TxtOptions {
    /// Sidecar CSV with a `file` column (file name relative to the folder)
    /// and any mapped metadata columns.
    pub sidecar: Option<PathBuf>,
    /// Pattern of file stems, e.g. `"{patient_id}_{doc_type}_{note_id}"`;
    /// placeholders are canonical field names. Without it (and without a
    /// sidecar entry) the note id is the file stem and the patient id the
    /// parent folder name.
    pub filename_pattern: Option<String>,
}

impl IngestConfig {
    /// Input paths resolved against `base_dir`.
    pub fn input_paths(&self, base_dir: &Path) -> Vec<PathBuf> {
        self.inputs.iter().map(|p| resolve(base_dir, p)).collect()
    }

    /// Every problem with this config.
    pub fn check(&self, base_dir: &Path) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if self.inputs.is_empty() {
            issues.push(FieldIssue::new("inputs", "no input files given"));
        }
        for (i, path) in self.input_paths(base_dir).iter().enumerate() {
            if !path.exists() {
                issues.push(FieldIssue::new(
                    format!("inputs[{i}]"),
                    format!("{} does not exist", path.display()),
                ));
            } else if self.format.is_none() && InputFormat::guess(path).is_none() {
                issues.push(FieldIssue::new(
                    format!("inputs[{i}]"),
                    format!(
                        "cannot tell the format of {} from its extension; set `format`",
                        path.display()
                    ),
                ));
            }
        }
        if let Some(d) = &self.csv.delimiter
            && (d.len() != 1 || !d.is_ascii())
        {
            issues.push(FieldIssue::new(
                "csv.delimiter",
                "must be exactly one ASCII character",
            ));
        }
        if let Some(sidecar) = &self.txt.sidecar
            && !resolve(base_dir, sidecar).is_file()
        {
            issues.push(FieldIssue::new(
                "txt.sidecar",
                format!("{} does not exist", sidecar.display()),
            ));
        }
        if let Some(p) = &self.txt.filename_pattern
            && let Err(e) = super::txt::FilenamePattern::parse(p)
        {
            issues.push(FieldIssue::new("txt.filename_pattern", e));
        }
        for (from, to) in &self.doc_types {
            if DocType::parse(to).is_none() {
                issues.push(FieldIssue::new(
                    format!("doc_types.{from}"),
                    format!(
                        "`{to}` is not a canonical doc type (discharge_summary, surgical_report, nursing_note, admission_note, outpatient_note, referral, other)"
                    ),
                ));
            }
        }
        if self.max_text_bytes == 0 {
            issues.push(FieldIssue::new("max_text_bytes", "must be greater than 0"));
        }
        if self.min_year > self.max_year {
            issues.push(FieldIssue::new("min_year", "must not be after max_year"));
        }
        for (i, f) in self.date_formats.iter().enumerate() {
            if f.trim().is_empty() {
                issues.push(FieldIssue::new(
                    format!("date_formats[{i}]"),
                    "empty format",
                ));
            }
        }
        issues
    }
}
