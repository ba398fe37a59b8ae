//! Privacy audit: proves a de-identified corpus is safe to release, or says
//! exactly why not. Reads any deid output (a folder, `notes.jsonl` or
//! `notes.parquet`, with `spans.jsonl` when present) and never modifies it.
//!
//! ```text
//! released notes ──► residual scan (scan.rs: own detectors, not deid's)
//!        │       └──► register leak check (register.rs: normalised Aho–Corasick)
//! spans.jsonl ──► alignment (align.rs): surrogates in the released text
//! --original ──► unshifted dates        --gold ──► P/R/F1/F2 (gold.rs)
//!        └──► rare tokens (rare.rs) · stratified review sample
//!                 └──► audit.json (every figure) + audit.html (sign-off page)
//! ```
//!
//! Every finding has a detector and a severity; [`BlockerConfig`] decides
//! which are release blockers (default: the critical ones — real-range
//! national ids, registered identifiers, unshifted dates). Findings carry
//! a masked preview ([`mask`]) and never the matched text; the review
//! sample in the HTML report shows released text with every finding masked.
//!
//! Notes stream in batches, examined in parallel (rayon) and merged in
//! input order, so output does not depend on the thread count. Memory is
//! bounded by the batch, the span look-ahead window, the rare-token cap and
//! the sample size (plus, with `--original`, the dates of each original
//! note).

mod align;
mod config;
mod finding;
mod gold;
mod html;
mod input;
mod rare;
mod register;
mod scan;

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

pub use align::{Alignment, Segment, align};
pub use config::{AuditConfig, BlockerConfig, RareConfig};
pub use finding::{Detector, Finding, RawFinding, Severity, mask};
pub use gold::{GoldReport, LeakBound, Scores, clopper_pearson_upper, strip_tags};
pub use input::{AuditNote, InputError, InputPaths, NoteSource, Span, resolve_input};
pub use rare::{RareReport, RareToken};
pub use register::{Register, RegisterError, Views};
pub use scan::{DateValue, IdKind, Scanner, mod11_valid, national_id_kind};

use crate::fsio::{self, PathError};
use crate::pipeline::{StageContext, StageStats};
use crate::report::Progress;
use gold::{GoldNote, GoldTally, LabelSpan};
use input::{NoteSpans, SpanCursor};
use rare::RareCounter;

/// Version of the `audit.json` layout.
pub const AUDIT_VERSION: u32 = 1;
/// The machine-readable report.
pub const AUDIT_JSON: &str = "audit.json";
/// The sign-off page.
pub const AUDIT_HTML: &str = "audit.html";

/// Why an audit could not run (or, gating a pipeline, refused the release).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// An input could not be read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The register could not be read.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// Writing the report failed.
    #[error(transparent)]
    Io(#[from] PathError),
    /// Nothing to audit.
    #[error("audit: no input: set `input`, or put the audit after a stage that writes notes")]
    NoInput,
    /// Release blockers were found (the pipeline stops here).
    #[error("audit found {blockers} release blocker(s); see {}", report.display())]
    Blocked {
        /// How many.
        blockers: u64,
        /// The HTML report.
        report: PathBuf,
    },
}

/// Residual scan and register check of one text: the part of the audit
/// whose speed BENCHMARKS.md records.
pub struct LeakScan {
    scanner: Scanner,
    register: Option<Register>,
}

impl LeakScan {
    /// Builds the detectors, with the register when given.
    pub fn new(register: Option<&Path>) -> Result<LeakScan, RegisterError> {
        let scanner = Scanner::new();
        let register = register.map(|p| Register::load(p, &scanner)).transpose()?;
        Ok(LeakScan { scanner, register })
    }

    /// Every residual and register finding in `text` (byte offsets).
    pub fn scan(&self, text: &str, views: &mut Views) -> Vec<RawFinding> {
        let out = self.scanner.scan(text);
        let mut findings = out.findings;
        if let Some(r) = &self.register {
            r.find(text, views, &mut findings);
            for d in out.dates.iter().chain(&out.compact_dates) {
                if r.is_birth_date(&d.value) {
                    findings.push(birth_date_finding(d.start, d.end));
                }
            }
        }
        findings
    }
}

fn birth_date_finding(start: usize, end: usize) -> RawFinding {
    RawFinding {
        start,
        end,
        detector: Detector::Register,
        severity: Severity::Critical,
        detail: "register:birth_date".to_string(),
    }
}

