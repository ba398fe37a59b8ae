//! The sign-off page: one self-contained HTML file (inline CSS and SVG, no
//! script, no external asset). Released text in the review sample is shown
//! with surrogates highlighted by label and every finding masked.

use std::fmt::Write as _;

use super::align::Alignment;
use super::config::BlockerConfig;
use super::finding::{RawFinding, Severity, mask};
use super::input::AuditNote;
use super::{AuditReport, Finding};

/// One note of the review sample, rendered.
pub struct SampleNote {
    /// Released note id.
    pub note_id: String,
    doc_type: String,
    lang: String,
    department: String,
    findings: usize,
    blockers: usize,
    surrogates: usize,
    body: String,
}

impl SampleNote {
    /// Renders `note`: findings masked (they win over surrogates they
    /// overlap), surrogates highlighted.
    pub fn new(
        note: &AuditNote,
        alignment: Option<&Alignment>,
        findings: &[RawFinding],
        rules: &BlockerConfig,
    ) -> SampleNote {
        let text = note.text.as_str();
        // Union of overlapping findings, with the worst severity.
        let mut masks: Vec<(usize, usize, Severity, String)> = Vec::new();
        let mut sorted: Vec<&RawFinding> = findings.iter().collect();
        sorted.sort_by_key(|f| (f.start, f.end));
        for f in sorted {
            match masks.last_mut() {
                Some(m) if f.start < m.1 => {
                    m.1 = m.1.max(f.end);
                    m.2 = m.2.min(f.severity);
                    if !m.3.contains(f.detector.as_str()) {
                        m.3.push_str(", ");
                        m.3.push_str(f.detector.as_str());
                    }
                }
                _ => masks.push((f.start, f.end, f.severity, f.detector.as_str().to_string())),
            }
        }
        let mut marks: Vec<(usize, usize, Mark)> = masks
            .iter()
            .map(|(s, e, sev, det)| (*s, *e, Mark::Finding(*sev, det.clone())))
            .collect();
        let segments = alignment.map_or(&[][..], |a| a.segments.as_slice());
        for g in segments {
            if !masks.iter().any(|m| g.out_start < m.1 && m.0 < g.out_end) {
                marks.push((g.out_start, g.out_end, Mark::Surrogate(g.label.clone())));
            }
        }
        marks.sort_by_key(|m| (m.0, m.1));
        let mut body = String::with_capacity(text.len() + text.len() / 4);
        let mut pos = 0;
        for (s, e, m) in &marks {
            if *s < pos {
                continue;
            }
            body.push_str(&esc(&text[pos..*s]));
            let inner = &text[*s..*e];
            match m {
                Mark::Finding(sev, det) => {
                    let _ = write!(
                        body,
                        "<span class=\"masked sev-{}\" title=\"{} ({})\">{}</span>",
                        sev.as_str(),
                        esc(det),
                        sev.as_str(),
                        esc(&mask(inner))
                    );
                }
                Mark::Surrogate(label) => {
                    let _ = write!(
                        body,
                        "<mark class=\"{}\" title=\"{}\">{}</mark>",
                        label_class(label),
                        esc(label),
                        esc(inner)
                    );
                }
            }
            pos = *e;
        }
        body.push_str(&esc(&text[pos..]));
        SampleNote {
            note_id: note.note_id.clone(),
            doc_type: note.doc_type.clone(),
            lang: note.lang.clone().unwrap_or_else(|| "unknown".into()),
            department: note.department.clone().unwrap_or_else(|| "unknown".into()),
            findings: findings.len(),
            blockers: findings
                .iter()
                .filter(|f| rules.blocks(f.detector, f.severity))
                .count(),
            surrogates: segments.len(),
            body,
        }
    }
}

