//! Turning a named input (a path, or `-` for stdin) into record-aligned blocks.
//!
//! Layers, bottom up: the raw reader (hashed with SHA-256 and counted), gzip detection by
//! magic bytes, BOM handling (UTF-8 BOM stripped, UTF-16LE/BE transcoded to UTF-8), and
//! the block cutter, which ends every block just after a blank line so that each block
//! can be parsed on its own.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::sync::Arc;

use encoding_rs::{CoderResult, Decoder};
use flate2::read::MultiGzDecoder;
use memchr::{memchr_iter, memrchr};
use sha2::{Digest, Sha256};

use crate::model::{Diagnostic, DiagnosticLevel};

/// Default target size of a block: big enough that handing blocks to workers costs
/// nothing measurable, small enough that the blocks in flight (reader, channel, workers)
/// stay a few MiB.
pub const DEFAULT_BLOCK_SIZE: usize = 1 << 20;

/// Bytes read from an input, in a buffer whose room past them stays initialised from one
/// use to the next: reading into that room does not clear it first. (`read_to_end`
/// zero-fills the spare capacity on every call: a pass over every byte of the input
/// that cost a third as much as hashing it.) Dereferences to the bytes.
#[derive(Debug, Default)]
pub struct Buffer {
    /// The bytes, then initialised room (old bytes) up to `room.len()`.
    room: Vec<u8>,
    len: usize,
}

impl Buffer {
    fn with_capacity(n: usize) -> Buffer {
        Buffer {
            room: Vec::with_capacity(n),
            len: 0,
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Room for `n` more bytes after the bytes; [`Buffer::commit`] adds what was
    /// written there. Only room never used before is zero-filled.
    fn spare(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if self.room.len() < end {
            self.room.resize(end, 0);
        }
        &mut self.room[self.len..end]
    }

    fn commit(&mut self, n: usize) {
        self.len = (self.len + n).min(self.room.len());
    }

    fn extend_from_slice(&mut self, data: &[u8]) {
        self.spare(data.len()).copy_from_slice(data);
        self.len += data.len();
    }

    /// Drops the first `n` bytes.
    fn drain_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.room.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Appends up to `want` bytes from `r`, reading until it has them or `r` ends; how
    /// many it appended.
    fn read_from(&mut self, r: &mut impl Read, want: usize) -> io::Result<usize> {
        let mut got = 0;
        while got < want {
            let spare = self.spare(want - got);
            match r.read(spare) {
                Ok(0) => break,
                Ok(n) => {
                    let n = n.min(want - got);
                    self.commit(n);
                    got += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

impl std::ops::Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.room[..self.len]
    }
}

/// A piece of the input that starts at a record boundary and ends at one (or at EOF).
#[derive(Debug)]
pub struct Block {
    pub data: Buffer,
    /// 1-based line number of `data[0]`.
    pub first_line: u64,
    /// First block of the input — more precisely: nothing but comments and blank lines
    /// precede it, so a `version:` line is still allowed (pass it to
    /// [`super::ldif::LdifParser::new`] as `at_file_start`).
    pub at_start: bool,
    /// 0-based position of the block in the input.
    pub index: usize,
    /// Where the block's bytes are in the file, when they are the file's bytes as they
    /// stand (a regular file, neither gzip nor UTF-16).
    pub origin: Option<Origin>,
}

/// A block's place in a regular file: values the parser borrowed from the block can be
/// kept as positions and read back from the file instead of being copied.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<OpenFile>,
    /// Offset of the block's first byte in the file.
    pub offset: u64,
    /// Where the block before it ended: the bytes from there up to `offset` (a BOM, a
    /// record too long to check) are in no block.
    pub from: u64,
}

impl Origin {
    /// The place of byte `pos` of the block in the input, counted from where the input
    /// starts in the file (where stdin stood), as diagnostics name bytes.
    pub fn input_offset(&self, pos: u64) -> u64 {
        self.offset
            .saturating_sub(self.file.start)
            .saturating_add(pos)
    }
}

/// An input file (opened by path, or standard input redirected from a file), with what
/// its metadata said when it was opened: the scan reads it through this handle, and
/// values are read back from it after the stream.
#[derive(Debug)]
pub struct OpenFile {
    pub file: File,
    /// Where the input starts in the file: 0, or where standard input stood.
    pub start: u64,
    stamp: FileStamp,
}

impl OpenFile {
    pub fn new(file: File) -> io::Result<OpenFile> {
        let stamp = FileStamp::of(&file.metadata()?);
        let start = io::Seek::stream_position(&mut &file)?;
        Ok(OpenFile { file, start, stamp })
    }

    /// Reads `buf.len()` bytes at `offset` (without moving the shared cursor).
    #[cfg(unix)]
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(not(unix))]
    pub fn read_at(&self, _: &mut [u8], _: u64) -> io::Result<()> {
        // Blocks carry no origin here (see `BlockReader::open`): never reached.
        Err(io::ErrorKind::Unsupported.into())
    }

    /// The file's size and times are still those it had when it was opened. A write
    /// changes its change time (which no program can set back), so a file that passes
    /// holds what the scan read, but for a write in the same clock tick as the opening;
    /// each value read back is checked against its hash too.
    pub fn unchanged(&self) -> bool {
        self.file
            .metadata()
            .is_ok_and(|m| FileStamp::of(&m) == self.stamp)
    }
}

/// Size, modification and change times of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Seconds and nanoseconds (unix `ctime`).
    changed: (i64, i64),
}

impl FileStamp {
    fn of(m: &std::fs::Metadata) -> FileStamp {
        #[cfg(unix)]
        let changed = {
            use std::os::unix::fs::MetadataExt;
            (m.ctime(), m.ctime_nsec())
        };
        #[cfg(not(unix))]
        let changed = (0, 0);
        FileStamp {
            len: m.len(),
            modified: m.modified().ok(),
            changed,
        }
    }
}

/// Reads an input file through its shared handle: the read-back after the stream uses
/// the same descriptor (positioned reads), so an input costs one open file.
struct SharedFile(Arc<OpenFile>);

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0.file).read(buf)
    }
}

