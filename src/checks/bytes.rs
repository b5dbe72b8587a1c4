//! `max_bytes` and `exact_bytes`: the size of a value as stored. Binary attributes
//! (thumbnailPhoto, userCertificate, GUIDs) reach checks as their base64 text (see
//! `rules::RuleDef::binary`), so their size is the decoded size, never the text's.

use super::{CheckContext, ValueCheck};
use serde::{Deserialize, Serialize};

/// What a size finding shows as its value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    /// The value itself (base64 for binary attributes).
    #[default]
    Value,
    /// The value's size in bytes, as a decimal string (a photo's bytes say nothing to a reader).
    Size,
}

/// Bytes of a value as stored: decoded bytes for a binary attribute's base64 text, the
/// source bytes for text (each escaped raw byte counts one).
pub fn stored_len(value: &str, binary: bool) -> usize {
    if binary {
        base64_len(value)
    } else {
        crate::text::byte_len(value)
    }
}

/// Decoded length of standard, padded base64 text (the engine hands binary values over
/// in that form).
pub fn base64_len(b64: &str) -> usize {
    let b = b64.as_bytes();
    let pad = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    (b.len() / 4 * 3).saturating_sub(pad)
}

/// More than `max` bytes (and, with `up_to`, at most `up_to`: a stricter rule reports
/// the larger ones).
#[derive(Debug, Clone)]
pub struct MaxBytes {
    pub max: usize,
    pub up_to: Option<usize>,
    pub shown: Shown,
    pub binary: bool,
}

impl ValueCheck for MaxBytes {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        let n = stored_len(value, self.binary);
        super::Check::over(n, self.max, self.up_to)
            .then(|| format!("has {n} bytes; the limit is {}", self.max))
    }

    fn shown(&self, value: &str) -> Option<String> {
        (self.shown == Shown::Size).then(|| stored_len(value, self.binary).to_string())
    }
}

/// Exactly `bytes` bytes (a GUID is 16).
#[derive(Debug, Clone)]
pub struct ExactBytes {
    pub bytes: usize,
    pub binary: bool,
}

impl ValueCheck for ExactBytes {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        let n = stored_len(value, self.binary);
        (n != self.bytes).then(|| format!("has {n} bytes instead of {}", self.bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: CheckContext = CheckContext {
        accepted_domains: &[],
    };

    fn max(max: usize, up_to: Option<usize>, binary: bool) -> MaxBytes {
        MaxBytes {
            max,
            up_to,
            shown: Shown::Value,
            binary,
        }
    }

    #[test]
    fn counts_stored_bytes_not_text() {
        let check = max(4, None, false);
        assert_eq!(check.check("abcd", &CTX), None);
        assert!(check.check("abcde", &CTX).unwrap().contains("5 bytes"));
        // `ü` is two bytes in UTF-8.
        assert!(check.check("abcü", &CTX).is_some());
        // Four raw (non-UTF-8) bytes are four bytes, whatever their escaped text takes.
        let raw = crate::text::decode(b"\xff\xfe\xfd\xfc");
        assert_eq!(check.check(&raw, &CTX), None);
    }

    #[test]
    fn binary_values_count_their_decoded_bytes() {
        use base64::Engine as _;
        let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]);
        for n in [0, 1, 2, 3, 4, 5, 16, 10_241] {
            assert_eq!(base64_len(&b64(n)), n);
        }
        let check = max(10, Some(20), true);
        assert_eq!(check.check(&b64(10), &CTX), None);
        assert!(check.check(&b64(11), &CTX).unwrap().contains("11 bytes"));
        assert!(check.check(&b64(20), &CTX).is_some());
        assert_eq!(
            check.check(&b64(21), &CTX),
            None,
            "past up_to: another rule's"
        );
        let sized = MaxBytes {
            shown: Shown::Size,
            ..check
        };
        assert_eq!(sized.shown(&b64(15)).as_deref(), Some("15"));
        let exact = ExactBytes {
            bytes: 16,
            binary: true,
        };
        assert_eq!(exact.check(&b64(16), &CTX), None);
        assert!(exact.check(&b64(15), &CTX).unwrap().contains("15 bytes"));
        assert!(exact.check(&b64(17), &CTX).is_some());
    }
}
