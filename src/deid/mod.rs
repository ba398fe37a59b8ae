//! De-identification: finds identifiers (PHI) in Norwegian clinical notes
//! and replaces them with consistent keyed surrogates.
//!
//! ```text
//! note ──► Detector (one DFA scan for all rules + one gazetteer lookup
//!          per word + name context and cues + patient register)
//!          ──► non-overlapping spans
//!      ──► Surrogates (HMAC-SHA256 under the key; names keep gender and
//!          case, fødselsnummer → synthetic valid number, dates shifted
//!          per patient in their own format) ──► de-identified note
//! ```
//!
//! Outputs (a contract, see DESIGN.md): `notes.parquet`, `notes.jsonl`,
//! `spans.jsonl` (character offsets into the ORIGINAL text, never the
//! original string), `spans.parquet` (with byte offsets too) and
//! `summary.json`. Notes stream in batches processed in parallel (rayon)
//! and written in input order: output never depends on the thread count.

pub mod config;
mod context;
pub mod data;
pub mod dates;
pub mod detect;
pub mod eval;
pub mod gazetteer;
mod io;
mod name_cues;
pub mod numwords;
pub mod register;
pub mod rules;
pub mod scan;
pub mod surrogate;
pub mod text;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub use crate::phi::Label;
pub use config::{DeidConfig, GazetteerFiles};
pub use detect::{Detection, Detector};
pub use io::{NotesSource, Pending, read_jsonl_notes};
pub use surrogate::{Action, Key, Policy, Scope, Surrogates};

use crate::fsio::PathError;
use crate::notes::{DocType, Note, NoteText, NotesIoError};
use crate::pipeline::{StageContext, StageStats};
use gazetteer::{ExtraLists, FxBuild, Gazetteer};
use register::{Register, RegisterError};
use rules::{RuleError, RuleSet};
use text::CharIndex;

/// De-identified notes (Parquet).
pub const NOTES_PARQUET: &str = "notes.parquet";
/// De-identified notes (JSONL).
pub const NOTES_JSONL: &str = "notes.jsonl";
/// Span records (JSONL, character offsets).
pub const SPANS_JSONL: &str = "spans.jsonl";
/// Span records (Parquet, character and byte offsets).
pub const SPANS_PARQUET: &str = "spans.parquet";
/// Counts per label, rule and doc type.
pub const SUMMARY_JSON: &str = "summary.json";

/// Why de-identification failed. Messages never carry note text.
#[derive(Debug, thiserror::Error)]
pub enum DeidError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Reading or writing notes failed.
    #[error(transparent)]
    Notes(#[from] NotesIoError),
    /// A rule file is invalid.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// The patient register is invalid.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// No key was given.
    #[error(
        "no pseudonymisation key: pass --key-file FILE or set NORCLIN_KEY_FILE (or `key_file` in the deid stage); \
         `demo_key = true` uses a PUBLIC demo key, for synthetic demo data only"
    )]
    NoKey,
    /// The key file is unusable.
    #[error("key file {path}: {message}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the key).
        message: String,
    },
    /// An input line is invalid.
    #[error("{path}:{line}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong (never note text).
        message: String,
    },
    /// Neither `input` nor an earlier stage's notes.
    #[error("no input: set `input` or put an ingest stage before deid")]
    NoInput,
    /// Serialising an output failed.
    #[error("{path}: {message}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Reads a key file: at least 16 bytes (surrounding whitespace ignored).
pub fn read_key(path: &Path) -> Result<Key, DeidError> {
    let bytes = std::fs::read(path).map_err(|e| DeidError::Key {
        path: path.to_path_buf(),
        message: format!("cannot read: {}", e.kind()),
    })?;
    let trimmed = bytes.trim_ascii().to_vec();
    Key::new(trimmed).ok_or_else(|| DeidError::Key {
        path: path.to_path_buf(),
        message: "too short: a key needs at least 16 bytes (e.g. `head -c 32 /dev/urandom > KEY`)"
            .into(),
    })
}

