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

    /// The type prefix that makes a value one this filter selects (the `promote` fix),
    /// and the one that takes it out again (the `demote` fix).
    pub fn promotion(self) -> Option<(&'static str, &'static str)> {
        match self {
            ValueFilter::Primary => Some(("SMTP:", "smtp:")),
            _ => None,
        }
    }
}
