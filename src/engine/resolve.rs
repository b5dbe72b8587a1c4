//! After the stream: duplicate groups from the uniqueness index, and the check that
//! every suggestion is new in its namespaces (against holders and other suggestions).

use super::index::{self, Holder, IndexKey};
use super::part::{FileChange, ObjectTexts, Part, Reporter, ValueRecord};
use super::Engine;
use crate::findings::{Finding, Related, SourceRef, Uniqueness};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// At most this many other holders are listed in a finding's `related`.
pub const RELATED_CAP: usize = 100;

/// Orders findings by input and block, and identifies their object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FKey {
    pub part: u32,
    pub obj: u32,
}

impl FKey {
    pub fn obj_key(&self) -> (u32, u32) {
        (self.part, self.obj)
    }
}

/// The holders whose hash is shared (the only ones that can be duplicates or hold a
/// suggested value), by position in the run's sorted holders, with their value records.
struct View<'a> {
    engine: &'a Engine<'a>,
    parts: &'a [Part],
    numbering: &'a Numbering,
    kept: FxHashMap<usize, Kept>,
}

/// A holder read back: its value record and its object's DN and objectGUID.
struct Kept {
    holder: Holder,
    record: ValueRecord,
    object: ObjectTexts,
}

impl View<'_> {
    fn holder(&self, at: usize) -> &Holder {
        static NONE: Holder = Holder {
            key: 0,
            obj: u32::MAX,
            rec: 0,
        };
        self.kept.get(&at).map_or(&NONE, |k| &k.holder)
    }
    /// The part of a run-wide object number, and the object's index in it.
    fn obj(&self, at: usize) -> (u32, u32) {
        self.numbering
            .split(self.holder(at).obj)
            .unwrap_or((0, u32::MAX))
    }
    fn record(&self, at: usize) -> &ValueRecord {
        static NONE: ValueRecord = ValueRecord {
            skip: 0,
            fallback: false,
            line: 0,
            text: String::new(),
            object_guid: false,
            file_offset: None,
        };
        self.kept.get(&at).map_or(&NONE, |k| &k.record)
    }
    fn value(&self, at: usize) -> &str {
        &self.record(at).text
    }
    fn rule(&self, at: usize) -> usize {
        usize::from(self.holder(at).rule())
    }
    fn key(&self, at: usize) -> IndexKey {
        index_key(self.engine, self.rule(at), self.dn(at), self.record(at))
    }
    fn binary(&self, at: usize) -> bool {
        binary_rule(self.engine, self.rule(at))
    }
    /// The attribute that supplied the holder's value: the rule's, or its fallback.
    fn attribute(&self, at: usize) -> Arc<str> {
        let rule = &self.engine.rules.rules[self.rule(at)];
        match &rule.check {
            crate::checks::Check::Unique(u) if self.record(at).fallback => u
                .fallback
                .as_deref()
                .map_or_else(|| rule.shared_attribute.clone(), Arc::from),
            _ => rule.shared_attribute.clone(),
        }
    }
    /// The holder's domain when its rule compares per domain.
    fn domain(&self, at: usize) -> Option<String> {
        self.engine.unique_domain(self.rule(at), self.dn(at))
    }
    fn dn(&self, at: usize) -> &str {
        self.kept.get(&at).map_or("", |k| &k.object.dn)
    }
    fn object(&self, at: usize) -> ObjectTexts {
        self.kept
            .get(&at)
            .map(|k| k.object.clone())
            .unwrap_or_default()
    }
    fn slot(&self, at: usize) -> usize {
        self.engine.rules.rules[self.rule(at)].slot
    }
    fn related(&self, at: usize) -> Related {
        let (pi, oi) = self.obj(at);
        let p = &self.parts[pi as usize];
        let (value, value_base64) = crate::text::for_report(self.value(at));
        Related {
            id: None,
            kind: None,
            dn: self.dn(at).into(),
            attribute: self.attribute(at),
            value: value.into(),
            value_base64,
            source: SourceRef {
                file: p.file.clone(),
                line: p.objects.get(oi as usize).map_or(0, |o| o.line),
            },
        }
    }
}

