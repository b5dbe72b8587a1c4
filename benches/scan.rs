//! Scan benchmark: throughput and peak memory of `dirready scan` on a generated AD export
//! of the realistic mix, next to the stages it is made of, `grep` and python-ldap over
//! the same file, with the ratios the performance targets are stated in.
//!
//! ```text
//! cargo bench --bench scan                                  # 250k objects, realistic mix
//! cargo bench --bench scan -- --sizes 100000,250000,1000000 # the cost curve (BENCHMARKS.md)
//! cargo bench --bench scan -- --objects 100000 --mix plain --style ldapsearch
//! cargo bench --bench scan -- --file export.ldif            # an export of your own
//! ```
//! The realistic mix (`gen_export --defect-rate 0.10 --aliases 3`, ldifde style): about
//! 10 % of in-scope objects with a defect, 4 to 6 proxyAddresses per mailbox user, binary
//! GUIDs and SIDs, non-ASCII names. Exports are generated once under target/bench/.
//! Timings are the best of `--runs` (default 3), each run after the file was read through
//! to have it in the page cache.
// A data generator and benchmark driver, not library code: casts of generated
// numbers and unwraps on its own output are fine here.
#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod common;

use dirready::engine::{self, Input, ScanOptions};
use dirready::rules::RuleSet;
use dirready::source::input::{BlockReader, DEFAULT_BLOCK_SIZE};
use dirready::source::ldif::LdifParser;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Args {
    sizes: Vec<u64>,
    style: String,
    mix: String,
    file: Option<PathBuf>,
    runs: usize,
    stages: bool,
    python: bool,
}

fn args() -> Args {
    let mut a = Args {
        sizes: vec![250_000],
        style: "ldifde".into(),
        mix: "realistic".into(),
        file: None,
        runs: 3,
        stages: true,
        python: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--objects" => {
                a.sizes = vec![it.next().and_then(|v| v.parse().ok()).expect("--objects N")]
            }
            "--sizes" => {
                a.sizes = it
                    .next()
                    .expect("--sizes N,N,...")
                    .split(',')
                    .map(|v| v.trim().parse().expect("--sizes N,N,..."))
                    .collect()
            }
            "--style" => a.style = it.next().expect("--style ldifde|ldapsearch"),
            "--mix" => a.mix = it.next().expect("--mix realistic|plain"),
            "--file" => a.file = it.next().map(PathBuf::from),
            "--runs" => a.runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--no-stages" => a.stages = false,
            "--no-python" => a.python = false,
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn export(a: &Args, objects: u64) -> PathBuf {
    if let Some(f) = &a.file {
        return f.clone();
    }
    let n = objects.to_string();
    let mut gen = vec!["--objects", &n, "--style", &a.style];
    match a.mix.as_str() {
        "realistic" => gen.extend(["--defect-rate", "0.10", "--aliases", "3"]),
        "plain" => {}
        other => panic!("--mix {other}: realistic or plain"),
    }
    common::generated(
        "gen_export",
        &gen,
        &format!("export-{objects}-{}-{}.ldif", a.style, a.mix),
    )
}

/// Reads `path` through (a buffer at a time, so a 13 GB export is no trouble) to bring it
/// into the page cache. Done before every timed run, not once per file: on the development
/// VM the kernel's DAMON reclaim pages out page cache left idle for about a minute (the 1M
/// export was found with a quarter of it evicted minutes after a benchmark), and a run
/// that reads part of the file from disk measures the disk.
fn warm(path: &Path) {
    use std::io::Read;
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf).unwrap() > 0 {}
}

/// The best time of `runs` calls of `f`, each after [`warm`]ing `path`.
fn best<T>(runs: usize, path: &Path, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        warm(path);
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.unwrap())
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// Reads and cuts blocks only (includes line counting, and sha256 if `hash`). Without
/// the hash it is what a scan does in the reader's lock: the part of a scan that more
/// threads cannot speed up.
fn read_only(path: &Path, hash: bool) -> u64 {
    let mut r = BlockReader::open(path.to_str().unwrap(), DEFAULT_BLOCK_SIZE).unwrap();
    if !hash {
        r.defer_digest();
    }
    let mut diags = Vec::new();
    let mut n = 0;
    while let Some(b) = r.next_block(&mut diags).unwrap() {
        n += b.data.len() as u64;
        r.recycle(b.data);
    }
    n
}

