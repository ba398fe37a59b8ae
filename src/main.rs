//! The `norclin` command-line tool; all logic lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    norclin_cli::main()
}

#[path = "cli/mod.rs"]
mod norclin_cli;
