//! `--redact`: personal data in a finished report replaced by stable pseudonyms, so that an
//! anonymised report can be sent to a vendor. Domains, rule ids, counts, OU structure and
//! binary values (anchors, SIDs) stay; names in DNs (every RDN but `OU`, `DC`, `O`, `C`),
//! whole name-like values (displayName, sAMAccountName, ...) and the local part of
//! addresses (`smtp:` prefixes and domains kept) become `person-XXXXXX`,
//! `user-XXXXXX@contoso.com` or `value-XXXXXX`.
//!
//! A pseudonym's code is HMAC-SHA256 of the lowercased original under a key, in Crockford
//! base32: the same string (ignoring case) gets the same code everywhere in the report,
//! so duplicate groups still line up; the prefix says what kind of value it was. The key
//! comes from `DIRREADY_REDACT_KEY` (the same pseudonyms in every run with that key) or
//! is drawn from the OS for one run. Never an unkeyed hash: names are guessable.
//! Fingerprints are recomputed from the pseudonyms, so a redacted report is a baseline
//! only for redacted reports made with the same key.
//!
//! Messages quote values: each occurrence of an original string of the finding (or of
//! another finding on the same object) is replaced by its pseudonym, and whatever still
//! looks like an address local part or a `CN=` value is pseudonymised too; diagnostics
//! likewise, with their backquoted DNs. Exception reasons and owners are free text that
//! may name anyone: pseudonymised whole.

use crate::findings::{BaselineEntry, Finding, PseudonymKey, RedactionInfo, Report, ValueKind};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The environment variable holding the key.
pub const KEY_ENV: &str = "DIRREADY_REDACT_KEY";

/// Shortest code; codes that would collide with another string's grow by two.
const CODE_LEN: usize = 6;
/// Crockford base32: no I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 256 bits as base32.
const MAX_CODE_LEN: usize = 51;
/// Pairs of other findings of the same object searched in a message (bounds the work
/// on an object with thousands of findings).
const SIBLING_PAIRS: usize = 256;
/// Address type prefixes kept (`smtp:`, `SIP:`, ...); anything else before a `:` is part
/// of the value (a UPN with a colon is a finding, not a type).
const ADDRESS_TYPES: [&str; 12] = [
    "smtp", "sip", "x500", "x400", "eum", "fax", "notes", "gwise", "ms", "ccmail", "mapi", "mailto",
];
/// The RDN types kept in DNs: structure the reports group by, not names.
const KEPT_RDN_TYPES: [&str; 4] = ["ou", "dc", "o", "c"];
/// RDN types found in free text that name a person or an account.
const NAME_RDN_TYPES: [&str; 8] = [
    "cn",
    "uid",
    "userid",
    "displayname",
    "givenname",
    "gn",
    "sn",
    "samaccountname",
];

/// The key pseudonyms are made with.
#[derive(Clone)]
pub enum RedactKey {
    /// From `DIRREADY_REDACT_KEY`: the same pseudonyms in every run with that key.
    Keyed(Vec<u8>),
    /// Drawn from the OS: pseudonyms are stable within this run only.
    PerRun([u8; 32]),
}

impl std::fmt::Debug for RedactKey {
    // Never the key itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedactKey::Keyed(_) => f.write_str("RedactKey::Keyed(<secret>)"),
            RedactKey::PerRun(_) => f.write_str("RedactKey::PerRun(<secret>)"),
        }
    }
}

/// No key could be drawn from the OS.
#[derive(Debug, thiserror::Error)]
#[error("--redact: cannot draw a random key from the OS ({0}); set {KEY_ENV}")]
pub struct KeyError(String);

impl RedactKey {
    /// `DIRREADY_REDACT_KEY` when set and not empty, else a random key for this run.
    pub fn from_env() -> Result<RedactKey, KeyError> {
        match std::env::var_os(KEY_ENV) {
            Some(k) if !k.is_empty() => Ok(RedactKey::Keyed(k.into_encoded_bytes())),
            _ => RedactKey::random(),
        }
    }

    pub fn random() -> Result<RedactKey, KeyError> {
        let mut k = [0u8; 32];
        getrandom::getrandom(&mut k).map_err(|e| KeyError(e.to_string()))?;
        Ok(RedactKey::PerRun(k))
    }
}

/// Replaces the personal data of `report` by pseudonyms made with `key`.
pub fn redact(report: &mut Report, key: RedactKey) {
    Redactor::new(key).report(report);
}

/// HMAC-SHA256 (RFC 2104) with the key's pads absorbed once.
#[derive(Clone)]
struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    fn new(key: &[u8]) -> Hmac {
        let mut k = [0u8; 64];
        if key.len() > k.len() {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha256::new();
        inner.update(k.map(|b| b ^ 0x36));
        let mut outer = Sha256::new();
        outer.update(k.map(|b| b ^ 0x5c));
        Hmac { inner, outer }
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut i = self.inner.clone();
        i.update(message);
        let mut o = self.outer.clone();
        o.update(i.finalize());
        o.finalize().into()
    }
}

/// The first `len` base32 digits of `bytes`.
fn base32(bytes: &[u8; 32], len: usize) -> String {
    (0..len.min(MAX_CODE_LEN))
        .map(|i| {
            let bit = i * 5;
            let hi = u16::from(bytes[bit / 8]) << 8;
            let lo = bytes.get(bit / 8 + 1).copied().map_or(0, u16::from);
            let v = ((hi | lo) >> (11 - bit % 8)) & 31;
            char::from(ALPHABET[usize::from(v)])
        })
        .collect()
}

/// How an attribute's values are pseudonymised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `local@domain` (with an optional `type:` prefix): the local part.
    Address,
    /// A logon or alias name: `user-XXXXXX`.
    Account,
    /// A person's or object's name: `person-XXXXXX`.
    Name,
    /// A DN: its names.
    Dn,
    /// Binary identifiers shown as base64 (anchors, SIDs, certificates): not names.
    Keep,
    /// Anything else is assumed personal: `value-XXXXXX` (or an address when it is one).
    Other,
}

