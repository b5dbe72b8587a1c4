//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! One run. `tool.driver.rules` lists every rule that was checked with its docs. Each
//! finding is one result:
//! - `ruleId`, `ruleIndex`, `level` from the severity (error, warning, note);
//! - a physical location: the LDIF file as the user named it (as a relative URI
//!   reference), `region.startLine` = the line of the entry's `dn:`; the attribute's own
//!   line (and, for duplicates, the other holders) are `relatedLocations`;
//! - a logical location: the DN;
//! - `partialFingerprints`: the finding's stable fingerprint (objectGUID or normalised DN,
//!   rule, attribute, value; never line numbers), as `dirready/v1` and as
//!   `primaryLocationLineHash` so that GitHub does not derive one from line text and
//!   re-sorted exports keep their alerts;
//! - `baselineState` (`new`/`unchanged`) when a baseline was applied, and an external
//!   `suppressions` entry with the reason for excepted findings.
//!
//! Objects read from a live directory (or stdin) have no file to point at: their results
//! carry only the logical location and say so, pointing to `--snapshot`.
//!
//! Input diagnostics (including exception warnings) are `toolExecutionNotifications`.

use crate::findings::{Finding, FindingState, Report, Severity};
use crate::model::DiagnosticLevel;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// True when the source is a file in a repository that a SARIF location can name
/// (not stdin, not a server URL).
pub fn has_file(file: &str, line: u64) -> bool {
    line > 0 && file != "-" && !file.contains("://")
}

/// A path as a URI reference: forward slashes, percent-encoding of everything but the
/// unreserved characters and `/`; absolute paths become `file://` URIs.
pub fn path_to_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

/// Where a source's lines can be found: the file itself, or the `--snapshot` written
/// for a live source (its lines are the ones findings cite).
struct Artifacts<'a> {
    snapshots: Vec<(&'a str, &'a str)>,
    /// The URIs of the inputs and snapshots, made once for every location that cites them.
    uris: HashMap<&'a str, String>,
}

impl<'a> Artifacts<'a> {
    fn of(report: &'a Report) -> Artifacts<'a> {
        let inputs = &report.summary.inputs;
        let snapshots = inputs
            .iter()
            .filter_map(|i| i.snapshot.as_deref().map(|s| (i.path.as_str(), s)))
            .collect();
        let uris = inputs
            .iter()
            .flat_map(|i| std::iter::once(i.path.as_str()).chain(i.snapshot.as_deref()))
            .map(|p| (p, path_to_uri(p)))
            .collect();
        Artifacts { snapshots, uris }
    }

    /// `file` (one that [`Artifacts::file`] gave) as a URI reference.
    fn uri(&self, file: &str) -> String {
        self.uris
            .get(file)
            .cloned()
            .unwrap_or_else(|| path_to_uri(file))
    }

    /// A physical location in `file` (one that [`Artifacts::file`] gave).
    fn location(&self, file: &str, line: u64) -> Value {
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": self.uri(file) },
                "region": { "startLine": line }
            }
        })
    }

    fn file(&self, source: &'a str, line: u64) -> Option<&'a str> {
        if has_file(source, line) {
            return Some(source);
        }
        let snap = self.snapshots.iter().find(|(p, _)| *p == source)?.1;
        (line > 0).then_some(snap)
    }
}

