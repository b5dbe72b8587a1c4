//! Runs every rule's own examples: each `valid` example must not trigger the rule, each
//! `invalid` one must. Examples run with the whole rule set the rule belongs to, so
//! `unique` rules see the other attributes of their namespace. This sits above the engine
//! (it drives whole scans), not inside `rules`, which the engine depends on.

use crate::engine::{self, ScanOptions};
use crate::rules::{ObjectClass, Rule, RuleSet};
use crate::source::Input;
use base64::Engine as _;

/// A rule example that did not behave as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub origin: String,
    pub example: String,
    /// `true` when the example is declared invalid (so the rule should have fired).
    pub expected_finding: bool,
    pub detail: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.expected_finding {
            "invalid example not flagged"
        } else {
            "valid example flagged"
        };
        write!(
            f,
            "{} ({}): {what}: {:?}{}",
            self.rule, self.origin, self.example, self.detail
        )
    }
}

/// The LDIF document an example stands for.
pub fn example_ldif(rule: &Rule, example: &str) -> String {
    if example.starts_with("dn:") || example.contains("\ndn:") {
        return example.to_string();
    }
    let class = rule
        .def
        .objects
        .first()
        .copied()
        .unwrap_or(ObjectClass::User);
    let b64 = base64::engine::general_purpose::STANDARD.encode(example.as_bytes());
    let mut doc = format!(
        "dn: CN=Example,OU=Examples,DC=contoso,DC=com\nobjectClass: top\nobjectClass: {}\n",
        class.as_str()
    );
    if class == ObjectClass::Contact && !rule.def.attribute.eq_ignore_ascii_case("proxyAddresses") {
        doc.push_str("proxyAddresses: SMTP:example.contact@contoso.com\n");
    }
    doc.push_str(&format!("{}:: {b64}\n", rule.def.attribute));
    doc
}

/// Runs the examples of every rule in `set` (or of the rules whose id is in `only`).
pub fn run(set: &RuleSet, only: Option<&[String]>) -> (usize, Vec<ExampleFailure>) {
    let mut count = 0;
    let mut failures = Vec::new();
    for rule in &set.rules {
        if only.is_some_and(|ids| !ids.contains(&rule.def.id)) {
            continue;
        }
        let opts = ScanOptions {
            accepted_domains: rule.def.examples.accepted_domains.clone(),
            ..Default::default()
        };
        let cases = rule
            .def
            .examples
            .valid
            .iter()
            .map(|e| (e, false))
            .chain(rule.def.examples.invalid.iter().map(|e| (e, true)));
        for (example, expect) in cases {
            count += 1;
            let doc = example_ldif(rule, example);
            let input = Input::from_bytes("example", doc.into_bytes(), opts.block_size);
            let report = match engine::scan(vec![input], set, &opts) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(fail(rule, example, expect, format!(" (scan failed: {e})")));
                    continue;
                }
            };
            if !report.diagnostics.is_empty() {
                let d: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
                failures.push(fail(
                    rule,
                    example,
                    expect,
                    format!(" (the example is not clean LDIF: {})", d.join("; ")),
                ));
                continue;
            }
            let fired: Vec<&crate::findings::Finding> = report
                .findings
                .iter()
                .filter(|f| f.rule == rule.def.id)
                .collect();
            if fired.is_empty() == expect {
                let detail = match fired.first() {
                    Some(f) => format!(" ({})", f.message),
                    None => String::new(),
                };
                failures.push(fail(rule, example, expect, detail));
            }
        }
    }
    (count, failures)
}

/// What a rule reports for each of its invalid examples, as text to pin in a snapshot
/// (ast-grep style): the message and the suggestion of every finding of the rule, so a
/// change to a rule's `message:` or `fix:` shows up as a diff.
pub fn snapshot(set: &RuleSet, rule: &Rule) -> String {
    let opts = ScanOptions {
        accepted_domains: rule.def.examples.accepted_domains.clone(),
        ..Default::default()
    };
    let mut out = format!("# {} ({})\n", rule.def.id, rule.def.fix.as_str());
    if !opts.accepted_domains.is_empty() {
        out.push_str(&format!(
            "# accepted domains: {}\n",
            opts.accepted_domains.join(", ")
        ));
    }
    for example in &rule.def.examples.invalid {
        out.push_str(&format!("\ninvalid {example:?}\n"));
        let doc = example_ldif(rule, example);
        let input = Input::from_bytes("example", doc.into_bytes(), opts.block_size);
        match engine::scan(vec![input], set, &opts) {
            Ok(report) => {
                for f in report.findings.iter().filter(|f| f.rule == rule.def.id) {
                    out.push_str(&format!("  message: {}\n", f.message));
                    match &f.suggestion {
                        Some(s) => out.push_str(&format!("  suggestion: {s:?}\n")),
                        None => out.push_str("  suggestion: none\n"),
                    }
                }
            }
            Err(e) => out.push_str(&format!("  scan failed: {e}\n")),
        }
    }
    out
}

/// Compares each rule's [`snapshot`] with `dir/<rule id>.snap` (writing it instead when
/// `update` is set); the ids whose snapshot differs or is missing.
pub fn check_snapshots(
    set: &RuleSet,
    dir: &std::path::Path,
    update: bool,
) -> std::io::Result<Vec<String>> {
    let mut differ = Vec::new();
    for rule in &set.rules {
        let path = dir.join(format!("{}.snap", rule.def.id));
        let now = snapshot(set, rule);
        match std::fs::read_to_string(&path) {
            Ok(before) if before == now => {}
            _ if !update => differ.push(rule.def.id.clone()),
            _ => {
                std::fs::create_dir_all(dir)?;
                std::fs::write(&path, now)?;
            }
        }
    }
    Ok(differ)
}

fn fail(rule: &Rule, example: &str, expect: bool, detail: String) -> ExampleFailure {
    ExampleFailure {
        rule: rule.def.id.clone(),
        origin: rule.origin.clone(),
        example: example.to_string(),
        expected_finding: expect,
        detail,
    }
}
