//! Every built-in rule's own examples pass, and the pack is well formed.
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use dirready::rule_examples as examples;
use dirready::rules::{builtin_files, RuleSet};

#[test]
fn builtin_rule_examples() {
    let set = RuleSet::builtin().expect("built-in pack loads");
    let (count, failures) = examples::run(&set, None);
    assert!(count >= set.rules.len() * 2);
    let text: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(failures.is_empty(), "{}", text.join("\n"));
}

#[test]
fn builtin_pack_is_complete() {
    let set = RuleSet::builtin().unwrap();
    assert!(builtin_files()
        .iter()
        .any(|(p, _)| p.ends_with("scope.yaml")));
    assert!(!set.scope.exclusions().is_empty());
    for r in &set.rules {
        assert!(!r.def.docs.is_empty(), "{} has no docs", r.def.id);
        assert!(
            r.def.docs.contains("https://"),
            "{} docs have no link",
            r.def.id
        );
    }
    // Every category is covered (`match` comes from tenant predictions, not from rules).
    for c in dirready::findings::Category::ALL
        .into_iter()
        .filter(|c| *c != dirready::findings::Category::Match)
    {
        assert!(
            set.rules.iter().any(|r| r.def.category == c),
            "no rule for {c:?}"
        );
    }
}

/// Spec: "A suggestion never moves an address into another domain except for the UPN".
/// Every built-in rule with a domain check (and every other rule, for good measure) is
/// run on addresses in routable, unroutable, unaccepted and malformed domains, on every
/// class it applies to, with accepted domains configured.
#[test]
fn suggestions_never_move_an_address_into_another_domain_except_a_upn() {
    use base64::Engine as _;
    use dirready::checks::address::comparable_domain;
    use dirready::engine::{self, Input, ScanOptions};
    use dirready::rules::{CheckDef, ValueFilter};

    let set = RuleSet::builtin().unwrap();
    let opts = ScanOptions {
        accepted_domains: vec!["contoso.com".into(), "fabrikam.net".into()],
        ..Default::default()
    };
    let domains = [
        "contoso.local",
        "exchange.corp",
        "litware.com",
        "partner.example",
        "contoso",
        "contoso..com",
        "-contoso.com",
        "contöso.com",
        "con toso.com",
        "contoso.com",
        "contoso.mail.onmicrosoft.com",
    ];
    let locals = ["john", "jöhn smith", ".john..doe.", &"a".repeat(70)];
    let mut domain_rules = 0;
    let mut upn_moves = 0;
    let mut checked = 0;
    for rule in &set.rules {
        let has_domain_check = matches!(
            rule.def.check,
            CheckDef::DomainRoutable { .. } | CheckDef::DomainAccepted
        );
        if has_domain_check {
            domain_rules += 1;
        }
        let mut values: Vec<String> = rule
            .def
            .examples
            .invalid
            .iter()
            .filter(|e| !e.contains("dn:"))
            .cloned()
            .collect();
        for l in locals {
            for d in domains {
                let v = format!("{l}@{d}");
                values.push(match rule.def.values {
                    ValueFilter::Smtp => format!("smtp:{v}"),
                    _ => v,
                });
            }
        }
        for class in &rule.def.objects {
            for value in &values {
                let b64 = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
                let doc = format!(
                    "dn: CN=X,DC=contoso,DC=com\nobjectClass: {}\nmail: x@contoso.com\n{}:: {b64}\n",
                    class.as_str(),
                    rule.def.attribute
                );
                let input = Input::from_bytes("t", doc.into_bytes(), opts.block_size);
                let report = engine::scan(vec![input], &set, &opts).unwrap();
                for f in &report.findings {
                    let Some(s) = &f.suggestion else { continue };
                    checked += 1;
                    let strip = |v: &str| {
                        let v = v
                            .strip_prefix("smtp:")
                            .or(v.strip_prefix("SMTP:"))
                            .unwrap_or(v);
                        comparable_domain(v)
                    };
                    if f.attribute.eq_ignore_ascii_case("userPrincipalName") {
                        if f.category == dirready::findings::Category::Domain {
                            assert!(s.ends_with("@contoso.com"), "{} {value:?} -> {s:?}", f.rule);
                            upn_moves += 1;
                        }
                        continue;
                    }
                    assert_eq!(
                        strip(s),
                        strip(f.value_str()),
                        "{} on {} ({}): {:?} suggested as {s:?}",
                        f.rule,
                        f.attribute,
                        class.as_str(),
                        f.value
                    );
                }
            }
        }
    }
    assert!(
        domain_rules >= 6,
        "only {domain_rules} rules with a domain check"
    );
    assert!(
        upn_moves > 0,
        "the UPN suggestion at an accepted domain never happened"
    );
    assert!(checked > 100, "only {checked} suggestions checked");
}

/// The loader refuses a rule that would move a non-UPN address into another domain.
#[test]
fn accepted_domain_fix_is_refused_on_other_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.yaml");
    std::fs::write(
        &p,
        r#"- id: my-mail-domain
  title: t
  severity: error
  category: domain
  attribute: mail
  check: { kind: domain_accepted }
  message: m
  fix: accepted_domain
  examples: { valid: ["a@contoso.com"], invalid: ["a@x.com"], accepted_domains: [contoso.com] }
"#,
    )
    .unwrap();
    let err = RuleSet::with_user_rules(&[p]).unwrap_err().to_string();
    assert!(
        err.contains("my-mail-domain") && err.contains("another domain"),
        "{err}"
    );
}

