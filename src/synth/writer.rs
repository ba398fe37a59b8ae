//! Streams a corpus to disk: ordered parallel chunks, each note rendered to
//! its JSONL/CSV lines on a worker thread, written in corpus order.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::fsio::{AtomicFile, PathError, write_json_atomic};
use crate::report::Progress;

use super::builder::{Label, Span};
use super::compose::SynthNote;
use super::people::Patient;
use super::{Assignment, Generator, NoteSlot, SynthConfig, SynthError};

/// What a corpus run produced. Counts only, never text.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SynthStats {
    /// Notes written.
    pub notes: u64,
    /// Distinct patients.
    pub patients: u64,
    /// Bytes of note text (UTF-8).
    pub text_bytes: u64,
    /// Bytes written over all files.
    pub output_bytes: u64,
    /// Gold spans per label.
    pub spans: BTreeMap<&'static str, u64>,
    /// Hard negatives per kind.
    pub negatives: BTreeMap<&'static str, u64>,
    /// Notes per language.
    pub langs: BTreeMap<&'static str, u64>,
    /// Notes per doc type.
    pub doc_types: BTreeMap<&'static str, u64>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Note text per second, in MB (10^6 bytes).
    pub text_mb_per_s: f64,
}

#[derive(Serialize)]
struct NoteLine<'a> {
    note_id: &'a str,
    patient_id: &'a str,
    doc_type: &'a str,
    written_at: String,
    department: &'a str,
    lang: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct GoldLine<'a> {
    note_id: &'a str,
    spans: &'a [Span],
}

#[derive(Serialize)]
struct InlineLine<'a> {
    note_id: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct NegativesLine<'a> {
    note_id: &'a str,
    negatives: &'a [super::builder::Negative],
}

#[derive(Serialize)]
struct Summary<'a> {
    config: &'a SynthConfig,
    stats: &'a SynthStats,
}

/// `text` with each gold span wrapped as `<LABEL>…</LABEL>`.
pub fn render_inline(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len() + spans.len() * 24);
    let mut spans = spans.iter().peekable();
    let mut open: Option<Label> = None;
    let mut close_at = 0usize;
    for (ci, c) in text.chars().enumerate() {
        if let Some(l) = open
            && ci == close_at
        {
            push_tag(&mut out, l, true);
            open = None;
        }
        if open.is_none()
            && let Some(s) = spans.peek()
            && s.start == ci
        {
            push_tag(&mut out, s.label, false);
            open = Some(s.label);
            close_at = s.end;
            spans.next();
        }
        out.push(c);
    }
    if let Some(l) = open {
        push_tag(&mut out, l, true);
    }
    out
}

fn push_tag(out: &mut String, label: Label, close: bool) {
    out.push('<');
    if close {
        out.push('/');
    }
    out.push_str(label.as_str());
    out.push('>');
}

fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

fn register_rows(out: &mut Vec<u8>, pt: &Patient) {
    let mut row = |kind: &str, value: &str| {
        csv_field(out, &pt.id);
        out.push(b',');
        out.extend_from_slice(kind.as_bytes());
        out.push(b',');
        csv_field(out, value);
        out.push(b'\n');
    };
    for f in &pt.name.first {
        row("first_name", f);
    }
    row("last_name", &pt.name.last);
    row("full_name", &pt.name.full());
    row("national_id", &pt.national_id);
    row("phone", &pt.phone);
    row("email", &pt.email);
    row(
        "address",
        &format!("{}, {} {}", pt.street, pt.postcode, pt.town),
    );
    row("birth_date", &pt.birth.format("%Y-%m-%d").to_string());
    for r in &pt.relatives {
        row("relative_name", &r.name.full());
        row("phone", &r.phone);
    }
    row("other", &pt.record);
    row("other", &pt.employer);
    row("other", &pt.url);
}

/// One note's share of every output file.
struct Rendered {
    notes: Vec<u8>,
    gold: Vec<u8>,
    inline: Vec<u8>,
    negatives: Vec<u8>,
    register: Vec<u8>,
    text_bytes: u64,
    labels: [u64; 18],
    negative_kinds: Vec<&'static str>,
    lang: &'static str,
    doc_type: &'static str,
    new_patient: bool,
}

fn render(note: &SynthNote, pt: &Patient, negatives: bool) -> Result<Rendered, serde_json::Error> {
    let mut notes = Vec::with_capacity(note.text.len() + 256);
    serde_json::to_writer(
        &mut notes,
        &NoteLine {
            note_id: &note.note_id,
            patient_id: &note.patient_id,
            doc_type: note.doc_type.as_str(),
            written_at: note.written_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            department: &note.department,
            lang: note.lang,
            text: &note.text,
        },
    )?;
    notes.push(b'\n');
    let mut gold = Vec::with_capacity(note.spans.len() * 48 + 40);
    serde_json::to_writer(
        &mut gold,
        &GoldLine {
            note_id: &note.note_id,
            spans: &note.spans,
        },
    )?;
    gold.push(b'\n');
    let mut inline = Vec::with_capacity(note.text.len() + note.spans.len() * 30 + 64);
    serde_json::to_writer(
        &mut inline,
        &InlineLine {
            note_id: &note.note_id,
            text: &render_inline(&note.text, &note.spans),
        },
    )?;
    inline.push(b'\n');
    let mut neg = Vec::new();
    if negatives {
        serde_json::to_writer(
            &mut neg,
            &NegativesLine {
                note_id: &note.note_id,
                negatives: &note.negatives,
            },
        )?;
        neg.push(b'\n');
    }
    let mut register = Vec::new();
    if note.ordinal == 0 {
        register_rows(&mut register, pt);
    }
    let mut labels = [0u64; 18];
    for s in &note.spans {
        if let Some(i) = Label::ALL.iter().position(|l| *l == s.label) {
            labels[i] += 1;
        }
    }
    Ok(Rendered {
        notes,
        gold,
        inline,
        negatives: neg,
        register,
        text_bytes: note.text.len() as u64,
        labels,
        negative_kinds: note.negatives.iter().map(|n| n.kind).collect(),
        lang: note.lang,
        doc_type: note.doc_type.as_str(),
        new_patient: note.ordinal == 0,
    })
}

