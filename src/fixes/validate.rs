//! Checks a plan before its edits reach a fix file. A plan may come from a saved (and
//! perhaps hand-edited) report or from a filled-in decisions CSV, so nothing in it is
//! trusted:
//!
//! - every edit names an attribute a rule of the run checks (a rule with that id and
//!   attribute), and every new value passes every value rule of its attribute for the
//!   object's class (with the report's accepted domains);
//! - the inputs are read again: the object must be in the input it came from, with the
//!   objectGUID the report gives, holding the old value; whether `replace:` is safe is
//!   decided by the number of values it holds there;
//! - no new value is held by another object of the inputs (in the sync scope or not) or
//!   given to two objects, in a uniqueness namespace of the rules.
//!
//! A refused edit is dropped with its reason (listed in the fix files). Refusals can free
//! or take values, so the value checks repeat until nothing more is refused.

use super::plan::{Edit, Plan, Refusal};
use crate::checks::{Check, CheckContext};
use crate::findings::Report;
use crate::rules::{ObjectClass, Rule, RuleSet, UniquePer};
use crate::source::input::BlockReader;
use crate::source::ldif::LdifParser;
use rustc_hash::FxHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hasher;

/// The uniqueness keys a value has under the rules: (namespace, domain, folded value).
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
                    UniquePer::Domain => crate::dn::domain(dn),
                    UniquePer::Run => String::new(),
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

fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = FxHasher::default();
    for p in parts {
        h.write(p);
        h.write_u8(0xff);
    }
    h.finish()
}

fn key_hash(k: &(String, String, String)) -> u64 {
    hash_of(&[k.0.as_bytes(), k.1.as_bytes(), k.2.as_bytes()])
}

/// Who holds a uniqueness key in the inputs: (object, value) hashes, a few per key.
#[derive(Default)]
pub struct Holders {
    by_key: HashMap<u64, Vec<(u64, u64)>>,
}

impl Holders {
    fn add(&mut self, key: u64, dn: u64, value: u64) {
        let v = self.by_key.entry(key).or_default();
        if v.len() < 4 && !v.contains(&(dn, value)) {
            v.push((dn, value));
        }
    }
}

fn value_id(dn: &str, attribute: &str, value: &[u8]) -> (u64, u64) {
    (
        hash_of(&[dn.as_bytes()]),
        hash_of(&[attribute.to_ascii_lowercase().as_bytes(), value]),
    )
}

/// An input the report was made from, and whether its edits could be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputState {
    /// Read again; same bytes as when the report was made.
    Unchanged,
    /// Read again; different bytes: edits were checked against its current values.
    Changed,
    /// Not readable here (moved, or a live source without a snapshot): its edits are
    /// refused unless unverified edits are allowed.
    Unverified(String),
}

/// What the inputs hold for the plan's objects.
#[derive(Default)]
struct Seen {
    guid: Option<String>,
    /// Values of the edited attributes (lowercased name).
    values: HashMap<String, Vec<Vec<u8>>>,
}

