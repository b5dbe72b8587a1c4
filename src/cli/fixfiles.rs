//! Writing the fix files a command asked for (`--fix-ldif`, its undo, ...).

use super::args::FixArgs;
use super::CliError;
use crate::findings::Report;
use crate::fixes::ldif::{self, Direction};
use crate::fixes::plan::Plan;
use std::path::{Path, PathBuf};

/// `fixes.ldif` → `fixes.undo.ldif` (the undo file beside the fix file).
pub fn undo_path_for(fix: &Path, ext: &str) -> PathBuf {
    let stem = fix
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fixes".into());
    fix.with_file_name(format!("{stem}.undo.{ext}"))
}

/// Writes every fix file of `args` for the plan; returns the paths written.
pub fn write(
    report: &Report,
    plan: &Plan,
    args: &FixArgs,
    quiet: bool,
) -> Result<Vec<PathBuf>, CliError> {
    let generated = jiff::Timestamp::now().to_string();
    let mut written = Vec::new();
    let save = |path: &PathBuf, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })
    };
    if let Some(csv_path) = &args.decisions_csv {
        let bytes = crate::fixes::decisions::write(plan).map_err(|e| CliError::Write {
            path: csv_path.clone(),
            source: std::io::Error::other(e),
        })?;
        save(csv_path, &bytes)?;
        written.push(csv_path.clone());
    }
    if let Some(ps1) = &args.fix_ps1 {
        let undo = undo_path_for(ps1, "ps1");
        for (path, direction) in [(ps1, Direction::Fix), (&undo, Direction::Undo)] {
            let text = crate::fixes::powershell::script(report, plan, direction, &generated);
            save(path, text.as_bytes())?;
            written.push(path.clone());
        }
    }
    if let Some(fix) = &args.fix_ldif {
        let undo = args
            .undo_ldif
            .clone()
            .unwrap_or_else(|| undo_path_for(fix, "ldif"));
        for (path, direction) in [(fix, Direction::Fix), (&undo, Direction::Undo)] {
            let mut out = Vec::new();
            ldif::write(&mut out, report, plan, direction, &generated).map_err(|source| {
                CliError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
            std::fs::write(path, out).map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?;
            written.push(path.clone());
        }
    }
    if !quiet && !written.is_empty() {
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "dirready: {} edits on {} objects, {} items need a decision; wrote {}",
            plan.edit_count(),
            plan.objects.len(),
            plan.decisions.len(),
            names.join(", ")
        );
    }
    Ok(written)
}
