//! The rule engine: record-aligned blocks are parsed and checked in parallel (rayon)
//! while the reader streams; each entry is dropped once checked. Only the uniqueness
//! index (values and the DNs of their holders) outlives the stream; duplicates and the
//! uniqueness of suggestions are resolved after it ends.

pub mod index;
mod resolve;

use crate::checks::{self, Check, CheckContext};
use crate::findings::{
    Finding, InputSummary, Report, RuleSummary, Severity, SourceRef, Summary, ToolInfo,
};
use crate::model::{Diagnostic, DiagnosticLevel, Entry, ValueEncoding};
use crate::rules::{
    domain_may_move, AttrValues, FixKind, ObjectClass, RuleSet, UniquePer, ValueFilter, Verdict,
};
use crate::source::input::Block;
use crate::source::ldif::LdifParser;
pub use crate::source::{Input, InputError};
use index::Holder;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::mpsc::sync_channel;

/// How a scan runs.
#[derive(Clone)]
pub struct ScanOptions {
    /// Tenant domains; with them, `domain` rules also flag unaccepted domains and can suggest.
    pub accepted_domains: Vec<String>,
    /// Size of the record-aligned blocks handed to the workers.
    pub block_size: usize,
    /// Called with the number of input bytes consumed, for progress display.
    pub progress: Option<std::sync::Arc<dyn Fn(u64) + Send + Sync>>,
    /// An input that fails (a live source that cannot be reached, say) becomes an error
    /// diagnostic, which marks the report incomplete, and the other inputs are scanned.
    /// Without it the first failing input ends the scan with an [`InputError`].
    pub keep_going: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            accepted_domains: Vec::new(),
            block_size: 2 << 20,
            progress: None,
            keep_going: false,
        }
    }
}

