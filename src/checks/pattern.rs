//! `pattern`: a finding when the value matches a regex (or, with `must_match`, does not).

use super::{CheckContext, ValueCheck};
use regex::Regex;

#[derive(Debug, Clone)]
pub struct Pattern {
    pub regex: Regex,
    pub must_match: bool,
}

impl ValueCheck for Pattern {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        if self.regex.is_match(value) == self.must_match {
            return None;
        }
        Some(if self.must_match {
            format!("does not match `{}`", self.regex.as_str())
        } else {
            format!("matches `{}`", self.regex.as_str())
        })
    }
}
