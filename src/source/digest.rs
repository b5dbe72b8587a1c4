//! The SHA-256 of a regular file, taken from the blocks the scanning threads hand back
//! rather than by the reader: hashing a block in the reader's lock made every other thread
//! wait for it (a third of the time the lock was held), so each block's bytes are hashed
//! after they are checked, in file order, by whichever thread hands back the block that
//! comes next. A block handed back early waits its turn, its buffer kept (a few at most;
//! past that its bytes are read again from the file when their turn comes). Bytes in no
//! block (a BOM, a record too long to check) are read again from the file too.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::input::{Buffer, OpenFile};

/// Buffers kept waiting for an earlier block before their bytes are left to be read
/// again: bounds the memory a slow block can make the others hold.
const MAX_KEPT: usize = 16;

/// The SHA-256 of a file being scanned, fed block by block in any order.
pub struct FileDigest {
    file: Arc<OpenFile>,
    state: Mutex<State>,
}

struct State {
    /// `None` while a thread is hashing (outside the lock).
    hasher: Option<Sha256>,
    /// Where the bytes hashed, or claimed by the hashing thread, end in the file.
    at: u64,
    /// Blocks handed back ahead of their turn, by the offset their span starts at.
    waiting: BTreeMap<u64, Span>,
    /// Buffers held in `waiting`.
    kept: usize,
    /// Some bytes read again from the file could not be read whole: the file is not
    /// what was scanned.
    short: bool,
    /// Bytes were read again from the file (see [`FileDigest::finish`]).
    reread: bool,
}

/// A block's bytes and the bytes in no block just before them.
struct Span {
    /// Where the span starts: where the block before it ended.
    from: u64,
    /// Where the block's bytes start.
    offset: u64,
    len: u64,
    /// The block's bytes, unless they are to be read from the file again.
    buf: Option<Buffer>,
}

impl Span {
    /// The block's bytes, or the end of their place in the file when they are to be
    /// read again.
    fn bytes(&self) -> Result<&[u8], u64> {
        self.buf.as_deref().ok_or(self.offset + self.len)
    }
}

impl State {
    /// The hasher back from the thread that hashed outside the lock, with what reading
    /// the file again told it.
    fn give_back(&mut self, hasher: Sha256, reread: &Reread) {
        self.short |= reread.short;
        self.reread |= reread.any;
        self.hasher = Some(hasher);
    }
}

/// What [`FileDigest::finish`] found.
pub enum Digest256 {
    /// Lowercase hex.
    Hex(String),
    /// The file changed while it was read: its bytes now are not the bytes scanned.
    Changed,
    /// Hashing stopped on an internal error (a panic while hashing).
    Lost,
}

