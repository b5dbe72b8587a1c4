//! Helpers shared by the CLI tests: run the binary, compare whole outputs with
//! snapshots (set UPDATE_SNAPSHOTS=1 to rewrite them after a reviewed change).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn dirready() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dirready"));
    c.current_dir(root());
    c.env_remove("NO_COLOR");
    // Reports carry the time of the run (`generated_at`): a fixed one keeps whole-output
    // snapshots stable (2026-01-01T00:00:00Z).
    c.env("SOURCE_DATE_EPOCH", "1767225600");
    c
}

pub fn run(args: &[&str]) -> Output {
    dirready()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run dirready")
}

pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = dirready()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with the snapshot file; rewrites it when UPDATE_SNAPSHOTS is set.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {} (run with UPDATE_SNAPSHOTS=1 and review it)",
            path.display()
        )
    });
    if expected != actual {
        let diff_at = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b);
        panic!(
            "output differs from snapshot {} (first differing line: {:?}); rerun with UPDATE_SNAPSHOTS=1 to accept\n--- actual ---\n{}",
            path.display(),
            diff_at.map(|i| i + 1),
            actual.chars().take(4000).collect::<String>()
        );
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Each finding of a JSON report as (rule, normalized dn, attribute, value), and whether
/// it had a suggestion: what a fix round trip compares before and after applying fixes.
pub fn finding_keys(report: &serde_json::Value) -> Vec<((String, String, String, String), bool)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (
                (
                    s("rule"),
                    dirready::dn::normalize(&s("dn")),
                    s("attribute"),
                    s("value"),
                ),
                !f["suggestion"].is_null(),
            )
        })
        .collect()
}
