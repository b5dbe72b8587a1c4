//! `dirready diff OLD NEW`: the newer report with the older one as its baseline.

use super::args::DiffArgs;
use super::output::{conclude, gate_options, output_formats, selection_of, Outputs};
use super::CliError;
use crate::findings::Report;
use crate::gate::{self, BaselineRef, ExitStatus, Suppressions};
use crate::model::{Diagnostic, DiagnosticLevel};
use crate::suppress::baseline;

pub fn run(args: DiffArgs) -> Result<ExitStatus, CliError> {
    let outputs = output_formats(&args.output.outputs)?;
    let mut redactor = super::output::redactor(args.output.redact)?;
    let old = baseline::load(&args.old)?;
    let text = std::fs::read_to_string(&args.new).map_err(|source| CliError::Read {
        path: args.new.clone(),
        source,
    })?;
    let mut report: Report =
        serde_json::from_str(&text).map_err(|source| CliError::NotAReport {
            path: args.new.clone(),
            source,
        })?;
    report.fill_fingerprints();
    let old_text = std::fs::read_to_string(&args.old).unwrap_or_default();
    for (path, filtered) in [
        (&args.old, old_text.contains("\"hidden_rules\"")),
        (&args.new, report.selection.is_some()),
    ] {
        if filtered {
            report.diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Warning,
                file: path.display().to_string(),
                line: 0,
                column: 0,
                message: "this report was written with --select/--ignore: findings of hidden \
                          rules are missing from it and may show as new or fixed"
                    .into(),
                limit: None,
            });
        }
    }
    // The newer report's own gate is replaced by the comparison with the older one.
    for f in &mut report.findings {
        f.state = None;
        f.exception = None;
    }
    report.gate = None;
    report.selection = None;
    report.baseline = None;
    report.exceptions = None;
    let old_path = args.old.display().to_string();
    let suppressions = Suppressions {
        exceptions: None,
        selection: selection_of(&args.gate, &report, args.quiet),
        baseline: Some(BaselineRef {
            path: &old_path,
            entries: &old,
        }),
    };
    if let Some(r) = redactor.as_mut() {
        r.align_fingerprints(&mut report.findings, &old);
    }
    let status = gate::apply(&mut report, &suppressions, &gate_options(&args.gate));
    if let Some(r) = redactor.as_mut() {
        r.report(&mut report);
    }
    let out = Outputs {
        files: &outputs,
        stdout: args.output.format,
        template_dir: args.output.template_dir.as_deref(),
        quiet: args.quiet,
    };
    conclude(&report, status, &out, "dirready diff")
}
