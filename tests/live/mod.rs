//! Test harness for live-source tests: a throwaway OpenLDAP slapd on free loopback ports,
//! configured from a temporary directory (cn=config via slapadd), with TLS from a test CA,
//! frontend size limits of 1000 like AD's MaxPageSize, a non-admin reader account and a
//! severely limited account. The `Slapd` guard kills slapd and waits for it on drop.
//!
//! AD-style LDIF is loaded by [`convert`]: DNs, object classes and values are kept
//! verbatim; every attribute type the data uses gets a test-schema definition (octet
//! string syntax, so any value AD would hold — empty, non-ASCII, invalid UTF-8 — loads);
//! missing parent entries are added as bare `top` placeholders (out of scope for the
//! rules). Data is loaded with `slapadd -s` (no object-class schema check), so AD class
//! names like `user`, `contact` and `group` need no definitions.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dirready::source::input::BlockReader;
use dirready::source::ldif::LdifParser;
use dirready::source::ldif_writer;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const READER_PW: &str = "Reader-Secret-9f3b";
pub const LIMITED_PW: &str = "Limited-Secret-77a1";
/// The root DN's password (`cn=admin,<suffix>`), for tests that apply fix files.
pub const ADMIN_PW: &str = "Admin-Secret-3c8e";

/// True when a live-server test must be skipped because `tools` are not installed: a
/// developer's `cargo test` then prints why and goes on. With `CI` set (`.ci/run` sets
/// it and installs the servers) a missing tool fails the test instead.
pub fn skip_without(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| find_tool(t).is_none())
        .collect();
    if missing.is_empty() {
        return false;
    }
    if std::env::var_os("CI").is_some() {
        tool(missing[0]);
    }
    // Straight to stderr: the test harness captures print macros of passing tests.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{test}: skipped, {} not installed (apt-get install -y slapd ldap-utils openssl samba winbind krb5-user smbclient, or run .ci/run)",
        missing.join(", ")
    );
    true
}

fn find_tool(name: &str) -> Option<PathBuf> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin", "/sbin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// Tools the slapd tests run.
pub const SLAPD_TOOLS: &[&str] = &[
    "slapd",
    "slapadd",
    "slappasswd",
    "openssl",
    "ldapsearch",
    "ldapmodify",
];

