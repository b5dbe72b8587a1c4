//! Directory values as text, without losing bytes. LDIF values are usually UTF-8, but
//! exports from legacy tools carry Latin-1 or broken bytes. Such a value is decoded with
//! every byte that is not part of valid UTF-8 mapped to one private-use character
//! (U+10FF00 + byte), so checks, the uniqueness index and reports still see one exact,
//! reversible value. Reports show those bytes as U+FFFD and carry the original bytes as
//! base64 beside the value.

use base64::Engine as _;
use std::borrow::Cow;

/// First code point of the range that stands for raw bytes.
const RAW_BASE: u32 = 0x10_FF00;

/// Decodes a value: borrowed when it is UTF-8, escaped (see the module docs) when not.
/// Valid characters of the escape range itself are escaped too (as their bytes), so the
/// mapping stays one to one and reversible.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !has_raw_bytes(s) => Cow::Borrowed(s),
        _ => Cow::Owned(escape(bytes)),
    }
}

/// Like [`decode`], but valid text is kept as it is, escape-range characters included:
/// only bytes that are not UTF-8 are escaped. For text that is not a directory value
/// (a DN being unescaped), where every character was already text.
pub fn decode_escaping_invalid(bytes: &[u8]) -> String {
    escape_with(bytes, |out, s| out.push_str(s))
}

/// Appends valid text, escaping characters of the escape range as their bytes.
fn push_text(out: &mut String, s: &str) {
    for c in s.chars() {
        if raw_byte(c).is_some() {
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                out.push(raw_char(b));
            }
        } else {
            out.push(c);
        }
    }
}

fn escape(bytes: &[u8]) -> String {
    escape_with(bytes, push_text)
}

/// Escapes every byte that is not part of valid UTF-8; `text` appends the valid runs.
fn escape_with(mut bytes: &[u8], text: impl Fn(&mut String, &str)) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                text(&mut out, s);
                return out;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                text(&mut out, std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                for &b in &rest[..bad] {
                    out.push(raw_char(b));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

fn raw_char(b: u8) -> char {
    char::from_u32(RAW_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn raw_byte(c: char) -> Option<u8> {
    u8::try_from(u32::from(c).checked_sub(RAW_BASE)?).ok()
}

/// Lowercase hexadecimal of `bytes` (digests, fingerprints), in one allocation.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// True when the text holds escaped raw bytes (the value was not UTF-8).
#[inline]
pub fn has_raw_bytes(s: &str) -> bool {
    // Every escape is encoded as F4 8F Bx xx: no search unless the lead byte occurs.
    memchr::memchr(0xF4, s.as_bytes()).is_some() && s.chars().any(|c| raw_byte(c).is_some())
}

/// The case-insensitive form values are compared in (uniqueness): ASCII lowercased
/// without allocating when nothing changes, Unicode lowercase otherwise.
pub fn fold(value: &str) -> Cow<'_, str> {
    if value.is_ascii() {
        if value.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(value.to_ascii_lowercase())
        } else {
            Cow::Borrowed(value)
        }
    } else {
        Cow::Owned(value.to_lowercase())
    }
}

/// How many bytes the value had in the source (each escaped raw byte counts one).
pub fn byte_len(s: &str) -> usize {
    if !has_raw_bytes(s) {
        return s.len();
    }
    s.chars()
        .map(|c| match raw_byte(c) {
            Some(_) => 1,
            None => c.len_utf8(),
        })
        .sum()
}

/// The bytes the value had in the source.
pub fn original_bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match raw_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    out
}

/// A binary security identifier (base64 of its bytes) in its string form,
/// `S-1-5-21-...`; `None` when the bytes are not a SID.
pub fn sid_from_base64(b64: &str) -> Option<String> {
    use std::fmt::Write as _;
    let b = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let (&revision, &count) = (b.first()?, b.get(1)?);
    if b.len() != 8 + 4 * usize::from(count) {
        return None;
    }
    let authority = b[2..8].iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
    let mut out = format!("S-{revision}-{authority}");
    for sub in b[8..].chunks_exact(4) {
        let v = u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]]);
        let _ = write!(out, "-{v}");
    }
    Some(out)
}

/// The value as reports show it (raw bytes as U+FFFD) and, when it was not UTF-8, its
/// original bytes as base64.
pub fn for_report(s: &str) -> (String, Option<String>) {
    if !has_raw_bytes(s) {
        return (s.to_string(), None);
    }
    let shown = s
        .chars()
        .map(|c| match raw_byte(c) {
            Some(_) => char::REPLACEMENT_CHARACTER,
            None => c,
        })
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(original_bytes(s));
    (shown, Some(b64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(super::hex(&[]), "");
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&all), want);
    }

    #[test]
    fn utf8_is_borrowed_and_unmarked() {
        assert!(matches!(decode("jörg@x.com".as_bytes()), Cow::Borrowed(_)));
        assert!(!has_raw_bytes("jörg@x.com"));
        assert_eq!(for_report("jörg"), ("jörg".to_string(), None));
    }

    #[test]
    fn latin1_round_trips_exactly() {
        let raw = b"j\xf6rg@contoso.com";
        let text = decode(raw);
        assert!(has_raw_bytes(&text));
        assert_eq!(original_bytes(&text), raw);
        let (shown, b64) = for_report(&text);
        assert_eq!(shown, "j\u{FFFD}rg@contoso.com");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(b64.unwrap())
                .unwrap(),
            raw
        );
    }

    #[test]
    fn characters_of_the_escape_range_stay_distinct_and_exact() {
        let reserved = "a\u{10FF41}".as_bytes();
        let text = decode(reserved);
        assert_eq!(original_bytes(&text), reserved);
        assert_ne!(decode(b"x\xff"), decode("x\u{10FFFF}".as_bytes()));
        assert_eq!(
            original_bytes(&decode("x\u{10FFFF}".as_bytes())),
            "x\u{10FFFF}".as_bytes()
        );
    }

    #[test]
    fn different_bad_bytes_stay_different() {
        assert_ne!(decode(b"j\xf6rg"), decode(b"j\xfcrg"));
        // Truncated sequences and valid text after them.
        for raw in [
            &b"\xe2\x82"[..],
            b"a\xffb\xc3\xa9",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
        ] {
            assert_eq!(original_bytes(&decode(raw)), raw, "{raw:?}");
        }
    }
}