fn read_lines(path: &Path) -> Result<Vec<String>, DeidError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| PathError::new("reading gazetteer", path, e))?;
    Ok(text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// One span record of `spans.jsonl`: never the original string.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpanRecord {
    /// Original note id (the span file stays in the secure zone).
    #[serde(serialize_with = "ser_arc_str")]
    pub note_id: Arc<str>,
    /// The note's pseudonym in the released notes.
    #[serde(serialize_with = "ser_arc_str")]
    pub note_pseudonym: Arc<str>,
    /// Start, Unicode characters into the original text.
    pub start: usize,
    /// End (exclusive), Unicode characters.
    pub end: usize,
    /// Start byte (Parquet only).
    #[serde(skip)]
    pub start_byte: usize,
    /// End byte (Parquet only).
    #[serde(skip)]
    pub end_byte: usize,
    /// Label.
    pub label: Label,
    /// Rule, gazetteer or context that fired.
    #[serde(serialize_with = "ser_arc_str")]
    pub rule: Arc<str>,
    /// What was done.
    pub action: Action,
    /// Replacement text (`null` when kept).
    pub surrogate: Option<String>,
}

fn ser_arc_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

/// A de-identified note and its spans.
#[derive(Clone, Debug)]
pub struct Processed {
    /// The released note.
    pub note: Note,
    /// Its spans.
    pub spans: Vec<SpanRecord>,
    /// Text bytes of the original.
    pub bytes_in: usize,
    /// Its lines of `notes.jsonl` and `spans.jsonl`, rendered by the worker.
    pub jsonl: io::JsonlLines,
}

/// The de-identification runtime, built once from a config.
#[derive(Debug)]
pub struct Deid {
    detector: Detector,
    surrogates: Surrogates,
}

impl Deid {
    /// Builds the runtime. `key_override` (command line, environment)
    /// wins over the config's `key_file`; without either, `demo_key`
    /// selects the public demo key, else [`DeidError::NoKey`].
    pub fn build(
        config: &DeidConfig,
        base_dir: &Path,
        key_override: Option<&Path>,
    ) -> Result<Deid, DeidError> {
        let key = match (key_override, &config.key_file) {
            (Some(p), _) => read_key(p)?,
            (None, Some(p)) => read_key(&crate::pipeline::resolve(base_dir, p))?,
            (None, None) if config.demo_key => {
                tracing::warn!(
                    "deid: using the PUBLIC built-in demo key (demo_key = true): surrogates are NOT secret; never use this for real notes"
                );
                Key::demo()
            }
            (None, None) => return Err(DeidError::NoKey),
        };
        let detector = Deid::build_detector(config, base_dir)?;
        let mut surrogates = Surrogates::new(key, config.scope, config.policy());
        if let Some(register) = detector.register() {
            surrogates.avoid_names(register.name_parts());
        }
        Ok(Deid {
            detector,
            surrogates,
        })
    }

    /// Builds only the detector (rules, gazetteers, register).
    pub fn build_detector(config: &DeidConfig, base_dir: &Path) -> Result<Detector, DeidError> {
        let rules = RuleSet::load(&rules::resolve_all(base_dir, &config.rules))?;
        let g = &config.gazetteers;
        let load = |list: &[PathBuf]| -> Result<Vec<String>, DeidError> {
            let mut v = Vec::new();
            for p in list {
                v.extend(read_lines(&crate::pipeline::resolve(base_dir, p))?);
            }
            Ok(v)
        };
        let extra = ExtraLists {
            given_names: load(&g.given_names)?,
            surnames: load(&g.surnames)?,
            places: load(&g.places)?,
            streets: load(&g.streets)?,
            institutions: load(&g.institutions)?,
            allow: load(&g.allow)?,
        };
        let gaz = Gazetteer::build(&extra);
        let register = match &config.register {
            Some(p) => Some(Register::load(&crate::pipeline::resolve(base_dir, p))?),
            None => None,
        };
        Ok(Detector::new(rules, gaz, register))
    }

    /// The detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The surrogate maker.
    pub fn surrogates(&self) -> &Surrogates {
        &self.surrogates
    }