/// Notes per stratum and the sample candidates (hash key, corpus order).
type StrataSample<K> = BTreeMap<K, (u64, BinaryHeap<(u64, u64)>)>;

/// The dates (and, for gold notes, the text) of one original note.
#[derive(Default)]
struct OriginalNote {
    dates: Vec<(usize, usize, DateValue)>,
    text: Option<String>,
}

/// Counts of the deid spans.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanCounts {
    /// Whether a span file was read.
    pub span_file: bool,
    /// Replacing spans (surrogate or redact) per label.
    pub by_label: BTreeMap<String, u64>,
    /// Replacing spans per doc type and label.
    pub by_doc_type: BTreeMap<String, BTreeMap<String, u64>>,
    /// Spans kept (action `keep`) per label.
    pub kept_by_label: BTreeMap<String, u64>,
    /// Words of released text per doc type.
    pub words_by_doc_type: BTreeMap<String, u64>,
    /// Replacements per 1,000 words, per doc type.
    pub replacements_per_1000_words: BTreeMap<String, f64>,
    /// Notes whose surrogates were not all found in the released text.
    pub notes_misaligned: u64,
    /// Span groups that matched no released note.
    pub unmatched_span_groups: u64,
}

/// One stratum of the review sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stratum {
    /// Doc type.
    pub doc_type: String,
    /// Language tag (`unknown` when absent).
    pub lang: String,
    /// Department (`unknown` when absent).
    pub department: String,
    /// Notes in the corpus.
    pub notes: u64,
    /// Notes sampled.
    pub sampled: u64,
}

/// The review sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleReport {
    /// Seed.
    pub seed: u64,
    /// Notes asked for.
    pub requested: usize,
    /// Strata (doc type × language × department).
    pub strata: Vec<Stratum>,
    /// Sampled note ids (released ids), in corpus order.
    pub note_ids: Vec<String>,
    /// Upper bound on the note leak rate from the manual review of the
    /// sample (`review_leaks` of `note_ids.len()`).
    pub review: LeakBound,
}

/// Everything `audit.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Layout version.
    pub audit_version: u32,
    /// `clean` or `blocked`.
    pub verdict: String,
    /// Release blockers found.
    pub blockers: u64,
    /// Inputs (paths; the register only as a count per kind).
    pub inputs: BTreeMap<String, String>,
    /// Blocker rules applied.
    pub blocker_rules: BlockerConfig,
    /// Notes audited.
    pub notes: u64,
    /// Bytes of released text audited.
    pub text_bytes: u64,
    /// Findings per detector and severity.
    pub findings_by_detector: BTreeMap<String, BTreeMap<String, u64>>,
    /// Blockers per detector.
    pub blockers_by_detector: BTreeMap<String, u64>,
    /// Detector matches that were deid surrogates (not findings).
    pub matches_inside_surrogates: u64,
    /// Valid national ids in the synthetic (Tenor) range (surrogates).
    pub synthetic_national_ids: u64,
    /// Register entries per kind (counts only).
    pub register_entries: BTreeMap<String, u64>,
    /// Findings, blockers first, at most `max_findings`.
    pub findings: Vec<Finding>,
    /// Whether `findings` was cut at `max_findings`.
    pub findings_truncated: bool,
    /// Deid span counts.
    pub spans: SpanCounts,
    /// Rare tokens.
    pub rare: RareReport,
    /// Gold evaluation, when gold was given.
    pub gold: Option<GoldReport>,
    /// The review sample.
    pub sample: SampleReport,
}

/// What one note gave.
struct NoteResult {
    findings: Vec<RawFinding>,
    covered: u64,
    synthetic: u64,
    words: u64,
    misaligned: bool,
    replaced: Vec<String>,
    kept: Vec<String>,
    rare: Vec<String>,
    gold_pred: Vec<LabelSpan>,
    original_id: String,
}

/// The audit runtime, built once from the config.
pub struct Auditor {
    config: AuditConfig,
    leak: LeakScan,
    vocabulary: Option<HashSet<String>>,
    originals: Option<HashMap<String, OriginalNote>>,
    gold: Option<HashMap<String, GoldNote>>,
    paths: InputPaths,
}

