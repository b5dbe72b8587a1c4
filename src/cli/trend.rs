//! `dirready trend REPORT...`: findings over time from saved JSON reports, one per run.

use super::args::TrendArgs;
use super::CliError;
use crate::findings::Report;
use crate::gate::ExitStatus;
use crate::report::escape;
use crate::trend::{self, view, Builder, Format, Head, RunTime};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(args: TrendArgs) -> Result<ExitStatus, CliError> {
    if args.reports.is_empty() {
        return Err(CliError::Usage(
            "no report: name at least one JSON report (`dirready scan ... -o report.json`)".into(),
        ));
    }
    let mut outputs = Vec::new();
    for path in &args.outputs {
        let format = Format::from_path(path).ok_or_else(|| {
            CliError::Usage(format!(
                "{}: cannot tell the trend format from the extension (use .html, .md or .json)",
                path.display()
            ))
        })?;
        outputs.push((path, format));
    }
    // First pass: every file must be a report, and its time orders the runs. Findings are
    // not kept, so a hundred big reports are never in memory together.
    let mut times = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let head: Head = parse(path)?;
        let time = RunTime::of(head.generated_at.as_deref(), || {
            std::fs::metadata(path)?.modified()
        })
        .map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        times.push(time);
    }
    let mut builder = Builder::new();
    for i in trend::order(&times) {
        let path = &args.reports[i];
        let report: Report = parse(path)?;
        builder.push(&path.display().to_string(), times[i], report);
    }
    let trend = builder.finish();
    if !args.quiet {
        for w in &trend.warnings {
            eprintln!(
                "dirready: warning: {}",
                escape::terminal(&format!("run {} ({}): {}", w.run, w.file, w.message))
            );
        }
    }
    for (path, format) in outputs {
        let text = view::render(format, &trend).map_err(|source| CliError::Render {
            path: path.clone(),
            source,
        })?;
        std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    }
    // Nothing on stdout when files were asked for, unless --format says so.
    let stdout = match args.format {
        Some(f) => Some(f),
        None if args.outputs.is_empty() => Some(Format::Markdown),
        None => None,
    };
    if let Some(format) = stdout {
        let text = view::render(format, &trend).map_err(|source| CliError::Render {
            path: PathBuf::from("<stdout>"),
            source,
        })?;
        let mut out = std::io::stdout().lock();
        super::output::stdout_written(out.write_all(text.as_bytes()).and_then(|_| out.flush()))?;
    }
    Ok(ExitStatus::Pass)
}

/// Reads a JSON report (or the part of it `T` needs); anything else is an error naming
/// the file, with the line and column where it stops being a report.
fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| CliError::NotAReport {
        path: path.to_path_buf(),
        source,
    })
}
