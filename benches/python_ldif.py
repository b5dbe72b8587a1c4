"""Throughput of python-ldap's LDIF parser, the reference the scan is compared with.

    pip install python-ldap   # needs libldap2-dev libsasl2-dev on Debian
    python3 benches/python_ldif.py target/bench/export-100000-ldapsearch.ldif

Parses the whole file with ldif.LDIFRecordList-style streaming (LDIFParser, records
dropped as they come) and prints MB/s.
"""
import sys, time, os
import ldif


class Counter(ldif.LDIFParser):
    def __init__(self, f):
        super().__init__(f)
        self.n = 0

    def handle(self, dn, entry):
        self.n += 1


def main(path):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.read()  # page cache
    best = None
    for _ in range(2):
        with open(path, "rb") as f:
            p = Counter(f)
            t = time.perf_counter()
            try:
                p.parse()
            except ValueError as e:
                # python-ldap stops at ldapsearch's trailing `ref:`/`search:` records;
                # everything before them has been parsed.
                print(f"(stopped at the trailer: {str(e)[:60]}...)")
            dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"python-ldap {ldif.__version__}: {p.n} records, {size/1e6:.1f} MB in {best:.2f} s = {size/1e6/best:.1f} MB/s")


if __name__ == "__main__":
    main(sys.argv[1])
