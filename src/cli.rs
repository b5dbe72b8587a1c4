//! The command line: argument parsing, running a command, exit codes.
//!
//! Exit codes: 0 no counted finding at or above `--fail-on` (or `--exit-zero`); 1 counted
//! findings at or above it; 2 usage, input or rule errors (including a scan that could
//! not read every record, even with `--exit-zero`). A finding is counted when it is shown
//! (not hidden by `--select`/`--ignore`), not in the `--baseline` and not excepted by
//! `--exceptions`.

use crate::engine::{self, Input, ScanOptions};
use crate::findings::{Gate, Report, Severity};
use crate::model::DiagnosticLevel;
use crate::report::{self, OutputFormat};
use crate::rules::{self, RuleSet};
use crate::selection::Selection;
use crate::source::ldap;
use crate::suppress::{baseline, exceptions};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "dirready",
    version,
    about = "Find the directory objects that will fail or collide before you switch on Microsoft 365 / Entra ID directory synchronization.",
    long_about = "Find the directory objects that will fail or collide before you switch on Microsoft 365 / Entra ID \
directory synchronization, and how to fix each one.\n\ndirready only reads: it never writes to a directory."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan LDIF exports (files, .gz, or - for stdin) and live directories (ldap://, ldaps://,
    /// ldapi://) as one tenant, and report every object that will fail sync.
    Scan(Box<ScanArgs>),
    /// Compare two JSON reports (`-o report.json`): new, fixed and unchanged findings,
    /// by rule and category, in any output format.
    Diff(DiffArgs),
    /// List, show and test rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Args)]
struct ScanArgs {
    /// LDIF exports (gzip is detected; `-` reads stdin) and live directories
    /// (`ldap://`, `ldaps://`, `ldapi://` URLs) to scan as one tenant.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    live: LiveArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    gate: GateArgs,
    /// Mark findings whose fingerprint is in this baseline (or JSON report) as baselined:
    /// only new findings count for the exit code; fixed entries are listed.
    #[arg(long = "baseline", value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the fingerprints of every finding of this scan to FILE (a baseline).
    #[arg(long = "write-baseline", value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// YAML file of accepted findings (rule, dn glob / guid / value, reason, expires, owner).
    #[arg(long = "exceptions", value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// A verified domain of the tenant (repeatable; subdomains and onmicrosoft.com are
    /// accepted too): a UPN in another domain is an error with the suggestion
    /// `name@<first accepted domain>`; a mail or smtp: alias of a user or group in another
    /// domain is a warning. Contacts and targetAddress are never checked against it.
    #[arg(long = "accepted-domain", value_name = "DOMAIN")]
    accepted_domains: Vec<String>,
    /// Rule file or folder adding rules or replacing built-in rules by id (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Turn a rule off by id (repeatable).
    #[arg(long = "disable", value_name = "RULE")]
    disable: Vec<String>,
    /// No progress bar, no warnings or notes on stderr (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Bytes per record-aligned block handed to a worker (tuning and tests).
    #[arg(long = "block-size", value_name = "BYTES", default_value_t = 2 << 20, hide = true)]
    block_size: usize,
}

/// What is shown and what fails the run (shared by `scan` and `diff`).
#[derive(Args)]
struct GateArgs {
    /// Show only rules with these ids or id prefixes (`upn,proxy`); comma-separated or repeated.
    /// A display filter: the summary still counts every finding.
    #[arg(long = "select", value_name = "RULES", value_delimiter = ',')]
    select: Vec<String>,
    /// Hide rules with these ids or id prefixes (wins over --select).
    #[arg(long = "ignore", value_name = "RULES", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Exit 1 when a counted finding of this severity or higher is shown.
    #[arg(long = "fail-on", value_name = "SEVERITY", default_value = "error", value_parser = parse_severity)]
    fail_on: Severity,
    /// Exit 0 even when findings would fail the run (input errors still exit 2).
    #[arg(long = "exit-zero")]
    exit_zero: bool,
}

/// Where reports go (shared by `scan` and `diff`).
#[derive(Args)]
struct OutputArgs {
    /// Write a report to FILE; its format comes from the extension (.json, .md, .html, .txt,
    /// .sarif/.sarif.json, .xml = JUnit, .csv, .jsonl). Repeatable.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    outputs: Vec<PathBuf>,
    /// Format written to stdout.
    #[arg(long, value_enum, default_value = "terminal")]
    format: OutputFormat,
    /// Folder with report.html.j2 / report.md.j2 replacing the built-in templates.
    #[arg(long = "template-dir", value_name = "DIR")]
    template_dir: Option<PathBuf>,
}

#[derive(Args)]
struct DiffArgs {
    /// The older JSON report (or baseline file).
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The newer JSON report.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    gate: GateArgs,
    /// No warnings on stderr.
    #[arg(short, long)]
    quiet: bool,
}

/// Options of the live sources (URL inputs). The bind password is read from
/// DIRREADY_BIND_PASSWORD, --password-file, or a prompt on a terminal; no flag takes it.
#[derive(Args)]
#[command(next_help_heading = "Live directories (URL inputs)")]
struct LiveArgs {
    /// Search base (default: the server's defaultNamingContext or first namingContexts).
    #[arg(long, value_name = "DN")]
    base: Option<String>,
    /// LDAP search filter.
    #[arg(long, value_name = "FILTER", default_value = "(objectClass=*)")]
    filter: String,
    /// Simple bind as this DN (AD also takes `DOMAIN\user` or a UPN); anonymous without it.
    #[arg(long = "bind-dn", value_name = "DN")]
    bind_dn: Option<String>,
    /// Read the bind password from the first line of FILE (instead of DIRREADY_BIND_PASSWORD).
    #[arg(long = "password-file", value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Upgrade ldap:// connections with StartTLS.
    #[arg(long)]
    starttls: bool,
    /// Trust only the CA certificates in this PEM file (default: the system roots).
    #[arg(long = "ca-file", value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Do not verify the server's TLS certificate (test servers only).
    #[arg(long = "insecure-skip-verify")]
    insecure_skip_verify: bool,
    /// Allow a simple bind over plain ldap:// without StartTLS (the password travels in clear).
    #[arg(long = "allow-plaintext-bind")]
    allow_plaintext_bind: bool,
    /// Entries per page of the paged search (1 to 1000).
    #[arg(long = "page-size", value_name = "N", default_value_t = 500)]
    page_size: i32,
    /// Seconds to wait for a connection or a server reply.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
    /// Write what was read from the live source as LDIF (ldapsearch style, unfolded) to FILE;
    /// findings cite its line numbers. With several live sources: FILE-1.ext, FILE-2.ext, ...
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// With several inputs, scan the others when one fails, and mark the report incomplete.
    #[arg(long = "keep-going")]
    keep_going: bool,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// List the rules (built-in plus --rules).
    List {
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one rule in full.
    Show {
        id: String,
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
    },
    /// Run the rules' own examples (the built-in pack, or the rules in PATH).
    Test {
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    match s.to_ascii_lowercase().as_str() {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        _ => Err(format!("`{s}` is not a severity (error, warning, info)")),
    }
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
    let code = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Diff(args) => diff(args),
        Command::Rules { command } => rules_command(command),
    };
    ExitCode::from(code)
}

fn error(msg: impl std::fmt::Display) -> u8 {
    eprintln!("dirready: error: {msg}");
    2
}

fn load_rules(paths: &[PathBuf]) -> Result<RuleSet, u8> {
    RuleSet::with_user_rules(paths).map_err(error)
}

fn scan(args: ScanArgs) -> u8 {
    if let Some(n) = args.threads {
        if n == 0 {
            return error("--threads must be at least 1");
        }
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let outputs = match output_formats(&args.output.outputs) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let exceptions = match &args.exceptions {
        Some(p) => match exceptions::load(p) {
            Ok(e) => Some(e),
            Err(e) => return error(e),
        },
        None => None,
    };
    let baseline_entries = match &args.baseline {
        Some(p) => match baseline::load(p) {
            Ok(e) => Some(e),
            Err(e) => return error(e),
        },
        None => None,
    };
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        return error("stdin (-) can be read only once");
    }
    let mut set = match load_rules(&args.rules) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if let Err(e) = set.disable(&args.disable) {
        return error(e);
    }

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
        ..Default::default()
    };
    if let Some(pb) = &bar {
        let pb = pb.clone();
        opts.progress = Some(Arc::new(move |n| pb.inc(n)));
    }
    let urls = args.inputs.iter().filter(|i| ldap::is_url(i)).count();
    let live = if urls > 0 {
        match live_options(&args, &set) {
            Ok(o) => Some(Arc::new(o)),
            Err(e) => return error(e),
        }
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
            _ => Input::open(name, &opts),
        };
        match input {
            Ok(i) => inputs.push(i),
            Err(e) => return error(e),
        }
    }
    let report = match engine::scan(inputs, &set, &opts) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let mut report = report;
    // Findings from a live source cite lines of its snapshot: say which file that is.
    for input in &mut report.summary.inputs {
        if let Some((_, p)) = snapshots.iter().find(|(url, _)| *url == input.path) {
            input.snapshot = Some(p.display().to_string());
        }
    }
    if let Some(path) = &args.write_baseline {
        let b = baseline::build(&report.tool, &report.findings);
        let written = baseline::to_json(&b)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
        if let Err(e) = written {
            return error(format!("{}: cannot write baseline: {e}", path.display()));
        }
    }
    if let Some(ex) = &exceptions {
        ex.apply(&mut report, &exceptions::today());
    }
    let selection = selection_of(&args.gate, &report, args.quiet);
    let existing: std::collections::HashSet<String> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    selection.apply(&mut report);
    if let (Some(entries), Some(path)) = (&baseline_entries, &args.baseline) {
        baseline::apply(
            &mut report,
            &path.display().to_string(),
            entries,
            &existing,
            |r| selection.shows(r),
        );
    }
    print_diagnostics(&report, args.quiet);
    let out = Outputs {
        files: &outputs,
        stdout: args.output.format,
        template_dir: args.output.template_dir.as_deref(),
        quiet: args.quiet,
    };
    conclude(report, &args.gate, &out, "dirready scan")
}