/// The index key of a holder's value: what its hash was made from.
fn index_key(engine: &Engine, rule: usize, dn: &str, record: &ValueRecord) -> IndexKey {
    let domain = engine.unique_domain(rule, dn);
    let value = &record.text;
    let value = value.get(usize::from(record.skip)..).unwrap_or(value);
    IndexKey {
        namespace: engine.rule_ns[rule].unwrap_or(0),
        key: if binary_rule(engine, rule) {
            index::binary_key(domain.as_deref(), value)
        } else {
            index::scoped_key(domain.as_deref(), value)
        },
    }
}

/// The rule indexes values as bytes (base64 text compared exactly).
fn binary_rule(engine: &Engine, rule: usize) -> bool {
    matches!(&engine.rules.rules[rule].check, crate::checks::Check::Unique(u) if u.binary)
}

/// Where each part's objects are in the run-wide numbering: (first number, number of
/// objects, part index), sorted by first number.
struct Numbering(Vec<(u32, u32, u32)>);

impl Numbering {
    fn of(parts: &[Part]) -> Numbering {
        let mut ranges: Vec<(u32, u32, u32)> = (0..=u32::MAX)
            .zip(parts)
            .map(|(pi, p)| {
                let n = u32::try_from(p.objects.len()).unwrap_or(u32::MAX);
                (p.first_obj, n, pi)
            })
            .filter(|r| r.1 > 0)
            .collect();
        ranges.sort_unstable();
        Numbering(ranges)
    }
    /// How many objects the parts hold (numbers are never given twice).
    fn covered(&self) -> u32 {
        self.0.iter().fold(0u32, |n, r| n.saturating_add(r.1))
    }

    /// (part, index in the part) of a run-wide object number; `None` for an object of
    /// no part (one of an input that failed and is not reported).
    fn split(&self, obj: u32) -> Option<(u32, u32)> {
        let i = self.0.partition_point(|r| r.0 <= obj).checked_sub(1)?;
        let (first, n, part) = self.0[i];
        (obj - first < n).then_some((part, obj - first))
    }
}

/// The run's holders from the run index, sorted by key; holders of objects no part
/// holds (inputs that failed) are left out.
fn sorted_holders(engine: &Engine, numbering: &Numbering) -> Vec<Holder> {
    let mut index = engine.run_index.lock().unwrap_or_else(|e| e.into_inner());
    let mut all = std::mem::take(&mut index.holders);
    // Only a failed input leaves holders without a part: otherwise the parts number
    // every object and nothing needs looking up.
    if numbering.covered() != index.objects() {
        all.retain(|h| numbering.split(h.obj).is_some());
    }
    // By key alone (one integer comparison): the order of holders with equal keys is
    // never seen, since every run of one hash is ordered again by its holders' keys,
    // objects and records before it makes findings.
    all.par_sort_unstable_by_key(|h| h.key);
    all
}

/// What the holders' parts gave back.
struct ReadRecords {
    kept: FxHashMap<usize, Kept>,
    /// Parts whose file changed since the scan read it, and how.
    changed: Vec<(u32, FileChange)>,
}

