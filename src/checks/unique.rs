//! `unique`: no two objects may hold the same value in a namespace. Not a check of one
//! value: the engine indexes the values and resolves duplicates after the stream.

use serde::{Deserialize, Serialize};

/// Where a `unique` check's values must be unique.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UniquePer {
    /// Across every in-scope object of the run (all inputs are one tenant).
    #[default]
    Run,
    /// Among objects of the same Active Directory domain (the DN's trailing `DC=` parts).
    Domain,
}

/// A uniqueness namespace as a rule names it.
#[derive(Debug, Clone)]
pub struct Unique {
    pub namespace: String,
    pub per: UniquePer,
    /// How reports name the namespace.
    pub label: String,
    /// Values are bytes (base64 text), compared exactly, not case-folded.
    pub binary: bool,
    /// Binary: only values of exactly this many bytes take part.
    pub bytes: Option<usize>,
    /// Binary: an all-zero value takes no part.
    pub ignore_zero: bool,
    /// The attribute whose values stand in when the object's own take no part.
    pub fallback: Option<String>,
}