/// Where a finished report goes.
struct Outputs<'a> {
    files: &'a [(PathBuf, OutputFormat)],
    stdout: OutputFormat,
    template_dir: Option<&'a std::path::Path>,
    quiet: bool,
}

/// Applies the gate, appends the GitHub step summary, writes every output; the exit code.
fn conclude(mut report: Report, gate: &GateArgs, out: &Outputs, command: &str) -> u8 {
    let code = set_gate(&mut report, gate);
    if let Err(e) = report::github::append_step_summary(&report, command) {
        eprintln!("dirready: warning: {e}");
    }
    if let Err(c) = write_outputs(&report, out.files, out.stdout, out.template_dir, out.quiet) {
        return c;
    }
    code
}

fn output_formats(paths: &[PathBuf]) -> Result<Vec<(PathBuf, OutputFormat)>, u8> {
    let mut outputs = Vec::new();
    for path in paths {
        match OutputFormat::from_path(path) {
            Some(f) => outputs.push((path.clone(), f)),
            None => {
                return Err(error(format!(
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
fn selection_of(args: &GateArgs, report: &Report, quiet: bool) -> Selection {
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

/// Decides the exit code and records why in the report.
fn set_gate(report: &mut Report, args: &GateArgs) -> u8 {
    let mut by_state = std::collections::BTreeMap::new();
    for f in &report.findings {
        let s = f.state.map(|s| s.as_str()).unwrap_or("new");
        *by_state.entry(s.to_string()).or_insert(0u64) += 1;
    }
    let failing = report
        .findings
        .iter()
        .filter(|f| f.is_new() && f.severity >= args.fail_on)
        .count() as u64;
    let code = if report.summary.incomplete {
        2
    } else if args.exit_zero || failing == 0 {
        0
    } else {
        1
    };
    report.gate = Some(Gate {
        fail_on: args.fail_on,
        exit_zero: args.exit_zero,
        failing,
        by_state,
        exit_code: code,
    });
    code
}

fn write_outputs(
    report: &Report,
    outputs: &[(PathBuf, OutputFormat)],
    format: OutputFormat,
    template_dir: Option<&std::path::Path>,
    quiet: bool,
) -> Result<(), u8> {
    for (path, format) in outputs {
        let text = match report::render(*format, report, template_dir, false) {
            Ok(t) => t,
            Err(e) => return Err(error(format!("{}: {e}", path.display()))),
        };
        if let Err(e) = std::fs::write(path, text) {
            return Err(error(format!("{}: cannot write: {e}", path.display())));
        }
    }
    if !(quiet && format == OutputFormat::Terminal) {
        let color = format == OutputFormat::Terminal
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none();
        match report::render(format, report, template_dir, color) {
            Ok(text) => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) is not an error.
                let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            }
            Err(e) => return Err(error(e)),
        }
    }
    Ok(())
}

/// The live-source options: flags, the password, and the attributes the rules read.
fn live_options(args: &ScanArgs, set: &RuleSet) -> Result<ldap::LiveOptions, String> {
    let l = &args.live;
    if !(1..=ldap::MAX_PAGE_SIZE).contains(&l.page_size) {
        return Err(format!("--page-size must be 1 to {}", ldap::MAX_PAGE_SIZE));
    }
    if l.timeout == 0 {
        return Err("--timeout must be at least 1 second".into());
    }
    let password = match &l.bind_dn {
        Some(dn) => Some(read_password(dn, l.password_file.as_deref(), &args.inputs)?),
        None => None,
    };
    if l.insecure_skip_verify && !args.quiet {
        eprintln!("dirready: warning: --insecure-skip-verify: the server's TLS certificate is not verified");
    }
    Ok(ldap::LiveOptions {
        base: l.base.clone(),
        filter: l.filter.clone(),
        bind_dn: l.bind_dn.clone(),
        password,
        starttls: l.starttls,
        ca_file: l.ca_file.clone(),
        insecure_skip_verify: l.insecure_skip_verify,
        allow_plaintext_bind: l.allow_plaintext_bind,
        page_size: l.page_size,
        timeout: std::time::Duration::from_secs(l.timeout),
        attributes: ldap::requested_attributes(set),
    })
}

/// The bind password: --password-file, else DIRREADY_BIND_PASSWORD, else a prompt when
/// stdin is a terminal (and not an input).
fn read_password(
    dn: &str,
    file: Option<&std::path::Path>,
    inputs: &[String],
) -> Result<ldap::Secret, String> {
    let pw = if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| format!("{}: cannot read the password file: {e}", f.display()))?;
        text.lines().next().unwrap_or("").to_string()
    } else if let Some(p) = std::env::var_os("DIRREADY_BIND_PASSWORD") {
        p.into_string()
            .map_err(|_| "DIRREADY_BIND_PASSWORD is not valid UTF-8".to_string())?
    } else if std::io::stdin().is_terminal() && !inputs.iter().any(|i| i == "-") {
        rpassword::prompt_password(format!("Password for {dn}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?
    } else {
        return Err(format!(
            "--bind-dn {dn} needs a password: set DIRREADY_BIND_PASSWORD, use --password-file FILE, or run on a terminal to be prompted"
        ));
    };
    if pw.is_empty() {
        return Err(format!("the password for {dn} is empty"));
    }
    Ok(ldap::Secret::new(pw))
}

/// `seen.ldif` for one live source; `seen-1.ldif`, `seen-2.ldif`, ... for several.
fn snapshot_path(p: &std::path::Path, n: usize, of: usize) -> PathBuf {
    if of <= 1 {
        return p.to_path_buf();
    }
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match p.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    p.with_file_name(name)
}

/// `dirready diff OLD NEW`: the newer report with the older one as its baseline.
fn diff(args: DiffArgs) -> u8 {
    let outputs = match output_formats(&args.output.outputs) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let old = match baseline::load(&args.old) {
        Ok(e) => e,
        Err(e) => return error(e),
    };
    let text = match std::fs::read_to_string(&args.new) {
        Ok(t) => t,
        Err(e) => return error(format!("{}: cannot read: {e}", args.new.display())),
    };
    let mut report: Report = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            return error(format!(
                "{}:{}:{}: not a dirready JSON report: {e}",
                args.new.display(),
                e.line(),
                e.column()
            ))
        }
    };
    report.fill_fingerprints();
    let old_text = std::fs::read_to_string(&args.old).unwrap_or_default();
    for (path, filtered) in [
        (&args.old, old_text.contains("\"hidden_rules\"")),
        (&args.new, report.selection.is_some()),
    ] {
        if filtered {
            report.diagnostics.push(crate::model::Diagnostic {
                level: DiagnosticLevel::Warning,
                file: path.display().to_string(),
                line: 0,
                column: 0,
                message: "this report was written with --select/--ignore: findings of hidden \
                          rules are missing from it and may show as new or fixed"
                    .into(),
            });
        }
    }
    for f in &mut report.findings {
        f.state = None;
        f.exception = None;
    }
    report.gate = None;
    report.selection = None;
    report.baseline = None;
    report.exceptions = None;
    let selection = selection_of(&args.gate, &report, args.quiet);
    let existing: std::collections::HashSet<String> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    selection.apply(&mut report);
    baseline::apply(
        &mut report,
        &args.old.display().to_string(),
        &old,
        &existing,
        |r| selection.shows(r),
    );
    let out = Outputs {
        files: &outputs,
        stdout: args.output.format,
        template_dir: args.output.template_dir.as_deref(),
        quiet: args.quiet,
    };
    conclude(report, &args.gate, &out, "dirready diff")
}

/// Input problems go to stderr: errors always, warnings and notes unless quiet; at most
/// 20 of each level (the reports list them all).
fn print_diagnostics(report: &Report, quiet: bool) {
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
            eprintln!("{}", report::terminal::printable(&d.to_string()));
        }
        if all.len() > 20 {
            eprintln!(
                "... and {} more (the reports list them all)",
                all.len() - 20
            );
        }
    }
}

fn rules_command(cmd: RulesCommand) -> u8 {
    match cmd {
        RulesCommand::List { rules, json } => {
            let set = match load_rules(&rules) {
                Ok(s) => s,
                Err(c) => return c,
            };
            if json {
                let defs: Vec<&rules::RuleDef> = set.rules.iter().map(|r| &r.def).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&defs).unwrap_or_default()
                );
            } else {
                let w = set.rules.iter().map(|r| r.def.id.len()).max().unwrap_or(0);
                for r in &set.rules {
                    println!(
                        "{:w$}  {:7}  {:9}  {:18}  {}",
                        r.def.id,
                        r.def.severity.as_str(),
                        r.def.category.as_str(),
                        r.def.attribute,
                        r.def.title
                    );
                }
            }
            0
        }
        RulesCommand::Show { id, rules } => {
            let set = match load_rules(&rules) {
                Ok(s) => s,
                Err(c) => return c,
            };
            match set.get(&id) {
                Some(r) => {
                    println!("# {} (from {})", r.def.id, r.origin);
                    print!("{}", serde_yaml::to_string(&r.def).unwrap_or_default());
                    0
                }
                None => error(format!(
                    "no rule has the id `{id}` (see `dirready rules list`)"
                )),
            }
        }
        RulesCommand::Test { path } => {
            let set = match &path {
                Some(p) => RuleSet::from_paths(std::slice::from_ref(p)),
                None => RuleSet::builtin(),
            };
            let set = match set {
                Ok(s) => s,
                Err(e) => return error(e),
            };
            let (count, failures) = rules::examples::run(&set, None);
            for f in &failures {
                println!("FAIL {f}");
            }
            println!(
                "{} examples of {} rules: {} passed, {} failed",
                count,
                set.rules.len(),
                count - failures.len(),
                failures.len()
            );
            if failures.is_empty() {
                0
            } else {
                1
            }
        }
    }
}
