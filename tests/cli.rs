//! CLI tests: run the binary on fixture exports and compare whole outputs.
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;
use common::*;

#[test]
fn sample_export_json_snapshot() {
    let o = run(&["scan", "examples/contoso.ldif", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_snapshot("contoso.json", &stdout(&o));
}

#[test]
fn ldifde_and_ldapsearch_fixtures_json_snapshot() {
    let o = run(&[
        "scan",
        "tests/fixtures/ldifde-style.ldf",
        "tests/fixtures/ldapsearch-style.ldif",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_snapshot("fixtures.json", &stdout(&o));
    // ldapsearch's search reference and trailer are skipped with notes naming their lines.
    let err = stderr(&o);
    assert!(
        err.contains("tests/fixtures/ldapsearch-style.ldif:66: note:"),
        "{err}"
    );
}

#[test]
fn terminal_summary_snapshot() {
    let o = run(&["scan", "examples/contoso.ldif"]);
    assert_eq!(code(&o), 1);
    assert_snapshot("contoso.txt", &stdout(&o));
}

#[test]
fn exit_codes() {
    let dir = tempdir();
    let clean = write(
        dir.path(),
        "clean.ldif",
        "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: a@contoso.com\nsAMAccountName: a\n",
    );
    let clean = clean.to_str().unwrap();
    assert_eq!(code(&run(&["scan", clean])), 0);
    assert_eq!(code(&run(&["scan", "examples/contoso.ldif"])), 1);
    // Only warnings and infos would not fail with the default --fail-on error; errors do.
    assert_eq!(
        code(&run(&[
            "scan",
            "examples/contoso.ldif",
            "--fail-on",
            "warning"
        ])),
        1
    );
    // Usage errors.
    assert_eq!(code(&run(&["scan"])), 2);
    assert_eq!(code(&run(&["scan", clean, "--fail-on", "fatal"])), 2);
    assert_eq!(code(&run(&["scan", clean, "-o", "report.pdf"])), 2);
    assert_eq!(code(&run(&["scan", clean, "--disable", "no-such-rule"])), 2);
    // Input errors.
    let o = run(&["scan", "does/not/exist.ldif"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("does/not/exist.ldif"), "{}", stderr(&o));
}

#[test]
fn a_report_lost_on_stdout_is_an_error_unless_the_pipe_was_closed() {
    for format in ["json", "sarif", "csv", "markdown"] {
        // A full device: the report is lost, which the exit code and stderr must say.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = dirready()
            .args(["scan", "examples/contoso.ldif", "-q", "--format", format])
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(code(&o), 2, "{format}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("<stdout>") && stderr(&o).contains("No space left"),
            "{format}: {}",
            stderr(&o)
        );
        // A reader that stopped reading (`| head`): not an error, the gate decides.
        let mut child = dirready()
            .args(["scan", "examples/contoso.ldif", "-q", "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        assert!(!stderr(&o).contains("error"), "{format}: {}", stderr(&o));
    }
}

#[test]
fn malformed_input_is_reported_with_file_line_column_and_the_scan_goes_on() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "bad.ldif",
        "dn: CN=A,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: a@contoso.local\n\n\
         dn: CN=B,DC=contoso,DC=com\nobjectClass: user\nadminDescription: first line\nthis line has no colon\n\n\
         dn: CN=C,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: c d@contoso.com\n",
    );
    let out = dir.path().join("r.json");
    let o = run(&[
        "scan",
        bad.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 2, "an incomplete scan exits 2");
    let err = stderr(&o);
    assert!(
        err.contains("bad.ldif:8:"),
        "diagnostic names file and line: {err}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["summary"]["incomplete"], true);
    let dns: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["dn"].as_str().unwrap())
        .collect();
    assert!(
        dns.contains(&"CN=A,DC=contoso,DC=com") && dns.contains(&"CN=C,DC=contoso,DC=com"),
        "{dns:?}"
    );
    assert!(!dns.contains(&"CN=B,DC=contoso,DC=com"));
}

#[test]
fn stdin_and_gzip_inputs_give_the_same_findings_as_the_file() {
    use std::io::Write;
    let data = std::fs::read(root().join("examples/contoso.ldif")).unwrap();
    let file = run(&["scan", "examples/contoso.ldif", "--format", "json"]);
    let stdin = run_stdin(&["scan", "-", "--format", "json"], &data);
    let dir = tempdir();
    let gz_path = dir.path().join("contoso.ldif.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&data).unwrap();
    enc.finish().unwrap();
    let gz = run(&["scan", gz_path.to_str().unwrap(), "--format", "json"]);
    let findings = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut f = v["findings"].clone();
        without_files(&mut f);
        f
    };
    assert_eq!(findings(&file), findings(&stdin));
    assert_eq!(findings(&file), findings(&gz));
    let v: serde_json::Value = serde_json::from_slice(&stdin.stdout).unwrap();
    assert_eq!(v["summary"]["inputs"][0]["path"], "-");
}

/// Standard input redirected from a file is read as that file is (its values read back
/// from it after the stream, its sha256 taken from the blocks), from where stdin stands:
/// the same findings and digest as a file holding the bytes from there on.
#[test]
fn stdin_redirected_from_a_file_is_read_from_where_it_stands() {
    use sha2::Digest;
    use std::io::{Seek, SeekFrom};
    let data = std::fs::read(root().join("tests/fixtures/spec/corpus-ldifde.ldf")).unwrap();
    // From the start, and from a record in the middle on.
    let later = data
        .windows(3)
        .enumerate()
        .filter(|(_, w)| *w == b"\ndn" || *w == b"\nDN")
        .map(|(i, _)| i + 1)
        .nth(1)
        .unwrap();
    let dir = tempdir();
    let whole = dir.path().join("whole.ldif");
    std::fs::write(&whole, &data).unwrap();
    let report = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["generated_at"] = serde_json::Value::Null;
        without_files(&mut v["findings"]);
        let input = v["summary"]["inputs"][0].take();
        v["summary"]["inputs"] = serde_json::Value::Null;
        (v, input)
    };
    for (at, threads) in [(0, "1"), (0, "2"), (later, "2")] {
        let rest = dir.path().join("rest.ldif");
        std::fs::write(&rest, &data[at..]).unwrap();
        let by_path = run(&[
            "scan",
            rest.to_str().unwrap(),
            "--format",
            "json",
            "--threads",
            threads,
            "--block-size",
            "4096",
        ]);
        let mut stdin = std::fs::File::open(&whole).unwrap();
        stdin.seek(SeekFrom::Start(at as u64)).unwrap();
        let redirected = dirready()
            .args([
                "scan",
                "-",
                "--format",
                "json",
                "--threads",
                threads,
                "--block-size",
                "4096",
            ])
            .stdin(stdin)
            .output()
            .unwrap();
        assert_eq!(code(&redirected), code(&by_path), "{}", stderr(&redirected));
        let (want, want_input) = report(&by_path);
        let (got, got_input) = report(&redirected);
        assert!(want["findings"].as_array().unwrap().len() > 10);
        assert!(
            stdout(&by_path).contains("\"related\": [\n"),
            "duplicates read back"
        );
        assert_eq!(got, want, "from byte {at}");
        assert_eq!(got_input["path"], "-");
        let sha = dirready::text::hex(&sha2::Sha256::digest(&data[at..]));
        assert_eq!(got_input["sha256"], sha.as_str());
        assert_eq!(want_input["sha256"], sha.as_str());
        assert_eq!(got_input["bytes"], (data.len() - at) as u64);
    }
}

/// JSON findings with the input file they name (and their related holders') left out,
/// to compare findings of the same bytes read under other names.
fn without_files(findings: &mut serde_json::Value) {
    for f in findings.as_array_mut().unwrap() {
        f["source"]["file"] = serde_json::Value::Null;
        for r in f["related"].as_array_mut().unwrap() {
            r["source"]["file"] = serde_json::Value::Null;
        }
    }
}

/// A read that fails partway (a gzip stream cut short), after blocks were already handed
/// to the threads: the run stops with the input's read error whatever the threads, from
/// a file or a pipe, and
/// under --keep-going that input is reported as not scanned while the other is scanned.
#[test]
fn an_input_that_fails_partway_stops_the_run_or_is_left_out_with_keep_going() {
    use std::io::Write;
    let data = std::fs::read(root().join("tests/fixtures/spec/corpus-ldifde.ldf")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..20 {
        enc.write_all(&data).unwrap();
    }
    let gz = enc.finish().unwrap();
    let dir = tempdir();
    let cut = dir.path().join("cut.ldif.gz");
    std::fs::write(&cut, &gz[..gz.len() * 3 / 4]).unwrap();
    let cut = cut.to_str().unwrap();
    for threads in ["1", "2", "4"] {
        // Through a pipe, read ahead by a thread of its own.
        let o = run_stdin(
            &["scan", "-", "--threads", threads, "--block-size", "4096"],
            &gz[..gz.len() * 3 / 4],
        );
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(stderr(&o).contains("-: read error:"), "{}", stderr(&o));
        let o = run(&["scan", cut, "--threads", threads, "--block-size", "4096"]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{cut}: read error:")),
            "{}",
            stderr(&o)
        );
        let o = run(&[
            "scan",
            cut,
            "examples/contoso.ldif",
            "--keep-going",
            "--threads",
            threads,
            "--block-size",
            "4096",
            "--format",
            "json",
        ]);
        // Exit 2: the report is written but incomplete.
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let files: std::collections::BTreeSet<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["source"]["file"].as_str().unwrap())
            .collect();
        assert_eq!(
            files.into_iter().collect::<Vec<_>>(),
            ["examples/contoso.ldif"]
        );
        assert_eq!(v["summary"]["incomplete"], true);
        let not_scanned = v["diagnostics"].as_array().unwrap().iter().any(|d| {
            d["file"] == cut
                && d["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("not scanned: read error:")
        });
        assert!(not_scanned, "{}", v["diagnostics"]);
    }
}

#[test]
fn output_is_byte_identical_whatever_the_threads_and_block_size() {
    let args = [
        "scan",
        "tests/fixtures/spec/corpus-ldifde.ldf",
        "tests/fixtures/spec/corpus-ldapsearch.ldif",
        "--format",
        "json",
    ];
    let base = run(&args);
    for extra in [
        &["--threads", "1"][..],
        &["--threads", "2", "--block-size", "512"],
        &["--threads", "4", "--block-size", "4096"],
    ] {
        let mut a = args.to_vec();
        a.extend_from_slice(extra);
        let o = run(&a);
        assert!(o.stdout == base.stdout, "output changed with {extra:?}");
    }
}

#[test]
fn several_outputs_by_extension() {
    let dir = tempdir();
    let json = dir.path().join("f.json");
    let txt = dir.path().join("f.txt");
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "-q",
        "-o",
        json.to_str().unwrap(),
        "-o",
        txt.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).is_empty(),
        "--quiet with the terminal format prints nothing"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert!(v["findings"].as_array().unwrap().len() > 10);
    assert!(std::fs::read_to_string(txt)
        .unwrap()
        .contains("will fail sync"));
}

#[test]
fn accepted_domains_add_domain_findings_and_suggestions() {
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--format",
        "json",
        "--accepted-domain",
        "contoso.com",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let upn = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "upn-non-routable-domain")
        .unwrap();
    assert_eq!(upn["value"], "djump@contoso.local");
    assert_eq!(upn["suggestion"], "djump@contoso.com");
}

#[test]
fn user_rules_add_override_and_disable() {
    let dir = tempdir();
    let rules = write(
        dir.path(),
        "extra.yaml",
        r#"
- id: user-department-required
  title: users need a department
  severity: warning
  category: blank
  objects: [user]
  attribute: department
  check: { kind: required }
  message: "department is missing"
  examples:
    valid:
      - |
        dn: CN=A,DC=x,DC=com
        objectClass: user
        department: Sales
    invalid: ["x"]
- id: upn-non-routable-domain
  title: overridden to a warning
  severity: warning
  category: domain
  objects: [user, inetOrgPerson]
  attribute: userPrincipalName
  check: { kind: domain_routable }
  message: "UPN: {detail}"
  examples: { valid: ["a@contoso.com"], invalid: ["a@contoso.local"] }
"#,
    );
    let r = rules.to_str().unwrap();
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--format",
        "json",
        "--rules",
        r,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fs = v["findings"].as_array().unwrap();
    assert!(fs
        .iter()
        .any(|f| f["rule"] == "user-department-required" && f["severity"] == "warning"));
    assert!(fs
        .iter()
        .any(|f| f["rule"] == "upn-non-routable-domain" && f["severity"] == "warning"));
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--format",
        "json",
        "--disable",
        "upn-non-routable-domain",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "upn-non-routable-domain"));
}

#[test]
fn rule_file_errors_name_file_line_and_column() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "bad.yaml",
        "- id: x-rule\n  title: t\n  severity: critical\n",
    );
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--rules",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("bad.yaml:3:"), "{err}");
    assert!(err.contains("critical"), "{err}");
}

