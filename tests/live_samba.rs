//! End-to-end test against a real Samba AD DC provisioned on loopback into a temporary
//! directory (LDAP service only, TLS with a test CA). It proves AD semantics: binary
//! objectGUIDs, the continuation reference to CN=Configuration (reported, not chased, and
//! no panic), real `user` objects, defaultNamingContext discovery. Samba listens on the
//! fixed ports 389/636 of `lo`; this file holds one test so only one DC runs at a time.
//! It fails, not skips, when Samba is not installed (.ci/run installs it).

mod common;
mod live;
use common::*;
use live::{make_certs, tool};
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

// NOT YET PASSING, hence ignored: provisioning and start work (about 5 s), but ldapadd
// over ldaps:// to the DC started with our test CA's certificate fails with "Can't contact
// LDAP server (-1)" (TLS setup suspected: check the samba log and the tls options). Run with
// `cargo test --test live_samba -- --ignored` once fixed, then install samba in .ci/run.
#[test]
#[ignore]
fn samba_ad_dc_live_scan_has_binary_guids_a_continuation_reference_and_user_objects() {
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
    let t = target.display();
    let child = Command::new(&samba)
        .arg("-s")
        .arg(target.join("etc/smb.conf"))
        .args(["-i", "--maximum-runtime=600"])
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
    let _guard = Samba { child };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", 636)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "samba does not answer on 636"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Users: a UPN with a space, and an SMTP proxy address two users share (Samba, like
    // AD, refuses duplicate UPNs but accepts duplicate proxyAddresses).
    let users = "dn: OU=Staff,DC=test,DC=example\nobjectClass: organizationalUnit\nou: Staff\n\n\
dn: CN=Bob Builder,OU=Staff,DC=test,DC=example\nobjectClass: user\nsAMAccountName: bob\nuserPrincipalName: bob@test.example\nmail: bob@test.example\nproxyAddresses: SMTP:bob@test.example\nproxyAddresses: smtp:shared@test.example\n\n\
dn: CN=Carol Smith,OU=Staff,DC=test,DC=example\nobjectClass: user\nsAMAccountName: carol\nuserPrincipalName: carol smith@test.example\nproxyAddresses: SMTP:carol@test.example\nproxyAddresses: smtp:shared@test.example\n";
    let f = write(d, "users.ldif", users);
    let mut add = Command::new(tool("ldapadd"));
    add.args([
        "-H",
        "ldaps://localhost",
        "-x",
        "-D",
        "Administrator@test.example",
        "-w",
        ADMIN_PW,
        "-f",
    ])
    .arg(&f)
    .env("LDAPTLS_CACERT", &ca);
    let start = Instant::now();
    loop {
        // The DC may need a moment after the port opens before it accepts binds.
        let o = add.output().unwrap();
        if o.status.success() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "ldapadd: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    let snap = d.join("seen.ldif");
    let o = dirready()
        .args([
            "scan",
            "ldaps://localhost",
            "--bind-dn",
            "Administrator@test.example",
            "--ca-file",
        ])
        .arg(&ca)
        .args(["--format", "json", "--snapshot"])
        .arg(&snap)
        .env("DIRREADY_BIND_PASSWORD", ADMIN_PW)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["summary"]["incomplete"], false);
    let fs = r["findings"].as_array().unwrap();
    // The base came from defaultNamingContext; the findings are on real `user` objects.
    let shared: Vec<&serde_json::Value> = fs
        .iter()
        .filter(|f| f["rule"] == "proxy-smtp-duplicate" && f["value"] == "smtp:shared@test.example")
        .collect();
    assert_eq!(shared.len(), 2, "{fs:?}");
    assert!(shared
        .iter()
        .all(|f| f["object_class"] == "user" && f["source"]["file"] == "ldaps://localhost"));
    assert!(fs
        .iter()
        .any(|f| f["dn"] == "CN=Carol Smith,OU=Staff,DC=test,DC=example"
            && f["rule"] == "upn-invalid-character"));
    // Binary objectGUIDs: 16 raw bytes, base64 in the finding.
    use base64::Engine as _;
    for f in &shared {
        let g = f["object_guid"].as_str().expect("objectGUID");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(g)
                .unwrap()
                .len(),
            16
        );
    }
    // The continuation reference to CN=Configuration is reported, not followed.
    let diags = r["diagnostics"].as_array().unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d["level"] == "note"
                && d["message"].as_str().unwrap().contains("CN=Configuration")),
        "{diags:?}"
    );
    let snapshot = std::fs::read_to_string(&snap).unwrap();
    assert!(snapshot.contains("\nref: ldaps://"), "{snapshot}");
    assert!(snapshot.contains("\nobjectGUID:: "));
    assert!(!snapshot.contains(ADMIN_PW) && !stderr(&o).contains(ADMIN_PW));
    // Built-in accounts (Administrator, Guest, krbtgt) are read as users too.
    assert!(snapshot.contains("dn: CN=Administrator,CN=Users,DC=test,DC=example"));
}
