//! Turning a named input (a path, or `-` for stdin) into record-aligned blocks.
//!
//! Layers, bottom up: the raw reader (hashed with SHA-256 and counted), gzip detection by
//! magic bytes, BOM handling (UTF-8 BOM stripped, UTF-16LE/BE transcoded to UTF-8), and
//! the block cutter, which ends every block just after a blank line so that each block
//! can be parsed on its own.

use std::fs::File;
use std::io::{self, Cursor, Read};

use encoding_rs::{CoderResult, Decoder};
use flate2::read::MultiGzDecoder;
use memchr::{memchr_iter, memrchr};
use sha2::{Digest, Sha256};

use crate::model::{Diagnostic, DiagnosticLevel};

/// Default target size of a block.
pub const DEFAULT_BLOCK_SIZE: usize = 2 << 20;
/// Longest record that is buffered; a longer one is reported and skipped.
pub const MAX_RECORD: usize = 64 << 20;

/// A piece of the input that starts at a record boundary and ends at one (or at EOF).
#[derive(Debug)]
pub struct Block {
    pub data: Vec<u8>,
    /// 1-based line number of `data[0]`.
    pub first_line: u64,
    /// First block of the input — more precisely: nothing but comments and blank lines
    /// precede it, so a `version:` line is still allowed (pass it to
    /// [`super::ldif::LdifParser::new`] as `at_file_start`).
    pub at_start: bool,
    /// 0-based position of the block in the input.
    pub index: usize,
}