impl Auditor {
    /// Builds the auditor: resolves the input, reads the register, the gold
    /// and (when given) the original notes.
    pub fn new(config: &AuditConfig, input: &Path, base_dir: &Path) -> Result<Auditor, AuditError> {
        let res = |p: &Option<PathBuf>| p.as_ref().map(|p| crate::pipeline::resolve(base_dir, p));
        let spans = res(&config.spans);
        let paths = resolve_input(input, spans.as_deref())?;
        let leak = LeakScan::new(res(&config.register).as_deref())?;
        let vocabulary = match res(&config.rare.vocabulary) {
            Some(p) => Some(
                std::fs::read_to_string(&p)
                    .map_err(|e| PathError::new("reading", &p, e))?
                    .lines()
                    .map(|l| l.trim().to_lowercase())
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .collect(),
            ),
            None => None,
        };
        let gold = res(&config.gold).map(|p| gold::load_gold(&p)).transpose()?;
        let originals = match res(&config.original) {
            Some(p) => Some(read_originals(&p, &leak.scanner, gold.as_ref())?),
            None => None,
        };
        Ok(Auditor {
            config: config.clone(),
            leak,
            vocabulary,
            originals,
            gold,
            paths,
        })
    }

    fn examine(&self, note: &AuditNote, spans: &NoteSpans, views: &mut Views) -> NoteResult {
        let text = note.text.as_str();
        let has_spans = self.paths.spans.is_some();
        let alignment = has_spans.then(|| align(text, &spans.spans));
        let original_id = spans
            .original_id
            .clone()
            .unwrap_or_else(|| note.note_id.clone());
        let original = self.originals.as_ref().and_then(|o| o.get(&original_id));
        let scan = self.leak.scanner.scan(text);
        let mut findings = Vec::new();
        let mut covered = 0;
        for f in scan.findings {
            let seg = alignment
                .as_ref()
                .and_then(|a| a.inside(text, f.start, f.end));
            // A real-range national id written as a NATIONAL_ID surrogate is a
            // deid bug; one inside another label's surrogate (an account
            // number that happens to pass mod 11) is that surrogate.
            let other_label_id =
                f.detector == Detector::NationalId && seg.is_some_and(|g| g.label != "NATIONAL_ID");
            if seg.is_some() && (f.detector.can_be_surrogate() || other_label_id) {
                covered += 1;
            } else {
                findings.push(f);
            }
        }
        let register = self.leak.register.as_ref();
        for d in &scan.dates {
            let seg = alignment
                .as_ref()
                .and_then(|a| a.inside(text, d.start, d.end));
            if let Some(g) = seg {
                covered += 1;
                let zero_shift = original.is_some_and(|o| {
                    o.dates.iter().any(|(s, e, v)| {
                        *s < g.orig_end && g.orig_start < *e && v.same_date(&d.value)
                    })
                });
                if zero_shift {
                    findings.push(RawFinding {
                        start: d.start,
                        end: d.end,
                        detector: Detector::DateUnshifted,
                        severity: Severity::Critical,
                        detail: "surrogate date equals the original date".to_string(),
                    });
                }
                continue;
            }
            if register.is_some_and(|r| r.is_birth_date(&d.value)) {
                findings.push(birth_date_finding(d.start, d.end));
                continue;
            }
            if let Some(o) = original {
                let unshifted = match alignment.as_ref() {
                    Some(a) if !spans.spans.is_empty() || a.complete => {
                        match a.to_original(text, d.start) {
                            Some(q) => o
                                .dates
                                .iter()
                                .any(|(s, _, v)| *s == q && v.same_date(&d.value)),
                            None => o.dates.iter().any(|(_, _, v)| v.same_date(&d.value)),
                        }
                    }
                    _ => o.dates.iter().any(|(_, _, v)| v.same_date(&d.value)),
                };
                if unshifted {
                    findings.push(RawFinding {
                        start: d.start,
                        end: d.end,
                        detector: Detector::DateUnshifted,
                        severity: Severity::Critical,
                        detail: "same date as in the original note".to_string(),
                    });
                    continue;
                }
            }
            findings.push(RawFinding {
                start: d.start,
                end: d.end,
                detector: Detector::Date,
                severity: if has_spans {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                detail: if has_spans {
                    "not a surrogate date".to_string()
                } else {
                    "no span file to tell surrogates apart".to_string()
                },
            });
        }
        if let Some(r) = register {
            for d in &scan.compact_dates {
                let in_seg = alignment
                    .as_ref()
                    .is_some_and(|a| a.covering(d.start, d.end).is_some());
                if !in_seg && r.is_birth_date(&d.value) {
                    findings.push(birth_date_finding(d.start, d.end));
                }
            }
            let mut hits = Vec::new();
            r.find(text, views, &mut hits);
            for mut h in hits {
                // A genitive ending after a surrogate (`Elis` = surrogate
                // `Eli` + `s`) belongs to the original text around it.
                let stem_end = possessive_stem_end(text, h.start, h.end);
                let inside = alignment.as_ref().and_then(|a| {
                    a.segments
                        .iter()
                        .find(|g| g.out_start <= h.start && stem_end <= g.out_end)
                });
                if inside.is_some() && h.severity == Severity::Critical {
                    h.severity = Severity::High;
                    h.detail
                        .push_str(", inside a surrogate (a collision, not a copy?)");
                }
                findings.push(h);
            }
        }
        findings.sort_by_key(|f| (f.start, f.end, f.detector));
        findings.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.detector == b.detector);

        let (mut replaced, mut kept, mut gold_pred) = (Vec::new(), Vec::new(), Vec::new());
        for s in &spans.spans {
            if s.action == "keep" {
                kept.push(s.label.clone());
            } else {
                replaced.push(s.label.clone());
                gold_pred.push(LabelSpan {
                    start: s.start,
                    end: s.end,
                    label: s.label.clone(),
                });
            }
        }
        let words = text.split_whitespace().count() as u64;
        let found: Vec<(usize, usize)> = findings.iter().map(|f| (f.start, f.end)).collect();
        let rare = rare::candidates(text, alignment.as_ref(), &found, self.vocabulary.as_ref());
        NoteResult {
            findings,
            covered,
            synthetic: scan.synthetic_ids,
            words,
            misaligned: alignment.as_ref().is_some_and(|a| !a.complete),
            replaced,
            kept,
            rare,
            gold_pred,
            original_id,
        }
    }

