//! `domain_routable` and `domain_accepted`: the domain after the last `@` ends in a
//! public TLD, and (with the run's accepted domains) is one of the tenant's.

use super::{address, CheckContext, ValueCheck};

#[derive(Debug, Clone)]
pub struct DomainRoutable {
    /// With accepted domains configured, an unaccepted domain fails too.
    pub accepted: bool,
}

impl ValueCheck for DomainRoutable {
    fn check(&self, value: &str, ctx: &CheckContext) -> Option<String> {
        let accepted: &[String] = if self.accepted {
            ctx.accepted_domains
        } else {
            &[]
        };
        address::domain_problem(address::domain_of(value)?, accepted)
    }
}

#[derive(Debug, Clone)]
pub struct DomainAccepted;

impl ValueCheck for DomainAccepted {
    fn check(&self, value: &str, ctx: &CheckContext) -> Option<String> {
        address::unaccepted_domain_problem(address::domain_of(value)?, ctx.accepted_domains)
    }
}
