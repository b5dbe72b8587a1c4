//! Renderers: every output format is a view of one [`Report`].

pub mod csv;
mod duplicates;
mod error;
pub mod escape;
pub mod explore;
pub mod github;
mod json;
pub mod jsonl;
pub mod junit;
pub mod redact;
pub mod sarif;
pub mod templates;
pub mod terminal;
pub mod view;
mod windows;

pub use error::RenderError;

use crate::findings::Report;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human summary for a terminal.
    Terminal,
    /// `{"findings": [...], "summary": {...}, ...}`.
    Json,
    Markdown,
    /// One self-contained HTML file.
    Html,
    /// SARIF 2.1.0 (GitHub code scanning); locations are LDIF lines.
    Sarif,
    /// JUnit XML: one test case per rule.
    Junit,
    /// IdFix-compatible CSV.
    Csv,
    /// JSON Lines: begin, finding, diagnostic and summary messages.
    Jsonl,
}

impl OutputFormat {
    /// Every format, in the order `--format` lists them.
    pub fn all() -> &'static [OutputFormat] {
        <OutputFormat as clap::ValueEnum>::value_variants()
    }

    /// The format an output file's extension names.
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".sarif.json") {
            return Some(OutputFormat::Sarif);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "sarif" => Some(OutputFormat::Sarif),
            "xml" => Some(OutputFormat::Junit),
            "csv" => Some(OutputFormat::Csv),
            "jsonl" | "ndjson" => Some(OutputFormat::Jsonl),
            "json" => Some(OutputFormat::Json),
            "md" | "markdown" => Some(OutputFormat::Markdown),
            "html" | "htm" => Some(OutputFormat::Html),
            "txt" => Some(OutputFormat::Terminal),
            _ => None,
        }
    }
}

/// Writes a report to `out`. JSON, SARIF, JSON Lines and CSV are written finding by
/// finding, never held whole in memory; the others are rendered, then written.
pub fn write(
    format: OutputFormat,
    report: &Report,
    template_dir: Option<&Path>,
    color: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    match format {
        OutputFormat::Json => json::write(report, out)?,
        OutputFormat::Sarif => sarif::write(report, out)?,
        OutputFormat::Jsonl => jsonl::write(report, out)?,
        OutputFormat::Csv => csv::write(report, out)?,
        OutputFormat::Html => templates::write_html(report, template_dir, out)?,
        other => out.write_all(render(other, report, template_dir, color)?.as_bytes())?,
    }
    Ok(())
}

/// Renders a report. `color` only affects the terminal format.
pub fn render(
    format: OutputFormat,
    report: &Report,
    template_dir: Option<&Path>,
    color: bool,
) -> Result<String, RenderError> {
    Ok(match format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(report)?;
            s.push('\n');
            s
        }
        OutputFormat::Terminal => terminal::render(report, color),
        OutputFormat::Markdown => {
            templates::render(templates::TemplateKind::Markdown, report, template_dir)?
        }
        OutputFormat::Html => {
            templates::render(templates::TemplateKind::Html, report, template_dir)?
        }
        OutputFormat::Sarif => sarif::render(report)?,
        OutputFormat::Junit => junit::render(report),
        OutputFormat::Csv => csv::render(report),
        OutputFormat::Jsonl => jsonl::render(report)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_extensions() {
        let f = |p: &str| OutputFormat::from_path(Path::new(p));
        assert_eq!(f("r.sarif"), Some(OutputFormat::Sarif));
        assert_eq!(f("r.SARIF.json"), Some(OutputFormat::Sarif));
        assert_eq!(f("r.json"), Some(OutputFormat::Json));
        assert_eq!(f("junit.xml"), Some(OutputFormat::Junit));
        assert_eq!(f("f.csv"), Some(OutputFormat::Csv));
        assert_eq!(f("f.jsonl"), Some(OutputFormat::Jsonl));
        assert_eq!(f("f.pdf"), None);
    }
}