    /// Runs the audit and writes `audit.json` and `audit.html` into
    /// `out_dir`.
    pub fn run(
        &self,
        out_dir: &Path,
        progress: &Progress,
    ) -> Result<(AuditReport, StageStats), AuditError> {
        let cfg = &self.config;
        let mut stats = StageStats::default();
        let mut by_detector: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut blockers_by: BTreeMap<String, u64> = BTreeMap::new();
        let mut listed: Vec<Finding> = Vec::new();
        let mut listed_blockers = 0usize;
        let mut truncated = false;
        let mut blockers = 0u64;
        let mut covered = 0u64;
        let mut synthetic = 0u64;
        let mut counts = SpanCounts {
            span_file: self.paths.spans.is_some(),
            ..SpanCounts::default()
        };
        let mut rare = RareCounter::new(cfg.rare.k, cfg.rare.max_tokens);
        let mut gold_tally = GoldTally::default();
        let mut strata: StrataSample<(String, String, String)> = BTreeMap::new();
        let mut order = 0u64;

        let mut source = NoteSource::open(&self.paths.notes)?;
        let mut cursor = SpanCursor::open(self.paths.spans.as_deref())?;
        let task = progress.task("audit", None, "notes");
        while let Some(batch) = source.next_batch()? {
            let mut with_spans = Vec::with_capacity(batch.len());
            for n in batch {
                let s = cursor.take(&n.note_id)?;
                with_spans.push((n, s));
            }
            let results: Vec<NoteResult> = with_spans
                .par_iter()
                .map_init(Views::default, |v, (n, s)| self.examine(n, s, v))
                .collect();
            for ((note, _), r) in with_spans.iter().zip(results) {
                stats.rows_in += 1;
                stats.bytes_in += note.text.as_str().len() as u64;
                covered += r.covered;
                synthetic += r.synthetic;
                counts.notes_misaligned += u64::from(r.misaligned);
                *counts
                    .words_by_doc_type
                    .entry(note.doc_type.clone())
                    .or_default() += r.words;
                let per_doc = counts.by_doc_type.entry(note.doc_type.clone()).or_default();
                for l in &r.replaced {
                    *per_doc.entry(l.clone()).or_default() += 1;
                    *counts.by_label.entry(l.clone()).or_default() += 1;
                }
                for l in &r.kept {
                    *counts.kept_by_label.entry(l.clone()).or_default() += 1;
                }
                let text = note.text.as_str();
                let mut chars = CharCounter::default();
                for f in r.findings {
                    let blocker = cfg.blockers.blocks(f.detector, f.severity);
                    *by_detector
                        .entry(f.detector.as_str().to_string())
                        .or_default()
                        .entry(f.severity.as_str().to_string())
                        .or_default() += 1;
                    stats.count(&format!("findings.{}", f.detector.as_str()), 1);
                    if blocker {
                        blockers += 1;
                        *blockers_by
                            .entry(f.detector.as_str().to_string())
                            .or_default() += 1;
                    }
                    // Blockers are listed first; others fill the rest.
                    let room = if blocker {
                        listed_blockers < cfg.max_findings
                    } else {
                        listed.len() < cfg.max_findings
                    };
                    if !room {
                        truncated = true;
                        continue;
                    }
                    let finding = Finding {
                        note_id: note.note_id.clone(),
                        start: chars.at(text, f.start),
                        end: chars.at(text, f.end),
                        detector: f.detector,
                        severity: f.severity,
                        preview: mask(&text[f.start..f.end]),
                        detail: f.detail,
                        blocker,
                    };
                    if blocker {
                        listed.insert(listed_blockers, finding);
                        listed_blockers += 1;
                        listed.truncate(cfg.max_findings);
                    } else {
                        listed.push(finding);
                    }
                }
                rare.add(&note.patient_id, r.rare);
                if let Some(g) = self.gold.as_ref().and_then(|g| g.get(&r.original_id)) {
                    let otext = self
                        .originals
                        .as_ref()
                        .and_then(|o| o.get(&r.original_id))
                        .and_then(|o| o.text.as_deref());
                    gold_tally.add(g, &r.gold_pred, otext);
                }
                let key = (
                    note.doc_type.clone(),
                    note.lang.clone().unwrap_or_else(|| "unknown".to_string()),
                    note.department
                        .clone()
                        .unwrap_or_else(|| "unknown".to_string()),
                );
                let (n, heap) = strata.entry(key).or_default();
                *n += 1;
                let h = xxh3_64_with_seed(note.note_id.as_bytes(), cfg.seed);
                if cfg.sample > 0 {
                    heap.push((h, order));
                    if heap.len() > cfg.sample {
                        heap.pop();
                    }
                }
                order += 1;
            }
            task.inc(with_spans.len() as u64);
        }
        counts.unmatched_span_groups = cursor.finish()?;
        drop(task);
        listed.truncate(cfg.max_findings);
        for (doc, words) in &counts.words_by_doc_type {
            let replaced: u64 = counts.by_doc_type.get(doc).map_or(0, |m| m.values().sum());
            let rate = if *words == 0 {
                0.0
            } else {
                replaced as f64 * 1000.0 / *words as f64
            };
            counts
                .replacements_per_1000_words
                .insert(doc.clone(), (rate * 100.0).round() / 100.0);
        }

        // Stratified sample: proportional allocation (largest remainder,
        // every stratum one note first while the budget lasts).
        let chosen = allocate(&strata, cfg.sample);
        let mut picked: Vec<u64> = Vec::new();
        let mut strata_out = Vec::new();
        for ((key, (n, heap)), take) in strata.into_iter().zip(&chosen) {
            let mut items = heap.into_sorted_vec();
            items.truncate(*take);
            picked.extend(items.iter().map(|(_, o)| *o));
            strata_out.push(Stratum {
                doc_type: key.0,
                lang: key.1,
                department: key.2,
                notes: n,
                sampled: *take as u64,
            });
        }
        picked.sort_unstable();
        let sample_notes = self.render_sample(&picked)?;
        let note_ids: Vec<String> = sample_notes.iter().map(|s| s.note_id.clone()).collect();

        // A rare token outside surrogates that is a registered value, a
        // gazetteer name or a number may be a leak: shown masked.
        let register_mask = |t: &str| -> String {
            let registered = self
                .leak
                .register
                .as_ref()
                .is_some_and(|r| t.split(' ').any(|w| r.is_registered_word(w)));
            let name = t
                .split(' ')
                .any(|w| self.leak.scanner.is_gazetteer_name(&w.to_lowercase()));
            let digits = t.chars().filter(char::is_ascii_digit).count();
            if registered || name || digits >= 4 {
                mask(t)
            } else {
                t.to_string()
            }
        };
        let mut inputs = BTreeMap::new();
        inputs.insert("notes".to_string(), self.paths.notes.display().to_string());
        if let Some(s) = &self.paths.spans {
            inputs.insert("spans".to_string(), s.display().to_string());
        }
        for (k, p) in [
            ("register", &cfg.register),
            ("gold", &cfg.gold),
            ("original", &cfg.original),
        ] {
            if let Some(p) = p {
                inputs.insert(k.to_string(), p.display().to_string());
            }
        }
        let report = AuditReport {
            audit_version: AUDIT_VERSION,
            verdict: if blockers == 0 { "clean" } else { "blocked" }.to_string(),
            blockers,
            inputs,
            blocker_rules: cfg.blockers.clone(),
            notes: stats.rows_in,
            text_bytes: stats.bytes_in,
            findings_by_detector: by_detector,
            blockers_by_detector: blockers_by,
            matches_inside_surrogates: covered,
            synthetic_national_ids: synthetic,
            register_entries: self
                .leak
                .register
                .as_ref()
                .map(|r| r.entries.iter().cloned().collect())
                .unwrap_or_default(),
            findings: listed,
            findings_truncated: truncated,
            spans: counts,
            rare: rare.report(cfg.rare.top, register_mask),
            gold: self.gold.as_ref().map(|_| gold_tally.report()),
            sample: SampleReport {
                seed: cfg.seed,
                requested: cfg.sample,
                strata: strata_out,
                review: LeakBound::new(cfg.review_leaks, note_ids.len() as u64),
                note_ids,
            },
        };
        fsio::write_json_atomic(out_dir.join(AUDIT_JSON), &report)?;
        fsio::write_atomic(
            out_dir.join(AUDIT_HTML),
            html::render(&report, &sample_notes).as_bytes(),
        )?;
        stats.rows_out = stats.rows_in;
        stats.count("blockers", blockers);
        stats.count("matches_inside_surrogates", covered);
        stats.details = serde_json::json!({
            "verdict": report.verdict,
            "blockers": blockers,
            "blockers_by_detector": report.blockers_by_detector,
            "findings_by_detector": report.findings_by_detector,
            "audit_json": out_dir.join(AUDIT_JSON).display().to_string(),
            "audit_html": out_dir.join(AUDIT_HTML).display().to_string(),
        });
        Ok((report, stats))
    }

