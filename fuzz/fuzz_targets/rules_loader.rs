//! A user rule file given as text, loaded on top of the built-in pack
//! (`RuleSet::with_user_text`). When it loads and its own rules have only a few short
//! examples, those examples are run too (`rule_examples::run`), which compiles the
//! user's checks and scans one small LDIF document per example with them.
#![no_main]

use dirready::rule_examples;
use dirready::rules::RuleSet;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

const NAME: &str = "fuzz.yaml";
/// Examples of the fuzzed file's own rules run only up to this many in total ...
const MAX_EXAMPLES: usize = 8;
/// ... and only when none is longer than this (each example is one full scan).
const MAX_EXAMPLE_LEN: usize = 512;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = match RuleSet::with_user_text(NAME, text) {
        Ok(set) => set,
        Err(e) => {
            black_box(e.to_string());
            return;
        }
    };
    let mine: Vec<String> = set
        .rules
        .iter()
        .filter(|r| r.origin == NAME)
        .map(|r| r.def.id.clone())
        .collect();
    let user_examples: Vec<&String> = set
        .rules
        .iter()
        .filter(|r| r.origin == NAME)
        .flat_map(|r| r.def.examples.valid.iter().chain(&r.def.examples.invalid))
        .collect();
    black_box(set.attributes.len());
    if mine.is_empty()
        || user_examples.len() > MAX_EXAMPLES
        || user_examples.iter().any(|e| e.len() > MAX_EXAMPLE_LEN)
    {
        return;
    }
    let (count, failures) = rule_examples::run(&set, Some(&mine));
    for f in &failures {
        black_box(f.to_string());
    }
    black_box(count);
});
