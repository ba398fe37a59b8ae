//! `norclin synth`: a synthetic Norwegian clinical corpus with gold PHI
//! annotations, at any scale.
//!
//! Every note is a pure function of `(seed, note index)` and every patient
//! of `(seed, patient index)`, so output never depends on the thread count;
//! notes are generated in ordered parallel chunks and streamed to disk, so
//! memory stays flat however many notes are asked for.
//!
//! ```no_run
//! use norclin::synth::{Generator, SynthConfig};
//! let generator = Generator::new(SynthConfig { notes: 100, ..SynthConfig::default() })?;
//! for note in generator.notes().take(3) {
//!     for span in &note.spans {
//!         let _surface: String = note.text.chars().skip(span.start).take(span.end - span.start).collect();
//!     }
//! }
//! # Ok::<(), norclin::synth::SynthError>(())
//! ```
//!
//! Output files (see `rules/synth/README.md` for the annotation guide):
//! `notes.jsonl`, `gold.jsonl`, `gold_inline.jsonl`, `register.csv`,
//! `negatives.jsonl` and `synth.json` (config and counts, no PHI).

mod builder;
mod compose;
mod config;
pub mod ids;
mod pattern;
mod people;
mod resources;
mod rng;
mod writer;

pub use builder::{Label, Negative, Span};
pub use compose::SynthNote;
pub use config::{Split, SynthConfig};
pub use pattern::{NEGATIVE_KINDS, PatternError};
pub use people::{Patient, patient};
pub use resources::{ResourceError, Resources};
pub use writer::{SynthStats, render_inline};

use std::path::Path;

use crate::fsio::PathError;
use crate::report::Progress;

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The configuration is invalid (every problem listed).
    #[error("invalid synth config:\n  {}", .0.join("\n  "))]
    Config(Vec<String>),
    /// A data file in `rules/` is malformed.
    #[error(transparent)]
    Resources(#[from] ResourceError),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] PathError),
}

/// Which note of which patient a corpus position holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteSlot {
    /// Corpus position (0-based).
    pub index: u64,
    /// Patient (0-based).
    pub patient: u64,
    /// Which of the patient's notes (0-based).
    pub ordinal: u32,
}

/// Walks the corpus positions in order, assigning each patient a run of
/// consecutive notes (their count derived from `(seed, patient)`).
#[derive(Clone, Debug)]
pub struct Assignment {
    seed: u64,
    index: u64,
    patient: u64,
    ordinal: u32,
    count: u32,
}

impl Assignment {
    /// Starts at note 0.
    pub fn new(seed: u64) -> Assignment {
        Assignment {
            seed,
            index: 0,
            patient: 0,
            ordinal: 0,
            count: people::note_count(seed, 0),
        }
    }
}

impl Iterator for Assignment {
    type Item = NoteSlot;

    fn next(&mut self) -> Option<NoteSlot> {
        if self.ordinal >= self.count {
            self.patient += 1;
            self.ordinal = 0;
            self.count = people::note_count(self.seed, self.patient);
        }
        let slot = NoteSlot {
            index: self.index,
            patient: self.patient,
            ordinal: self.ordinal,
        };
        self.index += 1;
        self.ordinal += 1;
        Some(slot)
    }
}

/// A corpus generator: resources loaded once, notes made on demand.
#[derive(Debug)]
pub struct Generator {
    config: SynthConfig,
    resources: Resources,
    clinicians: Vec<people::Clinician>,
}

impl Generator {
    /// Checks the config and loads the resources of its split.
    pub fn new(config: SynthConfig) -> Result<Generator, SynthError> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(SynthError::Config(problems));
        }
        let resources = Resources::load(config.split)?;
        let clinicians = (0..people::CLINICIANS)
            .map(|i| people::clinician(config.seed, i, &resources))
            .collect();
        Ok(Generator {
            config,
            resources,
            clinicians,
        })
    }

    /// The config.
    pub fn config(&self) -> &SynthConfig {
        &self.config
    }

    /// The patient of a slot.
    pub fn patient(&self, slot: NoteSlot) -> Patient {
        people::patient(self.config.seed, slot.patient, &self.resources)
    }

    /// The note at `slot` (with the patient it belongs to).
    pub fn note_with_patient(&self, slot: NoteSlot) -> (SynthNote, Patient) {
        let pt = self.patient(slot);
        let note = self.note_of(slot, &pt);
        (note, pt)
    }

    /// The note at `slot`, for its already generated patient.
    pub fn note_of(&self, slot: NoteSlot, pt: &Patient) -> SynthNote {
        compose::compose(
            &self.config,
            &self.resources,
            slot.index,
            slot.patient,
            slot.ordinal,
            pt,
            &self.clinicians,
        )
    }

    /// The first `config.notes` notes, in order, one at a time.
    pub fn notes(&self) -> impl Iterator<Item = SynthNote> + '_ {
        Assignment::new(self.config.seed)
            .take(self.config.notes as usize)
            .map(|slot| self.note_with_patient(slot).0)
    }

    /// Writes the corpus into `out` (see the module docs for the files).
    pub fn write(&self, out: &Path, progress: &Progress) -> Result<SynthStats, SynthError> {
        writer::write_corpus(self, out, progress)
    }
}
