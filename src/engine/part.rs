//! What one block leaves behind once its entries are dropped: the in-scope objects (DN
//! and objectGUID in an arena, or their places in the input file), the values held for
//! the uniqueness index, the findings waiting for the end of the run, counters and
//! diagnostics.

use super::index::{Holder, IndexKey};
use crate::findings::Finding;
use crate::model::{keep_first, keep_first_at, Diagnostic, Unlisted};
use crate::rules::ObjectClass;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Counters one block contributes to the summary.
#[derive(Default, Debug)]
pub(crate) struct Counts {
    pub objects_read: u64,
    pub in_scope: u64,
    pub skipped: BTreeMap<String, u64>,
    pub change: BTreeMap<&'static str, u64>,
}

/// An in-scope object, kept for reporting duplicates (16 bytes: a million-object run
/// keeps a million of them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ObjInfo {
    /// Where the object's texts start in the arena: its DN, then its objectGUID as
    /// base64 (the text of an `objectGUID::` line; empty when absent), each as its bytes
    /// or as its place in the block (see [`put_text`]).
    pub texts: u32,
    pub class: ObjectClass,
    pub line: u64,
}

/// A finding before the end of the run: its suggestion still has to prove unique.
#[derive(Debug)]
pub(crate) struct Pending {
    pub finding: Finding,
    pub obj: u32,
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Identifies the attribute value within the part (findings on one value share a suggestion).
    pub value_id: u32,
    /// (namespace, normalised key) the suggestion must be unique in.
    pub suggestion_keys: Vec<IndexKey>,
}

/// What one block leaves behind once its entries are dropped.
#[derive(Default)]
pub(crate) struct Part {
    /// The input's name as the user gave it.
    pub file: std::sync::Arc<str>,
    pub block: usize,
    pub pending: Vec<Pending>,
    pub objects: Vec<ObjInfo>,
    /// DNs and objectGUIDs of the objects, as text or as places in the block (see
    /// [`put_text`]); packed when the block ends if text makes up half of it.
    pub arena: Packable,
    /// The block's holders until it ends; then they are the run index's.
    pub holders: Vec<Holder>,
    /// Run-wide number of the first object (see [`super::index::RunIndex`]).
    pub first_obj: u32,
    /// The holders' values as written, with their lines.
    pub values: ValueRecords,
    pub counts: Counts,
    /// The block's diagnostics, the first `Limits::max_diagnostics` of them; the input's
    /// list takes them over when the block ends.
    pub diags: Vec<Diagnostic>,
    /// The block's diagnostics counted but not kept.
    pub unlisted: Unlisted,
    /// How many diagnostics the block keeps (`Limits::max_diagnostics`; `None`: all).
    pub max_diags: Option<usize>,
    /// In-scope objects per (rule, domain) for `domain_objects` rules.
    pub domain_counts: BTreeMap<(usize, String), DomainCount>,
    /// Values counted for `value_count` rules, settled after the stream (values that
    /// later modify records add to an object count too).
    pub counted: Vec<Counted>,
    /// `add:` modify records that did not directly follow their entry: their values join
    /// the entry's after the stream.
    pub late: Vec<LateRecord>,
    /// The block's finding messages, while it is checked.
    pub messages: Messages,
    /// Where the block is in its input file, when values can be read back from there.
    pub origin: Option<crate::source::input::Origin>,
    /// How the file changed since the scan read it, as found when values or texts
    /// were read back from it.
    pub file_changed: Option<FileChange>,
}

/// Finding messages shared while a block is checked: most rules say the same to every
/// object they fail (a forest on `corp.local` has one message for all its users).
#[derive(Default)]
pub(crate) struct Messages(rustc_hash::FxHashSet<Arc<str>>);

impl Messages {
    /// Messages remembered at most: past that, messages that differ from object to
    /// object are not looked up in vain for long.
    const MAX: usize = 256;

    pub fn share(&mut self, message: String) -> Arc<str> {
        if let Some(m) = self.0.get(message.as_str()) {
            return m.clone();
        }
        let m: Arc<str> = Arc::from(message);
        if self.0.len() < Self::MAX {
            self.0.insert(m.clone());
        }
        m
    }
}

impl Part {
    /// Adds a diagnostic of the block, keeping the first `max_diags` (see
    /// [`crate::model::keep_first`]): one entry can hold millions of values, each with a
    /// problem.
    pub fn push_diag(&mut self, d: Diagnostic) {
        self.diags.push(d);
        if let Some(limit) = self.max_diags {
            if self.diags.len() >= keep_first_at(limit) {
                keep_first(&mut self.diags, limit, &mut self.unlisted);
            }
        }
    }
}

/// An object's count of values for one `value_count` rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted {
    pub obj: u32,
    pub rule: u16,
    pub count: u32,
    /// Line of the first value counted.
    pub line: u64,
}

/// A modify record adding values to an entry read earlier in the same input.
#[derive(Debug, Clone)]
pub(crate) struct LateRecord {
    pub dn: String,
    pub line: u64,
    /// (slot, line, value as the checks see it) of the values rules read.
    pub values: Vec<(usize, u64, String)>,
}

