//! Fix files must never do what nobody reviewed: regression tests from a review of the
//! fix-file code (forged reports, sibling values, collisions with objects out of scope,
//! excepted values, absent attributes, colliding output paths).

// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;

fn scan_json(dir: &std::path::Path, ldif: &str, extra: &[&str]) -> (String, Value) {
    let export = write(dir, "export.ldif", ldif);
    let json = dir.join("r.json");
    let mut args = vec![
        "scan",
        export.to_str().unwrap(),
        "-q",
        "-o",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let v = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (export.to_str().unwrap().to_string(), v)
}

const TWO: &str = "dn: CN=Anna,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: anna space@contoso.com\n\n\
dn: CN=Bob,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: bob@contoso.com\n";

/// A forged report: an attribute name carrying LDIF lines, an object that is not in the
/// input, a value the input does not hold. All refused; nothing injected; exit 1.
#[test]
fn forged_reports_are_refused() {
    let dir = tempdir();
    let (_, mut r) = scan_json(dir.path(), TWO, &[]);
    let anna = r["findings"][0].clone();
    let findings = r["findings"].as_array_mut().unwrap();
    let mut inject = anna.clone();
    inject["attribute"] =
        "mail\nreplace: scriptPath\nscriptPath: \\\\evil\\x.bat\n-\nreplace: mail".into();
    let mut stranger = anna.clone();
    stranger["dn"] = "CN=Administrator,CN=Users,DC=contoso,DC=com".into();
    stranger["suggestion"] = "admin@contoso.com".into();
    let mut gone = anna.clone();
    gone["value"] = "anna old@contoso.com".into();
    gone["suggestion"] = "annaold@contoso.com".into();
    findings.extend([inject, stranger, gone]);
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, serde_json::to_string(&r).unwrap()).unwrap();
    let fix = dir.path().join("f.ldif");
    let o = run(&[
        "fix",
        edited.to_str().unwrap(),
        "--fix-ldif",
        fix.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = std::fs::read_to_string(&fix).unwrap();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.starts_with("replace: scriptPath") && !line.starts_with("scriptPath:"),
            "{text}"
        );
        assert!(!line.contains("Administrator"), "{text}");
        assert!(!line.contains("annaold"), "{text}");
    }
    // Anna's real suggestion is still there.
    assert!(
        text.contains("userPrincipalName: annaspace@contoso.com"),
        "{text}"
    );
    let err = stderr(&o);
    assert!(
        err.contains("not in `") || err.contains("is not in"),
        "{err}"
    );
    assert!(err.contains("no longer holds this value"), "{err}");
}

