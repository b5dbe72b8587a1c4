//! HTML and Markdown reports: the template environment (filters, autoescaping, strict
//! undefined values) rendering the view model of [`super::view`] with minijinja. The
//! templates stay simple because everything that needs logic happens in the view model.
//!
//! Every directory value is hostile input. `report.html.j2` is rendered with HTML
//! autoescaping; the Markdown template escapes cell values with the `md` filter. The HTML
//! report's Content-Security-Policy allows only the inline `<script>` blocks of the
//! template itself, by hash (see [`script_hashes`]).

use super::error::RenderError;
use super::escape::{md_escape, visible};
use super::view::{group_thousands, human_bytes, Caps, ReportView, ROW_CAP};

/// Rows per rule in the Markdown report: a wiki page stays readable; the HTML report and
/// the JSON have every finding.
pub const MARKDOWN_ROW_CAP: usize = 200;
use crate::findings::Report;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use std::borrow::Cow;
use std::path::Path;

pub(crate) const HTML_TEMPLATE: &str = include_str!("../../templates/report.html.j2");
pub(crate) const MARKDOWN_TEMPLATE: &str = include_str!("../../templates/report.md.j2");
pub(crate) const TREND_HTML_TEMPLATE: &str = include_str!("../../templates/trend.html.j2");
pub(crate) const TREND_MARKDOWN_TEMPLATE: &str = include_str!("../../templates/trend.md.j2");

/// Which report to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    Html,
    Markdown,
}

impl TemplateKind {
    /// The template's file name, built in and in a template directory.
    pub fn file_name(self) -> &'static str {
        match self {
            TemplateKind::Html => "report.html.j2",
            TemplateKind::Markdown => "report.md.j2",
        }
    }

    /// The built-in template source.
    pub fn builtin_source(self) -> &'static str {
        match self {
            TemplateKind::Html => HTML_TEMPLATE,
            TemplateKind::Markdown => MARKDOWN_TEMPLATE,
        }
    }
}

/// Renders a report with the built-in templates (embedded with include_str!), or with
/// `report.html.j2` / `report.md.j2` from `template_dir` when given (missing file there → built-in).
pub fn render(
    kind: TemplateKind,
    report: &Report,
    template_dir: Option<&Path>,
) -> Result<String, RenderError> {
    let source = template_source(kind, template_dir)?;
    let view = view_for(kind, matches!(source, Cow::Borrowed(_)), report);
    render_view(kind, &source, view)
}

/// The view a template gets (`builtin`: the template is not from `template_dir`): a
/// custom HTML template gets the rows too, as it may not draw the findings block.
fn view_for(kind: TemplateKind, builtin: bool, report: &Report) -> ReportView {
    match kind {
        TemplateKind::Html if builtin => ReportView::build_html(report),
        TemplateKind::Html => ReportView::build_with(report, Caps::all(ROW_CAP), true),
        TemplateKind::Markdown => ReportView::build(report, MARKDOWN_ROW_CAP),
    }
}

/// Stands for the findings block while the built-in page is rendered (see
/// [`write_html`]). Every directory value in the page is escaped or made visible, so no
/// value can spell it with its `<`.
const DATA_MARK: &str = "<!--dirready:findings-data-->";

/// Writes the HTML report to `out`. With the built-in template the findings block (most
/// of a big report) is written straight from where it was built, not copied into the
/// template's values and its output: the page is rendered around a mark, then written
/// in three pieces.
pub fn write_html(
    report: &Report,
    template_dir: Option<&Path>,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    let source = template_source(TemplateKind::Html, template_dir)?;
    let builtin = matches!(source, Cow::Borrowed(_));
    let mut view = view_for(TemplateKind::Html, builtin, report);
    if !builtin {
        out.write_all(render_view(TemplateKind::Html, &source, view)?.as_bytes())?;
        return Ok(());
    }
    let data = std::mem::replace(&mut view.findings_data, DATA_MARK.to_string());
    let page = render_view(TemplateKind::Html, &source, view)?;
    let at = memchr::memmem::find(page.as_bytes(), DATA_MARK.as_bytes());
    match at {
        Some(at) => {
            out.write_all(&page.as_bytes()[..at])?;
            out.write_all(data.as_bytes())?;
            out.write_all(&page.as_bytes()[at + DATA_MARK.len()..])?;
        }
        // A page without the block (not the built-in one) has nothing to put in.
        None => out.write_all(page.as_bytes())?,
    }
    Ok(())
}

