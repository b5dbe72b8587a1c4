//! Rules as data: the YAML rule format, the loader (built-in pack and user files) and
//! the compiled rule set the engine runs.
//!
//! A rule file holds one rule (a mapping), a list of rules, or the pack's scope
//! (a mapping with a `scope:` key). See `rules/m365/` for the built-in pack.

mod compile;
mod scope;

pub use scope::{AttrValues, ObjectClass, Scope, ScopeDef, Verdict};

use crate::checks::Check;
pub use crate::checks::{LengthPart, Shown, UniquePer, ValueFilter};
use crate::findings::{Category, Severity};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The typed check a rule runs. Checks are implemented in Rust (`src/checks`); rules
/// choose and parameterise them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckDef {
    /// Characters: `allowed` and `forbidden` are regex character classes (`[A-Z]`);
    /// `whitespace`, `non_ascii` and `control` forbid those groups.
    Charset {
        #[serde(default)]
        allowed: Option<String>,
        #[serde(default)]
        forbidden: Option<String>,
        #[serde(default)]
        whitespace: bool,
        #[serde(default)]
        non_ascii: bool,
        #[serde(default)]
        control: bool,
    },
    /// At most `max` characters in the value, or in its `local` / `domain` part.
    MaxLength {
        max: usize,
        #[serde(default)]
        part: LengthPart,
    },
    /// At most `max` bytes in the value as stored (binary values count raw bytes). With
    /// `up_to`, only values of at most `up_to` bytes are reported (a stricter rule takes
    /// the larger ones); with `show: size` the finding's value is the byte count.
    MaxBytes {
        max: usize,
        #[serde(default)]
        up_to: Option<usize>,
        #[serde(default)]
        show: Shown,
    },
    /// Exactly `bytes` bytes in the value as stored (a GUID holds 16).
    ExactBytes { bytes: usize },
    /// At most `max` values (those the rule's `values` selects) on one object; with
    /// `up_to`, only counts of at most `up_to` are reported. One finding per object whose
    /// value is the count. Values added by the modify records that follow an entry
    /// (ldifde's way of writing big groups) and `;range=` parts count too.
    ValueCount {
        max: usize,
        #[serde(default)]
        up_to: Option<usize>,
    },
    /// At most one selected value per object; when there are several, each is a finding.
    /// `keep` names an attribute whose value (ignoring case) is the one to keep: the
    /// `demote` fix takes the others out of the selection (`SMTP:` → `smtp:`).
    Single {
        #[serde(default)]
        keep: Option<String>,
    },
    /// When the object holds a value that `when` selects, it must also hold one the rule
    /// selects. One finding on the object, with no value. `from` names an attribute whose
    /// value, when it equals one of the `when` values, the `promote` fix selects.
    PresentWhen {
        when: ValueFilter,
        #[serde(default)]
        from: Option<String>,
    },
    /// When the object holds exactly one selected value and `attribute` has a value, the
    /// two are equal ignoring case.
    SameAs { attribute: String },
    /// More than `max` in-scope objects of the rule's classes in one Active Directory
    /// domain (the DN's `DC=` components): one finding on the domain's DN, value = the count.
    DomainObjects { max: usize },
    /// A finding when the value matches `regex` (or, with `must_match: true`, does not).
    Pattern {
        regex: String,
        #[serde(default)]
        must_match: bool,
    },
    /// The attribute must be present.
    Required,
    /// When present, the value must not be empty or only whitespace.
    NotBlank,
    /// userPrincipalName structure. Characters in `skip` (a class) are left to other rules.
    Upn {
        #[serde(default)]
        skip: Option<String>,
    },
    /// SMTP address structure. Characters in `skip` (a class) are left to other rules.
    SmtpAddress {
        #[serde(default)]
        skip: Option<String>,
    },
    /// The domain after the last `@` ends in a public TLD. With `accepted: true` and a
    /// run with accepted domains, it must also be accepted (see `domain_accepted`).
    DomainRoutable {
        #[serde(default)]
        accepted: bool,
    },
    /// Only when the run has accepted domains: the domain after the last `@` equals one
    /// of them or is a subdomain of one (`onmicrosoft.com` and its subdomains are always
    /// accepted). Domains that end in no public TLD are left to `domain_routable`.
    DomainAccepted,
    /// No two objects may hold the same value in `namespace` (case-insensitive); rules
    /// sharing a namespace compare across their attributes. With `per: domain`, values
    /// are compared only among objects of the same domain (the DN's `DC=` components).
    Unique {
        namespace: String,
        #[serde(default)]
        per: UniquePer,
        /// How reports name the namespace (`SMTP address`); the namespace id by default.
        #[serde(default)]
        label: Option<String>,
        /// Binary rules: only values of exactly this many bytes take part (others are
        /// left to the fallback).
        #[serde(default)]
        bytes: Option<usize>,
        /// Binary rules: an all-zero value takes no part (an unset GUID).
        #[serde(default)]
        ignore_zero: bool,
        /// An attribute whose values take part for an object whose own attribute has no
        /// value that does (`mS-DS-ConsistencyGuid` else `objectGUID`). Findings name the
        /// attribute that supplied the value.
        #[serde(default)]
        fallback: Option<String>,
    },
}