/// A report whose input cannot be read here: its edits are written with a warning (in
/// the header too), or refused with --verified-only.
#[test]
fn unverifiable_inputs_are_flagged_or_refused() {
    let dir = tempdir();
    let (export, r) = scan_json(dir.path(), TWO, &[]);
    std::fs::remove_file(&export).unwrap();
    let json = dir.path().join("r.json");
    std::fs::write(&json, serde_json::to_string(&r).unwrap()).unwrap();
    let fix = dir.path().join("f.ldif");
    let (j, f) = (json.to_str().unwrap(), fix.to_str().unwrap());
    let o = run(&["fix", j, "--fix-ldif", f, "--verified-only"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!std::fs::read_to_string(&fix)
        .unwrap()
        .contains("changetype: modify"));
    let o = run(&["fix", j, "--fix-ldif", f]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("NOT VERIFIED"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&fix).unwrap();
    assert!(text.contains("changetype: modify"));
    assert!(
        text.contains("# NOT VERIFIED: the edits of objects from"),
        "{text}"
    );
}

/// An attribute holding several values that no list knows as multi-valued: the fix
/// changes only the offending value, never a blanket replace.
#[test]
fn attributes_with_several_values_are_never_replaced_whole() {
    let dir = tempdir();
    let rule = write(
        dir.path(),
        "dept.yaml",
        "- id: dept-space\n  title: t\n  severity: error\n  category: character\n  attribute: departmentNumber\n  check: { kind: charset, whitespace: true }\n  message: \"departmentNumber {detail}\"\n  fix: strip\n  examples: { valid: [\"a\"], invalid: [\"a b\"] }\n",
    );
    let ldif = "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\ndepartmentNumber: D 42\ndepartmentNumber: D7\ndepartmentNumber: Finance-9\n";
    let export = write(dir.path(), "e.ldif", ldif);
    let fix = dir.path().join("f.ldif");
    let o = run(&[
        "scan",
        export.to_str().unwrap(),
        "-q",
        "--rules",
        rule.to_str().unwrap(),
        "--fix-ldif",
        fix.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = std::fs::read_to_string(&fix).unwrap();
    assert!(!text.contains("replace: departmentNumber"), "{text}");
    assert!(text.contains("delete: departmentNumber\ndepartmentNumber: D 42\n-\nadd: departmentNumber\ndepartmentNumber: D42\n"), "{text}");
}

/// A suggestion that an object outside the sync scope already holds (AD would refuse
/// the UPN, and a mail collision would go unnoticed) stays out of the fix file.
#[test]
fn suggestions_never_collide_with_objects_out_of_scope() {
    let dir = tempdir();
    let ldif = "dn: CN=Anna,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: anna space@contoso.com\n\n\
dn: CN=Old Anna,OU=Leavers,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: annaspace@contoso.com\n";
    let export = write(dir.path(), "e.ldif", ldif);
    let fix = dir.path().join("f.ldif");
    let o = run(&[
        "scan",
        export.to_str().unwrap(),
        "--exclude-ou",
        "OU=Leavers,DC=contoso,DC=com",
        "--fix-ldif",
        fix.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("already held by another object"),
        "{}",
        stderr(&o)
    );
    assert!(!std::fs::read_to_string(&fix)
        .unwrap()
        .contains("changetype: modify"));
}

/// An excepted value is not edited through another rule's finding on it.
#[test]
fn excepted_values_are_left_alone() {
    let dir = tempdir();
    let ldif = "dn: CN=Dan,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: dan@contoso.com\nmail: dan..o brien@contoso.com\n";
    let export = write(dir.path(), "e.ldif", ldif);
    let ex = write(
        dir.path(),
        "ex.yaml",
        "exceptions:\n  - rule: mail-invalid-character\n    dn: CN=Dan,DC=contoso,DC=com\n    reason: kept as it is\n",
    );
    let fix = dir.path().join("f.ldif");
    run(&[
        "scan",
        export.to_str().unwrap(),
        "-q",
        "--exceptions",
        ex.to_str().unwrap(),
        "--fix-ldif",
        fix.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&fix).unwrap();
    assert!(!text.contains("changetype: modify"), "{text}");
    assert!(text.contains("excepted"), "{text}");
}

/// A decision filling in an absent attribute: the fix adds it, the undo deletes it (no
/// empty value is ever written).
#[test]
fn absent_attributes_are_added_and_undone_by_delete() {
    let dir = tempdir();
    let rule = write(
        dir.path(),
        "title.yaml",
        "- id: title-required\n  title: t\n  severity: error\n  category: blank\n  objects: [user]\n  attribute: title\n  check: { kind: required }\n  message: \"title {detail}\"\n  examples: { valid: [\"x\"], invalid: [\"dn: CN=X,DC=y\\nobjectClass: user\\n\"] }\n",
    );
    let export = write(
        dir.path(),
        "e.ldif",
        "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: a@contoso.com\n",
    );
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let o = run(&[
        "scan",
        export.to_str().unwrap(),
        "-q",
        "--rules",
        rule.to_str().unwrap(),
        "-o",
        &d("r.json"),
        "--decisions-csv",
        &d("d.csv"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let csv = std::fs::read_to_string(d("d.csv")).unwrap();
    let filled = csv.replace(",title,,,", ",title,,Engineer,");
    assert_ne!(filled, csv, "{csv}");
    std::fs::write(d("filled.csv"), filled).unwrap();
    let o = run(&[
        "fix",
        &d("r.json"),
        "--rules",
        rule.to_str().unwrap(),
        "--decisions",
        &d("filled.csv"),
        "--fix-ldif",
        &d("f.ldif"),
        "--fix-ps1",
        &d("f.ps1"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let fix = std::fs::read_to_string(d("f.ldif")).unwrap();
    assert!(fix.contains("add: title\ntitle: Engineer\n-\n"), "{fix}");
    let undo = std::fs::read_to_string(d("f.undo.ldif")).unwrap();
    assert!(undo.contains("delete: title\n-\n"), "{undo}");
    assert!(!undo.contains("\ntitle:"), "{undo}");
    let ps = std::fs::read_to_string(d("f.undo.ps1")).unwrap();
    assert!(ps.contains("-Clear 'title'"), "{ps}");
}

/// Two outputs on one path would leave a fix file without its undo: refused.
#[test]
fn colliding_output_paths_are_refused() {
    let dir = tempdir();
    let export = write(dir.path(), "e.ldif", TWO);
    let same = dir.path().join("same.ldif");
    let o = run(&[
        "scan",
        export.to_str().unwrap(),
        "--fix-ldif",
        same.to_str().unwrap(),
        "--undo-ldif",
        same.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("two fix files"), "{}", stderr(&o));
    assert!(!same.exists());
}
