//! The check kinds a rule can name, compiled for fast evaluation. A leaf: rules compile
//! into these, the engine runs them, fixes ask them for stripped or truncated values.
//!
//! Most kinds check one value on its own: each implements [`ValueCheck`] in a file of its
//! own. A new kind of that sort is a new file here, its `CheckDef` variant in
//! `rules/mod.rs`, one arm in `rules/compile.rs`, and its tests; the engine and the fixes
//! need no change.

pub mod address;
mod blank;
mod bytes;
mod charset;
mod domain;
mod filter;
mod length;
mod pattern;
mod syntax;
mod unique;

pub use blank::NotBlank;
pub use bytes::{base64_len, ExactBytes, MaxBytes, Shown};
pub use charset::{CharClass, Charset};
pub use domain::{DomainAccepted, DomainRoutable};
pub use filter::{Typed, ValueFilter};
pub use length::{LengthPart, MaxLength};
pub use pattern::Pattern;
pub use syntax::{SmtpAddress, Upn};
pub use unique::{Unique, UniquePer};

use std::sync::Arc;

/// What a check needs besides the value.
pub struct CheckContext<'a> {
    pub accepted_domains: &'a [String],
}

/// A check of one value on its own.
pub trait ValueCheck: std::fmt::Debug + Send + Sync {
    /// `Some(detail)` when the value fails: what is wrong, completing the rule's message.
    /// Binary attributes' values come as standard padded base64.
    fn check(&self, value: &str, ctx: &CheckContext) -> Option<String>;

    /// The value without what this check rejects, for the `strip` fix.
    fn strip(&self, _value: &str) -> Option<String> {
        None
    }

    /// The value cut to this check's limit, for the `truncate` fix.
    fn truncate(&self, _value: &str) -> Option<String> {
        None
    }

    /// What the finding shows instead of the value (a photo's size), if anything.
    fn shown(&self, _value: &str) -> Option<String> {
        None
    }
}

/// A compiled check (see `rules::CheckDef` for how rules write them).
#[derive(Debug, Clone)]
pub enum Check {
    /// A check of each value on its own.
    Value(Arc<dyn ValueCheck>),
    /// The attribute must be present.
    Required,
    /// Values must be unique across objects (resolved by the engine's index).
    Unique(Unique),
    /// More than `max` (and at most `up_to`) selected values on one object.
    Count { max: usize, up_to: Option<usize> },
    /// At most one selected value per object; `keep` names the attribute whose value
    /// is the one to keep.
    Single { keep: Option<String> },
    /// When a value `when` selects is present, a selected value must be too; `from`
    /// names the attribute whose value a fix promotes.
    PresentWhen {
        when: ValueFilter,
        from: Option<String>,
    },
    /// The one selected value equals `attribute`'s value, ignoring case.
    SameAs { attribute: String },
    /// More than `max` in-scope objects in one domain (resolved after the stream).
    DomainObjects { max: usize },
}

impl Check {
    /// More than `max` and, with `up_to`, at most `up_to`.
    pub fn over(n: usize, max: usize, up_to: Option<usize>) -> bool {
        n > max && up_to.is_none_or(|u| n <= u)
    }
}

impl Check {
    /// Checks one value; `Some(detail)` describes the problem. `Required` and `Unique`
    /// are not value checks and always pass here.
    pub fn check_value(&self, value: &str, ctx: &CheckContext) -> Option<String> {
        match self {
            Check::Value(c) => c.check(value, ctx),
            _ => None,
        }
    }
}
