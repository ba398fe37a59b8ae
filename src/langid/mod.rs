//! Language identification: bokmål, nynorsk, mixed, other (Swedish, Danish,
//! English) or unknown, per note and per paragraph.
//!
//! Two steps, one pass over the text, no allocation per word:
//!
//! 1. **Is it Norwegian?** Every word (lower-cased, looked up by hash in a
//!    compact perfect-hash table, `rules/langid/model.bin`) carries
//!    log-likelihoods for Norwegian, Swedish, Danish and English, from word
//!    frequencies (wordfreq) and full-form word lists (Debian). Words the
//!    table does not know are scored, at half weight, by their last 5, 4 or
//!    3 letters. The most likely language wins, with a prior for Norwegian.
//! 2. **Bokmål or nynorsk?** Each word (or, for unknown words, compound
//!    tail or ending) also carries a nynorsk-vs-bokmål weight: a logistic
//!    regression fitted on bokmål and nynorsk text (translation catalogues,
//!    software manuals, news sentences, UD sentences, and apertium
//!    translations of each into the other standard) and pulled firmly
//!    towards a prior of hand-picked markers (`ikkje`/`ikke`, `eg`/`jeg`,
//!    `frå`/`fra`, …), forms only one standard's full-form list accepts,
//!    and endings (`-leg`/`-lig`, `-ane`/`-ene`, …): words both standards
//!    use stay near zero. Their sum, plus
//!    [`LangidConfig::nynorsk_prior`], decides.
//!
//! Each thread remembers the scores of the words it looked up last (8,192
//! words of up to 8 bytes and 4,096 longer ones, by the whole word and how
//! it was written), so a frequent word costs one load from a 128 KiB table
//! instead of up to fifteen probes of the model's, which is larger than a
//! core's cache. What is remembered is the word's own score, so it never
//! changes a result.
//!
//! Names (capitalised words inside a sentence), abbreviations (ALL CAPS),
//! and tokens glued to digits (`5mg`) are skipped: they carry no signal.
//! A paragraph written in capitals (`PASIENTEN VART INNLAGD`) is read as
//! lower case instead.
//! Paragraphs are blocks separated by blank lines; a note whose paragraphs
//! are confidently bokmål and nynorsk (each side at least
//! [`LangidConfig::mixed_min_share`] of the tokens) is `mixed`.
//!
//! Output (`langid.jsonl`, one line per note; `score` is the confidence in
//! the label, 0–1, and 0 for `unknown`; offsets are Unicode characters):
//!
//! ```text
//! {"note_id":"n3","lang":"mixed","score":0.97,"paragraphs":[
//!   {"start":0,"end":74,"lang":"nno","score":0.99},
//!   {"start":76,"end":150,"lang":"nob","score":0.97}]}
//! {"note_id":"n4","lang":"other","other":"swe","score":1.0,"paragraphs":[…]}
//! ```
//!
//! `other` (ISO 639-3: `swe`, `dan`, `eng`) appears only when `lang` is
//! `other`. The notes' `lang` column gets the five labels only.
//!
//! ```
//! use norclin::langid::{Langid, LangidConfig, Lang};
//! let langid = Langid::new(LangidConfig::default()).unwrap();
//! let l = langid.classify("Pasienten har ikkje feber i dag.");
//! assert_eq!(l.verdict.lang, Lang::Nno);
//! assert_eq!(l.paragraphs[0].start, 0);
//! ```

mod classify;
mod config;
pub mod eval;
mod model;

use std::collections::BTreeMap;
use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;

pub use classify::{
    Evidence, Labelled, Lang, Langid, OtherLang, Paragraph, Verdict, paragraphs_of,
};
pub use config::LangidConfig;
pub use model::{Model, ModelError};

use crate::fsio::{AtomicFile, PathError};
use crate::json_out::JsonObject;
use crate::notes::{NotesIoError, NotesReader, NotesWriter};
use crate::pipeline::{StageContext, StageStats};

/// Notes file the stage reads and writes.
pub const NOTES_FILE: &str = "notes.parquet";
/// Per-note labels file the stage writes.
pub const LABELS_FILE: &str = "langid.jsonl";

/// Langid failures.
#[derive(Debug, thiserror::Error)]
pub enum LangidError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Reading or writing notes failed.
    #[error(transparent)]
    Notes(#[from] NotesIoError),
    /// The built-in model is unusable.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The stage was run without notes to read.
    #[error("langid: no notes.parquet from an earlier stage")]
    NoNotes,
    /// Serialising the stage's counts failed.
    #[error("langid: writing {path}: {message}")]
    Json {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// What a line of labels names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelsOf<'a> {
    /// A note, by its id (`note_id`).
    Note(&'a str),
    /// A line of plain-text input (`--lines`), 1-based (`line`).
    Line(u64),
}

/// One line of `langid.jsonl`, newline included: `note_id` (or `line`),
/// then the note's `lang`, `other`, `score` and `paragraphs`. Rendered by
/// hand on the worker threads; the bytes are those `serde_json` writes for
/// the id followed by the flattened [`Labelled`] (a test holds them to it).
pub fn labels_line(of: LabelsOf<'_>, labelled: &Labelled) -> Vec<u8> {
    fn verdict<'a>(obj: JsonObject<'a>, v: &Verdict) -> JsonObject<'a> {
        let obj = obj.str("lang", v.lang.as_str());
        let obj = match v.other {
            Some(o) => obj.str("other", o.as_str()),
            None => obj,
        };
        obj.float("score", v.score)
    }
    let mut out = Vec::with_capacity(96 + 64 * labelled.paragraphs.len());
    let obj = JsonObject::open(&mut out);
    let obj = match of {
        LabelsOf::Note(id) => obj.str("note_id", id),
        LabelsOf::Line(n) => obj.num("line", n),
    };
    verdict(obj, &labelled.verdict)
        .array("paragraphs", &labelled.paragraphs, |out, p| {
            let obj = JsonObject::open(out)
                .num("start", p.start as u64)
                .num("end", p.end as u64);
            verdict(obj, &p.verdict).close();
        })
        .close_line();
    out
}

