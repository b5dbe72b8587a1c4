//! The view model of the HTML and Markdown reports, built from a [`Report`]: findings
//! grouped by category and rule, capped rows, percentages, anchors, the changes since a
//! baseline. It is serialised into the template context as it is, so a custom template
//! (`--template-dir`) sees exactly the fields documented here.

use super::duplicates::DuplicateIndex;
use super::escape::safe_url;
use super::explore::{bar_chart, Chart, OuNode};
use crate::findings::{
    BaselineEntry, Category, ChangeCounts, ExceptionsSummary, Finding, Report, RuleSummary,
    SelectionSummary, Severity,
};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Rows shown per rule (and holders per duplicate group, groups, diagnostics) before the
/// report says how many more exist. The JSON output always has everything.
pub const ROW_CAP: usize = 1000;

/// Everything a report template sees (the template context).
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub title: String,
    pub tool: ToolView,
    /// When the scan ran (RFC 3339 UTC), as written in the report; null for older reports.
    pub generated_at: Option<String>,
    /// `--redact`: personal data were replaced by pseudonyms (`keyed` or `per-run`).
    pub redacted: Option<crate::findings::RedactionInfo>,
    pub summary: SummaryView,
    /// All six categories in the contract's order, with their rules (empty when clean).
    pub categories: Vec<CategoryView>,
    /// Findings without a safe automatic fix, other than duplicates (which are decided
    /// per group, below), capped at `row_cap`.
    pub decisions: Vec<DecisionView>,
    pub decisions_total: usize,
    pub decisions_hidden: usize,
    /// Holders of the same value gathered together, capped at `row_cap` groups.
    pub duplicate_groups: Vec<DuplicateGroupView>,
    pub duplicate_groups_total: usize,
    pub duplicate_groups_hidden: usize,
    /// Input diagnostics in report order, capped at `row_cap`.
    pub diagnostics: Vec<DiagnosticView>,
    pub diagnostics_total: usize,
    pub diagnostics_hidden: usize,
    /// The catalog of rules that were checked, with their finding counts.
    pub rules: Vec<RuleCatalogView>,
    pub row_cap: usize,
    /// `--baseline` or `dirready diff`: new, unchanged and fixed findings.
    pub changes: Option<ChangesView>,
    /// `--exceptions`: every entry and what it matched (expired and unmatched entries
    /// are also in `diagnostics` as warnings).
    pub exceptions: Option<ExceptionsSummary>,
    /// `--select` / `--ignore`: hidden rules and counts (the summary counts everything).
    pub selection: Option<SelectionSummary>,
    /// `--tenant`: what the first sync will do (counts, then problems, then matches).
    pub tenant: Option<TenantView>,
    /// Findings and objects with findings per OU subtree (see [`super::explore::ou_tree`]).
    pub ou_tree: Vec<OuNode>,
    /// The summary's inline SVG charts.
    pub charts: ChartsView,
    /// Rules whose findings need a person's decision, with how many (the HTML explorer
    /// lists the findings themselves).
    pub decisions_by_rule: Vec<RuleCountView>,
    /// HTML only: every finding as the explorer's JSON block (see
    /// [`super::explore::findings_json`]), already safe inside a `<script>` element; empty
    /// for Markdown.
    pub findings_data: String,
    /// The `script-src` sources of the HTML report's Content-Security-Policy: the hashes
    /// of the template's inline scripts (`'none'` when it has none). Set when rendering.
    pub csp_script_src: String,
}

/// The charts of the summary, as bar geometry for inline SVG.
#[derive(Debug, Clone, Serialize)]
pub struct ChartsView {
    pub severity: Chart,
    pub category: Chart,
    /// Every rule with findings, by severity then count.
    pub rules: Chart,
}

/// How many rows each list of the view holds; the rest are counted as hidden.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Finding rows per rule and rows of the decisions list.
    pub rows: usize,
    /// Duplicate groups, and holders per group.
    pub groups: usize,
    /// Diagnostics, fixed findings, tenant predictions.
    pub other: usize,
}

impl Caps {
    pub fn all(cap: usize) -> Caps {
        Caps {
            rows: cap,
            groups: cap,
            other: cap,
        }
    }
}

/// Nodes listed in the OU tree (the biggest subtrees first).
pub const OU_TREE_CAP: usize = 400;

