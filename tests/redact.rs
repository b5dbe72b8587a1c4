//! `--redact`: no output of a redacted run holds a personal string of its input (collected
//! from the input itself), while domains, rule ids, counts and duplicate groups stay; one
//! key gives the same output every run; fix files are never made from pseudonyms.

// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Output, Stdio};

/// Every report format, by the extension that selects it.
const EXTS: [&str; 8] = ["json", "md", "html", "csv", "txt", "sarif", "xml", "jsonl"];
const KEY: &str = "test";

/// Runs dirready with the redaction key set (or not), never appending a step summary.
fn run_keyed(args: &[String], key: Option<&str>) -> Output {
    let mut c = dirready();
    c.env_remove("DIRREADY_REDACT_KEY")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("SOURCE_DATE_EPOCH", "1767225600");
    if let Some(k) = key {
        c.env("DIRREADY_REDACT_KEY", k);
    }
    c.args(args).stdin(Stdio::null()).output().unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Scans `inputs` into every format (`<dir>/<stem>.<ext>`): the run and the outputs.
fn scan_all(
    dir: &Path,
    stem: &str,
    inputs: &[&str],
    extra: &[&str],
    key: Option<&str>,
) -> (Output, BTreeMap<&'static str, String>) {
    let mut args = strings(&["scan", "-q"]);
    args.extend(strings(inputs));
    for ext in EXTS {
        args.push("-o".into());
        args.push(dir.join(format!("{stem}.{ext}")).display().to_string());
    }
    args.extend(strings(extra));
    let o = run_keyed(&args, key);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let outs = EXTS
        .iter()
        .map(|e| {
            let p = dir.join(format!("{stem}.{e}"));
            (*e, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    (o, outs)
}

/// An LDIF file's (attribute, value) pairs: lines unfolded, `::` values decoded.
fn ldif_values(path: &str) -> Vec<(String, String)> {
    use base64::Engine;
    // Exports may hold Latin-1 bytes: those values are names too.
    let text = String::from_utf8_lossy(&std::fs::read(root().join(path)).unwrap()).into_owned();
    let mut lines: Vec<String> = Vec::new();
    for l in text.lines() {
        let l = l.strip_suffix('\r').unwrap_or(l);
        match (l.strip_prefix(' '), lines.last_mut()) {
            (Some(cont), Some(last)) => last.push_str(cont),
            _ => lines.push(l.to_string()),
        }
    }
    let mut out = Vec::new();
    for l in lines {
        if l.starts_with('#') {
            continue;
        }
        let Some((name, rest)) = l.split_once(':') else {
            continue;
        };
        let name = name.split(';').next().unwrap().to_ascii_lowercase();
        let value = if let Some(b64) = rest.strip_prefix(':') {
            match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(_) => continue,
            }
        } else if rest.starts_with('<') {
            continue;
        } else {
            rest.trim_start_matches(' ').to_string()
        };
        out.push((name, value));
    }
    out
}

/// What the input says about people, and what it says about structure (kept by design:
/// OU, DC, O and C components of DNs, the labels of address domains).
#[derive(Default)]
struct Personal {
    strings: BTreeSet<String>,
    structure: BTreeSet<String>,
}

impl Personal {
    fn address(&mut self, v: &str) {
        let v = match v.split_once(':') {
            Some((t, rest)) if t.len() <= 5 && t.chars().all(|c| c.is_ascii_alphanumeric()) => rest,
            _ => v,
        };
        if let Some((local, domain)) = v.rsplit_once('@') {
            self.strings.insert(local.to_string());
            self.structure
                .extend(domain.split('.').map(|d| d.to_string()));
        }
    }

    fn dn(&mut self, dn: &str) {
        for rdn in dirready::dn::rdns(dn) {
            for (ty, value) in dirready::dn::avas(rdn) {
                let value = dirready::dn::unescape(value).into_owned();
                match ty.to_ascii_lowercase().as_str() {
                    "cn" | "uid" => {
                        self.strings.insert(value);
                    }
                    _ => {
                        self.structure.insert(value);
                    }
                }
            }
        }
    }

    /// Every CN, givenName, sn, displayName, sAMAccountName, mailNickname, and the local
    /// part of every UPN, mail, proxy and target address of an LDIF export.
    fn ldif(&mut self, path: &str) {
        for (name, value) in ldif_values(path) {
            match name.as_str() {
                "dn" | "distinguishedname" => self.dn(&value),
                "cn" | "givenname" | "sn" | "displayname" | "samaccountname" | "mailnickname" => {
                    self.strings.insert(value);
                }
                "userprincipalname" | "mail" | "proxyaddresses" | "targetaddress" => {
                    self.address(&value)
                }
                "ou" | "dc" => {
                    self.structure.insert(value);
                }
                _ => {}
            }
        }
    }

    /// The addresses of a tenant snapshot (any JSON: every string under a key naming an
    /// address).
    fn tenant(&mut self, path: &str) {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
        fn walk(v: &Value, key: &str, p: &mut Personal) {
            match v {
                Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, k, p)),
                Value::Array(a) => a.iter().for_each(|v| walk(v, key, p)),
                Value::String(s)
                    if ["userprincipalname", "mail", "proxyaddresses"]
                        .contains(&key.to_ascii_lowercase().as_str()) =>
                {
                    p.address(s)
                }
                _ => {}
            }
        }
        while let Some(Ok(v)) = stream.next() {
            walk(&v, "", self);
        }
    }
}

/// `needle` in `hay`, not as part of a longer word.
fn contains_word(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The forms a string takes in the outputs: as is, and escaped for HTML, XML, Markdown
/// and JSON.
fn forms(s: &str) -> Vec<String> {
    let html = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;");
    let json = serde_json::to_string(s).unwrap();
    let mut v = vec![
        s.to_string(),
        html,
        dirready::report::escape::xml(s),
        dirready::report::escape::md_escape(s),
        json[1..json.len() - 1].to_string(),
    ];
    v.sort();
    v.dedup();
    v
}

/// Text every report of a run with `extra` flags holds whatever the input: an empty scan
/// in every format, the rule catalog and the rule schema (category descriptions).
fn boilerplate(dir: &Path, extra: &[&str]) -> String {
    let empty = write(dir, "empty.ldif", "version: 1\n");
    let (_, outs) = scan_all(dir, "empty", &[&empty.display().to_string()], extra, None);
    let mut all: String = outs.into_values().collect();
    for args in [&["rules", "list", "--json"][..], &["rules", "schema"][..]] {
        all.push_str(&stdout(&run(args)));
    }
    all
}

/// The personal strings (3 characters or more) that are neither structure nor words
/// every report holds anyway.
fn checked_strings(p: &Personal, boiler: &str, inputs: &[&str]) -> Vec<String> {
    let strings: Vec<String> = p
        .strings
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| s.chars().count() >= 3)
        .filter(|s| {
            let s = s.to_lowercase();
            !p.structure
                .iter()
                .any(|k| contains_word(&k.to_lowercase(), &s))
        })
        .filter(|s| !contains_word(boiler, s))
        .filter(|s| !inputs.iter().any(|i| contains_word(i, s)))
        .collect();
    assert!(strings.len() > 10, "too few personal strings: {strings:?}");
    strings
}

fn assert_no_leak(outs: &BTreeMap<&'static str, String>, stdout: &str, personal: &[String]) {
    for s in personal {
        for f in forms(s) {
            for (ext, text) in outs.iter().chain([(&"stdout", &stdout.to_string())]) {
                assert!(
                    !contains_word(text, &f),
                    "{s:?} (as {f:?}) is in the redacted {ext} output"
                );
            }
        }
    }
}

fn json(outs: &BTreeMap<&'static str, String>) -> Value {
    serde_json::from_str(&outs["json"]).unwrap()
}

/// Duplicate groups as the reports build them (namespace, domain, compared value): their
/// sizes, sorted.
fn duplicate_group_sizes(report: &Value) -> Vec<usize> {
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        if f["category"] == "duplicate" {
            let u = &f["uniqueness"];
            *groups
                .entry(format!("{}|{}|{}", u["namespace"], u["domain"], u["key"]))
                .or_default() += 1;
        }
    }
    let mut sizes: Vec<usize> = groups.into_values().collect();
    sizes.sort();
    sizes
}

