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
use std::cell::Cell;

use crate::model::{
    keep_first, keep_first_at, Attr, ChangeType, Diagnostic, DiagnosticLevel, Entry, Unlisted,
    ValueEncoding,
};

/// Longest logical (unfolded) line accepted by default; a longer one is an error and its
/// record is skipped (see [`super::Limits`]).
pub const MAX_LINE: usize = 64 << 20;

/// Parses the records of one block. Create one per block; blocks of the same input can be
/// parsed in parallel because every block starts at a record boundary.
pub struct LdifParser<'a> {
    file: &'a str,
    data: &'a [u8],
    /// `data` as text when the whole block is UTF-8 (nearly always): names are sliced from
    /// it instead of being validated one by one.
    text: Option<&'a str>,
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
    /// An attribute vector handed back by the caller, reused for the next entry.
    spare: Vec<Attr<'a>>,
    /// Longest logical line accepted.
    max_line: usize,
    /// Longest record returned; a longer one is reported and skipped.
    max_entry: usize,
    /// Common lines take `plain_line` (off only to test it against the general path).
    fast_path: bool,
    /// Diagnostics kept in the caller's list (see [`crate::model::keep_first`]), and those
    /// counted instead.
    max_diagnostics: usize,
    unlisted: Unlisted,
    /// Where the current record's diagnostics start in the caller's list, and those past
    /// `max_diagnostics` of the record, counted (a record's own diagnostics come in line
    /// order, so those are past the input's first `max_diagnostics` too).
    record_mark: Cell<usize>,
    record_unlisted: Cell<Unlisted>,
}

/// The text of a block whose values need no checking one by one: the block is UTF-8
/// and holds no byte 0xF4, which starts both the characters the escape of raw bytes
/// uses and any that would need escaping (see [`crate::text`]). Values the parser
/// borrowed from such a block are exactly their text.
#[derive(Clone, Copy)]
pub struct BlockText<'a> {
    data: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> BlockText<'a> {
    /// `raw` as text, when it is a slice of this block and the block is clean text.
    #[inline]
    pub fn of(&self, raw: &[u8]) -> Option<&'a str> {
        let text = self.text?;
        let start = self.offset_of(raw)?;
        text.get(start..start + raw.len())
    }

    /// Where `raw` is in the block, when it is a slice of the block's bytes (a value the
    /// parser borrowed): those bytes are exactly the value, clean text or not.
    #[inline]
    pub fn offset_of(&self, raw: &[u8]) -> Option<usize> {
        // A slice within the block's address range is part of the block: live
        // allocations never overlap.
        let start = (raw.as_ptr() as usize).checked_sub(self.data.as_ptr() as usize)?;
        (start.checked_add(raw.len())? <= self.data.len()).then_some(start)
    }
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

/// Bytes allowed after the first letter of an attribute type: letters, digits, `-`.
static TYPE_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c: u8 = 0;
    loop {
        t[c as usize] = c.is_ascii_alphanumeric() || c == b'-';
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    t
};