struct Outputs {
    notes: AtomicFile,
    gold: AtomicFile,
    inline: AtomicFile,
    negatives: Option<AtomicFile>,
    register: AtomicFile,
}

fn write_all(f: &mut AtomicFile, bytes: &[u8]) -> Result<(), PathError> {
    f.write_all(bytes)
        .map_err(|e| PathError::new("writing", f.target().to_path_buf(), e))
}

pub(crate) fn write_corpus(
    generator: &Generator,
    out: &Path,
    progress: &Progress,
) -> Result<SynthStats, SynthError> {
    let cfg = generator.config();
    let started = Instant::now();
    let mut files = Outputs {
        notes: AtomicFile::create(out.join("notes.jsonl"))?,
        gold: AtomicFile::create(out.join("gold.jsonl"))?,
        inline: AtomicFile::create(out.join("gold_inline.jsonl"))?,
        negatives: if cfg.negatives {
            Some(AtomicFile::create(out.join("negatives.jsonl"))?)
        } else {
            None
        },
        register: AtomicFile::create(out.join("register.csv"))?,
    };
    write_all(&mut files.register, b"patient_id,kind,value\n")?;
    let mut stats = SynthStats::default();
    let mut labels = [0u64; 18];
    let mut output_bytes = 22u64;
    let task = progress.task("synth", Some(cfg.notes), "notes");
    let mut assignment = Assignment::new(cfg.seed);
    let mut remaining = cfg.notes;
    while remaining > 0 {
        let k = remaining.min(cfg.chunk_notes as u64) as usize;
        // Group the chunk's notes by patient so each patient is made once.
        let mut groups: Vec<Vec<NoteSlot>> = Vec::new();
        for slot in assignment.by_ref().take(k) {
            match groups.last_mut() {
                Some(g) if g[0].patient == slot.patient => g.push(slot),
                _ => groups.push(vec![slot]),
            }
        }
        let rendered: Vec<Vec<Result<Rendered, serde_json::Error>>> = groups
            .par_iter()
            .map(|group| {
                let pt = generator.patient(group[0]);
                group
                    .iter()
                    .map(|slot| render(&generator.note_of(*slot, &pt), &pt, cfg.negatives))
                    .collect()
            })
            .collect();
        for r in rendered.into_iter().flatten() {
            let r = r.map_err(|e| {
                PathError::new("serialising a note for", out.join("notes.jsonl"), e.into())
            })?;
            write_all(&mut files.notes, &r.notes)?;
            write_all(&mut files.gold, &r.gold)?;
            write_all(&mut files.inline, &r.inline)?;
            if let Some(f) = files.negatives.as_mut() {
                write_all(f, &r.negatives)?;
            }
            write_all(&mut files.register, &r.register)?;
            output_bytes += (r.notes.len()
                + r.gold.len()
                + r.inline.len()
                + r.negatives.len()
                + r.register.len()) as u64;
            stats.notes += 1;
            stats.text_bytes += r.text_bytes;
            if r.new_patient {
                stats.patients += 1;
            }
            for (a, b) in labels.iter_mut().zip(r.labels) {
                *a += b;
            }
            for kind in r.negative_kinds {
                *stats.negatives.entry(kind).or_default() += 1;
            }
            *stats.langs.entry(r.lang).or_default() += 1;
            *stats.doc_types.entry(r.doc_type).or_default() += 1;
        }
        remaining -= k as u64;
        task.inc(k as u64);
    }
    files.notes.commit()?;
    files.gold.commit()?;
    files.inline.commit()?;
    if let Some(f) = files.negatives {
        f.commit()?;
    }
    files.register.commit()?;
    for (l, n) in Label::ALL.iter().zip(labels) {
        stats.spans.insert(l.as_str(), n);
    }
    stats.output_bytes = output_bytes;
    stats.seconds = started.elapsed().as_secs_f64();
    stats.text_mb_per_s = if stats.seconds > 0.0 {
        stats.text_bytes as f64 / 1e6 / stats.seconds
    } else {
        0.0
    };
    write_json_atomic(
        out.join("synth.json"),
        &Summary {
            config: cfg,
            stats: &stats,
        },
    )?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_tags_wrap_character_spans() {
        let spans = [
            Span {
                start: 4,
                end: 8,
                label: Label::PersonFirst,
            },
            Span {
                start: 9,
                end: 15,
                label: Label::PersonLast,
            },
        ];
        assert_eq!(
            render_inline("Fru Åsne Ødegår", &spans),
            "Fru <PERSON_FIRST>Åsne</PERSON_FIRST> <PERSON_LAST>Ødegår</PERSON_LAST>"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut v = Vec::new();
        csv_field(&mut v, "Storgata 1, 0150 Oslo");
        assert_eq!(v, b"\"Storgata 1, 0150 Oslo\"");
    }
}
