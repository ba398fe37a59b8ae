//! `norclin deid` and `norclin deid eval`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};

use norclin::deid::eval::{self, GoldFormat, LabelMap};
use norclin::deid::{Action, DeidConfig, Label, Scope};
use norclin::pipeline::{RunOptions, StageConfig, run_single_stage};

use super::{Context, EXIT_OK, UsageError, invalid_arguments};

/// Arguments of `norclin deid`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DeidArgs {
    #[command(subcommand)]
    command: Option<DeidCommand>,
    /// Notes to de-identify: JSONL (`{"note_id","patient_id","text",…}` per
    /// line) or notes Parquet.
    #[arg(long, short = 'i', value_name = "FILE")]
    input: Option<PathBuf>,
    /// Output folder: notes.jsonl, notes.parquet, spans.jsonl,
    /// spans.parquet, summary.json, report.json.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Secret key file (at least 16 bytes), or set NORCLIN_KEY_FILE.
    #[arg(long, value_name = "FILE", env = "NORCLIN_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Patient register CSV (header `patient_id,kind,value`).
    #[arg(long, value_name = "CSV")]
    register: Option<PathBuf>,
    /// A TOML file with deid stage settings (policy, scope, gazetteers, rules).
    #[arg(long, value_name = "TOML")]
    config: Option<PathBuf>,
    /// Consistency scope of surrogates: note, patient (default) or corpus.
    #[arg(long, value_parser = ["note", "patient", "corpus"])]
    scope: Option<String>,
    /// Action for a label, e.g. `--policy AGE=keep --policy CARE_UNIT=redact`.
    #[arg(long = "policy", value_name = "LABEL=ACTION")]
    policy: Vec<String>,
    /// Use the PUBLIC built-in demo key (synthetic demo data only).
    #[arg(long)]
    demo_key: bool,
}

#[derive(Debug, Subcommand)]
enum DeidCommand {
    /// Score predicted spans against gold: token-level and entity-level
    /// (strict, overlap) precision, recall, F1 and F2 per label and overall.
    Eval(EvalArgs),
}

/// Arguments of `norclin deid eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Gold annotations.
    #[arg(long, value_name = "FILE")]
    gold: PathBuf,
    /// Gold format.
    #[arg(long, value_parser = ["inline-tags", "jsonl"], default_value = "jsonl")]
    format: String,
    /// Label map (TOML: `GoldLabel = "DESIGN_LABEL"` or `"IGNORE"`).
    #[arg(long, value_name = "TOML")]
    labels: Option<PathBuf>,
    /// Predictions: a deid output folder or a spans.jsonl file.
    #[arg(long, value_name = "DIR_OR_SPANS")]
    pred: PathBuf,
    /// Original notes (JSONL) for token-level scores when the gold has no text.
    #[arg(long, value_name = "FILE")]
    notes: Option<PathBuf>,
    /// Where to write the JSON report (default: eval.json beside the predictions).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// Runs `norclin deid` or `norclin deid eval`.
pub fn run(args: DeidArgs, ctx: &Context) -> anyhow::Result<u8> {
    // A panic message could quote note text (a slicing error shows the
    // string): report only where it happened.
    std::panic::set_hook(Box::new(|info| {
        super::exit_on_broken_pipe(info);
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error in norclin deid at {at} (message withheld: it may quote note text)"
        );
    }));
    if let Some(DeidCommand::Eval(e)) = args.command {
        return run_eval(e);
    }
    let input = args
        .input
        .ok_or_else(|| UsageError("norclin deid: --input FILE is required".into()))?;
    let out = args
        .out
        .ok_or_else(|| UsageError("norclin deid: --out DIR is required".into()))?;
    let mut config: DeidConfig = match &args.config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str(&text).map_err(|e| UsageError(format!("{}: {e}", p.display())))?
        }
        None => DeidConfig::default(),
    };
    config.input = Some(input);
    if args.register.is_some() {
        config.register = args.register;
    }
    if args.demo_key {
        config.demo_key = true;
    }
    if let Some(s) = args.scope.as_deref() {
        config.scope = match s {
            "note" => Scope::Note,
            "corpus" => Scope::Corpus,
            _ => Scope::Patient,
        };
    }
    for p in &args.policy {
        let (label, action) = p
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--policy {p}: expected LABEL=ACTION")))?;
        let label = label.trim().to_uppercase();
        if Label::parse(&label).is_none() {
            return Err(UsageError(format!("--policy: unknown label `{label}`")).into());
        }
        let action = match action.trim() {
            "surrogate" => Action::Surrogate,
            "redact" => Action::Redact,
            "keep" => Action::Keep,
            other => {
                return Err(UsageError(format!(
                    "--policy: unknown action `{other}` (surrogate, redact, keep)"
                ))
                .into());
            }
        };
        config.policy.insert(label, action);
    }
    let base = match &args.config {
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::from("."),
    };
    invalid_arguments("deid", config.check(&base))?;
    if args.key_file.is_none() && config.key_file.is_none() && !config.demo_key {
        return Err(UsageError(norclin::deid::DeidError::NoKey.to_string()).into());
    }
    let opts = RunOptions {
        key_file: args.key_file,
        ..RunOptions::new(ctx.progress.clone())
    };
    let outcome = run_single_stage(
        &StageConfig::Deid(config),
        "norclin deid",
        &base,
        &out,
        None,
        &opts,
    )?;
    let s = &outcome.report.stages[0].stats;
    println!(
        "deid: {} notes, {} identifiers replaced",
        s.rows_out,
        s.counters.get("phi_spans").copied().unwrap_or(0)
    );
    for (name, n) in &s.counters {
        if let Some(label) = name.strip_prefix("phi.") {
            println!("  {label:<16} {n}");
        }
    }
    println!("output: {}", out.display());
    println!("report: {}", outcome.report_json.display());
    Ok(EXIT_OK)
}

fn run_eval(a: EvalArgs) -> anyhow::Result<u8> {
    let map = match &a.labels {
        Some(p) => LabelMap::load(p)?,
        None => LabelMap::new(Default::default()),
    };
    let format = if a.format == "inline-tags" {
        GoldFormat::InlineTags
    } else {
        GoldFormat::Jsonl
    };
    let mut gold = eval::load_gold(&a.gold, format, &map)?;
    if let Some(notes) = &a.notes {
        for n in norclin::deid::read_jsonl_notes(notes)? {
            if let Some(g) = gold.get_mut(&n.note_id)
                && g.text.is_none()
            {
                g.text = Some(n.text.0);
            }
        }
    }
    let pred = eval::load_pred(&a.pred)?;
    let report = eval::evaluate(&gold, &pred);
    print!("{}", eval::render(&report));
    if report.token.is_none() {
        println!("\n(token level skipped: the gold has no text; pass --notes FILE)");
    }
    let json = a.json.unwrap_or_else(|| {
        if a.pred.is_dir() {
            a.pred.join("eval.json")
        } else {
            a.pred.with_extension("eval.json")
        }
    });
    norclin::fsio::write_json_atomic(&json, &report)?;
    println!("\nwritten: {}", json.display());
    Ok(EXIT_OK)
}
