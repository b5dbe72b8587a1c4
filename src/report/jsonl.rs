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
fn push_tagged<T: serde::Serialize>(
    out: &mut String,
    kind: &str,
    item: &T,
) -> Result<(), serde_json::Error> {
    let body = serde_json::to_string(item)?;
    let rest = body.strip_prefix('{').unwrap_or("}");
    out.push_str("{\"type\":");
    out.push_str(&serde_json::to_string(kind)?);
    if rest != "}" {
        out.push(',');
    }
    out.push_str(rest);
    out.push('\n');
    Ok(())
}

pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    push_tagged(
        &mut out,
        "begin",
        &json!({
            "tool": report.tool.name,
            "version": report.tool.version,
            "inputs": report.summary.inputs,
            "rules": report.rules.len(),
        }),
    )?;
    for f in &report.findings {
        push_tagged(&mut out, "finding", f)?;
    }
    for d in &report.diagnostics {
        push_tagged(&mut out, "diagnostic", d)?;
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
    push_tagged(&mut out, "summary", &summary)?;
    Ok(out)
}
