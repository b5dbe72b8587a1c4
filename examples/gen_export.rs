//! Benchmark workload generator: writes a large, realistic Active Directory LDIF export.
//!
//! ```text
//! cargo run --release --example gen_export -- --objects 100000 --style ldifde|ldapsearch \
//!     [--defect-rate 0.05] [--seed N] -o out.ldif
//! ```
//!
//! * `ldifde` style: leading blank line, CRLF, `changetype: add` on every record, no folding.
//! * `ldapsearch` style: LF, `version: 1`, header comments, per-entry comments, lines folded
//!   at 78 bytes (folds fall mid-base64 and, in comments, mid-UTF-8), search references and a
//!   `search:`/`result:` trailer.
//!
//! Object mix: ~68% users (some inetOrgPerson, some disabled), ~10% contacts, ~10% groups,
//! ~10% computers, ~2% out-of-scope system objects (critical system objects, AAD_/MSOL_
//! accounts, SystemMailbox{...}, arbitration/discovery mailboxes, role groups, `\0ACNF:`
//! replication conflicts, non-mail-enabled contacts). Every object carries AD noise
//! (objectGUID/objectSid as base64, whenCreated, uSN*, dSCorePropagationData, ...).
//! About `--defect-rate` of the in-scope objects get one defective value (character, format,
//! length, blank, domain, or a duplicate of an earlier object's value).
//!
//! The output is streamed through a `BufWriter` and is byte-identical for a given seed and
//! argument set. Non-ASCII values and DNs are written as `::` base64.
//! Throughput is well above 100 MB/s on one core.
// A data generator and benchmark driver, not library code: casts of generated
// numbers and unwraps on its own output are fine here.
#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used
)]

use base64::Engine as _;
use clap::{Parser, ValueEnum};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum, Debug)]
enum Style {
    Ldifde,
    Ldapsearch,
}

#[derive(Parser, Debug)]
#[command(about = "Generate a large synthetic AD LDIF export (benchmark workload)")]
struct Args {
    /// Number of directory objects to write (OUs not counted).
    #[arg(long, default_value_t = 100_000)]
    objects: u64,
    /// Output style.
    #[arg(long, value_enum, default_value_t = Style::Ldifde)]
    style: Style,
    /// Fraction of in-scope objects that get one defective value.
    #[arg(long, default_value_t = 0.05)]
    defect_rate: f64,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of users with a thumbnailPhoto (5 KB to `--photo-kb-max` KB of JPEG-like bytes).
    #[arg(long, default_value_t = 0.0)]
    photo_share: f64,
    /// Largest photo, in KB (over 100 KB is LargeObject; over 10 KB a warning).
    #[arg(long, default_value_t = 100)]
    photo_kb_max: u64,
    /// Share of users with userCertificate values (1 to 3 of 1 to 4 KB; one holder in 50
    /// has 16 to 20 stale certificates, a LargeObject).
    #[arg(long, default_value_t = 0.0)]
    cert_share: f64,
    /// Extra `smtp:` aliases per mailbox user (real exports carry 3 to 5 proxy addresses).
    #[arg(long, default_value_t = 0)]
    aliases: u32,
    /// Share of groups with `--big-group-members` members (ldifde style: the first 1,500
    /// in the group's record, the rest in `changetype: modify` records after it).
    #[arg(long, default_value_t = 0.0)]
    big_group_share: f64,
    /// Members of a big group.
    #[arg(long, default_value_t = 5_000)]
    big_group_members: u64,
    /// Which forest to write: `a` (contoso) or `b`, a second forest of the same people
    /// at Northwind (DNs `DC=northwind,DC=com`, addresses in Northwind's domains, its own
    /// GUIDs and SIDs). Scanned together with forest `a` of the same `--objects` and `--seed`, it
    /// is the two-forest workload.
    #[arg(long, default_value = "a")]
    forest: String,
    /// Forest `b` only: share of objects that kept their forest-`a` addresses and mail
    /// nickname (a migration half done): they collide with forest `a`.
    #[arg(long, default_value_t = 0.02)]
    overlap: f64,
    /// Output file.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

/// xoshiro256** seeded with splitmix64: small, fast, deterministic.
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut s = [0u64; 4];
        for v in s.iter_mut() {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *v = x ^ (x >> 31);
        }
        Rng(s)
    }
    #[inline]
    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        // Wrapping: `n` may exceed 2^32 (the product's high bits are dropped, as in a
        // release build, so outputs stay the same).
        (self.next() >> 32).wrapping_mul(n) >> 32
    }
    #[inline]
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    #[inline]
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Priya",
    "Wei",
    "Aiko",
    "Omar",
    "Fatima",
    "Lars",
    "Ingrid",
    "Mateo",
    "Sofia",
    "Kwame",
    "José",
    "Zoë",
    "Björn",
    "Chloé",
    "Renée",
    "Søren",
    "Łukasz",
    "Ángel",
];
/// ASCII forms used for identifiers (same index as FIRST).
const FIRST_A: &[&str] = &[
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "daniel",
    "nancy",
    "matthew",
    "lisa",
    "anthony",
    "betty",
    "mark",
    "sandra",
    "priya",
    "wei",
    "aiko",
    "omar",
    "fatima",
    "lars",
    "ingrid",
    "mateo",
    "sofia",
    "kwame",
    "jose",
    "zoe",
    "bjorn",
    "chloe",
    "renee",
    "soren",
    "lukasz",
    "angel",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Patel",
    "Chen",
    "Kowalski",
    "Müller",
    "Núñez",
    "Ødegaard",
    "Gonçalves",
    "Šimek",
    "Yılmaz",
    "Dubois",
    "O'Brien",
];
const LAST_A: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "clark",
    "lewis",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "nguyen",
    "patel",
    "chen",
    "kowalski",
    "muller",
    "nunez",
    "odegaard",
    "goncalves",
    "simek",
    "yilmaz",
    "dubois",
    "o'brien",
];
const OUS: &[&str] = &[
    "OU=Staff,OU=Corp",
    "OU=Sales,OU=Staff,OU=Corp",
    "OU=Engineering,OU=Staff,OU=Corp",
    "OU=Finance,OU=Staff,OU=Corp",
    "OU=London,OU=Branches,OU=Corp",
    "OU=Berlin,OU=Branches,OU=Corp",
];
const DOMAINS: &[&str] = &[
    "contoso.com",
    "contoso.com",
    "contoso.com",
    "contoso.com",
    "contoso.com",
    "contoso.com",
    "sales.contoso.com",
    "fabrikam.com",
    "fabrikam.com",
    "tailspintoys.app",
    "wingtiptoys.shop",
    "litware.co.uk",
];
const GROUP_WORDS: &[&str] = &[
    "Sales",
    "Marketing",
    "Finance",
    "Engineering",
    "Legal",
    "Support",
    "Research",
    "Facilities",
    "Procurement",
    "Design",
    "Security",
    "Quality",
    "Logistics",
    "Audit",
];
const GROUP_SUFFIX: &[&str] = &[
    "Team",
    "All",
    "Leads",
    "Managers",
    "Readers",
    "Editors",
    "EMEA",
    "APAC",
    "Approvers",
];
const BASE: &str = "DC=contoso,DC=com";
const X500_PREFIX: &str =
    "X500:/o=ContosoOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=";

