//! The command-line arguments (clap): one struct per command, shared flag groups.

use crate::findings::Severity;
use crate::report::OutputFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "dirready",
    version,
    about = "Find the directory objects that will fail or collide before you switch on Microsoft 365 / Entra ID directory synchronization.",
    long_about = "Find the directory objects that will fail or collide before you switch on Microsoft 365 / Entra ID \
directory synchronization, and how to fix each one.\n\ndirready only reads: it never writes to a directory."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan LDIF exports (files, .gz, or - for stdin) and live directories (ldap://, ldaps://,
    /// ldapi://) as one tenant, and report every object that will fail sync.
    Scan(Box<ScanArgs>),
    /// Compare two JSON reports (`-o report.json`): new, fixed and unchanged findings,
    /// by rule and category, in any output format.
    Diff(DiffArgs),
    /// The settings file (dirready.yaml).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Write fix files (LDIF, PowerShell, decisions CSV) from a saved JSON report, with
    /// hand-edited suggestions and a filled-in decisions CSV; every edit is validated again
    /// and refused when the inputs changed since.
    Fix(FixCmdArgs),
    /// Findings over time from saved JSON reports (`scan -o report.json`), one per run:
    /// charts (.html), tables for a wiki (.md) or the series (.json), with the findings
    /// new and fixed since the run before.
    Trend(TrendArgs),
    /// List, show and test rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Args)]
pub struct ScanArgs {
    /// LDIF exports (gzip is detected; `-` reads stdin) and live directories
    /// (`ldap://`, `ldaps://`, `ldapi://` URLs) to scan as one tenant.
    /// (May come from the settings file instead.)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Settings file (default: ./dirready.yaml when it exists); flags override it.
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub fix: FixArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Mark findings whose fingerprint is in this baseline (or JSON report) as baselined:
    /// only new findings count for the exit code; fixed entries are listed.
    #[arg(long = "baseline", value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of every finding of this scan to FILE (a baseline).
    #[arg(long = "write-baseline", value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// YAML file of accepted findings (rule, dn glob / guid / value, reason, expires, owner).
    #[arg(long = "exceptions", value_name = "FILE")]
    pub exceptions: Option<PathBuf>,
    /// A verified domain of the tenant (repeatable; subdomains and onmicrosoft.com are
    /// accepted too): a UPN in another domain is an error with the suggestion
    /// `name@<first accepted domain>`; a mail or smtp: alias of a user or group in another
    /// domain is a warning. Contacts and targetAddress are never checked against it.
    #[arg(long = "accepted-domain", value_name = "DOMAIN")]
    pub accepted_domains: Vec<String>,
    /// Sync scope: only objects at or under this DN are in scope (repeatable); others are
    /// out of scope as `outside-sync-scope`. DNs compare RDN by RDN, ignoring case.
    #[arg(long = "include-ou", value_name = "DN")]
    pub include_ous: Vec<String>,
    /// Objects at or under this DN are out of scope as `excluded-ou` (repeatable; wins over
    /// --include-ou).
    #[arg(long = "exclude-ou", value_name = "DN")]
    pub exclude_ous: Vec<String>,
    /// The sync engine to prepare for: `connect-sync` (Entra Connect Sync, the default)
    /// or `cloud-sync` (Entra Cloud Sync: groups over 50,000 members are errors, and a
    /// domain over 150,000 in-scope objects is reported).
    #[arg(long = "target", value_name = "TARGET", value_enum)]
    pub target: Option<crate::rules::Target>,
    /// A snapshot of the tenant's cloud objects (Graph PowerShell `ConvertTo-Json` or Graph
    /// REST pages, repeatable; `user=FILE`, `group=FILE`, `contact=FILE` when the file has no
    /// `@odata.type`): predicts the first sync's hard and soft matches, conflicts and
    /// collisions. Read locally; never contacts Graph.
    #[arg(long = "tenant", value_name = "[KIND=]FILE")]
    pub tenant: Vec<String>,
    /// Rule file or folder adding rules or replacing built-in rules by id (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Turn a rule off by id (repeatable).
    #[arg(long = "disable", value_name = "RULE")]
    pub disable: Vec<String>,
    /// No progress bar, no warnings or notes on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Threads that read, parse and check the input (default: one per core); `--threads 1`
    /// scans a file on one thread (a pipe or FIFO also gets a thread that reads ahead).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Longest logical (unfolded) LDIF line in bytes; a record with a longer one is not
    /// checked and the report is marked incomplete.
    #[arg(long = "max-line-bytes", value_name = "BYTES", default_value_t = crate::source::Limits::default().max_line)]
    pub max_line_bytes: usize,
    /// Longest value a rule reads, in bytes (decoded); past it the entry is not checked.
    #[arg(long = "max-value-bytes", value_name = "BYTES", default_value_t = crate::source::Limits::default().max_value)]
    pub max_value_bytes: usize,
    /// Longest record in bytes; a longer one is skipped, not checked.
    #[arg(long = "max-entry-bytes", value_name = "BYTES", default_value_t = crate::source::Limits::default().max_entry)]
    pub max_entry_bytes: usize,
    /// Most values of one attribute a rule reads, in one entry (e.g. proxyAddresses).
    #[arg(long = "max-values", value_name = "N", default_value_t = crate::source::Limits::default().max_values)]
    pub max_values: usize,
    /// Diagnostics the reports list for one input (the first, in line order); the rest
    /// are counted in the summary and named in one warning.
    #[arg(long = "max-diagnostics", value_name = "N", default_value_t = crate::source::Limits::default().max_diagnostics)]
    pub max_diagnostics: usize,
    /// Bytes per record-aligned block handed to a worker (tuning and tests).
    #[arg(long = "block-size", value_name = "BYTES", default_value_t = crate::source::input::DEFAULT_BLOCK_SIZE, hide = true)]
    pub block_size: usize,
}

/// What is shown and what fails the run (shared by `scan` and `diff`).
#[derive(Args)]
pub struct GateArgs {
    /// Show only rules with these ids or id prefixes (`upn,proxy`); comma-separated or repeated.
    /// A display filter: the summary still counts every finding.
    #[arg(long = "select", value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Hide rules with these ids or id prefixes (wins over --select).
    #[arg(long = "ignore", value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Exit 1 when a counted finding of this severity or higher is shown.
    /// [default: error]
    #[arg(long = "fail-on", value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 0 even when findings would fail the run (input errors still exit 2).
    #[arg(long = "exit-zero")]
    pub exit_zero: bool,
}

/// Where reports go (shared by `scan` and `diff`).
#[derive(Args)]
pub struct OutputArgs {
    /// Write a report to FILE; its format comes from the extension (.json, .md, .html, .txt,
    /// .sarif/.sarif.json, .xml = JUnit, .csv, .jsonl). Repeatable.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub outputs: Vec<PathBuf>,
    /// Format written to stdout.
    #[arg(long, value_enum, default_value = "terminal")]
    pub format: OutputFormat,
    /// Folder with report.html.j2 / report.md.j2 replacing the built-in templates.
    #[arg(long = "template-dir", value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// Replace names and address local parts with pseudonyms in every output (domains,
    /// OUs, rule ids and counts stay), to send a report to a vendor. Pseudonyms are stable
    /// across runs with the key in DIRREADY_REDACT_KEY, else within this run only. Not
    /// with fix files.
    #[arg(long)]
    pub redact: bool,
}

/// Fix files: the edits of every finding with a suggestion, each with its undo.
#[derive(Args, Default)]
#[command(next_help_heading = "Fix files (dirready never writes to a directory)")]
pub struct FixArgs {
    /// Write LDIF change records for `ldapmodify -f FILE`; the undo file is written beside
    /// it (FILE.undo.ldif) unless --undo-ldif names it.
    #[arg(long = "fix-ldif", value_name = "FILE")]
    pub fix_ldif: Option<PathBuf>,
    /// Where the exact inverse of --fix-ldif goes.
    #[arg(long = "undo-ldif", value_name = "FILE", requires = "fix_ldif")]
    pub undo_ldif: Option<PathBuf>,
    /// Write a PowerShell script (ActiveDirectory module, Set-ADObject) doing the same
    /// edits; a dry run unless started with -Apply. Its undo script is written beside it
    /// (FILE.undo.ps1).
    #[arg(long = "fix-ps1", value_name = "FILE")]
    pub fix_ps1: Option<PathBuf>,
    /// Write the findings that need a decision (no safe automatic fix; every holder of a
    /// duplicate) as CSV: fill in `new value` and run `dirready fix REPORT.json
    /// --decisions FILE`.
    #[arg(long = "decisions-csv", value_name = "FILE")]
    pub decisions_csv: Option<PathBuf>,
}

impl FixArgs {
    pub fn any(&self) -> bool {
        self.fix_ldif.is_some() || self.fix_ps1.is_some() || self.decisions_csv.is_some()
    }
}

/// `dirready fix`: fix files from a saved JSON report.
#[derive(Args)]
pub struct FixCmdArgs {
    /// A JSON report (`-o report.json`); its suggestions may have been edited by hand.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// A filled-in decisions CSV (`--decisions-csv`): each row with a `new value` becomes
    /// an edit, validated like any suggestion.
    #[arg(long = "decisions", value_name = "CSV")]
    pub decisions: Option<PathBuf>,
    /// Rule files or folders the report was made with (to validate new values).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub fix: FixArgs,
    /// Refuse the edits of objects whose input cannot be read here to verify them (a
    /// moved export, a live source scanned without --snapshot). By default they are
    /// written, with a warning on stderr and in the fix file's header.
    #[arg(long = "verified-only")]
    pub verified_only: bool,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The older JSON report (or baseline file).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The newer JSON report.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    /// No warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `dirready trend`: findings over time.
#[derive(Args)]
pub struct TrendArgs {
    /// JSON reports (`dirready scan -o report.json`), one per run, in any order: runs are
    /// ordered by the time the report was generated (older reports: the file's
    /// modification time).
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,
    /// Write the trend to FILE; its format comes from the extension (.html, .md, .json).
    /// Repeatable.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub outputs: Vec<PathBuf>,
    /// Format written to stdout [default: markdown when no -o is given, else none].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<crate::trend::Format>,
    /// No warnings on stderr (they stay in the outputs).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of the live sources (URL inputs). The bind password is read from
/// DIRREADY_BIND_PASSWORD, --password-file, or a prompt on a terminal; no flag takes it.
#[derive(Args)]
#[command(next_help_heading = "Live directories (URL inputs)")]
pub struct LiveArgs {
    /// Search base (default: the server's defaultNamingContext or first namingContexts).
    #[arg(long, value_name = "DN")]
    pub base: Option<String>,
    /// LDAP search filter [default: (objectClass=*)].
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,
    /// Simple bind as this DN (AD also takes `DOMAIN\user` or a UPN); anonymous without it.
    #[arg(long = "bind-dn", value_name = "DN")]
    pub bind_dn: Option<String>,
    /// Read the bind password from the first line of FILE (instead of DIRREADY_BIND_PASSWORD).
    #[arg(long = "password-file", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Upgrade ldap:// connections with StartTLS.
    #[arg(long)]
    pub starttls: bool,
    /// Trust only the CA certificates in this PEM file (default: the system roots).
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify the server's TLS certificate (test servers only).
    #[arg(long = "insecure-skip-verify")]
    pub insecure_skip_verify: bool,
    /// Allow a simple bind over plain ldap:// without StartTLS (the password travels in clear).
    #[arg(long = "allow-plaintext-bind")]
    pub allow_plaintext_bind: bool,
    /// Entries per page of the paged search (1 to 1000) [default: 500].
    #[arg(long = "page-size", value_name = "N")]
    pub page_size: Option<i32>,
    /// Seconds to wait for a connection or a server reply [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Write what was read from the live source as LDIF (ldapsearch style, unfolded) to FILE;
    /// findings cite its line numbers. With several live sources: FILE-1.ext, FILE-2.ext, ...
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// With several inputs, scan the others when one fails, and mark the report incomplete.
    #[arg(long = "keep-going")]
    pub keep_going: bool,
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Write a commented example settings file (never over an existing one).
    Init {
        #[arg(value_name = "FILE", default_value = "dirready.yaml")]
        path: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List the rules (built-in plus --rules).
    List {
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only rules of this category (character, format, length, duplicate, blank,
        /// domain, size, consistency).
        #[arg(long, value_name = "CATEGORY")]
        category: Option<String>,
        /// The rules a target profile runs, with its severities (connect-sync, cloud-sync).
        #[arg(long, value_name = "TARGET", value_enum)]
        target: Option<crate::rules::Target>,
    },
    /// Show one rule in full.
    Show {
        id: String,
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
    },
    /// Print the JSON schema of rule files (for editors; also in rules/schema.json).
    Schema,
    /// Print the rules as Markdown (docs/rules.md is this for the built-in pack).
    Docs {
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
    },
    /// Run the rules' own examples (the built-in pack, or the rules in PATH).
    ///
    /// For a rule folder or file with a `__snapshots__` folder beside it, each rule's
    /// messages and suggestions on its invalid examples are compared with
    /// `__snapshots__/<id>.snap` too.
    Test {
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
        /// Write the snapshots instead of comparing (review the diff before committing).
        #[arg(long = "update-snapshots")]
        update_snapshots: bool,
    },
}

/// `--fail-on` names no severity.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a severity (error, warning, info)")]
pub struct SeverityError(String);

pub fn parse_severity(s: &str) -> Result<Severity, SeverityError> {
    match s.to_ascii_lowercase().as_str() {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        _ => Err(SeverityError(s.to_string())),
    }
}
