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
/// Borrowed when there are none (nearly always).
pub(crate) fn strip_base64_whitespace(raw: &[u8]) -> Cow<'_, [u8]> {
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

/// Diagnostics counted but not listed (see [`keep_first`]), by level as the summary
/// counts the listed ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Unlisted {
    pub errors: u64,
    pub warnings: u64,
    pub notes: u64,
    /// Of them, records not checked because they were past a size limit.
    pub not_checked: u64,
}

impl Unlisted {
    pub fn count(&mut self, d: &Diagnostic) {
        match d.level {
            DiagnosticLevel::Error => self.errors += 1,
            DiagnosticLevel::Warning => self.warnings += 1,
            DiagnosticLevel::Note => self.notes += 1,
        }
        if d.limit.is_some() {
            self.not_checked += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.errors + self.warnings + self.notes
    }

    /// Each count the larger of the two.
    pub fn max(&self, other: &Unlisted) -> Unlisted {
        Unlisted {
            errors: self.errors.max(other.errors),
            warnings: self.warnings.max(other.warnings),
            notes: self.notes.max(other.notes),
            not_checked: self.not_checked.max(other.not_checked),
        }
    }

    pub fn add(&mut self, other: &Unlisted) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.notes += other.notes;
        self.not_checked += other.not_checked;
    }
}

/// Keeps the first `limit` of one input's diagnostics in report order (line, column,
/// message; level and limit only break ties, so which are kept never depends on the order
/// they came in), and every one about the whole input (line 0), and counts the rest in
/// `unlisted`. A damaged or wrong file can have a
/// problem on every line: listing them all takes memory without bound and tells no more
/// than the first ones. Duplicates are dropped, as the report drops them.
pub fn keep_first(diags: &mut Vec<Diagnostic>, limit: usize, unlisted: &mut Unlisted) {
    if diags.len() <= limit {
        return;
    }
    diags.sort_by(|a, b| {
        (a.line, a.column, &a.message, a.level, &a.limit)
            .cmp(&(b.line, b.column, &b.message, b.level, &b.limit))
    });
    diags.dedup();
    // Problems with the whole input (line 0: it could not be read, say) are always listed.
    let keep = limit.max(diags.iter().take_while(|d| d.line == 0).count());
    for d in diags.iter().skip(keep) {
        unlisted.count(d);
    }
    diags.truncate(keep);
}

/// When a list that [`keep_first`] bounds to `limit` is cut back: at twice the limit, so
/// that sorting is paid once for every `limit` diagnostics added.
pub fn keep_first_at(limit: usize) -> usize {
    limit.saturating_mul(2).saturating_add(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(level: DiagnosticLevel, line: u64, message: &str) -> Diagnostic {
        Diagnostic {
            level,
            file: "x.ldif".into(),
            line,
            column: 0,
            message: message.into(),
            limit: None,
        }
    }

    #[test]
    fn keep_first_keeps_the_earliest_lines_whatever_the_order_they_came_in() {
        let all: Vec<Diagnostic> = (1..=10)
            .map(|l| {
                let level = if l % 2 == 0 {
                    DiagnosticLevel::Error
                } else {
                    DiagnosticLevel::Warning
                };
                diag(level, l, "m")
            })
            .collect();
        let mut forward = all.clone();
        let mut backward: Vec<Diagnostic> = all.iter().rev().cloned().collect();
        let (mut a, mut b) = (Unlisted::default(), Unlisted::default());
        keep_first(&mut forward, 3, &mut a);
        keep_first(&mut backward, 3, &mut b);
        assert_eq!(forward, all[..3].to_vec());
        assert_eq!(backward, forward);
        // Lines 4 to 10: errors on 4, 6, 8, 10.
        let want = Unlisted {
            errors: 4,
            warnings: 3,
            notes: 0,
            not_checked: 0,
        };
        assert_eq!((a, b), (want, want));
        assert_eq!(a.total(), 7);
    }

    #[test]
    fn keep_first_in_steps_keeps_what_one_cut_keeps() {
        // Cut back as a list grows (as blocks end) or once at the end: the same.
        let all: Vec<Diagnostic> = (0..500u64)
            .map(|i| {
                let mut d = diag(DiagnosticLevel::Error, (i * 7919) % 500 + 1, "e");
                if i % 5 == 0 {
                    d.limit = Some("--max-entry-bytes".into());
                }
                d
            })
            .collect();
        let mut once = all.clone();
        let mut u1 = Unlisted::default();
        keep_first(&mut once, 40, &mut u1);
        let mut steps = Vec::new();
        let mut u2 = Unlisted::default();
        for chunk in all.chunks(37) {
            steps.extend_from_slice(chunk);
            if steps.len() >= keep_first_at(40) / 2 {
                keep_first(&mut steps, 40, &mut u2);
            }
        }
        keep_first(&mut steps, 40, &mut u2);
        assert_eq!(steps, once);
        assert_eq!(u2, u1);
        assert_eq!(u1.errors, 460);
        let with_limit = |v: &[Diagnostic]| v.iter().filter(|d| d.limit.is_some()).count() as u64;
        assert_eq!(u1.not_checked, with_limit(&all) - with_limit(&once));
        assert_eq!(
            once.iter().map(|d| d.line).collect::<Vec<_>>(),
            (1..=40).collect::<Vec<_>>()
        );
        // Duplicates count once; a list within the limit is left as it is.
        let mut dup = vec![diag(DiagnosticLevel::Note, 2, "n"); 3];
        let mut u3 = Unlisted::default();
        keep_first(&mut dup, 1, &mut u3);
        assert_eq!((dup.len(), u3.total()), (1, 0));
        let mut few = vec![
            diag(DiagnosticLevel::Note, 9, "b"),
            diag(DiagnosticLevel::Note, 1, "a"),
        ];
        keep_first(&mut few, 2, &mut u3);
        assert_eq!(few[0].line, 9);
    }
}
