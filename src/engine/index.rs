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
    let mut h = FxHasher::default();
    h.write_u16(namespace);
    h.write(key.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// `key_hash(namespace, &normalize(value))` without allocating for short ASCII values.
pub fn value_hash(namespace: u16, value: &str) -> u64 {
    let b = value.as_bytes();
    if b.len() <= 256 && b.is_ascii() {
        let mut buf = [0u8; 256];
        let lower = &mut buf[..b.len()];
        lower.copy_from_slice(b);
        lower.make_ascii_lowercase();
        // ASCII stays valid UTF-8 when lowercased.
        let key = std::str::from_utf8(lower).unwrap_or_default();
        key_hash(namespace, key)
    } else {
        key_hash(namespace, &normalize(value))
    }
}

/// One value held by one object, recorded for the uniqueness index.
#[derive(Debug, Clone, Copy)]
pub struct Holder {
    pub hash: u64,
    /// Index of the object in its part's `objects`.
    pub obj: u32,
    /// Index of the `unique` rule that indexed the value.
    pub rule: u16,
    /// Bytes of the value's type prefix (`smtp:`) that the key leaves out.
    pub skip: u8,
    /// The value as written, in the part's arena.
    pub off: u32,
    pub len: u32,
    /// Line of the attribute value.
    pub line: u64,
    /// The value came from the rule's fallback attribute.
    pub fallback: bool,
}

/// A reference to a holder: (part, holder index), sortable by hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HolderRef {
    pub hash: u64,
    pub part: u32,
    pub idx: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

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
