//! Live-source tests against a real OpenLDAP slapd started on free loopback ports (see
//! tests/live/mod.rs). They fail, not skip, when slapd is not installed.
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;
mod live;
use common::*;
use live::*;
use serde_json::Value;
use std::process::Output;

const SUFFIX: &str = "DC=contoso,DC=com";

fn contoso() -> Vec<u8> {
    std::fs::read(root().join("examples/contoso.ldif")).unwrap()
}

/// Runs dirready with the bind password in the environment.
fn run_pw(args: &[&str], pw: &str) -> Output {
    dirready()
        .args(args)
        .env("DIRREADY_BIND_PASSWORD", pw)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

fn file_scan(path: &str) -> Value {
    let o = run(&["scan", path, "--format", "json"]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    json(&o)
}

#[test]
fn live_scan_equals_file_scan_over_starttls_and_ldaps_and_the_snapshot_is_citable() {
    if skip_without(
        "live_scan_equals_file_scan_over_starttls_and_ldaps_and_the_snapshot_is_citable",
        SLAPD_TOOLS,
    ) {
        return;
    }
    let s = Slapd::start(SUFFIX, &contoso());
    let expected = file_scan("examples/contoso.ldif");
    assert!(!findings(&expected).is_empty());
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let dir = tempdir();
    let snap = dir.path().join("seen.ldif");
    let snap_s = snap.to_str().unwrap().to_string();
    let ldap = s.ldap_url();
    let ldaps = s.ldaps_url();
    for (url, tls) in [(&ldap, true), (&ldaps, false)] {
        let mut args = vec![
            "scan",
            url,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "--format",
            "json",
            "--snapshot",
            &snap_s,
        ];
        if tls {
            args.push("--starttls");
        }
        let o = run_pw(&args, READER_PW);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let live = json(&o);
        assert_eq!(findings(&live), findings(&expected), "{url}");
        assert_eq!(live["summary"]["incomplete"], false);
        // Findings cite the URL and the line of the dn in the snapshot.
        let snapshot = std::fs::read_to_string(&snap).unwrap();
        let lines: Vec<&str> = snapshot.lines().collect();
        for f in live["findings"].as_array().unwrap() {
            assert_eq!(f["source"]["file"], url.as_str());
            let line = f["source"]["line"].as_u64().unwrap() as usize;
            assert!(lines[line - 1].starts_with("dn:"), "{f}");
        }
        // The password appears nowhere.
        for text in [stdout(&o), stderr(&o), snapshot.clone()] {
            assert!(!text.contains(READER_PW));
        }
        // Re-scanning the snapshot offline gives the same findings at the same lines.
        let offline = file_scan(&snap_s);
        assert_eq!(findings(&offline), findings(&live));
        let lines_of = |r: &Value| -> Vec<u64> {
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["source"]["line"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(lines_of(&offline), lines_of(&live));
    }
    // SARIF of a live scan points at the snapshot's dn: lines.
    let sarif_path = dir.path().join("r.sarif");
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "-q",
            "--snapshot",
            &snap_s,
            "-o",
            sarif_path.to_str().unwrap(),
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let snapshot = std::fs::read_to_string(&snap).unwrap();
    let lines: Vec<&str> = snapshot.lines().collect();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("seen.ldif"),
            "{r}"
        );
        let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
        assert!(lines[line - 1].starts_with("dn:"), "{r}");
    }
    // Only the attributes the rules read were requested (plus objectClass and objectGUID).
    let snapshot = std::fs::read_to_string(&snap).unwrap();
    assert!(snapshot.contains("\nuserPrincipalName: "));
    assert!(
        !snapshot.contains("\nuserAccountControl: "),
        "not read by any rule"
    );
}

#[test]
fn bad_password_unreachable_tls_missing_base_and_limits_are_one_line_errors_exit_2() {
    if skip_without(
        "bad_password_unreachable_tls_missing_base_and_limits_are_one_line_errors_exit_2",
        SLAPD_TOOLS,
    ) {
        return;
    }
    let s = Slapd::start(SUFFIX, &contoso());
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let ldaps = s.ldaps_url();
    let dir = tempdir();
    let out = dir.path().join("r.json");
    let out_s = out.to_str().unwrap();
    let check = |o: &Output, url: &str, want: &str| {
        assert_eq!(code(o), 2, "{}", stderr(o));
        let err = stderr(o);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(url) && err.to_lowercase().contains(want),
            "{want}: {err}"
        );
        assert!(stdout(o).is_empty(), "no report: {}", stdout(o));
        assert!(!out.exists(), "no report file");
        assert!(!err.contains(READER_PW) && !err.contains("wrong-password"));
    };
    // Bad password.
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "-o",
            out_s,
        ],
        "wrong-password",
    );
    check(&o, &ldaps, "invalidcredentials");
    // Nothing listens.
    let (dead, _) = free_ports();
    let dead_url = format!("ldaps://127.0.0.1:{dead}");
    let o = run_pw(
        &[
            "scan",
            &dead_url,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "-o",
            out_s,
            "--timeout",
            "5",
        ],
        READER_PW,
    );
    check(&o, &dead_url, "cannot connect");
    // TLS: the test CA is not in the system roots.
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "-o",
            out_s,
        ],
        READER_PW,
    );
    check(&o, &ldaps, "tls");
    // A base that does not exist.
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            "--base",
            "OU=Nowhere,DC=contoso,DC=com",
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "-o",
            out_s,
        ],
        READER_PW,
    );
    check(&o, &ldaps, "does not exist");
    // A server limit: this account may read 20 entries in all.
    let limited = s.limited_dn();
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            "--base",
            SUFFIX,
            "--bind-dn",
            &limited,
            "--ca-file",
            &ca,
            "--page-size",
            "10",
            "-o",
            out_s,
        ],
        LIMITED_PW,
    );
    check(&o, &ldaps, "limit");
    // Plain ldap:// with a simple bind is refused before connecting.
    let plain = s.ldap_url();
    let o = run_pw(
        &[
            "scan",
            &plain,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "-o",
            out_s,
        ],
        READER_PW,
    );
    check(&o, &plain, "--allow-plaintext-bind");
    // ... unless allowed.
    let o = run_pw(
        &[
            "scan",
            &plain,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--allow-plaintext-bind",
            "--format",
            "json",
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // No password and no terminal.
    let o = dirready()
        .args(["scan", &ldaps, "--bind-dn", &reader])
        .env_remove("DIRREADY_BIND_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("DIRREADY_BIND_PASSWORD"),
        "{}",
        stderr(&o)
    );
    // --password-file works.
    let pwf = write(dir.path(), "pw", &format!("{READER_PW}\n"));
    let o = dirready()
        .args([
            "scan",
            &ldaps,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "--password-file",
            pwf.to_str().unwrap(),
            "--format",
            "json",
        ])
        .env_remove("DIRREADY_BIND_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

/// `n` users; user 0 has `values` proxyAddresses.
fn many_users(n: usize, values: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "dn: CN=User {i},OU=Many,DC=contoso,DC=com\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\ncn: User {i}\nsAMAccountName: user{i}\nuserPrincipalName: user{i}@contoso.com\nmail: user{i}@contoso.com\nmailNickname: user{i}\ndisplayName: User {i}\n"
        ));
        if i == 0 {
            for v in 0..values {
                s.push_str(&format!("proxyAddresses: smtp:alias{v}@contoso.com\n"));
            }
        }
        s.push('\n');
    }
    s
}

