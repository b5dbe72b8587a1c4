#!/usr/bin/env python3
"""Regenerates the committed seed corpora in fuzz/seeds/<target>/ from the project's
fixtures (run from anywhere: paths are relative to this file).

    python3 fuzz/make-seeds.py

Sources:
  ldif_parser, scan  tests/fixtures/*.ld*, tests/fixtures/accepted/*.ldif,
                     examples/contoso.ldif cut into groups of records, the spec corpora
                     cut at record boundaries into pieces under 64 KiB, the parser's
                     feature sample; scan also gets encodings the block reader handles
                     (gzip, UTF-8 BOM, UTF-16LE/BE with BOM)
  rules_loader       rules/m365/*.yaml, and every rule of them on its own
  dn                 the DNs (dn: lines, base64 decoded) and DN-valued attributes of
                     those LDIF files, plus escaped/quoted/multi-valued forms
  suppress           exceptions files from tests/ci.rs and the module docs, a baseline
                     file and a report used as one, glob pattern/text pairs
  report_json        the JSON report snapshots, trimmed, with the baseline/exceptions/
                     selection/gate sections the command line adds
"""
import base64
import gzip
import hashlib
import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")
MAX = 64 * 1024 - 1


def read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def records(data):
    """LDIF records (with their trailing blank line), split at blank lines."""
    text = data.replace(b"\r\n", b"\n")
    parts = re.split(rb"\n[ \t]*\n", text)
    return [p.strip(b"\n") + b"\n\n" for p in parts if p.strip()]


def pieces(data, limit):
    """Consecutive record groups of at most `limit` bytes."""
    out, cur = [], b""
    for r in records(data):
        if cur and len(cur) + len(r) > limit:
            out.append(cur)
            cur = b""
        cur += r
    if cur:
        out.append(cur)
    return [p[:limit] for p in out]


# The parser's own feature sample (src/source/mod.rs, testutil::SAMPLE).
SAMPLE = (
    b"version: 1\n\n# c\ndn: cn=a,dc=x\ncontrol: 1.2.3 true\nchangetype: add\ncn:: SsO2cmc=\n"
    b"sn:< file:///x\ndescription: fol\n ded\n\ndn: cn=b\r\nchangetype: modify\r\nadd: member\r\n"
    b"member: cn=a\r\n-\r\nreplace: mail\r\n\r\n \t\ndn: cn=c\nchangetype: modrdn\nnewrdn: cn=d\n"
    b"deleteoldrdn: 1\n\nsearch: 2\nresult: 0 Success\n"
)


def ldif_seeds():
    seeds = {}
    for rel in ["tests/fixtures/ldapsearch-style.ldif", "tests/fixtures/ldifde-style.ldf",
                "tests/fixtures/accepted/forest-b.ldif", "tests/fixtures/accepted/hybrid.ldif"]:
        seeds[os.path.basename(rel)] = read(rel)
    for i, p in enumerate(pieces(read("examples/contoso.ldif"), 4096)):
        seeds[f"contoso-{i:02}.ldif"] = p
    for rel, tag in [("tests/fixtures/spec/corpus-ldapsearch.ldif", "spec-ldapsearch"),
                     ("tests/fixtures/spec/corpus-ldifde.ldf", "spec-ldifde")]:
        for i, p in enumerate(pieces(read(rel), 60 * 1024)):
            seeds[f"{tag}-{i:02}.ldif"] = p
    seeds["sample.ldif"] = SAMPLE
    return seeds


def write_ldif(seeds):
    for name, data in seeds.items():
        put("ldif_parser", name, data)
        put("scan", name, data)
    small = read("tests/fixtures/ldapsearch-style.ldif")
    put("scan", "enc-gzip.ldif.gz", gzip.compress(small, mtime=0))
    put("scan", "enc-utf8-bom.ldif", b"\xef\xbb\xbf" + small)
    text = small.decode("utf-8")
    put("scan", "enc-utf16le.ldif", b"\xff\xfe" + text.encode("utf-16-le"))
    put("scan", "enc-utf16be.ldif", b"\xfe\xff" + text.encode("utf-16-be"))


def short_examples(body):
    """At most two valid and two invalid examples, so the target runs them."""
    def cut(m):
        try:
            items = json.loads("[" + m.group(2) + "]")
        except ValueError:
            return m.group(0)
        return f"{m.group(1)}: {json.dumps(items[:2], ensure_ascii=False)}"
    return re.sub(r"(?m)^(  (?:valid|invalid)): \[(.*)\]$", cut, body)