/// What redaction keeps of each finding: rule, severity, attribute, where it was read,
/// the domains of its DN, value and holders, and how many holders it has.
fn kept_shape(report: &Value) -> Vec<String> {
    // Address attributes keep their domain (a mailNickname with an `@` is one name).
    let domain_of = |attribute: &Value, v: &Value| {
        let address = [
            "userprincipalname",
            "mail",
            "proxyaddresses",
            "targetaddress",
        ]
        .contains(
            &attribute
                .as_str()
                .unwrap_or("")
                .to_ascii_lowercase()
                .as_str(),
        );
        v.as_str()
            .filter(|_| address)
            .and_then(|s| s.rsplit_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_default()
    };
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related: Vec<String> = f["related"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    format!(
                        "{}/{}/{}",
                        dirready::dn::domain(r["dn"].as_str().unwrap_or("")),
                        r["attribute"],
                        domain_of(&r["attribute"], &r["value"])
                    )
                })
                .collect();
            format!(
                "{} {} {} {} {}:{}:{} dn-domain={} value-domain={} kind={} uniq-domain={} related={:?} total={}",
                f["rule"],
                f["severity"],
                f["category"],
                f["attribute"],
                f["source"]["file"],
                f["source"]["line"],
                f["value_line"],
                dirready::dn::domain(f["dn"].as_str().unwrap()),
                domain_of(&f["attribute"], &f["value"]),
                f["value_kind"],
                f["uniqueness"]["domain"],
                related,
                f["related_total"],
            )
        })
        .collect()
}