fn result(f: &Finding, rule_index: Option<usize>, with_baseline: bool, art: &Artifacts) -> Value {
    let mut message = f.message.to_string();
    let mut loc = if let Some(file) = art.file(&f.source.file, f.source.line) {
        art.location(file, f.source.line)
    } else {
        let what = if &*f.source.file == "-" {
            "standard input".to_string()
        } else {
            f.source.file.to_string()
        };
        message.push_str(&format!(
            " (read from {what}: there is no file to point at; scan an LDIF snapshot, \
             e.g. with --snapshot, for line locations)"
        ));
        json!({})
    };
    if let Some(obj) = loc.as_object_mut() {
        obj.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": f.dn, "kind": "object" }]),
        );
    }
    let mut related = Vec::new();
    if let Some(file) = art.file(&f.source.file, f.value_line) {
        let mut l = art.location(file, f.value_line);
        l["id"] = json!(1);
        l["message"] = json!({ "text": format!("{}: {}", f.attribute, f.value_str()) });
        related.push(l);
    }
    for r in &f.related {
        if let (Some(file), true) = (art.file(&r.source.file, r.source.line), related.len() < 100) {
            let mut l = art.location(file, r.source.line);
            l["id"] = json!(related.len() + 1);
            l["message"] = json!({ "text": format!("also held by {} ({})", r.dn, r.attribute) });
            related.push(l);
        }
    }
    let mut props = Map::new();
    props.insert("dn".into(), json!(f.dn));
    props.insert("objectClass".into(), json!(f.object_class));
    props.insert("category".into(), json!(f.category.as_str()));
    props.insert("attribute".into(), json!(f.attribute));
    props.insert("value".into(), json!(f.value));
    if let Some(b) = &f.value_base64 {
        props.insert("valueBase64".into(), json!(b));
    }
    if let Some(g) = &f.object_guid {
        props.insert("objectGuid".into(), json!(g));
    }
    if let Some(s) = &f.suggestion {
        props.insert("suggestion".into(), json!(s));
    }
    if let Some(s) = f.state {
        props.insert("state".into(), json!(s.as_str()));
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [loc],
        "partialFingerprints": {
            "dirready/v1": f.fingerprint,
            "primaryLocationLineHash": f.fingerprint,
        },
        "properties": props,
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    if with_baseline {
        r["baselineState"] = json!(match f.state {
            Some(FindingState::Baselined) => "unchanged",
            _ => "new",
        });
    }
    if let Some(e) = &f.exception {
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": e.reason,
            "location": { "physicalLocation": { "artifactLocation": {
                "uri": path_to_uri(e.location.rsplit_once(':').map_or(&e.location, |(p, _)| p))
            }}},
        }]);
    }
    r
}

/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

pub fn render(report: &Report) -> Result<String, super::RenderError> {
    render_capped(report, MAX_RESULTS)
}

/// Writes the SARIF log to `out`, one result at a time (a result's JSON tree is built,
/// written and dropped): the log of 25,000 results never sits in memory whole.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> Result<(), super::RenderError> {
    write_capped(report, MAX_RESULTS, out)
}

fn render_capped(report: &Report, cap: usize) -> Result<String, super::RenderError> {
    let mut buf = Vec::new();
    write_capped(report, cap, &mut buf)?;
    Ok(String::from_utf8(buf).unwrap_or_default())
}