/// Identifiers of object `i`, recomputable from the index alone (used to plant duplicates).
fn person_ids(i: u64) -> (usize, usize, &'static str) {
    let mut r = Rng::new(i ^ 0x0005_EED0_F1D5);
    (
        r.below(FIRST.len() as u64) as usize,
        r.below(LAST.len() as u64) as usize,
        DOMAINS[r.below(DOMAINS.len() as u64) as usize],
    )
}
fn local_of(i: u64, out: &mut String) {
    let (f, l, _) = person_ids(i);
    out.clear();
    out.push_str(FIRST_A[f]);
    out.push('.');
    out.push_str(LAST_A[l]);
    out.push('.');
    push_base36(out, i);
}
fn sam_of(i: u64, out: &mut String) {
    let (f, l, _) = person_ids(i);
    out.clear();
    out.push_str(&FIRST_A[f][..1]);
    let last: String = LAST_A[l].chars().filter(|c| *c != '\'').take(12).collect();
    out.push_str(&last);
    push_base36(out, i);
}
fn push_base36(out: &mut String, mut n: u64) {
    let mut tmp = [0u8; 16];
    let mut k = tmp.len();
    loop {
        k -= 1;
        tmp[k] = b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&tmp[k..]).unwrap());
}

/// A value of forest `a` as forest `b` (Northwind) holds it: DNs under
/// `DC=northwind,DC=com`; address domains `contoso.*` → `northwind.*` and every other
/// domain D → `nw.D`; X.500 organisation and mail nicknames renamed. An object that
/// kept its addresses (`--overlap`) keeps them as in forest `a`.
fn forest_b_value(name: &str, v: &str, keep_addresses: bool, out: &mut String) {
    out.clear();
    let addressed = v.contains('@') || v.starts_with("X500:") || v.starts_with("x500:");
    if !addressed && !name.eq_ignore_ascii_case("mailNickname") {
        // DNs (the entry's, member, objectCategory, ...) and host names.
        out.push_str(
            &v.replace("DC=contoso", "DC=northwind")
                .replace("contoso.", "northwind.")
                .replace("ContosoOrg", "NorthwindOrg"),
        );
        return;
    }
    if keep_addresses && (addressed || name.eq_ignore_ascii_case("mailNickname")) {
        out.push_str(v);
        return;
    }
    if name.eq_ignore_ascii_case("mailNickname") {
        out.push_str(v);
        out.push_str("nw");
        return;
    }
    let v = v.replace("ContosoOrg", "NorthwindOrg");
    let mut rest = v.as_str();
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        match rest.strip_prefix("contoso.") {
            Some(r) => {
                out.push_str("northwind.");
                rest = r;
            }
            None => {
                if let Some(r) = rest.strip_prefix("sales.contoso.") {
                    out.push_str("sales.northwind.");
                    rest = r;
                } else if let Some(r) = rest.strip_prefix("exchange.contoso.") {
                    out.push_str("exchange.northwind.");
                    rest = r;
                } else {
                    out.push_str("nw.");
                }
            }
        }
    }
    out.push_str(rest);
}

struct Writer<W: Write> {
    out: W,
    style: Style,
    /// Forest `b`: contoso names become Northwind's (see `--forest`).
    forest_b: bool,
    /// Forest `b`: this object keeps its contoso addresses (`--overlap`).
    keep_addresses: bool,
    rewritten: String,
    line: Vec<u8>,
    b64: String,
    bytes: u64,
}

