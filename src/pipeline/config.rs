//! Pipeline files: loading, and validation that reports every error at once.
//!
//! A pipeline file is TOML:
//!
//! ```toml
//! version = 1
//! run_dir = "../runs/demo"     # relative paths resolve against this file's folder
//!
//! [[stages]]
//! type = "ingest"
//! inputs = ["../fixtures/notes.jsonl"]
//! ```
//!
//! Every stage is a tagged config (`type = "…"`) whose fields are checked
//! with `deny_unknown_fields`. [`Pipeline::load`] collects all problems —
//! syntax, unknown or missing fields, wrong types, missing files, rules that
//! do not compile — and returns them together, each naming the stage, the
//! field and the line.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::stages::{STAGE_TYPES, StageConfig};

/// The pipeline-file format version this build reads.
pub const PIPELINE_VERSION: u32 = 1;

/// The demo pipeline, embedded in the binary (`pipelines/demo.toml`).
pub const DEMO_PIPELINE: &str = include_str!("../../pipelines/demo.toml");

/// The parsed contents of a pipeline file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Format version; must be 1.
    pub version: u32,
    /// Run directory (relative to the pipeline file's folder).
    pub run_dir: PathBuf,
    /// Stages in execution order.
    pub stages: Vec<StageConfig>,
}

/// A loaded, validated pipeline.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The configuration.
    pub config: PipelineConfig,
    /// Where it came from (a path, or `<embedded demo>`).
    pub origin: String,
    /// Folder relative paths are resolved against.
    pub base_dir: PathBuf,
}

/// One problem found in a pipeline file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// The pipeline file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Stage index and type (`None` for top-level fields).
    pub stage: Option<(usize, String)>,
    /// Dotted field path inside the stage or file.
    pub field: String,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        match (&self.stage, self.field.is_empty()) {
            (Some((i, kind)), true) => write!(f, ": stages[{i}] ({kind})")?,
            (Some((i, kind)), false) => write!(f, ": stages[{i}] ({kind}).{}", self.field)?,
            (None, false) => write!(f, ": {}", self.field)?,
            (None, true) => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a pipeline file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigIssue>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} error{} in pipeline file:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, issue) in self.0.iter().enumerate() {
            if i + 1 < n {
                writeln!(f, "  {issue}")?;
            } else {
                write!(f, "  {issue}")?;
            }
        }
        Ok(())
    }
}