/// The holders at `positions`, with their value records and objects' texts read back
/// from their parts (each part unpacked once, parts in parallel).
fn read_records(
    engine: &Engine,
    parts: &[Part],
    holders: &[Holder],
    numbering: &Numbering,
    positions: Vec<usize>,
) -> ReadRecords {
    // (part, position); every holder left has a part (see `sorted_holders`).
    let mut wanted: Vec<(u32, usize)> = positions
        .into_iter()
        .filter_map(|at| Some((numbering.split(holders[at].obj)?.0, at)))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let by_part: Vec<&[(u32, usize)]> = wanted.chunk_by(|a, b| a.0 == b.0).collect();
    // Per part: its holders' records, and where its file changed.
    type PartRead = (Vec<(usize, Kept)>, Option<(u32, FileChange)>);
    let read: Vec<PartRead> = by_part
        .par_iter()
        .map(|at| {
            let part = &parts[at[0].0 as usize];
            // Each record with the line of its object's entry.
            let addrs: Vec<(u32, u64)> = at
                .iter()
                .map(|&(_, a)| {
                    let line = numbering
                        .split(holders[a].obj)
                        .and_then(|(_, obj)| part.objects.get(obj as usize))
                        .map_or(0, |o| o.line);
                    (holders[a].rec, line)
                })
                .collect();
            let back = part.values.read(&addrs, part.origin.as_ref());
            // The holders' objects' texts, each object's once.
            let mut objs: Vec<u32> = at
                .iter()
                .filter_map(|&(_, a)| Some(numbering.split(holders[a].obj)?.1))
                .collect();
            objs.sort_unstable();
            objs.dedup();
            let texts = part.read_texts(&objs);
            let mut changed = back.changed;
            if let Some(c) = texts.changed {
                changed = Some(c.and_maybe(changed));
            }
            let kept = at
                .iter()
                .zip(back.records)
                .filter_map(|(&(_, a), record)| {
                    let holder = holders[a];
                    let (_, obj) = numbering.split(holder.obj)?;
                    let object = texts.texts[objs.binary_search(&obj).ok()?].clone()?;
                    let mut record = record?;
                    if record.object_guid {
                        record.text = object.guid.clone().unwrap_or_default();
                    }
                    // A value read back from the file must still be the one the holder's
                    // hash was made from: the file may have been written to since.
                    if let Some(offset) = record.file_offset {
                        let key =
                            index_key(engine, usize::from(holder.rule()), &object.dn, &record);
                        if index::hash48(key.hash()) != holder.hash() {
                            changed = Some(FileChange::At(offset).and_maybe(changed));
                            return None;
                        }
                    }
                    Some((
                        a,
                        Kept {
                            holder,
                            record,
                            object,
                        },
                    ))
                })
                .collect::<Vec<_>>();
            (kept, changed.map(|change| (at[0].0, change)))
        })
        .collect();
    let mut out = ReadRecords {
        kept: FxHashMap::default(),
        changed: Vec::new(),
    };
    for (kept, changed) in read {
        out.kept.extend(kept);
        out.changed.extend(changed);
    }
    out
}

/// Reports each input file that changed since the scan read it (as its parts noted
/// when values or texts were read back), once: its findings cannot all be shown.
pub(super) fn report_changed_files(parts: &mut [Part]) {
    let mut first: Vec<(Arc<str>, FileChange, usize)> = Vec::new();
    for (pi, p) in parts.iter().enumerate() {
        let Some(change) = p.file_changed else {
            continue;
        };
        let file = p.file.clone();
        match first.iter_mut().find(|f| f.0 == file) {
            Some(f) => f.1 = f.1.and(change),
            None => first.push((file, change, pi)),
        }
    }
    for (file, change, pi) in first {
        let how = match change {
            FileChange::Written => "it was written to after it was opened".to_string(),
            FileChange::At(offset) => {
                format!("byte {offset} no longer holds the text read there")
            }
        };
        parts[pi].push_diag(crate::model::Diagnostic {
            level: crate::model::DiagnosticLevel::Error,
            file: file.to_string(),
            line: 0,
            column: 0,
            message: format!(
                "the file changed while it was checked ({how}): findings on the values \
                 and objects that had to be read from it again are not reported; check it \
                 again when nothing writes to it"
            ),
            limit: None,
        });
    }
}

/// A suggested value: (namespace, key), part, value id, object, attribute slot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Proposal {
    key: IndexKey,
    part: u32,
    /// The offending value the suggestion replaces (findings on one value share it).
    value_id: u32,
    obj: u32,
    slot: usize,
}

