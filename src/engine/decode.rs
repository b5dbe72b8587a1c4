//! Decode: the values of an entry that the rules or the scope read, found by attribute
//! name (no allocation per line), decoded once (base64, non-UTF-8 bytes kept exactly) and
//! grouped by attribute slot.

use super::part::Part;
use crate::checks::{Check, Typed, ValueFilter};
use crate::model::{Diagnostic, DiagnosticLevel, Entry, ValueEncoding};
use crate::rules::{AttrValues, RuleSet};
use crate::source::ldif::BlockText;
use std::borrow::Cow;

/// What identifies an attribute name ASCII case-insensitively for the table: its length
/// and its first and last eight bytes (overlapping, or zero-padded when shorter), with
/// bit 0x20 set in every byte. Names equal but for ASCII case have the same key; names
/// with the same key are compared in full.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct NameKey {
    len: usize,
    head: u64,
    tail: u64,
}

impl NameKey {
    /// The key, and the same without folding (the name's bytes as written).
    #[inline]
    fn of(b: &[u8]) -> (NameKey, NameKey) {
        const FOLD: u64 = 0x2020_2020_2020_2020;
        let (head, tail) = if let (Some(h), Some(t)) = (b.first_chunk::<8>(), b.last_chunk::<8>()) {
            (u64::from_le_bytes(*h), u64::from_le_bytes(*t))
        } else {
            let mut w = [0u8; 8];
            for (to, from) in w.iter_mut().zip(b) {
                *to = *from;
            }
            (u64::from_le_bytes(w), 0)
        };
        let raw = NameKey {
            len: b.len(),
            head,
            tail,
        };
        let folded = NameKey {
            len: b.len(),
            head: head | FOLD,
            tail: tail | FOLD,
        };
        (folded, raw)
    }

    #[inline]
    fn spot(&self, mask: usize) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The top bits are the best mixed.
        usize::try_from(h >> 40).unwrap_or(0) & mask
    }
}

/// An attribute name the index knows.
#[derive(Clone, Default)]
struct Known {
    key: NameKey,
    /// The key of the name as the rules spell it, unfolded: a name spelt the same way
    /// up to sixteen bytes long needs no further comparison.
    exact: NameKey,
    /// The name as the rules spell it (empty: a free place in the table).
    name: String,
    slot: usize,
}

/// Maps attribute names to slots without allocating: an open-addressing table keyed by
/// [`NameKey`], a quarter full at most, so that the names no rule reads (most lines of an
/// export) end at a free place after one or two probes.
pub(crate) struct AttrIndex {
    table: Vec<Known>,
    /// Number of slots: the rules' attributes first (a rule's `slot` is its index), then
    /// objectClass, objectGUID and the scope's attributes. There is no fixed limit.
    pub(crate) slots: usize,
    pub(crate) object_class: usize,
    pub(crate) object_guid: usize,
    /// Slots read as bytes (handed to checks as standard base64), by slot.
    pub(crate) binary: Vec<bool>,
    /// Slots a rule reads through a value filter other than `any`: their values' prefixes
    /// are worked out once (see [`Typed`]).
    pub(crate) typed: Vec<bool>,
    /// The slot of each attribute the scope's exclusions read, by its place in
    /// `Scope::attributes` (looked up once, not per object).
    scope_slots: Vec<Option<usize>>,
}

impl AttrIndex {
    /// The index of the attributes the rules read, plus `extra` (name, read as bytes).
    pub(crate) fn new(rules: &RuleSet, extra: &[(&str, bool)]) -> AttrIndex {
        // The rules' attributes come first, so a rule's `slot` is its attribute's slot.
        let mut names = rules.read_attributes();
        for (name, _) in extra {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.to_string());
            }
        }
        let slot_of = |name: &str| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
                .unwrap_or(names.len())
        };
        let object_class = slot_of("objectClass");
        let object_guid = slot_of("objectGUID");
        let size = (names.len() * 4).next_power_of_two().max(64);
        let mut table = vec![Known::default(); size];
        for (slot, n) in names.iter().enumerate() {
            if n.is_empty() {
                continue;
            }
            let (key, exact) = NameKey::of(n.as_bytes());
            let mut at = key.spot(size - 1);
            while !table[at].name.is_empty() {
                at = (at + 1) & (size - 1);
            }
            table[at] = Known {
                key,
                exact,
                name: n.clone(),
                slot,
            };
        }
        let mut typed = vec![false; names.len()];
        for r in &rules.rules {
            let when = match &r.check {
                Check::PresentWhen { when, .. } => *when,
                _ => ValueFilter::Any,
            };
            if r.def.values != ValueFilter::Any || when != ValueFilter::Any {
                if let Some(t) = typed.get_mut(r.slot) {
                    *t = true;
                }
            }
        }
        let mut index = AttrIndex {
            typed,
            table,
            slots: names.len(),
            object_class,
            object_guid,
            binary: names
                .iter()
                .map(|n| {
                    rules.is_binary(n) || extra.iter().any(|(e, b)| *b && e.eq_ignore_ascii_case(n))
                })
                .collect(),
            scope_slots: Vec::new(),
        };
        index.scope_slots = (rules.scope.attributes().iter())
            .map(|a| index.lookup(a))
            .collect();
        index
    }

    #[inline]
    pub(crate) fn lookup(&self, name: &str) -> Option<usize> {
        let b = name.as_bytes();
        let (key, exact) = NameKey::of(b);
        let mask = self.table.len() - 1;
        let mut at = key.spot(mask);
        loop {
            let k = &self.table[at];
            if k.name.is_empty() {
                return None;
            }
            if k.key == key
                && ((b.len() <= 16 && k.exact == exact)
                    || k.name.as_bytes().eq_ignore_ascii_case(b))
            {
                return Some(k.slot);
            }
            at = (at + 1) & mask;
        }
    }
}

