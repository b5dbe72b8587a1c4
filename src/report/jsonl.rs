//! JSON Lines: one typed message per line, modelled on ripgrep's `--json`.
//!
//! - `{"type":"begin","tool":…,"version":…,"inputs":[…]}`
//! - `{"type":"finding", …every field of a finding in the JSON report…}`
//! - `{"type":"diagnostic", level, file, line, column, message}` for input problems and
//!   exception warnings
//! - `{"type":"summary","summary":{…},"gate":…,"selection":…,"baseline":…,"exceptions":…}`
//!
//! Every line is a complete JSON value; values are JSON strings, so no directory value
//! can break a line.

use crate::findings::Report;
use serde_json::json;

/// `{"type": kind, ...fields of item}` as one line, `type` first.
fn write_tagged<T: serde::Serialize>(
    out: &mut dyn std::io::Write,
    kind: &str,
    item: &T,
) -> Result<(), super::RenderError> {
    let body = serde_json::to_string(item)?;
    let rest = body.strip_prefix('{').unwrap_or("}");
    out.write_all(b"{\"type\":")?;
    out.write_all(serde_json::to_string(kind)?.as_bytes())?;
    if rest != "}" {
        out.write_all(b",")?;
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
}

pub fn render(report: &Report) -> Result<String, super::RenderError> {
    let mut buf = Vec::new();
    write(report, &mut buf)?;
    Ok(String::from_utf8(buf).unwrap_or_default())
}

/// Writes the messages to `out` one line at a time.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> Result<(), super::RenderError> {
    write_tagged(
        out,
        "begin",
        &json!({
            "tool": report.tool.name,
            "version": report.tool.version,
            "inputs": report.summary.inputs,
            "rules": report.rules.len(),
        }),
    )?;
    super::windows::write(&report.findings, out, |_, chunk| {
        let mut text = Vec::with_capacity(chunk.len() * 1024);
        for f in chunk {
            write_tagged(&mut text, "finding", f)?;
        }
        Ok(text)
    })?;
    for d in &report.diagnostics {
        write_tagged(out, "diagnostic", d)?;
    }
    let mut summary = json!({ "summary": report.summary });
    for (k, v) in [
        ("gate", serde_json::to_value(&report.gate)),
        ("selection", serde_json::to_value(&report.selection)),
        ("baseline", serde_json::to_value(&report.baseline)),
        ("exceptions", serde_json::to_value(&report.exceptions)),
    ] {
        if let Ok(v) = v {
            if !v.is_null() {
                summary[k] = v;
            }
        }
    }
    write_tagged(out, "summary", &summary)
}
