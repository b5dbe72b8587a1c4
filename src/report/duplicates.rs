//! Duplicate groups for the reports: every holder of one value in one uniqueness
//! namespace (and domain, for namespaces compared per domain), as the findings name it.

use super::view::{source_str, DuplicateGroupView, HolderView};
use crate::findings::{Category, Finding, Related, Severity};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A duplicate group's identity: the uniqueness namespace the finding names (its
/// domain for namespaces compared per domain) and the compared value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct DupKey {
    namespace: String,
    domain: Option<String>,
    value: String,
}

/// The group key of a duplicate finding and the namespace's label. Reports written
/// before findings named their namespace fall back to one namespace per attribute.
fn dup_key(f: &Finding) -> (DupKey, String) {
    match &f.uniqueness {
        Some(u) => (
            DupKey {
                namespace: u.namespace.clone(),
                domain: u.domain.clone(),
                value: u.key.clone(),
            },
            u.label.clone(),
        ),
        None => (
            DupKey {
                namespace: f.attribute.to_ascii_lowercase(),
                domain: None,
                value: f.value_str().to_lowercase(),
            },
            f.attribute.to_string(),
        ),
    }
}

#[derive(Default)]
struct GroupBuilder {
    namespace: String,
    severity: Option<Severity>,
    rules: BTreeSet<String>,
    /// Holder → occurrences (the most any single finding accounts for).
    holders: BTreeMap<Related, usize>,
    object_class: BTreeMap<Related, String>,
}

pub(super) struct DuplicateIndex {
    groups: BTreeMap<DupKey, GroupBuilder>,
    /// Finding index → position of its group in `groups`.
    of_finding: HashMap<usize, usize>,
}

pub(super) fn holder_of(f: &Finding) -> Related {
    Related {
        id: None,
        kind: None,
        dn: f.dn.as_str().into(),
        attribute: f.attribute.clone(),
        value: f.value_str().into(),
        value_base64: f.value_base64.clone(),
        source: f.source.clone(),
    }
}

impl DuplicateIndex {
    pub(super) fn build(findings: &[Finding]) -> DuplicateIndex {
        let mut groups: BTreeMap<DupKey, GroupBuilder> = BTreeMap::new();
        let mut keys: Vec<(usize, DupKey)> = Vec::new();
        // Occurrences of each holder among the findings themselves, per group.
        let mut finding_counts: BTreeMap<(DupKey, Related), usize> = BTreeMap::new();
        for (i, f) in findings.iter().enumerate() {
            if f.category != Category::Duplicate {
                continue;
            }
            let (key, label) = dup_key(f);
            let g = groups.entry(key.clone()).or_default();
            if g.namespace.is_empty() {
                g.namespace = label;
            }
            g.severity = g.severity.max(Some(f.severity));
            g.rules.insert(f.rule.to_string());
            let me = holder_of(f);
            g.object_class
                .entry(me.clone())
                .or_insert_with(|| f.object_class.to_string());
            // What this finding accounts for: itself plus its related holders.
            let mut local: BTreeMap<&Related, usize> = BTreeMap::new();
            *local.entry(&me).or_default() += 1;
            for r in &f.related {
                *local.entry(r).or_default() += 1;
            }
            for (h, n) in local {
                match g.holders.get_mut(h) {
                    Some(e) => *e = (*e).max(n),
                    None => {
                        g.holders.insert(h.clone(), n);
                    }
                }
            }
            *finding_counts.entry((key.clone(), me)).or_default() += 1;
            keys.push((i, key));
        }
        for ((key, h), n) in finding_counts {
            if let Some(g) = groups.get_mut(&key) {
                let e = g.holders.entry(h).or_default();
                *e = (*e).max(n);
            }
        }
        let pos: HashMap<&DupKey, usize> = groups.keys().enumerate().map(|(i, k)| (k, i)).collect();
        let of_finding = keys.iter().map(|(i, k)| (*i, pos[k])).collect();
        DuplicateIndex { groups, of_finding }
    }

    /// The 1-based number of a finding's duplicate group; 0 when it has none.
    pub(super) fn number_of(&self, finding: usize) -> usize {
        self.of_finding.get(&finding).map_or(0, |p| p + 1)
    }

    pub(super) fn anchor_of(&self, finding: usize) -> Option<String> {
        self.of_finding
            .get(&finding)
            .map(|p| format!("dup-{}", p + 1))
    }

    /// Group views (at most `cap`) and the number of groups.
    pub(super) fn views(&self, cap: usize) -> (Vec<DuplicateGroupView>, usize) {
        let views = self
            .groups
            .iter()
            .take(cap)
            .enumerate()
            .map(|(i, (key, g))| {
                let mut holders = Vec::new();
                for (h, &n) in &g.holders {
                    for _ in 0..n {
                        holders.push(h);
                    }
                }
                let holder_count = holders.len();
                let object_count = g
                    .holders
                    .keys()
                    .map(|h| h.dn.to_lowercase())
                    .collect::<BTreeSet<_>>()
                    .len();
                let shown: Vec<HolderView> = holders
                    .into_iter()
                    .take(cap)
                    .map(|h| HolderView {
                        dn: h.dn.to_string(),
                        object_class: g.object_class.get(h).cloned(),
                        attribute: h.attribute.to_string(),
                        value: h.value.to_string(),
                        source: source_str(&h.source.file, h.source.line),
                        file: h.source.file.to_string(),
                        line: h.source.line,
                    })
                    .collect();
                DuplicateGroupView {
                    anchor: format!("dup-{}", i + 1),
                    number: i + 1,
                    namespace: g.namespace.clone(),
                    domain: key.domain.clone(),
                    key: key.value.clone(),
                    severity: g.severity.unwrap_or(Severity::Info).as_str().to_string(),
                    rules: g.rules.iter().cloned().collect(),
                    holders_hidden: holder_count - shown.len(),
                    holders: shown,
                    holder_count,
                    object_count,
                }
            })
            .collect();
        (views, self.groups.len())
    }
}
