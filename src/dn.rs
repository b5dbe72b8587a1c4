//! Distinguished names (RFC 4514 string form, as AD and OpenLDAP write them): the one
//! place that splits DNs into RDNs (respecting `\` escapes, hex pairs such as `\2C`, and
//! quoted values), compares them, and escapes values. `CN=Smith\, John` and
//! `cn=smith\2c john` are the same DN; `Smith\, John` and `Smith\,John` are not.

use std::borrow::Cow;

/// A parsed DN: its RDNs, leaf first, each a list of (type, value) with escapes resolved.
/// Parsing never fails: a DN is data, and a malformed one keeps its text as values.
#[derive(Debug, Clone)]
pub struct Dn {
    rdns: Vec<Vec<(String, String)>>,
}

impl Dn {
    pub fn parse(dn: &str) -> Dn {
        Dn {
            rdns: rdns(dn)
                .into_iter()
                .map(|rdn| {
                    avas(rdn)
                        .into_iter()
                        .map(|(t, v)| (t.to_string(), unescape(v).into_owned()))
                        .collect()
                })
                .collect(),
        }
    }

    /// The canonical form compared for identity: types and values lowercased, no spaces
    /// around separators, the AVAs of a multi-valued RDN sorted, values escaped the
    /// RFC 4514 way.
    pub fn normalized(&self) -> String {
        self.rdn_keys().join(",")
    }

    /// Each RDN in its canonical form (see [`Dn::normalized`]), leaf first.
    pub fn rdn_keys(&self) -> Vec<String> {
        self.rdns
            .iter()
            .map(|rdn| {
                let mut avas: Vec<String> = rdn
                    .iter()
                    .map(|(t, v)| match t.as_str() {
                        // Not an assertion (a glob's `*`): its `=` escaped, so it never
                        // equals a `type=value` pair.
                        "" => escape_value(&v.to_lowercase()).replace('=', "\\3d"),
                        t => format!(
                            "{}={}",
                            t.to_ascii_lowercase(),
                            escape_value(&v.to_lowercase())
                        ),
                    })
                    .collect();
                avas.sort();
                avas.join("+")
            })
            .collect()
    }

    /// True when this DN equals `base` or lies under it, compared RDN by RDN.
    pub fn is_within(&self, base: &Dn) -> bool {
        let (mine, theirs) = (self.rdn_keys(), base.rdn_keys());
        within_keys(&mine, &theirs)
    }

