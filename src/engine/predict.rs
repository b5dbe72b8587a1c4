//! Predictions against a tenant snapshot (tenant-match.md): for each in-scope object as it
//! streams past, the cloud object the first sync will take over (hard or soft match),
//! the matches it cannot make (conflicts, ambiguities) and the addresses a cloud object
//! already holds (collisions). The snapshot is indexed before the scan, so this needs no
//! pass of its own.

use super::decode::Decoded;
use super::part::{ObjectTexts, Part, PartFull, Pending, Reporter};
use super::Engine;
use crate::findings::{Finding, Related, SourceRef, ValueKind};
use crate::model::Entry;
use crate::rules::ObjectClass;
use crate::tenant::{self, CloudKind, Hit, Prediction, TenantIndex};
use base64::Engine as _;

/// The attributes predictions read (name, read as bytes).
pub(crate) const ATTRIBUTES: &[(&str, bool)] = &[
    ("userPrincipalName", false),
    ("mail", false),
    ("proxyAddresses", false),
    ("targetAddress", false),
    ("mS-DS-ConsistencyGuid", true),
    ("objectGUID", true),
    ("objectSid", true),
];

/// One on-premises value a prediction is about: attribute, value as written, line.
#[derive(Clone, Copy)]
struct Val<'v> {
    attribute: &'static str,
    value: &'v str,
    line: u64,
}

/// A prediction about to become a finding.
struct Predicted<'v> {
    rule: Prediction,
    on: Val<'v>,
    value_kind: Option<ValueKind>,
    related: Vec<Related>,
    message: String,
}

fn related(h: &Hit) -> Related {
    Related {
        dn: "".into(),
        id: Some(h.object.id.clone()),
        kind: Some(h.object.kind.as_str().to_string()),
        attribute: h.attribute.as_str().into(),
        value: h.value.as_str().into(),
        value_base64: None,
        source: SourceRef {
            file: h.object.file.as_str().into(),
            line: 0,
        },
    }
}

fn describe(h: &Hit) -> String {
    format!(
        "cloud {} {} ({} {})",
        h.object.kind.as_str(),
        h.object.id,
        h.attribute.as_str(),
        h.value
    )
}

/// Distinct cloud objects among hits (first hit of each kept).
fn distinct(hits: Vec<Hit>) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    for h in hits {
        if !out.iter().any(|o| o.object.index == h.object.index) {
            out.push(h);
        }
    }
    out
}

/// The 16 bytes of a base64 GUID, when it is one and not all zero.
fn usable_guid(b64: &str, exact: bool) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .is_ok_and(|b| (!exact || b.len() == 16) && b.iter().any(|&x| x != 0))
}

