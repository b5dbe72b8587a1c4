//! A live directory (`ldap://`, `ldaps://`, `ldapi://`) as a source, exactly like an LDIF file.
//!
//! A fetch thread binds, runs one paged subtree search (ldap3, sync API) and writes every
//! entry as LDIF ([`super::ldif_writer`]) into a bounded channel; the [`LiveReader`] end of
//! the channel is a plain [`Read`], so the engine cuts it into blocks and checks it in
//! parallel while the search goes on, with memory bounded by the channel. With
//! `--snapshot` the same bytes are written to a file, so the line numbers a finding cites
//! (`source.line`) are the lines of the snapshot.
//!
//! Read-only by construction: the only operations issued are bind, search, (StartTLS) and
//! unbind. The password lives in a [`Secret`], which never prints.
//!
//! Errors are one line naming what failed; a fatal error (even after some entries were
//! streamed) surfaces as an I/O error carrying a [`LiveError`], which the engine turns
//! into an input error for this source: the scan is never reported as complete.

use super::ldif_writer;
use crate::source::input::{BlockReader, Input, InputError};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{LdapConn, LdapConnSettings, LdapError, LdapResult, Scope, SearchEntry};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::Duration;

/// Largest page a server is asked for (AD's MaxPageSize; OpenLDAP refuses bigger pages
/// with adminLimitExceeded when `size.pr` is 1000).
pub const MAX_PAGE_SIZE: i32 = 1000;
/// LDIF bytes gathered before they are handed to the engine.
const CHUNK: usize = 256 << 10;
/// Chunks in flight between the fetch thread and the engine.
const CHANNEL_CHUNKS: usize = 8;
/// Follow-up searches per ranged attribute before giving up (1500 values each on AD).
const MAX_RANGE_STEPS: usize = 100_000;

/// Is this input a live directory URL rather than a file?
pub fn is_url(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("ldap://") || l.starts_with("ldaps://") || l.starts_with("ldapi://")
}

/// The URL as shown in reports and messages: as given, minus any `user:password@`.
pub fn display_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..auth_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

fn scheme(url: &str) -> String {
    url.split("://").next().unwrap_or("").to_ascii_lowercase()
}

/// A password: never printed, never serialised.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How live sources are read (the `scan` flags that apply to them).
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Search base; `None` reads the rootDSE's defaultNamingContext (or first namingContexts).
    pub base: Option<String>,
    pub filter: String,
    pub bind_dn: Option<String>,
    pub password: Option<Secret>,
    pub starttls: bool,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
    pub allow_plaintext_bind: bool,
    pub page_size: i32,
    pub timeout: Duration,
    /// Attributes requested (from the rule set).
    pub attributes: Vec<String>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            base: None,
            filter: "(objectClass=*)".into(),
            bind_dn: None,
            password: None,
            starttls: false,
            ca_file: None,
            insecure_skip_verify: false,
            allow_plaintext_bind: false,
            page_size: 500,
            timeout: Duration::from_secs(60),
            attributes: Vec::new(),
        }
    }
}

/// A live-source setting that cannot work, found before any network traffic.
#[derive(Debug, thiserror::Error)]
pub enum LiveConfigError {
    #[error("unknown URL scheme `{0}`")]
    UnknownScheme(String),
    #[error("--starttls applies to ldap:// URLs only")]
    StartTlsNeedsLdap,
    #[error("refusing a simple bind over plain ldap:// (the password would cross the network in clear text): use ldaps://, --starttls, or --allow-plaintext-bind")]
    PlaintextBind,
    #[error("--page-size must be 1 to {MAX_PAGE_SIZE}")]
    PageSize,
    #[error("--timeout must be at least 1 second")]
    Timeout,
    #[error("{}: cannot read the password file: {source}", path.display())]
    PasswordFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("DIRREADY_BIND_PASSWORD is not valid UTF-8")]
    PasswordNotUtf8,
    #[error("cannot read the password: {0}")]
    Prompt(std::io::Error),
    #[error("--bind-dn {0} needs a password: set DIRREADY_BIND_PASSWORD, use --password-file FILE, or run on a terminal to be prompted")]
    NoPassword(String),
    #[error("the password for {0} is empty")]
    EmptyPassword(String),
}

