//! The tenant snapshot reader (`--tenant`) on arbitrary bytes, with and without a kind
//! from the command line: it reads or refuses with an error, never panics. What it
//! reads is indexed and looked up with keys taken from the input itself.
#![no_main]

use dirready::tenant::{snapshot, CloudKind, TenantIndex};
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    for kind in [None, Some(CloudKind::User), Some(CloudKind::Group)] {
        let mut index = TenantIndex::default();
        let read = snapshot::read("fuzz.json", data, kind, &mut index);
        index.finish();
        if let Err(e) = read {
            black_box(e.to_string());
        }
        let text = String::from_utf8_lossy(data);
        for key in text.split(['"', ',', ' ']).take(32) {
            black_box(index.by_upn(key).len());
            black_box(index.by_immutable_id(key).len());
            black_box(index.by_address(key).len());
            black_box(index.by_primary(CloudKind::User, key).len());
        }
        black_box(index.heap_bytes());
    }
});
