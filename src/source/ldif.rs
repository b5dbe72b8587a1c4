//! RFC 2849 LDIF parser over one record-aligned block (see [`super::input`]).
//!
//! The parser is byte-oriented and zero-copy: it finds lines with `memchr`, and every
//! value is a `Cow::Borrowed` slice of the block unless its logical line was folded, in
//! which case the unfolded bytes are copied once. Values are not UTF-8 validated here
//! (only the DN is, because [`Entry::dn`] is a `str`); `::` values stay base64 text and
//! are decoded on demand by [`Attr::decoded`].
//!
//! Malformed records are reported as [`Diagnostic`]s with file, line and column; the
//! whole record is skipped and the parser resynchronises at the next blank line.

use std::borrow::Cow;

use base64::Engine;
use memchr::memchr;

use crate::model::{Attr, ChangeType, Diagnostic, DiagnosticLevel, Entry, ValueEncoding};

/// Longest logical (unfolded) line accepted; a longer one is an error and its record is
/// skipped.
pub const MAX_LINE: usize = 16 << 20;

/// Parses the records of one block. Create one per block; blocks of the same input can be
/// parsed in parallel because every block starts at a record boundary.
pub struct LdifParser<'a> {
    file: &'a str,
    data: &'a [u8],
    /// Offset of the next unread physical line.
    pos: usize,
    /// 1-based line number of `data[pos]`.
    line: u64,
    /// No non-comment line of the input has been seen yet (`version:` is allowed).
    at_file_start: bool,
    /// The whitespace-only-separator warning has been given for this block.
    warned_ws: bool,
    /// Capacity hint for the next entry's attribute vector.
    attr_hint: usize,
}

/// One logical line: a physical line plus its continuation lines, unfolded.
struct Logical<'a> {
    /// Offset of the first physical line in the block.
    start: usize,
    /// Line number of the first physical line.
    line: u64,
    /// Unfolded content, without line endings. Borrowed unless folded.
    text: Cow<'a, [u8]>,
    /// Length of the first physical line's content.
    first_len: usize,
}

/// A parsed `type;options: value` line.
struct Field<'a> {
    name: &'a str,
    options: &'a str,
    /// `name` or `name;options`, as written.
    desc: &'a [u8],
    encoding: ValueEncoding,
    value: Cow<'a, [u8]>,
    line: u64,
    /// Offset of the line's first byte in the block.
    start: usize,
    /// Line and column of the value's first byte (after FILL).
    value_pos: (u64, u64),
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

fn trim_end(v: &[u8]) -> &[u8] {
    let mut e = v.len();
    while e > 0 && v[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &v[..e]
}

/// `name` is validated ASCII, so this never falls back.
#[inline]
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02X}")
    }
}

fn is_mod_op(name: &str) -> bool {
    ["add", "delete", "replace", "increment"]
        .iter()
        .any(|op| name.eq_ignore_ascii_case(op))
}

impl<'a> LdifParser<'a> {
    /// `file` names the input in diagnostics; `first_line` is the line number of
    /// `data[0]`; `at_file_start` is true when nothing but comments and blank lines
    /// precede `data` in the input (a leading `version: 1` is then accepted).
    pub fn new(file: &'a str, data: &'a [u8], first_line: u64, at_file_start: bool) -> Self {
        LdifParser {
            file,
            data,
            pos: 0,
            line: first_line,
            at_file_start,
            warned_ws: false,
            attr_hint: 8,
        }
    }

