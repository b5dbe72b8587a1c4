//! The GitHub Actions step summary: when `GITHUB_STEP_SUMMARY` names a file, a short
//! Markdown summary is appended to it (top rules, counts, baseline and exception
//! status). It has no links and no directory values other than escaped rule titles and
//! warning texts, and is capped at [`MAX_BYTES`], far below GitHub's 1 MiB per step.

use crate::findings::Report;
use std::fmt::Write;

/// Hard cap of the summary in bytes.
pub const MAX_BYTES: usize = 64 * 1024;
/// Rules listed in the "top rules" table.
pub const TOP_RULES: usize = 10;
/// Warnings listed before "... and N more".
pub const MAX_WARNINGS: usize = 20;

pub fn render(report: &Report, title: &str) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", crate::report::escape::md_cell(title));
    if s.incomplete {
        out.push_str("**INCOMPLETE**: some records could not be read.\n\n");
    }
    let shown = report.findings.len();
    let _ = writeln!(out, "| | |\n|---|---:|");
    let _ = writeln!(out, "| Objects in scope | {} |", s.objects_in_scope);
    let _ = writeln!(
        out,
        "| Objects that will fail sync | {} |",
        s.objects_with_errors
    );
    let _ = writeln!(out, "| Findings | {} |", s.findings_total);
    if let Some(sel) = &report.selection {
        let _ = writeln!(
            out,
            "| Hidden by --select/--ignore | {} |",
            sel.hidden_total
        );
    }
    if let Some(g) = &report.gate {
        for (k, v) in &g.by_state {
            let _ = writeln!(out, "| Shown, {k} | {v} |");
        }
        let _ = writeln!(
            out,
            "| Failing the gate (at or above {}) | {} |",
            g.fail_on.as_str(),
            g.failing
        );
    } else {
        let _ = writeln!(out, "| Shown | {shown} |");
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "| New / unchanged / fixed since baseline | {} / {} / {} |",
            b.counts.new, b.counts.unchanged, b.counts.fixed
        );
    }
    if let Some(e) = &report.exceptions {
        let _ = writeln!(
            out,
            "| Excepted / expired / unmatched exceptions | {} / {} / {} |",
            e.excepted, e.expired, e.unmatched
        );
    }
    let mut by_rule: Vec<(&str, u64)> = Vec::new();
    for f in &report.findings {
        match by_rule.iter_mut().find(|(r, _)| *r == &*f.rule) {
            Some(e) => e.1 += 1,
            None => by_rule.push((&f.rule, 1)),
        }
    }
    by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !by_rule.is_empty() {
        out.push_str("\n### Top rules\n\n| Rule | Severity | Findings |\n|---|---|---:|\n");
        for (rule, n) in by_rule.iter().take(TOP_RULES) {
            let sev = report
                .rules
                .iter()
                .find(|r| r.id == *rule)
                .map(|r| r.severity.as_str())
                .unwrap_or("");
            let _ = writeln!(
                out,
                "| {} | {sev} | {n} |",
                crate::report::escape::md_cell(rule)
            );
        }
        if by_rule.len() > TOP_RULES {
            let _ = writeln!(
                out,
                "\n{} more rules have findings.",
                by_rule.len() - TOP_RULES
            );
        }
    }
    let warnings: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.level != crate::model::DiagnosticLevel::Note)
        .map(|d| d.to_string())
        .collect();
    if !warnings.is_empty() {
        out.push_str("\n### Warnings\n\n");
        for w in warnings.iter().take(MAX_WARNINGS) {
            let _ = writeln!(out, "- {}", crate::report::escape::md_cell(w));
        }
        if warnings.len() > MAX_WARNINGS {
            let _ = writeln!(out, "- ... and {} more", warnings.len() - MAX_WARNINGS);
        }
    }
    out.push('\n');
    if out.len() > MAX_BYTES {
        let mut cut = MAX_BYTES - 64;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n\n(summary truncated)\n");
    }
    out
}

/// Appends the summary to the file named by `GITHUB_STEP_SUMMARY`, if set.
pub fn append_step_summary(report: &Report, title: &str) -> Result<(), StepSummaryError> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    if path.is_empty() {
        return Ok(());
    }
    use std::io::Write as _;
    let text = render(report, title);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| StepSummaryError {
            path: path.to_string_lossy().into_owned(),
            source,
        })
}

/// The step summary file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("GITHUB_STEP_SUMMARY {path}: {source}")]
pub struct StepSummaryError {
    pub path: String,
    pub source: std::io::Error,
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_cannot_link_or_inject_html() {
        let s = crate::report::escape::md_cell("[x](https://evil) <img> | a\nb");
        assert!(!s.contains("](") && !s.contains("<img") && !s.contains("https://"));
        assert!(!s.contains('\n'));
    }
}