/// Reads and parses every record in parallel, checks nothing.
fn parse_only(path: &Path) -> u64 {
    let name = path.to_str().unwrap();
    let mut r = BlockReader::open(name, DEFAULT_BLOCK_SIZE).unwrap();
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    let reader = std::thread::spawn(move || {
        let mut diags = Vec::new();
        while let Some(b) = r.next_block(&mut diags).unwrap() {
            tx.send(b).unwrap();
        }
    });
    let entries: u64 = rx
        .into_iter()
        .par_bridge()
        .map(|b| {
            let mut p = LdifParser::new(name, &b.data, b.first_line, b.at_start);
            let mut diags = Vec::new();
            let mut n = 0u64;
            while let Some(e) = p.next_entry(&mut diags) {
                n += u64::from(!e.dn.is_empty() || e.dn.is_empty());
            }
            n
        })
        .sum();
    reader.join().unwrap();
    entries
}

fn full_scan(path: &Path, set: &RuleSet) -> (u64, u64) {
    let opts = ScanOptions::default();
    let input = Input::open(path.to_str().unwrap(), opts.block_size).unwrap();
    let report = engine::scan(vec![input], set, &opts).unwrap();
    (report.summary.objects_read, report.summary.findings_total)
}

fn grep(path: &Path, pattern: &str) -> Duration {
    best(3, path, || {
        let o = Command::new("grep")
            .args(["-c", pattern])
            .arg(path)
            .output()
            .expect("grep");
        assert!(o.status.success());
    })
    .0
}

fn main() {
    let a = args();
    let set = RuleSet::builtin().unwrap();
    let mut rows = Vec::new();
    let sizes = if a.file.is_some() {
        vec![0]
    } else {
        a.sizes.clone()
    };
    for &objects in &sizes {
        let path = export(&a, objects);
        rows.push(bench_file(&a, &path, &set));
    }
    if rows.len() > 1 {
        print_curve(&rows);
    }
}

/// A whole run: wall seconds and peak RSS (KiB).
type Run = (f64, u64);

/// What one export measured, for the cost curve.
struct Row {
    objects: u64,
    bytes: u64,
    scan: Option<Run>,
    reports: Option<Run>,
    grep: f64,
}

fn bench_file(a: &Args, path: &Path, set: &RuleSet) -> Row {
    let bytes = std::fs::metadata(path).unwrap().len();
    let threads = rayon::current_num_threads();
    println!(
        "\nexport: {} ({:.1} MB), {} threads",
        path.display(),
        bytes as f64 / 1e6,
        threads
    );
    let (_, (objects, findings)) = best(1, path, || full_scan(path, set));
    let t_grep_dn = grep(path, "^dn:");
    let mut t_parse = None;
    if a.stages {
        let (t_read, _) = best(a.runs, path, || read_only(path, true));
        let (t_lock, _) = best(a.runs, path, || read_only(path, false));
        let (t, entries) = best(a.runs, path, || parse_only(path));
        t_parse = Some(t);
        let (t_scan, _) = best(a.runs, path, || full_scan(path, set));
        let t_grep_upn = grep(path, "userPrincipalName");
        println!(
            "{:<34} {:>9} {:>10}",
            "stage (in process)", "seconds", "MB/s"
        );
        for (label, t) in [
            ("read + sha256 + blocks", t_read),
            ("read + blocks (the reader's lock)", t_lock),
            ("read + parse (all threads)", t),
            ("full scan (rules, index, report)", t_scan),
            ("grep -c '^dn:'", t_grep_dn),
            ("grep -c userPrincipalName", t_grep_upn),
        ] {
            println!(
                "{:<34} {:>9.3} {:>10.0}",
                label,
                t.as_secs_f64(),
                mbps(bytes, t)
            );
        }
        println!("{entries} records parsed");
    }
    println!(
        "{objects} objects, {findings} findings ({:.1} % of objects)",
        findings as f64 * 100.0 / objects.max(1) as f64
    );
    let (scan, reports) = whole_runs(path, bytes, objects, t_grep_dn, a.runs, a.python, t_parse);
    Row {
        objects,
        bytes,
        scan,
        reports,
        grep: t_grep_dn.as_secs_f64(),
    }
}