/// ast-grep style: each built-in rule's messages and suggestions on its invalid examples
/// are pinned in `rules/m365/__snapshots__/<id>.snap` (UPDATE_SNAPSHOTS=1 rewrites them).
#[test]
fn builtin_rule_snapshots_pin_messages_and_suggestions() {
    let set = RuleSet::builtin().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/m365/__snapshots__");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let differ = examples::check_snapshots(&set, &dir, update).unwrap();
    assert!(
        differ.is_empty(),
        "snapshots differ or are missing for {differ:?} (UPDATE_SNAPSHOTS=1 rewrites them; review the diff)"
    );
    // No stale snapshot of a rule that is gone.
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let id = name.trim_end_matches(".snap");
        assert!(set.get(id).is_some(), "{name} has no rule");
    }
}

/// Every rule has valid and invalid examples, every fix kind is used by the pack, and
/// every rule with a fix shows it working: at least one invalid example gets a suggestion.
#[test]
fn every_rule_and_fix_kind_is_exercised() {
    use dirready::rules::FixKind;
    let set = RuleSet::builtin().unwrap();
    for kind in [
        FixKind::Strip,
        FixKind::Trim,
        FixKind::Truncate,
        FixKind::TidyDots,
        FixKind::AcceptedDomain,
    ] {
        // Trim is offered for user rules; the pack strips whitespace with `strip`.
        if kind == FixKind::Trim {
            continue;
        }
        assert!(
            set.rules.iter().any(|r| r.def.fix == kind),
            "no built-in rule uses fix {}",
            kind.as_str()
        );
    }
    for r in &set.rules {
        assert!(!r.def.examples.valid.is_empty() && !r.def.examples.invalid.is_empty());
        if r.def.fix == FixKind::None {
            continue;
        }
        let snap = examples::snapshot(&set, r);
        assert!(
            snap.contains("suggestion: \""),
            "{} has fix {} but none of its invalid examples gets a suggestion:\n{snap}",
            r.def.id,
            r.def.fix.as_str()
        );
    }
}

/// The JSON schema of rule files is shipped as rules/schema.json, matches the loader, and
/// accepts every built-in rule file.
#[test]
fn rule_file_schema_is_current_and_accepts_the_pack() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/schema.json");
    let now = dirready::rules::json_schema();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        now,
        "rules/schema.json is stale: run `dirready rules schema > rules/schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&now).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (file, text) in builtin_files() {
        let doc: serde_json::Value = serde_yaml::from_str(text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
    // And it rejects what the loader rejects: an unknown check kind, a missing id.
    let bad: serde_json::Value = serde_json::json!([{"title": "t", "severity": "error",
        "category": "format", "attribute": "mail", "check": {"kind": "nonsense"},
        "message": "m", "examples": {"valid": ["a"], "invalid": ["b"]}}]);
    assert!(!validator.is_valid(&bad));
}

/// A user rule with the `max_bytes` check kind on a binary attribute: the raw bytes are
/// counted, not the base64 text, and the rule's own examples pass.
#[test]
fn max_bytes_counts_binary_values_in_user_rules() {
    use base64::Engine as _;
    use dirready::engine::{self, Input, ScanOptions};
    let set = RuleSet::with_user_text(
        "photo.yaml",
        r#"- id: photo-too-large
  title: thumbnailPhoto is larger than 100 bytes
  severity: error
  category: length
  objects: [user]
  attribute: thumbnailPhoto
  check: { kind: max_bytes, max: 100 }
  message: "thumbnailPhoto {detail}"
  examples: { valid: ["small"], invalid: ["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"] }
"#,
    )
    .unwrap();
    let (count, failures) = examples::run(&set, Some(&["photo-too-large".to_string()]));
    assert_eq!((count, failures.len()), (2, 0), "{failures:?}");
    // 101 bytes that are not UTF-8 (base64 text of 136 characters).
    let photo: Vec<u8> = (0..101u8).map(|i| 0x80 | i).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&photo);
    for (bytes, expect) in [(&photo[..], true), (&photo[..100], false)] {
        let doc = format!(
            "dn: CN=P,DC=contoso,DC=com\nobjectClass: user\nthumbnailPhoto:: {}\n",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        let opts = ScanOptions::default();
        let input = Input::from_bytes("p.ldif", doc.into_bytes(), opts.block_size);
        let report = engine::scan(vec![input], &set, &opts).unwrap();
        let hit: Vec<_> = report
            .findings
            .iter()
            .filter(|f| &*f.rule == "photo-too-large")
            .collect();
        assert_eq!(hit.len(), usize::from(expect), "{} bytes", bytes.len());
        if expect {
            assert_eq!(
                &*hit[0].message,
                "thumbnailPhoto has 101 bytes; the limit is 100"
            );
            // thumbnailPhoto is binary in the pack, so every rule reads it as bytes:
            // the value is shown as base64.
            assert_eq!(hit[0].value.as_deref(), Some(b64.as_str()));
            assert_eq!(hit[0].value_base64, None);
        }
    }
}

/// docs/rules.md is generated from the pack (`dirready rules docs > docs/rules.md`).
#[test]
fn rule_docs_are_current() {
    let set = RuleSet::builtin().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let now = dirready::rules::docs_markdown(&set);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        now,
        "docs/rules.md is stale: run `dirready rules docs > docs/rules.md`"
    );
    for r in &set.rules {
        assert!(
            now.contains(&format!("\n## {}\n", r.def.id)),
            "{}",
            r.def.id
        );
    }
}
