//! The exceptions file (YAML): findings a person has accepted, with a reason.
//!
//! ```yaml
//! exceptions:
//!   - rule: upn-non-routable-domain     # a rule id, or a `-`-bounded id prefix
//!     dn: "CN=svc-*,OU=Service Accounts,DC=contoso,DC=com"   # glob: * and ?
//!     reason: Service accounts never sync; excluded by the sync scope.
//!     owner: identity-team
//!     expires: 2026-12-31
//!   - rule: proxy-address-invalid-character
//!     guid: "oPIzIvgDEOTviEsxClNVAQ=="  # objectGUID, base64 as in the report
//!     reason: Legacy X400 address, removed with the mailbox migration.
//!   - rule: mail-format
//!     value: "info@@contoso.com"         # the offending value (case-insensitive)
//!     reason: Shared mailbox, fixed by Exchange team ticket 4711.
//! ```
//!
//! `rule` and `reason` are required, and at least one of `dn`, `guid`, `value`; when
//! several are given, all must match. DNs are compared normalised (case-insensitive,
//! spaces around `,` and `=` ignored). Matching findings get state `excepted` with the
//! entry's reason and never count for the exit code.
//!
//! An entry past its `expires` date no longer applies; each expired entry and each entry
//! that matched no finding becomes a warning (file:line of the entry) in every format.
//! Errors in the file name file:line:column.

use crate::findings::{
    ExceptionRef, ExceptionStatus, ExceptionsSummary, Finding, FindingState, Report,
};
use crate::model::{Diagnostic, DiagnosticLevel};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    exceptions: Vec<RawEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule: String,
    #[serde(default)]
    dn: Option<String>,
    #[serde(default)]
    guid: Option<String>,
    #[serde(default)]
    value: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    owner: Option<String>,
}