    /// The value of the first (leaf) RDN's first AVA, unescaped: `Smith, John`.
    pub fn leaf_value(&self) -> &str {
        self.rdns
            .first()
            .and_then(|r| r.first())
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

impl PartialEq for Dn {
    fn eq(&self, other: &Dn) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for Dn {}

/// True when the RDN keys `dn` end with `base` (the DN is at or under the base).
pub fn within_keys(dn: &[String], base: &[String]) -> bool {
    !base.is_empty() && dn.len() >= base.len() && dn[dn.len() - base.len()..] == *base
}

/// `dn` in the canonical form of [`Dn::normalized`].
pub fn normalize(dn: &str) -> String {
    if plain(dn) {
        return dn.to_ascii_lowercase();
    }
    Dn::parse(dn).normalized()
}

/// True when `dn`'s canonical form is the DN lowercased: printable ASCII with nothing
/// to unescape, unquote, sort, trim or escape (no `\ " + ; < > #`, no space next to a
/// `,` or `=` or at either end, no empty RDN or type). Most DNs are; a finding's
/// fingerprint normalises its DN when the object has no objectGUID.
fn plain(dn: &str) -> bool {
    let b = dn.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if matches!(first, b' ' | b',' | b'=') || matches!(last, b' ' | b',') {
        return false;
    }
    b.iter().all(|&c| {
        (0x20..0x7f).contains(&c) && !matches!(c, b'\\' | b'"' | b'+' | b';' | b'<' | b'>' | b'#')
    }) && b.windows(2).all(|w| {
        !matches!(
            w,
            [b' ', b',' | b'='] | [b',' | b'=', b' '] | [b',', b',' | b'=']
        )
    })
}

/// The first RDN of a DN as written (escapes kept): up to the first unescaped `,`.
pub fn first_rdn(dn: &str) -> &str {
    // What `rdns(dn)[0]` is, without splitting the rest of the DN.
    match separators(dn, b",;").next() {
        Some(at) => &dn[..at],
        None => dn,
    }
}

/// Escapes an attribute value for a DN string (RFC 4514 section 2.4): `" + , ; < > \`
/// anywhere, `#` or a space at the start, a space at the end, and NUL.
pub fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' | ' ' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// Splits `s` at the unescaped, unquoted bytes in `seps`, keeping every piece as written.
/// An escape or an open quote at the end keeps the rest as the last piece: a DN is data
/// here, never refused.
fn split_unescaped<'s>(s: &'s str, seps: &[u8]) -> Vec<&'s str> {
    let mut out = Vec::new();
    let mut start = 0;
    for at in separators(s, seps) {
        out.push(&s[start..at]);
        start = at + 1;
    }
    out.push(&s[start.min(s.len())..]);
    out
}

/// Offsets of the bytes of `seps` in `s` that are neither escaped nor quoted, in order.
fn separators<'s>(s: &'s str, seps: &'s [u8]) -> impl Iterator<Item = usize> + 's {
    let b = s.as_bytes();
    let (mut i, mut quoted) = (0, false);
    std::iter::from_fn(move || {
        while i < b.len() {
            let at = i;
            match b[i] {
                b'\\' => i += 2,
                b'"' => {
                    quoted = !quoted;
                    i += 1;
                }
                c if !quoted && seps.contains(&c) => {
                    i += 1;
                    return Some(at);
                }
                _ => i += 1,
            }
        }
        None
    })
}

/// The RDNs of a DN, first (leaf) to last, each as written (escapes kept).
pub fn rdns(dn: &str) -> Vec<&str> {
    if dn.is_empty() {
        return Vec::new();
    }
    split_unescaped(dn, b",;")
}

/// Splits one RDN into its attribute-value assertions (`cn=a+sn=b` has two), each as
/// (type, value as written).
pub fn avas(rdn: &str) -> Vec<(&str, &str)> {
    let parts = split_unescaped(rdn, b"+");
    parts
        .into_iter()
        .map(|ava| match unescaped_eq(ava) {
            // Only spaces around separators are insignificant (RFC 4514), not other
            // whitespace: a value may begin with a no-break space or a line feed.
            Some(eq) => (
                ava[..eq].trim_matches(' '),
                ava[eq + 1..].trim_start_matches(' '),
            ),
            None => ("", ava.trim_matches(' ')),
        })
        .collect()
}

/// Position of the first `=` not escaped by a backslash.
fn unescaped_eq(ava: &str) -> Option<usize> {
    let b = ava.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'=' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The value of an AVA with its escapes resolved: `Smith\, John` and `Smith\2C John`
/// both give `Smith, John`; surrounding quotes are removed; unescaped trailing spaces
/// are insignificant. Hex escapes that do not form UTF-8 keep their bytes (`crate::text`).
pub fn unescape(value: &str) -> Cow<'_, str> {
    let v = trim_unescaped_end(value);
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return unescape_plain(inner);
    }
    unescape_plain(v)
}

fn trim_unescaped_end(value: &str) -> &str {
    let b = value.as_bytes();
    let mut end = b.len();
    while end > 0 && b[end - 1] == b' ' {
        // A space is escaped when an odd number of backslashes precede it.
        let backslashes = b[..end - 1]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if backslashes % 2 == 1 {
            break;
        }
        end -= 1;
    }
    &value[..end]
}

fn unescape_plain(value: &str) -> Cow<'_, str> {
    if !value.contains('\\') {
        return Cow::Borrowed(value);
    }
    let b = value.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            // Two hex digits exactly (from_str_radix alone would take `+b` as 11).
            let hex = b
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b[i + 1]);
                    i += 2;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    // Hex escapes that do not form UTF-8: their bytes kept exactly (see `crate::text`),
    // never confused with a literal backslash; the value's own text stays as it is.
    Cow::Owned(crate::text::decode_escaping_invalid(&out))
}