/// One value of an entry that a rule or the scope reads, decoded to text.
pub(crate) struct DecodedValue<'e> {
    /// Attribute slot (see [`AttrIndex`]).
    pub(crate) slot: usize,
    /// Index of the attribute line in `Entry::attrs`.
    pub(crate) attr: usize,
    /// The value; bytes that are not UTF-8 are kept escaped (see [`crate::text`]).
    pub(crate) text: Cow<'e, str>,
    /// Which value filters select it (worked out for slots a filtering rule reads).
    pub(crate) typed: Typed,
}

/// Allocations carried from one entry to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) vals: Vec<DecodedValue<'static>>,
    pub(crate) ranges: Vec<(usize, usize)>,
    pub(crate) order: Vec<usize>,
}

/// An emptied vector with another lifetime parameter, keeping its allocation (the
/// in-place `collect` of an empty `into_iter` reuses the buffer).
pub(crate) fn reuse<'a, 'b>(mut v: Vec<DecodedValue<'a>>) -> Vec<DecodedValue<'b>> {
    v.clear();
    // Nothing is mapped (the vector is empty); the collect only changes the lifetime.
    #[allow(clippy::unnecessary_filter_map)]
    v.into_iter()
        .filter_map(|_| None::<DecodedValue<'b>>)
        .collect()
}

/// The decoded values of one entry that rules or the scope read, grouped by slot.
pub(crate) struct Decoded<'a, 'e> {
    pub(crate) index: &'a AttrIndex,
    /// Sorted by slot (then attribute line) after `group`.
    pub(crate) vals: Vec<DecodedValue<'e>>,
    /// Range of `vals` per slot, one entry per slot of the index.
    pub(crate) ranges: Vec<(usize, usize)>,
    /// Where `group` moves each value.
    pub(crate) order: Vec<usize>,
}

impl Decoded<'_, '_> {
    pub(crate) fn group(&mut self) {
        self.ranges.clear();
        self.ranges.resize(self.index.slots, (0, 0));
        // Values arrive in attribute order: a counting sort by slot keeps that order within
        // each slot, moving each value once. (Slots come from the index: all below
        // `slots`.)
        for v in &self.vals {
            self.ranges[v.slot].1 += 1;
        }
        let mut start = 0;
        for r in &mut self.ranges {
            let n = r.1;
            *r = (start, start);
            start += n;
        }
        // Position `order[..]` of the grouped list takes value i.
        self.order.clear();
        self.order.resize(self.vals.len(), 0);
        for (i, v) in self.vals.iter().enumerate() {
            let r = &mut self.ranges[v.slot];
            self.order[r.1] = i;
            r.1 += 1;
        }
        super::permute(&mut self.vals, &mut self.order);
        debug_assert!(self.vals.is_sorted_by_key(|v| (v.slot, v.attr)));
    }

    pub(crate) fn range(&self, slot: usize) -> std::ops::Range<usize> {
        let (a, b) = self.ranges.get(slot).copied().unwrap_or((0, 0));
        a..b
    }

    pub(crate) fn slot(&self, slot: usize) -> &[DecodedValue<'_>] {
        &self.vals[self.range(slot)]
    }
}

impl AttrValues for Decoded<'_, '_> {
    fn any_value(&self, attr: usize, f: &mut dyn FnMut(&str) -> bool) -> bool {
        match self.index.scope_slots.get(attr).copied().flatten() {
            Some(slot) => self.slot(slot).iter().any(|v| f(&v.text)),
            None => false,
        }
    }
}

/// Decodes an attribute value to text; `None` (with a diagnostic) for bad base64
/// and for URL references, which are never fetched.
pub(crate) fn decode<'e>(
    block: &BlockText<'e>,
    entry: &'e Entry,
    i: usize,
    name: &str,
    part: &mut Part,
) -> Option<Cow<'e, str>> {
    let attr = &entry.attrs[i];
    let text = match attr.encoding {
        ValueEncoding::Url => return None,
        ValueEncoding::Plain => match &attr.raw {
            Cow::Borrowed(b) => match block.of(b) {
                // Clean text: nothing to validate, nothing to escape.
                Some(text) => return Some(Cow::Borrowed(text)),
                None => crate::text::decode(b),
            },
            Cow::Owned(b) => Cow::Owned(crate::text::decode(b).into_owned()),
        },
        ValueEncoding::Base64 => match attr.decoded() {
            Ok(bytes) => Cow::Owned(crate::text::decode(&bytes).into_owned()),
            Err(e) => {
                part.push_diag(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: name.to_string(),
                    line: attr.line,
                    column: 0,
                    message: format!(
                        "invalid base64 in the value of {} ({e}); the value was not checked",
                        attr.name
                    ),
                    limit: None,
                });
                return None;
            }
        },
    };
    if crate::text::has_raw_bytes(&text) {
        part.push_diag(Diagnostic {
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
            limit: None,
        });
    }
    Some(text)
}

