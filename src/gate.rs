//! The gate: what a finished report means for the run. Exceptions mark accepted
//! findings, the selection hides rules from display, the baseline marks known findings,
//! and what is left decides the exit status. The order matters: an excepted finding is
//! never "new", and a hidden rule's findings never count.

use crate::findings::{BaselineEntry, Gate, Report, Severity};
use crate::selection::Selection;
use crate::suppress::exceptions::Exceptions;
use std::collections::{BTreeMap, HashSet};

/// How a run ends, as the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// No counted finding at or above `--fail-on` (or `--exit-zero`).
    Pass,
    /// Counted findings at or above `--fail-on`.
    Fail,
    /// Usage, input or rule errors, or a scan that could not read every record.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::Fail => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// What fails a run.
#[derive(Debug, Clone)]
pub struct GateOptions {
    pub fail_on: Severity,
    pub exit_zero: bool,
}

impl Default for GateOptions {
    fn default() -> Self {
        GateOptions {
            fail_on: Severity::Error,
            exit_zero: false,
        }
    }
}

/// A baseline to compare with: where it came from (for the report) and its entries.
pub struct BaselineRef<'a> {
    pub path: &'a str,
    pub entries: &'a [BaselineEntry],
}

/// What the gate applies to a report, in order.
#[derive(Default)]
pub struct Suppressions<'a> {
    /// Accepted findings, with the date expiries are judged against (`YYYY-MM-DD`).
    pub exceptions: Option<(&'a Exceptions, &'a str)>,
    pub selection: Selection,
    pub baseline: Option<BaselineRef<'a>>,
}

/// Applies exceptions, then the selection, then the baseline, and decides the exit
/// status, recording why in `report.gate`.
pub fn apply(report: &mut Report, s: &Suppressions, opts: &GateOptions) -> ExitStatus {
    if let Some((ex, today)) = s.exceptions {
        ex.apply(report, today);
    }
    // Fingerprints of every finding, hidden ones included: a baseline entry is "fixed"
    // only when its finding is really gone (only a baseline needs them).
    let existing: HashSet<String> = match s.baseline {
        Some(_) => report
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect(),
        None => HashSet::new(),
    };
    s.selection.apply(report);
    if let Some(b) = &s.baseline {
        crate::suppress::baseline::apply(report, b.path, b.entries, &existing, |r| {
            s.selection.shows(r)
        });
    }
    decide(report, opts)
}