    /// Second pass: the sampled notes, examined again and rendered with
    /// surrogates highlighted and every finding masked.
    fn render_sample(&self, picked: &[u64]) -> Result<Vec<html::SampleNote>, AuditError> {
        let mut out = Vec::new();
        if picked.is_empty() {
            return Ok(out);
        }
        let mut source = NoteSource::open(&self.paths.notes)?;
        let mut cursor = SpanCursor::open(self.paths.spans.as_deref())?;
        let mut views = Views::default();
        let mut order = 0u64;
        let mut next = 0usize;
        while let Some(batch) = source.next_batch()? {
            for note in batch {
                let spans = cursor.take(&note.note_id)?;
                if next < picked.len() && picked[next] == order {
                    next += 1;
                    let r = self.examine(&note, &spans, &mut views);
                    let alignment = self
                        .paths
                        .spans
                        .is_some()
                        .then(|| align(note.text.as_str(), &spans.spans));
                    out.push(html::SampleNote::new(
                        &note,
                        alignment.as_ref(),
                        &r.findings,
                        &self.config.blockers,
                    ));
                }
                order += 1;
            }
            if next >= picked.len() {
                break;
            }
        }
        Ok(out)
    }

    /// The resolved input files.
    pub fn paths(&self) -> &InputPaths {
        &self.paths
    }
}