/// Finds a tool, failing the test with a clear message when it is not installed.
pub fn tool(name: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':').chain([
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
    ]) {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` is not installed: the live-source tests need OpenLDAP (apt-get install -y slapd ldap-utils) and Samba (apt-get install -y samba winbind krb5-user smbclient); .ci/run installs them"
    );
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Two distinct free loopback ports (bound together, then released).
pub fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// A test CA and a server certificate for localhost / 127.0.0.1, in `dir`.
/// Returns (ca.pem, cert.pem, key.pem).
pub fn make_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = tool("openssl");
    let p = |n: &str| dir.join(n);
    run(Command::new(&openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=dirready test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
        ])
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new(&openssl)
        .args([
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(p("key.pem"))
        .arg("-out")
        .arg(p("server.csr")));
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
    )
    .unwrap();
    run(Command::new(&openssl)
        .args(["x509", "-req", "-days", "2", "-in"])
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-CAcreateserial")
        .arg("-out")
        .arg(p("cert.pem"))
        .arg("-extfile")
        .arg(p("ext.cnf")));
    // Samba refuses a private key readable by others.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p("key.pem"), std::fs::Permissions::from_mode(0o600)).unwrap();
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

/// Splits a DN at unescaped commas (the library's one DN splitter).
fn rdns(dn: &str) -> Vec<String> {
    dirready::dn::rdns(dn)
        .into_iter()
        .map(|r| r.trim().to_string())
        .collect()
}

/// AD-style LDIF → LDIF for the test schema (see the module doc). Returns the LDIF and
/// the attribute names used. Only add/content records are kept.
pub fn convert(ldif: &[u8], suffix: &str) -> (Vec<u8>, BTreeMap<String, String>) {
    let mut reader = BlockReader::from_reader(
        "fixture",
        Box::new(std::io::Cursor::new(ldif.to_vec())),
        1 << 20,
    );
    let mut out = Vec::new();
    // lowercase -> the spelling first seen (slapd returns the schema's spelling).
    let mut names = BTreeMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let suffix_l = suffix.to_ascii_lowercase();
    let mut diags = Vec::new();
    while let Some(block) = reader.next_block(&mut diags).unwrap() {
        let mut p = LdifParser::new("fixture", &block.data, block.first_line, block.at_start);
        while let Some(e) = p.next_entry(&mut diags) {
            if e.changetype != dirready::model::ChangeType::Add {
                continue;
            }
            // Parents first (placeholders for the ones the fixture lacks).
            let parts = rdns(&e.dn);
            for i in (1..parts.len()).rev() {
                let parent = parts[i..].join(",");
                if !parent.to_ascii_lowercase().ends_with(&suffix_l) {
                    continue;
                }
                if seen.insert(parent.to_ascii_lowercase()) {
                    let (t, v) = parts[i].split_once('=').unwrap();
                    let t = t.trim().to_string();
                    names.entry(t.to_ascii_lowercase()).or_insert(t.clone());
                    ldif_writer::write_entry(
                        &mut out,
                        &parent,
                        &[
                            ("objectClass".into(), vec![b"top".to_vec()]),
                            (t, vec![v.replace('\\', "").into_bytes()]),
                        ],
                    )
                    .unwrap();
                }
            }
            if !seen.insert(e.dn.to_ascii_lowercase()) {
                continue;
            }
            let mut attrs: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
            for a in &e.attrs {
                let v = a.decoded().unwrap().into_owned();
                let name = a.name.to_string();
                if name.eq_ignore_ascii_case("objectClass") {
                    let class = String::from_utf8_lossy(&v).trim().to_string();
                    names
                        .entry(format!("{OBJECT_CLASS_KEY}{}", class.to_ascii_lowercase()))
                        .or_insert(class);
                }
                // cn has Directory String syntax in slapd (built in): no empty value.
                if name.eq_ignore_ascii_case("cn") && v.is_empty() {
                    continue;
                }
                // Built into slapd with strict syntaxes, and read by no rule.
                if ["name", "distinguishedName"]
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&name))
                {
                    continue;
                }
                names
                    .entry(name.to_ascii_lowercase())
                    .or_insert(name.clone());
                match attrs.iter_mut().find(|x| x.0.eq_ignore_ascii_case(&name)) {
                    Some(x) => {
                        if !x.1.contains(&v) {
                            x.1.push(v)
                        }
                    }
                    None => attrs.push((name, vec![v])),
                }
            }
            // The data's classes are auxiliary in the test schema; one structural class
            // (with its operational attribute, which `slapadd -s` does not compute) makes
            // the entries modifiable, so fix files can be applied in tests.
            match attrs
                .iter_mut()
                .find(|x| x.0.eq_ignore_ascii_case("objectClass"))
            {
                Some(x) => x.1.push(STRUCTURAL.as_bytes().to_vec()),
                None => attrs.push(("objectClass".into(), vec![STRUCTURAL.as_bytes().to_vec()])),
            }
            attrs.push((
                "structuralObjectClass".into(),
                vec![STRUCTURAL.as_bytes().to_vec()],
            ));
            ldif_writer::write_entry(&mut out, &e.dn, &attrs).unwrap();
        }
    }
    (out, names)
}

/// Keys of `convert`'s name map that record an object class rather than an attribute.
const OBJECT_CLASS_KEY: &str = "objectclass:";
/// The structural class every converted entry gets; it allows every attribute the data uses.
const STRUCTURAL: &str = "dirreadyObject";

/// Attribute types slapd defines itself (redefining them is an error).
const BUILTIN: &[&str] = &[
    "objectclass",
    "cn",
    "name",
    "userpassword",
    "description",
    "seealso",
    "uid",
    "ref",
    "entryuuid",
    "entrydn",
    "createtimestamp",
    "modifytimestamp",
    "creatorsname",
    "modifiersname",
    "structuralobjectclass",
    "namingcontexts",
    "labeleduri",
];

fn schema_ldif(names: &BTreeMap<String, String>) -> String {
    let mut s = String::from(
        "dn: cn={0}adlite,cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: {0}adlite\n\
         olcAttributeTypes: ( 2.5.4.11 NAME ( 'ou' 'organizationalUnitName' ) SUP name )\n\
         olcAttributeTypes: ( 0.9.2342.19200300.100.1.25 NAME ( 'dc' 'domainComponent' ) EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )\n",
    );
    let mut n = 0;
    for (lower, name) in names {
        if BUILTIN.contains(&lower.as_str())
            || lower == "ou"
            || lower == "dc"
            || lower.starts_with(OBJECT_CLASS_KEY)
        {
            continue;
        }
        n += 1;
        s.push_str(&format!(
            "olcAttributeTypes: ( 1.3.6.1.4.1.4203.666.11.99.2.{n} NAME '{name}' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )\n"
        ));
    }
    s.push_str(
        "olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1.1 NAME 'dirreadyAccount' SUP top STRUCTURAL MUST cn MAY userPassword )\n",
    );
    // The data's own classes (user, person, group, ...) as auxiliary classes, and one
    // structural class allowing every attribute the data uses.
    let mut m = 1;
    for (lower, name) in names {
        let Some(class) = lower.strip_prefix(OBJECT_CLASS_KEY) else {
            continue;
        };
        if class == "top" || class.eq_ignore_ascii_case(STRUCTURAL) || class == "dirreadyaccount" {
            continue;
        }
        m += 1;
        s.push_str(&format!(
            "olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1.{m} NAME '{name}' SUP top AUXILIARY )\n"
        ));
    }
    let attrs: Vec<&str> = names
        .iter()
        .filter(|(l, _)| {
            !l.starts_with(OBJECT_CLASS_KEY)
                && l.as_str() != "objectclass"
                && l.as_str() != "structuralobjectclass"
        })
        .map(|(_, n)| n.as_str())
        .collect();
    s.push_str(&format!(
        "olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.99.1.999 NAME '{STRUCTURAL}' SUP top STRUCTURAL MAY ( {} ) )\n",
        attrs.join(" $ ")
    ));
    s
}

pub struct Slapd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub tls_port: u16,
    pub suffix: String,
    pub ca: PathBuf,
    pid: u32,
}

impl Slapd {
    pub fn reader_dn(&self) -> String {
        format!("cn=reader,{}", self.suffix)
    }
    pub fn admin_dn(&self) -> String {
        format!("cn=admin,{}", self.suffix)
    }
    pub fn limited_dn(&self) -> String {
        format!("cn=limited,{}", self.suffix)
    }
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://localhost:{}", self.tls_port)
    }

    /// Starts slapd with `data` (AD-style LDIF, converted by [`convert`]) under `suffix`.
    pub fn start(suffix: &str, data: &[u8]) -> Slapd {
        let slapd = tool("slapd");
        let slapadd = tool("slapadd");
        let slappasswd = tool("slappasswd");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["config", "db", "run"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let (ca, cert, key) = make_certs(d);
        let (mut ldif, mut names) = convert(data, suffix);
        names.insert("dc".into(), "dc".into());
        let hash = |pw: &str| {
            run(Command::new(&slappasswd).args(["-s", pw]))
                .trim()
                .to_string()
        };
        // The suffix entry, the accounts, then the data.
        let mut head = Vec::new();
        let top = rdns(suffix);
        let (t, v) = top[0].split_once('=').unwrap();
        names.insert(t.trim().to_ascii_lowercase(), t.trim().to_string());
        writeln!(head, "dn: {suffix}\nobjectClass: top\n{t}: {v}\n").unwrap();
        for (who, pw) in [("reader", READER_PW), ("limited", LIMITED_PW)] {
            writeln!(
                head,
                "dn: cn={who},{suffix}\nobjectClass: dirreadyAccount\ncn: {who}\nuserPassword: {}\n",
                hash(pw)
            )
            .unwrap();
        }
        // Drop the fixture's own copy of the suffix entry (it is written above).
        let data_ldif = {
            let mut v = head;
            v.append(&mut ldif);
            v
        };
        let data_ldif = dedup_suffix(&data_ldif, suffix);
        std::fs::write(d.join("data.ldif"), &data_ldif).unwrap();
        let root = d.display();
        let config = format!(
            "dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: {root}/run/slapd.pid\n\
olcTLSCACertificateFile: {ca}\nolcTLSCertificateFile: {cert}\nolcTLSCertificateKeyFile: {key}\n\n\
dn: cn=module{{0}},cn=config\nobjectClass: olcModuleList\ncn: module{{0}}\nolcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n\
dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n\
{schema}\n\
dn: olcDatabase={{-1}}frontend,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcFrontendConfig\nolcDatabase: {{-1}}frontend\n\
olcSizeLimit: size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited\n\n\
dn: olcDatabase={{1}}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\nolcDatabase: {{1}}mdb\n\
olcDbDirectory: {root}/db\nolcSuffix: {suffix}\nolcRootDN: cn=admin,{suffix}\nolcRootPW: {root_pw}\nolcDbMaxSize: 4294967296\n\
olcLimits: {{0}}dn.exact=\"cn=limited,{suffix}\" size.soft=10 size.hard=10 size.pr=10 size.prtotal=20\n\
olcSizeLimit: size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited\n\
olcAccess: {{0}}to attrs=userPassword by anonymous auth by * none\n\
olcAccess: {{1}}to * by * read\n",
            ca = ca.display(),
            cert = cert.display(),
            key = key.display(),
            schema = schema_ldif(&names),
            root_pw = hash(ADMIN_PW),
        );
        std::fs::write(d.join("config.ldif"), config).unwrap();
        run(Command::new(&slapadd)
            .args(["-n0", "-F"])
            .arg(d.join("config"))
            .arg("-l")
            .arg(d.join("config.ldif")));
        run(Command::new(&slapadd)
            .args(["-n1", "-q", "-s", "-F"])
            .arg(d.join("config"))
            .arg("-l")
            .arg(d.join("data.ldif")));
        let (port, tls_port) = free_ports();
        run(Command::new(&slapd)
            .arg("-F")
            .arg(d.join("config"))
            .arg("-h")
            .arg(format!(
                "ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
            )));
        // slapd daemonizes; read its pid once (it deletes the file on exit).
        let start = Instant::now();
        let pid = loop {
            if let Ok(s) = std::fs::read_to_string(d.join("run/slapd.pid")) {
                if let Ok(p) = s.trim().parse::<u32>() {
                    break p;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "slapd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let s = Slapd {
            dir,
            port,
            tls_port,
            suffix: suffix.to_string(),
            ca,
            pid,
        };
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            || TcpStream::connect(("127.0.0.1", tls_port)).is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "slapd does not answer"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }
}

/// Keeps only the first record for the suffix DN.
fn dedup_suffix(ldif: &[u8], suffix: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(ldif);
    let mut out = String::new();
    let mut seen = false;
    let want = format!("dn: {}", suffix).to_ascii_lowercase();
    for rec in text.split("\n\n") {
        if rec.trim().is_empty() {
            continue;
        }
        let first = rec.lines().next().unwrap_or("").to_ascii_lowercase();
        if first == want {
            if seen {
                continue;
            }
            seen = true;
        }
        out.push_str(rec);
        out.push_str("\n\n");
    }
    // Non-UTF-8 data never reaches here: the writer base64s every byte above 127.
    out.into_bytes()
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        let start = Instant::now();
        while Path::new(&format!("/proc/{}", self.pid)).exists()
            && start.elapsed() < Duration::from_secs(10)
        {
            // A zombie (no reaping parent) still has a /proc entry: check its state.
            if let Ok(st) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) {
                if st.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The findings of a JSON report as comparable tuples: (dn, rule, attribute, category,
/// value). DNs are compared case-insensitively without spaces after commas, because
/// slapd prettifies attribute types in DNs (`CN=` → `cn=`).
pub fn findings(report: &serde_json::Value) -> BTreeSet<(String, String, String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                norm_dn(f["dn"].as_str().unwrap()),
                f["rule"].as_str().unwrap().to_string(),
                f["attribute"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap_or("null").to_string(),
            )
        })
        .collect()
}

pub fn norm_dn(dn: &str) -> String {
    dirready::dn::normalize(dn)
}

/// An `ldapsearch -LLL -o ldif_wrap=no` dump as a set of (normalised DN, lowercased
/// attribute, value): LDAP values are unordered, so fix round trips compare sets.
pub fn dump_set(text: &[u8]) -> BTreeSet<(String, String, Vec<u8>)> {
    use base64::Engine as _;
    let mut set = BTreeSet::new();
    let mut dn = String::new();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let s = String::from_utf8_lossy(line);
        let (name, value) = match s.split_once(":: ") {
            Some((n, v)) => (
                n.to_string(),
                base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .unwrap(),
            ),
            None => match s.split_once(": ") {
                Some((n, v)) => (n.to_string(), v.as_bytes().to_vec()),
                None => (s.trim_end_matches(':').to_string(), Vec::new()),
            },
        };
        if name == "dn" {
            dn = dirready::dn::normalize(&String::from_utf8_lossy(&value));
        } else {
            set.insert((dn.clone(), name.to_ascii_lowercase(), value));
        }
    }
    set
}
