//! Checks a plan before its edits reach a fix file, for plans made from a saved (and
//! perhaps hand-edited) report or from a filled-in decisions CSV:
//!
//! - every new value passes every value rule of its attribute for the object's class
//!   (with the report's accepted domains);
//! - no two objects are given the same value in a uniqueness namespace, and no object is
//!   given a value another object of the report holds;
//! - the inputs have not changed since the report: an input whose sha256 differs is read
//!   again, and an edit whose old value is no longer there is refused.
//!
//! A refused edit is dropped from the plan with its reason (listed in the fix files).

use super::plan::{Plan, Refusal};
use crate::checks::{Check, CheckContext};
use crate::findings::Report;
use crate::rules::{ObjectClass, Rule, RuleSet};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The uniqueness keys a value has under the rules: (namespace, domain, normalised key).
fn unique_keys(
    rules: &RuleSet,
    attribute: &str,
    class: Option<ObjectClass>,
    dn: &str,
    value: &str,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for r in rules_of(rules, attribute, class) {
        if let Check::Unique(u) = &r.check {
            if let Some((_, sub)) = r.def.values.select(value) {
                if sub.trim().is_empty() {
                    continue;
                }
                let domain = match u.per {
                    crate::rules::UniquePer::Domain => crate::dn::domain(dn),
                    crate::rules::UniquePer::Run => String::new(),
                };
                let k = (
                    u.namespace.clone(),
                    domain,
                    crate::text::fold(sub).into_owned(),
                );
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
    }
    out
}

fn rules_of<'r>(
    rules: &'r RuleSet,
    attribute: &'r str,
    class: Option<ObjectClass>,
) -> impl Iterator<Item = &'r Rule> + 'r {
    rules.rules.iter().filter(move |r| {
        r.def.attribute.eq_ignore_ascii_case(attribute) && class.is_none_or(|c| r.applies_to(c))
    })
}

fn class_of(name: &str) -> Option<ObjectClass> {
    ObjectClass::of(&[name])
}

/// Drops the edits that fail a rule or collide; returns why each was dropped.
pub fn check_values(rules: &RuleSet, report: &Report, plan: &mut Plan) -> Vec<Refusal> {
    let ctx = CheckContext {
        accepted_domains: &report.summary.accepted_domains,
    };
    let mut refused = Vec::new();
    // Who holds what, by uniqueness key: the report's values, minus those being changed.
    let mut changed: BTreeSet<(String, String, Vec<u8>)> = BTreeSet::new();
    for o in &plan.objects {
        for e in &o.edits {
            changed.insert((
                crate::dn::normalize(&o.dn),
                e.attribute.to_ascii_lowercase(),
                e.old.clone(),
            ));
        }
    }
    let mut held: HashMap<(String, String, String), BTreeSet<String>> = HashMap::new();
    let mut hold = |dn: &str, attribute: &str, class: Option<ObjectClass>, value: &str| {
        let who = crate::dn::normalize(dn);
        if changed.contains(&(
            who.clone(),
            attribute.to_ascii_lowercase(),
            value.as_bytes().to_vec(),
        )) {
            return;
        }
        for k in unique_keys(rules, attribute, class, dn, value) {
            held.entry(k).or_default().insert(who.clone());
        }
    };
    for f in &report.findings {
        hold(&f.dn, &f.attribute, class_of(&f.object_class), &f.value);
        for r in &f.related {
            hold(&r.dn, &r.attribute, None, &r.value);
        }
    }
    // New values by key, to find two objects given the same one.
    let mut proposed: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for o in &plan.objects {
        let class = class_of(&o.object_class);
        for e in &o.edits {
            let new = String::from_utf8_lossy(&e.new);
            for k in unique_keys(rules, &e.attribute, class, &o.dn, &new) {
                proposed
                    .entry(k)
                    .or_default()
                    .insert(crate::dn::normalize(&o.dn));
            }
        }
    }
    for o in &mut plan.objects {
        let class = class_of(&o.object_class);
        let who = crate::dn::normalize(&o.dn);
        let dn = o.dn.clone();
        o.edits.retain(|e| {
            let new = String::from_utf8_lossy(&e.new).into_owned();
            let mut problems = Vec::new();
            if std::str::from_utf8(&e.new).is_err() {
                problems.push("the new value is not UTF-8".to_string());
            }
            for r in rules_of(rules, &e.attribute, class) {
                if let Some((_, sub)) = r.def.values.select(&new) {
                    if let Some(detail) = r.check.check_value(sub, &ctx) {
                        problems.push(format!("{} ({}): {detail}", r.def.id, r.def.title));
                    }
                }
            }
            for k in unique_keys(rules, &e.attribute, class, &dn, &new) {
                if held.get(&k).is_some_and(|h| h.iter().any(|x| *x != who)) {
                    problems.push(format!("`{}` is already held by another object", k.2));
                }
                if proposed.get(&k).is_some_and(|p| p.len() > 1) {
                    problems.push(format!("`{}` is proposed for another object too", k.2));
                }
            }
            if problems.is_empty() {
                return true;
            }
            refused.push(Refusal {
                dn: dn.clone(),
                attribute: e.attribute.clone(),
                value: String::from_utf8_lossy(&e.old).into_owned(),
                reason: format!("new value {new:?} refused: {}", problems.join("; ")),
            });
            false
        });
    }
    plan.objects.retain(|o| !o.edits.is_empty());
    refused
}

/// An input the report was made from, and whether its edits could be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputState {
    /// Same bytes as when the report was made.
    Unchanged,
    /// Different bytes: edits were checked against its current values.
    Changed,
    /// Not readable here (moved, or a live source without a snapshot): not verified.
    Unverified(String),
}

