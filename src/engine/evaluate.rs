//! Evaluate: one entry's decoded values against the scope and every rule that applies to
//! its class; value findings (with their suggestion) and the values the uniqueness index
//! must hold.

use super::decode::{
    decode_for_slot, partial_range, reuse, value_kind, Decoded, DecodedValue, Scratch,
};
use super::index::{self, Holder, IndexKey};
use super::part::{
    part_index, Counted, DomainCount, ObjInfo, ObjectTexts, Part, PartFull, Pending, Reporter,
};
use super::Engine;
use crate::checks::{Check, Typed};
use crate::findings::{Finding, ValueKind};
use crate::model::{Diagnostic, DiagnosticLevel, Entry};
use crate::rules::{ObjectClass, Verdict};
use crate::source::ldif::BlockText;

/// Records that an entry past a size limit is not checked: an error naming the entry,
/// the limit and the flag that raises it (which marks the report incomplete).
fn not_checked(part: &mut Part, file: &str, entry: &Entry, line: u64, what: &str, flag: &str) {
    part.push_diag(Diagnostic {
        level: DiagnosticLevel::Error,
        file: file.to_string(),
        line,
        column: 0,
        message: format!("`{}` was not checked: {what} (raise with {flag})", entry.dn),
        limit: Some(flag.to_string()),
    });
}

/// What one rule found wrong with one decoded value of an entry.
struct Hit {
    /// Index of the rule in the rule set.
    rule: usize,
    /// Index of the value in the entry's decoded values.
    value: usize,
    detail: String,
}

/// A finding about to be recorded for an entry.
struct NewFinding<'a> {
    obj: u32,
    rule: usize,
    /// Line of the value (0 for a missing attribute).
    value_line: u64,
    value: &'a str,
    /// The finding is about an absent value (its `value` is null).
    absent: bool,
    /// What `value` holds when it is not the attribute's text.
    value_kind: Option<ValueKind>,
    detail: &'a str,
    /// Findings on one value share it (and their suggestion's fate).
    value_id: u32,
    /// Values the attribute holds on the object.
    attribute_values: u32,
    suggestion: Option<String>,
    suggestion_keys: Vec<IndexKey>,
    replaces: Option<String>,
}