    /// De-identifies one note.
    pub fn process(&self, note: Note) -> Processed {
        let text = note.text.as_str();
        let dets = self.detector.detect(text, &note.patient_id);
        let (mut new_text, mut reps) =
            self.surrogates
                .apply(text, &dets, &note.note_id, &note.patient_id, &[]);
        // A surrogate that happens to contain one of the patient's
        // registered identifiers (`Røde Kors Haugland …` for a patient
        // named Haugland) is redacted instead: the output never shows one.
        if let Some(reg) = self.detector.register() {
            let mut hits = Vec::new();
            reg.find(&note.patient_id, &new_text, &mut hits);
            let clash = clashing(&hits, &dets, &reps);
            if !clash.is_empty() {
                (new_text, reps) =
                    self.surrogates
                        .apply(text, &dets, &note.note_id, &note.patient_id, &clash);
            }
        }
        let note_pseudonym: Arc<str> = Arc::from(self.surrogates.pseudonym("note", &note.note_id));
        let note_id: Arc<str> = Arc::from(note.note_id.as_str());
        let mut ix = CharIndex::new(text);
        let spans: Vec<SpanRecord> = dets
            .iter()
            .zip(reps)
            .map(|(d, r)| SpanRecord {
                note_id: Arc::clone(&note_id),
                note_pseudonym: Arc::clone(&note_pseudonym),
                start: ix.at(d.start),
                end: ix.at(d.end),
                start_byte: d.start,
                end_byte: d.end,
                label: d.label,
                rule: d.rule.clone(),
                action: r.action,
                surrogate: r.surrogate,
            })
            .collect();
        let scope = self
            .surrogates
            .scope_id(&note.note_id, &note.patient_id)
            .to_string();
        let shift_us = self.surrogates.date_shift(&scope) * 86_400_000_000;
        let bytes_in = text.len();
        let out = Note {
            note_id: note_pseudonym.to_string(),
            patient_id: self.surrogates.pseudonym("patient", &note.patient_id),
            doc_type: note.doc_type,
            written_at: note.written_at.map(|t| t.saturating_add(shift_us)),
            department: note.department,
            source: note.source,
            lang: note.lang,
            text: NoteText(new_text),
        };
        let jsonl = io::render(&out, &spans);
        Processed {
            note: out,
            spans,
            bytes_in,
            jsonl,
        }
    }
}

/// Indices (sorted) of the surrogates of `dets` that contain one of the
/// register `hits` found in the de-identified text; `reps` are the
/// replacements that made it.
fn clashing(
    hits: &[register::RegisterHit],
    dets: &[Detection],
    reps: &[surrogate::Replacement],
) -> Vec<usize> {
    let mut clash = Vec::new();
    if hits.is_empty() {
        return clash;
    }
    // Where each replacement lies in the new text.
    let (mut at_in, mut at_out) = (0usize, 0usize);
    for (i, (d, r)) in dets.iter().zip(reps).enumerate() {
        let start = at_out + (d.start - at_in);
        let len = r.surrogate.as_ref().map_or(d.end - d.start, String::len);
        let end = start + len;
        let inside = hits.iter().any(|h| start <= h.start && h.end <= end);
        if inside && r.action == Action::Surrogate {
            clash.push(i);
        }
        (at_in, at_out) = (d.end, end);
    }
    clash
}

/// Counts written to `summary.json` and the stage report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Notes de-identified.
    pub notes: u64,
    /// Text bytes read.
    pub text_bytes: u64,
    /// Spans found.
    pub spans: u64,
    /// Spans per label.
    pub by_label: BTreeMap<String, u64>,
    /// Spans per rule.
    pub by_rule: BTreeMap<String, u64>,
    /// Spans per doc type and label.
    pub by_doc_type: BTreeMap<String, BTreeMap<String, u64>>,
    /// Spans per action.
    pub by_action: BTreeMap<String, u64>,
    /// Whether the PUBLIC demo key was used (surrogates are not secret).
    pub demo_key: bool,
    /// Consistency scope.
    pub scope: Scope,
}