/// Counts of labels, overall and by doc type, for reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Notes per label (`nob`, `nno`, `mixed`, `other`, `unknown`).
    pub by_label: BTreeMap<String, u64>,
    /// Notes labelled `other`, per recognised language.
    pub other_by_language: BTreeMap<String, u64>,
    /// Notes per doc type and label.
    pub by_doc_type: BTreeMap<String, BTreeMap<String, u64>>,
    /// Paragraphs per label.
    pub paragraphs_by_label: BTreeMap<String, u64>,
}

impl Tally {
    /// Counts one note.
    pub fn count(&mut self, doc_type: &str, l: &Labelled) {
        let label = l.verdict.lang.as_str();
        bump(&mut self.by_label, label);
        if let Some(o) = l.verdict.other {
            bump(&mut self.other_by_language, o.as_str());
        }
        match self.by_doc_type.get_mut(doc_type) {
            Some(labels) => bump(labels, label),
            None => {
                let labels = BTreeMap::from([(label.to_string(), 1)]);
                self.by_doc_type.insert(doc_type.to_string(), labels);
            }
        }
        for p in &l.paragraphs {
            bump(&mut self.paragraphs_by_label, p.verdict.lang.as_str());
        }
    }
}

/// Adds one to `key`'s count (allocating the key only the first time).
fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

/// Runs the stage: reads `notes.parquet` of the previous stage, writes it
/// again with `lang` filled, and `langid.jsonl` with per-paragraph labels.
pub fn run_stage(config: &LangidConfig, ctx: &StageContext<'_>) -> Result<StageStats, LangidError> {
    let langid = Langid::new(config.clone())?;
    let notes_dir = ctx.notes_dir.ok_or(LangidError::NoNotes)?;
    let mut reader = NotesReader::open(notes_dir.join(NOTES_FILE))?;
    let out_notes = ctx.out_dir.join(NOTES_FILE);
    let labels_path = ctx.out_dir.join(LABELS_FILE);
    let mut writer = NotesWriter::create(&out_notes)?;
    let mut labels = std::io::BufWriter::new(AtomicFile::create(&labels_path)?);
    let task = ctx.progress.task("langid", Some(reader.rows()), "notes");
    let mut stats = StageStats::default();
    let mut tally = Tally::default();
    let json_err = |e: &dyn std::fmt::Display| LangidError::Json {
        path: labels_path.display().to_string(),
        message: e.to_string(),
    };
    while let Some(batch) = reader.next_batch()? {
        let labelled: Vec<(Labelled, Vec<u8>)> = batch
            .par_iter()
            .map(|n| {
                let l = langid.classify(n.text.as_str());
                let line = labels_line(LabelsOf::Note(&n.note_id), &l);
                (l, line)
            })
            .collect();
        for (mut note, (l, line)) in batch.into_iter().zip(labelled) {
            stats.rows_in += 1;
            stats.bytes_in += note.text.as_str().len() as u64;
            tally.count(note.doc_type.as_str(), &l);
            labels
                .write_all(&line)
                .map_err(|e| PathError::new("writing", &labels_path, e))?;
            note.lang = Some(l.verdict.lang.as_str().to_string());
            writer.write(note)?;
            task.inc(1);
        }
    }
    stats.rows_out = writer.finish()?;
    let file = labels
        .into_inner()
        .map_err(|e| PathError::new("writing", &labels_path, e.into_error()))?;
    file.commit()?;
    for (label, n) in &tally.by_label {
        stats.count(&format!("lang.{label}"), *n);
    }
    for (code, n) in &tally.other_by_language {
        stats.count(&format!("lang.other.{code}"), *n);
    }
    stats.bytes_out = [&out_notes, &labels_path]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    stats.details = serde_json::to_value(&tally).map_err(|e| json_err(&e))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `serde_json`'s rendering of a labels line: the reference for
    /// [`labels_line`].
    #[derive(Serialize)]
    struct NoteLabels<'a> {
        note_id: &'a str,
        #[serde(flatten)]
        labelled: &'a Labelled,
    }

    #[derive(Serialize)]
    struct LineLabels<'a> {
        line: u64,
        #[serde(flatten)]
        labelled: &'a Labelled,
    }

    /// `labels_line` writes exactly what `serde_json` writes, for notes
    /// and lines, with and without `other`, with ids that need escaping.
    #[test]
    fn labels_line_matches_serde_json() {
        let langid = Langid::new(LangidConfig::default()).unwrap();
        for text in [
            "",
            "Eg veit ikkje kva ho meiner.\n\nJeg vet ikke hva hun mener om det.",
            "Jag vet inte vad hon tycker om det.",
            "CRP 45, INR 1.1",
        ] {
            let l = langid.classify(text);
            for id in ["n1", "n\"2\\\n\u{1}æ"] {
                let mut want = serde_json::to_vec(&NoteLabels {
                    note_id: id,
                    labelled: &l,
                })
                .unwrap();
                want.push(b'\n');
                assert_eq!(
                    String::from_utf8(labels_line(LabelsOf::Note(id), &l)).unwrap(),
                    String::from_utf8(want).unwrap()
                );
            }
            let mut want = serde_json::to_vec(&LineLabels {
                line: 7,
                labelled: &l,
            })
            .unwrap();
            want.push(b'\n');
            assert_eq!(labels_line(LabelsOf::Line(7), &l), want);
        }
    }
}