/// A problem a stage config found in itself (files, rules, value ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldIssue {
    /// Dotted field path inside the stage.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FieldIssue {
    /// Builds an issue.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldIssue {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Pipeline {
    /// Loads and validates the pipeline file at `path`.
    pub fn load(path: &Path) -> Result<Pipeline, ConfigErrors> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigIssue {
                file: origin.clone(),
                line: None,
                stage: None,
                field: String::new(),
                message: format!("cannot read pipeline file: {e}"),
            }])
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Self::parse(&text, &origin, base)
    }

    /// The embedded demo pipeline, resolved as if it were
    /// `./pipelines/demo.toml` (so it runs from the repository root).
    pub fn demo() -> Result<Pipeline, ConfigErrors> {
        Self::parse(
            DEMO_PIPELINE,
            "<embedded pipelines/demo.toml>",
            Path::new("pipelines"),
        )
    }

    /// Parses and validates pipeline text; `base_dir` resolves relative paths.
    pub fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Pipeline, ConfigErrors> {
        let lines = LineIndex::new(text);
        let issue =
            |line, stage: Option<(usize, String)>, field: &str, message: String| ConfigIssue {
                file: origin.to_string(),
                line,
                stage,
                field: field.to_string(),
                message,
            };
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let e: toml::de::Error = e;
                let line = e.span().map(|s| lines.line_of_offset(s.start));
                return Err(ConfigErrors(vec![issue(
                    line,
                    None,
                    "",
                    format!("TOML syntax: {}", e.message()),
                )]));
            }
        };

        let mut issues = Vec::new();
        for key in table.keys() {
            if !["version", "run_dir", "stages"].contains(&key.as_str()) {
                issues.push(issue(
                    lines.top_level_key(key),
                    None,
                    key,
                    "unknown field; expected one of `version`, `run_dir`, `stages`".into(),
                ));
            }
        }
        let version = match table.get("version") {
            None => {
                issues.push(issue(
                    None,
                    None,
                    "version",
                    "missing field (write `version = 1`)".into(),
                ));
                None
            }
            Some(toml::Value::Integer(v)) if *v == i64::from(PIPELINE_VERSION) => {
                Some(PIPELINE_VERSION)
            }
            Some(v) => {
                issues.push(issue(
                    lines.top_level_key("version"),
                    None,
                    "version",
                    format!("unsupported version {v}; this build reads version {PIPELINE_VERSION}"),
                ));
                None
            }
        };
        let run_dir = match table.get("run_dir") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(PathBuf::from(s)),
            Some(_) => {
                issues.push(issue(
                    lines.top_level_key("run_dir"),
                    None,
                    "run_dir",
                    "must be a non-empty path string".into(),
                ));
                None
            }
            None => {
                issues.push(issue(
                    None,
                    None,
                    "run_dir",
                    "missing field (the folder the run writes to)".into(),
                ));
                None
            }
        };

        let mut stages = Vec::new();
        match table.get("stages") {
            None => issues.push(issue(
                None,
                None,
                "stages",
                "missing: add at least one [[stages]] table".into(),
            )),
            Some(toml::Value::Array(items)) if items.is_empty() => issues.push(issue(
                None,
                None,
                "stages",
                "empty: add at least one [[stages]] table".into(),
            )),
            Some(toml::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match parse_stage(i, item, base_dir) {
                        Ok(stage) => stages.push(stage),
                        Err(found) => {
                            for (kind, field, message) in found {
                                let line = lines.stage_field(i, &field);
                                issues.push(issue(line, Some((i, kind)), &field, message));
                            }
                        }
                    }
                }
            }
            Some(_) => issues.push(issue(
                lines.top_level_key("stages"),
                None,
                "stages",
                "must be an array of tables ([[stages]])".into(),
            )),
        }

        match (version, run_dir, issues.is_empty()) {
            (Some(version), Some(run_dir), true) => Ok(Pipeline {
                config: PipelineConfig {
                    version,
                    run_dir,
                    stages,
                },
                origin: origin.to_string(),
                base_dir: base_dir.to_path_buf(),
            }),
            _ => Err(ConfigErrors(issues)),
        }
    }

    /// The run directory, resolved.
    pub fn run_dir(&self) -> PathBuf {
        super::stage::resolve(&self.base_dir, &self.config.run_dir)
    }
}

type StageIssues = Vec<(String, String, String)>;

fn parse_stage(
    index: usize,
    item: &toml::Value,
    base_dir: &Path,
) -> Result<StageConfig, StageIssues> {
    let _ = index;
    let Some(table) = item.as_table() else {
        return Err(vec![(
            "?".into(),
            String::new(),
            "a stage must be a table".into(),
        )]);
    };
    let kind = match table.get("type") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => return Err(vec![("?".into(), "type".into(), "must be a string".into())]),
        None => {
            return Err(vec![(
                "?".into(),
                "type".into(),
                format!("missing; one of {}", quoted(STAGE_TYPES)),
            )]);
        }
    };
    if !STAGE_TYPES.contains(&kind.as_str()) {
        let message = format!(
            "unknown stage type `{kind}`; available: {}",
            quoted(STAGE_TYPES)
        );
        return Err(vec![(kind, "type".into(), message)]);
    }
    let (config, mut found) = deserialize_collecting::<StageConfig>(table.clone());
    let mut found: StageIssues = found
        .drain(..)
        .map(|(field, message)| (kind.clone(), field, message))
        .collect();
    if let Some(config) = &config {
        for FieldIssue { field, message } in config.check(base_dir) {
            found.push((kind.clone(), field, message));
        }
    }
    match config {
        Some(c) if found.is_empty() => Ok(c),
        _ => Err(found),
    }
}

