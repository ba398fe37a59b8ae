//! Scoring predicted spans against gold: token-level and entity-level
//! (strict and overlap) precision, recall, F1 and F2, per label and
//! overall.
//!
//! Gold comes as JSONL spans (`{"note_id", "text"?, "spans": [{"start",
//! "end", "label"}]}` per note, or one `{"note_id", "start", "end",
//! "label"}` per line; character offsets) or as inline tags
//! (`{"note_id", "text": "… <First_Name>Ulrik</First_Name> …"}` per line,
//! or plain lines of tagged text). A label map (TOML `GoldLabel =
//! "DESIGN_LABEL"`, or `"IGNORE"`) renames gold labels. Overall figures
//! ignore the label (any identifier vs none); per-label figures need the
//! label to agree.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Evaluation failures (never quote note text).
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A line is invalid.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// Gold formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoldFormat {
    /// Inline tags.
    InlineTags,
    /// JSONL spans.
    Jsonl,
}

/// A labelled span in characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    /// Start (characters).
    pub start: usize,
    /// End (characters, exclusive).
    pub end: usize,
    /// Label (after mapping).
    pub label: String,
}

/// Gold for one note.
#[derive(Clone, Debug, Default)]
pub struct GoldNote {
    /// Note text (needed for token-level scores).
    pub text: Option<String>,
    /// Gold spans.
    pub spans: Vec<Span>,
}

/// Built-in mapping of common gold label names onto DESIGN labels.
const DEFAULT_MAP: &[(&str, &str)] = &[
    ("First_Name", "PERSON_FIRST"),
    ("Last_Name", "PERSON_LAST"),
    ("Full_Name", "PERSON_LAST"),
    ("Name", "PERSON_LAST"),
    ("Person", "PERSON_LAST"),
    ("Age", "AGE"),
    ("Phone_Number", "PHONE"),
    ("Phone", "PHONE"),
    ("Email", "EMAIL"),
    ("E_Mail", "EMAIL"),
    ("Url", "URL"),
    ("URL", "URL"),
    ("Location", "LOCATION"),
    ("Address", "ADDRESS"),
    ("Street", "ADDRESS"),
    ("Postcode", "POSTCODE"),
    ("Zip", "POSTCODE"),
    ("Health_Care_Unit", "CARE_UNIT"),
    ("Care_Unit", "CARE_UNIT"),
    ("Hospital", "CARE_UNIT"),
    ("Organization", "ORGANISATION"),
    ("Organisation", "ORGANISATION"),
    ("Date_Part", "DATE"),
    ("Full_Date", "DATE"),
    ("Date", "DATE"),
    ("Social_Security_Number", "NATIONAL_ID"),
    ("National_Id", "NATIONAL_ID"),
    ("Fnr", "NATIONAL_ID"),
    ("Hpr_Number", "HPR_NUMBER"),
    ("Org_Number", "ORG_NUMBER"),
    ("Account_Number", "ACCOUNT_NUMBER"),
    ("Record_Number", "RECORD_NUMBER"),
    ("Other_Id", "OTHER_ID"),
];

/// A gold → DESIGN label mapping.
#[derive(Clone, Debug)]
pub struct LabelMap(HashMap<String, String>);

impl LabelMap {
    /// The built-in map, overridden by `extra`.
    pub fn new(extra: BTreeMap<String, String>) -> LabelMap {
        let mut m: HashMap<String, String> = DEFAULT_MAP
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        m.extend(extra);
        LabelMap(m)
    }

    /// Loads a TOML map file on top of the built-in one.
    pub fn load(path: &Path) -> Result<LabelMap, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let extra: BTreeMap<String, String> =
            toml::from_str(&text).map_err(|e| EvalError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(LabelMap::new(extra))
    }

    /// Maps a gold label; `None` when it is ignored.
    pub fn map(&self, label: &str) -> Option<String> {
        let m = self
            .0
            .get(label)
            .cloned()
            .unwrap_or_else(|| label.to_uppercase());
        (m != "IGNORE").then_some(m)
    }
}