/// One validated entry.
#[derive(Debug, Clone)]
pub struct Exception {
    pub rule: String,
    pub dn: Option<String>,
    pub guid: Option<String>,
    pub value: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`
    pub expires: Option<String>,
    pub owner: Option<String>,
    /// 1-based line of the entry (0 when not known).
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct Exceptions {
    pub path: String,
    pub entries: Vec<Exception>,
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// A `YYYY-MM-DD` date that exists.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && s.parse::<jiff::civil::Date>().is_ok()
}

/// Case-insensitive glob with `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Lines of the entries of the `exceptions:` block sequence (empty when the layout is
/// not the plain block style, e.g. flow sequences).
fn entry_lines(text: &str) -> Vec<u64> {
    let mut lines = Vec::new();
    let mut indent: Option<usize> = None;
    let mut in_block = false;
    for (i, l) in text.lines().enumerate() {
        let trimmed = l.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = l.len() - trimmed.len();
        if !in_block {
            if ind == 0 && trimmed.starts_with("exceptions:") {
                in_block = true;
            }
            continue;
        }
        if ind == 0 && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            match indent {
                None => {
                    indent = Some(ind);
                    lines.push(i as u64 + 1);
                }
                Some(x) if x == ind => lines.push(i as u64 + 1),
                _ => {}
            }
        }
    }
    lines
}

/// A problem with the exceptions file, naming the file and (where known) line and column.
#[derive(Debug, thiserror::Error)]
pub enum ExceptionsError {
    #[error("{}: cannot read exceptions file: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// Not YAML of the expected shape (`at` is `file:line:column` or `file`).
    #[error("{at}: {source}")]
    Yaml {
        at: String,
        source: serde_yaml::Error,
    },
    /// An entry that cannot be used (`at` is `file:line:column` of the entry).
    #[error("{at}: {problem}")]
    Entry { at: String, problem: String },
}

pub fn load(path: &Path) -> Result<Exceptions, ExceptionsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExceptionsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

pub fn parse(name: &str, text: &str) -> Result<Exceptions, ExceptionsError> {
    let doc: FileDoc = serde_yaml::from_str(text).map_err(|source| ExceptionsError::Yaml {
        at: match source.location() {
            Some(l) => format!("{name}:{}:{}", l.line(), l.column()),
            None => name.to_string(),
        },
        source,
    })?;
    let lines = entry_lines(text);
    let lines_ok = lines.len() == doc.exceptions.len();
    let mut entries = Vec::new();
    for (i, raw) in doc.exceptions.into_iter().enumerate() {
        let line = if lines_ok { lines[i] } else { 0 };
        let at = if line > 0 {
            format!("{name}:{line}:{}", column_of(text, line))
        } else {
            format!("{name}: exception #{}", i + 1)
        };
        let empty = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
        let problem = if raw.rule.trim().is_empty() {
            Some("`rule` must not be empty".to_string())
        } else if raw.reason.trim().is_empty() {
            Some("`reason` must not be empty (say why the finding is accepted)".to_string())
        } else if empty(&raw.dn) && empty(&raw.guid) && empty(&raw.value) {
            Some("give at least one of `dn` (glob), `guid` or `value` to match".to_string())
        } else {
            match &raw.expires {
                Some(d) if !valid_date(d.trim()) => {
                    Some(format!("`expires: {d}` is not a date (use YYYY-MM-DD)"))
                }
                _ => None,
            }
        };
        if let Some(problem) = problem {
            return Err(ExceptionsError::Entry { at, problem });
        }
        entries.push(Exception {
            rule: raw.rule.trim().to_string(),
            dn: raw.dn.filter(|s| !s.trim().is_empty()),
            guid: raw.guid.filter(|s| !s.trim().is_empty()),
            value: raw.value.filter(|s| !s.is_empty()),
            reason: raw.reason.trim().to_string(),
            expires: raw.expires.map(|s| s.trim().to_string()),
            owner: raw.owner,
            line,
        });
    }
    Ok(Exceptions {
        path: name.to_string(),
        entries,
    })
}

fn column_of(text: &str, line: u64) -> usize {
    text.lines()
        .nth(
            usize::try_from(line)
                .unwrap_or(usize::MAX)
                .saturating_sub(1),
        )
        .map(|l| l.len() - l.trim_start().len() + 1)
        .unwrap_or(1)
}

impl Exception {
    pub fn matches(&self, f: &Finding) -> bool {
        if !crate::selection::matches(&self.rule, &f.rule) {
            return false;
        }
        if let Some(p) = &self.dn {
            if !glob(&crate::dn::normalize(p), &crate::dn::normalize(&f.dn)) {
                return false;
            }
        }
        if let Some(g) = &self.guid {
            if f.object_guid.as_deref() != Some(g.trim()) {
                return false;
            }
        }
        if let Some(v) = &self.value {
            if v.to_lowercase() != f.value_str().to_lowercase() {
                return false;
            }
        }
        true
    }

    fn matcher(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.dn {
            parts.push(format!("dn={d}"));
        }
        if let Some(g) = &self.guid {
            parts.push(format!("guid={g}"));
        }
        if let Some(v) = &self.value {
            parts.push(format!("value={v}"));
        }
        parts.join(", ")
    }

