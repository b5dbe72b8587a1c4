//! Regression tests for inputs past the engine's old internal limits: nothing is
//! skipped silently, nothing panics, and no value is altered on the way to a report.
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;
use base64::Engine as _;
use common::*;
use serde_json::Value;

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(o)))
}

/// A user with 70,000 proxyAddresses (past the old u16 value counter) is checked like any
/// other: in scope, and its one bad value is found.
#[test]
fn an_attribute_with_70000_values_is_checked() {
    let dir = tempdir();
    let mut ldif = String::from(
        "dn: CN=Big,OU=Staff,DC=contoso,DC=com\nobjectClass: top\nobjectClass: user\nuserPrincipalName: big@contoso.com\nproxyAddresses: SMTP:big@contoso.com\n",
    );
    for i in 0..70_000 {
        ldif.push_str(&format!("proxyAddresses: smtp:alias{i}@contoso.com\n"));
    }
    ldif.push_str("proxyAddresses: smtp:bad alias@contoso.com\n");
    let p = write(dir.path(), "big.ldif", &ldif);
    let o = run(&["scan", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["summary"]["objects_in_scope"], 1, "{}", r["summary"]);
    assert!(r["summary"]["skipped"].as_object().unwrap().is_empty());
    let f = &r["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule"], "proxy-smtp-invalid-character");
    assert_eq!(f[0]["value"], "smtp:bad alias@contoso.com");
    assert_eq!(f[0]["value_line"], 70_006);
}

/// A rule pack reading 300 distinct attributes (the old engine panicked past ~117).
#[test]
fn a_rule_pack_reading_300_attributes_runs() {
    let dir = tempdir();
    let mut rules = String::new();
    let mut ldif = String::from(
        "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: a@contoso.com\n",
    );
    for i in 0..300 {
        rules.push_str(&format!(
            "- id: attr{i}-no-x\n  title: t\n  severity: warning\n  category: character\n  attribute: extAttr{i}\n  check: {{ kind: charset, forbidden: \"[x]\" }}\n  message: \"extAttr{i} {{detail}}\"\n  fix: strip\n  examples: {{ valid: [\"a\"], invalid: [\"x\"] }}\n"
        ));
        ldif.push_str(&format!(
            "extAttr{i}: {}\n",
            if i % 100 == 99 { "x1" } else { "ok" }
        ));
    }
    let r = write(dir.path(), "many.yaml", &rules);
    let p = write(dir.path(), "a.ldif", &ldif);
    let o = run(&[
        "scan",
        p.to_str().unwrap(),
        "--rules",
        r.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    let got: Vec<(&str, &str)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["suggestion"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("attr99-no-x", "1"),
            ("attr199-no-x", "1"),
            ("attr299-no-x", "1")
        ]
    );
}

/// A UPN that is not UTF-8 (a Latin-1 export): a warning names file and line, the value
/// is checked, no suggestion is made, and every machine-readable output carries its
/// exact bytes.
#[test]
fn a_value_that_is_not_utf8_is_reported_and_kept_exactly() {
    let dir = tempdir();
    let raw: &[u8] = b"j\xf6rg@contoso.com";
    let mut ldif: Vec<u8> = b"dn: CN=Joerg,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nsAMAccountName: joerg\nuserPrincipalName: ".to_vec();
    ldif.extend_from_slice(raw);
    ldif.extend_from_slice(
        b"\n\ndn: CN=Jorg2,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName:: ",
    );
    // The same bytes, base64 in the LDIF: the same value, so a duplicate of it.
    ldif.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(raw)
            .as_bytes(),
    );
    ldif.extend_from_slice(b"\n\ndn: CN=Jurg,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: j\xfcrg@contoso.com\n");
    let p = dir.path().join("latin1.ldif");
    std::fs::write(&p, &ldif).unwrap();
    let ps = p.to_str().unwrap();
    let sarif = dir.path().join("r.sarif");
    let jsonl = dir.path().join("r.jsonl");
    let o = run(&[
        "scan",
        ps,
        "--format",
        "json",
        "-o",
        sarif.to_str().unwrap(),
        "-o",
        jsonl.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{ps}:4: warning: the value of userPrincipalName is not valid UTF-8"
        )),
        "{}",
        stderr(&o)
    );
    let r = json(&o);
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    let upn: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["attribute"] == "userPrincipalName")
        .collect();
    // Character findings on all three; a duplicate only between the two equal values
    // (j\xf6rg and j\xfcrg are different values, though both show as j\u{FFFD}rg).
    let rules: Vec<(&str, &str)> = upn
        .iter()
        .map(|f| (f["dn"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("CN=Joerg,OU=Staff,DC=contoso,DC=com", "upn-duplicate"),
            (
                "CN=Joerg,OU=Staff,DC=contoso,DC=com",
                "upn-invalid-character"
            ),
            ("CN=Jorg2,OU=Staff,DC=contoso,DC=com", "upn-duplicate"),
            (
                "CN=Jorg2,OU=Staff,DC=contoso,DC=com",
                "upn-invalid-character"
            ),
            (
                "CN=Jurg,OU=Staff,DC=contoso,DC=com",
                "upn-invalid-character"
            ),
        ]
    );
    for f in &upn[..4] {
        assert_eq!(f["value"], "j\u{FFFD}rg@contoso.com");
        assert_eq!(f["value_base64"], b64.as_str(), "{f}");
        assert!(f["suggestion"].is_null(), "{f}");
    }
    assert_eq!(upn[0]["related"][0]["value_base64"], b64.as_str());
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let props = &sarif["runs"][0]["results"][0]["properties"];
    assert_eq!(props["valueBase64"], b64.as_str(), "{props}");
    let jsonl = std::fs::read_to_string(&jsonl).unwrap();
    assert!(
        jsonl.contains(&format!("\"value_base64\":\"{b64}\"")),
        "{jsonl}"
    );
}

