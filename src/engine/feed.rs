//! How the scanning threads get an input's blocks. A file is read by those threads
//! themselves, one at a time behind a lock, so `--threads N` is N threads in all. A pipe,
//! FIFO or terminal gets a thread of its own that reads ahead (up to one block per
//! scanning thread): its producer (`zcat`, an export tool) writes only as fast as it is
//! read and must not wait for a scanning thread to come free.
//!
//! A file's SHA-256 is taken from the blocks as the threads hand them back, outside the
//! reader's lock ([`crate::source::digest`]); a pipe's is taken by its reading thread.

use crate::model::{Diagnostic, DiagnosticLevel};
use crate::source::digest::{Digest256, FileDigest};
use crate::source::input::{Block, BlockReader, Buffer};
use std::io;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Progress = Option<Arc<dyn Fn(u64) + Send + Sync>>;

/// A reader and what reading it gave besides blocks.
struct Reading {
    reader: BlockReader,
    /// What the reader noticed (cut-off records, say).
    diags: Vec<Diagnostic>,
    /// How reading ended, once it has (still `None` after a panic).
    result: Option<io::Result<()>>,
    /// Reading panicked (a bug): nothing more is read, and the input is reported as
    /// failed, as when the read-ahead thread dies.
    panicked: bool,
}

/// An input read to its end: the reader (its byte count), the input's SHA-256, what it
/// noticed, and how reading ended.
pub(super) struct Finished {
    pub reader: BlockReader,
    /// Lowercase hex; `None` when the file changed while it was read (a diagnostic
    /// says so).
    pub sha256: Option<String>,
    pub diags: Vec<Diagnostic>,
    pub result: io::Result<()>,
}

/// Where a block's bytes were in the file ([`crate::source::input::Origin`]'s `from` and
/// `offset`), when the digest is still owed them.
pub(super) type Owed = Option<(u64, u64)>;

/// A block a thread is done with: its buffer, and what [`Feed::next`] said of it.
pub(super) type Spent = (Buffer, Owed);

impl Reading {
    fn new(reader: BlockReader) -> Reading {
        Reading {
            reader,
            diags: Vec::new(),
            result: None,
            panicked: false,
        }
    }

    /// The next block; `None` once the input has ended or failed.
    fn next(&mut self, progress: &Progress) -> Option<Block> {
        if self.result.is_some() {
            return None;
        }
        match self.reader.next_block(&mut self.diags) {
            Ok(Some(block)) => {
                if let Some(p) = progress {
                    p(block.data.len() as u64);
                }
                Some(block)
            }
            Ok(None) => {
                self.result = Some(Ok(()));
                None
            }
            Err(e) => {
                self.result = Some(Err(e));
                None
            }
        }
    }
}

enum Source {
    /// Read by the scanning threads.
    Shared(Box<Reading>),
    /// Read ahead by a thread of its own.
    Ahead {
        blocks: Receiver<Block>,
        spent: Sender<Buffer>,
        thread: JoinHandle<Reading>,
    },
}

/// The blocks of one input, for the threads that scan it.
pub(super) struct Feed {
    source: Mutex<Source>,
    progress: Progress,
    /// A file's SHA-256, from the blocks handed back.
    digest: Option<FileDigest>,
    /// Buffers hashed after a block was taken, for the reader the next time its lock is
    /// taken (not a second time for them).
    hashed: Mutex<Vec<Buffer>>,
}

/// The read-ahead thread ended in a panic (a bug).
#[derive(Debug)]
pub(super) struct ReaderFailed;

impl Feed {
    /// `ahead`: how many blocks a read-ahead thread may have waiting.
    pub fn new(mut reader: BlockReader, ahead: usize, progress: Progress) -> Feed {
        let mut digest = None;
        let source = if reader.paced_by_producer() {
            let (tx, blocks) = sync_channel::<Block>(ahead.max(1));
            let (spent, spent_rx) = channel::<Buffer>();
            let progress = progress.clone();
            let thread = std::thread::spawn(move || {
                let mut reading = Reading::new(reader);
                loop {
                    while let Ok(buf) = spent_rx.try_recv() {
                        reading.reader.recycle(buf);
                    }
                    let Some(block) = reading.next(&progress) else {
                        break;
                    };
                    // The scanning threads are gone only once the scan is over.
                    if tx.send(block).is_err() {
                        break;
                    }
                }
                reading
            });
            Source::Ahead {
                blocks,
                spent,
                thread,
            }
        } else {
            if let Some(file) = reader.open_file() {
                digest = Some(FileDigest::new(file.clone()));
                reader.defer_digest();
            }
            Source::Shared(Box::new(Reading::new(reader)))
        };
        Feed {
            source: Mutex::new(source),
            progress,
            digest,
            hashed: Mutex::new(Vec::new()),
        }
    }