/// Refusals that need no network: a simple bind over plain `ldap://` without StartTLS,
/// a bad page size.
pub fn precheck(url: &str, o: &LiveOptions) -> Result<(), LiveConfigError> {
    let s = scheme(url);
    if !matches!(s.as_str(), "ldap" | "ldaps" | "ldapi") {
        return Err(LiveConfigError::UnknownScheme(s));
    }
    if o.starttls && s != "ldap" {
        return Err(LiveConfigError::StartTlsNeedsLdap);
    }
    if o.bind_dn.is_some() && s == "ldap" && !o.starttls && !o.allow_plaintext_bind {
        return Err(LiveConfigError::PlaintextBind);
    }
    if !(1..=MAX_PAGE_SIZE).contains(&o.page_size) {
        return Err(LiveConfigError::PageSize);
    }
    Ok(())
}

/// A fatal error of a live source, carried through `io::Error` to the engine, which
/// reports it as the source's one-line error. `detail` fields hold the LDAP or TLS
/// library's own words.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("cannot read the CA file {}: {detail}", path.display())]
    CaFile { path: PathBuf, detail: String },
    #[error("bad certificate in the CA file {}: {detail}", path.display())]
    BadCertificate { path: PathBuf, detail: String },
    #[error("the CA file {} holds no PEM certificate", path.display())]
    NoCertificate { path: PathBuf },
    #[error("TLS setup failed: {0}")]
    TlsSetup(String),
    #[error("TLS failure: {0} (the server's certificate is not trusted for this host name: use --ca-file, or --insecure-skip-verify for a test server)")]
    Tls(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no password for the bind as `{0}`")]
    NoPassword(String),
    #[error("bind as `{dn}` failed: {result}{hint}")]
    Bind {
        dn: String,
        result: String,
        hint: &'static str,
    },
    #[error("reading the rootDSE failed: {0}")]
    RootDse(String),
    #[error("no --base given and the server names no naming context")]
    NoNamingContext,
    #[error("range retrieval of {attr} on `{dn}` failed: {detail}")]
    Range {
        attr: String,
        dn: String,
        detail: String,
    },
    #[error("range retrieval of {attr} on `{dn}` did not end after {MAX_RANGE_STEPS} steps")]
    RangeEndless { attr: String, dn: String },
    #[error("search of <{base}> failed after {entries} entries: {detail}")]
    Search {
        base: String,
        entries: u64,
        detail: String,
    },
    #[error("the base <{base}> does not exist on the server: {result}")]
    NoBase { base: String, result: String },
    #[error("the server's limit was hit after {entries} entries: {result} — the result would be incomplete (a smaller --page-size or a narrower --base/--filter may help)")]
    ServerLimit { entries: u64, result: String },
    #[error("cannot write the snapshot {}: {source}", path.display())]
    Snapshot { path: PathBuf, source: io::Error },
    #[error("writing LDIF failed: {0}")]
    WriteLdif(io::Error),
    #[error("the LDAP client failed on a malformed server reply")]
    ClientPanic,
    #[error("the LDAP fetch stopped unexpectedly")]
    FetchStopped,
}