/// The redacted run against the plain one: no personal string anywhere, the same summary,
/// rules, gate, findings' shape and duplicate groups.
fn check_redaction(name: &str, inputs: &[&str], extra: &[&str], personal: &Personal) {
    let dir = tempdir();
    let boiler = boilerplate(dir.path(), extra);
    let checked = checked_strings(personal, &boiler, inputs);
    let (plain_run, plain) = scan_all(dir.path(), "plain", inputs, extra, None);
    let mut redact_args = strings(extra);
    redact_args.push("--redact".into());
    let redact_args: Vec<&str> = redact_args.iter().map(String::as_str).collect();
    let (red_run, red) = scan_all(dir.path(), "red", inputs, &redact_args, Some(KEY));
    assert_eq!(code(&plain_run), code(&red_run), "{name}");
    // The check itself sees the personal strings in the plain outputs.
    let seen = checked
        .iter()
        .filter(|s| plain.values().any(|t| contains_word(t, s)))
        .count();
    assert!(seen > 0, "{name}: no personal string in the plain outputs");
    assert_no_leak(&red, &stdout(&red_run), &checked);

    let (p, r) = (json(&plain), json(&red));
    assert_eq!(p["summary"], r["summary"], "{name}: summary");
    assert_eq!(p["rules"], r["rules"], "{name}: rules");
    assert_eq!(p["gate"], r["gate"], "{name}: gate");
    assert_eq!(
        p["diagnostics"].as_array().map(Vec::len),
        r["diagnostics"].as_array().map(Vec::len)
    );
    assert_eq!(kept_shape(&p), kept_shape(&r), "{name}: findings");
    assert_eq!(
        duplicate_group_sizes(&p),
        duplicate_group_sizes(&r),
        "{name}: duplicate groups"
    );
    // Fingerprints are recomputed from the pseudonyms, and stay distinct.
    let fps = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let (pf, rf) = (fps(&p), fps(&r));
    let distinct = |v: &[String]| v.iter().collect::<BTreeSet<_>>().len();
    assert_eq!(distinct(&pf), distinct(&rf), "{name}: fingerprints");
    let (pfs, rfs) = (
        p["findings"].as_array().unwrap(),
        r["findings"].as_array().unwrap(),
    );
    for (i, f) in rfs.iter().enumerate() {
        let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
        let identity_kept = f["object_guid"].is_string() || pfs[i]["dn"] == f["dn"];
        let unchanged = identity_kept && pfs[i]["value"] == f["value"];
        assert_eq!(
            s("fingerprint"),
            dirready::findings::fingerprint(
                &s("rule"),
                f["object_guid"].as_str(),
                &s("dn"),
                &s("attribute"),
                &s("value")
            ),
            "{name}: fingerprint of finding {i}"
        );
        assert_eq!(
            unchanged,
            pf[i] == rf[i],
            "{name}: fingerprint of finding {i}"
        );
    }
    assert!(p.get("redacted").is_none());
    assert_eq!(r["redacted"]["pseudonyms"], "keyed");
    assert!(red["txt"].contains("REDACTED: names and address local parts are pseudonyms"));
    assert!(!plain["txt"].contains("REDACTED"));
}