/// Reads the raw input, counting every byte and hashing it (unless the hash is taken
/// from the blocks, see [`super::digest`]).
struct Hashing {
    inner: Box<dyn Read + Send>,
    hasher: Sha256,
    hash: bool,
    count: u64,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.hash {
            self.hasher.update(&buf[..n]);
        }
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

    fn hashing_mut(&mut self) -> Option<&mut Hashing> {
        match self {
            Stream::Start(h) => Some(h),
            Stream::Plain(r) => Some(r.get_mut().1),
            Stream::Gzip(g) => Some(g.get_mut().get_mut().1),
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
    /// Longest record buffered; a longer one is reported and skipped ([`super::Limits`]).
    max_record: usize,
    stream: Stream,
    started: bool,
    /// Set when the input starts with a UTF-16 BOM.
    utf16: Option<Decoder>,
    /// Raw UTF-16 bytes before transcoding.
    scratch: Vec<u8>,
    /// Data read but not yet handed out; starts at a line start.
    buf: Buffer,
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
    /// Buffers of blocks already parsed, handed back for reuse: fresh multi-MiB
    /// allocations cost a page fault per page.
    pool: Vec<Buffer>,
    /// See [`BlockReader::paced_by_producer`].
    paced: bool,
    /// The file being read, when it is a regular file (by path, or redirected to
    /// stdin): blocks of it can be read back (see [`Origin`]).
    file: Option<Arc<OpenFile>>,
    /// Offset in the file of `buf[0]`, while `buf` holds the file's bytes unchanged
    /// (`None` for gzip, UTF-16 and inputs that are not files).
    buf_offset: Option<u64>,
    /// Offset in the file where the last block handed out ended.
    blocks_end: u64,
    /// The SHA-256 is to be taken from the blocks, not while reading, where they are
    /// the file's bytes ([`BlockReader::defer_digest`]).
    defer_digest: bool,
}

/// Standard input, when it is redirected from a regular file (`< export.ldif`), not a
/// pipe: a handle of its own on the same open file (reading it reads stdin).
#[cfg(unix)]
fn stdin_file() -> Option<File> {
    use std::os::fd::AsFd;
    let file = File::from(io::stdin().as_fd().try_clone_to_owned().ok()?);
    // Open for reading (`0>file` is not): an empty read fails on a descriptor that is
    // not, and stdin is then left to `io::Stdin`, which reads nothing from it.
    let readable = (&file).read(&mut []).is_ok();
    (readable && file.metadata().ok()?.is_file()).then_some(file)
}

#[cfg(not(unix))]
fn stdin_file() -> Option<File> {
    None
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

/// Where a block may end: the last record boundary at or after `floor` that does not
/// separate an entry from the modify records of the same DN that follow it (ldifde's
/// way of writing a big group; the engine reads them as one entry).
/// `Err(boundary)` when the last boundary cannot be judged until more input is read.
fn cut_point(
    buf: &[u8],
    floor: usize,
    keep_groups: bool,
    at_eof: bool,
) -> Result<Option<usize>, usize> {
    let mut end = buf.len();
    // The last boundary, when what follows it is not read far enough to judge.
    let mut pending = None;
    loop {
        let Some(cut) = last_boundary(&buf[..end], floor) else {
            return pending.map_or(Ok(None), Err);
        };
        if !keep_groups {
            return Ok(Some(cut));
        }
        match continues_previous(buf, cut) {
            Some(false) => return Ok(Some(cut)),
            // At the end of the input, what follows is all there is.
            None if at_eof => return Ok(Some(cut)),
            // An earlier boundary that can be judged will do: the records after it go
            // to the next block together.
            None => {
                pending.get_or_insert(cut);
                end = cut - 1;
            }
            // Search before the blank line that ends at `cut`.
            Some(true) => end = cut - 1,
        }
    }
}

/// True when the record starting at `at` is a `changetype: modify` record with the
/// same `dn:` line as the record before it; `None` when the buffer ends before its
/// header does.
fn continues_previous(buf: &[u8], at: usize) -> Option<bool> {
    // Blank or comment lines so far: the next record has not been read yet.
    let Some((dn, rest)) = dn_line(&buf[at..])? else {
        // A record without a `dn:` line continues nothing (it is an error, or an
        // ldapsearch trailer): a block may end before it.
        return Some(false);
    };
    if !is_modify(rest)? {
        return Some(false);
    }
    // The previous record starts after the boundary before it (or at the buffer's start,
    // which is always a record boundary).
    let before = at.saturating_sub(1);
    let start = last_boundary(&buf[..before], 0).unwrap_or(0);
    Some(matches!(dn_line(&buf[start..before]), Some(Some((prev, _))) if prev == dn))
}

/// The first `dn:` line of a record (after blank and comment lines), with what follows
/// it; `Some(None)` when the record's first line is something else, `None` when the
/// buffer ends before that is known.
fn dn_line(rec: &[u8]) -> Option<Option<(&[u8], &[u8])>> {
    let mut rest = rec;
    loop {
        let (line, next, whole) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..], true),
            None => (rest, &rest[rest.len()..], false),
        };
        if all_ws(line) || line.first() == Some(&b'#') || line.first() == Some(&b' ') {
            if next.is_empty() {
                return None;
            }
            rest = next;
            continue;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !whole && line.len() <= 3 && line.eq_ignore_ascii_case(&b"dn:"[..line.len()]) {
            // The start of a line that may still become `dn: ...`.
            return None;
        }
        let dn = line.len() > 3 && line[..3].eq_ignore_ascii_case(b"dn:");
        return Some(dn.then_some((line, next)));
    }
}

/// Does the record body after its `dn:` line declare `changetype: modify`? `None` when
/// the body ends before that is known.
fn is_modify(body: &[u8]) -> Option<bool> {
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none(); // no `\n` after it: may be incomplete
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|b| *b == b' ' || *b == b'#') {
            continue; // a continuation of the dn, or a comment
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return if last { None } else { Some(false) };
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"control") {
            if last {
                return None;
            }
            continue;
        }
        if !name.eq_ignore_ascii_case(b"changetype") {
            return Some(false);
        }
        if last {
            return None;
        }
        return Some(value.trim_ascii().eq_ignore_ascii_case(b"modify"));
    }
    None
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
fn decode_into(dec: &mut Decoder, mut src: &[u8], buf: &mut Buffer, last: bool) {
    loop {
        let need = dec
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len().saturating_mul(3))
            .max(16);
        let (res, read, written, _) = dec.decode_to_utf8(src, buf.spare(need), last);
        buf.commit(written);
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
        type Opened = (Box<dyn Read + Send>, bool, Option<Arc<OpenFile>>);
        let (r, paced, again): Opened = if name == "-" {
            match stdin_file() {
                // Read as a file opened by path is, from where stdin stands.
                Some(file) => {
                    let file = Arc::new(OpenFile::new(file)?);
                    (Box::new(SharedFile(file.clone())), false, Some(file))
                }
                None => (Box::new(io::stdin()), true, None),
            }
        } else {
            let file = File::open(name)?;
            if file.metadata()?.is_file() {
                // Kept for reading values back after the stream: the handle stays on
                // this file even if the path is replaced meanwhile.
                let file = Arc::new(OpenFile::new(file)?);
                (Box::new(SharedFile(file.clone())), false, Some(file))
            } else {
                (Box::new(file), true, None)
            }
        };
        let mut reader = Self::from_reader(name, r, block_size);
        reader.paced = paced;
        // Positioned reads (`pread`) are what the read-back needs.
        if cfg!(unix) {
            reader.file = again;
        }
        Ok(reader)
    }

    /// True when the input is a pipe, a FIFO or a terminal rather than a file: its
    /// producer (`zcat`, an export tool) writes only as fast as it is read, so reading
    /// should go on while the blocks are checked.
    pub fn paced_by_producer(&self) -> bool {
        self.paced
    }

    pub fn from_reader(name: &str, r: Box<dyn Read + Send>, block_size: usize) -> BlockReader {
        let max_record = super::Limits::default().max_entry;
        let block_size = block_size.clamp(1, max_record);
        BlockReader {
            name: name.to_string(),
            max_record,
            stream: Stream::Start(Hashing {
                inner: r,
                hasher: Sha256::new(),
                hash: true,
                count: 0,
            }),
            started: false,
            utf16: None,
            scratch: Vec::new(),
            buf: Buffer::default(),
            next_line: 1,
            scan_floor: 0,
            eof: false,
            index: 0,
            block_size,
            min_read: block_size.min(1 << 20),
            seen_content: false,
            pool: Vec::new(),
            paced: false,
            file: None,
            buf_offset: None,
            blocks_end: 0,
            defer_digest: false,
        }
    }

    /// The file being read, when it is a regular file (see [`BlockReader::open`]).
    pub fn open_file(&self) -> Option<&Arc<OpenFile>> {
        self.file.as_ref()
    }

    /// Asks that the SHA-256 be left to a [`super::digest::FileDigest`] fed with the
    /// blocks, where blocks are the file's bytes (their [`Origin`] is set): then
    /// [`BlockReader::digest_deferred`] is true and [`BlockReader::sha256_hex`] is not
    /// the input's. Call before the first block.
    pub fn defer_digest(&mut self) {
        self.defer_digest = !self.started && self.file.is_some();
    }

    /// True when the blocks, not the reader, give the SHA-256 (see
    /// [`BlockReader::defer_digest`]); known once the first block is read.
    pub fn digest_deferred(&self) -> bool {
        self.defer_digest && self.buf_offset.is_some()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Gives back the buffer of a block that has been parsed, for the next blocks.
    /// Sets the longest record that is buffered (`Limits::max_entry`).
    pub fn set_max_record(&mut self, max: usize) {
        self.max_record = max.max(1);
        self.block_size = self.block_size.min(self.max_record);
    }

    pub fn recycle(&mut self, mut buf: Buffer) {
        if self.pool.len() < 8 && buf.room.capacity() >= self.block_size {
            buf.clear();
            self.pool.push(buf);
        }
    }

    /// After EOF: SHA-256 (lowercase hex) of the raw bytes as read from the input (before
    /// gunzip), unless [`BlockReader::digest_deferred`].
    pub fn sha256_hex(&self) -> String {
        let digest = match self.stream.hashing() {
            Some(h) => h.hasher.clone().finalize(),
            None => Sha256::new().finalize(),
        };
        crate::text::hex(&digest)
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
            if let Some(file) = self.file.as_ref().filter(|_| !gzip) {
                self.buf_offset = Some(file.start);
                self.blocks_end = file.start;
            }
            peeked?;
        }
        let mut head = Vec::with_capacity(4);
        (&mut self.stream).take(3).read_to_end(&mut head)?;
        if head.starts_with(&[0xef, 0xbb, 0xbf]) {
            // UTF-8 BOM: dropped.
            self.advance(3);
        } else if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            self.buf_offset = None;
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
        if self.digest_deferred() {
            if let Some(h) = self.stream.hashing_mut() {
                h.hash = false;
            }
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
            None => self.buf.read_from(&mut self.stream, want),
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

    /// The buffer up to `cut` as a block; what follows `cut` stays buffered.
    fn emit_until(&mut self, cut: usize) -> Block {
        let want = self.block_size.max(self.buf.len() - cut) + 4096;
        let mut next = self
            .pool
            .pop()
            .unwrap_or_else(|| Buffer::with_capacity(want));
        next.extend_from_slice(&self.buf[cut..]);
        self.buf.truncate(cut);
        self.scan_floor = 0;
        let data = std::mem::replace(&mut self.buf, next);
        self.emit(data)
    }

    /// `n` bytes at the front of `buf` are gone (handed out or skipped).
    fn advance(&mut self, n: usize) {
        if let Some(at) = &mut self.buf_offset {
            *at += n as u64;
        }
    }

    /// The bytes that were at the front of `buf`, as a block.
    fn emit(&mut self, data: Buffer) -> Block {
        let origin = match (&self.file, self.buf_offset) {
            (Some(file), Some(offset)) => {
                let from = std::mem::replace(&mut self.blocks_end, offset + data.len() as u64);
                Some(Origin {
                    file: file.clone(),
                    offset,
                    from,
                })
            }
            _ => None,
        };
        self.advance(data.len());
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
            origin,
        }
    }

    /// Next block, ending at a record boundary (just after a blank line) or at EOF.
    /// UTF-8 BOM stripped; UTF-16LE/BE BOM (ldifde -u) transcoded to UTF-8, streaming.
    /// A record longer than `max_record` is not buffered: it is reported as an error
    /// diagnostic and skipped up to the next boundary.
    pub fn next_block(&mut self, diags: &mut Vec<Diagnostic>) -> io::Result<Option<Block>> {
        loop {
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                // The input is all read: the last records can be judged, and a full
                // buffer still ends at its last boundary.
                if self.buf.len() >= self.block_size {
                    let keep_groups = self.buf.len() <= self.max_record / 2;
                    if let Some(cut) = cut_point(&self.buf, self.scan_floor, keep_groups, true)
                        .ok()
                        .flatten()
                        .filter(|&c| c < self.buf.len())
                    {
                        return Ok(Some(self.emit_until(cut)));
                    }
                }
                let data = std::mem::take(&mut self.buf);
                return Ok(Some(self.emit(data)));
            }
            if self.buf.len() >= self.block_size {
                // Past half the record limit, a group of records may be split after all.
                let keep_groups = self.buf.len() <= self.max_record / 2;
                let cut = match cut_point(&self.buf, self.scan_floor, keep_groups, false) {
                    Ok(cut) => cut,
                    Err(pending) => {
                        // Judge that boundary again once more input is in.
                        self.scan_floor = pending - 1;
                        if self.fill(self.min_read)? == 0 {
                            self.eof = true;
                        }
                        continue;
                    }
                };
                if let Some(cut) = cut {
                    return Ok(Some(self.emit_until(cut)));
                }
                self.scan_floor = memrchr(b'\n', &self.buf).map_or(0, |p| p + 1);
                if self.buf.len() > self.max_record {
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

    /// `buf` holds the start of a record longer than `max_record`: reports it, then
    /// discards input up to the next blank line, counting lines.
    fn skip_oversized(&mut self, diags: &mut Vec<Diagnostic>) -> io::Result<()> {
        diags.push(Diagnostic {
            level: DiagnosticLevel::Error,
            file: self.name.clone(),
            line: self.next_line,
            column: 0,
            message: format!(
                "record longer than {} bytes: not checked, skipped up to the next blank line (raise with --max-entry-bytes)",
                self.max_record
            ),
            limit: Some("--max-entry-bytes".into()),
        });
        self.seen_content = true;
        self.scan_floor = 0;
        let mut cur_blank = true;
        loop {
            let (cut, lines, blank) = first_boundary(&self.buf, cur_blank);
            self.next_line += lines;
            if let Some(cut) = cut {
                self.buf.drain_front(cut);
                self.advance(cut);
                return Ok(());
            }
            cur_blank = blank;
            self.advance(self.buf.len());
            self.buf.clear();
            if self.fill(self.min_read.max(64 << 10))? == 0 {
                self.eof = true;
                return Ok(());
            }
        }
    }
}

/// An input that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("{input}: {message}")]
pub struct InputError {
    pub input: String,
    pub message: String,
}

/// A source of record-aligned LDIF blocks with a name (a file, stdin, or text in memory).
pub struct Input {
    pub name: String,
    pub reader: BlockReader,
}

impl Input {
    /// Opens a file (`-` for stdin), cut into blocks of about `block_size` bytes.
    pub fn open(name: &str, block_size: usize) -> Result<Input, InputError> {
        let reader = BlockReader::open(name, block_size).map_err(|e| InputError {
            input: name.to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Ok(Input {
            name: name.to_string(),
            reader,
        })
    }

    /// An input held in memory (rule examples, tests).
    pub fn from_bytes(name: &str, data: Vec<u8>, block_size: usize) -> Input {
        let reader =
            BlockReader::from_reader(name, Box::new(std::io::Cursor::new(data)), block_size);
        Input {
            name: name.to_string(),
            reader,
        }
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data generators
mod tests {
    use super::*;
    use crate::source::testutil::read_all;
    use std::io::Write;

    fn reader(data: Vec<u8>, block_size: usize) -> BlockReader {
        BlockReader::from_reader("in.ldif", Box::new(Cursor::new(data)), block_size)
    }

    fn blocks(data: Vec<u8>, block_size: usize) -> (Vec<Block>, Vec<Diagnostic>) {
        let mut r = reader(data, block_size);
        let mut diags = Vec::new();
        let mut out = Vec::new();
        while let Some(b) = r.next_block(&mut diags).unwrap() {
            out.push(b);
        }
        (out, diags)
    }

    fn sha(data: &[u8]) -> String {
        crate::text::hex(&Sha256::digest(data))
    }

    const LDIF: &str =
        "version: 1\n\ndn: cn=a\ncn: a\n\ndn: cn=b\ndescription: fol\n ded\n\n\ndn: cn=c\ncn: c";

    #[test]
    fn blocks_end_after_blank_lines_with_exact_line_numbers() {
        let (bs, d) = blocks(LDIF.as_bytes().to_vec(), 1);
        assert!(d.is_empty());
        let texts: Vec<_> = bs
            .iter()
            .map(|b| String::from_utf8(b.data.to_vec()).unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "version: 1\n\n",
                "dn: cn=a\ncn: a\n\n",
                // A block ends once the record after it is seen not to continue it.
                "dn: cn=b\ndescription: fol\n ded\n\n\n",
                "dn: cn=c\ncn: c"
            ]
        );
        let lines: Vec<_> = bs.iter().map(|b| b.first_line).collect();
        assert_eq!(lines, [1, 3, 6, 11]);
        assert_eq!(bs.iter().map(|b| b.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert!(bs[0].at_start && !bs[1].at_start);
        // One big block holds everything.
        let (bs, _) = blocks(LDIF.as_bytes().to_vec(), 1 << 20);
        assert_eq!(bs.len(), 1);
        assert_eq!(&bs[0].data[..], LDIF.as_bytes());
    }

    #[test]
    fn whitespace_only_lines_are_boundaries_continuations_are_not() {
        let s =
            "dn: cn=a\ncn: a\n \t\r\ndn: cn=b\ncn: b\n  two spaces then text\n x\n\r\ndn: cn=c\n";
        let (bs, _) = blocks(s.as_bytes().to_vec(), 1);
        let texts: Vec<_> = bs
            .iter()
            .map(|b| String::from_utf8(b.data.to_vec()).unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "dn: cn=a\ncn: a\n \t\r\n",
                "dn: cn=b\ncn: b\n  two spaces then text\n x\n\r\n",
                "dn: cn=c\n"
            ]
        );
        assert_eq!(bs[2].first_line, 9);
    }

    #[test]
    fn blocks_never_separate_an_entry_from_its_modify_records() {
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&format!(
                "dn: cn=g{i},dc=x\nobjectClass: group\nmember: cn=a\n\n"
            ));
            for _ in 0..3 {
                text.push_str(&format!(
                    "dn: cn=g{i},dc=x\nchangetype: modify\nadd: member\nmember: cn=b\n-\n\n"
                ));
            }
        }
        text.push_str("dn: cn=m,dc=x\nchangetype: modify\nreplace: mail\nmail: x\n-\n\n");
        for size in [16, 64, 100, 200] {
            let (blocks, _) = blocks(text.clone().into_bytes(), size);
            assert!(blocks.len() > 10, "{size}");
            for b in &blocks {
                let first = String::from_utf8_lossy(&b.data);
                // Every block starts with an entry (or the one unrelated modify record).
                assert!(
                    first.contains("objectClass: group") || first.starts_with("dn: cn=m"),
                    "{size}: {first}"
                );
                assert!(
                    !first.starts_with("dn: cn=g")
                        || first.lines().nth(1) == Some("objectClass: group"),
                    "{first}"
                );
            }
        }
    }

    /// Records without a `dn:` line (junk, a wrong file) continue no entry: blocks end
    /// between them at their usual size. They were once buffered until half the record
    /// limit (128 MiB) while the reader waited to judge them.
    #[test]
    fn records_without_a_dn_line_do_not_hold_a_block_open() {
        let junk = "y\n\n".repeat(20_000);
        for text in [junk.clone(), format!("dn: cn=a\ncn: a\n\n{junk}")] {
            let (bs, _) = blocks(text.clone().into_bytes(), 4096);
            assert!(
                bs.len() > 10,
                "{:?}",
                bs.iter().map(|b| b.data.len()).collect::<Vec<_>>()
            );
            assert!(
                bs.iter().all(|b| b.data.len() < 8192),
                "a block of {}",
                bs.iter().map(|b| b.data.len()).max().unwrap_or(0)
            );
            assert_eq!(bs.iter().map(|b| b.data.len()).sum::<usize>(), text.len());
        }
        // Entries of 64 bytes read 256 at a time: every read ends on a boundary, whose
        // next record is not read yet; the boundary before it ends the block.
        let entry = |i: usize| {
            let head = format!("dn: cn=u{i:05},dc=x\ncn: u\ndescription: ");
            format!("{head}{}\n\n", "x".repeat(64 - head.len() - 2))
        };
        let text: String = (0..2000).map(entry).collect();
        assert_eq!(text.len(), 2000 * 64);
        let (bs, _) = blocks(text.clone().into_bytes(), 256);
        assert!(bs.iter().all(|b| b.data.len() <= 512), "{}", bs.len());
        assert_eq!(bs.iter().map(|b| b.data.len()).sum::<usize>(), text.len());
        // What the buffer cannot tell yet stays undecided: the start of a line that may
        // still become `dn:`, or a `dn:` line whose record has not said what it is.
        assert_eq!(continues_previous(b"dn: a\n\nd", 7), None);
        assert_eq!(continues_previous(b"dn: a\n\nDN:", 7), None);
        assert_eq!(continues_previous(b"dn: a\n\ny", 7), Some(false));
        assert_eq!(continues_previous(b"dn: a\n\ndn: a\n", 7), None);
        assert_eq!(continues_previous(b"dn: a\n\nyes", 7), Some(false));
        assert_eq!(continues_previous(b"dn: a\n\ny\n", 7), Some(false));
        assert_eq!(
            continues_previous(b"dn: a\n\ndn: a\nchangetype: modify\n", 7),
            Some(true)
        );
    }

    #[test]
    fn empty_input_gives_no_block() {
        let (bs, d) = blocks(Vec::new(), 64);
        assert!(bs.is_empty() && d.is_empty());
    }

    #[test]
    fn comment_only_leading_blocks_keep_at_start() {
        let s = "# extended LDIF\n#  folded\n comment\n\n# more\n\nversion: 1\n\ndn: cn=a\n";
        let (bs, _) = blocks(s.as_bytes().to_vec(), 1);
        let flags: Vec<_> = bs.iter().map(|b| b.at_start).collect();
        // Comments; `# more` and `version: 1` (after comments only); the entry.
        assert_eq!(flags, [true, true, false]);
        let (e, d) = read_all("in.ldif", s.as_bytes().to_vec(), 1);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(e[0].line, 9);
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let mut data = vec![0xef, 0xbb, 0xbf];
        data.extend_from_slice(LDIF.as_bytes());
        let (bs, _) = blocks(data.clone(), 1 << 20);
        assert_eq!(&bs[0].data[..], LDIF.as_bytes());
        let (e, d) = read_all("in.ldif", data, 7);
        assert!(d.is_empty());
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].line, 3);
    }

    fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for u in s.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16le_and_be_bom_are_transcoded() {
        let text = "\r\ndn: CN=Jörg Müller,DC=corp\r\nchangetype: add\r\ncn: Jörg Müller 𝄞\r\n\r\ndn: CN=B\r\ncn: b\r\n";
        for be in [false, true] {
            for bs in [1, 3, 64, 1 << 20] {
                let mut r = reader(utf16(text, be), bs);
                let mut diags = Vec::new();
                let mut all = Vec::new();
                while let Some(b) = r.next_block(&mut diags).unwrap() {
                    all.extend_from_slice(&b.data);
                }
                assert_eq!(String::from_utf8(all).unwrap(), text, "be={be} bs={bs}");
                let (e, d) = read_all("in.ldif", utf16(text, be), bs);
                assert!(d.is_empty());
                assert_eq!(e[0].dn, "CN=Jörg Müller,DC=corp");
                assert_eq!(e[0].attrs[0].2, "Jörg Müller 𝄞".as_bytes());
                assert_eq!((e[0].line, e[1].line), (2, 6));
            }
        }
    }

    #[test]
    fn gzip_is_detected_by_magic_and_hash_covers_raw_bytes() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(LDIF.as_bytes()).unwrap();
        let mut compressed = gz.finish().unwrap();
        // A second gzip member (concatenated .gz files) is read too.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"\n\ndn: cn=d\n").unwrap();
        compressed.extend(gz.finish().unwrap());

        let mut r = reader(compressed.clone(), 16);
        let mut diags = Vec::new();
        let mut all = Vec::new();
        while let Some(b) = r.next_block(&mut diags).unwrap() {
            all.extend_from_slice(&b.data);
        }
        assert_eq!(all, format!("{LDIF}\n\ndn: cn=d\n").as_bytes());
        assert_eq!(r.bytes_read(), compressed.len() as u64);
        assert_eq!(r.sha256_hex(), sha(&compressed));
        assert_eq!(r.name(), "in.ldif");

        // Through a file path, with a misleading extension.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.ldif");
        std::fs::write(&path, &compressed).unwrap();
        let mut r = BlockReader::open(path.to_str().unwrap(), DEFAULT_BLOCK_SIZE).unwrap();
        let b = r.next_block(&mut diags).unwrap().unwrap();
        assert!(b.data.starts_with(b"version: 1"));
        assert!(r.next_block(&mut diags).unwrap().is_none());
        assert_eq!(r.sha256_hex(), sha(&compressed));
        assert!(BlockReader::open(dir.path().join("missing").to_str().unwrap(), 64).is_err());
    }

    #[test]
    fn hash_and_count_of_plain_input() {
        let mut r = reader(LDIF.as_bytes().to_vec(), 5);
        let mut diags = Vec::new();
        while r.next_block(&mut diags).unwrap().is_some() {}
        assert_eq!(r.bytes_read(), LDIF.len() as u64);
        assert_eq!(r.sha256_hex(), sha(LDIF.as_bytes()));
        let r = reader(Vec::new(), 5);
        assert_eq!(r.sha256_hex(), sha(b""));
    }

    #[test]
    fn corrupt_gzip_is_an_io_error() {
        let mut r = reader(vec![0x1f, 0x8b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 64);
        assert!(r.next_block(&mut Vec::new()).is_err());
    }

    #[test]
    fn record_over_the_limit_is_reported_and_skipped() {
        const LIMIT: usize = 4 << 20;
        let read = |input: Vec<u8>, bs: usize| {
            let mut reader = BlockReader::from_reader("in.ldif", Box::new(Cursor::new(input)), bs);
            reader.set_max_record(LIMIT);
            let mut entries = Vec::new();
            let mut diags = Vec::new();
            while let Some(block) = reader.next_block(&mut diags).unwrap() {
                let mut p = crate::source::ldif::LdifParser::new(
                    "in.ldif",
                    &block.data,
                    block.first_line,
                    block.at_start,
                );
                while let Some(e) = p.next_entry(&mut diags) {
                    entries.push((e.dn.to_string(), e.line));
                }
            }
            (entries, diags)
        };
        let mut s = String::from("dn: cn=a\ncn: a\n\ndn: cn=huge\n");
        let line = format!("description: {}\n", "z".repeat(1 << 20));
        for _ in 0..5 {
            s.push_str(&line);
        }
        s.push_str("cn: huge\n  \ndn: cn=after\ncn: after\n");
        for bs in [DEFAULT_BLOCK_SIZE, 100 << 10] {
            let (e, d) = read(s.clone().into_bytes(), bs);
            let dns: Vec<_> = e.iter().map(|x| (x.0.as_str(), x.1)).collect();
            assert_eq!(dns, [("cn=a", 1), ("cn=after", 12)]);
            let errs: Vec<_> = d
                .iter()
                .filter(|x| x.level == DiagnosticLevel::Error)
                .collect();
            assert_eq!(errs.len(), 1);
            assert_eq!((errs[0].line, errs[0].file.as_str()), (4, "in.ldif"));
            assert!(
                errs[0].message.contains("longer than 4194304 bytes"),
                "{}",
                errs[0]
            );
            assert_eq!(errs[0].limit.as_deref(), Some("--max-entry-bytes"));
        }
        // At the end of the input, without a following boundary.
        let mut s = String::from("dn: cn=a\n\ndn: cn=huge\n");
        for _ in 0..5 {
            s.push_str(&line);
        }
        let (e, d) = read(s.into_bytes(), DEFAULT_BLOCK_SIZE);
        assert_eq!(e.len(), 1);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn recycled_buffers_never_show_bytes_of_earlier_blocks() {
        // Records of falling length: a recycled buffer's room holds longer old records.
        let mut text = String::new();
        for i in (0..400).rev() {
            text.push_str(&format!(
                "dn: cn=u{i},dc=x\ndescription: {}\n\n",
                "y".repeat(i)
            ));
        }
        let utf16: Vec<u8> = utf16(&text, false);
        for (data, size) in [
            (text.as_bytes().to_vec(), 300),
            (text.into_bytes(), 4096),
            (utf16, 700),
        ] {
            let expected = if data[0] == 0xff {
                String::from_utf8(read_all_text(&data)).unwrap()
            } else {
                String::from_utf8(data.clone()).unwrap()
            };
            let mut r = reader(data, size);
            let mut diags = Vec::new();
            let mut all = Vec::new();
            while let Some(b) = r.next_block(&mut diags).unwrap() {
                all.extend_from_slice(&b.data);
                r.recycle(b.data);
            }
            assert_eq!(String::from_utf8(all).unwrap(), expected);
            assert!(diags.is_empty());
        }
    }

    /// The UTF-8 text of UTF-16LE `data` (with its BOM).
    fn read_all_text(data: &[u8]) -> Vec<u8> {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(&data[2..]);
        text.into_owned().into_bytes()
    }

    #[test]
    fn a_buffer_keeps_its_room_and_shows_only_its_bytes() {
        let mut b = Buffer::with_capacity(4);
        b.extend_from_slice(b"abcdef");
        b.drain_front(2);
        assert_eq!(&b[..], b"cdef");
        b.truncate(1);
        assert_eq!(&b[..], b"c");
        // The room past the bytes is the old bytes, not zeroes, and not shown.
        assert_eq!(&b.spare(3)[..], b"def");
        b.commit(2);
        assert_eq!(&b[..], b"cde");
        let mut src: &[u8] = b"0123456789";
        assert_eq!(b.read_from(&mut src, 4).unwrap(), 4);
        assert_eq!(b.read_from(&mut src, 40).unwrap(), 6);
        assert_eq!(b.read_from(&mut src, 40).unwrap(), 0);
        assert_eq!(&b[..], b"cde0123456789");
        b.clear();
        assert!(b.is_empty());
    }

    /// Everything the parser handles, in one input.
    fn rich_input() -> String {
        let mut s = String::from(
            "# extended LDIF\n#\n\nversion: 1\n\n# entry\ndn: cn=a,dc=x\ncn: a\ndescription: fol\n ded over\n  lines\n\n",
        );
        s.push_str(crate::source::testutil::SAMPLE);
        s.push_str("\n\ndn: cn=bad\ncn: a\nno colon here\n\n\ndn:: Y249SsO2cmc=\r\nphoto:< file:///x\r\n\r\nversion: 1\n\n");
        s.push_str("ref: ldap://x/\n\ndn: cn=m\nchangetype: modify\nadd: member\nmember: cn=1\n-\nreplace: x\n\n  \n\t\ndn: cn=z\nz: z");
        s
    }

    fn without_ws_warnings(d: &[Diagnostic]) -> Vec<Diagnostic> {
        d.iter()
            .filter(|x| !x.message.starts_with("whitespace-only"))
            .cloned()
            .collect()
    }

    #[test]
    fn block_size_does_not_change_entries_or_diagnostics() {
        let input = rich_input().repeat(20).into_bytes();
        let (e_big, d_big) = read_all("in.ldif", input.clone(), 1 << 20);
        let (e_small, d_small) = read_all("in.ldif", input.clone(), 64);
        assert!(e_big.len() > 100);
        assert!(d_big.len() > 100);
        assert_eq!(e_big, e_small);
        assert_eq!(without_ws_warnings(&d_big), without_ws_warnings(&d_small));
        // The whitespace-only warning is given once per block.
        assert!(
            d_big
                .iter()
                .filter(|x| x.message.starts_with("whitespace-only"))
                .count()
                == 1
        );
        assert!(
            d_small
                .iter()
                .filter(|x| x.message.starts_with("whitespace-only"))
                .count()
                > 1
        );
        // And every other size, on one copy.
        let one = rich_input().into_bytes();
        let (e_ref, d_ref) = read_all("in.ldif", one.clone(), 1 << 20);
        for bs in 1..300 {
            let (e, d) = read_all("in.ldif", one.clone(), bs);
            assert_eq!(e, e_ref, "block size {bs}");
            assert_eq!(
                without_ws_warnings(&d),
                without_ws_warnings(&d_ref),
                "block size {bs}"
            );
        }
    }

    #[test]
    fn random_input_through_reader_and_parser_never_panics() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let alphabet = b"dn: \n\n\r\t#ab:<-\xff\xfe\x1f\x8b\xef\xbb\xbf";
        for round in 0..1500 {
            let n = (round * 7) % 400;
            let data: Vec<u8> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            let bs = 1 + round % 50;
            let mut r = reader(data.clone(), bs);
            let mut diags = Vec::new();
            let mut all = Vec::new();
            let mut line = 1;
            loop {
                match r.next_block(&mut diags) {
                    Ok(Some(b)) => {
                        assert_eq!(b.first_line, line);
                        line += b.data.iter().filter(|&&c| c == b'\n').count() as u64;
                        let mut p = crate::source::ldif::LdifParser::new(
                            "r",
                            &b.data,
                            b.first_line,
                            b.at_start,
                        );
                        while p.next_entry(&mut diags).is_some() {}
                        all.extend_from_slice(&b.data);
                    }
                    Ok(None) => break,
                    Err(_) => break,
                }
            }
            let plain = !(data.starts_with(&[0x1f, 0x8b])
                || data.starts_with(&[0xef, 0xbb, 0xbf])
                || data.starts_with(&[0xff, 0xfe])
                || data.starts_with(&[0xfe, 0xff]));
            if plain {
                assert_eq!(all, data);
            }
        }
    }

    /// Reads `path` by name in blocks of `block_size`; each block with the file's bytes
    /// at its origin, if it has one.
    fn blocks_and_file_bytes(
        path: &std::path::Path,
        block_size: usize,
        max_record: Option<usize>,
    ) -> Vec<(Block, Option<Vec<u8>>)> {
        let mut r = BlockReader::open(path.to_str().unwrap(), block_size).unwrap();
        if let Some(m) = max_record {
            r.set_max_record(m);
        }
        let file = std::fs::read(path).unwrap();
        let mut out = Vec::new();
        while let Some(b) = r.next_block(&mut Vec::new()).unwrap() {
            let at = b.origin.as_ref().map(|o| {
                let start = o.offset as usize;
                file[start..start + b.data.len()].to_vec()
            });
            out.push((b, at));
        }
        out
    }

    #[test]
    fn blocks_of_a_plain_file_are_the_file_bytes_at_their_origin() {
        let dir = tempfile::tempdir().unwrap();
        let huge = format!("description: {}\n", "z".repeat(40_000));
        let cases: [(&str, Vec<u8>, Option<usize>); 3] = [
            ("plain.ldif", LDIF.as_bytes().to_vec(), None),
            (
                "bom.ldif",
                [&[0xef, 0xbb, 0xbf][..], LDIF.as_bytes()].concat(),
                None,
            ),
            // A record over the limit is skipped between blocks: later blocks' offsets
            // count the bytes skipped.
            (
                "oversized.ldif",
                format!("dn: cn=a\ncn: a\n\ndn: cn=big\n{huge}{huge}{huge}\ndn: cn=z\ncn: z\n")
                    .into_bytes(),
                Some(4096),
            ),
        ];
        for (name, bytes, max_record) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            for block_size in [1, 7, 64, DEFAULT_BLOCK_SIZE] {
                let bs = blocks_and_file_bytes(&path, block_size, max_record);
                assert!(!bs.is_empty());
                for (b, at) in &bs {
                    assert_eq!(at.as_deref(), Some(&b.data[..]), "{name} {block_size}");
                }
                // (A read of a large block takes the whole file, record and all.)
                if max_record.is_some() && block_size < 4096 {
                    let all: Vec<u8> = bs.iter().flat_map(|(b, _)| b.data.to_vec()).collect();
                    let all = String::from_utf8(all).unwrap();
                    assert!(all.contains("cn=z") && !all.contains("zzzz"), "{all}");
                }
            }
        }
        // Bytes that are not the file's as they stand have no origin: gzip, UTF-16, and
        // what is not opened by path.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(LDIF.as_bytes()).unwrap();
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(LDIF.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        for (name, bytes) in [("gz.ldif", gz.finish().unwrap()), ("utf16.ldif", utf16)] {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let bs = blocks_and_file_bytes(&path, 16, None);
            let all: Vec<u8> = bs.iter().flat_map(|(b, _)| b.data.to_vec()).collect();
            assert_eq!(all, LDIF.as_bytes(), "{name}");
            assert!(bs.iter().all(|(b, _)| b.origin.is_none()), "{name}");
            // Nor can their digest be taken from the blocks: the reader takes it.
            let mut r = BlockReader::open(path.to_str().unwrap(), 16).unwrap();
            r.defer_digest();
            while r.next_block(&mut Vec::new()).unwrap().is_some() {}
            assert!(!r.digest_deferred(), "{name}");
            assert_eq!(r.sha256_hex(), sha(&bytes), "{name}");
        }
        let (bs, _) = blocks(LDIF.as_bytes().to_vec(), 16);
        assert!(bs.iter().all(|b| b.origin.is_none()));
    }
}