#[test]
fn rules_commands() {
    let o = run(&["rules", "test"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("0 failed"));
    let o = run(&["rules", "list"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("upn-invalid-character"));
    let o = run(&["rules", "show", "upn-invalid-character"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("kind: charset"));
    assert_eq!(code(&run(&["rules", "show", "nope"])), 2);

    // A rule whose examples are wrong fails `rules test`.
    let dir = tempdir();
    write(
        dir.path(),
        "wrong.yaml",
        "id: nick-wrong\ntitle: t\nseverity: error\ncategory: length\nattribute: mailNickname\n\
         check: { kind: max_length, max: 3 }\nmessage: m\nexamples: { valid: [\"abcd\"], invalid: [\"ab\"] }\n",
    );
    let o = run(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("2 failed"), "{}", stdout(&o));
}

#[test]
fn markdown_report_snapshot() {
    let o = run(&["scan", "examples/contoso.ldif", "--format", "markdown"]);
    assert_eq!(code(&o), 1);
    assert_snapshot("contoso.md", &stdout(&o));
}

#[test]
fn html_report_is_self_contained_and_escapes_directory_values() {
    let dir = tempdir();
    let hostile = write(
        dir.path(),
        "hostile.ldif",
        "dn: CN=<script>alert(1)</script>,DC=contoso,DC=com\nobjectClass: user\n\
         userPrincipalName: \"><img src=x onerror=alert(2)>@contoso.com\n\n\
         dn: CN=B,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: {{7*7}}@contoso.com\n",
    );
    let html = dir.path().join("r.html");
    let o = run(&[
        "scan",
        hostile.to_str().unwrap(),
        "-q",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let text = std::fs::read_to_string(html).unwrap();
    assert!(!text.contains("<script>alert(1)"), "DN must be escaped");
    assert!(!text.contains("<img src=x"), "value must be escaped");
    // Finding values travel in the page's JSON block, with `<` and `>` as \u escapes so
    // that no value can close the element; the page's script draws them as text.
    assert!(text.contains(r"CN=\u003cscript\u003ealert(1)\u003c/script\u003e"));
    let start = text.find(r#"id="report-data">"#).unwrap() + r#"id="report-data">"#.len();
    let end = start + text[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&text[start..end]).unwrap();
    assert_eq!(data["f"].as_array().unwrap().len(), 2);
    assert!(data["f"][0][2]
        .as_str()
        .unwrap()
        .starts_with("CN=<script>alert(1)</script>"));
    assert!(
        text.contains("{{7*7}}") && !text.contains(">49<"),
        "values are not template code"
    );
    // Self-contained: nothing is loaded from the network.
    for needle in ["src=\"http", "href=\"//", "<link ", "@import", "url(http"] {
        assert!(!text.contains(needle), "external reference {needle}");
    }
    assert!(text.contains("Content-Security-Policy"));
}

#[test]
fn template_dir_overrides_the_built_in_templates() {
    let dir = tempdir();
    write(
        dir.path(),
        "report.md.j2",
        "custom: {{ summary.findings_total }} findings\n",
    );
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "--format",
        "markdown",
        "--template-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "custom: 23 findings\n");
}

#[test]
fn a_report_that_fails_to_render_leaves_the_previous_file_whole() {
    let dir = tempdir();
    let templates = dir.path().join("t");
    std::fs::create_dir(&templates).unwrap();
    write(&templates, "report.html.j2", "{{ no_such_field.x }}");
    let html = dir.path().join("r.html");
    let json = dir.path().join("r.json");
    std::fs::write(&html, "previous report").unwrap();
    let o = run(&[
        "scan",
        "examples/contoso.ldif",
        "-q",
        "-o",
        html.to_str().unwrap(),
        "-o",
        json.to_str().unwrap(),
        "--template-dir",
        templates.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("r.html"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&html).unwrap(), "previous report");
    // Outputs are written in parallel: the JSON report is complete, and no temporary
    // file is left behind.
    serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn utf16_and_bom_exports_give_the_same_findings_and_lines() {
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/spec/corpus-ldifde.ldf")).unwrap();
    let dir = tempdir();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.as_bytes());
    let (a, b) = (dir.path().join("u16.ldf"), dir.path().join("bom.ldf"));
    std::fs::write(&a, utf16).unwrap();
    std::fs::write(&b, bom).unwrap();
    let key = |o: std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["diagnostics"].as_array().unwrap().is_empty());
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["dn"].to_string(),
                    f["rule"].to_string(),
                    f["source"]["line"].as_u64(),
                    f["value_line"].as_u64(),
                )
            })
            .collect::<Vec<_>>()
    };
    let plain = key(run(&[
        "scan",
        "tests/fixtures/spec/corpus-ldifde.ldf",
        "--format",
        "json",
    ]));
    assert!(!plain.is_empty());
    assert_eq!(
        key(run(&["scan", a.to_str().unwrap(), "--format", "json"])),
        plain
    );
    assert_eq!(
        key(run(&["scan", b.to_str().unwrap(), "--format", "json"])),
        plain
    );
}

/// One line per finding: what the revised contract decides (rule, severity, object,
/// attribute, value, suggestion, and a duplicate's domain).
fn finding_table(json: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    let mut out = String::new();
    for f in v["findings"].as_array().unwrap() {
        let s = |k: &str| f[k].as_str().unwrap_or("-").to_string();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            s("rule"),
            s("severity"),
            s("dn"),
            s("attribute"),
            s("value"),
            s("suggestion"),
            f["uniqueness"]["domain"].as_str().unwrap_or("-"),
        ));
    }
    out.push_str(&format!(
        "accepted: {} implicit: {}\n",
        v["summary"]["accepted_domains"], v["summary"]["implicit_accepted_domains"]
    ));
    out
}