def rule_seeds():
    import_dir = os.path.join(ROOT, "rules", "m365")
    for fn in sorted(os.listdir(import_dir)):
        if not fn.endswith(".yaml"):
            continue
        data = read(f"rules/m365/{fn}")
        put("rules_loader", fn, data)
        # Each rule of a list on its own: a small file whose examples the target runs.
        text = data.decode()
        chunks = re.split(r"(?m)^(?=- id: )", text)
        for chunk in chunks:
            m = re.match(r"- id: (\S+)", chunk)
            if not m:
                continue
            body = "\n".join(line[2:] if line.startswith(("- ", "  ")) else line
                             for line in chunk.rstrip().split("\n"))
            put("rules_loader", f"rule-{m.group(1)}.yaml", short_examples(body) + "\n")


def unfold(data):
    return re.sub(rb"\r?\n ", b"", data.replace(b"\r\n", b"\n"))


def dn_seeds(ldif):
    dns = set()
    for data in ldif.values():
        for line in unfold(data).split(b"\n"):
            m = re.match(rb"(?i)(dn|member|manager|memberOf|distinguishedName|"
                         rb"objectCategory|newrdn|newsuperior)(::?) ?(.*)$", line)
            if not m:
                continue
            v = m.group(3)
            if m.group(2) == b"::":
                try:
                    v = base64.b64decode(v)
                except Exception:
                    continue
            try:
                dns.add(v.decode("utf-8"))
            except UnicodeDecodeError:
                pass
    # Keep the distinct shapes (one DN per pattern of letters/digits), all escaped ones.
    shapes = {}
    for d in sorted(dns):
        shape = re.sub(r"[A-Za-z0-9]+", "a", d)
        if any(c in d for c in '\\"+;') or not d.isascii():
            shape = d
        shapes.setdefault(shape, d)
    extra = [
        r"CN=Smith\, John,OU=Staff,DC=contoso,DC=com",
        r"CN=Smith\2C John,OU=Staff,DC=contoso,DC=com",
        r"CN=J\C3\BCrgen,DC=emea,DC=contoso,DC=com",
        r'CN="quoted, value",DC=x',
        r"cn=a+sn=b,ou=people,o=example",
        r"CN=trail\ ,DC=x",
        "CN=J, DC = contoso , DC=com",
        r"CN=a\\",
        "cn=j;ou=staff;dc=Contoso;dc=COM",
        r"CN=\#hash,DC=x",
        "",
    ]
    for i, d in enumerate(sorted(shapes.values()) + extra):
        put("dn", f"dn-{i:03}", d)


EXCEPTIONS = [
    # src/suppress/exceptions.rs module docs
    """exceptions:
  - rule: upn-non-routable-domain     # a rule id, or a `-`-bounded id prefix
    dn: "CN=svc-*,OU=Service Accounts,DC=contoso,DC=com"   # glob: * and ?
    reason: Service accounts never sync; excluded by the sync scope.
    owner: identity-team
    expires: 2026-12-31
  - rule: proxy-address-invalid-character
    guid: "oPIzIvgDEOTviEsxClNVAQ=="  # objectGUID, base64 as in the report
    reason: Legacy X400 address, removed with the mailbox migration.
  - rule: mail-format
    value: "info@@contoso.com"         # the offending value (case-insensitive)
    reason: Shared mailbox, fixed by Exchange team ticket 4711.
""",
    # tests/ci.rs
    """exceptions:
  - rule: upn-invalid-character
    dn: "cn=carol smith , ou=staff,*"
    reason: Carol leaves in March; account is excluded from sync.
    owner: identity-team
    expires: 2999-12-31
  - rule: upn-invalid-character
    value: jürgen.groß@contoso.com
    reason: old waiver
    expires: 2000-01-01
  - rule: mail-format
    dn: CN=Nobody*
    reason: stale entry
""",
    "exceptions:\n  - rule: upn\n    dn: CN=A,DC=contoso,DC=com\n    reason: test\n",
    "exceptions:\n  - rule: upn-format\n    dn: CN=A\n    reason: ok\n  - rule: upn-format\n    dn: CN=B\n",
    "exceptions:\n  - rule: upn-format\n    reason: ok\n",
    "exceptions:\n  - rule: upn-invalid-character\n    dn: CN=Carol Smith,*\n    reason: \"<script>alert(1)</script> [x](javascript:y)\"\n    owner: \"<b>o</b>\"\n",
    "exceptions: [{rule: upn-format, dn: 'CN=A*', reason: flow style, expires: 2024-02-29}]\n",
]

