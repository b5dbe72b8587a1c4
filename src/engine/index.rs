//! The cross-entry uniqueness index: normalised values (not entries) from every block,
//! resolved after the stream ends into duplicate groups.

use rustc_hash::FxHasher;
use std::hash::Hasher;

pub use crate::text::fold as normalize;

/// The index key of a value: normalised, and prefixed with the domain for namespaces
/// compared per domain (a separator no domain contains keeps the two apart).
pub fn scoped_key(domain: Option<&str>, value: &str) -> String {
    match domain {
        None => normalize(value).into_owned(),
        Some(d) => format!("{d}\u{1}{}", normalize(value)),
    }
}

/// The index key of a binary value (base64 of its bytes): exact, never case-folded.
pub fn binary_key(domain: Option<&str>, value: &str) -> String {
    match domain {
        None => value.to_string(),
        Some(d) => format!("{d}\u{1}{value}"),
    }
}

/// A value as the uniqueness index compares it: its namespace and its key (normalised,
/// prefixed with the domain for namespaces compared per domain).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexKey {
    pub namespace: u16,
    pub key: String,
}

impl IndexKey {
    pub fn hash(&self) -> u64 {
        key_hash(self.namespace, &self.key)
    }
}

/// Hash of (namespace, normalised key). Equal hashes are confirmed by comparing keys.
pub fn key_hash(namespace: u16, key: &str) -> u64 {
    bytes_hash(namespace, key.as_bytes())
}

fn bytes_hash(namespace: u16, key: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u16(namespace);
    h.write(key);
    h.write_u8(0xff);
    h.finish()
}

/// The hash of `b` lowercased, in a buffer of `N` bytes (`b` is ASCII and fits).
fn lowered_hash<const N: usize>(namespace: u16, b: &[u8]) -> u64 {
    let mut buf = [0u8; N];
    let lower = &mut buf[..b.len()];
    lower.copy_from_slice(b);
    lower.make_ascii_lowercase();
    bytes_hash(namespace, lower)
}

/// `key_hash(namespace, &normalize(value))` without allocating for short ASCII values.
pub fn value_hash(namespace: u16, value: &str) -> u64 {
    let b = value.as_bytes();
    if b.len() <= 256 && b.is_ascii() {
        // Most values are short: a small buffer to clear.
        if b.len() <= 64 {
            lowered_hash::<64>(namespace, b)
        } else {
            lowered_hash::<256>(namespace, b)
        }
    } else {
        key_hash(namespace, &normalize(value))
    }
}

/// One value held by one object, recorded for the uniqueness index: 16 bytes. What a
/// report needs of it besides (the value as written, its line) is in a value record of
/// its part, read back only for the few holders whose hash is shared (see `part`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Holder {
    /// The key's hash (high 48 bits) and the `unique` rule that indexed the value (low 16
    /// bits): sorting by it brings equal hashes together. 48 bits keep false matches rare
    /// (about one in 10^5 runs at ten million objects), and every match is confirmed by
    /// comparing keys.
    pub key: u64,
    /// The object: its index in its part's `objects` while the block is checked, a
    /// run-wide number once the block ends (see [`RunIndex`]).
    pub obj: u32,
    /// Where the value record is in the part's value records (`part::RecordAt`).
    pub rec: u32,
}

impl Holder {
    pub fn new(hash: u64, rule: u16, obj: u32, rec: u32) -> Holder {
        Holder {
            key: (hash & !0xffff) | u64::from(rule),
            obj,
            rec,
        }
    }
    /// The hash as holders compare it (48 bits).
    pub fn hash(&self) -> u64 {
        self.key & !0xffff
    }
    pub fn rule(&self) -> u16 {
        u16::try_from(self.key & 0xffff).unwrap_or(u16::MAX)
    }
}

/// The run's holders. Each block hands its holders over when it ends, so the index is
/// one list that grows with the directory rather than many that fragment the heap.
#[derive(Default)]
pub(crate) struct RunIndex {
    /// Holders with run-wide object numbers (a part's first object's plus its index).
    pub holders: Vec<Holder>,
    /// The next run-wide object number.
    next_obj: u32,
}

impl RunIndex {
    /// Takes over a block's holders; returns the run-wide number of the block's first
    /// object.
    pub fn take(&mut self, holders: &mut Vec<Holder>, objects: usize) -> u32 {
        let first = self.next_obj;
        // Past u32 would take over four billion objects, more than a directory can hold
        // (a domain's RID pool is 2^30).
        self.next_obj = first.saturating_add(u32::try_from(objects).unwrap_or(u32::MAX));
        self.holders.extend(holders.iter().map(|h| Holder {
            obj: first.saturating_add(h.obj),
            ..*h
        }));
        // The block's list is freed, not kept empty with its capacity.
        *holders = Vec::new();
        first
    }

    /// How many run-wide object numbers were given out.
    pub fn objects(&self) -> u32 {
        self.next_obj
    }
}

/// The 48 bits of a hash that holders keep.
pub fn hash48(hash: u64) -> u64 {
    hash & !0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_keeps_48_bits_of_the_hash_and_its_rule() {
        let h = Holder::new(u64::MAX, 7, 3, 9);
        assert_eq!(h.hash(), hash48(u64::MAX));
        assert_eq!(h.rule(), 7);
        assert_eq!((h.obj, h.rec), (3, 9));
        assert_eq!(std::mem::size_of::<Holder>(), 16);
        // Sorting by key groups equal hashes whatever the rule.
        let mut v = [
            Holder::new(2 << 16, 1, 0, 0),
            Holder::new(1 << 16, 9, 0, 0),
            Holder::new(2 << 16, 0, 0, 0),
        ];
        v.sort();
        assert_eq!(v.map(|h| h.hash() >> 16), [1, 2, 2]);
    }

    #[test]
    fn value_hash_equals_the_hash_of_the_normalised_key() {
        for v in [
            "a@contoso.com",
            "X500:/O=Contoso/CN=A",
            "JSmith",
            "Jürgen@x.com",
            &"A".repeat(300),
        ] {
            assert_eq!(value_hash(3, v), key_hash(3, &normalize(v)), "{v}");
        }
    }
}