impl CheckDef {
    pub fn kind(&self) -> &'static str {
        match self {
            CheckDef::Charset { .. } => "charset",
            CheckDef::MaxLength { .. } => "max_length",
            CheckDef::MaxBytes { .. } => "max_bytes",
            CheckDef::ExactBytes { .. } => "exact_bytes",
            CheckDef::ValueCount { .. } => "value_count",
            CheckDef::Single { .. } => "single",
            CheckDef::PresentWhen { .. } => "present_when",
            CheckDef::SameAs { .. } => "same_as",
            CheckDef::DomainObjects { .. } => "domain_objects",
            CheckDef::Pattern { .. } => "pattern",
            CheckDef::Required => "required",
            CheckDef::NotBlank => "not_blank",
            CheckDef::Upn { .. } => "upn",
            CheckDef::SmtpAddress { .. } => "smtp_address",
            CheckDef::DomainRoutable { .. } => "domain_routable",
            CheckDef::DomainAccepted => "domain_accepted",
            CheckDef::Unique { .. } => "unique",
        }
    }
}

/// How a suggestion is derived from the value for this rule's findings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    /// No safe value can be derived.
    #[default]
    None,
    /// Remove the characters the charset check rejects (accents decomposed first).
    Strip,
    /// Trim surrounding whitespace.
    Trim,
    /// Cut to the length limit.
    Truncate,
    /// Drop leading/trailing dots and collapse doubled dots.
    TidyDots,
    /// Replace the domain with the first accepted domain (only when the run has some).
    /// Allowed only on the attributes in [`DOMAIN_MOVABLE_ATTRIBUTES`].
    AcceptedDomain,
    /// `single`: take every selected value but the one to keep out of the selection
    /// (lower its type prefix: `SMTP:` → `smtp:`).
    Demote,
    /// `present_when`: select the value named by the check's `from` attribute (`smtp:`
    /// → `SMTP:`).
    Promote,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::None => "none",
            FixKind::Strip => "strip",
            FixKind::Trim => "trim",
            FixKind::Truncate => "truncate",
            FixKind::TidyDots => "tidy_dots",
            FixKind::AcceptedDomain => "accepted_domain",
            FixKind::Demote => "demote",
            FixKind::Promote => "promote",
        }
    }
}

/// The attributes whose suggestions may put the value into another domain. Entra ID
/// replaces an unaccepted UPN suffix with the tenant's `onmicrosoft.com` domain, so a
/// UPN must move; a mail address, proxy address or targetAddress may be needed
/// on-premises or point outside the tenant on purpose, so it never moves (spec:
/// "A suggestion never moves an address into another domain except for the UPN").
pub const DOMAIN_MOVABLE_ATTRIBUTES: &[&str] = &["userPrincipalName"];

/// True when a suggestion for `attribute` may change the domain of its value.
pub fn domain_may_move(attribute: &str) -> bool {
    DOMAIN_MOVABLE_ATTRIBUTES
        .iter()
        .any(|a| a.eq_ignore_ascii_case(attribute))
}

/// The synchronization engine a run prepares for: Entra Connect Sync or Cloud Sync,
/// whose limits differ.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    #[default]
    ConnectSync,
    CloudSync,
}

