//! Directory values are hostile input. One export carries HTML/JS, spreadsheet formulas,
//! CR/LF with LDIF lines, ANSI escape sequences, Markdown table breakers and bytes that
//! are not UTF-8, in DNs and values; every output format must keep them inert, JSON must
//! keep every UTF-8 value exactly, and a non-UTF-8 value must survive as its bytes.

// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use base64::Engine as _;
use common::*;
use serde_json::Value;

const XSS: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"><svg/onload=alert(3)>";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example/\",\"x\")";
const CRLF: &str = "a\r\ndn: CN=Injected,DC=contoso,DC=com\nobjectClass: user";
const ANSI: &str = "\x1b[31mred\x1b[0m\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07";
const MD: &str = "| x | y |\n[click](http://evil.example/) **b** `c` <br>";
const RAW: &[u8] = b"j\xf6rg\xff@contoso.com";

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The export: every payload in a DN (CN) and in a value that gets a finding.
fn export() -> (Vec<u8>, Vec<(String, String)>) {
    let mut ldif = Vec::new();
    let mut expected = Vec::new();
    for (i, payload) in [XSS, FORMULA, CRLF, ANSI, MD].iter().enumerate() {
        let dn = format!(
            "CN={} {i},OU=Staff,DC=contoso,DC=com",
            payload.replace(',', "\\,")
        );
        // A space makes the UPN a finding; the payload rides along in it.
        let upn = format!("x {payload}{i}@contoso.com");
        ldif.extend_from_slice(
            format!(
                "dn:: {}\nobjectClass: user\nuserPrincipalName:: {}\ndisplayName:: {}\nmailNickname: n{i}\n\n",
                b64(dn.as_bytes()),
                b64(upn.as_bytes()),
                b64(format!("{payload}{}", "d".repeat(300)).as_bytes()),
            )
            .as_bytes(),
        );
        expected.push((dn, upn));
    }
    // A formula at the very start of a value (the CSV cell must not start with `=`).
    ldif.extend_from_slice(
        format!(
            "dn: CN=Formula,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName:: {}\n\n",
            b64(format!("{FORMULA}@contoso.com").as_bytes())
        )
        .as_bytes(),
    );
    // Not UTF-8, raw in the LDIF (a Latin-1 export).
    ldif.extend_from_slice(b"dn: CN=Raw,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: ");
    ldif.extend_from_slice(RAW);
    ldif.extend_from_slice(b"\n");
    (ldif, expected)
}

#[test]
fn hostile_values_stay_inert_in_every_format_and_exact_in_json() {
    let dir = tempdir();
    let (ldif, expected) = export();
    let input = dir.path().join("hostile.ldif");
    std::fs::write(&input, &ldif).unwrap();
    let out = |ext: &str| dir.path().join(format!("r.{ext}"));
    let summary = dir.path().join("step-summary.md");
    let exts = ["json", "jsonl", "html", "md", "sarif", "xml", "csv", "txt"];
    let mut args: Vec<String> = vec!["scan".into(), input.to_str().unwrap().into()];
    for e in exts {
        args.push("-o".into());
        args.push(out(e).to_str().unwrap().into());
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = dirready()
        .args(&argv)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let read = |e: &str| std::fs::read_to_string(out(e)).unwrap();

    // Terminal (stdout and the .txt file) and stderr: no escape sequence reaches the
    // terminal, no value starts a line of its own.
    for text in [stdout(&o), read("txt"), stderr(&o)] {
        assert!(!text.contains('\x1b'), "ESC reached the terminal");
        assert!(!text.contains('\r'));
        assert!(!text.contains('\x07'));
        assert!(!text.lines().any(|l| l.starts_with("dn: CN=Injected")));
    }

    // JSON: every UTF-8 value exactly as in the source; the non-UTF-8 one as its bytes.
    let json: Value = serde_json::from_str(&read("json")).unwrap();
    let findings = json["findings"].as_array().unwrap();
    for (dn, upn) in &expected {
        let f = findings
            .iter()
            .find(|f| f["attribute"] == "userPrincipalName" && f["dn"] == dn.as_str())
            .unwrap_or_else(|| panic!("no UPN finding on {dn:?}"));
        assert_eq!(f["value"], upn.as_str());
        assert!(f.get("value_base64").is_none());
    }
    let raw = findings
        .iter()
        .find(|f| f["dn"] == "CN=Raw,DC=contoso,DC=com")
        .unwrap();
    assert_eq!(raw["value_base64"], b64(RAW).as_str());
    assert_eq!(raw["value"], "j\u{FFFD}rg\u{FFFD}@contoso.com");
    // JSON Lines: one JSON value per line, whatever the values held.
    let jsonl = read("jsonl");
    for line in jsonl.lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    assert_eq!(
        jsonl
            .lines()
            .filter(|l| l.starts_with("{\"type\":\"finding\""))
            .count(),
        findings.len()
    );
    // SARIF: valid JSON carrying the same exact values.
    let sarif: Value = serde_json::from_str(&read("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["properties"]["dn"] == expected[0].0.as_str()));
    assert!(results
        .iter()
        .any(|r| r["properties"]["valueBase64"] == b64(RAW).as_str()));

    // HTML: no markup from a value survives; ESC and CR are made visible.
    let html = read("html");
    for bad in ["<script>alert", "<img src=x", "<svg/onload", "\x1b", "\r"] {
        assert!(!html.contains(bad), "{bad:?} in HTML");
    }
    // Finding values travel in the page's JSON block (drawn as text by its script), with
    // `<` and `>` as \u escapes so that no value can close the element.
    assert!(html.contains(r"\u003cscript\u003ealert(1)\u003c/script\u003e"));

    // Markdown: no link, HTML or table break from a value.
    let md = read("md");
    for bad in [
        "http://evil",
        "<script",
        "<img",
        "\x1b",
        "\r",
        "\n| x | y |",
    ] {
        assert!(!md.contains(bad), "{bad:?} in Markdown");
    }
    // Every `]` and `|` from a value is escaped: no link, no extra table cell.
    assert!(md.contains("\\[click\\]"), "brackets not escaped");
    assert!(md.contains("\\| x \\| y \\|"), "pipes not escaped");
    // GitHub step summary: the same, and no bare URL either.
    let step = std::fs::read_to_string(&summary).unwrap();
    for bad in ["](http", "<script", "http://evil", "\x1b", "\r"] {
        assert!(!step.contains(bad), "{bad:?} in the step summary");
    }

    // JUnit: well-formed XML (control characters are not allowed in XML 1.0).
    let xml = read("xml");
    roxmltree::Document::parse(&xml).unwrap();
    assert!(!xml.contains('\x1b') && !xml.contains("<script"));

    // CSV: one record per finding (a CR/LF cannot add rows), no cell starts a formula.
    let csv_text = read("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), findings.len());
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?}"
            );
        }
    }
    assert!(rows
        .iter()
        .any(|r| r.iter().any(|c| c.starts_with("'=HYPERLINK"))));
}