/// Checks every input of the report; edits whose old value is gone from a changed input
/// are dropped. Returns the state of each input and the refusals.
pub fn check_inputs(report: &Report, plan: &mut Plan) -> (Vec<(String, InputState)>, Vec<Refusal>) {
    let mut states = Vec::new();
    let mut refused = Vec::new();
    for input in &report.summary.inputs {
        let path = input.snapshot.clone().unwrap_or_else(|| input.path.clone());
        let state = match (&input.sha256, std::fs::read(&path)) {
            (None, _) => InputState::Unverified("the report has no sha256 for it".into()),
            (_, Err(e)) => InputState::Unverified(format!("cannot read {path}: {e}")),
            (Some(want), Ok(bytes)) => {
                use sha2::{Digest, Sha256};
                let have: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if have.eq_ignore_ascii_case(want) {
                    InputState::Unchanged
                } else {
                    refused.extend(drop_gone_values(&input.path, &path, bytes, plan));
                    InputState::Changed
                }
            }
        };
        states.push((input.path.clone(), state));
    }
    plan.objects.retain(|o| !o.edits.is_empty());
    (states, refused)
}

/// Reads a changed input again and drops the edits of its objects whose old value it no
/// longer holds.
fn drop_gone_values(name: &str, path: &str, bytes: Vec<u8>, plan: &mut Plan) -> Vec<Refusal> {
    use crate::source::input::BlockReader;
    use crate::source::ldif::LdifParser;
    // (dn, attribute) -> the values the input holds now, for the edits of this input.
    let wanted: BTreeSet<(String, String)> = plan
        .objects
        .iter()
        .filter(|o| o.source == name)
        .flat_map(|o| {
            o.edits.iter().map(|e| {
                (
                    crate::dn::normalize(&o.dn),
                    e.attribute.to_ascii_lowercase(),
                )
            })
        })
        .collect();
    let mut now: HashMap<(String, String), Vec<Vec<u8>>> = HashMap::new();
    let mut reader = BlockReader::from_reader(path, Box::new(std::io::Cursor::new(bytes)), 1 << 20);
    let mut diags = Vec::new();
    while let Ok(Some(block)) = reader.next_block(&mut diags) {
        let mut p = LdifParser::new(path, &block.data, block.first_line, block.at_start);
        while let Some(e) = p.next_entry(&mut diags) {
            let dn = crate::dn::normalize(&e.dn);
            for a in &e.attrs {
                let key = (dn.clone(), a.name.to_ascii_lowercase());
                if wanted.contains(&key) {
                    if let Ok(v) = a.decoded() {
                        now.entry(key).or_default().push(v.into_owned());
                    }
                }
            }
        }
    }
    let mut refused = Vec::new();
    for o in plan.objects.iter_mut().filter(|o| o.source == name) {
        let dn = crate::dn::normalize(&o.dn);
        let odn = o.dn.clone();
        o.edits.retain(|e| {
            let there = now
                .get(&(dn.clone(), e.attribute.to_ascii_lowercase()))
                .is_some_and(|vs| vs.contains(&e.old));
            if !there {
                refused.push(Refusal {
                    dn: odn.clone(),
                    attribute: e.attribute.clone(),
                    value: String::from_utf8_lossy(&e.old).into_owned(),
                    reason: format!(
                        "{name} changed since the report (sha256 differs) and no longer holds this value"
                    ),
                });
            }
            there
        });
    }
    refused
}
