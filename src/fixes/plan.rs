//! Planning edits from a report: every finding with a suggestion becomes an edit of its
//! object; the edits of one object are planned together (one change record), values
//! shared by several findings are changed once, and findings without a safe automatic
//! fix become decisions for a person. Fix files (LDIF, PowerShell) and their undo files
//! are views of one plan.

use crate::findings::{Category, Finding, FindingState, Related, Report};
use base64::Engine as _;
use std::collections::BTreeMap;

/// Attributes that hold several values in Active Directory's schema, among those a rule
/// is likely to read: an edit there changes only the offending value (delete it, add the
/// new one), never the whole attribute. Any other attribute is single-valued: `replace`.
pub const MULTI_VALUED: &[&str] = &[
    "proxyAddresses",
    "otherMailbox",
    "objectClass",
    "member",
    "servicePrincipalName",
    "userCertificate",
    "otherTelephone",
    "otherHomePhone",
    "otherMobile",
    "otherFacsimileTelephoneNumber",
    "otherIpPhone",
    "otherPager",
    "url",
    "postOfficeBox",
    "showInAddressBook",
    "msExchExtensionCustomAttribute1",
    "msExchExtensionCustomAttribute2",
    "msExchExtensionCustomAttribute3",
    "msExchExtensionCustomAttribute4",
    "msExchExtensionCustomAttribute5",
    "msRTCSIP-ApplicationOptions",
];

/// An LDAP attribute description a fix file may name: a name (letter, then letters,
/// digits and `-`) or a numeric OID. Anything else could inject into a fix file.
pub fn is_attribute_name(a: &str) -> bool {
    let b = a.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() => {
            b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        Some(c) if c.is_ascii_digit() => {
            b.iter().all(|c| c.is_ascii_digit() || *c == b'.')
                && !a.contains("..")
                && !a.ends_with('.')
        }
        _ => false,
    }
}

/// True when `attribute` is multi-valued (see [`MULTI_VALUED`]).
pub fn is_multi_valued(attribute: &str) -> bool {
    MULTI_VALUED
        .iter()
        .any(|a| a.eq_ignore_ascii_case(attribute))
}

/// One change of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The attribute as the rule names it.
    pub attribute: String,
    /// The value as the directory holds it (exact bytes).
    pub old: Vec<u8>,
    /// The new value.
    pub new: Vec<u8>,
    /// `replace:` for single-valued attributes; delete the old value and add the new one
    /// for multi-valued ones.
    pub multi_valued: bool,
    /// The rules whose findings this edit fixes.
    pub rules: Vec<String>,
}

/// The edits of one object, applied as one change record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEdits {
    pub dn: String,
    /// objectGUID (base64, as in the report), when the source had it.
    pub object_guid: Option<String>,
    /// `user`, `group`, ... (the rules a new value must pass depend on it).
    pub object_class: String,
    /// The input the object was read from.
    pub source: String,
    pub edits: Vec<Edit>,
}

/// A finding that needs a person: no safe value can be derived (duplicates, a domain
/// without accepted domains, a value that is not UTF-8, ...). A duplicate is one decision
/// with every holder of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub rule: String,
    pub message: String,
    /// The objects and values concerned: one, or every holder of a duplicated value.
    pub holders: Vec<Holder>,
}

/// One value a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Holder {
    pub dn: String,
    pub attribute: String,
    pub value: String,
    /// The exact bytes as base64 when the value is not UTF-8.
    pub value_base64: Option<String>,
    /// The value is the attribute's text, so a person can name a new one (not a count,
    /// a size, a binary value or an absent value).
    pub editable: bool,
}

/// Why a planned edit was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub dn: String,
    pub attribute: String,
    pub value: String,
    pub reason: String,
}

/// Everything a fix file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Objects in the order of the report's findings (the order of the input).
    pub objects: Vec<ObjectEdits>,
    pub decisions: Vec<Decision>,
    pub refused: Vec<Refusal>,
    /// Inputs whose objects' edits could not be verified against them (named in the
    /// fix files' header).
    pub unverified: Vec<String>,
}

impl Plan {
    pub fn edit_count(&self) -> usize {
        self.objects.iter().map(|o| o.edits.len()).sum()
    }

    /// Edits by rule id (an edit fixing findings of two rules counts for both).
    pub fn edits_by_rule(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for o in &self.objects {
            for e in &o.edits {
                for r in &e.rules {
                    *out.entry(r.clone()).or_default() += 1;
                }
            }
        }
        out
    }
}

fn holder_of(r: &Related, editable: bool) -> Holder {
    Holder {
        dn: r.dn.to_string(),
        attribute: r.attribute.to_string(),
        value: r.value.to_string(),
        value_base64: r.value_base64.clone(),
        editable,
    }
}

/// The exact bytes of a finding's value.
pub fn value_bytes(f: &Finding) -> Vec<u8> {
    f.value_base64
        .as_deref()
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| {
            // A finding about an absent value changes the value its suggestion replaces.
            f.value
                .as_deref()
                .or(f.replaces.as_deref())
                .unwrap_or("")
                .as_bytes()
                .to_vec()
        })
}

