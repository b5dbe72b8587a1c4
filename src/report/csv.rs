//! CSV in IdFix's column set, for consultants who used IdFix:
//! `DISTINGUISHEDNAME,COMMONNAME,OBJECTCLASS,ATTRIBUTE,ERROR,VALUE,UPDATE,ACTION`, followed
//! by dirready's own columns `RULE,SEVERITY,STATE,FINGERPRINT,FILE,LINE`.
//!
//! - `ERROR` is IdFix's error type: the category (`character`, `format`, `length`,
//!   `duplicate`, `blank`), with `domain` written as IdFix's `topleveldomain`.
//! - `UPDATE` is the suggested value (empty when none can be derived).
//! - `ACTION` is empty for findings to work on and `COMPLETE` (IdFix's "leave as is")
//!   for baselined and excepted ones.
//!
//! Quoting follows RFC 4180 (CRLF records, fields with `,` `"` CR LF quoted, quotes
//! doubled). Any cell beginning with `=`, `+`, `-`, `@`, a tab or CR is prefixed with `'`
//! so spreadsheets do not run it as a formula (directory values are hostile input).

use super::RenderError;
use crate::findings::{Category, Finding, FindingState, Report};

pub const HEADER: [&str; 14] = [
    "DISTINGUISHEDNAME",
    "COMMONNAME",
    "OBJECTCLASS",
    "ATTRIBUTE",
    "ERROR",
    "VALUE",
    "UPDATE",
    "ACTION",
    "RULE",
    "SEVERITY",
    "STATE",
    "FINGERPRINT",
    "FILE",
    "LINE",
];

fn error_type(c: Category) -> &'static str {
    match c {
        Category::Domain => "topleveldomain",
        other => other.as_str(),
    }
}

pub fn render(report: &Report) -> String {
    let mut buf = Vec::new();
    let _ = write(report, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// Writes the CSV to `out` one record at a time.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> Result<(), RenderError> {
    let mut head = writer(Vec::new());
    head.write_record(HEADER).map_err(std::io::Error::from)?;
    out.write_all(&head.into_inner().map_err(|e| e.into_error())?)?;
    super::windows::write(&report.findings, out, |_, chunk| {
        let mut w = writer(Vec::with_capacity(chunk.len() * 512));
        rows(chunk, &mut w)?;
        Ok(w.into_inner().map_err(|e| e.into_error())?)
    })
}

fn writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out)
}

fn rows<W: std::io::Write>(findings: &[Finding], w: &mut csv::Writer<W>) -> std::io::Result<()> {
    for f in findings {
        let action = match f.state {
            Some(FindingState::Baselined | FindingState::Excepted) => "COMPLETE",
            _ => "",
        };
        let line = f.source.line.to_string();
        let dn = crate::dn::Dn::parse(&f.dn);
        let row = [
            f.dn.as_str(),
            dn.leaf_value(),
            &f.object_class,
            &f.attribute,
            error_type(f.category),
            f.value_str(),
            f.suggestion.as_deref().unwrap_or(""),
            action,
            &f.rule,
            f.severity.as_str(),
            f.state.map(|s| s.as_str()).unwrap_or(""),
            &f.fingerprint,
            &f.source.file,
            &line,
        ];
        w.write_record(row.iter().map(|c| crate::report::escape::csv_cell(c)))?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {

    #[test]
    fn formula_cells_are_neutralised() {
        for s in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(crate::report::escape::csv_cell(s).starts_with('\''), "{s}");
        }
        assert_eq!(crate::report::escape::csv_cell("CN=A"), "CN=A");
        assert_eq!(crate::report::escape::csv_cell(""), "");
    }
}
