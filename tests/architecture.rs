//! The pipeline's layering: no module imports one that imports it back. Imports are read
//! from the sources (`crate::a::b` paths outside test code), so a new cycle fails here
//! with the modules that form it.

// Test code: an unwrap is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn modules(dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            modules(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p
                .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
                .unwrap();
            let name = rel
                .with_extension("")
                .to_string_lossy()
                .replace("/mod", "")
                .replace('/', "::");
            let text = std::fs::read_to_string(&p).unwrap();
            // Test modules may reach anywhere.
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            out.insert(name, code);
        }
    }
}

/// Top-level module of every `crate::x` path in `code`, outside comments.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let l = line.trim_start();
        if l.starts_with("//") {
            continue;
        }
        let mut rest = l;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            let m: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !m.is_empty() {
                out.insert(m);
            }
        }
    }
    out
}

#[test]
fn top_level_modules_form_no_cycle() {
    let mut files = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in &files {
        let top = name.split("::").next().unwrap().to_string();
        for m in imports(code) {
            if m != top {
                graph.entry(top.clone()).or_default().insert(m);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = path.iter().position(|x| x == m).unwrap();
                    let mut cycle = path[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, g, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n.as_str()) {
            if let Some(c) = visit(n, &graph, &mut state, &mut Vec::new()) {
                panic!("import cycle: {}", c.join(" -> "));
            }
        }
    }
    // The leaves stay leaves: they import nothing but the text and DN utilities.
    for leaf in ["checks", "model", "dn", "text"] {
        let deps: Vec<&String> = graph
            .get(leaf)
            .into_iter()
            .flatten()
            .filter(|d| !matches!(d.as_str(), "text" | "dn"))
            .collect();
        assert!(deps.is_empty(), "{leaf} imports {deps:?}");
    }
    // `dn` keeps undecodable escapes exactly with `text`; `text` imports nothing.
    assert!(
        graph.get("text").is_none_or(|d| d.is_empty()),
        "text imports {:?}",
        graph["text"]
    );
}