/// Opens a live source as an engine input. Nothing touches the network until the engine
/// reads from it; the snapshot file (if any) is created now so a bad path fails early.
pub fn open_input(
    url: &str,
    opts: Arc<LiveOptions>,
    snapshot: Option<PathBuf>,
    block_size: usize,
) -> Result<Input, InputError> {
    let name = display_url(url);
    let err = |message: String| InputError {
        input: name.clone(),
        message,
    };
    precheck(url, &opts).map_err(|e| err(e.to_string()))?;
    let snapshot = match snapshot {
        Some(p) => Some((
            BufWriter::new(
                File::create(&p)
                    .map_err(|e| err(format!("cannot create the snapshot {}: {e}", p.display())))?,
            ),
            p,
        )),
        None => None,
    };
    let reader = LiveReader {
        start: Some(Start {
            url: url.to_string(),
            opts,
            snapshot,
        }),
        rx: None,
        cur: Vec::new(),
        pos: 0,
        finished: false,
    };
    Ok(Input {
        name: name.clone(),
        reader: BlockReader::from_reader(&name, Box::new(reader), block_size),
    })
}

struct Start {
    url: String,
    opts: Arc<LiveOptions>,
    snapshot: Option<(BufWriter<File>, PathBuf)>,
}

enum Msg {
    Data(Vec<u8>),
    Done,
    Failed(LiveError),
}

/// The engine's end of a live source: LDIF bytes from the fetch thread.
pub struct LiveReader {
    start: Option<Start>,
    rx: Option<Receiver<Msg>>,
    cur: Vec<u8>,
    pos: usize,
    finished: bool,
}

impl Read for LiveReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(start) = self.start.take() {
            let (tx, rx) = sync_channel(CHANNEL_CHUNKS);
            self.rx = Some(rx);
            std::thread::Builder::new()
                .name("ldap-fetch".into())
                .spawn(move || fetch_thread(start, tx))?;
        }
        loop {
            if self.pos < self.cur.len() {
                let n = buf.len().min(self.cur.len() - self.pos);
                buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            let msg = match &self.rx {
                Some(rx) => rx.recv().unwrap_or(Msg::Failed(LiveError::FetchStopped)),
                None => return Ok(0),
            };
            match msg {
                Msg::Data(d) => {
                    self.cur = d;
                    self.pos = 0;
                }
                Msg::Done => self.finished = true,
                Msg::Failed(e) => {
                    self.finished = true;
                    self.rx = None;
                    return Err(io::Error::other(e));
                }
            }
        }
    }
}

/// Where the LDIF goes: chunks to the engine, and a copy to the snapshot.
struct Sink {
    tx: SyncSender<Msg>,
    buf: Vec<u8>,
    snapshot: Option<(BufWriter<File>, PathBuf)>,
}

impl Sink {
    fn flush(&mut self) -> Fetch<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if let Some((w, p)) = &mut self.snapshot {
            w.write_all(&self.buf).map_err(|source| {
                Stop::Failed(LiveError::Snapshot {
                    path: p.clone(),
                    source,
                })
            })?;
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
        self.tx.send(Msg::Data(chunk)).map_err(|_| Stop::Gone)
    }

    fn maybe_flush(&mut self) -> Fetch<()> {
        if self.buf.len() >= CHUNK {
            self.flush()
        } else {
            Ok(())
        }
    }
}

fn fetch_thread(start: Start, tx: SyncSender<Msg>) {
    let Start {
        url,
        opts,
        snapshot,
    } = start;
    let mut sink = Sink {
        tx: tx.clone(),
        buf: Vec::with_capacity(CHUNK + 4096),
        snapshot,
    };
    // ldap3 panics on some malformed server replies: turn that into an error too.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fetch(&url, &opts, &mut sink)
    }))
    .unwrap_or(Err(Stop::Failed(LiveError::ClientPanic)));
    let outcome = match outcome {
        Ok(()) => sink.flush().map(|_| ()),
        Err(e) => Err(e),
    };
    let flush_snapshot = |sink: &mut Sink| -> Result<(), LiveError> {
        if let Some((w, p)) = &mut sink.snapshot {
            w.flush().map_err(|source| LiveError::Snapshot {
                path: p.clone(),
                source,
            })?;
        }
        Ok(())
    };
    match outcome {
        Ok(()) => match flush_snapshot(&mut sink) {
            Ok(()) => {
                let _ = tx.send(Msg::Done);
            }
            Err(m) => {
                let _ = tx.send(Msg::Failed(m));
            }
        },
        Err(Stop::Gone) => {} // the engine went away: nothing to report to
        Err(Stop::Failed(e)) => {
            // The snapshot says it is incomplete, in a comment, after what was read.
            let _ = sink.flush();
            if let Some((w, _)) = &mut sink.snapshot {
                let msg = one_line(&e.to_string());
                let _ = ldif_writer::write_comment(w, &format!("dirready: INCOMPLETE: {msg}"));
            }
            let _ = flush_snapshot(&mut sink);
            let _ = tx.send(Msg::Failed(e));
        }
    }
}

