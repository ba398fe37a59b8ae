//! `norclin audit`.

use std::path::{Path, PathBuf};

use clap::Args;

use norclin::audit::{AuditConfig, Detector, Severity};
use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};

use super::{Context, EXIT_BLOCKERS, EXIT_OK, UsageError, invalid_arguments};

/// Arguments of `norclin audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to audit: a deid output folder (notes.parquet or notes.jsonl,
    /// with spans.jsonl), a notes.jsonl or a notes.parquet.
    #[arg(long, short = 'i', value_name = "DEID_DIR|FILE")]
    pub input: PathBuf,
    /// Output folder (audit.json, audit.html, report.json, report.md).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Identifier register (CSV `patient_id,kind,value`, as deid accepts).
    #[arg(long, value_name = "CSV")]
    pub register: Option<PathBuf>,
    /// Gold annotations: JSONL with `spans` ({start,end,label}, characters)
    /// or with `text` in inline tags (`<PERSON_FIRST>Kari</PERSON_FIRST>`).
    #[arg(long, value_name = "JSONL")]
    pub gold: Option<PathBuf>,
    /// The original notes (JSONL or Parquet): finds unshifted dates and
    /// gives token-level gold scores their text.
    #[arg(long, value_name = "FILE")]
    pub original: Option<PathBuf>,
    /// Span file (default: spans.jsonl beside the notes).
    #[arg(long, value_name = "JSONL")]
    pub spans: Option<PathBuf>,
    /// Notes in the review sample of audit.html.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub sample: usize,
    /// Seed of the review sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Rare means seen for fewer than K patients.
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub rare_k: usize,
    /// Leaks the manual review of the sample found (for the leak-rate bound).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub review_leaks: u64,
    /// Severities that block the release (default: critical).
    #[arg(long = "block-severity", value_name = "SEVERITY", value_parser = ["critical", "high", "medium", "low"])]
    pub block_severities: Vec<String>,
    /// Detectors whose every finding blocks (e.g. `email`, `phone`).
    #[arg(long = "block-detector", value_name = "DETECTOR")]
    pub block_detectors: Vec<String>,
}

fn parse_enum<T: serde::de::DeserializeOwned>(flag: &str, v: &str) -> Result<T, UsageError> {
    serde_json::from_value(serde_json::Value::String(v.to_string()))
        .map_err(|_| UsageError(format!("{flag}: unknown value `{v}`")))
}

/// Runs the audit into `--out`; exit code 3 when release blockers are found.
pub fn run(args: AuditArgs, ctx: &Context) -> anyhow::Result<u8> {
    let mut config = AuditConfig {
        input: Some(args.input),
        spans: args.spans,
        register: args.register,
        gold: args.gold,
        original: args.original,
        sample: args.sample,
        seed: args.seed,
        review_leaks: args.review_leaks,
        gate: false,
        ..AuditConfig::default()
    };
    config.rare.k = args.rare_k;
    if !args.block_severities.is_empty() {
        config.blockers.severities = args
            .block_severities
            .iter()
            .map(|s| parse_enum::<Severity>("--block-severity", s))
            .collect::<Result<_, _>>()?;
    }
    for d in &args.block_detectors {
        config
            .blockers
            .detectors
            .push(parse_enum::<Detector>("--block-detector", d)?);
    }
    invalid_arguments("audit", config.check(Path::new(".")))?;
    let opts = RunOptions::new(ctx.progress.clone());
    let outcome = run_single_stage(
        &StageConfig::Audit(config),
        "norclin audit",
        Path::new("."),
        &args.out,
        None,
        &opts,
    )?;
    let s = &outcome.report.stages[0].stats;
    let blockers = s.counters.get("blockers").copied().unwrap_or(0);
    println!(
        "audit: {} notes, {} release blocker(s){}",
        s.rows_in,
        blockers,
        if blockers == 0 { ": clean" } else { "" }
    );
    for (name, n) in &s.counters {
        if let Some(detector) = name.strip_prefix("findings.") {
            println!("  findings {detector}: {n}");
        }
    }
    println!(
        "report: {}",
        args.out.join(norclin::audit::AUDIT_HTML).display()
    );
    println!(
        "figures: {}",
        args.out.join(norclin::audit::AUDIT_JSON).display()
    );
    Ok(if blockers > 0 { EXIT_BLOCKERS } else { EXIT_OK })
}
