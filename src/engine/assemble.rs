//! Report assembly: after the stream, duplicates are resolved, findings sorted into a
//! stable order (independent of threads and block sizes), and the summary counted.

use super::part::Part;
use super::{resolve, Engine};
use crate::checks;
use crate::findings::{InputSummary, Report, RuleSummary, Severity, Summary, ToolInfo};
use crate::model::{Diagnostic, DiagnosticLevel, Unlisted};
use rayon::prelude::*;
use std::collections::BTreeMap;

impl Engine<'_> {
    pub(crate) fn finish(
        &self,
        mut parts: Vec<Part>,
        inputs: Vec<InputSummary>,
        mut diagnostics: Vec<Diagnostic>,
        unlisted: Vec<(String, Unlisted)>,
    ) -> Report {
        // Late modify records join their entries (their holders go into the index) and
        // every count is settled, before duplicates are resolved.
        let late = self.settle_late(&mut parts);
        let mut findings = resolve::resolve(self, &mut parts);
        findings.extend(late);
        resolve::report_changed_files(&mut parts);
        findings
            .par_iter_mut()
            .for_each(|(_, f)| f.fingerprint = f.compute_fingerprint());
        for p in &parts {
            diagnostics.extend(p.diags.iter().cloned());
        }
        // Reader diagnostics first for an input, then by line: stable and thread-independent.
        let order: BTreeMap<String, usize> = inputs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.path.clone(), i))
            .collect();
        // Level and limit only break ties, as `keep_first` orders.
        let report_order = |a: &Diagnostic, b: &Diagnostic| {
            (
                order.get(a.file.as_str()),
                a.line,
                a.column,
                &a.message,
                a.level,
                &a.limit,
            )
                .cmp(&(
                    order.get(b.file.as_str()),
                    b.line,
                    b.column,
                    &b.message,
                    b.level,
                    &b.limit,
                ))
        };
        diagnostics.sort_by(report_order);
        diagnostics.dedup();
        let (unlisted, not_listed) = self.list_first(&mut diagnostics, unlisted);
        let rule_pos: BTreeMap<&str, usize> = self
            .rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.def.id.as_str(), i))
            .collect();
        // Sorted through an index (8 bytes a finding): a stable sort of the findings
        // themselves would borrow half their size again. The numeric part of each key is
        // worked out once; the index breaks ties, so the parallel unstable sort gives
        // the order a stable one would.
        let keys: Vec<_> = findings
            .par_iter()
            .map(|(k, f)| {
                let rule = rule_pos.get(&*f.rule).copied();
                (*k, f.source.line, f.value_line, rule)
            })
            .collect();
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.par_sort_unstable_by(|&a, &b| {
            keys[a]
                .cmp(&keys[b])
                .then_with(|| findings[a].1.value.cmp(&findings[b].1.value))
                .then(a.cmp(&b))
        });
        drop(keys);
        super::permute(&mut findings, &mut order);

        let mut summary = Summary {
            inputs,
            ..Default::default()
        };
        let mut error_objs = rustc_hash::FxHashSet::default();
        let mut any_objs = rustc_hash::FxHashSet::default();
        // Change records per input, now that late modify records joined their entries
        // (an input that failed left no parts: it keeps its zero).
        for i in &mut summary.inputs {
            i.change_records = parts
                .iter()
                .filter(|p| *p.file == *i.path)
                .map(|p| p.counts.change.values().sum::<u64>())
                .sum();
        }
        for p in &parts {
            summary.objects_read += p.counts.objects_read;
            summary.objects_in_scope += p.counts.in_scope;
            for (k, v) in &p.counts.skipped {
                *summary.skipped.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &p.counts.change {
                *summary.change_records.entry(k.to_string()).or_default() += v;
            }
        }
        for (key, f) in &findings {
            any_objs.insert(key.obj_key());
            if f.severity == Severity::Error {
                error_objs.insert(key.obj_key());
            }
            summary.count(f);
        }
        summary.findings_total = findings.len() as u64;
        summary.objects_with_errors = error_objs.len() as u64;
        summary.objects_with_findings = any_objs.len() as u64;
        let mut by_level = |level: &str, n: u64| {
            if n > 0 {
                *summary.diagnostics.entry(level.into()).or_default() += n;
            }
        };
        for d in &diagnostics {
            let level = match d.level {
                DiagnosticLevel::Error => "error",
                DiagnosticLevel::Warning => "warning",
                DiagnosticLevel::Note => "note",
            };
            by_level(level, 1);
        }
        // Counted, not listed: the summary still counts every diagnostic.
        by_level("error", unlisted.errors);
        by_level("warning", unlisted.warnings);
        by_level("note", unlisted.notes);
        summary.diagnostics_not_listed = unlisted.total();
        summary.incomplete = unlisted.errors > 0
            || diagnostics
                .iter()
                .any(|d| d.level == DiagnosticLevel::Error);
        summary.entries_not_checked =
            unlisted.not_checked + diagnostics.iter().filter(|d| d.limit.is_some()).count() as u64;
        // Each input with diagnostics not listed says so (not counted: it is about the
        // list, not the input).
        if !not_listed.is_empty() {
            diagnostics.extend(not_listed);
            diagnostics.sort_by(report_order);
        }
        summary.accepted_domains = self.accepted.clone();
        summary.include_ous = self.opts.include_ous.clone();
        summary.exclude_ous = self.opts.exclude_ous.clone();
        summary.target = self.opts.target.as_str().to_string();
        summary.target_limits = self.rules.target_rules();
        if !self.accepted.is_empty() {
            summary.implicit_accepted_domains = checks::address::IMPLICIT_ACCEPTED_DOMAINS
                .iter()
                .map(|d| d.to_string())
                .collect();
        }

        let mut rules: Vec<RuleSummary> = self
            .rules
            .rules
            .iter()
            .map(|r| RuleSummary {
                id: r.def.id.clone(),
                title: r.def.title.clone(),
                severity: r.def.severity,
                category: r.def.category,
                attribute: r.def.attribute.clone(),
                docs: r.def.docs.clone(),
                fix: r.def.fix.as_str().to_string(),
                findings: summary
                    .findings_by_rule
                    .get(&r.def.id)
                    .copied()
                    .unwrap_or(0),
            })
            .collect();
        if let Some(tenant) = &self.opts.tenant {
            rules.extend(
                crate::tenant::PREDICTIONS
                    .iter()
                    .filter(|p| !self.opts.disabled_predictions.iter().any(|d| d == p.id))
                    .map(|p| RuleSummary {
                        id: p.id.to_string(),
                        title: p.title.to_string(),
                        severity: p.severity,
                        category: p.category,
                        attribute: "(tenant snapshot)".into(),
                        docs: p.docs.to_string(),
                        fix: "none".into(),
                        findings: summary.findings_by_rule.get(p.id).copied().unwrap_or(0),
                    }),
            );
            summary.tenant = Some(tenant_summary(tenant, &findings));
        }
        Report {
            tool: ToolInfo {
                name: "dirready".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            // Set by the command line, which knows when the run started.
            generated_at: None,
            findings: findings.into_iter().map(|(_, f)| f).collect(),
            summary,
            diagnostics,
            rules,
            gate: None,
            selection: None,
            baseline: None,
            exceptions: None,
            redacted: None,
        }
    }
}

