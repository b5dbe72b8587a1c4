//! `dirready trend`: findings over time from saved JSON reports, one report per run.
//!
//! Runs are put in time order (the report's `generated_at`, else the file's modification
//! time; ties keep the command-line order). Each run is compared with the one before by
//! fingerprint with the baseline code `dirready diff` uses, and warnings say when two runs
//! cannot be compared (other inputs, target or rules, or a report written with
//! `--select`/`--ignore`). [`view`] draws the series as HTML or Markdown.

pub mod view;

use crate::findings::{BaselineEntry, Report, ToolInfo};
use crate::suppress::baseline;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// What `--format` writes to stdout, and what an `-o` file's extension names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for a wiki, with text sparklines.
    Markdown,
    /// One self-contained HTML page with SVG charts.
    Html,
    /// The computed series, for scripts.
    Json,
}

impl Format {
    /// The format an output file's extension names.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// The time a scan stamps its report with, RFC 3339 UTC in whole seconds:
/// `SOURCE_DATE_EPOCH` when set (the reproducible-builds convention, which keeps test
/// outputs stable), else now.
pub fn generated_at_now() -> Result<String, String> {
    let epoch = std::env::var_os("SOURCE_DATE_EPOCH").filter(|v| !v.is_empty());
    let seconds = match epoch {
        Some(v) => v
            .to_str()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .ok_or_else(|| {
                format!(
                    "SOURCE_DATE_EPOCH={:?} is not a number of seconds since 1970-01-01",
                    v.to_string_lossy()
                )
            })?,
        None => jiff::Timestamp::now().as_second(),
    };
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .map_err(|e| format!("SOURCE_DATE_EPOCH={seconds}: {e}"))
}

/// The parts of a JSON report read to order the runs. Requiring `tool`, `findings` and
/// `summary` tells a report from other JSON without keeping its findings in memory.
#[derive(Debug, Deserialize)]
pub struct Head {
    #[serde(rename = "tool")]
    _tool: ToolInfo,
    #[serde(default)]
    pub generated_at: Option<String>,
    #[serde(rename = "findings")]
    _findings: serde::de::IgnoredAny,
    #[serde(rename = "summary")]
    _summary: serde::de::IgnoredAny,
}

/// Where a run's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// The report's `generated_at`.
    Report,
    /// The file's modification time: the report has no (readable) `generated_at`.
    FileModified,
}

/// When a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTime {
    pub at: jiff::Timestamp,
    pub source: TimeSource,
}

impl RunTime {
    /// The report's `generated_at` when it is a timestamp, else the file's time (asked
    /// for only then).
    pub fn of(
        generated_at: Option<&str>,
        file_time: impl FnOnce() -> std::io::Result<std::time::SystemTime>,
    ) -> std::io::Result<RunTime> {
        if let Some(at) = generated_at.and_then(|s| s.parse::<jiff::Timestamp>().ok()) {
            return Ok(RunTime {
                at,
                source: TimeSource::Report,
            });
        }
        let at = jiff::Timestamp::try_from(file_time()?).map_err(std::io::Error::other)?;
        Ok(RunTime {
            at,
            source: TimeSource::FileModified,
        })
    }
}

/// The order of the runs: by time, ties in the given (command-line) order.
pub fn order(times: &[RunTime]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..times.len()).collect();
    idx.sort_by_key(|&i| times[i].at);
    idx
}

/// Findings of one run by severity (every severity present, zero or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BySeverity {
    pub error: u64,
    pub warning: u64,
    pub info: u64,
}

/// One run: one report.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// 1-based, in time order.
    pub index: usize,
    /// The report file as named on the command line.
    pub file: String,
    /// The run's time, RFC 3339 UTC.
    pub generated_at: String,
    pub time_source: TimeSource,
    #[serde(skip)]
    pub at: jiff::Timestamp,
    /// The scan's inputs as it named them.
    pub inputs: Vec<String>,
    pub target: String,
    /// The dirready version that wrote the report.
    pub tool_version: String,
    pub objects_in_scope: u64,
    pub objects_with_errors: u64,
    pub findings_total: u64,
    pub findings_by_severity: BySeverity,
    pub findings_by_rule: BTreeMap<String, u64>,
    /// Findings whose fingerprint the run before did not have (none for the first run).
    pub new: Option<u64>,
    /// Findings of the run before whose fingerprint this run does not have.
    pub fixed: Option<u64>,
    /// False when `new` and `fixed` cannot be trusted (see the warnings).
    pub comparable: bool,
    /// Written with `--select`/`--ignore`: findings of hidden rules are missing.
    pub filtered: bool,
    /// The scan could not read every record.
    pub incomplete: bool,
}

