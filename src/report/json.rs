//! The JSON report: the bytes `serde_json::to_writer_pretty` gives for the whole report,
//! with the findings (nearly all of them) serialised in parallel, one window at a time,
//! so the text in memory stays one window's.

use super::windows;
use super::RenderError;
use crate::findings::{Finding, Report};
use std::io::Write;

/// Where the findings go in the report without them: the top-level key is the only
/// text at two spaces of indent with that name (strings never hold a raw line feed).
const EMPTY_FINDINGS: &[u8] = b"\n  \"findings\": []";

pub fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    // A buffer of a known type: small writes through `dyn Write` cannot be inlined.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let shell = serde_json::to_vec_pretty(&without_findings(report))?;
    let Some(list) =
        memchr::memmem::find(&shell, EMPTY_FINDINGS).map(|at| at + EMPTY_FINDINGS.len() - 2)
    else {
        // Not reached (the report always has the key); serde_json's own way then.
        serde_json::to_writer_pretty(&mut out, report)?;
        out.write_all(b"\n")?;
        out.flush()?;
        return Ok(());
    };
    out.write_all(&shell[..list])?;
    if report.findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        windows::write(&report.findings, &mut out, |first, chunk| {
            Ok(elements(chunk, first)?)
        })?;
        out.write_all(b"\n  ]")?;
    }
    out.write_all(&shell[list + 2..])?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Findings as elements of the top-level list: after `[` or `,`, a line feed and four
/// spaces, and each finding's own lines indented four more.
fn elements(findings: &[Finding], first: usize) -> Result<Vec<u8>, serde_json::Error> {
    let mut text = Vec::with_capacity(findings.len() * 1024);
    let mut one = Vec::with_capacity(4096);
    for (i, f) in findings.iter().enumerate() {
        one.clear();
        serde_json::to_writer_pretty(&mut one, f)?;
        text.extend_from_slice(if first + i == 0 {
            b"\n    "
        } else {
            b",\n    "
        });
        let mut rest = &one[..];
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            text.extend_from_slice(&rest[..=nl]);
            text.extend_from_slice(b"    ");
            rest = &rest[nl + 1..];
        }
        text.extend_from_slice(rest);
    }
    Ok(text)
}

/// The report with an empty findings list (every other field as it is). The pattern
/// names every field: a new one cannot be forgotten here.
fn without_findings(report: &Report) -> Report {
    let Report {
        tool,
        generated_at,
        findings: _,
        summary,
        diagnostics,
        rules,
        gate,
        selection,
        baseline,
        exceptions,
        redacted,
    } = report;
    Report {
        tool: tool.clone(),
        generated_at: generated_at.clone(),
        findings: Vec::new(),
        summary: summary.clone(),
        diagnostics: diagnostics.clone(),
        rules: rules.clone(),
        gate: gate.clone(),
        selection: selection.clone(),
        baseline: baseline.clone(),
        exceptions: exceptions.clone(),
        redacted: redacted.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::{finding, report};
    use crate::findings::{Related, Uniqueness};
    use crate::report::windows::{CHUNK, WINDOW};

    fn serde_pretty(r: &Report) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(r).unwrap();
        v.push(b'\n');
        v
    }

    fn ours(r: &Report) -> Vec<u8> {
        let mut v = Vec::new();
        write(r, &mut v).unwrap();
        v
    }

    #[test]
    fn same_bytes_as_serde_json_pretty() {
        assert_eq!(ours(&report(vec![])), serde_pretty(&report(vec![])));
        // Past one window, with nested lists, escapes and text that looks like the key.
        let findings: Vec<Finding> = (0..WINDOW + CHUNK + 3)
            .map(|i| {
                let mut f = finding("upn-duplicate", &format!("CN=\"x\\n\" {i},DC=x"));
                f.message = "line\nbreak \u{1F600} \"findings\": []\n  \"findings\": []".into();
                if i % 3 == 0 {
                    f.related = vec![Related {
                        dn: "CN=o\u{fc},DC=x".into(),
                        id: None,
                        kind: None,
                        attribute: "mail".into(),
                        value: "a@b.c".into(),
                        value_base64: None,
                        source: f.source.clone(),
                    }];
                    f.uniqueness = Some(Box::new(Uniqueness {
                        namespace: "upn".into(),
                        label: "UPN".into(),
                        key: "x".into(),
                        domain: None,
                    }));
                }
                f
            })
            .collect();
        for n in [1, 2, CHUNK, WINDOW, findings.len()] {
            let mut r = report(findings[..n].to_vec());
            r.generated_at = Some("2026-11-30T00:00:00Z".into());
            assert_eq!(
                String::from_utf8(ours(&r)).unwrap(),
                String::from_utf8(serde_pretty(&r)).unwrap(),
                "{n} findings"
            );
        }
    }
}
