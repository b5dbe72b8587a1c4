//! `dirready scan`: read the inputs as one tenant, check them, gate and write reports.

use super::args::ScanArgs;
use super::live::{live_options, snapshot_path};
use super::output::{
    conclude, gate_options, output_formats, print_diagnostics, selection_of, Outputs,
};
use super::CliError;
use crate::engine::{self, ScanOptions};
use crate::gate::{self, BaselineRef, ExitStatus, Suppressions};
use crate::rules::RuleSet;
use crate::source::{ldap, Input};
use crate::suppress::{baseline, exceptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(mut args: ScanArgs) -> Result<ExitStatus, CliError> {
    // Stamped at the start: `dirready trend` orders runs by it.
    let generated_at = crate::trend::generated_at_now().map_err(CliError::Usage)?;
    if let Some((_, settings)) = super::config::load(args.config.as_deref())? {
        super::config::apply(settings, &mut args);
    }
    if args.inputs.is_empty() {
        return Err(CliError::Usage(
            "no input: name LDIF files or ldap:// URLs, or list them under `inputs:` in dirready.yaml".into(),
        ));
    }
    if args.output.redact && args.fix.any() {
        return Err(CliError::Usage(
            "--redact cannot be combined with --fix-ldif, --fix-ps1 or --decisions-csv: fix files \
             made from pseudonyms would write them into the directory (make them from an unredacted run)"
                .into(),
        ));
    }
    let mut redactor = super::output::redactor(args.output.redact)?;
    if let Some(n) = args.threads {
        if n == 0 {
            return Err(CliError::Usage("--threads must be at least 1".into()));
        }
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let outputs = output_formats(&args.output.outputs)?;
    let exceptions = args
        .exceptions
        .as_deref()
        .map(exceptions::load)
        .transpose()?;
    let baseline_entries = args.baseline.as_deref().map(baseline::load).transpose()?;
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err(CliError::Usage("stdin (-) can be read only once".into()));
    }
    let target = args.target.unwrap_or_default();
    let mut set = RuleSet::with_user_rules(&args.rules)?.for_target(target);
    // Predictions are not rules of the set; --disable turns them off too.
    let (off_predictions, off_rules): (Vec<String>, Vec<String>) = args
        .disable
        .iter()
        .cloned()
        .partition(|id| crate::tenant::PREDICTIONS.iter().any(|p| p.id == id));
    set.disable(&off_rules)?;

    let tenant = if args.tenant.is_empty() {
        None
    } else {
        let mut index = crate::tenant::TenantIndex::default();
        for arg in &args.tenant {
            let (kind, file) = crate::tenant::snapshot::parse_arg(arg)?;
            crate::tenant::snapshot::load(&file, kind, &mut index)?;
        }
        index.finish();
        Some(Arc::new(index))
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let total: u64 = args
        .inputs
        .iter()
        .filter_map(|i| std::fs::metadata(i).ok())
        .map(|m| m.len())
        .sum();
    let bar = show_progress.then(|| {
        let pb = indicatif::ProgressBar::new(total);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} {bytes_per_sec} {wide_bar} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let mut opts = ScanOptions {
        accepted_domains: args.accepted_domains.clone(),
        block_size: args.block_size.max(1),
        keep_going: args.live.keep_going,
        include_ous: args.include_ous.clone(),
        exclude_ous: args.exclude_ous.clone(),
        target,
        tenant,
        disabled_predictions: off_predictions,
        limits: crate::source::Limits {
            max_line: args.max_line_bytes,
            max_value: args.max_value_bytes,
            max_entry: args.max_entry_bytes,
            max_values: args.max_values,
            max_diagnostics: args.max_diagnostics,
        },
        ..Default::default()
    };
    if let Some(pb) = &bar {
        let pb = pb.clone();
        opts.progress = Some(Arc::new(move |n| pb.inc(n)));
    }
    let urls = args.inputs.iter().filter(|i| ldap::is_url(i)).count();
    let live = if urls > 0 {
        Some(Arc::new(live_options(&args, &set)?))
    } else {
        None
    };
    let mut inputs = Vec::new();
    let mut snapshots: Vec<(String, PathBuf)> = Vec::new();
    let mut url_no = 0;
    for name in &args.inputs {
        let input = match &live {
            Some(o) if ldap::is_url(name) => {
                url_no += 1;
                let snapshot = args
                    .live
                    .snapshot
                    .as_deref()
                    .map(|p| snapshot_path(p, url_no, urls));
                if let Some(p) = &snapshot {
                    snapshots.push((name.clone(), p.clone()));
                }
                ldap::open_input(name, o.clone(), snapshot, opts.block_size)
            }
            _ => Input::open(name, opts.block_size),
        };
        inputs.push(input?);
    }
    let mut report = engine::scan(inputs, &set, &opts)?;
    report.generated_at = Some(generated_at);
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    // Findings from a live source cite lines of its snapshot: say which file that is.
    for input in &mut report.summary.inputs {
        if let Some((_, p)) = snapshots.iter().find(|(url, _)| *url == input.path) {
            input.snapshot = Some(p.display().to_string());
        }
    }
    if let Some(path) = &args.write_baseline {
        // Under --redact the baseline holds pseudonyms too.
        let b = match redactor.as_mut() {
            Some(r) => baseline::build(&report.tool, &r.findings(&report.findings)),
            None => baseline::build(&report.tool, &report.findings),
        };
        let text = baseline::to_json(&b).map_err(|e| CliError::Write {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    }
    let today = exceptions::today();
    let baseline_path = args
        .baseline
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let suppressions = Suppressions {
        exceptions: exceptions.as_ref().map(|e| (e, today.as_str())),
        selection: selection_of(&args.gate, &report, args.quiet),
        baseline: baseline_entries.as_deref().map(|entries| BaselineRef {
            path: &baseline_path,
            entries,
        }),
    };
    if let (Some(r), Some(entries)) = (redactor.as_mut(), baseline_entries.as_deref()) {
        r.align_fingerprints(&mut report.findings, entries);
    }
    let status = gate::apply(&mut report, &suppressions, &gate_options(&args.gate));
    if let Some(r) = redactor.as_mut() {
        r.report(&mut report);
    }
    print_diagnostics(&report, args.quiet);
    if args.fix.any() {
        let mut plan = crate::fixes::plan::plan(&report);
        // The inputs are read again: suggestions must not collide with values of objects
        // the scan left out (outside the sync scope, or not checked).
        let (_, mut refused, holders) =
            crate::fixes::validate::verify_inputs(&report, &set, &mut plan, true);
        refused.extend(crate::fixes::validate::check_values(
            &set, &report, &mut plan, &holders,
        ));
        for r in &refused {
            if !args.quiet {
                super::fixfiles::print_refusal("not in the fix files", r);
            }
        }
        plan.refused.extend(refused);
        super::fixfiles::write(&report, &plan, &args.fix, args.quiet)?;
    }
    let out = Outputs {
        files: &outputs,
        stdout: args.output.format,
        template_dir: args.output.template_dir.as_deref(),
        quiet: args.quiet,
    };
    let status = conclude(&report, status, &out, "dirready scan");
    // The process ends next: freeing every finding one by one would only delay the exit.
    std::mem::forget(report);
    status
}
