//! Findings: what the rule engine reports about directory objects, and the whole-run
//! report every renderer is a view of.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The six categories of the Microsoft 365 contract.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Character,
    Format,
    Length,
    Duplicate,
    Blank,
    Domain,
    /// Too many values in one attribute, or a value with too many bytes.
    Size,
    /// Attributes of one object disagree, or a required partner value is missing.
    Consistency,
    /// What the first sync does with the tenant's cloud objects (`--tenant`).
    Match,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Character,
        Category::Format,
        Category::Length,
        Category::Duplicate,
        Category::Blank,
        Category::Domain,
        Category::Size,
        Category::Consistency,
        Category::Match,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Character => "character",
            Category::Format => "format",
            Category::Length => "length",
            Category::Duplicate => "duplicate",
            Category::Blank => "blank",
            Category::Domain => "domain",
            Category::Size => "size",
            Category::Consistency => "consistency",
            Category::Match => "match",
        }
    }
}

/// Where an object was read: a file and the line of its `dn:`, or a server URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceRef {
    /// The input as the user named it (`-` for stdin), or the server URL for a live source.
    pub file: Arc<str>,
    /// Line of the entry's `dn:` (0 for live sources).
    pub line: u64,
}

/// Another holder of a duplicated value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Related {
    /// The holder's DN; empty for a cloud object (see `id`).
    ///
    /// DN, attribute and value are shared (`Arc`): a group of n holders lists each of
    /// them in up to n - 1 findings.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub dn: Arc<str>,
    /// A cloud object of the tenant snapshot: its id and kind (`user`, `group`, `contact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub attribute: Arc<str>,
    pub value: Arc<str>,
    /// The value's exact bytes, base64, when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_base64: Option<String>,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule id, class, attribute and message are shared (`Arc`): a forest on a
    /// non-routable suffix has a finding of one rule on every user, with one message.
    pub rule: Arc<str>,
    pub severity: Severity,
    pub category: Category,
    pub dn: String,
    /// `user` | `inetOrgPerson` | `contact` | `group`
    pub object_class: Arc<str>,
    /// The object's objectGUID, base64 (Entra's immutable id), when the source has it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_guid: Option<String>,
    /// The attribute name as the rule names it.
    pub attribute: Arc<str>,
    /// The offending value (for multi-valued attributes, the one value). Bytes that were
    /// not UTF-8 in the source show as U+FFFD; `value_base64` then holds the exact bytes.
    /// Null when the finding is about a value that is absent (a missing attribute, a
    /// missing primary address).
    pub value: Option<String>,
    /// The value's exact bytes, base64, when they are not UTF-8 (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_base64: Option<String>,
    /// What `value` holds when it is not the attribute's value as text: a count of
    /// values, a size in bytes, or a binary value as base64. Absent for text values.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_kind: Option<ValueKind>,
    /// Proposed replacement, or null where no safe value can be derived.
    pub suggestion: Option<String>,
    /// For a finding about an absent value whose suggestion replaces another value of
    /// the attribute (an `smtp:` address promoted to primary): that value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub replaces: Option<String>,
    /// How many values the attribute holds on the object (fix files `replace:` only an
    /// attribute known to hold exactly one); absent for duplicates and old reports.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attribute_values: Option<u32>,
    /// For duplicates: every other holder of the value (capped, see `related_total`).
    pub related: Vec<Related>,
    /// Number of other holders when `related` was capped; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub related_total: Option<usize>,
    pub message: Arc<str>,
    /// For duplicates: the namespace the value must be unique in, so no renderer has to
    /// know which rules share one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uniqueness: Option<Box<Uniqueness>>,
    pub source: SourceRef,
    /// Line of the attribute value itself, where known (0 when not).
    pub value_line: u64,
    /// Stable identity of the finding across runs and re-sorted exports (see
    /// [`fingerprint`]); never depends on line numbers. Empty only in reports written by
    /// versions that did not have it (readers call [`Report::fill_fingerprints`]).
    #[serde(default)]
    pub fingerprint: String,
    /// Set when a baseline or exceptions file was applied: `new`, `baselined` or `excepted`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub state: Option<FindingState>,
    /// The exception that covers this finding (state `excepted`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exception: Option<Box<ExceptionRef>>,
}

/// What a finding's `value` holds when it is not the attribute's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    /// How many values the attribute holds (or objects a domain holds).
    Count,
    /// The value's size in bytes.
    Bytes,
    /// A binary value, as standard base64 of its bytes.
    Base64,
}

impl Finding {
    /// True when a person can name a new value for this finding: its value is the
    /// attribute's text (or absent, to be filled in), not a count, a size or a binary value.
    pub fn value_is_replaceable(&self) -> bool {
        self.value_kind.is_none()
    }
}