#[derive(Debug, Clone, Serialize)]
pub struct ToolView {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryView {
    pub objects_read: u64,
    pub objects_in_scope: u64,
    pub objects_skipped: u64,
    /// Objects with at least one error finding: these will fail sync.
    pub objects_with_errors: u64,
    pub objects_with_findings: u64,
    /// In-scope objects without an error finding.
    pub objects_ready: u64,
    /// `objects_ready` of `objects_in_scope` in percent, rounded down to one decimal
    /// (`"97.3"`), so that 100.0 means none fails; null when nothing is in scope.
    pub ready_percent: Option<String>,
    /// The same as a CSS width (`"97.3%"`; `"0%"` when nothing is in scope).
    pub ready_width: String,
    pub findings_total: u64,
    /// error, warning, info (always all three), then any other key of the summary.
    pub by_severity: Vec<CountView>,
    /// All six categories in order.
    pub by_category: Vec<CategoryCountView>,
    /// Rules with findings: severity (error first), then count (most first), then id.
    pub by_rule: Vec<RuleCountView>,
    /// Out-of-scope objects by reason, in reason order.
    pub skipped: Vec<CountView>,
    /// modify / delete / modrdn records seen (never checked).
    pub change_records: Vec<CountView>,
    pub diagnostics_by_level: Vec<CountView>,
    pub inputs: Vec<InputView>,
    pub accepted_domains: Vec<String>,
    /// Accepted without being configured (`onmicrosoft.com`), when domains are configured.
    pub implicit_accepted_domains: Vec<String>,
    /// The sync scope: OUs included (empty: everything) and excluded.
    pub include_ous: Vec<String>,
    pub exclude_ous: Vec<String>,
    /// The sync engine prepared for, as the report names it, and the target limits checked.
    pub target: String,
    pub target_limits: Vec<String>,
    /// Some input could not be read completely: the report must say INCOMPLETE.
    pub incomplete: bool,
    /// Records not checked because they were past a size limit.
    pub entries_not_checked: u64,
    /// Diagnostics counted but not listed (past `--max-diagnostics` of an input).
    pub diagnostics_not_listed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CountView {
    pub key: String,
    pub label: String,
    pub count: u64,
    /// Share of the total of its list, as a CSS width (`"12.5%"`).
    pub width: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryCountView {
    pub id: String,
    pub title: String,
    pub count: u64,
    pub width: String,
    /// Anchor of the category's section (present even when it has no findings).
    pub anchor: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCountView {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub category: String,
    pub count: u64,
    /// Anchor of the rule's section, when the report has findings of it.
    pub anchor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputView {
    pub path: String,
    /// Null for an input that failed or a file written to while it was read.
    pub sha256: Option<String>,
    pub bytes: u64,
    pub entries: u64,
    pub change_records: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub anchor: String,
    /// Findings of this category in the report.
    pub count: usize,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub category: String,
    pub attribute: String,
    /// Documentation link: http(s) only, percent-encoded so it is safe in HTML and
    /// Markdown; null when the rule has none or it is not a web link.
    pub docs: Option<String>,
    pub fix: String,
    pub anchor: String,
    /// Findings of this rule.
    pub count: usize,
    /// Distinct objects (DNs, case-insensitive) among them.
    pub objects: usize,
    /// Rows listed (at most `row_cap`) and rows left out.
    pub shown: usize,
    pub hidden: usize,
    pub rows: Vec<FindingRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub severity: String,
    pub dn: String,
    pub object_class: Arc<str>,
    pub attribute: Arc<str>,
    pub value: String,
    pub suggestion: Option<String>,
    pub message: Arc<str>,
    /// `file:line`, or the file (server URL) alone when the line is 0.
    pub source: String,
    pub file: String,
    pub line: u64,
    pub value_line: u64,
    /// Other holders of the value (duplicates), counting those left out of `related`.
    pub related_count: usize,
    /// Anchor of the duplicate group this finding belongs to.
    pub group: Option<String>,
    /// `new`, `baselined` or `excepted` when a baseline or exceptions file was applied.
    pub state: Option<String>,
    /// For excepted findings: the exception's reason, owner, expiry and `file:line`.
    pub exception_reason: Option<String>,
    pub exception_owner: Option<String>,
    pub exception_expires: Option<String>,
    pub exception_location: Option<String>,
}

/// Comparison with a baseline (or an older report).
#[derive(Debug, Clone, Serialize)]
pub struct ChangesView {
    /// The baseline file or older report.
    pub path: String,
    pub counts: ChangeCounts,
    /// Rules with any change count, by id.
    pub by_rule: Vec<ChangeRowView>,
    /// Categories with any change count, in the contract's order.
    pub by_category: Vec<ChangeRowView>,
    /// Baseline entries no finding matches any more, capped at `row_cap`.
    pub fixed: Vec<BaselineEntry>,
    pub fixed_total: usize,
    pub fixed_hidden: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeRowView {
    pub key: String,
    pub title: String,
    pub new: u64,
    pub unchanged: u64,
    pub fixed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroupView {
    /// Anchor (`dup-1`, ...) and 1-based number.
    pub anchor: String,
    pub number: usize,
    /// The namespace the value must be unique in: `SMTP address`, `Proxy address`,
    /// or the attribute name (`mailNickname`, `sAMAccountName`).
    pub namespace: String,
    /// For namespaces compared per domain (sAMAccountName): the holders' domain.
    pub domain: Option<String>,
    /// The compared value: lowercased, without `smtp:` for SMTP addresses.
    pub key: String,
    /// Highest severity among its findings.
    pub severity: String,
    pub rules: Vec<String>,
    /// Holders (one per value occurrence), sorted by DN; capped at `row_cap`.
    pub holders: Vec<HolderView>,
    pub holder_count: usize,
    pub holders_hidden: usize,
    /// Distinct objects (DNs, case-insensitive) holding the value.
    pub object_count: usize,
}

/// A finding that needs a person's decision (no safe automatic fix).
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub rule: String,
    pub severity: String,
    pub dn: String,
    pub object_class: String,
    pub attribute: String,
    pub value: String,
    pub message: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HolderView {
    pub dn: String,
    /// Known for holders that have a finding of their own.
    pub object_class: Option<String>,
    pub attribute: String,
    /// The value as written on this holder.
    pub value: String,
    pub source: String,
    pub file: String,
    pub line: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticView {
    pub level: String,
    pub file: String,
    pub line: u64,
    pub column: u64,
    /// `file`, `file:line` or `file:line:column`.
    pub location: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCatalogView {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub category: String,
    pub attribute: String,
    pub docs: Option<String>,
    pub fix: String,
    pub findings: u64,
    pub anchor: Option<String>,
}

/// A finding's value as a reader sees it: counts and sizes say what they count.
pub(super) fn shown_value(f: &Finding) -> String {
    match (f.value_kind, f.value.as_deref()) {
        (Some(crate::findings::ValueKind::Count), Some(v)) => format!("count: {v}"),
        (Some(crate::findings::ValueKind::Bytes), Some(v)) => format!("{v} bytes"),
        _ => f.value_str().to_string(),
    }
}

/// Each input's position in the report (its place on the command line).
pub(super) fn input_positions(report: &Report) -> HashMap<&str, usize> {
    report
        .summary
        .inputs
        .iter()
        .enumerate()
        .map(|(i, inp)| (inp.path.as_str(), i))
        .collect()
}

/// Finding indexes in the order of the inputs (input, line, value line, then the
/// finding itself): the same report gives the same bytes, whatever order its findings
/// are in. The keys are worked out once, not in every comparison of a million findings.
pub(super) fn input_sequence(report: &Report, input_pos: &HashMap<&str, usize>) -> Vec<usize> {
    let keys: Vec<(usize, u64, u64)> = report
        .findings
        .iter()
        .map(|f| {
            (
                input_pos
                    .get(&*f.source.file)
                    .copied()
                    .unwrap_or(usize::MAX),
                f.source.line,
                f.value_line,
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..report.findings.len()).collect();
    order.par_sort_by(|&a, &b| {
        let (fa, fb) = (&report.findings[a], &report.findings[b]);
        keys[a]
            .cmp(&keys[b])
            .then_with(|| fa.source.file.cmp(&fb.source.file))
            .then_with(|| fa.rule.cmp(&fb.rule))
            .then_with(|| fa.dn.cmp(&fb.dn))
            .then_with(|| fa.attribute.cmp(&fb.attribute))
            .then_with(|| fa.value.cmp(&fb.value))
    });
    order
}

/// Where a finding is in the inputs: the input's position in the summary (none for a
/// file it does not list), the entry's line and the value's.
type InputKey = (Option<usize>, u64, u64);

/// Each finding's place in `sequence` (see [`input_sequence`]).
fn ranks(sequence: &[usize]) -> Vec<usize> {
    let mut rank = vec![0; sequence.len()];
    for (k, &i) in sequence.iter().enumerate() {
        rank[i] = k;
    }
    rank
}

/// Rules by severity (errors first), then findings (most first), then id.
fn sort_rule_counts(rules: &mut [RuleCountView]) {
    rules.sort_by(|a, b| {
        (
            severity_rank(&a.severity),
            std::cmp::Reverse(a.count),
            &a.id,
        )
            .cmp(&(
                severity_rank(&b.severity),
                std::cmp::Reverse(b.count),
                &b.id,
            ))
    });
}

/// Customer-facing title and explanation of a category.
pub fn category_text(c: Category) -> (&'static str, &'static str) {
    match c {
        Category::Character => (
            "Invalid characters",
            "Values contain characters that Microsoft 365 does not accept in this attribute \
             (whitespace, diacritics, reserved symbols).",
        ),
        Category::Format => (
            "Invalid format",
            "Values are not well-formed: malformed addresses, missing address type prefixes, \
             misplaced dots.",
        ),
        Category::Length => (
            "Values too long",
            "Values exceed the maximum length Microsoft 365 accepts for the attribute.",
        ),
        Category::Duplicate => (
            "Duplicate values",
            "The same value is held by more than one object (or twice by one object); only \
             one holder can be synchronized. Every holder is listed.",
        ),
        Category::Blank => (
            "Blank values",
            "Attributes that are present but empty or only whitespace.",
        ),
        Category::Domain => (
            "Unroutable or unaccepted domains",
            "Addresses use a domain that is not a public internet domain, or not one of the \
             tenant's accepted domains.",
        ),
        Category::Size => (
            "Objects too large to synchronize",
            "Attributes with too many values or values with too many bytes: certificates, \
             photos, group members. Entra Connect stops such an object (LargeObject).",
        ),
        Category::Match => (
            "What the first sync will do",
            "Predictions from the tenant snapshot: cloud objects the first sync takes over \
             (hard and soft matches), matches it cannot make (conflicts, ambiguities).",
        ),
        Category::Consistency => (
            "Inconsistent attributes",
            "Attributes of one object disagree, or a required partner value is missing: \
             several primary SMTP addresses, none, or one that differs from mail.",
        ),
    }
}

fn severity_label(s: &str) -> String {
    match s {
        "error" => "Error".into(),
        "warning" => "Warning".into(),
        "info" => "Info".into(),
        other => other.to_string(),
    }
}

fn level_label(s: &str) -> String {
    match s {
        "error" => "Error".into(),
        "warning" => "Warning".into(),
        "note" => "Note".into(),
        other => other.to_string(),
    }
}

/// `critical-system-object` → `Critical system object`.
fn humanize(key: &str) -> String {
    let text = key.replace(['-', '_'], " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "error" => 0,
        "warning" => 1,
        "info" => 2,
        _ => 3,
    }
}

impl ReportView {
    /// Builds the view of `report`, listing at most `row_cap` rows per rule (and per
    /// duplicate group, duplicate groups and diagnostics).
    pub fn build(report: &Report, row_cap: usize) -> ReportView {
        ReportView::build_with(report, Caps::all(row_cap), false)
    }

    /// The HTML report's view: no finding rows (the page renders them from
    /// `findings_data`), fewer duplicate groups in the page.
    pub fn build_html(report: &Report) -> ReportView {
        let caps = Caps {
            rows: 0,
            groups: HTML_GROUP_CAP,
            other: ROW_CAP,
        };
        ReportView::build_with(report, caps, true)
    }

    /// The view with `caps` rows per list, and the findings block when `data` is set.
    pub fn build_with(report: &Report, caps: Caps, data: bool) -> ReportView {
        let row_cap = caps.other;
        let catalog: HashMap<&str, &RuleSummary> =
            report.rules.iter().map(|r| (r.id.as_str(), r)).collect();
        let input_pos = input_positions(report);
        let sequence = input_sequence(report, &input_pos);
        let rank = ranks(&sequence);
        let objects = super::explore::object_ids(&report.findings);

        let dups = DuplicateIndex::build(&report.findings);
        let mut anchors = Anchors::default();
        let categories = build_categories(
            report,
            &catalog,
            (&rank, &objects),
            &dups,
            &mut anchors,
            caps.rows,
        );
        let rule_anchor: HashMap<String, String> = categories
            .iter()
            .flat_map(|c| c.rules.iter())
            .map(|r| (r.id.clone(), r.anchor.clone()))
            .collect();

        let summary = build_summary(report, &catalog, &rule_anchor, &categories);

        let (duplicate_groups, duplicate_groups_total) = dups.views(caps.groups);
        // What fix files cannot do: the same selection as `fixes::plan` (not excepted, no
        // suggestion); duplicates are decided per group in their own section.
        let mut undecided: Vec<(InputKey, &Finding)> = report
            .findings
            .iter()
            .filter(|f| {
                f.suggestion.is_none()
                    && f.category != Category::Duplicate
                    && f.state != Some(crate::findings::FindingState::Excepted)
            })
            .map(|f| {
                let pos = input_pos.get(&*f.source.file).copied();
                ((pos, f.source.line, f.value_line), f)
            })
            .collect();
        // The input's order, whatever the report's: same report, same bytes (the keys
        // worked out once).
        undecided.sort_by(|(ka, a), (kb, b)| {
            ka.cmp(kb)
                .then_with(|| (&a.rule, &a.dn, &a.value).cmp(&(&b.rule, &b.dn, &b.value)))
        });
        let undecided: Vec<&Finding> = undecided.into_iter().map(|(_, f)| f).collect();
        let decisions_total = undecided.len();
        let decisions_by_rule = decisions_by_rule(&undecided, &catalog, &rule_anchor);
        let decisions: Vec<DecisionView> = undecided
            .into_iter()
            .take(caps.rows)
            .map(|f| DecisionView {
                rule: f.rule.to_string(),
                severity: f.severity.as_str().to_string(),
                dn: f.dn.clone(),
                object_class: f.object_class.to_string(),
                attribute: f.attribute.to_string(),
                value: shown_value(f),
                message: f.message.to_string(),
                source: source_str(&f.source.file, f.source.line),
            })
            .collect();
        let diagnostics: Vec<DiagnosticView> = report
            .diagnostics
            .iter()
            .take(row_cap)
            .map(|d| {
                let level = serde_plain(&d.level);
                DiagnosticView {
                    location: match (d.line, d.column) {
                        (0, _) => d.file.clone(),
                        (l, 0) => format!("{}:{l}", d.file),
                        (l, c) => format!("{}:{l}:{c}", d.file),
                    },
                    level,
                    file: d.file.clone(),
                    line: d.line,
                    column: d.column,
                    message: d.message.clone(),
                }
            })
            .collect();

        let mut rules: Vec<RuleCatalogView> = report
            .rules
            .iter()
            .map(|r| RuleCatalogView {
                id: r.id.clone(),
                title: r.title.clone(),
                severity: r.severity.as_str().to_string(),
                category: r.category.as_str().to_string(),
                attribute: r.attribute.clone(),
                docs: safe_url(&r.docs),
                fix: r.fix.clone(),
                findings: report
                    .summary
                    .findings_by_rule
                    .get(&r.id)
                    .copied()
                    .unwrap_or(r.findings),
                anchor: rule_anchor.get(&r.id).cloned(),
            })
            .collect();
        rules.sort_by(|a, b| {
            (category_rank(&a.category), &a.id).cmp(&(category_rank(&b.category), &b.id))
        });

        let summary_charts = summary.clone();
        ReportView {
            title: "Directory sync readiness report".to_string(),
            generated_at: report.generated_at.clone(),
            redacted: report.redacted.clone(),
            tool: ToolView {
                name: report.tool.name.clone(),
                version: report.tool.version.clone(),
            },
            summary,
            categories,
            decisions_hidden: decisions_total - decisions.len(),
            decisions,
            decisions_total,
            duplicate_groups_hidden: duplicate_groups_total - duplicate_groups.len(),
            duplicate_groups,
            duplicate_groups_total,
            diagnostics_total: report.diagnostics.len(),
            diagnostics_hidden: report.diagnostics.len() - diagnostics.len(),
            diagnostics,
            rules,
            row_cap,
            changes: changes_view(report, row_cap),
            exceptions: report.exceptions.clone(),
            selection: report.selection.clone(),
            tenant: tenant_view(report, row_cap),
            ou_tree: super::explore::ou_tree_of(report, &objects, OU_TREE_CAP),
            charts: charts(&summary_charts),
            decisions_by_rule,
            findings_data: if data {
                super::explore::findings_json(report, &sequence, |i| dups.number_of(i))
            } else {
                String::new()
            },
            csp_script_src: String::new(),
        }
    }
}

/// The "What the first sync will do" section.
#[derive(Debug, Clone, Serialize)]
pub struct TenantView {
    pub summary: crate::findings::TenantSummary,
    /// Conflicts, ambiguities and collisions, with both sides (capped at `row_cap`).
    pub problems: Vec<PredictionView>,
    pub problems_total: usize,
    /// Hard matches, soft matches and objects already synchronized: what an admin checks
    /// before switching sync on (capped at `row_cap`).
    pub matches: Vec<PredictionView>,
    pub matches_total: usize,
}

/// One prediction: the on-premises side and the cloud side.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionView {
    pub rule: String,
    pub severity: String,
    pub dn: String,
    pub attribute: String,
    pub value: String,
    /// The cloud objects: `kind id (attribute value)`.
    pub cloud: Vec<String>,
    pub message: String,
}

fn tenant_view(report: &Report, row_cap: usize) -> Option<TenantView> {
    let summary = report.summary.tenant.clone()?;
    let rows = |ids: &[&str]| -> Vec<PredictionView> {
        report
            .findings
            .iter()
            .filter(|f| ids.contains(&&*f.rule))
            .map(|f| PredictionView {
                rule: f.rule.to_string(),
                severity: f.severity.as_str().to_string(),
                dn: f.dn.clone(),
                attribute: f.attribute.to_string(),
                value: shown_value(f),
                cloud: f
                    .related
                    .iter()
                    .filter(|r| r.id.is_some())
                    .map(|r| {
                        format!(
                            "{} {} ({} {})",
                            r.kind.as_deref().unwrap_or("object"),
                            r.id.as_deref().unwrap_or(""),
                            r.attribute,
                            r.value
                        )
                    })
                    .collect(),
                message: f.message.to_string(),
            })
            .collect()
    };
    use crate::tenant;
    let mut problems = rows(&[
        tenant::CONFLICT.id,
        tenant::AMBIGUOUS.id,
        tenant::COLLISION.id,
    ]);
    let mut matches = rows(&[
        tenant::HARD_MATCH.id,
        tenant::SOFT_MATCH.id,
        tenant::ALREADY_SYNCED.id,
    ]);
    let (problems_total, matches_total) = (problems.len(), matches.len());
    problems.truncate(row_cap);
    matches.truncate(row_cap);
    Some(TenantView {
        summary,
        problems,
        problems_total,
        matches,
        matches_total,
    })
}

/// Duplicate groups listed in the HTML page (every holder is in the JSON report and in
/// the explorer).
pub const HTML_GROUP_CAP: usize = 200;

fn decisions_by_rule(
    undecided: &[&Finding],
    catalog: &HashMap<&str, &RuleSummary>,
    rule_anchor: &HashMap<String, String>,
) -> Vec<RuleCountView> {
    let mut counts: BTreeMap<&str, (u64, Severity, Category)> = BTreeMap::new();
    for f in undecided {
        let e = counts
            .entry(&*f.rule)
            .or_insert((0, f.severity, f.category));
        e.0 += 1;
        e.1 = e.1.max(f.severity);
    }
    let mut out: Vec<RuleCountView> = counts
        .into_iter()
        .map(|(id, (count, sev, cat))| RuleCountView {
            id: id.to_string(),
            title: catalog
                .get(id)
                .map_or_else(|| id.to_string(), |r| r.title.clone()),
            severity: sev.as_str().to_string(),
            category: cat.as_str().to_string(),
            count,
            anchor: rule_anchor.get(id).cloned(),
        })
        .collect();
    sort_rule_counts(&mut out);
    out
}

fn charts(summary: &SummaryView) -> ChartsView {
    let severity = bar_chart(
        summary
            .by_severity
            .iter()
            .map(|s| {
                (
                    s.label.clone(),
                    String::new(),
                    s.count,
                    format!("severity={}", s.key),
                    format!("sev-{}", s.key),
                )
            })
            .collect(),
        false,
    );
    let category = bar_chart(
        summary
            .by_category
            .iter()
            .map(|c| {
                (
                    c.title.clone(),
                    String::new(),
                    c.count,
                    format!("category={}", c.id),
                    "cat".to_string(),
                )
            })
            .collect(),
        false,
    );
    let rules = bar_chart(
        summary
            .by_rule
            .iter()
            .map(|r| {
                (
                    r.title.clone(),
                    r.id.clone(),
                    r.count,
                    format!("rule={}", r.id),
                    format!("sev-{}", r.severity),
                )
            })
            .collect(),
        true,
    );
    ChartsView {
        severity,
        category,
        rules,
    }
}

fn category_rank(id: &str) -> usize {
    Category::ALL
        .iter()
        .position(|c| c.as_str() == id)
        .unwrap_or(Category::ALL.len())
}

/// A serde unit-variant name (`"error"`) without going through JSON text.
fn serde_plain<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(super) fn width(part: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_string();
    }
    format!("{}%", per_mille_str(part, total))
}

/// `part / total` in percent, rounded down to one decimal: `"97.3"`.
fn per_mille_str(part: u64, total: u64) -> String {
    // At most 1000 when part <= total; saturate rather than wrap otherwise.
    let pm = u64::try_from(u128::from(part) * 1000 / u128::from(total.max(1))).unwrap_or(u64::MAX);
    format!("{}.{}", pm / 10, pm % 10)
}

fn build_summary(
    report: &Report,
    catalog: &HashMap<&str, &RuleSummary>,
    rule_anchor: &HashMap<String, String>,
    categories: &[CategoryView],
) -> SummaryView {
    let s = &report.summary;
    let objects_ready = s.objects_in_scope.saturating_sub(s.objects_with_errors);
    let ready_percent =
        (s.objects_in_scope > 0).then(|| per_mille_str(objects_ready, s.objects_in_scope));

    let sev_total: u64 = s.findings_by_severity.values().sum();
    let mut by_severity: Vec<CountView> = ["error", "warning", "info"]
        .iter()
        .map(|k| {
            let count = s.findings_by_severity.get(*k).copied().unwrap_or(0);
            CountView {
                key: k.to_string(),
                label: severity_label(k),
                count,
                width: width(count, sev_total),
            }
        })
        .collect();
    for (k, &count) in &s.findings_by_severity {
        if !matches!(k.as_str(), "error" | "warning" | "info") {
            by_severity.push(CountView {
                key: k.clone(),
                label: severity_label(k),
                count,
                width: width(count, sev_total),
            });
        }
    }

    let cat_total: u64 = s.findings_by_category.values().sum();
    let by_category = categories
        .iter()
        // Predictions are a category only for a run with a tenant snapshot.
        .filter(|c| c.id != Category::Match.as_str() || s.tenant.is_some())
        .map(|c| {
            let count = s.findings_by_category.get(&c.id).copied().unwrap_or(0);
            CategoryCountView {
                id: c.id.clone(),
                title: c.title.clone(),
                count,
                width: width(count, cat_total),
                anchor: c.anchor.clone(),
            }
        })
        .collect();

    let mut by_rule: Vec<RuleCountView> = s
        .findings_by_rule
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(id, &count)| {
            let meta = catalog.get(id.as_str());
            RuleCountView {
                id: id.clone(),
                title: meta.map_or_else(|| id.clone(), |r| r.title.clone()),
                severity: meta.map_or_else(
                    || rule_severity_from_findings(report, id),
                    |r| r.severity.as_str().to_string(),
                ),
                category: meta.map_or_else(
                    || rule_category_from_findings(report, id),
                    |r| r.category.as_str().to_string(),
                ),
                count,
                anchor: rule_anchor.get(id).cloned(),
            }
        })
        .collect();
    sort_rule_counts(&mut by_rule);

    let counts = |m: &BTreeMap<String, u64>, label: fn(&str) -> String| -> Vec<CountView> {
        let total: u64 = m.values().sum();
        m.iter()
            .map(|(k, &count)| CountView {
                key: k.clone(),
                label: label(k),
                count,
                width: width(count, total),
            })
            .collect()
    };
    let mut diagnostics_by_level = counts(&s.diagnostics, level_label);
    diagnostics_by_level.sort_by_key(|c| match c.key.as_str() {
        "error" => 0,
        "warning" => 1,
        "note" => 2,
        _ => 3,
    });

    SummaryView {
        objects_read: s.objects_read,
        objects_in_scope: s.objects_in_scope,
        objects_skipped: s.skipped.values().sum(),
        objects_with_errors: s.objects_with_errors,
        objects_with_findings: s.objects_with_findings,
        objects_ready,
        ready_width: match &ready_percent {
            Some(p) => format!("{p}%"),
            None => "0%".to_string(),
        },
        ready_percent,
        findings_total: s.findings_total,
        by_severity,
        by_category,
        by_rule,
        skipped: counts(&s.skipped, humanize),
        change_records: counts(&s.change_records, str::to_string),
        diagnostics_by_level,
        inputs: s
            .inputs
            .iter()
            .map(|i| InputView {
                path: i.path.clone(),
                sha256: i.sha256.clone(),
                bytes: i.bytes,
                entries: i.entries,
                change_records: i.change_records,
            })
            .collect(),
        accepted_domains: s.accepted_domains.clone(),
        implicit_accepted_domains: s.implicit_accepted_domains.clone(),
        include_ous: s.include_ous.clone(),
        exclude_ous: s.exclude_ous.clone(),
        target: match s.target.as_str() {
            "cloud-sync" => "Entra Cloud Sync".into(),
            _ => "Entra Connect Sync".into(),
        },
        target_limits: s.target_limits.clone(),
        incomplete: s.incomplete,
        entries_not_checked: s.entries_not_checked,
        diagnostics_not_listed: s.diagnostics_not_listed,
    }
}

fn rule_severity_from_findings(report: &Report, id: &str) -> String {
    report
        .findings
        .iter()
        .find(|f| &*f.rule == id)
        .map_or("info", |f| f.severity.as_str())
        .to_string()
}

fn rule_category_from_findings(report: &Report, id: &str) -> String {
    report
        .findings
        .iter()
        .find(|f| &*f.rule == id)
        .map_or("", |f| f.category.as_str())
        .to_string()
}

/// Unique HTML ids derived from names.
#[derive(Default)]
struct Anchors(BTreeSet<String>);

impl Anchors {
    fn make(&mut self, prefix: &str, name: &str) -> String {
        let mut base = String::with_capacity(prefix.len() + name.len());
        base.push_str(prefix);
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                base.push(c.to_ascii_lowercase());
            } else if !base.ends_with('-') {
                base.push('-');
            }
        }
        let mut candidate = base.clone();
        let mut n = 2;
        while self.0.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        self.0.insert(candidate.clone());
        candidate
    }
}

/// `order`: each finding's place in the input order ([`ranks`]) and its object (see
/// [`super::explore::object_ids`]).
fn build_categories(
    report: &Report,
    catalog: &HashMap<&str, &RuleSummary>,
    (rank, object_of): (&[usize], &[u32]),
    dups: &DuplicateIndex,
    anchors: &mut Anchors,
    row_cap: usize,
) -> Vec<CategoryView> {
    // (category, rule) → finding indices, in report order.
    let mut by_rule: BTreeMap<(Category, &str), Vec<usize>> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        by_rule.entry((f.category, &*f.rule)).or_default().push(i);
    }

    Category::ALL
        .iter()
        .map(|&cat| {
            let (title, description) = category_text(cat);
            let anchor = anchors.make("cat-", cat.as_str());
            let mut rules: Vec<(Severity, &str, Vec<usize>)> = by_rule
                .range((cat, "")..)
                .take_while(|((c, _), _)| *c == cat)
                .map(|((_, rule), idx)| {
                    let sev = catalog
                        .get(rule)
                        .map(|r| r.severity)
                        .or_else(|| idx.iter().map(|&i| report.findings[i].severity).max())
                        .unwrap_or(Severity::Info);
                    (sev, *rule, idx.clone())
                })
                .collect();
            rules.sort_by(|a, b| {
                (std::cmp::Reverse(a.0), std::cmp::Reverse(a.2.len()), a.1).cmp(&(
                    std::cmp::Reverse(b.0),
                    std::cmp::Reverse(b.2.len()),
                    b.1,
                ))
            });
            let count = rules.iter().map(|r| r.2.len()).sum();
            let rules = rules
                .into_iter()
                .map(|(sev, rule, mut idx)| {
                    let meta = catalog.get(rule);
                    let first = &report.findings[idx[0]];
                    let mut ids: Vec<u32> = idx.iter().map(|&i| object_of[i]).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    let objects = ids.len();
                    idx.sort_by_key(|&i| rank[i]);
                    let rows: Vec<FindingRow> = idx
                        .iter()
                        .take(row_cap)
                        .map(|&i| finding_row(&report.findings[i], dups.anchor_of(i)))
                        .collect();
                    RuleView {
                        id: rule.to_string(),
                        title: meta.map_or_else(|| rule.to_string(), |r| r.title.clone()),
                        severity: sev.as_str().to_string(),
                        category: cat.as_str().to_string(),
                        attribute: meta
                            .map_or_else(|| first.attribute.to_string(), |r| r.attribute.clone()),
                        docs: meta.and_then(|r| safe_url(&r.docs)),
                        fix: meta.map_or_else(String::new, |r| r.fix.clone()),
                        anchor: anchors.make("rule-", rule),
                        count: idx.len(),
                        objects,
                        shown: rows.len(),
                        hidden: idx.len() - rows.len(),
                        rows,
                    }
                })
                .collect();
            CategoryView {
                id: cat.as_str().to_string(),
                title: title.to_string(),
                description: description.to_string(),
                anchor,
                count,
                rules,
            }
        })
        .collect()
}

pub(super) fn source_str(file: &str, line: u64) -> String {
    if line == 0 {
        file.to_string()
    } else {
        format!("{file}:{line}")
    }
}

fn finding_row(f: &Finding, group: Option<String>) -> FindingRow {
    FindingRow {
        severity: f.severity.as_str().to_string(),
        dn: f.dn.clone(),
        object_class: f.object_class.clone(),
        attribute: f.attribute.clone(),
        value: shown_value(f),
        suggestion: f.suggestion.clone(),
        message: f.message.clone(),
        source: source_str(&f.source.file, f.source.line),
        file: f.source.file.to_string(),
        line: f.source.line,
        value_line: f.value_line,
        related_count: f.related_total.unwrap_or(0).max(f.related.len()),
        group,
        state: f.state.map(|s| s.as_str().to_string()),
        exception_reason: f.exception.as_ref().map(|e| e.reason.clone()),
        exception_owner: f.exception.as_ref().and_then(|e| e.owner.clone()),
        exception_expires: f.exception.as_ref().and_then(|e| e.expires.clone()),
        exception_location: f.exception.as_ref().map(|e| e.location.clone()),
    }
}

fn changes_view(report: &Report, row_cap: usize) -> Option<ChangesView> {
    let b = report.baseline.as_ref()?;
    let title_of = |id: &str| {
        report
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.title.clone())
            .unwrap_or_default()
    };
    let row = |key: &str, title: String, c: &ChangeCounts| ChangeRowView {
        key: key.to_string(),
        title,
        new: c.new,
        unchanged: c.unchanged,
        fixed: c.fixed,
    };
    let by_rule = b
        .by_rule
        .iter()
        .map(|(k, c)| row(k, title_of(k), c))
        .collect();
    let mut by_category: Vec<ChangeRowView> = Category::ALL
        .iter()
        .filter_map(|cat| {
            b.by_category
                .get(cat.as_str())
                .map(|c| row(cat.as_str(), category_text(*cat).0.to_string(), c))
        })
        .collect();
    for (k, c) in &b.by_category {
        if !Category::ALL.iter().any(|cat| cat.as_str() == k) {
            by_category.push(row(k, humanize(k), c));
        }
    }
    Some(ChangesView {
        path: b.path.clone(),
        counts: b.counts,
        by_rule,
        by_category,
        fixed: b.fixed.iter().take(row_cap).cloned().collect(),
        fixed_total: b.fixed.len(),
        fixed_hidden: b.fixed.len().saturating_sub(row_cap),
    })
}

/// `1234567` → `"1,234,567"`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1536` → `"1.5 KiB"` (rounded down to one decimal).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut unit = 1024u128;
    let mut i = 0;
    while i + 1 < UNITS.len() && u128::from(n) >= unit * 1024 {
        unit *= 1024;
        i += 1;
    }
    let tenths = u128::from(n) * 10 / unit;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Related;
    use crate::findings::{InputSummary, SourceRef, Summary, ToolInfo, Uniqueness};
    use crate::model::{Diagnostic, DiagnosticLevel};
    use crate::report::escape::*;
    use crate::report::templates::*;
    use crate::report::RenderError;

    fn src(file: &str, line: u64) -> SourceRef {
        SourceRef {
            file: file.into(),
            line,
        }
    }

    fn finding(
        rule: &str,
        sev: Severity,
        cat: Category,
        dn: &str,
        attr: &str,
        value: &str,
    ) -> Finding {
        Finding {
            severity: sev,
            category: cat,
            attribute: attr.into(),
            value: Some(value.into()),
            message: format!("{attr} problem").into(),
            source: src("export.ldf", 10),
            value_line: 0,
            fingerprint: String::new(),
            ..crate::findings::testing::finding(rule, dn)
        }
    }

    fn rule(id: &str, sev: Severity, cat: Category, attr: &str) -> RuleSummary {
        RuleSummary {
            id: id.into(),
            title: format!("Title of {id}"),
            severity: sev,
            category: cat,
            attribute: attr.into(),
            docs: format!("https://learn.microsoft.com/x/{id}"),
            fix: format!("Fix {id}"),
            findings: 0,
        }
    }

    #[test]
    fn decisions_follow_the_inputs_with_unknown_files_first_and_ties_in_report_order() {
        let at = |file: &str, line: u64, attr: &str| Finding {
            source: src(file, line),
            ..finding("r", Severity::Error, Category::Format, "CN=a", attr, "v")
        };
        // Same rule, DN, value and lines: only the attribute tells these two apart, and
        // they keep the report's order. A file the summary does not list comes first.
        let r = report(
            vec![
                at("export.ldf", 5, "mail"),
                at("export.ldf", 5, "cn"),
                at("export.ldf", 1, "sn"),
                at("other.ldf", 9, "sn"),
            ],
            vec![rule("r", Severity::Error, Category::Format, "sn")],
        );
        let v = ReportView::build(&r, 100);
        let got: Vec<(&str, &str)> = v
            .decisions
            .iter()
            .map(|d| (d.source.as_str(), d.attribute.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("other.ldf:9", "sn"),
                ("export.ldf:1", "sn"),
                ("export.ldf:5", "mail"),
                ("export.ldf:5", "cn"),
            ]
        );
    }

    /// Fills the summary counters from the findings, as the engine would.
    fn report(findings: Vec<Finding>, rules: Vec<RuleSummary>) -> Report {
        let mut summary = Summary {
            inputs: vec![InputSummary {
                path: "export.ldf".into(),
                sha256: Some("ab".repeat(32)),
                bytes: 123_456,
                entries: 40,
                change_records: 0,
                snapshot: None,
            }],
            objects_read: 40,
            objects_in_scope: 30,
            objects_with_errors: 3,
            objects_with_findings: 5,
            findings_total: findings.len() as u64,
            accepted_domains: vec!["contoso.com".into()],
            ..Summary::default()
        };
        summary.skipped.insert("computer".into(), 10);
        for f in &findings {
            summary.count(f);
        }
        Report {
            tool: ToolInfo {
                name: "dirready".into(),
                version: "0.1.0".into(),
            },
            generated_at: None,
            findings,
            summary,
            diagnostics: vec![],
            rules,
            gate: None,
            selection: None,
            baseline: None,
            exceptions: None,
            redacted: None,
        }
    }

    const HOSTILE: [&str; 3] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(2)>",
        "{{7*7}}",
    ];

    fn hostile_report() -> Report {
        let mut findings = Vec::new();
        for (i, h) in HOSTILE.iter().enumerate() {
            let mut f = finding(
                "upn-invalid-character",
                Severity::Error,
                Category::Character,
                &format!("CN={h},OU=Users,DC=contoso,DC=com"),
                "userPrincipalName",
                &format!("{h}@contoso.com"),
            );
            f.suggestion = Some(format!("sugg{h}"));
            f.message = format!("message {h}").into();
            f.source = src(&format!("file{h}.ldf"), i as u64 + 1);
            findings.push(f);
        }
        let mut r = report(
            findings,
            vec![rule(
                "upn-invalid-character",
                Severity::Error,
                Category::Character,
                "userPrincipalName",
            )],
        );
        r.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            file: "<b>bad</b>.ldf".into(),
            line: 3,
            column: 0,
            message: "<iframe src=x> broken".into(),
            limit: None,
        });
        r.summary.accepted_domains.push("<svg onload=x>".into());
        r.summary.inputs[0].path = "<x>.ldf".into();
        r
    }

