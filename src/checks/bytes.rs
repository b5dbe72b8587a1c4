//! `max_bytes`: at most `max` bytes in the value as stored (binary attributes such as
//! thumbnailPhoto or userCertificate count their raw bytes, not their base64 text).

use super::{CheckContext, ValueCheck};

#[derive(Debug, Clone)]
pub struct MaxBytes {
    pub max: usize,
}

impl ValueCheck for MaxBytes {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        let n = crate::text::byte_len(value);
        (n > self.max).then(|| format!("has {n} bytes; the limit is {}", self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_stored_bytes_not_text() {
        let ctx = CheckContext {
            accepted_domains: &[],
        };
        let check = MaxBytes { max: 4 };
        assert_eq!(check.check("abcd", &ctx), None);
        assert!(check.check("abcde", &ctx).unwrap().contains("5 bytes"));
        // `ü` is two bytes in UTF-8.
        assert!(check.check("abcü", &ctx).is_some());
        // Four raw (non-UTF-8) bytes are four bytes, whatever their escaped text takes.
        let raw = crate::text::decode(b"\xff\xfe\xfd\xfc");
        assert_eq!(check.check(&raw, &ctx), None);
    }
}
