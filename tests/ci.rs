//! CI formats and memory between runs: SARIF (schema-validated), JUnit (parsed back),
//! CSV, JSON Lines, the GitHub step summary, baselines, `dirready diff`, exceptions and
//! display selection, all through the binary.
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const CORPUS: &str = "tests/fixtures/spec/corpus-ldifde.ldf";

fn json_file(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// The records of an LDIF file in reverse order (header and comments kept first).
fn reversed_records(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let chunks: Vec<&str> = text
        .split("\n\n")
        .filter(|c| !c.trim().is_empty())
        .collect();
    let (head, records): (Vec<&str>, Vec<&str>) = chunks.into_iter().partition(|c| {
        !c.lines()
            .any(|l| l.starts_with("dn:") || l.starts_with("dn::"))
    });
    let mut out = head.join("\n\n");
    for r in records.iter().rev() {
        out.push_str("\n\n");
        out.push_str(r);
    }
    out.push('\n');
    out
}

fn fingerprints(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// The vendored SARIF 2.1.0 schema (2.1.0-rtm.5, as shipped in the npm package
/// @microsoft/jest-sarif, MIT). Its `run.language` pattern has a stray `]`
/// (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) that the validator's meta-schema check
/// rejects as a regex; it is replaced by the intended pattern. dirready does not emit
/// `language`, so this changes nothing for our output.
fn sarif_validator() -> jsonschema::Validator {
    let text = read(&root().join("tests/fixtures/sarif-schema-2.1.0.json")).replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_validates_against_the_schema_and_points_at_dn_lines() {
    let dir = tempdir();
    let out = dir.path().join("results.sarif");
    let o = run(&[
        "scan",
        CORPUS,
        "examples/contoso.ldif",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let sarif = json_file(&out);
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");

    let run0 = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() > 20);
    assert!(rules.iter().all(|r| r["help"]["text"].is_string()
        && r["shortDescription"]["text"].is_string()
        && r["fullDescription"]["text"].is_string()));
    let results = run0["results"].as_array().unwrap();
    assert!(results.len() > 20);
    let files: BTreeMap<&str, Vec<String>> = [CORPUS, "examples/contoso.ldif"]
        .iter()
        .map(|f| {
            let t = read(&root().join(f));
            (*f, t.lines().map(|l| l.to_string()).collect())
        })
        .collect();
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
        let text = &files[uri][line - 1];
        assert!(
            text.starts_with("dn:"),
            "{uri}:{line} is not a dn: line: {text}"
        );
        let fp = r["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 32);
        assert_eq!(r["partialFingerprints"]["dirready/v1"], fp);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        // The attribute's own line, where known, is the first related location.
        let attr = r["properties"]["attribute"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase();
        if let Some(rel) = r["relatedLocations"].as_array() {
            let vl = rel[0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap() as usize;
            let vtext = files[uri][vl - 1].to_ascii_lowercase();
            assert!(
                vtext.starts_with(&format!("{attr}:")),
                "{uri}:{vl} is not a {attr} line: {vtext}"
            );
        }
    }
}

#[test]
fn sarif_of_an_empty_scan_still_validates_with_empty_arrays() {
    let dir = tempdir();
    let clean = write(
        dir.path(),
        "clean.ldif",
        "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: a@contoso.com\nsAMAccountName: a\n",
    );
    let o = run(&["scan", clean.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(code(&o), 0);
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert!(sarif_validator().is_valid(&sarif));
}

#[test]
fn stdin_sarif_says_there_is_no_file_and_points_to_snapshot() {
    let data = std::fs::read(root().join("examples/contoso.ldif")).unwrap();
    let o = run_stdin(&["scan", "-", "--format", "sarif"], &data);
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r = &sarif["runs"][0]["results"][0];
    assert!(r["locations"][0]["physicalLocation"].is_null());
    assert!(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].is_string());
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .contains("--snapshot"));
}

#[test]
fn reordered_export_keeps_every_fingerprint() {
    let dir = tempdir();
    let original = read(&root().join(CORPUS));
    let rev = write(dir.path(), "reversed.ldf", &reversed_records(&original));
    let a = run(&["scan", CORPUS, "--format", "json", "-q"]);
    let b = run(&["scan", rev.to_str().unwrap(), "--format", "json", "-q"]);
    let a: Value = serde_json::from_str(&stdout(&a)).unwrap();
    let b: Value = serde_json::from_str(&stdout(&b)).unwrap();
    assert!(a["findings"].as_array().unwrap().len() > 50);
    // The lines moved...
    assert_ne!(
        a["findings"][0]["source"]["line"],
        b["findings"][0]["source"]["line"]
    );
    // ...the fingerprints did not.
    assert_eq!(fingerprints(&a), fingerprints(&b));
    // Same for contoso (no objectGUIDs: normalised DNs).
    let c = read(&root().join("examples/contoso.ldif"));
    let crev = write(dir.path(), "contoso-rev.ldif", &reversed_records(&c));
    let a = run(&["scan", "examples/contoso.ldif", "--format", "json", "-q"]);
    let b = run(&["scan", crev.to_str().unwrap(), "--format", "json", "-q"]);
    let a: Value = serde_json::from_str(&stdout(&a)).unwrap();
    let b: Value = serde_json::from_str(&stdout(&b)).unwrap();
    assert_eq!(fingerprints(&a), fingerprints(&b));
}

const HOSTILE: &str = "dn: CN=Evil,DC=contoso,DC=com\nobjectClass: user\nsAMAccountName: evil\n\
userPrincipalName: =HYPERLINK(\"http://x\") <b>&\"'@contoso.com\n\
displayName: -2+3\n\
mailNickname: @SUM(1) </failure>\n\
proxyAddresses: X500:/o=a]]>\"<x>\n\n\
dn: CN=Ctl,DC=contoso,DC=com\nobjectClass: user\nsAMAccountName: ctl\n\
userPrincipalName:: YQFiQGNvbnRvc28uY29t\n";

#[test]
fn junit_has_one_case_per_rule_and_parses_with_hostile_values() {
    let dir = tempdir();
    let input = write(dir.path(), "evil.ldif", HOSTILE);
    let out = dir.path().join("junit.xml");
    let o = run(&[
        "scan",
        input.to_str().unwrap(),
        "examples/contoso.ldif",
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let xml = read(&out);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let root_el = doc.root_element();
    assert_eq!(root_el.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(cases.len(), rules.len(), "one test case per rule");
    let failing_rules: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), failing_rules.len());
    assert_eq!(
        root_el.attribute("failures").unwrap(),
        failures.len().to_string()
    );
    let suites_total: usize = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| s.attribute("tests").unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(suites_total, cases.len());
    // The failure text lists the objects, values intact after parsing.
    let all_text: String = failures.iter().filter_map(|f| f.text()).collect();
    assert!(all_text.contains("CN=Evil,DC=contoso,DC=com"));
    assert!(all_text.contains("</failure>") || all_text.contains("<b>&\"'"));
    assert!(!xml.contains('\u{1}'));
}

#[test]
fn csv_is_idfix_shaped_quoted_and_formula_safe() {
    let dir = tempdir();
    let input = write(dir.path(), "evil.ldif", HOSTILE);
    let out = dir.path().join("findings.csv");
    let o = run(&[
        "scan",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1);
    let text = read(&out);
    assert!(text.starts_with(
        "DISTINGUISHEDNAME,COMMONNAME,OBJECTCLASS,ATTRIBUTE,ERROR,VALUE,UPDATE,ACTION,"
    ));
    assert!(text.contains("\r\n"));
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() >= 3);
    for row in &rows {
        assert_eq!(row.len(), 14);
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell: {cell:?}"
            );
        }
    }
    let values: Vec<&str> = rows.iter().map(|r| &r[5]).collect();
    assert!(
        values.contains(&"'=HYPERLINK(\"http://x\") <b>&\"'@contoso.com"),
        "{values:?}"
    );
    assert!(rows
        .iter()
        .all(|r| &r[0] == "CN=Evil,DC=contoso,DC=com" || &r[0] == "CN=Ctl,DC=contoso,DC=com"));
    assert!(rows.iter().any(|r| &r[1] == "Evil"));
}

#[test]
fn jsonl_has_typed_messages_one_per_line() {
    let o = run(&["scan", "examples/contoso.ldif", "--format", "jsonl"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines[0]["type"], "begin");
    assert!(out
        .lines()
        .next()
        .unwrap()
        .starts_with("{\"type\":\"begin\""));
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    let findings = lines.iter().filter(|l| l["type"] == "finding").count() as u64;
    assert_eq!(
        findings,
        last["summary"]["findings_total"].as_u64().unwrap()
    );
    assert_eq!(last["gate"]["exit_code"], 1);
    assert!(lines
        .iter()
        .filter(|l| l["type"] == "finding")
        .all(|l| l["fingerprint"].as_str().unwrap().len() == 32));
}

const NEW_BAD: &str = "\ndn: CN=New Hire,OU=Staff,DC=contoso,DC=com\nobjectClass: user\n\
sAMAccountName: nhire\nuserPrincipalName: new hire@contoso.com\n";

#[test]
fn baseline_fails_only_on_the_new_object() {
    let dir = tempdir();
    let base = dir.path().join("accepted.json");
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--write-baseline",
        base.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1);
    let b = json_file(&base);
    assert_eq!(b["dirready_baseline"], 1);
    let text = read(&base);
    assert!(!text.contains("\"line\""), "no line numbers in a baseline");

    // The same export against its baseline: clean.
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--baseline",
        base.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Re-sorted and with one bad object more: exit 1, naming only that object.
    let mut ldif = reversed_records(&read(&root().join("examples/contoso.ldif")));
    ldif.push_str(NEW_BAD);
    let grown = write(dir.path(), "grown.ldif", &ldif);
    let o = run(&[
        "scan",
        grown.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let new: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["state"] == "new")
        .collect();
    assert!(!new.is_empty());
    assert!(new
        .iter()
        .all(|f| f["dn"] == "CN=New Hire,OU=Staff,DC=contoso,DC=com"));
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["state"] == "new" || f["state"] == "baselined"));
    assert_eq!(r["baseline"]["counts"]["fixed"], 0);
    assert_eq!(r["gate"]["failing"].as_u64().unwrap(), new.len() as u64);
    // The terminal output names it too.
    let o = run(&[
        "scan",
        grown.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert!(stdout(&o).contains("New Hire"));

    // Removing a bad object lists its findings as fixed.
    let fewer: String = read(&root().join("examples/contoso.ldif"))
        .split("\n\n")
        .filter(|c| !c.contains("dn: CN=Carol Smith"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let fewer = write(dir.path(), "fewer.ldif", &fewer);
    let o = run(&[
        "scan",
        fewer.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0);
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let fixed = r["baseline"]["fixed"].as_array().unwrap();
    assert!(!fixed.is_empty());
    assert!(fixed
        .iter()
        .all(|e| e["dn"] == "CN=Carol Smith,OU=Staff,DC=contoso,DC=com"));
}

#[test]
fn bad_baseline_is_a_usage_error() {
    let dir = tempdir();
    let bad = write(dir.path(), "b.json", "{\"x\": 1}");
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--baseline",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("b.json"));
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--baseline",
        "no/such.json",
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn diff_reports_new_fixed_and_unchanged_by_rule() {
    let dir = tempdir();
    let yesterday = dir.path().join("yesterday.json");
    let today = dir.path().join("today.json");
    let fewer: String = read(&root().join("examples/contoso.ldif"))
        .split("\n\n")
        .filter(|c| !c.contains("dn: CN=Carol Smith"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut grown = fewer.clone();
    grown.push_str(NEW_BAD);
    let y = write(
        dir.path(),
        "y.ldif",
        &read(&root().join("examples/contoso.ldif")),
    );
    let t = write(dir.path(), "t.ldif", &grown);
    run(&[
        "scan",
        y.to_str().unwrap(),
        "-o",
        yesterday.to_str().unwrap(),
        "-q",
    ]);
    run(&[
        "scan",
        t.to_str().unwrap(),
        "-o",
        today.to_str().unwrap(),
        "-q",
    ]);
    let changes = dir.path().join("changes.md");
    let o = run(&[
        "diff",
        yesterday.to_str().unwrap(),
        today.to_str().unwrap(),
        "-o",
        changes.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let c = &r["baseline"]["counts"];
    assert!(c["new"].as_u64().unwrap() >= 1);
    assert!(c["fixed"].as_u64().unwrap() >= 1);
    assert!(c["unchanged"].as_u64().unwrap() > 10);
    assert_eq!(r["baseline"]["by_rule"]["upn-invalid-character"]["new"], 1);
    assert_eq!(
        r["baseline"]["by_rule"]["upn-invalid-character"]["fixed"],
        1
    );
    assert!(r["baseline"]["by_category"]["character"].is_object());
    let md = read(&changes);
    assert!(md.contains("Changes"), "{md}");
    assert!(md.contains("New Hire"));
    assert!(md.contains("Carol Smith"));
    // Same report twice: nothing new, exit 0; every output format works.
    for ext in ["sarif", "xml", "csv", "jsonl", "html", "txt"] {
        let out = dir.path().join(format!("same.{ext}"));
        let o = run(&[
            "diff",
            today.to_str().unwrap(),
            today.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(code(&o), 0, "{ext}: {}", stderr(&o));
        assert!(std::fs::metadata(&out).unwrap().len() > 0);
    }
}

#[test]
fn exceptions_mark_findings_and_expired_or_unmatched_entries_warn_everywhere() {
    let dir = tempdir();
    let ex = write(
        dir.path(),
        "exceptions.yaml",
        "exceptions:\n\
         \x20 - rule: upn-invalid-character\n\
         \x20   dn: \"cn=carol smith , ou=staff,*\"\n\
         \x20   reason: Carol leaves in March; account is excluded from sync.\n\
         \x20   owner: identity-team\n\
         \x20   expires: 2999-12-31\n\
         \x20 - rule: upn-invalid-character\n\
         \x20   value: jürgen.groß@contoso.com\n\
         \x20   reason: old waiver\n\
         \x20   expires: 2000-01-01\n\
         \x20 - rule: mail-format\n\
         \x20   dn: CN=Nobody*\n\
         \x20   reason: stale entry\n",
    );
    let dirs = dir.path().to_str().unwrap();
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--exceptions",
        ex.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        &format!("{dirs}/r.sarif"),
        "-o",
        &format!("{dirs}/j.xml"),
        "-o",
        &format!("{dirs}/f.jsonl"),
        "-o",
        &format!("{dirs}/r.md"),
        "-o",
        &format!("{dirs}/r.html"),
        "-o",
        &format!("{dirs}/r.txt"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("exceptions.yaml:7: warning:") && err.contains("expired on 2000-01-01"),
        "{err}"
    );
    assert!(
        err.contains("exceptions.yaml:11: warning:") && err.contains("matches no finding"),
        "{err}"
    );
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let carol: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["dn"] == "CN=Carol Smith,OU=Staff,DC=contoso,DC=com"
                && f["rule"] == "upn-invalid-character"
        })
        .collect();
    assert_eq!(carol.len(), 1);
    assert_eq!(carol[0]["state"], "excepted");
    assert_eq!(carol[0]["exception"]["owner"], "identity-team");
    // The expired one no longer applies.
    let jurgen = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == "jürgen.groß@contoso.com")
        .unwrap();
    assert!(jurgen.get("state").is_none() || jurgen["state"] == "new");
    assert_eq!(r["exceptions"]["expired"], 1);
    assert_eq!(r["exceptions"]["unmatched"], 1);
    assert_eq!(r["exceptions"]["excepted"], 1);
    // Warnings in every format.
    let sarif = read(&dir.path().join("r.sarif"));
    assert!(sarif.contains("expired on 2000-01-01") && sarif.contains("matches no finding"));
    assert!(sarif_validator().is_valid(&serde_json::from_str(&sarif).unwrap()));
    for f in ["j.xml", "f.jsonl", "r.md", "r.html", "r.txt"] {
        let t = read(&dir.path().join(f));
        assert!(
            t.contains("expired on 2000-01-01"),
            "{f} lacks the expiry warning"
        );
        assert!(
            t.contains("matches no finding"),
            "{f} lacks the unmatched warning"
        );
    }
    let md = read(&dir.path().join("r.md"));
    assert!(
        md.contains("Carol leaves in March"),
        "excepted reason shown"
    );
}

#[test]
fn all_findings_excepted_or_baselined_exit_zero() {
    let dir = tempdir();
    let input = write(
        dir.path(),
        "one.ldif",
        "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\nsAMAccountName: a\nuserPrincipalName: a b@contoso.com\n",
    );
    let ex = write(
        dir.path(),
        "ex.yaml",
        "exceptions:\n  - rule: upn\n    dn: CN=A,DC=contoso,DC=com\n    reason: test\n",
    );
    let o = run(&[
        "scan",
        input.to_str().unwrap(),
        "--exceptions",
        ex.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("excepted"), "{}", stdout(&o));
}

#[test]
fn exceptions_file_errors_name_file_line_and_column() {
    let dir = tempdir();
    let ex = write(
        dir.path(),
        "ex.yaml",
        "exceptions:\n  - rule: upn-format\n    dn: CN=A\n    reason: ok\n  - rule: upn-format\n    dn: CN=B\n",
    );
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--exceptions",
        ex.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("ex.yaml:"), "{err}");
    assert!(err.contains("reason"), "{err}");
    let ex = write(
        dir.path(),
        "ex2.yaml",
        "exceptions:\n  - rule: upn-format\n    reason: ok\n",
    );
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--exceptions",
        ex.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("ex2.yaml:2:3:"), "{}", stderr(&o));
}

#[test]
fn selection_is_a_display_filter_and_gates_only_what_is_shown() {
    let all = run(&["scan", "examples/contoso.ldif", "--format", "json"]);
    let all: Value = serde_json::from_str(&stdout(&all)).unwrap();
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--select",
        "upn,proxy",
        "--ignore",
        "proxy-x400-character",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("proxy-x400-character"),
        "unknown selector warned"
    );
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.is_empty());
    assert!(rules
        .iter()
        .all(|id| id.starts_with("upn-") || id.starts_with("proxy-")));
    // The readiness summary is the same; the hidden findings are accounted for.
    assert_eq!(r["summary"], all["summary"]);
    let shown = rules.len() as u64;
    let hidden = r["selection"]["hidden_total"].as_u64().unwrap();
    assert_eq!(
        shown + hidden,
        all["summary"]["findings_total"].as_u64().unwrap()
    );
    assert!(
        r["selection"]["hidden_by_rule"]["samaccountname-duplicate"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Only info/warning rules shown: exit 0 at the default --fail-on error.
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--select",
        "displayname-blank",
    ]);
    let sev = all["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "displayname-blank")
        .unwrap()["severity"]
        .clone();
    if sev != "error" {
        assert_eq!(code(&o), 0);
        let o = run(&[
            "scan",
            "examples/contoso.ldif",
            "--select",
            "displayname-blank",
            "--fail-on",
            "info",
        ]);
        assert_eq!(code(&o), 1);
    }
    // --exit-zero.
    assert_eq!(
        code(&run(&["scan", "examples/contoso.ldif", "--exit-zero"])),
        0
    );
    // Ignoring everything shows nothing and passes.
    assert_eq!(
        code(&run(&["scan", "examples/contoso.ldif", "--ignore", "all"])),
        0
    );
    // JUnit marks unselected rules skipped.
    let dir = tempdir();
    let out = dir.path().join("j.xml");
    run(&[
        "scan",
        "examples/contoso.ldif",
        "--select",
        "upn",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    let xml = read(&out);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("skipped"))
            .count()
            > 10
    );
}

#[test]
fn github_step_summary_is_appended_short_and_link_free() {
    let dir = tempdir();
    let summary = write(dir.path(), "summary.md", "# earlier step\n");
    let o = dirready()
        .args(["scan", "examples/contoso.ldif", "-q"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let text = read(&summary);
    assert!(
        text.starts_with("# earlier step\n"),
        "appended, not replaced"
    );
    assert!(text.contains("## dirready scan"));
    assert!(text.contains("Top rules"));
    assert!(
        text.contains("samaccountname-duplicate") || text.contains("samaccountname\\-duplicate")
    );
    assert!(!text.contains("http"), "link-free");
    assert!(text.len() < 64 * 1024);
    // Without the variable nothing is written anywhere.
    let o = dirready()
        .args(["scan", "examples/contoso.ldif", "-q"])
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
}

#[test]
fn exception_reasons_are_escaped_in_html_and_markdown() {
    let dir = tempdir();
    let ex = write(
        dir.path(),
        "ex.yaml",
        "exceptions:\n  - rule: upn-invalid-character\n    dn: CN=Carol Smith,*\n    reason: \"<script>alert(1)</script> [x](javascript:y)\"\n    owner: \"<b>o</b>\"\n",
    );
    let html = dir.path().join("r.html");
    let md = dir.path().join("r.md");
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--exceptions",
        ex.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
        "-o",
        md.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let h = read(&html);
    assert!(h.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(!h.contains("<script>alert(1)"));
    assert!(!h.contains("<b>o</b>"));
    let m = read(&md);
    assert!(!m.contains("<script>") && !m.contains("[x](javascript"));
}
