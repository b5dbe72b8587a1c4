#!/usr/bin/env bash
# Live-scan benchmark: `dirready scan ldap://...` against a throwaway OpenLDAP slapd on
# loopback holding the realistic mix (gen_export --defect-rate 0.10 --aliases 3), next to
# a file scan of the same export. Manual only (CI runs `cargo test`, never this script).
#
#   bash benches/live_slapd.sh [OBJECTS]      # default 1000000; needs slapd, ldap-utils, jq
#
# Everything goes to ${TMPDIR:-/tmp}/dirready-live-OBJECTS (about 5 GB at 1M objects);
# slapd is stopped on exit; delete that folder when done. DIRREADY_BIN=path and
# GEN_EXPORT=path use those binaries instead of building them.
set -euo pipefail
N=${1:-1000000}
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${TMPDIR:-/tmp}/dirready-live-$N
SUFFIX=DC=contoso,DC=com # gen_export's base
PAGE=${PAGE:-500}        # dirready's default page size (slapd's size.pr below is 1000, like AD)
export PATH=$PATH:/usr/sbin
for t in slapd slapadd slappasswd ldapsearch jq python3 /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install -y slapd ldap-utils jq time)" >&2; exit 2; }
done
rm -rf "$W" && mkdir -p "$W"/{config,db,run} && cd "$W"

# 1. Build and generate: ldapsearch style (LF, folded, comments, refs, trailer).
[ -n "${GEN_EXPORT:-}" ] || (cd "$REPO" && cargo build -q --release --example gen_export)
[ -n "${DIRREADY_BIN:-}" ] || (cd "$REPO" && cargo build -q --release)
BIN=${DIRREADY_BIN:-$REPO/target/release/dirready}
"${GEN_EXPORT:-$REPO/target/release/examples/gen_export}" --objects "$N" --style ldapsearch \
  --defect-rate 0.10 --aliases 3 -o export.ldif >/dev/null

# 2. export.ldif -> data.ldif + schema.ldif for slapd, like tests/live/mod.rs `convert`:
#    - keeps DNs, object classes and values byte for byte (re-emitted unfolded);
#    - drops comments, `version:`, the search references (`ref:`) and the trailer;
#    - drops `name` and `distinguishedName` (built into slapd with strict syntaxes; no
#      rule reads them) and empty `cn` values; drops exact duplicate values and DNs;
#    - adds the suffix entry, bare `top` parents the export lacks (CN=Users), and the
#      structural class dirreadyObject (+ structuralObjectClass) to every entry;
#    - schema: every other attribute type as an octet string (any AD value loads), the
#      data's classes (user, contact, group, ...) as auxiliary classes; no core schema.
python3 - export.ldif "$SUFFIX" <<'PY'
import base64, re, sys
src, suffix = sys.argv[1], sys.argv[2]
BUILTIN = {"objectclass", "cn", "userpassword", "description", "seealso", "uid", "ref",
           "structuralobjectclass", "labeleduri", "ou", "dc"}
DROP = {"name", "distinguishedname"}
names, classes, seen, dropped = {}, {}, set(), [0, 0]
out = open("data.ldif", "w", encoding="utf-8", newline="\n")
def b64(v): return base64.b64encode(v).decode()
def emit(dn, attrs):
    safe = lambda v: v and v.isascii() and v.isprintable() and v[0] not in " :<" and v[-1] != " "
    out.write(f"dn: {dn}\n" if safe(dn) else f"dn:: {b64(dn.encode())}\n")
    for a, vals in attrs.items():
        for v in vals:
            try: s = v.decode("utf-8")
            except UnicodeDecodeError: s = None
            out.write(f"{a}:\n" if not v else f"{a}: {s}\n" if s is not None and safe(s) else f"{a}:: {b64(v)}\n")
    out.write("\n")
def rdns(dn): return [r.strip() for r in re.split(r"(?<!\\),", dn)]  # no `\\,` in this data
def entry(lines):
    lines = [l for l in lines if not l.startswith("#")]
    if not lines or not lines[0].lower().startswith("dn:"): return  # version, ref, trailer
    attrs = {}
    for l in lines:
        a, _, v = l.partition(":")
        v = base64.b64decode(v[1:].strip()) if v.startswith(":") else v[1:].lstrip(" ").encode("utf-8", "surrogateescape")
        if a.lower() == "dn": dn = v.decode("utf-8"); continue
        if a.lower() in DROP or a.lower() == "changetype" or (a.lower() == "cn" and not v): continue
        key = names.setdefault(a.lower(), a)
        if a.lower() == "objectclass": classes.setdefault(v.decode().lower(), v.decode())
        vals = attrs.setdefault(key, [])
        if v not in vals: vals.append(v)
        else: dropped[0] += 1   # e.g. gen_export's DupProxy: one smtp: alias twice
    if dn.lower() in seen: dropped[1] += 1; return
    parts = rdns(dn)
    for i in range(len(parts) - 1, 0, -1):   # parents, suffix first
        p = ",".join(parts[i:])
        if p.lower().endswith(suffix.lower()) and p.lower() not in seen:
            seen.add(p.lower()); t, _, v = parts[i].partition("=")
            names.setdefault(t.lower(), t)
            emit(p, {"objectClass": [b"top"], t: [v.replace("\\", "").encode()]})
    seen.add(dn.lower())
    attrs.setdefault("objectClass", []).append(b"dirreadyObject")
    attrs["structuralObjectClass"] = [b"dirreadyObject"]
    emit(dn, attrs)
