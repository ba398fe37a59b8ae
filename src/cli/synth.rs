//! `norclin synth`.

use std::path::PathBuf;

use clap::Args;

use norclin::synth::{Generator, Split, SynthConfig, SynthError};

use super::{Context, EXIT_OK, UsageError};

/// Arguments of `norclin synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of notes to generate (patients get 1–10 notes each).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub notes: u64,
    /// Seed: the same seed and flags give byte-identical output, whatever --threads.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Which part of the patterns and name lists to draw from: `train`, or
    /// `heldout` (one entry in five of every name list and pattern pool;
    /// held-out names never occur in train) to evaluate detectors on names
    /// and sentence patterns they were not tuned on.
    #[arg(long, value_parser = ["train", "heldout"], default_value = "train")]
    pub split: String,
    /// Share of notes in nynorsk (the rest bokmål or mixed).
    #[arg(long, value_name = "SHARE", default_value_t = 0.15)]
    pub nynorsk_share: f64,
    /// Share of notes mixing bokmål and nynorsk sections (`lang` = `mixed`).
    #[arg(long, value_name = "SHARE", default_value_t = 0.03)]
    pub mixed_share: f64,
    /// Share of notes written entirely in lower case.
    #[arg(long, value_name = "SHARE", default_value_t = 0.015)]
    pub lowercase_share: f64,
    /// Share of sections written in upper case.
    #[arg(long, value_name = "SHARE", default_value_t = 0.02)]
    pub uppercase_section_share: f64,
    /// Do not write negatives.jsonl.
    #[arg(long)]
    pub no_negatives: bool,
    /// Notes per parallel chunk (bounds memory; never changes the output).
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub chunk_notes: usize,
}

/// Generates the corpus into `--out` and prints a one-line summary.
pub fn run(args: SynthArgs, ctx: &Context) -> anyhow::Result<u8> {
    let config = SynthConfig {
        seed: args.seed,
        notes: args.notes,
        split: if args.split == "heldout" {
            Split::Heldout
        } else {
            Split::Train
        },
        nynorsk_share: args.nynorsk_share,
        mixed_share: args.mixed_share,
        lowercase_share: args.lowercase_share,
        uppercase_section_share: args.uppercase_section_share,
        negatives: !args.no_negatives,
        chunk_notes: args.chunk_notes,
    };
    let generator = match Generator::new(config) {
        Ok(g) => g,
        Err(SynthError::Config(problems)) => {
            return Err(
                UsageError(format!("invalid arguments:\n  {}", problems.join("\n  "))).into(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let stats = generator.write(&args.out, &ctx.progress)?;
    let spans: u64 = stats.spans.values().sum();
    tracing::info!(
        "synth: {} notes, {} patients, {:.1} MB text, {} PHI spans in {:.2} s ({:.1} MB/s) → {}",
        stats.notes,
        stats.patients,
        stats.text_bytes as f64 / 1e6,
        spans,
        stats.seconds,
        stats.text_mb_per_s,
        args.out.display()
    );
    Ok(EXIT_OK)
}
