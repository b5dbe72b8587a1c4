//! The rule engine: record-aligned blocks are parsed and checked in parallel (rayon)
//! while the reader streams; each entry is dropped once checked. Only the uniqueness
//! index (values and the DNs of their holders) outlives the stream; duplicates and the
//! uniqueness of suggestions are resolved after it ends.
//!
//! Stages, one file each: `decode` (the values rules read), `evaluate` (scope, value
//! checks, uniqueness holders, suggestions from [`crate::fixes`]), `part` (what a block
//! leaves behind), [`index`] and `resolve` (duplicates, suggestion uniqueness),
//! `assemble` (sorted findings and the summary). This file drives the stream.

mod assemble;
mod decode;
mod evaluate;
mod feed;
pub mod index;
mod late;
mod object;
mod part;
mod predict;
mod resolve;

use crate::checks::{Check, CheckContext};
use crate::findings::{InputSummary, Report};
use crate::model::{keep_first, keep_first_at, Diagnostic, DiagnosticLevel, Unlisted};
use crate::rules::{RuleSet, UniquePer};
use crate::source::input::{Block, Buffer};
use crate::source::ldif::LdifParser;
pub use crate::source::{Input, InputError};
use decode::{AttrIndex, Scratch};
use part::Part;

/// How a scan runs.
#[derive(Clone)]
pub struct ScanOptions {
    /// Tenant domains; with them, `domain` rules also flag unaccepted domains and can suggest.
    pub accepted_domains: Vec<String>,
    /// Size of the record-aligned blocks handed to the workers.
    pub block_size: usize,
    /// Called with the number of input bytes consumed, for progress display.
    pub progress: Option<std::sync::Arc<dyn Fn(u64) + Send + Sync>>,
    /// An input that fails (a live source that cannot be reached, say) becomes an error
    /// diagnostic, which marks the report incomplete, and the other inputs are scanned.
    /// Without it the first failing input ends the scan with an [`InputError`].
    pub keep_going: bool,
    /// Sizes past which a record is not checked (and the report is incomplete).
    pub limits: crate::source::Limits,
    /// The sync scope: only objects at or under these DNs (when any) are in scope.
    pub include_ous: Vec<String>,
    /// Objects at or under these DNs are out of scope (exclusion wins over inclusion).
    pub exclude_ous: Vec<String>,
    /// The sync engine the run prepares for (the rule set is already chosen for it;
    /// the summary names it).
    pub target: crate::rules::Target,
    /// The tenant snapshot to predict the first sync against (`--tenant`).
    pub tenant: Option<std::sync::Arc<crate::tenant::TenantIndex>>,
    /// Predictions turned off (`--disable tenant-...`).
    pub disabled_predictions: Vec<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            accepted_domains: Vec::new(),
            block_size: crate::source::input::DEFAULT_BLOCK_SIZE,
            progress: None,
            keep_going: false,
            limits: crate::source::Limits::default(),
            include_ous: Vec::new(),
            exclude_ous: Vec::new(),
            target: crate::rules::Target::default(),
            tenant: None,
            disabled_predictions: Vec::new(),
        }
    }
}

fn ou_keys(dns: &[String]) -> Vec<Vec<String>> {
    dns.iter()
        .map(|d| crate::dn::Dn::parse(d).rdn_keys())
        .filter(|k| !k.is_empty())
        .collect()
}

