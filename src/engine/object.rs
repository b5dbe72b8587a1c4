//! Checks of one object as a whole rather than of one value: how many values an
//! attribute holds, whether a selection (primary addresses) is single, present or
//! consistent with a partner attribute, and the binary values the uniqueness index holds
//! (with a fallback attribute when the object's own take no part).

use super::decode::Decoded;
use super::index::{self, Holder};
use super::part::{Part, PartFull};
use super::Engine;
use crate::checks::{Check, Unique};
use crate::rules::FixKind;
use crate::source::ldif::BlockText;

/// What an object-level check found.
pub(crate) struct ObjectHit {
    /// Index of the offending value in the entry's decoded values; `None` when the
    /// finding is about an absent value.
    pub value: Option<usize>,
    pub detail: String,
    pub suggestion: Option<String>,
    /// The value the suggestion replaces when the finding has none (a promoted address).
    pub replaces: Option<String>,
}

fn same_ignoring_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || crate::text::fold(a) == crate::text::fold(b)
}

impl Engine<'_> {
    /// The first non-blank value of the rule's partner attribute.
    fn partner<'v>(&self, rule: usize, view: &'v Decoded<'_, '_>) -> Option<&'v str> {
        let slot = self.partner_slot[rule]?;
        view.slot(slot)
            .iter()
            .map(|v| v.text.trim())
            .find(|t| !t.is_empty())
    }

    /// Runs a `single`, `present_when` or `same_as` rule on one object (`value_count`
    /// rules are settled after the stream, in `late`).
    /// A suggestion must pass every value rule of the attribute, or none is given.
    pub(crate) fn object_check(
        &self,
        ri: usize,
        view: &Decoded<'_, '_>,
        class: crate::rules::ObjectClass,
    ) -> Vec<ObjectHit> {
        let mut hits = self.object_hits(ri, view);
        let slot = self.rules.rules[ri].slot;
        for h in &mut hits {
            if let Some(s) = &h.suggestion {
                if !crate::fixes::passes_value_rules(self.rules, &self.ctx(), s, slot, class) {
                    h.suggestion = None;
                    h.replaces = None;
                }
            }
        }
        hits
    }

    fn object_hits(&self, ri: usize, view: &Decoded<'_, '_>) -> Vec<ObjectHit> {
        let rule = &self.rules.rules[ri];
        let filter = rule.def.values;
        // (index in view.vals, prefix length, the value without its prefix)
        let selected: Vec<(usize, u8, &str)> = view
            .range(rule.slot)
            .filter_map(|vi| {
                let v = &view.vals[vi];
                filter
                    .select_typed(&v.text, v.typed)
                    .map(|(skip, sub)| (vi, skip, sub))
            })
            .collect();
        let hit = |value, detail, suggestion, replaces| ObjectHit {
            value,
            detail,
            suggestion,
            replaces,
        };
        match &rule.check {
            Check::Single { .. } if selected.len() > 1 => {
                let n = selected.len();
                let keep = self.partner(ri, view);
                let kept = keep.and_then(|k| {
                    selected
                        .iter()
                        .position(|s| same_ignoring_case(s.2.trim(), k))
                });
                let demoted = filter.promotion().map(|(_, lower)| lower);
                selected
                    .iter()
                    .enumerate()
                    .map(|(i, &(vi, _, sub))| {
                        let suggestion = match (rule.def.fix, kept, demoted) {
                            (FixKind::Demote, Some(k), Some(lower)) if k != i => {
                                Some(format!("{lower}{sub}"))
                            }
                            _ => None,
                        };
                        hit(Some(vi), format!("is one of {n}"), suggestion, None)
                    })
                    .collect()
            }
            Check::PresentWhen { when, .. } if selected.is_empty() => {
                let whens: Vec<&str> = view
                    .slot(rule.slot)
                    .iter()
                    .filter(|v| when.select_typed(&v.text, v.typed).is_some())
                    .map(|v| v.text.as_ref())
                    .collect();
                if whens.is_empty() {
                    return Vec::new();
                }
                let promoted = match (rule.def.fix, filter.promotion(), self.partner(ri, view)) {
                    (FixKind::Promote, Some((upper, _)), Some(from)) => whens
                        .iter()
                        .find(|w| {
                            when.select(w)
                                .is_some_and(|(_, sub)| same_ignoring_case(sub.trim(), from))
                        })
                        .map(|w| (format!("{upper}{from}"), w.to_string())),
                    _ => None,
                };
                let (suggestion, replaces) = promoted.unzip();
                let detail = match whens.len() {
                    1 => "its one address is not".to_string(),
                    n => format!("none of its {n} addresses is"),
                };
                vec![hit(None, detail, suggestion, replaces)]
            }
            Check::SameAs { attribute } if selected.len() == 1 => {
                let (vi, _, sub) = selected[0];
                match self.partner(ri, view) {
                    Some(other) if !same_ignoring_case(sub.trim(), other) => {
                        let detail = format!("differs from {attribute} ({other})");
                        vec![hit(Some(vi), detail, None, None)]
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Records an object's binary values for a `unique` rule: each distinct value of
    /// the exact size (when the rule names one) that is not all zero (when the rule says
    /// so); the fallback attribute's when none of the object's own takes part.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn hold_binary<'v>(
        &self,
        part: &mut Part,
        view: &'v Decoded<'_, '_>,
        (block, entry_line): (&BlockText<'_>, u64),
        dn: &str,
        attr_line: &dyn Fn(usize) -> u64,
        obj: u32,
        ri: usize,
        rule_id: u16,
        u: &Unique,
    ) -> Result<(), PartFull> {
        // The key is the value's text: it decodes under canonical padding with no stray
        // trailing bits, so it is exactly the standard encoding of its bytes.
        let usable = |text: &'v str, exact: Option<usize>| -> Option<&'v str> {
            let (len, zero) = standard_base64(text.as_bytes())?;
            if exact.is_some_and(|n| len != n) || (u.ignore_zero && zero) {
                return None;
            }
            Some(text)
        };
        let mut keys: Vec<(&str, u64, bool)> = Vec::new();
        let collect = |keys: &mut Vec<(&'v str, u64, bool)>,
                       slot: usize,
                       exact: Option<usize>,
                       fallback: bool| {
            for v in view.slot(slot) {
                if let Some(k) = usable(&v.text, exact) {
                    // The same object listing a value twice is not a duplicate.
                    if !keys.iter().any(|x| x.0 == k) {
                        keys.push((k, attr_line(v.attr), fallback));
                    }
                }
            }
        };
        collect(&mut keys, self.rules.rules[ri].slot, u.bytes, false);
        if keys.is_empty() {
            if let Some(slot) = self.partner_slot[ri] {
                collect(&mut keys, slot, None, true);
            }
        }
        let ns = self.rule_ns[ri].unwrap_or(0);
        let domain = self.unique_domain(ri, dn);
        for (key, line, fallback) in keys {
            let hash = match domain.as_deref() {
                None => index::key_hash(ns, key),
                d => index::key_hash(ns, &index::binary_key(d, key)),
            };
            let rec = if !key.is_empty() && self.object_guid(view) == key {
                part.values.push_object_guid(fallback, line)?
            } else {
                part.push_value(block, 0, fallback, (line, entry_line), key)?
            };
            part.holders.push(Holder::new(hash, rule_id, obj, rec));
        }
        Ok(())
    }
}

/// The value of each standard base64 character (`0xFF`: not one).
const BASE64_VALUE: [u8; 256] = {
    let mut t = [0xFF; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i: u8 = 0;
    while (i as usize) < alphabet.len() {
        t[alphabet[i as usize] as usize] = i;
        i += 1;
    }
    t
};

/// What decoding standard base64 `text` (canonical padding, no stray trailing bits, as
/// the `base64` crate's standard engine requires) gives: the number of bytes and
/// whether they are all zero; `None` when it does not decode. Worked out without
/// decoding: a GUID or SID needs only its size and whether it is zero.
fn standard_base64(text: &[u8]) -> Option<(usize, bool)> {
    if text.len() % 4 != 0 {
        return None;
    }
    let pad = text.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    let data = &text[..text.len() - pad];
    let mut zero = true;
    for &c in data {
        let v = BASE64_VALUE[usize::from(c)];
        if v == 0xFF {
            return None;
        }
        zero &= v == 0;
    }
    // The bits of the last character past the last byte must be zero.
    let stray = match pad {
        2 => 0x0F,
        1 => 0x03,
        _ => 0,
    };
    if data
        .last()
        .is_some_and(|&c| BASE64_VALUE[usize::from(c)] & stray != 0)
    {
        return None;
    }
    Some((data.len() * 3 / 4, zero))
}

#[cfg(test)]
mod tests {
    use super::standard_base64;
    use base64::Engine as _;

    /// What the base64 crate's standard engine says of `text`.
    fn by_decoding(text: &[u8]) -> Option<(usize, bool)> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        Some((bytes.len(), bytes.iter().all(|&b| b == 0)))
    }

    #[test]
    fn base64_facts_are_what_decoding_gives() {
        // Every string up to six characters over an alphabet with zero, non-zero, stray
        // bit, padding and foreign characters.
        let alphabet = b"ABQg/+=- ";
        let mut text = Vec::new();
        for len in 0..=6u32 {
            for mut n in 0..alphabet.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                assert_eq!(standard_base64(&text), by_decoding(&text), "{text:?}");
            }
        }
        // Real sizes: GUIDs, SIDs and longer values, zero or not, with every padding.
        let engine = base64::engine::general_purpose::STANDARD;
        for len in [0, 1, 2, 3, 16, 28, 100, 1000] {
            for byte in [0u8, 1, 0x80, 0xFF] {
                let mut bytes = vec![0u8; len];
                if let Some(last) = bytes.last_mut() {
                    *last = byte;
                }
                let text = engine.encode(&bytes);
                assert_eq!(
                    standard_base64(text.as_bytes()),
                    by_decoding(text.as_bytes())
                );
                assert_eq!(
                    standard_base64(text.as_bytes()),
                    Some((len, byte == 0 || len == 0))
                );
            }
        }
    }
}