pub(crate) fn resolve(engine: &Engine, parts: &mut [Part]) -> Vec<(FKey, Finding)> {
    let numbering = Numbering::of(parts);
    let holders = sorted_holders(engine, &numbering);
    // Part indexes fit u32: a run has far fewer blocks than that (see `part_index`).
    let numbered: Vec<(u32, &Part)> = (0..=u32::MAX).zip(parts.iter()).collect();
    let slot_of = |h: &Holder| engine.rules.rules[usize::from(h.rule())].slot;

    // Suggestions are checked against the holders of their keys' hashes.
    let suggested = || {
        parts
            .iter()
            .flat_map(|p| &p.pending)
            .filter(|f| f.finding.suggestion.is_some())
            .flat_map(|f| &f.suggestion_keys)
    };
    let mut suggested_hashes: Vec<u64> = suggested().map(|k| index::hash48(k.hash())).collect();
    suggested_hashes.sort_unstable();
    suggested_hashes.dedup();
    // The holders of each suggested hash, found in the same walk as the runs (a binary
    // search per suggestion misses the cache at every step of a list this long).
    let mut suggested_runs: FxHashMap<u64, std::ops::Range<usize>> = FxHashMap::default();
    let mut next_suggested = suggested_hashes.iter().peekable();

    // Runs of one hash that may be duplicates. Most runs are one object holding one
    // address in several attributes (UPN = mail = primary SMTP): not a duplicate, and
    // not worth reading back.
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = 0;
    while i < holders.len() {
        let hash = holders[i].hash();
        // Runs are short: a linear scan, not a binary search over the rest of the list.
        let j = i + holders[i..].iter().take_while(|x| x.hash() == hash).count();
        let run = &holders[i..j];
        while next_suggested.next_if(|&&h| h < hash).is_some() {}
        if next_suggested.next_if(|&&h| h == hash).is_some() {
            suggested_runs.insert(hash, i..j);
        }
        let one_object_distinct_attributes = || {
            run.iter().all(|h| h.obj == run[0].obj)
                && run
                    .iter()
                    .enumerate()
                    .all(|(k, h)| run[..k].iter().all(|o| slot_of(o) != slot_of(h)))
        };
        if run.len() >= 2 && !one_object_distinct_attributes() {
            runs.push(i..j);
        }
        i = j;
    }
    let run_of = |key: &IndexKey| {
        suggested_runs
            .get(&index::hash48(key.hash()))
            .cloned()
            .unwrap_or(0..0)
    };
    let mut wanted: Vec<usize> = runs.iter().flat_map(|r| r.clone()).collect();
    wanted.extend(suggested().flat_map(run_of));
    let read = read_records(engine, parts, &holders, &numbering, wanted);
    let view = View {
        engine,
        parts,
        numbering: &numbering,
        kept: read.kept,
    };

    // Suggestions must be new: not held by another object (or twice in one attribute),
    // and not proposed for two different values.
    let mut rejected: FxHashSet<(u32, u32)> = FxHashSet::default(); // (part, value_id)
    let mut proposals: Vec<Proposal> = Vec::new();
    for &(pi, p) in &numbered {
        for f in &p.pending {
            if f.finding.suggestion.is_none() {
                continue;
            }
            let slot = engine.rules.rules[f.rule].slot;
            for key in &f.suggestion_keys {
                // A holder whose value could not be read back may hold the key.
                let taken = run_of(key).any(|at| {
                    !view.kept.contains_key(&at)
                        || view.key(at) == *key
                            && (view.obj(at) != (pi, f.obj) || view.slot(at) == slot)
                });
                if taken {
                    rejected.insert((pi, f.value_id));
                }
                proposals.push(Proposal {
                    key: key.clone(),
                    part: pi,
                    value_id: f.value_id,
                    obj: f.obj,
                    slot,
                });
            }
        }
    }
    // The index is done with: duplicate findings only need the holders kept.
    drop(holders);

    // Room for every finding at once: growing a list of large findings step by step
    // would copy it each time (a run's holders bound its duplicate findings).
    let pending: usize = parts.iter().map(|p| p.pending.len()).sum();
    let mut out: Vec<(FKey, Finding)> =
        Vec::with_capacity(pending + runs.iter().map(|r| r.len()).sum::<usize>());
    // Runs are independent: their findings are built in parallel, a window of runs at a
    // time (so that no more than a window's findings wait to be moved), in run order.
    for window in runs.chunks(4096) {
        let found: Vec<Vec<(FKey, Finding)>> = window
            .par_iter()
            .map(|run| {
                // Ordered by key, then input order (run-wide numbers follow the order
                // blocks ended in, which threads decide).
                let mut members: Vec<(IndexKey, (u32, u32), u32, usize)> = run
                    .clone()
                    .filter(|at| view.kept.contains_key(at))
                    .map(|at| (view.key(at), view.obj(at), view.holder(at).rec, at))
                    .collect();
                members.sort();
                let mut found = Vec::new();
                for group in members.chunk_by(|a, b| a.0 == b.0) {
                    if group.len() >= 2 {
                        let group: Vec<usize> = group.iter().map(|m| m.3).collect();
                        duplicate_findings(&view, &group, &mut found);
                    }
                }
                found
            })
            .collect();
        out.extend(found.into_iter().flatten());
    }
    drop(view);
    proposals.sort();
    proposals.dedup();
    for same in proposals.chunk_by(|a, b| a.key == b.key) {
        // Two different values may not be moved to one new value, unless both are on one
        // object in different attributes (UPN = mail after the fix is fine).
        let clash = same.iter().any(|x| {
            same.iter().any(|y| {
                (x.part, x.value_id) != (y.part, y.value_id)
                    && ((x.part, x.obj) != (y.part, y.obj) || x.slot == y.slot)
            })
        });
        if clash {
            for x in same {
                rejected.insert((x.part, x.value_id));
            }
        }
    }

    domain_findings(engine, &numbered, &mut out);
    drop(numbered);
    for (pi, change) in read.changed {
        if let Some(p) = parts.get_mut(pi as usize) {
            p.note_change(Some(change));
        }
    }

    // The pending findings are the parts' no longer: moved, not copied (in parallel
    // they were no faster, and the lists they pass through raised the peak memory).
    for (pi, p) in (0..=u32::MAX).zip(parts.iter_mut()) {
        for f in std::mem::take(&mut p.pending) {
            let mut finding = f.finding;
            if rejected.contains(&(pi, f.value_id)) {
                finding.suggestion = None;
            }
            out.push((
                FKey {
                    part: pi,
                    obj: f.obj,
                },
                finding,
            ));
        }
    }
    out
}

