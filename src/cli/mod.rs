//! Command-line front end: parses arguments, sets up logging and threads,
//! builds the library objects once and hands off. The only place (with
//! `main.rs`) that uses `anyhow`.

mod audit;
mod deid;
mod evaluate;
mod ingest;
mod langid;
mod merge;
mod pretrain;
mod report;
mod run;
mod synth;
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
/// Exit code: the audit found release blockers.
pub const EXIT_BLOCKERS: u8 = 3;
/// Exit status after standard output was closed by its reader (as after
/// SIGPIPE: 128 + 13).
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Ends the process quietly when `info` is the standard library's panic
/// on writing to a closed pipe (`println!` into `| head`); returns for any
/// other panic.
pub fn exit_on_broken_pipe(info: &std::panic::PanicHookInfo<'_>) {
    let message = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())
        .unwrap_or("");
    if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
        std::process::exit(EXIT_BROKEN_PIPE);
    }
}

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
#[command(subcommand_required = false, arg_required_else_help = true)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// Print the notices and licence texts of the code and the data
    /// compiled into this binary, and exit (like --version).
    #[arg(long)]
    licenses: bool,
    #[command(subcommand)]
    command: Option<Command>,
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
    /// keyed surrogates.
    ///
    /// Reads notes (JSONL or Parquet) and writes DIR/notes.jsonl and
    /// DIR/notes.parquet (de-identified; note and patient ids pseudonymised,
    /// written_at shifted), DIR/spans.jsonl and DIR/spans.parquet (one record
    /// per identifier: character offsets into the original text, label, rule,
    /// action, surrogate; never the original string) and DIR/summary.json.
    /// Needs a key: --key-file FILE or NORCLIN_KEY_FILE.
    /// `norclin deid eval` scores spans against gold (token and entity level).
    Deid(deid::DeidArgs),
    /// Tag notes and paragraphs as bokmål, nynorsk, mixed, other (Swedish,
    /// Danish, English) or unknown; `langid eval` scores against gold labels.
    ///
    /// `norclin langid --input notes.jsonl|notes.parquet --out langid.jsonl`
    /// writes one JSON line per note: note_id, lang, other (ISO code when
    /// lang is `other` and the language was recognised), score (0–1), and
    /// paragraphs (blocks separated by blank lines) with start/end character
    /// offsets, lang, other and score. `--lines` tags a plain-text file, one
    /// text per line. `norclin langid eval --gold FILE` prints accuracy per
    /// label, the confusion matrix and throughput.
    Langid(langid::LangidArgs),
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
    /// release blockers.
    ///
    /// Scans the released text with its own detectors (fødselsnummer/D/H
    /// numbers outside the synthetic range, phones, e-mails, postcodes with
    /// places, dates the shifter did not produce, gazetteer names in
    /// person-like context), searches every registered identifier (any case,
    /// spacing, punctuation, genitive), ranks rare tokens, scores gold
    /// annotations, and writes DIR/audit.json (every figure) and
    /// DIR/audit.html (the sign-off page, with a stratified review sample).
    /// Previews are masked; no original identifier is printed or stored.
    Audit(audit::AuditArgs),
    /// Generate a synthetic Norwegian clinical corpus with gold PHI annotations.
    ///
    /// Writes DIR/notes.jsonl (note_id, patient_id, doc_type, written_at,
    /// department, lang, text: the ingest input shape), DIR/gold.jsonl (PHI
    /// spans as Unicode character offsets with DESIGN.md labels),
    /// DIR/gold_inline.jsonl (text with <LABEL>…</LABEL> tags),
    /// DIR/register.csv (patient_id,kind,value: the patients' identifiers
    /// for register-aware de-identification), DIR/negatives.jsonl (hard
    /// negatives: eponyms, lab abbreviations, name-like words, dosage
    /// schedules) and DIR/synth.json (config and counts).
    ///
    /// Six doc types in bokmål and nynorsk (and mixed), patients with several
    /// notes and a consistent identity, identifiers in the surface forms
    /// clinicians write. Fødselsnummer and D-numbers are valid-checksum
    /// numbers in the synthetic Tenor range (month + 80): never a real person.
    /// Output is byte-identical for a seed whatever --threads.
    ///
    /// Example: norclin synth --notes 10000 --seed 7 --out corpus/
    Synth(synth::SynthArgs),
    /// Merge the ranks of a scaled-out run into one report, checking that
    /// nothing is missing or duplicated.
    ///
    /// Reads RUN_DIR/rank-RRRRR-of-WWWWW/: every rank must be present and
    /// complete with the same configs, and note ids unique across ranks.
    /// Writes RUN_DIR/report.json, report.md and merged.json.
    Merge(merge::MergeArgs),
    /// Print the report of a run directory or output folder.
    ///
    /// Reads DIR/report.json and prints it as Markdown (default) or JSON.
    Report(report::ReportArgs),
}

/// A usage or configuration problem (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Turns a stage config's problems into one usage error (exit 2) that
/// lists them all as `stage.field: message`.
pub fn invalid_arguments(
    stage: &str,
    issues: Vec<norclin::pipeline::FieldIssue>,
) -> Result<(), UsageError> {
    if issues.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = issues
        .iter()
        .map(|i| format!("  {stage}.{}: {}", i.field, i.message))
        .collect();
    Err(UsageError(format!(
        "invalid arguments:\n{}",
        lines.join("\n")
    )))
}

/// What a verb needs from the global flags.
pub struct Context {
    /// Progress display.
    pub progress: Progress,
}

/// Parses arguments, runs the verb, maps errors to exit codes.
pub fn main() -> ExitCode {
    // `norclin report … | head`: a reader that stops early ends the run
    // quietly, as it would end `cat` (status 141, as after SIGPIPE).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        exit_on_broken_pipe(info);
        default_hook(info);
    }));
    let cli = Cli::parse();
    if cli.licenses {
        return print_licenses();
    }
    let command = match cli.command {
        Some(command) => command,
        None => {
            use clap::CommandFactory;
            Cli::command()
                .error(
                    clap::error::ErrorKind::MissingSubcommand,
                    "a verb is required",
                )
                .exit()
        }
    };
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
    let result = match command {
        Command::Run(a) => run::run(a, &ctx),
        Command::Validate(a) => run::validate(a),
        Command::Ingest(a) => ingest::run(a, &ctx),
        Command::Deid(a) => deid::run(a, &ctx),
        Command::Langid(a) => langid::run(a, &ctx),
        Command::Tokenize(a) => tokenize::run(a, &ctx),
        Command::Pretrain(a) => pretrain::run(a, &ctx),
        Command::Evaluate(a) => evaluate::run(a, &ctx),
        Command::Audit(a) => audit::run(a, &ctx),
        Command::Synth(a) => synth::run(a, &ctx),
        Command::Merge(a) => merge::run(a),
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
    let blocked = e.chain().any(|c| {
        matches!(
            c.downcast_ref::<norclin::audit::AuditError>(),
            Some(norclin::audit::AuditError::Blocked { .. })
        )
    });
    if usage {
        EXIT_USAGE
    } else if blocked {
        EXIT_BLOCKERS
    } else {
        EXIT_FAILED
    }
}

/// `norclin --licenses`: every notice and licence text, to standard output.
fn print_licenses() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match norclin::notice::write_all(&mut out).and_then(|()| std::io::Write::flush(&mut out)) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::from(EXIT_BROKEN_PIPE as u8)
        }
        Err(e) => {
            eprintln!("error: cannot write the notices: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
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
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}
