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
        if !st.stats.failed_files.is_empty() {
            let _ = writeln!(s, "\nFiles that could not be read:\n");
            for f in &st.stats.failed_files {
                let _ = writeln!(s, "- `{}`: {}", f.path, f.error);
            }
        }
    }
    s
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