    /// The next block, after handing back the block a thread is done with; `None` once
    /// the input has ended or failed. A block's bytes are hashed at once when they come
    /// next (still in the cache); otherwise the digest is owed them when the block is
    /// handed back.
    pub fn next(&self, spent: Option<Spent>) -> Option<(Block, Owed)> {
        let mut done = Vec::new();
        let block = self.read(spent, &mut done)?;
        let Some((digest, o)) = self.digest.as_ref().zip(block.origin.as_ref()) else {
            return Some((block, None));
        };
        let owed = !digest.hash_now(o.from, o.offset, &block.data, &mut done);
        if !done.is_empty() {
            self.hashed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut done);
        }
        let place = (o.from, o.offset);
        Some((block, owed.then_some(place)))
    }

    /// The next block from the reader.
    fn read(&self, spent: Option<Spent>, done: &mut Vec<Buffer>) -> Option<Block> {
        // Hashed before the reader's lock is taken: other threads read meanwhile.
        if let Some((buf, owed)) = spent {
            match (&self.digest, owed) {
                (Some(digest), Some((from, offset))) => digest.add(from, offset, buf, done),
                _ => done.push(buf),
            }
        }
        // A poisoned lock means another thread panicked; the panic ends the scan anyway.
        let mut source = self.source.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *source {
            Source::Shared(reading) => {
                if reading.panicked {
                    return None;
                }
                done.append(&mut self.hashed.lock().unwrap_or_else(|e| e.into_inner()));
                for buf in done.drain(..) {
                    reading.reader.recycle(buf);
                }
                // A panic while reading fails this input only, as it did on a reader
                // thread of its own; the reader is not used again.
                let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    reading.next(&self.progress)
                }));
                next.unwrap_or_else(|_| {
                    reading.panicked = true;
                    None
                })
            }
            Source::Ahead { blocks, spent, .. } => {
                for buf in done.drain(..) {
                    // The reader is gone only once the input has ended.
                    let _ = spent.send(buf);
                }
                blocks.recv().ok()
            }
        }
    }

    /// The reader once every block has been taken; an error if reading panicked or
    /// stopped before the input ended.
    pub fn finish(self) -> Result<Finished, ReaderFailed> {
        let reading = match self.source.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Source::Shared(reading) => *reading,
            Source::Ahead {
                blocks,
                spent,
                thread,
            } => {
                // Closing the channels releases a reader still waiting to send.
                drop((blocks, spent));
                thread.join().map_err(|_| ReaderFailed)?
            }
        };
        // A panic leaves no result.
        let result = reading.result.ok_or(ReaderFailed)?;
        let mut diags = reading.diags;
        let reader = reading.reader;
        let sha256 = if result.is_err() {
            // A failed input is not reported: nothing to hash.
            None
        } else {
            sha256_of(self.digest, &reader, &mut diags)
        };
        Ok(Finished {
            reader,
            sha256,
            diags,
            result,
        })
    }
}

/// The input's SHA-256: from the blocks if the reader left it to them, else the
/// reader's; `None`, with a warning in `diags`, when the blocks could not give it.
fn sha256_of(
    digest: Option<FileDigest>,
    reader: &BlockReader,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let Some(digest) = digest.filter(|_| reader.digest_deferred()) else {
        return Some(reader.sha256_hex());
    };
    let why = match digest.finish(reader.bytes_read()) {
        Digest256::Hex(hex) => return Some(hex),
        Digest256::Changed => "the file changed while it was read",
        Digest256::Lost => "hashing stopped on an internal error",
    };
    diags.push(Diagnostic {
        level: DiagnosticLevel::Warning,
        file: reader.name().to_string(),
        line: 0,
        column: 0,
        message: format!("{why}: its SHA-256 is not given"),
        limit: None,
    });
    None
}

#[cfg(test)]
#[cfg(target_os = "linux")] // the pipe is opened by its /proc path
mod tests {
    use super::Feed;
    use crate::source::input::BlockReader;
    use std::os::fd::AsRawFd;

    fn ldif() -> Vec<u8> {
        (0..3000)
            .map(|i| format!("dn: CN=u{i},DC=corp,DC=example\nobjectClass: user\ncn: u{i}\n\n"))
            .collect::<String>()
            .into_bytes()
    }

    /// Every block once, in input order, whatever thread takes it; then the reader.
    fn drain(feed: Feed) -> (Vec<u8>, super::Finished) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut blocks: Vec<(usize, Vec<u8>)> = pool
            .broadcast(|_| {
                let mut got = Vec::new();
                let mut spent = None;
                while let Some((b, owed)) = feed.next(spent.take()) {
                    got.push((b.index, b.data.to_vec()));
                    spent = Some((b.data, owed));
                }
                got
            })
            .into_iter()
            .flatten()
            .collect();
        blocks.sort();
        let bytes = blocks.into_iter().flat_map(|(_, d)| d).collect();
        (bytes, feed.finish().unwrap())
    }

    #[test]
    fn a_pipe_is_read_ahead_and_a_file_by_the_scanning_threads_with_the_same_blocks() {
        let data = ldif();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ldif");
        std::fs::write(&path, &data).unwrap();
        let file = BlockReader::open(path.to_str().unwrap(), 4096).unwrap();
        assert!(!file.paced_by_producer());
        let (from_file, reading) = drain(Feed::new(file, 2, None));
        assert_eq!(from_file, data);
        assert!(reading.result.is_ok());
        // Taken from the blocks handed back, not by the reader.
        assert!(reading.reader.digest_deferred());
        let file_sha = reading.sha256.clone().unwrap();
        use sha2::Digest;
        assert_eq!(file_sha, crate::text::hex(&sha2::Sha256::digest(&data)));

        // The pipe from a child's standard output (`std::io::pipe` is newer than the
        // crate's minimum Rust).
        let mut child = std::process::Command::new("cat")
            .arg(&path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let pipe = BlockReader::open(&format!("/proc/self/fd/{}", out.as_raw_fd()), 4096).unwrap();
        drop(out);
        assert!(pipe.paced_by_producer());
        let (from_pipe, reading) = drain(Feed::new(pipe, 2, None));
        assert!(child.wait().unwrap().success());
        assert_eq!(from_pipe, data);
        assert!(reading.result.is_ok());
        assert!(!reading.reader.digest_deferred());
        assert_eq!(reading.sha256, Some(file_sha));
    }
}
