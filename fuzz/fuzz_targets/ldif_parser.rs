//! The LDIF parser on arbitrary bytes: every record it yields is walked completely
//! (DN, change type, every attribute, base64 values decoded), every diagnostic formatted.
#![no_main]

use dirready::source::ldif::LdifParser;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
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