/// The exit status of a report whose findings carry their final state.
pub fn decide(report: &mut Report, opts: &GateOptions) -> ExitStatus {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut failing: u64 = 0;
    for f in &report.findings {
        let s = f.state.map(|s| s.as_str()).unwrap_or("new");
        *counts.entry(s).or_default() += 1;
        // Predictions of what the first sync does (matches) are information: they never
        // fail a run, whatever --fail-on says (tenant-match.md).
        let prediction =
            f.severity == Severity::Info && f.category == crate::findings::Category::Match;
        if f.is_new() && f.severity >= opts.fail_on && !prediction {
            failing += 1;
        }
    }
    let by_state: BTreeMap<String, u64> = counts
        .into_iter()
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    let status = if report.summary.incomplete {
        ExitStatus::Error
    } else if opts.exit_zero || failing == 0 {
        ExitStatus::Pass
    } else {
        ExitStatus::Fail
    };
    report.gate = Some(Gate {
        fail_on: opts.fail_on,
        exit_zero: opts.exit_zero,
        failing,
        by_state,
        exit_code: status.code(),
    });
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::report;
    use crate::findings::{Finding, FindingState};
    use crate::suppress::{baseline, exceptions};

    fn finding(rule: &str, severity: Severity, dn: &str) -> Finding {
        Finding {
            severity,
            ..crate::findings::testing::finding(rule, dn)
        }
    }

    #[test]
    fn errors_fail_warnings_pass_by_default() {
        let mut r = report(vec![finding("a-x", Severity::Warning, "CN=A")]);
        assert_eq!(
            apply(&mut r, &Suppressions::default(), &GateOptions::default()),
            ExitStatus::Pass
        );
        let mut r = report(vec![finding("a-x", Severity::Error, "CN=A")]);
        let status = apply(&mut r, &Suppressions::default(), &GateOptions::default());
        assert_eq!(status, ExitStatus::Fail);
        assert_eq!(r.gate.as_ref().unwrap().failing, 1);
        assert_eq!(r.gate.as_ref().unwrap().exit_code, 1);
    }

    #[test]
    fn fail_on_exit_zero_and_incomplete() {
        let warn = GateOptions {
            fail_on: Severity::Warning,
            exit_zero: false,
        };
        let mut r = report(vec![finding("a-x", Severity::Warning, "CN=A")]);
        assert_eq!(
            apply(&mut r, &Suppressions::default(), &warn),
            ExitStatus::Fail
        );
        let zero = GateOptions {
            fail_on: Severity::Info,
            exit_zero: true,
        };
        let mut r = report(vec![finding("a-x", Severity::Error, "CN=A")]);
        assert_eq!(
            apply(&mut r, &Suppressions::default(), &zero),
            ExitStatus::Pass
        );
        // An incomplete scan is an error whatever the findings and --exit-zero say.
        let mut r = report(vec![]);
        r.summary.incomplete = true;
        assert_eq!(
            apply(&mut r, &Suppressions::default(), &zero),
            ExitStatus::Error
        );
    }

    #[test]
    fn hidden_rules_do_not_count() {
        let mut r = report(vec![
            finding("upn-x", Severity::Error, "CN=A"),
            finding("mail-x", Severity::Warning, "CN=B"),
        ]);
        let s = Suppressions {
            selection: Selection {
                select: vec![],
                ignore: vec!["upn".into()],
            },
            ..Default::default()
        };
        assert_eq!(apply(&mut r, &s, &GateOptions::default()), ExitStatus::Pass);
        assert_eq!(r.findings.len(), 1);
    }

    #[test]
    fn baselined_findings_do_not_count_and_fixed_ones_are_listed() {
        let old = [
            finding("upn-x", Severity::Error, "CN=A"),
            finding("upn-x", Severity::Error, "CN=Gone"),
        ];
        let entries: Vec<BaselineEntry> = old.iter().map(baseline::entry_of).collect();
        let mut r = report(vec![finding("upn-x", Severity::Error, "CN=A")]);
        let s = Suppressions {
            baseline: Some(BaselineRef {
                path: "base.json",
                entries: &entries,
            }),
            ..Default::default()
        };
        assert_eq!(apply(&mut r, &s, &GateOptions::default()), ExitStatus::Pass);
        assert_eq!(r.findings[0].state, Some(FindingState::Baselined));
        let b = r.baseline.as_ref().unwrap();
        assert_eq!(b.fixed.len(), 1);
        assert_eq!(b.fixed[0].dn, "CN=Gone");
        // One new finding beside it fails the run.
        let mut r = report(vec![
            finding("upn-x", Severity::Error, "CN=A"),
            finding("upn-x", Severity::Error, "CN=New"),
        ]);
        assert_eq!(apply(&mut r, &s, &GateOptions::default()), ExitStatus::Fail);
        assert_eq!(r.gate.as_ref().unwrap().by_state["new"], 1);
    }

    #[test]
    fn exceptions_come_first_so_an_excepted_finding_is_never_new() {
        let ex = exceptions::parse(
            "ex.yaml",
            "exceptions:\n  - rule: upn-x\n    dn: CN=A\n    reason: accepted by the owner\n",
        )
        .unwrap();
        let entries: Vec<BaselineEntry> = Vec::new();
        let mut r = report(vec![finding("upn-x", Severity::Error, "CN=A")]);
        let s = Suppressions {
            exceptions: Some((&ex, "2026-01-01")),
            baseline: Some(BaselineRef {
                path: "empty.json",
                entries: &entries,
            }),
            ..Default::default()
        };
        assert_eq!(apply(&mut r, &s, &GateOptions::default()), ExitStatus::Pass);
        assert_eq!(r.findings[0].state, Some(FindingState::Excepted));
        assert_eq!(r.gate.as_ref().unwrap().by_state["excepted"], 1);
    }
}
