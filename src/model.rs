//! The directory data model shared by every stage: entries as read from a source,
//! and the diagnostics a source reports about input it could not read cleanly.

use std::borrow::Cow;

/// How a value was written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueEncoding {
    /// `attr: value` — the bytes are the value.
    Plain,
    /// `attr:: base64` — the bytes are still base64 text; see [`Attr::decoded`].
    Base64,
    /// `attr:< url` — the bytes are the URL; the value is never fetched.
    Url,
}

/// One `attr: value` line of an entry (after unfolding). A multi-valued attribute
/// appears as several `Attr`s with the same name, in source order.
#[derive(Debug, Clone)]
pub struct Attr<'a> {
    /// Attribute type as written (case preserved), without options: `proxyAddresses`.
    pub name: &'a str,
    /// Options as written after the first `;`, without it: `binary`, `lang-de;binary`,
    /// `range=0-1499`; empty when there are none.
    pub options: &'a str,
    /// The raw value text after the separator (unfolded; leading FILL spaces removed).
    pub raw: Cow<'a, [u8]>,
    pub encoding: ValueEncoding,
    /// 1-based line of the attribute's first physical line in the input.
    pub line: u64,
}

impl Attr<'_> {
    /// Case-insensitive comparison of the attribute type (options ignored).
    #[inline]
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value's bytes: base64 decoded for `::` values, the URL text for `:<` values.
    pub fn decoded(&self) -> Result<Cow<'_, [u8]>, base64::DecodeError> {
        match self.encoding {
            ValueEncoding::Plain | ValueEncoding::Url => Ok(Cow::Borrowed(&self.raw)),
            ValueEncoding::Base64 => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(strip_base64_whitespace(&self.raw).as_ref())
                    .map(Cow::Owned)
            }
        }
    }
}

/// Base64 text in LDIF may contain the spaces left by careless folding; they carry no data.
fn strip_base64_whitespace(raw: &[u8]) -> Cow<'_, [u8]> {
    if raw.iter().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(
            raw.iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    }
}

/// What kind of LDIF record an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// A content record, or `changetype: add` (ldifde writes it on every record).
    Add,
    Modify,
    Delete,
    ModRdn,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Add => "add",
            ChangeType::Modify => "modify",
            ChangeType::Delete => "delete",
            ChangeType::ModRdn => "modrdn",
        }
    }
}

/// One directory object as read from a source. It borrows from the reader's buffer
/// and is dropped as soon as the engine has checked it.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The DN, decoded (base64 DNs are decoded; invalid UTF-8 is replaced lossily and
    /// reported as a diagnostic).
    pub dn: Cow<'a, str>,
    /// 1-based line of the `dn:` line.
    pub line: u64,
    pub changetype: ChangeType,
    /// A modify record whose modifications are all `add:` (ldifde writes the values of
    /// a big attribute that way, after the entry's own record).
    pub only_adds: bool,
    /// Attribute lines in source order (`changetype:` and `control:` lines excluded).
    /// For modify records, the values its `add:` modifications add.
    pub attrs: Vec<Attr<'a>>,
}

impl<'a> Entry<'a> {
    /// All values of one attribute type (case-insensitive, any options).
    pub fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Attr<'a>> + 's {
        self.attrs.iter().filter(move |a| a.is(name))
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// The record (or input) was not read; results are incomplete.
    Error,
    /// Tolerated irregularity; nothing was lost.
    Warning,
    /// Something worth knowing (a skipped ldapsearch trailer, a URL value not fetched).
    Note,
}

/// A problem with the input itself (not with the directory data): file, line, column
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    /// The input as the user named it (`-` for stdin).
    pub file: String,
    /// 1-based; 0 when the problem concerns the whole input.
    pub line: u64,
    /// 1-based column (in bytes of the physical line); 0 when not meaningful.
    pub column: u64,
    pub message: String,
    /// For a record not checked because it is past a size limit: the flag that raises
    /// the limit (`--max-entry-bytes`, ...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit: Option<String>,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Note => "note",
        };
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {level}: {}", self.file, self.message),
            (l, 0) => write!(f, "{}:{l}: {level}: {}", self.file, self.message),
            (l, c) => write!(f, "{}:{l}:{c}: {level}: {}", self.file, self.message),
        }
    }
}