/// The revised contract (m365-rules.md, 2026-11-30): contacts and targetAddress get no
/// accepted-domain check, onmicrosoft.com is always accepted, unaccepted mail and smtp:
/// aliases are warnings without a suggestion, an unaccepted UPN suffix is an error moved
/// to the first accepted domain, and sAMAccountName is unique per domain.
#[test]
fn accepted_domains_and_per_domain_sam_follow_the_revised_contract() {
    let files = [
        "tests/fixtures/accepted/hybrid.ldif",
        "tests/fixtures/accepted/forest-b.ldif",
    ];
    let mut args = vec!["scan", files[0], files[1], "--format", "json"];
    let default = run(&args);
    assert_eq!(code(&default), 1, "{}", stderr(&default));
    args.extend(["--accepted-domain", "contoso.com"]);
    let accepted = run(&args);
    assert_eq!(code(&accepted), 1, "{}", stderr(&accepted));
    let table = format!(
        "# default\n{}# --accepted-domain contoso.com\n{}",
        finding_table(&default.stdout),
        finding_table(&accepted.stdout)
    );
    assert_snapshot("accepted-domains.tsv", &table);
    // The HTML and Markdown reports name the implicit domain and the duplicate's domain.
    let dir = tempdir();
    let html = dir.path().join("r.html");
    let md = dir.path().join("r.md");
    args.extend(["-o", html.to_str().unwrap(), "-o", md.to_str().unwrap()]);
    run(&args);
    let terminal = run(&[
        "scan",
        files[0],
        files[1],
        "--accepted-domain",
        "contoso.com",
    ]);
    assert!(
        stdout(&terminal).contains("accepted domains: contoso.com, onmicrosoft.com (always)"),
        "{}",
        stdout(&terminal)
    );
    for p in [&html, &md] {
        let text = std::fs::read_to_string(p).unwrap();
        assert!(text.contains("onmicrosoft.com"), "{}", p.display());
        assert!(text.contains("in the domain"), "{}", p.display());
    }
}

