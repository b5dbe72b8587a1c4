//! The command line: argument parsing, running a command, exit codes.
//!
//! Exit codes: 0 no counted finding at or above `--fail-on` (or `--exit-zero`); 1 counted
//! findings at or above it; 2 usage, input or rule errors (including a scan that could
//! not read every record, even with `--exit-zero`). A finding is counted when it is shown
//! (not hidden by `--select`/`--ignore`), not in the `--baseline` and not excepted by
//! `--exceptions` (see [`crate::gate`]).

/// `print!` / `println!` to stdout that end quietly when stdout is closed early
/// (`dirready rules list | head`), where the std macros panic.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

mod args;
mod config;
mod diff;
mod fix;
mod fixfiles;
mod live;
mod output;
mod rules_cmd;
mod scan;
mod trend;

use crate::gate::ExitStatus;
use crate::report::RenderError;
use args::{Cli, Command};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Why a command could not run to the end (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag or a combination of flags that cannot work.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
    #[error(transparent)]
    Input(#[from] crate::source::InputError),
    #[error(transparent)]
    Exceptions(#[from] crate::suppress::exceptions::ExceptionsError),
    #[error(transparent)]
    Baseline(#[from] crate::suppress::baseline::BaselineError),
    #[error(transparent)]
    Live(#[from] crate::source::ldap::LiveConfigError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Tenant(#[from] crate::tenant::snapshot::SnapshotError),
    #[error("{}: {source}", path.display())]
    Render { path: PathBuf, source: RenderError },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{}:{}: not a dirready JSON report: {source}", path.display(), source.line(), source.column())]
    NotAReport {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Diff(args) => diff::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Config { command } => match command {
            args::ConfigCommand::Init { path } => config::init(&path).map(|()| ExitStatus::Pass),
        },
        Command::Rules { command } => rules_cmd::run(command),
        Command::Trend(args) => trend::run(args),
    };
    let status = result.unwrap_or_else(|e| {
        eprintln!("dirready: error: {e}");
        ExitStatus::Error
    });
    ExitCode::from(status.code())
}
