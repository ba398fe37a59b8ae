//! The tokenize stage: notes → token shards split by patient.
//!
//! ```text
//! notes.parquet ──► NoteTokenizer (tokenizer.json, or WordPiece trained on the notes)
//!               ──► PatientSplitter (keyed hash of patient_id → train/validation/test)
//!               ──► SequenceBuilder (note | packed, ≤ max_len, special tokens)
//!               ──► ShardWriter × 3 per unit ──► shard-NNNNN.parquet, manifest.json
//! ```
//!
//! The notes are cut into *units* of about `unit_text_bytes` of text, in
//! input order. Each unit writes one shard per split (shard `3u + s`) and a
//! marker `_unit-NNNNN.json` with the shards' hashes and counts; a rerun
//! skips every unit whose marker and shards are intact, so a killed run
//! redoes only the unit it was in. Packing restarts at each unit, which makes
//! a unit's output depend on nothing outside it. Encoding runs in parallel
//! (rayon) with ordered results, so the output is the same for any thread
//! count.

mod config;
mod sequences;
mod split;
mod tokenizer;

pub use config::{MAX_LEN_RANGE, PackingMode, SplitConfig, TokenizeConfig};
pub use sequences::{NoteMeta, SequenceBuilder};
pub use split::PatientSplitter;
pub use tokenizer::{EncodedNote, NoteTokenizer, TRAINED_SPECIAL_TOKENS};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fsio::{self, PathError};
use crate::notes::{Note, NotesIoError, NotesReader};
use crate::pipeline::{StageContext, StageStats};
use crate::shard::{
    CorpusSummary, IdType, MANIFEST_FILE, Manifest, ShardEntry, ShardError, ShardWriter, Split,
    TOKENS_SCHEMA_VERSION, TokenSequence, shard_file_name,
};

/// The tokenizer file written next to the shards.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Hugging Face `tokenizer_config.json` written next to it, so that
/// `AutoTokenizer.from_pretrained(dir)` loads the directory.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// Notes encoded per parallel batch.
const ENCODE_BATCH_NOTES: usize = 256;
/// Text bytes encoded per parallel batch.
const ENCODE_BATCH_BYTES: usize = 8 << 20;