    #[test]
    fn html_escapes_hostile_values() {
        let html = render(TemplateKind::Html, &hostile_report(), None).unwrap();
        assert!(!html.contains("<script>alert"), "raw script tag leaked");
        assert!(!html.contains("<img src=x"), "raw img tag leaked");
        assert!(!html.contains("<iframe"), "raw iframe leaked");
        assert!(!html.contains("<svg onload"), "raw svg leaked");
        assert!(!html.contains("<b>bad"), "raw b leaked");
        assert!(!html.contains("\"><img"), "attribute breakout leaked");
        // Finding values are in the JSON block, where `<`, `>` and `&` are \u escapes.
        assert!(html.contains(r"\u003cscript\u003ealert(1)\u003c/script\u003e@contoso.com"));
        assert!(html.contains(r#"\"\u003e\u003cimg src=x onerror=alert(2)\u003e"#));
        // Template syntax in data is printed, never evaluated.
        assert!(html.contains("{{7*7}}@contoso.com"));
        assert!(!html.contains("49@contoso.com"));
        // Every <script> in the output is one of the template's own scripts.
        assert_eq!(
            html.matches("<script").count(),
            HTML_TEMPLATE.matches("<script").count()
        );
    }

    #[test]
    fn html_structure_and_csp() {
        let html = render(TemplateKind::Html, &sample_report(), None).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("http-equiv=\"Content-Security-Policy\""));
        assert!(html.contains("default-src 'none'"));
        // The CSP allows exactly the inline scripts, by hash.
        let start = html.find("<script>").expect("inline script") + "<script>".len();
        let end = start + html[start..].find("</script>").unwrap();
        let expected = {
            use base64::Engine;
            use sha2::{Digest, Sha256};
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&html[start..end]))
        };
        assert!(html.contains(&format!("'sha256-{expected}'")));
        // No external resources at all.
        for bad in ["src=\"http", "href=\"//", "<link", "@import", "url(http"] {
            assert!(!html.contains(bad), "external reference {bad}");
        }
        // Key structure.
        for id in [
            "id=\"summary\"",
            "id=\"cat-character\"",
            "id=\"cat-duplicate\"",
            "id=\"rule-upn-invalid-character\"",
            "id=\"duplicates\"",
            "id=\"dup-1\"",
            "id=\"diagnostics\"",
            "id=\"inputs\"",
            "id=\"rules\"",
        ] {
            assert!(html.contains(id), "missing {id}");
        }
        assert!(html.contains("<details class=\"rule sev-border-error\""));
        assert!(html.contains(
            "href=\"https:&#x2f;&#x2f;learn.microsoft.com&#x2f;x&#x2f;upn-invalid-character\""
        ));
        assert!(!html.contains("INCOMPLETE"));
        assert!(html.contains("abab"), "input sha256 shown");
        assert!(html.contains("contoso.com"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn incomplete_banner() {
        let mut r = sample_report();
        r.summary.incomplete = true;
        let html = render(TemplateKind::Html, &r, None).unwrap();
        assert!(html.contains("INCOMPLETE"));
        let md = render(TemplateKind::Markdown, &r, None).unwrap();
        assert!(md.contains("INCOMPLETE"));
    }

    fn sample_report() -> Report {
        let mut findings = vec![
            finding(
                "upn-invalid-character",
                Severity::Error,
                Category::Character,
                "CN=A,DC=contoso,DC=com",
                "userPrincipalName",
                "a b@contoso.com",
            ),
            finding(
                "mailnickname-too-long",
                Severity::Error,
                Category::Length,
                "CN=B,DC=contoso,DC=com",
                "mailNickname",
                &"x".repeat(70),
            ),
        ];
        // One SMTP address held three ways by two objects.
        let holders = [
            (
                "CN=C,DC=contoso,DC=com",
                "userPrincipalName",
                "john@contoso.com",
            ),
            (
                "CN=D,DC=contoso,DC=com",
                "proxyAddresses",
                "smtp:John@Contoso.com",
            ),
            ("CN=D,DC=contoso,DC=com", "mail", "JOHN@contoso.com"),
        ];
        for (i, (dn, attr, value)) in holders.iter().enumerate() {
            let mut f = finding(
                "duplicate-smtp-address",
                Severity::Error,
                Category::Duplicate,
                dn,
                attr,
                value,
            );
            f.uniqueness = Some(Box::new(uniq(
                "smtp",
                "SMTP address",
                "john@contoso.com",
                None,
            )));
            f.related = holders
                .iter()
                .enumerate()
                .filter(|(j, h)| *j != i && h.0 != *dn)
                .map(|(_, (dn, attr, value))| Related {
                    id: None,
                    kind: None,
                    dn: (*dn).into(),
                    attribute: (*attr).into(),
                    value: (*value).into(),
                    value_base64: None,
                    source: src("export.ldf", 10),
                })
                .collect();
            findings.push(f);
        }
        let mut r = report(
            findings,
            vec![
                rule(
                    "upn-invalid-character",
                    Severity::Error,
                    Category::Character,
                    "userPrincipalName",
                ),
                rule(
                    "mailnickname-too-long",
                    Severity::Error,
                    Category::Length,
                    "mailNickname",
                ),
                rule(
                    "duplicate-smtp-address",
                    Severity::Error,
                    Category::Duplicate,
                    "proxyAddresses",
                ),
            ],
        );
        r.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            file: "export.ldf".into(),
            line: 7,
            column: 2,
            message: "folded line".into(),
            limit: None,
        });
        r.summary.diagnostics.insert("warning".into(), 1);
        r
    }

