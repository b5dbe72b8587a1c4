//! After the stream: duplicate groups from the uniqueness index, and the check that
//! every suggestion is new in its namespaces (against holders and other suggestions).

use super::index::{self, HolderRef, IndexKey};
use super::part::{Part, Reporter};
use super::Engine;
use crate::findings::{Finding, Related, SourceRef, Uniqueness};
use rayon::prelude::*;
use std::collections::HashSet;

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

struct View<'a> {
    engine: &'a Engine<'a>,
    parts: &'a [Part],
}

impl View<'_> {
    fn holder(&self, r: &HolderRef) -> &index::Holder {
        &self.parts[r.part as usize].holders[r.idx as usize]
    }
    fn value(&self, r: &HolderRef) -> &str {
        let h = self.holder(r);
        self.parts[r.part as usize].text(h.off, h.len)
    }
    fn key(&self, r: &HolderRef) -> IndexKey {
        let h = self.holder(r);
        let domain = self.domain(r);
        let value = &self.value(r)[usize::from(h.skip)..];
        IndexKey {
            namespace: self.engine.rule_ns[usize::from(h.rule)].unwrap_or(0),
            key: if self.binary(r) {
                index::binary_key(domain.as_deref(), value)
            } else {
                index::scoped_key(domain.as_deref(), value)
            },
        }
    }
    fn binary(&self, r: &HolderRef) -> bool {
        matches!(&self.engine.rules.rules[usize::from(self.holder(r).rule)].check,
            crate::checks::Check::Unique(u) if u.binary)
    }
    /// The attribute that supplied the holder's value: the rule's, or its fallback.
    fn attribute(&self, r: &HolderRef) -> String {
        let h = self.holder(r);
        let rule = &self.engine.rules.rules[usize::from(h.rule)];
        match &rule.check {
            crate::checks::Check::Unique(u) if h.fallback => u
                .fallback
                .clone()
                .unwrap_or_else(|| rule.def.attribute.clone()),
            _ => rule.def.attribute.clone(),
        }
    }
    /// The holder's domain when its rule compares per domain.
    fn domain(&self, r: &HolderRef) -> Option<String> {
        let h = self.holder(r);
        let p = &self.parts[r.part as usize];
        let o = &p.objects[h.obj as usize];
        self.engine
            .unique_domain(usize::from(h.rule), p.text(o.dn_off, o.dn_len))
    }
    fn slot(&self, r: &HolderRef) -> usize {
        self.engine.rules.rules[self.holder(r).rule as usize].slot
    }
    fn obj(&self, r: &HolderRef) -> (u32, u32) {
        (r.part, self.holder(r).obj)
    }
    fn related(&self, r: &HolderRef) -> Related {
        let h = self.holder(r);
        let p = &self.parts[r.part as usize];
        let o = &p.objects[h.obj as usize];
        let (value, value_base64) = crate::text::for_report(self.value(r));
        Related {
            id: None,
            kind: None,
            dn: p.text(o.dn_off, o.dn_len).to_string(),
            attribute: self.attribute(r),
            value,
            value_base64,
            source: SourceRef {
                file: self.file(r.part),
                line: o.line,
            },
        }
    }
    fn file(&self, part: u32) -> String {
        self.parts[part as usize].file.clone()
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

pub(crate) fn resolve(engine: &Engine, parts: &[Part]) -> Vec<(FKey, Finding)> {
    let view = View { engine, parts };
    // Part and holder indexes fit u32: a run has far fewer blocks, and a part far fewer
    // holders, than that (see `part_index`); the zips cannot cut anything short.
    let numbered: Vec<(u32, &Part)> = (0..=u32::MAX).zip(parts).collect();
    let mut refs: Vec<HolderRef> = numbered
        .par_iter()
        .flat_map_iter(|&(pi, p)| {
            (0..=u32::MAX)
                .zip(&p.holders)
                .map(move |(hi, h)| HolderRef {
                    hash: h.hash,
                    part: pi,
                    idx: hi,
                })
        })
        .collect();
    refs.par_sort_unstable();

    let mut out: Vec<(FKey, Finding)> = Vec::new();
    let mut i = 0;
    while i < refs.len() {
        let mut j = i + 1;
        while j < refs.len() && refs[j].hash == refs[i].hash {
            j += 1;
        }
        // Most runs are one object holding one address in several attributes (UPN =
        // mail = primary SMTP): not a duplicate, and not worth comparing keys.
        let one_object_distinct_attributes = || {
            let first = view.obj(&refs[i]);
            refs[i..j].iter().all(|r| view.obj(r) == first)
                && refs[i..j]
                    .iter()
                    .enumerate()
                    .all(|(k, r)| refs[i..i + k].iter().all(|o| view.slot(o) != view.slot(r)))
        };
        if j - i >= 2 && !one_object_distinct_attributes() {
            let mut members: Vec<(IndexKey, HolderRef)> =
                refs[i..j].iter().map(|r| (view.key(r), *r)).collect();
            members.sort();
            let mut a = 0;
            while a < members.len() {
                let mut b = a + 1;
                while b < members.len() && members[b].0 == members[a].0 {
                    b += 1;
                }
                if b - a >= 2 {
                    let group: Vec<HolderRef> = members[a..b].iter().map(|m| m.1).collect();
                    duplicate_findings(&view, &group, &mut out);
                }
                a = b;
            }
        }
        i = j;
    }

    // Suggestions must be new: not held by another object (or twice in one attribute),
    // and not proposed for two different values.
    let mut rejected: HashSet<(u32, u32)> = HashSet::new(); // (part, value_id)
    let mut proposals: Vec<Proposal> = Vec::new();
    for &(pi, p) in &numbered {
        for f in &p.pending {
            if f.finding.suggestion.is_none() {
                continue;
            }
            let slot = engine.rules.rules[f.rule].slot;
            for key in &f.suggestion_keys {
                let h = key.hash();
                let start = refs.partition_point(|r| r.hash < h);
                let taken = refs[start..].iter().take_while(|r| r.hash == h).any(|r| {
                    view.key(r) == *key && (view.obj(r) != (pi, f.obj) || view.slot(r) == slot)
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
    proposals.sort();
    proposals.dedup();
    let mut a = 0;
    while a < proposals.len() {
        let mut b = a + 1;
        while b < proposals.len() && proposals[b].key == proposals[a].key {
            b += 1;
        }
        // Two different values may not be moved to one new value, unless both are on one
        // object in different attributes (UPN = mail after the fix is fine).
        let clash = proposals[a..b].iter().any(|x| {
            proposals[a..b].iter().any(|y| {
                (x.part, x.value_id) != (y.part, y.value_id)
                    && ((x.part, x.obj) != (y.part, y.obj) || x.slot == y.slot)
            })
        });
        if clash {
            for x in &proposals[a..b] {
                rejected.insert((x.part, x.value_id));
            }
        }
        a = b;
    }

    domain_findings(engine, &numbered, &mut out);

    for &(pi, p) in &numbered {
        for f in &p.pending {
            let mut finding = f.finding.clone();
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

fn duplicate_findings(view: &View, group: &[HolderRef], out: &mut Vec<(FKey, Finding)>) {
    // Sorted once: a value held by thousands of objects stays n·cap, not n² log n.
    let mut sorted: Vec<&HolderRef> = group.iter().collect();
    sorted.sort_by_key(|o| (o.part, view.holder(o).obj, view.holder(o).line));
    // A big group lists fewer holders per finding (`related_total` has the count; every
    // holder has its own finding).
    let cap = if group.len() > 1000 { 10 } else { RELATED_CAP };
    for r in group {
        let me = view.obj(r);
        let my_slot = view.slot(r);
        let is_other = |o: &&&HolderRef| **o != r && (view.obj(o) != me || view.slot(o) == my_slot);
        let total = sorted.iter().filter(is_other).count();
        if total == 0 {
            continue;
        }
        let related: Vec<Related> = sorted
            .iter()
            .filter(is_other)
            .take(cap)
            .map(|o| view.related(o))
            .collect();
        let related_total = (total > related.len()).then_some(total);
        let h = view.holder(r);
        let p = &view.parts[r.part as usize];
        let o = &p.objects[h.obj as usize];
        let rule = &view.engine.rules.rules[usize::from(h.rule)];
        let (value, value_base64) = crate::text::for_report(view.value(r));
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
            crate::checks::Check::Unique(u) => Some(Uniqueness {
                namespace: u.namespace.clone(),
                label: u.label.clone(),
                key: if u.binary {
                    view.value(r).to_string()
                } else {
                    index::normalize(&view.value(r)[usize::from(h.skip)..]).into_owned()
                },
                domain,
            }),
            _ => None,
        };
        let dn = p.text(o.dn_off, o.dn_len);
        let attribute = view.attribute(r);
        let message = super::evaluate::render_message(
            &rule.def.message,
            &attribute,
            &detail,
            dn,
            view.value(r),
            &|_| None,
        );
        let by = Reporter {
            attribute: &attribute,
            ..Reporter::of(rule)
        };
        out.push((
            FKey {
                part: r.part,
                obj: h.obj,
            },
            Finding {
                value: Some(value),
                value_base64,
                value_kind: view.binary(r).then_some(crate::findings::ValueKind::Base64),
                related,
                related_total,
                message,
                uniqueness,
                value_line: h.line,
                ..p.finding_on(h.obj, by)
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
                rule: rule.def.id.clone(),
                severity: rule.def.severity,
                category: rule.def.category,
                dn: dn.to_string(),
                object_class: "domain".into(),
                object_guid: None,
                attribute: rule.def.attribute.clone(),
                value: Some(count.to_string()),
                value_base64: None,
                value_kind: Some(crate::findings::ValueKind::Count),
                suggestion: None,
                replaces: None,
                attribute_values: None,
                related: Vec::new(),
                related_total: None,
                message,
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