/// Scans the inputs as one tenant and returns the report.
pub fn scan(inputs: Vec<Input>, rules: &RuleSet, opts: &ScanOptions) -> Result<Report, InputError> {
    let engine = Engine::new(rules, opts);
    let mut parts: Vec<Part> = Vec::new();
    let mut input_summaries = Vec::new();
    let mut diagnostics = Vec::new();
    let mut unlisted = Vec::new();
    for input in inputs {
        let name = input.name.clone();
        match engine.scan_input(input) {
            Ok(mut scanned) => {
                parts.append(&mut scanned.parts);
                input_summaries.push(scanned.summary);
                diagnostics.extend(scanned.diags);
                unlisted.push((name, scanned.unlisted));
            }
            Err(e) if opts.keep_going => {
                // Nothing of a failed input is reported: its findings would be partial.
                input_summaries.push(InputSummary {
                    path: name.clone(),
                    sha256: None,
                    bytes: 0,
                    entries: 0,
                    change_records: 0,
                    snapshot: None,
                });
                diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: name,
                    line: 0,
                    column: 0,
                    message: format!("not scanned: {}", e.message),
                    limit: None,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(engine.finish(parts, input_summaries, diagnostics, unlisted))
}

/// One input scanned: what its blocks left behind, its summary, the diagnostics listed
/// and those only counted.
struct Scanned {
    parts: Vec<Part>,
    summary: InputSummary,
    diags: Vec<Diagnostic>,
    unlisted: Unlisted,
}

/// Per-rule data prepared once per run.
pub(crate) struct Engine<'r> {
    pub(crate) rules: &'r RuleSet,
    pub(crate) accepted: Vec<String>,
    /// Namespace id of each rule (unique rules only).
    pub(crate) rule_ns: Vec<Option<u16>>,
    /// Attribute name -> slot, for the rules' attributes, objectClass and the scope's.
    index: AttrIndex,
    /// Slot of each rule's partner attribute (`keep`, `from`, `same_as`, `fallback`).
    pub(crate) partner_slot: Vec<Option<usize>>,
    /// The sync scope's OUs as RDN keys (see `crate::dn::Dn::rdn_keys`).
    include_ous: Vec<Vec<String>>,
    exclude_ous: Vec<Vec<String>>,
    opts: ScanOptions,
    /// The uniqueness index: every block's holders, handed over as the block ends.
    pub(crate) run_index: std::sync::Mutex<index::RunIndex>,
}

impl<'r> Engine<'r> {
    pub(crate) fn new(rules: &'r RuleSet, opts: &ScanOptions) -> Engine<'r> {
        // A namespace's id is the index of the first rule naming it (the loader keeps
        // rule indexes within u16).
        let mut namespaces: Vec<(&str, u16)> = Vec::new();
        let rule_ns = (0..=u16::MAX)
            .zip(&rules.rules)
            .map(|(ri, r)| match &r.check {
                Check::Unique(u) => {
                    Some(match namespaces.iter().find(|(n, _)| *n == u.namespace) {
                        Some(&(_, id)) => id,
                        None => {
                            namespaces.push((&u.namespace, ri));
                            ri
                        }
                    })
                }
                _ => None,
            })
            .collect();
        let extra: &[(&str, bool)] = if opts.tenant.is_some() {
            predict::ATTRIBUTES
        } else {
            &[]
        };
        let index = AttrIndex::new(rules, extra);
        let partner_slot = rules
            .rules
            .iter()
            .map(|r| match &r.check {
                Check::Single { keep: Some(a) }
                | Check::PresentWhen { from: Some(a), .. }
                | Check::SameAs { attribute: a } => index.lookup(a),
                Check::Unique(u) => u.fallback.as_deref().and_then(|a| index.lookup(a)),
                _ => None,
            })
            .collect();
        Engine {
            rules,
            partner_slot,
            accepted: opts
                .accepted_domains
                .iter()
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .collect(),
            rule_ns,
            include_ous: ou_keys(&opts.include_ous),
            exclude_ous: ou_keys(&opts.exclude_ous),
            index,
            opts: opts.clone(),
            run_index: Default::default(),
        }
    }

    fn ctx(&self) -> CheckContext<'_> {
        CheckContext {
            accepted_domains: &self.accepted,
        }
    }

    /// Why an object of an in-scope class is outside the sync scope, if it is.
    pub(crate) fn outside_sync_scope(&self, dn: &str) -> Option<&'static str> {
        if self.include_ous.is_empty() && self.exclude_ous.is_empty() {
            return None;
        }
        let keys = crate::dn::Dn::parse(dn).rdn_keys();
        if self
            .exclude_ous
            .iter()
            .any(|b| crate::dn::within_keys(&keys, b))
        {
            return Some("excluded-ou");
        }
        if !self.include_ous.is_empty()
            && !self
                .include_ous
                .iter()
                .any(|b| crate::dn::within_keys(&keys, b))
        {
            return Some("outside-sync-scope");
        }
        None
    }

    /// True for a `unique` rule compared per domain.
    pub(crate) fn per_domain(&self, rule: usize) -> bool {
        matches!(&self.rules.rules[rule].check, Check::Unique(u) if u.per == UniquePer::Domain)
    }

    /// For a `unique` rule compared per domain, the domain of the object's DN (its key
    /// prefix in the index); `None` for run-wide namespaces.
    pub(crate) fn unique_domain(&self, rule: usize, dn: &str) -> Option<String> {
        match &self.rules.rules[rule].check {
            Check::Unique(u) if u.per == UniquePer::Domain => Some(crate::dn::domain(dn)),
            _ => None,
        }
    }

    /// Streams one input: each thread of the rayon pool takes the next record-aligned
    /// block (see [`feed`]), parses and checks it. At most one block per thread is in
    /// memory, plus up to one per thread read ahead from a pipe.
    fn scan_input(&self, input: Input) -> Result<Scanned, InputError> {
        let name = input.name.clone();
        let mut reader = input.reader;
        reader.set_max_record(self.opts.limits.max_entry);
        let threads = rayon::current_num_threads();
        let feed = feed::Feed::new(reader, threads, self.opts.progress.clone());
        // One job per pool thread, each taking blocks until the input ends: whichever
        // threads are free run them (a thread busy elsewhere is not waited for).
        let parts = std::sync::Mutex::new(Vec::new());
        // The input's diagnostics, taken over from each block as it ends and kept to the
        // first `max_diagnostics` (see `crate::model::keep_first`).
        let limit = self.opts.limits.max_diagnostics;
        let listed = std::sync::Mutex::new((Vec::new(), Unlisted::default()));
        rayon::in_place_scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|_| {
                    let mut mine = Vec::new();
                    let mut spent: Option<feed::Spent> = None;
                    while let Some((block, owed)) = feed.next(spent.take()) {
                        let (mut part, buf) = self.check_block(&name, block);
                        if !part.diags.is_empty() || part.unlisted.total() > 0 {
                            let mut listed = listed.lock().unwrap_or_else(|e| e.into_inner());
                            let (diags, unlisted) = &mut *listed;
                            diags.append(&mut part.diags);
                            // The part lives to the end of the run: not with the
                            // capacity of an emptied list.
                            part.diags = Vec::new();
                            unlisted.add(&std::mem::take(&mut part.unlisted));
                            if diags.len() >= keep_first_at(limit) {
                                keep_first(diags, limit, unlisted);
                            }
                        }
                        mine.push(part);
                        spent = Some((buf, owed));
                    }
                    parts
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .append(&mut mine);
                });
            }
        });
        let mut parts: Vec<Part> = parts.into_inner().unwrap_or_else(|e| e.into_inner());
        let feed::Finished {
            reader,
            sha256,
            diags: reader_diags,
            result,
        } = feed.finish().map_err(|feed::ReaderFailed| InputError {
            input: name.clone(),
            message: "reading stopped on an internal error".into(),
        })?;
        result.map_err(|e| InputError {
            input: name.clone(),
            message: match e
                .get_ref()
                .and_then(|x| x.downcast_ref::<crate::source::ldap::LiveError>())
            {
                // A live source's own one-line message (it names what failed).
                Some(live) => crate::source::ldap::one_line(&live.to_string()),
                None => format!("read error: {e}"),
            },
        })?;
        parts.sort_by_key(|p| p.block);
        let (mut diags, mut unlisted) = listed.into_inner().unwrap_or_else(|e| e.into_inner());
        diags.extend(reader_diags);
        keep_first(&mut diags, limit, &mut unlisted);
        let entries = parts.iter().map(|p| p.counts.objects_read).sum();
        let change_records = parts
            .iter()
            .map(|p| p.counts.change.values().sum::<u64>())
            .sum();
        let summary = InputSummary {
            path: name,
            sha256,
            bytes: reader.bytes_read(),
            entries,
            change_records,
            snapshot: None,
        };
        Ok(Scanned {
            parts,
            summary,
            diags,
            unlisted,
        })
    }

    /// Parses and checks one block; returns what it leaves behind and the block's buffer.
    fn check_block(&self, name: &str, block: Block) -> (Part, Buffer) {
        let mut part = Part {
            // Shared by every finding of the block.
            file: name.into(),
            block: block.index,
            origin: block.origin,
            ..Default::default()
        };
        let mut parser = LdifParser::new(name, &block.data, block.first_line, block.at_start);
        parser.set_max_line(self.opts.limits.max_line);
        parser.set_max_entry(self.opts.limits.max_entry);
        let limit = self.opts.limits.max_diagnostics;
        parser.set_max_diagnostics(limit);
        part.max_diags = Some(limit);
        let block_text = parser.block_text();
        let mut diags = Vec::new();
        let mut scratch = Scratch::default();
        // An entry waits for the modify records that follow it: ldifde writes the values
        // of a big attribute (a group's members) as `add:` modifications of the same DN
        // after the entry's record, and those values are the entry's for every rule.
        // The block cutter keeps such records in the entry's block.
        let mut held: Option<crate::model::Entry> = None;
        while let Some(entry) = parser.next_entry(&mut diags) {
            if let Some(h) = held.as_mut() {
                if entry.only_adds && crate::dn::same_dn(&h.dn, &entry.dn) {
                    h.attrs.extend(entry.attrs);
                    continue;
                }
            }
            if let Some(h) = held.take() {
                scratch = self.check_entry(&block_text, &h, name, &mut part, scratch);
                parser.recycle(h.attrs);
            }
            if entry.changetype == crate::model::ChangeType::Add {
                held = Some(entry);
            } else {
                scratch = self.check_entry(&block_text, &entry, name, &mut part, scratch);
                parser.recycle(entry.attrs);
            }
        }
        if let Some(h) = held {
            self.check_entry(&block_text, &h, name, &mut part, scratch);
        }
        part.diags.append(&mut diags);
        part.unlisted.add(&parser.unlisted());
        keep_first(&mut part.diags, limit, &mut part.unlisted);
        // What a block leaves behind lives until the end of the run: no growth slack.
        part.arena.pack();
        part.values.pack();
        part.messages = Default::default();
        let objects = part.objects.len();
        // A poisoned lock means a worker panicked while holding it; the list is whole.
        let mut index = self.run_index.lock().unwrap_or_else(|e| e.into_inner());
        part.first_obj = index.take(&mut part.holders, objects);
        part.objects.shrink_to_fit();
        part.pending.shrink_to_fit();
        (part, block.data)
    }
}