/// Decodes a value for its slot: as bytes (base64 text) for a binary slot, as text
/// otherwise. `None`, with a diagnostic, for what cannot be decoded.
pub(crate) fn decode_for_slot<'e>(
    block: &BlockText<'e>,
    index: &AttrIndex,
    slot: usize,
    entry: &'e Entry,
    i: usize,
    name: &str,
    part: &mut Part,
) -> Option<Cow<'e, str>> {
    if index.binary.get(slot).copied().unwrap_or(false) {
        decode_binary(entry, i, name, part)
    } else {
        decode(block, entry, i, name, part)
    }
}

/// What a value check's finding shows as its value, when not the value as text: the
/// size the check reports (`show: size`), or the base64 of a binary value.
pub(crate) fn value_kind(shown: bool, binary: bool) -> Option<crate::findings::ValueKind> {
    use crate::findings::ValueKind;
    match (shown, binary) {
        (true, _) => Some(ValueKind::Bytes),
        (false, true) => Some(ValueKind::Base64),
        (false, false) => None,
    }
}

/// A binary value as standard padded base64 (the form checks, the index and reports
/// use): the `::` text without folding whitespace, or a plain value encoded. `None`,
/// with a diagnostic, for base64 that is not valid and for URL references.
pub(crate) fn decode_binary<'e>(
    entry: &'e Entry,
    i: usize,
    name: &str,
    part: &mut Part,
) -> Option<Cow<'e, str>> {
    use base64::Engine as _;
    let attr = &entry.attrs[i];
    match attr.encoding {
        ValueEncoding::Url => None,
        ValueEncoding::Plain => Some(Cow::Owned(
            base64::engine::general_purpose::STANDARD.encode(&attr.raw),
        )),
        ValueEncoding::Base64 => {
            // One pass over the text (a photo's 130 KB): which classes of bytes it holds.
            let classes = byte_classes(&attr.raw);
            let text: Cow<'e, [u8]> = match &attr.raw {
                Cow::Borrowed(b) if classes & SPACE == 0 => Cow::Borrowed(b),
                raw => Cow::Owned(
                    raw.iter()
                        .copied()
                        .filter(|b| !b.is_ascii_whitespace())
                        .collect(),
                ),
            };
            if classes & INVALID != 0 || !padded(&text) {
                part.push_diag(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: name.to_string(),
                    line: attr.line,
                    column: 0,
                    message: format!(
                        "invalid base64 in the value of {}; the value was not checked",
                        attr.name
                    ),
                    limit: None,
                });
                return None;
            }
            // Base64 text is ASCII.
            Some(match text {
                Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).ok()?),
                Cow::Owned(b) => Cow::Owned(String::from_utf8(b).ok()?),
            })
        }
    }
}

const SPACE: u8 = 1;
const INVALID: u8 = 2;

/// The class of each byte in base64 text: 0 for the alphabet and `=`, SPACE for folding
/// whitespace, INVALID for anything else.
static BASE64_CLASS: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut c: u8 = 0;
    loop {
        if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=' {
            t[c as usize] = 0;
        } else if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            t[c as usize] = SPACE;
        }
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    t
};

/// The classes of bytes `b` holds (branch-free, so large values scan fast).
fn byte_classes(b: &[u8]) -> u8 {
    b.iter()
        .fold(0, |acc, &c| acc | BASE64_CLASS[usize::from(c)])
}

