//! Distinguished names (RFC 4514 string form, as AD and OpenLDAP write them): split into
//! RDNs respecting `\` escapes (`\,` and hex pairs `\2C`) and quoted values, and the
//! forms the rest of the tool compares: the domain a DN lives in and a normalised key.

use std::borrow::Cow;

/// The RDNs of a DN, first (leaf) to last, each as written (escapes kept). A DN that
/// ends in an escape or an open quote keeps the rest as its last RDN: a DN is data
/// here, never refused.
pub fn rdns(dn: &str) -> Vec<&str> {
    let b = dn.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                quoted = !quoted;
                i += 1;
            }
            b',' | b';' if !quoted => {
                out.push(&dn[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < dn.len() || !out.is_empty() {
        out.push(&dn[start.min(dn.len())..]);
    }
    out
}

/// Splits one RDN into its attribute-value assertions (`cn=a+sn=b` has two), each as
/// (type, value as written).
pub fn avas(rdn: &str) -> Vec<(&str, &str)> {
    let b = rdn.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                quoted = !quoted;
                i += 1;
            }
            b'+' if !quoted => {
                parts.push(&rdn[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    parts.push(&rdn[start.min(rdn.len())..]);
    parts
        .into_iter()
        .map(|ava| match ava.find('=') {
            Some(eq) => (ava[..eq].trim(), ava[eq + 1..].trim_start()),
            None => ("", ava.trim()),
        })
        .collect()
}

/// The value of an AVA with its escapes resolved: `Smith\, John` and `Smith\2C John`
/// both give `Smith, John`; surrounding quotes are removed; unescaped trailing spaces
/// are insignificant. Hex escapes that do not form UTF-8 are kept as written.
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
            let hex = b
                .get(i + 1..i + 3)
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
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(value),
    }
}

/// The Active Directory domain a DN belongs to: the `DC=` components that end it, joined
/// with dots and lowercased (`CN=x,OU=y,DC=EMEA,DC=contoso,DC=com` → `emea.contoso.com`).
/// Empty when the DN does not end in `DC=` components (an OpenLDAP `o=` tree, say).
pub fn domain(dn: &str) -> String {
    let mut labels: Vec<String> = Vec::new();
    for rdn in rdns(dn).into_iter().rev() {
        let avas = avas(rdn);
        match avas.as_slice() {
            [(ty, value)] if ty.eq_ignore_ascii_case("dc") => {
                labels.push(unescape(value).to_lowercase())
            }
            _ => break,
        }
    }
    labels.reverse();
    labels.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
