//! Fuzzes the ingest jsonl reader and row checks: any bytes must give rows,
//! rejections with reasons, or a file-level error — never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use norclin::ingest::{IngestConfig, InputFormat, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let config: IngestConfig = toml::from_str("inputs = []").unwrap_or_else(|_| unreachable!());
    if let Ok(summary) = scan_bytes(InputFormat::Jsonl, data.to_vec(), &config) {
        let rejected: u64 = summary.rejected.values().sum();
        assert_eq!(summary.rows, summary.notes + rejected, "rows lost");
    }
});