/// Each limit: the record past it is not checked, named with file, line and the flag that
/// raises it; the others are checked; the report is incomplete (exit 2); raising the
/// limit checks it.
#[test]
fn records_past_a_limit_are_not_checked_and_named() {
    let dir = tempdir();
    let mut ldif = String::from(
        "dn: CN=Before,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: bad before@contoso.com\n\n\
         dn: CN=Many,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: many@contoso.com\n",
    );
    for i in 0..150 {
        ldif.push_str(&format!("proxyAddresses: smtp:a{i}@contoso.com\n"));
    }
    ldif.push_str(&format!(
        "\ndn: CN=Long,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: long@contoso.com\ndescription: {}\n",
        "x".repeat(9000)
    ));
    ldif.push_str(&format!(
        "\ndn: CN=Big,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName:: {}\n",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}@contoso.com", "b".repeat(900)))
    ));
    ldif.push_str("\ndn: CN=After,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: bad after@contoso.com\n");
    let p = write(dir.path(), "limits.ldif", &ldif);
    let ps = p.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", ps, "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        (code(&o), json(&o), stderr(&o))
    };
    // Defaults: everything is checked.
    let (c, r, _) = scan(&[]);
    assert_eq!(c, 1);
    assert_eq!(r["summary"]["entries_not_checked"], 0);
    assert_eq!(r["summary"]["objects_in_scope"], 5);

    for (flag, value, dn, line) in [
        ("--max-values", "100", "CN=Many,DC=contoso,DC=com", 108),
        ("--max-line-bytes", "2000", "CN=Long,DC=contoso,DC=com", 162),
        ("--max-value-bytes", "500", "CN=Big,DC=contoso,DC=com", 166),
        (
            "--max-entry-bytes",
            "7000",
            "CN=Long,DC=contoso,DC=com",
            159,
        ),
    ] {
        let (c, r, err) = scan(&[flag, value]);
        assert_eq!(c, 2, "{flag}: {err}");
        assert_eq!(r["summary"]["incomplete"], true, "{flag}");
        assert_eq!(r["summary"]["entries_not_checked"], 1, "{flag}: {err}");
        let d: Vec<&serde_json::Value> = r["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["limit"] == flag)
            .collect();
        assert_eq!(d.len(), 1, "{flag}: {err}");
        assert_eq!(d[0]["line"], line, "{flag}: {}", d[0]);
        assert!(
            err.contains(&format!("{ps}:{line}: error:")),
            "{flag}: {err}"
        );
        assert!(err.contains(flag), "{flag}: {err}");
        if flag != "--max-entry-bytes" && flag != "--max-line-bytes" {
            assert!(d[0]["message"].as_str().unwrap().contains(dn), "{}", d[0]);
        }
        // The neighbours are still checked.
        let dns: Vec<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["dn"].as_str().unwrap())
            .collect();
        assert!(
            dns.contains(&"CN=Before,DC=contoso,DC=com")
                && dns.contains(&"CN=After,DC=contoso,DC=com"),
            "{flag}: {dns:?}"
        );
        assert!(!dns.contains(&dn), "{flag}");
    }
}

