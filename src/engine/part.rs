//! What one block leaves behind once its entries are dropped: the in-scope objects (DN
//! and objectGUID in an arena), the values held for the uniqueness index, the findings
//! waiting for the end of the run, counters and diagnostics.

use super::index::{Holder, IndexKey};
use crate::findings::Finding;
use crate::model::Diagnostic;
use crate::rules::ObjectClass;
use std::collections::BTreeMap;

/// Counters one block contributes to the summary.
#[derive(Default, Debug)]
pub(crate) struct Counts {
    pub objects_read: u64,
    pub in_scope: u64,
    pub skipped: BTreeMap<String, u64>,
    pub change: BTreeMap<&'static str, u64>,
}

/// An in-scope object, kept for reporting duplicates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ObjInfo {
    pub dn_off: u32,
    pub dn_len: u32,
    pub line: u64,
    pub class: ObjectClass,
    /// objectGUID as base64 (the text of an `objectGUID::` line), in the arena; len 0 when absent.
    pub guid_off: u32,
    pub guid_len: u32,
}

/// A finding before the end of the run: its suggestion still has to prove unique.
#[derive(Debug)]
pub(crate) struct Pending {
    pub finding: Finding,
    pub obj: u32,
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Identifies the attribute value within the part (findings on one value share a suggestion).
    pub value_id: u32,
    /// (namespace, normalised key) the suggestion must be unique in.
    pub suggestion_keys: Vec<IndexKey>,
}

/// What one block leaves behind once its entries are dropped.
#[derive(Default)]
pub(crate) struct Part {
    /// The input's name as the user gave it.
    pub file: String,
    pub block: usize,
    pub pending: Vec<Pending>,
    pub objects: Vec<ObjInfo>,
    pub arena: String,
    pub holders: Vec<Holder>,
    pub counts: Counts,
    pub diags: Vec<Diagnostic>,
    /// In-scope objects per (rule, domain) for `domain_objects` rules.
    pub domain_counts: BTreeMap<(usize, String), DomainCount>,
    /// Values counted for `value_count` rules, settled after the stream (values that
    /// later modify records add to an object count too).
    pub counted: Vec<Counted>,
    /// `add:` modify records that did not directly follow their entry: their values join
    /// the entry's after the stream.
    pub late: Vec<LateRecord>,
}

/// An object's count of values for one `value_count` rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted {
    pub obj: u32,
    pub rule: u16,
    pub count: u32,
    /// Line of the first value counted.
    pub line: u64,
}

/// A modify record adding values to an entry read earlier in the same input.
#[derive(Debug, Clone)]
pub(crate) struct LateRecord {
    pub dn: String,
    pub line: u64,
    /// (slot, line, value as the checks see it) of the values rules read.
    pub values: Vec<(usize, u64, String)>,
}

/// The in-scope objects one block saw in one domain, for a `domain_objects` rule.
#[derive(Debug, Clone)]
pub(crate) struct DomainCount {
    /// The domain's DN as the first object spelt it (`DC=corp,DC=example`).
    pub dn: String,
    pub count: u64,
    /// The first object seen, which orders the finding.
    pub obj: u32,
    pub line: u64,
}

/// A part's arena, objects and findings are indexed with `u32`: a block holds at most
/// `MAX_RECORD` plus one block size of input, far below 4 GiB, so these never fail in
/// practice; if one did, the entry is reported as not checked rather than mis-indexed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartFull;

/// `n` as a part-local index.
pub(crate) fn part_index(n: usize) -> Result<u32, PartFull> {
    u32::try_from(n).map_err(|_| PartFull)
}

/// Who reports a finding: the rule's id, severity and category, and the attribute.
pub(crate) struct Reporter<'a> {
    pub rule: &'a str,
    pub severity: crate::findings::Severity,
    pub category: crate::findings::Category,
    pub attribute: &'a str,
}

impl<'a> Reporter<'a> {
    pub fn of(rule: &'a crate::rules::Rule) -> Self {
        Reporter {
            rule: &rule.def.id,
            severity: rule.def.severity,
            category: rule.def.category,
            attribute: &rule.def.attribute,
        }
    }
}

impl Part {
    /// A finding on object `obj` of this part: its DN, class, objectGUID and place in the
    /// input filled in from the part, the rule's identity from `by`, and nothing found
    /// yet (no value, no message): the caller fills in what the check found.
    pub(crate) fn finding_on(&self, obj: u32, by: Reporter<'_>) -> Finding {
        let o = self.objects.get(obj as usize);
        Finding {
            rule: by.rule.to_string(),
            severity: by.severity,
            category: by.category,
            dn: o.map_or("", |o| self.text(o.dn_off, o.dn_len)).to_string(),
            object_class: o.map_or("", |o| o.class.as_str()).to_string(),
            object_guid: o
                .filter(|o| o.guid_len > 0)
                .map(|o| self.text(o.guid_off, o.guid_len).to_string()),
            attribute: by.attribute.to_string(),
            value: None,
            value_base64: None,
            value_kind: None,
            suggestion: None,
            replaces: None,
            attribute_values: None,
            related: Vec::new(),
            related_total: None,
            message: String::new(),
            uniqueness: None,
            source: crate::findings::SourceRef {
                file: self.file.clone(),
                line: o.map_or(0, |o| o.line),
            },
            value_line: 0,
            fingerprint: String::new(),
            state: None,
            exception: None,
        }
    }

    pub fn text(&self, off: u32, len: u32) -> &str {
        let start = off as usize;
        self.arena.get(start..start + len as usize).unwrap_or("")
    }
    pub(crate) fn push_text(&mut self, s: &str) -> Result<(u32, u32), PartFull> {
        let off = part_index(self.arena.len())?;
        let len = part_index(s.len())?;
        part_index(self.arena.len() + s.len())?;
        self.arena.push_str(s);
        Ok((off, len))
    }
}
