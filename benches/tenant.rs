//! Tenant snapshot benchmark: load time and memory of a large `--tenant` snapshot
//! (tenant-match.md: 500,000 cloud users must load in bounded memory).
//!
//! ```text
//! cargo bench --bench tenant                     # 500,000 users
//! cargo bench --bench tenant -- --users 100000
//! ```
//! The snapshot (Graph PowerShell `ConvertTo-Json` style) is generated once by the
//! `gen_tenant` example under target/bench/.
// A benchmark driver, not library code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use dirready::tenant::{snapshot, CloudKind, TenantIndex};
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let mut users: u64 = 500_000;
    let mut runs = 3;
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--users" => users = it.next().and_then(|v| v.parse().ok()).expect("--users N"),
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    let n = users.to_string();
    let path = common::generated(
        "gen_tenant",
        &["--users", &n],
        &format!("tenant-{users}.json"),
    );
    let dir = path.parent().unwrap().to_path_buf();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let _ = std::fs::read(&path); // warm the page cache
    let file = path.to_str().unwrap();
    let mut best = Duration::MAX;
    let mut index = TenantIndex::default();
    for _ in 0..runs {
        let t = Instant::now();
        let mut i = TenantIndex::default();
        snapshot::load(file, Some(CloudKind::User), &mut i).unwrap();
        i.finish();
        best = best.min(t.elapsed());
        index = i;
    }
    println!(
        "snapshot: {} ({:.1} MB, {} users)",
        path.display(),
        bytes as f64 / 1e6,
        index.counts.users
    );
    println!(
        "load + index: {:.2} s ({:.0} MB/s, {:.0} users/s); index: {} keys, {:.1} MiB ({:.0} bytes/user)",
        best.as_secs_f64(),
        bytes as f64 / 1e6 / best.as_secs_f64(),
        index.counts.users as f64 / best.as_secs_f64(),
        index.key_count(),
        index.heap_bytes() as f64 / 1048576.0,
        index.heap_bytes() as f64 / index.counts.users.max(1) as f64
    );
    // Peak RSS of a whole run with the snapshot (and a one-object export).
    let ldif = dir.join("tenant-one.ldif");
    std::fs::write(
        &ldif,
        "dn: CN=A,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nuserPrincipalName: user17@contoso.com\n",
    )
    .unwrap();
    let out = Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M %e",
            env!("CARGO_BIN_EXE_dirready"),
            "scan",
            "-q",
            "--format",
            "json",
        ])
        .arg(&ldif)
        .arg("--tenant")
        .arg(format!("user={file}"))
        .stdout(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) => {
            let line = String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            let mut f = line.split_whitespace();
            let kib: f64 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
            println!(
                "`dirready scan one.ldif --tenant user=...`: peak RSS {:.1} MiB, wall {} s",
                kib / 1024.0,
                f.next().unwrap_or("?")
            );
        }
        Err(_) => println!("peak RSS: /usr/bin/time not available"),
    }
}