/// The in-scope objects one block saw in one domain, for a `domain_objects` rule.
#[derive(Debug, Clone)]
pub(crate) struct DomainCount {
    /// The domain's DN as the first object spelt it (`DC=corp,DC=example`).
    pub dn: String,
    pub count: u64,
    /// The first object seen, which orders the finding.
    pub obj: u32,
    pub line: u64,
}

/// What a holder keeps besides its hash: how many bytes of type prefix (`smtp:`) its
/// key leaves out, whether the value came from the rule's fallback attribute, the line of
/// the value and the value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValueRecord {
    pub skip: u8,
    pub fallback: bool,
    pub line: u64,
    pub text: String,
    /// The value is the object's objectGUID, not stored twice: `text` is empty until
    /// the reader fills it in from the object's texts.
    pub object_guid: bool,
    /// Where in the input `text` was read back from (counted from where the input starts
    /// in its file), for a value kept as its place (the file may have changed since the
    /// scan: see `resolve`).
    pub file_offset: Option<u64>,
}

/// Bits of a record's flag byte.
const FALLBACK: u8 = 1;
const OBJECT_GUID: u8 = 2;
/// The value is bytes of the input file, kept as their place in the block (see
/// [`ValueRecords::push_in_file`]).
const IN_FILE: u8 = 4;

/// Bytes a block writes while it is checked and packs (LZ4) when it ends, if they are
/// worth it: after the block they are read back rarely and all at once.
#[derive(Default)]
pub(crate) struct Packable {
    /// The bytes; LZ4-packed (size prepended) once `packed` is set.
    bytes: Vec<u8>,
    packed: bool,
    /// How many of the bytes are text (directory values and DNs pack about 3x; places in
    /// the file, numbers and base64 GUIDs hardly at all).
    text: usize,
}

impl Packable {
    /// Packs the bytes when text makes up at least half of them (a live source, an
    /// export written in base64); bytes that are mostly places in the file stay as they
    /// are, without growth slack: packing them cost time (about 4 % of a scan for a
    /// block's values and DNs) for little room.
    pub fn pack(&mut self) {
        if self.packed {
            return;
        }
        if self.text.saturating_mul(2) >= self.bytes.len() {
            self.bytes = lz4_flex::block::compress_prepend_size(&self.bytes);
            self.packed = true;
        } else {
            self.bytes.shrink_to_fit();
        }
    }

    /// All the bytes, unpacked if the block has ended (empty if they do not unpack,
    /// which only a bug could make).
    pub fn unpacked(&self) -> Cow<'_, [u8]> {
        if self.packed {
            Cow::Owned(lz4_flex::block::decompress_size_prepended(&self.bytes).unwrap_or_default())
        } else {
            Cow::Borrowed(&self.bytes)
        }
    }
}

/// The value records of a part's holders. Nearly all of them are only ever hashed, so
/// the records a block wrote are packed (about 3x smaller on directory values) when the
/// block ends, and read back only for holders whose hash is shared with another.
#[derive(Default)]
pub(crate) struct ValueRecords {
    block: Packable,
    /// Records added after the stream (values of late modify records): never packed,
    /// addressed with `LATE` set.
    late: Vec<u8>,
}

/// Marks a record address in `ValueRecords::late`.
const LATE: u32 = 1 << 31;

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let low = u8::try_from(n & 0x7f).unwrap_or(0);
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(n);
        }
    }
    None
}

/// The address the next record appended to `out` gets: below `LATE`, or the part is full.
fn next_record_address(out: &[u8]) -> Result<u32, PartFull> {
    part_index(out.len())
        .ok()
        .filter(|&a| a < LATE)
        .ok_or(PartFull)
}

/// Appends a record to `out`; its address (below `LATE`).
fn put_record(
    out: &mut Vec<u8>,
    skip: u8,
    flags: u8,
    line: u64,
    text: &str,
) -> Result<u32, PartFull> {
    let at = next_record_address(out)?;
    out.push(skip);
    out.push(flags);
    put_varint(out, line);
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
    Ok(at)
}

/// Appends a record whose value is `len` bytes at `pos` in the block: their place
/// instead of the bytes, and its line as lines after `entry_line`, the line of its
/// entry (a byte where a full line number takes three); its address (below `LATE`).
fn put_record_in_file(
    out: &mut Vec<u8>,
    skip: u8,
    (line, entry_line): (u64, u64),
    pos: usize,
    len: usize,
) -> Result<u32, PartFull> {
    let at = next_record_address(out)?;
    out.push(skip);
    out.push(IN_FILE);
    put_varint(out, line.saturating_sub(entry_line));
    put_varint(out, pos as u64);
    put_varint(out, len as u64);
    Ok(at)
}

/// A record as stored: with its text, or with the place of its text in the block.
enum Stored {
    Text(ValueRecord),
    InFile {
        /// Its `line` still counted from its entry's line.
        record: ValueRecord,
        pos: u64,
        len: usize,
    },
}

