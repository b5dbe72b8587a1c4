//! After the stream: values that `add:` modify records contributed to an entry read
//! earlier in the same input (m365-sync-limits.md: "values added that way ... are the
//! entry's values for every rule"). Records right after their entry were merged while
//! reading; the others are joined here to their object by DN: their values are counted,
//! checked one by one, and put in the uniqueness index. Then every `value_count` rule is
//! settled on the full counts.

use super::index::{self, Holder};
use super::part::{self, FileChange, LateRecord, ObjectTexts, Part, Reporter, ValueRecord};
use super::resolve::FKey;
use super::Engine;
use crate::checks::Check;
use crate::findings::{Finding, ValueKind};
use rayon::prelude::*;
use std::collections::HashMap;

/// A late record joined to its object: the object (part, index) and the record (part,
/// index in the part's `late`).
#[derive(Debug, Clone, Copy)]
struct Joined {
    part: usize,
    obj: u32,
    record_part: usize,
    record: usize,
}

/// An input and a DN normalised by RDN: how late records find their entry.
type DnKey<'p> = (&'p str, String);

/// Late records joined to their objects, with the texts of those objects.
struct Joins {
    joined: Vec<Joined>,
    /// The DN and objectGUID of every object whose DN a late record names (read once
    /// here, not again for the findings).
    texts: HashMap<(usize, u32), ObjectTexts>,
    /// Parts whose file no longer holds their objects' DNs (their records stay
    /// unjoined).
    changed: Vec<(usize, FileChange)>,
}

/// Joins each late record to the last object before it in the same input with the same
/// DN (compared by RDN).
fn join(parts: &[Part]) -> Joins {
    // (input, normalised DN) of every late record.
    let mut wanted: HashMap<DnKey, Vec<(usize, usize, u64)>> = HashMap::new();
    for (pi, p) in parts.iter().enumerate() {
        for (ri, r) in p.late.iter().enumerate() {
            wanted
                .entry((&*p.file, crate::dn::normalize(&r.dn)))
                .or_default()
                .push((pi, ri, r.line));
        }
    }
    let mut joins = Joins {
        joined: Vec::new(),
        texts: HashMap::new(),
        changed: Vec::new(),
    };
    if wanted.is_empty() {
        return joins;
    }
    // Objects with those DNs, in input order (parts are in block order per input).
    // Each part's DNs are read back (from the file, for DNs kept as places: a second
    // read of the input, so parts in parallel).
    type Matches<'p> = (
        Vec<(DnKey<'p>, (usize, u32, u64), ObjectTexts)>,
        Option<(usize, FileChange)>,
    );
    let per_part: Vec<Matches> = parts
        .par_iter()
        .enumerate()
        .map(|(pi, p)| {
            let objs: Vec<u32> = (0..=u32::MAX).take(p.objects.len()).collect();
            let read = p.read_texts(&objs);
            let matches = objs
                .into_iter()
                .zip(&p.objects)
                .zip(read.texts)
                .filter_map(|((oi, o), texts)| {
                    let texts = texts?;
                    let key = (&*p.file, crate::dn::normalize(&texts.dn));
                    wanted
                        .contains_key(&key)
                        .then_some((key, (pi, oi, o.line), texts))
                })
                .collect();
            (matches, read.changed.map(|c| (pi, c)))
        })
        .collect();
    let mut found: HashMap<DnKey, Vec<(usize, u32, u64)>> = HashMap::new();
    for (matches, change) in per_part {
        for (key, object, texts) in matches {
            joins.texts.insert((object.0, object.1), texts);
            found.entry(key).or_default().push(object);
        }
        joins.changed.extend(change);
    }
    for (key, records) in &wanted {
        let Some(objects) = found.get(key) else {
            continue;
        };
        for &(rp, ri, line) in records {
            // The entry the record follows: the last one before it.
            if let Some(&(pi, oi, _)) = objects.iter().filter(|o| o.2 < line).max_by_key(|o| o.2) {
                joins.joined.push(Joined {
                    part: pi,
                    obj: oi,
                    record_part: rp,
                    record: ri,
                });
            }
        }
    }
    joins.joined.sort_by_key(|j| (j.record_part, j.record));
    joins
}