/// Reorders `v` in place so that position i holds what was at `order[i]` (`order` is a
/// permutation of the positions, used up on the way). Each element moves once.
pub(crate) fn permute<T>(v: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for i in 0..v.len() {
        let mut j = i;
        loop {
            let k = order[j];
            if k == DONE {
                break;
            }
            order[j] = DONE;
            if k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{scan, Input, ScanOptions};
    use std::sync::{Arc, Mutex};

    /// A file's blocks are read on the threads that check them: a one-thread pool runs
    /// the whole scan on its one thread, and a two-thread pool on its two, with the same
    /// report.
    #[test]
    fn a_scan_runs_on_the_pool_threads_and_no_other() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let ldif: String = (0..400)
            .map(|i| {
                format!(
                    "dn: CN=u{i},OU=People,DC=corp,DC=example\nobjectClass: user\n\
                     userPrincipalName: u{}@corp.example\n\n",
                    i % 300
                )
            })
            .collect();
        let run = |threads: usize| {
            let seen = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
            let opts = ScanOptions {
                block_size: 512,
                progress: Some({
                    let seen = seen.clone();
                    Arc::new(move |_| {
                        seen.lock().unwrap().insert(rayon::current_thread_index());
                    })
                }),
                ..Default::default()
            };
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let input = Input::from_bytes("t.ldif", ldif.clone().into_bytes(), opts.block_size);
            let report = pool.install(|| scan(vec![input], &rules, &opts)).unwrap();
            let seen = seen.lock().unwrap().clone();
            (seen, serde_json::to_string(&report.findings).unwrap())
        };
        let (one, report_one) = run(1);
        assert_eq!(one.into_iter().collect::<Vec<_>>(), [Some(0)]);
        let (two, report_two) = run(2);
        assert!(two.iter().all(|t| matches!(t, Some(0 | 1))), "{two:?}");
        assert!(report_one.contains("u0@corp.example"));
        assert_eq!(report_one, report_two);
    }

    /// A file written to while it is read gives no sha256 when bytes had to be read
    /// again for it (here its BOM), says so, and is otherwise reported as read.
    #[test]
    fn a_file_written_to_while_read_has_no_sha256_and_a_warning() {
        use sha2::Digest;
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let mut ldif = b"\xef\xbb\xbf".to_vec();
        for i in 0..400 {
            ldif.extend(
                format!(
                    "dn: CN=u{i},OU=People,DC=corp,DC=example\nobjectClass: user\n\
                     userPrincipalName: u{i}@corp.example\n\n"
                )
                .bytes(),
            );
        }
        // A modify record for an object that is not in the file: counted, not joined.
        ldif.extend(
            b"dn: CN=gone,DC=corp,DC=example\nchangetype: modify\nadd: mail\nmail: a@b\n-\n\n",
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ldif");
        std::fs::write(&path, &ldif).unwrap();
        let name = path.to_str().unwrap().to_string();
        let run = |touch: bool| {
            let touched = path.clone();
            let opts = ScanOptions {
                block_size: 4096,
                // Each block read: a write that leaves the bytes as they were.
                progress: Some(Arc::new(move |_| {
                    if touch {
                        std::fs::File::options()
                            .write(true)
                            .open(&touched)
                            .unwrap()
                            .set_modified(std::time::SystemTime::UNIX_EPOCH)
                            .unwrap();
                    }
                })),
                ..Default::default()
            };
            let input = Input::open(&name, opts.block_size).unwrap();
            scan(vec![input], &rules, &opts).unwrap()
        };
        let untouched = run(false);
        let touched = run(true);
        let want = crate::text::hex(&sha2::Sha256::digest(&ldif));
        assert_eq!(untouched.summary.inputs[0].sha256.as_deref(), Some(&*want));
        assert!(
            untouched.diagnostics.is_empty(),
            "{:?}",
            untouched.diagnostics
        );
        let i = &touched.summary.inputs[0];
        assert_eq!(i.sha256, None);
        assert_eq!((i.entries, i.change_records), (400, 1));
        assert_eq!(i.bytes, ldif.len() as u64);
        let warned: Vec<_> = touched
            .diagnostics
            .iter()
            .filter(|d| d.message == "the file changed while it was read: its SHA-256 is not given")
            .collect();
        assert_eq!(warned.len(), 1, "{:?}", touched.diagnostics);
        assert_eq!(warned[0].file, name);
        assert_eq!(
            serde_json::to_string(&untouched.findings).unwrap(),
            serde_json::to_string(&touched.findings).unwrap()
        );
    }

    #[test]
    fn permute_puts_each_element_where_the_order_says() {
        for order in [
            vec![],
            vec![0],
            vec![2, 0, 1],
            vec![1, 0, 3, 2, 4],
            vec![4, 3, 2, 1, 0, 5],
        ] {
            let mut v: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            super::permute(&mut v, &mut order.clone());
            assert_eq!(
                v,
                order.iter().map(|i| i * 10).collect::<Vec<_>>(),
                "{order:?}"
            );
        }
    }

    /// Reads a few records, then panics (a bug in a reader, say).
    struct Flaky(usize);
    impl std::io::Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0 += 1;
            assert!(self.0 < 20, "flaky reader");
            let rec = b"dn: CN=a,DC=corp,DC=example\nobjectClass: user\n\n";
            let n = rec.len().min(buf.len());
            buf[..n].copy_from_slice(&rec[..n]);
            Ok(n)
        }
    }

    /// A panic while reading fails that input, whatever the threads, and `keep_going`
    /// scans the others.
    #[test]
    fn a_reader_that_panics_fails_its_input_only() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let flaky = || Input {
                name: "flaky.ldif".into(),
                reader: crate::source::input::BlockReader::from_reader(
                    "flaky.ldif",
                    Box::new(Flaky(0)),
                    64,
                ),
            };
            let opts = ScanOptions::default();
            let err = pool
                .install(|| scan(vec![flaky()], &rules, &opts))
                .err()
                .unwrap();
            assert_eq!(err.input, "flaky.ldif");
            assert_eq!(err.message, "reading stopped on an internal error");
            let opts = ScanOptions {
                keep_going: true,
                ..Default::default()
            };
            let ok = Input::from_bytes(
                "ok.ldif",
                b"dn: CN=b,DC=corp,DC=example\nobjectClass: user\n".to_vec(),
                64,
            );
            let report = pool
                .install(|| scan(vec![flaky(), ok], &rules, &opts))
                .unwrap();
            assert!(report.summary.incomplete);
            assert_eq!(report.summary.inputs[1].entries, 1);
            assert!(report.diagnostics.iter().any(|d| d.file == "flaky.ldif"
                && d.message == "not scanned: reading stopped on an internal error"));
        }
    }

    /// The scan takes whichever pool threads are free: a thread busy until the scan ends
    /// is not waited for.
    #[test]
    fn a_scan_does_not_wait_for_a_busy_pool_thread() {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rules = crate::rules::RuleSet::builtin().unwrap();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap();
            let found = pool.install(|| {
                let (tx, rx) = std::sync::mpsc::channel::<()>();
                rayon::scope(|s| {
                    s.spawn(move |_| {
                        let _ = rx.recv();
                    });
                    let input = Input::from_bytes(
                        "t.ldif",
                        b"dn: CN=a,DC=corp,DC=example\nobjectClass: user\n".to_vec(),
                        64,
                    );
                    let report = scan(vec![input], &rules, &ScanOptions::default());
                    let _ = tx.send(());
                    report.map(|r| r.summary.objects_read)
                })
            });
            let _ = done_tx.send(found.ok());
        });
        let found = done_rx.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(found, Ok(Some(1)), "the scan waited for the busy thread");
    }

    /// Duplicates found in a file read by path (values, DNs and objectGUIDs kept as
    /// places in the file and read back) are those found in the same bytes from memory,
    /// where every text is kept as its bytes; a file written to
    /// between the scan and the read-back is told, and no value read from it after the
    /// write is reported, even one whose uniqueness key did not change.
    #[cfg(unix)]
    #[test]
    fn values_read_back_from_the_file_unless_it_changed() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        // Binary values (`::` base64 text) are kept as places too.
        let sid = |rid: u32| {
            use base64::Engine as _;
            let mut b = vec![
                1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
            ];
            b.extend_from_slice(&rid.to_le_bytes());
            base64::engine::general_purpose::STANDARD.encode(b)
        };
        let ldif: String = (0..300)
            .map(|i| {
                format!(
                    "dn: CN=u{i},OU=People,DC=corp,DC=example\nobjectClass: user\n\
                     userPrincipalName: u{}@corp.example\n\
                     proxyAddresses: smtp:p{}@corp.example\nobjectSid:: {}\n\n",
                    i % 200,
                    i % 250,
                    sid(i % 260),
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ldif");
        std::fs::write(&path, &ldif).unwrap();
        let path = path.to_str().unwrap();
        let opts = ScanOptions {
            block_size: 512,
            ..Default::default()
        };
        let findings =
            |report: &crate::findings::Report| serde_json::to_string(&report.findings).unwrap();
        let from_memory = Input::from_bytes(path, ldif.clone().into_bytes(), opts.block_size);
        let from_memory = scan(vec![from_memory], &rules, &opts).unwrap();
        let by_path = scan(vec![Input::open(path, 512).unwrap()], &rules, &opts).unwrap();
        assert!(findings(&by_path).contains("u199@corp.example"));
        assert!(findings(&by_path).contains("smtp:p10@corp.example"));
        assert!(findings(&by_path).contains(&sid(10)));
        assert_eq!(findings(&by_path), findings(&from_memory));
        assert!(by_path.diagnostics.is_empty(), "{:?}", by_path.diagnostics);

        // Every UPN is rewritten after the scan, before the read-back, in its case only
        // (the uniqueness keys, and their hashes, stay the same): what was read from the
        // file after the write is not used, neither the UPNs nor the addresses.
        let engine = super::Engine::new(&rules, &opts);
        let scanned = engine.scan_input(Input::open(path, 512).unwrap()).unwrap();
        std::fs::write(
            path,
            ldif.replace("userPrincipalName: u", "userPrincipalName: U"),
        )
        .unwrap();
        // A write within the clock tick of the opening leaves the times as they were:
        // this one is dated, so the test does not depend on how fast the scan was.
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        let report = engine.finish(
            scanned.parts,
            vec![scanned.summary],
            scanned.diags,
            vec![(path.to_string(), scanned.unlisted)],
        );
        let count = |report: &crate::findings::Report, rule: &str| {
            report.findings.iter().filter(|f| &*f.rule == rule).count()
        };
        // 100 UPNs held twice, and 50 addresses.
        assert_eq!(count(&from_memory, "upn-duplicate"), 200);
        assert_eq!(count(&from_memory, "proxy-smtp-duplicate"), 100);
        assert_eq!(count(&by_path, "security-identifier-duplicate"), 80);
        assert_eq!(count(&report, "upn-duplicate"), 0);
        assert_eq!(count(&report, "proxy-smtp-duplicate"), 0);
        assert_eq!(count(&report, "security-identifier-duplicate"), 0);
        assert!(!findings(&report).contains("U1"), "{}", findings(&report));
        let told: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| {
                d.message.starts_with(
                    "the file changed while it was checked (it was written to after it was opened)",
                )
            })
            .collect();
        assert_eq!(told.len(), 1, "{:?}", report.diagnostics);
        assert_eq!(told[0].file, path);
        // What it says of the changed values cannot be trusted: the report is incomplete.
        assert!(report.summary.incomplete);
        assert!(!from_memory.summary.incomplete);
    }
}