fn kind_of(attribute: &str) -> Kind {
    let name = attribute
        .split(';')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match name.as_str() {
        "userprincipalname"
        | "mail"
        | "proxyaddresses"
        | "targetaddress"
        | "msrtcsip-primaryuseraddress"
        | "othermailbox"
        | "msexchshadowproxyaddresses"
        | "rfc822mailbox"
        | "email"
        | "emailaddress"
        | "legacyexchangedn" => Kind::Address,
        "samaccountname" | "mailnickname" | "uid" | "userid" => Kind::Account,
        "cn"
        | "name"
        | "displayname"
        | "givenname"
        | "sn"
        | "surname"
        | "initials"
        | "middlename"
        | "displaynameprintable"
        | "gn"
        | "commonname" => Kind::Name,
        "member" | "memberof" | "manager" | "directreports" | "managedby" | "secretary"
        | "seealso" | "distinguishedname" | "altrecipient" | "publicdelegates" | "owner" => {
            Kind::Dn
        }
        "objectguid"
        | "objectsid"
        | "ms-ds-consistencyguid"
        | "msexchmailboxguid"
        | "msexcharchiveguid"
        | "onpremisesimmutableid"
        | "onpremisessecurityidentifier"
        | "usercertificate"
        | "usersmimecertificate"
        | "thumbnailphoto"
        | "jpegphoto"
        | "sidhistory"
        | "objectcount" => Kind::Keep,
        _ => Kind::Other,
    }
}

/// True for a pseudonym this module made (so that redacting twice changes nothing).
fn is_pseudonym(s: &str) -> bool {
    let code = ["person-", "user-", "value-"].iter().find_map(|p| {
        s.get(..p.len())
            .filter(|head| head.eq_ignore_ascii_case(p))
            .map(|_| &s[p.len()..])
    });
    code.is_some_and(|c| {
        (CODE_LEN..=MAX_CODE_LEN).contains(&c.len())
            && c.bytes()
                .all(|b| ALPHABET.contains(&b.to_ascii_uppercase()))
    })
}

/// Nothing to hide: blank, or already a pseudonym.
fn keep_as_is(v: &str) -> bool {
    v.trim().is_empty() || is_pseudonym(v)
}

fn looks_like_address(v: &str) -> bool {
    v.contains('@') && !v.contains(char::is_whitespace)
}

/// Where `inner` (a subslice of `outer`) starts in it.
fn offset_in(outer: &str, inner: &str) -> Option<usize> {
    let at = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (at + inner.len() <= outer.len()).then_some(at)
}

/// Original strings of one finding and what replaced them, for its message.
#[derive(Debug, Default, Clone)]
struct Pairs(Vec<(String, String)>, HashSet<String>);

impl Pairs {
    fn push(&mut self, original: &str, pseudonym: &str) {
        if !original.trim().is_empty() && original != pseudonym && !self.1.contains(original) {
            self.1.insert(original.to_string());
            self.0.push((original.to_string(), pseudonym.to_string()));
        }
    }

    fn extend(&mut self, other: &Pairs) {
        for (o, p) in &other.0 {
            self.push(o, p);
        }
    }
}

/// Makes the pseudonyms of one report: the key and every code handed out so far.
pub struct Redactor {
    mac: Hmac,
    keyed: bool,
    /// Lowercased original → code.
    codes: HashMap<String, String>,
    /// Code → lowercased original (a collision lengthens the newcomer's code).
    owners: HashMap<String, String>,
    /// DN → its redacted form and what replaced what (a DN recurs as holder of many
    /// findings).
    dns: HashMap<String, (String, Pairs)>,
}

impl Redactor {
    pub fn new(key: RedactKey) -> Redactor {
        let (mac, keyed) = match &key {
            RedactKey::Keyed(k) => (Hmac::new(k), true),
            RedactKey::PerRun(k) => (Hmac::new(k), false),
        };
        Redactor {
            mac,
            keyed,
            codes: HashMap::new(),
            owners: HashMap::new(),
            dns: HashMap::new(),
        }
    }

    /// The code of a string, ignoring case.
    fn code(&mut self, original: &str) -> String {
        let norm = original.to_lowercase();
        if let Some(c) = self.codes.get(&norm) {
            return c.clone();
        }
        let digest = self.mac.mac(norm.as_bytes());
        let mut len = CODE_LEN;
        let code = loop {
            let c = base32(&digest, len);
            if len >= MAX_CODE_LEN || !self.owners.contains_key(&c) {
                break c;
            }
            len += 2;
        };
        self.owners.insert(code.clone(), norm.clone());
        self.codes.insert(norm, code.clone());
        code
    }

    fn whole(&mut self, prefix: &str, v: &str) -> String {
        format!("{prefix}-{}", self.code(v))
    }

    /// A value of `attribute`, pseudonymised for its kind.
    fn value(&mut self, attribute: &str, v: &str, pairs: &mut Pairs) -> String {
        if keep_as_is(v) {
            return v.to_string();
        }
        let out = match kind_of(attribute) {
            Kind::Address => self.address(v, pairs),
            Kind::Account => self.whole("user", v),
            Kind::Name => self.whole("person", v),
            Kind::Dn => self.dn(v, pairs),
            Kind::Keep => v.to_string(),
            Kind::Other if looks_like_address(v) => self.address(v, pairs),
            Kind::Other => self.whole("value", v),
        };
        pairs.push(v, &out);
        out
    }