#[test]
fn the_sample_export_is_redacted_in_every_format() {
    let mut p = Personal::default();
    p.ldif("examples/contoso.ldif");
    check_redaction("contoso", &["examples/contoso.ldif"], &[], &p);
}

#[test]
fn duplicates_across_two_exports_line_up_after_redaction() {
    let inputs = [
        "tests/fixtures/spec/corpus-ldapsearch.ldif",
        "tests/fixtures/spec/corpus-ldifde.ldf",
    ];
    let mut p = Personal::default();
    inputs.iter().for_each(|i| p.ldif(i));
    check_redaction("spec corpus", &inputs, &[], &p);
}

#[test]
fn two_forests_with_diagnostics_and_binary_duplicates() {
    let inputs = [
        "tests/fixtures/sync-limits/forest-a.ldif",
        "tests/fixtures/sync-limits/forest-b.ldf",
    ];
    let mut p = Personal::default();
    inputs.iter().for_each(|i| p.ldif(i));
    check_redaction(
        "forests",
        &inputs,
        &["--accepted-domain", "contoso.com"],
        &p,
    );
}

#[test]
fn tenant_predictions_are_redacted_too() {
    let t = |f: &str| format!("tests/fixtures/tenant/{f}");
    let mut p = Personal::default();
    p.ldif(&t("export.ldif"));
    for f in ["users.json", "groups.jsonl", "contacts.json"] {
        p.tenant(&t(f));
    }
    let users = format!("user={}", t("users.json"));
    let contacts = format!("contact={}", t("contacts.json"));
    let groups = t("groups.jsonl");
    check_redaction(
        "tenant",
        &[&t("export.ldif")],
        &[
            "--tenant", &users, "--tenant", &groups, "--tenant", &contacts,
        ],
        &p,
    );
}

#[test]
fn one_key_gives_the_same_output_and_no_key_a_different_one_every_run() {
    let dir = tempdir();
    let inputs = ["examples/contoso.ldif"];
    let (_, a) = scan_all(dir.path(), "a", &inputs, &["--redact"], Some(KEY));
    let (_, b) = scan_all(dir.path(), "b", &inputs, &["--redact"], Some(KEY));
    for ext in EXTS {
        assert_eq!(
            a[ext], b[ext],
            "{ext} differs between two runs with one key"
        );
    }
    let (_, c) = scan_all(dir.path(), "c", &inputs, &["--redact"], Some("another key"));
    assert_ne!(a["json"], c["json"]);
    let (_, x) = scan_all(dir.path(), "x", &inputs, &["--redact"], None);
    let (_, y) = scan_all(dir.path(), "y", &inputs, &["--redact"], None);
    assert_ne!(
        x["json"], y["json"],
        "no key: pseudonyms must change every run"
    );
    let (jx, ja) = (json(&x), json(&a));
    assert_eq!(jx["redacted"]["pseudonyms"], "per-run");
    assert!(x["txt"].contains("per-run key"));
    // Within one run the pseudonyms still line up.
    assert_eq!(duplicate_group_sizes(&jx), duplicate_group_sizes(&ja));
    assert_eq!(jx["summary"], ja["summary"]);
}