/// The uniqueness namespace of a duplicate finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Uniqueness {
    /// Namespace id as the rules name it (`smtp`, `sAMAccountName`).
    pub namespace: String,
    /// How reports name it (`SMTP address`).
    pub label: String,
    /// The compared form of the value: lowercased, without a skipped type prefix.
    pub key: String,
    /// For namespaces compared per domain: the domain of the holders (`contoso.com`;
    /// empty for DNs without `DC=` components).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub domain: Option<String>,
}

/// What a baseline or exceptions file says about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingState {
    /// Not in the baseline and not excepted: counts for the exit code.
    New,
    /// In the baseline (or, for `dirready diff`, in the older report): unchanged.
    Baselined,
    /// Covered by an exception: shown with its reason, never counted.
    Excepted,
}

impl FindingState {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingState::New => "new",
            FindingState::Baselined => "baselined",
            FindingState::Excepted => "excepted",
        }
    }
}

/// The exception entry covering a finding, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRef {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires: Option<String>,
    /// `file:line` of the entry in the exceptions file.
    pub location: String,
}

/// The stable fingerprint of a finding: sha256 over the rule id, the object's identity
/// (objectGUID when present, else the normalised DN), the attribute name and the
/// lowercased value, as 32 hex digits. Line numbers and message text never enter it, so
/// a re-sorted or re-exported snapshot keeps every fingerprint.
pub fn fingerprint(
    rule: &str,
    object_guid: Option<&str>,
    dn: &str,
    attribute: &str,
    value: &str,
) -> String {
    use sha2::{Digest, Sha256};
    // The parts, each followed by a zero byte, fed to the hash piece by piece (the same
    // bytes as one joined text, without building it).
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0u8]);
    match object_guid {
        Some(g) if !g.is_empty() => {
            h.update(b"guid:");
            h.update(g.as_bytes());
        }
        _ => {
            h.update(b"dn:");
            h.update(crate::dn::normalize(dn).as_bytes());
        }
    }
    h.update([0u8]);
    h.update(attribute.to_ascii_lowercase().as_bytes());
    h.update([0u8]);
    h.update(value.to_lowercase().as_bytes());
    h.update([0u8]);
    crate::text::hex(&h.finalize()[..16])
}

impl Finding {
    /// This finding's [`fingerprint`].
    /// The value, or "" when the finding is about an absent value.
    pub fn value_str(&self) -> &str {
        self.value.as_deref().unwrap_or("")
    }

    pub fn compute_fingerprint(&self) -> String {
        fingerprint(
            &self.rule,
            self.object_guid.as_deref(),
            &self.dn,
            &self.attribute,
            self.value_str(),
        )
    }

    /// True when the finding counts for the exit code: not baselined, not excepted.
    pub fn is_new(&self) -> bool {
        matches!(self.state, None | Some(FindingState::New))
    }
}

/// One input of the run, for provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// As the user named it (`-` for stdin).
    pub path: String,
    /// sha256 of the bytes as read (before gzip decompression); for a live source, of the
    /// LDIF stream it was turned into (= the `--snapshot` file); null for an input that
    /// failed, or for a file written to while it was read (a warning says so).
    pub sha256: Option<String>,
    pub bytes: u64,
    /// Content and `changetype: add` records read as objects.
    pub entries: u64,
    /// modify / delete / modrdn records: counted, never checked.
    pub change_records: u64,
    /// For a live source scanned with `--snapshot`: the LDIF file its lines refer to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snapshot: Option<String>,
}