impl FileDigest {
    pub fn new(file: Arc<OpenFile>) -> FileDigest {
        FileDigest {
            state: Mutex::new(State {
                hasher: Some(Sha256::new()),
                at: file.start,
                waiting: BTreeMap::new(),
                kept: 0,
                short: false,
                reread: false,
            }),
            file,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while hashing leaves no hasher: `finish` reports it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A block just read, hashed at once if it comes next and no other thread is
    /// hashing (its bytes are still in the cache); false when it is to be handed back
    /// with [`FileDigest::add`] once it is scanned.
    pub fn hash_now(&self, from: u64, offset: u64, data: &[u8], done: &mut Vec<Buffer>) -> bool {
        let mut st = self.lock();
        if st.at != from {
            return false;
        }
        let Some(mut hasher) = st.hasher.take() else {
            return false;
        };
        st.at = offset + data.len() as u64;
        drop(st);
        let mut reread = Reread::default();
        reread.span(&self.file, &mut hasher, from, offset, Ok(data));
        let mut st = self.lock();
        st.give_back(hasher, &reread);
        // Blocks handed back meanwhile that come next.
        self.hash_ready(st, done);
        true
    }

    /// A scanned block: `buf` holds the file's bytes at `offset`, and the bytes from
    /// `from` (where the block before it ended) up to `offset` are in no block. The
    /// buffers whose bytes are hashed (this one or others) are pushed to `done`.
    pub fn add(&self, from: u64, offset: u64, buf: Buffer, done: &mut Vec<Buffer>) {
        let mut st = self.lock();
        let len = buf.len() as u64;
        // The next block is hashed at once, unless another thread is hashing.
        let buf = if st.kept < MAX_KEPT || from == st.at {
            st.kept += 1;
            Some(buf)
        } else {
            done.push(buf);
            None
        };
        st.waiting.insert(
            from,
            Span {
                from,
                offset,
                len,
                buf,
            },
        );
        self.hash_ready(st, done);
    }

    /// Hashes the spans that come next, if no other thread is hashing: those that
    /// come next once it is done are hashed by that thread.
    fn hash_ready<'a>(&'a self, mut st: std::sync::MutexGuard<'a, State>, done: &mut Vec<Buffer>) {
        while let Some(mut hasher) = st.hasher.take() {
            let mut ready = Vec::new();
            while let Some(span) = {
                let at = st.at;
                st.waiting.remove(&at)
            } {
                st.at = span.offset + span.len;
                st.kept -= usize::from(span.buf.is_some());
                ready.push(span);
            }
            if ready.is_empty() {
                st.hasher = Some(hasher);
                break;
            }
            drop(st);
            let mut reread = Reread::default();
            for span in ready {
                reread.span(
                    &self.file,
                    &mut hasher,
                    span.from,
                    span.offset,
                    span.bytes(),
                );
                done.extend(span.buf);
            }
            st = self.lock();
            st.give_back(hasher, &reread);
        }
    }

    /// The digest once every block is handed back (a block never handed back is read
    /// again from the file), with `total` the bytes the scan read from the file (from
    /// where the input starts in it).
    pub fn finish(self, total: u64) -> Digest256 {
        let mut st = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        let Some(mut hasher) = st.hasher.take() else {
            // A thread panicked while hashing.
            return Digest256::Lost;
        };
        let mut reread = Reread::default();
        let mut at = st.at;
        for span in std::mem::take(&mut st.waiting).into_values() {
            if span.from < at {
                // Cannot happen: spans do not overlap.
                return Digest256::Lost;
            }
            // From `at`: a block never handed back is read again with the gap.
            reread.span(&self.file, &mut hasher, at, span.offset, span.bytes());
            at = span.offset + span.len;
        }
        reread.bytes(
            &self.file,
            &mut hasher,
            at,
            self.file.start.saturating_add(total),
        );
        // What was read again is what was scanned if the file was not written to since
        // it was opened (see `OpenFile::unchanged`).
        if st.short || reread.short || ((st.reread || reread.any) && !self.file.unchanged()) {
            return Digest256::Changed;
        }
        Digest256::Hex(crate::text::hex(&hasher.finalize()))
    }
}

/// Reads bytes of the file again, into the hash.
#[derive(Default)]
struct Reread {
    buf: Vec<u8>,
    any: bool,
    /// The file ended or failed before the bytes wanted.
    short: bool,
}

impl Reread {
    /// Hashes the bytes in no block from `from` up to `offset`, then the block's bytes
    /// (`Err(end)`: read again from `offset` up to `end`).
    fn span(
        &mut self,
        file: &OpenFile,
        hasher: &mut Sha256,
        from: u64,
        offset: u64,
        bytes: Result<&[u8], u64>,
    ) {
        self.bytes(file, hasher, from, offset);
        match bytes {
            Ok(data) => hasher.update(data),
            Err(end) => self.bytes(file, hasher, offset, end),
        }
    }