#[test]
fn paging_past_the_1000_entry_limit_as_a_non_admin_and_an_entry_with_1500_values() {
    if skip_without(
        "paging_past_the_1000_entry_limit_as_a_non_admin_and_an_entry_with_1500_values",
        SLAPD_TOOLS,
    ) {
        return;
    }
    let data = many_users(2500, 1500);
    let s = Slapd::start(SUFFIX, data.as_bytes());
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let ldaps = s.ldaps_url();
    let dir = tempdir();
    let snap = dir.path().join("seen.ldif");
    for page in ["500", "1000"] {
        let o = run_pw(
            &[
                "scan",
                &ldaps,
                "--base",
                SUFFIX,
                "--bind-dn",
                &reader,
                "--ca-file",
                &ca,
                "--page-size",
                page,
                "--format",
                "json",
                "--snapshot",
                snap.to_str().unwrap(),
            ],
            READER_PW,
        );
        assert!(code(&o) <= 1, "{}", stderr(&o));
        let r = json(&o);
        assert_eq!(r["summary"]["objects_in_scope"], 2500, "page {page}");
        let snapshot = std::fs::read_to_string(&snap).unwrap();
        assert_eq!(snapshot.matches("\nproxyAddresses: ").count(), 1500);
    }
    // A page bigger than the server's size.pr is refused by the tool, not truncated.
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "--page-size",
            "2000",
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 2);
    // Anonymous, unpaged-limit semantics do not apply: paging reads everything.
    let o = run(&["scan", &s.ldap_url(), "--base", SUFFIX, "--format", "json"]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    assert_eq!(json(&o)["summary"]["objects_in_scope"], 2500);
}