impl Target {
    /// As the command line writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::ConnectSync => "connect-sync",
            Target::CloudSync => "cloud-sync",
        }
    }
}

/// A rule's own passing and failing examples. An example is a value of the rule's
/// attribute (on one object of the rule's first object class), or a whole LDIF
/// document (any text with a `dn:` line) for rules that need several objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub valid: Vec<String>,
    #[serde(default)]
    pub invalid: Vec<String>,
    /// Accepted domains to run the examples with.
    #[serde(default)]
    pub accepted_domains: Vec<String>,
}

/// A rule as written in YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable kebab-case id, e.g. `upn-invalid-character`.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    /// Object classes the rule applies to (default: all in-scope classes).
    #[serde(default = "ObjectClass::all")]
    pub objects: Vec<ObjectClass>,
    /// The attribute checked, named as the finding will name it.
    pub attribute: String,
    /// The attribute holds bytes (GUIDs, SIDs, photos, certificates): its values are
    /// compared byte for byte and shown as base64. Only size, count, presence and
    /// uniqueness checks read binary attributes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
    /// The target profiles the rule runs under (all when empty): `connect-sync`, `cloud-sync`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// A different severity under a target profile (`{cloud-sync: error}`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub target_severity: std::collections::BTreeMap<Target, Severity>,
    #[serde(default)]
    pub values: ValueFilter,
    pub check: CheckDef,
    /// One line; `{detail}` is replaced by what the check found, `{attribute}` by the attribute.
    pub message: String,
    /// Why it matters and how to fix it; a link to the documentation.
    #[serde(default)]
    pub docs: String,
    #[serde(default)]
    pub fix: FixKind,
    pub examples: Examples,
}

/// The shape of a rule file, for the JSON schema editors validate rule files with
/// (`dirready rules schema`, shipped as `rules/schema.json`): one rule, a list of rules,
/// or the pack's scope.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // only its schema is used
enum RuleFile {
    Rules(Vec<RuleDef>),
    Rule(Box<RuleDef>),
    Scope { scope: ScopeDef },
}