/// A user's rule folder: `rules test --update-snapshots` pins messages and suggestions in
/// `__snapshots__`, a later change to a rule's message fails `rules test` until accepted.
#[test]
fn rules_test_pins_user_rule_snapshots() {
    let dir = tempdir();
    let rule = |msg: &str| {
        format!(
            "- id: ext1-no-hash\n  title: t\n  severity: warning\n  category: character\n  attribute: extensionAttribute1\n  check: {{ kind: charset, forbidden: \"[#]\" }}\n  message: \"{msg} {{detail}}\"\n  fix: strip\n  examples: {{ valid: [\"a\"], invalid: [\"a#b\"] }}\n"
        )
    };
    write(dir.path(), "r.yaml", &rule("extensionAttribute1"));
    let d = dir.path().to_str().unwrap();
    let o = run(&["rules", "test", d, "--update-snapshots"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let snap = std::fs::read_to_string(dir.path().join("__snapshots__/ext1-no-hash.snap")).unwrap();
    assert_eq!(
        snap,
        "# ext1-no-hash (strip)\n\ninvalid \"a#b\"\n  message: extensionAttribute1 contains `#`\n  suggestion: \"ab\"\n"
    );
    assert_eq!(code(&run(&["rules", "test", d])), 0);
    write(dir.path(), "r.yaml", &rule("ext1"));
    let o = run(&["rules", "test", d]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("SNAPSHOT ext1-no-hash"),
        "{}",
        stdout(&o)
    );
    // The schema command prints what rules/schema.json holds.
    let o = run(&["rules", "schema"]);
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(root().join("rules/schema.json")).unwrap()
    );
}

/// Fix and undo LDIF of an export with fixable, unfixable and hostile values, compared
/// whole (the generation time masked); every hostile value is one base64 value.
#[test]
fn fix_and_undo_ldif_snapshot() {
    let dir = tempdir();
    let fix = dir.path().join("fixes.ldif");
    let o = run(&[
        "scan",
        "tests/fixtures/fixes/defects.ldif",
        "-q",
        "--fix-ldif",
        fix.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let undo = dir.path().join("fixes.undo.ldif");
    let mask = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| {
                if l.starts_with("# Generated by") {
                    "# Generated by dirready <version> at <time>."
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let (fix_text, undo_text) = (mask(&fix), mask(&undo));
    assert_snapshot("fixes.ldif", &fix_text);
    assert_snapshot("fixes.undo.ldif", &undo_text);
    for text in [&fix_text, &undo_text] {
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                !line.starts_with("changetype: delete") && !line.starts_with("dn: cn=admin"),
                "{line}"
            );
        }
    }
    // The injection attempt travels as one base64 value, in the fix and in the undo.
    let injected = "c210cDp4CmRuOiBjbj1hZG1pbgpjaGFuZ2V0eXBlOiBkZWxldGVAY29udG9zby5jb20=";
    assert!(fix_text.contains(&format!("proxyAddresses:: {injected}\n")));
    assert!(undo_text.contains(&format!("proxyAddresses:: {injected}\n")));
}

/// The PowerShell fix and undo scripts, compared whole (generation time masked), and
/// parsed by PowerShell itself when `pwsh` is installed.
#[test]
fn fix_and_undo_powershell_snapshot() {
    let dir = tempdir();
    let ps1 = dir.path().join("fixes.ps1");
    let o = run(&[
        "scan",
        "tests/fixtures/fixes/defects.ldif",
        "-q",
        "--fix-ps1",
        ps1.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let undo = dir.path().join("fixes.undo.ps1");
    for (path, snap) in [(&ps1, "fixes.ps1"), (&undo, "fixes.undo.ps1")] {
        let text: String = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                if l.starts_with("# Generated by") {
                    "# Generated by dirready <version> at <time>.".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        assert_snapshot(snap, &text);
        let pwsh = std::env::var("PATH")
            .unwrap_or_default()
            .split(':')
            .map(|d| std::path::Path::new(d).join("pwsh"))
            .find(|p| p.is_file());
        match pwsh {
            Some(pwsh) => {
                let check = format!(
                    "$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('{}', [ref]$null, [ref]$e); if ($e.Count) {{ $e; exit 1 }}",
                    path.display()
                );
                let out = std::process::Command::new(pwsh)
                    .args(["-NoProfile", "-NonInteractive", "-Command", &check])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            None => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "fix_and_undo_powershell_snapshot: pwsh not installed, syntax check skipped"
                );
            }
        }
    }
}

/// `dirready fix REPORT.json`: the same fix file as the scan made; a hand-edited
/// suggestion that breaks a rule is refused; a filled-in decisions CSV adds edits (one
/// that collides is refused); an input changed since the report refuses the edits of
/// values it no longer holds.
#[test]
fn fix_command_from_a_saved_report_and_decisions() {
    let dir = tempdir();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let export = d("export.ldif");
    std::fs::copy(root().join("tests/fixtures/fixes/defects.ldif"), &export).unwrap();
    let o = run(&[
        "scan",
        &export,
        "-q",
        "-o",
        &d("r.json"),
        "--fix-ldif",
        &d("scan.ldif"),
        "--decisions-csv",
        &d("decisions.csv"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let body = |p: &str| {
        let t = std::fs::read_to_string(p).unwrap();
        t[t.find("\nversion: 1").unwrap()..].to_string()
    };
    let o = run(&["fix", &d("r.json"), "--fix-ldif", &d("fix.ldif")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(body(&d("fix.ldif")), body(&d("scan.ldif")));

    // A hand-edited suggestion that breaks a rule.
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d("r.json")).unwrap()).unwrap();
    for f in r["findings"].as_array_mut().unwrap() {
        if f["dn"] == "CN=Colon Start,OU=Staff,DC=contoso,DC=com" {
            f["suggestion"] = "colon start@contoso.com".into();
        }
    }
    std::fs::write(d("edited.json"), serde_json::to_string(&r).unwrap()).unwrap();
    let o = run(&["fix", &d("edited.json"), "--fix-ldif", &d("edited.ldif")]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("refused: CN=Colon Start"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("upn-invalid-character"),
        "{}",
        stderr(&o)
    );
    let edited = std::fs::read_to_string(d("edited.ldif")).unwrap();
    assert!(!edited.contains("dn: CN=Colon Start"));
    assert!(
        edited.contains("# Needs a decision") && edited.contains("not planned: CN=Colon Start")
    );

    // Decisions: a new UPN for the second duplicate holder and for the .local one; a
    // third row gives the first holder a value the second holds.
    let csv = std::fs::read_to_string(d("decisions.csv")).unwrap();
    assert!(csv.starts_with('\u{FEFF}'));
    let mut rdr = csv::Reader::from_reader(csv.trim_start_matches('\u{FEFF}').as_bytes());
    let header = rdr.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for row in rdr.records() {
        let mut row: Vec<String> = row.unwrap().iter().map(String::from).collect();
        row[3] = match row[0].as_str() {
            "CN=Dup Two,OU=Staff,DC=contoso,DC=com" => "dup.two@contoso.com".into(),
            "CN=Local Domain,OU=Staff,DC=contoso,DC=com" => "local.domain@contoso.com".into(),
            "CN=Dup One,OU=Staff,DC=contoso,DC=com" => "dup.two@contoso.com".into(),
            _ => String::new(),
        };
        w.write_record(&row).unwrap();
    }
    std::fs::write(d("filled.csv"), w.into_inner().unwrap()).unwrap();
    let o = run(&[
        "fix",
        &d("r.json"),
        "--decisions",
        &d("filled.csv"),
        "--fix-ldif",
        &d("decided.ldif"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let decided = std::fs::read_to_string(d("decided.ldif")).unwrap();
    assert!(decided.contains("userPrincipalName: local.domain@contoso.com"));
    // dup.two@ was proposed for two objects: both refused.
    assert!(
        !decided.contains("userPrincipalName: dup.two@contoso.com"),
        "{decided}"
    );
    assert!(
        stderr(&o).contains("proposed for another object too"),
        "{}",
        stderr(&o)
    );

    // The export changes after the report: Anna's UPN is fixed by hand meanwhile.
    let changed = std::fs::read_to_string(&export).unwrap().replace(
        "userPrincipalName: anna space@contoso.com",
        "userPrincipalName: anna.space@contoso.com",
    );
    std::fs::write(&export, changed).unwrap();
    let o = run(&["fix", &d("r.json"), "--fix-ldif", &d("late.ldif")]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("changed since the report"),
        "{}",
        stderr(&o)
    );
    let late = std::fs::read_to_string(d("late.ldif")).unwrap();
    assert!(!late.contains("userPrincipalName: annaspace@contoso.com"));
    // Anna's proxy edit is still there: that value did not change.
    assert!(late.contains("proxyAddresses: smtp:annaold@contoso.com"));
}

/// Sync scope: --include-ou and --exclude-ou compare DNs RDN by RDN (escaped commas,
/// case); exclusion wins over inclusion; objects out of scope are counted by reason and
/// take no part in uniqueness.
#[test]
fn sync_scope_by_ou() {
    let o = run(&[
        "scan",
        "tests/fixtures/scope/ous.ldif",
        "--format",
        "json",
        "--include-ou",
        "ou=staff, dc=contoso,dc=com",
        "--include-ou",
        r"OU=Sales\2C EMEA,DC=contoso,DC=com",
        "--exclude-ou",
        "OU=Disabled,OU=Staff,DC=contoso,DC=com",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let dns: std::collections::BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["dn"].as_str().unwrap())
        .collect();
    assert_eq!(
        dns,
        [
            "CN=In Staff,OU=Staff,DC=contoso,DC=com",
            r"CN=In Sales EMEA,OU=Sales\, EMEA,DC=contoso,DC=com"
        ]
        .into_iter()
        .collect(),
        "{r}"
    );
    let s = &r["summary"];
    assert_eq!(s["skipped"]["outside-sync-scope"], 2, "{s}");
    assert_eq!(s["skipped"]["excluded-ou"], 1, "{s}");
    assert_eq!(s["objects_in_scope"], 3);
    assert_eq!(s["include_ous"][1], r"OU=Sales\2C EMEA,DC=contoso,DC=com");
    // `shared@` is held in scope (Shares) and out of it (Outside): no duplicate.
    assert!(!r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "duplicate"));
    let terminal = run(&[
        "scan",
        "tests/fixtures/scope/ous.ldif",
        "--exclude-ou",
        "OU=Disabled,OU=Staff,DC=contoso,DC=com",
    ]);
    assert!(stdout(&terminal).contains(
        "sync scope: include everything; exclude OU=Disabled,OU=Staff,DC=contoso,DC=com"
    ));
    assert!(stdout(&terminal).contains("excluded-ou 1"));
}

/// The settings file: found as ./dirready.yaml or given with --config, flags override it,
/// unknown keys are errors with file:line:column, `config init` writes a usable example.
#[test]
fn settings_file() {
    let dir = tempdir();
    let export =
        std::fs::read_to_string(root().join("tests/fixtures/accepted/hybrid.ldif")).unwrap();
    write(dir.path(), "export.ldif", &export);
    let in_dir = |args: &[&str]| {
        dirready()
            .current_dir(dir.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    // `config init` writes the example, and refuses to overwrite it.
    assert_eq!(code(&in_dir(&["config", "init"])), 0);
    assert_eq!(code(&in_dir(&["config", "init"])), 2);
    // The example names export.ldif and contoso.com: a scan with no arguments uses it.
    let o = in_dir(&["scan", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["accepted_domains"][0], "contoso.com");
    assert!(dir.path().join("report.html").exists() && dir.path().join("report.json").exists());
    // Flags win over the file.
    let o = in_dir(&[
        "scan",
        "--format",
        "json",
        "--accepted-domain",
        "fabrikam.com",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["summary"]["accepted_domains"],
        serde_json::json!(["fabrikam.com"])
    );
    // --config names another file; unknown keys (a password!) are refused with their place.
    let bad = write(
        dir.path(),
        "bad.yaml",
        "inputs: [export.ldif]\nlive:\n  password: hunter2\n",
    );
    let o = in_dir(&["scan", "--config", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("bad.yaml:3:3:"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
    let scope = write(
        dir.path(),
        "scope.yaml",
        "inputs: [export.ldif]\nexclude_ous: ['OU=Staff,DC=contoso,DC=com']\nfail_on: warning\n",
    );
    let o = in_dir(&[
        "scan",
        "--config",
        scope.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["summary"]["skipped"]["excluded-ou"], 3,
        "{}",
        r["summary"]
    );
    assert_eq!(r["gate"]["fail_on"], "warning");
    // The target profile: from the file, overridden by the flag; a bad value is refused
    // with its place.
    let target = write(
        dir.path(),
        "target.yaml",
        "inputs: [export.ldif]\ntarget: cloud-sync\n",
    );
    let t = target.to_str().unwrap();
    let o = in_dir(&["scan", "--config", t, "--format", "json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["target"], "cloud-sync");
    let o = in_dir(&[
        "scan",
        "--config",
        t,
        "--target",
        "connect-sync",
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["target"], "connect-sync");
    let bad = write(
        dir.path(),
        "bad-target.yaml",
        "inputs: [export.ldif]\ntarget: cloud\n",
    );
    let o = in_dir(&["scan", "--config", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("bad-target.yaml:2:9:"),
        "{}",
        stderr(&o)
    );
}

/// The Entra ID property lengths (m365-sync-limits.md): users and inetOrgPerson only,
/// counted in characters (a non-ASCII value at the limit passes), truncation suggested.
#[test]
fn entra_property_lengths_apply_to_users_only_and_count_characters() {
    let dir = common::tempdir();
    let long_city = "é".repeat(129);
    let ldif = format!(
        "dn: CN=A,OU=X,DC=contoso,DC=com\nobjectClass: user\nsAMAccountName: a\n\
         userPrincipalName: a@contoso.com\nemployeeID: 12345678901234567\n\
         department: {}\nl: {long_city}\npostalCode: 12345\n\n\
         dn: CN=B,OU=X,DC=contoso,DC=com\nobjectClass: inetOrgPerson\n\
         userPrincipalName: b@contoso.com\nst: {}\n\n\
         dn: CN=G,OU=X,DC=contoso,DC=com\nobjectClass: group\nsAMAccountName: g\n\
         employeeID: 12345678901234567\ndepartment: {}\n\n\
         dn: CN=C,OU=X,DC=contoso,DC=com\nobjectClass: contact\n\
         title: {}\n",
        "é".repeat(64),
        "s".repeat(129),
        "d".repeat(65),
        "t".repeat(129),
    );
    let input = common::write(dir.path(), "lengths.ldif", &ldif);
    let out = common::run(&["scan", input.to_str().unwrap(), "--format", "json"]);
    let table: String = finding_table(&out.stdout)
        .lines()
        .filter(|l| l.contains("-too-long"))
        .map(|l| l.split('\t').take(6).collect::<Vec<_>>().join("\t") + "\n")
        .collect();
    let expected = format!(
        "employeeid-too-long\twarning\tCN=A,OU=X,DC=contoso,DC=com\temployeeID\t12345678901234567\t1234567890123456\n\
         l-too-long\twarning\tCN=A,OU=X,DC=contoso,DC=com\tl\t{long_city}\t{}\n\
         st-too-long\twarning\tCN=B,OU=X,DC=contoso,DC=com\tst\t{}\t{}\n",
        "é".repeat(128),
        "s".repeat(129),
        "s".repeat(128),
    );
    assert_eq!(table, expected);
}

/// Every finding with its message, severity and suggestion, and the diagnostics and
/// target lines of the summary: a whole-output view of a scan for snapshots.
fn sync_limits_view(json: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    let mut out = String::new();
    for f in v["findings"].as_array().unwrap() {
        let s = |k: &str| f[k].as_str().unwrap_or("null").to_string();
        out.push_str(&format!(
            "{} {} {} {}={} suggestion={} replaces={} related={}\n  {}\n",
            s("rule"),
            s("severity"),
            s("dn"),
            s("attribute"),
            s("value"),
            s("suggestion"),
            s("replaces"),
            f["related"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| format!(
                    "{}({})",
                    r["dn"].as_str().unwrap(),
                    r["attribute"].as_str().unwrap()
                ))
                .collect::<Vec<_>>()
                .join("|"),
            s("message"),
        ));
    }
    for d in v["diagnostics"].as_array().unwrap() {
        out.push_str(&format!(
            "diagnostic {} {}:{} {}\n",
            d["level"].as_str().unwrap(),
            d["file"].as_str().unwrap(),
            d["line"],
            d["message"].as_str().unwrap()
        ));
    }
    let s = &v["summary"];
    out.push_str(&format!(
        "target {} limits {} in scope {} skipped {} change records {}\n",
        s["target"], s["target_limits"], s["objects_in_scope"], s["skipped"], s["change_records"]
    ));
    out
}

/// Two forests in one run, one per export style (ldapsearch LF with folded base64,
/// ldifde CRLF with a ranged member attribute and members in modify records): anchors,
/// SIDs and Exchange GUIDs collide across the files; counts, photo sizes and primary
/// addresses are checked per object; out-of-scope objects take no part.
#[test]
fn sync_limits_across_two_forests() {
    let a = "tests/fixtures/sync-limits/forest-a.ldif";
    let b = "tests/fixtures/sync-limits/forest-b.ldf";
    let o = run(&["scan", a, b, "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_snapshot("sync-limits.txt", &sync_limits_view(&o.stdout));
    // Excluding forest B's Disabled OU takes Ghost out of the mailbox GUID duplicate
    // (Alice and Judy still collide); the contact holding the GUID never takes part.
    let o = run(&[
        "scan",
        a,
        b,
        "--format",
        "json",
        "--exclude-ou",
        "ou=disabled, dc=FABRIKAM,dc=com",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let holders: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "exchange-guid-duplicate")
        .map(|f| f["dn"].as_str().unwrap())
        .collect();
    assert_eq!(
        holders,
        [
            "CN=Alice,OU=Staff,DC=contoso,DC=com",
            "CN=Judy,OU=Staff,DC=fabrikam,DC=com"
        ]
    );
    assert_eq!(v["summary"]["skipped"]["excluded-ou"], 1);
    // Counts, sizes and binary values say what is wrong but are not values a person can
    // replace: they are not rows of the decisions CSV; text and absent values are.
    let dir = tempdir();
    let csv = dir.path().join("d.csv");
    let o = run(&["scan", a, b, "-q", "--decisions-csv", csv.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let csv = std::fs::read_to_string(&csv).unwrap();
    for absent in [
        "thumbnailPhoto",
        "userCertificate",
        "objectSid",
        "msExchMailboxGuid",
    ] {
        assert!(!csv.contains(&format!(",{absent},")), "{absent}: {csv}");
    }
    assert!(
        csv.contains("SMTP:carol.x@contoso.com,,proxy-primary-mismatch"),
        "{csv}"
    );
    assert!(
        csv.contains("CN=Bob,OU=Staff,DC=corp,DC=local\",userPrincipalName,,,upn-missing"),
        "{csv}"
    );
    // JSON says what such a value is.
    let o = run(&["scan", a, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kind = |rule: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["value_kind"].clone())
            .unwrap()
    };
    assert_eq!(kind("photo-too-large"), "bytes");
    assert_eq!(kind("certificate-too-many"), "count");
    assert_eq!(kind("security-identifier-duplicate"), "base64");
    assert_eq!(kind("source-anchor-invalid"), "base64");
    assert_eq!(kind("proxy-primary-mismatch"), serde_json::Value::Null);
}

/// An ldifde export of one big group: an add record with the first 1,500 members and
/// modify records with the rest, as ldifde writes it (CRLF).
fn big_group_ldifde(members: usize) -> String {
    group_ldifde("CN=All Staff,OU=Groups,DC=big,DC=com", members)
}

/// The ldifde export of one group `dn` with `members` members (see `big_group_ldifde`).
fn group_ldifde(dn: &str, members: usize) -> String {
    let mut s = format!("dn: {dn}\r\nchangetype: add\r\nobjectClass: group\r\n");
    for i in 0..members.min(1500) {
        s.push_str(&format!("member: CN=U{i},OU=Staff,DC=big,DC=com\r\n"));
    }
    s.push_str("\r\n");
    let mut i = 1500;
    while i < members {
        s.push_str(&format!(
            "dn: {dn}\r\nchangetype: modify\r\nadd: member\r\n"
        ));
        for j in i..(i + 5000).min(members) {
            s.push_str(&format!("member: CN=U{j},OU=Staff,DC=big,DC=com\r\n"));
        }
        s.push_str("-\r\n\r\n");
        i += 5000;
    }
    s
}

/// `--target`: a group of 50,001 members split over an add record and modify records
/// counts as one group (whatever the block size); it is a warning for Entra Connect and
/// an error for Cloud Sync, whose domain limit (150,000 objects) is checked only there.
#[test]
fn target_profiles_and_members_split_over_modify_records() {
    let dir = tempdir();
    let group = write(dir.path(), "group.ldf", &big_group_ldifde(50_001));
    let mut domain = String::new();
    for i in 0..150_000 {
        domain.push_str(&format!(
            "dn: CN=U{i},OU=Staff,DC=big,DC=com\nobjectClass: user\nuserPrincipalName: u{i}@big.com\n\n"
        ));
    }
    let domain = write(dir.path(), "domain.ldif", &domain);
    let (g, d) = (group.to_str().unwrap(), domain.to_str().unwrap());
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", g, d, "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(code(&o) <= 1, "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let brief = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {} {}",
                    f["rule"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                    f["dn"].as_str().unwrap(),
                    f["attribute"].as_str().unwrap(),
                    f["value"].as_str().unwrap()
                )
            })
            .collect()
    };
    let connect = scan(&[]);
    assert_eq!(
        brief(&connect),
        ["group-members-over-cloud-sync-limit warning CN=All Staff,OU=Groups,DC=big,DC=com member 50001"]
    );
    assert_eq!(connect["summary"]["target"], "connect-sync");
    assert_eq!(connect["summary"]["change_records"], serde_json::json!({}));
    let cloud = scan(&["--target", "cloud-sync", "--block-size", "4096"]);
    assert_eq!(
        brief(&cloud),
        [
            // Ordered with the domain's first object (the group).
            "cloud-sync-domain-too-large error DC=big,DC=com objectCount 150001",
            "group-members-over-cloud-sync-limit error CN=All Staff,OU=Groups,DC=big,DC=com member 50001",
        ]
    );
    assert_eq!(cloud["summary"]["target"], "cloud-sync");
    assert_eq!(
        cloud["summary"]["target_limits"],
        serde_json::json!([
            "group-members-over-cloud-sync-limit",
            "cloud-sync-domain-too-large"
        ])
    );
    // Out of the sync scope, the group's domain drops to 150,000 objects: no domain finding.
    let scoped = scan(&[
        "--target",
        "cloud-sync",
        "--exclude-ou",
        "OU=Groups,DC=big,DC=com",
    ]);
    assert!(brief(&scoped).is_empty(), "{:?}", brief(&scoped));
    // The header of the human reports names the target.
    let o = run(&["scan", g, "--target", "cloud-sync", "--format", "markdown"]);
    assert!(stdout(&o).contains("**Target:** Entra Cloud Sync (limits checked: `group-members-over-cloud-sync-limit`, `cloud-sync-domain-too-large`)"), "{}", stdout(&o));
    let o = run(&["scan", g, "--target", "cloud-sync"]);
    assert!(stdout(&o).contains("target: cloud-sync (limits checked: group-members-over-cloud-sync-limit, cloud-sync-domain-too-large)"), "{}", stdout(&o));
}

/// `member;range=A-B` parts count as `member`: an export holding both parts of a
/// 1,600-member group counts 1,600 and says nothing; one holding only the first part
/// counts 1,500 (a lower bound) and says so, naming the entry and its line.
#[test]
fn ranged_member_parts_count_as_member() {
    let dir = tempdir();
    let rules = write(
        dir.path(),
        "big.yaml",
        "- id: test-group-over-1499\n  title: t\n  severity: warning\n  category: size\n  objects: [group]\n  attribute: member\n  check: { kind: value_count, max: 1499 }\n  message: \"member {detail}\"\n  examples:\n    valid: [\"dn: CN=G,DC=x\\nobjectClass: group\\nmember: a\\n\"]\n    invalid: [\"dn: CN=G,DC=x\\nobjectClass: group\\n#repeat 1500\\nmember: m{n}\\n\"]\n",
    );
    let group = |parts: &[(usize, usize, &str)]| {
        let mut s = String::from("dn: CN=Big,OU=Groups,DC=contoso,DC=com\nobjectClass: group\n");
        for (lo, hi, tag) in parts {
            for i in *lo..*hi {
                s.push_str(&format!("member;range={tag}: CN=M{i},DC=contoso,DC=com\n"));
            }
        }
        s
    };
    let full = write(
        dir.path(),
        "full.ldif",
        &group(&[(0, 1500, "0-1499"), (1500, 1600, "1500-*")]),
    );
    let part = write(dir.path(), "part.ldif", &group(&[(0, 1500, "0-1499")]));
    for (file, count, diags) in [(&full, "1600", 0), (&part, "1500", 1)] {
        let o = run(&[
            "scan",
            file.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = &v["findings"][0];
        assert_eq!(
            (f["rule"].as_str(), f["value"].as_str()),
            (Some("test-group-over-1499"), Some(count))
        );
        let d = v["diagnostics"].as_array().unwrap();
        assert_eq!(d.len(), diags, "{d:?}");
        if diags == 1 {
            assert_eq!(d[0]["line"], 1);
            assert_eq!(d[0]["level"], "warning");
            assert!(d[0]["message"]
                .as_str()
                .unwrap()
                .contains("CN=Big,OU=Groups,DC=contoso,DC=com"));
        }
    }
}

/// Predictions against a tenant snapshot (tenant-match.md): one object per prediction
/// and trap, snapshots in the three accepted forms (PowerShell array without
/// @odata.type, Graph REST pages as JSON Lines, a contact array), whole output compared.
#[test]
fn tenant_predictions() {
    let t = |f: &str| format!("tests/fixtures/tenant/{f}");
    let o = run(&[
        "scan",
        &t("export.ldif"),
        "--tenant",
        &format!("user={}", t("users.json")),
        "--tenant",
        &t("groups.jsonl"),
        "--tenant",
        &format!("contact={}", t("contacts.json")),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut out = String::new();
    for f in v["findings"].as_array().unwrap() {
        let related: Vec<String> = f["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}:{} {}={}",
                    r["kind"].as_str().unwrap(),
                    r["id"].as_str().unwrap(),
                    r["attribute"].as_str().unwrap(),
                    r["value"].as_str().unwrap()
                )
            })
            .collect();
        out.push_str(&format!(
            "{} {} {} {} {} {} [{}]\n  {}\n",
            f["rule"].as_str().unwrap(),
            f["severity"].as_str().unwrap(),
            f["category"].as_str().unwrap(),
            f["dn"].as_str().unwrap(),
            f["attribute"].as_str().unwrap(),
            f["value"].as_str().unwrap(),
            related.join(", "),
            f["message"].as_str().unwrap()
        ));
    }
    out.push_str(&format!(
        "{}\n",
        serde_json::to_string_pretty(&v["summary"]["tenant"]).unwrap()
    ));
    assert_snapshot("tenant.txt", &out);
    // The human reports get a "What the first sync will do" section.
    let mut args = vec![
        "scan".to_string(),
        t("export.ldif"),
        "--tenant".into(),
        format!("user={}", t("users.json")),
        "--tenant".into(),
        t("groups.jsonl"),
        "--tenant".into(),
        format!("contact={}", t("contacts.json")),
        "--format".into(),
        "markdown".into(),
    ];
    let md = stdout(&run(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    for want in [
        "## What the first sync will do",
        "| Conflicts (InvalidSoftMatch: the object will not sync) | 4 |",
        "| Cloud-only users nothing will match | 6 |",
        "### Matches to check before switching sync on (8)",
        "| [ ] | CN=Hard Match,OU=Staff,DC=contoso,DC=com | objectGUID AQEBAQEBAQEBAQEBAQEBAQ== | user 11111111-0000-0000-0000-000000000001 (onPremisesImmutableId AQEBAQEBAQEBAQEBAQEBAQ==) | tenant-hard-match |",
    ] {
        assert!(md.contains(want), "{want}\n{md}");
    }
    args.pop();
    args.push("html".into());
    let html = stdout(&run(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    assert!(html.contains("<section id=\"first-sync\">"));
    assert!(html.contains("Conflicts and collisions (8)"));
    // Info never fails the gate: with only matches the run passes.
    let dir = tempdir();
    let hard = write(
        dir.path(),
        "hard.ldif",
        "dn: CN=Hard Match,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: hard@contoso.com\nobjectGUID:: AQEBAQEBAQEBAQEBAQEBAQ==\n",
    );
    let o = run(&[
        "scan",
        hard.to_str().unwrap(),
        "--tenant",
        &format!("user={}", t("users.json")),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["tenant"]["hard_matches"], 1);
}

/// Snapshots that cannot be read: malformed JSON names file:line:column, a file whose
/// objects have no kind says how to give one; both stop the run before any scan (exit 2).
#[test]
fn tenant_snapshot_errors() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "bad.json",
        "[\n  {\"Id\": \"1\",\n   \"UserPrincipalName\": }\n]\n",
    );
    let o = run(&[
        "scan",
        "tests/fixtures/tenant/export.ldif",
        "--tenant",
        &format!("user={}", bad.display()),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("bad.json:3:25: expected value"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "scan",
        "tests/fixtures/tenant/export.ldif",
        "--tenant",
        "tests/fixtures/tenant/users.json",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--tenant user=tests/fixtures/tenant/users.json"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "scan",
        "tests/fixtures/tenant/export.ldif",
        "--tenant",
        "robots=x.json",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("user, group or contact"),
        "{}",
        stderr(&o)
    );
}

/// `add:` modify records that come later in the same input, not right after their entry,
/// still add their values to it for every rule: counts, per-value checks, uniqueness.
/// One for a DN that no earlier entry has stays an ordinary change record.
#[test]
fn later_modify_records_add_values_to_their_entry() {
    let dir = tempdir();
    let mut s = String::from("dn: CN=Cert,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: cert@contoso.com\n");
    for i in 0..15 {
        s.push_str(&format!("userCertificate: cert {i}\n"));
    }
    s.push_str("\ndn: CN=Other,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: other@contoso.com\nproxyAddresses: SMTP:other@contoso.com\n\n");
    s.push_str("dn: cn=cert, ou=staff,DC=Contoso,DC=com\nchangetype: modify\nadd: userCertificate\nuserCertificate: cert 15\n-\nadd: proxyAddresses\nproxyAddresses: smtp:other@contoso.com\nproxyAddresses: smtp:bad address@contoso.com\n-\n\n");
    s.push_str("dn: CN=Nobody,OU=Staff,DC=contoso,DC=com\nchangetype: modify\nadd: userCertificate\nuserCertificate: x\n-\n");
    let f = write(dir.path(), "late.ldif", &s);
    for block in ["4096", "64"] {
        let o = run(&[
            "scan",
            f.to_str().unwrap(),
            "--format",
            "json",
            "--block-size",
            block,
        ]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let got: std::collections::BTreeSet<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["rule"].as_str().unwrap(),
                    f["dn"].as_str().unwrap(),
                    f["value"].as_str().unwrap(),
                    f["value_line"]
                )
            })
            .collect();
        let want: std::collections::BTreeSet<String> = [
            "certificate-too-many CN=Cert,OU=Staff,DC=contoso,DC=com 16 4",
            "proxy-smtp-invalid-character CN=Cert,OU=Staff,DC=contoso,DC=com smtp:bad address@contoso.com 32",
            // One SMTP address space: the late alias collides with Other's UPN and primary.
            "proxy-smtp-duplicate CN=Cert,OU=Staff,DC=contoso,DC=com smtp:other@contoso.com 31",
            "proxy-smtp-duplicate CN=Other,OU=Staff,DC=contoso,DC=com SMTP:other@contoso.com 23",
            "upn-duplicate CN=Other,OU=Staff,DC=contoso,DC=com other@contoso.com 22",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(got, want, "block {block}");
        assert_eq!(
            v["summary"]["change_records"],
            serde_json::json!({"modify": 1})
        );
    }
}

/// Info predictions never fail the run, whatever --fail-on says; --disable turns a
/// prediction off; `rules list` shows the predictions.
#[test]
fn tenant_predictions_gate_disable_and_list() {
    let t = |f: &str| format!("tests/fixtures/tenant/{f}");
    let dir = tempdir();
    let hard = write(
        dir.path(),
        "hard.ldif",
        "dn: CN=Hard Match,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: hard@contoso.com\nobjectGUID:: AQEBAQEBAQEBAQEBAQEBAQ==\n",
    );
    let users = format!("user={}", t("users.json"));
    let o = run(&[
        "scan",
        hard.to_str().unwrap(),
        "--tenant",
        &users,
        "--fail-on",
        "info",
        "-q",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&[
        "scan",
        &t("export.ldif"),
        "--tenant",
        &users,
        "--disable",
        "tenant-soft-match",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"tenant-soft-match") && rules.contains(&"tenant-hard-match"),
        "{rules:?}"
    );
    let o = run(&["rules", "list", "--category", "match"]);
    assert_eq!(stdout(&o).lines().count(), 5, "{}", stdout(&o));
    assert!(stdout(&run(&["rules", "show", "tenant-match-conflict"])).contains("InvalidSoftMatch"));
}

/// A group over 250,000 members is an error for both targets, and only that rule fires
/// (the Cloud Sync limit covers 50,001 to 250,000).
#[test]
fn groups_over_250000_members() {
    let dir = tempdir();
    let group = write(
        dir.path(),
        "huge.ldf",
        &group_ldifde("CN=Everyone Ever,OU=Groups,DC=big,DC=com", 250_001),
    );
    for target in ["connect-sync", "cloud-sync"] {
        let o = run(&[
            "scan",
            group.to_str().unwrap(),
            "--target",
            target,
            "--format",
            "json",
        ]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}",
                    f["rule"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                    f["value"].as_str().unwrap(),
                    f["value_kind"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(f, ["group-too-many-members error 250001 count"], "{target}");
    }
}

/// An input read by path costs one open file, from its opening to the end of the run
/// (values are read back from it then): 50 inputs, all holding one UPN, scan under a
/// limit of 64 open files, and each UPN is read back for the duplicate findings.
#[cfg(unix)]
#[test]
fn many_inputs_fit_a_small_open_file_limit() {
    let dir = tempdir();
    let files: Vec<String> = (0..50)
        .map(|i| {
            let text = format!(
                "dn: CN=u{i},OU=People,DC=contoso,DC=com\nobjectClass: user\n\
                 userPrincipalName: same@contoso.com\n"
            );
            write(dir.path(), &format!("f{i}.ldif"), &text)
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_dirready"))
        .args(["scan", "--format", "json", "-q"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["inputs"].as_array().unwrap().len(), 50);
    assert_eq!(v["summary"]["findings_by_rule"]["upn-duplicate"], 50);
    let values: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap())
        .collect();
    assert!(
        values.iter().all(|&x| x == "same@contoso.com"),
        "{values:?}"
    );
}
