//! Tenant snapshot generator: a Graph PowerShell `Get-MgUser -All ... | ConvertTo-Json`
//! export of N cloud users (PascalCase properties, an array), for the `--tenant`
//! benchmark (load time and peak memory of a large tenant).
//!
//! ```text
//! cargo run --release --example gen_tenant -- --users 500000 -o users.json
//! ```
//!
//! About 30 % of the users are synced (with an onPremisesImmutableId), the rest cloud-only;
//! each has a UPN, mail and two or three proxy addresses, like a real tenant.
// A data generator, not library code.
#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used
)]

use base64::Engine as _;
use clap::Parser;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Cloud users to write.
    #[arg(long, default_value_t = 500_000)]
    users: u64,
    /// Output file.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&args.output)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    writeln!(w, "[")?;
    for i in 0..args.users {
        let r = next();
        let synced = r % 10 < 3;
        let id = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (r >> 32) as u32,
            (r >> 16) as u16,
            r as u16,
            (i & 0xffff) as u16,
            i
        );
        let upn = format!("user{i}@contoso.com");
        let immutable = if synced {
            let g = next().to_le_bytes();
            let h = next().to_le_bytes();
            let bytes: Vec<u8> = g.iter().chain(h.iter()).copied().collect();
            format!(
                "\"{}\"",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        } else {
            "null".into()
        };
        write!(
            w,
            "  {{\n    \"Id\": \"{id}\",\n    \"DisplayName\": \"User {i}\",\n    \"UserPrincipalName\": \"{upn}\",\n    \"Mail\": \"{upn}\",\n    \"ProxyAddresses\": [\n      \"SMTP:{upn}\",\n      \"smtp:u{i}@contoso.onmicrosoft.com\"{}\n    ],\n    \"OnPremisesImmutableId\": {immutable},\n    \"OnPremisesSyncEnabled\": {},\n    \"AdditionalProperties\": {{}}\n  }}{}\n",
            if r % 3 == 0 { format!(",\n      \"smtp:alias{i}@contoso.com\"") } else { String::new() },
            if synced { "true" } else { "null" },
            if i + 1 < args.users { "," } else { "" }
        )?;
    }
    writeln!(w, "]")?;
    w.flush()
}
