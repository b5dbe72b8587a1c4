//! Bytes in, report out: one in-memory input through the whole engine (block reader,
//! parser, the built-in rule pack, suggestions, uniqueness), then the report through
//! every renderer the command line has, plus the baseline written from it and read back.
#![no_main]

use dirready::engine::{self, Input, ScanOptions};
use dirready::report::{self, github, OutputFormat};
use dirready::rules::RuleSet;
use dirready::suppress::baseline;
use libfuzzer_sys::fuzz_target;
use std::hint::black_box;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("the built-in rule pack loads"))
}

fuzz_target!(|data: &[u8]| {
    let opts = ScanOptions {
        accepted_domains: vec!["contoso.com".into()],
        block_size: 4096,
        ..Default::default()
    };
    let input = Input::from_bytes("fuzz.ldif", data.to_vec(), opts.block_size);
    let report = match engine::scan(vec![input], rules(), &opts) {
        Ok(r) => r,
        // An in-memory input cannot fail to open; an error here is still not a crash.
        Err(e) => {
            black_box(e.to_string());
            return;
        }
    };
    let mut touched = 0usize;
    let mut json = String::new();
    for &format in OutputFormat::all() {
        match report::render(format, &report, None, false) {
            Ok(text) if format == OutputFormat::Json => json = text,
            Ok(text) => touched += text.len(),
            Err(e) => panic!("{format:?} renderer failed on an engine report: {e}"),
        }
    }
    // The terminal renderer with colour, and the GitHub step summary.
    touched += report::terminal::render(&report, true).len();
    touched += github::render(&report, "dirready scan").len();
    // A baseline of this report, and the JSON report itself used as one, read back.
    let b = baseline::build(&report.tool, &report.findings);
    let written = match baseline::to_json(&b) {
        Ok(text) => text,
        Err(e) => panic!("a baseline of an engine report cannot be written: {e}"),
    };
    match baseline::parse(&written) {
        Ok(entries) => touched += entries.len(),
        Err(e) => panic!("a baseline written by dirready does not read back: {e}"),
    }
    match baseline::parse(&json) {
        Ok(entries) => touched += entries.len(),
        Err(e) => panic!("a JSON report written by dirready does not read back as a baseline: {e}"),
    }
    touched += written.len() + json.len();
    black_box(touched);
});