/// An object over a `value_count` rule's limit: ((part, object, rule), count, line of the
/// first value, limit).
type OverLimit = ((usize, u32, usize), u64, u64, usize);

impl Engine<'_> {
    /// Holds a modify record that only adds values for the end of the run; false when it
    /// adds nothing a rule reads (it is then counted as a change record).
    pub(crate) fn hold_late<'e>(
        &self,
        block: &crate::source::ldif::BlockText<'e>,
        entry: &'e crate::model::Entry,
        name: &str,
        part: &mut Part,
    ) -> bool {
        let mut values = Vec::new();
        for (i, a) in entry.attrs.iter().enumerate() {
            let Some(slot) = self.index.lookup(a.name) else {
                continue;
            };
            if !self.rules.rules.iter().any(|r| r.slot == slot) {
                continue;
            }
            let text =
                super::decode::decode_for_slot(block, &self.index, slot, entry, i, name, part);
            if let Some(t) = text {
                values.push((slot, a.line, t.into_owned()));
            }
        }
        if values.is_empty() {
            return false;
        }
        part.late.push(LateRecord {
            dn: entry.dn.to_string(),
            line: entry.line,
            values,
        });
        true
    }

    /// Joins late records to their objects, checks and indexes their values (holders go
    /// into the object's part, so `resolve` sees them), and settles every count. Returns
    /// the findings of both.
    pub(crate) fn settle_late(&self, parts: &mut [Part]) -> Vec<(FKey, Finding)> {
        let Joins {
            joined,
            texts,
            changed,
        } = join(parts);
        for (pi, change) in changed {
            parts[pi].note_change(Some(change));
        }
        let mut out = Vec::new();
        // Late values per (part, object, slot): how many, and the line of the first.
        let mut extra: HashMap<(usize, u32, usize), (u32, u64)> = HashMap::new();
        // (part, hash, rule, object, record) of the late values the index holds.
        let mut holders: Vec<(usize, u64, u16, u32, ValueRecord)> = Vec::new();
        let ctx = self.ctx();
        for j in &joined {
            let p = &parts[j.part];
            let record = &parts[j.record_part].late[j.record];
            let class = p.objects[j.obj as usize].class;
            // Not read back (the file changed: its parts noted how): left out.
            let Some(object) = texts.get(&(j.part, j.obj)).cloned() else {
                continue;
            };
            let dn = object.dn.clone();
            let key = FKey {
                part: u32::try_from(j.part).unwrap_or(u32::MAX),
                obj: j.obj,
            };
            for (slot, line, text) in &record.values {
                let e = extra.entry((j.part, j.obj, *slot)).or_insert((0, *line));
                e.0 += 1;
                for (ri, rule) in self.rules.rules.iter().enumerate() {
                    if rule.slot != *slot || !rule.applies_to(class) {
                        continue;
                    }
                    let Some((skip, sub)) = rule.def.values.select(text) else {
                        continue;
                    };
                    match &rule.check {
                        Check::Value(c) => {
                            let Some(detail) = c.check(sub, &ctx) else {
                                continue;
                            };
                            let shown = c.shown(text);
                            let kind = super::decode::value_kind(shown.is_some(), rule.def.binary);
                            let f = self.late_finding(
                                p,
                                j.obj,
                                object.clone(),
                                ri,
                                shown.as_deref().unwrap_or(text),
                                kind,
                                *line,
                                &detail,
                            );
                            out.push((key, f));
                        }
                        Check::Unique(u) if !sub.trim().is_empty() => {
                            let Ok(rule_id) = u16::try_from(ri) else {
                                continue;
                            };
                            let ns = self.rule_ns[ri].unwrap_or(0);
                            let domain = self.unique_domain(ri, &dn);
                            let full = if u.binary {
                                index::binary_key(domain.as_deref(), sub)
                            } else {
                                index::scoped_key(domain.as_deref(), sub)
                            };
                            holders.push((
                                j.part,
                                index::key_hash(ns, &full),
                                rule_id,
                                j.obj,
                                ValueRecord {
                                    skip,
                                    fallback: false,
                                    line: *line,
                                    text: text.clone(),
                                    object_guid: false,
                                    file_offset: None,
                                },
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
        // Records that joined no object stay ordinary change records.
        let mut unmatched: Vec<u64> = parts.iter().map(|p| p.late.len() as u64).collect();
        for j in &joined {
            unmatched[j.record_part] -= 1;
        }
        for (p, n) in parts.iter_mut().zip(unmatched) {
            if n > 0 {
                *p.counts.change.entry("modify").or_default() += n;
            }
        }
        let mut index = self.run_index.lock().unwrap_or_else(|e| e.into_inner());
        for (pi, hash, rule, obj, record) in holders {
            let p = &mut parts[pi];
            if let Ok(rec) = p.values.push_late(&record) {
                let obj = p.first_obj.saturating_add(obj);
                index.holders.push(Holder::new(hash, rule, obj, rec));
            }
        }
        out.extend(self.settle_counts(parts, &extra));
        out
    }

    /// Every `value_count` rule on every object with values: its own count plus what late
    /// records added; a finding where the total is over the rule's limit.
    fn settle_counts(
        &self,
        parts: &mut [Part],
        extra: &HashMap<(usize, u32, usize), (u32, u64)>,
    ) -> Vec<(FKey, Finding)> {
        // What late records added per (part, object, rule), and the line of the first
        // value added; most objects have none, so their own counts are judged directly
        // (a map of every count was the slowest part of the run's end at a million).
        let mut added: HashMap<(usize, u32, usize), (u64, u64)> = HashMap::new();
        for (&(pi, obj, slot), &(n, line)) in extra {
            let class = parts[pi].objects[obj as usize].class;
            for (ri, r) in self.rules.rules.iter().enumerate() {
                if r.slot == slot && r.applies_to(class) && matches!(r.check, Check::Count { .. }) {
                    let t = added.entry((pi, obj, ri)).or_insert((0, line));
                    t.0 += u64::from(n);
                }
            }
        }
        let judge = |key: (usize, u32, usize), n: u64, line: u64| -> Option<OverLimit> {
            let Check::Count { max, up_to } = self.rules.rules[key.2].check else {
                return None;
            };
            Check::over(usize::try_from(n).ok()?, max, up_to).then_some((key, n, line, max))
        };
        let mut over: Vec<OverLimit> = Vec::new();
        for (pi, p) in parts.iter().enumerate() {
            for c in &p.counted {
                let key = (pi, c.obj, usize::from(c.rule));
                // The entry's own count and line, plus what late records added.
                let late = added.remove(&key).map_or(0, |(n, _)| n);
                over.extend(judge(key, u64::from(c.count) + late, c.line));
            }
        }
        // Late values of an object the entry had none of.
        over.extend(
            added
                .into_iter()
                .filter_map(|(key, (n, line))| judge(key, n, line)),
        );
        over.sort_unstable_by_key(|o| o.0);
        let texts = part::object_texts(parts, over.iter().map(|o| (o.0 .0, o.0 .1)));
        let mut out = Vec::new();
        for ((pi, obj, ri), n, line, max) in over {
            // Not read back (the file changed: its parts noted how): left out.
            let Some(object) = texts.get(&(pi, obj)).cloned() else {
                continue;
            };
            let detail = format!("holds {n} values; the limit is {max}");
            let mut f = self.late_finding(
                &parts[pi],
                obj,
                object,
                ri,
                &n.to_string(),
                Some(ValueKind::Count),
                line,
                &detail,
            );
            f.attribute_values = u32::try_from(n).ok();
            out.push((
                FKey {
                    part: u32::try_from(pi).unwrap_or(u32::MAX),
                    obj,
                },
                f,
            ));
        }
        out
    }

    /// A finding on an object of a part, after the stream (no suggestion).
    #[allow(clippy::too_many_arguments)]
    fn late_finding(
        &self,
        p: &Part,
        obj: u32,
        texts: ObjectTexts,
        ri: usize,
        value: &str,
        value_kind: Option<ValueKind>,
        value_line: u64,
        detail: &str,
    ) -> Finding {
        let rule = &self.rules.rules[ri];
        let base = p.finding_with(obj, texts, Reporter::of(rule));
        let (value, value_base64) = crate::text::for_report(value);
        Finding {
            message: super::evaluate::render_message(
                &rule.def.message,
                &rule.def.attribute,
                detail,
                &base.dn,
                &value,
                &|_| None,
            )
            .into(),
            value: Some(value),
            value_base64,
            value_kind,
            value_line,
            ..base
        }
    }
}
