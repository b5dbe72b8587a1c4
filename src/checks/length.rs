//! `max_length`: at most `max` characters in the value, or in its local or domain part.
//! Its fix truncates.

use super::{address, CheckContext, ValueCheck};
use serde::{Deserialize, Serialize};

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

/// A length limit.
#[derive(Debug, Clone)]
pub struct MaxLength {
    pub max: usize,
    pub part: LengthPart,
}

impl ValueCheck for MaxLength {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        let max = self.max;
        if value.len() <= max {
            return None; // never more characters than bytes
        }
        let (n, what) = match self.part {
            LengthPart::Value => (value.chars().count(), "characters"),
            LengthPart::Local => {
                let (l, _) = address::split_at_last_at(value)?;
                (l.chars().count(), "characters before the `@`")
            }
            LengthPart::Domain => {
                let (_, d) = address::split_at_last_at(value)?;
                (d.chars().count(), "characters after the `@`")
            }
        };
        (n > max).then(|| format!("has {n} {what}; the limit is {max}"))
    }

    fn truncate(&self, value: &str) -> Option<String> {
        truncate(value, self.max, self.part)
    }
}

/// Cuts a value (or its local part) to `max` characters.
fn truncate(value: &str, max: usize, part: LengthPart) -> Option<String> {
    let cut = |s: &str| s.chars().take(max).collect::<String>();
    match part {
        LengthPart::Value => Some(cut(value)),
        LengthPart::Local => {
            let (l, d) = address::split_at_last_at(value)?;
            Some(format!("{}@{d}", cut(l).trim_end_matches('.')))
        }
        LengthPart::Domain => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_the_value_or_the_local_part() {
        assert_eq!(
            truncate("abcdef@x.com", 3, LengthPart::Local).unwrap(),
            "abc@x.com"
        );
        assert_eq!(truncate("abcdef", 3, LengthPart::Value).unwrap(), "abc");
        assert_eq!(truncate("abcdef@x.com", 3, LengthPart::Domain), None);
    }
}