/// A message on one line (server texts may hold line breaks).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a fetch stopped before its end.
enum Stop {
    /// The engine stopped reading: nothing to report to.
    Gone,
    Failed(LiveError),
}

impl From<LiveError> for Stop {
    fn from(e: LiveError) -> Stop {
        Stop::Failed(e)
    }
}

type Fetch<T> = Result<T, Stop>;

fn tls_config(ca_file: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, LiveError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let path = || ca_file.to_path_buf();
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca_file).map_err(|e| LiveError::CaFile {
        path: path(),
        detail: e.to_string(),
    })?;
    for c in certs {
        let c = c.map_err(|e| LiveError::CaFile {
            path: path(),
            detail: e.to_string(),
        })?;
        roots.add(c).map_err(|e| LiveError::BadCertificate {
            path: path(),
            detail: e.to_string(),
        })?;
    }
    if roots.is_empty() {
        return Err(LiveError::NoCertificate { path: path() });
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LiveError::TlsSetup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn settings(o: &LiveOptions) -> Result<LdapConnSettings, LiveError> {
    let mut s = LdapConnSettings::new()
        .set_conn_timeout(o.timeout)
        .set_starttls(o.starttls);
    if o.insecure_skip_verify {
        s = s.set_no_tls_verify(true);
    } else if let Some(ca) = &o.ca_file {
        s = s.set_config(tls_config(ca)?);
    }
    Ok(s)
}

fn connect_error(e: &LdapError) -> LiveError {
    let text = e.to_string();
    let low = text.to_ascii_lowercase();
    if low.contains("certificate") || low.contains("tls") || low.contains("handshake") {
        LiveError::Tls(text)
    } else {
        LiveError::Connect(text)
    }
}

fn rc_name(rc: u32) -> &'static str {
    match rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "error",
    }
}

fn result_text(r: &LdapResult) -> String {
    let mut s = format!("{} ({})", rc_name(r.rc), r.rc);
    if !r.text.trim().is_empty() {
        s.push_str(": ");
        s.push_str(r.text.trim());
    }
    s
}

/// Connects (TCP, TLS or StartTLS) and binds.
fn connect(url: &str, o: &LiveOptions) -> Result<LdapConn, LiveError> {
    let mut conn = LdapConn::with_settings(settings(o)?, url).map_err(|e| connect_error(&e))?;
    if let Some(dn) = &o.bind_dn {
        let pw = o.password.as_ref().map(Secret::expose).unwrap_or("");
        if pw.is_empty() {
            // An empty password is an unauthenticated bind (RFC 4513 5.1.2): never silently.
            return Err(LiveError::NoPassword(dn.clone()));
        }
        let res = conn
            .with_timeout(o.timeout)
            .simple_bind(dn, pw)
            .map_err(|e| connect_error(&e))?;
        if res.rc != 0 {
            let hint = if res.rc == 49 {
                " (wrong bind DN or password)"
            } else {
                ""
            };
            return Err(LiveError::Bind {
                dn: dn.clone(),
                result: result_text(&res),
                hint,
            });
        }
    }
    Ok(conn)
}