/// Strips inline tags; returns the plain text and spans in characters.
pub fn parse_inline(tagged: &str, map: &LabelMap) -> Result<(String, Vec<Span>), String> {
    let mut text = String::with_capacity(tagged.len());
    let mut chars = 0usize;
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut spans = Vec::new();
    let mut rest = tagged;
    while let Some(i) = rest.find('<') {
        let before = &rest[..i];
        text.push_str(before);
        chars += before.chars().count();
        let after = &rest[i..];
        let close = after.find('>');
        let tag = close.map(|j| &after[1..j]);
        let is_tag = tag.is_some_and(|t| {
            let name = t.strip_prefix('/').unwrap_or(t);
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        match (is_tag, tag, close) {
            (true, Some(t), Some(j)) => {
                if let Some(name) = t.strip_prefix('/') {
                    let pos = open
                        .iter()
                        .rposition(|(n, _)| n == name)
                        .ok_or_else(|| format!("closing tag </{name}> without an opening tag"))?;
                    let (n, start) = open.remove(pos);
                    if let Some(label) = map.map(&n) {
                        spans.push(Span {
                            start,
                            end: chars,
                            label,
                        });
                    }
                } else {
                    open.push((t.to_string(), chars));
                }
                rest = &after[j + 1..];
            }
            _ => {
                text.push('<');
                chars += 1;
                rest = &after[1..];
            }
        }
    }
    text.push_str(rest);
    if let Some((n, _)) = open.first() {
        return Err(format!("tag <{n}> is never closed"));
    }
    spans.sort();
    Ok((text, spans))
}

#[derive(Deserialize)]
struct JsonSpan {
    start: usize,
    end: usize,
    label: String,
}

#[derive(Deserialize)]
struct JsonGoldLine {
    note_id: serde_json::Value,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    inline: Option<String>,
    #[serde(default)]
    spans: Option<Vec<JsonSpan>>,
    #[serde(default)]
    start: Option<usize>,
    #[serde(default)]
    end: Option<usize>,
    #[serde(default)]
    label: Option<String>,
}

fn id_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn read(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|e| EvalError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Loads gold annotations, keyed by note id.
pub fn load_gold(
    path: &Path,
    format: GoldFormat,
    map: &LabelMap,
) -> Result<BTreeMap<String, GoldNote>, EvalError> {
    let text = read(path)?;
    let mut out: BTreeMap<String, GoldNote> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let err = |message: String| EvalError::Line {
            path: path.to_path_buf(),
            line: n,
            message,
        };
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        match format {
            GoldFormat::InlineTags => {
                let (id, tagged) = if l.starts_with('{') {
                    let j: JsonGoldLine = serde_json::from_str(l)
                        .map_err(|e| err(format!("invalid JSON at column {}", e.column())))?;
                    let t = j
                        .inline
                        .or(j.text)
                        .ok_or_else(|| err("no `text` or `inline` field".into()))?;
                    (id_of(&j.note_id), t)
                } else {
                    (n.to_string(), line.to_string())
                };
                let (plain, spans) = parse_inline(&tagged, map).map_err(err)?;
                let g = out.entry(id).or_default();
                g.text = Some(plain);
                g.spans.extend(spans);
            }
            GoldFormat::Jsonl => {
                let j: JsonGoldLine = serde_json::from_str(l)
                    .map_err(|e| err(format!("invalid JSON at column {}", e.column())))?;
                let g = out.entry(id_of(&j.note_id)).or_default();
                if let Some(t) = j.text {
                    g.text = Some(t);
                }
                if let Some(spans) = j.spans {
                    for s in spans {
                        if let Some(label) = map.map(&s.label) {
                            g.spans.push(Span {
                                start: s.start,
                                end: s.end,
                                label,
                            });
                        }
                    }
                }
                if let (Some(start), Some(end), Some(label)) = (j.start, j.end, j.label)
                    && let Some(label) = map.map(&label)
                {
                    g.spans.push(Span { start, end, label });
                }
            }
        }
    }
    for g in out.values_mut() {
        g.spans.sort();
    }
    Ok(out)
}

/// Loads predicted spans (`spans.jsonl`, or a folder holding one).
pub fn load_pred(path: &Path) -> Result<BTreeMap<String, Vec<Span>>, EvalError> {
    let file = if path.is_dir() {
        path.join(super::SPANS_JSONL)
    } else {
        path.to_path_buf()
    };
    let text = read(&file)?;
    let mut out: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let j: JsonGoldLine = serde_json::from_str(l).map_err(|e| EvalError::Line {
            path: file.clone(),
            line: i as u64 + 1,
            message: format!("invalid JSON at column {}", e.column()),
        })?;
        let (Some(start), Some(end), Some(label)) = (j.start, j.end, j.label) else {
            return Err(EvalError::Line {
                path: file.clone(),
                line: i as u64 + 1,
                message: "a span needs start, end and label".into(),
            });
        };
        out.entry(id_of(&j.note_id))
            .or_default()
            .push(Span { start, end, label });
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// Counts and scores.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives.
    pub fn_: u64,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// F2 (recall weighted).
    pub f2: f64,
}

impl Score {
    fn finish(&mut self) {
        let (tp, fp, fn_) = (self.tp as f64, self.fp as f64, self.fn_ as f64);
        self.precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 1.0 };
        self.recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 1.0 };
        let f = |b: f64| {
            let (p, r) = (self.precision, self.recall);
            if p + r == 0.0 {
                0.0
            } else {
                (1.0 + b * b) * p * r / (b * b * p + r)
            }
        };
        self.f1 = f(1.0);
        self.f2 = f(2.0);
    }
}

