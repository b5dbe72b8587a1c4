//! HTML report benchmark: file size, time to interactive and filter latency of the report
//! in headless Chromium, for exports with about 10,000 and 100,000 findings.
//!
//! ```text
//! cargo bench --bench report                         # ~10k and ~100k findings, 3 loads each
//! cargo bench --bench report -- --runs 5 --defect-rate 0.4 --objects 32000,320000
//! node benches/report_tti.mjs report.html             # any report of your own
//! ```
//! Needs Debian's `chromium` and `cd tests/browser && npm ci` (playwright-core), as the
//! browser test does. The exports are generated once by the `gen_export` example under
//! target/bench/ (about 0.32 findings per object at `--defect-rate 0.4`); each run scans
//! them to target/bench/report-N-dR.html with the release binary, then
//! benches/report_tti.mjs measures the pages and prints the table.
// A benchmark driver, not library code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    let mut objects: Vec<u64> = vec![32_000, 320_000];
    let mut rate = "0.4".to_string();
    let mut runs = "3".to_string();
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--objects" => {
                objects = it
                    .next()
                    .expect("--objects N[,N...]")
                    .split(',')
                    .map(|v| v.trim().parse().expect("--objects N[,N...]"))
                    .collect();
            }
            "--defect-rate" => rate = it.next().expect("--defect-rate R"),
            "--runs" => runs = it.next().expect("--runs N"),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .is_dir(),
        "playwright-core missing: cd tests/browser && npm ci (and apt-get install -y chromium)"
    );
    let mut reports = Vec::new();
    for n in &objects {
        let count = n.to_string();
        let export = common::generated(
            "gen_export",
            &["--objects", &count, "--defect-rate", &rate],
            &format!("export-{n}-ldifde-d{rate}.ldif"),
        );
        let html = export.with_file_name(format!("report-{n}-d{rate}.html"));
        let t = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_dirready"))
            .arg("scan")
            .arg(&export)
            .arg("-o")
            .arg(&html)
            .output()
            .unwrap();
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "scan {}: {}",
            export.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        println!(
            "{n} objects: scanned to HTML in {:.1} s ({})",
            t.elapsed().as_secs_f64(),
            html.display()
        );
        reports.push(html);
    }
    let status = Command::new("node")
        .arg(root.join("benches/report_tti.mjs"))
        .args(["--runs", &runs])
        .args(&reports)
        .status()
        .expect("node");
    assert!(status.success(), "benches/report_tti.mjs failed");
}
