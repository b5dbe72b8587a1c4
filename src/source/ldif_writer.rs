//! Writing directory entries as LDIF, the way `ldapsearch -LLL -o ldif_wrap=no` does.
//!
//! A live source is turned into this text and fed to the same block reader and parser as
//! an LDIF file, so the same rules run on it and `--snapshot` can save exactly what was
//! checked. Conventions (RFC 2849):
//!
//! * `dn:` / `attr:` for SAFE-STRINGs, `dn::` / `attr::` with base64 when RFC 2849
//!   requires it (a value that starts with a space, `:` or `<`, ends with a space, or
//!   contains NUL, CR, LF or any byte above 127), and for any other control character or
//!   DEL too, so no value can hide lines from a reviewer's terminal.
//! * Lines are **never folded**: one value is one line, so the line number of a value in
//!   the stream (and in the snapshot) is the line a finding cites.
//! * Records end with one blank line.

use base64::Engine as _;
use std::io::{self, Write};

/// Does RFC 2849 require this value to be written as base64?
pub fn needs_base64(v: &[u8]) -> bool {
    match (v.first(), v.last()) {
        (None, _) => false,
        (Some(&f), Some(&l)) => {
            matches!(f, b' ' | b':' | b'<')
                || l == b' '
                // RFC 2849 requires NUL, CR, LF and bytes over 127; other control
                // characters and DEL too, so no value can hide lines from a reviewer's
                // terminal (ESC sequences) or confuse a tool.
                || v.iter().any(|b| !(0x20..0x7F).contains(b))
        }
        _ => false,
    }
}

/// Writes one `name: value` (or `name:: base64`) line.
pub fn write_value(out: &mut impl Write, name: &str, value: &[u8]) -> io::Result<()> {
    if value.is_empty() {
        writeln!(out, "{name}:")
    } else if needs_base64(value) {
        writeln!(
            out,
            "{name}:: {}",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    } else {
        out.write_all(name.as_bytes())?;
        out.write_all(b": ")?;
        out.write_all(value)?;
        out.write_all(b"\n")
    }
}

/// Writes one entry: the DN, the attributes in the order given, and the closing blank
/// line. Returns the number of lines written.
pub fn write_entry(
    out: &mut impl Write,
    dn: &str,
    attrs: &[(String, Vec<Vec<u8>>)],
) -> io::Result<u64> {
    write_value(out, "dn", dn.as_bytes())?;
    let mut lines = 2;
    for (name, values) in attrs {
        for v in values {
            write_value(out, name, v)?;
            lines += 1;
        }
    }
    out.write_all(b"\n")?;
    Ok(lines)
}

/// Writes a comment; line breaks in the text become separate comment lines so the
/// comment can never turn into data.
pub fn write_comment(out: &mut impl Write, text: &str) -> io::Result<u64> {
    let mut n = 0;
    for line in text.split(['\n', '\r']) {
        // Control characters (ESC sequences could hide lines in a terminal) made visible.
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect();
        writeln!(out, "# {line}")?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::testutil::read_all;

    fn decoded(e: &crate::source::testutil::OwnedEntry) -> Vec<(String, Vec<u8>)> {
        e.attrs
            .iter()
            .map(|(n, _, raw, enc, _)| {
                let v = match enc {
                    crate::model::ValueEncoding::Base64 => {
                        base64::engine::general_purpose::STANDARD
                            .decode(raw)
                            .unwrap()
                    }
                    _ => raw.clone(),
                };
                (n.clone(), v)
            })
            .collect()
    }

    #[test]
    fn base64_exactly_when_rfc2849_requires_it() {
        for (v, b) in [
            (&b""[..], false),
            (b"plain@x.com", false),
            (b"inner space ok", false),
            (b" lead", true),
            (b":colon", true),
            (b"<url", true),
            (b"trail ", true),
            (b"a\0b", true),
            (b"a\rb", true),
            (b"a\nb", true),
            ("Jörg".as_bytes(), true),
            (&[0xff, 0xfe, 0x00, 0x10], true),
            (b"a:b<c", false),
            (b"#not a comment", false),
            (b"-", false),
        ] {
            assert_eq!(needs_base64(v), b, "{v:?}");
        }
    }

    #[test]
    fn hostile_values_round_trip_through_the_parser() {
        let hostile: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b" leading".to_vec(),
            b"trailing ".to_vec(),
            b":colon".to_vec(),
            b"<file:///etc/passwd".to_vec(),
            b"line\nbreak\r\n".to_vec(),
            b"nul\0byte".to_vec(),
            "Jörg Groß 𝔘".as_bytes().to_vec(),
            vec![0x80, 0xff, 0x00, 0x41, 0x0a],
            b"#hash".to_vec(),
            b"-".to_vec(),
            b"dn: cn=injected".to_vec(),
            "x".repeat(5000).into_bytes(),
            b"\t tab".to_vec(),
        ];
        let dns = [
            "CN=Plain,DC=x",
            " CN=leading space",
            "CN=Jörg,OU=Zürich,DC=x",
            "CN=Smith\\, John,DC=x",
            ":odd",
        ];
        let mut out = Vec::new();
        write_comment(&mut out, "header\nwith a line break: dn: cn=evil").unwrap();
        out.push(b'\n');
        for dn in dns {
            let attrs = vec![
                ("objectClass".to_string(), vec![b"user".to_vec()]),
                ("description".to_string(), hostile.clone()),
                ("objectGUID".to_string(), vec![(0u8..16).collect()]),
            ];
            write_entry(&mut out, dn, &attrs).unwrap();
        }
        // No line is longer than needed and none is folded.
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.lines().all(|l| !l.starts_with(' ')));
        for bs in [7, 64, 1 << 20] {
            let (entries, diags) = read_all("t", out.clone(), bs);
            assert!(
                diags
                    .iter()
                    .all(|d| d.level != crate::model::DiagnosticLevel::Error),
                "{diags:?}"
            );
            assert_eq!(entries.len(), dns.len());
            for (e, dn) in entries.iter().zip(dns) {
                assert_eq!(e.dn, dn);
                let vals = decoded(e);
                assert_eq!(vals[0], ("objectClass".into(), b"user".to_vec()));
                let desc: Vec<Vec<u8>> = vals
                    .iter()
                    .filter(|(n, _)| n == "description")
                    .map(|(_, v)| v.clone())
                    .collect();
                assert_eq!(desc, hostile);
                assert_eq!(vals.last().unwrap().1, (0u8..16).collect::<Vec<u8>>());
            }
        }
    }

    #[test]
    fn line_numbers_count_one_line_per_value() {
        let mut out = Vec::new();
        let n = write_entry(
            &mut out,
            "cn=a",
            &[("mail".into(), vec![b"a@x".to_vec(), b"b@x".to_vec()])],
        )
        .unwrap();
        assert_eq!(n, 4);
        let n2 = write_entry(&mut out, "cn=b", &[("mail".into(), vec![b"c@x".to_vec()])]).unwrap();
        let (entries, _) = read_all("t", out, 1 << 20);
        assert_eq!(entries[0].line, 1);
        assert_eq!(entries[0].attrs[1].4, 3);
        assert_eq!(entries[1].line, 1 + n);
        assert_eq!(n2, 3);
    }
}