/// The base to search when none was given: defaultNamingContext (AD), else the first
/// namingContexts value.
fn discover_base(conn: &mut LdapConn, o: &LiveOptions) -> Result<String, LiveError> {
    let r = conn
        .with_timeout(o.timeout)
        .search(
            "",
            Scope::Base,
            "(objectClass=*)",
            vec!["defaultNamingContext", "namingContexts"],
        )
        .map_err(|e| LiveError::RootDse(e.to_string()))?;
    let (entries, _) = r.success().map_err(|e| LiveError::RootDse(e.to_string()))?;
    for re in entries {
        let e = SearchEntry::construct(re);
        for key in ["defaultNamingContext", "namingContexts"] {
            if let Some(v) = e
                .attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v.first())
            {
                return Ok(v.clone());
            }
        }
    }
    Err(LiveError::NoNamingContext)
}

/// `member;range=0-1499` → ("member", 0, Some(1499)); `member;range=1500-*` → (…, None).
pub fn parse_range(key: &str) -> Option<(&str, u64, Option<u64>)> {
    let (base, opts) = key.split_once(';')?;
    for opt in opts.split(';') {
        if opt.len() > 6 && opt[..6].eq_ignore_ascii_case("range=") {
            let (lo, hi) = opt[6..].split_once('-')?;
            let lo = lo.parse().ok()?;
            let hi = if hi == "*" {
                None
            } else {
                Some(hi.parse().ok()?)
            };
            return Some((base, lo, hi));
        }
    }
    None
}

/// One entry's attributes: objectClass first, then by name; values as bytes from both
/// `attrs` and `bin_attrs`; ranged keys merged into their base attribute. Returns the
/// attributes and the ranged ones still to complete (index, name, next low bound).
type Attrs = Vec<(String, Vec<Vec<u8>>)>;

fn assemble(e: SearchEntry) -> (Attrs, Vec<(usize, String, u64)>) {
    let mut map: HashMap<String, (String, Vec<Vec<u8>>)> = HashMap::new();
    let mut ranged: HashMap<String, (String, u64)> = HashMap::new();
    let all = e
        .attrs
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(String::into_bytes).collect::<Vec<_>>()))
        .chain(e.bin_attrs);
    for (key, values) in all {
        let (name, next) = match parse_range(&key) {
            Some((base, _, hi)) => (base.to_string(), hi.map(|h| h + 1)),
            None => (key.clone(), None),
        };
        let lower = name.to_ascii_lowercase();
        if let Some(n) = next {
            ranged.insert(lower.clone(), (name.clone(), n));
        }
        map.entry(lower)
            .or_insert_with(|| (name, Vec::new()))
            .1
            .extend(values);
    }
    let mut attrs: Vec<_> = map.into_iter().collect();
    attrs.sort_by(|a, b| (a.0 != "objectclass", &a.0).cmp(&(b.0 != "objectclass", &b.0)));
    let mut pending = Vec::new();
    let out: Attrs = attrs
        .into_iter()
        .enumerate()
        .map(|(i, (lower, (name, values)))| {
            if let Some((n, next)) = ranged.remove(&lower) {
                pending.push((i, n, next));
            }
            (name, values)
        })
        .collect();
    (out, pending)
}