/// A rule as listed in a report (the catalog of what was checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSummary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub attribute: String,
    pub docs: String,
    pub fix: String,
    /// Findings this rule produced in this run.
    pub findings: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub inputs: Vec<InputSummary>,
    /// Every object record read (content and add records).
    pub objects_read: u64,
    /// Objects the rules were applied to.
    pub objects_in_scope: u64,
    /// Objects left out of scope, by reason (`computer`, `critical-system-object`, ...).
    pub skipped: BTreeMap<String, u64>,
    /// Objects with at least one finding of severity error.
    pub objects_with_errors: u64,
    /// Objects with at least one finding of any severity.
    pub objects_with_findings: u64,
    pub findings_total: u64,
    pub findings_by_severity: BTreeMap<String, u64>,
    pub findings_by_category: BTreeMap<String, u64>,
    pub findings_by_rule: BTreeMap<String, u64>,
    /// modify / delete / modrdn records seen, by change type (never checked).
    pub change_records: BTreeMap<String, u64>,
    /// Input diagnostics by level (those listed and those only counted).
    pub diagnostics: BTreeMap<String, u64>,
    /// Diagnostics counted but not listed: past the first `--max-diagnostics` of an input
    /// (a warning on the input says how many).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub diagnostics_not_listed: u64,
    /// Accepted domains the run was configured with.
    pub accepted_domains: Vec<String>,
    /// Domains accepted without being configured (`onmicrosoft.com` and its subdomains);
    /// listed only when accepted domains are configured, since only then they matter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implicit_accepted_domains: Vec<String>,
    /// The sync scope the run was given (`--include-ou`, `--exclude-ou`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_ous: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_ous: Vec<String>,
    /// The sync engine the run prepared for: `connect-sync` or `cloud-sync`.
    #[serde(default = "default_target")]
    pub target: String,
    /// The rules whose limits depend on the target that this run checked.
    #[serde(default)]
    pub target_limits: Vec<String>,
    /// The predictions against a tenant snapshot (`--tenant`), when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantSummary>,
    /// True when some input could not be read completely (records skipped on errors).
    pub incomplete: bool,
    /// Records not checked because they were past a size limit (each has an error
    /// diagnostic naming it and the flag that raises the limit).
    #[serde(default)]
    pub entries_not_checked: u64,
}

/// What the first sync will do, in numbers (tenant-match.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TenantSummary {
    /// The snapshot files read.
    pub files: Vec<String>,
    pub cloud_users: u64,
    pub cloud_groups: u64,
    pub cloud_contacts: u64,
    pub hard_matches: u64,
    pub soft_matches: u64,
    /// Groups and contacts already synchronized (an audit rerun after the first sync).
    pub already_synced: u64,
    /// Soft matches Entra refuses (InvalidSoftMatch).
    pub conflicts: u64,
    /// Objects two cloud objects could match.
    pub ambiguous: u64,
    /// On-premises values a cloud object already holds (AttributeValueMustBeUnique).
    pub collisions: u64,
    /// Cloud-only users no object will match: they stay cloud-only.
    pub cloud_only_users_unmatched: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn default_target() -> String {
    "connect-sync".into()
}

impl Summary {
    /// Adds one finding to the per-severity, per-category and per-rule counts.
    pub fn count(&mut self, f: &Finding) {
        // A key is copied only the first time it is counted.
        fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
            match counts.get_mut(key) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(key.to_string(), 1);
                }
            }
        }
        bump(&mut self.findings_by_severity, f.severity.as_str());
        bump(&mut self.findings_by_category, f.category.as_str());
        bump(&mut self.findings_by_rule, &f.rule);
    }
}

/// The whole result of a run: every output format renders this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub tool: ToolInfo,
    /// When the scan started, RFC 3339 UTC (`SOURCE_DATE_EPOCH` when set); absent in
    /// reports of older versions (`dirready trend` then uses the file's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub diagnostics: Vec<crate::model::Diagnostic>,
    pub rules: Vec<RuleSummary>,
    /// What decided the exit code (set by the command line).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gate: Option<Gate>,
    /// `--select` / `--ignore`: the rules whose findings are not shown, and how many.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub selection: Option<SelectionSummary>,
    /// `--baseline` (or `dirready diff`): new, unchanged and fixed findings.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub baseline: Option<BaselineSummary>,
    /// `--exceptions`: every entry of the file, and what it matched.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exceptions: Option<ExceptionsSummary>,
    /// `--redact`: names and address local parts are pseudonyms (`report::redact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<RedactionInfo>,
}

/// How a redacted report was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionInfo {
    pub pseudonyms: PseudonymKey,
    /// The report fields whose personal data were replaced.
    pub fields: Vec<String>,
}

/// Whose key the pseudonyms were made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PseudonymKey {
    /// `DIRREADY_REDACT_KEY`: the same pseudonyms in every run with that key.
    Keyed,
    /// A random key: pseudonyms are stable within this report only.
    PerRun,
}

impl Report {
    /// Computes the fingerprints missing from findings (reports of older versions).
    pub fn fill_fingerprints(&mut self) {
        for f in &mut self.findings {
            if f.fingerprint.is_empty() {
                f.fingerprint = f.compute_fingerprint();
            }
        }
    }
}

/// The exit code's inputs and result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// Findings of this severity or higher fail the run.
    pub fail_on: Severity,
    pub exit_zero: bool,
    /// Shown findings that are neither baselined nor excepted, at or above `fail_on`.
    pub failing: u64,
    /// Shown findings by state (`new`, `baselined`, `excepted`).
    pub by_state: BTreeMap<String, u64>,
    pub exit_code: u8,
}

