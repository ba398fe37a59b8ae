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
        let _ = writeln!(
            s,
            "rows in {} = rows out {} + quarantined {}{}",
            st.stats.rows_in,
            st.stats.rows_out,
            q,
            if st.stats.rows_in == st.stats.rows_out + q {
                ""
            } else {
                " (NOT CONSERVED)"
            }
        );
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
        render_details(&mut s, &st.stats.details);
        if !st.stats.failed_files.is_empty() {
            let _ = writeln!(s, "\nFiles that could not be read:\n");
            for f in &st.stats.failed_files {
                let _ = writeln!(s, "- `{}`: {}", f.path, f.error);
            }
        }
    }
    s
}

/// Renders a stage's `details`: scalars as a list, maps of numbers as
/// two-column tables, maps of maps as cross tables (PHI per doc type and
/// label, language per doc type, …). Lists are left to `report.json`.
fn render_details(s: &mut String, details: &serde_json::Value) {
    use serde_json::Value;
    let Some(map) = details.as_object() else {
        return;
    };
    let scalars: Vec<String> = map
        .iter()
        .filter(|(_, v)| matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_)))
        .map(|(k, v)| format!("- {k}: {v}"))
        .collect();
    if !scalars.is_empty() {
        let _ = writeln!(s, "\n{}", scalars.join("\n"));
    }
    for (name, value) in map {
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