    #[test]
    fn duplicate_groups_gather_all_holders() {
        let r = sample_report();
        let view = ReportView::build(&r, ROW_CAP);
        assert_eq!(view.duplicate_groups.len(), 1);
        let g = &view.duplicate_groups[0];
        assert_eq!(g.key, "john@contoso.com");
        assert_eq!(g.namespace, "SMTP address");
        assert_eq!(g.holder_count, 3);
        assert_eq!(g.object_count, 2);
        let values: Vec<&str> = g.holders.iter().map(|h| h.value.as_str()).collect();
        assert!(values.contains(&"smtp:John@Contoso.com"));
        assert!(values.contains(&"JOHN@contoso.com"));
        // Rows of the duplicate rule link to the group.
        let dup = &view.categories[3];
        assert_eq!(dup.id, "duplicate");
        assert!(dup.rules[0]
            .rows
            .iter()
            .all(|r| r.group.as_deref() == Some("dup-1")));
    }

    fn uniq(ns: &str, label: &str, key: &str, domain: Option<&str>) -> Uniqueness {
        Uniqueness {
            namespace: ns.into(),
            label: label.into(),
            key: key.into(),
            domain: domain.map(String::from),
        }
    }

    fn dup(dn: &str, attr: &str, value: &str, u: Uniqueness) -> Finding {
        let mut f = finding("dup", Severity::Error, Category::Duplicate, dn, attr, value);
        f.uniqueness = Some(Box::new(u));
        f
    }

