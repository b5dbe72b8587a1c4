//! Reading directory data from LDIF files and live directories (`ldap://`, `ldaps://`,
//! `ldapi://`: [`ldap`] turns a live search into an LDIF stream, [`ldif_writer`]).
//!
//! The pipeline is built for throughput on multi-gigabyte exports:
//!
//! 1. An [`input::BlockReader`] (driven by the engine's scanning threads in turn, or by a
//!    thread of its own for a pipe) opens the input (a path or `-`), detects gzip by its
//!    magic bytes, strips a UTF-8 BOM or transcodes UTF-16, and cuts the byte stream into
//!    blocks of about 1 MiB, each ending just after a blank line
//!    (a record boundary). Line numbers are counted so that every block knows the line of
//!    its first byte. The raw bytes are hashed (SHA-256): a regular file's from the
//!    blocks as the workers hand them back ([`digest`]), other inputs' on the way.
//! 2. Workers parse blocks in parallel with an [`ldif::LdifParser`] each. Because blocks
//!    are record-aligned, a block parses on its own; entries borrow from the block's
//!    buffer (zero-copy) and are checked and dropped before the block is freed.
//!
//! Problems with the input are [`Diagnostic`](crate::model::Diagnostic)s with file, line
//! and column; a malformed record is skipped and reading goes on.

pub mod digest;
pub mod input;
pub mod ldap;
pub mod ldif;
pub mod ldif_writer;

pub use input::{Input, InputError};

/// How big input may get. The defaults are far beyond any real Active Directory export
/// (a 1.5-million-member group fits); a record past one is not checked: a diagnostic names
/// the file, the line, the limit and the flag that raises it, the summary counts it under
/// `entries_not_checked`, and the report is marked incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one logical (unfolded) LDIF line (`--max-line-bytes`).
    pub max_line: usize,
    /// Bytes of one decoded value that a rule reads (`--max-value-bytes`).
    pub max_value: usize,
    /// Bytes of one record (`--max-entry-bytes`); also bounds a block's memory.
    pub max_entry: usize,
    /// Values of one attribute that a rule reads, in one entry (`--max-values`).
    pub max_values: usize,
    /// Diagnostics a report lists for one input, the first in line order
    /// (`--max-diagnostics`); the rest are counted. Not a size of the input, but what a
    /// wrong or damaged file costs: one diagnostic per line, without it, grows without bound.
    pub max_diagnostics: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 << 20,
            max_value: 64 << 20,
            max_entry: 256 << 20,
            max_values: 5_000_000,
            max_diagnostics: 1000,
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::input::BlockReader;
    use super::ldif::LdifParser;
    use crate::model::{ChangeType, Diagnostic, Entry, ValueEncoding};

    /// A small LDIF exercising most features (CRLF, controls, modify, modrdn, URL,
    /// folding, a whitespace-only separator, an ldapsearch trailer).
    pub const SAMPLE: &str = "version: 1\n\n# c\ndn: cn=a,dc=x\ncontrol: 1.2.3 true\nchangetype: add\ncn:: SsO2cmc=\nsn:< file:///x\ndescription: fol\n ded\n\ndn: cn=b\r\nchangetype: modify\r\nadd: member\r\nmember: cn=a\r\n-\r\nreplace: mail\r\n\r\n \t\ndn: cn=c\nchangetype: modrdn\nnewrdn: cn=d\ndeleteoldrdn: 1\n\nsearch: 2\nresult: 0 Success\n";

    /// An owned copy of an [`Entry`], for comparisons in tests.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct OwnedEntry {
        pub dn: String,
        pub line: u64,
        pub changetype: ChangeType,
        pub only_adds: bool,
        /// (name, options, raw value, encoding, line)
        pub attrs: Vec<(String, String, Vec<u8>, ValueEncoding, u64)>,
    }

    impl OwnedEntry {
        pub fn of(e: &Entry<'_>) -> Self {
            OwnedEntry {
                dn: e.dn.to_string(),
                line: e.line,
                changetype: e.changetype,
                only_adds: e.only_adds,
                attrs: e
                    .attrs
                    .iter()
                    .map(|a| {
                        (
                            a.name.to_string(),
                            a.options.to_string(),
                            a.raw.to_vec(),
                            a.encoding,
                            a.line,
                        )
                    })
                    .collect(),
            }
        }
    }

    /// Reads a whole input through [`BlockReader`] and [`LdifParser`], sequentially.
    pub fn read_all(
        name: &str,
        input: Vec<u8>,
        block_size: usize,
    ) -> (Vec<OwnedEntry>, Vec<Diagnostic>) {
        let mut reader =
            BlockReader::from_reader(name, Box::new(std::io::Cursor::new(input)), block_size);
        let mut entries = Vec::new();
        let mut diags = Vec::new();
        while let Some(block) = reader.next_block(&mut diags).expect("read") {
            let mut p = LdifParser::new(name, &block.data, block.first_line, block.at_start);
            while let Some(e) = p.next_entry(&mut diags) {
                entries.push(OwnedEntry::of(&e));
            }
        }
        (entries, diags)
    }
}