/// Why a run needs a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// No `generated_at`: ordered by the file's modification time.
    FileTime,
    /// Written with `--select`/`--ignore`.
    Filtered,
    /// Other inputs, target or rules than the run before.
    NotComparable,
    /// The scan could not read every record.
    Incomplete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The run's index.
    pub run: usize,
    pub file: String,
    pub kind: WarningKind,
    pub message: String,
}

/// One rule's findings in every run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSeries {
    pub rule: String,
    /// One count per run, in run order (0 where the rule had none).
    pub counts: Vec<u64>,
}

/// The computed series: what `--format json` prints and the templates draw.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// The dirready that computed the trend.
    pub tool: ToolInfo,
    pub runs: Vec<Run>,
    /// Every rule with a finding in some run, most findings over all runs first.
    pub rules: Vec<RuleSeries>,
    pub warnings: Vec<Warning>,
}

/// What the next run is compared with.
struct Previous {
    index: usize,
    file: String,
    entries: Vec<BaselineEntry>,
    inputs: Vec<String>,
    target: String,
    rules: BTreeSet<String>,
    filtered: bool,
}

/// Builds a [`Trend`] one report at a time, in time order, keeping only the previous
/// run's fingerprints: a hundred big reports never sit in memory together.
pub struct Builder {
    tool: ToolInfo,
    runs: Vec<Run>,
    warnings: Vec<Warning>,
    previous: Option<Previous>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            tool: ToolInfo {
                name: "dirready".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            runs: Vec::new(),
            warnings: Vec::new(),
            previous: None,
        }
    }

    /// Adds the next run (runs must come in time order; see [`order`]).
    pub fn push(&mut self, file: &str, time: RunTime, mut report: Report) {
        let index = self.runs.len() + 1;
        let mut warn = |kind: WarningKind, message: String| {
            self.warnings.push(Warning {
                run: index,
                file: file.to_string(),
                kind,
                message,
            })
        };
        if time.source == TimeSource::FileModified {
            warn(
                WarningKind::FileTime,
                "no readable generated_at (older versions did not write it): its time is \
                 the file's modification time"
                    .into(),
            );
        }
        let filtered = report.selection.is_some();
        if filtered {
            warn(
                WarningKind::Filtered,
                "written with --select/--ignore: findings of hidden rules are missing from \
                 it, so its new and fixed findings and the next run's are not comparable"
                    .into(),
            );
        }
        if report.summary.incomplete {
            warn(
                WarningKind::Incomplete,
                "INCOMPLETE scan: some records could not be read, its counts cover only \
                 what was read"
                    .into(),
            );
        }
        let mut inputs: Vec<String> = report
            .summary
            .inputs
            .iter()
            .map(|i| i.path.clone())
            .collect();
        let rules: BTreeSet<String> = report.rules.iter().map(|r| r.id.clone()).collect();
        let target = report.summary.target.clone();

        // As `dirready diff`: every finding of the report counts, whatever state its own
        // baseline or exceptions gave it.
        report.fill_fingerprints();
        for f in &mut report.findings {
            f.state = None;
            f.exception = None;
        }
        let (new, fixed, comparable) = match &self.previous {
            None => (None, None, true),
            Some(p) => {
                let existing: HashSet<String> = report
                    .findings
                    .iter()
                    .map(|f| f.fingerprint.clone())
                    .collect();
                baseline::apply(&mut report, &p.file, &p.entries, &existing, |_| true);
                let counts = report
                    .baseline
                    .as_ref()
                    .map(|b| b.counts)
                    .unwrap_or_default();
                let differences = differences(p, &inputs, &target, &rules);
                if !differences.is_empty() {
                    warn(
                        WarningKind::NotComparable,
                        format!(
                            "differs from run {} ({}) in {}: new and fixed findings are not \
                             comparable",
                            p.index,
                            p.file,
                            differences.join(", ")
                        ),
                    );
                }
                (
                    Some(counts.new),
                    Some(counts.fixed),
                    differences.is_empty() && !filtered && !p.filtered,
                )
            }
        };
        let s = &report.summary;
        let sev = |k: &str| s.findings_by_severity.get(k).copied().unwrap_or(0);
        self.runs.push(Run {
            index,
            file: file.to_string(),
            generated_at: time.at.to_string(),
            time_source: time.source,
            at: time.at,
            inputs: inputs.clone(),
            target: target.clone(),
            tool_version: report.tool.version.clone(),
            objects_in_scope: s.objects_in_scope,
            objects_with_errors: s.objects_with_errors,
            findings_total: s.findings_total,
            findings_by_severity: BySeverity {
                error: sev("error"),
                warning: sev("warning"),
                info: sev("info"),
            },
            findings_by_rule: s.findings_by_rule.clone(),
            new,
            fixed,
            comparable,
            filtered,
            incomplete: s.incomplete,
        });
        inputs.sort();
        self.previous = Some(Previous {
            index,
            file: file.to_string(),
            entries: baseline::build(&report.tool, &report.findings).entries,
            inputs,
            target,
            rules,
            filtered,
        });
    }

    pub fn finish(self) -> Trend {
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &self.runs {
            for (rule, n) in &r.findings_by_rule {
                let t = totals.entry(rule.as_str()).or_default();
                *t = t.saturating_add(*n);
            }
        }
        let mut ranked: Vec<(&str, u64)> = totals.into_iter().filter(|(_, n)| *n > 0).collect();
        // Most findings first; equal totals by id (the map's order, kept by a stable sort).
        ranked.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
        let rules = ranked
            .into_iter()
            .map(|(rule, _)| RuleSeries {
                rule: rule.to_string(),
                counts: self
                    .runs
                    .iter()
                    .map(|r| r.findings_by_rule.get(rule).copied().unwrap_or(0))
                    .collect(),
            })
            .collect();
        Trend {
            tool: self.tool,
            runs: self.runs,
            rules,
            warnings: self.warnings,
        }
    }
}

