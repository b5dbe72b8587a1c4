//! The independent tenant-prediction corpus (`tests/fixtures/spec-tenant/`): written from
//! tenant-match.md alone by someone who never read `src/`, it generates exports and
//! snapshots in every accepted form and compares every `tenant-*` finding, severity and
//! the summary with what the contract implies (`compare.py` prints each difference).
// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::root;
use std::process::Command;

#[test]
fn tenant_predictions_match_the_independent_corpus() {
    let dir = root().join("tests/fixtures/spec-tenant");
    let python = Command::new("python3").arg("--version").output();
    if python.is_err() {
        assert!(std::env::var_os("CI").is_none(), "python3 is needed in CI");
        eprintln!("skipped: no python3");
        return;
    }
    let gen = Command::new("python3")
        .arg("gen_tenant_corpus.py")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let o = Command::new("python3")
        .args(["compare.py", "--bin", env!("CARGO_BIN_EXE_dirready")])
        .current_dir(&dir)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("TOTAL: 0 problem(s)"),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
