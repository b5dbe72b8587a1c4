//! dirready: find the directory objects that will fail or collide before you switch on
//! directory synchronization to Microsoft 365 / Entra ID.
//!
//! The pipeline, one module per stage:
//! `source` (LDIF files, stdin) → `model` (entries) → `rules` (YAML rules, compiled
//! `checks`) → `engine` (parallel per-entry checks + cross-entry uniqueness index) →
//! `findings` → `report` (JSON, Markdown, HTML, terminal). `cli` is the command line.

#![forbid(unsafe_code)]

pub mod checks;
pub mod cli;
pub mod dn;
pub mod engine;
pub mod findings;
pub mod gate;
pub mod model;
pub mod report;
pub mod rule_examples;
pub mod rules;
pub mod selection;
pub mod source;
pub mod suppress;
pub mod text;
