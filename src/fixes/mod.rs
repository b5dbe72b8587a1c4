//! Fixes: suggested replacement values, derived from the value itself (strip invalid
//! characters, trim, tidy dots, truncate; a UPN's domain may move to the first accepted
//! domain), and kept only when the result passes every rule of its attribute. Their
//! uniqueness across the run is settled after the stream (`engine::resolve`). This is
//! also where fix files (change LDIF, undo, PowerShell) will be built from findings.

pub mod decisions;
pub mod ldif;
pub mod plan;
pub mod powershell;
pub mod validate;

use crate::checks::{address, Check, CheckContext};
use crate::rules::{domain_may_move, FixKind, ObjectClass, Rule, RuleSet};

/// Derives a replacement from the value by the fixes of its findings, in a fixed
/// order, and keeps it only if every value rule of the attribute then passes.
pub fn suggest(
    rules: &RuleSet,
    ctx: &CheckContext,
    value: &str,
    slot: usize,
    class: ObjectClass,
    rule_ids: &[usize],
) -> Option<String> {
    let fixes: Vec<&Rule> = rule_ids
        .iter()
        .filter_map(|&r| rules.rules.get(r))
        .collect();
    let first_fix = fixes.first()?;
    // The fixes apply to the part of the value the rule looks at (after `smtp:`).
    let filter = first_fix.def.values;
    let (skip, sub) = filter.select(value)?;
    let prefix = &value[..usize::from(skip)];
    let mut s = sub.to_string();
    let has = |k: FixKind| fixes.iter().any(|r| r.def.fix == k);
    if has(FixKind::Trim) {
        s = s.trim().to_string();
    }
    for r in fixes.iter().filter(|r| r.def.fix == FixKind::Strip) {
        if let Check::Value(c) = &r.check {
            s = c.strip(&s)?;
        }
    }
    if has(FixKind::TidyDots) {
        s = tidy_dots(&s);
    }
    if has(FixKind::AcceptedDomain) && domain_may_move(&first_fix.def.attribute) {
        let first = ctx.accepted_domains.first()?;
        let local = address::split_at_last_at(&s).map(|(l, _)| l.to_string())?;
        s = format!("{local}@{first}");
    }
    for r in fixes.iter().filter(|r| r.def.fix == FixKind::Truncate) {
        if let Check::Value(c) = &r.check {
            s = c.truncate(&s)?;
        }
    }
    let candidate = format!("{prefix}{s}");
    if s.trim().is_empty() || candidate == value {
        return None;
    }
    // Only a UPN may be moved into another domain; any other address keeps its own.
    if !domain_may_move(&first_fix.def.attribute) {
        if let Some(before) = address::comparable_domain(sub) {
            if address::comparable_domain(&s).as_ref() != Some(&before) {
                return None;
            }
        }
    }
    passes_value_rules(rules, ctx, &candidate, slot, class).then_some(candidate)
}

/// True when `value` passes every value rule of its attribute (slot) for the class: a
/// suggestion must, or none is given.
pub fn passes_value_rules(
    rules: &RuleSet,
    ctx: &CheckContext,
    value: &str,
    slot: usize,
    class: ObjectClass,
) -> bool {
    !crate::text::has_raw_bytes(value)
        && rules
            .rules
            .iter()
            .filter(|r| r.slot == slot && r.applies_to(class))
            .all(|r| match &r.check {
                Check::Value(c) => r
                    .def
                    .values
                    .select(value)
                    .is_none_or(|(_, sub)| c.check(sub, ctx).is_none()),
                _ => true,
            })
}

/// Removes leading and trailing dots and collapses runs of dots, in the local part of
/// an address (or the whole value when there is no `@`).
pub fn tidy_dots(value: &str) -> String {
    fn tidy(s: &str) -> String {
        s.split('.')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(".")
    }
    match address::split_at_last_at(value) {
        Some((l, d)) => format!("{}@{}", tidy(l), tidy(d)),
        None => tidy(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_dots_in_the_local_part_and_domain() {
        assert_eq!(
            tidy_dots(".john..smith.@contoso.com"),
            "john.smith@contoso.com"
        );
        assert_eq!(tidy_dots("..nick.."), "nick");
    }
}
