//! The human summary printed to a terminal.

use crate::findings::{Report, Severity};
use std::fmt::Write;

/// Rows shown per rule before "... and N more".
const ROWS_PER_RULE: usize = 5;

pub fn render(report: &Report, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let s = &report.summary;
    let mut out = String::new();
    let ready = s.objects_in_scope.saturating_sub(s.objects_with_errors);
    let _ = writeln!(
        out,
        "{} objects read, {} in scope, {} will fail sync ({} ready)",
        s.objects_read, s.objects_in_scope, s.objects_with_errors, ready
    );
    if !s.skipped.is_empty() {
        let parts: Vec<String> = s.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "out of scope: {}", parts.join(", "));
    }
    if !s.accepted_domains.is_empty() {
        let mut parts: Vec<String> = s
            .accepted_domains
            .iter()
            .map(|d| crate::report::escape::terminal(d))
            .collect();
        parts.extend(
            s.implicit_accepted_domains
                .iter()
                .map(|d| format!("{} (always)", crate::report::escape::terminal(d))),
        );
        let _ = writeln!(out, "accepted domains: {}", parts.join(", "));
    }
    let _ = writeln!(
        out,
        "target: {} (limits checked: {})",
        s.target,
        if s.target_limits.is_empty() {
            "none".to_string()
        } else {
            s.target_limits.join(", ")
        }
    );
    if let Some(r) = &report.redacted {
        let _ = writeln!(
            out,
            "REDACTED: names and address local parts are pseudonyms ({})",
            match r.pseudonyms {
                crate::findings::PseudonymKey::Keyed =>
                    "keyed with DIRREADY_REDACT_KEY: stable across runs",
                crate::findings::PseudonymKey::PerRun => "per-run key: they change every run",
            }
        );
    }
    if !s.include_ous.is_empty() || !s.exclude_ous.is_empty() {
        let t = crate::report::escape::terminal;
        let inc: Vec<String> = s.include_ous.iter().map(|d| t(d)).collect();
        let exc: Vec<String> = s.exclude_ous.iter().map(|d| t(d)).collect();
        let _ = writeln!(
            out,
            "sync scope: include {}; exclude {}",
            if inc.is_empty() {
                "everything".to_string()
            } else {
                inc.join(" | ")
            },
            if exc.is_empty() {
                "nothing".to_string()
            } else {
                exc.join(" | ")
            }
        );
    }
    if !s.change_records.is_empty() {
        let parts: Vec<String> = s
            .change_records
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(out, "change records not checked: {}", parts.join(", "));
    }
    if s.incomplete {
        let _ = writeln!(
            out,
            "{}",
            paint(
                "1;31",
                "INCOMPLETE: some records could not be read (see the errors above)"
            )
        );
    }
    if s.entries_not_checked > 0 {
        let _ = writeln!(
            out,
            "{} record(s) not checked: past a size limit (see the errors above for the flag that raises it)",
            s.entries_not_checked
        );
    }
    let mut rule_order: Vec<&str> = Vec::new();
    for f in &report.findings {
        if !rule_order.contains(&&*f.rule) {
            rule_order.push(&f.rule);
        }
    }
    rule_order.sort_by_key(|r| std::cmp::Reverse(s.findings_by_rule.get(*r).copied().unwrap_or(0)));
    for rule in rule_order {
        let fs: Vec<_> = report
            .findings
            .iter()
            .filter(|f| &*f.rule == rule)
            .collect();
        let sev = fs[0].severity;
        let tag = match sev {
            Severity::Error => paint("1;31", "error"),
            Severity::Warning => paint("1;33", "warning"),
            Severity::Info => paint("1;36", "info"),
        };
        let title = report
            .rules
            .iter()
            .find(|r| r.id == rule)
            .map(|r| r.title.as_str())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "\n{tag}[{rule}] {title} ({} finding{})",
            fs.len(),
            if fs.len() == 1 { "" } else { "s" }
        );
        for f in fs.iter().take(ROWS_PER_RULE) {
            let _ = write!(
                out,
                "  {}:{} {}\n    {}: {}",
                f.source.file,
                f.source.line,
                crate::report::escape::terminal(&f.dn),
                f.attribute,
                crate::report::escape::terminal(f.value_str())
            );
            if let Some(sug) = &f.suggestion {
                let _ = write!(out, " -> {}", crate::report::escape::terminal(sug));
            }
            if let Some(st) = f.state {
                let _ = write!(out, " [{}]", st.as_str());
            }
            if let Some(e) = &f.exception {
                let _ = write!(
                    out,
                    " (reason: {})",
                    crate::report::escape::terminal(&e.reason)
                );
            }
            out.push('\n');
        }
        if fs.len() > ROWS_PER_RULE {
            let _ = writeln!(out, "  ... and {} more", fs.len() - ROWS_PER_RULE);
        }
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "\ncompared with {}: {} new, {} unchanged, {} fixed",
            crate::report::escape::terminal(&b.path),
            b.counts.new,
            b.counts.unchanged,
            b.counts.fixed
        );
        for e in b.fixed.iter().take(ROWS_PER_RULE * 4) {
            let _ = writeln!(
                out,
                "  fixed [{}] {} {}: {}",
                e.rule,
                crate::report::escape::terminal(&e.dn),
                e.attribute,
                crate::report::escape::terminal(&e.value)
            );
        }
        if b.fixed.len() > ROWS_PER_RULE * 4 {
            let _ = writeln!(
                out,
                "  ... and {} more fixed",
                b.fixed.len() - ROWS_PER_RULE * 4
            );
        }
    }
    if let Some(x) = &report.exceptions {
        let _ = writeln!(
            out,
            "\nexceptions from {}: {} excepted, {} expired, {} unmatched",
            crate::report::escape::terminal(&x.path),
            x.excepted,
            x.expired,
            x.unmatched
        );
        for d in report
            .diagnostics
            .iter()
            .filter(|d| d.file == x.path && d.level != crate::model::DiagnosticLevel::Note)
        {
            let _ = writeln!(out, "  {}", crate::report::escape::terminal(&d.to_string()));
        }
    }
    if let Some(sel) = &report.selection {
        let _ = writeln!(
            out,
            "\n{} findings of {} rules hidden by --select/--ignore (counted in the summary, not in the exit code)",
            sel.hidden_total,
            sel.hidden_rules.len()
        );
    }
    let by = |k: &str| s.findings_by_severity.get(k).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{} findings: {} errors, {} warnings, {} info",
        s.findings_total,
        by("error"),
        by("warning"),
        by("info")
    );
    if let Some(g) = &report.gate {
        if g.by_state.keys().any(|k| k != "new") || report.selection.is_some() {
            let states: Vec<String> = g.by_state.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let _ = writeln!(
                out,
                "shown: {}; {} at or above {} count for the exit code",
                if states.is_empty() {
                    "none".to_string()
                } else {
                    states.join(", ")
                },
                g.failing,
                g.fail_on.as_str()
            );
        }
    }
    out
}
