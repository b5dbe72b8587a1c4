//! `charset`: characters a value may not contain (an allowed class, a forbidden class,
//! whitespace, non-ASCII, control characters). Its fix strips them.

use super::{CheckContext, ValueCheck};
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// A character class compiled from a regex class such as `[A-Za-z0-9._-]`: ASCII
/// membership is a table lookup, the rest asks the regex.
#[derive(Debug, Clone)]
pub struct CharClass {
    ascii: [bool; 128],
    regex: Regex,
    pub source: String,
}

impl CharClass {
    /// A class from its regex, anchored (`^[...]$`) by the caller; `source` is the class as
    /// written.
    pub fn from_regex(regex: Regex, source: &str) -> CharClass {
        let mut ascii = [false; 128];
        let mut buf = [0u8; 4];
        for (b, slot) in (0u8..128).zip(ascii.iter_mut()) {
            *slot = regex.is_match(char::from(b).encode_utf8(&mut buf));
        }
        CharClass {
            ascii,
            regex,
            source: source.to_string(),
        }
    }

    /// A class from text such as `[A-Za-z]` (tests and built-in classes).
    pub fn new(class: &str) -> Result<CharClass, regex::Error> {
        Ok(CharClass::from_regex(
            Regex::new(&format!("^{class}$"))?,
            class,
        ))
    }

    #[inline]
    pub fn contains(&self, c: char) -> bool {
        if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            let mut buf = [0u8; 4];
            self.regex.is_match(c.encode_utf8(&mut buf))
        }
    }
}

/// A character rule: which characters a value may not contain.
#[derive(Debug, Clone)]
pub struct Charset {
    pub allowed: Option<CharClass>,
    pub forbidden: Option<CharClass>,
    pub whitespace: bool,
    pub non_ascii: bool,
    pub control: bool,
    /// `is_bad` for every ASCII character, precomputed: the hot path is a lookup. Bytes
    /// past ASCII are marked too: they send the value to the character-by-character path.
    ascii_bad: [bool; 256],
}

impl Charset {
    pub fn new(
        allowed: Option<CharClass>,
        forbidden: Option<CharClass>,
        whitespace: bool,
        non_ascii: bool,
        control: bool,
    ) -> Charset {
        let mut cs = Charset {
            allowed,
            forbidden,
            whitespace,
            non_ascii,
            control,
            ascii_bad: [true; 256],
        };
        for b in 0..128u8 {
            cs.ascii_bad[b as usize] = cs.is_bad_slow(b as char);
        }
        cs
    }

    /// True when the value has no character the rule rejects.
    #[inline]
    pub fn accepts(&self, value: &str) -> bool {
        // One pass for the usual value: ASCII with no character the rule rejects.
        value.bytes().all(|b| !self.ascii_bad[usize::from(b)])
            || (!value.is_ascii() && value.chars().all(|c| !self.is_bad(c)))
    }

    #[inline]
    pub fn is_bad(&self, c: char) -> bool {
        if c.is_ascii() {
            self.ascii_bad[c as usize]
        } else {
            self.is_bad_slow(c)
        }
    }

    fn is_bad_slow(&self, c: char) -> bool {
        if let Some(a) = &self.allowed {
            if !a.contains(c) {
                return true;
            }
        }
        if let Some(f) = &self.forbidden {
            if f.contains(c) {
                return true;
            }
        }
        (self.whitespace && c.is_whitespace())
            || (self.non_ascii && !c.is_ascii())
            || (self.control && c.is_control())
    }
}

impl ValueCheck for Charset {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        if self.accepts(value) {
            return None;
        }
        let mut bad: Vec<char> = Vec::new();
        for c in value.chars() {
            if self.is_bad(c) && !bad.contains(&c) {
                bad.push(c);
                if bad.len() == 8 {
                    break;
                }
            }
        }
        (!bad.is_empty()).then(|| format!("contains {}", describe_chars(&bad)))
    }

    fn strip(&self, value: &str) -> Option<String> {
        Some(strip_chars(value, self))
    }
}

fn describe_chars(chars: &[char]) -> String {
    let parts: Vec<String> = chars
        .iter()
        .map(|&c| match c {
            ' ' => "a space".to_string(),
            '\t' => "a tab".to_string(),
            c if c.is_control() => format!("control character U+{:04X}", c as u32),
            c if !c.is_ascii() => format!("`{c}` (U+{:04X})", c as u32),
            c => format!("`{c}`"),
        })
        .collect();
    parts.join(", ")
}

/// Removes the characters a charset check rejects. Accented letters are decomposed
/// first, so `Jürgen` becomes `Jurgen` rather than `Jrgen`.
fn strip_chars(value: &str, cs: &Charset) -> String {
    value
        .nfd()
        .filter(|&c| !cs.is_bad(c))
        .collect::<String>()
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_class_ascii_and_unicode() {
        let c = CharClass::new(r"[A-Za-z0-9'._!#^~@-]").unwrap();
        assert!(c.contains('a') && c.contains('-') && c.contains('~'));
        assert!(!c.contains(' ') && !c.contains('ü') && !c.contains('$'));
    }

    #[test]
    fn strip_decomposes_accents() {
        let cs = Charset::new(
            Some(CharClass::new(r"[A-Za-z0-9'._!#^~@-]").unwrap()),
            None,
            false,
            false,
            false,
        );
        assert_eq!(
            cs.strip("Jürgen Groß@contoso.com").unwrap(),
            "JurgenGro@contoso.com"
        );
    }
}