/// Writes at most `cap` results: errors first, then warnings, then infos, each in report
/// order; the run says how many were left out and where to find them all.
fn write_capped(
    report: &Report,
    cap: usize,
    out: &mut dyn std::io::Write,
) -> Result<(), super::RenderError> {
    let art = Artifacts::of(report);
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|r| {
            let mut help = format!("Fix: {}.", r.fix);
            let mut rule = json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": format!(
                    "{} (attribute {}, category {}).", r.title, r.attribute, r.category.as_str()
                ) },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": ["directory-sync", r.category.as_str()],
                    "precision": "very-high",
                    "problem.severity": match r.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                        Severity::Info => "recommendation",
                    },
                },
            });
            if r.docs.starts_with("https://") || r.docs.starts_with("http://") {
                rule["helpUri"] = json!(r.docs);
                help.push_str(&format!(" Documentation: {}", r.docs));
            }
            rule["help"] = json!({ "text": help });
            rule
        })
        .collect();
    let index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let with_baseline = report.baseline.is_some();
    let mut chosen: Vec<usize> = (0..report.findings.len()).collect();
    if chosen.len() > cap {
        chosen.sort_by_key(|&i| std::cmp::Reverse(report.findings[i].severity));
        chosen.truncate(cap);
        chosen.sort_unstable();
    }
    let omitted = report.findings.len() - chosen.len();
    // The log is written as a skeleton whose `results` is a placeholder no data can
    // contain (a per-run nonce), replaced by the results as they are built.
    let marker = format!("dirready-results-{:016x}", nonce());
    let mut notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut n = json!({
                "level": match d.level {
                    DiagnosticLevel::Error => "error",
                    DiagnosticLevel::Warning => "warning",
                    DiagnosticLevel::Note => "note",
                },
                "message": { "text": d.message },
            });
            if d.line > 0 && d.file != "-" && !d.file.contains("://") {
                let mut region = json!({ "startLine": d.line });
                if d.column > 0 {
                    region["startColumn"] = json!(d.column);
                }
                n["locations"] = json!([{ "physicalLocation": {
                    "artifactLocation": { "uri": path_to_uri(&d.file) },
                    "region": region,
                }}]);
            }
            n
        })
        .collect();
    if omitted > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{} of {} findings are in this SARIF file (GitHub code scanning accepts at most {} \
                 results per run; errors were kept first). The JSON, CSV and JSON Lines reports \
                 have all of them.",
                chosen.len(), report.findings.len(), cap
            ) },
        }));
    }
    let artifacts: Vec<Value> = report
        .summary
        .inputs
        .iter()
        .filter_map(|i| art.file(&i.path, 1).map(|f| (i, f)))
        .map(|(i, file)| {
            let mut a = json!({ "location": { "uri": art.uri(file) }, "length": i.bytes });
            if let Some(h) = &i.sha256 {
                a["hashes"] = json!({ "sha-256": h });
            }
            a
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "semanticVersion": report.tool.version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": !report.summary.incomplete,
                "toolExecutionNotifications": notifications,
            }],
            "artifacts": artifacts,
            "results": marker,
            "columnKind": "unicodeCodePoints",
            "properties": { "findings": report.findings.len(), "resultsOmitted": omitted },
        }],
    });
    let skeleton = serde_json::to_string_pretty(&log)?;
    let placeholder = format!("\"{marker}\"");
    let (head, tail) = skeleton
        .split_once(&placeholder)
        .unwrap_or((skeleton.as_str(), ""));
    out.write_all(head.as_bytes())?;
    if chosen.is_empty() {
        out.write_all(b"[]")?;
    } else {
        // The results array sits at depth 3 of the pretty-printed log (`runs[0].results`):
        // its items are indented by 8 spaces. Pretty JSON has newlines only between
        // tokens (strings escape theirs), so indenting each line is exact.
        out.write_all(b"[")?;
        // Results are built and printed in parallel, a window at a time (see
        // `windows`), each indented as it is printed.
        super::windows::write_by(&chosen, 4 * super::windows::CHUNK, out, |first, chunk| {
            let mut text = Vec::new();
            for (n, &i) in (first..).zip(chunk) {
                let f = &report.findings[i];
                let r = result(f, index.get(&*f.rule).copied(), with_baseline, &art);
                text.extend_from_slice(if n == 0 { b"\n" } else { b",\n" });
                for (k, line) in serde_json::to_string_pretty(&r)?.split('\n').enumerate() {
                    if k > 0 {
                        text.push(b'\n');
                    }
                    text.extend_from_slice(b"        ");
                    text.extend_from_slice(line.as_bytes());
                }
            }
            Ok(text)
        })?;
        out.write_all(b"\n      ]")?;
    }
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
}

/// A number no one can predict (for the results placeholder).
fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_capped_errors_first_and_the_run_says_so() {
        let mut report: Report =
            serde_json::from_str(include_str!("../../tests/snapshots/contoso.json")).unwrap();
        report.fill_fingerprints();
        for f in &mut report.findings {
            f.severity = Severity::Error;
        }
        report.findings[3].severity = Severity::Warning;
        report.findings[5].severity = Severity::Info;
        let total = report.findings.len();
        let v: Value = serde_json::from_str(&render_capped(&report, total - 2).unwrap()).unwrap();
        let run = &v["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), total - 2);
        assert!(
            results.iter().all(|r| r["level"] == "error"),
            "the warning and the info go first"
        );
        assert_eq!(run["properties"]["resultsOmitted"], 2);
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert!(notes
            .iter()
            .any(|n| n["message"]["text"].as_str().unwrap().contains("at most")));
        let all: Value = serde_json::from_str(&render(&report).unwrap()).unwrap();
        assert_eq!(all["runs"][0]["results"].as_array().unwrap().len(), total);
        assert_eq!(all["runs"][0]["properties"]["resultsOmitted"], 0);
    }

    #[test]
    fn uris() {
        assert_eq!(
            path_to_uri("examples/contoso.ldif"),
            "examples/contoso.ldif"
        );
        assert_eq!(path_to_uri("./a b/#x.ldif"), "a%20b/%23x.ldif");
        assert_eq!(path_to_uri("dir\\x.ldf"), "dir/x.ldf");
        assert_eq!(path_to_uri("/tmp/x.ldif"), "file:///tmp/x.ldif");
        assert!(has_file("x.ldif", 3));
        assert!(!has_file("-", 3));
        assert!(!has_file("ldaps://dc1.contoso.com", 0));
    }
}
