//! Scoring against gold labels (`norclin langid eval`).
//!
//! Gold files are TSV, `label<TAB>text` per line. Labels: `nob`, `nno`,
//! `mixed`, `unknown`, `other`, or an ISO code of a recognised other
//! language (`swe`, `dan`, `eng`). A prediction is correct when its coarse
//! label matches (`swe`, `dan`, `eng` count as `other`); the confusion
//! matrix shows fine labels, so `dan` read as `swe` is visible there.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::classify::Langid;

/// One gold example.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldItem {
    /// Gold label as written in the file.
    pub label: String,
    /// The text.
    pub text: String,
}

/// A line of a gold file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct GoldError {
    /// The file.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong (never the text).
    pub message: String,
}

/// Labels a gold file may use.
pub const GOLD_LABELS: &[&str] = &[
    "nob", "nno", "mixed", "other", "unknown", "swe", "dan", "eng",
];

/// Parses gold TSV (`label<TAB>text`); blank lines and `#` comments are
/// skipped. `\n` in the text stands for a line break (for documents with
/// paragraphs).
pub fn parse_gold(content: &str, file: &str) -> Result<Vec<GoldItem>, GoldError> {
    let mut out = Vec::new();
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| GoldError {
            file: file.to_string(),
            line: i + 1,
            message,
        };
        let (label, text) = line
            .split_once('\t')
            .ok_or_else(|| err("expected `label<TAB>text`".into()))?;
        let label = label.trim();
        if !GOLD_LABELS.contains(&label) {
            return Err(err(format!(
                "unknown label `{label}` (expected one of {})",
                GOLD_LABELS.join(", ")
            )));
        }
        out.push(GoldItem {
            label: label.to_string(),
            text: text.replace("\\n", "\n"),
        });
    }
    Ok(out)
}

/// Maps fine labels onto the five note labels.
pub fn coarse(label: &str) -> &str {
    match label {
        "swe" | "dan" | "eng" => "other",
        l => l,
    }
}

/// Accuracy of one gold label.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LabelScore {
    /// Examples with this gold label.
    pub n: u64,
    /// Correct (coarse label matches).
    pub correct: u64,
    /// `correct / n`.
    pub accuracy: f64,
}

/// The result of scoring a gold file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// Accuracy per gold label.
    pub per_label: BTreeMap<String, LabelScore>,
    /// Mean of the `nob` and `nno` accuracies (when both are present).
    pub macro_nob_nno: Option<f64>,
    /// Accuracy over all examples.
    pub accuracy: f64,
    /// Gold label → predicted fine label → count.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
    /// Bytes of text classified.
    pub bytes: u64,
    /// Seconds spent classifying (one thread).
    pub seconds: f64,
    /// `bytes / seconds`, in MB/s (10^6 bytes).
    pub mb_per_s: f64,
    /// CPU seconds of the classifying thread, where the OS tells.
    pub cpu_seconds: Option<f64>,
    /// `bytes / cpu_seconds`, in MB/s: throughput per core, unaffected by
    /// other processes on a shared machine.
    pub mb_per_cpu_s: Option<f64>,
}

