//! The engine never panics on hostile input: mutated real exports go through the whole
//! scan (parser, every rule, suggestions, uniqueness, every renderer).
// Test code: an unwrap is an assertion, and casts of test sizes are fine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use dirready::engine::{self, Input, ScanOptions};
use dirready::report::{self, OutputFormat};
use dirready::rules::RuleSet;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SPICE: &[&[u8]] = &[
    b"@",
    b".",
    b"..",
    b":",
    b"::",
    b":<",
    b" ",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"\n ",
    b"\xc3\xbc",
    b"\xff",
    b"\xe2\x80\xae",
    b"smtp:",
    b"SMTP:",
    b"X500:",
    b"\\0ACNF:",
    b"\0",
    b"#",
    b"dn: ",
    b"-\n",
    b"changetype: modify\n",
    b"=",
    b"\t",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(12) {
        let at = rng.below(v.len() + 1);
        match rng.below(4) {
            0 => {
                let s = SPICE[rng.below(SPICE.len())];
                v.splice(at..at, s.iter().copied());
            }
            1 if at < v.len() => {
                v.remove(at);
            }
            2 if at < v.len() => v[at] = rng.next() as u8,
            _ => {
                // Duplicate a slice elsewhere: creates duplicate values and DNs.
                let from = rng.below(v.len());
                let len = rng.below(200).min(v.len() - from);
                let chunk = v[from..from + len].to_vec();
                v.splice(at..at, chunk);
            }
        }
    }
    v
}

#[test]
fn mutated_exports_never_panic() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bases: Vec<Vec<u8>> = [
        "examples/contoso.ldif",
        "tests/fixtures/ldifde-style.ldf",
        "tests/fixtures/ldapsearch-style.ldif",
    ]
    .iter()
    .map(|p| std::fs::read(root.join(p)).unwrap())
    .collect();
    let set = RuleSet::builtin().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..150 {
        let base = &bases[round % bases.len()];
        let data = mutate(&mut rng, base);
        let accepted = if round % 2 == 0 {
            vec!["contoso.com".to_string()]
        } else {
            Vec::new()
        };
        let opts = ScanOptions {
            accepted_domains: accepted,
            block_size: 64 + rng.below(4096),
            ..Default::default()
        };
        let inputs = vec![
            Input::from_bytes("a.ldif", data.clone(), opts.block_size),
            Input::from_bytes("b.ldif", data, opts.block_size),
        ];
        let report = engine::scan(inputs, &set, &opts).expect("in-memory input is always readable");
        for f in [
            OutputFormat::Json,
            OutputFormat::Terminal,
            OutputFormat::Markdown,
            OutputFormat::Html,
        ] {
            report::render(f, &report, None, false).expect("renders");
        }
    }
}
