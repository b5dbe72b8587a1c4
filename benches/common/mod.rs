//! What the benchmarks share: their workloads, generated once by an example binary under
//! target/bench/.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/bench/<name>`, written first by `cargo run --release --example <example> --
/// <args> -o <path>` when it does not exist yet.
pub fn generated(example: &str, args: &[&str], name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(root)
            .args(["run", "--quiet", "--release", "--example", example, "--"])
            .args(args)
            .arg("-o")
            .arg(&path)
            .status()
            .unwrap_or_else(|e| panic!("run {example}: {e}"));
        assert!(status.success(), "{example} failed");
    }
    path
}