fn duplicate_findings(view: &View, group: &[usize], out: &mut Vec<(FKey, Finding)>) {
    // Sorted once: a value held by thousands of objects stays n·cap, not n² log n.
    let mut sorted: Vec<usize> = group.to_vec();
    sorted.sort_by_key(|&at| (view.obj(at), view.record(at).line));
    // A big group lists fewer holders per finding (`related_total` has the count; every
    // holder has its own finding).
    let cap = if group.len() > 1000 { 10 } else { RELATED_CAP };
    // Each holder as the others list it, built once: the lists share its texts.
    let listed: Vec<Related> = sorted.iter().map(|&o| view.related(o)).collect();
    // A holder's finding lists every other holder except its own object's values in other
    // attributes: counted per object and per (object, attribute) once, so that a value
    // held by a million objects stays linear.
    let mut per_obj: FxHashMap<u32, usize> = FxHashMap::default();
    let mut per_obj_slot: FxHashMap<(u32, usize), usize> = FxHashMap::default();
    for &o in group {
        let obj = view.holder(o).obj;
        *per_obj.entry(obj).or_default() += 1;
        *per_obj_slot.entry((obj, view.slot(o))).or_default() += 1;
    }
    for &r in group {
        let me = view.holder(r).obj;
        let my_slot = view.slot(r);
        let is_other =
            |o: &&usize| **o != r && (view.holder(**o).obj != me || view.slot(**o) == my_slot);
        let own_other_attributes = per_obj.get(&me).copied().unwrap_or(1)
            - per_obj_slot.get(&(me, my_slot)).copied().unwrap_or(1);
        let total = group.len() - 1 - own_other_attributes;
        if total == 0 {
            continue;
        }
        let related: Vec<Related> = sorted
            .iter()
            .zip(&listed)
            .filter(|(o, _)| is_other(o))
            .take(cap)
            .map(|(_, r)| r.clone())
            .collect();
        let related_total = (total > related.len()).then_some(total);
        let (part, obj) = view.obj(r);
        let p = &view.parts[part as usize];
        let rule = &view.engine.rules.rules[view.rule(r)];
        let record = view.record(r);
        let (value, value_base64) = crate::text::for_report(&record.text);
        let first = &related[0];
        let domain = view.domain(r);
        let mut detail = if total == 1 {
            format!("{} ({})", first.dn, first.attribute)
        } else {
            format!("{} ({}) and {} more", first.dn, first.attribute, total - 1)
        };
        if let Some(d) = &domain {
            detail.push_str(&match d.as_str() {
                "" => " (objects outside any DC= domain)".to_string(),
                d => format!(" in the domain {d}"),
            });
        }
        let uniqueness = match &rule.check {
            crate::checks::Check::Unique(u) => Some(Box::new(Uniqueness {
                namespace: u.namespace.clone(),
                label: u.label.clone(),
                key: if u.binary {
                    record.text.clone()
                } else {
                    let text = &record.text;
                    index::normalize(text.get(usize::from(record.skip)..).unwrap_or(text))
                        .into_owned()
                },
                domain,
            })),
            _ => None,
        };
        let dn = view.dn(r);
        let attribute = view.attribute(r);
        let message = super::evaluate::render_message(
            &rule.def.message,
            &attribute,
            &detail,
            dn,
            &record.text,
            &|_| None,
        );
        let by = Reporter {
            attribute,
            ..Reporter::of(rule)
        };
        out.push((
            FKey { part, obj },
            Finding {
                value: Some(value),
                value_base64,
                value_kind: view.binary(r).then_some(crate::findings::ValueKind::Base64),
                related,
                related_total,
                message: message.into(),
                uniqueness,
                value_line: record.line,
                ..p.finding_with(obj, view.object(r), by)
            },
        ));
    }
}