/// Scans the inputs as one tenant and returns the report.
pub fn scan(inputs: Vec<Input>, rules: &RuleSet, opts: &ScanOptions) -> Result<Report, InputError> {
    let engine = Engine::new(rules, opts);
    let mut parts: Vec<Part> = Vec::new();
    let mut input_summaries = Vec::new();
    let mut diagnostics = Vec::new();
    for input in inputs {
        let name = input.name.clone();
        match engine.scan_input(input) {
            Ok((mut input_parts, summary, diags)) => {
                parts.append(&mut input_parts);
                input_summaries.push(summary);
                diagnostics.extend(diags);
            }
            Err(e) if opts.keep_going => {
                // Nothing of a failed input is reported: its findings would be partial.
                input_summaries.push(InputSummary {
                    path: name.clone(),
                    sha256: None,
                    bytes: 0,
                    entries: 0,
                    change_records: 0,
                    snapshot: None,
                });
                diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: name,
                    line: 0,
                    column: 0,
                    message: format!("not scanned: {}", e.message),
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(engine.finish(parts, input_summaries, diagnostics))
}

/// Per-rule data prepared once per run.
pub(crate) struct Engine<'r> {
    pub(crate) rules: &'r RuleSet,
    pub(crate) accepted: Vec<String>,
    /// Namespace id of each rule (unique rules only).
    pub(crate) rule_ns: Vec<Option<u16>>,
    /// Attribute name -> slot, for the rules' attributes, objectClass and the scope's.
    index: AttrIndex,
    opts: ScanOptions,
}

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

/// What one rule found wrong with one decoded value of an entry.
struct Hit {
    /// Index of the rule in the rule set.
    rule: usize,
    /// Index of the value in the entry's decoded values.
    value: usize,
    detail: String,
}

/// A finding about to be recorded for an entry.
struct NewFinding<'a> {
    obj: u32,
    rule: usize,
    /// Line of the value (0 for a missing attribute).
    value_line: u64,
    value: &'a str,
    detail: &'a str,
    /// Findings on one value share it (and their suggestion's fate).
    value_id: u32,
    suggestion: Option<String>,
    suggestion_keys: Vec<(u16, String)>,
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
    pub suggestion_keys: Vec<(u16, String)>,
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

impl Part {
    pub fn text(&self, off: u32, len: u32) -> &str {
        let start = off as usize;
        self.arena.get(start..start + len as usize).unwrap_or("")
    }
    fn push_text(&mut self, s: &str) -> Result<(u32, u32), PartFull> {
        let off = part_index(self.arena.len())?;
        let len = part_index(s.len())?;
        part_index(self.arena.len() + s.len())?;
        self.arena.push_str(s);
        Ok((off, len))
    }
}

/// Maps attribute names to slots without allocating: candidates are bucketed by
/// name length and compared ASCII case-insensitively.
struct AttrIndex {
    /// Buckets by (name length, first letter), each holding (last byte, the name as
    /// the rules spell it, slot): most attribute lines of an export hit an empty bucket,
    /// and most matches are spelt exactly as the rules spell them (a plain memcmp).
    buckets: Vec<Vec<(u8, String, usize)>>,
    /// Number of slots: the rules' attributes first (a rule's `slot` is its index), then
    /// objectClass, objectGUID and the scope's attributes. There is no fixed limit.
    slots: usize,
    object_class: usize,
    /// objectGUID is looked up but never decoded as text.
    object_guid: usize,
}

impl AttrIndex {
    #[inline]
    fn bucket(len: usize, first: u8) -> usize {
        ((len & 31) << 5) | (first.to_ascii_lowercase() as usize & 31)
    }

    fn new(rules: &RuleSet) -> AttrIndex {
        // The rules' attributes come first, so a rule's `slot` is its attribute's slot.
        let names = rules.read_attributes();
        let slot_of = |name: &str| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
                .unwrap_or(names.len())
        };
        let object_class = slot_of("objectClass");
        let object_guid = slot_of("objectGUID");
        let mut buckets: Vec<Vec<(u8, String, usize)>> = vec![Vec::new(); 1024];
        for (slot, n) in names.iter().enumerate() {
            let b = n.as_bytes();
            if let (Some(&first), Some(&last)) = (b.first(), b.last()) {
                buckets[Self::bucket(b.len(), first)].push((
                    last.to_ascii_lowercase(),
                    n.clone(),
                    slot,
                ));
            }
        }
        AttrIndex {
            buckets,
            slots: names.len(),
            object_class,
            object_guid,
        }
    }

    #[inline]
    fn lookup(&self, name: &str) -> Option<usize> {
        let b = name.as_bytes();
        let bucket = &self.buckets[Self::bucket(b.len(), *b.first()?)];
        if bucket.is_empty() {
            return None;
        }
        let last = b[b.len() - 1].to_ascii_lowercase();
        bucket
            .iter()
            .find(|(l, n, _)| {
                *l == last && (n.as_bytes() == b || n.as_bytes().eq_ignore_ascii_case(b))
            })
            .map(|x| x.2)
    }
}

/// One value of an entry that a rule or the scope reads, decoded to text.
struct DecodedValue<'e> {
    /// Attribute slot (see [`AttrIndex`]).
    slot: usize,
    /// Index of the attribute line in `Entry::attrs`.
    attr: usize,
    /// The value; bytes that are not UTF-8 are kept escaped (see [`crate::text`]).
    text: Cow<'e, str>,
}

/// Allocations carried from one entry to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    vals: Vec<DecodedValue<'static>>,
    ranges: Vec<(usize, usize)>,
}

