//! Every built-in rule's own examples pass, and the pack is well formed.

use dirready::rules::{builtin_files, examples, RuleSet};

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
    assert!(!set.scope.exclude.is_empty());
    for r in &set.rules {
        assert!(!r.def.docs.is_empty(), "{} has no docs", r.def.id);
        assert!(
            r.def.docs.contains("https://"),
            "{} docs have no link",
            r.def.id
        );
    }
    // All six categories are covered.
    for c in dirready::findings::Category::ALL {
        assert!(
            set.rules.iter().any(|r| r.def.category == c),
            "no rule for {c:?}"
        );
    }
}
