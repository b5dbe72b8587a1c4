//! The typed checks a rule can name, compiled for fast evaluation. A leaf: rules
//! compile into these, the engine runs them, fixes read them.

pub mod address;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What a check needs besides the value.
pub struct CheckContext<'a> {
    pub accepted_domains: &'a [String],
}

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
    /// `is_bad` for every ASCII character, precomputed: the hot path is a lookup.
    ascii_bad: [bool; 128],
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
            ascii_bad: [false; 128],
        };
        for b in 0..128u8 {
            cs.ascii_bad[b as usize] = cs.is_bad_slow(b as char);
        }
        cs
    }

    /// True when the value has no character the rule rejects.
    #[inline]
    pub fn accepts(&self, value: &str) -> bool {
        if value.is_ascii() {
            value.bytes().all(|b| !self.ascii_bad[b as usize])
        } else {
            value.chars().all(|c| !self.is_bad(c))
        }
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

/// Which part of a value a length limit applies to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LengthPart {
    #[default]
    Value,
    /// Before the last `@`.
    Local,
    /// After the last `@`.
    Domain,
}

/// Where a `unique` check's values must be unique.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UniquePer {
    /// Across every in-scope object of the run (all inputs are one tenant).
    #[default]
    Run,
    /// Among objects of the same Active Directory domain (the DN's trailing `DC=` parts).
    Domain,
}

/// A compiled check (see `rules::CheckDef` for how rules write them).
#[derive(Debug, Clone)]
pub enum Check {
    Charset(Box<Charset>),
    MaxLength {
        max: usize,
        part: LengthPart,
    },
    Pattern {
        regex: Regex,
        must_match: bool,
    },
    Required,
    NotBlank,
    Upn {
        skip: Option<CharClass>,
    },
    SmtpAddress {
        skip: Option<CharClass>,
    },
    DomainRoutable {
        accepted: bool,
    },
    DomainAccepted,
    Unique {
        namespace: String,
        per: UniquePer,
        label: String,
    },
}

impl Check {
    /// Checks one value; `Some(detail)` describes the problem. `Required` and `Unique`
    /// are not value checks and always pass here.
    pub fn check_value(&self, value: &str, ctx: &CheckContext) -> Option<String> {
        match self {
            Check::Charset(cs) => {
                if cs.accepts(value) {
                    return None;
                }
                let mut bad: Vec<char> = Vec::new();
                for c in value.chars() {
                    if cs.is_bad(c) && !bad.contains(&c) {
                        bad.push(c);
                        if bad.len() == 8 {
                            break;
                        }
                    }
                }
                if bad.is_empty() {
                    None
                } else {
                    Some(format!("contains {}", describe_chars(&bad)))
                }
            }
            Check::MaxLength { max, part } => {
                if value.len() <= *max {
                    return None; // never more characters than bytes
                }
                let (n, what) = match part {
                    LengthPart::Value => (value.chars().count(), "characters"),
                    LengthPart::Local => match address::split_at_last_at(value) {
                        Some((l, _)) => (l.chars().count(), "characters before the `@`"),
                        None => return None,
                    },
                    LengthPart::Domain => match address::split_at_last_at(value) {
                        Some((_, d)) => (d.chars().count(), "characters after the `@`"),
                        None => return None,
                    },
                };
                (n > *max).then(|| format!("has {n} {what}; the limit is {max}"))
            }
            Check::Pattern { regex, must_match } => {
                if regex.is_match(value) != *must_match {
                    Some(if *must_match {
                        format!("does not match `{}`", regex.as_str())
                    } else {
                        format!("matches `{}`", regex.as_str())
                    })
                } else {
                    None
                }
            }
            Check::NotBlank => value
                .trim()
                .is_empty()
                .then(|| "is empty or only whitespace".to_string()),
            Check::Upn { .. } | Check::SmtpAddress { .. } if address::is_plain_address(value) => {
                None
            }
            Check::Upn { skip } => address::upn_format_problem(value, &|c| {
                skip.as_ref().is_some_and(|s| s.contains(c))
            }),
            Check::SmtpAddress { skip } => address::smtp_format_problem(value, &|c| {
                skip.as_ref().is_some_and(|s| s.contains(c))
            }),
            Check::DomainRoutable { accepted } => address::domain_of(value).and_then(|d| {
                address::domain_problem(d, if *accepted { ctx.accepted_domains } else { &[] })
            }),
            Check::DomainAccepted => address::domain_of(value)
                .and_then(|d| address::unaccepted_domain_problem(d, ctx.accepted_domains)),
            Check::Required | Check::Unique { .. } => None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_class_ascii_and_unicode() {
        let c = CharClass::new(r"[A-Za-z0-9'._!#^~@-]").unwrap();
        assert!(c.contains('a') && c.contains('-') && c.contains('~'));
        assert!(!c.contains(' ') && !c.contains('ü') && !c.contains('$'));
    }
}