/// Two objects in different blocks whose values would be fixed to the same new value:
/// neither gets the suggestion (the first finding of each block has the same block-local
/// id, which once hid the clash).
#[test]
fn equal_suggestions_from_different_blocks_are_both_withdrawn() {
    let dir = tempdir();
    let mut ldif = String::new();
    for i in 0..2 {
        ldif.push_str(&format!(
            "dn: CN=U{i},DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: john{}smith@contoso.com\n\n",
            if i == 0 { " " } else { "%" }
        ));
        // Padding so the two objects land in different blocks.
        for j in 0..20 {
            ldif.push_str(&format!(
                "dn: CN=Pad{i}-{j},DC=contoso,DC=com\nobjectClass: organizationalUnit\ndescription: {}\n\n",
                "p".repeat(100)
            ));
        }
    }
    let p = write(dir.path(), "clash.ldif", &ldif);
    for bs in ["1000", "1000000"] {
        let o = run(&[
            "scan",
            p.to_str().unwrap(),
            "--format",
            "json",
            "--block-size",
            bs,
        ]);
        let r = json(&o);
        let s: Vec<&serde_json::Value> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["suggestion"])
            .collect();
        assert_eq!(s.len(), 2, "{bs}");
        assert!(s.iter().all(|x| x.is_null()), "block size {bs}: {s:?}");
    }
}

