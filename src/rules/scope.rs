//! Which objects a pack checks: the object classes in scope and the exclusions, each
//! with the reason it is counted under in the summary.

use serde::{Deserialize, Serialize};

/// The object classes findings are reported for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum ObjectClass {
    #[serde(rename = "user")]
    User,
    #[serde(rename = "inetOrgPerson")]
    InetOrgPerson,
    #[serde(rename = "contact")]
    Contact,
    #[serde(rename = "group")]
    Group,
}

impl ObjectClass {
    pub fn all() -> Vec<ObjectClass> {
        vec![
            ObjectClass::User,
            ObjectClass::InetOrgPerson,
            ObjectClass::Contact,
            ObjectClass::Group,
        ]
    }
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectClass::User => "user",
            ObjectClass::InetOrgPerson => "inetOrgPerson",
            ObjectClass::Contact => "contact",
            ObjectClass::Group => "group",
        }
    }
    /// The name as findings hold it: one allocation per class for the whole run.
    pub fn shared_name(self) -> std::sync::Arc<str> {
        static NAMES: std::sync::LazyLock<[std::sync::Arc<str>; 4]> =
            std::sync::LazyLock::new(|| {
                [
                    ObjectClass::User,
                    ObjectClass::InetOrgPerson,
                    ObjectClass::Contact,
                    ObjectClass::Group,
                ]
                .map(|c| std::sync::Arc::from(c.as_str()))
            });
        NAMES[self as usize].clone()
    }
    /// The class an object is reported as, from its objectClass values: the most
    /// specific of inetOrgPerson, user, contact, group.
    pub fn of(classes: &[&str]) -> Option<ObjectClass> {
        let has = |n: &str| classes.iter().any(|c| c.eq_ignore_ascii_case(n));
        if has("inetOrgPerson") {
            Some(ObjectClass::InetOrgPerson)
        } else if has("user") {
            Some(ObjectClass::User)
        } else if has("contact") {
            Some(ObjectClass::Contact)
        } else if has("group") {
            Some(ObjectClass::Group)
        } else {
            None
        }
    }
}

/// An exclusion as written in YAML: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionDef {
    /// Counted under this name in the summary.
    pub reason: String,
    /// The object has this objectClass value (case-insensitive), e.g. `computer`.
    #[serde(default)]
    pub object_class: Option<String>,
    /// The attribute the conditions below test (any of its values).
    #[serde(default)]
    pub attribute: Option<String>,
    /// Value equals this (case-insensitive).
    #[serde(default)]
    pub equals: Option<String>,
    /// Value starts with one of these (case-insensitive).
    #[serde(default)]
    pub starts_with: Vec<String>,
    /// Value contains this.
    #[serde(default)]
    pub contains: Option<String>,
    /// Value is a decimal integer with any of these bits set.
    #[serde(default)]
    pub bits_any: Option<u64>,
    /// The value of the DN's first RDN contains one of these (case-insensitive).
    #[serde(default)]
    pub first_rdn_contains: Vec<String>,
    /// The object has no `mail` with an `@` and no `smtp:` proxyAddress.
    #[serde(default)]
    pub not_mail_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeDef {
    pub object_classes: Vec<ObjectClass>,
    #[serde(default)]
    pub exclude: Vec<ExclusionDef>,
}

/// The compiled scope.
#[derive(Debug, Clone)]
pub struct Scope {
    pub classes: u8,
    /// Read-only: `attr_at` is worked out from it.
    exclude: Vec<ExclusionDef>,
    /// The attributes the exclusions read ([`Scope::attributes`]); [`AttrValues`] is
    /// asked for them by their place in this list, worked out once here.
    attrs: Vec<String>,
    /// Per exclusion, the place of its `attribute` in `attrs`.
    attr_at: Vec<Option<usize>>,
    /// The places of mail and proxyAddresses, when an exclusion asks whether an object
    /// is mail-enabled.
    mail_at: Option<(usize, usize)>,
}

/// Why an object is not checked.
pub enum Verdict<'r> {
    InScope(ObjectClass),
    /// Not one of the in-scope object classes (OUs, containers, ...).
    OtherClass,
    Excluded(&'r str),
}

/// A scope definition that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("exclusion `{0}`: a value condition needs `attribute`")]
    ValueWithoutAttribute(String),
    #[error("exclusion `{0}` has no condition")]
    NoCondition(String),
}

impl Scope {
    pub fn compile(def: ScopeDef) -> Result<Scope, ScopeError> {
        for x in &def.exclude {
            if x.attribute.is_none()
                && (x.equals.is_some()
                    || !x.starts_with.is_empty()
                    || x.contains.is_some()
                    || x.bits_any.is_some())
            {
                return Err(ScopeError::ValueWithoutAttribute(x.reason.clone()));
            }
            if x.object_class.is_none()
                && x.attribute.is_none()
                && x.first_rdn_contains.is_empty()
                && !x.not_mail_enabled
            {
                return Err(ScopeError::NoCondition(x.reason.clone()));
            }
        }
        Ok(Scope::new(
            def.object_classes.iter().fold(0, |m, c| m | c.bit()),
            def.exclude,
        ))
    }

    /// Used only when a rule set has no scope file: in-scope classes, no exclusions.
    pub fn default_m365() -> Scope {
        Scope::new(
            ObjectClass::all().iter().fold(0, |m, c| m | c.bit()),
            Vec::new(),
        )
    }

