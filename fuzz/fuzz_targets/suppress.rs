//! The suppression inputs: the exceptions file (YAML), the baseline file (JSON, or a
//! JSON report used as a baseline), and the DN glob with the input split in two
//! (pattern before the first newline, text after it).
#![no_main]

use dirready::suppress::{baseline, exceptions};
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut touched = 0usize;
    match exceptions::parse("fuzz", text) {
        Ok(ex) => {
            for e in &ex.entries {
                touched += e.rule.len() + e.line as usize;
                if let Some(d) = &e.expires {
                    touched += usize::from(exceptions::valid_date(d));
                }
            }
        }
        Err(e) => touched += e.to_string().len(),
    }
    match baseline::parse(text) {
        Ok(entries) => touched += entries.len(),
        Err(e) => touched += e.to_string().len(),
    }
    let (pattern, subject) = match text.split_once('\n') {
        Some(parts) => parts,
        None => {
            let mut mid = text.len() / 2;
            while !text.is_char_boundary(mid) {
                mid -= 1;
            }
            text.split_at(mid)
        }
    };
    touched += usize::from(exceptions::glob(pattern, subject));
    touched += usize::from(exceptions::valid_date(text));
    black_box(touched);
});