/// Reads the raw input, hashing and counting every byte.
struct Hashing {
    inner: Box<dyn Read + Send>,
    hasher: Sha256,
    count: u64,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// The raw input with the bytes peeked for gzip detection put back in front.
type Raw = io::Chain<Cursor<Vec<u8>>, Hashing>;

enum Stream {
    /// Not yet started (gzip not yet detected).
    Start(Hashing),
    Plain(Raw),
    Gzip(Box<MultiGzDecoder<Raw>>),
    /// Transient, while switching states.
    Gone,
}

impl Stream {
    fn hashing(&self) -> Option<&Hashing> {
        match self {
            Stream::Start(h) => Some(h),
            Stream::Plain(r) => Some(r.get_ref().1),
            Stream::Gzip(g) => Some(g.get_ref().get_ref().1),
            Stream::Gone => None,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Start(h) => h.read(buf),
            Stream::Plain(r) => r.read(buf),
            Stream::Gzip(g) => g.read(buf),
            Stream::Gone => Ok(0),
        }
    }
}

/// Cuts an input into record-aligned blocks.
pub struct BlockReader {
    name: String,
    stream: Stream,
    started: bool,
    /// Set when the input starts with a UTF-16 BOM.
    utf16: Option<Decoder>,
    /// Raw UTF-16 bytes before transcoding.
    scratch: Vec<u8>,
    /// Data read but not yet handed out; starts at a line start.
    buf: Vec<u8>,
    /// Line number of `buf[0]`.
    next_line: u64,
    /// Lines of `buf` ending before this offset are known not to be blank.
    scan_floor: usize,
    eof: bool,
    index: usize,
    block_size: usize,
    min_read: usize,
    /// A non-comment line has been handed out in an earlier block.
    seen_content: bool,
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

fn all_ws(s: &[u8]) -> bool {
    s.iter().all(|&b| is_ws(b))
}

/// Offset just after the last blank line of `buf` whose `\n` is at or after `floor`.
fn last_boundary(buf: &[u8], floor: usize) -> Option<usize> {
    let mut end = memrchr(b'\n', buf)?;
    loop {
        if end < floor {
            return None;
        }
        let start = memrchr(b'\n', &buf[..end]).map_or(0, |p| p + 1);
        if all_ws(&buf[start..end]) {
            return Some(end + 1);
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

/// Offset just after the first blank line of `buf`, the number of `\n` up to there (or in
/// all of `buf`), and whether the unterminated last line is blank so far. `cur_blank`:
/// the line `buf` starts in is blank so far.
fn first_boundary(buf: &[u8], mut cur_blank: bool) -> (Option<usize>, u64, bool) {
    let mut start = 0;
    let mut lines = 0;
    for nl in memchr_iter(b'\n', buf) {
        lines += 1;
        if cur_blank && all_ws(&buf[start..nl]) {
            return (Some(nl + 1), lines, true);
        }
        cur_blank = true;
        start = nl + 1;
    }
    (None, lines, cur_blank && all_ws(&buf[start..]))
}

/// Does `data` hold a line that is neither blank nor a (possibly folded) comment?
fn has_content(data: &[u8]) -> bool {
    let mut in_comment = false;
    for line in data.split(|&b| b == b'\n') {
        if all_ws(line) {
            in_comment = false;
            continue;
        }
        match line[0] {
            b'#' => in_comment = true,
            b' ' if in_comment => {}
            _ => return true,
        }
    }
    false
}

/// Transcodes `src` into `buf`, appending.
fn decode_into(dec: &mut Decoder, mut src: &[u8], buf: &mut Vec<u8>, last: bool) {
    loop {
        let need = dec
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len().saturating_mul(3))
            .max(16);
        let old = buf.len();
        buf.resize(old + need, 0);
        let (res, read, written, _) = dec.decode_to_utf8(src, &mut buf[old..], last);
        buf.truncate(old + written);
        src = &src[read..];
        if res == CoderResult::InputEmpty {
            return;
        }
    }
}

impl BlockReader {
    /// `name` is a path, or "-" for stdin. Gzip is detected by its magic bytes (1f 8b),
    /// not the extension.
    pub fn open(name: &str, block_size: usize) -> io::Result<BlockReader> {
        let r: Box<dyn Read + Send> = if name == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(name)?)
        };
        Ok(Self::from_reader(name, r, block_size))
    }

    pub fn from_reader(name: &str, r: Box<dyn Read + Send>, block_size: usize) -> BlockReader {
        let block_size = block_size.clamp(1, MAX_RECORD);
        BlockReader {
            name: name.to_string(),
            stream: Stream::Start(Hashing {
                inner: r,
                hasher: Sha256::new(),
                count: 0,
            }),
            started: false,
            utf16: None,
            scratch: Vec::new(),
            buf: Vec::new(),
            next_line: 1,
            scan_floor: 0,
            eof: false,
            index: 0,
            block_size,
            min_read: block_size.min(1 << 20),
            seen_content: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// After EOF: SHA-256 (lowercase hex) of the raw bytes as read from the input (before
    /// gunzip).
    pub fn sha256_hex(&self) -> String {
        let digest = match self.stream.hashing() {
            Some(h) => h.hasher.clone().finalize(),
            None => Sha256::new().finalize(),
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// After EOF: the number of raw bytes read from the input (before gunzip).
    pub fn bytes_read(&self) -> u64 {
        self.stream.hashing().map_or(0, |h| h.count)
    }

    /// Detects gzip and a BOM.
    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        if let Stream::Start(mut h) = std::mem::replace(&mut self.stream, Stream::Gone) {
            let mut magic = Vec::with_capacity(2);
            let peeked = (&mut h).take(2).read_to_end(&mut magic);
            let gzip = magic == [0x1f, 0x8b];
            let raw = Cursor::new(magic).chain(h);
            self.stream = if gzip {
                Stream::Gzip(Box::new(MultiGzDecoder::new(raw)))
            } else {
                Stream::Plain(raw)
            };
            peeked?;
        }
        let mut head = Vec::with_capacity(4);
        (&mut self.stream).take(3).read_to_end(&mut head)?;
        if head.starts_with(&[0xef, 0xbb, 0xbf]) {
            // UTF-8 BOM: dropped.
        } else if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            let enc = if head[0] == 0xff {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            let mut dec = enc.new_decoder_without_bom_handling();
            decode_into(&mut dec, &head[2..], &mut self.buf, false);
            self.utf16 = Some(dec);
        } else {
            self.buf.extend_from_slice(&head);
        }
        Ok(())
    }

    /// Appends up to about `want` bytes of input to `buf`; 0 at EOF.
    fn fill(&mut self, want: usize) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        if !self.started {
            let before = self.buf.len();
            self.start()?;
            if self.buf.len() > before {
                return Ok(self.buf.len() - before);
            }
        }
        match &mut self.utf16 {
            None => {
                self.buf.reserve(want);
                Ok((&mut self.stream)
                    .take(want as u64)
                    .read_to_end(&mut self.buf)?)
            }
            Some(dec) => {
                self.scratch.clear();
                let n = (&mut self.stream)
                    .take(want as u64)
                    .read_to_end(&mut self.scratch)?;
                decode_into(dec, &self.scratch, &mut self.buf, n == 0);
                Ok(n)
            }
        }
    }

    fn emit(&mut self, data: Vec<u8>) -> Block {
        let first_line = self.next_line;
        self.next_line += memchr_iter(b'\n', &data).count() as u64;
        let at_start = !self.seen_content;
        if at_start {
            self.seen_content = has_content(&data);
        }
        let index = self.index;
        self.index += 1;
        Block {
            data,
            first_line,
            at_start,
            index,
        }
    }

    /// Next block, ending at a record boundary (just after a blank line) or at EOF.
    /// UTF-8 BOM stripped; UTF-16LE/BE BOM (ldifde -u) transcoded to UTF-8, streaming.
    /// A record longer than [`MAX_RECORD`] is not buffered: it is reported as an error
    /// diagnostic and skipped up to the next boundary.
    pub fn next_block(&mut self, diags: &mut Vec<Diagnostic>) -> io::Result<Option<Block>> {
        loop {
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let data = std::mem::take(&mut self.buf);
                return Ok(Some(self.emit(data)));
            }
            if self.buf.len() >= self.block_size {
                if let Some(cut) = last_boundary(&self.buf, self.scan_floor) {
                    let mut next =
                        Vec::with_capacity(self.block_size.max(self.buf.len() - cut) + 4096);
                    next.extend_from_slice(&self.buf[cut..]);
                    self.buf.truncate(cut);
                    self.scan_floor = 0;
                    let data = std::mem::replace(&mut self.buf, next);
                    return Ok(Some(self.emit(data)));
                }
                self.scan_floor = memrchr(b'\n', &self.buf).map_or(0, |p| p + 1);
                if self.buf.len() > MAX_RECORD {
                    self.skip_oversized(diags)?;
                    continue;
                }
            }
            let want = self
                .block_size
                .saturating_sub(self.buf.len())
                .max(self.min_read);
            if self.fill(want)? == 0 {
                self.eof = true;
            }
        }
    }

    /// `buf` holds the start of a record longer than [`MAX_RECORD`]: reports it, then
    /// discards input up to the next blank line, counting lines.
    fn skip_oversized(&mut self, diags: &mut Vec<Diagnostic>) -> io::Result<()> {
        diags.push(Diagnostic {
            level: DiagnosticLevel::Error,
            file: self.name.clone(),
            line: self.next_line,
            column: 0,
            message: format!(
                "record longer than {} MiB; skipped up to the next blank line",
                MAX_RECORD >> 20
            ),
        });
        self.seen_content = true;
        self.scan_floor = 0;
        let mut cur_blank = true;
        loop {
            let (cut, lines, blank) = first_boundary(&self.buf, cur_blank);
            self.next_line += lines;
            if let Some(cut) = cut {
                self.buf.drain(..cut);
                return Ok(());
            }
            cur_blank = blank;
            self.buf.clear();
            if self.fill(self.min_read.max(64 << 10))? == 0 {
                self.eof = true;
                return Ok(());
            }
        }
    }
}
