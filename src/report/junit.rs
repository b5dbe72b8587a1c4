//! JUnit XML for CI test-report widgets (GitLab, Azure DevOps, Jenkins, GitHub actions
//! that publish test results).
//!
//! One `<testsuite>` per category, one `<testcase>` per rule (never per object: a
//! directory has 100k objects). A rule fails when it has findings that count for the exit
//! code (shown, neither baselined nor excepted, at or above `--fail-on`); the failure
//! lists the objects (capped). Other findings of the rule (baselined, excepted, below the
//! threshold) are listed in `<system-out>` of a passing case. Rules hidden by
//! `--select`/`--ignore` are `<skipped>`. Every value is escaped; characters XML 1.0
//! cannot carry are written as `\u{..}`.

use crate::findings::{Category, Finding, Report, Severity};
use std::fmt::Write;

/// Objects listed per failing rule before "... and N more".
pub const LIST_CAP: usize = 1000;

fn line(f: &Finding) -> String {
    let mut s = format!(
        "{}:{} {} {}: {}",
        f.source.file,
        f.source.line,
        f.dn,
        f.attribute,
        f.value_str()
    );
    if let Some(st) = f.state {
        let _ = write!(s, " [{}]", st.as_str());
    }
    if let Some(e) = &f.exception {
        let _ = write!(s, " (reason: {})", e.reason);
    }
    s
}

pub fn render(report: &Report) -> String {
    let fail_on = report
        .gate
        .as_ref()
        .map(|g| g.fail_on)
        .unwrap_or(Severity::Error);
    let hidden: std::collections::BTreeSet<&str> = report
        .selection
        .as_ref()
        .map(|s| s.hidden_rules.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut suites = String::new();
    let (mut t_tests, mut t_fail, mut t_skip) = (0usize, 0usize, 0usize);
    for cat in Category::ALL {
        let rules: Vec<_> = report.rules.iter().filter(|r| r.category == cat).collect();
        if rules.is_empty() {
            continue;
        }
        let mut cases = String::new();
        let (mut fails, mut skips) = (0usize, 0usize);
        for r in &rules {
            let name = format!("{}: {}", r.id, r.title);
            let _ = writeln!(
                cases,
                "    <testcase name=\"{}\" classname=\"dirready.{}\" time=\"0\">",
                crate::report::escape::xml(&name),
                cat.as_str()
            );
            let fs: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| *f.rule == *r.id)
                .collect();
            let failing: Vec<&&Finding> = fs
                .iter()
                .filter(|f| f.is_new() && f.severity >= fail_on)
                .collect();
            if hidden.contains(r.id.as_str()) && fs.is_empty() {
                skips += 1;
                cases.push_str("      <skipped message=\"not selected (--select/--ignore)\"/>\n");
            } else if !failing.is_empty() {
                fails += 1;
                let mut objects: Vec<&str> = failing.iter().map(|f| f.dn.as_str()).collect();
                objects.sort_unstable();
                objects.dedup();
                let _ = write!(
                    cases,
                    "      <failure message=\"{}\" type=\"{}\">",
                    crate::report::escape::xml(&format!(
                        "{} finding{} on {} object{}",
                        failing.len(),
                        if failing.len() == 1 { "" } else { "s" },
                        objects.len(),
                        if objects.len() == 1 { "" } else { "s" }
                    )),
                    r.severity.as_str()
                );
                for f in failing.iter().take(LIST_CAP) {
                    cases.push_str(&crate::report::escape::xml(&line(f)));
                    cases.push_str("&#10;");
                }
                if failing.len() > LIST_CAP {
                    let _ = write!(cases, "... and {} more", failing.len() - LIST_CAP);
                }
                cases.push_str("</failure>\n");
            }
            let others: Vec<&&Finding> = fs
                .iter()
                .filter(|f| !(f.is_new() && f.severity >= fail_on))
                .collect();
            if !others.is_empty() {
                cases.push_str("      <system-out>");
                for f in others.iter().take(LIST_CAP) {
                    cases.push_str(&crate::report::escape::xml(&line(f)));
                    cases.push_str("&#10;");
                }
                if others.len() > LIST_CAP {
                    let _ = write!(cases, "... and {} more", others.len() - LIST_CAP);
                }
                cases.push_str("</system-out>\n");
            }
            cases.push_str("    </testcase>\n");
        }
        t_tests += rules.len();
        t_fail += fails;
        t_skip += skips;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"0\">\n{}  </testsuite>\n",
            cat.as_str(),
            rules.len(),
            fails,
            skips,
            cases
        );
    }
    // Warnings about the input or the exceptions file: one error case, so CI shows them.
    let mut extra = String::new();
    let problems: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.level != crate::model::DiagnosticLevel::Note)
        .map(|d| d.to_string())
        .collect();
    let mut t_err = 0;
    if !problems.is_empty() {
        let errors = report
            .diagnostics
            .iter()
            .any(|d| d.level == crate::model::DiagnosticLevel::Error);
        t_tests += 1;
        let mut body = String::new();
        for p in problems.iter().take(LIST_CAP) {
            body.push_str(&crate::report::escape::xml(p));
            body.push_str("&#10;");
        }
        let inner = if errors {
            t_err = 1;
            format!(
                "      <error message=\"{}\" type=\"incomplete\">{body}</error>\n",
                crate::report::escape::xml("some records could not be read")
            )
        } else {
            format!("      <system-out>{body}</system-out>\n")
        };
        let _ = write!(
            extra,
            "  <testsuite name=\"input\" tests=\"1\" failures=\"0\" errors=\"{t_err}\" skipped=\"0\" time=\"0\">\n    <testcase name=\"input and configuration diagnostics\" classname=\"dirready.input\" time=\"0\">\n{inner}    </testcase>\n  </testsuite>\n"
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dirready\" tests=\"{t_tests}\" failures=\"{t_fail}\" errors=\"{t_err}\" skipped=\"{t_skip}\" time=\"0\">\n{suites}{extra}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            crate::report::escape::xml("<a href=\"x\">&'\u{1}\u{FFFF}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\\u{1}\\u{ffff}"
        );
    }
}
