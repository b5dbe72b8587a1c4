//! End-to-end test against a real Samba AD DC provisioned on loopback into a temporary
//! directory (LDAP service only, TLS with a test CA). It proves AD semantics: binary
//! objectGUIDs, the continuation reference to CN=Configuration (reported, not chased, and
//! no panic), real `user` objects, defaultNamingContext discovery. Samba listens on the
//! fixed ports 389/636 of `lo`; this file holds one test so only one DC runs at a time.
//! The same DC then takes a fix-file round trip (fix applied with ldapmodify, rescan,
//! undo). Without Samba installed the test skips with a printed reason (fails under CI).
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

mod common;
mod live;
use common::*;
use live::{make_certs, skip_without, tool};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_PW: &str = "Passw0rd!Test1";

struct Samba {
    child: Child,
}

impl Drop for Samba {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ok(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Waits until nothing listens on `port` of 127.0.0.1 (a DC of an earlier run may still be
/// shutting down), failing with a clear message when something keeps it.
fn wait_port_free(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "port {port} of 127.0.0.1 is in use: a leftover samba (it exits by itself after \
             --maximum-runtime) or another LDAP server; stop it and rerun"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A test-only rule (added with --rules) so the scan asks for userAccountControl: the DC
/// sets 546 (ACCOUNTDISABLE | PASSWD_NOTREQD) on users added over LDAP without a password.
const UAC_RULE: &str = r#"- id: test-uac-disabled-no-password
  title: account disabled, no password required (userAccountControl 546, set by the DC)
  severity: warning
  category: format
  attribute: userAccountControl
  check: { kind: pattern, regex: '^546$' }
  message: "userAccountControl {detail}"
  docs: "Test-only rule."
  fix: none
  examples:
    valid: ["512"]
    invalid: ["546"]
"#;

#[test]
fn samba_ad_dc_live_scan_has_binary_guids_a_continuation_reference_and_user_objects() {
    if skip_without(
        "samba_ad_dc_live_scan",
        &["samba-tool", "samba", "ldapadd", "openssl"],
    ) {
        return;
    }
    let t0 = Instant::now();
    let samba_tool = tool("samba-tool");
    let samba = tool("samba");
    let dir = tempdir();
    let d = dir.path();
    let (ca, cert, key) = make_certs(d);
    let target = d.join("dc");
    ok(Command::new(&samba_tool)
        .args([
            "domain",
            "provision",
            "--realm=TEST.EXAMPLE",
            "--domain=TEST",
            "--server-role=dc",
            "--dns-backend=NONE",
            &format!("--adminpass={ADMIN_PW}"),
            "--host-name=dc1",
            "--option=interfaces=lo",
            "--option=bind interfaces only=yes",
        ])
        .arg(format!("--targetdir={}", target.display())));
    for sub in ["run", "log"] {
        std::fs::create_dir_all(target.join(sub)).unwrap();
    }
    for port in [389, 636] {
        wait_port_free(port);
    }
    let t = target.display();
    let child = Command::new(&samba)
        .arg("-s")
        .arg(target.join("etc/smb.conf"))
        // A safety net: a DC left behind by a killed run exits by itself.
        .args(["-i", "--maximum-runtime=180"])
        .arg(format!("--option=pid directory={t}/run"))
        .arg(format!("--option=log file={t}/log/log.%m"))
        .arg("--option=server services=ldap")
        .arg(format!("--option=tls keyfile={}", key.display()))
        .arg(format!("--option=tls certfile={}", cert.display()))
        .arg(format!("--option=tls cafile={}", ca.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start samba");
    let mut guard = Samba { child };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", 636)).is_err() {
        if let Ok(Some(st)) = guard.child.try_wait() {
            panic!(
                "samba exited ({st}): {}",
                std::fs::read_to_string(target.join("log/log.samba")).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "samba does not answer on 636"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ready = t0.elapsed();
    // Users: a UPN with a space, a UPN in a non-routable domain, and an SMTP proxy address
    // two users share (Samba, like AD, refuses duplicate UPNs but accepts duplicate
    // proxyAddresses). All other addresses are in a routable domain, so these three
    // defects (and the test rule) are the only findings.
    let users = "dn: OU=Staff,DC=test,DC=example\nobjectClass: organizationalUnit\nou: Staff\n\n\
dn: CN=Bob Builder,OU=Staff,DC=test,DC=example\nobjectClass: user\nsAMAccountName: bob\nuserPrincipalName: bob@contoso.com\nmail: bob@contoso.com\nproxyAddresses: SMTP:bob@contoso.com\nproxyAddresses: smtp:shared@contoso.com\n\n\
dn: CN=Carol Smith,OU=Staff,DC=test,DC=example\nobjectClass: user\nsAMAccountName: carol\nuserPrincipalName: carol smith@contoso.com\nproxyAddresses: SMTP:carol@contoso.com\nproxyAddresses: smtp:shared@contoso.com\n\n\
dn: CN=Dave Local,OU=Staff,DC=test,DC=example\nobjectClass: user\nsAMAccountName: dave\nuserPrincipalName: dave@corp.local\n";
    let f = write(d, "users.ldif", users);
    let mut add = ldap_tool("ldapadd", &ca);
    add.arg("-f").arg(&f);
    let start = Instant::now();
    loop {
        // The DC may need a moment after the port opens before it accepts binds. Only a
        // connection failure is retried (a rerun after a partial add would hit "exists").
        let o = add.output().unwrap();
        if o.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.contains("(-1)") && start.elapsed() < Duration::from_secs(20),
            "ldapadd: {err}{}",
            String::from_utf8_lossy(&o.stdout)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let rules = write(d, "uac.yaml", UAC_RULE);

    let snap = d.join("seen.ldif");
    let o = dirready()
        .args([
            "scan",
            "ldaps://127.0.0.1",
            "--bind-dn",
            "Administrator@test.example",
            "--ca-file",
        ])
        .arg(&ca)
        .arg("--rules")
        .arg(&rules)
        .args(["--format", "json", "--snapshot"])
        .arg(&snap)
        .env("DIRREADY_BIND_PASSWORD", ADMIN_PW)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let sum = &r["summary"];
    assert_eq!(sum["incomplete"], false);
    assert_eq!(sum["inputs"][0]["path"], "ldaps://127.0.0.1");
    // The built-in accounts and other system objects carry isCriticalSystemObject: TRUE
    // (set by the DC) and are out of scope, as for Entra Connect.
    assert!(
        sum["skipped"]["critical-system-object"].as_u64().unwrap() >= 3,
        "{sum}"
    );
    let fs = r["findings"].as_array().unwrap();
    let staff = |cn: &str| format!("CN={cn},OU=Staff,DC=test,DC=example");
    let got: std::collections::BTreeSet<(String, String, String, String)> = fs
        .iter()
        .map(|f| {
            (
                f["dn"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: std::collections::BTreeSet<(String, String, String, String)> = [
        (
            "Carol Smith",
            "upn-invalid-character",
            "character",
            "carol smith@contoso.com",
        ),
        (
            "Dave Local",
            "upn-non-routable-domain",
            "domain",
            "dave@corp.local",
        ),
        (
            "Bob Builder",
            "proxy-smtp-duplicate",
            "duplicate",
            "smtp:shared@contoso.com",
        ),
        (
            "Carol Smith",
            "proxy-smtp-duplicate",
            "duplicate",
            "smtp:shared@contoso.com",
        ),
        (
            "Bob Builder",
            "test-uac-disabled-no-password",
            "format",
            "546",
        ),
        (
            "Carol Smith",
            "test-uac-disabled-no-password",
            "format",
            "546",
        ),
        (
            "Dave Local",
            "test-uac-disabled-no-password",
            "format",
            "546",
        ),
    ]
    .iter()
    .map(|(cn, rule, cat, v)| (staff(cn), rule.to_string(), cat.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want, "{fs:#?}");
    use base64::Engine as _;
    for f in fs {
        // Real `user` objects, read from the live source (the base came from
        // defaultNamingContext), each with its binary objectGUID: 16 raw bytes, base64.
        assert_eq!(f["object_class"], "user", "{f}");
        assert_eq!(f["source"]["file"], "ldaps://127.0.0.1", "{f}");
        let g = f["object_guid"].as_str().expect("objectGUID");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(g)
                .unwrap()
                .len(),
            16,
            "{f}"
        );
    }
    // Each object has its own GUID.
    let guids: std::collections::HashSet<&str> = fs
        .iter()
        .map(|f| f["object_guid"].as_str().unwrap())
        .collect();
    assert_eq!(guids.len(), 3, "{fs:#?}");
    // The continuation reference to CN=Configuration is reported as a note, not followed.
    let diags = r["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["level"] == "note"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("CN=Configuration,DC=test,DC=example")),
        "{diags:?}"
    );
    assert!(
        diags.iter().all(|d| d["level"] == "note"),
        "{diags:?}\n{}",
        stderr(&o)
    );
    let snapshot = std::fs::read_to_string(&snap).unwrap();
    assert!(
        snapshot.contains("\nref: ldaps://test.example/CN=Configuration,DC=test,DC=example"),
        "{snapshot}"
    );
    assert!(
        !snapshot
            .lines()
            .any(|l| l.starts_with("dn: ") && l.ends_with("CN=Configuration,DC=test,DC=example")),
        "the reference was chased"
    );
    assert!(snapshot.contains("\nobjectGUID:: "));
    assert!(snapshot.contains("\nuserAccountControl: 546\n"));
    assert!(!snapshot.contains(ADMIN_PW) && !stderr(&o).contains(ADMIN_PW));
    // Built-in accounts (Administrator, Guest, krbtgt) are read as users too.
    assert!(snapshot.contains("dn: CN=Administrator,CN=Users,DC=test,DC=example"));

    fix_roundtrip(d, &ca);
    drop(guard);
    eprintln!(
        "samba test: DC ready after {:.1?}, done after {:.1?}",
        ready,
        t0.elapsed()
    );
}

fn ldap_tool(name: &str, ca: &std::path::Path) -> Command {
    let mut c = Command::new(tool(name));
    c.args([
        "-H",
        "ldaps://127.0.0.1",
        "-x",
        "-D",
        "Administrator@test.example",
        "-w",
        ADMIN_PW,
    ])
    .env("LDAPTLS_CACERT", ca)
    .env("LDAPTLS_REQCERT", "demand");
    c
}

const FIXES_OU: &str = "OU=Fixes,DC=test,DC=example";

/// The attributes fix files touch, of every user under OU=Fixes, as a set (AD changes
/// its own bookkeeping attributes on every modify; values are unordered).
fn samba_dump(ca: &std::path::Path) -> std::collections::BTreeSet<(String, String, Vec<u8>)> {
    let out = ok(ldap_tool("ldapsearch", ca).args([
        "-LLL",
        "-o",
        "ldif_wrap=no",
        "-b",
        FIXES_OU,
        "(objectClass=user)",
        "userPrincipalName",
        "mail",
        "proxyAddresses",
        "mailNickname",
        "sAMAccountName",
        "displayName",
    ]));
    live::dump_set(out.as_bytes())
}

/// Fix files against AD semantics (Samba enforces its schema and UPN uniqueness): the fix
/// LDIF applied with ldapmodify removes every finding that had a suggestion and adds none;
/// the undo restores every value.
fn fix_roundtrip(d: &std::path::Path, ca: &std::path::Path) {
    let users = format!(
        "dn: {FIXES_OU}\nobjectClass: organizationalUnit\nou: Fixes\n\n\
dn: CN=Fix One,{FIXES_OU}\nobjectClass: user\nsAMAccountName: fixone\nuserPrincipalName: fix one@contoso.com\nmail: fix.one@contoso.com\nproxyAddresses: SMTP:fix.one@contoso.com\nproxyAddresses: smtp:fix one (old)@contoso.com\n\n\
dn: CN=Fix Two,{FIXES_OU}\nobjectClass: user\nsAMAccountName: fixtwo\nuserPrincipalName:: {}\nproxyAddresses: SMTP:fix.two@contoso.com\nproxyAddresses: X500:/o=Contoso/cn=[fix two]\n\n\
dn: CN=Fix Three,{FIXES_OU}\nobjectClass: user\nsAMAccountName: fixthree\nuserPrincipalName: .fix..three.@contoso.com\nmail: <fix.three@contoso.com\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "fïx.two@contoso.com")
    );
    let f = write(d, "fixes-users.ldif", &users);
    ok(ldap_tool("ldapadd", ca).arg("-f").arg(&f));
    let original = samba_dump(ca);
    let scan = |extra: &[&std::ffi::OsStr]| -> serde_json::Value {
        let o = dirready()
            .args(["scan", "ldaps://127.0.0.1", "--base", FIXES_OU, "--bind-dn"])
            .arg("Administrator@test.example")
            .arg("--ca-file")
            .arg(ca)
            .args(["--format", "json", "-q"])
            .args(extra)
            .env("DIRREADY_BIND_PASSWORD", ADMIN_PW)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(code(&o) <= 1, "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let fix = d.join("samba-fixes.ldif");
    let undo = d.join("samba-undo.ldif");
    let before = finding_keys(&scan(&[
        "--fix-ldif".as_ref(),
        fix.as_os_str(),
        "--undo-ldif".as_ref(),
        undo.as_os_str(),
    ]));
    let fixable: Vec<_> = before.iter().filter(|k| k.1).map(|k| k.0.clone()).collect();
    assert!(fixable.len() >= 5, "{before:#?}");
    ok(ldap_tool("ldapmodify", ca).arg("-f").arg(&fix));
    let after = finding_keys(&scan(&[]));
    for (k, _) in &after {
        assert!(!fixable.contains(k), "still there after the fix: {k:?}");
        assert!(before.iter().any(|b| b.0 == *k), "new after the fix: {k:?}");
    }
    ok(ldap_tool("ldapmodify", ca).arg("-f").arg(&undo));
    let restored = samba_dump(ca);
    let missing: Vec<_> = original.difference(&restored).collect();
    let extra: Vec<_> = restored.difference(&original).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
}
