//! Verbs DESIGN.md names whose stage this build does not provide yet: they
//! describe themselves in `--help` and exit with code 2, never a fake result.

use clap::Args;

use super::UsageError;

/// Arguments of a verb that is not available yet (all are accepted and
/// ignored, so the message is the same whatever is passed).
#[derive(Debug, Args)]
pub struct PlannedArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

/// Reports that `verb` is not available.
pub fn run(verb: &str, _args: PlannedArgs) -> anyhow::Result<u8> {
    Err(UsageError(format!(
        "`norclin {verb}` is not yet available in this build of norclin; see `norclin {verb} --help` for what it will do"
    ))
    .into())
}