/// How many leading bytes of `b` are attribute-type characters ([`TYPE_CHAR`]): eight
/// bytes per step, the per-line cost of the common path.
#[inline]
fn type_chars(b: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = ONES * 0x80;
    const LOW7: u64 = ONES * 0x7F;
    // High bit of each byte of `x` (all below 0x80) that lies in `lo..=hi`: adding
    // `0x80 - lo` sets it from `lo` on, adding `0x7F - hi` past `hi`; no byte carries.
    let within = |x: u64, lo: u8, hi: u8| {
        x.wrapping_add(ONES * u64::from(0x80 - lo)) & !x.wrapping_add(ONES * u64::from(0x7F - hi))
    };
    let mut n = 0;
    for chunk in b.chunks_exact(8) {
        let raw = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let x = raw & LOW7;
        let dash = x ^ (ONES * u64::from(b'-'));
        let not_dash = ((dash & LOW7) + LOW7) | dash;
        let ok = (within(x, b'0', b'9') | within(x | (ONES * 0x20), b'a', b'z') | !not_dash)
            & !raw
            & HIGH;
        let bad = !ok & HIGH;
        if bad != 0 {
            return n + (bad.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + b[n..]
        .iter()
        .position(|&c| !TYPE_CHAR[usize::from(c)])
        .unwrap_or(b.len() - n)
}

fn trim_end(v: &[u8]) -> &[u8] {
    let mut e = v.len();
    while e > 0 && v[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &v[..e]
}

impl<'a> LdifParser<'a> {
    /// `b`, which starts at offset `at` of the block and was validated as ASCII by
    /// `field`, as text: a slice of the block's text when the block is UTF-8.
    #[inline]
    fn ascii_at(&self, at: usize, b: &'a [u8]) -> &'a str {
        debug_assert!(b.is_ascii());
        match self.text {
            Some(t) => t.get(at..at + b.len()).unwrap_or(""),
            None => std::str::from_utf8(b).unwrap_or(""),
        }
    }
}

fn show_byte(b: u8) -> String {
    if b == b' ' || b.is_ascii_graphic() {
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
            text: std::str::from_utf8(data).ok(),
            pos: 0,
            line: first_line,
            at_file_start,
            warned_ws: false,
            attr_hint: 8,
            spare: Vec::new(),
            max_line: MAX_LINE,
            max_entry: usize::MAX,
            fast_path: true,
            max_diagnostics: usize::MAX,
            unlisted: Unlisted::default(),
            record_mark: Cell::new(0),
            record_unlisted: Cell::new(Unlisted::default()),
        }
    }

    /// The block as text, for the values borrowed from it (see [`BlockText`]).
    pub fn block_text(&self) -> BlockText<'a> {
        BlockText {
            data: self.data,
            text: self.text.filter(|_| memchr(0xF4, self.data).is_none()),
        }
    }

    /// Parses every line the general way (for tests and fuzzing, which compare both
    /// paths: they must give the same entries and diagnostics).
    #[doc(hidden)]
    pub fn without_fast_path(mut self) -> Self {
        self.fast_path = false;
        self
    }

    /// Sets the longest record returned (`Limits::max_entry`); the block reader skips
    /// records far past it without buffering them whole.
    pub fn set_max_entry(&mut self, max: usize) {
        self.max_entry = max;
    }

    /// Keeps at most `max` diagnostics in the list `next_entry` adds to, the first in
    /// line order (`Limits::max_diagnostics`); the rest are counted ([`Self::unlisted`]).
    /// A block of damaged records would otherwise add one per record in a single call.
    pub fn set_max_diagnostics(&mut self, max: usize) {
        self.max_diagnostics = max;
    }

    /// The diagnostics counted but not kept (see [`Self::set_max_diagnostics`]).
    pub fn unlisted(&self) -> Unlisted {
        let mut u = self.unlisted;
        u.add(&self.record_unlisted.get());
        u
    }

    /// Adds a diagnostic of the current record, or counts it once the record has given
    /// `max_diagnostics` (one record can hold millions of values, each with a note).
    fn keep(&self, diags: &mut Vec<Diagnostic>, d: Diagnostic) {
        if diags.len().saturating_sub(self.record_mark.get()) < self.max_diagnostics {
            diags.push(d);
        } else {
            let mut u = self.record_unlisted.get();
            u.count(&d);
            self.record_unlisted.set(u);
        }
    }

    /// Sets the longest logical line accepted (`Limits::max_line`).
    pub fn set_max_line(&mut self, max: usize) {
        self.max_line = max;
    }

    /// Hands back the attribute vector of an entry the caller is done with, so the next
    /// entry reuses its allocation.
    pub fn recycle(&mut self, mut attrs: Vec<Attr<'a>>) {
        attrs.clear();
        self.spare = attrs;
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
            self.record_mark.set(mark);
            let record_unlisted = self.record_unlisted.take();
            self.unlisted.add(&record_unlisted);
            match self.record(diags) {
                Ok(Some(entry)) if self.pos - start > self.max_entry => {
                    // Parsed, but past the entry limit: reported, never checked.
                    diags.truncate(mark);
                    self.record_unlisted.take();
                    let mut d = self.diag(
                        DiagnosticLevel::Error,
                        entry.line,
                        0,
                        format!(
                            "record `{}` is longer than {} bytes: not checked (raise with --max-entry-bytes)",
                            entry.dn, self.max_entry
                        ),
                    );
                    d.limit = Some("--max-entry-bytes".into());
                    diags.push(d);
                }
                Ok(Some(entry)) => {
                    self.attr_hint = entry.attrs.len().max(4);
                    if diags.len() >= keep_first_at(self.max_diagnostics) {
                        keep_first(diags, self.max_diagnostics, &mut self.unlisted);
                    }
                    // Counted once the next record starts (or by `unlisted`).
                    return Some(entry);
                }
                Ok(None) => {}
                Err(d) => {
                    // Notes and warnings about a record that is not returned are noise.
                    diags.truncate(mark);
                    self.record_unlisted.take();
                    diags.push(d);
                    self.skip_record();
                }
            }
            if self.pos == start {
                // Cannot happen, but never loop without progress.
                self.skip_record();
            }
            if diags.len() >= keep_first_at(self.max_diagnostics) {
                keep_first(diags, self.max_diagnostics, &mut self.unlisted);
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
            limit: None,
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
            if first_len > self.max_line {
                return Err(self.too_long(line));
            }
            return Ok(Logical {
                start,
                line,
                text: Cow::Borrowed(&data[start..end]),
                first_len,
            });
        }
        let mut ok = first_len <= self.max_line;
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
                if total > self.max_line {
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
        let mut d = self.diag(
            DiagnosticLevel::Error,
            line,
            0,
            format!(
                "line longer than {} bytes (after unfolding): record not checked (raise with --max-line-bytes)",
                self.max_line
            ),
        );
        d.limit = Some("--max-line-bytes".into());
        d
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

    /// The common attribute line in one pass: `type: value` or `type:: value`, the type
    /// without options and not `dn` or `changetype`, not folded, within the line limit.
    /// Returns the attribute and the offset of the next line without consuming anything;
    /// `None` for every other line, which `read_logical` and `field` then take (and
    /// report exactly when it is wrong). Both paths give the same attribute.
    #[inline]
    fn plain_line(&self) -> Option<(Attr<'a>, usize)> {
        let d = self.data;
        let p = self.pos;
        if !d.get(p)?.is_ascii_alphabetic() {
            return None;
        }
        let colon = p + 1 + type_chars(&d[p + 1..]);
        if d.get(colon) != Some(&b':') {
            return None;
        }
        let name = &d[p..colon];
        if name.eq_ignore_ascii_case(b"dn") || name.eq_ignore_ascii_case(b"changetype") {
            return None;
        }
        let (end, next) = self.phys(p);
        // A continuation (or a whitespace-only separator) follows: the general path.
        if end - p > self.max_line || d.get(next) == Some(&b' ') {
            return None;
        }
        let mut v = colon + 1;
        let encoding = match d.get(v) {
            Some(b':') if v < end => {
                v += 1;
                ValueEncoding::Base64
            }
            Some(b'<') if v < end => return None,
            _ => ValueEncoding::Plain,
        };
        while v < end && d[v] == b' ' {
            v += 1;
        }
        let attr = Attr {
            name: self.ascii_at(p, name),
            options: "",
            raw: Cow::Borrowed(&d[v.min(end)..end]),
            encoding,
            line: self.line,
        };
        Some((attr, next))
    }

    /// Splits a logical line into attribute description and value.
    fn field(&self, l: Logical<'a>) -> Result<Field<'a>, Diagnostic> {
        let t: &[u8] = &l.text;
        let n = t.len();
        let mut i = 0;
        if n > 0 && t[0].is_ascii_alphabetic() {
            i = 1 + t[1..]
                .iter()
                .position(|&b| !TYPE_CHAR[b as usize])
                .unwrap_or(n - 1);
        } else if n > 0 && t[0].is_ascii_digit() {
            i = 1;
            while i < n && (t[i].is_ascii_digit() || t[i] == b'.') {
                i += 1;
            }
        }
        let type_end = i;
        let in_options = i > 0 && i < n && t[i] == b';';
        if in_options {
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
                let what = if in_options {
                    "attribute options"
                } else {
                    "attribute type"
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
        let name_at = l.start;
        let options_at = l.start + (colon - options.len());
        Ok(Field {
            name: self.ascii_at(name_at, name),
            options: self.ascii_at(options_at, options),
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
                self.keep(
                    diags,
                    self.diag(
                        DiagnosticLevel::Warning,
                        f.value_pos.0,
                        f.value_pos.1,
                        format!(
                            "unsupported LDIF version {:?}; reading as version 1",
                            String::from_utf8_lossy(&f.value)
                        ),
                    ),
                );
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
                self.keep(diags, self.diag(
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
            if f.name.eq_ignore_ascii_case("include") {
                return Err(self.error(
                    f.line,
                    1,
                    "OpenLDAP `include:` directive is not followed (files named in an input are never opened); scan the included file directly",
                ));
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
        let mut attrs: Vec<Attr<'a>> = std::mem::take(&mut self.spare);
        attrs.reserve(self.attr_hint);
        // Modify records: the attribute description of the open `add:/delete:/replace:`.
        let mut spec: Option<Cow<'a, [u8]>> = None;
        // The open modification is an `add:` (its values are kept); all were so far.
        let mut spec_adds = false;
        let mut only_adds = true;
        let mut delete_warned = false;
        loop {
            // Most lines take the one-pass path; the general one below decides the rest.
            if !header && self.fast_path {
                if let Some((attr, next)) = self.plain_line() {
                    let keep = match changetype {
                        ChangeType::Add | ChangeType::ModRdn => Some(true),
                        ChangeType::Modify => match &spec {
                            Some(s) if s.eq_ignore_ascii_case(attr.name.as_bytes()) => {
                                Some(spec_adds)
                            }
                            _ => None,
                        },
                        ChangeType::Delete => None,
                    };
                    if let Some(keep) = keep {
                        self.pos = next;
                        self.line += 1;
                        if keep {
                            attrs.push(attr);
                        }
                        continue;
                    }
                }
            }
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
                        self.keep(
                            diags,
                            self.diag(
                                DiagnosticLevel::Warning,
                                f.line,
                                1,
                                "attribute lines in a `changetype: delete` record ignored"
                                    .to_string(),
                            ),
                        );
                    }
                }
                ChangeType::Modify => {
                    let is_op = f.options.is_empty() && is_mod_op(f.name);
                    match &spec {
                        Some(s) if s.eq_ignore_ascii_case(f.desc) => {
                            if spec_adds {
                                self.push(&mut attrs, f, diags)
                            }
                        }
                        Some(s) if is_op => {
                            self.keep(diags, self.diag(
                                DiagnosticLevel::Warning,
                                f.line,
                                1,
                                format!(
                                    "missing `-` after the `{}` modification",
                                    String::from_utf8_lossy(s)
                                ),
                            ));
                            spec = Some(trim_cow(f.value));
                            spec_adds = f.name.eq_ignore_ascii_case("add");
                            only_adds &= spec_adds;
                        }
                        None if is_op => {
                            spec = Some(trim_cow(f.value));
                            spec_adds = f.name.eq_ignore_ascii_case("add");
                            only_adds &= spec_adds;
                        }
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
            only_adds: changetype == ChangeType::Modify && only_adds,
            attrs,
        }))
    }

    #[inline]
    fn push(&self, attrs: &mut Vec<Attr<'a>>, f: Field<'a>, diags: &mut Vec<Diagnostic>) {
        if f.encoding == ValueEncoding::Url {
            self.keep(
                diags,
                self.diag(
                    DiagnosticLevel::Note,
                    f.value_pos.0,
                    f.value_pos.1,
                    format!(
                        "value of {} is a URL reference (not fetched, not checked)",
                        f.name
                    ),
                ),
            );
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
                let clean = crate::model::strip_base64_whitespace(&f.value);
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
            self.keep(
                diags,
                self.diag(
                    DiagnosticLevel::Warning,
                    line,
                    col,
                    "DN is not valid UTF-8; invalid bytes replaced with U+FFFD".to_string(),
                ),
            )
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

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data generators
mod tests {
    use super::*;
    use crate::model::DiagnosticLevel::{Error, Note, Warning};
    use crate::source::testutil::{OwnedEntry, SAMPLE};

    #[test]
    fn type_chars_counts_like_the_table_for_every_byte_and_place() {
        let by_table = |b: &[u8]| b.iter().take_while(|&&c| TYPE_CHAR[usize::from(c)]).count();
        for bad in 0..=u8::MAX {
            for at in 0..20 {
                let mut b = b"aZ09-mAiLnIcKnAmE-Zz9".to_vec();
                b.truncate(at + 1);
                b[at] = bad;
                b.extend_from_slice(b"x:");
                assert_eq!(type_chars(&b), by_table(&b), "byte {bad:#x} at {at}");
            }
        }
        assert_eq!(type_chars(b""), 0);
        assert_eq!(type_chars(b"abcdefgh"), 8);
        assert_eq!(type_chars(b"abcdefghi"), 9);
    }

    /// What the parser gives for `data`, with the one-pass path for common lines or not.
    fn run_parser(
        data: &[u8],
        first_line: u64,
        at_start: bool,
        max_line: usize,
        fast: bool,
    ) -> (Vec<OwnedEntry>, Vec<Diagnostic>) {
        let mut p = LdifParser::new("t.ldif", data, first_line, at_start);
        p.set_max_line(max_line);
        if !fast {
            p = p.without_fast_path();
        }
        let mut diags = Vec::new();
        let mut out = Vec::new();
        while let Some(e) = p.next_entry(&mut diags) {
            out.push(OwnedEntry::of(&e));
        }
        (out, diags)
    }

    fn parse_at(
        data: &[u8],
        first_line: u64,
        at_start: bool,
    ) -> (Vec<OwnedEntry>, Vec<Diagnostic>) {
        // Every test input also checks that the one-pass path and the general one agree.
        let general = run_parser(data, first_line, at_start, MAX_LINE, false);
        let fast = run_parser(data, first_line, at_start, MAX_LINE, true);
        assert_eq!(fast, general, "fast and general paths differ");
        general
    }

    fn parse(s: &str) -> (Vec<OwnedEntry>, Vec<Diagnostic>) {
        parse_at(s.as_bytes(), 1, true)
    }

    /// A block of damaged records does not grow the caller's list past what it keeps:
    /// the first in line order, the rest counted; the entries are returned as before.
    #[test]
    fn diagnostics_past_the_limit_are_counted_within_one_call() {
        let mut text = String::new();
        for i in 0..500 {
            text.push_str(&format!("junk {i}\n\n"));
        }
        text.push_str("dn: cn=a,dc=x\ncn: a\n");
        let mut p = LdifParser::new("t.ldif", text.as_bytes(), 1, true);
        p.set_max_diagnostics(3);
        let mut diags = Vec::new();
        let entry = p.next_entry(&mut diags).map(|e| OwnedEntry::of(&e));
        let most = diags.len();
        assert_eq!(entry.map(|e| e.dn), Some("cn=a,dc=x".to_string()));
        assert!(p.next_entry(&mut diags).is_none());
        // Cut back as it grew (never past twice the limit and a little).
        assert!(most <= keep_first_at(3), "{most}");
        let mut u = p.unlisted();
        keep_first(&mut diags, 3, &mut u);
        assert_eq!(diags.iter().map(|d| d.line).collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!((u.errors, u.total()), (497, 497));
        // One record's own diagnostics (a note per URL value) are cut as it is read.
        let one = format!("dn: cn=u,dc=x\n{}", "x:< file:///a\n".repeat(500));
        let mut p = LdifParser::new("t.ldif", one.as_bytes(), 1, true);
        p.set_max_diagnostics(3);
        let mut diags = Vec::new();
        assert!(p.next_entry(&mut diags).is_some());
        assert_eq!(diags.iter().map(|d| d.line).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(p.unlisted().notes, 497);
        // A record that fails takes its notes, listed or counted, with it.
        let bad = format!("dn: cn=u,dc=x\n{}junk\n", "x:< file:///a\n".repeat(50));
        let mut p = LdifParser::new("t.ldif", bad.as_bytes(), 1, true);
        p.set_max_diagnostics(3);
        let mut diags = Vec::new();
        assert!(p.next_entry(&mut diags).is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(p.unlisted().total(), 0);
        // Unbounded by default: every one listed.
        let mut all = Vec::new();
        let mut q = LdifParser::new("t.ldif", text.as_bytes(), 1, true);
        while q.next_entry(&mut all).is_some() {}
        assert_eq!((all.len(), q.unlisted().total()), (500, 0));
    }

    /// Parses input that must produce no diagnostics.
    fn clean(s: &str) -> Vec<OwnedEntry> {
        let (e, d) = parse(s);
        assert!(d.is_empty(), "unexpected diagnostics: {d:#?}");
        e
    }

    /// `name;options=value` (plain/URL values as text, base64 decoded) of every attribute.
    fn vals(e: &OwnedEntry) -> Vec<String> {
        e.attrs
            .iter()
            .map(|(n, o, raw, enc, _)| {
                let a = Attr {
                    name: n,
                    options: o,
                    raw: Cow::Borrowed(raw),
                    encoding: *enc,
                    line: 0,
                };
                let v = String::from_utf8_lossy(&a.decoded().expect("base64")).into_owned();
                if o.is_empty() {
                    format!("{n}={v}")
                } else {
                    format!("{n};{o}={v}")
                }
            })
            .collect()
    }

    fn has(d: &[Diagnostic], level: DiagnosticLevel, line: u64, col: u64, text: &str) -> bool {
        d.iter().any(|x| {
            x.level == level
                && x.line == line
                && x.column == col
                && x.message.contains(text)
                && x.file == "t.ldif"
        })
    }

    #[track_caller]
    fn assert_diag(d: &[Diagnostic], level: DiagnosticLevel, line: u64, col: u64, text: &str) {
        assert!(
            has(d, level, line, col, text),
            "no {level:?} at {line}:{col} containing {text:?} in {d:#?}"
        );
    }

    // ---- §2.2.1 folding ---------------------------------------------------------------

    #[test]
    fn openldap_include_directive_is_named_not_followed() {
        let (_, d) = parse("include: file:///etc/ldap/schema/core.ldif\n\ndn: cn=a\ncn: a\n");
        assert_diag(
            &d,
            DiagnosticLevel::Error,
            1,
            1,
            "`include:` directive is not followed",
        );
    }

    #[test]
    fn folding_mid_word_mid_dn_and_extra_spaces_are_content() {
        let e = clean("dn: cn=Barbara Jen\n sen,dc=exa\n mple\ndescription: a big sai\n ling fan\ncn: two\n  spaces\n");
        assert_eq!(e[0].dn, "cn=Barbara Jensen,dc=example");
        assert_eq!(
            vals(&e[0]),
            ["description=a big sailing fan", "cn=two spaces"]
        );
        assert_eq!(e[0].attrs[0].4, 4);
        assert_eq!(e[0].attrs[1].4, 6);
    }

    #[test]
    fn folding_splits_utf8_sequences_and_base64_quartets() {
        // "Jörg" with the two bytes of ö on two physical lines.
        let mut d = b"dn: cn=J\xc3\n \xb6rg\ncn: J\xc3\n \xb6rg\n".to_vec();
        d.extend_from_slice(b"sn:: SsO2c\n mcgTcO8bGxlcg==\n");
        let (e, diags) = parse_at(&d, 1, true);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(e[0].dn, "cn=Jörg");
        assert_eq!(vals(&e[0]), ["cn=Jörg", "sn=Jörg Müller"]);
    }

    #[test]
    fn values_are_borrowed_unless_folded() {
        let data = b"dn: cn=x\ncn: plain\ndescription: fol\n ded\nsn:: SsO2cmc=\n";
        let mut p = LdifParser::new("t.ldif", data, 1, true);
        let mut diags = Vec::new();
        let e = p.next_entry(&mut diags).unwrap();
        assert!(matches!(e.dn, Cow::Borrowed(_)));
        assert!(matches!(e.attrs[0].raw, Cow::Borrowed(b"plain")));
        assert!(matches!(&e.attrs[1].raw, Cow::Owned(v) if v == b"folded"));
        assert!(matches!(e.attrs[2].raw, Cow::Borrowed(b"SsO2cmc=")));
        // Borrowed values point into the block itself.
        let base = data.as_ptr() as usize;
        let p0 = e.attrs[0].raw.as_ptr() as usize;
        assert!(p0 >= base && p0 < base + data.len());
        assert_eq!(e.attrs[0].name.as_ptr() as usize - base, 9);
    }

    // ---- §2.2.2 comments --------------------------------------------------------------

    #[test]
    fn comments_folded_and_between_dn_and_attributes() {
        let e = clean(
            "# header\n#  folded com\n ment: not an attribute\ndn: cn=x\n# between dn and attrs\n fold of the comment\ncn: x\n# trailing\nsn: y\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 4);
        assert_eq!(vals(&e[0]), ["cn=x", "sn=y"]);
        assert_eq!(e[0].attrs[1].4, 9);
    }

    #[test]
    fn comment_only_records_are_silently_skipped() {
        let e = clean("# one\n# two\n\n#three\n\ndn: cn=a\ncn: a\n\n# end\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 6);
    }

    // ---- §2.2.3 separators ------------------------------------------------------------

    #[test]
    fn multiple_and_leading_blank_lines_and_missing_final_newline() {
        let e = clean("\n\ndn: cn=a\ncn: a\n\n\n\ndn: cn=b\ncn: b");
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].line, e[1].line), (3, 8));
        assert_eq!(vals(&e[1]), ["cn=b"]);
    }

    #[test]
    fn whitespace_only_separators_warn_once_per_block() {
        let (e, d) = parse("dn: cn=a\ncn: a\n  \ndn: cn=b\ncn: b\n\t\ndn: cn=c\n \r\n");
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].line, 4);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_diag(&d, Warning, 3, 1, "whitespace-only line");
        // A bare CRLF is an ordinary empty line.
        assert_eq!(clean("dn: cn=a\r\n\r\ndn: cn=b\r\n").len(), 2);
    }

    #[test]
    fn single_space_then_content_is_a_continuation_not_a_separator() {
        let e = clean("dn: cn=a\ncn: a\n b\n");
        assert_eq!(vals(&e[0]), ["cn=ab"]);
    }

    // ---- §2.2.4 version ---------------------------------------------------------------

    #[test]
    fn version_first_line_alone_or_followed_by_dn() {
        let e = clean("version: 1\n\ndn: cn=a\ncn: a\n");
        assert_eq!(e[0].line, 3);
        let e = clean("version: 1\ndn: cn=a\ncn: a\n");
        assert_eq!(e[0].line, 2);
        // Comments and blank lines may precede it.
        let e = clean("# extended LDIF\n#\n\nversion: 1\n\n# x\ndn: cn=a\n");
        assert_eq!(e[0].line, 7);
    }

    #[test]
    fn version_elsewhere_is_an_error() {
        let (e, d) = parse("dn: cn=a\n\nversion: 1\n\ndn: cn=b\n");
        assert_eq!(e.len(), 2);
        assert_diag(&d, Error, 3, 1, "`version:` is only allowed");
        // A block that does not start the input.
        let (e, d) = parse_at(b"version: 1\ndn: cn=a\n", 40, false);
        assert!(e.is_empty());
        assert_diag(&d, Error, 40, 1, "version");
        // An unknown version is read as 1, with a warning.
        let (e, d) = parse("version: 2\ndn: cn=a\n");
        assert_eq!(e.len(), 1);
        assert_diag(&d, Warning, 1, 10, "unsupported LDIF version");
    }

    // ---- §2.2.5/6/8 value forms --------------------------------------------------------

    #[test]
    fn value_forms_fill_and_trailing_spaces() {
        let e = clean(
            "dn:cn=x\nattr:value\nb:    several fill spaces\nc: trailing  \nd::SGk=\ne::  SGk=\n",
        );
        assert_eq!(e[0].dn, "cn=x");
        let a = &e[0].attrs;
        assert_eq!(a[0].2, b"value");
        assert_eq!(a[1].2, b"several fill spaces");
        assert_eq!(a[2].2, b"trailing  ");
        assert_eq!(
            (a[3].2.as_slice(), a[3].3),
            (&b"SGk="[..], ValueEncoding::Base64)
        );
        assert_eq!(a[4].2, b"SGk=");
        assert_eq!(vals(&e[0])[3], "d=Hi");
    }

    #[test]
    fn url_values_are_kept_and_noted() {
        let (e, d) = parse("dn: cn=x\njpegPhoto:< file:///etc/passwd\n");
        let a = &e[0].attrs[0];
        assert_eq!(
            (a.2.as_slice(), a.3),
            (&b"file:///etc/passwd"[..], ValueEncoding::Url)
        );
        assert_eq!(d.len(), 1);
        assert_diag(
            &d,
            Note,
            2,
            13,
            "value of jpegPhoto is a URL reference (not fetched, not checked)",
        );
    }

    #[test]
    fn empty_values() {
        let e = clean("dn: cn=x\na:\nb: \nc::\nd:: \nuserPrincipalName:\n");
        let a = &e[0].attrs;
        assert!(a.iter().all(|x| x.2.is_empty()));
        assert_eq!(a[2].3, ValueEncoding::Base64);
        assert_eq!(vals(&e[0])[2], "c=");
    }

    // ---- §2.2.7 base64 and raw UTF-8 -----------------------------------------------------

    #[test]
    fn raw_utf8_values_and_dns_accepted_and_value_base64_not_validated_here() {
        let e = clean("dn: cn=Jörg Müller,dc=x\ndisplayName: Jörg Müller\nbad:: !!!notbase64\n");
        assert_eq!(e[0].dn, "cn=Jörg Müller,dc=x");
        assert_eq!(e[0].attrs[0].2, "Jörg Müller".as_bytes());
        assert_eq!(e[0].attrs[1].2, b"!!!notbase64");
    }

    // ---- §2.2.9 DNs ---------------------------------------------------------------------

    #[test]
    fn base64_dn_is_decoded() {
        let e = clean("dn:: Y249SsO2cmcgTcO8bGxlcixPVT1TdGFmZixEQz10ZXN0LERDPWV4YW1wbGU=\ncn: x\n");
        assert_eq!(e[0].dn, "cn=Jörg Müller,OU=Staff,DC=test,DC=example");
        // No space, and folded mid-quartet.
        let e = clean("dn::Y249SsO2cmcgTcO8bGxl\n cixPVT1TdGFmZixEQz10ZXN0LERDPWV4YW1wbGU=\n");
        assert_eq!(e[0].dn, "cn=Jörg Müller,OU=Staff,DC=test,DC=example");
    }

    #[test]
    fn base64_dn_with_invalid_utf8_is_lossy_with_warning() {
        // "cn=\xff"
        let (e, d) = parse("dn:: Y249/w==\ncn: x\n");
        assert_eq!(e[0].dn, "cn=\u{fffd}");
        assert_diag(&d, Warning, 1, 6, "not valid UTF-8");
        let (e, d) = parse_at(b"dn: cn=\xff\n", 1, true);
        assert_eq!(e[0].dn, "cn=\u{fffd}");
        assert_diag(&d, Warning, 1, 5, "not valid UTF-8");
    }

    #[test]
    fn invalid_base64_dn_is_an_error_and_record_skipped() {
        let (e, d) = parse("dn:: Y24*9/w==\ncn: x\n\ndn: cn=next\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].dn, "cn=next");
        assert_diag(&d, Error, 1, 6, "invalid base64 in `dn::`");
        let (e, d) = parse("dn:< file:///x\n\ndn: cn=next\n");
        assert_eq!(e.len(), 1);
        assert_diag(&d, Error, 1, 6, "URL DN");
    }

    #[test]
    fn dn_escapes_and_rfc1779_spacing_kept_verbatim() {
        let e = clean(
            "dn: CN=Smith\\, John+UID=js,OU=A\\2CB,DC=x\n\ndn: cn=\\C4\\8Dolak, ou=Staff, dc=x\n\ndn: cn=\\23hash\\ ,dc=x\n\nDN: cn=upper\n\ndn:\n",
        );
        assert_eq!(e[0].dn, "CN=Smith\\, John+UID=js,OU=A\\2CB,DC=x");
        assert_eq!(e[1].dn, "cn=\\C4\\8Dolak, ou=Staff, dc=x");
        assert_eq!(e[2].dn, "cn=\\23hash\\ ,dc=x");
        assert_eq!(e[3].dn, "cn=upper");
        assert_eq!(e[4].dn, "");
    }

    // ---- §2.2.10 attribute descriptions ---------------------------------------------------

    #[test]
    fn attribute_descriptions_case_oid_and_options() {
        let e = clean(
            "dn: cn=x\nobjectclass: top\nobjectClass: person\n2.5.4.3: oid\nuserCertificate;binary:: AAE=\ncn;lang-de;binary: x\nmember;range=0-1499: cn=a\nms-DS-ConsistencyGuid:: AAE=\n",
        );
        let a = &e[0].attrs;
        let names: Vec<_> = a.iter().map(|x| (x.0.as_str(), x.1.as_str())).collect();
        assert_eq!(
            names,
            [
                ("objectclass", ""),
                ("objectClass", ""),
                ("2.5.4.3", ""),
                ("userCertificate", "binary"),
                ("cn", "lang-de;binary"),
                ("member", "range=0-1499"),
                ("ms-DS-ConsistencyGuid", "")
            ]
        );
        let data = b"dn: cn=x\nobjectclass: top\nOBJECTCLASS: person\n";
        let mut p = LdifParser::new("t", data, 1, true);
        let ent = p.next_entry(&mut Vec::new()).unwrap();
        assert_eq!(ent.values("objectClass").count(), 2);
    }

    #[test]
    fn illegal_type_character_is_an_error_with_column_and_resync() {
        let (e, d) = parse("dn: cn=a\ncn: a\nbad_name: x\nsn: a\n\ndn: cn=b\ncn: b\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].dn, "cn=b");
        assert_eq!(e[0].line, 6);
        assert_eq!(d.len(), 1);
        assert_diag(&d, Error, 3, 4, "illegal character '_' in attribute type");
        let (_, d) = parse("dn: cn=a\ncn;x y: v\n");
        assert_diag(
            &d,
            Error,
            2,
            5,
            "illegal character ' ' in attribute options",
        );
        let (_, d) = parse("dn: cn=a\n-cn: v\n");
        assert_diag(&d, Error, 2, 1, "illegal character '-'");
    }

    #[test]
    fn no_partial_entry_for_a_record_with_an_error_and_no_stale_notes() {
        let (e, d) = parse("dn: cn=a\nphoto:< file:///x\nnocolon\n");
        assert!(e.is_empty());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_diag(&d, Error, 3, 1, "no ':'");
    }

    // ---- §2.2.11 change records ----------------------------------------------------------

    #[test]
    fn changetype_add_is_a_content_record_and_controls_are_skipped() {
        let e = clean(
            "dn: cn=a\ncontrol: 1.2.840.113556.1.4.805 true\ncontrol: 1.2.3 false: value\ncontrol: 1.2.4:: AAE=\nchangetype: add\ncn: a\n",
        );
        assert_eq!(e[0].changetype, ChangeType::Add);
        assert_eq!(vals(&e[0]), ["cn=a"]);
    }

    #[test]
    fn modify_records_with_and_without_final_dash() {
        let e = clean(
            "dn: cn=g\nchangetype: modify\nadd: member\nmember: cn=a\nmember: cn=b\n-\nreplace: description\n-\ndelete: mail\n-\nreplace: telephoneNumber\ntelephoneNumber: 1\ntelephonenumber: 2\n\ndn: cn=h\nchangetype: modify\nadd: member\nmember: cn=c\n",
        );
        assert_eq!(e[0].changetype, ChangeType::Modify);
        assert_eq!(
            vals(&e[0]),
            ["member=cn=a", "member=cn=b",],
            "only the values that `add:` adds"
        );
        assert!(!e[0].only_adds);
        assert_eq!(vals(&e[1]), ["member=cn=c"]);
        assert!(e[1].only_adds);
    }

    #[test]
    fn modify_record_errors_and_missing_intermediate_dash() {
        let (e, d) = parse("dn: cn=g\nchangetype: modify\nmember: cn=a\n\ndn: cn=ok\n");
        assert_eq!(e.len(), 1);
        assert_diag(&d, Error, 3, 1, "expected `add:`");
        let (e, d) = parse("dn: cn=g\nchangetype: modify\nadd: member\nmail: x\n");
        assert!(e.is_empty());
        assert_diag(&d, Error, 4, 1, "does not match");
        let (e, d) =
            parse("dn: cn=g\nchangetype: modify\nadd: member\nmember: a\nadd: mail\nmail: m\n");
        assert_eq!(vals(&e[0]), ["member=a", "mail=m"]);
        assert_diag(&d, Warning, 5, 1, "missing `-`");
    }

    #[test]
    fn delete_modrdn_moddn_and_unknown_changetype() {
        let (e, d) = parse(
            "dn: cn=a\nchangetype: delete\n\ndn: cn=b\nchangetype: modrdn\nnewrdn: cn=c\ndeleteoldrdn: 1\n\ndn: cn=d\nchangetype: moddn\nnewrdn: cn=e\ndeleteoldrdn: 0\nnewsuperior: ou=x\n\ndn: cn=f\nchangetype: rename\ncn: f\n\ndn: cn=g\nchangetype: delete\ncn: g\n",
        );
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].changetype, ChangeType::Delete);
        assert!(e[0].attrs.is_empty());
        assert_eq!(e[1].changetype, ChangeType::ModRdn);
        assert_eq!(vals(&e[1]), ["newrdn=cn=c", "deleteoldrdn=1"]);
        assert_eq!(
            vals(&e[2]),
            ["newrdn=cn=e", "deleteoldrdn=0", "newsuperior=ou=x"]
        );
        assert_eq!(e[3].dn, "cn=g");
        assert!(e[3].attrs.is_empty());
        assert_diag(&d, Error, 16, 13, "unknown changetype \"rename\"");
        assert_diag(&d, Warning, 21, 1, "ignored");
    }

    #[test]
    fn second_dn_or_late_changetype_inside_a_record_is_an_error() {
        let (e, d) = parse("dn: cn=a\ncn: a\ndn: cn=b\ncn: b\n");
        assert!(e.is_empty());
        assert_diag(&d, Error, 3, 1, "missing blank line");
        let (e, d) = parse("dn: cn=a\ncn: a\nchangetype: modify\n");
        assert!(e.is_empty());
        assert_diag(&d, Error, 3, 1, "`changetype:` inside a record");
    }

    // ---- §2.2.12 line endings (BOMs: see input.rs) -----------------------------------------

    #[test]
    fn crlf_and_lone_trailing_cr() {
        let e = clean("dn: cn=a\r\ncn: a\r\ndescription: fol\r\n ded\r\n\r\ndn: cn=b\r\nsn: b\r");
        assert_eq!(e[0].dn, "cn=a");
        assert_eq!(vals(&e[0]), ["cn=a", "description=folded"]);
        assert_eq!(e[1].line, 6);
        assert_eq!(vals(&e[1]), ["sn=b"]);
    }

    // ---- §2.2.13 malformed input -------------------------------------------------------------

    #[test]
    fn unfolded_text_line_without_colon_is_reported_and_parsing_goes_on() {
        let (e, d) = parse(
            "dn: cn=a\nadminDescription: \nthis text should have been folded\ncn: a\n\ndn: cn=b\ncn: b\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].dn, "cn=b");
        assert_diag(&d, Error, 3, 1, "line has no ':'");
        let (e, d) = parse(" leading continuation\ncn: x\n\ndn: cn=b\n");
        assert_eq!(e.len(), 1);
        assert_diag(&d, Error, 1, 1, "continuation line");
    }

    // ---- §2.2.14 ldapsearch without -LLL ----------------------------------------------------

    #[test]
    fn ldapsearch_trailer_and_references_are_noted_other_dnless_records_are_errors() {
        let (e, d) = parse(
            "# extended LDIF\n#\n# LDAPv3\n\n# a, x\ndn: cn=a,dc=x\ncn: a\n\n# search reference\nref: ldap://other.example/dc=x??sub\n\n# search result\nsearch: 2\nresult: 0 Success\n\n# numResponses: 3\n\ncn: orphan\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(d.len(), 3, "{d:#?}");
        assert_diag(&d, Note, 10, 0, "ref: ldap://other.example/dc=x??sub");
        assert_diag(&d, Note, 13, 0, "search: 2");
        assert_diag(&d, Error, 18, 1, "does not start with `dn:`");
    }

    // ---- §2.2.15 AD noise ---------------------------------------------------------------------

    #[test]
    fn ad_operational_values_pass_through() {
        let sd = "AQAEjBQAAAAwAAAAAAAAAEwAAAABAgAAAAAABSAAAAAgAgAAAQIAAAAAAAUgAAAAIAIAAAQAhAAC"
            .repeat(40);
        let s = format!(
            "dn: CN=Users,DC=x\nwellKnownObjects: B:32:A9D1CA15768811D1ADED00C04FD8D5CD:CN=Users,DC=x\ndSCorePropagationData: 16010101000000.0Z\nuSNChanged: 12345\nnTSecurityDescriptor:: {sd}\n"
        );
        let e = clean(&s);
        assert_eq!(
            e[0].attrs[0].2,
            b"B:32:A9D1CA15768811D1ADED00C04FD8D5CD:CN=Users,DC=x"
        );
        assert_eq!(e[0].attrs[3].2.len(), sd.len());
    }

    // ---- §2.2.16 size caps ---------------------------------------------------------------------

    #[test]
    fn logical_line_over_the_limit_is_an_error_folded_or_not() {
        const LIMIT: usize = 1 << 20;
        let parse = |s: &str| {
            let mut p = LdifParser::new("t.ldif", s.as_bytes(), 1, true);
            p.set_max_line(LIMIT);
            let mut diags = Vec::new();
            let mut out = Vec::new();
            while let Some(e) = p.next_entry(&mut diags) {
                out.push(OwnedEntry::of(&e));
            }
            (out, diags)
        };
        let big = "x".repeat(LIMIT + 1);
        let s = format!("dn: cn=a\ndescription: {big}\n\ndn: cn=b\n");
        let (e, d) = parse(&s);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].dn, "cn=b");
        assert_diag(&d, Error, 2, 0, "longer than 1048576 bytes");
        assert_eq!(d[0].limit.as_deref(), Some("--max-line-bytes"));
        // Folded into 1 KiB pieces.
        let mut s = String::from("dn: cn=a\ndescription: x\n");
        let piece = format!(" {}\n", "y".repeat(1024));
        for _ in 0..(LIMIT / 1024 + 1) {
            s.push_str(&piece);
        }
        s.push_str("cn: a\n\ndn: cn=b\n");
        let (e, d) = parse(&s);
        assert_eq!(e.len(), 1);
        assert_diag(&d, Error, 2, 0, "longer than 1048576 bytes");
        assert_eq!(e[0].line, (LIMIT / 1024 + 1) as u64 + 5);
    }

    // ---- line numbers, columns -------------------------------------------------------------

    #[test]
    fn first_line_offset_is_applied() {
        let (e, d) = parse_at(b"dn: cn=a\ncn: a\n\ndn: cn=b\nx y: z\n", 1001, false);
        assert_eq!(e[0].line, 1001);
        assert_eq!(e[0].attrs[0].4, 1002);
        assert_diag(&d, Error, 1005, 2, "illegal character ' '");
    }

    #[test]
    fn columns_point_into_continuation_lines() {
        // The value of the changetype starts on the continuation line.
        let (_, d) = parse("dn: cn=a\nchangetype:\n  bogus\n");
        assert_diag(&d, Error, 3, 3, "unknown changetype");
        // Attribute description folded across lines: not supported, reported.
        let (_, d) = parse("dn: cn=a\nobjectCl\n ass: top\n");
        assert_diag(&d, Error, 3, 5, "folded across lines");
    }

    // ---- RFC 2849 examples -------------------------------------------------------------------

    #[test]
    fn rfc2849_example1_two_entries() {
        let e = clean(
            "version: 1
dn: cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com
objectclass: top
objectclass: person
objectclass: organizationalPerson
cn: Barbara Jensen
cn: Barbara J Jensen
cn: Babs Jensen
sn: Jensen
uid: bjensen
telephonenumber: +1 408 555 1212
description: A big sailing fan.

dn: cn=Bjorn Jensen, ou=Accounting, dc=airius, dc=com
objectclass: top
objectclass: person
objectclass: organizationalPerson
cn: Bjorn Jensen
sn: Jensen
telephonenumber: +1 408 555 1212
",
        );
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0].dn,
            "cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com"
        );
        assert_eq!(e[0].line, 2);
        assert_eq!(e[0].attrs.len(), 10);
        assert_eq!(e[1].line, 14);
        assert_eq!(vals(&e[1])[5], "telephonenumber=+1 408 555 1212");
    }

    #[test]
    fn rfc2849_example2_folded_no_space() {
        let e = clean(
            "version: 1
dn:cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com
objectclass:top
objectclass:person
objectclass:organizationalPerson
cn:Barbara Jensen
cn:Barbara J Jensen
cn:Babs Jensen
sn:Jensen
uid:bjensen
telephonenumber:+1 408 555 1212
description:Babs is a big sailing fan, and travels extensively in sea
 rch of perfect sailing conditions.
title:Product Manager, Rod and Reel Division
",
        );
        let v = vals(&e[0]);
        assert_eq!(v[9], "description=Babs is a big sailing fan, and travels extensively in search of perfect sailing conditions.");
        assert_eq!(v[10], "title=Product Manager, Rod and Reel Division");
        assert_eq!(e[0].attrs[10].4, 14);
    }

    #[test]
    fn rfc2849_example3_base64_value() {
        let e = clean(
            "version: 1
dn: cn=Gern Jensen, ou=Product Testing, dc=airius, dc=com
objectclass: top
objectclass: person
objectclass: organizationalPerson
cn: Gern Jensen
cn: Gern O Jensen
sn: Jensen
uid: gernj
telephonenumber: +1 408 555 1212
description:: V2hhdCBhIGNhcmVmdWwgcmVhZGVyIHlvdSBhcmUhICBUaGlzIHZhbHVlIGlzIGJhc2UtNjQtZW5jb2RlZCBiZWNhdXNlIGl0IGhhcyBhIGNvbnRyb2wgY2hhcmFjdGVyIGluIGl0IChhIENSKS4NICBCeSB0aGUgd2F5LCB5b3Ugc2hvdWxkIHJlYWxseSBnZXQgb3V0IG1vcmUu
",
        );
        assert_eq!(e[0].attrs[8].3, ValueEncoding::Base64);
        assert!(vals(&e[0])[8].starts_with("description=What a careful reader you are!"));
    }

    #[test]
    fn rfc2849_example4_utf8_base64_dn_and_language_options() {
        let e = clean(
            "version: 1
dn:: b3U95Za25qWt6YOoLG89QWlyaXVz
# dn:: ou=<JapaneseOU>,o=Airius
objectclass: top
objectclass: organizationalUnit
ou:: 5Za25qWt6YOo
# ou:: <JapaneseOU>
ou;lang-ja:: 5Za25qWt6YOo
# ou;lang-ja:: <JapaneseOU>
ou;lang-ja;phonetic:: 44GI44GE44GO44KH44GG44G2
# ou;lang-ja:: <JapaneseOU_in_phonetic_representation>
ou;lang-en: Sales
description: Japanese office

dn:: dWlkPXJvZ2FzYXdhcmEsb3U95Za25qWt6YOoLG89QWlyaXVz
# dn:: uid=<uid>,ou=<JapaneseOU>,o=Airius
userpassword: {SHA}O3HSv1MusyL4kTjP+HKI5uxuNoM=
objectclass: top
objectclass: person
objectclass: organizationalPerson
objectclass: inetOrgPerson
uid: rogasawara
mail: rogasawara@airius.co.jp
givenname;lang-ja:: 44Ot44OJ44OL44O8
# givenname;lang-ja:: <JapaneseGivenname>
sn;lang-ja:: 5bCP56yg5Y6f
# sn;lang-ja:: <JapaneseSn>
cn;lang-ja:: 5bCP56yg5Y6fIOODreODieODi+ODvA==
# cn;lang-ja:: <JapaneseCn>
title;lang-ja:: 5Za25qWt6YOoIOmDqOmVtw==
# title;lang-ja:: <JapaneseTitle>
preferredlanguage: ja
",
        );
        assert_eq!(e[0].dn, "ou=営業部,o=Airius");
        assert_eq!(
            vals(&e[0])[2..6],
            [
                "ou=営業部",
                "ou;lang-ja=営業部",
                "ou;lang-ja;phonetic=えいぎょうぶ",
                "ou;lang-en=Sales"
            ]
        );
        assert_eq!(e[1].dn, "uid=rogasawara,ou=営業部,o=Airius");
        assert_eq!(e[1].line, 15);
        assert!(vals(&e[1]).contains(&"cn;lang-ja=小笠原 ロドニー".to_string()));
    }

    #[test]
    fn rfc2849_example5_url_value() {
        let (e, d) = parse(
            "version: 1
dn: cn=Horatio Jensen, ou=Product Testing, dc=airius, dc=com
objectclass: top
objectclass: person
objectclass: organizationalPerson
cn: Horatio Jensen
cn: Horatio N Jensen
sn: Jensen
uid: hjensen
telephonenumber: +1 408 555 1212
jpegphoto:< file:///usr/local/directory/photos/hjensen.jpg
",
        );
        let a = e[0].attrs.last().unwrap();
        assert_eq!(a.3, ValueEncoding::Url);
        assert_eq!(a.2, b"file:///usr/local/directory/photos/hjensen.jpg");
        assert_diag(&d, Note, 11, 13, "jpegphoto is a URL reference");
    }

    #[test]
    fn rfc2849_example6_change_records() {
        let (e, d) = parse(
            "version: 1
# Add a new entry
dn: cn=Fiona Jensen, ou=Marketing, dc=airius, dc=com
changetype: add
objectclass: top
objectclass: person
objectclass: organizationalPerson
cn: Fiona Jensen
sn: Jensen
uid: fiona
telephonenumber: +1 408 555 1212
jpegphoto:< file:///usr/local/directory/photos/fiona.jpg

# Delete an existing entry
dn: cn=Robert Jensen, ou=Marketing, dc=airius, dc=com
changetype: delete

# Modify an entry's relative distinguished name
dn: cn=Paul Jensen, ou=Product Development, dc=airius, dc=com
changetype: modrdn
newrdn: cn=Paula Jensen
deleteoldrdn: 1

# Rename an entry and move all of its children to a new location in
# the directory tree (only implemented by LDAPv3 servers).
dn: ou=PD Accountants, ou=Product Development, dc=airius, dc=com
changetype: modrdn
newrdn: ou=Product Development Accountants
deleteoldrdn: 0
newsuperior: ou=Accounting, dc=airius, dc=com

# Modify an entry: add an additional value to the postaladdress
# attribute, completely delete the description attribute, replace
# the telephonenumber attribute with two values, and delete a specific
# value from the facsimiletelephonenumber attribute
dn: cn=Paula Jensen, ou=Product Development, dc=airius, dc=com
changetype: modify
add: postaladdress
postaladdress: 123 Anystreet $ Sunnyvale, CA $ 94086
-
delete: description
-
replace: telephonenumber
telephonenumber: +1 408 555 1234
telephonenumber: +1 408 555 5678
-
delete: facsimiletelephonenumber
facsimiletelephonenumber: +1 408 555 9876
-

# Modify an entry: replace the postaladdress attribute with an empty
# set of values (which will cause the attribute to be removed), and
# delete the entire description attribute. Note that the first will
# always succeed, while the second will only succeed if at least
# one value for the description attribute is present.
dn: cn=Ingrid Jensen, ou=Product Support, dc=airius, dc=com
changetype: modify
replace: postaladdress
-
delete: description
-
",
        );
        assert_eq!(d.len(), 1);
        assert_diag(&d, Note, 12, 13, "URL reference");
        let kinds: Vec<_> = e.iter().map(|x| x.changetype).collect();
        use ChangeType::*;
        assert_eq!(kinds, [Add, Delete, ModRdn, ModRdn, Modify, Modify]);
        assert_eq!(e[0].attrs.len(), 8);
        assert_eq!(
            vals(&e[4]),
            ["postaladdress=123 Anystreet $ Sunnyvale, CA $ 94086"],
            "the values `add:` adds; replace and delete values are read and dropped"
        );
        assert!(e[5].attrs.is_empty());
        assert_eq!(e[5].line, 56);
    }

    #[test]
    fn rfc2849_example7_control() {
        let e = clean(
            "version: 1
# Delete an entry. The operation will attach the LDAPv3
# Tree Delete Control defined in [9]. The criticality
# field is \"true\" and the controlValue field is
# absent, as required by [9].
dn: ou=Product Development, dc=airius, dc=com
control: 1.2.840.113556.1.4.805 true
changetype: delete
",
        );
        assert_eq!((e[0].changetype, e[0].line), (ChangeType::Delete, 6));
    }

    // ---- writer styles -------------------------------------------------------------------------

    #[test]
    fn ldifde_style() {
        let long = "x".repeat(3000);
        let s = format!(
            "\r\ndn: CN=Jörg Müller,OU=Staff,DC=corp,DC=example\r\nchangetype: add\r\nobjectClass: top\r\nobjectClass: user\r\ncn: Jörg Müller\r\ndisplayName:: SsO2cmcgTcO8bGxlcg==\r\nobjectGUID:: OqV3Ryutk0iVkfw3fGSluA==\r\ninfo: {long}\r\nuserPrincipalName: joerg@corp.example\r\n\r\ndn: CN=Bob,OU=Staff,DC=corp,DC=example\r\nchangetype: add\r\nobjectGUID:: AAECAwQFBgcICQoLDA0ODw==\r\n\r\n"
        );
        let e = clean(&s);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].line, 2);
        assert_eq!(e[0].changetype, ChangeType::Add);
        let v = vals(&e[0]);
        assert_eq!(v[3], "displayName=Jörg Müller");
        assert_eq!(e[0].attrs[5].2.len(), 3000);
        assert_eq!(v[6], "userPrincipalName=joerg@corp.example");
        let guid = &e[0].attrs[4];
        assert_eq!(guid.3, ValueEncoding::Base64);
        let a = Attr {
            name: "objectGUID",
            options: "",
            raw: Cow::Borrowed(&guid.2),
            encoding: guid.3,
            line: 0,
        };
        assert_eq!(a.decoded().unwrap().len(), 16);
        assert_eq!(e[1].line, 12);
    }

    /// Folds every line at 78 columns the way ldapsearch does.
    fn fold78(s: &str) -> String {
        let mut out = String::new();
        for line in s.lines() {
            let b = line.as_bytes();
            let mut i = 0;
            let mut first = true;
            loop {
                let w = if first { 78 } else { 77 };
                let e = (i + w).min(b.len());
                if !first {
                    out.push(' ');
                }
                out.push_str(&line[i..e]); // ASCII-only test data
                out.push('\n');
                i = e;
                first = false;
                if i >= b.len() {
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn ldapsearch_style_folded_at_78_with_base64_dn() {
        let dn_b64 = "Y249SsO2cmcgTcO8bGxlcixPVT1TdGFmZixPVT1Tb21lIFZlcnkgTG9uZyBPcmdhbml6YXRpb25hbCBVbml0IE5hbWUsREM9dGVzdCxEQz1leGFtcGxl";
        let plain = format!(
            "# extended LDIF\n#\n# LDAPv3\n# base <DC=test,DC=example> with scope subtree\n# filter: (objectClass=user)\n# requesting: ALL\n#\n\n# J\\C3\\B6rg M\\C3\\BCller, Staff, test.example\ndn:: {dn_b64}\nobjectClass: top\nproxyAddresses: SMTP:joerg.mueller@test.example\nproxyAddresses: smtp:jm@test.example\ndescription: a long description that certainly will have to be folded by ldapsearch because it is longer than seventy-eight columns\nobjectGUID:: OqV3Ryutk0iVkfw3fGSluA==\nthumbnailPhoto:: {}\nuserPrincipalName: joerg.mueller@test.example\n\n# search result\nsearch: 2\nresult: 0 Success\n\n# numResponses: 2\n# numEntries: 1\n",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss".repeat(5)
        );
        let folded = fold78(&plain);
        assert!(folded.lines().all(|l| l.len() <= 78));
        assert!(folded.lines().count() >= plain.lines().count() + 5);
        let (e1, d1) = parse(&plain);
        let (e2, d2) = parse(&folded);
        assert_eq!(e1.len(), 1);
        assert_eq!(
            e2[0].dn,
            "cn=Jörg Müller,OU=Staff,OU=Some Very Long Organizational Unit Name,DC=test,DC=example"
        );
        assert_eq!(vals(&e1[0]), vals(&e2[0]));
        assert_eq!(e2[0].line, 10);
        assert_eq!(d1.len(), 1);
        assert_eq!(d2.len(), 1);
        assert_eq!(d2[0].level, Note);
    }

    // ---- robustness --------------------------------------------------------------------------

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn block_text_serves_only_clean_slices_of_its_own_block() {
        let data = "dn: CN=J\u{fc}rgen\nsn: M\u{fc}ller\n\n".as_bytes();
        let p = LdifParser::new("t", data, 1, true);
        let block = p.block_text();
        assert_eq!(block.of(&data[4..14]), Some("CN=J\u{fc}rgen"));
        // Not a char boundary, and bytes that are not in the block.
        assert_eq!(block.of(&data[4..9]), None);
        let elsewhere = data.to_vec();
        assert_eq!(block.of(&elsewhere[4..14]), None);
        // A block with 0xF4 (a character the raw-byte escape uses) or with bytes that are
        // not UTF-8 leaves every value to be checked one by one.
        for dirty in ["dn: CN=a\u{10FFC3}\n\n".as_bytes(), b"dn: CN=\xfc\n\n"] {
            let p = LdifParser::new("t", dirty, 1, true);
            assert_eq!(p.block_text().of(&dirty[4..6]), None);
        }
    }

    #[test]
    fn never_panics_on_random_or_mutated_input() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"dn:: \n\r\t#-;<=abcxyz019AZ\xc3\xb6\xff";
        for round in 0..4000 {
            let data: Vec<u8> = if round % 2 == 0 {
                let n = rng.below(300);
                (0..n)
                    .map(|_| {
                        if rng.below(4) == 0 {
                            rng.next() as u8
                        } else {
                            alphabet[rng.below(alphabet.len())]
                        }
                    })
                    .collect()
            } else {
                let mut d = SAMPLE.as_bytes().to_vec();
                for _ in 0..=rng.below(8) {
                    let i = rng.below(d.len() + 1);
                    match rng.below(3) {
                        0 if i < d.len() => {
                            d.remove(i);
                        }
                        1 if i < d.len() => d[i] = alphabet[rng.below(alphabet.len())],
                        _ => d.insert(i, alphabet[rng.below(alphabet.len())]),
                    }
                }
                d
            };
            for at_start in [true, false] {
                // Both paths agree, with the default line limit and a short one.
                parse_at(&data, 1, at_start);
                let max_line = 1 + rng.below(40);
                assert_eq!(
                    run_parser(&data, 1, at_start, max_line, true),
                    run_parser(&data, 1, at_start, max_line, false),
                    "paths differ on {data:?}"
                );
                let mut p = LdifParser::new("t", &data, 1, at_start);
                let mut diags = Vec::new();
                let mut n = 0;
                while let Some(e) = p.next_entry(&mut diags) {
                    n += 1;
                    assert!(n <= data.len());
                    for a in &e.attrs {
                        let _ = a.decoded();
                    }
                }
                assert!(diags.iter().all(|d| d.file == "t"));
            }
        }
    }
}