/// Reads every input again: checks each edit against the object it targets and collects
/// who holds which uniqueness key. Edits that cannot be verified are refused, unless
/// `allow_unverified` (the scan itself, whose values are current).
pub fn verify_inputs(
    report: &Report,
    rules: &RuleSet,
    plan: &mut Plan,
    allow_unverified: bool,
) -> (Vec<(String, InputState)>, Vec<Refusal>, Holders) {
    let mut states = Vec::new();
    let mut refused = Vec::new();
    let mut holders = Holders::default();
    // Edited (object, attribute) pairs, by normalised DN.
    let wanted: BTreeMap<String, BTreeSet<String>> =
        plan.objects.iter().fold(BTreeMap::new(), |mut m, o| {
            let set: &mut BTreeSet<String> = m.entry(crate::dn::normalize(&o.dn)).or_default();
            set.extend(o.edits.iter().map(|e| e.attribute.to_ascii_lowercase()));
            m
        });
    let unique_attrs: BTreeSet<String> = rules
        .rules
        .iter()
        .filter(|r| matches!(r.check, Check::Unique(_)))
        .map(|r| r.def.attribute.to_ascii_lowercase())
        .collect();
    // (input path, normalised DN) -> what it holds.
    let mut seen: HashMap<(String, String), Seen> = HashMap::new();
    for input in &report.summary.inputs {
        let path = input.snapshot.clone().unwrap_or_else(|| input.path.clone());
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                states.push((
                    input.path.clone(),
                    InputState::Unverified(format!("cannot read {path}: {e}")),
                ));
                continue;
            }
        };
        use sha2::{Digest, Sha256};
        let have = crate::text::hex(&Sha256::digest(&bytes));
        let state = match &input.sha256 {
            Some(want) if want.eq_ignore_ascii_case(&have) => InputState::Unchanged,
            _ => InputState::Changed,
        };
        let mut reader =
            BlockReader::from_reader(&path, Box::new(std::io::Cursor::new(bytes)), 1 << 20);
        let mut diags = Vec::new();
        while let Ok(Some(block)) = reader.next_block(&mut diags) {
            let mut p = LdifParser::new(&path, &block.data, block.first_line, block.at_start);
            // The scan reported the input's problems: here they are only skipped.
            p.set_max_diagnostics(0);
            while let Some(e) = p.next_entry(&mut diags) {
                if e.changetype != crate::model::ChangeType::Add {
                    continue;
                }
                let dn = crate::dn::normalize(&e.dn);
                let edited = wanted.get(&dn);
                let classes: Vec<String> = e
                    .attrs
                    .iter()
                    .filter(|a| a.is("objectClass"))
                    .filter_map(|a| a.decoded().ok())
                    .map(|v| String::from_utf8_lossy(&v).trim().to_string())
                    .collect();
                let class_refs: Vec<&str> = classes.iter().map(String::as_str).collect();
                let class = ObjectClass::of(&class_refs);
                let mut entry_seen = edited.map(|_| Seen::default());
                for a in &e.attrs {
                    let lower = a.name.to_ascii_lowercase();
                    if let (Some(s), true) = (&mut entry_seen, lower == "objectguid") {
                        if let Ok(v) = a.decoded() {
                            use base64::Engine as _;
                            s.guid = Some(base64::engine::general_purpose::STANDARD.encode(v));
                        }
                    }
                    let is_edited = edited.is_some_and(|set| set.contains(&lower));
                    let is_unique = unique_attrs.contains(&lower);
                    if !is_edited && !is_unique {
                        continue;
                    }
                    let Ok(v) = a.decoded() else { continue };
                    if is_unique {
                        let text = crate::text::decode(&v);
                        let (dn_id, val_id) = value_id(&dn, &lower, &v);
                        for k in unique_keys(rules, a.name, class, &e.dn, &text) {
                            holders.add(key_hash(&k), dn_id, val_id);
                        }
                    }
                    if let (Some(s), true) = (&mut entry_seen, is_edited) {
                        s.values.entry(lower).or_default().push(v.into_owned());
                    }
                }
                if let Some(s) = entry_seen {
                    seen.insert((input.path.clone(), dn), s);
                }
            }
        }
        states.push((input.path.clone(), state));
    }
    let readable: BTreeSet<&str> = states
        .iter()
        .filter(|(_, s)| !matches!(s, InputState::Unverified(_)))
        .map(|(p, _)| p.as_str())
        .collect();
    let known: BTreeSet<&str> = report
        .summary
        .inputs
        .iter()
        .map(|i| i.path.as_str())
        .collect();
    for o in &mut plan.objects {
        let dn = crate::dn::normalize(&o.dn);
        let problem: Option<String> = if !known.contains(o.source.as_str()) {
            Some(format!(
                "its input `{}` is not among the report's inputs",
                o.source
            ))
        } else if !readable.contains(o.source.as_str()) {
            (!allow_unverified).then(|| {
                format!(
                    "its input `{}` cannot be read here to verify it (--verified-only)",
                    o.source
                )
            })
        } else {
            match seen.get(&(o.source.clone(), dn)) {
                None => Some(format!("the object is not in `{}`", o.source)),
                Some(s) => match (&o.object_guid, &s.guid) {
                    (Some(want), Some(have)) if want.trim() != have => Some(format!(
                        "the object's objectGUID in `{}` is not the report's",
                        o.source
                    )),
                    (Some(_), None) => Some(format!(
                        "the object has no objectGUID in `{}`, the report says it has one",
                        o.source
                    )),
                    _ => None,
                },
            }
        };
        if let Some(reason) = problem {
            refused.extend(o.edits.drain(..).map(|e| refusal(&o.dn, &e, &reason)));
            continue;
        }
        let Some(s) = seen.get(&(o.source.clone(), crate::dn::normalize(&o.dn))) else {
            continue;
        };
        let odn = o.dn.clone();
        o.edits.retain_mut(|e| {
            let now = s
                .values
                .get(&e.attribute.to_ascii_lowercase())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let ok = if e.old.is_empty() {
                now.is_empty()
            } else {
                now.contains(&e.old)
            };
            if !ok {
                let reason = if e.old.is_empty() {
                    "the attribute is no longer absent in the input".to_string()
                } else {
                    "the input no longer holds this value".to_string()
                };
                refused.push(refusal(&odn, e, &reason));
                return false;
            }
            // `replace:` only for an attribute holding exactly this one value.
            e.multi_valued = super::plan::is_multi_valued(&e.attribute) || now.len() != 1;
            true
        });
    }
    plan.objects.retain(|o| !o.edits.is_empty());
    (states, refused, holders)
}