impl Plan {
    /// Adds an edit decided by a person to its object's record (creating it if needed).
    /// A second decision for one value is refused (which one is meant?).
    pub fn add_decided(&mut self, d: super::decisions::DecidedEdit) -> Option<Refusal> {
        let key = crate::dn::normalize(&d.dn);
        match self
            .objects
            .iter_mut()
            .find(|o| crate::dn::normalize(&o.dn) == key)
        {
            Some(o) => {
                let same = |e: &Edit| {
                    e.attribute.eq_ignore_ascii_case(&d.edit.attribute) && e.old == d.edit.old
                };
                if o.edits
                    .iter()
                    .any(|e| same(e) && e.rules.iter().any(|r| r.starts_with("decision:")))
                {
                    return Some(Refusal {
                        dn: d.dn,
                        attribute: d.edit.attribute,
                        value: String::from_utf8_lossy(&d.edit.old).into_owned(),
                        reason: "two decisions for one value; keep one row".into(),
                    });
                }
                // A decision replaces a suggestion for the same value.
                o.edits.retain(|e| !same(e));
                o.edits.push(d.edit);
            }
            None => self.objects.push(ObjectEdits {
                dn: d.dn,
                object_guid: d.object_guid,
                object_class: d.object_class,
                source: d.source,
                edits: vec![d.edit],
            }),
        }
        None
    }
}

