//! `pattern`: a finding when the value matches a regex (or, with `must_match`, does not).

use super::{CheckContext, ValueCheck};
use regex::Regex;

#[derive(Debug, Clone)]
pub struct Pattern {
    pub regex: Regex,
    pub must_match: bool,
    /// Clones of `regex` for the scanning threads, by thread index. Each clone has its
    /// own pool of search caches, and the first thread to use a pool takes its cache
    /// without a lock; one regex shared by the threads makes all but one lock its pool
    /// twice per search (rust-lang/regex#934), about 1 % of a scan.
    per_thread: Box<[Regex]>,
}

/// Scanning threads with a clone of their own (more threads share them).
const CLONES: usize = 16;

impl Pattern {
    pub fn new(regex: Regex, must_match: bool) -> Pattern {
        Pattern {
            per_thread: vec![regex.clone(); CLONES].into_boxed_slice(),
            regex,
            must_match,
        }
    }

    /// The regex for this thread: a rayon worker's clone, or the shared one.
    fn for_thread(&self) -> &Regex {
        rayon::current_thread_index()
            .and_then(|i| self.per_thread.get(i % CLONES))
            .unwrap_or(&self.regex)
    }
}

impl ValueCheck for Pattern {
    fn check(&self, value: &str, _ctx: &CheckContext) -> Option<String> {
        if self.for_thread().is_match(value) == self.must_match {
            return None;
        }
        Some(if self.must_match {
            format!("does not match `{}`", self.regex.as_str())
        } else {
            format!("matches `{}`", self.regex.as_str())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    /// Every thread (rayon workers of pools of any size, and threads outside them) gets
    /// the answer of the shared regex, and the message names the pattern as written.
    #[test]
    fn every_thread_matches_as_the_shared_regex() {
        let ctx = CheckContext {
            accepted_domains: &[],
        };
        let p = Pattern::new(Regex::new(r"^[A-Za-z0-9][A-Za-z0-9_-]*:").unwrap(), true);
        let values: Vec<String> = (0..2000)
            .map(|i| match i % 4 {
                0 => format!("smtp:u{i}@contoso.com"),
                1 => format!("u{i}@contoso.com"),
                2 => format!("X500:/o=Org/cn=u{i}"),
                _ => format!(":{i}"),
            })
            .collect();
        let want: Vec<bool> = values.iter().map(|v| p.regex.is_match(v)).collect();
        assert_eq!(want.iter().filter(|&&m| m).count(), 1000);
        for threads in [1, 3, 2 * CLONES + 1] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got: Vec<bool> = pool.install(|| {
                values
                    .par_iter()
                    .map(|v| p.check(v, &ctx).is_none())
                    .collect()
            });
            assert_eq!(got, want, "{threads} threads");
        }
        let outside = std::thread::scope(|s| s.spawn(|| p.check("u@x", &ctx)).join().unwrap());
        assert_eq!(
            outside.as_deref(),
            Some("does not match `^[A-Za-z0-9][A-Za-z0-9_-]*:`")
        );
    }
}