fn refusal(dn: &str, e: &Edit, reason: &str) -> Refusal {
    Refusal {
        dn: dn.to_string(),
        attribute: e.attribute.clone(),
        value: String::from_utf8_lossy(&e.old).into_owned(),
        reason: reason.to_string(),
    }
}

/// Drops the edits whose rule does not match, whose new value fails a rule, or which
/// collide in a uniqueness namespace; repeats until nothing more is refused. `trust_rules`
/// skips the rule-id check (suggestions made by this very run).
pub fn check_values(
    rules: &RuleSet,
    report: &Report,
    plan: &mut Plan,
    holders: &Holders,
) -> Vec<Refusal> {
    let ctx = CheckContext {
        accepted_domains: &report.summary.accepted_domains,
    };
    let mut refused = Vec::new();
    loop {
        let before = refused.len();
        // Values the surviving edits change no longer count as held.
        let changed: BTreeSet<(u64, u64)> = plan
            .objects
            .iter()
            .flat_map(|o| {
                let dn = crate::dn::normalize(&o.dn);
                o.edits
                    .iter()
                    .map(move |e| value_id(&dn, &e.attribute, &e.old))
                    .collect::<Vec<_>>()
            })
            .collect();
        // New values by key, to find two objects given the same one.
        let mut proposed: HashMap<u64, BTreeSet<String>> = HashMap::new();
        for o in &plan.objects {
            let class = class_of(&o.object_class);
            for e in &o.edits {
                let new = String::from_utf8_lossy(&e.new);
                for k in unique_keys(rules, &e.attribute, class, &o.dn, &new) {
                    proposed
                        .entry(key_hash(&k))
                        .or_default()
                        .insert(crate::dn::normalize(&o.dn));
                }
            }
        }
        for o in &mut plan.objects {
            let class = class_of(&o.object_class);
            let who = crate::dn::normalize(&o.dn);
            let who_id = hash_of(&[who.as_bytes()]);
            let dn = o.dn.clone();
            o.edits.retain(|e| {
                let new = String::from_utf8_lossy(&e.new).into_owned();
                let mut problems = Vec::new();
                if std::str::from_utf8(&e.new).is_err() {
                    problems.push("the new value is not UTF-8".to_string());
                }
                // The edit must fix findings of rules the run has, on this attribute.
                for id in &e.rules {
                    let id = id.strip_prefix("decision:").unwrap_or(id);
                    let matches = rules
                        .get(id)
                        .is_some_and(|r| r.def.attribute.eq_ignore_ascii_case(&e.attribute));
                    if !matches {
                        problems.push(format!(
                            "no rule `{id}` checks {} in this run (give the report's --rules)",
                            e.attribute
                        ));
                    }
                }
                for r in rules_of(rules, &e.attribute, class) {
                    if let Some((_, sub)) = r.def.values.select(&new) {
                        if let Some(detail) = r.check.check_value(sub, &ctx) {
                            problems.push(format!("{} ({}): {detail}", r.def.id, r.def.title));
                        }
                    }
                }
                for k in unique_keys(rules, &e.attribute, class, &dn, &new) {
                    let h = key_hash(&k);
                    let taken = holders.by_key.get(&h).is_some_and(|hs| {
                        hs.iter()
                            .any(|(d, v)| *d != who_id && !changed.contains(&(*d, *v)))
                    });
                    if taken {
                        problems.push(format!("`{}` is already held by another object", k.2));
                    }
                    if proposed.get(&h).is_some_and(|p| p.len() > 1) {
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
        if refused.len() == before {
            return refused;
        }
    }
}
