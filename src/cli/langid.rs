//! `norclin langid` and `norclin langid eval`.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rayon::prelude::*;

use norclin::fsio::AtomicFile;
use norclin::langid::eval::{evaluate, parse_gold};
use norclin::langid::{Labelled, LabelsOf, Langid, LangidConfig, Tally, labels_line};
use norclin::notes::NotesReader;

use super::{Context, EXIT_OK, UsageError};

/// Arguments of `norclin langid` (tagging) and its `eval` subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LangidArgs {
    #[command(subcommand)]
    command: Option<LangidCommand>,
    #[command(flatten)]
    tag: TagArgs,
}

#[derive(Debug, Subcommand)]
enum LangidCommand {
    /// Score the identifier against gold labels: accuracy per label,
    /// confusion matrix and throughput (MB/s on one thread).
    ///
    /// Gold files are TSV, `label<TAB>text` per line; labels are nob, nno,
    /// mixed, unknown, other, or swe/dan/eng (which count as `other`).
    /// `\n` in a text stands for a line break.
    Eval(EvalArgs),
}

/// Tagging flags.
#[derive(Debug, Args)]
struct TagArgs {
    /// Notes to tag: JSONL (`note_id`, `text`) or Parquet (notes schema);
    /// with --lines, a plain-text file with one text per line (`-` = stdin).
    #[arg(long, short = 'i', value_name = "PATH")]
    input: Option<PathBuf>,
    /// Where to write one JSON line per note (`-` = stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Plain-text input: one text per line, one JSON line out per line
    /// (with `line`, 1-based, instead of `note_id`).
    #[arg(long)]
    lines: bool,
    /// Input format (default: by extension; .parquet/.pq is Parquet).
    #[arg(long, value_parser = ["jsonl", "parquet"])]
    format: Option<String>,
    /// JSON key of the note id in JSONL input.
    #[arg(long, default_value = "note_id", value_name = "KEY")]
    id_key: String,
    /// JSON key of the text in JSONL input.
    #[arg(long, default_value = "text", value_name = "KEY")]
    text_key: String,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// Gold TSV files (`label<TAB>text`).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    gold: Vec<PathBuf>,
    /// Classify the set this many times for a steadier throughput figure.
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: usize,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

const BATCH: usize = 2048;

/// Runs `norclin langid` or `norclin langid eval`.
pub fn run(args: LangidArgs, ctx: &Context) -> anyhow::Result<u8> {
    let langid = Langid::new(LangidConfig::default()).context("loading the langid model")?;
    match args.command {
        Some(LangidCommand::Eval(e)) => eval(e, &langid),
        None => tag(args.tag, &langid, ctx),
    }
}

fn eval(args: EvalArgs, langid: &Langid) -> anyhow::Result<u8> {
    for path in &args.gold {
        let content = std::fs::read_to_string(path)
            .with_context(|| format!("reading gold file {}", path.display()))?;
        let items = parse_gold(&content, &path.display().to_string())
            .map_err(|e| UsageError(e.to_string()))?;
        let report = evaluate(langid, &items, args.repeat);
        if args.json {
            println!(
                "{}",
                serde_json::json!({"gold": path.display().to_string(), "report": report})
            );
        } else {
            println!("== {} ({} examples)", path.display(), items.len());
            print!("{}", report.render());
        }
    }
    Ok(EXIT_OK)
}

/// A unit of input, read but not yet parsed: parsing, classifying and
/// rendering run on the worker threads.
enum Item {
    /// A note read from Parquet.
    Note {
        id: String,
        doc_type: &'static str,
        text: String,
    },
    /// A JSONL line and its 1-based number.
    Json(u64, String),
    /// A plain-text line (`--lines`) and its 1-based number.
    Text(u64, String),
}

/// An item classified: its doc type, labels, and output line.
struct Tagged {
    doc_type: &'static str,
    labelled: Labelled,
    line: Vec<u8>,
}

/// Most input bytes held in one batch (besides [`BATCH`] items).
const BATCH_BYTES: usize = 64 << 20;

fn tag(args: TagArgs, langid: &Langid, ctx: &Context) -> anyhow::Result<u8> {
    let input = args.input.clone().ok_or_else(|| {
        UsageError("`norclin langid` needs --input (or the `eval` subcommand)".into())
    })?;
    let out = args
        .out
        .clone()
        .ok_or_else(|| UsageError("`norclin langid` needs --out FILE (`-` for stdout)".into()))?;
    let mut sink = if out == Path::new("-") {
        Sink::Stdout(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        Sink::File(AtomicFile::create(&out)?)
    };
    let parquet = match args.format.as_deref() {
        Some(f) => f == "parquet",
        None => input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq")),
    };
    if args.lines && parquet {
        return Err(UsageError("--lines reads plain text, not Parquet".into()).into());
    }
    let task = ctx.progress.task("langid", None, "notes");
    let mut tally = Tally::default();
    let mut emit = |batch: Vec<Item>, sink: &mut dyn Write| -> anyhow::Result<()> {
        let tagged: Vec<Result<Tagged, (u64, String)>> = batch
            .par_iter()
            .map(|item| tag_item(item, langid, &args.id_key, &args.text_key))
            .collect();
        for t in tagged {
            let t = t.map_err(|(n, m)| UsageError(format!("{}:{n}: {m}", input.display())))?;
            tally.count(t.doc_type, &t.labelled);
            sink.write_all(&t.line)?;
        }
        task.inc(batch.len() as u64);
        Ok(())
    };
    if parquet {
        let mut reader = NotesReader::open(&input)?;
        while let Some(notes) = reader.next_batch()? {
            let batch = notes
                .into_iter()
                .map(|n| Item::Note {
                    id: n.note_id,
                    doc_type: n.doc_type.as_str(),
                    text: n.text.0,
                })
                .collect();
            emit(batch, &mut sink)?;
        }
    } else {
        let reader: Box<dyn BufRead> = if input == Path::new("-") {
            Box::new(BufReader::new(std::io::stdin().lock()))
        } else {
            Box::new(BufReader::with_capacity(
                1 << 20,
                File::open(&input).with_context(|| format!("opening {}", input.display()))?,
            ))
        };
        let mut batch = Vec::with_capacity(BATCH);
        let mut bytes = 0;
        for (i, line) in reader.lines().enumerate() {
            let n = i as u64 + 1;
            let line = line.with_context(|| format!("{}:{n}: reading", input.display()))?;
            bytes += line.len();
            if args.lines {
                batch.push(Item::Text(n, line));
            } else if !line.trim().is_empty() {
                batch.push(Item::Json(n, line));
            }
            if batch.len() == BATCH || bytes >= BATCH_BYTES {
                emit(std::mem::take(&mut batch), &mut sink)?;
                bytes = 0;
            }
        }
        emit(batch, &mut sink)?;
    }
    sink.flush()?;
    if let Sink::File(f) = sink {
        f.commit()?;
    }
    let total: u64 = tally.by_label.values().sum();
    let mix: Vec<String> = tally
        .by_label
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    eprintln!("langid: {total} notes: {}", mix.join(", "));
    Ok(EXIT_OK)
}

/// Parses (JSONL), classifies and renders one item; a JSONL line that
/// cannot be read gives its number and why (never its text).
fn tag_item(
    item: &Item,
    langid: &Langid,
    id_key: &str,
    text_key: &str,
) -> Result<Tagged, (u64, String)> {
    let parsed;
    let (of, doc_type, text) = match item {
        Item::Note { id, doc_type, text } => (LabelsOf::Note(id), *doc_type, text.as_str()),
        Item::Json(n, raw) => {
            parsed = parse_note_line(raw, id_key, text_key).map_err(|m| (*n, m))?;
            let (id, doc_type, text) = &parsed;
            (LabelsOf::Note(id), *doc_type, text.as_str())
        }
        Item::Text(n, text) => (LabelsOf::Line(*n), "other", text.as_str()),
    };
    let labelled = langid.classify(text);
    let line = labels_line(of, &labelled);
    Ok(Tagged {
        doc_type,
        labelled,
        line,
    })
}

/// Where tagged lines go: stdout, or a file that appears only when complete.
enum Sink<'a> {
    Stdout(std::io::BufWriter<std::io::StdoutLock<'a>>),
    File(AtomicFile),
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File(w) => w.flush(),
        }
    }
}

/// Reads `note_id`, `doc_type` and `text` of one JSONL line (errors never
/// quote the text).
fn parse_note_line(
    line: &str,
    id_key: &str,
    text_key: &str,
) -> Result<(String, &'static str, String), String> {
    let mut v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => "not a JSON object".to_string(),
            _ => format!("not JSON ({})", e.classify_name()),
        })?;
    let text = match v.remove(text_key) {
        Some(serde_json::Value::String(s)) => s,
        _ => return Err(format!("missing string `{text_key}`")),
    };
    let id = match v.remove(id_key) {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        // The text's own key: the text is its id.
        None if id_key == text_key => text.clone(),
        _ => return Err(format!("missing string `{id_key}`")),
    };
    let doc_type = v
        .get("doc_type")
        .and_then(|d| d.as_str())
        .and_then(norclin::notes::DocType::parse)
        .unwrap_or(norclin::notes::DocType::Other)
        .as_str();
    Ok((id, doc_type, text))
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "wrong data type",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}