/// Whole quanta, with `=` only as the padding of the last one.
fn padded(b: &[u8]) -> bool {
    let body = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    b.len() % 4 == 0 && memchr::memchr(b'=', body).is_none()
}

/// Standard padded base64, checked without decoding.
#[cfg(test)]
fn is_base64(b: &[u8]) -> bool {
    byte_classes(b) == 0 && padded(b)
}

/// The range an attribute's options name (`range=0-1499`): `Some(true)` for a part that
/// is not the last, `Some(false)` for the last one (`range=1500-*`), `None` without one.
pub(crate) fn partial_range(options: &str) -> Option<bool> {
    options.split(';').find_map(|o| {
        (o.len() > 6 && o[..6].eq_ignore_ascii_case("range=")).then(|| {
            o[6..]
                .split_once('-')
                .is_some_and(|(_, hi)| hi.trim() != "*")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_base64() {
        assert_eq!(partial_range("range=0-1499"), Some(true));
        assert_eq!(partial_range("binary;Range=1500-2999"), Some(true));
        assert_eq!(partial_range("range=1500-*"), Some(false));
        assert_eq!(partial_range("binary"), None);
        assert_eq!(partial_range(""), None);
        assert!(is_base64(b"AAECAw=="));
        assert!(is_base64(b"AAECAwQ="));
        assert!(is_base64(b""));
        assert!(!is_base64(b"AAECAw="));
        assert!(!is_base64(b"AA=CAw=="));
        assert!(!is_base64(b"AAE*"));
    }

    #[test]
    fn lookup_is_a_case_insensitive_match_of_whole_names() {
        let rules = RuleSet::builtin().unwrap();
        let index = AttrIndex::new(&rules, &[]);
        let known = rules.read_attributes();
        for (slot, name) in known.iter().enumerate() {
            assert_eq!(index.lookup(name), Some(slot), "{name}");
            assert_eq!(index.lookup(&name.to_uppercase()), Some(slot), "{name}");
            assert_eq!(index.lookup(&name.to_lowercase()), Some(slot), "{name}");
            // Same length and ends, another middle; one byte more or less.
            if name.len() > 16 {
                let mut other = name.clone().into_bytes();
                other[12] ^= 0x01;
                let other = String::from_utf8(other).unwrap();
                if !known.iter().any(|k| k.eq_ignore_ascii_case(&other)) {
                    assert_eq!(index.lookup(&other), None, "{other}");
                }
            }
            assert_eq!(
                index.lookup(&format!("{name}x")).is_some(),
                known
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&format!("{name}x")))
            );
            assert_eq!(
                index.lookup(&name[..name.len() - 1]).is_some(),
                known
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&name[..name.len() - 1]))
            );
        }
        for other in [
            "",
            "x",
            "mai\u{fc}",
            "userPrincipalNamf",
            "cN",
            "\u{fc}serPrincipalName",
        ] {
            let expected = known.iter().position(|k| k.eq_ignore_ascii_case(other));
            assert_eq!(index.lookup(other), expected, "{other}");
        }
    }

    #[test]
    fn names_alike_in_the_table_key_are_told_apart() {
        let rules = RuleSet::builtin().unwrap();
        // Same length, first and last eight bytes; bytes that differ only in bit 0x20
        // without being letters; short names, one a prefix of another.
        let extra = [
            ("extensionAaaaAttribute9", false),
            ("extensionAbbbAttribute9", false),
            ("x@y", false),
            ("ab", false),
            ("abc", false),
        ];
        let index = AttrIndex::new(&rules, &extra);
        let slots: Vec<Option<usize>> = extra.iter().map(|(n, _)| index.lookup(n)).collect();
        assert!(slots.iter().all(Option::is_some), "{slots:?}");
        let mut distinct = slots.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), extra.len());
        assert_eq!(index.lookup("EXTENSIONabbbATTRIBUTE9"), slots[1]);
        for other in [
            "extensionAcccAttribute9",
            "x`y",
            "X`Y",
            "a",
            "abcd",
            "aB\u{0}",
        ] {
            assert_eq!(index.lookup(other), None, "{other}");
        }
    }

    #[test]
    fn reuse_keeps_the_allocation() {
        let mut v: Vec<DecodedValue<'static>> = Vec::with_capacity(16);
        v.push(DecodedValue {
            slot: 1,
            attr: 2,
            text: Cow::Borrowed("x"),
            typed: Typed::UNKNOWN,
        });
        let ptr = v.as_ptr() as usize;
        let w: Vec<DecodedValue<'_>> = reuse(v);
        assert!(w.is_empty());
        assert!(w.capacity() >= 16);
        assert_eq!(w.as_ptr() as usize, ptr);
    }
}