/// Deserialises `table` into `T`, collecting as many field errors as serde
/// reveals: an offending field is removed and deserialisation retried, so
/// several mistakes in one table are all reported. Returns the value built
/// without the offending fields (when one could be built) and the errors.
fn deserialize_collecting<T: DeserializeOwned>(
    mut table: toml::Table,
) -> (Option<T>, Vec<(String, String)>) {
    let mut issues: Vec<(String, String)> = Vec::new();
    let mut removed: BTreeSet<String> = BTreeSet::new();
    for _ in 0..64 {
        let err = match T::deserialize(toml::Value::Table(table.clone())) {
            Ok(v) => return (Some(v), issues),
            Err(e) => e,
        };
        let message = err.message().trim().to_string();
        if let Some(field) = backticked_after(&message, "unknown field") {
            issues.push((field.clone(), strip_expected(&message)));
            if table.remove(&field).is_none() || !removed.insert(field) {
                return (None, issues);
            }
            continue;
        }
        if let Some(field) = backticked_after(&message, "missing field") {
            if !removed.contains(&field) {
                issues.push((field, "missing field".into()));
            }
            return (None, issues);
        }
        // A wrong value somewhere: find the key whose removal changes the error.
        let culprit = table.keys().filter(|k| k.as_str() != "type").find(|k| {
            let mut probe = table.clone();
            probe.remove(k.as_str());
            match T::deserialize(toml::Value::Table(probe)) {
                Ok(_) => true,
                Err(e) => e.message().trim() != message,
            }
        });
        match culprit.cloned() {
            Some(field) => {
                issues.push((field.clone(), message));
                table.remove(&field);
                removed.insert(field);
            }
            None => {
                issues.push((String::new(), message));
                return (None, issues);
            }
        }
    }
    (None, issues)
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    let start = rest.find('`')? + 1;
    let end = rest[start..].find('`')? + start;
    Some(rest[start..end].to_string())
}

fn strip_expected(message: &str) -> String {
    match message.find(", expected") {
        Some(i) => format!("unknown field;{}", &message[i + 1..]),
        None => message.to_string(),
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds line numbers for fields in pipeline text.
struct LineIndex<'a> {
    lines: Vec<&'a str>,
    offsets: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut offsets = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                offsets.push(i + 1);
            }
        }
        LineIndex {
            lines: text.lines().collect(),
            offsets,
        }
    }

    fn line_of_offset(&self, offset: usize) -> usize {
        match self.offsets.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn is_header(line: &str) -> bool {
        line.trim_start().starts_with('[')
    }

    fn key_of(line: &str) -> Option<&str> {
        let t = line.trim_start();
        if t.starts_with('#') || t.starts_with('[') {
            return None;
        }
        Some(t.split('=').next()?.trim().trim_matches('"'))
    }

    fn top_level_key(&self, key: &str) -> Option<usize> {
        for (i, line) in self.lines.iter().enumerate() {
            if Self::is_header(line) {
                return None;
            }
            if Self::key_of(line) == Some(key) {
                return Some(i + 1);
            }
        }
        None
    }

    /// Line of `field` (dotted) inside the `index`-th `[[stages]]` table.
    fn stage_field(&self, index: usize, field: &str) -> Option<usize> {
        let mut seen = 0usize;
        let mut start = None;
        for (i, line) in self.lines.iter().enumerate() {
            let t = line.trim();
            if t.replace(' ', "") == "[[stages]]" {
                if seen == index {
                    start = Some(i);
                } else if start.is_some() {
                    break;
                }
                seen += 1;
                continue;
            }
            let Some(s) = start else { continue };
            let _ = s;
            let t_nospace = t.replace(' ', "");
            if Self::is_header(t) && !t_nospace.starts_with("[stages.") {
                break;
            }
            let first = field.split('.').next().unwrap_or(field);
            if t_nospace == format!("[stages.{first}]") {
                return Some(i + 1);
            }
            if Self::key_of(line) == Some(first) {
                return Some(i + 1);
            }
        }
        start.map(|s| s + 1)
    }
}