#[test]
fn duplicates_across_an_ldif_file_and_a_live_source_and_keep_going() {
    if skip_without(
        "duplicates_across_an_ldif_file_and_a_live_source_and_keep_going",
        SLAPD_TOOLS,
    ) {
        return;
    }
    let s = Slapd::start(SUFFIX, many_users(3, 0).as_bytes());
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let ldaps = s.ldaps_url();
    let dir = tempdir();
    let other = write(
        dir.path(),
        "forest-b.ldif",
        "dn: CN=Other,DC=fabrikam,DC=com\nobjectClass: user\nsAMAccountName: other\nuserPrincipalName: user1@contoso.com\nmailNickname: other\n\n\
         dn: CN=Fab Two,DC=fabrikam,DC=com\nobjectClass: user\nsAMAccountName: user2\nuserPrincipalName: two@fabrikam.com\n\n\
         dn: CN=Imported,OU=Imported,dc=Contoso,dc=COM\nobjectClass: user\nsAMAccountName: USER1\nuserPrincipalName: imported@contoso.com\n",
    );
    let other_s = other.to_str().unwrap();
    let o = run_pw(
        &[
            "scan",
            &ldaps,
            other_s,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "--format",
            "json",
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let dup: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "upn-duplicate" && f["value"] == "user1@contoso.com")
        .collect();
    assert_eq!(dup.len(), 2, "{r}");
    let sources: Vec<&str> = dup
        .iter()
        .map(|f| f["source"]["file"].as_str().unwrap())
        .collect();
    assert!(
        sources.contains(&ldaps.as_str()) && sources.contains(&other_s),
        "{sources:?}"
    );
    assert_eq!(r["summary"]["inputs"].as_array().unwrap().len(), 2);
    // sAMAccountName is unique per domain, live and file alike: `user2` in fabrikam.com
    // is no duplicate; `USER1` in the file's contoso.com is one with the live `user1`.
    let sam: Vec<(&str, &str)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "samaccountname-duplicate")
        .map(|f| {
            assert_eq!(f["uniqueness"]["domain"], "contoso.com", "{f}");
            (
                f["value"].as_str().unwrap(),
                f["source"]["file"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sam,
        vec![("user1", ldaps.as_str()), ("USER1", other_s)],
        "{r}"
    );

    // --keep-going: an unreachable source is reported, the others are scanned, and the
    // report says it is incomplete (exit 2).
    let (dead, _) = free_ports();
    let dead_url = format!("ldaps://127.0.0.1:{dead}");
    let out = dir.path().join("r.json");
    let o = run_pw(
        &[
            "scan",
            &dead_url,
            other_s,
            "--keep-going",
            "--ca-file",
            &ca,
            "--timeout",
            "5",
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains(&dead_url), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["summary"]["incomplete"], true);
    assert_eq!(r["summary"]["objects_read"], 3, "the file was scanned");
    let diag = &r["diagnostics"][0];
    assert_eq!(diag["level"], "error");
    assert_eq!(diag["file"], dead_url.as_str());
    // Without it, the same run stops with no report.
    let o = run_pw(
        &[
            "scan",
            &dead_url,
            other_s,
            "--ca-file",
            &ca,
            "--timeout",
            "5",
            "--format",
            "json",
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty());
}

/// Benchmark and large-scale equality check (not part of the default run):
/// `DIRREADY_BENCH_LDIF=x.ldif cargo test --release --test live_slapd -- --ignored --nocapture`
/// with an AD-style export from `cargo run --release --example gen_export`. Loads it into
/// slapd, then times the live scan against `ldapsearch -E pr=500/noprompt` fetching the same
/// attributes, and compares the live findings with the file's.
#[test]
#[ignore]
fn bench_live_scan_vs_ldapsearch() {
    use std::time::Instant;
    let path = std::env::var("DIRREADY_BENCH_LDIF").expect("set DIRREADY_BENCH_LDIF");
    let data = std::fs::read(&path).unwrap();
    let t = Instant::now();
    let s = Slapd::start(SUFFIX, &data);
    eprintln!("load: {:.1} s", t.elapsed().as_secs_f64());
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let url = s.ldap_url();
    let attrs = dirready::rules::RuleSet::builtin()
        .unwrap()
        .read_attributes();
    let t = Instant::now();
    let o = std::process::Command::new(tool("ldapsearch"))
        .args([
            "-H", &url, "-x", "-ZZ", "-D", &reader, "-w", READER_PW, "-b", SUFFIX,
        ])
        .args([
            "-E",
            "pr=500/noprompt",
            "-LLL",
            "-o",
            "ldif_wrap=no",
            "(objectClass=*)",
        ])
        .args(&attrs)
        .env("LDAPTLS_CACERT", &ca)
        .output()
        .unwrap();
    let ldapsearch = t.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = o
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"dn:"))
        .count();
    let t = Instant::now();
    let live = run_pw(
        &[
            "scan",
            &url,
            "--starttls",
            "--ca-file",
            &ca,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--format",
            "json",
            "--page-size",
            "500",
        ],
        READER_PW,
    );
    let ours = t.elapsed().as_secs_f64();
    assert!(code(&live) <= 1, "{}", stderr(&live));
    let t = Instant::now();
    let file = file_scan(&path);
    let offline = t.elapsed().as_secs_f64();
    let live = json(&live);
    eprintln!(
        "{n} entries: ldapsearch -E pr=500 (StartTLS, same attributes) {ldapsearch:.2} s; dirready live scan {ours:.2} s; dirready file scan {offline:.2} s"
    );
    let (a, b) = (findings(&live), findings(&file));
    eprintln!(
        "findings: live {} file {}; only live {}, only file {}",
        a.len(),
        b.len(),
        a.difference(&b).count(),
        b.difference(&a).count()
    );
    for x in b.difference(&a).take(10) {
        eprintln!("only in file: {x:?}");
    }
    for x in a.difference(&b).take(10) {
        eprintln!("only live: {x:?}");
    }
}

/// Binary attributes and big multi-valued attributes read live (m365-sync-limits.md):
/// forest A served by slapd (photos, certificates, GUIDs and SIDs as octet strings, a
/// group of 1,600 members) scanned with forest B from a file gives exactly the findings
/// of the two files, so anchors, SIDs and Exchange GUIDs collide across a live source and
/// a file, and every member is counted.
#[test]
fn live_binary_attributes_and_member_counts_equal_the_file_scan() {
    if skip_without(
        "live_binary_attributes_and_member_counts_equal_the_file_scan",
        SLAPD_TOOLS,
    ) {
        return;
    }
    let dir = tempdir();
    // The ldapsearch-style fixture without its comments, version and result trailer.
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/sync-limits/forest-a.ldif")).unwrap();
    let clean: String = text
        .lines()
        .filter(|l| {
            !(l.starts_with('#')
                || l.starts_with("version:")
                || l.starts_with("search:")
                || l.starts_with("result:"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    // The server holds the records under its suffix; the others (CN=Bob in corp.local)
    // are scanned from a file in both runs.
    let (mut data, mut rest) = (String::new(), String::new());
    for record in clean.split("\n\n").filter(|r| !r.trim().is_empty()) {
        let dn = record.trim_start().lines().next().unwrap();
        let to = if dn.ends_with(SUFFIX) {
            &mut data
        } else {
            &mut rest
        };
        to.push_str(record.trim());
        to.push_str("\n\n");
    }
    assert!(!rest.is_empty());
    let rest = write(dir.path(), "rest.ldif", &rest);
    data.push_str("\ndn: CN=Big,OU=Groups,DC=contoso,DC=com\nobjectClass: group\n");
    for i in 0..1600 {
        data.push_str(&format!(
            "member: CN=Member {i},OU=Staff,DC=contoso,DC=com\n"
        ));
    }
    let forest_a = write(dir.path(), "forest-a.ldif", &data);
    let forest_b = root().join("tests/fixtures/sync-limits/forest-b.ldf");
    let rules = write(
        dir.path(),
        "big.yaml",
        "- id: test-group-over-1500\n  title: t\n  severity: warning\n  category: size\n  objects: [group]\n  attribute: member\n  check: { kind: value_count, max: 1500 }\n  message: \"member {detail}\"\n  examples:\n    valid: [\"dn: CN=G,DC=x\\nobjectClass: group\\nmember: a\\n\"]\n    invalid: [\"dn: CN=G,DC=x\\nobjectClass: group\\n#repeat 1501\\nmember: m{n}\\n\"]\n",
    );
    let (a, b, r, c) = (
        forest_a.to_str().unwrap(),
        forest_b.to_str().unwrap(),
        rules.to_str().unwrap(),
        rest.to_str().unwrap(),
    );
    let o = run(&["scan", a, c, b, "--rules", r, "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let expected = json(&o);

    let s = Slapd::start(SUFFIX, data.as_bytes());
    let ca = s.ca.to_str().unwrap().to_string();
    let reader = s.reader_dn();
    let o = run_pw(
        &[
            "scan",
            &s.ldaps_url(),
            c,
            b,
            "--base",
            SUFFIX,
            "--bind-dn",
            &reader,
            "--ca-file",
            &ca,
            "--rules",
            r,
            "--format",
            "json",
        ],
        READER_PW,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let live = json(&o);
    assert_eq!(findings(&live), findings(&expected));
    let rules_seen: std::collections::BTreeSet<&str> = live["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for want in [
        "source-anchor-duplicate",
        "security-identifier-duplicate",
        "exchange-guid-duplicate",
        "archive-guid-duplicate",
        "certificate-too-many",
        "smime-certificate-too-many",
        "photo-too-large",
        "photo-large-for-exchange",
        "source-anchor-invalid",
        "test-group-over-1500",
    ] {
        assert!(rules_seen.contains(want), "{want}: {rules_seen:?}");
    }
    let big = live["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "test-group-over-1500")
        .unwrap();
    assert_eq!(big["value"], "1600");
    // A GUID held live and in the file: the live holder is named by its server.
    let grace = live["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "source-anchor-duplicate"
                && f["dn"].as_str().unwrap().starts_with("CN=Grace")
        })
        .unwrap();
    assert!(grace["related"][0]["source"]["file"]
        .as_str()
        .unwrap()
        .starts_with("ldaps://"));
}