/// Completes a ranged attribute (AD range retrieval) by base-scope searches for
/// `attr;range=N-*` until the server answers with a range ending in `*`.
fn complete_range(
    conn: &mut LdapConn,
    o: &LiveOptions,
    dn: &str,
    attr: &str,
    mut next: u64,
    values: &mut Vec<Vec<u8>>,
) -> Result<(), LiveError> {
    let failed = |detail: String| LiveError::Range {
        attr: attr.to_string(),
        dn: dn.to_string(),
        detail,
    };
    for _ in 0..MAX_RANGE_STEPS {
        let req = format!("{attr};range={next}-*");
        let r = conn
            .with_timeout(o.timeout)
            .search(dn, Scope::Base, "(objectClass=*)", vec![req.as_str()])
            .map_err(|e| failed(e.to_string()))?;
        let (entries, res) = (r.0, r.1);
        if res.rc != 0 {
            return Err(failed(result_text(&res)));
        }
        let mut step = None;
        for re in entries {
            if re.is_ref() {
                continue;
            }
            let e = SearchEntry::construct(re);
            let all = e
                .attrs
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(String::into_bytes).collect::<Vec<_>>()))
                .chain(e.bin_attrs);
            for (k, v) in all {
                if let Some((base, _, hi)) = parse_range(&k) {
                    if base.eq_ignore_ascii_case(attr) {
                        values.extend(v);
                        step = Some(hi);
                    }
                }
            }
        }
        match step {
            Some(Some(hi)) if hi + 1 > next => next = hi + 1,
            _ => return Ok(()),
        }
    }
    Err(LiveError::RangeEndless {
        attr: attr.to_string(),
        dn: dn.to_string(),
    })
}

