//! From rule text to engine: compiles a rule's `check:` into a [`Check`]. Regexes from
//! rule files are user input: they compile with size limits, so a pathological pattern is
//! a clear error naming the rule, never an exhausted machine.

use super::CheckDef;
use crate::checks::{
    CharClass, Charset, Check, DomainAccepted, DomainRoutable, ExactBytes, MaxBytes, MaxLength,
    NotBlank, Pattern, SmtpAddress, Unique, Upn, ValueCheck,
};
use regex::{Regex, RegexBuilder};
use std::sync::Arc;

/// Most memory a rule's compiled regex may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a rule's check cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CheckDefError {
    #[error("invalid character class `{class}`: {source}")]
    CharClass { class: String, source: regex::Error },
    #[error("invalid regex: {0}")]
    Regex(regex::Error),
    #[error(
        "a charset check needs `allowed`, `forbidden`, `whitespace`, `non_ascii` or `control`"
    )]
    EmptyCharset,
}

/// A regex from a rule file, within the size limits.
fn user_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
}

fn char_class(class: &str) -> Result<CharClass, CheckDefError> {
    user_regex(&format!("^{class}$"))
        .map(|regex| CharClass::from_regex(regex, class))
        .map_err(|source| CheckDefError::CharClass {
            class: class.to_string(),
            source,
        })
}

/// Compiles a rule's check as written into the check the engine runs.
pub fn check(def: &CheckDef, binary: bool) -> Result<Check, CheckDefError> {
    let class = |s: &Option<String>| s.as_deref().map(char_class).transpose();
    let value = |c: Arc<dyn ValueCheck>| Check::Value(c);
    Ok(match def {
        CheckDef::Charset {
            allowed,
            forbidden,
            whitespace,
            non_ascii,
            control,
        } => {
            let cs = Charset::new(
                class(allowed)?,
                class(forbidden)?,
                *whitespace,
                *non_ascii,
                *control,
            );
            if cs.allowed.is_none()
                && cs.forbidden.is_none()
                && !cs.whitespace
                && !cs.non_ascii
                && !cs.control
            {
                return Err(CheckDefError::EmptyCharset);
            }
            value(Arc::new(cs))
        }
        CheckDef::MaxLength { max, part } => value(Arc::new(MaxLength {
            max: *max,
            part: *part,
        })),
        CheckDef::MaxBytes { max, up_to, show } => value(Arc::new(MaxBytes {
            max: *max,
            up_to: *up_to,
            shown: *show,
            binary,
        })),
        CheckDef::ExactBytes { bytes } => value(Arc::new(ExactBytes {
            bytes: *bytes,
            binary,
        })),
        CheckDef::ValueCount { max, up_to } => Check::Count {
            max: *max,
            up_to: *up_to,
        },
        CheckDef::Single { keep } => Check::Single { keep: keep.clone() },
        CheckDef::PresentWhen { when, from } => Check::PresentWhen {
            when: *when,
            from: from.clone(),
        },
        CheckDef::SameAs { attribute } => Check::SameAs {
            attribute: attribute.clone(),
        },
        CheckDef::DomainObjects { max } => Check::DomainObjects { max: *max },
        CheckDef::Pattern { regex, must_match } => value(Arc::new(Pattern::new(
            user_regex(regex).map_err(CheckDefError::Regex)?,
            *must_match,
        ))),
        CheckDef::Required => Check::Required,
        CheckDef::NotBlank => value(Arc::new(NotBlank)),
        CheckDef::Upn { skip } => value(Arc::new(Upn { skip: class(skip)? })),
        CheckDef::SmtpAddress { skip } => value(Arc::new(SmtpAddress { skip: class(skip)? })),
        CheckDef::DomainRoutable { accepted } => value(Arc::new(DomainRoutable {
            accepted: *accepted,
        })),
        CheckDef::DomainAccepted => value(Arc::new(DomainAccepted)),
        CheckDef::Unique {
            namespace,
            per,
            label,
            bytes,
            ignore_zero,
            fallback,
        } => Check::Unique(Unique {
            namespace: namespace.clone(),
            per: *per,
            label: label.clone().unwrap_or_else(|| namespace.clone()),
            binary,
            bytes: *bytes,
            ignore_zero: *ignore_zero,
            fallback: fallback.clone(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathological_regexes_are_refused() {
        let def = CheckDef::Pattern {
            regex: "(a{1000}){1000}".into(),
            must_match: false,
        };
        let e = check(&def, false).unwrap_err().to_string();
        assert!(e.contains("invalid regex"), "{e}");
        let def = CheckDef::Charset {
            allowed: Some("[".into()),
            forbidden: None,
            whitespace: false,
            non_ascii: false,
            control: false,
        };
        assert!(check(&def, false)
            .unwrap_err()
            .to_string()
            .contains("character class"));
    }
}