    fn location(&self, path: &str) -> String {
        if self.line > 0 {
            format!("{path}:{}", self.line)
        } else {
            path.to_string()
        }
    }
}

impl Exceptions {
    /// Marks matching findings excepted (first matching entry wins), records every
    /// entry's status and adds a warning for each expired or unmatched entry.
    pub fn apply(&self, report: &mut Report, today: &str) {
        let mut statuses: Vec<ExceptionStatus> = Vec::new();
        let mut counts = vec![0u64; self.entries.len()];
        let expired: Vec<bool> = self
            .entries
            .iter()
            .map(|e| e.expires.as_deref().is_some_and(|d| d < today))
            .collect();
        let mut excepted = 0;
        for f in &mut report.findings {
            let hit = self
                .entries
                .iter()
                .enumerate()
                .find(|(i, e)| !expired[*i] && e.matches(f));
            if let Some((i, e)) = hit {
                counts[i] += 1;
                excepted += 1;
                f.state = Some(FindingState::Excepted);
                f.exception = Some(Box::new(ExceptionRef {
                    reason: e.reason.clone(),
                    owner: e.owner.clone(),
                    expires: e.expires.clone(),
                    location: e.location(&self.path),
                }));
            }
        }
        let rule_ids: Vec<String> = report.rules.iter().map(|r| r.id.clone()).collect();
        let (mut n_expired, mut n_unmatched) = (0, 0);
        for (i, e) in self.entries.iter().enumerate() {
            let what = format!("exception for `{}` ({})", e.rule, e.matcher());
            let message = if expired[i] {
                n_expired += 1;
                Some(format!(
                    "{what} expired on {}; it no longer applies (reason was: {})",
                    e.expires.as_deref().unwrap_or(""),
                    e.reason
                ))
            } else if counts[i] == 0 {
                n_unmatched += 1;
                let no_rule = !rule_ids
                    .iter()
                    .any(|id| crate::selection::matches(&e.rule, id));
                Some(format!(
                    "{what} matches no finding{}; remove it or fix its match",
                    if no_rule {
                        " (no rule has this id)"
                    } else {
                        ""
                    }
                ))
            } else {
                None
            };
            if let Some(message) = message {
                report.diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Warning,
                    file: self.path.clone(),
                    line: e.line,
                    column: 0,
                    message,
                    limit: None,
                });
                *report
                    .summary
                    .diagnostics
                    .entry("warning".into())
                    .or_default() += 1;
            }
            statuses.push(ExceptionStatus {
                rule: e.rule.clone(),
                matcher: e.matcher(),
                reason: e.reason.clone(),
                owner: e.owner.clone(),
                expires: e.expires.clone(),
                location: e.location(&self.path),
                expired: expired[i],
                matched: counts[i],
            });
        }
        report.exceptions = Some(ExceptionsSummary {
            path: self.path.clone(),
            entries: statuses,
            excepted,
            expired: n_expired,
            unmatched: n_unmatched,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2024-13-01"));
        assert!(!valid_date("24-01-01"));
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn globs() {
        assert!(glob("cn=svc-*,ou=x", "cn=svc-backup,ou=x"));
        assert!(glob("*", ""));
        assert!(glob("cn=?,*", "cn=a,dc=b"));
        assert!(!glob("cn=?,*", "cn=ab,dc=b"));
        assert!(!glob("cn=a", "cn=ab"));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = parse(
            "ex.yaml",
            "exceptions:\n  - rule: upn-format\n    dn: CN=A*\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ex.yaml:"), "{e}");
        assert!(e.contains("reason"), "{e}");
        let e = parse(
            "ex.yaml",
            "exceptions:\n  - rule: upn-format\n    reason: ok\n    dn: CN=A\n  - rule: upn-format\n    reason: ok\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ex.yaml:5:3:"), "{e}");
        let e = parse(
            "ex.yaml",
            "exceptions:\n  - rule: upn-format\n    reason: ok\n    dn: CN=A\n    expires: soon\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("ex.yaml:2:3:") && e.contains("YYYY-MM-DD"),
            "{e}"
        );
        let e = parse(
            "ex.yaml",
            "exceptions:\n  - rule: x\n    reason: y\n    dn: z\n    colour: red\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ex.yaml:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn entry_lines_follow_the_block_sequence() {
        let text = "# c\nexceptions:\n  - rule: a\n    reason: b\n    dn: c\n\n  - rule: d\n    reason: e\n    value: f\n";
        assert_eq!(entry_lines(text), vec![3, 7]);
        let ex = parse("x.yaml", text).unwrap();
        assert_eq!(ex.entries[1].line, 7);
    }
}