enum Mark {
    Finding(Severity, String),
    Surrogate(String),
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const LABELS: &[&str] = &[
    "PERSON_FIRST",
    "PERSON_LAST",
    "NATIONAL_ID",
    "PHONE",
    "EMAIL",
    "URL",
    "ADDRESS",
    "POSTCODE",
    "LOCATION",
    "CARE_UNIT",
    "ORGANISATION",
    "DATE",
    "AGE",
    "HPR_NUMBER",
    "ORG_NUMBER",
    "ACCOUNT_NUMBER",
    "RECORD_NUMBER",
    "OTHER_ID",
];

fn label_class(label: &str) -> String {
    match LABELS.iter().position(|l| *l == label) {
        Some(i) => format!("lab lab{i}"),
        None => "lab lab-other".to_string(),
    }
}

fn label_hue(i: usize) -> usize {
    (i * 137) % 360
}

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
main{padding:8px 28px 40px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:14px 18px;margin:16px 0}
h2{font-size:18px;margin:0 0 10px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #dde1e7;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.verdict{display:inline-block;padding:3px 12px;border-radius:4px;font-weight:700}
.clean{background:#1f8a4c;color:#fff}
.blocked{background:#c62828;color:#fff}
.masked{font-family:monospace;border-radius:3px;padding:0 2px;outline:2px solid #c62828;background:#ffe3e3}
.sev-high,.sev-medium,.sev-low{outline-color:#e0a000;background:#fff4d6}
mark.lab{border-radius:3px;padding:0 2px}
article{border-top:1px solid #dde1e7;padding:10px 0}
article pre{white-space:pre-wrap;font:14px/1.5 system-ui,sans-serif;margin:6px 0}
.meta{color:#5a6472;font-size:12px}
.signoff{border:2px dashed #5a6472;padding:12px;margin-top:10px}
.legend span{display:inline-block;margin:2px 6px 2px 0;padding:0 4px;border-radius:3px;font-size:12px}
";

fn css() -> String {
    let mut c = CSS.to_string();
    for (i, _) in LABELS.iter().enumerate() {
        let _ = writeln!(c, ".lab{i}{{background:hsl({} 80% 86%)}}", label_hue(i));
    }
    c.push_str(".lab-other{background:#e3e3e3}\n");
    c
}

/// A horizontal SVG bar chart.
fn bar_chart(title: &str, items: &[(String, f64)], unit: &str) -> String {
    let row = 22.0;
    let label_w = 190.0;
    let bar_w = 420.0;
    let h = 30.0 + row * items.len().max(1) as f64;
    let max = items.iter().map(|i| i.1).fold(0.0f64, f64::max).max(1e-9);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" aria-label=\"{t}\"><title>{t}</title>",
        w = label_w + bar_w + 90.0,
        t = esc(title)
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"16\" font-size=\"13\" font-weight=\"700\">{}</text>",
        esc(title)
    );
    if items.is_empty() {
        let _ = write!(s, "<text x=\"0\" y=\"44\" font-size=\"12\">no data</text>");
    }
    for (i, (name, v)) in items.iter().enumerate() {
        let y = 26.0 + row * i as f64;
        let w = (v / max * bar_w).max(1.0);
        let hue = LABELS.iter().position(|l| l == name).map_or(210, label_hue);
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\">{n}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bh}\" fill=\"hsl({hue} 60% 55%)\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\">{v} {unit}</text>",
            lx = label_w - 6.0,
            ty = y + 14.0,
            n = esc(name),
            bx = label_w,
            bh = row - 6.0,
            vx = label_w + w + 4.0,
            v = fmt_num(*v),
        );
    }
    s.push_str("</svg>");
    s
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn findings_table(out: &mut String, findings: &[&Finding]) {
    out.push_str("<table><tr><th>note</th><th>chars</th><th>detector</th><th>severity</th><th>preview</th><th>detail</th></tr>");
    for f in findings {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}–{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&f.note_id),
            f.start,
            f.end,
            f.detector.as_str(),
            f.severity.as_str(),
            esc(&f.preview),
            esc(&f.detail)
        );
    }
    out.push_str("</table>");
}

/// Renders the whole page.
pub fn render(r: &AuditReport, sample: &[SampleNote]) -> String {
    let mut o = String::new();
    let verdict_class = if r.blockers == 0 { "clean" } else { "blocked" };
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>norclin privacy audit: {v}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{css}</style></head><body>\
         <header><h1>norclin privacy audit</h1><span class=\"verdict {vc}\" id=\"verdict\">{V}: {b} release blocker(s)</span></header><main>",
        v = esc(&r.verdict),
        css = css(),
        vc = verdict_class,
        V = esc(&r.verdict.to_uppercase()),
        b = r.blockers
    );

    // Summary.
    o.push_str("<section id=\"summary\"><h2>Summary</h2><table>");
    let mut row = |k: &str, v: String| {
        let _ = write!(
            o,
            "<tr><th>{}</th><td class=\"n\">{}</td></tr>",
            esc(k),
            esc(&v)
        );
    };
    row("notes audited", r.notes.to_string());
    row("bytes of released text", r.text_bytes.to_string());
    row("release blockers", r.blockers.to_string());
    row(
        "detector matches that are deid surrogates",
        r.matches_inside_surrogates.to_string(),
    );
    row(
        "synthetic (Tenor) national ids",
        r.synthetic_national_ids.to_string(),
    );
    row(
        "register entries",
        r.register_entries.values().sum::<u64>().to_string(),
    );
    row(
        "span file",
        if r.spans.span_file { "yes" } else { "no" }.to_string(),
    );
    row(
        "notes whose surrogates did not align",
        r.spans.notes_misaligned.to_string(),
    );
    o.push_str("</table><h3>Inputs</h3><table>");
    for (k, v) in &r.inputs {
        let _ = write!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    o.push_str("</table><h3>Blocker rules</h3><p>");
    let sev: Vec<&str> = r
        .blocker_rules
        .severities
        .iter()
        .map(|s| s.as_str())
        .collect();
    let det: Vec<&str> = r
        .blocker_rules
        .detectors
        .iter()
        .map(|d| d.as_str())
        .collect();
    let ex: Vec<&str> = r.blocker_rules.exempt.iter().map(|d| d.as_str()).collect();
    let _ = write!(
        o,
        "Blocking severities: {}; blocking detectors: {}; exempt: {}.</p>",
        esc(&sev.join(", ")),
        esc(&if det.is_empty() {
            "none".to_string()
        } else {
            det.join(", ")
        }),
        esc(&if ex.is_empty() {
            "none".to_string()
        } else {
            ex.join(", ")
        })
    );
    o.push_str("<h3>Findings per detector</h3><table><tr><th>detector</th><th>critical</th><th>high</th><th>medium</th><th>low</th><th>blockers</th></tr>");
    for (d, m) in &r.findings_by_detector {
        let g = |s: &str| m.get(s).copied().unwrap_or(0);
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(d),
            g("critical"),
            g("high"),
            g("medium"),
            g("low"),
            r.blockers_by_detector.get(d).copied().unwrap_or(0)
        );
    }
    o.push_str("</table></section>");

    // Blockers and other findings.
    let blockers: Vec<&Finding> = r.findings.iter().filter(|f| f.blocker).collect();
    let others: Vec<&Finding> = r.findings.iter().filter(|f| !f.blocker).take(500).collect();
    o.push_str("<section id=\"blockers\"><h2>Release blockers</h2>");
    if blockers.is_empty() {
        o.push_str("<p>No release blockers found.</p>");
    } else {
        findings_table(&mut o, &blockers);
    }
    o.push_str("</section><section id=\"findings\"><h2>Residual findings (not blocking)</h2>");
    if others.is_empty() {
        o.push_str("<p>None.</p>");
    } else {
        findings_table(&mut o, &others);
    }
    if r.findings_truncated {
        o.push_str("<p>The list is cut; audit.json has the complete counts.</p>");
    }
    o.push_str("</section>");

    // Counts and charts.
    o.push_str("<section id=\"counts\"><h2>Replacements per label and doc type</h2><table><tr><th>label</th>");
    let docs: Vec<&String> = r.spans.words_by_doc_type.keys().collect();
    for d in &docs {
        let _ = write!(o, "<th>{}</th>", esc(d));
    }
    o.push_str("<th>total</th></tr>");
    for (label, total) in &r.spans.by_label {
        let _ = write!(o, "<tr><td>{}</td>", esc(label));
        for d in &docs {
            let n = r
                .spans
                .by_doc_type
                .get(*d)
                .and_then(|m| m.get(label))
                .copied()
                .unwrap_or(0);
            let _ = write!(o, "<td class=\"n\">{n}</td>");
        }
        let _ = write!(o, "<td class=\"n\">{total}</td></tr>");
    }
    o.push_str("</table></section><section id=\"charts\"><h2>Charts</h2>");
    let per_label: Vec<(String, f64)> = r
        .spans
        .by_label
        .iter()
        .map(|(k, v)| (k.clone(), *v as f64))
        .collect();
    o.push_str(&bar_chart("Replacements per label", &per_label, ""));
    let per_doc: Vec<(String, f64)> = r
        .spans
        .replacements_per_1000_words
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    o.push_str(&bar_chart(
        "Replacements per 1,000 words by doc type",
        &per_doc,
        "/1k",
    ));
    o.push_str("</section>");

    // Rare tokens.
    let _ = write!(
        o,
        "<section id=\"rare-tokens\"><h2>Rare tokens (fewer than {} patients)</h2>\
         <p>{} of {} candidate tokens and bigrams are rare; {} untracked (memory cap). Registered values and numbers are masked.</p>\
         <table><tr><th>#</th><th>token</th><th>kind</th><th>patients</th><th>notes</th></tr>",
        r.rare.k, r.rare.rare, r.rare.tracked, r.rare.untracked
    );
    for (i, t) in r.rare.top.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            i + 1,
            esc(&t.token),
            esc(&t.kind),
            t.patients,
            t.notes
        );
    }
    o.push_str("</table></section>");

    // Gold.
    if let Some(g) = &r.gold {
        let _ = write!(
            o,
            "<section id=\"gold\"><h2>Gold evaluation</h2><p>{} gold notes scored ({} with text for token level). \
             Leaked gold entities: {} of {} (rate {:.4}; 95 % upper bound {:.4}).</p>",
            g.notes,
            g.notes_with_text,
            g.leaked_entities,
            g.gold_entities,
            g.leak_rate.rate,
            g.leak_rate.clopper_pearson_95
        );
        for (name, table) in [
            ("Entity level (exact)", &g.entity),
            ("Token level", &g.token),
        ] {
            let _ = write!(
                o,
                "<h3>{name}</h3><table><tr><th>label</th><th>TP</th><th>FP</th><th>FN</th><th>P</th><th>R</th><th>F1</th><th>F2</th></tr>"
            );
            for (l, s) in table {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td></tr>",
                    esc(l),
                    s.tp,
                    s.fp,
                    s.fn_,
                    s.precision,
                    s.recall,
                    s.f1,
                    s.f2
                );
            }
            o.push_str("</table>");
        }
        o.push_str("</section>");
    }

    // Review and sign-off.
    let rv = &r.sample.review;
    let _ = write!(
        o,
        "<section id=\"review\"><h2>Manual review</h2><p>{} notes in the review sample; leaks found by the reviewer: {}.</p><table>\
         <tr><th>observed leak rate</th><td class=\"n\">{:.4}</td></tr>\
         <tr><th>rule of three (3/n, no leaks)</th><td class=\"n\">{}</td></tr>\
         <tr><th>exact binomial (Clopper–Pearson) one-sided 95 % upper bound</th><td class=\"n\">{:.4}</td></tr></table>\
         <div class=\"signoff\">Reviewed by: ____________________ &nbsp; Date: ____________ &nbsp; Decision: release / do not release</div></section>",
        rv.n,
        rv.leaks,
        rv.rate,
        rv.rule_of_three
            .map_or("n/a".to_string(), |v| format!("{v:.4}")),
        rv.clopper_pearson_95
    );

    // Sample.
    let _ = write!(
        o,
        "<section id=\"sample\"><h2>Review sample</h2><p>{} notes, stratified by doc type, language and department (seed {}). \
         Surrogates are highlighted by label; findings are masked and outlined.</p><div class=\"legend\">",
        sample.len(),
        r.sample.seed
    );
    for (i, l) in LABELS.iter().enumerate() {
        let _ = write!(o, "<span class=\"lab{i}\">{l}</span>");
    }
    o.push_str("</div><table><tr><th>doc type</th><th>language</th><th>department</th><th>notes</th><th>sampled</th></tr>");
    for s in &r.sample.strata {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.doc_type),
            esc(&s.lang),
            esc(&s.department),
            s.notes,
            s.sampled
        );
    }
    o.push_str("</table>");
    for n in sample {
        let _ = write!(
            o,
            "<article class=\"note\" id=\"note-{id}\"><h3>{id}</h3><div class=\"meta\">{dt} · {lang} · {dep} · {s} surrogates · {f} findings · {b} blockers</div><pre>{body}</pre></article>",
            id = esc(&n.note_id),
            dt = esc(&n.doc_type),
            lang = esc(&n.lang),
            dep = esc(&n.department),
            s = n.surrogates,
            f = n.findings,
            b = n.blockers,
            body = n.body
        );
    }
    o.push_str("</section></main></body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::finding::Detector;
    use crate::notes::NoteText;

    #[test]
    fn findings_are_masked_and_win_over_surrogates() {
        let note = AuditNote {
            note_id: "n1".into(),
            patient_id: "p".into(),
            doc_type: "other".into(),
            department: None,
            lang: None,
            text: NoteText("Per <b> 13055801432".into()),
        };
        let f = RawFinding {
            start: 8,
            end: 19,
            detector: Detector::NationalId,
            severity: Severity::Critical,
            detail: String::new(),
        };
        let a = Alignment {
            segments: vec![crate::audit::Segment {
                out_start: 0,
                out_end: 3,
                orig_start: 0,
                orig_end: 4,
                label: "PERSON_FIRST".into(),
            }],
            complete: true,
            verified_until: 19,
        };
        let s = SampleNote::new(&note, Some(&a), &[f], &BlockerConfig::default());
        assert!(
            s.body
                .contains("<mark class=\"lab lab0\" title=\"PERSON_FIRST\">Per</mark>"),
            "{}",
            s.body
        );
        assert!(s.body.contains("&lt;b&gt;"));
        assert!(s.body.contains("1*********2"));
        assert!(!s.body.contains("13055801432"));
        assert_eq!(s.blockers, 1);
    }
}