    fn group_keys(findings: Vec<Finding>) -> Vec<(String, Option<String>, String, usize)> {
        let view = ReportView::build(&report(findings, vec![]), ROW_CAP);
        view.duplicate_groups
            .iter()
            .map(|g| {
                (
                    g.namespace.clone(),
                    g.domain.clone(),
                    g.key.clone(),
                    g.holder_count,
                )
            })
            .collect()
    }

    #[test]
    fn duplicate_groups_follow_the_namespace_the_findings_name() {
        // A user rule putting employeeID into the smtp namespace shows one conflict as
        // one group, whatever the attributes; equal values in other namespaces stay apart.
        let smtp = || uniq("smtp", "SMTP address", "jd@contoso.com", None);
        let groups = group_keys(vec![
            dup("CN=A", "employeeID", "JD@contoso.com", smtp()),
            dup("CN=B", "mail", "jd@contoso.com", smtp()),
            dup(
                "CN=C",
                "mailNickname",
                "jd@contoso.com",
                uniq("mailNickname", "mailNickname", "jd@contoso.com", None),
            ),
            dup(
                "CN=D",
                "mailNickname",
                "jd@contoso.com",
                uniq("mailNickname", "mailNickname", "jd@contoso.com", None),
            ),
        ]);
        assert_eq!(
            groups,
            vec![
                ("mailNickname".into(), None, "jd@contoso.com".into(), 2),
                ("SMTP address".into(), None, "jd@contoso.com".into(), 2),
            ]
        );
    }