/// An emptied vector with another lifetime parameter, keeping its allocation (the
/// in-place `collect` of an empty `into_iter` reuses the buffer).
fn reuse<'a, 'b>(mut v: Vec<DecodedValue<'a>>) -> Vec<DecodedValue<'b>> {
    v.clear();
    // Nothing is mapped (the vector is empty); the collect only changes the lifetime.
    #[allow(clippy::unnecessary_filter_map)]
    v.into_iter()
        .filter_map(|_| None::<DecodedValue<'b>>)
        .collect()
}

/// The decoded values of one entry that rules or the scope read, grouped by slot.
struct Decoded<'a, 'e> {
    index: &'a AttrIndex,
    /// Sorted by slot (then attribute line) after `group`.
    vals: Vec<DecodedValue<'e>>,
    /// Range of `vals` per slot, one entry per slot of the index.
    ranges: Vec<(usize, usize)>,
}

impl Decoded<'_, '_> {
    fn group(&mut self) {
        self.vals.sort_by_key(|v| (v.slot, v.attr));
        self.ranges.clear();
        self.ranges.resize(self.index.slots, (0, 0));
        let mut i = 0;
        while i < self.vals.len() {
            let slot = self.vals[i].slot;
            let mut j = i;
            while j < self.vals.len() && self.vals[j].slot == slot {
                j += 1;
            }
            if let Some(r) = self.ranges.get_mut(slot) {
                *r = (i, j);
            }
            i = j;
        }
    }

    fn range(&self, slot: usize) -> std::ops::Range<usize> {
        let (a, b) = self.ranges.get(slot).copied().unwrap_or((0, 0));
        a..b
    }

    fn slot(&self, slot: usize) -> &[DecodedValue<'_>] {
        &self.vals[self.range(slot)]
    }
}

impl AttrValues for Decoded<'_, '_> {
    fn any_value(&self, attr: &str, f: &mut dyn FnMut(&str) -> bool) -> bool {
        match self.index.lookup(attr) {
            Some(slot) => self.slot(slot).iter().any(|v| f(&v.text)),
            None => false,
        }
    }
}

impl<'r> Engine<'r> {
    pub(crate) fn new(rules: &'r RuleSet, opts: &ScanOptions) -> Engine<'r> {
        // A namespace's id is the index of the first rule naming it (the loader keeps
        // rule indexes within u16).
        let mut namespaces: Vec<(&str, u16)> = Vec::new();
        let rule_ns = (0..=u16::MAX)
            .zip(&rules.rules)
            .map(|(ri, r)| match &r.check {
                Check::Unique { namespace, .. } => {
                    Some(match namespaces.iter().find(|(n, _)| n == namespace) {
                        Some(&(_, id)) => id,
                        None => {
                            namespaces.push((namespace, ri));
                            ri
                        }
                    })
                }
                _ => None,
            })
            .collect();
        Engine {
            rules,
            accepted: opts
                .accepted_domains
                .iter()
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .collect(),
            rule_ns,
            index: AttrIndex::new(rules),
            opts: opts.clone(),
        }
    }

    fn ctx(&self) -> CheckContext<'_> {
        CheckContext {
            accepted_domains: &self.accepted,
        }
    }

    /// For a `unique` rule compared per domain, the domain of the object's DN (its key
    /// prefix in the index); `None` for run-wide namespaces.
    pub(crate) fn unique_domain(&self, rule: usize, dn: &str) -> Option<String> {
        match &self.rules.rules[rule].check {
            Check::Unique {
                per: UniquePer::Domain,
                ..
            } => Some(crate::dn::domain(dn)),
            _ => None,
        }
    }

    /// Streams one input: a reader thread cuts record-aligned blocks, the rayon pool
    /// parses and checks them; a bounded channel keeps memory flat.
    fn scan_input(
        &self,
        input: Input,
    ) -> Result<(Vec<Part>, InputSummary, Vec<Diagnostic>), InputError> {
        let name = input.name.clone();
        let mut reader = input.reader;
        let (tx, rx) = sync_channel::<Block>(2 * rayon::current_num_threads().max(1));
        let (recycle_tx, recycle_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let progress = self.opts.progress.clone();
        let reader_thread = std::thread::spawn(move || {
            let mut diags = Vec::new();
            let result = loop {
                while let Ok(buf) = recycle_rx.try_recv() {
                    reader.recycle(buf);
                }
                match reader.next_block(&mut diags) {
                    Ok(Some(block)) => {
                        if let Some(p) = &progress {
                            p(block.data.len() as u64);
                        }
                        if tx.send(block).is_err() {
                            break Ok(());
                        }
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            (reader, diags, result)
        });
        let mut parts: Vec<Part> = rx
            .into_iter()
            .par_bridge()
            .map_with(recycle_tx, |recycle, block| {
                let (part, buf) = self.check_block(&name, block);
                let _ = recycle.send(buf);
                part
            })
            .collect();
        let (reader, diags, result) = reader_thread.join().map_err(|_| InputError {
            input: name.clone(),
            message: "the reader thread failed".into(),
        })?;
        result.map_err(|e| InputError {
            input: name.clone(),
            message: match e
                .get_ref()
                .and_then(|x| x.downcast_ref::<crate::source::ldap::LiveError>())
            {
                // A live source's own one-line message (it names what failed).
                Some(live) => live.0.clone(),
                None => format!("read error: {e}"),
            },
        })?;
        parts.sort_by_key(|p| p.block);
        let entries = parts.iter().map(|p| p.counts.objects_read).sum();
        let change_records = parts
            .iter()
            .map(|p| p.counts.change.values().sum::<u64>())
            .sum();
        let summary = InputSummary {
            path: name,
            sha256: Some(reader.sha256_hex()),
            bytes: reader.bytes_read(),
            entries,
            change_records,
            snapshot: None,
        };
        Ok((parts, summary, diags))
    }

    /// Parses and checks one block; returns what it leaves behind and the block's buffer.
    fn check_block(&self, name: &str, block: Block) -> (Part, Vec<u8>) {
        let mut part = Part {
            file: name.to_string(),
            block: block.index,
            ..Default::default()
        };
        let mut parser = LdifParser::new(name, &block.data, block.first_line, block.at_start);
        let mut diags = Vec::new();
        let mut scratch = Scratch::default();
        while let Some(entry) = parser.next_entry(&mut diags) {
            scratch = self.check_entry(&entry, name, &mut part, scratch);
            parser.recycle(entry.attrs);
        }
        part.diags.append(&mut diags);
        // What a block leaves behind lives until the end of the run: no growth slack.
        part.arena.shrink_to_fit();
        part.holders.shrink_to_fit();
        part.objects.shrink_to_fit();
        part.pending.shrink_to_fit();
        (part, block.data)
    }

    /// Decodes an attribute value to text; `None` (with a diagnostic) for bad base64
    /// and for URL references, which are never fetched.
    fn decode<'e>(entry: &'e Entry, i: usize, name: &str, part: &mut Part) -> Option<Cow<'e, str>> {
        let attr = &entry.attrs[i];
        let text = match attr.encoding {
            ValueEncoding::Url => return None,
            ValueEncoding::Plain => match &attr.raw {
                Cow::Borrowed(b) => crate::text::decode(b),
                Cow::Owned(b) => Cow::Owned(crate::text::decode(b).into_owned()),
            },
            ValueEncoding::Base64 => match attr.decoded() {
                Ok(bytes) => Cow::Owned(crate::text::decode(&bytes).into_owned()),
                Err(e) => {
                    part.diags.push(Diagnostic {
                        level: DiagnosticLevel::Error,
                        file: name.to_string(),
                        line: attr.line,
                        column: 0,
                        message: format!(
                            "invalid base64 in the value of {} ({e}); the value was not checked",
                            attr.name
                        ),
                    });
                    return None;
                }
            },
        };
        if crate::text::has_raw_bytes(&text) {
            part.diags.push(Diagnostic {
                level: DiagnosticLevel::Warning,
                file: name.to_string(),
                line: attr.line,
                column: 0,
                message: format!(
                    "the value of {} is not valid UTF-8 (a Latin-1 or other legacy export?): it is \
                     checked with the invalid bytes shown as U+FFFD, gets no suggestion, and \
                     machine-readable reports carry its exact bytes as base64 (value_base64)",
                    attr.name
                ),
            });
        }
        Some(text)
    }

    /// Checks one entry. `scratch` carries the allocation of the decoded-values vector
    /// from one entry to the next (a fresh one per entry costs a malloc/free pair).
    pub(crate) fn check_entry(
        &self,
        entry: &Entry,
        name: &str,
        part: &mut Part,
        scratch: Scratch,
    ) -> Scratch {
        let mut view = Decoded {
            index: &self.index,
            vals: reuse(scratch.vals),
            ranges: scratch.ranges,
        };
        if self.check_decoded(entry, name, part, &mut view).is_err() {
            part.diags.push(Diagnostic {
                level: DiagnosticLevel::Error,
                file: name.to_string(),
                line: entry.line,
                column: 0,
                message: format!(
                    "`{}` was not checked: the block holding it outgrew the engine's 4 GiB index",
                    entry.dn
                ),
            });
        }
        Scratch {
            vals: reuse(view.vals),
            ranges: view.ranges,
        }
    }

    fn check_decoded<'e>(
        &self,
        entry: &'e Entry,
        name: &str,
        part: &mut Part,
        view: &mut Decoded<'_, 'e>,
    ) -> Result<(), PartFull> {
        if entry.changetype != crate::model::ChangeType::Add {
            *part
                .counts
                .change
                .entry(entry.changetype.as_str())
                .or_default() += 1;
            return Ok(());
        }
        part.counts.objects_read += 1;
        // Decode, once, every value a rule or the scope reads.
        let mut guid_attr = None;
        for (i, a) in entry.attrs.iter().enumerate() {
            if let Some(slot) = self.index.lookup(a.name) {
                if slot == self.index.object_guid {
                    guid_attr.get_or_insert(i);
                    continue;
                }
                if let Some(text) = Self::decode(entry, i, name, part) {
                    view.vals.push(DecodedValue {
                        slot,
                        attr: i,
                        text,
                    });
                }
            }
        }
        view.group();
        let class_vals = view.slot(self.index.object_class);
        let mut few = [""; 8];
        let many: Vec<&str>;
        let classes: &[&str] = if class_vals.len() <= few.len() {
            for (slot, v) in few.iter_mut().zip(class_vals) {
                *slot = v.text.trim();
            }
            &few[..class_vals.len()]
        } else {
            many = class_vals.iter().map(|v| v.text.trim()).collect();
            &many
        };
        let class = match self.rules.scope.judge(&entry.dn, classes, &*view) {
            Verdict::InScope(c) => c,
            Verdict::OtherClass => {
                *part
                    .counts
                    .skipped
                    .entry("other-object-class".into())
                    .or_default() += 1;
                return Ok(());
            }
            Verdict::Excluded(reason) => {
                match part.counts.skipped.get_mut(reason) {
                    Some(n) => *n += 1,
                    None => {
                        part.counts.skipped.insert(reason.to_string(), 1);
                    }
                }
                return Ok(());
            }
        };
        part.counts.in_scope += 1;
        let (dn_off, dn_len) = part.push_text(&entry.dn)?;
        let mut guid = String::new();
        if let Some(i) = guid_attr {
            push_object_guid(&entry.attrs[i], &mut guid);
        }
        let (guid_off, guid_len) = part.push_text(&guid)?;
        let obj = part_index(part.objects.len())?;
        part.objects.push(ObjInfo {
            dn_off,
            dn_len,
            line: entry.line,
            class,
            guid_off,
            guid_len,
        });

        let ctx = self.ctx();
        // (rule, index of the value in `view.vals`, detail) of the value findings.
        let mut hits: Vec<Hit> = Vec::new();
        for (rule_id, rule) in (0..=u16::MAX).zip(&self.rules.rules) {
            let ri = usize::from(rule_id);
            if !rule.applies_to(class) {
                continue;
            }
            let vals = view.range(rule.slot);
            match &rule.check {
                Check::Required => {
                    if vals.is_empty() {
                        self.push_finding(
                            part,
                            entry,
                            name,
                            class,
                            NewFinding {
                                obj,
                                rule: ri,
                                value_line: 0,
                                value: "",
                                detail: "is missing",
                                value_id: u32::MAX,
                                suggestion: None,
                                suggestion_keys: Vec::new(),
                            },
                        );
                    }
                }
                Check::Unique { .. } => {
                    for vi in vals {
                        let DecodedValue { attr, text, .. } = &view.vals[vi];
                        if let Some((skip, sub)) = filter_value(rule.def.values, text) {
                            if sub.trim().is_empty() {
                                continue;
                            }
                            let ns = self.rule_ns[ri].unwrap_or(0);
                            let hash = match self.unique_domain(ri, &entry.dn) {
                                None => index::value_hash(ns, sub),
                                Some(domain) => {
                                    index::key_hash(ns, &index::scoped_key(Some(&domain), sub))
                                }
                            };
                            // UPN = mail = primary SMTP is the norm: store the text once per
                            // object. Only the last few holders are compared, so an attribute
                            // with 70,000 values stays linear.
                            let same = part
                                .holders
                                .iter()
                                .rev()
                                .take(8)
                                .take_while(|h| h.obj == obj)
                                .find(|h| part.text(h.off, h.len) == text.as_ref());
                            let (off, len) = match same {
                                Some(h) => (h.off, h.len),
                                None => part.push_text(text)?,
                            };
                            part.holders.push(Holder {
                                hash,
                                obj,
                                rule: rule_id,
                                skip,
                                off,
                                len,
                                line: entry.attrs[*attr].line,
                            });
                        }
                    }
                }
                check => {
                    for vi in vals {
                        if let Some((_, sub)) = filter_value(rule.def.values, &view.vals[vi].text) {
                            if let Some(detail) = check.check_value(sub, &ctx) {
                                hits.push(Hit {
                                    rule: ri,
                                    value: vi,
                                    detail,
                                });
                            }
                        }
                    }
                }
            }
        }
        if hits.is_empty() {
            return Ok(());
        }
        // One suggestion per offending value, shared by all its findings.
        hits.sort_by_key(|h| (h.value, h.rule));
        for group in hits.chunk_by(|a, b| a.value == b.value) {
            let DecodedValue { slot, attr, text } = &view.vals[group[0].value];
            let rule_ids: Vec<usize> = group.iter().map(|h| h.rule).collect();
            // A value that is not UTF-8 gets no suggestion: a fix built on its escaped
            // text would target bytes the directory does not hold.
            let suggestion = if crate::text::has_raw_bytes(text) {
                None
            } else {
                self.suggest(text, *slot, class, &rule_ids)
            };
            let suggestion_keys = match &suggestion {
                Some(s) => self.namespace_keys(*slot, class, &entry.dn, s),
                None => Vec::new(),
            };
            let value_id = part_index(part.pending.len())?;
            for hit in group {
                self.push_finding(
                    part,
                    entry,
                    name,
                    class,
                    NewFinding {
                        obj,
                        rule: hit.rule,
                        value_line: entry.attrs[*attr].line,
                        value: text,
                        detail: &hit.detail,
                        value_id,
                        suggestion: suggestion.clone(),
                        suggestion_keys: suggestion_keys.clone(),
                    },
                );
            }
        }
        Ok(())
    }

    fn push_finding(
        &self,
        part: &mut Part,
        entry: &Entry,
        name: &str,
        class: ObjectClass,
        new: NewFinding<'_>,
    ) {
        let rule = &self.rules.rules[new.rule];
        let (value, value_base64) = crate::text::for_report(new.value);
        let object_guid = part
            .objects
            .get(new.obj as usize)
            .filter(|o| o.guid_len > 0)
            .map(|o| part.text(o.guid_off, o.guid_len).to_string());
        part.pending.push(Pending {
            finding: Finding {
                rule: rule.def.id.clone(),
                severity: rule.def.severity,
                category: rule.def.category,
                dn: entry.dn.to_string(),
                object_class: class.as_str().to_string(),
                object_guid,
                attribute: rule.def.attribute.clone(),
                value,
                value_base64,
                suggestion: new.suggestion,
                related: Vec::new(),
                related_total: None,
                message: render_message(&rule.def.message, &rule.def.attribute, new.detail),
                uniqueness: None,
                source: SourceRef {
                    file: name.to_string(),
                    line: entry.line,
                },
                value_line: new.value_line,
                fingerprint: String::new(),
                state: None,
                exception: None,
            },
            obj: new.obj,
            rule: new.rule,
            value_id: new.value_id,
            suggestion_keys: new.suggestion_keys,
        });
    }

    /// Derives a replacement from the value by the fixes of its findings, in a fixed
    /// order, and keeps it only if every value rule of the attribute then passes.
    fn suggest(
        &self,
        value: &str,
        slot: usize,
        class: ObjectClass,
        rule_ids: &[usize],
    ) -> Option<String> {
        let fixes: Vec<&crate::rules::Rule> =
            rule_ids.iter().map(|&r| &self.rules.rules[r]).collect();
        // The fixes apply to the part of the value the rule looks at (after `smtp:`).
        let filter = fixes[0].def.values;
        let (skip, sub) = filter_value(filter, value)?;
        let prefix = &value[..usize::from(skip)];
        let mut s = sub.to_string();
        let has = |k: FixKind| fixes.iter().any(|r| r.def.fix == k);
        if has(FixKind::Trim) {
            s = s.trim().to_string();
        }
        for r in fixes.iter().filter(|r| r.def.fix == FixKind::Strip) {
            if let Check::Charset(cs) = &r.check {
                s = checks::strip_chars(&s, cs);
            }
        }
        if has(FixKind::TidyDots) {
            s = checks::tidy_dots(&s);
        }
        if has(FixKind::AcceptedDomain) && domain_may_move(&fixes[0].def.attribute) {
            let first = self.accepted.first()?;
            let local = checks::address::split_at_last_at(&s).map(|(l, _)| l.to_string())?;
            s = format!("{local}@{first}");
        }
        for r in fixes.iter().filter(|r| r.def.fix == FixKind::Truncate) {
            if let Check::MaxLength { max, part } = &r.check {
                s = checks::truncate(&s, *max, *part)?;
            }
        }
        let candidate = format!("{prefix}{s}");
        if s.trim().is_empty() || candidate == value {
            return None;
        }
        // Only a UPN may be moved into another domain; any other address keeps its own.
        if !domain_may_move(&fixes[0].def.attribute) {
            if let Some(before) = checks::address::comparable_domain(sub) {
                if checks::address::comparable_domain(&s).as_ref() != Some(&before) {
                    return None;
                }
            }
        }
        let ctx = self.ctx();
        let ok = self
            .rules
            .rules
            .iter()
            .filter(|r| r.slot == slot && r.applies_to(class))
            .all(|r| match &r.check {
                Check::Unique { .. } | Check::Required => true,
                c => filter_value(r.def.values, &candidate)
                    .is_none_or(|(_, sub)| c.check_value(sub, &ctx).is_none()),
            });
        ok.then_some(candidate)
    }

    /// The uniqueness namespaces (with normalised keys) a suggested value must be new in.
    fn namespace_keys(
        &self,
        slot: usize,
        class: ObjectClass,
        dn: &str,
        value: &str,
    ) -> Vec<(u16, String)> {
        let mut keys = Vec::new();
        for (ri, r) in self.rules.rules.iter().enumerate() {
            if r.slot != slot || !r.applies_to(class) {
                continue;
            }
            if let (Some(ns), Some((_, sub))) =
                (self.rule_ns[ri], filter_value(r.def.values, value))
            {
                let domain = self.unique_domain(ri, dn);
                let k = (ns, index::scoped_key(domain.as_deref(), sub));
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys
    }

    fn finish(
        &self,
        parts: Vec<Part>,
        inputs: Vec<InputSummary>,
        mut diagnostics: Vec<Diagnostic>,
    ) -> Report {
        let mut findings = resolve::resolve(self, &parts);
        for (_, f) in &mut findings {
            f.fingerprint = f.compute_fingerprint();
        }
        for p in &parts {
            diagnostics.extend(p.diags.iter().cloned());
        }
        // Reader diagnostics first for an input, then by line: stable and thread-independent.
        let order: BTreeMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.path.as_str(), i))
            .collect();
        diagnostics.sort_by(|a, b| {
            (order.get(a.file.as_str()), a.line, a.column, &a.message).cmp(&(
                order.get(b.file.as_str()),
                b.line,
                b.column,
                &b.message,
            ))
        });
        diagnostics.dedup();
        let rule_pos: BTreeMap<&str, usize> = self
            .rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.def.id.as_str(), i))
            .collect();
        findings.sort_by(|(ka, a), (kb, b)| {
            (
                ka,
                a.source.line,
                a.value_line,
                rule_pos.get(a.rule.as_str()),
                &a.value,
            )
                .cmp(&(
                    kb,
                    b.source.line,
                    b.value_line,
                    rule_pos.get(b.rule.as_str()),
                    &b.value,
                ))
        });

        let mut summary = Summary {
            inputs,
            ..Default::default()
        };
        let mut error_objs = std::collections::HashSet::new();
        let mut any_objs = std::collections::HashSet::new();
        for p in &parts {
            summary.objects_read += p.counts.objects_read;
            summary.objects_in_scope += p.counts.in_scope;
            for (k, v) in &p.counts.skipped {
                *summary.skipped.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &p.counts.change {
                *summary.change_records.entry(k.to_string()).or_default() += v;
            }
        }
        for (key, f) in &findings {
            any_objs.insert(key.obj_key());
            if f.severity == Severity::Error {
                error_objs.insert(key.obj_key());
            }
            summary.count(f);
        }
        summary.findings_total = findings.len() as u64;
        summary.objects_with_errors = error_objs.len() as u64;
        summary.objects_with_findings = any_objs.len() as u64;
        for d in &diagnostics {
            let level = match d.level {
                DiagnosticLevel::Error => "error",
                DiagnosticLevel::Warning => "warning",
                DiagnosticLevel::Note => "note",
            };
            *summary.diagnostics.entry(level.into()).or_default() += 1;
        }
        summary.incomplete = diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error);
        summary.accepted_domains = self.accepted.clone();
        if !self.accepted.is_empty() {
            summary.implicit_accepted_domains = checks::address::IMPLICIT_ACCEPTED_DOMAINS
                .iter()
                .map(|d| d.to_string())
                .collect();
        }

        let rules = self
            .rules
            .rules
            .iter()
            .map(|r| RuleSummary {
                id: r.def.id.clone(),
                title: r.def.title.clone(),
                severity: r.def.severity,
                category: r.def.category,
                attribute: r.def.attribute.clone(),
                docs: r.def.docs.clone(),
                fix: r.def.fix.as_str().to_string(),
                findings: summary
                    .findings_by_rule
                    .get(&r.def.id)
                    .copied()
                    .unwrap_or(0),
            })
            .collect();
        Report {
            tool: ToolInfo {
                name: "dirready".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            findings: findings.into_iter().map(|(_, f)| f).collect(),
            summary,
            diagnostics,
            rules,
            gate: None,
            selection: None,
            baseline: None,
            exceptions: None,
        }
    }
}

/// The part of a value a rule looks at: `(prefix length, rest)`, or `None` when the
/// rule's value filter skips the value.
pub fn filter_value(filter: ValueFilter, value: &str) -> Option<(u8, &str)> {
    match filter {
        ValueFilter::Any => Some((0, value)),
        ValueFilter::Smtp => {
            let b = value.as_bytes();
            (b.len() >= 5 && b[..5].eq_ignore_ascii_case(b"smtp:")).then(|| (5, &value[5..]))
        }
        ValueFilter::OtherTyped => {
            let colon = value.find(':')?;
            let ty = &value[..colon];
            let typed = !ty.is_empty()
                && ty
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
            (typed && !ty.eq_ignore_ascii_case("smtp")).then_some((0, value))
        }
    }
}

/// Appends the object's objectGUID as base64 (as ldifde and ldapsearch write it).
fn push_object_guid(a: &crate::model::Attr, out: &mut String) {
    use base64::Engine as _;
    match a.encoding {
        ValueEncoding::Base64 => out.extend(
            a.raw
                .iter()
                .filter(|b| !b.is_ascii_whitespace())
                .map(|&b| b as char),
        ),
        ValueEncoding::Plain => {
            base64::engine::general_purpose::STANDARD.encode_string(&a.raw, out)
        }
        ValueEncoding::Url => {}
    }
}

fn render_message(template: &str, attribute: &str, detail: &str) -> String {
    template
        .replace("{detail}", detail)
        .replace("{attribute}", attribute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_keeps_the_allocation() {
        let mut v: Vec<DecodedValue<'static>> = Vec::with_capacity(16);
        v.push(DecodedValue {
            slot: 1,
            attr: 2,
            text: Cow::Borrowed("x"),
        });
        let ptr = v.as_ptr() as usize;
        let w: Vec<DecodedValue<'_>> = reuse(v);
        assert!(w.is_empty());
        assert!(w.capacity() >= 16);
        assert_eq!(w.as_ptr() as usize, ptr);
    }
}
