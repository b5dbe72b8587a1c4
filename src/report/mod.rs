//! Renderers: every output format is a view of one [`Report`].

pub mod templates;
pub mod terminal;

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
}

impl OutputFormat {
    /// The format an output file's extension names.
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(OutputFormat::Json),
            "md" | "markdown" => Some(OutputFormat::Markdown),
            "html" | "htm" => Some(OutputFormat::Html),
            "txt" => Some(OutputFormat::Terminal),
            _ => None,
        }
    }
}

/// Renders a report. `color` only affects the terminal format.
pub fn render(
    format: OutputFormat,
    report: &Report,
    template_dir: Option<&Path>,
    color: bool,
) -> Result<String, String> {
    match format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
            s.push('\n');
            Ok(s)
        }
        OutputFormat::Terminal => Ok(terminal::render(report, color)),
        OutputFormat::Markdown => {
            templates::render(templates::TemplateKind::Markdown, report, template_dir)
                .map_err(|e| e.to_string())
        }
        OutputFormat::Html => {
            templates::render(templates::TemplateKind::Html, report, template_dir)
                .map_err(|e| e.to_string())
        }
    }
}
