//! What the HTML report's explorer needs beside the view model: the findings as one
//! compact JSON block (rendered into rows by the page's script, on demand), the OU tree
//! with counts per subtree, and the geometry of the inline SVG charts.
//!
//! The findings block is an array per finding whose repeated texts (OUs, classes,
//! attributes, files, messages) are indexes into one string table, so a report of 100,000
//! findings stays a few megabytes and one `JSON.parse`.

use super::escape::visible;
use crate::dn;
use crate::findings::{Finding, Report, Severity};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::HashMap;

/// Version of the findings block's layout; the page refuses another.
pub const DATA_VERSION: u32 = 1;

/// The findings block: `s` is the string table (index 0 is the empty string), `r` the rule
/// ids, `f` one array per finding:
/// `[rule, severity, rdn, ou, class, attribute, value, suggestion|null, file, line,
///   value_line, message, duplicate group (0: none), state, exception, related count]`,
/// where rule indexes `r`, severity is 0 error / 1 warning / 2 info, and ou, class,
/// attribute, file, message, state and exception index `s`. Texts are as the page shows
/// them: control and invisible characters made visible, as everywhere in the report.
///
/// This is the block but `f`, which [`findings_json`] writes row by row after it.
#[derive(Serialize)]
struct Head<'a> {
    v: u32,
    s: &'a [String],
    r: &'a [&'a str],
}

type Row = (
    u32,
    u8,
    String,
    u32,
    u32,
    u32,
    String,
    Option<String>,
    u32,
    u64,
    u64,
    u32,
    u32,
    u32,
    u32,
    usize,
);

/// Interns texts for the string table, as the page shows them (see [`visible`]).
#[derive(Default)]
struct Strings<'a> {
    list: Vec<String>,
    index: FxHashMap<&'a str, u32>,
}

impl<'a> Strings<'a> {
    fn new() -> Self {
        let mut s = Strings::default();
        s.get("");
        s
    }

    fn get(&mut self, text: &'a str) -> u32 {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(visible(text));
        self.index.insert(text, i);
        i
    }
}

fn severity_code(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// A DN split into its first RDN and its parent (the OU the object lives in), as written.
fn split_dn(dn: &str) -> (&str, &str) {
    let rdn = dn::first_rdn(dn);
    let rest = &dn[rdn.len().min(dn.len())..];
    let parent = rest.strip_prefix([',', ';']).unwrap_or(rest).trim_start();
    (rdn, parent)
}

/// The findings block as JSON that is safe inside `<script type="application/json">`:
/// `<`, `>` and `&` are written as `\u` escapes (they only occur inside strings), so no
/// value can close the element or open a comment. `group_of` gives a finding's duplicate
/// group number (1-based, 0 for none).
///
/// `sequence`: the findings' indexes in the order of the inputs
/// ([`super::view::input_sequence`]).
pub fn findings_json(
    report: &Report,
    sequence: &[usize],
    group_of: impl Fn(usize) -> usize,
) -> String {
    let mut strings = Strings::new();
    let mut rules: Vec<&str> = Vec::new();
    let mut rule_index: FxHashMap<&str, u32> = FxHashMap::default();
    // Each row is written as it is made (a list of rows first would hold every finding's
    // texts twice): `f` goes last, so the tables it fills are complete before it.
    let mut rows = String::new();
    let mut row = Vec::with_capacity(512);
    for &i in sequence {
        let f = &report.findings[i];
        let rule = *rule_index.entry(&*f.rule).or_insert_with(|| {
            rules.push(&*f.rule);
            u32::try_from(rules.len() - 1).unwrap_or(u32::MAX)
        });
        let (rdn, parent) = split_dn(&f.dn);
        let exception = f.exception.as_ref().map_or(0, |e| strings.get(&e.reason));
        let r: Row = (
            rule,
            severity_code(f.severity),
            visible(rdn),
            strings.get(parent),
            strings.get(&f.object_class),
            strings.get(&f.attribute),
            visible(&super::view::shown_value(f)),
            f.suggestion.as_deref().map(visible),
            strings.get(&f.source.file),
            f.source.line,
            f.value_line,
            strings.get(&f.message),
            u32::try_from(group_of(i)).unwrap_or(0),
            f.state.map_or(0, |s| strings.get(s.as_str())),
            exception,
            f.related_total.unwrap_or(0).max(f.related.len()),
        );
        row.clear();
        if serde_json::to_writer(&mut row, &r).is_err() {
            continue;
        }
        if !rows.is_empty() {
            rows.push(',');
        }
        script_safe_into(&String::from_utf8_lossy(&row), &mut rows);
    }
    let head = Head {
        v: DATA_VERSION,
        s: &strings.list,
        r: &rules,
    };
    let Ok(head) = serde_json::to_string(&head) else {
        return "{}".to_string();
    };
    let mut out = String::with_capacity(rows.len() + head.len() + 16);
    script_safe_into(&head, &mut out);
    out.pop(); // the closing brace: `f` follows
    out.push_str(",\"f\":[");
    out.push_str(&rows);
    out.push_str("]}");
    out
}

/// JSON made safe for the inside of a `<script>` element.
#[cfg(test)]
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    script_safe_into(json, &mut out);
    out
}