cur = []
with open(src, encoding="utf-8", errors="surrogateescape") as f:
    for raw in f:
        l = raw.rstrip("\r\n")
        if l.startswith(" ") and cur: cur[-1] += l[1:]       # unfold (comments too)
        elif l: cur.append(l)
        else: entry(cur); cur = []
entry(cur); out.close()
print(f"converter: dropped {dropped[0]} duplicate values, {dropped[1]} duplicate DNs", file=sys.stderr)
at = [n for l, n in sorted(names.items()) if l not in BUILTIN and l not in DROP]
with open("schema.ldif", "w") as s:
    s.write("dn: cn={0}adlite,cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: {0}adlite\n"
            "olcAttributeTypes: ( 2.5.4.11 NAME ( 'ou' 'organizationalUnitName' ) SUP name )\n"
            "olcAttributeTypes: ( 0.9.2342.19200300.100.1.25 NAME ( 'dc' 'domainComponent' ) EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )\n")
    for i, n in enumerate(at, 1):
        s.write(f"olcAttributeTypes: ( 1.3.6.1.4.1.4203.666.11.99.2.{i} NAME '{n}' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )\n")
    s.write("olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1.1 NAME 'dirreadyAccount' SUP top STRUCTURAL MUST cn MAY userPassword )\n")
    for i, c in enumerate(sorted(v for k, v in classes.items() if k != "top"), 2):
        s.write(f"olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1.{i} NAME '{c}' SUP top AUXILIARY )\n")
    s.write("olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1.999 NAME 'dirreadyObject' SUP top STRUCTURAL MAY ( cn $ ou $ dc $ "
            + " $ ".join(at) + " ) )\n")
PY

# 3. cn=config (tests/live/mod.rs without TLS): AD-like limits (1000 per page, paged
#    searches unlimited), a reader account, mdb with room for the data; then slapadd -q.
(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '\n' >pw)
cat >>data.ldif <<EOF
dn: cn=reader,$SUFFIX
objectClass: dirreadyAccount
cn: reader
userPassword: $(slappasswd -T pw)

EOF
cat >config.ldif <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $W/run/slapd.pid

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

$(cat schema.ldif)

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $W/db
olcSuffix: $SUFFIX
olcRootDN: cn=admin,$SUFFIX
olcDbMaxSize: 34359738368
olcSizeLimit: size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by * read
EOF
slapadd -n0 -F config -l config.ldif
/usr/bin/time -f '%e %M' -o slapadd.time slapadd -n1 -q -s -F config -l data.ldif

# 4. slapd on a free loopback port; stopped on exit.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stop() { [ -s run/slapd.pid ] && P=$(cat run/slapd.pid) && kill "$P" && while kill -0 "$P" 2>/dev/null; do sleep 0.2; done; true; }
trap 'cd "$W" && stop' EXIT
slapd -F config -h "ldap://127.0.0.1:$PORT/"
until ldapsearch -H "ldap://127.0.0.1:$PORT" -x -s base -b '' >/dev/null 2>&1; do sleep 0.1; done
SLAPD=$(cat run/slapd.pid)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$SLAPD/stat"; }

# 5. Scans: live (simple bind as the reader over loopback, paged), then the file.
#    slapd and dirready share this machine's cores: run it on an otherwise idle machine.
echo "load average before the scans: $(cut -d' ' -f1-3 /proc/loadavg)"
OBJ=$(grep -c '^dn' data.ldif)
C0=$(cpu)
/usr/bin/time -v -o live.time "$BIN" scan "ldap://127.0.0.1:$PORT" --base "$SUFFIX" \
  --bind-dn "cn=reader,$SUFFIX" --password-file pw --allow-plaintext-bind --page-size "$PAGE" \
  -q --exit-zero --format json -o live.json >/dev/null
SLAPD_HWM=$(awk '/VmHWM/ {print $2}' "/proc/$SLAPD/status") SLAPD_CPU=$(awk -v a="$C0" -v b="$(cpu)" 'BEGIN {print b-a}')
/usr/bin/time -v -o file.time "$BIN" scan export.ldif -q --exit-zero --format json -o file.json >/dev/null

# 6. The table. Findings compared as (DN ignoring case, rule, attribute, value).
wall() { awk -F': ' '/Elapsed \(wall/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
keys() { jq -r '.findings[] | [(.dn|ascii_downcase|gsub(", *";",")), .rule, .attribute, (.value//"")] | @tsv' "$1" | sort; }
echo "entries loaded: $OBJ   slapadd -q: $(cut -d' ' -f1 slapadd.time) s, peak $(cut -d' ' -f2 slapadd.time) KiB   db: $(du -sh db | cut -f1)"
echo "slapd during the live scan: $SLAPD_CPU s CPU, peak RSS $SLAPD_HWM KiB (the mdb map it touched)"
printf '%-5s %10s %10s %10s %12s %9s %9s\n' scan objects wall_s obj/s peak_KiB B/obj findings
for k in live file; do
  s=$(jq .summary.objects_read $k.json)
  awk -v k=$k -v o="$s" -v w="$(wall $k.time)" -v r="$(rss $k.time)" -v f="$(jq '.findings|length' $k.json)" \
    'BEGIN { printf "%-5s %10d %10.2f %10.0f %12d %9.0f %9d\n", k, o, w, o/w, r, r*1024/o, f }'
done
# Expected: none only live; only in the file, 2 proxy-smtp-duplicate findings per entry
# listing one smtp: alias twice (gen_export's DupProxy), which step 2 stores once, as a
# directory would (about 0.22 % of objects).
echo "findings only live: $(comm -23 <(keys live.json) <(keys file.json) | wc -l)   only file: $(comm -13 <(keys live.json) <(keys file.json) | wc -l)"