/// Converts increasing byte offsets of one text to character offsets.
#[derive(Default)]
struct CharCounter {
    byte: usize,
    chars: usize,
}

impl CharCounter {
    fn at(&mut self, text: &str, b: usize) -> usize {
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += text.get(self.byte..b).map_or(0, |s| s.chars().count());
        self.byte = b;
        self.chars
    }
}

/// Notes per stratum for a sample of `n`: one per stratum first (largest
/// strata first) while the budget lasts, then each further note to the
/// stratum furthest below its proportional share.
fn allocate<K>(strata: &StrataSample<K>, n: usize) -> Vec<usize> {
    let sizes: Vec<usize> = strata.values().map(|(c, _)| *c as usize).collect();
    let total: usize = sizes.iter().sum();
    let n = n.min(total);
    let mut take = vec![0usize; sizes.len()];
    let mut idx: Vec<usize> = (0..sizes.len()).collect();
    idx.sort_by(|a, b| sizes[*b].cmp(&sizes[*a]).then(a.cmp(b)));
    let mut left = n;
    for &i in &idx {
        if left == 0 {
            break;
        }
        take[i] = 1;
        left -= 1;
    }
    while left > 0 {
        let mut best: Option<(f64, usize)> = None;
        for i in 0..sizes.len() {
            if take[i] >= sizes[i] {
                continue;
            }
            let deficit = n as f64 * sizes[i] as f64 / total as f64 - take[i] as f64;
            if best.is_none_or(|(d, _)| deficit > d) {
                best = Some((deficit, i));
            }
        }
        let Some((_, i)) = best else { break };
        take[i] += 1;
        left -= 1;
    }
    take
}