/// The cost curve over the sizes: time and memory per object should stay flat.
fn print_curve(rows: &[Row]) {
    println!("\ncost curve (whole runs, best of runs):");
    println!(
        "{:>10} {:>9} {:>9} {:>9} {:>11} {:>9} {:>10} {:>9} {:>11}",
        "objects", "MB", "scan s", "µs/obj", "RSS MiB", "B/obj", "x grep", "+reports", "RSS MiB"
    );
    for r in rows {
        let (Some((w, rss)), Some((rw, rrss))) = (r.scan, r.reports) else {
            continue;
        };
        println!(
            "{:>10} {:>9.0} {:>9.2} {:>9.2} {:>11.0} {:>9.0} {:>10.2} {:>9.2} {:>11.0}",
            r.objects,
            r.bytes as f64 / 1e6,
            w,
            w * 1e6 / r.objects.max(1) as f64,
            rss as f64 / 1024.0,
            rss as f64 * 1024.0 / r.objects.max(1) as f64,
            w / r.grep,
            rw,
            rrss as f64 / 1024.0
        );
    }
}

/// Wall time (best of `runs`) and peak RSS (KiB) of a whole `dirready` process reading
/// `path`.
fn process(path: &Path, args: &[&str], runs: usize) -> Option<(f64, u64)> {
    let mut best: Option<(f64, u64)> = None;
    for _ in 0..runs {
        warm(path);
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%e %M", env!("CARGO_BIN_EXE_dirready")])
            .args(args)
            .stdout(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let mut f = text.lines().last()?.split_whitespace();
        let wall: f64 = f.next()?.parse().ok()?;
        let rss: u64 = f.next()?.parse().ok()?;
        best = Some(match best {
            Some((w, r)) => (w.min(wall), r.max(rss)),
            None => (wall, rss),
        });
    }
    best
}

/// The user's view: whole `dirready` runs (scan alone, one thread, with reports), grep and
/// python-ldap on the same file, and the ratios the performance targets are about.
fn whole_runs(
    path: &Path,
    bytes: u64,
    objects: u64,
    grep_dn: Duration,
    runs: usize,
    python: bool,
    parse: Option<Duration>,
) -> (Option<Run>, Option<Run>) {
    let file = path.to_str().unwrap();
    let dir = std::env::temp_dir().join(format!("dirready-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let (html, json, sarif) = (out("r.html"), out("r.json"), out("r.sarif"));
    let scan = process(path, &["scan", "-q", "--format", "json", file], runs);
    let one = process(
        path,
        &["scan", "-q", "--format", "json", "--threads", "1", file],
        runs,
    );
    let reports = process(
        path,
        &["scan", "-q", "-o", &html, "-o", &json, "-o", &sarif, file],
        runs,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let grep = grep_dn.as_secs_f64();
    println!("\nwhole runs (best of {runs}; peak RSS):");
    for (label, r) in [
        ("dirready scan --format json", scan),
        ("  same, --threads 1", one),
        ("dirready scan -o html -o json -o sarif", reports),
    ] {
        if let Some((w, rss)) = r {
            println!(
                "{label:<40} {w:>7.2} s {:>8.0} MB/s {:>7.0} MiB ({:.0} B/object)  {:.2}x grep",
                bytes as f64 / 1e6 / w,
                rss as f64 / 1024.0,
                rss as f64 * 1024.0 / objects.max(1) as f64,
                w / grep
            );
        }
    }
    if let (Some((w2, _)), Some((w1, _))) = (scan, one) {
        println!("two threads / one thread: {:.2}x", w1 / w2);
    }
    if let (Some((_, r0)), Some((_, r1))) = (scan, reports) {
        println!(
            "peak RSS with reports / scan alone: {:.2}x",
            r1 as f64 / r0 as f64
        );
    }
    if !python {
        return (scan, reports);
    }
    // python-ldap's parse-only throughput, when it is installed.
    warm(path);
    let py = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/python_ldif.py"
        ))
        .arg(file)
        .output();
    match py {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let line = text.lines().last().unwrap_or("");
            println!("{line}");
            let mbs: Option<f64> = line
                .rsplit('=')
                .next()
                .and_then(|v| v.trim().trim_end_matches("MB/s").trim().parse().ok());
            if let (Some(mbs), Some((w, _))) = (mbs, scan) {
                println!(
                    "scan / python-ldap parse-only throughput: {:.1}x",
                    bytes as f64 / 1e6 / w / mbs
                );
            }
            // Like for like: parsing alone against parsing alone.
            if let (Some(mbs), Some(t)) = (mbs, parse) {
                println!(
                    "parse only (read + parse stage) / python-ldap parse-only throughput: {:.1}x",
                    mbps(bytes, t) / mbs
                );
            }
        }
        _ => println!("python-ldap: not installed (pip install python-ldap), ratio skipped"),
    }
    (scan, reports)
}