impl Engine<'_> {
    fn values<'v>(
        &self,
        view: &'v Decoded<'_, '_>,
        entry: &Entry,
        name: &'static str,
    ) -> Vec<Val<'v>> {
        match self.index.lookup(name) {
            Some(slot) => view
                .slot(slot)
                .iter()
                .filter(|v| !v.text.trim().is_empty())
                .map(|v| Val {
                    attribute: name,
                    value: v.text.as_ref(),
                    line: entry.attrs[v.attr].line,
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// Predicts what the first sync does with this object and records the findings.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn predict(
        &self,
        tenant: &TenantIndex,
        part: &mut Part,
        entry: &Entry,
        class: ObjectClass,
        obj: u32,
        view: &Decoded<'_, '_>,
    ) -> Result<(), PartFull> {
        let upn = self.values(view, entry, "userPrincipalName");
        let mail = self.values(view, entry, "mail");
        let proxies = self.values(view, entry, "proxyAddresses");
        let targets = self.values(view, entry, "targetAddress");
        let proxy_values: Vec<&str> = proxies.iter().map(|p| p.value).collect();
        let primary: Option<(Val, &str)> =
            match tenant::primary_smtp(&proxy_values, mail.first().map(|m| m.value)) {
                Some((Some(i), address)) => Some((proxies[i], address)),
                Some((None, m)) => mail.first().map(|v| (*v, m.trim())),
                None => None,
            };
        let mut out: Vec<Predicted> = Vec::new();
        // The cloud objects steps 1, 2 and 5 name: not collisions.
        let mut named: Vec<u32> = Vec::new();
        match class {
            ObjectClass::User | ObjectClass::InetOrgPerson => {
                self.predict_user(
                    tenant,
                    view,
                    entry,
                    upn.first().copied(),
                    primary,
                    &mut out,
                    &mut named,
                );
            }
            ObjectClass::Group | ObjectClass::Contact => {
                let smtp_proxy = proxies
                    .iter()
                    .any(|p| tenant::smtp_address(p.value).is_some());
                if mail.is_empty() && !smtp_proxy {
                    // Not mail-enabled: takes part in nothing here.
                    return Ok(());
                }
                self.predict_mail_enabled(
                    tenant, view, entry, class, primary, &mut out, &mut named,
                );
            }
        }
        // Collisions: every value of the SMTP namespace held by another cloud object.
        let mut namespace: Vec<(Val, &str)> = Vec::new();
        namespace.extend(upn.iter().map(|v| (*v, v.value.trim())));
        namespace.extend(mail.iter().map(|v| (*v, v.value.trim())));
        namespace.extend(
            proxies
                .iter()
                .chain(&targets)
                .filter_map(|v| tenant::smtp_address(v.value).map(|a| (*v, a))),
        );
        // One finding per attribute and address (`SMTP:x` and `smtp:X` are one value).
        let mut seen: Vec<(&str, String)> = Vec::new();
        for (val, address) in namespace {
            let key = (
                val.attribute,
                crate::text::fold(address.trim()).into_owned(),
            );
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let others: Vec<Hit> = distinct(tenant.by_address(address))
                .into_iter()
                .filter(|h| !named.contains(&h.object.index))
                .collect();
            if others.is_empty() {
                continue;
            }
            let message = format!(
                "{} {} is already held by {}: Entra reports AttributeValueMustBeUnique and keeps it off this object",
                val.attribute,
                address.trim(),
                others.iter().map(describe).collect::<Vec<_>>().join(" and ")
            );
            out.push(Predicted {
                rule: tenant::COLLISION,
                on: val,
                value_kind: None,
                related: others.iter().map(related).collect(),
                message,
            });
        }
        for p in out {
            self.push_prediction(part, obj, self.texts_of(entry, view), p)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn predict_user<'v>(
        &self,
        tenant: &TenantIndex,
        view: &'v Decoded<'_, '_>,
        entry: &Entry,
        upn: Option<Val<'v>>,
        primary: Option<(Val<'v>, &'v str)>,
        out: &mut Vec<Predicted<'v>>,
        named: &mut Vec<u32>,
    ) {
        // The effective source anchor (m365-sync-limits.md).
        let guid = self.values(view, entry, "mS-DS-ConsistencyGuid");
        let anchor = guid
            .iter()
            .find(|v| usable_guid(v.value, true))
            .map(|v| Val {
                attribute: "mS-DS-ConsistencyGuid",
                ..*v
            })
            .or_else(|| {
                self.values(view, entry, "objectGUID")
                    .into_iter()
                    .find(|v| usable_guid(v.value, false))
            });
        // 1. Hard match.
        if let Some(a) = anchor {
            if let Some(h) = tenant.by_immutable_id(a.value).into_iter().next() {
                named.push(h.object.index);
                out.push(Predicted {
                    rule: tenant::HARD_MATCH,
                    on: a,
                    value_kind: Some(ValueKind::Base64),
                    message: format!(
                        "The first sync takes over {}: its onPremisesImmutableId is this object's source anchor",
                        describe(&h)
                    ),
                    related: vec![related(&h)],
                });
                return;
            }
        }
        // 2. Soft-match candidates by UPN and by primary SMTP address.
        let by_upn = upn
            .map(|u| distinct(tenant.by_upn(u.value)))
            .unwrap_or_default();
        let by_primary = primary
            .map(|(_, a)| distinct(tenant.by_primary(CloudKind::User, a)))
            .unwrap_or_default();
        let candidates = distinct(by_upn.iter().chain(&by_primary).cloned().collect());
        let Some(first) = candidates.first() else {
            return;
        };
        named.extend(candidates.iter().map(|c| c.object.index));
        if candidates.len() > 1 {
            let on = upn.or(primary.map(|p| p.0));
            if let Some(on) = on {
                out.push(Predicted {
                    rule: tenant::AMBIGUOUS,
                    on: Val { attribute: if upn.is_some() { "userPrincipalName" } else { on.attribute }, ..on },
                    value_kind: None,
                    message: format!(
                        "Two cloud users could be this object's match, {}: Entra ID cannot soft-match (InvalidSoftMatch)",
                        candidates.iter().map(describe).collect::<Vec<_>>().join(" and ")
                    ),
                    related: candidates.iter().map(related).collect(),
                });
            }
            return;
        }
        // The key that found it: userPrincipalName when both did.
        let found_by_upn = by_upn.iter().any(|h| h.object.index == first.object.index);
        let on = match (found_by_upn, upn, primary) {
            (true, Some(u), _) => u,
            (_, _, Some((p, _))) => p,
            (_, Some(u), None) => u,
            (_, None, None) => return,
        };
        let c = &first.object;
        if !c.synced && c.immutable_id.is_none() {
            out.push(Predicted {
                rule: tenant::SOFT_MATCH,
                on,
                value_kind: None,
                message: format!(
                    "The first sync takes over {}, cloud-only, matched by {}",
                    describe(first),
                    on.attribute
                ),
                related: vec![related(first)],
            });
        } else {
            let why = match (&c.immutable_id, c.synced) {
                (Some(i), _) => {
                    format!("its onPremisesImmutableId is {i}, not this object's source anchor")
                }
                (None, _) => "it is synchronized from another directory".to_string(),
            };
            out.push(Predicted {
                rule: tenant::CONFLICT,
                on,
                value_kind: None,
                message: format!(
                    "{} has this object's {} but {why}: Entra reports InvalidSoftMatch and the object does not sync",
                    describe(first),
                    on.attribute
                ),
                related: vec![related(first)],
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn predict_mail_enabled<'v>(
        &self,
        tenant: &TenantIndex,
        view: &'v Decoded<'_, '_>,
        entry: &Entry,
        class: ObjectClass,
        primary: Option<(Val<'v>, &'v str)>,
        out: &mut Vec<Predicted<'v>>,
        named: &mut Vec<u32>,
    ) {
        let Some((on, address)) = primary else {
            return;
        };
        let kind = if class == ObjectClass::Group {
            CloudKind::Group
        } else {
            CloudKind::Contact
        };
        let candidates = distinct(tenant.by_primary(kind, address));
        let Some(first) = candidates.first() else {
            return;
        };
        named.extend(candidates.iter().map(|c| c.object.index));
        if candidates.len() > 1 {
            out.push(Predicted {
                rule: tenant::AMBIGUOUS,
                on,
                value_kind: None,
                message: format!(
                    "Two cloud {}s have this primary SMTP address, {}: Entra ID cannot soft-match",
                    kind.as_str(),
                    candidates
                        .iter()
                        .map(describe)
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                related: candidates.iter().map(related).collect(),
            });
            return;
        }
        let c = &first.object;
        let sid = self
            .values(view, entry, "objectSid")
            .first()
            .and_then(|v| crate::text::sid_from_base64(v.value));
        let same_sid = |cloud: &Option<String>| match (&sid, cloud) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b.trim()),
            _ => false,
        };
        let (rule, message) = if !c.synced {
            (
                tenant::SOFT_MATCH,
                format!(
                    "The first sync takes over {}, cloud-only, matched by the primary SMTP address",
                    describe(first)
                ),
            )
        } else if kind == CloudKind::Contact || same_sid(&c.security_identifier) {
            (
                tenant::ALREADY_SYNCED,
                format!("{} is this object, synchronized before", describe(first)),
            )
        } else {
            (
                tenant::CONFLICT,
                format!(
                    "{} has this primary SMTP address but is synchronized from another object (onPremisesSecurityIdentifier {}): Entra reports InvalidSoftMatch",
                    describe(first),
                    c.security_identifier.as_deref().unwrap_or("none")
                ),
            )
        };
        out.push(Predicted {
            rule,
            on,
            value_kind: None,
            message,
            related: vec![related(first)],
        });
    }

    fn push_prediction(
        &self,
        part: &mut Part,
        obj: u32,
        texts: ObjectTexts,
        p: Predicted<'_>,
    ) -> Result<(), PartFull> {
        if self
            .opts
            .disabled_predictions
            .iter()
            .any(|d| d == p.rule.id)
        {
            return Ok(());
        }
        let (value, value_base64) = crate::text::for_report(p.on.value);
        let by = Reporter {
            rule: p.rule.id.into(),
            severity: p.rule.severity,
            category: p.rule.category,
            attribute: p.on.attribute.into(),
        };
        let finding = Finding {
            value: Some(value),
            value_base64,
            value_kind: p.value_kind,
            related: p.related,
            message: p.message.into(),
            value_line: p.on.line,
            ..part.finding_with(obj, texts, by)
        };
        part.pending.push(Pending {
            finding,
            obj,
            // Not a rule of the set: predictions never carry a suggestion, the only use.
            rule: usize::MAX,
            value_id: u32::MAX,
            suggestion_keys: Vec::new(),
        });
        Ok(())
    }
}
