//! Findings written a window at a time: each window's text is made in parallel (a task
//! per chunk of findings) while the window before it is written out, so a big report's
//! serialising and writing overlap and its text in memory stays two windows'.

use super::RenderError;
use rayon::prelude::*;
use std::io::Write;

/// Items whose text is made before any of it is written.
pub(crate) const WINDOW: usize = 4096;
/// Items one task turns into text.
pub(crate) const CHUNK: usize = 128;

/// Writes `text(first, chunk)` for consecutive chunks of `items`, in order; `first` is the
/// index of the chunk's first item.
pub(crate) fn write<T: Sync>(
    items: &[T],
    out: &mut dyn Write,
    text: impl Fn(usize, &[T]) -> Result<Vec<u8>, RenderError> + Sync,
) -> Result<(), RenderError> {
    write_by(items, WINDOW, out, text)
}

/// [`write`] with windows of `window` items (a multiple of [`CHUNK`] keeps every task
/// full): items with long texts (a SARIF result is about 2.5 KB) take smaller windows,
/// so that the two windows in memory stay small beside the scan's own memory.
pub(crate) fn write_by<T: Sync>(
    items: &[T],
    window: usize,
    out: &mut dyn Write,
    text: impl Fn(usize, &[T]) -> Result<Vec<u8>, RenderError> + Sync,
) -> Result<(), RenderError> {
    let window = window.max(1);
    let windows = items.len().div_ceil(window);
    let make = |w: usize| -> Result<Vec<Vec<u8>>, RenderError> {
        let start = w * window;
        items[start..items.len().min(start + window)]
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| text(start + c * CHUNK, chunk))
            .collect()
    };
    let mut ready: Vec<Vec<u8>> = Vec::new();
    for w in 0..=windows {
        let mut next = None;
        // In place: `out` (standard output's lock) need not move to another thread.
        let written = rayon::in_place_scope(|s| {
            if w < windows {
                s.spawn(|_| next = Some(make(w)));
            }
            ready.iter().try_for_each(|t| out.write_all(t))
        });
        written?;
        ready = match next {
            Some(made) => made?,
            None => Vec::new(),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `0..n` through windows of `window` items, checking each chunk it is given.
    fn written(n: usize, window: usize) -> String {
        let items: Vec<usize> = (0..n).collect();
        let mut out = Vec::new();
        write_by(&items, window, &mut out, |first, chunk| {
            assert_eq!(chunk[0], first);
            assert!(chunk.len() <= window.min(CHUNK));
            Ok(chunk
                .iter()
                .map(|i| format!("{i}\n"))
                .collect::<String>()
                .into_bytes())
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_item_is_written_once_in_order() {
        let sizes = [
            0,
            1,
            CHUNK - 1,
            CHUNK,
            WINDOW,
            WINDOW + 1,
            3 * WINDOW + CHUNK + 7,
        ];
        let small = [1, CHUNK - 1, CHUNK, 2 * CHUNK];
        let cases = sizes
            .iter()
            .map(|&n| (n, WINDOW))
            .chain(small.iter().map(|&w| (5 * CHUNK + 3, w)));
        for (n, window) in cases {
            let expected: String = (0..n).map(|i| format!("{i}\n")).collect();
            assert_eq!(
                written(n, window),
                expected,
                "{n} items, windows of {window}"
            );
        }
    }

    #[test]
    fn the_first_failure_is_the_error() {
        let items: Vec<usize> = (0..3 * WINDOW).collect();
        let mut out = Vec::new();
        let failed = write(&items, &mut out, |first, chunk| {
            if first == WINDOW + CHUNK {
                return Err(RenderError::Write(std::io::Error::other("chunk failed")));
            }
            Ok(vec![b'x'; chunk.len()])
        });
        assert!(matches!(failed, Err(RenderError::Write(e)) if e.to_string() == "chunk failed"));
        // The first window was written; nothing after the failing one.
        assert_eq!(out.len(), WINDOW);
    }
}
