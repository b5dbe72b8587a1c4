//! DN handling on arbitrary UTF-8: `dn::rdns`, `dn::avas`, `dn::unescape`, `dn::domain`,
//! `dn::first_rdn`, `dn::normalize` and the `dn::Dn` type (parse, normalized, RDN keys,
//! leaf value, `is_within`), `dn::escape_value`.
//!
//! Two properties are checked as well (RFC 4514 section 2.4, which `dn.rs` follows): a
//! value escaped by `dn::escape_value`, or with every special character escaped as `\c`,
//! unescapes back to itself; and as the leaf of a DN it parses back to itself.
#![no_main]

use dirready::dn::{self, Dn};
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut touched = 0usize;
    for rdn in dn::rdns(text) {
        for (ty, value) in dn::avas(rdn) {
            touched += ty.len() + dn::unescape(value).len();
        }
    }
    // Also straight on the whole input, as an RDN and as a value on its own.
    touched += dn::unescape(text).len();
    for (ty, value) in dn::avas(text) {
        touched += ty.len() + value.len();
    }
    touched += dn::domain(text).len();
    touched += dn::first_rdn(text).len();
    touched += dn::normalize(text).len();
    let parsed = Dn::parse(text);
    touched += parsed.normalized().len() + parsed.rdn_keys().len() + parsed.leaf_value().len();
    // Against a base made of the input's own tail, and against a fixed one.
    if let Some((_, tail)) = text.split_once(',') {
        touched += usize::from(parsed.is_within(&Dn::parse(tail)));
    }
    touched += usize::from(parsed.is_within(&Dn::parse("DC=contoso,DC=com")));

    for escaped in [dn::escape_value(text), escape_all(text)] {
        assert_eq!(
            dn::unescape(&escaped),
            text,
            "unescape of the escaped value {escaped:?} is not the value"
        );
        let leaf = Dn::parse(&format!("CN={escaped},DC=contoso,DC=com"));
        assert_eq!(
            leaf.leaf_value(),
            text,
            "the leaf value of CN={escaped},DC=contoso,DC=com is not the value"
        );
    }
    black_box(touched);
});

/// RFC 4514 escaping of an attribute value with every special character, `#`, `=` and
/// space as a backslash pair (allowed wherever they are in the value).
fn escape_all(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        if matches!(
            c,
            '\\' | ',' | '+' | '"' | ';' | '<' | '>' | '=' | '#' | ' '
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