/// What the predictions add up to: cloud objects read, matches, conflicts, collisions,
/// and the cloud-only users nothing will match.
fn tenant_summary(
    tenant: &crate::tenant::TenantIndex,
    findings: &[(super::resolve::FKey, crate::findings::Finding)],
) -> crate::findings::TenantSummary {
    use crate::tenant;
    let count = |id: &str| findings.iter().filter(|(_, f)| &*f.rule == id).count() as u64;
    // Cloud objects a hard or soft match takes over.
    let taken: std::collections::HashSet<&str> = findings
        .iter()
        .filter(|(_, f)| &*f.rule == tenant::HARD_MATCH.id || &*f.rule == tenant::SOFT_MATCH.id)
        .flat_map(|(_, f)| f.related.iter().filter_map(|r| r.id.as_deref()))
        .collect();
    let unmatched = tenant
        .kinds()
        .filter(|&(i, kind, synced)| {
            kind == tenant::CloudKind::User
                && !synced
                && tenant
                    .object(i)
                    .is_some_and(|o| !taken.contains(o.id.as_str()))
        })
        .count() as u64;
    crate::findings::TenantSummary {
        files: tenant.counts.files.clone(),
        cloud_users: tenant.counts.users,
        cloud_groups: tenant.counts.groups,
        cloud_contacts: tenant.counts.contacts,
        hard_matches: count(tenant::HARD_MATCH.id),
        soft_matches: count(tenant::SOFT_MATCH.id),
        already_synced: count(tenant::ALREADY_SYNCED.id),
        conflicts: count(tenant::CONFLICT.id),
        ambiguous: count(tenant::AMBIGUOUS.id),
        collisions: count(tenant::COLLISION.id),
        cloud_only_users_unmatched: unmatched,
    }
}