fn get_record(bytes: &[u8], at: usize) -> Option<Stored> {
    let mut i = at;
    let skip = *bytes.get(i)?;
    let flags = *bytes.get(i + 1)?;
    i += 2;
    let line = get_varint(bytes, &mut i)?;
    let mut record = ValueRecord {
        skip,
        fallback: flags & FALLBACK != 0,
        line,
        text: String::new(),
        object_guid: flags & OBJECT_GUID != 0,
        file_offset: None,
    };
    if flags & IN_FILE != 0 {
        let pos = get_varint(bytes, &mut i)?;
        let len = usize::try_from(get_varint(bytes, &mut i)?).ok()?;
        return Some(Stored::InFile { record, pos, len });
    }
    let len = usize::try_from(get_varint(bytes, &mut i)?).ok()?;
    record.text = std::str::from_utf8(bytes.get(i..i.checked_add(len)?)?)
        .ok()?
        .to_string();
    Some(Stored::Text(record))
}

/// How a part's input file was found changed when its values were read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileChange {
    /// Its size or times are not what they were when it was opened: none of its values
    /// is read back.
    Written,
    /// The first offset where a value read back is not the one read there in the scan.
    At(u64),
}

impl FileChange {
    /// What two findings about one file say together.
    pub fn and(self, other: FileChange) -> FileChange {
        match (self, other) {
            (FileChange::At(a), FileChange::At(b)) => FileChange::At(a.min(b)),
            _ => FileChange::Written,
        }
    }

    pub fn and_maybe(self, other: Option<FileChange>) -> FileChange {
        other.map_or(self, |o| self.and(o))
    }
}

/// Values of a part read back from its input file.
#[derive(Default)]
pub(crate) struct ReadBack {
    /// By address asked for; `None` for an address that holds no record (only a bug
    /// could make one) or whose value could not be read back from the file.
    pub records: Vec<Option<ValueRecord>>,
    /// How the file changed since the scan, if it did.
    pub changed: Option<FileChange>,
}

/// Texts read back from their places in a block's file.
pub(crate) struct PlacesRead {
    /// In the order the places were asked for: the text, or `None` where the file no
    /// longer holds text there (or was written to since the scan opened it).
    pub texts: Vec<Option<String>>,
    /// How the file changed since the scan, if it did.
    pub changed: Option<FileChange>,
}

/// Reads the texts at `places` (place in the block, length) of the block's file (a part
/// without one gets none). Places close together are read with one call; a file written
/// to since it was opened gives none (see [`crate::source::input::OpenFile::unchanged`]).
pub(crate) fn read_places(
    origin: Option<&crate::source::input::Origin>,
    places: &[(u64, usize)],
) -> PlacesRead {
    /// Gap between two places up to which one read takes both.
    const GAP: u64 = 4096;
    let mut out = PlacesRead {
        texts: vec![None; places.len()],
        changed: None,
    };
    // The `len` bytes at `pos` of the block, into `buf`.
    let read = |buf: &mut Vec<u8>, pos: u64, len: u64| {
        let o = origin?;
        buf.clear();
        buf.resize(usize::try_from(len).ok()?, 0);
        o.file.read_at(buf, o.offset.checked_add(pos)?).ok()
    };
    let mut order: Vec<usize> = (0..places.len()).collect();
    order.sort_unstable_by_key(|&k| places[k].0);
    let mut buf = Vec::new();
    let mut one = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let first = places[order[start]].0;
        let mut end_pos = first + places[order[start]].1 as u64;
        let mut end = start + 1;
        while end < order.len() && places[order[end]].0 <= end_pos + GAP {
            let (pos, len) = places[order[end]];
            end_pos = end_pos.max(pos + len as u64);
            end += 1;
        }
        let run = &order[start..end];
        start = end;
        // A run that cannot be read whole (the file is shorter now) is read place by
        // place, so the texts it still holds are kept.
        let whole = read(&mut buf, first, end_pos - first).is_some();
        for &k in run {
            let (pos, len) = places[k];
            let bytes = if whole {
                let at = usize::try_from(pos - first).unwrap_or(usize::MAX);
                buf.get(at..at.saturating_add(len))
            } else {
                read(&mut one, pos, len as u64).map(|()| &one[..])
            };
            match bytes.and_then(|b| std::str::from_utf8(b).ok()) {
                Some(text) => out.texts[k] = Some(text.to_string()),
                None => {
                    let offset = origin.map_or(pos, |o| o.input_offset(pos));
                    out.changed = Some(FileChange::At(offset).and_maybe(out.changed));
                }
            }
        }
    }
    // Checked after the reads: what was read before any write since the opening is what
    // the scan read.
    if origin.is_some_and(|o| !o.file.unchanged()) {
        out.texts.iter_mut().for_each(|t| *t = None);
        out.changed = Some(FileChange::Written);
    }
    out
}

/// Fills in the texts of records kept as places in the file: (position in `out`, place
/// in the block, length). A record whose text the file no longer holds becomes `None`.
fn read_in_file(
    origin: Option<&crate::source::input::Origin>,
    wanted: Vec<(usize, u64, usize)>,
    out: &mut ReadBack,
) {
    let places: Vec<(u64, usize)> = wanted.iter().map(|&(_, pos, len)| (pos, len)).collect();
    let read = read_places(origin, &places);
    for ((k, pos, _), text) in wanted.into_iter().zip(read.texts) {
        if let Some(r) = out.records.get_mut(k) {
            match (text, r.as_mut()) {
                (Some(text), Some(record)) => {
                    record.text = text;
                    record.file_offset = Some(origin.map_or(pos, |o| o.input_offset(pos)));
                }
                _ => *r = None,
            }
        }
    }
    if let Some(change) = read.changed {
        out.changed = Some(change.and_maybe(out.changed));
    }
}

