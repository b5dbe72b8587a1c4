//! `dirready trend`: three scheduled scans of an export that changes between runs, drawn
//! over time from their JSON reports (Markdown compared whole with a snapshot, HTML,
//! JSON), new and fixed findings, older reports without `generated_at`, and errors.
// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::process::Output;

/// 2026-01-01, -02 and -03, midnight UTC.
const DAYS: [&str; 3] = ["1767225600", "1767312000", "1767398400"];

/// `dirready ARGS` run in `dir` (relative paths keep temporary folders out of outputs).
fn run_in(dir: &Path, epoch: &str, args: &[&str]) -> Output {
    dirready()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", epoch)
        .args(args)
        .output()
        .unwrap()
}

/// Scans `dir/export.ldif` on day `day`, writing `report-<day+1>.json`.
fn scan(dir: &Path, day: usize, export: &str) {
    write(dir, "export.ldif", export);
    let name = format!("report-{}.json", day + 1);
    let o = run_in(dir, DAYS[day], &["scan", "export.ldif", "-q", "-o", &name]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
}

/// Three runs of the sample export, as a scheduled check sees them: day 2 fixes Carol's
/// UPN and breaks Lee's, day 3 moves djump out of the non-routable domain.
fn three_runs() -> tempfile::TempDir {
    let dir = tempdir();
    let day1 = std::fs::read_to_string(root().join("examples/contoso.ldif")).unwrap();
    let day2 = day1
        .replace(
            "userPrincipalName: carol smith@contoso.com",
            "userPrincipalName: carol.smith@contoso.com",
        )
        .replace(
            "userPrincipalName: lee.gu@contoso.com",
            "userPrincipalName: lee gu@contoso.com",
        );
    assert_ne!(day1, day2);
    let day3 = day2.replace("djump@contoso.local", "djump@contoso.com");
    assert_ne!(day2, day3);
    for (day, text) in [day1, day2, day3].iter().enumerate() {
        scan(dir.path(), day, text);
    }
    dir
}

fn fingerprints(dir: &Path, name: &str) -> HashSet<String> {
    let r: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn scans_stamp_their_reports_with_the_run_time() {
    let dir = three_runs();
    for (i, day) in ["2026-01-01", "2026-01-02", "2026-01-03"]
        .iter()
        .enumerate()
    {
        let text =
            std::fs::read_to_string(dir.path().join(format!("report-{}.json", i + 1))).unwrap();
        let r: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(r["generated_at"], format!("{day}T00:00:00Z"));
    }
    // Without SOURCE_DATE_EPOCH, the time of the run, in whole seconds.
    let o = dirready()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["scan", "examples/contoso.ldif", "--format", "json", "-q"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let at = r["generated_at"].as_str().unwrap();
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.starts_with("20"),
        "{at}"
    );
    // A malformed value is a usage error, not a silently wrong time.
    let o = dirready()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["scan", "examples/contoso.ldif", "-q"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("SOURCE_DATE_EPOCH"), "{}", stderr(&o));
}

#[test]
fn trend_of_three_runs_markdown_html_and_json() {
    let dir = three_runs();
    let d = dir.path();
    // Given out of order: runs are ordered by their time.
    let o = run_in(
        d,
        DAYS[0],
        &[
            "trend",
            "report-3.json",
            "report-1.json",
            "report-2.json",
            "-o",
            "trend.md",
            "-o",
            "trend.html",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing on stdout when files are written");
    assert_eq!(stderr(&o), "", "comparable runs: no warning");
    let md = std::fs::read_to_string(d.join("trend.md")).unwrap();
    assert_snapshot("trend.md", &md);

    // New and fixed findings, counted here from the reports' fingerprints.
    let f: Vec<HashSet<String>> = (1..=3)
        .map(|i| fingerprints(d, &format!("report-{i}.json")))
        .collect();
    let o = run_in(
        d,
        DAYS[0],
        &[
            "trend",
            "report-2.json",
            "report-3.json",
            "report-1.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let t: Value = serde_json::from_slice(&o.stdout).unwrap();
    let runs = t["runs"].as_array().unwrap();
    let files: Vec<&str> = runs.iter().map(|r| r["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["report-1.json", "report-2.json", "report-3.json"]);
    assert_eq!(runs[0]["new"], Value::Null);
    for i in 1..3 {
        let new = f[i].difference(&f[i - 1]).count();
        let fixed = f[i - 1].difference(&f[i]).count();
        assert_eq!(runs[i]["new"], new, "run {}", i + 1);
        assert_eq!(runs[i]["fixed"], fixed, "run {}", i + 1);
        assert_eq!(runs[i]["comparable"], true);
        assert_eq!(runs[i]["time_source"], "report");
    }
    // Day 2: Carol's UPN fixed, Lee's broken; day 3: djump's UPN and alias routable.
    assert_eq!(
        (&runs[1]["new"], &runs[1]["fixed"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(
        (&runs[2]["new"], &runs[2]["fixed"]),
        (&Value::from(0), &Value::from(2))
    );
    assert_eq!(runs[2]["generated_at"], "2026-01-03T00:00:00Z");
    assert_eq!(runs[0]["findings_by_rule"]["upn-non-routable-domain"], 1);
    assert_eq!(
        runs[2]["findings_by_rule"].get("upn-non-routable-domain"),
        None
    );
    let rule = t["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "upn-non-routable-domain")
        .unwrap();
    assert_eq!(rule["counts"], serde_json::json!([1, 1, 0]));

    // The HTML page: self-contained, no script at all, charts that parse as XML.
    let html = std::fs::read_to_string(d.join("trend.html")).unwrap();
    assert!(!html.to_ascii_lowercase().contains("<script"), "no script");
    assert!(html.contains("script-src 'none'"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
    let mut charts = 0;
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").unwrap() + start + "</svg>".len();
        let svg = roxmltree::Document::parse(&rest[start..end])
            .unwrap_or_else(|e| panic!("{e}: {}", &rest[start..end]));
        assert!(svg.descendants().any(|n| n.has_tag_name("title")));
        charts += 1;
        rest = &rest[end..];
    }
    // Severity bars, objects with errors, and one small chart per top rule.
    assert!(charts >= 3, "{charts} charts");
    assert_eq!(html.matches("<circle class=\"dot\"").count(), 3);
    assert!(html.contains(
        "<title>Run 3 · 2026-01-03 00:00 UTC: 21 findings (20 errors, 1 warning, 0 info)</title>"
    ));
}

#[test]
fn an_older_report_without_generated_at_uses_the_file_time() {
    let dir = three_runs();
    let d = dir.path();
    let mut old: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report-1.json")).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("generated_at");
    std::fs::write(d.join("old.json"), serde_json::to_string(&old).unwrap()).unwrap();
    // Modified on 2026-01-05: after report-2, although named first.
    let file = std::fs::File::options()
        .write(true)
        .open(d.join("old.json"))
        .unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_571_200))
        .unwrap();
    drop(file);
    let o = run_in(
        d,
        DAYS[0],
        &["trend", "old.json", "report-2.json", "--format", "markdown"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("dirready: warning: run 2 (old.json): no readable generated_at"),
        "{err}"
    );
    let md = stdout(&o);
    assert!(
        md.contains("| 2 | 2026-01-05 00:00 (file time) | old.json |"),
        "{md}"
    );
    assert!(
        md.contains("- **Run 2** (old.json): no readable generated\\_at"),
        "{md}"
    );
    // Back to day 1's findings: Lee's new UPN finding is fixed, Carol's is new again.
    assert!(md.contains("| New findings | 1 |") && md.contains("| Fixed findings | 1 |"));
}

#[test]
fn runs_that_cannot_be_compared_are_warned_about() {
    let dir = three_runs();
    let d = dir.path();
    let export = std::fs::read_to_string(d.join("export.ldif")).unwrap();
    write(d, "other.ldif", &export);
    let o = run_in(
        d,
        DAYS[2],
        &[
            "scan",
            "other.ldif",
            "-q",
            "--select",
            "upn",
            "-o",
            "filtered.json",
        ],
    );
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let o = run_in(
        d,
        DAYS[0],
        &[
            "trend",
            "report-3.json",
            "filtered.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    // Same time: the command-line order.
    assert!(
        err.contains("run 2 (filtered.json): written with --select/--ignore"),
        "{err}"
    );
    assert!(
        err.contains("run 2 (filtered.json): differs from run 1 (report-3.json) in inputs"),
        "{err}"
    );
    let t: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(t["runs"][1]["comparable"], false);
    assert_eq!(t["runs"][1]["filtered"], true);
    let kinds: Vec<&str> = t["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["filtered", "not-comparable"]);
    // The warnings are in the HTML and Markdown too, with the ⚠ marks.
    let o = run_in(
        d,
        DAYS[0],
        &[
            "trend",
            "report-3.json",
            "filtered.json",
            "-q",
            "-o",
            "t.html",
            "-o",
            "t.md",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "--quiet");
    // (HTML autoescaping writes `/` as `&#x2f;`.)
    for (name, said) in [
        ("t.html", "written with --select&#x2f;--ignore"),
        ("t.md", "written with --select/--ignore"),
    ] {
        let text = std::fs::read_to_string(d.join(name)).unwrap();
        assert!(text.contains(said), "{name}");
        assert!(text.contains("⚠"), "{name}");
    }
}

#[test]
fn hostile_names_stay_text() {
    let dir = three_runs();
    let d = dir.path();
    let mut r: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report-1.json")).unwrap()).unwrap();
    r["summary"]["findings_by_rule"]["<script>alert(1)</script>"] = 99.into();
    r["summary"]["inputs"][0]["path"] = "<img src=x onerror=alert(2)>|[x](javascript:y)".into();
    let name = "<b onclick=alert(3)>.json";
    std::fs::write(d.join(name), serde_json::to_string(&r).unwrap()).unwrap();
    let o = run_in(
        d,
        DAYS[0],
        &["trend", name, "-o", "t.html", "--format", "markdown"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let html = std::fs::read_to_string(d.join("t.html")).unwrap();
    for bad in ["<script", "<img", "<b "] {
        assert!(!html.contains(bad), "{bad} in HTML");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    let md = stdout(&o);
    for bad in ["<script", "<img", "<b ", "[x](javascript"] {
        assert!(!md.contains(bad), "{bad} in Markdown:\n{md}");
    }
}

#[test]
fn a_file_that_is_not_a_report_is_named() {
    let o = run(&["trend", "examples/contoso.ldif"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o)
            .starts_with("dirready: error: examples/contoso.ldif:1:1: not a dirready JSON report"),
        "{}",
        stderr(&o)
    );
    // JSON, but a baseline: still named, with what is missing.
    let dir = tempdir();
    let b = write(
        dir.path(),
        "baseline.json",
        r#"{"dirready_baseline":1,"tool":{"name":"dirready","version":"0"},"entries":[]}"#,
    );
    let o = run(&["trend", b.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("baseline.json") && err.contains("missing field `findings`"),
        "{err}"
    );
    // A missing file.
    let o = run(&["trend", "no-such-report.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no-such-report.json: cannot read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors() {
    let o = run(&["trend"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("REPORT"), "{}", stderr(&o));
    let o = run(&["trend", "tests/snapshots/contoso.json", "-o", "trend.pdf"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("trend.pdf: cannot tell the trend format"),
        "{}",
        stderr(&o)
    );
}
