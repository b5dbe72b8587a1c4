//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, driven by
//! playwright-core from tests/browser/node_modules) opens reports of a hostile export and of
//! a realistic 5,000-object export and checks them against the JSON report of the same scan
//! (tests/browser/report.test.mjs: summary numbers, filters, search, OU tree, deep links,
//! copy buttons, no request leaving the page, no console error, nothing injected). The
//! screenshots it takes land in target/browser/ for a person to look at.
//!
//! Skips, saying why, when Chromium, node or the npm dependencies are missing (`.ci/run`
//! installs them); with `CI` set a missing piece fails the test instead.
// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser checks, if anything.
fn missing() -> Vec<String> {
    let mut m = Vec::new();
    if !chromium().is_file() {
        m.push(format!(
            "{} (apt-get install -y chromium)",
            chromium().display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        m.push("node".into());
    }
    if !root()
        .join("tests/browser/node_modules/playwright-core/package.json")
        .is_file()
    {
        m.push("tests/browser/node_modules (cd tests/browser && npm ci)".into());
    }
    m
}

/// `dirready scan INPUT ARGS -o DIR/NAME.html -o DIR/NAME.json`; findings exit 1, fine.
fn scan(input: &Path, args: &[&str], dir: &Path, name: &str) {
    let html = dir.join(format!("{name}.html"));
    let json = dir.join(format!("{name}.json"));
    let o = dirready()
        .arg("scan")
        .arg(input)
        .args(args)
        .arg("-o")
        .arg(&html)
        .arg("-o")
        .arg(&json)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(code(&o) <= 1, "scan of {}: {}", input.display(), stderr(&o));
    assert!(
        html.is_file() && json.is_file(),
        "{name}: reports not written"
    );
}

/// A realistic 5,000-object ldifde export from the example generator: the first of the
/// binary named by `DIRREADY_GEN_EXPORT`, the one `cargo test` built next to this test
/// (target/debug/examples/) and a release build that runs, else `cargo run --release`.
/// (gen_export overflows in `Rng::below` under debug assertions; a failing binary is
/// reported and the next one tried.)
fn export_5k(dir: &Path) -> PathBuf {
    let out = dir.join("export-5k.ldf");
    let args = ["--objects", "5000", "--style", "ldifde", "--aliases", "2"];
    let bin = format!("gen_export{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().unwrap();
    let next_to_test = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("examples").join(&bin));
    let candidates = [
        std::env::var_os("DIRREADY_GEN_EXPORT").map(PathBuf::from),
        next_to_test,
        Some(root().join("target/release/examples").join(&bin)),
    ];
    for gen in candidates.into_iter().flatten().filter(|p| p.is_file()) {
        let o = Command::new(&gen)
            .args(args)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        if o.status.success() {
            return out;
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "{} failed, trying the next generator: {}",
            gen.display(),
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    let o = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args([
            "run",
            "--quiet",
            "--release",
            "--example",
            "gen_export",
            "--",
        ])
        .args(args)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "gen_export: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn html_report_in_headless_chromium() {
    let missing = missing();
    if !missing.is_empty() {
        let why = format!(
            "html_report_in_headless_chromium: {} missing (run .ci/run, or apt-get install -y chromium and npm ci in tests/browser)",
            missing.join(", ")
        );
        assert!(std::env::var_os("CI").is_none(), "{why}");
        // Straight to stderr: the test harness captures print macros of passing tests.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{why}: skipped");
        return;
    }
    let dir = tempdir();
    scan(
        &root().join("tests/fixtures/browser/hostile.ldif"),
        &["--accepted-domain", "contoso.com"],
        dir.path(),
        "hostile",
    );
    scan(
        &export_5k(dir.path()),
        &[
            "--accepted-domain",
            "contoso.com",
            "--accepted-domain",
            "fabrikam.com",
        ],
        dir.path(),
        "5k",
    );
    let o = Command::new("node")
        .current_dir(root())
        .arg("tests/browser/report.test.mjs")
        .arg(dir.path())
        .arg("--screenshots")
        .arg(root().join("target/browser"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    println!("{out}");
    assert!(
        o.status.success(),
        "tests/browser/report.test.mjs failed ({}):\n{err}\n--- last checks passed ---\n{}",
        o.status,
        out.lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
