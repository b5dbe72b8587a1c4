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

/// Most text one example may expand to (`#repeat` and `{bytes:N}`).
const MAX_EXPANDED: usize = 64 << 20;

/// Expands the shorthands that let an example stand for a big directory: a line
/// `#repeat N` writes the lines after it, up to the next blank line, N times with `{n}`
/// replaced by 1..=N (copies that start with `dn:` are records, each ended by a blank
/// line); `{bytes:N}` is N `x` characters (a value of N bytes).
pub fn expand_example(doc: &str) -> String {
    let mut out = String::new();
    let mut lines = doc.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let count = line
            .trim_end()
            .strip_prefix("#repeat ")
            .and_then(|n| n.trim().parse::<usize>().ok());
        let Some(count) = count else {
            out.push_str(line);
            continue;
        };
        let mut body = String::new();
        while let Some(l) = lines.next_if(|l| !l.trim().is_empty()) {
            body.push_str(l);
        }
        if !body.ends_with('\n') {
            body.push('\n');
        }
        let record = body.starts_with("dn:");
        for n in 1..=count {
            if out.len() > MAX_EXPANDED {
                break;
            }
            out.push_str(&body.replace("{n}", &n.to_string()));
            if record {
                out.push('\n');
            }
        }
    }
    let mut expanded = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find("{bytes:") {
        expanded.push_str(&rest[..start]);
        let after = &rest[start + 7..];
        match after
            .split_once('}')
            .and_then(|(n, tail)| Some((n.parse::<usize>().ok()?, tail)))
        {
            Some((n, tail)) if n <= MAX_EXPANDED => {
                expanded.extend(std::iter::repeat_n('x', n));
                rest = tail;
            }
            _ => {
                expanded.push_str("{bytes:");
                rest = after;
            }
        }
    }
    expanded.push_str(rest);
    expanded
}

/// The LDIF document an example stands for.
pub fn example_ldif(rule: &Rule, example: &str) -> String {
    if example.starts_with("dn:") || example.contains("\ndn:") || example.starts_with("#repeat") {
        return expand_example(example);
    }
    let class = rule
        .def
        .objects
        .first()
        .copied()
        .unwrap_or(ObjectClass::User);
    let b64 = base64::engine::general_purpose::STANDARD.encode(expand_example(example).as_bytes());
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
                .filter(|f| *f.rule == *rule.def.id)
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
                for f in report.findings.iter().filter(|f| *f.rule == *rule.def.id) {
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

#[cfg(test)]
mod tests {
    use super::expand_example;

    #[test]
    fn repeat_and_bytes_expand() {
        assert_eq!(
            expand_example("dn: cn=g\nobjectClass: group\n#repeat 3\nmember: cn={n}\n"),
            "dn: cn=g\nobjectClass: group\nmember: cn=1\nmember: cn=2\nmember: cn=3\n"
        );
        assert_eq!(
            expand_example("#repeat 2\ndn: cn=u{n}\nobjectClass: user\n\ndn: cn=z\n"),
            "dn: cn=u1\nobjectClass: user\n\ndn: cn=u2\nobjectClass: user\n\n\ndn: cn=z\n"
        );
        assert_eq!(
            expand_example("a: {bytes:3}{bytes:x}\n"),
            "a: xxx{bytes:x}\n"
        );
    }
}