impl Engine<'_> {
    /// Lists the first `max_diagnostics` of each input's diagnostics (sorted in report
    /// order), and all about a whole input (line 0): the rest are counted, with those the
    /// stream already counted (`unlisted`, by input). Returns the counts for all inputs,
    /// and for each input with some not listed a warning saying how many.
    fn list_first(
        &self,
        diagnostics: &mut Vec<Diagnostic>,
        unlisted: Vec<(String, Unlisted)>,
    ) -> (Unlisted, Vec<Diagnostic>) {
        let limit = self.opts.limits.max_diagnostics;
        let mut by_input: BTreeMap<String, Unlisted> = BTreeMap::new();
        for (input, u) in unlisted {
            // One path given twice is one file read twice: its diagnostics are the same
            // twice, and the list keeps them once; so do the counts.
            let e = by_input.entry(input).or_default();
            *e = e.max(&u);
        }
        let mut listed = 0;
        let mut previous: Option<String> = None;
        diagnostics.retain(|d| {
            if previous.as_deref() != Some(d.file.as_str()) {
                previous = Some(d.file.clone());
                listed = 0;
            }
            listed += 1;
            // Problems with the whole input (line 0) are always listed.
            let keep = listed <= limit || d.line == 0;
            if !keep {
                by_input.entry(d.file.clone()).or_default().count(d);
            }
            keep
        });
        let mut all = Unlisted::default();
        let mut notes = Vec::new();
        for (input, u) in by_input {
            if u.total() == 0 {
                continue;
            }
            all.add(&u);
            let counted =
                |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
            let mut kinds: Vec<String> = [
                (u.errors, "error", "errors"),
                (u.warnings, "warning", "warnings"),
                (u.notes, "note", "notes"),
            ]
            .iter()
            .filter(|(n, ..)| *n > 0)
            .map(|&(n, one, many)| counted(n, one, many))
            .collect();
            if u.not_checked > 0 {
                kinds.push(format!(
                    "{} not checked",
                    counted(u.not_checked, "record", "records")
                ));
            }
            notes.push(Diagnostic {
                level: DiagnosticLevel::Warning,
                file: input,
                line: 0,
                column: 0,
                message: format!(
                    "{} of this input {} not listed ({}): the reports list the first {limit} \
                     in line order (raise with --max-diagnostics)",
                    counted(u.total(), "more diagnostic", "more diagnostics"),
                    if u.total() == 1 { "is" } else { "are" },
                    kinds.join(", ")
                ),
                limit: None,
            });
        }
        (all, notes)
    }
}