/// What makes two runs incomparable: other inputs (compared as a set of names), another
/// target, another rule set.
fn differences(
    p: &Previous,
    inputs: &[String],
    target: &str,
    rules: &BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut inputs = inputs.to_vec();
    inputs.sort();
    if p.inputs != inputs {
        out.push("inputs".to_string());
    }
    if p.target != target {
        out.push(format!("target ({} → {target})", p.target));
    }
    if &p.rules != rules {
        let added = rules.difference(&p.rules).count();
        let removed = p.rules.difference(rules).count();
        out.push(format!("rules ({added} added, {removed} removed)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::report;
    use crate::findings::{
        Category, Finding, FindingState, RuleSummary, SelectionSummary, Severity,
    };

    fn finding(rule: &str, dn: &str, severity: Severity) -> Finding {
        Finding {
            severity,
            ..crate::findings::testing::finding(rule, dn)
        }
    }

    /// A report of `findings` with its summary counted, as a scan of `input` writes it.
    fn scan(findings: Vec<Finding>, input: &str) -> Report {
        let mut r = report(vec![]);
        for f in &findings {
            r.summary.count(f);
        }
        r.summary.findings_total = findings.len() as u64;
        r.summary.inputs = vec![crate::findings::InputSummary {
            path: input.into(),
            sha256: None,
            bytes: 0,
            entries: 0,
            change_records: 0,
            snapshot: None,
        }];
        r.summary.target = "connect-sync".into();
        r.rules = ["a-rule", "b-rule"]
            .iter()
            .map(|id| RuleSummary {
                id: (*id).into(),
                title: String::new(),
                severity: Severity::Error,
                category: Category::Character,
                attribute: String::new(),
                docs: String::new(),
                fix: String::new(),
                findings: 0,
            })
            .collect();
        r.findings = findings;
        r
    }

    fn at(seconds: i64) -> RunTime {
        RunTime {
            at: jiff::Timestamp::from_second(seconds).unwrap(),
            source: TimeSource::Report,
        }
    }

    #[test]
    fn new_and_fixed_against_the_run_before() {
        let a = finding("a-rule", "CN=A", Severity::Error);
        let b = finding("a-rule", "CN=B", Severity::Error);
        let c = finding("b-rule", "CN=C", Severity::Warning);
        let mut excepted = c.clone();
        excepted.state = Some(FindingState::Excepted);
        let mut t = Builder::new();
        t.push("1.json", at(0), scan(vec![a.clone(), b.clone()], "x.ldif"));
        // B fixed, C new (excepted in its own report: it still exists).
        t.push("2.json", at(60), scan(vec![a.clone(), excepted], "x.ldif"));
        // Nothing changed.
        t.push(
            "3.json",
            at(120),
            scan(vec![a.clone(), c.clone()], "x.ldif"),
        );
        let trend = t.finish();
        let nf: Vec<_> = trend.runs.iter().map(|r| (r.new, r.fixed)).collect();
        assert_eq!(
            nf,
            [(None, None), (Some(1), Some(1)), (Some(0), Some(0))],
            "{trend:#?}"
        );
        assert!(trend.runs.iter().all(|r| r.comparable));
        assert!(trend.warnings.is_empty());
        assert_eq!(trend.runs[1].findings_by_severity.warning, 1);
        assert_eq!(trend.runs[0].generated_at, "1970-01-01T00:00:00Z");
        // a-rule has 4 findings over the runs, b-rule 2.
        assert_eq!(
            trend.rules,
            [
                RuleSeries {
                    rule: "a-rule".into(),
                    counts: vec![2, 1, 1]
                },
                RuleSeries {
                    rule: "b-rule".into(),
                    counts: vec![0, 1, 1]
                },
            ]
        );
    }

    #[test]
    fn other_inputs_target_rules_or_a_filter_are_not_comparable() {
        let a = finding("a-rule", "CN=A", Severity::Error);
        let mut t = Builder::new();
        t.push("1.json", at(0), scan(vec![a.clone()], "x.ldif"));
        t.push("2.json", at(1), scan(vec![a.clone()], "y.ldif"));
        let mut other = scan(vec![a.clone()], "y.ldif");
        other.summary.target = "cloud-sync".into();
        other.rules.pop();
        t.push("3.json", at(2), other);
        let mut filtered = scan(vec![a.clone()], "y.ldif");
        filtered.summary.target = "cloud-sync".into();
        filtered.rules.pop();
        filtered.selection = Some(SelectionSummary::default());
        t.push("4.json", at(3), filtered.clone());
        filtered.selection = None;
        t.push("5.json", at(4), filtered.clone());
        t.push("6.json", at(5), filtered);
        let trend = t.finish();
        let comparable: Vec<bool> = trend.runs.iter().map(|r| r.comparable).collect();
        assert_eq!(comparable, [true, false, false, false, false, true]);
        let messages: Vec<(usize, WarningKind, &str)> = trend
            .warnings
            .iter()
            .map(|w| (w.run, w.kind, w.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert_eq!(
            messages[0],
            (
                2,
                WarningKind::NotComparable,
                "differs from run 1 (1.json) in inputs: new and fixed findings are not comparable"
            )
        );
        assert_eq!(
            messages[1].2,
            "differs from run 2 (2.json) in target (connect-sync → cloud-sync), rules (0 added, \
             1 removed): new and fixed findings are not comparable"
        );
        assert_eq!((messages[2].0, messages[2].1), (4, WarningKind::Filtered));
    }

    #[test]
    fn runs_order_by_time_and_ties_keep_their_order() {
        let times = [at(30), at(10), at(30), at(20)];
        assert_eq!(order(&times), [1, 3, 0, 2]);
    }

    #[test]
    fn run_time_falls_back_to_the_file_time() {
        let file = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400);
        let t = RunTime::of(Some("2026-01-01T01:00:00+01:00"), || unreachable!()).unwrap();
        assert_eq!(t.source, TimeSource::Report);
        assert_eq!(t.at.to_string(), "2026-01-01T00:00:00Z");
        for missing in [None, Some("yesterday")] {
            let t = RunTime::of(missing, || Ok(file)).unwrap();
            assert_eq!(t.source, TimeSource::FileModified);
            assert_eq!(t.at.to_string(), "1970-01-02T00:00:00Z");
        }
        let mut t = Builder::new();
        t.push(
            "old.json",
            RunTime::of(None, || Ok(file)).unwrap(),
            scan(vec![], "x.ldif"),
        );
        let trend = t.finish();
        assert_eq!(trend.warnings[0].kind, WarningKind::FileTime);
        assert_eq!(trend.runs[0].time_source, TimeSource::FileModified);
    }

    #[test]
    fn head_tells_reports_from_other_json() {
        let r = serde_json::to_string(&scan(vec![], "x.ldif")).unwrap();
        let head: Head = serde_json::from_str(&r).unwrap();
        assert_eq!(head.generated_at, None);
        let baseline =
            r#"{"dirready_baseline":1,"tool":{"name":"dirready","version":"0"},"entries":[]}"#;
        let err = serde_json::from_str::<Head>(baseline).unwrap_err();
        assert!(
            err.to_string().contains("missing field `findings`"),
            "{err}"
        );
        assert!(serde_json::from_str::<Head>("dn: cn=x").is_err());
    }

    #[test]
    fn formats_from_extensions() {
        let f = |p: &str| Format::from_path(std::path::Path::new(p));
        assert_eq!(f("t.HTML"), Some(Format::Html));
        assert_eq!(f("t.md"), Some(Format::Markdown));
        assert_eq!(f("t.json"), Some(Format::Json));
        assert_eq!(f("t.csv"), None);
    }
}
