//! The human report (`report.md`).

use std::fmt::Write as _;

use super::RunReport;

/// Renders the run report as Markdown.
pub fn render_markdown(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# norclin run report\n");
    let _ = writeln!(s, "- pipeline: `{}`", r.pipeline);
    let _ = writeln!(s, "- run directory: `{}`", r.run_dir);
    let _ = writeln!(s, "- norclin {} · {} threads", r.norclin_version, r.threads);
    let _ = writeln!(
        s,
        "- wall time: {:.2} s · peak memory: {}\n",
        r.wall_s,
        mib(r.peak_rss_bytes)
    );

    let _ = writeln!(s, "## Stages\n");
    let _ = writeln!(
        s,
        "| stage | status | rows in | rows out | quarantined | MB in | MB/s | wall s | peak memory |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for st in &r.stages {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.2} | {:.1} | {:.2} | {} |",
            st.name,
            st.status,
            st.stats.rows_in,
            st.stats.rows_out,
            st.stats.rows_quarantined(),
            st.stats.bytes_in as f64 / 1e6,
            st.throughput_mb_s,
            st.wall_s,
            mib(st.peak_rss_bytes),
        );
    }

    for st in &r.stages {
        let _ = writeln!(s, "\n## {}\n", st.name);
        let q = st.stats.rows_quarantined();
        if st.stats.rows_out > 0 || q > 0 {
            // Stages that pass rows on account for every one of them;
            // consuming stages (pretrain, evaluate) write no rows.
            let conserved = st.stats.rows_in == st.stats.rows_out + q;
            let _ = writeln!(
                s,
                "rows in {} = rows out {} + quarantined {}{}",
                st.stats.rows_in,
                st.stats.rows_out,
                q,
                if conserved { "" } else { " (NOT CONSERVED)" }
            );
        } else {
            let _ = writeln!(s, "rows read: {}", st.stats.rows_in);
        }
        if !st.stats.quarantined.is_empty() {
            let _ = writeln!(s, "\n| quarantine reason | rows |\n|---|---:|");
            for (reason, n) in &st.stats.quarantined {
                let _ = writeln!(s, "| {reason} | {n} |");
            }
        }
        if !st.stats.counters.is_empty() {
            let _ = writeln!(s, "\n| count | value |\n|---|---:|");
            for (name, n) in &st.stats.counters {
                let _ = writeln!(s, "| {name} | {n} |");
            }
        }
        // A pipeline run gives each stage a numbered folder named like the
        // stage (`06-pretrain`) beside the report; a single-stage verb
        // writes the stage's files next to its report.
        let stage_dir = if st.name != st.kind {
            format!("{}/", st.name)
        } else {
            String::new()
        };
        render_details(&mut s, &st.stats.details, &stage_dir);
        if !st.stats.failed_files.is_empty() {
            let _ = writeln!(s, "\nFiles that could not be read:\n");
            for f in &st.stats.failed_files {
                let _ = writeln!(s, "- `{}`: {}", f.path, f.error);
            }
        }
    }
    s
}

/// Whether a detail value names an image file the stage wrote.
fn image_file(v: &serde_json::Value) -> Option<&str> {
    let path = v.as_str()?;
    let lower = path.to_ascii_lowercase();
    let relative = !path.starts_with('/') && !path.contains("://");
    (relative && (lower.ends_with(".svg") || lower.ends_with(".png"))).then_some(path)
}

