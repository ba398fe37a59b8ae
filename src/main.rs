//! The `norclin` command-line tool; all logic lives in the library.

use std::process::ExitCode;

/// mimalloc: deid and tokenize allocate many small strings per note on
/// every thread; the system allocator's locking and consolidation cost
/// about a tenth of their time (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    norclin_cli::main()
}

#[path = "cli/mod.rs"]
mod norclin_cli;
