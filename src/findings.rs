//! Findings: what the rule engine reports about directory objects, and the whole-run
//! report every renderer is a view of.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Character,
    Format,
    Length,
    Duplicate,
    Blank,
    Domain,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Character,
        Category::Format,
        Category::Length,
        Category::Duplicate,
        Category::Blank,
        Category::Domain,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Character => "character",
            Category::Format => "format",
            Category::Length => "length",
            Category::Duplicate => "duplicate",
            Category::Blank => "blank",
            Category::Domain => "domain",
        }
    }
}

/// Where an object was read: a file and the line of its `dn:`, or a server URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceRef {
    /// The input as the user named it (`-` for stdin), or the server URL for a live source.
    pub file: String,
    /// Line of the entry's `dn:` (0 for live sources).
    pub line: u64,
}

/// Another holder of a duplicated value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Related {
    pub dn: String,
    pub attribute: String,
    pub value: String,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub category: Category,
    pub dn: String,
    /// `user` | `inetOrgPerson` | `contact` | `group`
    pub object_class: String,
    /// The object's objectGUID, base64 (Entra's immutable id), when the source has it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_guid: Option<String>,
    /// The attribute name as the rule names it.
    pub attribute: String,
    /// The offending value (for multi-valued attributes, the one value).
    pub value: String,
    /// Proposed replacement, or null where no safe value can be derived.
    pub suggestion: Option<String>,
    /// For duplicates: every other holder of the value (capped, see `related_total`).
    pub related: Vec<Related>,
    /// Number of other holders when `related` was capped; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub related_total: Option<usize>,
    pub message: String,
    pub source: SourceRef,
    /// Line of the attribute value itself, where known (0 when not).
    pub value_line: u64,
}

/// One input of the run, for provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// As the user named it (`-` for stdin).
    pub path: String,
    /// sha256 of the bytes as read (before gzip decompression); for a live source, of the
    /// LDIF stream it was turned into (= the `--snapshot` file); null for an input that failed.
    pub sha256: Option<String>,
    pub bytes: u64,
    /// Content and `changetype: add` records read as objects.
    pub entries: u64,
    /// modify / delete / modrdn records: counted, never checked.
    pub change_records: u64,
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
    /// Input diagnostics by level.
    pub diagnostics: BTreeMap<String, u64>,
    /// Accepted domains the run was configured with.
    pub accepted_domains: Vec<String>,
    /// True when some input could not be read completely (records skipped on errors).
    pub incomplete: bool,
}

/// The whole result of a run: every output format renders this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub tool: ToolInfo,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub diagnostics: Vec<crate::model::Diagnostic>,
    pub rules: Vec<RuleSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}