/// The JSON schema of rule files, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RuleFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The rule pack as Markdown (`docs/rules.md` is this for the built-in pack): every rule
/// with its severity, category, objects, check, fix, rationale and examples, by attribute.
pub fn docs_markdown(set: &RuleSet) -> String {
    use std::fmt::Write as _;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from(
        "# Rules\n\nGenerated from the rule files by `dirready rules docs` (do not edit by hand).\n\n",
    );
    let _ = writeln!(out, "| rule | attribute | severity | category | fix |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for r in &set.rules {
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {} | {} | {} | {} |",
            r.def.attribute,
            r.def.severity.as_str(),
            r.def.category.as_str(),
            r.def.fix.as_str(),
            id = r.def.id
        );
    }
    for r in &set.rules {
        let d = &r.def;
        let objects: Vec<&str> = d.objects.iter().map(|o| o.as_str()).collect();
        let _ = write!(
            out,
            "\n## {}\n\n{}\n\n- **Severity**: {} · **category**: {} · **objects**: {}\n- **Attribute**: `{}`{}\n- **Check**: `{}`\n- **Fix**: {}\n",
            d.id,
            cell(&d.title),
            d.severity.as_str(),
            d.category.as_str(),
            objects.join(", "),
            d.attribute,
            match d.values {
                ValueFilter::Any => String::new(),
                ValueFilter::Smtp => " (values typed `smtp:`, checked without the prefix)".into(),
                ValueFilter::OtherTyped => " (values of other types: X500, X400, SIP, ...)".into(),
                ValueFilter::Primary => " (primary addresses: values typed `SMTP:` in capitals)".into(),
            },
            serde_json::to_string(&d.check).unwrap_or_default(),
            match d.fix {
                FixKind::None => "none: no value can be derived safely (a decision)",
                FixKind::Strip => "strip the characters the check rejects",
                FixKind::Trim => "trim surrounding whitespace",
                FixKind::Truncate => "cut to the limit",
                FixKind::TidyDots => "drop leading/trailing dots, collapse doubled dots",
                FixKind::AcceptedDomain => "the same name at the first accepted domain",
                FixKind::Demote => "lower the type prefix of every value but the one to keep",
                FixKind::Promote => "make the value named by the check's `from` attribute the selected one",
            },
        );
        if !d.docs.is_empty() {
            let _ = write!(out, "\n{}\n", d.docs);
        }
        // Control characters shown as escapes; a backtick in an example widens the span.
        let ex = |v: &[String]| {
            v.iter()
                .map(|e| {
                    let shown: String = e
                        .chars()
                        .map(|c| {
                            if c.is_control() {
                                c.escape_debug().to_string()
                            } else {
                                c.to_string()
                            }
                        })
                        .collect();
                    if shown.contains('`') {
                        format!("`` {shown} ``")
                    } else {
                        format!("`{shown}`")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = write!(
            out,
            "\nPasses: {}\n\nFails: {}\n",
            ex(&d.examples.valid),
            ex(&d.examples.invalid)
        );
    }
    out
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub def: RuleDef,
    pub check: Check,
    /// Bit set of `ObjectClass` the rule applies to.
    pub classes: u8,
    /// Index of the rule's attribute in `RuleSet::attributes`.
    pub slot: usize,
    /// File the rule was loaded from (`builtin:rules/m365/upn.yaml` for the pack).
    pub origin: String,
    /// `def.id` and `def.attribute` as findings hold them: shared by all the rule's
    /// findings.
    pub shared_id: std::sync::Arc<str>,
    pub shared_attribute: std::sync::Arc<str>,
}

impl Rule {
    pub fn applies_to(&self, class: ObjectClass) -> bool {
        self.classes & class.bit() != 0
    }

    /// Attributes the rule reads besides its own: a check's partner attribute or
    /// fallback, and `{attr:NAME}` in its message.
    pub fn partner_attributes(&self) -> Vec<String> {
        let mut out: Vec<String> = match &self.def.check {
            CheckDef::Single { keep: Some(a) }
            | CheckDef::PresentWhen { from: Some(a), .. }
            | CheckDef::SameAs { attribute: a }
            | CheckDef::Unique {
                fallback: Some(a), ..
            } => vec![a.clone()],
            _ => Vec::new(),
        };
        out.extend(message_attributes(&self.def.message).map(str::to_string));
        out
    }

    /// The attributes this rule reads as bytes: its own and its fallback, when binary.
    fn binary_attributes(&self) -> Vec<&str> {
        if !self.def.binary {
            return Vec::new();
        }
        let mut out = vec![self.def.attribute.as_str()];
        if let CheckDef::Unique {
            fallback: Some(f), ..
        } = &self.def.check
        {
            out.push(f);
        }
        out
    }
}

/// The attribute names of `{attr:NAME}` placeholders in a message.
pub fn message_attributes(message: &str) -> impl Iterator<Item = &str> {
    message
        .split("{attr:")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// An error in a rule file: file, line, column and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (l, c) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for RuleError {}

/// The rules a run uses, with the attribute slots they read and the pack's scope.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub scope: Scope,
    /// Distinct attribute names the rules read (first spelling wins).
    pub attributes: Vec<String>,
}

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The files of the built-in pack, as (path, text).
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    builtin::FILES
}

impl RuleSet {
    /// The built-in Microsoft 365 pack.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut loader = Loader::default();
        for (path, text) in builtin_files() {
            loader.add_text(&format!("builtin:{path}"), text)?;
        }
        loader.finish()
    }

    /// The built-in pack plus user rule files or folders (rules with a known id replace
    /// the built-in ones; new ids are added).
    pub fn with_user_rules(paths: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut loader = Loader::default();
        for (path, text) in builtin_files() {
            loader.add_text(&format!("builtin:{path}"), text)?;
        }
        for p in paths {
            loader.add_path(p)?;
        }
        loader.finish()
    }

    /// The built-in pack plus one rule file given as text (`name` is how errors name it).
    pub fn with_user_text(name: &str, text: &str) -> Result<RuleSet, RuleError> {
        let mut loader = Loader::default();
        for (path, text) in builtin_files() {
            loader.add_text(&format!("builtin:{path}"), text)?;
        }
        loader.add_text(name, text)?;
        loader.finish()
    }

    /// Only the rules in `paths` (the scope is the built-in one unless a file defines it).
    pub fn from_paths(paths: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut loader = Loader::default();
        for (path, text) in builtin_files() {
            if text.trim_start().starts_with("scope:") || text.contains("\nscope:") {
                loader.add_text(&format!("builtin:{path}"), text)?;
            }
        }
        for p in paths {
            loader.add_path(p)?;
        }
        loader.finish()
    }

    /// Turns rules off by id.
    pub fn disable(&mut self, ids: &[String]) -> Result<(), RuleError> {
        for id in ids {
            if !self.rules.iter().any(|r| &r.def.id == id) {
                return Err(RuleError {
                    file: format!("--disable {id}"),
                    line: 0,
                    column: 0,
                    message: "no rule has this id (see `dirready rules list`)".into(),
                });
            }
        }
        self.rules.retain(|r| !ids.contains(&r.def.id));
        self.reindex();
        Ok(())
    }

    /// Keeps only the rule with this id (used to run one rule's examples).
    pub fn only(&self, id: &str) -> RuleSet {
        let mut set = self.clone();
        set.rules.retain(|r| r.def.id == id);
        set.reindex();
        set
    }

    /// Every attribute a scan must read, once each (case-insensitively): the rules'
    /// attributes first, in slot order (a rule's `slot` indexes this list), then
    /// objectClass, objectGUID and the scope's. The LDIF decoder and the live search both
    /// use this one list.
    pub fn read_attributes(&self) -> Vec<String> {
        let mut out: Vec<String> = self.attributes.clone();
        let extra = ["objectClass".to_string(), "objectGUID".to_string()];
        let partners = self.rules.iter().flat_map(|r| r.partner_attributes());
        for a in extra
            .into_iter()
            .chain(partners)
            .chain(self.scope.attributes().iter().cloned())
        {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
                out.push(a);
            }
        }
        out
    }

    /// True when the scan reads `attribute` as bytes: objectGUID always, and the
    /// attributes (and fallbacks) of binary rules.
    pub fn is_binary(&self, attribute: &str) -> bool {
        attribute.eq_ignore_ascii_case("objectGUID")
            || self.rules.iter().any(|r| {
                r.binary_attributes()
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(attribute))
            })
    }

    /// The rule set a target profile runs: rules limited to other targets dropped,
    /// severities set for this one.
    pub fn for_target(mut self, target: Target) -> RuleSet {
        self.rules
            .retain(|r| r.def.targets.is_empty() || r.def.targets.contains(&target));
        for r in &mut self.rules {
            if let Some(s) = r.def.target_severity.get(&target) {
                r.def.severity = *s;
            }
        }
        self.reindex();
        self
    }

    /// Ids of the rules whose behaviour depends on the target profile (limited to some
    /// targets, or with a severity per target): the target limits a run checked.
    pub fn target_rules(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| !r.def.targets.is_empty() || !r.def.target_severity.is_empty())
            .map(|r| r.def.id.clone())
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.def.id == id)
    }

    fn reindex(&mut self) {
        self.attributes.clear();
        for r in &mut self.rules {
            r.slot = match self
                .attributes
                .iter()
                .position(|a| a.eq_ignore_ascii_case(&r.def.attribute))
            {
                Some(i) => i,
                None => {
                    self.attributes.push(r.def.attribute.clone());
                    self.attributes.len() - 1
                }
            };
        }
    }
}