/// Why the tokenize stage failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    /// File-system error.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Reading the notes failed.
    #[error(transparent)]
    Notes(#[from] NotesIoError),
    /// Writing shards failed.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// The tokenizer could not be loaded, trained or used.
    #[error("tokenize: tokenizer {path}: {message}")]
    Tokenizer {
        /// The tokenizer file (or `<trained>`).
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A note could not be encoded.
    #[error("tokenize: note {note_id}: {message}")]
    Encode {
        /// The note (an id, never its text).
        note_id: String,
        /// What went wrong.
        message: String,
    },
    /// No notes to read.
    #[error(
        "tokenize: no notes: set `input`, or put the stage after one that writes notes.parquet"
    )]
    NoNotes,
    /// The configuration cannot work with this tokenizer.
    #[error("tokenize.{field}: {message}")]
    Config {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The completion marker of one unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct UnitMarker {
    job: String,
    unit: u64,
    notes: u64,
    text_bytes: u64,
    first_seq_id: u64,
    next_seq_id: u64,
    shards: Vec<ShardEntry>,
    summary: CorpusSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TokenizerMarker {
    job: String,
    sha256: String,
}

fn unit_marker_path(dir: &Path, unit: u64) -> PathBuf {
    dir.join(format!("_unit-{unit:05}.json"))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// What a unit is doing: skipped (complete from an earlier run) or being
/// written.
enum Unit<'t> {
    Done(Box<UnitMarker>),
    Writing(Box<UnitWriter<'t>>),
}

struct UnitWriter<'t> {
    unit: u64,
    tokenizer: &'t NoteTokenizer,
    sink: UnitSink<'t>,
    pending: Vec<Note>,
    pending_bytes: usize,
    /// Encoded notes waiting to be written while the next batch encodes.
    staged: Option<(Vec<Note>, Vec<EncodedNote>)>,
    notes: u64,
    text_bytes: u64,
}

/// The sequential half of a unit: sequence building and shard writing.
struct UnitSink<'t> {
    writers: Vec<ShardWriter>,
    builder: SequenceBuilder,
    /// Counts per note.
    summary: CorpusSummary,
    /// Counts per sequence.
    seq_summary: CorpusSummary,
    splitter: &'t PatientSplitter,
}

impl UnitSink<'_> {
    fn write(&mut self, notes: &[Note], encoded: &[EncodedNote]) -> Result<(), ShardError> {
        let writers = &mut self.writers;
        let seq_summary = &mut self.seq_summary;
        let summary = &mut self.summary;
        let mut sink = |seq: TokenSequence| -> Result<(), ShardError> {
            seq_summary.add_sequence(
                seq.split,
                &seq.doc_type,
                seq.lang.as_deref(),
                seq.input_ids.len(),
            );
            writers[seq.split.index()].write(seq)
        };
        for (note, enc) in notes.iter().zip(encoded) {
            let split = self.splitter.split_of(&note.patient_id);
            if enc.ids.is_empty() {
                *summary
                    .dropped_notes
                    .entry("empty_text".into())
                    .or_default() += 1;
                continue;
            }
            summary.add_note(split);
            summary.unknown_tokens += enc.unknown;
            let meta = NoteMeta {
                note_id: &note.note_id,
                doc_type: note.doc_type.as_str(),
                lang: note.lang.as_deref(),
                split,
            };
            let pieces = self.builder.add(&meta, enc, &mut sink)?;
            if pieces > 1 {
                summary.chunked_notes += 1;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ShardError> {
        let writers = &mut self.writers;
        let seq_summary = &mut self.seq_summary;
        let mut sink = |seq: TokenSequence| -> Result<(), ShardError> {
            seq_summary.add_sequence(
                seq.split,
                &seq.doc_type,
                seq.lang.as_deref(),
                seq.input_ids.len(),
            );
            writers[seq.split.index()].write(seq)
        };
        self.builder.finish(&mut sink)
    }
}

impl UnitWriter<'_> {
    fn push(&mut self, note: Note) -> Result<(), TokenizeError> {
        self.notes += 1;
        self.text_bytes += note.text.0.len() as u64;
        self.pending_bytes += note.text.0.len();
        self.pending.push(note);
        if self.pending.len() >= ENCODE_BATCH_NOTES || self.pending_bytes >= ENCODE_BATCH_BYTES {
            self.encode_pending()?;
        }
        Ok(())
    }

    /// Encodes the pending notes in parallel while the previous batch is
    /// written (rayon::join), then stages them for the next round. The
    /// write order is the input order whatever the thread count.
    fn encode_pending(&mut self) -> Result<(), TokenizeError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let notes = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let staged = self.staged.take();
        let tokenizer = self.tokenizer;
        let sink = &mut self.sink;
        let (encoded, written) = rayon::join(
            || {
                let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
                tokenizer.encode_many(&texts)
            },
            || match &staged {
                Some((n, e)) => sink.write(n, e),
                None => Ok(()),
            },
        );
        written?;
        let encoded = match encoded {
            Ok(e) => e,
            Err(_) => return Err(encode_error(tokenizer, &notes)),
        };
        self.staged = Some((notes, encoded));
        Ok(())
    }

    fn finish(
        mut self,
        dir: &Path,
        job: &str,
        first_seq_id: u64,
    ) -> Result<UnitMarker, TokenizeError> {
        self.encode_pending()?;
        if let Some((n, e)) = self.staged.take() {
            self.sink.write(&n, &e)?;
        }
        self.sink.finish()?;
        let mut shards = Vec::with_capacity(3);
        let next_seq_id = self.sink.builder.next_seq_id();
        for w in self.sink.writers {
            shards.push(w.finish()?);
        }
        let mut summary = self.sink.summary;
        summary.merge(&self.sink.seq_summary);
        summary.notes_in = self.notes;
        let marker = UnitMarker {
            job: job.to_string(),
            unit: self.unit,
            notes: self.notes,
            text_bytes: self.text_bytes,
            first_seq_id,
            next_seq_id,
            shards,
            summary,
        };
        fsio::write_json_atomic(unit_marker_path(dir, self.unit), &marker)?;
        Ok(marker)
    }
}

/// Names the first note of a batch that fails to encode.
fn encode_error(tokenizer: &NoteTokenizer, notes: &[Note]) -> TokenizeError {
    for n in notes {
        if let Err(message) = tokenizer.encode(n.text.as_str()) {
            return TokenizeError::Encode {
                note_id: n.note_id.clone(),
                message,
            };
        }
    }
    TokenizeError::Encode {
        note_id: String::new(),
        message: "encoding failed".into(),
    }
}

/// A unit from an earlier run is reusable when its marker belongs to this
/// job and every shard it lists is present with its recorded size.
fn completed_unit(dir: &Path, unit: u64, job: &str, first_seq_id: u64) -> Option<UnitMarker> {
    let m: UnitMarker = read_json(&unit_marker_path(dir, unit))?;
    let intact = m.job == job
        && m.unit == unit
        && m.first_seq_id == first_seq_id
        && m.shards.iter().all(|s| {
            std::fs::metadata(dir.join(&s.file))
                .map(|md| md.len() == s.bytes)
                .unwrap_or(false)
        });
    intact.then_some(m)
}

/// Loads, or trains, the tokenizer and writes it into `out_dir`.
fn prepare_tokenizer(
    config: &TokenizeConfig,
    ctx: &StageContext<'_>,
    notes_path: &Path,
    input_job: &str,
    stats: &mut StageStats,
) -> Result<(NoteTokenizer, String), TokenizeError> {
    let out = ctx.out_dir.join(TOKENIZER_FILE);
    let mut tokenizer = match (&config.tokenizer, config.vocab_size) {
        (Some(p), _) => NoteTokenizer::from_file(&ctx.resolve(p))?,
        (None, Some(vocab_size)) => {
            let marker_path = ctx.out_dir.join("_tokenizer.json");
            let marker: Option<TokenizerMarker> = read_json(&marker_path);
            let reusable = marker.filter(|m| {
                m.job == input_job && fsio::sha256_file(&out).ok().as_deref() == Some(&m.sha256)
            });
            if reusable.is_some() {
                stats.count("tokenizer_reused", 1);
                NoteTokenizer::from_file(&out)?
            } else {
                let task = ctx
                    .progress
                    .task("tokenize: training vocabulary", None, "notes");
                let t = train_on_notes(notes_path, vocab_size, config, &task)?;
                let sha256 = t.save(&out)?;
                fsio::write_json_atomic(
                    &marker_path,
                    &TokenizerMarker {
                        job: input_job.to_string(),
                        sha256,
                    },
                )?;
                stats.count("tokenizer_trained", 1);
                t
            }
        }
        (None, None) => {
            return Err(TokenizeError::Config {
                field: "tokenizer",
                message: "give `tokenizer` or `vocab_size`".into(),
            });
        }
    };
    if tokenizer.had_truncation() {
        stats.count("tokenizer_truncation_disabled", 1);
    }
    if let Some(sep) = &config.separator {
        tokenizer
            .set_separator(sep)
            .map_err(|message| TokenizeError::Config {
                field: "separator",
                message,
            })?;
    }
    if config.mode == PackingMode::Packed && tokenizer.specials().separator.is_empty() {
        return Err(TokenizeError::Config {
            field: "separator",
            message: "the tokenizer's post-processor adds no suffix to separate packed notes; set `separator` to a token".into(),
        });
    }
    let sha256 = tokenizer.save(&out)?;
    write_tokenizer_config(ctx.out_dir, &tokenizer, config.max_len)?;
    Ok((tokenizer, sha256))
}

/// Writes a minimal `tokenizer_config.json` naming the special tokens, so
/// that `transformers.AutoTokenizer.from_pretrained(dir)` loads
/// `tokenizer.json` unchanged.
fn write_tokenizer_config(
    dir: &Path,
    tokenizer: &NoteTokenizer,
    max_len: usize,
) -> Result<(), PathError> {
    let mut cfg = serde_json::Map::new();
    cfg.insert("tokenizer_class".into(), "PreTrainedTokenizerFast".into());
    cfg.insert("model_max_length".into(), max_len.into());
    let vocab = tokenizer.inner().get_vocab(true);
    for (key, candidates) in [
        ("unk_token", ["[UNK]", "<unk>"]),
        ("cls_token", ["[CLS]", "<s>"]),
        ("sep_token", ["[SEP]", "</s>"]),
        ("pad_token", ["[PAD]", "<pad>"]),
        ("mask_token", ["[MASK]", "<mask>"]),
    ] {
        if let Some(t) = candidates.iter().find(|t| vocab.contains_key(**t)) {
            cfg.insert(key.into(), (*t).into());
        }
    }
    fsio::write_json_atomic(dir.join(TOKENIZER_CONFIG_FILE), &cfg)
}

fn train_on_notes(
    notes_path: &Path,
    vocab_size: usize,
    config: &TokenizeConfig,
    task: &crate::report::ProgressTask,
) -> Result<NoteTokenizer, TokenizeError> {
    let error: std::sync::Mutex<Option<NotesIoError>> = std::sync::Mutex::new(None);
    let reader = NotesReader::open(notes_path)?;
    let texts = reader
        .map_while(|batch| match batch {
            Ok(b) => Some(b),
            Err(e) => {
                if let Ok(mut slot) = error.lock() {
                    *slot = Some(e);
                }
                None
            }
        })
        .flat_map(|batch| {
            task.inc(batch.len() as u64);
            batch.into_iter().map(|n| n.text.0)
        });
    let trained = NoteTokenizer::train(texts, vocab_size, config.lowercase, config.min_frequency)
        .map_err(|message| TokenizeError::Tokenizer {
            path: "<trained on the notes>".into(),
            message,
        });
    if let Some(e) = error.into_inner().ok().flatten() {
        return Err(e.into());
    }
    trained
}

fn build_splitter(
    config: &TokenizeConfig,
    notes_path: &Path,
) -> Result<PatientSplitter, TokenizeError> {
    if config.split.stratify.is_empty() {
        return Ok(PatientSplitter::new(&config.split));
    }
    let mut strata = Vec::new();
    for batch in NotesReader::open(notes_path)? {
        for n in batch? {
            let key: Vec<&str> = config
                .split
                .stratify
                .iter()
                .map(|k| match k.as_str() {
                    "doc_type" => n.doc_type.as_str(),
                    _ => n.lang.as_deref().unwrap_or("null"),
                })
                .collect();
            strata.push((n.patient_id, key.join("/")));
        }
    }
    Ok(PatientSplitter::stratified(&config.split, strata))
}

/// The notes file the stage reads.
pub fn notes_path(
    config: &TokenizeConfig,
    ctx: &StageContext<'_>,
) -> Result<PathBuf, TokenizeError> {
    match (&config.input, ctx.notes_dir) {
        (Some(p), _) => Ok(ctx.resolve(p)),
        (None, Some(d)) => Ok(d.join(crate::ingest::NOTES_FILE)),
        (None, None) => Err(TokenizeError::NoNotes),
    }
}

/// Runs the stage: writes `tokenizer.json`, the shards and `manifest.json`
/// into `ctx.out_dir`, skipping units completed by an earlier run.
pub fn run_stage(
    config: &TokenizeConfig,
    ctx: &StageContext<'_>,
) -> Result<StageStats, TokenizeError> {
    let mut stats = StageStats::default();
    let notes_path = notes_path(config, ctx)?;
    // A job is this config on this input: markers of another job are stale.
    let input_job = {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(serde_json::to_vec(config).unwrap_or_default());
        h.update(fsio::fingerprint(&notes_path)?.as_bytes());
        fsio::hex(&h.finalize())
    };
    let (tokenizer, tokenizer_sha256) =
        prepare_tokenizer(config, ctx, &notes_path, &input_job, &mut stats)?;
    let job = fsio::hex(&Sha256::digest(format!("{input_job}:{tokenizer_sha256}")));
    let ids = IdType::for_vocab(tokenizer.vocab_size());
    let splitter = build_splitter(config, &notes_path)?;
    let specials = tokenizer.specials().clone();
    if SequenceBuilder::new(config.mode, config.max_len, specials.clone(), 0).is_none() {
        return Err(TokenizeError::Config {
            field: "max_len",
            message: "leaves no room for content after the special tokens".into(),
        });
    }

    let mut reader = NotesReader::open(&notes_path)?;
    let task = ctx.progress.task("tokenize", Some(reader.rows()), "notes");
    let mut markers: Vec<UnitMarker> = Vec::new();
    let mut current: Option<Unit<'_>> = None;
    let mut unit: u64 = 0;
    let mut unit_bytes: u64 = 0;
    let mut next_seq_id: u64 = 0;
    let begin = |unit: u64, first: u64| -> Result<Unit<'_>, TokenizeError> {
        if let Some(m) = completed_unit(ctx.out_dir, unit, &job, first) {
            return Ok(Unit::Done(Box::new(m)));
        }
        let mut writers = Vec::with_capacity(3);
        for split in Split::ALL {
            let n = unit * 3 + split.index() as u64;
            writers.push(ShardWriter::create(
                ctx.out_dir.join(shard_file_name(n)),
                split,
                unit,
                ids,
                config.max_len,
            )?);
        }
        let builder = SequenceBuilder::new(config.mode, config.max_len, specials.clone(), first)
            .ok_or(TokenizeError::Config {
                field: "max_len",
                message: "leaves no room for content".into(),
            })?;
        Ok(Unit::Writing(Box::new(UnitWriter {
            unit,
            tokenizer: &tokenizer,
            sink: UnitSink {
                writers,
                builder,
                summary: CorpusSummary::default(),
                seq_summary: CorpusSummary::default(),
                splitter: &splitter,
            },
            pending: Vec::new(),
            pending_bytes: 0,
            staged: None,
            notes: 0,
            text_bytes: 0,
        })))
    };
    let end_unit =
        |u: Unit<'_>, first: u64, stats: &mut StageStats| -> Result<UnitMarker, TokenizeError> {
            match u {
                Unit::Done(m) => {
                    stats.count("units_resumed", 1);
                    Ok(*m)
                }
                Unit::Writing(w) => {
                    stats.count("units_written", 1);
                    w.finish(ctx.out_dir, &job, first)
                }
            }
        };
    while let Some(batch) = reader.next_batch()? {
        task.inc(batch.len() as u64);
        for note in batch {
            if current.is_none() {
                current = Some(begin(unit, next_seq_id)?);
            }
            let len = note.text.0.len() as u64;
            stats.bytes_in += len;
            unit_bytes += len;
            if let Some(Unit::Writing(w)) = current.as_mut() {
                w.push(note)?;
            }
            if unit_bytes >= config.unit_text_bytes
                && let Some(u) = current.take()
            {
                let m = end_unit(u, next_seq_id, &mut stats)?;
                next_seq_id = m.next_seq_id;
                markers.push(m);
                unit += 1;
                unit_bytes = 0;
            }
        }
    }
    if let Some(u) = current.take() {
        let m = end_unit(u, next_seq_id, &mut stats)?;
        markers.push(m);
    }
    remove_stale(ctx.out_dir, &markers)?;

    let mut summary = CorpusSummary::default();
    let mut shards = Vec::new();
    for m in &markers {
        summary.merge(&m.summary);
        shards.extend(m.shards.iter().cloned());
    }
    let manifest = Manifest {
        schema_version: TOKENS_SCHEMA_VERSION.to_string(),
        norclin_version: env!("CARGO_PKG_VERSION").to_string(),
        tokenizer_file: TOKENIZER_FILE.to_string(),
        tokenizer_sha256,
        vocab_size: tokenizer.vocab_size(),
        dtype: ids,
        max_len: config.max_len,
        mode: config.mode.as_str().to_string(),
        seed: config.split.seed,
        split_rule: splitter.rule().clone(),
        special_tokens: specials,
        shards,
        summary,
    };
    manifest.save(ctx.out_dir)?;

    let s = &manifest.summary;
    // Rows are notes: every note read is either tokenized or dropped with
    // a reason (sequences are counted separately).
    stats.rows_in = s.notes_in;
    stats.rows_out = s.splits.values().map(|c| c.notes).sum();
    for (reason, n) in &s.dropped_notes {
        stats.quarantine(reason, *n);
    }
    stats.bytes_out = manifest.shards.iter().map(|s| s.bytes).sum();
    stats.count("sequences", s.total_sequences());
    stats.count("tokens", s.total_tokens());
    stats.count("chunked_notes", s.chunked_notes);
    stats.count("unknown_tokens", s.unknown_tokens);
    stats.count("shards", manifest.shards.len() as u64);
    for (reason, n) in &s.dropped_notes {
        stats.count(&format!("dropped_notes.{reason}"), *n);
    }
    for (reason, n) in &s.dropped_tokens {
        stats.count(&format!("dropped_tokens.{reason}"), *n);
    }
    for (split, c) in &s.splits {
        stats.count(&format!("tokens.{split}"), c.tokens);
    }
    stats.details = serde_json::to_value(s).unwrap_or_default();
    Ok(stats)
}

/// Removes shards and unit markers left by an earlier run that this run
/// does not list (a run over fewer notes, or another config).
fn remove_stale(dir: &Path, markers: &[UnitMarker]) -> Result<(), PathError> {
    let keep: std::collections::HashSet<String> = markers
        .iter()
        .flat_map(|m| {
            m.shards
                .iter()
                .map(|s| s.file.clone())
                .chain(std::iter::once(format!("_unit-{:05}.json", m.unit)))
        })
        .collect();
    let entries = std::fs::read_dir(dir).map_err(|e| PathError::new("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| PathError::new("listing", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = (name.starts_with("shard-") && name.ends_with(".parquet"))
            || (name.starts_with("_unit-") && name.ends_with(".json"));
        if ours && !keep.contains(&name) {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(|e| PathError::new("removing", &p, e))?;
        }
    }
    let _ = MANIFEST_FILE;
    Ok(())
}