/// Display filter: which rules were shown. Hidden findings still exist: the `summary`
/// counts them (the readiness numbers never depend on a display filter); they are left
/// out of `findings` and of the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionSummary {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Rules not shown (whether or not they had findings).
    pub hidden_rules: Vec<String>,
    pub hidden_total: u64,
    pub hidden_by_rule: BTreeMap<String, u64>,
}

/// New / unchanged / fixed counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    pub new: u64,
    pub unchanged: u64,
    pub fixed: u64,
}

/// A baseline entry no current finding matches: fixed since the baseline was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub dn: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_guid: Option<String>,
    #[serde(default)]
    pub attribute: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// The baseline file (or, for `dirready diff`, the older report).
    pub path: String,
    /// Totals over the shown findings (`fixed`: baseline entries no finding matches).
    pub counts: ChangeCounts,
    pub by_rule: BTreeMap<String, ChangeCounts>,
    pub by_category: BTreeMap<String, ChangeCounts>,
    /// The fixed entries, by rule then DN.
    pub fixed: Vec<BaselineEntry>,
}

/// One entry of an exceptions file and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionStatus {
    pub rule: String,
    /// `dn=<glob>`, `guid=<base64>` or `value=<value>` (several joined by `, `).
    pub matcher: String,
    pub reason: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
    /// `file:line` of the entry.
    pub location: String,
    /// Past its `expires` date: it no longer applies.
    pub expired: bool,
    /// Findings it covers (0 for an expired entry).
    pub matched: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionsSummary {
    pub path: String,
    pub entries: Vec<ExceptionStatus>,
    /// Findings covered by an exception.
    pub excepted: u64,
    /// Entries past their date, and entries that matched nothing (each also a warning
    /// diagnostic).
    pub expired: u64,
    pub unmatched: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// Helpers for the unit tests of the stages after the engine.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Finding, Report};

    /// A report with an empty summary holding `findings`.
    pub(crate) fn report(findings: Vec<Finding>) -> Report {
        let mut r: Report = serde_json::from_str(
            r#"{"tool":{"name":"dirready","version":"0"},"findings":[],"summary":{
              "inputs":[],"objects_read":0,"objects_in_scope":0,"objects_with_errors":0,
              "objects_with_findings":0,"skipped":{},"findings_total":0,"findings_by_severity":{},
              "findings_by_category":{},"findings_by_rule":{},"change_records":{},"diagnostics":{},
              "accepted_domains":[],"incomplete":false},"diagnostics":[],"rules":[]}"#,
        )
        .unwrap();
        r.findings = findings;
        r
    }

    /// An error finding of `rule` on `dn`: userPrincipalName `{dn}@contoso.com` on line 2
    /// of the entry at `x.ldif:1`, with its fingerprint.
    pub(crate) fn finding(rule: &str, dn: &str) -> Finding {
        let mut f = Finding {
            rule: rule.into(),
            severity: super::Severity::Error,
            category: super::Category::Character,
            dn: dn.into(),
            object_class: "user".into(),
            object_guid: None,
            attribute: "userPrincipalName".into(),
            value: Some(format!("{dn}@contoso.com")),
            value_base64: None,
            value_kind: None,
            suggestion: None,
            replaces: None,
            attribute_values: None,
            related: vec![],
            related_total: None,
            message: "m".into(),
            uniqueness: None,
            source: super::SourceRef {
                file: "x.ldif".into(),
                line: 1,
            },
            value_line: 2,
            fingerprint: String::new(),
            state: None,
            exception: None,
        };
        f.fingerprint = f.compute_fingerprint();
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_lines_and_case_but_not_identity() {
        let a = fingerprint("upn-format", None, "CN=A,DC=x", "userPrincipalName", "A@X");
        assert_eq!(a.len(), 32);
        assert_eq!(
            a,
            fingerprint("upn-format", None, "cn=a, dc=x", "userprincipalname", "a@x")
        );
        assert_ne!(
            a,
            fingerprint("upn-format", None, "CN=B,DC=x", "userPrincipalName", "A@X")
        );
        assert_ne!(
            a,
            fingerprint("mail-format", None, "CN=A,DC=x", "userPrincipalName", "A@X")
        );
        // With an objectGUID the DN does not matter (renames and moves keep it).
        let g1 = fingerprint("upn-format", Some("AAEC"), "CN=A,DC=x", "upn", "v");
        let g2 = fingerprint("upn-format", Some("AAEC"), "CN=Moved,OU=y,DC=x", "upn", "v");
        assert_eq!(g1, g2);
        assert_ne!(g1, fingerprint("upn-format", None, "CN=A,DC=x", "upn", "v"));
    }
}