/// Appends `json` to `out`, made safe for the inside of a `<script>` element.
fn script_safe_into(json: &str, out: &mut String) {
    // Runs without a byte to replace are copied whole; U+2028 and U+2029 are the only
    // characters to replace that start with byte E2.
    let mut rest = json;
    while let Some(at) = rest
        .bytes()
        .position(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2))
    {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or('\0');
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// A number for each finding's object: findings on one DN (compared case-insensitively)
/// share it. Numbers follow the report's order.
pub(super) fn object_ids(findings: &[Finding]) -> Vec<u32> {
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut out = Vec::with_capacity(findings.len());
    let mut last: Option<(&str, u32)> = None;
    for f in findings {
        // An object's findings are usually side by side: no lowercasing for those.
        let id = match last {
            Some((dn, id)) if dn == f.dn => id,
            _ => {
                let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                *ids.entry(f.dn.to_lowercase()).or_insert(next)
            }
        };
        last = Some((&f.dn, id));
        out.push(id);
    }
    out
}

/// One node of the OU tree: a container and everything under it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OuNode {
    /// The container's DN as first written in the report.
    pub dn: String,
    /// What the tree shows: the first RDN (`OU=Sales`), or the domain (`contoso.com`)
    /// for a root made of `DC=` components.
    pub name: String,
    /// Findings on objects in this subtree.
    pub findings: u64,
    /// Objects in this subtree with findings, and with an error.
    pub objects: u64,
    pub objects_with_errors: u64,
    /// Share of the largest root's findings, as a CSS width.
    pub width: String,
    pub children: Vec<OuNode>,
    /// Children left out (the tree lists at most `cap` nodes).
    pub children_hidden: usize,
}

#[derive(Default)]
struct Acc {
    dn: String,
    findings: u64,
    objects: u64,
    errors: u64,
    children: Vec<String>,
}

fn is_dc(rdn: &str) -> bool {
    rdn.trim()
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("dc="))
}

/// The containers of a parent DN from the object up to its root: each suffix of the DN,
/// stopping at the domain (the trailing `DC=` components form one root).
fn ancestors(parent: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = parent;
    while !rest.is_empty() {
        out.push(rest);
        let rdns = dn::rdns(rest);
        if rdns.iter().all(|r| is_dc(r)) || rdns.len() <= 1 {
            break;
        }
        let first = rdns[0];
        rest = rest[first.len().min(rest.len())..]
            .strip_prefix([',', ';'])
            .unwrap_or("")
            .trim_start();
    }
    out
}

/// The OU tree of the findings: per container, the findings and objects with findings
/// in its subtree; children by findings (most first), at most `cap` nodes in all.
#[cfg(test)]
pub fn ou_tree(report: &Report, cap: usize) -> Vec<OuNode> {
    ou_tree_of(report, &object_ids(&report.findings), cap)
}

