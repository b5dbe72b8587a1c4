//! dirready: find the directory objects that will fail or collide before you switch on
//! directory synchronization to Microsoft 365 / Entra ID.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! source ──► engine::decode ──► engine::evaluate ──► fixes ──► engine::resolve ──► gate ──► report
//! LDIF files,  values the rules   scope + per-object   suggested   duplicates,        exceptions,  JSON, SARIF,
//! stdin, live  read, by slot      checks (rules,       values      suggestion         selection,   HTML, ...
//! LDAP: blocks (text, dn)         checks), uniqueness              uniqueness,        baseline,
//!                                 index                            engine::assemble   exit status
//! ```
//!
//! `rules` turns YAML into compiled `checks` (a leaf); `findings` is the report model
//! every renderer views; `rule_examples` runs each rule's own examples through the engine;
//! `cli` is the command line.

#![forbid(unsafe_code)]

pub mod checks;
pub mod cli;
pub mod dn;
pub mod engine;
pub mod findings;
pub mod fixes;
pub mod gate;
pub mod model;
pub mod report;
pub mod rule_examples;
pub mod rules;
pub mod selection;
pub mod source;
pub mod suppress;
pub mod tenant;
pub mod text;
pub mod trend;