    fn bytes(&mut self, file: &OpenFile, hasher: &mut Sha256, mut from: u64, to: u64) {
        while from < to && !self.short {
            let n = (to - from).min(256 << 10) as usize;
            self.buf.resize(n, 0);
            self.any = true;
            match file.read_at(&mut self.buf, from) {
                Ok(()) => hasher.update(&self.buf),
                Err(_) => self.short = true,
            }
            from += n as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Digest256, FileDigest};
    use crate::source::input::{Block, BlockReader};
    use sha2::{Digest, Sha256};
    use std::path::Path;

    /// The blocks of a file read with the digest left to the blocks.
    fn read(path: &Path, block_size: usize, max_record: usize) -> (BlockReader, Vec<Block>) {
        let mut reader = BlockReader::open(path.to_str().unwrap(), block_size).unwrap();
        reader.set_max_record(max_record);
        reader.defer_digest();
        let mut diags = Vec::new();
        let mut blocks = Vec::new();
        while let Some(b) = reader.next_block(&mut diags).unwrap() {
            blocks.push(b);
        }
        (reader, blocks)
    }

    /// Hands back the blocks in `order` (indexes into `blocks`; those left out are never
    /// handed back) and finishes. `now`: each is offered to `hash_now` first, as a
    /// thread does when it takes the block.
    fn digest(reader: &BlockReader, blocks: Vec<Block>, order: &[usize], now: bool) -> Digest256 {
        let file = reader.open_file().unwrap().clone();
        let d = FileDigest::new(file);
        let mut blocks: Vec<Option<Block>> = blocks.into_iter().map(Some).collect();
        let mut done = Vec::new();
        for &k in order {
            let b = blocks[k].take().unwrap();
            let o = b.origin.as_ref().unwrap();
            if now && d.hash_now(o.from, o.offset, &b.data, &mut done) {
                done.push(b.data);
            } else {
                d.add(o.from, o.offset, b.data, &mut done);
            }
        }
        assert!(done.len() <= order.len());
        d.finish(reader.bytes_read())
    }

    fn hex(d: Digest256) -> String {
        match d {
            Digest256::Hex(h) => h,
            Digest256::Changed => "changed".into(),
            Digest256::Lost => "lost".into(),
        }
    }

    fn ldif(n: usize) -> String {
        (0..n)
            .map(|i| format!("dn: CN=u{i},DC=corp,DC=example\nobjectClass: user\ncn: u{i}\n\n"))
            .collect()
    }

    #[test]
    fn blocks_handed_back_in_any_order_give_the_file_digest() {
        let dir = tempfile::tempdir().unwrap();
        let huge = format!("description: {}\n", "z".repeat(40_000));
        let cases = [
            ("plain.ldif", ldif(300).into_bytes()),
            (
                "bom.ldif",
                [&[0xef, 0xbb, 0xbf][..], ldif(300).as_bytes()].concat(),
            ),
            // Records over the limit are in no block, one of them at the end.
            (
                "oversized.ldif",
                format!(
                    "{}dn: cn=big\n{huge}{huge}\n{}dn: cn=last\n{huge}",
                    ldif(50),
                    ldif(50)
                )
                .into_bytes(),
            ),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let want = crate::text::hex(&Sha256::digest(&bytes));
            for block_size in [64, 1000, 1 << 20] {
                let (reader, blocks) = read(&path, block_size, 8192);
                assert!(reader.digest_deferred(), "{name}");
                let n = blocks.len();
                let forward: Vec<usize> = (0..n).collect();
                // Backwards: every block waits for the first, more than are kept.
                let backward: Vec<usize> = (0..n).rev().collect();
                // Pairs swapped, the way two threads finish.
                let swapped: Vec<usize> = (0..n)
                    .map(|k| {
                        if k % 2 == 0 {
                            (k + 1).min(n - 1)
                        } else {
                            k - 1
                        }
                    })
                    .collect();
                let mut swapped = swapped;
                swapped.dedup();
                // One block never handed back (its bytes are read again).
                let missing: Vec<usize> = (0..n).filter(|&k| k != n / 2).collect();
                for (order, now) in [&forward, &backward, &swapped, &missing]
                    .into_iter()
                    .flat_map(|o| [(o, false), (o, true)])
                {
                    let (reader, blocks) = read(&path, block_size, 8192);
                    assert_eq!(
                        hex(digest(&reader, blocks, order, now)),
                        want,
                        "{name} {block_size} {now} {order:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_file_changed_while_read_gives_no_digest_when_its_bytes_are_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ldif");
        let bytes = ldif(300).into_bytes();
        std::fs::write(&path, &bytes).unwrap();
        let want = crate::text::hex(&Sha256::digest(&bytes));
        // Every block handed back: the digest is of the bytes scanned, whatever the
        // file holds now.
        let shorten = || {
            let f = std::fs::OpenOptions::new().append(true).open(&path);
            f.unwrap().set_len(10).unwrap();
        };
        let (reader, blocks) = read(&path, 1000, 8192);
        let n = blocks.len();
        shorten();
        assert_eq!(
            hex(digest(&reader, blocks, &(0..n).collect::<Vec<_>>(), true)),
            want
        );
        // A block to read again, from a file now shorter.
        std::fs::write(&path, &bytes).unwrap();
        let (reader, blocks) = read(&path, 1000, 8192);
        shorten();
        assert!(matches!(
            digest(&reader, blocks, &[0, 2], true),
            Digest256::Changed
        ));
        // Or written to, same length.
        std::fs::write(&path, &bytes).unwrap();
        let (reader, blocks) = read(&path, 1000, 8192);
        std::fs::write(&path, bytes.to_ascii_uppercase()).unwrap();
        assert!(matches!(
            digest(&reader, blocks, &[1], false),
            Digest256::Changed
        ));
    }
}