/// Renders a stage's `details`: scalars as a list, image files the stage
/// wrote (the loss curve) as images linked relative to the report
/// (`stage_dir` is the stage's folder relative to it, with a trailing `/`,
/// or empty), maps of numbers as two-column tables, maps of maps as cross
/// tables (PHI per doc type and label, language per doc type, …). Lists of
/// records become tables; other lists are left to `report.json`.
fn render_details(s: &mut String, details: &serde_json::Value, stage_dir: &str) {
    use serde_json::Value;
    let Some(map) = details.as_object() else {
        return;
    };
    let scalars: Vec<String> = map
        .iter()
        .filter(|(_, v)| matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_)))
        .filter(|(_, v)| image_file(v).is_none())
        .map(|(k, v)| format!("- {k}: {v}"))
        .collect();
    if !scalars.is_empty() {
        let _ = writeln!(s, "\n{}", scalars.join("\n"));
    }
    for (name, value) in map {
        if let Some(file) = image_file(value) {
            let _ = writeln!(s, "\n![{}]({stage_dir}{file})", name.replace('_', " "));
        }
    }
    for (name, value) in map {
        if let Some(items) = value.as_array() {
            render_rows(s, name, items);
            continue;
        }
        let Some(inner) = value.as_object() else {
            continue;
        };
        if inner.is_empty() {
            continue;
        }
        if inner.values().all(Value::is_object) {
            let mut columns: Vec<&String> = inner
                .values()
                .filter_map(Value::as_object)
                .flat_map(|m| m.keys())
                .collect();
            columns.sort();
            columns.dedup();
            let _ = writeln!(
                s,
                "\n| {name} | {} |",
                columns
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            let _ = writeln!(s, "|---|{}", "---:|".repeat(columns.len()));
            for (row, cells) in inner {
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| cell(cells.get(c.as_str())))
                    .collect();
                let _ = writeln!(s, "| {row} | {} |", cells.join(" | "));
            }
        } else if inner.values().all(|v| !v.is_object() && !v.is_array()) {
            let _ = writeln!(s, "\n| {name} | value |\n|---|---:|");
            for (k, v) in inner {
                let _ = writeln!(s, "| {k} | {} |", cell(Some(v)));
            }
        }
    }
}

/// A list of records as a table; nested records become dotted columns
/// (`mlm.loss`). Lists of anything else are left to `report.json`.
fn render_rows(s: &mut String, name: &str, items: &[serde_json::Value]) {
    fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            serde_json::Value::Array(_) => {}
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    if items.is_empty() || !items.iter().all(serde_json::Value::is_object) {
        return;
    }
    let rows: Vec<Vec<(String, serde_json::Value)>> = items
        .iter()
        .map(|item| {
            let mut cells = Vec::new();
            flatten("", item, &mut cells);
            cells
        })
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for (k, _) in row {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let _ = writeln!(s, "\n{name}:\n\n| {} |", columns.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(columns.len()));
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match row.iter().find(|(k, _)| k == c).map(|(_, v)| v) {
                Some(serde_json::Value::Number(n)) if n.is_f64() => {
                    format!("{:.4}", n.as_f64().unwrap_or_default())
                }
                other => cell(other),
            })
            .collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
}

fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::StageStats;
    use crate::report::{REPORT_VERSION, StageReport};

    fn report(stage_name: &str) -> RunReport {
        let stats = StageStats {
            details: serde_json::json!({
                "loss_curve": "loss.svg",
                "metrics": "metrics.jsonl",
                "steps": 200,
            }),
            ..StageStats::default()
        };
        RunReport {
            report_version: REPORT_VERSION,
            norclin_version: "0".into(),
            pipeline: "p.toml".into(),
            run_dir: "run".into(),
            threads: 1,
            wall_s: 1.0,
            peak_rss_bytes: 0,
            stages: vec![StageReport {
                name: stage_name.into(),
                kind: "pretrain".into(),
                status: "ran".into(),
                wall_s: 1.0,
                throughput_mb_s: 0.0,
                peak_rss_bytes: 0,
                stats,
            }],
        }
    }

    #[test]
    fn loss_curve_is_an_image_linked_relative_to_the_report() {
        let md = render_markdown(&report("06-pretrain"));
        assert!(
            md.contains("\n![loss curve](06-pretrain/loss.svg)\n"),
            "{md}"
        );
        assert!(!md.contains("- loss_curve"), "{md}");
        assert!(md.contains("- metrics: \"metrics.jsonl\""), "{md}");
        // A single-stage verb writes its report beside the stage's files.
        let md = render_markdown(&report("pretrain"));
        assert!(md.contains("\n![loss curve](loss.svg)\n"), "{md}");
    }
}