/// Plans the edits of a report. Excepted findings are left alone (a person accepted them);
/// findings without a suggestion become decisions.
pub fn plan(report: &Report) -> Plan {
    let mut plan = Plan::default();
    // Values a person excepted: no fix touches them, whatever other rule suggests one.
    let excepted: std::collections::BTreeSet<(String, String, Vec<u8>)> = report
        .findings
        .iter()
        .filter(|f| f.state == Some(FindingState::Excepted))
        .map(|f| {
            (
                crate::dn::normalize(&f.dn),
                f.attribute.to_ascii_lowercase(),
                value_bytes(f),
            )
        })
        .collect();
    // Object key (normalised DN) -> index in plan.objects.
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    // Duplicate groups already decided on: (namespace, domain, key).
    let mut groups: BTreeMap<(String, Option<String>, String), usize> = BTreeMap::new();
    for f in &report.findings {
        if f.state == Some(FindingState::Excepted) {
            continue;
        }
        let Some(new) = &f.suggestion else {
            let me = Holder {
                dn: f.dn.clone(),
                attribute: f.attribute.to_string(),
                value: f.value_str().to_string(),
                value_base64: f.value_base64.clone(),
                editable: f.value_is_replaceable(),
            };
            let group = match (&f.uniqueness, f.category) {
                (Some(u), Category::Duplicate) => {
                    Some((u.namespace.clone(), u.domain.clone(), u.key.clone()))
                }
                _ => None,
            };
            match group.as_ref().and_then(|g| groups.get(g)) {
                // Every holder of a duplicate lists the others: one decision for all.
                Some(&i) => {
                    let d = &mut plan.decisions[i];
                    if !d.holders.contains(&me) {
                        d.holders.push(me);
                    }
                }
                None => {
                    let mut holders = vec![me];
                    if f.category == Category::Duplicate {
                        holders.extend(
                            f.related
                                .iter()
                                .map(|r| holder_of(r, f.value_is_replaceable())),
                        );
                        holders.dedup();
                    }
                    if let Some(g) = group {
                        groups.insert(g, plan.decisions.len());
                    }
                    plan.decisions.push(Decision {
                        rule: f.rule.to_string(),
                        message: f.message.to_string(),
                        holders,
                    });
                }
            }
            continue;
        };
        let key = crate::dn::normalize(&f.dn);
        if excepted.contains(&(
            key.clone(),
            f.attribute.to_ascii_lowercase(),
            value_bytes(f),
        )) {
            plan.refused.push(Refusal {
                dn: f.dn.clone(),
                attribute: f.attribute.to_string(),
                value: f.value_str().to_string(),
                reason: "another finding on this value is excepted: left as it is".into(),
            });
            continue;
        }
        if !is_attribute_name(&f.attribute) {
            plan.refused.push(Refusal {
                dn: f.dn.clone(),
                attribute: f.attribute.escape_debug().to_string(),
                value: f.value_str().to_string(),
                reason: "not an attribute name".into(),
            });
            continue;
        }
        let pos = *index.entry(key).or_insert_with(|| {
            plan.objects.push(ObjectEdits {
                dn: f.dn.clone(),
                object_guid: f.object_guid.clone(),
                object_class: f.object_class.to_string(),
                source: f.source.file.to_string(),
                edits: Vec::new(),
            });
            plan.objects.len() - 1
        });
        let obj = &mut plan.objects[pos];
        let old = value_bytes(f);
        let new = new.as_bytes().to_vec();
        let same_value = obj
            .edits
            .iter_mut()
            .find(|e| e.attribute.eq_ignore_ascii_case(&f.attribute) && e.old == old);
        match same_value {
            // Several findings on one value share one suggestion: one edit.
            Some(e) if e.new == new => {
                if !e.rules.iter().any(|r| **r == *f.rule) {
                    e.rules.push(f.rule.to_string());
                }
            }
            Some(e) => {
                let reason = format!(
                    "two different suggestions for one value ({:?} and {:?}); decide by hand",
                    String::from_utf8_lossy(&e.new),
                    String::from_utf8_lossy(&new)
                );
                plan.refused.push(Refusal {
                    dn: f.dn.clone(),
                    attribute: f.attribute.to_string(),
                    value: f.value_str().to_string(),
                    reason,
                });
            }
            None => obj.edits.push(Edit {
                attribute: f.attribute.to_string(),
                old,
                new,
                // `replace:` only when the object is known to hold this one value.
                multi_valued: is_multi_valued(&f.attribute) || f.attribute_values != Some(1),
                rules: vec![f.rule.to_string()],
            }),
        }
    }
    // A single-valued attribute with edits of two different values (an export that
    // broke the schema): change only the values, as for a multi-valued one.
    for obj in &mut plan.objects {
        let attrs: Vec<String> = obj
            .edits
            .iter()
            .map(|e| e.attribute.to_ascii_lowercase())
            .collect();
        for e in &mut obj.edits {
            let lower = e.attribute.to_ascii_lowercase();
            if attrs.iter().filter(|a| **a == lower).count() > 1 {
                e.multi_valued = true;
            }
        }
    }
    plan.objects.retain(|o| !o.edits.is_empty());
    plan
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::findings::{Severity, SourceRef};

    pub(crate) fn finding(
        rule: &str,
        dn: &str,
        attr: &str,
        value: &str,
        sugg: Option<&str>,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            category: Category::Character,
            dn: dn.into(),
            object_class: "user".into(),
            object_guid: None,
            attribute: attr.into(),
            value: Some(value.into()),
            value_base64: None,
            value_kind: None,
            suggestion: sugg.map(String::from),
            replaces: None,
            attribute_values: Some(1),
            related: vec![],
            related_total: None,
            message: "m".into(),
            uniqueness: None,
            source: SourceRef {
                file: "x".into(),
                line: 1,
            },
            value_line: 2,
            fingerprint: String::new(),
            state: None,
            exception: None,
        }
    }

    pub(crate) use crate::findings::testing::report;

    #[test]
    fn one_record_per_object_one_edit_per_value() {
        let p = plan(&report(vec![
            finding(
                "upn-invalid-character",
                "CN=A,DC=x",
                "userPrincipalName",
                "a b@x.com",
                Some("ab@x.com"),
            ),
            finding(
                "upn-format",
                "cn=a,dc=x",
                "userPrincipalName",
                "a b@x.com",
                Some("ab@x.com"),
            ),
            finding(
                "proxy-smtp-invalid-character",
                "CN=A,DC=x",
                "proxyAddresses",
                "smtp:a b@x.com",
                Some("smtp:ab@x.com"),
            ),
            finding(
                "upn-duplicate",
                "CN=B,DC=x",
                "userPrincipalName",
                "b@x.com",
                None,
            ),
        ]));
        assert_eq!(p.objects.len(), 1);
        let o = &p.objects[0];
        assert_eq!(o.edits.len(), 2);
        assert_eq!(o.edits[0].rules, ["upn-invalid-character", "upn-format"]);
        assert!(!o.edits[0].multi_valued);
        assert!(o.edits[1].multi_valued);
        assert_eq!(p.decisions.len(), 1);
        assert_eq!(p.edit_count(), 2);
        assert_eq!(p.edits_by_rule()["upn-format"], 1);
    }

    #[test]
    fn excepted_findings_and_conflicting_suggestions_are_not_edits() {
        let mut ex = finding("r", "CN=A,DC=x", "mail", "a b@x.com", Some("ab@x.com"));
        ex.state = Some(FindingState::Excepted);
        let p = plan(&report(vec![
            ex,
            finding("r1", "CN=B,DC=x", "mail", "b b@x.com", Some("bb@x.com")),
            finding("r2", "CN=B,DC=x", "mail", "b b@x.com", Some("b@x.com")),
        ]));
        assert_eq!(p.edit_count(), 1);
        assert_eq!(p.refused.len(), 1);
        assert!(p.decisions.is_empty());
    }

    #[test]
    fn non_utf8_values_keep_their_bytes() {
        let mut f = finding(
            "r",
            "CN=A,DC=x",
            "mail",
            "j\u{FFFD}rg@x.com",
            Some("jrg@x.com"),
        );
        f.value_base64 = Some(base64::engine::general_purpose::STANDARD.encode(b"j\xf6rg@x.com"));
        let p = plan(&report(vec![f]));
        assert_eq!(p.objects[0].edits[0].old, b"j\xf6rg@x.com");
    }
}