impl Engine<'_> {
    /// The object's objectGUID as the entry holds it (base64 text; empty when absent).
    pub(crate) fn object_guid<'v>(&self, view: &'v Decoded<'_, '_>) -> &'v str {
        view.slot(self.index.object_guid)
            .first()
            .map_or("", |v| v.text.as_ref())
    }

    /// The DN and objectGUID of the entry being checked, for a finding on it.
    pub(crate) fn texts_of(&self, entry: &Entry, view: &Decoded<'_, '_>) -> ObjectTexts {
        let guid = self.object_guid(view);
        ObjectTexts {
            dn: entry.dn.to_string(),
            guid: (!guid.is_empty()).then(|| guid.to_string()),
        }
    }

    /// Checks one entry. `scratch` carries the allocation of the decoded-values vector
    /// from one entry to the next (a fresh one per entry costs a malloc/free pair).
    pub(crate) fn check_entry<'e>(
        &self,
        block: &BlockText<'e>,
        entry: &'e Entry,
        name: &str,
        part: &mut Part,
        scratch: Scratch,
    ) -> Scratch {
        let mut view = Decoded {
            index: &self.index,
            vals: reuse(scratch.vals),
            ranges: scratch.ranges,
            order: scratch.order,
        };
        if self
            .check_decoded(block, entry, name, part, &mut view)
            .is_err()
        {
            part.push_diag(Diagnostic {
                level: DiagnosticLevel::Error,
                file: name.to_string(),
                line: entry.line,
                column: 0,
                message: format!(
                    "`{}` was not checked: the block holding it outgrew the engine's 4 GiB index",
                    entry.dn
                ),
                limit: None,
            });
        }
        Scratch {
            vals: reuse(view.vals),
            ranges: view.ranges,
            order: view.order,
        }
    }

    fn check_decoded<'e>(
        &self,
        block: &BlockText<'e>,
        entry: &'e Entry,
        name: &str,
        part: &mut Part,
        view: &mut Decoded<'_, 'e>,
    ) -> Result<(), PartFull> {
        if entry.only_adds && self.hold_late(block, entry, name, part) {
            return Ok(());
        }
        if entry.changetype != crate::model::ChangeType::Add {
            *part
                .counts
                .change
                .entry(entry.changetype.as_str())
                .or_default() += 1;
            return Ok(());
        }
        part.counts.objects_read += 1;
        // Decode, once, every value a rule or the scope reads.
        // Ranged parts (`member;range=0-1499`): (slot, first partial part, last part seen).
        let mut ranges: Vec<(usize, Option<usize>, bool)> = Vec::new();
        for (i, a) in entry.attrs.iter().enumerate() {
            if let Some(slot) = self.index.lookup(a.name) {
                if let Some(partial) = (!a.options.is_empty())
                    .then(|| partial_range(a.options))
                    .flatten()
                {
                    let k = match ranges.iter().position(|r| r.0 == slot) {
                        Some(k) => k,
                        None => {
                            ranges.push((slot, None, false));
                            ranges.len() - 1
                        }
                    };
                    let r = &mut ranges[k];
                    if partial {
                        r.1.get_or_insert(i);
                    } else {
                        r.2 = true;
                    }
                }
                let text = decode_for_slot(block, &self.index, slot, entry, i, name, part);
                if let Some(text) = text {
                    if text.len() > self.opts.limits.max_value {
                        let what = format!(
                            "a value of {} is longer than {} bytes",
                            a.name, self.opts.limits.max_value
                        );
                        not_checked(part, name, entry, a.line, &what, "--max-value-bytes");
                        return Ok(());
                    }
                    let typed = match self.index.typed.get(slot) {
                        Some(true) => Typed::of(&text),
                        _ => Typed::UNKNOWN,
                    };
                    view.vals.push(DecodedValue {
                        slot,
                        attr: i,
                        text,
                        typed,
                    });
                }
            }
        }
        view.group();
        let max_values = self.opts.limits.max_values;
        if let Some(slot) = (0..self.index.slots).find(|&s| view.range(s).len() > max_values) {
            let v = &view.slot(slot)[max_values];
            let attr = &entry.attrs[v.attr];
            let what = format!("{} has more than {max_values} values", attr.name);
            not_checked(part, name, entry, attr.line, &what, "--max-values");
            return Ok(());
        }
        let class_vals = view.slot(self.index.object_class);
        let mut few = [""; 8];
        let many: Vec<&str>;
        let classes: &[&str] = if class_vals.len() <= few.len() {
            for (slot, v) in few.iter_mut().zip(class_vals) {
                *slot = v.text.trim();
            }
            &few[..class_vals.len()]
        } else {
            many = class_vals.iter().map(|v| v.text.trim()).collect();
            &many
        };
        let verdict = match self.rules.scope.judge(&entry.dn, classes, &*view) {
            // The sync scope (OU filtering) comes before the pack's exclusions.
            v @ (Verdict::InScope(_) | Verdict::Excluded(_)) => {
                match self.outside_sync_scope(&entry.dn) {
                    Some(reason) => Verdict::Excluded(reason),
                    None => v,
                }
            }
            other => other,
        };
        let class = match verdict {
            Verdict::InScope(c) => c,
            Verdict::OtherClass => {
                *part
                    .counts
                    .skipped
                    .entry("other-object-class".into())
                    .or_default() += 1;
                return Ok(());
            }
            Verdict::Excluded(reason) => {
                match part.counts.skipped.get_mut(reason) {
                    Some(n) => *n += 1,
                    None => {
                        part.counts.skipped.insert(reason.to_string(), 1);
                    }
                }
                return Ok(());
            }
        };
        part.counts.in_scope += 1;
        // The last part (`range=N-*`) completes the attribute; without it the count is a
        // lower bound.
        for i in ranges.iter().filter(|r| !r.2).filter_map(|r| r.1) {
            let a = &entry.attrs[i];
            part.push_diag(Diagnostic {
                level: DiagnosticLevel::Warning,
                file: name.to_string(),
                line: entry.line,
                column: 0,
                message: format!(
                    "`{}` holds only part of {} (`{};{}` at line {}): the export did not \
                     complete the range, so its count is a lower bound",
                    entry.dn, a.name, a.name, a.options, a.line
                ),
                limit: None,
            });
        }
        let texts = part.push_texts(block, &entry.dn, self.object_guid(view))?;
        let obj = part_index(part.objects.len())?;
        part.objects.push(ObjInfo {
            texts,
            class,
            line: entry.line,
        });

        let ctx = self.ctx();
        // (rule, index of the value in `view.vals`, detail) of the value findings.
        let mut hits: Vec<Hit> = Vec::new();
        for (rule_id, rule) in (0..=u16::MAX).zip(&self.rules.rules) {
            let ri = usize::from(rule_id);
            if !rule.applies_to(class) {
                continue;
            }
            let vals = view.range(rule.slot);
            match &rule.check {
                Check::Required => {
                    if vals.is_empty() {
                        self.push_finding(
                            part,
                            entry,
                            view,
                            NewFinding {
                                obj,
                                rule: ri,
                                value_line: 0,
                                value: "",
                                absent: true,
                                value_kind: None,
                                detail: "is missing",
                                value_id: u32::MAX,
                                attribute_values: 0,
                                suggestion: None,
                                suggestion_keys: Vec::new(),
                                replaces: None,
                            },
                        );
                    }
                }
                Check::Unique(u) if u.binary => {
                    let line = |a: usize| entry.attrs[a].line;
                    self.hold_binary(
                        part,
                        view,
                        (block, entry.line),
                        &entry.dn,
                        &line,
                        obj,
                        ri,
                        rule_id,
                        u,
                    )?;
                }
                // Settled after the stream, when later modify records have added theirs.
                Check::Count { .. } => {
                    let n = vals
                        .clone()
                        .filter(|&vi| {
                            let v = &view.vals[vi];
                            rule.def.values.select_typed(&v.text, v.typed).is_some()
                        })
                        .count();
                    if let (Some(first), Ok(count)) =
                        (view.slot(rule.slot).first(), u32::try_from(n))
                    {
                        if n > 0 {
                            part.counted.push(Counted {
                                obj,
                                rule: rule_id,
                                count,
                                line: entry.attrs[first.attr].line,
                            });
                        }
                    }
                }
                Check::Single { .. } | Check::PresentWhen { .. } | Check::SameAs { .. } => {
                    for hit in self.object_check(ri, view, class) {
                        let (value, value_line) = match hit.value {
                            Some(vi) => (
                                view.vals[vi].text.as_ref(),
                                entry.attrs[view.vals[vi].attr].line,
                            ),
                            None => ("", 0),
                        };
                        let value_id = match hit.suggestion {
                            Some(_) => part_index(part.pending.len())?,
                            None => u32::MAX,
                        };
                        self.push_finding(
                            part,
                            entry,
                            view,
                            NewFinding {
                                obj,
                                rule: ri,
                                value_line,
                                value,
                                absent: hit.value.is_none(),
                                value_kind: None,
                                detail: &hit.detail,
                                value_id,
                                attribute_values: u32::try_from(vals.len()).unwrap_or(u32::MAX),
                                // The address stays the same: no new uniqueness to prove.
                                suggestion: hit.suggestion,
                                suggestion_keys: Vec::new(),
                                replaces: hit.replaces,
                            },
                        );
                    }
                }
                Check::DomainObjects { .. } => {
                    let domain = crate::dn::domain(&entry.dn);
                    if !domain.is_empty() {
                        let c =
                            part.domain_counts
                                .entry((ri, domain))
                                .or_insert_with(|| DomainCount {
                                    dn: crate::dn::domain_dn(&entry.dn),
                                    count: 0,
                                    obj,
                                    line: entry.line,
                                });
                        c.count += 1;
                    }
                }
                Check::Unique(_) => {
                    for vi in vals {
                        let DecodedValue {
                            attr, text, typed, ..
                        } = &view.vals[vi];
                        if let Some((skip, sub)) = rule.def.values.select_typed(text, *typed) {
                            if sub.trim().is_empty() {
                                continue;
                            }
                            let ns = self.rule_ns[ri].unwrap_or(0);
                            let hash = if self.per_domain(ri) {
                                // The key `scoped_key` makes, built in one buffer.
                                let mut key = String::with_capacity(entry.dn.len() + sub.len());
                                crate::dn::domain_into(&entry.dn, &mut key);
                                key.push('\u{1}');
                                key.push_str(&index::normalize(sub));
                                index::key_hash(ns, &key)
                            } else {
                                index::value_hash(ns, sub)
                            };
                            let line = entry.attrs[*attr].line;
                            let rec =
                                part.push_value(block, skip, false, (line, entry.line), text)?;
                            part.holders.push(Holder::new(hash, rule_id, obj, rec));
                        }
                    }
                }
                check => {
                    for vi in vals {
                        let v = &view.vals[vi];
                        if let Some((_, sub)) = rule.def.values.select_typed(&v.text, v.typed) {
                            if let Some(detail) = check.check_value(sub, &ctx) {
                                hits.push(Hit {
                                    rule: ri,
                                    value: vi,
                                    detail,
                                });
                            }
                        }
                    }
                }
            }
        }
        if let Some(tenant) = &self.opts.tenant {
            self.predict(tenant, part, entry, class, obj, view)?;
        }
        if hits.is_empty() {
            return Ok(());
        }
        // One suggestion per offending value, shared by all its findings.
        hits.sort_by_key(|h| (h.value, h.rule));
        for group in hits.chunk_by(|a, b| a.value == b.value) {
            let DecodedValue {
                slot, attr, text, ..
            } = &view.vals[group[0].value];
            let rule_ids: Vec<usize> = group.iter().map(|h| h.rule).collect();
            // A value that is not UTF-8 gets no suggestion: a fix built on its escaped
            // text would target bytes the directory does not hold.
            let suggestion = if crate::text::has_raw_bytes(text) {
                None
            } else {
                crate::fixes::suggest(self.rules, &self.ctx(), text, *slot, class, &rule_ids)
            };
            let suggestion_keys = match &suggestion {
                Some(s) => self.namespace_keys(*slot, class, &entry.dn, s),
                None => Vec::new(),
            };
            let value_id = part_index(part.pending.len())?;
            for hit in group {
                let shown = match &self.rules.rules[hit.rule].check {
                    Check::Value(c) => c.shown(text),
                    _ => None,
                };
                self.push_finding(
                    part,
                    entry,
                    view,
                    NewFinding {
                        obj,
                        rule: hit.rule,
                        value_line: entry.attrs[*attr].line,
                        value: shown.as_deref().unwrap_or(text),
                        absent: false,
                        value_kind: value_kind(
                            shown.is_some(),
                            self.rules.rules[hit.rule].def.binary,
                        ),
                        detail: &hit.detail,
                        value_id,
                        attribute_values: u32::try_from(view.range(*slot).len())
                            .unwrap_or(u32::MAX),
                        suggestion: suggestion.clone(),
                        suggestion_keys: suggestion_keys.clone(),
                        replaces: None,
                    },
                );
            }
        }
        Ok(())
    }

    fn push_finding(
        &self,
        part: &mut Part,
        entry: &Entry,
        view: &Decoded<'_, '_>,
        new: NewFinding<'_>,
    ) {
        let rule = &self.rules.rules[new.rule];
        let (value, value_base64) = crate::text::for_report(new.value);
        let message = part.messages.share(render_message(
            &rule.def.message,
            &rule.def.attribute,
            new.detail,
            &entry.dn,
            new.value,
            &|a| {
                self.index
                    .lookup(a)
                    .and_then(|s| view.slot(s).first())
                    .map(|v| v.text.trim().to_string())
            },
        ));
        let finding = Finding {
            value: (!new.absent).then_some(value),
            value_base64,
            value_kind: new.value_kind,
            suggestion: new.suggestion,
            replaces: new.replaces,
            attribute_values: Some(new.attribute_values),
            message,
            value_line: new.value_line,
            ..part.finding_with(new.obj, self.texts_of(entry, view), Reporter::of(rule))
        };
        part.pending.push(Pending {
            finding,
            obj: new.obj,
            rule: new.rule,
            value_id: new.value_id,
            suggestion_keys: new.suggestion_keys,
        });
    }

    /// The uniqueness namespaces (with normalised keys) a suggested value must be new in.
    fn namespace_keys(
        &self,
        slot: usize,
        class: ObjectClass,
        dn: &str,
        value: &str,
    ) -> Vec<IndexKey> {
        let mut keys = Vec::new();
        for (ri, r) in self.rules.rules.iter().enumerate() {
            if r.slot != slot || !r.applies_to(class) {
                continue;
            }
            if let (Some(ns), Some((_, sub))) = (self.rule_ns[ri], r.def.values.select(value)) {
                let domain = self.unique_domain(ri, dn);
                let k = IndexKey {
                    namespace: ns,
                    key: index::scoped_key(domain.as_deref(), sub),
                };
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys
    }
}

/// A rule's message for one finding. Besides `{detail}` and `{attribute}`, a message
/// may say `{domain}` (the DN's AD domain, `corp.example`), `{attr:NAME}` (the object's
/// first NAME value) and `{value:sid}` (a binary SID value as `S-1-5-21-...`). The
/// template is read once: text put in from the directory is never expanded again.
pub(crate) fn render_message(
    template: &str,
    attribute: &str,
    detail: &str,
    dn: &str,
    value: &str,
    attr: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(template.len() + detail.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let token = rest[start..]
            .find('}')
            .map(|end| &rest[start + 1..start + end]);
        let shown = match token {
            Some("detail") => Some(detail.to_string()),
            Some("attribute") => Some(attribute.to_string()),
            Some("domain") => Some(crate::dn::domain(dn)),
            Some("value:sid") => {
                Some(crate::text::sid_from_base64(value).unwrap_or_else(|| value.to_string()))
            }
            Some(t) => t
                .strip_prefix("attr:")
                .map(|name| attr(name).unwrap_or_else(|| format!("<no {name}>"))),
            None => None,
        };
        match (shown, token) {
            (Some(text), Some(t)) => {
                out.push_str(&text);
                rest = &rest[start + t.len() + 2..];
            }
            _ => {
                out.push('{');
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::render_message;

    #[test]
    fn placeholders_expand_once() {
        let attr = |n: &str| (n == "sAMAccountName").then(|| "{attr:sAMAccountName}".to_string());
        let m = render_message(
            "{attribute} {detail}: {attr:sAMAccountName}@{domain} {attr:cn} {x} {",
            "userPrincipalName",
            "is missing {domain}",
            "CN=a,OU=b,DC=Corp,DC=local",
            "",
            &attr,
        );
        assert_eq!(
            m,
            "userPrincipalName is missing {domain}: {attr:sAMAccountName}@corp.local <no cn> {x} {"
        );
        let sid = render_message(
            "{value:sid}",
            "objectSid",
            "",
            "",
            "AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAA6AMAAA==",
            &|_| None,
        );
        assert_eq!(sid, "S-1-5-21-1-2-3-1000");
    }
}
