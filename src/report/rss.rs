//! Peak resident memory, from `/proc/self/status` (Linux). Elsewhere both
//! functions do nothing and report 0.

/// Peak resident set size of this process in bytes (`VmHWM`), or 0 when the
/// platform does not tell.
pub fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resets the peak so that the next [`peak_rss_bytes`] measures from now
/// (writes `5` to `/proc/self/clear_refs`; silently does nothing where that
/// is not allowed).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", b"5");
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn peak_rss_is_reported_on_linux() {
        assert!(super::peak_rss_bytes() > 0);
    }
}
