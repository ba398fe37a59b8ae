//! The `norclin` command-line tool; all logic lives in the library.

use std::process::ExitCode;

/// mimalloc: deid and tokenize allocate many small strings per note on
/// every thread; the system allocator's locking and consolidation cost
/// about a tenth of their time (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`include/mimalloc.h` of the v3
/// sources that `libmimalloc-sys` builds).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
/// How long (ms) mimalloc keeps freed pages before returning them.
const PURGE_DELAY_MS: std::ffi::c_long = 1000;

unsafe extern "C" {
    /// mimalloc's option setter (`mi_option_set` in `mimalloc.h`).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

fn main() -> ExitCode {
    // Freed pages stay with the process for a second instead of 10 ms:
    // batches free and reallocate the same memory again and again, and
    // every page handed back was faulted in and zeroed anew (a tenth of
    // deid's wall time on two threads). Never handing pages back is as
    // fast for deid but raised audit's peak memory by a third
    // (BENCHMARKS.md).
    // SAFETY: sets a plain integer option; mimalloc reads options at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    norclin_cli::main()
}

#[path = "cli/mod.rs"]
mod norclin_cli;
