//! `norclin tokenize`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use norclin::ingest::{IngestConfig, NOTES_FILE};
use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};
use norclin::shard::MANIFEST_FILE;
use norclin::tokenize::{PackingMode, TokenizeConfig};

use super::{Context, EXIT_OK, UsageError, invalid_arguments};

/// Arguments of `norclin tokenize`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("vocab").required(true).args(["tokenizer", "vocab_size"])))]
pub struct TokenizeArgs {
    /// Notes to tokenize: a notes.parquet (canonical schema) or a JSONL file
    /// of notes (read through ingest first).
    #[arg(long, short = 'i', value_name = "PATH")]
    pub input: PathBuf,
    /// Output folder: shard-NNNNN.parquet, manifest.json, tokenizer.json,
    /// report.json. Rerunning into the same folder redoes only what is missing.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A Hugging Face tokenizer.json to use (NB-BERT, NorBERT3, ModernBERT…).
    #[arg(long, value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,
    /// Train a WordPiece vocabulary of N entries on the notes instead.
    #[arg(long, value_name = "N")]
    pub vocab_size: Option<usize>,
    /// Lower-case when training a vocabulary (accents are always kept).
    #[arg(long)]
    pub lowercase: bool,
    /// Longest sequence in tokens, special tokens included (128–8192).
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_len: usize,
    /// `note`: each note alone, chunked; `packed`: notes concatenated.
    #[arg(long, default_value = "note", value_parser = ["note", "packed"])]
    pub mode: String,
    /// Token between packed notes (default: the post-processor's suffix).
    #[arg(long, value_name = "TOKEN")]
    pub separator: Option<String>,
    /// Seed (key) of the patient split hash.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Train, validation and test fractions of patients.
    #[arg(long, default_value = "0.9,0.05,0.05", value_name = "T,V,T")]
    pub ratios: String,
    /// Stratify the split by `doc_type`, `lang` or both (comma-separated).
    #[arg(long, value_name = "KEYS")]
    pub stratify: Option<String>,
    /// Note text per unit of work in MiB (one shard per split per unit;
    /// a rerun redoes only unfinished units).
    #[arg(long, default_value_t = 256.0, value_name = "MIB")]
    pub unit_mib: f64,
}

/// Runs tokenize into `--out`.
pub fn run(args: TokenizeArgs, ctx: &Context) -> anyhow::Result<u8> {
    let mut config = match (&args.tokenizer, args.vocab_size) {
        (Some(t), _) => TokenizeConfig::with_tokenizer(t),
        (None, Some(v)) => TokenizeConfig::with_vocab_size(v),
        (None, None) => {
            return Err(UsageError("give --tokenizer FILE or --vocab-size N".into()).into());
        }
    };
    config.lowercase = args.lowercase;
    config.max_len = args.max_len;
    config.mode = if args.mode == "packed" {
        PackingMode::Packed
    } else {
        PackingMode::Note
    };
    config.separator = args.separator.clone();
    config.split.seed = args.seed;
    let ratios: Vec<f64> = args
        .ratios
        .split(',')
        .map(|r| r.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| UsageError(format!("--ratios {}: expected three numbers", args.ratios)))?;
    let [train, validation, test] = ratios[..] else {
        return Err(UsageError(format!("--ratios {}: expected three numbers", args.ratios)).into());
    };
    config.split.train = train;
    config.split.validation = validation;
    config.split.test = test;
    if let Some(s) = &args.stratify {
        config.split.stratify = s.split(',').map(|k| k.trim().to_string()).collect();
    }
    if args.unit_mib.is_nan() || args.unit_mib <= 0.0 {
        return Err(UsageError("--unit-mib must be greater than 0".into()).into());
    }
    config.unit_text_bytes = ((args.unit_mib * 1_048_576.0) as u64).max(1);
    if !args.input.is_file() {
        return Err(UsageError(format!("--input {} does not exist", args.input.display())).into());
    }

    let opts = RunOptions::new(ctx.progress.clone());
    let is_parquet = args
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
    config.input = Some(if is_parquet {
        args.input.clone()
    } else {
        // JSONL (or CSV) notes go through ingest into a hidden folder first.
        let dir = args.out.join("_input");
        let mut ingest: IngestConfig =
            toml::from_str("inputs = []").context("default ingest config")?;
        ingest.inputs = vec![args.input.clone()];
        let outcome = run_single_stage(
            &StageConfig::Ingest(ingest),
            "norclin tokenize (ingest)",
            Path::new("."),
            &dir,
            None,
            &opts,
        )?;
        let s = &outcome.report.stages[0].stats;
        if s.rows_quarantined() > 0 {
            println!(
                "ingest: {} rows quarantined (see {})",
                s.rows_quarantined(),
                dir.join("quarantine.jsonl").display()
            );
        }
        dir.join(NOTES_FILE)
    });

    invalid_arguments("tokenize", config.check(Path::new(".")))?;
    let outcome = run_single_stage(
        &StageConfig::Tokenize(config),
        "norclin tokenize",
        Path::new("."),
        &args.out,
        None,
        &opts,
    )?;
    let s = &outcome.report.stages[0].stats;
    let c = |k: &str| s.counters.get(k).copied().unwrap_or(0);
    println!(
        "tokenize: {} notes in, {} sequences, {} tokens (train {}, validation {}, test {}) in {} shards",
        s.rows_in,
        c("sequences"),
        c("tokens"),
        c("tokens.train"),
        c("tokens.validation"),
        c("tokens.test"),
        c("shards"),
    );
    println!(
        "  chunked notes {}, unknown tokens {}, units written {}, units resumed {}",
        c("chunked_notes"),
        c("unknown_tokens"),
        c("units_written"),
        c("units_resumed")
    );
    for (k, v) in s.counters.iter().filter(|(k, _)| k.starts_with("dropped_")) {
        println!("  {k}: {v}");
    }
    println!("manifest: {}", args.out.join(MANIFEST_FILE).display());
    println!("report: {}", outcome.report_json.display());
    Ok(EXIT_OK)
}