GLOBS = [
    "CN=svc-*,OU=Service Accounts,DC=contoso,DC=com\ncn=svc-backup,ou=service accounts,dc=contoso,dc=com",
    "cn=carol smith,ou=staff,*\ncn=carol smith,ou=staff,dc=contoso,dc=com",
    "*a*b*c*d*\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbcccccd",
    "CN=J?rgen*\nCN=Jürgen Groß,DC=x",
]


def suppress_seeds():
    for i, e in enumerate(EXCEPTIONS):
        put("suppress", f"exceptions-{i:02}.yaml", e)
    for i, g in enumerate(GLOBS):
        put("suppress", f"glob-{i:02}.txt", g)
    report = json.loads(read("tests/snapshots/contoso.json"))
    entries = []
    for f in report["findings"][:12]:
        e = {k: f[k] for k in ["fingerprint", "rule", "severity", "category", "dn",
                               "attribute", "value"]}
        if f.get("object_guid"):
            e["object_guid"] = f["object_guid"]
        entries.append(e)
    put("suppress", "baseline.json", json.dumps(
        {"dirready_baseline": 1, "tool": report["tool"], "entries": entries}, indent=2) + "\n")
    small = dict(report, findings=report["findings"][:6])
    put("suppress", "report-as-baseline.json", json.dumps(small, indent=2) + "\n")
    unfingerprinted = dict(small, findings=[{k: v for k, v in f.items() if k != "fingerprint"}
                                            for f in small["findings"]])
    put("suppress", "report-old.json", json.dumps(unfingerprinted) + "\n")


def report_seeds():
    for fn in ["contoso.json", "fixtures.json"]:
        put("report_json", fn, read(f"tests/snapshots/{fn}"))
    report = json.loads(read("tests/snapshots/contoso.json"))
    fs = report["findings"][:8]
    for i, f in enumerate(fs):
        f["state"] = ["new", "baselined", "excepted"][i % 3]
        if f["state"] == "excepted":
            f["exception"] = {"reason": "accepted <b>risk</b>", "owner": "identity-team",
                              "expires": "2999-12-31", "location": "ex.yaml:2"}
    fixed = [{"fingerprint": "0" * 32, "rule": "upn-format", "severity": "error",
              "category": "format", "dn": "CN=Gone,DC=contoso,DC=com",
              "attribute": "userPrincipalName", "value": "gone@@contoso.com"}]
    rich = dict(
        report,
        findings=fs,
        gate={"fail_on": "error", "exit_zero": False, "failing": 3,
              "by_state": {"new": 3, "baselined": 3, "excepted": 2}, "exit_code": 1},
        selection={"select": ["upn"], "ignore": ["mail-format"],
                   "hidden_rules": ["mail-format"], "hidden_total": 2,
                   "hidden_by_rule": {"mail-format": 2}},
        baseline={"path": "old.json", "counts": {"new": 3, "unchanged": 3, "fixed": 1},
                  "by_rule": {"upn-format": {"new": 1, "unchanged": 0, "fixed": 1}},
                  "by_category": {"format": {"new": 1, "unchanged": 0, "fixed": 1}},
                  "fixed": fixed},
        exceptions={"path": "ex.yaml", "entries": [
            {"rule": "upn-invalid-character", "matcher": "dn=CN=Carol*", "reason": "ok",
             "owner": None, "expires": "2000-01-01", "location": "ex.yaml:2",
             "expired": True, "matched": 0}], "excepted": 2, "expired": 1, "unmatched": 0},
    )
    put("report_json", "rich.json", json.dumps(rich, indent=1) + "\n")
    put("report_json", "empty.json", json.dumps(dict(report, findings=[], diagnostics=[])) + "\n")


def main():
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    ldif = ldif_seeds()
    write_ldif(ldif)
    rule_seeds()
    dn_seeds(ldif)
    suppress_seeds()
    report_seeds()
    for t in sorted(os.listdir(SEEDS)):
        files = os.listdir(os.path.join(SEEDS, t))
        size = sum(os.path.getsize(os.path.join(SEEDS, t, f)) for f in files)
        print(f"{t:14} {len(files):4} files {size:9} bytes")


if __name__ == "__main__":
    main()
