//! `not_blank`: a value that is present must not be empty or only whitespace.

use super::{CheckContext, ValueCheck};

#[derive(Debug, Clone)]
pub struct NotBlank;

impl ValueCheck for NotBlank {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        value
            .trim()
            .is_empty()
            .then(|| "is empty or only whitespace".to_string())
    }
}
