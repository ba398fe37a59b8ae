//! Command-line front end: parses arguments, sets up logging and threads,
//! builds the library objects once and hands off. The only place (with
//! `main.rs`) that uses `anyhow`.

mod evaluate;
mod ingest;
mod planned;
mod pretrain;
mod report;
mod run;
mod tokenize;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use norclin::report::Progress;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: the run failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage or configuration error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the audit found release blockers (reserved for `audit`).
#[allow(dead_code)]
pub const EXIT_BLOCKERS: u8 = 3;

/// norclin prepares Norwegian clinical notes for language-model training:
/// ingest, pseudonymise, tag bokmål/nynorsk, tokenize into Parquet shards,
/// and train and evaluate BERT models. One offline binary.
#[derive(Debug, Parser)]
#[command(
    name = "norclin",
    version,
    about = "Prepare Norwegian clinical notes for language-model training",
    long_about = "norclin prepares Norwegian clinical notes for language-model training, offline:\n\
ingest (JSONL, CSV, Parquet, .txt folders) → de-identify → tag bokmål/nynorsk → tokenize into\n\
Parquet shards → pre-train and evaluate BERT models.\n\n\
Start with `norclin run pipelines/demo.toml` (or plain `norclin run`, the embedded demo).\n\n\
Exit codes: 0 ok, 1 run failed, 2 usage or configuration error, 3 audit found release blockers."
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags every verb accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Worker threads (default: all cores). Output never depends on it.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (-q warnings only, -qq errors only); hides progress bars.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline file (default: the embedded demo pipeline).
    ///
    /// Executes the stages in order into the run directory, skipping stages
    /// whose completion marker matches their config and inputs, resuming
    /// interrupted ones, and writes report.json and report.md.
    Run(run::RunArgs),
    /// Check pipeline files without running them; reports every error at once.
    ///
    /// Loads each file, every rule file and schema it references, and prints
    /// all problems, each naming the file, line, stage and field.
    Validate(run::ValidateArgs),
    /// Read JSONL, CSV, Parquet or .txt folders into canonical notes.
    ///
    /// Writes DIR/notes.parquet (schemas/notes.v1.json), DIR/quarantine.jsonl
    /// (every rejected row with its file:line and reason) and DIR/report.json.
    Ingest(ingest::IngestArgs),
    /// De-identify notes: detect identifiers and replace them with consistent
    /// keyed surrogates (not yet available in this build).
    ///
    /// Will read notes (JSONL or Parquet) and write de-identified notes and
    /// span files (JSONL and Parquet); `deid eval` will score against gold.
    Deid(planned::PlannedArgs),
    /// Tag notes and paragraphs as bokmål, nynorsk, mixed, other or unknown
    /// (not yet available in this build).
    Langid(planned::PlannedArgs),
    /// Tokenize notes into Parquet training shards split by patient.
    ///
    /// Uses a Hugging Face tokenizer.json (--tokenizer) or trains a WordPiece
    /// vocabulary on the notes (--vocab-size; accents kept). Writes
    /// DIR/shard-NNNNN.parquet (schemas/tokens.v1.json, one split each),
    /// DIR/manifest.json (tokenizer hash, dtype, split rule, per-shard rows,
    /// tokens and SHA-256), DIR/tokenizer.json and DIR/report.json. Patients
    /// never cross splits; long notes are chunked, never truncated; a rerun
    /// skips completed units.
    Tokenize(tokenize::TokenizeArgs),
    /// Pre-train or continue pre-training a BERT masked-LM from shards.
    ///
    /// Reads the train split of a shard directory (seeded shuffle), masks
    /// (dynamic, whole-word or span, with a rate schedule), trains with AdamW
    /// (warmup + linear/cosine decay, accumulation, clipping) and writes
    /// HF-compatible checkpoints (config.json, model.safetensors,
    /// tokenizer.json, trainer_state/) every N steps, the final model in
    /// OUT/model, metrics.jsonl and loss.svg. Rerunning into the same folder
    /// resumes exactly from the latest checkpoint.
    Pretrain(pretrain::PretrainArgs),
    /// Evaluate checkpoints: masked-LM loss, perplexity and accuracy on a
    /// split of a shard directory, several models side by side.
    ///
    /// Every model is scored on the same masked positions (fixed seed);
    /// with --classify FILE each is also fine-tuned on labelled notes and
    /// scored on held-out patients (accuracy, macro-F1, several seeds
    /// averaged); with --ner FILE, fine-tuned as a token tagger on
    /// span-annotated notes and scored per label at entity level (P/R/F1).
    /// Writes OUT/evaluation.json and OUT/evaluation.md.
    Evaluate(evaluate::EvaluateArgs),
    /// Audit a de-identified corpus for residual identifiers; exit code 3 on
    /// release blockers (not yet available in this build).
    Audit(planned::PlannedArgs),
    /// Generate a synthetic Norwegian clinical corpus with gold PHI
    /// annotations (not yet available in this build).
    Synth(planned::PlannedArgs),
    /// Merge the outputs of ranks of a scaled-out run into one manifest and
    /// report (not yet available in this build).
    Merge(planned::PlannedArgs),
    /// Print the report of a run directory or output folder.
    ///
    /// Reads DIR/report.json and prints it as Markdown (default) or JSON.
    Report(report::ReportArgs),
}

/// A usage or configuration problem (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What a verb needs from the global flags.
pub struct Context {
    /// Progress display.
    pub progress: Progress,
}

/// Parses arguments, runs the verb, maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    if let Some(n) = cli.global.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build_global()
    {
        eprintln!("error: cannot start {n} threads: {e}");
        return ExitCode::from(EXIT_FAILED);
    }
    let ctx = Context {
        progress: Progress::detect(cli.global.quiet > 0),
    };
    let result = match cli.command {
        Command::Run(a) => run::run(a, &ctx),
        Command::Validate(a) => run::validate(a),
        Command::Ingest(a) => ingest::run(a, &ctx),
        Command::Deid(a) => planned::run("deid", a),
        Command::Langid(a) => planned::run("langid", a),
        Command::Tokenize(a) => tokenize::run(a, &ctx),
        Command::Pretrain(a) => pretrain::run(a, &ctx),
        Command::Evaluate(a) => evaluate::run(a, &ctx),
        Command::Audit(a) => planned::run("audit", a),
        Command::Synth(a) => planned::run("synth", a),
        Command::Merge(a) => planned::run("merge", a),
        Command::Report(a) => report::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code_for(&e))
        }
    }
}

fn exit_code_for(e: &anyhow::Error) -> u8 {
    let usage = e
        .chain()
        .any(|c| c.is::<UsageError>() || c.is::<norclin::pipeline::ConfigErrors>());
    if usage { EXIT_USAGE } else { EXIT_FAILED }
}

fn init_logging(g: &GlobalArgs) {
    let level = match (g.verbose, g.quiet) {
        (0, 0) => "info",
        (1, 0) => "debug",
        (_, 0) => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
