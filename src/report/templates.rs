pub enum TemplateKind {
    Html,
    Markdown,
}
pub fn render(
    _k: TemplateKind,
    _r: &crate::findings::Report,
    _d: Option<&std::path::Path>,
) -> Result<String, String> {
    Err("templates not yet built".into())
}