    #[test]
    fn per_domain_duplicates_group_by_domain() {
        let sam = |d: &str| uniq("sAMAccountName", "sAMAccountName", "jdoe", Some(d));
        let groups = group_keys(vec![
            dup(
                "CN=A,DC=contoso,DC=com",
                "sAMAccountName",
                "jdoe",
                sam("contoso.com"),
            ),
            dup(
                "CN=B,DC=contoso,DC=com",
                "sAMAccountName",
                "JDoe",
                sam("contoso.com"),
            ),
            dup(
                "CN=C,DC=fabrikam,DC=com",
                "sAMAccountName",
                "jdoe",
                sam("fabrikam.com"),
            ),
            dup(
                "CN=D,DC=fabrikam,DC=com",
                "sAMAccountName",
                "jdoe",
                sam("fabrikam.com"),
            ),
        ]);
        assert_eq!(
            groups,
            vec![
                (
                    "sAMAccountName".into(),
                    Some("contoso.com".into()),
                    "jdoe".into(),
                    2
                ),
                (
                    "sAMAccountName".into(),
                    Some("fabrikam.com".into()),
                    "jdoe".into(),
                    2
                ),
            ]
        );
    }

    #[test]
    fn reports_without_namespaces_group_per_attribute() {
        let nick = finding(
            "n",
            Severity::Error,
            Category::Duplicate,
            "CN=A",
            "mailNickname",
            "JDoe",
        );
        let sam = finding(
            "s",
            Severity::Error,
            Category::Duplicate,
            "CN=B",
            "sAMAccountName",
            "jdoe",
        );
        let groups = group_keys(vec![nick, sam]);
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn same_value_twice_on_one_object_keeps_both_holders() {
        let mut a = finding(
            "dup-proxy",
            Severity::Error,
            Category::Duplicate,
            "CN=A",
            "proxyAddresses",
            "smtp:a@contoso.com",
        );
        a.related = vec![crate::report::duplicates::holder_of(&a)];
        let b = a.clone();
        let view = ReportView::build(&report(vec![a, b], vec![]), ROW_CAP);
        assert_eq!(view.duplicate_groups[0].holder_count, 2);
        assert_eq!(view.duplicate_groups[0].object_count, 1);
    }

    #[test]
    fn rows_are_capped_deterministically() {
        let mut findings = Vec::new();
        for i in (0..1005).rev() {
            let mut f = finding(
                "upn-x",
                Severity::Warning,
                Category::Format,
                &format!("CN=U{i:04}"),
                "userPrincipalName",
                "v",
            );
            f.source = src("export.ldf", 100 + i);
            findings.push(f);
        }
        let r = report(findings, vec![]);
        let view = ReportView::build(&r, ROW_CAP);
        let rule = &view.categories[1].rules[0];
        assert_eq!((rule.count, rule.shown, rule.hidden), (1005, 1000, 5));
        assert_eq!(rule.rows[0].dn, "CN=U0000");
        assert_eq!(rule.rows[999].dn, "CN=U0999");
        // The HTML page carries every finding in its JSON block and draws rows on demand.
        let html = render(TemplateKind::Html, &r, None).unwrap();
        assert_eq!(html.matches("CN=U").count(), 1005);
        assert!(html.find(r#""CN=U0000""#) < html.find(r#""CN=U0001""#));
        let md = render(TemplateKind::Markdown, &r, None).unwrap();
        assert!(md.contains("805 more findings"));
        // Same input, same bytes; input order does not matter.
        let mut shuffled = r.clone();
        shuffled.findings.reverse();
        assert_eq!(html, render(TemplateKind::Html, &shuffled, None).unwrap());
    }

    #[test]
    fn markdown_escapes_cells() {
        let mut f = finding(
            "upn-invalid-character",
            Severity::Error,
            Category::Character,
            "CN=a|b,DC=x",
            "userPrincipalName",
            "[click](http://evil) *b* _i_ `c` <img src=x>\nline2",
        );
        f.suggestion = Some("ok|ok".into());
        let md = render(TemplateKind::Markdown, &report(vec![f], vec![]), None).unwrap();
        assert!(md.contains("CN=a\\|b,DC=x"));
        assert!(md.contains(
            "\\[click\\](http:&#47;&#47;evil) \\*b\\* \\_i\\_ \\`c\\` &lt;img src=x&gt;<br>line2"
        ));
        assert!(md.contains("ok\\|ok"));
        assert!(!md.contains("<img"));
        // Each table row stays one line.
        for line in md.lines().filter(|l| l.starts_with('|')) {
            assert!(line.ends_with('|'), "broken row: {line}");
        }
    }

    #[test]
    fn markdown_structure() {
        let md = render(TemplateKind::Markdown, &sample_report(), None).unwrap();
        assert!(md.starts_with("# Directory sync readiness report"));
        assert!(md.contains("## Summary"));
        assert!(md.contains("| Objects in scope | 30 |"));
        assert!(md.contains("90.0 %"));
        assert!(md.contains("## Duplicate groups"));
        assert!(md.contains("smtp:John@Contoso.com"));
        assert!(md.contains("## Input diagnostics"));
        assert!(md.contains("export.ldf:7:2"));
        assert!(md.contains("[documentation](https://learn.microsoft.com/x/upn-invalid-character)"));
        assert!(md.contains(&"ab".repeat(32)));
    }

    #[test]
    fn template_dir_overrides_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("report.html.j2"),
            "<p>{{ summary.objects_in_scope }} {{ categories[0].rules[0].rows[0].dn }}</p>",
        )
        .unwrap();
        let html = render(TemplateKind::Html, &hostile_report(), Some(dir.path())).unwrap();
        assert!(
            html.starts_with("<p>30 CN=&lt;script&gt;alert(1)"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        let md = render(TemplateKind::Markdown, &sample_report(), Some(dir.path())).unwrap();
        assert!(md.starts_with("# Directory sync readiness report"));
    }

    #[test]
    fn template_errors_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.md.j2"), "{{ no_such_field }}").unwrap();
        let err = render(TemplateKind::Markdown, &sample_report(), Some(dir.path())).unwrap_err();
        assert!(matches!(err, RenderError::Template(_)));
        assert!(err.to_string().contains("report.md.j2"));
    }

    #[test]
    fn empty_report_renders() {
        let mut r = report(vec![], vec![]);
        r.summary = Summary::default();
        let html = render(TemplateKind::Html, &r, None).unwrap();
        assert!(html.contains("No findings"));
        let md = render(TemplateKind::Markdown, &r, None).unwrap();
        assert!(md.contains("No findings"));
        assert!(ReportView::build(&r, ROW_CAP)
            .summary
            .ready_percent
            .is_none());
    }

    #[test]
    fn helpers() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(per_mille_str(999, 1000), "99.9");
        assert_eq!(per_mille_str(9999, 10000), "99.9");
        assert_eq!(visible("a\tb\u{202E}c\u{a0}"), "a␉b⟨U+202E⟩c⟨U+00A0⟩");
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(
            safe_url("https://x.test/a b)\"<").as_deref(),
            Some("https://x.test/a%20b%29%22%3C")
        );
        assert_eq!(script_hashes("no scripts"), "'none'");
    }
}
