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

unsafe extern "C" {
    /// mimalloc's option setter (`mi_option_set` in `mimalloc.h`).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

fn main() -> ExitCode {
    // Freed pages stay with the process instead of going back to the
    // kernel 10 ms later: batches free and reallocate the same amount of
    // memory again and again, and every page handed back was faulted in
    // and zeroed anew (up to a quarter of deid's system time and a tenth
    // of its wall time; BENCHMARKS.md). Peak memory does not change.
    // SAFETY: sets a plain integer option; mimalloc reads options at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    norclin_cli::main()
}

#[path = "cli/mod.rs"]
mod norclin_cli;