/// [`ou_tree`] with the findings' objects already numbered ([`object_ids`]).
pub(super) fn ou_tree_of(report: &Report, object_of: &[u32], cap: usize) -> Vec<OuNode> {
    // Objects first: their parent as first written, findings, whether one is an error.
    let mut objects: Vec<(&str, u64, bool)> = Vec::new();
    for (f, &id) in report.findings.iter().zip(object_of) {
        let id = id as usize;
        if id == objects.len() {
            objects.push((split_dn(&f.dn).1, 0, false));
        }
        if let Some(o) = objects.get_mut(id) {
            o.1 += 1;
            o.2 |= f.severity == Severity::Error;
        }
    }
    // Then the containers they are in, as written: (findings, objects, with an error).
    let mut parents: FxHashMap<&str, (u64, u64, u64)> = FxHashMap::default();
    let mut parent_order: Vec<&str> = Vec::new();
    for (parent, findings, error) in objects {
        let p = parents.entry(parent).or_insert_with(|| {
            parent_order.push(parent);
            (0, 0, 0)
        });
        p.0 += findings;
        p.1 += 1;
        p.2 += u64::from(error);
    }
    let mut nodes: HashMap<String, Acc> = HashMap::new();
    let mut roots: Vec<String> = Vec::new();
    for parent in parent_order {
        let (findings, objects, errors) = parents[parent];
        // A node is linked to its parent when it is created; a chain whose top node is
        // new adds a root.
        let mut created_child: Option<String> = None;
        for dn in ancestors(parent) {
            let key = dn.to_lowercase();
            let created = !nodes.contains_key(&key);
            let acc = nodes.entry(key.clone()).or_insert_with(|| Acc {
                dn: dn.to_string(),
                ..Acc::default()
            });
            acc.findings += findings;
            acc.objects += objects;
            acc.errors += errors;
            if let Some(c) = created_child.take() {
                acc.children.push(c);
            }
            if created {
                created_child = Some(key);
            }
        }
        if let Some(root) = created_child {
            roots.push(root);
        }
    }
    let max = roots
        .iter()
        .filter_map(|r| nodes.get(r))
        .map(|n| n.findings)
        .max()
        .unwrap_or(0);
    let mut budget = cap;
    let mut out = build_nodes(&roots, &nodes, max, &mut budget);
    out.sort_by(|a, b| b.findings.cmp(&a.findings).then_with(|| a.dn.cmp(&b.dn)));
    out
}

fn build_nodes(
    keys: &[String],
    nodes: &HashMap<String, Acc>,
    max: u64,
    budget: &mut usize,
) -> Vec<OuNode> {
    let mut accs: Vec<&Acc> = keys.iter().filter_map(|k| nodes.get(k)).collect();
    accs.sort_by(|a, b| b.findings.cmp(&a.findings).then_with(|| a.dn.cmp(&b.dn)));
    let mut out = Vec::new();
    for acc in accs {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let children = build_nodes(&acc.children, nodes, max, budget);
        let shown = children.len();
        out.push(OuNode {
            dn: acc.dn.clone(),
            name: node_name(&acc.dn),
            findings: acc.findings,
            objects: acc.objects,
            objects_with_errors: acc.errors,
            width: super::view::width(acc.findings, max),
            children,
            children_hidden: acc.children.len() - shown,
        });
    }
    out
}

fn node_name(dn_text: &str) -> String {
    let rdns = dn::rdns(dn_text);
    if !rdns.is_empty() && rdns.iter().all(|r| is_dc(r)) {
        return dn::domain(dn_text);
    }
    rdns.first()
        .map_or_else(String::new, |r| r.trim().to_string())
}