/// The flag byte of a record that is not an objectGUID reference.
fn flags(fallback: bool) -> u8 {
    if fallback {
        FALLBACK
    } else {
        0
    }
}

impl ValueRecords {
    /// Adds a record of the block (skip, fallback, line, text: see [`ValueRecord`]); its
    /// address.
    pub fn push(
        &mut self,
        skip: u8,
        fallback: bool,
        line: u64,
        text: &str,
    ) -> Result<u32, PartFull> {
        self.block.text += text.len();
        put_record(&mut self.block.bytes, skip, flags(fallback), line, text)
    }

    /// Adds a record of the block whose value is the `len` bytes at `pos` in the block
    /// of a regular file (the part's `origin`): its place is kept, not its bytes, and the
    /// value is read back from the file if it is ever needed; its address.
    /// `lines`: the value's line and its entry's line.
    pub fn push_in_file(
        &mut self,
        skip: u8,
        lines: (u64, u64),
        pos: usize,
        len: usize,
    ) -> Result<u32, PartFull> {
        put_record_in_file(&mut self.block.bytes, skip, lines, pos, len)
    }

    /// Adds a record of the block whose value is the object's objectGUID (the usual
    /// source anchor): the text is in the arena already; its address.
    pub fn push_object_guid(&mut self, fallback: bool, line: u64) -> Result<u32, PartFull> {
        put_record(
            &mut self.block.bytes,
            0,
            OBJECT_GUID | flags(fallback),
            line,
            "",
        )
    }

    /// Adds a record after the stream; its address.
    pub fn push_late(&mut self, r: &ValueRecord) -> Result<u32, PartFull> {
        put_record(&mut self.late, r.skip, flags(r.fallback), r.line, &r.text).map(|at| at | LATE)
    }

    /// Packs the block's records if they are worth it (see [`Packable::pack`]): records
    /// of places in the file (7 bytes) pack about 1.2x.
    pub fn pack(&mut self) {
        self.block.pack();
    }

    /// The records at `addrs`, each with the line of its entry (unpacking the block's
    /// records once, and reading the values kept as places from `origin`, the block's
    /// file).
    pub fn read(
        &self,
        addrs: &[(u32, u64)],
        origin: Option<&crate::source::input::Origin>,
    ) -> ReadBack {
        let block = if addrs.iter().any(|a| a.0 & LATE == 0) {
            self.block.unpacked()
        } else {
            Cow::Borrowed(&[][..])
        };
        let mut in_file = Vec::new();
        let records = (0..)
            .zip(addrs)
            .map(|(k, &(a, entry_line))| {
                let (bytes, at) = if a & LATE == 0 {
                    (&block[..], a)
                } else {
                    (self.late.as_slice(), a & !LATE)
                };
                match get_record(bytes, usize::try_from(at).ok()?)? {
                    Stored::Text(r) => Some(r),
                    Stored::InFile {
                        mut record,
                        pos,
                        len,
                    } => {
                        record.line = record.line.saturating_add(entry_line);
                        in_file.push((k, pos, len));
                        Some(record)
                    }
                }
            })
            .collect();
        let mut out = ReadBack {
            records,
            changed: None,
        };
        if !in_file.is_empty() {
            read_in_file(origin, in_file, &mut out);
        }
        out
    }
}

/// A part's arena, objects and findings are indexed with `u32`: a block holds at most
/// `MAX_RECORD` plus one block size of input, far below 4 GiB, so these never fail in
/// practice; if one did, the entry is reported as not checked rather than mis-indexed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartFull;

/// `n` as a part-local index.
pub(crate) fn part_index(n: usize) -> Result<u32, PartFull> {
    u32::try_from(n).map_err(|_| PartFull)
}

/// Who reports a finding: the rule's id, severity and category, and the attribute.
pub(crate) struct Reporter {
    pub rule: Arc<str>,
    pub severity: crate::findings::Severity,
    pub category: crate::findings::Category,
    pub attribute: Arc<str>,
}

impl Reporter {
    pub fn of(rule: &crate::rules::Rule) -> Self {
        Reporter {
            rule: rule.shared_id.clone(),
            severity: rule.def.severity,
            category: rule.def.category,
            attribute: rule.shared_attribute.clone(),
        }
    }
}

/// An object's DN and objectGUID (base64), read from its part's arena.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectTexts {
    pub dn: String,
    pub guid: Option<String>,
}