/// Reads the original notes: the dates of each (and the text of gold notes).
fn read_originals(
    path: &Path,
    scanner: &Scanner,
    gold: Option<&HashMap<String, GoldNote>>,
) -> Result<HashMap<String, OriginalNote>, AuditError> {
    let mut out = HashMap::new();
    let mut source = NoteSource::open(path)?;
    while let Some(batch) = source.next_batch()? {
        let dated: Vec<(String, OriginalNote)> = batch
            .par_iter()
            .map(|n| {
                let text = n.text.as_str();
                let s = scanner.scan(text);
                let mut chars = CharCounter::default();
                let dates = s
                    .dates
                    .iter()
                    .map(|d| {
                        let a = chars.at(text, d.start);
                        (a, chars.at(text, d.end), d.value)
                    })
                    .collect();
                let keep_text = gold.is_some_and(|g| g.contains_key(&n.note_id));
                (
                    n.note_id.clone(),
                    OriginalNote {
                        dates,
                        text: keep_text.then(|| text.to_string()),
                    },
                )
            })
            .collect();
        out.extend(dated);
    }
    Ok(out)
}

/// Runs the `audit` stage of a pipeline (or of `norclin audit`).
pub fn run_stage(config: &AuditConfig, ctx: &StageContext<'_>) -> Result<StageStats, AuditError> {
    let input = match (&config.input, ctx.notes_dir) {
        (Some(p), _) => ctx.resolve(p),
        (None, Some(d)) => d.to_path_buf(),
        (None, None) => return Err(AuditError::NoInput),
    };
    let auditor = Auditor::new(config, &input, ctx.base_dir)?;
    let (report, stats) = auditor.run(ctx.out_dir, ctx.progress)?;
    if config.gate && report.blockers > 0 {
        return Err(AuditError::Blocked {
            blockers: report.blockers,
            report: ctx.out_dir.join(AUDIT_HTML),
        });
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_covers_strata_then_goes_proportional() {
        let mut m: BTreeMap<u8, (u64, BinaryHeap<(u64, u64)>)> = BTreeMap::new();
        m.insert(0, (90, BinaryHeap::new()));
        m.insert(1, (9, BinaryHeap::new()));
        m.insert(2, (1, BinaryHeap::new()));
        assert_eq!(allocate(&m, 10), vec![8, 1, 1]);
        assert_eq!(allocate(&m, 2), vec![1, 1, 0]);
        assert_eq!(allocate(&m, 1000), vec![90, 9, 1]);
    }

    #[test]
    fn char_counter_maps_bytes_to_characters() {
        let t = "Ås Øy 1";
        let mut c = CharCounter::default();
        assert_eq!(c.at(t, 3), 2);
        assert_eq!(c.at(t, t.len()), 7);
    }
}

/// The end of `text[start..end]` without a genitive ending (`s`, `'s`, `’s`,
/// `'`, `’`), or `end` when there is none.
fn possessive_stem_end(text: &str, start: usize, end: usize) -> usize {
    let Some(hit) = text.get(start..end) else {
        return end;
    };
    for suffix in ["'s", "\u{2019}s", "s", "'", "\u{2019}"] {
        if hit.len() > suffix.len() && hit.ends_with(suffix) {
            return end - suffix.len();
        }
    }
    end
}

#[cfg(test)]
mod possessive_tests {
    #[test]
    fn genitive_endings_are_left_out_of_the_stem() {
        let t = "Elis syster, Hansen's bil, Per";
        assert_eq!(super::possessive_stem_end(t, 0, 4), 3);
        assert_eq!(super::possessive_stem_end(t, 13, 21), 19);
        assert_eq!(super::possessive_stem_end(t, 27, 30), 30);
    }
}