/// A horizontal bar chart drawn as inline SVG by the templates.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// Where the bars start (after the labels).
    pub bar_x: u32,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    /// The label as drawn (long labels end in `…`) and in full (the tooltip).
    pub label: String,
    pub full: String,
    /// A second, smaller label (a rule id).
    pub note: String,
    pub value: u64,
    pub y: u32,
    pub w: u32,
    /// `rule=ID`, `category=ID` or `severity=NAME`: what clicking the bar filters to.
    pub filter: String,
    /// CSS class of the bar (`sev-error`, ...).
    pub class: String,
}

/// Bar chart geometry: one row of `ROW` pixels per item, bars scaled to the largest.
pub fn bar_chart(items: Vec<(String, String, u64, String, String)>, wide: bool) -> Chart {
    const ROW: u32 = 24;
    // A wide chart spans the page: room for whole rule titles.
    let (width, bar_x, label_chars) = if wide {
        (1000, 440, 66)
    } else {
        (560, 240, 36)
    };
    let bar_max = width - bar_x - 64;
    let max = items.iter().map(|i| i.2).max().unwrap_or(0).max(1);
    let bars: Vec<Bar> = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, note, value, filter, class))| {
            let w = if value == 0 {
                0
            } else {
                u32::try_from(u64::from(bar_max) * value / max)
                    .unwrap_or(bar_max)
                    .max(2)
            };
            Bar {
                label: shorten(&label, label_chars),
                full: label,
                note,
                value,
                y: u32::try_from(i).unwrap_or(0) * ROW,
                w,
                filter,
                class,
            }
        })
        .collect();
    Chart {
        width,
        height: u32::try_from(bars.len()).unwrap_or(0) * ROW + 4,
        bar_x,
        bars,
    }
}

/// `text` cut to `max` characters, ending in `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing;

    #[test]
    fn dn_splits_into_rdn_and_parent_with_escapes_kept() {
        assert_eq!(
            split_dn("CN=Smith\\, John,OU=Sales,DC=x,DC=com"),
            ("CN=Smith\\, John", "OU=Sales,DC=x,DC=com")
        );
        assert_eq!(split_dn("DC=com"), ("DC=com", ""));
        assert_eq!(
            ancestors("OU=A,OU=B,DC=x,DC=com"),
            vec!["OU=A,OU=B,DC=x,DC=com", "OU=B,DC=x,DC=com", "DC=x,DC=com"]
        );
        assert_eq!(
            ancestors("ou=people,o=example"),
            vec!["ou=people,o=example", "o=example"]
        );
    }

    #[test]
    fn script_safe_json_cannot_close_the_element() {
        let s = script_safe(r#"{"a":"</script><!--&"}"#);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["a"], "</script><!--&");
    }

    #[test]
    fn ou_tree_counts_subtrees_once_per_object() {
        let mk = |dn: &str, sev: Severity| {
            let mut f = testing::finding("r", dn);
            f.severity = sev;
            f
        };
        let r = testing::report(vec![
            mk("CN=a,OU=S,OU=Corp,DC=x,DC=com", Severity::Error),
            mk("cn=A,ou=s,OU=Corp,DC=x,DC=com", Severity::Warning),
            mk("CN=b,OU=T,OU=Corp,DC=x,DC=com", Severity::Warning),
            mk("CN=c,CN=Users,DC=x,DC=com", Severity::Info),
        ]);
        let tree = ou_tree(&r, 100);
        assert_eq!(tree.len(), 1);
        let root = &tree[0];
        assert_eq!(
            (root.name.as_str(), root.findings, root.objects),
            ("x.com", 4, 3)
        );
        assert_eq!(root.objects_with_errors, 1);
        let corp = &root.children[0];
        assert_eq!(
            (corp.name.as_str(), corp.findings, corp.objects),
            ("OU=Corp", 3, 2)
        );
        assert_eq!(corp.children[0].name, "OU=S");
        assert_eq!(corp.children[0].findings, 2);
        assert_eq!(root.children[1].name, "CN=Users");
        // A cap keeps the biggest nodes and says how many children are left out.
        let small = ou_tree(&r, 2);
        assert_eq!(small[0].children.len(), 1);
        assert_eq!(small[0].children_hidden, 1);
    }
}