/// The DN and objectGUID of objects (part, index) of several parts, each part's arena
/// unpacked once. Objects whose texts the file no longer holds are left out, and their
/// parts note how the file changed (see [`Part::file_changed`]).
pub(crate) fn object_texts(
    parts: &mut [Part],
    objects: impl IntoIterator<Item = (usize, u32)>,
) -> HashMap<(usize, u32), ObjectTexts> {
    let mut wanted: Vec<(usize, u32)> = objects.into_iter().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = HashMap::with_capacity(wanted.len());
    for same_part in wanted.chunk_by(|a, b| a.0 == b.0) {
        let pi = same_part[0].0;
        let Some(p) = parts.get_mut(pi) else {
            continue;
        };
        let objs: Vec<u32> = same_part.iter().map(|w| w.1).collect();
        let read = p.read_texts(&objs);
        p.note_change(read.changed);
        for (obj, texts) in objs.into_iter().zip(read.texts) {
            if let Some(texts) = texts {
                out.insert((pi, obj), texts);
            }
        }
    }
    out
}

/// Appends `text` to `arena`: its place in the block when `place` is given (text the
/// parser borrowed from a regular file's block), else its bytes. A varint of the length
/// with the low bit set for a place comes first, then the place (a varint) or the bytes.
fn put_text(arena: &mut Packable, text: &str, place: Option<usize>) {
    let len = text.len() as u64;
    match place {
        Some(pos) => {
            put_varint(&mut arena.bytes, len << 1 | 1);
            put_varint(&mut arena.bytes, pos as u64);
        }
        None => {
            put_varint(&mut arena.bytes, len << 1);
            arena.bytes.extend_from_slice(text.as_bytes());
            arena.text += text.len();
        }
    }
}

/// A text of an object as the arena holds it.
#[derive(Debug, PartialEq)]
enum Text<'a> {
    Here(&'a str),
    /// `len` bytes at `pos` of the block's file.
    Place {
        pos: u64,
        len: usize,
    },
}

/// The text at `at` of an arena; `at` moves past it.
fn get_text<'a>(arena: &'a [u8], at: &mut usize) -> Option<Text<'a>> {
    let head = get_varint(arena, at)?;
    let len = usize::try_from(head >> 1).ok()?;
    if head & 1 == 1 {
        let pos = get_varint(arena, at)?;
        return Some(Text::Place { pos, len });
    }
    let end = at.checked_add(len)?;
    let text = std::str::from_utf8(arena.get(*at..end)?).ok()?;
    *at = end;
    Some(Text::Here(text))
}

/// Texts of a part's objects read back after its block ended.
pub(crate) struct TextsRead {
    /// In the order asked for; `None` where the file no longer holds a text (or, only
    /// through a bug, the arena holds no object there).
    pub texts: Vec<Option<ObjectTexts>>,
    pub changed: Option<FileChange>,
}

impl Part {
    /// Adds an in-scope object's DN and objectGUID (empty when absent) to the arena;
    /// where they start. Texts the parser borrowed from the block of a regular file are
    /// kept as their places there (DNs read back after the stream only for objects in a
    /// finding), the rest as their bytes.
    pub(crate) fn push_texts(
        &mut self,
        block: &crate::source::ldif::BlockText<'_>,
        dn: &str,
        guid: &str,
    ) -> Result<u32, PartFull> {
        let at = part_index(self.arena.bytes.len())?;
        for text in [dn, guid] {
            let place = self.place_in_file(block, text);
            put_text(&mut self.arena, text, place);
        }
        // The next object's start must be addressable too.
        part_index(self.arena.bytes.len())?;
        Ok(at)
    }

    /// Where `text` is in `block`, when the parser borrowed it from there and the block
    /// is part of a regular file: then it can be kept as that place and read back.
    #[inline(always)]
    fn place_in_file(
        &self,
        block: &crate::source::ldif::BlockText<'_>,
        text: &str,
    ) -> Option<usize> {
        block
            .offset_of(text.as_bytes())
            .filter(|_| self.origin.is_some())
    }

    /// The DN and objectGUID of objects `objs` (indexes in this part), the arena
    /// unpacked once and the places read from the part's file together.
    pub(crate) fn read_texts(&self, objs: &[u32]) -> TextsRead {
        let arena = self.arena.unpacked();
        // Per object: its two texts, or where they are in `places`.
        let mut places: Vec<(u64, usize)> = Vec::new();
        let mut got: Vec<Option<[Result<String, usize>; 2]>> = Vec::with_capacity(objs.len());
        for &obj in objs {
            let Some(o) = self.objects.get(obj as usize) else {
                got.push(None);
                continue;
            };
            let mut at = o.texts as usize;
            let mut take = || match get_text(&arena, &mut at)? {
                Text::Here(t) => Some(Ok(t.to_string())),
                Text::Place { pos, len } => {
                    places.push((pos, len));
                    Some(Err(places.len() - 1))
                }
            };
            got.push(take().zip(take()).map(|(dn, guid)| [dn, guid]));
        }
        let mut read = read_places(self.origin.as_ref(), &places);
        let mut resolve = |t: Result<String, usize>| match t {
            Ok(t) => Some(t),
            Err(k) => read.texts.get_mut(k).and_then(Option::take),
        };
        let texts = got
            .into_iter()
            .map(|g| {
                let [dn, guid] = g?;
                let (dn, guid) = (resolve(dn)?, resolve(guid)?);
                Some(ObjectTexts {
                    dn,
                    guid: (!guid.is_empty()).then_some(guid),
                })
            })
            .collect();
        TextsRead {
            texts,
            changed: read.changed,
        }
    }

