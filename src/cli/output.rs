//! Where a finished report goes: files by extension, stdout, the GitHub step summary, and
//! input diagnostics on stderr.

use super::args::GateArgs;
use super::CliError;
use crate::findings::Report;
use crate::gate::{ExitStatus, GateOptions};
use crate::model::DiagnosticLevel;
use crate::report::{self, OutputFormat, RenderError};
use crate::selection::Selection;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Where a finished report goes.
pub struct Outputs<'a> {
    pub files: &'a [(PathBuf, OutputFormat)],
    pub stdout: OutputFormat,
    pub template_dir: Option<&'a std::path::Path>,
    pub quiet: bool,
}

/// Appends the GitHub step summary and writes every output of a report whose gate is
/// decided; the exit status.
pub fn conclude(
    report: &Report,
    status: ExitStatus,
    out: &Outputs,
    command: &str,
) -> Result<ExitStatus, CliError> {
    if let Err(e) = report::github::append_step_summary(report, command) {
        eprintln!("dirready: warning: {e}");
    }
    write_outputs(report, out.files, out.stdout, out.template_dir, out.quiet)?;
    Ok(status)
}

/// `--redact`: the pseudonym maker, keyed from the environment (before any work, so a
/// missing key source fails early).
pub fn redactor(redact: bool) -> Result<Option<report::redact::Redactor>, CliError> {
    if !redact {
        return Ok(None);
    }
    let key = report::redact::RedactKey::from_env().map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Some(report::redact::Redactor::new(key)))
}

/// What fails the run, from the flags.
pub fn gate_options(args: &GateArgs) -> GateOptions {
    GateOptions {
        fail_on: args.fail_on.unwrap_or(crate::findings::Severity::Error),
        exit_zero: args.exit_zero,
    }
}

pub fn output_formats(paths: &[PathBuf]) -> Result<Vec<(PathBuf, OutputFormat)>, CliError> {
    let mut outputs = Vec::new();
    for path in paths {
        match OutputFormat::from_path(path) {
            Some(f) => outputs.push((path.clone(), f)),
            None => {
                return Err(CliError::Usage(format!(
                    "{}: cannot tell the report format from the extension (use .json, .md, .html, .txt, \
                     .sarif, .xml, .csv or .jsonl)",
                    path.display()
                )))
            }
        }
    }
    Ok(outputs)
}

/// The display filter of the command line; selectors that match no rule are warned about.
pub fn selection_of(args: &GateArgs, report: &Report, quiet: bool) -> Selection {
    let selection = Selection {
        select: args
            .select
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
        ignore: args
            .ignore
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
    };
    if !quiet {
        let ids: Vec<&str> = report.rules.iter().map(|r| r.id.as_str()).collect();
        for s in selection.unknown(&ids) {
            eprintln!("dirready: warning: `{s}` in --select/--ignore matches no rule");
        }
    }
    selection
}

fn write_outputs(
    report: &Report,
    outputs: &[(PathBuf, OutputFormat)],
    format: OutputFormat,
    template_dir: Option<&std::path::Path>,
    quiet: bool,
) -> Result<(), CliError> {
    use rayon::prelude::*;
    // Each output is written by its own task: the reports of a big run render in parallel.
    // One that fails does not stop the others; the first failure is the run's error.
    let results: Vec<Result<(), CliError>> = outputs
        .par_iter()
        .map(|(path, format)| write_file(report, path, *format, template_dir))
        .collect();
    results.into_iter().collect::<Result<Vec<()>, CliError>>()?;
    if !(quiet && format == OutputFormat::Terminal) {
        let color = format == OutputFormat::Terminal
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = report::write(format, report, template_dir, color, &mut out)
            .and_then(|()| out.flush().map_err(RenderError::Write));
        match written {
            Ok(()) => {}
            Err(RenderError::Write(e)) => stdout_written(Err(e))?,
            Err(source) => {
                return Err(CliError::Render {
                    path: PathBuf::from("<stdout>"),
                    source,
                })
            }
        }
    }
    Ok(())
}

/// What a write to standard output means for the run: a reader that closed the pipe
/// early (`| head`) is not an error; a full disk or a failing device is.
pub fn stdout_written(written: std::io::Result<()>) -> Result<(), CliError> {
    match written {
        Err(source) if source.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Write {
            path: PathBuf::from("<stdout>"),
            source,
        }),
        _ => Ok(()),
    }
}

/// Writes one report file: into a temporary file beside it, renamed over `path` once
/// complete, so a failed run never leaves half a report where the last good one was.
fn write_file(
    report: &Report,
    path: &std::path::Path,
    format: OutputFormat,
    template_dir: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let write_err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(write_err)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        report::write(format, report, template_dir, false, &mut out).map_err(|e| match e {
            RenderError::Write(source) => write_err(source),
            source => CliError::Render {
                path: path.to_path_buf(),
                source,
            },
        })?;
        out.into_inner().map_err(|e| write_err(e.into_error()))?;
        std::fs::rename(&tmp, path).map_err(write_err)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Input problems go to stderr: errors always, warnings and notes unless quiet; at most
/// 20 of each level (the reports list them all).
pub fn print_diagnostics(report: &Report, quiet: bool) {
    for level in [
        DiagnosticLevel::Error,
        DiagnosticLevel::Warning,
        DiagnosticLevel::Note,
    ] {
        if quiet && level != DiagnosticLevel::Error {
            continue;
        }
        let all: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.level == level)
            .collect();
        for d in all.iter().take(20) {
            eprintln!("{}", report::escape::terminal(&d.to_string()));
        }
        // The summary also counts those no report lists (past --max-diagnostics).
        let name = match level {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Note => "note",
        };
        let total = report.summary.diagnostics.get(name).copied().unwrap_or(0);
        let shown = all.len().min(20) as u64;
        let more = total.max(all.len() as u64).saturating_sub(shown);
        if more > 0 {
            let not_listed = report.summary.diagnostics_not_listed;
            if not_listed == 0 {
                eprintln!("... and {more} more (the reports list them all)");
            } else {
                eprintln!(
                    "... and {more} more (the reports list the first of each input; \
                     {not_listed} diagnostics in all are counted but not listed, see --max-diagnostics)"
                );
            }
        }
    }
}
