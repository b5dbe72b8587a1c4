//! The LDIF parser on arbitrary bytes: every record it yields is walked completely
//! (DN, change type, every attribute, base64 values decoded), every diagnostic formatted;
//! and the one-pass path for common lines gives exactly what the general path gives.
#![no_main]

use dirready::source::ldif::LdifParser;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

/// Everything the parser says about `data`, as text: records, attributes, diagnostics.
fn transcript(data: &[u8], fast: bool) -> String {
    let mut parser = LdifParser::new("fuzz", data, 1, true);
    if !fast {
        parser = parser.without_fast_path();
    }
    // A short line limit now and then, so both paths meet it.
    if data.first().is_some_and(|&b| b & 1 == 1) {
        parser.set_max_line(usize::from(data[0]));
    }
    let mut diags = Vec::new();
    let mut out = String::new();
    while let Some(entry) = parser.next_entry(&mut diags) {
        out.push_str(&format!(
            "{:?} {} {:?} {}\n",
            entry.dn, entry.line, entry.changetype, entry.only_adds
        ));
        for a in &entry.attrs {
            out.push_str(&format!(
                "  {:?} {:?} {:?} {:?} {}\n",
                a.name, a.options, a.raw, a.encoding, a.line
            ));
        }
        parser.recycle(entry.attrs);
    }
    for d in &diags {
        out.push_str(&format!("{d:?}\n"));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    assert_eq!(transcript(data, true), transcript(data, false));
    let mut diags = Vec::new();
    let mut parser = LdifParser::new("fuzz", data, 1, true);
    let mut touched = 0usize;
    while let Some(entry) = parser.next_entry(&mut diags) {
        touched += entry.dn.len() + entry.line as usize;
        touched += entry.changetype.as_str().len();
        touched += entry.values("objectClass").count();
        for attr in &entry.attrs {
            touched += attr.name.len() + attr.options.len() + attr.raw.len();
            touched += attr.line as usize;
            touched += usize::from(attr.is("proxyAddresses"));
            if let Ok(value) = attr.decoded() {
                touched += value.len();
            }
        }
        parser.recycle(entry.attrs);
    }
    for d in &diags {
        touched += d.to_string().len();
    }
    black_box(touched);
});