/// The template to use: the one in `template_dir` when it exists there, else the built-in.
fn template_source(
    kind: TemplateKind,
    template_dir: Option<&Path>,
) -> Result<Cow<'static, str>, RenderError> {
    let Some(dir) = template_dir else {
        return Ok(Cow::Borrowed(kind.builtin_source()));
    };
    let path = dir.join(kind.file_name());
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Cow::Owned(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(Cow::Borrowed(kind.builtin_source()))
        }
        Err(source) => Err(RenderError::Io { path, source }),
    }
}

/// Renders the `dirready trend` page (built-in `trend.html.j2` / `trend.md.j2`) over its
/// view model, in the report's environment. The HTML page has no script at all.
pub fn render_trend(
    kind: TemplateKind,
    view: &impl serde::Serialize,
) -> Result<String, RenderError> {
    let (name, source) = match kind {
        TemplateKind::Html => ("trend.html.j2", TREND_HTML_TEMPLATE),
        TemplateKind::Markdown => ("trend.md.j2", TREND_MARKDOWN_TEMPLATE),
    };
    let env = environment()?;
    let tmpl = env.template_from_named_str(name, source)?;
    Ok(tmpl.render(Value::from(Serde(view)))?)
}

/// Renders an already built view with the given template source.
fn render_view(
    kind: TemplateKind,
    source: &str,
    mut view: ReportView,
) -> Result<String, RenderError> {
    view.csp_script_src = script_hashes(source);
    let env = environment()?;
    let name = kind.file_name();
    let tmpl = env.template_from_named_str(name, source)?;
    Ok(tmpl.render(Value::from(Serde(&view)))?)
}

/// The template environment: HTML autoescaping for `*.html.j2`, strict undefined values
/// (a typo in a template is an error, not an empty cell), and the report filters.
fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        let name = name.strip_suffix(".j2").unwrap_or(name);
        if name.ends_with(".html") || name.ends_with(".htm") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_filter("md", md_escape);
    env.add_filter("visible", visible);
    env.add_filter("num", group_thousands);
    env.add_filter("bytes", human_bytes);
    Ok(env)
}

/// `script-src` sources for the inline scripts of a template: the sha256 of the text
/// between each literal `<script>` and the next `</script>`. The scripts must not contain
/// template syntax (their text must be rendered as written), or the hash will not match.
pub fn script_hashes(template_source: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut out = Vec::new();
    let mut rest = template_source;
    while let Some(start) = rest.find("<script>") {
        let body = &rest[start + "<script>".len()..];
        let Some(end) = body.find("</script>") else {
            break;
        };
        let digest = Sha256::digest(&body.as_bytes()[..end]);
        out.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &body[end..];
    }
    if out.is_empty() {
        "'none'".to_string()
    } else {
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::{finding, report};

    #[test]
    fn the_html_written_in_pieces_is_the_page_rendered_whole() {
        let mut hostile = finding("upn-format", "CN=<!--dirready:findings-data-->,DC=x");
        hostile.message = "</script><!--dirready:findings-data--> & \u{2028}".into();
        let r = report(vec![finding("upn-format", "CN=a,DC=x"), hostile]);
        let whole = render(TemplateKind::Html, &r, None).unwrap();
        let mut pieces = Vec::new();
        write_html(&r, None, &mut pieces).unwrap();
        assert_eq!(String::from_utf8(pieces).unwrap(), whole);
        assert_eq!(
            whole.matches(DATA_MARK).count(),
            0,
            "no value spells the mark"
        );
        assert!(whole.contains("\\u003c!--dirready:findings-data--\\u003e"));
    }
}