/// The counts of [`Summary`] while notes stream past: arrays indexed by
/// label, action and doc type, so a span costs no string and no map.
#[derive(Debug, Default)]
struct Tally {
    notes: u64,
    text_bytes: u64,
    spans: u64,
    by_label: [u64; Label::ALL.len()],
    by_action: [u64; 3],
    /// Spans per rule name, by the address of the shared name; names
    /// equal in text (from different places) are added up in
    /// [`Tally::fill`].
    by_rule: HashMap<usize, (Arc<str>, u64), FxBuild>,
    /// Notes, and spans per label, per doc type.
    by_doc_type: [(u64, [u64; Label::ALL.len()]); DocType::ALL.len()],
}

impl Tally {
    fn add(&mut self, p: &Processed) {
        self.notes += 1;
        self.text_bytes += p.bytes_in as u64;
        self.spans += p.spans.len() as u64;
        let dt = &mut self.by_doc_type[p.note.doc_type as usize];
        dt.0 += 1;
        for s in &p.spans {
            self.by_label[s.label as usize] += 1;
            dt.1[s.label as usize] += 1;
            self.by_action[s.action as usize] += 1;
            // Keyed by the name's address: held here, it cannot be reused.
            let key = Arc::as_ptr(&s.rule).cast::<u8>() as usize;
            self.by_rule
                .entry(key)
                .or_insert_with(|| (Arc::clone(&s.rule), 0))
                .1 += 1;
        }
    }

    /// Writes the counts into `summary`, by name.
    fn fill(self, summary: &mut Summary) {
        let named = |counts: &[u64; Label::ALL.len()]| -> BTreeMap<String, u64> {
            Label::ALL
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(l, n)| (l.as_str().to_string(), *n))
                .collect()
        };
        summary.notes = self.notes;
        summary.text_bytes = self.text_bytes;
        summary.spans = self.spans;
        summary.by_label = named(&self.by_label);
        summary.by_action = [Action::Surrogate, Action::Redact, Action::Keep]
            .iter()
            .filter(|a| self.by_action[**a as usize] > 0)
            .map(|a| (a.as_str().to_string(), self.by_action[*a as usize]))
            .collect();
        for (rule, n) in self.by_rule.into_values() {
            *summary.by_rule.entry(rule.to_string()).or_default() += n;
        }
        summary.by_doc_type = DocType::ALL
            .iter()
            .zip(&self.by_doc_type)
            .filter(|(_, (notes, _))| *notes > 0)
            .map(|(d, (_, counts))| (d.as_str().to_string(), named(counts)))
            .collect();
    }
}

/// Runs the deid stage: reads notes, writes the five outputs into
/// `ctx.out_dir`.
pub fn run_stage(config: &DeidConfig, ctx: &StageContext<'_>) -> Result<StageStats, DeidError> {
    let deid = Deid::build(config, ctx.base_dir, ctx.key_file)?;
    let input = match (&config.input, ctx.notes_dir) {
        (Some(p), _) => ctx.resolve(p),
        (None, Some(dir)) => dir.join(NOTES_PARQUET),
        (None, None) => return Err(DeidError::NoInput),
    };
    let summary = run_files(&deid, &input, ctx.out_dir, config.batch_notes, ctx.progress)?;
    let mut stats = StageStats {
        rows_in: summary.notes,
        rows_out: summary.notes,
        bytes_in: summary.text_bytes,
        bytes_out: std::fs::metadata(ctx.out_dir.join(NOTES_PARQUET)).map_or(0, |m| m.len()),
        ..Default::default()
    };
    for (l, n) in &summary.by_label {
        stats.count(&format!("phi.{l}"), *n);
    }
    stats.count("phi_spans", summary.spans);
    stats.details = serde_json::json!({
        "phi_by_label": summary.by_label,
        "phi_by_doc_type": summary.by_doc_type,
        "phi_by_action": summary.by_action,
        "demo_key": summary.demo_key,
    });
    Ok(stats)
}