/// Classifies every item (on the calling thread, so throughput is per core)
/// and scores the predictions. `repeat` > 1 classifies the set that many
/// times for a steadier throughput figure.
pub fn evaluate(langid: &Langid, items: &[GoldItem], repeat: usize) -> EvalReport {
    let repeat = repeat.max(1);
    let started = Instant::now();
    let cpu_started = thread_cpu_seconds();
    let mut predicted = Vec::with_capacity(items.len());
    for r in 0..repeat {
        for item in items {
            let l = langid.classify(&item.text);
            if r == 0 {
                predicted.push(l.verdict.fine());
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = match (cpu_started, thread_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let mut report = EvalReport::default();
    let mut correct_all = 0u64;
    for (item, pred) in items.iter().zip(&predicted) {
        let ok = coarse(&item.label) == coarse(pred);
        let s = report.per_label.entry(item.label.clone()).or_default();
        s.n += 1;
        if ok {
            s.correct += 1;
            correct_all += 1;
        }
        *report
            .confusion
            .entry(item.label.clone())
            .or_default()
            .entry(pred.to_string())
            .or_default() += 1;
        report.bytes += item.text.len() as u64;
    }
    for s in report.per_label.values_mut() {
        s.accuracy = s.correct as f64 / s.n.max(1) as f64;
    }
    if let (Some(b), Some(n)) = (report.per_label.get("nob"), report.per_label.get("nno")) {
        report.macro_nob_nno = Some((b.accuracy + n.accuracy) / 2.0);
    }
    report.accuracy = correct_all as f64 / items.len().max(1) as f64;
    report.bytes *= repeat as u64;
    report.seconds = seconds;
    report.mb_per_s = if seconds > 0.0 {
        report.bytes as f64 / seconds / 1e6
    } else {
        0.0
    };
    report.cpu_seconds = cpu_seconds;
    report.mb_per_cpu_s = cpu_seconds
        .filter(|s| *s > 0.0)
        .map(|s| report.bytes as f64 / s / 1e6);
    report
}

/// CPU time (user + system) of the calling thread, from
/// `/proc/thread-self/stat` (Linux; 10 ms resolution). On a shared machine
/// this, not wall time, is what "per core" means.
pub fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

impl EvalReport {
    /// The report as plain text: accuracy per label, confusion matrix,
    /// throughput.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("label      n      correct  accuracy\n");
        for (label, v) in &self.per_label {
            s.push_str(&format!(
                "{label:<8} {:>6}  {:>8}  {:.4}\n",
                v.n, v.correct, v.accuracy
            ));
        }
        if let Some(m) = self.macro_nob_nno {
            s.push_str(&format!("macro accuracy nob/nno: {m:.4}\n"));
        }
        s.push_str(&format!("overall accuracy: {:.4}\n\n", self.accuracy));
        let mut cols: Vec<&str> = Vec::new();
        for row in self.confusion.values() {
            for k in row.keys() {
                if !cols.contains(&k.as_str()) {
                    cols.push(k);
                }
            }
        }
        let order = [
            "nob", "nno", "mixed", "other", "swe", "dan", "eng", "unknown",
        ];
        cols.sort_by_key(|c| order.iter().position(|o| o == c).unwrap_or(order.len()));
        s.push_str("confusion (rows gold, columns predicted)\n");
        s.push_str(&format!("{:<8}", "gold"));
        for c in &cols {
            s.push_str(&format!(" {c:>7}"));
        }
        s.push('\n');
        for (gold, row) in &self.confusion {
            s.push_str(&format!("{gold:<8}"));
            for c in &cols {
                s.push_str(&format!(" {:>7}", row.get(*c).copied().unwrap_or(0)));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "\nthroughput: {:.1} MB/s on one thread ({} bytes in {:.3} s wall",
            self.mb_per_s, self.bytes, self.seconds
        ));
        match (self.mb_per_cpu_s, self.cpu_seconds) {
            (Some(m), Some(c)) => {
                s.push_str(&format!("; {m:.1} MB per CPU-second, {c:.2} s CPU)\n"))
            }
            _ => s.push_str(")\n"),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::langid::LangidConfig;

    #[test]
    fn gold_lines_parse_and_bad_labels_name_the_line() {
        let g = parse_gold(
            "# c\nnob\tJeg er her.\n\nnno\tEg er her.\\nNy linje.\n",
            "g.tsv",
        )
        .unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].text, "Eg er her.\nNy linje.");
        let e = parse_gold("nob\tok\nxx\tsecret text\n", "g.tsv").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.to_string().contains("secret"));
        assert!(parse_gold("no tab here", "g.tsv").is_err());
    }

    #[test]
    fn scores_and_confusion() {
        let langid = Langid::new(LangidConfig::default()).unwrap();
        let items = parse_gold(
            "nob\tJeg vet ikke hva hun mener.\nnno\tEg veit ikkje kva ho meiner.\nswe\tJag vet inte vad hon tycker.\nnno\tJeg vet ikke hva hun mener.\n",
            "g",
        )
        .unwrap();
        let r = evaluate(&langid, &items, 1);
        assert_eq!(r.per_label["nob"].correct, 1);
        assert_eq!(r.per_label["nno"].n, 2);
        assert_eq!(r.per_label["nno"].correct, 1);
        assert_eq!(r.confusion["nno"]["nob"], 1);
        assert_eq!(r.per_label["swe"].correct, 1);
        assert_eq!(r.macro_nob_nno, Some(0.75));
        assert!(r.render().contains("confusion"));
    }
}