    /// Notes that the part's file changed since the scan read it (see
    /// [`super::resolve::report_changed_files`]).
    pub(crate) fn note_change(&mut self, change: Option<FileChange>) {
        if let Some(c) = change {
            self.file_changed = Some(c.and_maybe(self.file_changed));
        }
    }

    /// A finding on object `obj` of this part, whose DN and objectGUID are `texts`: its
    /// class and place in the input filled in from the part, the rule's identity from
    /// `by`, and nothing found yet (no value, no message): the caller fills in what the
    /// check found.
    pub(crate) fn finding_with(&self, obj: u32, texts: ObjectTexts, by: Reporter) -> Finding {
        let o = self.objects.get(obj as usize);
        Finding {
            rule: by.rule,
            severity: by.severity,
            category: by.category,
            dn: texts.dn,
            object_class: o.map_or_else(|| Arc::from(""), |o| o.class.shared_name()),
            object_guid: texts.guid,
            attribute: by.attribute,
            value: None,
            value_base64: None,
            value_kind: None,
            suggestion: None,
            replaces: None,
            attribute_values: None,
            related: Vec::new(),
            related_total: None,
            message: Arc::from(""),
            uniqueness: None,
            source: crate::findings::SourceRef {
                file: self.file.clone(),
                line: o.map_or(0, |o| o.line),
            },
            value_line: 0,
            fingerprint: String::new(),
            state: None,
            exception: None,
        }
    }

