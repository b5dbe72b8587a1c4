//! Detection against an independent reading of the contract (../shared/spec/m365-rules.md):
//! `tests/fixtures/spec/` holds two exports (ldifde and ldapsearch styles) made by
//! `gen_spec_corpus.py` with every defect and exclusion the spec describes, and the
//! expected (dn, attribute, category) of every finding. Nothing more, nothing less.
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;
use common::*;
use std::collections::BTreeSet;

type Key = (String, String, String);

fn expected(name: &str) -> BTreeSet<Key> {
    let text = std::fs::read_to_string(root().join("tests/fixtures/spec").join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (dn, attr, cat) = (col("dn"), col("attribute"), col("category"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[dn].to_string(), f[attr].to_string(), f[cat].to_string())
        })
        .collect()
}

fn found(extra: &[&str]) -> BTreeSet<Key> {
    let mut args = vec![
        "scan",
        "tests/fixtures/spec/corpus-ldifde.ldf",
        "tests/fixtures/spec/corpus-ldapsearch.ldif",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["incomplete"], false);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("dn"), s("attribute"), s("category"))
        })
        .collect()
}

fn compare(found: BTreeSet<Key>, expected: BTreeSet<Key>) {
    let missed: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed: {missed:#?}\nnot expected: {extra:#?}"
    );
}

#[test]
fn default_configuration_finds_exactly_the_expected_defects() {
    compare(found(&[]), expected("expected.tsv"));
}

#[test]
fn accepted_domains_find_exactly_the_expected_defects() {
    compare(
        found(&[
            "--accepted-domain",
            "contoso.com",
            "--accepted-domain",
            "fabrikam.com",
        ]),
        expected("expected-accepted.tsv"),
    );
}