/// `domain_objects` rules: the in-scope objects of every block summed per domain; one
/// finding on each domain past the limit.
fn domain_findings(engine: &Engine, parts: &[(u32, &Part)], out: &mut Vec<(FKey, Finding)>) {
    use std::collections::BTreeMap;
    // (rule, domain) -> (first (part, obj), its line, domain DN, count)
    let mut total: BTreeMap<(usize, &str), (FKey, u64, &str, u64)> = BTreeMap::new();
    for &(pi, p) in parts {
        for ((rule, domain), c) in &p.domain_counts {
            let key = FKey {
                part: pi,
                obj: c.obj,
            };
            let t =
                total
                    .entry((*rule, domain.as_str()))
                    .or_insert((key, c.line, c.dn.as_str(), 0));
            t.3 += c.count;
        }
    }
    for ((ri, _), (key, _, dn, count)) in total {
        let rule = &engine.rules.rules[ri];
        let crate::checks::Check::DomainObjects { max } = rule.check else {
            continue;
        };
        if count <= max as u64 {
            continue;
        }
        let detail = format!("holds {count} in-scope objects; the limit is {max}");
        let message = super::evaluate::render_message(
            &rule.def.message,
            &rule.def.attribute,
            &detail,
            dn,
            "",
            &|_| None,
        );
        out.push((
            key,
            Finding {
                rule: rule.shared_id.clone(),
                severity: rule.def.severity,
                category: rule.def.category,
                dn: dn.to_string(),
                object_class: "domain".into(),
                object_guid: None,
                attribute: rule.shared_attribute.clone(),
                value: Some(count.to_string()),
                value_base64: None,
                value_kind: Some(crate::findings::ValueKind::Count),
                suggestion: None,
                replaces: None,
                attribute_values: None,
                related: Vec::new(),
                related_total: None,
                message: message.into(),
                uniqueness: None,
                source: SourceRef {
                    file: parts[key.part as usize].1.file.clone(),
                    line: 0,
                },
                value_line: 0,
                fingerprint: String::new(),
                state: None,
                exception: None,
            },
        ));
    }
}
