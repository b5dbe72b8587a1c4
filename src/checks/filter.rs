//! Which values of an attribute a rule looks at (typed proxy addresses: `smtp:`,
//! primary `SMTP:`, other types).

use serde::{Deserialize, Serialize};

/// Which values of the attribute a rule looks at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ValueFilter {
    /// Every value, whole.
    #[default]
    Any,
    /// Values typed `smtp:` (any case), checked without the prefix.
    Smtp,
    /// Values with a type prefix other than `smtp:` (X500, X400, SIP, ...), whole.
    OtherTyped,
    /// Primary addresses: values typed `SMTP:` in capitals (exactly), checked without
    /// the prefix.
    Primary,
}

/// Which filters select a value, worked out once per value: each rule's filter is then a
/// test of bits instead of another look at the value's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Typed(u8);

impl Typed {
    const SMTP: u8 = 1;
    const PRIMARY: u8 = 2;
    const OTHER: u8 = 4;
    /// Not worked out: filters look at the value itself.
    pub const UNKNOWN: Typed = Typed(0x80);

    pub fn of(value: &str) -> Typed {
        // The three filters in one look at the type prefix (up to the first colon); a
        // test holds this to what `select` says.
        let b = value.as_bytes();
        let Some(colon) = memchr::memchr(b':', b) else {
            return Typed(0);
        };
        let ty = &b[..colon];
        if ty.eq_ignore_ascii_case(b"smtp") {
            Typed(if ty == b"SMTP" {
                Self::SMTP | Self::PRIMARY
            } else {
                Self::SMTP
            })
        } else if !ty.is_empty()
            && ty
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            Typed(Self::OTHER)
        } else {
            Typed(0)
        }
    }
}

impl ValueFilter {
    /// The part of a value a rule looks at: `(prefix length, rest)`, or `None` when the
    /// filter skips the value (`smtp:` values are looked at without their prefix).
    #[inline]
    pub fn select(self, value: &str) -> Option<(u8, &str)> {
        match self {
            ValueFilter::Any => Some((0, value)),
            ValueFilter::Smtp => {
                let b = value.as_bytes();
                (b.len() >= 5 && b[..5].eq_ignore_ascii_case(b"smtp:")).then(|| (5, &value[5..]))
            }
            ValueFilter::OtherTyped => {
                let colon = value.find(':')?;
                let ty = &value[..colon];
                let typed = !ty.is_empty()
                    && ty
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
                (typed && !ty.eq_ignore_ascii_case("smtp")).then_some((0, value))
            }
            ValueFilter::Primary => value.strip_prefix("SMTP:").map(|rest| (5, rest)),
        }
    }

    /// [`select`](Self::select) for a value whose prefix is already known.
    #[inline]
    pub fn select_typed(self, value: &str, typed: Typed) -> Option<(u8, &str)> {
        if typed == Typed::UNKNOWN {
            return self.select(value);
        }
        let has = |bit: u8| typed.0 & bit != 0;
        match self {
            ValueFilter::Any => Some((0, value)),
            // Both prefixes are the five ASCII bytes `smtp:` in some case.
            ValueFilter::Smtp => has(Typed::SMTP).then(|| (5, value.get(5..).unwrap_or(""))),
            ValueFilter::OtherTyped => has(Typed::OTHER).then_some((0, value)),
            ValueFilter::Primary => has(Typed::PRIMARY).then(|| (5, value.get(5..).unwrap_or(""))),
        }
    }

    /// The type prefix that makes a value one this filter selects (the `promote` fix),
    /// and the one that takes it out again (the `demote` fix).
    pub fn promotion(self) -> Option<(&'static str, &'static str)> {
        match self {
            ValueFilter::Primary => Some(("SMTP:", "smtp:")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_typed_selects_what_select_does() {
        let values = [
            "",
            "smtp:",
            "SMTP:",
            "smtp:a@b.c",
            "SMTP:a@b.c",
            "SmTp:a@b.c",
            "X500:/o=x",
            "sip:a@b",
            "x400:c=US;",
            "a@b.c",
            ":x",
            "smtp",
            "ab-c_1:x",
            "a b:x",
            "smt\u{fc}:x",
            "\u{fc}:x",
            "SMTP",
            "smTP:x",
            "sMtp:",
            "SMTP:x:y",
            "x:SMTP:y",
            "smtp :x",
            "X500",
        ];
        let filters = [
            ValueFilter::Any,
            ValueFilter::Smtp,
            ValueFilter::OtherTyped,
            ValueFilter::Primary,
        ];
        for v in values {
            for f in filters {
                assert_eq!(f.select_typed(v, Typed::of(v)), f.select(v), "{f:?} {v:?}");
                assert_eq!(
                    f.select_typed(v, Typed::UNKNOWN),
                    f.select(v),
                    "{f:?} {v:?}"
                );
            }
        }
    }
}
