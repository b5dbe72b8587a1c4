//! Fix files against a real directory: a throwaway slapd on loopback is loaded with an
//! export full of defects, scanned live with `--fix-ldif`, the fix file is applied with
//! the real `ldapmodify`, and a rescan must show every finding that had a suggestion gone
//! and no new one. The undo file then restores the directory: an `ldapsearch` dump equals
//! the original one, value for value.

// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod live;
use common::*;
use live::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Output};

const SUFFIX: &str = "DC=contoso,DC=com";

fn run_pw(args: &[&str], pw: &str) -> Output {
    dirready()
        .args(args)
        .env("DIRREADY_BIND_PASSWORD", pw)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Every (dn, attribute, value) the server holds under the suffix, as a set: LDAP values
/// are unordered, and an undone multi-valued edit may change their order.
fn dump(s: &Slapd) -> BTreeSet<(String, String, Vec<u8>)> {
    let out = Command::new(tool("ldapsearch"))
        .args([
            "-x",
            "-LLL",
            "-o",
            "ldif_wrap=no",
            "-H",
            &s.ldap_url(),
            "-D",
        ])
        .arg(s.admin_dn())
        .args(["-w", ADMIN_PW, "-b", SUFFIX, "(objectClass=*)", "*"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dump_set(&out.stdout)
}

fn modify(s: &Slapd, file: &std::path::Path) -> Output {
    Command::new(tool("ldapmodify"))
        .args(["-x", "-H", &s.ldap_url(), "-D"])
        .arg(s.admin_dn())
        .args(["-w", ADMIN_PW, "-f"])
        .arg(file)
        .output()
        .unwrap()
}

fn live_scan(s: &Slapd, extra: &[&str]) -> Value {
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let url = s.ldaps_url();
    let mut args = vec![
        "scan",
        &url,
        "--base",
        SUFFIX,
        "--bind-dn",
        &reader,
        "--ca-file",
        &ca,
        "--format",
        "json",
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = run_pw(&args, READER_PW);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn fix_file_applied_with_ldapmodify_removes_fixable_findings_and_undo_restores_everything() {
    if skip_without("fix_roundtrip_slapd", SLAPD_TOOLS) {
        return;
    }
    let data = std::fs::read(root().join("tests/fixtures/fixes/defects.ldif")).unwrap();
    let s = Slapd::start(SUFFIX, &data);
    let original = dump(&s);
    let dir = tempdir();
    let fix = dir.path().join("fixes.ldif");
    let undo = dir.path().join("undo.ldif");
    let before = live_scan(
        &s,
        &[
            "--fix-ldif",
            fix.to_str().unwrap(),
            "--undo-ldif",
            undo.to_str().unwrap(),
        ],
    );
    let before = finding_keys(&before);
    let fixable: Vec<_> = before.iter().filter(|f| f.1).map(|f| f.0.clone()).collect();
    assert!(fixable.len() >= 8, "too few fixable findings: {fixable:?}");

    let o = modify(&s, &fix);
    assert!(
        o.status.success(),
        "ldapmodify fix: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let after = finding_keys(&live_scan(&s, &[]));
    let before_keys: BTreeSet<_> = before.iter().map(|f| f.0.clone()).collect();
    for (key, _) in &after {
        assert!(!fixable.contains(key), "still there after the fix: {key:?}");
        assert!(before_keys.contains(key), "new after the fix: {key:?}");
    }
    // Applying the fix file again fails safely at its first multi-valued delete.
    assert!(!modify(&s, &fix).status.success());

    let o = modify(&s, &undo);
    assert!(
        o.status.success(),
        "ldapmodify undo: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let restored = dump(&s);
    let missing: Vec<_> = original.difference(&restored).collect();
    let extra: Vec<_> = restored.difference(&original).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
}