/// Scores at one level, per label and overall.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Level {
    /// Label-agnostic (any identifier vs none).
    pub overall: Score,
    /// Per label (labels must agree).
    pub per_label: BTreeMap<String, Score>,
}

impl Level {
    fn finish(&mut self) {
        self.overall.finish();
        for s in self.per_label.values_mut() {
            s.finish();
        }
    }
}

/// The full report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// Notes in the gold.
    pub gold_notes: usize,
    /// Gold notes without any predicted span.
    pub notes_without_predictions: usize,
    /// Token level (tokens are runs of letters and digits); `None`
    /// without gold text.
    pub token: Option<Level>,
    /// Entity level, exact boundaries.
    pub entity_strict: Level,
    /// Entity level, any overlap.
    pub entity_overlap: Level,
}

fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut n = 0;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(n);
            }
        } else if let Some(s) = start.take() {
            out.push((s, n));
        }
        n += 1;
    }
    if let Some(s) = start {
        out.push((s, n));
    }
    out
}

fn label_at(spans: &[Span], tok: (usize, usize)) -> Option<&str> {
    spans
        .iter()
        .find(|s| s.start < tok.1 && tok.0 < s.end)
        .map(|s| s.label.as_str())
}

/// Scores `pred` against `gold`.
pub fn evaluate(
    gold: &BTreeMap<String, GoldNote>,
    pred: &BTreeMap<String, Vec<Span>>,
) -> EvalReport {
    let mut r = EvalReport {
        gold_notes: gold.len(),
        ..Default::default()
    };
    let has_text = gold.values().all(|g| g.text.is_some()) && !gold.is_empty();
    let mut token = Level::default();
    let empty = Vec::new();
    for (id, g) in gold {
        let p = pred.get(id).unwrap_or(&empty);
        if p.is_empty() {
            r.notes_without_predictions += 1;
        }
        // Entities.
        for (level, strict) in [(&mut r.entity_strict, true), (&mut r.entity_overlap, false)] {
            let hit = |a: &Span, b: &Span, same_label: bool| {
                (!same_label || a.label == b.label)
                    && if strict {
                        a.start == b.start && a.end == b.end
                    } else {
                        a.start < b.end && b.start < a.end
                    }
            };
            for gs in &g.spans {
                let e = level.per_label.entry(gs.label.clone()).or_default();
                if p.iter().any(|ps| hit(gs, ps, true)) {
                    e.tp += 1;
                } else {
                    e.fn_ += 1;
                }
                if p.iter().any(|ps| hit(gs, ps, false)) {
                    level.overall.tp += 1;
                } else {
                    level.overall.fn_ += 1;
                }
            }
            for ps in p {
                if !g.spans.iter().any(|gs| hit(gs, ps, true)) {
                    level.per_label.entry(ps.label.clone()).or_default().fp += 1;
                }
                if !g.spans.iter().any(|gs| hit(gs, ps, false)) {
                    level.overall.fp += 1;
                }
            }
        }
        // Tokens.
        if let Some(text) = &g.text {
            for tok in tokens(text) {
                let gl = label_at(&g.spans, tok);
                let pl = label_at(p, tok);
                match (gl, pl) {
                    (Some(_), Some(_)) => token.overall.tp += 1,
                    (Some(_), None) => token.overall.fn_ += 1,
                    (None, Some(_)) => token.overall.fp += 1,
                    (None, None) => {}
                }
                if let Some(gl) = gl {
                    let e = token.per_label.entry(gl.to_string()).or_default();
                    if pl == Some(gl) {
                        e.tp += 1;
                    } else {
                        e.fn_ += 1;
                    }
                }
                if let Some(pl) = pl
                    && gl != Some(pl)
                {
                    token.per_label.entry(pl.to_string()).or_default().fp += 1;
                }
            }
        }
    }
    r.entity_strict.finish();
    r.entity_overlap.finish();
    if has_text {
        token.finish();
        r.token = Some(token);
    }
    r
}

