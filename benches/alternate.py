#!/usr/bin/env python3
"""Alternated whole runs of several dirready binaries on one file: the fair way to compare
two builds on a machine whose speed drifts from minute to minute.

    python3 benches/alternate.py FILE RUNS NAME::BINARY [NAME::BINARY ...] [-- SCAN ARGS]

Each round runs every binary once, in turn, each after the file is read through (so it
is in the page cache), as `/usr/bin/time BINARY scan FILE -q --format json [SCAN ARGS]`.
Prints per binary the median and best wall time, the median CPU time (user + system), the
peak RSS, and a short hash of the JSON report without its `generated_at` line: the same
hash means the same report.
"""
import hashlib
import statistics
import subprocess
import sys
import time


def read_through(path):
    with open(path, 'rb') as f:
        while f.read(1 << 20):
            pass


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, runs, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    extra = []
    if '--' in rest:
        cut = rest.index('--')
        rest, extra = rest[:cut], rest[cut + 1:]
    bins = [r.split('::', 1) for r in rest]
    results = {name: [] for name, _ in bins}
    reports = {name: set() for name, _ in bins}
    for _ in range(runs):
        for name, binary in bins:
            read_through(path)
            start = time.time()
            p = subprocess.run(
                ['/usr/bin/time', '-f', '%U %S %M', binary, 'scan', path, '-q', '--format', 'json']
                + extra,
                capture_output=True,
            )
            wall = time.time() - start
            user, system, rss_kib = p.stderr.decode().strip().splitlines()[-1].split()
            results[name].append((wall, float(user) + float(system), int(rss_kib) / 1024))
            body = b'\n'.join(l for l in p.stdout.splitlines() if b'generated_at' not in l)
            reports[name].add(hashlib.sha256(body).hexdigest()[:12])
    for name, _ in bins:
        walls = [r[0] for r in results[name]]
        cpus = [r[1] for r in results[name]]
        rss = max(r[2] for r in results[name])
        print(
            f"{name}: wall median {statistics.median(walls):.3f} s, best {min(walls):.3f} s; "
            f"CPU median {statistics.median(cpus):.3f} s; peak RSS {rss:.0f} MiB; "
            f"report {', '.join(sorted(reports[name]))}"
        )


if __name__ == '__main__':
    main()
