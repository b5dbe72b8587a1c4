//! Why a report could not be rendered.

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template in the template directory exists but could not be read.
    #[error("cannot read template {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The template has a syntax error or failed while rendering.
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
    /// A JSON-based format could not be serialised.
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
    /// The report could not be written where it goes.
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
}
