//! Baselines: `--write-baseline FILE` stores the fingerprints of every finding (never
//! line numbers), with enough context (rule, DN, attribute, value) to say what was fixed.
//! `--baseline FILE` marks each shown finding `new` or `baselined` (only new ones count
//! for the exit code) and lists the baseline entries no finding matches any more as
//! fixed. A JSON report (`-o report.json`) is accepted as a baseline too, which is what
//! `dirready diff OLD.json NEW.json` does.
//!
//! Excepted findings keep their state and are counted in neither `new` nor `unchanged`.

use crate::findings::{
    BaselineEntry, BaselineSummary, ChangeCounts, Finding, FindingState, Report, ToolInfo,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineFile {
    /// Format version of the file.
    pub dirready_baseline: u32,
    pub tool: ToolInfo,
    /// Sorted by fingerprint; one entry per distinct fingerprint.
    pub entries: Vec<BaselineEntry>,
}

pub fn entry_of(f: &Finding) -> BaselineEntry {
    BaselineEntry {
        fingerprint: if f.fingerprint.is_empty() {
            f.compute_fingerprint()
        } else {
            f.fingerprint.clone()
        },
        rule: f.rule.to_string(),
        severity: Some(f.severity),
        category: Some(f.category),
        dn: f.dn.clone(),
        object_guid: f.object_guid.clone(),
        attribute: f.attribute.to_string(),
        value: f.value_str().to_string(),
    }
}

/// The baseline of a set of findings.
pub fn build<'a>(tool: &ToolInfo, findings: impl IntoIterator<Item = &'a Finding>) -> BaselineFile {
    let mut entries: Vec<BaselineEntry> = findings.into_iter().map(entry_of).collect();
    entries.sort();
    entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    BaselineFile {
        dirready_baseline: FORMAT_VERSION,
        tool: tool.clone(),
        entries,
    }
}

pub fn to_json(b: &BaselineFile) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(b)?;
    s.push('\n');
    Ok(s)
}

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{}: cannot read baseline: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    In {
        path: std::path::PathBuf,
        source: Box<BaselineError>,
    },
    #[error("{}:{}: not JSON: {source}", source.line(), source.column())]
    NotJson { source: serde_json::Error },
    #[error("not a dirready baseline: {0}")]
    NotABaseline(serde_json::Error),
    #[error("not a dirready JSON report: {0}")]
    NotAReport(serde_json::Error),
    #[error("baseline format {0} is newer than this dirready understands ({FORMAT_VERSION})")]
    TooNew(u32),
    #[error("neither a dirready baseline nor a dirready JSON report")]
    UnknownKind,
}

/// Reads a baseline file, or a JSON report used as one.
pub fn load(path: &Path) -> Result<Vec<BaselineEntry>, BaselineError> {
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text).map_err(|e| BaselineError::In {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

pub fn parse(text: &str) -> Result<Vec<BaselineEntry>, BaselineError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|source| BaselineError::NotJson { source })?;
    if v.get("dirready_baseline").is_some() {
        let b: BaselineFile = serde_json::from_value(v).map_err(BaselineError::NotABaseline)?;
        if b.dirready_baseline > FORMAT_VERSION {
            return Err(BaselineError::TooNew(b.dirready_baseline));
        }
        return Ok(b.entries);
    }
    if v.get("findings").is_some() {
        let mut r: Report = serde_json::from_value(v).map_err(BaselineError::NotAReport)?;
        r.fill_fingerprints();
        return Ok(build(&r.tool, &r.findings).entries);
    }
    Err(BaselineError::UnknownKind)
}

/// Marks the report's findings against `entries`.
///
/// `existing` holds the fingerprints of every finding of the run (including those hidden
/// by a display filter), so that an entry is "fixed" only when its finding is really
/// gone; `shown_rule` says whether a rule is shown (fixed entries of hidden rules are
/// not listed).
pub fn apply(
    report: &mut Report,
    path: &str,
    entries: &[BaselineEntry],
    existing: &HashSet<String>,
    shown_rule: impl Fn(&str) -> bool,
) {
    let known: HashSet<&str> = entries.iter().map(|e| e.fingerprint.as_str()).collect();
    let category_of: BTreeMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.category.as_str()))
        .collect();
    let mut summary = BaselineSummary {
        path: path.to_string(),
        ..Default::default()
    };
    let bump = |s: &mut BaselineSummary, rule: &str, cat: &str, f: &dyn Fn(&mut ChangeCounts)| {
        f(&mut s.counts);
        f(s.by_rule.entry(rule.to_string()).or_default());
        f(s.by_category.entry(cat.to_string()).or_default());
    };
    for f in &mut report.findings {
        if f.state == Some(FindingState::Excepted) {
            continue;
        }
        let old = known.contains(f.fingerprint.as_str());
        f.state = Some(if old {
            FindingState::Baselined
        } else {
            FindingState::New
        });
        let cat = f.category.as_str();
        if old {
            bump(&mut summary, &f.rule, cat, &|c| c.unchanged += 1);
        } else {
            bump(&mut summary, &f.rule, cat, &|c| c.new += 1);
        }
    }
    let mut fixed: Vec<BaselineEntry> = entries
        .iter()
        .filter(|e| !existing.contains(&e.fingerprint) && shown_rule(&e.rule))
        .cloned()
        .collect();
    fixed.sort_by(|a, b| (&a.rule, &a.dn, &a.value).cmp(&(&b.rule, &b.dn, &b.value)));
    fixed.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    for e in &fixed {
        let cat = e
            .category
            .map(|c| c.as_str())
            .or_else(|| category_of.get(e.rule.as_str()).copied())
            .unwrap_or("unknown");
        bump(&mut summary, &e.rule, cat, &|c| c.fixed += 1);
    }
    summary.fixed = fixed;
    report.baseline = Some(summary);
}