    /// Adds the value record of a unique check's value; its address. A value the parser
    /// borrowed from `block` of a regular file (an unfolded line: text, or the base64 of a
    /// binary value) is kept as its place there, not copied; the rest keep their bytes.
    /// `lines`: the value's line and its entry's line.
    // Called per unique value on the hot path: inlined, it costs no more than the code it
    // replaced at its two callers (callgrind: 1,063 M instructions with `#[inline]`,
    // 1,057 M with this, on the 20k slice).
    #[inline(always)]
    pub(crate) fn push_value(
        &mut self,
        block: &crate::source::ldif::BlockText<'_>,
        skip: u8,
        fallback: bool,
        (line, entry_line): (u64, u64),
        text: &str,
    ) -> Result<u32, PartFull> {
        match self
            .place_in_file(block, text)
            .filter(|_| !fallback && line >= entry_line)
        {
            Some(pos) => self
                .values
                .push_in_file(skip, (line, entry_line), pos, text.len()),
            None => self.values.push(skip, fallback, line, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: u64, text: &str) -> ValueRecord {
        ValueRecord {
            skip: 5,
            fallback: line % 2 == 0,
            line,
            text: text.to_string(),
            object_guid: false,
            file_offset: None,
        }
    }

    #[test]
    fn what_a_run_keeps_per_object_and_value_stays_small() {
        assert_eq!(std::mem::size_of::<ObjInfo>(), 16);
        assert_eq!(std::mem::size_of::<super::super::index::Holder>(), 16);
    }

    #[test]
    fn value_records_read_back_as_written_packed_or_not_and_late() {
        let mut v = ValueRecords::default();
        let push = |v: &mut ValueRecords, r: ValueRecord| {
            v.push(r.skip, r.fallback, r.line, &r.text).unwrap()
        };
        let a = push(&mut v, record(1, "smtp:a@contoso.com"));
        let b = push(&mut v, record(300_000, &"Jürgen ".repeat(40)));
        let c = push(&mut v, record(u64::MAX, ""));
        let written = [
            record(1, "smtp:a@contoso.com"),
            record(300_000, &"Jürgen ".repeat(40)),
            record(u64::MAX, ""),
        ];
        let read = |v: &ValueRecords, addrs: &[u32]| {
            let with_lines = addrs.iter().map(|&a| (a, 0)).collect::<Vec<_>>();
            v.read(&with_lines, None)
                .records
                .into_iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
        };
        assert_eq!(read(&v, &[a, b, c]), written);
        v.pack();
        assert!(v.block.packed, "records of text are packed");
        assert_eq!(
            read(&v, &[c, a, b]),
            [written[2].clone(), written[0].clone(), written[1].clone()]
        );
        let d = v.push_late(&record(7, "late")).unwrap();
        assert_eq!(read(&v, &[d, b]), [record(7, "late"), written[1].clone()]);
        assert_eq!(read(&v, &[d]), [record(7, "late")]);
        // A value that is the object's objectGUID is flagged, not stored again.
        let mut g = ValueRecords::default();
        let e = g.push_object_guid(true, 12).unwrap();
        g.pack();
        let r = g.read(&[(e, 0)], None).records.pop().flatten().unwrap();
        assert!(r.object_guid && r.fallback && r.text.is_empty() && r.line == 12);
        // An address past the records is no record, not a panic.
        assert_eq!(
            v.read(&[(9999, 0), (LATE | 9999, 0)], None).records,
            [None, None]
        );
    }

    #[cfg(unix)]
    #[test]
    fn values_kept_as_places_are_read_back_from_the_file() {
        use crate::source::input::{OpenFile, Origin};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ldif");
        // The block starts at byte 10 of the file; values near each other and far apart
        // (read in separate calls).
        let mut file = b"0123456789".to_vec();
        let block_start = file.len();
        file.extend_from_slice("mail: a@contoso.com\nmail: Jürgen@contoso.com\n".as_bytes());
        file.extend(std::iter::repeat_n(b'x', 10_000));
        file.extend_from_slice(b"\nmail: near@contoso.com\nmail: far@contoso.com\n");
        std::fs::write(&path, &file).unwrap();
        let block = &file[block_start..];
        let find = |v: &str| {
            let pos = block
                .windows(v.len())
                .position(|w| w == v.as_bytes())
                .unwrap();
            (pos, v.len())
        };
        let mut v = ValueRecords::default();
        let values = [
            "a@contoso.com",
            "Jürgen@contoso.com",
            "far@contoso.com",
            "near@contoso.com",
        ];
        let mut addrs = Vec::new();
        for (k, value) in values.iter().enumerate() {
            let (pos, len) = find(value);
            // Lines 100 + k of an entry at line 100.
            addrs.push(v.push_in_file(3, (100 + k as u64, 100), pos, len).unwrap());
        }
        let text = v.push(1, true, 7, "kept as text").unwrap();
        v.pack();
        assert!(
            !v.block.packed,
            "records mostly of places are not worth packing"
        );
        let open = || Origin {
            file: Arc::new(OpenFile::new(std::fs::File::open(&path).unwrap()).unwrap()),
            offset: block_start as u64,
            from: block_start as u64,
        };
        let origin = open();
        let ask: Vec<(u32, u64)> = [addrs[2], text, addrs[0], addrs[1], addrs[3]]
            .iter()
            .map(|&a| (a, 100))
            .collect();
        let back = v.read(&ask, Some(&origin));
        assert_eq!(back.changed, None);
        let got: Vec<_> = back
            .records
            .iter()
            .map(|r| {
                let r = r.as_ref().unwrap();
                (r.skip, r.line, r.text.as_str(), r.file_offset)
            })
            .collect();
        let offset = |v: &str| Some((block_start + find(v).0) as u64);
        assert_eq!(
            got,
            [
                (3, 102, "far@contoso.com", offset("far@contoso.com")),
                (1, 7, "kept as text", None),
                (3, 100, "a@contoso.com", offset("a@contoso.com")),
                (3, 101, "Jürgen@contoso.com", offset("Jürgen@contoso.com")),
                (3, 103, "near@contoso.com", offset("near@contoso.com")),
            ]
        );
        // Without its file a value kept as a place cannot be read: no record, and it is
        // told (as a place in the block, there being no file).
        let back = v.read(&ask[..2], None);
        assert!(back.records[0].is_none() && back.records[1].is_some());
        let at = |v: &str| Some(FileChange::At((block_start + find(v).0) as u64));
        assert_eq!(
            back.changed,
            Some(FileChange::At(find("far@contoso.com").0 as u64))
        );
        // The file cut short, and bytes that are no longer UTF-8 where a value was.
        let mut broken = file.clone();
        let (pos, _) = find("Jürgen");
        broken[block_start + pos + 1] = 0xff;
        broken.truncate(file.len() - 10);
        std::fs::write(&path, &broken).unwrap();
        // (Its size changed: the test does not depend on the clock's tick.)
        assert_ne!(broken.len(), file.len());
        // Written to since it was opened: no value is read back from it.
        let back = v.read(&ask, Some(&origin));
        let kept: Vec<_> = back.records.iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, true, false, false, false]);
        assert_eq!(back.changed, Some(FileChange::Written));
        // Written in the clock tick it was opened in (its stamp the same): each value is
        // read on its own, those it still holds are kept (`near`, read with `far` when
        // the file was whole), and the first that changed is told.
        let back = v.read(&ask, Some(&open()));
        let kept: Vec<_> = back.records.iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, true, true, false, true]);
        assert_eq!(back.changed, at("Jürgen@contoso.com"));
    }

    #[test]
    fn texts_round_trip_as_bytes_and_as_places() {
        let mut arena = Packable::default();
        put_text(&mut arena, "CN=Jürgen,DC=contoso,DC=com", None);
        put_text(&mut arena, "", None);
        put_text(&mut arena, "x".repeat(200).as_str(), Some(70_000));
        put_text(&mut arena, "", Some(3));
        let mut at = 0;
        let mut next = || get_text(&arena.bytes, &mut at);
        assert_eq!(next(), Some(Text::Here("CN=Jürgen,DC=contoso,DC=com")));
        assert_eq!(next(), Some(Text::Here("")));
        assert_eq!(
            next(),
            Some(Text::Place {
                pos: 70_000,
                len: 200
            })
        );
        assert_eq!(next(), Some(Text::Place { pos: 3, len: 0 }));
        assert_eq!(next(), None, "past the end: no text, not a panic");
        assert_eq!(arena.text, "CN=Jürgen,DC=contoso,DC=com".len());
        // A length that runs past the arena, or bytes that are not UTF-8, give none.
        let mut bad = Packable::default();
        put_varint(&mut bad.bytes, 40 << 1);
        bad.bytes.extend_from_slice(b"short");
        assert_eq!(get_text(&bad.bytes, &mut 0), None);
        let mut bad = Packable::default();
        put_varint(&mut bad.bytes, 2 << 1);
        bad.bytes.extend_from_slice(&[0xc3, 0x28]);
        assert_eq!(get_text(&bad.bytes, &mut 0), None);
    }

    #[cfg(unix)]
    #[test]
    fn object_texts_kept_as_places_are_read_back_from_the_file() {
        use crate::source::input::{OpenFile, Origin};
        use crate::source::ldif::LdifParser;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ldif");
        let mut file = b"# head\n".to_vec();
        let block_start = file.len();
        file.extend_from_slice(
            "dn: CN=Jürgen,DC=contoso,DC=com\nobjectGUID:: AAECAwQFBgcICQoLDA0ODw==\n\n\
             dn: CN=Ann,DC=contoso,DC=com\n\n"
                .as_bytes(),
        );
        std::fs::write(&path, &file).unwrap();
        let block = &file[block_start..];
        let text = std::str::from_utf8(block).unwrap();
        let slice = |v: &str| {
            let at = text.find(v).unwrap();
            &text[at..at + v.len()]
        };
        let parser = LdifParser::new("in.ldif", block, 2, false);
        let bt = parser.block_text();
        let open = || Origin {
            file: Arc::new(OpenFile::new(std::fs::File::open(&path).unwrap()).unwrap()),
            offset: block_start as u64,
            from: block_start as u64,
        };
        let mut part = Part {
            origin: Some(open()),
            ..Default::default()
        };
        let push = |part: &mut Part, dn: &str, guid: &str| {
            let texts = part.push_texts(&bt, dn, guid).unwrap();
            part.objects.push(ObjInfo {
                texts,
                class: ObjectClass::User,
                line: 1,
            });
        };
        // Borrowed from the block: places. A DN decoded from base64 (not in the block):
        // its bytes.
        push(
            &mut part,
            slice("CN=Jürgen,DC=contoso,DC=com"),
            slice("AAECAwQFBgcICQoLDA0ODw=="),
        );
        push(&mut part, slice("CN=Ann,DC=contoso,DC=com"), "");
        push(&mut part, "CN=Zoë,DC=contoso,DC=com", "");
        // Places alone are not worth packing; here the DN kept as bytes is most of the
        // arena, which is then packed.
        let mut places = Packable {
            bytes: part.arena.bytes[..part.objects[2].texts as usize].to_vec(),
            ..Default::default()
        };
        places.pack();
        assert!(!places.packed);
        part.arena.pack();
        assert!(part.arena.packed);
        let want = |dn: &str, guid: Option<&str>| {
            Some(ObjectTexts {
                dn: dn.to_string(),
                guid: guid.map(str::to_string),
            })
        };
        let read = part.read_texts(&[2, 0, 1, 7]);
        assert_eq!(read.changed, None);
        let got: Vec<_> = read
            .texts
            .iter()
            .map(|t| t.as_ref().map(|t| (t.dn.clone(), t.guid.clone())))
            .collect();
        let expect: Vec<_> = [
            want("CN=Zoë,DC=contoso,DC=com", None),
            want(
                "CN=Jürgen,DC=contoso,DC=com",
                Some("AAECAwQFBgcICQoLDA0ODw=="),
            ),
            want("CN=Ann,DC=contoso,DC=com", None),
            None,
        ]
        .into_iter()
        .map(|t| t.map(|t| (t.dn, t.guid)))
        .collect();
        assert_eq!(got, expect);
        // Through `object_texts`, which leaves out what cannot be read and notes why.
        let mut parts = vec![part];
        let all = object_texts(&mut parts, [(0, 0), (0, 2)]);
        assert_eq!(all.len(), 2);
        assert_eq!(parts[0].file_changed, None);
        // The file written to since: texts kept as places are not read back (the DN
        // kept as bytes still is), and the part notes the change.
        let mut longer = file.clone();
        longer.extend_from_slice(b"dn: CN=New,DC=contoso,DC=com\n");
        std::fs::write(&path, &longer).unwrap();
        let all = object_texts(&mut parts, [(0, 0), (0, 1), (0, 2)]);
        assert_eq!(all.keys().collect::<Vec<_>>(), [&(0, 2)]);
        assert_eq!(parts[0].file_changed, Some(FileChange::Written));
        // A part of a source with no file (a live one) keeps every text as bytes.
        let mut live = Part::default();
        let texts = live
            .push_texts(&bt, slice("CN=Ann,DC=contoso,DC=com"), "")
            .unwrap();
        live.objects.push(ObjInfo {
            texts,
            class: ObjectClass::User,
            line: 1,
        });
        assert_eq!(live.arena.text, "CN=Ann,DC=contoso,DC=com".len());
        live.arena.pack();
        assert!(live.arena.packed);
        let read = live.read_texts(&[0]);
        assert_eq!(
            read.texts[0].as_ref().unwrap().dn,
            "CN=Ann,DC=contoso,DC=com"
        );
    }
}