fn fetch(url: &str, o: &LiveOptions, sink: &mut Sink) -> Fetch<()> {
    let mut conn = connect(url, o)?;
    let base = match &o.base {
        Some(b) => b.clone(),
        None => discover_base(&mut conn, o)?,
    };
    let shown = display_url(url);
    let header = format!(
        "dirready live read of {shown}\nbase <{base}> with scope subtree\nfilter: {}\nrequesting: {}\nwith pagedResults control: size={}",
        o.filter,
        o.attributes.join(" "),
        o.page_size
    );
    let w = |e: io::Error| Stop::Failed(LiveError::WriteLdif(e));
    ldif_writer::write_comment(&mut sink.buf, &header).map_err(w)?;
    sink.buf.push(b'\n');

    // A second connection for range follow-ups: the first is busy with the paged stream.
    let mut ranger: Option<LdapConn> = None;
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(o.page_size)),
    ];
    let mut entries = 0u64;
    let res = {
        let mut stream = conn
            .with_timeout(o.timeout)
            .streaming_search_with(
                adapters,
                &base,
                Scope::Subtree,
                &o.filter,
                o.attributes.clone(),
            )
            .map_err(|e| LiveError::Search {
                base: base.clone(),
                entries: 0,
                detail: e.to_string(),
            })?;
        loop {
            let re = match stream.next() {
                Ok(Some(re)) => re,
                Ok(None) => break,
                Err(e) => {
                    return Err(Stop::Failed(LiveError::Search {
                        base,
                        entries,
                        detail: e.to_string(),
                    }))
                }
            };
            if re.is_ref() || re.is_intermediate() {
                continue;
            }
            let e = SearchEntry::construct(re);
            let dn = e.dn.clone();
            let (mut attrs, pending) = assemble(e);
            for (i, name, next) in pending {
                let c = match &mut ranger {
                    Some(c) => c,
                    None => ranger.insert(connect(url, o)?),
                };
                complete_range(c, o, &dn, &name, next, &mut attrs[i].1)?;
            }
            ldif_writer::write_entry(&mut sink.buf, &dn, &attrs).map_err(w)?;
            entries += 1;
            sink.maybe_flush()?;
        }
        stream.result()
    };
    if let Some(mut c) = ranger {
        let _ = c.unbind();
    }
    match res.rc {
        0 => {}
        32 => {
            return Err(Stop::Failed(LiveError::NoBase {
                base,
                result: result_text(&res),
            }))
        }
        4 | 11 => {
            return Err(Stop::Failed(LiveError::ServerLimit {
                entries,
                result: result_text(&res),
            }))
        }
        _ => {
            return Err(Stop::Failed(LiveError::Search {
                base,
                entries,
                detail: result_text(&res),
            }))
        }
    }
    // Continuation references are reported (the parser notes each `ref:` record), never
    // chased: LDAPv3 does not say which credentials they would take.
    for r in &res.refs {
        ldif_writer::write_comment(&mut sink.buf, "search reference (not followed)").map_err(w)?;
        ldif_writer::write_value(&mut sink.buf, "ref", r.as_bytes()).map_err(w)?;
        sink.buf.push(b'\n');
    }
    ldif_writer::write_comment(
        &mut sink.buf,
        &format!(
            "dirready: {entries} entries, {} continuation references",
            res.refs.len()
        ),
    )
    .map_err(w)?;
    let _ = conn.unbind();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_credentials_dropped() {
        assert!(is_url("ldap://x"));
        assert!(is_url("LDAPS://dc1.corp"));
        assert!(is_url("ldapi://%2Frun%2Fslapd"));
        assert!(!is_url("ldap.ldif"));
        assert!(!is_url("ldapx://"));
        assert!(!is_url("./ldap://x"));
        assert_eq!(display_url("ldaps://u:pw@dc1:636/x"), "ldaps://dc1:636/x");
        assert_eq!(display_url("ldaps://dc1:636"), "ldaps://dc1:636");
        assert_eq!(display_url("ldap://dc1/a@b"), "ldap://dc1/a@b");
    }

    #[test]
    fn plaintext_simple_bind_is_refused() {
        let o = LiveOptions {
            bind_dn: Some("cn=x".into()),
            ..Default::default()
        };
        assert!(precheck("ldap://h", &o)
            .unwrap_err()
            .to_string()
            .contains("--allow-plaintext-bind"));
        assert!(precheck("ldaps://h", &o).is_ok());
        assert!(precheck("ldapi://%2Fs", &o).is_ok());
        let tls = LiveOptions {
            starttls: true,
            ..o.clone()
        };
        assert!(precheck("ldap://h", &tls).is_ok());
        let allowed = LiveOptions {
            allow_plaintext_bind: true,
            ..o.clone()
        };
        assert!(precheck("ldap://h", &allowed).is_ok());
        let anon = LiveOptions::default();
        assert!(precheck("ldap://h", &anon).is_ok());
        let big = LiveOptions {
            page_size: 1001,
            ..LiveOptions::default()
        };
        assert!(precheck("ldaps://h", &big).is_err());
    }

    #[test]
    fn secrets_never_print() {
        let o = LiveOptions {
            password: Some(Secret::new("hunter2".into())),
            ..Default::default()
        };
        assert!(!format!("{o:?}").contains("hunter2"));
    }

    #[test]
    fn range_keys() {
        assert_eq!(
            parse_range("member;range=0-1499"),
            Some(("member", 0, Some(1499)))
        );
        assert_eq!(
            parse_range("member;Range=1500-*"),
            Some(("member", 1500, None))
        );
        assert_eq!(
            parse_range("proxyAddresses;binary;range=0-9"),
            Some(("proxyAddresses", 0, Some(9)))
        );
        assert_eq!(parse_range("member"), None);
        assert_eq!(parse_range("member;lang-de"), None);
        assert_eq!(parse_range("member;range=x-1"), None);
    }

    #[test]
    fn assemble_merges_text_binary_and_ranged_values() {
        let mut attrs = HashMap::new();
        attrs.insert("mail".to_string(), vec!["a@x".to_string()]);
        attrs.insert("objectClass".to_string(), vec!["user".to_string()]);
        attrs.insert(
            "member;range=0-1".to_string(),
            vec!["cn=a".to_string(), "cn=b".to_string()],
        );
        let mut bin = HashMap::new();
        bin.insert("objectGUID".to_string(), vec![vec![0xffu8, 0, 1]]);
        let e = SearchEntry {
            dn: "cn=g".into(),
            attrs,
            bin_attrs: bin,
        };
        let (out, pending) = assemble(e);
        let names: Vec<&str> = out.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(names, ["objectClass", "mail", "member", "objectGUID"]);
        assert_eq!(out[3].1, vec![vec![0xffu8, 0, 1]]);
        assert_eq!(pending, vec![(2, "member".to_string(), 2)]);
    }
}