impl<W: Write> Writer<W> {
    fn eol(&self) -> &'static [u8] {
        match self.style {
            Style::Ldifde => b"\r\n",
            Style::Ldapsearch => b"\n",
        }
    }
    /// Emit the line in `self.line`, folding at 78 bytes in ldapsearch style.
    fn flush_line(&mut self) -> io::Result<()> {
        let eol = self.eol();
        let l = &self.line;
        if self.style == Style::Ldapsearch && l.len() > 78 {
            self.out.write_all(&l[..78])?;
            self.out.write_all(eol)?;
            self.bytes += 78 + eol.len() as u64;
            for chunk in l[78..].chunks(77) {
                self.out.write_all(b" ")?;
                self.out.write_all(chunk)?;
                self.out.write_all(eol)?;
                self.bytes += 1 + chunk.len() as u64 + eol.len() as u64;
            }
        } else {
            self.out.write_all(l)?;
            self.out.write_all(eol)?;
            self.bytes += (l.len() + eol.len()) as u64;
        }
        self.line.clear();
        Ok(())
    }
    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.line.extend_from_slice(s.as_bytes());
        self.flush_line()
    }
    fn blank(&mut self) -> io::Result<()> {
        self.flush_line()
    }
    /// `name: value`, or `name:: base64` when RFC 2849 requires it.
    fn attr(&mut self, name: &str, v: &[u8]) -> io::Result<()> {
        let safe = match v.first() {
            None => true,
            Some(&c) => {
                c != b' '
                    && c != b':'
                    && c != b'<'
                    && *v.last().unwrap() != b' '
                    && v.iter().all(|&b| (32..127).contains(&b))
            }
        };
        self.line.extend_from_slice(name.as_bytes());
        if safe {
            self.line.push(b':');
            if !v.is_empty() {
                self.line.push(b' ');
                self.line.extend_from_slice(v);
            }
        } else {
            self.line.extend_from_slice(b":: ");
            self.b64.clear();
            base64::engine::general_purpose::STANDARD.encode_string(v, &mut self.b64);
            self.line.extend_from_slice(self.b64.as_bytes());
        }
        self.flush_line()
    }
    fn a(&mut self, name: &str, v: &str) -> io::Result<()> {
        if self.forest_b {
            let mut out = std::mem::take(&mut self.rewritten);
            forest_b_value(name, v, self.keep_addresses, &mut out);
            let r = self.attr(name, out.as_bytes());
            self.rewritten = out;
            return r;
        }
        self.attr(name, v.as_bytes())
    }
    fn num(&mut self, name: &str, n: i64) -> io::Result<()> {
        self.line.extend_from_slice(name.as_bytes());
        self.line.extend_from_slice(b": ");
        let _ = write!(&mut self.line, "{n}");
        self.flush_line()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    InetOrgPerson,
    Contact,
    Group,
    Computer,
}

/// Defects, chosen uniformly when an object is selected for one.
#[derive(Clone, Copy, Debug)]
enum Defect {
    UpnSpace,
    UpnDiacritic,
    UpnBadChar,
    UpnNoAt,
    UpnDoubleDot,
    UpnLocalDomain,
    UpnLongLocal,
    UpnTrailingDot,
    MailSpace,
    MailNonPublicTld,
    MailTwoAt,
    ProxyNoPrefix,
    ProxySmtpSpace,
    ProxyX500Bracket,
    ProxySmtpColon,
    NickSpace,
    NickLeadingDot,
    NickNonAscii,
    SamTooLong,
    SamBadChar,
    DisplayBlank,
    DisplayLong,
    GivenLong,
    TargetSpace,
    DupUpn,
    DupProxy,
    DupNick,
    DupSam,
    DupX500,
}
const DEFECTS: &[Defect] = &[
    Defect::UpnSpace,
    Defect::UpnDiacritic,
    Defect::UpnBadChar,
    Defect::UpnNoAt,
    Defect::UpnDoubleDot,
    Defect::UpnLocalDomain,
    Defect::UpnLocalDomain,
    Defect::UpnLongLocal,
    Defect::UpnTrailingDot,
    Defect::MailSpace,
    Defect::MailNonPublicTld,
    Defect::MailTwoAt,
    Defect::ProxyNoPrefix,
    Defect::ProxySmtpSpace,
    Defect::ProxyX500Bracket,
    Defect::ProxySmtpColon,
    Defect::NickSpace,
    Defect::NickLeadingDot,
    Defect::NickNonAscii,
    Defect::SamTooLong,
    Defect::SamBadChar,
    Defect::DisplayBlank,
    Defect::DisplayLong,
    Defect::GivenLong,
    Defect::TargetSpace,
    Defect::DupUpn,
    Defect::DupProxy,
    Defect::DupNick,
    Defect::DupSam,
    Defect::DupX500,
];

struct Gen<W: Write> {
    w: Writer<W>,
    rng: Rng,
    usn: i64,
    // scratch
    cn: String,
    dn: String,
    upn: String,
    mail: String,
    sam: String,
    nick: String,
    tmp: String,
    tmp2: String,
    bin: [u8; 28],
    /// Binary values (photos, certificates).
    blob: Vec<u8>,
    photo_share: f64,
    photo_kb_max: u64,
    cert_share: f64,
    aliases: u32,
    big_group_share: f64,
    big_group_members: u64,
    overlap: f64,
    overlap_rng: Rng,
}