/// The Active Directory domain a DN belongs to: the `DC=` components that end it, joined
/// with dots and lowercased (`CN=x,OU=y,DC=EMEA,DC=contoso,DC=com` → `emea.contoso.com`).
/// Empty when the DN does not end in `DC=` components (an OpenLDAP `o=` tree, say).
pub fn domain(dn: &str) -> String {
    let mut out = String::new();
    domain_into(dn, &mut out);
    out
}

/// True when two DNs name the same object (compared by RDN, see [`normalize`]); equal
/// text needs no parse.
pub fn same_dn(a: &str, b: &str) -> bool {
    a == b || normalize(a) == normalize(b)
}

/// The DN of the Active Directory domain a DN belongs to: its trailing `DC=`
/// components as written (`CN=x,OU=y,DC=corp,DC=example` → `DC=corp,DC=example`).
/// Empty when the DN does not end in `DC=` components.
pub fn domain_dn(dn: &str) -> String {
    let parts = rdns(dn);
    let first_dc = parts.iter().rposition(|r| !is_dc(r)).map_or(0, |i| i + 1);
    parts[first_dc..]
        .iter()
        .map(|r| r.trim())
        .collect::<Vec<_>>()
        .join(",")
}

/// [`domain`] appended to `out`, without allocating for plain DNs: the trailing `DC=`
/// components are found from the end (a `,` is a separator when an even number of
/// backslashes precede it). DNs with quotes or `+` take the full parse.
pub fn domain_into(dn: &str, out: &mut String) {
    if memchr::memchr2(b'"', b'+', dn.as_bytes()).is_some() {
        out.push_str(&domain_parsed(dn));
        return;
    }
    let b = dn.as_bytes();
    // Start offsets of the trailing DC= components, last first.
    let mut end = b.len();
    let mut labels: [(usize, usize); 16] = [(0, 0); 16];
    let mut n = 0;
    loop {
        // The separator before the component ending at `end`.
        let mut i = end;
        let start = loop {
            if i == 0 {
                break 0;
            }
            i -= 1;
            if b[i] == b',' || b[i] == b';' {
                let slashes = b[..i].iter().rev().take_while(|&&c| c == b'\\').count();
                if slashes % 2 == 0 {
                    break i + 1;
                }
            }
        };
        let rdn = &dn[start..end];
        let Some((ty, _)) = rdn.split_once('=') else {
            break;
        };
        if !trim_spaces(ty).eq_ignore_ascii_case("dc") || n == labels.len() {
            if n == labels.len() {
                // Deeper than any real domain: the full parse decides.
                out.push_str(&domain_parsed(dn));
                return;
            }
            break;
        }
        let v_start = start + ty.len() + 1;
        labels[n] = (v_start, end);
        n += 1;
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    for (k, &(s, e)) in labels[..n].iter().rev().enumerate() {
        if k > 0 {
            out.push('.');
        }
        let value = trim_spaces(&dn[s..e]);
        if value.contains('\\') {
            out.push_str(&unescape(value).to_lowercase());
        } else if value.is_ascii() {
            out.extend(value.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            for c in value.chars() {
                out.extend(c.to_lowercase());
            }
        }
    }
}

/// `s.trim_matches(' ')`, byte by byte.
fn trim_spaces(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |e| e + 1);
    &s[start..end]
}

fn domain_parsed(dn: &str) -> String {
    let parts = rdns(dn);
    // Trailing `DC=` components, found from the end.
    let mut first = parts.len();
    while first > 0 && is_dc(parts[first - 1]) {
        first -= 1;
    }
    let mut out = String::with_capacity(dn.len() / 2);
    for (i, rdn) in parts[first..].iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let value = rdn
            .split_once('=')
            .map(|(_, v)| v.trim_start_matches(' '))
            .unwrap_or("");
        // Plain values (the usual case) are lowercased as they are; others are unescaped.
        if value.contains(['\\', '"']) {
            out.push_str(&unescape(value).to_lowercase());
        } else {
            out.push_str(&value.trim_end_matches(' ').to_lowercase());
        }
    }
    out
}