/// A file with a problem in every other record (here 2,000 errors) lists the first
/// `--max-diagnostics` in line order and counts the rest: the same list at any block size
/// and thread count, every error still counted, the report incomplete. Without the bound,
/// a 3 MB file of one-line records took 900 MB.
#[test]
fn diagnostics_past_the_limit_are_counted_not_listed() {
    let dir = tempdir();
    let mut ldif = String::new();
    for i in 0..3000 {
        match i % 3 {
            // Not LDIF: an error, the record skipped.
            0 => ldif.push_str(&format!("garbage {i}\n\n")),
            // Past --max-values 2: not checked (an error from the engine, with its flag).
            1 => ldif.push_str(&format!(
                "dn: CN=U{i},OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: u{i}@contoso.com\n\
                 proxyAddresses: SMTP:u{i}@contoso.com\nproxyAddresses: smtp:a{i}@contoso.com\nproxyAddresses: smtp:b{i}@contoso.com\n\n"
            )),
            _ => ldif.push_str(&format!(
                "dn: CN=U{i},OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: same@contoso.com\n\n"
            )),
        }
    }
    let p = write(dir.path(), "damaged.ldif", &ldif);
    let path = p.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", path, "--format", "json", "-q", "--max-values", "2"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        (json(&o), stderr(&o))
    };
    let (r, err) = scan(&["--max-diagnostics", "50", "--threads", "2"]);
    let s = &r["summary"];
    // The true totals: the warning on the list is not counted.
    assert_eq!(s["diagnostics"], serde_json::json!({"error": 2000}), "{s}");
    assert_eq!(s["diagnostics_not_listed"], 1950, "{s}");
    assert_eq!(s["entries_not_checked"], 1000, "{s}");
    assert_eq!(s["incomplete"], true);
    let d = r["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 51);
    assert_eq!(d[0]["line"], 0);
    assert_eq!(
        d[0]["message"],
        "1950 more diagnostics of this input are not listed (1950 errors, 975 records not \
         checked): the reports list the first 50 in line order (raise with --max-diagnostics)"
    );
    // The first 50 by line: records 0 to 49, one error each.
    let lines: Vec<u64> = d[1..].iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    assert_eq!(lines[0], 1);
    assert_eq!(d.iter().filter(|x| x.get("limit").is_some()).count(), 25);
    // The duplicate UPN is still found on all 1,000 holders.
    assert_eq!(r["findings"].as_array().unwrap().len(), 1000);
    assert!(
        err.contains("... and 1980 more (the reports list the first of each input; 1950 diagnostics in all are counted but not listed, see --max-diagnostics)"),
        "{err}"
    );
    // Blocks of a few records, one or four threads: the same report.
    let same = |x: &Value| {
        let mut x = x.clone();
        x["generated_at"] = Value::Null;
        x
    };
    for extra in [
        &[
            "--max-diagnostics",
            "50",
            "--threads",
            "1",
            "--block-size",
            "300",
        ][..],
        &[
            "--max-diagnostics",
            "50",
            "--threads",
            "4",
            "--block-size",
            "300",
        ][..],
    ] {
        assert_eq!(same(&scan(extra).0), same(&r), "{extra:?}");
    }
    // The same path twice: listed once, counted once, as without the limit.
    let twice = |limit: &str| {
        let o = run(&[
            "scan",
            path,
            path,
            "--format",
            "json",
            "-q",
            "--max-values",
            "2",
            "--max-diagnostics",
            limit,
        ]);
        json(&o)["summary"].clone()
    };
    let (capped, whole) = (twice("50"), twice("100000"));
    assert_eq!(capped["diagnostics"], whole["diagnostics"]);
    assert_eq!(capped["entries_not_checked"], whole["entries_not_checked"]);
    assert_eq!(capped["diagnostics"], s["diagnostics"]);
    // The default lists 1,000; 0 lists none but the count.
    let (all, _) = scan(&[]);
    assert_eq!(all["diagnostics"].as_array().unwrap().len(), 1001);
    assert_eq!(all["summary"]["diagnostics_not_listed"], 1000);
    let (none, none_err) = scan(&["--max-diagnostics", "0", "--block-size", "300"]);
    assert_eq!(none["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(none["summary"]["diagnostics"], s["diagnostics"]);
    // Nothing listed on stderr either: all 2,000 are "more".
    assert!(none_err.contains("... and 2000 more"), "{none_err}");

    // An input that cannot be read is named whatever the limit (a line-0 error).
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        e.write_all(ldif.as_bytes()).unwrap();
        e.finish().unwrap();
    }
    gz.truncate(gz.len() / 2);
    let cut = dir.path().join("cut.ldif.gz");
    std::fs::write(&cut, &gz).unwrap();
    let o = run(&[
        "scan",
        path,
        cut.to_str().unwrap(),
        "--keep-going",
        "--max-diagnostics",
        "0",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let r = json(&o);
    let failed: Vec<&Value> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == cut.to_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("not scanned: read error:"),
        "{failed:?}"
    );
}

/// One record with millions of values that each get a diagnostic (URL values not
/// fetched) keeps only the first in memory: the parser counts the rest as it goes.
#[test]
fn one_record_with_a_diagnostic_per_value_is_counted_as_it_is_read() {
    let dir = tempdir();
    let mut ldif = String::from("dn: CN=U,OU=Staff,DC=contoso,DC=com\nobjectClass: user\n");
    for _ in 0..20_000 {
        ldif.push_str("x:< file:///a\n");
    }
    let p = write(dir.path(), "urls.ldif", &ldif);
    let o = run(&[
        "scan",
        p.to_str().unwrap(),
        "--max-diagnostics",
        "5",
        "--format",
        "json",
    ]);
    let r = json(&o);
    assert_eq!(
        r["summary"]["diagnostics"]["note"], 20_000,
        "{}",
        r["summary"]
    );
    assert_eq!(r["summary"]["diagnostics_not_listed"], 19_995);
    let d = r["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 6);
    let lines: Vec<u64> = d[1..].iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7]);
}