impl<W: Write> Gen<W> {
    fn when(&mut self, name: &str) -> io::Result<()> {
        let r = self.rng.next();
        let s = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}.0Z",
            2008 + r % 17,
            1 + (r >> 8) % 12,
            1 + (r >> 16) % 28,
            (r >> 24) % 24,
            (r >> 32) % 60,
            (r >> 40) % 60
        );
        self.w.a(name, &s)
    }

    /// objectGUID (random) and objectSid: one domain SID, the RID from the object's index,
    /// so no two objects share a SID (as in a real domain).
    fn guid_sid(&mut self, rid: i64) -> io::Result<()> {
        let mut g = [0u8; 16];
        self.rng.fill(&mut g);
        if self.w.forest_b {
            // Its own GUIDs and domain SID; the names stay those of forest `a`.
            g[0] ^= 0x5a;
            g[15] ^= 0xb7;
        }
        self.w.attr("objectGUID", &g)?;
        let b = &mut self.bin;
        b[..8].copy_from_slice(&[1, 5, 0, 0, 0, 0, 0, 5]);
        for (k, sub) in [
            21u32,
            1_844_237_615 + u32::from(self.w.forest_b),
            2_147_210_343,
            3_591_812_398,
            rid as u32,
        ]
        .iter()
        .enumerate()
        {
            b[8 + 4 * k..12 + 4 * k].copy_from_slice(&sub.to_le_bytes());
        }
        let sid = self.bin;
        self.w.attr("objectSid", &sid)
    }

    fn head(&mut self, kind: Kind, oc_extra: &[&str]) -> io::Result<()> {
        // Its own random stream, so that forest `b` has the same people as forest `a`.
        self.w.keep_addresses = self.w.forest_b && self.overlap_rng.f64() < self.overlap;
        if self.w.style == Style::Ldapsearch {
            // ldapsearch writes the UFN as a comment, wrapped like any other line (raw UTF-8)
            self.w.line.extend_from_slice(b"# ");
            let cn = self.cn.replace('\n', " ");
            self.w.line.extend_from_slice(cn.as_bytes());
            self.w.line.extend_from_slice(b", Corp, contoso.com");
            self.w.flush_line()?;
        }
        let dn = std::mem::take(&mut self.dn);
        self.w.a("dn", &dn)?;
        if self.w.style == Style::Ldifde {
            self.w.raw("changetype: add")?;
        }
        let ocs: &[&str] = match kind {
            Kind::User => &["top", "person", "organizationalPerson", "user"],
            Kind::InetOrgPerson => &[
                "top",
                "person",
                "organizationalPerson",
                "user",
                "inetOrgPerson",
            ],
            Kind::Contact => &["top", "person", "organizationalPerson", "contact"],
            Kind::Group => &["top", "group"],
            Kind::Computer => &["top", "person", "organizationalPerson", "user", "computer"],
        };
        for oc in ocs.iter().chain(oc_extra) {
            self.w.a("objectClass", oc)?;
        }
        let cn = std::mem::take(&mut self.cn);
        self.w.a("cn", &cn)?;
        self.cn = cn;
        self.w.a("distinguishedName", &dn)?;
        self.dn = dn;
        self.w.num("instanceType", 4)?;
        self.when("whenCreated")?;
        self.when("whenChanged")?;
        self.usn += 1 + self.rng.below(40) as i64;
        let usn = self.usn;
        self.w.num("uSNCreated", usn)?;
        self.w
            .num("uSNChanged", usn + 1 + self.rng.below(5000) as i64)
    }

    fn tail(&mut self, category: &str) -> io::Result<()> {
        self.tmp.clear();
        self.tmp.push_str("CN=");
        self.tmp.push_str(category);
        self.tmp.push_str(",CN=Schema,CN=Configuration,");
        self.tmp.push_str(BASE);
        let t = std::mem::take(&mut self.tmp);
        self.w.a("objectCategory", &t)?;
        self.tmp = t;
        self.w.a("dSCorePropagationData", "20230114093512.0Z")?;
        self.w.a("dSCorePropagationData", "16010101000000.0Z")
    }

    fn set_dn(&mut self, ou: &str) {
        self.dn.clear();
        self.dn.push_str("CN=");
        for c in self.cn.chars() {
            if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
                self.dn.push('\\');
            }
            self.dn.push(c);
        }
        self.dn.push(',');
        self.dn.push_str(ou);
        self.dn.push(',');
        self.dn.push_str(BASE);
    }

    /// A user / inetOrgPerson / mail user. `defect` mutates one value.
    fn person(&mut self, i: u64, kind: Kind, defect: Option<Defect>) -> io::Result<()> {
        let (f, l, dom) = person_ids(i);
        let mut given = FIRST[f].to_string();
        let sn = LAST[l];
        self.cn.clear();
        self.cn.push_str(FIRST[f]);
        self.cn.push(' ');
        self.cn.push_str(sn);
        self.cn.push(' ');
        push_base36(&mut self.cn, i);
        let ou = *self.rng.pick(OUS);
        self.set_dn(ou);
        local_of(i, &mut self.tmp);
        self.upn.clear();
        self.upn.push_str(&self.tmp);
        self.upn.push('@');
        self.upn.push_str(dom);
        self.mail.clone_from(&self.upn);
        sam_of(i, &mut self.sam);
        self.sam.truncate(20);
        self.nick.clone_from(&self.sam);
        let mut display = self.cn.clone();
        let mailbox = self.rng.f64() < 0.7;
        let mut alias = format!("{}{}", &FIRST_A[f][..1], LAST_A[l]);
        push_base36(&mut alias, i);
        alias.push('@');
        alias.push_str(dom);
        let mut x500 = String::with_capacity(160);
        x500.push_str(X500_PREFIX);
        let mut h = [0u8; 16];
        self.rng.fill(&mut h);
        for b in h {
            let _ = std::fmt::Write::write_fmt(&mut x500, format_args!("{b:02x}"));
        }
        x500.push('-');
        x500.push_str(&self.sam);
        let mut extra_proxy: Option<String> = None;
        let mut target: Option<String> = None;
        let j = if i > 0 { self.rng.below(i) } else { 0 };
        match defect {
            Some(Defect::UpnSpace) => self.upn.insert(self.upn.find('.').unwrap_or(1), ' '),
            Some(Defect::UpnDiacritic) => self.upn.insert(0, 'é'),
            Some(Defect::UpnBadChar) => {
                let c = *self.rng.pick(&[
                    '%', '&', '*', '+', '/', '=', '?', '{', '}', '|', '(', ')', ',', ';', ':', '[',
                    ']', '"', '\\', '<', '>',
                ]);
                self.upn.insert(1, c)
            }
            Some(Defect::UpnNoAt) => self.upn = self.upn.replace('@', "."),
            Some(Defect::UpnDoubleDot) => self.upn.insert(self.upn.find('.').unwrap_or(1), '.'),
            Some(Defect::UpnLocalDomain) => {
                let tld = *self
                    .rng
                    .pick(&["local", "lan", "internal", "corp", "localdomain"]);
                self.upn.truncate(self.upn.find('@').unwrap() + 1);
                self.upn.push_str("contoso.");
                self.upn.push_str(tld);
            }
            Some(Defect::UpnLongLocal) => self.upn.insert_str(0, &"x".repeat(60)),
            Some(Defect::UpnTrailingDot) => self.upn.insert(self.upn.find('@').unwrap(), '.'),
            Some(Defect::MailSpace) => self.mail.insert(1, ' '),
            Some(Defect::MailNonPublicTld) => {
                self.mail.truncate(self.mail.find('@').unwrap() + 1);
                self.mail.push_str("exchange.contoso.local");
            }
            Some(Defect::MailTwoAt) => self.mail.insert(2, '@'),
            Some(Defect::ProxyNoPrefix) => extra_proxy = Some(alias.clone()),
            Some(Defect::ProxySmtpSpace) => extra_proxy = Some(format!("smtp:old {alias}")),
            Some(Defect::ProxyX500Bracket) => {
                extra_proxy = Some(format!("{X500_PREFIX}[legacy]{}", self.sam))
            }
            Some(Defect::ProxySmtpColon) => extra_proxy = Some(format!("smtp:sip:{alias}")),
            Some(Defect::NickSpace) => self.nick.insert(1, ' '),
            Some(Defect::NickLeadingDot) => self.nick.insert(0, '.'),
            Some(Defect::NickNonAscii) => self.nick.push('ß'),
            Some(Defect::SamTooLong) => {
                self.sam.clear();
                self.sam.push_str("svc_");
                self.sam.push_str(LAST_A[l]);
                self.sam.push_str("_reporting_");
                push_base36(&mut self.sam, i);
            }
            Some(Defect::SamBadChar) => self
                .sam
                .insert(1, *self.rng.pick(&['/', '+', '=', '[', '*', '?', '|'])),
            Some(Defect::DisplayBlank) => {
                display = if self.rng.below(2) == 0 {
                    String::new()
                } else {
                    "  ".into()
                }
            }
            Some(Defect::DisplayLong) => display = "D".repeat(300),
            Some(Defect::GivenLong) => {
                given = "Maximiliane-Alexandra-Konstantina-Friederike-Wilhelmina-Theodora".into()
            }
            Some(Defect::TargetSpace) => {
                target = Some(format!("SMTP:{} ext@fabrikam.com", LAST_A[l]))
            }
            Some(Defect::DupUpn) => {
                // this object's smtp alias = earlier object j's UPN (cross-attribute, other case)
                local_of(j, &mut self.tmp2);
                let (_, _, dj) = person_ids(j);
                extra_proxy = Some(format!("smtp:{}@{}", self.tmp2.to_uppercase(), dj));
            }
            Some(Defect::DupProxy) => extra_proxy = Some(format!("smtp:{}", alias)),
            Some(Defect::DupNick) => {
                sam_of(j, &mut self.nick);
                self.nick.truncate(20);
            }
            Some(Defect::DupSam) => {
                sam_of(j, &mut self.sam);
                self.sam.truncate(20);
                self.sam = self.sam.to_uppercase();
            }
            Some(Defect::DupX500) => {
                extra_proxy = Some(format!("{X500_PREFIX}shared-legacy-{}", i % 97));
            }
            None => {}
        }
        let uac = if self.rng.below(20) == 0 {
            514
        } else {
            *self.rng.pick(&[512, 512, 512, 66048, 544])
        };

        self.head(kind, &[])?;
        self.w.a("sn", sn)?;
        self.w.a("givenName", &given)?;
        self.w.a("displayName", &display)?;
        let cn = std::mem::take(&mut self.cn);
        self.w.a("name", &cn)?;
        self.cn = cn;
        self.w.num("userAccountControl", uac)?;
        self.w.num("codePage", 0)?;
        self.w.num("countryCode", 0)?;
        self.w.num(
            "pwdLastSet",
            133_000_000_000_000_000 + self.rng.below(1 << 50) as i64,
        )?;
        self.w.num("primaryGroupID", 513)?;
        self.guid_sid(1000 + i as i64)?;
        self.w.a("accountExpires", "9223372036854775807")?;
        let s = std::mem::take(&mut self.sam);
        self.w.a("sAMAccountName", &s)?;
        self.sam = s;
        self.w.num("sAMAccountType", 805_306_368)?;
        let u = std::mem::take(&mut self.upn);
        self.w.a("userPrincipalName", &u)?;
        self.upn = u;
        self.tail("Person")?;
        if mailbox || extra_proxy.is_some() || defect.is_some() {
            let m = std::mem::take(&mut self.mail);
            self.w.a("mail", &m)?;
            self.tmp.clear();
            self.tmp.push_str("SMTP:");
            self.tmp.push_str(&m);
            self.mail = m;
            let t = std::mem::take(&mut self.tmp);
            // only write the primary SMTP when it is a valid copy of mail (keeps defects single)
            if !matches!(
                defect,
                Some(Defect::MailSpace | Defect::MailNonPublicTld | Defect::MailTwoAt)
            ) {
                self.w.a("proxyAddresses", &t)?;
                self.w.a("proxyAddresses", &format!("smtp:{alias}"))?;
            }
            self.tmp = t;
            self.w.a("proxyAddresses", &x500)?;
            if self.rng.below(4) == 0 {
                self.w.a("proxyAddresses", &format!("SIP:{}", self.upn))?;
            }
            if let Some(p) = &extra_proxy {
                self.w.a("proxyAddresses", p)?;
            }
            // Aliases keep the user's alias domain: `local.aK@domain`, unique per user.
            let (local, domain) = alias
                .split_once('@')
                .unwrap_or((alias.as_str(), "contoso.com"));
            for k in 0..self.aliases {
                self.w
                    .a("proxyAddresses", &format!("smtp:{local}.a{k}@{domain}"))?;
            }
            if let Some(t) = &target {
                self.w.a("targetAddress", t)?;
            }
            let n = std::mem::take(&mut self.nick);
            self.w.a("mailNickname", &n)?;
            self.nick = n;
            let rtd = if target.is_some() {
                128
            } else if self.rng.below(10) == 0 {
                2_147_483_648
            } else {
                1
            };
            self.w.num("msExchRecipientTypeDetails", rtd)?;
            self.w.a(
                "legacyExchangeDN",
                &format!("/o=ContosoOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn={}", self.sam),
            )?;
        }
        self.binaries()?;
        self.w.blank()
    }

    /// A user's photo and certificates, when the run asks for them.
    fn binaries(&mut self) -> io::Result<()> {
        if self.photo_share > 0.0 && self.rng.f64() < self.photo_share {
            let n = 5_000 + self.rng.below(self.photo_kb_max * 1000 - 4_999) as usize;
            self.blob.resize(n, 0);
            self.rng.fill(&mut self.blob);
            self.blob[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
            let b = std::mem::take(&mut self.blob);
            self.w.attr("thumbnailPhoto", &b)?;
            self.blob = b;
        }
        if self.cert_share > 0.0 && self.rng.f64() < self.cert_share {
            let k = if self.rng.below(50) == 0 {
                16 + self.rng.below(5)
            } else {
                1 + self.rng.below(3)
            };
            for _ in 0..k {
                let n = 1_000 + self.rng.below(3_001) as usize;
                self.blob.resize(n, 0);
                self.rng.fill(&mut self.blob);
                self.blob[..2].copy_from_slice(&[0x30, 0x82]);
                let b = std::mem::take(&mut self.blob);
                self.w.attr("userCertificate", &b)?;
                self.blob = b;
            }
        }
        Ok(())
    }

    fn contact(&mut self, i: u64, mail_enabled: bool, defect: Option<Defect>) -> io::Result<()> {
        let (f, l, _) = person_ids(i);
        self.cn.clear();
        self.cn.push_str(FIRST[f]);
        self.cn.push(' ');
        self.cn.push_str(LAST[l]);
        self.cn.push_str(" (Fabrikam ");
        push_base36(&mut self.cn, i);
        self.cn.push(')');
        self.set_dn("OU=Contacts,OU=Corp");
        local_of(i, &mut self.tmp2);
        let mut addr = format!("{}@fabrikam.com", self.tmp2);
        let mut nick = format!("{}-ext", self.tmp2.replace('\'', ""));
        match defect {
            Some(Defect::MailSpace) => addr.insert(1, ' '),
            Some(Defect::MailNonPublicTld) => addr.push_str(".local"),
            Some(Defect::NickSpace) => nick.insert(1, ' '),
            _ => {}
        }
        self.head(Kind::Contact, &[])?;
        self.w.a("sn", LAST[l])?;
        self.w.a("givenName", FIRST[f])?;
        if self.rng.below(3) != 0 {
            self.w.a(
                "displayName",
                &format!("{} {} (Fabrikam)", FIRST[f], LAST[l]),
            )?;
        }
        let mut g = [0u8; 16];
        self.rng.fill(&mut g);
        if self.w.forest_b {
            // Its own GUIDs and domain SID; the names stay those of forest `a`.
            g[0] ^= 0x5a;
            g[15] ^= 0xb7;
        }
        self.w.attr("objectGUID", &g)?;
        self.tail("Person")?;
        if mail_enabled {
            self.w.a("mail", &addr)?;
            self.w.a("proxyAddresses", &format!("SMTP:{addr}"))?;
            self.w.a("targetAddress", &format!("SMTP:{addr}"))?;
            self.w.a("mailNickname", &nick)?;
            self.w.num("msExchRecipientDisplayType", 6)?;
        }
        self.w.blank()
    }

    fn group(&mut self, i: u64, defect: Option<Defect>) -> io::Result<()> {
        self.cn.clear();
        let w = self.rng.pick::<&str>(GROUP_WORDS);
        self.cn.push_str(w);
        self.cn.push(' ');
        let w = self.rng.pick::<&str>(GROUP_SUFFIX);
        self.cn.push_str(w);
        self.cn.push(' ');
        push_base36(&mut self.cn, i);
        self.set_dn("OU=Groups,OU=Corp");
        let mut sam = self.cn.clone(); // spaces are legal in a group sAMAccountName
        let mail_enabled = self.rng.below(2) == 0 || defect.is_some();
        let mut nick = self.cn.replace(' ', "-");
        let mut mail = format!("{}@contoso.com", nick.to_lowercase());
        match defect {
            Some(Defect::SamTooLong) => sam = "G".repeat(260),
            Some(Defect::SamBadChar) => sam.push_str(" [old]"),
            Some(Defect::NickSpace) => nick = self.cn.clone(),
            Some(Defect::MailNonPublicTld) => mail.push_str(".corp"),
            _ => {}
        }
        self.head(Kind::Group, &[])?;
        if self.rng.below(2) == 0 || matches!(defect, Some(Defect::DisplayBlank)) {
            let d = if defect.is_some() && matches!(defect, Some(Defect::DisplayBlank)) {
                String::new()
            } else {
                self.cn.clone()
            };
            self.w.a("displayName", &d)?;
        }
        self.w
            .num("groupType", if mail_enabled { 8 } else { -2_147_483_646 })?;
        self.guid_sid(1000 + i as i64)?;
        self.w.a("sAMAccountName", &sam)?;
        self.w.num("sAMAccountType", 268_435_456)?;
        self.tail("Group")?;
        let big = self.big_group_share > 0.0 && self.rng.f64() < self.big_group_share;
        let members = if big {
            self.big_group_members
        } else {
            1 + self.rng.below(4)
        };
        // ldifde writes a big attribute's first values in the record, the rest after it.
        let in_record = if big && self.w.style == Style::Ldifde {
            members.min(1_500)
        } else {
            members
        };
        for k in 0..in_record {
            let (f, l, _) = person_ids(i.saturating_sub(k + 1));
            // A big group's members need distinct DNs: numbered.
            let n = if big { format!(" {k}") } else { String::new() };
            self.w.a(
                "member",
                &format!("CN={} {}{n},OU=Staff,OU=Corp,{BASE}", FIRST[f], LAST[l]),
            )?;
        }
        if mail_enabled {
            self.w.a("mail", &mail)?;
            self.w.a("proxyAddresses", &format!("SMTP:{mail}"))?;
            self.w.a(
                "proxyAddresses",
                &format!("{X500_PREFIX}{}", nick.to_lowercase()),
            )?;
            self.w.a("mailNickname", &nick)?;
            self.w.num("msExchRecipientTypeDetails", 8)?;
        }
        self.w.blank()?;
        let mut k = in_record;
        while k < members {
            let dn = self.dn.clone();
            self.w.a("dn", &dn)?;
            self.w.raw("changetype: modify")?;
            self.w.raw("add: member")?;
            for m in k..(k + 1_500).min(members) {
                let (f, l, _) = person_ids(i.saturating_sub(m + 1));
                self.w.a(
                    "member",
                    &format!("CN={} {} {m},OU=Staff,OU=Corp,{BASE}", FIRST[f], LAST[l]),
                )?;
            }
            self.w.raw("-")?;
            self.w.blank()?;
            k += 1_500;
        }
        Ok(())
    }

    fn computer(&mut self, i: u64) -> io::Result<()> {
        self.cn.clear();
        self.cn.push_str("WS-");
        push_base36(&mut self.cn, i);
        self.cn.make_ascii_uppercase();
        self.set_dn("OU=Workstations,OU=Corp");
        let name = self.cn.clone();
        self.head(Kind::Computer, &[])?;
        self.w.num("userAccountControl", 4096)?;
        self.guid_sid(1000 + i as i64)?;
        self.w.a("sAMAccountName", &format!("{name}$"))?;
        self.w.num("sAMAccountType", 805_306_369)?;
        self.w.a(
            "dNSHostName",
            &format!("{}.contoso.com", name.to_lowercase()),
        )?;
        self.w.a("operatingSystem", "Windows 11 Enterprise")?;
        self.w.a("servicePrincipalName", &format!("HOST/{name}"))?;
        self.tail("Computer")?;
        self.w.blank()
    }

    /// Out-of-scope system objects, many carrying defects or duplicates on purpose.
    fn system(&mut self, i: u64) -> io::Result<()> {
        let which = self.rng.below(7);
        let (f, l, dom) = person_ids(i);
        self.cn.clear();
        let mut oc_kind = Kind::User;
        let mut attrs: Vec<(&str, String)> = Vec::new();
        let mut raw_dn: Option<String> = None;
        match which {
            0 => {
                self.cn.push_str("svc-critical-");
                push_base36(&mut self.cn, i);
                attrs.push(("isCriticalSystemObject", "TRUE".into()));
                attrs.push(("userPrincipalName", format!("{}@contoso.local", self.cn)));
            }
            1 => {
                self.cn
                    .push_str("On-Premises Directory Synchronization Service Account ");
                push_base36(&mut self.cn, i);
                let mut s = String::from("AAD_");
                push_base36(&mut s, i * 7919);
                s.push_str("f00dcafe");
                attrs.push(("sAMAccountName", s));
            }
            2 => {
                self.cn.push_str("MSOL_");
                push_base36(&mut self.cn, i);
                attrs.push(("sAMAccountName", self.cn.clone()));
                // duplicate of an in-scope user's UPN: must not be reported
                local_of(i.saturating_sub(1), &mut self.tmp2);
                attrs.push(("mail", format!("{}@{}", self.tmp2, dom)));
            }
            3 => {
                self.cn.push_str("SystemMailbox{");
                let mut h = [0u8; 16];
                self.rng.fill(&mut h);
                for b in h {
                    let _ = std::fmt::Write::write_fmt(&mut self.cn, format_args!("{b:02x}"));
                }
                self.cn.push('}');
                attrs.push(("mailNickname", self.cn.clone()));
                attrs.push(("msExchRecipientTypeDetails", "8388608".into()));
                attrs.push(("userPrincipalName", format!("{}@contoso.com", self.cn)));
            }
            4 => {
                oc_kind = Kind::Group;
                self.cn.push_str("Organization Management ");
                push_base36(&mut self.cn, i);
                attrs.push(("msExchRecipientTypeDetails", "1073741824".into()));
                attrs.push(("mailNickname", "Organization Management".into()));
            }
            5 => {
                // replication conflict copy of an earlier user
                self.cn.push_str(FIRST[f]);
                self.cn.push(' ');
                self.cn.push_str(LAST[l]);
                let mut h = [0u8; 16];
                self.rng.fill(&mut h);
                let g: String = h.iter().map(|b| format!("{b:02x}")).collect();
                raw_dn = Some(format!(
                    "CN={} {}\\0ACNF:{}-{}-{}-{}-{},OU=Staff,OU=Corp,{BASE}",
                    FIRST[f],
                    LAST[l],
                    &g[..8],
                    &g[8..12],
                    &g[12..16],
                    &g[16..20],
                    &g[20..]
                ));
                self.cn.push_str("\nCNF:");
                self.cn.push_str(&g);
                local_of(i.saturating_sub(2), &mut self.tmp2);
                attrs.push(("userPrincipalName", format!("{}@{}", self.tmp2, dom)));
            }
            _ => {
                oc_kind = Kind::Contact;
                self.cn.push_str("Unmailed Contact ");
                push_base36(&mut self.cn, i);
                attrs.push(("displayName", String::new()));
            }
        }
        match raw_dn {
            Some(d) => self.dn = d,
            None => self.set_dn("CN=Users"),
        }
        self.head(oc_kind, &[])?;
        if oc_kind != Kind::Contact {
            self.guid_sid(1000 + i as i64)?;
        } else {
            let mut g = [0u8; 16];
            self.rng.fill(&mut g);
            self.w.attr("objectGUID", &g)?;
        }
        if oc_kind == Kind::User && !attrs.iter().any(|(k, _)| *k == "sAMAccountName") {
            let mut s = String::from("sys");
            push_base36(&mut s, i);
            attrs.push(("sAMAccountName", s));
        }
        for (k, v) in &attrs {
            self.w.a(k, v)?;
        }
        self.tail(if oc_kind == Kind::Group {
            "Group"
        } else {
            "Person"
        })?;
        self.w.blank()
    }
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let file = File::create(&args.output)?;
    let w = Writer {
        out: BufWriter::with_capacity(1 << 20, file),
        style: args.style,
        forest_b: match args.forest.as_str() {
            "a" => false,
            "b" => true,
            other => return Err(io::Error::other(format!("--forest {other}: a or b"))),
        },
        keep_addresses: false,
        rewritten: String::new(),
        line: Vec::with_capacity(4096),
        b64: String::with_capacity(4096),
        bytes: 0,
    };
    let mut g = Gen {
        w,
        rng: Rng::new(args.seed),
        usn: 12_000,
        cn: String::new(),
        dn: String::new(),
        upn: String::new(),
        mail: String::new(),
        sam: String::new(),
        nick: String::new(),
        tmp: String::new(),
        tmp2: String::new(),
        bin: [0; 28],
        blob: Vec::new(),
        photo_share: args.photo_share,
        photo_kb_max: args.photo_kb_max.max(5),
        cert_share: args.cert_share,
        aliases: args.aliases,
        big_group_share: args.big_group_share,
        big_group_members: args.big_group_members,
        overlap: args.overlap,
        overlap_rng: Rng::new(args.seed ^ 0x0F0F_0F0F),
    };

    match args.style {
        Style::Ldifde => g.w.blank()?,
        Style::Ldapsearch => {
            for l in [
                "version: 1", "", "# extended LDIF", "#", "# LDAPv3",
                "# base <DC=contoso,DC=com> with scope subtree",
                "# filter: (|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=computer)(objectClass=organizationalUnit))",
                "# requesting: ALL", "#", "",
            ] {
                g.w.raw(l)?;
            }
        }
    }
    let ous: Vec<&str> = ["OU=Corp", "OU=Staff,OU=Corp", "OU=Branches,OU=Corp"]
        .iter()
        .chain(OUS.iter().skip(1))
        .chain(
            [
                "OU=Contacts,OU=Corp",
                "OU=Groups,OU=Corp",
                "OU=Workstations,OU=Corp",
            ]
            .iter(),
        )
        .copied()
        .collect();
    for ou in &ous {
        if g.w.style == Style::Ldapsearch {
            g.w.raw(&format!(
                "# {}, contoso.com",
                ou.replace("OU=", "").replace(',', ", ")
            ))?;
        }
        g.w.a("dn", &format!("{ou},{BASE}"))?;
        if g.w.style == Style::Ldifde {
            g.w.raw("changetype: add")?;
        }
        g.w.a("objectClass", "top")?;
        g.w.a("objectClass", "organizationalUnit")?;
        g.w.a("ou", &ou[3..ou.find(',').unwrap_or(ou.len())])?;
        let mut h = [0u8; 16];
        g.rng.fill(&mut h);
        g.w.attr("objectGUID", &h)?;
        g.w.blank()?;
    }

    for i in 0..args.objects {
        let r = g.rng.below(1000);
        let defect = if g.rng.f64() < args.defect_rate {
            Some(*g.rng.pick(DEFECTS))
        } else {
            None
        };
        match r {
            0..=599 => g.person(i, Kind::User, defect)?,
            600..=679 => g.person(i, Kind::InetOrgPerson, defect)?,
            680..=779 => {
                let d = defect.filter(|d| {
                    matches!(
                        d,
                        Defect::MailSpace | Defect::MailNonPublicTld | Defect::NickSpace
                    )
                });
                g.contact(i, true, d)?
            }
            780..=879 => {
                let d = defect.filter(|d| {
                    matches!(
                        d,
                        Defect::SamTooLong
                            | Defect::SamBadChar
                            | Defect::NickSpace
                            | Defect::MailNonPublicTld
                            | Defect::DisplayBlank
                    )
                });
                g.group(i, d)?
            }
            880..=979 => g.computer(i)?,
            _ => g.system(i)?,
        }
    }

    if g.w.style == Style::Ldapsearch {
        for r in [
            "ldap://ForestDnsZones.contoso.com/DC=ForestDnsZones,DC=contoso,DC=com",
            "ldap://DomainDnsZones.contoso.com/DC=DomainDnsZones,DC=contoso,DC=com",
            "ldap://contoso.com/CN=Configuration,DC=contoso,DC=com",
        ] {
            g.w.raw("# search reference")?;
            g.w.a("ref", r)?;
            g.w.blank()?;
        }
        let n = args.objects + ous.len() as u64;
        for l in [
            "# search result".to_string(),
            "search: 2".into(),
            "result: 0 Success".into(),
            String::new(),
            format!("# numResponses: {}", n + 4),
            format!("# numEntries: {n}"),
            "# numReferences: 3".into(),
        ] {
            g.w.raw(&l)?;
        }
    }
    let bytes = g.w.bytes;
    g.w.out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} objects, {:.1} MB in {:.2}s ({:.0} MB/s) to {}",
        args.objects,
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs.max(1e-9),
        args.output.display()
    );
    Ok(())
}