/// Renders the report as a plain-text table.
pub fn render(r: &EvalReport) -> String {
    let mut s = String::new();
    let mut table = |name: &str, l: &Level| {
        s.push_str(&format!(
            "\n{name}\n{:<16} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}\n",
            "label", "P", "R", "F1", "F2", "TP", "FP", "FN"
        ));
        let row = |label: &str, x: &Score| {
            format!(
                "{label:<16} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7} {:>7} {:>7}\n",
                x.precision, x.recall, x.f1, x.f2, x.tp, x.fp, x.fn_
            )
        };
        for (label, x) in &l.per_label {
            s.push_str(&row(label, x));
        }
        s.push_str(&row("OVERALL (any)", &l.overall));
    };
    if let Some(t) = &r.token {
        table("token level", t);
    }
    table("entity level, strict", &r.entity_strict);
    table("entity level, overlap", &r.entity_overlap);
    format!(
        "gold notes: {} (without predictions: {}){s}",
        r.gold_notes, r.notes_without_predictions
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_tags_strip_to_character_spans() {
        let map = LabelMap::new(BTreeMap::new());
        let (t, s) = parse_inline(
            "Pasient <First_Name>Øyvind</First_Name> <Last_Name>Ås</Last_Name> a<b",
            &map,
        )
        .unwrap();
        assert_eq!(t, "Pasient Øyvind Ås a<b");
        assert_eq!(
            s[0],
            Span {
                start: 8,
                end: 14,
                label: "PERSON_FIRST".into()
            }
        );
        assert_eq!(
            s[1],
            Span {
                start: 15,
                end: 17,
                label: "PERSON_LAST".into()
            }
        );
        assert!(parse_inline("<X>open", &map).is_err());
    }

    #[test]
    fn scores_count_tokens_and_entities() {
        let mut gold = BTreeMap::new();
        gold.insert(
            "n1".to_string(),
            GoldNote {
                text: Some("Kari Hansen kom 12.03.2021 hit".into()),
                spans: vec![
                    Span {
                        start: 0,
                        end: 4,
                        label: "PERSON_FIRST".into(),
                    },
                    Span {
                        start: 5,
                        end: 11,
                        label: "PERSON_LAST".into(),
                    },
                    Span {
                        start: 16,
                        end: 26,
                        label: "DATE".into(),
                    },
                ],
            },
        );
        let mut pred = BTreeMap::new();
        pred.insert(
            "n1".to_string(),
            vec![
                Span {
                    start: 0,
                    end: 11,
                    label: "PERSON_FIRST".into(),
                },
                Span {
                    start: 27,
                    end: 30,
                    label: "LOCATION".into(),
                },
            ],
        );
        let r = evaluate(&gold, &pred);
        let t = r.token.as_ref().unwrap();
        // Tokens: Kari Hansen kom 12 03 2021 hit → gold PHI 5, pred PHI 3.
        assert_eq!((t.overall.tp, t.overall.fp, t.overall.fn_), (2, 1, 3));
        assert_eq!(t.per_label["PERSON_LAST"].fn_, 1);
        assert_eq!(r.entity_strict.overall.tp, 0);
        assert_eq!(r.entity_overlap.overall.tp, 2);
        assert_eq!(r.entity_overlap.per_label["PERSON_FIRST"].tp, 1);
        assert!(render(&r).contains("OVERALL"));
    }
}
