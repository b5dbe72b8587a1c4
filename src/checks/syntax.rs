//! `upn` and `smtp_address`: the structure of a sign-in name and of an SMTP address.
//! Characters in `skip` (and those a `charset` rule reports) are left to other rules, so
//! one defect yields one category.

use super::{address, CharClass, CheckContext, ValueCheck};

#[derive(Debug, Clone)]
pub struct Upn {
    pub skip: Option<CharClass>,
}

impl ValueCheck for Upn {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        if address::is_plain_address(value) {
            return None;
        }
        address::upn_format_problem(value, &|c| {
            self.skip.as_ref().is_some_and(|s| s.contains(c))
        })
    }
}

#[derive(Debug, Clone)]
pub struct SmtpAddress {
    pub skip: Option<CharClass>,
}

impl ValueCheck for SmtpAddress {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        if address::is_plain_address(value) {
            return None;
        }
        address::smtp_format_problem(value, &|c| {
            self.skip.as_ref().is_some_and(|s| s.contains(c))
        })
    }
}