/// De-identifies `input` (JSONL or Parquet notes) into `out_dir`.
///
/// Three batches are in flight: while the worker threads parse and
/// de-identify one, another is written and the next is read.
pub fn run_files(
    deid: &Deid,
    input: &Path,
    out_dir: &Path,
    batch_notes: usize,
    progress: &crate::report::Progress,
) -> Result<Summary, DeidError> {
    use rayon::prelude::*;
    let mut source = NotesSource::open(input, batch_notes.max(1))?;
    let mut outputs = io::Outputs::create(out_dir)?;
    let mut summary = Summary {
        demo_key: deid.surrogates.demo_key(),
        scope: deid_scope(deid),
        ..Default::default()
    };
    let task = progress.task("deid", source.rows(), "notes");
    let mut tally = Tally::default();
    let mut read = source.next_batch()?;
    let mut done: Option<Vec<Processed>> = None;
    while read.is_some() || done.is_some() {
        let (next, processed) = rayon::join(
            || -> Result<_, DeidError> {
                if let Some(batch) = done.take() {
                    for p in &batch {
                        tally.add(p);
                    }
                    outputs.write(batch)?;
                }
                source.next_batch()
            },
            || {
                read.take().map(|items| {
                    let results: Vec<Result<Processed, DeidError>> = items
                        .into_par_iter()
                        .map(|item| item.into_note(input).map(|n| deid.process(n)))
                        .collect();
                    // The first error in input order, whatever the threads.
                    results.into_iter().collect::<Result<Vec<_>, _>>()
                })
            },
        );
        read = next?;
        done = processed.transpose()?;
        if let Some(batch) = &done {
            task.inc(batch.len() as u64);
        }
    }
    outputs.finish()?;
    tally.fill(&mut summary);
    crate::fsio::write_json_atomic(out_dir.join(SUMMARY_JSON), &summary)?;
    if summary.demo_key {
        tracing::warn!("deid: outputs were made with the PUBLIC demo key (summary.json says so)");
    }
    Ok(summary)
}

fn deid_scope(deid: &Deid) -> Scope {
    match deid.surrogates.scope_id("n", "p") {
        "n" => Scope::Note,
        "p" => Scope::Patient,
        _ => Scope::Corpus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Tally`] indexes its arrays by `label as usize` and
    /// `doc_type as usize`: those must be the positions in `ALL`.
    #[test]
    fn tally_indexes_follow_the_contract_order() {
        for (i, l) in Label::ALL.iter().enumerate() {
            assert_eq!(*l as usize, i, "{l:?}");
        }
        for (i, d) in DocType::ALL.iter().enumerate() {
            assert_eq!(*d as usize, i, "{d:?}");
        }
        for (i, a) in [Action::Surrogate, Action::Redact, Action::Keep]
            .iter()
            .enumerate()
        {
            assert_eq!(*a as usize, i, "{a:?}");
        }
    }

    /// A registered name inside a surrogate marks that surrogate, not its
    /// neighbours, and not a kept span or the text between spans.
    #[test]
    fn a_register_hit_inside_a_surrogate_marks_that_surrogate() {
        use detect::Detection;
        use surrogate::Replacement;
        // "Fra SSK til Ola, Haugland." → "Fra Røde Kors Haugland til Per, Haugland."
        let det = |start: usize, end: usize| Detection {
            start,
            end,
            label: Label::CareUnit,
            rule: Arc::from("t"),
            gender: data::Gender::Unknown,
        };
        let dets = [det(4, 7), det(12, 15), det(17, 25)];
        let rep = |action: Action, s: Option<&str>| Replacement {
            action,
            surrogate: s.map(String::from),
        };
        let reps = [
            rep(Action::Surrogate, Some("Røde Kors Haugland")),
            rep(Action::Surrogate, Some("Per")),
            rep(Action::Keep, None),
        ];
        let out = "Fra Røde Kors Haugland til Per, Haugland.";
        let hit = |word: &str, from: usize| {
            let start = from + out[from..].find(word).unwrap();
            register::RegisterHit {
                start,
                end: start + word.len(),
                label: Label::PersonLast,
                rule: Arc::from("register:last_name"),
            }
        };
        let inside = hit("Haugland", 0);
        let kept = hit("Haugland", inside.end);
        assert_eq!(clashing(&[inside], &dets, &reps), [0]);
        assert!(clashing(&[kept], &dets, &reps).is_empty());
        assert!(clashing(&[], &dets, &reps).is_empty());
        assert!(clashing(&[hit("til", 0)], &dets, &reps).is_empty());
    }
}