    /// The next object or change record; problems go to `diags` (Diagnostic.file = `file`).
    pub fn next_entry(&mut self, diags: &mut Vec<Diagnostic>) -> Option<Entry<'a>> {
        loop {
            self.skip_blank_lines(diags);
            if self.pos >= self.data.len() {
                return None;
            }
            let start = self.pos;
            let mark = diags.len();
            match self.record(diags) {
                Ok(Some(entry)) => {
                    self.attr_hint = entry.attrs.len().max(4);
                    return Some(entry);
                }
                Ok(None) => {}
                Err(d) => {
                    // Notes and warnings about a record that is not returned are noise.
                    diags.truncate(mark);
                    diags.push(d);
                    self.skip_record();
                }
            }
            if self.pos == start {
                // Cannot happen, but never loop without progress.
                self.skip_record();
            }
        }
    }

    fn diag(&self, level: DiagnosticLevel, line: u64, column: u64, message: String) -> Diagnostic {
        Diagnostic {
            level,
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }

    // ----------------------------------------------------------------------------------
    // Physical lines

    /// End of the content of the physical line at `p` (a trailing CR excluded) and the
    /// offset of the next line.
    #[inline]
    fn phys(&self, p: usize) -> (usize, usize) {
        let d = self.data;
        let (nl, next) = match memchr(b'\n', &d[p..]) {
            Some(k) => (p + k, p + k + 1),
            None => (d.len(), d.len()),
        };
        if nl > p && d[nl - 1] == b'\r' {
            (nl - 1, next)
        } else {
            (nl, next)
        }
    }

    /// Is the physical line at `p` empty or whitespace-only (a record separator)?
    #[inline]
    fn is_blank_at(&self, p: usize) -> bool {
        let d = self.data;
        let mut i = p;
        while i < d.len() && is_ws(d[i]) {
            i += 1;
        }
        i >= d.len() || d[i] == b'\n'
    }

    /// Is the line at `p` a continuation line (one space, then something not blank)?
    #[inline]
    fn is_cont_at(&self, p: usize) -> bool {
        p < self.data.len() && self.data[p] == b' ' && !self.is_blank_at(p)
    }

    #[inline]
    fn at_record_end(&self) -> bool {
        self.pos >= self.data.len() || self.is_blank_at(self.pos)
    }

    #[inline]
    fn advance_line(&mut self) {
        let (_, next) = self.phys(self.pos);
        self.pos = next;
        self.line += 1;
    }

    fn skip_blank_lines(&mut self, diags: &mut Vec<Diagnostic>) {
        while self.pos < self.data.len() && self.is_blank_at(self.pos) {
            let (end, next) = self.phys(self.pos);
            if end > self.pos && !self.warned_ws {
                self.warned_ws = true;
                diags.push(self.diag(
                    DiagnosticLevel::Warning,
                    self.line,
                    1,
                    "whitespace-only line treated as a record separator".to_string(),
                ));
            }
            self.pos = next;
            self.line += 1;
        }
    }

    /// Skips the rest of the current record (up to the next blank line or the end).
    fn skip_record(&mut self) {
        while !self.at_record_end() {
            self.advance_line();
        }
    }

    /// Skips one logical line without building it.
    fn skip_logical(&mut self) {
        self.advance_line();
        while self.is_cont_at(self.pos) {
            self.advance_line();
        }
    }

    /// Skips comment lines; true if a non-comment line of the current record follows.
    fn skip_comments(&mut self) -> bool {
        loop {
            if self.at_record_end() {
                return false;
            }
            if self.data[self.pos] != b'#' {
                return true;
            }
            self.skip_logical();
        }
    }

    /// Reads one logical line, unfolding continuation lines.
    fn read_logical(&mut self) -> Result<Logical<'a>, Diagnostic> {
        let data = self.data;
        let start = self.pos;
        let line = self.line;
        let (end, next) = self.phys(start);
        self.pos = next;
        self.line += 1;
        let first_len = end - start;
        if !self.is_cont_at(self.pos) {
            if first_len > MAX_LINE {
                return Err(self.too_long(line));
            }
            return Ok(Logical {
                start,
                line,
                text: Cow::Borrowed(&data[start..end]),
                first_len,
            });
        }
        let mut ok = first_len <= MAX_LINE;
        let mut total = first_len;
        let mut buf = Vec::new();
        if ok {
            buf.reserve(first_len + 80);
            buf.extend_from_slice(&data[start..end]);
        }
        while self.is_cont_at(self.pos) {
            let s = self.pos + 1;
            let (e, n) = self.phys(self.pos);
            total += e - s;
            if ok {
                if total > MAX_LINE {
                    ok = false;
                    buf = Vec::new();
                } else {
                    buf.extend_from_slice(&data[s..e]);
                }
            }
            self.pos = n;
            self.line += 1;
        }
        if !ok {
            return Err(self.too_long(line));
        }
        Ok(Logical {
            start,
            line,
            text: Cow::Owned(buf),
            first_len,
        })
    }

    fn too_long(&self, line: u64) -> Diagnostic {
        self.diag(
            DiagnosticLevel::Error,
            line,
            0,
            format!(
                "line longer than {} MiB (after unfolding); record skipped",
                MAX_LINE >> 20
            ),
        )
    }

    /// Physical line and 1-based column of byte `off` of a logical line.
    fn locate(&self, l: &Logical<'_>, off: usize) -> (u64, u64) {
        if off < l.first_len || matches!(l.text, Cow::Borrowed(_)) {
            return (l.line, off as u64 + 1);
        }
        let mut off = off - l.first_len;
        let (_, mut p) = self.phys(l.start);
        let mut line = l.line + 1;
        while self.is_cont_at(p) {
            let (e, next) = self.phys(p);
            let len = e - (p + 1);
            if off < len || !self.is_cont_at(next) {
                return (line, off as u64 + 2);
            }
            off -= len;
            p = next;
            line += 1;
        }
        (l.line, 0)
    }

    /// Splits a logical line into attribute description and value.
    fn field(&self, l: Logical<'a>) -> Result<Field<'a>, Diagnostic> {
        let t: &[u8] = &l.text;
        let n = t.len();
        let mut i = 0;
        if n > 0 && t[0].is_ascii_alphabetic() {
            i = 1;
            while i < n && (t[i].is_ascii_alphanumeric() || t[i] == b'-') {
                i += 1;
            }
        } else if n > 0 && t[0].is_ascii_digit() {
            i = 1;
            while i < n && (t[i].is_ascii_digit() || t[i] == b'.') {
                i += 1;
            }
        }
        let type_end = i;
        if i > 0 && i < n && t[i] == b';' {
            i += 1;
            while i < n && t[i] != b':' && t[i].is_ascii_graphic() {
                i += 1;
            }
        }
        if i == 0 || i >= n || t[i] != b':' {
            let (line, col, msg) = if memchr(b':', t).is_none() {
                (
                    l.line,
                    1,
                    "line has no ':' (expected `attribute: value`; an unfolded continuation line?)"
                        .to_string(),
                )
            } else {
                let (line, col) = self.locate(&l, i);
                let what = if i < type_end || i == 0 {
                    "attribute type"
                } else {
                    "attribute description"
                };
                let msg = match t.get(i) {
                    Some(&b) => format!("illegal character {} in {what}", show_byte(b)),
                    None => format!("unexpected end of line in {what}"),
                };
                (line, col, msg)
            };
            return Err(self.diag(
                DiagnosticLevel::Error,
                line,
                col,
                format!("{msg}; record skipped"),
            ));
        }
        let colon = i;
        if colon >= l.first_len {
            let (line, col) = self.locate(&l, colon);
            return Err(self.diag(
                DiagnosticLevel::Error,
                line,
                col,
                "attribute description folded across lines is not supported; record skipped"
                    .to_string(),
            ));
        }
        let desc = &self.data[l.start..l.start + colon];
        let (name, options) = if type_end < colon {
            (&desc[..type_end], &desc[type_end + 1..])
        } else {
            (desc, &desc[..0])
        };
        let mut v = colon + 1;
        let encoding = match t.get(v) {
            Some(b':') => {
                v += 1;
                ValueEncoding::Base64
            }
            Some(b'<') => {
                v += 1;
                ValueEncoding::Url
            }
            _ => ValueEncoding::Plain,
        };
        while v < n && t[v] == b' ' {
            v += 1;
        }
        let value_pos = if v < l.first_len || matches!(l.text, Cow::Borrowed(_)) {
            (l.line, v as u64 + 1)
        } else {
            self.locate(&l, v)
        };
        let value = match l.text {
            Cow::Borrowed(s) => Cow::Borrowed(&s[v..]),
            Cow::Owned(mut o) => {
                o.drain(..v);
                Cow::Owned(o)
            }
        };
        Ok(Field {
            name: ascii(name),
            options: ascii(options),
            desc,
            encoding,
            value,
            line: l.line,
            start: l.start,
            value_pos,
        })
    }

    fn error(&self, line: u64, column: u64, message: impl Into<String>) -> Diagnostic {
        self.diag(DiagnosticLevel::Error, line, column, message.into())
    }

    // ----------------------------------------------------------------------------------
    // Records

    /// Parses one record. `Ok(None)`: nothing to return (comments only, `version:`, an
    /// ldapsearch trailer); `Err`: the record is malformed and must be skipped.
    fn record(&mut self, diags: &mut Vec<Diagnostic>) -> Result<Option<Entry<'a>>, Diagnostic> {
        if !self.skip_comments() {
            return Ok(None);
        }
        let at_file_start = std::mem::replace(&mut self.at_file_start, false);
        if self.data[self.pos] == b' ' {
            return Err(self.error(
                self.line,
                1,
                "continuation line (leading space) with no line to continue; record skipped",
            ));
        }
        let mut f = {
            let l = self.read_logical()?;
            self.field(l)?
        };
        if at_file_start && f.options.is_empty() && f.name.eq_ignore_ascii_case("version") {
            if trim_end(&f.value) != b"1" {
                diags.push(self.diag(
                    DiagnosticLevel::Warning,
                    f.value_pos.0,
                    f.value_pos.1,
                    format!(
                        "unsupported LDIF version {:?}; reading as version 1",
                        String::from_utf8_lossy(&f.value)
                    ),
                ));
            }
            if !self.skip_comments() {
                return Ok(None);
            }
            let l = self.read_logical()?;
            f = self.field(l)?;
        }
        if !(f.options.is_empty() && f.name.eq_ignore_ascii_case("dn")) {
            if f.name.eq_ignore_ascii_case("version") {
                return Err(self.error(
                    f.line,
                    1,
                    "`version:` is only allowed as the first line of the input; record skipped",
                ));
            }
            if ["search", "result", "ref"]
                .iter()
                .any(|k| f.name.eq_ignore_ascii_case(k))
            {
                let (end, _) = self.phys(f.start);
                let shown = &self.data[f.start..end];
                diags.push(self.diag(
                    DiagnosticLevel::Note,
                    f.line,
                    0,
                    format!(
                        "skipped a record without dn: starting {:?} (ldapsearch result trailer or search reference)",
                        String::from_utf8_lossy(&shown[..shown.len().min(80)])
                    ),
                ));
                self.skip_record();
                return Ok(None);
            }
            return Err(self.error(
                f.line,
                1,
                "record does not start with `dn:`; record skipped",
            ));
        }
        let dn_line = f.line;
        let dn = self.dn(f, diags)?;

        let mut changetype = ChangeType::Add;
        let mut header = true;
        let mut attrs: Vec<Attr<'a>> = Vec::with_capacity(self.attr_hint);
        // Modify records: the attribute description of the open `add:/delete:/replace:`.
        let mut spec: Option<Cow<'a, [u8]>> = None;
        let mut delete_warned = false;
        loop {
            if !self.skip_comments() {
                break;
            }
            let l = self.read_logical()?;
            if changetype == ChangeType::Modify && trim_end(&l.text) == b"-" {
                spec = None;
                continue;
            }
            let f = self.field(l)?;
            if header && f.options.is_empty() {
                if f.name.eq_ignore_ascii_case("control") {
                    continue;
                }
                if f.name.eq_ignore_ascii_case("changetype") {
                    header = false;
                    let v = trim_end(&f.value);
                    changetype = if v.eq_ignore_ascii_case(b"add") {
                        ChangeType::Add
                    } else if v.eq_ignore_ascii_case(b"modify") {
                        ChangeType::Modify
                    } else if v.eq_ignore_ascii_case(b"delete") {
                        ChangeType::Delete
                    } else if v.eq_ignore_ascii_case(b"modrdn") || v.eq_ignore_ascii_case(b"moddn")
                    {
                        ChangeType::ModRdn
                    } else {
                        return Err(self.error(
                            f.value_pos.0,
                            f.value_pos.1,
                            format!(
                                "unknown changetype {:?}; record skipped",
                                String::from_utf8_lossy(v)
                            ),
                        ));
                    };
                    continue;
                }
            }
            header = false;
            if f.options.is_empty()
                && (f.name.eq_ignore_ascii_case("dn") || f.name.eq_ignore_ascii_case("changetype"))
            {
                return Err(self.error(
                    f.line,
                    1,
                    format!(
                        "`{}:` inside a record (missing blank line between records?); record skipped",
                        f.name
                    ),
                ));
            }
            match changetype {
                ChangeType::Add | ChangeType::ModRdn => self.push(&mut attrs, f, diags),
                ChangeType::Delete => {
                    if !delete_warned {
                        delete_warned = true;
                        diags.push(self.diag(
                            DiagnosticLevel::Warning,
                            f.line,
                            1,
                            "attribute lines in a `changetype: delete` record ignored".to_string(),
                        ));
                    }
                }
                ChangeType::Modify => {
                    let is_op = f.options.is_empty() && is_mod_op(f.name);
                    match &spec {
                        Some(s) if s.eq_ignore_ascii_case(f.desc) => self.push(&mut attrs, f, diags),
                        Some(s) if is_op => {
                            diags.push(self.diag(
                                DiagnosticLevel::Warning,
                                f.line,
                                1,
                                format!(
                                    "missing `-` after the `{}` modification",
                                    String::from_utf8_lossy(s)
                                ),
                            ));
                            spec = Some(trim_cow(f.value));
                        }
                        None if is_op => spec = Some(trim_cow(f.value)),
                        Some(s) => {
                            return Err(self.error(
                                f.line,
                                1,
                                format!(
                                    "`{}` does not match the attribute of the modification (`{}`); record skipped",
                                    String::from_utf8_lossy(f.desc),
                                    String::from_utf8_lossy(s)
                                ),
                            ))
                        }
                        None => {
                            return Err(self.error(
                                f.line,
                                1,
                                "expected `add:`, `delete:` or `replace:` in a modify record; record skipped",
                            ))
                        }
                    }
                }
            }
        }
        Ok(Some(Entry {
            dn,
            line: dn_line,
            changetype,
            attrs,
        }))
    }

    #[inline]
    fn push(&self, attrs: &mut Vec<Attr<'a>>, f: Field<'a>, diags: &mut Vec<Diagnostic>) {
        if f.encoding == ValueEncoding::Url {
            diags.push(self.diag(
                DiagnosticLevel::Note,
                f.value_pos.0,
                f.value_pos.1,
                format!(
                    "value of {} is a URL reference (not fetched, not checked)",
                    f.name
                ),
            ));
        }
        attrs.push(Attr {
            name: f.name,
            options: f.options,
            raw: f.value,
            encoding: f.encoding,
            line: f.line,
        });
    }

    /// The DN of a `dn:` line: UTF-8 checked, base64 decoded.
    fn dn(&self, f: Field<'a>, diags: &mut Vec<Diagnostic>) -> Result<Cow<'a, str>, Diagnostic> {
        let (line, col) = f.value_pos;
        let bytes: Cow<'a, [u8]> = match f.encoding {
            ValueEncoding::Plain => f.value,
            ValueEncoding::Url => {
                return Err(self.error(
                    line,
                    col,
                    "a URL DN (`dn:<`) is not supported; record skipped",
                ))
            }
            ValueEncoding::Base64 => {
                let clean: Vec<u8> = f
                    .value
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                match base64::engine::general_purpose::STANDARD.decode(&clean) {
                    Ok(v) => Cow::Owned(v),
                    Err(e) => {
                        return Err(self.error(
                            line,
                            col,
                            format!("invalid base64 in `dn::` ({e}); record skipped"),
                        ))
                    }
                }
            }
        };
        let warn = |diags: &mut Vec<Diagnostic>| {
            diags.push(self.diag(
                DiagnosticLevel::Warning,
                line,
                col,
                "DN is not valid UTF-8; invalid bytes replaced with U+FFFD".to_string(),
            ))
        };
        Ok(match bytes {
            Cow::Borrowed(b) => match std::str::from_utf8(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => {
                    warn(diags);
                    Cow::Owned(String::from_utf8_lossy(b).into_owned())
                }
            },
            Cow::Owned(v) => match String::from_utf8(v) {
                Ok(s) => Cow::Owned(s),
                Err(e) => {
                    warn(diags);
                    Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned())
                }
            },
        })
    }
}

fn trim_cow(v: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    match v {
        Cow::Borrowed(b) => Cow::Borrowed(trim_end(b)),
        Cow::Owned(mut o) => {
            let n = trim_end(&o).len();
            o.truncate(n);
            Cow::Owned(o)
        }
    }
}