#[test]
fn redacted_terminal_summary_snapshot() {
    let o = run_keyed(
        &strings(&["scan", "examples/contoso.ldif", "--redact"]),
        Some(KEY),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_snapshot("contoso-redacted.txt", &stdout(&o));
}

#[test]
fn fix_files_are_never_made_from_pseudonyms() {
    let dir = tempdir();
    let fix = dir.path().join("fixes.ldif");
    let fix_arg = fix.display().to_string();
    for flag in ["--fix-ldif", "--fix-ps1", "--decisions-csv"] {
        let o = run_keyed(
            &strings(&["scan", "examples/contoso.ldif", "--redact", flag, &fix_arg]),
            Some(KEY),
        );
        assert_eq!(code(&o), 2, "{flag}");
        assert!(
            stderr(&o).contains("--redact cannot be combined with --fix-ldif"),
            "{}",
            stderr(&o)
        );
        assert!(!fix.exists());
    }
    // The settings file's `redact: true` is refused the same way.
    let cfg = write(dir.path(), "d.yaml", "redact: true\n");
    let o = run_keyed(
        &strings(&[
            "scan",
            "examples/contoso.ldif",
            "--config",
            &cfg.display().to_string(),
            "--fix-ldif",
            &fix_arg,
        ]),
        Some(KEY),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--redact cannot be combined"));
    // ... and makes the run redacted without the flag.
    let o = run_keyed(
        &strings(&[
            "scan",
            "examples/contoso.ldif",
            "--config",
            &cfg.display().to_string(),
            "--format",
            "json",
        ]),
        Some(KEY),
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["redacted"]["pseudonyms"], "keyed");
    // `dirready fix` refuses a redacted report, and takes the plain one.
    let report = dir.path().join("r.json").display().to_string();
    run_keyed(
        &strings(&["scan", "examples/contoso.ldif", "--redact", "-o", &report]),
        Some(KEY),
    );
    let o = run_keyed(
        &strings(&["fix", &report, "--fix-ldif", &fix_arg]),
        Some(KEY),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("was written with --redact"),
        "{}",
        stderr(&o)
    );
    assert!(!fix.exists());
    run_keyed(
        &strings(&["scan", "examples/contoso.ldif", "-o", &report]),
        None,
    );
    let o = run_keyed(&strings(&["fix", &report, "--fix-ldif", &fix_arg]), None);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    assert!(fix.exists());
}

#[test]
fn exceptions_and_baselines_work_and_are_redacted() {
    let dir = tempdir();
    let exceptions = write(
        dir.path(),
        "exceptions.yaml",
        "exceptions:\n\
         \x20 - rule: samaccountname-duplicate\n\
         \x20   dn: \"CN=Adele Vance,OU=Staff,DC=contoso,DC=com\"\n\
         \x20   reason: Adele Vance keeps avance until she leaves\n\
         \x20   owner: Kim Lee\n\
         \x20 - rule: upn-format\n\
         \x20   value: grady.archie@contoso.com\n\
         \x20   reason: asked for by Grady Archie\n\
         \x20   expires: 2020-01-01\n",
    )
    .display()
    .to_string();
    let d = |f: &str| dir.path().join(f).display().to_string();
    let scan = |extra: &[&str], key: Option<&str>| {
        let mut a = strings(&["scan", "examples/contoso.ldif", "--exceptions", &exceptions]);
        a.extend(strings(extra));
        run_keyed(&a, key)
    };
    let plain = scan(&["--format", "json"], None);
    let red = scan(&["--format", "json", "--redact"], Some(KEY));
    let (p, r): (Value, Value) = (
        serde_json::from_slice(&plain.stdout).unwrap(),
        serde_json::from_slice(&red.stdout).unwrap(),
    );
    assert_eq!(p["gate"], r["gate"]);
    assert_eq!(p["gate"]["by_state"]["excepted"], 1);
    assert_eq!(p["exceptions"]["expired"], 1);
    assert_eq!(p["exceptions"]["expired"], r["exceptions"]["expired"]);
    let text = String::from_utf8(red.stdout.clone()).unwrap() + &stderr(&red);
    for name in ["Adele", "Vance", "avance", "Kim", "Lee", "Grady", "Archie"] {
        assert!(!contains_word(&text, name), "{name} in {text}");
    }
    // Reasons are free text that may name anyone: pseudonymised whole.
    let reason = r["exceptions"]["entries"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("value-"), "{reason}");

    // A redacted report is a baseline for redacted runs with the same key; so is a
    // baseline written under --redact (which holds pseudonyms only).
    let base_json = d("base.json");
    let base_file = d("baseline.json");
    let o = run_keyed(
        &strings(&[
            "scan",
            "examples/contoso.ldif",
            "--redact",
            "-o",
            &base_json,
            "--write-baseline",
            &base_file,
        ]),
        Some(KEY),
    );
    assert_eq!(code(&o), 1);
    let written = std::fs::read_to_string(&base_file).unwrap();
    for name in ["Adele", "Vance", "avance", "Kim", "Grady"] {
        assert!(!contains_word(&written, name), "{name} in the baseline");
    }
    let total = p["findings"].as_array().unwrap().len() as u64;
    for baseline in [&base_json, &base_file] {
        let o = run_keyed(
            &strings(&[
                "scan",
                "examples/contoso.ldif",
                "--redact",
                "--baseline",
                baseline,
                "--format",
                "json",
            ]),
            Some(KEY),
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["baseline"]["counts"]["unchanged"], total, "{baseline}");
        assert_eq!(v["baseline"]["counts"]["fixed"], 0, "{baseline}");
    }
    // Another key: nothing matches.
    let o = run_keyed(
        &strings(&[
            "scan",
            "examples/contoso.ldif",
            "--redact",
            "--baseline",
            &base_json,
            "--format",
            "json",
        ]),
        Some("another key"),
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["baseline"]["counts"]["unchanged"], 0);
    // An unredacted baseline still works under --redact; its fixed entries are redacted.
    let plain_json = d("plain.json");
    run_keyed(
        &strings(&[
            "scan",
            "tests/fixtures/fixes/defects.ldif",
            "-o",
            &plain_json,
        ]),
        None,
    );
    let o = run_keyed(
        &strings(&[
            "scan",
            "examples/contoso.ldif",
            "--redact",
            "--baseline",
            &plain_json,
            "--format",
            "json",
        ]),
        Some(KEY),
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let fixed = v["baseline"]["fixed"].as_array().unwrap();
    assert!(!fixed.is_empty());
    for e in fixed {
        let dn = e["dn"].as_str().unwrap();
        assert!(
            dn.is_empty() || dn.starts_with("CN=person-") || !dn.starts_with("CN="),
            "{dn}"
        );
    }
}

#[test]
fn diff_redacts_its_outputs_and_compares_redacted_reports() {
    let dir = tempdir();
    let d = |f: &str| dir.path().join(f).display().to_string();
    run_keyed(
        &strings(&[
            "scan",
            "tests/fixtures/fixes/defects.ldif",
            "-o",
            &d("old.json"),
        ]),
        None,
    );
    run_keyed(
        &strings(&["scan", "examples/contoso.ldif", "-o", &d("new.json")]),
        None,
    );
    let o = run_keyed(
        &strings(&[
            "diff",
            &d("old.json"),
            &d("new.json"),
            "--redact",
            "--format",
            "json",
        ]),
        Some(KEY),
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["redacted"]["pseudonyms"], "keyed");
    let text = String::from_utf8(o.stdout).unwrap();
    for name in ["Adele", "Vance", "avance", "Kim", "Grady"] {
        assert!(!contains_word(&text, name), "{name}");
    }
    // Two redacted reports with one key: everything unchanged.
    for f in ["a.json", "b.json"] {
        run_keyed(
            &strings(&["scan", "examples/contoso.ldif", "--redact", "-o", &d(f)]),
            Some(KEY),
        );
    }
    let o = run_keyed(
        &strings(&["diff", &d("a.json"), &d("b.json"), "--format", "json"]),
        None,
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["baseline"]["counts"]["new"], 0);
    assert_eq!(v["baseline"]["counts"]["fixed"], 0);
    assert_eq!(
        v["redacted"]["pseudonyms"], "keyed",
        "the newer report says so"
    );
}
