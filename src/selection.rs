//! `--select` / `--ignore`: a display filter by rule id or id prefix.
//!
//! A selector matches a rule when it equals the id, or is a prefix of it ending at a `-`
//! boundary (`upn` matches `upn-format` but not `upnx-y`; `proxy-smtp` matches
//! `proxy-smtp-format`). With `--select`, only matching rules are shown; `--ignore` then
//! hides matching rules (ignore wins over select, as in ruff).
//!
//! A display filter never changes which findings exist: the report's `summary` (the
//! readiness numbers) still counts every finding; hidden findings are left out of the
//! `findings` list and out of the exit code, and `selection` in the report says how many
//! were hidden, by rule.

use crate::findings::{Report, SelectionSummary};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

/// True when `selector` names `id` or a `-`-bounded prefix of it (case-insensitive).
pub fn matches(selector: &str, id: &str) -> bool {
    let s = selector.trim().to_ascii_lowercase();
    let id = id.to_ascii_lowercase();
    if s.is_empty() {
        return false;
    }
    if s == "all" || s == id {
        return true;
    }
    id.starts_with(&s) && (s.ends_with('-') || id.as_bytes().get(s.len()) == Some(&b'-'))
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.select.is_empty() && self.ignore.is_empty()
    }

    pub fn shows(&self, id: &str) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| matches(s, id)))
            && !self.ignore.iter().any(|s| matches(s, id))
    }

    /// Selectors that match none of `rule_ids` (worth a warning: a typo shows nothing).
    pub fn unknown<'a>(&'a self, rule_ids: &[&str]) -> Vec<&'a str> {
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|s| !rule_ids.iter().any(|id| matches(s, id)))
            .map(String::as_str)
            .collect()
    }

    /// Hides the findings of rules not shown and records what was hidden.
    pub fn apply(&self, report: &mut Report) {
        if self.is_empty() {
            return;
        }
        let mut hidden_by_rule: BTreeMap<String, u64> = BTreeMap::new();
        report.findings.retain(|f| {
            let keep = self.shows(&f.rule);
            if !keep {
                *hidden_by_rule.entry(f.rule.to_string()).or_default() += 1;
            }
            keep
        });
        let hidden_rules = report
            .rules
            .iter()
            .filter(|r| !self.shows(&r.id))
            .map(|r| r.id.clone())
            .collect();
        report.selection = Some(SelectionSummary {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            hidden_rules,
            hidden_total: hidden_by_rule.values().sum(),
            hidden_by_rule,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_stop_at_dashes() {
        assert!(matches("upn", "upn-format"));
        assert!(matches("UPN", "upn-format"));
        assert!(matches("upn-format", "upn-format"));
        assert!(matches("proxy-smtp", "proxy-smtp-format"));
        assert!(matches("proxy-", "proxy-smtp-format"));
        assert!(!matches("upn", "upnx-format"));
        assert!(!matches("proxy-smtp-f", "proxy-smtp-format"));
        assert!(!matches("", "upn-format"));
    }

    #[test]
    fn ignore_wins_over_select() {
        let s = Selection {
            select: vec!["upn".into(), "proxy".into()],
            ignore: vec!["proxy-address-duplicate".into()],
        };
        assert!(s.shows("upn-format"));
        assert!(s.shows("proxy-smtp-format"));
        assert!(!s.shows("proxy-address-duplicate"));
        assert!(!s.shows("mail-format"));
        assert_eq!(
            s.unknown(&["upn-format", "proxy-smtp-format"]),
            vec!["proxy-address-duplicate"]
        );
    }
}