/// Most rules one run can hold: the engine numbers rules with `u16`.
pub const MAX_RULES: usize = 1 << 16;

#[derive(Default)]
struct Loader {
    rules: Vec<Rule>,
    scope: Option<Scope>,
}

impl Loader {
    fn add_path(&mut self, path: &Path) -> Result<(), RuleError> {
        let err = |m: String| RuleError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: m,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read rules: {e}")))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            collect_yaml(path, &mut files)
                .map_err(|e| err(format!("cannot read rules folder: {e}")))?;
            files.sort();
            if files.is_empty() {
                return Err(err("no .yaml or .yml rule files in this folder".into()));
            }
            for f in files {
                self.add_path(&f)?;
            }
            Ok(())
        } else {
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(format!("cannot read rule file: {e}")))?;
            self.add_text(&path.display().to_string(), &text)
        }
    }

    fn add_text(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let at = |e: &serde_yaml::Error| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            RuleError {
                file: file.to_string(),
                line,
                column,
                message: strip_location(&e.to_string()),
            }
        };
        let shape: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| at(&e))?;
        let defs: Vec<RuleDef> = match &shape {
            serde_yaml::Value::Mapping(m) if m.contains_key("scope") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct ScopeFile {
                    scope: ScopeDef,
                }
                let sf: ScopeFile = serde_yaml::from_str(text).map_err(|e| at(&e))?;
                self.scope = Some(Scope::compile(sf.scope).map_err(|m| RuleError {
                    file: file.into(),
                    line: 0,
                    column: 0,
                    message: m.to_string(),
                })?);
                return Ok(());
            }
            serde_yaml::Value::Sequence(_) => serde_yaml::from_str(text).map_err(|e| at(&e))?,
            serde_yaml::Value::Mapping(_) => vec![serde_yaml::from_str(text).map_err(|e| at(&e))?],
            serde_yaml::Value::Null => Vec::new(),
            _ => {
                return Err(RuleError {
                    file: file.into(),
                    line: 1,
                    column: 1,
                    message: "a rule file holds a rule (mapping), a list of rules, or `scope:`"
                        .into(),
                })
            }
        };
        let mut seen_here: Vec<String> = Vec::new();
        for def in defs {
            let line_of_id = find_line(text, &def.id);
            let fail = |m: String| RuleError {
                file: file.into(),
                line: line_of_id,
                column: 1,
                message: format!("rule `{}`: {m}", def.id),
            };
            if seen_here.contains(&def.id) {
                return Err(fail("this id appears twice in the file".into()));
            }
            seen_here.push(def.id.clone());
            validate(&def).map_err(|e| fail(e.to_string()))?;
            let check = compile::check(&def.check, def.binary).map_err(|e| fail(e.to_string()))?;
            let classes = def.objects.iter().fold(0u8, |m, c| m | c.bit());
            let rule = Rule {
                shared_id: def.id.as_str().into(),
                shared_attribute: def.attribute.as_str().into(),
                def,
                check,
                classes,
                slot: 0,
                origin: file.to_string(),
            };
            let known = self.rules.iter().position(|r| r.def.id == rule.def.id);
            match known {
                Some(i) => self.rules[i] = rule,
                None if self.rules.len() >= MAX_RULES => {
                    return Err(RuleError {
                        file: file.into(),
                        line: line_of_id,
                        column: 1,
                        message: format!(
                            "rule `{}`: a rule set holds at most {MAX_RULES} rules; this one is past the limit",
                            rule.def.id
                        ),
                    });
                }
                None => self.rules.push(rule),
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<RuleSet, RuleError> {
        // An attribute one rule reads as bytes is read as bytes for every rule: a rule
        // that did not say so is compiled for binary values (or refused, if its check
        // cannot read them).
        let binary: Vec<String> = self
            .rules
            .iter()
            .flat_map(|r| r.binary_attributes())
            .map(str::to_string)
            .collect();
        for r in &mut self.rules {
            if r.def.binary
                || !binary
                    .iter()
                    .any(|b| b.eq_ignore_ascii_case(&r.def.attribute))
            {
                continue;
            }
            let fail = |m: String| RuleError {
                file: r.origin.clone(),
                line: 0,
                column: 0,
                message: format!(
                    "rule `{}`: {} is a binary attribute (another rule reads it as bytes): {m}",
                    r.def.id, r.def.attribute
                ),
            };
            r.def.binary = true;
            validate(&r.def).map_err(|e| fail(e.to_string()))?;
            r.check = compile::check(&r.def.check, true).map_err(|e| fail(e.to_string()))?;
        }
        let scope = self.scope.unwrap_or_else(Scope::default_m365);
        let mut set = RuleSet {
            rules: self.rules,
            scope,
            attributes: Vec::new(),
        };
        set.reindex();
        Ok(set)
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect_yaml(&p, out)?;
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// serde_yaml appends " at line L column C"; we print the location ourselves.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Line of `id: <id>` in the text, for errors found after parsing.
fn find_line(text: &str, id: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("id:")
                .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == id)
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// A rule that parses but cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleDefect {
    #[error("ids are kebab-case: lowercase letters, digits and `-`")]
    Id,
    #[error("`title` and `message` must not be empty")]
    EmptyText,
    #[error("`{0}` is not an attribute name")]
    Attribute(String),
    #[error("`objects` must name at least one object class")]
    NoObjects,
    #[error("fix `{fix}` does not go with a `{kind}` check")]
    FixKind {
        fix: &'static str,
        kind: &'static str,
    },
    #[error("fix `accepted_domain` would move a `{0}` address into another domain; only {movable} may be moved (an address may be needed on-premises, or point outside the tenant)", movable = DOMAIN_MOVABLE_ATTRIBUTES.join(", "))]
    DomainMove(String),
    #[error("a `unique` check reports category `duplicate`")]
    UniqueCategory,
    #[error("a `{0}` check cannot read a binary attribute (only max_bytes, exact_bytes, value_count, required and unique can)")]
    BinaryKind(&'static str),
    #[error(
        "`bytes`, `ignore_zero` and `fallback` apply to binary attributes only (`binary: true`)"
    )]
    BinaryOnly,
    #[error("every rule needs at least one `examples.valid` and one `examples.invalid`")]
    Examples,
}

fn validate(def: &RuleDef) -> Result<(), RuleDefect> {
    if def.id.is_empty()
        || !def
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(RuleDefect::Id);
    }
    if def.title.trim().is_empty() || def.message.trim().is_empty() {
        return Err(RuleDefect::EmptyText);
    }
    if def.attribute.is_empty()
        || !def
            .attribute
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(RuleDefect::Attribute(def.attribute.clone()));
    }
    if def.objects.is_empty() {
        return Err(RuleDefect::NoObjects);
    }
    let kind = def.check.kind();
    const BINARY_KINDS: &[&str] = &[
        "max_bytes",
        "exact_bytes",
        "value_count",
        "required",
        "unique",
    ];
    if def.binary && !BINARY_KINDS.contains(&kind) {
        return Err(RuleDefect::BinaryKind(kind));
    }
    if !def.binary {
        if let CheckDef::Unique {
            bytes,
            ignore_zero,
            fallback,
            ..
        } = &def.check
        {
            if bytes.is_some() || *ignore_zero || fallback.is_some() {
                return Err(RuleDefect::BinaryOnly);
            }
        }
    }
    for a in message_attributes(&def.message) {
        if a.is_empty() || !a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(RuleDefect::Attribute(a.to_string()));
        }
    }
    let fix_ok = match def.fix {
        FixKind::None => true,
        FixKind::Trim => !def.binary,
        FixKind::Demote => {
            matches!(def.check, CheckDef::Single { keep: Some(_) })
                && def.values.promotion().is_some()
        }
        FixKind::Promote => {
            matches!(def.check, CheckDef::PresentWhen { from: Some(_), .. })
                && def.values.promotion().is_some()
        }
        FixKind::Strip => kind == "charset",
        FixKind::Truncate => kind == "max_length",
        FixKind::TidyDots => matches!(kind, "pattern" | "upn" | "smtp_address"),
        FixKind::AcceptedDomain => matches!(kind, "domain_routable" | "domain_accepted"),
    };
    if !fix_ok {
        return Err(RuleDefect::FixKind {
            fix: def.fix.as_str(),
            kind,
        });
    }
    if def.fix == FixKind::AcceptedDomain && !domain_may_move(&def.attribute) {
        return Err(RuleDefect::DomainMove(def.attribute.clone()));
    }
    if kind == "unique" && def.category != Category::Duplicate {
        return Err(RuleDefect::UniqueCategory);
    }
    if def.examples.valid.is_empty() || def.examples.invalid.is_empty() {
        return Err(RuleDefect::Examples);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_attributes_list_each_attribute_once_rules_first() {
        let set = RuleSet::builtin().unwrap();
        let a = set.read_attributes();
        // A rule's slot indexes this list.
        for r in &set.rules {
            assert!(
                a[r.slot].eq_ignore_ascii_case(&r.def.attribute),
                "{}",
                r.def.id
            );
        }
        for want in [
            "objectClass",
            "objectGUID",
            "userPrincipalName",
            "proxyAddresses",
            "isCriticalSystemObject",
        ] {
            assert!(a.iter().any(|x| x == want), "{a:?}");
        }
        let lower: std::collections::HashSet<String> =
            a.iter().map(|x| x.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), a.len());
    }
}