/// An RDN that is one `DC=` assertion (not multi-valued).
fn is_dc(rdn: &str) -> bool {
    let Some((ty, _)) = rdn.split_once('=') else {
        return false;
    };
    ty.trim_matches(' ').eq_ignore_ascii_case("dc") && (!rdn.contains('+') || avas(rdn).len() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_dns_normalise_as_parsed_ones_do() {
        // Random DNs from an alphabet of every character the canonical form treats
        // specially: wherever the shortcut is taken, it gives the parser's answer.
        const ALPHABET: &[&str] = &[
            "a", "B", "cn", "=", "=", ",", ",", " ", "+", "\\", "\"", "#", ";", "<", ">", "\u{e9}",
            "\t", "\0", "5", "DC=x", "\\2C",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap_or(0)
        };
        let mut shortcut = 0;
        for _ in 0..200_000 {
            let len = next(12);
            let dn: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
            shortcut += usize::from(plain(&dn));
            assert_eq!(normalize(&dn), Dn::parse(&dn).normalized(), "{dn:?}");
        }
        assert!(shortcut > 1000, "the shortcut was tested: {shortcut}");
        for dn in [
            "CN=John Smith,OU=Users,DC=corp,DC=local",
            "cn=a=b,dc=x",
            "CN=a b,O=c d",
        ] {
            assert!(plain(dn), "{dn}");
            assert_eq!(normalize(dn), Dn::parse(dn).normalized());
        }
    }

    #[test]
    fn trim_spaces_trims_spaces_only() {
        for s in ["", "   ", " a b ", "a", "\ta ", "  \u{fc}  "] {
            assert_eq!(trim_spaces(s), s.trim_matches(' '), "{s:?}");
        }
    }

    #[test]
    fn first_rdn_is_the_first_of_rdns() {
        for dn in [
            "",
            "CN=a",
            "CN=a,DC=x",
            "CN=a;DC=x",
            "CN=a\\,b,OU=c",
            "CN=\"a,b\",OU=c",
            "CN=\"open,OU=c",
            "CN=a\\",
            "CN=a\\\\,OU=b",
            "CN=J\u{fc}rgen\\\u{e9},OU=b",
            ",DC=x",
        ] {
            let expected = rdns(dn).first().copied().unwrap_or(dn);
            assert_eq!(first_rdn(dn), expected, "{dn:?}");
        }
    }

    #[test]
    fn domain_dn_keeps_the_trailing_dc_components_as_written() {
        assert_eq!(
            domain_dn("CN=a\\,b,OU=x,DC=Corp, DC=example"),
            "DC=Corp,DC=example"
        );
        assert_eq!(domain_dn("cn=a,o=org"), "");
        assert_eq!(domain_dn("DC=corp,DC=example"), "DC=corp,DC=example");
    }

    #[test]
    fn rdns_respect_escapes_and_quotes() {
        assert_eq!(
            rdns(r"CN=Smith\, John,OU=Staff,DC=x"),
            vec![r"CN=Smith\, John", "OU=Staff", "DC=x"]
        );
        assert_eq!(rdns(r#"CN="a,b",DC=x"#), vec![r#"CN="a,b""#, "DC=x"]);
        assert_eq!(rdns("CN=a"), vec!["CN=a"]);
        assert!(rdns("").is_empty());
        // A trailing backslash does not run past the end.
        assert_eq!(rdns("CN=a\\"), vec!["CN=a\\"]);
    }

    #[test]
    fn multi_valued_rdns_split_on_plus() {
        assert_eq!(avas("cn=a+sn=b"), vec![("cn", "a"), ("sn", "b")]);
        assert_eq!(avas(r"cn=a\+b"), vec![("cn", r"a\+b")]);
    }

    #[test]
    fn unescape_forms() {
        assert_eq!(unescape(r"Smith\, John"), "Smith, John");
        assert_eq!(unescape(r"Smith\2C John"), "Smith, John");
        assert_eq!(unescape(r"Smith\2c John"), "Smith, John");
        assert_eq!(unescape(r"J\C3\BCrgen"), "Jürgen");
        assert_eq!(unescape(r#""quoted, value""#), "quoted, value");
        assert_eq!(unescape(r"trail\ "), "trail ");
        assert_eq!(unescape("trail  "), "trail");
    }

    #[test]
    fn equal_dns_by_rdn_not_by_text() {
        assert_eq!(
            Dn::parse(r"CN=Smith\, John,OU=Staff"),
            Dn::parse(r"cn=smith\2c john,ou=staff")
        );
        assert_eq!(
            normalize(" CN=Smith\\, John , OU = Staff,DC=Contoso,DC=com "),
            r"cn=smith\, john,ou=staff,dc=contoso,dc=com"
        );
        assert_ne!(normalize(r"CN=Smith\, John"), normalize(r"CN=Smith\,John"));
        assert_eq!(normalize("cn=a+sn=b,dc=x"), normalize("SN=B+CN=A,DC=X"));
        assert_eq!(normalize(r#"CN="a, b",DC=x"#), normalize(r"cn=a\, b,dc=x"));
        assert_eq!(normalize("CN=Ann Lee,DC=x"), "cn=ann lee,dc=x");
        // One to one: raw bytes, escaped backslashes and escaped `=` stay apart.
        assert_ne!(normalize(r"CN=x\FF,DC=y"), normalize(r"CN=x\5CFF,DC=y"));
        assert_ne!(normalize(r"CN=x\FF,DC=y"), normalize(r"CN=x\\FF,DC=y"));
        assert_ne!(normalize(r"c\,n=x,DC=y"), normalize(r"c\,n\3Dx,DC=y"));
        // Exception globs keep their shape.
        assert_eq!(
            normalize("CN=svc-* , OU=Service,*"),
            "cn=svc-*,ou=service,*"
        );
        assert_eq!(
            Dn::parse(r"CN=Smith\, John,OU=x,DC=y").leaf_value(),
            "Smith, John"
        );
        assert_eq!(Dn::parse("").leaf_value(), "");
        assert_eq!(
            first_rdn(r"CN=Smith\, John,OU=Staff,DC=x"),
            r"CN=Smith\, John"
        );
        assert_eq!(first_rdn("CN=a"), "CN=a");
    }

    #[test]
    fn escape_value_round_trips() {
        // Found by fuzzing: leading no-break space, leading line feed, `+` before a hex
        // digit (fuzz/regressions/dn/).
        for v in [
            "\u{a0}Smith",
            "\n",
            "+C",
            "\u{10ffae}+",
            "cj\u{10ff46}=x\\, y",
        ] {
            let e = escape_value(v);
            assert_eq!(unescape(&e), v, "{e}");
            assert_eq!(Dn::parse(&format!("CN={e},DC=x")).leaf_value(), v, "{e}");
        }
        for v in [
            "Smith, John",
            "#1",
            " lead",
            "trail ",
            "a+b=c",
            "back\\slash",
            "quote\"d",
            "plain",
        ] {
            let e = escape_value(v);
            assert_eq!(unescape(&e), v, "{e}");
            assert_eq!(rdns(&format!("cn={e},dc=x")).len(), 2, "{e}");
        }
    }

    #[test]
    fn domain_is_the_trailing_dc_components() {
        assert_eq!(
            domain("CN=J,OU=Staff,DC=contoso,DC=com"),
            domain("cn=j,ou=staff,dc=Contoso,dc=COM")
        );
        assert_eq!(domain("CN=J,OU=Staff,DC=contoso,DC=com"), "contoso.com");
        assert_eq!(domain("CN=J,DC=emea,DC=contoso,DC=com"), "emea.contoso.com");
        assert_eq!(domain("CN=J, DC = contoso , DC=com"), "contoso.com");
        // DC= components not at the end do not count.
        assert_eq!(domain("CN=J,DC=x,OU=y,DC=contoso,DC=com"), "contoso.com");
        assert_eq!(domain("cn=j,ou=people,o=example"), "");
        assert_eq!(domain(""), "");
        // The fast path agrees with the full parse.
        for dn in [
            r"CN=Smith\, John,OU=x,DC=Contoso,DC=COM",
            r"CN=a,DC=x\,y,DC=com",
            r"CN=a\\,DC=x,DC=com",
            "CN=a;DC=x;DC=com",
            "DC=com",
            " DC = a , DC=b",
            "CN=a,DC=,DC=com",
            "CN=a,OU=b",
            "=,=,",
            ",,,",
        ] {
            assert_eq!(domain(dn), domain_parsed(dn), "{dn}");
        }
    }
}
