//! `dirready diff OLD.json NEW.json` reads a JSON report written by anyone and renders
//! it: arbitrary JSON deserialised as a `Report` (as `cli::diff` does), fingerprints
//! filled, then every renderer. An `Err` from a renderer is fine here (only panics count).
#![no_main]

use dirready::findings::Report;
use dirready::report::{self, github, OutputFormat};
use dirready::suppress::baseline;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;

fuzz_target!(|data: &[u8]| {
    let Ok(mut report) = serde_json::from_slice::<Report>(data) else {
        return;
    };
    report.fill_fingerprints();
    let mut touched = 0usize;
    for &format in OutputFormat::all() {
        match report::render(format, &report, None, false) {
            Ok(text) => touched += text.len(),
            Err(e) => touched += e.to_string().len(),
        }
    }
    touched += report::terminal::render(&report, true).len();
    touched += github::render(&report, "dirready diff").len();
    if let Ok(text) = baseline::to_json(&baseline::build(&report.tool, &report.findings)) {
        touched += text.len();
    }
    black_box(touched);
});