    fn new(classes: u8, exclude: Vec<ExclusionDef>) -> Scope {
        let mut attrs: Vec<String> = Vec::new();
        let mut add = |a: &str| match attrs.iter().position(|o| o.eq_ignore_ascii_case(a)) {
            Some(i) => i,
            None => {
                attrs.push(a.to_string());
                attrs.len() - 1
            }
        };
        let mut attr_at = Vec::with_capacity(exclude.len());
        let mut mail_at = None;
        for x in &exclude {
            attr_at.push(x.attribute.as_deref().map(&mut add));
            if x.not_mail_enabled {
                mail_at = Some((add("mail"), add("proxyAddresses")));
            }
        }
        Scope {
            classes,
            exclude,
            attrs,
            attr_at,
            mail_at,
        }
    }

    /// The exclusions, in the order they are tried.
    pub fn exclusions(&self) -> &[ExclusionDef] {
        &self.exclude
    }

    /// The attributes the exclusions read (the engine decodes them once per entry).
    pub fn attributes(&self) -> &[String] {
        &self.attrs
    }

    pub fn judge<'r>(&'r self, dn: &str, classes: &[&str], values: &dyn AttrValues) -> Verdict<'r> {
        let Some(class) = ObjectClass::of(classes) else {
            return Verdict::OtherClass;
        };
        if self.classes & class.bit() == 0 {
            return Verdict::OtherClass;
        }
        for (x, &attr) in self.exclude.iter().zip(&self.attr_at) {
            if matches(x, attr, self.mail_at, dn, classes, values) {
                return Verdict::Excluded(&x.reason);
            }
        }
        Verdict::InScope(class)
    }
}

/// Access to an object's decoded attribute values.
pub trait AttrValues {
    /// True when some value of `attr` (its place in [`Scope::attributes`]) satisfies `f`.
    fn any_value(&self, attr: usize, f: &mut dyn FnMut(&str) -> bool) -> bool;
}

fn starts_with_ci(v: &str, p: &str) -> bool {
    v.len() >= p.len() && v.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
}

/// ASCII case-insensitive substring test (the patterns here are ASCII).
fn contains_ci(v: &str, p: &str) -> bool {
    let (v, p) = (v.as_bytes(), p.as_bytes());
    let Some((&first, rest)) = p.split_first() else {
        return true;
    };
    // Only where the first byte occurs (in either case) is the rest compared.
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), v)
        .any(|i| v.len() - i >= p.len() && v[i + 1..i + p.len()].eq_ignore_ascii_case(rest))
}

fn matches(
    x: &ExclusionDef,
    attr: Option<usize>,
    mail_at: Option<(usize, usize)>,
    dn: &str,
    classes: &[&str],
    values: &dyn AttrValues,
) -> bool {
    if let Some(oc) = &x.object_class {
        if !classes.iter().any(|c| c.eq_ignore_ascii_case(oc)) {
            return false;
        }
    }
    if !x.first_rdn_contains.is_empty() {
        let rdn = crate::dn::first_rdn(dn);
        if !x.first_rdn_contains.iter().any(|p| contains_ci(rdn, p)) {
            return false;
        }
    }
    if let Some((mail, proxy)) = mail_at.filter(|_| x.not_mail_enabled) {
        if values.any_value(mail, &mut |v| v.contains('@'))
            || values.any_value(proxy, &mut |v| starts_with_ci(v, "smtp:"))
        {
            return false;
        }
    }
    if let Some(attr) = attr {
        let any = values.any_value(attr, &mut |v| {
            x.equals.as_ref().is_none_or(|e| v.eq_ignore_ascii_case(e))
                && (x.starts_with.is_empty() || x.starts_with.iter().any(|p| starts_with_ci(v, p)))
                && x.contains.as_ref().is_none_or(|c| contains_ci(v, c))
                && x.bits_any.is_none_or(|bits| {
                    v.trim()
                        .parse::<i64>()
                        .is_ok_and(|n| (n as u64) & bits != 0)
                })
        });
        if !any {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ci_is_a_case_insensitive_substring_test() {
        let slow = |v: &str, p: &str| {
            p.is_empty()
                || v.as_bytes()
                    .windows(p.len())
                    .any(|w| w.eq_ignore_ascii_case(p.as_bytes()))
        };
        let values = [
            "",
            "a",
            "CN=x\\0ACNF:1",
            "cn=X\\0acnf:",
            "\nCNF:",
            "ab\nCnF",
            "}}",
            "x}",
        ];
        let patterns = [
            "", "\\0ACNF:", "\nCNF:", "}", "CAS_", "a", "ab\ncnf", "ab\ncnfx",
        ];
        for v in values {
            for p in patterns {
                assert_eq!(contains_ci(v, p), slow(v, p), "{v:?} {p:?}");
            }
        }
    }

    #[test]
    fn class_precedence() {
        assert_eq!(
            ObjectClass::of(&["top", "person", "user", "inetOrgPerson"]),
            Some(ObjectClass::InetOrgPerson)
        );
        assert_eq!(ObjectClass::of(&["top", "GROUP"]), Some(ObjectClass::Group));
        assert_eq!(ObjectClass::of(&["top", "organizationalUnit"]), None);
    }
}