    /// `[type:]local@domain`: the local part becomes `user-XXXXXX`; the type and the
    /// domain stay. X.500 and X.400 addresses lose their names; other values without `@`
    /// are pseudonymised whole.
    fn address(&mut self, v: &str, pairs: &mut Pairs) -> String {
        let (prefix, rest) = match v.split_once(':') {
            Some((t, _)) if ADDRESS_TYPES.iter().any(|a| a.eq_ignore_ascii_case(t)) => {
                v.split_at(t.len() + 1)
            }
            _ => ("", v),
        };
        let body = if keep_as_is(rest) {
            rest.to_string()
        } else if prefix.eq_ignore_ascii_case("x400:") {
            self.x400(rest)
        } else if rest.starts_with('/') {
            self.x500(rest)
        } else if let Some(at) = rest.rfind('@') {
            let local = &rest[..at];
            if keep_as_is(local) {
                rest.to_string()
            } else {
                let p = self.whole("user", local);
                pairs.push(local, &p);
                format!("{p}{}", &rest[at..])
            }
        } else {
            self.whole("user", rest)
        };
        if !prefix.is_empty() {
            pairs.push(rest, &body);
        }
        format!("{prefix}{body}")
    }

    /// `/o=Org/ou=Group/cn=Recipients/cn=jsmith`: the `cn=` names.
    fn x500(&mut self, v: &str) -> String {
        v.split('/')
            .map(|seg| match seg.split_once('=') {
                Some((t, val))
                    if t.trim().eq_ignore_ascii_case("cn")
                        && !keep_as_is(val)
                        && !["recipients", "configuration"]
                            .contains(&val.trim().to_ascii_lowercase().as_str()) =>
                {
                    format!("{t}={}", self.whole("user", val))
                }
                _ => seg.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// `c=US;a= ;p=Org;o=Exchange;s=Smith;g=John;`: surname, given name, initials.
    fn x400(&mut self, v: &str) -> String {
        v.split(';')
            .map(|seg| match seg.split_once('=') {
                Some((t, val))
                    if ["s", "g", "i", "q", "cn", "pn"]
                        .contains(&t.trim().to_ascii_lowercase().as_str())
                        && !keep_as_is(val) =>
                {
                    format!("{t}={}", self.whole("person", val))
                }
                _ => seg.to_string(),
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// A DN with every RDN value but `OU`, `DC`, `O` and `C` pseudonymised; separators,
    /// kept components and escapes stay as written (a pseudonym needs no escaping).
    fn dn(&mut self, dn: &str, pairs: &mut Pairs) -> String {
        if let Some((out, own)) = self.dns.get(dn) {
            pairs.extend(own);
            return out.clone();
        }
        let mut own = Pairs::default();
        let out = self.dn_uncached(dn, &mut own);
        pairs.extend(&own);
        self.dns.insert(dn.to_string(), (out.clone(), own));
        out
    }

    fn dn_uncached(&mut self, dn: &str, pairs: &mut Pairs) -> String {
        let mut out = String::with_capacity(dn.len());
        let mut last = 0;
        for rdn in crate::dn::rdns(dn) {
            for (ty, value) in crate::dn::avas(rdn) {
                let ty = ty.to_ascii_lowercase();
                if KEPT_RDN_TYPES.contains(&ty.as_str()) || value.is_empty() || value == "*" {
                    continue;
                }
                let unescaped = crate::dn::unescape(value);
                if keep_as_is(&unescaped) {
                    continue;
                }
                let Some(start) = offset_in(dn, value).filter(|&s| s >= last) else {
                    continue;
                };
                let prefix = if matches!(ty.as_str(), "uid" | "userid" | "samaccountname") {
                    "user"
                } else {
                    "person"
                };
                let p = self.whole(prefix, &unescaped);
                pairs.push(value, &p);
                pairs.push(&unescaped, &p);
                out.push_str(&dn[last..start]);
                out.push_str(&p);
                last = start + value.len();
            }
        }
        out.push_str(&dn[last..]);
        pairs.push(dn, &out);
        out
    }

    /// The owner of an exception: a person, or an address.
    fn owner(&mut self, owner: &str, pairs: &mut Pairs) -> String {
        let kind = if looks_like_address(owner) {
            "mail"
        } else {
            "displayName"
        };
        self.value(kind, owner, pairs)
    }

    /// An exception's reason is free text that may name anyone (`approved by ...`),
    /// also people the report does not otherwise hold: pseudonymised whole.
    fn reason(&mut self, reason: &str) -> String {
        if keep_as_is(reason) {
            reason.to_string()
        } else {
            self.whole("value", reason)
        }
    }

    /// Free text: every occurrence of an original of `pairs` (longest first, ignoring
    /// case, never inside a longer word, a domain or a kept DN component), then address
    /// local parts and `CN=` values that are still there.
    fn text(&mut self, text: &str, pairs: &[(String, String)]) -> String {
        let mut order: Vec<&(String, String)> = pairs.iter().collect();
        order.sort_by_key(|(o, _)| std::cmp::Reverse(o.chars().count()));
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        // ASCII case folding keeps byte offsets: one folded copy serves every ASCII pair.
        let folded = text.to_ascii_lowercase();
        for (original, pseudonym) in order {
            let hits: Vec<(usize, usize)> = if original.is_ascii() {
                folded
                    .match_indices(&original.to_ascii_lowercase())
                    .map(|(s, m)| (s, s + m.len()))
                    .collect()
            } else {
                let mut hits = Vec::new();
                let mut from = 0;
                while let Some((s, e)) = find_ci(text, original, from) {
                    from = next_boundary(text, s);
                    hits.push((s, e));
                }
                hits
            };
            for (s, e) in hits {
                if !overlaps(&spans, s, e) && stands_alone(text, s, e, original) {
                    spans.push((s, e, pseudonym.clone()));
                }
            }
        }
        self.addresses_in(text, &mut spans);
        self.rdns_in(text, &mut spans);
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_by_key(|s| s.0);
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (s, e, p) in spans {
            out.push_str(&text[last..s]);
            out.push_str(&p);
            last = e;
        }
        out.push_str(&text[last..]);
        out
    }

    /// `local@domain` in free text: the local part.
    fn addresses_in(&mut self, text: &str, spans: &mut Vec<(usize, usize, String)>) {
        let is_local = |c: char| c.is_alphanumeric() || ".!#$%&'*+-_^{|}~".contains(c);
        for (at, _) in text.match_indices('@') {
            if overlaps(spans, at, at + 1)
                || !text[at + 1..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            let start = text[..at]
                .char_indices()
                .rev()
                .take_while(|(_, c)| is_local(*c))
                .last()
                .map_or(at, |(i, _)| i);
            let local = &text[start..at];
            if !keep_as_is(local) && !overlaps(spans, start, at) {
                let p = self.whole("user", local);
                spans.push((start, at, p));
            }
        }
    }

    /// `CN=value` (and other naming types) in free text: the value, up to an unescaped
    /// `,`, `+`, `;`, quote or backtick.
    fn rdns_in(&mut self, text: &str, spans: &mut Vec<(usize, usize, String)>) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let at_word_start = i == 0 || !is_word_byte(bytes[i - 1]);
            let hit = if at_word_start {
                NAME_RDN_TYPES.iter().find_map(|t| {
                    let head = bytes.get(i..i + t.len())?;
                    if !head.eq_ignore_ascii_case(t.as_bytes()) {
                        return None;
                    }
                    let mut j = i + t.len();
                    while bytes.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    (bytes.get(j) == Some(&b'=')).then_some((*t, j + 1))
                })
            } else {
                None
            };
            let Some((ty, mut start)) = hit else {
                i += 1;
                continue;
            };
            while bytes.get(start) == Some(&b' ') {
                start += 1;
            }
            let mut end = start;
            while end < bytes.len() {
                match bytes[end] {
                    b'\\' => end += 2,
                    b',' | b'+' | b';' | b'`' | b'"' | b'\n' | b'\r' => break,
                    _ => end += 1,
                }
            }
            let mut end = end.min(bytes.len());
            while end > start && bytes[end - 1] == b' ' {
                end -= 1;
            }
            // Only ASCII bytes delimit, so both ends are char boundaries.
            if let Some(value) = text.get(start..end) {
                let unescaped = crate::dn::unescape(value);
                if !keep_as_is(&unescaped) && !overlaps(spans, start, end) {
                    let prefix = if matches!(ty, "uid" | "userid" | "samaccountname") {
                        "user"
                    } else {
                        "person"
                    };
                    let p = self.whole(prefix, &unescaped);
                    spans.push((start, end, p));
                }
            }
            i = end.max(i + 1);
        }
    }

    /// The identifying fields of a finding (everything but its message); what replaced
    /// what, for its message, and the part of that about the object's own values (for
    /// the messages of its other findings).
    fn fields(&mut self, f: &mut Finding) -> (Pairs, Pairs) {
        let mut pairs = Pairs::default();
        let mut values = Pairs::default();
        f.dn = self.dn(&f.dn, &mut pairs);
        // Counts, sizes and binary values are no names; a suggestion for them neither.
        let plain = f.value_kind.is_none();
        if plain {
            if let Some(v) = f.value.take() {
                f.value = Some(self.value(&f.attribute, &v, &mut values));
            }
            if let Some(v) = f.suggestion.take() {
                f.suggestion = Some(self.value(&f.attribute, &v, &mut values));
            }
            if let Some(v) = f.replaces.take() {
                f.replaces = Some(self.value(&f.attribute, &v, &mut values));
            }
            if let Some(u) = &mut f.uniqueness {
                // The compared form is lowercase; so is its pseudonym.
                u.key = self.value(&f.attribute, &u.key, &mut values).to_lowercase();
            }
        }
        pairs.extend(&values);
        // The exact bytes of a value that is not UTF-8: the name itself.
        f.value_base64 = None;
        for r in &mut f.related {
            r.dn = self.dn(&r.dn, &mut pairs).into();
            if plain && kind_of(&r.attribute) != Kind::Keep {
                r.value = self.value(&r.attribute, &r.value, &mut pairs).into();
            }
            r.value_base64 = None;
        }
        if let Some(e) = &mut f.exception {
            if let Some(o) = e.owner.take() {
                e.owner = Some(self.owner(&o, &mut pairs));
            }
        }
        (pairs, values)
    }

    /// Redacted copies of findings (DN, values, fingerprint; not the message): what
    /// `--write-baseline` stores and a redacted baseline is compared with.
    pub fn findings(&mut self, findings: &[Finding]) -> Vec<Finding> {
        findings
            .iter()
            .map(|f| {
                let mut f = f.clone();
                self.fields(&mut f);
                f.fingerprint = f.compute_fingerprint();
                f
            })
            .collect()
    }

    /// Before the gate: a finding whose fingerprint after redaction is in `baseline`
    /// takes it, so that a baseline written from a redacted report (with the same key)
    /// matches; unredacted baselines match as before.
    pub fn align_fingerprints(&mut self, findings: &mut [Finding], baseline: &[BaselineEntry]) {
        let known: std::collections::HashSet<&str> =
            baseline.iter().map(|e| e.fingerprint.as_str()).collect();
        for f in findings.iter_mut() {
            if known.contains(f.fingerprint.as_str()) {
                continue;
            }
            let mut copy = f.clone();
            self.fields(&mut copy);
            let redacted = copy.compute_fingerprint();
            if known.contains(redacted.as_str()) {
                f.fingerprint = redacted;
            }
        }
    }

    /// `dn=<glob>, guid=<base64>, value=<value>` of an exceptions entry.
    fn matcher(&mut self, m: &str, attribute: &str, pairs: &mut Pairs) -> String {
        let mut parts = Vec::new();
        let mut rest = m;
        if let Some(r) = rest.strip_prefix("dn=") {
            let end = [", guid=", ", value="]
                .iter()
                .filter_map(|s| r.find(s))
                .min()
                .unwrap_or(r.len());
            parts.push(format!("dn={}", self.dn(&r[..end], pairs)));
            rest = r[end..].strip_prefix(", ").unwrap_or(&r[end..]);
        }
        if let Some(r) = rest.strip_prefix("guid=") {
            let end = r.find(", value=").unwrap_or(r.len());
            parts.push(format!("guid={}", &r[..end]));
            rest = r[end..].strip_prefix(", ").unwrap_or(&r[end..]);
        }
        if let Some(v) = rest.strip_prefix("value=") {
            parts.push(format!("value={}", self.value(attribute, v, pairs)));
        } else if !rest.is_empty() {
            parts.push(self.text(rest, &[]));
        }
        let out = parts.join(", ");
        pairs.push(m, &out);
        out
    }

    /// Replaces the personal data of a whole report, marks it redacted and recomputes
    /// the fingerprints.
    pub fn report(&mut self, report: &mut Report) {
        let attribute_of: HashMap<String, String> = report
            .rules
            .iter()
            .map(|r| (r.id.clone(), r.attribute.clone()))
            .collect();
        // What a rule's findings hold when it is not text (for baseline entries).
        let mut kind_of_rule: HashMap<String, ValueKind> = HashMap::new();
        for f in &report.findings {
            if let Some(k) = f.value_kind {
                kind_of_rule.insert(f.rule.to_string(), k);
            }
        }

        // Exceptions first: the findings they cover show the same redacted reason.
        let mut exception_pairs = Pairs::default();
        let mut by_location: HashMap<String, (String, Option<String>)> = HashMap::new();
        if let Some(x) = &mut report.exceptions {
            for e in &mut x.entries {
                let mut p = Pairs::default();
                let attribute = attribute_of.get(&e.rule).map_or("", String::as_str);
                e.matcher = self.matcher(&e.matcher, attribute, &mut p);
                if let Some(o) = e.owner.take() {
                    e.owner = Some(self.owner(&o, &mut p));
                }
                let reason = self.reason(&e.reason);
                p.push(&e.reason, &reason);
                e.reason = reason;
                exception_pairs.extend(&p);
                by_location.insert(e.location.clone(), (e.reason.clone(), e.owner.clone()));
            }
        }

        let (pairs, values): (Vec<Pairs>, Vec<Pairs>) =
            report.findings.iter_mut().map(|f| self.fields(f)).unzip();
        // Messages may quote other attributes of the object ({attr:mail}): the values of
        // every finding on the same object apply.
        let mut by_dn: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            by_dn.entry(f.dn.clone()).or_default().push(i);
        }
        for (i, f) in report.findings.iter_mut().enumerate() {
            let mut p = pairs[i].clone();
            for &j in by_dn.get(&f.dn).into_iter().flatten() {
                if j != i && p.0.len() < pairs[i].0.len() + SIBLING_PAIRS {
                    p.extend(&values[j]);
                }
            }
            f.message = self.text(&f.message, &p.0).into();
            if let Some(e) = &mut f.exception {
                match by_location.get(&e.location) {
                    Some((reason, owner)) => {
                        e.reason = reason.clone();
                        e.owner = owner.clone();
                    }
                    None => e.reason = self.reason(&e.reason),
                }
            }
            f.fingerprint = f.compute_fingerprint();
        }

        if let Some(b) = &mut report.baseline {
            for e in &mut b.fixed {
                let mut p = Pairs::default();
                e.dn = self.dn(&e.dn, &mut p);
                if !kind_of_rule.contains_key(&e.rule) {
                    e.value = self.value(&e.attribute, &e.value, &mut p);
                }
                e.fingerprint = crate::findings::fingerprint(
                    &e.rule,
                    e.object_guid.as_deref(),
                    &e.dn,
                    &e.attribute,
                    &e.value,
                );
            }
            b.fixed.sort();
        }

        let s = &mut report.summary;
        for dn in s.include_ous.iter_mut().chain(s.exclude_ous.iter_mut()) {
            *dn = self.dn(dn, &mut Pairs::default());
        }

        for d in &mut report.diagnostics {
            let mut p = exception_pairs.clone();
            // Backticks quote DNs (`CN=...` was not checked).
            for quoted in d.message.split('`').skip(1).step_by(2) {
                let parts = crate::dn::rdns(quoted);
                if !parts.is_empty() && parts.iter().all(|r| r.contains('=')) {
                    let redacted = self.dn(quoted, &mut Pairs::default());
                    p.push(quoted, &redacted);
                }
            }
            d.message = self.text(&d.message, &p.0);
        }

        if report.redacted.is_none() {
            report.redacted = Some(RedactionInfo {
                pseudonyms: if self.keyed {
                    PseudonymKey::Keyed
                } else {
                    PseudonymKey::PerRun
                },
                fields: REDACTED_FIELDS.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
}

/// What `--redact` rewrites, as the JSON names it.
const REDACTED_FIELDS: [&str; 16] = [
    "findings.dn",
    "findings.value",
    "findings.value_base64 (removed)",
    "findings.suggestion",
    "findings.replaces",
    "findings.related.dn",
    "findings.related.value",
    "findings.uniqueness.key",
    "findings.message",
    "findings.exception",
    "findings.fingerprint (recomputed)",
    "exceptions.entries",
    "baseline.fixed",
    "summary.include_ous",
    "summary.exclude_ous",
    "diagnostics.message",
];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80
}

fn overlaps(spans: &[(usize, usize, String)], s: usize, e: usize) -> bool {
    spans.iter().any(|&(a, b, _)| s < b && a < e)
}

/// The char boundary after `i`.
fn next_boundary(text: &str, i: usize) -> usize {
    text[i..]
        .chars()
        .next()
        .map_or(text.len(), |c| i + c.len_utf8())
}

/// The first occurrence of `needle` in `hay` at or after `from`, ignoring case.
fn find_ci(hay: &str, needle: &str, from: usize) -> Option<(usize, usize)> {
    let first = needle.chars().next()?;
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    for (i, c) in hay.get(from..)?.char_indices() {
        if !same(c, first) {
            continue;
        }
        let start = from + i;
        let mut hay_chars = hay[start..].char_indices();
        let mut end = start;
        let mut ok = true;
        for n in needle.chars() {
            match hay_chars.next() {
                Some((j, h)) if same(h, n) => end = start + j + h.len_utf8(),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Some((start, end));
        }
    }
    None
}

/// True when `text[s..e]` (an occurrence of `original`) is not part of a longer word,
/// of a domain name, or the value of a kept DN component (`DC=`, `OU=`).
fn stands_alone(text: &str, s: usize, e: usize, original: &str) -> bool {
    let before: Vec<char> = text[..s].chars().rev().take(2).collect();
    let mut after = text[e..].chars();
    let (next, next2) = (after.next(), after.next());
    let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let starts_word = original.chars().next().is_some_and(char::is_alphanumeric);
    let ends_word = original.chars().last().is_some_and(char::is_alphanumeric);
    if (starts_word && alnum(before.first().copied())) || (ends_word && alnum(next)) {
        return false;
    }
    // Inside `host.contoso.com` or after `@`: a domain.
    if next == Some('.') && alnum(next2) {
        return false;
    }
    match before.first() {
        Some('@') => return false,
        Some('.') if alnum(before.get(1).copied()) => return false,
        Some('=') => {
            let ty: String = text[..s]
                .trim_end_matches('=')
                .trim_end_matches(' ')
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if KEPT_RDN_TYPES.contains(&ty.to_ascii_lowercase().as_str()) {
                return false;
            }
        }
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::report;
    use crate::findings::{
        Category, ChangeCounts, ExceptionRef, ExceptionStatus, ExceptionsSummary, Related,
        Severity, SourceRef, Uniqueness,
    };
    use crate::model::{Diagnostic, DiagnosticLevel};

    fn keyed(k: &str) -> Redactor {
        Redactor::new(RedactKey::Keyed(k.as_bytes().to_vec()))
    }

    fn finding(rule: &str, dn: &str, attribute: &str, value: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            category: Category::Format,
            dn: dn.into(),
            object_class: "user".into(),
            object_guid: None,
            attribute: attribute.into(),
            value: Some(value.into()),
            value_base64: None,
            value_kind: None,
            suggestion: None,
            replaces: None,
            attribute_values: Some(1),
            related: vec![],
            related_total: None,
            message: "".into(),
            uniqueness: None,
            source: SourceRef {
                file: "x.ldif".into(),
                line: 3,
            },
            value_line: 4,
            fingerprint: String::new(),
            state: None,
            exception: None,
        }
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = Hmac::new(b"Jefe").mac(b"what do ya want for nothing?");
        let hex = crate::text::hex(&mac);
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than a block is hashed first (test case 6).
        let mac =
            Hmac::new(&[0xaa; 131]).mac(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(mac[..4], [0x60, 0xe4, 0x31, 0x59]);
    }

    #[test]
    fn base32_reads_five_bits_at_a_time() {
        let mut b = [0u8; 32];
        b[0] = 0b0000_1000;
        b[1] = 0b1000_0000;
        assert_eq!(base32(&b, 3), "120");
        assert_eq!(base32(&[0xff; 32], MAX_CODE_LEN + 9).len(), MAX_CODE_LEN);
    }

    #[test]
    fn dn_names_become_pseudonyms_and_structure_stays() {
        let mut r = keyed("k");
        let mut p = Pairs::default();
        let a = r.dn(r"CN=Smith\, John,OU=Staff,DC=contoso,DC=com", &mut p);
        let b = r.dn(r"cn=smith\2c john, ou=Staff,dc=Contoso,dc=com", &mut p);
        assert!(
            a.starts_with("CN=person-") && a.ends_with(",OU=Staff,DC=contoso,DC=com"),
            "{a}"
        );
        assert!(b.ends_with(", ou=Staff,dc=Contoso,dc=com"), "{b}");
        assert_eq!(crate::dn::normalize(&a), crate::dn::normalize(&b));
        assert!(!a.contains("Smith"));
        // Still a valid DN with the same shape.
        assert_eq!(crate::dn::rdns(&a).len(), 4);
        // Multi-valued RDNs and uid.
        let m = r.dn("CN=Ann Lee+UID=alee,OU=x,DC=y", &mut p);
        assert!(
            m.starts_with("CN=person-") && m.contains("+UID=user-"),
            "{m}"
        );
        assert!(!m.contains("Ann") && !m.contains("alee"));
        // Quoted values, globs and pseudonyms are handled; redacting twice changes nothing.
        let q = r.dn(r#"CN="Lee, Ann",DC=x"#, &mut p);
        assert!(q.starts_with("CN=person-") && q.ends_with(",DC=x"), "{q}");
        assert_eq!(r.dn(&q, &mut p), q);
        assert!(r
            .dn("CN=svc-*,OU=Service,*", &mut p)
            .ends_with(",OU=Service,*"));
        assert_eq!(r.dn("", &mut p), "");
    }

    #[test]
    fn addresses_keep_type_and_domain_and_ignore_case() {
        let mut r = keyed("k");
        let mut p = Pairs::default();
        let a = r.address("SMTP:John.Smith@Contoso.com", &mut p);
        let b = r.address("smtp:john.smith@contoso.com", &mut p);
        let c = r.address("john.smith@fabrikam.com", &mut p);
        assert!(
            a.starts_with("SMTP:user-") && a.ends_with("@Contoso.com"),
            "{a}"
        );
        let local = |s: &str| s.split(['@', ':']).nth(1).unwrap().to_string();
        assert_eq!(local(&a), local(&b));
        assert_eq!(c, format!("{}@fabrikam.com", local(&a)));
        let x = r.address(
            "X500:/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=jsmith",
            &mut p,
        );
        assert!(
            x.starts_with(
                "X500:/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=user-"
            ),
            "{x}"
        );
        let y = r.address("X400:c=US;a= ;p=Contoso;o=Exchange;s=Smith;g=John;", &mut p);
        assert!(
            !y.contains("Smith") && !y.contains("John") && y.contains("p=Contoso"),
            "{y}"
        );
        // Without @ the whole value; a bad address keeps its (bad) domain.
        assert!(is_pseudonym(&r.address("jsmith", &mut p)));
        assert!(r
            .address("ivy.chen@contoso,com", &mut p)
            .ends_with("@contoso,com"));
        assert_eq!(r.address("SMTP:", &mut p), "SMTP:");
        assert_eq!(r.address(&a, &mut p), a);
    }

    #[test]
    fn the_same_key_gives_the_same_pseudonyms_and_another_key_others() {
        let v = |r: &mut Redactor| r.value("displayName", "Adele Vance", &mut Pairs::default());
        let a = v(&mut keyed("one"));
        assert_eq!(a, v(&mut keyed("one")));
        assert_ne!(a, v(&mut keyed("two")));
        let per_run = |r: &mut Redactor| v(r);
        let mut x = Redactor::new(RedactKey::random().unwrap());
        let mut y = Redactor::new(RedactKey::random().unwrap());
        assert_ne!(per_run(&mut x), per_run(&mut y));
        assert!(a.starts_with("person-") && a.len() == "person-".len() + CODE_LEN);
        assert!(is_pseudonym(&a));
        assert_eq!(
            format!("{:?}", RedactKey::Keyed(b"hunter2".to_vec())),
            "RedactKey::Keyed(<secret>)"
        );
    }

    #[test]
    fn a_colliding_code_grows() {
        let mut r = keyed("k");
        let short = r.code("adele");
        // Pretend another string took the code first.
        r.codes.clear();
        r.owners.insert(short.clone(), "someone else".into());
        let long = r.code("adele");
        assert_eq!(long.len(), CODE_LEN + 2);
        assert!(long.starts_with(&short));
        assert_eq!(r.code("ADELE"), long);
    }

    #[test]
    fn values_by_kind() {
        let mut r = keyed("k");
        let mut p = Pairs::default();
        assert!(r
            .value("sAMAccountName", "avance", &mut p)
            .starts_with("user-"));
        assert!(r.value("givenName", "Adele", &mut p).starts_with("person-"));
        assert!(r.value("department", "Sales", &mut p).starts_with("value-"));
        assert!(r
            .value("extensionAttribute1", "a@b.example", &mut p)
            .ends_with("@b.example"));
        assert_eq!(r.value("objectSid", "AQUAAAAAAAUV", &mut p), "AQUAAAAAAAUV");
        assert_eq!(r.value("displayName", "   ", &mut p), "   ");
        assert!(r
            .value("manager", "CN=Boss,OU=x,DC=y", &mut p)
            .ends_with(",OU=x,DC=y"));
    }

    #[test]
    fn messages_lose_the_originals_but_keep_domains_and_dn_structure() {
        let mut r = keyed("k");
        let mut p = Pairs::default();
        let sam = r.value("sAMAccountName", "contoso", &mut p);
        let dn = r.dn("CN=Kim Lee,OU=Staff,DC=contoso,DC=com", &mut p);
        let m = r.text(
            "sAMAccountName is also used by CN=Kim Lee,OU=Staff,DC=contoso,DC=com \
             (sAMAccountName) in the domain contoso.com",
            &p.0,
        );
        assert_eq!(
            m,
            format!(
                "sAMAccountName is also used by {dn} (sAMAccountName) in the domain contoso.com"
            )
        );
        let m = r.text("name contoso and contosoish", &p.0);
        assert_eq!(m, format!("name {sam} and contosoish"));
        // Safety nets: addresses and CN= values no pair knew.
        let m = r.text(
            "sign-in name jdoe@contoso.com; `CN=Doe\\, Jane,OU=X,DC=y` and cn=Solo",
            &[],
        );
        assert!(
            !m.contains("jdoe") && !m.contains("Doe") && !m.contains("Solo"),
            "{m}"
        );
        assert!(
            m.contains("@contoso.com;") && m.contains(",OU=X,DC=y`"),
            "{m}"
        );
        // Pseudonyms are left alone.
        assert_eq!(r.text(&m, &[]), m);
        assert_eq!(r.text("contains `@`", &[]), "contains `@`");
    }

    #[test]
    fn a_whole_report_is_walked() {
        let dn = "CN=Adele Vance,OU=Staff,DC=contoso,DC=com";
        let other = "CN=Kim Lee,OU=Staff,DC=contoso,DC=com";
        let mut f = finding(
            "upn-duplicate",
            dn,
            "userPrincipalName",
            "Adele.Vance@contoso.com",
        );
        f.category = Category::Duplicate;
        f.value_base64 = Some("QWRlbGU=".into());
        f.related = vec![Related {
            dn: other.into(),
            id: None,
            kind: None,
            attribute: "proxyAddresses".into(),
            value: "smtp:adele.vance@contoso.com".into(),
            value_base64: None,
            source: SourceRef {
                file: "x.ldif".into(),
                line: 9,
            },
        }];
        f.message = format!("userPrincipalName is also used by {other} (proxyAddresses)").into();
        f.uniqueness = Some(Box::new(Uniqueness {
            namespace: "smtp".into(),
            label: "SMTP address".into(),
            key: "adele.vance@contoso.com".into(),
            domain: None,
        }));
        f.exception = Some(Box::new(ExceptionRef {
            reason: "Adele Vance leaves in May".into(),
            owner: Some("Kim Lee".into()),
            expires: None,
            location: "exc.yaml:2".into(),
        }));
        let mut g = finding(
            "proxy-primary-mismatch",
            dn,
            "proxyAddresses",
            "SMTP:adele@contoso.com",
        );
        g.message = "proxyAddresses primary differs from mail (Adele.Vance@contoso.com)".into();
        let mut sid = finding(
            "objectsid-duplicate",
            other,
            "objectSid",
            "AQUAAAAAAAUVAAAA",
        );
        sid.value_kind = Some(ValueKind::Base64);
        sid.related = vec![Related {
            dn: dn.into(),
            id: None,
            kind: None,
            attribute: "objectSid".into(),
            value: "AQUAAAAAAAUVAAAA".into(),
            value_base64: None,
            source: SourceRef {
                file: "x.ldif".into(),
                line: 3,
            },
        }];
        let mut rep = report(vec![f, g, sid]);
        rep.fill_fingerprints();
        let before = rep.findings[0].fingerprint.clone();
        rep.summary.include_ous = vec!["OU=Staff,DC=contoso,DC=com".into()];
        rep.summary.exclude_ous = vec!["CN=Adele Vance,OU=Staff,DC=contoso,DC=com".into()];
        rep.exceptions = Some(ExceptionsSummary {
            path: "exc.yaml".into(),
            entries: vec![ExceptionStatus {
                rule: "upn-duplicate".into(),
                matcher: format!("dn={dn}, value=Adele.Vance@contoso.com"),
                reason: "Adele Vance leaves in May".into(),
                owner: Some("Kim Lee".into()),
                expires: Some("2020-01-01".into()),
                location: "exc.yaml:2".into(),
                expired: true,
                matched: 0,
            }],
            ..Default::default()
        });
        rep.baseline = Some(crate::findings::BaselineSummary {
            path: "old.json".into(),
            counts: ChangeCounts::default(),
            fixed: vec![BaselineEntry {
                fingerprint: "0".repeat(32),
                rule: "upn-format".into(),
                severity: None,
                category: None,
                dn: other.into(),
                object_guid: None,
                attribute: "userPrincipalName".into(),
                value: "kim..lee@contoso.com".into(),
            }],
            ..Default::default()
        });
        rep.diagnostics = vec![
            Diagnostic {
                level: DiagnosticLevel::Warning,
                file: "x.ldif".into(),
                line: 5,
                column: 0,
                message: format!("`{other}` holds only part of member (`member;range=0-1499` at line 7)"),
                limit: None,
            },
            Diagnostic {
                level: DiagnosticLevel::Warning,
                file: "exc.yaml".into(),
                line: 2,
                column: 0,
                message: format!(
                    "exception for `upn-duplicate` (dn={dn}, value=Adele.Vance@contoso.com) expired \
                     on 2020-01-01; it no longer applies (reason was: Adele Vance leaves in May)"
                ),
                limit: None,
            },
        ];
        let summary = rep.summary.clone();
        let mut r = keyed("test");
        r.report(&mut rep);
        let json = serde_json::to_string(&rep).unwrap();
        for personal in ["Adele", "adele", "Vance", "Kim", "Lee", "QWRlbGU="] {
            assert!(!json.contains(personal), "{personal} in {json}");
        }
        for kept in [
            "OU=Staff,DC=contoso,DC=com",
            "@contoso.com",
            "smtp:user-",
            "AQUAAAAAAAUVAAAA",
            "member;range=0-1499",
            "upn-duplicate",
            "2020-01-01",
        ] {
            assert!(json.contains(kept), "{kept} not in {json}");
        }
        assert_eq!(rep.summary.include_ous, ["OU=Staff,DC=contoso,DC=com"]);
        assert_eq!(rep.summary.exclude_ous[0], rep.findings[0].dn);
        assert_eq!(rep.summary.findings_total, summary.findings_total);
        let f = &rep.findings[0];
        // The duplicate still lines up: value, related value and key share one local part.
        let key = &f.uniqueness.as_ref().unwrap().key;
        assert_eq!(f.value.as_deref().unwrap().to_lowercase(), *key);
        assert_eq!(f.related[0].value.to_lowercase(), format!("smtp:{key}"));
        assert_eq!(
            *f.message,
            format!(
                "userPrincipalName is also used by {} (proxyAddresses)",
                f.related[0].dn
            )
        );
        assert_eq!(f.fingerprint, f.compute_fingerprint());
        assert_ne!(f.fingerprint, before);
        // The mail quoted by a sibling finding's message is found through this one.
        assert!(rep.findings[1]
            .message
            .contains(&format!("({})", f.value.as_deref().unwrap())));
        // The exception's reason is the same in the finding and in the summary.
        let x = &rep.exceptions.as_ref().unwrap().entries[0];
        assert_eq!(f.exception.as_ref().unwrap().reason, x.reason);
        assert!(is_pseudonym(&x.reason), "{}", x.reason);
        assert!(x.matcher.starts_with("dn=CN=person-"), "{}", x.matcher);
        assert!(rep.diagnostics[1].message.contains(&x.matcher));
        let info = rep.redacted.as_ref().unwrap();
        assert_eq!(info.pseudonyms, PseudonymKey::Keyed);
        // Redacting a redacted report changes nothing.
        let once = rep.clone();
        keyed("other").report(&mut rep);
        assert_eq!(rep, once);
    }

    #[test]
    fn a_redacted_baseline_matches_after_alignment() {
        let f = finding(
            "upn-format",
            "CN=A B,DC=x",
            "userPrincipalName",
            "a..b@x.com",
        );
        let mut fs = vec![f];
        fs[0].fingerprint = fs[0].compute_fingerprint();
        let mut r = keyed("k");
        let redacted = r.findings(&fs);
        let entries = crate::suppress::baseline::build(
            &crate::findings::ToolInfo {
                name: "dirready".into(),
                version: "0".into(),
            },
            &redacted,
        )
        .entries;
        assert_ne!(entries[0].fingerprint, fs[0].fingerprint);
        keyed("k").align_fingerprints(&mut fs, &entries);
        assert_eq!(entries[0].fingerprint, fs[0].fingerprint);
    }
}
